//! svcpack's installer helper, svcpack's side: the helper program's embedded source,
//! building and caching it, and the command lines the MSI's custom actions run it with.
//!
//! Every service package carries `svcpack-helper.exe` in its Binary table (it is never
//! installed). Two deferred, non-impersonated custom actions run it (`helper/src/main.rs`
//! documents the program, `helper/src/settings.rs` its command lines):
//!
//! * `SvcpackStopService`, before StopServices: stops the service and waits, bounded by
//!   [`stop_timeout_ms`], until its processes have exited, so that files being replaced are
//!   never in use (which would make Windows Installer ask for a reboot, exit code 3010).
//! * `SvcpackConfigureService`, after InstallServices and before StartServices, on install
//!   and reinstall: applies the settings with ChangeServiceConfig2W ([`configure_request`]).
//!   Windows Installer's MsiServiceConfig tables are documented as not working as expected
//!   ("MsiServiceConfig table": "this table does not work as expected"; MsiConfigureServices
//!   applies its changes "the next time the system is started" in some cases).
//!
//! Like the service host ([`crate::host`]), the helper is built from source with the
//! packaged program's cargo and target. Once built, the executable is kept as
//! `<cache_dir>/svcpack-helper-<source hash>-<target>.exe`, so later builds use it without
//! running cargo at all.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use crate::config::{Config, RecoveryAction, Service, StartType};
use crate::pe;

/// The helper's command lines and the service-manager calls they stand for: the same
/// file the helper compiles.
#[allow(dead_code, clippy::all)]
#[path = "../helper/src/settings.rs"]
pub mod settings;

/// The helper's firewall commands and the netsh calls they stand for: the same file the
/// helper compiles.
#[allow(dead_code, clippy::all)]
#[path = "../helper/src/firewall.rs"]
pub mod firewall;

/// The helper's file name in the Binary table and the cache.
pub const HELPER_EXE_NAME: &str = "svcpack-helper.exe";
/// The helper's bin target.
pub const HELPER_BIN: &str = "svcpack-helper";
/// The FileDescription of the stamped helper.
pub const FILE_DESCRIPTION: &str = "svcpack installer helper";
/// The custom action that applies the service settings.
pub const CONFIGURE_ACTION: &str = "SvcpackConfigureService";
/// The custom action that stops the service and waits for its processes.
pub const STOP_ACTION: &str = "SvcpackStopService";

/// The helper crate: (path inside the crate, content); the manifest is kept as
/// `Cargo.toml.in` for the reason [`crate::host`] gives.
const SOURCES: &[(&str, &str)] = &[
    ("Cargo.toml", include_str!("../helper/Cargo.toml.in")),
    ("Cargo.lock", include_str!("../helper/Cargo.lock")),
    ("src/firewall.rs", include_str!("../helper/src/firewall.rs")),
    ("src/main.rs", include_str!("../helper/src/main.rs")),
    ("src/scm.rs", include_str!("../helper/src/scm.rs")),
    ("src/settings.rs", include_str!("../helper/src/settings.rs")),
];

/// Why the helper could not be built or stamped.
#[derive(Debug, thiserror::Error)]
pub enum HelperError {
    /// Writing the source or reading the executable failed.
    #[error("installer helper: {}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// cargo failed or could not be run.
    #[error("installer helper: {0}; the helper is built from source with the program's cargo for the package's target, so that target's standard library and linker must be installed")]
    Build(String),
    /// The built helper is not usable for the package.
    #[error("installer helper: {0}")]
    Stamp(String),
}

/// The first 16 hex digits of a SHA-256 over the embedded sources.
pub fn source_hash() -> String {
    crate::host::embedded_source_hash(SOURCES)
}

/// Where a built helper for `target` is kept.
pub fn cached_exe(cache_dir: &Path, target: &str) -> PathBuf {
    cache_dir.join(format!("svcpack-helper-{}-{target}.exe", source_hash()))
}

