//! The helper's command line and the service-manager calls it stands for, as plain data
//! and independent of Windows: svcpack writes the command line ([`Request::to_args`]) into
//! the MSI's custom action, the helper reads it back ([`parse`]) and turns it into
//! ChangeServiceConfig2W calls ([`calls`]). svcpack compiles this same file, so the writer,
//! the reader and `cargo svcpack inspect` cannot disagree; it builds with Rust 1.63.
//!
//! The command lines (each value one argument, quoted by Windows command-line rules):
//!
//! ```text
//! configure --service NAME [--failure-actions restart/5000,none/0] [--reset-secs N]
//!           [--command TEXT] [--reboot-message TEXT] [--non-crash-failures yes|no]
//!           [--delayed-auto-start yes|no] [--sid-type none|unrestricted|restricted]
//!           [--privileges SeAPrivilege,SeBPrivilege] [--preshutdown-ms N]
//! stop --service NAME --timeout-ms N
//! ```
//!
//! `--print` before either prints what would be done, without touching the service manager.

/// `SERVICE_CONFIG_FAILURE_ACTIONS` (winsvc.h).
pub const SERVICE_CONFIG_FAILURE_ACTIONS: u32 = 2;
/// `SERVICE_CONFIG_DELAYED_AUTO_START_INFO`.
pub const SERVICE_CONFIG_DELAYED_AUTO_START_INFO: u32 = 3;
/// `SERVICE_CONFIG_FAILURE_ACTIONS_FLAG`.
pub const SERVICE_CONFIG_FAILURE_ACTIONS_FLAG: u32 = 4;
/// `SERVICE_CONFIG_SERVICE_SID_INFO`.
pub const SERVICE_CONFIG_SERVICE_SID_INFO: u32 = 5;
/// `SERVICE_CONFIG_REQUIRED_PRIVILEGES_INFO`.
pub const SERVICE_CONFIG_REQUIRED_PRIVILEGES_INFO: u32 = 6;
/// `SERVICE_CONFIG_PRESHUTDOWN_INFO`.
pub const SERVICE_CONFIG_PRESHUTDOWN_INFO: u32 = 7;

/// A failure action (`SC_ACTION_TYPE`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// `SC_ACTION_NONE` (0).
    None,
    /// `SC_ACTION_RESTART` (1).
    Restart,
    /// `SC_ACTION_REBOOT` (2).
    Reboot,
    /// `SC_ACTION_RUN_COMMAND` (3).
    Run,
}

impl Action {
    /// The word on the command line (svcpack's configuration keyword).
    pub fn word(self) -> &'static str {
        match self {
            Action::None => "none",
            Action::Restart => "restart",
            Action::Reboot => "reboot",
            Action::Run => "run",
        }
    }

    /// The `SC_ACTION_TYPE` value.
    pub fn code(self) -> u32 {
        match self {
            Action::None => 0,
            Action::Restart => 1,
            Action::Reboot => 2,
            Action::Run => 3,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Action::None => "SC_ACTION_NONE",
            Action::Restart => "SC_ACTION_RESTART",
            Action::Reboot => "SC_ACTION_REBOOT",
            Action::Run => "SC_ACTION_RUN_COMMAND",
        }
    }

    fn parse(word: &str) -> Option<Action> {
        [Action::None, Action::Restart, Action::Reboot, Action::Run]
            .iter()
            .copied()
            .find(|a| a.word() == word)
    }
}

/// The service SID type (`SERVICE_SID_TYPE_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SidType {
    /// `SERVICE_SID_TYPE_NONE` (0).
    None,
    /// `SERVICE_SID_TYPE_UNRESTRICTED` (1).
    Unrestricted,
    /// `SERVICE_SID_TYPE_RESTRICTED` (3).
    Restricted,
}

impl SidType {
    /// The word on the command line (svcpack's configuration keyword).
    pub fn word(self) -> &'static str {
        match self {
            SidType::None => "none",
            SidType::Unrestricted => "unrestricted",
            SidType::Restricted => "restricted",
        }
    }

    /// The `SERVICE_SID_TYPE_*` value.
    pub fn code(self) -> u32 {
        match self {
            SidType::None => 0,
            SidType::Unrestricted => 1,
            SidType::Restricted => 3,
        }
    }

    /// Parses a keyword.
    pub fn parse(word: &str) -> Option<SidType> {
        [SidType::None, SidType::Unrestricted, SidType::Restricted]
            .iter()
            .copied()
            .find(|s| s.word() == word)
    }
}

