//! Bad Windows service settings and firewall rules through the real `cargo svcpack build`:
//! each mistake is one located error line (file, line, key), exit status 1, and no
//! artifacts: the out-dir is untouched and nothing was compiled (no target dir appears).
//! Needs only cargo metadata, no Windows toolchain.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// Each case: the service section's extra lines (the offending one carries `# <-`), the
/// key the error names, and a part of the message.
const CASES: &[(&str, &str, &str)] = &[
    (
        "sid-type = \"unrestriced\" # <-\n",
        "service.sid-type",
        "unrestricted",
    ),
    (
        "sid-type = \"service\" # <-\n",
        "service.sid-type",
        "none",
    ),
    (
        "firewall = [{ port = 0 }] # <-\n",
        "service.firewall[0].port",
        "from 1 to 65535",
    ),
    (
        "firewall = [{ port = 65536 }] # <-\n",
        "service.firewall[0].port",
        "from 1 to 65535",
    ),
    (
        "firewall = [{ port = 80, protocol = \"sctp\" }] # <-\n",
        "service.firewall[0].protocol",
        "allowed: tcp, udp, any",
    ),
    (
        "firewall = [{ port = 80, profiles = [\"home\"] }] # <-\n",
        "service.firewall[0].profiles[0]",
        "allowed: domain, private, public, all",
    ),
    (
        "required-privileges = [\"ChangeNotify\"] # <-\n",
        "service.required-privileges[0]",
        "ChangeNotify",
    ),
    (
        "required-privileges = [\"SeServiceLogonRight\"] # <-\n",
        "service.required-privileges[0]",
        "SeServiceLogonRight",
    ),
    (
        "preshutdown-timeout-secs = -1 # <-\n",
        "service.preshutdown-timeout-secs",
        "-1",
    ),
    (
        "preshutdown-timeout-secs = 4294967296 # <-\n",
        "service.preshutdown-timeout-secs",
        "4294967296",
    ),
    (
        "[package.metadata.svcpack.service.recovery]\nactions = [\"restart\"]\ndelays-secs = [-5] # <-\n",
        "service.recovery.delays-secs[0]",
        "out of range",
    ),
    (
        "[package.metadata.svcpack.service.recovery]\nactions = [\"restart\"]\ndelays-secs = [5]\nreset-after-secs = 99999999999 # <-\n",
        "service.recovery.reset-after-secs",
        "out of range",
    ),
    (
        "[package.metadata.svcpack.service.recovery]\nnon-crash-failures = true # <-\n",
        "service.recovery.non-crash-failures",
        "actions",
    ),
];

fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut m = BTreeMap::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        m.insert(
            e.file_name().to_string_lossy().into_owned(),
            std::fs::read(e.path()).unwrap(),
        );
    }
    m
}

#[test]
fn bad_service_settings_are_one_located_error_and_build_nothing() {
    for (extra, key, needle) in CASES {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("svc");
        std::fs::create_dir_all(root.join("src")).unwrap();
        std::fs::write(root.join("src/main.rs"), "fn main() {}\n").unwrap();
        let manifest = format!(
            "[package]\nname = \"ledger-agent\"\nversion = \"1.0.0\"\nedition = \"2021\"\n\
             authors = [\"Example Ltd <ops@example.com>\"]\n\n[workspace]\n\n\
             [package.metadata.svcpack]\nupgrade-code = \"8E0B5A7C-1D2E-4F60-8A9B-0C1D2E3F4A5B\"\n\n\
             [package.metadata.svcpack.service]\nname = \"LedgerAgent\"\n{extra}"
        );
        let line = manifest
            .lines()
            .position(|l| l.ends_with("# <-"))
            .expect("a marked line")
            + 1;
        let cargo_toml = root.join("Cargo.toml");
        std::fs::write(&cargo_toml, &manifest).unwrap();
        let out = dir.path().join("out");
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(out.join("previous.txt"), "from an earlier build").unwrap();
        let before = snapshot(&out);

        let o = Command::new(env!("CARGO_BIN_EXE_cargo-svcpack"))
            .args(["svcpack", "build", "--target", "x86_64-pc-windows-gnu"])
            .arg("--manifest-path")
            .arg(&cargo_toml)
            .arg("--out-dir")
            .arg(&out)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{extra}: {stderr}");
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 1, "{extra}: not one line:\n{stderr}");
        let want = format!(
            "error: {}:{line}: package.metadata.svcpack.{key}: ",
            cargo_toml.display()
        );
        assert!(
            lines[0].starts_with(&want),
            "{extra}: `{}` lacks `{want}`",
            lines[0]
        );
        assert!(
            lines[0].contains(needle),
            "{extra}: `{}` lacks `{needle}`",
            lines[0]
        );
        assert_eq!(snapshot(&out), before, "{extra}: the out-dir changed");
        assert!(
            !root.join("target").exists(),
            "{extra}: something was built"
        );
    }
}
