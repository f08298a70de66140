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

/// `Component` in the directory context `ctx`: the resources its children install, its key
/// path, and its ComponentDef with the group or feature it belongs to.
pub fn component(p: &mut Parser, el: &Element, ctx: &Ctx) -> Result<()> {
    let mut attrs = ComponentAttrs::read(p, el, ctx)?;
    let directory = attrs.directory(p, el, ctx)?;
    let (id, placeholder) = provisional_id(p, attrs.id.take());
    let guid = guid_spec(attrs.guid.as_deref());
    let comp = Comp {
        id: id.clone(),
        directory: directory.clone(),
        win64: attrs.win64,
        auto_guid: guid == GuidSpec::Auto,
    };
    let keys = attrs.children(p, el, ctx, &comp)?;
    let id = match placeholder {
        None => id,
        Some(n) => implicit_id(p, el, n, &keys)?,
    };
    memberships(p, el, ctx, &id, attrs.feature.take());
    let dialect = p.dialect;
    p.sec().components.push(ComponentDef {
        id,
        directory,
        guid,
        attributes: attrs.attributes,
        condition: attrs.condition,
        explicit_key: keys.explicit,
        default_key: keys.default_key,
        disk_id: attrs.disk_id,
        dialect,
        loc: el.loc.clone(),
    });
    Ok(())
}

/// A `Component` element's attributes (and its v3 `Condition` child).
struct ComponentAttrs {
    id: Option<String>,
    /// `Guid` as written: a GUID, `*` or empty.
    guid: Option<String>,
    /// `Directory`.
    directory: Option<String>,
    disk_id: Option<i32>,
    /// `KeyPath="yes"`: the component's directory is its key path.
    key_path_dir: bool,
    /// The Component row's attribute bits.
    attributes: i32,
    win64: bool,
    condition: Option<String>,
    feature: Option<String>,
    subdirectory: Option<String>,
}

/// What a component's children say about its key path.
struct KeyPaths {
    /// The key path something marked `KeyPath="yes"` (or the component: its directory).
    explicit: Option<KeyPath>,
    /// The first child that can be the key path, used when none is explicit.
    default_key: Option<KeyPath>,
    files: usize,
}

