//! Authenticode signing of the staged exe and the MSI (build stages 5 and 8), on any host.
//!
//! This module owns turning a validated [`config::Sign`] into a [`Signer`] — every check
//! that can fail is made up front by [`prepare`]: the tool is found, the certificate is read
//! and decoded, the password is present and right (a throwaway PE is signed with it), and
//! the certificate's expiry and key usage give warnings — then signing a file, timestamping
//! it, and verifying the signature right after. [`signature_info`] reads a signature back
//! (for `cargo svcpack inspect`) without any tool. Which files are signed, and when, is the
//! pipeline's business.
//!
//! This file holds the contract every back end shares (what a signed file must look like,
//! verification, timestamps, secrets handling); each back end lives in its own file:
//! `osslsigncode.rs`, `signtool.rs`, `command.rs`, with the PKCS#12 key file in
//! `pkcs12.rs` and process plumbing in `tools.rs`.
//!
//! # Tools
//!
//! | `tool` | signs with | verifies with |
//! |--------|------------|---------------|
//! | `auto` | signtool on Windows, osslsigncode elsewhere | the same |
//! | `osslsigncode` | `osslsigncode sign -pkcs12 F -readpass FILE` (`$SVCPACK_OSSLSIGNCODE` or PATH) | `osslsigncode verify` |
//! | `signtool` | Windows only: `signtool sign /f` (`$SVCPACK_SIGNTOOL`, PATH or the Windows Kits) | `signtool verify /pa` |
//! | `command` | the configured argv, `{file}`/`{digest}`/`{timestamp-url}` replaced, run with the environment as is | osslsigncode (signtool on Windows) |
//! | (`pkcs11-module` set) | `osslsigncode sign -pkcs11engine E -pkcs11module M -key URI`, PIN via `-readpass FILE` (`pkcs11.rs`) | `osslsigncode verify` |
//!
//! Timestamps (`timestamp-url`) are added after signing, whatever the tool, with
//! `osslsigncode add -ts` / `signtool timestamp /tr`: each server is tried in order, each
//! [`Retry::attempts`] times with exponential backoff; when none answers the error names
//! them all. With `SOURCE_DATE_EPOCH` set it becomes the claimed signing time
//! (osslsigncode `-time`), so an untimestamped RSA signature is byte-reproducible.
//!
//! # Secrets
//!
//! Secret values come only from the environment and never reach output, logs, errors,
//! the manifest or a child's argument list:
//! - the password is written to a 0600 file in a private scratch directory under the
//!   workdir and handed to osslsigncode as `-readpass FILE` (never `-pass`); the file is
//!   deleted as soon as the tool exits;
//! - a `certificate-env` PKCS#12 is decoded into a 0600 `.pfx` in the workdir, deleted when
//!   the [`Signer`] is dropped;
//! - signtool has no password-file option, so on Windows a PowerShell step (reading the
//!   password from its environment) re-exports the key into a password-less 0600-style
//!   scratch `.pfx` for `signtool /f`, deleted right after;
//! - a `command` signer gets no secret from svcpack at all: it reads the variables it
//!   needs from the environment it inherits;
//! - everything a child prints is scrubbed of the password and certificate before it is
//!   quoted in an error, and [`Signer`]'s `Debug` shows no secret.
//!
//! # Verification
//!
//! Every signature is verified right after signing; a failure is an error. With
//! osslsigncode the check is: the file's digest matches the signature, the signature is
//! mathematically valid, and the certificate chain in it ends at a root — the system CA
//! bundle or a self-signed root carried in the signature. Whether Windows machines trust
//! that root is the deployment's business (a private CA is pushed by policy), so a
//! throwaway or internal CA passes. Revocation is not checked (`-ignore-cdp`): build hosts
//! are often offline; Windows checks it at install time. A certificate that is not valid
//! now (expired — a warning, signing still happens) is verified at a time inside its
//! validity.

mod authenticode;
mod command;
mod osslsigncode;
mod packaged;
mod pkcs11;
mod pkcs12;
mod signtool;
mod tools;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::config::{self, Certificate, SignTool};
use authenticode::CertInfo;
use osslsigncode::osslsigncode;
pub use packaged::packaged_signatures;
use pkcs12::{load_key, Key};
use signtool::signtool;
use tools::{find_program, one_line, run, Env};

