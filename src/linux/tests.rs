//! The Linux packages from configurations: unit lines, layout, scripts, reproducibility,
//! and the Linux-only configuration findings.

use std::path::PathBuf;

use super::*;
use crate::config::{load_cargo_str, Loaded, PackageInfo};

struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("LICENSE"), "MIT License\n").unwrap();
        std::fs::create_dir_all(dir.path().join("conf")).unwrap();
        std::fs::write(dir.path().join("conf/agent.toml"), "port = 1\n").unwrap();
        std::fs::write(dir.path().join("readme.md"), "# ledger\n").unwrap();
        Fixture { dir }
    }

    fn pkg(&self) -> PackageInfo {
        PackageInfo {
            name: "ledger-agent".into(),
            version: semver::Version::parse("1.4.0").unwrap(),
            authors: vec!["Jane Doe <jane@example.com>".into()],
            description: Some("Answers ledger queries".into()),
            homepage: Some("https://example.com/ledger".into()),
            repository: None,
            license: Some("MIT".into()),
            bins: vec!["ledger-agent".into()],
            manifest_dir: self.dir.path().to_path_buf(),
        }
    }

    fn load(&self, section: &str) -> Result<Loaded, String> {
        let text = format!("[package]\nname = \"ledger-agent\"\nversion = \"1.4.0\"\n\n{section}");
        load_cargo_str(&PathBuf::from("Cargo.toml"), &text, &self.pkg()).map_err(|e| e.to_string())
    }
}

const SERVICE: &str = r#"[package.metadata.svcpack]
license = "LICENSE"
[package.metadata.svcpack.service]
name = "LedgerAgent"
display-name = "Ledger Agent (100%)"
arguments = ["--port", "18431", "two words", "$HOME", "quote\"d"]
dependencies = ["postgresql"]
[package.metadata.svcpack.service.recovery]
actions = ["restart", "restart", "none"]
delays-secs = [5, 30, 0]
reset-after-secs = 3600
[[package.metadata.svcpack.files]]
source = "conf/agent.toml"
dest = "conf/agent.toml"
preserve-on-upgrade = true
[[package.metadata.svcpack.files]]
source = "readme.md"
"#;

fn build(f: &Fixture, loaded: &Loaded) -> (Vec<u8>, Vec<u8>) {
    let pkg = f.pkg();
    let input = Input {
        config: &loaded.config,
        pkg: &pkg,
        linux: &loaded.linux,
        program: b"\x7fELF program",
        triple: "x86_64-unknown-linux-gnu",
        unix_time: 1_700_000_000,
    };
    (deb::build(&input).unwrap(), tarball::build(&input).unwrap())
}

#[test]
fn the_unit_follows_the_service_keys() {
    let f = Fixture::new();
    let loaded = f.load(SERVICE).unwrap();
    let c = &loaded.config;
    let s = c.service.as_ref().unwrap();
    let u = unit::render(
        c,
        s,
        &loaded.linux,
        &unit::Layout::deb("ledger-agent"),
        Some("https://example.com/ledger"),
    );
    for line in [
        "Description=Ledger Agent (100%%)",
        "Documentation=https://example.com/ledger",
        "After=network.target postgresql.service",
        "Wants=postgresql.service",
        "StartLimitIntervalSec=3600",
        "StartLimitBurst=3",
        "Type=simple",
        "ExecStart=/usr/lib/ledger-agent/ledger-agent \"--port\" \"18431\" \"two words\" \"$$HOME\" \"quote\\\"d\"",
        "Restart=on-failure",
        "RestartSec=5",
        "DynamicUser=yes",
        "StateDirectory=ledger-agent",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "PrivateTmp=yes",
        "WantedBy=multi-user.target",
    ] {
        assert!(u.lines().any(|l| l == line), "missing {line:?} in\n{u}");
    }
    assert!(!u.contains("User=root"));
}

