//! The `Shortcut` element: a Shortcut row, advertised (target = the feature) under a file or
//! a folder, or unadvertised with an explicit target.

use super::component::{Comp, KeyCandidate};
use super::{check_long_name, unexpected, Attrs, Parser};
use crate::error::Result;
use crate::model::{Val, ADVERTISED_TARGET};
use crate::shortname::msi_filename_salted;
use crate::xml::Element;

/// `default_target` is what a non-advertised shortcut without `Target` points at, as in
/// WiX: `[#File]` under a File, `[Directory]` under a Component or CreateFolder.
pub(super) fn shortcut(
    p: &mut Parser,
    el: &Element,
    comp: &Comp,
    default_target: &str,
) -> Result<KeyCandidate> {
    let mut a = Attrs::new(el);
    let id = if p.v4() {
        a.id("Id")?
    } else {
        Some(a.req_id("Id")?)
    };
    let dir = a.id("Directory")?.unwrap_or_else(|| comp.directory.clone());
    let name = a.req("Name")?.to_string();
    // Compiler_Package.cs ParseShortcutElement: hash(directory, lower(name)).
    let id = id.unwrap_or_else(|| p.gen_id("sct", &[Some(&dir), Some(&name.to_lowercase())]));
    let short = a.opt("ShortName").map(str::to_string);
    let target_attr = a.opt("Target").map(str::to_string);
    let arguments = a.opt("Arguments").map(str::to_string);
    let description = a.opt("Description").map(str::to_string);
    let hotkey = a.int("Hotkey")?;
    let icon = a.id("Icon")?;
    let icon_index = a.int("IconIndex")?;
    let show = match a.choice("Show", &["normal", "maximized", "minimized"])? {
        Some("normal") => Some(1),
        Some("maximized") => Some(3),
        Some("minimized") => Some(7),
        _ => None,
    };
    let wkdir = a.id("WorkingDirectory")?;
    let advertise = a.flag("Advertise")?;
    a.ignore(&[
        "DescriptionResourceDll",
        "DescriptionResourceId",
        "DisplayResourceDll",
        "DisplayResourceId",
        "LongName",
    ]);
    a.finish()?;
    for child in &el.children {
        if child.is("ShortcutProperty") {
            super::shortcut_property::shortcut_property(p, child, &id)?;
        } else if child.is("Icon") {
            return Err(super::unsupported(
                child,
                "define icons with a top-level Icon element and reference it with Shortcut/@Icon",
            ));
        } else {
            return Err(unexpected(el, child));
        }
    }
    check_long_name(&name, "Name", el)?;
    // An advertised shortcut's Target is the component's feature, which the linker fills
    // in (WiX writes the same empty-GUID placeholder and resolves it in its linker).
    let target = match (advertise, target_attr) {
        (true, Some(_)) => {
            return Err(a.err("`Target` cannot be used with Advertise=\"yes\" (the target is the component's feature)"))
        }
        (true, None) => ADVERTISED_TARGET.to_string(),
        (false, Some(t)) => t,
        (false, None) => default_target.to_string(),
    };
    if let Some(i) = &icon {
        p.sec().reference("Icon", i.clone(), &el.loc);
    }
    if dir != comp.directory {
        p.sec().reference("Directory", dir.clone(), &el.loc);
    }
    // WiX salts shortcut names with the component and the shortcut's directory.
    let file_name = msi_filename_salted(
        p.dialect,
        &name,
        short.as_deref(),
        false,
        &[Some("Shortcut"), Some(&comp.id), Some(&dir)],
    );
    p.sec().row(
        "Shortcut",
        &el.loc,
        vec![
            id.into(),
            dir.into(),
            file_name.into(),
            comp.id.clone().into(),
            target.into(),
            Val::opt_str(arguments),
            Val::opt_str(description),
            Val::opt_int(hotkey),
            Val::opt_str(icon),
            Val::opt_int(icon_index),
            Val::opt_int(show),
            Val::opt_str(wkdir),
            Val::Null,
            Val::Null,
            Val::Null,
            Val::Null,
        ],
    );
    Ok(KeyCandidate::None)
}
