//! A minimal, deterministic ZIP writer: the bytes depend only on the entries given.
//!
//! This module owns the ZIP container format (PKWARE APPNOTE 6.3, the subset every
//! extractor reads: local headers, central directory, end record; stored or deflated
//! entries; no ZIP64, no encryption, no data descriptors, no extra fields, no comments)
//! and the CRC-32 it needs. It knows nothing about what goes into the portable zip.
//!
//! Determinism: entries are written in the order given (the caller sorts them), every
//! entry carries the same DOS timestamp, attributes come from [`EntryKind`] alone, and the
//! deflate stream comes from the pinned `miniz_oxide` at a fixed level. Nothing reads the
//! clock, the environment or the file system.

use super::PortableError;

/// ZIP's signature values, in little-endian byte order when written.
const LOCAL_HEADER_SIG: u32 = 0x0403_4b50;
const CENTRAL_HEADER_SIG: u32 = 0x0201_4b50;
const END_OF_CENTRAL_DIR_SIG: u32 = 0x0605_4b50;

/// Compression methods.
const METHOD_STORED: u16 = 0;
const METHOD_DEFLATED: u16 = 8;

/// General purpose flag bit 11: the name is UTF-8 (set only when it is not plain ASCII,
/// so ASCII-only archives look exactly like those of other tools).
const FLAG_UTF8: u16 = 1 << 11;

/// "Version made by": host system 3 (Unix, so the external attributes carry mode bits that
/// unzip and Python restore) and spec version 2.0.
const VERSION_MADE_BY: u16 = (3 << 8) | 20;
/// Version needed to extract: 1.0 for stored files, 2.0 for deflate and folders.
const VERSION_STORED: u16 = 10;
const VERSION_DEFLATE: u16 = 20;

/// MS-DOS attribute bit of folders, kept beside the Unix mode for Windows extractors.
const DOS_DIRECTORY: u32 = 0x10;

/// The deflate level. Changing it changes every zip's bytes.
pub(crate) const DEFLATE_LEVEL: u8 = 4;

/// Input bytes per independently compressed piece (see [`deflate`]). Changing it changes
/// every zip's bytes.
const CHUNK: usize = 1 << 20;

/// What an entry is, which fixes its attributes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EntryKind {
    /// A regular file, mode 0644.
    File,
    /// A program or script meant to be run (the exe, install.ps1, uninstall.ps1), mode 0755.
    Executable,
    /// A folder (name ends with `/`), mode 0755.
    Directory,
}

impl EntryKind {
    fn external_attributes(self) -> u32 {
        match self {
            EntryKind::File => 0o100_644 << 16,
            EntryKind::Executable => 0o100_755 << 16,
            EntryKind::Directory => (0o040_755 << 16) | DOS_DIRECTORY,
        }
    }
}

/// A DOS date and time pair, as stored in ZIP headers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct DosDateTime {
    /// `hour << 11 | minute << 5 | second / 2`.
    pub time: u16,
    /// `(year - 1980) << 9 | month << 5 | day`.
    pub date: u16,
}

impl DosDateTime {
    /// The DOS form of a Unix time in UTC (SOURCE_DATE_EPOCH), clamped to the range DOS
    /// can hold (1980-01-01 00:00:00 to 2107-12-31 23:59:58). Odd seconds round down: DOS
    /// stores two-second steps.
    pub fn from_unix(secs: u64) -> Self {
        let (date, time) = crate::civil::dos_date_time(secs);
        DosDateTime { time, date }
    }
}

/// One entry as the writer lays it out.
struct Written {
    name: Vec<u8>,
    flags: u16,
    method: u16,
    crc: u32,
    compressed_size: u32,
    size: u32,
    kind: EntryKind,
    offset: u32,
}

/// Builds a ZIP archive in memory, entry by entry, in the order of the calls.
pub(crate) struct ZipWriter {
    out: Vec<u8>,
    entries: Vec<Written>,
    stamp: DosDateTime,
}

impl ZipWriter {
    /// A writer whose entries all carry `stamp`.
    pub fn new(stamp: DosDateTime) -> Self {
        ZipWriter {
            out: Vec::new(),
            entries: Vec::new(),
            stamp,
        }
    }

    /// Adds a folder entry; `name` is its path with a trailing `/`.
    pub fn add_directory(&mut self, name: &str) -> Result<(), PortableError> {
        self.add_raw(name, EntryKind::Directory, METHOD_STORED, 0, 0, &[])
    }

