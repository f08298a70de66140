//! Reading an MSI back: product identity, files with versions, services with their start
//! type, account, arguments and recovery settings, and whether it is signed. Used by
//! `cargo svcpack inspect` and by tests; works on any MSI, not only ours.

use std::collections::BTreeMap;
use std::io::{Read, Seek};
use std::path::Path;

use serde::Serialize;

/// What `inspect` reports.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Report {
    pub product_name: Option<String>,
    pub product_version: Option<String>,
    pub manufacturer: Option<String>,
    pub product_code: Option<String>,
    pub upgrade_code: Option<String>,
    pub package_code: Option<String>,
    pub platform: Option<String>,
    pub codepage: i32,
    pub files: Vec<FileReport>,
    pub services: Vec<ServiceReport>,
    /// Inbound firewall rules an installer's custom action adds (values as authored:
    /// `[PROPERTY]` references are resolved only when the package installs).
    pub firewall: Vec<FirewallReport>,
    pub signed: bool,
    /// Signer details when a signature is present (filled by the signing module's reader).
    pub signature: Option<BTreeMap<String, String>>,
}

/// One inbound allow rule.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct FirewallReport {
    pub name: String,
    /// `tcp`, `udp` or `any`.
    pub protocol: String,
    /// Local ports and ranges; empty: any port.
    pub ports: String,
    /// Empty: all profiles.
    pub profiles: Vec<String>,
    pub remote: String,
    pub program: Option<String>,
    pub ignore_failure: bool,
    /// The condition of the action that adds the rule.
    pub condition: Option<String>,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct FileReport {
    pub id: String,
    pub name: String,
    pub directory: Option<String>,
    pub size: i64,
    pub version: Option<String>,
    pub language: Option<String>,
    /// The file's own Authenticode signature, when it is a signed PE (filled by the
    /// signing module's reader).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct ServiceReport {
    pub name: String,
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub start_type: String,
    pub delayed_auto_start: bool,
    pub account: String,
    pub arguments: Option<String>,
    pub dependencies: Vec<String>,
    pub recovery: Option<Recovery>,
    /// Failure actions also apply when the service stops with an error code.
    pub non_crash_failures: bool,
    /// `none`, `unrestricted` or `restricted`; `None` when the MSI does not set it.
    pub sid_type: Option<String>,
    pub required_privileges: Vec<String>,
    pub preshutdown_timeout_ms: Option<u32>,
    /// The account's password: the property it is read from at install time (ServiceInstall
    /// Password `[PROPERTY]`), if any.
    pub password_property: Option<String>,
    /// A launch condition refuses to install without that property.
    pub password_required: bool,
    /// The Password column holds a literal password: it is readable by anyone with the
    /// package.
    pub password_in_package: bool,
    /// How long an install waits for the old service's processes to exit (svcpack's
    /// helper), when the MSI does.
    pub stop_wait_ms: Option<u32>,
    /// Where the settings above come from: `custom action` (svcpack's helper, applied with
    /// ChangeServiceConfig2W), `MsiServiceConfig` tables, or `none`.
    pub settings_from: String,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Recovery {
    pub actions: Vec<String>,
    pub delays_ms: Vec<i64>,
    pub reset_period_secs: Option<i64>,
    pub command: Option<String>,
}

fn s(v: &msi::Value) -> Option<String> {
    match v {
        msi::Value::Str(s) => Some(s.clone()),
        msi::Value::Int(i) => Some(i.to_string()),
        _ => None,
    }
}

fn i(v: &msi::Value) -> Option<i64> {
    match v {
        msi::Value::Int(i) => Some(*i as i64),
        msi::Value::Str(s) => s.parse().ok(),
        _ => None,
    }
}

/// One table row, by column name.
type TableRow = BTreeMap<String, msi::Value>;

fn rows<F: Read + Seek>(pkg: &mut msi::Package<F>, table: &str) -> Vec<TableRow> {
    if !pkg.has_table(table) {
        return Vec::new();
    }
    let cols: Vec<String> = pkg
        .get_table(table)
        .map(|t| t.columns().iter().map(|c| c.name().to_string()).collect())
        .unwrap_or_default();
    let Ok(rows) = pkg.select_rows(msi::Select::table(table)) else {
        return Vec::new();
    };
    rows.map(|r| {
        cols.iter()
            .enumerate()
            .map(|(i, c)| (c.clone(), r[i].clone()))
            .collect()
    })
    .collect()
}

/// A Formatted value's MSI escapes (`[\\[]`, `[\\]]`, ...) undone: the literal text.
fn unescape(formatted: &str) -> String {
    let chars: Vec<char> = formatted.chars().collect();
    let mut out = String::new();
    let mut n = 0;
    while n < chars.len() {
        if chars[n] == '[' && n + 3 < chars.len() && chars[n + 1] == '\\' && chars[n + 3] == ']' {
            out.push(chars[n + 2]);
            n += 4;
        } else {
            out.push(chars[n]);
            n += 1;
        }
    }
    out
}

/// Where a ServiceInstall row's password comes from.
struct PasswordSource {
    property: Option<String>,
    required: bool,
    in_package: bool,
}

/// Reads the Password column: `[PROPERTY]` names the property given at install time, and
/// a launch condition naming that property makes it required; any other text is a
/// password written into the package.
fn password_source(column: Option<String>, launch_conditions: &[String]) -> PasswordSource {
    let column = column.filter(|c| !c.is_empty());
    let property = column.as_deref().and_then(|c| {
        let name = c.strip_prefix('[')?.strip_suffix(']')?;
        let plain = !name.is_empty()
            && name
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '.');
        plain.then(|| name.to_string())
    });
    let required = property.as_deref().is_some_and(|p| {
        launch_conditions.iter().any(|c| {
            c.split(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_' || ch == '.'))
                .any(|word| word == p)
        })
    });
    PasswordSource {
        in_package: column.is_some() && property.is_none(),
        property,
        required,
    }
}

fn start_word(start: i64, delayed: bool) -> String {
    match (start, delayed) {
        (2, true) => "delayed".into(),
        (2, false) => "auto".into(),
        (3, _) => "demand".into(),
        (4, _) => "disabled".into(),
        (n, _) => n.to_string(),
    }
}

fn split_list(v: Option<String>) -> Vec<String> {
    v.map(|d| {
        d.split("[~]")
            .filter(|x| !x.is_empty())
            .map(str::to_string)
            .collect()
    })
    .unwrap_or_default()
}

/// Reads the report from an MSI file.
/// Service settings an installer applies with a custom action of its own (svcpack's helper
/// is one): the caller's [`ActionDecoder`] turns the action's command line into this.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodedAction {
    /// The action configures `service` (ChangeServiceConfig2 settings).
    Configure(ActionSettings),
    /// The action stops `service` and waits at most `timeout_ms` for its processes to end.
    Stop { service: String, timeout_ms: u32 },
    /// The action adds these inbound firewall rules.
    FirewallAdd(Vec<FirewallReport>),
}

