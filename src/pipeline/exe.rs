//! The program's executable: `cargo build` (compile), the checked and version-stamped copy
//! (stamp), and the optional UPX packing (compress).

use std::path::Path;

use crate::cargo;
use crate::config::Compress;
use crate::pe;
use crate::plan::{ExeSource, Plan};
use crate::progress::Reporter;

use super::options::RunOptions;
use super::state::{Build, Context};

/// `cargo build` of the package's bin target; skipped for a prebuilt binary.
pub(super) fn compile(cx: &Context, b: &mut Build) -> Result<Option<String>, String> {
    let ExeSource::Cargo {
        manifest_path,
        package,
        bin,
        profile,
        features,
        all_features,
        no_default_features,
    } = &cx.plan.exe
    else {
        return Ok(None);
    };
    let args = cargo::BuildArgs {
        manifest_path: manifest_path.clone(),
        package: package.clone(),
        bin: bin.clone(),
        target: cx.plan.target.clone(),
        profile: profile.clone(),
        features: features.clone(),
        all_features: *all_features,
        no_default_features: *no_default_features,
    };
    let path = cargo::build(&args).map_err(|e| e.to_string())?;
    let detail = path.display().to_string();
    b.exe_path = Some(path);
    Ok(Some(detail))
}

/// Stamps a copy of the program (cargo's output is never modified).
pub(super) fn stamp(cx: &Context, b: &mut Build) -> Result<Option<String>, String> {
    let source = match &cx.plan.exe {
        ExeSource::Prebuilt(p) => p.clone(),
        ExeSource::Cargo { .. } => b
            .exe_path
            .clone()
            .ok_or_else(|| "no executable was built".to_string())?,
    };
    let bytes =
        std::fs::read(&source).map_err(|e| format!("cannot read {}: {e}", source.display()))?;
    b.exe = stamp_exe(cx.plan, &source, &bytes, cx.opts, cx.rep)?;
    Ok(Some(format!(
        "{} ({})",
        cx.exe_name,
        crate::progress::human_size(b.exe.len() as u64)
    )))
}

/// UPX packing, when configured.
pub(super) fn compress(cx: &Context, b: &mut Build) -> Result<Option<String>, String> {
    let Compress::Upx { args } = &cx.plan.config.compress else {
        return Ok(None);
    };
    // Runs on the stamped exe (the readiness and machine checks already saw the real
    // imports, which UPX hides) and before signing (packing would break a signature).
    let packed = crate::compress::compress_upx(&b.exe, &cx.exe_name, args, cx.stage_dir)
        .map_err(|e| e.to_string())?;
    cx.rep.warning(crate::compress::ANTIVIRUS_WARNING);
    let detail = format!("{} {}", cx.exe_name, packed.summary());
    b.exe = packed.bytes;
    Ok(Some(detail))
}

/// Reads the exe, checks it is a PE for the target machine and (for a service) that it
/// talks to the service manager, then writes the version resource (and icon).
fn stamp_exe(
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
    pe::stamp(bytes, &stamp, icon.as_deref()).map_err(|e| format!("{}: {e}", source.display()))
}
