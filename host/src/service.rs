//! The service: registration with the service manager, state reports, and the
//! supervision loop (start, watch, restart, give up, stop).

use std::ffi::{c_void, OsString};
use std::os::windows::ffi::OsStringExt;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::child::{self, Child, Launch, LogTrouble, SharedLog};
use crate::cmdline;
use crate::conf::{self, Conf};
use crate::report::{Event, Reporter};
use crate::restarts::RestartWindow;
use crate::rotate::RotatingLog;
use crate::sys;

/// Why the service stopped, as the service manager is told.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exit {
    pub win32: u32,
    pub specific: u32,
}

impl Exit {
    const OK: Exit = Exit {
        win32: sys::NO_ERROR,
        specific: 0,
    };

    fn specific(code: u32) -> Exit {
        Exit {
            win32: sys::ERROR_SERVICE_SPECIFIC_ERROR,
            specific: code,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Files next to the host

/// The host's own exe.
fn own_exe() -> Result<PathBuf, String> {
    let mut buf = vec![0u16; 512];
    loop {
        let n = unsafe {
            sys::GetModuleFileNameW(std::ptr::null_mut(), buf.as_mut_ptr(), buf.len() as u32)
        } as usize;
        if n == 0 {
            return Err(format!(
                "cannot find the host's own path: {}",
                std::io::Error::last_os_error()
            ));
        }
        if n < buf.len() {
            return Ok(PathBuf::from(OsString::from_wide(&buf[..n])));
        }
        let len = buf.len() * 2;
        buf.resize(len, 0);
    }
}

/// `path` resolved against `base` (absolute paths as they are; `.` segments dropped).
fn resolve(base: &Path, path: &str) -> PathBuf {
    let p = Path::new(path);
    if p.is_absolute() {
        return p.to_path_buf();
    }
    let mut out = base.to_path_buf();
    for c in p.components() {
        if c != Component::CurDir {
            out.push(c.as_os_str());
        }
    }
    out
}

/// The configuration and what follows from it, ready to run.
pub struct Setup {
    pub conf: Conf,
    pub program: PathBuf,
    pub working_dir: PathBuf,
    pub log_dir: PathBuf,
    pub stdout_log: PathBuf,
    pub stderr_log: PathBuf,
    pub host_log: PathBuf,
}

/// Reads `<host exe stem>.conf` next to the host.
pub fn setup() -> Result<Setup, String> {
    let exe = own_exe()?;
    let dir = exe.parent().map(Path::to_path_buf).unwrap_or_default();
    let conf_path = exe.with_extension("conf");
    let text = std::fs::read_to_string(&conf_path)
        .map_err(|e| format!("cannot read {}: {e}", conf_path.display()))?;
    let conf = conf::parse(&text).map_err(|e| format!("{}: {e}", conf_path.display()))?;
    let program = resolve(&dir, &conf.program);
    let working_dir = resolve(&dir, &conf.working_dir);
    let log_dir = resolve(&dir, &conf.log_dir);
    let program_stem = program
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "program".into());
    let host_stem = exe
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "svcpack-host".into());
    Ok(Setup {
        stdout_log: log_dir.join(format!("{program_stem}.out.log")),
        stderr_log: log_dir.join(format!("{program_stem}.err.log")),
        host_log: log_dir.join(format!("{host_stem}.log")),
        conf,
        program,
        working_dir,
        log_dir,
    })
}

// ---------------------------------------------------------------------------------------
// Service manager glue

/// Set by the control handler (stop, shutdown); waited on by the supervisor.
static STOP_EVENT: AtomicPtr<c_void> = AtomicPtr::new(std::ptr::null_mut());
/// The status handle and the last reported state.
static STATUS: Mutex<Option<StatusState>> = Mutex::new(None);

struct StatusState {
    handle: usize,
    state: u32,
    checkpoint: u32,
}

/// Reports `state` to the service manager. Pending states count their checkpoint up.
fn report_status(state: u32, wait_hint_ms: u32, exit: Exit) {
    let mut guard = match STATUS.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    };
    let s = match guard.as_mut() {
        Some(s) => s,
        None => return,
    };
    let pending = state == sys::SERVICE_START_PENDING || state == sys::SERVICE_STOP_PENDING;
    s.checkpoint = if pending { s.checkpoint + 1 } else { 0 };
    s.state = state;
    let mut status = sys::SERVICE_STATUS {
        dwServiceType: sys::SERVICE_WIN32_OWN_PROCESS,
        dwCurrentState: state,
        dwControlsAccepted: if state == sys::SERVICE_RUNNING {
            sys::SERVICE_ACCEPT_STOP | sys::SERVICE_ACCEPT_SHUTDOWN
        } else {
            0
        },
        dwWin32ExitCode: exit.win32,
        dwServiceSpecificExitCode: exit.specific,
        dwCheckPoint: s.checkpoint,
        dwWaitHint: if pending { wait_hint_ms } else { 0 },
    };
    unsafe {
        sys::SetServiceStatus(s.handle as sys::SERVICE_STATUS_HANDLE, &mut status);
    }
}

