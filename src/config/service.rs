//! The `[service]` table and its `recovery` and `host` sub-tables.

use std::collections::BTreeMap;

use super::error::{Fault, FaultResult};
use super::read::{Item, Table};
use super::resolve::{Resolver, INSTALL_DIR};
use super::{
    Account, Host, Recovery, RecoveryAction, RecoveryStep, RelPath, Service, ServiceName, SidType,
    StartType,
};

/// The longest recovery delay whose milliseconds fit the SCM's 32-bit field.
const MAX_DELAY_SECS: i64 = (u32::MAX / 1000) as i64;
/// The failure count resets after a day without failures.
const DEFAULT_RESET_SECS: u32 = 86_400;
/// services.msc's own default wait before a recovery action: one minute.
const DEFAULT_DELAY_SECS: u32 = 60;
/// The longest pre-shutdown timeout: ten minutes. Windows itself sets no limit, but a
/// service holding shutdown longer looks like a hung machine (and its default is
/// minutes at most).
const MAX_PRESHUTDOWN_SECS: i64 = 600;

impl Resolver {
    pub(super) fn service(&mut self, t: &Table, product_name: &str) -> FaultResult<Service> {
        let name = self.service_name(t)?;
        let display_name = display_name(t, product_name)?;
        let description = match t.get("description") {
            Some(i) => Some(i.string()?.to_string()),
            None => self.pkg.description.clone(),
        }
        .filter(|d| !d.trim().is_empty());
        let start = parsed(t, "start", StartType::parse)?.unwrap_or(StartType::Auto);
        // Least privilege by default: the service's own virtual account, `NT
        // SERVICE\<name>`, which Windows manages and which holds no more than what is
        // granted to it; LocalSystem only when asked for.
        let account = parsed(t, "account", Account::parse)?.unwrap_or(Account::Virtual);
        let arguments = match t.get("arguments") {
            Some(i) => i.strings()?,
            None => Vec::new(),
        };
        let dependencies = match t.get("dependencies") {
            Some(i) => dependencies(&i)?,
            None => Vec::new(),
        };
        let event_source = t
            .get("event-source")
            .map(|i| i.boolean())
            .transpose()?
            .unwrap_or(true);
        let hosted = t.get("host").is_some();
        let recovery = self.recovery_or_default(t, hosted)?;
        let sid_type = sid_type(t, &account, hosted)?;
        let required_privileges = required_privileges(t)?;
        let preshutdown_timeout_secs = t
            .get("preshutdown-timeout-secs")
            .map(|i| i.integer(1, MAX_PRESHUTDOWN_SECS).map(|n| n as u32))
            .transpose()?;
        let firewall = match t.get("firewall") {
            Some(i) => super::firewall::rules(&i, &display_name)?,
            None => Vec::new(),
        };
        let host = match t.get("host") {
            Some(i) => Some(host(&i.table()?)?),
            None => None,
        };
        if host.is_some() {
            check_hosted_arguments(t, &arguments)?;
        }
        Ok(Service {
            name,
            display_name,
            description,
            start,
            account,
            arguments,
            dependencies,
            event_source,
            recovery,
            sid_type,
            required_privileges,
            preshutdown_timeout_secs,
            firewall,
            host,
        })
    }

    /// `name`, or the package name.
    fn service_name(&self, t: &Table) -> FaultResult<ServiceName> {
        match t.get("name") {
            Some(i) => ServiceName::parse(i.string()?).map_err(|m| i.fault(m)),
            None => ServiceName::parse(&self.pkg.name).map_err(|m| {
                t.fault(
                    "name",
                    format!("not set, and the package name is not usable: {m}"),
                )
            }),
        }
    }

    /// The `recovery` table, or the recovery a service without one gets.
    fn recovery_or_default(&mut self, t: &Table, hosted: bool) -> FaultResult<Recovery> {
        match t.get("recovery") {
            Some(i) => self.recovery(&i.table()?, hosted),
            None => Ok(Recovery {
                reset_after_secs: DEFAULT_RESET_SECS,
                // svcpack's host stops with an error when it gives up restarting the
                // program: recovery applies to that only with this flag.
                non_crash_failures: hosted,
                ..Recovery::default()
            }),
        }
    }

