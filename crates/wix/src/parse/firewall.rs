//! The firewall extension's `FirewallException` (WiX v3
//! `http://schemas.microsoft.com/wix/FirewallExtension`, v4+
//! `http://wixtoolset.org/schemas/v4/wxs/firewall`) under `Component` or `File`.
//!
//! WiX implements it with its own custom-action DLL and a WixFirewallException table. This
//! compiler has no such DLL: the rules become native actions of the program the
//! [`crate::ActionProvider`] supplies (svcpack's installer helper), one set per component:
//!
//! * a type-51 action setting a private property to the rules' arguments (formatted, so
//!   `Port="[PORT]"` and `Program="[#exe]"` resolve), before InstallInitialize;
//! * the add action (deferred, not impersonated, EXE from the Binary table: 3074) after
//!   InstallFiles when the component is installed, with its rollback (3330, removes)
//!   before it;
//! * the remove action before RemoveFiles when the component is removed and no upgrade is
//!   removing the old product (the new version's add replaces rules of the same names),
//!   with its rollback (re-adds) before it.
//!
//! Attribute meanings follow WiX's FirewallCompiler: `Name` is required; `Protocol`
//! defaults to tcp when a `Port` is given; `Scope` and `RemoteAddress` children exclude
//! each other; under `File` the program is that file, else `File` or `Program` name it.

use super::component::Comp;
use super::{unexpected, Attrs, Parser};
use crate::error::{Location, Result, WixError};
use crate::model::Val;
use crate::sequence::{CustomScheduling, Placement, SequenceTable};
use crate::xml::Element;

/// The Binary row holding the provider's helper.
pub const HELPER_BINARY: &str = "SvcpackHelper";

/// One firewall rule, each value an MSI formatted string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FirewallRule {
    pub name: String,
    /// `tcp`, `udp`, `any`, or a formatted value that becomes one of them.
    pub protocol: Option<String>,
    /// Ports and ranges (`80,8000-8010`) or a formatted value.
    pub port: Option<String>,
    /// `any`, `localsubnet`, `dns`, `dhcp`, `wins`, `defaultgateway`, or addresses.
    pub remote: Option<String>,
    /// `domain`, `private` or `public`; `None`: all.
    pub profile: Option<String>,
    /// The program's path (`[#FileId]` for a file).
    pub program: Option<String>,
    pub description: Option<String>,
    pub ignore_failure: bool,
}

/// `FirewallException` under a component (`file`: the id of the enclosing `File`).
pub(crate) fn exception(
    p: &mut Parser,
    parent: &Element,
    el: &Element,
    comp: &Comp,
    file: Option<&str>,
) -> Result<()> {
    if el.name != "FirewallException" {
        return Err(unexpected(parent, el));
    }
    let provider = action_provider(p, el)?;
    let attrs = ExceptionAttrs::read(el, file)?;
    let addresses = remote_addresses(el, attrs.scope.is_some())?;
    let rule = attrs.rule(p, el, file, addresses)?;
    add_rule(p, el, comp, rule, &provider)
}

/// The provider of the actions that carry out firewall rules; without one the extension
/// cannot be compiled.
fn action_provider(p: &Parser, el: &Element) -> Result<crate::ActionProvider> {
    if let Some(a) = &p.opts.actions {
        return Ok(a.clone());
    }
    let name = match el.prefix.as_deref() {
        Some(pre) if !pre.is_empty() => format!("{pre}:{}", el.name),
        _ => el.name.clone(),
    };
    Err(WixError::new(
        el.loc.clone(),
        format!(
            "{name} needs WixToolset.Firewall.wixext, whose custom actions this compiler \
             implements only with svcpack's installer helper: compile with `cargo svcpack compile`"
        ),
    ))
}

/// A `FirewallException`'s attributes, each value checked.
struct ExceptionAttrs {
    name: String,
    port: Option<String>,
    protocol: Option<String>,
    scope: Option<String>,
    profile: Option<String>,
    file: Option<String>,
    program: Option<String>,
    description: Option<String>,
    ignore_failure: bool,
}

