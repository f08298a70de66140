//! Writing: a lowered [`Database`] → an MSI (a compound file) and the atomic placement of
//! the MSI and any external files.
//!
//! Tables and the string pool are encoded by [`super::msidb`] (hand-written: see there),
//! the summary information here; the compound file is written once, stream by stream, so
//! it holds no freed sectors (signing tools reject files with garbage sectors) and its
//! timestamps are zero, as Windows Installer writes them.

use std::io::{Cursor, Read, Seek, Write};
use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

use super::error::{Location, Result, WixError};
use super::lower::Database;

fn io_err(loc: &Location, what: &str, e: impl std::fmt::Display) -> WixError {
    WixError::new(loc.clone(), format!("{what}: {e}"))
}

/// The root storage CLSID of an installer package.
const INSTALLER_CLSID: uuid::Uuid = uuid::Uuid::from_u128(0x000C1084_0000_0000_C000_000000000046);

/// Serialises the database into MSI bytes (in memory; [`write_outputs`] streams to disk).
pub fn to_bytes(db: &Database) -> Result<Vec<u8>> {
    Ok(write_compound(db, Cursor::new(Vec::new()))?.into_inner())
}

/// Writes the whole compound file into `inner` and returns it.
fn write_compound<F: Read + Write + Seek>(db: &Database, inner: F) -> Result<F> {
    let loc = Location::file("<msi>");
    let io = |what: &str, e: std::io::Error| io_err(&loc, what, e);
    // The summary is checked first: its errors are the user's, not I/O.
    let summary = summary_stream(&db.summary)?;
    let mut comp = cfb::CompoundFile::create_with_version(cfb::Version::V4, inner)
        .map_err(|e| io("creating the database", e))?;
    comp.set_storage_clsid("/", INSTALLER_CLSID)
        .map_err(|e| io("creating the database", e))?;
    super::msidb::write_tables(&mut comp, db.codepage, &db.tables, &db.custom_schemas)?;
    for (name, blob) in &db.streams {
        let mut w = comp
            .create_stream(super::msidb::encode_stream_name(name, false))
            .map_err(|e| io(&format!("creating stream {name}"), e))?;
        super::stream::write_blob(blob, &mut w)?;
        w.flush()
            .map_err(|e| io(&format!("writing stream {name}"), e))?;
    }
    comp.create_stream(SUMMARY_STREAM)
        .and_then(|mut w| w.write_all(&summary))
        .map_err(|e| io("writing the summary information", e))?;
    let zero = UNIX_EPOCH - Duration::from_secs(11_644_473_600);
    comp.set_modified_time("/", zero)
        .and_then(|_| comp.set_created_time("/", zero))
        .and_then(|_| comp.flush())
        .map_err(|e| io("finishing the database", e))?;
    Ok(comp.into_inner())
}

const SUMMARY_STREAM: &str = "\u{5}SummaryInformation";
/// FMTID_SummaryInformation {F29F85E0-4FF9-1068-AB91-08002B27B3D9} as stored on disk.
const FMTID_SUMMARY: [u8; 16] = [
    0xE0, 0x85, 0x9F, 0xF2, 0xF9, 0x4F, 0x68, 0x10, 0xAB, 0x91, 0x08, 0x00, 0x2B, 0x27, 0xB3, 0xD9,
];

enum Prop {
    I2(i16),
    I4(i32),
    Str(Vec<u8>),
    FileTime(u64),
}

impl Prop {
    /// The typed value as MS-OLEPS serialises it, padded to 4 bytes.
    fn encode(&self) -> Vec<u8> {
        let mut v = Vec::new();
        match self {
            Prop::I2(i) => {
                v.extend(2u32.to_le_bytes());
                v.extend(i.to_le_bytes());
                v.extend([0, 0]);
            }
            Prop::I4(i) => {
                v.extend(3u32.to_le_bytes());
                v.extend(i.to_le_bytes());
            }
            Prop::Str(b) => {
                v.extend(30u32.to_le_bytes());
                v.extend(((b.len() + 1) as u32).to_le_bytes());
                v.extend(b);
                v.push(0);
                while v.len() % 4 != 0 {
                    v.push(0);
                }
            }
            Prop::FileTime(t) => {
                v.extend(64u32.to_le_bytes());
                v.extend(t.to_le_bytes());
            }
        }
        v
    }
}

/// Serialises the summary information property set (MS-OLEPS) with strings in the summary
/// codepage. A string that codepage cannot hold is an error, never a silent `?`.
pub fn summary_stream(s: &super::lower::Summary) -> Result<Vec<u8>> {
    let cp = summary_codepage(s.codepage)?;
    let props = summary_props(s, &cp)?;
    Ok(property_set(&props))
}

