//! `cargo svcpack build --target <arch>-unknown-linux-gnu` end to end: the console fixture
//! built for Linux, its .deb read back by dpkg-deb, checked by lintian, its unit verified by
//! systemd-analyze, the unit's ExecStart command line run and answering, the package
//! installed, upgraded, removed and purged by dpkg in a private root, the tarball installed
//! and uninstalled by its own scripts into a private tree, and two builds byte-identical.
//! Bad input: Windows-only keys warn, Linux-invalid accounts and arguments fail located.
//!
//! Needs cargo for the host's Linux target; dpkg, lintian and systemd-analyze (`scripts/setup
//! --test`): missing tools skip their check with a notice, and fail under
//! `SVCPACK_REQUIRE_TOOLS=1` (CI).

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::sync::OnceLock;

use support::{copy_fixture, http_get, next_port, secs, set_package_version, set_service_port};

/// The fixture's arguments, with the characters systemd's command-line syntax treats
/// specially (spaces, quotes, backslashes, `$` and `%`).
const ARGUMENTS: &str =
    r#"arguments = ["--port", "18432", "two words", "$HOME", "100%", "quote\"d", "back\\slash"]"#;

const LINUX_KEYS: &str = r#"
[[package.metadata.svcpack.files]]
source = "app.conf"
dest = "conf/app.conf"
preserve-on-upgrade = true

[package.metadata.svcpack.linux]
maintainer = "svcpack developers <svcpack@example.com>"
"#;

const EPOCH: &str = "1700000000";

fn target() -> String {
    format!("{}-unknown-linux-gnu", std::env::consts::ARCH)
}

fn deb_arch() -> &'static str {
    match std::env::consts::ARCH {
        "aarch64" => "arm64",
        _ => "amd64",
    }
}

/// True when `program` runs with `args`; otherwise a notice, or a failure under
/// `SVCPACK_REQUIRE_TOOLS=1`.
fn tool(program: &str, args: &[&str]) -> bool {
    let ok = Command::new(program)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            !std::env::var_os("SVCPACK_REQUIRE_TOOLS").is_some_and(|v| v == "1"),
            "SVCPACK_REQUIRE_TOOLS=1 but {program} is missing (scripts/setup --test installs it)"
        );
        eprintln!("notice: skipping a check: {program} is missing (scripts/setup --test)");
    }
    ok
}

fn run(cmd: &mut Command) -> Output {
    let o = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        o.status.success(),
        "{cmd:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr)
}

/// The fixture crate, made ready for Linux, in `dir`.
fn fixture(dir: &Path, port: u16) -> PathBuf {
    let root = copy_fixture("console-app", &dir.join("app"));
    let manifest = root.join("Cargo.toml");
    let toml = std::fs::read_to_string(&manifest).unwrap();
    let line = toml
        .lines()
        .find(|l| l.starts_with("arguments = "))
        .expect("the fixture has arguments")
        .to_string();
    std::fs::write(&manifest, toml.replace(&line, ARGUMENTS) + LINUX_KEYS).unwrap();
    std::fs::write(root.join("app.conf"), "greeting = \"hello\"\n").unwrap();
    set_service_port(&root, port);
    root
}

fn svcpack(root: &Path, target_dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cargo-svcpack"));
    c.arg("svcpack")
        .current_dir(root)
        .env("CARGO_TARGET_DIR", target_dir)
        .env("SOURCE_DATE_EPOCH", EPOCH);
    c
}

fn build(root: &Path, target_dir: &Path, out: &Path) -> Output {
    run(svcpack(root, target_dir)
        .args(["build", "--target", &target(), "--out-dir"])
        .arg(out))
}

fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

struct Built {
    _dir: tempfile::TempDir,
    root: PathBuf,
    target_dir: PathBuf,
    out: PathBuf,
    port: u16,
    warnings: String,
}

impl Built {
    fn deb(&self) -> PathBuf {
        self.out
            .join(format!("console-app_0.1.0-1_{}.deb", deb_arch()))
    }
    fn tarball(&self) -> PathBuf {
        self.out
            .join(format!("console-app-0.1.0-{}.tar.gz", target()))
    }
}

