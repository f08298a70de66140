//! The MSI database encoding: string pool (`_StringPool`/`_StringData`), the system tables
//! (`_Tables`, `_Columns`, `_Validation`), every table's column-major stream and the
//! mangled stream names, written into a compound file.
//!
//! Hand-written rather than using the `msi` crate's writer because that writer
//! - writes only 2-byte string references, so it panics past 65,535 distinct strings,
//!   where Windows Installer switches to 3-byte references (bit 31 of the pool header);
//! - rejects tables of more than 65,536 rows;
//! - finds strings by a linear scan of the pool and rewrites a table's stream on every
//!   insert, so a package with N files took O(N²) time.
//!
//! The on-disk format is Windows Installer's, as Wine (`dlls/msi/string.c`, `table.c`) and
//! msitools (`libmsi/string.c`) read and write it. The `msi` crate is still used for the
//! column definitions ([`super::tables`]), value validation and reading packages back.

use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Seek, Write};

use super::error::{Location, Result, WixError};
use super::model::Val;

/// Bit 31 of the `_StringPool` header: string references are 3 bytes wide.
const LONG_STRING_REFS: u32 = 0x8000_0000;
/// The largest string id a 3-byte reference holds.
const MAX_STRING_ID: usize = 0xFF_FFFF;

/// The table name prefix character of an encoded stream name.
const TABLE_PREFIX: char = '\u{4840}';

/// Encodes a stream name as Windows Installer stores it in the compound file: pairs of
/// `[0-9A-Za-z._]` characters packed into one character, tables prefixed with U+4840.
pub fn encode_stream_name(name: &str, is_table: bool) -> String {
    fn b64(c: char) -> Option<u32> {
        match c {
            '0'..='9' => Some(c as u32 - '0' as u32),
            'A'..='Z' => Some(10 + c as u32 - 'A' as u32),
            'a'..='z' => Some(36 + c as u32 - 'a' as u32),
            '.' => Some(62),
            '_' => Some(63),
            _ => None,
        }
    }
    let mut out = String::new();
    if is_table {
        out.push(TABLE_PREFIX);
    }
    let mut chars = name.chars().peekable();
    while let Some(c1) = chars.next() {
        match b64(c1) {
            Some(v1) => match chars.peek().copied().and_then(b64) {
                Some(v2) => {
                    chars.next();
                    out.push(char::from_u32(0x3800 + (v2 << 6) + v1).unwrap_or('?'));
                }
                None => out.push(char::from_u32(0x4800 + v1).unwrap_or('?')),
            },
            None => out.push(c1),
        }
    }
    out
}

/// The string pool: ids by first use, a hash lookup per string.
pub struct StringPool {
    codepage: msi::CodePage,
    ids: HashMap<String, u32>,
    /// (encoded bytes, reference count), id = index + 1.
    strings: Vec<(Vec<u8>, u32)>,
}

impl StringPool {
    pub fn new(codepage: msi::CodePage) -> StringPool {
        StringPool {
            codepage,
            ids: HashMap::new(),
            strings: Vec::new(),
        }
    }

    /// The id of `s` (0 for the empty string, which Windows Installer stores as null),
    /// counting one more reference.
    pub fn intern(&mut self, s: &str) -> u32 {
        if s.is_empty() {
            return 0;
        }
        if let Some(&id) = self.ids.get(s) {
            self.strings[id as usize - 1].1 += 1;
            return id;
        }
        self.strings.push((self.codepage.encode(s), 1));
        let id = self.strings.len() as u32;
        self.ids.insert(s.to_string(), id);
        id
    }

    pub fn len(&self) -> usize {
        self.strings.len()
    }

    pub fn is_empty(&self) -> bool {
        self.strings.is_empty()
    }

    /// Whether references need 3 bytes: Windows Installer switches when the pool has more
    /// than 0xFFFF slots, slot 0 (null) included.
    pub fn long_refs(&self) -> bool {
        self.strings.len() + 1 > 0xFFFF
    }

