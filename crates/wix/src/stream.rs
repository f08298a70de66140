//! Payload that is streamed from disk into the output rather than held in memory: the
//! [`Blob`]s a [`super::lower::Database`] carries (a stream of the MSI or a file beside
//! it), measuring source files once ([`scan_file`]) and writing blobs ([`write_blob`]).
//!
//! A cabinet is described by its plan (files, sizes, digests) and compressed only while it
//! is written, reading each file again in chunks: memory stays bounded by a batch of
//! cabinet blocks whatever the payload's size. A file that changed between the two reads
//! is an error, never a package whose tables disagree with its cabinet.

use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use md5::{Digest as _, Md5};
use xxhash_rust::xxh3::Xxh3;

use super::cab::{self, CabItem, CabOptions};
use super::error::{Location, Result, WixError};

/// The contents of a stream or external file.
#[derive(Debug, Clone)]
pub enum Blob {
    /// Small contents already in memory (Binary and Icon streams).
    Bytes(Vec<u8>),
    /// A source file copied as is (an uncompressed file laid out beside the MSI).
    File(SourceFile),
    /// A cabinet of source files, compressed as it is written.
    Cabinet(CabinetPlan),
}

/// A payload file as measured by [`scan_file`].
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: PathBuf,
    pub size: u64,
    pub md5: [u8; 16],
    /// XXH3-128 of the bytes: what packing checks them against (see [`Scanned::check`]).
    pub check: u128,
    /// The authoring location, for errors.
    pub loc: Location,
}

/// A cabinet: its files in sequence order, named by File key, and how to build it.
#[derive(Debug, Clone)]
pub struct CabinetPlan {
    /// The cabinet's name (for messages).
    pub name: String,
    pub files: Vec<(String, SourceFile)>,
    pub options: CabOptions,
    /// The Media element, for errors.
    pub loc: Location,
}

impl Blob {
    /// A digest of the contents, for the derived product and package codes: the bytes'
    /// SHA-256, or for files and cabinets the MD5s and sizes that determine them.
    pub fn digest(&self) -> Vec<u8> {
        use sha2::{Digest as _, Sha256};
        let mut h = Sha256::new();
        match self {
            Blob::Bytes(b) => h.update(b),
            Blob::File(f) => {
                h.update(f.size.to_le_bytes());
                h.update(f.md5);
            }
            Blob::Cabinet(c) => {
                h.update([c.options.compression as u8]);
                h.update(c.options.timestamp.to_le_bytes());
                for (name, f) in &c.files {
                    h.update(name.as_bytes());
                    h.update([0]);
                    h.update(f.size.to_le_bytes());
                    h.update(f.md5);
                }
            }
        }
        h.finalize().to_vec()
    }
}

/// What [`scan_file`] learns about a payload file.
pub struct Scanned {
    pub size: u64,
    pub md5: [u8; 16],
    /// XXH3-128 of the bytes. Packing reads every file a second time and must prove it got
    /// the bytes measured; XXH3 proves that at memory speed (MD5, the table's digest, runs
    /// at ~400 MB/s and was a fifth of a compile's CPU), and 128 bits leave no chance that
    /// a changed file passes.
    pub check: u128,
    /// The whole file, when it is a PE image small enough to inspect in memory
    /// ([`PE_INSPECT_MAX`]); `None` otherwise.
    pub pe: Option<Vec<u8>>,
}

/// PE images up to this size are read whole to find their version resource; larger ones
/// (no real executable is) are packed without File.Version.
pub const PE_INSPECT_MAX: u64 = 256 << 20;

const CHUNK: usize = 1 << 20;

