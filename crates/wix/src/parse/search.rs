//! Property searches (AppSearch): `RegistrySearch`, `DirectorySearch`, `FileSearch`,
//! `ComponentSearch`, `IniFileSearch`, `ProductSearch` and their `…Ref` forms under a
//! `Property` → AppSearch, RegLocator, DrLocator, CompLocator, IniLocator, Signature,
//! CCPSearch and detect-only Upgrade rows.
//!
//! Semantics follow WiX v4+ `WixToolset.Core/Compiler.cs` (`ParseSearchSignatures`,
//! `ParseRegistrySearchElement`, `ParseDirectorySearchElement`, `ParseFileSearchElement`,
//! `ParseComponentSearchElement`, `ParseIniFileSearchElement`, `ParseProductSearchElement`,
//! `AddAppSearch`) and `Compiler_Package.cs` (`ParsePropertyElement`); WiX v3
//! (`src/tools/wix/Compiler.cs`) differs in that every search except a nested `FileSearch`
//! needs an `Id`, and `RegistrySearch` takes `Win64` instead of `Bitness`.

use super::{Attrs, Parser};
use crate::error::{Result, WixError};
use crate::guid::generate_identifier_v4;
use crate::model::{Row, Val};
use crate::xml::Element;

/// WiX's `CompilerConstants.IntegerNotSet` as text, which WiX hashes into generated ids
/// when `Depth`/`Field` are absent.
const INTEGER_NOT_SET: &str = "-2147483648";

/// `Property` children that are searches; returns how many signatures were found and
/// whether a `ProductSearch` made the property secure. AppSearch rows are added for
/// `property`.
pub(crate) fn property_searches(
    p: &mut Parser,
    el: &Element,
    property: &str,
    compliance_check: bool,
) -> Result<(usize, bool)> {
    let mut signatures = Vec::new();
    let mut secure = false;
    for child in &el.children {
        if child.ns.is_util() {
            return Err(super::unexpected(el, child));
        }
        let sig = match child.name.as_str() {
            "ProductSearch" => {
                product_search(p, child, property)?;
                secure = true;
                None
            }
            "ComponentSearch" => Some(component_search(p, child)?),
            "DirectorySearch" => Some(directory_search(p, child, "")?),
            "DirectorySearchRef" => Some(directory_search_ref(p, child, "")?),
            "IniFileSearch" => Some(ini_file_search(p, child)?),
            "RegistrySearch" => Some(registry_search(p, child)?),
            "RegistrySearchRef" => Some(registry_search_ref(p, child)?),
            "ComplianceDrive" => {
                return Err(super::unsupported(
                    child,
                    "ComplianceDrive searches are not supported by svcpack's compiler",
                ))
            }
            _ => return Err(super::unexpected(el, child)),
        };
        if let Some(s) = sig.filter(|s| !s.is_empty()) {
            signatures.push(s);
        }
    }
    if compliance_check && signatures.is_empty() {
        return Err(WixError::new(
            el.loc.clone(),
            "Property: `ComplianceCheck=\"yes\"` needs a search element (RegistrySearch, \
             DirectorySearch, ComponentSearch, IniFileSearch) inside the Property",
        ));
    }
    if !signatures.is_empty() && property != property.to_uppercase() {
        return Err(WixError::new(
            el.loc.clone(),
            format!(
                "Property: the search property `{property}` must be public (upper case): \
                 AppSearch can only set public properties"
            ),
        ));
    }
    let sec = p.sec();
    for sig in &signatures {
        if compliance_check {
            sec.row("CCPSearch", &el.loc, vec![sig.clone().into()]);
        }
        sec.row(
            "AppSearch",
            &el.loc,
            vec![property.into(), sig.clone().into()],
        );
    }
    Ok((signatures.len(), secure))
}

/// The element's `Id`, or (v4) WiX's generated one; v3 requires it.
fn id_or_generated(
    p: &Parser,
    a: &mut Attrs,
    prefix: &str,
    args: &[Option<&str>],
) -> Result<String> {
    match a.id("Id")? {
        Some(id) => Ok(id),
        None if p.v4() => Ok(generate_identifier_v4(prefix, args)),
        None => Err(a.err("missing required attribute `Id`")),
    }
}

