//! The signtool back end (Windows only): finding signtool.exe in PATH or the Windows Kits,
//! and signing with a PKCS#12 whose password signtool would only take on its command line
//! — so PowerShell re-exports the key without one for each run.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::pkcs12::{classify_failure, Key};
use super::tools::{run, Env};
use super::{tool_from, SignError, Signer};

/// signtool: `$SVCPACK_SIGNTOOL`, PATH, then the newest Windows 10/11 SDK.
pub(super) fn signtool(env: Env) -> Result<PathBuf, SignError> {
    if let Some(p) = tool_from(env, "signtool", "SVCPACK_SIGNTOOL") {
        return Ok(p);
    }
    let arch = match std::env::consts::ARCH {
        "aarch64" => "arm64",
        "x86" => "x86",
        _ => "x64",
    };
    for root in ["ProgramFiles(x86)", "ProgramFiles"] {
        let Some(base) = env(root) else { continue };
        let bin = Path::new(&base).join("Windows Kits").join("10").join("bin");
        let mut versions: Vec<PathBuf> = std::fs::read_dir(&bin)
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        // "10.0.22621.0" directories: the numerically newest wins.
        versions.sort_by_key(|p| {
            p.file_name()
                .map(|n| {
                    n.to_string_lossy()
                        .split('.')
                        .map(|x| x.parse::<u32>().unwrap_or(0))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        });
        for v in versions.iter().rev().chain(std::iter::once(&bin)) {
            let p = v.join(arch).join("signtool.exe");
            if p.is_file() {
                return Ok(p);
            }
        }
    }
    Err(SignError::ToolNotFound {
        tool: "signtool".into(),
        searched: "looked in SVCPACK_SIGNTOOL, PATH and the Windows Kits".into(),
        hint: "install the Windows SDK signing tools, set SVCPACK_SIGNTOOL, or use tool = \
               \"osslsigncode\""
            .into(),
    })
}

impl Signer {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn signtool_sign(
        &self,
        program: &Path,
        powershell: &Path,
        key: &Key,
        file: &Path,
        description: &str,
        url: Option<&str>,
        scratch: &tempfile::TempDir,
    ) -> Result<(), SignError> {
        // signtool takes a password only on its command line (/p), so PowerShell, reading
        // it from its environment, re-exports the key without one into the private
        // scratch directory for the single signtool run, deleted right after.
        let plain = scratch.path().join("key.pfx");
        let ran = run(
            Command::new(powershell)
                .args([
                    "-NoProfile",
                    "-NonInteractive",
                    "-ExecutionPolicy",
                    "Bypass",
                    "-Command",
                    EXPORT_SCRIPT,
                ])
                .env("SVCPACK_SIGN_PFX", key.pfx.path())
                .env("SVCPACK_SIGN_PASSWORD", &key.password.0)
                .env("SVCPACK_SIGN_OUT", &plain),
            &self.secrets(),
        )
        .map_err(|source| SignError::ToolFailed {
            tool: powershell.display().to_string(),
            source,
        })?;
        if !ran.ok {
            let _ = std::fs::remove_file(&plain);
            return Err(classify_failure(&ran.text, key, "PowerShell", file));
        }
        let mut cmd = Command::new(program);
        cmd.args(["sign", "/fd", "sha256", "/f"]).arg(&plain);
        if !description.is_empty() {
            cmd.arg("/d").arg(description);
        }
        if let Some(u) = url.filter(|u| !u.is_empty()) {
            cmd.arg("/du").arg(u);
        }
        cmd.arg(file);
        let ran = run(&mut cmd, &self.secrets());
        let _ = std::fs::remove_file(&plain);
        let ran = ran.map_err(|source| SignError::ToolFailed {
            tool: program.display().to_string(),
            source,
        })?;
        if ran.ok {
            Ok(())
        } else {
            Err(classify_failure(&ran.text, key, "signtool", file))
        }
    }
}

/// Windows only. Exports the PKCS#12 named by `$env:SVCPACK_SIGN_PFX`, opened with the
/// password in `$env:SVCPACK_SIGN_PASSWORD`, to `$env:SVCPACK_SIGN_OUT` without a
/// password — every value travels in the environment, none on a command line.
const EXPORT_SCRIPT: &str = "$ErrorActionPreference = 'Stop'; \
$flags = [System.Security.Cryptography.X509Certificates.X509KeyStorageFlags]::Exportable; \
$c = New-Object System.Security.Cryptography.X509Certificates.X509Certificate2Collection; \
$c.Import($env:SVCPACK_SIGN_PFX, $env:SVCPACK_SIGN_PASSWORD, $flags); \
[System.IO.File]::WriteAllBytes($env:SVCPACK_SIGN_OUT, $c.Export([System.Security.Cryptography.X509Certificates.X509ContentType]::Pkcs12))";
