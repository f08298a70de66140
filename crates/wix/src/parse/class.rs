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
use super::{normalise_guid, unexpected, upper_first, Attrs, Parser};
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
    let class = ClassAttrs::read(&mut a)?;
    if let Some(f) = &class.local_server {
        p.sec().reference("File", f.clone(), &el.loc);
    }
    let default_prog_id = class.prog_ids(p, el, comp)?;
    let keys = ClsidKeys {
        el,
        comp,
        key: format!(r"CLSID\{}", class.id),
    };
    if class.advertise {
        class.check_advertised(&a, file_server)?;
        class.class_rows(p, el, comp, default_prog_id);
    } else {
        let server = class.unadvertised_server(&a, file_server)?;
        class.server_keys(p, &a, &keys, server.as_deref())?;
        class.icon_description_handler_keys(p, &keys);
    }
    class.common_keys(p, &keys);
    Ok(())
}

/// The component category a control that is safe for initializing implements.
const CATID_SAFE_FOR_INITIALIZING: &str = "{7DD95802-9882-11CF-9FA9-00AA006C42C4}";
/// The component category a control that is safe for scripting implements.
const CATID_SAFE_FOR_SCRIPTING: &str = "{7DD95801-9882-11CF-9FA9-00AA006C42C4}";

/// A `Class` element's attributes.
struct ClassAttrs {
    id: String,
    advertise: bool,
    app_id: Option<String>,
    argument: Option<String>,
    contexts: Vec<String>,
    control: bool,
    description: Option<String>,
    handler: Option<String>,
    icon: Option<String>,
    icon_index: Option<i32>,
    relative_path: Option<bool>,
    insertable: Option<&'static str>,
    programmable: bool,
    safe_for_init: bool,
    safe_for_scripting: bool,
    foreign_server: Option<String>,
    local_server: Option<String>,
    short_path: bool,
    threading_model: Option<String>,
    version: Option<String>,
}

/// The HKCR keys under a class's `CLSID\{Id}`, each value one of its component's Registry
/// rows.
struct ClsidKeys<'a> {
    el: &'a Element,
    comp: &'a str,
    key: String,
}

impl ClsidKeys<'_> {
    /// Sets `name` (None: the key's default value) of `CLSID\{Id}` followed by `subkey`.
    fn set(&self, p: &mut Parser, subkey: &str, name: Option<&str>, value: Option<&str>) {
        let key = format!("{}{subkey}", self.key);
        registry(p, self.el, self.comp, &key, name, value);
    }
}

impl ClassAttrs {
    /// Reads a `Class`'s attributes (fields in WiX's reading order, which decides the error
    /// reported first); `Context` must not repeat, and an advertised class needs one.
    fn read(a: &mut Attrs) -> Result<Self> {
        let class = ClassAttrs {
            id: guid(a, "Id")?.ok_or_else(|| a.err("missing required attribute `Id`"))?,
            advertise: a.yesno("Advertise")?.unwrap_or(false),
            app_id: guid(a, "AppId")?,
            argument: a.opt("Argument").map(str::to_string),
            contexts: a
                .opt("Context")
                .unwrap_or_default()
                .split_whitespace()
                .map(str::to_string)
                .collect(),
            control: a.flag("Control")?,
            description: a.opt("Description").map(str::to_string),
            handler: a.opt("Handler").map(str::to_string),
            icon: a.id("Icon")?,
            icon_index: a.int_range("IconIndex", i16::MIN as i64 + 1, i16::MAX as i64)?,
            relative_path: a.yesno("RelativePath")?,
            insertable: a
                .yesno("Insertable")?
                .map(|b| if b { "Insertable" } else { "NotInsertable" }),
            programmable: a.flag("Programmable")?,
            safe_for_init: a.flag("SafeForInitializing")?,
            safe_for_scripting: a.flag("SafeForScripting")?,
            foreign_server: a.opt("ForeignServer").map(str::to_string),
            local_server: a.opt("Server").map(str::to_string),
            short_path: a.flag("ShortPath")?,
            threading_model: a.opt("ThreadingModel").map(str::to_string),
            version: a.opt("Version").map(str::to_string),
        };
        a.finish()?;
        for (i, c) in class.contexts.iter().enumerate() {
            if class.contexts[..i].contains(c) {
                return Err(a.err(format!("`Context` lists `{c}` twice")));
            }
        }
        if class.advertise && class.contexts.is_empty() {
            return Err(a.err("`Context` is required when Advertise=\"yes\""));
        }
        Ok(class)
    }