    /// Adds a file, deflated when that makes it smaller, else stored.
    pub fn add_file(
        &mut self,
        name: &str,
        kind: EntryKind,
        data: &[u8],
    ) -> Result<(), PortableError> {
        let size = fits_u32(name, data.len())?;
        let crc = crc32(data);
        match deflate(data) {
            Some(deflated) if deflated.len() < data.len() => {
                self.add_raw(name, kind, METHOD_DEFLATED, crc, size, &deflated)
            }
            _ => self.add_raw(name, kind, METHOD_STORED, crc, size, data),
        }
    }

    fn add_raw(
        &mut self,
        name: &str,
        kind: EntryKind,
        method: u16,
        crc: u32,
        size: u32,
        payload: &[u8],
    ) -> Result<(), PortableError> {
        let name_len = u16::try_from(name.len()).map_err(|_| PortableError::TooLarge {
            path: name.to_string(),
            what: "its name is longer than 65535 bytes".into(),
        })?;
        if self.entries.len() >= usize::from(u16::MAX) {
            return Err(PortableError::TooLarge {
                path: name.to_string(),
                what: "the zip would have more than 65535 entries".into(),
            });
        }
        let compressed_size = fits_u32(name, payload.len())?;
        let offset = fits_u32(name, self.out.len())?;
        let flags = if name.is_ascii() { 0 } else { FLAG_UTF8 };
        let version_needed = if method == METHOD_DEFLATED || kind == EntryKind::Directory {
            VERSION_DEFLATE
        } else {
            VERSION_STORED
        };
        let o = &mut self.out;
        put32(o, LOCAL_HEADER_SIG);
        put16(o, version_needed);
        put16(o, flags);
        put16(o, method);
        put16(o, self.stamp.time);
        put16(o, self.stamp.date);
        put32(o, crc);
        put32(o, compressed_size);
        put32(o, size);
        put16(o, name_len);
        put16(o, 0); // no extra fields: they would only carry timestamps and owners
        o.extend_from_slice(name.as_bytes());
        o.extend_from_slice(payload);
        self.entries.push(Written {
            name: name.as_bytes().to_vec(),
            flags,
            method,
            crc,
            compressed_size,
            size,
            kind,
            offset,
        });
        Ok(())
    }

    /// Writes the central directory and the end record and returns the archive.
    pub fn finish(mut self) -> Result<Vec<u8>, PortableError> {
        let too_large = |what: &str| PortableError::TooLarge {
            path: "(the whole zip)".into(),
            what: what.into(),
        };
        let cd_offset = u32::try_from(self.out.len())
            .map_err(|_| too_large("it would be larger than 4 GiB (ZIP64 is not written)"))?;
        let o = &mut self.out;
        for e in &self.entries {
            let version_needed = if e.method == METHOD_DEFLATED || e.kind == EntryKind::Directory {
                VERSION_DEFLATE
            } else {
                VERSION_STORED
            };
            put32(o, CENTRAL_HEADER_SIG);
            put16(o, VERSION_MADE_BY);
            put16(o, version_needed);
            put16(o, e.flags);
            put16(o, e.method);
            put16(o, self.stamp.time);
            put16(o, self.stamp.date);
            put32(o, e.crc);
            put32(o, e.compressed_size);
            put32(o, e.size);
            // Checked when the entry was added.
            put16(o, e.name.len() as u16);
            put16(o, 0); // extra field length
            put16(o, 0); // comment length
            put16(o, 0); // disk number start
            put16(o, 0); // internal attributes
            put32(o, e.kind.external_attributes());
            put32(o, e.offset);
            o.extend_from_slice(&e.name);
        }
        let cd_size = u32::try_from(self.out.len() - cd_offset as usize)
            .map_err(|_| too_large("its central directory would be larger than 4 GiB"))?;
        // At most 65535 entries: checked in add_raw.
        let count = self.entries.len() as u16;
        let o = &mut self.out;
        put32(o, END_OF_CENTRAL_DIR_SIG);
        put16(o, 0); // this disk
        put16(o, 0); // disk with the central directory
        put16(o, count);
        put16(o, count);
        put32(o, cd_size);
        put32(o, cd_offset);
        put16(o, 0); // comment length
        if self.out.len() > u32::MAX as usize {
            return Err(too_large(
                "it would be larger than 4 GiB (ZIP64 is not written)",
            ));
        }
        Ok(self.out)
    }
}

