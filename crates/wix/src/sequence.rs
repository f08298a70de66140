//! Action sequencing: which actions the five sequence tables (InstallExecuteSequence,
//! InstallUISequence, AdminExecuteSequence, AdminUISequence, AdvtExecuteSequence) contain,
//! with which condition and at which sequence number.
//!
//! This module owns WiX's sequencing rules, so a package's sequence tables come out as
//! `light` (WiX v3) and `wix build` (WiX v4+) write them:
//!
//! * the standard actions and their suggested numbers and conditions (WiX v3
//!   `src/tools/wix/Data/actions.xml`, WiX v4 `WindowsInstallerStandard.cs`; identical);
//! * which standard actions a package gets: a fixed set for every package plus the actions
//!   each present table needs (WiX v3 `Linker.SequenceActions`, WiX v4
//!   `SequenceActionsCommand.GetRequiredActionIds`);
//! * authored scheduling ([`CustomScheduling`]: custom actions, dialogs, standard-action
//!   overrides, suppressions, MajorUpgrade's RemoveExistingProducts), overridable actions,
//!   and the resolution of `Before`/`After` chains into numbers next to the absolutely
//!   sequenced action they hang from.
//!
//! It knows nothing about the rows of other tables: the caller says which tables are
//! present (have rows, or were ensured) and whether an Upgrade row migrates features.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::error::{Location, Result, Warning, WixError};

/// One of the sequence tables WiX fills.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SequenceTable {
    AdminExecute,
    AdminUI,
    AdvtExecute,
    InstallExecute,
    InstallUI,
}

impl SequenceTable {
    /// All sequence tables, in table-name order.
    pub const ALL: [SequenceTable; 5] = [
        SequenceTable::AdminExecute,
        SequenceTable::AdminUI,
        SequenceTable::AdvtExecute,
        SequenceTable::InstallExecute,
        SequenceTable::InstallUI,
    ];

    /// The MSI table name.
    pub fn table_name(self) -> &'static str {
        match self {
            SequenceTable::AdminExecute => "AdminExecuteSequence",
            SequenceTable::AdminUI => "AdminUISequence",
            SequenceTable::AdvtExecute => "AdvtExecuteSequence",
            SequenceTable::InstallExecute => "InstallExecuteSequence",
            SequenceTable::InstallUI => "InstallUISequence",
        }
    }

    /// The table for a table name or a WiX sequence element name (WiX spells the
    /// advertisement table's element `AdvertiseExecuteSequence`).
    pub fn from_name(name: &str) -> Option<SequenceTable> {
        match name {
            "AdminExecuteSequence" => Some(SequenceTable::AdminExecute),
            "AdminUISequence" => Some(SequenceTable::AdminUI),
            "AdvtExecuteSequence" | "AdvertiseExecuteSequence" => Some(SequenceTable::AdvtExecute),
            "InstallExecuteSequence" => Some(SequenceTable::InstallExecute),
            "InstallUISequence" => Some(SequenceTable::InstallUI),
            _ => None,
        }
    }

    fn bit(self) -> u8 {
        match self {
            SequenceTable::AdminExecute => AE,
            SequenceTable::AdminUI => AU,
            SequenceTable::AdvtExecute => VE,
            SequenceTable::InstallExecute => IE,
            SequenceTable::InstallUI => IU,
        }
    }
}

impl fmt::Display for SequenceTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.table_name())
    }
}

/// One row of a sequence table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionRow {
    pub action: String,
    pub condition: Option<String>,
    pub sequence: i32,
}

/// Where an authored action goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Placement {
    /// An explicit number: 1..=32767, or -1..=-4 for the termination actions (`OnExit`
    /// success, cancel, error, suspend).
    Sequence(i32),
    /// Immediately before the named action of the same table.
    Before(String),
    /// Immediately after the named action of the same table.
    After(String),
}

/// An authored scheduling request: `Custom`, `Show`, a standard-action element, or the
/// RemoveExistingProducts that MajorUpgrade schedules. The model uses it as `Schedule`.
#[derive(Clone, Debug)]
pub struct CustomScheduling {
    pub table: SequenceTable,
    pub action: String,
    pub condition: Option<String>,
    /// `None`: a standard action at its standard number (an error for other actions).
    pub placement: Option<Placement>,
    /// An overridable action yields to a non-overridable one of the same name.
    pub overridable: bool,
    /// `Suppress="yes"`: remove the (standard or overridable) action from the table.
    pub suppress: bool,
    pub loc: Location,
}

impl CustomScheduling {
    /// A plain, non-overridable scheduling without a condition.
    pub fn new(
        table: SequenceTable,
        action: impl Into<String>,
        placement: Option<Placement>,
        loc: Location,
    ) -> Self {
        CustomScheduling {
            table,
            action: action.into(),
            condition: None,
            placement,
            overridable: false,
            suppress: false,
            loc,
        }
    }

    /// MajorUpgrade's RemoveExistingProducts in InstallExecuteSequence, placed after the
    /// action its `Schedule` names. WiX's compiler schedules it like an authored action
    /// (non-overridable); WiX v5+'s implicit major upgrade for a v4 `Package` without
    /// `MajorUpgrade` uses the same placement with `overridable` set.
    pub fn remove_existing_products(schedule: MajorUpgradeSchedule, loc: Location) -> Self {
        CustomScheduling::new(
            SequenceTable::InstallExecute,
            "RemoveExistingProducts",
            Some(Placement::After(schedule.anchor().to_string())),
            loc,
        )
    }
}

/// MajorUpgrade's `Schedule` attribute.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MajorUpgradeSchedule {
    #[default]
    AfterInstallValidate,
    AfterInstallInitialize,
    AfterInstallExecute,
    AfterInstallExecuteAgain,
    AfterInstallFinalize,
}

impl MajorUpgradeSchedule {
    /// Parses the attribute value (case-sensitive, as WiX's schema).
    pub fn parse(value: &str) -> Option<MajorUpgradeSchedule> {
        match value {
            "afterInstallValidate" => Some(MajorUpgradeSchedule::AfterInstallValidate),
            "afterInstallInitialize" => Some(MajorUpgradeSchedule::AfterInstallInitialize),
            "afterInstallExecute" => Some(MajorUpgradeSchedule::AfterInstallExecute),
            "afterInstallExecuteAgain" => Some(MajorUpgradeSchedule::AfterInstallExecuteAgain),
            "afterInstallFinalize" => Some(MajorUpgradeSchedule::AfterInstallFinalize),
            _ => None,
        }
    }

    /// The standard action RemoveExistingProducts follows. InstallExecute and
    /// InstallExecuteAgain are not otherwise in a package's table; referencing them pulls
    /// them in at their standard numbers, as in WiX.
    pub fn anchor(self) -> &'static str {
        match self {
            MajorUpgradeSchedule::AfterInstallValidate => "InstallValidate",
            MajorUpgradeSchedule::AfterInstallInitialize => "InstallInitialize",
            MajorUpgradeSchedule::AfterInstallExecute => "InstallExecute",
            MajorUpgradeSchedule::AfterInstallExecuteAgain => "InstallExecuteAgain",
            MajorUpgradeSchedule::AfterInstallFinalize => "InstallFinalize",
        }
    }
}

/// Which WiX's rules to follow where v3 and v4 differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rules {
    /// `light`: actions follow tables only; actions hanging from the same action are
    /// ordered by name (its sorted action collections).
    WixV3,
    /// `wix build`: also CreateFolders/RemoveFolders for every package with a component;
    /// actions hanging from the same action keep authoring order.
    WixV4,
}

/// What besides the present tables decides the standard actions.
#[derive(Clone, Debug)]
pub struct SequenceOptions {
    pub rules: Rules,
    /// Some Upgrade row has msidbUpgradeAttributesMigrateFeatures (1): adds
    /// MigrateFeatureStates to InstallExecuteSequence and InstallUISequence.
    pub upgrade_migrates_features: bool,
}

/// The finished sequence tables (all five, each sorted by sequence then action) and the
/// warnings WiX would print on the way.
#[derive(Clone, Debug)]
pub struct Sequences {
    pub tables: BTreeMap<SequenceTable, Vec<ActionRow>>,
    pub warnings: Vec<Warning>,
}

// Table membership bits for the standard-action list.
const AE: u8 = 1;
const AU: u8 = 2;
const VE: u8 = 4;
const IE: u8 = 8;
const IU: u8 = 16;

/// A standard action: name, suggested sequence, condition, tables it is standard in.
type Standard = (&'static str, i32, Option<&'static str>, u8);

