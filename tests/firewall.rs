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
    let rules = svcpack::helper::firewall_rules(
        c.service.as_ref().unwrap(),
        r"C:\Program Files\Ledger Agent\ledger-agent.exe",
    );
    let add = firewall::Request::Add(rules.clone());
    let line = svcpack::helper::firewall_command_line(&add.to_args());
    let decoded = svcpack::helper::decode_firewall(&line).unwrap();
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