    /// `_StringPool`: the codepage (bit 31: long references), then per string its length
    /// and reference count; a string of 64 KiB or more is preceded by an entry of length 0
    /// carrying the high 16 bits of its length.
    pub fn pool_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + 4 * self.strings.len());
        let mut header = self.codepage.id() as u32;
        if self.long_refs() {
            header |= LONG_STRING_REFS;
        }
        out.extend(header.to_le_bytes());
        for (bytes, refs) in &self.strings {
            let len = bytes.len() as u32;
            // A count of 0 reads as "unused slot", so it saturates instead of wrapping.
            let refs = (*refs).clamp(1, 0xFFFF) as u16;
            if len >= 0x1_0000 {
                out.extend(0u16.to_le_bytes());
                out.extend(((len >> 16) as u16).to_le_bytes());
            }
            out.extend((len as u16).to_le_bytes());
            out.extend(refs.to_le_bytes());
        }
        out
    }

    /// `_StringData`: every string's bytes, in id order, without separators.
    pub fn write_data(&self, w: &mut impl Write) -> std::io::Result<()> {
        for (bytes, _) in &self.strings {
            w.write_all(bytes)?;
        }
        Ok(())
    }
}

/// A column's on-disk cell.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Cell {
    Null,
    Int(i32),
    Str(u32),
    Binary,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    I16,
    I32,
    Str,
    Binary,
}

fn kind(c: &msi::Column) -> Kind {
    match c.coltype() {
        msi::ColumnType::Int16 => Kind::I16,
        msi::ColumnType::Int32 => Kind::I32,
        msi::ColumnType::Binary => Kind::Binary,
        msi::ColumnType::Str(_) => {
            if c.category() == Some(msi::Category::Binary) {
                Kind::Binary
            } else {
                Kind::Str
            }
        }
    }
}

/// One table ready to be encoded: its columns and cells.
struct Encoded {
    name: String,
    kinds: Vec<Kind>,
    rows: Vec<Vec<Cell>>,
}

/// The system-table rows the `msi` crate derives from column definitions: `_Columns`
/// (table, number, name, type bits) and `_Validation`, taken from a schema-only package
/// so they stay exactly what the crate's definitions say.
struct SchemaRows {
    columns: Vec<Vec<msi::Value>>,
    validation: Vec<Vec<msi::Value>>,
}

fn schema_rows(tables: &[(&str, Vec<msi::Column>)]) -> std::io::Result<SchemaRows> {
    let mut pkg = msi::Package::create(
        msi::PackageType::Installer,
        std::io::Cursor::new(Vec::new()),
    )?;
    // The crate creates `_Validation` itself.
    for (name, cols) in tables.iter().filter(|(n, _)| *n != "_Validation") {
        pkg.create_table(*name, cols.clone())?;
    }
    let collect = |pkg: &mut msi::Package<_>, t: &str| -> std::io::Result<Vec<Vec<msi::Value>>> {
        let rows = pkg.select_rows(msi::Select::table(t))?;
        Ok(rows
            .map(|r| (0..r.len()).map(|i| r[i].clone()).collect())
            .collect())
    };
    Ok(SchemaRows {
        columns: collect(&mut pkg, "_Columns")?,
        validation: collect(&mut pkg, "_Validation")?,
    })
}

fn validation_columns() -> Vec<msi::Column> {
    let min = -0x7fff_ffff;
    let max = 0x7fff_ffff;
    use msi::Column;
    vec![
        Column::build("Table").primary_key().id_string(32),
        Column::build("Column").primary_key().id_string(32),
        Column::build("Nullable").enum_values(&["Y", "N"]).string(4),
        Column::build("MinValue").nullable().range(min, max).int32(),
        Column::build("MaxValue").nullable().range(min, max).int32(),
        Column::build("KeyTable").nullable().id_string(255),
        Column::build("KeyColumn").nullable().range(1, 32).int16(),
        Column::build("Category").nullable().string(32),
        Column::build("Set").nullable().text_string(255),
        Column::build("Description").nullable().text_string(255),
    ]
}

