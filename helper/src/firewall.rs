//! Firewall rules: the helper's `firewall-add` and `firewall-remove` command lines, the
//! `netsh advfirewall firewall` calls they stand for, and (on Windows) running them.
//! svcpack compiles this same file, so the writer, the reader and `cargo svcpack inspect`
//! cannot disagree; it builds with Rust 1.63 and has no Windows-only code but [`run`].
//!
//! ```text
//! firewall-add    RULE...
//! firewall-remove RULE...
//! RULE = --name NAME [--protocol tcp|udp|any] [--ports 80,443,8000-8010]
//!        [--profiles domain,private,public] [--remote any|localsubnet|ADDR,...]
//!        [--program PATH] [--ignore-failure yes|no]
//! ```
//!
//! Every `--name` starts a new rule; the options after it describe that rule. The rules
//! are inbound "allow" rules. Both commands take the same rules, so the MSI keeps one
//! property for the install, the uninstall and their rollbacks.
//!
//! `netsh advfirewall firewall` is documented in "Use netsh advfirewall firewall context
//! instead of netsh firewall context" (learn.microsoft.com/troubleshoot/windows-server/
//! networking/netsh-advfirewall-firewall-control-firewall-behavior):
//! `add rule name= dir=in action=allow protocol= localport= remoteip= profile= program=`
//! and `delete rule name=` (which deletes every rule of that name).
//!
//! * `firewall-add` first deletes the rules' names (a repair or an upgrade replaces the
//!   rules of the same name, whatever ports they had), then adds each rule. A failed add
//!   fails the action (exit code: netsh's), unless the rule says `--ignore-failure yes`.
//! * `firewall-remove` deletes the rules' names. A failed delete is a warning only: netsh
//!   also fails when no rule of that name exists, and an uninstall must not stop there.
//!
//! Under Wine, `netsh advfirewall` is a stub that accepts every command and exits 0, so the
//! actions run and succeed there without any special case.

/// The IP protocol a rule allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    Tcp,
    Udp,
    Any,
}

impl Protocol {
    /// The keyword (configuration, command line and netsh's `protocol=`).
    pub fn word(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::Any => "any",
        }
    }

    /// Parses a keyword, in any case.
    pub fn parse(word: &str) -> Option<Protocol> {
        [Protocol::Tcp, Protocol::Udp, Protocol::Any]
            .iter()
            .copied()
            .find(|p| p.word().eq_ignore_ascii_case(word))
    }
}

/// The firewall profiles: netsh's `profile=` keywords.
pub const PROFILES: &[&str] = &["domain", "private", "public"];

/// One inbound allow rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// The rule's name (what `netsh ... delete rule name=` removes).
    pub name: String,
    pub protocol: Protocol,
    /// Local ports, e.g. `80,443,8000-8010`; empty: any port.
    pub ports: String,
    /// Profiles from [`PROFILES`]; empty: all profiles.
    pub profiles: Vec<String>,
    /// `any`, `localsubnet`, or addresses, subnets and ranges separated by commas.
    pub remote: String,
    /// The program whose traffic the rule allows (a full path); `None`: any program.
    pub program: Option<String>,
    /// A failure to add this rule is a warning, not an installation failure.
    pub ignore_failure: bool,
}

impl Rule {
    /// A rule allowing everything, to be narrowed.
    pub fn new(name: &str) -> Rule {
        Rule {
            name: name.to_string(),
            protocol: Protocol::Any,
            ports: String::new(),
            profiles: Vec::new(),
            remote: "any".to_string(),
            program: None,
            ignore_failure: false,
        }
    }

