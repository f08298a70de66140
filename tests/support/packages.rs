//! WiX sources and payloads for the native compiler's tests: a product with one directory
//! of components, the compile options every such test uses, and payload files (pseudo-random,
//! sparse) of any size, written without holding them in memory.

use std::io::Write;
use std::path::{Path, PathBuf};

/// One component per file, in INSTALLDIR: `files` are (name, extra `File` attributes such
/// as `DiskId="2"`), each sourced from the file of that name. Returns the components' XML
/// and their `ComponentRef`s, for [`write_product`].
pub fn component_per_file<S: AsRef<str>>(files: &[(S, &str)]) -> (String, String) {
    let mut comps = String::new();
    let mut refs = String::new();
    for (i, (name, extra)) in files.iter().enumerate() {
        let name = name.as_ref();
        comps.push_str(&format!(
            "<Component Id=\"C{i}\" Guid=\"*\" Win64=\"yes\"><File Id=\"F{i}\" Name=\"{name}\" \
             Source=\"{name}\" KeyPath=\"yes\" {extra}/></Component>\n"
        ));
        refs.push_str(&format!("<ComponentRef Id=\"C{i}\"/>\n"));
    }
    (comps, refs)
}

/// Writes a WiX v3 product named `name` (also its INSTALLDIR under Program Files) to `path`:
/// `media` (Media or MediaTemplate elements), `components` inside INSTALLDIR and one
/// feature holding `refs`. Returns `path`.
pub fn write_product(
    path: &Path,
    name: &str,
    upgrade_code: &str,
    media: &str,
    components: &str,
    refs: &str,
) -> PathBuf {
    std::fs::write(
        path,
        format!(
            r#"<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="*" Name="{name}" Language="1033" Version="1.0.0" Manufacturer="svcpack"
           UpgradeCode="{upgrade_code}">
    <Package InstallerVersion="500" Compressed="yes" InstallScope="perMachine"/>
    {media}
    <Directory Id="TARGETDIR" Name="SourceDir"><Directory Id="ProgramFiles64Folder">
      <Directory Id="INSTALLDIR" Name="{name}">
{components}      </Directory></Directory></Directory>
    <Feature Id="Main">{refs}</Feature>
  </Product>
</Wix>
"#
        ),
    )
    .unwrap();
    path.to_path_buf()
}

/// x64, sources relative to `dir`, a fixed timestamp: what every package test compiles with.
pub fn compile_options(dir: &Path) -> svcpack::wix::CompileOptions {
    let mut opts = svcpack::wix::CompileOptions::new("x64");
    opts.current_dir = dir.to_path_buf();
    opts.timestamp = 1_700_000_000;
    opts
}

/// Compiles `src` (sources relative to its directory) into the MSI `out`.
pub fn compile_to(src: &Path, out: &Path) -> svcpack::wix::Compiled {
    svcpack::wix::compile_to_file(
        &[src.to_path_buf()],
        out,
        &compile_options(src.parent().unwrap()),
    )
    .expect("compiles")
}

/// A deterministic xorshift generator: incompressible bytes from a seed.
pub struct Noise(u64);

impl Noise {
    pub fn new(seed: u64) -> Noise {
        Noise(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            chunk.copy_from_slice(&self.0.to_le_bytes()[..chunk.len()]);
        }
    }
}

/// `len` bytes of [`Noise`].
pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut out = vec![0u8; len];
    Noise::new(seed).fill(&mut out);
    out
}

/// Writes `len` bytes of [`Noise`] to `path`, 1 MiB at a time.
pub fn pseudo_random_file(path: &Path, len: u64, seed: u64) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut gen = Noise::new(seed);
    let mut buf = vec![0u8; 1 << 20];
    let mut left = len;
    while left > 0 {
        gen.fill(&mut buf);
        let n = left.min(buf.len() as u64) as usize;
        f.write_all(&buf[..n]).unwrap();
        left -= n as u64;
    }
    f.flush().unwrap();
}

/// A sparse file of `len` bytes: zeros but for a marker at its start.
pub fn sparse_file(path: &Path, len: u64) {
    let mut f = std::fs::File::create(path).unwrap();
    f.write_all(b"sparse payload\n").unwrap();
    f.set_len(len).unwrap();
}

/// A sparse file of `len` bytes (at least 1 MiB) with 1 MiB of [`Noise`] at a few offsets:
/// large on the installer's side, quick to generate and to compress.
pub fn mostly_sparse_file(path: &Path, len: u64, seed: u64) {
    use std::io::{Seek, SeekFrom};
    let f = std::fs::File::create(path).unwrap();
    f.set_len(len).unwrap();
    let mut f = std::io::BufWriter::new(f);
    let mut gen = Noise::new(seed);
    let mut buf = vec![0u8; 1 << 20];
    for at in [0, len / 3, len / 2, len - (1 << 20)] {
        f.seek(SeekFrom::Start(at)).unwrap();
        gen.fill(&mut buf);
        f.write_all(&buf).unwrap();
    }
    f.flush().unwrap();
}

/// Whether `name` is a program on PATH.
pub fn on_path(name: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(name).is_file()))
}
