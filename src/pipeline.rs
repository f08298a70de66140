//! Executing a [`Plan`]: the stages of `cargo svcpack build` in order, each timed and
//! reported, with every artifact written to a private staging directory first and moved
//! into the out-dir only when all stages succeeded — a failed build leaves the out-dir
//! exactly as it was.
//!
//! This module owns stage order and the hand-over of bytes between stages; what each stage
//! does lives in its own module (cargo, pe, render, wix, portable, checksums, manifest).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::config::Compress;
use crate::manifest::{Artifact, ArtifactKind, Manifest};
use crate::pe;
use crate::plan::{ExeSource, Plan, Stage, WixSource};
use crate::portable::{self, PortableFile, PortableInput};
use crate::progress::Reporter;
use crate::{cargo, checksums, render, wix};

/// A build failure: which stage, and a one-line cause.
#[derive(Debug, thiserror::Error)]
#[error("{stage}: {message}")]
pub struct BuildError {
    pub stage: &'static str,
    pub message: String,
}

fn fail(stage: Stage, message: impl Into<String>) -> BuildError {
    BuildError {
        stage: stage.name(),
        message: message.into(),
    }
}

/// Options the plan does not carry.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// `--strict`: a service exe that never calls StartServiceCtrlDispatcher is an error.
    pub strict: bool,
    /// Unix seconds for every timestamp in the artifacts ([`crate::wix::build_timestamp`]).
    pub timestamp: u64,
}