    /// The rule's options on the helper's command line.
    pub fn to_args(&self) -> Vec<String> {
        let mut out = vec!["--name".to_string(), self.name.clone()];
        let mut put = |k: &str, v: &str| {
            out.push(k.to_string());
            out.push(v.to_string());
        };
        put("--protocol", self.protocol.word());
        if !self.ports.is_empty() {
            put("--ports", &self.ports);
        }
        if !self.profiles.is_empty() {
            put("--profiles", &self.profiles.join(","));
        }
        put("--remote", &self.remote);
        if let Some(p) = &self.program {
            put("--program", p);
        }
        if self.ignore_failure {
            put("--ignore-failure", "yes");
        }
        out
    }

    /// The arguments of `netsh` that add this rule.
    pub fn add_args(&self) -> Vec<String> {
        let mut out: Vec<String> = ["advfirewall", "firewall", "add", "rule"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        out.push(format!("name={}", self.name));
        out.push("dir=in".to_string());
        out.push("action=allow".to_string());
        out.push(format!("protocol={}", self.protocol.word()));
        if !self.ports.is_empty() {
            out.push(format!("localport={}", self.ports));
        }
        out.push(format!("remoteip={}", self.remote));
        let profile = if self.profiles.is_empty() {
            "any".to_string()
        } else {
            self.profiles.join(",")
        };
        out.push(format!("profile={profile}"));
        if let Some(p) = &self.program {
            out.push(format!("program={p}"));
        }
        out.push("enable=yes".to_string());
        out
    }
}

/// The arguments of `netsh` that delete every rule named `name`.
pub fn delete_args(name: &str) -> Vec<String> {
    let mut out: Vec<String> = ["advfirewall", "firewall", "delete", "rule"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    out.push(format!("name={name}"));
    out
}

/// What a firewall command asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// Replace the rules of these names with these rules.
    Add(Vec<Rule>),
    /// Delete the rules of these names.
    Remove(Vec<Rule>),
}

impl Request {
    /// The verb on the command line.
    pub fn verb(&self) -> &'static str {
        match self {
            Request::Add(_) => "firewall-add",
            Request::Remove(_) => "firewall-remove",
        }
    }

    pub fn rules(&self) -> &[Rule] {
        match self {
            Request::Add(r) | Request::Remove(r) => r,
        }
    }

    /// The arguments that [`parse`] reads back into this request.
    pub fn to_args(&self) -> Vec<String> {
        let mut out = vec![self.verb().to_string()];
        out.extend(rules_args(self.rules()));
        out
    }

    /// The netsh calls, in order: (arguments, whether a failure fails the action).
    pub fn calls(&self) -> Vec<(Vec<String>, bool)> {
        let mut names: Vec<&str> = Vec::new();
        for r in self.rules() {
            if !names.contains(&r.name.as_str()) {
                names.push(&r.name);
            }
        }
        let mut out: Vec<(Vec<String>, bool)> =
            names.iter().map(|n| (delete_args(n), false)).collect();
        if let Request::Add(rules) = self {
            out.extend(rules.iter().map(|r| (r.add_args(), !r.ignore_failure)));
        }
        out
    }
}

/// The rules as the options after the verb.
pub fn rules_args(rules: &[Rule]) -> Vec<String> {
    rules.iter().flat_map(Rule::to_args).collect()
}

/// Whether `verb` is one of this module's commands.
pub fn is_verb(verb: &str) -> bool {
    verb == "firewall-add" || verb == "firewall-remove"
}

/// Checks a port list: ports 1–65535 and ranges `low-high`, separated by commas.
pub fn check_ports(list: &str) -> Result<(), String> {
    let port = |p: &str| -> Result<u16, String> {
        match p.trim().parse::<u16>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(format!("`{p}` is not a port from 1 to 65535")),
        }
    };
    if list.trim().is_empty() {
        return Err("the port list is empty".to_string());
    }
    for part in list.split(',') {
        match part.split_once('-') {
            Some((lo, hi)) => {
                let (lo, hi) = (port(lo)?, port(hi)?);
                if lo > hi {
                    return Err(format!("the range `{part}` ends below its start"));
                }
            }
            None => {
                port(part)?;
            }
        }
    }
    Ok(())
}

