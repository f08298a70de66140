//! MSI table schemas: the column definitions of every standard Windows Installer table the
//! compiler may write, as `msi` crate [`Column`]s.
//!
//! This module owns the *shape* of the database (column order, types, widths, nullability,
//! primary keys, the localizable bit) and the `_Validation` facts that go with it (min/max,
//! key table/column, category, value sets): `msi::Package::create_table` writes both from
//! these definitions. It knows nothing about rows; the lowering fills the tables.
//!
//! The facts are those of the MSI SDK's schema as WiX ships them (WiX v3
//! `src/tools/wix/Data/tables.xml`, identical for these tables to WiX v4+
//! `WindowsInstallerTableDefinitions.cs`), so `_Validation` matches what `light`/`wix build`
//! write, with the differences the `msi` crate forces, each noted where it applies:
//!
//! * A key column that may point into several tables (`Component.KeyPath`,
//!   `AppSearch.Signature_`, `CCPSearch.Signature_`) gets no KeyTable/KeyColumn: the `msi`
//!   crate stores KeyTable as an Identifier, which rejects the SDK's `File;Registry;…` list.
//! * `Class.Attributes` has only a maximum (32767) in the SDK; the crate can only store both
//!   bounds, so the column has no range.
//! * The crate spells the GUID category `GUID` in `_Validation.Category` where the SDK and
//!   WiX write `Guid`, and it leaves `_Validation.Description` null.
//!
//! Widths are enforced by the crate on insert (a longer string is an error, not a
//! truncation), as are categories it knows how to check (Identifier, Guid, Version,
//! Language, Cabinet, …) and string value sets; the lowering should report such values with
//! the authoring location before they reach the database.
//!
//! Only WiX `type="localized"` columns carry the localizable bit: WiX's
//! `localizable="yes"` on plain string columns (sequence conditions, `Upgrade.Language`, …)
//! changes neither the database type nor `_Validation`, so it is not reproduced.

use msi::{Category, Column};

/// Whether the database writer holds values of `table`.`column` to the column's width.
/// WiX checks no widths when it binds (its table definitions only describe the schema), and
/// Windows Installer stores longer strings as they are; real installers depend on that for
/// `CustomAction.Target`, which holds whole inline scripts (`Script="vbscript"`) and long
/// command lines far beyond its nominal 255 characters. Other columns keep the check, so a
/// value that is too long there is still reported where it is written.
pub fn enforces_width(table: &str, column: &str) -> bool {
    !matches!((table, column), ("CustomAction", "Target"))
}

/// Every table [`schema`] defines, sorted by name (byte order).
pub const TABLES: &[&str] = &[
    "ActionText",
    "AdminExecuteSequence",
    "AdminUISequence",
    "AdvtExecuteSequence",
    "AdvtUISequence",
    "AppId",
    "AppSearch",
    "BBControl",
    "Billboard",
    "Binary",
    "BindImage",
    "CCPSearch",
    "CheckBox",
    "Class",
    "ComboBox",
    "CompLocator",
    "Complus",
    "Component",
    "Condition",
    "Control",
    "ControlCondition",
    "ControlEvent",
    "CreateFolder",
    "CustomAction",
    "Dialog",
    "Directory",
    "DrLocator",
    "DuplicateFile",
    "Environment",
    "Error",
    "EventMapping",
    "Extension",
    "Feature",
    "FeatureComponents",
    "File",
    "Font",
    "Icon",
    "IniFile",
    "IniLocator",
    "InstallExecuteSequence",
    "InstallUISequence",
    "IsolatedComponent",
    "LaunchCondition",
    "ListBox",
    "ListView",
    "LockPermissions",
    "MIME",
    "Media",
    "MoveFile",
    "MsiAssembly",
    "MsiAssemblyName",
    "MsiFileHash",
    "MsiLockPermissionsEx",
    "MsiServiceConfig",
    "MsiServiceConfigFailureActions",
    "MsiShortcutProperty",
    "ODBCAttribute",
    "ODBCDataSource",
    "ODBCDriver",
    "ODBCSourceAttribute",
    "ODBCTranslator",
    "ProgId",
    "Property",
    "PublishComponent",
    "RadioButton",
    "RegLocator",
    "Registry",
    "RemoveFile",
    "RemoveIniFile",
    "RemoveRegistry",
    "ReserveCost",
    "SelfReg",
    "ServiceControl",
    "ServiceInstall",
    "Shortcut",
    "Signature",
    "TextStyle",
    "TypeLib",
    "UIText",
    "Upgrade",
    "Verb",
];

/// The columns of `table`, in database order, ready for `msi::Package::create_table`;
/// `None` for a table this module does not define.
pub fn schema(table: &str) -> Option<Vec<Column>> {
    let columns = match table {
        "AdminExecuteSequence"
        | "AdminUISequence"
        | "AdvtExecuteSequence"
        | "AdvtUISequence"
        | "InstallExecuteSequence"
        | "InstallUISequence" => sequence_table(),
        "ActionText" => action_text(),
        "AppId" => app_id(),
        "AppSearch" => app_search(),
        "BBControl" => bb_control(),
        "Billboard" => billboard(),
        "Binary" => binary(),
        "BindImage" => bind_image(),
        "CCPSearch" => ccp_search(),
        "CheckBox" => check_box(),
        "Class" => class(),
        "ComboBox" => combo_box(),
        "CompLocator" => comp_locator(),
        "Complus" => complus(),
        "Component" => component(),
        "Condition" => condition(),
        "Control" => control(),
        "ControlCondition" => control_condition(),
        "ControlEvent" => control_event(),
        "CreateFolder" => create_folder(),
        "CustomAction" => custom_action(),
        "Dialog" => dialog(),
        "Directory" => directory(),
        "DrLocator" => dr_locator(),
        "DuplicateFile" => duplicate_file(),
        "Environment" => environment(),
        "Error" => error(),
        "EventMapping" => event_mapping(),
        "Extension" => extension(),
        "Feature" => feature(),
        "FeatureComponents" => feature_components(),
        "File" => file(),
        "Font" => font(),
        "Icon" => icon(),
        "IniFile" => ini_file(),
        "IniLocator" => ini_locator(),
        "IsolatedComponent" => isolated_component(),
        "LaunchCondition" => launch_condition(),
        "ListBox" => list_box(),
        "ListView" => list_view(),
        "LockPermissions" => lock_permissions(),
        "MIME" => mime(),
        "Media" => media(),
        "MoveFile" => move_file(),
        "MsiAssembly" => msi_assembly(),
        "MsiAssemblyName" => msi_assembly_name(),
        "MsiFileHash" => msi_file_hash(),
        "MsiLockPermissionsEx" => msi_lock_permissions_ex(),
        "MsiServiceConfig" => msi_service_config(),
        "MsiServiceConfigFailureActions" => msi_service_config_failure_actions(),
        "MsiShortcutProperty" => msi_shortcut_property(),
        "ODBCAttribute" => odbc_attribute(),
        "ODBCDataSource" => odbc_data_source(),
        "ODBCDriver" => odbc_driver(),
        "ODBCSourceAttribute" => odbc_source_attribute(),
        "ODBCTranslator" => odbc_translator(),
        "ProgId" => prog_id(),
        "Property" => property(),
        "PublishComponent" => publish_component(),
        "RadioButton" => radio_button(),
        "RegLocator" => reg_locator(),
        "Registry" => registry(),
        "RemoveFile" => remove_file(),
        "RemoveIniFile" => remove_ini_file(),
        "RemoveRegistry" => remove_registry(),
        "ReserveCost" => reserve_cost(),
        "SelfReg" => self_reg(),
        "ServiceControl" => service_control(),
        "ServiceInstall" => service_install(),
        "Shortcut" => shortcut(),
        "Signature" => signature(),
        "TextStyle" => text_style(),
        "TypeLib" => type_lib(),
        "UIText" => ui_text(),
        "Upgrade" => upgrade(),
        "Verb" => verb(),
        _ => return None,
    };
    Some(columns)
}

