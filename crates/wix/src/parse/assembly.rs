//! A `File` as a side-by-side assembly: its `Assembly`, `AssemblyManifest`,
//! `AssemblyApplication` and `ProcessorArchitecture` attributes, which give its component
//! an MsiAssembly row, and its `AssemblyName` children, MsiAssemblyName rows (WiX's
//! Compiler.cs ParseFileElementOtherAttributes and ParseAssemblyName).
//!
//! Only Win32 assemblies are built: the identity of a .NET assembly comes from its CLR
//! metadata, which svcpack does not read. A Win32 assembly's identity comes from its
//! manifest, read when the package is lowered (`lower/assemblies.rs`), where the manifest's
//! source file is known.

use super::component::Comp;
use super::{no_children, Attrs, Parser};
use crate::error::Result;
use crate::model::{Val, ADVERTISED_TARGET};
use crate::xml::Element;

/// MsiAssembly.Attributes of a Win32 assembly (MsiAssembly table,
/// https://learn.microsoft.com/windows/win32/msi/msiassembly-table: 0 is a .NET assembly,
/// 1 a Win32 one).
const WIN32_ASSEMBLY: i32 = 1;

/// What a File's assembly attributes said, once read and checked.
pub(super) struct FileAssembly {
    manifest: String,
    application: Option<String>,
}

/// Reads the assembly attributes of a `File` (before its `Attrs::finish`). `key_path` is
/// the file's `KeyPath`; `Some` when the file is a Win32 assembly.
pub(super) fn assembly_attributes(
    p: &mut Parser,
    a: &mut Attrs,
    comp: &Comp,
    key_path: Option<bool>,
) -> Result<Option<FileAssembly>> {
    let win32 = match a.opt("Assembly") {
        None | Some("no") => false,
        // WiX v3 reads an empty value as "not an assembly" (Compiler.cs ParseFileElement);
        // v4+ rejects empty attribute values.
        Some("") if !p.v4() => false,
        Some("win32") => true,
        Some(".net") => {
            return Err(a.err(
                "`Assembly=\".net\"` is not supported: a .NET assembly's MsiAssemblyName rows \
                 (name, culture, version, publicKeyToken, processorArchitecture) come from its \
                 CLR metadata, which svcpack does not read; only Win32 side-by-side assemblies \
                 (`Assembly=\"win32\"` with `AssemblyManifest`) are built",
            ))
        }
        Some(v) => {
            return Err(a.err(format!(
                "attribute `Assembly` is `{v}`; allowed: no, win32, .net"
            )))
        }
    };
    let manifest = a.id("AssemblyManifest")?;
    let application = a.id("AssemblyApplication")?;
    // The architecture only reaches the MsiAssemblyName rows of .NET assemblies; for a
    // Win32 one the manifest says it. Its values are still checked as WiX does; v3 also
    // knew arm and ia64.
    let arch_values: &[&str] = if p.v4() {
        &["msil", "x86", "x64", "arm64", ""]
    } else {
        &["msil", "x86", "x64", "arm", "arm64", "ia64", ""]
    };
    a.choice("ProcessorArchitecture", arch_values)?;
    for id in manifest.iter().chain(application.iter()) {
        p.sec().reference("File", id.clone(), a.loc());
    }
    if !win32 {
        for (attr, v) in [
            ("AssemblyManifest", &manifest),
            ("AssemblyApplication", &application),
        ] {
            if v.is_some() {
                return Err(a.err(format!(
                    "`{attr}` needs `Assembly` (win32): only an assembly has a manifest or \
                     a private application"
                )));
            }
        }
        return Ok(None);
    }
    let Some(manifest) = manifest else {
        return Err(a.err(
            "missing attribute `AssemblyManifest`, which is required when `Assembly` is \
             `win32`: the assembly's identity (MsiAssemblyName) is read from that File",
        ));
    };
    // The assembly file is its component's key path, never the manifest (MsiAssembly table,
    // https://learn.microsoft.com/windows/win32/msi/msiassembly-table: "For Win32
    // assemblies, the component KeyPath cannot be the manifest file"). WiX asks for an
    // explicit KeyPath="yes" but lets a Guid="*" component leave it implicit.
    if key_path != Some(true) && !comp.auto_guid {
        return Err(a.err(
            "a file with `Assembly=\"win32\"` must be its component's key path: set \
             `KeyPath=\"yes\"` (only a component with Guid=\"*\" may leave it implicit)",
        ));
    }
    Ok(Some(FileAssembly {
        manifest,
        application,
    }))
}

