//! Code signing within a build: the signer is prepared before any work (tool, certificate,
//! password), the executables are signed after stamp/compress and before render/zip (so
//! the MSI and the zip carry the same signed bytes), and the MSI right after compiling.

use std::path::Path;

use crate::plan::{Plan, Stage};
use crate::progress::Reporter;
use crate::sign::{SignReport, Signer};

use super::state::{Context, TargetBuild};

/// Prepares the signer when the plan signs, in the staging directory; returns it and the
/// detail line's addition.
pub(super) fn prepare(
    plan: &Plan,
    rep: &Reporter,
    stage_dir: &Path,
) -> Result<Option<(Signer, String)>, String> {
    let (Some(sign), true) = (&plan.config.sign, plan.stages.contains(&Stage::SignExe)) else {
        return Ok(None);
    };
    let env = |k: &str| std::env::var(k).ok();
    let (s, warnings) = crate::sign::prepare(sign, &env, stage_dir).map_err(|e| e.to_string())?;
    for w in &warnings {
        rep.warning(w);
    }
    let detail = format!("signing with {}", s.tool());
    Ok(Some((s, detail)))
}

/// Signs the program, the service host, the installer helper and the configured PE files.
pub(super) fn sign_exe(cx: &Context, b: &mut TargetBuild) -> Result<Option<String>, String> {
    let plan = cx.plan;
    let s = cx
        .signer
        .as_ref()
        .ok_or_else(|| "signing was not prepared".to_string())?;
    let report = sign_one(cx, s, &mut b.exe, &cx.exe_name)?;
    // The service host is signed like the program.
    if let Some((host_exe, _)) = b.host.as_mut() {
        sign_one(cx, s, host_exe, crate::host::HOST_EXE_NAME)?;
    }
    // So is the installer helper, which runs as LocalSystem.
    if let Some(helper_exe) = b.helper.as_mut() {
        sign_one(cx, s, helper_exe, crate::helper::HELPER_EXE_NAME)?;
    }
    let (files, reports) = crate::sign::sign_files(
        s,
        &plan.config.files,
        &b.dir,
        &plan.config.product_name,
        plan.package.homepage.as_deref(),
    )
    .map_err(|e| e.to_string())?;
    for (_, r) in &reports {
        warn(cx.rep, r);
    }
    if !reports.is_empty() {
        let mut c = plan.config.clone();
        c.files = files;
        b.signed_config = Some(c);
    }
    Ok(Some(detail(&cx.exe_name, &report)))
}

/// Signs the compiled MSI.
pub(super) fn sign_msi(cx: &Context, b: &mut TargetBuild) -> Result<Option<String>, String> {
    let s = cx
        .signer
        .as_ref()
        .ok_or_else(|| "signing was not prepared".to_string())?;
    let name = &b.target.msi;
    // Signed in place in the staging directory: never read whole into memory.
    let report = s
        .sign_file(
            &b.msi,
            &cx.plan.config.product_name,
            cx.plan.package.homepage.as_deref(),
        )
        .map_err(|e| e.to_string())?;
    warn(cx.rep, &report);
    Ok(Some(detail(name, &report)))
}

/// Replaces `bytes` by their signed form, reporting the signer's warnings.
fn sign_one(
    cx: &Context,
    s: &Signer,
    bytes: &mut Vec<u8>,
    name: &str,
) -> Result<SignReport, String> {
    let (signed, report) = s
        .sign_bytes(
            bytes,
            name,
            &cx.plan.config.product_name,
            cx.plan.package.homepage.as_deref(),
        )
        .map_err(|e| e.to_string())?;
    warn(cx.rep, &report);
    *bytes = signed;
    Ok(report)
}

fn warn(rep: &Reporter, report: &SignReport) {
    for w in &report.warnings {
        rep.warning(w);
    }
}

fn detail(name: &str, report: &SignReport) -> String {
    format!(
        "{name} by {}{}",
        report.subject,
        if report.timestamped {
            ", timestamped"
        } else {
            ""
        }
    )
}
