//! Advertised rows (TypeLib, Class, Extension, PublishComponent) and MsiAssembly rows after
//! linking: their Feature column names the component's primary feature, the first feature
//! that references the component (WiX's linker, `ResolveFeatures`). The parser cannot know it; it leaves [`ADVERTISED_TARGET`] there.

use std::collections::BTreeMap;

use crate::error::{Result, WixError};
use crate::link::Linked;
use crate::model::{Val, ADVERTISED_TARGET};

/// Advertised COM rows and assemblies name their component's primary feature, the first feature that
/// references the component (WiX's linker, `ResolveFeatures`); the parser leaves
/// [`ADVERTISED_TARGET`] in their Feature column.
pub fn resolve_primary_features(linked: &mut Linked) -> Result<()> {
    // (table, component column, feature column)
    const ADVERTISED: [(&str, usize, usize); 5] = [
        ("TypeLib", 2, 6),
        ("PublishComponent", 2, 4),
        ("Class", 2, 11),
        ("Extension", 1, 4),
        // The feature whose installation installs the assembly (Linker.cs resolves
        // AssemblySymbol.FeatureRef the same way).
        ("MsiAssembly", 0, 1),
    ];
    let mut primary: BTreeMap<&str, &str> = BTreeMap::new();
    for (f, c, _) in &linked.feature_components {
        primary.entry(c.as_str()).or_insert(f.as_str());
    }
    for row in linked.rows.iter_mut() {
        let Some((_, comp_col, feature_col)) = ADVERTISED.iter().find(|(t, _, _)| *t == row.table)
        else {
            continue;
        };
        if row.values[*feature_col].as_str() != Some(ADVERTISED_TARGET) {
            continue;
        }
        let comp = row.values[*comp_col].as_str().unwrap_or_default();
        let feature = primary.get(comp).ok_or_else(|| {
            WixError::new(
                row.loc.clone(),
                match row.table {
                    "MsiAssembly" => format!(
                        "assembly of component `{comp}`: the component is not in any feature, \
                         and MsiAssembly names the feature that installs it"
                    ),
                    t => format!(
                        "advertised {t} of component `{comp}`: the component is not in any feature"
                    ),
                },
            )
        })?;
        row.values[*feature_col] = Val::Str(feature.to_string());
    }
    Ok(())
}
