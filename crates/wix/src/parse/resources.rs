//! A component's single-row resources: CreateFolder, RemoveFile/RemoveFolder, Environment
//! and IniFile.

use super::component::{permission_ex, Comp, KeyCandidate};
use super::shortcut::shortcut;
use super::{no_children, unexpected, Attrs, Parser};
use crate::error::Result;
use crate::model::Val;
use crate::shortname::{self, msi_filename};
use crate::xml::Element;

pub(super) fn create_folder(p: &mut Parser, el: &Element, comp: &Comp) -> Result<KeyCandidate> {
    let mut a = Attrs::new(el);
    let dir = a.id("Directory")?.unwrap_or_else(|| comp.directory.clone());
    a.finish()?;
    if dir != comp.directory {
        p.sec().reference("Directory", dir.clone(), &el.loc);
    }
    p.sec().row(
        "CreateFolder",
        &el.loc,
        vec![dir.clone().into(), comp.id.clone().into()],
    );
    for child in &el.children {
        match (child.ns.is_util(), child.name.as_str()) {
            (false, "PermissionEx") => {
                permission_ex(p, child, "CreateFolder", &format!("{dir}/{}", comp.id))?
            }
            (false, "Permission") => super::permission::permission(p, child, "CreateFolder", &dir)?,
            (false, "Shortcut") => {
                // WiX: a shortcut in a CreateFolder points at that folder by default.
                shortcut(p, child, comp, &format!("[{dir}]"))?;
            }
            _ => return Err(unexpected(el, child)),
        }
    }
    Ok(KeyCandidate::None)
}

pub(super) fn install_mode(a: &mut Attrs) -> Result<i32> {
    match a.choice("On", &["install", "uninstall", "both"])? {
        Some("install") => Ok(1),
        Some("uninstall") => Ok(2),
        Some(_) => Ok(3),
        None => Err(a.err("missing required attribute `On` (install, uninstall or both)")),
    }
}

pub(super) fn remove_file(
    p: &mut Parser,
    el: &Element,
    comp: &Comp,
    folder: bool,
) -> Result<KeyCandidate> {
    let mut a = Attrs::new(el);
    let id = a.id("Id")?;
    let dir = a.id("Directory")?;
    let prop = a.id("Property")?;
    let on = install_mode(&mut a)?;
    let name = if folder {
        None
    } else {
        Some(a.req("Name")?.to_string())
    };
    let short = if folder {
        None
    } else {
        a.opt("ShortName").map(str::to_string)
    };
    a.ignore(&["LongName"]);
    a.finish()?;
    no_children(el)?;
    let (short_attr, long_attr) = (short.clone(), name.clone());
    if dir.is_some() && prop.is_some() {
        return Err(a.err("`Directory` and `Property` cannot both be set"));
    }
    if let Some(d) = &dir {
        p.sec().reference("Directory", d.clone(), &el.loc);
    }
    let dir_prop = dir.or(prop).unwrap_or_else(|| comp.directory.clone());
    let generator = if p.v4() {
        shortname::Generator::V4
    } else {
        shortname::Generator::V3
    };
    let file_name = name.map(|n| {
        shortname::filename_column(
            generator,
            &n,
            short.as_deref(),
            shortname::NameKind::FileWithWildcards,
            &[Some("RemoveFile"), Some(&comp.id)],
        )
    });
    // Compiler_Package.cs ParseRemoveFileElement / ParseRemoveFolderElement.
    let rid = match id {
        Some(id) => id,
        None if folder => p.gen_id("rmf", &[Some(&dir_prop), Some(&on.to_string())]),
        None => {
            let short = short_attr.as_deref().map(str::to_lowercase);
            let long = long_attr.as_deref().map(str::to_lowercase);
            p.gen_id(
                "rmf",
                &[
                    Some(&dir_prop),
                    short.as_deref(),
                    long.as_deref(),
                    Some(&on.to_string()),
                ],
            )
        }
    };
    p.sec().row(
        "RemoveFile",
        &el.loc,
        vec![
            rid.into(),
            comp.id.clone().into(),
            Val::opt_str(file_name),
            dir_prop.into(),
            on.into(),
        ],
    );
    Ok(KeyCandidate::None)
}

