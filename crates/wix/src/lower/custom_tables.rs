//! Authored tables in the MSI: each real `CustomTable`'s rows (values typed by its columns,
//! binary cells read into streams) and schema, and the empty tables `EnsureTable` asks for.
//!
//! As WiX's binder does (`CreateWindowsInstallerDataFromIRCommand.cs`, custom table cells):
//! a table marked `Unreal` and its rows stay out of the MSI, an empty value is null, an
//! `int` cell must be an integer, and a `binary` cell names the file whose bytes become the
//! stream `<table>.<primary keys joined by tabs>`.

use std::collections::BTreeMap;

use super::binaries::Streams;
use crate::custom_table::{ColumnType, CustomColumn, CustomTable, CustomTables};
use crate::error::{Location, Result, WixError};
use crate::model::Val;
use crate::stream::Blob;

/// Table name → its rows, as [`super::Database::tables`] holds them.
pub(super) type Tables = BTreeMap<String, Vec<(Vec<Val>, Location)>>;

/// Adds the authored tables' rows to `tables` and their streams to `streams`; returns the
/// schemas of the tables that are not standard ones.
pub(super) fn custom_tables(
    custom: &CustomTables,
    tables: &mut Tables,
    streams: &mut Streams,
) -> Result<BTreeMap<String, Vec<CustomColumn>>> {
    let mut defs: BTreeMap<&str, &CustomTable> = BTreeMap::new();
    for t in &custom.tables {
        if crate::tables::schema(&t.id).is_some() {
            return Err(WixError::new(
                t.loc.clone(),
                format!(
                    "CustomTable `{}` is a standard Windows Installer table; only new tables can be defined",
                    t.id
                ),
            ));
        }
        if let Some(prev) = defs.insert(&t.id, t) {
            return Err(WixError::new(
                t.loc.clone(),
                format!("duplicate CustomTable `{}`; first at {}", t.id, prev.loc),
            ));
        }
    }
    let mut schemas = BTreeMap::new();
    for t in defs.values().filter(|t| !t.unreal) {
        let cols: Vec<CustomColumn> = t.columns.iter().filter(|c| !c.unreal).cloned().collect();
        schemas.insert(t.id.clone(), cols);
        tables.entry(t.id.clone()).or_default();
    }
    for row in &custom.rows {
        let Some(def) = defs.get(row.table.as_str()) else {
            return Err(WixError::new(
                row.loc.clone(),
                format!(
                    "Row for table `{}`: no CustomTable with columns defines it",
                    row.table
                ),
            ));
        };
        let (values, stream_cells) = typed_row(def, row)?;
        if def.unreal {
            continue;
        }
        let real: Vec<usize> = (0..def.columns.len())
            .filter(|&i| !def.columns[i].unreal)
            .collect();
        // The stream of a binary cell is named after the row's primary key.
        let key: Vec<String> = real
            .iter()
            .filter(|&&i| def.columns[i].primary_key)
            .map(|&i| values[i].text())
            .collect();
        for (i, path, loc) in stream_cells {
            if def.columns[i].unreal {
                continue;
            }
            let bytes = std::fs::read(&path).map_err(|e| {
                WixError::new(
                    loc.clone(),
                    format!(
                        "cannot read `{}` for column `{}` of table `{}`: {e}",
                        path.display(),
                        def.columns[i].name,
                        def.id
                    ),
                )
            })?;
            streams.push((format!("{}.{}", def.id, key.join("\t")), Blob::Bytes(bytes)));
        }
        let row_values = real.iter().map(|&i| values[i].clone()).collect();
        tables
            .entry(def.id.clone())
            .or_default()
            .push((row_values, row.loc.clone()));
    }
    for (id, loc) in &custom.ensured {
        match defs.get(id.as_str()) {
            Some(t) if t.unreal => {}
            Some(_) => {}
            None if crate::tables::schema(id).is_some() => {
                tables.entry(id.clone()).or_default();
            }
            None => {
                return Err(WixError::new(
                    loc.clone(),
                    format!(
                        "table `{id}` is neither a standard table nor defined by a CustomTable"
                    ),
                ))
            }
        }
    }
    Ok(schemas)
}

/// A binary cell: column index, the file it names, where it was authored.
type StreamCell = (usize, std::path::PathBuf, Location);