/// Runs the plan; returns the artifacts (file name, size) now in the out-dir.
pub fn run(
    plan: &Plan,
    opts: &RunOptions,
    rep: &Reporter,
) -> Result<Vec<(String, u64)>, BuildError> {
    let started = Instant::now();
    let staging = tempfile::Builder::new()
        .prefix("svcpack-build-")
        .tempdir()
        .map_err(|e| {
            fail(
                Stage::Configure,
                format!("cannot create a staging directory: {e}"),
            )
        })?;
    let stage_dir = staging.path();
    let mut exe_path: Option<PathBuf> = None;
    let mut exe: Vec<u8> = Vec::new();
    let mut wxs: Option<PathBuf> = None;
    let mut msi: Vec<u8> = Vec::new();
    let mut zip: Vec<u8> = Vec::new();
    let mut sbom: Vec<u8> = Vec::new();
    let mut winget: Vec<(String, Vec<u8>)> = Vec::new();
    let mut outputs: Vec<(String, Vec<u8>)> = Vec::new();
    let exe_name = plan.config.exe_name();
    // svcpack's service host (hosted services): the stamped (and signed) exe and its
    // configuration file.
    let mut host: Option<(Vec<u8>, String)> = None;
    // svcpack's installer helper (services): the stamped (and signed) exe.
    let mut helper: Option<Vec<u8>> = None;
    // Declared after `staging`, so dropped first: its scratch files live in the staging dir.
    let mut signer: Option<crate::sign::Signer> = None;
    // The configuration with `files` pointing at signed copies of their PE files, once the
    // sign-exe stage made them; render and zip read it so MSI and zip carry the same bytes.
    let mut signed_config: Option<crate::config::Config> = None;

    for &stage in &plan.stages {
        let t = Instant::now();
        let mut detail = String::new();
        match stage {
            Stage::Configure => {
                for w in &plan.warnings {
                    rep.warning(w);
                }
                if let Some(s) = &plan.config.service {
                    rep.service_account(s.name.as_str(), &s.account.object_name(&s.name));
                }
                detail = format!(
                    "{} {} for {}",
                    plan.package.name, plan.package.version, plan.target
                );
                // Signing is checked here, before any work: tool, certificate, password.
                if let (Some(sign), true) =
                    (&plan.config.sign, plan.stages.contains(&Stage::SignExe))
                {
                    let env = |k: &str| std::env::var(k).ok();
                    let (s, warnings) = crate::sign::prepare(sign, &env, stage_dir)
                        .map_err(|e| fail(stage, e.to_string()))?;
                    for w in &warnings {
                        rep.warning(w);
                    }
                    detail.push_str(&format!("; signing with {}", s.tool()));
                    signer = Some(s);
                }
            }
            Stage::Compile => {
                let ExeSource::Cargo {
                    manifest_path,
                    package,
                    bin,
                    profile,
                    features,
                    all_features,
                    no_default_features,
                } = &plan.exe
                else {
                    continue;
                };
                let args = cargo::BuildArgs {
                    manifest_path: manifest_path.clone(),
                    package: package.clone(),
                    bin: bin.clone(),
                    target: plan.target.clone(),
                    profile: profile.clone(),
                    features: features.clone(),
                    all_features: *all_features,
                    no_default_features: *no_default_features,
                };
                let path = cargo::build(&args).map_err(|e| fail(stage, e.to_string()))?;
                detail = path.display().to_string();
                exe_path = Some(path);
            }
            Stage::Host => {
                let Some((service, settings)) = plan
                    .config
                    .service
                    .as_ref()
                    .and_then(|s| s.host.as_ref().map(|h| (s, h)))
                else {
                    continue;
                };
                // Built from source with the program's cargo and target (also with
                // --no-build), cached in the target dir by cargo's own fingerprints.
                let built =
                    crate::host::build(&cargo::cargo_program(), &plan.target, &plan.host_cache_dir)
                        .map_err(|e| fail(stage, e.to_string()))?;
                let bytes = std::fs::read(&built)
                    .map_err(|e| fail(stage, format!("cannot read {}: {e}", built.display())))?;
                let year = crate::config::year_of_unix_time(opts.timestamp as i64);
                let stamped =
                    crate::host::stamp(&built, &bytes, &plan.config, plan.arch.machine(), year)
                        .map_err(|e| fail(stage, e.to_string()))?;
                let conf = crate::host::config_file(service, settings, &exe_name)
                    .map_err(|e| fail(stage, e.to_string()))?;
                detail = format!(
                    "{} ({}) runs {exe_name}",
                    crate::host::HOST_EXE_NAME,
                    crate::progress::human_size(stamped.len() as u64)
                );
                host = Some((stamped, conf));
            }
            Stage::Helper => {
                // Built like the service host, into the same cache folder; a cached
                // build is used without running cargo.
                let (built, ran) = crate::helper::build(
                    &cargo::cargo_program(),
                    &plan.target,
                    &plan.host_cache_dir,
                )
                .map_err(|e| fail(stage, e.to_string()))?;
                let bytes = std::fs::read(&built)
                    .map_err(|e| fail(stage, format!("cannot read {}: {e}", built.display())))?;
                let year = crate::config::year_of_unix_time(opts.timestamp as i64);
                let stamped =
                    crate::helper::stamp(&built, &bytes, &plan.config, plan.arch.machine(), year)
                        .map_err(|e| fail(stage, e.to_string()))?;
                detail = format!(
                    "{} ({}{})",
                    crate::helper::HELPER_EXE_NAME,
                    crate::progress::human_size(stamped.len() as u64),
                    if ran { ", built" } else { ", cached" }
                );
                helper = Some(stamped);
            }
            Stage::Stamp => {
                let source = match &plan.exe {
                    ExeSource::Prebuilt(p) => p.clone(),
                    ExeSource::Cargo { .. } => exe_path
                        .clone()
                        .ok_or_else(|| fail(stage, "no executable was built"))?,
                };
                // cargo's output is never modified: we stamp a copy.
                let bytes = std::fs::read(&source)
                    .map_err(|e| fail(stage, format!("cannot read {}: {e}", source.display())))?;
                exe = stamp(plan, &source, &bytes, opts, rep).map_err(|m| fail(stage, m))?;
                detail = format!(
                    "{} ({})",
                    exe_name,
                    crate::progress::human_size(exe.len() as u64)
                );
            }
            Stage::Compress => {
                let Compress::Upx { args } = &plan.config.compress else {
                    continue;
                };
                // Runs on the stamped exe (the readiness and machine checks already saw the
                // real imports, which UPX hides) and before signing (packing would break a
                // signature).
                let packed = crate::compress::compress_upx(&exe, &exe_name, args, stage_dir)
                    .map_err(|e| fail(stage, e.to_string()))?;
                rep.warning(crate::compress::ANTIVIRUS_WARNING);
                detail = format!("{exe_name} {}", packed.summary());
                exe = packed.bytes;
            }
            Stage::SignExe | Stage::SignMsi => {
                let s = signer
                    .as_ref()
                    .ok_or_else(|| fail(stage, "signing was not prepared"))?;
                // The exe is signed after stamp/compress and before render/zip, so the MSI
                // and the zip carry the same signed bytes; the MSI right after compiling.
                let (name, bytes) = match stage {
                    Stage::SignExe => (&exe_name, &mut exe),
                    _ => (&plan.artifacts.msi, &mut msi),
                };
                let (signed_bytes, report) = s
                    .sign_bytes(
                        bytes,
                        name,
                        &plan.config.product_name,
                        plan.package.homepage.as_deref(),
                    )
                    .map_err(|e| fail(stage, e.to_string()))?;
                for w in &report.warnings {
                    rep.warning(w);
                }
                *bytes = signed_bytes;
                // The service host is signed like the program.
                if let (Stage::SignExe, Some((host_exe, _))) = (stage, host.as_mut()) {
                    let (signed_host, host_report) = s
                        .sign_bytes(
                            host_exe,
                            crate::host::HOST_EXE_NAME,
                            &plan.config.product_name,
                            plan.package.homepage.as_deref(),
                        )
                        .map_err(|e| fail(stage, e.to_string()))?;
                    for w in &host_report.warnings {
                        rep.warning(w);
                    }
                    *host_exe = signed_host;
                }
                // So is the installer helper, which runs as LocalSystem.
                if let (Stage::SignExe, Some(helper_exe)) = (stage, helper.as_mut()) {
                    let (signed_helper, helper_report) = s
                        .sign_bytes(
                            helper_exe,
                            crate::helper::HELPER_EXE_NAME,
                            &plan.config.product_name,
                            plan.package.homepage.as_deref(),
                        )
                        .map_err(|e| fail(stage, e.to_string()))?;
                    for w in &helper_report.warnings {
                        rep.warning(w);
                    }
                    *helper_exe = signed_helper;
                }
                if stage == Stage::SignExe {
                    let (files, reports) = crate::sign::sign_files(
                        s,
                        &plan.config.files,
                        stage_dir,
                        &plan.config.product_name,
                        plan.package.homepage.as_deref(),
                    )
                    .map_err(|e| fail(stage, e.to_string()))?;
                    for (_, r) in &reports {
                        for w in &r.warnings {
                            rep.warning(w);
                        }
                    }
                    if !reports.is_empty() {
                        let mut c = plan.config.clone();
                        c.files = files;
                        signed_config = Some(c);
                    }
                }
                detail = format!(
                    "{name} by {}{}",
                    report.subject,
                    if report.timestamped {
                        ", timestamped"
                    } else {
                        ""
                    }
                );
            }
            Stage::Render => {
                let path = stage_dir.join(&exe_name);
                write_file(&path, &exe).map_err(|e| fail(stage, e))?;
                let host_paths = match &host {
                    Some((host_exe, conf)) => {
                        let exe_path = stage_dir.join(crate::host::HOST_EXE_NAME);
                        let conf_path = stage_dir.join(crate::host::CONF_NAME);
                        write_file(&exe_path, host_exe).map_err(|e| fail(stage, e))?;
                        write_file(&conf_path, conf.as_bytes()).map_err(|e| fail(stage, e))?;
                        Some((exe_path, conf_path))
                    }
                    None => None,
                };
                let helper_path = match &helper {
                    Some(bytes) => {
                        let p = stage_dir.join(crate::helper::HELPER_EXE_NAME);
                        write_file(&p, bytes).map_err(|e| fail(stage, e))?;
                        Some(p)
                    }
                    None => None,
                };
                let src = match &plan.wix {
                    WixSource::Template { user_dir } => {
                        let mut input = render::RenderInput::new(
                            signed_config.as_ref().unwrap_or(&plan.config),
                            &plan.package,
                            &path,
                            plan.arch.as_str(),
                        );
                        input.host = host_paths
                            .as_ref()
                            .map(|(exe, conf)| render::HostFiles { exe, conf });
                        input.helper = helper_path.as_deref();
                        let text = render::render(&input, user_dir.as_deref())
                            .map_err(|e| fail(stage, e.to_string()))?;
                        let out = stage_dir.join("main.wxs");
                        write_file(&out, text.as_bytes()).map_err(|e| fail(stage, e))?;
                        detail = match user_dir {
                            Some(d) => format!("template {}", d.join("main.wxs.hbs").display()),
                            None => "built-in template".into(),
                        };
                        out
                    }
                    WixSource::CargoWix(p) => {
                        detail = format!("cargo-wix source {}", p.display());
                        p.clone()
                    }
                };
                exe_path = Some(path);
                wxs = Some(src);
            }
            Stage::Msi => {
                let src = wxs
                    .clone()
                    .ok_or_else(|| fail(stage, "no WiX source was rendered"))?;
                let mut copts = wix::CompileOptions::new(plan.arch.as_str());
                copts.timestamp = opts.timestamp;
                if let WixSource::CargoWix(p) = &plan.wix {
                    copts.current_dir = p
                        .parent()
                        .and_then(Path::parent)
                        .map(Path::to_path_buf)
                        .unwrap_or_default();
                    copts.defines =
                        cargo_wix_defines(plan, exe_path.as_deref().unwrap_or(Path::new("")))
                            .map_err(|m| fail(stage, m))?;
                } else {
                    copts.current_dir = stage_dir.to_path_buf();
                }
                // Streamed to a file in the staging directory (the compiler never holds
                // the whole MSI), then read for signing and checksums.
                let staged_msi = stage_dir.join(".compiled.msi");
                let compiled = wix::compile_to_file(&[src], &staged_msi, &copts).map_err(|e| {
                    for w in &e.warnings {
                        rep.warning(&w.to_string());
                    }
                    fail(stage, e.to_string())
                })?;
                for w in &compiled.warnings {
                    rep.warning(&w.to_string());
                }
                if !compiled.database.external.is_empty() {
                    return Err(fail(stage, "the package must embed its cabinet (EmbedCab=\"yes\") to be a single-file artifact"));
                }
                msi = std::fs::read(&staged_msi).map_err(|e| {
                    fail(stage, format!("cannot read {}: {e}", staged_msi.display()))
                })?;
                let _ = std::fs::remove_file(&staged_msi);
                detail = crate::progress::human_size(msi.len() as u64);
            }
            Stage::Zip => {
                let files: Vec<(String, Vec<u8>)> = signed_config
                    .as_ref()
                    .unwrap_or(&plan.config)
                    .files
                    .iter()
                    .map(|f| {
                        std::fs::read(&f.source)
                            .map(|b| (f.dest.segments().join("/"), b))
                            .map_err(|e| {
                                fail(stage, format!("cannot read {}: {e}", f.source.display()))
                            })
                    })
                    .collect::<Result<_, _>>()?;
                let license = match &plan.config.license {
                    Some(l) => Some((
                        l.file_name()
                            .map(|n| n.to_string_lossy().into_owned())
                            .unwrap_or_else(|| "LICENSE".into()),
                        std::fs::read(l).map_err(|e| {
                            fail(stage, format!("cannot read {}: {e}", l.display()))
                        })?,
                    )),
                    None => None,
                };
                let mut files = files;
                if let Some((host_exe, conf)) = &host {
                    files.push((crate::host::HOST_EXE_NAME.to_string(), host_exe.clone()));
                    files.push((
                        crate::host::CONF_NAME.to_string(),
                        conf.clone().into_bytes(),
                    ));
                }
                let input = PortableInput {
                    config: &plan.config,
                    version: &plan.package.version.to_string(),
                    exe_name: &exe_name,
                    exe: &exe,
                    files: &files
                        .iter()
                        .map(|(p, b)| PortableFile {
                            path: p.clone(),
                            bytes: b,
                        })
                        .collect::<Vec<_>>(),
                    license: license.as_ref().map(|(p, b)| PortableFile {
                        path: p.clone(),
                        bytes: b,
                    }),
                    service_program: host.as_ref().map(|_| portable::ServiceProgram {
                        exe_name: crate::host::HOST_EXE_NAME,
                        arguments: &[],
                    }),
                    timestamp: opts.timestamp,
                };
                zip = portable::build_zip(&input).map_err(|e| fail(stage, e.to_string()))?;
                detail = crate::progress::human_size(zip.len() as u64);
            }
            Stage::Sbom => {
                // After signing: the SBOM names the final MSI's digest.
                let host = host.as_ref().map(|(e, c)| (&e[..], c.as_str()));
                let (bytes, summary) =
                    crate::sbom::for_build(plan, &exe, host, &msi, opts.timestamp)
                        .map_err(|m| fail(stage, m))?;
                sbom = bytes;
                detail = summary;
            }
            Stage::Winget => {
                let product_code = crate::winget::product_code(&msi).map_err(|m| fail(stage, m))?;
                let input = crate::winget::WingetInput {
                    release: &plan.release,
                    package: &plan.package,
                    config: &plan.config,
                    arch: plan.arch.as_str(),
                    msi_name: &plan.artifacts.msi,
                    msi: &msi,
                    product_code: &product_code,
                };
                winget = crate::winget::manifests(&input)
                    .map_err(|m| fail(stage, m))?
                    .unwrap_or_default();
                detail = format!("{} manifests in {}/", winget.len(), crate::winget::DIR);
            }
            Stage::Checksums => {
                let a = &plan.artifacts;
                let sums = checksums::sha256sums(&[
                    (a.msi.clone(), &msi[..]),
                    (a.zip.clone(), &zip[..]),
                    (a.sbom.clone(), &sbom[..]),
                ]);
                // Hashed from the final, signed bytes; the zip counts as signed (its exe is).
                let signed = signer.is_some();
                let mut artifacts = vec![
                    Artifact::from_bytes(&a.msi, ArtifactKind::Msi, &msi, signed),
                    Artifact::from_bytes(&a.zip, ArtifactKind::PortableZip, &zip, signed),
                    Artifact::from_bytes(
                        &a.checksums,
                        ArtifactKind::Checksums,
                        sums.as_bytes(),
                        false,
                    ),
                    Artifact::from_bytes(&a.sbom, ArtifactKind::Sbom, &sbom, false),
                ];
                for (name, bytes) in &winget {
                    artifacts.push(Artifact::from_bytes(
                        name,
                        ArtifactKind::WingetManifest,
                        bytes,
                        false,
                    ));
                }
                let arch = crate::manifest::Arch::from_target(&plan.target)
                    .ok_or_else(|| fail(stage, "unknown architecture"))?;
                let manifest = Manifest::new(
                    &plan.config,
                    &plan.package.name,
                    &plan.target,
                    arch,
                    artifacts,
                )
                .to_json()
                .map_err(|e| fail(stage, e.to_string()))?;
                outputs = vec![
                    (a.msi.clone(), std::mem::take(&mut msi)),
                    (a.zip.clone(), std::mem::take(&mut zip)),
                    (a.checksums.clone(), sums.into_bytes()),
                    (a.manifest.clone(), manifest.into_bytes()),
                    (a.sbom.clone(), std::mem::take(&mut sbom)),
                ];
                outputs.append(&mut winget);
            }
        }
        rep.stage(stage.name(), t.elapsed(), &detail);
    }
    let t = Instant::now();
    publish(&plan.out_dir, &outputs).map_err(|m| fail(Stage::Checksums, m))?;
    rep.stage("publish", t.elapsed(), &plan.out_dir.display().to_string());
    let listed: Vec<(String, u64)> = outputs
        .iter()
        .map(|(n, b)| (n.clone(), b.len() as u64))
        .collect();
    rep.finished(&listed, &plan.out_dir, started.elapsed());
    Ok(listed)
}