unsafe extern "system" fn control_handler(
    control: u32,
    _event_type: u32,
    _event_data: *mut c_void,
    _context: *mut c_void,
) -> u32 {
    match control {
        sys::SERVICE_CONTROL_STOP | sys::SERVICE_CONTROL_SHUTDOWN => {
            let event = STOP_EVENT.load(Ordering::SeqCst);
            if !event.is_null() {
                sys::SetEvent(event);
            }
            sys::NO_ERROR
        }
        sys::SERVICE_CONTROL_INTERROGATE => sys::NO_ERROR,
        _ => sys::ERROR_CALL_NOT_IMPLEMENTED,
    }
}

/// The host's console handler: the program's console events are not the host's business
/// (as a service it stops on the service manager's request only).
unsafe extern "system" fn ignore_console_events(_ctrl: u32) -> sys::BOOL {
    sys::TRUE
}

/// In the foreground, Ctrl-C, Ctrl-Break and closing the console stop the host.
unsafe extern "system" fn stop_on_console_events(_ctrl: u32) -> sys::BOOL {
    let event = STOP_EVENT.load(Ordering::SeqCst);
    if !event.is_null() {
        sys::SetEvent(event);
    }
    sys::TRUE
}

/// Wide NUL-terminated string to OsString.
unsafe fn from_wide_ptr(p: *const u16) -> OsString {
    if p.is_null() {
        return OsString::new();
    }
    let mut len = 0;
    while *p.add(len) != 0 {
        len += 1;
    }
    OsString::from_wide(std::slice::from_raw_parts(p, len))
}

unsafe extern "system" fn service_main(argc: u32, argv: *mut *mut u16) {
    let mut args: Vec<OsString> = Vec::new();
    for i in 0..argc as usize {
        args.push(from_wide_ptr(*argv.add(i)));
    }
    let name = args.first().cloned().unwrap_or_default();
    let name_w = sys::wide_os(&name);
    let handle = sys::RegisterServiceCtrlHandlerExW(
        name_w.as_ptr(),
        Some(control_handler),
        std::ptr::null_mut(),
    );
    if handle.is_null() {
        return;
    }
    if let Ok(mut g) = STATUS.lock() {
        *g = Some(StatusState {
            handle: handle as usize,
            state: sys::SERVICE_START_PENDING,
            checkpoint: 0,
        });
    }
    report_status(sys::SERVICE_START_PENDING, 10_000, Exit::OK);
    let extra: Vec<String> = args
        .iter()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let exit = run(false, &name.to_string_lossy(), &extra);
    report_status(sys::SERVICE_STOPPED, 0, exit);
}