/// The five standard sequence tables (and the rarely used AdvtUISequence) share one shape.
/// Sequence -4..-1 are the termination actions (OnExit); null suppresses the action.
fn sequence_table() -> Vec<Column> {
    vec![
        Column::build("Action").primary_key().id_string(72),
        Column::build("Condition")
            .nullable()
            .category(Category::Condition)
            .string(255),
        Column::build("Sequence")
            .nullable()
            .range(-4, 32767)
            .int16(),
    ]
}

fn action_text() -> Vec<Column> {
    vec![
        Column::build("Action").primary_key().id_string(72),
        Column::build("Description")
            .nullable()
            .localizable()
            .text_string(0),
        Column::build("Template")
            .nullable()
            .localizable()
            .category(Category::Template)
            .string(0),
    ]
}

fn app_id() -> Vec<Column> {
    vec![
        Column::build("AppId")
            .primary_key()
            .category(Category::Guid)
            .string(38),
        Column::build("RemoteServerName")
            .nullable()
            .formatted_string(255),
        Column::build("LocalService").nullable().text_string(255),
        Column::build("ServiceParameters")
            .nullable()
            .text_string(255),
        Column::build("DllSurrogate").nullable().text_string(255),
        Column::build("ActivateAtStorage")
            .nullable()
            .range(0, 1)
            .int16(),
        Column::build("RunAsInteractiveUser")
            .nullable()
            .range(0, 1)
            .int16(),
    ]
}

fn app_search() -> Vec<Column> {
    vec![
        Column::build("Property").primary_key().id_string(72),
        // SDK KeyTable "Signature;RegLocator;IniLocator;DrLocator;CompLocator": not storable.
        Column::build("Signature_").primary_key().id_string(72),
    ]
}

fn bb_control() -> Vec<Column> {
    vec![
        Column::build("Billboard_")
            .primary_key()
            .foreign_key("Billboard", 1)
            .id_string(50),
        Column::build("BBControl").primary_key().id_string(50),
        Column::build("Type").id_string(50),
        Column::build("X").range(0, 32767).int16(),
        Column::build("Y").range(0, 32767).int16(),
        Column::build("Width").range(0, 32767).int16(),
        Column::build("Height").range(0, 32767).int16(),
        Column::build("Attributes")
            .nullable()
            .range(0, 2147483647)
            .int32(),
        Column::build("Text")
            .nullable()
            .localizable()
            .text_string(50),
    ]
}

fn billboard() -> Vec<Column> {
    vec![
        Column::build("Billboard").primary_key().id_string(50),
        Column::build("Feature_")
            .foreign_key("Feature", 1)
            .id_string(38),
        Column::build("Action").nullable().id_string(50),
        Column::build("Ordering").nullable().range(0, 32767).int16(),
    ]
}

fn binary() -> Vec<Column> {
    vec![
        Column::build("Name").primary_key().id_string(72),
        // The builder's `binary()` leaves the category unset: Binary must be explicit.
        Column::build("Data").category(Category::Binary).binary(),
    ]
}

fn bind_image() -> Vec<Column> {
    vec![
        Column::build("File_")
            .primary_key()
            .foreign_key("File", 1)
            .id_string(72),
        Column::build("Path")
            .nullable()
            .category(Category::Paths)
            .string(255),
    ]
}

fn ccp_search() -> Vec<Column> {
    vec![
        // SDK KeyTable "Signature;RegLocator;IniLocator;DrLocator;CompLocator": not storable.
        Column::build("Signature_").primary_key().id_string(72),
    ]
}

fn check_box() -> Vec<Column> {
    vec![
        Column::build("Property").primary_key().id_string(72),
        Column::build("Value").nullable().formatted_string(64),
    ]
}

fn class() -> Vec<Column> {
    vec![
        Column::build("CLSID")
            .primary_key()
            .category(Category::Guid)
            .string(38),
        Column::build("Context").primary_key().id_string(32),
        Column::build("Component_")
            .primary_key()
            .foreign_key("Component", 1)
            .id_string(72),
        Column::build("ProgId_Default")
            .nullable()
            .foreign_key("ProgId", 1)
            .text_string(255),
        Column::build("Description")
            .nullable()
            .localizable()
            .text_string(255),
        Column::build("AppId_")
            .nullable()
            .foreign_key("AppId", 1)
            .category(Category::Guid)
            .string(38),
        Column::build("FileTypeMask").nullable().text_string(255),
        Column::build("Icon_")
            .nullable()
            .foreign_key("Icon", 1)
            .id_string(72),
        Column::build("IconIndex")
            .nullable()
            .range(-32767, 32767)
            .int16(),
        // The crate enforces the SDK set on insert, so a handler file name is rejected.
        Column::build("DefInprocHandler")
            .nullable()
            .enum_values(&["1", "2", "3"])
            .category(Category::Filename)
            .string(32),
        Column::build("Argument").nullable().formatted_string(255),
        Column::build("Feature_")
            .foreign_key("Feature", 1)
            .id_string(38),
        // SDK MaxValue 32767 with no MinValue: the crate cannot store one bound alone.
        Column::build("Attributes").nullable().int16(),
    ]
}

fn combo_box() -> Vec<Column> {
    vec![
        Column::build("Property").primary_key().id_string(72),
        Column::build("Order").primary_key().range(1, 32767).int16(),
        Column::build("Value").formatted_string(64),
        Column::build("Text")
            .nullable()
            .localizable()
            .formatted_string(64),
    ]
}

fn comp_locator() -> Vec<Column> {
    vec![
        Column::build("Signature_").primary_key().id_string(72),
        Column::build("ComponentId")
            .category(Category::Guid)
            .string(38),
        Column::build("Type").nullable().range(0, 1).int16(),
    ]
}

fn complus() -> Vec<Column> {
    vec![
        Column::build("Component_")
            .primary_key()
            .foreign_key("Component", 1)
            .id_string(72),
        Column::build("ExpType").nullable().range(0, 32767).int16(),
    ]
}

fn component() -> Vec<Column> {
    vec![
        Column::build("Component").primary_key().id_string(72),
        Column::build("ComponentId")
            .nullable()
            .category(Category::Guid)
            .string(38),
        Column::build("Directory_")
            .foreign_key("Directory", 1)
            .id_string(72),
        Column::build("Attributes").int16(),
        Column::build("Condition")
            .nullable()
            .category(Category::Condition)
            .string(255),
        // SDK KeyTable "File;Registry;ODBCDataSource": not storable (see module docs).
        Column::build("KeyPath").nullable().id_string(72),
    ]
}

fn condition() -> Vec<Column> {
    vec![
        Column::build("Feature_")
            .primary_key()
            .foreign_key("Feature", 1)
            .id_string(38),
        Column::build("Level").primary_key().range(0, 32767).int16(),
        Column::build("Condition")
            .nullable()
            .category(Category::Condition)
            .string(255),
    ]
}

fn control() -> Vec<Column> {
    vec![
        Column::build("Dialog_")
            .primary_key()
            .foreign_key("Dialog", 1)
            .id_string(72),
        Column::build("Control").primary_key().id_string(50),
        Column::build("Type").id_string(20),
        Column::build("X").range(0, 32767).int16(),
        Column::build("Y").range(0, 32767).int16(),
        Column::build("Width").range(0, 32767).int16(),
        Column::build("Height").range(0, 32767).int16(),
        Column::build("Attributes")
            .nullable()
            .range(0, 2147483647)
            .int32(),
        Column::build("Property").nullable().id_string(72),
        Column::build("Text")
            .nullable()
            .localizable()
            .formatted_string(0),
        Column::build("Control_Next")
            .nullable()
            .foreign_key("Control", 2)
            .id_string(50),
        Column::build("Help")
            .nullable()
            .localizable()
            .text_string(50),
    ]
}

