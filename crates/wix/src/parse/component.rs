//! The component being parsed: its key-path candidates and the helpers its children
//! share, whichever module parses them. Layout resources (files, registry, folders) and
//! service authoring both hang off a component; keeping what they share here lets each
//! depend on it rather than on the other.

use super::{unexpected, Attrs, Parser};
use crate::error::Result;
use crate::model::{KeyPath, Member, Val};
use crate::xml::Element;

/// What a child element contributes to key-path selection.
pub(crate) enum KeyCandidate {
    None,
    /// Could be the key path if nothing is explicit.
    Possible(KeyPath),
    /// Explicitly `KeyPath="yes"`.
    Explicit(KeyPath),
}

/// State shared with the resource parsers while a component is parsed.
pub(crate) struct Comp {
    pub id: String,
    pub directory: String,
    /// A 64-bit component (Bitness/Win64, else the platform).
    pub win64: bool,
    /// `Guid="*"` or omitted: WiX lets such a component's only file be an assembly
    /// without an explicit `KeyPath="yes"`.
    pub auto_guid: bool,
}

/// WiX's identifier-from-name (Common.GetIdentifierFromName): characters other than ASCII
/// letters, digits, `_` and `.` become `_`; a name not starting with a letter or `_` gets a
/// `_` prefix.
pub fn identifier_from_name(name: &str) -> String {
    let mut id: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    // Common.GetIdentifierFromName tests the original name: anything but a letter or an
    // underscore first gets a `_` prefix (so "-x" becomes "__x").
    if name
        .chars()
        .next()
        .is_some_and(|c| !(c.is_ascii_alphabetic() || c == '_'))
    {
        id.insert(0, '_');
    }
    id
}

/// `PermissionEx` with `Sddl` (MSI 5.0 MsiLockPermissionsEx).
pub(crate) fn permission_ex(
    p: &mut Parser,
    el: &Element,
    table: &'static str,
    object: &str,
) -> Result<()> {
    let mut a = Attrs::new(el);
    let sddl = a.opt("Sddl").map(str::to_string);
    let id = a.id("Id")?;
    let mut condition = if p.v4() {
        a.opt("Condition").map(str::to_string)
    } else {
        None
    };
    a.finish()?;
    let sddl = sddl.ok_or_else(|| a.err("only SDDL permissions are supported: set `Sddl`"))?;
    for child in &el.children {
        if child.is("Condition") && !p.v4() {
            condition = Some(super::condition_text(child)?);
        } else {
            return Err(unexpected(el, child));
        }
    }
    let lock_object = object.split('/').next().unwrap_or(object).to_string();
    // Without an Id, WiX v3 names the row after the locked object (Compiler.cs,
    // ParsePermissionExElement: `id = objectId`); WiX v4 generates a "pme" identifier.
    let id = match id {
        Some(id) => id,
        None if !p.v4() => lock_object.clone(),
        // Compiler_Package.cs ParsePermissionExElement: hash(object, table, sddl).
        None => p.gen_id("pme", &[Some(&lock_object), Some(table), Some(&sddl)]),
    };
    p.sec().row(
        "MsiLockPermissionsEx",
        &el.loc,
        vec![
            id.into(),
            lock_object.into(),
            table.into(),
            sddl.into(),
            Val::opt_str(condition),
        ],
    );
    Ok(())
}

/// Where a component is being authored.
#[derive(Clone, Debug, Default)]
pub struct Ctx {
    pub directory: Option<String>,
    pub disk_id: Option<i32>,
    /// The parent that should contain the component (a feature or component group).
    pub parent: Option<Member>,
    /// Accumulated `FileSource` of enclosing directories (WiX's default file source).
    pub file_source: String,
}

impl Ctx {
    pub fn top(directory: Option<&str>) -> Ctx {
        Ctx {
            directory: directory.map(str::to_string),
            ..Ctx::default()
        }
    }
}
