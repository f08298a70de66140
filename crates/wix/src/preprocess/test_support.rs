//! Helpers shared by the preprocessor's unit tests.

use std::collections::BTreeMap;
pub(super) use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

pub(super) use super::{preprocess_file, preprocess_str, Options, Preprocessed};
pub(super) use crate::{Location, Result, Warning, WixError};

pub(super) const V4: &str = "http://wixtoolset.org/schemas/v4/wxs";

pub(super) fn opts() -> Options {
    Options {
        defines: BTreeMap::new(),
        include_dirs: Vec::new(),
        arch: "x64".to_string(),
        current_dir: PathBuf::from("/build"),
        env: BTreeMap::new(),
    }
}

pub(super) fn with_defines(defs: &[(&str, &str)]) -> Options {
    let mut o = opts();
    for (k, v) in defs {
        o.defines.insert(k.to_string(), v.to_string());
    }
    o
}

/// The line map has one entry per output line and only real line numbers.
pub(super) fn check(p: &Preprocessed) {
    assert_eq!(
        p.lines.len(),
        p.text.matches('\n').count() + 1,
        "line map length"
    );
    assert!(p.lines.iter().all(|l| l.line >= 1));
}

pub(super) fn run_with(src: &str, o: &Options) -> Result<Preprocessed> {
    let r = preprocess_str(src, Path::new("main.wxs"), o);
    if let Ok(p) = &r {
        check(p);
    }
    r
}

pub(super) fn pp_with(src: &str, o: &Options) -> Preprocessed {
    run_with(src, o).unwrap_or_else(|e| panic!("unexpected error: {e}"))
}

pub(super) fn pp(src: &str) -> Preprocessed {
    pp_with(src, &opts())
}

pub(super) fn err_with(src: &str, o: &Options) -> WixError {
    match run_with(src, o) {
        Ok(p) => panic!("expected an error, got:\n{}", p.text),
        Err(e) => e,
    }
}

pub(super) fn err(src: &str) -> WixError {
    err_with(src, &opts())
}

pub(super) fn assert_err(e: &WixError, file: &str, line: u32, needle: &str) {
    assert_eq!(e.location.file, PathBuf::from(file), "{e}");
    assert_eq!(e.location.line, line, "{e}");
    assert!(
        e.message.contains(needle),
        "message {:?} should contain {:?}",
        e.message,
        needle
    );
}

/// Output line (1-based) that contains `needle`.
pub(super) fn line_of(p: &Preprocessed, needle: &str) -> u32 {
    let i = p
        .text
        .split('\n')
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle:?} not in:\n{}", p.text));
    i as u32 + 1
}

/// Removes all whitespace, to compare structure without caring for kept newlines.
pub(super) fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

pub(super) static COUNTER: AtomicUsize = AtomicUsize::new(0);

pub(super) struct TempDir(pub(super) PathBuf);

impl TempDir {
    pub(super) fn new(tag: &str) -> Self {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("svcpack-pp-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub(super) fn write(&self, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let p = self.0.join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&p, content).unwrap();
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