fn control_condition() -> Vec<Column> {
    vec![
        Column::build("Dialog_")
            .primary_key()
            .foreign_key("Dialog", 1)
            .id_string(72),
        Column::build("Control_")
            .primary_key()
            .foreign_key("Control", 2)
            .id_string(50),
        // No category in the SDK: the value set alone constrains it.
        Column::build("Action")
            .primary_key()
            .enum_values(&["Default", "Disable", "Enable", "Hide", "Show"])
            .string(50),
        Column::build("Condition")
            .primary_key()
            .category(Category::Condition)
            .string(255),
    ]
}

fn control_event() -> Vec<Column> {
    vec![
        Column::build("Dialog_")
            .primary_key()
            .foreign_key("Dialog", 1)
            .id_string(72),
        Column::build("Control_")
            .primary_key()
            .foreign_key("Control", 2)
            .id_string(50),
        Column::build("Event").primary_key().formatted_string(50),
        Column::build("Argument")
            .primary_key()
            .formatted_string(255),
        Column::build("Condition")
            .primary_key()
            .nullable()
            .category(Category::Condition)
            .string(255),
        Column::build("Ordering")
            .nullable()
            .range(0, 2147483647)
            .int16(),
    ]
}

fn create_folder() -> Vec<Column> {
    vec![
        Column::build("Directory_")
            .primary_key()
            .foreign_key("Directory", 1)
            .id_string(72),
        Column::build("Component_")
            .primary_key()
            .foreign_key("Component", 1)
            .id_string(72),
    ]
}

fn custom_action() -> Vec<Column> {
    vec![
        Column::build("Action").primary_key().id_string(72),
        Column::build("Type").range(1, 32767).int16(),
        Column::build("Source")
            .nullable()
            .category(Category::CustomSource)
            .string(72),
        Column::build("Target").nullable().formatted_string(255),
        Column::build("ExtendedType")
            .nullable()
            .range(0, 2147483647)
            .int32(),
    ]
}

fn dialog() -> Vec<Column> {
    vec![
        Column::build("Dialog").primary_key().id_string(72),
        Column::build("HCentering").range(0, 100).int16(),
        Column::build("VCentering").range(0, 100).int16(),
        Column::build("Width").range(0, 32767).int16(),
        Column::build("Height").range(0, 32767).int16(),
        Column::build("Attributes")
            .nullable()
            .range(0, 2147483647)
            .int32(),
        Column::build("Title")
            .nullable()
            .localizable()
            .formatted_string(128),
        Column::build("Control_First")
            .foreign_key("Control", 2)
            .id_string(50),
        Column::build("Control_Default")
            .nullable()
            .foreign_key("Control", 2)
            .id_string(50),
        Column::build("Control_Cancel")
            .nullable()
            .foreign_key("Control", 2)
            .id_string(50),
    ]
}

fn directory() -> Vec<Column> {
    vec![
        Column::build("Directory").primary_key().id_string(72),
        Column::build("Directory_Parent")
            .nullable()
            .foreign_key("Directory", 1)
            .id_string(72),
        Column::build("DefaultDir")
            .localizable()
            .category(Category::DefaultDir)
            .string(255),
    ]
}

fn dr_locator() -> Vec<Column> {
    vec![
        Column::build("Signature_").primary_key().id_string(72),
        Column::build("Parent")
            .primary_key()
            .nullable()
            .id_string(72),
        Column::build("Path")
            .primary_key()
            .nullable()
            .category(Category::AnyPath)
            .string(255),
        Column::build("Depth").nullable().range(0, 32767).int16(),
    ]
}

fn duplicate_file() -> Vec<Column> {
    vec![
        Column::build("FileKey").primary_key().id_string(72),
        Column::build("Component_")
            .foreign_key("Component", 1)
            .id_string(72),
        Column::build("File_").foreign_key("File", 1).id_string(72),
        Column::build("DestName")
            .nullable()
            .localizable()
            .category(Category::Filename)
            .string(255),
        Column::build("DestFolder").nullable().id_string(72),
    ]
}

fn environment() -> Vec<Column> {
    vec![
        Column::build("Environment").primary_key().id_string(72),
        Column::build("Name").localizable().text_string(255),
        Column::build("Value")
            .nullable()
            .localizable()
            .formatted_string(255),
        Column::build("Component_")
            .foreign_key("Component", 1)
            .id_string(72),
    ]
}

fn error() -> Vec<Column> {
    vec![
        Column::build("Error").primary_key().range(0, 32767).int16(),
        Column::build("Message")
            .nullable()
            .localizable()
            .category(Category::Template)
            .string(0),
    ]
}

fn event_mapping() -> Vec<Column> {
    vec![
        Column::build("Dialog_")
            .primary_key()
            .foreign_key("Dialog", 1)
            .id_string(72),
        Column::build("Control_")
            .primary_key()
            .foreign_key("Control", 2)
            .id_string(50),
        Column::build("Event").primary_key().id_string(50),
        Column::build("Attribute").id_string(50),
    ]
}

fn extension() -> Vec<Column> {
    vec![
        Column::build("Extension").primary_key().text_string(255),
        Column::build("Component_")
            .primary_key()
            .foreign_key("Component", 1)
            .id_string(72),
        Column::build("ProgId_")
            .nullable()
            .foreign_key("ProgId", 1)
            .text_string(255),
        Column::build("MIME_")
            .nullable()
            .foreign_key("MIME", 1)
            .text_string(64),
        Column::build("Feature_")
            .foreign_key("Feature", 1)
            .id_string(38),
    ]
}

fn feature() -> Vec<Column> {
    vec![
        Column::build("Feature").primary_key().id_string(38),
        Column::build("Feature_Parent")
            .nullable()
            .foreign_key("Feature", 1)
            .id_string(38),
        Column::build("Title")
            .nullable()
            .localizable()
            .text_string(64),
        Column::build("Description")
            .nullable()
            .localizable()
            .text_string(255),
        Column::build("Display").nullable().range(0, 32767).int16(),
        Column::build("Level").range(0, 32767).int16(),
        Column::build("Directory_")
            .nullable()
            .foreign_key("Directory", 1)
            .category(Category::UpperCase)
            .string(72),
        Column::build("Attributes")
            .enum_values(&[
                "0", "1", "2", "4", "5", "6", "8", "9", "10", "16", "17", "18", "20", "21", "22",
                "24", "25", "26", "32", "33", "34", "36", "37", "38", "48", "49", "50", "52", "53",
                "54",
            ])
            .int16(),
    ]
}

fn feature_components() -> Vec<Column> {
    vec![
        Column::build("Feature_")
            .primary_key()
            .foreign_key("Feature", 1)
            .id_string(38),
        Column::build("Component_")
            .primary_key()
            .foreign_key("Component", 1)
            .id_string(72),
    ]
}

fn file() -> Vec<Column> {
    vec![
        Column::build("File").primary_key().id_string(72),
        Column::build("Component_")
            .foreign_key("Component", 1)
            .id_string(72),
        Column::build("FileName")
            .localizable()
            .category(Category::Filename)
            .string(255),
        Column::build("FileSize").range(0, 2147483647).int32(),
        // KeyTable File: a companion file's Version is another File key, which the crate's
        // Version check rejects; the lowering must not write companion files this way.
        Column::build("Version")
            .nullable()
            .foreign_key("File", 1)
            .category(Category::Version)
            .string(72),
        Column::build("Language")
            .nullable()
            .category(Category::Language)
            .string(20),
        Column::build("Attributes")
            .nullable()
            .range(0, 32767)
            .int16(),
        Column::build("Sequence").range(1, 2147483647).int32(),
    ]
}

fn font() -> Vec<Column> {
    vec![
        Column::build("File_")
            .primary_key()
            .foreign_key("File", 1)
            .id_string(72),
        Column::build("FontTitle").nullable().text_string(128),
    ]
}

fn icon() -> Vec<Column> {
    vec![
        Column::build("Name").primary_key().id_string(72),
        // The builder's `binary()` leaves the category unset: Binary must be explicit.
        Column::build("Data").category(Category::Binary).binary(),
    ]
}

