//! The systemd unit: the service keys, read for Linux.
//!
//! This file owns the mapping from `[service]` to a `.service` file and systemd's quoting
//! (systemd.service(5) "Command lines", systemd.unit(5) "Specifiers"). There is no service
//! host on Linux: systemd restarts the program and journald keeps its output, so the host's
//! restart and log keys become `Restart=`/`StartLimit*` and `LogsDirectory=`.

use crate::config::{Config, Linux, LinuxUser, RecoveryAction, Service, ServiceType, StartType};

/// Where an installed package keeps things; the .deb and the tarball differ only here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// The program and its files (`/usr/lib/<package>`).
    pub lib_dir: String,
    /// The files kept across upgrades (`/etc/<package>`).
    pub conf_dir: String,
}

impl Layout {
    /// The .deb's: Debian keeps package-private programs under /usr/lib.
    pub fn deb(package: &str) -> Self {
        Layout {
            lib_dir: format!("/usr/lib/{package}"),
            conf_dir: format!("/etc/{package}"),
        }
    }

    /// The tarball's: locally installed software lives under /usr/local.
    pub fn tarball(package: &str) -> Self {
        Layout {
            lib_dir: format!("/usr/local/lib/{package}"),
            conf_dir: format!("/etc/{package}"),
        }
    }
}

/// The unit's file name: the package name, so `systemctl status <package>` finds it.
pub fn unit_name(linux: &Linux) -> String {
    format!("{}.service", linux.package)
}

/// Whether the unit is enabled at install time (auto and delayed start).
pub fn starts_at_boot(service: &Service) -> bool {
    matches!(service.start, StartType::Auto | StartType::Delayed)
}

/// When and how often systemd restarts the service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Restart {
    pub delay_secs: u32,
    /// `StartLimitIntervalSec`; `None` is `infinity` (a failure count that never resets).
    pub interval_secs: Option<u32>,
    /// `StartLimitBurst`: the first start plus the restarts allowed in the interval.
    pub burst: u32,
}

/// The restart policy: from the recovery actions when one is `restart` (the delay of the
/// first, the reset period, one start per restart action), else from the service host's
/// settings for a hosted service, else none (Windows would not restart it either).
pub fn restart(service: &Service) -> Option<Restart> {
    let r = &service.recovery;
    let restarts: Vec<u32> = r
        .steps
        .iter()
        .filter(|s| s.action == RecoveryAction::Restart)
        .map(|s| s.delay_secs)
        .collect();
    if let Some(first) = restarts.first() {
        return Some(Restart {
            delay_secs: *first,
            // Windows: a reset period of 0 never resets the failure count.
            interval_secs: Some(r.reset_after_secs).filter(|s| *s > 0),
            burst: restarts.len() as u32 + 1,
        });
    }
    match &service.host {
        Some(h) if h.max_restarts_per_hour > 0 => Some(Restart {
            delay_secs: h.restart_delay_secs,
            interval_secs: Some(3600),
            burst: h.max_restarts_per_hour.saturating_add(1),
        }),
        _ => None,
    }
}

/// The `.service` file for `service`: the `[Unit]` section, the `[Service]` section in named
/// steps (process, identity, environment, writable places, sandbox) and `[Install]`.
pub fn render(
    config: &Config,
    service: &Service,
    linux: &Linux,
    layout: &Layout,
    homepage: Option<&str>,
) -> String {
    let restart = restart(service);
    let mut unit = UnitText(format!(
        "# {} — written by cargo-svcpack from the package's service settings.\n[Unit]\n",
        linux.package
    ));
    unit_section(&mut unit, service, homepage, restart);
    unit.0.push_str("\n[Service]\n");
    process_keys(&mut unit, config, service, linux, layout, restart);
    user_keys(&mut unit, &linux.user);
    host_keys(&mut unit, service, layout);
    writable_places(&mut unit, service, linux);
    if linux.hardening {
        sandbox_keys(&mut unit, linux);
    }
    if starts_at_boot(service) {
        unit.0.push_str("\n[Install]\nWantedBy=multi-user.target\n");
    }
    unit.0
}

/// The unit file being written, one `Key=value` line at a time.
struct UnitText(String);

impl UnitText {
    fn add(&mut self, k: &str, v: &str) {
        self.0.push_str(k);
        self.0.push('=');
        self.0.push_str(v);
        self.0.push('\n');
    }
}

/// `[Unit]`: description, documentation, ordering after the network and the dependencies,
/// and the start limit that bounds the restarts.
fn unit_section(
    unit: &mut UnitText,
    service: &Service,
    homepage: Option<&str>,
    restart: Option<Restart>,
) {
    unit.add("Description", &escape_specifiers(&service.display_name));
    if let Some(url) = homepage.filter(|u| u.starts_with("https://") || u.starts_with("http://")) {
        if !url.contains(char::is_whitespace) {
            unit.add("Documentation", &escape_specifiers(url));
        }
    }
    let deps: Vec<String> = service
        .dependencies
        .iter()
        .filter(|d| !d.starts_with('+'))
        .map(|d| format!("{d}.service"))
        .collect();
    let mut after = vec!["network.target".to_string()];
    after.extend(deps.iter().cloned());
    unit.add("After", &after.join(" "));
    if !deps.is_empty() {
        unit.add("Wants", &deps.join(" "));
    }
    if let Some(r) = restart {
        match r.interval_secs {
            Some(s) => unit.add("StartLimitIntervalSec", &s.to_string()),
            None => unit.add("StartLimitIntervalSec", "infinity"),
        }
        unit.add("StartLimitBurst", &r.burst.to_string());
    }
}

