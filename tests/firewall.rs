//! Firewall rules: `service.firewall` is validated with one located error per mistake, and
//! becomes the installer helper's `firewall-add`/`firewall-remove` command lines, whose
//! netsh calls are checked here after decoding.

use std::path::Path;

use svcpack::config::{load_standalone_str, Config, FirewallProfile, FirewallProtocol};
use svcpack::helper::firewall;

const HEAD: &str =
    "name = \"ledger-agent\"\nversion = \"1.2.3\"\nproduct-name = \"Ledger Agent\"\n[service]\n";

fn load(service: &str) -> Result<Config, String> {
    let text = format!("{HEAD}{service}");
    load_standalone_str(Path::new("/proj/svcpack.toml"), &text)
        .map(|(_, l)| l.config)
        .map_err(|e| e.to_string())
}

#[test]
fn rules_are_read_with_their_defaults() {
    let c = load(
        r#"firewall = [
  { port = 18431, protocol = "tcp", profiles = ["domain", "private"], remote = "localsubnet" },
  { port = "8000-8010,9000", protocol = "UDP", remote = ["10.0.0.0/8", "192.168.1.5", "fe80::1", "10.1.1.1-10.1.1.9"], name = "Ledger discovery" },
  { program = true, profiles = "all" },
  { port = [80, "443"] },
]
"#,
    )
    .unwrap();
    let rules = &c.service.unwrap().firewall;
    assert_eq!(rules.len(), 4);
    assert_eq!(rules[0].name, "Ledger Agent");
    assert_eq!(rules[0].protocol, FirewallProtocol::Tcp);
    assert_eq!(rules[0].ports, [(18431, 18431)]);
    assert_eq!(
        rules[0].profiles,
        [FirewallProfile::Domain, FirewallProfile::Private]
    );
    assert_eq!(rules[0].remote, ["localsubnet"]);
    assert!(!rules[0].program);
    assert_eq!(rules[1].name, "Ledger discovery");
    assert_eq!(rules[1].protocol, FirewallProtocol::Udp);
    assert_eq!(rules[1].ports_text(), "8000-8010,9000");
    assert_eq!(rules[1].remote.len(), 4);
    assert_eq!(rules[2].protocol, FirewallProtocol::Any);
    assert!(rules[2].program && rules[2].ports.is_empty() && rules[2].profiles.is_empty());
    assert_eq!(rules[2].remote, ["any"]);
    assert_eq!(rules[3].protocol, FirewallProtocol::Tcp);
    assert_eq!(rules[3].ports_text(), "80,443");
}

