//! The build plan: configuration + cargo's package facts + the command line → everything
//! `cargo svcpack build` will do, as data, before anything runs.
//!
//! Pure (no processes, no writes): the CLI gathers inputs, [`plan`] decides target,
//! architecture, artifact names, the WiX source, and the stage list; [`crate::pipeline`]
//! executes it. This is what makes the plan testable without cargo or Wine.

use std::path::{Path, PathBuf};

use crate::config::{Compress, Config, PackageInfo};
use crate::version::MsiVersion;

/// The MSI architecture of a target triple.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Arch {
    X86,
    X64,
    Arm64,
}

/// The manifest names architectures in its own (serialized) terms.
impl From<Arch> for crate::manifest::Arch {
    fn from(a: Arch) -> Self {
        match a {
            Arch::X64 => crate::manifest::Arch::X64,
            Arch::X86 => crate::manifest::Arch::X86,
            Arch::Arm64 => crate::manifest::Arch::Arm64,
        }
    }
}

impl Arch {
    /// From a Rust target triple: Windows targets, and the Linux targets svcpack packages
    /// as .deb and tarball.
    pub fn from_target(triple: &str) -> Result<Arch, String> {
        if crate::linux::is_linux_target(triple) {
            return match triple.split('-').next().unwrap_or_default() {
                "x86_64" => Ok(Arch::X64),
                "aarch64" => Ok(Arch::Arm64),
                other => Err(format!(
                    "--target {triple}: architecture `{other}` is not packaged for Linux; use \
                     x86_64-unknown-linux-gnu or aarch64-unknown-linux-gnu"
                )),
            };
        }
        if !triple.contains("windows") {
            return Err(format!(
                "--target {triple} is neither a Windows nor a Linux target; use e.g. x86_64-pc-windows-msvc, \
                 x86_64-pc-windows-gnu, i686-pc-windows-msvc, aarch64-pc-windows-msvc, x86_64-unknown-linux-gnu \
                 or aarch64-unknown-linux-gnu"
            ));
        }
        match triple.split('-').next().unwrap_or_default() {
            "x86_64" => Ok(Arch::X64),
            "i686" | "i586" => Ok(Arch::X86),
            "aarch64" => Ok(Arch::Arm64),
            other => Err(format!(
                "--target {triple}: architecture `{other}` has no MSI platform (x64, x86, arm64)"
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Arch::X86 => "x86",
            Arch::X64 => "x64",
            Arch::Arm64 => "arm64",
        }
    }

    /// The PE machine type an executable for this architecture must have.
    pub fn machine(self) -> crate::pe::Machine {
        match self {
            Arch::X86 => crate::pe::Machine::X86,
            Arch::X64 => crate::pe::Machine::X64,
            Arch::Arm64 => crate::pe::Machine::Arm64,
        }
    }
}

/// The default target when `--target` is absent: the host's own on Windows, else the
/// MinGW target, which cross-links from any host with mingw-w64 installed.
pub fn default_target() -> &'static str {
    if cfg!(all(windows, target_arch = "x86_64", target_env = "msvc")) {
        "x86_64-pc-windows-msvc"
    } else if cfg!(all(windows, target_arch = "aarch64")) {
        "aarch64-pc-windows-msvc"
    } else {
        "x86_64-pc-windows-gnu"
    }
}

/// Where the service executable comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExeSource {
    /// `cargo build` of this package's bin target.
    Cargo {
        manifest_path: PathBuf,
        package: String,
        bin: String,
        profile: Option<String>,
        features: Vec<String>,
        all_features: bool,
        no_default_features: bool,
    },
    /// `--no-build --binary PATH`.
    Prebuilt(PathBuf),
}

/// Which WiX source the MSI is compiled from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WixSource {
    /// The built-in template (or an ejected one in `wix/`, which wins).
    Template { user_dir: Option<PathBuf> },
    /// A cargo-wix project's `wix/main.wxs`, compiled with cargo-wix's variables.
    CargoWix(PathBuf),
}

