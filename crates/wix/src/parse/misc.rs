//! Small component children with one row each: `ReserveCost` (ReserveCost table) and
//! `CopyFile` directly under `Component` (MoveFile table, or DuplicateFile with `FileId`).
//!
//! Semantics: `src/wix/WixToolset.Core/Compiler.cs` (`ParseReserveCostElement`,
//! `ParseCopyFileElement`) and `CreateWindowsInstallerDataFromIRCommand.AddMoveFileSymbol`.

use super::component::Comp;
use super::{no_children, Attrs, Parser};
use crate::error::Result;
use crate::model::Val;
use crate::shortname::msi_filename;
use crate::xml::Element;

/// WiX v4+ ids it makes up for these elements (`CompilerCore.CreateIdentifier`); WiX v3
/// requires the `Id`.
fn generated(p: &Parser, a: &mut Attrs, prefix: &str, args: &[Option<&str>]) -> Result<String> {
    if p.v4() {
        Ok(crate::guid::generate_identifier_v4(prefix, args))
    } else {
        Err(a.err("missing required attribute `Id`"))
    }
}

/// Rejects WiX's `…Subdirectory` attributes, which create directories we do not model here.
fn no_subdirectory(a: &mut Attrs, names: &[&'static str]) -> Result<()> {
    for name in names {
        if a.opt(name).is_some() {
            return Err(a.err(format!(
                "`{name}` is not supported here; reference a Directory instead"
            )));
        }
    }
    Ok(())
}

/// `ReserveCost`: disk space to reserve in a directory (the component's by default).
pub(crate) fn reserve_cost(p: &mut Parser, el: &Element, comp: &Comp) -> Result<()> {
    let mut a = Attrs::new(el);
    let id = a.id("Id")?;
    let directory = a.id("Directory")?;
    let run_from_source = a.int_range("RunFromSource", 0, i32::MAX as i64)?;
    let run_local = a.int_range("RunLocal", 0, i32::MAX as i64)?;
    no_subdirectory(&mut a, &["Subdirectory"])?;
    a.finish()?;
    no_children(el)?;
    let Some(run_from_source) = run_from_source else {
        return Err(a.err("missing required attribute `RunFromSource`"));
    };
    let Some(run_local) = run_local else {
        return Err(a.err("missing required attribute `RunLocal`"));
    };
    if let Some(d) = &directory {
        p.sec().reference("Directory", d.clone(), &el.loc);
    }
    let folder = directory.unwrap_or_else(|| comp.directory.clone());
    let id = match id {
        Some(id) => id,
        None => generated(p, &mut a, "rc", &[Some(&comp.id), Some(&folder)])?,
    };
    p.sec().row(
        "ReserveCost",
        &el.loc,
        vec![
            id.into(),
            comp.id.clone().into(),
            folder.into(),
            run_local.into(),
            run_from_source.into(),
        ],
    );
    Ok(())
}

/// `CopyFile` under `Component`: moves or copies files already on the machine (MoveFile),
/// or with `FileId` duplicates a file of the package (DuplicateFile).
pub(crate) fn component_copy_file(p: &mut Parser, el: &Element, comp: &Comp) -> Result<()> {
    let mut a = Attrs::new(el);
    let id = a.id("Id")?;
    let delete = a.flag("Delete")?;
    let dest_dir = a.id("DestinationDirectory")?;
    let dest_name = a.opt_nonempty("DestinationName")?.map(str::to_string);
    let dest_prop = a.id("DestinationProperty")?;
    let dest_short = a.opt_nonempty("DestinationShortName")?.map(str::to_string);
    let file_id = a.id("FileId")?;
    let source_dir = a.id("SourceDirectory")?;
    let source_name = a.opt_nonempty("SourceName")?.map(str::to_string);
    let source_prop = a.id("SourceProperty")?;
    no_subdirectory(&mut a, &["DestinationSubdirectory", "SourceSubdirectory"])?;
    a.finish()?;
    no_children(el)?;
    if source_dir.is_some() && source_prop.is_some() {
        return Err(a.err("`SourceProperty` and `SourceDirectory` cannot both be set"));
    }
    if dest_dir.is_some() && dest_prop.is_some() {
        return Err(a.err("`DestinationProperty` and `DestinationDirectory` cannot both be set"));
    }
    for (name, set) in [
        ("Directory", dest_dir.as_ref()),
        ("Directory", source_dir.as_ref()),
        ("File", file_id.as_ref()),
    ] {
        if let Some(target) = set {
            p.sec().reference(name, target.clone(), &el.loc);
        }
    }
    let id = match id {
        Some(id) => id,
        None => generated(
            p,
            &mut a,
            "cf",
            &[
                None,
                source_dir.as_deref(),
                source_prop.as_deref(),
                dest_dir.as_deref(),
                dest_prop.as_deref(),
                dest_name.as_deref(),
            ],
        )?,
    };
    let table = if file_id.is_some() {
        "DuplicateFile"
    } else {
        "MoveFile"
    };
    let dest_name = dest_name
        .map(|n| msi_filename(p.dialect, &n, dest_short.as_deref(), false, table, &comp.id));
    let dest_folder = dest_dir.or(dest_prop);
    match file_id {
        Some(file) => {
            for (name, set) in [
                ("SourceDirectory", source_dir.is_some()),
                ("SourceName", source_name.is_some()),
                ("SourceProperty", source_prop.is_some()),
                ("Delete", delete),
            ] {
                if set {
                    return Err(a.err(format!("`{name}` cannot be used with `FileId`")));
                }
            }
            p.sec().row(
                "DuplicateFile",
                &el.loc,
                vec![
                    id.into(),
                    comp.id.clone().into(),
                    file.into(),
                    Val::opt_str(dest_name),
                    Val::opt_str(dest_folder),
                ],
            );
        }
        None => {
            if dest_folder.is_none() {
                return Err(
                    a.err("needs `DestinationDirectory` or `DestinationProperty` (or `FileId`)")
                );
            }
            p.sec().row(
                "MoveFile",
                &el.loc,
                vec![
                    id.into(),
                    comp.id.clone().into(),
                    Val::opt_str(source_name),
                    Val::opt_str(dest_name),
                    Val::opt_str(source_dir.or(source_prop)),
                    Val::opt_str(dest_folder),
                    i32::from(delete).into(),
                ],
            );
        }
    }
    Ok(())
}
