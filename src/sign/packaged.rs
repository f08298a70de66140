//! Signatures of the files inside an MSI: each embedded cabinet is read, every PE file in
//! it (`MZ`) is handed to the Authenticode reader, for `cargo svcpack inspect`. Reads only;
//! nothing is verified or extracted to disk.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};
use std::path::Path;

use super::authenticode;

/// Signature details (as [`super::signature_info`] gives them) of each signed PE file in the
/// MSI's embedded cabinets, by File table key; unsigned and non-PE files are absent. An MSI
/// that cannot be read gives an empty map (the inspect report says what is wrong with it).
pub fn packaged_signatures(msi: &Path) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    let Ok(file) = std::fs::File::open(msi) else {
        return out;
    };
    let Ok(mut pkg) = msi::Package::open(file) else {
        return out;
    };
    let cabinets: Vec<String> = match pkg.select_rows(msi::Select::table("Media")) {
        Ok(rows) => rows
            .filter_map(|r| r["Cabinet"].as_str().map(str::to_string))
            .filter_map(|c| c.strip_prefix('#').map(str::to_string))
            .collect(),
        Err(_) => return out,
    };
    for name in cabinets {
        let mut bytes = Vec::new();
        match pkg.read_stream(&name) {
            Ok(mut s) => {
                if s.read_to_end(&mut bytes).is_err() {
                    continue;
                }
            }
            Err(_) => continue,
        }
        let Ok(mut cab) = cab::Cabinet::new(Cursor::new(bytes)) else {
            continue;
        };
        let names: Vec<String> = cab
            .folder_entries()
            .flat_map(|f| f.file_entries().map(|e| e.name().to_string()))
            .collect();
        for key in names {
            let mut data = Vec::new();
            let Ok(mut r) = cab.read_file(&key) else {
                continue;
            };
            if r.read_to_end(&mut data).is_err() || !data.starts_with(b"MZ") {
                continue;
            }
            if let Some(sig) = authenticode::pe_signature(&data).and_then(authenticode::parse) {
                out.insert(key, authenticode::describe(&sig));
            }
        }
    }
    out
}
