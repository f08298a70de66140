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

use crate::config::PackageInfo;
use crate::{pipeline, plan, progress, wix};

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
    /// Build the service and package it: MSI, portable zip, SHA256SUMS and manifest.
    Build(BuildArgs),
    /// Eject the built-in WiX templates to wix/ for editing, or (--ci) write a release pipeline.
    Init(InitArgs),
    /// Print the WiX source that `build` would compile (for a Linux target: the systemd unit).
    Render(RenderArgs),
    /// Compile WiX v3/v4 sources into an MSI with the native compiler.
    Compile(CompileArgs),
    /// Show product, versions, files, services, recovery and signature of an MSI; control
    /// fields, conffiles and units of a .deb.
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
    /// Bind path: where relative File/@Source paths not found from the current directory
    /// are searched, in order (repeatable); NAME=DIR names one for `!(bindpath.NAME)`.
    #[arg(short = 'b', long = "bindpath", value_name = "[NAME=]DIR")]
    pub bind_paths: Vec<String>,
    /// Localization file (.wxl) for `!(loc.X)` strings (repeatable).
    #[arg(long = "loc", value_name = "FILE.wxl")]
    pub loc_files: Vec<PathBuf>,
    /// Culture whose .wxl strings are used, in fallback order (repeatable; culture-neutral
    /// files always come last).
    #[arg(long = "culture", value_name = "CULTURE")]
    pub cultures: Vec<String>,
    /// Set a WiX variable `!(wix.NAME)`, overriding any WixVariable (repeatable).
    #[arg(long = "bindvariable", value_name = "NAME=VALUE")]
    pub bind_variables: Vec<String>,
    /// Generate automatic component GUIDs as WiX v3 did (WiX's -bcgg), keeping the
    /// component codes of packages first built with WiX v3.
    #[arg(long = "bcgg")]
    pub bcgg: bool,
    /// Cabinet compression threads (WiX's -ct; 0 = all cores).
    #[arg(long = "ct", value_name = "N", default_value_t = 0)]
    pub cabinet_threads: usize,
    /// The installer helper that implements `firewall:FirewallException` (default: built
    /// from svcpack's embedded source with cargo for the architecture, then cached).
    #[arg(long = "helper", value_name = "svcpack-helper.exe")]
    pub helper: Option<PathBuf>,
    /// Print nothing but errors.
    #[arg(short = 'q', long)]
    pub quiet: bool,
}

