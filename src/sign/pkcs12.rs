//! The PKCS#12 key file that osslsigncode and signtool read: the configured `.pfx`, or the
//! base64 `certificate-env` decoded into a private 0600 file; and telling a wrong password
//! from a damaged file by what the tool printed.

use std::path::{Path, PathBuf};

use super::tools::{self, one_line, Env};
use super::{io_err, Secret, SignError};
use crate::config::{self, Certificate};

/// The PKCS#12 file the tool reads: the configured file, or the decoded
/// `certificate-env`, deleted on drop.
#[derive(Debug)]
pub(super) enum Pfx {
    File(PathBuf),
    Decoded(tempfile::TempPath),
}

impl Pfx {
    pub(super) fn path(&self) -> &Path {
        match self {
            Pfx::File(p) => p,
            Pfx::Decoded(t) => t,
        }
    }
}

/// The certificate and its password, for the tools that take a PKCS#12.
#[derive(Debug)]
pub(super) struct Key {
    pub(super) pfx: Pfx,
    /// Where it came from, for messages: the path, or `certificate-env VAR`.
    pub(super) describe: String,
    /// Empty when no `password-env` is configured (a PKCS#12 without a password).
    pub(super) password: Secret,
    pub(super) password_env: Option<String>,
}

/// Reads and decodes the certificate; a `certificate-env` one goes to a 0600 file.
pub(super) fn load_key(
    sign: &config::Sign,
    env: Env,
    workdir: &Path,
    password: Secret,
) -> Result<Key, SignError> {
    let (pfx, describe, bytes) = match &sign.certificate {
        Some(Certificate::File(path)) => {
            let bytes = std::fs::read(path).map_err(|source| SignError::CertificateUnreadable {
                path: path.clone(),
                source,
            })?;
            (
                Pfx::File(path.clone()),
                format!("certificate {}", path.display()),
                bytes,
            )
        }
        Some(Certificate::Env(var)) => {
            let text = match env(var) {
                Some(t) if !t.trim().is_empty() => t,
                Some(_) => {
                    return Err(SignError::CertificateEnvMissing {
                        var: var.clone(),
                        state: "empty",
                    })
                }
                None => {
                    return Err(SignError::CertificateEnvMissing {
                        var: var.clone(),
                        state: "not set",
                    })
                }
            };
            // PEM would half-decode (`-` is in the URL-safe alphabet): name it instead.
            if text.trim_start().starts_with("-----BEGIN") {
                return Err(SignError::CertificateNotBase64 {
                    var: var.clone(),
                    reason: "it holds PEM text, but a PKCS#12 (.pfx) file is needed".into(),
                });
            }
            let bytes =
                tools::base64_decode(&text).map_err(|reason| SignError::CertificateNotBase64 {
                    var: var.clone(),
                    reason,
                })?;
            let describe = format!("the certificate in environment variable {var}");
            if let Some(reason) = tools::pkcs12_problem(&bytes) {
                return Err(SignError::CorruptCertificate {
                    certificate: describe,
                    reason,
                });
            }
            let path = tempfile::Builder::new()
                .prefix(".svcpack-cert-")
                .suffix(".pfx")
                .tempfile_in(workdir)
                .map_err(io_err(format!(
                    "cannot create a scratch file in {}",
                    workdir.display()
                )))?
                .into_temp_path();
            // Recreated with 0600 from the start, so the key is never readable by others.
            std::fs::remove_file(&path).map_err(io_err("cannot prepare the certificate file"))?;
            tools::write_private(&path, &bytes)
                .map_err(io_err("cannot write the decoded certificate"))?;
            (Pfx::Decoded(path), describe, bytes)
        }
        Some(Certificate::Pkcs11(_)) | None => {
            return Err(SignError::CorruptCertificate {
                certificate: "the configuration".into(),
                reason: "no certificate or certificate-env is set (only tool = \"command\" \
                         signs without one)"
                    .into(),
            })
        }
    };
    if let Some(reason) = tools::pkcs12_problem(&bytes) {
        return Err(SignError::CorruptCertificate {
            certificate: describe,
            reason,
        });
    }
    Ok(Key {
        pfx,
        describe,
        password,
        password_env: sign.password_env.clone(),
    })
}

/// Reads the certificate from `password` to the signer, e.g. `wrong password` vs a
/// damaged file, from what the tool printed.
pub(super) fn classify_failure(text: &str, key: &Key, tool: &str, file: &Path) -> SignError {
    let text = &tools::tidy(text);
    let lower = text.to_ascii_lowercase();
    if lower.contains("mac verify")
        || lower.contains("wrong password")
        || lower.contains("invalid password")
        || lower.contains("password is not correct")
    {
        let hint = match &key.password_env {
            Some(var) => format!(" (from environment variable {var})"),
            None => " (no password-env is configured; set password-env = \"VAR\" naming the \
                     variable that holds it)"
                .into(),
        };
        return SignError::WrongPassword {
            certificate: key.describe.clone(),
            hint,
        };
    }
    if lower.contains("pkcs#12") || lower.contains("pkcs12") || lower.contains("asn1") {
        return SignError::CorruptCertificate {
            certificate: key.describe.clone(),
            reason: one_line(text, 3),
        };
    }
    SignError::SignFailed {
        tool: tool.into(),
        file: file.to_path_buf(),
        detail: one_line(text, 4),
    }
}
