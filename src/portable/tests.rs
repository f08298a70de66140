//! Tests of the whole portable zip: contents, scripts, determinism, and independent readers
//! (Python's zipfile, Info-ZIP's unzip, PowerShell's parser when installed).

use std::path::{Path, PathBuf};
use std::process::Command;

use super::script::tests::parse_windows_args;
use super::zip::read::{read_zip, ReadEntry};
use super::*;
use crate::config::{
    Account, Compress, FileEntry, FirewallProfile, FirewallProtocol, FirewallRule, Guid, Recovery,
    RecoveryAction, RecoveryStep, Service, ServiceName, StartType,
};
use crate::version::MsiVersion;

const EPOCH: u64 = 1_700_000_000; // 2023-11-14 22:13:20 UTC

fn plain_config() -> Config {
    Config {
        product_name: "Ledger Agent".into(),
        manufacturer: "Example Ltd".into(),
        upgrade_code: Guid::parse("8E0B5A7C-1D2E-4F60-8A9B-0C1D2E3F4A5B").unwrap(),
        version: MsiVersion::parse("1.4.0-beta.2").unwrap(),
        binary: "ledger-agent".into(),
        install_dir: RelPath::parse("Ledger Agent", "x").unwrap(),
        license: None,
        icon: None,
        compress: Compress::None,
        backend: crate::config::Backend::Native,
        copyright: None,
        service: None,
        files: vec![
            FileEntry {
                source: PathBuf::from("/src/config/agent.toml"),
                dest: RelPath::parse("conf/agent.toml", "x").unwrap(),
                preserve_on_upgrade: true,
                sign: true,
            },
            FileEntry {
                source: PathBuf::from("/src/docs/notes.md"),
                dest: RelPath::parse("docs/notes.md", "x").unwrap(),
                preserve_on_upgrade: false,
                sign: true,
            },
        ],
        sign: None,
    }
}

/// The acceptance-style service: Unicode display name, spaces, quotes and symbols in the
/// arguments, delayed start, recovery with a run command.
fn tricky_service() -> Service {
    Service {
        name: ServiceName::parse("Ledger Agent ✓").unwrap(),
        display_name: "Ledger ‘Agent’ ✓ Überwachung & \"Pro\" 's".into(),
        description: Some(
            "Answers ledger queries; costs 50% less, $HOME stays.\nSecond line.".into(),
        ),
        start: StartType::Delayed,
        account: Account::Virtual,
        arguments: vec![
            "--port".into(),
            "18431".into(),
            "--label".into(),
            "two words".into(),
            "--greeting=say \"hi\"".into(),
            "C:\\data dir\\".into(),
            "it's ✓ 100% & <ok>".into(),
            "".into(),
        ],
        dependencies: vec!["Tcpip".into(), "+NetworkProvider".into()],
        event_source: true,
        recovery: Recovery {
            steps: vec![
                RecoveryStep {
                    action: RecoveryAction::Restart,
                    delay_secs: 5,
                },
                RecoveryStep {
                    action: RecoveryAction::Run,
                    delay_secs: 30,
                },
                RecoveryStep {
                    action: RecoveryAction::None,
                    delay_secs: 0,
                },
            ],
            reset_after_secs: 86_400,
            command: Some("C:\\tools\\notify.cmd \"Ledger Agent\" failed".into()),
            non_crash_failures: true,
        },
        sid_type: crate::config::SidType::Restricted,
        required_privileges: vec![
            "SeChangeNotifyPrivilege".into(),
            "SeImpersonatePrivilege".into(),
        ],
        preshutdown_timeout_secs: Some(45),
        firewall: vec![
            FirewallRule {
                name: "Ledger \"API\" ✓'s".into(),
                protocol: FirewallProtocol::Tcp,
                ports: vec![(18431, 18431), (9000, 9010)],
                program: false,
                profiles: vec![FirewallProfile::Domain, FirewallProfile::Private],
                remote: vec!["localsubnet".into()],
            },
            FirewallRule {
                name: "Ledger Agent ✓".into(),
                protocol: FirewallProtocol::Any,
                ports: vec![],
                program: true,
                profiles: vec![],
                remote: vec!["10.0.0.0/8".into(), "192.168.1.5".into()],
            },
        ],
        host: None,
    }
}

fn service_config() -> Config {
    Config {
        service: Some(tricky_service()),
        ..plain_config()
    }
}

const EXE: &[u8] = b"MZ\x90\x00 pretend this is a signed exe";
const AGENT_TOML: &[u8] = b"port = 18431\n";
const NOTES: &[u8] = b"# Notes\n";
const LICENSE: &[u8] = b"MIT License\n";

fn files() -> Vec<PortableFile<'static>> {
    vec![
        PortableFile {
            path: "docs/notes.md".into(),
            contents: Contents::Bytes(NOTES),
        },
        PortableFile {
            path: "conf/agent.toml".into(),
            contents: Contents::Bytes(AGENT_TOML),
        },
    ]
}

fn input<'a>(config: &'a Config, files: &'a [PortableFile<'a>]) -> PortableInput<'a> {
    PortableInput {
        config,
        version: "1.4.0-beta.2",
        exe_name: "ledger-agent.exe",
        exe: EXE,
        files,
        license: Some(PortableFile {
            path: "LICENSE".into(),
            contents: Contents::Bytes(LICENSE),
        }),
        service_program: None,
        timestamp: EPOCH,
    }
}

