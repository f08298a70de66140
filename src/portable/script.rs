//! `install.ps1` and `uninstall.ps1`: the service registration of the MSI, redone by sc.exe.
//!
//! This module owns turning a [`Service`] into the exact sc.exe command lines the scripts
//! run, and the two quoting layers that gets wrong when done by hand:
//!
//! 1. **Windows command lines** ([`quote_windows_arg`], from [`crate::winargs`]): every
//!    argument sc.exe receives,
//!    and every argument inside the service's `binPath=`, is quoted by the rules
//!    `CommandLineToArgvW` and the C runtime parse (quote when empty or holding a space,
//!    tab, newline, vertical tab or `"`; `\"` for a quote; backslashes doubled only before a
//!    quote or the closing quote). The scripts hand these command lines to sc.exe unchanged,
//!    because Windows PowerShell 5.1 mangles embedded quotes when it builds one itself.
//! 2. **PowerShell string literals** ([`ps_literal`]): every value enters the script as a
//!    single-quoted literal with each single quote doubled, including the typographic
//!    quotes U+2018–U+201B, which PowerShell also accepts as single quotes. No value is ever
//!    placed in a comment, a double-quoted string or code.
//!
//! The only thing not known at build time is the folder the service runs from, so
//! `binPath=` is generated as a prefix and a suffix around it (see [`BinPath`]).
//!
//! The scripts come from `templates/portable/*.ps1` (embedded) with `{{name}}`
//! placeholders; [`fill`] refuses an unknown placeholder, so a template and this code
//! cannot drift apart silently. Output is CRLF text; the caller adds the UTF-8 BOM that
//! Windows PowerShell 5.1 needs to read non-ASCII text as UTF-8.

use crate::config::{Account, Recovery, RecoveryAction, Service, SidType, StartType};

use super::PortableError;

const INSTALL_TEMPLATE: &str = include_str!("../../templates/portable/install.ps1");
const UNINSTALL_TEMPLATE: &str = include_str!("../../templates/portable/uninstall.ps1");
const HELPERS_TEMPLATE: &str = include_str!("../../templates/portable/common.ps1");

pub use crate::winargs::{quote_windows_arg, windows_command_line};

/// A PowerShell single-quoted string literal holding exactly `s`.
pub(crate) fn ps_literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        // PowerShell treats U+2018..U+201B like `'`: each must be doubled too, or a
        // typographic quote in a display name would end the string.
        if matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}') {
            out.push(c);
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// A PowerShell array literal of string literals: `@('a', 'b')`, `@()` when empty.
pub(crate) fn ps_array<S: AsRef<str>>(items: &[S]) -> String {
    let inner: Vec<String> = items.iter().map(|s| ps_literal(s.as_ref())).collect();
    format!("@({})", inner.join(", "))
}

fn ps_bool(b: bool) -> &'static str {
    if b {
        "$true"
    } else {
        "$false"
    }
}

/// Replaces every `{{name}}` in `template` by its value; an unknown name is an error.
/// Values are inserted verbatim (they are never scanned for placeholders themselves).
pub(crate) fn fill(template: &str, vars: &[(&str, &str)]) -> Result<String, PortableError> {
    let mut out = String::with_capacity(template.len() * 2);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or_else(|| PortableError::Template {
            detail: "an unclosed `{{`".into(),
        })?;
        let name = &after[..end];
        let value = vars
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| *v)
            .ok_or_else(|| PortableError::Template {
                detail: format!("unknown placeholder `{{{{{name}}}}}`"),
            })?;
        out.push_str(value);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Template text with CRLF line ends, whatever the checkout did to the file.
pub(crate) fn crlf(text: &str) -> String {
    text.replace('\r', "").replace('\n', "\r\n")
}

/// `binPath=` as sc.exe receives it, split around the runtime install folder:
/// `prefix + folder + suffix` is one quoted argument holding
/// `"<folder>\<exe>" <arguments>`.
///
/// Splitting is exact because the folder sits between `"` and `\<exe>`: no backslash in
/// it can come before a quote, so quoting leaves its characters as they are (the script
/// refuses a folder containing `"`, which Windows does not allow anyway).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct BinPath {
    pub prefix: String,
    pub suffix: String,
}