/// Why signing cannot happen; each is one line and quotes no secret.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error("{tool} not found ({searched}); {hint}")]
    ToolNotFound {
        tool: String,
        searched: String,
        hint: String,
    },
    #[error("{tool} cannot sign on this host: {reason}")]
    ToolUnavailable { tool: String, reason: String },
    #[error("cannot run {tool}: {source}")]
    ToolFailed { tool: String, source: io::Error },
    #[error("certificate {}: cannot read it: {source}", path.display())]
    CertificateUnreadable { path: PathBuf, source: io::Error },
    #[error("certificate-env: environment variable {var} is {state}; it must hold a PKCS#12 (.pfx) file in base64 (e.g. `base64 -w0 signer.pfx`)")]
    CertificateEnvMissing { var: String, state: &'static str },
    #[error("certificate-env: environment variable {var} is not base64: {reason}; store the PKCS#12 file as `base64 -w0 signer.pfx`")]
    CertificateNotBase64 { var: String, reason: String },
    #[error("{certificate} is not a usable PKCS#12 certificate: {reason}")]
    CorruptCertificate { certificate: String, reason: String },
    #[error("password-env: environment variable {var} is {state}; it must hold the certificate password")]
    PasswordMissing { var: String, state: &'static str },
    #[error("wrong password for {certificate}{hint}: the PKCS#12 integrity check failed")]
    WrongPassword { certificate: String, hint: String },
    #[error("signing {} with {tool} failed: {detail}", file.display())]
    SignFailed {
        tool: String,
        file: PathBuf,
        detail: String,
    },
    #[error("timestamping {} failed: no RFC 3161 server answered ({attempts} attempts each): {servers}; last error: {detail}", file.display())]
    TimestampFailed {
        file: PathBuf,
        servers: String,
        attempts: u32,
        detail: String,
    },
    #[error("the signature of {} does not verify: {detail}", file.display())]
    VerifyFailed { file: PathBuf, detail: String },
    #[error("{what}: {source}")]
    Io { what: String, source: io::Error },
    #[error("pin-env: environment variable {var} is {state}; it must hold the token's user PIN")]
    PinMissing { var: String, state: &'static str },
    #[error("pkcs11-module {}: cannot load it: {detail}; install the token's PKCS#11 library or correct the path", module.display())]
    ModuleNotFound { module: PathBuf, detail: String },
    #[error("wrong PIN for key {key} ({source_of_pin}); the token counts failed logins and locks after a few: svcpack tried once and stops")]
    WrongPin { key: String, source_of_pin: String },
    #[error("the token holding {key} is locked (its user PIN is blocked or was never set): no login is possible; unblock it with the SO PIN (e.g. pkcs11-tool --init-pin --login --login-type so) or the vendor's tool")]
    TokenLocked { key: String },
    #[error("the token holding {key} asks for a PIN; set pin-env = \"VAR\" and put the PIN in that environment variable")]
    PinRequired { key: String },
    #[error("key {key}: {what}")]
    KeyNotFound { key: String, what: &'static str },
}

fn io_err(what: impl Into<String>) -> impl FnOnce(io::Error) -> SignError {
    let what = what.into();
    move |source| SignError::Io { what, source }
}

/// What signing one file did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignReport {
    /// The signer certificate's subject, RFC 4514 (`CN=..., O=..., C=..`).
    pub subject: String,
    /// Whether a timestamp server countersigned.
    pub timestamped: bool,
    /// The program that signed: `osslsigncode`, `signtool`, or the command's program.
    pub tool: String,
    /// Advice about the certificate seen for the first time in this signature (a
    /// `command` signer's certificate is only known once it has signed); each message is
    /// given once per [`Signer`].
    pub warnings: Vec<String>,
}

/// Retries of each timestamp server: `attempts` tries, waiting `backoff`, then twice
/// that, and so on, between them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retry {
    pub attempts: u32,
    pub backoff: Duration,
}

impl Default for Retry {
    /// 3 attempts, 1 s then 2 s apart: rides out a server's brief hiccup without holding
    /// a failing build for long.
    fn default() -> Self {
        Retry {
            attempts: 3,
            backoff: Duration::from_secs(1),
        }
    }
}

/// A secret value; `Debug` never shows it.
#[derive(Clone)]
struct Secret(String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[derive(Debug)]
enum Backend {
    Osslsigncode {
        program: PathBuf,
        key: Key,
    },
    Signtool {
        program: PathBuf,
        powershell: PathBuf,
        key: Key,
    },
    Command {
        program: PathBuf,
        args: Vec<String>,
    },
    Pkcs11(pkcs11::Token),
}

/// The program that verifies (and adds timestamps).
#[derive(Debug)]
enum Verifier {
    Osslsigncode {
        program: PathBuf,
        /// `-ignore-cdp` / `-TSA-CAfile` exist (osslsigncode 2.6+); older versions
        /// reject unknown options, so they are only passed when `--help` lists them.
        ignore_cdp: bool,
        tsa_cafile: bool,
        /// The system CA bundle, so a chain ending at a public root verifies.
        ca_bundle: Option<PathBuf>,
    },
    Signtool {
        program: PathBuf,
    },
}

/// A signing set-up checked by [`prepare`]: sign and verify files with it.
#[derive(Debug)]
pub struct Signer {
    backend: Backend,
    verifier: Verifier,
    workdir: PathBuf,
    timestamp_urls: Vec<String>,
    /// SOURCE_DATE_EPOCH: the claimed signing time, for reproducible signatures.
    signing_time: Option<u64>,
    retry: Retry,
    /// `osslsigncode 2.9` etc., for reports.
    tool_name: String,
    /// The password and encoded certificate values, scrubbed from children's output.
    secrets: Vec<Secret>,
    /// Certificate advice already given, so each is given once.
    warned: Mutex<BTreeSet<String>>,
}

/// Resolves the signing configuration against the environment and checks everything
/// before any build work: the tool exists, the certificate reads and decodes, the
/// password is set and right. Returns the signer and warnings (an expired or not yet
/// valid certificate, one not meant for code signing: signing still happens).
///
/// `env` reads environment variables (`|k| std::env::var(k).ok()` in the CLI): the
/// certificate and password variables, `PATH`, `SVCPACK_OSSLSIGNCODE`,
/// `SVCPACK_SIGNTOOL`, `SOURCE_DATE_EPOCH`, `SSL_CERT_FILE`. Children still inherit the
/// process environment. `workdir` (the build's private staging directory) holds the
/// scratch files, secret ones included, each removed when done.
pub fn prepare(
    sign: &config::Sign,
    env: &dyn Fn(&str) -> Option<String>,
    workdir: &Path,
) -> Result<(Signer, Vec<String>), SignError> {
    let kind = Kind::of(sign);
    // Checked first for every tool: a `command` signer may read it itself.
    let password = password(sign, env)?;
    let signing_time = env("SOURCE_DATE_EPOCH").and_then(|s| s.trim().parse().ok());
    let secrets = secrets(sign, env, &password);
    let secret_text: Vec<String> = secrets.iter().map(|s| s.0.clone()).collect();
    let secret_refs: Vec<&str> = secret_text.iter().map(String::as_str).collect();
    let tools = match kind {
        Kind::Pkcs11 => pkcs11_tools(sign, env, &secret_refs)?,
        Kind::Osslsigncode => osslsigncode_tools(sign, env, workdir, password, &secret_refs)?,
        Kind::Signtool => signtool_tools(sign, env, workdir, password)?,
        Kind::Command(argv) => command_tools(&argv, env, &secret_refs)?,
    };
    let signer = Signer {
        backend: tools.backend,
        verifier: tools.verifier,
        workdir: workdir.to_path_buf(),
        timestamp_urls: sign.timestamp_urls.clone(),
        signing_time,
        retry: Retry::default(),
        tool_name: tools.name,
        secrets,
        warned: Mutex::new(BTreeSet::new()),
    };
    // Sign a throwaway PE now: a wrong password or unusable certificate stops the build
    // before it starts, and the certificate is read back from the signature. (A command
    // signer is not run ahead: it may be a metered cloud service or prompt an HSM.)
    let warnings = match signer.backend {
        Backend::Command { .. } => Vec::new(),
        _ => signer.certificate_warnings(&signer.trial()?),
    };
    Ok((signer, warnings))
}

/// The signing back end a configuration chooses.
enum Kind {
    Pkcs11,
    Osslsigncode,
    Signtool,
    Command(Vec<String>),
}

impl Kind {
    /// The back end `tool` (and `pkcs11-module`) chooses on this host.
    fn of(sign: &config::Sign) -> Kind {
        match &sign.tool {
            // Configuration allows PKCS#11 only with auto or osslsigncode.
            _ if sign.pkcs11.is_some() => Kind::Pkcs11,
            SignTool::Auto if cfg!(windows) => Kind::Signtool,
            SignTool::Auto | SignTool::Osslsigncode => Kind::Osslsigncode,
            SignTool::Signtool => Kind::Signtool,
            SignTool::Command(argv) => Kind::Command(argv.clone()),
        }
    }
}

/// The certificate password from `password-env`: empty when not configured, an error when
/// configured but unset or empty.
fn password(sign: &config::Sign, env: Env) -> Result<Secret, SignError> {
    let Some(var) = &sign.password_env else {
        return Ok(Secret(String::new()));
    };
    let state = match env(var) {
        Some(v) if !v.is_empty() => return Ok(Secret(v)),
        // CI systems expand an unset secret to an empty string.
        Some(_) => "empty",
        None => "not set",
    };
    Err(SignError::PasswordMissing {
        var: var.clone(),
        state,
    })
}

/// The values scrubbed from everything a child prints before it is quoted: the password,
/// the `certificate-env` value and the PKCS#11 PIN. A command signer's script may echo its
/// environment, which holds them.
fn secrets(sign: &config::Sign, env: Env, password: &Secret) -> Vec<Secret> {
    let mut secrets = vec![password.clone()];
    if let Some(Certificate::Env(var)) = &sign.certificate {
        if let Some(v) = env(var).filter(|v| !v.trim().is_empty()) {
            secrets.push(Secret(v.trim().to_string()));
        }
    }
    if let Some(var) = sign.pkcs11.as_ref().and_then(|p| p.pin_env.as_ref()) {
        if let Some(v) = env(var).filter(|v| !v.is_empty()) {
            secrets.push(Secret(v));
        }
    }
    secrets
}

/// The programs a back end resolved to: what signs, what verifies, and the name reports
/// give the signer.
struct Tools {
    backend: Backend,
    verifier: Verifier,
    name: String,
}

/// `pkcs11-module`: osslsigncode with the token's engine, key and PIN.
fn pkcs11_tools(sign: &config::Sign, env: Env, secrets: &[&str]) -> Result<Tools, SignError> {
    let (program, verifier, name) = osslsigncode(env, "it signs with PKCS#11 keys", secrets)?;
    let help = run(Command::new(&program).arg("--help"), secrets)
        .map(|r| r.text)
        .unwrap_or_default();
    let p = sign.pkcs11.as_ref().ok_or_else(|| SignError::SignFailed {
        tool: name.clone(),
        file: PathBuf::new(),
        detail: "no PKCS#11 settings".into(),
    })?;
    let token = pkcs11::token(p, sign.certificate.as_ref(), program, &help, env, secrets)?;
    Ok(Tools {
        backend: Backend::Pkcs11(token),
        verifier,
        name: format!("{name} with PKCS#11"),
    })
}

/// `tool = "osslsigncode"` (or `auto` off Windows): osslsigncode with the PKCS#12 key.
fn osslsigncode_tools(
    sign: &config::Sign,
    env: Env,
    workdir: &Path,
    password: Secret,
    secrets: &[&str],
) -> Result<Tools, SignError> {
    let (program, verifier, name) = osslsigncode(env, "it signs and verifies", secrets)?;
    let key = load_key(sign, env, workdir, password)?;
    Ok(Tools {
        backend: Backend::Osslsigncode { program, key },
        verifier,
        name,
    })
}

/// `tool = "signtool"` (or `auto` on Windows): signtool, with PowerShell handing it the
/// PKCS#12 key.
fn signtool_tools(
    sign: &config::Sign,
    env: Env,
    workdir: &Path,
    password: Secret,
) -> Result<Tools, SignError> {
    if !cfg!(windows) {
        return Err(SignError::ToolUnavailable {
            tool: "signtool".into(),
            reason: "signtool runs only on Windows; use tool = \"osslsigncode\" (or \
                     \"auto\") to sign from this host"
                .into(),
        });
    }
    let program = signtool(env)?;
    let powershell = find_program("powershell", env)
        .or_else(|| find_program("pwsh", env))
        .ok_or_else(|| SignError::ToolNotFound {
            tool: "PowerShell".into(),
            searched: "looked for powershell and pwsh in PATH".into(),
            hint: "it hands the key to signtool without putting the password on a \
                   command line"
                .into(),
        })?;
    let key = load_key(sign, env, workdir, password)?;
    let verifier = Verifier::Signtool {
        program: program.clone(),
    };
    Ok(Tools {
        backend: Backend::Signtool {
            program,
            powershell,
            key,
        },
        verifier,
        name: "signtool".into(),
    })
}

/// `tool = "command"`: the `command` argv signs; signtool (on Windows) or
/// osslsigncode verifies what it made.
fn command_tools(argv: &[String], env: Env, secrets: &[&str]) -> Result<Tools, SignError> {
    let name = argv.first().cloned().unwrap_or_default();
    let program = find_program(&name, env).ok_or_else(|| SignError::ToolNotFound {
        tool: format!("signing command `{name}`"),
        searched: if name.contains('/') || name.contains('\\') {
            "no executable file at that path".into()
        } else {
            "looked in PATH".into()
        },
        hint: "install it, or give its full path as the first element of command".into(),
    })?;
    let verifier = if cfg!(windows) {
        Verifier::Signtool {
            program: signtool(env)?,
        }
    } else {
        osslsigncode(env, "it verifies the signatures the command makes", secrets)?.1
    };
    let args = argv.get(1..).unwrap_or_default().to_vec();
    let name = program
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or(name);
    Ok(Tools {
        backend: Backend::Command { program, args },
        verifier,
        name,
    })
}

/// `$VAR` when set (a path or a name), else `name` in PATH.
fn tool_from(env: Env, name: &str, var: &str) -> Option<PathBuf> {
    match env(var) {
        Some(v) if !v.is_empty() => find_program(&v, env),
        _ => find_program(name, env),
    }
}

impl Signer {
    /// Replaces the timestamp retry policy (tests use a short backoff).
    pub fn with_retry(mut self, retry: Retry) -> Self {
        self.retry = retry;
        self
    }

    /// The signing program's name and version, e.g. `osslsigncode 2.9`.
    pub fn tool(&self) -> &str {
        &self.tool_name
    }

    /// Signs `path` in place, timestamps it when servers are configured, and verifies the
    /// result. `description` and `url` become the signature's program name and link
    /// (what Windows shows in the UAC prompt); a `command` signer gets neither.
    pub fn sign_file(
        &self,
        path: &Path,
        description: &str,
        url: Option<&str>,
    ) -> Result<SignReport, SignError> {
        let scratch = self.scratch()?;
        let signed = match &self.backend {
            Backend::Osslsigncode { program, key } => {
                let out = scratch.path().join("signed");
                self.osslsigncode_sign(program, key, path, &out, description, url, &scratch)?;
                out
            }
            Backend::Signtool {
                program,
                powershell,
                key,
            } => {
                let out = scratch.path().join(file_name(path));
                std::fs::copy(path, &out).map_err(io_err(format!(
                    "cannot copy {} for signing",
                    path.display()
                )))?;
                self.signtool_sign(program, powershell, key, &out, description, url, &scratch)?;
                out
            }
            Backend::Command { program, args } => {
                self.command_sign(program, args, path)?;
                path.to_path_buf()
            }
            Backend::Pkcs11(token) => {
                let out = scratch.path().join("signed");
                self.pkcs11_sign(token, path, &out, description, url, &scratch)?;
                out
            }
        };
        let last = self.add_timestamp(&signed, path, &scratch)?;
        if last.as_path() != path {
            // Copied over the original in pieces (not renamed, so its permissions stay; not
            // read whole, so a large MSI is never in memory).
            let mut signed =
                std::fs::File::open(&last).map_err(io_err("cannot read the signed file"))?;
            std::fs::File::create(path)
                .and_then(|mut f| std::io::copy(&mut signed, &mut f))
                .map_err(io_err(format!("cannot write {}", path.display())))?;
        }
        let sig = self.verify_parsed(path)?;
        let warnings = self.certificate_warnings(&sig.signer).into_iter().collect();
        Ok(SignReport {
            subject: sig.signer.subject,
            timestamped: sig.timestamp.is_some(),
            tool: self.tool_name.clone(),
            warnings,
        })
    }

    /// Signs bytes in memory (the pipeline holds the exe and MSI that way): they are
    /// written as `file_name` in a scratch directory, signed, verified and read back.
    pub fn sign_bytes(
        &self,
        bytes: &[u8],
        file_name: &str,
        description: &str,
        url: Option<&str>,
    ) -> Result<(Vec<u8>, SignReport), SignError> {
        let scratch = self.scratch()?;
        // The name matters: command signers (jsign) pick the file type by extension.
        let name = Path::new(file_name)
            .file_name()
            .map(Path::new)
            .unwrap_or(Path::new("file"));
        let path = scratch.path().join(name);
        std::fs::write(&path, bytes).map_err(io_err(format!("cannot write {}", path.display())))?;
        let report = self.sign_file(&path, description, url)?;
        let signed =
            std::fs::read(&path).map_err(io_err(format!("cannot read {}", path.display())))?;
        Ok((signed, report))
    }

    /// Checks the signature of `path`: present, intact, valid, chained to a root (see
    /// the module documentation for what is and is not checked).
    pub fn verify(&self, path: &Path) -> Result<(), SignError> {
        self.verify_parsed(path).map(|_| ())
    }

    fn verify_parsed(&self, path: &Path) -> Result<authenticode::Signature, SignError> {
        let failed = |detail: &str| SignError::VerifyFailed {
            file: path.to_path_buf(),
            detail: detail.into(),
        };
        let blob = authenticode::extract(path)
            .ok_or_else(|| failed("it has no Authenticode signature"))?;
        let sig = authenticode::parse(&blob)
            .ok_or_else(|| failed("its signature is not a PKCS#7 Authenticode signature"))?;
        match &self.verifier {
            Verifier::Osslsigncode {
                program,
                ignore_cdp,
                tsa_cafile,
                ca_bundle,
            } => {
                let scratch = self.scratch()?;
                let ca = scratch.path().join("ca.pem");
                let bundle = ca_bundle
                    .as_ref()
                    .and_then(|p| std::fs::read_to_string(p).ok())
                    .unwrap_or_default();
                // The signature's own self-signed roots anchor its chain: this checks the
                // signature, not whether Windows will trust the root.
                let roots: Vec<Vec<u8>> = sig
                    .certificates
                    .iter()
                    .filter(|c| authenticode::cert_info(c).is_some_and(|i| i.subject == i.issuer))
                    .cloned()
                    .collect();
                // Loading the whole system bundle costs osslsigncode ~100 ms per file, so
                // without a timestamp (whose authority may chain anywhere) only the bundle's
                // certificates that issued one in the signature are passed.
                let mut pem = if sig.timestamp.is_some() {
                    bundle
                } else {
                    let issuers: BTreeSet<String> = sig
                        .certificates
                        .iter()
                        .filter_map(|c| authenticode::cert_info(c).map(|i| i.issuer))
                        .collect();
                    let wanted: Vec<Vec<u8>> = pem_certificates(&bundle)
                        .into_iter()
                        .filter(|der| {
                            authenticode::cert_info(der)
                                .is_some_and(|i| issuers.contains(&i.subject))
                        })
                        .collect();
                    authenticode::pem(&wanted)
                };
                if !pem.is_empty() && !pem.ends_with('\n') {
                    pem.push('\n');
                }
                pem.push_str(&authenticode::pem(&roots));
                std::fs::write(&ca, pem).map_err(io_err("cannot write the CA file"))?;
                let mut cmd = Command::new(program);
                cmd.arg("verify");
                if *ignore_cdp {
                    cmd.arg("-ignore-cdp");
                }
                cmd.arg("-CAfile").arg(&ca);
                if *tsa_cafile {
                    cmd.arg("-TSA-CAfile").arg(&ca);
                }
                let (now, from, until) = (unix_now(), sig.signer.not_before, sig.signer.not_after);
                if from < until && (now < from || now > until) {
                    // Expiry was a warning; check the signature itself at a time the
                    // certificate was valid.
                    let at = if now > until { until - 1 } else { from + 1 };
                    cmd.arg("-time").arg(at.to_string());
                }
                cmd.arg("-in").arg(path);
                let ran =
                    run(&mut cmd, &self.secrets()).map_err(|source| SignError::ToolFailed {
                        tool: program.display().to_string(),
                        source,
                    })?;
                if ran.ok && ran.text.contains("Signature verification: ok") {
                    Ok(sig)
                } else {
                    Err(failed(&verify_failure(&ran.text)))
                }
            }
            Verifier::Signtool { program } => {
                let ran = run(
                    Command::new(program).args(["verify", "/pa"]).arg(path),
                    &self.secrets(),
                )
                .map_err(|source| SignError::ToolFailed {
                    tool: program.display().to_string(),
                    source,
                })?;
                if ran.ok {
                    Ok(sig)
                } else {
                    Err(failed(&one_line(&ran.text, 4)))
                }
            }
        }
    }

    /// A private directory in the workdir for one operation, removed with everything in
    /// it (a secret file included) when dropped, on success or error.
    fn scratch(&self) -> Result<tempfile::TempDir, SignError> {
        tempfile::Builder::new()
            .prefix(".svcpack-sign-")
            .tempdir_in(&self.workdir)
            .map_err(io_err(format!(
                "cannot create a scratch directory in {}",
                self.workdir.display()
            )))
    }

    fn secrets(&self) -> Vec<&str> {
        self.secrets.iter().map(|s| s.0.as_str()).collect()
    }

    /// Signs the throwaway PE and reads the certificate back from its signature.
    fn trial(&self) -> Result<CertInfo, SignError> {
        let scratch = self.scratch()?;
        let input = scratch.path().join("svcpack-certificate-check.exe");
        std::fs::write(&input, tools::tiny_pe()).map_err(io_err("cannot write the test PE"))?;
        let description = "svcpack certificate check";
        let out = match &self.backend {
            Backend::Osslsigncode { program, key } => {
                let out = scratch.path().join("signed.exe");
                self.osslsigncode_sign(program, key, &input, &out, description, None, &scratch)?;
                out
            }
            Backend::Signtool {
                program,
                powershell,
                key,
            } => {
                self.signtool_sign(
                    program,
                    powershell,
                    key,
                    &input,
                    description,
                    None,
                    &scratch,
                )?;
                input.clone()
            }
            Backend::Command { .. } => input.clone(),
            Backend::Pkcs11(token) => {
                let out = scratch.path().join("signed.exe");
                self.pkcs11_sign(token, &input, &out, description, None, &scratch)?;
                out
            }
        };
        authenticode::extract(&out)
            .and_then(|b| authenticode::parse(&b))
            .map(|s| s.signer)
            .ok_or_else(|| SignError::SignFailed {
                tool: self.tool_name.clone(),
                file: input,
                detail: "the tool reported success but wrote no readable signature".into(),
            })
    }

    /// Adds an RFC 3161 timestamp to `signed` with the verifier tool, trying each server
    /// with retries. Returns the file that now holds the result (`signed` itself when no
    /// server is configured or the tool works in place).
    fn add_timestamp(
        &self,
        signed: &Path,
        original: &Path,
        scratch: &tempfile::TempDir,
    ) -> Result<PathBuf, SignError> {
        let command_timestamps = matches!(&self.backend,
            Backend::Command { args, .. } if command::timestamps_itself(args));
        if self.timestamp_urls.is_empty() || command_timestamps {
            return Ok(signed.to_path_buf());
        }
        let attempts = self.retry.attempts.max(1);
        let mut last = String::new();
        let mut n = 0;
        for url in &self.timestamp_urls {
            for attempt in 0..attempts {
                if attempt > 0 {
                    std::thread::sleep(
                        self.retry
                            .backoff
                            .saturating_mul(2u32.saturating_pow(attempt - 1)),
                    );
                }
                n += 1;
                let (mut cmd, out) = match &self.verifier {
                    Verifier::Osslsigncode { program, .. } => {
                        let out = scratch.path().join(format!("timestamped-{n}"));
                        let mut c = Command::new(program);
                        c.args(["add", "-h", "sha256", "-ts"])
                            .arg(url)
                            .arg("-in")
                            .arg(signed)
                            .arg("-out")
                            .arg(&out);
                        (c, out)
                    }
                    Verifier::Signtool { program } => {
                        let mut c = Command::new(program);
                        c.args(["timestamp", "/td", "sha256", "/tr"])
                            .arg(url)
                            .arg(signed);
                        (c, signed.to_path_buf())
                    }
                };
                let ran =
                    run(&mut cmd, &self.secrets()).map_err(|source| SignError::ToolFailed {
                        tool: "the timestamping tool".into(),
                        source,
                    })?;
                if ran.ok && out.is_file() {
                    return Ok(out);
                }
                last = timestamp_failure(&ran.text);
            }
        }
        Err(SignError::TimestampFailed {
            file: original.to_path_buf(),
            servers: self.timestamp_urls.join(", "),
            attempts,
            detail: last,
        })
    }

    /// Expired, not yet valid, or not for code signing: advice, given once per message.
    fn certificate_warnings(&self, cert: &CertInfo) -> Vec<String> {
        let now = unix_now();
        let mut out = Vec::new();
        let who = format!("signing certificate `{}`", cert.subject);
        if now > cert.not_after {
            out.push(format!(
                "{who} expired on {}: Windows will not trust signatures made with it; \
                 signing anyway — renew it",
                authenticode::format_time(cert.not_after)
            ));
        } else if now < cert.not_before {
            out.push(format!(
                "{who} is not valid until {}: Windows will not trust signatures made with it \
                 before then; signing anyway",
                authenticode::format_time(cert.not_before)
            ));
        }
        if let Some(ekus) = &cert.ext_key_usage {
            if !ekus
                .iter()
                .any(|e| e == authenticode::OID_CODE_SIGNING || e == authenticode::OID_ANY_EKU)
            {
                out.push(format!(
                    "{who} is not for code signing (its extended key usage lacks codeSigning, \
                     1.3.6.1.5.5.7.3.3): Windows will reject its signatures"
                ));
            }
        }
        let mut warned = match self.warned.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        out.retain(|w| warned.insert(w.clone()));
        out
    }
}

/// The informative lines of a failed `osslsigncode add` (the HTTP error and the cause),
/// not OpenSSL's source-file trail.
fn timestamp_failure(text: &str) -> String {
    let tidy = tools::tidy(text);
    let parts: Vec<&str> = tidy
        .lines()
        .filter(|l| {
            !l.starts_with("Connecting to")
                && !l.starts_with("PE checksum")
                && !l.starts_with("Use the")
                && !l.starts_with("Unable to set")
                && *l != "Failed"
        })
        .collect();
    one_line(&parts.join("\n"), 5)
}

/// Why `osslsigncode verify` failed, in a sentence.
fn verify_failure(text: &str) -> String {
    let value = |label: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(label))
            .map(|v| v.trim_start_matches([' ', ':']).trim().to_string())
    };
    if let (Some(current), Some(calculated)) = (
        value("Current message digest"),
        value("Calculated message digest"),
    ) {
        if current != calculated {
            return "the file's digest no longer matches its signature (it changed after \
                    signing)"
                .into();
        }
    }
    let mut reasons: Vec<String> = Vec::new();
    for line in text.lines().map(str::trim) {
        let reason = line
            .split_once("Verify error:")
            .map(|(_, r)| r)
            .or_else(|| line.strip_prefix("Error:"));
        if let Some(r) = reason.map(str::trim).filter(|r| !r.is_empty()) {
            if !reasons.iter().any(|x| x == r) {
                reasons.push(r.to_string());
            }
        }
    }
    if reasons.is_empty() {
        one_line(text, 3)
    } else {
        reasons.join("; ")
    }
}