/// WiX's standard actions (actions.xml / WindowsInstallerStandard), by sequence.
const STANDARD_ACTIONS: &[Standard] = &[
    ("FindRelatedProducts", 25, None, IE | IU),
    ("AppSearch", 50, None, IE | IU),
    ("LaunchConditions", 100, None, AE | AU | IE | IU),
    ("CCPSearch", 500, Some("NOT Installed"), IE | IU),
    ("RMCCPSearch", 600, Some("NOT Installed"), IE | IU),
    ("ValidateProductID", 700, None, IE | IU),
    ("CostInitialize", 800, None, AE | AU | VE | IE | IU),
    ("FileCost", 900, None, AE | AU | IE | IU),
    ("IsolateComponents", 950, None, IE | IU),
    ("CostFinalize", 1000, None, AE | AU | VE | IE | IU),
    ("SetODBCFolders", 1100, None, IE),
    ("MigrateFeatureStates", 1200, None, IE | IU),
    ("ExecuteAction", 1300, None, AU | IU),
    ("InstallValidate", 1400, None, AE | VE | IE),
    ("InstallInitialize", 1500, None, AE | VE | IE),
    ("AllocateRegistrySpace", 1550, Some("NOT Installed"), IE),
    ("ProcessComponents", 1600, None, IE),
    ("UnpublishComponents", 1700, None, IE),
    ("MsiUnpublishAssemblies", 1750, None, IE),
    ("UnpublishFeatures", 1800, None, IE),
    ("StopServices", 1900, Some("VersionNT"), IE),
    ("DeleteServices", 2000, Some("VersionNT"), IE),
    ("UnregisterComPlus", 2100, None, IE),
    ("SelfUnregModules", 2200, None, IE),
    ("UnregisterTypeLibraries", 2300, None, IE),
    ("RemoveODBC", 2400, None, IE),
    ("UnregisterFonts", 2500, None, IE),
    ("RemoveRegistryValues", 2600, None, IE),
    ("UnregisterClassInfo", 2700, None, IE),
    ("UnregisterExtensionInfo", 2800, None, IE),
    ("UnregisterProgIdInfo", 2900, None, IE),
    ("UnregisterMIMEInfo", 3000, None, IE),
    ("RemoveIniValues", 3100, None, IE),
    ("RemoveShortcuts", 3200, None, IE),
    ("RemoveEnvironmentStrings", 3300, None, IE),
    ("RemoveDuplicateFiles", 3400, None, IE),
    ("RemoveFiles", 3500, None, IE),
    ("RemoveFolders", 3600, None, IE),
    ("CreateFolders", 3700, None, IE),
    ("MoveFiles", 3800, None, IE),
    ("InstallAdminPackage", 3900, None, AE),
    ("InstallFiles", 4000, None, AE | IE),
    ("PatchFiles", 4090, None, AE | IE),
    ("DuplicateFiles", 4210, None, IE),
    ("BindImage", 4300, None, IE),
    ("CreateShortcuts", 4500, None, VE | IE),
    ("RegisterClassInfo", 4600, None, VE | IE),
    ("RegisterExtensionInfo", 4700, None, VE | IE),
    ("RegisterProgIdInfo", 4800, None, VE | IE),
    ("RegisterMIMEInfo", 4900, None, VE | IE),
    ("WriteRegistryValues", 5000, None, IE),
    ("WriteIniValues", 5100, None, IE),
    ("WriteEnvironmentStrings", 5200, None, IE),
    ("RegisterFonts", 5300, None, IE),
    ("InstallODBC", 5400, None, IE),
    ("RegisterTypeLibraries", 5500, None, IE),
    ("SelfRegModules", 5600, None, IE),
    ("RegisterComPlus", 5700, None, IE),
    ("InstallServices", 5800, Some("VersionNT"), IE),
    ("MsiConfigureServices", 5850, Some("VersionNT>=600"), IE),
    ("StartServices", 5900, Some("VersionNT"), IE),
    ("RegisterUser", 6000, None, IE),
    ("RegisterProduct", 6100, None, IE),
    ("PublishComponents", 6200, None, VE | IE),
    ("MsiPublishAssemblies", 6250, None, VE | IE),
    ("PublishFeatures", 6300, None, VE | IE),
    ("PublishProduct", 6400, None, VE | IE),
    ("InstallExecute", 6500, Some("NOT Installed"), IE),
    ("InstallExecuteAgain", 6550, Some("NOT Installed"), IE),
    ("InstallFinalize", 6600, None, AE | VE | IE),
];

use SequenceTable::{AdminExecute, AdminUI, AdvtExecute, InstallExecute, InstallUI};

/// Every package gets these, whatever its tables.
const PACKAGE_ACTIONS: &[(SequenceTable, &str)] = &[
    (AdminExecute, "CostFinalize"),
    (AdminExecute, "CostInitialize"),
    (AdminExecute, "FileCost"),
    (AdminExecute, "InstallAdminPackage"),
    (AdminExecute, "InstallFiles"),
    (AdminExecute, "InstallFinalize"),
    (AdminExecute, "InstallInitialize"),
    (AdminExecute, "InstallValidate"),
    (AdminUI, "CostFinalize"),
    (AdminUI, "CostInitialize"),
    (AdminUI, "ExecuteAction"),
    (AdminUI, "FileCost"),
    (AdvtExecute, "CostFinalize"),
    (AdvtExecute, "CostInitialize"),
    (AdvtExecute, "InstallFinalize"),
    (AdvtExecute, "InstallInitialize"),
    (AdvtExecute, "InstallValidate"),
    (AdvtExecute, "PublishFeatures"),
    (AdvtExecute, "PublishProduct"),
    (InstallExecute, "CostFinalize"),
    (InstallExecute, "CostInitialize"),
    (InstallExecute, "FileCost"),
    (InstallExecute, "InstallFinalize"),
    (InstallExecute, "InstallInitialize"),
    (InstallExecute, "InstallValidate"),
    (InstallExecute, "ProcessComponents"),
    (InstallExecute, "PublishFeatures"),
    (InstallExecute, "PublishProduct"),
    (InstallExecute, "RegisterProduct"),
    (InstallExecute, "RegisterUser"),
    (InstallExecute, "UnpublishFeatures"),
    (InstallExecute, "ValidateProductID"),
    (InstallUI, "CostFinalize"),
    (InstallUI, "CostInitialize"),
    (InstallUI, "ExecuteAction"),
    (InstallUI, "FileCost"),
    (InstallUI, "ValidateProductID"),
];

/// The actions a present table requires (Upgrade's MigrateFeatureStates and v4's
/// Component rule are decided in [`required_standard_actions`]).
const TABLE_ACTIONS: &[(&str, &[(SequenceTable, &str)])] = &[
    (
        "AppSearch",
        &[(InstallExecute, "AppSearch"), (InstallUI, "AppSearch")],
    ),
    ("BindImage", &[(InstallExecute, "BindImage")]),
    (
        "CCPSearch",
        &[
            (InstallExecute, "AppSearch"),
            (InstallExecute, "CCPSearch"),
            (InstallExecute, "RMCCPSearch"),
            (InstallUI, "AppSearch"),
            (InstallUI, "CCPSearch"),
            (InstallUI, "RMCCPSearch"),
        ],
    ),
    (
        "Class",
        &[
            (AdvtExecute, "RegisterClassInfo"),
            (InstallExecute, "RegisterClassInfo"),
            (InstallExecute, "UnregisterClassInfo"),
        ],
    ),
    (
        "Complus",
        &[
            (InstallExecute, "RegisterComPlus"),
            (InstallExecute, "UnregisterComPlus"),
        ],
    ),
    (
        "CreateFolder",
        &[
            (InstallExecute, "CreateFolders"),
            (InstallExecute, "RemoveFolders"),
        ],
    ),
    (
        "DuplicateFile",
        &[
            (InstallExecute, "DuplicateFiles"),
            (InstallExecute, "RemoveDuplicateFiles"),
        ],
    ),
    (
        "Environment",
        &[
            (InstallExecute, "WriteEnvironmentStrings"),
            (InstallExecute, "RemoveEnvironmentStrings"),
        ],
    ),
    (
        "Extension",
        &[
            (AdvtExecute, "RegisterExtensionInfo"),
            (InstallExecute, "RegisterExtensionInfo"),
            (InstallExecute, "UnregisterExtensionInfo"),
        ],
    ),
    (
        "File",
        &[
            (InstallExecute, "InstallFiles"),
            (InstallExecute, "RemoveFiles"),
        ],
    ),
    (
        "Font",
        &[
            (InstallExecute, "RegisterFonts"),
            (InstallExecute, "UnregisterFonts"),
        ],
    ),
    (
        "IniFile",
        &[
            (InstallExecute, "WriteIniValues"),
            (InstallExecute, "RemoveIniValues"),
        ],
    ),
    (
        "IsolatedComponent",
        &[(InstallExecute, "IsolateComponents")],
    ),
    (
        "LaunchCondition",
        &[
            (InstallExecute, "LaunchConditions"),
            (InstallUI, "LaunchConditions"),
        ],
    ),
    (
        "MIME",
        &[
            (AdvtExecute, "RegisterMIMEInfo"),
            (InstallExecute, "RegisterMIMEInfo"),
            (InstallExecute, "UnregisterMIMEInfo"),
        ],
    ),
    ("MoveFile", &[(InstallExecute, "MoveFiles")]),
    (
        "MsiAssembly",
        &[
            (AdvtExecute, "MsiPublishAssemblies"),
            (InstallExecute, "MsiPublishAssemblies"),
            (InstallExecute, "MsiUnpublishAssemblies"),
        ],
    ),
    (
        "MsiServiceConfig",
        &[(InstallExecute, "MsiConfigureServices")],
    ),
    (
        "MsiServiceConfigFailureActions",
        &[(InstallExecute, "MsiConfigureServices")],
    ),
    ("ODBCDataSource", ODBC_ACTIONS),
    ("ODBCDriver", ODBC_ACTIONS),
    ("ODBCTranslator", ODBC_ACTIONS),
    (
        "ProgId",
        &[
            (AdvtExecute, "RegisterProgIdInfo"),
            (InstallExecute, "RegisterProgIdInfo"),
            (InstallExecute, "UnregisterProgIdInfo"),
        ],
    ),
    (
        "PublishComponent",
        &[
            (AdvtExecute, "PublishComponents"),
            (InstallExecute, "PublishComponents"),
            (InstallExecute, "UnpublishComponents"),
        ],
    ),
    ("Registry", REGISTRY_ACTIONS),
    ("RemoveFile", &[(InstallExecute, "RemoveFiles")]),
    (
        "RemoveIniFile",
        &[
            (InstallExecute, "WriteIniValues"),
            (InstallExecute, "RemoveIniValues"),
        ],
    ),
    ("RemoveRegistry", REGISTRY_ACTIONS),
    (
        "SelfReg",
        &[
            (InstallExecute, "SelfRegModules"),
            (InstallExecute, "SelfUnregModules"),
        ],
    ),
    (
        "ServiceControl",
        &[
            (InstallExecute, "StartServices"),
            (InstallExecute, "StopServices"),
            (InstallExecute, "DeleteServices"),
        ],
    ),
    ("ServiceInstall", &[(InstallExecute, "InstallServices")]),
    (
        "Shortcut",
        &[
            (AdvtExecute, "CreateShortcuts"),
            (InstallExecute, "CreateShortcuts"),
            (InstallExecute, "RemoveShortcuts"),
        ],
    ),
    (
        "TypeLib",
        &[
            (InstallExecute, "RegisterTypeLibraries"),
            (InstallExecute, "UnregisterTypeLibraries"),
        ],
    ),
    (
        "Upgrade",
        &[
            (InstallExecute, "FindRelatedProducts"),
            (InstallUI, "FindRelatedProducts"),
        ],
    ),
];

const ODBC_ACTIONS: &[(SequenceTable, &str)] = &[
    (InstallExecute, "SetODBCFolders"),
    (InstallExecute, "InstallODBC"),
    (InstallExecute, "RemoveODBC"),
];

