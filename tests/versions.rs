//! Versions, stamping and readiness through the real CLI: the exe really is a service for the right machine, the
//! stamped version resource agrees with the MSI, bad executables and icons are clean
//! errors, and a pre-release is upgraded in place by its release under Wine.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use support::*;

fn build(manifest_dir: &Path, exe: Option<&Path>, out: &Path, extra: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cargo-svcpack"));
    c.arg("svcpack")
        .arg("build")
        .arg("--manifest-path")
        .arg(manifest_dir.join("Cargo.toml"));
    c.args(["--target", "x86_64-pc-windows-gnu", "--out-dir"])
        .arg(out);
    if let Some(exe) = exe {
        c.arg("--no-build").arg("--binary").arg(exe);
    }
    c.args(extra).env("SOURCE_DATE_EPOCH", "1700000000");
    if exe.is_none() {
        // cargo builds the service: use the Windows toolchain's cargo and linker.
        let tc = windows_toolchain().expect("callers check the toolchain first");
        tc.apply_build_env(&mut c);
    }
    c.output().unwrap()
}

fn pe_fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/pe")
        .join(name)
}

#[test]
fn a_console_program_packaged_as_a_service_is_a_warning_or_with_strict_an_error() {
    let Some(_) = windows_toolchain() else { return };
    let console = build_fixture("plain-app");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    // example-service's metadata configures a service; the plain app never calls
    // StartServiceCtrlDispatcherW.
    let o = build(&fixture_dir("example-service"), Some(&console), &out, &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("warning:")
            && err.contains("StartServiceCtrlDispatcherW")
            && err.contains("1053"),
        "{err}"
    );
    assert!(
        err.contains("windows-service") && err.contains("service.host"),
        "the fix is named: {err}"
    );

    let strict_out = dir.path().join("strict");
    let o = build(
        &fixture_dir("example-service"),
        Some(&console),
        &strict_out,
        &["--strict"],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("StartServiceCtrlDispatcherW"), "{err}");
    assert!(!strict_out.exists(), "no artifacts after a failed build");

    // The real service passes silently.
    let o = build(
        &fixture_dir("example-service"),
        Some(&build_fixture("example-service")),
        &dir.path().join("ok"),
        &[],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        o.status.success() && !err.contains("StartServiceCtrlDispatcherW"),
        "{err}"
    );
}

#[test]
fn machine_type_must_match_the_target() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = build(
        &fixture_dir("example-service"),
        Some(&pe_fixture("hello-x86.exe")),
        &out,
        &[],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("built for x86") && err.contains("x64"),
        "{err}"
    );
    assert!(!out.exists());
}

#[test]
fn non_pe_binary_and_non_ico_icon_are_clean_errors() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("agent.exe");
    std::fs::write(&junk, b"#!/bin/sh\necho not windows\n").unwrap();
    let out = dir.path().join("out");
    let o = build(&fixture_dir("example-service"), Some(&junk), &out, &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("agent.exe") && err.contains("not a Windows executable"),
        "{err}"
    );
    assert!(!err.contains("panicked") && !out.exists());

    let Some(_) = windows_toolchain() else { return };
    let crate_dir = copy_fixture("example-service", &dir.path().join("svc"));
    std::fs::write(crate_dir.join("icon.ico"), b"\x89PNG\r\n\x1a\nnot an icon").unwrap();
    let manifest = crate_dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        text.replacen(
            "license = \"LICENSE\"",
            "license = \"LICENSE\"\nicon = \"icon.ico\"",
            1,
        ),
    )
    .unwrap();
    let o = build(
        &crate_dir,
        Some(&build_fixture("example-service")),
        &out,
        &[],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("icon"), "{err}");
    assert!(!err.contains("panicked") && !out.exists());
}

