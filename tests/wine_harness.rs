//! Proves the Wine end-to-end harness (`tests/support`) independently of svcpack's own
//! compiler: the example-service fixture is built with Debian's cargo, packaged by a
//! hand-written WiX v3 source compiled with msitools' `wixl`, installed under Wine, probed
//! over HTTP, stopped and uninstalled. The console-app fixture is run directly under Wine.
//!
//! Skips with a loud notice when the toolchain is missing; fails instead with
//! `SVCPACK_REQUIRE_WINE=1`. Timings are printed as `[svcpack e2e timing] ...` lines.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use support::*;

const EXE: &str = "example-service.exe";

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Writes and compiles (wixl) an MSI that installs the example service as `name` with
/// arguments `--port <port> --label "two words"`.
fn harness_msi(wixl: &Path, exe: &Path, work: &Path, name: &str, port: u16) -> PathBuf {
    // wixl wants Source paths relative to the working directory: stage the files there.
    std::fs::copy(exe, work.join(EXE)).unwrap();
    std::fs::copy(
        fixture_dir("example-service").join("config/agent.toml"),
        work.join("agent.toml"),
    )
    .unwrap();
    let arguments = format!("--port {port} --label \"two words\"");
    let wxs = format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="*" Name="svcpack Harness" Language="1033" Version="0.1.0"
           Manufacturer="svcpack tests" UpgradeCode="4EDFF0EF-3486-4C27-ACDC-FF399D2C33AB">
    <Package InstallerVersion="200" Compressed="yes" InstallScope="perMachine"/>
    <Media Id="1" Cabinet="main.cab" EmbedCab="yes"/>
    <Directory Id="TARGETDIR" Name="SourceDir">
      <Directory Id="ProgramFiles64Folder">
        <Directory Id="INSTALLDIR" Name="svcpack Harness">
          <Component Id="ServiceExe" Guid="64E07F43-A6ED-49C6-B91C-3C3A5D93C175" Win64="yes">
            <File Id="ServiceExeFile" Name="{EXE}" Source="{EXE}" KeyPath="yes"/>
            <ServiceInstall Id="ServiceInstall" Name="{name}" DisplayName="svcpack Harness Zürich {port}"
                            Description="wine_harness.rs test service" Type="ownProcess"
                            Start="auto" ErrorControl="normal" Account="LocalSystem"
                            Arguments="{arguments}"/>
            <ServiceControl Id="ServiceControl" Name="{name}" Start="install" Stop="both"
                            Remove="uninstall" Wait="yes"/>
          </Component>
          <Component Id="ConfigFile" Guid="2D148909-9BA8-4A40-86D7-02F3E4E767B7" Win64="yes">
            <File Id="AgentToml" Name="agent.toml" Source="agent.toml" KeyPath="yes"/>
          </Component>
        </Directory>
      </Directory>
    </Directory>
    <Feature Id="Main" Level="1">
      <ComponentRef Id="ServiceExe"/>
      <ComponentRef Id="ConfigFile"/>
    </Feature>
  </Product>
</Wix>
"#,
        name = xml_escape(name),
        arguments = xml_escape(&arguments),
    );
    let wxs_path = work.join("harness.wxs");
    let msi = work.join("harness.msi");
    std::fs::write(&wxs_path, wxs).unwrap();
    let out = Command::new(wixl)
        .current_dir(work)
        .args(["-a", "x64", "-o"])
        .arg(&msi)
        .arg(&wxs_path)
        .output()
        .expect("running wixl");
    assert!(
        out.status.success(),
        "wixl failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    msi
}

fn service_key(name: &str) -> String {
    format!(r"HKLM\System\CurrentControlSet\Services\{name}")
}

/// Common start of the service tests: toolchain, build, prefix, MSI, install, first answer.
struct Installed {
    wine: WinePrefix,
    msi: PathBuf,
    name: String,
    port: u16,
}

fn install_example_service(test: &str) -> Option<Installed> {
    let tc = windows_toolchain()?;
    let Some(wixl) = tc.wixl.clone() else {
        skip_or_fail("wixl (Debian package `wixl`/msitools) is missing");
        return None;
    };
    let exe = timed(
        &format!("{test}: build example-service (Debian cargo)"),
        || build_fixture("example-service"),
    );
    let wine = timed(&format!("{test}: wine prefix ready"), WinePrefix::new);
    let port = next_port();
    let name = format!("SvcpackHarness{port}");
    let msi = timed(&format!("{test}: wixl"), || {
        harness_msi(&wixl, &exe, &wine.scratch_dir(), &name, port)
    });
    timed(&format!("{test}: msiexec /i"), || {
        wine.msiexec_install(&msi).assert_success()
    });
    let started = Instant::now();
    let body = wine
        .http_get(port, "/", secs(30))
        .unwrap_or_else(|| panic!("the service does not answer on 127.0.0.1:{port}"));
    report_timing(
        &format!("{test}: first HTTP answer after install"),
        started.elapsed(),
    );
    assert!(body.contains("version=0.1.0"), "{body}");
    assert!(body.contains(&format!("service={name}")), "{body}");
    assert!(body.contains("mode=service"), "{body}");
    Some(Installed {
        wine,
        msi,
        name,
        port,
    })
}

