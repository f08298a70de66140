//! The helper's Windows side: the advapi32/kernel32 functions it declares by hand (it has
//! no dependencies), applying [`settings::Call`]s with ChangeServiceConfig2W, and stopping
//! a service and waiting for its processes to exit.
#![allow(non_snake_case, non_camel_case_types, clippy::upper_case_acronyms)]

use std::ffi::c_void;
use std::ptr::null_mut;
use std::time::{Duration, Instant};

use crate::settings::{self, Action, Call};

type HANDLE = *mut c_void;
type SC_HANDLE = *mut c_void;
type BOOL = i32;
type DWORD = u32;

const SC_MANAGER_CONNECT: DWORD = 0x0001;
const SERVICE_CHANGE_CONFIG: DWORD = 0x0002;
const SERVICE_QUERY_STATUS: DWORD = 0x0004;
const SERVICE_START: DWORD = 0x0010;
const SERVICE_STOP: DWORD = 0x0020;
const SERVICE_CONTROL_STOP: DWORD = 1;
const SERVICE_STOPPED: DWORD = 1;
const SERVICE_STOP_PENDING: DWORD = 3;
const SC_STATUS_PROCESS_INFO: DWORD = 0;
const SYNCHRONIZE: DWORD = 0x0010_0000;
const WAIT_OBJECT_0: DWORD = 0;
const TH32CS_SNAPPROCESS: DWORD = 2;
const INVALID_HANDLE_VALUE: HANDLE = -1isize as HANDLE;
const TOKEN_ADJUST_PRIVILEGES: DWORD = 0x0020;
const TOKEN_QUERY: DWORD = 0x0008;
const SE_PRIVILEGE_ENABLED: DWORD = 2;

pub const ERROR_NOT_SUPPORTED: DWORD = 50;
pub const ERROR_CALL_NOT_IMPLEMENTED: DWORD = 120;
pub const ERROR_INVALID_LEVEL: DWORD = 124;
pub const ERROR_SERVICE_DOES_NOT_EXIST: DWORD = 1060;
pub const ERROR_SERVICE_NOT_ACTIVE: DWORD = 1062;

#[repr(C)]
struct SC_ACTION {
    Type: DWORD,
    Delay: DWORD,
}

#[repr(C)]
struct SERVICE_FAILURE_ACTIONSW {
    dwResetPeriod: DWORD,
    lpRebootMsg: *mut u16,
    lpCommand: *mut u16,
    cActions: DWORD,
    lpsaActions: *mut SC_ACTION,
}

#[repr(C)]
struct SERVICE_STATUS {
    dwServiceType: DWORD,
    dwCurrentState: DWORD,
    dwControlsAccepted: DWORD,
    dwWin32ExitCode: DWORD,
    dwServiceSpecificExitCode: DWORD,
    dwCheckPoint: DWORD,
    dwWaitHint: DWORD,
}

#[repr(C)]
#[derive(Default)]
struct SERVICE_STATUS_PROCESS {
    dwServiceType: DWORD,
    dwCurrentState: DWORD,
    dwControlsAccepted: DWORD,
    dwWin32ExitCode: DWORD,
    dwServiceSpecificExitCode: DWORD,
    dwCheckPoint: DWORD,
    dwWaitHint: DWORD,
    dwProcessId: DWORD,
    dwServiceFlags: DWORD,
}

#[repr(C)]
struct PROCESSENTRY32W {
    dwSize: DWORD,
    cntUsage: DWORD,
    th32ProcessID: DWORD,
    th32DefaultHeapID: usize,
    th32ModuleID: DWORD,
    cntThreads: DWORD,
    th32ParentProcessID: DWORD,
    pcPriClassBase: i32,
    dwFlags: DWORD,
    szExeFile: [u16; 260],
}

#[repr(C)]
struct LUID {
    LowPart: DWORD,
    HighPart: i32,
}

#[repr(C)]
struct TOKEN_PRIVILEGES {
    PrivilegeCount: DWORD,
    Luid: LUID,
    Attributes: DWORD,
}

