//! Layout elements: directories (Directory, DirectoryRef, StandardDirectory), component
//! groups and components. What a component installs is parsed beside it: files
//! ([`super::file`]), registry ([`super::registry`]), shortcuts ([`super::shortcut`]),
//! folders, environment and INI entries ([`super::resources`]), services
//! ([`super::services`]).

use super::component::{Comp, Ctx, KeyCandidate};
use super::file::file;
use super::registry::{registry_key, registry_value, remove_registry_key, remove_registry_value};
use super::resources::{create_folder, environment, ini_file, remove_file};
use super::shortcut::shortcut;
use super::{
    check_long_name, condition_text, naked, no_children, services, subdirectory, unexpected, Attrs,
    Parser,
};
use crate::error::{Result, WixError};
use crate::model::{ComponentDef, GuidSpec, KeyPath, Member, Membership};
use crate::standard_directory::standard_directory_name;
use crate::xml::Element;

/// A `Directory` under `parent` (`None` at the top level); `outer` carries the enclosing
/// directories' disk and file source, which nested directories inherit and extend.
pub fn directory(p: &mut Parser, el: &Element, parent: Option<&str>, outer: &Ctx) -> Result<()> {
    let mut a = Attrs::new(el);
    let id = a.id("Id")?;
    let name = a.opt("Name").map(str::to_string);
    let short = a.opt("ShortName").map(str::to_string);
    let source_name = a.opt("SourceName").map(str::to_string);
    let short_source = a.opt("ShortSourceName").map(str::to_string);
    let disk_id = a.int_range("DiskId", 1, 32767)?.or(outer.disk_id);
    let file_source = a.opt("FileSource").or(a.opt("src")).map(str::to_string);
    a.ignore(&["ComponentGuidGenerationSeed"]);
    a.finish()?;
    // WiX v4+ accepts a relative name (`a\b`) that makes a directory per level
    // (Compiler.cs ParseDirectoryElement, GetAttributeLongFilename allowRelative).
    let name = match name {
        Some(n) if p.v4() && n != "." && subdirectory::is_multi_level(&n) => Some(
            subdirectory::canonical_relative(&n, "Directory", "Name", &el.loc)?,
        ),
        other => other,
    };
    let authored_parent = parent;
    let parent = match parent {
        Some(pid) => Some(pid.to_string()),
        // v4 directories at the top level hang under TARGETDIR, as in WiX v4.
        None if p.v4() && id.as_deref() != Some("TARGETDIR") => Some("TARGETDIR".to_string()),
        None => None,
    };
    let id = match id {
        Some(id) => id,
        None => {
            let n = name
                .as_deref()
                .ok_or_else(|| WixError::new(el.loc.clone(), "Directory: needs `Id` or `Name`"))?;
            // Compiler.cs ParseDirectoryElement: hash(parent, Name, ShortName, SourceName,
            // ShortSourceName) as authored, the parent as written (none at the top level).
            p.gen_id(
                "d",
                &[
                    authored_parent,
                    Some(n),
                    short.as_deref(),
                    source_name.as_deref(),
                    short_source.as_deref(),
                ],
            )
        }
    };
    if parent.is_none() && id != "TARGETDIR" {
        return Err(WixError::new(
            el.loc.clone(),
            format!("Directory: `{id}` is a root directory; the only root directory allowed is TARGETDIR"),
        ));
    }
    let name = name.filter(|n| n != ".");
    if let Some(n) = &name {
        if !subdirectory::is_multi_level(n) {
            check_long_name(n, "Name", el)?;
        }
    }
    if id == "TARGETDIR" && name.is_some() && name.as_deref() != Some("SourceDir") {
        return Err(WixError::new(
            el.loc.clone(),
            "Directory: TARGETDIR must have Name=\"SourceDir\"",
        ));
    }
    if let Some(pid) = &parent {
        p.sec().reference("Directory", pid.clone(), &el.loc);
    }
    let dialect = p.dialect;
    subdirectory::directory_rows(
        p.sec(),
        dialect,
        &subdirectory::DirectoryNames {
            id: &id,
            authored_parent,
            parent: parent.as_deref(),
            name: name.as_deref(),
            short_name: short.as_deref(),
            source_name: source_name.as_deref(),
            short_source_name: short_source.as_deref(),
        },
        false,
        &el.loc,
    );
    // Compiler.cs ParseDirectoryElement: FileSource replaces the inherited source path;
    // otherwise the directory's (source) name extends it.
    let file_source = match file_source {
        Some(fs) if fs.ends_with('/') || fs.ends_with('\\') => fs,
        Some(fs) => format!("{fs}/"),
        None => match source_name.as_deref().or(name.as_deref()) {
            Some(n) => format!("{}{n}/", outer.file_source),
            None => outer.file_source.clone(),
        },
    };
    let ctx = Ctx {
        directory: Some(id.clone()),
        disk_id,
        parent: None,
        file_source,
    };
    directory_children(p, el, &id, &ctx)
}

