//! The `[linux]` table and what a Linux target makes of the Windows-shaped keys.
//!
//! This file owns reading `[linux]` (Debian package identity, systemd service type,
//! hardening) and checking the shared keys against Linux: a Windows account or argument
//! that Linux cannot express is an error, a key with no Linux meaning is a warning. Those
//! findings are kept, located, in [`Linux::errors`] and [`Linux::warnings`] rather than
//! failing the load, because they only matter when a Linux target is built (a Windows-only
//! build of the same configuration must not be refused over them).

use super::error::{ConfigError, Fault, FaultResult};
use super::read::{Item, Table};
use super::{Account, Config, PackageInfo, RecoveryAction};

/// The longest user name `useradd` accepts by default.
const MAX_USER_LEN: usize = 32;

/// How systemd learns that the service has started (`Type=`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServiceType {
    /// Started as soon as the process runs (`Type=simple`).
    Simple,
    /// The program calls `sd_notify("READY=1")` (`Type=notify`).
    Notify,
}

/// Who the systemd unit runs the program as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinuxUser {
    /// `LocalSystem`: root (no `User=`).
    Root,
    /// `LocalService`, `NetworkService`, `virtual` or no account: a transient user
    /// systemd allocates (`DynamicUser=yes`), the closest match to a per-service identity.
    Dynamic,
    /// A named account: `User=<name>`, created by the package when missing.
    Named(String),
}

/// Linux packaging settings, all defaults applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Linux {
    /// The Debian package name (lower case, `[a-z0-9][a-z0-9+.-]+`); also the unit's name
    /// and the folder under `/usr/lib`, `/etc`, `/var/lib`.
    pub package: String,
    /// The Debian revision after the upstream version (`1.4.0-<revision>`).
    pub revision: String,
    /// The Debian `Maintainer` field, `Name <email>`.
    pub maintainer: String,
    /// The Debian section.
    pub section: String,
    /// The Debian `Depends` field's entries.
    pub depends: Vec<String>,
    /// The unit's `Type=`.
    pub service_type: ServiceType,
    /// The unit's default sandboxing (`NoNewPrivileges`, `ProtectSystem=strict`, …).
    pub hardening: bool,
    /// Absolute paths the service may write despite `ProtectSystem=strict`.
    pub read_write_paths: Vec<String>,
    /// The account, mapped.
    pub user: LinuxUser,
    /// Located, one line each: what makes this configuration unbuildable for Linux.
    pub errors: Vec<String>,
    /// Located, one line each: keys a Linux target ignores.
    pub warnings: Vec<String>,
}

/// Why a Linux target ignores `sign`, top-level or on a `[[files]]` entry.
const SIGN_WHY: &str = "Authenticode signing applies to Windows files";

/// Windows-only keys: where they are and why Linux ignores them.
const WINDOWS_ONLY: &[(&[&str], &str)] = &[
    (&["icon"], "Linux packages have no program icon"),
    (&["compress"], "Linux packages carry the program as built"),
    (&["upx-args"], "Linux packages carry the program as built"),
    (&["backend"], "it chooses the MSI compiler"),
    (&["upgrade-code"], "Debian packages upgrade by package name"),
    (&["sign"], SIGN_WHY),
    (
        &["service", "event-source"],
        "journald keeps the service's messages",
    ),
    (&["service", "sid-type"], "Linux has no service SIDs"),
    (
        &["service", "firewall"],
        "Windows Firewall rules; open the ports in the machine's own firewall",
    ),
    (
        &["service", "required-privileges"],
        "Linux has no Windows privileges; the unit's hardening restricts the service",
    ),
    (
        &["service", "preshutdown-timeout-secs"],
        "systemd has no pre-shutdown notification",
    ),
    (
        &["service", "recovery", "command"],
        "systemd restarts the service; it runs no recovery command",
    ),
    (
        &["service", "recovery", "non-crash-failures"],
        "Restart=on-failure covers both crashes and failing exit codes",
    ),
    (
        &["service", "host", "log-max-bytes"],
        "journald keeps and rotates the service's output",
    ),
    (
        &["service", "host", "log-keep"],
        "journald keeps and rotates the service's output",
    ),
];