fn entry<'e>(entries: &'e [ReadEntry], name: &str) -> &'e ReadEntry {
    entries
        .iter()
        .find(|e| e.name == name)
        .unwrap_or_else(|| panic!("no entry {name}"))
}

/// A generated text file: checks the BOM and CRLF line ends and returns the text.
fn text(entries: &[ReadEntry], name: &str) -> String {
    let data = &entry(entries, name).data;
    assert!(data.starts_with(UTF8_BOM), "{name} starts with a BOM");
    let text = String::from_utf8(data[3..].to_vec()).unwrap();
    assert!(!text.contains("{{"), "{name} has an unfilled placeholder");
    // A script keeps a value's own line breaks exactly (inside its literal); every line of
    // the template ends with CRLF.
    let lone_lf = text
        .match_indices('\n')
        .filter(|(i, _)| *i == 0 || &text[i - 1..*i] != "\r")
        .count();
    let from_values = if name.ends_with(".ps1") {
        tricky_service().description.unwrap().matches('\n').count()
    } else {
        0
    };
    assert!(lone_lf <= from_values, "{name} has CRLF line ends");
    text
}

/// The value of `$Name = '<literal>'` in a generated script, unescaped as PowerShell does.
fn ps_value(script: &str, var: &str) -> String {
    let prefix = format!("${var} = ");
    let start = script
        .find(&format!("\r\n{prefix}"))
        .unwrap_or_else(|| panic!("no assignment of ${var}"))
        + 2
        + prefix.len();
    let mut chars = script[start..].chars().peekable();
    let is_quote = |c: char| matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}');
    assert!(
        chars.next().is_some_and(is_quote),
        "${var} is a single-quoted literal"
    );
    let mut value = String::new();
    loop {
        let c = chars.next().expect("literal is closed");
        if is_quote(c) {
            match chars.peek() {
                Some(&n) if is_quote(n) => {
                    value.push(c);
                    chars.next();
                }
                _ => break,
            }
        } else {
            value.push(c);
        }
    }
    assert!(
        chars.next() == Some('\r'),
        "${var}'s literal is the whole right-hand side"
    );
    value
}

#[test]
fn service_zip_has_every_entry_in_order() {
    let config = service_config();
    let files = files();
    let zip = build_zip(&input(&config, &files)).unwrap();
    let entries = read_zip(&zip);
    let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "LICENSE",
            "README.txt",
            "conf/",
            "conf/agent.toml",
            "docs/",
            "docs/notes.md",
            "install.ps1",
            "ledger-agent.exe",
            "uninstall.ps1",
        ]
    );
    assert_eq!(entry(&entries, "ledger-agent.exe").data, EXE);
    assert_eq!(entry(&entries, "conf/agent.toml").data, AGENT_TOML);
    assert_eq!(entry(&entries, "LICENSE").data, LICENSE);
    let mode = |n: &str| entry(&entries, n).external >> 16;
    assert_eq!(mode("ledger-agent.exe"), 0o100_755);
    assert_eq!(mode("install.ps1"), 0o100_755);
    assert_eq!(mode("uninstall.ps1"), 0o100_755);
    assert_eq!(mode("README.txt"), 0o100_644);
    assert_eq!(mode("conf/agent.toml"), 0o100_644);
    assert_eq!(mode("conf/"), 0o040_755);
    let stamp = zip::DosDateTime::from_unix(EPOCH);
    assert!(entries
        .iter()
        .all(|e| e.time == stamp.time && e.date == stamp.date));
    // 2023-11-14 22:13:20
    assert_eq!(stamp.date, (43 << 9) | (11 << 5) | 14);
    assert_eq!(stamp.time, (22 << 11) | (13 << 5) | 10);
}