/// The row's value for every column of `def` (null where no `Data` names it), and its
/// binary cells.
fn typed_row(
    def: &CustomTable,
    row: &crate::custom_table::CustomRow,
) -> Result<(Vec<Val>, Vec<StreamCell>)> {
    let mut values = vec![Val::Null; def.columns.len()];
    let mut set = vec![false; def.columns.len()];
    let mut stream_cells = Vec::new();
    for cell in &row.cells {
        let Some(i) = def.columns.iter().position(|c| c.name == cell.column) else {
            return Err(WixError::new(
                cell.loc.clone(),
                format!(
                    "Data: table `{}` has no column `{}`; its columns: {}",
                    def.id,
                    cell.column,
                    def.columns
                        .iter()
                        .map(|c| c.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        };
        if std::mem::replace(&mut set[i], true) {
            return Err(WixError::new(
                cell.loc.clone(),
                format!("Data: column `{}` is given twice in this row", cell.column),
            ));
        }
        let col = &def.columns[i];
        if cell.value.is_empty() {
            continue;
        }
        values[i] = match col.kind {
            ColumnType::Str => Val::Str(cell.value.clone()),
            ColumnType::Int => Val::Int(cell.value.trim().parse().map_err(|_| {
                WixError::new(
                    cell.loc.clone(),
                    format!(
                        "Data: column `{}` of table `{}` is an integer column; `{}` is not an integer",
                        col.name, def.id, cell.value
                    ),
                )
            })?),
            ColumnType::Binary => {
                stream_cells.push((i, cell.source.clone(), cell.loc.clone()));
                Val::Str(cell.value.clone())
            }
        };
    }
    for (i, col) in def.columns.iter().enumerate() {
        if values[i] == Val::Null && !col.nullable && !col.unreal {
            return Err(WixError::new(
                row.loc.clone(),
                format!(
                    "Row of table `{}`: column `{}` is not nullable and has no value",
                    def.id, col.name
                ),
            ));
        }
    }
    Ok((values, stream_cells))
}

#[cfg(test)]
mod tests {
    use crate::{compile, CompileOptions};

    fn build(body: &str) -> crate::Result<crate::Compiled> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("blob.bin"), b"bytes").unwrap();
        let src = dir.path().join("t.wxs");
        let text = format!(
            r#"<Wix xmlns="http://wixtoolset.org/schemas/v4/wxs"><Package Name="T" Manufacturer="M" Version="1.0" UpgradeCode="9D1B8F0C-6E2A-4B57-8C33-0F4E5A6B7C82">
{body}
</Package></Wix>"#
        );
        std::fs::write(&src, text).unwrap();
        let mut opts = CompileOptions::new("x64");
        opts.current_dir = dir.path().to_path_buf();
        opts.threads = 1;
        compile(&[src], &opts)
    }

    const TABLE: &str = r#"<CustomTable Id="Things">
  <Column Id="Name" Type="string" PrimaryKey="yes" Width="72" />
  <Column Id="Count" Type="int" Width="4" Nullable="yes" />
  <Column Id="Data" Type="binary" Nullable="yes" />
  <Row><Data Column="Name" Value="One" /><Data Column="Count" Value="7" /><Data Column="Data" Value="blob.bin" /></Row>
  <Row><Data Column="Name" Value="Two" /></Row>
</CustomTable>"#;

    #[test]
    fn rows_are_typed_and_binary_cells_become_streams() {
        let c = build(TABLE).unwrap();
        let rows = &c.database.tables["Things"];
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].0[1], crate::model::Val::Int(7));
        assert_eq!(rows[1].0[1], crate::model::Val::Null);
        let names: Vec<&str> = c.database.streams.iter().map(|(n, _)| n.as_str()).collect();
        assert!(names.contains(&"Things.One"), "{names:?}");
        assert_eq!(c.database.custom_schemas["Things"].len(), 3);
    }

    #[test]
    fn ensured_and_unreal_tables() {
        let unreal = TABLE.replace(r#"Id="Things">"#, r#"Id="Things" Unreal="yes">"#);
        let c = build(&unreal).unwrap();
        assert!(!c.database.tables.contains_key("Things"));
        let c = build(r#"<EnsureTable Id="RemoveFile" />"#).unwrap();
        assert!(c.database.tables["RemoveFile"].is_empty());
    }

    #[test]
    fn bad_cells_are_located_errors() {
        let unknown = TABLE.replace(
            r#"<Data Column="Name" Value="Two" />"#,
            r#"<Data Column="Nope" Value="x" />"#,
        );
        let e = build(&unknown).unwrap_err();
        assert!(e.message.contains("no column `Nope`"), "{e}");
        assert_eq!(e.location.line, 7);
        let not_int = TABLE.replace(r#"Value="7""#, r#"Value="seven""#);
        let e = build(&not_int).unwrap_err();
        assert!(e.message.contains("not an integer"), "{e}");
        let missing = TABLE.replace(r#"<Data Column="Name" Value="Two" />"#, "");
        assert!(build(&missing)
            .unwrap_err()
            .message
            .contains("not nullable"));
        let e = build(r#"<CustomTable Id="NoKey"><Column Id="A" Type="string" /></CustomTable>"#)
            .unwrap_err();
        assert!(e.message.contains("no primary key"), "{e}");
        let e = build(
            r#"<CustomTable Id="W"><Column Id="A" Type="int" PrimaryKey="yes" /></CustomTable>"#,
        )
        .unwrap_err();
        assert!(e.message.contains("2 or 4"), "{e}");
        let e = build(r#"<EnsureTable Id="Nowhere" />"#).unwrap_err();
        assert!(e.message.contains("Nowhere"), "{e}");
    }
}
