//! Component rows: the key path (an explicit one, else the default the parser chose, else
//! the directory), the GUID (authored, empty, or derived by WiX's algorithm for the
//! source's dialect), the implicit CreateFolder rows WiX adds, and FeatureComponents.

use std::collections::{BTreeMap, BTreeSet};

use super::directories::Dirs;
use crate::error::{Result, WixError};
use crate::guid;
use crate::model::{ComponentDef, FileDef, GuidSpec, KeyPath, Row, Val};
use crate::xml::Dialect;

/// Component, CreateFolder and FeatureComponents rows; `rows` are the authored rows (for
/// registry key paths and existing CreateFolder rows).
pub(super) fn component_rows(
    components: &[ComponentDef],
    feature_components: &[(String, String, crate::error::Location)],
    files: &[FileDef],
    rows: &[Row],
    dirs: &Dirs,
    arch: &str,
    backward_compatible: bool,
) -> Result<Vec<Row>> {
    let mut table_rows = Vec::new();
    let file_by_id: BTreeMap<&str, usize> = files
        .iter()
        .enumerate()
        .map(|(i, f)| (f.id.as_str(), i))
        .collect();
    let reg_by_id: BTreeMap<&str, &Row> = rows
        .iter()
        .filter(|r| r.table == "Registry")
        .filter_map(|r| r.values[0].as_str().map(|id| (id, r)))
        .collect();
    let create_folders: BTreeSet<(&str, &str)> = rows
        .iter()
        .filter(|r| r.table == "CreateFolder")
        .filter_map(|r| Some((r.values[1].as_str()?, r.values[0].as_str()?)))
        .collect();
    for c in components {
        let key = c
            .explicit_key
            .clone()
            .or_else(|| c.default_key.clone())
            .unwrap_or(KeyPath::Directory);
        let mut attributes = c.attributes;
        let key_col = match &key {
            KeyPath::Directory => Val::Null,
            KeyPath::File(f) => Val::Str(f.clone()),
            KeyPath::Registry(r) => {
                attributes |= 0x4;
                Val::Str(r.clone())
            }
        };
        let guid = match &c.guid {
            GuidSpec::Explicit(g) => Val::Str(g.clone()),
            GuidSpec::Empty => Val::Null,
            GuidSpec::Auto => {
                let g = auto_guid(
                    c.dialect,
                    &key,
                    dirs,
                    files,
                    &file_by_id,
                    &reg_by_id,
                    arch,
                    c.id.as_str(),
                    c.attributes & 0x100 != 0,
                    backward_compatible,
                )
                .map_err(|m| WixError::new(c.loc.clone(), format!("Component `{}`: {m}", c.id)))?;
                Val::Str(g)
            }
        };
        if needs_create_folder(c, &key, &create_folders) {
            table_rows.push(Row {
                table: "CreateFolder",
                values: vec![c.directory.clone().into(), c.id.clone().into()],
                loc: c.loc.clone(),
            });
        }
        table_rows.push(Row {
            table: "Component",
            values: vec![
                c.id.clone().into(),
                guid,
                c.directory.clone().into(),
                attributes.into(),
                Val::opt_str(c.condition.clone()),
                key_col,
            ],
            loc: c.loc.clone(),
        });
    }
    for (f, c, loc) in feature_components {
        table_rows.push(Row {
            table: "FeatureComponents",
            values: vec![f.clone().into(), c.clone().into()],
            loc: loc.clone(),
        });
    }

    Ok(table_rows)
}

