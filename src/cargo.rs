//! Talking to cargo: which cargo to run, the package's metadata, and building the service
//! binary with the executable found from cargo's JSON messages (never guessed).
//!
//! The cargo used is `$SVCPACK_CARGO`, else `$CARGO` (set when we run as a cargo
//! subcommand), else `cargo`; every other environment variable passes through, so
//! `RUSTC`, linkers and `CARGO_TARGET_*` settings work as the user set them.

use std::ffi::{OsStr, OsString};
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use cargo_metadata::{Message, Metadata, MetadataCommand};

use crate::config::PackageInfo;

/// A failure while running cargo. Cargo's own diagnostics were already shown on stderr.
#[derive(Debug, thiserror::Error)]
pub enum CargoError {
    #[error("cannot run `{program}`: {source} (set SVCPACK_CARGO or CARGO to the cargo to use)")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    #[error("`cargo metadata` failed for {manifest}: {message}")]
    Metadata { manifest: String, message: String },
    #[error("{0}")]
    Selection(String),
    #[error("`{command}` failed ({status}); cargo's messages are above")]
    BuildFailed { command: String, status: String },
    #[error("cargo built no executable for bin target `{bin}` (looked for a compiler-artifact message with an executable)")]
    NoExecutable { bin: String },
}

/// The cargo program to run.
pub fn cargo_program() -> OsString {
    std::env::var_os("SVCPACK_CARGO")
        .or_else(|| std::env::var_os("CARGO"))
        .unwrap_or_else(|| OsString::from("cargo"))
}

/// The package to build and the facts svcpack needs from cargo's metadata.
#[derive(Clone, Debug)]
pub struct CargoPackage {
    pub info: PackageInfo,
    pub manifest_path: PathBuf,
    pub target_dir: PathBuf,
}

/// Reads `cargo metadata` and selects the package: `-p NAME`, else the root package, else
/// the only package of the workspace.
pub fn package(
    manifest_path: Option<&Path>,
    select: Option<&str>,
) -> Result<CargoPackage, CargoError> {
    let mut cmd = MetadataCommand::new();
    cmd.cargo_path(cargo_program()).no_deps();
    if let Some(m) = manifest_path {
        cmd.manifest_path(m);
    }
    let shown = manifest_path
        .map(|m| m.display().to_string())
        .unwrap_or_else(|| "the current directory".into());
    let meta: Metadata = cmd.exec().map_err(|e| CargoError::Metadata {
        manifest: shown.clone(),
        message: one_line(&e.to_string()),
    })?;
    let members: Vec<&cargo_metadata::Package> = meta.workspace_packages();
    let pkg = match select {
        Some(name) => members
            .iter()
            .find(|p| p.name == name)
            .copied()
            .ok_or_else(|| {
                let names: Vec<&str> = members.iter().map(|p| p.name.as_str()).collect();
                CargoError::Selection(format!(
                    "-p {name}: no such package in the workspace (packages: {})",
                    names.join(", ")
                ))
            })?,
        None => match meta.root_package() {
            Some(p) => p,
            None if members.len() == 1 => members[0],
            None => {
                let names: Vec<&str> = members.iter().map(|p| p.name.as_str()).collect();
                return Err(CargoError::Selection(format!(
                    "{shown} is a workspace with several packages; choose one with -p (packages: {})",
                    names.join(", ")
                )));
            }
        },
    };
    let manifest = pkg.manifest_path.clone().into_std_path_buf();
    let info = PackageInfo {
        name: pkg.name.to_string(),
        version: pkg.version.clone(),
        authors: pkg.authors.clone(),
        description: pkg.description.clone(),
        homepage: pkg.homepage.clone(),
        repository: pkg.repository.clone(),
        license: pkg.license.clone(),
        bins: pkg
            .targets
            .iter()
            .filter(|t| t.is_bin())
            .map(|t| t.name.clone())
            .collect(),
        manifest_dir: manifest.parent().map(Path::to_path_buf).unwrap_or_default(),
    };
    Ok(CargoPackage {
        info,
        manifest_path: manifest,
        target_dir: meta.target_directory.into_std_path_buf(),
    })
}

fn one_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// What to build.
#[derive(Clone, Debug)]
pub struct BuildArgs {
    pub manifest_path: PathBuf,
    pub package: String,
    pub bin: String,
    pub target: String,
    /// `None`: `--release`.
    pub profile: Option<String>,
    pub features: Vec<String>,
    pub all_features: bool,
    pub no_default_features: bool,
}

