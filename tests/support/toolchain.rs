//! Detection of the Windows build toolchain and Wine (`scripts/setup --test` installs them; see the README).

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The Rust target the fixtures are built for.
pub const WINDOWS_TARGET: &str = "x86_64-pc-windows-gnu";

/// Debian's 64-bit Wine loader (what `/usr/bin/wine` runs when wine32 is absent).
pub const DEBIAN_WINE64: &str = "/usr/lib/wine/wine64";

/// Everything an end-to-end test needs on the host.
#[derive(Debug, Clone)]
pub struct WindowsToolchain {
    /// Debian's cargo (`/usr/bin/cargo`, or `$SVCPACK_TEST_WIN_CARGO`).
    pub cargo: PathBuf,
    /// Debian's rustc with the x86_64-pc-windows-gnu std (`/usr/bin/rustc`, or
    /// `$SVCPACK_TEST_WIN_RUSTC`).
    pub rustc: PathBuf,
    /// `x86_64-w64-mingw32-gcc`.
    pub linker: PathBuf,
    pub wine: PathBuf,
    pub wineserver: PathBuf,
    /// `msiinfo` (msitools).
    pub msiinfo: PathBuf,
    /// `wixl` (msitools' WiX compiler); optional, only the harness self-test needs it.
    pub wixl: Option<PathBuf>,
    /// `rustc --version` of the Debian compiler, for messages.
    pub rustc_version: String,
    /// `wine --version`.
    pub wine_version: String,
}

/// Finds `name` on PATH.
pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

fn env_path(var: &str, default: &str) -> PathBuf {
    std::env::var_os(var)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(default))
}

