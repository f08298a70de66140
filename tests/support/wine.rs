//! A throw-away Wine prefix per test, copied from a template prefix booted once.
//!
//! Recipe: `wineboot -i; wineserver -w` once into a template; per test
//! `cp -a` it into a fresh temporary directory and start a persistent `wineserver -p`, so
//! services keep running between `wine` calls. Dropping the [`WinePrefix`] (also while a
//! test panics) runs `wineserver -k` for that prefix, kills whatever is left of its processes
//! and deletes the directory.
//!
//! The template is cached on disk in `<target>/tmp/wine-templates/<wine version>-<mtime>`
//! (complete once it holds `.svcpack-template-complete`), so only the first test process
//! after a Wine upgrade pays the ~15 s boot.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime};

use super::cmd::{run_timed, CmdOutput};
use super::http::{http_get, http_request, HttpResponse};
use super::reg::{decode_reg_file, long_root, parse_reg_export, RegValue, RegValues};
use super::report_timing;
use super::toolchain::{windows_toolchain, WindowsToolchain};

const MARKER: &str = ".svcpack-template-complete";
const WINE_TIMEOUT: Duration = Duration::from_secs(120);
const MSIEXEC_TIMEOUT: Duration = Duration::from_secs(300);

fn toolchain() -> &'static WindowsToolchain {
    windows_toolchain()
        .expect("the Windows toolchain is missing: call windows_toolchain() first and skip")
}

/// Environment shared by every Wine invocation for `prefix`.
fn wine_env(cmd: &mut Command, prefix: &Path) {
    let debug = std::env::var("SVCPACK_WINEDEBUG").unwrap_or_else(|_| "-all".to_string());
    cmd.env("WINEPREFIX", prefix)
        .env("WINEDEBUG", debug)
        // No Mono/Gecko installer prompts during wineboot.
        .env("WINEDLLOVERRIDES", "mscoree,mshtml=")
        // Headless: no X/Wayland windows even on a desktop.
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("WINESERVER")
        .env_remove("WINELOADER");
}

fn wine_command<I, S>(tc: &WindowsToolchain, prefix: &Path, args: I) -> Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut cmd = Command::new(&tc.wine);
    cmd.args(args);
    wine_env(&mut cmd, prefix);
    cmd
}

fn wineserver_command(tc: &WindowsToolchain, prefix: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(&tc.wineserver);
    cmd.args(args);
    wine_env(&mut cmd, prefix);
    cmd
}

/// `wineserver -k` then `wineserver -w` for `prefix` (both bounded in time).
fn kill_server(tc: &WindowsToolchain, prefix: &Path, log_dir: &Path) {
    let _ = run_timed(
        wineserver_command(tc, prefix, &["-k"]),
        log_dir,
        Duration::from_secs(30),
    );
    let _ = run_timed(
        wineserver_command(tc, prefix, &["-w"]),
        log_dir,
        Duration::from_secs(30),
    );
}

/// The Windows path (`Z:\...`) of an absolute Unix path.
pub fn windows_path(unix: &Path) -> String {
    let abs = if unix.is_absolute() {
        unix.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(unix)
    };
    format!("Z:{}", abs.display()).replace('/', "\\")
}

/// A Wine process (one Linux process) of a prefix.
#[derive(Debug, Clone)]
pub struct WineProcess {
    pub pid: u32,
    /// Its command line as Wine presents it (NULs turned into spaces), e.g.
    /// `C:\Program Files\X\x.exe --port 1234`.
    pub cmdline: String,
}

/// Processes whose environment holds `WINEPREFIX=<prefix>` (zombies excluded).
fn prefix_processes(prefix: &Path) -> Vec<WineProcess> {
    let mut needle = b"\0WINEPREFIX=".to_vec();
    needle.extend_from_slice(prefix.as_os_str().as_encoded_bytes());
    needle.push(0);
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return found;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == std::process::id() {
            continue;
        }
        let dir = entry.path();
        let Ok(environ) = std::fs::read(dir.join("environ")) else {
            continue;
        };
        let mut env = vec![0u8];
        env.extend_from_slice(&environ);
        if !env.windows(needle.len()).any(|w| w == needle.as_slice()) {
            continue;
        }
        // /proc/PID/stat: "pid (comm) S ..." — skip zombies and dead processes.
        let state = std::fs::read_to_string(dir.join("stat"))
            .ok()
            .and_then(|s| {
                s.rfind(')')
                    .and_then(|i| s[i + 1..].split_whitespace().next().map(String::from))
            })
            .unwrap_or_default();
        if state == "Z" || state == "X" || state.is_empty() {
            continue;
        }
        let cmdline = std::fs::read(dir.join("cmdline"))
            .map(|b| {
                String::from_utf8_lossy(&b)
                    .replace('\0', " ")
                    .trim()
                    .to_string()
            })
            .unwrap_or_default();
        found.push(WineProcess { pid, cmdline });
    }
    found
}

fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

fn template_cache_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("wine-templates")
}

fn template_key(tc: &WindowsToolchain) -> String {
    let server = std::fs::canonicalize(&tc.wineserver).unwrap_or_else(|_| tc.wineserver.clone());
    let mtime = std::fs::metadata(&server)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
        .map(|d| d.as_secs())
        .unwrap_or(0);
    // A prefix booted before Wine's 32-bit half was installed cannot run 32-bit programs.
    let bits = if wine_runs_32_bit() { "-wow64" } else { "" };
    format!("{}-{mtime}{bits}", sanitize(&tc.wine_version))
}

/// True when this Wine runs 32-bit programs (Debian's `wine32`, i386 multiarch).
pub fn wine_runs_32_bit() -> bool {
    ["/usr/lib/wine/wine", "/usr/lib/i386-linux-gnu/wine"]
        .iter()
        .any(|p| Path::new(p).exists())
}

/// Gives a 32-bit-capable prefix the `bcryptprimitives.dll` Wine 8.0 lacks and current Rust
/// programs import (see `bcryptprimitives.c`): built with the i686 MinGW compiler into
/// `syswow64`, unless Wine has its own.
fn add_bcryptprimitives(prefix: &Path, logs: &Path) -> Result<(), String> {
    let syswow64 = prefix.join("drive_c/windows/syswow64");
    let dll = syswow64.join("bcryptprimitives.dll");
    if !syswow64.is_dir() || dll.exists() {
        return Ok(());
    }
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/bcryptprimitives.c");
    let mut gcc = Command::new("i686-w64-mingw32-gcc");
    gcc.args(["-O2", "-shared", "-s", "-Wl,--kill-at", "-o"])
        .arg(&dll)
        .arg(&source)
        .arg("-ladvapi32");
    let built = run_timed(gcc, logs, Duration::from_secs(120));
    if !built.success() {
        return Err(format!(
            "building the bcryptprimitives.dll stand-in for 32-bit Wine (needs i686-w64-mingw32-gcc):\n{built}"
        ));
    }
    Ok(())
}

/// Replaces the links Wine makes from the user's shell folders (Desktop, Documents, ...)
/// into `$HOME` with plain directories, so nothing a package does reaches the real home.
fn sandbox(prefix: &Path) {
    let Ok(users) = std::fs::read_dir(prefix.join("drive_c/users")) else {
        return;
    };
    fn walk(dir: &Path, prefix: &Path) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(meta) = std::fs::symlink_metadata(&path) else {
                continue;
            };
            if meta.file_type().is_symlink() {
                let outside = std::fs::read_link(&path)
                    .map(|t| t.is_absolute() && !t.starts_with(prefix))
                    .unwrap_or(false);
                if outside && std::fs::remove_file(&path).is_ok() {
                    let _ = std::fs::create_dir_all(&path);
                }
            } else if meta.is_dir() {
                walk(&path, prefix);
            }
        }
    }
    for user in users.flatten() {
        walk(&user.path(), prefix);
    }
}

fn pid_alive(pid: u32) -> bool {
    Path::new("/proc").join(pid.to_string()).exists()
}

/// Removes `*.boot-<pid>` directories left by test processes that died mid-boot.
fn remove_stale_boots(cache: &Path) {
    let Ok(entries) = std::fs::read_dir(cache) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some((_, pid)) = name.rsplit_once(".boot-") {
            if let Ok(pid) = pid.parse::<u32>() {
                if !pid_alive(pid) {
                    let _ = std::fs::remove_dir_all(entry.path());
                }
            }
        }
    }
}

