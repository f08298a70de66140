//! End-to-end tests of the loaders: real TOML text in, `Config` or a one-line error out.

use super::*;

mod bad_input;

/// A throwaway manifest directory holding the files configurations refer to.
struct Fixture {
    dir: PathBuf,
}

impl Fixture {
    fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("svcpack-config-test-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        let f = Fixture { dir };
        f.write("LICENSE", "MIT\n");
        f.write("assets/agent.ico", "\0\0\x01\0");
        f.write("config/agent.toml", "port = 18431\n");
        f.write("signer.pfx", "not really pkcs12");
        f.write(
            "signer.pem",
            "-----BEGIN CERTIFICATE-----\nMII=\n-----END CERTIFICATE-----\n",
        );
        f.write("Überwachung ✓/notes & more.txt", "unicode path\n");
        f
    }

    fn write(&self, rel: &str, contents: &str) {
        let path = self.dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(path, contents).expect("write");
    }

    fn pkg(&self) -> PackageInfo {
        PackageInfo {
            name: "ledger-agent".into(),
            version: semver::Version::parse("1.4.0").unwrap(),
            authors: vec!["Jane Doe <jane@example.com>".into(), "Other".into()],
            description: Some("Answers ledger queries".into()),
            homepage: None,
            repository: None,
            license: Some("MIT".into()),
            bins: vec!["ledger-agent".into()],
            manifest_dir: self.dir.clone(),
        }
    }

    fn manifest(&self) -> PathBuf {
        self.dir.join("Cargo.toml")
    }

    /// Loads `section` placed after a four-line `[package]` table (so its line n is file line n + 4).
    fn load(&self, section: &str) -> Result<Loaded, ConfigError> {
        self.load_with(section, &self.pkg())
    }

    fn load_with(&self, section: &str, pkg: &PackageInfo) -> Result<Loaded, ConfigError> {
        load_cargo_str(&self.manifest(), &cargo_toml(section), pkg)
    }

