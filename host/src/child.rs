//! Starting, watching and stopping the program.
//!
//! The program runs on the host's console (so console control events reach it), with
//! stdin from `NUL` and stdout/stderr through pipes whose reader threads append to the
//! rotating logs. It is started suspended, put into a job object that kills everything in
//! it when closed (so neither a crash of the host nor a stop leaves the program or its own
//! child processes behind), and then resumed.

use std::ffi::c_void;
use std::fs::File;
use std::io::Read;
use std::os::windows::io::{AsRawHandle, FromRawHandle};
use std::path::Path;
use std::sync::mpsc::{channel, Receiver};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::rotate::RotatingLog;
use crate::sys::{self, Owned};

/// A log shared by the reader threads of every run of the program.
pub type SharedLog = Arc<Mutex<RotatingLog>>;

/// What a reader thread reports when a log write fails (once per reader).
pub type LogTrouble = Arc<Mutex<Vec<String>>>;

/// A running (or exited) program.
pub struct Child {
    process: Owned,
    job: Option<Owned>,
    pub pid: u32,
    readers: Vec<Receiver<()>>,
}

/// A Windows error code with what was being done.
#[derive(Debug)]
pub struct SpawnError {
    pub code: u32,
    pub message: String,
}

fn last_error(what: &str) -> SpawnError {
    let code = unsafe { sys::GetLastError() };
    SpawnError {
        code,
        message: format!("{what}: {}", std::io::Error::from_raw_os_error(code as i32)),
    }
}

/// Everything needed to start the program.
pub struct Launch<'a> {
    pub program: &'a Path,
    pub command_line: &'a str,
    pub working_dir: &'a Path,
    /// A CREATE_UNICODE_ENVIRONMENT block.
    pub environment: &'a [u16],
    pub stdout: &'a SharedLog,
    pub stderr: &'a SharedLog,
    pub trouble: &'a LogTrouble,
}

/// An inheritable pipe: the read end stays with the host, the write end goes to the child.
fn pipe() -> Result<(File, Owned), SpawnError> {
    let mut sa = sys::SECURITY_ATTRIBUTES {
        nLength: std::mem::size_of::<sys::SECURITY_ATTRIBUTES>() as u32,
        lpSecurityDescriptor: std::ptr::null_mut(),
        bInheritHandle: sys::TRUE,
    };
    let mut read: sys::HANDLE = std::ptr::null_mut();
    let mut write: sys::HANDLE = std::ptr::null_mut();
    if unsafe { sys::CreatePipe(&mut read, &mut write, &mut sa, 0) } == sys::FALSE {
        return Err(last_error("cannot create a pipe"));
    }
    let read_file = unsafe { File::from_raw_handle(read as _) };
    let write = Owned(write);
    if unsafe { sys::SetHandleInformation(read, sys::HANDLE_FLAG_INHERIT, 0) } == sys::FALSE {
        return Err(last_error("cannot configure a pipe"));
    }
    Ok((read_file, write))
}

/// Copies everything from `pipe` into `log` until the last writer closes it.
fn reader(mut pipe: File, log: SharedLog, trouble: LogTrouble) -> Receiver<()> {
    let (done, rx) = channel();
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 64 * 1024];
        let mut reported = false;
        loop {
            match pipe.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let result = match log.lock() {
                        Ok(mut l) => l.write(&buf[..n]),
                        Err(poisoned) => poisoned.into_inner().write(&buf[..n]),
                    };
                    if let Err(e) = result {
                        if !reported {
                            reported = true;
                            if let Ok(mut t) = trouble.lock() {
                                t.push(e.to_string());
                            }
                        }
                    }
                }
            }
        }
        let _ = done.send(());
    });
    rx
}

fn job() -> Option<Owned> {
    let job = unsafe { sys::CreateJobObjectW(std::ptr::null_mut(), std::ptr::null()) };
    if job.is_null() {
        return None;
    }
    let job = Owned(job);
    let mut info: sys::JOBOBJECT_EXTENDED_LIMIT_INFORMATION = unsafe { std::mem::zeroed() };
    info.BasicLimitInformation.LimitFlags = sys::JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
    let ok = unsafe {
        sys::SetInformationJobObject(
            job.get(),
            sys::JOB_OBJECT_EXTENDED_LIMIT_INFORMATION_CLASS,
            &mut info as *mut _ as *mut c_void,
            std::mem::size_of::<sys::JOBOBJECT_EXTENDED_LIMIT_INFORMATION>() as u32,
        )
    };
    if ok == sys::FALSE {
        return None;
    }
    Some(job)
}