impl BuildArgs {
    /// The cargo arguments, as shown in messages and used to run it.
    pub fn args(&self) -> Vec<String> {
        let mut a = vec![
            "build".to_string(),
            "--message-format=json-render-diagnostics".into(),
        ];
        a.push("--manifest-path".into());
        a.push(self.manifest_path.display().to_string());
        a.extend([
            "-p".to_string(),
            self.package.clone(),
            "--bin".into(),
            self.bin.clone(),
        ]);
        a.extend(["--target".to_string(), self.target.clone()]);
        match &self.profile {
            Some(p) => a.extend(["--profile".to_string(), p.clone()]),
            None => a.push("--release".into()),
        }
        if !self.features.is_empty() {
            a.extend(["--features".to_string(), self.features.join(",")]);
        }
        if self.all_features {
            a.push("--all-features".into());
        }
        if self.no_default_features {
            a.push("--no-default-features".into());
        }
        a
    }
}

/// Runs the build; cargo's diagnostics go to our stderr as cargo renders them. Returns
/// the executable of the requested bin target from the compiler-artifact messages.
pub fn build(args: &BuildArgs) -> Result<PathBuf, CargoError> {
    run_build(&cargo_program(), &args.args(), &args.bin)
}

/// Runs `program argv` — a `cargo build` with `--message-format=json-render-diagnostics` —
/// showing cargo's diagnostics on stderr, and returns the executable of bin target `bin`
/// named by the compiler-artifact messages. Shared by the service build and the service
/// host's build.
pub fn run_build<A: AsRef<OsStr>>(
    program: &OsStr,
    argv: &[A],
    bin: &str,
) -> Result<PathBuf, CargoError> {
    let spawn_err = |source| CargoError::Spawn {
        program: program.to_string_lossy().into_owned(),
        source,
    };
    let mut child = Command::new(program)
        .args(argv)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(spawn_err)?;
    let mut exe = None;
    if let Some(out) = child.stdout.take() {
        for message in Message::parse_stream(BufReader::new(out)) {
            match message {
                Ok(Message::CompilerArtifact(art))
                    if art.target.is_bin() && art.target.name == bin =>
                {
                    if let Some(path) = art.executable {
                        exe = Some(path.into_std_path_buf());
                    }
                }
                Ok(Message::TextLine(line)) => eprintln!("{line}"),
                _ => {}
            }
        }
    }
    let status = child.wait().map_err(spawn_err)?;
    if !status.success() {
        let shown: Vec<String> = argv
            .iter()
            .map(|a| a.as_ref().to_string_lossy().into_owned())
            .collect();
        return Err(CargoError::BuildFailed {
            command: format!("{} {}", program.to_string_lossy(), shown.join(" ")),
            status: status.to_string(),
        });
    }
    exe.ok_or_else(|| CargoError::NoExecutable {
        bin: bin.to_string(),
    })
}

/// The executable of `bin` in a stream of cargo JSON messages (the same rule `build` uses).
pub fn executable_from_messages(json_lines: &str, bin: &str) -> Option<PathBuf> {
    let mut exe = None;
    for message in Message::parse_stream(BufReader::new(json_lines.as_bytes())).flatten() {
        if let Message::CompilerArtifact(art) = message {
            if art.target.is_bin() && art.target.name == bin {
                exe = art.executable.map(|p| p.into_std_path_buf()).or(exe);
            }
        }
    }
    exe
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn args_follow_the_request() {
        let a = BuildArgs {
            manifest_path: "svc/Cargo.toml".into(),
            package: "svc".into(),
            bin: "svc".into(),
            target: "x86_64-pc-windows-gnu".into(),
            profile: None,
            features: vec!["a".into(), "b".into()],
            all_features: false,
            no_default_features: true,
        };
        let args = a.args().join(" ");
        assert!(args.contains("--release"));
        assert!(args.contains("--target x86_64-pc-windows-gnu"));
        assert!(args.contains("--features a,b"));
        assert!(args.contains("--no-default-features"));
        assert!(args.contains("--bin svc"));
        let p = BuildArgs {
            profile: Some("dist".into()),
            ..a
        };
        assert!(p
            .args()
            .join(" ")
            .contains("--message-format=json-render-diagnostics"));
        assert!(p.args().join(" ").contains("--profile dist"));
        assert!(!p.args().join(" ").contains("--release"));
    }
}

#[cfg(test)]
mod message_tests {
    #[test]
    fn executable_comes_from_the_bin_artifact() {
        let lines = r#"{"reason":"compiler-artifact","package_id":"svc 0.1.0 (path+file:///x)","manifest_path":"/x/Cargo.toml","target":{"kind":["bin"],"crate_types":["bin"],"name":"svc","src_path":"/x/src/main.rs","edition":"2021","doc":true,"doctest":false,"test":true},"profile":{"opt_level":"3","debuginfo":0,"debug_assertions":false,"overflow_checks":false,"test":false},"features":[],"filenames":["/x/target/svc.exe"],"executable":"/x/target/svc.exe","fresh":false}
{"reason":"build-finished","success":true}"#;
        assert_eq!(
            super::executable_from_messages(lines, "svc"),
            Some("/x/target/svc.exe".into())
        );
        assert_eq!(super::executable_from_messages(lines, "other"), None);
    }
}
