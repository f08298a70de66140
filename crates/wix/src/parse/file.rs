//! The `File` element inside a component (File, and the CopyFile/MoveFile rows it carries):
//! its File row, long and short names, source, and the children a file owns.

use std::path::PathBuf;

use super::assembly::{assembly_attributes, assembly_name, assembly_row, FileAssembly};
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
    let mut f = FileAttrs::read(p, el, comp, comp_disk, naked_id.is_some())?;
    let name = f.name(el)?;
    check_long_name(&name, "Name", el)?;
    let id = f.file_id(p, comp, &name, naked_id);
    super::check_identifier(&id, "Id", &el.loc)?;
    let source = f.source_path(p, ctx, &name);
    f.rows(p, el, comp, &id);
    children(p, el, comp, &id)?;
    let key = match f.key_path {
        Some(true) => KeyCandidate::Explicit(KeyPath::File(id.clone())),
        Some(false) => KeyCandidate::None,
        None => KeyCandidate::Possible(KeyPath::File(id.clone())),
    };
    p.sec().files.push(FileDef {
        id,
        component: comp.id.clone(),
        directory: comp.directory.clone(),
        name,
        short_name: f.short,
        source,
        attributes: f.attributes,
        disk_id: f.disk_id,
        version: f.version,
        language: f.language,
        loc: el.loc.clone(),
    });
    Ok(key)
}

/// A `File` element's attributes.
struct FileAttrs {
    id: Option<String>,
    name: Option<String>,
    short: Option<String>,
    source: Option<String>,
    key_path: Option<bool>,
    disk_id: Option<i32>,
    /// The File row's Attributes bits.
    attributes: i32,
    version: Option<String>,
    language: Option<String>,
    assembly: Option<FileAssembly>,
    /// The Font row's title: `Val::Null` for a TrueType font.
    font: Option<Val>,
    self_reg_cost: Option<i32>,
}

impl FileAttrs {
    /// Reads a `File`'s attributes; a naked file's component attributes belong to its
    /// generated component, and its DiskId defaults to the component's.
    fn read(
        p: &mut Parser,
        el: &Element,
        comp: &Comp,
        comp_disk: Option<i32>,
        naked: bool,
    ) -> Result<Self> {
        let mut a = Attrs::new(el);
        if naked {
            a.ignore(&["Bitness", "Condition", "Directory", "Subdirectory"]);
        }
        let id = a.id("Id")?;
        let name = a.opt("Name").map(str::to_string);
        let short = a.opt("ShortName").map(str::to_string);
        let source = a.opt("Source").or(a.opt("src")).map(str::to_string);
        let key_path = a.yesno("KeyPath")?;
        let disk_id = a.int_range("DiskId", 1, 32767)?.or(comp_disk);
        let attributes = attribute_bits(&mut a)?;
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
        Ok(FileAttrs {
            id,
            name,
            short,
            source,
            key_path,
            disk_id,
            attributes,
            version,
            language,
            assembly,
            font,
            self_reg_cost,
        })
    }

    /// The long name: `Name`, the `Source`'s last segment, or else the `Id`.
    fn name(&self, el: &Element) -> Result<String> {
        Ok(match (&self.name, &self.source, &self.id) {
            (Some(n), _, _) => n.clone(),
            (None, Some(_), _) => file_name_of(el).unwrap_or_default(),
            (None, None, Some(id)) => id.clone(),
            (None, None, None) => {
                return Err(WixError::new(
                    el.loc.clone(),
                    "File: needs `Source` or `Name`",
                ))
            }
        })
    }

    /// The authored `Id`, a naked file's, or a generated one.
    fn file_id(&self, p: &Parser, comp: &Comp, name: &str, naked_id: Option<&str>) -> String {
        // WiX v4+: `fil` + hash(directory, name) (Compiler.cs ParseFileNamingAttributes);
        // WiX v3: the name made an identifier.
        match &self.id {
            Some(id) => id.clone(),
            None if naked_id.is_some() => naked_id.unwrap_or_default().to_string(),
            None if p.v4() => p.gen_id("fil", &[Some(&comp.directory), Some(name)]),
            None => identifier_from_name(name),
        }
    }

    /// Where the file is read from: `Source` (a folder when it ends in a separator), or
    /// the enclosing `FileSource` folder.
    fn source_path(&self, p: &Parser, ctx: &Ctx, name: &str) -> PathBuf {
        match &self.source {
            Some(s) if s.ends_with('/') || s.ends_with('\\') => {
                p.source_path(&format!("{s}{name}"))
            }
            Some(s) => p.source_path(s),
            None => p.source_path(&format!("{}{}", ctx.file_source, name)),
        }
    }

    /// The file's MsiAssembly, Font and SelfReg rows.
    fn rows(&mut self, p: &mut Parser, el: &Element, comp: &Comp, id: &str) {
        if let Some(asm) = self.assembly.take() {
            assembly_row(p, el, comp, asm);
        }
        if let Some(title) = self.font.take() {
            p.sec().row("Font", &el.loc, vec![id.into(), title]);
        }
        if let Some(cost) = self.self_reg_cost {
            p.sec()
                .row("SelfReg", &el.loc, vec![id.into(), cost.into()]);
        }
    }
}

/// The File row's Attributes bits from ReadOnly, Hidden, System, Vital (on unless "no"),
/// Checksum and Compressed (either way, overriding the package's default).
fn attribute_bits(a: &mut Attrs) -> Result<i32> {
    let mut attributes = a.flag_bits(&[], &[("ReadOnly", 1), ("Hidden", 2), ("System", 4)])?;
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
    Ok(attributes)
}

/// The children a file owns; its shortcuts target it.
fn children(p: &mut Parser, el: &Element, comp: &Comp, id: &str) -> Result<()> {
    for child in &el.children {
        match (child.ns.is_util(), child.name.as_str()) {
            (false, "Shortcut") => {
                shortcut(p, child, comp, &format!("[#{id}]"))?;
            }
            (false, "CopyFile") => copy_file(p, child, comp, id)?,
            (false, "TypeLib" | "AppId") => super::com::component_child(p, child, comp, Some(id))?,
            (false, "PermissionEx") => permission_ex(p, child, "File", id)?,
            (false, "Permission") => super::permission::permission(p, child, "File", id)?,
            (false, "Class") => super::class::class(p, child, &comp.id, Some(id))?,
            (false, "SymbolPath") => {}
            (false, "AssemblyName") => assembly_name(p, child, comp)?,
            _ if child.ns.is_firewall() => {
                super::firewall::exception(p, el, child, comp, Some(id))?
            }
            _ => return Err(unexpected(el, child)),
        }
    }
    Ok(())
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
