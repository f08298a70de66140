//! The portable zip (build stage 9): the signed exe, extra files, license, `README.txt` and,
//! for a service, `install.ps1`/`uninstall.ps1` that register it exactly as the MSI does.
//!
//! This module owns what goes into the zip and its byte layout; it does no I/O (the caller
//! reads the files and writes the result) and reads no clock: the one timestamp comes in
//! [`PortableInput::timestamp`] (SOURCE_DATE_EPOCH). Identical input gives identical bytes.
//!
//! | entry | when | mode |
//! |-------|------|------|
//! | `<binary>.exe` | always | 0755 |
//! | extra files, at their `dest` (folders get their own entries) | `[[files]]` | 0644 (0755 for `.exe`, `.ps1`, `.cmd`, `.bat`) |
//! | the license, under its own file name | `license` | 0644 |
//! | `README.txt`: what this is, version, how to install and remove | always | 0644 |
//! | `install.ps1`, `uninstall.ps1` | a `[service]` is configured | 0755 |
//!
//! Entries are sorted by name (bytes), all carry the same DOS time, and names that
//! Windows would treat as one file (case-insensitively) are an error. Generated text files are
//! UTF-8 with a byte-order mark (Windows PowerShell 5.1 reads BOM-less scripts as ANSI)
//! and CRLF line ends.
//!
//! [`windows_command_line`] is the one quoting of service arguments: the MSI's
//! `ServiceInstall/@Arguments` must use it too, so both register the same command line.
//!
//! Inside: `zip` writes the container (and CRC-32), `script` the PowerShell scripts and
//! their quoting, `firewall` the scripts' netsh calls, `readme` the README.

mod firewall;
mod readme;
mod script;
mod zip;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use crate::config::{Config, RelPath};

pub use script::{quote_windows_arg, windows_command_line};

use zip::{DosDateTime, EntryKind, ZipWriter};

/// Names the zip itself provides; extra files may not take them.
pub const README_NAME: &str = "README.txt";
/// The service registration script.
pub const INSTALL_SCRIPT_NAME: &str = "install.ps1";
/// The service removal script.
pub const UNINSTALL_SCRIPT_NAME: &str = "uninstall.ps1";

/// The UTF-8 byte-order mark written before every generated text file.
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Everything the portable zip is made of. Borrowed, so a 14 MB exe is not copied.
#[derive(Clone, Debug)]
pub struct PortableInput<'a> {
    /// The validated configuration; `config.service` `None` makes a plain application zip.
    pub config: &'a Config,
    /// The product version shown in README.txt (the full semver string).
    pub version: &'a str,
    /// The exe's file name in the zip (`<binary>.exe`).
    pub exe_name: &'a str,
    /// The final exe: stamped, compressed and signed, the same bytes the MSI installs.
    pub exe: &'a [u8],
    /// Extra files; `path` is the `dest` relative to the package folder with `/`
    /// separators. Whether one is preserved on updates comes from `config.files`.
    pub files: &'a [PortableFile<'a>],
    /// The license file, stored under `path` (its own file name, e.g. `LICENSE`).
    pub license: Option<PortableFile<'a>>,
    /// `None`: the service runs the exe with the service's arguments. `Some`: the service
    /// manager runs this program instead (svcpack's service host, which must be among
    /// `files`), as the MSI registers it.
    pub service_program: Option<ServiceProgram<'a>>,
    /// SOURCE_DATE_EPOCH: the time of every entry (clamped to DOS's 1980–2107).
    pub timestamp: u64,
}

/// A file to put in the zip.
#[derive(Clone, Debug)]
pub struct PortableFile<'a> {
    /// The path inside the zip, `/`-separated, relative.
    pub path: String,
    /// The content, stored unchanged.
    pub contents: Contents<'a>,
}