/// What a configuring custom action sets, in the service manager's terms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionSettings {
    pub service: String,
    /// `(action word, delay in ms)`: `restart`, `reboot`, `run`, `none`.
    pub actions: Vec<(String, u32)>,
    pub reset_secs: u32,
    pub command: Option<String>,
    pub non_crash_failures: bool,
    pub delayed_auto_start: Option<bool>,
    /// `none`, `unrestricted` or `restricted`.
    pub sid_type: String,
    pub privileges: Vec<String>,
    pub preshutdown_ms: Option<u32>,
}

/// Recognises an EXE custom action's command line as one a known helper reads; the
/// compiler itself knows no helper, so callers that do pass theirs.
pub type ActionDecoder<'a> = &'a dyn Fn(&str) -> Option<DecodedAction>;

pub fn inspect_file(path: &Path) -> Result<Report, String> {
    inspect_file_with(path, &|_| None)
}

/// [`inspect_file`], with service settings from custom actions `decoder` recognises.
pub fn inspect_file_with(path: &Path, decoder: ActionDecoder) -> Result<Report, String> {
    let file =
        std::fs::File::open(path).map_err(|e| format!("{}: cannot open: {e}", path.display()))?;
    inspect_with(file, decoder).map_err(|e| format!("{}: {e}", path.display()))
}

pub fn inspect<F: Read + Seek>(f: F) -> Result<Report, String> {
    inspect_with(f, &|_| None)
}

