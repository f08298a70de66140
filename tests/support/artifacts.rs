//! Building a fixture with the real `cargo svcpack build` and reading what it produced:
//! the MSI in an out-dir, the files under a folder, the members of a portable zip.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::WindowsToolchain;

/// `cargo svcpack build` of the crate in `manifest_dir` for the toolchain's Windows target
/// into `out`, with a fixed SOURCE_DATE_EPOCH; callers may add to the command.
pub fn svcpack_build_command(tc: &WindowsToolchain, manifest_dir: &Path, out: &Path) -> Command {
    let mut cmd = tc.svcpack();
    cmd.arg("build")
        .arg("--manifest-path")
        .arg(manifest_dir.join("Cargo.toml"))
        .arg("--target")
        .arg(tc.target())
        .arg("--out-dir")
        .arg(out)
        .env("SOURCE_DATE_EPOCH", "1700000000");
    cmd
}

/// Runs [`svcpack_build_command`].
pub fn svcpack_build(tc: &WindowsToolchain, manifest_dir: &Path, out: &Path) -> Output {
    svcpack_build_command(tc, manifest_dir, out)
        .output()
        .expect("running cargo svcpack build")
}

/// [`svcpack_build`] that must succeed; the one MSI it wrote into `out`.
pub fn svcpack_build_msi(tc: &WindowsToolchain, manifest_dir: &Path, out: &Path) -> PathBuf {
    let o = svcpack_build(tc, manifest_dir, out);
    assert!(
        o.status.success(),
        "build failed:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    built_msi(out)
}

/// The one MSI a build wrote into `out`.
pub fn built_msi(out: &Path) -> PathBuf {
    let msi: Vec<PathBuf> = std::fs::read_dir(out)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "msi"))
        .collect();
    assert_eq!(msi.len(), 1, "{msi:?}");
    msi[0].clone()
}

/// Every file under `dir`, recursively (none when `dir` does not exist).
pub fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// The members of the zip at `path` as (name, content), read from the central directory
/// (stored and deflated members: what svcpack writes).
pub fn unzip(path: &Path) -> Vec<(String, Vec<u8>)> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .unwrap()
        .read_to_end(&mut bytes)
        .unwrap();
    let u16_at = |b: &[u8], i: usize| u16::from_le_bytes([b[i], b[i + 1]]) as usize;
    let u32_at =
        |b: &[u8], i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]) as usize;
    let eocd = (0..bytes.len() - 21)
        .rev()
        .find(|&i| bytes[i..i + 4] == [0x50, 0x4b, 0x05, 0x06])
        .expect("end of central directory");
    let count = u16_at(&bytes, eocd + 10);
    let mut at = u32_at(&bytes, eocd + 16);
    let mut out = Vec::new();
    for _ in 0..count {
        assert_eq!(bytes[at..at + 4], [0x50, 0x4b, 0x01, 0x02]);
        let method = u16_at(&bytes, at + 10);
        let size = u32_at(&bytes, at + 20);
        let name_len = u16_at(&bytes, at + 28);
        let extra_len = u16_at(&bytes, at + 30);
        let comment_len = u16_at(&bytes, at + 32);
        let local = u32_at(&bytes, at + 42);
        let name = String::from_utf8_lossy(&bytes[at + 46..at + 46 + name_len]).into_owned();
        let data_at = local + 30 + u16_at(&bytes, local + 26) + u16_at(&bytes, local + 28);
        let data = &bytes[data_at..data_at + size];
        let content = match method {
            0 => data.to_vec(),
            8 => miniz_oxide::inflate::decompress_to_vec(data).expect("inflate"),
            m => panic!("{name}: compression method {m}"),
        };
        out.push((name, content));
        at += 46 + name_len + extra_len + comment_len;
    }
    out
}

/// Every file under `dir`, by path relative to it, with its bytes.
pub fn tree(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    walk(dir)
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
            let bytes = std::fs::read(&p).unwrap();
            (rel, bytes)
        })
        .collect()
}

/// The real `sha256sum -c --strict SHA256SUMS` in `out` succeeds.
pub fn assert_sha256sums_verify(out: &Path) {
    let o = Command::new("sha256sum")
        .args(["-c", "--strict", "SHA256SUMS"])
        .current_dir(out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
}

/// `[package.metadata.svcpack.release]` with a download URL and a winget identifier.
pub const EXAMPLE_RELEASE: &str = "\n[package.metadata.svcpack.release]\n\
download-url = \"https://github.com/acme/example-service/releases/download/v{version}/{file}\"\n\
winget-id = \"Svcpack.ExampleService\"\n";

/// The example service copied to `<work>/svc`, with [`EXAMPLE_RELEASE`] added.
pub fn copy_example_with_release(work: &Path) -> PathBuf {
    let dir = super::copy_fixture("example-service", &work.join("svc"));
    let manifest = dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, format!("{text}{EXAMPLE_RELEASE}")).unwrap();
    dir
}

/// The installer helper a build cached under `dir` (`svcpack-helper-….exe`).
pub fn cached_helper(dir: &Path) -> PathBuf {
    walk(dir)
        .into_iter()
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("svcpack-helper-"))
                && p.extension().is_some_and(|e| e == "exe")
        })
        .expect("the cached helper")
}