/// Where a file's content comes from.
#[derive(Clone, Copy, Debug)]
pub enum Contents<'a> {
    /// Bytes in memory.
    Bytes(&'a [u8]),
    /// A file on disk, read in pieces while the zip is written (never whole in memory).
    File(&'a std::path::Path),
}

/// The program the service manager starts, when it is not the packaged exe itself.
#[derive(Clone, Copy, Debug)]
pub struct ServiceProgram<'a> {
    /// Its file name in the package folder.
    pub exe_name: &'a str,
    /// Its arguments (quoted by [`windows_command_line`] into `binPath=`).
    pub arguments: &'a [String],
}

/// Why the portable zip cannot be built. Each message names the file or value.
#[derive(Debug, thiserror::Error)]
pub enum PortableError {
    /// A name that is not a usable relative path inside the zip.
    #[error("portable zip: `{path}` cannot be stored: {reason}")]
    BadPath {
        /// The name as given.
        path: String,
        /// What is wrong and what is allowed.
        reason: String,
    },
    /// Two entries Windows would extract to the same file or folder.
    #[error(
        "portable zip: `{path}` and `{other}` would be the same file on Windows (names ignore case); \
         give one of them another dest"
    )]
    Collision {
        /// One name.
        path: String,
        /// The name it collides with.
        other: String,
    },
    /// Reading an entry's contents or writing the zip failed.
    #[error("portable zip: `{path}`: {detail}")]
    Io {
        /// The entry (or "(the whole zip)").
        path: String,
        /// What failed.
        detail: String,
    },
    /// Beyond what a ZIP can hold.
    #[error("portable zip: `{path}` cannot be stored: {what}")]
    TooLarge {
        /// The entry (or "(the whole zip)").
        path: String,
        /// Which limit.
        what: String,
    },
    /// A configured value the scripts cannot pass to sc.exe.
    #[error("portable zip: {what} cannot be passed to sc.exe: {reason}")]
    Unrepresentable {
        /// Which value.
        what: String,
        /// Why.
        reason: String,
    },
    /// [`PortableInput::service_program`] names a file that is not in the zip.
    #[error("portable zip: the service program `{exe}` is not among the package's files")]
    MissingProgram {
        /// The file name.
        exe: String,
    },
    /// A built-in template does not match this code (a bug in svcpack).
    #[error("portable zip: built-in template error: {detail}")]
    Template {
        /// What does not match.
        detail: String,
    },
}

/// The content of an entry: generated text, borrowed bytes, or a file read while writing.
enum EntryData<'a> {
    Bytes(std::borrow::Cow<'a, [u8]>),
    File(&'a std::path::Path),
}

impl<'a> From<Contents<'a>> for EntryData<'a> {
    fn from(c: Contents<'a>) -> Self {
        match c {
            Contents::Bytes(b) => EntryData::Bytes(b.into()),
            Contents::File(p) => EntryData::File(p),
        }
    }
}

/// One file of the zip before writing.
struct Entry<'a> {
    kind: EntryKind,
    bytes: EntryData<'a>,
    /// Shown in README.txt's file list.
    role: Option<&'static str>,
    preserve: bool,
}

/// Builds the portable zip in memory. Identical input gives identical bytes.
pub fn build_zip(input: &PortableInput<'_>) -> Result<Vec<u8>, PortableError> {
    Ok(build_into(input, std::io::Cursor::new(Vec::new()))?.into_inner())
}

/// Writes the portable zip into `out` (from its start), reading [`Contents::File`] files in
/// pieces: memory stays bounded whatever their sizes. The same bytes as [`build_zip`].
pub fn write_zip(
    input: &PortableInput<'_>,
    out: std::fs::File,
) -> Result<std::fs::File, PortableError> {
    build_into(input, out)
}