fn row(p: &mut Parser, el: &Element, table: &'static str, values: Vec<Val>) {
    p.sec().rows.push(Row {
        table,
        values,
        loc: el.loc.clone(),
    });
}

/// The one nested search a RegistrySearch, ComponentSearch or IniFileSearch may hold:
/// returns (row id, signature) after WiX's "FileSearch signatures override parent
/// signatures" rule.
fn nested_locator_child(p: &mut Parser, el: &Element, id: String) -> Result<(String, String)> {
    let mut row_id = id.clone();
    let mut signature = id.clone();
    let mut seen = false;
    for child in &el.children {
        if child.ns.is_util() {
            return Err(super::unexpected(el, child));
        }
        if seen {
            return Err(too_many(el, child));
        }
        seen = true;
        match child.name.as_str() {
            "DirectorySearch" => signature = directory_search(p, child, &id)?,
            "DirectorySearchRef" => signature = directory_search_ref(p, child, &id)?,
            "FileSearch" => {
                signature = file_search(p, child, &id, false, None)?;
                row_id = signature.clone();
            }
            "FileSearchRef" => {
                row_id = simple_ref(p, child, "Signature")?;
                signature = String::new();
            }
            _ => return Err(super::unexpected(el, child)),
        }
    }
    Ok((row_id, signature))
}

fn too_many(el: &Element, child: &Element) -> WixError {
    WixError::new(
        child.loc.clone(),
        format!(
            "{}: only one nested search element is allowed",
            el.display_name()
        ),
    )
}

fn simple_ref(p: &mut Parser, el: &Element, table: &'static str) -> Result<String> {
    let mut a = Attrs::new(el);
    let id = a.req_id("Id")?;
    a.finish()?;
    super::no_children(el)?;
    p.sec().reference(table, id.clone(), &el.loc);
    Ok(id)
}

/// `Root` for locators: HKCR 0, HKCU 1, HKLM 2, HKU 3 (HKMU is not allowed).
fn locator_root(a: &mut Attrs) -> Result<Option<(i32, &'static str)>> {
    Ok(match a.choice("Root", &["HKCR", "HKCU", "HKLM", "HKU"])? {
        Some("HKCR") => Some((0, "ClassesRoot")),
        Some("HKCU") => Some((1, "CurrentUser")),
        Some("HKLM") => Some((2, "LocalMachine")),
        Some("HKU") => Some((3, "Users")),
        _ => None,
    })
}

fn registry_search(p: &mut Parser, el: &Element) -> Result<String> {
    let mut a = Attrs::new(el);
    let key = a.opt("Key").map(str::to_string);
    let name = a.opt("Name").map(str::to_string);
    let root = locator_root(&mut a)?;
    let ty = match a.choice("Type", &["directory", "file", "raw"])? {
        Some("directory") => Some((0, "Directory")),
        Some("file") => Some((1, "FileName")),
        Some("raw") => Some((2, "Raw")),
        _ => None,
    };
    let mut search64 = p.is_64bit();
    if p.v4() {
        match a.choice("Bitness", &["default", "always32", "always64"])? {
            Some("always32") => search64 = false,
            Some("always64") => search64 = true,
            _ => {}
        }
    } else if let Some(w) = a.yesno("Win64")? {
        search64 = w;
    }
    let bool_text = if search64 { "True" } else { "False" };
    let id = id_or_generated(
        p,
        &mut a,
        "reg",
        &[
            Some(root.map_or("", |r| r.1)),
            key.as_deref(),
            name.as_deref(),
            Some(ty.map_or("", |t| t.1)),
            Some(bool_text),
        ],
    )?;
    a.finish()?;
    let key = key.ok_or_else(|| a.err("missing required attribute `Key`"))?;
    let (root, _) = root.ok_or_else(|| a.err("missing required attribute `Root`"))?;
    let (ty, _) = ty.ok_or_else(|| a.err("missing required attribute `Type`"))?;
    let (row_id, signature) = nested_locator_child(p, el, id)?;
    let ty = if search64 { ty | 16 } else { ty };
    row(
        p,
        el,
        "RegLocator",
        vec![
            row_id.into(),
            root.into(),
            key.into(),
            Val::opt_str(name),
            ty.into(),
        ],
    );
    Ok(signature)
}

fn registry_search_ref(p: &mut Parser, el: &Element) -> Result<String> {
    simple_ref(p, el, "RegLocator")
}

