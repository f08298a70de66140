//! Release outputs of `cargo svcpack build`, read back with independent tools: the CycloneDX
//! SBOM (cyclonedx-python-lib's strict validator) and the winget manifests (check-jsonschema
//! against winget's published 1.10.0 schemas, stored in `tests/schemas/winget-1.10.0/`),
//! their digests checked against the MSI and the exe in the zip, their ProductCode and
//! UpgradeCode against the MSI's Property table (msiinfo); both byte-identical across
//! out-dirs under SOURCE_DATE_EPOCH; every file the MSI installs (msiextract), the service
//! host too, is in the SBOM with its SHA-256; bad `[release]` settings are one located error
//! with nothing written.
//!
//! The Python tools come from `scripts/setup --test`; without them these checks skip with a
//! notice, and fail where `SVCPACK_REQUIRE_TOOLS=1`.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::*;

const RELEASE: &str = "\n[package.metadata.svcpack.release]\n\
download-url = \"https://github.com/acme/example-service/releases/download/v{version}/{file}\"\n\
winget-id = \"Svcpack.ExampleService\"\n";

const STEM: &str = "example-service-0.1.0-x64";

/// True when `program args` runs; otherwise a notice, or a failure under
/// `SVCPACK_REQUIRE_TOOLS=1`.
fn tool(program: &str, args: &[&str], what: &str) -> bool {
    let ok = Command::new(program)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            !std::env::var_os("SVCPACK_REQUIRE_TOOLS").is_some_and(|v| v == "1"),
            "SVCPACK_REQUIRE_TOOLS=1 but {what} is missing (scripts/setup --test installs it)"
        );
        eprintln!("notice: skipping a check: {what} is missing (scripts/setup --test)");
    }
    ok
}

fn python_tools() -> bool {
    tool(
        "python3",
        &["-c", "import cyclonedx.validation.json"],
        "cyclonedx-python-lib[json-validation]",
    ) && tool("check-jsonschema", &["--version"], "check-jsonschema")
        && tool("msiinfo", &["--version"], "msiinfo (msitools)")
        && tool("msiextract", &["--version"], "msiextract (msitools)")
}

fn validate(out: &Path, expect_purl: bool) {
    validate_package(out, STEM, "example-service.exe", expect_purl);
}

fn validate_package(out: &Path, stem: &str, exe_name: &str, expect_purl: bool) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut cmd = Command::new("python3");
    cmd.arg(root.join("tests/release/validate.py"))
        .arg(out)
        .arg(stem)
        .arg(exe_name)
        .arg(root.join("tests/schemas/winget-1.10.0"));
    if expect_purl {
        cmd.arg("--expect-purl");
    }
    let o = cmd.output().unwrap();
    assert!(
        o.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

fn example_with_release(work: &Path) -> PathBuf {
    let dir = copy_fixture("example-service", &work.join("svc"));
    let manifest = dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, format!("{text}{RELEASE}")).unwrap();
    dir
}