pub(super) fn environment(p: &mut Parser, el: &Element, comp: &Comp) -> Result<KeyCandidate> {
    let mut a = Attrs::new(el);
    let id = if p.v4() {
        a.id("Id")?
    } else {
        Some(a.req_id("Id")?)
    };
    let name = a.req("Name")?.to_string();
    let value = a.opt("Value").map(str::to_string);
    let action = a.choice("Action", &["create", "set", "remove"])?;
    let part = a.choice("Part", &["all", "first", "last"])?;
    let permanent = a.flag("Permanent")?;
    let separator = a.opt("Separator").map(str::to_string);
    let system = a.flag("System")?;
    a.finish()?;
    // Compiler.cs ParseEnvironmentElement: hash(action number, name, part number, system)
    // with EnvironmentActionType {Set, Create, Remove}, EnvironmentPartType {All, First,
    // Last} and .NET's "True"/"False".
    let id = id.unwrap_or_else(|| {
        let action_n = action.map(|a| match a {
            "set" => "0",
            "create" => "1",
            _ => "2",
        });
        let part_n = part.map(|p| match p {
            "all" => "0",
            "first" => "1",
            _ => "2",
        });
        let system_s = if system { "True" } else { "False" };
        p.gen_id("env", &[action_n, Some(&name), part_n, Some(system_s)])
    });
    no_children(el)?;
    // The MSI Environment table encodes the action in prefix characters of Name.
    let mut prefix = String::new();
    match action {
        Some("create") => prefix.push('+'),
        Some("set") => prefix.push('='),
        Some("remove") => prefix.push('!'),
        _ => {}
    }
    if !permanent {
        prefix.push('-');
    }
    if system {
        prefix.push('*');
    }
    let sep = separator.unwrap_or_else(|| ";".into());
    let text = value.map(|v| match part {
        Some("first") => format!("{v}{sep}[~]"),
        Some("last") => format!("[~]{sep}{v}"),
        _ => v,
    });
    p.sec().row(
        "Environment",
        &el.loc,
        vec![
            id.into(),
            format!("{prefix}{name}").into(),
            Val::opt_str(text),
            comp.id.clone().into(),
        ],
    );
    Ok(KeyCandidate::None)
}

pub(super) fn ini_file(p: &mut Parser, el: &Element, comp: &Comp) -> Result<KeyCandidate> {
    let mut a = Attrs::new(el);
    let id = if p.v4() {
        a.id("Id")?
    } else {
        Some(a.req_id("Id")?)
    };
    let action = match a.choice(
        "Action",
        &["addLine", "addTag", "createLine", "removeLine", "removeTag"],
    )? {
        Some("addLine") => 0,
        Some("createLine") => 1,
        Some("addTag") => 3,
        Some("removeLine") => 2,
        Some("removeTag") => 4,
        _ => return Err(a.err("missing required attribute `Action`")),
    };
    let dir = a.id("Directory")?;
    let key = a.req("Key")?.to_string();
    let name = a.req("Name")?.to_string();
    let section = a.req("Section")?.to_string();
    let value = a.opt("Value").map(str::to_string);
    a.ignore(&["ShortName", "LongName"]);
    a.finish()?;
    no_children(el)?;
    // Compiler.cs ParseIniFileElement: hash(directory, name ?? shortName, section, key, name).
    let id = id.unwrap_or_else(|| {
        p.gen_id(
            "ini",
            &[
                dir.as_deref(),
                Some(&name),
                Some(&section),
                Some(&key),
                Some(&name),
            ],
        )
    });
    let table = if action == 2 || action == 4 {
        "RemoveIniFile"
    } else {
        "IniFile"
    };
    let file_name = msi_filename(p.dialect, &name, None, false, "IniFile", &comp.id);
    let mut row = vec![
        id.into(),
        file_name.into(),
        Val::opt_str(dir),
        section.into(),
        key.into(),
    ];
    if table == "IniFile" {
        row.push(value.unwrap_or_default().into());
        row.push(action.into());
    } else {
        row.push(Val::opt_str(value));
        row.push(action.into());
    }
    row.push(comp.id.clone().into());
    p.sec().row(table, &el.loc, row);
    Ok(KeyCandidate::None)
}