#[test]
fn wixl_msi_installs_a_service_that_answers_and_uninstalls_cleanly() {
    let started = Instant::now();
    let Some(Installed {
        wine,
        msi,
        name,
        port,
    }) = install_example_service("service")
    else {
        return;
    };

    // Arguments reach the process command line, quoted by Windows rules.
    let args = wine.http_get(port, "/args", secs(10)).expect("GET /args");
    let args: serde_json::Value = serde_json::from_str(&args).expect("/args is JSON");
    assert_eq!(
        args["argv"],
        serde_json::json!(["--port", port.to_string(), "--label", "two words"]),
        "{args}"
    );

    // The config file installed next to the exe is served verbatim.
    let config = wine
        .http_get(port, "/config", secs(10))
        .expect("GET /config");
    let expected =
        std::fs::read_to_string(fixture_dir("example-service").join("config/agent.toml")).unwrap();
    assert_eq!(config, expected);
    let installed = wine.program_files().join("svcpack Harness");
    assert!(installed.join(EXE).is_file());
    assert!(installed.join("agent.toml").is_file());

    // Registration as the service manager sees it.
    let key = service_key(&name);
    let reg = wine.reg_query(&key).expect("service registry key");
    assert!(reg.contains("ImagePath"), "{reg}");
    let values = wine.reg_values(&key).expect("service registry values");
    let image = values["ImagePath"].as_str().expect("ImagePath is a string");
    assert!(image.contains(EXE), "{image}");
    assert!(image.contains(&format!("--port {port}")), "{image}");
    assert_eq!(values["Start"].as_dword(), Some(2), "auto start");
    assert_eq!(values["ObjectName"].as_str(), Some("LocalSystem"));
    assert_eq!(
        wine.reg_value(&key, "displayname").map(|v| v.to_string()),
        Some(format!("svcpack Harness Zürich {port}"))
    );
    assert_eq!(wine.service_state(&name).as_deref(), Some("RUNNING"));
    let procs = wine.find_processes(EXE);
    assert_eq!(procs.len(), 1, "{procs:?}");

    // Stop: the process leaves promptly and the port closes.
    let stop_started = Instant::now();
    wine.net_stop(&name).assert_success();
    assert!(
        wine.wait_process_gone(EXE, secs(15)),
        "{EXE} still running after net stop: {:?}",
        wine.find_processes(EXE)
    );
    report_timing(
        "service: net stop until process gone",
        stop_started.elapsed(),
    );
    assert_eq!(wine.service_state(&name).as_deref(), Some("STOPPED"));
    assert!(wine.http_request(port, "/", secs(1)).is_none());

    // Uninstall: no registration, no program files.
    timed("service: msiexec /x", || {
        wine.msiexec_uninstall(&msi).assert_success()
    });
    assert!(wine.reg_key_absent(&key), "service key still present");
    assert_eq!(wine.service_state(&name), None);
    assert!(
        !installed.exists(),
        "left behind: {:?}",
        std::fs::read_dir(&installed)
            .map(|d| d.flatten().map(|e| e.file_name()).collect::<Vec<_>>())
    );
    drop(wine);
    report_timing("service: whole test", started.elapsed());
}

#[test]
fn wixl_msi_uninstall_stops_a_running_service_and_removes_its_files() {
    let started = Instant::now();
    let Some(Installed {
        wine,
        msi,
        name,
        port,
    }) = install_example_service("uninstall-running")
    else {
        return;
    };
    timed("uninstall-running: msiexec /x", || {
        wine.msiexec_uninstall(&msi).assert_success()
    });
    assert!(
        wine.wait_process_gone(EXE, secs(15)),
        "{:?}",
        wine.find_processes(EXE)
    );
    assert!(wine.http_request(port, "/", secs(1)).is_none());
    assert!(wine.reg_key_absent(&service_key(&name)));
    let installed = wine.program_files().join("svcpack Harness");
    assert!(
        !installed.exists(),
        "left behind: {:?}",
        std::fs::read_dir(&installed)
            .map(|d| d.flatten().map(|e| e.file_name()).collect::<Vec<_>>())
    );
    drop(wine);
    report_timing("uninstall-running: whole test", started.elapsed());
}

