//! Windows service authoring: `ServiceInstall` (+ dependencies, arguments), `ServiceControl`,
//! `ServiceConfig` and `ServiceConfigFailureActions` (the MSI 5.0 MsiServiceConfig tables),
//! the util extension's `ServiceConfig` (translated to the same MSI 5.0 table so no custom
//! action DLL is needed) and `EventSource`, and `PermissionEx` with SDDL.

use super::component::{identifier_from_name, permission_ex, Comp, KeyCandidate};
use super::{generated_id, no_children, unexpected, Attrs, Parser};
use crate::error::Result;
use crate::model::{KeyPath, Val};
use crate::xml::Element;

/// Main-namespace component children handled here.
pub(crate) fn component_child(
    p: &mut Parser,
    parent: &Element,
    el: &Element,
    comp: &Comp,
) -> Result<KeyCandidate> {
    match el.name.as_str() {
        "ServiceInstall" => service_install(p, el, comp),
        "ServiceControl" => service_control(p, el, comp),
        "ServiceConfig" => {
            service_config(p, el, comp, None)?;
            Ok(KeyCandidate::None)
        }
        "ServiceConfigFailureActions" => {
            failure_actions(p, el, comp, None)?;
            Ok(KeyCandidate::None)
        }
        _ => Err(unexpected(parent, el)),
    }
}

/// util-namespace component children.
pub(crate) fn util_component_child(
    p: &mut Parser,
    parent: &Element,
    el: &Element,
    comp: &Comp,
) -> Result<KeyCandidate> {
    match el.name.as_str() {
        "EventSource" => event_source(p, el, comp),
        "ServiceConfig" => {
            util_service_config(p, el, comp, None)?;
            Ok(KeyCandidate::None)
        }
        _ => Err(unexpected(parent, el)),
    }
}

/// `ServiceInstall`: its ServiceInstall row, with the dependencies and arguments its
/// children add.
fn service_install(p: &mut Parser, el: &Element, comp: &Comp) -> Result<KeyCandidate> {
    let mut svc = ServiceAttrs::read(el)?;
    let dependencies = svc.children(p, el, comp)?;
    svc.row(p, el, comp, dependencies);
    Ok(KeyCandidate::None)
}

/// A `ServiceInstall`'s attributes, as its ServiceInstall row's values.
struct ServiceAttrs {
    id: String,
    name: String,
    account: Option<String>,
    arguments: Option<String>,
    /// `[~]` when EraseDescription="yes".
    description: Option<String>,
    display_name: Option<String>,
    error_control: i32,
    service_type: i32,
    load_order_group: Option<String>,
    password: Option<String>,
    start: i32,
}

impl ServiceAttrs {
    fn read(el: &Element) -> Result<Self> {
        let mut a = Attrs::new(el);
        let name = a.req("Name")?.to_string();
        let id = a
            .id("Id")?
            // Compiler_Package.cs ParseServiceInstallElement: the name made an identifier.
            .unwrap_or_else(|| id_from_service_name(&name));
        let account = a.opt("Account").map(str::to_string);
        let arguments = a.opt("Arguments").map(str::to_string);
        let description = a.opt("Description").map(str::to_string);
        let display_name = a.opt("DisplayName").map(str::to_string);
        let description = if a.flag("EraseDescription")? {
            Some("[~]".to_string())
        } else {
            description
        };
        let mut error_control = error_control_attr(&mut a)?;
        let interactive = if a.flag("Interactive")? { 0x100 } else { 0 };
        let load_order_group = a.opt("LoadOrderGroup").map(str::to_string);
        let password = a.opt("Password").map(str::to_string);
        let start = start_attr(&mut a)?;
        let service_type = interactive | type_attr(&mut a)?;
        if a.flag("Vital")? {
            error_control |= 0x8000;
        }
        a.finish()?;
        Ok(ServiceAttrs {
            id,
            name,
            account,
            arguments,
            description,
            display_name,
            error_control,
            service_type,
            load_order_group,
            password,
            start,
        })
    }

