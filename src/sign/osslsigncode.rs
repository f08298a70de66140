//! The osslsigncode back end: finding osslsigncode and what its version supports (it is
//! also the verifier and timestamper on every host but Windows), and signing with a
//! PKCS#12 file whose password reaches it only through a private `-readpass` file.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::pkcs12::{classify_failure, Key};
use super::tools::{self, run, Env};
use super::{io_err, tool_from, SignError, Signer, Verifier};

/// osslsigncode (from `$SVCPACK_OSSLSIGNCODE` or PATH) and what it supports.
pub(super) fn osslsigncode(
    env: Env,
    why: &str,
    secrets: &[&str],
) -> Result<(PathBuf, Verifier, String), SignError> {
    let program = tool_from(env, "osslsigncode", "SVCPACK_OSSLSIGNCODE").ok_or_else(|| {
        let searched = match env("SVCPACK_OSSLSIGNCODE") {
            Some(v) => format!("SVCPACK_OSSLSIGNCODE={v} is not an executable"),
            None => "looked in PATH and SVCPACK_OSSLSIGNCODE".into(),
        };
        SignError::ToolNotFound {
            tool: "osslsigncode".into(),
            searched,
            hint: format!(
                "{why}: install it (apt-get install osslsigncode, brew install \
                 osslsigncode) or set SVCPACK_OSSLSIGNCODE to its path"
            ),
        }
    })?;
    let help = run(Command::new(&program).arg("--help"), secrets)
        .map(|r| r.text)
        .unwrap_or_default();
    let version = run(Command::new(&program).arg("--version"), secrets)
        .map(|r| r.text)
        .map_err(|source| SignError::ToolFailed {
            tool: program.display().to_string(),
            source,
        })?;
    // `Default -CAfile location: /etc/ssl/certs/ca-certificates.crt` names the bundle
    // this osslsigncode's OpenSSL uses; then SSL_CERT_FILE and the usual places.
    let mut bundles: Vec<PathBuf> = Vec::new();
    if let Some(p) = env("SSL_CERT_FILE") {
        bundles.push(p.into());
    }
    for line in version.lines() {
        if let Some(p) = line.trim().strip_prefix("Default -CAfile location:") {
            bundles.push(p.trim().into());
        }
    }
    for p in [
        "/etc/ssl/certs/ca-certificates.crt",
        "/etc/pki/tls/certs/ca-bundle.crt",
        "/etc/ssl/ca-bundle.pem",
        "/etc/ssl/cert.pem",
        "/usr/local/etc/openssl/cert.pem",
    ] {
        bundles.push(p.into());
    }
    let ca_bundle = bundles.into_iter().find(|p| p.is_file());
    // `osslsigncode 2.9` from `osslsigncode 2.9, using: ...`.
    let name = version
        .lines()
        .next()
        .map(|l| l.split(',').next().unwrap_or(l).trim().to_string())
        .filter(|l| l.starts_with("osslsigncode") && l.len() < 40)
        .unwrap_or_else(|| "osslsigncode".into());
    let verifier = Verifier::Osslsigncode {
        program: program.clone(),
        ignore_cdp: help.contains("-ignore-cdp"),
        tsa_cafile: help.contains("-TSA-CAfile"),
        ca_bundle,
    };
    Ok((program, verifier, name))
}

impl Signer {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn osslsigncode_sign(
        &self,
        program: &Path,
        key: &Key,
        input: &Path,
        output: &Path,
        description: &str,
        url: Option<&str>,
        scratch: &tempfile::TempDir,
    ) -> Result<(), SignError> {
        let mut cmd = Command::new(program);
        cmd.arg("sign").arg("-pkcs12").arg(key.pfx.path());
        // No password: no option at all (osslsigncode refuses an empty password file, and
        // with stdin closed it never prompts).
        let pass = scratch.path().join("password");
        if !key.password.0.is_empty() {
            tools::write_private(&pass, key.password.0.as_bytes())
                .map_err(io_err("cannot write the password file"))?;
            cmd.arg("-readpass").arg(&pass);
        }
        cmd.args(["-h", "sha256"]);
        if !description.is_empty() {
            cmd.arg("-n").arg(description);
        }
        if let Some(u) = url.filter(|u| !u.is_empty()) {
            cmd.arg("-i").arg(u);
        }
        if let Some(t) = self.signing_time {
            cmd.arg("-time").arg(t.to_string());
        }
        cmd.arg("-in").arg(input).arg("-out").arg(output);
        let ran = run(&mut cmd, &self.secrets());
        // Deleted as soon as the tool is done, whatever happened.
        let _ = std::fs::remove_file(&pass);
        let ran = ran.map_err(|source| SignError::ToolFailed {
            tool: program.display().to_string(),
            source,
        })?;
        if ran.ok && output.is_file() {
            return Ok(());
        }
        Err(classify_failure(&ran.text, key, &self.tool_name, input))
    }
}
