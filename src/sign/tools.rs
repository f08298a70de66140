//! Plumbing shared by the signing back ends: finding programs, running them without a
//! terminal and with their output scrubbed of secrets, 0600 scratch files for secrets,
//! base64, a sanity check of PKCS#12 bytes, and the tiny PE used to test a certificate.

use std::ffi::OsString;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// How svcpack reads the environment (the process environment in the CLI; a map in tests).
pub(crate) type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// `name` as a runnable file: a path (anything with a separator) is taken as is, a bare
/// name is looked up in `PATH` (with `PATHEXT` on Windows), as a shell would.
pub(crate) fn find_program(name: &str, env: Env) -> Option<PathBuf> {
    if name.is_empty() {
        return None;
    }
    let candidates = |base: PathBuf| -> Vec<PathBuf> {
        let mut v = vec![base.clone()];
        if cfg!(windows) && base.extension().is_none() {
            let exts = env("PATHEXT").unwrap_or_else(|| ".COM;.EXE;.BAT;.CMD".into());
            for e in exts.split(';').filter(|e| !e.is_empty()) {
                let mut s = base.clone().into_os_string();
                s.push(e);
                v.push(PathBuf::from(s));
            }
        }
        v
    };
    let is_path = name.contains('/') || (cfg!(windows) && name.contains('\\'));
    if is_path {
        return candidates(PathBuf::from(name))
            .into_iter()
            .find(|p| is_executable(p));
    }
    let path = OsString::from(env("PATH")?);
    std::env::split_paths(&path)
        .filter(|d| !d.as_os_str().is_empty())
        .flat_map(|d| candidates(d.join(name)))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(p) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.is_file() && meta.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        meta.is_file()
    }
}

/// What a child said and whether it succeeded; `text` is stdout then stderr, with every
/// secret replaced by `***`.
pub(crate) struct Ran {
    pub ok: bool,
    pub text: String,
}

/// Runs a child with no stdin (a tool that wants to prompt for a password fails instead
/// of hanging a CI job) and captures its output. Every variable of svcpack's environment
/// that holds one of `secrets` is removed from the child's: a tool gets a secret only
/// through the private file it is handed, never by inheritance.
pub(crate) fn run(cmd: &mut Command, secrets: &[&str]) -> io::Result<Ran> {
    for (name, value) in std::env::vars_os() {
        if secrets
            .iter()
            .any(|s| !s.is_empty() && value.as_encoded_bytes() == s.as_bytes())
        {
            cmd.env_remove(name);
        }
    }
    run_inheriting(cmd, secrets)
}

/// [`run`] with the whole environment inherited: for a `command` signer, which reads the
/// variables it needs itself.
pub(crate) fn run_inheriting(cmd: &mut Command, secrets: &[&str]) -> io::Result<Ran> {
    let out = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()?;
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    Ok(Ran {
        ok: out.status.success(),
        text: redact(&text, secrets),
    })
}

/// Replaces every occurrence of each (non-empty) secret. A tool should never print one,
/// but a user's signing script might echo its environment.
pub(crate) fn redact(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_string();
    for s in secrets.iter().filter(|s| !s.is_empty()) {
        out = out.replace(s, "***");
    }
    out
}

/// A child's output as one line: its non-empty lines joined with `; `, at most the last
/// `keep`, shortened to a readable length.
pub(crate) fn one_line(text: &str, keep: usize) -> String {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let start = lines.len().saturating_sub(keep);
    let joined = lines.get(start..).unwrap_or_default().join("; ");
    if joined.is_empty() {
        return "no output".into();
    }
    const MAX: usize = 600;
    if joined.chars().count() > MAX {
        let cut: String = joined.chars().take(MAX).collect();
        format!("{cut}…")
    } else {
        joined
    }
}

/// A tool's output without OpenSSL's source-file trail: an error-queue line
/// `4020F6..:error:8000006F:system library:BIO_connect:Connection refused:file.c:117:...`
/// becomes its reason (`Connection refused`); blank and repeated lines go.
pub(crate) fn tidy(text: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    for line in text.lines().map(str::trim) {
        let line = if line.contains(":error:") {
            match line.split(':').nth(5) {
                Some(reason) => reason.trim().to_string(),
                None => line.to_string(),
            }
        } else {
            line.to_string()
        };
        if !line.is_empty() && !out.contains(&line) {
            out.push(line);
        }
    }
    out.join("\n")
}

/// Writes `bytes` to a new file only the owner can read (0600 on Unix; on Windows the
/// file inherits the private ACL of the user's temporary directory). The caller deletes it
/// as soon as the tool has read it.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

