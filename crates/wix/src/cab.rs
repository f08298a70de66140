//! Cabinet (MS-CAB) writer for the files embedded in an MSI.
//!
//! This module owns everything between "here are the File table rows in sequence order,
//! with their bytes" and "here is the cabinet stream to store in the database": the
//! CFHEADER / CFFOLDER / CFFILE / CFDATA layout, the CFDATA checksum, DOS timestamps,
//! file attributes, and MSZIP compression. It knows nothing about MSI tables or media;
//! the caller decides which files go into which cabinet and names them by File key.
//!
//! Output is a pure function of the entries and [`CabOptions::compression`] and
//! [`CabOptions::timestamp`]: the thread count only changes how fast it is produced.
//! That holds because every MSZIP block is an independent, finished deflate stream
//! (no history shared with the previous block), so blocks can be compressed in any
//! order on any thread and still give the same bytes.

use std::io::{Read, Seek, SeekFrom, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::thread;

use libdeflater::{CompressionLvl, Compressor};

use svcpack_civil::dos_date_time;

/// One file to store in the cabinet.
#[derive(Clone, Copy)]
pub struct CabEntry<'a> {
    /// The File table key; stored as the file name inside the cabinet.
    pub name: &'a str,
    /// The file's contents.
    pub data: &'a [u8],
}

impl std::fmt::Debug for CabEntry<'_> {
    // Contents can be megabytes: show their size, not their bytes.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CabEntry")
            .field("name", &self.name)
            .field("len", &self.data.len())
            .finish()
    }
}

/// How CFDATA blocks are encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Compression {
    /// Stored as is (typeCompress 0).
    None,
    /// MSZIP: "CK" plus a deflate stream per 32 KiB block (typeCompress 1).
    #[default]
    Mszip,
}

/// Settings for [`build_cabinet`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CabOptions {
    /// Block encoding.
    pub compression: Compression,
    /// Unix seconds (UTC) used as every file's date and time; clamped to what a DOS
    /// date can hold (1980-01-01 to 2107-12-31).
    pub timestamp: u64,
    /// Compression threads; 0 means [`std::thread::available_parallelism`].
    pub threads: usize,
}

/// Why a cabinet could not be built.
#[derive(Debug, thiserror::Error)]
pub enum CabError {
    /// CFHEADER.cFiles is 16 bits.
    #[error(
        "a cabinet holds at most {max} files, but {count} were given; \
         spread the files over more Media entries (cabinets)"
    )]
    TooManyFiles {
        /// Files requested.
        count: usize,
        /// The format's limit.
        max: usize,
    },
    /// A single file must fit in one folder (65535 blocks of 32 KiB).
    #[error(
        "file `{name}` is {size} bytes, but a file in a cabinet can be at most {max} bytes \
         (65535 blocks of 32 KiB)"
    )]
    FileTooLarge {
        /// The entry's name.
        name: String,
        /// Its size in bytes.
        size: u64,
        /// The format's limit.
        max: u64,
    },
    /// CFFILE.szName is a NUL-terminated string of at most 255 bytes.
    #[error("cannot store file name {name:?} in a cabinet: {reason}")]
    InvalidName {
        /// The entry's name.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Cabinet offsets are signed 32-bit in the Windows cabinet API.
    #[error(
        "the cabinet would be {size} bytes, but a cabinet can be at most {max} bytes; \
         spread the files over more Media entries (cabinets)"
    )]
    CabinetTooLarge {
        /// Size the cabinet would have.
        size: u64,
        /// The format's limit.
        max: u64,
    },
    /// The deflate engine reported an error (not expected for valid input).
    #[error("MSZIP compression of data block {block} failed: {detail}")]
    Compression {
        /// Index of the CFDATA block in the cabinet.
        block: usize,
        /// The engine's status.
        detail: String,
    },
    /// A source file changed (or vanished) between being measured and being packed.
    #[error("file `{name}` {detail}")]
    SourceChanged {
        /// The entry's name.
        name: String,
        /// What happened.
        detail: String,
    },
    /// Writing the cabinet failed (e.g. the disk is full).
    #[error("writing the cabinet failed: {0}")]
    Io(String),
    /// A compression thread panicked (a bug); reported instead of propagating the panic.
    #[error("a cabinet compression thread panicked")]
    WorkerPanicked,
}

/// Uncompressed bytes per CFDATA block (the format's maximum).
const BLOCK_SIZE: usize = 0x8000;
/// CFFOLDER.cCFData is 16 bits.
const MAX_BLOCKS_PER_FOLDER: u64 = 0xFFFF;
/// A folder, and so a file, can hold at most 65535 full blocks: 0x7FFF8000 bytes.
const MAX_FOLDER_BYTES: u64 = MAX_BLOCKS_PER_FOLDER * BLOCK_SIZE as u64;
const MAX_FILES: usize = 0xFFFF;
/// Windows' FCI/FDI keep cabinet offsets in a signed `long`.
const MAX_CABINET_BYTES: u64 = 0x7FFF_FFFF;
/// CB_MAX_FILENAME is 256 including the terminating NUL.
const MAX_NAME_BYTES: usize = 255;

const CFHEADER_SIZE: usize = 36;
const CFFOLDER_SIZE: usize = 8;
const CFDATA_HEADER_SIZE: usize = 8;

/// _A_ARCH: what gcab always sets and what WiX copies from a freshly written source file.
const ATTR_ARCHIVE: u16 = 0x20;
/// _A_NAME_IS_UTF: szName is UTF-8 rather than the OEM code page.
const ATTR_NAME_IS_UTF: u16 = 0x80;

/// libdeflate level for MSZIP blocks. libdeflate (pinned to an exact version in
/// Cargo.toml, so the bytes never change underneath us) compresses a whole 32 KiB block in
/// one call about 3x faster than miniz_oxide's level 6 and slightly smaller; level 6 is
/// smaller than zlib's level 6, which gcab (and so wixl) uses, on every payload measured
/// (a 14 MB debug-info exe plus an 8 MB log: 5.49 MB vs miniz 5.50 MB; scripts/bench).
const DEFLATE_LEVEL: i32 = 6;

fn new_compressor() -> Compressor {
    Compressor::new(CompressionLvl::new(DEFLATE_LEVEL).unwrap_or_default())
}

/// Builds a cabinet holding `entries` in the given order (the MSI's File.Sequence order).
///
/// Files go into one folder, or into as many as the 65535-blocks-per-folder limit needs
/// (a file never spans folders). No entries give a header-only cabinet (no folders, no
/// files), as WiX emits for an empty Media cabinet: the Windows Installer never opens it,
/// since no file sequence points into it, though cabextract refuses to list it.
pub fn build_cabinet(entries: &[CabEntry<'_>], opts: &CabOptions) -> Result<Vec<u8>, CabError> {
    build_with_limits(entries, opts, &FORMAT_LIMITS)
}

/// One file of a streamed cabinet: its name in the cabinet and its size, which the reader
/// [`write_cabinet`] opens for it must deliver exactly.
#[derive(Debug, Clone, Copy)]
pub struct CabItem<'a> {
    /// The File table key; stored as the file name inside the cabinet.
    pub name: &'a str,
    /// Bytes the file has (checked while reading it).
    pub size: u64,
}

