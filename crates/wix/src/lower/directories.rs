//! The directory tree of the linked product (id → parent and DefaultDir): checked for
//! dangling parents, and used for component GUIDs and for where an uncompressed file sits
//! beside the MSI.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::error::{Result, WixError};
use crate::model::{ComponentDef, PackageInfo, Row};

/// Directory id → (parent id, DefaultDir).
pub(super) type Dirs = BTreeMap<String, (Option<String>, String)>;

/// The tree from the Directory rows; every parent and every component's directory must exist.
pub(super) fn directory_tree(
    rows: &[Row],
    components: &[ComponentDef],
    package: &PackageInfo,
) -> Result<Dirs> {
    let mut dirs: Dirs = BTreeMap::new();
    for r in rows.iter().filter(|r| r.table == "Directory") {
        let id = r.values[0].as_str().unwrap_or_default().to_string();
        dirs.insert(
            id,
            (
                r.values[1].as_str().map(str::to_string),
                r.values[2].as_str().unwrap_or(".").to_string(),
            ),
        );
    }
    for (id, (parent, _)) in &dirs {
        if let Some(p) = parent {
            if !dirs.contains_key(p) {
                let loc = rows
                    .iter()
                    .find(|r| r.table == "Directory" && r.values[0].as_str() == Some(id))
                    .map(|r| r.loc.clone());
                return Err(WixError::new(
                    loc.unwrap_or_else(|| package.loc.clone()),
                    format!("unresolved reference to Directory `{p}`"),
                ));
            }
        }
    }
    for c in components {
        if !dirs.contains_key(&c.directory) {
            return Err(WixError::new(
                c.loc.clone(),
                format!("unresolved reference to Directory `{}`", c.directory),
            ));
        }
    }
    Ok(dirs)
}

/// Where Windows Installer looks for an uncompressed file: the source side of each
/// DefaultDir (after ':'; long name), from SourceDir down.
pub(super) fn source_layout_path(dirs: &Dirs, dir: &str, file: &str) -> PathBuf {
    let mut parts = vec![file.to_string()];
    let mut cur = Some(dir.to_string());
    let mut guard = 0;
    while let Some(id) = cur {
        guard += 1;
        if guard > 256 {
            break;
        }
        let Some((parent, default_dir)) = dirs.get(&id) else {
            break;
        };
        if parent.is_some() {
            let source = default_dir
                .split_once(':')
                .map(|(_, s)| s)
                .unwrap_or(default_dir);
            let long = source.rsplit('|').next().unwrap_or(source);
            if long != "." {
                parts.push(long.to_string());
            }
        }
        cur = parent.clone();
    }
    parts.reverse();
    parts.iter().collect()
}
