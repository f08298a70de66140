//! What the crate's unit tests share: a compiled database's rows as text, the way WiX's
//! queries render them (numbers in decimal, null as empty).

use crate::model::Val;
use crate::Compiled;

/// The rows of `table` (none when the table is absent), each as its cells.
pub fn rows(c: &Compiled, table: &str) -> Vec<Vec<String>> {
    c.database
        .tables
        .get(table)
        .map(|rows| {
            rows.iter()
                .map(|(values, _)| values.iter().map(Val::text).collect())
                .collect()
        })
        .unwrap_or_default()
}

/// The rows of `table`, each as its cells joined by tabs.
pub fn lines(c: &Compiled, table: &str) -> Vec<String> {
    rows(c, table).iter().map(|r| r.join("\t")).collect()
}