fn component_search(p: &mut Parser, el: &Element) -> Result<String> {
    let mut a = Attrs::new(el);
    let guid = match a.guid("Guid")? {
        Some(g) if g == "*" || g.is_empty() => {
            return Err(a.err("attribute `Guid` must be a GUID"));
        }
        g => g,
    };
    let ty = match a.choice("Type", &["directory", "file"])? {
        Some("directory") => (0, "Directory"),
        _ => (1, "Filename"),
    };
    let id = id_or_generated(p, &mut a, "cmp", &[guid.as_deref(), Some(ty.1)])?;
    a.finish()?;
    let (row_id, signature) = nested_locator_child(p, el, id)?;
    row(
        p,
        el,
        "CompLocator",
        vec![row_id.into(), Val::opt_str(guid), ty.0.into()],
    );
    Ok(signature)
}

fn ini_file_search(p: &mut Parser, el: &Element) -> Result<String> {
    let mut a = Attrs::new(el);
    let field = a.int_range("Field", 0, i16::MAX as i64)?;
    let key = a.opt("Key").map(str::to_string);
    let name = a.opt("Name").map(str::to_string);
    let section = a.opt("Section").map(str::to_string);
    let short = a.opt("ShortName").map(str::to_string);
    let ty = match a.choice("Type", &["directory", "file", "raw"])? {
        Some("directory") => 0,
        Some("raw") => 2,
        _ => 1,
    };
    let field_text = field.map_or(INTEGER_NOT_SET.to_string(), |f| f.to_string());
    let ty_text = ty.to_string();
    let id = id_or_generated(
        p,
        &mut a,
        "ini",
        &[
            name.as_deref(),
            section.as_deref(),
            key.as_deref(),
            Some(&field_text),
            Some(&ty_text),
        ],
    )?;
    a.finish()?;
    let key = key.ok_or_else(|| a.err("missing required attribute `Key`"))?;
    let name = name.ok_or_else(|| a.err("missing required attribute `Name`"))?;
    let section = section.ok_or_else(|| a.err("missing required attribute `Section`"))?;
    let (row_id, signature) = nested_locator_child(p, el, id)?;
    let file_name = match short {
        Some(s) => format!("{s}|{name}"),
        None => name,
    };
    row(
        p,
        el,
        "IniLocator",
        vec![
            row_id.into(),
            file_name.into(),
            section.into(),
            key.into(),
            Val::opt_int(field),
            ty.into(),
        ],
    );
    Ok(signature)
}

/// `DirectorySearch` under `parent` (empty at the top); returns the signature.
fn directory_search(p: &mut Parser, el: &Element, parent: &str) -> Result<String> {
    let mut a = Attrs::new(el);
    let depth = a.int_range("Depth", 0, i16::MAX as i64)?;
    let path = a.opt("Path").map(str::to_string);
    let assign = a.flag("AssignToProperty")?;
    let depth_text = depth.map_or(INTEGER_NOT_SET.to_string(), |d| d.to_string());
    let id = id_or_generated(p, &mut a, "dir", &[path.as_deref(), Some(&depth_text)])?;
    a.finish()?;
    let mut signature = id.clone();
    let mut seen = false;
    let mut has_file_search = false;
    for child in &el.children {
        if child.ns.is_util() {
            return Err(super::unexpected(el, child));
        }
        if seen {
            return Err(too_many(el, child));
        }
        seen = true;
        match child.name.as_str() {
            "DirectorySearch" => signature = directory_search(p, child, &id)?,
            "DirectorySearchRef" => signature = directory_search_ref(p, child, &id)?,
            "FileSearch" => {
                has_file_search = true;
                signature = file_search(p, child, &id, assign, depth)?;
            }
            "FileSearchRef" => signature = simple_ref(p, child, "Signature")?,
            _ => return Err(super::unexpected(el, child)),
        }
        if assign && !has_file_search {
            return Err(WixError::new(
                child.loc.clone(),
                format!(
                    "{}: `AssignToProperty` allows only a nested FileSearch, not `{}`",
                    el.display_name(),
                    child.display_name()
                ),
            ));
        }
    }
    let assign = assign && seen;
    let row_id = if assign {
        // The FileSearch's DrLocator row is the directory; this row is for the file, and
        // the property gets the directory search's id.
        std::mem::replace(&mut signature, id)
    } else {
        id
    };
    row(
        p,
        el,
        "DrLocator",
        vec![
            row_id.into(),
            opt_nonempty(parent),
            Val::opt_str(path),
            Val::opt_int(depth),
        ],
    );
    Ok(signature)
}