    /// The children: dependencies (returned as the Dependencies value), arguments (added
    /// to `Arguments`), the service's configuration and permissions.
    fn children(&mut self, p: &mut Parser, el: &Element, comp: &Comp) -> Result<Option<String>> {
        let mut dependencies = String::new();
        for child in &el.children {
            let name = Some(self.name.as_str());
            match (child.ns.is_util(), child.name.as_str()) {
                (false, "ServiceDependency") => dependency(child, &mut dependencies)?,
                (false, "ServiceArgument") => self.argument(child)?,
                (false, "ServiceConfig") => service_config(p, child, comp, name)?,
                (false, "ServiceConfigFailureActions") => failure_actions(p, child, comp, name)?,
                (true, "ServiceConfig") => util_service_config(p, child, comp, name)?,
                (false, "PermissionEx") => permission_ex(p, child, "ServiceInstall", &self.id)?,
                _ => return Err(unexpected(el, child)),
            }
        }
        Ok(if dependencies.is_empty() {
            None
        } else {
            Some(format!("{dependencies}[~]"))
        })
    }

    /// A `ServiceArgument` (WiX v4): one argument per element, joined with spaces.
    fn argument(&mut self, el: &Element) -> Result<()> {
        let mut ca = Attrs::new(el);
        let v = ca
            .opt("Value")
            .map(str::to_string)
            .unwrap_or_else(|| el.text.clone());
        ca.finish()?;
        let args = self.arguments.get_or_insert_with(String::new);
        if !args.is_empty() {
            args.push(' ');
        }
        args.push_str(&v);
        Ok(())
    }

    fn row(self, p: &mut Parser, el: &Element, comp: &Comp, dependencies: Option<String>) {
        p.sec().row(
            "ServiceInstall",
            &el.loc,
            vec![
                self.id.into(),
                self.name.into(),
                Val::opt_str(self.display_name),
                self.service_type.into(),
                self.start.into(),
                self.error_control.into(),
                Val::opt_str(self.load_order_group),
                Val::opt_str(dependencies),
                Val::opt_str(self.account),
                Val::opt_str(self.password),
                Val::opt_str(self.arguments),
                comp.id.clone().into(),
                Val::opt_str(self.description),
            ],
        );
    }
}

/// `ErrorControl` (required): ignore 0, normal 1, critical 3.
fn error_control_attr(a: &mut Attrs) -> Result<i32> {
    match a.choice("ErrorControl", &["ignore", "normal", "critical"])? {
        Some("ignore") => Ok(0),
        Some("critical") => Ok(3),
        Some(_) => Ok(1),
        None => {
            Err(a.err("missing required attribute `ErrorControl` (ignore, normal or critical)"))
        }
    }
}

/// `Start` (required): auto 2, demand 3, disabled 4; the driver start types are refused.
fn start_attr(a: &mut Attrs) -> Result<i32> {
    match a.choice("Start", &["auto", "demand", "disabled", "boot", "system"])? {
        Some("auto") => Ok(2),
        Some("demand") => Ok(3),
        Some("disabled") => Ok(4),
        Some(other) => Err(a.err(format!("Start=\"{other}\" is only for drivers, which are not supported; use auto, demand or disabled"))),
        None => Err(a.err("missing required attribute `Start` (auto, demand or disabled)")),
    }
}

/// `Type` (required): the service type bits of ownProcess (0x10) or shareProcess (0x20);
/// driver services are refused.
fn type_attr(a: &mut Attrs) -> Result<i32> {
    match a.choice(
        "Type",
        &["ownProcess", "shareProcess", "kernelDriver", "systemDriver"],
    )? {
        Some("ownProcess") => Ok(0x10),
        Some("shareProcess") => Ok(0x20),
        Some(_) => Err(
            a.err("driver services are not supported; use Type=\"ownProcess\" or \"shareProcess\"")
        ),
        None => Err(a.err("missing required attribute `Type` (ownProcess or shareProcess)")),
    }
}