#[test]
fn install_script_holds_the_exact_sc_arguments() {
    let config = service_config();
    let files = files();
    let entries = read_zip(&build_zip(&input(&config, &files)).unwrap());
    let install = text(&entries, "install.ps1");

    assert_eq!(ps_value(&install, "ServiceName"), "Ledger Agent ✓");
    assert_eq!(
        ps_value(&install, "DisplayName"),
        "Ledger ‘Agent’ ✓ Überwachung & \"Pro\" 's"
    );
    assert_eq!(ps_value(&install, "ExeName"), "ledger-agent.exe");
    assert_eq!(ps_value(&install, "ScName"), "\"Ledger Agent ✓\"");
    assert_eq!(
        ps_value(&install, "ScOptions"),
        "type= own start= delayed-auto error= normal obj= \"NT SERVICE\\Ledger Agent ✓\" \
         DisplayName= \"Ledger ‘Agent’ ✓ Überwachung & \\\"Pro\\\" 's\" depend= Tcpip/+NetworkProvider"
    );
    assert_eq!(
        ps_value(&install, "ScDescription"),
        "\"Answers ledger queries; costs 50% less, $HOME stays.\nSecond line.\""
    );
    assert_eq!(
        ps_value(&install, "ScFailure"),
        "reset= 86400 actions= restart/5000/run/30000//0 \
         command= \"C:\\tools\\notify.cmd \\\"Ledger Agent\\\" failed\""
    );
    assert_eq!(ps_value(&install, "ScFailureFlag"), "1");
    assert_eq!(ps_value(&install, "ScSidType"), "restricted");
    assert_eq!(
        ps_value(&install, "ScPrivileges"),
        "SeChangeNotifyPrivilege/SeImpersonatePrivilege"
    );
    assert!(install.contains("\r\n$PreshutdownMs = 45000\r\n"));
    assert_eq!(ps_value(&install, "Account"), "NT SERVICE\\Ledger Agent ✓");
    // Not hosted: no log folder to create.
    assert_eq!(ps_value(&install, "LogDir"), "");
    assert_eq!(ps_value(&install, "IcaclsLogDir"), "");
    // The settings reach sc.exe as these arguments (after the service name).
    for (verb, var, want) in [
        ("sidtype", "ScSidType", vec!["restricted"]),
        (
            "privs",
            "ScPrivileges",
            vec!["SeChangeNotifyPrivilege/SeImpersonatePrivilege"],
        ),
        ("failureflag", "ScFailureFlag", vec!["1"]),
    ] {
        assert!(
            install.contains(&format!("\"{verb} $ScName ${var}\"")),
            "install.ps1 runs sc.exe {verb}"
        );
        let line = format!(
            "{verb} {} {}",
            ps_value(&install, "ScName"),
            ps_value(&install, var)
        );
        let mut want_args = vec![verb.to_string(), "Ledger Agent ✓".to_string()];
        want_args.extend(want.into_iter().map(String::from));
        assert_eq!(parse_windows_args(&line), want_args);
    }
    assert!(install.contains("Set-PreshutdownTimeout $PreshutdownMs"));
    assert!(install.contains("ChangeServiceConfig2W($service, 7, [ref]$timeout)"));
    assert!(install.contains("\r\n$AccountNeedsPassword = $false\r\n"));
    assert!(install.contains("\r\n$EventSource = $true\r\n"));
    assert!(install.contains("\r\n$StartService = $true\r\n"));
    assert!(install.contains(
        "\r\n$PackageFiles = @('LICENSE', 'README.txt', 'conf\\agent.toml', 'docs\\notes.md', \
         'install.ps1', 'ledger-agent.exe', 'uninstall.ps1')\r\n"
    ));
    assert!(install.contains("\r\n$PreserveFiles = @('conf\\agent.toml')\r\n"));

    // binPath= around a folder with spaces and Unicode is one argument for sc.exe, which
    // holds the quoted exe path and the arguments, which in turn parse back exactly.
    let prefix = ps_value(&install, "ScBinPathPrefix");
    let suffix = ps_value(&install, "ScBinPathSuffix");
    assert_eq!(prefix, "\"\\\"");
    assert_eq!(
        suffix,
        "\\ledger-agent.exe\\\" --port 18431 --label \\\"two words\\\" \
         \\\"--greeting=say \\\\\\\"hi\\\\\\\"\\\" \\\"C:\\data dir\\\\\\\\\\\" \
         \\\"it's ✓ 100% & <ok>\\\" \\\"\\\"\""
    );
    let folder = "C:\\Program Files\\Ledger Agent ✓";
    let sc_args = parse_windows_args(&format!("binPath= {prefix}{folder}{suffix}"));
    assert_eq!(sc_args.len(), 2);
    let image = &sc_args[1];
    let exe_part = format!("\"{folder}\\ledger-agent.exe\" ");
    assert!(image.starts_with(&exe_part), "{image}");
    assert_eq!(
        parse_windows_args(&image[exe_part.len()..]),
        tricky_service().arguments
    );

    // Every sc.exe option line parses into the values the MSI stores.
    let options = parse_windows_args(&ps_value(&install, "ScOptions"));
    assert_eq!(
        options,
        [
            "type=",
            "own",
            "start=",
            "delayed-auto",
            "error=",
            "normal",
            "obj=",
            "NT SERVICE\\Ledger Agent ✓",
            "DisplayName=",
            "Ledger ‘Agent’ ✓ Überwachung & \"Pro\" 's",
            "depend=",
            "Tcpip/+NetworkProvider",
        ]
    );
    let failure = parse_windows_args(&ps_value(&install, "ScFailure"));
    assert_eq!(
        failure[5], "C:\\tools\\notify.cmd \"Ledger Agent\" failed",
        "{failure:?}"
    );

    // The script's control flow: elevation first, query decides create or config, each
    // sc.exe call goes through Invoke-Sc (which checks the exit code).
    for needle in [
        "$ErrorActionPreference = 'Stop'",
        "IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)",
        "exit 1",
        "\"query $ScName\" -Allowed @(0, 1060)",
        "\"config $ScName $options\"",
        "\"create $ScName $options\"",
        "\"description $ScName $ScDescription\"",
        "\"failure $ScName $ScFailure\"",
        "\"failureflag $ScName $ScFailureFlag\"",
        "\"start $ScName\"",
        "if ($Allowed -notcontains $LASTEXITCODE)",
        "SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\' + $ServiceName",
    ] {
        assert!(install.contains(needle), "install.ps1 lacks {needle}");
    }
    let admin = install.find("\r\nAssert-Administrator").unwrap();
    let first_sc = install.find("\r\n$exists = Test-ServiceExists").unwrap();
    assert!(admin < first_sc, "elevation is checked before sc.exe runs");

    let uninstall = text(&entries, "uninstall.ps1");
    assert_eq!(ps_value(&uninstall, "ServiceName"), "Ledger Agent ✓");
    assert_eq!(ps_value(&uninstall, "ScName"), "\"Ledger Agent ✓\"");
    for needle in [
        "$ErrorActionPreference = 'Stop'",
        "IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)",
        "Stop-ServiceAndWait",
        "if ($status -eq 'Stopped') { return }",
        "\"delete $ScName\" -Allowed @(0, 1060, 1072)",
        "DeleteSubKeyTree(",
        "$EventSource = $true",
    ] {
        assert!(uninstall.contains(needle), "uninstall.ps1 lacks {needle}");
    }
}

