//! Building the dependency-free fixture crates in `tests/fixtures/` for Windows with
//! Debian's cargo (cached in a target dir under this repository's `target/`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use super::cmd::run_timed;
use super::toolchain::{WindowsToolchain, WINDOWS_TARGET};

/// `tests/fixtures/<name>` in this repository.
pub fn fixture_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The shared cargo target dir for fixture builds: `<target>/tmp/windows-fixtures`.
/// Cargo's own fingerprints make a repeated build a no-op.
pub fn fixtures_target_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("windows-fixtures")
}

fn toolchain() -> &'static WindowsToolchain {
    super::toolchain::windows_toolchain()
        .expect("the Windows toolchain is missing: call windows_toolchain() first and skip")
}

/// Builds fixture `name` (release, x86_64-pc-windows-gnu) and returns the path of its exe.
/// Panics with cargo's output when the build fails.
pub fn build_fixture(name: &str) -> PathBuf {
    build_crate(&fixture_dir(name), &fixtures_target_dir())
}

static BUILD_LOCK: Mutex<()> = Mutex::new(());
static BUILT: OnceLock<Mutex<HashMap<(PathBuf, PathBuf), PathBuf>>> = OnceLock::new();

/// Builds the crate in `manifest_dir` (release, x86_64-pc-windows-gnu) into `target_dir`
/// with Debian's cargo and returns the executable cargo reports (the crate must have exactly
/// one bin target). Builds are serialised within the test process and memoised per
/// (crate, target dir); cargo's lock on the target dir serialises across processes.
pub fn build_crate(manifest_dir: &Path, target_dir: &Path) -> PathBuf {
    let key = (manifest_dir.to_path_buf(), target_dir.to_path_buf());
    let built = BUILT.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(exe) = built.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return exe.clone();
    }
    let _guard = BUILD_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(exe) = built.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return exe.clone();
    }

    let tc = toolchain();
    let mut cmd = Command::new(&tc.cargo);
    tc.apply_build_env(&mut cmd);
    cmd.current_dir(manifest_dir)
        .env("CARGO_TARGET_DIR", target_dir)
        .args([
            "build",
            "--release",
            "--offline",
            "--target",
            WINDOWS_TARGET,
        ])
        .arg("--manifest-path")
        .arg(manifest_dir.join("Cargo.toml"))
        .arg("--message-format=json-render-diagnostics");
    let log_dir = target_dir.join("logs");
    let out = run_timed(cmd, &log_dir, Duration::from_secs(600));
    if !out.success() {
        panic!(
            "building {} for {WINDOWS_TARGET} failed:\n{out}",
            manifest_dir.display()
        );
    }
    let mut executables = Vec::new();
    for line in out.stdout.lines() {
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if msg["reason"] == "compiler-artifact" {
            if let Some(exe) = msg["executable"].as_str() {
                executables.push(PathBuf::from(exe));
            }
        }
    }
    let exe = match executables.as_slice() {
        [one] => one.clone(),
        _ => panic!(
            "expected exactly one executable from building {}, cargo reported {executables:?}\n{out}",
            manifest_dir.display()
        ),
    };
    assert!(exe.is_file(), "{} does not exist", exe.display());
    built
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(key, exe.clone());
    exe
}

/// Copies fixture `name` (without any `target/`) into `dest` (created), so a test can edit
/// it (bump the version, change the config) without touching the repository.
pub fn copy_fixture(name: &str, dest: &Path) -> PathBuf {
    fn copy_dir(src: &Path, dst: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dst)?;
        for entry in std::fs::read_dir(src)? {
            let entry = entry?;
            let name = entry.file_name();
            if name == "target" {
                continue;
            }
            let ty = entry.file_type()?;
            if ty.is_dir() {
                copy_dir(&entry.path(), &dst.join(&name))?;
            } else {
                std::fs::copy(entry.path(), dst.join(&name))?;
            }
        }
        Ok(())
    }
    let src = fixture_dir(name);
    copy_dir(&src, dest).unwrap_or_else(|e| {
        panic!(
            "copying {} to {} failed: {e}",
            src.display(),
            dest.display()
        )
    });
    dest.to_path_buf()
}

/// Rewrites the `"--port", "N"` service argument in `<manifest_dir>/Cargo.toml` to `port`,
/// so concurrently running tests (sharing the host network through Wine) never collide on
/// the fixture's default port. Panics when the manifest has no such argument.
pub fn set_service_port(manifest_dir: &Path, port: u16) {
    let path = manifest_dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let marker = "\"--port\", \"";
    let start = text
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker}N\" argument in {}", path.display()))
        + marker.len();
    let end = start
        + text[start..]
            .find('"')
            .expect("unterminated --port argument");
    let new = format!("{}{port}{}", &text[..start], &text[end..]);
    std::fs::write(&path, new).unwrap();
}

/// Rewrites the package version (the first `version = "..."` line, in `[package]`) in
/// `<manifest_dir>/Cargo.toml`, e.g. to build the newer release of an upgrade test.
pub fn set_package_version(manifest_dir: &Path, version: &str) {
    let path = manifest_dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut done = false;
    let lines: Vec<String> = text
        .lines()
        .map(|line| {
            if !done && line.trim_start().starts_with("version") && line.contains('=') {
                done = true;
                format!("version = \"{version}\"")
            } else {
                line.to_string()
            }
        })
        .collect();
    assert!(done, "no version line in {}", path.display());
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    // The copied Cargo.lock names the old version; cargo rewrites it, but drop it so no
    // `--locked` run trips over it.
    let _ = std::fs::remove_file(manifest_dir.join("Cargo.lock"));
}
