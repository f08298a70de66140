//! `README.txt`: what the package is, its version, its files, and how to install, run and
//! remove it. Plain text for people; nothing parses it.

use crate::config::{RecoveryAction, Service, StartType};

use super::script::{account_needs_password, crlf, fill, windows_command_line};
use super::{PortableError, PortableInput};

const README_TEMPLATE: &str = include_str!("../../templates/portable/README.txt");
const USAGE_SERVICE_TEMPLATE: &str = include_str!("../../templates/portable/usage-service.txt");
const USAGE_APP_TEMPLATE: &str = include_str!("../../templates/portable/usage-app.txt");

/// A file as README.txt lists it.
pub(super) struct Listed<'n> {
    pub name: &'n str,
    pub role: Option<&'static str>,
    pub preserve: bool,
}

/// The README text, CRLF line ends, without BOM.
pub(super) fn readme(
    input: &PortableInput<'_>,
    files: &[Listed<'_>],
) -> Result<String, PortableError> {
    let config = input.config;
    let usage = match &config.service {
        Some(service) => {
            let password_note = if account_needs_password(&service.account) {
                format!(
                    "     The service logs on as {}: add -AccountPassword (Read-Host -AsSecureString)\n     to give its password.\n",
                    service.account.object_name(&service.name)
                )
            } else {
                String::new()
            };
            fill(
                USAGE_SERVICE_TEMPLATE,
                &[
                    ("install_dir", &config.install_dir.to_windows()),
                    ("password_note", &password_note),
                    ("service", &service_details(service, input)),
                ],
            )?
        }
        None => fill(USAGE_APP_TEMPLATE, &[("exe_name", input.exe_name)])?,
    };
    let summary = match config
        .service
        .as_ref()
        .and_then(|s| s.description.as_deref())
    {
        Some(d) => format!("{d}\n"),
        None => String::new(),
    };
    let width = files
        .iter()
        .map(|f| f.name.chars().count())
        .max()
        .unwrap_or(0);
    let mut listing = String::new();
    for f in files {
        let name = f.name.replace('/', "\\");
        let mut notes: Vec<&str> = f.role.into_iter().collect();
        // Only install.ps1 copies files; a plain zip is just extracted.
        if f.preserve && config.service.is_some() {
            notes.push("kept when install.ps1 -InstallDir updates an edited copy");
        }
        if notes.is_empty() {
            listing.push_str(&format!("  {name}\n"));
        } else {
            listing.push_str(&format!("  {name:<width$}  {}\n", notes.join("; ")));
        }
    }
    let text = fill(
        README_TEMPLATE,
        &[
            ("product_name", &config.product_name),
            ("version", input.version),
            ("summary", &summary),
            ("manufacturer", &config.manufacturer),
            ("usage", &usage),
            ("files", &listing),
        ],
    )?;
    Ok(crlf(&text))
}

/// The service's registration, one `  Label  value` line each.
fn service_details(service: &Service, input: &PortableInput<'_>) -> String {
    let (exe, args) = match &input.service_program {
        Some(p) => (p.exe_name, p.arguments),
        None => (input.exe_name, service.arguments.as_slice()),
    };
    let mut command = format!("\"<folder>\\{exe}\"");
    if !args.is_empty() {
        command.push(' ');
        command.push_str(&windows_command_line(args));
    }
    let start = match service.start {
        StartType::Auto => "automatic",
        StartType::Delayed => "automatic (delayed start)",
        StartType::Demand => "manual",
        StartType::Disabled => "disabled",
    };
    let mut rows: Vec<(&str, String)> = vec![
        ("Name", service.name.to_string()),
        ("Display name", service.display_name.clone()),
    ];
    if let Some(d) = &service.description {
        rows.push(("Description", d.clone()));
    }
    rows.push(("Start", start.into()));
    rows.push(("Account", service.account.object_name(&service.name)));
    rows.push(("Command line", command));
    if !service.dependencies.is_empty() {
        rows.push(("Depends on", service.dependencies.join(", ")));
    }
    rows.push(("Recovery", recovery_text(service)));
    if service.event_source {
        rows.push((
            "Event log",
            format!("Application log, source \"{}\"", service.name),
        ));
    }
    let mut out = String::new();
    for (label, value) in rows {
        // Continuation lines of a multi-line value line up under its first line.
        let value = value.replace('\n', "\n                ");
        out.push_str(&format!("  {label:<12}  {value}\n"));
    }
    out
}

fn recovery_text(service: &Service) -> String {
    let r = &service.recovery;
    if r.steps.is_empty() {
        return "none".into();
    }
    let last = r.steps.len() - 1;
    let mut parts: Vec<String> = r
        .steps
        .iter()
        .enumerate()
        .map(|(i, step)| {
            let when = if i == last {
                format!("failure {} and later", i + 1)
            } else {
                format!("failure {}", i + 1)
            };
            let what = match step.action {
                RecoveryAction::Restart => "restart the service",
                RecoveryAction::Reboot => "restart the computer",
                RecoveryAction::Run => "run the recovery command",
                RecoveryAction::None => "no action",
            };
            if step.action == RecoveryAction::None {
                format!("{when}: {what}")
            } else {
                format!("{when}: {what} after {} s", step.delay_secs)
            }
        })
        .collect();
    parts.push(format!(
        "the failure count resets after {} s without failure",
        r.reset_after_secs
    ));
    if let Some(c) = &r.command {
        parts.push(format!("recovery command: {c}"));
    }
    parts.join("\n")
}