#[test]
fn start_types_accounts_and_empty_recovery() {
    let mut service = tricky_service();
    service.recovery = Recovery {
        steps: vec![],
        reset_after_secs: 86_400,
        command: None,
        non_crash_failures: false,
    };
    service.dependencies.clear();
    service.description = None;
    service.event_source = false;
    service.sid_type = crate::config::SidType::None;
    service.required_privileges.clear();
    service.preshutdown_timeout_secs = None;
    for (start, keyword, starts) in [
        (StartType::Auto, "auto", "$true"),
        (StartType::Delayed, "delayed-auto", "$true"),
        (StartType::Demand, "demand", "$true"),
        (StartType::Disabled, "disabled", "$false"),
    ] {
        for (account, obj, password) in [
            (Account::LocalSystem, "LocalSystem", "$false"),
            (
                Account::LocalService,
                "\"NT AUTHORITY\\LocalService\"",
                "$false",
            ),
            (
                Account::NetworkService,
                "\"NT AUTHORITY\\NetworkService\"",
                "$false",
            ),
            (
                Account::User("CORP\\svc-ledger".into()),
                "CORP\\svc-ledger",
                "$true",
            ),
            (Account::User("CORP\\gmsa$".into()), "CORP\\gmsa$", "$false"),
        ] {
            service.start = start;
            service.account = account;
            let config = Config {
                service: Some(service.clone()),
                ..plain_config()
            };
            let entries = read_zip(&build_zip(&input(&config, &[])).unwrap());
            let install = text(&entries, "install.ps1");
            let options = ps_value(&install, "ScOptions");
            assert!(
                options.starts_with(&format!(
                    "type= own start= {keyword} error= normal obj= {obj} "
                )),
                "{options}"
            );
            assert!(options.ends_with(" depend= /"), "{options}");
            assert!(install.contains(&format!("\r\n$StartService = {starts}\r\n")));
            assert!(install.contains(&format!("\r\n$AccountNeedsPassword = {password}\r\n")));
            assert!(install.contains("\r\n$EventSource = $false\r\n"));
            assert_eq!(ps_value(&install, "ScDescription"), "\"\"");
            assert_eq!(
                ps_value(&install, "ScFailure"),
                "reset= 0 actions= \"\" command= \"\""
            );
            assert_eq!(ps_value(&install, "ScFailureFlag"), "0");
            assert_eq!(ps_value(&install, "ScPrivileges"), "");
            assert!(install.contains("\r\n$PreshutdownMs = $null\r\n"));
            let readme = text(&entries, "README.txt");
            assert_eq!(readme.contains("-AccountPassword"), password == "$true");
        }
    }
}

#[test]
fn reboot_action_and_hosted_program() {
    let mut service = tricky_service();
    service.recovery.steps = vec![RecoveryStep {
        action: RecoveryAction::Reboot,
        delay_secs: 4_294_967,
    }];
    service.recovery.command = None;
    let config = Config {
        service: Some(service),
        ..plain_config()
    };
    let host = b"MZ host";
    let host_args = vec!["--config".to_string(), "svcpack-host.json".to_string()];
    let files = [PortableFile {
        path: "svcpack-host.exe".into(),
        contents: Contents::Bytes(host),
    }];
    let mut inp = input(&config, &files);
    inp.service_program = Some(ServiceProgram {
        exe_name: "svcpack-host.exe",
        arguments: &host_args,
    });
    let entries = read_zip(&build_zip(&inp).unwrap());
    let install = text(&entries, "install.ps1");
    assert_eq!(
        ps_value(&install, "ScFailure"),
        "reset= 86400 actions= reboot/4294967000 command= \"\""
    );
    assert_eq!(ps_value(&install, "ExeName"), "svcpack-host.exe");
    assert_eq!(
        ps_value(&install, "ScBinPathSuffix"),
        "\\svcpack-host.exe\\\" --config svcpack-host.json\""
    );
    assert_eq!(
        entry(&entries, "svcpack-host.exe").external >> 16,
        0o100_755
    );

    inp.service_program = Some(ServiceProgram {
        exe_name: "missing.exe",
        arguments: &host_args,
    });
    let err = build_zip(&inp).unwrap_err();
    assert!(matches!(err, PortableError::MissingProgram { .. }), "{err}");
}