const REGISTRY_ACTIONS: &[(SequenceTable, &str)] = &[
    (InstallExecute, "WriteRegistryValues"),
    (InstallExecute, "RemoveRegistryValues"),
];

fn standard(table: SequenceTable, action: &str) -> Option<&'static Standard> {
    STANDARD_ACTIONS
        .iter()
        .find(|s| s.0 == action && s.3 & table.bit() != 0)
}

/// The standard row for `action` in `table` (suggested number and condition), if it is a
/// standard action of that table.
pub fn standard_action(table: SequenceTable, action: &str) -> Option<ActionRow> {
    standard(table, action).map(|s| ActionRow {
        action: s.0.to_string(),
        condition: s.2.map(str::to_string),
        sequence: s.1,
    })
}

/// Whether `action` has a standard sequence number in some table.
pub fn is_standard_action(action: &str) -> bool {
    STANDARD_ACTIONS.iter().any(|s| s.0 == action)
}

/// The standard actions a package with `present` tables gets before authoring is applied.
pub fn required_standard_actions(
    present: &BTreeSet<String>,
    options: &SequenceOptions,
) -> BTreeSet<(SequenceTable, &'static str)> {
    let mut required: BTreeSet<(SequenceTable, &'static str)> =
        PACKAGE_ACTIONS.iter().copied().collect();
    for (table, actions) in TABLE_ACTIONS {
        if present.contains(*table) {
            required.extend(actions.iter().copied());
        }
    }
    if present.contains("Upgrade") && options.upgrade_migrates_features {
        required.insert((InstallExecute, "MigrateFeatureStates"));
        required.insert((InstallUI, "MigrateFeatureStates"));
    }
    // WiX v4 schedules folder creation/removal for any component (a component's directory
    // may need creating even without a CreateFolder row); v3 only for CreateFolder rows.
    if options.rules == Rules::WixV4 && present.contains("Component") {
        required.insert((InstallExecute, "CreateFolders"));
        required.insert((InstallExecute, "RemoveFolders"));
    }
    required
}

/// What a relatively scheduled action hangs from: (after?, the action).
type Anchor = (bool, String);

/// An action while the tables are being built.
#[derive(Clone, Debug)]
struct Node {
    table: SequenceTable,
    action: String,
    condition: Option<String>,
    sequence: Option<i32>,
    /// For a relatively scheduled action.
    anchor: Option<Anchor>,
    overridable: bool,
    /// Where it was authored; `None` for a standard action WiX adds by itself.
    loc: Option<Location>,
    removed: bool,
    before: Vec<usize>,
    after: Vec<usize>,
}

impl Node {
    fn from_standard(table: SequenceTable, s: &Standard) -> Node {
        Node {
            table,
            action: s.0.to_string(),
            condition: s.2.map(str::to_string),
            sequence: Some(s.1),
            anchor: None,
            overridable: true,
            loc: None,
            removed: false,
            before: Vec::new(),
            after: Vec::new(),
        }
    }
}

/// Nodes in insertion order (WiX's dictionary order), looked up by (table, action).
#[derive(Default)]
struct Actions {
    nodes: Vec<Node>,
    index: BTreeMap<(SequenceTable, String), usize>,
}

impl Actions {
    fn get(&self, table: SequenceTable, action: &str) -> Option<usize> {
        self.index.get(&(table, action.to_string())).copied()
    }

    fn insert(&mut self, node: Node) -> usize {
        let key = (node.table, node.action.clone());
        let id = self.nodes.len();
        self.nodes.push(node);
        self.index.insert(key, id);
        id
    }

    /// Puts `node` in the place of the action it overrides, keeping that place in order.
    fn replace(&mut self, id: usize, node: Node) {
        self.nodes[id] = node;
    }

    fn remove(&mut self, id: usize) {
        let node = &mut self.nodes[id];
        node.removed = true;
        self.index.remove(&(node.table, node.action.clone()));
    }

    fn live(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.nodes.len()).filter(|&i| !self.nodes[i].removed)
    }
}

fn err(loc: &Location, message: String) -> WixError {
    WixError::new(loc.clone(), message)
}

/// Validates one authored scheduling before it enters the tables.
fn check_authored(s: &CustomScheduling) -> Result<()> {
    if s.action.is_empty() || s.action.chars().count() > 72 {
        return Err(err(
            &s.loc,
            format!(
                "action name '{}' in {} must be 1 to 72 characters",
                s.action, s.table
            ),
        ));
    }
    if let Some(condition) = &s.condition {
        if condition.chars().count() > 255 {
            return Err(err(
                &s.loc,
                format!(
                    "the condition of action '{}' in {} is {} characters; the Condition column \
                     holds at most 255",
                    s.action,
                    s.table,
                    condition.chars().count()
                ),
            ));
        }
    }
    match &s.placement {
        Some(Placement::Sequence(n)) if !(matches!(n, -4..=-1 | 1..=32767)) => Err(err(
            &s.loc,
            format!(
                "action '{}' in {} has sequence {n}; allowed are 1 to 32767 (and -1 to -4 for \
                 OnExit actions)",
                s.action, s.table
            ),
        )),
        Some(Placement::Before(other) | Placement::After(other)) if *other == s.action => Err(err(
            &s.loc,
            format!(
                "action '{}' in {} is scheduled relative to itself",
                s.action, s.table
            ),
        )),
        _ => Ok(()),
    }
}

/// Builds the five sequence tables of a package: the standard actions its `present` tables
/// need, overridden, suppressed and extended by `custom` (in authoring order), with every
/// Before/After chain resolved to numbers as WiX does.
///
/// `present` holds the tables that have rows before sequencing (plus any an `EnsureTable`
/// asks for), as WiX's linker sees them; not tables that only end up existing empty.
/// Checked against the 57 `light`-built MSIs in WiX v3's test data: with their authored
/// scheduling, every standard-action row matches, except where merge modules bring files
/// (their File table appears only when the modules are merged).
///
/// A relatively scheduled action takes the number next to the absolutely sequenced action
/// its chain hangs from: actions Before X get, … and actions After X get X+1, X+2,
/// …, nested chains laid out in place. A chain that runs into the neighbouring absolute
/// number, a reference to an action the table does not contain, a cycle, two
/// non-overridable schedulings of one action, and suppressing a non-overridable action are
/// errors at the authoring location.
pub fn build_sequences(
    present: &BTreeSet<String>,
    custom: &[CustomScheduling],
    options: &SequenceOptions,
) -> Result<Sequences> {
    let mut warnings = Vec::new();
    let mut actions = Actions::default();
    for s in custom.iter().filter(|s| !s.suppress) {
        add_authored(&mut actions, s)?;
    }
    add_required_standard(&mut actions, present, options);
    for s in custom.iter().filter(|s| s.suppress) {
        suppress(&mut actions, s, &mut warnings)?;
    }
    hang_relative_actions(&mut actions)?;
    add_install_files_for_duplicate_files(&mut actions);
    if options.rules == Rules::WixV3 {
        sort_related_by_name(&mut actions);
    }
    let mut tables = BTreeMap::new();
    for table in SequenceTable::ALL {
        let rows = schedule_table(&mut actions, table, &mut warnings)?;
        tables.insert(table, rows);
    }
    Ok(Sequences { tables, warnings })
}

/// Enters one authored (not suppressing) scheduling, in authoring order; a second
/// scheduling of the same action is an error unless exactly one of the two is overridable.
fn add_authored(actions: &mut Actions, s: &CustomScheduling) -> Result<()> {
    check_authored(s)?;
    let (sequence, anchor) = authored_placement(s)?;
    let node = Node {
        table: s.table,
        action: s.action.clone(),
        condition: s.condition.clone(),
        sequence,
        anchor,
        overridable: s.overridable,
        loc: Some(s.loc.clone()),
        removed: false,
        before: Vec::new(),
        after: Vec::new(),
    };
    let Some(id) = actions.get(s.table, &s.action) else {
        actions.insert(node);
        return Ok(());
    };
    let existing = &actions.nodes[id];
    let other = existing
        .loc
        .as_ref()
        .map_or_else(String::new, |l| format!(" (also at {l})"));
    match (existing.overridable, s.overridable) {
        (true, true) => Err(err(
            &s.loc,
            format!(
                "overridable action '{}' is scheduled twice in {}{other}",
                s.action, s.table
            ),
        )),
        (false, false) => Err(err(
            &s.loc,
            format!(
                "action '{}' is scheduled twice in {}{other}",
                s.action, s.table
            ),
        )),
        // The non-overridable scheduling wins, wherever it was authored.
        (false, true) => Ok(()),
        (true, false) => {
            actions.replace(id, node);
            Ok(())
        }
    }
}

/// An authored action's absolute number or (after?, anchor); without either, a standard
/// action keeps its standard number.
fn authored_placement(s: &CustomScheduling) -> Result<(Option<i32>, Option<Anchor>)> {
    match &s.placement {
        Some(Placement::Sequence(n)) => Ok((Some(*n), None)),
        Some(Placement::Before(other)) => Ok((None, Some((false, other.clone())))),
        Some(Placement::After(other)) => Ok((None, Some((true, other.clone())))),
        None => match standard(s.table, &s.action) {
            Some(std) => Ok((Some(std.1), None)),
            None => Err(err(
                &s.loc,
                format!(
                    "action '{}' in {} needs Sequence, Before or After: it has no standard \
                     sequence number in that table",
                    s.action, s.table
                ),
            )),
        },
    }
}

/// Standard actions the package needs and the authoring did not already schedule.
fn add_required_standard(
    actions: &mut Actions,
    present: &BTreeSet<String>,
    options: &SequenceOptions,
) {
    for (table, action) in required_standard_actions(present, options) {
        if actions.get(table, action).is_none() {
            if let Some(std) = standard(table, action) {
                actions.insert(Node::from_standard(table, std));
            }
        }
    }
}

/// Applies one suppression: only standard or overridable actions can be removed.
fn suppress(
    actions: &mut Actions,
    s: &CustomScheduling,
    warnings: &mut Vec<Warning>,
) -> Result<()> {
    let Some(id) = actions.get(s.table, &s.action) else {
        return Ok(());
    };
    let node = &actions.nodes[id];
    if node.overridable || node.loc.is_none() {
        warnings.push(Warning {
            location: s.loc.clone(),
            message: format!("action '{}' is suppressed from {}", s.action, s.table),
        });
        actions.remove(id);
        return Ok(());
    }
    let other = node
        .loc
        .as_ref()
        .map_or_else(String::new, |l| format!(" (scheduled at {l})"));
    Err(err(
        &s.loc,
        format!(
            "cannot suppress action '{}' in {}: it is not overridable{other}",
            s.action, s.table
        ),
    ))
}