/// Writes a cabinet of `items` to `out`, reading each file's bytes from `open(index)` as
/// it goes: memory stays bounded by a batch of blocks, whatever the payload's size. `out`
/// is written from its current position; the header's sizes and the folders' offsets are
/// patched in at the end. Returns the cabinet's size. Same bytes as [`build_cabinet`].
///
/// A reader that yields fewer or more bytes than its item's size (the file changed after
/// it was measured) is a [`CabError::SourceChanged`].
pub fn write_cabinet<'r, W: Write + Seek>(
    items: &[CabItem<'_>],
    open: &mut dyn FnMut(usize) -> std::io::Result<Box<dyn Read + 'r>>,
    opts: &CabOptions,
    out: &mut W,
) -> Result<u64, CabError> {
    write_with_limits(items, open, opts, &FORMAT_LIMITS, out)
}

/// The format's size limits, separate so tests can exercise folder splitting and the
/// size errors without gigabytes of input.
#[derive(Debug, Clone, Copy)]
struct Limits {
    folder_bytes: u64,
    cabinet_bytes: u64,
}

const FORMAT_LIMITS: Limits = Limits {
    folder_bytes: MAX_FOLDER_BYTES,
    cabinet_bytes: MAX_CABINET_BYTES,
};

fn build_with_limits(
    entries: &[CabEntry<'_>],
    opts: &CabOptions,
    limits: &Limits,
) -> Result<Vec<u8>, CabError> {
    let items: Vec<CabItem> = entries
        .iter()
        .map(|e| CabItem {
            name: e.name,
            size: e.data.len() as u64,
        })
        .collect();
    let mut open =
        |i: usize| -> std::io::Result<Box<dyn Read + '_>> { Ok(Box::new(entries[i].data)) };
    let mut out = std::io::Cursor::new(Vec::new());
    write_with_limits(&items, &mut open, opts, limits, &mut out)?;
    Ok(out.into_inner())
}

/// Blocks compressed per batch per thread: 2 MiB a thread, so the threads meet (and one
/// is started) rarely — 64 measured ~10% faster than 16 on the 22 MB benchmark — while a
/// batch (two input buffers and the output) stays ~6 MiB a thread.
const BATCH_BLOCKS_PER_THREAD: usize = 64;

/// The most compression workers used whatever is asked for (beyond the cores available).
const MAX_WORKERS: usize = 16;

/// A cabinet is written in named steps: the header with its folder and file entries, the
/// data blocks, then the sizes and offsets only known at the end, patched in.
fn write_with_limits<'r, W: Write + Seek>(
    items: &[CabItem<'_>],
    open: &mut dyn FnMut(usize) -> std::io::Result<Box<dyn Read + 'r>>,
    opts: &CabOptions,
    limits: &Limits,
    out: &mut W,
) -> Result<u64, CabError> {
    let layout = Layout::plan(items, limits.folder_bytes)?;
    let base = out.stream_position().map_err(output_err)?;
    let mut sink = Sink {
        out: &mut *out,
        total: 0,
        max: limits.cabinet_bytes,
    };
    sink.write_head(&cabinet_head(items, &layout, opts))?;
    let folder_offsets = write_blocks(items, open, opts, &layout, &mut sink)?;
    let total = sink.total;
    patch_sizes(out, base, total, &folder_offsets)?;
    Ok(total)
}

/// A failure of the cabinet's output (a source file's is [`io_error`]).
fn output_err(e: std::io::Error) -> CabError {
    CabError::Io(e.to_string())
}

/// CFHEADER, the CFFOLDERs and the CFFILEs, with cbCabinet and each coffCabStart left 0
/// for [`patch_sizes`].
fn cabinet_head(items: &[CabItem<'_>], layout: &Layout, opts: &CabOptions) -> Vec<u8> {
    let files_offset = CFHEADER_SIZE + CFFOLDER_SIZE * layout.folders.len();
    let mut head = Vec::with_capacity(files_offset + items.len() * 32);
    put_cfheader(&mut head, files_offset, layout.folders.len(), items.len());
    let type_compress: u16 = match opts.compression {
        Compression::None => 0,
        Compression::Mszip => 1,
    };
    for folder in &layout.folders {
        put_u32(&mut head, 0); // coffCabStart
        put_u16(&mut head, folder.blocks as u16);
        put_u16(&mut head, type_compress);
    }
    put_cffiles(&mut head, items, layout, opts);
    head
}

fn put_cfheader(head: &mut Vec<u8>, files_offset: usize, folders: usize, files: usize) {
    head.extend_from_slice(b"MSCF");
    put_u32(head, 0); // reserved1
    put_u32(head, 0); // cbCabinet
    put_u32(head, 0); // reserved2
    put_u32(head, files_offset as u32); // coffFiles
    put_u32(head, 0); // reserved3
    head.push(3); // versionMinor
    head.push(1); // versionMajor
    put_u16(head, folders as u16); // cFolders
    put_u16(head, files as u16); // cFiles
    put_u16(head, 0); // flags: no reserve, not part of a set
    put_u16(head, 0); // setID: fixed so output stays reproducible
    put_u16(head, 0); // iCabinet
}

fn put_cffiles(head: &mut Vec<u8>, items: &[CabItem<'_>], layout: &Layout, opts: &CabOptions) {
    let (date, time) = dos_date_time(opts.timestamp);
    for (i, e) in items.iter().enumerate() {
        let attribs = if e.name.is_ascii() {
            ATTR_ARCHIVE
        } else {
            ATTR_ARCHIVE | ATTR_NAME_IS_UTF
        };
        put_u32(head, e.size as u32); // cbFile
        put_u32(head, layout.file_offsets[i]); // uoffFolderStart
        put_u16(head, layout.file_folders[i]); // iFolder
        put_u16(head, date);
        put_u16(head, time);
        put_u16(head, attribs);
        head.extend_from_slice(e.name.as_bytes());
        head.push(0);
    }
}

/// The compression workers for `threads` (0: one per core). More workers than cores only
/// costs memory (WiX's `-ct` accepts any count), and the bytes never depend on the count.
fn worker_count(threads: usize) -> usize {
    let cores = thread::available_parallelism().map_or(1, |p| p.get());
    match threads {
        0 => cores,
        n => n.min(cores.max(MAX_WORKERS)),
    }
    .max(1)
}

/// Writes the CFDATAs, folder by folder, a batch of blocks at a time: while the workers
/// compress one batch, this thread reads (and checks) the next, so reading never waits on
/// compression nor compression on reading. Returns where each folder's blocks start.
fn write_blocks<'r, W: Write>(
    items: &[CabItem<'_>],
    open: &mut dyn FnMut(usize) -> std::io::Result<Box<dyn Read + 'r>>,
    opts: &CabOptions,
    layout: &Layout,
    sink: &mut Sink<'_, W>,
) -> Result<Vec<u64>, CabError> {
    let workers = worker_count(opts.threads);
    let batch = workers * BATCH_BLOCKS_PER_THREAD;
    let mut compressors: Vec<Compressor> = (0..workers).map(|_| new_compressor()).collect();
    let mut folder_offsets = Vec::with_capacity(layout.folders.len());
    let mut block_index = 0usize;
    let mut current = vec![0u8; batch * BLOCK_SIZE];
    let mut following = vec![0u8; batch * BLOCK_SIZE];
    // One output buffer per block of a batch, reused from batch to batch.
    let mut encoded: Vec<Mutex<Vec<u8>>> = (0..batch).map(|_| Mutex::new(Vec::new())).collect();
    let mut feed = Feed {
        items,
        open,
        folders: &layout.folders,
        next_folder: 0,
        reader: None,
    };
    let mut pending = feed.next_batch(&mut current);
    while let Some((folder, len)) = pending? {
        let chunks: Vec<&[u8]> = current[..len].chunks(BLOCK_SIZE).collect();
        let (checksums, next) = encode_batch(
            &chunks,
            opts.compression,
            &mut compressors,
            &encoded,
            block_index,
            || feed.next_batch(&mut following),
        );
        let checksums = checksums?;
        // Folders up to this one start here (an empty folder holds no blocks).
        while folder_offsets.len() <= folder {
            folder_offsets.push(sink.total);
        }
        sink.write_batch(&chunks, checksums, &mut encoded, opts.compression)?;
        block_index += chunks.len();
        drop(chunks);
        std::mem::swap(&mut current, &mut following);
        pending = next;
    }
    while folder_offsets.len() < layout.folders.len() {
        folder_offsets.push(sink.total);
    }
    Ok(folder_offsets)
}

/// The checksums of a batch's blocks, stored as they are or compressed into `encoded`,
/// and what `meanwhile` (reading the next batch) returned.
fn encode_batch<T>(
    chunks: &[&[u8]],
    compression: Compression,
    compressors: &mut [Compressor],
    encoded: &[Mutex<Vec<u8>>],
    first: usize,
    meanwhile: impl FnOnce() -> T,
) -> (Checksums, T) {
    match compression {
        Compression::None => {
            let checksums = chunks
                .iter()
                .map(|c| cfdata_checksum(c, c.len() as u16, c.len() as u16))
                .collect::<Vec<_>>();
            (Ok(checksums), meanwhile())
        }
        Compression::Mszip => compress_batch(chunks, compressors, encoded, first, meanwhile),
    }
}

/// The cabinet's output as it is written: its size so far, kept within the format's limit.
struct Sink<'w, W> {
    out: &'w mut W,
    total: u64,
    max: u64,
}

impl<W: Write> Sink<'_, W> {
    fn write_head(&mut self, head: &[u8]) -> Result<(), CabError> {
        self.out.write_all(head).map_err(output_err)?;
        self.total += head.len() as u64;
        self.check_size()
    }

    /// Writes a batch's CFDATAs in block order.
    fn write_batch(
        &mut self,
        chunks: &[&[u8]],
        checksums: Vec<u32>,
        encoded: &mut [Mutex<Vec<u8>>],
        compression: Compression,
    ) -> Result<(), CabError> {
        for (i, (data, csum)) in chunks.iter().zip(checksums).enumerate() {
            let payload: &[u8] = match compression {
                Compression::None => data,
                Compression::Mszip => encoded[i].get_mut().unwrap_or_else(|e| e.into_inner()),
            };
            let mut h = [0u8; CFDATA_HEADER_SIZE];
            h[..4].copy_from_slice(&csum.to_le_bytes());
            h[4..6].copy_from_slice(&(payload.len() as u16).to_le_bytes());
            h[6..].copy_from_slice(&(data.len() as u16).to_le_bytes());
            self.out.write_all(&h).map_err(output_err)?;
            self.out.write_all(payload).map_err(output_err)?;
            self.total += (CFDATA_HEADER_SIZE + payload.len()) as u64;
            self.check_size()?;
        }
        Ok(())
    }

    fn check_size(&self) -> Result<(), CabError> {
        if self.total > self.max {
            return Err(CabError::CabinetTooLarge {
                size: self.total,
                max: self.max,
            });
        }
        Ok(())
    }
}

/// Patches cbCabinet and each folder's coffCabStart into the cabinet written from `base`,
/// leaving `out` at the cabinet's end.
fn patch_sizes<W: Write + Seek>(
    out: &mut W,
    base: u64,
    total: u64,
    folder_offsets: &[u64],
) -> Result<(), CabError> {
    let end = out.stream_position().map_err(output_err)?;
    out.seek(SeekFrom::Start(base + 8)).map_err(output_err)?;
    out.write_all(&(total as u32).to_le_bytes())
        .map_err(output_err)?;
    for (i, off) in folder_offsets.iter().enumerate() {
        out.seek(SeekFrom::Start(
            base + (CFHEADER_SIZE + CFFOLDER_SIZE * i) as u64,
        ))
        .map_err(output_err)?;
        out.write_all(&(*off as u32).to_le_bytes())
            .map_err(output_err)?;
    }
    out.seek(SeekFrom::Start(end)).map_err(output_err)?;
    Ok(())
}

/// A batch's CFDATA checksum per block, or why it could not be compressed.
type Checksums = Result<Vec<u32>, CabError>;

/// Compresses `chunks` (consecutive blocks, the first being block `first`) into
/// `encoded[i]`, one block at a time to whichever of `compressors.len()` threads is free
/// (this one included, once `meanwhile` — reading the next batch — is done), so a run of
/// hard-to-compress blocks never leaves a thread idle. Returns the checksums and what
/// `meanwhile` returned. A thread that cannot be started leaves its share to the others.
fn compress_batch<T>(
    chunks: &[&[u8]],
    compressors: &mut [Compressor],
    encoded: &[Mutex<Vec<u8>>],
    first: usize,
    meanwhile: impl FnOnce() -> T,
) -> (Checksums, T) {
    let next = AtomicUsize::new(0);
    let work = |c: &mut Compressor| -> Result<Vec<(usize, u32)>, CabError> {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(data) = chunks.get(i) else {
                return Ok(done);
            };
            let mut out = encoded[i].lock().unwrap_or_else(|e| e.into_inner());
            out.clear();
            mszip_block(c, data, &mut out).map_err(|detail| CabError::Compression {
                block: first + i,
                detail,
            })?;
            done.push((
                i,
                cfdata_checksum(&out, out.len() as u16, data.len() as u16),
            ));
        }
    };
    let work = &work;
    let Some((own, others)) = compressors.split_last_mut() else {
        return (
            Err(CabError::Io("internal: no compressor".into())),
            meanwhile(),
        );
    };
    thread::scope(|s| {
        let handles: Vec<_> = others
            .iter_mut()
            .filter_map(|c| {
                thread::Builder::new()
                    .name("svcpack-cab".into())
                    .spawn_scoped(s, move || work(c))
                    .ok()
            })
            .collect();
        let value = meanwhile();
        let mut results = vec![work(own)];
        for h in handles {
            results.push(h.join().unwrap_or(Err(CabError::WorkerPanicked)));
        }
        let mut checksums = vec![0u32; chunks.len()];
        for r in results {
            match r {
                Ok(done) => {
                    for (i, c) in done {
                        checksums[i] = c;
                    }
                }
                Err(e) => return (Err(e), value),
            }
        }
        (Ok(checksums), value)
    })
}

