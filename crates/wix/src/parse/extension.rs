//! WiX extensions svcpack does not build: which extension a namespace belongs to, and the
//! one located error that names it.
//!
//! A WiX source opts into an extension by using its namespace (`util:`, `fw:`, `iis:`, …)
//! and passing `-ext WixToolset.X.wixext` (v3: `-ext WixXExtension`) to the build. svcpack
//! compiles a few extension elements natively (most of util, `ui:WixUI`); everything else
//! in an extension namespace is reported as `file:line: PREFIX:NAME needs
//! WixToolset.X.wixext, which svcpack does not support`, with the prefix the source used,
//! so the author learns in one line which extension stands between them and a build.
//! Native support for an element always takes precedence: this is only the fallback for
//! what no handler claimed.

use super::super::error::{Result, WixError};
use super::super::xml::{Attribute, Element, Namespace};

/// WiX v3 extension namespaces are `http://schemas.microsoft.com/wix/<Name>Extension`.
const V3_PREFIX: &str = "http://schemas.microsoft.com/wix/";
/// WiX v4+ extension namespaces are `http://wixtoolset.org/schemas/v4/wxs/<short>`.
const V4_PREFIX: &str = "http://wixtoolset.org/schemas/v4/wxs/";

/// Each extension: its v3 namespace name, its v4+ namespace suffix, and the v4+ package
/// name the message names (the name WiX's own error messages and NuGet use today).
const EXTENSIONS: &[(&str, &str, &str)] = &[
    (
        "BalExtension",
        "bal",
        "WixToolset.BootstrapperApplications.wixext",
    ),
    ("ComPlusExtension", "complus", "WixToolset.ComPlus.wixext"),
    (
        "DependencyExtension",
        "dependency",
        "WixToolset.Dependency.wixext",
    ),
    ("DifxAppExtension", "difxapp", "WixToolset.DifxApp.wixext"),
    ("DirectXExtension", "directx", "WixToolset.DirectX.wixext"),
    (
        "FirewallExtension",
        "firewall",
        "WixToolset.Firewall.wixext",
    ),
    ("GamingExtension", "gaming", "WixToolset.Gaming.wixext"),
    ("HttpExtension", "http", "WixToolset.Http.wixext"),
    ("IIsExtension", "iis", "WixToolset.Iis.wixext"),
    ("LuxExtension", "lux", "WixToolset.Lux.wixext"),
    ("MsmqExtension", "msmq", "WixToolset.Msmq.wixext"),
    ("NetFxExtension", "netfx", "WixToolset.Netfx.wixext"),
    ("PSExtension", "powershell", "WixToolset.PowerShell.wixext"),
    ("SqlExtension", "sql", "WixToolset.Sql.wixext"),
    ("TagExtension", "tag", "WixToolset.Tag.wixext"),
    ("UIExtension", "ui", "WixToolset.UI.wixext"),
    ("UtilExtension", "util", "WixToolset.Util.wixext"),
    ("VSExtension", "vs", "WixToolset.VisualStudio.wixext"),
];

/// The extension package a namespace URI belongs to, if it is a WiX extension namespace.
pub fn extension_for(uri: &str) -> Option<&'static str> {
    if let Some(name) = uri.strip_prefix(V3_PREFIX) {
        return EXTENSIONS
            .iter()
            .find(|(v3, _, _)| v3.eq_ignore_ascii_case(name))
            .map(|e| e.2);
    }
    let short = uri.strip_prefix(V4_PREFIX)?;
    EXTENSIONS
        .iter()
        .find(|(_, v4, _)| *v4 == short)
        .map(|e| e.2)
}

/// The custom-action DLLs that WiX extensions add to the Binary table, which sources
/// reference by id (`BinaryKey="WixCA"`, `BinaryRef="Wix4UtilCA_X64"`) without any element
/// of the extension's namespace: the extension that would define them, if `id` is one.
pub fn extension_binary(id: &str) -> Option<&'static str> {
    // WiX v3: one DLL per extension; WiX v4+: one per extension and platform
    // (`…_X86`, `…_X64`, `…_A64`).
    let v4 = |prefix: &str| {
        id.strip_prefix(prefix)
            .is_some_and(|p| matches!(p, "_X86" | "_X64" | "_A64"))
    };
    match id {
        "WixCA" => Some("WixToolset.Util.wixext"),
        "WixUIWixca" => Some("WixToolset.UI.wixext"),
        "WixFirewallCA" => Some("WixToolset.Firewall.wixext"),
        "IIsSchedule" | "IIsExecute" => Some("WixToolset.Iis.wixext"),
        "SqlCA" => Some("WixToolset.Sql.wixext"),
        "NetFxCA" => Some("WixToolset.Netfx.wixext"),
        _ if v4("Wix4UtilCA") => Some("WixToolset.Util.wixext"),
        _ if v4("Wix4FirewallCA") => Some("WixToolset.Firewall.wixext"),
        _ if v4("WixUiCa") => Some("WixToolset.UI.wixext"),
        _ if v4("Wix4IIsCA") => Some("WixToolset.Iis.wixext"),
        _ if v4("Wix4SqlCA") => Some("WixToolset.Sql.wixext"),
        _ if v4("Wix4NetFxCA") => Some("WixToolset.Netfx.wixext"),
        _ if v4("Wix4HttpCA") => Some("WixToolset.Http.wixext"),
        _ => None,
    }
}