fn ini_file() -> Vec<Column> {
    vec![
        Column::build("IniFile").primary_key().id_string(72),
        Column::build("FileName")
            .localizable()
            .category(Category::Filename)
            .string(255),
        Column::build("DirProperty").nullable().id_string(72),
        Column::build("Section").localizable().formatted_string(96),
        Column::build("Key").localizable().formatted_string(128),
        Column::build("Value").localizable().formatted_string(255),
        Column::build("Action")
            .enum_values(&["0", "1", "3"])
            .int16(),
        Column::build("Component_")
            .foreign_key("Component", 1)
            .id_string(72),
    ]
}

fn ini_locator() -> Vec<Column> {
    vec![
        Column::build("Signature_").primary_key().id_string(72),
        Column::build("FileName")
            .category(Category::Filename)
            .string(255),
        Column::build("Section").text_string(96),
        Column::build("Key").text_string(128),
        Column::build("Field").nullable().range(0, 32767).int16(),
        Column::build("Type").nullable().range(0, 2).int16(),
    ]
}

fn isolated_component() -> Vec<Column> {
    vec![
        Column::build("Component_Shared")
            .primary_key()
            .foreign_key("Component", 1)
            .id_string(72),
        Column::build("Component_Application")
            .primary_key()
            .foreign_key("Component", 1)
            .id_string(72),
    ]
}

fn launch_condition() -> Vec<Column> {
    vec![
        Column::build("Condition")
            .primary_key()
            .category(Category::Condition)
            .string(255),
        Column::build("Description")
            .localizable()
            .formatted_string(255),
    ]
}

fn list_box() -> Vec<Column> {
    vec![
        Column::build("Property").primary_key().id_string(72),
        Column::build("Order").primary_key().range(1, 32767).int16(),
        Column::build("Value").formatted_string(64),
        Column::build("Text")
            .nullable()
            .localizable()
            .text_string(64),
    ]
}

fn list_view() -> Vec<Column> {
    vec![
        Column::build("Property").primary_key().id_string(72),
        Column::build("Order").primary_key().range(1, 32767).int16(),
        Column::build("Value").formatted_string(64),
        Column::build("Text")
            .nullable()
            .localizable()
            .formatted_string(64),
        Column::build("Binary_")
            .nullable()
            .foreign_key("Binary", 1)
            .id_string(72),
    ]
}

fn lock_permissions() -> Vec<Column> {
    vec![
        Column::build("LockObject").primary_key().id_string(72),
        Column::build("Table")
            .primary_key()
            .enum_values(&["Directory", "File", "Registry"])
            .id_string(32),
        Column::build("Domain")
            .primary_key()
            .nullable()
            .formatted_string(255),
        Column::build("User").primary_key().formatted_string(255),
        Column::build("Permission")
            .nullable()
            .range(-2147483647, 2147483647)
            .int32(),
    ]
}

fn mime() -> Vec<Column> {
    vec![
        Column::build("ContentType").primary_key().text_string(64),
        Column::build("Extension_")
            .foreign_key("Extension", 1)
            .text_string(255),
        Column::build("CLSID")
            .nullable()
            .category(Category::Guid)
            .string(38),
    ]
}

fn media() -> Vec<Column> {
    vec![
        Column::build("DiskId")
            .primary_key()
            .range(1, 32767)
            .int16(),
        Column::build("LastSequence").range(0, 2147483647).int32(),
        Column::build("DiskPrompt")
            .nullable()
            .localizable()
            .text_string(64),
        Column::build("Cabinet")
            .nullable()
            .category(Category::Cabinet)
            .string(255),
        Column::build("VolumeLabel").nullable().text_string(32),
        Column::build("Source")
            .nullable()
            .category(Category::Property)
            .string(72),
    ]
}

fn move_file() -> Vec<Column> {
    vec![
        Column::build("FileKey").primary_key().id_string(72),
        Column::build("Component_")
            .foreign_key("Component", 1)
            .id_string(72),
        Column::build("SourceName")
            .nullable()
            .localizable()
            .text_string(255),
        Column::build("DestName")
            .nullable()
            .localizable()
            .category(Category::Filename)
            .string(255),
        Column::build("SourceFolder").nullable().id_string(72),
        Column::build("DestFolder").id_string(72),
        Column::build("Options").range(0, 1).int16(),
    ]
}

fn msi_assembly() -> Vec<Column> {
    vec![
        Column::build("Component_")
            .primary_key()
            .foreign_key("Component", 1)
            .id_string(72),
        Column::build("Feature_")
            .foreign_key("Feature", 1)
            .id_string(38),
        Column::build("File_Manifest")
            .nullable()
            .foreign_key("File", 1)
            .id_string(72),
        Column::build("File_Application")
            .nullable()
            .foreign_key("File", 1)
            .id_string(72),
        Column::build("Attributes").nullable().int16(),
    ]
}

fn msi_assembly_name() -> Vec<Column> {
    vec![
        Column::build("Component_")
            .primary_key()
            .foreign_key("Component", 1)
            .id_string(72),
        Column::build("Name").primary_key().text_string(255),
        Column::build("Value").text_string(255),
    ]
}

fn msi_file_hash() -> Vec<Column> {
    vec![
        Column::build("File_")
            .primary_key()
            .foreign_key("File", 1)
            .id_string(72),
        Column::build("Options").range(0, 32767).int16(),
        Column::build("HashPart1").int32(),
        Column::build("HashPart2").int32(),
        Column::build("HashPart3").int32(),
        Column::build("HashPart4").int32(),
    ]
}

fn msi_lock_permissions_ex() -> Vec<Column> {
    vec![
        Column::build("MsiLockPermissionsEx")
            .primary_key()
            .id_string(72),
        Column::build("LockObject").id_string(72),
        Column::build("Table")
            .enum_values(&["CreateFolder", "File", "Registry", "ServiceInstall"])
            .id_string(32),
        Column::build("SDDLText")
            .category(Category::FormattedSddlText)
            .string(0),
        Column::build("Condition").nullable().formatted_string(255),
    ]
}

fn msi_service_config() -> Vec<Column> {
    vec![
        Column::build("MsiServiceConfig")
            .primary_key()
            .id_string(72),
        Column::build("Name").localizable().formatted_string(255),
        Column::build("Event").range(0, 7).int16(),
        Column::build("ConfigType")
            .range(-2147483647, 2147483647)
            .int32(),
        Column::build("Argument").nullable().text_string(0),
        Column::build("Component_")
            .foreign_key("Component", 1)
            .id_string(72),
    ]
}

fn msi_service_config_failure_actions() -> Vec<Column> {
    vec![
        Column::build("MsiServiceConfigFailureActions")
            .primary_key()
            .id_string(72),
        Column::build("Name").localizable().formatted_string(255),
        Column::build("Event").range(0, 7).int16(),
        Column::build("ResetPeriod")
            .nullable()
            .range(0, 2147483647)
            .int32(),
        Column::build("RebootMessage")
            .nullable()
            .localizable()
            .formatted_string(255),
        Column::build("Command")
            .nullable()
            .localizable()
            .formatted_string(255),
        Column::build("Actions").nullable().text_string(0),
        Column::build("DelayActions").nullable().text_string(0),
        Column::build("Component_")
            .foreign_key("Component", 1)
            .id_string(72),
    ]
}

fn msi_shortcut_property() -> Vec<Column> {
    vec![
        Column::build("MsiShortcutProperty")
            .primary_key()
            .id_string(72),
        Column::build("Shortcut_")
            .foreign_key("Shortcut", 1)
            .id_string(72),
        Column::build("PropertyKey").formatted_string(0),
        Column::build("PropVariantValue").formatted_string(0),
    ]
}

fn odbc_attribute() -> Vec<Column> {
    vec![
        Column::build("Driver_")
            .primary_key()
            .foreign_key("ODBCDriver", 1)
            .id_string(72),
        Column::build("Attribute").primary_key().text_string(40),
        Column::build("Value")
            .nullable()
            .localizable()
            .formatted_string(255),
    ]
}

