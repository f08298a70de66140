//! The host's configuration file, `<host exe stem>.conf` next to the host's exe
//! (`svcpack-host.conf` for `svcpack-host.exe`). svcpack writes it; this parses it.
//!
//! The format is line based and escape free, so an administrator can read it and a
//! one-screen parser reads it exactly:
//!
//! ```text
//! # comment lines start with `#`; blank lines are ignored
//! format=1
//! service=LedgerAgent
//! event-source=LedgerAgent
//! program=ledger-agent.exe
//! arg=--port
//! arg=18431
//! working-dir=.
//! env=RUST_LOG=info
//! log-dir=logs
//! log-max-bytes=10485760
//! log-keep=5
//! stop-timeout-secs=10
//! restart-delay-secs=2
//! max-restarts-per-hour=20
//! ```
//!
//! * One `key=value` per line; the value is everything after the first `=`, taken
//!   literally: no quoting, no escapes, no trimming (`arg= x` is the argument ` x`).
//!   Values therefore cannot hold line breaks or NULs; svcpack refuses such values.
//! * Lines end in LF or CRLF; a UTF-8 byte-order mark at the start is ignored.
//! * `arg` (each one program argument, in order) and `env` (`NAME=VALUE`, in order) may
//!   repeat or be absent; `event-source` is optional (absent: no event log entries); every
//!   other key must appear exactly once. Unknown keys are errors, so a typo never goes
//!   unnoticed.
//! * `program`, `working-dir` and `log-dir` are relative to the folder of the host's exe
//!   (or absolute). `format` is 1.

/// The only format version this host reads.
pub const FORMAT: u32 = 1;

/// A parsed configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conf {
    /// The service name (for messages; the service manager's name wins when it differs).
    pub service: String,
    /// The Application event log source, when the package registers one.
    pub event_source: Option<String>,
    /// The program to run, relative to the host's folder or absolute.
    pub program: String,
    /// Its arguments, each passed as one argument.
    pub args: Vec<String>,
    /// Its working directory, relative to the host's folder or absolute.
    pub working_dir: String,
    /// Environment variables set for it (on top of the host's own environment).
    pub env: Vec<(String, String)>,
    /// Where the logs go, relative to the host's folder or absolute.
    pub log_dir: String,
    /// A log file is rotated before it would grow beyond this many bytes (at least 1).
    pub log_max_bytes: u64,
    /// Rotated files kept per log (`name.1` … `name.N`, at least 1).
    pub log_keep: u32,
    /// Seconds between asking the program to stop and terminating it (at least 1).
    pub stop_timeout_secs: u32,
    /// Seconds to wait before restarting the program after it exited on its own.
    pub restart_delay_secs: u32,
    /// Restarts allowed within any hour; one more exit and the host gives up (0: never
    /// restart).
    pub max_restarts_per_hour: u32,
}

/// Parses the configuration text. The error names the line and what is wrong.
pub fn parse(text: &str) -> Result<Conf, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut p = Partial::default();
    for (n, raw) in text.split('\n').enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        p.line(line).map_err(|e| format!("line {}: {e}", n + 1))?;
    }
    let format = required(p.format, "format")?;
    if format != u64::from(FORMAT) {
        return Err(format!(
            "format={format} is not supported by this host (it reads format={FORMAT}); \
             rebuild the package with the svcpack that made this host"
        ));
    }
    Ok(Conf {
        service: required(p.service, "service")?,
        event_source: p.event_source,
        program: required(p.program, "program")?,
        args: p.args,
        working_dir: required(p.working_dir, "working-dir")?,
        env: p.env,
        log_dir: required(p.log_dir, "log-dir")?,
        log_max_bytes: required(p.log_max_bytes, "log-max-bytes")?,
        log_keep: required(p.log_keep, "log-keep")?,
        stop_timeout_secs: required(p.stop_timeout_secs, "stop-timeout-secs")?,
        restart_delay_secs: required(p.restart_delay_secs, "restart-delay-secs")?,
        max_restarts_per_hour: required(p.max_restarts_per_hour, "max-restarts-per-hour")?,
    })
}

/// The keys seen so far.
#[derive(Default)]
struct Partial {
    format: Option<u64>,
    service: Option<String>,
    event_source: Option<String>,
    program: Option<String>,
    args: Vec<String>,
    working_dir: Option<String>,
    env: Vec<(String, String)>,
    log_dir: Option<String>,
    log_max_bytes: Option<u64>,
    log_keep: Option<u32>,
    stop_timeout_secs: Option<u32>,
    restart_delay_secs: Option<u32>,
    max_restarts_per_hour: Option<u32>,
}

