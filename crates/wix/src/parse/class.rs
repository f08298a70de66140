//! COM classes and shell associations: `Class`, `ProgId`, `Extension`, `Verb` and `MIME`
//! under a `Component` (or, for `Class`, its server `File`).
//!
//! Advertised registrations become Class / ProgId / Extension / Verb / MIME rows, which
//! Windows Installer registers itself; non-advertised ones become the HKCR Registry rows WiX
//! writes (with its generated `reg…` ids, see [`super::com::registry`]). Semantics follow
//! WiX: Compiler.cs `ParseClassElement`, `ParseExtensionElement`, `ParseMIMEElement`,
//! Compiler_Package.cs `ParseProgIdElement`, `ParseVerbElement`. An advertised Class or
//! Extension names its component's primary feature, resolved after linking by
//! [`crate::advertise::resolve_primary_features`].

use super::com::registry;
use super::{normalise_guid, unexpected, Attrs, Parser};
use crate::error::{Result, WixError};
use crate::model::{Val, ADVERTISED_TARGET};
use crate::xml::Element;

/// An `Advertise` attribute as WiX reads it: yes, no, or not set (inherit).
type Advertise = Option<bool>;

/// A child's `Advertise` must agree with its parent's (CoreErrors.AdvertiseStateMustMatch).
fn merge_advertise(a: &Attrs, parent: Advertise, own: Advertise) -> Result<Advertise> {
    match (parent, own) {
        (Some(p), Some(o)) if p != o => Err(a.err(format!(
            "`Advertise` is {} but the enclosing element's is {}; they must match",
            yes_no(o),
            yes_no(p)
        ))),
        (p, None) => Ok(p),
        (_, o) => Ok(o),
    }
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

fn guid(a: &mut Attrs, name: &'static str) -> Result<Option<String>> {
    match a.opt(name) {
        None => Ok(None),
        Some(v) => normalise_guid(v)
            .map(Some)
            .ok_or_else(|| a.err(format!("`{name}` value `{v}` is not a GUID"))),
    }
}

/// `Class` under a `Component` (`file_server` None) or a `File` (the file is the server).
pub(crate) fn class(
    p: &mut Parser,
    el: &Element,
    comp: &str,
    file_server: Option<&str>,
) -> Result<()> {
    let mut a = Attrs::new(el);
    let class_id = guid(&mut a, "Id")?.ok_or_else(|| a.err("missing required attribute `Id`"))?;
    let class_advertise = a.yesno("Advertise")?;
    let app_id = guid(&mut a, "AppId")?;
    let argument = a.opt("Argument").map(str::to_string);
    let contexts: Vec<String> = a
        .opt("Context")
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_string)
        .collect();
    let control = a.flag("Control")?;
    let mut description = a.opt("Description").map(str::to_string);
    let handler = a.opt("Handler").map(str::to_string);
    let icon = a.id("Icon")?;
    let icon_index = a.int_range("IconIndex", i16::MIN as i64 + 1, i16::MAX as i64)?;
    let relative_path = a.yesno("RelativePath")?;
    let insertable = a
        .yesno("Insertable")?
        .map(|b| if b { "Insertable" } else { "NotInsertable" });
    let programmable = a.flag("Programmable")?;
    let safe_for_init = a.flag("SafeForInitializing")?;
    let safe_for_scripting = a.flag("SafeForScripting")?;
    let foreign_server = a.opt("ForeignServer").map(str::to_string);
    let local_server = a.opt("Server").map(str::to_string);
    let short_path = a.flag("ShortPath")?;
    let threading_model = a.opt("ThreadingModel").map(str::to_string);
    let version = a.opt("Version").map(str::to_string);
    a.finish()?;
    for (i, c) in contexts.iter().enumerate() {
        if contexts[..i].contains(c) {
            return Err(a.err(format!("`Context` lists `{c}` twice")));
        }
    }
    let advertise = class_advertise.unwrap_or(false);
    if advertise && contexts.is_empty() {
        return Err(a.err("`Context` is required when Advertise=\"yes\""));
    }
    if let Some(f) = &local_server {
        p.sec().reference("File", f.clone(), &el.loc);
    }
    let mut default_prog_id = None;
    let mut first = true;
    for child in &el.children {
        match (child.ns.is_util(), child.name.as_str()) {
            (false, "ProgId") => {
                let mut found_extension = false;
                let id = prog_id(
                    p,
                    child,
                    comp,
                    Some(advertise),
                    Some(&class_id),
                    description.clone(),
                    None,
                    &mut found_extension,
                    first,
                )?;
                default_prog_id.get_or_insert(id);
                first = false;
            }
            (false, "FileTypeMask" | "Interface") => {
                return Err(super::unsupported(
                    child,
                    "file type masks and interfaces of a Class are not supported",
                ))
            }
            _ => return Err(unexpected(el, child)),
        }
    }
    let clsid_key = format!(r"CLSID\{class_id}");
    if advertise {
        if file_server.is_some() || local_server.is_some() {
            return Err(a.err("`Server` (or a File parent) cannot be used with Advertise=\"yes\""));
        }
        if foreign_server.is_some() {
            return Err(a.err("`ForeignServer` cannot be used with Advertise=\"yes\""));
        }
        if let Some(i) = &icon {
            p.sec().reference("Icon", i.clone(), &el.loc);
        }
        if let Some(id) = &app_id {
            p.sec().reference("AppId", id.clone(), &el.loc);
        }
        for context in &contexts {
            p.sec().row(
                "Class",
                &el.loc,
                vec![
                    class_id.clone().into(),
                    context.clone().into(),
                    comp.into(),
                    Val::opt_str(default_prog_id.clone()),
                    Val::opt_str(description.clone()),
                    Val::opt_str(app_id.clone()),
                    Val::Null,
                    Val::opt_str(icon.clone()),
                    Val::opt_int(icon_index),
                    Val::opt_str(handler.clone()),
                    Val::opt_str(argument.clone()),
                    ADVERTISED_TARGET.into(),
                    if relative_path == Some(true) {
                        Val::Int(1)
                    } else {
                        Val::Null
                    },
                ],
            );
        }
    } else {
        let server = match (file_server, &local_server, &foreign_server) {
            (None, None, None) if !contexts.is_empty() => {
                return Err(a.err(
                    "a non-advertised Class needs `Server`, `ForeignServer` or a File parent",
                ))
            }
            (Some(_), _, Some(_)) | (_, Some(_), Some(_)) => {
                return Err(
                    a.err("`ForeignServer` cannot be combined with `Server` or a File parent")
                )
            }
            (Some(f), _, _) => Some(f.to_string()),
            (None, l, _) => l.clone(),
        };
        if app_id.is_some() {
            return Err(
                a.err("`AppId` cannot be used with Advertise=\"no\"; nest the Class in its AppId")
            );
        }
        if relative_path.is_some() {
            return Err(a.err("`RelativePath` only applies to advertised classes"));
        }
        for context in &contexts {
            let formatted = if context.starts_with("InprocServer") {
                if argument.is_some() {
                    return Err(a.err(format!(
                        "`Argument` cannot be used with Context `{context}`"
                    )));
                }
                match &server {
                    Some(f) => Some(format!("[{}{f}]", if short_path { "!" } else { "#" })),
                    None => foreign_server.clone(),
                }
            } else if context.starts_with("LocalServer") {
                let base = match &server {
                    Some(f) if short_path => Some(format!("[!{f}]")),
                    Some(f) => Some(format!("\"[#{f}]\"")),
                    None => foreign_server.clone(),
                };
                match &argument {
                    Some(arg) => Some(format!("{} {arg}", base.unwrap_or_default())),
                    None => base,
                }
            } else {
                return Err(a.err(format!(
                    "`Context` value `{context}` is not one of InprocServer, InprocServer32, LocalServer, LocalServer32"
                )));
            };
            registry(
                p,
                el,
                comp,
                &format!(r"{clsid_key}\{context}"),
                Some(""),
                formatted.as_deref(),
            );
        }
        if let (Some(i), false) = (&icon, contexts.is_empty()) {
            p.sec().reference("File", i.clone(), &el.loc);
            let mut value = format!("\"[#{i}]\"");
            if let Some(n) = icon_index {
                value = format!("{value},{n}");
            }
            registry(
                p,
                el,
                comp,
                &format!(r"{clsid_key}\DefaultIcon"),
                Some(""),
                Some(&value),
            );
        }
        if let Some(d) = description.take() {
            registry(p, el, comp, &clsid_key, Some(""), Some(&d));
        }
        if let Some(h) = &handler {
            let (ole2, ole32) = (r"\InprocHandler", r"\InprocHandler32");
            match h.as_str() {
                "1" => registry(
                    p,
                    el,
                    comp,
                    &format!("{clsid_key}{ole2}"),
                    Some(""),
                    Some("ole2.dll"),
                ),
                "2" => registry(
                    p,
                    el,
                    comp,
                    &format!("{clsid_key}{ole32}"),
                    Some(""),
                    Some("ole32.dll"),
                ),
                "3" => {
                    registry(
                        p,
                        el,
                        comp,
                        &format!("{clsid_key}{ole2}"),
                        Some(""),
                        Some("ole2.dll"),
                    );
                    registry(
                        p,
                        el,
                        comp,
                        &format!("{clsid_key}{ole32}"),
                        Some(""),
                        Some("ole32.dll"),
                    );
                }
                other => registry(
                    p,
                    el,
                    comp,
                    &format!("{clsid_key}{ole32}"),
                    Some(""),
                    Some(other),
                ),
            }
        }
    }
    if let Some(tm) = &threading_model {
        let mut chars = tm.chars();
        let tm: String = chars
            .next()
            .map(|c| c.to_uppercase().chain(chars).collect())
            .unwrap_or_default();
        for context in &contexts {
            registry(
                p,
                el,
                comp,
                &format!(r"{clsid_key}\{context}"),
                Some("ThreadingModel"),
                Some(&tm),
            );
        }
    }
    if let Some(v) = &version {
        registry(p, el, comp, &format!(r"{clsid_key}\Version"), None, Some(v));
    }
    if let Some(i) = insertable {
        registry(p, el, comp, &format!(r"{clsid_key}\{i}"), Some("*"), None);
    }
    if control {
        registry(
            p,
            el,
            comp,
            &format!(r"{clsid_key}\Control"),
            Some("*"),
            None,
        );
    }
    if programmable {
        registry(
            p,
            el,
            comp,
            &format!(r"{clsid_key}\Programmable"),
            Some("*"),
            None,
        );
    }
    // Component categories "safe for initializing" and "safe for scripting".
    for (on, category) in [
        (safe_for_init, "{7DD95802-9882-11CF-9FA9-00AA006C42C4}"),
        (safe_for_scripting, "{7DD95801-9882-11CF-9FA9-00AA006C42C4}"),
    ] {
        if on {
            let key = format!(r"{clsid_key}\Implemented Categories\{category}");
            registry(p, el, comp, &key, Some("*"), None);
        }
    }
    Ok(())
}