/// Starts the program. `Ok` also reports whether it could be put into a job object.
pub fn spawn(l: &Launch<'_>) -> Result<(Child, bool), SpawnError> {
    let (out_read, out_write) = pipe()?;
    let (err_read, err_write) = pipe()?;
    let nul = std::fs::OpenOptions::new()
        .read(true)
        .open("NUL")
        .map_err(|e| SpawnError {
            code: e.raw_os_error().unwrap_or(0) as u32,
            message: format!("cannot open NUL for the program's stdin: {e}"),
        })?;
    let stdin = nul.as_raw_handle() as sys::HANDLE;
    unsafe {
        sys::SetHandleInformation(stdin, sys::HANDLE_FLAG_INHERIT, sys::HANDLE_FLAG_INHERIT);
    }

    let mut si: sys::STARTUPINFOW = unsafe { std::mem::zeroed() };
    si.cb = std::mem::size_of::<sys::STARTUPINFOW>() as u32;
    si.dwFlags = sys::STARTF_USESTDHANDLES;
    si.hStdInput = stdin;
    si.hStdOutput = out_write.get();
    si.hStdError = err_write.get();
    let mut pi: sys::PROCESS_INFORMATION = unsafe { std::mem::zeroed() };
    let app = sys::wide_os(l.program.as_os_str());
    let mut cmd = sys::wide(l.command_line);
    let cwd = sys::wide_os(l.working_dir.as_os_str());
    let mut env = l.environment.to_vec();
    let ok = unsafe {
        sys::CreateProcessW(
            app.as_ptr(),
            cmd.as_mut_ptr(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            sys::TRUE,
            sys::CREATE_UNICODE_ENVIRONMENT | sys::CREATE_SUSPENDED,
            env.as_mut_ptr() as *mut c_void,
            cwd.as_ptr(),
            &mut si,
            &mut pi,
        )
    };
    // The child has its copies now; ours must go, or the pipes never report the end.
    drop(out_write);
    drop(err_write);
    drop(nul);
    if ok == sys::FALSE {
        return Err(last_error(&format!(
            "cannot start {} in {}",
            l.program.display(),
            l.working_dir.display()
        )));
    }
    let process = Owned(pi.hProcess);
    let thread = Owned(pi.hThread);
    let job = job().filter(|j| unsafe { sys::AssignProcessToJobObject(j.get(), process.get()) } != sys::FALSE);
    let in_job = job.is_some();
    unsafe {
        sys::ResumeThread(thread.get());
    }
    let readers = vec![
        reader(out_read, l.stdout.clone(), l.trouble.clone()),
        reader(err_read, l.stderr.clone(), l.trouble.clone()),
    ];
    Ok((
        Child {
            process,
            job,
            pid: pi.dwProcessId,
            readers,
        },
        in_job,
    ))
}

impl Child {
    /// The process handle, to wait on.
    pub fn handle(&self) -> sys::HANDLE {
        self.process.get()
    }

    /// Waits up to `millis` for the program to exit; its exit code once it has.
    pub fn wait(&self, millis: u32) -> Option<u32> {
        if unsafe { sys::WaitForSingleObject(self.process.get(), millis) } != sys::WAIT_OBJECT_0 {
            return None;
        }
        let mut code: u32 = 0;
        unsafe {
            sys::GetExitCodeProcess(self.process.get(), &mut code);
        }
        Some(code)
    }

    /// Terminates the program and everything it started.
    pub fn terminate(&self) {
        unsafe {
            if let Some(job) = &self.job {
                sys::TerminateJobObject(job.get(), 1);
            }
            sys::TerminateProcess(self.process.get(), 1);
        }
    }

    /// After the program exited: ends what it left running (its own child processes) and
    /// waits a little for the last output to reach the logs.
    pub fn finish(self) {
        if let Some(job) = &self.job {
            unsafe {
                sys::TerminateJobObject(job.get(), 1);
            }
        }
        for r in &self.readers {
            let _ = r.recv_timeout(Duration::from_secs(3));
        }
    }
}

/// Sends Ctrl-C (or Ctrl-Break) to every process on the host's console: the program and
/// whatever it started. The host's own handler ignores it.
pub fn console_event(event: u32) -> bool {
    unsafe { sys::GenerateConsoleCtrlEvent(event, 0) != sys::FALSE }
}