/// A `ServiceDependency` added to `dependencies`, each ending in `[~]`.
fn dependency(el: &Element, dependencies: &mut String) -> Result<()> {
    let mut ca = Attrs::new(el);
    let dep = ca.req("Id")?.to_string();
    let group = ca.flag("Group")?;
    ca.finish()?;
    no_children(el)?;
    // Load-order groups are marked with a '+' prefix in the Dependencies list.
    if group {
        dependencies.push('+');
    }
    dependencies.push_str(&dep);
    dependencies.push_str("[~]");
    Ok(())
}

fn service_control(p: &mut Parser, el: &Element, comp: &Comp) -> Result<KeyCandidate> {
    let mut a = Attrs::new(el);
    // WiX v4+ defaults the id to the service name made legal
    // (Compiler_Package.cs ParseServiceControlElement, CreateIdentifierFromFilename).
    let id = if p.v4() {
        a.id("Id")?
    } else {
        Some(a.req_id("Id")?)
    };
    let name = a.req("Name")?.to_string();
    let id = id.unwrap_or_else(|| super::component::identifier_from_name(&name));
    let mut events = 0;
    // Install-time bits are the low nibble, uninstall-time bits the high one.
    let mut on = |attr: &'static str, install: i32, uninstall: i32, a: &mut Attrs| -> Result<()> {
        match a.choice(attr, &["install", "uninstall", "both"])? {
            Some("install") => events |= install,
            Some("uninstall") => events |= uninstall,
            Some(_) => events |= install | uninstall,
            None => {}
        }
        Ok(())
    };
    on("Start", 0x1, 0x10, &mut a)?;
    on("Stop", 0x2, 0x20, &mut a)?;
    on("Remove", 0x8, 0x80, &mut a)?;
    let wait = a.yesno("Wait")?;
    a.finish()?;
    let mut args: Vec<String> = Vec::new();
    for child in &el.children {
        if child.is("ServiceArgument") {
            let mut ca = Attrs::new(child);
            let v = ca
                .opt("Value")
                .map(str::to_string)
                .unwrap_or_else(|| child.text.clone());
            ca.finish()?;
            args.push(v);
        } else {
            return Err(unexpected(el, child));
        }
    }
    let arguments = if args.is_empty() {
        None
    } else {
        Some(args.join("[~]"))
    };
    p.sec().row(
        "ServiceControl",
        &el.loc,
        vec![
            id.into(),
            name.into(),
            events.into(),
            Val::opt_str(arguments),
            Val::opt_int(wait.map(|w| w as i32)),
            comp.id.clone().into(),
        ],
    );
    Ok(KeyCandidate::None)
}

/// OnInstall/OnReinstall/OnUninstall → MsiServiceConfig event bits.
fn config_events(a: &mut Attrs) -> Result<i32> {
    let mut events = 0;
    if a.flag("OnInstall")? {
        events |= 1;
    }
    if a.flag("OnUninstall")? {
        events |= 2;
    }
    if a.flag("OnReinstall")? {
        events |= 4;
    }
    if events == 0 {
        // Both WiX v3 (Compiler.cs) and v4+ (Compiler_Package.cs, ParseServiceConfigElement
        // and ParseServiceConfigFailureActionsElement) require one: there is no default.
        return Err(a.err("needs at least one of OnInstall, OnReinstall, OnUninstall set to yes"));
    }
    Ok(events)
}

/// The identifier WiX gives a ServiceConfig / ServiceConfigFailureActions without `Id`:
/// the service name made into an identifier (v3 `GetIdentifierFromName`, v4
/// `CreateIdentifierFromFilename`).
fn id_from_service_name(name: &str) -> String {
    identifier_from_name(name)
}

fn service_name(a: &mut Attrs, parent: Option<&str>) -> Result<String> {
    match (a.opt("ServiceName"), parent) {
        (Some(n), None) if !n.is_empty() => Ok(n.to_string()),
        (None, Some(n)) => Ok(n.to_string()),
        (Some(_), Some(_)) => Err(a.err(
            "`ServiceName` is not allowed inside ServiceInstall (the service is the parent's)",
        )),
        _ => Err(a.err("missing required attribute `ServiceName`")),
    }
}