fn boot_template() -> Result<PathBuf, String> {
    let tc = toolchain();
    let cache = template_cache_dir();
    let dir = cache.join(template_key(tc));
    if dir.join(MARKER).is_file() {
        return Ok(dir);
    }
    std::fs::create_dir_all(&cache).map_err(|e| format!("creating {}: {e}", cache.display()))?;
    remove_stale_boots(&cache);
    let boot = cache.join(format!("{}.boot-{}", template_key(tc), std::process::id()));
    let _ = std::fs::remove_dir_all(&boot);
    let logs = cache.join("logs");
    let start = Instant::now();

    let init = run_timed(
        wine_command(tc, &boot, ["wineboot", "-i"]),
        &logs,
        Duration::from_secs(300),
    );
    if !init.success() {
        kill_server(tc, &boot, &logs);
        let _ = std::fs::remove_dir_all(&boot);
        return Err(format!("wineboot -i failed:\n{init}"));
    }
    // Without waiting for the server to exit, the first msiexec in a copy fails (1603).
    let wait = run_timed(
        wineserver_command(tc, &boot, &["-w"]),
        &logs,
        Duration::from_secs(180),
    );
    if !wait.success() {
        kill_server(tc, &boot, &logs);
        let _ = std::fs::remove_dir_all(&boot);
        return Err(format!("wineserver -w after wineboot failed:\n{wait}"));
    }
    if !boot.join("system.reg").is_file() || !boot.join("drive_c/windows/system32").is_dir() {
        let _ = std::fs::remove_dir_all(&boot);
        return Err(format!(
            "wineboot -i left no usable prefix in {}:\n{init}",
            boot.display()
        ));
    }
    sandbox(&boot);
    if let Err(e) = add_bcryptprimitives(&boot, &logs) {
        let _ = std::fs::remove_dir_all(&boot);
        return Err(e);
    }
    let elapsed = start.elapsed();
    File::create(boot.join(MARKER))
        .and_then(|mut f| {
            writeln!(
                f,
                "{} booted in {:.1}s",
                tc.wine_version,
                elapsed.as_secs_f64()
            )
        })
        .map_err(|e| format!("writing the template marker: {e}"))?;
    report_timing(
        "wine template prefix boot (wineboot -i; wineserver -w)",
        elapsed,
    );
    if std::fs::rename(&boot, &dir).is_err() {
        // Another test process finished first; use its template.
        let _ = std::fs::remove_dir_all(&boot);
        if !dir.join(MARKER).is_file() {
            return Err(format!("cannot move the template into {}", dir.display()));
        }
    }
    // Templates of other Wine versions are dead weight (~700 MB each).
    if let Ok(entries) = std::fs::read_dir(&cache) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path != dir && path.join(MARKER).is_file() {
                let _ = std::fs::remove_dir_all(&path);
            }
        }
    }
    Ok(dir)
}

static TEMPLATE: OnceLock<Result<PathBuf, String>> = OnceLock::new();

/// The booted template prefix (booted at most once per test process, cached on disk).
pub fn template_prefix() -> &'static Path {
    match TEMPLATE.get_or_init(boot_template) {
        Ok(p) => p,
        Err(e) => panic!("cannot boot a Wine template prefix: {e}"),
    }
}

/// A fresh Wine prefix with a persistent wineserver. See the module docs.
pub struct WinePrefix {
    tc: &'static WindowsToolchain,
    root: Option<tempfile::TempDir>,
    prefix: PathBuf,
    logs: PathBuf,
    seq: AtomicUsize,
}

impl WinePrefix {
    /// Copies the template into a new temporary directory and starts `wineserver -p`.
    /// Panics when Wine is unusable (call [`windows_toolchain`] first to skip cleanly).
    pub fn new() -> WinePrefix {
        let tc = toolchain();
        let template = template_prefix();
        let start = Instant::now();
        let root = tempfile::Builder::new()
            .prefix("svcpack-wine-")
            .tempdir()
            .expect("creating a temporary directory for a Wine prefix");
        let prefix = root.path().join("prefix");
        let logs = root.path().join("logs");
        std::fs::create_dir_all(&logs).expect("creating the log directory");
        let mut cp = Command::new("cp");
        cp.arg("-a")
            .arg("--reflink=auto")
            .arg(template)
            .arg(&prefix);
        let copied = run_timed(cp, &logs, Duration::from_secs(300));
        copied.assert_success();
        let _ = std::fs::remove_file(prefix.join(MARKER));
        let copy_time = start.elapsed();

        let wp = WinePrefix {
            tc,
            root: Some(root),
            prefix,
            logs,
            seq: AtomicUsize::new(0),
        };
        // From here on Drop cleans up, also if starting the server fails.
        let server = run_timed(
            wineserver_command(tc, &wp.prefix, &["-p"]),
            &wp.logs,
            Duration::from_secs(60),
        );
        server.assert_success();
        // Start the prefix's system processes (services.exe, ...) now, not inside the
        // first command of the test.
        // Under load Wine now and then fails the first process of a freshly copied prefix
        // ("ShellExecuteEx failed: Internal error") and starts the next one normally: a
        // hiccup of the harness, not of what the tests check, so it gets two more tries.
        let mut first = wp.run(["cmd", "/c", "exit", "0"]);
        for _ in 0..2 {
            if first.success() {
                break;
            }
            std::thread::sleep(Duration::from_secs(1));
            first = wp.run(["cmd", "/c", "exit", "0"]);
        }
        first.assert_success();
        report_timing(
            &format!("wine prefix copy {:.2}s + start", copy_time.as_secs_f64()),
            start.elapsed(),
        );
        wp
    }

