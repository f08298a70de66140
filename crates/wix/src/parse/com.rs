//! COM registration elements: `TypeLib` and `AppId`, under `Component`, `File` (the file
//! is the type library / server) and, for `AppId`, at the top level of a package or fragment.
//!
//! Advertised registrations become TypeLib / AppId rows; non-advertised ones become the
//! Registry rows WiX writes itself under HKCR, with WiX's generated `reg…` ids.
//! Semantics: `src/wix/WixToolset.Core/Compiler_Package.cs` (`ParseTypeLibElement`) and
//! `Compiler.cs` (`ParseAppIdElement`), `ParseHelper.CreateRegistrySymbol` for the ids;
//! the TypeLib's feature is the component's primary feature, resolved after linking by
//! [`crate::advertise::resolve_primary_features`].

use super::component::Comp;
use super::{generated_id, normalise_guid, unexpected, Attrs, Parser};
use crate::error::Result;
use crate::model::{Val, ADVERTISED_TARGET};
use crate::xml::Element;

/// HKEY_CLASSES_ROOT in the Registry table's Root column.
const HKCR: i32 = 0;

/// What encloses a COM element: its component and, under `File`, the server file.
pub(crate) struct ComCtx<'c> {
    pub comp: &'c Comp,
    pub file: Option<&'c str>,
    pub win64: bool,
}

/// A Registry row as `ParseHelper.CreateRegistrySymbol` makes it (a string value).
pub(crate) fn registry(
    p: &mut Parser,
    el: &Element,
    comp: &str,
    key: &str,
    name: Option<&str>,
    value: Option<&str>,
) {
    let root = HKCR.to_string();
    let lower_key = key.to_lowercase();
    let lower_name = name.map(str::to_lowercase);
    let id = if p.v4() {
        crate::guid::generate_identifier_v4(
            "reg",
            &[
                Some(comp),
                Some(&root),
                Some(&lower_key),
                lower_name.as_deref(),
            ],
        )
    } else {
        generated_id("reg", &[comp, &root, key, name.unwrap_or("")])
    };
    super::registry::RegistryRow {
        id,
        root: HKCR,
        key: key.to_string(),
        name,
        value: value.map(str::to_string),
    }
    .add(p, &el.loc, comp);
}

fn guid_attr(a: &mut Attrs, name: &'static str) -> Result<String> {
    let v = a.req(name)?;
    normalise_guid(v).ok_or_else(|| a.err(format!("`{name}` value `{v}` is not a GUID")))
}

/// A COM element under a `Component` or (with the file's id) under its `File`.
pub(crate) fn component_child(
    p: &mut Parser,
    el: &Element,
    comp: &Comp,
    file: Option<&str>,
) -> Result<()> {
    let ctx = ComCtx {
        comp,
        file,
        win64: comp.win64,
    };
    match el.name.as_str() {
        "TypeLib" => type_lib(p, el, &ctx),
        _ => app_id(p, el, Some(&ctx)),
    }
}

/// `TypeLib` (Compiler_Package.cs, ParseTypeLibElement).
pub(crate) fn type_lib(p: &mut Parser, el: &Element, ctx: &ComCtx) -> Result<()> {
    let lib = TypeLibAttrs::read(el)?;
    if let Some(d) = &lib.help_dir {
        p.sec().reference("Directory", d.clone(), &el.loc);
    }
    if let Some(child) = el.children.first() {
        // AppId, Class and Interface under a TypeLib are not supported yet.
        return Err(unexpected(el, child));
    }
    if lib.advertise {
        lib.row(p, el, ctx)
    } else {
        lib.keys(p, el, ctx)
    }
}

/// A `TypeLib`'s attributes.
struct TypeLibAttrs {
    id: String,
    advertise: bool,
    /// The FLAGS value's bits, and the attributes that set them.
    flags: i32,
    flag_attrs: Vec<&'static str>,
    cost: Option<i32>,
    description: Option<String>,
    help_dir: Option<String>,
    language: i32,
    major: Option<i32>,
    minor: Option<i32>,
    resource_id: Option<String>,
}

