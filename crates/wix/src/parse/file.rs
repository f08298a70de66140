//! The `File` element inside a component (File, and the CopyFile/MoveFile rows it carries):
//! its File row, long and short names, source, and the children a file owns.

use super::assembly::{assembly_attributes, assembly_name, assembly_row};
use super::component::{identifier_from_name, permission_ex, Comp, Ctx, KeyCandidate};
use super::shortcut::shortcut;
use super::{check_long_name, no_children, unexpected, Attrs, Parser};
use crate::error::{Result, WixError};
use crate::model::{FileDef, KeyPath, Val};
use crate::shortname::msi_filename;
use crate::xml::Element;

/// A File's long name: `Name`, or else the last segment of its `Source`.
pub(super) fn file_name_of(el: &Element) -> Option<String> {
    el.attr("Name").map(str::to_string).or_else(|| {
        el.attr("Source").or(el.attr("src")).map(|s| {
            let s = s.replace('\\', "/");
            s.rsplit('/').next().unwrap_or_default().to_string()
        })
    })
}

/// A `File` in `comp`. A naked file (`File` outside a Component, see [`super::naked`])
/// passes the id its generated component gave it and leaves the component attributes to it.
pub(super) fn file(
    p: &mut Parser,
    el: &Element,
    comp: &Comp,
    ctx: &Ctx,
    comp_disk: Option<i32>,
    naked_id: Option<&str>,
) -> Result<KeyCandidate> {
    let mut a = Attrs::new(el);
    if naked_id.is_some() {
        a.ignore(&["Bitness", "Condition", "Directory", "Subdirectory"]);
    }
    let id_attr = a.id("Id")?;
    let name_attr = a.opt("Name").map(str::to_string);
    let short = a.opt("ShortName").map(str::to_string);
    let source_attr = a.opt("Source").or(a.opt("src")).map(str::to_string);
    let key_path = a.yesno("KeyPath")?;
    let disk_id = a.int_range("DiskId", 1, 32767)?.or(comp_disk);
    let mut attributes = 0;
    if a.flag("ReadOnly")? {
        attributes |= 1;
    }
    if a.flag("Hidden")? {
        attributes |= 2;
    }
    if a.flag("System")? {
        attributes |= 4;
    }
    if a.yesno("Vital")?.unwrap_or(true) {
        attributes |= 0x200;
    }
    if a.flag("Checksum")? {
        attributes |= 0x400;
    }
    match a.yesno("Compressed")? {
        Some(true) => attributes |= 0x4000,
        Some(false) => attributes |= 0x2000,
        None => {}
    }
    let version = a.opt("DefaultVersion").map(str::to_string);
    let language = a.opt("DefaultLanguage").map(str::to_string);
    let assembly = assembly_attributes(p, &mut a, comp, key_path)?;
    // A font: TrueType="yes" is an empty FontTitle; either gives a Font row, SelfRegCost a
    // SelfReg row (Compiler.cs ParseFileElement; CreateWindowsInstallerDataFromIRCommand).
    let font_title = a.opt_nonempty("FontTitle")?.map(str::to_string);
    // (an empty title is a null cell in the MSI).
    let font = match (a.flag("TrueType")?, font_title) {
        (true, _) => Some(Val::Null),
        (false, Some(t)) => Some(Val::Str(t)),
        (false, None) => None,
    };
    let self_reg_cost = a.int_range("SelfRegCost", 0, i32::MAX as i64)?;
    a.ignore(&["DefaultSize", "BindPath", "PatchGroup"]);
    a.finish()?;
    let name = match (&name_attr, &source_attr) {
        (Some(n), _) => n.clone(),
        (None, Some(_)) => file_name_of(el).unwrap_or_default(),
        (None, None) => match &id_attr {
            Some(id) => id.clone(),
            None => {
                return Err(WixError::new(
                    el.loc.clone(),
                    "File: needs `Source` or `Name`",
                ))
            }
        },
    };
    check_long_name(&name, "Name", el)?;
    // WiX v4+: `fil` + hash(directory, name) (Compiler.cs ParseFileNamingAttributes);
    // WiX v3: the name made an identifier.
    let id = match id_attr {
        Some(id) => id,
        None if naked_id.is_some() => naked_id.unwrap_or_default().to_string(),
        None if p.v4() => p.gen_id("fil", &[Some(&comp.directory), Some(&name)]),
        None => identifier_from_name(&name),
    };
    super::check_identifier(&id, "Id", &el.loc)?;
    let source = match &source_attr {
        Some(s) if s.ends_with('/') || s.ends_with('\\') => p.source_path(&format!("{s}{name}")),
        Some(s) => p.source_path(s),
        None => p.source_path(&format!("{}{}", ctx.file_source, name)),
    };
    if let Some(asm) = assembly {
        assembly_row(p, el, comp, asm);
    }
    if let Some(title) = font {
        p.sec().row("Font", &el.loc, vec![id.clone().into(), title]);
    }
    if let Some(cost) = self_reg_cost {
        p.sec()
            .row("SelfReg", &el.loc, vec![id.clone().into(), cost.into()]);
    }
    for child in &el.children {
        match (child.ns.is_util(), child.name.as_str()) {
            (false, "Shortcut") => {
                shortcut(p, child, comp, &format!("[#{id}]"))?;
            }
            (false, "CopyFile") => copy_file(p, child, comp, &id)?,
            (false, "TypeLib" | "AppId") => super::com::component_child(p, child, comp, Some(&id))?,
            (false, "PermissionEx") => permission_ex(p, child, "File", &id)?,
            (false, "Permission") => super::permission::permission(p, child, "File", &id)?,
            (false, "Class") => super::class::class(p, child, &comp.id, Some(&id))?,
            (false, "SymbolPath") => {}
            (false, "AssemblyName") => assembly_name(p, child, comp)?,
            _ if child.ns.is_firewall() => {
                super::firewall::exception(p, el, child, comp, Some(&id))?
            }
            _ => return Err(unexpected(el, child)),
        }
    }
    p.sec().files.push(FileDef {
        id: id.clone(),
        component: comp.id.clone(),
        directory: comp.directory.clone(),
        name,
        short_name: short,
        source,
        attributes,
        disk_id,
        version,
        language,
        loc: el.loc.clone(),
    });
    Ok(match key_path {
        Some(true) => KeyCandidate::Explicit(KeyPath::File(id)),
        Some(false) => KeyCandidate::None,
        None => KeyCandidate::Possible(KeyPath::File(id)),
    })
}