    fn recovery(&mut self, t: &Table, hosted: bool) -> FaultResult<Recovery> {
        let actions_item = t.get("actions");
        let mut actions = Vec::new();
        if let Some(i) = &actions_item {
            for a in i.array()? {
                let action = RecoveryAction::parse(a.string()?).map_err(|m| a.fault(m))?;
                actions.push((action, a));
            }
        }
        let delays = match t.get("delays-secs") {
            Some(i) => {
                let items = i.array()?;
                if items.len() != actions.len() {
                    return Err(i.fault(format!(
                        "has {} delay(s) but actions has {} action(s); allowed: one delay per action",
                        items.len(),
                        actions.len()
                    )));
                }
                let mut delays = Vec::new();
                for d in items {
                    delays.push(d.integer(0, MAX_DELAY_SECS)? as u32);
                }
                Some(delays)
            }
            None => None,
        };
        let reset_after_secs = match t.get("reset-after-secs") {
            Some(i) => i.u32_from(0)?,
            None => DEFAULT_RESET_SECS,
        };
        let command_item = t.get("command");
        let command = command_item.as_ref().map(|i| i.text()).transpose()?;
        let run = actions.iter().find(|(a, _)| *a == RecoveryAction::Run);
        match (run, &command_item) {
            (Some((_, at)), None) => {
                return Err(Fault::new(
                    at.span(),
                    format!("{}.command", t.path),
                    format!(
                        "missing: the `run` action ({}) needs `command`, the command line the \
                         service manager runs on failure",
                        at.path
                    ),
                ));
            }
            (None, Some(i)) => self.warn(i.fault("has no effect: no recovery action is `run`")),
            _ => {}
        }
        let non_crash_failures = match t.get("non-crash-failures") {
            Some(i) => {
                let on = i.boolean()?;
                if on && actions.is_empty() {
                    return Err(i.fault(
                        "is true, but there are no recovery `actions` for it to apply; allowed: \
                         set `actions` (e.g. [\"restart\"]) or remove this key",
                    ));
                }
                on
            }
            None => hosted,
        };
        let steps = actions
            .iter()
            .enumerate()
            .map(|(n, (action, _))| RecoveryStep {
                action: *action,
                delay_secs: match delays.as_ref().and_then(|d| d.get(n)) {
                    Some(d) => *d,
                    None if *action == RecoveryAction::None => 0,
                    None => DEFAULT_DELAY_SECS,
                },
            })
            .collect();
        Ok(Recovery {
            steps,
            reset_after_secs,
            command,
            non_crash_failures,
        })
    }
}

