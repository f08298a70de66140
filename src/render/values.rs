//! Small value conversions shared by the template data: paths as text, file names, and the
//! stable, case-folded ids of paths inside the install folder.

use std::fmt::Write as _;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::RenderError;

pub(super) fn non_empty(text: &Option<String>) -> Option<String> {
    text.as_ref().filter(|t| !t.trim().is_empty()).cloned()
}

pub(super) fn path_text(path: &Path, what: &str) -> Result<String, RenderError> {
    path.to_str()
        .map(str::to_string)
        .ok_or_else(|| RenderError::NonUnicodePath {
            what: what.to_string(),
            path: path.to_path_buf(),
        })
}

pub(super) fn file_name(path: &Path, what: &str) -> Result<String, RenderError> {
    let name = path.file_name().ok_or_else(|| RenderError::Unsupported {
        what: what.to_string(),
        message: format!("{} has no file name", path.display()),
    })?;
    name.to_str()
        .map(str::to_string)
        .ok_or_else(|| RenderError::NonUnicodePath {
            what: what.to_string(),
            path: path.to_path_buf(),
        })
}

/// A short stable id suffix for a path inside the install folder: the same path (in any
/// case, as Windows compares them) gives the same id in every version of the package.
pub(super) fn path_hash(folded: &str) -> String {
    let digest = Sha256::digest(folded.as_bytes());
    let mut hex = String::with_capacity(16);
    for b in &digest[..8] {
        // Writing to a String cannot fail.
        let _ = write!(hex, "{b:02x}");
    }
    hex
}

pub(super) fn fold(segments: &[String]) -> String {
    segments.join("\\").to_lowercase()
}
