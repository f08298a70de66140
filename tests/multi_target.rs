//! Several targets in one `cargo svcpack build`: the example service built for x64 and x86
//! together gives one MSI per architecture (read back with msiinfo: Template `x64;1033` and
//! `Intel;1033`), one SHA256SUMS that `sha256sum -c` verifies, one manifest listing every
//! artifact with its target (valid against `tests/schemas/svcpack-manifest-1.json`), and one
//! winget installer manifest with an installer per architecture (valid against winget's
//! 1.10.0 schemas); a failing second target leaves the out-dir untouched; the x86 MSI
//! installs and its service answers under Wine. An arm64 package (from a stand-in exe) has
//! the Arm64 platform and an arm64 winget installer.
//!
//! The x86 build needs a Rust toolchain with the i686-pc-windows-gnu standard library
//! (rustup's, as `scripts/setup` adds it; Debian's Rust ships only the x86_64 one) and
//! i686-w64-mingw32-gcc; both targets are built with that toolchain. Without it these tests
//! skip with a loud notice, and fail under `SVCPACK_REQUIRE_WINE=1`. Running the x86
//! package needs Wine's 32-bit half (Debian's `wine32`, i386 multiarch, which
//! `scripts/setup --test` installs): without it that one test skips, and fails under
//! `SVCPACK_REQUIRE_WINE32=1` (set by CI). Wine 8.0 lacks the `bcryptprimitives.dll` that
//! current Rust programs import; the harness gives 32-bit prefixes a stand-in
//! (`tests/support/bcryptprimitives.c`).

mod support;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use support::*;

const X64: &str = "x86_64-pc-windows-gnu";
const X86: &str = "i686-pc-windows-gnu";

/// A cargo and rustc that have both targets' standard libraries.
struct MultiToolchain {
    cargo: PathBuf,
    rustc: PathBuf,
}

fn rustup_which(tool: &str) -> Option<PathBuf> {
    let o = Command::new("rustup").args(["which", tool]).output().ok()?;
    o.status
        .success()
        .then(|| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
}

fn has_std(rustc: &Path, target: &str) -> bool {
    let Ok(o) = Command::new(rustc).args(["--print", "sysroot"]).output() else {
        return false;
    };
    let lib = PathBuf::from(String::from_utf8_lossy(&o.stdout).trim())
        .join("lib/rustlib")
        .join(target)
        .join("lib");
    std::fs::read_dir(lib).is_ok_and(|mut entries| {
        entries.any(|e| e.is_ok_and(|e| e.file_name().to_string_lossy().starts_with("libstd-")))
    })
}

/// `$SVCPACK_TEST_MULTI_CARGO`/`_RUSTC`, else rustup's; `None` after a skip notice.
fn multi_toolchain() -> Option<MultiToolchain> {
    let from_env = |var: &str| {
        std::env::var_os(var)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let cargo = from_env("SVCPACK_TEST_MULTI_CARGO").or_else(|| rustup_which("cargo"));
    let rustc = from_env("SVCPACK_TEST_MULTI_RUSTC").or_else(|| rustup_which("rustc"));
    let mut missing = Vec::new();
    match (&cargo, &rustc) {
        (Some(_), Some(rustc)) => {
            for target in [X64, X86] {
                if !has_std(rustc, target) {
                    missing.push(format!(
                        "the {target} standard library for {} (rustup target add {target})",
                        rustc.display()
                    ));
                }
            }
        }
        _ => missing.push("rustup's cargo and rustc (or SVCPACK_TEST_MULTI_CARGO/_RUSTC)".into()),
    }
    if Command::new("i686-w64-mingw32-gcc")
        .arg("--version")
        .output()
        .is_err()
    {
        missing.push("i686-w64-mingw32-gcc (Debian package `gcc-mingw-w64-i686`)".into());
    }
    if !missing.is_empty() {
        skip_or_fail(&format!(
            "the x86 toolchain is incomplete; missing: {}",
            missing.join("; ")
        ));
        return None;
    }
    Some(MultiToolchain {
        cargo: cargo?,
        rustc: rustc?,
    })
}

/// Everything the tests need, or `None` after a skip notice.
fn toolchains() -> Option<(&'static WindowsToolchain, MultiToolchain)> {
    let tc = windows_toolchain()?;
    Some((tc, multi_toolchain()?))
}

/// `cargo svcpack build` of `dir` for `targets` into `out`, with `mt`'s cargo and rustc
/// and MinGW's linkers; `env` overrides.
fn build(
    tc: &WindowsToolchain,
    mt: &MultiToolchain,
    dir: &Path,
    out: &Path,
    targets: &[&str],
    env: &[(&str, &str)],
) -> Output {
    let mut cmd = tc.svcpack();
    cmd.current_dir(dir)
        // Its own target dir: another rustc than the fixtures' would rebuild them there.
        .env(
            "CARGO_TARGET_DIR",
            fixtures_target_dir().join("multi-target"),
        )
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .env("SVCPACK_CARGO", &mt.cargo)
        .env("RUSTC", &mt.rustc)
        .env(
            "CARGO_TARGET_I686_PC_WINDOWS_GNU_LINKER",
            "i686-w64-mingw32-gcc",
        )
        .arg("build");
    for t in targets {
        cmd.args(["--target", t]);
    }
    cmd.arg("--out-dir").arg(out);
    for (k, v) in env {
        cmd.env(k, OsString::from(v));
    }
    timed(
        &format!("multi_target: build {}", targets.join(" + ")),
        || cmd.output().unwrap(),
    )
}

/// The Template summary property (`Platform;Language`) as msiinfo reads it.
fn template(msi: &Path) -> String {
    let o = Command::new("msiinfo")
        .arg("suminfo")
        .arg(msi)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("Template:").map(|t| t.trim().to_string()))
        .unwrap_or_default()
}

/// True when `check-jsonschema` runs; otherwise a notice, or a failure under
/// `SVCPACK_REQUIRE_TOOLS=1`.
fn check_jsonschema() -> bool {
    let ok = Command::new("check-jsonschema")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            !std::env::var_os("SVCPACK_REQUIRE_TOOLS").is_some_and(|v| v == "1"),
            "SVCPACK_REQUIRE_TOOLS=1 but check-jsonschema is missing (scripts/setup --test installs it)"
        );
        eprintln!(
            "notice: skipping schema checks: check-jsonschema is missing (scripts/setup --test)"
        );
    }
    ok
}