fn service_config(p: &mut Parser, el: &Element, comp: &Comp, parent: Option<&str>) -> Result<()> {
    let mut a = Attrs::new(el);
    let name = service_name(&mut a, parent)?;
    let id = a.id("Id")?.unwrap_or_else(|| id_from_service_name(&name));
    let delayed = a.yesno("DelayedAutoStart")?;
    let failure_when = match a.choice(
        "FailureActionsWhen",
        &["failedToStop", "failedToStopOrReturnedError"],
    )? {
        Some("failedToStop") => Some("0"),
        Some(_) => Some("1"),
        None => None,
    };
    let sid = match a.choice("ServiceSid", &["none", "restricted", "unrestricted"])? {
        Some("none") => Some("0"),
        Some("restricted") => Some("3"),
        Some(_) => Some("1"),
        None => None,
    };
    let preshutdown = a.int_range("PreShutdownDelay", 0, i32::MAX as i64)?;
    let events = config_events(&mut a)?;
    a.finish()?;
    let mut privileges: Vec<String> = Vec::new();
    for child in &el.children {
        if child.is("RequiredPrivilege") {
            let mut ca = Attrs::new(child);
            let v = ca
                .opt("Name")
                .map(str::to_string)
                .unwrap_or_else(|| child.text.clone());
            ca.finish()?;
            privileges.push(privilege_name(&v));
        } else {
            return Err(unexpected(el, child));
        }
    }
    let mut settings: Vec<(&str, i32, String)> = Vec::new();
    if let Some(d) = delayed {
        settings.push(("DS", 3, if d { "1" } else { "0" }.into()));
    }
    if let Some(f) = failure_when {
        settings.push(("FA", 4, f.into()));
    }
    if let Some(s) = sid {
        settings.push(("SS", 5, s.into()));
    }
    if !privileges.is_empty() {
        settings.push(("RP", 6, privileges.join("[~]")));
    }
    if let Some(d) = preshutdown {
        settings.push(("PD", 7, d.to_string()));
    }
    if settings.is_empty() {
        return Err(a.err("needs one of DelayedAutoStart, FailureActionsWhen, PreShutdownDelay, ServiceSid or RequiredPrivilege"));
    }
    for (suffix, ty, arg) in settings {
        p.sec().row(
            "MsiServiceConfig",
            &el.loc,
            vec![
                format!("{id}.{suffix}").into(),
                name.clone().into(),
                events.into(),
                ty.into(),
                arg.into(),
                comp.id.clone().into(),
            ],
        );
    }
    Ok(())
}

/// RequiredPrivilege: WiX's short names map to the `Se...Privilege` constants (the table in
/// Compiler.cs ParseServiceConfigElement / Compiler_Package.cs ParseRequiredPrivilege,
/// including its aliases); anything else passes through unchanged (a privilege name or a
/// formatted property).
fn privilege_name(v: &str) -> String {
    let known = match v {
        "assignPrimaryToken" => "SeAssignPrimaryTokenPrivilege",
        "audit" => "SeAuditPrivilege",
        "backup" => "SeBackupPrivilege",
        "changeNotify" => "SeChangeNotifyPrivilege",
        "createGlobal" => "SeCreateGlobalPrivilege",
        "createPagefile" => "SeCreatePagefilePrivilege",
        "createPermanent" => "SeCreatePermanentPrivilege",
        "createSymbolicLink" => "SeCreateSymbolicLinkPrivilege",
        "createToken" => "SeCreateTokenPrivilege",
        "debug" => "SeDebugPrivilege",
        "enableDelegation" => "SeEnableDelegationPrivilege",
        "impersonate" => "SeImpersonatePrivilege",
        "increaseBasePriority" => "SeIncreaseBasePriorityPrivilege",
        "increaseQuota" => "SeIncreaseQuotaPrivilege",
        "increaseWorkingSet" => "SeIncreaseWorkingSetPrivilege",
        "loadDriver" => "SeLoadDriverPrivilege",
        "lockMemory" => "SeLockMemoryPrivilege",
        "machineAccount" => "SeMachineAccountPrivilege",
        "manageVolume" => "SeManageVolumePrivilege",
        "profileSingleProcess" => "SeProfileSingleProcessPrivilege",
        "relabel" => "SeRelabelPrivilege",
        "remoteShutdown" => "SeRemoteShutdownPrivilege",
        "restore" => "SeRestorePrivilege",
        "security" => "SeSecurityPrivilege",
        "shutdown" => "SeShutdownPrivilege",
        "syncAgent" => "SeSyncAgentPrivilege",
        "systemEnvironment" => "SeSystemEnvironmentPrivilege",
        "systemProfile" => "SeSystemProfilePrivilege",
        "systemTime" | "modifySystemTime" => "SeSystemtimePrivilege",
        "takeOwnership" => "SeTakeOwnershipPrivilege",
        "tcb" | "trustedComputerBase" => "SeTcbPrivilege",
        "timeZone" | "modifyTimeZone" => "SeTimeZonePrivilege",
        "trustedCredManAccess" | "trustedCredentialManagerAccess" => {
            "SeTrustedCredManAccessPrivilege"
        }
        "undock" => "SeUndockPrivilege",
        "unsolicitedInput" => "SeUnsolicitedInputPrivilege",
        other => other,
    };
    known.to_string()
}

