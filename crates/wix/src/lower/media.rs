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
use crate::xml::Dialect;

/// What the media phase hands on: streams for the MSI, files beside it, the Media rows,
/// and each file's sequence number (indexed like the files).
pub(super) struct MediaLayout {
    pub streams: Vec<(String, Blob)>,
    pub external: Vec<(PathBuf, Blob)>,
    pub rows: Vec<Row>,
    pub sequence: Vec<i32>,
}

/// WiX's MaximumUncompressedMediaSize when a MediaTemplate does not say (AssignMediaCommand).
const DEFAULT_MAX_UNCOMPRESSED_MB: u64 = 200;
/// WiX stops opening cabinets at this index; later files all go into the last one.
const MAX_CABINET_INDEX: i32 = 999;
/// Files one Media row's sequence range may hold. The File table's Sequence column held
/// 16-bit signed values before Windows Installer 2.0 (File table,
/// https://learn.microsoft.com/windows/win32/msi/file-table), and a cabinet's CFFILE
/// count is 16 bits: a Media row stays within both.
const MAX_FILES_PER_MEDIA: usize = 32_767;
/// Uncompressed bytes past which a MediaTemplate opens a new cabinet whatever
/// MaximumUncompressedMediaSize says: Windows' cabinet API keeps offsets in a signed 32-bit
/// `long` (2 GiB − 1, see `cab::MAX_CABINET_BYTES`), and MSZIP can expand incompressible
/// data by 15 bytes per 32 KiB block plus the file headers, so this leaves ~140 MB of room.
const CABINET_SPLIT_BYTES: u64 = 2_000_000_000;

/// Where each file goes: the Media definitions in DiskId order, and each file's DiskId
/// (indexed like the files).
struct Assignment {
    media: Vec<MediaDef>,
    disk: Vec<i32>,
}

/// Assigns files to media as WiX's binder does. With a MediaTemplate (authored, or WiX v4's
/// default `cab{0}.cab` when a package authors no Media), compressed files fill cabinets
/// in authoring order, opening the next one when the current would exceed
/// MaximumUncompressedMediaSize (a larger file gets a cabinet of its own). Otherwise each
/// file is on the Media its File, Component or Directory names (DiskId, default 1).
fn assign_media(
    package: &PackageInfo,
    media: Vec<MediaDef>,
    media_template: Option<MediaTemplate>,
    components: &[ComponentDef],
    files: &[FileDef],
    data: &[FileData],
) -> Result<Assignment> {
    let authored = authored_disks(components, files);
    Ok(match template_in_effect(package, &media, media_template)? {
        Some(template) => template_media(package, &template, files, data, &authored),
        None => authored_media(package, media, authored),
    })
}

/// Each file's DiskId as its File, else its Component, names it (default 1).
fn authored_disks(components: &[ComponentDef], files: &[FileDef]) -> Vec<i32> {
    let comp_disk: BTreeMap<&str, Option<i32>> = components
        .iter()
        .map(|c| (c.id.as_str(), c.disk_id))
        .collect();
    files
        .iter()
        .map(|f| {
            f.disk_id
                .or(comp_disk.get(f.component.as_str()).copied().flatten())
                .unwrap_or(1)
        })
        .collect()
}

/// The authored MediaTemplate (with at most one Media), or WiX v4's default one for a
/// package without Media.
fn template_in_effect(
    package: &PackageInfo,
    media: &[MediaDef],
    media_template: Option<MediaTemplate>,
) -> Result<Option<MediaTemplate>> {
    Ok(match media_template {
        Some(t) => {
            if media.len() > 1 {
                return Err(WixError::new(
                    t.loc.clone(),
                    "MediaTemplate cannot be combined with more than one Media element: \
                     with a MediaTemplate the cabinets are assigned automatically",
                ));
            }
            Some(t)
        }
        // WiX v4+ gives a package without Media a default MediaTemplate.
        None if media.is_empty() && package.dialect == Dialect::V4 => Some(MediaTemplate {
            cabinet_template: "cab{0}.cab".into(),
            embed: true,
            compression: Compression::Mszip,
            max_uncompressed_mb: None,
            loc: package.loc.clone(),
        }),
        None => None,
    })
}