#[test]
fn bad_rules_are_one_located_error() {
    // (the firewall entry, the key path, what the message says)
    let cases: &[(&str, &str, &str)] = &[
        (
            "{ port = 0 }",
            "service.firewall[0].port",
            "must be from 1 to 65535",
        ),
        (
            "{ port = 65536 }",
            "service.firewall[0].port",
            "must be from 1 to 65535",
        ),
        (
            "{ port = \"80,70000\" }",
            "service.firewall[0].port",
            "port 70000 is out of range",
        ),
        (
            "{ port = \"90-80\" }",
            "service.firewall[0].port",
            "ends below its start",
        ),
        (
            "{ port = \"http\" }",
            "service.firewall[0].port",
            "`http` is not a port",
        ),
        ("{ port = [] }", "service.firewall[0].port", "is empty"),
        (
            "{ port = 1.5 }",
            "service.firewall[0].port",
            "found a float",
        ),
        (
            "{ port = 80, protocol = \"sctp\" }",
            "service.firewall[0].protocol",
            "unknown protocol `sctp`; allowed: tcp, udp, any",
        ),
        (
            "{ port = 80, protocol = \"any\" }",
            "service.firewall[0].port",
            "protocol is `any`",
        ),
        (
            "{ port = 80, profiles = [\"home\"] }",
            "service.firewall[0].profiles[0]",
            "unknown profile `home`; allowed: domain, private, public, all",
        ),
        (
            "{ port = 80, profiles = [] }",
            "service.firewall[0].profiles",
            "is empty",
        ),
        (
            "{ port = 80, remote = \"intranet\" }",
            "service.firewall[0].remote",
            "unknown remote address `intranet`",
        ),
        (
            "{ port = 80, remote = \"10.0.0.0/33\" }",
            "service.firewall[0].remote",
            "prefix length from 0 to 32",
        ),
        (
            "{ port = 80, remote = \"10.0.0.9-10.0.0.1\" }",
            "service.firewall[0].remote",
            "ends below its start",
        ),
        (
            "{ port = 80, remote = [\"any\", \"10.0.0.1\"] }",
            "service.firewall[0].remote[0]",
            "cannot be combined",
        ),
        (
            "{ protocol = \"udp\" }",
            "service.firewall[0].port",
            "missing: a udp rule needs `port`",
        ),
        (
            "{ }",
            "service.firewall[0].port",
            "missing: a tcp rule needs `port`",
        ),
        (
            "{ port = 80, name = \"all\" }",
            "service.firewall[0].name",
            "cannot name one",
        ),
        (
            "{ port = 80, name = \"\" }",
            "service.firewall[0].name",
            "must not be empty",
        ),
        (
            "{ port = 80, program = \"yes\" }",
            "service.firewall[0].program",
            "expected a boolean",
        ),
        ("{ prot = 80 }", "service.firewall[0].prot", "port"),
    ];
    for (entry, key, needle) in cases {
        let err = load(&format!("firewall = [{entry}]\n")).expect_err(entry);
        assert!(!err.contains('\n'), "{err}");
        assert!(
            err.starts_with(&format!("/proj/svcpack.toml:5: {key}: ")),
            "{entry}: {err}"
        );
        assert!(err.contains(needle), "{entry}: `{err}` lacks `{needle}`");
    }
}

#[test]
fn rules_become_netsh_calls() {
    let c = load(
        "firewall = [{ port = 18431, profiles = [\"domain\", \"private\"], remote = \"localsubnet\" }, { program = true, name = \"Ledger program\" }]\n",
    )
    .unwrap();
    let rules = svcpack::firewall::rules(
        c.service.as_ref().unwrap(),
        r"C:\Program Files\Ledger Agent\ledger-agent.exe",
    );
    let add = firewall::Request::Add(rules.clone());
    let line = svcpack::firewall::command_line(&add.to_args());
    let decoded = svcpack::firewall::decode(&line).unwrap();
    assert_eq!(decoded, add);
    let calls: Vec<String> = decoded
        .calls()
        .iter()
        .map(|(a, _)| firewall::describe(a))
        .collect();
    assert_eq!(
        calls,
        [
            "netsh advfirewall firewall delete rule \"name=Ledger Agent\"",
            "netsh advfirewall firewall delete rule \"name=Ledger program\"",
            "netsh advfirewall firewall add rule \"name=Ledger Agent\" dir=in action=allow protocol=tcp localport=18431 remoteip=localsubnet profile=domain,private enable=yes",
            "netsh advfirewall firewall add rule \"name=Ledger program\" dir=in action=allow protocol=any remoteip=any profile=any \"program=C:\\Program Files\\Ledger Agent\\ledger-agent.exe\" enable=yes",
        ]
    );
    let remove = firewall::Request::Remove(rules);
    assert_eq!(remove.calls().len(), 2);
    assert!(remove.calls().iter().all(|(_, checked)| !checked));
}

fn repo() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Compiles a WiX source with `cargo svcpack compile`, the helper given as a stand-in file
/// (the tables do not depend on its bytes).
fn compile(src: &Path, dir: &Path) -> Result<std::path::PathBuf, String> {
    let exe = dir.join("example-service.exe");
    std::fs::write(&exe, b"stand-in service\n").unwrap();
    let helper = dir.join("svcpack-helper.exe");
    std::fs::write(&helper, b"stand-in helper\n").unwrap();
    let out = dir.join("out.msi");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_cargo-svcpack"))
        .args(["svcpack", "compile", "-q"])
        .arg(src)
        .arg("-o")
        .arg(&out)
        .arg("--helper")
        .arg(&helper)
        .arg("-D")
        .arg(format!("ExePath={}", exe.display()))
        .args(["-D", "ServiceName=SvcpackFw"])
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .unwrap();
    if o.status.success() {
        Ok(out)
    } else {
        Err(String::from_utf8_lossy(&o.stderr).into_owned())
    }
}