#[test]
fn readme_says_what_and_how() {
    let config = service_config();
    let files = files();
    let entries = read_zip(&build_zip(&input(&config, &files)).unwrap());
    let readme = text(&entries, "README.txt");
    for needle in [
        "Ledger Agent 1.4.0-beta.2\r\nAnswers ledger queries; costs 50% less, $HOME stays.\r\nSecond line.\r\n",
        "  Description   Answers ledger queries; costs 50% less, $HOME stays.\r\n                Second line.\r\n",
        "by Example Ltd",
        "powershell -ExecutionPolicy Bypass -File .\\install.ps1",
        "-InstallDir \"C:\\Program Files\\Ledger Agent\"",
        "Administrator",
        ".\\uninstall.ps1",
        "  Name          Ledger Agent ✓\r\n",
        "  Display name  Ledger ‘Agent’ ✓ Überwachung & \"Pro\" 's\r\n",
        "  Start         automatic (delayed start)\r\n",
        "  Account       NT SERVICE\\Ledger Agent ✓\r\n",
        "  Command line  \"<folder>\\ledger-agent.exe\" --port 18431 --label \"two words\"",
        "  Depends on    Tcpip, +NetworkProvider\r\n",
        "  Recovery      failure 1: restart the service after 5 s\r\n\
         \x20               failure 2: run the recovery command after 30 s\r\n\
         \x20               failure 3 and later: no action\r\n\
         \x20               the failure count resets after 86400 s without failure\r\n\
         \x20               recovery command: C:\\tools\\notify.cmd \"Ledger Agent\" failed\r\n",
        "  Event log     Application log, source \"Ledger Agent ✓\"",
        "  conf\\agent.toml   kept when install.ps1 -InstallDir updates an edited copy\r\n",
        "  docs\\notes.md\r\n",
        "  ledger-agent.exe  the service program\r\n",
        "  LICENSE           the license\r\n",
    ] {
        assert!(
            readme.contains(needle),
            "README.txt lacks {needle:?}:\n{readme}"
        );
    }
}

#[test]
fn plain_application_has_no_scripts() {
    let config = plain_config();
    let files = files();
    let mut inp = input(&config, &files);
    inp.license = None;
    let entries = read_zip(&build_zip(&inp).unwrap());
    let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "README.txt",
            "conf/",
            "conf/agent.toml",
            "docs/",
            "docs/notes.md",
            "ledger-agent.exe",
        ]
    );
    let readme = text(&entries, "README.txt");
    assert!(
        readme.contains("run ledger-agent.exe from there"),
        "{readme}"
    );
    assert!(!readme.contains("install.ps1"), "{readme}");
    assert!(
        readme.contains("  ledger-agent.exe  the program\r\n"),
        "{readme}"
    );
}

#[test]
fn identical_input_gives_identical_bytes() {
    let config = service_config();
    let files = files();
    let a = build_zip(&input(&config, &files)).unwrap();
    let b = build_zip(&input(&config, &files)).unwrap();
    assert_eq!(a, b);
    // The order files are given in does not matter.
    let reversed: Vec<PortableFile<'_>> = files.iter().rev().cloned().collect();
    assert_eq!(build_zip(&input(&config, &reversed)).unwrap(), a);
    // Only the timestamp changes with the timestamp, in every header.
    let mut later = input(&config, &files);
    later.timestamp = EPOCH + 86_400;
    let c = build_zip(&later).unwrap();
    assert_eq!(a.len(), c.len());
    let differing = a.iter().zip(&c).filter(|(x, y)| x != y).count();
    assert!(differing > 0 && differing <= 2 * 2 * 9, "{differing}");
    // Before 1980 every time clamps to 1980-01-01.
    let mut early = input(&config, &files);
    early.timestamp = 0;
    let mut epoch_1980 = input(&config, &files);
    epoch_1980.timestamp = 315_532_800;
    assert_eq!(build_zip(&early).unwrap(), build_zip(&epoch_1980).unwrap());
}

#[test]
fn non_ascii_names_get_the_utf8_flag() {
    let config = plain_config();
    let files = [PortableFile {
        path: "données/été ✓.txt".into(),
        contents: Contents::Bytes(b"x"),
    }];
    let mut inp = input(&config, &files);
    inp.exe_name = "agent-ü.exe";
    let entries = read_zip(&build_zip(&inp).unwrap());
    assert_eq!(entry(&entries, "données/été ✓.txt").flags, 1 << 11);
    assert_eq!(entry(&entries, "données/").flags, 1 << 11);
    assert_eq!(entry(&entries, "agent-ü.exe").flags, 1 << 11);
    assert_eq!(entry(&entries, "README.txt").flags, 0);
}

