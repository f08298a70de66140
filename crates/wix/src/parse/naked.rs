//! WiX v4+'s files outside a Component: a naked `File` (each gets a component of its own,
//! named after the file, with the file as key path) and `Files` (a wildcard harvest,
//! expanded by [`super::harvest`] once every source is parsed). Both may sit under a
//! Directory, DirectoryRef, StandardDirectory, ComponentGroup, Feature, FeatureRef,
//! FeatureGroup, Fragment or Package (Compiler.cs ParseNakedFileElement,
//! ParseFilesElement).

use super::component::Comp;
use super::layout::{file, file_name_of, Ctx};
use super::{subdirectory, Attrs, Parser};
use crate::error::{Result, WixError};
use crate::model::{ComponentDef, GuidSpec, HarvestDef, KeyPath, Member, Membership};
use crate::xml::Element;

/// WiX's default directory for files and components that name none: INSTALLFOLDER,
/// which the linker provides when no source defines it.
const DEFAULT_DIRECTORY: &str = "INSTALLFOLDER";

/// A naked `File`: its own component (id = the file's id, Guid="*", KeyPath = the file,
/// `Condition` and `Bitness` from the File), in `ctx.parent` if any.
pub fn naked_file(p: &mut Parser, el: &Element, ctx: &Ctx) -> Result<()> {
    // The component attributes a naked File carries; the rest are the File's own.
    let mut a = Attrs::new(el);
    let win64 = match a.choice("Bitness", &["default", "always32", "always64"])? {
        Some("always32") => false,
        Some("always64") => true,
        _ => p.is_64bit(),
    };
    let condition = a.opt("Condition").map(str::to_string);
    let dir_attr = a.id("Directory")?;
    let subdir = a.opt("Subdirectory").map(str::to_string);
    let id_attr = a.id("Id")?;
    let mut directory = match dir_attr {
        Some(d) => {
            p.sec().reference("Directory", d.clone(), &el.loc);
            d
        }
        None => match &ctx.directory {
            Some(d) => d.clone(),
            None => {
                p.sec().reference("Directory", DEFAULT_DIRECTORY, &el.loc);
                DEFAULT_DIRECTORY.to_string()
            }
        },
    };
    if let Some(sd) = subdir {
        let sd = subdirectory::canonical_relative(&sd, "File", "Subdirectory", &el.loc)?;
        let dialect = p.dialect;
        directory = subdirectory::inline_directory(p.sec(), dialect, &directory, &sd, &el.loc);
    }
    let name = file_name_of(el)
        .or_else(|| el.attr("ShortName").map(str::to_string))
        .ok_or_else(|| WixError::new(el.loc.clone(), "File: needs `Source` or `Name`"))?;
    // Compiler.cs ParseNakedFileElement: `nkf` + hash(directory, name, condition, win64).
    let id = match id_attr {
        Some(id) => id,
        None => {
            let bits = if win64 { "True" } else { "False" };
            p.gen_id(
                "nkf",
                &[
                    Some(&directory),
                    Some(&name),
                    condition.as_deref(),
                    Some(bits),
                ],
            )
        }
    };
    let comp = Comp {
        id: id.clone(),
        directory: directory.clone(),
        win64,
    };
    let file_ctx = Ctx {
        directory: Some(directory.clone()),
        disk_id: None,
        parent: None,
        file_source: ctx.file_source.clone(),
    };
    file(p, el, &comp, &file_ctx, None, Some(&id))?;
    let dialect = p.dialect;
    let sec = p.sec();
    if let Some(parent) = &ctx.parent {
        sec.memberships.push(Membership {
            parent: parent.clone(),
            member: Member::Component(id.clone()),
            loc: el.loc.clone(),
        });
    }
    sec.components.push(ComponentDef {
        id: id.clone(),
        directory,
        guid: GuidSpec::Auto,
        attributes: if win64 { 0x100 } else { 0 },
        condition,
        explicit_key: Some(KeyPath::File(id)),
        default_key: None,
        disk_id: None,
        dialect,
        loc: el.loc.clone(),
    });
    Ok(())
}

/// A `Files` element: recorded for harvesting, into `Directory`/`Subdirectory`, the
/// enclosing directory, or INSTALLFOLDER.
pub fn files(p: &mut Parser, el: &Element, ctx: &Ctx) -> Result<()> {
    let mut a = Attrs::new(el);
    let dir_attr = a.id("Directory")?;
    let subdir = a.opt("Subdirectory").map(str::to_string);
    let include = a.opt("Include").map(str::to_string);
    a.finish()?;
    let split = |v: &str| -> Vec<String> {
        v.split(';')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    };
    let inclusions = include.as_deref().map(split).unwrap_or_default();
    if inclusions.is_empty() {
        return Err(
            a.err("missing required attribute `Include` (the files to harvest, e.g. `bin\\**`)")
        );
    }
    let mut exclusions = Vec::new();
    for child in &el.children {
        if child.ns.is_util() || child.name != "Exclude" {
            return Err(super::unexpected(el, child));
        }
        let mut ca = Attrs::new(child);
        let pattern = ca.req("Files")?.to_string();
        ca.finish()?;
        super::no_children(child)?;
        exclusions.push(pattern);
    }
    let directory = match dir_attr {
        Some(d) => {
            p.sec().reference("Directory", d.clone(), &el.loc);
            Some(d)
        }
        None => ctx.directory.clone(),
    };
    // As in ParseFilesElement, `Subdirectory` applies only below a known directory: with
    // none, the files go to INSTALLFOLDER itself.
    let directory = match directory {
        None => {
            p.sec().reference("Directory", DEFAULT_DIRECTORY, &el.loc);
            DEFAULT_DIRECTORY.to_string()
        }
        Some(d) => match subdir {
            Some(sd) => {
                let sd = subdirectory::canonical_relative(&sd, "Files", "Subdirectory", &el.loc)?;
                let dialect = p.dialect;
                subdirectory::inline_directory(p.sec(), dialect, &d, &sd, &el.loc)
            }
            None => d,
        },
    };
    let source_path = Some(ctx.file_source.clone()).filter(|s| !s.is_empty());
    p.sec().harvests.push(HarvestDef {
        directory,
        inclusions,
        exclusions,
        parent: ctx.parent.clone(),
        source_path,
        loc: el.loc.clone(),
    });
    Ok(())
}

/// The context of a `File`/`Files` directly under a feature, feature group or component
/// group, or (no parent) under a Package or Fragment.
pub fn in_parent(parent: Option<Member>) -> Ctx {
    Ctx {
        parent,
        ..Ctx::default()
    }
}