#[test]
fn wix_v3_firewall_exceptions_become_helper_actions() {
    let dir = tempfile::tempdir().unwrap();
    let msi = compile(&repo().join("tests/wix/firewall-v3.wxs"), dir.path()).unwrap();
    let report = svcpack::inspect::inspect_msi(&msi).unwrap();
    let text: Vec<String> = report
        .firewall
        .iter()
        .map(|f| {
            format!(
                "{}|{}|{}|{}|{}|{:?}|{}|{:?}",
                f.name,
                f.protocol,
                f.ports,
                f.profiles.join(","),
                f.remote,
                f.program,
                f.ignore_failure,
                f.condition
            )
        })
        .collect();
    assert_eq!(
        text,
        [
            "svcpack Firewall v3 (program)|any||private|any|Some(\"[#ServiceExeFile]\")|true|Some(\"$ServiceExe=3\")",
            "svcpack Firewall v3 (HTTP)|tcp|[PORT]||localsubnet|None|false|Some(\"$ServiceExe=3\")",
        ]
    );
    // The actions, their types and scheduling, read with msitools when it is installed.
    let Some(actions) = svcpack_msiinfo(&msi, "CustomAction") else {
        return;
    };
    for line in [
        "SvcpackFirewallAdd_ServiceExe\t3074\tSvcpackHelper\tfirewall-add [SvcpackFirewallRules_ServiceExe]",
        "SvcpackFirewallAddRollback_ServiceExe\t3330\tSvcpackHelper\tfirewall-remove [SvcpackFirewallRules_ServiceExe]",
        "SvcpackFirewallRemove_ServiceExe\t3074\tSvcpackHelper\tfirewall-remove [SvcpackFirewallRules_ServiceExe]",
        "SvcpackFirewallRemoveRollback_ServiceExe\t3330\tSvcpackHelper\tfirewall-add [SvcpackFirewallRules_ServiceExe]",
        "SvcpackFirewallSet_ServiceExe\t51\tSvcpackFirewallRules_ServiceExe\t--name \"svcpack Firewall v3 (program)\"",
    ] {
        assert!(actions.contains(line), "{line}\n{actions}");
    }
    let seq = svcpack_msiinfo(&msi, "InstallExecuteSequence").unwrap();
    let number = |action: &str| -> i32 {
        seq.lines()
            .find(|l| l.starts_with(&format!("{action}\t")))
            .and_then(|l| l.rsplit('\t').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{action} not sequenced\n{seq}"))
    };
    assert!(number("SvcpackFirewallSet_ServiceExe") < number("InstallInitialize"));
    assert!(number("InstallFiles") < number("SvcpackFirewallAddRollback_ServiceExe"));
    assert!(
        number("SvcpackFirewallAddRollback_ServiceExe") < number("SvcpackFirewallAdd_ServiceExe")
    );
    assert!(
        number("SvcpackFirewallRemoveRollback_ServiceExe")
            < number("SvcpackFirewallRemove_ServiceExe")
    );
    assert!(number("SvcpackFirewallRemove_ServiceExe") < number("RemoveFiles"));
    assert!(seq
        .contains("SvcpackFirewallRemove_ServiceExe\t$ServiceExe=2 AND NOT UPGRADINGPRODUCTCODE"));
}

#[test]
fn wix_v4_firewall_exception_with_remote_addresses() {
    let dir = tempfile::tempdir().unwrap();
    let msi = compile(&repo().join("tests/wix/firewall-v4.wxs"), dir.path()).unwrap();
    let report = svcpack::inspect::inspect_msi(&msi).unwrap();
    assert_eq!(report.firewall.len(), 1, "{:?}", report.firewall);
    let f = &report.firewall[0];
    assert_eq!(f.name, "svcpack Firewall v4 (HTTP [LISTEN_PORT])");
    assert_eq!(
        (f.protocol.as_str(), f.ports.as_str(), f.remote.as_str()),
        ("tcp", "[LISTEN_PORT]", "10.0.0.0/8,192.168.1.5")
    );
    assert!(f.profiles.is_empty() && f.ignore_failure && f.program.is_none());
    let text = report.to_text();
    assert!(
        text.contains("Firewall rules (1):\n  svcpack Firewall v4 (HTTP [LISTEN_PORT]): inbound tcp [LISTEN_PORT] from 10.0.0.0/8,192.168.1.5 (all profiles); failure ignored\n"),
        "{text}"
    );
}

/// `msiinfo export` (msitools), `None` when msitools is not installed and not required.
fn svcpack_msiinfo(msi: &Path, table: &str) -> Option<String> {
    let out = std::process::Command::new("msiinfo")
        .arg("export")
        .arg(msi)
        .arg(table)
        .output();
    match out {
        Ok(o) if o.status.success() => Some(String::from_utf8_lossy(&o.stdout).into_owned()),
        _ if std::env::var_os("SVCPACK_REQUIRE_MSITOOLS").is_some() => {
            panic!("msiinfo is required (SVCPACK_REQUIRE_MSITOOLS) but did not run")
        }
        _ => None,
    }
}

#[test]
fn wix_firewall_errors_are_located() {
    const FW: &str = "http://wixtoolset.org/schemas/v4/wxs/firewall";
    let cases: &[(&str, &str)] = &[
        ("<fw:FirewallException Port=\"80\"/>", "missing required attribute `Name`"),
        ("<fw:FirewallException Name=\"a\" Port=\"0\"/>", "`0` is not a port from 1 to 65535"),
        ("<fw:FirewallException Name=\"a\" Port=\"80\" Protocol=\"sctp\"/>", "allowed: tcp, udp, any"),
        ("<fw:FirewallException Name=\"a\" Port=\"80\" Profile=\"home\"/>", "allowed: domain, private, public, all"),
        ("<fw:FirewallException Name=\"a\" Port=\"80\" Scope=\"intranet\"/>", "allowed: any, localSubnet"),
        ("<fw:FirewallException Name=\"a\"/>", "needs a `Port`, or a program"),
        ("<fw:FirewallException Name=\"a\" Port=\"80\" Scope=\"any\"><fw:RemoteAddress Value=\"10.0.0.1\"/></fw:FirewallException>", "RemoteAddress cannot be used with the Scope attribute"),
        ("<fw:FirewallException Name=\"a\" Port=\"80\" File=\"F\" Program=\"x.exe\"/>", "cannot be used together"),
        ("<fw:FirewallRule Name=\"a\"/>", "fw:FirewallRule needs WixToolset.Firewall.wixext"),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (element, needle) in cases {
        let src = dir.path().join("bad.wxs");
        std::fs::write(
            &src,
            format!(
                "<Wix xmlns=\"http://wixtoolset.org/schemas/v4/wxs\" xmlns:fw=\"{FW}\">\n<Package Name=\"T\" Manufacturer=\"M\" Version=\"1.0\" UpgradeCode=\"9D1B8F0C-6E2A-4B57-8C33-0F4E5A6B7C82\">\n<StandardDirectory Id=\"ProgramFiles6432Folder\"><Directory Id=\"D\" Name=\"d\">\n<Component Id=\"C\"><File Id=\"F\" Source=\"$(ExePath)\"/>\n{element}\n</Component></Directory></StandardDirectory></Package></Wix>\n"
            ),
        )
        .unwrap();
        let err = compile(&src, dir.path()).expect_err(element);
        assert!(err.contains("bad.wxs:5"), "{element}: {err}");
        assert!(err.contains(needle), "{element}: `{err}` lacks `{needle}`");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
    }
}

/// The compiler alone (without svcpack's helper) names the extension it cannot build.
#[test]
fn without_an_action_provider_the_error_names_the_extension() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("example-service.exe"), b"x").unwrap();
    let mut opts = svcpack::wix::CompileOptions::new("x64");
    opts.defines.insert(
        "ExePath".into(),
        dir.path().join("example-service.exe").display().to_string(),
    );
    opts.defines
        .insert("ServiceName".into(), "SvcpackFw".into());
    let err = svcpack::wix::compile(&[repo().join("tests/wix/firewall-v3.wxs")], &opts)
        .expect_err("no provider");
    let text = err.to_string();
    assert!(text.contains("firewall-v3.wxs:19"), "{text}");
    assert!(
        text.contains("firewall:FirewallException needs WixToolset.Firewall.wixext"),
        "{text}"
    );
    assert!(text.contains("cargo svcpack compile"), "{text}");
}

