//! Checks WiX makes on the linked product that no single element can: duplicate explicit
//! component GUIDs and the depth of the feature tree.
//!
//! Semantics: `src/wix/WixToolset.Core.WindowsInstaller/Bind/FinalizeComponentGuids.cs`
//! (`DuplicateComponentGuids`: an error, only a warning when every component sharing the
//! GUID has a condition) and `ValidateWindowsInstallerProductConstraints.cs` (a feature
//! tree deeper than 16 levels is an error).

use std::collections::BTreeMap;

use super::error::{Result, Warning, WixError};
use super::link::Linked;
use super::model::{ComponentDef, GuidSpec};

/// The deepest feature tree an MSI supports.
const MAX_FEATURE_DEPTH: usize = 16;

/// Validates `linked`, appending WiX's warnings to `warnings`.
pub fn check(linked: &Linked, warnings: &mut Vec<Warning>) -> Result<()> {
    duplicate_component_guids(&linked.components, warnings)?;
    feature_depth(linked)
}

fn duplicate_component_guids(
    components: &[ComponentDef],
    warnings: &mut Vec<Warning>,
) -> Result<()> {
    let mut by_guid: BTreeMap<&str, Vec<&ComponentDef>> = BTreeMap::new();
    for c in components {
        if let GuidSpec::Explicit(g) = &c.guid {
            by_guid.entry(g.as_str()).or_default().push(c);
        }
    }
    for (guid, comps) in by_guid {
        let [first, rest @ ..] = comps.as_slice() else {
            continue;
        };
        let Some(second) = rest.first() else {
            continue;
        };
        let message = format!(
            "component `{}` has the same GUID {guid} as component `{}` at {}",
            second.id, first.id, first.loc
        );
        if comps.iter().all(|c| c.condition.is_some()) {
            warnings.push(Warning {
                location: second.loc.clone(),
                message: format!("{message}; their conditions must be mutually exclusive"),
            });
        } else {
            return Err(WixError::new(
                second.loc.clone(),
                format!("{message}; every component needs its own GUID"),
            ));
        }
    }
    Ok(())
}

fn feature_depth(linked: &Linked) -> Result<()> {
    let features: BTreeMap<&str, (Option<&str>, &super::model::Row)> = linked
        .rows
        .iter()
        .filter(|r| r.table == "Feature")
        .filter_map(|r| {
            let id = r.values.first()?.as_str()?;
            let parent = r.values.get(1).and_then(|v| v.as_str());
            Some((id, (parent, r)))
        })
        .collect();
    for (id, (_, row)) in &features {
        let mut depth = 1;
        let mut current = *id;
        while let Some((Some(parent), _)) = features.get(current) {
            depth += 1;
            current = parent;
            if depth > MAX_FEATURE_DEPTH {
                return Err(WixError::new(
                    row.loc.clone(),
                    format!(
                        "feature `{id}` is nested more than {MAX_FEATURE_DEPTH} levels deep; \
                         an MSI's feature tree can be at most {MAX_FEATURE_DEPTH} deep"
                    ),
                ));
            }
        }
    }
    Ok(())
}