/// [`inspect`], with service settings from custom actions `decoder` recognises.
pub fn inspect_with<F: Read + Seek>(f: F, decoder: ActionDecoder) -> Result<Report, String> {
    let mut pkg =
        msi::Package::open(f).map_err(|e| format!("not a Windows Installer database: {e}"))?;
    let props: BTreeMap<String, String> = rows(&mut pkg, "Property")
        .iter()
        .filter_map(|r| pair(r, "Property", "Value"))
        .collect();
    let files = file_reports(&mut pkg);
    let (requests, firewall) = helper_actions(&mut pkg, &props, decoder);
    let services = service_reports(&mut pkg, &requests);
    let summary = pkg.summary_info();
    let package_code = summary
        .uuid()
        .map(|u| format!("{{{}}}", u.hyphenated()).to_ascii_uppercase());
    let platform = summary.arch().map(str::to_string);
    let signed = pkg.has_digital_signature();
    Ok(Report {
        product_name: props.get("ProductName").cloned(),
        product_version: props.get("ProductVersion").cloned(),
        manufacturer: props.get("Manufacturer").cloned(),
        product_code: props.get("ProductCode").cloned(),
        upgrade_code: props.get("UpgradeCode").cloned(),
        package_code,
        platform,
        codepage: pkg.database_codepage().id(),
        files,
        services,
        firewall,
        signed,
        signature: None,
    })
}

/// One table row's `key` and `value` columns, when both hold a value.
fn pair(r: &TableRow, key: &str, value: &str) -> Option<(String, String)> {
    Some((s(r.get(key)?)?, s(r.get(value)?)?))
}

/// The File table, sorted by id, each file with its component's directory.
fn file_reports<F: Read + Seek>(pkg: &mut msi::Package<F>) -> Vec<FileReport> {
    let components: BTreeMap<String, String> = rows(pkg, "Component")
        .iter()
        .filter_map(|r| pair(r, "Component", "Directory_"))
        .collect();
    let mut files: Vec<FileReport> = rows(pkg, "File")
        .into_iter()
        .map(|r| {
            let name = r.get("FileName").and_then(s).unwrap_or_default();
            let long = name.rsplit('|').next().unwrap_or(&name).to_string();
            FileReport {
                id: r.get("File").and_then(s).unwrap_or_default(),
                name: long,
                directory: r
                    .get("Component_")
                    .and_then(s)
                    .and_then(|c| components.get(&c).cloned()),
                size: r.get("FileSize").and_then(i).unwrap_or(0),
                version: r.get("Version").and_then(s),
                language: r.get("Language").and_then(s),
                signature: None,
            }
        })
        .collect();
    files.sort_by(|a, b| a.id.cmp(&b.id));
    files
}

/// What a helper's custom actions ask for, as `decoder` reads their command lines: the
/// service requests, and the inbound firewall rules added (each with its action's
/// condition).
fn helper_actions<F: Read + Seek>(
    pkg: &mut msi::Package<F>,
    props: &BTreeMap<String, String>,
    decoder: ActionDecoder,
) -> (Vec<DecodedAction>, Vec<FirewallReport>) {
    let actions = rows(pkg, "CustomAction");
    // Values type-51 actions set (SetProperty), which an EXE action's `[Property]` may use.
    let set_values: BTreeMap<String, String> = actions
        .iter()
        .filter(|r| r.get("Type").and_then(i).is_some_and(|t| t & 0x3F == 51))
        .filter_map(|r| pair(r, "Source", "Target"))
        .collect();
    let conditions: BTreeMap<String, String> = rows(pkg, "InstallExecuteSequence")
        .iter()
        .filter_map(|r| pair(r, "Action", "Condition"))
        .collect();
    // A helper's EXE custom actions from the Binary table (type & 0x3F == 2), not rollback
    // ones (0x100), whose command line (with `[Property]` references replaced by the
    // property's or its SetProperty's value) the decoder recognises.
    let mut firewall: Vec<FirewallReport> = Vec::new();
    let requests: Vec<DecodedAction> = actions
        .iter()
        .filter(|r| {
            r.get("Type")
                .and_then(i)
                .is_some_and(|t| t & 0x3F == 2 && t & 0x100 == 0)
        })
        .filter_map(|r| {
            let target = r.get("Target").and_then(s)?;
            let line = substitute(&target, &|p| {
                props.get(p).or_else(|| set_values.get(p)).cloned()
            })?;
            match decoder(&line)? {
                DecodedAction::FirewallAdd(rules) => {
                    let condition = r
                        .get("Action")
                        .and_then(s)
                        .and_then(|a| conditions.get(&a).cloned());
                    firewall.extend(rules.into_iter().map(|mut f| {
                        f.condition = condition.clone();
                        f
                    }));
                    None
                }
                other => Some(other),
            }
        })
        .collect();
    (requests, firewall)
}