/// Reads `path` once in chunks: its size and MD5 (MsiFileHash, and the change check when
/// it is packed), and its bytes if it is a PE image.
pub fn scan_file(path: &Path) -> std::io::Result<Scanned> {
    let mut f = std::fs::File::open(path)?;
    let len = f.metadata()?.len();
    let mut head = [0u8; 2];
    let mut n = 0;
    while n < 2 {
        match f.read(&mut head[n..])? {
            0 => break,
            k => n += k,
        }
    }
    if n == 2 && &head == b"MZ" && len <= PE_INSPECT_MAX {
        let mut bytes = head.to_vec();
        f.read_to_end(&mut bytes)?;
        let md5 = Md5::digest(&bytes).into();
        let check = xxhash_rust::xxh3::xxh3_128(&bytes);
        let size = bytes.len() as u64;
        let pe = svcpack_pe::is_pe(&bytes).then_some(bytes);
        return Ok(Scanned {
            size,
            md5,
            check,
            pe,
        });
    }
    let mut md5 = Md5::new();
    let mut check = Xxh3::new();
    md5.update(&head[..n]);
    check.update(&head[..n]);
    let mut size = n as u64;
    let mut buf = vec![0u8; CHUNK];
    loop {
        match f.read(&mut buf) {
            Ok(0) => break,
            Ok(k) => {
                md5.update(&buf[..k]);
                check.update(&buf[..k]);
                size += k as u64;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(Scanned {
        size,
        md5: md5.finalize().into(),
        check: check.digest128(),
        pe: None,
    })
}

/// A reader over a source file that checks, at its end, that the bytes are those measured.
struct Checked {
    file: std::fs::File,
    check: Xxh3,
    expected: u128,
    done: bool,
}

impl Read for Checked {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.file.read(buf)?;
        if n > 0 {
            self.check.update(&buf[..n]);
        } else if !self.done {
            self.done = true;
            if self.check.digest128() != self.expected {
                return Err(std::io::Error::other(
                    "changed while it was being packed (its contents differ from when it was measured)",
                ));
            }
        }
        Ok(n)
    }
}

fn open_checked(f: &SourceFile) -> std::io::Result<Checked> {
    Ok(Checked {
        file: std::fs::File::open(&f.path)?,
        check: Xxh3::new(),
        expected: f.check,
        done: false,
    })
}

/// Writes `blob` to `out` (from its current position); cabinets are compressed on the way.
pub fn write_blob<W: Write + Seek>(blob: &Blob, out: &mut W) -> Result<()> {
    match blob {
        Blob::Bytes(b) => out
            .write_all(b)
            .map_err(|e| WixError::new(Location::file("<msi>"), format!("writing: {e}"))),
        Blob::File(f) => {
            let mut r = open_checked(f).map_err(|e| source_error(f, e))?;
            let n = std::io::copy(&mut r, out).map_err(|e| source_error(f, e))?;
            if n != f.size {
                return Err(source_error(
                    f,
                    std::io::Error::other(format!(
                        "changed while it was being packed ({n} bytes, measured {})",
                        f.size
                    )),
                ));
            }
            Ok(())
        }
        Blob::Cabinet(c) => {
            let items: Vec<CabItem> = c
                .files
                .iter()
                .map(|(name, f)| CabItem { name, size: f.size })
                .collect();
            let mut open = |i: usize| -> std::io::Result<Box<dyn Read>> {
                Ok(Box::new(open_checked(&c.files[i].1)?))
            };
            cab::write_cabinet(&items, &mut open, &c.options, out).map_err(|e| {
                let loc = match &e {
                    cab::CabError::SourceChanged { name, .. } => c
                        .files
                        .iter()
                        .find(|(n, _)| n == name)
                        .map(|(_, f)| f.loc.clone())
                        .unwrap_or_else(|| c.loc.clone()),
                    _ => c.loc.clone(),
                };
                let what = match &e {
                    cab::CabError::SourceChanged { name, .. } => c
                        .files
                        .iter()
                        .find(|(n, _)| n == name)
                        .map(|(_, f)| format!(" (source `{}`)", f.path.display()))
                        .unwrap_or_default(),
                    _ => String::new(),
                };
                WixError::new(loc, format!("building cabinet `{}`: {e}{what}", c.name))
            })?;
            Ok(())
        }
    }
}

fn source_error(f: &SourceFile, e: std::io::Error) -> WixError {
    WixError::new(
        f.loc.clone(),
        format!("source file `{}`: {e}", f.path.display()),
    )
}
