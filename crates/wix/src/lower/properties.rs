//! The property phase: an authored ProductCode and the merged SecureCustomProperties row.

use std::collections::BTreeSet;

use crate::model::{PackageInfo, Row, Val};

/// The property phase: an authored ProductCode becomes the ProductCode Property value, and
/// the secure properties gathered by earlier phases join any authored
/// SecureCustomProperties in a single row.
pub(super) fn properties(
    package: &PackageInfo,
    rows: &mut Vec<Row>,
    secure_properties: BTreeSet<String>,
) {
    if let Some(code) = &package.product_code {
        for r in rows.iter_mut().filter(|r| r.table == "Property") {
            if r.values[0].as_str() == Some("ProductCode") {
                r.values[1] = Val::Str(code.clone());
            }
        }
    }
    if !secure_properties.is_empty() {
        let existing = rows.iter().position(|r| {
            r.table == "Property" && r.values[0].as_str() == Some("SecureCustomProperties")
        });
        let mut all: BTreeSet<String> = secure_properties;
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
        let loc = package.loc.clone();
        rows.push(Row {
            table: "Property",
            values: vec![
                "SecureCustomProperties".into(),
                all.into_iter().collect::<Vec<_>>().join(";").into(),
            ],
            loc,
        });
    }
}
