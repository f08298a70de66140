//! End-to-end test support: the Windows toolchain, fixture builds, a Wine prefix per test,
//! HTTP probing and port allocation. Use it from an integration test with `mod support;`.
//!
//! ```ignore
//! mod support;
//! use support::*;
//!
//! #[test]
//! fn installs_and_answers() {
//!     // Skips with a loud notice when the toolchain is missing (fails with
//!     // SVCPACK_REQUIRE_WINE=1).
//!     let Some(tc) = windows_toolchain() else { return };
//!     let work = tempfile::tempdir().unwrap();
//!     let crate_dir = copy_fixture("example-service", &work.path().join("svc"));
//!     let port = next_port();
//!     set_service_port(&crate_dir, port); // never the fixture's default 18431
//!     let status = tc
//!         .svcpack() // cargo-svcpack svcpack, with SVCPACK_CARGO/RUSTC/linker set
//!         .current_dir(&crate_dir)
//!         .env("CARGO_TARGET_DIR", work.path().join("target"))
//!         .args(["build", "--target", tc.target()])
//!         .status()
//!         .unwrap();
//!     assert!(status.success());
//!     let msi = /* <target>/svcpack/example-service-0.1.0-x64.msi */;
//!     let wine = WinePrefix::new(); // dropped (wineserver -k, rm -rf) even on panic
//!     wine.msiexec_install(&msi).assert_success();
//!     let body = wine.http_get(port, "/", secs(30)).expect("the service answers");
//!     assert!(body.contains("version=0.1.0"));
//!     wine.net_stop("SvcpackExample").assert_success();
//!     assert!(wine.wait_process_gone("example-service.exe", secs(15)));
//!     wine.msiexec_uninstall(&msi).assert_success();
//!     assert!(wine.reg_values(r"HKLM\System\CurrentControlSet\Services\SvcpackExample").is_none());
//! }
//! ```
//!
//! Absence of the toolchain (Debian cargo/rustc with the windows-gnu std, mingw, Wine,
//! msitools) makes tests skip with a loud notice, unless `SVCPACK_REQUIRE_WINE=1` is set
//! (CI sets it), in which case it is a test failure. `scripts/setup --test` installs all of it.
//!
//! Environment knobs: `SVCPACK_REQUIRE_WINE=1` (missing toolchain fails),
//! `SVCPACK_TEST_WIN_CARGO` / `SVCPACK_TEST_WIN_RUSTC` (default `/usr/bin/cargo`,
//! `/usr/bin/rustc`), `SVCPACK_WINEDEBUG` (WINEDEBUG for Wine commands, default `-all`),
//! `SVCPACK_KEEP_WINE_PREFIX=1` (keep each test's prefix and print its path),
//! `SVCPACK_TEST_PORT_BASE` (first port [`next_port`] tries).
//!
//! Every step prints a `[svcpack e2e timing] ...` line to stderr (not captured).
// Each test file uses a different part of this module.
#![allow(dead_code, unused_imports)]

mod artifacts;
mod cmd;
mod fixtures;
mod http;
mod packages;
mod reg;
#[cfg(target_os = "linux")]
mod rusage;
mod toolchain;
mod wine;

pub use artifacts::{
    assert_sha256sums_verify, built_msi, cached_helper, copy_example_with_release, svcpack_build,
    svcpack_build_command, svcpack_build_msi, tree, unzip, walk, EXAMPLE_RELEASE,
};
pub use cmd::CmdOutput;
pub use fixtures::{
    build_crate, build_fixture, copy_fixture, fixture_dir, fixtures_target_dir,
    set_package_version, set_service_port,
};
pub use http::{http_get, http_request, next_port, HttpResponse};
pub use packages::{
    compile_options, compile_to, component_per_file, mostly_sparse_file, noise, on_path,
    pseudo_random_file, sparse_file, write_product, Noise,
};
pub use reg::{long_root, parse_reg_export, RegValue, RegValues};
#[cfg(target_os = "linux")]
pub use rusage::{run_measured, Measured};
pub use toolchain::{require_wine, skip_or_fail, windows_toolchain, WindowsToolchain};
pub use wine::{
    template_prefix, windows_path, wine_runs_32_bit, WineChild, WinePrefix, WineProcess,
};

use std::time::{Duration, Instant};

/// `Duration::from_secs`, shorter.
pub fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// Calls `f` every `interval` until it returns `Some` or `timeout` passes (at least once).
pub fn wait_until<T>(
    timeout: Duration,
    interval: Duration,
    mut f: impl FnMut() -> Option<T>,
) -> Option<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(interval);
    }
}

/// Prints a timing line that is visible even when the test harness captures output.
pub fn report_timing(what: &str, elapsed: Duration) {
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "[svcpack e2e timing] {what}: {:.2}s",
        elapsed.as_secs_f64()
    );
}

/// Runs `f`, reports how long it took under `what`, and returns its value.
pub fn timed<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let v = f();
    report_timing(what, start.elapsed());
    v
}

/// `msiinfo export MSI TABLE` (msitools): the table as tab-separated text, `None` on failure.
pub fn msiinfo_export(msi: &std::path::Path, table: &str) -> Option<String> {
    let out = std::process::Command::new("msiinfo")
        .arg("export")
        .arg(msi)
        .arg(table)
        .output()
        .ok()?;
    if out.status.success() {
        Some(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        None
    }
}