fn opt_nonempty(s: &str) -> Val {
    if s.is_empty() {
        Val::Null
    } else {
        s.into()
    }
}

fn directory_search_ref(p: &mut Parser, el: &Element, parent_sig: &str) -> Result<String> {
    let mut a = Attrs::new(el);
    let id = a.id("Id")?;
    let parent = a.id("Parent")?;
    let path = a.opt("Path").map(str::to_string);
    a.finish()?;
    let parent_sig = match parent {
        Some(par) if !parent_sig.is_empty() => {
            return Err(a.err(format!(
                "`Parent` `{par}` conflicts with the enclosing search `{parent_sig}`: a \
                 DirectorySearchRef can have only one parent"
            )))
        }
        Some(par) => par,
        None => parent_sig.to_string(),
    };
    let id = match id {
        Some(id) => id,
        None if p.v4() => {
            generate_identifier_v4("dsr", &[Some(parent_sig.as_str()), path.as_deref()])
        }
        None => return Err(a.err("missing required attribute `Id`")),
    };
    let mut signature = id.clone();
    let mut seen = false;
    for child in &el.children {
        if child.ns.is_util() {
            return Err(super::unexpected(el, child));
        }
        if seen {
            return Err(too_many(el, child));
        }
        seen = true;
        match child.name.as_str() {
            "DirectorySearch" => signature = directory_search(p, child, &id)?,
            "DirectorySearchRef" => signature = directory_search_ref(p, child, &id)?,
            "FileSearch" => signature = file_search(p, child, &id, false, None)?,
            "FileSearchRef" => signature = simple_ref(p, child, "Signature")?,
            _ => return Err(super::unexpected(el, child)),
        }
    }
    p.sec().reference(
        "DrLocator",
        dr_locator_key(&id, &parent_sig, path.as_deref().unwrap_or("")),
        &el.loc,
    );
    Ok(signature)
}

/// The linker's symbol name of a DrLocator row: WiX identifies it by (Signature_, Parent,
/// Path) together.
pub(crate) fn dr_locator_key(signature: &str, parent: &str, path: &str) -> String {
    format!("{signature}/{parent}/{path}")
}

/// The DrLocator symbol name of a row (see [`dr_locator_key`]).
pub(crate) fn dr_locator_row_key(values: &[Val]) -> Option<String> {
    let s = |i: usize| values.get(i).and_then(Val::as_str).unwrap_or("");
    Some(dr_locator_key(values.first()?.as_str()?, s(1), s(2)))
}

/// A `FileSearch`'s attributes.
struct FileSearchAttrs {
    id: Option<String>,
    name: Option<String>,
    short: Option<String>,
    long_name: Option<String>,
    min_version: Option<String>,
    max_version: Option<String>,
    min_size: Option<i32>,
    max_size: Option<i32>,
    min_date: Option<i32>,
    max_date: Option<i32>,
    languages: Option<String>,
}

impl FileSearchAttrs {
    fn read(p: &Parser, el: &Element) -> Result<Self> {
        let mut a = Attrs::new(el);
        let id = a.id("Id")?;
        let name = a.opt("Name").map(str::to_string);
        let short = a.opt("ShortName").map(str::to_string);
        let long_name = if p.v4() {
            None
        } else {
            a.opt("LongName").map(str::to_string)
        };
        let attrs = FileSearchAttrs {
            id,
            name,
            short,
            long_name,
            min_version: a.opt("MinVersion").map(str::to_string),
            max_version: a.opt("MaxVersion").map(str::to_string),
            min_size: a.int_range("MinSize", 0, i32::MAX as i64)?,
            max_size: a.int_range("MaxSize", 0, i32::MAX as i64)?,
            min_date: date_time(&mut a, "MinDate")?,
            max_date: date_time(&mut a, "MaxDate")?,
            languages: a.opt("Languages").map(str::to_string),
        };
        a.finish()?;
        super::no_children(el)?;
        if attrs.name.is_none() && attrs.short.is_none() && attrs.long_name.is_none() {
            return Err(a.err("missing required attribute `Name`"));
        }
        Ok(attrs)
    }
}

