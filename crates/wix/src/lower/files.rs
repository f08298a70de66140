//! The File rows (long|short names salted as WiX salts them, sizes, versions, sequence
//! numbers) and, for unversioned files, their MsiFileHash rows.

use super::payload::FileData;
use crate::model::{FileDef, Row, Val};
use crate::xml::Dialect;

/// File and MsiFileHash rows, in authoring order.
pub(super) fn file_rows(
    dialect: Dialect,
    files: &[FileDef],
    data: &[FileData],
    sequence: &[i32],
) -> Vec<Row> {
    let mut table_rows = Vec::new();
    for (i, f) in files.iter().enumerate() {
        // WiX v3 salts generated short names with the component, v4 with the directory.
        let salt = if dialect == Dialect::V3 {
            &f.component
        } else {
            &f.directory
        };
        let file_name = crate::shortname::msi_filename(
            dialect,
            &f.name,
            f.short_name.as_deref(),
            false,
            "File",
            salt,
        );
        table_rows.push(Row {
            table: "File",
            values: vec![
                f.id.clone().into(),
                f.component.clone().into(),
                file_name.into(),
                (data[i].source.size as i32).into(),
                Val::opt_str(data[i].version.clone()),
                Val::opt_str(data[i].language.clone()),
                Val::opt_int((f.attributes != 0).then_some(f.attributes)),
                sequence[i].into(),
            ],
            loc: f.loc.clone(),
        });
        if data[i].version.is_none() {
            let h = msi_file_hash(&data[i].source.md5);
            table_rows.push(Row {
                table: "MsiFileHash",
                values: vec![
                    f.id.clone().into(),
                    0.into(),
                    h[0].into(),
                    h[1].into(),
                    h[2].into(),
                    h[3].into(),
                ],
                loc: f.loc.clone(),
            });
        }
    }

    table_rows
}

/// MsiFileHash: the MD5 of the file as four little-endian signed integers.
fn msi_file_hash(d: &[u8; 16]) -> [i32; 4] {
    let mut out = [0i32; 4];
    for (i, o) in out.iter_mut().enumerate() {
        *o = i32::from_le_bytes([d[i * 4], d[i * 4 + 1], d[i * 4 + 2], d[i * 4 + 3]]);
    }
    out
}
