//! `Permission` (the LockPermissions table): an access mask for one user on a folder, file
//! or registry key, built from yes/no attributes that each name one bit.
//!
//! The bit layout is WiX's (Compiler_Package.cs `ParsePermissionElement`,
//! WixToolset.Data `LockPermissionConstants`): object-specific rights from bit 0, standard
//! rights from bit 16, generic rights from bit 28 — the layout of a Windows ACCESS_MASK
//! (<https://learn.microsoft.com/windows/win32/secauthz/access-mask>).

use super::{Attrs, Parser};
use crate::error::Result;
use crate::model::Val;
use crate::xml::Element;

const GENERIC: &[&str] = &[
    "GenericAll",
    "GenericExecute",
    "GenericWrite",
    "GenericRead",
];
const STANDARD: &[&str] = &[
    "Delete",
    "ReadPermission",
    "ChangePermission",
    "TakeOwnership",
    "Synchronize",
];
const FOLDER: &[&str] = &[
    "Read",
    "CreateFile",
    "CreateChild",
    "ReadExtendedAttributes",
    "WriteExtendedAttributes",
    "Traverse",
    "DeleteChild",
    "ReadAttributes",
    "WriteAttributes",
];
const REGISTRY: &[&str] = &[
    "Read",
    "Write",
    "CreateSubkeys",
    "EnumerateSubkeys",
    "Notify",
    "CreateLink",
];
const FILE: &[&str] = &[
    "Read",
    "Write",
    "Append",
    "ReadExtendedAttributes",
    "WriteExtendedAttributes",
    "Execute",
    "FileAllRights",
    "ReadAttributes",
    "WriteAttributes",
];

/// WinNT.h FILE_ALL_ACCESS.
const FILE_ALL_ACCESS: u32 = 0x001F_01FF;
/// WinNT.h SPECIFIC_RIGHTS_ALL.
const SPECIFIC_RIGHTS_ALL: u32 = 0x0000_FFFF;

/// One `Permission` under `CreateFolder` (`table` "CreateFolder", `object` the directory),
/// `File` or a registry element: a LockPermissions row.
pub(crate) fn permission(
    p: &mut Parser,
    el: &Element,
    table: &'static str,
    object: &str,
) -> Result<()> {
    let special = match table {
        "CreateFolder" => FOLDER,
        "File" => FILE,
        _ => REGISTRY,
    };
    let mut a = Attrs::new(el);
    let domain = a.opt("Domain").map(str::to_string);
    let user = a.req("User")?.to_string();
    let mut mask: u32 = 0;
    if a.flag("FileAllRights")? {
        mask |= FILE_ALL_ACCESS;
    }
    if a.flag("SpecificRightsAll")? {
        mask |= SPECIFIC_RIGHTS_ALL;
    }
    for (names, offset) in [(STANDARD, 16), (GENERIC, 28), (special, 0)] {
        for (i, name) in names.iter().enumerate() {
            // `FileAllRights` is the whole mask above, not a bit of the file rights.
            if *name == "FileAllRights" {
                continue;
            }
            if a.flag(name)? {
                mask |= 1 << (offset + i);
            }
        }
    }
    a.finish()?;
    super::no_children(el)?;
    let permission = mask as i32;
    // Only GENERIC_READ is i32::MIN, the MSI's null integer: the row could not hold it.
    if permission == i32::MIN {
        return Err(a.err(
            "a permission of only GenericRead cannot be stored (it is the MSI's null integer); \
             add Read or another right",
        ));
    }
    p.sec().row(
        "LockPermissions",
        &el.loc,
        vec![
            object.to_string().into(),
            table.into(),
            Val::opt_str(domain),
            user.into(),
            permission.into(),
        ],
    );
    Ok(())
}
