//! The PKCS#11 back end: a private key that never leaves its token, HSM or cloud HSM,
//! used through osslsigncode with OpenSSL's PKCS#11 engine (libp11) and whatever PKCS#11
//! library the configuration names (OpenSC, YubiKey, SafeNet, CloudHSM, a cloud KMS
//! library, SoftHSM): nothing here knows one library from another.
//!
//! The PIN reaches osslsigncode the way a PKCS#12 password does: written to a 0600 file in
//! the operation's private scratch directory, named with `-readpass`, deleted as soon as
//! osslsigncode exits. osslsigncode hands it to the engine (`ENGINE_ctrl_cmd "PIN"`),
//! which logs in. The alternatives are worse: `-pass` and a URI `pin-value` put it in
//! argv, and an OpenSSL configuration file with `PIN` would need `OPENSSL_CONF` pointed at
//! it, replacing the host's OpenSSL configuration for the child.
//!
//! A failed login is classified from what libp11 printed (wrong PIN, locked PIN, no such
//! token or key, library that does not load) into one sentence, and [`super::prepare`]
//! makes one probe signature so each of these stops the build before any work — one
//! probe, so a wrong PIN costs the token one retry, not one per file.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::tools::{self, find_program, one_line, run, Env};
use super::{io_err, Secret, SignError, Signer};
use crate::config::{Certificate, Pkcs11};

/// Everything osslsigncode needs to sign with a key on a token.
#[derive(Debug)]
pub(super) struct Token {
    pub program: PathBuf,
    pub engine: PathBuf,
    pub module: PathBuf,
    pub key: String,
    pub cert: CertSource,
    /// `None`: the token authenticates on its own (PIN pad, a library configured by file).
    pub pin: Option<Secret>,
    pub pin_env: Option<String>,
}

#[derive(Debug)]
pub(super) enum CertSource {
    /// The chain file (PEM or DER), signer first: `-certs`.
    Chain(PathBuf),
    /// The certificate object on the token: `-pkcs11cert`.
    Uri(String),
}

/// Resolves the PKCS#11 settings against this host: PIN variable, module, engine, and an
/// osslsigncode that can use them. Nothing is logged in yet (see the probe in
/// [`super::prepare`]).
pub(super) fn token(
    p: &Pkcs11,
    certificate: Option<&Certificate>,
    program: PathBuf,
    help: &str,
    env: Env,
    secrets: &[&str],
) -> Result<Token, SignError> {
    let pin = match &p.pin_env {
        Some(var) => match env(var) {
            Some(v) if !v.is_empty() => Some(Secret(v)),
            Some(_) => {
                return Err(SignError::PinMissing {
                    var: var.clone(),
                    state: "empty",
                })
            }
            None => {
                return Err(SignError::PinMissing {
                    var: var.clone(),
                    state: "not set",
                })
            }
        },
        None => None,
    };
    if !help.contains("-pkcs11module") {
        return Err(SignError::ToolUnavailable {
            tool: "osslsigncode".into(),
            reason: "this osslsigncode has no -pkcs11module option (PKCS#11 support came in \
                     osslsigncode 2.0); install a current osslsigncode"
                .into(),
        });
    }
    let module = module_path(&p.module, env)?;
    let engine = match &p.engine {
        Some(e) if e.is_file() => e.clone(),
        Some(e) => {
            return Err(SignError::ToolNotFound {
                tool: "OpenSSL's PKCS#11 engine".into(),
                searched: format!("pkcs11-engine = \"{}\" is not a file", e.display()),
                hint: "point pkcs11-engine at the engine's pkcs11.so, or remove the key to let \
                       svcpack find it"
                    .into(),
            })
        }
        None => find_engine(env, secrets)?,
    };
    let cert = match certificate {
        Some(Certificate::File(f)) => CertSource::Chain(f.clone()),
        Some(Certificate::Pkcs11(uri)) => CertSource::Uri(uri.clone()),
        _ => {
            return Err(SignError::CorruptCertificate {
                certificate: "the configuration".into(),
                reason: "a PKCS#11 key needs certificate = a chain file or a pkcs11: URI".into(),
            })
        }
    };
    Ok(Token {
        program,
        engine,
        module,
        key: p.key.clone(),
        cert,
        pin,
        pin_env: p.pin_env.clone(),
    })
}