#[link(name = "advapi32")]
extern "system" {
    fn OpenSCManagerW(machine: *const u16, database: *const u16, access: DWORD) -> SC_HANDLE;
    fn OpenServiceW(scm: SC_HANDLE, name: *const u16, access: DWORD) -> SC_HANDLE;
    fn CloseServiceHandle(h: SC_HANDLE) -> BOOL;
    fn ChangeServiceConfig2W(service: SC_HANDLE, level: DWORD, info: *mut c_void) -> BOOL;
    fn QueryServiceStatusEx(
        service: SC_HANDLE,
        level: DWORD,
        buffer: *mut u8,
        size: DWORD,
        needed: *mut DWORD,
    ) -> BOOL;
    fn ControlService(service: SC_HANDLE, control: DWORD, status: *mut SERVICE_STATUS) -> BOOL;
    fn OpenProcessToken(process: HANDLE, access: DWORD, token: *mut HANDLE) -> BOOL;
    fn LookupPrivilegeValueW(system: *const u16, name: *const u16, luid: *mut LUID) -> BOOL;
    fn AdjustTokenPrivileges(
        token: HANDLE,
        disable_all: BOOL,
        new: *mut TOKEN_PRIVILEGES,
        len: DWORD,
        previous: *mut c_void,
        returned: *mut DWORD,
    ) -> BOOL;
}

#[link(name = "kernel32")]
extern "system" {
    fn GetLastError() -> DWORD;
    fn CloseHandle(h: HANDLE) -> BOOL;
    fn GetCurrentProcess() -> HANDLE;
    fn OpenProcess(access: DWORD, inherit: BOOL, pid: DWORD) -> HANDLE;
    fn WaitForSingleObject(h: HANDLE, ms: DWORD) -> DWORD;
    fn CreateToolhelp32Snapshot(flags: DWORD, pid: DWORD) -> HANDLE;
    fn Process32FirstW(snapshot: HANDLE, entry: *mut PROCESSENTRY32W) -> BOOL;
    fn Process32NextW(snapshot: HANDLE, entry: *mut PROCESSENTRY32W) -> BOOL;
}

/// A Windows error: the function that failed and GetLastError's code.
pub struct Failure {
    pub what: String,
    pub code: DWORD,
}

impl Failure {
    fn last(what: String) -> Failure {
        Failure {
            what,
            code: unsafe { GetLastError() },
        }
    }

    pub fn message(&self) -> String {
        format!(
            "{} failed: {}",
            self.what,
            std::io::Error::from_raw_os_error(self.code as i32)
        )
    }
}

/// A service-manager handle, closed when dropped.
struct Sc(SC_HANDLE);

impl Drop for Sc {
    fn drop(&mut self) {
        unsafe { CloseServiceHandle(self.0) };
    }
}

/// A kernel handle, closed when dropped.
struct Handle(HANDLE);

impl Drop for Handle {
    fn drop(&mut self) {
        unsafe { CloseHandle(self.0) };
    }
}

fn open_service(name: &str, access: DWORD) -> Result<Sc, Failure> {
    let scm = unsafe { OpenSCManagerW(null_mut(), null_mut(), SC_MANAGER_CONNECT) };
    if scm.is_null() {
        return Err(Failure::last("OpenSCManagerW".into()));
    }
    let scm = Sc(scm);
    let wname = settings::wide(name);
    let svc = unsafe { OpenServiceW(scm.0, wname.as_ptr(), access) };
    if svc.is_null() {
        return Err(Failure::last(format!("OpenServiceW({name:?})")));
    }
    Ok(Sc(svc))
}

/// Whether a failed ChangeServiceConfig2W means the service manager does not implement the
/// info level at all, rather than that the setting was refused.
///
/// Microsoft's "ChangeServiceConfig2W function (winsvc.h)" page lists, for each
/// dwInfoLevel, the first Windows version that supports it: every level used here exists
/// since Windows Vista / Server 2008 (so on Windows 7 / Server 2008 R2 and later), and
/// an SCM without a level answers ERROR_INVALID_LEVEL ("The system call level is not
/// correct"). Wine's service manager answers the same, or ERROR_CALL_NOT_IMPLEMENTED,
/// for the levels it lacks. Only those codes mean "not supported here" and are warnings;
/// every other error (access denied, invalid parameter, marked for deletion, ...) fails
/// the install.
pub fn unsupported(code: DWORD) -> bool {
    matches!(
        code,
        ERROR_INVALID_LEVEL | ERROR_CALL_NOT_IMPLEMENTED | ERROR_NOT_SUPPORTED
    )
}

/// What became of one call.
pub enum Outcome {
    Applied,
    Unsupported(DWORD),
}