/// `ProgId` directly under a `Component`.
pub(crate) fn component_prog_id(p: &mut Parser, el: &Element, comp: &str) -> Result<()> {
    let mut found_extension = false;
    prog_id(
        p,
        el,
        comp,
        None,
        None,
        None,
        None,
        &mut found_extension,
        true,
    )?;
    Ok(())
}

/// `ProgId`: under a Component, a Class (`class_id`) or another ProgId (`parent`, a
/// version-independent ProgId). Returns its id.
#[allow(clippy::too_many_arguments)]
fn prog_id(
    p: &mut Parser,
    el: &Element,
    comp: &str,
    advertise: Advertise,
    class_id: Option<&str>,
    description: Option<String>,
    parent: Option<&str>,
    found_extension: &mut bool,
    first_for_class: bool,
) -> Result<String> {
    let mut a = Attrs::new(el);
    let id = a.req("Id")?.to_string();
    let own = a.yesno("Advertise")?;
    let description = a.opt("Description").map(str::to_string).or(description);
    let icon = a.id("Icon")?;
    let icon_index = a.int_range("IconIndex", i16::MIN as i64 + 1, i16::MAX as i64)?;
    let no_open = a.opt("NoOpen").map(str::to_string);
    a.finish()?;
    let advertise = merge_advertise(&a, advertise, own)?.unwrap_or(false);
    if parent.is_some() && (icon.is_some() || icon_index.is_some()) {
        return Err(a.err("a version-independent ProgId cannot have `Icon` or `IconIndex`"));
    }
    let mut first_nested = true;
    for child in &el.children {
        match (child.ns.is_util(), child.name.as_str()) {
            (false, "Extension") => {
                extension(p, child, comp, advertise, Some(&id))?;
                *found_extension = true;
            }
            (false, "ProgId") if parent.is_none() => {
                let nested_class = if advertise { None } else { class_id };
                prog_id(
                    p,
                    child,
                    comp,
                    Some(advertise),
                    nested_class,
                    description.clone(),
                    Some(&id),
                    found_extension,
                    first_nested,
                )?;
                first_nested = false;
            }
            (false, "ProgId") => {
                return Err(WixError::new(
                    child.loc.clone(),
                    "ProgId elements nest at most one level (a version-independent ProgId)",
                ))
            }
            _ => return Err(unexpected(el, child)),
        }
    }
    if advertise {
        if let Some(i) = &icon {
            p.sec().reference("Icon", i.clone(), &el.loc);
        }
        p.sec().row(
            "ProgId",
            &el.loc,
            vec![
                id.clone().into(),
                Val::opt_str(parent),
                Val::opt_str(class_id),
                Val::opt_str(description),
                Val::opt_str(icon),
                Val::opt_int(icon_index),
            ],
        );
        // WiX ensures the Class table for every advertised ProgId.
        p.sec()
            .custom
            .ensured
            .push(("Class".into(), el.loc.clone()));
    } else {
        registry(p, el, comp, &id, Some(""), description.as_deref());
        if let Some(c) = class_id {
            registry(p, el, comp, &format!(r"{id}\CLSID"), Some(""), Some(c));
            match parent {
                Some(par) => {
                    if first_for_class {
                        let key = format!(r"CLSID\{c}\VersionIndependentProgID");
                        registry(p, el, comp, &key, Some(""), Some(&id));
                    }
                    registry(p, el, comp, &format!(r"{id}\CurVer"), Some(""), Some(par));
                }
                None if first_for_class => {
                    registry(
                        p,
                        el,
                        comp,
                        &format!(r"CLSID\{c}\ProgID"),
                        Some(""),
                        Some(&id),
                    );
                }
                None => {}
            }
        }
        if let Some(i) = &icon {
            p.sec().reference("File", i.clone(), &el.loc);
            let mut value = format!("\"[#{i}]\"");
            if let Some(n) = icon_index {
                value = format!("{value},{n}");
            }
            registry(
                p,
                el,
                comp,
                &format!(r"{id}\DefaultIcon"),
                Some(""),
                Some(&value),
            );
        }
    }
    if let Some(n) = &no_open {
        registry(p, el, comp, &id, Some("NoOpen"), Some(n));
    }
    Ok(id)
}

