//! svcpack's service host end to end under Wine: `tests/fixtures/console-app`,
//! a dependency-free console HTTP program with no service code, is packaged with
//! `[package.metadata.svcpack.service.host]` by the real CLI and installed. Then, in one
//! installation: it answers with its arguments, environment and working directory; a
//! request that makes it exit with code 3 is followed, after the restart delay, by answers
//! from a new process; its stdout and stderr lines are in the log folder, and stdout rotates
//! at the configured size keeping the configured number of files; `net stop` stops it
//! gracefully (its Ctrl-C line is in the log) within the timeout; after more than
//! max-restarts-per-hour exits the host gives up and the service stops with
//! ERROR_SERVICE_SPECIFIC_ERROR and the program's exit code; an upgrade installed over it
//! runs the new program with the new configuration and keeps the logs; uninstalling
//! removes the service, the program, the host and the logs. A second installation is
//! uninstalled while running: the host and the program end and the service is gone.
//! Upgrades installed over a running hosted service exit 0 without asking for a reboot and
//! leave the new program and the new host running.
//!
//! The MSI tables carry what Wine does not apply (the log folder's access, the
//! "recovery on error exit" flag), and the portable zip carries the host, its
//! configuration and scripts that register the host.
//!
//! Skips with a loud notice without the Windows toolchain and Wine; fails instead with
//! `SVCPACK_REQUIRE_WINE=1` (CI).

mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use support::*;

const SERVICE: &str = "SvcpackConsoleApp";
const HOST_EXE: &str = "svcpack-host.exe";
const PROGRAM_EXE: &str = "console-app.exe";
const INSTALL_DIR: &str = "svcpack Console App";
const LOG_MAX_BYTES: u64 = 4000;
const LOG_KEEP: u32 = 2;
const RESTART_DELAY_SECS: u64 = 2;
const MAX_RESTARTS_PER_HOUR: u32 = 2;
/// An argument that needs Windows command-line quoting.
const LABEL: &str = r#"two words "quoted" \ end\"#;

/// The fixture's Cargo.toml with its svcpack section replaced by the test's settings.
fn configure(crate_dir: &Path, port: u16, label: &str) {
    let manifest = crate_dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let head = &text[..text
        .find("[package.metadata.svcpack]")
        .expect("the fixture has a svcpack section")];
    let metadata = format!(
        r#"[package.metadata.svcpack]
product-name = "svcpack Console App"
manufacturer = "svcpack developers"
upgrade-code = "3B8F2E61-0C4D-4A97-B1E5-7D2C9A6F4E18"
license = "LICENSE"

[package.metadata.svcpack.service]
name = "{SERVICE}"
display-name = "svcpack Console App (hosted)"
start = "auto"
account = "LocalSystem"
arguments = ["--port", "{port}", "--label", '{label}']

[package.metadata.svcpack.service.recovery]
actions = ["restart", "none"]
delays-secs = [30, 0]

[package.metadata.svcpack.service.host]
stop-timeout-secs = 10
restart-delay-secs = {RESTART_DELAY_SECS}
max-restarts-per-hour = {MAX_RESTARTS_PER_HOUR}
log-dir = "logs"
log-max-bytes = {LOG_MAX_BYTES}
log-keep = {LOG_KEEP}
working-dir = "data"
environment = {{ RUST_LOG = "info", SVCPACK_TEST = "a b=c ✓" }}
"#
    );
    std::fs::write(&manifest, format!("{head}{metadata}")).unwrap();
}

fn build(tc: &WindowsToolchain, crate_dir: &Path, out: &Path) -> PathBuf {
    let o = svcpack_build_command(tc, crate_dir, out)
        // Shared between runs, so the program and the host are cargo no-ops the next time.
        .env("CARGO_TARGET_DIR", fixtures_target_dir().join("host-wine"))
        .output()
        .expect("running cargo svcpack build");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "build failed:\n{stderr}");
    assert!(
        !stderr.contains("StartServiceCtrlDispatcher"),
        "a hosted console program needs no service code:\n{stderr}"
    );
    built_msi(out)
}