fn odbc_data_source() -> Vec<Column> {
    vec![
        Column::build("DataSource").primary_key().id_string(72),
        Column::build("Component_")
            .foreign_key("Component", 1)
            .id_string(72),
        Column::build("Description").text_string(255),
        Column::build("DriverDescription").text_string(255),
        Column::build("Registration").range(0, 1).int16(),
    ]
}

fn odbc_driver() -> Vec<Column> {
    vec![
        Column::build("Driver").primary_key().id_string(72),
        Column::build("Component_")
            .foreign_key("Component", 1)
            .id_string(72),
        Column::build("Description").text_string(255),
        Column::build("File_").foreign_key("File", 1).id_string(72),
        Column::build("File_Setup")
            .nullable()
            .foreign_key("File", 1)
            .id_string(72),
    ]
}

fn odbc_source_attribute() -> Vec<Column> {
    vec![
        Column::build("DataSource_")
            .primary_key()
            .foreign_key("ODBCDataSource", 1)
            .id_string(72),
        Column::build("Attribute").primary_key().text_string(32),
        Column::build("Value")
            .nullable()
            .localizable()
            .formatted_string(255),
    ]
}

fn odbc_translator() -> Vec<Column> {
    vec![
        Column::build("Translator").primary_key().id_string(72),
        Column::build("Component_")
            .foreign_key("Component", 1)
            .id_string(72),
        Column::build("Description").text_string(255),
        Column::build("File_").foreign_key("File", 1).id_string(72),
        Column::build("File_Setup")
            .nullable()
            .foreign_key("File", 1)
            .id_string(72),
    ]
}

fn prog_id() -> Vec<Column> {
    vec![
        Column::build("ProgId").primary_key().text_string(255),
        Column::build("ProgId_Parent")
            .nullable()
            .foreign_key("ProgId", 1)
            .text_string(255),
        Column::build("Class_")
            .nullable()
            .foreign_key("Class", 1)
            .category(Category::Guid)
            .string(38),
        Column::build("Description")
            .nullable()
            .localizable()
            .text_string(255),
        Column::build("Icon_")
            .nullable()
            .foreign_key("Icon", 1)
            .id_string(72),
        Column::build("IconIndex")
            .nullable()
            .range(-32767, 32767)
            .int16(),
    ]
}

fn property() -> Vec<Column> {
    vec![
        Column::build("Property").primary_key().id_string(72),
        Column::build("Value").localizable().text_string(0),
    ]
}

fn publish_component() -> Vec<Column> {
    vec![
        Column::build("ComponentId")
            .primary_key()
            .category(Category::Guid)
            .string(38),
        Column::build("Qualifier").primary_key().text_string(255),
        Column::build("Component_")
            .primary_key()
            .foreign_key("Component", 1)
            .id_string(72),
        Column::build("AppData")
            .nullable()
            .localizable()
            .text_string(0),
        Column::build("Feature_")
            .foreign_key("Feature", 1)
            .id_string(38),
    ]
}

fn radio_button() -> Vec<Column> {
    vec![
        Column::build("Property").primary_key().id_string(72),
        Column::build("Order").primary_key().range(1, 32767).int16(),
        Column::build("Value").formatted_string(64),
        Column::build("X").range(0, 32767).int16(),
        Column::build("Y").range(0, 32767).int16(),
        Column::build("Width").range(0, 32767).int16(),
        Column::build("Height").range(0, 32767).int16(),
        Column::build("Text")
            .nullable()
            .localizable()
            .text_string(0),
        Column::build("Help")
            .nullable()
            .localizable()
            .text_string(50),
    ]
}

fn reg_locator() -> Vec<Column> {
    vec![
        Column::build("Signature_").primary_key().id_string(72),
        Column::build("Root").range(0, 3).int16(),
        Column::build("Key").category(Category::RegPath).string(255),
        Column::build("Name").nullable().formatted_string(255),
        Column::build("Type").nullable().range(0, 18).int16(),
    ]
}

fn registry() -> Vec<Column> {
    vec![
        Column::build("Registry").primary_key().id_string(72),
        Column::build("Root").range(-1, 3).int16(),
        Column::build("Key")
            .localizable()
            .category(Category::RegPath)
            .string(255),
        Column::build("Name")
            .nullable()
            .localizable()
            .formatted_string(255),
        Column::build("Value")
            .nullable()
            .localizable()
            .formatted_string(0),
        Column::build("Component_")
            .foreign_key("Component", 1)
            .id_string(72),
    ]
}

fn remove_file() -> Vec<Column> {
    vec![
        Column::build("FileKey").primary_key().id_string(72),
        Column::build("Component_")
            .foreign_key("Component", 1)
            .id_string(72),
        Column::build("FileName")
            .nullable()
            .localizable()
            .category(Category::WildCardFilename)
            .string(255),
        Column::build("DirProperty").id_string(72),
        Column::build("InstallMode")
            .enum_values(&["1", "2", "3"])
            .int16(),
    ]
}

fn remove_ini_file() -> Vec<Column> {
    vec![
        Column::build("RemoveIniFile").primary_key().id_string(72),
        Column::build("FileName")
            .localizable()
            .category(Category::Filename)
            .string(255),
        Column::build("DirProperty").nullable().id_string(72),
        Column::build("Section").localizable().formatted_string(96),
        Column::build("Key").localizable().formatted_string(128),
        Column::build("Value")
            .nullable()
            .localizable()
            .formatted_string(255),
        Column::build("Action").enum_values(&["2", "4"]).int16(),
        Column::build("Component_")
            .foreign_key("Component", 1)
            .id_string(72),
    ]
}

fn remove_registry() -> Vec<Column> {
    vec![
        Column::build("RemoveRegistry").primary_key().id_string(72),
        Column::build("Root").range(-1, 3).int16(),
        Column::build("Key")
            .localizable()
            .category(Category::RegPath)
            .string(255),
        Column::build("Name")
            .nullable()
            .localizable()
            .formatted_string(255),
        Column::build("Component_")
            .foreign_key("Component", 1)
            .id_string(72),
    ]
}

fn reserve_cost() -> Vec<Column> {
    vec![
        Column::build("ReserveKey").primary_key().id_string(72),
        Column::build("Component_")
            .foreign_key("Component", 1)
            .id_string(72),
        Column::build("ReserveFolder").nullable().id_string(72),
        Column::build("ReserveLocal").range(0, 2147483647).int32(),
        Column::build("ReserveSource").range(0, 2147483647).int32(),
    ]
}

fn self_reg() -> Vec<Column> {
    vec![
        Column::build("File_")
            .primary_key()
            .foreign_key("File", 1)
            .id_string(72),
        Column::build("Cost").nullable().range(0, 32767).int16(),
    ]
}

fn service_control() -> Vec<Column> {
    vec![
        Column::build("ServiceControl").primary_key().id_string(72),
        Column::build("Name").localizable().formatted_string(255),
        Column::build("Event").range(0, 187).int16(),
        Column::build("Arguments")
            .nullable()
            .localizable()
            .formatted_string(255),
        Column::build("Wait").nullable().range(0, 1).int16(),
        Column::build("Component_")
            .foreign_key("Component", 1)
            .id_string(72),
    ]
}

fn service_install() -> Vec<Column> {
    vec![
        Column::build("ServiceInstall").primary_key().id_string(72),
        Column::build("Name").formatted_string(255),
        Column::build("DisplayName")
            .nullable()
            .localizable()
            .formatted_string(255),
        Column::build("ServiceType")
            .range(-2147483647, 2147483647)
            .int32(),
        Column::build("StartType").range(0, 4).int32(),
        Column::build("ErrorControl")
            .range(-2147483647, 2147483647)
            .int32(),
        Column::build("LoadOrderGroup")
            .nullable()
            .formatted_string(255),
        Column::build("Dependencies")
            .nullable()
            .formatted_string(255),
        Column::build("StartName").nullable().formatted_string(255),
        Column::build("Password").nullable().formatted_string(255),
        Column::build("Arguments").nullable().formatted_string(255),
        Column::build("Component_")
            .foreign_key("Component", 1)
            .id_string(72),
        Column::build("Description")
            .nullable()
            .localizable()
            .text_string(255),
    ]
}