/// `Extension` under a `ProgId`: a file extension associated with it.
fn extension(
    p: &mut Parser,
    el: &Element,
    comp: &str,
    advertise: bool,
    prog_id: Option<&str>,
) -> Result<()> {
    let mut a = Attrs::new(el);
    let ext = a.req("Id")?.to_string();
    let own = a.yesno("Advertise")?;
    let mut mime = a.opt("ContentType").map(str::to_string);
    a.finish()?;
    let advertise = merge_advertise(&a, Some(advertise), own)?.unwrap_or(false);
    for child in &el.children {
        match (child.ns.is_util(), child.name.as_str()) {
            (false, "Verb") => verb(p, child, &ext, prog_id, comp, advertise)?,
            (false, "MIME") => {
                let default = mime_type(p, child, &ext, comp, advertise)?;
                if mime.is_none() {
                    mime = default;
                }
            }
            _ => return Err(unexpected(el, child)),
        }
    }
    if advertise {
        p.sec().row(
            "Extension",
            &el.loc,
            vec![
                ext.into(),
                comp.into(),
                Val::opt_str(prog_id),
                Val::opt_str(mime),
                ADVERTISED_TARGET.into(),
            ],
        );
        // WiX ensures the Verb table for every advertised extension.
        p.sec().custom.ensured.push(("Verb".into(), el.loc.clone()));
    } else {
        let key = format!(".{ext}");
        registry(p, el, comp, &key, Some(""), prog_id);
        if let Some(m) = &mime {
            registry(p, el, comp, &key, Some("Content Type"), Some(m));
        }
    }
    Ok(())
}