fn failure_actions(p: &mut Parser, el: &Element, comp: &Comp, parent: Option<&str>) -> Result<()> {
    let mut a = Attrs::new(el);
    let name = service_name(&mut a, parent)?;
    let id = a.id("Id")?.unwrap_or_else(|| id_from_service_name(&name));
    let command = a.opt("Command").map(str::to_string);
    let reboot_message = a.opt("RebootMessage").map(str::to_string);
    let reset = a.int_range("ResetPeriod", 0, i32::MAX as i64)?;
    let events = config_events(&mut a)?;
    a.finish()?;
    let mut actions = Vec::new();
    let mut delays = Vec::new();
    for child in &el.children {
        if !child.is("Failure") {
            return Err(unexpected(el, child));
        }
        let mut ca = Attrs::new(child);
        let action = match ca.choice(
            "Action",
            &["none", "restartComputer", "restartService", "runCommand"],
        )? {
            Some("none") | None => "0",
            Some("restartService") => "1",
            Some("restartComputer") => "2",
            Some(_) => "3",
        };
        let delay = ca.int_range("Delay", 0, i32::MAX as i64)?.unwrap_or(0);
        ca.finish()?;
        no_children(child)?;
        actions.push(action.to_string());
        delays.push(delay.to_string());
    }
    if actions.iter().any(|x| x == "3") && command.is_none() {
        return Err(a.err("a runCommand failure action needs `Command`"));
    }
    p.sec().row(
        "MsiServiceConfigFailureActions",
        &el.loc,
        vec![
            id.into(),
            name.into(),
            events.into(),
            Val::opt_int(reset),
            // "[~]" leaves the existing value unchanged, as WiX writes it.
            reboot_message.unwrap_or_else(|| "[~]".into()).into(),
            command.unwrap_or_else(|| "[~]".into()).into(),
            Val::opt_str((!actions.is_empty()).then(|| actions.join("[~]"))),
            Val::opt_str((!delays.is_empty()).then(|| delays.join("[~]"))),
            comp.id.clone().into(),
        ],
    );
    Ok(())
}