/// Reads `[linux]` from the svcpack table (`top`) and checks the shared keys for Linux.
/// `locate` gives a deferred finding its file and line.
pub(crate) fn read(
    top: &Table,
    config: &Config,
    pkg: &PackageInfo,
    locate: &dyn Fn(Fault) -> ConfigError,
) -> FaultResult<Linux> {
    let mut found = Findings::default();
    let table = top.get("linux").map(|i| i.table()).transpose()?;
    let get = |key: &str| table.as_ref().and_then(|t| t.get(key));

    let package = package(get("package"), top, pkg, &mut found)?;
    let revision = match get("revision") {
        Some(i) => revision(&i)?,
        None => "1".into(),
    };
    let maintainer = maintainer(get("maintainer"), top, config, pkg, &package, &mut found)?;
    let section = match get("section") {
        Some(i) => section(&i)?,
        None => "misc".into(),
    };
    let depends = match get("depends") {
        Some(i) => depends(&i)?,
        // Every `-linux-gnu` program links the C library.
        None => vec!["libc6".into()],
    };
    let service_type = match get("service-type") {
        Some(i) => service_type(&i)?,
        None => ServiceType::Simple,
    };
    let hardening = get("hardening")
        .map(|i| i.boolean())
        .transpose()?
        .unwrap_or(true);
    let read_write_paths = match get("read-write-paths") {
        Some(i) => read_write_paths(&i)?,
        None => Vec::new(),
    };

    let service = top.get("service").map(|i| i.table()).transpose()?;
    let user = user(config, service.as_ref(), &mut found);
    if let Some(t) = &service {
        check_arguments(t, &mut found)?;
        check_dependencies(t, &mut found)?;
        check_recovery_actions(t, &mut found)?;
        check_environment(t, &mut found);
    }
    warn_windows_only(top, &mut found);
    let text = |faults: Vec<Fault>| faults.into_iter().map(|f| locate(f).to_string()).collect();
    Ok(Linux {
        package,
        revision,
        maintainer,
        section,
        depends,
        service_type,
        hardening,
        read_write_paths,
        user,
        errors: text(found.errors),
        warnings: text(found.warnings),
    })
}

/// The deferred findings of [`read`], in the order they were found.
#[derive(Default)]
struct Findings {
    /// What makes the configuration unbuildable for Linux.
    errors: Vec<Fault>,
    /// Keys a Linux target ignores.
    warnings: Vec<Fault>,
}

/// `package`: the Debian package name, derived from the Cargo package name when not set.
fn package(
    item: Option<Item>,
    top: &Table,
    pkg: &PackageInfo,
    found: &mut Findings,
) -> FaultResult<String> {
    if let Some(i) = item {
        let name = i.string()?;
        check_package_name(name).map_err(|m| i.fault(m))?;
        return Ok(name.to_string());
    }
    let derived = pkg.name.to_ascii_lowercase().replace('_', "-");
    if let Err(m) = check_package_name(&derived) {
        found.errors.push(missing(
            top,
            "package",
            format!(
                "not set, and the package name `{}` gives no Debian package name: {m}",
                pkg.name
            ),
        ));
    }
    Ok(derived)
}

/// `revision`: the Debian revision, a digit first.
fn revision(i: &Item) -> FaultResult<String> {
    let r = i.string()?;
    let ok = !r.is_empty()
        && r.chars().next().is_some_and(|c| c.is_ascii_digit())
        && r.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '~'));
    if !ok {
        return Err(i.fault(format!(
            "`{r}` is not a Debian revision; allowed: a digit, then letters, digits, `+`, `.` or `~`, e.g. \"1\""
        )));
    }
    Ok(r.to_string())
}

