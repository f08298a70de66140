//! `service.firewall`: the inbound firewall rules the installer and the zip's scripts add
//! for the service, and their validation.
//!
//! ```toml
//! [package.metadata.svcpack.service]
//! firewall = [
//!   { port = 18431, protocol = "tcp", profiles = ["domain", "private"], remote = "localsubnet" },
//!   { program = true, name = "Ledger Agent (program)" },
//! ]
//! ```

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::error::FaultResult;
use super::read::{Item, Table};
use super::tree::Kind;

/// The IP protocol a rule allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FirewallProtocol {
    Tcp,
    Udp,
    Any,
}

impl FirewallProtocol {
    /// The configuration keyword (also netsh's and New-NetFirewallRule's spelling).
    pub fn word(self) -> &'static str {
        match self {
            FirewallProtocol::Tcp => "tcp",
            FirewallProtocol::Udp => "udp",
            FirewallProtocol::Any => "any",
        }
    }
}

/// A firewall profile (the network a computer is on).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FirewallProfile {
    Domain,
    Private,
    Public,
}

impl FirewallProfile {
    pub fn word(self) -> &'static str {
        match self {
            FirewallProfile::Domain => "domain",
            FirewallProfile::Private => "private",
            FirewallProfile::Public => "public",
        }
    }
}

/// One inbound allow rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FirewallRule {
    /// The rule's name in the firewall. Rules of the same name are replaced together: an
    /// upgrade deletes every rule of each name before adding its own.
    pub name: String,
    pub protocol: FirewallProtocol,
    /// Local ports and ranges (inclusive); empty: any port (program rules).
    pub ports: Vec<(u16, u16)>,
    /// The rule allows only the service's program.
    pub program: bool,
    /// Empty: all profiles.
    pub profiles: Vec<FirewallProfile>,
    /// Remote addresses: `["any"]`, `["localsubnet"]`, or addresses, subnets (`a/n`) and
    /// ranges (`a-b`).
    pub remote: Vec<String>,
}

impl FirewallRule {
    /// The ports as netsh's `localport=` list (`80,8000-8010`); empty for any port.
    pub fn ports_text(&self) -> String {
        let parts: Vec<String> = self
            .ports
            .iter()
            .map(|(lo, hi)| {
                if lo == hi {
                    lo.to_string()
                } else {
                    format!("{lo}-{hi}")
                }
            })
            .collect();
        parts.join(",")
    }
}

const PROTOCOLS: &str = "tcp, udp, any";
const PROFILES: &str = "domain, private, public, all";
const REMOTES: &str = "any, localsubnet, IPv4/IPv6 addresses, subnets (10.0.0.0/8) or ranges (a-b)";

/// Reads `service.firewall`; `default_name` names rules without a `name`.
pub(super) fn rules(item: &Item, default_name: &str) -> FaultResult<Vec<FirewallRule>> {
    let mut out = Vec::new();
    for entry in item.array()? {
        out.push(rule(&entry.table()?, default_name)?);
    }
    Ok(out)
}

fn rule(t: &Table, default_name: &str) -> FaultResult<FirewallRule> {
    let name = match t.get("name") {
        Some(i) => {
            let n = i.text()?;
            if n.trim().eq_ignore_ascii_case("all") {
                return Err(i.fault(
                    "`all` is netsh's word for every rule, so it cannot name one; allowed: any other name",
                ));
            }
            if n.chars().count() > 1024 {
                return Err(i.fault("is longer than 1024 characters"));
            }
            n
        }
        None => default_name.to_string(),
    };
    let program = match t.get("program") {
        Some(i) => i.boolean()?,
        None => false,
    };
    let protocol_item = t.get("protocol");
    let protocol = match &protocol_item {
        Some(i) => {
            let w = i.string()?;
            match w.to_ascii_lowercase().as_str() {
                "tcp" => FirewallProtocol::Tcp,
                "udp" => FirewallProtocol::Udp,
                "any" => FirewallProtocol::Any,
                _ => return Err(i.fault(format!("unknown protocol `{w}`; allowed: {PROTOCOLS}"))),
            }
        }
        None if program && t.get("port").is_none() => FirewallProtocol::Any,
        None => FirewallProtocol::Tcp,
    };
    let ports = match t.get("port") {
        Some(i) => {
            if protocol == FirewallProtocol::Any {
                return Err(i.fault(
                    "is set, but the protocol is `any`, which has no ports; allowed: protocol \
                     \"tcp\" or \"udp\" with ports, or no port",
                ));
            }
            ports(&i)?
        }
        None if program => Vec::new(),
        None if protocol != FirewallProtocol::Any => {
            return Err(t.fault(
                "port",
                format!(
                    "missing: a {} rule needs `port` (a port, \"8000-8010\", or a list), or \
                     `program = true` to allow the service's program on any port",
                    protocol.word()
                ),
            ))
        }
        None => Vec::new(),
    };
    let profiles = match t.get("profiles") {
        Some(i) => profiles(&i)?,
        None => Vec::new(),
    };
    let remote = match t.get("remote") {
        Some(i) => remote(&i)?,
        None => vec!["any".to_string()],
    };
    Ok(FirewallRule {
        name,
        protocol,
        ports,
        program,
        profiles,
        remote,
    })
}