/// Everything `configure` applies to one service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// The service's SCM name.
    pub service: String,
    /// The failure actions and the delay before each, in milliseconds.
    pub actions: Vec<(Action, u32)>,
    /// Seconds without failure after which the failure count resets.
    pub reset_secs: u32,
    /// The command line `run` actions start.
    pub command: Option<String>,
    /// The message broadcast before a `reboot` action.
    pub reboot_message: Option<String>,
    /// Failure actions also apply when the service stops with an error code.
    pub non_crash_failures: bool,
    /// `Some` for auto-start services: whether the start is delayed.
    pub delayed_auto_start: Option<bool>,
    /// The service SID type.
    pub sid_type: SidType,
    /// The privileges the service's process keeps (empty: leave the service manager's list).
    pub privileges: Vec<String>,
    /// The pre-shutdown timeout in milliseconds (`None`: leave the system default).
    pub preshutdown_ms: Option<u32>,
}

impl Settings {
    /// Settings that change nothing but what every configure call sets.
    pub fn new(service: &str) -> Settings {
        Settings {
            service: service.to_string(),
            actions: Vec::new(),
            reset_secs: 0,
            command: None,
            reboot_message: None,
            non_crash_failures: false,
            delayed_auto_start: None,
            sid_type: SidType::None,
            privileges: Vec::new(),
            preshutdown_ms: None,
        }
    }
}

/// What the helper is asked to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// Apply the settings with ChangeServiceConfig2W.
    Configure(Settings),
    /// Stop the service and wait, at most `timeout_ms`, until its processes have exited.
    Stop {
        /// The service's SCM name.
        service: String,
        /// The longest wait.
        timeout_ms: u32,
    },
}

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_string()
}

impl Request {
    /// The arguments that [`parse`] reads back into this request.
    pub fn to_args(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut put = |k: &str, v: String| {
            out.push(k.to_string());
            out.push(v);
        };
        match self {
            Request::Configure(s) => {
                put("--service", s.service.clone());
                let actions: Vec<String> = s
                    .actions
                    .iter()
                    .map(|(a, ms)| format!("{}/{ms}", a.word()))
                    .collect();
                put("--failure-actions", actions.join(","));
                put("--reset-secs", s.reset_secs.to_string());
                if let Some(c) = &s.command {
                    put("--command", c.clone());
                }
                if let Some(m) = &s.reboot_message {
                    put("--reboot-message", m.clone());
                }
                put("--non-crash-failures", yes_no(s.non_crash_failures));
                if let Some(d) = s.delayed_auto_start {
                    put("--delayed-auto-start", yes_no(d));
                }
                put("--sid-type", s.sid_type.word().to_string());
                if !s.privileges.is_empty() {
                    put("--privileges", s.privileges.join(","));
                }
                if let Some(ms) = s.preshutdown_ms {
                    put("--preshutdown-ms", ms.to_string());
                }
                out.insert(0, "configure".to_string());
            }
            Request::Stop {
                service,
                timeout_ms,
            } => {
                put("--service", service.clone());
                put("--timeout-ms", timeout_ms.to_string());
                out.insert(0, "stop".to_string());
            }
        }
        out
    }
}

