//! svcpack's service host, svcpack's side: the host program's source, building
//! it, stamping it, its configuration file, and the access a hosted service's log folder
//! needs.
//!
//! A service with `[package.metadata.svcpack.service.host]` is a plain console program
//! (a Go HTTP server, a Rust CLI, a script interpreter) that never talks to the service
//! manager. The package then installs svcpack's host, [`HOST_EXE_NAME`], next to it and
//! registers the service to run the host, which runs the program: with its arguments,
//! environment and working directory; restarted after unexpected exits (with a delay and
//! an hourly cap, after which the service stops with an error so the service manager's
//! recovery actions apply); stdout and stderr captured into size-rotated logs; stopped
//! with Ctrl-C (Ctrl-Break halfway through the timeout), terminated after
//! `stop-timeout-secs`. `host/src/main.rs` documents the host's behaviour.
//!
//! No prebuilt binary is shipped: this module embeds the host's source (a dependency-free
//! crate in `host/` that builds with Rust 1.63) and [`build`]s it with the cargo and
//! target of the packaged program, cached between builds by cargo's own fingerprints.
//!
//! # The configuration file
//!
//! The host reads [`CONF_NAME`] (its own exe's stem + `.conf`) next to its exe.
//! [`config_file`] writes it: UTF-8, CRLF, one `key=value` per line, the value being
//! everything after the first `=`, literally (no quoting or escapes, so values cannot
//! hold line breaks or NULs: [`config_file`] refuses them). Keys, in the order written:
//!
//! | key | value |
//! |-----|-------|
//! | `format` | `1` |
//! | `service` | the service name |
//! | `event-source` | the event log source (only when `event-source = true`) |
//! | `program` | the program's file name (next to the host) |
//! | `arg` | one per argument, in order (none when there are none) |
//! | `working-dir` | relative to the install folder (`.` for the install folder) |
//! | `env` | `NAME=VALUE`, one per variable, sorted by name |
//! | `log-dir` | relative to the install folder |
//! | `log-max-bytes`, `log-keep`, `stop-timeout-secs`, `restart-delay-secs`, `max-restarts-per-hour` | numbers |
//!
//! Lines starting with `#` are comments. The host refuses unknown keys, repeated
//! single-valued keys and missing ones (`host/src/conf.rs`, whose parser the tests here
//! run against this writer).
//!
//! # Logs
//!
//! In `log-dir`: `<program stem>.out.log` and `.err.log` (the program's stdout and stderr,
//! each rotated at `log-max-bytes` to `name.1` … `name.<log-keep>`), and
//! [`HOST_LOG_NAME`], the host's own events (which also go to the Application event log
//! under the service's source). The MSI creates the folder with [`log_dir_acl`].

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::config::{Account, Config, Host, Service, ServiceName};
use crate::pe;

/// The host's file name, installed next to the program.
pub const HOST_EXE_NAME: &str = "svcpack-host.exe";
/// The host's configuration file, next to it (the host's stem + `.conf`).
pub const CONF_NAME: &str = "svcpack-host.conf";
/// The host's own log file in `log-dir`.
pub const HOST_LOG_NAME: &str = "svcpack-host.log";
/// The host's bin target.
pub const HOST_BIN: &str = "svcpack-host";
/// The FileDescription of the stamped host.
pub const FILE_DESCRIPTION: &str = "svcpack service host";
/// The format version of the configuration file.
pub const CONF_FORMAT: u32 = 1;

/// The host crate: (path inside the crate, content). The manifest is kept as
/// `host/Cargo.toml.in`, because `cargo package` leaves out every folder holding a
/// `Cargo.toml` and svcpack's own package must carry these files. The lock file (format
/// 3) keeps cargo from writing one in the format of whichever cargo builds first, which
/// an older cargo sharing the cache could not read.
const SOURCES: &[(&str, &str)] = &[
    ("Cargo.toml", include_str!("../host/Cargo.toml.in")),
    ("Cargo.lock", include_str!("../host/Cargo.lock")),
    ("src/main.rs", include_str!("../host/src/main.rs")),
    ("src/child.rs", include_str!("../host/src/child.rs")),
    ("src/clock.rs", include_str!("../host/src/clock.rs")),
    ("src/cmdline.rs", include_str!("../host/src/cmdline.rs")),
    ("src/conf.rs", include_str!("../host/src/conf.rs")),
    ("src/report.rs", include_str!("../host/src/report.rs")),
    ("src/restarts.rs", include_str!("../host/src/restarts.rs")),
    ("src/rotate.rs", include_str!("../host/src/rotate.rs")),
    ("src/service.rs", include_str!("../host/src/service.rs")),
    ("src/sys.rs", include_str!("../host/src/sys.rs")),
];