/// The DER certificates of a PEM bundle; blocks that do not decode are skipped.
fn pem_certificates(text: &str) -> Vec<Vec<u8>> {
    text.split("-----BEGIN CERTIFICATE-----")
        .skip(1)
        .filter_map(|block| block.split("-----END CERTIFICATE-----").next())
        .filter_map(|b64| tools::base64_decode(b64).ok())
        .collect()
}

fn file_name(path: &Path) -> PathBuf {
    path.file_name()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("file"))
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Whether a packaged file is a PE image that gets an Authenticode signature: `.exe`,
/// `.dll` or `.sys` (a driver), by its installed name.
pub fn is_signable(dest: &str) -> bool {
    let lower = dest.to_ascii_lowercase();
    [".exe", ".dll", ".sys"].iter().any(|e| lower.ends_with(e))
}

/// The extra files with signed copies in place, and a report per signed file (by `dest`).
pub type SignedFiles = (Vec<config::FileEntry>, Vec<(String, SignReport)>);

/// Signs the extra files that are PE images (see [`is_signable`]) and not opted out with
/// `sign = false`: each is copied into `dir` and signed there (the source tree is never
/// modified). Returns the entries with `source` pointing at the signed copies — the MSI and
/// the zip then carry the same signed bytes — and one report per signed file.
pub fn sign_files(
    signer: &Signer,
    files: &[config::FileEntry],
    dir: &Path,
    description: &str,
    url: Option<&str>,
) -> Result<SignedFiles, SignError> {
    let mut out = Vec::with_capacity(files.len());
    let mut reports = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let dest = f.dest.segments().join("/");
        if !f.sign || !is_signable(&dest) {
            out.push(f.clone());
            continue;
        }
        let bytes = std::fs::read(&f.source)
            .map_err(io_err(format!("cannot read {}", f.source.display())))?;
        // One folder per entry: two files may share a name in different folders.
        let folder = dir.join(format!("signed-file-{i}"));
        std::fs::create_dir_all(&folder)
            .map_err(io_err(format!("cannot create {}", folder.display())))?;
        let name = f
            .source
            .file_name()
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("file"));
        let (signed, report) =
            signer.sign_bytes(&bytes, &name.to_string_lossy(), description, url)?;
        let copy = folder.join(&name);
        std::fs::write(&copy, signed)
            .map_err(io_err(format!("cannot write {}", copy.display())))?;
        let mut entry = f.clone();
        entry.source = copy;
        out.push(entry);
        reports.push((dest, report));
    }
    Ok((out, reports))
}