/// The ServiceInstall table, sorted by name, each service with its settings.
fn service_reports<F: Read + Seek>(
    pkg: &mut msi::Package<F>,
    requests: &[DecodedAction],
) -> Vec<ServiceReport> {
    let sources = ServiceSources {
        configs: rows(pkg, "MsiServiceConfig"),
        failures: rows(pkg, "MsiServiceConfigFailureActions"),
        launch_conditions: rows(pkg, "LaunchCondition")
            .into_iter()
            .filter_map(|r| r.get("Condition").and_then(s))
            .collect(),
        requests,
    };
    let mut services: Vec<ServiceReport> = rows(pkg, "ServiceInstall")
        .iter()
        .map(|r| sources.report(r))
        .collect();
    services.sort_by(|a, b| a.name.cmp(&b.name));
    services
}

/// What a service's report draws on besides its ServiceInstall row.
struct ServiceSources<'a> {
    configs: Vec<TableRow>,
    failures: Vec<TableRow>,
    launch_conditions: Vec<String>,
    requests: &'a [DecodedAction],
}

/// A service's settings beyond its ServiceInstall row (ChangeServiceConfig2's), and where
/// they come from.
struct ServiceSettings {
    delayed_auto_start: bool,
    recovery: Option<Recovery>,
    non_crash_failures: bool,
    sid_type: Option<String>,
    required_privileges: Vec<String>,
    preshutdown_timeout_ms: Option<u32>,
    from: &'static str,
}

impl ServiceSources<'_> {
    /// The report of one ServiceInstall row: its settings from a helper's custom action
    /// when one configures the service, else from the MsiServiceConfig tables.
    fn report(&self, r: &TableRow) -> ServiceReport {
        let name = r.get("Name").and_then(s).unwrap_or_default();
        let service = unescape(&name);
        let password = password_source(r.get("Password").and_then(s), &self.launch_conditions);
        let start = r.get("StartType").and_then(i).unwrap_or(-1);
        let helper = self.requests.iter().find_map(|q| match q {
            DecodedAction::Configure(set) if set.service == service => Some(set),
            _ => None,
        });
        let stop_wait_ms = self.requests.iter().find_map(|q| match q {
            DecodedAction::Stop {
                service: stopped,
                timeout_ms,
            } if *stopped == service => Some(*timeout_ms),
            _ => None,
        });
        let settings = match helper {
            Some(set) => action_settings(set),
            None => self.table_settings(&name),
        };
        ServiceReport {
            start_type: start_word(start, settings.delayed_auto_start),
            delayed_auto_start: settings.delayed_auto_start,
            display_name: r.get("DisplayName").and_then(s),
            description: r.get("Description").and_then(s),
            account: r
                .get("StartName")
                .and_then(s)
                .unwrap_or_else(|| "LocalSystem".into()),
            arguments: r.get("Arguments").and_then(s),
            dependencies: split_list(r.get("Dependencies").and_then(s)),
            recovery: settings.recovery,
            non_crash_failures: settings.non_crash_failures,
            sid_type: settings.sid_type,
            required_privileges: settings.required_privileges,
            preshutdown_timeout_ms: settings.preshutdown_timeout_ms,
            password_property: password.property,
            password_required: password.required,
            password_in_package: password.in_package,
            stop_wait_ms,
            settings_from: settings.from.into(),
            name,
        }
    }

    /// Service `name`'s settings from the MsiServiceConfig and MsiServiceConfigFailureActions
    /// tables (`none` when the package has neither for it).
    fn table_settings(&self, name: &str) -> ServiceSettings {
        let config_of = |ty: i64| {
            self.configs
                .iter()
                .find(|c| {
                    c.get("Name").and_then(s).as_deref() == Some(name)
                        && c.get("ConfigType").and_then(i) == Some(ty)
                })
                .and_then(|c| c.get("Argument").and_then(s))
        };
        let recovery = self
            .failures
            .iter()
            .find(|f| f.get("Name").and_then(s).as_deref() == Some(name))
            .map(table_recovery);
        let from_tables = !self.configs.is_empty() || recovery.is_some();
        ServiceSettings {
            delayed_auto_start: config_of(3).as_deref() == Some("1"),
            recovery,
            non_crash_failures: config_of(4).as_deref() == Some("1"),
            sid_type: config_of(5).map(|v| match v.as_str() {
                "0" => "none".into(),
                "1" => "unrestricted".into(),
                "3" => "restricted".into(),
                other => other.to_string(),
            }),
            required_privileges: split_list(config_of(6)),
            preshutdown_timeout_ms: config_of(7).and_then(|v| v.parse().ok()),
            from: if from_tables {
                "MsiServiceConfig tables"
            } else {
                "none"
            },
        }
    }
}

