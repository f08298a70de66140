//! `cargo svcpack build` end to end under Wine: the example service is
//! built for Windows by the real CLI, its MSI installed; the service answers over HTTP with
//! the configured arguments; an administrator's edit of the preserved config file survives
//! an upgrade to a bumped version, which then answers with the new version; uninstall
//! leaves no service registration and no program files. The plain application fixture
//! (no service section) installs and uninstalls too.
//!
//! Skips with a loud notice without the Windows toolchain and Wine; fails instead with
//! `SVCPACK_REQUIRE_WINE=1` (CI).

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;

use support::*;

fn svcpack_build(tc: &WindowsToolchain, manifest_dir: &Path, out: &Path) -> Output {
    let mut cmd = tc.svcpack();
    cmd.arg("build")
        .arg("--manifest-path")
        .arg(manifest_dir.join("Cargo.toml"))
        .arg("--target")
        .arg(tc.target())
        .arg("--out-dir")
        .arg(out)
        .env("SOURCE_DATE_EPOCH", "1700000000");
    cmd.output().expect("running cargo svcpack build")
}

fn built_msi(out: &Path) -> PathBuf {
    let msi: Vec<PathBuf> = std::fs::read_dir(out)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "msi"))
        .collect();
    assert_eq!(msi.len(), 1, "{msi:?}");
    msi[0].clone()
}