/// The value of `key`, a string read by `parse`, if set.
fn parsed<T, E: Into<String>>(
    t: &Table,
    key: &str,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> FaultResult<Option<T>> {
    match t.get(key) {
        Some(i) => parse(i.string()?).map(Some).map_err(|m| i.fault(m)),
        None => Ok(None),
    }
}

/// `display-name`, or the product name; either at most 256 characters.
fn display_name(t: &Table, product_name: &str) -> FaultResult<String> {
    match t.get("display-name") {
        Some(i) => {
            let text = i.text()?;
            check_display_len(&text).map_err(|m| i.fault(m))?;
            Ok(text)
        }
        None => {
            check_display_len(product_name).map_err(|m| {
                t.fault(
                    "display-name",
                    format!("defaults to the product name, but {m}"),
                )
            })?;
            Ok(product_name.to_string())
        }
    }
}

/// `sid-type`, which must give the token the service SID when the account relies on it.
fn sid_type(t: &Table, account: &Account, hosted: bool) -> FaultResult<SidType> {
    // The token carries the service SID only with an unrestricted or restricted SID
    // type. A virtual account's identity is its service SID (`NT SERVICE\<name>`,
    // https://learn.microsoft.com/windows/security/identity-protection/access-control/service-accounts#virtual-accounts),
    // and a hosted service with a named account writes its logs through it.
    let needs_sid = match account {
        Account::Virtual => Some(
            "the service runs as its virtual account NT SERVICE\\<name>, whose identity is the \
             service SID",
        ),
        Account::User(_) if hosted => Some(
            "this hosted service runs as a named account and writes its logs through its \
             service SID",
        ),
        _ => None,
    };
    match t.get("sid-type") {
        Some(i) => {
            let sid = SidType::parse(i.string()?).map_err(|m| i.fault(m))?;
            if let (Some(why), SidType::None) = (needs_sid, sid) {
                return Err(i.fault(format!(
                    "is `none`, but {why}; allowed: unrestricted, restricted (or set `account`, \
                     e.g. LocalService)"
                )));
            }
            Ok(sid)
        }
        None if needs_sid.is_some() => Ok(SidType::Unrestricted),
        None => Ok(SidType::None),
    }
}

/// `required-privileges`: each once, and not none at all.
fn required_privileges(t: &Table) -> FaultResult<Vec<String>> {
    let mut required_privileges: Vec<String> = Vec::new();
    if let Some(i) = t.get("required-privileges") {
        for p in i.array()? {
            let name = super::values::parse_privilege(p.string()?).map_err(|m| p.fault(m))?;
            if required_privileges.iter().any(|q| q == name) {
                return Err(p.fault(format!(
                    "`{name}` is listed twice; allowed: each privilege once"
                )));
            }
            required_privileges.push(name.to_string());
        }
        if required_privileges.is_empty() {
            return Err(i.fault(
                "is empty, which would leave the service no privileges at all; allowed: the \
                 privileges the service needs, e.g. [\"SeChangeNotifyPrivilege\"], or omit the key",
            ));
        }
    }
    Ok(required_privileges)
}

/// The service host's configuration file is line based: a hosted program's arguments
/// must fit on a line.
fn check_hosted_arguments(t: &Table, arguments: &[String]) -> FaultResult<()> {
    if let Some(i) = t.get("arguments") {
        for (n, a) in arguments.iter().enumerate() {
            if let Some(what) = unpassable(a) {
                return Err(i.fault(format!(
                    "argument {} contains {what}, which svcpack's service host cannot pass to a hosted \
                     program; allowed: arguments without line breaks or NULs",
                    n + 1
                )));
            }
        }
    }
    Ok(())
}

fn check_display_len(text: &str) -> Result<(), String> {
    let units = text.encode_utf16().count();
    if units > 256 {
        Err(format!(
            "it is {units} characters long; allowed: at most 256 characters"
        ))
    } else {
        Ok(())
    }
}

fn dependencies(item: &Item) -> FaultResult<Vec<String>> {
    let mut out = Vec::new();
    for d in item.array()? {
        let text = d.string()?;
        // `+Name` is a load-order group, otherwise a service name.
        let name = text.strip_prefix('+').unwrap_or(text);
        ServiceName::parse(name).map_err(|m| {
            d.fault(format!(
                "dependency `{text}`: {m} (a service name, or +group)"
            ))
        })?;
        out.push(text.to_string());
    }
    Ok(out)
}

fn host(t: &Table) -> FaultResult<Host> {
    let defaults = Host::default();
    let rel = |key: &str, default: RelPath| -> FaultResult<RelPath> {
        match t.get(key) {
            Some(i) => RelPath::parse(i.string()?, INSTALL_DIR).map_err(|m| i.fault(m)),
            None => Ok(default),
        }
    };
    let u32_key = |key: &str, min: u32, default: u32| -> FaultResult<u32> {
        t.get(key)
            .map(|i| i.u32_from(min))
            .transpose()
            .map(|v| v.unwrap_or(default))
    };
    let log_max_bytes = match t.get("log-max-bytes") {
        Some(i) => i.integer(1, i64::MAX)? as u64,
        None => defaults.log_max_bytes,
    };
    let mut environment = BTreeMap::new();
    if let Some(i) = t.get("environment") {
        let env = i.table()?;
        let mut folded = BTreeMap::new();
        for (key, _) in env.entries() {
            let Some(value) = env.get(&key.name) else {
                continue;
            };
            let name = key.name.as_str();
            if name.is_empty() || name.contains('=') || name.chars().any(char::is_control) {
                return Err(value.fault(
                    "not a usable environment variable name; allowed: a non-empty name without `=` or control characters",
                ));
            }
            // Windows environment names ignore case: two spellings would silently collapse.
            if let Some(other) = folded.insert(name.to_uppercase(), name.to_string()) {
                return Err(value.fault(format!(
                    "`{name}` and `{other}` are the same variable on Windows; allowed: one spelling"
                )));
            }
            let text = value.string()?;
            if let Some(what) = unpassable(text) {
                return Err(value.fault(format!(
                    "contains {what}, which svcpack's service host cannot pass; allowed: a value without line breaks or NULs"
                )));
            }
            environment.insert(name.to_string(), text.to_string());
        }
    }
    let log_dir = rel("log-dir", defaults.log_dir)?;
    if log_dir.is_root() {
        if let Some(i) = t.get("log-dir") {
            return Err(i.fault(
                "is the install directory itself, which the service account would then be able to \
                 write; allowed: a folder inside the install directory, e.g. \"logs\"",
            ));
        }
    }
    Ok(Host {
        stop_timeout_secs: u32_key("stop-timeout-secs", 1, defaults.stop_timeout_secs)?,
        restart_delay_secs: u32_key("restart-delay-secs", 0, defaults.restart_delay_secs)?,
        max_restarts_per_hour: u32_key("max-restarts-per-hour", 0, defaults.max_restarts_per_hour)?,
        log_dir,
        log_max_bytes,
        log_keep: u32_key("log-keep", 1, defaults.log_keep)?,
        working_dir: rel("working-dir", defaults.working_dir)?,
        environment,
    })
}

/// What in `text` the service host's line-based configuration file cannot carry.
fn unpassable(text: &str) -> Option<&'static str> {
    if text.contains(['\r', '\n']) {
        Some("a line break")
    } else if text.contains('\0') {
        Some("a NUL character")
    } else {
        None
    }
}