impl TypeLibAttrs {
    /// Reads a `TypeLib`'s attributes; an advertised one's minor version is a byte.
    fn read(el: &Element) -> Result<Self> {
        let mut a = Attrs::new(el);
        let id = guid_attr(&mut a, "Id")?;
        let advertise = a.flag("Advertise")?;
        let mut flags = 0;
        let mut flag_attrs = Vec::new();
        for (name, bit) in [
            ("Restricted", 1),
            ("Control", 2),
            ("Hidden", 4),
            ("HasDiskImage", 8),
        ] {
            if a.flag(name)? {
                flags |= bit;
                flag_attrs.push(name);
            }
        }
        let cost = a.int_range("Cost", 0, i32::MAX as i64)?;
        let description = a.opt_nonempty("Description")?.map(str::to_string);
        let help_dir = a.id("HelpDirectory")?;
        if a.opt("HelpSubdirectory").is_some() {
            return Err(
                a.err("`HelpSubdirectory` is not supported; use a Directory for HelpDirectory")
            );
        }
        let language = a
            .int_range("Language", 0, i16::MAX as i64)?
            .ok_or_else(|| a.err("missing required attribute `Language`"))?;
        let major = a.int_range("MajorVersion", 0, u16::MAX as i64)?;
        let minor_max = if advertise {
            u8::MAX as i64
        } else {
            u16::MAX as i64
        };
        let minor = a.int_range("MinorVersion", 0, minor_max)?;
        let resource_id = a.opt("ResourceId").map(str::to_string);
        if let Some(r) = &resource_id {
            if r.parse::<i32>().is_err() {
                return Err(a.err(format!("`ResourceId` is `{r}`; expected an integer")));
            }
        }
        a.finish()?;
        Ok(TypeLibAttrs {
            id,
            advertise,
            flags,
            flag_attrs,
            cost,
            description,
            help_dir,
            language,
            major,
            minor,
            resource_id,
        })
    }

    /// An advertised type library's TypeLib row (its version `major * 256 + minor`).
    fn row(self, p: &mut Parser, el: &Element, ctx: &ComCtx) -> Result<()> {
        if self.resource_id.is_some() {
            return Err(Attrs::new(el).err("`ResourceId` cannot be used when Advertise=\"yes\""));
        }
        if let Some(f) = self.flag_attrs.first() {
            return Err(Attrs::new(el).err(format!("`{f}` cannot be used when Advertise=\"yes\"")));
        }
        let version = match (self.major, self.minor) {
            (None, None) => None,
            (ma, mi) => Some(ma.unwrap_or(0) * 256 + mi.unwrap_or(0)),
        };
        p.sec().row(
            "TypeLib",
            &el.loc,
            vec![
                self.id.into(),
                self.language.into(),
                ctx.comp.id.as_str().into(),
                Val::opt_int(version),
                Val::opt_str(self.description),
                Val::opt_str(self.help_dir),
                ADVERTISED_TARGET.into(),
                Val::opt_int(self.cost),
            ],
        );
        Ok(())
    }