#[test]
fn accounts_start_types_and_hosts_map_to_systemd() {
    let f = Fixture::new();
    let with = |extra: &str| {
        let l = f
            .load(&format!(
                "[package.metadata.svcpack.service]\nname = \"x\"\n{extra}"
            ))
            .unwrap();
        let s = l.config.service.clone().unwrap();
        (
            unit::render(
                &l.config,
                &s,
                &l.linux,
                &unit::Layout::deb("ledger-agent"),
                None,
            ),
            l,
        )
    };
    let (u, _) = with("account = \"LocalSystem\"\nstart = \"demand\"\n");
    assert!(!u.contains("DynamicUser") && !u.contains("User="), "{u}");
    assert!(!u.contains("[Install]") && u.contains("Restart=no"), "{u}");
    let (u, l) = with("account = \".\\\\ledger\"\n");
    assert!(u.contains("\nUser=ledger\n"), "{u}");
    let scripts = maintscripts::scripts(&l.linux, "ledger-agent.service", true);
    assert!(
        scripts.postinst.contains("useradd --system"),
        "{}",
        scripts.postinst
    );
    for account in ["LocalService", "NetworkService", "virtual"] {
        let (u, _) = with(&format!("account = \"{account}\"\n"));
        assert!(u.contains("DynamicUser=yes"), "{account}: {u}");
    }
    let (u, _) = with(
        "[package.metadata.svcpack.service.host]\nworking-dir = \"data\"\nrestart-delay-secs = 3\n\
         max-restarts-per-hour = 4\nstop-timeout-secs = 7\nenvironment = { RUST_LOG = \"info 100%\" }\n",
    );
    for line in [
        "WorkingDirectory=/usr/lib/ledger-agent/data",
        "Environment=\"RUST_LOG=info 100%%\"",
        "RestartSec=3",
        "StartLimitIntervalSec=3600",
        "StartLimitBurst=5",
        "TimeoutStopSec=7",
        "LogsDirectory=ledger-agent",
    ] {
        assert!(u.lines().any(|l| l == line), "missing {line:?} in\n{u}");
    }
    let (u, _) =
        with("[package.metadata.svcpack.linux]\nhardening = false\nservice-type = \"notify\"\n");
    assert!(
        u.contains("Type=notify") && !u.contains("ProtectSystem"),
        "{u}"
    );
}

#[test]
fn the_deb_holds_the_layout_conffiles_and_scripts() {
    let f = Fixture::new();
    let loaded = f.load(SERVICE).unwrap();
    let (deb, _) = build(&f, &loaded);
    let report = inspect::report(&deb).unwrap();
    for want in [
        "  Package: ledger-agent",
        "  Version: 1.4.0-1",
        "  Architecture: amd64",
        "  Maintainer: Jane Doe <jane@example.com>",
        "  Depends: libc6",
        "  /etc/ledger-agent/conf/agent.toml",
        "maintainer scripts: postinst, prerm, postrm",
        "unit /lib/systemd/system/ledger-agent.service:",
        " /usr/lib/ledger-agent/ledger-agent",
        " /usr/lib/ledger-agent/readme.md",
        " /usr/lib/ledger-agent/conf/agent.toml",
        " /usr/share/doc/ledger-agent/copyright",
        " /usr/share/doc/ledger-agent/changelog.Debian.gz",
    ] {
        assert!(report.contains(want), "missing {want:?} in\n{report}");
    }
    assert_eq!(
        deb_file_name(&f.pkg(), &loaded.linux, "aarch64-unknown-linux-gnu").unwrap(),
        "ledger-agent_1.4.0-1_arm64.deb"
    );
}

#[test]
fn builds_are_byte_identical() {
    let f = Fixture::new();
    let loaded = f.load(SERVICE).unwrap();
    assert_eq!(build(&f, &loaded), build(&f, &loaded));
}

#[test]
fn the_tarball_installs_the_same_unit() {
    let f = Fixture::new();
    let loaded = f.load(SERVICE).unwrap();
    let (_, tgz) = build(&f, &loaded);
    let entries = archive::tar_entries(&archive::gunzip(&tgz).unwrap()).unwrap();
    let names: Vec<&str> = entries.iter().map(|(p, _, _)| p.as_str()).collect();
    let top = "ledger-agent-1.4.0-x86_64-unknown-linux-gnu/";
    for want in [
        "ledger-agent",
        "ledger-agent.service",
        "install.sh",
        "uninstall.sh",
        "LICENSE",
        "conf/agent.toml",
        "readme.md",
    ] {
        assert!(
            names.contains(&format!("{top}{want}").as_str()),
            "{want}: {names:?}"
        );
    }
    let unit = &entries
        .iter()
        .find(|(p, _, _)| p.ends_with(".service"))
        .unwrap()
        .1;
    assert!(String::from_utf8_lossy(unit)
        .contains("ExecStart=/usr/local/lib/ledger-agent/ledger-agent "));
}

