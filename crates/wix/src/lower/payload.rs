//! The payload: each source file read once for its size and MD5, and a versioned PE file
//! for its File.Version and File.Language (authored values win). Files over 2 GiB are
//! refused here, at the element, because the File table's FileSize column cannot hold them.

use crate::error::{Result, WixError};
use crate::model::FileDef;
use crate::stream::SourceFile;

/// The File table's FileSize column is a signed 32-bit integer (File table,
/// https://learn.microsoft.com/windows/win32/msi/file-table); a cabinet's CFFILE size is
/// 32 bits and its folder holds less (65,535 blocks of 32 KiB), so no larger file can be
/// packaged at all.
const MAX_FILE_BYTES: u64 = i32::MAX as u64;

fn too_large(f: &FileDef, size: u64) -> WixError {
    WixError::new(
        f.loc.clone(),
        format!(
            "source file `{}` of File `{}` is {size} bytes, but Windows Installer packages \
             files of at most {MAX_FILE_BYTES} bytes (2 GiB - 1: the File table's FileSize \
             column is 32-bit signed)",
            f.source.display(),
            f.id
        ),
    )
}

pub(super) struct FileData {
    /// Size and MD5, measured once; the bytes are read again only into the cabinet.
    pub source: SourceFile,
    pub version: Option<String>,
    pub language: Option<String>,
}

/// Measures every file (the result is indexed like `files`). Files are read on as many
/// threads as there are cores, each hashing whole files; a bad file is reported as the
/// first in authoring order, whatever thread met it.
pub(super) fn read_payload(files: &[FileDef]) -> Result<Vec<FileData>> {
    // Sized before anything is read: a 4 GB file is refused at once, not after hashing.
    for f in files {
        if let Ok(meta) = std::fs::metadata(&f.source) {
            if meta.len() > MAX_FILE_BYTES {
                return Err(too_large(f, meta.len()));
            }
        }
    }
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(files.len());
    if threads <= 1 {
        return files.iter().map(measure).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut done: Vec<(usize, Result<FileData>)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(f) = files.get(i) else { break };
                        let r = measure(f);
                        let failed = r.is_err();
                        mine.push((i, r));
                        if failed {
                            break;
                        }
                    }
                    mine
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_default())
            .collect()
    });
    done.sort_by_key(|(i, _)| *i);
    // A worker stops at its first error: the files after it were never measured, so the
    // first error in authoring order is among those seen before a gap.
    let mut data = Vec::with_capacity(files.len());
    for (i, r) in done {
        if i != data.len() {
            break;
        }
        data.push(r?);
    }
    if data.len() != files.len() {
        return Err(WixError::new(
            files[data.len()].loc.clone(),
            format!(
                "internal: source file `{}` was not measured",
                files[data.len()].source.display()
            ),
        ));
    }
    Ok(data)
}

/// Reads one file: size, MD5, and a versioned PE's File.Version and File.Language.
fn measure(f: &FileDef) -> Result<FileData> {
    let scanned = crate::stream::scan_file(&f.source).map_err(|e| {
        WixError::new(
            f.loc.clone(),
            format!(
                "cannot read source file `{}` of File `{}`: {e}",
                f.source.display(),
                f.id
            ),
        )
    })?;
    let (mut version, mut language) = (None, None);
    if let Some(bytes) = &scanned.pe {
        if let Ok(info) = svcpack_pe::inspect(bytes) {
            if let Some(v) = info.file_version {
                version = Some(format!("{}.{}.{}.{}", v[0], v[1], v[2], v[3]));
                language = Some(info.language.unwrap_or(0).to_string());
            }
        }
    }
    if f.version.is_some() {
        version = f.version.clone();
    }
    if f.language.is_some() {
        language = f.language.clone();
    }
    if scanned.size > MAX_FILE_BYTES {
        return Err(too_large(f, scanned.size));
    }
    Ok(FileData {
        source: SourceFile {
            path: f.source.clone(),
            size: scanned.size,
            md5: scanned.md5,
            check: scanned.check,
            loc: f.loc.clone(),
        },
        version,
        language,
    })
}