    fn config(&self, section: &str) -> Config {
        match self.load(section) {
            Ok(loaded) => loaded.config,
            Err(e) => panic!("unexpected error: {e}"),
        }
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn cargo_toml(section: &str) -> String {
    format!("[package]\nname = \"ledger-agent\"\nversion = \"1.4.0\"\n\n{section}")
}

/// The 1-based line of `text` that carries the `# <-` marker.
fn marked_line(text: &str) -> u32 {
    let index = text
        .lines()
        .position(|l| l.contains("# <-"))
        .expect("marker");
    index as u32 + 1
}

fn steps(pairs: &[(RecoveryAction, u32)]) -> Vec<RecoveryStep> {
    pairs
        .iter()
        .map(|&(action, delay_secs)| RecoveryStep { action, delay_secs })
        .collect()
}

// ------------------------------------------------------------------------------ defaults

#[test]
fn absent_section_gives_a_plain_application_with_every_default() {
    let f = Fixture::new("defaults");
    let loaded = f.load("").unwrap();
    let c = &loaded.config;
    assert_eq!(c.product_name, "ledger-agent");
    assert_eq!(c.manufacturer, "Jane Doe");
    assert_eq!(c.upgrade_code, default_upgrade_code("ledger-agent"));
    assert_eq!(c.version.product_version(), "1.4.0");
    assert_eq!(c.binary, "ledger-agent");
    assert_eq!(c.exe_name(), "ledger-agent.exe");
    assert_eq!(c.install_dir.to_windows(), "ledger-agent");
    assert_eq!(c.license, None);
    assert_eq!(c.icon, None);
    assert_eq!(c.compress, Compress::None);
    assert_eq!(c.backend, Backend::Native);
    assert_eq!(c.copyright, None);
    assert_eq!(c.copyright_text(2024), "Copyright (c) 2024 Jane Doe");
    assert_eq!(c.service, None);
    assert!(c.files.is_empty());
    assert_eq!(c.sign, None);
    // The only warning: the unpinned upgrade code, with the value to pin.
    assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
    let w = &loaded.warnings[0];
    assert!(w.contains("package.metadata.svcpack.upgrade-code"), "{w}");
    assert!(w.contains("pin"), "{w}");
    assert!(w.contains(c.upgrade_code.unbraced()), "{w}");
    assert!(w.starts_with(&f.manifest().display().to_string()), "{w}");
}

#[test]
fn derived_upgrade_code_is_uuid_v5_in_the_documented_namespace() {
    let ns = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, b"urn:svcpack:upgrade-code");
    assert_eq!(ns, UPGRADE_CODE_NAMESPACE);
    let want = uuid::Uuid::new_v5(&ns, b"ledger-agent");
    assert_eq!(default_upgrade_code("ledger-agent"), Guid::from_uuid(want));
    assert_ne!(
        default_upgrade_code("ledger-agent"),
        default_upgrade_code("ledger-agent2")
    );
    // Stable across releases of svcpack: this value must never change.
    assert_eq!(
        default_upgrade_code("ledger-agent").as_str(),
        Guid::from_uuid(want).as_str()
    );
}

#[test]
fn empty_service_table_gets_service_defaults() {
    let f = Fixture::new("service-defaults");
    let c = f.config("[package.metadata.svcpack.service]\n");
    let s = c.service.expect("service");
    assert_eq!(s.name.as_str(), "ledger-agent");
    assert_eq!(s.display_name, "ledger-agent");
    assert_eq!(s.description.as_deref(), Some("Answers ledger queries"));
    assert_eq!(s.start, StartType::Auto);
    assert_eq!(s.account, Account::Virtual);
    assert_eq!(s.sid_type, crate::config::SidType::Unrestricted);
    assert!(s.arguments.is_empty());
    assert!(s.dependencies.is_empty());
    assert!(s.event_source);
    assert_eq!(
        s.recovery,
        Recovery {
            steps: vec![],
            reset_after_secs: 86_400,
            command: None,
            non_crash_failures: false,
        }
    );
    assert!(s.required_privileges.is_empty());
    assert_eq!(s.preshutdown_timeout_secs, None);
    assert_eq!(s.host, None);
}

#[test]
fn display_name_follows_product_name_and_install_dir_too() {
    let f = Fixture::new("product-defaults");
    let c = f.config(
        "[package.metadata.svcpack]\nproduct-name = \"Ledger Agent ✓ Überwachung\"\n\
         [package.metadata.svcpack.service]\n",
    );
    assert_eq!(c.install_dir.to_windows(), "Ledger Agent ✓ Überwachung");
    assert_eq!(
        c.service.unwrap().display_name,
        "Ledger Agent ✓ Überwachung"
    );
}

#[test]
fn manufacturer_falls_back_to_the_product_name_with_a_warning() {
    let f = Fixture::new("no-authors");
    let mut pkg = f.pkg();
    pkg.authors.clear();
    let loaded = f
        .load_with(
            "[package.metadata.svcpack]\nproduct-name = \"Ledger\"\n",
            &pkg,
        )
        .unwrap();
    assert_eq!(loaded.config.manufacturer, "Ledger");
    assert!(loaded.warnings.iter().any(|w| w.contains("manufacturer")));
    // An author without a name part is no better.
    pkg.authors = vec!["<ops@example.com>".into()];
    let loaded = f.load_with("", &pkg).unwrap();
    assert_eq!(loaded.config.manufacturer, "ledger-agent");
}

#[test]
fn recovery_delays_default_like_services_msc() {
    let f = Fixture::new("recovery-defaults");
    let c = f
        .config("[package.metadata.svcpack.service.recovery]\nactions = [\"restart\", \"none\"]\n");
    let r = c.service.unwrap().recovery;
    assert_eq!(
        r.steps,
        steps(&[(RecoveryAction::Restart, 60), (RecoveryAction::None, 0)])
    );
    assert_eq!(r.reset_after_secs, 86_400);
}

#[test]
fn host_defaults_are_the_documented_ones() {
    let f = Fixture::new("host-defaults");
    let c = f.config("[package.metadata.svcpack.service.host]\n");
    let h = c.service.unwrap().host.expect("host");
    assert_eq!(h.stop_timeout_secs, 10);
    assert_eq!(h.restart_delay_secs, 2);
    assert_eq!(h.max_restarts_per_hour, 20);
    assert_eq!(h.log_dir.to_windows(), "logs");
    assert_eq!(h.log_max_bytes, 10_485_760);
    assert_eq!(h.log_keep, 5);
    assert!(h.working_dir.is_root());
    assert!(h.environment.is_empty());
    assert_eq!(h, Host::default());
}

// ------------------------------------------------------------------------- every key

const FULL: &str = r#"[package.metadata.svcpack]
product-name = "Ledger Agent"
manufacturer = "Example Ltd"
upgrade-code = "8e0b5a7c-1d2e-4f60-8a9b-0c1d2e3f4a5b"
binary = "ledger-agent"
install-dir = "Example/Ledger Agent"
license = "LICENSE"
icon = "assets/agent.ico"
compress = "upx"
upx-args = ["--best", "--lzma"]
backend = "wix"
copyright = "© 2024 Example Ltd"

[package.metadata.svcpack.service]
name = "LedgerAgent"
display-name = "Ledger Agent"
description = "Answers ledger queries"
start = "delayed"
account = "NetworkService"
arguments = ["--port", "18431", "--name", "Ledger \"Agent\" ✓"]
dependencies = ["Tcpip", "+NetworkProvider"]
event-source = false

[package.metadata.svcpack.service.recovery]
actions = ["restart", "restart", "run"]
delays-secs = [5, 30, 0]
reset-after-secs = 3600
command = "C:\\Tools\\notify.exe --failed"

[package.metadata.svcpack.service.host]
stop-timeout-secs = 15
restart-delay-secs = 0
max-restarts-per-hour = 3
log-dir = "var/logs"
log-max-bytes = 1024
log-keep = 2
working-dir = "work"
environment = { RUST_LOG = "info", "ZED" = "z", APP_MODE = "prod ✓" }

[[package.metadata.svcpack.files]]
source = "config/agent.toml"
dest = "agent.toml"
preserve-on-upgrade = true

[[package.metadata.svcpack.files]]
source = "config\\agent.toml"
dest = "defaults/agent.toml"

[package.metadata.svcpack.sign]
certificate = "signer.pfx"
password-env = "SIGN_PASSWORD"
timestamp-url = ["http://timestamp.digicert.com", "https://ts.example.com/rfc3161"]
tool = "osslsigncode"
"#;

#[test]
fn every_spec_key_is_parsed() {
    let f = Fixture::new("full");
    let loaded = f.load(FULL).unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let c = loaded.config;
    assert_eq!(c.product_name, "Ledger Agent");
    assert_eq!(c.manufacturer, "Example Ltd");
    assert_eq!(
        c.upgrade_code.as_str(),
        "{8E0B5A7C-1D2E-4F60-8A9B-0C1D2E3F4A5B}"
    );
    assert_eq!(c.binary, "ledger-agent");
    assert_eq!(c.install_dir.segments(), ["Example", "Ledger Agent"]);
    assert_eq!(c.license, Some(f.dir.join("LICENSE")));
    assert_eq!(c.icon, Some(f.dir.join("assets").join("agent.ico")));
    assert_eq!(
        c.compress,
        Compress::Upx {
            args: vec!["--best".into(), "--lzma".into()]
        }
    );
    assert_eq!(c.backend, Backend::Wix);
    assert_eq!(c.copyright_text(1999), "© 2024 Example Ltd");

    let s = c.service.expect("service");
    assert_eq!(s.name.as_str(), "LedgerAgent");
    assert_eq!(s.display_name, "Ledger Agent");
    assert_eq!(s.description.as_deref(), Some("Answers ledger queries"));
    assert_eq!(s.start, StartType::Delayed);
    assert_eq!(s.account, Account::NetworkService);
    assert_eq!(
        s.arguments,
        ["--port", "18431", "--name", "Ledger \"Agent\" ✓"]
    );
    assert_eq!(s.dependencies, ["Tcpip", "+NetworkProvider"]);
    assert!(!s.event_source);
    assert_eq!(
        s.recovery.steps,
        steps(&[
            (RecoveryAction::Restart, 5),
            (RecoveryAction::Restart, 30),
            (RecoveryAction::Run, 0)
        ])
    );
    assert_eq!(s.recovery.reset_after_secs, 3600);
    assert_eq!(
        s.recovery.command.as_deref(),
        Some("C:\\Tools\\notify.exe --failed")
    );

    let h = s.host.expect("host");
    assert_eq!(h.stop_timeout_secs, 15);
    assert_eq!(h.restart_delay_secs, 0);
    assert_eq!(h.max_restarts_per_hour, 3);
    assert_eq!(h.log_dir.to_windows(), "var\\logs");
    assert_eq!(h.log_max_bytes, 1024);
    assert_eq!(h.log_keep, 2);
    assert_eq!(h.working_dir.to_windows(), "work");
    // Sorted by name, whatever the document order.
    let env: Vec<(&str, &str)> = h
        .environment
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        env,
        [("APP_MODE", "prod ✓"), ("RUST_LOG", "info"), ("ZED", "z")]
    );