/// The helper for `target`: the cached copy when there is one, else built with `cargo`
/// (source in `<cache_dir>/helper-src-<hash>/`, build in `<cache_dir>/helper-target`) and
/// then cached. Returns the path and whether cargo ran.
pub fn build(
    cargo: &OsStr,
    target: &str,
    cache_dir: &Path,
) -> Result<(PathBuf, bool), HelperError> {
    let cached = cached_exe(cache_dir, target);
    if cached.is_file() {
        return Ok((cached, false));
    }
    let src =
        crate::host::write_crate(cache_dir, &format!("helper-src-{}", source_hash()), SOURCES)
            .map_err(|(path, source)| HelperError::Io { path, source })?;
    let args = crate::host::build_args(&src, target, &cache_dir.join("helper-target"));
    let built = crate::cargo::run_build(cargo, &args, HELPER_BIN)
        .map_err(|e| HelperError::Build(e.to_string()))?;
    // Copied beside and renamed, so a cached file is always complete.
    let tmp = cache_dir.join(format!(".{}.tmp{}", HELPER_EXE_NAME, std::process::id()));
    std::fs::copy(&built, &tmp).map_err(|source| HelperError::Io {
        path: tmp.clone(),
        source,
    })?;
    std::fs::rename(&tmp, &cached).map_err(|source| HelperError::Io {
        path: cached.clone(),
        source,
    })?;
    Ok((cached, true))
}

/// Checks the built helper is for `machine` and writes the product's version resource
/// (described as [`FILE_DESCRIPTION`]) into a copy.
pub fn stamp(
    path: &Path,
    bytes: &[u8],
    config: &Config,
    machine: pe::Machine,
    year: i64,
) -> Result<Vec<u8>, HelperError> {
    crate::host::check_machine(path, bytes, machine).map_err(HelperError::Stamp)?;
    let mut stamp = crate::host::version_stamp(config, year);
    for (key, value) in &mut stamp.strings {
        match key.as_str() {
            "Comments" => {
                *value = format!(
                    "Configures the {} service while it is installed",
                    config.product_name
                )
            }
            "FileDescription" => *value = FILE_DESCRIPTION.into(),
            "InternalName" => *value = HELPER_BIN.into(),
            "OriginalFilename" => *value = HELPER_EXE_NAME.into(),
            _ => {}
        }
    }
    pe::stamp(bytes, &stamp, None).map_err(|e| HelperError::Stamp(crate::host::located(path, e)))
}

/// What `configure` applies for `service`: every setting, so an upgrade converges the
/// service to this version's configuration.
pub fn configure_request(service: &Service) -> settings::Request {
    let r = &service.recovery;
    let mut s = settings::Settings::new(service.name.as_str());
    s.actions = r
        .steps
        .iter()
        .map(|step| {
            let action = match step.action {
                RecoveryAction::Restart => settings::Action::Restart,
                RecoveryAction::Reboot => settings::Action::Reboot,
                RecoveryAction::Run => settings::Action::Run,
                RecoveryAction::None => settings::Action::None,
            };
            // At most 4294967 s by configuration, so the product fits.
            (action, step.delay_secs.saturating_mul(1000))
        })
        .collect();
    if !s.actions.is_empty() {
        s.reset_secs = r.reset_after_secs;
    }
    // Only a `run` step uses the command; an empty one deletes an older version's.
    if r.steps.iter().any(|st| st.action == RecoveryAction::Run) {
        s.command = r.command.clone();
    }
    s.non_crash_failures = r.non_crash_failures && !r.steps.is_empty();
    s.delayed_auto_start = match service.start {
        StartType::Auto => Some(false),
        StartType::Delayed => Some(true),
        StartType::Demand | StartType::Disabled => None,
    };
    s.sid_type = match service.sid_type {
        crate::config::SidType::None => settings::SidType::None,
        crate::config::SidType::Unrestricted => settings::SidType::Unrestricted,
        crate::config::SidType::Restricted => settings::SidType::Restricted,
    };
    s.privileges = service.required_privileges.clone();
    s.preshutdown_ms = service.preshutdown_timeout_secs.map(|n| n * 1000);
    settings::Request::Configure(s)
}