pub(crate) fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Decodes base64 as CI secrets hold it: standard or URL-safe alphabet, padding optional,
/// line breaks and spaces ignored. The error never quotes the input (it is a secret).
pub(crate) fn base64_decode(text: &str) -> Result<Vec<u8>, String> {
    use base64::Engine as _;
    let mut normal = String::with_capacity(text.len());
    let mut padding = false;
    for (i, c) in text.chars().enumerate() {
        match c {
            ' ' | '\t' | '\r' | '\n' => {}
            '=' => padding = true,
            _ if padding => return Err(format!("data after '=' padding at character {}", i + 1)),
            '-' => normal.push('+'),
            '_' => normal.push('/'),
            'A'..='Z' | 'a'..='z' | '0'..='9' | '+' | '/' => normal.push(c),
            _ => return Err(format!("character {} is not in the base64 alphabet", i + 1)),
        }
    }
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::RequireNone)
            .with_decode_allow_trailing_bits(true),
    );
    engine
        .decode(normal.as_bytes())
        .map_err(|_| "its length is not a whole number of bytes (truncated?)".to_string())
}

/// Why `bytes` cannot be a PKCS#12 file, judged from its first bytes: `SEQUENCE {
/// INTEGER 3, ... }`. Catches the usual mistakes (a PEM file, a certificate without its
/// key, a truncated or text file) before any tool runs; the tool checks the rest.
pub(crate) fn pkcs12_problem(bytes: &[u8]) -> Option<String> {
    if bytes.is_empty() {
        return Some("the file is empty".into());
    }
    let head = String::from_utf8_lossy(bytes.get(..bytes.len().min(64)).unwrap_or_default());
    if head.trim_start().starts_with("-----BEGIN") {
        return Some(
            "it is PEM text, but a PKCS#12 (.pfx/.p12) file is needed; make one with \
             `openssl pkcs12 -export -inkey key.pem -in cert.pem -out signer.pfx`"
                .into(),
        );
    }
    let bad = || {
        Some(
            "it is not PKCS#12 data (expected a DER-encoded PFX starting with SEQUENCE { \
             INTEGER 3 }); export the certificate with its private key as .pfx/.p12"
                .into(),
        )
    };
    if bytes.first() != Some(&0x30) {
        return bad();
    }
    // BER indefinite lengths are allowed here (some exporters write them).
    let len_byte = *bytes.get(1)?;
    let (declared, header) = match len_byte {
        0x80 => (None, 2),
        n if n < 0x80 => (Some(usize::from(n)), 2),
        n => {
            let k = usize::from(n & 0x7f);
            if k > 4 {
                return bad();
            }
            let mut len = 0usize;
            for i in 0..k {
                len = (len << 8) | usize::from(*bytes.get(2 + i)?);
            }
            (Some(len), 2 + k)
        }
    };
    if bytes.get(header..header + 3) != Some(&[0x02, 0x01, 0x03][..]) {
        return bad();
    }
    if let Some(len) = declared {
        if header + len > bytes.len() {
            return Some(format!(
                "it is truncated ({} of {} bytes)",
                bytes.len(),
                header + len
            ));
        }
    }
    None
}