#[test]
fn linux_findings_are_located_and_deferred() {
    let f = Fixture::new();
    let l = f
        .load("[package.metadata.svcpack.service]\nname = \"x\"\naccount = \"CORP\\\\svc\"\narguments = [\"a\\nb\"]\nsid-type = \"restricted\"\n")
        .unwrap();
    assert_eq!(l.linux.errors.len(), 2, "{:?}", l.linux.errors);
    assert!(l.linux.errors[0].starts_with("Cargo.toml:7: package.metadata.svcpack.service.account: `CORP\\svc` is a Windows domain account"), "{}", l.linux.errors[0]);
    assert!(
        l.linux.errors[1].starts_with(
            "Cargo.toml:8: package.metadata.svcpack.service.arguments[0]: contains a line break"
        ),
        "{}",
        l.linux.errors[1]
    );
    assert!(check(&l.linux).is_err());
    assert!(
        l.linux
            .warnings
            .iter()
            .any(|w| w.contains("service.sid-type: Windows only")),
        "{:?}",
        l.linux.warnings
    );
    let e = f
        .load("[package.metadata.svcpack.linux]\nrevison = \"2\"\n")
        .unwrap_err();
    assert!(e.contains("did you mean `revision`"), "{e}");
    let e = f
        .load("[package.metadata.svcpack.linux]\nmaintainer = \"Jane\"\n")
        .unwrap_err();
    assert!(
        e.starts_with("Cargo.toml:6: package.metadata.svcpack.linux.maintainer:"),
        "{e}"
    );
}

#[test]
fn a_plain_program_is_linked_into_the_path_and_has_no_scripts() {
    let f = Fixture::new();
    let loaded = f.load("").unwrap();
    let (deb, tgz) = build(&f, &loaded);
    let report = inspect::report(&deb).unwrap();
    assert!(report.contains("maintainer scripts: (none)"), "{report}");
    assert!(report.contains(" /usr/bin/ledger-agent\n"), "{report}");
    assert!(!report.contains("unit "), "{report}");
    let entries = archive::tar_entries(&archive::gunzip(&tgz).unwrap()).unwrap();
    let install = &entries
        .iter()
        .find(|(p, _, _)| p.ends_with("/install.sh"))
        .unwrap()
        .1;
    let install = String::from_utf8_lossy(install);
    assert!(install.contains("/usr/local/bin/"), "{install}");
    assert!(!install.contains("systemctl"), "{install}");
}

#[test]
fn several_linux_errors_are_reported_together() {
    let f = Fixture::new();
    let l = f
        .load("[package.metadata.svcpack.service]\naccount = \"CORP\\\\svc\"\ndependencies = [\"Ledger Db\"]\n")
        .unwrap();
    let e = check(&l.linux).unwrap_err();
    assert_eq!(e.lines().count(), 2, "{e}");
    assert!(e.contains("\nerror: Cargo.toml:7: package.metadata.svcpack.service.dependencies[0]: `Ledger Db` cannot name a systemd unit"), "{e}");
}

#[test]
fn programs_for_other_machines_are_refused() {
    let mut elf = vec![0u8; 64];
    elf[..4].copy_from_slice(b"\x7fELF");
    elf[5] = 1;
    elf[18] = 62;
    assert!(check_elf(&elf, "x86_64-unknown-linux-gnu").is_ok());
    let e = check_elf(&elf, "aarch64-unknown-linux-gnu").unwrap_err();
    assert!(e.contains("not AArch64"), "{e}");
    assert!(check_elf(
        b"MZ\x90\0 a Windows program.....",
        "x86_64-unknown-linux-gnu"
    )
    .is_err());
}

#[test]
fn files_cannot_replace_the_program_or_the_tarballs_scripts() {
    let f = Fixture::new();
    for dest in ["ledger-agent", "install.sh", "ledger-agent.service"] {
        let loaded = f
            .load(&format!(
                "[package.metadata.svcpack.service]\nname = \"x\"\n[[package.metadata.svcpack.files]]\nsource = \"readme.md\"\ndest = \"{dest}\"\n"
            ))
            .unwrap();
        let pkg = f.pkg();
        let input = Input {
            config: &loaded.config,
            pkg: &pkg,
            linux: &loaded.linux,
            program: b"\x7fELF",
            triple: "x86_64-unknown-linux-gnu",
            unix_time: 0,
        };
        let e = tarball::build(&input).unwrap_err();
        assert!(e.contains(&format!("has dest `{dest}`")), "{e}");
    }
}
