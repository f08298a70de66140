//! svcpack's configuration: read once, validated completely, defaults applied once.
//!
//! This module owns turning `[package.metadata.svcpack]` (in a crate's Cargo.toml) or a
//! standalone `svcpack.toml` into a [`Config`] whose every field is valid and final, so no
//! later stage re-checks a string or applies a default. It reads the configuration file and
//! checks that files it names exist; it must not run cargo, build, or write anything. The
//! package identity of a crate ([`PackageInfo`]) comes from the caller (cargo metadata).
//!
//! Every problem is a [`ConfigError`] printed on one line as
//! `<file>:<line>: <key path>: <what is wrong>; allowed: <what is allowed>`. Unknown keys
//! anywhere in svcpack's tables are errors with a "did you mean" hint, checked before any
//! value, so a typo is reported as a typo. Non-fatal advice (e.g. an unpinned upgrade code)
//! goes to [`Loaded::warnings`] in the same format.
//!
//! # Keys and defaults
//!
//! | key | default |
//! |-----|---------|
//! | `product-name` | the package name |
//! | `manufacturer` | the first package author without its `<email>`; with no authors, the product name (warning) |
//! | `upgrade-code` | cargo-wix's `[package.metadata.wix] upgrade-guid`, else UUIDv5 of the package name in [`UPGRADE_CODE_NAMESPACE`] (warning: pin it) |
//! | `binary` | the package's only bin target (error if it has several; must name one of them) |
//! | `install-dir` | the product name (a folder under Program Files; relative, no `..`) |
//! | `license`, `icon` | none (paths relative to the manifest directory, must exist) |
//! | `compress` | `"none"`; `"upx"` with `upx-args`, default `["--best"]` |
//! | `backend` | `"native"`; or `"wix"` |
//! | `copyright` | `Copyright (c) <year> <manufacturer>` ([`Config::copyright_text`]) |
//! | `targets` | none: `--target`, else the host's default target; a list of target triples (none twice; Windows and Linux may mix) packaged in one build and built by `init --ci` pipelines |
//! | `[service]` | absent: a plain application package |
//! | `service.name` | the package name (1–256 characters, no `/` or `\`) |
//! | `service.display-name` | the product name |
//! | `service.description` | the package description |
//! | `service.start` | `"auto"` (`auto`, `delayed`, `demand`, `disabled`) |
//! | `service.account` | `"virtual"` = `NT SERVICE\<name>`, the service's own least-privileged identity (`LocalSystem`, `LocalService`, `NetworkService`, `DOMAIN\user`, a gMSA `DOMAIN\name$`) |
//! | `service.arguments`, `service.dependencies` | none |
//! | `service.event-source` | `true`: a service gets an Application event log source named after it |
//! | `service.sid-type` | `"none"` (`unrestricted`, `restricted`); a virtual account, or a hosted service with a `DOMAIN\user` account: `"unrestricted"` (the identity, or the log folder's grantee, is the service SID), and `none` is an error |
//! | `service.required-privileges` | none: the account's own privileges (names `Se…Privilege`, one of Windows' privileges) |
//! | `service.preshutdown-timeout-secs` | unset: Windows' default (1 to 600) |
//! | `service.firewall` | no rules; each `{ port, protocol, profiles, remote, program, name }`: `port` 1–65535, `"8000-8010"`, `"80,443"` or an array (required for tcp/udp unless `program = true`); `protocol` `"tcp"` (`udp`, `any`; `any` when only `program = true`); `profiles` all (`domain`, `private`, `public`, `all`); `remote` `"any"` (`localsubnet`, IPv4/IPv6 addresses, `a/n` subnets, `a-b` ranges); `program` false (true: only the service's program); `name` the service's display name (rules of one name are replaced together on upgrade) |
//! | `service.recovery` | no actions; `delays-secs` default 60 per action (0 for `none`), as services.msc suggests; `reset-after-secs` 86400; `non-crash-failures` false (true for a hosted service; true needs actions) |
//! | `service.host` | absent: the program is itself a service; present: hosted, with `stop-timeout-secs` 10 (≥ 1), `restart-delay-secs` 2, `max-restarts-per-hour` 20 (0 = never restart), `log-dir` `"logs"` and `working-dir` `"."` (inside the install directory), `log-max-bytes` 10485760 (≥ 1), `log-keep` 5 (≥ 1), no `environment` |
//! | `[[files]]` | none; `dest` defaults to the source's file name, `preserve-on-upgrade` to false. A `dest` stays inside the install directory (no `..`, not absolute) and, ignoring case, differs from every other `dest`, `<binary>.exe`, the license's file name and the zip's `README.txt`, `install.ps1`, `uninstall.ps1` |
//! | `[release]` | absent: no winget manifests; `download-url` is an `https://` template with `{file}` (and optionally `{version}`); `winget-id` (winget's PackageIdentifier pattern) needs `download-url` |
//! | `[[files]]` `sign` | `true`: `.exe`/`.dll`/`.sys` files are signed with the package; `false` leaves one as shipped |
//! | `[sign]` | absent: unsigned; `tool` `"auto"`, one of `certificate`/`certificate-env` unless `tool = "command"`; or `pkcs11-module` + `key` (RFC 7512 URI) + `certificate` (chain file or `pkcs11:` URI) + optional `pin-env`/`pkcs11-engine`; `command` placeholders `{file}`, `{digest}`, `{timestamp-url}`; secrets only through `*-env` variable names (a `password` key is an error) |
//! | `[linux]` | read only for a Linux `--target` ([`Linux`]); see docs/linux.md |
//! | `linux.package` | the package name lower-cased, `_` → `-` (Debian's `[a-z0-9][a-z0-9+.-]+`): the .deb, unit and folder name |
//! | `linux.revision` | `"1"` (the Debian revision: `<version>-<revision>`) |
//! | `linux.maintainer` | the first package author written `Name <email>`; none: a placeholder address lintian rejects (warning) |
//! | `linux.section`, `linux.depends` | `"misc"`; `["libc6"]` (entries of the Depends field) |
//! | `linux.service-type` | `"simple"` (`notify`: the program calls sd_notify) |
//! | `linux.hardening` | `true`: NoNewPrivileges, ProtectSystem=strict, ProtectHome, PrivateTmp, PrivateDevices, ProtectKernel*, ProtectControlGroups, RestrictSUIDSGID, LockPersonality; `false` drops them |
//! | `linux.read-write-paths` | none: absolute paths the service may write despite ProtectSystem=strict |
//! | (Linux target) | `service.account`: LocalSystem → root; LocalService, NetworkService, virtual or omitted → DynamicUser; `user` or `.\user` → that user (created by the package), a domain account → error; arguments with line breaks → error; Windows-only keys (icon, compress, backend, upgrade-code, sign, event-source, sid-type, required-privileges, preshutdown-timeout-secs, firewall, recovery command/non-crash-failures/reboot/run, host log-max-bytes/log-keep, files' sign) → warning |
//!
//! # Standalone `svcpack.toml`
//!
//! For programs cargo does not build (a Go service packaged with
//! `cargo svcpack build --config svcpack.toml --no-build --binary PATH`). The file holds the
//! package identity and, at the top level, exactly the keys of `[package.metadata.svcpack]`;
//! sub-tables drop the `package.metadata.svcpack.` prefix. Paths are relative to the file's
//! directory.
//!
//! ```toml
//! # identity (what Cargo.toml's [package] gives a crate)
//! name = "ledger-agent"              # required: artifact names, default upgrade code, service name
//! version = "1.4.0"                  # required: semver, MSI limits 255.255.65535
//! authors = ["Example Ltd <ops@example.com>"]
//! description = "Answers ledger queries"
//! homepage = "https://example.com/ledger"
//! repository = "https://example.com/ledger.git"
//! license-expression = "MIT"         # SPDX (Cargo's `license`; here `license` is the file)
//!
//! # the [package.metadata.svcpack] keys, before the first [table]
//! product-name = "Ledger Agent"
//! upgrade-code = "8E0B5A7C-1D2E-4F60-8A9B-0C1D2E3F4A5B"
//! binary = "ledger-agent"            # the exe's name (".exe" optional); default: name
//! license = "LICENSE"
//!
//! [service]
//! name = "LedgerAgent"
//! [service.host]                     # a Go program does not talk to the service manager
//! log-dir = "logs"
//! [[files]]
//! source = "agent.toml"
//! ```
//!
//! `name` takes ASCII letters, digits, `-`, `_` and `.` (it becomes part of file names).

