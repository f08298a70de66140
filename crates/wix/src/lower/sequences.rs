//! The action sequence tables: standard actions for the tables present (WiX v3's or v4's
//! rules) merged with the authored scheduling.

use std::collections::BTreeSet;

use crate::error::{Result, Warning};
use crate::model::{PackageInfo, Row, Schedule, Val};
use crate::sequence;
use crate::xml::Dialect;

/// Appends the sequence rows to `rows`; returns the sequencer's warnings.
pub(super) fn sequence_rows(
    dialect: Dialect,
    package: &PackageInfo,
    schedules: &[Schedule],
    ensured: &[&str],
    rows: &mut Vec<Row>,
) -> Result<Vec<Warning>> {
    // Tables with rows, and tables an EnsureTable makes exist though empty.
    let mut present: BTreeSet<String> = rows.iter().map(|r| r.table.to_string()).collect();
    present.extend(ensured.iter().map(|t| t.to_string()));
    let seq_opts = sequence::SequenceOptions {
        rules: if dialect == Dialect::V3 {
            sequence::Rules::WixV3
        } else {
            sequence::Rules::WixV4
        },
        upgrade_migrates_features: rows
            .iter()
            .any(|r| r.table == "Upgrade" && matches!(r.values[4], Val::Int(a) if a & 1 != 0)),
    };
    let sequences = sequence::build_sequences(&present, schedules, &seq_opts)?;
    let warnings = sequences.warnings.clone();
    for (table, actions) in sequences.tables {
        let name = table.table_name();
        for a in actions {
            rows.push(Row {
                table: name,
                values: vec![
                    a.action.into(),
                    Val::opt_str(a.condition),
                    a.sequence.into(),
                ],
                loc: package.loc.clone(),
            });
        }
    }

    Ok(warnings)
}