#[test]
fn bad_names_and_collisions_are_refused() {
    let config = service_config();
    let cases: &[(&str, &str)] = &[
        ("../escape.txt", "escapes"),
        ("/abs.txt", "absolute"),
        ("C:\\x.txt", "absolute"),
        ("a/b?.txt", "cannot contain `?`"),
        (".", "names no file"),
        ("readme.TXT", "README.txt"),
        ("Install.ps1", "install.ps1"),
        ("LEDGER-AGENT.EXE", "ledger-agent.exe"),
        ("license", "LICENSE"),
    ];
    for (path, why) in cases {
        let files = [PortableFile {
            path: path.to_string(),
            contents: Contents::Bytes(b"x"),
        }];
        let err = build_zip(&input(&config, &files)).unwrap_err().to_string();
        assert!(err.contains(why), "{path}: {err}");
        assert!(err.contains(&format!("`{path}`")), "{path}: {err}");
    }
    let pairs: &[(&str, &str)] = &[
        ("conf/a.toml", "CONF/A.TOML"),
        ("conf", "conf/a.toml"),
        ("conf/a.toml", "conf"),
        ("Conf/a.toml", "conf/b.toml"),
    ];
    for (one, two) in pairs {
        let files = [
            PortableFile {
                path: one.to_string(),
                contents: Contents::Bytes(b"x"),
            },
            PortableFile {
                path: two.to_string(),
                contents: Contents::Bytes(b"y"),
            },
        ];
        let err = build_zip(&input(&config, &files)).unwrap_err();
        assert!(
            matches!(err, PortableError::Collision { .. }),
            "{one} + {two}: {err}"
        );
    }
    let mut inp = input(&config, &[]);
    inp.exe_name = "bin/agent.exe";
    assert!(build_zip(&inp)
        .unwrap_err()
        .to_string()
        .contains("plain file name"));
    let mut service = tricky_service();
    service.arguments.push("nul\0byte".into());
    let config = Config {
        service: Some(service),
        ..plain_config()
    };
    let err = build_zip(&input(&config, &[])).unwrap_err().to_string();
    assert!(
        err.contains("service argument 9") && err.contains("NUL"),
        "{err}"
    );
}

/// Writes the zip of the service config to a temp dir, for the external tools.
fn zip_on_disk(dir: &Path) -> (PathBuf, Vec<u8>) {
    let config = service_config();
    // Big enough to be deflated as several pieces (see zip::deflate).
    let big: Vec<u8> = (0..2_600_000u32)
        .map(|i| (i % 7 + i / 1000 % 3) as u8)
        .collect();
    let mut files = files();
    files.push(PortableFile {
        path: "data/big.bin".into(),
        contents: Contents::Bytes(&big),
    });
    let zip = build_zip(&input(&config, &files)).unwrap();
    let path = dir.join("ledger-agent-1.4.0-beta.2-x64-portable.zip");
    std::fs::write(&path, &zip).unwrap();
    (path, zip)
}

fn have(tool: &str, arg: &str) -> bool {
    let ok = Command::new(tool)
        .arg(arg)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        crate::test_tools::unavailable(&format!("`{tool}` is not available"));
    }
    ok
}