    /// The prefix directory (`WINEPREFIX`).
    pub fn path(&self) -> &Path {
        &self.prefix
    }

    /// A scratch directory next to the prefix, deleted with it.
    pub fn scratch_dir(&self) -> PathBuf {
        let dir = self
            .root
            .as_ref()
            .map(|r| r.path().join("scratch"))
            .unwrap_or_else(|| self.prefix.with_file_name("scratch"));
        let _ = std::fs::create_dir_all(&dir);
        dir
    }

    /// `drive_c` of the prefix (the Unix path of `C:\`).
    pub fn drive_c(&self) -> PathBuf {
        self.prefix.join("drive_c")
    }

    /// The Unix path of `C:\Program Files` (64-bit programs).
    pub fn program_files(&self) -> PathBuf {
        self.drive_c().join("Program Files")
    }

    /// The Unix path of `C:\Program Files (x86)` (32-bit programs).
    pub fn program_files_x86(&self) -> PathBuf {
        self.drive_c().join("Program Files (x86)")
    }

    /// The Unix path of a Windows path on `C:` or `Z:` (case as given).
    pub fn unix_path(&self, windows: &str) -> PathBuf {
        let rest = |p: &str| p.trim_start_matches(['\\', '/']).replace('\\', "/");
        let lower = windows.to_ascii_lowercase();
        if lower.starts_with("c:") {
            self.drive_c().join(rest(&windows[2..]))
        } else if lower.starts_with("z:") {
            Path::new("/").join(rest(&windows[2..]))
        } else {
            PathBuf::from(windows)
        }
    }

    /// The Windows path (`Z:\...`) of a Unix path.
    pub fn windows_path(&self, unix: &Path) -> String {
        windows_path(unix)
    }