    assert_eq!(c.files.len(), 2);
    assert_eq!(c.files[0].source, f.dir.join("config").join("agent.toml"));
    assert_eq!(c.files[0].dest.to_windows(), "agent.toml");
    assert!(c.files[0].preserve_on_upgrade);
    // A backslash path from a Windows author resolves on any host.
    assert_eq!(c.files[1].source, f.dir.join("config").join("agent.toml"));
    assert_eq!(c.files[1].dest.to_windows(), "defaults\\agent.toml");
    assert!(!c.files[1].preserve_on_upgrade);

    let sign = c.sign.expect("sign");
    assert_eq!(
        sign.certificate,
        Some(Certificate::File(f.dir.join("signer.pfx")))
    );
    assert_eq!(sign.password_env.as_deref(), Some("SIGN_PASSWORD"));
    assert_eq!(
        sign.timestamp_urls,
        [
            "http://timestamp.digicert.com",
            "https://ts.example.com/rfc3161"
        ]
    );
    assert_eq!(sign.tool, SignTool::Osslsigncode);
}

#[test]
fn loading_is_deterministic() {
    let f = Fixture::new("deterministic");
    assert_eq!(f.load(FULL).unwrap(), f.load(FULL).unwrap());
}

#[test]
fn every_start_type_and_account() {
    let f = Fixture::new("start-account");
    for (word, want) in [
        ("auto", StartType::Auto),
        ("delayed", StartType::Delayed),
        ("demand", StartType::Demand),
        ("disabled", StartType::Disabled),
    ] {
        let c = f.config(&format!(
            "[package.metadata.svcpack.service]\nstart = \"{word}\"\n"
        ));
        assert_eq!(c.service.unwrap().start, want);
    }
    for (word, want, object) in [
        ("LocalSystem", Account::LocalSystem, "LocalSystem"),
        (
            "LocalService",
            Account::LocalService,
            "NT AUTHORITY\\LocalService",
        ),
        (
            "NetworkService",
            Account::NetworkService,
            "NT AUTHORITY\\NetworkService",
        ),
        ("virtual", Account::Virtual, "NT SERVICE\\Ledger Agent ✓"),
        (
            "CORP\\\\svc-ledger$",
            Account::User("CORP\\svc-ledger$".into()),
            "CORP\\svc-ledger$",
        ),
    ] {
        let c = f.config(&format!(
            "[package.metadata.svcpack.service]\nname = \"Ledger Agent ✓\"\naccount = \"{word}\"\n"
        ));
        let s = c.service.unwrap();
        assert_eq!(s.account, want);
        assert_eq!(s.account.object_name(&s.name), object);
    }
}