impl ExceptionAttrs {
    /// Reads the attributes; under `File` (`file`) the rule is for that file, so neither
    /// `File` nor `Program` may name another.
    fn read(el: &Element, file: Option<&str>) -> Result<Self> {
        let mut a = Attrs::new(el);
        a.ignore(&["Id"]);
        let name = a.req("Name")?.to_string();
        let port = a.opt_nonempty("Port")?.map(str::to_string);
        let protocol = protocol_attr(&mut a)?;
        let scope = scope_attr(&mut a)?;
        let profile = profile_attr(&mut a)?;
        let file_attr = a.id("File")?;
        let program = a.opt_nonempty("Program")?.map(str::to_string);
        if file.is_some() && (file_attr.is_some() || program.is_some()) {
            return Err(a.err(
                "under File, the rule is for that file: `File` and `Program` are not allowed",
            ));
        }
        if file_attr.is_some() && program.is_some() {
            return Err(a.err("`File` and `Program` cannot be used together"));
        }
        let description = a.opt_nonempty("Description")?.map(str::to_string);
        let ignore_failure = a.yesno("IgnoreFailure")?.unwrap_or(false);
        a.finish()?;
        Ok(ExceptionAttrs {
            name,
            port,
            protocol,
            scope,
            profile,
            file: file_attr,
            program,
            description,
            ignore_failure,
        })
    }

    /// The rule: its remote addresses (`Scope`, or the `RemoteAddress` children), its
    /// program (the parent File, `File` or `Program`), and a checked port and protocol.
    fn rule(
        self,
        p: &mut Parser,
        el: &Element,
        file: Option<&str>,
        addresses: Vec<String>,
    ) -> Result<FirewallRule> {
        let remote = self.scope.or(if addresses.is_empty() {
            None
        } else {
            Some(addresses.join(","))
        });
        let program = match (file, self.file, self.program) {
            (Some(f), _, _) => Some(format!("[#{f}]")),
            (None, Some(f), _) => {
                p.sec().reference("File", f.clone(), &el.loc);
                Some(format!("[#{f}]"))
            }
            (None, None, prog) => prog,
        };
        if self.port.is_none() && program.is_none() {
            return Err(WixError::new(
                el.loc.clone(),
                "FirewallException needs a `Port`, or a program (`Program`, `File`, or a File parent)",
            ));
        }
        let protocol = port_protocol(el, self.port.as_deref(), self.protocol)?;
        Ok(FirewallRule {
            name: self.name,
            protocol,
            port: self.port,
            remote,
            profile: self.profile,
            program,
            description: self.description,
            ignore_failure: self.ignore_failure,
        })
    }
}

fn protocol_attr(a: &mut Attrs) -> Result<Option<String>> {
    match a.opt_nonempty("Protocol")? {
        None => Ok(None),
        Some(v) => Ok(Some(protocol(v).ok_or_else(|| {
            a.err(format!(
                "Protocol=\"{v}\": allowed: tcp, udp, any (6, 17), or a property"
            ))
        })?)),
    }
}

fn scope_attr(a: &mut Attrs) -> Result<Option<String>> {
    match a.opt_nonempty("Scope")? {
        None => Ok(None),
        Some(v) => Ok(Some(scope(v).ok_or_else(|| {
            a.err(format!(
                "Scope=\"{v}\": allowed: any, localSubnet, DNS, DHCP, WINS, defaultGateway, or a property"
            ))
        })?)),
    }
}

/// `Profile`: `all` (or none) means every profile.
fn profile_attr(a: &mut Attrs) -> Result<Option<String>> {
    match a.opt_nonempty("Profile")? {
        None => Ok(None),
        Some("all") => Ok(None),
        Some(v @ ("domain" | "private" | "public")) => Ok(Some(v.to_string())),
        Some(v) if v.contains('[') => Ok(Some(v.to_string())),
        Some(v) => Err(a.err(format!(
            "Profile=\"{v}\": allowed: domain, private, public, all, or a property"
        ))),
    }
}

