//! Media: the Media rows (authored, from the MediaTemplate, or WiX v4's default one), the
//! order and sequence numbers of files across disks, and the cabinets that carry them —
//! embedded as streams or placed beside the MSI — with uncompressed files laid out beside
//! the MSI as Windows Installer expects them.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::directories::{source_layout_path, Dirs};
use super::payload::FileData;
use super::LowerOptions;
use crate::cab::{self, CabOptions};
use crate::error::{Result, WixError};
use crate::model::{
    ComponentDef, Compression, FileDef, MediaDef, MediaTemplate, PackageInfo, Row, Val,
};
use crate::stream::{Blob, CabinetPlan, SourceFile};

/// What the media phase hands on: streams for the MSI, files beside it, the Media rows,
/// and each file's sequence number (indexed like the files).
pub(super) struct MediaLayout {
    pub streams: Vec<(String, Blob)>,
    pub external: Vec<(PathBuf, Blob)>,
    pub rows: Vec<Row>,
    pub sequence: Vec<i32>,
}

/// The Media definitions in DiskId order: the authored ones, else one from the template.
fn media_definitions(
    package: &PackageInfo,
    media: Vec<MediaDef>,
    media_template: Option<MediaTemplate>,
) -> Vec<MediaDef> {
    let template = media_template;
    let mut media_rows: Vec<MediaDef> = media;
    if media_rows.is_empty() {
        let (cab_name, embed, compression, loc) = match &template {
            Some(t) => (
                t.cabinet_template.replace("{0}", "1"),
                t.embed,
                t.compression,
                t.loc.clone(),
            ),
            None => (
                "cab1.cab".to_string(),
                true,
                Compression::Mszip,
                package.loc.clone(),
            ),
        };
        let has_cab = package.compressed || template.is_some();
        media_rows.push(MediaDef {
            id: 1,
            cabinet: has_cab.then_some(cab_name),
            embed,
            disk_prompt: None,
            volume_label: None,
            compression,
            loc,
        });
    }
    media_rows.sort_by_key(|m| m.id);

    media_rows
}

/// Lays out the payload: sequence numbers by disk, then authoring order (1..N); one Media
/// row per disk, with its cabinet planned (compressed while the MSI is written).
#[allow(clippy::too_many_arguments)]
pub(super) fn media_layout(
    package: &PackageInfo,
    media: Vec<MediaDef>,
    media_template: Option<MediaTemplate>,
    components: &[ComponentDef],
    files: &[FileDef],
    data: &[FileData],
    dirs: &Dirs,
    opts: &LowerOptions,
) -> Result<MediaLayout> {
    let media_rows = media_definitions(package, media, media_template);
    // File order: by disk, then authoring order; sequences 1..N.
    let comp_disk: BTreeMap<&str, Option<i32>> = components
        .iter()
        .map(|c| (c.id.as_str(), c.disk_id))
        .collect();
    let mut order: Vec<usize> = (0..files.len()).collect();
    let disk_of = |i: usize| -> i32 {
        files[i]
            .disk_id
            .or(comp_disk
                .get(files[i].component.as_str())
                .copied()
                .flatten())
            .unwrap_or(1)
    };
    order.sort_by_key(|&i| (disk_of(i), i));
    for &i in &order {
        let d = disk_of(i);
        if !media_rows.iter().any(|m| m.id == d) {
            return Err(WixError::new(
                files[i].loc.clone(),
                format!(
                    "File `{}` is on DiskId {d}, but there is no Media with Id {d}",
                    files[i].id
                ),
            ));
        }
    }
    let mut seq_of = vec![0i32; files.len()];
    for (n, &i) in order.iter().enumerate() {
        seq_of[i] = n as i32 + 1;
    }

    let mut out_streams: Vec<(String, Blob)> = Vec::new();
    let mut external: Vec<(PathBuf, Blob)> = Vec::new();
    let mut table_rows: Vec<Row> = Vec::new();
    for MediaDef {
        id,
        cabinet,
        embed,
        compression,
        disk_prompt: prompt,
        volume_label: label,
        loc,
    } in &media_rows
    {
        let members: Vec<usize> = order
            .iter()
            .copied()
            .filter(|&i| disk_of(i) == *id)
            .collect();
        let last = members.iter().map(|&i| seq_of[i]).max().unwrap_or(0);
        let compressed_files: Vec<usize> = members
            .iter()
            .copied()
            .filter(|&i| file_is_compressed(files[i].attributes, package.compressed))
            .collect();
        let mut cab_col = None;
        if let Some(name) = cabinet
            .as_ref()
            .filter(|_| !compressed_files.is_empty() || members.is_empty())
        {
            let entries: Vec<(String, SourceFile)> = compressed_files
                .iter()
                .map(|&i| (files[i].id.clone(), data[i].source.clone()))
                .collect();
            let cab_opts = CabOptions {
                compression: if *compression == Compression::None {
                    cab::Compression::None
                } else {
                    cab::Compression::Mszip
                },
                timestamp: opts.timestamp,
                threads: opts.threads,
            };
            // Compressed while the MSI is written (super::stream), reading each file again.
            let bytes = Blob::Cabinet(CabinetPlan {
                name: name.clone(),
                files: entries,
                options: cab_opts,
                loc: loc.clone(),
            });
            if *embed {
                if name.len() > 62 {
                    return Err(WixError::new(
                        loc.clone(),
                        format!(
                            "embedded cabinet name `{name}` is too long (62 characters at most)"
                        ),
                    ));
                }
                out_streams.push((name.clone(), bytes));
                cab_col = Some(format!("#{name}"));
            } else {
                external.push((PathBuf::from(name), bytes));
                cab_col = Some(name.clone());
            }
        }
        // Files that are not in a cabinet are laid out uncompressed beside the MSI.
        for &i in members
            .iter()
            .filter(|&&i| !file_is_compressed(files[i].attributes, package.compressed))
        {
            let rel = source_layout_path(dirs, &files[i].directory, &files[i].name);
            external.push((rel, Blob::File(data[i].source.clone())));
        }
        table_rows.push(Row {
            table: "Media",
            values: vec![
                (*id).into(),
                last.into(),
                Val::opt_str(prompt.clone()),
                Val::opt_str(cab_col),
                Val::opt_str(label.clone()),
                Val::Null,
            ],
            loc: loc.clone(),
        });
    }

    Ok(MediaLayout {
        streams: out_streams,
        external,
        rows: table_rows,
        sequence: seq_of,
    })
}

/// Whether a file goes into a cabinet: its own Compressed bits win over the package's.
fn file_is_compressed(attributes: i32, default: bool) -> bool {
    if attributes & 0x4000 != 0 {
        true
    } else if attributes & 0x2000 != 0 {
        false
    } else {
        default
    }
}