impl BinPath {
    pub fn new(exe_name: &str, arguments: &[String]) -> Self {
        // A marker character for the folder; it is neither `\` nor `"` nor whitespace, so
        // quoting copies it through, and it is the first character after `"`.
        const MARK: char = '\u{1}';
        let mut image = format!("\"{MARK}\\{exe_name}\"");
        if !arguments.is_empty() {
            image.push(' ');
            image.push_str(&windows_command_line(arguments));
        }
        let quoted = quote_windows_arg(&image);
        let (prefix, suffix) = quoted.split_once(MARK).unwrap_or((&quoted, ""));
        BinPath {
            prefix: prefix.to_string(),
            suffix: suffix.to_string(),
        }
    }
}

/// sc.exe's keyword for a start type.
pub(crate) fn sc_start(start: StartType) -> &'static str {
    match start {
        StartType::Auto => "auto",
        StartType::Delayed => "delayed-auto",
        StartType::Demand => "demand",
        StartType::Disabled => "disabled",
    }
}

/// The arguments of `sc.exe failure <name> ...`: the same actions, delays, reset period
/// and command as the MSI's MsiServiceConfigFailureActions row. With no actions, they
/// clear any earlier ones (`actions= ""`), so re-running after removing recovery works.
pub(crate) fn sc_failure(recovery: &Recovery) -> String {
    if recovery.steps.is_empty() {
        return "reset= 0 actions= \"\" command= \"\"".into();
    }
    let actions: Vec<String> = recovery
        .steps
        .iter()
        .map(|step| {
            // sc.exe reads an empty action name as "no action" (SC_ACTION_NONE); this is
            // what the documented `""/delay` spelling leaves once cmd strips the quotes.
            let name = match step.action {
                RecoveryAction::Restart => "restart",
                RecoveryAction::Reboot => "reboot",
                RecoveryAction::Run => "run",
                RecoveryAction::None => "",
            };
            // delay_secs is at most 4294967 (checked by config): the product fits a u32.
            format!("{name}/{}", u64::from(step.delay_secs) * 1000)
        })
        .collect();
    format!(
        "reset= {} actions= {} command= {}",
        recovery.reset_after_secs,
        actions.join("/"),
        quote_windows_arg(recovery.command.as_deref().unwrap_or(""))
    )
}

/// `sc.exe failureflag <name> <flag>`: 1 makes the recovery actions also apply when the
/// service stops itself with an error (a non-zero exit code in SERVICE_STOPPED, as
/// svcpack's service host reports when it gives up), not only when its process dies. As
/// in the MSI, only when `non-crash-failures` is set and there are actions to apply.
pub(crate) fn sc_failure_flag(recovery: &Recovery) -> &'static str {
    if recovery.non_crash_failures && !recovery.steps.is_empty() {
        "1"
    } else {
        "0"
    }
}

/// `sc.exe sidtype <name> <type>`: sc.exe's keywords are svcpack's (`none`,
/// `unrestricted`, `restricted`). Always applied, as the MSI's helper does, so removing
/// the setting in a later version converges too.
pub(crate) fn sc_sid_type(sid: SidType) -> &'static str {
    sid.as_str()
}

/// `sc.exe privs <name> <list>`: the required privileges, `/`-separated. Empty when none
/// are configured: the script then leaves the service manager's list alone, as the MSI's
/// helper does.
pub(crate) fn sc_privileges(service: &Service) -> String {
    service.required_privileges.join("/")
}

/// The icacls arguments after the log folder's path that give it the ACL the MSI gives
/// it ([`crate::host::log_dir_acl`]): inheritance removed, full control for SYSTEM and
/// Administrators, modify access for the service's account or service SID.
pub(crate) fn icacls_log_dir_grants(service: &Service) -> String {
    let mut grants = vec![
        "/inheritance:r".to_string(),
        "/grant:r".to_string(),
        "*S-1-5-18:(OI)(CI)F".to_string(),
        "*S-1-5-32-544:(OI)(CI)F".to_string(),
    ];
    if let Some(sid) = crate::host::log_dir_grantee(&service.account, &service.name) {
        grants.push(format!("*{sid}:(OI)(CI)M"));
    }
    grants.join(" ")
}

