//! The MSI: the WiX source (svcpack's template rendered, or a cargo-wix project's own) and
//! its compilation with the native WiX compiler, streamed through the staging directory.

use std::io::Write;
use std::path::Path;

use crate::plan::{ExeSource, Plan, TargetPlan, WixSource};
use crate::{render, wix};

use super::state::{Context, TargetBuild};

/// Writes the files the WiX source names into the staging directory and renders it.
pub(super) fn render(cx: &Context, b: &mut TargetBuild) -> Result<Option<String>, String> {
    let plan = cx.plan;
    let stage_dir = b.dir.as_path();
    let path = stage_dir.join(&cx.exe_name);
    write_file(&path, &b.exe)?;
    let host_paths = match &b.host {
        Some((host_exe, conf)) => {
            let exe_path = stage_dir.join(crate::host::HOST_EXE_NAME);
            let conf_path = stage_dir.join(crate::host::CONF_NAME);
            write_file(&exe_path, host_exe)?;
            write_file(&conf_path, conf.as_bytes())?;
            Some((exe_path, conf_path))
        }
        None => None,
    };
    let helper_path = match &b.helper {
        Some(bytes) => {
            let p = stage_dir.join(crate::helper::HELPER_EXE_NAME);
            write_file(&p, bytes)?;
            Some(p)
        }
        None => None,
    };
    let (src, detail) = match &plan.wix {
        WixSource::Template { user_dir } => {
            let mut input = render::RenderInput::new(
                b.signed_config.as_ref().unwrap_or(&plan.config),
                &plan.package,
                &path,
                b.target.arch.as_str(),
            );
            input.host = host_paths
                .as_ref()
                .map(|(exe, conf)| render::HostFiles { exe, conf });
            input.helper = helper_path.as_deref();
            let text = render::render(&input, user_dir.as_deref()).map_err(|e| e.to_string())?;
            let out = stage_dir.join("main.wxs");
            write_file(&out, text.as_bytes())?;
            let detail = match user_dir {
                Some(d) => format!("template {}", d.join("main.wxs.hbs").display()),
                None => "built-in template".into(),
            };
            (out, detail)
        }
        WixSource::CargoWix(p) => (p.clone(), format!("cargo-wix source {}", p.display())),
    };
    b.exe_path = Some(path);
    b.wxs = Some(src);
    Ok(Some(detail))
}

/// Compiles the WiX source into a single-file MSI.
pub(super) fn compile(cx: &Context, b: &mut TargetBuild) -> Result<Option<String>, String> {
    let plan = cx.plan;
    let src = b
        .wxs
        .clone()
        .ok_or_else(|| "no WiX source was rendered".to_string())?;
    let mut copts = wix::CompileOptions::new(b.target.arch.as_str());
    copts.timestamp = cx.opts.timestamp;
    if let WixSource::CargoWix(p) = &plan.wix {
        copts.current_dir = p
            .parent()
            .and_then(Path::parent)
            .map(Path::to_path_buf)
            .unwrap_or_default();
        copts.defines = cargo_wix_defines(
            plan,
            b.target,
            b.exe_path.as_deref().unwrap_or(Path::new("")),
        )?;
    } else {
        copts.current_dir = b.dir.clone();
    }
    // Streamed to a file in the staging directory (the compiler never holds the whole
    // MSI), which signing, the SBOM and the checksums read in pieces.
    let staged_msi = b.dir.join(".compiled.msi");
    let compiled = wix::compile_to_file(&[src], &staged_msi, &copts).map_err(|e| {
        for w in &e.warnings {
            cx.rep.warning(&w.to_string());
        }
        e.to_string()
    })?;
    for w in &compiled.warnings {
        cx.rep.warning(&w.to_string());
    }
    if !compiled.database.external.is_empty() {
        return Err(
            "the package must embed its cabinet (EmbedCab=\"yes\") to be a single-file artifact"
                .into(),
        );
    }
    let size = std::fs::metadata(&staged_msi)
        .map_err(|e| format!("cannot read {}: {e}", staged_msi.display()))?
        .len();
    b.msi = staged_msi;
    Ok(Some(crate::progress::human_size(size)))
}

/// cargo-wix's preprocessor variables for a cargo-wix source.
fn cargo_wix_defines(
    plan: &Plan,
    target: &TargetPlan,
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
        arch: target.arch.as_str(),
        target_triple: &target.triple,
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