fn shortcut() -> Vec<Column> {
    vec![
        Column::build("Shortcut").primary_key().id_string(72),
        Column::build("Directory_")
            .foreign_key("Directory", 1)
            .id_string(72),
        Column::build("Name")
            .localizable()
            .category(Category::Filename)
            .string(128),
        Column::build("Component_")
            .foreign_key("Component", 1)
            .id_string(72),
        Column::build("Target")
            .category(Category::Shortcut)
            .string(72),
        Column::build("Arguments").nullable().formatted_string(255),
        Column::build("Description")
            .nullable()
            .localizable()
            .text_string(255),
        Column::build("Hotkey").nullable().range(0, 32767).int16(),
        Column::build("Icon_")
            .nullable()
            .foreign_key("Icon", 1)
            .id_string(72),
        Column::build("IconIndex")
            .nullable()
            .range(-32767, 32767)
            .int16(),
        Column::build("ShowCmd")
            .nullable()
            .enum_values(&["1", "3", "7"])
            .int16(),
        Column::build("WkDir").nullable().id_string(72),
        Column::build("DisplayResourceDLL")
            .nullable()
            .formatted_string(255),
        Column::build("DisplayResourceId")
            .nullable()
            .range(0, 32767)
            .int16(),
        Column::build("DescriptionResourceDLL")
            .nullable()
            .formatted_string(255),
        Column::build("DescriptionResourceId")
            .nullable()
            .range(0, 32767)
            .int16(),
    ]
}

fn signature() -> Vec<Column> {
    vec![
        Column::build("Signature").primary_key().id_string(72),
        Column::build("FileName").text_string(255),
        Column::build("MinVersion").nullable().text_string(20),
        Column::build("MaxVersion").nullable().text_string(20),
        Column::build("MinSize")
            .nullable()
            .range(0, 2147483647)
            .int32(),
        Column::build("MaxSize")
            .nullable()
            .range(0, 2147483647)
            .int32(),
        Column::build("MinDate")
            .nullable()
            .range(0, 2147483647)
            .int32(),
        Column::build("MaxDate")
            .nullable()
            .range(0, 2147483647)
            .int32(),
        Column::build("Languages")
            .nullable()
            .category(Category::Language)
            .string(255),
    ]
}

fn text_style() -> Vec<Column> {
    vec![
        Column::build("TextStyle").primary_key().id_string(72),
        Column::build("FaceName").text_string(32),
        Column::build("Size").range(0, 32767).int16(),
        Column::build("Color").nullable().range(0, 16777215).int32(),
        Column::build("StyleBits").nullable().range(0, 15).int16(),
    ]
}

fn type_lib() -> Vec<Column> {
    vec![
        Column::build("LibID")
            .primary_key()
            .category(Category::Guid)
            .string(38),
        Column::build("Language")
            .primary_key()
            .range(0, 32767)
            .int16(),
        Column::build("Component_")
            .primary_key()
            .foreign_key("Component", 1)
            .id_string(72),
        Column::build("Version")
            .nullable()
            .range(0, 16777215)
            .int32(),
        Column::build("Description")
            .nullable()
            .localizable()
            .text_string(128),
        Column::build("Directory_")
            .nullable()
            .foreign_key("Directory", 1)
            .id_string(72),
        Column::build("Feature_")
            .foreign_key("Feature", 1)
            .id_string(38),
        Column::build("Cost")
            .nullable()
            .range(0, 2147483647)
            .int32(),
    ]
}

fn ui_text() -> Vec<Column> {
    vec![
        Column::build("Key").primary_key().id_string(72),
        Column::build("Text")
            .nullable()
            .localizable()
            .text_string(255),
    ]
}

fn upgrade() -> Vec<Column> {
    vec![
        Column::build("UpgradeCode")
            .primary_key()
            .category(Category::Guid)
            .string(38),
        Column::build("VersionMin")
            .primary_key()
            .nullable()
            .text_string(20),
        Column::build("VersionMax")
            .primary_key()
            .nullable()
            .text_string(20),
        Column::build("Language")
            .primary_key()
            .nullable()
            .category(Category::Language)
            .string(255),
        Column::build("Attributes")
            .primary_key()
            .range(0, 2147483647)
            .int32(),
        Column::build("Remove").nullable().formatted_string(255),
        Column::build("ActionProperty")
            .category(Category::UpperCase)
            .string(72),
    ]
}

fn verb() -> Vec<Column> {
    vec![
        Column::build("Extension_")
            .primary_key()
            .foreign_key("Extension", 1)
            .text_string(255),
        Column::build("Verb").primary_key().text_string(32),
        Column::build("Sequence").nullable().range(0, 32767).int16(),
        Column::build("Command")
            .nullable()
            .localizable()
            .formatted_string(255),
        Column::build("Argument")
            .nullable()
            .localizable()
            .formatted_string(255),
    ]
}

#[cfg(test)]
mod tests {
    use super::{schema, TABLES};
    use msi::{Category, Column, ColumnType, Expr, Insert, Package, PackageType, Select, Value};
    use std::io::Cursor;

    type Memory = Cursor<Vec<u8>>;

    /// A value that satisfies `column`'s type, range, set and category, distinct per `row`
    /// (so primary keys differ). Nullable non-key columns of the second row stay null, to
    /// round-trip nulls as well.
    fn sample(column: &Column, row: usize) -> Value {
        if row == 1
            && column.is_nullable()
            && !column.is_primary_key()
            && column.coltype() != ColumnType::Binary
        {
            return Value::Null;
        }
        if let Some(set) = column.enum_values() {
            let text = &set[row % set.len()];
            return match column.coltype() {
                ColumnType::Int16 | ColumnType::Int32 => {
                    Value::Int(text.parse().expect("numeric value set"))
                }
                _ => Value::from(text.as_str()),
            };
        }
        let n = row as i32;
        match column.coltype() {
            ColumnType::Int16 | ColumnType::Int32 => match column.value_range() {
                Some((min, max)) => Value::Int(min.saturating_add(n).min(max)),
                None => Value::Int(n + 1),
            },
            ColumnType::Binary => Value::Binary,
            ColumnType::Str(_) => Value::from(match column.category() {
                Some(Category::Guid) => format!("{{8F3E5B3A-4C7D-4E2A-9B1C-00000000000{n}}}"),
                Some(Category::Version) => format!("1.0.{n}"),
                Some(Category::Language) => format!("{}", 1033 + n),
                Some(Category::Cabinet) => format!("#cab{n}.cab"),
                Some(Category::UpperCase) => format!("VALUE{n}"),
                Some(Category::Property) => format!("PROP{n}"),
                _ => format!("V{n}_{}", column.name())
                    .chars()
                    .take(16)
                    .collect::<String>(),
            }),
        }
    }

    fn empty_package() -> Package<Memory> {
        Package::create(PackageType::Installer, Cursor::new(Vec::new())).expect("new package")
    }

    /// The rows written to each table.
    type Written = Vec<(String, Vec<Vec<Value>>)>;

    /// Every table, created and filled with two rows, in one in-memory database.
    fn package_with_every_table() -> (Package<Memory>, Written) {
        let mut package = empty_package();
        let mut written = Vec::new();
        for &table in TABLES {
            let columns = schema(table).expect("schema");
            let rows: Vec<Vec<Value>> = (0..2)
                .map(|row| columns.iter().map(|c| sample(c, row)).collect())
                .collect();
            package.create_table(table, columns).expect(table);
            package
                .insert_rows(Insert::into(table).rows(rows.clone()))
                .expect(table);
            written.push((table.to_string(), rows));
        }
        (package, written)
    }

    fn reopen(package: Package<Memory>) -> Package<Memory> {
        let mut bytes = package.into_inner().expect("write package");
        bytes.set_position(0);
        Package::open(bytes).expect("reopen package")
    }

