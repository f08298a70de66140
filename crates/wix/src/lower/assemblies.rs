//! Win32 assembly identities: each Win32 MsiAssembly row's manifest file is read for its
//! `assembly/assemblyIdentity` element, whose attributes become the component's
//! MsiAssemblyName rows, as WiX's binder does (UpdateFileFacadesCommand with
//! AssemblyNameReader.ReadAssemblyManifest).
//!
//! WiX writes `name`, `version`, `type`, `processorArchitecture` and `publicKeyToken`, each
//! only when present and non-empty, with the attribute's value as written; `language` is not
//! read. A value the manifest gives replaces an authored `AssemblyName` of the same name.

use std::path::Path;

use crate::error::{Location, Result, WixError};
use crate::model::{ComponentDef, FileDef, KeyPath, Row, Val};

/// The assemblyIdentity attributes WiX copies into MsiAssemblyName, in its order.
const IDENTITY_ATTRIBUTES: [&str; 5] = [
    "name",
    "version",
    "type",
    "processorArchitecture",
    "publicKeyToken",
];

/// Adds (or replaces) the MsiAssemblyName rows of every Win32 assembly in `rows`.
pub(super) fn assembly_names(
    rows: &mut Vec<Row>,
    files: &[FileDef],
    components: &[ComponentDef],
) -> Result<()> {
    let win32: Vec<(String, String, Location)> = rows
        .iter()
        .filter(|r| r.table == "MsiAssembly" && matches!(r.values[4], Val::Int(1)))
        .map(|r| {
            (
                r.values[0].text(),
                r.values[2].as_str().unwrap_or_default().to_string(),
                r.loc.clone(),
            )
        })
        .collect();
    for (component, manifest_id, loc) in win32 {
        let manifest = files.iter().find(|f| f.id == manifest_id).ok_or_else(|| {
            WixError::new(
                loc.clone(),
                format!(
                    "the Win32 assembly of component `{component}` names manifest File \
                     `{manifest_id}`, which is not in this package"
                ),
            )
        })?;
        check_key_path(components, &component, &manifest_id, &loc)?;
        let identity = read_manifest(&manifest.source, &manifest_id).map_err(|e| {
            WixError::new(
                loc.clone(),
                format!("Win32 assembly of component `{component}`: {e}"),
            )
        })?;
        for (name, value) in identity {
            let existing = rows.iter_mut().find(|r| {
                r.table == "MsiAssemblyName"
                    && r.values[0].as_str() == Some(component.as_str())
                    && r.values[1].as_str() == Some(name)
            });
            match existing {
                Some(r) => r.values[2] = Val::Str(value),
                None => rows.push(Row {
                    table: "MsiAssemblyName",
                    values: vec![component.clone().into(), name.into(), value.into()],
                    loc: loc.clone(),
                }),
            }
        }
    }
    Ok(())
}

/// A Win32 assembly's component must not have the manifest as its key path (MsiAssembly
/// table, https://learn.microsoft.com/windows/win32/msi/msiassembly-table: "For Win32
/// assemblies, the component KeyPath cannot be the manifest file"; ICE83 reports it). WiX
/// builds such a package; it happens when a Guid="*" component lists the manifest first.
fn check_key_path(
    components: &[ComponentDef],
    component: &str,
    manifest_id: &str,
    loc: &Location,
) -> Result<()> {
    let Some(c) = components.iter().find(|c| c.id == component) else {
        return Ok(());
    };
    let key = c.explicit_key.as_ref().or(c.default_key.as_ref());
    if key == Some(&KeyPath::File(manifest_id.to_string())) {
        return Err(WixError::new(
            loc.clone(),
            format!(
                "the key path of component `{component}` is its Win32 assembly's manifest \
                 File `{manifest_id}`, which Windows Installer does not allow (ICE83): make the \
                 assembly file the key path (`KeyPath=\"yes\"`, or list it first)"
            ),
        ));
    }
    Ok(())
}

