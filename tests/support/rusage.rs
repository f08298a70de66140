//! The peak resident memory of a child process, as the kernel accounted it when the child
//! was reaped (wait4(2)'s `ru_maxrss`, the figure `/usr/bin/time -v` prints): exact, where
//! polling `/proc` would miss a late peak.

use std::io::Read;
use std::process::{Command, Stdio};

/// `struct rusage` on 64-bit Linux: two `timeval`s, then fourteen `long`s, `ru_maxrss` first.
#[repr(C)]
#[derive(Default)]
struct Rusage {
    utime: [i64; 2],
    stime: [i64; 2],
    maxrss: i64,
    rest: [i64; 13],
}

extern "C" {
    fn wait4(pid: i32, status: *mut i32, options: i32, rusage: *mut Rusage) -> i32;
}

/// What [`run_measured`] saw: whether the child exited 0, its stderr, its peak RSS.
pub struct Measured {
    pub success: bool,
    pub stderr: String,
    pub peak_rss_bytes: u64,
}

/// Runs `cmd` to completion (stdout discarded, stderr captured) and reports its peak RSS.
// The child is reaped by wait4 below, not by `Child::wait`, which cannot report rusage.
#[allow(clippy::zombie_processes)]
pub fn run_measured(cmd: &mut Command) -> Measured {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the command starts");
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let mut status = 0i32;
    let mut usage = Rusage::default();
    // SAFETY: `pid` is our own unreaped child, and both pointers are to live, properly
    // laid-out values. std's `Child` is never waited on afterwards.
    let reaped = unsafe { wait4(child.id() as i32, &mut status, 0, &mut usage) };
    assert_eq!(reaped, child.id() as i32, "wait4 failed");
    Measured {
        // WIFEXITED && WEXITSTATUS == 0
        success: status & 0xffff == 0,
        stderr,
        peak_rss_bytes: usage.maxrss as u64 * 1024,
    }
}
