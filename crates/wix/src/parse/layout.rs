//! Layout elements: directories, components and the resources a component installs
//! (files, folders, registry, environment, shortcuts, file copies). Services live in
//! [`super::services`].

use super::component::{identifier_from_name, permission_ex, Comp, KeyCandidate};
use super::{
    condition_text, naked, no_children, services, subdirectory, unexpected, Attrs, Parser,
};
use crate::error::{Result, WixError};
use crate::model::{
    ComponentDef, FileDef, GuidSpec, KeyPath, Member, Membership, Val, ADVERTISED_TARGET,
};
use crate::shortname::{self, msi_filename, msi_filename_salted};
use crate::standard_directory::standard_directory_name;
use crate::xml::Element;

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

fn check_long_name(name: &str, attr: &str, el: &Element) -> Result<()> {
    let bad = name.is_empty()
        || name.chars().any(|c| {
            matches!(c, '\\' | '/' | ':' | '*' | '?' | '"' | '<' | '>' | '|') || (c as u32) < 32
        })
        || name.ends_with(' ')
        || name.len() > 255;
    if bad {
        return Err(WixError::new(
            el.loc.clone(),
            format!(
                "{}: `{attr}` value `{name}` is not a legal file name (no \\ / : * ? \" < > |, not empty, no trailing space)",
                el.display_name()
            ),
        ));
    }
    Ok(())
}

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
    if a.opt("Assembly").is_some_and(|v| v != "no") {
        return Err(a.err("assemblies (Assembly=\".net\"/\"win32\") are not supported"));
    }
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
    a.ignore(&[
        "DefaultSize",
        "BindPath",
        "PatchGroup",
        "ProcessorArchitecture",
        "AssemblyManifest",
        "AssemblyApplication",
    ]);
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