/// `Verb` under an `Extension`: a shell verb of the extension (or of its ProgId).
fn verb(
    p: &mut Parser,
    el: &Element,
    ext: &str,
    prog_id: Option<&str>,
    comp: &str,
    advertise: bool,
) -> Result<()> {
    let mut a = Attrs::new(el);
    let id = a.req("Id")?.to_string();
    let argument = a.opt("Argument").map(str::to_string);
    let command = a.opt("Command").map(str::to_string);
    let sequence = a.int_range("Sequence", 1, i16::MAX as i64)?;
    let target_file = a.opt("TargetFile").map(str::to_string);
    let target_property = a.opt("TargetProperty").map(str::to_string);
    a.finish()?;
    super::no_children(el)?;
    if target_file.is_some() && target_property.is_some() {
        return Err(a.err("use only one of `TargetFile` and `TargetProperty`"));
    }
    if let Some(f) = &target_file {
        p.sec().reference("File", f.clone(), &el.loc);
    }
    if advertise {
        if target_file.is_some() || target_property.is_some() {
            return Err(
                a.err("`TargetFile`/`TargetProperty` cannot be used when the verb is advertised")
            );
        }
        p.sec().row(
            "Verb",
            &el.loc,
            vec![
                ext.into(),
                id.into(),
                Val::opt_int(sequence),
                Val::opt_str(command),
                Val::opt_str(argument),
            ],
        );
        return Ok(());
    }
    if sequence.is_some() {
        return Err(a.err("`Sequence` cannot be used when the verb is not advertised"));
    }
    let mut target = match (&target_file, &target_property) {
        (Some(f), _) => format!("\"[#{f}]\""),
        (None, Some(prop)) => format!("\"[{prop}]\""),
        (None, None) => {
            return Err(
                a.err("a verb that is not advertised needs `TargetFile` or `TargetProperty`")
            )
        }
    };
    if let Some(arg) = &argument {
        target = format!("{target} {arg}");
    }
    let prefix = prog_id.map_or_else(|| format!(".{ext}"), str::to_string);
    if let Some(c) = &command {
        registry(
            p,
            el,
            comp,
            &format!(r"{prefix}\shell\{id}"),
            Some(""),
            Some(c),
        );
    }
    registry(
        p,
        el,
        comp,
        &format!(r"{prefix}\shell\{id}\command"),
        Some(""),
        Some(&target),
    );
    Ok(())
}