#[test]
fn stamped_version_agrees_with_the_msi() {
    let Some(_) = windows_toolchain() else { return };
    let dir = tempfile::tempdir().unwrap();
    let crate_dir = copy_fixture("example-service", &dir.path().join("svc"));
    set_package_version(&crate_dir, "2.0.0-beta.1");
    let out = dir.path().join("out");
    let o = build(&crate_dir, None, &out, &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let msi = out.join("example-service-2.0.0-beta.1-x64.msi");
    let r = svcpack::wix::inspect::inspect_file(&msi).unwrap();
    assert_eq!(r.product_version.as_deref(), Some("2.0.0"));
    let f = r
        .files
        .iter()
        .find(|f| f.name == "example-service.exe")
        .unwrap();
    assert_eq!(
        f.version.as_deref(),
        Some("2.0.0.0"),
        "File.Version comes from the stamped resource"
    );
    // The exe inside the zip carries the full semver as its ProductVersion string.
    let zip = std::fs::read(out.join("example-service-2.0.0-beta.1-x64-portable.zip")).unwrap();
    let exe = unzip_member(&zip, "example-service.exe");
    let info = svcpack::pe::inspect(&exe).unwrap();
    assert_eq!(info.file_version, Some([2, 0, 0, 0]));
    assert_eq!(info.version_string("ProductVersion"), Some("2.0.0-beta.1"));
    assert_eq!(info.version_string("FileVersion"), Some("2.0.0.0"));
}

/// Reads one stored or deflated member of a zip (enough for our own zips).
fn unzip_member(zip: &[u8], name: &str) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.zip");
    std::fs::write(&path, zip).unwrap();
    let o = Command::new("python3")
        .args(["-c", "import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))"])
        .arg(&path)
        .arg(name)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    o.stdout
}

#[test]
fn prerelease_is_upgraded_in_place_by_its_release() {
    let Some(tc) = windows_toolchain() else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let crate_dir = copy_fixture("example-service", &work.path().join("svc"));
    let port = next_port();
    set_service_port(&crate_dir, port);
    set_package_version(&crate_dir, "2.0.0-beta.1");
    let mut cmd = tc.svcpack();
    let out1 = work.path().join("beta");
    cmd.arg("build")
        .arg("--manifest-path")
        .arg(crate_dir.join("Cargo.toml"))
        .arg("--target")
        .arg(tc.target())
        .arg("--out-dir")
        .arg(&out1);
    let o = cmd.output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    set_package_version(&crate_dir, "2.0.0");
    let out2 = work.path().join("release");
    let mut cmd = tc.svcpack();
    cmd.arg("build")
        .arg("--manifest-path")
        .arg(crate_dir.join("Cargo.toml"))
        .arg("--target")
        .arg(tc.target())
        .arg("--out-dir")
        .arg(&out2);
    let o = cmd.output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let beta = out1.join("example-service-2.0.0-beta.1-x64.msi");
    let release = out2.join("example-service-2.0.0-x64.msi");
    let (rb, rr) = (
        svcpack::wix::inspect::inspect_file(&beta).unwrap(),
        svcpack::wix::inspect::inspect_file(&release).unwrap(),
    );
    assert_eq!(rb.product_version, rr.product_version, "same MSI version");
    assert_ne!(rb.product_code, rr.product_code, "but a different product");

    let wine = WinePrefix::new();
    wine.msiexec_install(&beta).assert_success();
    let body = wine.http_get(port, "/", secs(30)).expect("beta answers");
    assert!(body.contains("version=2.0.0-beta.1"), "{body}");
    // Wine's msiexec skips replacing a file still in use (Windows would schedule it for
    // reboot) and does not wait for a stopping service's process to exit: stop it first,
    // so the test measures the upgrade, not that Wine race.
    wine.net_stop("SvcpackExample").assert_success();
    assert!(wine.wait_process_gone("example-service.exe", secs(15)));
    wine.msiexec_install(&release).assert_success();
    let upgraded = wait_until(secs(30), std::time::Duration::from_millis(300), || {
        wine.http_get(port, "/", secs(2))
            .filter(|b| b.contains("version=2.0.0\n") || b.ends_with("version=2.0.0"))
    });
    assert!(
        upgraded.is_some(),
        "the release does not answer after upgrading the pre-release; now answering: {:?}",
        wine.http_get(port, "/", secs(2))
    );
    // In place: the pre-release is no longer registered as installed.
    let uninstall_key = format!(
        r"HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall\{}",
        rb.product_code.clone().unwrap()
    );
    assert!(
        wine.reg_key_absent(&uninstall_key),
        "the pre-release is still installed beside the release"
    );
    let rel_key = format!(
        r"HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall\{}",
        rr.product_code.clone().unwrap()
    );
    assert!(
        wine.reg_query(&rel_key).is_some(),
        "the release is not registered"
    );
}