/// Without a MediaTemplate each file is on the Media it names.
fn authored_media(package: &PackageInfo, mut media: Vec<MediaDef>, disk: Vec<i32>) -> Assignment {
    if media.is_empty() {
        // A WiX v3 package without Media: one cabinet (WiX v3 asks for a Media element).
        media.push(MediaDef {
            id: 1,
            cabinet: package.compressed.then(|| "cab1.cab".to_string()),
            embed: true,
            disk_prompt: None,
            volume_label: None,
            compression: Compression::Mszip,
            loc: package.loc.clone(),
        });
    }
    media.sort_by_key(|m| m.id);
    Assignment { media, disk }
}

/// With a MediaTemplate, compressed files fill its cabinets in authoring order;
/// uncompressed files stay on the Media they name.
fn template_media(
    package: &PackageInfo,
    template: &MediaTemplate,
    files: &[FileDef],
    data: &[FileData],
    authored: &[i32],
) -> Assignment {
    let max_bytes = template
        .max_uncompressed_mb
        .map_or(DEFAULT_MAX_UNCOMPRESSED_MB, |mb| mb as u64)
        * 1024
        * 1024;
    let mut media = Vec::new();
    let mut disk = vec![1; files.len()];
    // A cabinet also closes before it would pass the cabinet API's 2 GiB or a Media row's
    // file count, so a MediaTemplate never produces a package Windows cannot install.
    let max_bytes = max_bytes.min(CABINET_SPLIT_BYTES);
    let (mut index, mut filled, mut count) = (0i32, 0u64, 0usize);
    for (i, f) in files.iter().enumerate() {
        if !file_is_compressed(f.attributes, package.compressed) {
            disk[i] = authored[i];
            continue;
        }
        if index != MAX_CABINET_INDEX {
            let size = data[i].source.size;
            filled += size;
            count += 1;
            if filled > max_bytes || count > MAX_FILES_PER_MEDIA {
                index += 1;
                media.push(template_cabinet(template, index));
                (filled, count) = (size, 1);
            } else if index == 0 {
                index += 1;
                media.push(template_cabinet(template, index));
            }
        }
        disk[i] = index;
    }
    if media.is_empty() {
        // No compressed file: one Media row for the uncompressed ones (or, for an empty
        // package, the template's first cabinet).
        let mut only = template_cabinet(template, 1);
        if !disk.is_empty() || !package.compressed {
            only.cabinet = None;
        }
        media.push(only);
    }
    Assignment { media, disk }
}

/// The template's cabinet number `index`.
fn template_cabinet(template: &MediaTemplate, index: i32) -> MediaDef {
    MediaDef {
        id: index,
        cabinet: Some(template.cabinet_template.replace("{0}", &index.to_string())),
        embed: template.embed,
        disk_prompt: None,
        volume_label: None,
        compression: template.compression,
        loc: template.loc.clone(),
    }
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
    let Assignment {
        media: media_rows,
        disk,
    } = assign_media(package, media, media_template, components, files, data)?;
    let order = file_order(&disk, &media_rows, files)?;
    let payload = Payload {
        package,
        files,
        data,
        dirs,
        opts,
    };
    let mut layout = MediaLayout {
        streams: Vec::new(),
        external: Vec::new(),
        rows: Vec::new(),
        sequence: sequence_numbers(&order),
    };
    for media in &media_rows {
        let members = members_of(media, &order, &disk)?;
        layout.disk(&payload, media, &members)?;
    }
    Ok(layout)
}