mod error;
mod firewall;
mod linux;
mod read;
mod release;
mod resolve;
mod schema;
mod service;
mod sign;
mod targets;
mod tree;
mod values;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use error::ConfigError;
pub use firewall::{FirewallProfile, FirewallProtocol, FirewallRule};
pub use linux::{Linux, LinuxUser, ServiceType};
pub use release::{DownloadUrl, Release};
pub use values::{
    Account, Backend, Guid, RecoveryAction, RelPath, ServiceName, SidType, StartType, PRIVILEGES,
};

use crate::version::MsiVersion;

/// The namespace of derived upgrade codes: UUIDv5(URL namespace, `urn:svcpack:upgrade-code`),
/// i.e. `a6c6814b-86d3-5d9f-8d6b-4a5b5893d0a3`. Fixed forever: changing it would make the
/// next release of every unpinned package install side by side instead of upgrading.
pub const UPGRADE_CODE_NAMESPACE: uuid::Uuid =
    uuid::Uuid::from_u128(0xa6c6814b_86d3_5d9f_8d6b_4a5b5893d0a3);

/// The upgrade code used when none is configured: UUIDv5 of the package name's UTF-8 bytes
/// in [`UPGRADE_CODE_NAMESPACE`].
pub fn default_upgrade_code(package_name: &str) -> Guid {
    Guid::from_uuid(uuid::Uuid::new_v5(
        &UPGRADE_CODE_NAMESPACE,
        package_name.as_bytes(),
    ))
}