fn directory_children(p: &mut Parser, el: &Element, id: &str, ctx: &Ctx) -> Result<()> {
    for child in &el.children {
        match (child.ns.is_util(), child.name.as_str()) {
            (false, "Directory") => directory(p, child, Some(id), ctx)?,
            (false, "Component") => component(p, child, ctx)?,
            (false, "File") if p.v4() => naked::naked_file(p, child, ctx)?,
            (false, "Files") if p.v4() => naked::files(p, child, ctx)?,
            (false, "Merge") => {
                return Err(super::unsupported(child, "merge modules are not supported"))
            }
            (false, "SymbolPath") => {}
            _ => return Err(unexpected(el, child)),
        }
    }
    Ok(())
}

pub fn directory_ref(p: &mut Parser, el: &Element) -> Result<()> {
    let mut a = Attrs::new(el);
    let id = a.req_id("Id")?;
    let disk_id = a.int_range("DiskId", 1, 32767)?;
    let mut file_source = a
        .opt("FileSource")
        .or(a.opt("src"))
        .unwrap_or_default()
        .to_string();
    a.finish()?;
    if !file_source.is_empty() && !file_source.ends_with('/') && !file_source.ends_with('\\') {
        file_source.push('/');
    }
    p.sec().reference("Directory", id.clone(), &el.loc);
    let ctx = Ctx {
        directory: Some(id.clone()),
        disk_id,
        parent: None,
        file_source,
    };
    directory_children(p, el, &id, &ctx)
}

pub fn standard_directory(p: &mut Parser, el: &Element) -> Result<()> {
    let mut a = Attrs::new(el);
    let raw = a.req("Id")?;
    a.finish()?;
    if standard_directory_name(raw).is_none() {
        return Err(a.err(format!("`{raw}` is not a standard directory (e.g. ProgramFiles6432Folder, CommonAppDataFolder)")));
    }
    // The standard rows themselves are added by the linker when referenced; the
    // `*6432Folder` ones are real rows under the platform's folder, as WiX v6 makes them.
    let id = raw.to_string();
    p.sec().reference("Directory", id.clone(), &el.loc);
    let ctx = Ctx {
        directory: Some(id.clone()),
        ..Ctx::default()
    };
    directory_children(p, el, &id, &ctx)
}

/// `ComponentRef`/`ComponentGroupRef` directly under a v4 Package: part of the default feature.
pub fn package_level_ref(p: &mut Parser, el: &Element) -> Result<()> {
    let mut a = Attrs::new(el);
    let id = a.req_id("Id")?;
    a.ignore(&["Primary"]);
    a.finish()?;
    no_children(el)?;
    let (table, member) = if el.name == "ComponentRef" {
        ("Component", Member::Component(id.clone()))
    } else {
        ("ComponentGroup", Member::ComponentGroup(id.clone()))
    };
    p.sec().reference(table, id, &el.loc);
    // Membership in the package itself: the linker puts it in WiX's default feature.
    p.sec().memberships.push(Membership {
        parent: Member::Feature(String::new()),
        member,
        loc: el.loc.clone(),
    });
    Ok(())
}