fn file_search(
    p: &mut Parser,
    el: &Element,
    parent_sig: &str,
    parent_directory_search: bool,
    parent_depth: Option<i32>,
) -> Result<String> {
    let attrs = FileSearchAttrs::read(p, el)?;
    let id = file_search_id(
        p,
        el,
        &attrs,
        parent_sig,
        parent_directory_search,
        parent_depth,
    )?;
    let file_name = file_search_name(p, el, &attrs)?;
    signature_row(p, el, &id, file_name, attrs);
    if id != parent_sig {
        let (sig, parent) = if parent_directory_search {
            (parent_sig.to_string(), Val::from(id.clone()))
        } else {
            (id.clone(), opt_nonempty(parent_sig))
        };
        row(
            p,
            el,
            "DrLocator",
            vec![sig.into(), parent, Val::Null, Val::Null],
        );
    }
    Ok(id)
}

/// The Signature's id: authored, the parent search's, or (v4) generated from the name;
/// under a DirectorySearch it must differ from the parent's or equal it as the parent
/// requires.
fn file_search_id(
    p: &Parser,
    el: &Element,
    attrs: &FileSearchAttrs,
    parent_sig: &str,
    parent_directory_search: bool,
    parent_depth: Option<i32>,
) -> Result<String> {
    let err = |m: String| Attrs::new(el).err(m);
    let id = match &attrs.id {
        Some(id) => id.clone(),
        None if !parent_sig.is_empty() => parent_sig.to_string(),
        None if p.v4() => {
            generate_identifier_v4("fs", &[attrs.name.as_deref().or(attrs.short.as_deref())])
        }
        None => return Err(err("missing required attribute `Id`".into())),
    };
    let same = id == parent_sig;
    if parent_directory_search && same {
        return Err(err(format!(
            "the parent DirectorySearch `{parent_sig}` has AssignToProperty=\"yes\", so this \
             FileSearch needs an `Id` of its own"
        )));
    }
    if !parent_directory_search && parent_depth.is_some_and(|d| d > 1) && !same {
        return Err(err(format!(
            "`Id` `{id}` must be omitted or equal the parent search's `{parent_sig}` when the \
             parent DirectorySearch's Depth is greater than 1"
        )));
    }
    Ok(id)
}

/// The Signature's FileName: `short|long`, or the one name given.
fn file_search_name(p: &Parser, el: &Element, attrs: &FileSearchAttrs) -> Result<String> {
    let mut short = attrs.short.clone();
    // A valid 8.3 Name is the short name (CompilerCore.IsValidShortFilename).
    let mut long = attrs.long_name.clone();
    if let Some(n) = attrs.name.clone() {
        let valid_short = if p.v4() {
            crate::shortname::is_valid_short_name(&n, false)
        } else {
            crate::shortname::is_valid_short_name_v3(&n, false)
        };
        if valid_short {
            if short.is_some() {
                return Err(Attrs::new(el).err(format!(
                    "`Name` `{n}` is a short name, so `ShortName` must not be given too"
                )));
            }
            short = Some(n);
        } else {
            long = Some(n);
        }
    }
    Ok(match (short, long) {
        // v4: `FileName = name ?? shortName`.
        (Some(_), Some(l)) if p.v4() => l,
        (Some(s), Some(l)) => format!("{s}|{l}"),
        (Some(s), None) => s,
        (None, Some(l)) => l,
        (None, None) => String::new(),
    })
}

fn signature_row(p: &mut Parser, el: &Element, id: &str, file_name: String, a: FileSearchAttrs) {
    row(
        p,
        el,
        "Signature",
        vec![
            id.into(),
            file_name.into(),
            Val::opt_str(a.min_version),
            Val::opt_str(a.max_version),
            Val::opt_int(a.min_size),
            Val::opt_int(a.max_size),
            Val::opt_int(a.min_date),
            Val::opt_int(a.max_date),
            Val::opt_str(a.languages),
        ],
    );
}