/// What the package is, independent of svcpack: from cargo metadata for a crate, from the
/// identity keys of a standalone `svcpack.toml`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackageInfo {
    /// The package name: artifact names, default product name and upgrade code.
    pub name: String,
    /// The version; [`Config::version`] is its MSI form.
    pub version: semver::Version,
    /// `Name <email>` strings; the first gives the default manufacturer.
    pub authors: Vec<String>,
    /// The default service description.
    pub description: Option<String>,
    /// For the Add/Remove Programs entry.
    pub homepage: Option<String>,
    /// For the Add/Remove Programs entry.
    pub repository: Option<String>,
    /// The SPDX license expression.
    pub license: Option<String>,
    /// The names of the package's bin targets (for a standalone file, the one exe).
    pub bins: Vec<String>,
    /// The directory relative paths in the configuration start from.
    pub manifest_dir: PathBuf,
}

/// A validated configuration and the advice given while reading it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Loaded {
    /// The validated configuration.
    pub config: Config,
    /// One line each, `<file>[:<line>]: <key>: <advice>`, in a fixed order (the CLI adds
    /// its `warning: ` prefix).
    pub warnings: Vec<String>,
    /// `[release]`: what release automation publishes (download URL, winget identifier).
    pub release: Release,
    /// `[linux]` and the Linux reading of the shared keys, for Linux targets.
    pub linux: Linux,
    /// `targets`: the target triples built without `--target`; empty when not configured.
    pub targets: Vec<String>,
}

/// The whole validated configuration, all defaults applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// ProductName: Add/Remove Programs, shortcuts, the default install folder.
    pub product_name: String,
    /// The Manufacturer property, CompanyName and Add/Remove Programs' publisher.
    pub manufacturer: String,
    /// Shared by every version of the product, so new versions replace old ones.
    pub upgrade_code: Guid,
    /// The package version mapped to MSI limits (checked here, before any work).
    pub version: MsiVersion,
    /// The bin target (or, standalone, the exe name) without `.exe`.
    pub binary: String,
    /// Under Program Files; never empty.
    pub install_dir: RelPath,
    /// An existing file: the manifest directory joined with the configured path.
    pub license: Option<PathBuf>,
    /// An existing file: the manifest directory joined with the configured path. Only its
    /// existence is checked here; the stamping stage checks that it is an icon.
    pub icon: Option<PathBuf>,
    /// The optional UPX pass.
    pub compress: Compress,
    /// Which compiler builds the MSI.
    pub backend: Backend,
    /// Explicit LegalCopyright; `None` means the default of [`Config::copyright_text`].
    pub copyright: Option<String>,
    /// `None`: a plain application package.
    pub service: Option<Service>,
    /// Extra files, in configuration order.
    pub files: Vec<FileEntry>,
    /// `None`: build unsigned.
    pub sign: Option<Sign>,
}