/// A service's settings as a helper's configuring custom action applies them.
fn action_settings(set: &ActionSettings) -> ServiceSettings {
    let recovery = (!set.actions.is_empty()).then(|| Recovery {
        actions: set.actions.iter().map(|(a, _)| a.clone()).collect(),
        delays_ms: set.actions.iter().map(|(_, ms)| i64::from(*ms)).collect(),
        reset_period_secs: Some(i64::from(set.reset_secs)),
        command: set.command.clone(),
    });
    ServiceSettings {
        delayed_auto_start: set.delayed_auto_start == Some(true),
        recovery,
        non_crash_failures: set.non_crash_failures,
        sid_type: Some(set.sid_type.clone()),
        required_privileges: set.privileges.clone(),
        preshutdown_timeout_ms: set.preshutdown_ms,
        from: "custom action",
    }
}

/// A MsiServiceConfigFailureActions row's recovery settings, action numbers as words.
fn table_recovery(f: &TableRow) -> Recovery {
    Recovery {
        actions: split_list(f.get("Actions").and_then(s))
            .into_iter()
            .map(|a| match a.as_str() {
                "0" => "none".into(),
                "1" => "restart".into(),
                "2" => "reboot".into(),
                "3" => "run".into(),
                other => other.to_string(),
            })
            .collect(),
        delays_ms: split_list(f.get("DelayActions").and_then(s))
            .iter()
            .filter_map(|d| d.parse().ok())
            .collect(),
        reset_period_secs: f.get("ResetPeriod").and_then(i),
        command: f.get("Command").and_then(s).filter(|c| c != "[~]"),
    }
}

/// `text` with each `[Name]` replaced by `value(Name)`; `None` when a reference has no
/// value. Only plain property references are replaced (`[#File]`, `[\[]` stay).
fn substitute(text: &str, value: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find('[') {
        let Some(len) = rest[start..].find(']') else {
            break;
        };
        let name = &rest[start + 1..start + len];
        out.push_str(&rest[..start]);
        if !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        {
            out.push_str(&value(name)?);
        } else {
            out.push_str(&rest[start..=start + len]);
        }
        rest = &rest[start + len + 1..];
    }
    out.push_str(rest);
    Some(out)
}

impl Report {
    /// The human-readable form printed by `cargo svcpack inspect`.
    pub fn to_text(&self) -> String {
        let mut o = String::new();
        self.write_product(&mut o);
        o.push_str(&format!("Files ({}):\n", self.files.len()));
        for f in &self.files {
            write_file(&mut o, f);
        }
        o.push_str(&format!("Services ({}):\n", self.services.len()));
        for s in &self.services {
            write_service(&mut o, s);
        }
        if !self.firewall.is_empty() {
            o.push_str(&format!("Firewall rules ({}):\n", self.firewall.len()));
            for f in &self.firewall {
                write_firewall_rule(&mut o, f);
            }
        }
        o
    }

    /// The package's identity and signature lines.
    fn write_product(&self, o: &mut String) {
        o.push_str(&format!(
            "Product:       {} {}\n",
            or_dash(&self.product_name),
            or_dash(&self.product_version)
        ));
        o.push_str(&format!("Manufacturer:  {}\n", or_dash(&self.manufacturer)));
        o.push_str(&format!("ProductCode:   {}\n", or_dash(&self.product_code)));
        o.push_str(&format!("UpgradeCode:   {}\n", or_dash(&self.upgrade_code)));
        o.push_str(&format!("PackageCode:   {}\n", or_dash(&self.package_code)));
        o.push_str(&format!("Platform:      {}\n", or_dash(&self.platform)));
        o.push_str(&format!("Codepage:      {}\n", self.codepage));
        o.push_str(&format!(
            "Signed:        {}\n",
            if self.signed { "yes" } else { "no" }
        ));
        if let Some(sig) = &self.signature {
            for (k, v) in sig {
                o.push_str(&format!("  {k}: {v}\n"));
            }
        }
    }
}

fn or_dash(v: &Option<String>) -> String {
    v.clone().unwrap_or_else(|| "-".into())
}

fn write_file(o: &mut String, f: &FileReport) {
    o.push_str(&format!(
        "  {:<40} {:>12} bytes  {}\n",
        f.name,
        f.size,
        f.version
            .as_deref()
            .map(|v| format!("version {v}"))
            .unwrap_or_else(|| "unversioned".into())
    ));
    if let Some(sig) = &f.signature {
        for k in ["subject", "issuer", "digest", "timestamp"] {
            if let Some(v) = sig.get(k) {
                o.push_str(&format!("    {k}: {v}\n"));
            }
        }
    }
}

