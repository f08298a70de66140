//! `Files` harvesting: once every source is parsed, each `Files` element's `Include`
//! patterns are expanded on disk, minus its `Exclude` patterns, and every file found gets a
//! component of its own, as WiX's HarvestFilesCommand does between compiling and linking.
//!
//! Patterns are paths with `*`/`?` wildcards in the last level; `**` anywhere makes the
//! search recursive (a trailing `\**` level only says so). A relative pattern starts at the
//! enclosing directories' `FileSource`, else the source file's folder, or below the first
//! unnamed bind path if any; `!(bindpath.NAME)rest` starts at every bind path named NAME. A file found in a subfolder
//! installs into a directory of that relative name below the `Files` directory. A file
//! harvested once (by any `Files`) is skipped with a warning when found again; a missing
//! folder and an empty result are warnings, as in WiX.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

use super::{subdirectory, ParseOptions};
use crate::error::{Location, Result, Warning};
use crate::model::{
    ComponentDef, FileDef, GuidSpec, HarvestDef, KeyPath, Member, Membership, Section,
};
use crate::xml::Dialect;

const BIND_PATH_OPEN: &str = "!(bindpath.";

/// Expands every `Files` element of `sections`, in source order.
pub fn expand(
    sections: &mut [Section],
    opts: &ParseOptions,
    warnings: &mut Vec<Warning>,
) -> Result<()> {
    let mut harvested: BTreeSet<String> = BTreeSet::new();
    for sec in sections.iter_mut() {
        for h in std::mem::take(&mut sec.harvests) {
            harvest(sec, &h, opts, &mut harvested, warnings);
        }
    }
    Ok(())
}

/// One found file: the folder below the pattern's start it sits in (`\`-separated, empty
/// for the start itself) and its path.
struct Found {
    recursive_dir: String,
    path: PathBuf,
    /// The comparison key: the path as text (WiX v6.0 compares paths ordinally).
    key: String,
}

fn harvest(
    sec: &mut Section,
    h: &HarvestDef,
    opts: &ParseOptions,
    harvested: &mut BTreeSet<String>,
    warnings: &mut Vec<Warning>,
) {
    let included = wildcard_files(&h.inclusions, h, opts, warnings);
    let excluded = wildcard_files(&h.exclusions, h, opts, warnings);
    let excluded: BTreeSet<&str> = excluded.iter().map(|f| f.key.as_str()).collect();
    // LINQ's Except: the distinct included files not excluded, in order.
    let mut seen = BTreeSet::new();
    let resolved: Vec<&Found> = included
        .iter()
        .filter(|f| !excluded.contains(f.key.as_str()) && seen.insert(f.key.as_str()))
        .collect();
    if resolved.is_empty() {
        warnings.push(Warning {
            location: h.loc.clone(),
            message: "Files inclusions and exclusions resulted in zero files harvested. Unless \
                      that is expected, you should verify your Files paths, inclusions, and \
                      exclusions for accuracy."
                .into(),
        });
    }
    // Grouped by subfolder, in order of first appearance (LINQ's GroupBy).
    let mut groups: Vec<(&str, Vec<&Found>)> = Vec::new();
    for f in resolved {
        match groups.iter_mut().find(|(d, _)| *d == f.recursive_dir) {
            Some((_, files)) => files.push(f),
            None => groups.push((&f.recursive_dir, vec![f])),
        }
    }
    let win64 = opts.arch != "x86";
    for (recursive_dir, files) in groups {
        let directory = if recursive_dir.is_empty() {
            h.directory.clone()
        } else {
            subdirectory::inline_directory(sec, Dialect::V4, &h.directory, recursive_dir, &h.loc)
        };
        for f in files {
            if !harvested.insert(f.key.clone()) {
                warnings.push(Warning {
                    location: h.loc.clone(),
                    message: format!(
                        "Skipping file `{}` because it was already harvested.",
                        f.path.display()
                    ),
                });
                continue;
            }
            let name = f
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let id = crate::guid::generate_identifier_v4("fls", &[Some(&directory), Some(&name)]);
            sec.files.push(FileDef {
                id: id.clone(),
                component: id.clone(),
                directory: directory.clone(),
                name,
                short_name: None,
                source: f.path.clone(),
                // Vital, like every authored file by default.
                attributes: 0x200,
                disk_id: None,
                version: None,
                language: None,
                loc: h.loc.clone(),
            });
            sec.components.push(ComponentDef {
                id: id.clone(),
                directory: directory.clone(),
                guid: GuidSpec::Auto,
                attributes: if win64 { 0x100 } else { 0 },
                condition: None,
                explicit_key: Some(KeyPath::File(id.clone())),
                default_key: None,
                disk_id: None,
                dialect: Dialect::V4,
                loc: h.loc.clone(),
            });
            if let Some(parent) = &h.parent {
                sec.memberships.push(Membership {
                    parent: parent.clone(),
                    member: Member::Component(id),
                    loc: h.loc.clone(),
                });
            }
        }
    }
}

