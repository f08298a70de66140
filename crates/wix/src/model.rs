//! The compiler's intermediate model: what the parser extracts from WiX elements, before
//! linking. Most authoring maps one element to one MSI row, so rows are kept as typed
//! cells in table order; what needs global knowledge (component GUIDs and key paths, file
//! sizes/versions/sequence, feature membership, action scheduling, media) is kept as
//! dedicated definitions that [`super::lower`] turns into rows.
//!
//! Every item carries the [`Location`] of the element it came from, so the linker and the
//! lowering can report `file:line`.

use std::path::PathBuf;

use super::error::Location;
use super::xml::Dialect;

/// One cell of an MSI row.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Val {
    Null,
    Int(i32),
    Str(String),
}

impl Val {
    pub fn opt_str(s: Option<impl Into<String>>) -> Val {
        match s {
            Some(s) => Val::Str(s.into()),
            None => Val::Null,
        }
    }
    pub fn opt_int(i: Option<i32>) -> Val {
        match i {
            Some(i) => Val::Int(i),
            None => Val::Null,
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Val::Str(s) => Some(s),
            _ => None,
        }
    }
    /// The cell as text: a number in decimal, null as the empty string (how MSI tools and
    /// WiX's queries render a cell).
    pub fn text(&self) -> String {
        match self {
            Val::Null => String::new(),
            Val::Int(i) => i.to_string(),
            Val::Str(s) => s.clone(),
        }
    }
}

impl From<&str> for Val {
    fn from(s: &str) -> Val {
        Val::Str(s.to_string())
    }
}
impl From<String> for Val {
    fn from(s: String) -> Val {
        Val::Str(s)
    }
}
impl From<i32> for Val {
    fn from(i: i32) -> Val {
        Val::Int(i)
    }
}

/// The Shortcut.Target placeholder of an advertised shortcut until the linker replaces it
/// with the component's primary feature (WiX uses the same empty GUID for this).
pub const ADVERTISED_TARGET: &str = "{00000000-0000-0000-0000-000000000000}";

/// A row for an MSI table, with the element it came from.
#[derive(Clone, Debug)]
pub struct Row {
    pub table: &'static str,
    pub values: Vec<Val>,
    pub loc: Location,
}

/// A reference that must resolve to a definition somewhere in the linked output
/// (`table` is an MSI table name, or `ComponentGroup` / `FeatureGroup` for WiX groups).
#[derive(Clone, Debug)]
pub struct Reference {
    pub table: &'static str,
    pub id: String,
    pub loc: Location,
}

/// How a component's GUID is given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GuidSpec {
    /// `Guid="*"` or (v4) omitted: derived from the key path as WiX does.
    Auto,
    /// An explicit GUID, normalised to uppercase braces.
    Explicit(String),
    /// `Guid=""`: an unmanaged component with a null ComponentId.
    Empty,
}

/// What a component's key path is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyPath {
    /// The component's directory (KeyPath column null).
    Directory,
    File(String),
    Registry(String),
}

#[derive(Clone, Debug)]
pub struct ComponentDef {
    pub id: String,
    pub directory: String,
    pub guid: GuidSpec,
    /// Component.Attributes without the key-path-type bits (set during lowering).
    pub attributes: i32,
    pub condition: Option<String>,
    /// The explicit key path, if any element said `KeyPath="yes"`.
    pub explicit_key: Option<KeyPath>,
    /// The first element that could be the key path when none is explicit.
    pub default_key: Option<KeyPath>,
    pub disk_id: Option<i32>,
    pub dialect: Dialect,
    pub loc: Location,
}

#[derive(Clone, Debug)]
pub struct FileDef {
    pub id: String,
    pub component: String,
    pub directory: String,
    /// Long file name.
    pub name: String,
    /// Explicit ShortName, if authored.
    pub short_name: Option<String>,
    pub source: PathBuf,
    /// File.Attributes from authoring (read-only, hidden, system, vital, compressed bits).
    pub attributes: i32,
    pub disk_id: Option<i32>,
    /// Explicit DefaultVersion / DefaultLanguage / DefaultSize overrides.
    pub version: Option<String>,
    pub language: Option<String>,
    pub loc: Location,
}

/// A `Files` element: files found by wildcard when the sources are linked, each installed
/// by its own component (WiX's HarvestFilesSymbol, expanded by HarvestFilesCommand).
#[derive(Clone, Debug)]
pub struct HarvestDef {
    /// The directory the files (and, below it, their subdirectories) install into.
    pub directory: String,
    /// `Include` patterns, then `Exclude/@Files` patterns (`;`-separated lists split).
    pub inclusions: Vec<String>,
    pub exclusions: Vec<String>,
    /// The feature, feature group or component group the components join, if any.
    pub parent: Option<Member>,
    /// The enclosing directories' `FileSource`, where relative patterns start (else the
    /// source file's folder).
    pub source_path: Option<String>,
    pub loc: Location,
}

/// Something a feature, component group or feature group contains.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Member {
    Component(String),
    ComponentGroup(String),
    Feature(String),
    FeatureGroup(String),
}

/// `parent` contains `member` (parent is a Feature, ComponentGroup or FeatureGroup).
#[derive(Clone, Debug)]
pub struct Membership {
    pub parent: Member,
    pub member: Member,
    /// For v4 `Feature`/`FeatureRef` in `FeatureGroup`: the nested feature's parent.
    pub loc: Location,
}

/// One scheduled action (standard action override or custom action): the sequencer's own
/// request type, so parsing produces exactly what sequencing consumes.
pub type Schedule = super::sequence::CustomScheduling;