fn output_of(program: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new(program)
        .args(args)
        .env("WINEDEBUG", "-all")
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    Some(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn detect() -> Result<WindowsToolchain, Vec<String>> {
    let mut missing = Vec::new();

    let cargo = env_path("SVCPACK_TEST_WIN_CARGO", "/usr/bin/cargo");
    if !cargo.is_file() {
        missing.push(format!(
            "{} (Debian package `cargo`; or set SVCPACK_TEST_WIN_CARGO)",
            cargo.display()
        ));
    }
    let rustc = env_path("SVCPACK_TEST_WIN_RUSTC", "/usr/bin/rustc");
    let mut rustc_version = String::new();
    if !rustc.is_file() {
        missing.push(format!(
            "{} (Debian package `rustc`; or set SVCPACK_TEST_WIN_RUSTC)",
            rustc.display()
        ));
    } else {
        rustc_version = output_of(&rustc, &["--version"]).unwrap_or_default();
        let std_dir = output_of(&rustc, &["--print", "sysroot"]).map(|s| {
            PathBuf::from(s)
                .join("lib/rustlib")
                .join(WINDOWS_TARGET)
                .join("lib")
        });
        let has_std = std_dir
            .as_ref()
            .and_then(|d| std::fs::read_dir(d).ok())
            .map(|mut entries| {
                entries.any(|e| {
                    e.map(|e| e.file_name().to_string_lossy().starts_with("libstd-"))
                        .unwrap_or(false)
                })
            })
            .unwrap_or(false);
        if !has_std {
            missing.push(format!(
                "the {WINDOWS_TARGET} standard library for {} (Debian package `libstd-rust-dev-windows`)",
                rustc.display()
            ));
        }
    }
    let linker = which("x86_64-w64-mingw32-gcc");
    if linker.is_none() {
        missing.push("x86_64-w64-mingw32-gcc (Debian package `gcc-mingw-w64-x86-64`)".into());
    }
    // Debian's `wine` runs the 32-bit loader once wine32 is installed, and a 32-bit `reg`
    // or `msiexec` sees the 32-bit registry view: the tests drive 64-bit Wine, which
    // starts 32-bit programs with the 32-bit loader by itself.
    let wine = Some(PathBuf::from(DEBIAN_WINE64))
        .filter(|p| p.is_file())
        .or_else(|| which("wine"))
        .or_else(|| which("wine64"));
    if wine.is_none() {
        missing.push("wine (Debian packages `wine` and `wine64`)".into());
    }
    let wineserver = which("wineserver").or_else(|| {
        ["/usr/lib/wine/wineserver64", "/usr/lib/wine/wineserver"]
            .iter()
            .map(PathBuf::from)
            .find(|p| p.is_file())
    });
    if wineserver.is_none() {
        missing.push("wineserver (Debian package `wine`)".into());
    }
    let msiinfo = which("msiinfo");
    if msiinfo.is_none() {
        missing.push("msiinfo (Debian package `msitools`)".into());
    }
    let wine_version = wine
        .as_ref()
        .and_then(|w| output_of(w, &["--version"]))
        .unwrap_or_default();
    if wine.is_some() && wine_version.is_empty() {
        missing.push("a working `wine --version`".into());
    }

    if !missing.is_empty() {
        return Err(missing);
    }
    Ok(WindowsToolchain {
        cargo,
        rustc,
        linker: linker.unwrap(),
        wine: wine.unwrap(),
        wineserver: wineserver.unwrap(),
        msiinfo: msiinfo.unwrap(),
        wixl: which("wixl"),
        rustc_version,
        wine_version,
    })
}

static TOOLCHAIN: OnceLock<Result<WindowsToolchain, Vec<String>>> = OnceLock::new();

/// True when `SVCPACK_REQUIRE_WINE=1` (CI): a missing toolchain fails instead of skipping.
pub fn require_wine() -> bool {
    matches!(
        std::env::var("SVCPACK_REQUIRE_WINE").as_deref(),
        Ok("1") | Ok("true") | Ok("yes")
    )
}

/// Skips the current test with a loud notice (visible even when output is captured), or
/// panics when `SVCPACK_REQUIRE_WINE=1`.
#[track_caller]
pub fn skip_or_fail(reason: &str) {
    let test = std::thread::current()
        .name()
        .unwrap_or("<unnamed test>")
        .to_string();
    if require_wine() {
        panic!("SVCPACK_REQUIRE_WINE=1 but {test} cannot run: {reason}");
    }
    let _ = writeln!(
        std::io::stderr(),
        "\n!!!!!!!! SKIPPED {test}: {reason}\n!!!!!!!! (run scripts/setup --test; \
         set SVCPACK_REQUIRE_WINE=1 to make this a failure)\n"
    );
}

/// The detected toolchain, or `None` after printing a loud skip notice. With
/// `SVCPACK_REQUIRE_WINE=1` a missing piece panics (fails the test) instead.
#[track_caller]
pub fn windows_toolchain() -> Option<&'static WindowsToolchain> {
    match TOOLCHAIN.get_or_init(detect) {
        Ok(tc) => Some(tc),
        Err(missing) => {
            skip_or_fail(&format!(
                "the Windows end-to-end toolchain is incomplete; missing: {}",
                missing.join("; ")
            ));
            None
        }
    }
}

impl WindowsToolchain {
    pub fn target(&self) -> &'static str {
        WINDOWS_TARGET
    }

    /// The environment a build of a Windows service needs (for `cargo svcpack build` and
    /// direct cargo runs): `SVCPACK_CARGO` (Debian cargo), `RUSTC` (Debian rustc) and
    /// `CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER` (mingw gcc).
    pub fn build_env(&self) -> Vec<(&'static str, OsString)> {
        vec![
            ("SVCPACK_CARGO", self.cargo.clone().into_os_string()),
            ("RUSTC", self.rustc.clone().into_os_string()),
            (
                "CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER",
                self.linker.clone().into_os_string(),
            ),
        ]
    }

    /// Applies [`Self::build_env`] to `cmd` and removes variables of the outer (rustup)
    /// cargo that would confuse Debian's older cargo.
    pub fn apply_build_env<'c>(&self, cmd: &'c mut Command) -> &'c mut Command {
        for var in [
            "RUSTC_WRAPPER",
            "RUSTC_WORKSPACE_WRAPPER",
            "RUSTUP_TOOLCHAIN",
            "CARGO_BUILD_TARGET",
            "CARGO_BUILD_RUSTC",
            "CARGO_ENCODED_RUSTFLAGS",
            "CARGO_MAKEFLAGS",
            "MAKEFLAGS",
            "MFLAGS",
            "CARGO_TARGET_DIR",
            "CARGO_BUILD_TARGET_DIR",
        ] {
            cmd.env_remove(var);
        }
        for (k, v) in self.build_env() {
            cmd.env(k, v);
        }
        cmd
    }

    /// `cargo-svcpack svcpack` (this package's binary) with the build environment applied.
    pub fn svcpack(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_cargo-svcpack"));
        cmd.arg("svcpack");
        self.apply_build_env(&mut cmd);
        cmd
    }
}