/// Custom actions the util extension's library defines, by their WiX v3 names (`Wix` +
/// base); WiX v4+ names them `Wix4` + base + a platform suffix (UtilExtension.wxs and
/// UtilExtension_Platform.wxi in both WiX generations' util wixlib).
const UTIL_CUSTOM_ACTIONS: &[&str] = &[
    "BroadcastEnvironmentChange",
    "BroadcastSettingChange",
    "CheckRebootRequired",
    "CloseApplications",
    "CloseApplicationsDeferred",
    "ExitEarlyWithSuccess",
    "FailWhenDeferred",
    "QueryNativeMachine",
    "QueryOsDirs",
    "QueryOsDriverInfo",
    "QueryOsInfo",
    "QueryOsWellKnownSID",
    "QuietExec",
    "QuietExec64",
    "RegisterRestartResources",
    "RemoveFoldersEx",
    "RemoveRegistryKeysEx",
    "ShellExec",
    "ShellExecBinary",
    "SilentExec",
    "SilentExec64",
    "UnelevatedShellExec",
    "WaitForEvent",
    "WaitForEventDeferred",
];

/// Custom actions the UI extension's library defines (WixUIExtension's wixlib: path
/// validation, EULA printing, the per-user/per-machine folder choice of WixUI_Advanced);
/// WiX v4+ adds a platform suffix to the DLL-backed ones.
const UI_CUSTOM_ACTIONS: &[&str] = &[
    "WixUIValidatePath",
    "WixUIPrintEula",
    "WixSetDefaultPerMachineFolder",
    "WixSetDefaultPerMachine64Folder",
    "WixSetDefaultPerUserFolder",
    "WixSetPerMachineFolder",
    "WixSetPerUserFolder",
];

/// The extension whose library defines custom action `id`, which sources schedule or
/// reference (`<CustomActionRef Id="WixBroadcastEnvironmentChange"/>`) without any element
/// of the extension's namespace.
pub fn extension_custom_action(id: &str) -> Option<&'static str> {
    let unsuffixed = ["_X86", "_X64", "_A64"]
        .iter()
        .find_map(|s| id.strip_suffix(s));
    let util = |base: &str| UTIL_CUSTOM_ACTIONS.contains(&base);
    let v3_util = id.strip_prefix("Wix").is_some_and(util)
        || matches!(id, "CAQuietExec" | "CAQuietExec64" | "QtExec" | "QtExec64");
    let v4_util = unsuffixed
        .and_then(|u| u.strip_prefix("Wix4"))
        .is_some_and(util);
    if v3_util || v4_util {
        return Some("WixToolset.Util.wixext");
    }
    if UI_CUSTOM_ACTIONS.contains(&id) || unsuffixed.is_some_and(|u| UI_CUSTOM_ACTIONS.contains(&u))
    {
        return Some("WixToolset.UI.wixext");
    }
    None
}

/// The error for a reference to a custom action of an extension's library that nothing
/// defines.
pub fn unresolved_custom_action(id: &str, loc: &super::super::error::Location) -> Option<WixError> {
    let package = extension_custom_action(id)?;
    Some(WixError::new(
        loc.clone(),
        format!("CustomAction `{id}` needs {package}, which svcpack does not support"),
    ))
}

/// The error for a reference to an extension's custom-action DLL that nothing defines.
pub fn unresolved_binary(id: &str, loc: &super::super::error::Location) -> Option<WixError> {
    let package = extension_binary(id)?;
    Some(WixError::new(
        loc.clone(),
        format!("Binary `{id}` needs {package}, which svcpack does not support"),
    ))
}

/// `PREFIX:NAME`, or just `NAME` when the source made the namespace the default.
fn qualified(prefix: Option<&str>, name: &str) -> String {
    match prefix {
        Some(p) if !p.is_empty() => format!("{p}:{name}"),
        _ => name.to_string(),
    }
}

fn needs(what: String, package: &str, el: &Element) -> WixError {
    WixError::new(
        el.loc.clone(),
        format!("{what} needs {package}, which svcpack does not support"),
    )
}