/// A file that becomes a stream of the Binary or Icon table.
#[derive(Clone, Debug)]
pub struct StreamDef {
    pub table: &'static str,
    pub id: String,
    pub source: PathBuf,
    pub loc: Location,
}

#[derive(Clone, Debug)]
pub struct MediaDef {
    pub id: i32,
    pub cabinet: Option<String>,
    pub embed: bool,
    pub disk_prompt: Option<String>,
    pub volume_label: Option<String>,
    pub compression: Compression,
    pub loc: Location,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    None,
    Low,
    Medium,
    High,
    Mszip,
}

#[derive(Clone, Debug)]
pub struct MediaTemplate {
    pub cabinet_template: String,
    pub embed: bool,
    pub compression: Compression,
    /// `MaximumUncompressedMediaSize` in MB: files go into the next cabinet once the
    /// current one would hold more (WiX's default is 200).
    pub max_uncompressed_mb: Option<i32>,
    pub loc: Location,
}

#[derive(Clone, Debug)]
pub struct MajorUpgrade {
    pub allow_downgrades: bool,
    pub allow_same_version: bool,
    pub downgrade_message: Option<String>,
    pub disallow: bool,
    pub disallow_message: Option<String>,
    pub ignore_remove_failure: bool,
    pub migrate_features: bool,
    pub remove_features: Option<String>,
    pub schedule: String,
    /// The Upgrade rows' Language: the package language in WiX v4+ unless
    /// IgnoreLanguage="yes" (Compiler.cs ParseMajorUpgradeElement); always null in WiX v3.
    pub package_language: bool,
    pub loc: Location,
}

/// The product/package identity (v3 `Product` + `Package`, or v4 `Package`).
#[derive(Clone, Debug)]
pub struct PackageInfo {
    pub dialect: Dialect,
    pub name: String,
    pub manufacturer: String,
    pub version: String,
    /// `None` for `*`/omitted: derived from content during lowering.
    pub product_code: Option<String>,
    pub upgrade_code: Option<String>,
    pub language: String,
    pub codepage: Option<i32>,
    pub package_code: Option<String>,
    pub installer_version: i32,
    pub compressed: bool,
    /// `Some(true)` per-machine, `Some(false)` per-user, `None` unspecified.
    pub per_machine: Option<bool>,
    pub per_user_or_machine: bool,
    pub description: Option<String>,
    pub comments: Option<String>,
    pub keywords: Option<String>,
    pub summary_manufacturer: Option<String>,
    pub summary_codepage: Option<i32>,
    /// v3 `Package/@Languages`: the template's language list.
    pub summary_languages: Option<String>,
    pub platform: Option<String>,
    pub admin_image: bool,
    pub short_names: bool,
    pub loc: Location,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SectionKind {
    Package,
    Fragment,
}

/// Everything one `Product`/`Package` or `Fragment` defines and references.
#[derive(Clone, Debug)]
pub struct Section {
    pub kind: SectionKind,
    pub dialect: Dialect,
    pub loc: Location,
    pub package: Option<PackageInfo>,
    pub rows: Vec<Row>,
    pub refs: Vec<Reference>,
    /// Definitions of WiX-only symbols (ComponentGroup, FeatureGroup), for linking.
    pub groups: Vec<Reference>,
    pub components: Vec<ComponentDef>,
    pub files: Vec<FileDef>,
    pub memberships: Vec<Membership>,
    pub schedules: Vec<Schedule>,
    pub streams: Vec<StreamDef>,
    pub media: Vec<MediaDef>,
    pub media_template: Option<MediaTemplate>,
    pub major_upgrade: Option<MajorUpgrade>,
    pub wix_variables: Vec<(String, String, Location)>,
    /// Properties to add to SecureCustomProperties (Upgrade ActionProperty, Secure="yes").
    pub secure_properties: Vec<String>,
    /// Properties to add to MsiHiddenProperties (`Property/@Hidden`).
    pub hidden_properties: Vec<String>,
    /// Properties to add to AdminProperties (`Property/@Admin`).
    pub admin_properties: Vec<String>,
    /// `Files` elements, expanded into components after all sources are parsed.
    pub harvests: Vec<HarvestDef>,
    /// Directory rows implied by a multi-level `Name`/`Subdirectory` (`a\b\c` makes `a`
    /// and `a\b`): added once per id when linked, unless a directory with the id exists.
    pub implied_directories: Vec<Row>,
    /// CustomTable definitions and rows, EnsureTable requests.
    pub custom: crate::custom_table::CustomTables,
}

impl Section {
    pub fn new(kind: SectionKind, dialect: Dialect, loc: Location) -> Section {
        Section {
            kind,
            dialect,
            loc,
            package: None,
            rows: Vec::new(),
            refs: Vec::new(),
            groups: Vec::new(),
            components: Vec::new(),
            files: Vec::new(),
            memberships: Vec::new(),
            schedules: Vec::new(),
            streams: Vec::new(),
            media: Vec::new(),
            media_template: None,
            major_upgrade: None,
            wix_variables: Vec::new(),
            secure_properties: Vec::new(),
            hidden_properties: Vec::new(),
            admin_properties: Vec::new(),
            harvests: Vec::new(),
            implied_directories: Vec::new(),
            custom: Default::default(),
        }
    }

    pub fn row(&mut self, table: &'static str, loc: &Location, values: Vec<Val>) {
        self.rows.push(Row {
            table,
            values,
            loc: loc.clone(),
        });
    }

    pub fn reference(&mut self, table: &'static str, id: impl Into<String>, loc: &Location) {
        self.refs.push(Reference {
            table,
            id: id.into(),
            loc: loc.clone(),
        });
    }
}
