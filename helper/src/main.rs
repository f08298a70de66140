//! svcpack-helper: the program svcpack's MSIs run as custom actions (from the Binary
//! table, deferred and not impersonated, so as LocalSystem on Windows).
//!
//! svcpack carries this source and builds it with the same cargo and target as the
//! packaged program; it has no dependencies and builds with Rust 1.63.
//!
//! * `configure ...` applies the service's settings with ChangeServiceConfig2W (failure
//!   actions, their non-crash flag, delayed auto-start, SID type, required privileges,
//!   pre-shutdown timeout), after InstallServices and before StartServices. Windows
//!   Installer's own MsiConfigureServices is documented as not working as expected.
//! * `stop ...` stops the service and waits until its processes have exited, before
//!   StopServices, so an upgrade's files are never in use (which would need a reboot).
//! * `firewall-add ...` / `firewall-remove ...` replace or delete the package's inbound
//!   firewall rules with `netsh advfirewall firewall` (see `firewall`).
//! * `--print` before any of them prints the calls it would make and touches nothing.
//!
//! `settings` documents the command lines. Each call is printed on stdout. The exit code
//! is 0 on success, else the Windows error code of the call that failed (Windows
//! Installer's log shows it: "CustomAction ... returned actual error code N"), or 87
//! (ERROR_INVALID_PARAMETER) for a command line it cannot read.

#![cfg_attr(not(windows), allow(dead_code))]

#[allow(dead_code)]
mod settings;

#[allow(dead_code)]
mod firewall;

#[cfg(windows)]
mod scm;

use settings::Request;

const ERROR_INVALID_PARAMETER: i32 = 87;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if matches!(
        args.first().map(String::as_str),
        Some("--help") | Some("-h") | Some("/?")
    ) {
        println!("svcpack-helper {}: run by svcpack's installers; see the package's documentation", env!("CARGO_PKG_VERSION"));
        return;
    }
    if let Some(code) = firewall_main(&args) {
        std::process::exit(code);
    }
    let (request, print) = match settings::parse(&args) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("svcpack-helper: {e}");
            std::process::exit(ERROR_INVALID_PARAMETER);
        }
    };
    if print {
        for line in describe(&request) {
            println!("{line}");
        }
        return;
    }
    std::process::exit(run(&request));
}

/// Runs a firewall command (`None`: the arguments are not one): its exit code.
fn firewall_main(args: &[String]) -> Option<i32> {
    let print = args.first().map(String::as_str) == Some("--print");
    let rest = if print { &args[1..] } else { args };
    let verb = rest.first().filter(|v| firewall::is_verb(v))?;
    let request = match firewall::parse(verb, &rest[1..]) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("svcpack-helper: {e}");
            return Some(ERROR_INVALID_PARAMETER);
        }
    };
    if print {
        for (call, checked) in request.calls() {
            let note = if checked { "" } else { " (a failure is a warning)" };
            println!("{}{note}", firewall::describe(&call));
        }
        return Some(0);
    }
    Some(run_firewall(&request))
}

#[cfg(windows)]
fn run_firewall(request: &firewall::Request) -> i32 {
    firewall::run(request)
}

#[cfg(not(windows))]
fn run_firewall(_: &firewall::Request) -> i32 {
    eprintln!("svcpack-helper runs on Windows only (use --print to see what it would do)");
    1
}

/// The request as the lines `--print` shows.
fn describe(request: &Request) -> Vec<String> {
    match request {
        Request::Configure(s) => settings::calls(s)
            .iter()
            .map(|c| format!("{}: {}", s.service, c.describe()))
            .collect(),
        Request::Stop {
            service,
            timeout_ms,
        } => vec![format!(
            "{service}: stop, then wait at most {timeout_ms} ms for its processes to exit"
        )],
    }
}

#[cfg(windows)]
fn run(request: &Request) -> i32 {
    match request {
        Request::Configure(s) => {
            let calls = settings::calls(s);
            let mut report = |call: &settings::Call, outcome: &scm::Outcome| match outcome {
                scm::Outcome::Applied => println!("svcpack-helper: {}: {}: ok", s.service, call.describe()),
                scm::Outcome::Unsupported(code) => println!(
                    "svcpack-helper: warning: {}: {}: not supported by this service manager (error {code}); skipped",
                    s.service,
                    call.describe()
                ),
            };
            match scm::configure(&s.service, &calls, &mut report) {
                Ok(()) => 0,
                Err(f) => {
                    eprintln!("svcpack-helper: error: {}: {}", s.service, f.message());
                    f.code as i32
                }
            }
        }
        Request::Stop {
            service,
            timeout_ms,
        } => {
            let timeout = std::time::Duration::from_millis(u64::from(*timeout_ms));
            match scm::stop_and_wait(service, timeout) {
                Ok(scm::Stopped::NotInstalled) => {
                    println!("svcpack-helper: {service}: not installed; nothing to stop");
                }
                Ok(scm::Stopped::Exited { processes }) => {
                    println!("svcpack-helper: {service}: stopped; {processes} process(es) exited");
                }
                Ok(scm::Stopped::TimedOut { running }) => {
                    // Not fatal: Windows Installer then replaces the files at the next
                    // reboot, as it would have without this wait.
                    println!(
                        "svcpack-helper: warning: {service}: {running} process(es) still running after {timeout_ms} ms"
                    );
                }
                Err(f) => {
                    println!("svcpack-helper: warning: {service}: {}", f.message());
                }
            }
            0
        }
    }
}

/// The helper only acts on Windows; elsewhere `--print` works and everything else
/// explains itself.
#[cfg(not(windows))]
fn run(_: &Request) -> i32 {
    eprintln!("svcpack-helper runs on Windows only (use --print to see what it would do)");
    1
}