/// How long `stop` waits for the old service's processes: a hosted service's own stop
/// timeout (after which the host terminates the program) plus time for the host to
/// report and exit; else 30 seconds, the service manager's customary stop wait.
pub fn stop_timeout_ms(service: &Service) -> u32 {
    match &service.host {
        Some(h) => h.stop_timeout_secs.saturating_add(15).saturating_mul(1000),
        None => 30_000,
    }
}

/// What `stop` is asked for `service`.
pub fn stop_request(service: &Service) -> settings::Request {
    settings::Request::Stop {
        service: service.name.as_str().to_string(),
        timeout_ms: stop_timeout_ms(service),
    }
}

/// A request as the custom action's command line (Windows quoting; the template escapes
/// it for the MSI's Formatted column).
pub fn command_line(request: &settings::Request) -> String {
    crate::winargs::windows_command_line(&request.to_args())
}

/// Reads a custom action's command line back (what `cargo svcpack inspect` shows).
pub fn decode(command_line: &str) -> Result<settings::Request, String> {
    settings::parse(&settings::split_args(command_line)).map(|(r, _)| r)
}

// The helper's main module, compiled into svcpack's tests so the `--print` output the
// Wine tests look for is checked here too.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::load_standalone_str;

    fn load(toml: &str) -> Config {
        let dir = std::env::temp_dir().join(format!("svcpack-helper-test-{}", std::process::id()));
        let (_, loaded) =
            load_standalone_str(&dir.join("svcpack.toml"), toml).expect("valid configuration");
        loaded.config
    }

    const FULL: &str = r#"
