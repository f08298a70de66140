//! Size-based log rotation: `name` is the current file; before a write would take it
//! beyond `max_bytes` it becomes `name.1`, `name.1` becomes `name.2`, and so on, and
//! `name.<keep>` is deleted. No file ever exceeds `max_bytes`: output is split at the
//! last line break that fits (or, for a line longer than a whole file, where the file is
//! full).
//!
//! When the current file cannot be renamed (a reader holds it open without sharing
//! delete), its content is copied to `name.1` and the file truncated instead. When
//! even that fails, writing goes on in the current file and rotation is retried at the
//! next write; the first such failure is returned once so it can be reported.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// An append-only log file with rotation.
pub struct RotatingLog {
    path: PathBuf,
    max_bytes: u64,
    keep: u32,
    file: Option<File>,
    size: u64,
    rotation_failed: bool,
}

impl RotatingLog {
    /// Opens (appends to) `path`, creating it when missing.
    pub fn open(path: &Path, max_bytes: u64, keep: u32) -> io::Result<RotatingLog> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        let size = file.metadata()?.len();
        Ok(RotatingLog {
            path: path.to_path_buf(),
            max_bytes: max_bytes.max(1),
            keep: keep.max(1),
            file: Some(file),
            size,
            rotation_failed: false,
        })
    }

    /// The path of rotated file `n` (1 is the newest): `name.n`.
    pub fn rotated_path(path: &Path, n: u32) -> PathBuf {
        let mut name = path.as_os_str().to_os_string();
        name.push(format!(".{n}"));
        PathBuf::from(name)
    }

    /// Appends `data`, rotating as needed. Errors of a failed rotation are reported once
    /// (the data is still written); write errors are returned.
    pub fn write(&mut self, mut data: &[u8]) -> io::Result<()> {
        let mut rotation_error = None;
        while !data.is_empty() {
            let room = self.max_bytes.saturating_sub(self.size);
            let take = if (data.len() as u64) <= room {
                data.len()
            } else {
                let room = room as usize;
                match data[..room].iter().rposition(|&b| b == b'\n') {
                    Some(i) => i + 1,
                    None if self.size == 0 || self.rotation_failed => room,
                    None => 0,
                }
            };
            if take == 0 && self.size > 0 {
                if let Err(e) = self.rotate() {
                    if !self.rotation_failed {
                        rotation_error = Some(e);
                    }
                    self.rotation_failed = true;
                    // Keep the data: write on in the current file, over the limit.
                    self.append(data)?;
                    data = &[];
                }
                continue;
            }
            let take = take.max(1).min(data.len());
            self.append(&data[..take])?;
            data = &data[take..];
        }
        match rotation_error {
            Some(e) => Err(io::Error::new(
                e.kind(),
                format!("cannot rotate {}: {e}", self.path.display()),
            )),
            None => Ok(()),
        }
    }

    fn append(&mut self, data: &[u8]) -> io::Result<()> {
        if self.file.is_none() {
            self.file = Some(
                OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&self.path)?,
            );
        }
        if let Some(f) = self.file.as_mut() {
            f.write_all(data)?;
        }
        self.size += data.len() as u64;
        Ok(())
    }

    /// Shifts `name.1..` up by one, drops the oldest, and starts an empty `name`.
    fn rotate(&mut self) -> io::Result<()> {
        let oldest = Self::rotated_path(&self.path, self.keep);
        match fs::remove_file(&oldest) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        for n in (1..self.keep).rev() {
            let from = Self::rotated_path(&self.path, n);
            if from.exists() {
                fs::rename(&from, Self::rotated_path(&self.path, n + 1))?;
            }
        }
        let first = Self::rotated_path(&self.path, 1);
        // Close our handle first: Windows refuses to rename a file open without
        // FILE_SHARE_DELETE, and Rust opens with it, but other readers may not.
        self.file = None;
        if fs::rename(&self.path, &first).is_err() {
            fs::copy(&self.path, &first)?;
            OpenOptions::new()
                .write(true)
                .truncate(true)
                .open(&self.path)?;
        }
        self.file = Some(
            OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)?,
        );
        self.size = 0;
        self.rotation_failed = false;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("svcpack-host-rotate-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn read(p: &Path) -> String {
        fs::read_to_string(p).unwrap_or_default()
    }

    #[test]
    fn rotates_at_line_breaks_and_keeps_n_files() {
        let dir = tmp("lines");
        let path = dir.join("app.out.log");
        let mut log = RotatingLog::open(&path, 25, 2).unwrap();
        for i in 0..10 {
            log.write(format!("line {i:04}\n").as_bytes()).unwrap(); // 10 bytes each
        }
        // 2 lines per file: 8,9 current; 6,7 in .1; 4,5 in .2; older ones dropped.
        assert_eq!(read(&path), "line 0008\nline 0009\n");
        assert_eq!(
            read(&RotatingLog::rotated_path(&path, 1)),
            "line 0006\nline 0007\n"
        );
        assert_eq!(
            read(&RotatingLog::rotated_path(&path, 2)),
            "line 0004\nline 0005\n"
        );
        assert!(!RotatingLog::rotated_path(&path, 3).exists());
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn splits_big_writes_and_long_lines_and_never_exceeds_the_limit() {
        let dir = tmp("split");
        let path = dir.join("x.log");
        let mut log = RotatingLog::open(&path, 10, 5).unwrap();
        log.write(b"abc\ndefgh\nijklmnopqrstuvwxyz\n12").unwrap();
        let mut all = String::new();
        for n in (1..=5).rev() {
            let p = RotatingLog::rotated_path(&path, n);
            let text = read(&p);
            assert!(text.len() <= 10, "{} has {} bytes", p.display(), text.len());
            all.push_str(&text);
        }
        assert!(read(&path).len() <= 10);
        all.push_str(&read(&path));
        assert_eq!(all, "abc\ndefgh\nijklmnopqrstuvwxyz\n12");
        assert_eq!(read(&RotatingLog::rotated_path(&path, 3)), "abc\ndefgh\n");
        assert_eq!(read(&path), "12");
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn appends_to_an_existing_file_and_counts_it() {
        let dir = tmp("append");
        let path = dir.join("h.log");
        fs::write(&path, "123456789\n").unwrap();
        let mut log = RotatingLog::open(&path, 15, 1).unwrap();
        log.write(b"abcdefghi\n").unwrap();
        assert_eq!(read(&path), "abcdefghi\n");
        assert_eq!(read(&RotatingLog::rotated_path(&path, 1)), "123456789\n");
        let _ = fs::remove_dir_all(&dir);
    }
}
