//! svcpack's side of the service's firewall rules (`service.firewall`): the installer
//! helper's `firewall-add`/`firewall-remove` command lines for svcpack's own template, the
//! [`wix::ActionProvider`] through which `cargo svcpack compile` implements the WiX
//! firewall extension's `FirewallException` with the same helper, and reading the rules
//! back for `cargo svcpack inspect`.
//!
//! The helper side (`helper/src/firewall.rs`, compiled here as
//! [`crate::helper::firewall`]) documents the netsh calls and the upgrade behaviour.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::Service;
use crate::helper::firewall;
use crate::wix;

/// The custom action that adds the firewall rules (after InstallFiles).
pub const FIREWALL_ADD_ACTION: &str = "SvcpackFirewallAdd";
/// The custom action that removes the firewall rules (on uninstall, before RemoveFiles).
pub const FIREWALL_REMOVE_ACTION: &str = "SvcpackFirewallRemove";

/// The service's firewall rules as the helper's rules; `program` is the installed path
/// of the service's program (or an MSI formatted reference to it) for `program = true`.
pub fn rules(service: &Service, program: &str) -> Vec<firewall::Rule> {
    service
        .firewall
        .iter()
        .map(|r| {
            let mut rule = firewall::Rule::new(&r.name);
            rule.protocol = match r.protocol {
                crate::config::FirewallProtocol::Tcp => firewall::Protocol::Tcp,
                crate::config::FirewallProtocol::Udp => firewall::Protocol::Udp,
                crate::config::FirewallProtocol::Any => firewall::Protocol::Any,
            };
            rule.ports = r.ports_text();
            rule.profiles = r.profiles.iter().map(|p| p.word().to_string()).collect();
            rule.remote = r.remote.join(",");
            if r.program {
                rule.program = Some(program.to_string());
            }
            rule
        })
        .collect()
}

/// Arguments as a command line by Windows rules, with every `--program` value quoted even
/// without spaces: the MSI substitutes a formatted reference (`[#MainExe]`) there whose
/// path may have spaces. A program path never ends in a backslash, so the closing quote
/// stays a quote.
pub fn command_line(args: &[String]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut program_next = false;
    for a in args {
        if program_next && !a.contains('"') && !a.ends_with('\\') {
            out.push(format!("\"{a}\""));
        } else {
            out.push(crate::winargs::windows_command_line(std::slice::from_ref(
                a,
            )));
        }
        program_next = a == "--program";
    }
    out.join(" ")
}

/// Reads a firewall command line back (what `cargo svcpack inspect` shows).
pub fn decode(command_line: &str) -> Result<firewall::Request, String> {
    let args = crate::helper::settings::split_args(command_line);
    match args.split_first() {
        Some((verb, rest)) if firewall::is_verb(verb) => firewall::parse(verb, rest),
        _ => Err("not a firewall-add or firewall-remove command line".to_string()),
    }
}

/// Quotes a formatted value as one argument: always in quotes, since what an MSI
/// property expands to may hold spaces. A value ending in a backslash or holding a quote
/// is quoted by the full Windows rules instead.
fn quoted(value: &str) -> String {
    if value.contains('"') || value.ends_with('\\') || value.is_empty() {
        crate::winargs::windows_command_line(&[value])
    } else {
        format!("\"{value}\"")
    }
}

/// WiX `FirewallException`s as the helper's rule options, an MSI formatted string (the
/// values are the authored formatted strings, each quoted).
pub fn wix_rules_args(rules: &[wix::parse::firewall::FirewallRule]) -> String {
    let mut out: Vec<String> = Vec::new();
    for r in rules {
        let mut put = |k: &str, v: &str| {
            out.push(k.to_string());
            out.push(quoted(v));
        };
        put("--name", &r.name);
        if let Some(p) = &r.protocol {
            put("--protocol", p);
        }
        if let Some(p) = &r.port {
            put("--ports", p);
        }
        if let Some(p) = &r.profile {
            put("--profiles", p);
        }
        if let Some(p) = &r.remote {
            put("--remote", p);
        }
        if let Some(p) = &r.program {
            put("--program", p);
        }
        if let Some(d) = &r.description {
            put("--description", d);
        }
        if r.ignore_failure {
            put("--ignore-failure", "yes");
        }
    }
    out.join(" ")
}

