//! Source and include paths: lexical normalisation as WiX's `Path.GetFullPath`, and
//! directories as `sys.` variables give them.

use std::path::{Component, Path, PathBuf};

use super::Options;

/// `path` taken relative to `opts.current_dir`, lexically normalised (WiX uses
/// `Path.GetFullPath`, which also removes `.` and `..`).
pub(super) fn resolve(opts: &Options, path: &Path) -> PathBuf {
    if path.is_absolute() || opts.current_dir.as_os_str().is_empty() {
        normalize_path(path)
    } else {
        normalize_path(&opts.current_dir.join(path))
    }
}

pub(super) fn normalize_path(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if matches!(out.components().next_back(), Some(Component::Normal(_))) {
                    out.pop();
                } else if !out.has_root() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// A directory as WiX's `sys.` variables give it: with a trailing separator.
pub(super) fn dir_with_separator(dir: &Path) -> String {
    let mut s = dir.to_string_lossy().into_owned();
    if !s.ends_with('/') && !s.ends_with('\\') {
        s.push(std::path::MAIN_SEPARATOR);
    }
    s
}