/// Reads the exe, checks it is a PE for the target machine and (for a service) that it
/// talks to the service manager, then writes the version resource (and icon).
fn stamp(
    plan: &Plan,
    source: &Path,
    bytes: &[u8],
    opts: &RunOptions,
    rep: &Reporter,
) -> Result<Vec<u8>, String> {
    let info = pe::inspect(bytes).map_err(|e| format!("{}: {e}", source.display()))?;
    if info.machine != plan.arch.machine() {
        return Err(format!(
            "{} is built for {}, but the package is for {} (target {})",
            source.display(),
            info.machine,
            plan.arch.as_str(),
            plan.target
        ));
    }
    if let Some(service) = &plan.config.service {
        if service.host.is_some() && pe::mentions_service_dispatcher(bytes, &info) {
            rep.warning(&format!(
                "{} calls StartServiceCtrlDispatcher: it looks like a service program itself, but \
                 [package.metadata.svcpack.service.host] runs it as a plain console program under svcpack's \
                 service host, where its service code cannot talk to the service manager; remove the host \
                 table if the program is a service",
                source.display()
            ));
        }
        if service.host.is_none() && !pe::mentions_service_dispatcher(bytes, &info) {
            let msg = format!(
                "{} never calls StartServiceCtrlDispatcherW, so the service manager will fail to start it \
                 (error 1053); use the `windows-service` crate, or add [package.metadata.svcpack.service.host] \
                 to run it as a hosted console program",
                source.display()
            );
            if opts.strict {
                return Err(msg);
            }
            rep.warning(&msg);
        }
    }
    let v = &plan.version;
    let fv = v.file_version();
    let manufacturer = plan.config.manufacturer.clone();
    let year = crate::config::year_of_unix_time(opts.timestamp as i64);
    let strings = vec![
        ("CompanyName".to_string(), manufacturer),
        (
            "FileDescription".into(),
            plan.package
                .description
                .clone()
                .unwrap_or_else(|| plan.config.product_name.clone()),
        ),
        ("FileVersion".into(), v.file_version_string()),
        ("InternalName".into(), plan.config.binary.clone()),
        ("LegalCopyright".into(), plan.config.copyright_text(year)),
        ("OriginalFilename".into(), plan.config.exe_name()),
        ("ProductName".into(), plan.config.product_name.clone()),
        ("ProductVersion".into(), v.full().to_string()),
    ];
    let stamp = pe::VersionStamp {
        file_version: fv,
        product_version: fv,
        language: 0x0409,
        strings,
    };
    let icon = match &plan.config.icon {
        Some(p) => {
            Some(std::fs::read(p).map_err(|e| format!("cannot read icon {}: {e}", p.display()))?)
        }
        None => None,
    };
    // The event source names the program unless the host runs it.
    let hosted = plan
        .config
        .service
        .as_ref()
        .is_some_and(|s| s.host.is_some());
    let messages = match hosted {
        false => crate::host::event_messages(&plan.config).map_err(|e| e.to_string())?,
        true => None,
    };
    pe::stamp_with_messages(bytes, &stamp, icon.as_deref(), messages.as_deref())
        .map_err(|e| format!("{}: {e}", source.display()))
}