/// The sc.exe options shared by `create` and `config` after `binPath=` (the password
/// is added by the script, which alone knows it).
pub(crate) fn sc_options(service: &Service) -> String {
    let depend = if service.dependencies.is_empty() {
        // `depend= /` clears dependencies an earlier version had.
        "/".to_string()
    } else {
        service.dependencies.join("/")
    };
    format!(
        "type= own start= {} error= normal obj= {} DisplayName= {} depend= {}",
        sc_start(service.start),
        quote_windows_arg(&service.account.object_name(&service.name)),
        quote_windows_arg(&service.display_name),
        quote_windows_arg(&depend),
    )
}

/// True when the account logs on with a password the script must be given: a named user
/// that is not a group managed service account (`DOMAIN\name$`).
pub(crate) fn account_needs_password(account: &Account) -> bool {
    account.needs_password()
}

/// What the service manager runs: the program file name (in the package folder) and its
/// arguments.
pub(crate) struct Program<'a> {
    pub exe_name: &'a str,
    pub arguments: &'a [String],
}

/// The two scripts, as CRLF text without BOM.
pub(crate) struct Scripts {
    pub install: String,
    pub uninstall: String,
}

/// Renders `install.ps1` and `uninstall.ps1` for `service`. `main_exe` is the packaged
/// program (what a program firewall rule allows, also when the host runs it).
/// `package_files` and `preserve_files` are Windows relative paths (`conf\agent.toml`).
pub(crate) fn scripts(
    service: &Service,
    program: &Program<'_>,
    main_exe: &str,
    package_files: &[String],
    preserve_files: &[String],
) -> Result<Scripts, PortableError> {
    check_passable(service, program)?;
    let svcpack_version = env!("CARGO_PKG_VERSION");
    let name = service.name.as_str();
    let bin_path = BinPath::new(program.exe_name, program.arguments);
    let helpers = crlf(HELPERS_TEMPLATE);
    let sc_name = quote_windows_arg(name);
    // A hosted service's log folder, created with the MSI's ACL; none otherwise.
    let (log_dir, icacls) = match &service.host {
        Some(h) => (h.log_dir.to_windows(), icacls_log_dir_grants(service)),
        None => (String::new(), String::new()),
    };
    let netsh = super::firewall::netsh_lines(service, main_exe);
    let netsh_delete = ps_array(&netsh.delete);
    let netsh_add_before: Vec<&str> = netsh.add.iter().map(|(b, _)| b.as_str()).collect();
    let netsh_add_after: Vec<&str> = netsh.add.iter().map(|(_, a)| a.as_str()).collect();
    let install = fill(
        &crlf(INSTALL_TEMPLATE),
        &[
            ("svcpack_version", svcpack_version),
            ("service_name", &ps_literal(name)),
            ("display_name", &ps_literal(&service.display_name)),
            ("exe_name", &ps_literal(program.exe_name)),
            ("sc_name", &ps_literal(&sc_name)),
            ("sc_bin_path_prefix", &ps_literal(&bin_path.prefix)),
            ("sc_bin_path_suffix", &ps_literal(&bin_path.suffix)),
            ("sc_options", &ps_literal(&sc_options(service))),
            (
                "sc_description",
                &ps_literal(&quote_windows_arg(
                    service.description.as_deref().unwrap_or(""),
                )),
            ),
            ("sc_failure", &ps_literal(&sc_failure(&service.recovery))),
            (
                "sc_failure_flag",
                &ps_literal(sc_failure_flag(&service.recovery)),
            ),
            ("sc_sid_type", &ps_literal(sc_sid_type(service.sid_type))),
            ("sc_privileges", &ps_literal(&sc_privileges(service))),
            (
                "preshutdown_ms",
                &service.preshutdown_timeout_secs.map_or_else(
                    || "$null".to_string(),
                    |s| (u64::from(s) * 1000).to_string(),
                ),
            ),
            ("netsh_delete", &netsh_delete),
            ("netsh_add_before", &ps_array(&netsh_add_before)),
            ("netsh_add_after", &ps_array(&netsh_add_after)),
            ("log_dir", &ps_literal(&log_dir)),
            ("icacls_log_dir", &ps_literal(&icacls)),
            (
                "account",
                &ps_literal(&service.account.object_name(&service.name)),
            ),
            (
                "account_needs_password",
                ps_bool(account_needs_password(&service.account)),
            ),
            ("event_source", ps_bool(service.event_source)),
            (
                "start_service",
                ps_bool(service.start != StartType::Disabled),
            ),
            ("package_files", &ps_array(package_files)),
            ("preserve_files", &ps_array(preserve_files)),
            ("helpers", &helpers),
        ],
    )?;
    let uninstall = fill(
        &crlf(UNINSTALL_TEMPLATE),
        &[
            ("svcpack_version", svcpack_version),
            ("service_name", &ps_literal(name)),
            ("sc_name", &ps_literal(&sc_name)),
            ("netsh_delete", &netsh_delete),
            ("event_source", ps_bool(service.event_source)),
            ("helpers", &helpers),
        ],
    )?;
    Ok(Scripts { install, uninstall })
}