#[test]
fn sign_variants() {
    let f = Fixture::new("sign");
    let sign = |body: &str| {
        f.config(&format!("[package.metadata.svcpack.sign]\n{body}"))
            .sign
            .expect("sign")
    };
    let s = sign("certificate-env = \"SIGN_PFX_B64\"\ntimestamp-url = \"http://ts.example\"\n");
    assert_eq!(s.certificate, Some(Certificate::Env("SIGN_PFX_B64".into())));
    assert_eq!(s.timestamp_urls, ["http://ts.example"]);
    assert_eq!(s.tool, SignTool::Auto);
    assert_eq!(s.password_env, None);
    assert_eq!(
        sign("certificate = \"signer.pfx\"\ntool = \"signtool\"\n").tool,
        SignTool::Signtool
    );
    assert_eq!(
        sign("certificate = \"signer.pfx\"\ntool = \"auto\"\n").tool,
        SignTool::Auto
    );
    // A command signer brings its own key; `tool` may be left out.
    for body in [
        "tool = \"command\"\ncommand = [\"jsign\", \"--storetype\", \"AZUREKEYVAULT\", \"{file}\"]\n",
        "command = [\"jsign\", \"--storetype\", \"AZUREKEYVAULT\", \"{file}\"]\n",
    ] {
        let s = sign(body);
        assert_eq!(s.certificate, None);
        assert_eq!(
            s.tool,
            SignTool::Command(vec![
                "jsign".into(),
                "--storetype".into(),
                "AZUREKEYVAULT".into(),
                "{file}".into()
            ])
        );
    }
    // `--in={file}` style arguments count.
    assert!(matches!(
        sign("command = [\"signer\", \"--in={file}\"]\n").tool,
        SignTool::Command(_)
    ));
}