/// `compress = "upx"` through the whole build. UPX cannot be installed here (no registry
/// packages it), so this uses tests/fixtures/upx/upx-standin, a stand-in that honours
/// upx's command line; tests/compress.rs also runs the real upx when it is on PATH.
#[test]
fn upx_stage_runs_after_stamping_verifies_and_warns_once() {
    let Some(_) = windows_toolchain() else { return };
    let dir = tempfile::tempdir().unwrap();
    let crate_dir = copy_fixture("example-service", &dir.path().join("svc"));
    let manifest = crate_dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        text.replacen(
            "license = \"LICENSE\"",
            "license = \"LICENSE\"\ncompress = \"upx\"\nupx-args = [\"--best\", \"--lzma\"]",
            1,
        ),
    )
    .unwrap();
    let standin = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/upx/upx-standin");
    let log = dir.path().join("upx.log");
    let exe = build_fixture("example-service");
    let out = dir.path().join("out");
    let mut c = Command::new(env!("CARGO_BIN_EXE_cargo-svcpack"));
    c.arg("svcpack")
        .arg("build")
        .arg("--manifest-path")
        .arg(&manifest);
    c.args([
        "--target",
        "x86_64-pc-windows-gnu",
        "--no-build",
        "--binary",
    ])
    .arg(&exe)
    .arg("--out-dir")
    .arg(&out)
    .arg("-v");
    c.env("SVCPACK_UPX", &standin).env("UPX_STANDIN_LOG", &log);
    let o = c.output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert_eq!(
        err.matches("antivirus").count(),
        1,
        "the warning appears once: {err}"
    );
    assert!(
        err.contains("compress") && err.contains("->"),
        "size before/after reported: {err}"
    );
    let calls = std::fs::read_to_string(&log).unwrap();
    assert!(
        calls.contains("--best") && calls.contains("--lzma") && calls.contains("-t"),
        "{calls}"
    );
    // The packed exe is what the MSI carries, stamped version intact.
    let r =
        svcpack::wix::inspect::inspect_file(&out.join("example-service-0.1.0-x64.msi")).unwrap();
    let f = r
        .files
        .iter()
        .find(|f| f.name == "example-service.exe")
        .unwrap();
    assert_eq!(f.version.as_deref(), Some("0.1.0.0"));
    assert_ne!(
        f.size as u64,
        std::fs::metadata(&exe).unwrap().len(),
        "the packed exe is packaged"
    );

    // A missing upx is a clear error and leaves no artifacts.
    let out2 = dir.path().join("out2");
    let mut c = Command::new(env!("CARGO_BIN_EXE_cargo-svcpack"));
    c.arg("svcpack")
        .arg("build")
        .arg("--manifest-path")
        .arg(&manifest);
    c.args([
        "--target",
        "x86_64-pc-windows-gnu",
        "--no-build",
        "--binary",
    ])
    .arg(&exe)
    .arg("--out-dir")
    .arg(&out2);
    c.env("SVCPACK_UPX", dir.path().join("no-such-upx"));
    let o = c.output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("compress = \"none\""), "{err}");
    assert!(!out2.exists());
}

/// An exe whose existing resources are malformed (a resource directory claiming far more
/// entries than the section holds) is a clear error with no artifacts, never a panic.
#[test]
fn malformed_existing_resources_are_a_clean_error() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("agent.exe");
    // Locate the resource directory with pefile (an independent reader) and corrupt it.
    let script = r#"
import sys, pefile
pe = pefile.PE(sys.argv[1])
d = pe.OPTIONAL_HEADER.DATA_DIRECTORY[pefile.DIRECTORY_ENTRY['IMAGE_DIRECTORY_ENTRY_RESOURCE']]
off = pe.get_offset_from_rva(d.VirtualAddress)
data = bytearray(open(sys.argv[1], 'rb').read())
data[off + 12:off + 16] = b'\xff\x7f\xff\x7f'   # NumberOfNamedEntries, NumberOfIdEntries
open(sys.argv[2], 'wb').write(data)
"#;
    let o = Command::new("python3")
        .args(["-c", script])
        .arg(pe_fixture("svc-res-x64.exe"))
        .arg(&bad)
        .output()
        .unwrap();
    if !o.status.success() {
        let msg = format!(
            "pefile unavailable ({}); install it with pip",
            String::from_utf8_lossy(&o.stderr)
                .lines()
                .last()
                .unwrap_or("")
        );
        if std::env::var_os("SVCPACK_REQUIRE_WINE").is_some()
            || std::env::var_os("SVCPACK_REQUIRE_TOOLS").is_some()
        {
            panic!("{msg}");
        }
        eprintln!("SKIPPED: {msg}");
        return;
    }
    let out = dir.path().join("out");
    let o = build(&fixture_dir("example-service"), Some(&bad), &out, &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("agent.exe") && err.contains("resources"),
        "{err}"
    );
    assert!(!err.contains("panicked") && !out.exists(), "{err}");
}