/// Writes the database's tables and string pool into `comp`: streams named as Windows
/// Installer names them, rows sorted as it sorts them (by each column's stored value).
pub fn write_tables<F: Read + Write + Seek>(
    comp: &mut cfb::CompoundFile<F>,
    codepage: i32,
    tables: &BTreeMap<String, Vec<(Vec<Val>, Location)>>,
    custom_schemas: &BTreeMap<String, Vec<super::custom_table::CustomColumn>>,
) -> Result<()> {
    let cp = msi::CodePage::from_id(codepage)
        .ok_or_else(|| db_error(format!("unsupported codepage {codepage}")))?;
    let schemas = table_schemas(tables, custom_schemas)?;
    let meta = schema_rows(&schemas).map_err(|e| io_error("describing the tables", e))?;
    let mut encoder = Encoder::new(cp, &meta);
    for (name, cols) in &schemas {
        let rows = tables.get(*name).map_or(&[][..], Vec::as_slice);
        encoder.table(name, cols, rows)?;
    }
    let (mut encoded, pool) = encoder.finish()?;
    let long = pool.long_refs();
    for t in encoded.iter_mut().filter(|t| !t.rows.is_empty()) {
        t.sort_rows();
        let bytes = t.stream_bytes(long);
        let what = format!("table {}", t.name);
        write_stream(comp, &encode_stream_name(&t.name, true), &what, |w| {
            w.write_all(&bytes)
        })?;
    }
    write_stream(
        comp,
        &encode_stream_name("_StringPool", true),
        "the string pool",
        |w| w.write_all(&pool.pool_bytes()),
    )?;
    write_stream(
        comp,
        &encode_stream_name("_StringData", true),
        "the string data",
        |w| pool.write_data(w),
    )
}

/// An error about the database as a whole (no source location applies).
fn db_error(message: String) -> WixError {
    WixError::new(Location::file("<msi>"), message)
}

fn io_error(what: &str, e: std::io::Error) -> WixError {
    db_error(format!("{what}: {e}"))
}

/// Creates stream `name` and fills it; errors name what the stream holds (`what`).
fn write_stream<F: Read + Write + Seek>(
    comp: &mut cfb::CompoundFile<F>,
    name: &str,
    what: &str,
    fill: impl FnOnce(&mut cfb::Stream<F>) -> std::io::Result<()>,
) -> Result<()> {
    let mut w = comp
        .create_stream(name)
        .map_err(|e| io_error(&format!("creating {what}"), e))?;
    fill(&mut w).map_err(|e| io_error(&format!("writing {what}"), e))
}

/// Every table's columns, `_Validation`'s first: standard tables' from
/// [`super::tables`], authored ones' from their CustomTable definition.
fn table_schemas<'t>(
    tables: &'t BTreeMap<String, Vec<(Vec<Val>, Location)>>,
    custom_schemas: &BTreeMap<String, Vec<super::custom_table::CustomColumn>>,
) -> Result<Vec<(&'t str, Vec<msi::Column>)>> {
    let mut schemas: Vec<(&str, Vec<msi::Column>)> = vec![("_Validation", validation_columns())];
    for name in tables.keys() {
        let cols = super::tables::schema(name)
            .or_else(|| {
                let cols = custom_schemas.get(name)?;
                Some(cols.iter().map(|c| c.to_msi()).collect())
            })
            .ok_or_else(|| db_error(format!("internal: no schema for {name}")))?;
        schemas.push((name.as_str(), cols));
    }
    Ok(schemas)
}

/// `_Columns` or `_Validation` rows grouped by the table they describe, in the `msi`
/// crate's order within each table.
fn rows_by_table(rows: &[Vec<msi::Value>]) -> BTreeMap<String, Vec<&Vec<msi::Value>>> {
    let mut of: BTreeMap<String, Vec<&Vec<msi::Value>>> = BTreeMap::new();
    for r in rows {
        if let Some(t) = r[0].as_str() {
            of.entry(t.to_string()).or_default().push(r);
        }
    }
    of
}

/// The tables as cells, with the string pool they refer to. String ids are assigned in
/// the order the `msi` crate assigns them: per table its `_Columns`, `_Tables` and
/// `_Validation` rows, then its own rows.
struct Encoder<'m> {
    pool: StringPool,
    columns_of: BTreeMap<String, Vec<&'m Vec<msi::Value>>>,
    validation_of: BTreeMap<String, Vec<&'m Vec<msi::Value>>>,
    t_columns: Encoded,
    t_tables: Encoded,
    t_validation: Encoded,
    encoded: Vec<Encoded>,
}

impl<'m> Encoder<'m> {
    fn new(cp: msi::CodePage, meta: &'m SchemaRows) -> Self {
        let system = |name: &str, kinds: Vec<Kind>| Encoded {
            name: name.into(),
            kinds,
            rows: Vec::new(),
        };
        Encoder {
            pool: StringPool::new(cp),
            columns_of: rows_by_table(&meta.columns),
            validation_of: rows_by_table(&meta.validation),
            t_columns: system("_Columns", vec![Kind::Str, Kind::I16, Kind::Str, Kind::I16]),
            t_tables: system("_Tables", vec![Kind::Str]),
            t_validation: system("_Validation", kinds_of(&validation_columns())),
            encoded: Vec::new(),
        }
    }

