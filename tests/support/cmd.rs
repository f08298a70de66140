//! Running external commands with a timeout, output captured in files (never pipes: Wine
//! daemons started by a command inherit its handles and would keep a pipe open forever).

use std::fmt;
use std::fs::File;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// What a finished (or timed-out) command produced.
#[derive(Debug, Clone)]
pub struct CmdOutput {
    /// The command line, for messages.
    pub what: String,
    /// `None` when the command timed out and was killed.
    pub status: Option<ExitStatus>,
    pub stdout: String,
    pub stderr: String,
    /// The verbose msiexec log (`/l*v`), for msiexec runs.
    pub msi_log: Option<String>,
    pub elapsed: Duration,
}

impl CmdOutput {
    pub fn success(&self) -> bool {
        self.status.map(|s| s.success()).unwrap_or(false)
    }

    /// The exit code; `None` on timeout or death by signal.
    pub fn code(&self) -> Option<i32> {
        self.status.and_then(|s| s.code())
    }

    pub fn timed_out(&self) -> bool {
        self.status.is_none()
    }

    /// Panics with the command, status, output and the tail of the msiexec log unless the
    /// command exited with status 0; returns the output otherwise.
    #[track_caller]
    pub fn assert_success(self) -> Self {
        if !self.success() {
            panic!("command failed:\n{self}");
        }
        self
    }
}

fn tail(s: &str, lines: usize) -> String {
    let all: Vec<&str> = s.lines().collect();
    let start = all.len().saturating_sub(lines);
    all[start..].join("\n")
}

impl fmt::Display for CmdOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "$ {}", self.what)?;
        match self.status {
            Some(s) => writeln!(f, "status: {s} after {:.1}s", self.elapsed.as_secs_f64())?,
            None => writeln!(
                f,
                "status: TIMED OUT after {:.1}s (killed)",
                self.elapsed.as_secs_f64()
            )?,
        }
        writeln!(f, "--- stdout\n{}", tail(&self.stdout, 80))?;
        writeln!(f, "--- stderr\n{}", tail(&self.stderr, 80))?;
        if let Some(log) = &self.msi_log {
            writeln!(f, "--- msiexec log (last 60 lines)\n{}", tail(log, 60))?;
        }
        Ok(())
    }
}

static SEQ: AtomicUsize = AtomicUsize::new(0);

fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        let a = a.to_string_lossy();
        if a.contains(' ') || a.is_empty() {
            s.push_str(&format!(" '{a}'"));
        } else {
            s.push(' ');
            s.push_str(&a);
        }
    }
    s
}

/// Runs `cmd` to completion or until `timeout` (then kills it), with stdin from /dev/null
/// and stdout/stderr captured through files in `log_dir`.
pub fn run_timed(mut cmd: Command, log_dir: &Path, timeout: Duration) -> CmdOutput {
    let what = describe(&cmd);
    let n = SEQ.fetch_add(1, Ordering::SeqCst);
    let _ = std::fs::create_dir_all(log_dir);
    let out_path = log_dir.join(format!("cmd-{}-{n:04}.out", std::process::id()));
    let err_path = log_dir.join(format!("cmd-{}-{n:04}.err", std::process::id()));
    let start = Instant::now();
    let spawned = File::create(&out_path).and_then(|out| {
        let err = File::create(&err_path)?;
        cmd.stdin(Stdio::null())
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err))
            .spawn()
    });
    let mut child = match spawned {
        Ok(c) => c,
        Err(e) => {
            return CmdOutput {
                what: what.clone(),
                status: None,
                stdout: String::new(),
                stderr: format!("cannot run {what}: {e}"),
                msi_log: None,
                elapsed: start.elapsed(),
            }
        }
    };
    let deadline = start + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(_) => break None,
        }
    };
    let read = |p: &Path| {
        std::fs::read(p)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    };
    let out = CmdOutput {
        what,
        status,
        stdout: read(&out_path),
        stderr: read(&err_path),
        msi_log: None,
        elapsed: start.elapsed(),
    };
    let _ = std::fs::remove_file(&out_path);
    let _ = std::fs::remove_file(&err_path);
    out
}
