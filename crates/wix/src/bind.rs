//! Bind-time variables: `!(loc.X)`, `!(wix.X)` / `!(wix.X=default)` and `!(bind.…)`, and
//! the final guard that no such reference reaches the MSI unresolved.
//!
//! Semantics follow WiX v4+ `WixToolset.Core/VariableResolver.cs` (`ResolveVariables`:
//! `!!(` escapes a reference, resolved values are scanned again, loc variables take no
//! inline default), `Common.cs` (`TryParseWixVariable`: only the `loc`, `wix` and `bind`
//! namespaces are references) and `Bind/ResolveDelayedFieldsCommand.cs` with
//! `Bind/BindDatabaseCommand.cs` (`bind.FileVersion.F`, `bind.FileLanguage.F`,
//! `bind.property.P`). `!(loc.X)` and `!(wix.X)` are resolved on the element tree, before
//! any element is interpreted, so every attribute sees final values (Package Language and
//! Codepage included); `!(bind.X)` is resolved on the finished tables.

use std::cell::RefCell;
use std::collections::BTreeMap;

use crate::error::{Location, Result, WixError};
use crate::lower::Database;
use crate::model::Val;
use crate::xml::Element;

/// Resolutions in one value before we assume a self-referencing definition.
const MAX_RESOLUTIONS: usize = 1000;

/// One `!(ns.name[.scope][=default])` reference found in a value.
#[derive(Debug, PartialEq, Eq)]
struct Parsed<'a> {
    index: usize,
    len: usize,
    ns: &'a str,
    name: &'a str,
    scope: Option<&'a str>,
    default: Option<&'a str>,
}

/// WiX's `Common.IsIdentifier`.
fn is_identifier(s: &str) -> bool {
    let mut c = s.chars();
    matches!(c.next(), Some(f) if f.is_ascii_alphabetic() || f == '_')
        && c.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
}

/// WiX's `TryParseWixVariable`: the first `!(` from `start`, if it opens a reference.
fn parse(value: &str, start: usize) -> Option<Parsed<'_>> {
    let at = start + value.get(start..)?.find("!(")?;
    let first_dot = at + 1 + value[at + 1..].find('.')?;
    let ns = &value[at + 2..first_dot];
    if !matches!(ns, "loc" | "bind" | "wix") {
        return None;
    }
    let close = first_dot + value[first_dot..].find(')')?;
    let inner = &value[first_dot + 1..close];
    let (body, default) = match inner.find('=') {
        Some(i) => (&inner[..i], Some(&inner[i + 1..])),
        None => (inner, None),
    };
    let (name, scope) = match body.find('.') {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    if scope.is_some_and(|s| !is_identifier(s)) || !is_identifier(name) {
        return None;
    }
    Some(Parsed {
        index: at,
        len: close - at + 1,
        ns,
        name,
        scope,
        default,
    })
}

/// The values `!(loc.X)` and `!(wix.X)` resolve to.
#[derive(Debug, Default)]
pub struct Variables {
    /// Localization strings of the selected cultures.
    pub loc: BTreeMap<String, String>,
    /// WixVariable values (and `-bindvariable` ones).
    pub wix: BTreeMap<String, String>,
    /// The sources use WiX's dialog library (WixUI_*), whose extension also supplies the
    /// strings its dialogs and the authors' own dialogs beside them name (`!(loc.WixUINext)`,
    /// `!(loc.CustomizeDlgBannerBitmap)`, …). svcpack does not carry those strings: a
    /// `!(loc.X)` no .wxl defines is then taken to be one of them, and reported as needing
    /// the UI extension — but only if nothing earlier in the sources needs an extension
    /// first, so the reference is left in place and the error kept in `wixui_pending`.
    pub wixui: bool,
    wixui_pending: RefCell<Option<WixError>>,
}

/// Whether the sources reference one of WiX's dialog sets (`UIRef Id="WixUI_…"`,
/// `ui:WixUI`), whose extension brings its own localization strings.
pub fn uses_wix_dialog_library(roots: &[Element]) -> bool {
    fn walk(el: &Element) -> bool {
        let wixui_ref = el.is("UIRef") && el.attr("Id").is_some_and(|id| id.starts_with("WixUI_"));
        wixui_ref || el.name == "WixUI" || el.children.iter().any(walk)
    }
    roots.iter().any(walk)
}