/// The error for an element no handler claimed, when it lies in an extension namespace;
/// `None` for elements of the core WiX namespace.
pub fn unsupported_element(el: &Element) -> Option<WixError> {
    if !el.ns.is_util() {
        return None;
    }
    let package = extension_for(&el.ns_uri)?;
    Some(needs(
        qualified(el.prefix.as_deref(), &el.name),
        package,
        el,
    ))
}

/// The error for an extension attribute no handler claimed on `el`.
pub fn unsupported_attribute(el: &Element, attr: &Attribute) -> Option<WixError> {
    let package = extension_for(attr.ns_uri.as_deref()?)?;
    let local = attr.name.rsplit(':').next().unwrap_or(&attr.name);
    Some(needs(qualified(attr.prefix.as_deref(), local), package, el))
}

/// Rejects, in document order, the first element or attribute in a namespace svcpack does
/// not know at all: an extension it does not build gets the extension message, anything
/// else an unsupported-namespace error. Runs before any element is interpreted, so such a
/// source fails here rather than on some later, less telling problem.
pub fn check_foreign(el: &Element) -> Result<()> {
    if el.ns == Namespace::Foreign {
        return Err(unsupported_element(el).unwrap_or_else(|| {
            WixError::new(
                el.loc.clone(),
                format!(
                    "element `{}` is in namespace `{}`, which is not supported (supported: the WiX v3 \
                     and v4 namespaces and their util extensions)",
                    qualified(el.prefix.as_deref(), &el.name),
                    el.ns_uri
                ),
            )
        }));
    }
    for a in &el.attrs {
        let Some(uri) = a.ns_uri.as_deref() else {
            continue;
        };
        if Namespace::from_uri(uri).is_some() || uri == "http://www.w3.org/XML/1998/namespace" {
            continue;
        }
        return Err(unsupported_attribute(el, a).unwrap_or_else(|| {
            WixError::new(
                el.loc.clone(),
                format!(
                    "attribute `{}` on `{}` is in unsupported namespace `{uri}`",
                    a.name,
                    el.display_name()
                ),
            )
        }));
    }
    el.children.iter().try_for_each(check_foreign)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{compile, CompileOptions};

    const V3: &str = "http://schemas.microsoft.com/wix/2006/wi";
    const V4: &str = "http://wixtoolset.org/schemas/v4/wxs";

    /// Compiles `src` (a whole document) and returns the error's `Display` form with the
    /// temporary directory stripped, so the assertion reads `file:line: message`.
    fn error_of(src: &str) -> String {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("Product.wxs");
        std::fs::write(&path, src).unwrap();
        let mut opts = CompileOptions::new("x86");
        opts.current_dir = dir.path().to_path_buf();
        opts.threads = 1;
        let Err(err) = compile(&[path], &opts) else {
            panic!("the build must fail")
        };
        let file = err.location.file.file_name().unwrap().to_string_lossy();
        format!("{file}:{}: {}", err.location.line, err.message)
    }

    fn v4_package(ns: &str, body: &str) -> String {
        format!(
            "<Wix xmlns=\"{V4}\" {ns}>\n<Package Name=\"P\" Version=\"1.0.0\" Manufacturer=\"M\" \
             UpgradeCode=\"{{8E0B5A7C-1D2E-4F60-9A1B-2C3D4E5F6A7B}}\">\n{body}\n</Package>\n</Wix>\n"
        )
    }

    #[test]
    fn namespaces_map_to_extension_packages() {
        assert_eq!(
            extension_for("http://schemas.microsoft.com/wix/UtilExtension"),
            Some("WixToolset.Util.wixext")
        );
        assert_eq!(
            extension_for("http://schemas.microsoft.com/wix/IIsExtension"),
            Some("WixToolset.Iis.wixext")
        );
        assert_eq!(
            extension_for("http://wixtoolset.org/schemas/v4/wxs/netfx"),
            Some("WixToolset.Netfx.wixext")
        );
        assert_eq!(extension_for("http://wixtoolset.org/schemas/v4/wxs"), None);
        assert_eq!(extension_for("urn:example"), None);
    }

    #[test]
    fn v4_extension_element_is_one_located_line_with_the_source_prefix() {
        let src = v4_package(
            "xmlns:iis=\"http://wixtoolset.org/schemas/v4/wxs/iis\"",
            "<iis:WebSite Id=\"W\" Description=\"d\" />",
        );
        assert_eq!(
            error_of(&src),
            "Product.wxs:3: iis:WebSite needs WixToolset.Iis.wixext, which svcpack does not support"
        );
    }

    #[test]
    fn v3_extension_element_names_the_extension() {
        let src = format!(
            "<Wix xmlns=\"{V3}\" xmlns:netfx=\"http://schemas.microsoft.com/wix/NetFxExtension\">\n\
             <Product Id=\"*\" Name=\"P\" Language=\"1033\" Version=\"1.0.0\" Manufacturer=\"M\" \
             UpgradeCode=\"{{8E0B5A7C-1D2E-4F60-9A1B-2C3D4E5F6A7B}}\">\n\
             <Package InstallerVersion=\"200\" Compressed=\"yes\" />\n\
             <PropertyRef Id=\"NETFRAMEWORK45\" />\n\
             <netfx:NativeImage Id=\"n\" />\n\
             </Product>\n</Wix>\n"
        );
        assert_eq!(
            error_of(&src),
            "Product.wxs:5: netfx:NativeImage needs WixToolset.Netfx.wixext, which svcpack does not support"
        );
    }

    #[test]
    fn unhandled_util_element_names_the_util_extension() {
        let src = v4_package(
            "xmlns:u=\"http://wixtoolset.org/schemas/v4/wxs/util\"",
            "<u:CloseApplication Id=\"C\" Target=\"a.exe\" />",
        );
        assert_eq!(
            error_of(&src),
            "Product.wxs:3: u:CloseApplication needs WixToolset.Util.wixext, which svcpack does not support"
        );
    }

    #[test]
    fn extension_attribute_on_a_core_element_names_its_extension() {
        let src = v4_package(
            "xmlns:dep=\"http://wixtoolset.org/schemas/v4/wxs/dependency\"",
            "<Property Id=\"X\" Value=\"1\" dep:Foo=\"bar\" />",
        );
        assert_eq!(
            error_of(&src),
            "Product.wxs:3: dep:Foo needs WixToolset.Dependency.wixext, which svcpack does not support"
        );
    }

    #[test]
    fn an_extension_custom_action_dll_names_its_extension() {
        let src = format!(
            "<Wix xmlns=\"{V3}\">\n\
             <Product Id=\"*\" Name=\"P\" Language=\"1033\" Version=\"1.0.0\" Manufacturer=\"M\" \
             UpgradeCode=\"{{8E0B5A7C-1D2E-4F60-9A1B-2C3D4E5F6A7B}}\">\n\
             <Package InstallerVersion=\"200\" Compressed=\"yes\" />\n\
             <CustomAction Id=\"Launch\" BinaryKey=\"WixCA\" DllEntry=\"WixShellExec\" />\n\
             <InstallExecuteSequence><Custom Action=\"Launch\" After=\"InstallFinalize\" /></InstallExecuteSequence>\n\
             </Product>\n</Wix>\n"
        );
        assert_eq!(
            error_of(&src),
            "Product.wxs:4: Binary `WixCA` needs WixToolset.Util.wixext, which svcpack does not support"
        );
        assert_eq!(
            extension_binary("Wix4UtilCA_A64"),
            Some("WixToolset.Util.wixext")
        );
        assert_eq!(extension_binary("Wix4UtilCA"), None);
        assert_eq!(extension_binary("customactions.dll"), None);
    }

    #[test]
    fn an_extension_library_custom_action_names_its_extension() {
        let src = format!(
            "<Wix xmlns=\"{V3}\">\n\
             <Product Id=\"*\" Name=\"P\" Language=\"1033\" Version=\"1.0.0\" Manufacturer=\"M\" \
             UpgradeCode=\"{{8E0B5A7C-1D2E-4F60-9A1B-2C3D4E5F6A7B}}\">\n\
             <Package InstallerVersion=\"200\" Compressed=\"yes\" />\n\
             <CustomActionRef Id=\"WixBroadcastEnvironmentChange\" />\n\
             </Product>\n</Wix>\n"
        );
        assert_eq!(
            error_of(&src),
            "Product.wxs:4: CustomAction `WixBroadcastEnvironmentChange` needs WixToolset.Util.wixext, which svcpack does not support"
        );
        for (id, ext) in [
            (
                "Wix4BroadcastSettingChange_X64",
                Some("WixToolset.Util.wixext"),
            ),
            ("CAQuietExec64", Some("WixToolset.Util.wixext")),
            ("WixUIValidatePath_A64", Some("WixToolset.UI.wixext")),
            ("WixSetDefaultPerUserFolder", Some("WixToolset.UI.wixext")),
            ("Wix4BroadcastSettingChange", None),
            ("WixBroadcastSettingChange_X64", None),
            ("LaunchApplication", None),
        ] {
            assert_eq!(extension_custom_action(id), ext, "{id}");
        }
    }

    #[test]
    fn other_namespaces_stay_unsupported_namespace_errors() {
        let src = v4_package("xmlns:x=\"urn:example\"", "<x:Thing />");
        let e = error_of(&src);
        assert!(
            e.starts_with("Product.wxs:3: element `x:Thing` is in namespace `urn:example`"),
            "{e}"
        );
    }
}