/// The MsiAssembly row of `comp`. Its Feature_ is the component's primary feature, which
/// only the linker knows ([`crate::advertise::resolve_primary_features`]).
pub(super) fn assembly_row(p: &mut Parser, el: &Element, comp: &Comp, asm: FileAssembly) {
    p.sec().row(
        "MsiAssembly",
        &el.loc,
        vec![
            comp.id.clone().into(),
            ADVERTISED_TARGET.into(),
            asm.manifest.into(),
            Val::opt_str(asm.application),
            WIN32_ASSEMBLY.into(),
        ],
    );
}

/// `AssemblyName`: an authored MsiAssemblyName row of the file's component. A value the
/// manifest also gives is replaced by the manifest's (WiX's UpdateFileFacadesCommand).
pub(super) fn assembly_name(p: &mut Parser, el: &Element, comp: &Comp) -> Result<()> {
    let mut a = Attrs::new(el);
    let name = a.req("Id")?.to_string();
    // The Value column cannot be null (MsiAssemblyName table,
    // https://learn.microsoft.com/windows/win32/msi/msiassemblyname-table).
    let value = a.req("Value")?.to_string();
    a.finish()?;
    no_children(el)?;
    p.sec().row(
        "MsiAssemblyName",
        &el.loc,
        vec![comp.id.clone().into(), name.into(), value.into()],
    );
    Ok(())
}

/// Win32 assemblies end to end on small sources (parse → link → lower), against what WiX
/// builds for the same authoring.
#[cfg(test)]
mod tests {
    use crate::test_support::lines;
    use crate::{compile, CompileOptions, Compiled};

    const V3: &str = "http://schemas.microsoft.com/wix/2006/wi";
    const V4: &str = "http://wixtoolset.org/schemas/v4/wxs";

    const MANIFEST: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<assembly xmlns="urn:schemas-microsoft-com:asm.v1" manifestVersion="1.0">
  <assemblyIdentity type="win32" name="Example.Sxs" version="1.2.3.4" processorArchitecture="x86" language="*"/>
  <file name="sxs.dll"/>
</assembly>
"#;

