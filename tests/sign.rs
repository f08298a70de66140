//! Authenticode signing through the library API (`svcpack::sign`), with throwaway
//! certificates made by openssl at test time (a CA, a code-signing leaf, an expired leaf,
//! a time-stamping authority — nothing is committed). Every signature svcpack makes is
//! checked independently with `osslsigncode verify -CAfile ca.pem`; secrets are hunted for
//! in the argv and environment recorded by stand-in tools.
//!
//! Needs openssl and osslsigncode; without them each test prints a notice and passes
//! (set SVCPACK_REQUIRE_SIGNING=1 to make that a failure instead). Unix only: the
//! stand-ins are shell scripts.
#![cfg(unix)]

mod support;

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use svcpack::config::{Certificate, Pkcs11, Sign, SignTool};
use svcpack::sign::{self, Retry, SignError, Signer};

/// The throwaway PKCS#12 password: distinctive, so finding it anywhere is unambiguous.
const PASSWORD: &str = "pw-Throwaway-4e1d9c-NOT-A-SECRET";
const PASSWORD_VAR: &str = "SVCPACK_TEST_SIGN_PASSWORD";
const SUBJECT: &str = "CN=Example Signer, O=Example Ltd, C=GB";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// openssl and osslsigncode, or a notice and `None`.
fn tools() -> Option<PathBuf> {
    match (which("openssl"), which("osslsigncode")) {
        (Some(_), Some(o)) => Some(o),
        _ => {
            let msg = "openssl and osslsigncode are needed for the signing tests \
                       (apt-get install openssl osslsigncode)";
            assert!(
                std::env::var_os("SVCPACK_REQUIRE_SIGNING").is_none(),
                "{msg}"
            );
            eprintln!("SKIPPED: {msg}");
            None
        }
    }
}