    /// The `ProgId` children, which inherit the class's `Advertise` and `Description`;
    /// returns the first one's id, the class's default ProgId.
    fn prog_ids(&self, p: &mut Parser, el: &Element, comp: &str) -> Result<Option<String>> {
        let mut default_prog_id = None;
        for child in &el.children {
            match (child.ns.is_util(), child.name.as_str()) {
                (false, "ProgId") => {
                    let mut found_extension = false;
                    let id = prog_id(
                        p,
                        child,
                        comp,
                        Some(self.advertise),
                        Some(&self.id),
                        self.description.clone(),
                        None,
                        &mut found_extension,
                        default_prog_id.is_none(),
                    )?;
                    default_prog_id.get_or_insert(id);
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
        Ok(default_prog_id)
    }

    /// An advertised class is served by its component's key file, so it names no server.
    fn check_advertised(&self, a: &Attrs, file_server: Option<&str>) -> Result<()> {
        if file_server.is_some() || self.local_server.is_some() {
            return Err(a.err("`Server` (or a File parent) cannot be used with Advertise=\"yes\""));
        }
        if self.foreign_server.is_some() {
            return Err(a.err("`ForeignServer` cannot be used with Advertise=\"yes\""));
        }
        Ok(())
    }

    /// An advertised class's Class rows, one per `Context`.
    fn class_rows(
        &self,
        p: &mut Parser,
        el: &Element,
        comp: &str,
        default_prog_id: Option<String>,
    ) {
        if let Some(i) = &self.icon {
            p.sec().reference("Icon", i.clone(), &el.loc);
        }
        if let Some(id) = &self.app_id {
            p.sec().reference("AppId", id.clone(), &el.loc);
        }
        for context in &self.contexts {
            p.sec().row(
                "Class",
                &el.loc,
                vec![
                    self.id.clone().into(),
                    context.clone().into(),
                    comp.into(),
                    Val::opt_str(default_prog_id.clone()),
                    Val::opt_str(self.description.clone()),
                    Val::opt_str(self.app_id.clone()),
                    Val::Null,
                    Val::opt_str(self.icon.clone()),
                    Val::opt_int(self.icon_index),
                    Val::opt_str(self.handler.clone()),
                    Val::opt_str(self.argument.clone()),
                    ADVERTISED_TARGET.into(),
                    if self.relative_path == Some(true) {
                        Val::Int(1)
                    } else {
                        Val::Null
                    },
                ],
            );
        }
    }

    /// The server file id of a class not advertised (`Server`, or the File it is under);
    /// None when it has none or a `ForeignServer`. Checks the attributes only advertising
    /// allows.
    fn unadvertised_server(&self, a: &Attrs, file_server: Option<&str>) -> Result<Option<String>> {
        let server = match (file_server, &self.local_server, &self.foreign_server) {
            (None, None, None) if !self.contexts.is_empty() => {
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
        if self.app_id.is_some() {
            return Err(
                a.err("`AppId` cannot be used with Advertise=\"no\"; nest the Class in its AppId")
            );
        }
        if self.relative_path.is_some() {
            return Err(a.err("`RelativePath` only applies to advertised classes"));
        }
        Ok(server)
    }

    /// Each `Context`'s key (`InprocServer32`, `LocalServer32`, ...) naming the server.
    fn server_keys(
        &self,
        p: &mut Parser,
        a: &Attrs,
        keys: &ClsidKeys,
        server: Option<&str>,
    ) -> Result<()> {
        for context in &self.contexts {
            let value = self.server_value(a, context, server)?;
            keys.set(p, &format!(r"\{context}"), Some(""), value.as_deref());
        }
        Ok(())
    }

    /// The server as a `Context` key names it: an in-process server's file path (`[#file]`,
    /// `[!file]` with `ShortPath`), a local server's quoted path and `Argument`.
    fn server_value(
        &self,
        a: &Attrs,
        context: &str,
        server: Option<&str>,
    ) -> Result<Option<String>> {
        if context.starts_with("InprocServer") {
            if self.argument.is_some() {
                return Err(a.err(format!(
                    "`Argument` cannot be used with Context `{context}`"
                )));
            }
            Ok(match server {
                Some(f) => Some(format!("[{}{f}]", if self.short_path { "!" } else { "#" })),
                None => self.foreign_server.clone(),
            })
        } else if context.starts_with("LocalServer") {
            let base = match server {
                Some(f) if self.short_path => Some(format!("[!{f}]")),
                Some(f) => Some(format!("\"[#{f}]\"")),
                None => self.foreign_server.clone(),
            };
            Ok(match &self.argument {
                Some(arg) => Some(format!("{} {arg}", base.unwrap_or_default())),
                None => base,
            })
        } else {
            Err(a.err(format!(
                "`Context` value `{context}` is not one of InprocServer, InprocServer32, LocalServer, LocalServer32"
            )))
        }
    }

    /// A class not advertised: its `DefaultIcon` (from an `Icon` file), its description as
    /// the class key's value, and its `InprocHandler` keys.
    fn icon_description_handler_keys(&self, p: &mut Parser, keys: &ClsidKeys) {
        if let (Some(i), false) = (&self.icon, self.contexts.is_empty()) {
            p.sec().reference("File", i.clone(), &keys.el.loc);
            let value = default_icon(i, self.icon_index);
            keys.set(p, r"\DefaultIcon", Some(""), Some(&value));
        }
        if let Some(d) = &self.description {
            keys.set(p, "", Some(""), Some(d));
        }
        if let Some(h) = &self.handler {
            for (subkey, dll) in inproc_handlers(h) {
                keys.set(p, subkey, Some(""), Some(dll));
            }
        }
    }

    /// The keys of any class: `ThreadingModel` on each context's key, `Version`, and the
    /// marker keys `Insertable` (or `NotInsertable`), `Control`, `Programmable` and the
    /// safe-for-initializing and safe-for-scripting component categories.
    fn common_keys(&self, p: &mut Parser, keys: &ClsidKeys) {
        if let Some(tm) = &self.threading_model {
            let tm = upper_first(tm);
            for context in &self.contexts {
                keys.set(
                    p,
                    &format!(r"\{context}"),
                    Some("ThreadingModel"),
                    Some(&tm),
                );
            }
        }
        if let Some(v) = &self.version {
            keys.set(p, r"\Version", None, Some(v));
        }
        let categories = r"\Implemented Categories";
        let markers = [
            self.insertable.map(|i| format!(r"\{i}")),
            self.control.then(|| r"\Control".to_string()),
            self.programmable.then(|| r"\Programmable".to_string()),
            self.safe_for_init
                .then(|| format!(r"{categories}\{CATID_SAFE_FOR_INITIALIZING}")),
            self.safe_for_scripting
                .then(|| format!(r"{categories}\{CATID_SAFE_FOR_SCRIPTING}")),
        ];
        for subkey in markers.into_iter().flatten() {
            keys.set(p, &subkey, Some("*"), None);
        }
    }
}

/// The `InprocHandler` keys and values a Class's `Handler` stands for: 1 is OLE 2's 16-bit
/// handler, 2 OLE's 32-bit one, 3 both; any other value is a 32-bit handler's path.
fn inproc_handlers(handler: &str) -> Vec<(&'static str, &str)> {
    const OLE2: (&str, &str) = (r"\InprocHandler", "ole2.dll");
    const OLE32: (&str, &str) = (r"\InprocHandler32", "ole32.dll");
    match handler {
        "1" => vec![OLE2],
        "2" => vec![OLE32],
        "3" => vec![OLE2, OLE32],
        other => vec![(OLE32.0, other)],
    }
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
    let prog = ProgIdAttrs::read(el, advertise, description, class_id, parent)?;
    prog.children(p, el, comp, found_extension)?;
    if prog.advertise {
        prog.row(p, el);
    } else {
        prog.keys(p, el, comp, first_for_class);
    }
    if let Some(n) = &prog.no_open {
        registry(p, el, comp, &prog.id, Some("NoOpen"), Some(n));
    }
    // An advertised ProgId reaches the machine only through its Class or an Extension
    // (its own or a nested ProgId's): WiX warns of one with neither (OrphanedProgId).
    if prog.advertise && !*found_extension && prog.parent.is_none() && prog.class_id.is_none() {
        p.warnings.push(crate::Warning {
            location: el.loc.clone(),
            message: format!(
                "ProgId `{}` is orphaned: it has no parent Class and no Extension (its own or \
                 a nested ProgId's), so it will never be installed",
                prog.id
            ),
        });
    }
    Ok(prog.id)
}

/// A `ProgId` element's attributes, with its Class and ProgId parents and what it inherits
/// from them.
struct ProgIdAttrs {
    id: String,
    advertise: bool,
    class_id: Option<String>,
    /// The ProgId this version-independent one is under.
    parent: Option<String>,
    description: Option<String>,
    icon: Option<String>,
    icon_index: Option<i32>,
    no_open: Option<String>,
}

impl ProgIdAttrs {
    /// Reads a `ProgId`'s attributes; `Advertise` must agree with the parent's, and a
    /// version-independent ProgId (under another) has no icon of its own.
    fn read(
        el: &Element,
        advertise: Advertise,
        description: Option<String>,
        class_id: Option<&str>,
        parent: Option<&str>,
    ) -> Result<Self> {
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
        Ok(ProgIdAttrs {
            id,
            advertise,
            class_id: class_id.map(str::to_string),
            parent: parent.map(str::to_string),
            description,
            icon,
            icon_index,
            no_open,
        })
    }

    /// The `Extension` children and, one level deep, version-independent `ProgId`s.
    fn children(
        &self,
        p: &mut Parser,
        el: &Element,
        comp: &str,
        found_extension: &mut bool,
    ) -> Result<()> {
        let mut first_nested = true;
        for child in &el.children {
            match (child.ns.is_util(), child.name.as_str()) {
                (false, "Extension") => {
                    extension(p, child, comp, self.advertise, Some(&self.id))?;
                    *found_extension = true;
                }
                (false, "ProgId") if self.parent.is_none() => {
                    let nested_class = if self.advertise {
                        None
                    } else {
                        self.class_id.as_deref()
                    };
                    prog_id(
                        p,
                        child,
                        comp,
                        Some(self.advertise),
                        nested_class,
                        self.description.clone(),
                        Some(&self.id),
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
        Ok(())
    }

    /// An advertised ProgId's ProgId row.
    fn row(&self, p: &mut Parser, el: &Element) {
        if let Some(i) = &self.icon {
            p.sec().reference("Icon", i.clone(), &el.loc);
        }
        p.sec().row(
            "ProgId",
            &el.loc,
            vec![
                self.id.clone().into(),
                Val::opt_str(self.parent.clone()),
                Val::opt_str(self.class_id.clone()),
                Val::opt_str(self.description.clone()),
                Val::opt_str(self.icon.clone()),
                Val::opt_int(self.icon_index),
            ],
        );
        // WiX ensures the Class table for every advertised ProgId.
        p.sec()
            .custom
            .ensured
            .push(("Class".into(), el.loc.clone()));
    }

    /// A ProgId not advertised: its HKCR key (description, `CLSID`, `CurVer`,
    /// `DefaultIcon`) and, for its class's first ProgId, the class's `ProgID` or
    /// `VersionIndependentProgID` key.
    fn keys(&self, p: &mut Parser, el: &Element, comp: &str, first_for_class: bool) {
        let id = &self.id;
        registry(p, el, comp, id, Some(""), self.description.as_deref());
        if let Some(c) = &self.class_id {
            registry(p, el, comp, &format!(r"{id}\CLSID"), Some(""), Some(c));
            let class_key = match self.parent {
                Some(_) => "VersionIndependentProgID",
                None => "ProgID",
            };
            if first_for_class {
                let key = format!(r"CLSID\{c}\{class_key}");
                registry(p, el, comp, &key, Some(""), Some(id));
            }
            if let Some(par) = &self.parent {
                registry(p, el, comp, &format!(r"{id}\CurVer"), Some(""), Some(par));
            }
        }
        if let Some(i) = &self.icon {
            p.sec().reference("File", i.clone(), &el.loc);
            let value = default_icon(i, self.icon_index);
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
}

/// A `DefaultIcon` key's value: the icon file, and the icon's index in it when given.
fn default_icon(file: &str, index: Option<i32>) -> String {
    match index {
        Some(n) => format!("\"[#{file}]\",{n}"),
        None => format!("\"[#{file}]\""),
    }
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
    fn advertised_prog_id_without_class_or_extension_is_warned_orphaned() {
        let orphans = |body: &str| -> Vec<String> {
            let c = build(body).unwrap();
            c.warnings
                .iter()
                .filter(|w| w.message.contains("orphaned"))
                .map(|w| format!("{}:{}", w.location.line, w.message))
                .collect()
        };
        let w = orphans(r#"<File Source="a.exe" /><ProgId Id="Lonely" Advertise="yes" />"#);
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].starts_with("3:ProgId `Lonely`"), "{w:?}");
        // An Extension on a nested, version-independent ProgId counts for its parent.
        let nested = r#"<File Source="a.exe" /><ProgId Id="Acme.Doc.1" Advertise="yes"><ProgId Id="Acme.Doc"><Extension Id="acme" /></ProgId></ProgId>"#;
        assert_eq!(orphans(nested), Vec::<String>::new());
        // Unadvertised ProgIds are registry keys, installed with their component.
        assert_eq!(orphans(r#"<ProgId Id="Keys" />"#), Vec::<String>::new());
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