/// Reads the folders' files in order, a batch at a time, a batch never crossing a folder.
struct Feed<'a, 'o, 'r> {
    items: &'a [CabItem<'a>],
    open: &'o mut Open<'o, 'r>,
    folders: &'a [Folder],
    next_folder: usize,
    /// The folder being read, its reader and its bytes not yet read.
    reader: Option<(usize, FolderReader<'a, 'r>, u64)>,
}

impl Feed<'_, '_, '_> {
    /// Fills the start of `buf` with the next batch: `(folder, bytes)`, or `None` once every
    /// folder was read (and every file, empty ones included, checked).
    fn next_batch(&mut self, buf: &mut [u8]) -> Result<Option<(usize, usize)>, CabError> {
        loop {
            if let Some((folder, reader, left)) = &mut self.reader {
                if *left > 0 {
                    let want = (*left).min(buf.len() as u64) as usize;
                    reader.fill(&mut *self.open, &mut buf[..want])?;
                    *left -= want as u64;
                    return Ok(Some((*folder, want)));
                }
                if let Some((_, reader, _)) = self.reader.take() {
                    reader.finish(&mut *self.open)?;
                }
            }
            let Some(folder) = self.folders.get(self.next_folder) else {
                return Ok(None);
            };
            let reader = FolderReader {
                items: self.items,
                next: folder.files.start,
                end: folder.files.end,
                current: None,
            };
            self.reader = Some((self.next_folder, reader, folder.size));
            self.next_folder += 1;
        }
    }
}