fn sh(dir: &Path, args: &[&str]) {
    let out = Command::new(args[0])
        .args(&args[1..])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A throwaway PKI in a temporary directory.
struct Pki {
    dir: tempfile::TempDir,
}

impl Pki {
    fn new() -> Pki {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(
            d.join("ca.cnf"),
            "[ca]\ndefault_ca = CA_default\n[CA_default]\ndir = .\ndatabase = ./index.txt\n\
             new_certs_dir = .\nserial = ./serial\ndefault_md = sha256\npolicy = any\n\
             unique_subject = no\n[any]\ncountryName = optional\n\
             organizationName = optional\ncommonName = supplied\n\
             [v3ca]\nbasicConstraints = critical,CA:TRUE\nkeyUsage = critical,keyCertSign,cRLSign\n\
             subjectKeyIdentifier = hash\n\
             [codesign]\nextendedKeyUsage = codeSigning\nkeyUsage = critical,digitalSignature\n\
             basicConstraints = CA:FALSE\n\
             [tsa]\nextendedKeyUsage = critical,timeStamping\nkeyUsage = critical,digitalSignature\n\
             basicConstraints = CA:FALSE\n",
        )
        .unwrap();
        std::fs::write(d.join("index.txt"), "").unwrap();
        std::fs::write(d.join("serial"), "1000\n").unwrap();
        // A self-signed CA valid from 2019, so the expired leaf (2020) was once valid.
        #[rustfmt::skip]
        sh(d, &["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key",
            "-out", "ca.csr", "-subj", "/CN=svcpack Throwaway Test CA"]);
        #[rustfmt::skip]
        sh(d, &["openssl", "ca", "-batch", "-selfsign", "-config", "ca.cnf", "-keyfile", "ca.key",
            "-in", "ca.csr", "-out", "ca.pem", "-startdate", "20190101000000Z",
            "-enddate", "21001231000000Z", "-extensions", "v3ca", "-notext"]);
        let leaf = |name: &str, subj: &str, ext: &str, dates: (&str, &str)| {
            #[rustfmt::skip]
            sh(d, &["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout",
                &format!("{name}.key"), "-out", &format!("{name}.csr"), "-subj", subj]);
            #[rustfmt::skip]
            sh(d, &["openssl", "ca", "-batch", "-config", "ca.cnf", "-cert", "ca.pem",
                "-keyfile", "ca.key", "-in", &format!("{name}.csr"),
                "-out", &format!("{name}.pem"), "-startdate", dates.0, "-enddate", dates.1,
                "-extensions", ext, "-notext"]);
        };
        let valid = ("20200101000000Z", "20991231000000Z");
        leaf(
            "signer",
            "/C=GB/O=Example Ltd/CN=Example Signer",
            "codesign",
            valid,
        );
        leaf(
            "expired",
            "/C=GB/O=Example Ltd/CN=Example Signer",
            "codesign",
            ("20200101000000Z", "20210101000000Z"),
        );
        leaf("tsa", "/O=Example Ltd/CN=Throwaway TSA", "tsa", valid);
        for (name, out, pass) in [
            ("signer", "signer.pfx", PASSWORD),
            ("expired", "expired.pfx", PASSWORD),
            ("signer", "nopass.pfx", ""),
        ] {
            #[rustfmt::skip]
            sh(d, &["openssl", "pkcs12", "-export", "-inkey", &format!("{name}.key"),
                "-in", &format!("{name}.pem"), "-certfile", "ca.pem", "-out", out,
                "-passout", &format!("pass:{pass}")]);
        }
        let chain = [
            std::fs::read_to_string(d.join("tsa.pem")).unwrap(),
            std::fs::read_to_string(d.join("ca.pem")).unwrap(),
        ]
        .concat();
        std::fs::write(d.join("tsa-chain.pem"), chain).unwrap();
        Pki { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// The environment svcpack sees: the real PATH plus `vars`.
fn env_of(vars: &[(&str, String)]) -> impl Fn(&str) -> Option<String> {
    let mut map: BTreeMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    if let Ok(p) = std::env::var("PATH") {
        map.entry("PATH".into()).or_insert(p);
    }
    move |k| map.get(k).cloned()
}

fn with_password() -> Vec<(&'static str, String)> {
    vec![(PASSWORD_VAR, PASSWORD.to_string())]
}

fn config(cert: Certificate, tool: SignTool) -> Sign {
    Sign {
        certificate: Some(cert),
        password_env: Some(PASSWORD_VAR.into()),
        timestamp_urls: Vec::new(),
        tool,
        pkcs11: None,
    }
}

fn prepare_ok(sign: &Sign, env: &dyn Fn(&str) -> Option<String>, work: &Path) -> Signer {
    match sign::prepare(sign, env, work) {
        Ok((s, warnings)) => {
            assert!(warnings.is_empty(), "{warnings:?}");
            s
        }
        Err(e) => panic!("prepare: {e}"),
    }
}

fn prepare_err(sign: &Sign, env: &dyn Fn(&str) -> Option<String>, work: &Path) -> SignError {
    match sign::prepare(sign, env, work) {
        Ok(_) => panic!("prepare succeeded"),
        Err(e) => {
            let msg = e.to_string();
            assert!(!msg.contains(PASSWORD), "the password leaked: {msg}");
            assert!(!msg.contains('\n'), "not one line: {msg}");
            e
        }
    }
}

/// `osslsigncode verify -CAfile ca.pem` (the independent check), at `time` if given.
fn ossl_verify(pki: &Pki, file: &Path, time: Option<&str>) {
    let mut c = Command::new("osslsigncode");
    c.arg("verify").arg("-CAfile").arg(pki.path("ca.pem"));
    if let Some(t) = time {
        c.args(["-time", t]);
    }
    let out = c.arg("-in").arg(file).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("Signature verification: ok"),
        "osslsigncode verify {}: {text}{}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn hello_exe(dir: &Path) -> PathBuf {
    let p = dir.join("hello.exe");
    std::fs::copy(repo().join("tests/fixtures/pe/hello-x86.exe"), &p).unwrap();
    p
}

/// A tiny MSI holding `exe`, compiled with svcpack's own WiX compiler.
fn tiny_msi(dir: &Path, exe: &Path) -> PathBuf {
    let src = dir.join("tiny.wxs");
    std::fs::write(
        &src,
        r#"<Wix xmlns="http://wixtoolset.org/schemas/v4/wxs">
  <Package Name="svcpack Signing Test" Manufacturer="svcpack tests" Version="1.2.3"
           UpgradeCode="6B0D2C1E-3F4A-4B5C-8D9E-0A1B2C3D4E5F" Language="1033">
    <MediaTemplate EmbedCab="yes"/>
    <StandardDirectory Id="ProgramFilesFolder">
      <Directory Id="INSTALLDIR" Name="svcpack Signing Test">
        <Component Id="Exe">
          <File Id="ExeFile" Name="hello.exe" Source="$(var.ExePath)" KeyPath="yes"/>
        </Component>
      </Directory>
    </StandardDirectory>
    <Feature Id="Main"><ComponentRef Id="Exe"/></Feature>
  </Package>
</Wix>
"#,
    )
    .unwrap();
    let mut opts = svcpack::wix::CompileOptions::new("x86");
    opts.current_dir = dir.to_path_buf();
    opts.timestamp = 1_700_000_000;
    opts.defines
        .insert("ExePath".into(), exe.display().to_string());
    let msi = dir.join("tiny.msi");
    svcpack::wix::compile_to_file(&[src], &msi, &opts).unwrap();
    msi
}

/// The workdir holds nothing once the signer is gone (no password or key file left).
fn assert_empty(dir: &Path) {
    let left: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "left behind in the workdir: {left:?}");
}

/// Files anywhere under `dir`, to check no scratch file survives an operation.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn signs_pe_and_msi_and_osslsigncode_verifies_both() {
    let Some(_) = tools() else { return };
    let pki = Pki::new();
    let files = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let env = env_of(&with_password());
    let signer = prepare_ok(
        &config(Certificate::File(pki.path("signer.pfx")), SignTool::Auto),
        &env,
        work.path(),
    );
    assert!(
        signer.tool().starts_with("osslsigncode"),
        "{}",
        signer.tool()
    );

    let exe = hello_exe(files.path());
    let r = signer
        .sign_file(
            &exe,
            "svcpack Signing Test",
            Some("https://example.com/svcpack"),
        )
        .unwrap();
    assert_eq!(r.subject, SUBJECT);
    assert!(!r.timestamped);
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    ossl_verify(&pki, &exe, None);
    assert!(files_under(work.path()).is_empty());

    let msi = tiny_msi(files.path(), &exe);
    let r = signer
        .sign_file(&msi, "svcpack Signing Test", None)
        .unwrap();
    assert_eq!(r.subject, SUBJECT);
    ossl_verify(&pki, &msi, None);
    signer.verify(&msi).unwrap();
    assert!(svcpack::wix::inspect::inspect_file(&msi).unwrap().signed);

    // The exe inside the signed MSI is the signed exe.
    let out = files.path().join("extracted");
    std::fs::create_dir(&out).unwrap();
    if which("msiextract").is_some() {
        sh(
            files.path(),
            &[
                "msiextract",
                "-C",
                out.to_str().unwrap(),
                msi.to_str().unwrap(),
            ],
        );
        let inner = files_under(&out)
            .into_iter()
            .find(|p| p.file_name().is_some_and(|n| n == "hello.exe"))
            .expect("hello.exe in the MSI");
        ossl_verify(&pki, &inner, None);
    }

    let info = sign::signature_info(&msi).expect("signature info");
    assert_eq!(info["subject"], SUBJECT);
    assert_eq!(info["issuer"], "CN=svcpack Throwaway Test CA");
    assert_eq!(info["digest"], "sha256");
    assert_eq!(info["timestamp"], "none");
    assert_eq!(info["description"], "svcpack Signing Test");
    let info = sign::signature_info(&exe).expect("signature info");
    assert_eq!(info["url"], "https://example.com/svcpack");
    assert_eq!(info["valid-until"], "2099-12-31T00:00:00Z");
    assert!(sign::signature_info(&repo().join("tests/fixtures/pe/hello-x86.exe")).is_none());

    drop(signer);
    assert_empty(work.path());
}

#[test]
fn certificate_from_environment_base64() {
    let Some(_) = tools() else { return };
    let pki = Pki::new();
    let files = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let pfx = std::fs::read(pki.path("signer.pfx")).unwrap();
    // Wrapped at 76 columns, as `base64` writes it by default: whitespace is ignored.
    let b64 = Command::new("base64")
        .arg(pki.path("signer.pfx"))
        .output()
        .unwrap()
        .stdout;
    let mut vars = with_password();
    vars.push(("SVCPACK_TEST_PFX_B64", String::from_utf8(b64).unwrap()));
    let env = env_of(&vars);
    let signer = prepare_ok(
        &config(
            Certificate::Env("SVCPACK_TEST_PFX_B64".into()),
            SignTool::Osslsigncode,
        ),
        &env,
        work.path(),
    );
    // While the signer lives, the decoded certificate is a private file in the workdir.
    let held = files_under(work.path());
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(std::fs::read(&held[0]).unwrap(), pfx);
    assert_eq!(
        std::fs::metadata(&held[0]).unwrap().permissions().mode() & 0o777,
        0o600
    );

    let exe = hello_exe(files.path());
    let (signed, report) = signer
        .sign_bytes(&std::fs::read(&exe).unwrap(), "hello.exe", "Hello", None)
        .unwrap();
    assert_eq!(report.subject, SUBJECT);
    let out = files.path().join("signed.exe");
    std::fs::write(&out, signed).unwrap();
    ossl_verify(&pki, &out, None);

    drop(signer);
    assert_empty(work.path());
}

#[test]
fn osslsigncode_gets_the_password_only_through_a_private_file() {
    let Some(real) = tools() else { return };
    let pki = Pki::new();
    let files = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    // A wrapper that records every argv and the mode of the -readpass file, then runs
    // the real osslsigncode.
    let record = files.path().join("osslsigncode-argv.txt");
    let wrapper = files.path().join("osslsigncode-wrapper");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\n\
             rec='{rec}'\n\
             printf 'ARGV' >> \"$rec\"; for a in \"$@\"; do printf ' [%s]' \"$a\" >> \"$rec\"; done; echo >> \"$rec\"\n\
             prev=''\n\
             for a in \"$@\"; do\n\
               if [ \"$prev\" = -readpass ]; then\n\
                 echo \"PASSFILE $a $(stat -c %a \"$a\" 2>/dev/null || stat -f %Lp \"$a\")\" >> \"$rec\"\n\
               fi\n\
               prev=\"$a\"\n\
             done\n\
             exec '{real}' \"$@\"\n",
            rec = record.display(),
            real = real.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut vars = with_password();
    vars.push(("SVCPACK_OSSLSIGNCODE", wrapper.display().to_string()));
    let env = env_of(&vars);
    let signer = prepare_ok(
        &config(Certificate::File(pki.path("signer.pfx")), SignTool::Auto),
        &env,
        work.path(),
    );
    let exe = hello_exe(files.path());
    signer.sign_file(&exe, "Hello", None).unwrap();
    ossl_verify(&pki, &exe, None);

    let text = std::fs::read_to_string(&record).unwrap();
    assert!(
        !text.contains(PASSWORD),
        "the password reached argv:\n{text}"
    );
    assert!(!text.contains("[-pass]"), "{text}");
    let passfiles: Vec<&str> = text.lines().filter(|l| l.starts_with("PASSFILE")).collect();
    // The certificate check in prepare, and the exe.
    assert_eq!(passfiles.len(), 2, "{text}");
    for l in passfiles {
        let mut parts = l.split(' ');
        let (path, mode) = (parts.nth(1).unwrap(), parts.next().unwrap());
        assert_eq!(mode, "600", "{l}");
        assert!(Path::new(path).starts_with(work.path()), "{l}");
        assert!(
            !Path::new(path).exists(),
            "the password file was not removed: {l}"
        );
    }
    drop(signer);
    assert_empty(work.path());
}

#[test]
fn command_signer_gets_no_secret() {
    let Some(real) = tools() else { return };
    let pki = Pki::new();
    let files = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    // Stand-in for jsign / AzureSignTool: records its argv and environment, then signs
    // the file in place with a key of its own (the "HSM": a password-less PKCS#12).
    let record = files.path().join("command-record.txt");
    let script = files.path().join("cloud-signer");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\n\
             rec='{rec}'\n\
             for a in \"$@\"; do echo \"ARG $a\" >> \"$rec\"; done\n\
             env | sed 's/^/ENV /' >> \"$rec\"\n\
             for f; do :; done\n\
             '{real}' sign -pkcs12 '{pfx}' -h sha256 -in \"$f\" -out \"$f.tmp\" >/dev/null && mv \"$f.tmp\" \"$f\"\n",
            rec = record.display(),
            real = real.display(),
            pfx = pki.path("nopass.pfx").display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let argv: Vec<String> = [
        script.to_str().unwrap(),
        "sign",
        "--keystore",
        "hsm",
        "--alias",
        "release",
        "--file={file}",
        "{file}",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let sign = Sign {
        certificate: None,
        password_env: Some(PASSWORD_VAR.into()),
        timestamp_urls: Vec::new(),
        tool: SignTool::Command(argv),
        pkcs11: None,
    };
    let env = env_of(&with_password());
    let signer = prepare_ok(&sign, &env, work.path());
    let exe = hello_exe(files.path());
    let report = signer.sign_file(&exe, "Hello", None).unwrap();
    assert_eq!(report.subject, SUBJECT);
    assert_eq!(report.tool, "cloud-signer");
    ossl_verify(&pki, &exe, None);

    let text = std::fs::read_to_string(&record).unwrap();
    assert!(
        !text.contains(PASSWORD),
        "a secret reached the command:\n{text}"
    );
    let args: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("ARG "))
        .collect();
    let file = exe.display().to_string();
    assert_eq!(
        args,
        [
            "sign",
            "--keystore",
            "hsm",
            "--alias",
            "release",
            &format!("--file={file}"),
            &file
        ]
    );
    // The environment passes through as is.
    assert!(text.lines().any(|l| l.starts_with("ENV PATH=")), "{text}");
}

#[test]
fn wrong_or_missing_password() {
    let Some(_) = tools() else { return };
    let pki = Pki::new();
    let work = tempfile::tempdir().unwrap();
    let pfx = Certificate::File(pki.path("signer.pfx"));

    let env = env_of(&[(PASSWORD_VAR, "not-the-password".into())]);
    let e = prepare_err(&config(pfx.clone(), SignTool::Auto), &env, work.path());
    assert!(matches!(e, SignError::WrongPassword { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(
        msg.contains("wrong password") && msg.contains(PASSWORD_VAR),
        "{msg}"
    );
    assert!(!msg.contains("not-the-password"), "{msg}");

    let e = prepare_err(
        &config(pfx.clone(), SignTool::Auto),
        &env_of(&[]),
        work.path(),
    );
    assert!(matches!(e, SignError::PasswordMissing { .. }), "{e:?}");
    assert!(e.to_string().contains(PASSWORD_VAR), "{e}");
    let e = prepare_err(
        &config(pfx.clone(), SignTool::Auto),
        &env_of(&[(PASSWORD_VAR, String::new())]),
        work.path(),
    );
    assert!(e.to_string().contains("is empty"), "{e}");

    // No password-env for a protected file: the hint says how to give one.
    let mut sign = config(pfx, SignTool::Auto);
    sign.password_env = None;
    let e = prepare_err(&sign, &env_of(&[]), work.path());
    assert!(
        e.to_string().contains("no password-env is configured"),
        "{e}"
    );
    // ... and a password-less file needs none.
    sign.certificate = Some(Certificate::File(pki.path("nopass.pfx")));
    let (_signer, _) = sign::prepare(&sign, &env_of(&[]), work.path()).unwrap();

    drop(_signer);
    assert_empty(work.path());
}

#[test]
fn missing_or_corrupt_certificate() {
    let Some(_) = tools() else { return };
    let pki = Pki::new();
    let files = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let env = env_of(&with_password());
    let check = |cert: Certificate, env: &dyn Fn(&str) -> Option<String>, want: &str| {
        let e = prepare_err(&config(cert, SignTool::Osslsigncode), env, work.path());
        assert!(e.to_string().contains(want), "want {want:?} in: {e}");
        e
    };

    let e = check(
        Certificate::File(files.path().join("absent.pfx")),
        &env,
        "cannot read it",
    );
    assert!(
        matches!(e, SignError::CertificateUnreadable { .. }),
        "{e:?}"
    );

    let junk = files.path().join("junk.pfx");
    std::fs::write(&junk, b"this is not a certificate at all\n").unwrap();
    let e = check(Certificate::File(junk), &env, "not PKCS#12 data");
    assert!(matches!(e, SignError::CorruptCertificate { .. }), "{e:?}");

    check(Certificate::File(pki.path("signer.pem")), &env, "PEM text");

    let pfx = std::fs::read(pki.path("signer.pfx")).unwrap();
    let truncated = files.path().join("truncated.pfx");
    std::fs::write(&truncated, &pfx[..pfx.len() / 2]).unwrap();
    check(Certificate::File(truncated), &env, "truncated");

    // Right header, damaged inside: the tool's complaint is reported as a bad certificate.
    let mut damaged = pfx.clone();
    for b in damaged.iter_mut().skip(12).take(40) {
        *b ^= 0x5a;
    }
    let damaged_path = files.path().join("damaged.pfx");
    std::fs::write(&damaged_path, damaged).unwrap();
    let e = prepare_err(
        &config(Certificate::File(damaged_path), SignTool::Osslsigncode),
        &env,
        work.path(),
    );
    assert!(
        matches!(
            e,
            SignError::CorruptCertificate { .. } | SignError::WrongPassword { .. }
        ),
        "{e:?}"
    );

    let var = "SVCPACK_TEST_PFX_B64";
    let e = check(Certificate::Env(var.into()), &env, "is not set");
    assert!(
        matches!(e, SignError::CertificateEnvMissing { .. }),
        "{e:?}"
    );
    let mut vars = with_password();
    vars.push((var, "  \n".into()));
    check(Certificate::Env(var.into()), &env_of(&vars), "is empty");
    let mut vars = with_password();
    vars.push((var, "not base64!".into()));
    let e = check(Certificate::Env(var.into()), &env_of(&vars), "not base64");
    assert!(!e.to_string().contains("not base64!"), "{e}");
    let mut vars = with_password();
    vars.push((
        var,
        std::fs::read_to_string(pki.path("signer.pem")).unwrap(),
    ));
    check(Certificate::Env(var.into()), &env_of(&vars), "PEM text");
    let mut vars = with_password();
    vars.push((var, "aGVsbG8gd29ybGQ=".into()));
    check(
        Certificate::Env(var.into()),
        &env_of(&vars),
        "not PKCS#12 data",
    );

    assert_empty(work.path());
}

#[test]
fn expired_certificate_warns_and_still_signs() {
    let Some(_) = tools() else { return };
    let pki = Pki::new();
    let files = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let env = env_of(&with_password());
    let (signer, warnings) = sign::prepare(
        &config(Certificate::File(pki.path("expired.pfx")), SignTool::Auto),
        &env,
        work.path(),
    )
    .unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("expired on 2021-01-01T00:00:00Z") && warnings[0].contains(SUBJECT),
        "{}",
        warnings[0]
    );
    let exe = hello_exe(files.path());
    let r = signer.sign_file(&exe, "Hello", None).unwrap();
    // Given once, in prepare.
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    // Independently: valid while the certificate was.
    ossl_verify(&pki, &exe, Some("1600000000"));
}

#[test]
fn certificate_not_for_code_signing_warns() {
    let Some(_) = tools() else { return };
    let pki = Pki::new();
    let work = tempfile::tempdir().unwrap();
    let d = pki.dir.path();
    #[rustfmt::skip]
    sh(d, &["openssl", "pkcs12", "-export", "-inkey", "tsa.key", "-in", "tsa.pem",
        "-certfile", "ca.pem", "-out", "tsa.pfx", "-passout", &format!("pass:{PASSWORD}")]);
    let (_, warnings) = sign::prepare(
        &config(Certificate::File(pki.path("tsa.pfx")), SignTool::Auto),
        &env_of(&with_password()),
        work.path(),
    )
    .unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("not for code signing"), "{warnings:?}");
}

#[test]
fn missing_signing_tool() {
    let Some(_) = tools() else { return };
    let pki = Pki::new();
    let work = tempfile::tempdir().unwrap();
    let empty = tempfile::tempdir().unwrap();
    let sign = config(Certificate::File(pki.path("signer.pfx")), SignTool::Auto);

    let mut vars = with_password();
    vars.push(("SVCPACK_OSSLSIGNCODE", "/nonexistent/osslsigncode".into()));
    let e = prepare_err(&sign, &env_of(&vars), work.path());
    assert!(matches!(e, SignError::ToolNotFound { .. }), "{e:?}");
    assert!(
        e.to_string()
            .contains("SVCPACK_OSSLSIGNCODE=/nonexistent/osslsigncode"),
        "{e}"
    );

    let mut vars = with_password();
    vars.push(("PATH", empty.path().display().to_string()));
    let e = prepare_err(&sign, &env_of(&vars), work.path());
    assert!(e.to_string().starts_with("osslsigncode not found"), "{e}");
    assert!(
        e.to_string().contains("apt-get install osslsigncode"),
        "{e}"
    );

    let cmd = Sign {
        certificate: None,
        password_env: None,
        timestamp_urls: Vec::new(),
        tool: SignTool::Command(vec!["no-such-cloud-signer".into(), "{file}".into()]),
        pkcs11: None,
    };
    let e = prepare_err(&cmd, &env_of(&[]), work.path());
    assert!(e.to_string().contains("no-such-cloud-signer"), "{e}");

    // signtool exists only on Windows.
    if !cfg!(windows) {
        let st = config(
            Certificate::File(pki.path("signer.pfx")),
            SignTool::Signtool,
        );
        let e = prepare_err(&st, &env_of(&with_password()), work.path());
        assert!(matches!(e, SignError::ToolUnavailable { .. }), "{e:?}");
    }
    assert_empty(work.path());
}

#[test]
fn unreachable_timestamp_servers_are_named() {
    let Some(_) = tools() else { return };
    let pki = Pki::new();
    let files = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let mut sign = config(Certificate::File(pki.path("signer.pfx")), SignTool::Auto);
    // Port 9 (discard) on loopback: refused at once, no network needed.
    sign.timestamp_urls = vec![
        "http://127.0.0.1:9/".into(),
        "http://127.0.0.1:9/backup".into(),
    ];
    let signer = prepare_ok(&sign, &env_of(&with_password()), work.path()).with_retry(Retry {
        attempts: 3,
        backoff: Duration::from_millis(10),
    });
    let exe = hello_exe(files.path());
    let before = std::fs::read(&exe).unwrap();
    let e = signer.sign_file(&exe, "Hello", None).unwrap_err();
    assert!(matches!(e, SignError::TimestampFailed { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(
        msg.contains("http://127.0.0.1:9/, http://127.0.0.1:9/backup")
            && msg.contains("3 attempts"),
        "{msg}"
    );
    assert!(
        msg.contains("Connection refused") || msg.contains("Failed to get data"),
        "{msg}"
    );
    assert!(!msg.contains('\n'), "{msg}");
    // Nothing half-done: the file is untouched and no scratch file is left.
    assert_eq!(std::fs::read(&exe).unwrap(), before);
    assert!(files_under(work.path()).is_empty());
}

#[test]
fn timestamp_is_read_back() {
    let Some(_) = tools() else { return };
    let pki = Pki::new();
    let files = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let signer = prepare_ok(
        &config(Certificate::File(pki.path("signer.pfx")), SignTool::Auto),
        &env_of(&with_password()),
        work.path(),
    );
    let exe = hello_exe(files.path());
    let msi = tiny_msi(files.path(), &exe);
    signer.sign_file(&msi, "Tiny", None).unwrap();
    // osslsigncode's built-in RFC 3161 responder stands in for a timestamp server.
    let stamped = files.path().join("stamped.msi");
    #[rustfmt::skip]
    sh(files.path(), &["osslsigncode", "add",
        "-TSA-certs", pki.path("tsa-chain.pem").to_str().unwrap(),
        "-TSA-key", pki.path("tsa.key").to_str().unwrap(),
        "-TSA-time", "1700000000",
        "-in", msi.to_str().unwrap(), "-out", stamped.to_str().unwrap()]);
    let info = sign::signature_info(&stamped).unwrap();
    assert_eq!(info["timestamp"], "2023-11-14T22:13:20Z");
    assert_eq!(
        info["timestamp-authority"],
        "CN=Throwaway TSA, O=Example Ltd"
    );
    assert_eq!(info["subject"], SUBJECT);
    signer.verify(&stamped).unwrap();
}

#[test]
fn signatures_are_reproducible_with_source_date_epoch() {
    let Some(_) = tools() else { return };
    let pki = Pki::new();
    let files = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let mut vars = with_password();
    vars.push(("SOURCE_DATE_EPOCH", "1700000000".into()));
    let signer = prepare_ok(
        &config(Certificate::File(pki.path("signer.pfx")), SignTool::Auto),
        &env_of(&vars),
        work.path(),
    );
    let exe = hello_exe(files.path());
    let msi = tiny_msi(files.path(), &exe);
    let bytes = std::fs::read(&msi).unwrap();
    let (a, _) = signer.sign_bytes(&bytes, "tiny.msi", "Tiny", None).unwrap();
    let (b, _) = signer.sign_bytes(&bytes, "tiny.msi", "Tiny", None).unwrap();
    assert!(a == b, "two signatures of the same MSI differ");
    let out = files.path().join("signed.msi");
    std::fs::write(&out, &a).unwrap();
    assert_eq!(
        sign::signature_info(&out).unwrap()["signing-time"],
        "2023-11-14T22:13:20Z"
    );
    ossl_verify(&pki, &out, None);
}

#[test]
fn verification_catches_tampering_and_missing_signatures() {
    let Some(_) = tools() else { return };
    let pki = Pki::new();
    let files = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let signer = prepare_ok(
        &config(Certificate::File(pki.path("signer.pfx")), SignTool::Auto),
        &env_of(&with_password()),
        work.path(),
    );
    let exe = hello_exe(files.path());
    let e = signer.verify(&exe).unwrap_err();
    assert!(
        e.to_string().contains("has no Authenticode signature"),
        "{e}"
    );

    signer.sign_file(&exe, "Hello", None).unwrap();
    let mut bytes = std::fs::read(&exe).unwrap();
    bytes[0x600] ^= 0xff; // inside the first section
    std::fs::write(&exe, bytes).unwrap();
    let e = signer.verify(&exe).unwrap_err();
    assert!(matches!(e, SignError::VerifyFailed { .. }), "{e:?}");
    assert!(e.to_string().contains("changed after signing"), "{e}");
}

#[test]
fn a_failing_command_signer_cannot_leak_the_password() {
    let Some(_) = tools() else { return };
    let files = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    // A careless signing script that prints the secret it was given before failing.
    let script = files.path().join("careless-signer");
    std::fs::write(
        &script,
        format!("#!/bin/sh\necho \"login with password {PASSWORD} refused\" >&2\nexit 3\n"),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let sign = Sign {
        certificate: None,
        password_env: Some(PASSWORD_VAR.into()),
        timestamp_urls: Vec::new(),
        tool: SignTool::Command(vec![script.display().to_string(), "{file}".into()]),
        pkcs11: None,
    };
    let signer = prepare_ok(&sign, &env_of(&with_password()), work.path());
    let exe = hello_exe(files.path());
    let e = signer.sign_file(&exe, "Hello", None).unwrap_err();
    assert!(matches!(e, SignError::SignFailed { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(msg.contains("login with password *** refused"), "{msg}");
    assert!(!msg.contains(PASSWORD), "{msg}");
    assert!(!format!("{e:?} {signer:?}").contains(PASSWORD));
}

/// `cargo svcpack build` with `[sign]` (a standalone svcpack.toml packaging a prebuilt
/// exe): the MSI, the exe inside it and the exe in the zip all verify; the manifest says
/// so; `inspect` names the signer; a wrong password fails before any artifact exists;
/// `--no-sign` builds unsigned.
#[test]
fn build_signs_msi_and_both_copies_of_the_exe() {
    let Some(_) = tools() else { return };
    let pki = Pki::new();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::copy(pki.path("signer.pfx"), d.join("signer.pfx")).unwrap();
    std::fs::write(
        d.join("svcpack.toml"),
        "name = \"signed-agent\"\nversion = \"2.0.0\"\nauthors = [\"Example Ltd\"]\n\
         homepage = \"https://example.com/agent\"\nproduct-name = \"Signed Agent\"\n\
         upgrade-code = \"0C1D2E3F-4A5B-4C6D-8E7F-8091A2B3C4D5\"\nbinary = \"signed-agent\"\n\n\
         [sign]\ncertificate = \"signer.pfx\"\npassword-env = \"SVCPACK_TEST_SIGN_PASSWORD\"\n\n\
         [release]\nwinget-id = \"Example.SignedAgent\"\n\
         download-url = \"https://example.com/agent/v{version}/{file}\"\n",
    )
    .unwrap();
    let build = |out: &str, password: &str, extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_cargo-svcpack"))
            .args(["svcpack", "build", "--config"])
            .arg(d.join("svcpack.toml"))
            .args(["--no-build", "--binary"])
            .arg(repo().join("tests/fixtures/pe/svc-res-x64.exe"))
            .args(["--target", "x86_64-pc-windows-gnu", "--out-dir"])
            .arg(d.join(out))
            .args(extra)
            .env(PASSWORD_VAR, password)
            .env("SOURCE_DATE_EPOCH", "1700000000")
            .output()
            .unwrap()
    };

    let o = build("out", PASSWORD, &["--message-format", "json"]);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(o.status.success(), "{text}");
    assert!(
        !text.contains(PASSWORD),
        "the password reached the output: {text}"
    );
    let out = d.join("out");
    let msi = out.join("signed-agent-2.0.0-x64.msi");
    ossl_verify(&pki, &msi, None);
    // winget and the checksums name the final, signed MSI.
    let digest = {
        use sha2::Digest as _;
        format!("{:x}", sha2::Sha256::digest(std::fs::read(&msi).unwrap()))
    };
    let installer =
        std::fs::read_to_string(out.join("winget/Example.SignedAgent.installer.yaml")).unwrap();
    assert!(
        installer.contains(&format!("InstallerSha256: {}\n", digest.to_uppercase())),
        "{installer}"
    );
    let sums = std::fs::read_to_string(out.join("SHA256SUMS")).unwrap();
    assert!(
        sums.contains(&format!("{digest}  signed-agent-2.0.0-x64.msi\n")),
        "{sums}"
    );
    let manifest =
        std::fs::read_to_string(out.join("signed-agent-2.0.0-x64.manifest.json")).unwrap();
    assert_eq!(
        manifest.matches("\"signed\": true").count(),
        2,
        "{manifest}"
    );
    assert!(!manifest.contains(PASSWORD));

    if which("msiextract").is_some() {
        let x = d.join("msi-files");
        std::fs::create_dir(&x).unwrap();
        sh(
            d,
            &[
                "msiextract",
                "-C",
                x.to_str().unwrap(),
                msi.to_str().unwrap(),
            ],
        );
        let exe = files_under(&x)
            .into_iter()
            .find(|p| p.file_name().is_some_and(|n| n == "signed-agent.exe"))
            .expect("the exe in the MSI");
        ossl_verify(&pki, &exe, None);
    }
    if which("unzip").is_some() {
        let z = d.join("zip-files");
        #[rustfmt::skip]
        sh(d, &["unzip", "-q", "-d", z.to_str().unwrap(),
            out.join("signed-agent-2.0.0-x64-portable.zip").to_str().unwrap()]);
        ossl_verify(&pki, &z.join("signed-agent.exe"), None);
    }

    let o = Command::new(env!("CARGO_BIN_EXE_cargo-svcpack"))
        .args(["svcpack", "inspect"])
        .arg(&msi)
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&o.stdout);
    assert!(shown.contains(&format!("subject: {SUBJECT}")), "{shown}");
    assert!(shown.contains("timestamp: none"), "{shown}");

    let o = build("bad", "not-the-password", &[]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("wrong password"), "{err}");
    assert!(!d.join("bad").exists(), "a failed build left an out-dir");

    let o = build("unsigned", "", &["--no-sign"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let manifest =
        std::fs::read_to_string(d.join("unsigned/signed-agent-2.0.0-x64.manifest.json")).unwrap();
    assert!(!manifest.contains("\"signed\": true"), "{manifest}");
}

// ---------------------------------------------------------------------------------------
// Keys in hardware: a SoftHSM2 token stands in for a USB token, an HSM or a cloud HSM's
// PKCS#11 library. Each test gets its own token directory (SOFTHSM2_CONF), and signs through
// a wrapper around osslsigncode that records every argv and environment it is given.

/// The token's user PIN: distinctive, so finding it anywhere is unambiguous.
const PIN: &str = "pin-Throwaway-77a3b1-NOT-A-SECRET";
const PIN_VAR: &str = "SVCPACK_TEST_TOKEN_PIN";
const KEY_URI: &str = "pkcs11:token=svcpack-release;object=release-key";

/// libsofthsm2.so, softhsm2-util and OpenSSL's PKCS#11 engine, or a notice and `None`
/// (a failure with SVCPACK_REQUIRE_SIGNING=1).
fn token_tools() -> Option<(PathBuf, PathBuf)> {
    let real = tools()?;
    let arch = std::env::consts::ARCH;
    let module = [
        "/usr/lib/softhsm/libsofthsm2.so".to_string(),
        format!("/usr/lib/{arch}-linux-gnu/softhsm/libsofthsm2.so"),
        "/usr/lib64/pkcs11/libsofthsm2.so".into(),
        "/usr/local/lib/softhsm/libsofthsm2.so".into(),
    ]
    .into_iter()
    .map(PathBuf::from)
    .find(|p| p.is_file());
    let engine = [
        format!("/usr/lib/{arch}-linux-gnu/engines-3/pkcs11.so"),
        "/usr/lib64/engines-3/pkcs11.so".into(),
        "/usr/lib/engines-3/pkcs11.so".into(),
    ]
    .into_iter()
    .any(|p| Path::new(&p).is_file());
    match (module, which("softhsm2-util"), engine) {
        (Some(m), Some(_), true) => Some((m, real)),
        _ => {
            let msg = "SoftHSM2 and OpenSSL's PKCS#11 engine are needed for the PKCS#11 signing \
                       tests (apt-get install softhsm2 libengine-pkcs11-openssl)";
            assert!(
                std::env::var_os("SVCPACK_REQUIRE_SIGNING").is_none(),
                "{msg}"
            );
            eprintln!("SKIPPED: {msg}");
            None
        }
    }
}

/// A private SoftHSM2 token directory holding the throwaway signer key as `release-key` on
/// token `svcpack-release`, the chain file (signer, CA), and the recording wrapper.
struct Token {
    dir: tempfile::TempDir,
    module: PathBuf,
}

impl Token {
    fn new(pki: &Pki, module: &Path, real: &Path) -> Token {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir(d.join("tokens")).unwrap();
        std::fs::write(
            d.join("softhsm2.conf"),
            format!(
                "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
                d.join("tokens").display()
            ),
        )
        .unwrap();
        let t = Token {
            dir,
            module: module.to_path_buf(),
        };
        t.add_token("svcpack-release", pki);
        let chain = [
            std::fs::read_to_string(pki.path("signer.pem")).unwrap(),
            std::fs::read_to_string(pki.path("ca.pem")).unwrap(),
        ]
        .concat();
        std::fs::write(t.path("chain.pem"), chain).unwrap();
        // Records argv and environment, then runs the real osslsigncode against this
        // token directory.
        std::fs::write(
            t.path("osslsigncode-wrapper"),
            format!(
                "#!/bin/sh\n\
                 rec='{rec}'\n\
                 printf 'ARGV' >> \"$rec\"; for a in \"$@\"; do printf ' [%s]' \"$a\" >> \"$rec\"; done; echo >> \"$rec\"\n\
                 env | sed 's/^/ENV /' >> \"$rec\"\n\
                 prev=''\n\
                 for a in \"$@\"; do\n\
                   if [ \"$prev\" = -readpass ]; then echo \"PINFILE $a $(stat -c %a \"$a\")\" >> \"$rec\"; fi\n\
                   prev=\"$a\"\n\
                 done\n\
                 SOFTHSM2_CONF='{conf}' exec '{real}' \"$@\"\n",
                rec = t.path("record.txt").display(),
                conf = t.path("softhsm2.conf").display(),
                real = real.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(
            t.path("osslsigncode-wrapper"),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();
        t
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn softhsm(&self, args: &[&str]) {
        let out = Command::new("softhsm2-util")
            .args(args)
            .env("SOFTHSM2_CONF", self.path("softhsm2.conf"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "softhsm2-util {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// A token `label` holding the signer's key (PKCS#8, as softhsm2-util imports it).
    fn add_token(&self, label: &str, pki: &Pki) {
        #[rustfmt::skip]
        self.softhsm(&["--init-token", "--free", "--label", label, "--so-pin", "so-pin-1234",
            "--pin", PIN]);
        let p8 = self.path("signer.p8");
        if !p8.exists() {
            #[rustfmt::skip]
            sh(self.dir.path(), &["openssl", "pkcs8", "-topk8", "-nocrypt", "-in",
                pki.path("signer.key").to_str().unwrap(), "-out", p8.to_str().unwrap()]);
        }
        #[rustfmt::skip]
        self.softhsm(&["--import", p8.to_str().unwrap(), "--token", label, "--label",
            "release-key", "--id", "01", "--pin", PIN]);
    }

    /// Blocks the user PIN of token `label`, as a token does after too many wrong PINs:
    /// SoftHSM2 keeps no retry counter, so its user-PIN record is removed from the token
    /// file — login then fails with CKR_USER_PIN_NOT_INITIALIZED, as a blocked PIN does
    /// with CKR_PIN_LOCKED.
    fn lock(&self, label: &str) {
        let padded = format!("{label:<32}");
        for entry in walk(&self.path("tokens")) {
            if entry.file_name() != Some(std::ffi::OsStr::new("token.object")) {
                continue;
            }
            let b = std::fs::read(&entry).unwrap();
            if !b.windows(32).any(|w| w == padded.as_bytes()) {
                continue;
            }
            // Records: type u64, kind u64 (2: a u64 value; else a u64 length and bytes).
            let u64_at = |i: usize| u64::from_be_bytes(b[i..i + 8].try_into().unwrap());
            let mut out = b[..8].to_vec();
            let mut i = 8;
            while i < b.len() {
                let (ty, kind) = (u64_at(i), u64_at(i + 8));
                let end = if kind == 2 {
                    i + 24
                } else {
                    i + 24 + u64_at(i + 16) as usize
                };
                match ty {
                    // CKA_OS_USERPIN: the user PIN record, emptied.
                    0x8000_534d => {
                        out.extend_from_slice(&b[i..i + 16]);
                        out.extend_from_slice(&0u64.to_be_bytes());
                    }
                    // CKA_OS_TOKENFLAGS without CKF_USER_PIN_INITIALIZED.
                    0x8000_534b => {
                        out.extend_from_slice(&b[i..i + 16]);
                        out.extend_from_slice(&(u64_at(i + 16) & !0x8).to_be_bytes());
                    }
                    _ => out.extend_from_slice(&b[i..end]),
                }
                i = end;
            }
            std::fs::write(&entry, out).unwrap();
            return;
        }
        panic!("no token {label}");
    }

    fn record(&self) -> String {
        std::fs::read_to_string(self.path("record.txt")).unwrap_or_default()
    }

    fn config(&self, key: &str) -> Sign {
        Sign {
            certificate: Some(Certificate::File(self.path("chain.pem"))),
            password_env: None,
            timestamp_urls: Vec::new(),
            tool: SignTool::Auto,
            pkcs11: Some(Pkcs11 {
                module: self.module.clone(),
                key: key.into(),
                pin_env: Some(PIN_VAR.into()),
                engine: None,
            }),
        }
    }

    /// The environment svcpack sees: PATH, the PIN, and the recording osslsigncode.
    fn env(&self, pin: Option<&str>) -> impl Fn(&str) -> Option<String> {
        let mut vars = vec![(
            "SVCPACK_OSSLSIGNCODE",
            self.path("osslsigncode-wrapper").display().to_string(),
        )];
        if let Some(p) = pin {
            vars.push((PIN_VAR, p.to_string()));
        }
        env_of(&vars)
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    files_under(dir)
}

/// The PIN appears in no argv and no environment any child was given, and every PIN file
/// was private and is gone.
fn assert_pin_stayed_secret(token: &Token, work: &Path) -> usize {
    let text = token.record();
    assert!(!text.is_empty(), "osslsigncode never ran");
    assert!(!text.contains(PIN), "the PIN reached a child:\n{text}");
    assert!(!text.contains("[-pass]"), "{text}");
    assert!(!text.contains("pin-value"), "{text}");
    let pinfiles: Vec<&str> = text.lines().filter(|l| l.starts_with("PINFILE")).collect();
    for l in &pinfiles {
        let mut parts = l.split(' ');
        let (path, mode) = (parts.nth(1).unwrap(), parts.next().unwrap());
        assert_eq!(mode, "600", "{l}");
        assert!(Path::new(path).starts_with(work), "{l}");
        assert!(
            !Path::new(path).exists(),
            "the PIN file was not removed: {l}"
        );
    }
    pinfiles.len()
}

#[test]
fn token_key_signs_program_dll_and_msi_and_the_pin_stays_secret() {
    let Some((module, real)) = token_tools() else {
        return;
    };
    let pki = Pki::new();
    let token = Token::new(&pki, &module, &real);
    let files = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let env = token.env(Some(PIN));
    let signer = prepare_ok(&token.config(KEY_URI), &env, work.path());
    assert!(signer.tool().contains("PKCS#11"), "{}", signer.tool());

    let exe = hello_exe(files.path());
    let dll = files.path().join("helper.dll");
    std::fs::copy(&exe, &dll).unwrap();
    for f in [&exe, &dll] {
        let r = signer.sign_file(f, "Token Test", None).unwrap();
        assert_eq!(r.subject, SUBJECT);
        ossl_verify(&pki, f, None);
    }
    let msi = tiny_msi(files.path(), &exe);
    signer.sign_file(&msi, "Token Test", None).unwrap();
    ossl_verify(&pki, &msi, None);
    let info = sign::signature_info(&msi).unwrap();
    assert_eq!(info["issuer"], "CN=svcpack Throwaway Test CA");
    assert_eq!(info["digest"], "sha256");

    // The probe in prepare, then three files: each with its own PIN file.
    assert_eq!(assert_pin_stayed_secret(&token, work.path()), 4);
    assert!(token.record().contains("[-pkcs11module]"));
    drop(signer);
    assert_empty(work.path());
}

/// Every failure is one sentence from `prepare` — before any file is signed or artifact
/// written — and names what to fix.
#[test]
fn token_failures_stop_before_signing() {
    let Some((module, real)) = token_tools() else {
        return;
    };
    let pki = Pki::new();
    let token = Token::new(&pki, &module, &real);
    token.add_token("svcpack-locked", &pki);
    token.lock("svcpack-locked");
    let work = tempfile::tempdir().unwrap();
    let check = |sign: &Sign, pin: Option<&str>, want: &[&str]| {
        let e = prepare_err(sign, &token.env(pin), work.path()).to_string();
        assert!(!e.contains(PIN), "{e}");
        for w in want {
            assert!(e.contains(w), "`{w}` not in: {e}");
        }
        assert!(
            files_under(work.path()).is_empty(),
            "left behind after: {e}"
        );
    };
    check(
        &token.config(KEY_URI),
        Some("not-the-pin"),
        &["wrong PIN", KEY_URI, PIN_VAR, "tried once"],
    );
    check(
        &token.config(KEY_URI),
        None,
        &["pin-env", PIN_VAR, "not set"],
    );
    check(&token.config(KEY_URI), Some(""), &[PIN_VAR, "empty"]);
    let mut missing = token.config(KEY_URI);
    missing.pkcs11.as_mut().unwrap().module = token.path("no-such-pkcs11.so");
    check(
        &missing,
        Some(PIN),
        &["pkcs11-module", "no-such-pkcs11.so", "cannot load"],
    );
    let mut unloadable = token.config(KEY_URI);
    unloadable.pkcs11.as_mut().unwrap().module = "libno-such-pkcs11-library.so".into();
    check(&unloadable, Some(PIN), &["pkcs11-module", "cannot load"]);
    check(
        &token.config("pkcs11:token=svcpack-release;object=no-such-key"),
        Some(PIN),
        &["no-such-key", "no private key"],
    );
    check(
        &token.config("pkcs11:token=no-such-token;object=release-key"),
        Some(PIN),
        &["no-such-token", "no token matches"],
    );
    check(
        &token.config("pkcs11:token=svcpack-locked;object=release-key"),
        Some(PIN),
        &["locked", "SO PIN"],
    );
    let mut no_engine = token.config(KEY_URI);
    no_engine.pkcs11.as_mut().unwrap().engine = Some(token.path("no-engine.so"));
    check(&no_engine, Some(PIN), &["pkcs11-engine", "not a file"]);
    assert!(!token.record().contains(PIN), "{}", token.record());
}

/// `cargo svcpack build` with the key on a token: the program, a DLL from `files` and the
/// MSI are signed by the token's key (the DLL with `sign = false` and the text file are
/// not), the zip carries the same signed bytes, `inspect` shows each signature, the PIN
/// reaches no child's argv or environment, and a wrong PIN fails before any artifact.
#[test]
fn build_signs_program_dll_and_msi_with_a_token_key() {
    let Some((module, real)) = token_tools() else {
        return;
    };
    let pki = Pki::new();
    let token = Token::new(&pki, &module, &real);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let hello = repo().join("tests/fixtures/pe/hello-x86.exe");
    std::fs::copy(&hello, d.join("helper.dll")).unwrap();
    std::fs::copy(&hello, d.join("vendor.dll")).unwrap();
    std::fs::write(d.join("agent.toml"), "port = 1\n").unwrap();
    std::fs::write(
        d.join("svcpack.toml"),
        format!(
            "name = \"token-agent\"\nversion = \"1.0.0\"\nauthors = [\"Example Ltd\"]\n\
             product-name = \"Token Agent\"\n\
             upgrade-code = \"1C1D2E3F-4A5B-4C6D-8E7F-8091A2B3C4D5\"\nbinary = \"token-agent\"\n\n\
             [[files]]\nsource = \"helper.dll\"\n\n\
             [[files]]\nsource = \"vendor.dll\"\nsign = false\n\n\
             [[files]]\nsource = \"agent.toml\"\n\n\
             [sign]\npkcs11-module = \"{}\"\nkey = \"{KEY_URI}\"\ncertificate = \"{}\"\n\
             pin-env = \"{PIN_VAR}\"\n",
            module.display(),
            token.path("chain.pem").display()
        ),
    )
    .unwrap();
    let build = |out: &str, pin: &str| {
        Command::new(env!("CARGO_BIN_EXE_cargo-svcpack"))
            .args(["svcpack", "build", "--config"])
            .arg(d.join("svcpack.toml"))
            .args(["--no-build", "--binary"])
            .arg(repo().join("tests/fixtures/pe/svc-res-x64.exe"))
            .args(["--target", "x86_64-pc-windows-gnu", "--out-dir"])
            .arg(d.join(out))
            .env(PIN_VAR, pin)
            .env("SVCPACK_OSSLSIGNCODE", token.path("osslsigncode-wrapper"))
            .env("SOURCE_DATE_EPOCH", "1700000000")
            .output()
            .unwrap()
    };
    let o = build("out", PIN);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(o.status.success(), "{text}");
    assert!(!text.contains(PIN), "the PIN reached the output: {text}");
    let out = d.join("out");
    let msi = out.join("token-agent-1.0.0-x64.msi");
    ossl_verify(&pki, &msi, None);
    for name in ["SHA256SUMS", "token-agent-1.0.0-x64.manifest.json"] {
        let t = std::fs::read_to_string(out.join(name)).unwrap();
        assert!(!t.contains(PIN), "{name}");
    }

    if which("unzip").is_some() {
        let z = d.join("zip-files");
        #[rustfmt::skip]
        sh(d, &["unzip", "-q", "-d", z.to_str().unwrap(),
            out.join("token-agent-1.0.0-x64-portable.zip").to_str().unwrap()]);
        ossl_verify(&pki, &z.join("token-agent.exe"), None);
        ossl_verify(&pki, &z.join("helper.dll"), None);
        assert_eq!(
            std::fs::read(z.join("vendor.dll")).unwrap(),
            std::fs::read(&hello).unwrap()
        );
        assert!(sign::signature_info(&z.join("vendor.dll")).is_none());
    }
    // Inside the MSI, read back by inspect: each signed PE, and the package itself.
    let o = Command::new(env!("CARGO_BIN_EXE_cargo-svcpack"))
        .args(["svcpack", "inspect", "--json"])
        .arg(&msi)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["signature"]["subject"], SUBJECT);
    let files = report["files"].as_array().unwrap();
    let sig_of = |name: &str| {
        files
            .iter()
            .find(|f| f["name"] == name)
            .unwrap_or_else(|| panic!("{name} not in {files:?}"))["signature"]
            .clone()
    };
    for name in ["token-agent.exe", "helper.dll"] {
        let s = sig_of(name);
        assert_eq!(s["subject"], SUBJECT, "{name}");
        assert_eq!(s["issuer"], "CN=svcpack Throwaway Test CA", "{name}");
        assert_eq!(s["digest"], "sha256", "{name}");
        assert_eq!(s["timestamp"], "none", "{name}");
    }
    assert!(sig_of("vendor.dll").is_null());
    assert!(sig_of("agent.toml").is_null());
    let o = Command::new(env!("CARGO_BIN_EXE_cargo-svcpack"))
        .args(["svcpack", "inspect"])
        .arg(&msi)
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&o.stdout);
    assert!(
        shown.matches(&format!("subject: {SUBJECT}")).count() >= 3,
        "{shown}"
    );

    let record = token.record();
    assert!(!record.contains(PIN), "the PIN reached a child:\n{record}");
    // The probe, the program, helper.dll and the MSI.
    assert_eq!(record.matches("PINFILE").count(), 4, "{record}");

    let o = build("bad", "not-the-pin");
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("wrong PIN"), "{err}");
    assert!(!d.join("bad").exists(), "a failed build left an out-dir");
}

/// A hosted service (`[package.metadata.svcpack.service.host]`) built from source with the
/// key on a token: svcpack's service host is signed by the token's key like the program,
/// in the MSI and in the zip, and both copies verify against the CA, as does the installer
/// helper in the MSI's Binary table.
#[test]
fn build_signs_the_service_host_with_a_token_key() {
    let Some((module, real)) = token_tools() else {
        return;
    };
    let Some(tc) = support::windows_toolchain() else {
        return;
    };
    let pki = Pki::new();
    let token = Token::new(&pki, &module, &real);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let app = support::copy_fixture("console-app", &d.join("app"));
    let manifest = app.join("Cargo.toml");
    let mut text = std::fs::read_to_string(&manifest).unwrap();
    assert!(text.contains("[package.metadata.svcpack.service.host]"));
    text.push_str(&format!(
        "\n[package.metadata.svcpack.sign]\npkcs11-module = \"{}\"\nkey = \"{KEY_URI}\"\n\
         certificate = \"{}\"\npin-env = \"{PIN_VAR}\"\n",
        module.display(),
        token.path("chain.pem").display()
    ));
    std::fs::write(&manifest, text).unwrap();
    let out = d.join("out");
    let o = tc
        .svcpack()
        .arg("build")
        .arg("--manifest-path")
        .arg(&manifest)
        .args(["--target", tc.target(), "--out-dir"])
        .arg(&out)
        // Shared with the host's Wine test, so the program and the host are cargo no-ops.
        .env(
            "CARGO_TARGET_DIR",
            support::fixtures_target_dir().join("host-wine"),
        )
        .env(PIN_VAR, PIN)
        .env("SVCPACK_OSSLSIGNCODE", token.path("osslsigncode-wrapper"))
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(o.status.success(), "{text}");
    assert!(!text.contains(PIN), "the PIN reached the output: {text}");
    let msi = out.join("console-app-0.1.0-x64.msi");
    ossl_verify(&pki, &msi, None);

    let o = Command::new(env!("CARGO_BIN_EXE_cargo-svcpack"))
        .args(["svcpack", "inspect", "--json"])
        .arg(&msi)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["signature"]["subject"], SUBJECT);
    let files = report["files"].as_array().unwrap();
    for name in ["svcpack-host.exe", "console-app.exe"] {
        let s = &files
            .iter()
            .find(|f| f["name"] == name)
            .unwrap_or_else(|| panic!("{name} not in {files:?}"))["signature"];
        assert_eq!(s["subject"], SUBJECT, "{name}");
        assert_eq!(s["issuer"], "CN=svcpack Throwaway Test CA", "{name}");
        assert_eq!(s["digest"], "sha256", "{name}");
    }

    let find = |root: &Path, name: &str| {
        files_under(root)
            .into_iter()
            .find(|p| p.file_name().is_some_and(|n| n == name))
            .unwrap_or_else(|| panic!("{name} not under {}", root.display()))
    };
    if which("msiextract").is_some() {
        let x = d.join("msi-files");
        std::fs::create_dir(&x).unwrap();
        #[rustfmt::skip]
        sh(d, &["msiextract", "-C", x.to_str().unwrap(), msi.to_str().unwrap()]);
        ossl_verify(&pki, &find(&x, "svcpack-host.exe"), None);
        ossl_verify(&pki, &find(&x, "console-app.exe"), None);
    }
    if which("unzip").is_some() {
        let z = d.join("zip-files");
        #[rustfmt::skip]
        sh(d, &["unzip", "-q", "-d", z.to_str().unwrap(),
            out.join("console-app-0.1.0-x64-portable.zip").to_str().unwrap()]);
        ossl_verify(&pki, &find(&z, "svcpack-host.exe"), None);
        ossl_verify(&pki, &find(&z, "console-app.exe"), None);
    }

    // The installer helper in the Binary table, which runs as LocalSystem.
    if which("msiinfo").is_some() {
        let o = Command::new("msiinfo")
            .args(["extract"])
            .arg(&msi)
            .arg("Binary.SvcpackHelper")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let helper = d.join("helper.exe");
        std::fs::write(&helper, &o.stdout).unwrap();
        ossl_verify(&pki, &helper, None);
    }

    let record = token.record();
    assert!(!record.contains(PIN), "the PIN reached a child:\n{record}");
    // The probe, the program, the host, the installer helper and the MSI.
    assert!(record.matches("PINFILE").count() >= 5, "{record}");
}

/// The `command` contract with a stand-in for a remote signing service (Azure Trusted
/// Signing, a cloud KMS through jsign): a script that receives `{file}`, `{digest}` and
/// `{timestamp-url}` (and the same in SVCPACK_SIGN_*), signs the file in place with a
/// local key as the service would, and reports failure through its exit status.
#[test]
fn command_signer_contract_with_a_stand_in_remote_service() {
    let Some(real) = tools() else { return };
    let pki = Pki::new();
    let files = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let record = files.path().join("remote.txt");
    let script = files.path().join("remote-signer");
    let chain = files.path().join("chain.pem");
    let pem = |n: &str| std::fs::read_to_string(pki.path(n)).unwrap();
    std::fs::write(&chain, pem("signer.pem") + &pem("ca.pem")).unwrap();
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\n\
             file=\"$1\"; digest=\"$2\"; ts=\"$3\"\n\
             echo \"ARGS $file|$digest|$ts\" >> '{rec}'\n\
             echo \"ENV $SVCPACK_SIGN_FILE|$SVCPACK_SIGN_DIGEST|$SVCPACK_SIGN_TIMESTAMP_URL\" >> '{rec}'\n\
             [ \"$digest\" = SHA-256 ] || {{ echo \"unsupported digest $digest\" >&2; exit 3; }}\n\
             [ -n \"$REMOTE_SIGNER_FAIL\" ] && {{ echo 'remote service: quota exceeded' >&2; exit 7; }}\n\
             '{real}' sign -certs '{cert}' -key '{key}' -h sha256 -in \"$file\" -out \"$file.signed\" >/dev/null \
               && mv \"$file.signed\" \"$file\"\n",
            rec = record.display(),
            real = real.display(),
            cert = chain.display(),
            key = pki.path("signer.key").display(),
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let argv: Vec<String> = [
        script.display().to_string(),
        "{file}".into(),
        "{digest}".into(),
        "{timestamp-url}".into(),
    ]
    .into();
    let sign = Sign {
        certificate: None,
        password_env: None,
        // Never contacted by svcpack: the command is given it and timestamps itself.
        timestamp_urls: vec!["http://127.0.0.1:9/tsa".into()],
        tool: SignTool::Command(argv),
        pkcs11: None,
    };
    let signer = prepare_ok(&sign, &env_of(&[]), work.path());
    let exe = hello_exe(files.path());
    let msi = tiny_msi(files.path(), &exe);
    for f in [&exe, &msi] {
        let r = signer.sign_file(f, "ignored", None).unwrap();
        assert_eq!(r.subject, SUBJECT);
        ossl_verify(&pki, f, None);
    }
    let text = std::fs::read_to_string(&record).unwrap();
    for f in [&exe, &msi] {
        let line = format!("{}|SHA-256|http://127.0.0.1:9/tsa", f.display());
        assert!(text.contains(&format!("ARGS {line}")), "{text}");
        assert!(text.contains(&format!("ENV {line}")), "{text}");
    }

    // A failing service: its exit status fails the build, with its message.
    std::env::set_var("REMOTE_SIGNER_FAIL", "1");
    let e = signer.sign_file(&exe, "ignored", None);
    std::env::remove_var("REMOTE_SIGNER_FAIL");
    let e = e.unwrap_err().to_string();
    assert!(e.contains("quota exceeded"), "{e}");
}
