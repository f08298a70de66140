//! Authored tables: `CustomTable` definitions (a table's columns as the author describes
//! them), the rows `CustomTable`/`CustomTableRef` add, and the tables `EnsureTable` asks for.
//!
//! This module owns the model of those tables between parsing ([`crate::parse`]'s
//! `custom_table`) and lowering ([`crate::lower`]'s `custom_tables`), and the translation of
//! an authored column into the `msi` crate's [`Column`] (type, width, nullability, key,
//! localizable bit and the `_Validation` facts), as WiX's `WixCustomTableColumnSymbol`
//! becomes a column definition (WixToolset.Core.WindowsInstaller
//! `Bind/CreateWindowsInstallerDataFromIRCommand.cs`, `CreateCustomTable`).

use std::path::PathBuf;

use msi::{Category, Column};

use crate::error::Location;

/// A column's storage type (`Column/@Type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnType {
    /// `string`: text of at most `width` characters (0: unlimited).
    Str,
    /// `int`: a 2- or 4-byte integer (`width`).
    Int,
    /// `binary`: a stream; row data name the file whose bytes it holds.
    Binary,
}

/// One `Column` of a `CustomTable`.
#[derive(Clone, Debug)]
pub struct CustomColumn {
    pub name: String,
    pub kind: ColumnType,
    pub width: usize,
    pub primary_key: bool,
    pub nullable: bool,
    pub localizable: bool,
    /// `Unreal="yes"`: the column is described but not written to the MSI.
    pub unreal: bool,
    pub category: Option<Category>,
    pub min: Option<i32>,
    pub max: Option<i32>,
    pub key_table: Option<String>,
    pub key_column: Option<i32>,
    /// `;`-separated allowed values.
    pub set: Option<String>,
    pub loc: Location,
}

/// A `CustomTable` with columns: the definition of a table that is not a standard one.
#[derive(Clone, Debug)]
pub struct CustomTable {
    pub id: String,
    /// `Unreal="yes"`: the table exists for tools reading the build's symbols, not in the MSI.
    pub unreal: bool,
    pub columns: Vec<CustomColumn>,
    pub loc: Location,
}

/// One `Data` cell: the column it fills and its authored value; for a binary column the
/// value names a file, `source` is that name resolved as `File/@Source` is (the parser
/// cannot yet know the column's type).
#[derive(Clone, Debug)]
pub struct Cell {
    pub column: String,
    pub value: String,
    pub source: PathBuf,
    pub loc: Location,
}

/// One `Row` of a custom table, cells in authoring order (absent columns are null).
#[derive(Clone, Debug)]
pub struct CustomRow {
    pub table: String,
    pub cells: Vec<Cell>,
    pub loc: Location,
}

/// Everything one section (or, after linking, the package) says about authored tables.
#[derive(Clone, Debug, Default)]
pub struct CustomTables {
    pub tables: Vec<CustomTable>,
    pub rows: Vec<CustomRow>,
    /// `EnsureTable`/`CustomTableRef`: tables that exist in the MSI even without rows.
    pub ensured: Vec<(String, Location)>,
}

impl CustomTables {
    pub fn extend(&mut self, other: CustomTables) {
        self.tables.extend(other.tables);
        self.rows.extend(other.rows);
        self.ensured.extend(other.ensured);
    }
}

/// The bounds Windows Installer's `_Validation` holds for an integer column.
const MIN_VALUE: i32 = -0x7FFF_FFFF;
const MAX_VALUE: i32 = 0x7FFF_FFFF;

impl CustomColumn {
    /// The column as the MSI describes it in `_Columns` and `_Validation`.
    pub fn to_msi(&self) -> Column {
        let mut b = Column::build(self.name.clone());
        if self.primary_key {
            b = b.primary_key();
        }
        if self.nullable {
            b = b.nullable();
        }
        if self.localizable {
            b = b.localizable();
        }
        if self.min.is_some() || self.max.is_some() {
            b = b.range(self.min.unwrap_or(MIN_VALUE), self.max.unwrap_or(MAX_VALUE));
        }
        if let (Some(t), Some(c)) = (&self.key_table, self.key_column) {
            b = b.foreign_key(t, c);
        }
        if let Some(c) = self.category {
            b = b.category(c);
        }
        if let Some(set) = &self.set {
            let values: Vec<&str> = set.split(';').collect();
            b = b.enum_values(&values);
        }
        match self.kind {
            ColumnType::Binary => b.binary(),
            ColumnType::Int if self.width == 2 => b.int16(),
            ColumnType::Int => b.int32(),
            ColumnType::Str => b.string(self.width),
        }
    }
}

/// WiX's `Column/@Category` names.
pub fn category(name: &str) -> Option<Category> {
    Some(match name {
        "text" => Category::Text,
        "upperCase" => Category::UpperCase,
        "lowerCase" => Category::LowerCase,
        "integer" => Category::Integer,
        "doubleInteger" => Category::DoubleInteger,
        "timeDate" => Category::TimeDate,
        "identifier" => Category::Identifier,
        "property" => Category::Property,
        "filename" => Category::Filename,
        "wildCardFilename" => Category::WildCardFilename,
        "path" => Category::Path,
        "paths" => Category::Paths,
        "anyPath" => Category::AnyPath,
        "defaultDir" => Category::DefaultDir,
        "regPath" => Category::RegPath,
        "formatted" => Category::Formatted,
        "formattedSddl" => Category::FormattedSddlText,
        "template" => Category::Template,
        "condition" => Category::Condition,
        "guid" => Category::Guid,
        "version" => Category::Version,
        "language" => Category::Language,
        "binary" => Category::Binary,
        "customSource" => Category::CustomSource,
        "cabinet" => Category::Cabinet,
        "shortcut" => Category::Shortcut,
        _ => return None,
    })
}

/// Every category name [`category`] knows, for error messages.
pub const CATEGORIES: &[&str] = &[
    "text",
    "upperCase",
    "lowerCase",
    "integer",
    "doubleInteger",
    "timeDate",
    "identifier",
    "property",
    "filename",
    "wildCardFilename",
    "path",
    "paths",
    "anyPath",
    "defaultDir",
    "regPath",
    "formatted",
    "formattedSddl",
    "template",
    "condition",
    "guid",
    "version",
    "language",
    "binary",
    "customSource",
    "cabinet",
    "shortcut",
];