    #[test]
    fn table_list_is_sorted_and_every_name_has_a_schema() {
        assert!(
            TABLES.windows(2).all(|w| w[0] < w[1]),
            "TABLES must be sorted and unique"
        );
        for &table in TABLES {
            let columns = schema(table).expect(table);
            assert!(
                columns.iter().any(Column::is_primary_key),
                "{table} has no key"
            );
            // MSI keys come first: a key column after a non-key column is a transcription slip.
            let first_plain = columns.iter().position(|c| !c.is_primary_key());
            let last_key = columns.iter().rposition(Column::is_primary_key);
            if let (Some(plain), Some(key)) = (first_plain, last_key) {
                assert!(key < plain, "{table}: key columns must lead");
            }
        }
        assert!(schema("NoSuchTable").is_none());
        assert!(
            schema("_Validation").is_none(),
            "_Validation is the msi crate's"
        );
        for required in [
            "ActionText",
            "AdminExecuteSequence",
            "AdminUISequence",
            "AdvtExecuteSequence",
            "AppSearch",
            "Binary",
            "CompLocator",
            "Component",
            "Condition",
            "CreateFolder",
            "CustomAction",
            "Directory",
            "DrLocator",
            "DuplicateFile",
            "Environment",
            "Error",
            "Feature",
            "FeatureComponents",
            "File",
            "Icon",
            "IniFile",
            "InstallExecuteSequence",
            "InstallUISequence",
            "LaunchCondition",
            "LockPermissions",
            "Media",
            "MoveFile",
            "MsiFileHash",
            "MsiLockPermissionsEx",
            "MsiServiceConfig",
            "MsiServiceConfigFailureActions",
            "Property",
            "RegLocator",
            "Registry",
            "RemoveFile",
            "RemoveRegistry",
            "ServiceControl",
            "ServiceInstall",
            "Shortcut",
            "Signature",
            "Upgrade",
        ] {
            assert!(
                TABLES.binary_search(&required).is_ok(),
                "{required} missing"
            );
        }
    }

    #[test]
    fn every_table_round_trips_through_a_database() {
        let (package, written) = package_with_every_table();
        let mut package = reopen(package);
        for (table, rows) in written {
            let expected_columns = schema(&table).expect("schema");
            let stored = package.get_table(&table).expect("table survives");
            assert_eq!(stored.columns().len(), expected_columns.len(), "{table}");
            for (got, want) in stored.columns().iter().zip(&expected_columns) {
                let what = format!("{table}.{}", want.name());
                assert_eq!(got.name(), want.name(), "{what}");
                assert_eq!(got.coltype(), want.coltype(), "{what}");
                assert_eq!(got.is_nullable(), want.is_nullable(), "{what}");
                assert_eq!(got.is_primary_key(), want.is_primary_key(), "{what}");
                assert_eq!(got.is_localizable(), want.is_localizable(), "{what}");
                assert_eq!(got.value_range(), want.value_range(), "{what}");
                assert_eq!(got.category(), want.category(), "{what}");
                assert_eq!(got.enum_values(), want.enum_values(), "{what}");
            }
            let mut read: Vec<Vec<Value>> = package
                .select_rows(Select::table(table.as_str()))
                .expect("select")
                .map(|row| (0..row.len()).map(|i| row[i].clone()).collect())
                .collect();
            let mut rows = rows;
            read.sort_by_key(|r| format!("{r:?}"));
            rows.sort_by_key(|r| format!("{r:?}"));
            assert_eq!(read, rows, "{table} rows");
        }
    }

    /// IDT-style column types (`s72`, `L255`, `i2`, `v0`), as the SDK and WiX print them.
    fn idt_types(table: &str) -> String {
        let columns = schema(table).expect("schema");
        let types: Vec<String> = columns
            .iter()
            .map(|c| {
                let (letter, width) = match c.coltype() {
                    ColumnType::Int16 => ('i', 2),
                    ColumnType::Int32 => ('i', 4),
                    ColumnType::Str(n) if c.is_localizable() => ('l', n),
                    ColumnType::Str(n) => ('s', n),
                    ColumnType::Binary => ('v', 0),
                };
                let letter = if c.is_nullable() {
                    letter.to_ascii_uppercase()
                } else {
                    letter
                };
                format!("{letter}{width}")
            })
            .collect();
        types.join(" ")
    }

    #[test]
    fn column_types_match_the_sdk_idt_definitions() {
        // Column type rows of the SDK's .idt exports (WiX's `IdtType` of tables.xml).
        for (table, idt) in [
            ("Component", "s72 S38 s72 i2 S255 S72"),
            ("Directory", "s72 S72 l255"),
            ("Feature", "s38 S38 L64 L255 I2 i2 S72 i2"),
            ("File", "s72 s72 l255 i4 S72 S20 I2 i4"),
            ("InstallExecuteSequence", "s72 S255 I2"),
            ("LaunchCondition", "s255 l255"),
            ("Media", "i2 i4 L64 S255 S32 S72"),
            ("MsiFileHash", "s72 i2 i4 i4 i4 i4"),
            ("MsiLockPermissionsEx", "s72 s72 s32 s0 S255"),
            ("MsiServiceConfig", "s72 l255 i2 i4 S0 s72"),
            (
                "MsiServiceConfigFailureActions",
                "s72 l255 i2 I4 L255 L255 S0 S0 s72",
            ),
            ("Property", "s72 l0"),
            ("Registry", "s72 i2 l255 L255 L0 s72"),
            ("ServiceControl", "s72 l255 i2 L255 I2 s72"),
            (
                "ServiceInstall",
                "s72 s255 L255 i4 i4 i4 S255 S255 S255 S255 S255 s72 L255",
            ),
            (
                "Shortcut",
                "s72 s72 l128 s72 s72 S255 L255 I2 S72 I2 I2 S72 S255 I2 S255 I2",
            ),
            ("Upgrade", "s38 S20 S20 S255 i4 S255 s72"),
            ("Binary", "s72 v0"),
        ] {
            assert_eq!(idt_types(table), idt, "{table}");
        }
    }

    /// One `_Validation` row: Nullable, MinValue, MaxValue, KeyTable, KeyColumn, Category, Set.
    type Validation = (
        &'static str,
        Option<i32>,
        Option<i32>,
        Option<&'static str>,
        Option<i32>,
        Option<&'static str>,
        Option<&'static str>,
    );

    /// Table, column, and the `_Validation` facts expected for it.
    type Expected = (&'static str, &'static str, Validation);

    fn validation_row(package: &mut Package<Memory>, table: &str, column: &str) -> Vec<Value> {
        let query = Select::table("_Validation").with(
            Expr::col("Table")
                .eq(Expr::string(table))
                .and(Expr::col("Column").eq(Expr::string(column))),
        );
        let rows: Vec<Vec<Value>> = package
            .select_rows(query)
            .expect("select _Validation")
            .map(|row| (2..row.len() - 1).map(|i| row[i].clone()).collect())
            .collect();
        assert_eq!(rows.len(), 1, "_Validation rows for {table}.{column}");
        rows.into_iter().next().unwrap_or_default()
    }

    fn as_values(v: Validation) -> Vec<Value> {
        let s = |x: Option<&str>| x.map_or(Value::Null, Value::from);
        let i = |x: Option<i32>| x.map_or(Value::Null, Value::Int);
        vec![
            Value::from(v.0),
            i(v.1),
            i(v.2),
            s(v.3),
            i(v.4),
            s(v.5),
            s(v.6),
        ]
    }