    /// A non-advertised type library's registration under `HKCR\TypeLib\{id}\{version}`:
    /// the file (and resource) per language and platform, FLAGS and HELPDIR.
    fn keys(self, p: &mut Parser, el: &Element, ctx: &ComCtx) -> Result<()> {
        let err = |m: &str| Attrs::new(el).err(m);
        if self.cost.is_some() {
            return Err(err("`Cost` cannot be used when Advertise=\"no\""));
        }
        let Some(file) = ctx.file else {
            return Err(err(
                "a non-advertised TypeLib must be inside the File that is the type library",
            ));
        };
        // The registry form of the version: hexadecimal major.minor (WiX writes "x" format).
        let version = match (self.major, self.minor) {
            (None, None) => {
                return Err(err(
                    "`MajorVersion` or `MinorVersion` is required when Advertise=\"no\"",
                ))
            }
            (ma, mi) => format!("{:x}.{:x}", ma.unwrap_or(0), mi.unwrap_or(0)),
        };
        let comp = ctx.comp.id.as_str();
        let base = format!(r"TypeLib\{}\{version}", self.id);
        registry(p, el, comp, &base, None, self.description.as_deref());
        let mut path = format!("[#{file}]");
        if let Some(r) = &self.resource_id {
            path = format!(r"{path}\{r}");
        }
        let platform = if ctx.win64 { "win64" } else { "win32" };
        let files = format!(r"{base}\{}\{platform}", self.language);
        registry(p, el, comp, &files, None, Some(&path));
        let flags = self.flags.to_string();
        registry(p, el, comp, &format!(r"{base}\FLAGS"), None, Some(&flags));
        if let Some(d) = self.help_dir {
            let help = format!("[{d}]");
            registry(p, el, comp, &format!(r"{base}\HELPDIR"), None, Some(&help));
        }
        Ok(())
    }
}

/// `AppId` (Compiler.cs, ParseAppIdElement). `ctx` is `None` at the top level of a package
/// or fragment, where WiX only allows the advertised form.
pub(crate) fn app_id(p: &mut Parser, el: &Element, ctx: Option<&ComCtx>) -> Result<()> {
    let mut a = Attrs::new(el);
    let id = guid_attr(&mut a, "Id")?;
    let activate_at_storage = a.yesno("ActivateAtStorage")?;
    let advertise_attr = a.yesno("Advertise")?;
    let description = a.opt_nonempty("Description")?.map(str::to_string);
    let dll_surrogate = a.opt("DllSurrogate").map(str::to_string);
    let local_service = a.opt_nonempty("LocalService")?.map(str::to_string);
    let remote_server = a.opt_nonempty("RemoteServerName")?.map(str::to_string);
    let run_as_interactive = a.yesno("RunAsInteractiveUser")?;
    let service_parameters = a.opt_nonempty("ServiceParameters")?.map(str::to_string);
    a.finish()?;
    let advertise = match (ctx, advertise_attr) {
        (None, Some(false)) => {
            return Err(a.err("an AppId outside a Component must be advertised"));
        }
        (None, _) => true,
        (Some(_), v) => v.unwrap_or(false),
    };
    if let Some(child) = el.children.first() {
        // Class under AppId is not supported yet.
        return Err(unexpected(el, child));
    }
    let flag = |v: Option<bool>| v.map(|b| Val::Int(i32::from(b))).unwrap_or(Val::Null);
    if advertise {
        if description.is_some() {
            return Err(a.err("`Description` cannot be used when the AppId is advertised"));
        }
        p.sec().row(
            "AppId",
            &el.loc,
            vec![
                id.into(),
                Val::opt_str(remote_server),
                Val::opt_str(local_service),
                Val::opt_str(service_parameters),
                Val::opt_str(dll_surrogate),
                flag(activate_at_storage),
                flag(run_as_interactive),
            ],
        );
        return Ok(());
    }
    let comp = ctx.map(|c| c.comp.id.clone()).unwrap_or_default();
    let key = format!(r"AppID\{id}");
    match &description {
        Some(d) => registry(p, el, &comp, &key, None, Some(d)),
        None => registry(p, el, &comp, &key, Some("+"), None),
    }
    let values = [
        ("RemoteServerName", remote_server),
        ("LocalService", local_service),
        ("ServiceParameters", service_parameters),
        ("DllSurrogate", dll_surrogate),
        (
            "ActivateAtStorage",
            (activate_at_storage == Some(true)).then(|| "Y".to_string()),
        ),
        (
            "RunAs",
            (run_as_interactive == Some(true)).then(|| "Interactive User".to_string()),
        ),
    ];
    for (name, value) in values {
        if let Some(v) = value {
            registry(p, el, &comp, &key, Some(name), Some(&v));
        }
    }
    Ok(())
}