/// Raw deflate of `data`, in independent [`CHUNK`]-sized pieces compressed in parallel.
///
/// Each piece gets a fresh compressor and ends with a sync flush (byte-aligned, not final),
/// the last one with the final block, so the pieces concatenate into one valid stream (as
/// pigz does). The bytes depend on the data alone, never on the number of threads; the
/// price is the 32 KiB of history each piece starts without, about 0.3 % on a Rust exe.
/// `None` if the compressor does not take all input, which it always should: the caller
/// then stores the data instead.
fn deflate(data: &[u8]) -> Option<Vec<u8>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    deflate_with(data, threads)
}

fn deflate_with(data: &[u8], threads: usize) -> Option<Vec<u8>> {
    use miniz_oxide::deflate::core::{
        compress_to_output, create_comp_flags_from_zip_params, CompressorOxide, TDEFLFlush,
        TDEFLStatus,
    };
    let flags = create_comp_flags_from_zip_params(i32::from(DEFLATE_LEVEL), 0, 0);
    let pieces: Vec<&[u8]> = if data.is_empty() {
        vec![data]
    } else {
        data.chunks(CHUNK).collect()
    };
    let last = pieces.len() - 1;
    let compress_piece = |i: usize| -> Option<Vec<u8>> {
        let piece = pieces[i];
        let mut out = Vec::with_capacity(piece.len() / 2 + 64);
        let mut compressor = CompressorOxide::new(flags);
        let (flush, done) = if i == last {
            (TDEFLFlush::Finish, TDEFLStatus::Done)
        } else {
            (TDEFLFlush::Sync, TDEFLStatus::Okay)
        };
        let (status, consumed) = compress_to_output(&mut compressor, piece, flush, |bytes| {
            out.extend_from_slice(bytes);
            true
        });
        (status == done && consumed == piece.len()).then_some(out)
    };
    let threads = threads.clamp(1, pieces.len());
    let mut results: Vec<Option<Vec<u8>>> = vec![None; pieces.len()];
    if threads <= 1 {
        for (i, slot) in results.iter_mut().enumerate() {
            *slot = compress_piece(i);
        }
    } else {
        // Worker w takes pieces w, w + threads, ...; results are put back by index.
        let done: Vec<Vec<(usize, Option<Vec<u8>>)>> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|w| {
                    let compress_piece = &compress_piece;
                    let count = pieces.len();
                    scope.spawn(move || {
                        (w..count)
                            .step_by(threads)
                            .map(|i| (i, compress_piece(i)))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|h| h.join().unwrap_or_default())
                .collect()
        });
        for (i, out) in done.into_iter().flatten() {
            results[i] = out;
        }
    }
    let mut stream = Vec::new();
    for piece in results {
        // A missing piece (a worker that failed) makes the whole entry stored.
        stream.extend_from_slice(&piece?);
    }
    Some(stream)
}

fn fits_u32(name: &str, len: usize) -> Result<u32, PortableError> {
    u32::try_from(len).map_err(|_| PortableError::TooLarge {
        path: name.to_string(),
        what: "it is larger than 4 GiB (ZIP64 is not written)".into(),
    })
}

fn put16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// CRC-32 tables for slicing-by-8 (reflected polynomial 0xEDB88320, as ZIP uses), built
/// at compile time: eight bytes per step keeps a 14 MB exe well under 10 ms.
const CRC_TABLES: [[u32; 256]; 8] = crc_tables();

const fn crc_tables() -> [[u32; 256]; 8] {
    let mut tables = [[0u32; 256]; 8];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        tables[0][i] = c;
        i += 1;
    }
    let mut t = 1;
    while t < 8 {
        let mut i = 0;
        while i < 256 {
            let prev = tables[t - 1][i];
            tables[t][i] = (prev >> 8) ^ tables[0][(prev & 0xff) as usize];
            i += 1;
        }
        t += 1;
    }
    tables
}

/// The CRC-32 of `data` (ISO-HDLC, as ZIP, gzip and PNG use it).
pub(crate) fn crc32(data: &[u8]) -> u32 {
    let t = &CRC_TABLES;
    let mut crc = !0u32;
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        let lo = crc ^ u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        crc = t[7][(lo & 0xff) as usize]
            ^ t[6][((lo >> 8) & 0xff) as usize]
            ^ t[5][((lo >> 16) & 0xff) as usize]
            ^ t[4][(lo >> 24) as usize]
            ^ t[3][c[4] as usize]
            ^ t[2][c[5] as usize]
            ^ t[1][c[6] as usize]
            ^ t[0][c[7] as usize];
    }
    for &b in chunks.remainder() {
        crc = (crc >> 8) ^ t[0][((crc ^ u32::from(b)) & 0xff) as usize];
    }
    !crc
}