fn build_into<W: zip::Sink>(input: &PortableInput<'_>, out: W) -> Result<W, PortableError> {
    let mut entries: BTreeMap<String, Entry<'_>> = BTreeMap::new();
    let mut folds = Folds::default();

    let exe_name = single_name(input.exe_name)?;
    let program_role = if input.config.service.is_some() && input.service_program.is_none() {
        "the service program"
    } else {
        "the program"
    };
    folds.add_file(&exe_name)?;
    entries.insert(
        exe_name.clone(),
        Entry {
            kind: EntryKind::Executable,
            bytes: EntryData::Bytes(input.exe.into()),
            role: Some(program_role),
            preserve: false,
        },
    );
    for file in input.files {
        let rel = rel_path(&file.path)?;
        let name = rel.segments().join("/");
        folds.add_file(&name)?;
        let preserve = input
            .config
            .files
            .iter()
            .any(|f| f.preserve_on_upgrade && f.dest.fold() == rel.fold());
        entries.insert(
            name.clone(),
            Entry {
                kind: kind_of(&name),
                bytes: file.contents.into(),
                role: None,
                preserve,
            },
        );
    }
    if let Some(license) = &input.license {
        let name = single_name(&license.path)?;
        folds.add_file(&name)?;
        entries.insert(
            name,
            Entry {
                kind: EntryKind::File,
                bytes: license.contents.into(),
                role: Some("the license"),
                preserve: false,
            },
        );
    }
    folds.add_file(README_NAME)?;
    if input.config.service.is_some() {
        folds.add_file(INSTALL_SCRIPT_NAME)?;
        folds.add_file(UNINSTALL_SCRIPT_NAME)?;
    }

    // Every file of the package, as the scripts and README list it.
    let mut all_names: Vec<String> = entries.keys().cloned().collect();
    all_names.push(README_NAME.into());
    if input.config.service.is_some() {
        all_names.push(INSTALL_SCRIPT_NAME.into());
        all_names.push(UNINSTALL_SCRIPT_NAME.into());
    }
    all_names.sort();

    if let Some(service) = &input.config.service {
        let program = match &input.service_program {
            Some(p) => {
                let name = single_name(p.exe_name)?;
                if !entries.contains_key(&name) {
                    return Err(PortableError::MissingProgram { exe: name });
                }
                script::Program {
                    exe_name: p.exe_name,
                    arguments: p.arguments,
                }
            }
            None => script::Program {
                exe_name: input.exe_name,
                arguments: &service.arguments,
            },
        };
        let package_files = windows_paths(all_names.iter());
        let preserve_files =
            windows_paths(entries.iter().filter(|(_, e)| e.preserve).map(|(n, _)| n));
        let scripts = script::scripts(
            service,
            &program,
            input.exe_name,
            &package_files,
            &preserve_files,
        )?;
        for (name, text, role) in [
            (
                INSTALL_SCRIPT_NAME,
                scripts.install,
                "registers and starts the service (run as Administrator)",
            ),
            (
                UNINSTALL_SCRIPT_NAME,
                scripts.uninstall,
                "stops and removes the service (run as Administrator)",
            ),
        ] {
            entries.insert(
                name.into(),
                Entry {
                    kind: EntryKind::Executable,
                    bytes: EntryData::Bytes(with_bom(&text).into()),
                    role: Some(role),
                    preserve: false,
                },
            );
        }
    }

    let listing: Vec<readme::Listed<'_>> = all_names
        .iter()
        .map(|name| {
            let entry = entries.get(name);
            readme::Listed {
                name,
                role: match entry {
                    Some(e) => e.role,
                    None => Some("this file"),
                },
                preserve: entry.is_some_and(|e| e.preserve),
            }
        })
        .collect();
    let readme_text = readme::readme(input, &listing)?;
    entries.insert(
        README_NAME.into(),
        Entry {
            kind: EntryKind::File,
            bytes: EntryData::Bytes(with_bom(&readme_text).into()),
            role: None,
            preserve: false,
        },
    );

    write(entries, &folds, input.timestamp, out)
}