impl Config {
    /// The LegalCopyright string: the configured one, else
    /// `Copyright (c) <year> <manufacturer>` with the year of the build (from
    /// `SOURCE_DATE_EPOCH` when set, see [`year_of_unix_time`]).
    pub fn copyright_text(&self, year: i64) -> String {
        match &self.copyright {
            Some(text) => text.clone(),
            None => format!("Copyright (c) {year} {}", self.manufacturer),
        }
    }

    /// The exe's file name as installed: `<binary>.exe`.
    pub fn exe_name(&self) -> String {
        format!("{}.exe", self.binary)
    }
}

pub use crate::civil::year_of_unix_time;

/// The optional UPX pass.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Compress {
    /// Package the exe as built.
    None,
    /// `upx <args> <exe>`; args default to `["--best"]`.
    Upx {
        /// Arguments before the exe's path.
        args: Vec<String>,
    },
}

/// The Windows service the package installs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Service {
    /// The SCM key name (`sc.exe <name>`).
    pub name: ServiceName,
    /// At most 256 characters.
    pub display_name: String,
    /// Shown in services.msc; may span lines.
    pub description: Option<String>,
    /// When the service starts.
    pub start: StartType,
    /// Who the service runs as ([`Account::object_name`] gives the SCM's spelling).
    pub account: Account,
    /// Passed to the program, each one argument (quoted by Windows rules downstream).
    pub arguments: Vec<String>,
    /// Service names (or `+group` names) that must start first.
    pub dependencies: Vec<String>,
    /// Register an Application event log source named after the service.
    pub event_source: bool,
    /// The failure actions (empty when none are configured).
    pub recovery: Recovery,
    /// The service SID type the service manager gives the service's process.
    pub sid_type: SidType,
    /// The privileges the service's process keeps, canonically spelt (empty: all of the
    /// account's).
    pub required_privileges: Vec<String>,
    /// How long the service manager waits for the service after a pre-shutdown
    /// notification (`None`: Windows' default).
    pub preshutdown_timeout_secs: Option<u32>,
    /// Inbound firewall rules the installer adds (and the uninstall removes).
    pub firewall: Vec<FirewallRule>,
    /// `Some`: svcpack's service host runs the program.
    pub host: Option<Host>,
}

/// The service manager's failure actions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recovery {
    /// First failure, second, subsequent (the last one repeats). Empty: no recovery.
    pub steps: Vec<RecoveryStep>,
    /// Seconds without failure after which the failure count resets.
    pub reset_after_secs: u32,
    /// The command line of `run` actions; always `Some` when a step is `run`.
    pub command: Option<String>,
    /// The actions also apply when the service stops with a non-zero exit code, not only
    /// when its process ends without reporting SERVICE_STOPPED.
    pub non_crash_failures: bool,
}

/// One failure action and the wait before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecoveryStep {
    /// What the service manager does.
    pub action: RecoveryAction,
    /// At most 4294967, so the milliseconds fit the SCM's 32-bit field.
    pub delay_secs: u32,
}

/// Settings of svcpack's service host: restarts, log capture, graceful stop.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Host {
    /// Ctrl-Break / Ctrl-C first, then terminate after this (at least 1).
    pub stop_timeout_secs: u32,
    /// Wait before restarting after an unexpected exit (0 = at once).
    pub restart_delay_secs: u32,
    /// Restarts allowed per hour before giving up so the SCM's recovery acts (0 = never restart).
    pub max_restarts_per_hour: u32,
    /// Inside the install directory.
    pub log_dir: RelPath,
    /// Rotate stdout/stderr logs at this size (at least 1).
    pub log_max_bytes: u64,
    /// Rotated files kept (at least 1).
    pub log_keep: u32,
    /// Inside the install directory (the root is `.`).
    pub working_dir: RelPath,
    /// Extra environment for the program, sorted by name.
    pub environment: BTreeMap<String, String>,
}

impl Default for Host {
    fn default() -> Self {
        Host {
            stop_timeout_secs: 10,
            restart_delay_secs: 2,
            max_restarts_per_hour: 20,
            log_dir: RelPath::parse("logs", "the install directory").unwrap_or_default(),
            log_max_bytes: 10 * 1024 * 1024,
            log_keep: 5,
            working_dir: RelPath::default(),
            environment: BTreeMap::new(),
        }
    }
}