impl Partial {
    fn line(&mut self, line: &str) -> Result<(), String> {
        let (key, value) = match line.split_once('=') {
            Some(kv) => kv,
            None => return Err(format!("`{line}` is not of the form key=value")),
        };
        if value.contains('\0') {
            return Err(format!("{key}: the value contains a NUL character"));
        }
        match key {
            "arg" => self.args.push(value.to_string()),
            "env" => match value.split_once('=') {
                Some((name, val)) if !name.is_empty() => {
                    self.env.push((name.to_string(), val.to_string()))
                }
                _ => return Err(format!("env: `{value}` is not of the form NAME=VALUE")),
            },
            "format" => set(&mut self.format, number(value, 1)?, key)?,
            "service" => set(&mut self.service, text_value(value, key)?, key)?,
            "event-source" => set(&mut self.event_source, text_value(value, key)?, key)?,
            "program" => set(&mut self.program, text_value(value, key)?, key)?,
            "working-dir" => set(&mut self.working_dir, text_value(value, key)?, key)?,
            "log-dir" => set(&mut self.log_dir, text_value(value, key)?, key)?,
            "log-max-bytes" => set(&mut self.log_max_bytes, number(value, 1)?, key)?,
            "log-keep" => set(&mut self.log_keep, small(value, 1, key)?, key)?,
            "stop-timeout-secs" => set(&mut self.stop_timeout_secs, small(value, 1, key)?, key)?,
            "restart-delay-secs" => set(&mut self.restart_delay_secs, small(value, 0, key)?, key)?,
            "max-restarts-per-hour" => {
                set(&mut self.max_restarts_per_hour, small(value, 0, key)?, key)?
            }
            other => return Err(format!("unknown key `{other}`")),
        }
        Ok(())
    }
}

fn set<T>(slot: &mut Option<T>, value: T, key: &str) -> Result<(), String> {
    if slot.is_some() {
        return Err(format!("`{key}` appears more than once"));
    }
    *slot = Some(value);
    Ok(())
}

fn required<T>(slot: Option<T>, key: &str) -> Result<T, String> {
    slot.ok_or_else(|| format!("`{key}` is missing"))
}

fn text_value(value: &str, key: &str) -> Result<String, String> {
    if value.is_empty() {
        return Err(format!("`{key}` is empty"));
    }
    Ok(value.to_string())
}

fn number(value: &str, min: u64) -> Result<u64, String> {
    match value.parse::<u64>() {
        Ok(n) if n >= min => Ok(n),
        _ => Err(format!("`{value}` is not a whole number of at least {min}")),
    }
}

fn small(value: &str, min: u64, key: &str) -> Result<u32, String> {
    let n = number(value, min)?;
    u32::try_from(n).map_err(|_| format!("{key}: {n} is too large (at most {})", u32::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "# generated\r\nformat=1\r\nservice=Svc\r\nevent-source=Svc\r\nprogram=app.exe\r\narg=--port\r\narg=\r\narg= spaced \"q\" \\\r\nworking-dir=.\r\nenv=A=b=c\r\nenv=PATH=%PATH%;x\r\nlog-dir=logs\r\nlog-max-bytes=100\r\nlog-keep=2\r\nstop-timeout-secs=3\r\nrestart-delay-secs=0\r\nmax-restarts-per-hour=0\r\n";

    #[test]
    fn parses_every_key_literally() {
        let c = parse(SAMPLE).unwrap();
        assert_eq!(c.service, "Svc");
        assert_eq!(c.event_source.as_deref(), Some("Svc"));
        assert_eq!(c.program, "app.exe");
        assert_eq!(c.args, ["--port", "", " spaced \"q\" \\"]);
        assert_eq!(
            c.env,
            [
                ("A".to_string(), "b=c".to_string()),
                ("PATH".to_string(), "%PATH%;x".to_string())
            ]
        );
        assert_eq!(c.log_max_bytes, 100);
        assert_eq!(c.log_keep, 2);
        assert_eq!(c.stop_timeout_secs, 3);
        assert_eq!(c.restart_delay_secs, 0);
        assert_eq!(c.max_restarts_per_hour, 0);
        // LF only and a byte-order mark read the same.
        let lf = format!("\u{feff}{}", SAMPLE.replace("\r\n", "\n"));
        assert_eq!(parse(&lf).unwrap(), c);
    }

    #[test]
    fn refuses_what_it_does_not_understand() {
        let without = |key: &str| -> String {
            SAMPLE
                .split("\r\n")
                .filter(|l| !l.starts_with(&format!("{key}=")))
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert!(parse(&without("program"))
            .unwrap_err()
            .contains("`program` is missing"));
        assert!(parse(&without("event-source"))
            .unwrap()
            .event_source
            .is_none());
        let e = parse(&format!("{SAMPLE}log-keep=3\n")).unwrap_err();
        assert!(e.contains("line 18") && e.contains("more than once"), "{e}");
        let e = parse(&format!("{SAMPLE}log-max-byte=3\n")).unwrap_err();
        assert!(e.contains("unknown key `log-max-byte`"), "{e}");
        let e = parse(&SAMPLE.replace("log-max-bytes=100", "log-max-bytes=0")).unwrap_err();
        assert!(e.contains("at least 1"), "{e}");
        let e = parse(&SAMPLE.replace("format=1", "format=2")).unwrap_err();
        assert!(e.contains("format=2 is not supported"), "{e}");
        let e = parse(&format!("{SAMPLE}no equals sign\n")).unwrap_err();
        assert!(e.contains("key=value"), "{e}");
        let e = parse(&format!("{SAMPLE}env=NOVALUE\n")).unwrap_err();
        assert!(e.contains("NAME=VALUE"), "{e}");
        let e = parse(&SAMPLE.replace("log-keep=2", "log-keep=99999999999")).unwrap_err();
        assert!(e.contains("too large"), "{e}");
    }
}