    #[test]
    fn validation_rows_match_the_sdk() {
        const MAX: i32 = 2_147_483_647;
        let (package, _) = package_with_every_table();
        let mut package = reopen(package);
        let expected: &[Expected] = &[
            ("File", "File", ("N", None, None, None, None, Some("Identifier"), None)),
            ("File", "Component_", ("N", None, None, Some("Component"), Some(1), Some("Identifier"), None)),
            ("File", "FileSize", ("N", Some(0), Some(MAX), None, None, None, None)),
            ("File", "Version", ("Y", None, None, Some("File"), Some(1), Some("Version"), None)),
            ("File", "Sequence", ("N", Some(1), Some(MAX), None, None, None, None)),
            ("Component", "Attributes", ("N", None, None, None, None, None, None)),
            // The SDK writes "Guid"; the msi crate can only write "GUID" (see module docs).
            ("Component", "ComponentId", ("Y", None, None, None, None, Some("GUID"), None)),
            ("Component", "Directory_", ("N", None, None, Some("Directory"), Some(1), Some("Identifier"), None)),
            // The SDK's KeyTable "File;Registry;ODBCDataSource" cannot be stored.
            ("Component", "KeyPath", ("Y", None, None, None, None, Some("Identifier"), None)),
            ("Feature", "Attributes", ("N", None, None, None, None, None, Some("0;1;2;4;5;6;8;9;10;16;17;18;20;21;22;24;25;26;32;33;34;36;37;38;48;49;50;52;53;54"))),
            ("Directory", "DefaultDir", ("N", None, None, None, None, Some("DefaultDir"), None)),
            ("Media", "Cabinet", ("Y", None, None, None, None, Some("Cabinet"), None)),
            ("Binary", "Data", ("N", None, None, None, None, Some("Binary"), None)),
            ("InstallExecuteSequence", "Sequence", ("Y", Some(-4), Some(32767), None, None, None, None)),
            ("InstallExecuteSequence", "Condition", ("Y", None, None, None, None, Some("Condition"), None)),
            ("ServiceInstall", "ServiceType", ("N", Some(-MAX), Some(MAX), None, None, None, None)),
            ("ServiceInstall", "StartType", ("N", Some(0), Some(4), None, None, None, None)),
            ("ServiceInstall", "ErrorControl", ("N", Some(-MAX), Some(MAX), None, None, None, None)),
            ("ServiceInstall", "Name", ("N", None, None, None, None, Some("Formatted"), None)),
            ("ServiceControl", "Event", ("N", Some(0), Some(187), None, None, None, None)),
            ("ServiceControl", "Wait", ("Y", Some(0), Some(1), None, None, None, None)),
            ("MsiServiceConfig", "Event", ("N", Some(0), Some(7), None, None, None, None)),
            ("MsiServiceConfig", "ConfigType", ("N", Some(-MAX), Some(MAX), None, None, None, None)),
            ("MsiServiceConfig", "Argument", ("Y", None, None, None, None, Some("Text"), None)),
            ("MsiServiceConfigFailureActions", "MsiServiceConfigFailureActions", ("N", None, None, None, None, Some("Identifier"), None)),
            ("MsiServiceConfigFailureActions", "Name", ("N", None, None, None, None, Some("Formatted"), None)),
            ("MsiServiceConfigFailureActions", "Event", ("N", Some(0), Some(7), None, None, None, None)),
            ("MsiServiceConfigFailureActions", "ResetPeriod", ("Y", Some(0), Some(MAX), None, None, None, None)),
            ("MsiServiceConfigFailureActions", "RebootMessage", ("Y", None, None, None, None, Some("Formatted"), None)),
            ("MsiServiceConfigFailureActions", "Command", ("Y", None, None, None, None, Some("Formatted"), None)),
            ("MsiServiceConfigFailureActions", "Actions", ("Y", None, None, None, None, Some("Text"), None)),
            ("MsiServiceConfigFailureActions", "DelayActions", ("Y", None, None, None, None, Some("Text"), None)),
            ("MsiServiceConfigFailureActions", "Component_", ("N", None, None, Some("Component"), Some(1), Some("Identifier"), None)),
            ("MsiLockPermissionsEx", "Table", ("N", None, None, None, None, Some("Identifier"), Some("CreateFolder;File;Registry;ServiceInstall"))),
            ("MsiLockPermissionsEx", "SDDLText", ("N", None, None, None, None, Some("FormattedSDDLText"), None)),
            ("Registry", "Root", ("N", Some(-1), Some(3), None, None, None, None)),
            ("Registry", "Key", ("N", None, None, None, None, Some("RegPath"), None)),
            ("RemoveFile", "InstallMode", ("N", None, None, None, None, None, Some("1;2;3"))),
            ("RemoveFile", "FileName", ("Y", None, None, None, None, Some("WildCardFilename"), None)),
            ("Shortcut", "Target", ("N", None, None, None, None, Some("Shortcut"), None)),
            ("CustomAction", "Source", ("Y", None, None, None, None, Some("CustomSource"), None)),
            ("Upgrade", "ActionProperty", ("N", None, None, None, None, Some("UpperCase"), None)),
            ("Error", "Message", ("Y", None, None, None, None, Some("Template"), None)),
        ];
        for &(table, column, want) in expected {
            assert_eq!(
                validation_row(&mut package, table, column),
                as_values(want),
                "_Validation {table}.{column}"
            );
        }
        // One _Validation row per column of every table.
        let total: usize = TABLES
            .iter()
            .map(|t| schema(t).map_or(0, |c| c.len()))
            .sum();
        let rows = package
            .select_rows(Select::table("_Validation"))
            .expect("select")
            .count();
        assert_eq!(rows, total + 10, "our columns plus _Validation's own ten");
    }

    /// msitools (the differential tests' oracle) reads a database holding every table and
    /// sees the same column types and `_Validation`. Skipped where msitools is missing.
    #[test]
    fn msitools_reads_every_table() {
        use std::process::Command;
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("all-tables.msi");
        {
            let file = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(true)
                .open(&path)
                .expect("create msi");
            let mut package = Package::create(PackageType::Installer, file).expect("package");
            package.set_database_codepage(msi::CodePage::Windows1252);
            for &table in TABLES {
                let columns = schema(table).expect("schema");
                let row: Vec<Value> = columns.iter().map(|c| sample(c, 0)).collect();
                let stream = match (
                    &row[0],
                    columns.iter().any(|c| c.coltype() == ColumnType::Binary),
                ) {
                    (Value::Str(key), true) => Some(format!("{table}.{key}")),
                    _ => None,
                };
                package.create_table(table, columns).expect(table);
                package
                    .insert_rows(Insert::into(table).row(row))
                    .expect(table);
                if let Some(name) = stream {
                    let mut writer = package.write_stream(&name).expect("stream");
                    std::io::Write::write_all(&mut writer, b"data").expect("stream data");
                }
            }
            package.into_inner().expect("write msi");
        }
        let run = |args: &[&str]| Command::new("msiinfo").args(args).arg(&path).output();
        let tables = match run(&["tables"]) {
            Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).into_owned(),
            Ok(out) => panic!(
                "msiinfo tables failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ),
            Err(_) => {
                assert!(
                    !std::env::var_os("SVCPACK_REQUIRE_TOOLS").is_some_and(|v| v == "1"),
                    "SVCPACK_REQUIRE_TOOLS=1 but msiinfo is not installed"
                );
                eprintln!("msiinfo not installed: skipping the msitools check");
                return;
            }
        };
        let listed: std::collections::BTreeSet<&str> = tables.lines().collect();
        for table in TABLES {
            assert!(listed.contains(table), "msiinfo does not list {table}");
        }
        let export = |table: &str| {
            let out = Command::new("msiinfo")
                .arg("export")
                .arg(&path)
                .arg(table)
                .output()
                .expect("msiinfo");
            assert!(out.status.success(), "msiinfo export {table}");
            String::from_utf8_lossy(&out.stdout).into_owned()
        };
        for table in [
            "File",
            "ServiceInstall",
            "MsiServiceConfigFailureActions",
            "Shortcut",
        ] {
            let text = export(table);
            assert_eq!(
                text.lines().nth(1),
                Some(idt_types(table).replace(' ', "\t").as_str()),
                "{table}"
            );
        }
        let validation = export("_Validation");
        assert!(validation
            .lines()
            .any(|l| l == "File\tFileSize\tN\t0\t2147483647\t\t\t\t\t"));
        let total: usize = TABLES
            .iter()
            .map(|t| schema(t).map_or(0, |c| c.len()))
            .sum();
        // Three header lines, then our columns plus _Validation's own ten.
        assert_eq!(validation.lines().count(), 3 + total + 10);
    }
}
