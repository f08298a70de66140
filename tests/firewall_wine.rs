//! WiX sources with `firewall:FirewallException` under Wine: a WiX v3 service package in
//! the style of Jenkins' installer (a port rule whose port is a property, a program rule
//! under the service's File) is compiled by `cargo svcpack compile`, which builds and
//! embeds svcpack's installer helper; the install runs the rules' SetProperty and the
//! helper's firewall-add action, which succeeds; the helper given the installed command line
//! makes exactly the netsh calls the source describes (Wine's `netsh advfirewall` accepts
//! them and exits 0); the uninstall runs firewall-remove, which succeeds too.
//!
//! Skips with a loud notice without the Windows toolchain and Wine; fails instead with
//! `SVCPACK_REQUIRE_WINE=1` (CI).

mod support;

use support::*;

const EXE: &str = "example-service.exe";

#[test]
fn wix_v3_firewall_exceptions_are_added_and_removed_under_wine() {
    let Some(tc) = windows_toolchain() else {
        return;
    };
    let exe = build_fixture("example-service");
    let port = next_port();
    let name = format!("SvcpackFw{port}");
    let wine = WinePrefix::new();
    let src = wine.scratch_dir().join("firewall.wxs");
    // tests/wix/firewall-v3.wxs with the service's port as its argument, so it listens on a
    // port of its own.
    let wxs = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/wix/firewall-v3.wxs"),
    )
    .unwrap()
    .replace(
        "Account=\"LocalSystem\"/>",
        "Account=\"LocalSystem\" Arguments=\"--port [PORT]\"/>",
    )
    .replace(
        "<Property Id=\"PORT\" Value=\"18431\"/>",
        &format!("<Property Id=\"PORT\" Value=\"{port}\"/>"),
    );
    assert!(wxs.contains("Arguments=\"--port [PORT]\""));
    std::fs::write(&src, wxs).unwrap();
    let msi = wine.scratch_dir().join("firewall.msi");
    let mut cmd = tc.svcpack();
    cmd.arg("compile")
        .arg(&src)
        .arg("-o")
        .arg(&msi)
        .arg("-D")
        .arg(format!("ExePath={}", exe.display()))
        .arg("-D")
        .arg(format!("ServiceName={name}"))
        // The helper is built (or found cached) where the fixtures are built.
        .env("CARGO_TARGET_DIR", fixtures_target_dir());
    let o = cmd.output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    let install = wine.msiexec_install(&msi).assert_success();
    let log = install.msi_log.clone().unwrap_or_default();
    let succeeded = |log: &str, action: &str| {
        log.lines().any(|l| {
            l.contains("Action ended")
                && l.contains(&format!(" {action}."))
                && l.contains("Return value 1")
        })
    };
    for action in [
        "SvcpackFirewallSet_ServiceExe",
        "SvcpackFirewallAdd_ServiceExe",
    ] {
        assert!(succeeded(&log, action), "{action} did not succeed:\n{log}");
    }
    let body = wine
        .http_get(port, "/", secs(30))
        .unwrap_or_else(|| panic!("no answer on 127.0.0.1:{port}"));
    assert!(body.contains(&format!("service={name}")), "{body}");

    // The rules' command line as the installer formats it ([PORT] and [#ServiceExeFile]
    // resolved) decodes to the source's rules; the helper makes exactly these calls.
    let installed = format!(r"C:\Program Files\svcpack Firewall v3\{EXE}");
    let actions = msiinfo_export(&msi, "CustomAction").expect("CustomAction table");
    let value = actions
        .lines()
        .find_map(|l| {
            l.strip_prefix("SvcpackFirewallSet_ServiceExe\t51\tSvcpackFirewallRules_ServiceExe\t")
        })
        .unwrap_or_else(|| panic!("no SetProperty for the rules:\n{actions}"))
        .replace("[PORT]", &port.to_string())
        .replace("[#ServiceExeFile]", &installed);
    let line = format!("firewall-add {value}");
    let calls: Vec<String> = svcpack::firewall::decode(&line)
        .unwrap()
        .calls()
        .iter()
        .map(|(a, _)| svcpack::helper::firewall::describe(a))
        .collect();
    let want = [
        "netsh advfirewall firewall delete rule \"name=svcpack Firewall v3 (program)\"".to_string(),
        "netsh advfirewall firewall delete rule \"name=svcpack Firewall v3 (HTTP)\"".to_string(),
        format!(
            "netsh advfirewall firewall add rule \"name=svcpack Firewall v3 (program)\" dir=in action=allow protocol=any remoteip=any profile=private \"program={installed}\" enable=yes"
        ),
        format!(
            "netsh advfirewall firewall add rule \"name=svcpack Firewall v3 (HTTP)\" dir=in action=allow protocol=tcp localport={port} remoteip=localsubnet profile=any enable=yes"
        ),
    ];
    assert_eq!(calls, want);
    let helper = cached_helper(&fixtures_target_dir().join("svcpack-host"));
    let mut cmd = vec![helper.to_string_lossy().into_owned()];
    cmd.extend(svcpack::helper::settings::split_args(&line));
    let ran = wine.run(&cmd).assert_success();
    let done: Vec<String> = ran.stdout.lines().map(String::from).collect();
    let want_done: Vec<String> = want
        .iter()
        .map(|c| format!("svcpack-helper: {c}: ok"))
        .collect();
    assert_eq!(done, want_done, "{}", ran.stderr);

    wine.net_stop(&name).assert_success();
    assert!(wine.wait_process_gone(EXE, secs(15)));
    let uninstall = wine.msiexec_uninstall(&msi).assert_success();
    let log = uninstall.msi_log.clone().unwrap_or_default();
    assert!(
        succeeded(&log, "SvcpackFirewallRemove_ServiceExe"),
        "firewall-remove did not succeed:\n{log}"
    );
}