#[cfg(test)]
pub(crate) mod read {
    //! An independent-enough ZIP reader for tests: it walks the central directory, checks
    //! every local header against it, inflates and checks CRCs and sizes.

    use super::*;

    /// One entry as read back.
    #[derive(Debug)]
    pub struct ReadEntry {
        pub name: String,
        pub data: Vec<u8>,
        pub method: u16,
        pub flags: u16,
        pub time: u16,
        pub date: u16,
        pub external: u32,
        pub version_made_by: u16,
    }

    fn u16_at(b: &[u8], at: usize) -> u16 {
        u16::from_le_bytes([b[at], b[at + 1]])
    }

    fn u32_at(b: &[u8], at: usize) -> u32 {
        u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
    }

    /// Reads the whole archive; panics (it is a test helper) on anything malformed.
    pub fn read_zip(b: &[u8]) -> Vec<ReadEntry> {
        let eocd = b.len() - 22;
        assert_eq!(
            u32_at(b, eocd),
            END_OF_CENTRAL_DIR_SIG,
            "end record at the very end"
        );
        assert_eq!(u16_at(b, eocd + 20), 0, "no comment");
        let count = u16_at(b, eocd + 10) as usize;
        assert_eq!(count, u16_at(b, eocd + 8) as usize);
        let cd_size = u32_at(b, eocd + 12) as usize;
        let cd_offset = u32_at(b, eocd + 16) as usize;
        assert_eq!(
            cd_offset + cd_size,
            eocd,
            "central directory right before the end"
        );
        let mut at = cd_offset;
        let mut entries = Vec::new();
        let mut expected_local = 0;
        for _ in 0..count {
            assert_eq!(u32_at(b, at), CENTRAL_HEADER_SIG);
            let version_made_by = u16_at(b, at + 4);
            let flags = u16_at(b, at + 8);
            let method = u16_at(b, at + 10);
            let time = u16_at(b, at + 12);
            let date = u16_at(b, at + 14);
            let crc = u32_at(b, at + 16);
            let csize = u32_at(b, at + 20) as usize;
            let size = u32_at(b, at + 24) as usize;
            let name_len = u16_at(b, at + 28) as usize;
            assert_eq!(u16_at(b, at + 30), 0, "no extra fields");
            assert_eq!(u16_at(b, at + 32), 0, "no comments");
            let external = u32_at(b, at + 38);
            let local = u32_at(b, at + 42) as usize;
            let name_bytes = &b[at + 46..at + 46 + name_len];
            at += 46 + name_len;

            assert_eq!(local, expected_local, "entries are contiguous, in order");
            assert_eq!(u32_at(b, local), LOCAL_HEADER_SIG);
            assert_eq!(u16_at(b, local + 6), flags);
            assert_eq!(u16_at(b, local + 8), method);
            assert_eq!(u16_at(b, local + 10), time);
            assert_eq!(u16_at(b, local + 12), date);
            assert_eq!(u32_at(b, local + 14), crc);
            assert_eq!(u32_at(b, local + 18) as usize, csize);
            assert_eq!(u32_at(b, local + 22) as usize, size);
            assert_eq!(u16_at(b, local + 26) as usize, name_len);
            assert_eq!(u16_at(b, local + 28), 0, "no extra fields");
            assert_eq!(&b[local + 30..local + 30 + name_len], name_bytes);
            let start = local + 30 + name_len;
            let payload = &b[start..start + csize];
            expected_local = start + csize;
            let data = match method {
                METHOD_STORED => payload.to_vec(),
                METHOD_DEFLATED => {
                    miniz_oxide::inflate::decompress_to_vec(payload).expect("valid deflate")
                }
                m => panic!("unexpected method {m}"),
            };
            assert_eq!(data.len(), size, "size of {name_bytes:?}");
            assert_eq!(crc32(&data), crc, "crc of {name_bytes:?}");
            let name = String::from_utf8(name_bytes.to_vec()).expect("UTF-8 name");
            assert_eq!(
                flags & FLAG_UTF8 != 0,
                !name.is_ascii(),
                "UTF-8 flag of {name}"
            );
            entries.push(ReadEntry {
                name,
                data,
                method,
                flags,
                time,
                date,
                external,
                version_made_by,
            });
        }
        assert_eq!(at, eocd);
        assert_eq!(
            expected_local, cd_offset,
            "nothing between entries and directory"
        );
        entries
    }
}

#[cfg(test)]
mod tests {
    use super::read::read_zip;
    use super::*;