/// A port, a `"low-high"` range, a comma list of those, or an array of any of them.
fn ports(i: &Item) -> FaultResult<Vec<(u16, u16)>> {
    let mut out = Vec::new();
    match &i.node.kind {
        Kind::Array(_) => {
            let items = i.array()?;
            if items.is_empty() {
                return Err(i.fault("is empty; allowed: one or more ports"));
            }
            for p in items {
                out.extend(ports(&p)?);
            }
        }
        Kind::Integer(_) => {
            let n = i.integer(1, 65535)? as u16;
            out.push((n, n));
        }
        Kind::String(_) => {
            let s = i.string()?;
            for part in s.split(',') {
                out.push(port_range(part).map_err(|m| i.fault(m))?);
            }
        }
        other => {
            return Err(i.fault(format!(
                "expected a port (1 to 65535), a range \"8000-8010\" or a list, found {}",
                other.describe()
            )))
        }
    }
    Ok(out)
}

fn port_range(part: &str) -> Result<(u16, u16), String> {
    let port = |p: &str| -> Result<u16, String> {
        match p.trim().parse::<u32>() {
            Ok(n) if (1..=65535).contains(&n) => Ok(n as u16),
            Ok(n) => Err(format!("port {n} is out of range: must be from 1 to 65535")),
            Err(_) => Err(format!(
                "`{}` is not a port; allowed: 1 to 65535, ranges \"8000-8010\", lists \"80,443\"",
                p.trim()
            )),
        }
    };
    match part.split_once('-') {
        Some((lo, hi)) => {
            let (lo, hi) = (port(lo)?, port(hi)?);
            if lo > hi {
                return Err(format!("the range `{}` ends below its start", part.trim()));
            }
            Ok((lo, hi))
        }
        None => port(part).map(|n| (n, n)),
    }
}

fn profiles(i: &Item) -> FaultResult<Vec<FirewallProfile>> {
    let words: Vec<(String, Item)> = match &i.node.kind {
        Kind::Array(_) => {
            let items = i.array()?;
            if items.is_empty() {
                return Err(i.fault(format!("is empty; allowed: {PROFILES}")));
            }
            let mut v = Vec::new();
            for p in items {
                v.push((p.string()?.to_string(), p));
            }
            v
        }
        _ => {
            let w = i.string()?.to_string();
            vec![(
                w,
                Item {
                    path: i.path.clone(),
                    key: i.key,
                    node: i.node,
                },
            )]
        }
    };
    let mut out = Vec::new();
    for (w, at) in &words {
        let p = match w.to_ascii_lowercase().as_str() {
            "domain" => FirewallProfile::Domain,
            "private" => FirewallProfile::Private,
            "public" => FirewallProfile::Public,
            "all" | "any" => return Ok(Vec::new()),
            _ => return Err(at.fault(format!("unknown profile `{w}`; allowed: {PROFILES}"))),
        };
        if !out.contains(&p) {
            out.push(p);
        }
    }
    out.sort();
    if out.len() == 3 {
        out.clear();
    }
    Ok(out)
}

fn remote(i: &Item) -> FaultResult<Vec<String>> {
    let items: Vec<Item> = match &i.node.kind {
        Kind::Array(_) => i.array()?,
        _ => vec![Item {
            path: i.path.clone(),
            key: i.key,
            node: i.node,
        }],
    };
    if items.is_empty() {
        return Err(i.fault(format!("is empty; allowed: {REMOTES}")));
    }
    let mut out = Vec::new();
    for at in &items {
        let w = at.string()?.trim();
        let word = w.to_ascii_lowercase();
        let value = if word == "any" || word == "localsubnet" {
            if items.len() > 1 {
                return Err(at.fault(format!(
                    "`{w}` cannot be combined with other addresses; allowed: `{word}` alone, or a list of addresses"
                )));
            }
            word
        } else {
            address(w).map_err(|m| at.fault(format!("{m}; allowed: {REMOTES}")))?
        };
        out.push(value);
    }
    Ok(out)
}

/// An address, `address/prefix` or `first-last`, as written (validated).
fn address(w: &str) -> Result<String, String> {
    if let Some((addr, prefix)) = w.split_once('/') {
        let ip: IpAddr = addr
            .parse()
            .map_err(|_| format!("`{addr}` in `{w}` is not an IP address"))?;
        let max = if ip.is_ipv4() { 32 } else { 128 };
        match prefix.parse::<u8>() {
            Ok(n) if n <= max => Ok(w.to_string()),
            _ => Err(format!(
                "`{prefix}` in `{w}` is not a prefix length from 0 to {max}"
            )),
        }
    } else if let Some((a, b)) = w.split_once('-') {
        match (a.parse::<Ipv4Addr>(), b.parse::<Ipv4Addr>()) {
            (Ok(x), Ok(y)) if x <= y => return Ok(w.to_string()),
            (Ok(_), Ok(_)) => return Err(format!("the range `{w}` ends below its start")),
            _ => {}
        }
        match (a.parse::<Ipv6Addr>(), b.parse::<Ipv6Addr>()) {
            (Ok(x), Ok(y)) if x <= y => Ok(w.to_string()),
            (Ok(_), Ok(_)) => Err(format!("the range `{w}` ends below its start")),
            _ => Err(format!(
                "`{w}` is not a range of two IP addresses of one kind"
            )),
        }
    } else {
        w.parse::<IpAddr>()
            .map(|_| w.to_string())
            .map_err(|_| format!("unknown remote address `{w}`"))
    }
}
