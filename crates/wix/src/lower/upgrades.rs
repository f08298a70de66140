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
    let Upgrading {
        authored: major_upgrade,
        default: default_major_upgrade,
        downgrade_message,
    } = upgrading;
    let upgrade_code = package.upgrade_code.clone();
    let has_removing_upgrade = rows
        .iter()
        .any(|r| r.table == "Upgrade" && matches!(r.values[4], Val::Int(a) if a & 2 == 0));
    if let Some(mu) = major_upgrade {
        let code = upgrade_code.clone().unwrap_or_default();
        let mu_language = if mu.package_language {
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
        } else {
            (
                None,
                Some(package.version.clone()),
                if mu.allow_same_version {
                    options | 0x200
                } else {
                    options
                },
            )
        };
        table_rows.push(Row {
            table: "Upgrade",
            values: vec![
                code.clone().into(),
                Val::opt_str(min),
                Val::opt_str(max),
                mu_language.clone(),
                attrs.into(),
                Val::opt_str(mu.remove_features.clone()),
                "WIX_UPGRADE_DETECTED".into(),
            ],
            loc: mu.loc.clone(),
        });
        secure_properties.insert("WIX_UPGRADE_DETECTED".into());
        if mu.disallow {
            table_rows.push(Row {
                table: "LaunchCondition",
                values: vec![
                    "NOT WIX_UPGRADE_DETECTED".into(),
                    Val::opt_str(mu.disallow_message.clone()),
                ],
                loc: mu.loc.clone(),
            });
        }
        if !mu.allow_downgrades {
            table_rows.push(Row {
                table: "Upgrade",
                values: vec![
                    code.into(),
                    package.version.clone().into(),
                    Val::Null,
                    mu_language,
                    2.into(),
                    Val::Null,
                    "WIX_DOWNGRADE_DETECTED".into(),
                ],
                loc: mu.loc.clone(),
            });
            secure_properties.insert("WIX_DOWNGRADE_DETECTED".into());
            let msg = mu
                .downgrade_message
                .clone()
                .unwrap_or_else(|| downgrade_message.to_string());
            table_rows.push(Row {
                table: "LaunchCondition",
                values: vec!["NOT WIX_DOWNGRADE_DETECTED".into(), msg.into()],
                loc: mu.loc.clone(),
            });
        }
        let after = match mu.schedule.as_str() {
            "afterInstallInitialize" => "InstallInitialize",
            "afterInstallExecute" => "InstallExecute",
            "afterInstallExecuteAgain" => "InstallExecuteAgain",
            "afterInstallFinalize" => "InstallFinalize",
            _ => "InstallValidate",
        };
        // WiX schedules an authored MajorUpgrade's RemoveExistingProducts non-overridable.
        schedules.push(remove_existing(after, &mu.loc, false));
    } else if default_major_upgrade && !has_removing_upgrade {
        let code = upgrade_code.clone().unwrap_or_default();
        let lang = Val::Str(package.language.clone());
        let loc = package.loc.clone();
        table_rows.push(Row {
            table: "Upgrade",
            values: vec![
                code.clone().into(),
                Val::Null,
                package.version.clone().into(),
                lang.clone(),
                1.into(),
                Val::Null,
                "WIX_UPGRADE_DETECTED".into(),
            ],
            loc: loc.clone(),
        });
        table_rows.push(Row {
            table: "Upgrade",
            values: vec![
                code.into(),
                package.version.clone().into(),
                Val::Null,
                lang,
                2.into(),
                Val::Null,
                "WIX_DOWNGRADE_DETECTED".into(),
            ],
            loc: loc.clone(),
        });
        table_rows.push(Row {
            table: "LaunchCondition",
            values: vec![
                "NOT WIX_DOWNGRADE_DETECTED".into(),
                downgrade_message.into(),
            ],
            loc: loc.clone(),
        });
        secure_properties.insert("WIX_UPGRADE_DETECTED".into());
        secure_properties.insert("WIX_DOWNGRADE_DETECTED".into());
        schedules.push(remove_existing("InstallValidate", &loc, true));
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