pub fn component_group(p: &mut Parser, el: &Element) -> Result<()> {
    let mut a = Attrs::new(el);
    let id = a.req_id("Id")?;
    let directory = a.id("Directory")?;
    let subdir = if p.v4() {
        a.opt("Subdirectory").map(str::to_string)
    } else {
        None
    };
    let mut source = a.opt("Source").unwrap_or_default().to_string();
    a.finish()?;
    if !source.is_empty() && !source.ends_with('/') && !source.ends_with('\\') {
        source.push('/');
    }
    p.sec().groups.push(crate::model::Reference {
        table: "ComponentGroup",
        id: id.clone(),
        loc: el.loc.clone(),
    });
    if let Some(d) = &directory {
        p.sec().reference("Directory", d.clone(), &el.loc);
    }
    // Compiler.cs ParseComponentGroupElement (HandleSubdirectory): `Subdirectory` names a
    // directory below `Directory`, which it needs.
    let directory = match (directory, subdir) {
        (Some(d), Some(sd)) => {
            let sd =
                subdirectory::canonical_relative(&sd, "ComponentGroup", "Subdirectory", &el.loc)?;
            let dialect = p.dialect;
            Some(subdirectory::inline_directory(
                p.sec(),
                dialect,
                &d,
                &sd,
                &el.loc,
            ))
        }
        (None, Some(_)) => {
            return Err(a.err("`Subdirectory` needs `Directory` (the directory it is below)"))
        }
        (d, None) => d,
    };
    let parent = Member::ComponentGroup(id.clone());
    let ctx = Ctx {
        directory: directory.clone(),
        disk_id: None,
        parent: Some(parent.clone()),
        file_source: source.clone(),
    };
    for child in &el.children {
        match (child.ns.is_util(), child.name.as_str()) {
            (false, "Component") => component(p, child, &ctx)?,
            (false, "File") if p.v4() => naked::naked_file(p, child, &ctx)?,
            (false, "Files") if p.v4() => naked::files(p, child, &ctx)?,
            (false, "ComponentRef") | (false, "ComponentGroupRef") => group_ref(p, child, &parent)?,
            _ => return Err(unexpected(el, child)),
        }
    }
    Ok(())
}

/// `ComponentRef` / `ComponentGroupRef` inside a feature or component group.
pub fn group_ref(p: &mut Parser, el: &Element, parent: &Member) -> Result<()> {
    let mut a = Attrs::new(el);
    let id = a.req_id("Id")?;
    a.ignore(&["Primary"]);
    a.finish()?;
    no_children(el)?;
    let (table, member) = if el.name == "ComponentRef" {
        ("Component", Member::Component(id.clone()))
    } else {
        ("ComponentGroup", Member::ComponentGroup(id.clone()))
    };
    p.sec().reference(table, id, &el.loc);
    p.sec().memberships.push(Membership {
        parent: parent.clone(),
        member,
        loc: el.loc.clone(),
    });
    Ok(())
}