#[test]
fn console_and_plain_apps_run_under_wine_and_crash_exits_3() {
    let started = Instant::now();
    let Some(_tc) = windows_toolchain() else {
        return;
    };
    let exe = timed("console: build console-app (Debian cargo)", || {
        build_fixture("console-app")
    });
    let plain = timed("console: build plain-app (Debian cargo)", || {
        build_fixture("plain-app")
    });
    let wine = timed("console: wine prefix ready", WinePrefix::new);

    // The plain application fixture runs and reports its version.
    let out = wine
        .run([plain.as_os_str(), "--version".as_ref()])
        .assert_success();
    assert_eq!(out.stdout.trim(), "0.1.0", "{out}");
    let port = next_port();
    let port_arg = port.to_string();
    let mut child = wine.spawn([exe.as_os_str(), "--port".as_ref(), port_arg.as_ref()]);

    let body = wine
        .http_get(port, "/", secs(30))
        .unwrap_or_else(|| panic!("console-app does not answer; stderr:\n{}", child.stderr()));
    assert!(body.contains("console-app 0.1.0"), "{body}");
    let pid_line = body.lines().find(|l| l.starts_with("pid=")).unwrap();
    let windows_pid: u32 = pid_line["pid=".len()..].parse().unwrap();
    assert!(windows_pid > 0);
    assert_eq!(wine.find_processes("console-app.exe").len(), 1);

    let crash = wine.http_get(port, "/crash", secs(10)).expect("GET /crash");
    assert!(crash.contains("exit code 3"), "{crash}");
    let status = child
        .wait_timeout(secs(20))
        .expect("console-app did not exit after /crash");
    assert_eq!(status.code(), Some(3), "{status:?}");
    assert!(wine.wait_process_gone("console-app.exe", secs(10)));

    let stdout = child.stdout();
    assert!(stdout.contains("GET / -> 200 OK"), "{stdout}");
    assert!(stdout.contains("GET /crash -> 200 OK"), "{stdout}");
    drop(wine);
    report_timing("console: whole test", started.elapsed());
}

#[test]
fn ports_are_distinct_and_free() {
    let ports: Vec<u16> = (0..20).map(|_| next_port()).collect();
    let mut sorted = ports.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), ports.len(), "{ports:?}");
}

#[test]
fn unix_paths_map_to_drive_z() {
    assert_eq!(
        windows_path(Path::new("/tmp/a b/x.msi")),
        r"Z:\tmp\a b\x.msi".to_string()
    );
}

#[test]
fn parses_a_regedit_export() {
    let text = "Windows Registry Editor Version 5.00\r\n\r\n\
        [HKEY_LOCAL_MACHINE\\S\\X]\r\n\
        \"Description\"=\"Z\u{fc}rich \\\"q\\\" \u{65e5}\"\r\n\
        \"ImagePath\"=\"C:\\\\P F\\\\x.exe --port 1\"\r\n\
        \"Start\"=dword:00000002\r\n\
        \"Deps\"=hex(7):41,00,00,00,42,00,00,00,00,00\r\n\
        \"Exp\"=hex(2):25,00,41,00,25,00,00,00\r\n\
        \"Bin\"=hex:01,02,\\\r\n  03\r\n\
        @=\"default\"\r\n\r\n\
        [HKEY_LOCAL_MACHINE\\S\\X\\Sub]\r\n";
    let keys = parse_reg_export(text);
    let x = &keys["HKEY_LOCAL_MACHINE\\S\\X"];
    assert_eq!(
        x["Description"],
        RegValue::Sz("Z\u{fc}rich \"q\" \u{65e5}".into())
    );
    assert_eq!(x["ImagePath"].as_str(), Some("C:\\P F\\x.exe --port 1"));
    assert_eq!(x["Start"].as_dword(), Some(2));
    assert_eq!(
        x["Deps"].as_multi_sz(),
        Some(&["A".to_string(), "B".to_string()][..])
    );
    assert_eq!(x["Exp"], RegValue::ExpandSz("%A%".into()));
    assert_eq!(x["Bin"].as_bytes(), Some(&[1u8, 2, 3][..]));
    assert_eq!(x[""].as_str(), Some("default"));
    assert!(keys["HKEY_LOCAL_MACHINE\\S\\X\\Sub"].is_empty());
    assert_eq!(long_root("HKLM\\S\\X"), "HKEY_LOCAL_MACHINE\\S\\X");
}

#[test]
fn fixture_copies_take_a_port_and_a_version() {
    let dir = tempfile::tempdir().unwrap();
    let copy = copy_fixture("example-service", &dir.path().join("svc"));
    set_service_port(&copy, 23456);
    set_package_version(&copy, "0.2.0");
    let manifest = std::fs::read_to_string(copy.join("Cargo.toml")).unwrap();
    assert!(
        manifest.contains(r#"arguments = ["--port", "23456"]"#),
        "{manifest}"
    );
    assert!(manifest.contains("version = \"0.2.0\"\n"), "{manifest}");
    assert!(!manifest.contains("0.1.0"), "{manifest}");
    assert!(copy.join("config/agent.toml").is_file());
    assert!(copy.join("src/service.rs").is_file());
    assert!(!copy.join("target").exists());
}
