//! A Windows and a Linux target in one `cargo svcpack build`: the example service built for
//! x86_64-pc-windows-gnu and x86_64-unknown-linux-gnu together gives the MSI, portable zip
//! and SBOM for Windows and the .deb and tarball for Linux (same architecture, different
//! names), one SHA256SUMS that `sha256sum -c` verifies, one manifest listing every artifact
//! with its target (valid against `tests/schemas/svcpack-manifest-1.json`), winget
//! manifests with the Windows installer only, and the Windows-only keys' warnings (a Linux
//! package is made). A Linux target that fails after the Windows one was built leaves the
//! out-dir untouched.
//!
//! Needs the Windows end-to-end toolchain (Debian cargo/rustc, which also build for the
//! host's Linux target, and MinGW; see tests/support): without it the test skips with a
//! loud notice, and fails under `SVCPACK_REQUIRE_WINE=1`. dpkg-deb, msiinfo and
//! check-jsonschema checks skip with a notice when missing, and fail under
//! `SVCPACK_REQUIRE_TOOLS=1`.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use support::*;

const WINDOWS: &str = "x86_64-pc-windows-gnu";
const LINUX: &str = "x86_64-unknown-linux-gnu";

const RELEASE: &str = "\n[package.metadata.svcpack.release]\n\
download-url = \"https://github.com/acme/example-service/releases/download/v{version}/{file}\"\n\
winget-id = \"Svcpack.ExampleService\"\n";

/// True when `program` runs with `args`; otherwise a notice, or a failure under
/// `SVCPACK_REQUIRE_TOOLS=1`.
fn tool(program: &str, args: &[&str]) -> bool {
    let ok = Command::new(program)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            !std::env::var_os("SVCPACK_REQUIRE_TOOLS").is_some_and(|v| v == "1"),
            "SVCPACK_REQUIRE_TOOLS=1 but {program} is missing (scripts/setup --test installs it)"
        );
        eprintln!("notice: skipping a check: {program} is missing (scripts/setup --test)");
    }
    ok
}

/// `cargo svcpack build --target WINDOWS --target LINUX` of `dir` into `out`; `env`
/// overrides.
fn build(tc: &WindowsToolchain, dir: &Path, out: &Path, env: &[(&str, &str)]) -> Output {
    let mut cmd = tc.svcpack();
    cmd.current_dir(dir)
        .env(
            "CARGO_TARGET_DIR",
            fixtures_target_dir().join("mixed-targets"),
        )
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .args(["build", "--target", WINDOWS, "--target", LINUX, "--out-dir"])
        .arg(out);
    for (k, v) in env {
        cmd.env(k, v);
    }
    timed("mixed_targets: build windows + linux", || {
        cmd.output().unwrap()
    })
}

/// Every file under `dir`, by relative path.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walk(dir)
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
            (rel, std::fs::read(&p).unwrap())
        })
        .collect()
}

fn example(work: &Path) -> PathBuf {
    let dir = copy_fixture("example-service", &work.join("svc"));
    let manifest = dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, format!("{text}{RELEASE}")).unwrap();
    dir
}