/// The signer, issuer, certificate validity, digest, claimed signing time, description,
/// URL and timestamp (time and authority, or `none`) of a signed PE or MSI file; `None`
/// when it has no readable Authenticode signature. Reads the file only: no tool, no
/// verification (see [`Signer::verify`]).
pub fn signature_info(path: &Path) -> Option<BTreeMap<String, String>> {
    let blob = authenticode::extract(path)?;
    authenticode::parse(&blob).map(|s| authenticode::describe(&s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_failure_explains() {
        let digest = "Current message digest    : AA \nCalculated message digest : BB \n";
        assert!(verify_failure(digest).contains("changed after signing"));
        let chain = "Current message digest : AA\nCalculated message digest : AA\n\
                     x:error:10800075:PKCS7 routines:PKCS7_verify:certificate verify error:f.c:291:Verify error: unable to get local issuer certificate\n\
                     \tError: unable to get local issuer certificate\nFailed\n";
        assert_eq!(
            verify_failure(chain),
            "unable to get local issuer certificate"
        );
    }

    #[test]
    fn timestamp_failure_is_short() {
        let text = "Connecting to http://127.0.0.1:9/\nFailed\n\
            HTTP failure: Failed to get data from http://127.0.0.1:9/\n\
            RFC 3161 timestamping failed\n\
            40E0:error:8000006F:system library:BIO_connect:Connection refused:../crypto/bio/bio_sock2.c:117:calling connect()\n";
        let s = timestamp_failure(text);
        assert!(
            s.contains("Failed to get data from http://127.0.0.1:9/"),
            "{s}"
        );
        assert!(s.contains("Connection refused"), "{s}");
        assert!(!s.contains("bio_sock2"), "{s}");
    }

    #[test]
    fn secret_debug_is_hidden() {
        assert_eq!(format!("{:?}", Secret("hunter2".into())), "***");
    }
}
