//! The service's template data: start type, dependencies, recovery, privileges and the
//! host's settings, checked against what WiX's authoring can express.

use std::collections::BTreeMap;

use serde::Serialize;

use super::escape::quote_windows_args;
use super::values::non_empty;
use super::RenderError;
use crate::config::{Host, Recovery, RecoveryAction, RecoveryStep, StartType};

#[derive(Serialize)]
pub(super) struct ServiceData {
    pub(super) name: String,
    pub(super) display_name: String,
    pub(super) description: Option<String>,
    pub(super) account: String,
    pub(super) password_property: Option<&'static str>,
    pub(super) start: &'static str,
    pub(super) start_type: &'static str,
    pub(super) delayed_auto_start: Option<&'static str>,
    pub(super) arguments: Vec<String>,
    pub(super) command_line: String,
    pub(super) dependencies: Vec<Dependency>,
    pub(super) event_source: bool,
    pub(super) recovery: Option<RecoveryData>,
    pub(super) non_crash_failures: bool,
    pub(super) sid_type: &'static str,
    pub(super) required_privileges: Vec<String>,
    pub(super) preshutdown_timeout_secs: Option<u32>,
    pub(super) hosted: bool,
    pub(super) host: Option<HostData>,
}

#[derive(Serialize)]
pub(super) struct Dependency {
    pub(super) name: String,
    pub(super) group: bool,
}

#[derive(Serialize)]
pub(super) struct RecoveryData {
    pub(super) reset_period_secs: u32,
    pub(super) command: Option<String>,
    pub(super) failures: Vec<Failure>,
}

#[derive(Serialize)]
pub(super) struct Failure {
    pub(super) action: &'static str,
    pub(super) delay_ms: u64,
}

#[derive(Serialize)]
pub(super) struct HostData {
    pub(super) stop_timeout_secs: u32,
    pub(super) restart_delay_secs: u32,
    pub(super) max_restarts_per_hour: u32,
    pub(super) log_dir: String,
    pub(super) log_max_bytes: u64,
    pub(super) log_keep: u32,
    pub(super) working_dir: String,
    pub(super) environment: BTreeMap<String, String>,
}

/// WiX reads Failure/@Delay and ResetPeriod as signed 32-bit integers.
pub(super) const WIX_INT_MAX: u64 = i32::MAX as u64;

/// The template data for `service`: its start mode, dependencies, recovery and host settings
/// each in its own step, with the recovery's numbers checked against what WiX accepts.
pub(super) fn service_data(service: &crate::config::Service) -> Result<ServiceData, RenderError> {
    let (start, delayed_auto_start) = start_mode(service.start);
    let recovery = recovery_data(&service.recovery)?;
    let host = service.host.as_ref().map(host_data);
    Ok(ServiceData {
        name: service.name.as_str().to_string(),
        display_name: service.display_name.clone(),
        description: non_empty(&service.description),
        account: service.account.object_name(&service.name),
        password_property: service
            .account
            .needs_password()
            .then_some(super::PASSWORD_PROPERTY),
        start,
        start_type: service.start.as_str(),
        delayed_auto_start,
        arguments: service.arguments.clone(),
        command_line: quote_windows_args(&service.arguments),
        dependencies: dependencies(&service.dependencies),
        event_source: service.event_source,
        recovery,
        non_crash_failures: service.recovery.non_crash_failures,
        sid_type: service.sid_type.as_str(),
        required_privileges: service.required_privileges.clone(),
        preshutdown_timeout_secs: service.preshutdown_timeout_secs,
        hosted: host.is_some(),
        host,
    })
}

/// ServiceInstall's Start and, for an automatic start, whether it is delayed.
fn start_mode(start: StartType) -> (&'static str, Option<&'static str>) {
    match start {
        StartType::Auto => ("auto", Some("no")),
        StartType::Delayed => ("auto", Some("yes")),
        StartType::Demand => ("demand", None),
        StartType::Disabled => ("disabled", None),
    }
}

/// The dependencies; a `+` prefix names a load-order group.
fn dependencies(dependencies: &[String]) -> Vec<Dependency> {
    dependencies
        .iter()
        .map(|d| match d.strip_prefix('+') {
            Some(group) => Dependency {
                name: group.to_string(),
                group: true,
            },
            None => Dependency {
                name: d.clone(),
                group: false,
            },
        })
        .collect()
}

/// The failure actions, or none when no recovery step is set.
fn recovery_data(recovery: &Recovery) -> Result<Option<RecoveryData>, RenderError> {
    if recovery.steps.is_empty() {
        return Ok(None);
    }
    if u64::from(recovery.reset_after_secs) > WIX_INT_MAX {
        return Err(RenderError::Unsupported {
            what: "service.recovery.reset-after-secs".into(),
            message: format!(
                "{} is more than WiX accepts; allowed: at most {WIX_INT_MAX}",
                recovery.reset_after_secs
            ),
        });
    }
    let failures = recovery
        .steps
        .iter()
        .map(failure)
        .collect::<Result<Vec<_>, _>>()?;
    // Only a `run` step uses the command; setting it otherwise would change the
    // service manager's stored command for nothing.
    let runs = recovery
        .steps
        .iter()
        .any(|s| s.action == RecoveryAction::Run);
    Ok(Some(RecoveryData {
        reset_period_secs: recovery.reset_after_secs,
        command: recovery.command.clone().filter(|_| runs),
        failures,
    }))
}

/// One failure action, its delay in milliseconds as WiX's Failure/@Delay takes it.
fn failure(step: &RecoveryStep) -> Result<Failure, RenderError> {
    let delay_ms = u64::from(step.delay_secs) * 1000;
    if delay_ms > WIX_INT_MAX {
        return Err(RenderError::Unsupported {
            what: "service.recovery.delays-secs".into(),
            message: format!(
                "{} seconds is more than WiX accepts; allowed: at most {} seconds",
                step.delay_secs,
                WIX_INT_MAX / 1000
            ),
        });
    }
    Ok(Failure {
        action: match step.action {
            RecoveryAction::Restart => "restartService",
            RecoveryAction::Reboot => "restartComputer",
            RecoveryAction::Run => "runCommand",
            RecoveryAction::None => "none",
        },
        delay_ms,
    })
}

/// The service host's settings, its paths as Windows writes them.
fn host_data(h: &Host) -> HostData {
    HostData {
        stop_timeout_secs: h.stop_timeout_secs,
        restart_delay_secs: h.restart_delay_secs,
        max_restarts_per_hour: h.max_restarts_per_hour,
        log_dir: h.log_dir.to_windows(),
        log_max_bytes: h.log_max_bytes,
        log_keep: h.log_keep,
        working_dir: h.working_dir.to_windows(),
        environment: h.environment.clone(),
    }
}