fn copy_file(p: &mut Parser, el: &Element, comp: &Comp, file_id: &str) -> Result<()> {
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

/// Registry roots as the MSI Registry table encodes them.
fn registry_root(v: &str, a: &Attrs) -> Result<i32> {
    match v {
        "HKMU" => Ok(-1),
        "HKCR" => Ok(0),
        "HKCU" => Ok(1),
        "HKLM" => Ok(2),
        "HKU" => Ok(3),
        _ => Err(a.err(format!(
            "`Root` is `{v}`; allowed: HKMU, HKCR, HKCU, HKLM, HKU"
        ))),
    }
}

/// A registry row's id when authored without one: both WiX v3 (Compiler.cs) and v4+
/// (Compiler_Package.cs, ParseRegistryKeyElement/ParseRegistryValueElement) hash
/// (component, root number, lower(key), lower(name)).
fn registry_id(p: &Parser, comp: &Comp, root: i32, key: &str, name: Option<&str>) -> String {
    let key = key.to_lowercase();
    let name = name.map(str::to_lowercase);
    p.gen_id(
        "reg",
        &[
            Some(&comp.id),
            Some(&root.to_string()),
            Some(&key),
            name.as_deref(),
        ],
    )
}

/// A nested registry element's key: WiX joins it to the parent's key with one backslash,
/// adding none when the parent already ends with one (Compiler.cs, ParseRegistryValueElement).
fn join_key(parent: Option<&str>, key: Option<&str>) -> Option<String> {
    match (parent, key) {
        (Some(p), Some(k)) if p.ends_with('\\') => Some(format!("{p}{k}")),
        (Some(p), Some(k)) => Some(format!("{p}\\{k}")),
        (Some(p), None) => Some(p.to_string()),
        (None, Some(k)) => Some(k.to_string()),
        (None, None) => None,
    }
}

fn registry_key(
    p: &mut Parser,
    el: &Element,
    comp: &Comp,
    proot: Option<i32>,
    pkey: Option<&str>,
) -> Result<KeyCandidate> {
    let mut a = Attrs::new(el);
    let id = a.id("Id")?;
    let root = match a.opt("Root") {
        Some(r) => registry_root(r, &a)?,
        None => proot.ok_or_else(|| a.err("missing required attribute `Root`"))?,
    };
    let mut key =
        join_key(pkey, a.opt("Key")).ok_or_else(|| a.err("missing required attribute `Key`"))?;
    if p.v4() {
        // WiX v4 drops trailing backslashes from a RegistryKey's key (Compiler_Package.cs,
        // ParseRegistryKeyElement: `key.TrimEnd('\\')`); WiX v3 keeps them.
        key.truncate(key.trim_end_matches('\\').len());
    }
    let action = a.choice("Action", &["create", "createAndRemoveOnUninstall", "none"])?;
    let mut force_create = a.flag("ForceCreateOnInstall")?;
    let mut force_delete = a.flag("ForceDeleteOnUninstall")?;
    match action {
        Some("create") => force_create = true,
        Some("createAndRemoveOnUninstall") => {
            force_create = true;
            force_delete = true;
        }
        _ => {}
    }
    a.finish()?;
    let mut cand = KeyCandidate::None;
    let marker = match (force_create, force_delete) {
        (true, true) => Some("*"),
        (true, false) => Some("+"),
        (false, true) => Some("-"),
        (false, false) => None,
    };
    if let Some(m) = marker {
        let rid = id
            .clone()
            .unwrap_or_else(|| registry_id(p, comp, root, &key, Some(m)));
        p.sec().row(
            "Registry",
            &el.loc,
            vec![
                rid.clone().into(),
                root.into(),
                key.clone().into(),
                m.into(),
                Val::Null,
                comp.id.clone().into(),
            ],
        );
        permissions(p, el, "Registry", &rid)?;
    }
    for child in &el.children {
        let c = match (child.ns.is_util(), child.name.as_str()) {
            (false, "RegistryKey") => registry_key(p, child, comp, Some(root), Some(&key))?,
            (false, "RegistryValue") => registry_value(p, child, comp, Some(root), Some(&key))?,
            (_, "PermissionEx" | "Permission") => continue,
            _ => return Err(unexpected(el, child)),
        };
        match (&cand, c) {
            (_, KeyCandidate::Explicit(k)) => {
                if matches!(cand, KeyCandidate::Explicit(_)) {
                    return Err(WixError::new(
                        child.loc.clone(),
                        "more than one key path in this component",
                    ));
                }
                cand = KeyCandidate::Explicit(k)
            }
            (KeyCandidate::None, c @ KeyCandidate::Possible(_)) => cand = c,
            _ => {}
        }
    }
    Ok(cand)
}

fn permissions(p: &mut Parser, el: &Element, table: &'static str, id: &str) -> Result<()> {
    for child in &el.children {
        if child.name == "PermissionEx" && !child.ns.is_util() {
            permission_ex(p, child, table, id)?;
        } else if child.name == "Permission" && !child.ns.is_util() {
            super::permission::permission(p, child, table, id)?;
        } else if child.name == "PermissionEx" || child.name == "Permission" {
            return Err(super::unsupported(
                child,
                "use the main-namespace PermissionEx with an Sddl attribute",
            ));
        }
    }
    Ok(())
}

fn registry_value(
    p: &mut Parser,
    el: &Element,
    comp: &Comp,
    proot: Option<i32>,
    pkey: Option<&str>,
) -> Result<KeyCandidate> {
    let mut a = Attrs::new(el);
    let id = a.id("Id")?;
    let root = match a.opt("Root") {
        Some(r) => registry_root(r, &a)?,
        None => proot.ok_or_else(|| a.err("missing required attribute `Root`"))?,
    };
    let key =
        join_key(pkey, a.opt("Key")).ok_or_else(|| a.err("missing required attribute `Key`"))?;
    let name = a.opt("Name").map(str::to_string);
    let value = a.opt("Value").map(str::to_string);
    let ty = a
        .choice(
            "Type",
            &["string", "integer", "binary", "expandable", "multiString"],
        )?
        .unwrap_or("string");
    let action = a
        .choice("Action", &["append", "prepend", "write"])?
        .unwrap_or("write");
    let key_path = a.yesno("KeyPath")?;
    a.finish()?;
    let mut multi: Vec<String> = Vec::new();
    for child in &el.children {
        match (child.ns.is_util(), child.name.as_str()) {
            // WiX v4 also spells it `MultiString`.
            (false, "MultiStringValue") => {
                let mut ca = Attrs::new(child);
                let v = ca.opt("Value").map(str::to_string);
                ca.finish()?;
                multi.push(v.unwrap_or_else(|| child.text.clone()));
            }
            (false, "MultiString") if p.v4() => {
                let mut ca = Attrs::new(child);
                let v = ca.opt("Value").map(str::to_string);
                ca.finish()?;
                multi.push(v.unwrap_or_else(|| child.text.clone()));
            }
            (false, "PermissionEx") => {}
            _ => return Err(unexpected(el, child)),
        }
    }
    if ty != "multiString" && !multi.is_empty() {
        return Err(a.err("MultiStringValue children need Type=\"multiString\""));
    }
    let encoded = match ty {
        "integer" => {
            let v = value
                .clone()
                .ok_or_else(|| a.err("Type=\"integer\" needs a `Value`"))?;
            format!("#{v}")
        }
        "binary" => format!("#x{}", value.clone().unwrap_or_default()),
        "expandable" => format!("#%{}", value.clone().unwrap_or_default()),
        "multiString" => {
            let mut parts = Vec::new();
            if let Some(v) = &value {
                parts.push(v.clone());
            }
            parts.extend(multi);
            // As WiX's binder: append/prepend add one separator; write wraps the value in
            // separators unless it already contains one (several values do).
            let body = parts.join("[~]");
            match action {
                "append" => format!("[~]{body}"),
                "prepend" => format!("{body}[~]"),
                _ if parts.is_empty() => String::new(),
                _ if body.contains("[~]") => body,
                _ => format!("[~]{body}[~]"),
            }
        }
        _ => {
            let v = value.clone().unwrap_or_default();
            // A literal string starting with '#' is escaped by doubling it.
            if v.starts_with('#') {
                format!("#{v}")
            } else {
                v
            }
        }
    };
    if ty != "multiString" && action != "write" {
        return Err(a.err("Action=\"append\"/\"prepend\" needs Type=\"multiString\""));
    }
    let rid = id.unwrap_or_else(|| registry_id(p, comp, root, &key, name.as_deref()));
    p.sec().row(
        "Registry",
        &el.loc,
        vec![
            rid.clone().into(),
            root.into(),
            key.into(),
            Val::opt_str(name),
            encoded.into(),
            comp.id.clone().into(),
        ],
    );
    permissions(p, el, "Registry", &rid)?;
    Ok(match key_path {
        Some(true) => KeyCandidate::Explicit(KeyPath::Registry(rid)),
        Some(false) => KeyCandidate::None,
        None => KeyCandidate::Possible(KeyPath::Registry(rid)),
    })
}

fn remove_registry_key(p: &mut Parser, el: &Element, comp: &Comp) -> Result<KeyCandidate> {
    let mut a = Attrs::new(el);
    let id = a.id("Id")?;
    let root = registry_root(a.req("Root")?, &a)?;
    let key = a.req("Key")?.to_string();
    let action = a
        .choice("Action", &["removeOnInstall", "removeOnUninstall"])?
        .ok_or_else(|| a.err("missing required attribute `Action`"))?;
    a.finish()?;
    no_children(el)?;
    let rid = id.unwrap_or_else(|| registry_id(p, comp, root, &key, Some("-")));
    if action == "removeOnUninstall" {
        p.sec().row(
            "Registry",
            &el.loc,
            vec![
                rid.into(),
                root.into(),
                key.into(),
                "-".into(),
                Val::Null,
                comp.id.clone().into(),
            ],
        );
    } else {
        p.sec().row(
            "RemoveRegistry",
            &el.loc,
            vec![
                rid.into(),
                root.into(),
                key.into(),
                "-".into(),
                comp.id.clone().into(),
            ],
        );
    }
    Ok(KeyCandidate::None)
}

fn remove_registry_value(p: &mut Parser, el: &Element, comp: &Comp) -> Result<KeyCandidate> {
    let mut a = Attrs::new(el);
    let id = a.id("Id")?;
    let root = registry_root(a.req("Root")?, &a)?;
    let key = a.req("Key")?.to_string();
    let name = a.opt("Name").map(str::to_string);
    a.finish()?;
    no_children(el)?;
    let rid = id.unwrap_or_else(|| registry_id(p, comp, root, &key, name.as_deref()));
    p.sec().row(
        "RemoveRegistry",
        &el.loc,
        vec![
            rid.into(),
            root.into(),
            key.into(),
            Val::opt_str(name),
            comp.id.clone().into(),
        ],
    );
    Ok(KeyCandidate::None)
}

fn create_folder(p: &mut Parser, el: &Element, comp: &Comp) -> Result<KeyCandidate> {
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

fn install_mode(a: &mut Attrs) -> Result<i32> {
    match a.choice("On", &["install", "uninstall", "both"])? {
        Some("install") => Ok(1),
        Some("uninstall") => Ok(2),
        Some(_) => Ok(3),
        None => Err(a.err("missing required attribute `On` (install, uninstall or both)")),
    }
}

fn remove_file(p: &mut Parser, el: &Element, comp: &Comp, folder: bool) -> Result<KeyCandidate> {
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

fn environment(p: &mut Parser, el: &Element, comp: &Comp) -> Result<KeyCandidate> {
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

/// `default_target` is what a non-advertised shortcut without `Target` points at, as in
/// WiX: `[#File]` under a File, `[Directory]` under a Component or CreateFolder.
fn shortcut(
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

fn ini_file(p: &mut Parser, el: &Element, comp: &Comp) -> Result<KeyCandidate> {
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