/// One stage of the build, in execution order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    Configure,
    Compile,
    /// Build, stamp and configure svcpack's service host (hosted services only).
    Host,
    /// Build (or take from the cache) and stamp svcpack's installer helper (services
    /// packaged with svcpack's template).
    Helper,
    Stamp,
    Compress,
    SignExe,
    Render,
    Msi,
    SignMsi,
    Zip,
    /// The CycloneDX SBOM of what the (final, signed) MSI installs.
    Sbom,
    /// The .deb and the tarball (Linux targets).
    Linux,
    /// winget manifests (with `[release] winget-id`).
    Winget,
    Checksums,
}

impl Stage {
    pub fn name(self) -> &'static str {
        match self {
            Stage::Configure => "configure",
            Stage::Compile => "compile",
            Stage::Host => "service host",
            Stage::Helper => "installer helper",
            Stage::Stamp => "stamp",
            Stage::Compress => "compress",
            Stage::SignExe => "sign exe",
            Stage::Render => "render",
            Stage::Msi => "msi",
            Stage::SignMsi => "sign msi",
            Stage::Zip => "zip",
            Stage::Sbom => "sbom",
            Stage::Winget => "winget",
            Stage::Linux => "linux packages",
            Stage::Checksums => "checksums + manifest",
        }
    }

    /// True for the stages that run once per target (compile through sbom, and linux);
    /// configure runs before them, winget and checksums + manifest once after all of them.
    pub fn per_target(self) -> bool {
        !matches!(self, Stage::Configure | Stage::Winget | Stage::Checksums)
    }
}

/// One target of the build: its triple, its architecture and the file names (inside the
/// out-dir) of the artifacts made for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetPlan {
    /// The Rust target triple.
    pub triple: String,
    pub arch: Arch,
    /// `<package>-<version>-<arch>.msi` (empty for a Linux target).
    pub msi: String,
    /// `<package>-<version>-<arch>-portable.zip` (empty for a Linux target).
    pub zip: String,
    /// `<package>-<version>-<arch>.cdx.json` (empty for a Linux target).
    pub sbom: String,
    /// Linux targets: the .deb and the tarball instead of the Windows artifacts.
    pub linux: Option<LinuxArtifacts>,
}

impl TargetPlan {
    /// True when `stage` runs for this target: compile for every target, the linux stage
    /// for Linux targets, the exe, MSI, zip and SBOM stages for Windows targets.
    pub fn runs(&self, stage: Stage) -> bool {
        match stage {
            Stage::Compile => true,
            Stage::Linux => self.linux.is_some(),
            _ => self.linux.is_none() && stage.per_target(),
        }
    }
}

/// File names of a Linux target's packages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinuxArtifacts {
    /// `<package>_<version>-<revision>_<arch>.deb`.
    pub deb: String,
    /// `<package>-<version>-<triple>.tar.gz`.
    pub tarball: String,
}

/// File names (inside the out-dir) of the artifacts that cover the whole build.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Artifacts {
    /// `SHA256SUMS`: every target's MSI, zip and SBOM, or .deb and tarball.
    pub checksums: String,
    /// `<package>-<version>-<arch>.manifest.json` for one Windows target (the name it always
    /// had), `<package>-<version>-<triple>.manifest.json` for one Linux target,
    /// `<package>-<version>.manifest.json` for several.
    pub manifest: String,
}

/// The whole build, decided up front.
#[derive(Clone, Debug)]
pub struct Plan {
    pub package: PackageInfo,
    pub config: Config,
    pub warnings: Vec<String>,
    pub version: MsiVersion,
    /// The targets, in command-line order; never empty. Each Windows target gets its own
    /// exe, MSI, zip and SBOM, each Linux target its .deb and tarball; checksums and
    /// manifest cover them all, winget manifests every Windows target.
    pub targets: Vec<TargetPlan>,
    pub exe: ExeSource,
    pub wix: WixSource,
    pub out_dir: PathBuf,
    pub artifacts: Artifacts,
    pub stages: Vec<Stage>,
    pub sign: bool,
    /// Where svcpack's service host is built and cached: `<target-dir>/svcpack-host`.
    pub host_cache_dir: PathBuf,
    /// `[release]`: download URL and winget identifier.
    pub release: crate::config::Release,
    /// `[linux]` and the Linux reading of the service keys, checked; `None` when no Linux
    /// target is built.
    pub linux: Option<crate::config::Linux>,
}