/// util:ServiceConfig, translated to MsiServiceConfigFailureActions (MSI 5.0) instead of
/// the util extension's custom action.
fn util_service_config(
    p: &mut Parser,
    el: &Element,
    comp: &Comp,
    parent: Option<&str>,
) -> Result<()> {
    let mut a = Attrs::new(el);
    let name = service_name(&mut a, parent)?;
    let kinds = ["none", "reboot", "restart", "runCommand"];
    let first = a.choice("FirstFailureActionType", &kinds)?;
    let second = a.choice("SecondFailureActionType", &kinds)?;
    let third = a.choice("ThirdFailureActionType", &kinds)?;
    let command = a.opt("ProgramCommandLine").map(str::to_string);
    let reboot_message = a.opt("RebootMessage").map(str::to_string);
    let reset_days = a.int_range("ResetPeriodInDays", 0, i32::MAX as i64 / 86400)?;
    let restart_delay = a.int_range("RestartServiceDelayInSeconds", 0, i32::MAX as i64 / 1000)?;
    a.ignore(&["ServiceSid"]);
    a.finish()?;
    no_children(el)?;
    let code = |k: Option<&str>| match k {
        Some("restart") => "1",
        Some("reboot") => "2",
        Some("runCommand") => "3",
        _ => "0",
    };
    let codes = [code(first), code(second), code(third)];
    if codes.contains(&"3") && command.is_none() {
        return Err(a.err("a runCommand action needs `ProgramCommandLine`"));
    }
    let delay_ms = restart_delay.unwrap_or(0) * 1000;
    let delays: Vec<String> = codes
        .iter()
        .map(|c| {
            if *c == "1" {
                delay_ms.to_string()
            } else {
                "0".into()
            }
        })
        .collect();
    let id = generated_id("sfa", &[&comp.id, &name, "util"]);
    p.sec().row(
        "MsiServiceConfigFailureActions",
        &el.loc,
        vec![
            id.into(),
            name.into(),
            (1 | 4).into(),
            Val::opt_int(reset_days.map(|d| d * 86400)),
            reboot_message.unwrap_or_else(|| "[~]".into()).into(),
            command.unwrap_or_else(|| "[~]".into()).into(),
            codes.join("[~]").into(),
            delays.join("[~]").into(),
            comp.id.clone().into(),
        ],
    );
    Ok(())
}

/// util:EventSource → registry values under the EventLog service key, as WiX writes them.
fn event_source(p: &mut Parser, el: &Element, comp: &Comp) -> Result<KeyCandidate> {
    let mut a = Attrs::new(el);
    let name = a.req("Name")?.to_string();
    let log = a.req("Log")?.to_string();
    let event_message_file = a.req("EventMessageFile")?.to_string();
    let category_message_file = a.opt("CategoryMessageFile").map(str::to_string);
    let category_count = a.int_range("CategoryCount", 0, i32::MAX as i64)?;
    let parameter_message_file = a.opt("ParameterMessageFile").map(str::to_string);
    let key_path = a.flag("KeyPath")?;
    let mut types = 0;
    for (attr, bit) in [
        ("SupportsErrors", 1),
        ("SupportsWarnings", 2),
        ("SupportsInformationals", 4),
        ("SupportsSuccessAudits", 8),
        ("SupportsFailureAudits", 0x10),
    ] {
        if a.flag(attr)? {
            types |= bit;
        }
    }
    a.finish()?;
    no_children(el)?;
    if log == "Security" {
        return Err(a.err("`Log` cannot be Security; use Application, System or a custom log"));
    }
    let key = format!("SYSTEM\\CurrentControlSet\\Services\\EventLog\\{log}\\{name}");
    let mut values = vec![(
        "EventMessageFile".to_string(),
        format!("#%{event_message_file}"),
    )];
    if let Some(c) = category_message_file {
        values.push(("CategoryMessageFile".into(), format!("#%{c}")));
    }
    if let Some(c) = category_count {
        values.push(("CategoryCount".into(), format!("#{c}")));
    }
    if let Some(c) = parameter_message_file {
        values.push(("ParameterMessageFile".into(), format!("#%{c}")));
    }
    if types != 0 {
        values.push(("TypesSupported".into(), format!("#{types}")));
    }
    let mut first_id = None;
    for (vname, value) in values {
        let id = generated_id("reg", &[&comp.id, "2", &key, &vname]);
        first_id.get_or_insert_with(|| id.clone());
        super::registry::RegistryRow {
            id,
            root: 2,
            key: key.clone(),
            name: Some(&vname),
            value: Some(value),
        }
        .add(p, &el.loc, &comp.id);
    }
    Ok(match (key_path, first_id) {
        (true, Some(id)) => KeyCandidate::Explicit(KeyPath::Registry(id)),
        _ => KeyCandidate::None,
    })
}
