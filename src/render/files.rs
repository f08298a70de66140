//! The extra files and folders of a package: their components, ids and the clashes between
//! them that Windows' case-insensitive paths would cause.

use std::collections::BTreeMap;

use serde::Serialize;

use super::values::{fold, path_hash, path_text};
use super::{RenderError, INSTALL_FOLDER_ID};
use crate::config::{Config, RelPath};

#[derive(Serialize)]
pub(super) struct Directory {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) parent: String,
}

#[derive(Serialize)]
pub(super) struct ExtraFile {
    pub(super) component_id: String,
    pub(super) file_id: String,
    pub(super) directory_id: String,
    pub(super) name: String,
    pub(super) source: String,
    pub(super) preserve_on_upgrade: bool,
}

/// The sub-folders (parents first) and components of the configured extra files; the
/// sub-folders also hold `folders` (the service host's log and working folders).
pub(super) fn extra_files(
    config: &Config,
    folders: &[&RelPath],
) -> Result<(Vec<Directory>, Vec<ExtraFile>), RenderError> {
    // Keyed by the folded path, so `Conf/a` and `conf/b` share one folder, as on Windows;
    // sorted, so a folder always comes after its parent.
    let mut dirs: BTreeMap<String, Directory> = BTreeMap::new();
    let mut files = Vec::new();
    let mut file_paths: BTreeMap<String, String> = BTreeMap::new();
    for folder in folders {
        add_folders(&mut dirs, folder.segments());
    }
    for entry in &config.files {
        let segments = entry.dest.segments();
        let Some((name, dir_segments)) = segments.split_last() else {
            return Err(RenderError::Unsupported {
                what: "files.dest".into(),
                message: "names no file; allowed: a relative path inside the install directory"
                    .into(),
            });
        };
        let parent = add_folders(&mut dirs, dir_segments);
        let folded = fold(segments);
        let hash = path_hash(&folded);
        file_paths.insert(folded, entry.dest.to_windows());
        files.push(ExtraFile {
            component_id: format!("Extra_{hash}"),
            file_id: format!("ExtraFile_{hash}"),
            directory_id: parent,
            name: name.clone(),
            source: path_text(&entry.source, "files.source")?,
            preserve_on_upgrade: entry.preserve_on_upgrade,
        });
    }
    let exe = config.exe_name().to_lowercase();
    for (folded, dir) in &dirs {
        if let Some(file) = file_paths.get(folded) {
            return Err(RenderError::Unsupported {
                what: "files.dest".into(),
                message: format!(
                    "`{file}` is both a file and the folder of another file's dest (or of the service \
                     host's log-dir or working-dir); allowed: distinct paths"
                ),
            });
        }
        if *folded == exe {
            return Err(RenderError::Unsupported {
                what: "files.dest".into(),
                message: format!(
                    "the folder `{}` has the name of the program {}; allowed: another folder name",
                    dir.name,
                    config.exe_name()
                ),
            });
        }
    }
    if config.service.as_ref().is_some_and(|s| s.host.is_some()) {
        for reserved in [crate::host::HOST_EXE_NAME, crate::host::CONF_NAME] {
            let taken =
                exe == reserved || file_paths.contains_key(reserved) || dirs.contains_key(reserved);
            if taken {
                return Err(RenderError::Unsupported {
                    what: "service.host".into(),
                    message: format!(
                        "the service host installs `{reserved}` into the install directory, and the program, \
                         an extra file or a folder has that name; allowed: another name"
                    ),
                });
            }
        }
    }
    Ok((dirs.into_values().collect(), files))
}

/// Adds the folder `segments` (and its parents) to `dirs`; returns the folder's id.
pub(super) fn add_folders(dirs: &mut BTreeMap<String, Directory>, segments: &[String]) -> String {
    let mut parent = INSTALL_FOLDER_ID.to_string();
    for depth in 1..=segments.len() {
        let folded = fold(&segments[..depth]);
        let dir = dirs.entry(folded.clone()).or_insert_with(|| Directory {
            id: format!("Dir_{}", path_hash(&folded)),
            name: segments[depth - 1].clone(),
            parent: parent.clone(),
        });
        parent = dir.id.clone();
    }
    parent
}