/// A minimal valid PE32 image (headers and one section holding `ret`), signed once with
/// the configured certificate so a wrong password or a bad certificate is reported
/// before any build work, and so the certificate can be read back from the signature.
pub(crate) fn tiny_pe() -> Vec<u8> {
    let mut h = vec![0u8; 0x400];
    let put16 = |h: &mut Vec<u8>, at: usize, v: u16| {
        if let Some(s) = h.get_mut(at..at + 2) {
            s.copy_from_slice(&v.to_le_bytes());
        }
    };
    let put32 = |h: &mut Vec<u8>, at: usize, v: u32| {
        if let Some(s) = h.get_mut(at..at + 4) {
            s.copy_from_slice(&v.to_le_bytes());
        }
    };
    h[0] = b'M';
    h[1] = b'Z';
    put32(&mut h, 0x3c, 0x40);
    h[0x40..0x44].copy_from_slice(b"PE\0\0");
    // COFF: i386, 1 section, no symbols, 0xE0-byte optional header, executable 32-bit.
    put16(&mut h, 0x44, 0x014c);
    put16(&mut h, 0x46, 1);
    put16(&mut h, 0x54, 0xE0);
    put16(&mut h, 0x56, 0x0102);
    let o = 0x58;
    put16(&mut h, o, 0x010b);
    h[o + 2] = 14;
    put32(&mut h, o + 4, 0x200); // SizeOfCode
    put32(&mut h, o + 16, 0x1000); // AddressOfEntryPoint
    put32(&mut h, o + 20, 0x1000); // BaseOfCode
    put32(&mut h, o + 24, 0x2000); // BaseOfData
    put32(&mut h, o + 28, 0x0040_0000); // ImageBase
    put32(&mut h, o + 32, 0x1000); // SectionAlignment
    put32(&mut h, o + 36, 0x200); // FileAlignment
    put16(&mut h, o + 40, 6); // OS version
    put16(&mut h, o + 48, 6); // subsystem version
    put32(&mut h, o + 56, 0x2000); // SizeOfImage
    put32(&mut h, o + 60, 0x200); // SizeOfHeaders
    put16(&mut h, o + 68, 3); // console
    put16(&mut h, o + 70, 0x8540); // NX, dynamic base, no SEH, TS aware
    put32(&mut h, o + 72, 0x0010_0000);
    put32(&mut h, o + 76, 0x1000);
    put32(&mut h, o + 80, 0x0010_0000);
    put32(&mut h, o + 84, 0x1000);
    put32(&mut h, o + 92, 16); // NumberOfRvaAndSizes
    let s = o + 0xE0;
    h[s..s + 5].copy_from_slice(b".text");
    put32(&mut h, s + 8, 1); // VirtualSize
    put32(&mut h, s + 12, 0x1000); // VirtualAddress
    put32(&mut h, s + 16, 0x200); // SizeOfRawData
    put32(&mut h, s + 20, 0x200); // PointerToRawData
    put32(&mut h, s + 36, 0x6000_0020); // code, execute, read
    h[0x200] = 0xC3;
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips_and_rejects() {
        for n in 0..40u8 {
            let data: Vec<u8> = (0..n).map(|i| i.wrapping_mul(37)).collect();
            let enc = base64_encode(&data);
            assert_eq!(base64_decode(&enc).unwrap(), data);
            let wrapped: String = enc
                .chars()
                .enumerate()
                .flat_map(|(i, c)| (i % 10 == 9).then_some('\n').into_iter().chain([c]))
                .collect();
            assert_eq!(base64_decode(&wrapped).unwrap(), data);
            assert_eq!(base64_decode(enc.trim_end_matches('=')).unwrap(), data);
        }
        assert_eq!(base64_encode(b"Man"), "TWFu");
        assert_eq!(base64_encode(b"Ma"), "TWE=");
        assert!(base64_decode("a\u{0}b").is_err());
        assert!(base64_decode("TWFu!").is_err());
        assert!(base64_decode("TQ=a").is_err());
        assert!(base64_decode("T").is_err());
        let err = base64_decode("abc$secret").unwrap_err();
        assert!(!err.contains("secret"), "{err}");
    }

    #[test]
    fn pkcs12_sniffing() {
        assert!(pkcs12_problem(b"").is_some());
        assert!(pkcs12_problem(b"-----BEGIN CERTIFICATE-----\n")
            .unwrap()
            .contains("PEM"));
        assert!(pkcs12_problem(b"hello world").is_some());
        assert!(pkcs12_problem(&[0x30, 0x03, 0x02, 0x01, 0x03]).is_none());
        assert!(pkcs12_problem(&[0x30, 0x80, 0x02, 0x01, 0x03]).is_none());
        assert!(pkcs12_problem(&[0x30, 0x82, 0x01, 0x00, 0x02, 0x01, 0x03])
            .unwrap()
            .contains("truncated"));
        // An X.509 certificate (SEQUENCE { SEQUENCE ... }) is not a PFX.
        assert!(pkcs12_problem(&[0x30, 0x03, 0x30, 0x01, 0x00]).is_some());
    }

    #[test]
    fn redaction_and_one_line() {
        assert_eq!(redact("pw=hunter2 x", &["hunter2", ""]), "pw=*** x");
        assert_eq!(one_line("a\n\n b \nc\n", 2), "b; c");
        assert_eq!(one_line("", 2), "no output");
        let openssl = "Failed\n40E0:error:8000006F:system library:BIO_connect:Connection refused:../bio.c:117:calling connect()\n\
                       40E0:error:10000067:BIO routines:BIO_connect:connect error:../bio.c:119:\n\
                       40E0:error:8000006F:system library:conn_state:Connection refused:../x.c:1:\n";
        assert_eq!(tidy(openssl), "Failed\nConnection refused\nconnect error");
    }

    #[test]
    fn tiny_pe_has_no_signature() {
        let pe = tiny_pe();
        assert!(super::super::authenticode::pe_signature(&pe).is_none());
        assert_eq!(&pe[..2], b"MZ");
    }
}