name = "ledger-agent"
version = "1.2.3"
[service]
name = "Ledger Agent"
start = "delayed"
sid-type = "restricted"
required-privileges = ["sechangenotifyprivilege", "SeImpersonatePrivilege"]
preshutdown-timeout-secs = 45
[service.recovery]
actions = ["restart", "run", "reboot"]
delays-secs = [5, 30, 120]
reset-after-secs = 3600
command = 'cmd.exe /c echo "failed" > C:\x [y] {z}.txt'
non-crash-failures = true
"#;

    #[test]
    fn configuration_becomes_the_scm_calls() {
        let config = load(FULL);
        let service = config.service.as_ref().unwrap();
        let request = configure_request(service);
        let line = command_line(&request);
        assert_eq!(decode(&line), Ok(request.clone()));
        let settings::Request::Configure(s) = &request else {
            panic!("{request:?}")
        };
        let calls = settings::calls(s);
        let text: Vec<String> = calls.iter().map(|c| c.describe()).collect();
        assert_eq!(
            text,
            [
                "ChangeServiceConfig2W(SERVICE_CONFIG_FAILURE_ACTIONS, dwResetPeriod=3600, lpRebootMsg=\"\", \
                 lpCommand=\"cmd.exe /c echo \\\"failed\\\" > C:\\\\x [y] {z}.txt\", cActions=3, \
                 lpsaActions=[SC_ACTION_RESTART/5000ms, SC_ACTION_RUN_COMMAND/30000ms, SC_ACTION_REBOOT/120000ms])",
                "ChangeServiceConfig2W(SERVICE_CONFIG_FAILURE_ACTIONS_FLAG, fFailureActionsOnNonCrashFailures=1)",
                "ChangeServiceConfig2W(SERVICE_CONFIG_DELAYED_AUTO_START_INFO, fDelayedAutostart=1)",
                "ChangeServiceConfig2W(SERVICE_CONFIG_SERVICE_SID_INFO, dwServiceSidType=3 (restricted))",
                "ChangeServiceConfig2W(SERVICE_CONFIG_REQUIRED_PRIVILEGES_INFO, pmszRequiredPrivileges=[SeChangeNotifyPrivilege, SeImpersonatePrivilege])",
                "ChangeServiceConfig2W(SERVICE_CONFIG_PRESHUTDOWN_INFO, dwPreshutdownTimeout=45000)",
            ]
        );
        assert!(line.starts_with("configure --service \"Ledger Agent\" --failure-actions restart/5000,run/30000,reboot/120000 --reset-secs 3600 --command "), "{line}");
    }

    #[test]
    fn defaults_converge_and_stop_waits_for_the_host() {
        let config = load("name = \"a\"\nversion = \"1.0.0\"\n[service]\n");
        let service = config.service.as_ref().unwrap();
        assert_eq!(
            command_line(&configure_request(service)),
            "configure --service a --failure-actions \"\" --reset-secs 0 --non-crash-failures no --delayed-auto-start no --sid-type unrestricted"
        );
        assert_eq!(
            command_line(&stop_request(service)),
            "stop --service a --timeout-ms 30000"
        );
        let hosted = load(
            "name = \"a\"\nversion = \"1.0.0\"\n[service]\naccount = 'CORP\\svc'\n[service.host]\nstop-timeout-secs = 20\n[service.recovery]\nactions = [\"restart\"]\n",
        );
        let service = hosted.service.as_ref().unwrap();
        assert_eq!(stop_timeout_ms(service), 35_000);
        let line = command_line(&configure_request(service));
        assert!(
            line.contains("--non-crash-failures yes") && line.contains("--sid-type unrestricted"),
            "{line}"
        );
    }

    #[test]
    fn sources_are_complete() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("helper");
        let mut on_disk: Vec<String> = std::fs::read_dir(root.join("src"))
            .unwrap()
            .map(|e| format!("src/{}", e.unwrap().file_name().to_string_lossy()))
            .collect();
        on_disk.extend(["Cargo.toml".to_string(), "Cargo.lock".to_string()]);
        on_disk.sort();
        let mut embedded: Vec<String> = SOURCES.iter().map(|(n, _)| n.to_string()).collect();
        embedded.sort();
        assert_eq!(embedded, on_disk);
        let manifest: toml::Table = toml::from_str(SOURCES[0].1).unwrap();
        assert!(manifest["dependencies"].as_table().unwrap().is_empty());
        assert_eq!(manifest["package"]["name"].as_str(), Some(HELPER_BIN));
        let lock: toml::Table = toml::from_str(SOURCES[1].1).unwrap();
        assert_eq!(lock["version"].as_integer(), Some(3));
    }

    /// Builds the helper for the machine running the tests (where `--print` works), then
    /// proves the second build uses the cached copy without cargo.
    #[test]
    fn builds_with_cargo_and_is_cached() {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
        let vv = std::process::Command::new(&rustc)
            .arg("-vV")
            .output()
            .expect("rustc -vV");
        let triple = String::from_utf8_lossy(&vv.stdout)
            .lines()
            .find_map(|l| l.strip_prefix("host: ").map(str::to_string))
            .expect("host triple");
        let cache = tempfile::tempdir().unwrap();
        let (exe, ran) = build(&cargo, &triple, cache.path()).unwrap_or_else(|e| panic!("{e}"));
        assert!(ran && exe.is_file());
        // A cached helper is not rebuilt: a cargo that cannot run is never asked.
        assert_eq!(
            build(OsStr::new("/nonexistent/cargo"), &triple, cache.path()).unwrap(),
            (exe.clone(), false)
        );
        let config = load(FULL);
        let request = configure_request(config.service.as_ref().unwrap());
        let mut cmd = std::process::Command::new(&exe);
        cmd.arg("--print").args(request.to_args());
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{out:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert_eq!(text.lines().count(), 6, "{text}");
        assert!(text.starts_with("Ledger Agent: ChangeServiceConfig2W(SERVICE_CONFIG_FAILURE_ACTIONS, dwResetPeriod=3600"), "{text}");
    }
}
