//! Registry authoring in a component: RegistryKey (nested keys and values, permissions),
//! RegistryValue, RemoveRegistryKey and RemoveRegistryValue, with WiX's generated ids.

use super::component::{permission_ex, Comp, KeyCandidate};
use super::{no_children, unexpected, Attrs, Parser};
use crate::error::{Location, Result, WixError};
use crate::model::{KeyPath, Val};
use crate::xml::Element;

/// Registry roots as the MSI Registry table encodes them.
/// One row of the Registry table, written for `component`.
pub(super) struct RegistryRow<'a> {
    pub id: String,
    pub root: i32,
    pub key: String,
    pub name: Option<&'a str>,
    pub value: Option<String>,
}

impl RegistryRow<'_> {
    pub(super) fn add(self, p: &mut Parser, loc: &Location, component: &str) {
        p.sec().row(
            "Registry",
            loc,
            vec![
                self.id.into(),
                self.root.into(),
                self.key.into(),
                Val::opt_str(self.name),
                Val::opt_str(self.value),
                component.into(),
            ],
        );
    }
}

pub(super) fn registry_root(v: &str, a: &Attrs) -> Result<i32> {
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
pub(super) fn registry_id(
    p: &Parser,
    comp: &Comp,
    root: i32,
    key: &str,
    name: Option<&str>,
) -> String {
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
pub(super) fn join_key(parent: Option<&str>, key: Option<&str>) -> Option<String> {
    match (parent, key) {
        (Some(p), Some(k)) if p.ends_with('\\') => Some(format!("{p}{k}")),
        (Some(p), Some(k)) => Some(format!("{p}\\{k}")),
        (Some(p), None) => Some(p.to_string()),
        (None, Some(k)) => Some(k.to_string()),
        (None, None) => None,
    }
}

pub(super) fn registry_key(
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
        RegistryRow {
            id: rid.clone(),
            root,
            key: key.clone(),
            name: Some(m),
            value: None,
        }
        .add(p, &el.loc, &comp.id);
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

pub(super) fn permissions(
    p: &mut Parser,
    el: &Element,
    table: &'static str,
    id: &str,
) -> Result<()> {
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

/// A `RegistryValue`'s attributes, with the root and key its parent RegistryKey gives.
struct ValueAttrs<'e> {
    id: Option<String>,
    root: i32,
    key: String,
    name: Option<String>,
    value: Option<String>,
    ty: &'e str,
    action: &'e str,
    key_path: Option<bool>,
}

impl<'e> ValueAttrs<'e> {
    fn read(el: &'e Element, proot: Option<i32>, pkey: Option<&str>) -> Result<Self> {
        let mut a = Attrs::new(el);
        let id = a.id("Id")?;
        let root = match a.opt("Root") {
            Some(r) => registry_root(r, &a)?,
            None => proot.ok_or_else(|| a.err("missing required attribute `Root`"))?,
        };
        let key = join_key(pkey, a.opt("Key"))
            .ok_or_else(|| a.err("missing required attribute `Key`"))?;
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
        Ok(ValueAttrs {
            id,
            root,
            key,
            name,
            value,
            ty,
            action,
            key_path,
        })
    }
}

pub(super) fn registry_value(
    p: &mut Parser,
    el: &Element,
    comp: &Comp,
    proot: Option<i32>,
    pkey: Option<&str>,
) -> Result<KeyCandidate> {
    let attrs = ValueAttrs::read(el, proot, pkey)?;
    let multi = multi_strings(p, el)?;
    let encoded = encoded_value(el, &attrs, multi)?;
    if attrs.ty != "multiString" && attrs.action != "write" {
        return Err(Attrs::new(el).err("Action=\"append\"/\"prepend\" needs Type=\"multiString\""));
    }
    let ValueAttrs {
        id,
        root,
        key,
        name,
        key_path,
        ..
    } = attrs;
    let rid = id.unwrap_or_else(|| registry_id(p, comp, root, &key, name.as_deref()));
    RegistryRow {
        id: rid.clone(),
        root,
        key,
        name: name.as_deref(),
        value: Some(encoded),
    }
    .add(p, &el.loc, &comp.id);
    permissions(p, el, "Registry", &rid)?;
    Ok(match key_path {
        Some(true) => KeyCandidate::Explicit(KeyPath::Registry(rid)),
        Some(false) => KeyCandidate::None,
        None => KeyCandidate::Possible(KeyPath::Registry(rid)),
    })
}

/// The values of a `RegistryValue`'s MultiStringValue children, in order.
fn multi_strings(p: &Parser, el: &Element) -> Result<Vec<String>> {
    let mut multi: Vec<String> = Vec::new();
    for child in &el.children {
        match (child.ns.is_util(), child.name.as_str()) {
            // WiX v4 also spells it `MultiString`.
            (false, "MultiStringValue") => multi.push(multi_string_value(child)?),
            (false, "MultiString") if p.v4() => multi.push(multi_string_value(child)?),
            (false, "PermissionEx") => {}
            _ => return Err(unexpected(el, child)),
        }
    }
    Ok(multi)
}

fn multi_string_value(child: &Element) -> Result<String> {
    let mut ca = Attrs::new(child);
    let v = ca.opt("Value").map(str::to_string);
    ca.finish()?;
    Ok(v.unwrap_or_else(|| child.text.clone()))
}

/// The Registry row's Value column: the value prefixed as its Type asks.
fn encoded_value(el: &Element, attrs: &ValueAttrs, multi: Vec<String>) -> Result<String> {
    let err = |m: &str| Attrs::new(el).err(m);
    if attrs.ty != "multiString" && !multi.is_empty() {
        return Err(err("MultiStringValue children need Type=\"multiString\""));
    }
    let value = attrs.value.clone();
    Ok(match attrs.ty {
        "integer" => {
            let v = value.ok_or_else(|| err("Type=\"integer\" needs a `Value`"))?;
            format!("#{v}")
        }
        "binary" => format!("#x{}", value.unwrap_or_default()),
        "expandable" => format!("#%{}", value.unwrap_or_default()),
        "multiString" => multi_string(attrs.action, value, multi),
        _ => {
            let v = value.unwrap_or_default();
            // A literal string starting with '#' is escaped by doubling it.
            if v.starts_with('#') {
                format!("#{v}")
            } else {
                v
            }
        }
    })
}

fn multi_string(action: &str, value: Option<String>, multi: Vec<String>) -> String {
    let mut parts = Vec::new();
    if let Some(v) = value {
        parts.push(v);
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

pub(super) fn remove_registry_key(
    p: &mut Parser,
    el: &Element,
    comp: &Comp,
) -> Result<KeyCandidate> {
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
        RegistryRow {
            id: rid,
            root,
            key,
            name: Some("-"),
            value: None,
        }
        .add(p, &el.loc, &comp.id);
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

pub(super) fn remove_registry_value(
    p: &mut Parser,
    el: &Element,
    comp: &Comp,
) -> Result<KeyCandidate> {
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
