//! The installer helper can run on Windows 7 / Server 2008 R2, the oldest Windows the MSI's
//! custom actions support: read with pefile (an independent PE reader), the helper built for
//! x64 asks for subsystem version 6.1 or lower, imports only from DLLs every Windows since
//! Vista has, and none of the functions Windows 8 and later added that Rust's standard
//! library or the helper could reach for (those Rust's std needs it loads at run time).
//!
//! Skips with a loud notice without the Windows toolchain; fails instead with
//! `SVCPACK_REQUIRE_WINE=1` (CI). Needs python3 with pefile (`scripts/setup --test`):
//! without it, it skips with a notice, and fails where `SVCPACK_REQUIRE_TOOLS=1`.

mod support;

use std::process::Command;

use support::*;

const READ_IMPORTS: &str = r#"
import sys, pefile
pe = pefile.PE(sys.argv[1])
oh = pe.OPTIONAL_HEADER
print("subsystem %d.%d" % (oh.MajorSubsystemVersion, oh.MinorSubsystemVersion))
for e in pe.DIRECTORY_ENTRY_IMPORT:
    for i in e.imports:
        print("%s %s" % (e.dll.decode().lower(), i.name.decode() if i.name else "ordinal-%d" % i.ordinal))
"#;

/// Functions that exist only from Windows 8 on (learn.microsoft.com: each page's
/// "Minimum supported client").
const WINDOWS_8_AND_LATER: &[&str] = &[
    "GetSystemTimePreciseAsFileTime",
    "WaitOnAddress",
    "WakeByAddressSingle",
    "WakeByAddressAll",
    "SetThreadDescription",
    "GetThreadDescription",
    "CreateFile2",
    "GetCurrentThreadStackLimits",
    "SetDefaultDllDirectories",
    "PrefetchVirtualMemory",
    "SetProcessMitigationPolicy",
    "GetProcessMitigationPolicy",
];

/// DLLs of every Windows since Vista (the MinGW C runtime is msvcrt.dll).
const SYSTEM_DLLS: &[&str] = &[
    "kernel32.dll",
    "advapi32.dll",
    "msvcrt.dll",
    "ntdll.dll",
    "bcrypt.dll",
    "userenv.dll",
    "ws2_32.dll",
    "shell32.dll",
    "ole32.dll",
];

#[test]
fn the_helper_imports_nothing_windows_7_lacks() {
    let Some(tc) = windows_toolchain() else {
        return;
    };
    let pefile = Command::new("python3")
        .args(["-c", "import pefile"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !pefile {
        assert!(
            !std::env::var_os("SVCPACK_REQUIRE_TOOLS").is_some_and(|v| v == "1"),
            "SVCPACK_REQUIRE_TOOLS=1 but python3's pefile is missing (scripts/setup --test)"
        );
        eprintln!("notice: skipping the helper's import check: pefile is missing");
        return;
    }
    // Compiling a source with a firewall exception builds the helper (or finds it cached)
    // where the fixtures are built.
    let work = tempfile::tempdir().unwrap();
    let exe = work.path().join("example-service.exe");
    std::fs::write(&exe, b"stand-in service\n").unwrap();
    let o = tc
        .svcpack()
        .arg("compile")
        .arg(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/wix/firewall-v3.wxs"))
        .arg("-o")
        .arg(work.path().join("fw.msi"))
        .arg("-D")
        .arg(format!("ExePath={}", exe.display()))
        .args(["-D", "ServiceName=SvcpackFw"])
        .env("CARGO_TARGET_DIR", fixtures_target_dir())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let helper = walk(&fixtures_target_dir().join("svcpack-host"))
        .into_iter()
        .find(|p| {
            p.file_name().is_some_and(|n| {
                let n = n.to_string_lossy();
                n.starts_with("svcpack-helper-") && n.ends_with("-x86_64-pc-windows-gnu.exe")
            })
        })
        .expect("the cached x64 helper");

    let o = Command::new("python3")
        .args(["-c", READ_IMPORTS])
        .arg(&helper)
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut lines = printed.lines();
    let subsystem = lines.next().unwrap().strip_prefix("subsystem ").unwrap();
    let (major, minor) = subsystem.split_once('.').unwrap();
    let version = (major.parse::<u32>().unwrap(), minor.parse::<u32>().unwrap());
    assert!(
        version <= (6, 1),
        "subsystem {subsystem} is newer than Windows 7's 6.1"
    );
    let mut imports = 0;
    for line in lines {
        let (dll, function) = line.split_once(' ').unwrap();
        assert!(SYSTEM_DLLS.contains(&dll), "imports {dll} ({function})");
        assert!(
            !WINDOWS_8_AND_LATER.contains(&function),
            "imports {function} from {dll}, which Windows 7 lacks"
        );
        imports += 1;
    }
    assert!(imports > 0, "no imports read:\n{printed}");
    // What the helper exists for is imported, not loaded by name.
    for function in [
        "ChangeServiceConfig2W",
        "QueryServiceStatusEx",
        "ControlService",
    ] {
        assert!(
            printed.contains(&format!("advapi32.dll {function}\n")),
            "{printed}"
        );
    }
}