    /// Table `name`: its system-table rows, then (except for `_Validation`, which holds
    /// only those) its own rows.
    fn table(
        &mut self,
        name: &str,
        cols: &[msi::Column],
        rows: &[(Vec<Val>, Location)],
    ) -> Result<()> {
        for r in self.columns_of.get(name).into_iter().flatten() {
            let row = system_cells(&mut self.pool, r, &self.t_columns.kinds);
            self.t_columns.rows.push(row);
        }
        let id = self.pool.intern(name);
        self.t_tables.rows.push(vec![Cell::Str(id)]);
        for r in self.validation_of.get(name).into_iter().flatten() {
            let row = system_cells(&mut self.pool, r, &self.t_validation.kinds);
            self.t_validation.rows.push(row);
        }
        if name == "_Validation" {
            return Ok(());
        }
        let kinds = kinds_of(cols);
        let mut out = Vec::with_capacity(rows.len());
        for (values, rloc) in rows {
            out.push(self.row(name, cols, &kinds, values, rloc)?);
        }
        self.encoded.push(Encoded {
            name: name.to_string(),
            kinds,
            rows: out,
        });
        Ok(())
    }

    /// One row of table `name` as cells, each value checked against its column.
    fn row(
        &mut self,
        name: &str,
        cols: &[msi::Column],
        kinds: &[Kind],
        values: &[Val],
        rloc: &Location,
    ) -> Result<Vec<Cell>> {
        if values.len() != cols.len() {
            return Err(WixError::new(
                rloc.clone(),
                format!(
                    "internal: table {name} has {} columns, but a row has {} values",
                    cols.len(),
                    values.len()
                ),
            ));
        }
        let mut row = Vec::with_capacity(values.len());
        for ((v, col), &k) in values.iter().zip(cols).zip(kinds) {
            let value = checked_value(name, col, v, k, rloc)?;
            row.push(cell(&mut self.pool, &value, k));
        }
        Ok(row)
    }

    /// Every table, the system tables last, and the string pool; more strings than
    /// 3-byte references reach is an error.
    fn finish(self) -> Result<(Vec<Encoded>, StringPool)> {
        if self.pool.len() > MAX_STRING_ID {
            return Err(db_error(format!(
                "the package has {} distinct strings; Windows Installer holds at most {MAX_STRING_ID}",
                self.pool.len()
            )));
        }
        let mut encoded = self.encoded;
        encoded.push(self.t_columns);
        encoded.push(self.t_tables);
        encoded.push(self.t_validation);
        Ok((encoded, self.pool))
    }
}

fn kinds_of(cols: &[msi::Column]) -> Vec<Kind> {
    cols.iter().map(kind).collect()
}

/// A `_Columns` or `_Validation` row as cells.
fn system_cells(pool: &mut StringPool, r: &[msi::Value], kinds: &[Kind]) -> Vec<Cell> {
    r.iter()
        .zip(kinds)
        .map(|(v, &k)| cell(pool, v, k))
        .collect()
}

/// A value's cell; strings are interned (the empty string is null).
fn cell(pool: &mut StringPool, v: &msi::Value, k: Kind) -> Cell {
    match (v, k) {
        (_, Kind::Binary) => Cell::Binary,
        (msi::Value::Null, _) => Cell::Null,
        (msi::Value::Int(i), _) => Cell::Int(*i),
        (msi::Value::Str(s), _) => match pool.intern(s) {
            0 => Cell::Null,
            id => Cell::Str(id),
        },
        (msi::Value::Binary, _) => Cell::Binary,
    }
}

/// `v` as the `msi` crate's value, once its column's definition accepts it (the length
/// aside where WiX does not enforce it).
fn checked_value(
    table: &str,
    col: &msi::Column,
    v: &Val,
    k: Kind,
    rloc: &Location,
) -> Result<msi::Value> {
    let value = match (v, k) {
        (_, Kind::Binary) => msi::Value::Binary,
        (Val::Null, _) => msi::Value::Null,
        (Val::Int(i), _) => msi::Value::Int(*i),
        (Val::Str(s), _) => msi::Value::Str(s.clone()),
    };
    let valid = col.is_valid_value(&value)
        || set_exempt(table, col, &value)
        || match &value {
            // Judge everything but the length where WiX does not enforce it.
            msi::Value::Str(s) if !crate::tables::enforces_width(table, col.name()) => {
                let head: String = s.chars().take(255).collect();
                col.is_valid_value(&msi::Value::Str(head))
            }
            _ => false,
        };
    if !valid {
        return Err(WixError::new(
            rloc.clone(),
            format!(
                "writing table {table}: {value} is not a valid value for column {:?}",
                col.name()
            ),
        ));
    }
    Ok(value)
}

