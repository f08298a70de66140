//! cargo-wix compatibility: the preprocessor variables cargo-wix passes to a project's own
//! `wix/main.wxs`, and cargo's output directory as cargo-wix computes it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::values::path_text;
use super::{RenderError, ARCHES};
use crate::version::MsiVersion;

/// What cargo-wix's preprocessor variables are made of.
#[derive(Clone, Copy, Debug)]
pub struct CargoWixInput<'a> {
    /// The package version (`Version` is its MSI ProductVersion).
    pub version: &'a MsiVersion,
    /// `x86`, `x64` or `arm64` (`Platform`).
    pub arch: &'a str,
    /// The rustc target triple, e.g. `x86_64-pc-windows-msvc`.
    pub target_triple: &'a str,
    /// The cargo profile name (`release`, `dev`, or a custom one).
    pub profile: &'a str,
    /// Cargo's target directory (`target`).
    pub target_dir: &'a Path,
    /// The directory holding `<binary>.exe` as it should be packaged. svcpack points it at
    /// its stamped (and signed) copy so `$(var.CargoTargetBinDir)\<binary>.exe` packages
    /// that; [`cargo_target_bin_dir`] gives cargo's own directory.
    pub bin_dir: &'a Path,
}

/// Cargo's output directory for a profile, as cargo-wix computes `CargoTargetBinDir`:
/// `<target-dir>[/<triple>]/<profile dir>`, where `dev` and `test` build into `debug`,
/// `release` and `bench` into `release`, and custom profiles into their own name.
pub fn cargo_target_bin_dir(target_dir: &Path, triple: Option<&str>, profile: &str) -> PathBuf {
    let mut dir = target_dir.to_path_buf();
    if let Some(t) = triple {
        dir.push(t);
    }
    dir.push(match profile {
        "dev" | "test" => "debug",
        "release" | "bench" => "release",
        other => other,
    });
    dir
}

/// The `-d NAME=VALUE` variables cargo-wix passes to the WiX compiler, for a project that
/// brings its own `wix/main.wxs`: `Version`, `Platform`, `Profile`, `CargoProfile`,
/// `TargetTriple`, `TargetEnv`, `TargetVendor` (when the triple has one), `CargoTargetDir`
/// and `CargoTargetBinDir` (names and values as in cargo-wix's `create.rs`). `Version` is
/// svcpack's ProductVersion `MAJOR.MINOR.PATCH`, where cargo-wix would append a number
/// taken from a pre-release.
pub fn cargo_wix_defines(input: &CargoWixInput) -> Result<BTreeMap<String, String>, RenderError> {
    if !ARCHES.contains(&input.arch) {
        return Err(RenderError::Arch(input.arch.to_string()));
    }
    let mut defines = BTreeMap::new();
    let mut put = |k: &str, v: String| {
        defines.insert(k.to_string(), v);
    };
    put("Version", input.version.product_version());
    put("Platform", input.arch.to_string());
    put("Profile", input.profile.to_string());
    put("CargoProfile", input.profile.to_string());
    put("TargetTriple", input.target_triple.to_string());
    let (vendor, env) = triple_vendor_env(input.target_triple);
    put("TargetEnv", env.to_string());
    if let Some(v) = vendor {
        put("TargetVendor", v.to_string());
    }
    put(
        "CargoTargetDir",
        path_text(input.target_dir, "CargoTargetDir")?,
    );
    put(
        "CargoTargetBinDir",
        path_text(input.bin_dir, "CargoTargetBinDir")?,
    );
    Ok(defines)
}

/// rustc's `target_vendor` and `target_env` of a triple `arch-vendor-os[-env]`.
pub(super) fn triple_vendor_env(triple: &str) -> (Option<&str>, &str) {
    let parts: Vec<&str> = triple.split('-').collect();
    let (vendor, env) = match parts.as_slice() {
        [_, vendor, _, env, ..] => (Some(*vendor), *env),
        [_, _, env] if *env == "msvc" || env.starts_with("gnu") => (None, *env),
        _ => (None, ""),
    };
    // `*-gnullvm` targets are target_env "gnu" (with target_abi "llvm").
    let env = if env.starts_with("gnu") { "gnu" } else { env };
    (vendor, env)
}
