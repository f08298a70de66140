//! The few Windows API functions, types and constants the host uses (kernel32, advapi32,
//! user32), declared by hand: the host has no dependencies.
#![allow(non_snake_case, non_camel_case_types, clippy::upper_case_acronyms, dead_code)]

use std::ffi::c_void;

pub type HANDLE = *mut c_void;
pub type BOOL = i32;
pub type DWORD = u32;
pub type HWND = *mut c_void;
pub type SERVICE_STATUS_HANDLE = *mut c_void;

pub const FALSE: BOOL = 0;
pub const TRUE: BOOL = 1;
pub const INFINITE: DWORD = 0xFFFF_FFFF;
pub const WAIT_OBJECT_0: DWORD = 0;
pub const WAIT_TIMEOUT: DWORD = 258;
pub const STILL_ACTIVE: DWORD = 259;

pub const NO_ERROR: DWORD = 0;
pub const ERROR_CALL_NOT_IMPLEMENTED: DWORD = 120;
pub const ERROR_SERVICE_SPECIFIC_ERROR: DWORD = 1066;
pub const ERROR_FAILED_SERVICE_CONTROLLER_CONNECT: DWORD = 1063;
pub const ERROR_BAD_CONFIGURATION: DWORD = 1610;

pub const HANDLE_FLAG_INHERIT: DWORD = 1;

pub const CREATE_SUSPENDED: DWORD = 0x0000_0004;
pub const CREATE_UNICODE_ENVIRONMENT: DWORD = 0x0000_0400;
pub const CREATE_BREAKAWAY_FROM_JOB: DWORD = 0x0100_0000;
pub const STARTF_USESTDHANDLES: DWORD = 0x0000_0100;

pub const CTRL_C_EVENT: DWORD = 0;
pub const CTRL_BREAK_EVENT: DWORD = 1;

pub const SW_HIDE: i32 = 0;

pub const SERVICE_WIN32_OWN_PROCESS: DWORD = 0x10;
pub const SERVICE_STOPPED: DWORD = 1;
pub const SERVICE_START_PENDING: DWORD = 2;
pub const SERVICE_STOP_PENDING: DWORD = 3;
pub const SERVICE_RUNNING: DWORD = 4;
pub const SERVICE_ACCEPT_STOP: DWORD = 1;
pub const SERVICE_ACCEPT_SHUTDOWN: DWORD = 4;
pub const SERVICE_CONTROL_STOP: DWORD = 1;
pub const SERVICE_CONTROL_INTERROGATE: DWORD = 4;
pub const SERVICE_CONTROL_SHUTDOWN: DWORD = 5;

pub const EVENTLOG_ERROR_TYPE: u16 = 1;
pub const EVENTLOG_WARNING_TYPE: u16 = 2;
pub const EVENTLOG_INFORMATION_TYPE: u16 = 4;

pub const JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE: DWORD = 0x2000;
pub const JOB_OBJECT_EXTENDED_LIMIT_INFORMATION_CLASS: i32 = 9;

#[repr(C)]
pub struct SECURITY_ATTRIBUTES {
    pub nLength: DWORD,
    pub lpSecurityDescriptor: *mut c_void,
    pub bInheritHandle: BOOL,
}

#[repr(C)]
pub struct STARTUPINFOW {
    pub cb: DWORD,
    pub lpReserved: *mut u16,
    pub lpDesktop: *mut u16,
    pub lpTitle: *mut u16,
    pub dwX: DWORD,
    pub dwY: DWORD,
    pub dwXSize: DWORD,
    pub dwYSize: DWORD,
    pub dwXCountChars: DWORD,
    pub dwYCountChars: DWORD,
    pub dwFillAttribute: DWORD,
    pub dwFlags: DWORD,
    pub wShowWindow: u16,
    pub cbReserved2: u16,
    pub lpReserved2: *mut u8,
    pub hStdInput: HANDLE,
    pub hStdOutput: HANDLE,
    pub hStdError: HANDLE,
}

#[repr(C)]
pub struct PROCESS_INFORMATION {
    pub hProcess: HANDLE,
    pub hThread: HANDLE,
    pub dwProcessId: DWORD,
    pub dwThreadId: DWORD,
}

#[repr(C)]
pub struct SERVICE_STATUS {
    pub dwServiceType: DWORD,
    pub dwCurrentState: DWORD,
    pub dwControlsAccepted: DWORD,
    pub dwWin32ExitCode: DWORD,
    pub dwServiceSpecificExitCode: DWORD,
    pub dwCheckPoint: DWORD,
    pub dwWaitHint: DWORD,
}

pub type ServiceMainFn = unsafe extern "system" fn(argc: DWORD, argv: *mut *mut u16);
pub type HandlerExFn = unsafe extern "system" fn(
    control: DWORD,
    event_type: DWORD,
    event_data: *mut c_void,
    context: *mut c_void,
) -> DWORD;
pub type HandlerRoutine = unsafe extern "system" fn(ctrl_type: DWORD) -> BOOL;

#[repr(C)]
pub struct SERVICE_TABLE_ENTRYW {
    pub lpServiceName: *mut u16,
    pub lpServiceProc: Option<ServiceMainFn>,
}

#[repr(C)]
pub struct JOBOBJECT_BASIC_LIMIT_INFORMATION {
    pub PerProcessUserTimeLimit: i64,
    pub PerJobUserTimeLimit: i64,
    pub LimitFlags: DWORD,
    pub MinimumWorkingSetSize: usize,
    pub MaximumWorkingSetSize: usize,
    pub ActiveProcessLimit: DWORD,
    pub Affinity: usize,
    pub PriorityClass: DWORD,
    pub SchedulingClass: DWORD,
}