/// The `RemoteAddress` children's addresses; they exclude the `Scope` attribute.
fn remote_addresses(el: &Element, has_scope: bool) -> Result<Vec<String>> {
    let mut addresses: Vec<String> = Vec::new();
    for child in &el.children {
        if !(child.ns.is_firewall() && child.name == "RemoteAddress") {
            return Err(unexpected(el, child));
        }
        if has_scope {
            return Err(WixError::new(
                child.loc.clone(),
                "RemoteAddress cannot be used with the Scope attribute",
            ));
        }
        let mut ca = Attrs::new(child);
        let value = ca.opt("Value").map(str::to_string);
        ca.finish()?;
        // v3 puts the address in the element's text, v4 in `Value`.
        let value = value.unwrap_or_else(|| child.text.trim().to_string());
        if value.is_empty() {
            return Err(WixError::new(
                child.loc.clone(),
                "RemoteAddress needs an address (`Value`, or the text in WiX v3)",
            ));
        }
        addresses.push(value);
    }
    Ok(addresses)
}

/// Checks a literal `Port` list, and gives the rule's protocol: tcp by default with a
/// port, and never `any` with one.
fn port_protocol(
    el: &Element,
    port: Option<&str>,
    protocol: Option<String>,
) -> Result<Option<String>> {
    if let Some(v) = port {
        if !v.contains('[') {
            check_ports(v)
                .map_err(|m| WixError::new(el.loc.clone(), format!("Port=\"{v}\": {m}")))?;
        }
    }
    let protocol = match (protocol, port) {
        (Some(p), _) => Some(p),
        (None, Some(_)) => Some("tcp".to_string()),
        (None, None) => None,
    };
    if port.is_some() && protocol.as_deref() == Some("any") {
        return Err(WixError::new(
            el.loc.clone(),
            "a `Port` needs Protocol=\"tcp\" or \"udp\"",
        ));
    }
    Ok(protocol)
}

fn protocol(v: &str) -> Option<String> {
    Some(
        match v {
            "tcp" | "6" => "tcp",
            "udp" | "17" => "udp",
            "any" => "any",
            v if v.contains('[') => v,
            _ => return None,
        }
        .to_string(),
    )
}

fn scope(v: &str) -> Option<String> {
    Some(
        match v {
            "any" => "any",
            "localSubnet" => "localsubnet",
            "DNS" | "dns" => "dns",
            "DHCP" | "dhcp" => "dhcp",
            "WINS" | "wins" => "wins",
            "defaultGateway" => "defaultgateway",
            v if v.contains('[') => v,
            _ => return None,
        }
        .to_string(),
    )
}