/// Runs as a service: returns when the service stopped. `Err` when the process was not
/// started by the service manager.
pub fn dispatch() -> Result<(), u32> {
    // Own-process services may register under any name; the configured one is tidier.
    let name = setup().map(|s| s.conf.service).unwrap_or_default();
    let mut name_w = sys::wide(&name);
    let table = [
        sys::SERVICE_TABLE_ENTRYW {
            lpServiceName: name_w.as_mut_ptr(),
            lpServiceProc: Some(service_main),
        },
        sys::SERVICE_TABLE_ENTRYW {
            lpServiceName: std::ptr::null_mut(),
            lpServiceProc: None,
        },
    ];
    if unsafe { sys::StartServiceCtrlDispatcherW(table.as_ptr()) } == sys::FALSE {
        return Err(unsafe { sys::GetLastError() });
    }
    Ok(())
}

/// Runs in the foreground on the current console until Ctrl-C (`--run`).
pub fn foreground() -> u32 {
    let exit = run(true, "", &[]);
    if exit == Exit::OK {
        0
    } else if exit.win32 == sys::ERROR_SERVICE_SPECIFIC_ERROR {
        exit.specific
    } else {
        exit.win32
    }
}

// ---------------------------------------------------------------------------------------
// Supervision

/// Sets up logs and console, then supervises the program until a stop or giving up.
fn run(foreground: bool, service_name: &str, extra_args: &[String]) -> Exit {
    // Never closed: the control handler may still signal it until the process ends.
    let stop = unsafe {
        sys::CreateEventW(
            std::ptr::null_mut(),
            sys::TRUE,
            sys::FALSE,
            std::ptr::null(),
        )
    };
    if stop.is_null() {
        return Exit {
            win32: unsafe { sys::GetLastError() },
            specific: 0,
        };
    }
    STOP_EVENT.store(stop, Ordering::SeqCst);

    let setup = match setup() {
        Ok(s) => s,
        Err(e) => {
            let source = if service_name.is_empty() { None } else { Some(service_name) };
            let r = Reporter::new(None, source, foreground);
            r.event(Event::BadConfig, &e);
            return Exit {
                win32: sys::ERROR_BAD_CONFIGURATION,
                specific: 0,
            };
        }
    };
    let conf = &setup.conf;
    let dir_result = std::fs::create_dir_all(&setup.log_dir);
    let (host_log, host_log_error) =
        match RotatingLog::open(&setup.host_log, conf.log_max_bytes, conf.log_keep) {
            Ok(l) => (Some(l), None),
            Err(e) => (None, Some(e)),
        };
    let reporter = Reporter::new(host_log, conf.event_source.as_deref(), foreground);
    if let Some(e) = host_log_error {
        reporter.event(
            Event::Trouble,
            &format!("cannot open the host log {}: {e}", setup.host_log.display()),
        );
    }
    let open = |p: &Path| -> Result<SharedLog, String> {
        RotatingLog::open(p, conf.log_max_bytes, conf.log_keep)
            .map(|l| Arc::new(Mutex::new(l)))
            .map_err(|e| format!("cannot open the log {}: {e}", p.display()))
    };
    let logs = match (dir_result, open(&setup.stdout_log), open(&setup.stderr_log)) {
        (Ok(()), Ok(out), Ok(err)) => (out, err),
        (dir, out, err) => {
            let mut why = Vec::new();
            if let Err(e) = dir {
                why.push(format!("cannot create the log folder {}: {e}", setup.log_dir.display()));
            }
            why.extend(out.err());
            why.extend(err.err());
            reporter.event(Event::CannotStart, &why.join("; "));
            return Exit {
                win32: sys::ERROR_BAD_CONFIGURATION,
                specific: 0,
            };
        }
    };

    // The program shares the host's console, so console control events reach it. A
    // service has no console: make one (never shown). In the foreground, use ours.
    unsafe {
        if sys::AllocConsole() != sys::FALSE {
            let window = sys::GetConsoleWindow();
            if !window.is_null() {
                sys::ShowWindow(window, sys::SW_HIDE);
            }
        }
        // Normal Ctrl-C processing, inherited by the program whatever the host inherited.
        sys::SetConsoleCtrlHandler(None, sys::FALSE);
        let handler: sys::HandlerRoutine = if foreground {
            stop_on_console_events
        } else {
            ignore_console_events
        };
        sys::SetConsoleCtrlHandler(Some(handler), sys::TRUE);
    }

    let mut args = conf.args.clone();
    args.extend(extra_args.iter().cloned());
    let command_line = cmdline::command_line(&setup.program.to_string_lossy(), &args);
    let environment = {
        let block = unsafe { sys::GetEnvironmentStringsW() };
        let mut entries = Vec::new();
        if !block.is_null() {
            let mut len = 0;
            unsafe {
                // The block ends with an empty entry: two NULs in a row.
                while !(*block.add(len) == 0 && *block.add(len + 1) == 0) {
                    len += 1;
                }
                entries = cmdline::split_block(std::slice::from_raw_parts(block, len + 2));
                sys::FreeEnvironmentStringsW(block);
            }
        }
        cmdline::environment_block(&entries, &conf.env)
    };
    let trouble: LogTrouble = Arc::new(Mutex::new(Vec::new()));
    let launch = Launch {
        program: &setup.program,
        command_line: &command_line,
        working_dir: &setup.working_dir,
        environment: &environment,
        stdout: &logs.0,
        stderr: &logs.1,
        trouble: &trouble,
    };
    let supervisor = Supervisor {
        conf,
        reporter: &reporter,
        stop,
        trouble: &trouble,
        program_name: setup
            .program
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    };
    supervisor.supervise(&launch)
}