impl Variables {
    /// Variables with the selected localization strings; `wixui`: see [`Variables::wixui`].
    pub fn new(loc: BTreeMap<String, String>, wixui: bool) -> Self {
        Variables {
            loc,
            wixui,
            ..Default::default()
        }
    }

    /// Resolves `!(loc.X)` and `!(wix.X)` in `value`; `!(bind.…)` and escaped `!!(…)` are
    /// left for [`finish`]. Unknown variables are errors at `loc`.
    pub fn resolve(&self, value: &str, loc: &Location) -> Result<String> {
        if !value.contains("!(") {
            return Ok(value.to_string());
        }
        let mut value = value.to_string();
        let mut start = 0;
        let mut count = 0;
        while let Some(p) = parse(&value, start) {
            let (index, len) = (p.index, p.len);
            let text = value[index..index + len].to_string();
            if index > 0 && value.as_bytes()[index - 1] == b'!' {
                start = index + len;
                continue;
            }
            let resolved = match p.ns {
                "loc" => {
                    if let Some(d) = p.default {
                        return Err(WixError::new(
                            loc.clone(),
                            format!(
                                "the localization variable `!(loc.{})` cannot have an inline \
                                 default (`={d}`); define it in a .wxl file",
                                p.name
                            ),
                        ));
                    }
                    match self.loc.get(p.name) {
                        Some(v) => v.clone(),
                        None if self.wixui => {
                            let mut pending = self.wixui_pending.borrow_mut();
                            if pending.is_none() {
                                *pending = Some(WixError::new(
                                    loc.clone(),
                                    format!(
                                        "`!(loc.{})` needs WixToolset.UI.wixext (WixUI's \
                                         localization strings), which svcpack does not support",
                                        p.name
                                    ),
                                ));
                            }
                            start = index + len;
                            continue;
                        }
                        None => {
                            return Err(WixError::new(
                                loc.clone(),
                                format!(
                                    "the localization variable `!(loc.{})` is not defined: no \
                                     selected .wxl file (-loc, -culture) has a String with Id \
                                     `{}`",
                                    p.name, p.name
                                ),
                            ))
                        }
                    }
                }
                "wix" => match (self.wix.get(p.name), p.default) {
                    (Some(v), _) => v.clone(),
                    (None, Some(d)) => d.to_string(),
                    (None, None) => {
                        return Err(WixError::new(
                            loc.clone(),
                            format!(
                                "the WiX variable `!(wix.{})` is not defined: add <WixVariable \
                                 Id=\"{}\" Value=\"…\"/>, pass -bindvariable {}=VALUE, or give \
                                 a default as `!(wix.{}=VALUE)`",
                                p.name, p.name, p.name, p.name
                            ),
                        ))
                    }
                },
                _ => {
                    start = index + len;
                    continue;
                }
            };
            count += 1;
            if count > MAX_RESOLUTIONS {
                return Err(WixError::new(
                    loc.clone(),
                    format!("`{text}` refers to itself"),
                ));
            }
            value.replace_range(index..index + len, &resolved);
            start = index;
        }
        Ok(value)
    }

    /// The error for the first WixUI string the sources named that no .wxl defines, to be
    /// reported unless `other` — the build's own outcome with those references left
    /// unresolved — failed at an earlier place in `sources` (an extension needed before).
    pub fn wixui_outcome<T>(&self, other: Result<T>, sources: &[std::path::PathBuf]) -> Result<T> {
        let Some(pending) = self.wixui_pending.borrow_mut().take() else {
            return other;
        };
        let order = |l: &Location| {
            let file = sources.iter().position(|s| *s == l.file);
            (file.unwrap_or(usize::MAX), l.line)
        };
        match other {
            Err(e) if order(&e.location) < order(&pending.location) => Err(e),
            _ => Err(pending),
        }
    }