    /// A `wine <args>` command for this prefix (not run).
    pub fn command<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        wine_command(self.tc, &self.prefix, args)
    }

    /// Runs `wine <args>` (stdin from /dev/null) with a 120 s limit.
    pub fn run<I, S>(&self, args: I) -> CmdOutput
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.run_timeout(args, WINE_TIMEOUT)
    }

    /// Runs `wine <args>` with the given time limit (killed when exceeded).
    pub fn run_timeout<I, S>(&self, args: I, timeout: Duration) -> CmdOutput
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        run_timed(self.command(args), &self.logs, timeout)
    }

    /// Runs `wineserver <args>` for this prefix.
    pub fn wineserver(&self, args: &[&str]) -> CmdOutput {
        run_timed(
            wineserver_command(self.tc, &self.prefix, args),
            &self.logs,
            Duration::from_secs(60),
        )
    }

    /// Starts `wine <args>` in the background, stdout and stderr going to files.
    pub fn spawn<I, S>(&self, args: I) -> WineChild
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let n = self.seq.fetch_add(1, Ordering::SeqCst);
        let stdout_path = self.logs.join(format!("spawn-{n}.out"));
        let stderr_path = self.logs.join(format!("spawn-{n}.err"));
        let mut cmd = self.command(args);
        cmd.stdin(Stdio::null())
            .stdout(File::create(&stdout_path).expect("creating a stdout file"))
            .stderr(File::create(&stderr_path).expect("creating a stderr file"));
        let child = cmd.spawn().expect("spawning wine");
        WineChild {
            child,
            stdout_path,
            stderr_path,
        }
    }

    /// Runs `wine msiexec <args>` with a verbose log (`/l*v`) attached to the output.
    pub fn msiexec(&self, args: &[&str]) -> CmdOutput {
        let n = self.seq.fetch_add(1, Ordering::SeqCst);
        let log = self.logs.join(format!("msiexec-{n}.log"));
        let log_win = windows_path(&log);
        let mut full: Vec<&str> = vec!["msiexec"];
        full.extend_from_slice(args);
        full.extend_from_slice(&["/l*v", &log_win]);
        let mut out = self.run_timeout(&full, MSIEXEC_TIMEOUT);
        out.msi_log = std::fs::read(&log)
            .ok()
            .map(|b| String::from_utf8_lossy(&b).into_owned());
        out
    }

    /// `msiexec /i <msi> /qn` (exit code 0 on success; see [`CmdOutput::assert_success`]).
    pub fn msiexec_install(&self, msi: &Path) -> CmdOutput {
        self.msiexec_install_with(msi, &[])
    }

    /// `msiexec /i <msi> /qn PROPERTY=VALUE...`.
    pub fn msiexec_install_with(&self, msi: &Path, properties: &[&str]) -> CmdOutput {
        let path = windows_path(msi);
        let mut args = vec!["/i", path.as_str(), "/qn"];
        args.extend_from_slice(properties);
        self.msiexec(&args)
    }

    /// `msiexec /x <msi> /qn`. Under Wine, stop the service and wait for its process to be
    /// gone first if the test checks that program files are removed (Wine skips deleting a file still in use).
    pub fn msiexec_uninstall(&self, msi: &Path) -> CmdOutput {
        let path = windows_path(msi);
        self.msiexec(&["/x", path.as_str(), "/qn"])
    }

    /// `reg query <key>`: the output when the key exists, `None` when it does not.
    /// Wine prints it through the OEM code page (non-ASCII characters are mangled): use
    /// [`Self::reg_values`] / [`Self::reg_value`] to check text.
    pub fn reg_query(&self, key: &str) -> Option<String> {
        let out = self.run(["reg", "query", key]);
        out.success().then_some(out.stdout)
    }

    /// True when `key` does not exist. First proves that `reg query` works in this prefix (a
    /// key every Windows has is found), so a failing `reg` cannot pass for a missing key.
    pub fn reg_key_absent(&self, key: &str) -> bool {
        let probe = r"HKLM\System\CurrentControlSet\Services";
        assert!(
            self.reg_query(probe).is_some(),
            "`reg query {probe}` fails in {}: it cannot tell whether {key} exists",
            self.prefix.display()
        );
        self.reg_query(key).is_none()
    }

    /// `regedit /E` of `key` (`HKLM\...` or `HKEY_LOCAL_MACHINE\...`) with all its subkeys,
    /// parsed: key path (long root names, as exported) → values. `None` when the key does
    /// not exist. Unicode-exact.
    pub fn reg_tree(&self, key: &str) -> Option<BTreeMap<String, RegValues>> {
        let n = self.seq.fetch_add(1, Ordering::SeqCst);
        let file = self.logs.join(format!("export-{n}.reg"));
        let file_win = windows_path(&file);
        let key = long_root(key);
        // regedit exits 0 even when the key is missing; it then writes no file.
        let _ = self.run(["regedit", "/E", file_win.as_str(), key.as_str()]);
        let bytes = std::fs::read(&file).ok()?;
        let _ = std::fs::remove_file(&file);
        Some(parse_reg_export(&decode_reg_file(&bytes)))
    }

    /// The values of exactly `key` (not its subkeys), `None` when it does not exist.
    pub fn reg_values(&self, key: &str) -> Option<RegValues> {
        let long = long_root(key);
        self.reg_tree(key)?
            .into_iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(&long))
            .map(|(_, v)| v)
    }

    /// Value `name` (case-insensitive; `""` for the default value) under `key`.
    pub fn reg_value(&self, key: &str, name: &str) -> Option<RegValue> {
        self.reg_values(key)?
            .into_iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// `sc <args>`.
    pub fn sc(&self, args: &[&str]) -> CmdOutput {
        let mut full = vec!["sc"];
        full.extend_from_slice(args);
        self.run(&full)
    }

    /// The service's state from `sc query` (`RUNNING`, `STOPPED`, `START_PENDING`, ...),
    /// `None` when the service does not exist.
    pub fn service_state(&self, name: &str) -> Option<String> {
        let out = self.sc(&["query", name]);
        if !out.success() {
            return None;
        }
        out.stdout
            .lines()
            .find(|l| l.trim_start().starts_with("STATE"))
            .and_then(|l| l.split_whitespace().last())
            .map(String::from)
    }

    /// Waits until the service reports `state`.
    pub fn wait_service_state(&self, name: &str, state: &str, timeout: Duration) -> bool {
        super::wait_until(timeout, Duration::from_millis(250), || {
            (self.service_state(name).as_deref() == Some(state)).then_some(())
        })
        .is_some()
    }

    /// `net stop <name>`.
    pub fn net_stop(&self, name: &str) -> CmdOutput {
        self.run(["net", "stop", name])
    }

    /// `net start <name>`.
    pub fn net_start(&self, name: &str) -> CmdOutput {
        self.run(["net", "start", name])
    }

    /// The live processes of this prefix (read from /proc; `wine tasklist` prints nothing
    /// under Wine 8).
    pub fn processes(&self) -> Vec<WineProcess> {
        prefix_processes(&self.prefix)
    }

    /// Processes of this prefix whose command line contains `exe_name`
    /// (case-insensitive), e.g. `"example-service.exe"`.
    pub fn find_processes(&self, exe_name: &str) -> Vec<WineProcess> {
        let needle = exe_name.to_lowercase();
        self.processes()
            .into_iter()
            .filter(|p| p.cmdline.to_lowercase().contains(&needle))
            .collect()
    }

    /// Waits until a process running `exe_name` exists; returns it.
    pub fn wait_process(&self, exe_name: &str, timeout: Duration) -> Option<WineProcess> {
        super::wait_until(timeout, Duration::from_millis(100), || {
            self.find_processes(exe_name).into_iter().next()
        })
    }

    /// Waits until no process of this prefix runs `exe_name`; false on timeout. First proves
    /// that the process probe sees this prefix at all (its service manager, `services.exe`,
    /// always runs), so "no such process" cannot be a probe that sees nothing.
    pub fn wait_process_gone(&self, exe_name: &str, timeout: Duration) -> bool {
        assert!(
            !self.find_processes("services.exe").is_empty(),
            "the process probe finds no services.exe in {}: it cannot tell whether {exe_name} is gone",
            self.prefix.display()
        );
        super::wait_until(timeout, Duration::from_millis(100), || {
            self.find_processes(exe_name).is_empty().then_some(())
        })
        .is_some()
    }

    /// See [`super::http_get`].
    pub fn http_get(&self, port: u16, path: &str, timeout: Duration) -> Option<String> {
        http_get(port, path, timeout)
    }

    /// See [`super::http_request`].
    pub fn http_request(&self, port: u16, path: &str, timeout: Duration) -> Option<HttpResponse> {
        http_request(port, path, timeout)
    }
}