fn build(tc: &WindowsToolchain, dir: &Path, out: &Path, extra: &[&str]) {
    let o = tc
        .svcpack()
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", fixtures_target_dir())
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .args(["build", "--target", tc.target(), "--out-dir"])
        .arg(out)
        .args(extra)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn sbom_and_winget_manifests_validate_and_name_the_final_digests() {
    let Some(tc) = windows_toolchain() else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let dir = example_with_release(work.path());
    let (a, b) = (work.path().join("a"), work.path().join("b"));
    build(tc, &dir, &a, &[]);
    build(tc, &dir, &b, &[]);
    let files = tree(&a);
    for name in [
        format!("{STEM}.cdx.json"),
        "winget/Svcpack.ExampleService.yaml".into(),
        "winget/Svcpack.ExampleService.installer.yaml".into(),
        "winget/Svcpack.ExampleService.locale.en-US.yaml".into(),
    ] {
        assert!(
            files.contains_key(&name),
            "{name} missing: {:?}",
            files.keys()
        );
    }
    assert_eq!(files, tree(&b), "the out-dirs differ");
    // Filled from the crate's metadata (Cargo.toml and its svcpack table) and the build.
    let text = |name: &str| String::from_utf8(files[name].clone()).unwrap();
    let locale = text("winget/Svcpack.ExampleService.locale.en-US.yaml");
    let installer = text("winget/Svcpack.ExampleService.installer.yaml");
    let version = text("winget/Svcpack.ExampleService.yaml");
    for (manifest, line) in [
        (&locale, "Publisher: \"svcpack developers\""),
        (&locale, "PackageName: \"svcpack Example Service\""),
        (&locale, "PackageUrl: \"https://example.invalid/svcpack\""),
        (&locale, "License: \"MIT\""),
        (
            &locale,
            "ShortDescription: \"Example Windows service that answers HTTP on 127.0.0.1 (svcpack end-to-end fixture)\"",
        ),
        (&installer, "PackageVersion: \"0.1.0\""),
        (&installer, "InstallerType: wix"),
        (&installer, "Scope: machine"),
        (&installer, "- Architecture: x64"),
        (
            &installer,
            "  InstallerUrl: \"https://github.com/acme/example-service/releases/download/v0.1.0/example-service-0.1.0-x64.msi\"",
        ),
        (&version, "DefaultLocale: \"en-US\""),
    ] {
        assert!(manifest.lines().any(|l| l == line), "`{line}` missing:\n{manifest}");
    }
    if python_tools() {
        validate(&a, true);
    }
}

#[test]
fn prebuilt_binary_sbom_carries_what_is_known() {
    let Some(tc) = windows_toolchain() else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let exe = build_fixture("example-service");
    let dir = copy_fixture("example-service", &work.path().join("svc"));
    let out = work.path().join("out");
    build(
        tc,
        &dir,
        &out,
        &["--no-build", "--binary", exe.to_str().unwrap()],
    );
    assert!(
        !out.join("winget").exists(),
        "winget manifests without winget-id"
    );
    if python_tools() {
        validate(&out, false);
    }
}

/// A hosted service's SBOM lists the service host and its configuration, as installed.
#[test]
fn hosted_service_sbom_lists_the_host() {
    let Some(tc) = windows_toolchain() else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let dir = copy_fixture("console-app", &work.path().join("app"));
    let out = work.path().join("out");
    let o = tc
        .svcpack()
        .current_dir(&dir)
        // Shared with the host's end-to-end tests: the host is built once.
        .env("CARGO_TARGET_DIR", fixtures_target_dir().join("host-wine"))
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .args(["build", "--target", tc.target(), "--out-dir"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let sbom = std::fs::read_to_string(out.join("console-app-0.1.0-x64.cdx.json")).unwrap();
    for name in ["svcpack-host.exe", "svcpack-host.conf"] {
        assert!(
            sbom.contains(&format!("\"{name}\"")),
            "{name} not in the SBOM"
        );
    }
    if python_tools() {
        validate_package(&out, "console-app-0.1.0-x64", "console-app.exe", true);
    }
}

fn crate_with(dir: &Path, metadata: &str) -> PathBuf {
    let root = dir.join("svc");
    std::fs::create_dir_all(root.join("src")).unwrap();
    std::fs::write(
        root.join("Cargo.toml"),
        format!(
            "[package]\nname = \"ledger-agent\"\nversion = \"1.0.0\"\nedition = \"2021\"\n\
             authors = [\"Example Ltd <ops@example.com>\"]\n\n[workspace]\n\n\
             [package.metadata.svcpack]\nupgrade-code = \"8E0B5A7C-1D2E-4F60-8A9B-0C1D2E3F4A5B\"\n\n\
             [package.metadata.svcpack.release]\n{metadata}"
        ),
    )
    .unwrap();
    std::fs::write(root.join("src/main.rs"), "fn main() {}\n").unwrap();
    root
}

#[test]
fn bad_release_settings_are_one_located_error() {
    let url = "download-url = \"https://example.com/v{version}/{file}\"\n";
    for (metadata, needles) in [
        (
            format!("{url}winget-id = \"Acme\"\n"),
            vec![
                "Cargo.toml:14:",
                "release.winget-id",
                "not a winget package identifier",
            ],
        ),
        (
            format!("{url}winget-id = \"Acme.Ledger Agent\"\n"),
            vec!["Cargo.toml:14:", "release.winget-id"],
        ),
        (
            "download-url = \"https://example.com/v{version}/agent.msi\"\n".into(),
            vec!["Cargo.toml:13:", "release.download-url", "{file}"],
        ),
        (
            "download-url = \"http://example.com/{file}\"\n".into(),
            vec!["Cargo.toml:13:", "release.download-url", "https://"],
        ),
        (
            "winget-id = \"Acme.LedgerAgent\"\n".into(),
            vec!["Cargo.toml:13:", "release.winget-id", "download-url"],
        ),
        (
            format!("{url}winget = \"Acme.LedgerAgent\"\n"),
            vec!["release.winget", "did you mean `winget-id`"],
        ),
    ] {
        let work = tempfile::tempdir().unwrap();
        let root = crate_with(work.path(), &metadata);
        let out = work.path().join("out");
        let o = Command::new(env!("CARGO_BIN_EXE_cargo-svcpack"))
            .args([
                "svcpack",
                "build",
                "--target",
                "x86_64-pc-windows-gnu",
                "--out-dir",
            ])
            .arg(&out)
            .arg("--manifest-path")
            .arg(root.join("Cargo.toml"))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert_eq!(
            err.lines().filter(|l| l.starts_with("error")).count(),
            1,
            "{err}"
        );
        for n in needles {
            assert!(err.contains(n), "expected `{n}` in:\n{err}");
        }
        assert!(!err.contains("panicked"), "{err}");
        assert!(!out.exists(), "the out-dir was created");
    }
}
