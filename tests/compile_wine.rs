//! The native compiler's output installs for real: the example service is built for
//! Windows, `tests/wix/service-v3.wxs` and `service-v4.wxs` are compiled by
//! `cargo svcpack compile`, installed with Wine's msiexec, answer over HTTP with the
//! configured arguments, and `msiexec /x` removes service registration and files.
//!
//! Skips with a loud notice without the Windows toolchain and Wine; fails instead with
//! `SVCPACK_REQUIRE_WINE=1` (CI).

mod support;

use std::path::{Path, PathBuf};

use support::*;

const EXE: &str = "example-service.exe";

fn compile(tc: &WindowsToolchain, src: &str, exe: &Path, out: &Path, port: u16, name: &str) {
    let cfg = fixture_dir("example-service").join("config/agent.toml");
    let mut cmd = tc.svcpack();
    cmd.arg("compile")
        .arg(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("tests/wix")
                .join(src),
        )
        .arg("-o")
        .arg(out)
        .arg("-D")
        .arg(format!("ExePath={}", exe.display()))
        .arg("-D")
        .arg(format!("Config={}", cfg.display()))
        .arg("-D")
        .arg(format!("Port={port}"))
        .arg("-D")
        .arg(format!("ServiceName={name}"));
    let o = cmd.output().expect("running cargo-svcpack compile");
    assert!(
        o.status.success(),
        "compile failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn install_run_uninstall(src: &str, dir_name: &str) {
    let Some(tc) = windows_toolchain() else {
        return;
    };
    let exe = timed("compile_wine: build example-service", || {
        build_fixture("example-service")
    });
    let wine = timed("compile_wine: wine prefix", WinePrefix::new);
    let port = next_port();
    let name = format!("SvcpackNative{port}");
    let msi = wine.scratch_dir().join("native.msi");
    timed("compile_wine: cargo svcpack compile", || {
        compile(tc, src, &exe, &msi, port, &name)
    });
    timed("compile_wine: msiexec /i", || {
        wine.msiexec_install(&msi).assert_success()
    });

    let body = wine
        .http_get(port, "/", secs(30))
        .unwrap_or_else(|| panic!("no answer on 127.0.0.1:{port}"));
    assert!(body.contains("version=0.1.0"), "{body}");
    assert!(body.contains(&format!("service={name}")), "{body}");
    assert!(body.contains("mode=service"), "{body}");
    let installed = wine.program_files().join(dir_name);
    assert!(
        installed.join(EXE).is_file(),
        "{} missing",
        installed.join(EXE).display()
    );
    assert!(installed.join("agent.toml").is_file());
    let key = format!(r"HKLM\System\CurrentControlSet\Services\{name}");
    assert!(wine.reg_query(&key).is_some(), "service not registered");

    // Stop first (Wine does not wait for a stopping service before deleting files),
    // then uninstall: no registration, no files.
    wine.net_stop(&name).assert_success();
    assert!(
        wine.wait_process_gone(EXE, secs(15)),
        "service process lingers"
    );
    timed("compile_wine: msiexec /x", || {
        wine.msiexec_uninstall(&msi).assert_success()
    });
    assert!(
        wine.reg_key_absent(&key),
        "service still registered after uninstall"
    );
    assert!(!installed.join(EXE).exists(), "exe left behind");
}

#[test]
fn v3_service_package_installs_answers_and_uninstalls() {
    install_run_uninstall("service-v3.wxs", "svcpack Example v3");
}

#[test]
fn v4_service_package_installs_answers_and_uninstalls() {
    install_run_uninstall("service-v4.wxs", "svcpack Example v4");
}

/// WiX v4 `Compressed="no"`: no cabinet; the files are laid out beside the MSI in the
/// source tree Windows Installer expects, and the package installs from there.
#[test]
fn uncompressed_v4_package_installs_from_files_beside_the_msi() {
    let Some(tc) = windows_toolchain() else {
        return;
    };
    let _ = tc;
    let wine = WinePrefix::new();
    let work = wine.scratch_dir().join("uncompressed");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::write(
        work.join("readme.txt"),
        "hello from an uncompressed package\n",
    )
    .unwrap();
    std::fs::write(
        work.join("pkg.wxs"),
        r#"<Wix xmlns="http://wixtoolset.org/schemas/v4/wxs">
  <Package Name="Uncompressed" Manufacturer="svcpack tests" Version="1.0.0"
           UpgradeCode="7A8B9C0D-1E2F-4031-8425-36475869708A" Compressed="no">
    <StandardDirectory Id="ProgramFiles6432Folder">
      <Directory Id="INSTALLDIR" Name="Uncompressed Test">
        <Component><File Source="readme.txt" /></Component>
      </Directory>
    </StandardDirectory>
  </Package>
</Wix>
"#,
    )
    .unwrap();
    let out = work.join("out/pkg.msi");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_cargo-svcpack"))
        .current_dir(&work)
        .args(["compile", "pkg.wxs", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let laid_out = work.join("out/PFiles64/Uncompressed Test/readme.txt");
    assert!(
        laid_out.is_file(),
        "expected {} beside the MSI",
        laid_out.display()
    );
    wine.msiexec_install(&out).assert_success();
    let installed = wine.program_files().join("Uncompressed Test/readme.txt");
    assert_eq!(
        std::fs::read_to_string(installed).unwrap(),
        "hello from an uncompressed package\n"
    );
}
