//! `cargo svcpack build` end to end under Wine: the example service is
//! built for Windows by the real CLI, its MSI installed; the service answers over HTTP with
//! the configured arguments; an administrator's edit of the preserved config file survives
//! an upgrade to a bumped version, which then answers with the new version; uninstall
//! leaves no service registration and no program files. The plain application fixture
//! (no service section) installs and uninstalls too. Service settings and firewall rules
//! reach the installer's custom actions, which run and succeed; upgrades of a running
//! service never ask for a reboot.
//!
//! Skips with a loud notice without the Windows toolchain and Wine; fails instead with
//! `SVCPACK_REQUIRE_WINE=1` (CI).

mod support;

use std::path::{Path, PathBuf};

use support::*;

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
    let report = svcpack::inspect::inspect_msi(&msi).unwrap();
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
    let msi = svcpack_build_msi(tc, &crate_dir, &out);

    let report = svcpack::inspect::inspect_msi(&msi).unwrap();
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

/// Adds service settings to the example's configuration.
fn add_service_settings(crate_dir: &Path) {
    let manifest = crate_dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let text = text
        .replace(
            "event-source = true\n",
            "event-source = true\nsid-type = \"unrestricted\"\n\
             required-privileges = [\"SeChangeNotifyPrivilege\", \"SeImpersonatePrivilege\"]\n\
             preshutdown-timeout-secs = 45\n",
        )
        .replace(
            "reset-after-secs = 86400\n",
            "reset-after-secs = 86400\nnon-crash-failures = true\n",
        )
        .replace("start = \"auto\"", "start = \"delayed\"");
    std::fs::write(&manifest, text).unwrap();
}

/// The service settings reach the service manager through the MSI's own custom action
/// (svcpack's helper calling ChangeServiceConfig2W), not MsiConfigureServices, which Wine
/// does not implement. Wine's service manager stores only some levels (it answers
/// ERROR_INVALID_LEVEL for the others, which the helper logs as unsupported): the test
/// checks the action ran and succeeded, the arguments it was given (decoded as the helper
/// decodes them, and as the helper itself prints them), and the one value Wine stores.
#[test]
fn service_settings_are_applied_by_the_installers_custom_action() {
    let Some(tc) = windows_toolchain() else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let crate_dir = copy_fixture("example-service", &work.path().join("svc"));
    let port = next_port();
    set_service_port(&crate_dir, port);
    add_service_settings(&crate_dir);
    let out = work.path().join("out");
    let msi = svcpack_build_msi(tc, &crate_dir, &out);

    // What the MSI carries: no MsiServiceConfig rows, the helper's command lines.
    let report = svcpack::inspect::inspect_msi(&msi).unwrap();
    let svc = &report.services[0];
    assert_eq!(svc.settings_from, "custom action");
    assert_eq!(svc.start_type, "delayed");
    assert!(svc.non_crash_failures);
    assert_eq!(svc.sid_type.as_deref(), Some("unrestricted"));
    assert_eq!(
        svc.required_privileges,
        ["SeChangeNotifyPrivilege", "SeImpersonatePrivilege"]
    );
    assert_eq!(svc.preshutdown_timeout_ms, Some(45_000));
    assert_eq!(svc.stop_wait_ms, Some(30_000));
    let rec = svc.recovery.as_ref().expect("recovery");
    assert_eq!(rec.actions, ["restart", "restart", "none"]);
    assert_eq!(rec.delays_ms, [5000, 30000, 0]);
    assert_eq!(msiinfo_export(&msi, "MsiServiceConfig"), None);

    let wine = WinePrefix::new();
    let install = wine.msiexec_install(&msi).assert_success();
    let log = install.msi_log.clone().unwrap_or_default();
    for action in ["SvcpackStopService", "SvcpackConfigureService"] {
        let ended = log
            .lines()
            .find(|l| l.contains("Action ended") && l.contains(action))
            .unwrap_or_else(|| panic!("{action} did not run:\n{log}"));
        assert!(ended.contains("Return value 1"), "{ended}");
    }
    assert!(
        wine.http_get(port, "/", secs(30)).is_some(),
        "no answer on {port}"
    );
    // Wine's service manager keeps the pre-shutdown timeout (and accepts the failure
    // actions without storing them).
    let key = r"HKLM\System\CurrentControlSet\Services\SvcpackExample";
    assert_eq!(
        wine.reg_value(key, "PreshutdownTimeout")
            .and_then(|v| v.as_dword()),
        Some(45_000)
    );

    // The helper itself, given the action's command line, prints the calls it makes.
    let helper = cached_helper(&crate_dir.join("target"));
    let props = msiinfo_export(&msi, "Property").expect("Property table");
    let line = props
        .lines()
        .find_map(|l| l.strip_prefix("SvcpackConfigureArgs\t"))
        .expect("SvcpackConfigureArgs");
    let mut cmd = vec![helper.to_string_lossy().into_owned(), "--print".into()];
    cmd.extend(svcpack::helper::settings::split_args(line));
    let printed = wine.run(&cmd).assert_success();
    for call in [
        "SvcpackExample: ChangeServiceConfig2W(SERVICE_CONFIG_FAILURE_ACTIONS, dwResetPeriod=86400, lpRebootMsg=\"\", lpCommand=\"\", cActions=3, lpsaActions=[SC_ACTION_RESTART/5000ms, SC_ACTION_RESTART/30000ms, SC_ACTION_NONE/0ms])",
        "SvcpackExample: ChangeServiceConfig2W(SERVICE_CONFIG_FAILURE_ACTIONS_FLAG, fFailureActionsOnNonCrashFailures=1)",
        "SvcpackExample: ChangeServiceConfig2W(SERVICE_CONFIG_DELAYED_AUTO_START_INFO, fDelayedAutostart=1)",
        "SvcpackExample: ChangeServiceConfig2W(SERVICE_CONFIG_SERVICE_SID_INFO, dwServiceSidType=1 (unrestricted))",
        "SvcpackExample: ChangeServiceConfig2W(SERVICE_CONFIG_REQUIRED_PRIVILEGES_INFO, pmszRequiredPrivileges=[SeChangeNotifyPrivilege, SeImpersonatePrivilege])",
        "SvcpackExample: ChangeServiceConfig2W(SERVICE_CONFIG_PRESHUTDOWN_INFO, dwPreshutdownTimeout=45000)",
    ] {
        assert!(printed.stdout.contains(call), "{call}\n{}", printed.stdout);
    }

    wine.net_stop("SvcpackExample").assert_success();
    assert!(wine.wait_process_gone("example-service.exe", secs(15)));
    wine.msiexec_uninstall(&msi).assert_success();
}