/// An extra file to install and zip.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileEntry {
    /// An existing file (manifest directory joined with the configured path).
    pub source: PathBuf,
    /// Where it goes, relative to the install directory.
    pub dest: RelPath,
    /// An administrator's edits survive upgrades (never overwritten once installed).
    pub preserve_on_upgrade: bool,
    /// Authenticode-sign it when the package is signed (`sign`, default true; only PE
    /// files — `.exe`, `.dll`, `.sys` — are ever signed).
    pub sign: bool,
}

/// Authenticode signing settings. Holds names of secrets, never secrets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sign {
    /// `None` only with [`SignTool::Command`], which brings its own key.
    pub certificate: Option<Certificate>,
    /// The environment variable holding the certificate password.
    pub password_env: Option<String>,
    /// RFC 3161 servers, tried in order.
    pub timestamp_urls: Vec<String>,
    /// The program that signs.
    pub tool: SignTool,
    /// A key in hardware (token, HSM, cloud HSM) reached through a PKCS#11 library;
    /// `certificate` is then its chain file or a `pkcs11:` certificate URI.
    pub pkcs11: Option<Pkcs11>,
}

/// A private key behind a PKCS#11 library. Names of secrets only: the PIN is read from
/// `pin_env` at build time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pkcs11 {
    /// The PKCS#11 library (`pkcs11-module`): a path, or a bare file name the dynamic
    /// loader finds.
    pub module: PathBuf,
    /// The private key (`key`), a validated RFC 7512 `pkcs11:` URI.
    pub key: String,
    /// The variable holding the user PIN; `None` for tokens that authenticate on their own
    /// (PIN pad, cloud libraries configured by their own file).
    pub pin_env: Option<String>,
    /// OpenSSL's PKCS#11 engine (`pkcs11-engine`); `None`: found at build time.
    pub engine: Option<PathBuf>,
}

/// Where the PKCS#12 certificate comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Certificate {
    /// An existing file.
    File(PathBuf),
    /// An environment variable holding the base64 PKCS#12 (the usual CI secret).
    Env(String),
    /// With PKCS#11: the certificate object on the token, a validated `pkcs11:` URI.
    Pkcs11(String),
}

/// Which program signs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignTool {
    /// signtool on Windows, osslsigncode elsewhere.
    Auto,
    /// osslsigncode, on any host.
    Osslsigncode,
    /// Microsoft's signtool.exe.
    Signtool,
    /// A program and its arguments; at least one argument contains `{file}`.
    Command(Vec<String>),
}

/// Reads `[package.metadata.svcpack]` (and cargo-wix's `upgrade-guid`) from a crate's
/// Cargo.toml. An absent section gives a plain application package with every default.
pub fn load_cargo(manifest_path: &Path, pkg: &PackageInfo) -> Result<Loaded, ConfigError> {
    let text = read_text(manifest_path)?;
    load_cargo_str(manifest_path, &text, pkg)
}

/// [`load_cargo`] on text already read; `manifest_path` is only used in messages.
pub fn load_cargo_str(
    manifest_path: &Path,
    text: &str,
    pkg: &PackageInfo,
) -> Result<Loaded, ConfigError> {
    resolve::cargo(manifest_path, text, pkg)
}

/// Reads a standalone `svcpack.toml`: the package identity and its configuration.
pub fn load_standalone(path: &Path) -> Result<(PackageInfo, Loaded), ConfigError> {
    let text = read_text(path)?;
    load_standalone_str(path, &text)
}

/// [`load_standalone`] on text already read; relative paths start at `path`'s directory.
pub fn load_standalone_str(path: &Path, text: &str) -> Result<(PackageInfo, Loaded), ConfigError> {
    resolve::standalone(path, text)
}

/// Reads a configuration file as UTF-8, pointing at the line of the first bad byte.
fn read_text(path: &Path) -> Result<String, ConfigError> {
    let fail = |line: Option<u32>, message: String| ConfigError {
        file: path.to_path_buf(),
        line,
        key: None,
        message,
    };
    let bytes =
        std::fs::read(path).map_err(|e| fail(None, format!("cannot read the file: {e}")))?;
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let line = tree::line_of(&String::from_utf8_lossy(&e.as_bytes()[..valid]), valid);
        fail(Some(line), "the file is not valid UTF-8".into())
    })
}