fn summary_location() -> Location {
    Location::file("<summary information>")
}

fn summary_codepage(codepage: i32) -> Result<msi::CodePage> {
    if codepage == 65001 || !(0..=32767).contains(&codepage) {
        return Err(WixError::new(
            summary_location(),
            format!(
                "summary information codepage {codepage} is not allowed (Windows Installer cannot open such a \
                 package); use an ANSI codepage such as 1252"
            ),
        ));
    }
    msi::CodePage::from_id(codepage).ok_or_else(|| {
        WixError::new(
            summary_location(),
            format!("summary information codepage {codepage} is not supported; use e.g. 1252"),
        )
    })
}

/// The properties by id, in id order.
fn summary_props(s: &super::lower::Summary, cp: &msi::CodePage) -> Result<Vec<(u32, Prop)>> {
    let text = |name: &str, v: &str| summary_text(cp, s.codepage, name, v);
    // FILETIME: 100 ns intervals since 1601-01-01.
    let filetime = (s.timestamp + 11_644_473_600) * 10_000_000;
    Ok(vec![
        (1, Prop::I2(s.codepage as i16)),
        (2, text("title", &s.title)?),
        (3, text("subject", &s.subject)?),
        (4, text("author", &s.author)?),
        (5, text("keywords", &s.keywords)?),
        (6, text("comments", &s.comments)?),
        (7, text("template", &s.template)?),
        (9, text("revision number (package code)", &s.package_code)?),
        (12, Prop::FileTime(filetime)),
        (13, Prop::FileTime(filetime)),
        (14, Prop::I4(s.page_count)),
        (15, Prop::I4(s.word_count)),
        (18, text("creating application", &s.creating_application)?),
        (19, Prop::I4(s.security)),
    ])
}

fn summary_text(cp: &msi::CodePage, codepage: i32, name: &str, v: &str) -> Result<Prop> {
    let bytes = cp.encode(v);
    if cp.decode(&bytes) != v {
        return Err(WixError::new(
            summary_location(),
            format!(
                "summary information {name} `{v}` has characters codepage {codepage} cannot hold; set \
                 SummaryInformation/@Codepage (v4) or Package/@SummaryCodepage (v3) to one that \
                 holds them, or change the text"
            ),
        ));
    }
    Ok(Prop::Str(bytes))
}

/// The stream: header, the one property set's offset table, then the values.
fn property_set(props: &[(u32, Prop)]) -> Vec<u8> {
    let values: Vec<Vec<u8>> = props.iter().map(|(_, p)| p.encode()).collect();
    let table_len = 8 + 8 * props.len();
    let size = table_len + values.iter().map(Vec::len).sum::<usize>();
    let mut out = Vec::with_capacity(48 + size);
    out.extend([0xFE, 0xFF, 0x00, 0x00]); // byte order mark, format version 0
    out.extend(0x0002_000Au32.to_le_bytes()); // Win32, OS version 10
    out.extend([0u8; 16]); // CLSID
    out.extend(1u32.to_le_bytes()); // one property set
    out.extend(FMTID_SUMMARY);
    out.extend(48u32.to_le_bytes()); // its offset
    out.extend((size as u32).to_le_bytes());
    out.extend((props.len() as u32).to_le_bytes());
    let mut offset = table_len;
    for ((id, _), v) in props.iter().zip(&values) {
        out.extend(id.to_le_bytes());
        out.extend((offset as u32).to_le_bytes());
        offset += v.len();
    }
    for v in values {
        out.extend(v);
    }
    out
}