/// A Windows command line is NUL-terminated: a NUL inside a value cannot reach sc.exe.
fn check_passable(service: &Service, program: &Program<'_>) -> Result<(), PortableError> {
    let mut values: Vec<(String, &str)> = vec![
        ("the service display name".into(), &service.display_name),
        ("the program name".into(), program.exe_name),
    ];
    if let Some(d) = &service.description {
        values.push(("the service description".into(), d));
    }
    if let Some(c) = &service.recovery.command {
        values.push(("the recovery command".into(), c));
    }
    for (n, a) in program.arguments.iter().enumerate() {
        values.push((format!("service argument {}", n + 1), a));
    }
    for d in &service.dependencies {
        values.push(("a service dependency".into(), d));
    }
    match values.into_iter().find(|(_, v)| v.contains('\0')) {
        Some((what, _)) => Err(PortableError::Unrepresentable {
            what,
            reason: "it contains a NUL character, which a Windows command line cannot carry".into(),
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// `CommandLineToArgvW`'s rules for the arguments after the program name (as
    /// documented, including the post-2008 C runtime's `""` inside quotes), used to prove
    /// that quoting round-trips: the installer helper's own splitter, which reads the
    /// command lines svcpack writes for it on Windows.
    pub(crate) fn parse_windows_args(line: &str) -> Vec<String> {
        crate::helper::settings::split_args(line)
    }

    #[test]
    fn ps_literals_double_every_single_quote() {
        assert_eq!(ps_literal("plain"), "'plain'");
        assert_eq!(ps_literal(""), "''");
        assert_eq!(ps_literal("it's"), "'it''s'");
        assert_eq!(ps_literal("‘a’ ‚b‛"), "'‘‘a’’ ‚‚b‛‛'");
        assert_eq!(ps_literal("$env:X `n \"q\""), "'$env:X `n \"q\"'");
        assert_eq!(ps_array::<&str>(&[]), "@()");
        assert_eq!(ps_array(&["a", "b'c"]), "@('a', 'b''c')");
    }

    #[test]
    fn fill_replaces_known_and_refuses_unknown() {
        assert_eq!(
            fill("a {{x}} b {{y}}{{x}}", &[("x", "1"), ("y", "{{z}}")]).unwrap(),
            "a 1 b {{z}}1"
        );
        assert!(matches!(
            fill("{{nope}}", &[]),
            Err(PortableError::Template { .. })
        ));
        assert!(matches!(
            fill("{{open", &[]),
            Err(PortableError::Template { .. })
        ));
    }

    #[test]
    fn bin_path_wraps_the_folder() {
        let args = vec!["--port".to_string(), "18431".to_string()];
        let b = BinPath::new("svc.exe", &args);
        assert_eq!(b.prefix, "\"\\\"");
        assert_eq!(b.suffix, "\\svc.exe\\\" --port 18431\"");
        let whole = format!("{}C:\\Program Files\\Ledger{}", b.prefix, b.suffix);
        assert_eq!(
            parse_windows_args(&whole),
            ["\"C:\\Program Files\\Ledger\\svc.exe\" --port 18431"]
        );
        let b = BinPath::new("svc.exe", &[]);
        assert_eq!(b.suffix, "\\svc.exe\\\"\"");
        // Trailing backslashes of the last argument are doubled before the closing quote.
        let b = BinPath::new("a.exe", &["C:\\data dir\\".to_string()]);
        let whole = format!("{}D:{}", b.prefix, b.suffix);
        assert_eq!(
            parse_windows_args(&whole),
            ["\"D:\\a.exe\" \"C:\\data dir\\\\\""]
        );
    }
}
