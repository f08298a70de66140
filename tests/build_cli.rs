//! `cargo svcpack build` through the real binary, without installing anything:
//! bad input gives one clear line, exit status 1, no panic and an
//! untouched out-dir; two builds in different out-dirs are byte-identical; JSON progress is
//! one object per line; a build that fails late leaves the out-dir exactly as it was.
//!
//! Builds that need the Windows toolchain skip with a notice without it (fail with
//! `SVCPACK_REQUIRE_WINE=1`); the configuration errors need only cargo metadata.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use support::*;

const SERVICE: &str = r#"
[package.metadata.svcpack]
upgrade-code = "8E0B5A7C-1D2E-4F60-8A9B-0C1D2E3F4A5B"

[package.metadata.svcpack.service]
name = "LedgerAgent"
start = "auto"
arguments = ["--port", "18431"]

[package.metadata.svcpack.service.recovery]
actions = ["restart", "none"]
delays-secs = [5, 0]
"#;

/// A throwaway crate with `metadata` appended to its Cargo.toml.
fn crate_with(dir: &Path, version: &str, metadata: &str, main_rs: &str) -> PathBuf {
    let root = dir.join("svc");
    std::fs::create_dir_all(root.join("src")).unwrap();
    std::fs::write(
        root.join("Cargo.toml"),
        format!("[package]\nname = \"ledger-agent\"\nversion = \"{version}\"\nedition = \"2021\"\nauthors = [\"Example Ltd <ops@example.com>\"]\n\n[workspace]\n{metadata}"),
    )
    .unwrap();
    std::fs::write(root.join("src/main.rs"), main_rs).unwrap();
    root
}

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cargo-svcpack"));
    c.arg("svcpack");
    c
}

fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut m = BTreeMap::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            m.insert(
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap_or_default(),
            );
        }
    }
    m
}

/// Runs a build expected to fail and checks the failure is clean.
fn assert_build_fails(root: &Path, extra: &[&str], needles: &[&str]) -> String {
    let out = root.parent().unwrap().join("out");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("previous.txt"), "from an earlier build").unwrap();
    let before = snapshot(&out);
    let o: Output = bin()
        .arg("build")
        .arg("--manifest-path")
        .arg(root.join("Cargo.toml"))
        .arg("--target")
        .arg("x86_64-pc-windows-gnu")
        .arg("--out-dir")
        .arg(&out)
        .args(extra)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(1), "expected exit 1; stderr:\n{err}");
    assert!(!err.contains("panicked"), "{err}");
    for n in needles {
        assert!(err.contains(n), "expected `{n}` in:\n{err}");
    }
    assert_eq!(snapshot(&out), before, "the out-dir changed");
    err
}

fn config_error(metadata: &str, needles: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let root = crate_with(dir.path(), "1.0.0", metadata, "fn main() {}\n");
    std::fs::write(root.join("LICENSE"), "MIT").unwrap();
    let err = assert_build_fails(&root, &[], needles);
    // One clear line: the cause is on the first line (cargo prints nothing before it).
    let first = err.lines().next().unwrap_or_default();
    assert!(first.starts_with("error: "), "{err}");
}

#[test]
fn configuration_errors_are_one_clear_line() {
    let with = |from: &str, to: &str| SERVICE.replace(from, to);
    config_error(
        &with("name = \"LedgerAgent\"", "name = \"Ledger/Agent\""),
        &["Cargo.toml:", "service.name", "/"],
    );
    config_error(
        &with("start = \"auto\"", "start = \"sometimes\""),
        &["Cargo.toml:", "service.start", "auto"],
    );
    config_error(
        &with("start = \"auto\"", "start = \"auto\"\naccount = \"\""),
        &["service.account"],
    );
    config_error(
        &with(
            "actions = [\"restart\", \"none\"]",
            "actions = [\"restart\", \"explode\"]",
        ),
        &["recovery.actions", "restart"],
    );
    config_error(
        &with("delays-secs = [5, 0]", "delays-secs = [5]"),
        &["delays-secs"],
    );
    config_error(
        &with("8E0B5A7C-1D2E-4F60-8A9B-0C1D2E3F4A5B", "not-a-guid"),
        &["upgrade-code"],
    );
    config_error(
        &format!("{SERVICE}\n[[package.metadata.svcpack.files]]\nsource = \"missing.toml\"\n"),
        &["missing.toml"],
    );
    config_error(&with("start = \"auto\"", "start = \"auto"), &["Cargo.toml"]);
    config_error(
        &with("start = \"auto\"", "strat = \"auto\""),
        &["strat", "did you mean `start`"],
    );
    config_error(
        &with(
            "[package.metadata.svcpack]\n",
            "[package.metadata.svcpack]\nbinary = \"nope\"\n",
        ),
        &["binary", "ledger-agent"],
    );
}

