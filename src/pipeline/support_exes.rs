//! svcpack's own executables that ship beside the program: the service host (hosted
//! services) and the installer helper (services packaged with svcpack's template). Both are
//! built from embedded source with the program's cargo and target, cached, and stamped.

use crate::cargo;

use super::state::{Build, Context};

/// Builds, stamps and configures the service host; skipped unless the service is hosted.
pub(super) fn host(cx: &Context, b: &mut Build) -> Result<Option<String>, String> {
    let plan = cx.plan;
    let Some((service, settings)) = plan
        .config
        .service
        .as_ref()
        .and_then(|s| s.host.as_ref().map(|h| (s, h)))
    else {
        return Ok(None);
    };
    // Built from source with the program's cargo and target (also with --no-build),
    // cached in the target dir by cargo's own fingerprints.
    let built = crate::host::build(&cargo::cargo_program(), &plan.target, &plan.host_cache_dir)
        .map_err(|e| e.to_string())?;
    let bytes =
        std::fs::read(&built).map_err(|e| format!("cannot read {}: {e}", built.display()))?;
    let year = crate::config::year_of_unix_time(cx.opts.timestamp as i64);
    let stamped = crate::host::stamp(&built, &bytes, &plan.config, plan.arch.machine(), year)
        .map_err(|e| e.to_string())?;
    let conf =
        crate::host::config_file(service, settings, &cx.exe_name).map_err(|e| e.to_string())?;
    let detail = format!(
        "{} ({}) runs {}",
        crate::host::HOST_EXE_NAME,
        crate::progress::human_size(stamped.len() as u64),
        cx.exe_name
    );
    b.host = Some((stamped, conf));
    Ok(Some(detail))
}

/// Builds (or takes from the cache) and stamps the installer helper.
pub(super) fn helper(cx: &Context, b: &mut Build) -> Result<Option<String>, String> {
    let plan = cx.plan;
    // Built like the service host, into the same cache folder; a cached build is used
    // without running cargo.
    let (built, ran) =
        crate::helper::build(&cargo::cargo_program(), &plan.target, &plan.host_cache_dir)
            .map_err(|e| e.to_string())?;
    let bytes =
        std::fs::read(&built).map_err(|e| format!("cannot read {}: {e}", built.display()))?;
    let year = crate::config::year_of_unix_time(cx.opts.timestamp as i64);
    let stamped = crate::helper::stamp(&built, &bytes, &plan.config, plan.arch.machine(), year)
        .map_err(|e| e.to_string())?;
    let detail = format!(
        "{} ({}{})",
        crate::helper::HELPER_EXE_NAME,
        crate::progress::human_size(stamped.len() as u64),
        if ran { ", built" } else { ", cached" }
    );
    b.helper = Some(stamped);
    Ok(Some(detail))
}