/// Writes the MSI and external files atomically: everything goes to temporary files in the
/// destination directory and is renamed into place only when all of it was written; on
/// error the temporary files are removed. Returns the MSI's size in bytes.
pub fn write_outputs(db: &Database, out: &Path) -> Result<u64> {
    let loc = Location::file(out);
    let dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir)
        .map_err(|e| io_err(&loc, &format!("creating {}", dir.display()), e))?;
    let temp_in = |dest: &Path| -> Result<tempfile::NamedTempFile> {
        let parent = dest
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| dir.clone());
        std::fs::create_dir_all(&parent)
            .map_err(|e| io_err(&loc, &format!("creating {}", parent.display()), e))?;
        artifact_tempfile(&parent).map_err(|e| io_err(&loc, "creating a temporary file", e))
    };
    let finish = |tmp: &tempfile::NamedTempFile| -> Result<()> {
        tmp.as_file()
            .sync_all()
            .map_err(|e| io_err(&loc, &format!("writing {}", tmp.path().display()), e))
    };
    let mut staged: Vec<(tempfile::NamedTempFile, std::path::PathBuf)> = Vec::new();
    for (rel, blob) in &db.external {
        let dest = dir.join(rel);
        let mut tmp = temp_in(&dest)?;
        let mut w = std::io::BufWriter::with_capacity(1 << 16, tmp.as_file_mut());
        super::stream::write_blob(blob, &mut w).map_err(|e| located_at(e, &dest))?;
        w.flush()
            .map_err(|e| io_err(&loc, &format!("writing {}", dest.display()), e))?;
        drop(w);
        finish(&tmp)?;
        staged.push((tmp, dest));
    }
    let mut tmp = temp_in(out)?;
    write_compound(db, tmp.as_file_mut()).map_err(|e| located_at(e, out))?;
    finish(&tmp)?;
    let len = tmp
        .as_file()
        .metadata()
        .map_err(|e| io_err(&loc, &format!("writing {}", out.display()), e))?
        .len();
    staged.push((tmp, out.to_path_buf()));
    for (tmp, dest) in staged {
        tmp.persist(&dest).map_err(|e| {
            io_err(
                &loc,
                &format!("moving the output to {}", dest.display()),
                e.error,
            )
        })?;
    }
    Ok(len)
}

/// I/O errors of the compound file are about the output file: say which.
fn located_at(e: WixError, out: &Path) -> WixError {
    if e.location.file.as_os_str() == "<msi>" {
        WixError::new(Location::file(out), e.message)
    } else {
        e
    }
}

/// A temporary file in `dir` for an artifact: created with mode 0666 less the umask, as
/// cargo and every packager create their outputs (tempfile's default is a private 0600,
/// which would leave artifacts unreadable to a web server or another CI user).
fn artifact_tempfile(dir: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(".svcpack-");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    builder.tempfile_in(dir)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lower::{Database, Summary};
    use crate::model::Val;
    use std::collections::BTreeMap;

    fn summary(codepage: i32, subject: &str) -> Summary {
        Summary {
            codepage,
            title: "Installation Database".into(),
            subject: subject.into(),
            author: "Ünïcode Tools \"Ltd\"".into(),
            keywords: "Installer".into(),
            comments: format!("This installer database contains the logic and data required to install {subject}."),
            template: "x64;1033".into(),
            package_code: "{9A4BFE94-CC09-5973-8DD1-F50A04D7EF29}".into(),
            page_count: 500,
            word_count: 2,
            security: 2,
            timestamp: 1_700_000_000,
            creating_application: "svcpack test".into(),
        }
    }

    fn db(s: Summary) -> Database {
        let mut tables = BTreeMap::new();
        tables.insert(
            "Property".to_string(),
            vec![(
                vec![Val::from("ProductName"), Val::from("Überwachung")],
                Location::file("t.wxs"),
            )],
        );
        Database {
            codepage: 1252,
            tables,
            streams: Vec::new(),
            custom_schemas: BTreeMap::new(),
            summary: s,
            external: Vec::new(),
            warnings: Vec::new(),
        }
    }

    #[test]
    fn non_ascii_summary_strings_read_back_exactly() {
        let bytes = to_bytes(&db(summary(1252, "Ledger Agent Überwachung"))).unwrap();
        let pkg = msi::Package::open(Cursor::new(bytes)).unwrap();
        let si = pkg.summary_info();
        assert_eq!(si.subject(), Some("Ledger Agent Überwachung"));
        assert_eq!(si.author(), Some("Ünïcode Tools \"Ltd\""));
        assert_eq!(si.arch(), Some("x64"));
        assert_eq!(si.word_count(), Some(2));
        assert_eq!(si.page_count(), Some(500));
        assert_eq!(si.codepage(), msi::CodePage::Windows1252);
        assert_eq!(
            si.creation_time(),
            Some(UNIX_EPOCH + Duration::from_secs(1_700_000_000))
        );
    }

    #[test]
    fn unrepresentable_summary_text_is_an_error_not_a_question_mark() {
        let e = to_bytes(&db(summary(1252, "Ledger Agent ✓"))).unwrap_err();
        assert!(e.message.contains("subject `Ledger Agent ✓`"), "{e}");
        let e = to_bytes(&db(summary(65001, "x"))).unwrap_err();
        assert!(e.message.contains("not allowed"), "{e}");
    }

    #[test]
    fn output_is_deterministic() {
        let a = to_bytes(&db(summary(1252, "A"))).unwrap();
        let b = to_bytes(&db(summary(1252, "A"))).unwrap();
        assert!(a == b);
    }
}