impl ComponentAttrs {
    /// Reads a `Component`'s attributes; `DiskId` defaults to the enclosing directory's.
    fn read(p: &Parser, el: &Element, ctx: &Ctx) -> Result<Self> {
        let mut a = Attrs::new(el);
        let id = a.id("Id")?;
        let guid = a.guid("Guid")?;
        let directory = a.id("Directory")?;
        let disk_id = a.int_range("DiskId", 1, 32767)?.or(ctx.disk_id);
        let key_path_dir = a.flag("KeyPath")?;
        let (attributes, win64) = component_bits(p, &mut a)?;
        let condition = if p.v4() {
            a.opt("Condition").map(str::to_string)
        } else {
            None
        };
        // Component/@Feature exists in both dialects (WiX v3.x Compiler.cs ParseComponentElement).
        let feature = a.id("Feature")?;
        let subdirectory = if p.v4() {
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
        Ok(ComponentAttrs {
            id,
            guid,
            directory,
            disk_id,
            key_path_dir,
            attributes,
            win64,
            condition,
            feature,
            subdirectory,
        })
    }

    /// The component's directory: `Directory`, else the enclosing one, else (WiX v4+)
    /// INSTALLFOLDER; with `Subdirectory`, a directory below that one.
    fn directory(&self, p: &mut Parser, el: &Element, ctx: &Ctx) -> Result<String> {
        // WiX v4+ puts a component with no directory in INSTALLFOLDER (Compiler.cs,
        // ParseComponentElement), which the linker provides when nothing defines it.
        let v4_default = (p.v4() && self.directory.is_none() && ctx.directory.is_none())
            .then(|| "INSTALLFOLDER".to_string());
        if let Some(d) = &v4_default {
            p.sec().reference("Directory", d.clone(), &el.loc);
        }
        let directory = self
            .directory
            .clone()
            .or_else(|| ctx.directory.clone())
            .or(v4_default)
            .ok_or_else(|| {
                WixError::new(
                    el.loc.clone(),
                    "Component: no directory; put it in a Directory/DirectoryRef or set `Directory`",
                )
            })?;
        if self.directory.is_some() {
            p.sec().reference("Directory", directory.clone(), &el.loc);
        }
        // Compiler.cs ParseComponentElement: `Subdirectory` names a directory below that one.
        Ok(match &self.subdirectory {
            Some(sd) => {
                let sd =
                    subdirectory::canonical_relative(sd, "Component", "Subdirectory", &el.loc)?;
                let dialect = p.dialect;
                subdirectory::inline_directory(p.sec(), dialect, &directory, &sd, &el.loc)
            }
            None => directory,
        })
    }

    /// The children: what each installs, and which of them is the key path.
    fn children(
        &mut self,
        p: &mut Parser,
        el: &Element,
        ctx: &Ctx,
        comp: &Comp,
    ) -> Result<KeyPaths> {
        let mut keys = KeyPaths {
            explicit: self.key_path_dir.then_some(KeyPath::Directory),
            default_key: None,
            files: 0,
        };
        for child in &el.children {
            if child.is("File") {
                keys.files += 1;
            }
            let cand = self.child(p, el, child, ctx, comp)?;
            keys.add(cand, child, &comp.id)?;
        }
        Ok(keys)
    }

    /// One child of the component, parsed by the module that owns it; returns what it
    /// offers as the key path.
    fn child(
        &mut self,
        p: &mut Parser,
        el: &Element,
        child: &Element,
        ctx: &Ctx,
        comp: &Comp,
    ) -> Result<KeyCandidate> {
        if child.ns.is_firewall() {
            return no_key(super::firewall::exception(p, el, child, comp, None));
        }
        if child.ns.is_util() {
            return services::util_component_child(p, el, child, comp);
        }
        match child.name.as_str() {
            "File" => file(p, child, comp, ctx, self.disk_id, None),
            "RegistryKey" => registry_key(p, child, comp, None, None),
            "RegistryValue" => registry_value(p, child, comp, None, None),
            "RemoveRegistryKey" => remove_registry_key(p, child, comp),
            "RemoveRegistryValue" => remove_registry_value(p, child, comp),
            "CreateFolder" => create_folder(p, child, comp),
            "RemoveFolder" => remove_file(p, child, comp, true),
            "RemoveFile" => remove_file(p, child, comp, false),
            "Environment" => environment(p, child, comp),
            "Shortcut" => shortcut(p, child, comp, &format!("[{}]", comp.directory)),
            "IniFile" => ini_file(p, child, comp),
            "TypeLib" | "AppId" => no_key(super::com::component_child(p, child, comp, None)),
            "Class" => no_key(super::class::class(p, child, &comp.id, None)),
            "ProgId" => no_key(super::class::component_prog_id(p, child, &comp.id)),
            "Category" => no_key(super::publish_component::category(p, child, &comp.id)),
            "ReserveCost" => no_key(super::misc::reserve_cost(p, child, comp)),
            "CopyFile" => no_key(super::misc::component_copy_file(p, child, comp)),
            // Patch symbol search paths: no effect on the MSI (WiX keeps them for torch/pyro).
            "SymbolPath" => Ok(KeyCandidate::None),
            "Condition" if !p.v4() => {
                self.v3_condition(child)?;
                Ok(KeyCandidate::None)
            }
            _ => services::component_child(p, el, child, comp),
        }
    }

    /// WiX v3's `Condition` child: the component's condition, at most one.
    fn v3_condition(&mut self, child: &Element) -> Result<()> {
        let ca = Attrs::new(child);
        ca.finish()?;
        if self.condition.is_some() {
            return Err(WixError::new(
                child.loc.clone(),
                "Component: only one Condition is allowed",
            ));
        }
        self.condition = Some(condition_text(child)?);
        Ok(())
    }
}

impl KeyPaths {
    /// Takes a child's key path offer: the first possible one is the default, and only one
    /// may be explicit.
    fn add(&mut self, cand: KeyCandidate, child: &Element, id: &str) -> Result<()> {
        match cand {
            KeyCandidate::None => {}
            KeyCandidate::Possible(k) => {
                if self.default_key.is_none() && self.explicit.is_none() {
                    self.default_key = Some(k);
                }
            }
            KeyCandidate::Explicit(k) => {
                if self.explicit.is_some() {
                    // An Id-less component's id is still its placeholder here: name it
                    // by what the author wrote instead.
                    let which = if id.contains(super::PLACEHOLDER_MARK) {
                        "This Component (authored without `Id`)".to_string()
                    } else {
                        format!("Component `{id}`")
                    };
                    return Err(WixError::new(
                        child.loc.clone(),
                        format!("{which} has more than one key path; only one element may say KeyPath=\"yes\""),
                    ));
                }
                self.explicit = Some(k);
            }
        }
        Ok(())
    }
}

/// A child that is never the key path.
fn no_key(parsed: Result<()>) -> Result<KeyCandidate> {
    parsed.map(|()| KeyCandidate::None)
}

/// The Component row's attribute bits
/// (https://learn.microsoft.com/windows/win32/msi/component-table) from `Location` and the
/// yes/no attributes, and whether the component is 64-bit (`Bitness`, v3 `Win64`, else
/// the platform).
fn component_bits(p: &Parser, a: &mut Attrs) -> Result<(i32, bool)> {
    let mut attributes = match a.choice("Location", &["local", "source", "either"])? {
        Some("source") => 1,
        Some("either") => 2,
        _ => 0,
    };
    attributes |= a.flag_bits(
        &[],
        &[
            ("SharedDllRefCount", 0x8),
            ("Permanent", 0x10),
            ("Transitive", 0x40),
            ("NeverOverwrite", 0x80),
        ],
    )?;
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
    attributes |= a.flag_bits(
        &[],
        &[
            ("DisableRegistryReflection", 0x200),
            ("UninstallWhenSuperseded", 0x400),
            ("Shared", 0x800),
        ],
    )?;
    Ok((attributes, win64))
}

/// The component's id while its children are parsed, and the index of its placeholder if
/// `Id` is omitted. The id may be omitted (WiX v4+, and WiX 3.14's Compiler.cs
/// ParseComponentElement, which defaults it to the key path's id through its
/// `!(wix.OfficialWixComponentIdPlaceholder)`); then the key path's id is used, which is
/// known only after the children: they see a placeholder until then.
fn provisional_id(p: &mut Parser, id: Option<String>) -> (String, Option<usize>) {
    match id {
        Some(id) => (id, None),
        None => {
            let n = p.component_placeholders.len();
            p.component_placeholders.push(String::new());
            (format!("{m}{n}{m}", m = super::PLACEHOLDER_MARK), Some(n))
        }
    }
}

/// `Guid`: a GUID, `*` (generated when the package is built) or empty (no component code).
fn guid_spec(guid: Option<&str>) -> GuidSpec {
    match guid {
        Some("*") => GuidSpec::Auto,
        Some("") => GuidSpec::Empty,
        Some(g) => GuidSpec::Explicit(g.to_string()),
        // WiX 3.14 defaults Guid to "*" as v4+ does (Compiler.cs ParseComponentElement).
        None => GuidSpec::Auto,
    }
}

/// The id of a component without `Id`, its key path's; it fills in the placeholder `n`.
fn implicit_id(p: &mut Parser, el: &Element, n: usize, keys: &KeyPaths) -> Result<String> {
    // Compiler.cs ParseComponentElement: implicit ids need a file or registry key
    // path, and a registry one only in a component without files or when explicit.
    let key = keys.explicit.clone().or_else(|| keys.default_key.clone());
    let allow_implicit = match &key {
        None | Some(KeyPath::Directory) => false,
        Some(KeyPath::Registry(_)) => keys.files == 0,
        Some(KeyPath::File(_)) => true,
    };
    match key {
        Some(KeyPath::File(k) | KeyPath::Registry(k))
            if allow_implicit || keys.explicit.is_some() =>
        {
            p.component_placeholders[n] = k.clone();
            Ok(k)
        }
        _ => Err(WixError::new(
            el.loc.clone(),
            "Component: `Id` can be omitted only when the component's key path is a \
             file or registry value (set `Id`, or mark a File or RegistryValue \
             KeyPath=\"yes\")",
        )),
    }
}

/// The component's memberships: the enclosing group, feature or directory context's
/// parent, and the feature its `Feature` names.
fn memberships(p: &mut Parser, el: &Element, ctx: &Ctx, id: &str, feature: Option<String>) {
    let sec = p.sec();
    if let Some(parent) = &ctx.parent {
        sec.memberships.push(Membership {
            parent: parent.clone(),
            member: Member::Component(id.to_string()),
            loc: el.loc.clone(),
        });
    }
    if let Some(f) = feature {
        sec.reference("Feature", f.clone(), &el.loc);
        sec.memberships.push(Membership {
            parent: Member::Feature(f),
            member: Member::Component(id.to_string()),
            loc: el.loc.clone(),
        });
    }
}