/// Reads the helper's arguments (without the program name): the request and whether
/// `--print` asked for a dry run.
pub fn parse(args: &[String]) -> Result<(Request, bool), String> {
    let mut rest = args;
    let mut print = false;
    if rest.first().map(String::as_str) == Some("--print") {
        print = true;
        rest = &rest[1..];
    }
    let verb = match rest.first() {
        Some(v) => v.as_str(),
        None => return Err("missing the command: configure or stop".to_string()),
    };
    let allowed: &[&str] = match verb {
        "configure" => &[
            "--service",
            "--failure-actions",
            "--reset-secs",
            "--command",
            "--reboot-message",
            "--non-crash-failures",
            "--delayed-auto-start",
            "--sid-type",
            "--privileges",
            "--preshutdown-ms",
        ],
        "stop" => &["--service", "--timeout-ms"],
        other => {
            return Err(format!(
                "unknown command `{other}`; allowed: configure, stop"
            ))
        }
    };
    let mut values: Vec<(&str, &str)> = Vec::new();
    let mut it = rest[1..].iter();
    while let Some(key) = it.next() {
        if !allowed.contains(&key.as_str()) {
            return Err(format!("{verb}: unknown option `{key}`"));
        }
        if values.iter().any(|(k, _)| *k == key.as_str()) {
            return Err(format!("{verb}: `{key}` given twice"));
        }
        match it.next() {
            Some(v) => values.push((key.as_str(), v.as_str())),
            None => return Err(format!("{verb}: `{key}` needs a value")),
        }
    }
    let get = |k: &str| values.iter().find(|(key, _)| *key == k).map(|(_, v)| *v);
    let number = |k: &str| -> Result<Option<u32>, String> {
        match get(k) {
            Some(v) => v
                .parse::<u32>()
                .map(Some)
                .map_err(|_| format!("{k}: `{v}` is not a number from 0 to {}", u32::MAX)),
            None => Ok(None),
        }
    };
    let flag = |k: &str| -> Result<Option<bool>, String> {
        match get(k) {
            Some("yes") => Ok(Some(true)),
            Some("no") => Ok(Some(false)),
            Some(v) => Err(format!("{k}: `{v}`; allowed: yes, no")),
            None => Ok(None),
        }
    };
    let service = match get("--service") {
        Some(s) if !s.is_empty() => s.to_string(),
        _ => return Err(format!("{verb}: `--service NAME` is required")),
    };
    if verb == "stop" {
        let timeout_ms = match number("--timeout-ms")? {
            Some(ms) => ms,
            None => return Err("stop: `--timeout-ms N` is required".to_string()),
        };
        return Ok((
            Request::Stop {
                service,
                timeout_ms,
            },
            print,
        ));
    }
    let mut s = Settings::new(&service);
    if let Some(list) = get("--failure-actions") {
        for part in list.split(',').filter(|p| !p.is_empty()) {
            let (word, ms) = match part.split_once('/') {
                Some(pair) => pair,
                None => return Err(format!("--failure-actions: `{part}` is not ACTION/MS")),
            };
            let action = Action::parse(word).ok_or_else(|| {
                format!("--failure-actions: unknown action `{word}`; allowed: restart, reboot, run, none")
            })?;
            let ms = ms
                .parse::<u32>()
                .map_err(|_| format!("--failure-actions: `{ms}` is not a delay in milliseconds"))?;
            s.actions.push((action, ms));
        }
    }
    s.reset_secs = number("--reset-secs")?.unwrap_or(0);
    s.command = get("--command").map(str::to_string);
    s.reboot_message = get("--reboot-message").map(str::to_string);
    s.non_crash_failures = flag("--non-crash-failures")?.unwrap_or(false);
    s.delayed_auto_start = flag("--delayed-auto-start")?;
    if let Some(w) = get("--sid-type") {
        s.sid_type = SidType::parse(w)
            .ok_or_else(|| format!("--sid-type: `{w}`; allowed: none, unrestricted, restricted"))?;
    }
    if let Some(list) = get("--privileges") {
        s.privileges = list
            .split(',')
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect();
    }
    s.preshutdown_ms = number("--preshutdown-ms")?;
    Ok((Request::Configure(s), print))
}

/// One ChangeServiceConfig2W call: its info level and the structure's contents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Call {
    /// `SERVICE_FAILURE_ACTIONSW`. Strings are set even when empty: an empty string
    /// deletes the stored one, so an upgrade never keeps an older version's command.
    FailureActions {
        /// `dwResetPeriod`, seconds.
        reset_secs: u32,
        /// `lpRebootMsg`.
        reboot_message: String,
        /// `lpCommand`.
        command: String,
        /// `lpsaActions`: (`SC_ACTION_TYPE`, delay in ms); empty deletes the actions.
        actions: Vec<(Action, u32)>,
    },
    /// `SERVICE_FAILURE_ACTIONS_FLAG.fFailureActionsOnNonCrashFailures`.
    FailureActionsFlag(bool),
    /// `SERVICE_DELAYED_AUTO_START_INFO.fDelayedAutostart`.
    DelayedAutoStart(bool),
    /// `SERVICE_SID_INFO.dwServiceSidType`.
    SidType(SidType),
    /// `SERVICE_REQUIRED_PRIVILEGES_INFOW.pmszRequiredPrivileges` ([`multi_sz`]).
    RequiredPrivileges(Vec<String>),
    /// `SERVICE_PRESHUTDOWN_INFO.dwPreshutdownTimeout`, milliseconds.
    Preshutdown(u32),
}