    /// Compiles `source` in a directory holding `sxs.dll` and, unless `manifest` is
    /// `None`, `sxs.manifest` with that text.
    fn build(source: &str, manifest: Option<&str>) -> crate::Result<Compiled> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("sxs.dll"), "not really a DLL").unwrap();
        if let Some(m) = manifest {
            std::fs::write(dir.path().join("sxs.manifest"), m).unwrap();
        }
        let path = dir.path().join("t.wxs");
        std::fs::write(&path, source).unwrap();
        let mut opts = CompileOptions::new("x86");
        opts.current_dir = dir.path().to_path_buf();
        opts.threads = 1;
        compile(&[path], &opts)
    }

    fn err(r: crate::Result<Compiled>) -> String {
        match r {
            Ok(_) => panic!("expected an error"),
            Err(e) => e.to_string(),
        }
    }

    /// A v4 package with `file_attrs` on the assembly file of component `C` (line 4) and
    /// `children` inside it; the manifest is File `M` of the same component.
    fn v4(comp_attrs: &str, file_attrs: &str, children: &str) -> String {
        format!(
            r#"<Wix xmlns="{V4}"><Package Name="T" Manufacturer="M" Version="1.0" UpgradeCode="9D1B8F0C-6E2A-4B57-8C33-0F4E5A6B7C82">
<Feature Id="Main"><Feature Id="Sub"><ComponentRef Id="C"/></Feature></Feature>
<Component Id="C" Directory="INSTALLFOLDER" {comp_attrs}>
<File Id="A" Source="sxs.dll" {file_attrs}>{children}</File>
<File Id="M" Source="sxs.manifest"/>
</Component>
<StandardDirectory Id="ProgramFiles6432Folder"><Directory Id="INSTALLFOLDER" Name="T"/></StandardDirectory>
</Package></Wix>"#
        )
    }

    #[test]
    fn win32_assembly_rows_follow_wix_in_v4() {
        let c = build(
            &v4("", r#"Assembly="win32" AssemblyManifest="M""#, ""),
            Some(MANIFEST),
        )
        .unwrap();
        // Feature_ is the component's primary feature, Attributes 1 for Win32.
        assert_eq!(lines(&c, "MsiAssembly"), vec!["C\tSub\tM\t\t1"]);
        assert_eq!(
            lines(&c, "MsiAssemblyName"),
            vec![
                "C\tname\tExample.Sxs",
                "C\tprocessorArchitecture\tx86",
                "C\ttype\twin32",
                "C\tversion\t1.2.3.4",
            ]
        );
        // WiX schedules the assembly actions whenever MsiAssembly has rows, at their
        // standard sequence numbers (WindowsInstallerStandard.cs).
        for (table, action) in [
            ("InstallExecuteSequence", "MsiPublishAssemblies\t\t6250"),
            ("InstallExecuteSequence", "MsiUnpublishAssemblies\t\t1750"),
            ("AdvtExecuteSequence", "MsiPublishAssemblies\t\t6250"),
        ] {
            assert!(
                lines(&c, table).iter().any(|r| r == action),
                "{table} lacks {action}: {:?}",
                lines(&c, table)
            );
        }
        let c = build(&v4("", "", ""), Some(MANIFEST)).unwrap();
        assert!(lines(&c, "MsiAssembly").is_empty());
        assert!(!lines(&c, "InstallExecuteSequence")
            .iter()
            .any(|r| r.starts_with("MsiPublishAssemblies\t")));
    }

    #[test]
    fn win32_assembly_in_v3_with_application_and_authored_names() {
        let src = format!(
            r#"<Wix xmlns="{V3}"><Product Id="*" Name="T" Language="1033" Version="1.0.0" Manufacturer="M" UpgradeCode="9D1B8F0C-6E2A-4B57-8C33-0F4E5A6B7C82">
<Package Compressed="yes"/><Media Id="1" Cabinet="t.cab" EmbedCab="yes"/>
<Directory Id="TARGETDIR" Name="SourceDir"><Directory Id="ProgramFilesFolder"><Directory Id="INSTALLDIR" Name="T">
<Component Id="C" Guid="{{0B8E3A52-43D2-4E0B-9E52-1D8A1F0C2B11}}">
<File Id="A" Source="sxs.dll" KeyPath="yes" Assembly="win32" AssemblyManifest="M" AssemblyApplication="App" ProcessorArchitecture="ia64">
<AssemblyName Id="version" Value="9.9.9.9"/><AssemblyName Id="culture" Value="neutral"/></File>
<File Id="M" Source="sxs.manifest"/><File Id="App" Name="app.exe" Source="sxs.dll"/>
</Component>
<Component Id="D" Guid="*"><File Id="N" Name="n.dll" Source="sxs.dll" Assembly=""/></Component>
</Directory></Directory></Directory>
<Feature Id="F" Level="1"><ComponentRef Id="C"/><ComponentRef Id="D"/></Feature>
</Product></Wix>"#
        );
        let c = build(&src, Some(MANIFEST)).unwrap();
        assert_eq!(lines(&c, "MsiAssembly"), vec!["C\tF\tM\tApp\t1"]);
        // The manifest's version replaces the authored one; an authored name the manifest
        // does not give stays.
        assert_eq!(
            lines(&c, "MsiAssemblyName"),
            vec![
                "C\tculture\tneutral",
                "C\tname\tExample.Sxs",
                "C\tprocessorArchitecture\tx86",
                "C\ttype\twin32",
                "C\tversion\t1.2.3.4",
            ]
        );
        // ia64 and arm are v3 spellings only.
        let e = err(build(
            &v4(
                "",
                r#"Assembly="win32" AssemblyManifest="M" ProcessorArchitecture="ia64""#,
                "",
            ),
            Some(MANIFEST),
        ));
        assert!(
            e.contains("t.wxs:4:") && e.contains("ProcessorArchitecture") && e.contains("ia64"),
            "{e}"
        );
    }

    #[test]
    fn a_win32_assembly_is_its_components_key_path() {
        // An explicit Guid needs KeyPath="yes" (Compiler.cs ParseFileElementOtherAttributes).
        let guid = r#"Guid="{0B8E3A52-43D2-4E0B-9E52-1D8A1F0C2B11}""#;
        let e = err(build(
            &v4(guid, r#"Assembly="win32" AssemblyManifest="M""#, ""),
            Some(MANIFEST),
        ));
        assert!(
            e.contains("t.wxs:4:") && e.contains("KeyPath=\"yes\""),
            "{e}"
        );
        let e = err(build(
            &v4(
                guid,
                r#"Assembly="win32" AssemblyManifest="M" KeyPath="no""#,
                "",
            ),
            Some(MANIFEST),
        ));
        assert!(e.contains("t.wxs:4:") && e.contains("key path"), "{e}");
        let c = build(
            &v4(
                guid,
                r#"Assembly="win32" AssemblyManifest="M" KeyPath="yes""#,
                "",
            ),
            Some(MANIFEST),
        )
        .unwrap();
        assert_eq!(lines(&c, "MsiAssembly"), vec!["C\tSub\tM\t\t1"]);
        assert!(lines(&c, "Component")[0].ends_with("\tA"));
    }

    #[test]
    fn bad_assembly_authoring_is_one_located_error() {
        let cases: [(&str, &str, Option<&str>, &[&str]); 7] = [
            (
                r#"Assembly=".net""#,
                "",
                Some(MANIFEST),
                &[".net", "CLR metadata", "win32"],
            ),
            (
                r#"Assembly="win32""#,
                "",
                Some(MANIFEST),
                &["AssemblyManifest", "required"],
            ),
            (
                r#"AssemblyManifest="M""#,
                "",
                Some(MANIFEST),
                &["needs `Assembly`"],
            ),
            (
                r#"Assembly="com""#,
                "",
                Some(MANIFEST),
                &["`Assembly` is `com`", "win32, .net"],
            ),
            // The manifest's source file does not exist.
            (
                r#"Assembly="win32" AssemblyManifest="M""#,
                "",
                None,
                &["cannot read its manifest", "sxs.manifest"],
            ),
            // A manifest without an identity, and one that is not XML.
            (
                r#"Assembly="win32" AssemblyManifest="M""#,
                "",
                Some(
                    r#"<assembly xmlns="urn:schemas-microsoft-com:asm.v1"><file name="a"/></assembly>"#,
                ),
                &["assembly/assemblyIdentity", "sxs.manifest"],
            ),
            (
                r#"Assembly="win32" AssemblyManifest="M""#,
                "",
                Some("<assembly>\n<assemblyIdentity name='x'>\n</assembly>"),
                &["not valid XML", "3:", "sxs.manifest"],
            ),
        ];
        for (attrs, children, manifest, needles) in cases {
            let e = err(build(&v4("", attrs, children), manifest));
            assert!(e.contains("t.wxs:4:"), "{attrs}: {e}");
            for n in needles {
                assert!(e.contains(n), "{attrs}: `{n}` not in {e}");
            }
        }
        // The manifest as the component's key path (ICE83): first in a Guid="*" component.
        let src = v4("", r#"Assembly="win32" AssemblyManifest="M""#, "")
            .replace("<File Id=\"M\" Source=\"sxs.manifest\"/>\n", "");
        let src = src.replace(
            "<File Id=\"A\"",
            "<File Id=\"M\" Source=\"sxs.manifest\"/>\n<File Id=\"A\"",
        );
        let e = err(build(&src, Some(MANIFEST)));
        assert!(e.contains("t.wxs:5:") && e.contains("ICE83"), "{e}");
        // A manifest that is not a File of the package.
        let e = err(build(
            &v4("", r#"Assembly="win32" AssemblyManifest="Nope""#, ""),
            Some(MANIFEST),
        ));
        assert!(e.contains("t.wxs:4:") && e.contains("Nope"), "{e}");
        // AssemblyName needs a value: MsiAssemblyName.Value cannot be null.
        let e = err(build(
            &v4(
                "",
                r#"Assembly="win32" AssemblyManifest="M""#,
                "\n<AssemblyName Id=\"culture\"/>",
            ),
            Some(MANIFEST),
        ));
        assert!(e.contains("t.wxs:5:") && e.contains("Value"), "{e}");
    }
}
