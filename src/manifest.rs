//! The JSON manifest (build stage 10): one machine-readable record of what a build made.
//!
//! This module owns the manifest's schema and its exact serialization; it does no I/O.
//! The file is `<package>-<version>-<arch>.manifest.json` ([`file_name`]) in the out-dir,
//! or `<package>-<version>.manifest.json` ([`multi_target_file_name`]) for a build of several
//! targets,
//! pretty-printed JSON (two-space indent, keys in the order below, artifacts sorted by
//! `path`) ending with a newline, so identical builds give identical bytes.
//!
//! # Schema, version 1 ([`SCHEMA_VERSION`])
//!
//! ```text
//! {
//!   "schema": 1,                        // bumped on any incompatible change
//!   "svcpack_version": "0.1.0",         // the svcpack that built it
//!   "package": "ledger-agent",          // package name (artifact file names start with it)
//!   "version": "1.4.0-beta.2",          // full semver of the package
//!   "msi_version": "1.4.0",             // the MSI ProductVersion it maps to
//!   "target": "x86_64-pc-windows-msvc", // Rust target triple of the exe (several targets:
//!                                       //   the first of `targets`)
//!   "arch": "x64",                      // "x64" | "x86" | "arm64" (of `target`)
//!   "targets": [                        // every target of the build, in build order
//!     { "target": "x86_64-pc-windows-msvc", "arch": "x64" }
//!   ],
//!   "service": null | {                 // null: a plain application package
//!     "name": "LedgerAgent",            // SCM key name
//!     "display_name": "Ledger Agent",
//!     "description": "…" | null,
//!     "start": "auto",                  // "auto" | "delayed" | "demand" | "disabled"
//!     "account": "LocalSystem",         // as the SCM stores it: LocalSystem,
//!                                       //   NT AUTHORITY\LocalService, NT AUTHORITY\NetworkService,
//!                                       //   NT SERVICE\<name>, DOMAIN\user
//!     "arguments": ["--port", "18431"], // each one argument, unquoted
//!     "dependencies": ["Tcpip"],        // service names, +group for load-order groups
//!     "event_source": true,             // Application event log source named after the service
//!     "hosted": false,                  // true: svcpack's service host runs the program
//!     "recovery": {
//!       "actions": [ { "action": "restart", "delay_secs": 5 } ],
//!                                       // action: "restart" | "reboot" | "run" | "none";
//!                                       //   first failure, second, …; the last one repeats
//!       "reset_after_secs": 86400,      // failure count resets after this long without failure
//!       "command": "…" | null           // command line of "run" actions
//!     }
//!   },
//!   "artifacts": [
//!     {
//!       "path": "ledger-agent-1.4.0-beta.2-x64.msi", // file name in the out-dir
//!       "kind": "msi",                  // "msi" | "portable-zip" | "checksums" | "sbom" | "deb" | "tarball"
//!                                       //   | "winget-manifest" (path "winget/<file>")
//!       "size": 1234567,                // bytes
//!       "sha256": "…",                  // lowercase hex
//!       "signed": true,                 // Authenticode-signed (the zip: its exe is)
//!       "target": "x86_64-pc-windows-msvc", // the target it was made for; absent for files
//!       "arch": "x64"                   //   that cover every target (SHA256SUMS, winget)
//!     }
//!   ]
//! }
//! ```
//!
//! `SHA256SUMS` covers every Windows target's MSI, zip and SBOM and every Linux target's
//! .deb and tarball; the manifest lists those,
//! `SHA256SUMS` itself and the winget manifests (when configured); nothing can list the
//! manifest's own digest. New optional keys may be added within a schema version (`targets`
//! and the artifacts' `target`/`arch` were), so readers should ignore keys they do not know.
//! A JSON Schema of this format is `tests/schemas/svcpack-manifest-1.json`.

use serde::{Deserialize, Serialize};

use crate::checksums::{hash_bytes, FileDigest};
use crate::config::{Config, Service};

