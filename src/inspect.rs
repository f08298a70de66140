//! What `cargo svcpack inspect` reads from an MSI: the compiler's report of its tables,
//! with the command lines of svcpack's installer helper decoded into the service settings
//! and firewall rules they apply.

use crate::helper::{decode, settings};

/// `cargo svcpack inspect`'s reading of an MSI: the compiler's report, with the service
/// settings the helper's custom actions apply.
pub fn inspect_msi(path: &std::path::Path) -> Result<crate::wix::inspect::Report, String> {
    crate::wix::inspect::inspect_file_with(path, &inspect_decoder)
}

/// The helper's command lines in the compiler's neutral terms, for its MSI reader.
pub fn inspect_decoder(command_line: &str) -> Option<crate::wix::inspect::DecodedAction> {
    use crate::wix::inspect::{ActionSettings, DecodedAction};
    if let Some(rules) = crate::firewall::inspect_rules(command_line) {
        return Some(DecodedAction::FirewallAdd(rules));
    }
    Some(match decode(command_line).ok()? {
        settings::Request::Configure(set) => DecodedAction::Configure(ActionSettings {
            service: set.service,
            actions: set
                .actions
                .iter()
                .map(|(a, ms)| (a.word().to_string(), *ms))
                .collect(),
            reset_secs: set.reset_secs,
            command: set.command,
            non_crash_failures: set.non_crash_failures,
            delayed_auto_start: set.delayed_auto_start,
            sid_type: set.sid_type.word().to_string(),
            privileges: set.privileges,
            preshutdown_ms: set.preshutdown_ms,
        }),
        settings::Request::Stop {
            service,
            timeout_ms,
        } => DecodedAction::Stop {
            service,
            timeout_ms,
        },
    })
}