/// One build shared by the tests of this file.
fn built() -> &'static Built {
    static BUILT: OnceLock<Built> = OnceLock::new();
    BUILT.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let port = next_port();
        let root = fixture(dir.path(), port);
        let target_dir = dir.path().join("target");
        let out = dir.path().join("out");
        let o = build(&root, &target_dir, &out);
        Built {
            warnings: text(&o),
            root,
            target_dir,
            out,
            port,
            _dir: dir,
        }
    })
}

#[test]
fn the_build_writes_the_deb_tarball_checksums_and_manifest() {
    let b = built();
    let names: Vec<String> = files(&b.out).into_keys().collect();
    let t = target();
    assert_eq!(
        names,
        [
            "SHA256SUMS".to_string(),
            format!("console-app-0.1.0-{t}.manifest.json"),
            format!("console-app-0.1.0-{t}.tar.gz"),
            format!("console-app_0.1.0-1_{}.deb", deb_arch()),
        ]
    );
    let sums = std::fs::read_to_string(b.out.join("SHA256SUMS")).unwrap();
    assert!(
        sums.contains(&format!("  console-app_0.1.0-1_{}.deb\n", deb_arch())),
        "{sums}"
    );
    assert!(
        sums.contains(&format!("  console-app-0.1.0-{t}.tar.gz\n")),
        "{sums}"
    );
    let manifest =
        std::fs::read_to_string(b.out.join(format!("console-app-0.1.0-{t}.manifest.json")))
            .unwrap();
    assert!(
        manifest.contains("\"kind\": \"deb\"") && manifest.contains("\"kind\": \"tarball\""),
        "{manifest}"
    );
    // The service host's log rotation means nothing under journald: named, not silently dropped.
    assert!(
        b.warnings
            .contains("service.host.log-keep: Windows only: a Linux target ignores it"),
        "{}",
        b.warnings
    );
}

#[test]
fn two_builds_are_byte_identical() {
    let b = built();
    let again = b.out.with_file_name("out-again");
    build(&b.root, &b.target_dir, &again);
    assert_eq!(files(&b.out), files(&again));
}

#[test]
fn dpkg_deb_reads_the_control_fields_and_contents() {
    let b = built();
    if !tool("dpkg-deb", &["--version"]) {
        return;
    }
    let info = text(&run(Command::new("dpkg-deb").arg("--info").arg(b.deb())));
    for field in [
        "Package: console-app",
        "Version: 0.1.0-1",
        &format!("Architecture: {}", deb_arch()),
        "Maintainer: svcpack developers <svcpack@example.com>",
        "Depends: libc6",
        "conffiles",
        "postinst",
        "prerm",
        "postrm",
    ] {
        assert!(info.contains(field), "{field} missing from\n{info}");
    }
    let contents = text(&run(Command::new("dpkg-deb")
        .arg("--contents")
        .arg(b.deb())));
    for line in [
        "-rwxr-xr-x root/root",
        " ./usr/lib/console-app/console-app\n",
        " ./lib/systemd/system/console-app.service\n",
        " ./etc/console-app/conf/app.conf\n",
        " ./usr/lib/console-app/conf/app.conf -> /etc/console-app/conf/app.conf\n",
        " ./usr/share/doc/console-app/copyright\n",
        " ./usr/share/doc/console-app/changelog.Debian.gz\n",
    ] {
        assert!(contents.contains(line), "{line:?} missing from\n{contents}");
    }
    let inspect = text(&run(Command::new(env!("CARGO_BIN_EXE_cargo-svcpack"))
        .args(["svcpack", "inspect"])
        .arg(b.deb())));
    for line in [
        "  Package: console-app",
        "conffiles:\n  /etc/console-app/conf/app.conf\n",
        "unit /lib/systemd/system/console-app.service:",
        "  Restart=on-failure",
    ] {
        assert!(inspect.contains(line), "{line:?} missing from\n{inspect}");
    }
}

