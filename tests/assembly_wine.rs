//! A Win32 side-by-side assembly under Wine: a small DLL built with the MinGW cross
//! compiler and its manifest are compiled by `cargo svcpack compile` into a package with
//! MsiAssembly/MsiAssemblyName rows; Wine's msiexec publishes the assembly through its sxs
//! assembly cache (MsiPublishAssemblies), which copies the manifest and the files it lists
//! into `C:\windows\winsxs`, and the uninstall takes them out again.
//!
//! Wine's cache wants every identity attribute (type, name, version,
//! processorArchitecture, publicKeyToken) and a `file` element per file, as Windows does.
//!
//! Skips with a loud notice without the Windows toolchain and Wine; fails instead with
//! `SVCPACK_REQUIRE_WINE=1` (CI).

mod support;

use std::path::Path;

use support::*;

const MANIFEST: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<assembly xmlns="urn:schemas-microsoft-com:asm.v1" manifestVersion="1.0">
  <assemblyIdentity type="win32" name="Svcpack.Test.Sxs" version="1.2.0.0"
      processorArchitecture="amd64" publicKeyToken="0123456789abcdef"/>
  <file name="svcsxs.dll"/>
</assembly>
"#;

const SOURCE: &str = r#"<Wix xmlns="http://wixtoolset.org/schemas/v4/wxs">
  <Package Name="Sxs Test" Manufacturer="svcpack tests" Version="1.0.0"
           UpgradeCode="5C0E9A4B-2D71-4E38-9F06-1B2C3D4E5F60">
    <MediaTemplate EmbedCab="yes" />
    <StandardDirectory Id="ProgramFiles6432Folder">
      <Directory Id="INSTALLDIR" Name="Sxs Test">
        <Component Id="Sxs">
          <File Id="SxsDll" Source="svcsxs.dll" Assembly="win32" AssemblyManifest="SxsManifest" />
          <File Id="SxsManifest" Source="svcsxs.manifest" />
        </Component>
      </Directory>
    </StandardDirectory>
  </Package>
</Wix>
"#;

/// `svcsxs.dll`: a DLL with one export, built with the MinGW cross compiler.
fn build_dll(linker: &Path, dir: &Path) -> Vec<u8> {
    std::fs::write(
        dir.join("svcsxs.c"),
        "__declspec(dllexport) int svcsxs_answer(void) { return 42; }\n",
    )
    .unwrap();
    let o = std::process::Command::new(linker)
        .current_dir(dir)
        .args(["-shared", "-O2", "-s", "-o", "svcsxs.dll", "svcsxs.c"])
        .output()
        .expect("running the MinGW compiler");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let dll = std::fs::read(dir.join("svcsxs.dll")).unwrap();
    assert_eq!(&dll[..2], b"MZ");
    dll
}

#[test]
fn win32_assembly_is_published_to_winsxs_and_removed_under_wine() {
    let Some(tc) = windows_toolchain() else {
        return;
    };
    let wine = WinePrefix::new();
    let work = wine.scratch_dir().join("sxs");
    std::fs::create_dir_all(&work).unwrap();
    let dll = build_dll(&tc.linker, &work);
    std::fs::write(work.join("svcsxs.manifest"), MANIFEST).unwrap();
    std::fs::write(work.join("pkg.wxs"), SOURCE).unwrap();
    let msi = work.join("pkg.msi");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_cargo-svcpack"))
        .current_dir(&work)
        .args(["compile", "-a", "x64", "pkg.wxs", "-o"])
        .arg(&msi)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    // The rows Windows Installer reads, as written into the database.
    let table = |t: &str| {
        msiinfo_export(&msi, t)
            .unwrap_or_else(|| panic!("msiinfo export {t}"))
            .lines()
            .skip(3)
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        table("MsiAssembly"),
        ["Sxs\tWixDefaultFeature\tSxsManifest\t\t1"]
    );
    let mut names = table("MsiAssemblyName");
    names.sort();
    assert_eq!(
        names,
        [
            "Sxs\tname\tSvcpack.Test.Sxs",
            "Sxs\tprocessorArchitecture\tamd64",
            "Sxs\tpublicKeyToken\t0123456789abcdef",
            "Sxs\ttype\twin32",
            "Sxs\tversion\t1.2.0.0",
        ]
    );
    let sequence = table("InstallExecuteSequence").join("\n");
    for action in ["MsiPublishAssemblies", "MsiUnpublishAssemblies"] {
        assert!(sequence.contains(&format!("{action}\t")), "{sequence}");
    }

    wine.msiexec_install(&msi).assert_success();
    // Wine's sxs cache names an assembly arch_name_token_version_none_deadbeef, lowercase.
    let winsxs = wine.drive_c().join("windows/winsxs");
    let id = "amd64_svcpack.test.sxs_0123456789abcdef_1.2.0.0_none_deadbeef";
    let manifest = winsxs.join("manifests").join(format!("{id}.manifest"));
    let published = winsxs.join(id).join("svcsxs.dll");
    assert!(
        manifest.is_file(),
        "{} missing; winsxs holds {:?}",
        manifest.display(),
        std::fs::read_dir(&winsxs).map(|d| d.flatten().map(|e| e.file_name()).collect::<Vec<_>>())
    );
    assert_eq!(std::fs::read(&published).unwrap(), dll);

    wine.msiexec_uninstall(&msi).assert_success();
    assert!(!manifest.exists(), "{} left behind", manifest.display());
    assert!(!published.exists(), "{} left behind", published.display());
}