/// Applies `calls` to `service` in order, stopping at the first real failure.
pub fn configure(
    service: &str,
    calls: &[Call],
    report: &mut dyn FnMut(&Call, &Outcome),
) -> Result<(), Failure> {
    // SERVICE_START: "to set SC_ACTION_RESTART, the handle must have SERVICE_START access"
    // (SERVICE_FAILURE_ACTIONSW structure page).
    let svc = open_service(service, SERVICE_CHANGE_CONFIG | SERVICE_START)?;
    let reboots = calls.iter().any(|c| match c {
        Call::FailureActions { actions, .. } => actions.iter().any(|(a, _)| *a == Action::Reboot),
        _ => false,
    });
    if reboots {
        // "If this value is SC_ACTION_REBOOT, the caller must have the SE_SHUTDOWN_NAME
        // privilege" (SERVICE_FAILURE_ACTIONSW structure): LocalSystem holds it disabled.
        enable_privilege("SeShutdownPrivilege");
    }
    for call in calls {
        let ok = apply(svc.0, call);
        if ok {
            report(call, &Outcome::Applied);
            continue;
        }
        let code = unsafe { GetLastError() };
        if unsupported(code) {
            report(call, &Outcome::Unsupported(code));
            continue;
        }
        return Err(Failure {
            what: call.describe(),
            code,
        });
    }
    Ok(())
}

fn apply(svc: SC_HANDLE, call: &Call) -> bool {
    let level = call.level();
    let done = match call {
        Call::FailureActions {
            reset_secs,
            reboot_message,
            command,
            actions,
        } => {
            let mut msg = settings::wide(reboot_message);
            let mut cmd = settings::wide(command);
            let mut list: Vec<SC_ACTION> = actions
                .iter()
                .map(|(a, ms)| SC_ACTION {
                    Type: a.code(),
                    Delay: *ms,
                })
                .collect();
            // A non-null array with cActions 0 deletes the actions (an empty Vec's
            // pointer is dangling but non-null and never read).
            let mut info = SERVICE_FAILURE_ACTIONSW {
                dwResetPeriod: *reset_secs,
                lpRebootMsg: msg.as_mut_ptr(),
                lpCommand: cmd.as_mut_ptr(),
                cActions: list.len() as DWORD,
                lpsaActions: list.as_mut_ptr(),
            };
            unsafe { ChangeServiceConfig2W(svc, level, &mut info as *mut _ as *mut c_void) }
        }
        Call::FailureActionsFlag(b) | Call::DelayedAutoStart(b) => {
            let mut v: BOOL = i32::from(*b);
            unsafe { ChangeServiceConfig2W(svc, level, &mut v as *mut _ as *mut c_void) }
        }
        Call::SidType(t) => {
            let mut v: DWORD = t.code();
            unsafe { ChangeServiceConfig2W(svc, level, &mut v as *mut _ as *mut c_void) }
        }
        Call::RequiredPrivileges(list) => {
            let mut msz = settings::multi_sz(list);
            let mut p: *mut u16 = msz.as_mut_ptr();
            unsafe { ChangeServiceConfig2W(svc, level, &mut p as *mut _ as *mut c_void) }
        }
        Call::Preshutdown(ms) => {
            let mut v: DWORD = *ms;
            unsafe { ChangeServiceConfig2W(svc, level, &mut v as *mut _ as *mut c_void) }
        }
    };
    done != 0
}

fn enable_privilege(name: &str) {
    unsafe {
        let mut token: HANDLE = null_mut();
        if OpenProcessToken(
            GetCurrentProcess(),
            TOKEN_ADJUST_PRIVILEGES | TOKEN_QUERY,
            &mut token,
        ) == 0
        {
            return;
        }
        let token = Handle(token);
        let wname = settings::wide(name);
        let mut tp = TOKEN_PRIVILEGES {
            PrivilegeCount: 1,
            Luid: LUID {
                LowPart: 0,
                HighPart: 0,
            },
            Attributes: SE_PRIVILEGE_ENABLED,
        };
        if LookupPrivilegeValueW(null_mut(), wname.as_ptr(), &mut tp.Luid) == 0 {
            return;
        }
        // A failure shows up as ChangeServiceConfig2W's own error.
        AdjustTokenPrivileges(token.0, 0, &mut tp, 0, null_mut(), null_mut());
    }
}

/// What [`stop_and_wait`] found.
pub enum Stopped {
    /// No such service (a first install): nothing to wait for.
    NotInstalled,
    /// The service was stopped and every process waited for has exited.
    Exited { processes: usize },
    /// The wait ran out with processes still running.
    TimedOut { running: usize },
}

