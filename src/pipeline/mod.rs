//! Executing a [`Plan`]: the stages of `cargo svcpack build` in order, each timed and
//! reported, with every artifact written to a private staging directory first and moved
//! into the out-dir only when all stages succeeded — a failed build leaves the out-dir
//! exactly as it was.
//!
//! This module owns stage order and dispatch only; each stage lives in the file named for
//! its concern (exe, support_exes, signing, installer, archive, release, publish), and the
//! bytes they hand to each other in [`state`].

mod archive;
mod error;
mod exe;
mod installer;
mod options;
mod publish;
mod release;
mod signing;
mod state;
mod support_exes;

use std::time::Instant;

use error::fail;
pub use error::BuildError;
pub use options::RunOptions;
use state::{Build, Context};

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
    let cx = Context {
        plan,
        opts,
        rep,
        stage_dir: staging.path(),
        exe_name: plan.config.exe_name(),
    };
    // Declared after `staging`, so dropped first: the signer's scratch files live there.
    let mut b = Build::default();
    for &stage in &plan.stages {
        let t = Instant::now();
        let ran = match stage {
            Stage::Configure => configure(&cx, &mut b),
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
            Stage::Winget => release::winget(&cx, &mut b),
            Stage::Checksums => release::checksums(&cx, &mut b),
        }
        .map_err(|m| fail(stage, m))?;
        // A stage with nothing to do for this package is not reported.
        if let Some(detail) = ran {
            rep.stage(stage.name(), t.elapsed(), &detail);
        }
    }
    let t = Instant::now();
    publish::publish(&plan.out_dir, &b.outputs).map_err(|m| fail(Stage::Checksums, m))?;
    rep.stage("publish", t.elapsed(), &plan.out_dir.display().to_string());
    let listed: Vec<(String, u64)> = b
        .outputs
        .iter()
        .map(|(n, bytes)| (n.clone(), bytes.len() as u64))
        .collect();
    rep.finished(&listed, &plan.out_dir, started.elapsed());
    Ok(listed)
}

/// Reports the plan's warnings and prepares signing, before any work.
fn configure(cx: &Context, b: &mut Build) -> Result<Option<String>, String> {
    let plan = cx.plan;
    for w in &plan.warnings {
        cx.rep.warning(w);
    }
    let mut detail = format!(
        "{} {} for {}",
        plan.package.name, plan.package.version, plan.target
    );
    if let Some(signing) = signing::prepare(cx, b)? {
        detail.push_str("; ");
        detail.push_str(&signing);
    }
    Ok(Some(detail))
}