#[test]
fn python_zipfile_reads_it() {
    if !have("python3", "--version") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (path, zip) = zip_on_disk(dir.path());
    let script = r#"
import sys, zipfile, hashlib
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None
for i in z.infolist():
    data = z.read(i)
    print(i.filename, i.date_time, oct(i.external_attr >> 16), len(data), hashlib.sha256(data).hexdigest())
"#;
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listing = String::from_utf8(out.stdout).unwrap();
    let entries = read_zip(&zip);
    assert_eq!(listing.lines().count(), entries.len());
    for (line, e) in listing.lines().zip(&entries) {
        let want = format!(
            "{} (2023, 11, 14, 22, 13, 20) {} {} {}",
            e.name,
            if e.name.ends_with('/') {
                "0o40755"
            } else if e.external >> 16 == 0o100_755 {
                "0o100755"
            } else {
                "0o100644"
            },
            e.data.len(),
            crate::checksums::sha256_hex(&e.data)
        );
        assert_eq!(line, want);
    }
    let list = Command::new("python3")
        .args(["-m", "zipfile", "-l"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(list.status.success());
    assert!(String::from_utf8_lossy(&list.stdout).contains("install.ps1"));
}

#[test]
fn unzip_tests_and_extracts_it() {
    if !have("unzip", "-v") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = zip_on_disk(dir.path());
    let test = Command::new("unzip").arg("-t").arg(&path).output().unwrap();
    let stdout = String::from_utf8_lossy(&test.stdout);
    assert!(test.status.success(), "{stdout}");
    assert!(stdout.contains("No errors detected"), "{stdout}");
    let out = dir.path().join("x");
    let status = Command::new("unzip")
        .arg("-q")
        .arg(&path)
        .arg("-d")
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(std::fs::read(out.join("ledger-agent.exe")).unwrap(), EXE);
    assert_eq!(
        std::fs::read(out.join("conf/agent.toml")).unwrap(),
        AGENT_TOML
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &str| std::fs::metadata(out.join(p)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode("install.ps1"), 0o755);
        assert_eq!(mode("conf/agent.toml"), 0o644);
    }
}

#[test]
#[ignore = "needs PowerShell (pwsh), which no package source of the Linux CI provides; \
            the tree-sitter grammar check parses the scripts there"]
fn powershell_parses_the_scripts() {
    let Some(pwsh) = ["pwsh", "powershell"].into_iter().find(|p| {
        Command::new(p)
            .args(["-NoProfile", "-Command", "exit 0"])
            .output()
            .is_ok()
    }) else {
        panic!("PowerShell (pwsh) is not installed");
    };
    let dir = tempfile::tempdir().unwrap();
    let config = service_config();
    let files = files();
    let entries = read_zip(&build_zip(&input(&config, &files)).unwrap());
    for name in ["install.ps1", "uninstall.ps1"] {
        let path = dir.path().join(name);
        std::fs::write(&path, &entry(&entries, name).data).unwrap();
        let check = format!(
            "$e = $null; $null = [System.Management.Automation.Language.Parser]::ParseFile('{}', [ref]$null, [ref]$e); \
             if ($e.Count) {{ $e | ForEach-Object {{ $_.ToString() }}; exit 1 }}",
            path.display().to_string().replace('\'', "''")
        );
        let out = Command::new(pwsh)
            .args(["-NoProfile", "-NonInteractive", "-Command", &check])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{name}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// A second, independent PowerShell parser: the tree-sitter grammar (PyPI
/// `tree-sitter-powershell`), when installed. Every script must parse without error nodes,
/// and each generated `$Name = '...'` value must be one whole string literal.
/// (The grammar does not know PowerShell's typographic quotes; `ps_value` covers those.)
#[test]
fn powershell_grammar_parses_the_scripts() {
    const CHECK: &str = r#"
import sys, tree_sitter, tree_sitter_powershell as tsp
parser = tree_sitter.Parser(tree_sitter.Language(tsp.language()))
bad = []
for path in sys.argv[1:]:
    src = open(path, 'rb').read()
    assert src.startswith(b'\xef\xbb\xbf')
    src = src[3:]
    tree = parser.parse(src)
    literals = set()
    def walk(n):
        if n.type == 'ERROR' or n.is_missing:
            bad.append('%s:%d: %s' % (path, n.start_point[0] + 1, n.type))
        if n.type == 'string_literal':
            literals.add((n.start_byte, n.end_byte))
        for c in n.children:
            walk(c)
    walk(tree.root_node)
    offset = 0
    generated = False
    for line in src.split(b'\r\n'):
        if line.startswith(b'# ---- generated by') or line.startswith(b'# ---- end of generated'):
            generated = line.startswith(b'# ---- generated by')
        if generated and line.startswith(b'$') and b" = '" in line:
            start = offset + line.index(b" = '") + 3
            if (start, offset + len(line)) not in literals:
                bad.append('%s: not one literal: %r' % (path, line))
        offset += len(line) + 2
print('\n'.join(bad))
sys.exit(1 if bad else 0)
"#;
    let available = Command::new("python3")
        .args(["-c", "import tree_sitter, tree_sitter_powershell"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !available {
        crate::test_tools::unavailable(
            "python3 with tree-sitter-powershell is not installed (scripts/setup --test)",
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for (n, config) in [service_config(), {
        let mut s = tricky_service();
        s.account = Account::User("CORP\\o'brien".into());
        s.recovery = Recovery::default();
        s.arguments.clear();
        s.description = None;
        Config {
            service: Some(s),
            ..plain_config()
        }
    }]
    .iter()
    .enumerate()
    {
        let files = files();
        let entries = read_zip(&build_zip(&input(config, &files)).unwrap());
        for name in ["install.ps1", "uninstall.ps1"] {
            let path = dir.path().join(format!("{n}-{name}"));
            std::fs::write(&path, &entry(&entries, name).data).unwrap();
            paths.push(path);
        }
    }
    let out = Command::new("python3")
        .args(["-c", CHECK])
        .args(&paths)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn failure_flag_follows_the_non_crash_setting() {
    let mut service = tricky_service();
    service.recovery.non_crash_failures = false;
    let config = Config {
        service: Some(service),
        ..plain_config()
    };
    let entries = read_zip(&build_zip(&input(&config, &[])).unwrap());
    let install = text(&entries, "install.ps1");
    // Actions, but recovery only on crashes: as the MSI's helper sets it.
    assert_eq!(ps_value(&install, "ScFailureFlag"), "0");
    let request = crate::helper::configure_request(config.service.as_ref().unwrap());
    assert!(
        matches!(&request, crate::helper::settings::Request::Configure(s) if !s.non_crash_failures),
        "{request:?}"
    );
}

#[test]
fn hosted_log_folder_is_granted_to_the_service_account() {
    let host_args = vec!["--config".to_string(), "svcpack-host.conf".to_string()];
    let files = [PortableFile {
        path: "svcpack-host.exe".into(),
        contents: Contents::Bytes(b"MZ host"),
    }];
    let sid = crate::host::service_sid("Ledger Agent ✓");
    for (account, grantee) in [
        (Account::LocalSystem, None),
        (Account::LocalService, Some("S-1-5-19".to_string())),
        (Account::NetworkService, Some("S-1-5-20".to_string())),
        (Account::Virtual, Some(sid.clone())),
        (Account::User("CORP\\svc-ledger".into()), Some(sid.clone())),
    ] {
        let mut service = tricky_service();
        service.account = account;
        service.host = Some(crate::config::Host {
            log_dir: crate::config::RelPath::parse("var/logs", "log-dir").unwrap(),
            ..crate::config::Host::default()
        });
        let config = Config {
            service: Some(service),
            ..plain_config()
        };
        let mut inp = input(&config, &files);
        inp.service_program = Some(ServiceProgram {
            exe_name: "svcpack-host.exe",
            arguments: &host_args,
        });
        let entries = read_zip(&build_zip(&inp).unwrap());
        let install = text(&entries, "install.ps1");
        assert_eq!(ps_value(&install, "LogDir"), "var\\logs");
        let mut want = vec![
            "/inheritance:r",
            "/grant:r",
            "*S-1-5-18:(OI)(CI)F",
            "*S-1-5-32-544:(OI)(CI)F",
        ]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>();
        if let Some(g) = &grantee {
            want.push(format!("*{g}:(OI)(CI)M"));
        }
        // icacls gets the folder (quoted at run time) and exactly these arguments.
        let line = format!(
            "\"C:\\Program Files\\Ledger\\var\\logs\" {}",
            ps_value(&install, "IcaclsLogDir")
        );
        let mut args = parse_windows_args(&line);
        assert_eq!(args.remove(0), "C:\\Program Files\\Ledger\\var\\logs");
        assert_eq!(args, want, "{grantee:?}");
        assert!(install.contains("-Program 'icacls.exe'"));
    }
}

/// `$Var = @('a', 'b')` in a script: the strings.
fn ps_array_value(script: &str, var: &str) -> Vec<String> {
    let prefix = format!("\r\n${var} = @(");
    let start = script
        .find(&prefix)
        .unwrap_or_else(|| panic!("no array assignment of ${var}"))
        + prefix.len();
    let mut chars = script[start..].chars().peekable();
    let mut out = Vec::new();
    loop {
        match chars.next().expect("array is closed") {
            ')' => return out,
            ',' | ' ' => {}
            '\'' => {
                let mut value = String::new();
                loop {
                    let c = chars.next().expect("literal is closed");
                    if c == '\'' {
                        if chars.peek() == Some(&'\'') {
                            value.push(c);
                            chars.next();
                            continue;
                        }
                        break;
                    }
                    value.push(c);
                }
                out.push(value);
            }
            c => panic!("${var}: unexpected {c:?}"),
        }
    }
}

/// The scripts' netsh.exe command lines, once install.ps1 puts the service's folder into
/// them, are exactly the calls the MSI's installer helper makes for the same rules: the
/// names deleted, then each rule added; uninstall.ps1 deletes the same names. A plain
/// service without rules runs no netsh at all.
#[test]
fn scripts_make_the_installer_helpers_netsh_calls() {
    let config = service_config();
    let service = config.service.as_ref().unwrap();
    let files = files();
    let entries = read_zip(&build_zip(&input(&config, &files)).unwrap());
    let install = text(&entries, "install.ps1");
    let uninstall = text(&entries, "uninstall.ps1");

    let folder = "C:\\Program Files\\Ledger Agent ✓";
    let delete = ps_array_value(&install, "NetshDelete");
    let before = ps_array_value(&install, "NetshAddBefore");
    let after = ps_array_value(&install, "NetshAddAfter");
    assert_eq!(before.len(), after.len());
    // As install.ps1 joins them.
    let mut lines = delete.clone();
    for (b, a) in before.iter().zip(&after) {
        lines.push(if a.is_empty() {
            b.clone()
        } else {
            format!("{b}{folder}{a}")
        });
    }
    let got: Vec<Vec<String>> = lines.iter().map(|l| parse_windows_args(l)).collect();
    let rules = crate::firewall::rules(service, &format!("{folder}\\ledger-agent.exe"));
    let want: Vec<Vec<String>> = crate::helper::firewall::Request::Add(rules.clone())
        .calls()
        .into_iter()
        .map(|(args, _)| args)
        .collect();
    assert_eq!(got, want);
    assert_eq!(
        want[3].last().map(String::as_str),
        Some("enable=yes"),
        "{want:?}"
    );
    assert!(want[3].contains(&format!("program={folder}\\ledger-agent.exe")));
    // Each call runs netsh.exe through Invoke-Sc (exit codes checked; a missing rule is fine
    // when deleting).
    for script in [&install, &uninstall] {
        assert!(script
            .contains("$null = Invoke-Sc -Program 'netsh.exe' -Arguments $line -Allowed @(0, 1)"));
    }
    assert!(install.contains("$null = Invoke-Sc -Program 'netsh.exe' -Arguments $line\r\n"));

    let removed: Vec<Vec<String>> = ps_array_value(&uninstall, "NetshDelete")
        .iter()
        .map(|l| parse_windows_args(l))
        .collect();
    let want_removed: Vec<Vec<String>> = crate::helper::firewall::Request::Remove(rules)
        .calls()
        .into_iter()
        .map(|(args, _)| args)
        .collect();
    assert_eq!(removed, want_removed);

    // A hosted service's program rule allows the program, not the host.
    let host_args = vec!["--config".to_string(), "svcpack-host.conf".to_string()];
    let host_files = [PortableFile {
        path: "svcpack-host.exe".into(),
        contents: Contents::Bytes(b"MZ host"),
    }];
    let mut inp = input(&config, &host_files);
    inp.service_program = Some(ServiceProgram {
        exe_name: "svcpack-host.exe",
        arguments: &host_args,
    });
    let hosted = text(&read_zip(&build_zip(&inp).unwrap()), "install.ps1");
    assert_eq!(
        ps_array_value(&hosted, "NetshAddAfter")[1],
        "\\ledger-agent.exe\" enable=yes"
    );

    let mut plain = tricky_service();
    plain.firewall.clear();
    let config = Config {
        service: Some(plain),
        ..plain_config()
    };
    let entries = read_zip(&build_zip(&input(&config, &[])).unwrap());
    for (script, var) in [
        ("install.ps1", "NetshDelete"),
        ("install.ps1", "NetshAddBefore"),
        ("uninstall.ps1", "NetshDelete"),
    ] {
        assert!(ps_array_value(&text(&entries, script), var).is_empty());
    }
}
