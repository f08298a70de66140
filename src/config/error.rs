//! The configuration error: one line that names the file, line, key and what is allowed.
//!
//! Validation code works with byte spans ([`Fault`]); only the loader, which holds the
//! file's text, turns them into line numbers ([`Fault::locate`]). Messages never echo the
//! value of a secret-bearing key.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use super::tree::line_of;

/// A configuration problem, printed as `<file>:<line>: <key>: <message>` on one line
/// (the line and key are left out when unknown).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    /// The file the configuration came from (Cargo.toml or svcpack.toml).
    pub file: PathBuf,
    /// The 1-based line of the offending key or value, when there is one.
    pub line: Option<u32>,
    /// The full key path, e.g. `package.metadata.svcpack.service.start`.
    pub key: Option<String>,
    /// What is wrong and what is allowed.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(key) = &self.key {
            write!(f, ": {key}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// A problem found while reading the tree, before it has a file and line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Fault {
    pub span: Option<Range<usize>>,
    pub key: Option<String>,
    pub message: String,
}

impl Fault {
    pub fn new(
        span: Option<Range<usize>>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Fault {
            span,
            key: Some(key.into()),
            message: message.into(),
        }
    }

    /// Gives the fault its file and turns its span into a line of `text`.
    pub fn locate(self, file: &Path, text: &str) -> ConfigError {
        ConfigError {
            file: file.to_path_buf(),
            line: self.span.map(|s| line_of(text, s.start)),
            key: self.key,
            message: one_line(&self.message),
        }
    }
}

/// Escapes control characters, so a value echoed in a message (a name with a newline in
/// it) cannot break the one-line-per-error promise.
pub(crate) fn one_line(message: &str) -> String {
    if !message.chars().any(char::is_control) {
        return message.to_string();
    }
    message
        .chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Shorthand for results inside the config module.
pub(crate) type FaultResult<T> = Result<T, Fault>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_one_line_with_optional_parts() {
        let full = ConfigError {
            file: "Cargo.toml".into(),
            line: Some(12),
            key: Some("package.metadata.svcpack.service.start".into()),
            message: "unknown start type `x`; allowed: auto".into(),
        };
        assert_eq!(
            full.to_string(),
            "Cargo.toml:12: package.metadata.svcpack.service.start: unknown start type `x`; allowed: auto"
        );
        let bare = ConfigError {
            file: "svcpack.toml".into(),
            line: None,
            key: None,
            message: "cannot read".into(),
        };
        assert_eq!(bare.to_string(), "svcpack.toml: cannot read");
    }

    #[test]
    fn echoed_control_characters_are_escaped() {
        let err = Fault::new(None, "k", "unknown `ru\n\tn`; ok ✓").locate(Path::new("f"), "");
        assert_eq!(err.message, "unknown `ru\\n\\tn`; ok ✓");
    }

    #[test]
    fn locate_computes_the_line() {
        let text = "a = 1\nb = 2\n";
        let err = Fault::new(Some(6..7), "b", "bad").locate(Path::new("f.toml"), text);
        assert_eq!(err.line, Some(2));
        assert_eq!(err.to_string(), "f.toml:2: b: bad");
    }
}