struct Supervisor<'a> {
    conf: &'a Conf,
    reporter: &'a Reporter,
    stop: sys::HANDLE,
    trouble: &'a LogTrouble,
    program_name: String,
}

impl Supervisor<'_> {
    fn stop_requested(&self, millis: u32) -> bool {
        unsafe { sys::WaitForSingleObject(self.stop, millis) == sys::WAIT_OBJECT_0 }
    }

    fn report_log_trouble(&self) {
        let msgs: Vec<String> = match self.trouble.lock() {
            Ok(mut t) => t.drain(..).collect(),
            Err(_) => Vec::new(),
        };
        for m in msgs {
            self.reporter.event(Event::Trouble, &m);
        }
    }

    fn supervise(&self, launch: &Launch<'_>) -> Exit {
        let mut window = RestartWindow::new(self.conf.max_restarts_per_hour);
        let mut started_once = false;
        let mut warned_no_job = false;
        loop {
            let code = match child::spawn(launch) {
                Ok((child, in_job)) => {
                    if !started_once {
                        started_once = true;
                        report_status(sys::SERVICE_RUNNING, 0, Exit::OK);
                    }
                    self.reporter.event(
                        Event::Started,
                        &format!(
                            "started {} (process id {}): {}",
                            self.program_name, child.pid, launch.command_line
                        ),
                    );
                    if !in_job && !warned_no_job {
                        warned_no_job = true;
                        self.reporter.event(
                            Event::Trouble,
                            "the program could not be put into a job object: processes it starts may outlive it",
                        );
                    }
                    match self.watch(child) {
                        Some(code) => code,
                        None => return Exit::OK,
                    }
                }
                Err(e) => {
                    self.reporter.event(Event::CannotStart, &e.message);
                    if !started_once {
                        return Exit {
                            win32: if e.code == 0 { sys::ERROR_BAD_CONFIGURATION } else { e.code },
                            specific: 0,
                        };
                    }
                    1
                }
            };
            self.report_log_trouble();
            if self.stop_requested(0) {
                return Exit::OK;
            }
            let exit_code = if code == 0 { 1 } else { code };
            if !window.allow(Instant::now()) {
                self.reporter.event(
                    Event::GivingUp,
                    &format!(
                        "{} exited {} time(s) within an hour, more than max-restarts-per-hour = {} allows: \
                         giving up; the service stops with exit code {exit_code} so the service manager's recovery actions apply",
                        self.program_name,
                        u64::from(self.conf.max_restarts_per_hour) + 1,
                        self.conf.max_restarts_per_hour
                    ),
                );
                return Exit::specific(exit_code);
            }
            self.reporter.event(
                Event::Restarting,
                &format!(
                    "restarting {} in {} s (restart {} of at most {} within an hour)",
                    self.program_name,
                    self.conf.restart_delay_secs,
                    window.count(),
                    self.conf.max_restarts_per_hour
                ),
            );
            let delay = self.conf.restart_delay_secs.saturating_mul(1000);
            if self.stop_requested(delay) {
                return Exit::OK;
            }
        }
    }

    /// Waits for the program to exit on its own (`Some(exit code)`) or for a stop
    /// request, which stops it (`None`).
    fn watch(&self, child: Child) -> Option<u32> {
        let handles = [child.handle(), self.stop];
        let r = unsafe { sys::WaitForMultipleObjects(2, handles.as_ptr(), sys::FALSE, sys::INFINITE) };
        if r == sys::WAIT_OBJECT_0 {
            let pid = child.pid;
            let code = child.wait(0).unwrap_or(1);
            child.finish();
            self.reporter.event(
                Event::Exited,
                &format!(
                    "{} (process id {pid}) exited with code {code} ({code:#x})",
                    self.program_name
                ),
            );
            return Some(code);
        }
        self.stop_child(child);
        None
    }

    fn stop_child(&self, child: Child) {
        let timeout_ms = self.conf.stop_timeout_secs.saturating_mul(1000);
        report_status(sys::SERVICE_STOP_PENDING, timeout_ms.saturating_add(5000), Exit::OK);
        let started = Instant::now();
        let sent = child::console_event(sys::CTRL_C_EVENT);
        let mut sent_break = false;
        let pid = child.pid;
        let code = loop {
            if let Some(code) = child.wait(500) {
                break Some(code);
            }
            let elapsed = started.elapsed().as_millis() as u64;
            if elapsed >= u64::from(timeout_ms) {
                break None;
            }
            // Some programs only handle Ctrl-Break: send it halfway through the timeout.
            if !sent_break && elapsed >= u64::from(timeout_ms / 2) {
                sent_break = true;
                child::console_event(sys::CTRL_BREAK_EVENT);
            }
            report_status(sys::SERVICE_STOP_PENDING, timeout_ms.saturating_add(5000), Exit::OK);
        };
        match code {
            Some(code) => {
                child.finish();
                self.reporter.event(
                    Event::Stopped,
                    &format!(
                        "stopped: {} (process id {pid}) exited with code {code} {:.1} s after {}",
                        self.program_name,
                        started.elapsed().as_secs_f64(),
                        if !sent {
                            "the stop request (no console event could be sent)"
                        } else if sent_break {
                            "Ctrl-C and Ctrl-Break"
                        } else {
                            "Ctrl-C"
                        }
                    ),
                );
            }
            None => {
                child.terminate();
                let _ = child.wait(5000);
                child.finish();
                self.reporter.event(
                    Event::Terminated,
                    &format!(
                        "stopped: {} (process id {pid}) did not exit within stop-timeout-secs = {} after {}; terminated",
                        self.program_name,
                        self.conf.stop_timeout_secs,
                        match (sent, sent_break) {
                            (false, _) => "the stop request (no console event could be sent)",
                            (true, true) => "Ctrl-C and Ctrl-Break",
                            (true, false) => "Ctrl-C",
                        }
                    ),
                );
            }
        }
        self.report_log_trouble();
    }
}