/// The `pid=` line of the program's `/` answer.
fn pid_of(body: &str) -> u32 {
    body.lines()
        .find_map(|l| l.strip_prefix("pid="))
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or_else(|| panic!("no pid in {body:?}"))
}

fn read(path: &Path) -> String {
    std::fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

/// Waits until `path` contains `needle`; the file's text either way.
fn wait_for_text(path: &Path, needle: &str, timeout: Duration) -> String {
    wait_until(timeout, Duration::from_millis(200), || {
        let t = read(path);
        t.contains(needle).then_some(t)
    })
    .unwrap_or_else(|| read(path))
}

/// `sc query` values (`STATE`, `WIN32_EXIT_CODE`, `SERVICE_EXIT_CODE`) as the first number
/// after the colon.
fn sc_value(wine: &WinePrefix, key: &str) -> Option<u32> {
    let out = wine.sc(&["query", SERVICE]);
    out.stdout
        .lines()
        .find(|l| l.trim_start().starts_with(key))
        .and_then(|l| l.split(':').nth(1))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

/// The names and contents of a zip's entries (stored or deflated).
/// What Wine cannot show: the MSI's tables and the zip's content.
fn check_artifacts(msi: &Path, port: u16) {
    let report = svcpack::inspect::inspect_msi(msi).unwrap();
    let svc = &report.services[0];
    assert_eq!(svc.name, SERVICE);
    assert_eq!(svc.arguments, None, "the host takes no arguments: {svc:?}");
    let names: Vec<&str> = report.files.iter().map(|f| f.name.as_str()).collect();
    for f in [HOST_EXE, "svcpack-host.conf", PROGRAM_EXE] {
        assert!(
            names.iter().any(|n| n.ends_with(f)),
            "{f} missing: {names:?}"
        );
    }
    let host = report
        .files
        .iter()
        .find(|f| f.name.ends_with(HOST_EXE))
        .unwrap();
    assert_eq!(
        host.version.as_deref(),
        Some("0.1.0.0"),
        "the host is stamped"
    );

    // The log folder's access (Wine has no ACLs to check) and recovery on error exits.
    let locks = msiinfo_export(msi, "MsiLockPermissionsEx").expect("MsiLockPermissionsEx");
    assert!(
        locks.contains("CreateFolder\tD:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"),
        "{locks}"
    );
    // Recovery also on error exits (the host stops with 1066 when it gives up): applied by
    // the installer's own custom action, which inspect decodes.
    assert_eq!(svc.settings_from, "custom action", "{svc:?}");
    assert!(
        svc.non_crash_failures,
        "FailureActionsWhen=failedToStopOrReturnedError missing: {svc:?}"
    );

    let zip = msi.with_file_name("console-app-0.1.0-x64-portable.zip");
    let entries = unzip(&zip);
    let get = |n: &str| {
        entries
            .iter()
            .find(|(name, _)| name == n)
            .map(|(_, c)| String::from_utf8_lossy(c).into_owned())
            .unwrap_or_else(|| panic!("{n} not in the zip"))
    };
    let conf = get("svcpack-host.conf");
    assert!(
        conf.contains(&format!("\r\narg={port}\r\narg=--label\r\narg={LABEL}\r\n")),
        "{conf}"
    );
    assert!(
        conf.contains("\r\nworking-dir=data\r\n")
            && conf.contains("\r\nenv=SVCPACK_TEST=a b=c ✓\r\n"),
        "{conf}"
    );
    let install = get("install.ps1");
    assert!(
        install.contains(&format!("'{HOST_EXE}'")),
        "install.ps1 registers the host:\n{install}"
    );
    assert!(
        entries.iter().any(|(n, _)| n == HOST_EXE) && entries.iter().any(|(n, _)| n == PROGRAM_EXE)
    );
}

#[test]
fn hosted_console_program_restarts_logs_rotates_stops_gives_up_and_uninstalls() {
    let Some(tc) = windows_toolchain() else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let crate_dir = copy_fixture("console-app", &work.path().join("app"));
    let port = next_port();
    configure(&crate_dir, port, LABEL);
    let out = work.path().join("out");
    let msi = timed("host_wine: cargo svcpack build (hosted)", || {
        build(tc, &crate_dir, &out)
    });
    assert!(
        msi.ends_with("console-app-0.1.0-x64.msi"),
        "{}",
        msi.display()
    );
    check_artifacts(&msi, port);

    let wine = timed("host_wine: wine prefix", WinePrefix::new);
    timed("host_wine: install", || {
        wine.msiexec_install(&msi).assert_success()
    });
    let dir = wine.program_files().join(INSTALL_DIR);
    let logs = dir.join("logs");
    let out_log = logs.join("console-app.out.log");
    let err_log = logs.join("console-app.err.log");
    let host_log = logs.join("svcpack-host.log");

    // It answers: the host started the program with its arguments, environment and
    // working directory.
    let body = timed("host_wine: first answer", || {
        wine.http_get(port, "/", secs(30))
    })
    .unwrap_or_else(|| {
        panic!(
            "no answer on 127.0.0.1:{port}\nhost log:\n{}",
            read(&host_log)
        )
    });
    let pid1 = pid_of(&body);
    assert!(
        body.contains("exe=C:\\Program Files\\svcpack Console App\\console-app.exe"),
        "{body}"
    );
    let args = wine.http_get(port, "/args", secs(10)).expect("GET /args");
    let args: serde_json::Value = serde_json::from_str(&args).unwrap();
    assert_eq!(
        args,
        serde_json::json!(["--port", port.to_string(), "--label", LABEL])
    );
    assert_eq!(
        wine.http_get(port, "/env/RUST_LOG", secs(10)).as_deref(),
        Some("info")
    );
    assert_eq!(
        wine.http_get(port, "/env/SVCPACK_TEST", secs(10))
            .as_deref(),
        Some("a b=c ✓")
    );
    assert_eq!(
        wine.http_get(port, "/cwd", secs(10)).as_deref(),
        Some("C:\\Program Files\\svcpack Console App\\data")
    );
    assert_eq!(wine.service_state(SERVICE).as_deref(), Some("RUNNING"));
    let key = format!(r"HKLM\System\CurrentControlSet\Services\{SERVICE}");
    let image = wine
        .reg_value(&key, "ImagePath")
        .map(|v| v.to_string())
        .unwrap_or_default();
    assert!(
        image.ends_with(&format!("\\{HOST_EXE}\"")) || image.ends_with(HOST_EXE),
        "{image}"
    );
    let source = wine.reg_value(
        &format!(r"HKLM\System\CurrentControlSet\Services\EventLog\Application\{SERVICE}"),
        "EventMessageFile",
    );
    assert!(
        source
            .map(|v| v.to_string())
            .unwrap_or_default()
            .ends_with(HOST_EXE),
        "the event source names the host"
    );

    // stdout and stderr lines reach the logs.
    let text = wait_for_text(
        &out_log,
        &format!("console-app[{pid1}]: GET / -> 200 OK"),
        secs(10),
    );
    assert!(
        text.contains(&format!("console-app[{pid1}]: GET / -> 200 OK")),
        "{text}"
    );
    wine.http_get(port, "/stderr", secs(10))
        .expect("GET /stderr");
    let text = wait_for_text(&err_log, "a line on stderr", secs(10));
    assert!(
        text.contains(&format!("console-app[{pid1}]: a line on stderr")),
        "{text}"
    );

    // A crash (exit code 3) is followed, after the restart delay, by a new process.
    let crashed = Instant::now();
    assert!(wine.http_get(port, "/crash", secs(10)).is_some());
    let pid2 = wait_until(secs(30), Duration::from_millis(100), || {
        wine.http_get(port, "/", secs(1))
            .map(|b| pid_of(&b))
            .filter(|p| *p != pid1)
    })
    .unwrap_or_else(|| {
        panic!(
            "no new process after the crash\nhost log:\n{}",
            read(&host_log)
        )
    });
    let took = crashed.elapsed();
    assert!(
        took >= Duration::from_millis(RESTART_DELAY_SECS * 1000 - 100),
        "answered again {took:?} after the crash, before the restart delay"
    );
    let hl = read(&host_log);
    assert!(
        hl.contains(&format!("(process id {pid1}) exited with code 3")),
        "{hl}"
    );
    assert!(
        hl.contains("restarting console-app.exe in 2 s (restart 1 of at most 2"),
        "{hl}"
    );
    assert!(
        hl.contains(&format!("started console-app.exe (process id {pid2})")),
        "{hl}"
    );

    // Rotation: 100 lines of 100 bytes through a 4000-byte log keeping 2 rotated files.
    let before_spam = read(&out_log);
    wine.http_get(port, "/spam/100", secs(10))
        .expect("GET /spam/100");
    let rotated = |n: u32| logs.join(format!("console-app.out.log.{n}"));
    wait_for_text(&out_log, "GET /spam/100 -> 200 OK", secs(10));
    for p in [out_log.clone(), rotated(1), rotated(2)] {
        let t = read(&p);
        assert!(p.is_file(), "{} missing", p.display());
        assert!(
            t.len() as u64 <= LOG_MAX_BYTES,
            "{} has {} bytes",
            p.display(),
            t.len()
        );
        assert!(t.ends_with('\n'), "{} ends mid-line", p.display());
    }
    assert!(!rotated(3).exists(), "more than log-keep rotated files");
    let all = format!(
        "{}{}{}",
        read(&rotated(2)),
        read(&rotated(1)),
        read(&out_log)
    );
    let last = format!("spam {:010} {}\n", 99, "x".repeat(83));
    assert!(all.contains(&last), "the last line is kept");
    assert!(!before_spam.is_empty() && all.len() as u64 <= 3 * LOG_MAX_BYTES);

    // net stop: Ctrl-C reaches the program, which exits in time.
    let stopping = Instant::now();
    timed("host_wine: net stop", || {
        wine.net_stop(SERVICE).assert_success()
    });
    assert!(wine.wait_process_gone(PROGRAM_EXE, secs(15)));
    assert!(wine.wait_process_gone(HOST_EXE, secs(15)));
    assert!(
        stopping.elapsed() < secs(10),
        "stopping took {:?}",
        stopping.elapsed()
    );
    let text = wait_for_text(&out_log, "received CTRL_C_EVENT, exiting", secs(5));
    assert!(
        text.contains(&format!(
            "console-app[{pid2}]: received CTRL_C_EVENT, exiting"
        )),
        "no graceful stop in the log:\n{text}"
    );
    let hl = read(&host_log);
    assert!(
        hl.contains(&format!(
            "stopped: console-app.exe (process id {pid2}) exited with code 0"
        )),
        "{hl}"
    );
    assert_eq!(sc_value(&wine, "WIN32_EXIT_CODE"), Some(0));

    // Giving up: more than max-restarts-per-hour exits stop the service with an error.
    wine.net_start(SERVICE).assert_success();
    let mut pid = pid_of(
        &wine
            .http_get(port, "/", secs(30))
            .expect("answers after net start"),
    );
    for n in 0..=MAX_RESTARTS_PER_HOUR {
        assert!(
            wine.http_get(port, "/crash", secs(10)).is_some(),
            "crash {n}"
        );
        if n < MAX_RESTARTS_PER_HOUR {
            pid = wait_until(secs(30), Duration::from_millis(100), || {
                wine.http_get(port, "/", secs(1))
                    .map(|b| pid_of(&b))
                    .filter(|p| *p != pid)
            })
            .unwrap_or_else(|| panic!("no restart after crash {n}:\n{}", read(&host_log)));
        }
    }
    assert!(
        wine.wait_service_state(SERVICE, "STOPPED", secs(20)),
        "the service did not stop after giving up:\n{}",
        read(&host_log)
    );
    assert!(wine.wait_process_gone(HOST_EXE, secs(15)));
    assert_eq!(
        sc_value(&wine, "WIN32_EXIT_CODE"),
        Some(1066),
        "ERROR_SERVICE_SPECIFIC_ERROR"
    );
    assert_eq!(
        sc_value(&wine, "SERVICE_EXIT_CODE"),
        Some(3),
        "the program's exit code"
    );
    let hl = read(&host_log);
    assert!(hl.contains("giving up"), "{hl}");
    assert!(
        wine.http_get(port, "/", secs(2)).is_none(),
        "still answering"
    );

    // An upgrade (installed over the stopped 0.1.0) replaces the program, the host and its
    // configuration, starts the service again, and keeps the logs.
    set_package_version(&crate_dir, "0.2.0");
    let label2 = "upgraded label";
    configure(&crate_dir, port, label2);
    let msi = timed("host_wine: cargo svcpack build 0.2.0", || {
        build(tc, &crate_dir, &work.path().join("out2"))
    });
    timed("host_wine: upgrade", || {
        wine.msiexec_install(&msi).assert_success()
    });
    let body = wait_until(secs(30), Duration::from_millis(300), || {
        wine.http_get(port, "/", secs(2))
            .filter(|b| b.contains("version=0.2.0"))
    })
    .unwrap_or_else(|| panic!("0.2.0 does not answer:\n{}", read(&host_log)));
    let args = wine.http_get(port, "/args", secs(10)).expect("GET /args");
    let args: serde_json::Value = serde_json::from_str(&args).unwrap();
    assert_eq!(args[3], label2, "the new configuration file is in place");
    let hl = read(&host_log);
    assert!(hl.contains("giving up"), "the upgrade kept the logs:\n{hl}");
    assert!(
        hl.contains(&format!(
            "started console-app.exe (process id {})",
            pid_of(&body)
        )),
        "{hl}"
    );
    assert!(rotated(2).is_file(), "the upgrade kept the rotated logs");

    // Uninstall (stopped first, so Wine can delete every file): the service, the program,
    // the host and the logs are gone.
    wine.net_stop(SERVICE).assert_success();
    assert!(wine.wait_process_gone(HOST_EXE, secs(15)));
    assert!(wine.wait_process_gone(PROGRAM_EXE, secs(15)));
    timed("host_wine: uninstall", || {
        wine.msiexec_uninstall(&msi).assert_success()
    });
    assert!(wine.reg_key_absent(&key), "service still registered");
    for f in [PROGRAM_EXE, HOST_EXE, "svcpack-host.conf"] {
        assert!(!dir.join(f).exists(), "{f} left behind");
    }
    assert!(
        !logs.exists(),
        "logs left behind: {:?}",
        std::fs::read_dir(&logs).map(|d| d.flatten().map(|e| e.file_name()).collect::<Vec<_>>())
    );
    assert!(!dir.exists(), "{} left behind", dir.display());

    // Uninstalling a running service stops the host and the program.
    timed("host_wine: reinstall", || {
        wine.msiexec_install(&msi).assert_success()
    });
    wine.http_get(port, "/", secs(30))
        .expect("answers after reinstalling");
    timed("host_wine: uninstall while running", || {
        wine.msiexec_uninstall(&msi).assert_success()
    });
    assert!(
        wine.wait_process_gone(PROGRAM_EXE, secs(20)),
        "the program outlived the uninstall"
    );
    assert!(
        wine.wait_process_gone(HOST_EXE, secs(20)),
        "the host outlived the uninstall"
    );
    assert!(wine.reg_key_absent(&key), "service still registered");
    assert!(
        wine.http_get(port, "/", secs(2)).is_none(),
        "still answering"
    );
}

/// The readiness check accepts a hosted console program (checked by
/// `build` above) and warns when a hosted program is itself a service.
#[test]
fn hosting_a_program_that_is_itself_a_service_is_a_warning() {
    let Some(tc) = windows_toolchain() else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let crate_dir = copy_fixture("example-service", &work.path().join("svc"));
    let manifest = crate_dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        format!("{text}\n[package.metadata.svcpack.service.host]\nlog-dir = \"logs\"\n"),
    )
    .unwrap();
    let mut cmd = tc.svcpack();
    cmd.arg("build")
        .arg("--manifest-path")
        .arg(&manifest)
        .arg("--target")
        .arg(tc.target())
        .arg("--out-dir")
        .arg(work.path().join("out"))
        .env("CARGO_TARGET_DIR", fixtures_target_dir().join("host-wine"));
    let o = cmd.output().expect("running cargo svcpack build");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "a warning, not an error:\n{stderr}");
    assert!(
        stderr.contains("warning:") && stderr.contains("calls StartServiceCtrlDispatcher"),
        "{stderr}"
    );
}