/// Hangs every relatively scheduled action from its anchor, pulling in standard anchors
/// the package does not otherwise have (e.g. InstallExecute for a late upgrade).
fn hang_relative_actions(actions: &mut Actions) -> Result<()> {
    let relative: Vec<usize> = actions
        .live()
        .filter(|&i| actions.nodes[i].sequence.is_none())
        .collect();
    for id in relative {
        let Some((after, parent_name)) = actions.nodes[id].anchor.clone() else {
            continue;
        };
        let parent = anchor_of(actions, id, after, &parent_name)?;
        let list = if after {
            &mut actions.nodes[parent].after
        } else {
            &mut actions.nodes[parent].before
        };
        list.push(id);
    }
    Ok(())
}

/// The action `id` is scheduled Before/After (`after`) in its table, added from the
/// standard actions if needed; an error if the table cannot have it.
fn anchor_of(actions: &mut Actions, id: usize, after: bool, parent_name: &str) -> Result<usize> {
    let table = actions.nodes[id].table;
    if let Some(parent) = actions.get(table, parent_name) {
        return Ok(parent);
    }
    if let Some(std) = standard(table, parent_name) {
        return Ok(actions.insert(Node::from_standard(table, std)));
    }
    let node = &actions.nodes[id];
    let hint = if is_standard_action(parent_name) {
        format!("; '{parent_name}' is a standard action of other sequence tables")
    } else {
        String::new()
    };
    Err(err(
        node.loc.as_ref().unwrap_or(&Location::file("")),
        format!(
            "action '{}' is scheduled {} '{parent_name}', which is not in {}{hint}",
            node.action,
            if after { "After" } else { "Before" },
            table
        ),
    ))
}

/// DuplicateFiles copies installed files, so it needs InstallFiles (WiX adds it even when
/// no File table would have).
fn add_install_files_for_duplicate_files(actions: &mut Actions) {
    if actions.get(InstallExecute, "DuplicateFiles").is_some()
        && actions.get(InstallExecute, "InstallFiles").is_none()
    {
        if let Some(std) = standard(InstallExecute, "InstallFiles") {
            actions.insert(Node::from_standard(InstallExecute, std));
        }
    }
}

/// light keeps related actions in sorted collections keyed by name.
fn sort_related_by_name(actions: &mut Actions) {
    let names: Vec<String> = actions.nodes.iter().map(|n| n.action.clone()).collect();
    for node in &mut actions.nodes {
        node.before
            .sort_by(|&a, &b| dotnet_string_order(&names[a], &names[b]));
        node.after
            .sort_by(|&a, &b| dotnet_string_order(&names[a], &names[b]));
    }
}

/// Appends the actions hanging from one side of an action (`list`), in final order: each
/// preceded by its own Before-chain and followed by its own After-chain (WiX's recursive
/// walk).
fn collect(actions: &Actions, list: &[usize], out: &mut Vec<usize>) {
    for &child in list {
        let node = &actions.nodes[child];
        collect(actions, &node.before, out);
        out.push(child);
        collect(actions, &node.after, out);
    }
}

/// Numbers one table: absolute actions keep their numbers, relative ones are laid out
/// around the absolute action their chain hangs from.
fn schedule_table(
    actions: &mut Actions,
    table: SequenceTable,
    warnings: &mut Vec<Warning>,
) -> Result<Vec<ActionRow>> {
    let absolute = absolute_actions(actions, table);
    warn_shared_numbers(actions, &absolute, table, warnings);
    let assigned = number_relative_actions(actions, &absolute, table)?;
    check_all_reached(actions, &assigned, table)?;
    check_distinct_numbers(actions, &absolute, &assigned, table)?;
    for &(id, number) in &assigned {
        actions.nodes[id].sequence = Some(number);
    }
    Ok(table_rows(actions, table))
}

/// The table's absolutely sequenced actions, by number.
fn absolute_actions(actions: &Actions, table: SequenceTable) -> Vec<usize> {
    let mut absolute: Vec<usize> = actions
        .live()
        .filter(|&i| actions.nodes[i].table == table && actions.nodes[i].sequence.is_some())
        .collect();
    absolute.sort_by_key(|&i| actions.nodes[i].sequence);
    absolute
}

/// Two actions at one explicit number: allowed by MSI (order then undefined), so WiX
/// only warns.
fn warn_shared_numbers(
    actions: &Actions,
    absolute: &[usize],
    table: SequenceTable,
    warnings: &mut Vec<Warning>,
) {
    for pair in absolute.windows(2) {
        let (a, b) = (&actions.nodes[pair[0]], &actions.nodes[pair[1]]);
        if a.sequence != b.sequence {
            continue;
        }
        if let Some(loc) = b.loc.as_ref().or(a.loc.as_ref()) {
            warnings.push(Warning {
                location: loc.clone(),
                message: format!(
                    "actions '{}' and '{}' in {} share sequence number {}",
                    a.action,
                    b.action,
                    table,
                    a.sequence.unwrap_or_default()
                ),
            });
        }
    }
}

/// Numbers the chains around each absolute action (in order of `absolute`), each between
/// its neighbours' numbers.
fn number_relative_actions(
    actions: &Actions,
    absolute: &[usize],
    table: SequenceTable,
) -> Result<Vec<(usize, i32)>> {
    let mut assigned: Vec<(usize, i32)> = Vec::new();
    let mut previous_used = 0;
    for (j, &abs) in absolute.iter().enumerate() {
        let next_used = absolute
            .get(j + 1)
            .and_then(|&n| actions.nodes[n].sequence)
            .unwrap_or(i32::from(i16::MAX) + 1);
        let around = (previous_used, next_used);
        number_around(actions, abs, around, table, &mut assigned)?;
        previous_used = actions.nodes[abs].sequence.unwrap_or_default();
    }
    Ok(assigned)
}

/// Numbers the Before- and After-chains of absolute action `abs`, which lies between the
/// numbers `previous_used` and `next_used`.
fn number_around(
    actions: &Actions,
    abs: usize,
    (previous_used, next_used): (i32, i32),
    table: SequenceTable,
    assigned: &mut Vec<(usize, i32)>,
) -> Result<()> {
    let seq = actions.nodes[abs].sequence.unwrap_or_default();
    let mut before = Vec::new();
    collect(actions, &actions.nodes[abs].before, &mut before);
    let mut after = Vec::new();
    collect(actions, &actions.nodes[abs].after, &mut after);

    if seq < 0 {
        return match before.iter().chain(&after).next() {
            Some(&first) => {
                let node = &actions.nodes[first];
                Err(err(
                    node.loc.as_ref().unwrap_or(&Location::file("")),
                    format!(
                        "action '{}' in {} is scheduled relative to '{}', a termination action \
                         (sequence {seq}); schedule it by number or relative to another action",
                        node.action, table, actions.nodes[abs].action
                    ),
                ))
            }
            None => Ok(()),
        };
    }

    // Before-chains count down from seq-1 and must stay above the previous absolute
    // number (and above 0, which means "never run").
    let floor = previous_used.max(0);
    let mut unused = seq - 1;
    for &id in before.iter().rev() {
        if unused <= floor {
            return Err(no_room(actions, id, abs, table, floor, seq));
        }
        assigned.push((id, unused));
        unused -= 1;
    }
    for (&id, number) in after.iter().zip(seq + 1..) {
        if number >= next_used {
            return Err(no_room(actions, id, abs, table, seq, next_used));
        }
        assigned.push((id, number));
    }
    Ok(())
}

/// Every relative action must have been reached from an absolute one; the rest hang
/// from a cycle.
fn check_all_reached(
    actions: &Actions,
    assigned: &[(usize, i32)],
    table: SequenceTable,
) -> Result<()> {
    let reached: BTreeSet<usize> = assigned.iter().map(|&(id, _)| id).collect();
    let orphan = actions.live().find(|&i| {
        actions.nodes[i].table == table
            && actions.nodes[i].sequence.is_none()
            && !reached.contains(&i)
    });
    match orphan {
        Some(id) => Err(cycle_error(actions, id, table)),
        None => Ok(()),
    }
}

/// WiX checks a chain only against the neighbouring absolute numbers, so an After-chain
/// and the next action's Before-chain could meet on one number; that would leave their
/// order to chance, so it is an error here.
fn check_distinct_numbers(
    actions: &Actions,
    absolute: &[usize],
    assigned: &[(usize, i32)],
    table: SequenceTable,
) -> Result<()> {
    let mut by_number: BTreeMap<i32, usize> = absolute
        .iter()
        .map(|&i| (actions.nodes[i].sequence.unwrap_or_default(), i))
        .collect();
    for &(id, number) in assigned {
        if let Some(&other) = by_number.get(&number) {
            let node = &actions.nodes[id];
            return Err(err(
                node.loc.as_ref().unwrap_or(&Location::file("")),
                format!(
                    "action '{}' in {} gets sequence number {number}, which '{}' already has; \
                     too many actions are scheduled between their neighbours",
                    node.action, table, actions.nodes[other].action
                ),
            ));
        }
        by_number.insert(number, id);
    }
    Ok(())
}

/// The table's rows, by number then name.
fn table_rows(actions: &Actions, table: SequenceTable) -> Vec<ActionRow> {
    let mut rows: Vec<ActionRow> = actions
        .live()
        .filter(|&i| actions.nodes[i].table == table)
        .filter_map(|i| {
            let node = &actions.nodes[i];
            node.sequence.map(|sequence| ActionRow {
                action: node.action.clone(),
                condition: node.condition.clone(),
                sequence,
            })
        })
        .collect();
    rows.sort_by(|a, b| {
        a.sequence
            .cmp(&b.sequence)
            .then_with(|| a.action.cmp(&b.action))
    });
    rows
}

