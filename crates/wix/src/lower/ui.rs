//! Authored UI after linking: `Publish` rows that customise a dialog nobody defines.
//!
//! Sources commonly tweak the navigation of WiX's own dialog sets (`Publish
//! Dialog="ExitDialog" …` beside `UIRef Id="WixUI_Minimal"`). svcpack does not carry that
//! dialog library — such packages get Windows Installer's basic UI, which the WixUI
//! reference already warns about — so a ControlEvent, EventMapping or ControlCondition row
//! whose dialog is not in the product has nothing to act on: it is left out, with one
//! warning per dialog, instead of writing rows that point at a missing Dialog.

use std::collections::BTreeSet;

use crate::error::Warning;
use crate::model::Row;

pub fn drop_orphan_dialog_rows(rows: &mut Vec<Row>, warnings: &mut Vec<Warning>) {
    let dialogs: BTreeSet<String> = rows
        .iter()
        .filter(|r| r.table == "Dialog")
        .filter_map(|r| r.values.first()?.as_str().map(str::to_string))
        .collect();
    let mut reported = BTreeSet::new();
    rows.retain(|r| {
        if !matches!(r.table, "ControlEvent" | "EventMapping" | "ControlCondition") {
            return true;
        }
        let Some(dialog) = r.values.first().and_then(|v| v.as_str()) else {
            return true;
        };
        if dialogs.contains(dialog) {
            return true;
        }
        if reported.insert(dialog.to_string()) {
            warnings.push(Warning {
                location: r.loc.clone(),
                message: format!(
                    "dialog `{dialog}` is not part of this package (WiX's WixUI dialogs are not built \
                     by svcpack's native compiler); its {} customisation is ignored",
                    r.table
                ),
            });
        }
        false
    });
}