fn validate(schema: &Path, file: &Path) {
    let o = Command::new("check-jsonschema")
        .arg("--schemafile")
        .arg(schema)
        .arg(file)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{} against {}:\n{}{}",
        file.display(),
        schema.display(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn x64_and_x86_in_one_build_share_checksums_manifest_and_winget_manifest() {
    let Some((tc, mt)) = toolchains() else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let dir = copy_example_with_release(work.path());
    let out = work.path().join("out");
    let o = build(tc, &mt, &dir, &out, &[X64, X86], &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    let files = tree(&out);
    let stem = "example-service-0.1.0";
    let mut expected: Vec<String> = ["x64", "x86"]
        .iter()
        .flat_map(|a| {
            [
                format!("{stem}-{a}.msi"),
                format!("{stem}-{a}-portable.zip"),
                format!("{stem}-{a}.cdx.json"),
            ]
        })
        .collect();
    expected.extend([
        "SHA256SUMS".to_string(),
        format!("{stem}.manifest.json"),
        "winget/Svcpack.ExampleService.yaml".into(),
        "winget/Svcpack.ExampleService.installer.yaml".into(),
        "winget/Svcpack.ExampleService.locale.en-US.yaml".into(),
    ]);
    expected.sort();
    assert_eq!(files.keys().cloned().collect::<Vec<_>>(), expected);

    // One MSI per architecture, each with its platform.
    assert_eq!(template(&out.join(format!("{stem}-x64.msi"))), "x64;1033");
    assert_eq!(template(&out.join(format!("{stem}-x86.msi"))), "Intel;1033");

    // One SHA256SUMS for every package, zip and SBOM, verified by the real sha256sum.
    let sums = String::from_utf8(files["SHA256SUMS"].clone()).unwrap();
    assert_eq!(sums.lines().count(), 6, "{sums}");
    assert_sha256sums_verify(&out);

    // One manifest: both targets, every artifact with its target.
    let manifest_path = out.join(format!("{stem}.manifest.json"));
    let m: serde_json::Value =
        serde_json::from_slice(&files[&format!("{stem}.manifest.json")]).unwrap();
    assert_eq!(
        m["targets"],
        serde_json::json!([{"target": X64, "arch": "x64"}, {"target": X86, "arch": "x86"}])
    );
    assert_eq!(
        (m["target"].as_str(), m["arch"].as_str()),
        (Some(X64), Some("x64"))
    );
    let artifacts = m["artifacts"].as_array().unwrap();
    for arch in ["x64", "x86"] {
        let msi = format!("{stem}-{arch}.msi");
        let a = artifacts
            .iter()
            .find(|a| a["path"] == msi.as_str())
            .unwrap_or_else(|| panic!("{msi} not in the manifest: {m}"));
        assert_eq!(a["arch"], arch);
        assert_eq!(a["kind"], "msi");
        let digest = sums
            .lines()
            .find(|l| l.ends_with(&format!("  {msi}")))
            .map(|l| &l[..64])
            .unwrap();
        assert_eq!(a["sha256"], digest);
    }
    let sums_entry = artifacts
        .iter()
        .find(|a| a["path"] == "SHA256SUMS")
        .unwrap();
    assert!(sums_entry.get("target").is_none(), "{sums_entry}");
    assert_eq!(
        artifacts.len(),
        expected.len() - 1,
        "all but the manifest: {m}"
    );

    // One winget installer manifest, an installer per architecture.
    let installer =
        String::from_utf8(files["winget/Svcpack.ExampleService.installer.yaml"].clone()).unwrap();
    for (arch, msi) in [("x64", "x64"), ("x86", "x86")] {
        assert!(
            installer.contains(&format!("- Architecture: {arch}\n")),
            "{installer}"
        );
        assert!(
            installer.contains(&format!("/{stem}-{msi}.msi\"")),
            "{installer}"
        );
    }
    assert_eq!(
        installer.matches("InstallerSha256:").count(),
        2,
        "{installer}"
    );

    if check_jsonschema() {
        let schemas = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemas");
        validate(&schemas.join("svcpack-manifest-1.json"), &manifest_path);
        for (file, kind) in [
            ("Svcpack.ExampleService.yaml", "version"),
            ("Svcpack.ExampleService.installer.yaml", "installer"),
            ("Svcpack.ExampleService.locale.en-US.yaml", "defaultLocale"),
        ] {
            validate(
                &schemas.join(format!("winget-1.10.0/manifest.{kind}.1.10.0.json")),
                &out.join("winget").join(file),
            );
        }
    }
}

#[test]
fn a_failing_second_target_leaves_the_out_dir_untouched() {
    let Some((tc, mt)) = toolchains() else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let dir = copy_fixture("example-service", &work.path().join("svc"));
    let out = work.path().join("out");
    std::fs::create_dir_all(out.join("winget")).unwrap();
    std::fs::write(out.join("SHA256SUMS"), "from an earlier release\n").unwrap();
    std::fs::write(out.join("winget/keep.yaml"), "kept: true\n").unwrap();
    let before = tree(&out);
    // The x64 target builds; x86's link step fails.
    let o = build(
        tc,
        &mt,
        &dir,
        &out,
        &[X64, X86],
        &[("CARGO_TARGET_I686_PC_WINDOWS_GNU_LINKER", "false")],
    );
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("compile"),
        "the failing stage is named: {stderr}"
    );
    assert!(
        stderr.contains(X86),
        "the failing target is named: {stderr}"
    );
    assert_eq!(tree(&out), before, "the out-dir changed");
}

#[test]
fn x86_package_installs_and_its_service_answers_under_wine() {
    let Some((tc, mt)) = toolchains() else {
        return;
    };
    if !wine_runs_32_bit() {
        let reason =
            "Wine cannot run 32-bit programs here (install Debian's wine32, i386 multiarch)";
        assert!(
            !std::env::var_os("SVCPACK_REQUIRE_WINE32").is_some_and(|v| v == "1"),
            "SVCPACK_REQUIRE_WINE32=1 but {reason}"
        );
        eprintln!("\n!!!!!!!! SKIPPED x86 install under Wine: {reason}\n");
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let dir = copy_fixture("example-service", &work.path().join("svc"));
    let port = next_port();
    set_service_port(&dir, port);
    let out = work.path().join("out");
    let o = build(tc, &mt, &dir, &out, &[X86], &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let msi = built_msi(&out);
    let wine = WinePrefix::new();
    wine.msiexec_install(&msi).assert_success();
    // A 32-bit package installs under Program Files (x86).
    assert!(
        wine.program_files_x86()
            .join("svcpack Example Service/example-service.exe")
            .is_file(),
        "not under Program Files (x86)"
    );
    let body = wine
        .http_get(port, "/", secs(30))
        .unwrap_or_else(|| panic!("no answer on 127.0.0.1:{port}"));
    assert!(body.contains("version=0.1.0"), "{body}");
    wine.net_stop("SvcpackExample").assert_success();
    wine.msiexec_uninstall(&msi).assert_success();
    assert!(wine
        .reg_values(r"HKLM\System\CurrentControlSet\Services\SvcpackExample")
        .is_none());
}

/// An arm64 package, from a stand-in exe: no arm64 Windows toolchain exists here, so the
/// x64 fixture with its PE machine field set to ARM64 (0xAA64) takes the place of one (its
/// code never runs; the build checks and stamps the PE, it does not execute it). The MSI's
/// platform is Arm64, the artifacts are named `-arm64`, and the winget installer manifest
/// (valid against winget's 1.10.0 schema) says `Architecture: arm64`.
#[test]
fn arm64_package_names_its_architecture() {
    let work = tempfile::tempdir().unwrap();
    let d = work.path();
    let mut pe = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pe/svc-res-x64.exe"),
    )
    .unwrap();
    let at = u32::from_le_bytes(pe[0x3c..0x40].try_into().unwrap()) as usize;
    assert_eq!(&pe[at..at + 4], b"PE\0\0");
    assert_eq!(pe[at + 4..at + 6], 0x8664u16.to_le_bytes());
    pe[at + 4..at + 6].copy_from_slice(&0xAA64u16.to_le_bytes());
    std::fs::write(d.join("arm-agent.exe"), &pe).unwrap();
    std::fs::write(
        d.join("svcpack.toml"),
        "name = \"arm-agent\"\nversion = \"1.0.0\"\nauthors = [\"Example Ltd\"]\n\
         binary = \"arm-agent\"\nupgrade-code = \"0C1D2E3F-4A5B-4C6D-8E7F-8091A2B3C4D6\"\n\n\
         [release]\nwinget-id = \"Example.ArmAgent\"\n\
         download-url = \"https://example.com/v{version}/{file}\"\n",
    )
    .unwrap();
    let out = d.join("out");
    let o = Command::new(env!("CARGO_BIN_EXE_cargo-svcpack"))
        .args(["svcpack", "build", "--config"])
        .arg(d.join("svcpack.toml"))
        .args(["--no-build", "--binary"])
        .arg(d.join("arm-agent.exe"))
        .args(["--target", "aarch64-pc-windows-msvc", "--out-dir"])
        .arg(&out)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let files = tree(&out);
    for name in [
        "arm-agent-1.0.0-arm64.msi",
        "arm-agent-1.0.0-arm64-portable.zip",
        "arm-agent-1.0.0-arm64.cdx.json",
        "arm-agent-1.0.0-arm64.manifest.json",
        "SHA256SUMS",
    ] {
        assert!(
            files.contains_key(name),
            "{name} missing: {:?}",
            files.keys()
        );
    }
    if Command::new("msiinfo").arg("--version").output().is_ok() {
        assert_eq!(
            template(&out.join("arm-agent-1.0.0-arm64.msi")),
            "Arm64;1033"
        );
    }
    let installer = "winget/Example.ArmAgent.installer.yaml";
    let text = String::from_utf8(files[installer].clone()).unwrap();
    assert!(
        text.contains("- Architecture: arm64\n  InstallerUrl: \"https://example.com/v1.0.0/arm-agent-1.0.0-arm64.msi\"\n"),
        "{text}"
    );
    if check_jsonschema() {
        validate(
            &Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/schemas/winget-1.10.0/manifest.installer.1.10.0.json"),
            &out.join(installer),
        );
    }
}
