//! Errors and diagnostics of the native WiX compiler.
//!
//! Every problem a user can cause is reported with the `file:line` it comes from, so the
//! compiler never needs to panic or print a bare message. The CLI maps [`WixError`] to exit
//! status 1 in one place.

use std::fmt;
use std::path::{Path, PathBuf};

/// A position in a source file: the file as the user named it (or as `<?include?>` found
/// it) and a 1-based line number. Line 0 means "the whole file".
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    pub file: PathBuf,
    pub line: u32,
}

impl Location {
    pub fn new(file: impl Into<PathBuf>, line: u32) -> Self {
        Location {
            file: file.into(),
            line,
        }
    }

    /// A location that names a file but no particular line.
    pub fn file(file: impl AsRef<Path>) -> Self {
        Location {
            file: file.as_ref().to_path_buf(),
            line: 0,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.file.display())
        } else {
            write!(f, "{}:{}", self.file.display(), self.line)
        }
    }
}

/// A compile error: where, and what is wrong (including what is allowed, where that helps).
/// `warnings` carries the diagnostics found before the failure (`<?warning?>` and the
/// like), for the caller to print ahead of the error; `Display` shows the error alone.
#[derive(Debug, thiserror::Error)]
#[error("{location}: error: {message}")]
pub struct WixError {
    pub location: Location,
    pub message: String,
    pub warnings: Vec<Warning>,
}

impl WixError {
    pub fn new(location: Location, message: impl Into<String>) -> Self {
        WixError {
            location,
            message: message.into(),
            warnings: Vec::new(),
        }
    }
}

/// Puts `earlier` (warnings found before `e`) ahead of the warnings `e` already carries.
pub fn with_warnings(mut e: WixError, mut earlier: Vec<Warning>) -> WixError {
    earlier.append(&mut e.warnings);
    e.warnings = earlier;
    e
}

/// A non-fatal diagnostic (`<?warning?>`, deprecated authoring). Printed as
/// `file:line: warning: text`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    pub location: Location,
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: warning: {}", self.location, self.message)
    }
}

/// Shorthand for compiler results.
pub type Result<T, E = WixError> = std::result::Result<T, E>;

/// Builds an `Err(WixError)` with a formatted message.
#[macro_export]
macro_rules! wix_bail {
    ($loc:expr, $($arg:tt)*) => {
        return Err($crate::error::WixError::new(($loc).clone(), format!($($arg)*)))
    };
}