/// How the process starts, restarts and stops.
fn process_keys(
    unit: &mut UnitText,
    config: &Config,
    service: &Service,
    linux: &Linux,
    layout: &Layout,
    restart: Option<Restart>,
) {
    unit.add(
        "Type",
        match linux.service_type {
            ServiceType::Simple => "simple",
            ServiceType::Notify => "notify",
        },
    );
    unit.add(
        "ExecStart",
        &exec_start(layout, &config.binary, &service.arguments),
    );
    match restart {
        Some(r) => {
            unit.add("Restart", "on-failure");
            unit.add("RestartSec", &r.delay_secs.to_string());
        }
        None => unit.add("Restart", "no"),
    }
    if let Some(h) = &service.host {
        unit.add("TimeoutStopSec", &h.stop_timeout_secs.to_string());
    }
}

/// The account the service runs as.
fn user_keys(unit: &mut UnitText, user: &LinuxUser) {
    match user {
        LinuxUser::Root => {}
        LinuxUser::Dynamic => unit.add("DynamicUser", "yes"),
        LinuxUser::Named(name) => {
            unit.add("User", name);
            unit.add("Group", name);
        }
    }
}

/// The service host's environment and working directory, for a hosted service.
fn host_keys(unit: &mut UnitText, service: &Service, layout: &Layout) {
    let Some(h) = &service.host else {
        return;
    };
    for (name, value) in &h.environment {
        unit.add("Environment", &quote(&format!("{name}={value}"), false));
    }
    let mut dir = layout.lib_dir.clone();
    for seg in h.working_dir.segments() {
        dir.push('/');
        dir.push_str(seg);
    }
    unit.add("WorkingDirectory", &escape_specifiers(&dir));
}

/// The service's own writable places: /var/lib/<package> always, /var/log/<package>
/// where the service host would have kept log files.
fn writable_places(unit: &mut UnitText, service: &Service, linux: &Linux) {
    unit.add("StateDirectory", &linux.package);
    if service.host.is_some() {
        unit.add("LogsDirectory", &linux.package);
    }
}

/// The default sandbox, plus the paths the package lets the service write.
fn sandbox_keys(unit: &mut UnitText, linux: &Linux) {
    for (k, v) in HARDENING {
        unit.add(k, v);
    }
    if !linux.read_write_paths.is_empty() {
        let paths: Vec<String> = linux
            .read_write_paths
            .iter()
            .map(|p| escape_specifiers(p))
            .collect();
        unit.add("ReadWritePaths", &paths.join(" "));
    }
}

/// The default sandbox (systemd.exec(5)); `[linux] hardening = false` drops it.
const HARDENING: &[(&str, &str)] = &[
    ("NoNewPrivileges", "yes"),
    ("ProtectSystem", "strict"),
    ("ProtectHome", "yes"),
    ("PrivateTmp", "yes"),
    ("PrivateDevices", "yes"),
    ("ProtectKernelTunables", "yes"),
    ("ProtectKernelModules", "yes"),
    ("ProtectControlGroups", "yes"),
    ("RestrictSUIDSGID", "yes"),
    ("LockPersonality", "yes"),
];

/// `ExecStart=`: the program's absolute path, then each argument quoted.
pub fn exec_start(layout: &Layout, binary: &str, arguments: &[String]) -> String {
    let mut line = escape_specifiers(&format!("{}/{binary}", layout.lib_dir));
    for a in arguments {
        line.push(' ');
        line.push_str(&quote(a, true));
    }
    line
}

/// One word in double quotes, as systemd's command-line parser reads it back: `\` and `"`
/// escaped, control characters as C escapes, `%` doubled (specifiers) and, in command
/// lines, `$` doubled (variable expansion).
pub fn quote(word: &str, command_line: bool) -> String {
    let mut out = String::from("\"");
    for c in word.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '%' => out.push_str("%%"),
            '$' if command_line => out.push_str("$$"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `%` doubled, for settings that expand specifiers but take the text as it is.
fn escape_specifiers(text: &str) -> String {
    text.replace('%', "%%")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(quote("plain", true), "\"plain\"");
        assert_eq!(quote("", true), "\"\"");
        assert_eq!(quote("a b\"c\\d", true), "\"a b\\\"c\\\\d\"");
        assert_eq!(quote("100% $HOME", true), "\"100%% $$HOME\"");
        assert_eq!(quote("100% $HOME", false), "\"100%% $HOME\"");
        assert_eq!(quote("a\tb\x01", true), "\"a\\tb\\x01\"");
        let layout = Layout::deb("ledger");
        assert_eq!(
            exec_start(&layout, "ledger", &["--port".into(), "1 2".into()]),
            "/usr/lib/ledger/ledger \"--port\" \"1 2\""
        );
    }
}