/// The files the patterns match (HarvestFilesCommand.GetWildcardFiles).
fn wildcard_files(
    patterns: &[String],
    h: &HarvestDef,
    opts: &ParseOptions,
    warnings: &mut Vec<Warning>,
) -> Vec<Found> {
    let source_dir: PathBuf = match h.source_path.as_deref() {
        Some(s) => PathBuf::from(s.replace('\\', "/").trim_end_matches('/')),
        None => h
            .loc
            .file
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default(),
    };
    let source_dir = opts.current_dir.join(source_dir);
    let mut out = Vec::new();
    for pattern in patterns {
        for path in resolve_bind_paths(pattern, opts, &h.loc, warnings) {
            let path = path.replace('\\', "/");
            let recursive = path.contains("**");
            let (dir_part, file_part) = match path.rfind('/') {
                Some(i) => (path[..i].trim_end_matches('/'), &path[i + 1..]),
                None => ("", path.as_str()),
            };
            let dir_part = dir_part.strip_suffix("/**").unwrap_or(dir_part);
            let start = if dir_part.is_empty() || dir_part == "**" {
                source_dir.clone()
            } else {
                source_dir.join(dir_part)
            };
            let start = normalize(&opts.current_dir.join(start));
            if !start.is_dir() {
                warnings.push(Warning {
                    location: h.loc.clone(),
                    message: format!(
                        "Missing directory for harvesting files: Could not find a part of the path '{}'.",
                        start.display()
                    ),
                });
                continue;
            }
            enumerate(&start, file_part, recursive, &mut out);
        }
    }
    out
}

/// `!(bindpath.NAME)rest`: `rest` below every bind path named NAME (none is a warning);
/// any other pattern below the first unnamed bind path, if there is one (WiX v6.0's
/// HarvestFilesCommand.ResolveBindPaths; an absolute pattern stays as it is).
fn resolve_bind_paths(
    pattern: &str,
    opts: &ParseOptions,
    loc: &Location,
    warnings: &mut Vec<Warning>,
) -> Vec<String> {
    let Some((name, rest)) = pattern
        .strip_prefix(BIND_PATH_OPEN)
        .and_then(|tail| tail.split_once(')'))
        .filter(|(name, _)| !name.is_empty())
    else {
        let unnamed = opts.bind_paths.iter().find(|bp| bp.name.is_none());
        return vec![match unnamed {
            Some(bp) => opts
                .current_dir
                .join(&bp.path)
                .join(pattern.replace('\\', "/"))
                .to_string_lossy()
                .into_owned(),
            None => pattern.to_string(),
        }];
    };
    let rest = rest.trim_start_matches(['\\', '/']);
    let found: Vec<String> = opts
        .bind_paths
        .iter()
        .filter(|bp| {
            bp.name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        })
        .map(|bp| {
            let base = opts.current_dir.join(&bp.path);
            format!("{}/{rest}", base.display())
        })
        .collect();
    if found.is_empty() {
        warnings.push(Warning {
            location: loc.clone(),
            message: format!("Missing directory for harvesting files: {pattern}"),
        });
    }
    found
}

/// The files in `start` (and, recursively, below it) whose names match `pattern`, in the
/// order Windows enumerates them: a folder's entries by upper-cased name, its subfolders
/// after it, breadth first (.NET's Directory.EnumerateFiles on NTFS).
fn enumerate(start: &Path, pattern: &str, recursive: bool, out: &mut Vec<Found>) {
    let mut queue = std::collections::VecDeque::from([start.to_path_buf()]);
    while let Some(dir) = queue.pop_front() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut entries: Vec<(String, PathBuf, bool)> = entries
            .filter_map(|e| e.ok())
            .map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                let is_dir = e.path().is_dir();
                (name, e.path(), is_dir)
            })
            .collect();
        entries.sort_by(|a, b| {
            a.0.to_uppercase()
                .cmp(&b.0.to_uppercase())
                .then(a.0.cmp(&b.0))
        });
        for (name, path, is_dir) in entries {
            if is_dir {
                if recursive {
                    queue.push_back(path);
                }
                continue;
            }
            if !wildcard_match(pattern, &name) {
                continue;
            }
            let relative = path.strip_prefix(start).unwrap_or(&path);
            let recursive_dir = relative
                .parent()
                .map(|p| {
                    p.components()
                        .map(|c| c.as_os_str().to_string_lossy().into_owned())
                        .collect::<Vec<_>>()
                        .join("\\")
                })
                .unwrap_or_default();
            out.push(Found {
                recursive_dir,
                key: path.to_string_lossy().into_owned(),
                path,
            });
        }
    }
}

/// Windows' file-name wildcards, case-insensitively: `*` any run of characters, `?` one
/// character; `*.*` is every name.
fn wildcard_match(pattern: &str, name: &str) -> bool {
    if pattern == "*.*" {
        return true;
    }
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let n: Vec<char> = name.to_lowercase().chars().collect();
    // Classic two-pointer glob match with backtracking to the last `*`.
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ni));
            pi += 1;
        } else if let Some((sp, sn)) = star {
            pi = sp + 1;
            ni = sn + 1;
            star = Some((sp, sn + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// `path` without `.` levels and with `..` levels applied, as Windows resolves a path.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_as_windows_does() {
        assert!(wildcard_match("*", "a.txt"));
        assert!(wildcard_match("**", "a.txt"));
        assert!(wildcard_match("*.TXT", "a.txt"));
        assert!(wildcard_match("*.*", "noext"));
        assert!(wildcard_match("t?st*.txt", "test120.txt"));
        assert!(!wildcard_match("*.txt", "a.dat"));
        assert!(!wildcard_match("?", "ab"));
        assert!(wildcard_match("test1.txt", "TEST1.TXT"));
    }
}
