//! SHA-256 digests of the artifacts and the `SHA256SUMS` file (build stage 10).
//!
//! This module owns the digest format shared by `SHA256SUMS` and the JSON manifest:
//! lowercase hex SHA-256. `SHA256SUMS` is exactly what GNU `sha256sum` writes in text
//! mode, so `sha256sum -c SHA256SUMS` verifies a download: one `<64 hex>  <name>\n` line per
//! file, sorted by name (bytes), LF line ends, no header. It does no I/O except reading a
//! file to hash it ([`hash_file`], streamed in 1 MiB blocks so a large MSI is never held
//! twice); writing `SHA256SUMS` is the caller's.

use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

/// The name of the checksums file in the out-dir.
pub const SHA256SUMS_NAME: &str = "SHA256SUMS";

/// The size and SHA-256 of one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileDigest {
    /// Length in bytes.
    pub size: u64,
    /// Lowercase hex SHA-256, 64 characters.
    pub sha256: String,
}

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Size and SHA-256 of bytes in memory.
pub fn hash_bytes(bytes: &[u8]) -> FileDigest {
    FileDigest {
        size: bytes.len() as u64,
        sha256: sha256_hex(bytes),
    }
}

/// Size and SHA-256 of a file, read in blocks.
pub fn hash_file(path: &Path) -> std::io::Result<FileDigest> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    Ok(FileDigest {
        size,
        sha256: hex(&hasher.finalize()),
    })
}

/// `SHA256SUMS` for files in memory: `(file name, content)` pairs, any order.
pub fn sha256sums(files: &[(String, &[u8])]) -> String {
    let digests: Vec<(String, String)> = files
        .iter()
        .map(|(name, bytes)| (name.clone(), sha256_hex(bytes)))
        .collect();
    sha256sums_of_digests(&digests)
}

/// `SHA256SUMS` from digests already computed: `(file name, lowercase hex SHA-256)` pairs,
/// any order. Lines are sorted by name.
pub fn sha256sums_of_digests(entries: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = entries.iter().collect();
    sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut out = String::new();
    for (name, digest) in sorted {
        // GNU sha256sum's escaping: a name holding `\`, LF or CR is written with those
        // escaped and the line starts with `\`, which tells `-c` to unescape it.
        if name.contains(['\\', '\n', '\r']) {
            let escaped = name
                .replace('\\', "\\\\")
                .replace('\n', "\\n")
                .replace('\r', "\\r");
            out.push_str(&format!("\\{digest}  {escaped}\n"));
        } else {
            out.push_str(&format!("{digest}  {name}\n"));
        }
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    const ABC: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    #[test]
    fn known_digests() {
        assert_eq!(sha256_hex(b""), EMPTY);
        assert_eq!(sha256_hex(b"abc"), ABC);
        assert_eq!(
            hash_bytes(b"abc"),
            FileDigest {
                size: 3,
                sha256: ABC.into()
            }
        );
    }

    #[test]
    fn format_is_sorted_two_spaces_lf() {
        let files: Vec<(String, &[u8])> = vec![
            ("b.zip".into(), b"abc"),
            ("a.msi".into(), b""),
            ("B.json".into(), b"abc"),
        ];
        assert_eq!(
            sha256sums(&files),
            format!("{ABC}  B.json\n{EMPTY}  a.msi\n{ABC}  b.zip\n")
        );
        assert_eq!(sha256sums(&[]), "");
    }

    #[test]
    fn odd_names_are_escaped_like_gnu() {
        let files: Vec<(String, &[u8])> = vec![("a\\b\nc".into(), b"abc")];
        assert_eq!(sha256sums(&files), format!("\\{ABC}  a\\\\b\\nc\n"));
    }

    #[test]
    fn file_hash_streams_across_blocks() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.bin");
        let data: Vec<u8> = (0..(3 << 20) + 17).map(|i: u32| (i % 251) as u8).collect();
        std::fs::write(&path, &data).unwrap();
        assert_eq!(hash_file(&path).unwrap(), hash_bytes(&data));
        assert!(hash_file(&dir.path().join("missing")).is_err());
    }

    #[test]
    fn sha256sum_check_accepts_it() {
        if Command::new("sha256sum").arg("--version").output().is_err() {
            crate::test_tools::unavailable("`sha256sum` is not available");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let msi: Vec<u8> = (0..100_000u32).map(|i| (i * 31) as u8).collect();
        let names_and_data: Vec<(String, Vec<u8>)> = vec![
            ("ledger-agent-1.4.0-x64.msi".into(), msi),
            (
                "ledger-agent-1.4.0-x64-portable.zip".into(),
                b"PK zip".to_vec(),
            ),
            ("ünïcode ✓ name.txt".into(), b"".to_vec()),
        ];
        for (name, data) in &names_and_data {
            std::fs::write(dir.path().join(name), data).unwrap();
        }
        let files: Vec<(String, &[u8])> = names_and_data
            .iter()
            .map(|(n, d)| (n.clone(), d.as_slice()))
            .collect();
        let sums = sha256sums(&files);
        std::fs::write(dir.path().join(SHA256SUMS_NAME), &sums).unwrap();
        let run = || {
            Command::new("sha256sum")
                .args(["-c", "--strict", SHA256SUMS_NAME])
                .current_dir(dir.path())
                .output()
                .unwrap()
        };
        let ok = run();
        let stdout = String::from_utf8_lossy(&ok.stdout);
        assert!(
            ok.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&ok.stderr)
        );
        assert_eq!(stdout.matches(": OK").count(), 3, "{stdout}");

        // And it notices a changed file.
        std::fs::write(
            dir.path().join("ledger-agent-1.4.0-x64-portable.zip"),
            b"PK tampered",
        )
        .unwrap();
        assert!(!run().status.success());

        // The digests agree with sha256sum's own output.
        let own = Command::new("sha256sum")
            .args(names_and_data.iter().map(|(n, _)| n.as_str()))
            .current_dir(dir.path())
            .output()
            .unwrap();
        let own = String::from_utf8(own.stdout).unwrap();
        assert!(own.contains(&format!(
            "{}  ledger-agent-1.4.0-x64.msi\n",
            sha256_hex(&names_and_data[0].1)
        )));
    }
}
