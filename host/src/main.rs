//! svcpack-host: runs a console program as a Windows service, the way NSSM and WinSW do,
//! built into packages made by svcpack (`[package.metadata.svcpack.service.host]`).
//!
//! svcpack carries this source and builds it with the same cargo and target as the
//! packaged program; it has no dependencies and builds with Rust 1.63. It talks to
//! Windows through a few hand-declared kernel32/advapi32/user32 functions (`sys`).
//!
//! # What it does
//!
//! * Reads `<own exe stem>.conf` next to its exe (format: `conf`).
//! * Registers with the service manager and reports START_PENDING (with a wait hint),
//!   RUNNING once the program runs, STOP_PENDING (checkpoint every half second) while
//!   stopping, and STOPPED.
//! * Starts the program with its arguments (quoted by Windows command-line rules; start
//!   parameters given to `sc start` are appended), the configured environment on top of
//!   its own, the working directory, stdin from NUL, and stdout/stderr through pipes into
//!   `<log-dir>/<program stem>.out.log` and `.err.log`, rotated by size (`rotate`).
//!   The program shares the host's console (a hidden one the host allocates) and runs in
//!   a job object that kills whatever is left of it when the host ends.
//! * On stop or shutdown: Ctrl-C to the program's console, Ctrl-Break too after half of
//!   `stop-timeout-secs`, and after the whole timeout the program and everything it
//!   started are terminated.
//! * When the program exits on its own (whatever its exit code), it is restarted after
//!   `restart-delay-secs`, at most `max-restarts-per-hour` times within any hour. One more
//!   exit and the host gives up: the service stops with ERROR_SERVICE_SPECIFIC_ERROR and
//!   the program's last exit code (1 when that was 0) as the service-specific code, so
//!   the service manager's recovery actions apply.
//! * A missing or invalid configuration stops the service with ERROR_BAD_CONFIGURATION
//!   (1610); a program that cannot be started at all, with the Windows error of
//!   CreateProcess (e.g. 2, file not found).
//! * Its own messages go to `<log-dir>/<own exe stem>.log` and to the Application event
//!   log under the configured source (`report` lists the event IDs).
//!
//! `svcpack-host --run` does the same in the foreground on the current console (Ctrl-C
//! stops it), for trying a configuration out.

// Off Windows only the portable modules' tests run; their items are used by the
// Windows modules.
#![cfg_attr(not(windows), allow(dead_code))]

mod clock;
mod cmdline;
mod conf;
mod restarts;
mod rotate;

#[cfg(windows)]
mod child;
#[cfg(windows)]
mod report;
#[cfg(windows)]
mod service;
#[cfg(windows)]
mod sys;

const USAGE: &str = "svcpack-host: runs the program named in the .conf file next to this exe as a Windows service
(restarts, log capture and rotation, graceful stop). The service manager starts it; it was
installed by the package svcpack built.

usage: svcpack-host            run as the service (started by the service manager)
       svcpack-host --run      run in the foreground on this console until Ctrl-C
       svcpack-host --version
";

#[cfg(windows)]
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        None => match service::dispatch() {
            Ok(()) => {}
            Err(code) => {
                if code == sys::ERROR_FAILED_SERVICE_CONTROLLER_CONNECT {
                    eprintln!("svcpack-host: not started by the service manager\n\n{USAGE}");
                } else {
                    eprintln!(
                        "svcpack-host: cannot connect to the service manager: {}",
                        std::io::Error::from_raw_os_error(code as i32)
                    );
                }
                std::process::exit(1);
            }
        },
        Some("--run") if args.len() == 1 => std::process::exit(service::foreground() as i32),
        Some("--version") | Some("-V") => println!("svcpack-host {}", env!("CARGO_PKG_VERSION")),
        Some("--help") | Some("-h") | Some("/?") => print!("{USAGE}"),
        Some(other) => {
            eprintln!("svcpack-host: unknown argument `{other}`\n\n{USAGE}");
            std::process::exit(2);
        }
    }
}

/// The host only runs on Windows; elsewhere it builds (so its portable parts are tested
/// everywhere) and explains itself.
#[cfg(not(windows))]
fn main() {
    eprint!("svcpack-host runs on Windows only.\n\n{USAGE}");
    std::process::exit(1);
}