fn no_room(
    actions: &Actions,
    id: usize,
    abs: usize,
    table: SequenceTable,
    low: i32,
    high: i32,
) -> WixError {
    let node = &actions.nodes[id];
    err(
        node.loc.as_ref().unwrap_or(&Location::file("")),
        format!(
            "no free sequence number for action '{}' in {}: the actions scheduled around '{}' \
             do not fit between {low} and {high}",
            node.action, table, actions.nodes[abs].action
        ),
    )
}

/// Names the cycle `id` runs into: follows anchors until an action repeats.
fn cycle_error(actions: &Actions, id: usize, table: SequenceTable) -> WixError {
    let mut chain: Vec<usize> = vec![id];
    let mut current = id;
    while let Some((_, parent)) = &actions.nodes[current].anchor {
        match actions.get(table, parent) {
            Some(next) if !chain.contains(&next) => {
                chain.push(next);
                current = next;
            }
            Some(next) => {
                chain.push(next);
                break;
            }
            None => break,
        }
    }
    let start = chain
        .last()
        .and_then(|last| chain.iter().position(|c| c == last))
        .unwrap_or(0);
    let names: Vec<&str> = chain[start..]
        .iter()
        .map(|&i| actions.nodes[i].action.as_str())
        .collect();
    let first = &actions.nodes[chain[start]];
    err(
        first.loc.as_ref().unwrap_or(&Location::file("")),
        format!(
            "actions in {table} are scheduled relative to each other in a cycle: {} (each is \
             Before/After the next)",
            names.join(" → ")
        ),
    )
}

