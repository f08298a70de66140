//! Rows grouped per table, checked against the table's schema, sorted by primary key, with
//! a duplicate primary key reported at both rows.

use std::collections::BTreeMap;

use crate::error::{Location, Result, WixError};
use crate::model::{PackageInfo, Row, Val};

/// Table name → rows with their source locations.
pub(super) type Tables = BTreeMap<String, Vec<(Vec<Val>, Location)>>;

pub(super) fn group_rows(rows: Vec<Row>, package: &PackageInfo) -> Result<Tables> {
    let mut tables: Tables = BTreeMap::new();
    for r in rows {
        tables
            .entry(r.table.to_string())
            .or_default()
            .push((r.values, r.loc));
    }
    for (name, rows) in tables.iter_mut() {
        let schema = crate::tables::schema(name).ok_or_else(|| {
            let loc = rows
                .first()
                .map(|r| r.1.clone())
                .unwrap_or_else(|| package.loc.clone());
            WixError::new(loc, format!("internal: no schema for table `{name}`"))
        })?;
        let keys: Vec<usize> = schema
            .iter()
            .enumerate()
            .filter(|(_, c)| c.is_primary_key())
            .map(|(i, _)| i)
            .collect();
        for (values, loc) in rows.iter_mut() {
            if values.len() != schema.len() {
                return Err(WixError::new(
                    loc.clone(),
                    format!(
                        "internal: {name} row has {} cells, table has {} columns",
                        values.len(),
                        schema.len()
                    ),
                ));
            }
            // Optional integer columns written as Null stay Null; nothing else to coerce.
            let _ = values;
        }
        rows.sort_by(|a, b| {
            keys.iter()
                .map(|&k| &a.0[k])
                .cmp(keys.iter().map(|&k| &b.0[k]))
        });
        for w in rows.windows(2) {
            if keys.iter().all(|&k| w[0].0[k] == w[1].0[k]) {
                let id: Vec<String> = keys.iter().map(|&k| w[1].0[k].text()).collect();
                return Err(WixError::new(
                    w[1].1.clone(),
                    format!(
                        "duplicate {name} row `{}`; the other one is at {}",
                        id.join("/"),
                        w[0].1
                    ),
                ));
            }
        }
    }

    Ok(tables)
}