/// A module given as a path must exist; a bare name is looked for where dynamic loaders
/// look and, when not found there, left to the loader (ld.so.cache, DYLD paths), so the
/// probe signature reports it if it really is missing.
fn module_path(module: &Path, env: Env) -> Result<PathBuf, SignError> {
    let text = module.to_string_lossy();
    if text.contains('/') || text.contains('\\') {
        return if module.is_file() {
            Ok(module.to_path_buf())
        } else {
            Err(SignError::ModuleNotFound {
                module: module.to_path_buf(),
                detail: "no such file".into(),
            })
        };
    }
    let mut dirs: Vec<PathBuf> = Vec::new();
    for var in ["LD_LIBRARY_PATH", "DYLD_LIBRARY_PATH"] {
        if let Some(v) = env(var) {
            dirs.extend(std::env::split_paths(&v));
        }
    }
    let multiarch = format!("/usr/lib/{}-linux-gnu", std::env::consts::ARCH);
    for d in [
        multiarch.as_str(),
        "/usr/lib64",
        "/usr/lib",
        "/usr/local/lib",
        "/opt/homebrew/lib",
    ] {
        dirs.push(d.into());
        // Libraries that install into a folder of their own (softhsm, pkcs11).
        dirs.push(Path::new(d).join("pkcs11"));
        dirs.push(Path::new(d).join("softhsm"));
    }
    Ok(dirs
        .into_iter()
        .map(|d| d.join(module))
        .find(|p| p.is_file())
        .unwrap_or_else(|| module.to_path_buf()))
}

/// OpenSSL's PKCS#11 engine: `$SVCPACK_PKCS11_ENGINE`, the engines directory OpenSSL
/// reports (`openssl version -e`), then where distributions put it.
fn find_engine(env: Env, secrets: &[&str]) -> Result<PathBuf, SignError> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    if let Some(p) = env("SVCPACK_PKCS11_ENGINE").filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        if p.is_file() {
            return Ok(p);
        }
    }
    if let Some(openssl) = find_program("openssl", env) {
        if let Ok(ran) = run(Command::new(openssl).args(["version", "-e"]), secrets) {
            // `ENGINESDIR: "/usr/lib/x86_64-linux-gnu/engines-3"`
            for line in ran.text.lines() {
                if let Some(rest) = line.trim().strip_prefix("ENGINESDIR:") {
                    dirs.push(rest.trim().trim_matches('"').into());
                }
            }
        }
    }
    let arch = std::env::consts::ARCH;
    for base in [
        format!("/usr/lib/{arch}-linux-gnu"),
        "/usr/lib64".into(),
        "/usr/lib".into(),
        "/usr/local/lib".into(),
        "/opt/homebrew/lib".into(),
    ] {
        for sub in ["engines-3", "engines-1.1", "openssl/engines"] {
            dirs.push(Path::new(&base).join(sub));
        }
    }
    let names = [
        "pkcs11.so",
        "libpkcs11.so",
        "pkcs11.dylib",
        "libpkcs11.dylib",
    ];
    dirs.iter()
        .flat_map(|d| names.iter().map(move |n| d.join(n)))
        .find(|p| p.is_file())
        .ok_or_else(|| SignError::ToolNotFound {
            tool: "OpenSSL's PKCS#11 engine (libp11)".into(),
            searched: format!(
                "looked in {}",
                dirs.iter()
                    .take(3)
                    .map(|d| d.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            hint: "osslsigncode reaches PKCS#11 libraries through it: apt-get install \
                   libengine-pkcs11-openssl (dnf install openssl-pkcs11, brew install libp11), \
                   or set pkcs11-engine = \"/path/to/pkcs11.so\""
                .into(),
        })
}

impl Signer {
    /// `osslsigncode sign -pkcs11engine E -pkcs11module M -key URI (-certs F | -pkcs11cert
    /// URI) [-readpass PINFILE] ...`, the PIN file deleted as soon as osslsigncode exits.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn pkcs11_sign(
        &self,
        t: &Token,
        input: &Path,
        output: &Path,
        description: &str,
        url: Option<&str>,
        scratch: &tempfile::TempDir,
    ) -> Result<(), SignError> {
        let mut cmd = Command::new(&t.program);
        cmd.arg("sign")
            .arg("-pkcs11engine")
            .arg(&t.engine)
            .arg("-pkcs11module")
            .arg(&t.module)
            .arg("-key")
            .arg(&t.key);
        match &t.cert {
            CertSource::Chain(f) => cmd.arg("-certs").arg(f),
            CertSource::Uri(u) => cmd.arg("-pkcs11cert").arg(u),
        };
        let pin_file = scratch.path().join("pin");
        if let Some(pin) = &t.pin {
            tools::write_private(&pin_file, pin.0.as_bytes())
                .map_err(io_err("cannot write the PIN file"))?;
            cmd.arg("-readpass").arg(&pin_file);
        }
        cmd.args(["-h", "sha256"]);
        if !description.is_empty() {
            cmd.arg("-n").arg(description);
        }
        if let Some(u) = url.filter(|u| !u.is_empty()) {
            cmd.arg("-i").arg(u);
        }
        if let Some(time) = self.signing_time {
            cmd.arg("-time").arg(time.to_string());
        }
        cmd.arg("-in").arg(input).arg("-out").arg(output);
        let ran = run(&mut cmd, &self.secrets());
        let _ = std::fs::remove_file(&pin_file);
        let ran = ran.map_err(|source| SignError::ToolFailed {
            tool: t.program.display().to_string(),
            source,
        })?;
        if ran.ok && output.is_file() {
            return Ok(());
        }
        Err(classify(&ran.text, t, &self.tool_name, input))
    }
}