/// Reads the arguments after the verb.
pub fn parse(verb: &str, args: &[String]) -> Result<Request, String> {
    let mut rules: Vec<Rule> = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    let mut it = args.iter();
    while let Some(key) = it.next() {
        let value = match it.next() {
            Some(v) => v.as_str(),
            None => return Err(format!("{verb}: `{key}` needs a value")),
        };
        if key == "--name" {
            if value.is_empty() {
                return Err(format!("{verb}: --name: a rule needs a name"));
            }
            rules.push(Rule::new(value));
            seen.clear();
            continue;
        }
        let rule = match rules.last_mut() {
            Some(r) => r,
            None => return Err(format!("{verb}: `{key}` before the first `--name`")),
        };
        if seen.contains(&key.as_str()) {
            return Err(format!(
                "{verb}: `{key}` given twice for rule `{}`",
                rule.name
            ));
        }
        seen.push(key.as_str());
        match key.as_str() {
            "--protocol" => {
                rule.protocol = Protocol::parse(value)
                    .ok_or_else(|| format!("--protocol: `{value}`; allowed: tcp, udp, any"))?
            }
            "--ports" => {
                check_ports(value).map_err(|m| format!("--ports: {m}"))?;
                rule.ports = value.to_string();
            }
            "--profiles" => {
                for p in value.split(',') {
                    if !PROFILES.contains(&p) {
                        return Err(format!(
                            "--profiles: `{p}`; allowed: {}",
                            PROFILES.join(", ")
                        ));
                    }
                }
                rule.profiles = value.split(',').map(str::to_string).collect();
            }
            "--remote" => {
                if value.is_empty() {
                    return Err("--remote: empty; allowed: any, localsubnet, addresses".into());
                }
                rule.remote = value.to_string();
            }
            "--program" => {
                if value.is_empty() {
                    return Err("--program: empty; allowed: the program's full path".into());
                }
                rule.program = Some(value.to_string());
            }
            "--ignore-failure" => {
                rule.ignore_failure = match value {
                    "yes" => true,
                    "no" => false,
                    v => return Err(format!("--ignore-failure: `{v}`; allowed: yes, no")),
                }
            }
            other => return Err(format!("{verb}: unknown option `{other}`")),
        }
    }
    for r in &rules {
        if !r.ports.is_empty() && r.protocol == Protocol::Any {
            return Err(format!(
                "{verb}: rule `{}` has ports but protocol any; allowed: ports with tcp or udp",
                r.name
            ));
        }
    }
    if rules.is_empty() {
        return Err(format!(
            "{verb}: no rule; each rule starts with `--name NAME`"
        ));
    }
    match verb {
        "firewall-add" => Ok(Request::Add(rules)),
        "firewall-remove" => Ok(Request::Remove(rules)),
        other => Err(format!(
            "unknown command `{other}`; allowed: firewall-add, firewall-remove"
        )),
    }
}

/// A netsh call as one line, e.g. `netsh advfirewall firewall delete rule "name=Ledger"`.
pub fn describe(args: &[String]) -> String {
    let mut line = "netsh".to_string();
    for a in args {
        line.push(' ');
        if a.contains(' ') || a.contains('"') || a.is_empty() {
            line.push('"');
            line.push_str(&a.replace('"', "\\\""));
            line.push('"');
        } else {
            line.push_str(a);
        }
    }
    line
}

/// Runs the request's netsh calls; the exit code (0, or netsh's when a checked call
/// failed). Each call and its outcome is printed.
#[cfg(windows)]
pub fn run(request: &Request) -> i32 {
    let netsh = netsh_path();
    for (args, checked) in request.calls() {
        let line = describe(&args);
        let out = std::process::Command::new(&netsh).args(&args).output();
        let (code, text) = match out {
            Ok(o) => (
                o.status.code().unwrap_or(1),
                format!(
                    "{}{}",
                    String::from_utf8_lossy(&o.stdout).trim(),
                    String::from_utf8_lossy(&o.stderr).trim()
                ),
            ),
            Err(e) => (e.raw_os_error().unwrap_or(2), e.to_string()),
        };
        if code == 0 {
            println!("svcpack-helper: {line}: ok");
        } else if checked {
            eprintln!("svcpack-helper: error: {line}: exit code {code}: {text}");
            return code;
        } else {
            // Deleting a rule that does not exist fails too ("No rules match the
            // specified criteria."), which is the usual case on a first install.
            println!("svcpack-helper: {line}: exit code {code} ({text}); continuing");
        }
    }
    0
}

