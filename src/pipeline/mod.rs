//! Executing a [`Plan`]: the stages of `cargo svcpack build` in order, each timed and
//! reported, with every artifact written to a private staging directory first and moved
//! into the out-dir only when all stages succeeded — a failed build (of any target) leaves
//! the out-dir exactly as it was.
//!
//! This module owns stage order and dispatch only: configure first, then the per-target
//! stages ([`Stage::per_target`]) that apply to each target ([`TargetPlan::runs`]: the
//! Windows stages or the Linux one) for each target in turn, then the stages that cover
//! every target (winget, checksums + manifest), then publishing. Each stage lives in the
//! file named for its concern (exe, support_exes, signing, installer, archive, linux,
//! release, publish), and the bytes they hand to each other in [`state`].
//!
//! [`TargetPlan::runs`]: crate::plan::TargetPlan::runs

mod archive;
mod error;
mod exe;
mod installer;
mod linux;
mod options;
mod publish;
mod release;
mod signing;
mod state;
mod support_exes;

use std::path::Path;
use std::time::Instant;

use error::fail;
pub use error::BuildError;
pub use options::RunOptions;
use state::{Context, Release, TargetBuild};

use crate::plan::{Plan, Stage};
use crate::progress::Reporter;

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
    let t = Instant::now();
    let (detail, signer) =
        configure(plan, rep, staging.path()).map_err(|m| fail(Stage::Configure, m))?;
    rep.stage(Stage::Configure.name(), t.elapsed(), &detail);
    // Declared after `staging`, so dropped first: the signer's scratch files live there.
    let cx = Context {
        plan,
        opts,
        rep,
        exe_name: plan.config.exe_name(),
        signer,
    };
    let several = plan.targets.len() > 1;
    let mut built = Vec::new();
    for target in &plan.targets {
        // By triple: a Windows and a Linux target may share an architecture.
        let dir = staging.path().join(&target.triple);
        std::fs::create_dir(&dir).map_err(|e| {
            fail(
                Stage::Configure,
                format!("cannot create {}: {e}", dir.display()),
            )
        })?;
        let mut b = TargetBuild::new(target, dir);
        for &stage in plan
            .stages
            .iter()
            .filter(|&&s| s.per_target() && target.runs(s))
        {
            let t = Instant::now();
            let ran = match stage {
                Stage::Compile => exe::compile(&cx, &mut b),
                Stage::Host => support_exes::host(&cx, &mut b),
                Stage::Helper => support_exes::helper(&cx, &mut b),
                Stage::Stamp => exe::stamp(&cx, &mut b),
                Stage::Compress => exe::compress(&cx, &mut b),
                Stage::SignExe => signing::sign_exe(&cx, &mut b),
                Stage::Render => installer::render(&cx, &mut b),
                Stage::Msi => installer::compile(&cx, &mut b),
                Stage::SignMsi => signing::sign_msi(&cx, &mut b),
                Stage::Zip => archive::zip(&cx, &mut b),
                Stage::Sbom => release::sbom(&cx, &mut b),
                Stage::Linux => linux::packages(&cx, &mut b),
                Stage::Configure | Stage::Winget | Stage::Checksums => Ok(None),
            };
            // With several targets, each line and error says which one.
            let ran = ran.map_err(|m| {
                if several {
                    fail(stage, format!("{}: {m}", target.triple))
                } else {
                    fail(stage, m)
                }
            })?;
            // A stage with nothing to do for this package is not reported.
            if let Some(detail) = ran {
                let detail = if several {
                    format!("[{}] {detail}", target.triple)
                } else {
                    detail
                };
                rep.stage(stage.name(), t.elapsed(), &detail);
            }
        }
        built.push(b);
    }
    let mut r = Release::default();
    for &stage in plan.stages.iter().filter(|s| !s.per_target()) {
        let t = Instant::now();
        let ran = match stage {
            Stage::Winget => release::winget(&cx, &built, &mut r),
            Stage::Checksums => release::checksums(&cx, &mut built, &mut r),
            _ => Ok(None),
        }
        .map_err(|m| fail(stage, m))?;
        if let Some(detail) = ran {
            rep.stage(stage.name(), t.elapsed(), &detail);
        }
    }
    let t = Instant::now();
    let listed =
        publish::publish(&plan.out_dir, &r.outputs).map_err(|m| fail(Stage::Checksums, m))?;
    rep.stage("publish", t.elapsed(), &plan.out_dir.display().to_string());
    rep.finished(&listed, &plan.out_dir, started.elapsed());
    Ok(listed)
}

/// Reports the plan's warnings and prepares signing, before any work.
fn configure(
    plan: &Plan,
    rep: &Reporter,
    stage_dir: &Path,
) -> Result<(String, Option<crate::sign::Signer>), String> {
    for w in &plan.warnings {
        rep.warning(w);
    }
    // The Windows account (a Linux unit's user is in its unit, which `render` prints).
    if let (Some(s), true) = (
        &plan.config.service,
        plan.targets.iter().any(|t| t.linux.is_none()),
    ) {
        rep.service_account(s.name.as_str(), &s.account.object_name(&s.name));
    }
    let triples: Vec<&str> = plan.targets.iter().map(|t| t.triple.as_str()).collect();
    let mut detail = format!(
        "{} {} for {}",
        plan.package.name,
        plan.package.version,
        triples.join(", ")
    );
    let signer = match signing::prepare(plan, rep, stage_dir)? {
        Some((signer, signing)) => {
            detail.push_str("; ");
            detail.push_str(&signing);
            Some(signer)
        }
        None => None,
    };
    Ok((detail, signer))
}