    #[test]
    fn crc32_known_values() {
        assert_eq!(crc32(b""), 0);
        assert_eq!(crc32(b"a"), 0xE8B7_BE43);
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(
            crc32(b"The quick brown fox jumps over the lazy dog"),
            0x414F_A339
        );
        // The 8-byte path and the byte-wise tail agree at every split.
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 + i / 13) as u8).collect();
        let bytewise = |d: &[u8]| {
            let mut c = !0u32;
            for &b in d {
                c = (c >> 8) ^ CRC_TABLES[0][((c ^ u32::from(b)) & 0xff) as usize];
            }
            !c
        };
        for len in 0..40 {
            assert_eq!(crc32(&data[..len]), bytewise(&data[..len]), "{len}");
        }
        assert_eq!(crc32(&data), bytewise(&data));
    }

    #[test]
    fn dos_times() {
        let d = DosDateTime::from_unix(0);
        assert_eq!((d.date, d.time), ((1 << 5) | 1, 0), "clamped to 1980-01-01");
        let d = DosDateTime::from_unix(315_532_800); // 1980-01-01, the DOS epoch
        assert_eq!((d.date, d.time), ((1 << 5) | 1, 0));
        // 2024-02-29 13:45:59 UTC = 1709214359: seconds round down to 58.
        let d = DosDateTime::from_unix(1_709_214_359);
        assert_eq!(d.date, (44 << 9) | (2 << 5) | 29);
        assert_eq!(d.time, (13 << 11) | (45 << 5) | 29);
        // 2107-12-31 23:59:58 is the last DOS instant; later values clamp to it.
        let last = DosDateTime::from_unix(4_354_819_198);
        assert_eq!(last.date, (127 << 9) | (12 << 5) | 31);
        assert_eq!(last.time, (23 << 11) | (59 << 5) | 29);
        assert_eq!(DosDateTime::from_unix(4_354_819_200), last);
        assert_eq!(DosDateTime::from_unix(u64::MAX), last);
    }

    #[test]
    fn writes_readable_entries() {
        let mut w = ZipWriter::new(DosDateTime::from_unix(1_700_000_000));
        w.add_directory("conf/").unwrap();
        w.add_file("conf/a.toml", EntryKind::File, b"x = 1\n")
            .unwrap();
        let big = "compressible ".repeat(1000);
        w.add_file("big.txt", EntryKind::File, big.as_bytes())
            .unwrap();
        w.add_file("ünï.exe", EntryKind::Executable, &[0, 1, 2])
            .unwrap();
        w.add_file("empty", EntryKind::File, b"").unwrap();
        let zip = w.finish().unwrap();
        let entries = read_zip(&zip);
        let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(
            names,
            ["conf/", "conf/a.toml", "big.txt", "ünï.exe", "empty"]
        );
        assert_eq!(entries[0].external, (0o040_755 << 16) | 0x10);
        assert_eq!(entries[1].external, 0o100_644 << 16);
        assert_eq!(entries[3].external, 0o100_755 << 16);
        assert_eq!(entries[1].method, METHOD_STORED, "tiny files are stored");
        assert_eq!(entries[2].method, METHOD_DEFLATED);
        assert_eq!(entries[2].data, big.as_bytes());
        assert_eq!(entries[3].flags, FLAG_UTF8);
        assert_eq!(entries[4].data, b"");
        assert!(entries.iter().all(|e| e.version_made_by == VERSION_MADE_BY));
    }

    #[test]
    fn chunked_deflate_is_one_stream_whatever_the_threads() {
        // Two and a half pieces of half-compressible data.
        let mut x = 0x2545_F491_u32;
        let data: Vec<u8> = (0..CHUNK * 5 / 2)
            .map(|i| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                if i % 2 == 0 {
                    (x & 0x0f) as u8
                } else {
                    b'a'
                }
            })
            .collect();
        let one = deflate_with(&data, 1).unwrap();
        assert_eq!(deflate_with(&data, 2).unwrap(), one);
        assert_eq!(deflate_with(&data, 8).unwrap(), one);
        assert!(one.len() < data.len() / 2);
        assert_eq!(miniz_oxide::inflate::decompress_to_vec(&one).unwrap(), data);
        for small in [&b""[..], b"x", &data[..CHUNK], &data[..CHUNK + 1]] {
            let d = deflate_with(small, 4).unwrap();
            assert_eq!(miniz_oxide::inflate::decompress_to_vec(&d).unwrap(), small);
        }
    }

    #[test]
    fn empty_archive_is_just_the_end_record() {
        let zip = ZipWriter::new(DosDateTime::from_unix(0)).finish().unwrap();
        assert_eq!(zip.len(), 22);
        assert!(read_zip(&zip).is_empty());
    }
}
