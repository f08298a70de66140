//! Product and package codes derived from content (WiX makes random ones; svcpack's are
//! reproducible): a hash of every row, stream and file beside the MSI, so any change
//! gives new codes and an identical build gives identical ones.

use std::path::PathBuf;

use sha2::{Digest as _, Sha256};

use super::grouped::Tables;
use super::Summary;
use crate::guid;
use crate::model::Val;
use crate::stream::Blob;

/// Our namespace for derived product and package codes (not WiX's: WiX uses random ones).
const SVCPACK_NAMESPACE: uuid::Uuid =
    uuid::Uuid::from_u128(0x6c2f_8a0e_5b1d_4f3a_9e77_2d4c_1b0a_9f15);

/// Digests of the streams and external files, computed once for both derived codes.
pub(super) fn blob_digests(
    streams: &[(String, Blob)],
    external: &[(PathBuf, Blob)],
) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = streams
        .iter()
        .map(|(n, b)| (n.clone(), b.digest()))
        .collect();
    out.extend(
        external
            .iter()
            .map(|(p, b)| (p.to_string_lossy().into_owned(), b.digest())),
    );
    out
}

/// Fills in the derived ProductCode when none was authored (the ProductCode Property row
/// holds the placeholder until the content is final).
pub(super) fn derive_product_code(tables: &mut Tables, blobs: &[(String, Vec<u8>)]) {
    let digest = content_hasher(tables, blobs).finalize();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    let code = braced(guid::derived_guid(
        &SVCPACK_NAMESPACE,
        &["ProductCode", &hex],
    ));
    if let Some(props) = tables.get_mut("Property") {
        for (values, _) in props.iter_mut() {
            if values[0].as_str() == Some("ProductCode") {
                values[1] = Val::Str(code.clone());
            }
        }
    }
}

/// The package code for the finished tables and summary.
pub(super) fn derive_package_code(
    tables: &Tables,
    blobs: &[(String, Vec<u8>)],
    summary: &Summary,
) -> String {
    braced(content_guid(tables, blobs, summary))
}

/// A hash of every table row and every stream/external file: the basis of the derived
/// ProductCode (before the summary exists) and package code (with the summary).
fn content_hasher(tables: &Tables, blobs: &[(String, Vec<u8>)]) -> Sha256 {
    let mut h = Sha256::new();
    for (name, rows) in tables {
        h.update(name.as_bytes());
        h.update([0]);
        for (values, _) in rows {
            for v in values {
                match v {
                    Val::Null => h.update([0]),
                    Val::Int(i) => {
                        h.update([1]);
                        h.update(i.to_le_bytes());
                    }
                    Val::Str(s) => {
                        h.update([2]);
                        h.update((s.len() as u64).to_le_bytes());
                        h.update(s.as_bytes());
                    }
                }
            }
        }
    }
    for (n, d) in blobs {
        h.update(n.as_bytes());
        h.update(d);
    }
    h
}

/// The package code from content: tables, streams, external files and summary fields.
fn content_guid(tables: &Tables, blobs: &[(String, Vec<u8>)], summary: &Summary) -> uuid::Uuid {
    let mut h = content_hasher(tables, blobs);
    for s in [
        &summary.title,
        &summary.subject,
        &summary.author,
        &summary.keywords,
        &summary.comments,
        &summary.template,
    ] {
        h.update(s.as_bytes());
        h.update([0]);
    }
    h.update(summary.word_count.to_le_bytes());
    h.update(summary.page_count.to_le_bytes());
    h.update(summary.codepage.to_le_bytes());
    h.update(summary.timestamp.to_le_bytes());
    let digest = h.finalize();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    guid::derived_guid(&SVCPACK_NAMESPACE, &["PackageCode", &hex])
}

fn braced(u: uuid::Uuid) -> String {
    format!("{{{}}}", u.hyphenated()).to_ascii_uppercase()
}