/// Whether a component whose key path is its directory gets an implicit CreateFolder row
/// (so Windows Installer creates, and reference-counts, the folder), as WiX does:
/// - v3 (Compiler.cs, ParseComponentElement `shouldAddCreateFolder`): only for
///   `Component/@KeyPath="yes"`, unless a CreateFolder child already names that directory;
/// - v4 (Bind/AddCreateFoldersCommand.cs): for every directory-key-path component that has
///   no CreateFolder row at all.
fn needs_create_folder(
    c: &ComponentDef,
    key: &KeyPath,
    create_folders: &BTreeSet<(&str, &str)>,
) -> bool {
    if *key != KeyPath::Directory {
        return false;
    }
    // `create_folders` holds (component, directory) of every CreateFolder row, so both
    // questions are range lookups rather than scans of all rows per component.
    let own = || {
        create_folders
            .range((c.id.as_str(), "")..)
            .next()
            .is_some_and(|(comp, _)| *comp == c.id)
    };
    match c.dialect {
        Dialect::V3 => {
            c.explicit_key == Some(KeyPath::Directory)
                && !create_folders.contains(&(c.id.as_str(), c.directory.as_str()))
        }
        Dialect::V4 => !own(),
    }
}

/// Component GUID for `Guid="*"`, by WiX's algorithm for the source's dialect.
#[allow(clippy::too_many_arguments)]
fn auto_guid(
    dialect: Dialect,
    key: &KeyPath,
    dirs: &Dirs,
    files: &[FileDef],
    file_by_id: &BTreeMap<&str, usize>,
    regs: &BTreeMap<&str, &Row>,
    arch: &str,
    component: &str,
    win64: bool,
    backward_compatible: bool,
) -> std::result::Result<String, String> {
    let platform = match arch {
        "x86" => guid::Platform::X86,
        "arm64" => guid::Platform::Arm64,
        _ => guid::Platform::X64,
    };
    let finish = |kp: &guid::KeyPath<'_>| match dialect {
        Dialect::V3 => guid::component_guid_v3(kp),
        Dialect::V4 => guid::component_guid_v4(kp, backward_compatible),
    };
    match key {
        KeyPath::File(f) => {
            let i = *file_by_id.get(f.as_str()).ok_or_else(|| format!("key path File `{f}` is not defined"))?;
            let fd = &files[i];
            if fd.component != component {
                return Err(format!("key path File `{f}` belongs to component `{}`", fd.component));
            }
            // The directory chain from the root down to the component's directory.
            let mut ids = Vec::new();
            let mut cur = Some(fd.directory.clone());
            while let Some(id) = cur {
                if ids.len() > 256 {
                    return Err("directory tree nests too deeply (a cycle?)".into());
                }
                cur = dirs.get(&id).and_then(|d| d.0.clone());
                ids.push(id);
            }
            ids.reverse();
            let nodes: Vec<guid::DirectoryNode<'_>> = ids
                .iter()
                .map(|id| {
                    let dd = dirs.get(id).map(|d| d.1.as_str()).unwrap_or(".");
                    guid::DirectoryNode { id, name: guid::v3_target_long_name(dd), guid_seed: None }
                })
                .collect();
            let path = match dialect {
                Dialect::V3 => guid::directory_path_v3(&nodes),
                Dialect::V4 => guid::directory_path_v4(&nodes, platform),
            }
            .map_err(|e| e.to_string())?;
            finish(&guid::KeyPath::File { directory_path: &path, file_name: &fd.name }).map_err(|e| e.to_string())
        }
        KeyPath::Registry(r) => {
            let row = regs.get(r.as_str()).ok_or_else(|| format!("key path registry value `{r}` is not defined"))?;
            let root = match row.values[1] {
                Val::Int(i) => i,
                _ => 2,
            };
            let root = guid::RegistryRoot::from_msi_value(root).ok_or_else(|| format!("registry root {root} is not valid"))?;
            let kp = guid::KeyPath::Registry {
                root,
                key: row.values[2].as_str().unwrap_or_default(),
                name: row.values[3].as_str(),
                win64,
            };
            finish(&kp).map_err(|e| e.to_string())
        }
        KeyPath::Directory => Err(
            "Guid=\"*\" needs a file or registry key path (WiX cannot derive a GUID from a directory key path); give an explicit Guid"
                .into(),
        ),
    }
}