/// Inputs the CLI gathered.
#[derive(Clone, Debug, Default)]
pub struct PlanInput {
    pub manifest_path: Option<PathBuf>,
    /// `--target`, repeated; empty: [`default_target`].
    pub targets: Vec<String>,
    pub profile: Option<String>,
    pub features: Vec<String>,
    pub all_features: bool,
    pub no_default_features: bool,
    pub prebuilt: Option<PathBuf>,
    pub out_dir: Option<PathBuf>,
    pub no_sign: bool,
    /// Cargo's target directory (default out-dir is `<target-dir>/svcpack`).
    pub target_dir: Option<PathBuf>,
    /// `[release]` from the configuration.
    pub release: crate::config::Release,
    /// `[linux]` from the configuration; a Linux target needs it.
    pub linux: Option<crate::config::Linux>,
}

/// Decides the plan. Errors are one line, naming the option at fault.
pub fn plan(
    package: PackageInfo,
    config: Config,
    warnings: Vec<String>,
    input: &PlanInput,
) -> Result<Plan, String> {
    let triples = if input.targets.is_empty() {
        vec![default_target().to_string()]
    } else {
        input.targets.clone()
    };
    let linux = linux_settings(&config, input, &triples)?;
    let mut targets: Vec<TargetPlan> = Vec::new();
    for triple in triples {
        targets.push(target_plan(&package, linux.as_ref(), &targets, triple)?);
    }
    let windows = targets.iter().any(|t| t.linux.is_none());
    let exe = exe_source(&package, &config, input, targets.len())?;
    let wix = wix_source(&package.manifest_dir);
    let artifacts = Artifacts {
        checksums: "SHA256SUMS".into(),
        manifest: manifest_name(&package, &targets),
    };
    // Only Windows artifacts are signed; a Linux-only build ignores `[sign]` (with the
    // warning the Linux settings carry).
    let sign = windows && config.sign.is_some() && !input.no_sign;
    let stages = stages(&config, input, &exe, &wix, windows, sign, linux.is_some())?;
    let mut warnings = warnings;
    if let Some(l) = &linux {
        // Windows-only keys are worth a warning only when a Linux package is made.
        warnings.extend(l.warnings.iter().cloned());
    }
    let target_dir = match &input.target_dir {
        Some(t) => t.clone(),
        None => package.manifest_dir.join("target"),
    };
    Ok(Plan {
        host_cache_dir: target_dir.join("svcpack-host"),
        out_dir: input
            .out_dir
            .clone()
            .unwrap_or_else(|| target_dir.join("svcpack")),
        version: config.version.clone(),
        package,
        config,
        warnings,
        targets,
        exe,
        wix,
        artifacts,
        stages,
        sign,
        release: input.release.clone(),
        linux,
    })
}

/// The Linux settings, checked once, before any work, when a Linux target is built.
fn linux_settings(
    config: &Config,
    input: &PlanInput,
    triples: &[String],
) -> Result<Option<crate::config::Linux>, String> {
    if !triples.iter().any(|t| crate::linux::is_linux_target(t)) {
        return Ok(None);
    }
    let linux = input.linux.clone().ok_or_else(|| {
        "a Linux --target needs the configuration's Linux settings, which were not read".to_string()
    })?;
    crate::linux::check(&linux)?;
    crate::linux::check_dests(config, &linux)?;
    Ok(Some(linux))
}

/// The prebuilt `--binary` (for one target only), or what cargo is asked to build.
fn exe_source(
    package: &PackageInfo,
    config: &Config,
    input: &PlanInput,
    targets: usize,
) -> Result<ExeSource, String> {
    Ok(match &input.prebuilt {
        Some(p) if targets > 1 => {
            return Err(format!(
                "--binary {} is one executable, for one architecture: give one --target with --no-build",
                p.display()
            ))
        }
        Some(p) => ExeSource::Prebuilt(p.clone()),
        None => ExeSource::Cargo {
            manifest_path: input
                .manifest_path
                .clone()
                .unwrap_or_else(|| package.manifest_dir.join("Cargo.toml")),
            package: package.name.clone(),
            bin: config.binary.clone(),
            profile: input.profile.clone(),
            features: input.features.clone(),
            all_features: input.all_features,
            no_default_features: input.no_default_features,
        },
    })
}