/// WiX's `GetAttributeDateTimeValue`: a date (and time) as the MSI's packed DOS form.
fn date_time(a: &mut Attrs, name: &'static str) -> Result<Option<i32>> {
    let Some(v) = a.opt(name) else {
        return Ok(None);
    };
    let bad = || {
        a.err(format!(
            "attribute `{name}` is `{v}`; expected a date and time like 2024-01-31T12:00:00"
        ))
    };
    let (date, time) = v
        .trim()
        .split_once(['T', ' '])
        .unwrap_or((v.trim(), "0:0:0"));
    let d: Vec<i64> = date.split('-').map(|x| x.parse().unwrap_or(-1)).collect();
    let t: Vec<i64> = time.split(':').map(|x| x.parse().unwrap_or(-1)).collect();
    let ([year, month, day], [hour, minute, second] | [hour, minute, second, ..]) =
        (d.as_slice(), t.as_slice())
    else {
        return Err(bad());
    };
    let ok = (1980..=2107).contains(year)
        && (1..=12).contains(month)
        && (1..=31).contains(day)
        && (0..24).contains(hour)
        && (0..60).contains(minute)
        && (0..60).contains(second);
    if !ok {
        return Err(bad());
    }
    let packed =
        (((year - 1980) * 512 + month * 32 + day) * 65536) + hour * 2048 + minute * 32 + second / 2;
    Ok(Some(packed as i32))
}

fn product_search(p: &mut Parser, el: &Element, property: &str) -> Result<()> {
    let mut a = Attrs::new(el);
    let exclude_languages = a.flag("ExcludeLanguages")?;
    let max_inclusive = a.flag("IncludeMaximum")?;
    let min_inclusive = a.yesno("IncludeMinimum")?.unwrap_or(true);
    let language = a.opt("Language").map(str::to_string);
    let minimum = a.opt("Minimum").map(str::to_string);
    let maximum = a.opt("Maximum").map(str::to_string);
    let code = match a.guid("UpgradeCode")? {
        Some(g) if g != "*" && !g.is_empty() => g,
        _ => return Err(a.err("missing required attribute `UpgradeCode` (a GUID)")),
    };
    a.finish()?;
    super::no_children(el)?;
    if minimum.is_none() && maximum.is_none() {
        return Err(a.err("one of the attributes `Minimum` or `Maximum` is required"));
    }
    // UpgradeSymbol with OnlyDetect (msidbUpgradeAttributesOnlyDetect 2,
    // VersionMinInclusive 256, VersionMaxInclusive 512, LanguagesExclusive 1024).
    let mut attributes = 2;
    if min_inclusive {
        attributes |= 256;
    }
    if max_inclusive {
        attributes |= 512;
    }
    if exclude_languages {
        attributes |= 1024;
    }
    let sec = p.sec();
    sec.secure_properties.push(property.to_string());
    sec.row(
        "Upgrade",
        &el.loc,
        vec![
            code.into(),
            Val::opt_str(minimum),
            Val::opt_str(maximum),
            Val::opt_str(language),
            attributes.into(),
            Val::Null,
            property.into(),
        ],
    );
    Ok(())
}

/// Searches checked end to end against the rows WiX's MsiQueryFixture asserts.
#[cfg(test)]
mod tests {
    use crate::{compile, CompileOptions, Compiled};

    const V3: &str = "http://schemas.microsoft.com/wix/2006/wi";
    const V4: &str = "http://wixtoolset.org/schemas/v4/wxs";