/// svcpack's template: the rules become one SetProperty value whose arguments, once the
/// installer formats them, decode to exactly the configured rules; inspect reads them back.
#[test]
fn template_carries_the_rules_and_inspect_reads_them() {
    let text = format!(
        "{HEAD}firewall = [{{ port = \"18431,9000-9010\", profiles = [\"domain\", \"private\"], remote = \"localsubnet\", name = \"Ledger [API] {{x}}\" }}, {{ program = true }}]\n"
    );
    let dir = tempfile::tempdir().unwrap();
    let (pkg, loaded) = load_standalone_str(&dir.path().join("svcpack.toml"), &text).unwrap();
    let exe = dir.path().join("ledger-agent.exe");
    std::fs::write(&exe, b"stand-in service\n").unwrap();
    let helper = dir.path().join("svcpack-helper.exe");
    std::fs::write(&helper, b"stand-in helper\n").unwrap();
    let mut input = svcpack::render::RenderInput::new(&loaded.config, &pkg, &exe, "x64");
    input.helper = Some(&helper);
    let wxs = svcpack::render::render(&input, None).unwrap();
    assert!(
        wxs.contains("<SetProperty Id=\"SvcpackFirewallRules\""),
        "{wxs}"
    );
    let src = dir.path().join("main.wxs");
    std::fs::write(&src, &wxs).unwrap();
    let msi = dir.path().join("out.msi");
    let mut opts = svcpack::wix::CompileOptions::new("x64");
    opts.timestamp = 1_700_000_000;
    svcpack::wix::compile_to_file(&[src], &msi, &opts).unwrap_or_else(|e| panic!("{e}"));
    let report = svcpack::inspect::inspect_msi(&msi).unwrap();
    let names: Vec<(&str, &str, &str, &str)> = report
        .firewall
        .iter()
        .map(|f| {
            (
                f.name.as_str(),
                f.ports.as_str(),
                f.remote.as_str(),
                f.program.as_deref().unwrap_or("-"),
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            ("Ledger [API] {x}", "18431,9000-9010", "localsubnet", "-"),
            ("Ledger Agent", "", "any", "[#MainExe]"),
        ]
    );
    assert_eq!(
        report.firewall[0].condition.as_deref(),
        Some("NOT (REMOVE~=\"ALL\")")
    );
    // What the installer runs: the property formatted ([\[] → [, [#MainExe] → the path).
    let value = wxs
        .split("<SetProperty Id=\"SvcpackFirewallRules\" Value=\"")
        .nth(1)
        .and_then(|rest| rest.split("\" Before=").next())
        .unwrap()
        .replace("&quot;", "\"")
        .replace("&amp;", "&");
    let installed = r"C:\Program Files\Ledger Agent\ledger-agent.exe";
    let formatted = value
        .replace("[\\[]", "[")
        .replace("[\\]]", "]")
        .replace("[\\{]", "{")
        .replace("[\\}]", "}")
        .replace("[#MainExe]", installed);
    let decoded = svcpack::firewall::decode(&format!("firewall-add {formatted}")).unwrap();
    let expected = svcpack::firewall::rules(loaded.config.service.as_ref().unwrap(), installed);
    assert_eq!(decoded, firewall::Request::Add(expected));
}

#[test]
fn a_service_without_rules_has_no_firewall_actions() {
    let dir = tempfile::tempdir().unwrap();
    let (pkg, loaded) = load_standalone_str(&dir.path().join("svcpack.toml"), HEAD).unwrap();
    let exe = dir.path().join("ledger-agent.exe");
    let input = svcpack::render::RenderInput::new(&loaded.config, &pkg, &exe, "x64");
    let wxs = svcpack::render::render(&input, None).unwrap();
    assert!(!wxs.contains("SvcpackFirewall"), "{wxs}");
}