impl Call {
    /// The `dwInfoLevel` argument.
    pub fn level(&self) -> u32 {
        match self {
            Call::FailureActions { .. } => SERVICE_CONFIG_FAILURE_ACTIONS,
            Call::FailureActionsFlag(_) => SERVICE_CONFIG_FAILURE_ACTIONS_FLAG,
            Call::DelayedAutoStart(_) => SERVICE_CONFIG_DELAYED_AUTO_START_INFO,
            Call::SidType(_) => SERVICE_CONFIG_SERVICE_SID_INFO,
            Call::RequiredPrivileges(_) => SERVICE_CONFIG_REQUIRED_PRIVILEGES_INFO,
            Call::Preshutdown(_) => SERVICE_CONFIG_PRESHUTDOWN_INFO,
        }
    }

    /// The info level's name.
    pub fn level_name(&self) -> &'static str {
        match self {
            Call::FailureActions { .. } => "SERVICE_CONFIG_FAILURE_ACTIONS",
            Call::FailureActionsFlag(_) => "SERVICE_CONFIG_FAILURE_ACTIONS_FLAG",
            Call::DelayedAutoStart(_) => "SERVICE_CONFIG_DELAYED_AUTO_START_INFO",
            Call::SidType(_) => "SERVICE_CONFIG_SERVICE_SID_INFO",
            Call::RequiredPrivileges(_) => "SERVICE_CONFIG_REQUIRED_PRIVILEGES_INFO",
            Call::Preshutdown(_) => "SERVICE_CONFIG_PRESHUTDOWN_INFO",
        }
    }

    /// The call as one line, e.g.
    /// `ChangeServiceConfig2W(SERVICE_CONFIG_PRESHUTDOWN_INFO, dwPreshutdownTimeout=30000)`.
    pub fn describe(&self) -> String {
        let args = match self {
            Call::FailureActions {
                reset_secs,
                reboot_message,
                command,
                actions,
            } => {
                let list: Vec<String> = actions
                    .iter()
                    .map(|(a, ms)| format!("{}/{ms}ms", a.name()))
                    .collect();
                format!(
                    "dwResetPeriod={reset_secs}, lpRebootMsg={reboot_message:?}, lpCommand={command:?}, cActions={}, lpsaActions=[{}]",
                    actions.len(),
                    list.join(", ")
                )
            }
            Call::FailureActionsFlag(b) => {
                format!("fFailureActionsOnNonCrashFailures={}", u32::from(*b))
            }
            Call::DelayedAutoStart(b) => format!("fDelayedAutostart={}", u32::from(*b)),
            Call::SidType(t) => format!("dwServiceSidType={} ({})", t.code(), t.word()),
            Call::RequiredPrivileges(p) => {
                format!("pmszRequiredPrivileges=[{}]", p.join(", "))
            }
            Call::Preshutdown(ms) => format!("dwPreshutdownTimeout={ms}"),
        };
        format!("ChangeServiceConfig2W({}, {args})", self.level_name())
    }
}