/// Ports 1–65535 and `low-high` ranges, separated by commas.
fn check_ports(list: &str) -> std::result::Result<(), String> {
    let port = |p: &str| match p.trim().parse::<u16>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("`{}` is not a port from 1 to 65535", p.trim())),
    };
    for part in list.split(',') {
        match part.split_once('-') {
            Some((lo, hi)) => {
                if port(lo)? > port(hi)? {
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

/// The names of one component's actions and property.
struct Names {
    property: String,
    set: String,
    add: String,
    add_rollback: String,
    remove: String,
    remove_rollback: String,
}

fn names(component: &str) -> Names {
    // Identifiers hold at most 72 characters; a long component id is hashed instead.
    let tag = if component.len() <= 40 {
        component.to_string()
    } else {
        super::generated_id("c", &[component])
    };
    Names {
        property: format!("SvcpackFirewallRules_{tag}"),
        set: format!("SvcpackFirewallSet_{tag}"),
        add: format!("SvcpackFirewallAdd_{tag}"),
        add_rollback: format!("SvcpackFirewallAddRollback_{tag}"),
        remove: format!("SvcpackFirewallRemove_{tag}"),
        remove_rollback: format!("SvcpackFirewallRemoveRollback_{tag}"),
    }
}

/// Custom action types: deferred (1024) + not impersonated (2048) + EXE in a Binary
/// row (2); rollback adds 256. Type 51 sets a property to a formatted value.
const DEFERRED_EXE: i32 = 3074;
const ROLLBACK_EXE: i32 = 3330;
const SET_PROPERTY: i32 = 51;

/// Adds `rule` to its component's rules: the first rule makes the component's actions, a
/// later one rewrites the arguments its set-property action carries.
fn add_rule(
    p: &mut Parser,
    el: &Element,
    comp: &Comp,
    rule: FirewallRule,
    provider: &crate::ActionProvider,
) -> Result<()> {
    let n = names(&comp.id);
    let rules = component_rules(p, &comp.id, rule);
    let args = (provider.firewall_rules)(&rules);
    if let Some(row) = p
        .sec()
        .rows
        .iter_mut()
        .find(|r| r.table == "CustomAction" && r.values[0].as_str() == Some(n.set.as_str()))
    {
        row.values[3] = Val::Str(args);
        return Ok(());
    }
    helper_binary(p, provider, &el.loc)?;
    custom_actions(p, &n, provider, args, &el.loc);
    schedule_actions(p, &n, &comp.id, &el.loc);
    Ok(())
}

/// The component's rules so far, `rule` last (an earlier FirewallException of it made the
/// actions).
fn component_rules(p: &mut Parser, comp: &str, rule: FirewallRule) -> Vec<FirewallRule> {
    match p.firewall_rules.iter().position(|(c, _)| c == comp) {
        Some(i) => {
            p.firewall_rules[i].1.push(rule);
            p.firewall_rules[i].1.clone()
        }
        None => {
            p.firewall_rules
                .push((comp.to_string(), vec![rule.clone()]));
            vec![rule]
        }
    }
}

/// The helper's Binary row: added with the package's first rule, referenced by later ones.
fn helper_binary(p: &mut Parser, provider: &crate::ActionProvider, loc: &Location) -> Result<()> {
    if p.helper_binary {
        p.sec().reference("Binary", HELPER_BINARY, loc);
        return Ok(());
    }
    let helper = (provider.helper)().map_err(|m| WixError::new(loc.clone(), m))?;
    p.sec().streams.push(crate::model::StreamDef {
        table: "Binary",
        id: HELPER_BINARY.to_string(),
        source: helper,
        loc: loc.clone(),
    });
    p.helper_binary = true;
    Ok(())
}

/// The component's CustomAction rows: setting the rules property, then add and remove,
/// each after its rollback.
fn custom_actions(
    p: &mut Parser,
    n: &Names,
    provider: &crate::ActionProvider,
    args: String,
    loc: &Location,
) {
    let target = |verb: &str| format!("{verb} [{}]", n.property);
    let actions: [(&str, i32, String, String); 5] = [
        (&n.set, SET_PROPERTY, n.property.clone(), args),
        (
            &n.add_rollback,
            ROLLBACK_EXE,
            HELPER_BINARY.into(),
            target(provider.remove_verb),
        ),
        (
            &n.add,
            DEFERRED_EXE,
            HELPER_BINARY.into(),
            target(provider.add_verb),
        ),
        (
            &n.remove_rollback,
            ROLLBACK_EXE,
            HELPER_BINARY.into(),
            target(provider.add_verb),
        ),
        (
            &n.remove,
            DEFERRED_EXE,
            HELPER_BINARY.into(),
            target(provider.remove_verb),
        ),
    ];
    for (id, ty, source, target) in actions {
        p.sec().row(
            "CustomAction",
            loc,
            vec![
                id.into(),
                ty.into(),
                source.into(),
                target.into(),
                Val::Null,
            ],
        );
    }
}

/// The component's actions in InstallExecuteSequence: the rules property before
/// InstallInitialize, adding after InstallFiles when the component is installed, removing
/// before RemoveFiles when it is removed and no upgrade is removing the old product.
fn schedule_actions(p: &mut Parser, n: &Names, comp: &str, loc: &Location) {
    let installing = format!("${comp}=3");
    let removing = format!("${comp}=2 AND NOT UPGRADINGPRODUCTCODE");
    let schedule = |action: &str, placement: Placement, condition: Option<&str>| {
        let mut s = CustomScheduling::new(
            SequenceTable::InstallExecute,
            action,
            Some(placement),
            loc.clone(),
        );
        s.condition = condition.map(str::to_string);
        s
    };
    let list = [
        schedule(&n.set, Placement::Before("InstallInitialize".into()), None),
        schedule(
            &n.add,
            Placement::After("InstallFiles".into()),
            Some(&installing),
        ),
        schedule(
            &n.add_rollback,
            Placement::Before(n.add.clone()),
            Some(&installing),
        ),
        schedule(
            &n.remove,
            Placement::Before("RemoveFiles".into()),
            Some(&removing),
        ),
        schedule(
            &n.remove_rollback,
            Placement::Before(n.remove.clone()),
            Some(&removing),
        ),
    ];
    p.sec().schedules.extend(list);
}