#[test]
fn unicode_spaces_and_symbols_survive() {
    let f = Fixture::new("unicode");
    let c = f.config(
        r#"[package.metadata.svcpack]
product-name = "Ledger Agent ✓ Überwachung & Co. \"Pro\" <x64>"
manufacturer = "Ünïcode Tools \"Ltd\" & Söhne"
install-dir = "Ünïcode Tools/Ledger Agent ✓ (x64) & more"
copyright = "© 2024 Ünïcode Tools — all rights reserved"

[package.metadata.svcpack.service]
name = "Ledger Agent ✓ $1 #2"
display-name = "Ledger Agent ✓ Überwachung"
description = "Überwacht Buchungen; answers \"queries\" & <more>\nsecond line"
arguments = ["--title", "Ledger Agent ✓", "C:\\Program Files\\x y\\", "a\"b", "", "%PATH%"]
account = ".\\Überwacher"

[[package.metadata.svcpack.files]]
source = "Überwachung ✓/notes & more.txt"
"#,
    );
    assert_eq!(
        c.product_name,
        "Ledger Agent ✓ Überwachung & Co. \"Pro\" <x64>"
    );
    assert_eq!(c.manufacturer, "Ünïcode Tools \"Ltd\" & Söhne");
    assert_eq!(
        c.install_dir.segments(),
        ["Ünïcode Tools", "Ledger Agent ✓ (x64) & more"]
    );
    let s = c.service.unwrap();
    assert_eq!(s.name.as_str(), "Ledger Agent ✓ $1 #2");
    assert_eq!(s.display_name, "Ledger Agent ✓ Überwachung");
    assert!(s.description.unwrap().contains("second line"));
    assert_eq!(
        s.arguments,
        [
            "--title",
            "Ledger Agent ✓",
            "C:\\Program Files\\x y\\",
            "a\"b",
            "",
            "%PATH%"
        ]
    );
    assert_eq!(s.account, Account::User(".\\Überwacher".into()));
    assert_eq!(c.files[0].dest.to_windows(), "notes & more.txt");
}

// ----------------------------------------------------------------------- cargo-wix