/// One sentence from what libp11 and osslsigncode printed.
fn classify(text: &str, t: &Token, tool: &str, file: &Path) -> SignError {
    let tidy = tools::tidy(text);
    let lower = tidy.to_ascii_lowercase();
    let pin_source = match &t.pin_env {
        Some(v) => format!("the PIN in environment variable {v}"),
        None => "no PIN (pin-env is not set)".into(),
    };
    if lower.contains("unable to load module") || lower.contains("cannot open shared object") {
        let detail = tidy
            .lines()
            .find(|l| l.contains("cannot open shared object") || l.contains("dlopen"))
            .unwrap_or("the library does not load")
            .to_string();
        return SignError::ModuleNotFound {
            module: t.module.clone(),
            detail,
        };
    }
    if lower.contains("pin locked") || lower.contains("user pin not initialized") {
        return SignError::TokenLocked { key: t.key.clone() };
    }
    if lower.contains("pin incorrect") || lower.contains("pin invalid") {
        return SignError::WrongPin {
            key: t.key.clone(),
            source_of_pin: pin_source,
        };
    }
    if lower.contains("no pin code was entered") || lower.contains("ui_process") {
        return SignError::PinRequired { key: t.key.clone() };
    }
    if lower.contains("no matching initialized token") || lower.contains("no tokens found") {
        return SignError::KeyNotFound {
            key: t.key.clone(),
            what: "no token matches it (check token=, serial=, slot-id=)",
        };
    }
    if lower.contains("object not found") || lower.contains("private key was not found") {
        return SignError::KeyNotFound {
            key: t.key.clone(),
            what: "the token has no private key matching it (check object= and id=)",
        };
    }
    SignError::SignFailed {
        tool: tool.into(),
        file: file.to_path_buf(),
        detail: one_line(&tidy, 4),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token() -> Token {
        Token {
            program: "osslsigncode".into(),
            engine: "/e/pkcs11.so".into(),
            module: "/m/lib.so".into(),
            key: "pkcs11:token=rel;object=k".into(),
            cert: CertSource::Chain("c.pem".into()),
            pin: None,
            pin_env: Some("HSM_PIN".into()),
        }
    }

    #[test]
    fn libp11_failures_become_one_sentence() {
        let t = token();
        let f = Path::new("a.exe");
        let e = |text: &str| classify(text, &t, "osslsigncode", f).to_string();
        assert!(e("Login failed\nx:error:430000A0:PKCS#11 module:ERR_CKR_error:PIN incorrect:p11_slot.c:208:\n")
            .contains("wrong PIN"));
        assert!(e("x:error:43000102:PKCS#11 module:ERR_CKR_error:User pin not initialized:p11_slot.c:208:\n")
            .contains("locked"));
        assert!(
            e("x:error:1:PKCS#11 module:ERR_CKR_error:PIN locked:p11_slot.c:208:\n")
                .contains("locked")
        );
        assert!(e("/x.so: cannot open shared object file: No such file or directory\nUnable to load module /x.so\n")
            .contains("cannot open shared object"));
        assert!(
            e("No matching initialized token was found for private key\n")
                .contains("no token matches")
        );
        assert!(e(
            "x:error:42000065:pkcs11 engine:ERR_ENG_error:object not found:eng_back.c:887:\n"
        )
        .contains("no private key"));
        assert!(e(
            "Enter PKCS#11 token PIN for rel:\nUI_process failed\nNo PIN code was entered\n"
        )
        .contains("pin-env"));
    }
}