/// Upgrading a RUNNING service never asks for a reboot: the helper stops the old service
/// and waits until its process has exited before Windows Installer replaces files (a
/// service reports SERVICE_STOPPED a moment before its process ends; Windows would then
/// schedule the file for the next reboot and exit 3010, Wine silently keeps the old file).
/// Each run is a fresh copy of the booted prefix: 1.2.3 installed and answering, its
/// config edited, 1.2.4 installed over it. `SVCPACK_UPGRADE_RUNS` sets the count (CI: 10).
#[test]
fn upgrading_a_running_service_never_needs_a_reboot() {
    let Some(tc) = windows_toolchain() else {
        return;
    };
    let runs: usize = std::env::var("SVCPACK_UPGRADE_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let work = tempfile::tempdir().unwrap();
    let crate_dir = copy_fixture("example-service", &work.path().join("svc"));
    let port = next_port();
    set_service_port(&crate_dir, port);
    let mut msis = Vec::new();
    for version in ["1.2.3", "1.2.4"] {
        set_package_version(&crate_dir, version);
        let out = work.path().join(format!("out-{version}"));
        msis.push(svcpack_build_msi(tc, &crate_dir, &out));
    }
    let started = std::time::Instant::now();
    let mut codes = Vec::new();
    for run in 0..runs {
        let wine = WinePrefix::new();
        wine.msiexec_install(&msis[0]).assert_success();
        let body = wine
            .http_get(port, "/", secs(30))
            .unwrap_or_else(|| panic!("run {run}: 1.2.3 does not answer"));
        assert!(body.contains("version=1.2.3"), "{body}");
        let cfg = wine
            .program_files()
            .join("svcpack Example Service")
            .join("agent.toml");
        let edited = format!("# edited by the administrator, run {run}\n");
        std::fs::write(&cfg, &edited).unwrap();

        let upgrade = wine.msiexec_install(&msis[1]);
        codes.push(upgrade.code());
        let log = upgrade.msi_log.clone().unwrap_or_default();
        assert_eq!(
            upgrade.code(),
            Some(0),
            "run {run}: the upgrade exited {:?} (3010 shows as 194)\n{log}",
            upgrade.code()
        );
        // The helper stopped 1.2.3 and waited for its process before files were replaced.
        assert!(
            log.lines().any(|l| l.contains("Action ended")
                && l.contains("SvcpackStopService")
                && l.contains("Return value 1")),
            "run {run}: SvcpackStopService did not run\n{log}"
        );
        assert!(
            !log.to_ascii_lowercase().contains("reboot required")
                && !log.contains("REBOOTREQUIRED"),
            "run {run}: the upgrade asks for a reboot\n{log}"
        );
        let upgraded = wait_until(secs(30), std::time::Duration::from_millis(300), || {
            wine.http_get(port, "/", secs(2))
                .filter(|b| b.contains("version=1.2.4"))
        });
        assert!(upgraded.is_some(), "run {run}: 1.2.4 does not answer");
        assert_eq!(std::fs::read_to_string(&cfg).unwrap(), edited, "run {run}");
        wine.net_stop("SvcpackExample");
        wine.wait_process_gone("example-service.exe", secs(15));
    }
    report_timing(
        &format!("build_wine: {runs} upgrades of a running service, exit codes {codes:?}"),
        started.elapsed(),
    );
}

/// `service.firewall` from the `build` path, end to end under Wine: the MSI carries the
/// rules (and `cargo svcpack inspect` lists them), the install runs SvcpackFirewallAdd and
/// it succeeds, the helper given the installed command line makes exactly the configured
/// netsh calls (Wine's `netsh advfirewall` accepts them and exits 0; Windows would add the
/// rules), and the uninstall runs SvcpackFirewallRemove, which succeeds too.
#[test]
fn firewall_rules_are_added_on_install_and_removed_on_uninstall() {
    let Some(tc) = windows_toolchain() else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let crate_dir = copy_fixture("example-service", &work.path().join("svc"));
    let port = next_port();
    set_service_port(&crate_dir, port);
    let manifest = crate_dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap().replace(
        "event-source = true\n",
        &format!(
            "event-source = true\nfirewall = [\n  \
             {{ port = {port}, protocol = \"tcp\", profiles = [\"domain\", \"private\"], remote = \"localsubnet\" }},\n  \
             {{ program = true, name = \"svcpack Example (program)\" }},\n]\n"
        ),
    );
    std::fs::write(&manifest, text).unwrap();
    let out = work.path().join("out");
    let msi = svcpack_build_msi(tc, &crate_dir, &out);

    // `cargo svcpack inspect` lists both rules.
    let inspect = tc.svcpack().arg("inspect").arg(&msi).output().unwrap();
    let listing = String::from_utf8_lossy(&inspect.stdout);
    assert!(inspect.status.success(), "{listing}");
    for line in [
        "Firewall rules (2):".to_string(),
        format!(
            "  svcpack Example Service: inbound tcp {port} from localsubnet (domain,private)"
        ),
        "  svcpack Example (program): inbound any any port from any (all profiles); program [#MainExe]"
            .to_string(),
    ] {
        assert!(
            listing.lines().any(|l| l == line),
            "inspect lacks `{line}`:\n{listing}"
        );
    }

    let wine = WinePrefix::new();
    let install = wine.msiexec_install(&msi).assert_success();
    let log = install.msi_log.clone().unwrap_or_default();
    let action_succeeded = |log: &str, action: &str| {
        log.lines().any(|l| {
            l.contains("Action ended")
                && l.contains(&format!("{action}."))
                && l.contains("Return value 1")
        })
    };
    assert!(
        action_succeeded(&log, "SvcpackFirewallAdd"),
        "SvcpackFirewallAdd did not run and succeed:\n{log}"
    );
    assert!(
        wine.http_get(port, "/", secs(30)).is_some(),
        "no answer on {port}"
    );

    // The command line the installer formats: the property with [#MainExe] resolved to the
    // installed exe and MSI escapes undone. It decodes to exactly the configured rules, and
    // the helper, run with it in this prefix, makes these netsh calls, all of which succeed.
    let exe = r"C:\Program Files\svcpack Example Service\example-service.exe";
    let props = msiinfo_export(&msi, "Property").expect("Property table");
    let custom = msiinfo_export(&msi, "CustomAction").expect("CustomAction table");
    let value = custom
        .lines()
        .find_map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            (cols.get(2) == Some(&"SvcpackFirewallRules")).then(|| cols[3].to_string())
        })
        .unwrap_or_else(|| panic!("no SetProperty for SvcpackFirewallRules:\n{custom}\n{props}"));
    let formatted = value
        .replace("[#MainExe]", exe)
        .replace("[\\[]", "[")
        .replace("[\\]]", "]");
    let line = format!("firewall-add {formatted}");
    let decoded = svcpack::firewall::decode(&line).unwrap();
    let calls: Vec<String> = decoded
        .calls()
        .iter()
        .map(|(a, _)| svcpack::helper::firewall::describe(a))
        .collect();
    let want = [
        "netsh advfirewall firewall delete rule \"name=svcpack Example Service\"".to_string(),
        "netsh advfirewall firewall delete rule \"name=svcpack Example (program)\"".to_string(),
        format!(
            "netsh advfirewall firewall add rule \"name=svcpack Example Service\" dir=in action=allow protocol=tcp localport={port} remoteip=localsubnet profile=domain,private enable=yes"
        ),
        format!(
            "netsh advfirewall firewall add rule \"name=svcpack Example (program)\" dir=in action=allow protocol=any remoteip=any profile=any \"program={exe}\" enable=yes"
        ),
    ];
    assert_eq!(calls, want);
    let helper = cached_helper(&crate_dir.join("target"));
    let mut cmd = vec![helper.to_string_lossy().into_owned()];
    cmd.extend(svcpack::helper::settings::split_args(&line));
    let ran = wine.run(&cmd).assert_success();
    let done: Vec<&str> = ran.stdout.lines().collect();
    let want_done: Vec<String> = want
        .iter()
        .map(|c| format!("svcpack-helper: {c}: ok"))
        .collect();
    assert_eq!(done, want_done, "{}", ran.stderr);

    wine.net_stop("SvcpackExample").assert_success();
    assert!(wine.wait_process_gone("example-service.exe", secs(15)));
    let uninstall = wine.msiexec_uninstall(&msi).assert_success();
    let log = uninstall.msi_log.clone().unwrap_or_default();
    assert!(
        action_succeeded(&log, "SvcpackFirewallRemove"),
        "SvcpackFirewallRemove did not run and succeed:\n{log}"
    );
}