#[test]
fn cargo_wix_upgrade_guid_is_used_when_upgrade_code_is_absent() {
    let f = Fixture::new("wix");
    let loaded = f
        .load("[package.metadata.wix]\nupgrade-guid = \"{1c3b5e2a-0f6d-4b8a-9c7e-2d4f6a8b0c1e}\"\npath-guid = \"x\"\n")
        .unwrap();
    assert_eq!(
        loaded.config.upgrade_code.as_str(),
        "{1C3B5E2A-0F6D-4B8A-9C7E-2D4F6A8B0C1E}"
    );
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    // svcpack's own key wins.
    let c = f.config(
        "[package.metadata.wix]\nupgrade-guid = \"1C3B5E2A-0F6D-4B8A-9C7E-2D4F6A8B0C1E\"\n\
         [package.metadata.svcpack]\nupgrade-code = \"8E0B5A7C-1D2E-4F60-8A9B-0C1D2E3F4A5B\"\n",
    );
    assert_eq!(
        c.upgrade_code.as_str(),
        "{8E0B5A7C-1D2E-4F60-8A9B-0C1D2E3F4A5B}"
    );
    // A malformed cargo-wix GUID is reported under its own key.
    let text = "[package.metadata.wix]\nupgrade-guid = \"not-a-guid\" # <-\n";
    let err = f.load(text).unwrap_err();
    assert_eq!(
        err.key.as_deref(),
        Some("package.metadata.wix.upgrade-guid")
    );
    assert_eq!(err.line, Some(marked_line(&cargo_toml(text))));
}

// ---------------------------------------------------------------------- standalone

const STANDALONE_FULL: &str = r#"# A Go service
name = "ledger-agent"
version = "2.0.0-beta.1+g1234"
authors = ["Example Ltd <ops@example.com>"]
description = "Answers ledger queries"
homepage = "https://example.com/ledger"
repository = "https://example.com/ledger.git"
license-expression = "MIT OR Apache-2.0"
product-name = "Ledger Agent"
upgrade-code = "{8E0B5A7C-1D2E-4F60-8A9B-0C1D2E3F4A5B}"
binary = "ledger-agent.EXE"
license = "LICENSE"

[service]
name = "LedgerAgent"
arguments = ["-port", "18431"]

[service.recovery]
actions = ["restart"]
delays-secs = [5]

[service.host]
log-dir = "logs"
environment = { GOMAXPROCS = "2" }

[[files]]
source = "config/agent.toml"
preserve-on-upgrade = true
"#;

#[test]
fn standalone_file_gives_identity_and_config() {
    let f = Fixture::new("standalone");
    f.write("svcpack.toml", STANDALONE_FULL);
    let (pkg, loaded) = load_standalone(&f.dir.join("svcpack.toml")).unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    assert_eq!(pkg.name, "ledger-agent");
    assert_eq!(pkg.version.to_string(), "2.0.0-beta.1+g1234");
    assert_eq!(pkg.authors, ["Example Ltd <ops@example.com>"]);
    assert_eq!(pkg.description.as_deref(), Some("Answers ledger queries"));
    assert_eq!(pkg.homepage.as_deref(), Some("https://example.com/ledger"));
    assert_eq!(
        pkg.repository.as_deref(),
        Some("https://example.com/ledger.git")
    );
    assert_eq!(pkg.license.as_deref(), Some("MIT OR Apache-2.0"));
    assert_eq!(pkg.bins, ["ledger-agent"]);
    assert_eq!(pkg.manifest_dir, f.dir);
    let c = loaded.config;
    assert_eq!(c.binary, "ledger-agent");
    assert_eq!(c.exe_name(), "ledger-agent.exe");
    assert_eq!(c.manufacturer, "Example Ltd");
    assert_eq!(c.version.product_version(), "2.0.0");
    assert_eq!(c.version.full(), "2.0.0-beta.1+g1234");
    assert!(c.version.is_prerelease());
    assert_eq!(c.license, Some(f.dir.join("LICENSE")));
    let s = c.service.unwrap();
    assert_eq!(s.name.as_str(), "LedgerAgent");
    assert_eq!(s.recovery.steps, steps(&[(RecoveryAction::Restart, 5)]));
    let h = s.host.unwrap();
    assert_eq!(
        h.environment.get("GOMAXPROCS").map(String::as_str),
        Some("2")
    );
    assert_eq!(c.files[0].dest.to_windows(), "agent.toml");
}