/// The .deb's files in a fresh directory.
fn extract(deb: &Path, into: &Path) {
    run(Command::new("dpkg-deb").arg("-x").arg(deb).arg(into));
}

fn unit_text(root: &Path) -> String {
    std::fs::read_to_string(root.join("lib/systemd/system/console-app.service")).unwrap()
}

#[test]
fn systemd_analyze_accepts_the_unit() {
    let b = built();
    if !tool("dpkg-deb", &["--version"]) || !tool("systemd-analyze", &["--version"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    extract(&b.deb(), root);
    // The targets the unit orders itself against, from the build machine's systemd.
    let units = root.join("lib/systemd/system");
    for host_units in ["/lib/systemd/system", "/usr/lib/systemd/system"] {
        for e in std::fs::read_dir(host_units)
            .into_iter()
            .flatten()
            .flatten()
        {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.ends_with(".target") && !units.join(&name).exists() {
                let _ = std::fs::copy(e.path(), units.join(&name));
            }
        }
    }
    let o = Command::new("systemd-analyze")
        .arg("verify")
        .arg(format!("--root={}", root.display()))
        .arg("/lib/systemd/system/console-app.service")
        .output()
        .unwrap();
    assert!(
        o.status.success() && o.stderr.is_empty(),
        "systemd-analyze verify:\n{}\n{}",
        text(&o),
        unit_text(root)
    );
}

#[test]
fn lintian_reports_no_errors() {
    let b = built();
    if !tool("lintian", &["--version"]) {
        return;
    }
    let o = Command::new("lintian").arg(b.deb()).output().unwrap();
    let report = text(&o);
    let errors: Vec<&str> = report.lines().filter(|l| l.starts_with("E: ")).collect();
    assert!(errors.is_empty(), "lintian errors:\n{report}");
}

/// Splits an ExecStart= value as systemd.service(5) describes: words separated by spaces,
/// double-quoted words with C escapes, `$$` and `%%` for a literal `$` and `%`.
fn split_exec_start(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.peek() == Some(&' ') {
            chars.next();
        }
        let Some(&first) = chars.peek() else { break };
        let mut word = String::new();
        if first == '"' {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '"' => break,
                    '\\' => match chars.next() {
                        Some('t') => word.push('\t'),
                        Some('n') => word.push('\n'),
                        Some(c) => word.push(c),
                        None => {}
                    },
                    c => word.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ' ' {
                    break;
                }
                word.push(c);
                chars.next();
            }
        }
        words.push(word.replace("$$", "$").replace("%%", "%"));
    }
    words
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_units_command_line_runs_and_answers() {
    let b = built();
    if !tool("dpkg-deb", &["--version"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    extract(&b.deb(), root);
    let unit = unit_text(root);
    let exec = unit
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .expect("ExecStart=");
    let words = split_exec_start(exec);
    assert_eq!(words[0], "/usr/lib/console-app/console-app");
    let program = root.join(words[0].trim_start_matches('/'));
    let _child = Killed(
        Command::new(&program)
            .args(&words[1..])
            .current_dir(root)
            .spawn()
            .unwrap(),
    );
    let body = http_get(b.port, "/args", secs(20)).expect("the program answers");
    let port = b.port.to_string();
    let want = [
        "--port",
        port.as_str(),
        "two words",
        "$HOME",
        "100%",
        "quote\"d",
        "back\\slash",
    ];
    let json: Vec<String> = want
        .iter()
        .map(|a| format!("\"{}\"", a.replace('\\', "\\\\").replace('"', "\\\"")))
        .collect();
    assert_eq!(
        body.trim(),
        format!("[{}]", json.join(",")),
        "unit:\n{unit}"
    );
}

fn dpkg(root: &Path) -> Command {
    let mut c = Command::new("dpkg");
    // Scripts run outside a chroot with DPKG_ROOT set: they must touch only `root`.
    c.arg(format!("--root={}", root.display())).args([
        "--force-script-chrootless",
        "--force-not-root",
        "--force-depends",
        "--log=/dev/null",
    ]);
    c
}

#[test]
fn dpkg_installs_upgrades_removes_and_purges() {
    let b = built();
    if !tool("dpkg", &["--version"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let admin = root.join("var/lib/dpkg");
    std::fs::create_dir_all(admin.join("info")).unwrap();
    std::fs::create_dir_all(admin.join("updates")).unwrap();
    std::fs::write(admin.join("status"), "").unwrap();
    std::fs::write(admin.join("available"), "").unwrap();

    run(dpkg(&root).arg("-i").arg(b.deb()));
    assert!(root.join("usr/lib/console-app/console-app").is_file());
    let conf = root.join("etc/console-app/conf/app.conf");
    assert_eq!(
        std::fs::read_to_string(&conf).unwrap(),
        "greeting = \"hello\"\n"
    );
    if Command::new("systemctl").arg("--version").output().is_ok() {
        // Enabled in the private root (auto start), not on the build machine.
        assert!(root
            .join("etc/systemd/system/multi-user.target.wants/console-app.service")
            .symlink_metadata()
            .is_ok());
    }
    // An administrator's edit survives the upgrade.
    std::fs::write(&conf, "greeting = \"edited\"\n").unwrap();
    let newer = dir.path().join("app");
    copy_dir(&b.root, &newer);
    set_package_version(&newer, "0.2.0");
    let out2 = dir.path().join("out2");
    build(&newer, &b.target_dir, &out2);
    let deb2 = out2.join(format!("console-app_0.2.0-1_{}.deb", deb_arch()));
    run(dpkg(&root).arg("-i").arg(&deb2));
    let status = text(&run(dpkg(&root).args(["-s", "console-app"])));
    assert!(
        status.contains("Version: 0.2.0-1") && status.contains("install ok installed"),
        "{status}"
    );
    assert_eq!(
        std::fs::read_to_string(&conf).unwrap(),
        "greeting = \"edited\"\n"
    );

    run(dpkg(&root).args(["-r", "console-app"]));
    assert!(!root.join("usr/lib/console-app").exists());
    assert!(!root.join("lib/systemd/system/console-app.service").exists());
    assert!(root
        .join("etc/systemd/system/multi-user.target.wants/console-app.service")
        .symlink_metadata()
        .is_err());
    assert!(conf.is_file(), "removal keeps the configuration");
    if Command::new("systemctl").arg("--version").output().is_ok() {
        // Installed again after the removal: enabled again, as on a first install.
        run(dpkg(&root).arg("-i").arg(&deb2));
        assert!(root
            .join("etc/systemd/system/multi-user.target.wants/console-app.service")
            .symlink_metadata()
            .is_ok());
        run(dpkg(&root).args(["-r", "console-app"]));
    }
    std::fs::create_dir_all(root.join("var/lib/private/console-app")).unwrap();
    run(dpkg(&root).args(["-P", "console-app"]));
    assert!(
        !root.join("etc/console-app").exists(),
        "purge deletes the configuration"
    );
    assert!(
        !root.join("var/lib/private/console-app").exists(),
        "purge deletes the state"
    );
    let status = text(&dpkg(&root).args(["-s", "console-app"]).output().unwrap());
    assert!(status.contains("not installed"), "{status}");
}

fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap().flatten() {
        let to = dst.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to);
        } else {
            std::fs::copy(e.path(), to).unwrap();
        }
    }
}

#[test]
fn the_tarball_installs_and_uninstalls_the_same_unit() {
    let b = built();
    let dir = tempfile::tempdir().unwrap();
    run(Command::new("tar")
        .arg("-xzf")
        .arg(b.tarball())
        .arg("-C")
        .arg(dir.path()));
    let folder = dir.path().join(format!("console-app-0.1.0-{}", target()));
    let dest = dir.path().join("dest");
    run(Command::new("sh")
        .arg(folder.join("install.sh"))
        .env("DESTDIR", &dest));
    let unit =
        std::fs::read_to_string(dest.join("etc/systemd/system/console-app.service")).unwrap();
    assert!(
        unit.contains("\nExecStart=/usr/local/lib/console-app/console-app \"--port\""),
        "{unit}"
    );
    assert!(dest.join("usr/local/lib/console-app/console-app").is_file());
    let conf = dest.join("etc/console-app/conf/app.conf");
    std::fs::write(&conf, "edited\n").unwrap();
    // Installing again (an upgrade) keeps the edited configuration.
    run(Command::new("sh")
        .arg(folder.join("install.sh"))
        .env("DESTDIR", &dest));
    assert_eq!(std::fs::read_to_string(&conf).unwrap(), "edited\n");
    assert_eq!(
        std::fs::read_link(dest.join("usr/local/lib/console-app/conf/app.conf")).unwrap(),
        PathBuf::from("/etc/console-app/conf/app.conf")
    );
    run(Command::new("sh")
        .arg(folder.join("uninstall.sh"))
        .env("DESTDIR", &dest));
    assert!(!dest.join("etc/systemd/system/console-app.service").exists());
    assert!(!dest.join("usr/local/lib/console-app").exists());
    assert!(conf.is_file());
    run(Command::new("sh")
        .arg(folder.join("uninstall.sh"))
        .arg("--purge")
        .env("DESTDIR", &dest));
    assert!(!dest.join("etc/console-app").exists());
}

/// A service crate whose `[service]` table ends with `service_keys`: line 9 is the first
/// of them.
fn service_crate(dir: &Path, service_keys: &str) -> PathBuf {
    let root = dir.join("svc");
    std::fs::create_dir_all(root.join("src")).unwrap();
    std::fs::write(
        root.join("Cargo.toml"),
        format!(
            "[package]\nname = \"ledger-agent\"\nversion = \"1.4.0\"\nedition = \"2021\"\n\n[workspace]\n\n\
             [package.metadata.svcpack.service]\n{service_keys}"
        ),
    )
    .unwrap();
    std::fs::write(root.join("src/main.rs"), "fn main() {}\n").unwrap();
    root
}

/// A build expected to fail before compiling: its stderr.
fn failing_build(service_keys: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let root = service_crate(dir.path(), service_keys);
    let o = svcpack(&root, &dir.path().join("target"))
        .args(["build", "--target", &target()])
        .output()
        .unwrap();
    assert!(!o.status.success(), "the build should fail:\n{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        !dir.path().join("target/svcpack").exists(),
        "nothing was published"
    );
    err
}

#[test]
fn a_domain_account_is_a_located_error_for_linux() {
    let err = failing_build("account = 'CORP\\svc-ledger'\n");
    assert!(
        err.contains(
            "Cargo.toml:9: package.metadata.svcpack.service.account: `CORP\\svc-ledger` is a \
             Windows domain account"
        ),
        "{err}"
    );
}

#[test]
fn an_argument_with_a_line_break_is_a_located_error_for_linux() {
    let err = failing_build("arguments = [\"--port\", \"18432\",\n  \"a\\nb\"]\n");
    assert!(
        err.contains(
            "Cargo.toml:10: package.metadata.svcpack.service.arguments[2]: contains a line break"
        ),
        "{err}"
    );
}

#[test]
fn a_user_name_windows_accepts_is_still_checked_for_linux() {
    let err = failing_build("account = \".\\\\Ledger Service\"\n");
    assert!(
        err.contains("Cargo.toml:9: package.metadata.svcpack.service.account: `.\\Ledger Service` is not a valid Linux user name"),
        "{err}"
    );
}

#[test]
fn windows_only_keys_warn_for_linux() {
    let dir = tempfile::tempdir().unwrap();
    let root = service_crate(
        dir.path(),
        "sid-type = \"restricted\"\naccount = \"svc-ledger\"\n",
    );
    let o = svcpack(&root, &dir.path().join("target"))
        .args(["build", "--target", &target(), "--out-dir"])
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(
        out.contains("warning: ") && out.contains(
            "Cargo.toml:9: package.metadata.svcpack.service.sid-type: Windows only: a Linux target ignores it"
        ),
        "{out}"
    );
    // A local account becomes the unit's user, created by the package when missing.
    let deb = dir
        .path()
        .join(format!("out/ledger-agent_1.4.0-1_{}.deb", deb_arch()));
    let report = text(&run(Command::new(env!("CARGO_BIN_EXE_cargo-svcpack"))
        .args(["svcpack", "inspect"])
        .arg(&deb)));
    assert!(report.contains("  User=svc-ledger\n"), "{report}");
}

/// Runs a maintainer script of the .deb as dpkg would on this machine (no `DPKG_ROOT`),
/// with a `systemctl` that only records its arguments: what the script asks of systemd.
fn script_calls(control: &Path, script: &str, args: &[&str]) -> Vec<String> {
    let bin = control.join("stub-bin");
    std::fs::create_dir_all(&bin).unwrap();
    let log = control.join("systemctl.log");
    let _ = std::fs::remove_file(&log);
    let stub = bin.join("systemctl");
    std::fs::write(
        &stub,
        format!("#!/bin/sh\necho \"$*\" >> '{}'\n", log.display()),
    )
    .unwrap();
    run(Command::new("chmod").arg("755").arg(&stub));
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    run(Command::new("sh")
        .arg(control.join(script))
        .args(args)
        .env("PATH", path)
        .env_remove("DPKG_ROOT"));
    std::fs::read_to_string(&log)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn maintainer_scripts_drive_systemd_and_behave_without_it() {
    let b = built();
    if !tool("dpkg-deb", &["--version"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let control = dir.path().join("control");
    run(Command::new("dpkg-deb")
        .arg("-e")
        .arg(b.deb())
        .arg(&control));
    let unit = "console-app.service";
    // Removal records, in /var/lib/svcpack, that it disabled the unit; installing again
    // consumes the record. Cleared even if an assertion fails.
    struct Marker;
    impl Drop for Marker {
        fn drop(&mut self) {
            let _ = std::fs::remove_file("/var/lib/svcpack/console-app.service.removed");
            let _ = std::fs::remove_dir("/var/lib/svcpack");
        }
    }
    let _marker = Marker;
    let install = script_calls(&control, "postinst", &["configure", ""]);
    let upgrade = script_calls(&control, "postinst", &["configure", "0.0.9-1"]);
    let remove = script_calls(&control, "prerm", &["remove"]);
    assert!(Path::new("/var/lib/svcpack/console-app.service.removed").exists());
    // Installed again after a removal: enabled as on a first install.
    let reinstall = script_calls(&control, "postinst", &["configure", "0.1.0-1"]);
    assert!(!Path::new("/var/lib/svcpack/console-app.service.removed").exists());
    assert_eq!(reinstall, install);
    if Path::new("/run/systemd/system").is_dir() {
        assert_eq!(
            install,
            [
                "daemon-reload".to_string(),
                format!("enable {unit}"),
                format!("start {unit}")
            ]
        );
        assert_eq!(
            upgrade,
            ["daemon-reload".to_string(), format!("try-restart {unit}")]
        );
        assert_eq!(remove, [format!("stop {unit}"), format!("disable {unit}")]);
    } else {
        // A container: systemd is installed but not running, so the unit is enabled for the
        // next boot and nothing is started, restarted or stopped.
        assert_eq!(install, [format!("enable {unit}")]);
        assert_eq!(upgrade, Vec::<String>::new());
        assert_eq!(remove, [format!("disable {unit}")]);
    }
}

#[test]
fn render_prints_the_unit_for_a_linux_target() {
    let dir = tempfile::tempdir().unwrap();
    let root = service_crate(
        dir.path(),
        "account = \"NetworkService\"\nstart = \"demand\"\n",
    );
    let o = run(svcpack(&root, &dir.path().join("target")).args(["render", "--target", &target()]));
    let unit = String::from_utf8_lossy(&o.stdout);
    assert!(
        unit.contains("\nExecStart=/usr/lib/ledger-agent/ledger-agent\n"),
        "{unit}"
    );
    assert!(unit.contains("\nDynamicUser=yes\n"), "{unit}");
    assert!(
        !unit.contains("[Install]"),
        "demand start is not enabled: {unit}"
    );
}

/// A program for aarch64 Linux (it exits with status 0 through the exit system call),
/// compiled by Debian's cross gcc (`gcc-aarch64-linux-gnu`, installed by `scripts/setup
/// --test`) with debugging symbols and without a C library, which needs no aarch64
/// headers; `None` after a notice when the compiler is missing. Cargo cannot build for
/// aarch64 here (no aarch64 Rust standard library is installed), so the aarch64 package is
/// made from a prebuilt program, as `--no-build --binary` is meant for.
fn aarch64_program(dir: &Path) -> Option<PathBuf> {
    if !tool("aarch64-linux-gnu-gcc", &["--version"]) {
        return None;
    }
    let source = dir.join("exit.c");
    std::fs::write(
        &source,
        "void _start(void) {\n\
         \x20   register long status __asm__(\"x0\") = 0;\n\
         \x20   register long call __asm__(\"x8\") = 93; /* exit */\n\
         \x20   __asm__ volatile(\"svc 0\" : : \"r\"(status), \"r\"(call));\n\
         \x20   for (;;) {}\n\
         }\n",
    )
    .unwrap();
    let program = dir.join("console-app");
    run(Command::new("aarch64-linux-gnu-gcc")
        .args(["-g", "-nostdlib", "-static", "-o"])
        .arg(&program)
        .arg(&source));
    Some(program)
}

#[test]
fn a_prebuilt_aarch64_program_is_packaged_for_arm64() {
    let dir = tempfile::tempdir().unwrap();
    let Some(program) = aarch64_program(dir.path()) else {
        return;
    };
    let root = fixture(dir.path(), next_port());
    let out = dir.path().join("out");
    let triple = "aarch64-unknown-linux-gnu";
    let o = run(svcpack(&root, &dir.path().join("target"))
        .args(["build", "--target", triple, "--no-build", "--binary"])
        .arg(&program)
        .arg("--out-dir")
        .arg(&out));
    let deb = "console-app_0.1.0-1_arm64.deb";
    assert_eq!(
        files(&out).into_keys().collect::<Vec<_>>(),
        [
            "SHA256SUMS".to_string(),
            format!("console-app-0.1.0-{triple}.manifest.json"),
            format!("console-app-0.1.0-{triple}.tar.gz"),
            deb.to_string(),
        ]
    );
    // Stripped by the target's strip, so no warning about symbols.
    assert!(
        !text(&o).contains("packaged with its symbols"),
        "{}",
        text(&o)
    );
    if !tool("dpkg-deb", &["--version"]) {
        return;
    }
    let field = run(Command::new("dpkg-deb")
        .arg("--field")
        .arg(out.join(deb))
        .arg("Architecture"));
    assert_eq!(text(&field), "arm64\n");
    let tree = dir.path().join("tree");
    extract(&out.join(deb), &tree);
    let packaged = tree.join("usr/lib/console-app/console-app");
    if tool("aarch64-linux-gnu-readelf", &["--version"]) {
        let header = text(&run(Command::new("aarch64-linux-gnu-readelf")
            .arg("-h")
            .arg(&packaged)));
        assert!(header.contains("AArch64"), "{header}");
        let sections = text(&run(Command::new("aarch64-linux-gnu-readelf")
            .arg("-S")
            .arg(&packaged)));
        assert!(
            !sections.contains(".symtab") && !sections.contains(".debug_info"),
            "{sections}"
        );
    }
    assert!(unit_text(&tree).contains("ExecStart=/usr/lib/console-app/console-app "));

    // The same program offered for x86_64 is refused, naming the file.
    let o = svcpack(&root, &dir.path().join("target"))
        .args([
            "build",
            "--target",
            "x86_64-unknown-linux-gnu",
            "--no-build",
            "--binary",
        ])
        .arg(&program)
        .arg("--out-dir")
        .arg(dir.path().join("out-x64"))
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(
        text(&o).contains(&program.display().to_string()),
        "{}",
        text(&o)
    );
    assert!(!dir.path().join("out-x64").exists());
}