/// File order: by disk, then authoring order; every file's disk must have a Media row.
fn file_order(disk: &[i32], media_rows: &[MediaDef], files: &[FileDef]) -> Result<Vec<usize>> {
    let mut order: Vec<usize> = (0..files.len()).collect();
    order.sort_by_key(|&i| (disk[i], i));
    for &i in &order {
        let d = disk[i];
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
    Ok(order)
}

/// Each file's sequence number (indexed like the files): its place in `order`, from 1.
fn sequence_numbers(order: &[usize]) -> Vec<i32> {
    let mut seq_of = vec![0i32; order.len()];
    for (n, &i) in order.iter().enumerate() {
        seq_of[i] = n as i32 + 1;
    }
    seq_of
}

/// The files on `media`, in file order; no more than one Media row can hold.
fn members_of(media: &MediaDef, order: &[usize], disk: &[i32]) -> Result<Vec<usize>> {
    let members: Vec<usize> = order
        .iter()
        .copied()
        .filter(|&i| disk[i] == media.id)
        .collect();
    if members.len() > MAX_FILES_PER_MEDIA {
        return Err(WixError::new(
            media.loc.clone(),
            format!(
                "Media {} holds {} files, but a Media row can hold at most \
                 {MAX_FILES_PER_MEDIA} (Windows Installer's File sequence and the \
                 cabinet's file count); spread the files over more Media (File/@DiskId) \
                 or use a MediaTemplate",
                media.id,
                members.len()
            ),
        ));
    }
    Ok(members)
}

/// The package's files and what laying them out needs.
struct Payload<'a> {
    package: &'a PackageInfo,
    files: &'a [FileDef],
    data: &'a [FileData],
    dirs: &'a Dirs,
    opts: &'a LowerOptions,
}

impl Payload<'_> {
    fn is_compressed(&self, i: usize) -> bool {
        file_is_compressed(self.files[i].attributes, self.package.compressed)
    }
}

impl MediaLayout {
    /// One disk: its cabinet, its uncompressed files beside the MSI, and its Media row.
    fn disk(&mut self, payload: &Payload, media: &MediaDef, members: &[usize]) -> Result<()> {
        let last = members.iter().map(|&i| self.sequence[i]).max().unwrap_or(0);
        let cabinet = self.cabinet(payload, media, members)?;
        // Files that are not in a cabinet are laid out uncompressed beside the MSI.
        for &i in members.iter().filter(|&&i| !payload.is_compressed(i)) {
            let file = &payload.files[i];
            let rel = source_layout_path(payload.dirs, &file.directory, &file.name);
            self.external
                .push((rel, Blob::File(payload.data[i].source.clone())));
        }
        self.rows.push(Row {
            table: "Media",
            values: vec![
                media.id.into(),
                last.into(),
                Val::opt_str(media.disk_prompt.clone()),
                Val::opt_str(cabinet),
                Val::opt_str(media.volume_label.clone()),
                Val::Null,
            ],
            loc: media.loc.clone(),
        });
        Ok(())
    }

    /// The disk's cabinet of its compressed files, when it names one and has any (or has no
    /// files at all): embedded as a stream or placed beside the MSI. Returns the Media
    /// row's Cabinet column.
    fn cabinet(
        &mut self,
        payload: &Payload,
        media: &MediaDef,
        members: &[usize],
    ) -> Result<Option<String>> {
        let compressed_files: Vec<usize> = members
            .iter()
            .copied()
            .filter(|&i| payload.is_compressed(i))
            .collect();
        let Some(name) = media
            .cabinet
            .as_ref()
            .filter(|_| !compressed_files.is_empty() || members.is_empty())
        else {
            return Ok(None);
        };
        let entries: Vec<(String, SourceFile)> = compressed_files
            .iter()
            .map(|&i| (payload.files[i].id.clone(), payload.data[i].source.clone()))
            .collect();
        let cab_opts = CabOptions {
            compression: if media.compression == Compression::None {
                cab::Compression::None
            } else {
                cab::Compression::Mszip
            },
            timestamp: payload.opts.timestamp,
            threads: payload.opts.threads,
        };
        // Compressed while the MSI is written (super::stream), reading each file again.
        let bytes = Blob::Cabinet(CabinetPlan {
            name: name.clone(),
            files: entries,
            options: cab_opts,
            loc: media.loc.clone(),
        });
        if !media.embed {
            self.external.push((PathBuf::from(name), bytes));
            return Ok(Some(name.clone()));
        }
        if name.len() > 62 {
            return Err(WixError::new(
                media.loc.clone(),
                format!("embedded cabinet name `{name}` is too long (62 characters at most)"),
            ));
        }
        self.streams.push((name.clone(), bytes));
        Ok(Some(format!("#{name}")))
    }
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