#[test]
fn minimal_standalone_file_uses_defaults() {
    let f = Fixture::new("standalone-min");
    let path = f.dir.join("svcpack.toml");
    let (pkg, loaded) =
        load_standalone_str(&path, "name = \"go-svc\"\nversion = \"0.3.1\"\n[service]\n").unwrap();
    assert_eq!(pkg.bins, ["go-svc"]);
    assert_eq!(loaded.config.binary, "go-svc");
    assert_eq!(loaded.config.product_name, "go-svc");
    assert_eq!(loaded.config.manufacturer, "go-svc");
    assert_eq!(loaded.config.service.unwrap().name.as_str(), "go-svc");
    assert_eq!(loaded.warnings.len(), 2, "{:?}", loaded.warnings); // manufacturer, upgrade-code
    let w = loaded.warnings.join("\n");
    assert!(w.contains(": upgrade-code: not set"), "{w}");
    // A bare file name resolves relative paths against the current directory, made
    // absolute so the paths still hold from the build's scratch directory.
    let (pkg, _) = load_standalone_str(
        Path::new("svcpack.toml"),
        "name = \"a\"\nversion = \"1.0.0\"\n",
    )
    .unwrap();
    assert_eq!(pkg.manifest_dir, std::env::current_dir().unwrap());
}

#[test]
fn standalone_errors() {
    let f = Fixture::new("standalone-errors");
    let path = f.dir.join("svcpack.toml");
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "version = \"1.0.0\"\n",
            "name",
            &["missing", "name = \"ledger-agent\""],
        ),
        (
            "name = \"a\"\n",
            "version",
            &["missing", "version = \"1.0.0\""],
        ),
        (
            "name = \"a b/c\" # <-\nversion = \"1.0.0\"\n",
            "name",
            &["ASCII letters, digits"],
        ),
        (
            "name = \"a\"\nversion = \"1.0\" # <-\n",
            "version",
            &["MAJOR.MINOR.PATCH"],
        ),
        (
            "name = \"a\"\nversion = \"256.0.0\" # <-\n",
            "version",
            &["255.255.65535"],
        ),
        (
            "name = \"a\"\nversion = \"1.0.0\"\nbinary = \"a/b.exe\" # <-\n",
            "binary",
            &["not allowed"],
        ),
        (
            "name = \"a\"\nversion = \"1.0.0\"\n[service]\nproduct-name = \"x\" # <-\n",
            "service.product-name",
            &["belongs at the top level of the file, before the first [table]"],
        ),
        (
            "name = \"a\"\nversion = \"1.0.0\"\nlicence = \"LICENSE\" # <-\n",
            "licence",
            &["did you mean `license`?"],
        ),
        (
            "name = \"a\"\nversion = \"1.0.0\"\n[service]\nstart = \"sometimes\" # <-\n",
            "service.start",
            &["auto, delayed, demand, disabled"],
        ),
    ];
    for (text, key, needles) in cases {
        let err = load_standalone_str(&path, text).unwrap_err();
        let msg = err.to_string();
        assert_eq!(err.key.as_deref(), Some(*key), "{msg}");
        if text.contains("# <-") {
            assert_eq!(err.line, Some(marked_line(text)), "{msg}");
        }
        assert!(msg.starts_with(&path.display().to_string()), "{msg}");
        for n in *needles {
            assert!(msg.contains(n), "{msg} lacks {n}");
        }
    }
    assert!(load_standalone(&f.dir.join("missing.toml"))
        .unwrap_err()
        .message
        .contains("cannot read"));
}