/// The calls that apply `s`, in order. Failure actions, their flag and the SID type are
/// always set, so installing a version converges the service to that version's settings
/// whatever an older one set; privileges and the pre-shutdown timeout only when
/// configured (the service manager has no "back to the default" value for them).
pub fn calls(s: &Settings) -> Vec<Call> {
    let mut out = vec![
        Call::FailureActions {
            reset_secs: s.reset_secs,
            reboot_message: s.reboot_message.clone().unwrap_or_default(),
            command: s.command.clone().unwrap_or_default(),
            actions: s.actions.clone(),
        },
        Call::FailureActionsFlag(s.non_crash_failures),
    ];
    if let Some(d) = s.delayed_auto_start {
        out.push(Call::DelayedAutoStart(d));
    }
    out.push(Call::SidType(s.sid_type));
    if !s.privileges.is_empty() {
        out.push(Call::RequiredPrivileges(s.privileges.clone()));
    }
    if let Some(ms) = s.preshutdown_ms {
        out.push(Call::Preshutdown(ms));
    }
    out
}

/// `text` as a NUL-terminated UTF-16 string.
pub fn wide(text: &str) -> Vec<u16> {
    text.encode_utf16().chain(std::iter::once(0)).collect()
}

/// A REG_MULTI_SZ-style list: each string NUL-terminated, then one more NUL.
pub fn multi_sz(items: &[String]) -> Vec<u16> {
    let mut out: Vec<u16> = Vec::new();
    for item in items {
        out.extend(item.encode_utf16());
        out.push(0);
    }
    if items.is_empty() {
        out.push(0);
    }
    out.push(0);
    out
}