/// `maintainer`: `Name <email>`, else the first package author with an email, else a
/// placeholder address with a warning.
fn maintainer(
    item: Option<Item>,
    top: &Table,
    config: &Config,
    pkg: &PackageInfo,
    package: &str,
    found: &mut Findings,
) -> FaultResult<String> {
    if let Some(i) = item {
        let m = i.text()?;
        if !is_contact(&m) {
            return Err(i.fault(format!(
                "`{m}` is not `Name <email>`; allowed: e.g. \"Jane Doe <jane@example.com>\""
            )));
        }
        return Ok(m);
    }
    if let Some(a) = pkg.authors.iter().find(|a| is_contact(a.trim())) {
        return Ok(a.trim().to_string());
    }
    let fallback = format!("{} <{package}@localhost.localdomain>", config.manufacturer);
    found.warnings.push(missing(
        top,
        "maintainer",
        format!(
            "not set and no package author has an email; using `{fallback}`, an \
             address lintian rejects (set maintainer = \"Name <email>\")"
        ),
    ));
    Ok(fallback)
}

/// `section`: the Debian archive section.
fn section(i: &Item) -> FaultResult<String> {
    let s = i.string()?;
    if s.is_empty()
        || !s
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '/'))
    {
        return Err(i.fault(format!(
            "`{s}` is not a Debian section; allowed: e.g. \"net\", \"admin\", \"misc\""
        )));
    }
    Ok(s.to_string())
}

/// `depends`: the Debian `Depends` entries, one dependency each.
fn depends(i: &Item) -> FaultResult<Vec<String>> {
    texts(i, |d, text| {
        if text.contains(',') {
            return Err(d.fault(
                "contains `,`; allowed: one dependency per entry, e.g. [\"libc6 (>= 2.31)\", \"ca-certificates\"]",
            ));
        }
        Ok(text.trim().to_string())
    })
}

/// `service-type`: the unit's `Type=`.
fn service_type(i: &Item) -> FaultResult<ServiceType> {
    match i.string()? {
        "simple" => Ok(ServiceType::Simple),
        "notify" => Ok(ServiceType::Notify),
        other => Err(i.fault(format!(
            "unknown service type `{other}`; allowed: simple, notify"
        ))),
    }
}

/// `read-write-paths`: absolute paths the hardened unit may still write.
fn read_write_paths(i: &Item) -> FaultResult<Vec<String>> {
    texts(i, |p, path| {
        if !path.starts_with('/') || path.contains(char::is_whitespace) {
            return Err(p.fault(format!(
                "`{path}` is not an absolute path without spaces; allowed: e.g. \"/srv/ledger\""
            )));
        }
        Ok(path)
    })
}

/// An array of texts, each checked (and possibly rewritten) by `check`; the first fault wins.
fn texts(
    i: &Item,
    check: impl Fn(&Item, String) -> FaultResult<String>,
) -> FaultResult<Vec<String>> {
    i.array()?.iter().map(|d| check(d, d.text()?)).collect()
}

/// `[service] account` mapped to the unit's user; an account Linux cannot express is an
/// error and falls back to a dynamic user.
fn user(config: &Config, service: Option<&Table>, found: &mut Findings) -> LinuxUser {
    let (Some(s), Some(t)) = (&config.service, service) else {
        return LinuxUser::Dynamic;
    };
    let at = t.get("account");
    match &s.account {
        // Omitted: Windows' default account means nothing on Linux; a dynamic
        // user is the least-privileged identity systemd offers.
        _ if at.is_none() => LinuxUser::Dynamic,
        Account::LocalSystem => LinuxUser::Root,
        Account::LocalService | Account::NetworkService | Account::Virtual => LinuxUser::Dynamic,
        Account::User(name) => match linux_user(name) {
            Ok(u) => LinuxUser::Named(u),
            Err(m) => {
                let fault = match &at {
                    Some(i) => i.fault(m),
                    None => t.fault("account", m),
                };
                found.errors.push(fault);
                LinuxUser::Dynamic
            }
        },
    }
}