/// The `schema` value this module writes.
pub const SCHEMA_VERSION: u32 = 1;

/// The `svcpack_version` this build of svcpack writes.
pub const SVCPACK_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The manifest's file name: `<package>-<version>-<arch>.manifest.json`.
pub fn file_name(package: &str, version: &str, arch: Arch) -> String {
    format!("{package}-{version}-{}.manifest.json", arch.as_str())
}

/// The manifest's file name for a build of several targets:
/// `<package>-<version>.manifest.json`.
pub fn multi_target_file_name(package: &str, version: &str) -> String {
    format!("{package}-{version}.manifest.json")
}

/// The whole manifest. Field order here is key order in the JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`SCHEMA_VERSION`] when written by this module.
    pub schema: u32,
    /// The svcpack version that wrote it.
    pub svcpack_version: String,
    /// The package name.
    pub package: String,
    /// The full semver version.
    pub version: String,
    /// The MSI ProductVersion (`MAJOR.MINOR.PATCH`).
    pub msi_version: String,
    /// The Rust target triple.
    pub target: String,
    /// The architecture (Windows names; a Linux target x64 or arm64 too).
    pub arch: Arch,
    /// Every target of the build (`target` and `arch` repeat the first); empty when read
    /// from a manifest written before the key existed.
    #[serde(default)]
    pub targets: Vec<TargetSummary>,
    /// `None` (JSON `null`) for a plain application package.
    pub service: Option<ServiceSummary>,
    /// Every artifact except the manifest, sorted by path when written.
    pub artifacts: Vec<Artifact>,
}

/// One target of the build.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetSummary {
    /// The Rust target triple.
    pub target: String,
    /// Its architecture (Windows names; a Linux target x64 or arm64 too).
    pub arch: Arch,
}

/// The service as installed, in the manifest's words.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceSummary {
    /// The SCM key name.
    pub name: String,
    /// The display name.
    pub display_name: String,
    /// The description, if any.
    pub description: Option<String>,
    /// `auto`, `delayed`, `demand` or `disabled`.
    pub start: String,
    /// The account name as the SCM stores it.
    pub account: String,
    /// The program's arguments, unquoted.
    pub arguments: Vec<String>,
    /// Services (or `+groups`) started first.
    pub dependencies: Vec<String>,
    /// Whether an Application event log source is registered.
    pub event_source: bool,
    /// Whether svcpack's service host runs the program.
    pub hosted: bool,
    /// The failure actions.
    pub recovery: RecoverySummary,
}

/// The service manager's failure actions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoverySummary {
    /// First failure, second, …; the last repeats. Empty: no recovery.
    pub actions: Vec<RecoveryActionSummary>,
    /// Seconds without failure after which the count resets.
    pub reset_after_secs: u32,
    /// The command line of `run` actions.
    pub command: Option<String>,
}

/// One failure action.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryActionSummary {
    /// `restart`, `reboot`, `run` or `none`.
    pub action: String,
    /// Seconds before it is taken.
    pub delay_secs: u32,
}

/// One file the build produced.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Artifact {
    /// The file name in the out-dir.
    pub path: String,
    /// What it is.
    pub kind: ArtifactKind,
    /// Size in bytes.
    pub size: u64,
    /// Lowercase hex SHA-256.
    pub sha256: String,
    /// Authenticode-signed (for the zip: its exe is signed).
    pub signed: bool,
    /// The target triple it was made for; `None` for files covering every target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The architecture of `target`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arch: Option<Arch>,
}

/// What an artifact is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ArtifactKind {
    /// The Windows Installer package.
    Msi,
    /// The portable zip.
    PortableZip,
    /// `SHA256SUMS`.
    Checksums,
    /// The CycloneDX SBOM (`<package>-<version>-<arch>.cdx.json`).
    Sbom,
    /// A winget manifest (`winget/<id>[.installer|.locale.en-US].yaml`).
    WingetManifest,
    /// The Debian package (`<package>_<version>-<revision>_<arch>.deb`).
    Deb,
    /// The Linux tarball (`<package>-<version>-<triple>.tar.gz`).
    Tarball,
}

