//! The property phase: an authored ProductCode, and the merged SecureCustomProperties,
//! MsiHiddenProperties and AdminProperties rows (WiX's CreateSpecialPropertiesCommand).

use std::collections::BTreeSet;

use crate::model::{PackageInfo, Row, Val};

/// The properties earlier phases named for each special list.
pub(super) struct Lists {
    /// SecureCustomProperties: `Secure="yes"`, searches, Upgrade action properties.
    pub secure: BTreeSet<String>,
    /// MsiHiddenProperties: `Hidden="yes"` (kept out of the installer's log).
    pub hidden: BTreeSet<String>,
    /// AdminProperties: `Admin="yes"` (passed to an administrative installation).
    pub admin: BTreeSet<String>,
}

/// The property phase: an authored ProductCode becomes the ProductCode Property value, and
/// each special list joins its authored Property (if any) in a single row.
pub(super) fn properties(package: &PackageInfo, rows: &mut Vec<Row>, lists: Lists) {
    if let Some(code) = &package.product_code {
        for r in rows.iter_mut().filter(|r| r.table == "Property") {
            if r.values[0].as_str() == Some("ProductCode") {
                r.values[1] = Val::Str(code.clone());
            }
        }
    }
    merge_list(package, rows, "SecureCustomProperties", lists.secure);
    merge_list(package, rows, "AdminProperties", lists.admin);
    // Custom actions run from the script with HideTarget keep their data out of the log:
    // Windows Installer hides the properties MsiHiddenProperties names, and a deferred
    // action's data is the property named after it (WiX's CreateSpecialPropertiesCommand;
    // https://learn.microsoft.com/windows/win32/msi/msihiddenproperties).
    const HIDE_TARGET: i32 = 0x2000;
    const IN_SCRIPT: i32 = 0x400;
    let mut hidden = lists.hidden;
    hidden.extend(
        rows.iter()
            .filter(|r| r.table == "CustomAction")
            .filter(|r| match r.values.get(1) {
                Some(Val::Int(t)) => t & HIDE_TARGET != 0 && t & IN_SCRIPT != 0,
                _ => false,
            })
            .filter_map(|r| r.values[0].as_str().map(str::to_string)),
    );
    merge_list(package, rows, "MsiHiddenProperties", hidden);
}

/// Joins `names` with the authored value of the `;`-separated list property `id` (if any)
/// into one Property row, sorted as WiX writes it.
fn merge_list(package: &PackageInfo, rows: &mut Vec<Row>, id: &str, names: BTreeSet<String>) {
    if names.is_empty() {
        return;
    }
    let existing = rows
        .iter()
        .position(|r| r.table == "Property" && r.values[0].as_str() == Some(id));
    let mut all = names;
    if let Some(i) = existing {
        for p in rows[i].values[1]
            .as_str()
            .unwrap_or_default()
            .split(';')
            .filter(|s| !s.is_empty())
        {
            all.insert(p.to_string());
        }
        rows.remove(i);
    }
    rows.push(Row {
        table: "Property",
        values: vec![
            id.into(),
            all.into_iter().collect::<Vec<_>>().join(";").into(),
        ],
        loc: package.loc.clone(),
    });
}
