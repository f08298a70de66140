//! The command line: argument definitions (clap derive) and the one place that maps
//! errors to exit statuses (0 success, 1 error, 2 usage error).
//!
//! Works both as `cargo svcpack <cmd>` (cargo passes `svcpack` as the first argument)
//! and as `cargo-svcpack svcpack <cmd>` / `cargo-svcpack <cmd>`.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::wix;

#[derive(Parser, Debug)]
#[command(
    name = "cargo-svcpack",
    bin_name = "cargo svcpack",
    version,
    about = "Package a Windows service as MSI, portable zip, checksums and manifest, from any OS"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Compile WiX v3/v4 sources into an MSI with the native compiler.
    Compile(CompileArgs),
    /// Show product, versions, files, services, recovery and signature of an MSI.
    Inspect(InspectArgs),
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Arch {
    X86,
    X64,
    Arm64,
}

impl Arch {
    pub fn as_str(self) -> &'static str {
        match self {
            Arch::X86 => "x86",
            Arch::X64 => "x64",
            Arch::Arm64 => "arm64",
        }
    }
}

#[derive(Args, Debug)]
pub struct CompileArgs {
    /// WiX source files (.wxs).
    #[arg(required = true, value_name = "FILE.wxs")]
    pub sources: Vec<PathBuf>,
    /// Output MSI (default: the first source's name with .msi).
    #[arg(short = 'o', long = "out", value_name = "OUT.msi")]
    pub out: Option<PathBuf>,
    /// Target architecture.
    #[arg(short = 'a', long = "arch", value_enum, default_value = "x64")]
    pub arch: Arch,
    /// Define a preprocessor variable.
    #[arg(short = 'D', value_name = "NAME[=VALUE]")]
    pub defines: Vec<String>,
    /// Add a directory to the include search path.
    #[arg(short = 'I', value_name = "DIR")]
    pub include_dirs: Vec<PathBuf>,
    /// Resolve relative Source paths against this directory (default: current directory).
    #[arg(short = 'b', long = "base-dir", value_name = "DIR")]
    pub base_dir: Option<PathBuf>,
    /// Print nothing but errors.
    #[arg(short = 'q', long)]
    pub quiet: bool,
}

#[derive(Args, Debug)]
pub struct InspectArgs {
    /// The MSI to read.
    #[arg(value_name = "FILE.msi")]
    pub msi: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Parses `NAME[=VALUE]`.
pub fn parse_define(d: &str) -> Result<(String, String), String> {
    let (name, value) = d.split_once('=').unwrap_or((d, ""));
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
    if !valid {
        return Err(format!(
            "-D {d}: `{name}` is not a valid variable name (letters, digits, _ and .)"
        ));
    }
    Ok((name.to_string(), value.to_string()))
}

/// Runs the CLI on the process arguments.
pub fn main() -> ExitCode {
    let mut args: Vec<OsString> = std::env::args_os().collect();
    // `cargo svcpack x` runs `cargo-svcpack svcpack x`.
    if args.get(1).is_some_and(|a| a == "svcpack") {
        args.remove(1);
    }
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            // clap: help/version are successes, everything else a usage error.
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    ExitCode::SUCCESS
                }
                _ => ExitCode::from(2),
            };
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(msg)) => {
            eprintln!("error: {msg}");
            ExitCode::from(2)
        }
        Err(Failure::Error(msg)) => {
            eprintln!("{msg}");
            ExitCode::from(1)
        }
    }
}

/// Why a command failed: decides the exit status.
pub enum Failure {
    Usage(String),
    Error(String),
}

impl From<wix::WixError> for Failure {
    fn from(e: wix::WixError) -> Self {
        Failure::Error(e.to_string())
    }
}

fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Compile(a) => compile(a),
        Command::Inspect(a) => inspect(a),
    }
}

fn compile(a: CompileArgs) -> Result<(), Failure> {
    let mut opts = wix::CompileOptions::new(a.arch.as_str());
    let mut defines = BTreeMap::new();
    for d in &a.defines {
        let (k, v) = parse_define(d).map_err(Failure::Usage)?;
        defines.insert(k, v);
    }
    opts.defines = defines;
    opts.include_dirs = a.include_dirs.clone();
    if let Some(b) = &a.base_dir {
        opts.base_dir = b.clone();
    }
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| a.sources[0].with_extension("msi"));
    let compiled = wix::compile_to_file(&a.sources, &out, &opts)?;
    for w in &compiled.warnings {
        eprintln!("{w}");
    }
    if !a.quiet {
        eprintln!("wrote {} ({} bytes)", out.display(), compiled.msi.len());
    }
    Ok(())
}

fn inspect(a: InspectArgs) -> Result<(), Failure> {
    let report = wix::inspect::inspect_file(&a.msi).map_err(Failure::Error)?;
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).map_err(|e| Failure::Error(e.to_string()))?
        );
    } else {
        print!("{}", report.to_text());
    }
    Ok(())
}