/// The architecture of a package, in Windows names (a Linux package: x64 or arm64).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Arch {
    /// 64-bit x86 (`x86_64-*`).
    X64,
    /// 32-bit x86 (`i686-*`, `i586-*`).
    X86,
    /// 64-bit ARM (`aarch64-*`).
    Arm64,
}

impl Arch {
    /// The architecture of a Rust target triple, from its first component.
    pub fn from_target(triple: &str) -> Option<Arch> {
        match triple.split('-').next()? {
            "x86_64" => Some(Arch::X64),
            "i686" | "i586" | "i386" => Some(Arch::X86),
            "aarch64" | "arm64ec" => Some(Arch::Arm64),
            _ => None,
        }
    }

    /// `x64`, `x86` or `arm64`: the spelling in artifact names and the manifest.
    pub fn as_str(self) -> &'static str {
        match self {
            Arch::X64 => "x64",
            Arch::X86 => "x86",
            Arch::Arm64 => "arm64",
        }
    }
}

impl From<crate::plan::Arch> for Arch {
    fn from(a: crate::plan::Arch) -> Self {
        match a {
            crate::plan::Arch::X64 => Arch::X64,
            crate::plan::Arch::X86 => Arch::X86,
            crate::plan::Arch::Arm64 => Arch::Arm64,
        }
    }
}

impl std::fmt::Display for Arch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The manifest could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// serde_json refused it.
    #[error("manifest JSON: {0}")]
    Json(#[from] serde_json::Error),
}

impl Artifact {
    /// An artifact from its bytes in memory.
    pub fn from_bytes(path: &str, kind: ArtifactKind, bytes: &[u8], signed: bool) -> Self {
        Self::from_digest(path, kind, hash_bytes(bytes), signed)
    }

    /// An artifact from a digest already computed (e.g. [`crate::checksums::hash_file`]).
    pub fn from_digest(path: &str, kind: ArtifactKind, digest: FileDigest, signed: bool) -> Self {
        Artifact {
            path: path.to_string(),
            kind,
            size: digest.size,
            sha256: digest.sha256,
            signed,
            target: None,
            arch: None,
        }
    }

    /// The same artifact, marked as made for `target`.
    pub fn for_target(mut self, target: &str, arch: Arch) -> Self {
        self.target = Some(target.to_string());
        self.arch = Some(arch);
        self
    }
}

impl ServiceSummary {
    /// The summary of a configured service.
    pub fn from_service(service: &Service) -> Self {
        ServiceSummary {
            name: service.name.to_string(),
            display_name: service.display_name.clone(),
            description: service.description.clone(),
            start: service.start.as_str().into(),
            account: service.account.object_name(&service.name),
            arguments: service.arguments.clone(),
            dependencies: service.dependencies.clone(),
            event_source: service.event_source,
            hosted: service.host.is_some(),
            recovery: RecoverySummary {
                actions: service
                    .recovery
                    .steps
                    .iter()
                    .map(|s| RecoveryActionSummary {
                        action: s.action.as_str().into(),
                        delay_secs: s.delay_secs,
                    })
                    .collect(),
                reset_after_secs: service.recovery.reset_after_secs,
                command: service.recovery.command.clone(),
            },
        }
    }
}

impl Manifest {
    /// The manifest of a build of `package` for `target`; artifacts in any order.
    pub fn new(
        config: &Config,
        package: &str,
        target: &str,
        arch: Arch,
        artifacts: Vec<Artifact>,
    ) -> Self {
        let first = TargetSummary {
            target: target.into(),
            arch,
        };
        Self::for_targets(config, package, first, Vec::new(), artifacts)
    }