/// Where the package and its configuration come from (shared by build and render).
#[derive(Args, Debug, Clone)]
pub struct PackageArgs {
    /// Path to the service's Cargo.toml.
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// Package to build (in a workspace).
    #[arg(short = 'p', long = "package", value_name = "PKG")]
    pub package: Option<String>,
    /// Target triple, Windows or Linux (default: x86_64-pc-windows-gnu on non-Windows hosts);
    /// `build` takes it repeatedly to package several targets, Windows and Linux mixed, in
    /// one build.
    #[arg(long = "target", value_name = "TRIPLE")]
    pub targets: Vec<String>,
    /// A standalone svcpack.toml for a binary cargo does not build (needs --no-build --binary).
    #[arg(long = "config", value_name = "svcpack.toml")]
    pub config: Option<PathBuf>,
    /// Package an existing executable instead of running cargo (with --binary).
    #[arg(long)]
    pub no_build: bool,
    /// The executable to package with --no-build.
    #[arg(long, value_name = "PATH", requires = "no_build")]
    pub binary: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct BuildArgs {
    #[command(flatten)]
    pub pkg: PackageArgs,
    /// Cargo profile (default: release).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Features to enable.
    #[arg(long, value_name = "F", value_delimiter = ',')]
    pub features: Vec<String>,
    #[arg(long)]
    pub all_features: bool,
    #[arg(long)]
    pub no_default_features: bool,
    /// Where the artifacts go (default: <target-dir>/svcpack).
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// Build unsigned even when signing is configured.
    #[arg(long)]
    pub no_sign: bool,
    /// Treat a service exe that never calls StartServiceCtrlDispatcher as an error.
    #[arg(long)]
    pub strict: bool,
    /// Progress format.
    #[arg(long, value_enum, default_value = "human")]
    pub message_format: MessageFormat,
    /// Show every stage, also when not on a terminal.
    #[arg(short = 'v', long, conflicts_with = "quiet")]
    pub verbose: bool,
    /// Print errors only.
    #[arg(short = 'q', long)]
    pub quiet: bool,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum MessageFormat {
    Human,
    Json,
}

#[derive(Args, Debug)]
pub struct InitArgs {
    /// Path to the service's Cargo.toml (templates go to wix/ beside it).
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// Overwrite existing files in wix/ (or the existing pipeline file with --ci).
    #[arg(long)]
    pub force: bool,
    /// Write a release pipeline for Linux runners instead: .github/workflows/release.yml
    /// (github) or .gitlab-ci.yml (gitlab), in the workspace root.
    #[arg(long, value_enum, value_name = "PROVIDER")]
    pub ci: Option<crate::ci::Provider>,
}

#[derive(Args, Debug)]
pub struct RenderArgs {
    #[command(flatten)]
    pub pkg: PackageArgs,
    /// Write to FILE instead of standard output.
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct InspectArgs {
    /// The MSI (or .deb) to read.
    #[arg(value_name = "FILE.msi|FILE.deb")]
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
        Command::Build(a) => build(a),
        Command::Init(a) => init(a),
        Command::Render(a) => render(a),
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
    opts.loc_files = a.loc_files.clone();
    opts.cultures = a.cultures.clone();
    opts.backward_compatible_guids = a.bcgg;
    opts.threads = a.cabinet_threads;
    for d in &a.bind_variables {
        let (k, v) = parse_define(d).map_err(Failure::Usage)?;
        opts.bind_variables.insert(k, v);
    }
    opts.bind_paths = a
        .bind_paths
        .iter()
        .map(|b| wix::BindPath::parse(b))
        .collect();
    // The helper is built into cargo's target folder, as `build` keeps it.
    let cache_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target"))
        .join("svcpack-host");
    opts.actions = Some(crate::firewall::action_provider(
        a.arch.as_str(),
        a.helper.clone(),
        &cache_dir,
    ));
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| a.sources[0].with_extension("msi"));
    let compiled = match wix::compile_to_file(&a.sources, &out, &opts) {
        Ok(c) => c,
        Err(e) => {
            // Warnings found before the error come first, as WiX prints them.
            for w in &e.warnings {
                eprintln!("{w}");
            }
            return Err(e.into());
        }
    };
    for w in &compiled.warnings {
        eprintln!("{w}");
    }
    if !a.quiet {
        eprintln!("wrote {} ({} bytes)", out.display(), compiled.msi_len);
    }
    Ok(())
}

fn inspect(a: InspectArgs) -> Result<(), Failure> {
    let is_deb = a
        .msi
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("deb"));
    if is_deb {
        if a.json {
            return Err(Failure::Usage(
                "--json reads MSIs only; a .deb is shown as text".into(),
            ));
        }
        let report = crate::linux::inspect::inspect_deb(&a.msi).map_err(Failure::Error)?;
        print!("{report}");
        return Ok(());
    }
    let mut report = crate::inspect::inspect_msi(&a.msi).map_err(Failure::Error)?;
    report.signature = crate::sign::signature_info(&a.msi);
    let mut packaged = crate::sign::packaged_signatures(&a.msi);
    for f in &mut report.files {
        f.signature = packaged.remove(&f.id);
    }
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

/// Configuration, package identity and cargo's target dir for build/render.
fn configure(
    p: &PackageArgs,
) -> Result<(PackageInfo, crate::config::Loaded, Option<PathBuf>), Failure> {
    if p.no_build && p.binary.is_none() {
        return Err(Failure::Usage(
            "--no-build needs --binary PATH (the executable to package)".into(),
        ));
    }
    if let Some(cfg) = &p.config {
        if !p.no_build {
            return Err(Failure::Usage("--config svcpack.toml is for programs cargo does not build: add --no-build --binary PATH".into()));
        }
        let (info, loaded) = crate::config::load_standalone(cfg)
            .map_err(|e| Failure::Error(format!("error: {e}")))?;
        return Ok((info, loaded, None));
    }
    let pkg = crate::cargo::package(p.manifest_path.as_deref(), p.package.as_deref())
        .map_err(|e| Failure::Error(format!("error: {e}")))?;
    let loaded = crate::config::load_cargo(&pkg.manifest_path, &pkg.info)
        .map_err(|e| Failure::Error(format!("error: {e}")))?;
    Ok((pkg.info, loaded, Some(pkg.target_dir)))
}

fn build(a: BuildArgs) -> Result<(), Failure> {
    let format = if a.message_format == MessageFormat::Json {
        progress::Format::Json
    } else {
        progress::Format::Human
    };
    let verbosity = if a.quiet {
        progress::Verbosity::Quiet
    } else if a.verbose {
        progress::Verbosity::Verbose
    } else {
        progress::Verbosity::Normal
    };
    let rep = progress::Reporter::new(format, verbosity);
    let result = (|| {
        let (info, loaded, target_dir) = configure(&a.pkg)?;
        let input = plan::PlanInput {
            manifest_path: a.pkg.manifest_path.clone(),
            // `--target` wins over the configured `targets`.
            targets: if a.pkg.targets.is_empty() {
                loaded.targets.clone()
            } else {
                a.pkg.targets.clone()
            },
            profile: a.profile.clone(),
            features: a.features.clone(),
            all_features: a.all_features,
            no_default_features: a.no_default_features,
            prebuilt: a.pkg.binary.as_deref().map(plan::resolve_binary),
            out_dir: a.out_dir.clone(),
            no_sign: a.no_sign,
            target_dir,
            release: loaded.release.clone(),
            linux: Some(loaded.linux.clone()),
        };
        let plan =
            plan::plan(info, loaded.config, loaded.warnings, &input).map_err(Failure::Usage)?;
        let opts = pipeline::RunOptions {
            strict: a.strict,
            timestamp: wix::build_timestamp(),
        };
        pipeline::run(&plan, &opts, &rep).map_err(|e| Failure::Error(format!("error: {e}")))?;
        Ok(())
    })();
    if let Err(Failure::Error(m) | Failure::Usage(m)) = &result {
        rep.failed(m);
    }
    result
}

fn init(a: InitArgs) -> Result<(), Failure> {
    if let Some(provider) = a.ci {
        let path = crate::ci::init(a.manifest_path.as_deref(), provider, a.force)
            .map_err(|e| Failure::Error(format!("error: {e}")))?;
        eprintln!("wrote {}", path.display());
        return Ok(());
    }
    let dir = match &a.manifest_path {
        Some(m) => m
            .parent()
            .map(|p| p.join("wix"))
            .unwrap_or_else(|| PathBuf::from("wix")),
        None => PathBuf::from("wix"),
    };
    let written =
        crate::render::eject(&dir, a.force).map_err(|e| Failure::Error(format!("error: {e}")))?;
    for w in written {
        eprintln!("wrote {}", w.display());
    }
    Ok(())
}

/// What `render` made: to `-o FILE`, or to standard output.
fn emit(a: &RenderArgs, text: &str) -> Result<(), Failure> {
    match &a.out {
        Some(path) => std::fs::write(path, text)
            .map_err(|e| Failure::Error(format!("error: cannot write {}: {e}", path.display()))),
        None => {
            print!("{text}");
            Ok(())
        }
    }
}

/// `render` for a Linux target: the systemd unit the .deb installs.
fn render_unit(
    a: &RenderArgs,
    info: &PackageInfo,
    loaded: &crate::config::Loaded,
) -> Result<(), Failure> {
    for w in &loaded.linux.warnings {
        eprintln!("warning: {w}");
    }
    crate::linux::check(&loaded.linux).map_err(Failure::Usage)?;
    let service = loaded.config.service.as_ref().ok_or_else(|| {
        Failure::Usage(
            "a package without [package.metadata.svcpack.service] has no systemd unit to render"
                .into(),
        )
    })?;
    let layout = crate::linux::unit::Layout::deb(&loaded.linux.package);
    let text = crate::linux::unit::render(
        &loaded.config,
        service,
        &loaded.linux,
        &layout,
        info.homepage.as_deref(),
    );
    emit(a, &text)
}

fn render(a: RenderArgs) -> Result<(), Failure> {
    let (info, loaded, _) = configure(&a.pkg)?;
    // Without --target: the first configured target, as build would package it first.
    let target = match (&a.pkg.targets[..], loaded.targets.first()) {
        ([], Some(first)) => first.clone(),
        ([], None) => plan::default_target().to_string(),
        ([one], _) => one.clone(),
        _ => {
            return Err(Failure::Usage(
                "render prints the WiX source of one target: give --target once".into(),
            ))
        }
    };
    let arch = plan::Arch::from_target(&target).map_err(Failure::Usage)?;
    for w in &loaded.warnings {
        eprintln!("warning: {w}");
    }
    if crate::linux::is_linux_target(&target) {
        return render_unit(&a, &info, &loaded);
    }
    let wix = plan::wix_source(&info.manifest_dir);
    plan::check_wix_source(&loaded.config, &wix).map_err(Failure::Usage)?;
    let text = match &wix {
        // Build compiles a cargo-wix source as it is, with cargo-wix's variables.
        plan::WixSource::CargoWix(p) => {
            eprintln!(
                "note: {} is a cargo-wix source: build compiles it as it is, defining \
                 cargo-wix's variables (Version, Platform, CargoTargetBinDir, ...)",
                p.display()
            );
            std::fs::read_to_string(p)
                .map_err(|e| Failure::Error(format!("error: cannot read {}: {e}", p.display())))?
        }
        plan::WixSource::Template { .. } => {
            let exe = match &a.pkg.binary {
                Some(b) => plan::resolve_binary(b),
                None => PathBuf::from(loaded.config.exe_name()),
            };
            let wix_dir = info.manifest_dir.join("wix");
            let input = crate::render::RenderInput::new(&loaded.config, &info, &exe, arch.as_str());
            crate::render::render(&input, Some(&wix_dir))
                .map_err(|e| Failure::Error(format!("error: {e}")))?
        }
    };
    emit(&a, &text)
}