/// A named account's password is given at install time (`SVCPACK_SERVICE_PASSWORD=…` on
/// msiexec's command line, a hidden property) and reaches the log nowhere but Wine's own
/// property dump; without it the launch condition stops the install before anything
/// changes.
#[test]
fn a_named_accounts_password_never_reaches_the_log() {
    let Some(tc) = windows_toolchain() else {
        return;
    };
    const PASSWORD: &str = "Pw-7f3a9c-NOT-A-SECRET";
    let work = tempfile::tempdir().unwrap();
    let crate_dir = copy_fixture("example-service", &work.path().join("svc"));
    let port = next_port();
    set_service_port(&crate_dir, port);
    let manifest = crate_dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap().replace(
        "start = \"auto\"",
        "start = \"auto\"\naccount = '.\\svcpack-agent'",
    );
    std::fs::write(&manifest, text).unwrap();
    let out = work.path().join("out");
    let msi = svcpack_build_msi(tc, &crate_dir, &out);
    let wine = WinePrefix::new();

    let refused = wine.msiexec_install(&msi);
    assert_ne!(refused.code(), Some(0), "installed without a password");
    assert!(wine
        .reg_values(r"HKLM\System\CurrentControlSet\Services\SvcpackExample")
        .is_none());

    let property = format!("SVCPACK_SERVICE_PASSWORD={PASSWORD}");
    let install = wine.msiexec_install_with(&msi, &[&property]);
    let log = install.msi_log.clone().unwrap_or_default();
    assert_eq!(install.code(), Some(0), "{log}");
    assert!(log.contains("SVCPACK_SERVICE_PASSWORD"), "{log}");
    // Wine 8's msiexec ignores MsiHiddenProperties in the property dump that closes its
    // log, where Windows writes hidden values as asterisks ("MsiHiddenProperties property",
    // learn.microsoft.com/windows/win32/msi/msihiddenproperties). Everywhere else (the
    // command line, actions' data, custom action command lines) the value must be absent.
    let leaks: Vec<&str> = log
        .lines()
        .filter(|l| l.contains(PASSWORD))
        .filter(|l| {
            !(l.starts_with("Property(S): SVCPACK_SERVICE_PASSWORD = ")
                || l.starts_with("Property(C): SVCPACK_SERVICE_PASSWORD = "))
        })
        .collect();
    assert!(leaks.is_empty(), "the password is in the log: {leaks:?}");
    let key = r"HKLM\System\CurrentControlSet\Services\SvcpackExample";
    assert_eq!(
        wine.reg_value(key, "ObjectName")
            .and_then(|v| v.as_str().map(String::from)),
        Some(".\\svcpack-agent".to_string())
    );
}