/// Splits a command line (the arguments after the program name) as CommandLineToArgvW
/// and the Microsoft C runtime do: whitespace separates arguments outside quotes; 2n
/// backslashes before a quote become n and the quote toggles quoting, 2n+1 become n and a
/// literal quote; `""` inside quotes is a literal quote.
pub fn split_args(line: &str) -> Vec<String> {
    let chars: Vec<char> = line.chars().collect();
    let mut args = Vec::new();
    let mut i = 0;
    loop {
        while i < chars.len() && (chars[i] == ' ' || chars[i] == '\t') {
            i += 1;
        }
        if i >= chars.len() {
            return args;
        }
        let mut arg = String::new();
        let mut quoted = false;
        while i < chars.len() {
            let c = chars[i];
            if c == '\\' {
                let mut n = 0;
                while i < chars.len() && chars[i] == '\\' {
                    n += 1;
                    i += 1;
                }
                if i < chars.len() && chars[i] == '"' {
                    arg.extend(std::iter::repeat('\\').take(n / 2));
                    if n % 2 == 1 {
                        arg.push('"');
                        i += 1;
                    }
                } else {
                    arg.extend(std::iter::repeat('\\').take(n));
                }
            } else if c == '"' {
                if quoted && i + 1 < chars.len() && chars[i + 1] == '"' {
                    arg.push('"');
                    i += 2;
                } else {
                    quoted = !quoted;
                    i += 1;
                }
            } else if !quoted && (c == ' ' || c == '\t') {
                break;
            } else {
                arg.push(c);
                i += 1;
            }
        }
        args.push(arg);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn full() -> Settings {
        Settings {
            service: "Ledger Agent, \"x\"".to_string(),
            actions: vec![
                (Action::Restart, 5000),
                (Action::Run, 30000),
                (Action::Reboot, 60000),
                (Action::None, 0),
            ],
            reset_secs: 86400,
            command: Some("cmd.exe /c echo a,b/c".to_string()),
            reboot_message: Some("Rebooting, sorry".to_string()),
            non_crash_failures: true,
            delayed_auto_start: Some(true),
            sid_type: SidType::Restricted,
            privileges: vec![
                "SeChangeNotifyPrivilege".to_string(),
                "SeShutdownPrivilege".to_string(),
            ],
            preshutdown_ms: Some(30000),
        }
    }

    #[test]
    fn configure_round_trips() {
        let request = Request::Configure(full());
        let a = request.to_args();
        assert_eq!(a[0], "configure");
        assert_eq!(parse(&a), Ok((request.clone(), false)));
        let mut printed = vec!["--print".to_string()];
        printed.extend(a);
        assert_eq!(parse(&printed), Ok((request, true)));

        let minimal = Request::Configure(Settings::new("S"));
        assert_eq!(parse(&minimal.to_args()).unwrap().0, minimal);
    }

    #[test]
    fn stop_round_trips() {
        let r = Request::Stop {
            service: "Svc".into(),
            timeout_ms: 25000,
        };
        assert_eq!(
            r.to_args(),
            args(&["stop", "--service", "Svc", "--timeout-ms", "25000"])
        );
        assert_eq!(parse(&r.to_args()), Ok((r, false)));
    }

    #[test]
    fn calls_carry_the_scm_values() {
        let c = calls(&full());
        let levels: Vec<u32> = c.iter().map(Call::level).collect();
        assert_eq!(levels, [2, 4, 3, 5, 6, 7]);
        assert_eq!(
            c[0].describe(),
            "ChangeServiceConfig2W(SERVICE_CONFIG_FAILURE_ACTIONS, dwResetPeriod=86400, \
             lpRebootMsg=\"Rebooting, sorry\", lpCommand=\"cmd.exe /c echo a,b/c\", cActions=4, \
             lpsaActions=[SC_ACTION_RESTART/5000ms, SC_ACTION_RUN_COMMAND/30000ms, SC_ACTION_REBOOT/60000ms, SC_ACTION_NONE/0ms])"
        );
        assert_eq!(
            c[1].describe(),
            "ChangeServiceConfig2W(SERVICE_CONFIG_FAILURE_ACTIONS_FLAG, fFailureActionsOnNonCrashFailures=1)"
        );
        assert_eq!(c[3], Call::SidType(SidType::Restricted));
        assert_eq!(SidType::Restricted.code(), 3);
        assert_eq!(
            [Action::None, Action::Restart, Action::Reboot, Action::Run].map(Action::code),
            [0, 1, 2, 3]
        );
        assert_eq!(
            c[5].describe(),
            "ChangeServiceConfig2W(SERVICE_CONFIG_PRESHUTDOWN_INFO, dwPreshutdownTimeout=30000)"
        );

        // Nothing configured: actions deleted, flag off, no SID; nothing else touched.
        let c = calls(&Settings::new("S"));
        assert_eq!(
            c,
            [
                Call::FailureActions {
                    reset_secs: 0,
                    reboot_message: String::new(),
                    command: String::new(),
                    actions: Vec::new()
                },
                Call::FailureActionsFlag(false),
                Call::SidType(SidType::None),
            ]
        );
    }

    #[test]
    fn command_lines_split_like_windows() {
        assert_eq!(
            split_args(r#"a "b c" "" d\\"e f" g\"h \\\\ "x""y""#),
            args(&["a", "b c", "", "d\\e f", "g\"h", "\\\\\\\\", "x\"y"])
        );
        assert!(split_args("  ").is_empty());
    }

    #[test]
    fn strings_for_the_scm() {
        assert_eq!(wide("aü"), [0x61, 0xfc, 0]);
        assert_eq!(
            multi_sz(&["Ab".to_string(), "C".to_string()]),
            [0x41, 0x62, 0, 0x43, 0, 0]
        );
        assert_eq!(multi_sz(&[]), [0, 0]);
    }

    #[test]
    fn bad_command_lines_are_refused() {
        for (bad, why) in [
            (vec![], "missing the command"),
            (vec!["install"], "unknown command"),
            (vec!["configure"], "--service NAME"),
            (
                vec!["configure", "--service", "S", "--bogus", "x"],
                "unknown option",
            ),
            (
                vec!["configure", "--service", "S", "--service", "T"],
                "twice",
            ),
            (vec!["configure", "--service"], "needs a value"),
            (
                vec![
                    "configure",
                    "--service",
                    "S",
                    "--failure-actions",
                    "restart",
                ],
                "ACTION/MS",
            ),
            (
                vec![
                    "configure",
                    "--service",
                    "S",
                    "--failure-actions",
                    "explode/1",
                ],
                "unknown action",
            ),
            (
                vec!["configure", "--service", "S", "--reset-secs", "-1"],
                "not a number",
            ),
            (
                vec![
                    "configure",
                    "--service",
                    "S",
                    "--non-crash-failures",
                    "true",
                ],
                "allowed: yes, no",
            ),
            (
                vec!["configure", "--service", "S", "--sid-type", "x"],
                "allowed: none",
            ),
            (vec!["stop", "--service", "S"], "--timeout-ms N"),
        ] {
            let e = parse(&args(&bad)).unwrap_err();
            assert!(e.contains(why), "{bad:?}: {e}");
        }
    }
}