    fn build(arch: &str, source: &str) -> crate::Result<Compiled> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), "a").unwrap();
        let path = dir.path().join("t.wxs");
        std::fs::write(&path, source).unwrap();
        let mut opts = CompileOptions::new(arch);
        opts.current_dir = dir.path().to_path_buf();
        opts.threads = 1;
        compile(&[path], &opts)
    }

    fn v4(props: &str) -> String {
        format!(
            r#"<Wix xmlns="{V4}"><Package Name="T" Manufacturer="M" Version="1.0" UpgradeCode="9D1B8F0C-6E2A-4B57-8C33-0F4E5A6B7C82">
<StandardDirectory Id="ProgramFiles6432Folder"><Directory Id="INSTALLFOLDER" Name="T">
<Component Id="C"><File Source="a.txt"/></Component></Directory></StandardDirectory>
<Feature Id="F"><ComponentRef Id="C"/></Feature>
{props}
</Package></Wix>"#
        )
    }

    fn v3(props: &str) -> String {
        format!(
            r#"<Wix xmlns="{V3}"><Product Id="*" Name="T" Language="1033" Version="1.0.0" Manufacturer="M" UpgradeCode="9D1B8F0C-6E2A-4B57-8C33-0F4E5A6B7C82">
<Package Compressed="yes"/><Media Id="1" Cabinet="t.cab" EmbedCab="yes"/>
<Directory Id="TARGETDIR" Name="SourceDir"><Directory Id="ProgramFilesFolder"><Directory Id="INSTALLDIR" Name="T">
<Component Id="C" Guid="*"><File Id="F" Source="a.txt" KeyPath="yes"/></Component>
</Directory></Directory></Directory>
<Feature Id="Top" Level="1"><ComponentRef Id="C"/></Feature>
{props}
</Product></Wix>"#
        )
    }

    /// WiX's `Query.QueryDatabase` form: `Table:col\tcol…`, nulls empty, sorted.
    fn query(c: &Compiled, tables: &[&str]) -> Vec<String> {
        let mut out = Vec::new();
        for t in tables {
            let mut rows: Vec<String> = crate::test_support::lines(c, t)
                .into_iter()
                .map(|line| format!("{t}:{line}"))
                .collect();
            rows.sort();
            out.extend(rows);
        }
        out
    }

    fn err(r: crate::Result<Compiled>) -> String {
        match r {
            Ok(_) => panic!("expected an error"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn registry_search_rows_and_bitness() {
        let src = v4(
            r#"<Property Id="SAMPLEREGFOUND"><RegistrySearch Id="SampleRegSearch" Root="HKLM" Key="SampleReg" Type="raw"/></Property>"#,
        );
        let c = build("x86", &src).unwrap();
        assert_eq!(
            query(&c, &["AppSearch", "RegLocator"]),
            [
                "AppSearch:SAMPLEREGFOUND\tSampleRegSearch",
                "RegLocator:SampleRegSearch\t2\tSampleReg\t\t2"
            ]
        );
        // AppSearch is scheduled in both install sequences.
        for seq in ["InstallExecuteSequence", "InstallUISequence"] {
            assert!(query(&c, &[seq])
                .iter()
                .any(|r| r.starts_with(&format!("{seq}:AppSearch\t"))));
        }
        let c = build("x64", &src).unwrap();
        assert_eq!(
            query(&c, &["RegLocator"]),
            ["RegLocator:SampleRegSearch\t2\tSampleReg\t\t18"]
        );
        let c = build(
            "x64",
            &src.replace("Type=\"raw\"", "Type=\"raw\" Bitness=\"always32\""),
        )
        .unwrap();
        assert_eq!(
            query(&c, &["RegLocator"]),
            ["RegLocator:SampleRegSearch\t2\tSampleReg\t\t2"]
        );
    }

    #[test]
    fn directory_component_and_ini_file_searches() {
        let c = build(
            "x64",
            &v4(r#"<Property Id="SAMPLEDIRFOUND"><DirectorySearch Id="SampleDirSearch" AssignToProperty="yes" Path="C:\SampleDir"></DirectorySearch></Property>
<Property Id="SAMPLECOMPFOUND"><ComponentSearch Id="SampleCompSearch" Guid="{4D9A0D20-D0CC-40DE-B580-EAD38B985217}"></ComponentSearch></Property>
<Property Id="SAMPLEFILEFOUND"><IniFileSearch Id="SampleIniFileSearch" Name="sample.fil" Section="MySection" Key="MyKey"><FileSearch Id="SampleFileSearch" Name="sample.fil"></FileSearch></IniFileSearch></Property>"#),
        )
        .unwrap();
        assert_eq!(
            query(
                &c,
                &[
                    "AppSearch",
                    "CompLocator",
                    "DrLocator",
                    "IniLocator",
                    "Signature"
                ]
            ),
            [
                "AppSearch:SAMPLECOMPFOUND\tSampleCompSearch",
                "AppSearch:SAMPLEDIRFOUND\tSampleDirSearch",
                "AppSearch:SAMPLEFILEFOUND\tSampleFileSearch",
                "CompLocator:SampleCompSearch\t{4D9A0D20-D0CC-40DE-B580-EAD38B985217}\t1",
                "DrLocator:SampleDirSearch\t\tC:\\SampleDir\t",
                "DrLocator:SampleFileSearch\tSampleIniFileSearch\t\t",
                "IniLocator:SampleFileSearch\tsample.fil\tMySection\tMyKey\t\t1",
                "Signature:SampleFileSearch\tsample.fil\t\t\t\t\t\t\t",
            ]
        );
    }

    #[test]
    fn nested_directory_searches_chain_parents_and_generate_ids() {
        let c = build(
            "x86",
            &v4(r#"<Property Id="P"><RegistrySearch Root="HKLM" Key="K" Type="directory"><DirectorySearch Path="sub" Depth="2"><FileSearch Name="app.exe" MinVersion="1.0"/></DirectorySearch></RegistrySearch></Property>"#),
        )
        .unwrap();
        let rows = query(&c, &["AppSearch", "DrLocator", "RegLocator", "Signature"]);
        let reg = crate::guid::generate_identifier_v4(
            "reg",
            &[
                Some("LocalMachine"),
                Some("K"),
                None,
                Some("Directory"),
                Some("False"),
            ],
        );
        let dir = crate::guid::generate_identifier_v4("dir", &[Some("sub"), Some("2")]);
        assert_eq!(
            rows,
            [
                format!("AppSearch:P\t{dir}"),
                format!("DrLocator:{dir}\t{reg}\tsub\t2"),
                format!("RegLocator:{reg}\t2\tK\t\t0"),
                format!("Signature:{dir}\tapp.exe\t1.0\t\t\t\t\t\t"),
            ]
        );
    }

    #[test]
    fn v3_searches_need_ids_and_take_win64() {
        let c = build(
            "x86",
            &v3(r#"<Property Id="P"><RegistrySearch Id="R" Root="HKCU" Key="K" Name="n" Type="raw" Win64="yes"/></Property>"#),
        )
        .unwrap();
        assert_eq!(query(&c, &["RegLocator"]), ["RegLocator:R\t1\tK\tn\t18"]);
        let e = err(build(
            "x86",
            &v3(r#"<Property Id="P"><RegistrySearch Root="HKCU" Key="K" Type="raw"/></Property>"#),
        ));
        assert!(e.contains("t.wxs:7:") && e.contains("`Id`"), "{e}");
    }

    #[test]
    fn bad_searches_are_located_errors() {
        let e = err(build(
            "x86",
            &v4(r#"<Property Id="P"><RegistrySearchRef Id="Nope"/></Property>"#),
        ));
        assert!(
            e.contains("t.wxs:5:") && e.contains("RegLocator `Nope`"),
            "{e}"
        );
        let e = err(build(
            "x86",
            &v4(
                r#"<Property Id="P"><RegistrySearch Root="HKLM" Key="K" Type="raw" Color="red"/></Property>"#,
            ),
        ));
        assert!(e.contains("t.wxs:5:") && e.contains("`Color`"), "{e}");
        let e = err(build(
            "x86",
            &v4(r#"<Property Id="P"><RegistrySearch Root="HKMU" Key="K" Type="raw"/></Property>"#),
        ));
        assert!(e.contains("HKMU"), "{e}");
        let e = err(build(
            "x86",
            &v4(
                r#"<Property Id="lower"><RegistrySearch Root="HKLM" Key="K" Type="raw"/></Property>"#,
            ),
        ));
        assert!(e.contains("upper case"), "{e}");
        // A reference to a search defined in a fragment pulls the fragment in.
        let src = v4(r#"<Property Id="P"><RegistrySearchRef Id="R"/></Property>"#).replace(
            "</Wix>",
            r#"<Fragment><Property Id="Q"><RegistrySearch Id="R" Root="HKLM" Key="K" Type="raw"/></Property></Fragment></Wix>"#,
        );
        let c = build("x86", &src).unwrap();
        assert_eq!(
            query(&c, &["AppSearch"]),
            ["AppSearch:P\tR", "AppSearch:Q\tR"]
        );
    }

    #[test]
    fn product_search_is_a_detect_only_upgrade_row() {
        let c = build(
            "x86",
            &v4(r#"<Property Id="OLD"><ProductSearch UpgradeCode="{1B2C3D4E-0000-4000-8000-000000000001}" Minimum="1.0" Maximum="2.0"/></Property>"#),
        )
        .unwrap();
        assert!(query(&c, &["Upgrade"]).contains(
            &"Upgrade:{1B2C3D4E-0000-4000-8000-000000000001}\t1.0\t2.0\t\t258\t\tOLD".to_string()
        ));
    }
}