/// Opens a source file of the cabinet by its index.
type Open<'o, 'r> = dyn FnMut(usize) -> std::io::Result<Box<dyn Read + 'r>> + 'o;

/// Reads a folder's files back to back, checking each delivers exactly its size.
struct FolderReader<'a, 'r> {
    items: &'a [CabItem<'a>],
    next: usize,
    end: usize,
    /// (index, reader, bytes still expected)
    current: Option<(usize, Box<dyn Read + 'r>, u64)>,
}

impl<'r> FolderReader<'_, 'r> {
    fn fill(&mut self, open: &mut Open<'_, 'r>, mut buf: &mut [u8]) -> Result<(), CabError> {
        while !buf.is_empty() {
            if self.current.is_none() {
                self.advance(open)?;
            }
            let items = self.items;
            let Some((i, r, left)) = self.current.as_mut() else {
                return Err(CabError::Io("internal: folder ended early".into()));
            };
            if *left == 0 {
                self.close()?;
                continue;
            }
            let want = (*left).min(buf.len() as u64) as usize;
            let n = read_some(r, &mut buf[..want]).map_err(|e| io_error(items, *i, e))?;
            if n == 0 {
                return Err(changed(items, *i, "is shorter than when it was measured"));
            }
            *left -= n as u64;
            buf = &mut buf[n..];
        }
        Ok(())
    }

    fn advance(&mut self, open: &mut Open<'_, 'r>) -> Result<(), CabError> {
        if self.next >= self.end {
            return Ok(());
        }
        let i = self.next;
        self.next += 1;
        let r = open(i).map_err(|e| io_error(self.items, i, e))?;
        self.current = Some((i, r, self.items[i].size));
        Ok(())
    }

    /// Ends the current file: it must have nothing beyond its size.
    fn close(&mut self) -> Result<(), CabError> {
        if let Some((i, mut r, _)) = self.current.take() {
            let mut probe = [0u8; 1];
            if read_some(&mut r, &mut probe).map_err(|e| io_error(self.items, i, e))? > 0 {
                return Err(changed(self.items, i, "grew while it was being packed"));
            }
        }
        Ok(())
    }

    /// After the folder's last block: close the last file and check any trailing empty ones.
    fn finish(mut self, open: &mut Open<'_, 'r>) -> Result<(), CabError> {
        self.close()?;
        while self.next < self.end {
            self.advance(open)?;
            if let Some((i, _, left)) = &self.current {
                if *left > 0 {
                    return Err(changed(
                        self.items,
                        *i,
                        "is shorter than when it was measured",
                    ));
                }
            }
            self.close()?;
        }
        Ok(())
    }
}