    /// The manifest of a build of `package` for `first` and then `more` targets; artifacts
    /// in any order.
    pub fn for_targets(
        config: &Config,
        package: &str,
        first: TargetSummary,
        more: Vec<TargetSummary>,
        artifacts: Vec<Artifact>,
    ) -> Self {
        let mut manifest = Manifest {
            schema: SCHEMA_VERSION,
            svcpack_version: SVCPACK_VERSION.into(),
            package: package.into(),
            version: config.version.full(),
            msi_version: config.version.product_version(),
            target: first.target.clone(),
            arch: first.arch,
            targets: std::iter::once(first).chain(more).collect(),
            service: config.service.as_ref().map(ServiceSummary::from_service),
            artifacts,
        };
        manifest.sort();
        manifest
    }

    /// Sorts the artifacts by path (bytes), the order they are written in.
    pub fn sort(&mut self) {
        self.artifacts
            .sort_by(|a, b| a.path.as_bytes().cmp(b.path.as_bytes()));
    }

    /// The file content: pretty JSON, artifacts sorted, trailing newline.
    pub fn to_json(&self) -> Result<String, ManifestError> {
        let mut sorted = self.clone();
        sorted.sort();
        let mut text = serde_json::to_string_pretty(&sorted)?;
        text.push('\n');
        Ok(text)
    }

    /// Reads a manifest (unknown keys are ignored, see the module doc).
    pub fn from_json(text: &str) -> Result<Self, ManifestError> {
        Ok(serde_json::from_str(text)?)
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use serde_json::json;

    use super::*;
    use crate::config::{
        Account, Backend, Compress, Guid, Host, Recovery, RecoveryAction, RecoveryStep, RelPath,
        ServiceName, StartType,
    };
    use crate::version::MsiVersion;

    fn config(service: Option<Service>) -> Config {
        Config {
            product_name: "Ledger Agent".into(),
            manufacturer: "Example Ltd".into(),
            upgrade_code: Guid::parse("8E0B5A7C-1D2E-4F60-8A9B-0C1D2E3F4A5B").unwrap(),
            version: MsiVersion::parse("1.4.0-beta.2+g1234").unwrap(),
            binary: "ledger-agent".into(),
            install_dir: RelPath::parse("Ledger Agent", "x").unwrap(),
            license: Some(PathBuf::from("/src/LICENSE")),
            icon: None,
            compress: Compress::None,
            backend: Backend::Native,
            copyright: None,
            service,
            files: vec![],
            sign: None,
        }
    }

    fn service() -> Service {
        Service {
            name: ServiceName::parse("Ledger Agent ✓").unwrap(),
            display_name: "Ledger ‘Agent’ \"Pro\"".into(),
            description: Some("Answers\nledger queries".into()),
            start: StartType::Delayed,
            account: Account::Virtual,
            arguments: vec!["--label".into(), "two words".into(), "C:\\data\\".into()],
            dependencies: vec!["Tcpip".into()],
            event_source: true,
            recovery: Recovery {
                steps: vec![
                    RecoveryStep {
                        action: RecoveryAction::Restart,
                        delay_secs: 5,
                    },
                    RecoveryStep {
                        action: RecoveryAction::Run,
                        delay_secs: 30,
                    },
                    RecoveryStep {
                        action: RecoveryAction::None,
                        delay_secs: 0,
                    },
                ],
                reset_after_secs: 86_400,
                command: Some("notify.cmd \"failed\"".into()),
                non_crash_failures: true,
            },
            sid_type: crate::config::SidType::None,
            required_privileges: Vec::new(),
            preshutdown_timeout_secs: None,
            firewall: Vec::new(),
            host: Some(Host::default()),
        }
    }

    fn artifacts() -> Vec<Artifact> {
        vec![
            Artifact::from_bytes("SHA256SUMS", ArtifactKind::Checksums, b"sums\n", false),
            Artifact::from_bytes(
                "ledger-agent-1.4.0-beta.2+g1234-x64.msi",
                ArtifactKind::Msi,
                b"msi",
                true,
            ),
            Artifact::from_bytes(
                "ledger-agent-1.4.0-beta.2+g1234-x64-portable.zip",
                ArtifactKind::PortableZip,
                b"",
                true,
            ),
        ]
    }

    /// The schema, pinned: a change here is a change for every consumer (bump
    /// SCHEMA_VERSION if it is incompatible).
    const SNAPSHOT: &str = r#"{
  "schema": 1,
  "svcpack_version": "0.0.0-snapshot",
  "package": "ledger-agent",
  "version": "1.4.0-beta.2+g1234",
  "msi_version": "1.4.0",
  "target": "x86_64-pc-windows-msvc",
  "arch": "x64",
  "targets": [
    {
      "target": "x86_64-pc-windows-msvc",
      "arch": "x64"
    }
  ],
  "service": {
    "name": "Ledger Agent ✓",
    "display_name": "Ledger ‘Agent’ \"Pro\"",
    "description": "Answers\nledger queries",
    "start": "delayed",
    "account": "NT SERVICE\\Ledger Agent ✓",
    "arguments": [
      "--label",
      "two words",
      "C:\\data\\"
    ],
    "dependencies": [
      "Tcpip"
    ],
    "event_source": true,
    "hosted": true,
    "recovery": {
      "actions": [
        {
          "action": "restart",
          "delay_secs": 5
        },
        {
          "action": "run",
          "delay_secs": 30
        },
        {
          "action": "none",
          "delay_secs": 0
        }
      ],
      "reset_after_secs": 86400,
      "command": "notify.cmd \"failed\""
    }
  },
  "artifacts": [
    {
      "path": "SHA256SUMS",
      "kind": "checksums",
      "size": 5,
      "sha256": "c001d0d1d2da2d23b87521529826ff1bb00c6afaac20b652c0871905c84d1508",
      "signed": false
    },
    {
      "path": "ledger-agent-1.4.0-beta.2+g1234-x64-portable.zip",
      "kind": "portable-zip",
      "size": 0,
      "sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "signed": true
    },
    {
      "path": "ledger-agent-1.4.0-beta.2+g1234-x64.msi",
      "kind": "msi",
      "size": 3,
      "sha256": "7f1d49243ee662770bbdff7da2cec54eb382cd9d76dfa7b049a620ec457db57b",
      "signed": true
    }
  ]
}
"#;