/// Stops `service` and waits, at most `timeout`, until its process and every process it
/// started (a hosted program, which its job object kills) have exited: only then are the
/// service's files free to be replaced. A service reports SERVICE_STOPPED before its
/// process has exited, which the service manager's own stop (StopServices) waits for
/// and no more.
pub fn stop_and_wait(service: &str, timeout: Duration) -> Result<Stopped, Failure> {
    let svc = match open_service(service, SERVICE_STOP | SERVICE_QUERY_STATUS) {
        Ok(s) => s,
        Err(f) if f.code == ERROR_SERVICE_DOES_NOT_EXIST => return Ok(Stopped::NotInstalled),
        Err(f) => return Err(f),
    };
    let deadline = Instant::now() + timeout;
    let status = query(&svc)?;
    // The handles are opened while the service still runs, so its pid names its process.
    let mut handles: Vec<Handle> = Vec::new();
    if status.dwProcessId != 0 {
        let mut pids = vec![status.dwProcessId];
        pids.extend(descendants(status.dwProcessId));
        for pid in pids {
            let h = unsafe { OpenProcess(SYNCHRONIZE, 0, pid) };
            if !h.is_null() {
                handles.push(Handle(h));
            }
        }
    }
    if status.dwCurrentState != SERVICE_STOPPED && status.dwCurrentState != SERVICE_STOP_PENDING {
        let mut st = SERVICE_STATUS {
            dwServiceType: 0,
            dwCurrentState: 0,
            dwControlsAccepted: 0,
            dwWin32ExitCode: 0,
            dwServiceSpecificExitCode: 0,
            dwCheckPoint: 0,
            dwWaitHint: 0,
        };
        if unsafe { ControlService(svc.0, SERVICE_CONTROL_STOP, &mut st) } == 0 {
            let code = unsafe { GetLastError() };
            // Not running any more, or not yet accepting controls (start pending): the
            // wait below covers both.
            if code != ERROR_SERVICE_NOT_ACTIVE {
                println!(
                    "svcpack-helper: {service}: {}; waiting anyway",
                    Failure {
                        what: "ControlService(SERVICE_CONTROL_STOP)".into(),
                        code
                    }
                    .message()
                );
            }
        }
    }
    while Instant::now() < deadline {
        match query(&svc) {
            Ok(s) if s.dwCurrentState == SERVICE_STOPPED => break,
            Ok(_) => std::thread::sleep(Duration::from_millis(100)),
            Err(_) => break,
        }
    }
    let mut running = 0;
    for h in &handles {
        let left = deadline.saturating_duration_since(Instant::now());
        let ms = left.as_millis().min(u128::from(u32::MAX - 1)) as DWORD;
        if unsafe { WaitForSingleObject(h.0, ms) } != WAIT_OBJECT_0 {
            running += 1;
        }
    }
    if running > 0 {
        Ok(Stopped::TimedOut { running })
    } else {
        Ok(Stopped::Exited {
            processes: handles.len(),
        })
    }
}

fn query(svc: &Sc) -> Result<SERVICE_STATUS_PROCESS, Failure> {
    let mut status = SERVICE_STATUS_PROCESS::default();
    let mut needed: DWORD = 0;
    let ok = unsafe {
        QueryServiceStatusEx(
            svc.0,
            SC_STATUS_PROCESS_INFO,
            &mut status as *mut _ as *mut u8,
            std::mem::size_of::<SERVICE_STATUS_PROCESS>() as DWORD,
            &mut needed,
        )
    };
    if ok == 0 {
        return Err(Failure::last("QueryServiceStatusEx".into()));
    }
    Ok(status)
}

/// The processes started by `root`, and by those, and so on (a snapshot's parent links).
fn descendants(root: DWORD) -> Vec<DWORD> {
    let snap = unsafe { CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0) };
    if snap == INVALID_HANDLE_VALUE || snap.is_null() {
        return Vec::new();
    }
    let snap = Handle(snap);
    let mut links: Vec<(DWORD, DWORD)> = Vec::new();
    let mut entry = PROCESSENTRY32W {
        dwSize: std::mem::size_of::<PROCESSENTRY32W>() as DWORD,
        cntUsage: 0,
        th32ProcessID: 0,
        th32DefaultHeapID: 0,
        th32ModuleID: 0,
        cntThreads: 0,
        th32ParentProcessID: 0,
        pcPriClassBase: 0,
        dwFlags: 0,
        szExeFile: [0; 260],
    };
    let mut more = unsafe { Process32FirstW(snap.0, &mut entry) } != 0;
    while more {
        links.push((entry.th32ProcessID, entry.th32ParentProcessID));
        more = unsafe { Process32NextW(snap.0, &mut entry) } != 0;
    }
    let mut found: Vec<DWORD> = Vec::new();
    let mut frontier = vec![root];
    while let Some(parent) = frontier.pop() {
        for (pid, ppid) in &links {
            if *ppid == parent && *pid != root && *pid != 0 && !found.contains(pid) {
                found.push(*pid);
                frontier.push(*pid);
            }
        }
    }
    found
}