pub(super) fn copy_file(p: &mut Parser, el: &Element, comp: &Comp, file_id: &str) -> Result<()> {
    let mut a = Attrs::new(el);
    let id = a.id("Id")?;
    let dest_dir = a.id("DestinationDirectory")?;
    let dest_name = a.opt("DestinationName").map(str::to_string);
    let dest_prop = a.id("DestinationProperty")?;
    let id = match id {
        Some(id) => id,
        // Compiler.cs ParseCopyFileElement: hash(source folder, source directory, source
        // property, destination directory, destination property, destination name).
        None if p.v4() => p.gen_id(
            "cf",
            &[
                None,
                None,
                None,
                dest_dir.as_deref(),
                dest_prop.as_deref(),
                dest_name.as_deref(),
            ],
        ),
        // WiX v3: the destination name with spaces made underscores, else Id is required.
        None => match &dest_name {
            Some(n) => n.replace(' ', "_"),
            None => return Err(a.err("missing required attribute `Id`")),
        },
    };
    let dest_short = a.opt("DestinationShortName").map(str::to_string);
    if a.opt("SourceDirectory").is_some()
        || a.opt("SourceProperty").is_some()
        || a.opt("FileId").is_some()
    {
        return Err(a.err("moving or copying other files (SourceDirectory/SourceProperty/FileId) is not supported; only copies of the parent File"));
    }
    a.ignore(&["Delete"]);
    a.finish()?;
    no_children(el)?;
    if dest_dir.is_some() && dest_prop.is_some() {
        return Err(a.err("`DestinationDirectory` and `DestinationProperty` cannot both be set"));
    }
    let dest_name = dest_name.map(|n| {
        msi_filename(
            p.dialect,
            &n,
            dest_short.as_deref(),
            false,
            "CopyFile",
            &comp.id,
        )
    });
    let folder = dest_dir.clone().or(dest_prop);
    if let Some(d) = &dest_dir {
        p.sec().reference("Directory", d.clone(), &el.loc);
    }
    p.sec().row(
        "DuplicateFile",
        &el.loc,
        vec![
            id.into(),
            comp.id.clone().into(),
            file_id.into(),
            Val::opt_str(dest_name),
            Val::opt_str(folder),
        ],
    );
    Ok(())
}