/// Upgrading a RUNNING hosted service never asks for a reboot either: the installer's
/// SvcpackStopService stops the host, which ends the program, and waits until both
/// processes have exited before files are replaced (Windows keeps a running exe locked and
/// would exit 3010; Wine silently keeps the old file). Each run is a fresh prefix: 0.1.0
/// installed and answering, 0.2.0 installed over it, which then answers from the new
/// program and the new host. `SVCPACK_HOSTED_UPGRADE_RUNS` sets the count (default 3).
#[test]
fn upgrading_a_running_hosted_service_never_needs_a_reboot() {
    let Some(tc) = windows_toolchain() else {
        return;
    };
    let runs: usize = std::env::var("SVCPACK_HOSTED_UPGRADE_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let work = tempfile::tempdir().unwrap();
    let crate_dir = copy_fixture("console-app", &work.path().join("app"));
    let port = next_port();
    let mut built = Vec::new();
    for version in ["0.1.0", "0.2.0"] {
        set_package_version(&crate_dir, version);
        configure(&crate_dir, port, &format!("label {version}"));
        let out = work.path().join(format!("out-{version}"));
        built.push((build(tc, &crate_dir, &out), out));
    }
    // The new host as packaged (the zip carries the same stamped bytes as the MSI).
    let new_zip = built[1].1.join("console-app-0.2.0-x64-portable.zip");
    let new_host = unzip(&new_zip)
        .into_iter()
        .find(|(n, _)| n == HOST_EXE)
        .map(|(_, b)| b)
        .expect("the host in the 0.2.0 zip");
    let started = Instant::now();
    let mut codes = Vec::new();
    for run in 0..runs {
        let wine = WinePrefix::new();
        wine.msiexec_install(&built[0].0).assert_success();
        let body = wine
            .http_get(port, "/", secs(30))
            .unwrap_or_else(|| panic!("run {run}: 0.1.0 does not answer"));
        assert!(body.contains("version=0.1.0"), "{body}");

        let upgrade = wine.msiexec_install(&built[1].0);
        codes.push(upgrade.code());
        let log = upgrade.msi_log.clone().unwrap_or_default();
        assert_eq!(
            upgrade.code(),
            Some(0),
            "run {run}: the upgrade exited {:?} (3010 shows as 194)\n{log}",
            upgrade.code()
        );
        assert!(
            log.lines().any(|l| l.contains("Action ended")
                && l.contains("SvcpackStopService")
                && l.contains("Return value 1")),
            "run {run}: SvcpackStopService did not run\n{log}"
        );
        assert!(
            !log.contains("REBOOTREQUIRED"),
            "run {run}: the upgrade asks for a reboot\n{log}"
        );
        let upgraded = wait_until(secs(30), Duration::from_millis(300), || {
            wine.http_get(port, "/", secs(2))
                .filter(|b| b.contains("version=0.2.0"))
        });
        assert!(upgraded.is_some(), "run {run}: 0.2.0 does not answer");
        let installed = wine.program_files().join(INSTALL_DIR).join(HOST_EXE);
        assert!(
            std::fs::read(&installed).unwrap() == new_host,
            "run {run}: the old host was kept"
        );
        wine.net_stop(SERVICE);
        wine.wait_process_gone(HOST_EXE, secs(15));
    }
    report_timing(
        &format!("host_wine: {runs} upgrades of a running hosted service, exit codes {codes:?}"),
        started.elapsed(),
    );
}