/// The host crate's files as embedded: (path inside the crate, content).
pub fn sources() -> &'static [(&'static str, &'static str)] {
    SOURCES
}

/// Why the host could not be built, stamped or configured.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// Writing the host's source or reading its executable failed.
    #[error("service host: {}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// cargo could not be run.
    #[error("service host: cannot run `{program}`: {source} (the service host is built from source with the same cargo as the program; set SVCPACK_CARGO or CARGO)")]
    Spawn {
        /// The cargo program.
        program: String,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// cargo failed; its diagnostics were shown on stderr.
    #[error("service host: `{command}` failed ({status}); cargo's messages are above. The host is built from source for the package's target, so that target's standard library and linker must be installed")]
    BuildFailed {
        /// The command line.
        command: String,
        /// The exit status.
        status: String,
    },
    /// cargo reported no executable.
    #[error("service host: cargo built no executable for `{HOST_BIN}` (looked for a compiler-artifact message with an executable)")]
    NoExecutable,
    /// A value the configuration file cannot carry.
    #[error("service host: {what} contains {character}, which the host's configuration file cannot carry; remove it")]
    Unrepresentable {
        /// The setting, e.g. `service.arguments[2]`.
        what: String,
        /// `a line break` or `a NUL character`.
        character: &'static str,
    },
    /// The built host is not usable for the package.
    #[error("service host: {0}")]
    Stamp(String),
}

/// The first 16 hex digits of a SHA-256 over the embedded sources (names and contents).
pub fn source_hash() -> String {
    embedded_source_hash(SOURCES)
}

/// The first 16 hex digits of a SHA-256 over an embedded crate's files (names and
/// contents): the cache key of the host's and the installer helper's builds.
pub(crate) fn embedded_source_hash(sources: &[(&str, &str)]) -> String {
    let mut h = Sha256::new();
    for (name, text) in sources {
        h.update((name.len() as u64).to_le_bytes());
        h.update(name.as_bytes());
        h.update((text.len() as u64).to_le_bytes());
        h.update(text.as_bytes());
    }
    h.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Writes the host crate to `<cache_dir>/host-src-<hash>/` unless it is already there
/// (complete: it is written beside and renamed into place), and returns that folder.
pub fn write_sources(cache_dir: &Path) -> Result<PathBuf, HostError> {
    write_crate(cache_dir, &format!("host-src-{}", source_hash()), SOURCES)
        .map_err(|(path, source)| HostError::Io { path, source })
}

/// Writes an embedded crate (`sources`: path inside the crate, content) to
/// `<cache_dir>/<dir_name>/` unless it is already there (complete: it is written beside
/// and renamed into place), and returns that folder. Shared by the service host and the
/// installer helper ([`crate::helper`]).
pub(crate) fn write_crate(
    cache_dir: &Path,
    dir_name: &str,
    sources: &[(&str, &str)],
) -> Result<PathBuf, (PathBuf, std::io::Error)> {
    let dir = cache_dir.join(dir_name);
    if dir.join("Cargo.toml").is_file() {
        return Ok(dir);
    }
    let at = |p: &Path| {
        let p = p.to_path_buf();
        move |e| (p, e)
    };
    std::fs::create_dir_all(cache_dir).map_err(at(cache_dir))?;
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".{dir_name}-"))
        .tempdir_in(cache_dir)
        .map_err(at(cache_dir))?;
    for (name, text) in sources {
        let path = tmp.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(at(parent))?;
        }
        std::fs::write(&path, text).map_err(at(&path))?;
    }
    let staged = tmp.keep();
    if let Err(e) = std::fs::rename(&staged, &dir) {
        let _ = std::fs::remove_dir_all(&staged);
        // Another build put it there first.
        if !dir.join("Cargo.toml").is_file() {
            return Err((dir, e));
        }
    }
    Ok(dir)
}

