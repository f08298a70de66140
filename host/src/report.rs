//! The host's own messages: one line each in `<log-dir>/<host exe stem>.log` (rotated
//! like the program's logs) and, when the package registered an event source, an entry in
//! the Application event log. In the foreground (`--run`) they also go to stderr.
//!
//! Event IDs (the message text is the entry's only insertion string):
//!
//! | id | level | when |
//! |----|-------|------|
//! | 1 | information | the program was started (with its process id) |
//! | 2 | warning | the program exited on its own (with its exit code) |
//! | 3 | information | the program is restarted after the delay |
//! | 4 | error | too many restarts within an hour: the host gives up and the service stops with an error |
//! | 5 | information | the service was asked to stop and the program exited |
//! | 6 | warning | the program did not exit within the stop timeout and was terminated |
//! | 7 | error | the configuration file is missing or invalid |
//! | 8 | error | the program could not be started |
//! | 9 | warning | a problem with the logs or the console (the program keeps running) |

use std::io::Write;
use std::sync::Mutex;

use crate::rotate::RotatingLog;
use crate::sys;

/// What happened, as an event ID and level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    Started = 1,
    Exited = 2,
    Restarting = 3,
    GivingUp = 4,
    Stopped = 5,
    Terminated = 6,
    BadConfig = 7,
    CannotStart = 8,
    Trouble = 9,
}

impl Event {
    fn level(self) -> (u16, &'static str) {
        match self {
            Event::Started | Event::Restarting | Event::Stopped => {
                (sys::EVENTLOG_INFORMATION_TYPE, "info")
            }
            Event::Exited | Event::Terminated | Event::Trouble => {
                (sys::EVENTLOG_WARNING_TYPE, "warning")
            }
            Event::GivingUp | Event::BadConfig | Event::CannotStart => {
                (sys::EVENTLOG_ERROR_TYPE, "error")
            }
        }
    }
}

/// Where the host's messages go.
pub struct Reporter {
    log: Mutex<Option<RotatingLog>>,
    source: sys::HANDLE,
    echo: bool,
}

// The event source handle is used under the log's lock only.
unsafe impl Send for Reporter {}
unsafe impl Sync for Reporter {}

impl Reporter {
    /// A reporter writing to `log` (when it could be opened), to the event `source` (when
    /// set) and, with `echo`, to stderr.
    pub fn new(log: Option<RotatingLog>, source: Option<&str>, echo: bool) -> Reporter {
        let handle = match source {
            Some(s) => unsafe { sys::RegisterEventSourceW(std::ptr::null(), sys::wide(s).as_ptr()) },
            None => std::ptr::null_mut(),
        };
        Reporter {
            log: Mutex::new(log),
            source: handle,
            echo,
        }
    }

    /// Records one message.
    pub fn event(&self, event: Event, message: &str) {
        let (kind, level) = event.level();
        let line = format!("{} [{level}] {message}\r\n", utc_timestamp());
        let mut guard = match self.log.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(log) = guard.as_mut() {
            let _ = log.write(line.as_bytes());
        }
        if self.echo {
            let _ = std::io::stderr().write_all(line.as_bytes());
        }
        if !self.source.is_null() {
            let text = sys::wide(message);
            let strings = [text.as_ptr()];
            unsafe {
                sys::ReportEventW(
                    self.source,
                    kind,
                    0,
                    event as u32,
                    std::ptr::null_mut(),
                    1,
                    0,
                    strings.as_ptr(),
                    std::ptr::null_mut(),
                );
            }
        }
    }
}

impl Drop for Reporter {
    fn drop(&mut self) {
        if !self.source.is_null() {
            unsafe {
                sys::DeregisterEventSource(self.source);
            }
        }
    }
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` for now.
pub fn utc_timestamp() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    crate::clock::format_utc(now.as_secs() as i64, now.subsec_millis())
}
