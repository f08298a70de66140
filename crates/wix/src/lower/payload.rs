//! The payload: each source file read once for its size and MD5, and a versioned PE file
//! for its File.Version and File.Language (authored values win). Files over 2 GiB are
//! refused here, at the element, because the File table's FileSize column cannot hold them.

use crate::error::{Result, WixError};
use crate::model::FileDef;
use crate::stream::SourceFile;

pub(super) struct FileData {
    /// Size and MD5, measured once; the bytes are read again only into the cabinet.
    pub source: SourceFile,
    pub version: Option<String>,
    pub language: Option<String>,
}

/// Measures every file, in authoring order (the result is indexed like `files`).
pub(super) fn read_payload(files: &[FileDef]) -> Result<Vec<FileData>> {
    let mut data: Vec<FileData> = Vec::with_capacity(files.len());
    for f in files {
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
        if scanned.size > i32::MAX as u64 {
            return Err(WixError::new(
                f.loc.clone(),
                format!(
                    "`{}` is larger than 2 GiB, the MSI limit",
                    f.source.display()
                ),
            ));
        }
        data.push(FileData {
            source: SourceFile {
                path: f.source.clone(),
                size: scanned.size,
                md5: scanned.md5,
                loc: f.loc.clone(),
            },
            version,
            language,
        });
    }

    Ok(data)
}
