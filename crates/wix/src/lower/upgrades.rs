//! The upgrade phase: Upgrade rows, launch conditions and RemoveExistingProducts
//! scheduling of an authored `MajorUpgrade`, or of WiX's default major upgrade.

use std::collections::BTreeSet;

use crate::error::Location;
use crate::model::{MajorUpgrade, PackageInfo, Row, Schedule, Val};
use crate::sequence::{self, SequenceTable};

/// What the package asks of major upgrades.
pub(super) struct Upgrading<'a> {
    /// The authored `MajorUpgrade`, if any.
    pub authored: Option<&'a MajorUpgrade>,
    /// WiX's default major upgrade is asked for (used when nothing is authored).
    pub default: bool,
    /// The downgrade launch-condition message when the `MajorUpgrade` names none.
    pub downgrade_message: &'a str,
}

/// The upgrade phase: the Upgrade rows, launch conditions and RemoveExistingProducts
/// scheduling of an authored `MajorUpgrade`, or of the default major upgrade when one is
/// asked for and no authored Upgrade row already removes older versions.
pub(super) fn upgrades(
    package: &PackageInfo,
    upgrading: Upgrading,
    rows: &[Row],
    table_rows: &mut Vec<Row>,
    secure_properties: &mut BTreeSet<String>,
    schedules: &mut Vec<Schedule>,
) {
    let mut out = UpgradeRows {
        code: package.upgrade_code.clone().unwrap_or_default(),
        table_rows,
        secure_properties,
    };
    if let Some(mu) = upgrading.authored {
        out.authored(package, mu, upgrading.downgrade_message);
        // WiX schedules an authored MajorUpgrade's RemoveExistingProducts non-overridable.
        schedules.push(remove_existing(
            schedule_after(&mu.schedule),
            &mu.loc,
            false,
        ));
    } else if upgrading.default && !removes_older_versions(rows) {
        out.default_upgrade(package, upgrading.downgrade_message);
        schedules.push(remove_existing("InstallValidate", &package.loc, true));
    }
}

/// Whether an authored Upgrade row already removes what it detects (no OnlyDetect bit).
fn removes_older_versions(rows: &[Row]) -> bool {
    rows.iter()
        .any(|r| r.table == "Upgrade" && matches!(r.values[4], Val::Int(a) if a & 2 == 0))
}

/// The standard action an authored `MajorUpgrade/@Schedule` puts RemoveExistingProducts after.
fn schedule_after(schedule: &str) -> &'static str {
    match schedule {
        "afterInstallInitialize" => "InstallInitialize",
        "afterInstallExecute" => "InstallExecute",
        "afterInstallExecuteAgain" => "InstallExecuteAgain",
        "afterInstallFinalize" => "InstallFinalize",
        _ => "InstallValidate",
    }
}

/// Where the upgrade phase's rows and secure properties go, for one upgrade code.
struct UpgradeRows<'a> {
    code: String,
    table_rows: &'a mut Vec<Row>,
    secure_properties: &'a mut BTreeSet<String>,
}

impl UpgradeRows<'_> {
    /// An authored `MajorUpgrade`: its detecting Upgrade row, the launch condition that
    /// disallows upgrades when asked, and downgrade detection unless downgrades are allowed.
    fn authored(&mut self, package: &PackageInfo, mu: &MajorUpgrade, downgrade_message: &str) {
        let language = if mu.package_language {
            Val::Str(package.language.clone())
        } else {
            Val::Null
        };
        let mut options = if mu.migrate_features { 1 } else { 0 };
        if mu.ignore_remove_failure {
            options |= 4;
        }
        let (min, max, attrs) = if mu.allow_downgrades {
            (Some("0".to_string()), None, options | 0x100)
        } else if mu.allow_same_version {
            (None, Some(package.version.clone()), options | 0x200)
        } else {
            (None, Some(package.version.clone()), options)
        };
        self.upgrade_detected(
            Val::opt_str(min),
            Val::opt_str(max),
            language.clone(),
            attrs,
            Val::opt_str(mu.remove_features.clone()),
            &mu.loc,
        );
        if mu.disallow {
            self.table_rows.push(launch_condition(
                "NOT WIX_UPGRADE_DETECTED",
                Val::opt_str(mu.disallow_message.clone()),
                &mu.loc,
            ));
        }
        if !mu.allow_downgrades {
            let message = mu.downgrade_message.as_deref().unwrap_or(downgrade_message);
            self.downgrade_detected(package, language, message, &mu.loc);
        }
    }

    /// WiX's default major upgrade: older versions of the package's language are detected
    /// (and migrate features), newer ones block the install.
    fn default_upgrade(&mut self, package: &PackageInfo, downgrade_message: &str) {
        let language = Val::Str(package.language.clone());
        self.upgrade_detected(
            Val::Null,
            package.version.clone().into(),
            language.clone(),
            1,
            Val::Null,
            &package.loc,
        );
        self.downgrade_detected(package, language, downgrade_message, &package.loc);
    }

    /// The Upgrade row that detects related products into WIX_UPGRADE_DETECTED.
    fn upgrade_detected(
        &mut self,
        min: Val,
        max: Val,
        language: Val,
        attributes: i32,
        remove: Val,
        loc: &Location,
    ) {
        self.table_rows.push(Row {
            table: "Upgrade",
            values: vec![
                self.code.clone().into(),
                min,
                max,
                language,
                attributes.into(),
                remove,
                "WIX_UPGRADE_DETECTED".into(),
            ],
            loc: loc.clone(),
        });
        self.secure_properties.insert("WIX_UPGRADE_DETECTED".into());
    }

    /// The detect-only Upgrade row for newer versions, and the launch condition that
    /// refuses the install when one is found.
    fn downgrade_detected(
        &mut self,
        package: &PackageInfo,
        language: Val,
        message: &str,
        loc: &Location,
    ) {
        self.table_rows.push(Row {
            table: "Upgrade",
            values: vec![
                self.code.clone().into(),
                package.version.clone().into(),
                Val::Null,
                language,
                2.into(),
                Val::Null,
                "WIX_DOWNGRADE_DETECTED".into(),
            ],
            loc: loc.clone(),
        });
        self.secure_properties
            .insert("WIX_DOWNGRADE_DETECTED".into());
        self.table_rows.push(launch_condition(
            "NOT WIX_DOWNGRADE_DETECTED",
            message.into(),
            loc,
        ));
    }
}

fn launch_condition(condition: &str, message: Val, loc: &Location) -> Row {
    Row {
        table: "LaunchCondition",
        values: vec![condition.into(), message],
        loc: loc.clone(),
    }
}

fn remove_existing(after: &str, loc: &Location, overridable: bool) -> Schedule {
    Schedule {
        table: SequenceTable::InstallExecute,
        action: "RemoveExistingProducts".into(),
        condition: None,
        placement: Some(sequence::Placement::After(after.into())),
        overridable,
        suppress: false,
        loc: loc.clone(),
    }
}