/// A cargo-wix `wix/main.wxs`, else the template (the user's `wix/main.wxs.hbs` if any).
pub fn wix_source(manifest_dir: &Path) -> WixSource {
    let wix_dir = manifest_dir.join("wix");
    if wix_dir.join("main.wxs").is_file() {
        WixSource::CargoWix(wix_dir.join("main.wxs"))
    } else if wix_dir.join("main.wxs.hbs").is_file() {
        WixSource::Template {
            user_dir: Some(wix_dir),
        }
    } else {
        WixSource::Template { user_dir: None }
    }
}

/// The release manifest's file name: one target's, or the multi-target one.
fn manifest_name(package: &PackageInfo, targets: &[TargetPlan]) -> String {
    let full_version = package.version.to_string();
    match targets {
        // A Linux package's manifest has always carried the triple.
        [one] if one.linux.is_some() => {
            format!(
                "{}-{full_version}-{}.manifest.json",
                package.name, one.triple
            )
        }
        [one] => crate::manifest::file_name(&package.name, &full_version, one.arch.into()),
        _ => crate::manifest::multi_target_file_name(&package.name, &full_version),
    }
}

/// The stages in the order they run.
fn stages(
    config: &Config,
    input: &PlanInput,
    exe: &ExeSource,
    wix: &WixSource,
    windows: bool,
    sign: bool,
    linux: bool,
) -> Result<Vec<Stage>, String> {
    let mut stages = vec![Stage::Configure];
    if matches!(exe, ExeSource::Cargo { .. }) {
        stages.push(Stage::Compile);
    }
    if windows {
        stages.extend(windows_stages(config, wix, sign)?);
    }
    if linux {
        stages.push(Stage::Linux);
    }
    if windows && input.release.winget_id.is_some() {
        stages.push(Stage::Winget);
    }
    stages.push(Stage::Checksums);
    Ok(stages)
}

/// A hosted service is installed by svcpack's template (it installs the service host): a
/// cargo-wix source cannot carry it.
pub fn check_wix_source(config: &Config, wix: &WixSource) -> Result<(), String> {
    let hosted = config.service.as_ref().is_some_and(|s| s.host.is_some());
    match wix {
        WixSource::CargoWix(p) if hosted => Err(format!(
            "[package.metadata.svcpack.service.host] needs svcpack's WiX template, which installs the service host, \
             but {} is a cargo-wix source; remove it (or run `cargo svcpack init` and edit the template instead)",
            p.display()
        )),
        _ => Ok(()),
    }
}

/// The stages that make the MSI, its zip and its SBOM.
fn windows_stages(config: &Config, wix: &WixSource, sign: bool) -> Result<Vec<Stage>, String> {
    let mut stages = Vec::new();
    check_wix_source(config, wix)?;
    if config.service.as_ref().is_some_and(|s| s.host.is_some()) {
        stages.push(Stage::Host);
    }
    if config.service.is_some() && matches!(wix, WixSource::Template { .. }) {
        stages.push(Stage::Helper);
    }
    stages.push(Stage::Stamp);
    if !matches!(config.compress, Compress::None) {
        stages.push(Stage::Compress);
    }
    if sign {
        stages.push(Stage::SignExe);
    }
    stages.extend([Stage::Render, Stage::Msi]);
    if sign {
        stages.push(Stage::SignMsi);
    }
    stages.extend([Stage::Zip, Stage::Sbom]);
    Ok(stages)
}

