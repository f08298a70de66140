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
) -> Result<()> {
    let loc = Location::file("<msi>");
    let io = |what: &str, e: std::io::Error| WixError::new(loc.clone(), format!("{what}: {e}"));
    let cp = msi::CodePage::from_id(codepage)
        .ok_or_else(|| WixError::new(loc.clone(), format!("unsupported codepage {codepage}")))?;
    let mut schemas: Vec<(&str, Vec<msi::Column>)> = vec![("_Validation", validation_columns())];
    for name in tables.keys() {
        let cols = super::tables::schema(name)
            .ok_or_else(|| WixError::new(loc.clone(), format!("internal: no schema for {name}")))?;
        schemas.push((name.as_str(), cols));
    }
    let meta = schema_rows(&schemas).map_err(|e| io("describing the tables", e))?;
    // _Columns and _Validation rows per table, in the crate's order within each table.
    let mut columns_of: BTreeMap<String, Vec<&Vec<msi::Value>>> = BTreeMap::new();
    for r in &meta.columns {
        if let Some(t) = r[0].as_str() {
            columns_of.entry(t.to_string()).or_default().push(r);
        }
    }
    let mut validation_of: BTreeMap<String, Vec<&Vec<msi::Value>>> = BTreeMap::new();
    for r in &meta.validation {
        if let Some(t) = r[0].as_str() {
            validation_of.entry(t.to_string()).or_default().push(r);
        }
    }

    let mut pool = StringPool::new(cp);
    let msi_cell = |pool: &mut StringPool, v: &msi::Value, k: Kind| match (v, k) {
        (_, Kind::Binary) => Cell::Binary,
        (msi::Value::Null, _) => Cell::Null,
        (msi::Value::Int(i), _) => Cell::Int(*i),
        (msi::Value::Str(s), _) => match pool.intern(s) {
            0 => Cell::Null,
            id => Cell::Str(id),
        },
        (msi::Value::Binary, _) => Cell::Binary,
    };
    let kinds_of = |cols: &[msi::Column]| cols.iter().map(kind).collect::<Vec<_>>();
    let sys_columns = [Kind::Str, Kind::I16, Kind::Str, Kind::I16];
    let mut t_columns = Encoded {
        name: "_Columns".into(),
        kinds: sys_columns.to_vec(),
        rows: Vec::new(),
    };
    let mut t_tables = Encoded {
        name: "_Tables".into(),
        kinds: vec![Kind::Str],
        rows: Vec::new(),
    };
    let mut t_validation = Encoded {
        name: "_Validation".into(),
        kinds: kinds_of(&validation_columns()),
        rows: Vec::new(),
    };
    let mut encoded: Vec<Encoded> = Vec::new();
    let empty: Vec<(Vec<Val>, Location)> = Vec::new();
    // String ids in the order the `msi` crate assigned them: per table its _Columns,
    // _Tables and _Validation rows, then its own rows.
    for (name, cols) in &schemas {
        for r in columns_of.get(*name).into_iter().flatten() {
            let row = r
                .iter()
                .zip(&sys_columns)
                .map(|(v, &k)| msi_cell(&mut pool, v, k))
                .collect();
            t_columns.rows.push(row);
        }
        let id = pool.intern(name);
        t_tables.rows.push(vec![Cell::Str(id)]);
        for r in validation_of.get(*name).into_iter().flatten() {
            let row = r
                .iter()
                .zip(&t_validation.kinds.clone())
                .map(|(v, &k)| msi_cell(&mut pool, v, k))
                .collect();
            t_validation.rows.push(row);
        }
        if *name == "_Validation" {
            continue;
        }
        let kinds = kinds_of(cols);
        let rows = tables.get(*name).unwrap_or(&empty);
        let mut out = Vec::with_capacity(rows.len());
        for (values, rloc) in rows {
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
            for ((v, col), &k) in values.iter().zip(cols).zip(&kinds) {
                let value = match (v, k) {
                    (_, Kind::Binary) => msi::Value::Binary,
                    (Val::Null, _) => msi::Value::Null,
                    (Val::Int(i), _) => msi::Value::Int(*i),
                    (Val::Str(s), _) => msi::Value::Str(s.clone()),
                };
                let valid = col.is_valid_value(&value)
                    || match &value {
                        // Judge everything but the length where WiX does not enforce it.
                        msi::Value::Str(s) if !crate::tables::enforces_width(name, col.name()) => {
                            let head: String = s.chars().take(255).collect();
                            col.is_valid_value(&msi::Value::Str(head))
                        }
                        _ => false,
                    };
                if !valid {
                    return Err(WixError::new(
                        rloc.clone(),
                        format!(
                            "writing table {name}: {value} is not a valid value for column {:?}",
                            col.name()
                        ),
                    ));
                }
                row.push(match (v, k) {
                    (_, Kind::Binary) => Cell::Binary,
                    (Val::Null, _) => Cell::Null,
                    (Val::Int(i), _) => Cell::Int(*i),
                    (Val::Str(s), _) => match pool.intern(s) {
                        0 => Cell::Null,
                        id => Cell::Str(id),
                    },
                });
            }
            out.push(row);
        }
        encoded.push(Encoded {
            name: name.to_string(),
            kinds,
            rows: out,
        });
    }
    if pool.len() > MAX_STRING_ID {
        return Err(WixError::new(
            loc.clone(),
            format!(
                "the package has {} distinct strings; Windows Installer holds at most {MAX_STRING_ID}",
                pool.len()
            ),
        ));
    }
    let long = pool.long_refs();
    encoded.push(t_columns);
    encoded.push(t_tables);
    encoded.push(t_validation);
    for t in &mut encoded {
        if t.rows.is_empty() {
            continue;
        }
        // Sorted by every non-binary column's stored value (string ids, not text), as
        // Windows Installer keeps its tables.
        let keys: Vec<usize> = (0..t.kinds.len())
            .filter(|&i| t.kinds[i] != Kind::Binary)
            .collect();
        t.rows.sort_by(|a, b| {
            keys.iter()
                .map(|&i| a[i].cmp(&b[i]))
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        let mut bytes = Vec::new();
        for (c, k) in t.kinds.iter().enumerate() {
            for row in &t.rows {
                encode_cell(&mut bytes, row[c], *k, long);
            }
        }
        let stream = encode_stream_name(&t.name, true);
        let mut w = comp
            .create_stream(&stream)
            .map_err(|e| io(&format!("creating table {}", t.name), e))?;
        w.write_all(&bytes)
            .map_err(|e| io(&format!("writing table {}", t.name), e))?;
    }
    let mut w = comp
        .create_stream(encode_stream_name("_StringPool", true))
        .map_err(|e| io("creating the string pool", e))?;
    w.write_all(&pool.pool_bytes())
        .map_err(|e| io("writing the string pool", e))?;
    drop(w);
    let mut w = comp
        .create_stream(encode_stream_name("_StringData", true))
        .map_err(|e| io("creating the string data", e))?;
    pool.write_data(&mut w)
        .map_err(|e| io("writing the string data", e))?;
    Ok(())
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