/// The cargo arguments that build the host crate in `src_dir`.
pub fn build_args(src_dir: &Path, target: &str, target_dir: &Path) -> Vec<std::ffi::OsString> {
    let mut args: Vec<std::ffi::OsString> = vec![
        "build".into(),
        "--release".into(),
        "--target".into(),
        target.into(),
        "--manifest-path".into(),
    ];
    args.push(src_dir.join("Cargo.toml").into_os_string());
    args.push("--target-dir".into());
    args.push(target_dir.as_os_str().to_os_string());
    args.push("--message-format=json-render-diagnostics".into());
    args
}

/// Builds the host for `target` with `cargo` (see [`crate::cargo::cargo_program`]): the
/// source goes to `<cache_dir>/host-src-<hash>/`, the build to `<cache_dir>/host-target`,
/// so a second build is cargo's no-op. Returns cargo's executable (never modify it: stamp
/// a copy). cargo's diagnostics go to stderr.
pub fn build(cargo: &OsStr, target: &str, cache_dir: &Path) -> Result<PathBuf, HostError> {
    let src = write_sources(cache_dir)?;
    let args = build_args(&src, target, &cache_dir.join("host-target"));
    crate::cargo::run_build(cargo, &args, HOST_BIN).map_err(|e| match e {
        crate::cargo::CargoError::Spawn { program, source } => HostError::Spawn { program, source },
        crate::cargo::CargoError::NoExecutable { .. } => HostError::NoExecutable,
        crate::cargo::CargoError::BuildFailed { command, status } => {
            HostError::BuildFailed { command, status }
        }
        other => HostError::BuildFailed {
            command: cargo.to_string_lossy().into_owned(),
            status: other.to_string(),
        },
    })
}

/// The version resource of the installed host: the product's versions, names and
/// copyright, described as [`FILE_DESCRIPTION`].
pub fn version_stamp(config: &Config, year: i64) -> pe::VersionStamp {
    let v = &config.version;
    let fv = v.file_version();
    let host_version = env_host_version();
    pe::VersionStamp {
        file_version: fv,
        product_version: fv,
        language: 0x0409,
        strings: vec![
            (
                "Comments".into(),
                format!(
                    "Runs {} as a Windows service (svcpack-host {host_version})",
                    config.exe_name()
                ),
            ),
            ("CompanyName".into(), config.manufacturer.clone()),
            ("FileDescription".into(), FILE_DESCRIPTION.into()),
            ("FileVersion".into(), v.file_version_string()),
            ("InternalName".into(), HOST_BIN.into()),
            ("LegalCopyright".into(), config.copyright_text(year)),
            ("OriginalFilename".into(), HOST_EXE_NAME.into()),
            ("ProductName".into(), config.product_name.clone()),
            ("ProductVersion".into(), v.full()),
        ],
    }
}

/// The host crate's own version (from its manifest).
fn env_host_version() -> &'static str {
    SOURCES[0]
        .1
        .lines()
        .find_map(|l| {
            l.strip_prefix("version = \"")
                .and_then(|rest| rest.strip_suffix('"'))
        })
        .unwrap_or("?")
}

/// How many event ids the message table of an event source's file covers: ids
/// `0..EVENT_MESSAGE_COUNT`, each `%1` (the host reports ids 1 to 9).
pub const EVENT_MESSAGE_COUNT: u32 = 1024;

/// The message table for the file a service's Application event source names (the
/// program, or the host of a hosted service), when the service has an event source.
pub fn event_messages(config: &Config) -> Result<Option<Vec<u8>>, pe::PeError> {
    match &config.service {
        Some(s) if s.event_source => pe::pass_through_messages(EVENT_MESSAGE_COUNT).map(Some),
        _ => Ok(None),
    }
}

/// Checks the built host (`bytes`, read from `path`) is for `machine` and writes its
/// version resource ([`version_stamp`]) into a copy.
pub fn stamp(
    path: &Path,
    bytes: &[u8],
    config: &Config,
    machine: pe::Machine,
    year: i64,
) -> Result<Vec<u8>, HostError> {
    check_machine(path, bytes, machine).map_err(HostError::Stamp)?;
    let messages = event_messages(config).map_err(|e| HostError::Stamp(located(path, e)))?;
    pe::stamp_with_messages(
        bytes,
        &version_stamp(config, year),
        None,
        messages.as_deref(),
    )
    .map_err(|e| HostError::Stamp(located(path, e)))
}