fn cargo_wix_defines(
    plan: &Plan,
    exe: &Path,
) -> Result<std::collections::BTreeMap<String, String>, String> {
    let profile = match &plan.exe {
        ExeSource::Cargo {
            profile: Some(p), ..
        } => p.clone(),
        _ => "release".to_string(),
    };
    let bin_dir = exe.parent().unwrap_or(Path::new(".")).to_path_buf();
    let target_dir = plan
        .out_dir
        .parent()
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let input = render::CargoWixInput {
        version: &plan.version,
        arch: plan.arch.as_str(),
        target_triple: &plan.target,
        profile: &profile,
        target_dir: &target_dir,
        bin_dir: &bin_dir,
    };
    render::cargo_wix_defines(&input).map_err(|e| e.to_string())
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let mut f =
        std::fs::File::create(path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    f.write_all(bytes)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Moves the artifacts into the out-dir: all are written as temporary files there first,
/// then renamed, so the out-dir never holds a partial artifact.
fn publish(out_dir: &Path, outputs: &[(String, Vec<u8>)]) -> Result<(), String> {
    std::fs::create_dir_all(out_dir)
        .map_err(|e| format!("cannot create {}: {e}", out_dir.display()))?;
    let mut staged = Vec::new();
    for (name, bytes) in outputs {
        let mut tmp = crate::output::artifact_tempfile(out_dir)
            .map_err(|e| format!("cannot write in {}: {e}", out_dir.display()))?;
        tmp.write_all(bytes)
            .map_err(|e| format!("cannot write {name}: {e}"))?;
        tmp.as_file()
            .sync_all()
            .map_err(|e| format!("cannot write {name}: {e}"))?;
        staged.push((tmp, out_dir.join(name)));
    }
    // Sub-directories (winget/) are made only once every file is written.
    for (_, dest) in &staged {
        if let Some(dir) = dest.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
    }
    for (tmp, dest) in staged {
        tmp.persist(&dest)
            .map_err(|e| format!("cannot move {} into place: {}", dest.display(), e.error))?;
    }
    Ok(())
}