/// The target triple the helper is built for when compiling WiX sources for `arch`.
pub fn helper_target(arch: &str) -> &'static str {
    match arch {
        "x86" if cfg!(all(windows, target_env = "msvc")) => "i686-pc-windows-msvc",
        "x86" => "i686-pc-windows-gnu",
        "arm64" => "aarch64-pc-windows-msvc",
        _ => crate::plan::default_target(),
    }
}

/// The provider `cargo svcpack compile` hands the compiler: `helper`, or else the helper
/// built (on first use, then cached in `cache_dir`) for `arch`.
pub fn action_provider(
    arch: &str,
    helper: Option<PathBuf>,
    cache_dir: &Path,
) -> wix::ActionProvider {
    let target = helper_target(arch);
    let cache_dir = cache_dir.to_path_buf();
    wix::ActionProvider {
        helper: Arc::new(move || match &helper {
            Some(p) => Ok(p.clone()),
            None => crate::helper::build(&crate::cargo::cargo_program(), target, &cache_dir)
                .map(|(p, _)| p)
                .map_err(|e| {
                    format!("{e} (or pass a built helper with --helper svcpack-helper.exe)")
                }),
        }),
        firewall_rules: Arc::new(wix_rules_args),
        add_verb: "firewall-add",
        remove_verb: "firewall-remove",
    }
}

/// The rules a `firewall-add` command line adds, for `cargo svcpack inspect`. Values are
/// shown as the MSI carries them: `[PROPERTY]` references stay (they are resolved when the
/// package installs), so this reads leniently where the helper checks strictly.
pub fn inspect_rules(command_line: &str) -> Option<Vec<wix::inspect::FirewallReport>> {
    let args = crate::helper::settings::split_args(command_line);
    let (verb, rest) = args.split_first()?;
    if verb != "firewall-add" {
        return None;
    }
    let mut out: Vec<wix::inspect::FirewallReport> = Vec::new();
    let mut it = rest.iter();
    while let Some(key) = it.next() {
        let value = unescape_formatted(it.next()?);
        if key == "--name" {
            out.push(wix::inspect::FirewallReport {
                name: value,
                protocol: "any".into(),
                ports: String::new(),
                profiles: Vec::new(),
                remote: "any".into(),
                program: None,
                ignore_failure: false,
                condition: None,
            });
            continue;
        }
        let rule = out.last_mut()?;
        match key.as_str() {
            "--protocol" => rule.protocol = value,
            "--ports" => rule.ports = value,
            "--profiles" => rule.profiles = value.split(',').map(str::to_string).collect(),
            "--remote" => rule.remote = value,
            "--program" => rule.program = Some(value),
            "--ignore-failure" => rule.ignore_failure = value == "yes",
            _ => {}
        }
    }
    Some(out)
}

/// `[\[]`-style MSI escapes back to the character they stand for.
fn unescape_formatted(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("[\\") {
        let tail = &rest[i + 2..];
        let mut chars = tail.chars();
        match (chars.next(), chars.next()) {
            (Some(c), Some(']')) => {
                out.push_str(&rest[..i]);
                out.push(c);
                rest = &tail[c.len_utf8() + 1..];
            }
            _ => {
                out.push_str(&rest[..i + 2]);
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The service's rules as the value of svcpack's template's `SvcpackFirewallRules`
/// property (set by a SetProperty, so formatted): every literal argument is quoted by
/// Windows rules and passed through `escape` (the MSI formatted-text escaping), and each
/// program rule's `--program` is `program` (an MSI reference such as `[#MainExe]`), quoted
/// and left unescaped so the installer resolves it. `None` when there are no rules.
pub fn formatted_rules(
    service: &Service,
    program: &str,
    escape: &dyn Fn(&str) -> String,
) -> Option<String> {
    if service.firewall.is_empty() {
        return None;
    }
    // Placeholders never survive: each program value is replaced below.
    let rules = self::rules(service, "");
    let mut out: Vec<String> = Vec::new();
    for rule in &rules {
        let args = rule.to_args();
        let mut it = args.iter();
        while let Some(key) = it.next() {
            out.push(key.clone());
            let value = it.next().map(String::as_str).unwrap_or_default();
            if key == "--program" {
                out.push(format!("\"{program}\""));
            } else {
                out.push(escape(&crate::winargs::windows_command_line(&[value])));
            }
        }
    }
    Some(out.join(" "))
}