/// `netsh.exe` in the system folder (never from the search path: the helper runs as
/// LocalSystem from a temporary folder).
#[cfg(windows)]
fn netsh_path() -> std::path::PathBuf {
    extern "system" {
        fn GetSystemDirectoryW(buffer: *mut u16, size: u32) -> u32;
    }
    let mut buf = [0u16; 260];
    // SAFETY: the buffer is valid for its length; the call writes at most that many units.
    let n = unsafe { GetSystemDirectoryW(buf.as_mut_ptr(), buf.len() as u32) } as usize;
    let dir = if n > 0 && n < buf.len() {
        String::from_utf16_lossy(&buf[..n])
    } else {
        r"C:\Windows\System32".to_string()
    };
    std::path::Path::new(&dir).join("netsh.exe")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn rules() -> Vec<Rule> {
        let mut a = Rule::new("Ledger Agent");
        a.protocol = Protocol::Tcp;
        a.ports = "18431,9000-9010".to_string();
        a.profiles = vec!["domain".to_string(), "private".to_string()];
        a.remote = "localsubnet".to_string();
        let mut b = Rule::new("Ledger Agent");
        b.program = Some(r"C:\Program Files\Ledger\ledger.exe".to_string());
        b.ignore_failure = true;
        vec![a, b]
    }

    #[test]
    fn round_trips_and_becomes_netsh_calls() {
        let request = Request::Add(rules());
        let line = request.to_args();
        assert_eq!(parse(&line[0], &line[1..]), Ok(request.clone()));
        let calls: Vec<(String, bool)> = request
            .calls()
            .iter()
            .map(|(a, c)| (describe(a), *c))
            .collect();
        assert_eq!(
            calls,
            [
                ("netsh advfirewall firewall delete rule \"name=Ledger Agent\"".to_string(), false),
                ("netsh advfirewall firewall add rule \"name=Ledger Agent\" dir=in action=allow protocol=tcp localport=18431,9000-9010 remoteip=localsubnet profile=domain,private enable=yes".to_string(), true),
                ("netsh advfirewall firewall add rule \"name=Ledger Agent\" dir=in action=allow protocol=any remoteip=any profile=any \"program=C:\\Program Files\\Ledger\\ledger.exe\" enable=yes".to_string(), false),
            ]
        );
        let remove = Request::Remove(rules());
        assert_eq!(remove.calls().len(), 1);
    }

    #[test]
    fn bad_command_lines_are_refused() {
        let bad: &[&[&str]] = &[
            &[],
            &["--protocol", "tcp"],
            &["--name", "a", "--protocol", "sctp"],
            &["--name", "a", "--protocol", "tcp", "--ports", "0"],
            &["--name", "a", "--protocol", "tcp", "--ports", "70000"],
            &["--name", "a", "--protocol", "tcp", "--ports", "90-80"],
            &["--name", "a", "--ports", "80"],
            &["--name", "a", "--profiles", "home"],
            &["--name", "a", "--remote", "any", "--remote", "any"],
            &["--name", "a", "--colour", "red"],
            &["--name"],
            &["--name", ""],
        ];
        for b in bad {
            assert!(parse("firewall-add", &args(b)).is_err(), "{b:?}");
        }
        assert!(parse("firewall-open", &args(&["--name", "a"])).is_err());
        assert!(check_ports("1,65535,2-3").is_ok());
    }
}