impl Encoded {
    /// Sorts the rows by every non-binary column's stored value (string ids, not text),
    /// as Windows Installer keeps its tables.
    fn sort_rows(&mut self) {
        let keys: Vec<usize> = (0..self.kinds.len())
            .filter(|&i| self.kinds[i] != Kind::Binary)
            .collect();
        self.rows.sort_by(|a, b| {
            keys.iter()
                .map(|&i| a[i].cmp(&b[i]))
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
        });
    }

    /// The table's stream: the cells column by column.
    fn stream_bytes(&self, long: bool) -> Vec<u8> {
        let mut bytes = Vec::new();
        for (c, k) in self.kinds.iter().enumerate() {
            for row in &self.rows {
                encode_cell(&mut bytes, row[c], *k, long);
            }
        }
        bytes
    }
}

/// Values outside a column's `_Validation` set that Windows Installer nevertheless reads and
/// WiX writes: `LockPermissions.Table` is `CreateFolder` for a folder's permissions (the
/// table reference the LockPermissions documentation gives,
/// <https://learn.microsoft.com/windows/win32/msi/lockpermissions-table>), though the SDK's
/// set lists `Directory`.
fn set_exempt(table: &str, col: &msi::Column, value: &msi::Value) -> bool {
    table == "LockPermissions" && col.name() == "Table" && value.as_str() == Some("CreateFolder")
}

fn encode_cell(out: &mut Vec<u8>, cell: Cell, kind: Kind, long: bool) {
    match kind {
        Kind::I16 => {
            let v = match cell {
                Cell::Int(i) => (i as u16) ^ 0x8000,
                _ => 0,
            };
            out.extend(v.to_le_bytes());
        }
        Kind::I32 => {
            let v = match cell {
                Cell::Int(i) => (i as u32) ^ 0x8000_0000,
                _ => 0,
            };
            out.extend(v.to_le_bytes());
        }
        Kind::Str => {
            let id = match cell {
                Cell::Str(id) => id,
                _ => 0,
            };
            out.extend((id as u16).to_le_bytes());
            if long {
                out.push((id >> 16) as u8);
            }
        }
        // What Windows Installer stores for a stream column (the stream itself is named
        // `Table.Key`).
        Kind::Binary => out.extend(1u16.to_le_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_names_pack_pairs_of_characters() {
        assert_eq!(
            encode_stream_name("_StringPool", true),
            msi_encode("_StringPool", true)
        );
        assert_eq!(encode_stream_name("Binary.Icon", false).chars().count(), 6);
    }

    fn msi_encode(name: &str, table: bool) -> String {
        // The same rule, spelled out: U+4840 prefix, 0x3800 + (second << 6) + first.
        let mut s = String::new();
        if table {
            s.push('\u{4840}');
        }
        s + &encode_stream_name(name, false)
    }

    #[test]
    fn long_references_start_past_65535_slots() {
        let mut p = StringPool::new(msi::CodePage::Windows1252);
        for i in 0..65_534 {
            p.intern(&format!("s{i}"));
        }
        assert!(!p.long_refs());
        p.intern("one more");
        assert!(p.long_refs());
        assert_eq!(p.pool_bytes()[3] & 0x80, 0x80);
    }

    #[test]
    fn strings_of_64k_and_more_carry_their_high_length_first() {
        let mut p = StringPool::new(msi::CodePage::Windows1252);
        p.intern(&"x".repeat(0x1_0005));
        let b = p.pool_bytes();
        assert_eq!(&b[4..], &[0, 0, 1, 0, 5, 0, 1, 0]);
    }

    #[test]
    fn empty_strings_are_null_and_counts_saturate() {
        let mut p = StringPool::new(msi::CodePage::Windows1252);
        assert_eq!(p.intern(""), 0);
        for _ in 0..70_000 {
            p.intern("a");
        }
        assert_eq!(&p.pool_bytes()[4..], &[1, 0, 0xFF, 0xFF]);
    }
}