/// Checks that the prebuilt exe `bytes`, read from `path`, is a PE for `machine`, the
/// package's architecture: stamping the host or the installer helper starts with it.
pub(crate) fn check_machine(path: &Path, bytes: &[u8], machine: pe::Machine) -> Result<(), String> {
    let info = pe::inspect(bytes).map_err(|e| located(path, e))?;
    if info.machine != machine {
        return Err(format!(
            "{} is built for {}, but the package is for {machine}",
            path.display(),
            info.machine
        ));
    }
    Ok(())
}

/// A stamping error about the exe at `path`, prefixed with that path.
pub(crate) fn located(path: &Path, error: impl std::fmt::Display) -> String {
    format!("{}: {error}", path.display())
}

/// The host's configuration file for `service` (see the module docs), running
/// `program_exe_name` installed next to the host.
pub fn config_file(
    service: &Service,
    host: &Host,
    program_exe_name: &str,
) -> Result<String, HostError> {
    let mut lines: Vec<(String, String, String)> = Vec::new();
    let mut put = |key: &str, value: String, what: String| lines.push((key.into(), value, what));
    put("format", CONF_FORMAT.to_string(), "format".into());
    put("service", service.name.to_string(), "service.name".into());
    if service.event_source {
        put(
            "event-source",
            service.name.to_string(),
            "service.name".into(),
        );
    }
    put("program", program_exe_name.into(), "binary".into());
    for (n, a) in service.arguments.iter().enumerate() {
        put("arg", a.clone(), format!("service.arguments[{n}]"));
    }
    put(
        "working-dir",
        host.working_dir.to_windows(),
        "service.host.working-dir".into(),
    );
    for (k, v) in &host.environment {
        put(
            "env",
            format!("{k}={v}"),
            format!("service.host.environment.{k}"),
        );
    }
    put(
        "log-dir",
        host.log_dir.to_windows(),
        "service.host.log-dir".into(),
    );
    put(
        "log-max-bytes",
        host.log_max_bytes.to_string(),
        String::new(),
    );
    put("log-keep", host.log_keep.to_string(), String::new());
    put(
        "stop-timeout-secs",
        host.stop_timeout_secs.to_string(),
        String::new(),
    );
    put(
        "restart-delay-secs",
        host.restart_delay_secs.to_string(),
        String::new(),
    );
    put(
        "max-restarts-per-hour",
        host.max_restarts_per_hour.to_string(),
        String::new(),
    );

    let mut out = String::new();
    out.push_str(&format!(
        "# svcpack service host configuration, written by svcpack {}.\r\n\
         # {HOST_EXE_NAME} reads it when the service starts. It is generated from the package's\r\n\
         # [package.metadata.svcpack.service.host] settings; installing the package replaces it.\r\n\
         # One key=value per line; the value is everything after the first `=`, literally.\r\n",
        env!("CARGO_PKG_VERSION")
    ));
    for (key, value, what) in lines {
        let bad = if value.contains(['\r', '\n']) {
            Some("a line break")
        } else if value.contains('\0') {
            Some("a NUL character")
        } else {
            None
        };
        if let Some(character) = bad {
            return Err(HostError::Unrepresentable { what, character });
        }
        out.push_str(&key);
        out.push('=');
        out.push_str(&value);
        out.push_str("\r\n");
    }
    Ok(out)
}

/// The most rotated files per log that [`log_files`] names one by one.
pub const MAX_NAMED_ROTATIONS: u32 = 50;

