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

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use svcpack::config::{Certificate, Sign, SignTool};
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
    let compiled = svcpack::wix::compile(&[src], &opts).unwrap();
    let msi = dir.join("tiny.msi");
    std::fs::write(&msi, compiled.msi).unwrap();
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
         [sign]\ncertificate = \"signer.pfx\"\npassword-env = \"SVCPACK_TEST_SIGN_PASSWORD\"\n",
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