/// The identity attributes of the manifest at `path` (the source of File `file_id`), or
/// why it has none, for the caller to locate.
fn read_manifest(
    path: &Path,
    file_id: &str,
) -> std::result::Result<Vec<(&'static str, String)>, String> {
    let shown = path.display();
    let bytes = std::fs::read(path)
        .map_err(|e| format!("cannot read its manifest `{shown}` (File `{file_id}`): {e}"))?;
    let text = crate::preprocess::decode::decode(&bytes, path)
        .map_err(|e| format!("its manifest `{shown}` (File `{file_id}`) cannot be decoded: {e}"))?;
    manifest_identity(&text).map_err(|e| format!("its manifest `{shown}` (File `{file_id}`) {e}"))
}

/// The identity attributes of a manifest's text, in WiX's order, empty ones left out.
///
/// WiX compares qualified names, so it finds only unprefixed `assembly`/`assemblyIdentity`
/// elements; local names are compared here, so a manifest written with a prefix (e.g.
/// `asmv1:assembly`, which Windows accepts) is read too. The attributes are unqualified.
fn manifest_identity(text: &str) -> std::result::Result<Vec<(&'static str, String)>, String> {
    let doc = roxmltree::Document::parse(text).map_err(|e| format!("is not valid XML: {e}"))?;
    let root = doc.root_element();
    let identity = (root.tag_name().name() == "assembly")
        .then(|| {
            root.children()
                .find(|n| n.is_element() && n.tag_name().name() == "assemblyIdentity")
        })
        .flatten()
        .ok_or_else(|| {
            "does not have the required assembly/assemblyIdentity element, which gives the \
             assembly's name and version"
                .to_string()
        })?;
    Ok(IDENTITY_ATTRIBUTES
        .iter()
        .filter_map(|a| {
            identity
                .attribute(*a)
                .filter(|v| !v.is_empty())
                .map(|v| (*a, v.to_string()))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_attributes_in_wix_order_without_language_or_empty_ones() {
        let m = r#"<?xml version="1.0"?>
<assembly manifestVersion="1.0" xmlns="urn:schemas-microsoft-com:asm.v1">
  <!-- a comment first -->
  <description>d</description>
  <assemblyIdentity language="*" publicKeyToken="6595b64144ccf1df" processorArchitecture="x86"
      version="1.2.3.4" name="Example.Sxs" type="win32" extra="" />
  <assemblyIdentity name="second" />
</assembly>"#;
        assert_eq!(
            manifest_identity(m).unwrap(),
            vec![
                ("name", "Example.Sxs".to_string()),
                ("version", "1.2.3.4".to_string()),
                ("type", "win32".to_string()),
                ("processorArchitecture", "x86".to_string()),
                ("publicKeyToken", "6595b64144ccf1df".to_string()),
            ]
        );
        let m = r#"<assembly xmlns="urn:schemas-microsoft-com:asm.v1"><assemblyIdentity name="N" version="" type="win32"/></assembly>"#;
        assert_eq!(
            manifest_identity(m).unwrap(),
            vec![("name", "N".to_string()), ("type", "win32".to_string())]
        );
    }

    #[test]
    fn a_prefixed_manifest_is_read() {
        let m = r#"<asmv1:assembly xmlns:asmv1="urn:schemas-microsoft-com:asm.v1" manifestVersion="1.0">
<asmv1:assemblyIdentity name="P" version="2.0.0.0"/></asmv1:assembly>"#;
        assert_eq!(
            manifest_identity(m).unwrap(),
            vec![
                ("name", "P".to_string()),
                ("version", "2.0.0.0".to_string())
            ]
        );
    }

    #[test]
    fn a_manifest_without_assembly_identity_is_refused() {
        for m in [
            r#"<assembly xmlns="urn:schemas-microsoft-com:asm.v1"><trustInfo/></assembly>"#,
            r#"<assembly xmlns="urn:schemas-microsoft-com:asm.v1"/>"#,
            r#"<other><assemblyIdentity name="N"/></other>"#,
            // Only a child of `assembly` counts.
            r#"<assembly><dependency><assemblyIdentity name="N"/></dependency></assembly>"#,
        ] {
            let e = manifest_identity(m).unwrap_err();
            assert!(e.contains("assembly/assemblyIdentity"), "{m}: {e}");
        }
    }

    #[test]
    fn bad_xml_says_where() {
        let e =
            manifest_identity("<assembly>\n<assemblyIdentity name='N'>\n</assembly>").unwrap_err();
        assert!(e.starts_with("is not valid XML") && e.contains("3:"), "{e}");
    }
}