#[test]
fn windows_and_linux_targets_share_checksums_and_manifest() {
    let Some(tc) = windows_toolchain() else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let dir = example(work.path());
    let out = work.path().join("out");
    let o = build(tc, &dir, &out, &[]);
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "{stderr}");
    // A Linux package is made, so the keys it ignores are named.
    assert!(
        stderr.contains("event-source") && stderr.contains("upgrade-code"),
        "{stderr}"
    );

    let files = tree(&out);
    let stem = "example-service-0.1.0";
    let deb = "example-service_0.1.0-1_amd64.deb".to_string();
    let tarball = format!("{stem}-{LINUX}.tar.gz");
    let mut expected = vec![
        format!("{stem}-x64.msi"),
        format!("{stem}-x64-portable.zip"),
        format!("{stem}-x64.cdx.json"),
        deb.clone(),
        tarball.clone(),
        "SHA256SUMS".to_string(),
        format!("{stem}.manifest.json"),
        "winget/Svcpack.ExampleService.yaml".into(),
        "winget/Svcpack.ExampleService.installer.yaml".into(),
        "winget/Svcpack.ExampleService.locale.en-US.yaml".into(),
    ];
    expected.sort();
    assert_eq!(files.keys().cloned().collect::<Vec<_>>(), expected);

    // One SHA256SUMS for the MSI, zip, SBOM, .deb and tarball, verified by sha256sum.
    let sums = String::from_utf8(files["SHA256SUMS"].clone()).unwrap();
    assert_eq!(sums.lines().count(), 5, "{sums}");
    let o = Command::new("sha256sum")
        .args(["-c", "--strict", "SHA256SUMS"])
        .current_dir(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));

    // One manifest: both targets, every artifact with its target and digest.
    let manifest_path = out.join(format!("{stem}.manifest.json"));
    let m: serde_json::Value =
        serde_json::from_slice(&files[&format!("{stem}.manifest.json")]).unwrap();
    assert_eq!(
        m["targets"],
        serde_json::json!([{"target": WINDOWS, "arch": "x64"}, {"target": LINUX, "arch": "x64"}])
    );
    let artifacts = m["artifacts"].as_array().unwrap();
    for (path, kind, target) in [
        (format!("{stem}-x64.msi"), "msi", WINDOWS),
        (format!("{stem}-x64-portable.zip"), "portable-zip", WINDOWS),
        (format!("{stem}-x64.cdx.json"), "sbom", WINDOWS),
        (deb.clone(), "deb", LINUX),
        (tarball.clone(), "tarball", LINUX),
    ] {
        let a = artifacts
            .iter()
            .find(|a| a["path"] == path.as_str())
            .unwrap_or_else(|| panic!("{path} not in the manifest: {m}"));
        assert_eq!(
            (a["kind"].as_str(), a["target"].as_str()),
            (Some(kind), Some(target))
        );
        let digest = sums
            .lines()
            .find(|l| l.ends_with(&format!("  {path}")))
            .map(|l| &l[..64])
            .unwrap_or_else(|| panic!("{path} not in SHA256SUMS: {sums}"));
        assert_eq!(a["sha256"], digest);
        assert_eq!(a["signed"], false);
    }
    assert_eq!(
        artifacts.len(),
        expected.len() - 1,
        "all but the manifest: {m}"
    );

    // winget installs Windows packages: one installer, the MSI's.
    let installer =
        String::from_utf8(files["winget/Svcpack.ExampleService.installer.yaml"].clone()).unwrap();
    assert_eq!(
        installer.matches("InstallerSha256:").count(),
        1,
        "{installer}"
    );
    assert!(
        installer.contains(&format!("/{stem}-x64.msi\"")),
        "{installer}"
    );

    // Each package is what its system reads.
    if tool("msiinfo", &["--help"]) {
        let o = Command::new("msiinfo")
            .arg("suminfo")
            .arg(out.join(format!("{stem}-x64.msi")))
            .output()
            .unwrap();
        assert!(
            String::from_utf8_lossy(&o.stdout).contains("Template: x64;1033"),
            "{}",
            String::from_utf8_lossy(&o.stdout)
        );
    }
    if tool("dpkg-deb", &["--version"]) {
        let o = Command::new("dpkg-deb")
            .arg("--field")
            .arg(out.join(&deb))
            .args(["Package", "Architecture"])
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&o.stdout),
            "Package: example-service\nArchitecture: amd64\n"
        );
    }
    if tool("check-jsonschema", &["--version"]) {
        let schema =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemas/svcpack-manifest-1.json");
        let o = Command::new("check-jsonschema")
            .arg("--schemafile")
            .arg(&schema)
            .arg(&manifest_path)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
    }

    // The Linux program fails to link after the Windows target was built: nothing of this
    // build reaches the out-dir. (Target-specific flags change only the Linux build's
    // fingerprint, so cargo links it again and the Windows build stays cached.)
    let o = build(
        tc,
        &dir,
        &out,
        &[(
            "CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUSTFLAGS",
            "-C link-arg=-Wl,--svcpack-no-such-option",
        )],
    );
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "{stderr}");
    assert!(stderr.contains(LINUX), "{stderr}");
    assert!(
        tree(&out) == files,
        "the out-dir changed after a failed build"
    );
}