/// Lays the entries out: folders and files interleaved in name order.
fn write<W: zip::Sink>(
    entries: BTreeMap<String, Entry<'_>>,
    folds: &Folds,
    timestamp: u64,
    out: W,
) -> Result<W, PortableError> {
    enum Item<'e, 'a> {
        Dir,
        File(&'e Entry<'a>),
    }
    let mut items: BTreeMap<&str, Item<'_, '_>> = BTreeMap::new();
    for dir in folds.dirs.values() {
        items.insert(dir, Item::Dir);
    }
    for (name, entry) in &entries {
        items.insert(name, Item::File(entry));
    }
    let mut zip = ZipWriter::to(out, DosDateTime::from_unix(timestamp));
    for (name, item) in items {
        match item {
            Item::Dir => zip.add_directory(name)?,
            Item::File(Entry {
                kind,
                bytes: EntryData::Bytes(b),
                ..
            }) => zip.add_file(name, *kind, b)?,
            Item::File(Entry {
                kind,
                bytes: EntryData::File(path),
                ..
            }) => {
                let io = |e: std::io::Error| PortableError::Io {
                    path: name.to_string(),
                    detail: format!("cannot read {}: {e}", path.display()),
                };
                let size = std::fs::metadata(path).map_err(io)?.len();
                let mut open = || -> std::io::Result<Box<dyn std::io::Read>> {
                    Ok(Box::new(std::fs::File::open(path)?))
                };
                zip.add_stream(name, *kind, size, &mut open)?;
            }
        }
    }
    zip.finish_into()
}

/// `conf/agent.toml` → `conf\agent.toml`, as the scripts name files.
fn windows_paths<'n>(names: impl Iterator<Item = &'n String>) -> Vec<String> {
    names.map(|n| n.replace('/', "\\")).collect()
}

fn with_bom(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(UTF8_BOM.len() + text.len());
    out.extend_from_slice(UTF8_BOM);
    out.extend_from_slice(text.as_bytes());
    out
}

/// Programs and scripts are marked executable so they stay runnable when extracted on
/// Unix (e.g. for Wine); everything else is a plain 0644 file.
fn kind_of(name: &str) -> EntryKind {
    let lower = name.to_ascii_lowercase();
    if [".exe", ".ps1", ".cmd", ".bat"]
        .iter()
        .any(|ext| lower.ends_with(ext))
    {
        EntryKind::Executable
    } else {
        EntryKind::File
    }
}

const IN_ZIP: &str = "the package folder";

fn rel_path(path: &str) -> Result<RelPath, PortableError> {
    let bad = |reason: String| PortableError::BadPath {
        path: path.to_string(),
        reason,
    };
    let rel = RelPath::parse(path, IN_ZIP).map_err(bad)?;
    if rel.is_root() {
        return Err(bad(format!(
            "it names no file; allowed: a file path inside {IN_ZIP}"
        )));
    }
    Ok(rel)
}

/// A plain file name (no folders), checked like any path.
fn single_name(name: &str) -> Result<String, PortableError> {
    let rel = rel_path(name)?;
    match rel.segments() {
        [one] if one == name => Ok(one.clone()),
        _ => Err(PortableError::BadPath {
            path: name.to_string(),
            reason: "allowed: a plain file name, without folders".into(),
        }),
    }
}

/// The case-folded names taken so far, to refuse two entries Windows would merge.
#[derive(Default)]
struct Folds {
    /// Folded file path → the path as given.
    files: BTreeMap<String, String>,
    /// Folded folder path (with `/`) → the folder as first spelled (with `/`).
    dirs: BTreeMap<String, String>,
}

impl Folds {
    fn add_file(&mut self, name: &str) -> Result<(), PortableError> {
        let fold = name.to_lowercase();
        let collision = |other: &str| PortableError::Collision {
            path: name.to_string(),
            other: other.trim_end_matches('/').to_string(),
        };
        if let Some(other) = self
            .files
            .get(&fold)
            .or_else(|| self.dirs.get(&format!("{fold}/")))
        {
            return Err(collision(other));
        }
        // Every folder on the way: a folder may not also be a file, nor be spelled twice.
        let mut end = 0;
        while let Some(slash) = name[end..].find('/') {
            end += slash + 1;
            let dir = &name[..end];
            let dir_fold = dir.to_lowercase();
            if let Some(other) = self.files.get(dir_fold.trim_end_matches('/')) {
                return Err(collision(other));
            }
            match self.dirs.get(&dir_fold) {
                Some(spelled) if spelled != dir => return Err(collision(spelled)),
                Some(_) => {}
                None => {
                    self.dirs.insert(dir_fold, dir.to_string());
                }
            }
        }
        self.files.insert(fold, name.to_string());
        Ok(())
    }
}