/// The files the host writes into `log-dir` for a program named `program_exe_name`:
/// `<stem>.out.log`, `<stem>.err.log` and [`HOST_LOG_NAME`], each followed by its
/// rotated copies `.1` … `.<log_keep>` (at most [`MAX_NAMED_ROTATIONS`] of them). The
/// package removes them by name on uninstall, as Windows Installer's wildcards are not
/// available everywhere (Wine deletes `*.log` literally).
pub fn log_files(program_exe_name: &str, log_keep: u32) -> Vec<String> {
    let stem = Path::new(program_exe_name)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| program_exe_name.to_string());
    let mut out = Vec::new();
    for base in [
        format!("{stem}.out.log"),
        format!("{stem}.err.log"),
        HOST_LOG_NAME.to_string(),
    ] {
        out.push(base.clone());
        for n in 1..=log_keep.min(MAX_NAMED_ROTATIONS) {
            out.push(format!("{base}.{n}"));
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// The log folder's access

/// How the MSI creates the log folder so the service's account can write there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogDirAcl {
    /// The folder's security descriptor (MsiLockPermissionsEx): a protected DACL giving
    /// SYSTEM and Administrators full control and the service's account modify access.
    pub sddl: String,
    /// The service must run with an unrestricted service SID (`ServiceSid`), because the
    /// account's SID is unknown when the package is built (a named account) and the
    /// folder is granted to the service SID instead.
    pub unrestricted_service_sid: bool,
}

/// Full control for SYSTEM and Administrators, inherited by files and folders.
const ADMIN_ACES: &str = "(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)";
/// Modify (read, write, execute, delete; not change permissions or ownership).
const MODIFY: &str = "0x1301bf";

/// The log folder's access for a service running as `account`:
///
/// | account | granted modify access |
/// |---------|----------------------|
/// | LocalSystem | nothing more (SYSTEM has full control) |
/// | LocalService | `LS` (S-1-5-19) |
/// | NetworkService | `NS` (S-1-5-20) |
/// | virtual (`NT SERVICE\<name>`) | the service SID, `S-1-5-80-…` ([`service_sid`]) |
/// | `DOMAIN\user` | the service SID, with the service's SID type set to unrestricted so the account's token carries it |
pub fn log_dir_acl(account: &Account, service: &ServiceName) -> LogDirAcl {
    let grant = |sid: &str| format!("D:P{ADMIN_ACES}(A;OICI;{MODIFY};;;{sid})");
    match account {
        Account::LocalSystem => LogDirAcl {
            sddl: format!("D:P{ADMIN_ACES}"),
            unrestricted_service_sid: false,
        },
        Account::LocalService => LogDirAcl {
            sddl: grant("LS"),
            unrestricted_service_sid: false,
        },
        Account::NetworkService => LogDirAcl {
            sddl: grant("NS"),
            unrestricted_service_sid: false,
        },
        Account::Virtual => LogDirAcl {
            sddl: grant(&service_sid(service.as_str())),
            unrestricted_service_sid: false,
        },
        Account::User(_) => LogDirAcl {
            sddl: grant(&service_sid(service.as_str())),
            unrestricted_service_sid: true,
        },
    }
}

/// The SID [`log_dir_acl`] grants modify access to the log folder, as a SID string
/// (`S-1-5-19`, `S-1-5-20`, `S-1-5-80-…`); `None` for LocalSystem, which has full control
/// already. The portable zip's install.ps1 grants the same with icacls.
pub fn log_dir_grantee(account: &Account, service: &ServiceName) -> Option<String> {
    match account {
        Account::LocalSystem => None,
        Account::LocalService => Some("S-1-5-19".into()),
        Account::NetworkService => Some("S-1-5-20".into()),
        Account::Virtual | Account::User(_) => Some(service_sid(service.as_str())),
    }
}

/// The SID Windows gives service `name` (`NT SERVICE\<name>`, as `sc showsid` prints it):
/// `S-1-5-80-` followed by the SHA-1 of the upper-cased name in UTF-16LE, read as five
/// little-endian 32-bit numbers.
pub fn service_sid(name: &str) -> String {
    let mut bytes = Vec::with_capacity(name.len() * 2);
    for unit in name.encode_utf16() {
        bytes.extend_from_slice(&upcase_unit(unit).to_le_bytes());
    }
    let digest: [u8; 20] = {
        use sha1::Digest as _;
        sha1::Sha1::digest(&bytes).into()
    };
    let mut sid = String::from("S-1-5-80");
    for chunk in digest.chunks(4) {
        let n = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        sid.push_str(&format!("-{n}"));
    }
    sid
}

/// Upper-cases one UTF-16 unit as RtlUpcaseUnicodeChar does: a character whose upper
/// case is a single BMP character becomes that, anything else stays.
fn upcase_unit(unit: u16) -> u16 {
    match char::from_u32(u32::from(unit)) {
        Some(c) => {
            let mut up = c.to_uppercase();
            match (up.next(), up.next()) {
                (Some(one), None) => u16::try_from(u32::from(one)).unwrap_or(unit),
                _ => unit,
            }
        }
        None => unit,
    }
}

// The host's portable modules, compiled into svcpack's tests so the configuration file
// round trip (written here, parsed there) and the host's own unit tests run with
// `cargo test`.
#[cfg(test)]
#[allow(dead_code, clippy::all)]
#[path = "../host/src/conf.rs"]
mod host_conf;

#[cfg(test)]
#[allow(dead_code, clippy::all)]
#[path = "../host/src/cmdline.rs"]
mod host_cmdline;

#[cfg(test)]
#[allow(dead_code, clippy::all)]
#[path = "../host/src/rotate.rs"]
mod host_rotate;

#[cfg(test)]
#[allow(dead_code, clippy::all)]
#[path = "../host/src/restarts.rs"]
mod host_restarts;

#[cfg(test)]
#[allow(dead_code, clippy::all)]
#[path = "../host/src/clock.rs"]
mod host_clock;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{load_standalone_str, Config};
    use std::process::Command;

    fn load(toml: &str) -> Config {
        let dir = std::env::temp_dir().join(format!("svcpack-host-test-{}", std::process::id()));
        let (_, loaded) =
            load_standalone_str(&dir.join("svcpack.toml"), toml).expect("valid configuration");
        loaded.config
    }

    #[test]
    fn event_sources_get_a_pass_through_message_table() {
        let with = load(HOSTED);
        let table = event_messages(&with)
            .unwrap()
            .expect("event source by default");
        assert_eq!(
            table,
            pe::pass_through_messages(EVENT_MESSAGE_COUNT).unwrap()
        );
        let without = load(&HOSTED.replace("[service]\n", "[service]\nevent-source = false\n"));
        assert_eq!(event_messages(&without).unwrap(), None);
        let plain = load("name = \"a\"\nversion = \"1.0.0\"\n");
        assert_eq!(event_messages(&plain).unwrap(), None);
    }

    const HOSTED: &str = r#"
name = "ledger-agent"
version = "2.0.0-beta.1"
upgrade-code = "8E0B5A7C-1D2E-4F60-8A9B-0C1D2E3F4A5B"
product-name = "Ledger Agent ✓"
manufacturer = "Example Ltd"

[service]
name = "LedgerAgent"
arguments = ["--port", "18431", "", " two  spaces ", 'say "hi" \', 'C:\Program Files\x\', "ünï [x] $(var.Y) 100% = #"]

[service.host]
stop-timeout-secs = 7
restart-delay-secs = 0
max-restarts-per-hour = 0
log-dir = "var/Logs ✓"
log-max-bytes = 123456789012
log-keep = 9
working-dir = "data"
environment = { RUST_LOG = "info,x=debug", Z_LAST = "", "Spaced Name" = " = value = ", PATH = '%PATH%;C:\x' }
"#;

    fn parts(config: &Config) -> (&Service, &Host) {
        let s = config.service.as_ref().expect("service");
        (s, s.host.as_ref().expect("host"))
    }

    #[test]
    fn configuration_file_round_trips_through_the_hosts_parser() {
        let config = load(HOSTED);
        let (service, host) = parts(&config);
        let text = config_file(service, host, &config.exe_name()).unwrap();
        assert!(text.ends_with("\r\n") && !text.replace("\r\n", "").contains('\n'));
        let parsed = host_conf::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(parsed.service, "LedgerAgent");
        assert_eq!(parsed.event_source.as_deref(), Some("LedgerAgent"));
        assert_eq!(parsed.program, "ledger-agent.exe");
        assert_eq!(parsed.args, service.arguments);
        assert_eq!(parsed.working_dir, "data");
        assert_eq!(parsed.log_dir, "var\\Logs ✓");
        let env: Vec<(String, String)> = host
            .environment
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        assert_eq!(parsed.env, env);
        assert_eq!(parsed.log_max_bytes, 123_456_789_012);
        assert_eq!(parsed.log_keep, 9);
        assert_eq!(parsed.stop_timeout_secs, 7);
        assert_eq!(parsed.restart_delay_secs, 0);
        assert_eq!(parsed.max_restarts_per_hour, 0);
        assert_eq!(host_conf::FORMAT, CONF_FORMAT);

        // The host quotes the arguments back into exactly these (its own tests check
        // the quoting against CommandLineToArgvW's rules).
        let line = host_cmdline::command_line("C:\\p\\ledger-agent.exe", &parsed.args);
        assert!(
            line.starts_with("\"C:\\p\\ledger-agent.exe\" --port 18431 \"\" "),
            "{line}"
        );
    }

    #[test]
    fn defaults_and_no_event_source() {
        let config = load(
            "name = \"go-agent\"\nversion = \"1.0.0\"\n[service]\nevent-source = false\n[service.host]\n",
        );
        let (service, host) = parts(&config);
        let text = config_file(service, host, "go-agent.exe").unwrap();
        let parsed = host_conf::parse(&text).unwrap();
        assert_eq!(parsed.event_source, None);
        assert!(parsed.args.is_empty() && parsed.env.is_empty());
        assert_eq!(parsed.working_dir, ".");
        assert_eq!(parsed.log_dir, "logs");
        assert_eq!(
            (
                parsed.log_max_bytes,
                parsed.log_keep,
                parsed.stop_timeout_secs
            ),
            (10 * 1024 * 1024, 5, 10)
        );
        assert_eq!(
            (parsed.restart_delay_secs, parsed.max_restarts_per_hour),
            (2, 20)
        );
    }

    #[test]
    fn values_the_file_cannot_carry_are_refused() {
        let config = load(HOSTED);
        let (service, host) = parts(&config);
        let mut s = service.clone();
        s.arguments.push("two\nlines".into());
        let e = config_file(&s, host, "x.exe").unwrap_err().to_string();
        assert!(
            e.contains("service.arguments[7]") && e.contains("line break"),
            "{e}"
        );
        let mut h = host.clone();
        h.environment.insert("NUL".into(), "a\0b".into());
        let e = config_file(service, &h, "x.exe").unwrap_err().to_string();
        assert!(
            e.contains("service.host.environment.NUL") && e.contains("NUL character"),
            "{e}"
        );
    }

    #[test]
    fn log_files_are_named_like_the_host_names_them() {
        assert_eq!(
            log_files("console-app.exe", 2),
            [
                "console-app.out.log",
                "console-app.out.log.1",
                "console-app.out.log.2",
                "console-app.err.log",
                "console-app.err.log.1",
                "console-app.err.log.2",
                "svcpack-host.log",
                "svcpack-host.log.1",
                "svcpack-host.log.2",
            ]
        );
        assert_eq!(log_files("x.exe", u32::MAX).len(), 3 * 51);
    }

    #[test]
    fn service_sids_are_windows_own() {
        // `sc showsid TrustedInstaller`, any case.
        let ti = "S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464";
        assert_eq!(service_sid("TrustedInstaller"), ti);
        assert_eq!(service_sid("trustedinstaller"), ti);
    }

    #[test]
    fn log_folder_access_per_account() {
        let name = ServiceName::parse("TrustedInstaller").unwrap();
        let admins = "(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)";
        let acl = |a: Account| log_dir_acl(&a, &name);
        assert_eq!(acl(Account::LocalSystem).sddl, format!("D:P{admins}"));
        assert_eq!(
            acl(Account::LocalService).sddl,
            format!("D:P{admins}(A;OICI;0x1301bf;;;LS)")
        );
        assert_eq!(
            acl(Account::NetworkService).sddl,
            format!("D:P{admins}(A;OICI;0x1301bf;;;NS)")
        );
        let sid = service_sid("TrustedInstaller");
        let virt = acl(Account::Virtual);
        assert_eq!(virt.sddl, format!("D:P{admins}(A;OICI;0x1301bf;;;{sid})"));
        assert!(!virt.unrestricted_service_sid);
        let user = acl(Account::User("CORP\\svc-ledger".into()));
        assert_eq!(user.sddl, virt.sddl);
        assert!(user.unrestricted_service_sid);
    }

    #[test]
    fn sources_are_complete_and_written_once() {
        // Every file of the host crate is embedded (a new module must be listed).
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("host");
        let mut on_disk: Vec<String> = std::fs::read_dir(root.join("src"))
            .unwrap()
            .map(|e| format!("src/{}", e.unwrap().file_name().to_string_lossy()))
            .collect();
        on_disk.extend(["Cargo.toml".to_string(), "Cargo.lock".to_string()]);
        on_disk.sort();
        let mut embedded: Vec<String> = SOURCES.iter().map(|(n, _)| n.to_string()).collect();
        embedded.sort();
        assert_eq!(embedded, on_disk);
        // Standalone and dependency-free.
        let manifest: toml::Table = toml::from_str(SOURCES[0].1).unwrap();
        assert!(manifest.contains_key("workspace"));
        assert!(manifest["dependencies"].as_table().unwrap().is_empty());
        assert_eq!(manifest["package"]["name"].as_str(), Some(HOST_BIN));
        assert_ne!(env_host_version(), "?");
        let lock: toml::Table = toml::from_str(SOURCES[1].1).unwrap();
        assert_eq!(
            lock["version"].as_integer(),
            Some(3),
            "readable by cargo 1.63"
        );
        assert_eq!(
            lock["package"][0]["version"].as_str(),
            manifest["package"]["version"].as_str()
        );

        let cache = tempfile::tempdir().unwrap();
        let dir = write_sources(cache.path()).unwrap();
        assert_eq!(
            dir,
            cache.path().join(format!("host-src-{}", source_hash()))
        );
        for (name, text) in SOURCES {
            assert_eq!(&std::fs::read_to_string(dir.join(name)).unwrap(), text);
        }
        // A second call finds it (and leaves no temporary folders behind).
        std::fs::write(dir.join("marker"), "").unwrap();
        assert_eq!(write_sources(cache.path()).unwrap(), dir);
        assert!(dir.join("marker").exists());
        assert_eq!(std::fs::read_dir(cache.path()).unwrap().count(), 1);
    }

    #[test]
    fn version_resource_describes_the_host_as_part_of_the_product() {
        let config = load(HOSTED);
        let stamp = version_stamp(&config, 2024);
        assert_eq!(stamp.file_version, [2, 0, 0, 0]);
        let get = |k: &str| {
            stamp
                .strings
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("FileDescription"), Some("svcpack service host"));
        assert_eq!(get("OriginalFilename"), Some("svcpack-host.exe"));
        assert_eq!(get("ProductName"), Some("Ledger Agent ✓"));
        assert_eq!(get("ProductVersion"), Some("2.0.0-beta.1"));
        assert_eq!(get("CompanyName"), Some("Example Ltd"));
        assert!(get("Comments").unwrap().contains("ledger-agent.exe"));
    }

    /// Builds the host for the machine running the tests, where it compiles to a stub
    /// that explains itself: proves the embedded crate builds, that the executable is
    /// found from cargo's messages, and that a second build is cached.
    #[test]
    fn builds_with_cargo_and_is_cached() {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
        let vv = Command::new(&rustc).arg("-vV").output().expect("rustc -vV");
        let triple = String::from_utf8_lossy(&vv.stdout)
            .lines()
            .find_map(|l| l.strip_prefix("host: ").map(str::to_string))
            .expect("host triple");
        let cache = tempfile::tempdir().unwrap();
        let exe = build(&cargo, &triple, cache.path()).unwrap_or_else(|e| panic!("{e}"));
        assert!(exe.is_file(), "{}", exe.display());
        assert!(exe.starts_with(cache.path().join("host-target")));
        let started = std::time::Instant::now();
        assert_eq!(build(&cargo, &triple, cache.path()).unwrap(), exe);
        assert!(started.elapsed() < std::time::Duration::from_secs(30));
        if cfg!(not(windows)) {
            let out = Command::new(&exe).output().unwrap();
            assert_eq!(out.status.code(), Some(1));
            assert!(String::from_utf8_lossy(&out.stderr).contains("runs on Windows only"));
        }
        let e = build(OsStr::new("/nonexistent/cargo"), &triple, cache.path()).unwrap_err();
        assert!(
            e.to_string().contains("cannot run `/nonexistent/cargo`"),
            "{e}"
        );
    }

    #[test]
    fn a_prebuilt_exe_for_another_machine_is_a_located_error() {
        let path = Path::new("hello-x86.exe");
        let bytes = include_bytes!("../tests/fixtures/pe/hello-x86.exe");
        assert_eq!(check_machine(path, bytes, pe::Machine::X86), Ok(()));
        assert_eq!(
            check_machine(path, bytes, pe::Machine::X64).unwrap_err(),
            "hello-x86.exe is built for x86, but the package is for x64"
        );
        let e = check_machine(path, b"not a PE", pe::Machine::X64).unwrap_err();
        assert!(e.starts_with("hello-x86.exe: "), "{e}");
    }
}