fn write_service(o: &mut String, s: &ServiceReport) {
    o.push_str(&format!("  {} ({})\n", s.name, or_dash(&s.display_name)));
    o.push_str(&format!(
        "    start: {}  account: {}\n",
        s.start_type, s.account
    ));
    if let Some(a) = &s.arguments {
        o.push_str(&format!("    arguments: {a}\n"));
    }
    if !s.dependencies.is_empty() {
        o.push_str(&format!(
            "    dependencies: {}\n",
            s.dependencies.join(", ")
        ));
    }
    match &s.recovery {
        Some(r) => o.push_str(&format!("    recovery: {}\n", recovery_text(r))),
        None => o.push_str("    recovery: none\n"),
    }
    o.push_str(&format!("    {}\n", service_settings(s).join("; ")));
}

/// Each failure action with its delay, then the reset period and command if set.
fn recovery_text(r: &Recovery) -> String {
    let pairs: Vec<String> = r
        .actions
        .iter()
        .zip(r.delays_ms.iter().chain(std::iter::repeat(&0)))
        .map(|(a, d)| format!("{a} after {}s", d / 1000))
        .collect();
    let mut text = pairs.join(", ");
    if let Some(reset) = r.reset_period_secs {
        text.push_str(&format!("; reset after {reset}s"));
    }
    if let Some(c) = &r.command {
        text.push_str(&format!("; command {c}"));
    }
    text
}

/// The service's further settings, each as one phrase.
fn service_settings(s: &ServiceReport) -> Vec<String> {
    let mut extra = vec![format!("settings from: {}", s.settings_from)];
    if s.non_crash_failures {
        extra.push("recovery also on non-crash failures".into());
    }
    if let Some(t) = &s.sid_type {
        extra.push(format!("sid-type: {t}"));
    }
    if !s.required_privileges.is_empty() {
        extra.push(format!("privileges: {}", s.required_privileges.join(", ")));
    }
    if let Some(ms) = s.preshutdown_timeout_ms {
        extra.push(format!("preshutdown timeout: {}s", ms / 1000));
    }
    if let Some(p) = &s.password_property {
        extra.push(format!(
            "password: property {p} at install time{}",
            if s.password_required {
                " (required by a launch condition)"
            } else {
                ""
            }
        ));
    }
    if s.password_in_package {
        extra.push("password: written in the package".into());
    }
    if let Some(ms) = s.stop_wait_ms {
        extra.push(format!(
            "upgrade waits up to {}s for the old process",
            ms / 1000
        ));
    }
    extra
}

fn write_firewall_rule(o: &mut String, f: &FirewallReport) {
    let ports = if f.ports.is_empty() {
        "any port"
    } else {
        &f.ports
    };
    let profiles = if f.profiles.is_empty() {
        "all profiles".to_string()
    } else {
        f.profiles.join(",")
    };
    o.push_str(&format!(
        "  {}: inbound {} {ports} from {} ({profiles})",
        f.name, f.protocol, f.remote
    ));
    if let Some(p) = &f.program {
        o.push_str(&format!("; program {p}"));
    }
    if f.ignore_failure {
        o.push_str("; failure ignored");
    }
    o.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_column_is_read_as_property_or_literal() {
        let conds = vec!["Installed OR SVCPACK_SERVICE_PASSWORD".to_string()];
        let p = password_source(Some("[SVCPACK_SERVICE_PASSWORD]".into()), &conds);
        assert_eq!(p.property.as_deref(), Some("SVCPACK_SERVICE_PASSWORD"));
        assert!(p.required && !p.in_package);
        let p = password_source(Some("[SVCPACK_SERVICE_PASSWORD]".into()), &[]);
        assert!(!p.required);
        // A longer name containing the property's is not a condition on it.
        let other = vec!["NOT SVCPACK_SERVICE_PASSWORD_X".to_string()];
        assert!(!password_source(Some("[SVCPACK_SERVICE_PASSWORD]".into()), &other).required);
        let p = password_source(Some("hunter2".into()), &conds);
        assert!(p.property.is_none() && p.in_package);
        let p = password_source(None, &conds);
        assert!(p.property.is_none() && !p.in_package && !p.required);
        assert!(!password_source(Some(String::new()), &conds).in_package);
    }
}