/// One target's plan and artifact names, refusing a second target whose artifacts would
/// have the same names: Windows names carry the architecture, Linux names the Debian
/// architecture and the triple, so one Windows and one Linux target may share an
/// architecture, two of the same system may not.
fn target_plan(
    package: &PackageInfo,
    linux: Option<&crate::config::Linux>,
    earlier: &[TargetPlan],
    triple: String,
) -> Result<TargetPlan, String> {
    let arch = Arch::from_target(&triple)?;
    let is_linux = crate::linux::is_linux_target(&triple);
    if let Some(same) = earlier
        .iter()
        .find(|t| t.arch == arch && t.linux.is_some() == is_linux)
    {
        return Err(if same.triple == triple {
            format!("--target {triple} is given twice")
        } else {
            format!(
                "--target {triple} and --target {} are both {} {} targets: one build makes one package per \
                 architecture and system",
                same.triple,
                arch.as_str(),
                if is_linux { "Linux" } else { "Windows" }
            )
        });
    }
    if is_linux {
        let linux = linux.ok_or_else(|| {
            format!("--target {triple}: the configuration's Linux settings were not read")
        })?;
        return Ok(TargetPlan {
            linux: Some(LinuxArtifacts {
                deb: crate::linux::deb_file_name(package, linux, &triple)?,
                tarball: crate::linux::tarball_file_name(package, &triple),
            }),
            triple,
            arch,
            msi: String::new(),
            zip: String::new(),
            sbom: String::new(),
        });
    }
    let stem = format!("{}-{}-{}", package.name, package.version, arch.as_str());
    Ok(TargetPlan {
        triple,
        arch,
        msi: format!("{stem}.msi"),
        zip: format!("{stem}-portable.zip"),
        sbom: format!("{stem}.cdx.json"),
        linux: None,
    })
}