#[test]
fn version_beyond_msi_limits_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let root = crate_with(dir.path(), "256.0.0", SERVICE, "fn main() {}\n");
    assert_build_fails(&root, &[], &["255.255.65535"]);
}

#[test]
fn usage_errors_exit_2() {
    let o = bin().args(["build", "--no-build"]).output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = bin().args(["build", "--frobnicate"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
}

/// A build of the example service with the Windows toolchain, for the tests below.
fn example_exe() -> Option<PathBuf> {
    windows_toolchain()?;
    Some(build_fixture("example-service"))
}

fn build_prebuilt(exe: &Path, out: &Path, extra: &[&str]) -> Output {
    build_prebuilt_in(&fixture_dir("example-service"), exe, out, extra)
}

/// `build` of the crate at `root` for x64 Windows around the prebuilt `exe`.
fn build_prebuilt_in(root: &Path, exe: &Path, out: &Path, extra: &[&str]) -> Output {
    bin()
        .arg("build")
        .arg("--manifest-path")
        .arg(root.join("Cargo.toml"))
        .args([
            "--target",
            "x86_64-pc-windows-gnu",
            "--no-build",
            "--binary",
        ])
        .arg(exe)
        .arg("--out-dir")
        .arg(out)
        .args(extra)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .unwrap()
}

#[test]
fn builds_are_byte_identical_across_out_dirs() {
    let Some(exe) = example_exe() else { return };
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    for d in [a.path(), b.path()] {
        let o = build_prebuilt(&exe, d, &["-q"]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let (x, y) = (snapshot(a.path()), snapshot(b.path()));
    assert_eq!(x.keys().collect::<Vec<_>>(), y.keys().collect::<Vec<_>>());
    for name in [
        "example-service-0.1.0-x64.msi",
        "example-service-0.1.0-x64-portable.zip",
        "SHA256SUMS",
    ] {
        assert!(x[name] == y[name], "{name} differs between the two builds");
    }
    // SHA256SUMS verifies with the real sha256sum.
    if let Ok(o) = Command::new("sha256sum")
        .arg("-c")
        .arg("SHA256SUMS")
        .current_dir(a.path())
        .output()
    {
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    }
}

#[test]
fn json_progress_is_one_object_per_line() {
    let Some(exe) = example_exe() else { return };
    let out = tempfile::tempdir().unwrap();
    let o = build_prebuilt(&exe, out.path(), &["--message-format", "json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    let mut stages = Vec::new();
    let mut accounts = Vec::new();
    for line in stdout.lines() {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON: {line}: {e}"));
        if v["reason"] == "service-account" {
            let text = |k: &str| v[k].as_str().unwrap_or_default().to_string();
            accounts.push((text("service"), text("account")));
        }
        if v["reason"] == "stage" {
            assert!(v["ms"].is_u64(), "{line}");
            stages.push(v["stage"].as_str().unwrap().to_string());
        }
    }
    assert_eq!(
        stages,
        [
            "configure",
            "installer helper",
            "stamp",
            "render",
            "msi",
            "zip",
            "sbom",
            "checksums + manifest",
            "publish"
        ]
    );
    // No `account` in the fixture: least privilege, the service's virtual account.
    assert_eq!(
        accounts,
        [(
            "SvcpackExample".to_string(),
            "NT SERVICE\\SvcpackExample".to_string()
        )]
    );
    let last: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(last["reason"], "build-finished");
    assert_eq!(last["success"], true);
}

#[test]
fn a_build_failing_late_leaves_the_out_dir_as_it_was() {
    let Some(exe) = example_exe() else { return };
    let dir = tempfile::tempdir().unwrap();
    // Not a PE file: the stamp stage fails after configure.
    let not_pe = dir.path().join("agent.exe");
    std::fs::write(&not_pe, b"MZ but not really").unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let ok = build_prebuilt(&exe, &out, &["-q"]);
    assert!(ok.status.success());
    let before = snapshot(&out);
    let o = build_prebuilt(&not_pe, &out, &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("stamp") && err.contains("agent.exe"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(snapshot(&out), before, "a failed build changed the out-dir");
}

#[test]
fn a_crate_that_does_not_compile_fails_with_cargos_errors() {
    let Some(_) = windows_toolchain() else { return };
    let tc = windows_toolchain().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let root = crate_with(
        dir.path(),
        "1.0.0",
        SERVICE,
        "fn main() { let x: u32 = \"nope\"; }\n",
    );
    let out = dir.path().join("out");
    let o = tc
        .svcpack()
        .arg("build")
        .arg("--manifest-path")
        .arg(root.join("Cargo.toml"))
        .arg("--target")
        .arg(tc.target())
        .arg("--out-dir")
        .arg(&out)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("mismatched types"),
        "cargo's own error should be shown: {err}"
    );
    assert!(err.contains("error: compile:"), "{err}");
    assert!(!out.exists(), "no out-dir may appear");
}

#[test]
fn standalone_config_packages_a_prebuilt_binary() {
    let Some(_) = windows_toolchain() else { return };
    let exe = build_fixture("plain-app");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("svcpack.toml"),
        "name = \"go-agent\"\nversion = \"1.4.0\"\nauthors = [\"Example Ltd\"]\ndescription = \"A Go program\"\nproduct-name = \"Go Agent\"\nupgrade-code = \"1B2C3D4E-5F60-4172-8394-A5B6C7D8E9F0\"\nbinary = \"go-agent\"\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let o = bin()
        .args(["build", "--config"])
        .arg(dir.path().join("svcpack.toml"))
        .args(["--no-build", "--binary"])
        .arg(&exe)
        .args(["--target", "x86_64-pc-windows-gnu", "--out-dir"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let msi = out.join("go-agent-1.4.0-x64.msi");
    let r = svcpack::inspect::inspect_msi(&msi).unwrap();
    assert_eq!(r.product_name.as_deref(), Some("Go Agent"));
    assert_eq!(r.product_version.as_deref(), Some("1.4.0"));
    assert!(
        r.files
            .iter()
            .any(|f| f.name == "go-agent.exe" && f.version.as_deref() == Some("1.4.0.0")),
        "{:?}",
        r.files
    );
    assert!(out.join("go-agent-1.4.0-x64-portable.zip").is_file());
    // --config without --no-build is a usage error.
    let o = bin()
        .args(["build", "--config"])
        .arg(dir.path().join("svcpack.toml"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn init_ejects_templates_and_render_prints_the_source() {
    let dir = tempfile::tempdir().unwrap();
    let root = crate_with(dir.path(), "1.2.3", SERVICE, "fn main() {}\n");
    let o = render(&root);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let wxs = String::from_utf8_lossy(&o.stdout);
    assert!(
        wxs.contains("<ServiceInstall") && wxs.contains("Name=\"LedgerAgent\""),
        "{wxs}"
    );
    assert!(wxs.contains("Version=\"1.2.3\""));

    let o = bin()
        .arg("init")
        .arg("--manifest-path")
        .arg(root.join("Cargo.toml"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let tpl = root.join("wix/main.wxs.hbs");
    assert!(tpl.is_file());
    // A second init refuses to overwrite; --force does.
    let o = bin()
        .arg("init")
        .arg("--manifest-path")
        .arg(root.join("Cargo.toml"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let o = bin()
        .arg("init")
        .arg("--force")
        .arg("--manifest-path")
        .arg(root.join("Cargo.toml"))
        .output()
        .unwrap();
    assert!(o.status.success());
    // The user's template wins over the built-in one.
    let edited = std::fs::read_to_string(&tpl).unwrap().replacen(
        "<Package ",
        "<!-- edited by the user -->\n  <Package ",
        1,
    );
    std::fs::write(&tpl, edited).unwrap();
    let o = render(&root);
    assert!(String::from_utf8_lossy(&o.stdout).contains("edited by the user"));
}

/// `cargo svcpack render` of the crate at `root`.
fn render(root: &Path) -> Output {
    bin()
        .arg("render")
        .arg("--manifest-path")
        .arg(root.join("Cargo.toml"))
        .output()
        .unwrap()
}

/// Gives the crate at `root` a cargo-wix source: cargo-wix's default template, rendered.
fn add_cargo_wix_source(root: &Path) {
    std::fs::create_dir_all(root.join("wix")).unwrap();
    std::fs::copy(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/cargo-wix/main.v3.wxs"),
        root.join("wix/main.wxs"),
    )
    .unwrap();
}

/// A cargo-wix project: `wix/main.wxs` (cargo-wix's default template, rendered) is compiled
/// with cargo-wix's preprocessor variables instead of svcpack's template; its WixUI dialog
/// reference is reported as a warning and the package still builds.
#[test]
fn cargo_wix_project_builds_from_its_main_wxs() {
    let Some(exe) = example_exe() else { return };
    let dir = tempfile::tempdir().unwrap();
    let root = copy_fixture("example-service", &dir.path().join("svc"));
    add_cargo_wix_source(&root);
    std::fs::write(root.join("wix/License.rtf"), "{\\rtf1 MIT}\n").unwrap();
    // `render` prints what build compiles: the cargo-wix source itself.
    let o = render(&root);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        o.stdout,
        std::fs::read(root.join("wix/main.wxs")).unwrap(),
        "render prints wix/main.wxs"
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("is a cargo-wix source"));
    let out = dir.path().join("out");
    let o = build_prebuilt_in(&root, &exe, &out, &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("main.wxs:171: warning:") && err.contains("WixUI_FeatureTree"),
        "{err}"
    );
    let r = svcpack::inspect::inspect_msi(&out.join("example-service-0.1.0-x64.msi")).unwrap();
    assert_eq!(r.product_version.as_deref(), Some("0.1.0"));
    let exe_row = r
        .files
        .iter()
        .find(|f| f.name == "example-service.exe")
        .expect("exe from $(var.CargoTargetBinDir)");
    assert_eq!(
        exe_row.version.as_deref(),
        Some("0.1.0.0"),
        "the stamped exe is packaged"
    );
    assert!(r.files.iter().any(|f| f.name == "License.rtf"));
}

/// A hosted service needs svcpack's template: `render` and `build` refuse a cargo-wix source
/// beside it with the same one error, and write nothing.
#[test]
fn hosted_service_with_a_cargo_wix_source_is_refused_by_render_and_build() {
    let dir = tempfile::tempdir().unwrap();
    let root = copy_fixture("console-app", &dir.path().join("app"));
    add_cargo_wix_source(&root);
    let exe = dir.path().join("console-app.exe");
    std::fs::write(&exe, b"MZ").unwrap();
    let out = dir.path().join("out");
    let rendered = render(&root);
    let build = build_prebuilt_in(&root, &exe, &out, &[]);
    for o in [&rendered, &build] {
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains("service.host] needs svcpack's WiX template")
                && err.contains("main.wxs is a cargo-wix source"),
            "{err}"
        );
    }
    assert!(rendered.stdout.is_empty());
    assert!(!out.exists(), "nothing is written");
}

/// Runs `cmd` with the process umask set to `mask` (through `sh`, since the umask is
/// per process).
fn with_umask(mask: &str, cmd: &Command) -> Output {
    let mut sh = Command::new("sh");
    sh.arg("-c")
        .arg(format!("umask {mask} && exec \"$0\" \"$@\""))
        .arg(cmd.get_program())
        .args(cmd.get_args());
    if let Some(dir) = cmd.get_current_dir() {
        sh.current_dir(dir);
    }
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => sh.env(k, v),
            None => sh.env_remove(k),
        };
    }
    sh.output().unwrap()
}

#[test]
fn artifacts_honour_the_umask() {
    use std::os::unix::fs::PermissionsExt as _;
    let Some(exe) = example_exe() else { return };
    for (mask, mode) in [("022", 0o644), ("027", 0o640), ("002", 0o664)] {
        let out = tempfile::tempdir().unwrap();
        let mut cmd = bin();
        cmd.arg("build")
            .arg("--manifest-path")
            .arg(fixture_dir("example-service").join("Cargo.toml"))
            .args(["--target", "x86_64-pc-windows-gnu", "--no-build", "-q"])
            .arg("--binary")
            .arg(&exe)
            .arg("--out-dir")
            .arg(out.path())
            .env("SOURCE_DATE_EPOCH", "1700000000");
        let o = with_umask(mask, &cmd);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let artifacts = snapshot(out.path());
        assert_eq!(artifacts.len(), 5, "{:?}", artifacts.keys());
        for name in artifacts.keys() {
            let meta = std::fs::metadata(out.path().join(name)).unwrap();
            assert_eq!(
                meta.permissions().mode() & 0o777,
                mode,
                "{name} under umask {mask}"
            );
        }
        // `compile -o` writes its MSI the same way.
        std::fs::write(out.path().join("readme.txt"), "hello").unwrap();
        let wxs = out.path().join("product.wxs");
        std::fs::write(
            &wxs,
            r#"<Wix xmlns="http://wixtoolset.org/schemas/v4/wxs">
  <Package Name="Umask" Manufacturer="Example" Version="1.0.0"
           UpgradeCode="8E0B5A7C-1D2E-4F60-8A9B-0C1D2E3F4A5C">
    <StandardDirectory Id="ProgramFiles6432Folder">
      <Directory Id="INSTALLFOLDER" Name="Umask">
        <Component><File Source="readme.txt" /></Component>
      </Directory>
    </StandardDirectory>
  </Package>
</Wix>"#,
        )
        .unwrap();
        let msi = out.path().join("compiled").join("product.msi");
        let mut compile = bin();
        compile
            .current_dir(out.path())
            .arg("compile")
            .arg("-o")
            .arg(&msi)
            .arg(&wxs);
        let o = with_umask(mask, &compile);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let meta = std::fs::metadata(&msi).unwrap();
        assert_eq!(
            meta.permissions().mode() & 0o777,
            mode,
            "compile -o under umask {mask}"
        );
    }
}

#[test]
fn a_relative_config_resolves_files_against_its_own_directory() {
    // `--config svcpack.toml` given relative to the working directory: its `[[files]]`
    // sources start at the config's directory, not at the build's scratch directory.
    let dir = tempfile::tempdir().unwrap();
    let pkg = dir.path().join("pkg");
    std::fs::create_dir_all(pkg.join("conf")).unwrap();
    std::fs::write(pkg.join("conf/agent.toml"), "port = 18431\n").unwrap();
    std::fs::write(
        pkg.join("svcpack.toml"),
        "name = \"go-agent\"\nversion = \"1.4.0\"\nauthors = [\"Example Ltd\"]\n\
         upgrade-code = \"1B2C3D4E-5F60-4172-8394-A5B6C7D8E9F0\"\nbinary = \"go-agent\"\n\
         [[files]]\nsource = \"conf/agent.toml\"\n",
    )
    .unwrap();
    let exe = fixture_dir("pe").join("svc-res-x64.exe");
    for (cwd, config) in [(dir.path(), "pkg/svcpack.toml"), (&*pkg, "svcpack.toml")] {
        let out = dir.path().join("out");
        let o = bin()
            .current_dir(cwd)
            .args(["build", "--config", config, "--no-build", "--binary"])
            .arg(&exe)
            .args([
                "--target",
                "x86_64-pc-windows-gnu",
                "--no-sign",
                "--out-dir",
            ])
            .arg(&out)
            .env("SOURCE_DATE_EPOCH", "1700000000")
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "--config {config}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let r = svcpack::inspect::inspect_msi(&out.join("go-agent-1.4.0-x64.msi")).unwrap();
        assert!(
            r.files.iter().any(|f| f.name == "agent.toml"),
            "--config {config}: {:?}",
            r.files
        );
        std::fs::remove_dir_all(&out).unwrap();
    }
}