/// `MIME` under an `Extension`; returns its content type when it is the default one.
fn mime_type(
    p: &mut Parser,
    el: &Element,
    ext: &str,
    comp: &str,
    parent_advertised: bool,
) -> Result<Option<String>> {
    let mut a = Attrs::new(el);
    let advertise = a.yesno("Advertise")?.unwrap_or(parent_advertised);
    let class_id = guid(&mut a, "Class")?;
    let content_type = a.req("ContentType")?.to_string();
    let default = a.flag("Default")?;
    a.finish()?;
    super::no_children(el)?;
    if advertise {
        if !parent_advertised {
            return Err(a.err("an advertised MIME must be inside an advertised Extension"));
        }
        p.sec().row(
            "MIME",
            &el.loc,
            vec![
                content_type.clone().into(),
                ext.into(),
                Val::opt_str(class_id),
            ],
        );
    } else {
        if default && parent_advertised {
            return Err(a.err(
                "a MIME that is not advertised cannot be the default of an advertised Extension",
            ));
        }
        let key = format!(r"MIME\Database\Content Type\{content_type}");
        registry(
            p,
            el,
            comp,
            &key,
            Some("Extension"),
            Some(&format!(".{ext}")),
        );
        if let Some(c) = &class_id {
            registry(p, el, comp, &key, Some("CLSID"), Some(c));
        }
    }
    Ok(default.then_some(content_type))
}