/// A prebuilt binary's path as given, resolved against the current directory.
pub fn resolve_binary(p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(p))
            .unwrap_or_else(|_| p.to_path_buf())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arch_from_target() {
        assert_eq!(Arch::from_target("x86_64-pc-windows-msvc"), Ok(Arch::X64));
        assert_eq!(Arch::from_target("x86_64-pc-windows-gnu"), Ok(Arch::X64));
        assert_eq!(Arch::from_target("i686-pc-windows-msvc"), Ok(Arch::X86));
        assert_eq!(
            Arch::from_target("aarch64-pc-windows-msvc"),
            Ok(Arch::Arm64)
        );
        assert_eq!(Arch::from_target("x86_64-unknown-linux-gnu"), Ok(Arch::X64));
        assert_eq!(
            Arch::from_target("aarch64-unknown-linux-gnu"),
            Ok(Arch::Arm64)
        );
        assert!(Arch::from_target("mips-unknown-linux-gnu")
            .unwrap_err()
            .contains("not packaged for Linux"));
        assert!(Arch::from_target("x86_64-apple-darwin")
            .unwrap_err()
            .contains("neither a Windows nor a Linux target"));
        assert!(Arch::from_target("thumbv7a-pc-windows-msvc")
            .unwrap_err()
            .contains("no MSI platform"));
    }

    fn sample() -> (PackageInfo, Config) {
        let (pkg, cfg, _) = sample_with("");
        (pkg, cfg)
    }

    /// The sample package with `service_keys` added to its `[service]` table, and its
    /// Linux settings.
    fn sample_with(service_keys: &str) -> (PackageInfo, Config, crate::config::Linux) {
        let dir = std::env::temp_dir();
        let pkg = PackageInfo {
            name: "ledger-agent".into(),
            version: semver::Version::parse("2.0.0-beta.1").unwrap(),
            authors: vec!["Example Ltd <ops@example.com>".into()],
            description: Some("Answers ledger queries".into()),
            homepage: None,
            repository: None,
            license: None,
            bins: vec!["ledger-agent".into()],
            manifest_dir: dir.join("svcpack-plan-test-nonexistent"),
        };
        let toml = format!(
            "[package]\nname = \"ledger-agent\"\nversion = \"2.0.0-beta.1\"\n[package.metadata.svcpack]\nupgrade-code = \"8E0B5A7C-1D2E-4F60-8A9B-0C1D2E3F4A5B\"\n[package.metadata.svcpack.service]\nname = \"LedgerAgent\"\n{service_keys}"
        );
        let loaded =
            crate::config::load_cargo_str(&pkg.manifest_dir.join("Cargo.toml"), &toml, &pkg)
                .unwrap();
        (pkg, loaded.config, loaded.linux)
    }

    #[test]
    fn plan_names_artifacts_and_orders_stages() {
        let (pkg, cfg) = sample();
        let p = plan(
            pkg,
            cfg,
            vec![],
            &PlanInput {
                targets: vec!["x86_64-pc-windows-gnu".into()],
                target_dir: Some("/t".into()),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(p.targets.len(), 1);
        assert_eq!(p.targets[0].msi, "ledger-agent-2.0.0-beta.1-x64.msi");
        assert_eq!(
            p.targets[0].zip,
            "ledger-agent-2.0.0-beta.1-x64-portable.zip"
        );
        assert_eq!(
            p.artifacts.manifest,
            "ledger-agent-2.0.0-beta.1-x64.manifest.json"
        );
        assert_eq!(p.out_dir, PathBuf::from("/t/svcpack"));
        assert_eq!(
            p.stages,
            vec![
                Stage::Configure,
                Stage::Compile,
                Stage::Helper,
                Stage::Stamp,
                Stage::Render,
                Stage::Msi,
                Stage::Zip,
                Stage::Sbom,
                Stage::Checksums
            ]
        );
        assert!(!p.sign);
    }

    #[test]
    fn prebuilt_binary_skips_compile() {
        let (pkg, cfg) = sample();
        let p = plan(
            pkg,
            cfg,
            vec![],
            &PlanInput {
                targets: vec!["i686-pc-windows-msvc".into()],
                prebuilt: Some("/x/agent.exe".into()),
                out_dir: Some("/o".into()),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(p.exe, ExeSource::Prebuilt("/x/agent.exe".into()));
        assert!(!p.stages.contains(&Stage::Compile));
        assert_eq!(p.targets[0].arch, Arch::X86);
        assert_eq!(p.out_dir, PathBuf::from("/o"));
    }

    #[test]
    fn hosted_service_builds_the_host_after_compiling() {
        let (pkg, mut cfg) = sample();
        if let Some(s) = cfg.service.as_mut() {
            s.host = Some(crate::config::Host::default());
        }
        let input = PlanInput {
            targets: vec!["x86_64-pc-windows-gnu".into()],
            target_dir: Some("/t".into()),
            ..Default::default()
        };
        let p = plan(pkg.clone(), cfg.clone(), vec![], &input).unwrap();
        assert_eq!(
            &p.stages[..5],
            &[
                Stage::Configure,
                Stage::Compile,
                Stage::Host,
                Stage::Helper,
                Stage::Stamp
            ]
        );
        assert_eq!(p.host_cache_dir, PathBuf::from("/t/svcpack-host"));
        // --no-build still builds the host (with cargo).
        let prebuilt = PlanInput {
            prebuilt: Some("/x/agent.exe".into()),
            target_dir: None,
            ..input
        };
        let p = plan(pkg, cfg, vec![], &prebuilt).unwrap();
        assert_eq!(
            &p.stages[..4],
            &[Stage::Configure, Stage::Host, Stage::Helper, Stage::Stamp]
        );
        assert_eq!(
            p.host_cache_dir,
            p.package.manifest_dir.join("target").join("svcpack-host")
        );
    }

    #[test]
    fn several_targets_get_one_package_each_and_one_manifest() {
        let (pkg, cfg) = sample();
        let input = PlanInput {
            targets: vec![
                "x86_64-pc-windows-gnu".into(),
                "i686-pc-windows-gnu".into(),
                "aarch64-pc-windows-msvc".into(),
            ],
            target_dir: Some("/t".into()),
            ..Default::default()
        };
        let p = plan(pkg.clone(), cfg.clone(), vec![], &input).unwrap();
        let names: Vec<(&str, Arch, &str, &str)> = p
            .targets
            .iter()
            .map(|t| (t.triple.as_str(), t.arch, t.msi.as_str(), t.sbom.as_str()))
            .collect();
        assert_eq!(
            names,
            vec![
                (
                    "x86_64-pc-windows-gnu",
                    Arch::X64,
                    "ledger-agent-2.0.0-beta.1-x64.msi",
                    "ledger-agent-2.0.0-beta.1-x64.cdx.json"
                ),
                (
                    "i686-pc-windows-gnu",
                    Arch::X86,
                    "ledger-agent-2.0.0-beta.1-x86.msi",
                    "ledger-agent-2.0.0-beta.1-x86.cdx.json"
                ),
                (
                    "aarch64-pc-windows-msvc",
                    Arch::Arm64,
                    "ledger-agent-2.0.0-beta.1-arm64.msi",
                    "ledger-agent-2.0.0-beta.1-arm64.cdx.json"
                ),
            ]
        );
        assert_eq!(
            p.artifacts.manifest,
            "ledger-agent-2.0.0-beta.1.manifest.json"
        );
        assert_eq!(p.artifacts.checksums, "SHA256SUMS");

        let twice = PlanInput {
            targets: vec!["i686-pc-windows-gnu".into(), "i686-pc-windows-gnu".into()],
            ..input.clone()
        };
        let e = plan(pkg.clone(), cfg.clone(), vec![], &twice).unwrap_err();
        assert!(e.contains("is given twice"), "{e}");
        let same_arch = PlanInput {
            targets: vec![
                "x86_64-pc-windows-gnu".into(),
                "x86_64-pc-windows-msvc".into(),
            ],
            ..input.clone()
        };
        let e = plan(pkg.clone(), cfg.clone(), vec![], &same_arch).unwrap_err();
        assert!(e.contains("are both x64"), "{e}");
        let prebuilt = PlanInput {
            prebuilt: Some("/x/agent.exe".into()),
            ..input
        };
        let e = plan(pkg, cfg, vec![], &prebuilt).unwrap_err();
        assert!(e.contains("give one --target"), "{e}");
    }

    fn mixed(targets: &[&str]) -> PlanInput {
        PlanInput {
            targets: targets.iter().map(|t| t.to_string()).collect(),
            target_dir: Some("/t".into()),
            ..Default::default()
        }
    }

    #[test]
    fn windows_and_linux_targets_mix_in_one_build() {
        let (pkg, cfg, linux) = sample_with("");
        let input = PlanInput {
            linux: Some(linux),
            ..mixed(&[
                "x86_64-pc-windows-gnu",
                "x86_64-unknown-linux-gnu",
                "aarch64-unknown-linux-gnu",
            ])
        };
        let p = plan(pkg, cfg, vec![], &input).unwrap();
        // A Windows and a Linux target may share an architecture: their names differ.
        let names: Vec<(&str, Arch, &str, Option<&LinuxArtifacts>)> = p
            .targets
            .iter()
            .map(|t| (t.triple.as_str(), t.arch, t.msi.as_str(), t.linux.as_ref()))
            .collect();
        let deb = |deb: &str, tarball: &str| LinuxArtifacts {
            deb: deb.into(),
            tarball: tarball.into(),
        };
        assert_eq!(
            names,
            vec![
                (
                    "x86_64-pc-windows-gnu",
                    Arch::X64,
                    "ledger-agent-2.0.0-beta.1-x64.msi",
                    None
                ),
                (
                    "x86_64-unknown-linux-gnu",
                    Arch::X64,
                    "",
                    Some(&deb(
                        "ledger-agent_2.0.0~beta.1-1_amd64.deb",
                        "ledger-agent-2.0.0-beta.1-x86_64-unknown-linux-gnu.tar.gz"
                    ))
                ),
                (
                    "aarch64-unknown-linux-gnu",
                    Arch::Arm64,
                    "",
                    Some(&deb(
                        "ledger-agent_2.0.0~beta.1-1_arm64.deb",
                        "ledger-agent-2.0.0-beta.1-aarch64-unknown-linux-gnu.tar.gz"
                    ))
                ),
            ]
        );
        assert_eq!(
            p.artifacts.manifest,
            "ledger-agent-2.0.0-beta.1.manifest.json"
        );
        assert_eq!(
            p.stages,
            vec![
                Stage::Configure,
                Stage::Compile,
                Stage::Helper,
                Stage::Stamp,
                Stage::Render,
                Stage::Msi,
                Stage::Zip,
                Stage::Sbom,
                Stage::Linux,
                Stage::Checksums
            ]
        );
        // Each target runs its own system's stages.
        let runs = |t: &TargetPlan| -> Vec<Stage> {
            p.stages
                .iter()
                .copied()
                .filter(|&s| s.per_target() && t.runs(s))
                .collect()
        };
        assert_eq!(
            runs(&p.targets[0]),
            vec![
                Stage::Compile,
                Stage::Helper,
                Stage::Stamp,
                Stage::Render,
                Stage::Msi,
                Stage::Zip,
                Stage::Sbom
            ]
        );
        assert_eq!(runs(&p.targets[1]), vec![Stage::Compile, Stage::Linux]);
        assert_eq!(runs(&p.targets[2]), vec![Stage::Compile, Stage::Linux]);
        // The Windows-only key of the sample warns because a Linux package is made.
        assert!(
            p.warnings.iter().any(|w| w.contains("upgrade-code")),
            "{:?}",
            p.warnings
        );
        assert!(p.linux.is_some());
    }

    #[test]
    fn a_linux_only_build_compiles_and_packages_for_linux_only() {
        let (pkg, mut cfg, linux) = sample_with("");
        if let Some(s) = cfg.service.as_mut() {
            s.host = Some(crate::config::Host::default());
        }
        let input = PlanInput {
            linux: Some(linux),
            release: crate::config::Release {
                download_url: None,
                winget_id: Some("Example.LedgerAgent".into()),
            },
            ..mixed(&["x86_64-unknown-linux-gnu"])
        };
        let p = plan(pkg.clone(), cfg.clone(), vec![], &input).unwrap();
        // No service host (systemd restarts the program), no MSI, no winget manifests.
        assert_eq!(
            p.stages,
            vec![
                Stage::Configure,
                Stage::Compile,
                Stage::Linux,
                Stage::Checksums
            ]
        );
        assert!(!p.sign);
        // One Linux target keeps the manifest name it always had, with the triple.
        assert_eq!(
            p.artifacts.manifest,
            "ledger-agent-2.0.0-beta.1-x86_64-unknown-linux-gnu.manifest.json"
        );
        // A prebuilt program skips compile.
        let prebuilt = PlanInput {
            prebuilt: Some("/x/ledger-agent".into()),
            ..input
        };
        let p = plan(pkg, cfg, vec![], &prebuilt).unwrap();
        assert_eq!(
            p.stages,
            vec![Stage::Configure, Stage::Linux, Stage::Checksums]
        );
        assert_eq!(p.exe, ExeSource::Prebuilt("/x/ledger-agent".into()));
    }

    #[test]
    fn two_linux_targets_of_one_architecture_are_refused() {
        let (pkg, cfg, linux) = sample_with("");
        let input = PlanInput {
            linux: Some(linux),
            ..mixed(&["x86_64-unknown-linux-gnu", "x86_64-unknown-linux-musl"])
        };
        let e = plan(pkg.clone(), cfg.clone(), vec![], &input).unwrap_err();
        assert!(
            e.contains("are both x64 Linux targets") && e.contains("x86_64-unknown-linux-musl"),
            "{e}"
        );
        let twice = PlanInput {
            targets: vec![
                "x86_64-pc-windows-gnu".into(),
                "aarch64-unknown-linux-gnu".into(),
                "aarch64-unknown-linux-gnu".into(),
            ],
            ..input
        };
        let e = plan(pkg, cfg, vec![], &twice).unwrap_err();
        assert!(
            e.contains("--target aarch64-unknown-linux-gnu is given twice"),
            "{e}"
        );
    }

    #[test]
    fn linux_errors_and_warnings_count_only_when_a_linux_target_is_built() {
        // A domain account has no Linux counterpart; Windows takes it.
        let (pkg, cfg, linux) = sample_with("account = 'CORP\\svc-ledger'\n");
        assert!(!linux.errors.is_empty());
        let windows = PlanInput {
            linux: Some(linux.clone()),
            ..mixed(&["x86_64-pc-windows-gnu"])
        };
        let p = plan(pkg.clone(), cfg.clone(), vec![], &windows).unwrap();
        assert!(p.linux.is_none());
        assert!(
            !p.warnings.iter().any(|w| w.contains("upgrade-code")),
            "{:?}",
            p.warnings
        );
        let both = PlanInput {
            linux: Some(linux),
            ..mixed(&["x86_64-pc-windows-gnu", "x86_64-unknown-linux-gnu"])
        };
        let e = plan(pkg, cfg, vec![], &both).unwrap_err();
        assert!(
            e.contains("domain account") && e.contains("service.account"),
            "{e}"
        );
    }
}