    #[test]
    fn snapshot_of_the_schema() {
        let mut m = Manifest::new(
            &config(Some(service())),
            "ledger-agent",
            "x86_64-pc-windows-msvc",
            Arch::X64,
            artifacts(),
        );
        assert_eq!(m.svcpack_version, env!("CARGO_PKG_VERSION"));
        m.svcpack_version = "0.0.0-snapshot".into();
        let json = m.to_json().unwrap();
        assert_eq!(json, SNAPSHOT);
        assert_eq!(Manifest::from_json(&json).unwrap(), m);
    }

    #[test]
    fn plain_application_has_null_service() {
        let mut m = Manifest::new(
            &config(None),
            "plain-app",
            "aarch64-pc-windows-msvc",
            Arch::Arm64,
            vec![],
        );
        m.svcpack_version = "0.0.0-snapshot".into();
        assert_eq!(
            m.to_json().unwrap(),
            "{\n  \"schema\": 1,\n  \"svcpack_version\": \"0.0.0-snapshot\",\n  \"package\": \"plain-app\",\n  \
             \"version\": \"1.4.0-beta.2+g1234\",\n  \"msi_version\": \"1.4.0\",\n  \
             \"target\": \"aarch64-pc-windows-msvc\",\n  \"arch\": \"arm64\",\n  \"targets\": [\n    {\n      \
             \"target\": \"aarch64-pc-windows-msvc\",\n      \"arch\": \"arm64\"\n    }\n  ],\n  \
             \"service\": null,\n  \
             \"artifacts\": []\n}\n"
        );
    }