/// `[service] arguments`: each must fit on `ExecStart=`'s one line.
fn check_arguments(t: &Table, found: &mut Findings) -> FaultResult<()> {
    let Some(i) = t.get("arguments") else {
        return Ok(());
    };
    for a in i.array()? {
        let text = a.string()?;
        if text.contains(['\r', '\n']) {
            found.errors.push(a.fault(
                "contains a line break, which a systemd unit's ExecStart= cannot carry; \
                 allowed: arguments without line breaks",
            ));
        }
    }
    Ok(())
}

/// `[service] dependencies`: each must name a systemd unit; load-order groups are ignored.
fn check_dependencies(t: &Table, found: &mut Findings) -> FaultResult<()> {
    let Some(i) = t.get("dependencies") else {
        return Ok(());
    };
    for d in i.array()? {
        let text = d.string()?;
        if text.starts_with('+') {
            found.warnings.push(d.fault(format!(
                "`{text}` is a Windows load-order group; a Linux target ignores it"
            )));
        } else if !is_unit_name(text) {
            found.errors.push(d.fault(format!(
                "`{text}` cannot name a systemd unit; allowed: letters, digits, `:`, `_`, `.`, `-` \
                 (the dependency becomes After=/Wants={text}.service)"
            )));
        }
    }
    Ok(())
}

/// `[service.recovery] actions`: `reboot` and `run` have no unit equivalent.
fn check_recovery_actions(t: &Table, found: &mut Findings) -> FaultResult<()> {
    let Some(actions) = t
        .get("recovery")
        .and_then(|r| r.table().ok())
        .and_then(|r| r.get("actions"))
    else {
        return Ok(());
    };
    for a in actions.array()? {
        let action = RecoveryAction::parse(a.string()?).map_err(|m| a.fault(m))?;
        if matches!(action, RecoveryAction::Reboot | RecoveryAction::Run) {
            found.warnings.push(a.fault(format!(
                "`{action}` has no Linux equivalent in the unit; a Linux target restarts \
                 on failure only"
            )));
        }
    }
    Ok(())
}

/// `[service.host.environment]`: each name must be one `Environment=` accepts.
fn check_environment(t: &Table, found: &mut Findings) {
    let Some(env) = t
        .get("host")
        .and_then(|h| h.table().ok())
        .and_then(|h| h.get("environment"))
        .and_then(|e| e.table().ok())
    else {
        return;
    };
    for (key, _) in env.entries() {
        if let Some(value) = env.get(&key.name) {
            if !is_env_name(&key.name) {
                found.errors.push(value.fault(
                    "not a name systemd's Environment= accepts; allowed: letters, digits and `_`, not starting with a digit",
                ));
            }
        }
    }
}

/// Warns about each Windows-only key present, `[[files]] sign` included.
fn warn_windows_only(top: &Table, found: &mut Findings) {
    let ignored = |why: &str| format!("Windows only: a Linux target ignores it ({why})");
    for (path, why) in WINDOWS_ONLY {
        if let Some(item) = find(top, path) {
            found.warnings.push(item.fault(ignored(why)));
        }
    }
    let Some(items) = top.get("files").and_then(|files| files.array().ok()) else {
        return;
    };
    for f in items {
        if let Some(i) = f.table().ok().and_then(|t| t.get("sign")) {
            found.warnings.push(i.fault(ignored(SIGN_WHY)));
        }
    }
}

/// A fault about a `[linux]` key that is not set, placed at the svcpack table.
fn missing(top: &Table, key: &str, message: String) -> Fault {
    let path = super::read::join(&super::read::join(&top.path, "linux"), key);
    Fault::new(top.node.span.clone(), path, message)
}