    /// Resolves every attribute value and text of `el` and its descendants.
    pub fn resolve_tree(&self, el: &mut Element) -> Result<()> {
        for a in &mut el.attrs {
            if a.value.contains("!(") {
                a.value = self.resolve(&a.value, &el.loc)?;
            }
        }
        if el.text.contains("!(") {
            el.text = self.resolve(&el.text, &el.loc)?;
        }
        for c in &mut el.children {
            self.resolve_tree(c)?;
        }
        Ok(())
    }
}

/// Collects `WixVariable` definitions (any depth; WiX allows them in Product, Package,
/// Fragment): a non-overridable value beats an overridable one; two non-overridable
/// definitions of one id are an error. `fixed` (command-line) values win over all.
pub fn collect_wix_variables(
    roots: &[Element],
    fixed: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>> {
    let mut found: BTreeMap<String, (String, bool, Location)> = BTreeMap::new();
    fn walk(el: &Element, found: &mut BTreeMap<String, (String, bool, Location)>) -> Result<()> {
        if el.is("WixVariable") {
            if let Some(id) = el.attr("Id") {
                let value = el.attr("Value").unwrap_or_default().to_string();
                let overridable = matches!(el.attr("Overridable"), Some("yes") | Some("true"));
                match found.get(id) {
                    Some((_, false, first)) if !overridable => {
                        return Err(WixError::new(
                            el.loc.clone(),
                            format!(
                                "duplicate WixVariable `{id}`; it is already defined at {first}"
                            ),
                        ))
                    }
                    Some((_, false, _)) => {}
                    _ => {
                        found.insert(id.to_string(), (value, overridable, el.loc.clone()));
                    }
                }
            }
        }
        for c in &el.children {
            walk(c, found)?;
        }
        Ok(())
    }
    for r in roots {
        walk(r, &mut found)?;
    }
    let mut out: BTreeMap<String, String> =
        found.into_iter().map(|(k, (v, _, _))| (k, v)).collect();
    out.extend(fixed.iter().map(|(k, v)| (k.clone(), v.clone())));
    Ok(out)
}

/// Resolves `!(bind.…)` in every string cell of the finished tables, unescapes `!!(`, and
/// fails on any `!(loc.…)`, `!(wix.…)` or `!(bind.…)` that would otherwise be written
/// literally (naming the table, column, row and source location).
pub fn finish(db: &mut Database) -> Result<()> {
    // File.Version / File.Language, and the Property table, as WiX binds them.
    let mut file_info: BTreeMap<String, (Option<String>, Option<String>)> = BTreeMap::new();
    if let Some(rows) = db.tables.get("File") {
        for (v, _) in rows {
            if let Some(id) = v.first().and_then(Val::as_str) {
                let s = |i: usize| v.get(i).and_then(Val::as_str).map(str::to_string);
                file_info.insert(id.to_string(), (s(4), s(5)));
            }
        }
    }
    let mut properties: BTreeMap<String, String> = BTreeMap::new();
    if let Some(rows) = db.tables.get("Property") {
        for (v, _) in rows {
            if let (Some(k), Some(val)) = (
                v.first().and_then(Val::as_str),
                v.get(1).and_then(Val::as_str),
            ) {
                properties.insert(k.to_string(), val.to_string());
            }
        }
    }
    let names: Vec<String> = db.tables.keys().cloned().collect();
    for table in names {
        let columns: Vec<String> = crate::tables::schema(&table)
            .map(|cols| cols.iter().map(|c| c.name().to_string()).collect())
            .unwrap_or_default();
        let rows = db.tables.get_mut(&table).expect("table listed");
        for (values, loc) in rows.iter_mut() {
            let key = values.first().map(Val::text).unwrap_or_default();
            let parent = (table == "Directory")
                .then(|| values.get(1).and_then(Val::as_str).map(str::to_string))
                .flatten();
            for (ci, cell) in values.iter_mut().enumerate() {
                let Val::Str(s) = cell else { continue };
                if !s.contains("!(") {
                    continue;
                }
                let column = columns.get(ci).cloned().unwrap_or_else(|| ci.to_string());
                let at = |msg: String| {
                    WixError::new(
                        loc.clone(),
                        format!("{table}.{column} of row `{key}`: {msg}"),
                    )
                };
                let bound = bind_value(s, &file_info, &properties).map_err(at)?;
                *s = if table == "Directory" && column == "DefaultDir" {
                    rehash_directory_names(s, &bound, parent.as_deref())
                } else {
                    bound
                };
            }
        }
    }
    Ok(())
}

/// WiX v4+ makes up a directory's short name in the binder, from the name with its bind
/// variables resolved (CreateWindowsInstallerDataFromIRCommand.CreateShortName); the short
/// names generated while the name still read `!(bind.…)` are made again from the bound
/// name. A short name is taken to be generated only when it is exactly what WiX v4 makes of
/// the unbound name (an authored ShortName, or a v3 one, is left alone).
fn rehash_directory_names(unbound: &str, bound: &str, parent: Option<&str>) -> String {
    use crate::shortname::{is_valid_short_name, short_name, Generator, NameKind};
    let (before, after): (Vec<&str>, Vec<&str>) =
        (unbound.split(':').collect(), bound.split(':').collect());
    if before.len() != after.len() {
        return bound.to_string();
    }
    let parts: Vec<String> = before
        .iter()
        .zip(&after)
        .map(|(b, a)| {
            let (Some((short, long)), Some((_, bound_long))) =
                (b.split_once('|'), a.split_once('|'))
            else {
                return a.to_string();
            };
            if !long.contains("!(") {
                return a.to_string();
            }
            for salt in [[Some("Directory"), parent], [Some("Directory"), None]] {
                if short_name(Generator::V4, long, NameKind::Directory, &salt) == short {
                    if is_valid_short_name(bound_long, false) {
                        return bound_long.to_string();
                    }
                    let short = short_name(Generator::V4, bound_long, NameKind::Directory, &salt);
                    return format!("{short}|{bound_long}");
                }
            }
            a.to_string()
        })
        .collect();
    parts.join(":")
}

fn bind_value(
    value: &str,
    files: &BTreeMap<String, (Option<String>, Option<String>)>,
    properties: &BTreeMap<String, String>,
) -> std::result::Result<String, String> {
    let mut value = value.to_string();
    let mut start = 0;
    let mut count = 0;
    while let Some(p) = parse(&value, start) {
        let (index, len) = (p.index, p.len);
        if index > 0 && value.as_bytes()[index - 1] == b'!' {
            value.remove(index - 1);
            start = index - 1 + len;
            continue;
        }
        let text = value[index..index + len].to_string();
        let resolved = match (p.ns, p.name, p.scope) {
            ("bind", kind, Some(id))
                if kind.eq_ignore_ascii_case("FileVersion")
                    || kind.eq_ignore_ascii_case("FileLanguage") =>
            {
                let Some((version, language)) = files.get(id) else {
                    return Err(format!(
                        "`{text}` names File `{id}`, which is not in the package"
                    ));
                };
                let v = if kind.eq_ignore_ascii_case("FileVersion") {
                    version
                } else {
                    language
                };
                match (v, p.default) {
                    (Some(v), _) => v.clone(),
                    (None, Some(d)) => d.to_string(),
                    // WiX binds an unversioned file's version/language as empty.
                    (None, None) => String::new(),
                }
            }
            ("bind", kind, Some(id)) if kind.eq_ignore_ascii_case("property") => {
                match (properties.get(id), p.default) {
                    (Some(v), _) => v.clone(),
                    (None, Some(d)) => d.to_string(),
                    (None, None) => {
                        return Err(format!("`{text}`: the Property table has no `{id}`"))
                    }
                }
            }
            ("bind", _, _) => {
                return Err(format!(
                    "`{text}` is a bind variable svcpack's compiler does not support (supported: \
                     bind.FileVersion.FILE, bind.FileLanguage.FILE, bind.property.NAME)"
                ))
            }
            _ => return Err(format!("`{text}` was not resolved")),
        };
        count += 1;
        if count > MAX_RESOLUTIONS {
            return Err(format!("`{text}` refers to itself"));
        }
        value.replace_range(index..index + len, &resolved);
        start = index;
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsing_follows_wix() {
        let p = parse("a !(wix.X=d e) b", 0).unwrap();
        assert_eq!(
            (p.index, p.len, p.ns, p.name, p.default),
            (2, 12, "wix", "X", Some("d e"))
        );
        let p = parse("!(bind.FileVersion.App.exe)", 0).unwrap();
        assert_eq!((p.name, p.scope), ("FileVersion", Some("App.exe")));
        assert!(parse("!(env.X)", 0).is_none());
        assert!(parse("!(loc.1x)", 0).is_none());
        assert!(parse("NOT (A)", 0).is_none());
    }

    #[test]
    fn loc_and_wix_resolve_with_escapes_defaults_and_errors() {
        let mut v = Variables::default();
        v.loc.insert("A".into(), "x !(wix.B)".into());
        v.wix.insert("B".into(), "y".into());
        let l = Location::new("t.wxs", 3);
        assert_eq!(v.resolve("[!(loc.A)]", &l).unwrap(), "[x y]");
        assert_eq!(v.resolve("!(wix.C=dflt)", &l).unwrap(), "dflt");
        assert_eq!(v.resolve("!!(loc.Z)", &l).unwrap(), "!!(loc.Z)");
        assert_eq!(
            v.resolve("!(bind.property.P)", &l).unwrap(),
            "!(bind.property.P)"
        );
        let e = v.resolve("!(loc.Missing)", &l).unwrap_err().to_string();
        assert!(
            e.starts_with("t.wxs:3:") && e.contains("loc.Missing"),
            "{e}"
        );
        assert!(v.resolve("!(loc.A=d)", &l).is_err());
        assert!(v.resolve("!(wix.Nope)", &l).is_err());
        v.wix.insert("S".into(), "!(wix.S)".into());
        assert!(v
            .resolve("!(wix.S)", &l)
            .unwrap_err()
            .to_string()
            .contains("itself"));
    }

    #[test]
    fn bind_values() {
        let mut files = BTreeMap::new();
        files.insert(
            "F".to_string(),
            (Some("1.2.3.4".to_string()), Some("1033".to_string())),
        );
        files.insert("T".to_string(), (None, None));
        let mut props = BTreeMap::new();
        props.insert("ProductVersion".to_string(), "2.0".to_string());
        let b = |s: &str| bind_value(s, &files, &props);
        assert_eq!(b("v!(bind.FileVersion.F)").unwrap(), "v1.2.3.4");
        assert_eq!(b("!(bind.FileLanguage.F)").unwrap(), "1033");
        assert_eq!(b("[!(bind.FileVersion.T)]").unwrap(), "[]");
        assert_eq!(b("!(bind.property.ProductVersion)").unwrap(), "2.0");
        assert_eq!(b("!!(bind.property.X)").unwrap(), "!(bind.property.X)");
        assert!(b("!(bind.FileVersion.Nope)").is_err());
        assert!(b("!(bind.assemblyVersion.F)")
            .unwrap_err()
            .contains("not support"));
        assert!(b("!(loc.X)").is_err());
    }

    #[test]
    fn generated_directory_short_names_follow_the_bound_name() {
        use crate::shortname::{short_name, Generator, NameKind};
        let unbound_long = "App !(bind.property.ProductVersion)";
        let salt = [Some("Directory"), Some("INSTALLFOLDER")];
        let generated = short_name(Generator::V4, unbound_long, NameKind::Directory, &salt);
        let unbound = format!("{generated}|{unbound_long}");
        let bound_long = "App 2.0.1";
        let bound = format!("{generated}|{bound_long}");
        let expected = short_name(Generator::V4, bound_long, NameKind::Directory, &salt);
        assert_ne!(expected, generated);
        assert_eq!(
            rehash_directory_names(&unbound, &bound, Some("INSTALLFOLDER")),
            format!("{expected}|{bound_long}")
        );
        // A bound name that is itself a legal short name needs no pair.
        let unbound = format!(
            "{}|!(bind.property.V)",
            short_name(
                Generator::V4,
                "!(bind.property.V)",
                NameKind::Directory,
                &salt
            )
        );
        assert_eq!(
            rehash_directory_names(&unbound, "X|APP", Some("INSTALLFOLDER")),
            "APP"
        );
        // An authored short name is kept.
        assert_eq!(
            rehash_directory_names("MYAPP|!(bind.property.V)", "MYAPP|App 2", Some("P")),
            "MYAPP|App 2"
        );
    }
}