    #[test]
    fn output_is_sorted_whatever_the_input_order() {
        let c = config(Some(service()));
        let a = Manifest::new(&c, "p", "x86_64-pc-windows-gnu", Arch::X64, artifacts());
        let mut reversed = artifacts();
        reversed.reverse();
        let mut b = a.clone();
        b.artifacts = reversed;
        assert_eq!(a.to_json().unwrap(), b.to_json().unwrap());
    }

    #[test]
    fn several_targets_are_listed_and_each_artifact_names_its_own() {
        let c = config(None);
        let msi = |arch: &str| format!("p-1.0.0-{arch}.msi");
        let artifacts = vec![
            Artifact::from_bytes(&msi("x64"), ArtifactKind::Msi, b"a", false)
                .for_target("x86_64-pc-windows-gnu", Arch::X64),
            Artifact::from_bytes(&msi("x86"), ArtifactKind::Msi, b"b", false)
                .for_target("i686-pc-windows-gnu", Arch::X86),
            Artifact::from_bytes("SHA256SUMS", ArtifactKind::Checksums, b"s", false),
        ];
        let target = |t: &str, arch| TargetSummary {
            target: t.into(),
            arch,
        };
        let m = Manifest::for_targets(
            &c,
            "p",
            target("x86_64-pc-windows-gnu", Arch::X64),
            vec![target("i686-pc-windows-gnu", Arch::X86)],
            artifacts,
        );
        let v: serde_json::Value = serde_json::from_str(&m.to_json().unwrap()).unwrap();
        assert_eq!(
            (&v["target"], &v["arch"]),
            (&json!("x86_64-pc-windows-gnu"), &json!("x64"))
        );
        assert_eq!(
            v["targets"],
            json!([
                {"target": "x86_64-pc-windows-gnu", "arch": "x64"},
                {"target": "i686-pc-windows-gnu", "arch": "x86"}
            ])
        );
        let arts = v["artifacts"].as_array().unwrap();
        assert_eq!(arts[0]["path"], "SHA256SUMS");
        assert!(arts[0].get("target").is_none() && arts[0].get("arch").is_none());
        assert_eq!(
            (&arts[2]["path"], &arts[2]["arch"]),
            (&json!("p-1.0.0-x86.msi"), &json!("x86"))
        );
        assert_eq!(Manifest::from_json(&m.to_json().unwrap()).unwrap(), m);
        // A manifest written before `targets` existed still reads.
        let mut old: serde_json::Value = serde_json::from_str(SNAPSHOT).unwrap();
        old.as_object_mut().unwrap().remove("targets");
        assert!(Manifest::from_json(&old.to_string())
            .unwrap()
            .targets
            .is_empty());
        assert_eq!(
            multi_target_file_name("ledger-agent", "1.4.0"),
            "ledger-agent-1.4.0.manifest.json"
        );
    }

    #[test]
    fn readers_ignore_unknown_keys() {
        let mut value: serde_json::Value = serde_json::from_str(SNAPSHOT).unwrap();
        value["future_key"] = serde_json::json!({"x": 1});
        let m = Manifest::from_json(&value.to_string()).unwrap();
        assert_eq!(m.schema, SCHEMA_VERSION);
        assert!(Manifest::from_json("{").is_err());
    }

    #[test]
    fn arch_from_target_and_file_name() {
        assert_eq!(Arch::from_target("x86_64-pc-windows-gnu"), Some(Arch::X64));
        assert_eq!(Arch::from_target("x86_64-pc-windows-msvc"), Some(Arch::X64));
        assert_eq!(Arch::from_target("i686-pc-windows-msvc"), Some(Arch::X86));
        assert_eq!(
            Arch::from_target("aarch64-pc-windows-msvc"),
            Some(Arch::Arm64)
        );
        assert_eq!(Arch::from_target("wasm32-unknown-unknown"), None);
        assert_eq!(Arch::from_target(""), None);
        assert_eq!(
            file_name("ledger-agent", "1.4.0", Arch::X86),
            "ledger-agent-1.4.0-x86.manifest.json"
        );
    }
}