#[repr(C)]
pub struct IO_COUNTERS {
    pub ReadOperationCount: u64,
    pub WriteOperationCount: u64,
    pub OtherOperationCount: u64,
    pub ReadTransferCount: u64,
    pub WriteTransferCount: u64,
    pub OtherTransferCount: u64,
}

#[repr(C)]
pub struct JOBOBJECT_EXTENDED_LIMIT_INFORMATION {
    pub BasicLimitInformation: JOBOBJECT_BASIC_LIMIT_INFORMATION,
    pub IoInfo: IO_COUNTERS,
    pub ProcessMemoryLimit: usize,
    pub JobMemoryLimit: usize,
    pub PeakProcessMemoryUsed: usize,
    pub PeakJobMemoryUsed: usize,
}

#[link(name = "kernel32")]
extern "system" {
    pub fn GetLastError() -> DWORD;
    pub fn CloseHandle(h: HANDLE) -> BOOL;
    pub fn GetModuleFileNameW(module: HANDLE, name: *mut u16, size: DWORD) -> DWORD;
    pub fn GetEnvironmentStringsW() -> *mut u16;
    pub fn FreeEnvironmentStringsW(block: *mut u16) -> BOOL;
    pub fn CreatePipe(
        read: *mut HANDLE,
        write: *mut HANDLE,
        attributes: *mut SECURITY_ATTRIBUTES,
        size: DWORD,
    ) -> BOOL;
    pub fn SetHandleInformation(h: HANDLE, mask: DWORD, flags: DWORD) -> BOOL;
    pub fn CreateProcessW(
        application: *const u16,
        command_line: *mut u16,
        process_attributes: *mut SECURITY_ATTRIBUTES,
        thread_attributes: *mut SECURITY_ATTRIBUTES,
        inherit_handles: BOOL,
        flags: DWORD,
        environment: *mut c_void,
        current_directory: *const u16,
        startup_info: *mut STARTUPINFOW,
        process_information: *mut PROCESS_INFORMATION,
    ) -> BOOL;
    pub fn ResumeThread(thread: HANDLE) -> DWORD;
    pub fn TerminateProcess(process: HANDLE, exit_code: u32) -> BOOL;
    pub fn GetExitCodeProcess(process: HANDLE, exit_code: *mut DWORD) -> BOOL;
    pub fn WaitForSingleObject(h: HANDLE, millis: DWORD) -> DWORD;
    pub fn WaitForMultipleObjects(
        count: DWORD,
        handles: *const HANDLE,
        wait_all: BOOL,
        millis: DWORD,
    ) -> DWORD;
    pub fn CreateEventW(
        attributes: *mut SECURITY_ATTRIBUTES,
        manual_reset: BOOL,
        initial_state: BOOL,
        name: *const u16,
    ) -> HANDLE;
    pub fn SetEvent(h: HANDLE) -> BOOL;
    pub fn CreateJobObjectW(attributes: *mut SECURITY_ATTRIBUTES, name: *const u16) -> HANDLE;
    pub fn SetInformationJobObject(
        job: HANDLE,
        class: i32,
        info: *mut c_void,
        length: DWORD,
    ) -> BOOL;
    pub fn AssignProcessToJobObject(job: HANDLE, process: HANDLE) -> BOOL;
    pub fn TerminateJobObject(job: HANDLE, exit_code: u32) -> BOOL;
    pub fn AllocConsole() -> BOOL;
    pub fn GetConsoleWindow() -> HWND;
    pub fn SetConsoleCtrlHandler(handler: Option<HandlerRoutine>, add: BOOL) -> BOOL;
    pub fn GenerateConsoleCtrlEvent(event: DWORD, process_group: DWORD) -> BOOL;
}

#[link(name = "advapi32")]
extern "system" {
    pub fn StartServiceCtrlDispatcherW(table: *const SERVICE_TABLE_ENTRYW) -> BOOL;
    pub fn RegisterServiceCtrlHandlerExW(
        name: *const u16,
        handler: Option<HandlerExFn>,
        context: *mut c_void,
    ) -> SERVICE_STATUS_HANDLE;
    pub fn SetServiceStatus(handle: SERVICE_STATUS_HANDLE, status: *mut SERVICE_STATUS) -> BOOL;
    pub fn RegisterEventSourceW(server: *const u16, source: *const u16) -> HANDLE;
    pub fn ReportEventW(
        log: HANDLE,
        kind: u16,
        category: u16,
        event_id: DWORD,
        user_sid: *mut c_void,
        num_strings: u16,
        data_size: DWORD,
        strings: *const *const u16,
        raw_data: *mut c_void,
    ) -> BOOL;
    pub fn DeregisterEventSource(log: HANDLE) -> BOOL;
}

#[link(name = "user32")]
extern "system" {
    pub fn ShowWindow(window: HWND, command: i32) -> BOOL;
}

/// `s` as a NUL-terminated UTF-16 string.
pub fn wide(s: &str) -> Vec<u16> {
    s.encode_utf16().chain(std::iter::once(0)).collect()
}

/// `p` as a NUL-terminated UTF-16 string (lossless for any Windows path).
pub fn wide_os(p: &std::ffi::OsStr) -> Vec<u16> {
    use std::os::windows::ffi::OsStrExt;
    p.encode_wide().chain(std::iter::once(0)).collect()
}

/// A handle closed when dropped.
pub struct Owned(pub HANDLE);

impl Owned {
    pub fn get(&self) -> HANDLE {
        self.0
    }
}

impl Drop for Owned {
    fn drop(&mut self) {
        if !self.0.is_null() {
            unsafe {
                CloseHandle(self.0);
            }
        }
    }
}

// Kernel handles may be used from any thread.
unsafe impl Send for Owned {}
unsafe impl Sync for Owned {}