pub fn component(p: &mut Parser, el: &Element, ctx: &Ctx) -> Result<()> {
    let mut a = Attrs::new(el);
    let id = a.id("Id")?;
    let guid = a.guid("Guid")?;
    let dir_attr = a.id("Directory")?;
    let disk_id = a.int_range("DiskId", 1, 32767)?.or(ctx.disk_id);
    let key_path_dir = a.flag("KeyPath")?;
    let mut attributes = 0;
    match a.choice("Location", &["local", "source", "either"])? {
        Some("source") => attributes |= 1,
        Some("either") => attributes |= 2,
        _ => {}
    }
    if a.flag("SharedDllRefCount")? {
        attributes |= 0x8;
    }
    if a.flag("Permanent")? {
        attributes |= 0x10;
    }
    if a.flag("Transitive")? {
        attributes |= 0x40;
    }
    if a.flag("NeverOverwrite")? {
        attributes |= 0x80;
    }
    let win64 = if p.v4() {
        match a.choice("Bitness", &["default", "always32", "always64"])? {
            Some("always32") => false,
            Some("always64") => true,
            _ => p.is_64bit(),
        }
    } else {
        a.yesno("Win64")?.unwrap_or(p.is_64bit())
    };
    if win64 {
        attributes |= 0x100;
    }
    if a.flag("DisableRegistryReflection")? {
        attributes |= 0x200;
    }
    if a.flag("UninstallWhenSuperseded")? {
        attributes |= 0x400;
    }
    if a.flag("Shared")? {
        attributes |= 0x800;
    }
    let mut condition = if p.v4() {
        a.opt("Condition").map(str::to_string)
    } else {
        None
    };
    // Component/@Feature exists in both dialects (WiX v3.x Compiler.cs ParseComponentElement).
    let feature_attr = a.id("Feature")?;
    let subdir = if p.v4() {
        a.opt("Subdirectory").map(str::to_string)
    } else {
        None
    };
    a.ignore(&[
        "ComPlusFlags",
        "MultiInstance",
        "ComponentGuidGenerationSeed",
    ]);
    a.finish()?;
    // WiX v4+ puts a component with no directory in INSTALLFOLDER (Compiler.cs,
    // ParseComponentElement), which the linker provides when nothing defines it.
    let v4_default = (p.v4() && dir_attr.is_none() && ctx.directory.is_none())
        .then(|| "INSTALLFOLDER".to_string());
    if let Some(d) = &v4_default {
        p.sec().reference("Directory", d.clone(), &el.loc);
    }
    let directory = dir_attr
        .clone()
        .or_else(|| ctx.directory.clone())
        .or(v4_default)
        .ok_or_else(|| {
            WixError::new(
                el.loc.clone(),
                "Component: no directory; put it in a Directory/DirectoryRef or set `Directory`",
            )
        })?;
    if dir_attr.is_some() {
        p.sec().reference("Directory", directory.clone(), &el.loc);
    }
    // Compiler.cs ParseComponentElement: `Subdirectory` names a directory below that one.
    let directory = match subdir {
        Some(sd) => {
            let sd = subdirectory::canonical_relative(&sd, "Component", "Subdirectory", &el.loc)?;
            let dialect = p.dialect;
            subdirectory::inline_directory(p.sec(), dialect, &directory, &sd, &el.loc)
        }
        None => directory,
    };
    // The id is needed by children; it may be omitted (WiX v4+, and WiX 3.14's
    // Compiler.cs ParseComponentElement, which defaults it to the key path's id through its
    // `!(wix.OfficialWixComponentIdPlaceholder)`), and then the key path's id is used, which
    // is known only after the children: they see a placeholder until then.
    let placeholder = id.is_none().then(|| {
        let n = p.component_placeholders.len();
        p.component_placeholders.push(String::new());
        (n, format!("{m}{n}{m}", m = super::PLACEHOLDER_MARK))
    });
    let id = match id {
        Some(id) => id,
        None => placeholder
            .as_ref()
            .map(|(_, ph)| ph.clone())
            .unwrap_or_default(),
    };
    let guid = match guid.as_deref() {
        Some("*") => GuidSpec::Auto,
        Some("") => GuidSpec::Empty,
        Some(g) => GuidSpec::Explicit(g.to_string()),
        // WiX 3.14 defaults Guid to "*" as v4+ does (Compiler.cs ParseComponentElement).
        None => GuidSpec::Auto,
    };
    let comp = Comp {
        id: id.clone(),
        directory: directory.clone(),
        win64,
        auto_guid: guid == GuidSpec::Auto,
    };
    let mut explicit: Option<KeyPath> = if key_path_dir {
        Some(KeyPath::Directory)
    } else {
        None
    };
    let mut default_key: Option<KeyPath> = None;
    let mut files = 0;
    for child in &el.children {
        if child.is("File") {
            files += 1;
        }
        let cand = if child.ns.is_firewall() {
            super::firewall::exception(p, el, child, &comp, None)?;
            KeyCandidate::None
        } else if child.ns.is_util() {
            services::util_component_child(p, el, child, &comp)?
        } else {
            match child.name.as_str() {
                "File" => file(p, child, &comp, ctx, disk_id, None)?,
                "RegistryKey" => registry_key(p, child, &comp, None, None)?,
                "RegistryValue" => registry_value(p, child, &comp, None, None)?,
                "RemoveRegistryKey" => remove_registry_key(p, child, &comp)?,
                "RemoveRegistryValue" => remove_registry_value(p, child, &comp)?,
                "CreateFolder" => create_folder(p, child, &comp)?,
                "RemoveFolder" => remove_file(p, child, &comp, true)?,
                "RemoveFile" => remove_file(p, child, &comp, false)?,
                "Environment" => environment(p, child, &comp)?,
                "Shortcut" => shortcut(p, child, &comp, &format!("[{}]", comp.directory))?,
                "IniFile" => ini_file(p, child, &comp)?,
                "TypeLib" | "AppId" => {
                    super::com::component_child(p, child, &comp, None)?;
                    KeyCandidate::None
                }
                "Class" => {
                    super::class::class(p, child, &comp.id, None)?;
                    KeyCandidate::None
                }
                "ProgId" => {
                    super::class::component_prog_id(p, child, &comp.id)?;
                    KeyCandidate::None
                }
                "Category" => {
                    super::publish_component::category(p, child, &comp.id)?;
                    KeyCandidate::None
                }
                "ReserveCost" => {
                    super::misc::reserve_cost(p, child, &comp)?;
                    KeyCandidate::None
                }
                "CopyFile" => {
                    super::misc::component_copy_file(p, child, &comp)?;
                    KeyCandidate::None
                }
                // Patch symbol search paths: no effect on the MSI (WiX keeps them for torch/pyro).
                "SymbolPath" => KeyCandidate::None,
                "Condition" if !p.v4() => {
                    let ca = Attrs::new(child);
                    ca.finish()?;
                    if condition.is_some() {
                        return Err(WixError::new(
                            child.loc.clone(),
                            "Component: only one Condition is allowed",
                        ));
                    }
                    condition = Some(condition_text(child)?);
                    KeyCandidate::None
                }
                _ => services::component_child(p, el, child, &comp)?,
            }
        };
        match cand {
            KeyCandidate::None => {}
            KeyCandidate::Possible(k) => {
                if default_key.is_none() && explicit.is_none() {
                    default_key = Some(k);
                }
            }
            KeyCandidate::Explicit(k) => {
                if explicit.is_some() {
                    return Err(WixError::new(
                        child.loc.clone(),
                        format!("Component `{id}` has more than one key path; only one element may say KeyPath=\"yes\""),
                    ));
                }
                explicit = Some(k);
            }
        }
    }
    let id =
        match placeholder {
            None => id,
            Some((n, _)) => {
                // Compiler.cs ParseComponentElement: implicit ids need a file or registry key
                // path, and a registry one only in a component without files or when explicit.
                let key = explicit.clone().or_else(|| default_key.clone());
                let allow_implicit = match &key {
                    None | Some(KeyPath::Directory) => false,
                    Some(KeyPath::Registry(_)) => files == 0,
                    Some(KeyPath::File(_)) => true,
                };
                match key {
                    Some(KeyPath::File(k) | KeyPath::Registry(k))
                        if allow_implicit || explicit.is_some() =>
                    {
                        p.component_placeholders[n] = k.clone();
                        k
                    }
                    _ => return Err(WixError::new(
                        el.loc.clone(),
                        "Component: `Id` can be omitted only when the component's key path is a \
                         file or registry value (set `Id`, or mark a File or RegistryValue \
                         KeyPath=\"yes\")",
                    )),
                }
            }
        };
    let dialect = p.dialect;
    let sec = p.sec();
    if let Some(parent) = &ctx.parent {
        sec.memberships.push(Membership {
            parent: parent.clone(),
            member: Member::Component(id.clone()),
            loc: el.loc.clone(),
        });
    }
    if let Some(f) = feature_attr {
        sec.reference("Feature", f.clone(), &el.loc);
        sec.memberships.push(Membership {
            parent: Member::Feature(f),
            member: Member::Component(id.clone()),
            loc: el.loc.clone(),
        });
    }
    sec.components.push(ComponentDef {
        id,
        directory,
        guid,
        attributes,
        condition,
        explicit_key: explicit,
        default_key,
        disk_id,
        dialect,
        loc: el.loc.clone(),
    });
    Ok(())
}