fn changed(items: &[CabItem<'_>], i: usize, what: &str) -> CabError {
    CabError::SourceChanged {
        name: items[i].name.to_owned(),
        detail: format!("{what} ({} bytes)", items[i].size),
    }
}

fn io_error(items: &[CabItem<'_>], i: usize, e: std::io::Error) -> CabError {
    CabError::SourceChanged {
        name: items[i].name.to_owned(),
        detail: format!("cannot be read: {e}"),
    }
}

fn read_some(r: &mut Box<dyn Read + '_>, buf: &mut [u8]) -> std::io::Result<usize> {
    loop {
        match r.read(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

#[derive(Debug, Clone)]
struct Folder {
    /// Entries in this folder (contiguous, in cabinet order).
    files: std::ops::Range<usize>,
    /// Uncompressed bytes.
    size: u64,
    /// CFDATA blocks.
    blocks: usize,
}

/// Where every file goes; computed before any byte is read.
#[derive(Debug)]
struct Layout {
    folders: Vec<Folder>,
    file_offsets: Vec<u32>,
    file_folders: Vec<u16>,
}

impl Layout {
    /// `folder_bytes` must be a multiple of the block size and at most [`MAX_FOLDER_BYTES`].
    fn plan(entries: &[CabItem<'_>], folder_bytes: u64) -> Result<Layout, CabError> {
        if entries.len() > MAX_FILES {
            return Err(CabError::TooManyFiles {
                count: entries.len(),
                max: MAX_FILES,
            });
        }
        for e in entries {
            check_name(e.name)?;
            if e.size > folder_bytes {
                return Err(CabError::FileTooLarge {
                    name: e.name.to_owned(),
                    size: e.size,
                    max: folder_bytes,
                });
            }
        }

        // Greedy: keep appending files to the current folder until the next one would
        // push it past the block limit. A new folder costs a little ratio and nothing else.
        let mut folders = Vec::new();
        let mut file_offsets = Vec::with_capacity(entries.len());
        let mut file_folders = Vec::with_capacity(entries.len());
        let mut first = 0usize;
        let mut size = 0u64;
        for (i, e) in entries.iter().enumerate() {
            if size + e.size > folder_bytes {
                folders.push((first..i, size));
                first = i;
                size = 0;
            }
            file_offsets.push(size as u32);
            // At most one folder per file, so this fits the 16-bit iFolder.
            file_folders.push(folders.len() as u16);
            size += e.size;
        }
        if !entries.is_empty() {
            folders.push((first..entries.len(), size));
        }
        let folders = folders
            .into_iter()
            .map(|(files, size)| Folder {
                files,
                size,
                blocks: size.div_ceil(BLOCK_SIZE as u64) as usize,
            })
            .collect();
        Ok(Layout {
            folders,
            file_offsets,
            file_folders,
        })
    }
}

fn check_name(name: &str) -> Result<(), CabError> {
    let reason = if name.is_empty() {
        "the name is empty"
    } else if name.len() > MAX_NAME_BYTES {
        "the name is longer than 255 bytes (UTF-8)"
    } else if name.contains('\0') {
        "the name contains a NUL character"
    } else {
        return Ok(());
    };
    Err(CabError::InvalidName {
        name: name.to_owned(),
        reason,
    })
}

/// Appends one MSZIP block for `data` (1..=32768 bytes) to `out`: "CK" and a complete
/// raw deflate stream that needs no earlier block to decode.
///
/// The deflate stream is capped at the size of a single stored block, so incompressible
/// data costs 5 bytes of overhead and cbData never exceeds 32775 (the format allows
/// 32768 + 12).
fn mszip_block(compressor: &mut Compressor, data: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
    let stored_len = data.len() + 5;
    out.extend_from_slice(b"CK");
    let start = out.len();
    out.resize(start + stored_len, 0);
    // libdeflate fails with InsufficientSpace when the output would not fit in a stored
    // block's size; a stored block is then the smaller encoding.
    match compressor.deflate_compress(data, &mut out[start..]) {
        Ok(written) => {
            out.truncate(start + written);
            Ok(())
        }
        Err(libdeflater::CompressionError::InsufficientSpace) => {
            out.truncate(start);
            // BFINAL=1, BTYPE=00 (stored), padded to the byte boundary; LEN, NLEN.
            let len = data.len() as u16;
            out.push(0x01);
            out.extend_from_slice(&len.to_le_bytes());
            out.extend_from_slice(&(!len).to_le_bytes());
            out.extend_from_slice(data);
            Ok(())
        }
    }
}

/// The CFDATA checksum (MS-CAB 2.9): XOR of the payload taken as little-endian 32-bit
/// words, with a 1–3 byte tail folded in most-significant-byte first, then XORed with
/// the cbData/cbUncomp header words.
fn cfdata_checksum(payload: &[u8], cb_data: u16, cb_uncomp: u16) -> u32 {
    let mut csum = 0u32;
    let mut wide = payload.chunks_exact(8);
    let mut acc = 0u64;
    for c in &mut wide {
        acc ^= u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
    }
    // XOR of two aligned 32-bit lanes is the same as XORing their words one by one.
    csum ^= (acc as u32) ^ ((acc >> 32) as u32);
    let mut words = wide.remainder().chunks_exact(4);
    for c in &mut words {
        csum ^= u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
    }
    let mut tail = 0u32;
    for &b in words.remainder() {
        tail = (tail << 8) | u32::from(b);
    }
    csum ^= tail;
    csum ^ (u32::from(cb_data) | (u32::from(cb_uncomp) << 16))
}

fn put_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Read};
    use std::path::{Path, PathBuf};
    use std::process::Command;
    use svcpack_civil::civil_from_days;

    /// Deterministic pseudo-random bytes (xorshift64*), incompressible for deflate.
    fn noise(len: usize, seed: u64) -> Vec<u8> {
        let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let mut out = Vec::with_capacity(len + 8);
        while out.len() < len {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            out.extend_from_slice(&x.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
        }
        out.truncate(len);
        out
    }

    /// Compressible text that still varies (log-like lines).
    fn text(len: usize, seed: u64) -> Vec<u8> {
        let words = [
            "INFO",
            "WARN",
            "request",
            "served",
            "ledger",
            "agent",
            "port",
            "18431",
            "ok",
            "latency_ms=",
            "user=",
            "retrying",
            "connection",
            "closed",
            "\n",
        ];
        let pick = noise(len / 2 + 16, seed);
        let mut out = Vec::with_capacity(len + 16);
        let mut i = 0;
        while out.len() < len {
            let b = pick[i % pick.len()];
            out.extend_from_slice(words[b as usize % words.len()].as_bytes());
            if b & 0x80 != 0 {
                out.extend_from_slice(format!("{}", b as u32 * 37).as_bytes());
            }
            out.push(b' ');
            i += 1;
        }
        out.truncate(len);
        out
    }

    /// A service log as svcpack's users would ship one: timestamped, templated lines with
    /// varying fields (ids, addresses, latencies) and the odd error.
    fn service_log(len: usize, seed: u64) -> Vec<u8> {
        const PATHS: [&str; 6] = [
            "/v1/accounts/{}/balance",
            "/v1/accounts/{}/entries",
            "/v1/ledger/{}",
            "/healthz",
            "/v1/transfers/{}",
            "/metrics",
        ];
        let r = noise(len / 4 + 64, seed);
        let mut next = {
            let mut i = 0usize;
            move || {
                i += 4;
                u32::from_le_bytes([
                    r[i % r.len()],
                    r[(i + 1) % r.len()],
                    r[(i + 2) % r.len()],
                    r[(i + 3) % r.len()],
                ])
            }
        };
        let mut out = Vec::with_capacity(len + 256);
        let mut ms: u64 = 1_741_944_413_000;
        while out.len() < len {
            ms += u64::from(next() % 900);
            let (secs, milli) = (ms / 1000, ms % 1000);
            let (y, mo, d) = civil_from_days((secs / 86_400) as i64);
            let t = secs % 86_400;
            let stamp = format!(
                "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}.{milli:03}Z",
                t / 3600,
                t / 60 % 60,
                t % 60
            );
            let v = next();
            let line = match v % 16 {
                0 => format!(
                    "{stamp} WARN ledger_agent::db: slow query table=entries rows={} elapsed_ms={}\n",
                    next() % 5000,
                    200 + next() % 3000
                ),
                1 => format!(
                    "{stamp} ERROR ledger_agent::upstream: connection to 10.0.{}.{}:5432 failed: \
                     connection reset by peer (os error 104); retrying in {} s\n",
                    next() % 4,
                    next() % 256,
                    1 + next() % 30
                ),
                2 => format!(
                    "{stamp} DEBUG ledger_agent::cache: evicted {} entries, {} bytes resident\n",
                    next() % 100,
                    next()
                ),
                _ => {
                    let path = PATHS[(next() % 6) as usize].replace("{}", &(next() % 100_000).to_string());
                    let method = if next() % 5 == 0 { "POST" } else { "GET" };
                    let status = [200, 200, 200, 201, 204, 404, 500][(next() % 7) as usize];
                    format!(
                        "{stamp}  INFO ledger_agent::http: request served method={method} path={path} \
                         status={status} bytes={} latency_ms={} peer=10.0.{}.{}:{} req_id={:08x}\n",
                        next() % 20_000,
                        next() % 120,
                        next() % 4,
                        next() % 256,
                        1024 + next() % 60_000,
                        next()
                    )
                }
            };
            out.extend_from_slice(line.as_bytes());
        }
        out.truncate(len);
        out
    }

    fn opts(compression: Compression, threads: usize) -> CabOptions {
        CabOptions {
            compression,
            timestamp: 1_700_000_000,
            threads,
        }
    }

    /// Reads the cabinet back with the independent `cab` crate: every file's name, size,
    /// attributes and date, in cabinet order, and the contents of all files (or, for big
    /// cabinets, of a sample: the crate decodes a folder from its start for every file).
    fn assert_round_trip(entries: &[CabEntry<'_>], cab_bytes: &[u8]) {
        let mut cabinet = cab::Cabinet::new(Cursor::new(cab_bytes)).expect("cab crate parses it");
        let mut names = Vec::new();
        for folder in cabinet.folder_entries() {
            for f in folder.file_entries() {
                let e = entries.get(names.len()).expect("no extra files");
                assert_eq!(f.name(), e.name);
                assert_eq!(f.uncompressed_size() as usize, e.data.len(), "{}", e.name);
                assert!(f.is_archive());
                assert_eq!(f.is_name_utf(), !e.name.is_ascii());
                assert!(!f.is_read_only() && !f.is_hidden() && !f.is_system());
                // opts() stamps 1_700_000_000: 2023-11-14 22:13:20 UTC.
                let when = f.datetime().map(|d| d.to_string()).unwrap_or_default();
                assert!(when.starts_with("2023-11-14 22:13:20"), "{when}");
                names.push(f.name().to_owned());
            }
        }
        assert_eq!(names.len(), entries.len(), "file count");
        let step = if entries.len() <= 64 {
            1
        } else {
            entries.len() / 32
        };
        for (i, e) in entries.iter().enumerate() {
            if i % step != 0 && i + 1 != entries.len() {
                continue;
            }
            let mut data = Vec::new();
            cabinet
                .read_file(e.name)
                .expect("file opens")
                .read_to_end(&mut data)
                .expect("file decodes");
            assert!(e.data == data.as_slice(), "contents of {}", e.name);
        }
    }

    fn tool(name: &str) -> bool {
        let found = Command::new(name).arg("--version").output().is_ok();
        if !found {
            // CI installs every tool these checks use: there, a missing one is a failure.
            assert!(
                !std::env::var_os("SVCPACK_REQUIRE_TOOLS").is_some_and(|v| v == "1"),
                "SVCPACK_REQUIRE_TOOLS=1 but `{name}` is not on PATH"
            );
            println!("notice: `{name}` not found on PATH; skipping its check");
        }
        found
    }

    struct TempDir(PathBuf);
    impl TempDir {
        fn new(tag: &str) -> TempDir {
            use std::sync::atomic::AtomicU32;
            static N: AtomicU32 = AtomicU32::new(0);
            let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let dir =
                std::env::temp_dir().join(format!("svcpack-cab-{}-{tag}-{n}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).expect("temp dir");
            TempDir(dir)
        }
        fn path(&self) -> &Path {
            &self.0
        }
    }
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// Checks the cabinet with cabextract and gcab when they are installed: both test
    /// checksums and decode every block; contents are compared byte for byte.
    fn assert_external_tools(entries: &[CabEntry<'_>], cab_bytes: &[u8]) {
        let dir = TempDir::new("ext");
        let cab_path = dir.path().join("test.cab");
        std::fs::write(&cab_path, cab_bytes).expect("write cab");
        if tool("cabextract") {
            let out = Command::new("cabextract")
                .arg("-t")
                .arg(&cab_path)
                .output()
                .expect("run cabextract");
            assert!(
                out.status.success(),
                "cabextract -t failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            if !entries.is_empty() {
                let out = Command::new("cabextract")
                    .arg("-q")
                    .arg("-p")
                    .arg(&cab_path)
                    .output()
                    .expect("run cabextract -p");
                assert!(out.status.success(), "cabextract -p failed");
                let expected: Vec<u8> = entries
                    .iter()
                    .flat_map(|e| e.data.iter().copied())
                    .collect();
                assert!(out.stdout == expected, "cabextract -p contents differ");
            }
        }
        if tool("gcab") && !entries.is_empty() {
            let x = dir.path().join("x");
            std::fs::create_dir_all(&x).expect("mkdir");
            let out = Command::new("gcab")
                .arg("-x")
                .arg("-C")
                .arg(&x)
                .arg(&cab_path)
                .output()
                .expect("run gcab");
            assert!(
                out.status.success(),
                "gcab -x failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            for e in entries {
                let got = std::fs::read(x.join(e.name)).expect("gcab extracted the file");
                assert!(got == e.data, "gcab contents of {}", e.name);
            }
        }
    }

    fn check_all(entries: &[CabEntry<'_>]) {
        for compression in [Compression::Mszip, Compression::None] {
            let bytes = build_cabinet(entries, &opts(compression, 2)).expect("builds");
            assert_round_trip(entries, &bytes);
            assert_external_tools(entries, &bytes);
        }
    }

    #[test]
    fn checksum_matches_reference_value() {
        // Value from the `cab` crate's own tests: header words then "Hello, world!\n".
        assert_eq!(cfdata_checksum(b"Hello, world!\n", 14, 14), 0x7f2e1a4c);
        // The 1-3 byte tail is folded most-significant-byte first.
        assert_eq!(cfdata_checksum(&[1, 2, 3], 0, 0), 0x0001_0203);
        assert_eq!(cfdata_checksum(&[1, 2, 3, 4, 5], 0, 0), 0x0403_0201 ^ 5);
        assert_eq!(cfdata_checksum(&[], 3, 4), 0x0004_0003);
    }

    #[test]
    fn wide_checksum_equals_word_by_word() {
        for len in 0..40 {
            let data = noise(len, len as u64 + 1);
            let mut simple = 0u32;
            let mut words = data.chunks_exact(4);
            for w in &mut words {
                simple ^= u32::from_le_bytes([w[0], w[1], w[2], w[3]]);
            }
            let mut tail = 0u32;
            for &b in words.remainder() {
                tail = (tail << 8) | u32::from(b);
            }
            simple ^= tail;
            assert_eq!(cfdata_checksum(&data, 0, 0), simple, "len {len}");
        }
    }

    #[test]
    fn header_layout_is_as_specified() {
        let entries = [CabEntry {
            name: "a.txt",
            data: b"hello",
        }];
        let b = build_cabinet(&entries, &opts(Compression::None, 1)).expect("builds");
        assert_eq!(&b[0..4], b"MSCF");
        assert_eq!(
            u32::from_le_bytes(b[8..12].try_into().unwrap()) as usize,
            b.len()
        );
        assert_eq!(u32::from_le_bytes(b[16..20].try_into().unwrap()), 44); // coffFiles
        assert_eq!((b[24], b[25]), (3, 1)); // version 1.3
        assert_eq!(u16::from_le_bytes([b[26], b[27]]), 1); // cFolders
        assert_eq!(u16::from_le_bytes([b[28], b[29]]), 1); // cFiles
                                                           // CFFOLDER: data right after the single CFFILE (16 + "a.txt\0").
        assert_eq!(u32::from_le_bytes(b[36..40].try_into().unwrap()), 44 + 22);
        assert_eq!(u16::from_le_bytes([b[40], b[41]]), 1); // cCFData
        assert_eq!(u16::from_le_bytes([b[42], b[43]]), 0); // typeCompress none
        let (date, time) = dos_date_time(1_700_000_000);
        assert_eq!(u16::from_le_bytes([b[54], b[55]]), date);
        assert_eq!(u16::from_le_bytes([b[56], b[57]]), time);
        assert_eq!(u16::from_le_bytes([b[58], b[59]]), ATTR_ARCHIVE);
        assert_eq!(&b[60..66], b"a.txt\0");
        assert_eq!(u16::from_le_bytes([b[70], b[71]]), 5); // cbData
        assert_eq!(u16::from_le_bytes([b[72], b[73]]), 5); // cbUncomp
        assert_eq!(&b[74..], b"hello");
        let csum = u32::from_le_bytes(b[66..70].try_into().unwrap());
        assert_eq!(csum, cfdata_checksum(b"hello", 5, 5));
    }

    #[test]
    fn dos_dates_clamp_and_convert() {
        assert_eq!(dos_date_time(0), (0x21, 0)); // before 1980: 1980-01-01 00:00:00
        assert_eq!(dos_date_time(315_532_800), (0x21, 0));
        // 2023-11-14 22:13:20 UTC
        assert_eq!(
            dos_date_time(1_700_000_000),
            ((43 << 9) | (11 << 5) | 14, (22 << 11) | (13 << 5) | 10)
        );
        // 2000-02-29 23:59:59 UTC (leap day; odd seconds round down)
        assert_eq!(
            dos_date_time(951_868_799),
            ((20 << 9) | (2 << 5) | 29, (23 << 11) | (59 << 5) | 29)
        );
        let max = ((127 << 9) | (12 << 5) | 31, (23 << 11) | (59 << 5) | 29);
        assert_eq!(dos_date_time(4_354_819_199), max);
        assert_eq!(dos_date_time(4_354_819_200), max);
        assert_eq!(dos_date_time(u64::MAX), max);
        assert_eq!(civil_from_days(50_403), (2108, 1, 1));
    }

    #[test]
    fn zero_files_give_a_header_only_cabinet() {
        for compression in [Compression::Mszip, Compression::None] {
            let b = build_cabinet(&[], &opts(compression, 0)).expect("builds");
            assert_eq!(b.len(), CFHEADER_SIZE);
            assert_eq!(u32::from_le_bytes(b[8..12].try_into().unwrap()), 36); // cbCabinet
            assert_eq!(u32::from_le_bytes(b[16..20].try_into().unwrap()), 36); // coffFiles
            assert_eq!(&b[26..30], &[0, 0, 0, 0]); // cFolders, cFiles
            assert_round_trip(&[], &b);
            // cabextract (libmspack) rejects cabinets without files, so only gcab is asked.
            if tool("gcab") {
                let dir = TempDir::new("empty");
                let path = dir.path().join("empty.cab");
                std::fs::write(&path, &b).expect("write cab");
                let out = Command::new("gcab")
                    .arg("-t")
                    .arg(&path)
                    .output()
                    .expect("run gcab");
                assert!(
                    out.status.success(),
                    "gcab -t: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                assert!(out.stdout.is_empty());
            }
        }
    }

    #[test]
    fn empty_files_and_exact_block() {
        let exact = text(BLOCK_SIZE, 1);
        check_all(&[CabEntry {
            name: "empty",
            data: b"",
        }]);
        check_all(&[CabEntry {
            name: "exact",
            data: &exact,
        }]);
        check_all(&[
            CabEntry {
                name: "e1",
                data: b"",
            },
            CabEntry {
                name: "exact",
                data: &exact,
            },
            CabEntry {
                name: "e2",
                data: b"",
            },
            CabEntry {
                name: "one",
                data: b"x",
            },
            CabEntry {
                name: "e3",
                data: b"",
            },
        ]);
    }

    #[test]
    fn files_spanning_block_boundaries() {
        let a = text(BLOCK_SIZE - 1, 2);
        let b = noise(2, 3);
        let c = text(3 * BLOCK_SIZE + 17, 4);
        let d = noise(BLOCK_SIZE + 1, 5);
        check_all(&[
            CabEntry {
                name: "a",
                data: &a,
            },
            CabEntry {
                name: "b",
                data: &b,
            },
            CabEntry {
                name: "c",
                data: &c,
            },
            CabEntry {
                name: "d",
                data: &d,
            },
        ]);
    }

    #[test]
    fn many_small_files() {
        let blobs: Vec<Vec<u8>> = (0..1500)
            .map(|i| {
                if i % 3 == 0 {
                    noise(i % 700, i as u64)
                } else {
                    text(i * 7 % 3000, i as u64)
                }
            })
            .collect();
        let names: Vec<String> = (0..blobs.len()).map(|i| format!("file{i}.dat")).collect();
        let entries: Vec<CabEntry<'_>> = names
            .iter()
            .zip(&blobs)
            .map(|(n, d)| CabEntry { name: n, data: d })
            .collect();
        check_all(&entries);
    }

    #[test]
    fn incompressible_data_stays_within_cbdata_limit() {
        let random = noise(5 * BLOCK_SIZE + 123, 9);
        let entries = [CabEntry {
            name: "random.bin",
            data: &random,
        }];
        check_all(&entries);
        let b = build_cabinet(&entries, &opts(Compression::Mszip, 1)).expect("builds");
        // Every block falls back to one stored deflate block: "CK" + 5 + data.
        let data_start = 36 + 8 + 16 + "random.bin".len() + 1;
        let mut pos = data_start;
        while pos < b.len() {
            let cb_data = u16::from_le_bytes([b[pos + 4], b[pos + 5]]) as usize;
            let cb_uncomp = u16::from_le_bytes([b[pos + 6], b[pos + 7]]) as usize;
            assert!(cb_data <= BLOCK_SIZE + 12);
            assert_eq!(cb_data, cb_uncomp + 7);
            assert_eq!(&b[pos + 8..pos + 10], b"CK");
            pos += 8 + cb_data;
        }
        assert_eq!(pos, b.len());
    }

    #[test]
    fn non_ascii_names_are_flagged_utf8() {
        let entries = [
            CabEntry {
                name: "plain.txt",
                data: b"ascii",
            },
            CabEntry {
                name: "café_服务.txt",
                data: b"unicode",
            },
        ];
        check_all(&entries);
        let b = build_cabinet(&entries, &opts(Compression::None, 1)).expect("builds");
        let first = 44;
        let second = first + 16 + "plain.txt".len() + 1;
        assert_eq!(
            u16::from_le_bytes([b[first + 14], b[first + 15]]),
            ATTR_ARCHIVE
        );
        assert_eq!(
            u16::from_le_bytes([b[second + 14], b[second + 15]]),
            ATTR_ARCHIVE | ATTR_NAME_IS_UTF
        );
        let name_end = second + 16 + "café_服务.txt".len();
        assert_eq!(&b[second + 16..name_end], "café_服务.txt".as_bytes());
        assert_eq!(b[name_end], 0);
    }

    #[test]
    fn output_is_identical_for_any_thread_count() {
        let a = text(300_000, 11);
        let r = noise(100_000, 12);
        let entries = [
            CabEntry {
                name: "a",
                data: &a,
            },
            CabEntry {
                name: "r",
                data: &r,
            },
            CabEntry {
                name: "a2",
                data: &a,
            },
        ];
        let one = build_cabinet(&entries, &opts(Compression::Mszip, 1)).expect("builds");
        for threads in [2, 7, 0, 1000] {
            let other =
                build_cabinet(&entries, &opts(Compression::Mszip, threads)).expect("builds");
            assert!(one == other, "{threads} threads differ from 1");
        }
        assert_round_trip(&entries, &one);
    }

    #[test]
    fn deflate_level_is_valid() {
        assert!(CompressionLvl::new(DEFLATE_LEVEL).is_ok());
    }

    /// Walks the CFDATA blocks of a single-folder cabinet and inflates each one with an
    /// empty history: this fails if any block refers back into an earlier one.
    #[test]
    fn mszip_blocks_decode_independently() {
        let a = text(5 * BLOCK_SIZE + 99, 40);
        let entries = [
            CabEntry {
                name: "a",
                data: &a,
            },
            CabEntry {
                name: "a-again",
                data: &a,
            },
        ];
        let b = build_cabinet(&entries, &opts(Compression::Mszip, 3)).expect("builds");
        let mut pos = u32::from_le_bytes(b[36..40].try_into().unwrap()) as usize;
        let blocks = u16::from_le_bytes([b[40], b[41]]);
        let mut all = Vec::new();
        for _ in 0..blocks {
            let csum = u32::from_le_bytes(b[pos..pos + 4].try_into().unwrap());
            let cb_data = u16::from_le_bytes([b[pos + 4], b[pos + 5]]) as usize;
            let cb_uncomp = u16::from_le_bytes([b[pos + 6], b[pos + 7]]);
            let payload = &b[pos + 8..pos + 8 + cb_data];
            assert_eq!(csum, cfdata_checksum(payload, cb_data as u16, cb_uncomp));
            assert_eq!(&payload[..2], b"CK");
            let plain =
                miniz_oxide::inflate::decompress_to_vec(&payload[2..]).expect("inflates alone");
            assert_eq!(plain.len(), usize::from(cb_uncomp));
            all.extend_from_slice(&plain);
            pos += 8 + cb_data;
        }
        assert_eq!(pos, b.len());
        assert!(all == [a.as_slice(), a.as_slice()].concat());
    }

    #[test]
    fn reused_compressor_matches_fresh_one() {
        let data = text(BLOCK_SIZE, 13);
        let other = noise(BLOCK_SIZE, 14);
        let mut reused = new_compressor();
        let mut out_reused = Vec::new();
        mszip_block(&mut reused, &other, &mut out_reused).expect("compresses");
        mszip_block(&mut reused, &data, &mut out_reused).expect("compresses");
        let mut fresh = new_compressor();
        let mut out_fresh = Vec::new();
        mszip_block(&mut fresh, &data, &mut out_fresh).expect("compresses");
        assert!(out_reused.ends_with(&out_fresh));
        assert!(out_fresh.len() < BLOCK_SIZE / 2, "text compresses");
    }

    #[test]
    fn large_payload_splits_into_folders() {
        // A tiny folder limit (3 blocks) forces several folders; files never span them.
        let limits = Limits {
            folder_bytes: 3 * BLOCK_SIZE as u64,
            cabinet_bytes: MAX_CABINET_BYTES,
        };
        let a = text(2 * BLOCK_SIZE + 5, 20);
        let b = noise(BLOCK_SIZE, 21);
        let c = text(3 * BLOCK_SIZE, 22);
        let d = text(10, 23);
        let entries = [
            CabEntry {
                name: "a",
                data: &a,
            },
            CabEntry {
                name: "b",
                data: &b,
            },
            CabEntry {
                name: "empty",
                data: b"",
            },
            CabEntry {
                name: "c",
                data: &c,
            },
            CabEntry {
                name: "d",
                data: &d,
            },
        ];
        for compression in [Compression::Mszip, Compression::None] {
            let bytes =
                build_with_limits(&entries, &opts(compression, 3), &limits).expect("builds");
            // Batches are read ahead while the previous one is compressed, across folder
            // boundaries too: the bytes are the same for any worker count.
            for threads in [1, 2, 16] {
                let other = build_with_limits(&entries, &opts(compression, threads), &limits)
                    .expect("builds");
                assert!(
                    other == bytes,
                    "{compression:?}: {threads} threads differ from 3"
                );
            }
            // a | b, empty | c | d: each next file would overflow the 3-block folder.
            assert_eq!(u16::from_le_bytes([bytes[26], bytes[27]]), 4, "cFolders");
            assert_round_trip(&entries, &bytes);
            assert_external_tools(&entries, &bytes);
        }
        let big = text(3 * BLOCK_SIZE + 1, 24);
        let err = build_with_limits(
            &[CabEntry {
                name: "big",
                data: &big,
            }],
            &opts(Compression::None, 1),
            &limits,
        )
        .unwrap_err();
        assert!(matches!(err, CabError::FileTooLarge { size, .. } if size == big.len() as u64));
        assert!(err.to_string().contains("`big`"));
    }

    #[test]
    fn cabinet_size_limit_is_an_error() {
        let limits = Limits {
            folder_bytes: MAX_FOLDER_BYTES,
            cabinet_bytes: 1000,
        };
        let data = noise(2000, 30);
        let err = build_with_limits(
            &[CabEntry {
                name: "x",
                data: &data,
            }],
            &opts(Compression::Mszip, 1),
            &limits,
        )
        .unwrap_err();
        assert!(matches!(err, CabError::CabinetTooLarge { .. }), "{err}");
    }

    #[test]
    fn file_count_limit() {
        let entries: Vec<CabEntry<'_>> = (0..=MAX_FILES)
            .map(|_| CabEntry {
                name: "f",
                data: b"",
            })
            .collect();
        let err = build_cabinet(&entries, &opts(Compression::Mszip, 1)).unwrap_err();
        assert!(
            matches!(err, CabError::TooManyFiles { count: 65536, .. }),
            "{err}"
        );
        let names: Vec<String> = (0..MAX_FILES).map(|i| format!("f{i}")).collect();
        let entries: Vec<CabEntry<'_>> = names
            .iter()
            .map(|n| CabEntry {
                name: n,
                data: b"z",
            })
            .collect();
        let b = build_cabinet(&entries, &opts(Compression::Mszip, 2)).expect("65535 files fit");
        assert_round_trip(&entries, &b);
    }

    #[test]
    fn bad_names_are_errors() {
        let long = "n".repeat(256);
        for name in ["", "a\0b", long.as_str()] {
            let err = build_cabinet(&[CabEntry { name, data: b"" }], &opts(Compression::None, 1))
                .unwrap_err();
            assert!(matches!(err, CabError::InvalidName { .. }), "{err}");
        }
        let ok = "n".repeat(255);
        let entries = [CabEntry {
            name: &ok,
            data: b"max name",
        }];
        check_all(&entries);
    }

    /// Process CPU seconds (own, reaped children) from /proc/self/stat, so timings stay
    /// meaningful on a machine shared with other work. `None` off Linux.
    fn cpu_seconds() -> Option<(f64, f64)> {
        let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
        // After the command name: field 3 is index 0, so utime/stime/cutime/cstime are 11..=14.
        let tick = |i: usize| {
            fields
                .get(i)
                .and_then(|v| v.parse::<f64>().ok())
                .map(|t| t / 100.0)
        };
        Some((tick(11)? + tick(12)?, tick(13)? + tick(14)?))
    }

    fn gcab_size(dir: &Path, files: &[&str]) -> u64 {
        let status = Command::new("gcab")
            .current_dir(dir)
            .args(["-c", "-z", "gcab.cab"])
            .args(files)
            .status()
            .expect("run gcab");
        assert!(status.success());
        std::fs::metadata(dir.join("gcab.cab"))
            .expect("gcab output")
            .len()
    }

    /// Run with `cargo test --release --lib wix::cab -- --ignored --nocapture bench_vs_gcab`.
    /// `SVCPACK_CAB_BENCH_EXE` names the executable to pack (default: this test binary);
    /// an 8 MiB service log is generated. Prints wall and CPU time for 1 and 2 threads
    /// against `gcab -c -z`, and sizes for the payload and for each file alone.
    #[test]
    #[ignore = "benchmark; needs a release build and gcab"]
    fn bench_vs_gcab() {
        use std::time::Instant;
        const RUNS: u32 = 5;
        let exe_path = std::env::var_os("SVCPACK_CAB_BENCH_EXE")
            .map(PathBuf::from)
            .unwrap_or_else(|| std::env::current_exe().expect("current exe"));
        let exe = std::fs::read(&exe_path).expect("read exe");
        let log = service_log(8 << 20, 77);
        let entries = [
            CabEntry {
                name: "service.exe",
                data: &exe,
            },
            CabEntry {
                name: "service.log",
                data: &log,
            },
        ];
        println!(
            "payload: {} ({} bytes) + generated log ({} bytes) = {} bytes",
            exe_path.display(),
            exe.len(),
            log.len(),
            exe.len() + log.len()
        );

        let mut ours = Vec::new();
        for threads in [1, 2] {
            let mut best = f64::MAX;
            let cpu0 = cpu_seconds();
            for _ in 0..RUNS {
                let t = Instant::now();
                ours = build_cabinet(&entries, &opts(Compression::Mszip, threads)).expect("builds");
                best = best.min(t.elapsed().as_secs_f64());
            }
            let cpu = cpu0
                .zip(cpu_seconds())
                .map(|(a, b)| (b.0 - a.0) / f64::from(RUNS));
            println!(
                "svcpack threads={threads}: wall {best:.3} s (best of {RUNS}), cpu {} s/run, {} bytes",
                cpu.map_or("n/a".into(), |c| format!("{c:.3}")),
                ours.len()
            );
        }
        assert_round_trip(&entries, &ours);

        if !tool("gcab") {
            return;
        }
        let dir = TempDir::new("bench");
        for e in &entries {
            std::fs::write(dir.path().join(e.name), e.data).expect("write input");
        }
        let mut best = f64::MAX;
        let mut gcab_total = 0;
        let cpu0 = cpu_seconds();
        for _ in 0..RUNS {
            let t = Instant::now();
            gcab_total = gcab_size(dir.path(), &["service.exe", "service.log"]);
            best = best.min(t.elapsed().as_secs_f64());
        }
        let cpu = cpu0
            .zip(cpu_seconds())
            .map(|(a, b)| (b.1 - a.1) / f64::from(RUNS));
        println!(
            "gcab -z threads=1: wall {best:.3} s (best of {RUNS}), cpu {} s/run, {gcab_total} bytes",
            cpu.map_or("n/a".into(), |c| format!("{c:.3}"))
        );
        for e in &entries {
            let mine = build_cabinet(&[*e], &opts(Compression::Mszip, 0))
                .expect("builds")
                .len();
            let theirs = gcab_size(dir.path(), &[e.name]);
            println!(
                "  {} alone: svcpack {mine} bytes, gcab {theirs} bytes ({:+.3}%)",
                e.name,
                (mine as f64 / theirs as f64 - 1.0) * 100.0
            );
        }
        assert!(
            ours.len() as u64 <= gcab_total,
            "our cabinet is larger than gcab's"
        );
    }
}