#[test]
fn warnings_for_settings_without_effect() {
    let f = Fixture::new("warnings");
    let section =
        "[package.metadata.svcpack]\nupgrade-code = \"8E0B5A7C-1D2E-4F60-8A9B-0C1D2E3F4A5B\"\n\
                   upx-args = [\"--best\"]\n[package.metadata.svcpack.service.recovery]\n\
                   actions = [\"restart\"]\ncommand = \"notify.exe\"\n";
    let loaded = f.load(section).unwrap();
    assert_eq!(loaded.warnings.len(), 2, "{:?}", loaded.warnings);
    assert!(loaded.warnings[0].contains(":7: package.metadata.svcpack.upx-args: has no effect"));
    assert!(loaded.warnings[1]
        .contains(":10: package.metadata.svcpack.service.recovery.command: has no effect"));
    // compress = "upx" without args gets the default.
    let c = f.config("[package.metadata.svcpack]\ncompress = \"upx\"\n");
    assert_eq!(
        c.compress,
        Compress::Upx {
            args: vec!["--best".into()]
        }
    );
}

#[test]
fn a_byte_order_mark_is_tolerated() {
    let f = Fixture::new("bom");
    let text = format!(
        "\u{feff}{}",
        cargo_toml("[package.metadata.svcpack]\nbackend = \"wix\"\n")
    );
    let loaded = load_cargo_str(&f.manifest(), &text, &f.pkg()).unwrap();
    assert_eq!(loaded.config.backend, Backend::Wix);
}

#[test]
fn files_on_disk_are_read_and_bad_utf8_is_located() {
    let f = Fixture::new("disk");
    f.write(
        "Cargo.toml",
        &cargo_toml("[package.metadata.svcpack]\nbackend = \"wix\"\n"),
    );
    let loaded = load_cargo(&f.manifest(), &f.pkg()).unwrap();
    assert_eq!(loaded.config.backend, Backend::Wix);
    std::fs::write(f.manifest(), b"[package]\nname = \"x\"\n# \xff\n").unwrap();
    let err = load_cargo(&f.manifest(), &f.pkg()).unwrap_err();
    assert_eq!(err.line, Some(3));
    assert!(err.message.contains("UTF-8"));
    let err = load_cargo(&f.dir.join("nope/Cargo.toml"), &f.pkg()).unwrap_err();
    assert!(err.to_string().contains("cannot read"));
}

#[test]
fn other_cargo_tables_are_not_svcpacks_business() {
    let f = Fixture::new("other-tables");
    let c = f.config(
        "[dependencies]\nserde = { version = \"1\", features = [\"derive\"] }\n\
         [package.metadata.deb]\nanything = 1979-05-27T07:32:00Z\n\
         [package.metadata.wix]\neula = false\n[workspace.metadata.x]\ny = 1\n",
    );
    assert_eq!(c.service, None);
}

#[test]
fn copyright_year_from_unix_time() {
    assert_eq!(year_of_unix_time(0), 1970);
    assert_eq!(year_of_unix_time(-1), 1969);
    assert_eq!(year_of_unix_time(951_782_400), 2000); // 2000-02-29
    assert_eq!(year_of_unix_time(1_704_067_199), 2023); // 2023-12-31T23:59:59
    assert_eq!(year_of_unix_time(1_704_067_200), 2024); // 2024-01-01
    assert_eq!(year_of_unix_time(4_102_444_800), 2100);
}

#[test]
fn pkcs11_uris_take_paths_and_file_uris_unencoded_in_their_query() {
    // RFC 7512's own examples: `module-path=/...` and `pin-source=file:/...`.
    let f = Fixture::new("pkcs11-query");
    let key = "pkcs11:token=Release%20HSM;object=signer;type=private\
               ?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/pin";
    let c = f.config(&format!(
        "[package.metadata.svcpack.sign]\npkcs11-module = \"/usr/lib/p11.so\"\n\
         key = \"{key}\"\ncertificate = \"signer.pem\"\n"
    ));
    let sign = c.sign.expect("signing configured");
    assert_eq!(sign.pkcs11.expect("a PKCS#11 key").key, key);
}