impl Default for WinePrefix {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for WinePrefix {
    fn drop(&mut self) {
        kill_server(self.tc, &self.prefix, &self.logs);
        // Anything that survived the server (it should not): kill by pid, only processes
        // carrying this prefix in their environment.
        for p in prefix_processes(&self.prefix) {
            let _ = Command::new("kill")
                .arg("-KILL")
                .arg(p.pid.to_string())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        if let Some(root) = self.root.take() {
            if std::env::var_os("SVCPACK_KEEP_WINE_PREFIX").is_some() {
                let kept = root.keep();
                let _ = writeln!(
                    std::io::stderr(),
                    "SVCPACK_KEEP_WINE_PREFIX: kept {}",
                    kept.display()
                );
            } else if let Err(e) = root.close() {
                let _ = writeln!(std::io::stderr(), "removing a Wine prefix failed: {e}");
            }
        }
    }
}

/// A `wine` process started with [`WinePrefix::spawn`]; killed when dropped.
pub struct WineChild {
    child: Child,
    stdout_path: PathBuf,
    stderr_path: PathBuf,
}

impl WineChild {
    /// The Linux pid of the `wine` client process.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Waits for the process to exit; `None` on timeout (the process keeps running).
    pub fn wait_timeout(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => return Some(status),
                Ok(None) if Instant::now() >= deadline => return None,
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                Err(_) => return None,
            }
        }
    }

    /// Has the process exited (without waiting)?
    pub fn try_wait(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Everything the process wrote to stdout so far.
    pub fn stdout(&self) -> String {
        std::fs::read(&self.stdout_path)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    }

    /// Everything the process wrote to stderr so far.
    pub fn stderr(&self) -> String {
        std::fs::read(&self.stderr_path)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    }

    /// Kills the `wine` client process (the Windows process goes with it).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for WineChild {
    fn drop(&mut self) {
        if self.try_wait().is_none() {
            self.kill();
        }
    }
}
