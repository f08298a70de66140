//! The Binary and Icon tables: a row per authored stream, whose bytes become the MSI
//! stream `<table>.<id>`.

use crate::error::{Result, WixError};
use crate::model::{Row, StreamDef, Val};
use crate::stream::Blob;

/// Named MSI streams: (stream name, contents).
pub(super) type Streams = Vec<(String, Blob)>;

/// The rows and the streams, in authoring order.
pub(super) fn binary_rows(streams: &[StreamDef]) -> Result<(Vec<Row>, Streams)> {
    let mut table_rows = Vec::new();
    let mut out_streams = Vec::new();
    for s in streams {
        let bytes = std::fs::read(&s.source).map_err(|e| {
            WixError::new(
                s.loc.clone(),
                format!(
                    "cannot read `{}` for {} `{}`: {e}",
                    s.source.display(),
                    s.table,
                    s.id
                ),
            )
        })?;
        table_rows.push(Row {
            table: s.table,
            values: vec![s.id.clone().into(), Val::Str(String::new())],
            loc: s.loc.clone(),
        });
        out_streams.push((format!("{}.{}", s.table, s.id), Blob::Bytes(bytes)));
    }

    Ok((table_rows, out_streams))
}