#[cfg(test)]
mod tests {
    use crate::model::Val;
    use crate::{compile, CompileOptions};

    fn build(component_body: &str) -> crate::Result<crate::Compiled> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.exe"), b"exe").unwrap();
        let src = dir.path().join("t.wxs");
        let text = format!(
            r#"<Wix xmlns="http://wixtoolset.org/schemas/v4/wxs"><Package Name="T" Manufacturer="M" Version="1.0" UpgradeCode="9D1B8F0C-6E2A-4B57-8C33-0F4E5A6B7C82">
<Component Id="C" Directory="INSTALLFOLDER" Guid="5B3B3FC1-533D-4C29-BFB3-0E88B51E59D8">
{component_body}
</Component>
</Package></Wix>"#
        );
        std::fs::write(&src, text).unwrap();
        let mut opts = CompileOptions::new("x64");
        opts.current_dir = dir.path().to_path_buf();
        opts.threads = 1;
        compile(&[src], &opts)
    }

    fn registry(c: &crate::Compiled) -> Vec<(String, String, String)> {
        let s = |v: &Val| v.as_str().unwrap_or_default().to_string();
        c.database.tables["Registry"]
            .iter()
            .map(|(r, _)| (s(&r[2]), s(&r[3]), s(&r[4])))
            .collect()
    }

    #[test]
    fn unadvertised_class_with_prog_ids_writes_hkcr_registry() {
        let c = build(
            r#"<File Id="App" Source="a.exe"><Class Id="{F12A6F69-117F-471F-AE73-F8E74218F498}" Context="LocalServer32" Description="Thing" Argument="/x">
  <ProgId Id="Acme.Thing.1"><ProgId Id="Acme.Thing" /></ProgId>
</Class></File>"#,
        )
        .unwrap();
        let regs = registry(&c);
        let clsid = r"CLSID\{F12A6F69-117F-471F-AE73-F8E74218F498}";
        for want in [
            (format!(r"{clsid}\LocalServer32"), "", "\"[#App]\" /x"),
            (clsid.to_string(), "", "Thing"),
            (format!(r"{clsid}\ProgID"), "", "Acme.Thing.1"),
            (
                format!(r"{clsid}\VersionIndependentProgID"),
                "",
                "Acme.Thing",
            ),
            (r"Acme.Thing\CurVer".to_string(), "", "Acme.Thing.1"),
        ] {
            let want = (want.0, want.1.to_string(), want.2.to_string());
            assert!(regs.contains(&want), "{want:?} not in {regs:?}");
        }
        assert!(!c.database.tables.contains_key("Class"));
    }

    #[test]
    fn advertised_extension_names_the_primary_feature_and_ensures_verb() {
        let c = build(
            r#"<File Source="a.exe" /><ProgId Id="Acme.Doc" Advertise="yes"><Extension Id="acme"><Verb Id="open" Command="Open" Argument="&quot;%1&quot;" /></Extension></ProgId>"#,
        )
        .unwrap();
        let ext = &c.database.tables["Extension"][0].0;
        assert_eq!(ext[4].as_str(), Some("WixDefaultFeature"), "{ext:?}");
        assert_eq!(c.database.tables["Verb"].len(), 1);
        assert!(c.database.tables.contains_key("Class"));
    }

    #[test]
    fn mismatched_or_incomplete_classes_are_located_errors() {
        let e =
            build(r#"<ProgId Id="A" Advertise="yes"><Extension Id="x" Advertise="no" /></ProgId>"#)
                .unwrap_err();
        assert!(e.message.contains("must match"), "{e}");
        assert_eq!(e.location.line, 3);
        let e = build(r#"<Class Id="{F12A6F69-117F-471F-AE73-F8E74218F498}" Advertise="yes" />"#)
            .unwrap_err();
        assert!(e.message.contains("Context"), "{e}");
        let e = build(
            r#"<Class Id="{F12A6F69-117F-471F-AE73-F8E74218F498}" Context="InprocServer32" />"#,
        )
        .unwrap_err();
        assert!(e.message.contains("Server"), "{e}");
    }
}