#[test]
fn service_installs_keeps_edited_config_across_upgrade_and_uninstalls() {
    let Some(tc) = windows_toolchain() else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let crate_dir = copy_fixture("example-service", &work.path().join("svc"));
    let port = next_port();
    set_service_port(&crate_dir, port);

    let out1 = work.path().join("out1");
    let o = timed("build_wine: cargo svcpack build 0.1.0", || {
        svcpack_build(tc, &crate_dir, &out1)
    });
    assert!(
        o.status.success(),
        "build failed:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let msi1 = built_msi(&out1);
    assert!(
        msi1.ends_with("example-service-0.1.0-x64.msi"),
        "{}",
        msi1.display()
    );

    let wine = timed("build_wine: wine prefix", WinePrefix::new);
    timed("build_wine: install 0.1.0", || {
        wine.msiexec_install(&msi1).assert_success()
    });
    let body = wine
        .http_get(port, "/", secs(30))
        .unwrap_or_else(|| panic!("no answer on 127.0.0.1:{port}"));
    assert!(body.contains("version=0.1.0"), "{body}");
    assert!(body.contains("service=SvcpackExample"), "{body}");
    let args = wine.http_get(port, "/args", secs(10)).expect("GET /args");
    let args: serde_json::Value = serde_json::from_str(&args).unwrap();
    assert_eq!(
        args["argv"],
        serde_json::json!(["--port", port.to_string()]),
        "{args}"
    );

    // The administrator edits the preserved config file.
    let dir = wine.program_files().join("svcpack Example Service");
    let cfg = dir.join("agent.toml");
    assert!(cfg.is_file(), "{} missing", cfg.display());
    let edited = "# edited by the administrator\ngreeting = \"changed\"\n";
    std::fs::write(&cfg, edited).unwrap();

    // Upgrade to 0.2.0: the service answers with the new version, the edit survives.
    set_package_version(&crate_dir, "0.2.0");
    let out2 = work.path().join("out2");
    let o = timed("build_wine: cargo svcpack build 0.2.0", || {
        svcpack_build(tc, &crate_dir, &out2)
    });
    assert!(
        o.status.success(),
        "build failed:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let msi2 = built_msi(&out2);
    timed("build_wine: upgrade to 0.2.0", || {
        wine.msiexec_install(&msi2).assert_success()
    });
    let upgraded = wait_until(secs(30), std::time::Duration::from_millis(300), || {
        wine.http_get(port, "/", secs(2))
            .filter(|b| b.contains("version=0.2.0"))
    });
    assert!(
        upgraded.is_some(),
        "0.2.0 does not answer after the upgrade"
    );
    assert_eq!(
        std::fs::read_to_string(&cfg).unwrap(),
        edited,
        "the edited config did not survive the upgrade"
    );
    assert_eq!(
        wine.http_get(port, "/config", secs(10)).as_deref(),
        Some(edited)
    );

    // Uninstall: stop first (Wine does not wait for a stopping service), then remove.
    assert!(
        dir.join("example-service.exe").is_file(),
        "the program is not where the uninstall check looks for it"
    );
    wine.net_stop("SvcpackExample").assert_success();
    assert!(wine.wait_process_gone("example-service.exe", secs(15)));
    timed("build_wine: uninstall", || {
        wine.msiexec_uninstall(&msi2).assert_success()
    });
    assert!(
        wine.reg_key_absent(r"HKLM\System\CurrentControlSet\Services\SvcpackExample"),
        "service still registered"
    );
    assert!(
        !dir.join("example-service.exe").exists(),
        "program files left behind"
    );
}

#[test]
fn plain_application_installs_and_uninstalls() {
    let Some(tc) = windows_toolchain() else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("out");
    let o = svcpack_build(tc, &fixture_dir("plain-app"), &out);
    assert!(
        o.status.success(),
        "build failed:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let msi = built_msi(&out);
    let report = svcpack::wix::inspect::inspect_file(&msi).unwrap();
    assert!(report.services.is_empty());
    let wine = WinePrefix::new();
    wine.msiexec_install(&msi).assert_success();
    let exe = report
        .files
        .iter()
        .find(|f| f.name.ends_with(".exe"))
        .expect("exe in the MSI");
    let installed: Vec<PathBuf> = walk(&wine.program_files())
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n == exe.name.as_str()))
        .collect();
    assert_eq!(installed.len(), 1, "{installed:?}");
    wine.msiexec_uninstall(&msi).assert_success();
    assert!(!installed[0].exists(), "exe left behind after uninstall");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// The acceptance shape: Unicode display and product names, spaces and symbols in the
/// service name, arguments with spaces, quotes and MSI/preprocessor metacharacters, and
/// recovery settings including a run command. Installs, answers, and arrives literally.
#[test]
fn unicode_names_and_symbolic_arguments_arrive_literally() {
    let Some(tc) = windows_toolchain() else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let crate_dir = copy_fixture("example-service", &work.path().join("svc"));
    let port = next_port();
    let manifest = crate_dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let head = &text[..text
        .find("[package.metadata.svcpack]")
        .expect("metadata section")];
    let name = "Ledger Agent (Test) #1";
    let display = "Ledger Agent ✓ Überwachung – Zürich";
    let label = r#"a "quoted" & <sym> $(var.X) [Prop] {x} 100% c:\dir\"#;
    let metadata = format!(
        r#"[package.metadata.svcpack]
product-name = "Ledger Agent Überwachung"
manufacturer = "Ünïcode Tools \"Ltd\""
upgrade-code = "0A1B2C3D-4E5F-4061-8273-94A5B6C7D8E9"
binary = "example-service"

[package.metadata.svcpack.service]
name = "{name}"
display-name = "{display}"
description = "Überwacht & prüft </Description><Evil/> \"x\""
start = "delayed"
arguments = ["--port", "{port}", "--label", '{label}']

[package.metadata.svcpack.service.recovery]
actions = ["restart", "run", "none"]
delays-secs = [5, 10, 0]
reset-after-secs = 3600
command = "cmd.exe /c echo failed > \"C:\\failed marker.txt\""
"#
    );
    std::fs::write(&manifest, format!("{head}{metadata}")).unwrap();
    let out = work.path().join("out");
    let o = svcpack_build(tc, &crate_dir, &out);
    assert!(
        o.status.success(),
        "build failed:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let msi = built_msi(&out);

    let report = svcpack::wix::inspect::inspect_file(&msi).unwrap();
    let svc = &report.services[0];
    assert_eq!(svc.name, name);
    assert_eq!(svc.start_type, "delayed");
    let rec = svc.recovery.as_ref().expect("recovery");
    assert_eq!(rec.actions, ["restart", "run", "none"]);
    assert_eq!(rec.delays_ms, [5000, 10000, 0]);
    assert_eq!(rec.reset_period_secs, Some(3600));

    let wine = WinePrefix::new();
    wine.msiexec_install(&msi).assert_success();
    let args = wine
        .http_get(port, "/args", secs(30))
        .unwrap_or_else(|| panic!("no answer on {port}"));
    let args: serde_json::Value = serde_json::from_str(&args).unwrap();
    assert_eq!(
        args["argv"],
        serde_json::json!(["--port", port.to_string(), "--label", label]),
        "{args}"
    );
    let key = format!(r"HKLM\System\CurrentControlSet\Services\{name}");
    assert_eq!(
        wine.reg_value(&key, "DisplayName")
            .map(|v| v.to_string())
            .as_deref(),
        Some(display)
    );
    assert_eq!(
        wine.reg_value(&key, "Description")
            .map(|v| v.to_string())
            .as_deref(),
        Some("Überwacht & prüft </Description><Evil/> \"x\"")
    );
    wine.net_stop(name).assert_success();
    assert!(wine.wait_process_gone("example-service.exe", secs(15)));
    wine.msiexec_uninstall(&msi).assert_success();
    assert!(wine.reg_key_absent(&key));
}