/// The item at a key path below `top`, if every table on the way exists.
fn find<'a>(top: &Table<'a>, path: &[&str]) -> Option<Item<'a>> {
    let (last, tables) = path.split_last()?;
    let mut t = top.clone();
    for name in tables {
        t = t.get(name)?.table().ok()?;
    }
    t.get(last)
}

/// Debian policy 5.6.1: at least two characters, lower case letters, digits, `+`, `-`, `.`,
/// starting with a letter or digit.
fn check_package_name(name: &str) -> Result<(), String> {
    let ok = name.len() >= 2
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '+' | '-' | '.'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{name}` is not a Debian package name; allowed: at least two characters, lower-case \
             letters, digits, `+`, `-` and `.`, starting with a letter or digit"
        ))
    }
}

/// `Name <email>`, as Debian's Maintainer field wants it.
fn is_contact(text: &str) -> bool {
    match (text.find('<'), text.rfind('>')) {
        (Some(open), Some(close)) => {
            open > 0 && close == text.len() - 1 && text[open + 1..close].contains('@')
        }
        _ => false,
    }
}

/// A unit name's characters (systemd.unit(5): ASCII letters, digits, `:`, `-`, `_`, `.`, `\`;
/// the backslash only as escaping, which svcpack never generates).
pub(crate) fn is_unit_name(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 200
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '-' | '_' | '.'))
}

fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The Linux user a named account means: `user` or `.\user` (a local account) when the name
/// is one `useradd` accepts; domain accounts have no Linux counterpart.
fn linux_user(account: &str) -> Result<String, String> {
    const ALLOWED: &str =
        "allowed for a Linux target: LocalSystem (root), LocalService, NetworkService or \
         virtual (a dynamic user), or a local user name of lower-case letters, digits, `_` and `-` \
         starting with a letter or `_` (at most 32 characters)";
    let name = match account.split_once('\\') {
        Some((".", user)) => user,
        Some(_) => {
            return Err(format!(
                "`{account}` is a Windows domain account, which Linux has no counterpart for; {ALLOWED}"
            ))
        }
        None => account,
    };
    let valid = !name.is_empty()
        && name.len() <= MAX_USER_LEN
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-'));
    if valid {
        Ok(name.to_string())
    } else {
        Err(format!(
            "`{account}` is not a valid Linux user name; {ALLOWED}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_names() {
        assert!(check_package_name("ledger-agent").is_ok());
        assert!(check_package_name("lib2.0+x").is_ok());
        assert!(check_package_name("a").is_err());
        assert!(check_package_name("Ledger").is_err());
        assert!(check_package_name("-x").is_err());
    }

    #[test]
    fn accounts_map_to_linux_users() {
        assert_eq!(linux_user("svc-ledger").unwrap(), "svc-ledger");
        assert_eq!(linux_user(".\\ledger_1").unwrap(), "ledger_1");
        let e = linux_user("CORP\\svc").unwrap_err();
        assert!(e.contains("domain account"), "{e}");
        assert!(linux_user("Ledger")
            .unwrap_err()
            .contains("not a valid Linux user"));
        assert!(linux_user("svc$").is_err());
        assert!(linux_user("user@corp.example").is_err());
        assert!(linux_user(&"a".repeat(33)).is_err());
    }

    #[test]
    fn contacts() {
        assert!(is_contact("Jane Doe <jane@example.com>"));
        assert!(!is_contact("Jane Doe"));
        assert!(!is_contact("<jane@example.com>"));
        assert!(!is_contact("Jane <jane>"));
    }

    #[test]
    fn unit_and_env_names() {
        assert!(is_unit_name("network-online.target") && is_unit_name("Ledger_Agent"));
        assert!(!is_unit_name("Ledger Agent") && !is_unit_name(""));
        assert!(is_env_name("RUST_LOG") && !is_env_name("1X") && !is_env_name("A-B"));
    }
}