/// An approximation of .NET's culture-sensitive string order, which light's sorted action
/// collections use: letters compare case-insensitively after digits and punctuation,
/// lowercase before uppercase on a tie.
fn dotnet_string_order(a: &str, b: &str) -> Ordering {
    fn weight(c: char) -> (u8, char) {
        if c.is_ascii_alphabetic() {
            (2, c.to_ascii_lowercase())
        } else if c.is_ascii_digit() {
            (1, c)
        } else {
            (0, c)
        }
    }
    a.chars()
        .map(weight)
        .cmp(b.chars().map(weight))
        .then_with(|| {
            a.chars()
                .map(|c| c.is_ascii_uppercase())
                .cmp(b.chars().map(|c| c.is_ascii_uppercase()))
        })
        .then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loc(line: u32) -> Location {
        Location::new("Product.wxs", line)
    }

    fn present(tables: &[&str]) -> BTreeSet<String> {
        tables.iter().map(|t| t.to_string()).collect()
    }

    fn v4() -> SequenceOptions {
        SequenceOptions {
            rules: Rules::WixV4,
            upgrade_migrates_features: true,
        }
    }

    fn v3() -> SequenceOptions {
        SequenceOptions {
            rules: Rules::WixV3,
            upgrade_migrates_features: true,
        }
    }

    fn after(table: SequenceTable, action: &str, anchor: &str, line: u32) -> CustomScheduling {
        CustomScheduling::new(
            table,
            action,
            Some(Placement::After(anchor.into())),
            loc(line),
        )
    }

    fn before(table: SequenceTable, action: &str, anchor: &str, line: u32) -> CustomScheduling {
        CustomScheduling::new(
            table,
            action,
            Some(Placement::Before(anchor.into())),
            loc(line),
        )
    }

    /// Rows as WiX's test suite prints them (`Query.QueryDatabase`): `Table:Action\tCondition\tSequence`,
    /// sorted.
    fn query(sequences: &Sequences, tables: &[SequenceTable]) -> Vec<String> {
        let mut lines: Vec<String> = tables
            .iter()
            .flat_map(|t| {
                sequences.tables[t].iter().map(move |r| {
                    format!(
                        "{t}:{}\t{}\t{}",
                        r.action,
                        r.condition.as_deref().unwrap_or(""),
                        r.sequence
                    )
                })
            })
            .collect();
        lines.sort();
        lines
    }

    fn number(sequences: &Sequences, table: SequenceTable, action: &str) -> Option<i32> {
        sequences.tables[&table]
            .iter()
            .find(|r| r.action == action)
            .map(|r| r.sequence)
    }

    /// The tables of WiX's `ProductWithComponentGroupRef` test package (one file in one
    /// component, a feature, MajorUpgrade) as the binder sees them.
    const MINIMAL_PACKAGE: &[&str] = &[
        "Component",
        "Directory",
        "Feature",
        "FeatureComponents",
        "File",
        "LaunchCondition",
        "Media",
        "MsiFileHash",
        "Property",
        "Upgrade",
    ];

    /// wixtoolset/wix src/wix/test/WixToolsetTest.CoreIntegration/CustomActionFixture.cs,
    /// `CanCompileWithUnscheduledCustomActions` (UnscheduledCustomAction.wxs +
    /// ProductWithComponentGroupRef): all five tables, CustomAction2 After CostInitialize in
    /// each, RemoveExistingProducts from `<MajorUpgrade/>`.
    #[test]
    fn matches_wix_v4_fixture_for_all_five_tables() {
        let mut tables = present(MINIMAL_PACKAGE);
        tables.extend(present(&["ActionText", "Binary", "CustomAction"]));
        let mut custom = vec![CustomScheduling::remove_existing_products(
            MajorUpgradeSchedule::AfterInstallValidate,
            loc(7),
        )];
        for (line, table) in (13..).step_by(3).zip(SequenceTable::ALL) {
            custom.push(after(table, "CustomAction2", "CostInitialize", line));
        }
        let sequences = build_sequences(&tables, &custom, &v4()).expect("sequences");
        assert!(sequences.warnings.is_empty());
        let expected = [
            "AdminExecuteSequence:CostFinalize\t\t1000",
            "AdminExecuteSequence:CostInitialize\t\t800",
            "AdminExecuteSequence:CustomAction2\t\t801",
            "AdminExecuteSequence:FileCost\t\t900",
            "AdminExecuteSequence:InstallAdminPackage\t\t3900",
            "AdminExecuteSequence:InstallFiles\t\t4000",
            "AdminExecuteSequence:InstallFinalize\t\t6600",
            "AdminExecuteSequence:InstallInitialize\t\t1500",
            "AdminExecuteSequence:InstallValidate\t\t1400",
            "AdminUISequence:CostFinalize\t\t1000",
            "AdminUISequence:CostInitialize\t\t800",
            "AdminUISequence:CustomAction2\t\t801",
            "AdminUISequence:ExecuteAction\t\t1300",
            "AdminUISequence:FileCost\t\t900",
            "AdvtExecuteSequence:CostFinalize\t\t1000",
            "AdvtExecuteSequence:CostInitialize\t\t800",
            "AdvtExecuteSequence:CustomAction2\t\t801",
            "AdvtExecuteSequence:InstallFinalize\t\t6600",
            "AdvtExecuteSequence:InstallInitialize\t\t1500",
            "AdvtExecuteSequence:InstallValidate\t\t1400",
            "AdvtExecuteSequence:PublishFeatures\t\t6300",
            "AdvtExecuteSequence:PublishProduct\t\t6400",
            "InstallExecuteSequence:CostFinalize\t\t1000",
            "InstallExecuteSequence:CostInitialize\t\t800",
            "InstallExecuteSequence:CreateFolders\t\t3700",
            "InstallExecuteSequence:CustomAction2\t\t801",
            "InstallExecuteSequence:FileCost\t\t900",
            "InstallExecuteSequence:FindRelatedProducts\t\t25",
            "InstallExecuteSequence:InstallFiles\t\t4000",
            "InstallExecuteSequence:InstallFinalize\t\t6600",
            "InstallExecuteSequence:InstallInitialize\t\t1500",
            "InstallExecuteSequence:InstallValidate\t\t1400",
            "InstallExecuteSequence:LaunchConditions\t\t100",
            "InstallExecuteSequence:MigrateFeatureStates\t\t1200",
            "InstallExecuteSequence:ProcessComponents\t\t1600",
            "InstallExecuteSequence:PublishFeatures\t\t6300",
            "InstallExecuteSequence:PublishProduct\t\t6400",
            "InstallExecuteSequence:RegisterProduct\t\t6100",
            "InstallExecuteSequence:RegisterUser\t\t6000",
            "InstallExecuteSequence:RemoveExistingProducts\t\t1401",
            "InstallExecuteSequence:RemoveFiles\t\t3500",
            "InstallExecuteSequence:RemoveFolders\t\t3600",
            "InstallExecuteSequence:UnpublishFeatures\t\t1800",
            "InstallExecuteSequence:ValidateProductID\t\t700",
            "InstallUISequence:CostFinalize\t\t1000",
            "InstallUISequence:CostInitialize\t\t800",
            "InstallUISequence:CustomAction2\t\t801",
            "InstallUISequence:ExecuteAction\t\t1300",
            "InstallUISequence:FileCost\t\t900",
            "InstallUISequence:FindRelatedProducts\t\t25",
            "InstallUISequence:LaunchConditions\t\t100",
            "InstallUISequence:MigrateFeatureStates\t\t1200",
            "InstallUISequence:ValidateProductID\t\t700",
        ];
        assert_eq!(query(&sequences, &SequenceTable::ALL), expected);
    }

    /// StandardActionFixture.cs `CanCompileSpecialActionWithOverride`
    /// (TestData/StandardAction/SpecialActionOverride.wxs): standard actions rescheduled
    /// relative to each other, plus WiX v5's implicit (overridable) major upgrade.
    #[test]
    fn matches_wix_v4_fixture_for_rescheduled_standard_actions() {
        let mut implicit_upgrade = CustomScheduling::remove_existing_products(
            MajorUpgradeSchedule::AfterInstallValidate,
            loc(2),
        );
        implicit_upgrade.overridable = true;
        let custom = [
            before(InstallExecute, "FindRelatedProducts", "LaunchConditions", 7),
            after(InstallExecute, "AppSearch", "FindRelatedProducts", 8),
            implicit_upgrade,
        ];
        let sequences =
            build_sequences(&present(MINIMAL_PACKAGE), &custom, &v4()).expect("sequences");
        let expected = [
            "InstallExecuteSequence:AppSearch\t\t99",
            "InstallExecuteSequence:CostFinalize\t\t1000",
            "InstallExecuteSequence:CostInitialize\t\t800",
            "InstallExecuteSequence:CreateFolders\t\t3700",
            "InstallExecuteSequence:FileCost\t\t900",
            "InstallExecuteSequence:FindRelatedProducts\t\t98",
            "InstallExecuteSequence:InstallFiles\t\t4000",
            "InstallExecuteSequence:InstallFinalize\t\t6600",
            "InstallExecuteSequence:InstallInitialize\t\t1500",
            "InstallExecuteSequence:InstallValidate\t\t1400",
            "InstallExecuteSequence:LaunchConditions\t\t100",
            "InstallExecuteSequence:MigrateFeatureStates\t\t1200",
            "InstallExecuteSequence:ProcessComponents\t\t1600",
            "InstallExecuteSequence:PublishFeatures\t\t6300",
            "InstallExecuteSequence:PublishProduct\t\t6400",
            "InstallExecuteSequence:RegisterProduct\t\t6100",
            "InstallExecuteSequence:RegisterUser\t\t6000",
            "InstallExecuteSequence:RemoveExistingProducts\t\t1401",
            "InstallExecuteSequence:RemoveFiles\t\t3500",
            "InstallExecuteSequence:RemoveFolders\t\t3600",
            "InstallExecuteSequence:UnpublishFeatures\t\t1800",
            "InstallExecuteSequence:ValidateProductID\t\t700",
            "InstallUISequence:CostFinalize\t\t1000",
            "InstallUISequence:CostInitialize\t\t800",
            "InstallUISequence:ExecuteAction\t\t1300",
            "InstallUISequence:FileCost\t\t900",
            "InstallUISequence:FindRelatedProducts\t\t25",
            "InstallUISequence:LaunchConditions\t\t100",
            "InstallUISequence:MigrateFeatureStates\t\t1200",
            "InstallUISequence:ValidateProductID\t\t700",
        ];
        assert_eq!(query(&sequences, &[InstallExecute, InstallUI]), expected);
    }

    /// StandardActionFixture.cs `CanCompileStandardActionWithOverride`: a standard action
    /// authored without placement keeps its number and takes the authored condition.
    #[test]
    fn standard_action_override_keeps_number_and_takes_condition() {
        let mut install_files = CustomScheduling::new(InstallExecute, "InstallFiles", None, loc(7));
        install_files.condition = Some("TEST_CONDITION".into());
        let sequences =
            build_sequences(&present(MINIMAL_PACKAGE), &[install_files], &v4()).expect("sequences");
        assert!(query(&sequences, &[InstallExecute])
            .contains(&"InstallExecuteSequence:InstallFiles\tTEST_CONDITION\t4000".to_string()));

        // Authored without a condition, it has none: WiX does not copy the standard one.
        let services = present(&["Component", "File", "ServiceInstall"]);
        let bare = CustomScheduling::new(InstallExecute, "InstallServices", None, loc(9));
        let sequences = build_sequences(&services, &[bare], &v4()).expect("sequences");
        let row = sequences.tables[&InstallExecute]
            .iter()
            .find(|r| r.action == "InstallServices");
        assert_eq!(
            row,
            Some(&ActionRow {
                action: "InstallServices".into(),
                condition: None,
                sequence: 5800
            })
        );
    }

    /// A v3 package like WiX's minimal one: no CreateFolders/RemoveFolders without
    /// CreateFolder rows (Linker.cs SequenceActions). wixl writes exactly these rows for
    /// the same package.
    #[test]
    fn wix_v3_minimal_package_install_execute_sequence() {
        let custom = [CustomScheduling::remove_existing_products(
            MajorUpgradeSchedule::AfterInstallValidate,
            loc(5),
        )];
        let sequences =
            build_sequences(&present(MINIMAL_PACKAGE), &custom, &v3()).expect("sequences");
        let rows: Vec<(&str, i32)> = sequences.tables[&InstallExecute]
            .iter()
            .map(|r| (r.action.as_str(), r.sequence))
            .collect();
        assert_eq!(
            rows,
            [
                ("FindRelatedProducts", 25),
                ("LaunchConditions", 100),
                ("ValidateProductID", 700),
                ("CostInitialize", 800),
                ("FileCost", 900),
                ("CostFinalize", 1000),
                ("MigrateFeatureStates", 1200),
                ("InstallValidate", 1400),
                ("RemoveExistingProducts", 1401),
                ("InstallInitialize", 1500),
                ("ProcessComponents", 1600),
                ("UnpublishFeatures", 1800),
                ("RemoveFiles", 3500),
                ("InstallFiles", 4000),
                ("RegisterUser", 6000),
                ("RegisterProduct", 6100),
                ("PublishFeatures", 6300),
                ("PublishProduct", 6400),
                ("InstallFinalize", 6600),
            ]
        );
        let ui: Vec<&str> = sequences.tables[&InstallUI]
            .iter()
            .map(|r| r.action.as_str())
            .collect();
        assert_eq!(
            ui,
            [
                "FindRelatedProducts",
                "LaunchConditions",
                "ValidateProductID",
                "CostInitialize",
                "FileCost",
                "CostFinalize",
                "MigrateFeatureStates",
                "ExecuteAction"
            ]
        );
    }

    /// Real `light` (WiX 3.5) output: wixtoolset/wix3
    /// test/data/BurnTestPayloads/MSIsandMSPs/RtmProduct/product.msi, one file, no upgrade.
    #[test]
    fn matches_wix_v3_output_for_a_file_only_package() {
        let tables = present(&[
            "Component",
            "Directory",
            "Feature",
            "FeatureComponents",
            "File",
            "Media",
            "MsiFileHash",
            "Property",
        ]);
        let s = build_sequences(&tables, &[], &v3()).expect("sequences");
        let numbers = |t: SequenceTable| -> Vec<(&str, i32)> {
            s.tables[&t]
                .iter()
                .map(|r| (r.action.as_str(), r.sequence))
                .collect()
        };
        assert_eq!(
            numbers(InstallExecute),
            [
                ("ValidateProductID", 700),
                ("CostInitialize", 800),
                ("FileCost", 900),
                ("CostFinalize", 1000),
                ("InstallValidate", 1400),
                ("InstallInitialize", 1500),
                ("ProcessComponents", 1600),
                ("UnpublishFeatures", 1800),
                ("RemoveFiles", 3500),
                ("InstallFiles", 4000),
                ("RegisterUser", 6000),
                ("RegisterProduct", 6100),
                ("PublishFeatures", 6300),
                ("PublishProduct", 6400),
                ("InstallFinalize", 6600),
            ]
        );
        assert_eq!(
            numbers(InstallUI),
            [
                ("ValidateProductID", 700),
                ("CostInitialize", 800),
                ("FileCost", 900),
                ("CostFinalize", 1000),
                ("ExecuteAction", 1300),
            ]
        );
        assert_eq!(
            numbers(AdminExecute),
            [
                ("CostInitialize", 800),
                ("FileCost", 900),
                ("CostFinalize", 1000),
                ("InstallValidate", 1400),
                ("InstallInitialize", 1500),
                ("InstallAdminPackage", 3900),
                ("InstallFiles", 4000),
                ("InstallFinalize", 6600),
            ]
        );
        assert_eq!(
            numbers(AdminUI),
            [
                ("CostInitialize", 800),
                ("FileCost", 900),
                ("CostFinalize", 1000),
                ("ExecuteAction", 1300)
            ]
        );
        assert_eq!(
            numbers(AdvtExecute),
            [
                ("CostInitialize", 800),
                ("CostFinalize", 1000),
                ("InstallValidate", 1400),
                ("InstallInitialize", 1500),
                ("PublishFeatures", 6300),
                ("PublishProduct", 6400),
                ("InstallFinalize", 6600),
            ]
        );
    }

    /// Real `light` output: wixtoolset/wix3 test/data/Integration/BuildingPackages/
    /// Sequencing/SequencingTests/SimpleSequencing (expected.msi from product.wxs): a custom
    /// action After InstallFiles pulls InstallFiles into a package with no files, and one
    /// Before InstallFinalize lands on 6599.
    #[test]
    fn matches_wix_v3_output_for_simple_sequencing() {
        let tables = present(&["Binary", "CustomAction", "Media", "Property"]);
        let custom = [
            after(InstallExecute, "CustomAction1", "InstallFiles", 10),
            before(AdminExecute, "CustomAction1", "InstallFinalize", 13),
        ];
        let s = build_sequences(&tables, &custom, &v3()).expect("sequences");
        let ie: Vec<(&str, i32)> = s.tables[&InstallExecute]
            .iter()
            .map(|r| (r.action.as_str(), r.sequence))
            .collect();
        assert_eq!(
            ie,
            [
                ("ValidateProductID", 700),
                ("CostInitialize", 800),
                ("FileCost", 900),
                ("CostFinalize", 1000),
                ("InstallValidate", 1400),
                ("InstallInitialize", 1500),
                ("ProcessComponents", 1600),
                ("UnpublishFeatures", 1800),
                ("InstallFiles", 4000),
                ("CustomAction1", 4001),
                ("RegisterUser", 6000),
                ("RegisterProduct", 6100),
                ("PublishFeatures", 6300),
                ("PublishProduct", 6400),
                ("InstallFinalize", 6600),
            ]
        );
        assert_eq!(number(&s, AdminExecute, "CustomAction1"), Some(6599));
    }

    /// Real `light` output: wixtoolset/wix3 test/data/Integration/BuildingPackages/
    /// Sequencing/InstallExecuteSequenceTests/AllStandardActions (expected.msi from
    /// product.wxs): every standard action authored bare keeps its number but not its
    /// standard condition, and the special actions After InstallFiles line up by name
    /// (authored here in reverse to show it is not authoring order).
    #[test]
    fn matches_wix_v3_output_for_all_standard_actions_authored() {
        let expected: &[(&str, i32)] = &[
            ("FindRelatedProducts", 25),
            ("AppSearch", 50),
            ("LaunchConditions", 100),
            ("CCPSearch", 500),
            ("RMCCPSearch", 600),
            ("ValidateProductID", 700),
            ("CostInitialize", 800),
            ("ResolveSource", 801),
            ("FileCost", 900),
            ("IsolateComponents", 950),
            ("CostFinalize", 1000),
            ("SetODBCFolders", 1100),
            ("MigrateFeatureStates", 1200),
            ("InstallValidate", 1400),
            ("InstallInitialize", 1500),
            ("AllocateRegistrySpace", 1550),
            ("ProcessComponents", 1600),
            ("UnpublishComponents", 1700),
            ("MsiUnpublishAssemblies", 1750),
            ("UnpublishFeatures", 1800),
            ("StopServices", 1900),
            ("DeleteServices", 2000),
            ("UnregisterComPlus", 2100),
            ("SelfUnregModules", 2200),
            ("UnregisterTypeLibraries", 2300),
            ("RemoveODBC", 2400),
            ("UnregisterFonts", 2500),
            ("RemoveRegistryValues", 2600),
            ("UnregisterClassInfo", 2700),
            ("UnregisterExtensionInfo", 2800),
            ("UnregisterProgIdInfo", 2900),
            ("UnregisterMIMEInfo", 3000),
            ("RemoveIniValues", 3100),
            ("RemoveShortcuts", 3200),
            ("RemoveEnvironmentStrings", 3300),
            ("RemoveDuplicateFiles", 3400),
            ("RemoveFiles", 3500),
            ("RemoveFolders", 3600),
            ("CreateFolders", 3700),
            ("MoveFiles", 3800),
            ("InstallFiles", 4000),
            ("DisableRollback", 4001),
            ("ForceReboot", 4002),
            ("InstallExecute", 4003),
            ("InstallExecuteAgain", 4004),
            ("RemoveExistingProducts", 4005),
            ("ScheduleReboot", 4006),
            ("PatchFiles", 4090),
            ("DuplicateFiles", 4210),
            ("BindImage", 4300),
            ("CreateShortcuts", 4500),
            ("RegisterClassInfo", 4600),
            ("RegisterExtensionInfo", 4700),
            ("RegisterProgIdInfo", 4800),
            ("RegisterMIMEInfo", 4900),
            ("WriteRegistryValues", 5000),
            ("WriteIniValues", 5100),
            ("WriteEnvironmentStrings", 5200),
            ("RegisterFonts", 5300),
            ("InstallODBC", 5400),
            ("RegisterTypeLibraries", 5500),
            ("SelfRegModules", 5600),
            ("RegisterComPlus", 5700),
            ("InstallServices", 5800),
            ("StartServices", 5900),
            ("RegisterUser", 6000),
            ("RegisterProduct", 6100),
            ("PublishComponents", 6200),
            ("MsiPublishAssemblies", 6250),
            ("PublishFeatures", 6300),
            ("PublishProduct", 6400),
            ("InstallFinalize", 6600),
        ];
        let special = [
            "DisableRollback",
            "ForceReboot",
            "InstallExecute",
            "InstallExecuteAgain",
            "RemoveExistingProducts",
            "ScheduleReboot",
        ];
        let mut custom: Vec<CustomScheduling> = expected
            .iter()
            .filter(|(a, _)| !special.contains(a) && *a != "ResolveSource")
            .map(|(a, _)| CustomScheduling::new(InstallExecute, *a, None, loc(10)))
            .collect();
        custom.extend(
            special
                .iter()
                .rev()
                .map(|a| after(InstallExecute, a, "InstallFiles", 20)),
        );
        custom.push(after(InstallExecute, "ResolveSource", "CostInitialize", 30));
        let s =
            build_sequences(&present(&["Media", "Property"]), &custom, &v3()).expect("sequences");
        let rows = &s.tables[&InstallExecute];
        let got: Vec<(&str, i32)> = rows
            .iter()
            .map(|r| (r.action.as_str(), r.sequence))
            .collect();
        assert_eq!(got, expected);
        assert!(rows.iter().all(|r| r.condition.is_none()));
    }

    #[test]
    fn migrate_feature_states_needs_a_migrating_upgrade_row() {
        let options = SequenceOptions {
            rules: Rules::WixV4,
            upgrade_migrates_features: false,
        };
        let sequences =
            build_sequences(&present(MINIMAL_PACKAGE), &[], &options).expect("sequences");
        assert_eq!(
            number(&sequences, InstallExecute, "FindRelatedProducts"),
            Some(25)
        );
        assert_eq!(
            number(&sequences, InstallExecute, "MigrateFeatureStates"),
            None
        );
        assert_eq!(number(&sequences, InstallUI, "MigrateFeatureStates"), None);
    }

    #[test]
    fn services_get_their_actions_and_conditions() {
        let mut tables = present(MINIMAL_PACKAGE);
        tables.extend(present(&[
            "ServiceInstall",
            "ServiceControl",
            "MsiServiceConfig",
            "MsiServiceConfigFailureActions",
        ]));
        let sequences = build_sequences(&tables, &[], &v4()).expect("sequences");
        let services: Vec<String> = query(&sequences, &[InstallExecute])
            .into_iter()
            .filter(|l| l.contains("Services"))
            .collect();
        assert_eq!(
            services,
            [
                "InstallExecuteSequence:DeleteServices\tVersionNT\t2000",
                "InstallExecuteSequence:InstallServices\tVersionNT\t5800",
                "InstallExecuteSequence:MsiConfigureServices\tVersionNT>=600\t5850",
                "InstallExecuteSequence:StartServices\tVersionNT\t5900",
                "InstallExecuteSequence:StopServices\tVersionNT\t1900",
            ]
        );

        // Each table brings only its own actions.
        let only_install =
            build_sequences(&present(&["File", "ServiceInstall"]), &[], &v4()).expect("sequences");
        assert_eq!(
            number(&only_install, InstallExecute, "InstallServices"),
            Some(5800)
        );
        for absent in [
            "StartServices",
            "StopServices",
            "DeleteServices",
            "MsiConfigureServices",
        ] {
            assert_eq!(
                number(&only_install, InstallExecute, absent),
                None,
                "{absent}"
            );
        }
        let failure_actions = build_sequences(
            &present(&["File", "MsiServiceConfigFailureActions"]),
            &[],
            &v4(),
        )
        .expect("sequences");
        assert_eq!(
            number(&failure_actions, InstallExecute, "MsiConfigureServices"),
            Some(5850)
        );
    }

    #[test]
    fn tables_bring_their_actions() {
        let tables = present(&[
            "Registry",
            "Shortcut",
            "Environment",
            "IniFile",
            "CreateFolder",
            "RemoveFile",
            "MoveFile",
            "AppSearch",
        ]);
        let s = build_sequences(&tables, &[], &v3()).expect("sequences");
        for (table, action, seq) in [
            (InstallExecute, "WriteRegistryValues", 5000),
            (InstallExecute, "RemoveRegistryValues", 2600),
            (InstallExecute, "CreateShortcuts", 4500),
            (InstallExecute, "RemoveShortcuts", 3200),
            (AdvtExecute, "CreateShortcuts", 4500),
            (InstallExecute, "WriteEnvironmentStrings", 5200),
            (InstallExecute, "RemoveEnvironmentStrings", 3300),
            (InstallExecute, "WriteIniValues", 5100),
            (InstallExecute, "RemoveIniValues", 3100),
            (InstallExecute, "CreateFolders", 3700),
            (InstallExecute, "RemoveFolders", 3600),
            (InstallExecute, "RemoveFiles", 3500),
            (InstallExecute, "MoveFiles", 3800),
            (InstallExecute, "AppSearch", 50),
            (InstallUI, "AppSearch", 50),
        ] {
            assert_eq!(number(&s, table, action), Some(seq), "{table} {action}");
        }
        // No File table: no InstallFiles in InstallExecuteSequence (AdminExecute always has it)...
        assert_eq!(number(&s, InstallExecute, "InstallFiles"), None);
        assert_eq!(number(&s, AdminExecute, "InstallFiles"), Some(4000));
        // ...unless DuplicateFiles needs it.
        let dup = build_sequences(&present(&["DuplicateFile"]), &[], &v3()).expect("sequences");
        assert_eq!(number(&dup, InstallExecute, "DuplicateFiles"), Some(4210));
        assert_eq!(
            number(&dup, InstallExecute, "RemoveDuplicateFiles"),
            Some(3400)
        );
        assert_eq!(number(&dup, InstallExecute, "InstallFiles"), Some(4000));
    }

    #[test]
    fn before_and_after_chains_resolve_around_their_anchor() {
        let mut ca1 = before(InstallExecute, "CA1", "InstallFiles", 10);
        ca1.condition = Some("NOT Installed".into());
        let custom = [
            ca1,
            after(InstallExecute, "CA2", "InstallFiles", 11),
            after(InstallExecute, "CA3", "CA2", 12),
            before(InstallExecute, "CA4", "CA1", 13),
            CustomScheduling::new(
                InstallExecute,
                "CA5",
                Some(Placement::Sequence(4242)),
                loc(14),
            ),
            after(InstallExecute, "CA6", "InstallFiles", 15),
            before(InstallExecute, "CA7", "CA6", 16),
        ];
        let s = build_sequences(&present(MINIMAL_PACKAGE), &custom, &v4()).expect("sequences");
        let around: Vec<(&str, Option<&str>, i32)> = s.tables[&InstallExecute]
            .iter()
            .filter(|r| (3990..=4300).contains(&r.sequence))
            .map(|r| (r.action.as_str(), r.condition.as_deref(), r.sequence))
            .collect();
        assert_eq!(
            around,
            [
                ("CA4", None, 3998),
                ("CA1", Some("NOT Installed"), 3999),
                ("InstallFiles", None, 4000),
                ("CA2", None, 4001),
                ("CA3", None, 4002),
                ("CA7", None, 4003),
                ("CA6", None, 4004),
                ("CA5", None, 4242),
            ]
        );
    }

    #[test]
    fn sibling_order_follows_authoring_in_v4_and_names_in_v3() {
        let custom = [
            after(InstallExecute, "Zed", "InstallFiles", 10),
            after(InstallExecute, "alpha", "InstallFiles", 11),
            after(InstallExecute, "Beta", "InstallFiles", 12),
        ];
        let order = |options: &SequenceOptions| {
            let s = build_sequences(&present(&["File"]), &custom, options).expect("sequences");
            ["Zed", "alpha", "Beta"].map(|a| number(&s, InstallExecute, a).unwrap_or_default())
        };
        assert_eq!(order(&v4()), [4001, 4002, 4003]);
        // light's sorted collections: alpha, Beta, Zed (case-insensitive culture order).
        assert_eq!(order(&v3()), [4003, 4001, 4002]);
    }

    #[test]
    fn major_upgrade_schedules() {
        for (value, anchor, rep, extra) in [
            ("afterInstallValidate", "InstallValidate", 1401, None),
            ("afterInstallInitialize", "InstallInitialize", 1501, None),
            (
                "afterInstallExecute",
                "InstallExecute",
                6501,
                Some(("InstallExecute", 6500)),
            ),
            (
                "afterInstallExecuteAgain",
                "InstallExecuteAgain",
                6551,
                Some(("InstallExecuteAgain", 6550)),
            ),
            ("afterInstallFinalize", "InstallFinalize", 6601, None),
        ] {
            let schedule = MajorUpgradeSchedule::parse(value).expect(value);
            assert_eq!(schedule.anchor(), anchor);
            let custom = [CustomScheduling::remove_existing_products(schedule, loc(3))];
            let s = build_sequences(&present(MINIMAL_PACKAGE), &custom, &v4()).expect(value);
            assert_eq!(
                number(&s, InstallExecute, "RemoveExistingProducts"),
                Some(rep),
                "{value}"
            );
            for standard in ["InstallExecute", "InstallExecuteAgain"] {
                let want = extra.filter(|e| e.0 == standard).map(|e| e.1);
                assert_eq!(
                    number(&s, InstallExecute, standard),
                    want,
                    "{value}: {standard}"
                );
            }
            if let Some((action, _)) = extra {
                let row = s.tables[&InstallExecute]
                    .iter()
                    .find(|r| r.action == action);
                assert_eq!(
                    row.and_then(|r| r.condition.as_deref()),
                    Some("NOT Installed")
                );
            }
        }
        assert_eq!(
            MajorUpgradeSchedule::default(),
            MajorUpgradeSchedule::AfterInstallValidate
        );
        assert_eq!(MajorUpgradeSchedule::parse("AfterInstallValidate"), None);
    }

    #[test]
    fn overridable_actions_yield_and_suppression_removes() {
        let mut weak = after(InstallExecute, "CA", "InstallFiles", 10);
        weak.overridable = true;
        let strong = CustomScheduling::new(
            InstallExecute,
            "CA",
            Some(Placement::Sequence(5001)),
            loc(11),
        );
        for custom in [
            [weak.clone(), strong.clone()],
            [strong.clone(), weak.clone()],
        ] {
            let s = build_sequences(&present(&["File"]), &custom, &v4()).expect("sequences");
            assert_eq!(number(&s, InstallExecute, "CA"), Some(5001));
        }
        let e =
            build_sequences(&present(&["File"]), &[weak.clone(), weak.clone()], &v4()).unwrap_err();
        assert!(
            e.message
                .contains("overridable action 'CA' is scheduled twice"),
            "{e}"
        );

        let mut suppress = CustomScheduling::new(InstallExecute, "RemoveFiles", None, loc(20));
        suppress.suppress = true;
        let s =
            build_sequences(&present(&["File"]), &[suppress.clone()], &v4()).expect("sequences");
        assert_eq!(number(&s, InstallExecute, "RemoveFiles"), None);
        assert_eq!(s.warnings.len(), 1);
        assert_eq!(s.warnings[0].location, loc(20));

        let mut suppress_ca = CustomScheduling::new(InstallExecute, "CA", None, loc(21));
        suppress_ca.suppress = true;
        let e = build_sequences(&present(&["File"]), &[strong, suppress_ca], &v4()).unwrap_err();
        assert_eq!(e.location, loc(21));
        assert!(
            e.message.contains("not overridable") && e.message.contains("Product.wxs:11"),
            "{e}"
        );
    }

    #[test]
    fn scheduling_errors_name_the_action_and_location() {
        let tables = present(MINIMAL_PACKAGE);
        let fails =
            |custom: &[CustomScheduling]| build_sequences(&tables, custom, &v4()).unwrap_err();

        let e = fails(&[after(InstallExecute, "CA", "NoSuchAction", 30)]);
        assert_eq!(e.location, loc(30));
        assert!(
            e.message.contains("'NoSuchAction'") && e.message.contains("InstallExecuteSequence"),
            "{e}"
        );

        let e = fails(&[after(InstallUI, "CA", "InstallFiles", 31)]);
        assert!(
            e.message
                .contains("'InstallFiles', which is not in InstallUISequence"),
            "{e}"
        );
        assert!(
            e.message
                .contains("standard action of other sequence tables"),
            "{e}"
        );

        // CustomActionCycle.wxs in WiX's tests.
        let e = fails(&[
            after(InstallExecute, "Action1", "Action2", 13),
            after(InstallExecute, "Action2", "Action3", 14),
            after(InstallExecute, "Action3", "Action1", 15),
        ]);
        assert!(
            e.message.contains("cycle") && e.message.contains("Action1"),
            "{e}"
        );
        // CustomActionCycleWithTail.wxs: the tail is not part of the cycle, but hangs from it.
        let e = fails(&[
            after(InstallExecute, "Action1", "Action2", 14),
            after(InstallExecute, "Action2", "Action3", 15),
            after(InstallExecute, "Action3", "Action4", 16),
            after(InstallExecute, "Action4", "Action2", 17),
        ]);
        assert!(
            e.message.contains("Action2 → Action3 → Action4 → Action2"),
            "{e}"
        );

        let e = fails(&[
            after(InstallExecute, "CA", "InstallFiles", 40),
            after(InstallExecute, "CA", "InstallFiles", 41),
        ]);
        assert_eq!(e.location, loc(41));
        assert!(
            e.message.contains("scheduled twice") && e.message.contains("Product.wxs:40"),
            "{e}"
        );

        let e = fails(&[CustomScheduling::new(InstallExecute, "CA", None, loc(50))]);
        assert!(e.message.contains("needs Sequence, Before or After"), "{e}");
        let e = fails(&[CustomScheduling::new(
            InstallUI,
            "InstallFiles",
            None,
            loc(51),
        )]);
        assert!(e.message.contains("no standard sequence number"), "{e}");

        for bad in [0, 32768, -5] {
            let e = fails(&[CustomScheduling::new(
                InstallExecute,
                "CA",
                Some(Placement::Sequence(bad)),
                loc(52),
            )]);
            assert!(e.message.contains(&format!("sequence {bad}")), "{e}");
        }
        let mut long = after(InstallExecute, "CA", "InstallFiles", 53);
        long.condition = Some("A".repeat(256));
        assert!(fails(&[long]).message.contains("at most 255"));
        assert!(fails(&[after(InstallExecute, "CA", "CA", 54)])
            .message
            .contains("relative to itself"));

        // Termination actions have no neighbours to share.
        let exit = CustomScheduling::new(
            InstallUI,
            "ExitDialog",
            Some(Placement::Sequence(-1)),
            loc(60),
        );
        let e = fails(&[exit, after(InstallUI, "CA", "ExitDialog", 61)]);
        assert_eq!(e.location, loc(61));
        assert!(e.message.contains("termination action"), "{e}");
    }

    #[test]
    fn chains_that_do_not_fit_are_errors() {
        let tables = present(&["File"]);
        // InstallFiles 4000 and a custom action at 4002: two actions After InstallFiles
        // would need 4001 and 4002.
        let custom = [
            CustomScheduling::new(
                InstallExecute,
                "Fixed",
                Some(Placement::Sequence(4002)),
                loc(1),
            ),
            after(InstallExecute, "A", "InstallFiles", 2),
            after(InstallExecute, "B", "InstallFiles", 3),
        ];
        let e = build_sequences(&tables, &custom, &v4()).unwrap_err();
        assert_eq!(e.location, loc(3));
        assert!(
            e.message.contains("no free sequence number for action 'B'"),
            "{e}"
        );

        // Before the first absolute action there is no room below 1.
        let custom = [
            CustomScheduling::new(InstallUI, "First", Some(Placement::Sequence(1)), loc(4)),
            before(InstallUI, "Early", "First", 5),
        ];
        assert!(build_sequences(&tables, &custom, &v4()).is_err());

        // An After-chain and the next action's Before-chain meeting on one number.
        let custom = [
            CustomScheduling::new(
                InstallExecute,
                "Fixed",
                Some(Placement::Sequence(4002)),
                loc(6),
            ),
            after(InstallExecute, "A", "InstallFiles", 7),
            before(InstallExecute, "B", "Fixed", 8),
        ];
        let e = build_sequences(&tables, &custom, &v4()).unwrap_err();
        assert!(e.message.contains("4001"), "{e}");
    }

    #[test]
    fn equal_explicit_numbers_warn() {
        let custom = [CustomScheduling::new(
            InstallExecute,
            "CA",
            Some(Placement::Sequence(4000)),
            loc(9),
        )];
        let s = build_sequences(&present(&["File"]), &custom, &v4()).expect("sequences");
        assert_eq!(s.warnings.len(), 1);
        assert!(s.warnings[0].message.contains("4000"));
    }

    #[test]
    fn output_is_sorted_and_deterministic() {
        let custom = [
            after(InstallExecute, "CA", "CostInitialize", 1),
            before(InstallUI, "UI", "ExecuteAction", 2),
        ];
        let first = build_sequences(&present(MINIMAL_PACKAGE), &custom, &v4()).expect("sequences");
        let second = build_sequences(&present(MINIMAL_PACKAGE), &custom, &v4()).expect("sequences");
        assert_eq!(first.tables, second.tables);
        assert_eq!(first.tables.len(), 5);
        for rows in first.tables.values() {
            assert!(rows.windows(2).all(|w| w[0].sequence < w[1].sequence));
        }
        assert_eq!(number(&first, InstallUI, "UI"), Some(1299));
    }

    #[test]
    fn table_names_round_trip() {
        for table in SequenceTable::ALL {
            assert_eq!(SequenceTable::from_name(table.table_name()), Some(table));
        }
        assert_eq!(
            SequenceTable::from_name("AdvertiseExecuteSequence"),
            Some(AdvtExecute)
        );
        assert_eq!(SequenceTable::from_name("AdvtUISequence"), None);
        assert!(is_standard_action("MsiConfigureServices"));
        assert!(!is_standard_action("RemoveExistingProducts"));
        assert_eq!(
            standard_action(InstallExecute, "StartServices"),
            Some(ActionRow {
                action: "StartServices".into(),
                condition: Some("VersionNT".into()),
                sequence: 5900
            })
        );
        assert_eq!(standard_action(InstallUI, "StartServices"), None);
    }
}
