//! Rewriting an executable: strip the signature, replace the version resource, set the
//! main icon, lay the resources out in a section, fix the headers and the checksum.
//!
//! Only header fields, the resource section and the certificate table change; every
//! other byte keeps its file offset, so code, debug data and the COFF symbol table that
//! MinGW leaves after the last section stay valid.

use std::collections::BTreeSet;

use super::ico::{group_icon_ids, IcoFile};
use super::image::{
    align_up, pe_checksum, put, put_u16, put_u32, Image, Section, DIR_BOUND_IMPORT, DIR_RESOURCE,
    DIR_SECURITY, SECTION_HEADER_LEN,
};
use super::msgtable::RT_MESSAGETABLE;
use super::rsrc::{self, ResName, RT_GROUP_ICON, RT_ICON, RT_VERSION};
use super::version::{self, VFT_APP, VFT_DLL};
use super::{parse_ico, PeError, VersionStamp};

const IMAGE_FILE_DLL: u16 = 0x2000;
const SCN_INITIALIZED_READ: u32 = 0x4000_0040;
/// Below this section alignment the loader maps the file flat, so a section's file
/// offset must equal its RVA.
const PAGE: u32 = 0x1000;

fn unsupported(msg: impl Into<String>) -> PeError {
    PeError::Unsupported(msg.into())
}

/// Checks what stamping relies on beyond what reading needs.
fn check_layout(img: &Image<'_>) -> Result<(), PeError> {
    let fa = img.file_alignment;
    let sa = img.section_alignment;
    if !fa.is_power_of_two() || fa > 0x1_0000 {
        return Err(PeError::Malformed(format!(
            "FileAlignment {fa:#x} is not a power of two up to 64 KiB"
        )));
    }
    if !sa.is_power_of_two() || sa < fa {
        return Err(PeError::Malformed(format!(
            "SectionAlignment {sa:#x} is not a power of two at least FileAlignment"
        )));
    }
    if img.num_dirs <= DIR_RESOURCE {
        return Err(unsupported(
            "the optional header has no slot for a resource directory",
        ));
    }
    let len = img.bytes.len() as u64;
    for s in &img.sections {
        if s.raw_size != 0 && s.raw_end() > len {
            return Err(PeError::Malformed(format!(
                "section {} extends past the end of the file (is the file truncated?)",
                String::from_utf8_lossy(&s.name).trim_end_matches('\0')
            )));
        }
    }
    Ok(())
}

/// Removes the Authenticode certificate table (directory entry and data) from `out`,
/// a copy of `img`'s bytes. Returns whether there was one.
pub(crate) fn strip_signature_in(out: &mut Vec<u8>, img: &Image<'_>) -> Result<bool, PeError> {
    let dir = img.dir(DIR_SECURITY);
    let Some(dir_off) = img.dir_offset(DIR_SECURITY) else {
        return Ok(false);
    };
    if dir.rva == 0 && dir.size == 0 {
        return Ok(false);
    }
    // The security directory holds a file offset, not an RVA.
    let start = u64::from(dir.rva);
    let end = start + u64::from(dir.size);
    // Authenticode appends the table after everything else; anywhere else it would
    // overlap headers or section data.
    let data_end = img
        .sections
        .iter()
        .filter(|s| s.raw_size != 0)
        .map(|s| s.raw_end())
        .max()
        .unwrap_or(0);
    if end > out.len() as u64 || start < data_end.max(u64::from(img.size_of_headers)) {
        return Err(PeError::Malformed(format!(
            "the certificate table ({} bytes at file offset {start:#x}) is not at the end of the file",
            dir.size
        )));
    }
    let (start, end) = (start as usize, end as usize);
    if out.get(end..).unwrap_or(&[]).iter().all(|&b| b == 0) {
        out.truncate(start);
    } else {
        // Something follows the table: blank it instead, so later offsets stay valid.
        out.get_mut(start..end).unwrap_or(&mut []).fill(0);
    }
    put(out, dir_off, &[0; 8])?;
    Ok(true)
}

/// Makes `ico` the executable's main icon: it replaces the first RT_GROUP_ICON (the one
/// Explorer shows, keeping its name and language so code loading it by name gets the new
/// icon), or becomes group 1. RT_ICON images only the old group used are dropped; other
/// groups and their images stay.
fn set_main_icon(
    tree: &mut rsrc::Tree,
    img: &Image<'_>,
    ico: &IcoFile,
    default_lang: u16,
) -> Result<(), PeError> {
    tree.sort();
    let mut name = ResName::Id(1);
    let mut lang = default_lang;
    let mut dropped = BTreeSet::new();
    let mut still_used = BTreeSet::new();
    if let Some(groups) = tree.find_type_mut(RT_GROUP_ICON) {
        if !groups.items.is_empty() {
            let first = groups.items.remove(0);
            name = first.name;
            if let Some(ResName::Id(l)) = first.langs.first().map(|l| &l.lang) {
                lang = u16::try_from(*l).unwrap_or(default_lang);
            }
            for l in &first.langs {
                dropped.extend(group_icon_ids(&rsrc::blob_bytes(img, &l.leaf.blob)?));
            }
        }
        for g in &groups.items {
            for l in &g.langs {
                still_used.extend(group_icon_ids(&rsrc::blob_bytes(img, &l.leaf.blob)?));
            }
        }
    }
    let mut taken = BTreeSet::new();
    if let Some(icons) = tree.find_type_mut(RT_ICON) {
        icons.items.retain(|i| match i.name {
            ResName::Id(id) => u16::try_from(id).map_or(true, |id| {
                !dropped.contains(&id) || still_used.contains(&id)
            }),
            ResName::Name(_) => true,
        });
        for i in &icons.items {
            if let ResName::Id(id) = i.name {
                taken.insert(id);
            }
        }
    }
    let mut ids = Vec::with_capacity(ico.images.len());
    let mut next: u32 = 1;
    for _ in &ico.images {
        while taken.contains(&next) {
            next += 1;
        }
        let id = u16::try_from(next)
            .map_err(|_| unsupported("the executable has no free icon resource ids"))?;
        ids.push(id);
        next += 1;
    }
    for (image, id) in ico.images.iter().zip(&ids) {
        tree.insert(
            RT_ICON,
            ResName::Id(u32::from(*id)),
            lang,
            image.data.clone(),
        );
    }
    tree.insert(RT_GROUP_ICON, name, lang, ico.group_resource(&ids));
    Ok(())
}

enum Placement {
    /// Overwrite the existing resource section, which is big enough.
    InPlace(usize),
    /// The resource section is last in memory and in the file: grow it.
    Grow(usize),
    /// Add a new section after everything else.
    Append,
}

/// The section that holds nothing but the existing resources, which may be rewritten.
fn own_rsrc_section(img: &Image<'_>) -> Option<usize> {
    let dir = img.dir(DIR_RESOURCE);
    if dir.rva == 0 {
        return None;
    }
    let i = img.section_of(dir.rva)?;
    let s = img.sections.get(i)?;
    // Its file data must not overlap the headers (including the slot a new section
    // header would take) or another section's data, or rewriting it would damage them.
    let headers_end = (img.sections_offset + (img.sections.len() + 1) * SECTION_HEADER_LEN) as u64;
    let clear = u64::from(s.raw_ptr) >= headers_end.max(u64::from(img.size_of_headers))
        && img.sections.iter().enumerate().all(|(j, t)| {
            j == i
                || t.raw_size == 0
                || t.raw_end() <= u64::from(s.raw_ptr)
                || u64::from(t.raw_ptr) >= s.raw_end()
        });
    // Nor may anything else the loader uses (imports, relocations, TLS, …) live there.
    let (start, end) = (u64::from(s.virtual_address), s.va_end());
    let shared = (0..img.num_dirs)
        .filter(|&d| d != DIR_RESOURCE && d != DIR_SECURITY)
        .map(|d| img.dir(d))
        .filter(|d| d.rva != 0 && d.size != 0)
        .any(|d| u64::from(d.rva) < end && u64::from(d.rva) + u64::from(d.size) > start);
    (s.virtual_address == dir.rva && s.name_is(".rsrc") && clear && !shared).then_some(i)
}

fn choose(img: &Image<'_>, file_len: usize, len: usize) -> Placement {
    let Some(i) = own_rsrc_section(img) else {
        return Placement::Append;
    };
    let Some(s) = img.sections.get(i) else {
        return Placement::Append;
    };
    let next_va = img
        .sections
        .iter()
        .map(|t| u64::from(t.virtual_address))
        .filter(|&va| va > u64::from(s.virtual_address))
        .min();
    let len = len as u64;
    let va_room = next_va.map_or(u64::MAX, |n| n - u64::from(s.virtual_address));
    if len <= u64::from(s.raw_size) && len <= va_room {
        return Placement::InPlace(i);
    }
    let last_in_file = img
        .sections
        .iter()
        .all(|t| t.raw_size == 0 || t.raw_end() <= s.raw_end());
    if next_va.is_none() && last_in_file && s.raw_end() == file_len as u64 {
        return Placement::Grow(i);
    }
    Placement::Append
}

pub(crate) fn stamp(
    exe: &[u8],
    version: &VersionStamp,
    icon: Option<&[u8]>,
    messages: Option<&[u8]>,
) -> Result<Vec<u8>, PeError> {
    let ico = icon.map(parse_ico).transpose()?;
    let img = Image::parse(exe)?;
    check_layout(&img)?;
    let built = build_resources(&img, version, ico.as_ref(), messages)?;
    let len = built.bytes.len();

    // One allocation: the appended section fits without reallocating (and copying)
    // the whole image again.
    let fa_len = img.file_alignment as usize;
    let mut out = Vec::with_capacity(exe.len().saturating_add(len).saturating_add(2 * fa_len));
    out.extend_from_slice(exe);
    strip_signature_in(&mut out, &img)?;

    let mut sections = img.sections.clone();
    let placed = match choose(&img, out.len(), len) {
        Placement::InPlace(i) => overwrite_section(&mut out, &mut sections, i, built)?,
        Placement::Grow(i) => grow_section(&mut out, &img, &mut sections, i, built)?,
        Placement::Append => append_section(&mut out, &img, &mut sections, built)?,
    };
    write_section_header(&mut out, &img, &sections, placed.index)?;
    fix_optional_header(&mut out, &img, &sections, &placed, len)?;
    write_checksum(&mut out, &img)?;
    Ok(out)
}

fn too_big() -> PeError {
    unsupported("the resources would push the image past 4 GiB")
}

/// The image's resource tree with the new version resource, main icon and message table.
fn build_resources(
    img: &Image<'_>,
    version: &VersionStamp,
    ico: Option<&IcoFile>,
    messages: Option<&[u8]>,
) -> Result<rsrc::Built, PeError> {
    let file_type = if img.characteristics & IMAGE_FILE_DLL != 0 {
        VFT_DLL
    } else {
        VFT_APP
    };
    let ver = version::build(version, file_type)?;

    let mut tree = rsrc::parse(img, img.dir(DIR_RESOURCE))?;
    tree.remove_type(RT_VERSION);
    tree.insert(RT_VERSION, ResName::Id(1), version.language, ver);
    if let Some(ico) = ico {
        set_main_icon(&mut tree, img, ico, version.language)?;
    }
    // A program's own message table (from mc.exe) knows its events better: kept.
    if let (Some(table), None) = (messages, tree.find_type(RT_MESSAGETABLE)) {
        tree.insert(
            RT_MESSAGETABLE,
            ResName::Id(1),
            version.language,
            table.to_vec(),
        );
    }
    rsrc::build(&mut tree, img)
}

/// Where the resource section ended up.
struct Placed {
    /// Its index in the section table.
    index: usize,
    rva: u32,
    /// How much the file's initialised data grew (or shrank).
    init_data_delta: i64,
}

/// Writes the resources over the existing resource section, which is big enough.
fn overwrite_section(
    out: &mut [u8],
    sections: &mut [Section],
    i: usize,
    built: rsrc::Built,
) -> Result<Placed, PeError> {
    let len = built.bytes.len();
    let s = sections.get_mut(i).ok_or_else(too_big)?;
    let data = built.place(s.virtual_address)?;
    let raw = out
        .get_mut(s.raw_ptr as usize..s.raw_end() as usize)
        .ok_or_else(|| PeError::Malformed("the resource section is truncated".into()))?;
    raw.fill(0);
    raw.get_mut(..data.len())
        .ok_or_else(too_big)?
        .copy_from_slice(&data);
    s.virtual_size = len as u32;
    Ok(Placed {
        index: i,
        rva: s.virtual_address,
        init_data_delta: 0,
    })
}

/// Rewrites the resource section, last in memory and in the file, at its new size.
fn grow_section(
    out: &mut Vec<u8>,
    img: &Image<'_>,
    sections: &mut [Section],
    i: usize,
    built: rsrc::Built,
) -> Result<Placed, PeError> {
    let len = built.bytes.len();
    let s = sections.get_mut(i).ok_or_else(too_big)?;
    let data = built.place(s.virtual_address)?;
    out.truncate(s.raw_ptr as usize);
    out.extend_from_slice(&data);
    let raw_size = align_up(len as u64, u64::from(img.file_alignment));
    let end = usize::try_from(u64::from(s.raw_ptr) + raw_size).map_err(|_| too_big())?;
    out.resize(end, 0);
    let init_data_delta = raw_size as i64 - i64::from(s.raw_size);
    s.raw_size = u32::try_from(raw_size).map_err(|_| too_big())?;
    s.virtual_size = len as u32;
    Ok(Placed {
        index: i,
        rva: s.virtual_address,
        init_data_delta,
    })
}

/// Adds a new .rsrc section after everything else, in memory and in the file.
fn append_section(
    out: &mut Vec<u8>,
    img: &Image<'_>,
    sections: &mut Vec<Section>,
    built: rsrc::Built,
) -> Result<Placed, PeError> {
    let len = built.bytes.len();
    let n = sections.len();
    make_header_room(out, img, sections)?;
    let (va, raw_ptr) = new_section_position(out.len(), img, sections)?;
    let raw_size = align_up(len as u64, u64::from(img.file_alignment));
    if va + raw_size > u64::from(u32::MAX) || raw_ptr + raw_size > u64::from(u32::MAX) {
        return Err(too_big());
    }
    if raw_ptr > out.len() as u64 + (64 << 20) {
        // Only a flat (low-alignment) image whose sections claim far more memory
        // than the file holds gets here; padding gigabytes would be absurd.
        return Err(PeError::Malformed(
            "the sections claim far more memory than the file holds".into(),
        ));
    }
    let data = built.place(va as u32)?;
    out.resize(raw_ptr as usize, 0);
    out.extend_from_slice(&data);
    out.resize((raw_ptr + raw_size) as usize, 0);
    sections.push(Section {
        name: *b".rsrc\0\0\0",
        virtual_size: len as u32,
        virtual_address: va as u32,
        raw_size: raw_size as u32,
        raw_ptr: raw_ptr as u32,
        characteristics: SCN_INITIALIZED_READ,
    });
    let count = u16::try_from(sections.len())
        .map_err(|_| unsupported("the executable already has 65535 sections"))?;
    put_u16(out, img.coff_offset + 2, count)?;
    Ok(Placed {
        index: n,
        rva: va as u32,
        init_data_delta: raw_size as i64,
    })
}

/// Checks there is room for one more section header, dropping bound imports that sit
/// where it goes.
fn make_header_room(out: &mut [u8], img: &Image<'_>, sections: &[Section]) -> Result<(), PeError> {
    let table_end = img.sections_offset + sections.len() * SECTION_HEADER_LEN;
    let new_end = table_end + SECTION_HEADER_LEN;
    let first_raw = sections
        .iter()
        .filter(|s| s.raw_size != 0 && s.raw_ptr != 0)
        .map(|s| u64::from(s.raw_ptr))
        .min()
        .unwrap_or(u64::MAX);
    let limit = u64::from(img.size_of_headers).min(first_raw);
    if new_end as u64 > limit {
        return Err(unsupported(format!(
            "there is no room for another section header (the headers end at {limit:#x}); \
             link the executable with a resource section (for example an embedded \
             manifest) or with more header space"
        )));
    }
    if out
        .get(table_end..new_end)
        .is_some_and(|b| b.iter().any(|&c| c != 0))
    {
        let bound = img.dir(DIR_BOUND_IMPORT);
        let b_start = u64::from(bound.rva);
        let b_end = b_start + u64::from(bound.size);
        match img.dir_offset(DIR_BOUND_IMPORT) {
            // Bound imports are only a load-time shortcut; dropping them is safe.
            Some(off)
                if bound.size != 0 && b_start < new_end as u64 && b_end > table_end as u64 =>
            {
                put(out, off, &[0; 8])?;
            }
            _ => {
                return Err(unsupported(
                    "the space after the section table is in use, so no section can be added",
                ))
            }
        }
    }
    Ok(())
}

/// The RVA and file offset of a section added after everything else.
fn new_section_position(
    file_len: usize,
    img: &Image<'_>,
    sections: &[Section],
) -> Result<(u64, u64), PeError> {
    let sa = u64::from(img.section_alignment);
    let max_va_end = sections
        .iter()
        .map(|s| s.va_end())
        .max()
        .unwrap_or(0)
        .max(u64::from(img.size_of_headers));
    let va = align_up(max_va_end, sa);
    let raw_ptr = align_up(file_len as u64, u64::from(img.file_alignment));
    if img.section_alignment < PAGE {
        let both = align_up(va.max(raw_ptr), sa);
        return Ok((both, both));
    }
    Ok((va, raw_ptr))
}

/// Writes the resource section's header into the section table.
fn write_section_header(
    out: &mut [u8],
    img: &Image<'_>,
    sections: &[Section],
    index: usize,
) -> Result<(), PeError> {
    let s = sections.get(index).ok_or_else(too_big)?;
    let h = img.sections_offset + index * SECTION_HEADER_LEN;
    let mut hdr = Vec::with_capacity(SECTION_HEADER_LEN);
    hdr.extend_from_slice(&s.name);
    for v in [
        s.virtual_size,
        s.virtual_address,
        s.raw_size,
        s.raw_ptr,
        0,
        0,
    ] {
        hdr.extend_from_slice(&v.to_le_bytes());
    }
    hdr.extend_from_slice(&[0; 4]);
    hdr.extend_from_slice(&s.characteristics.to_le_bytes());
    if index < img.sections.len() {
        // Keep the relocation/line-number fields of an existing header untouched.
        put(out, h, hdr.get(..24).unwrap_or(&[]))?;
    } else {
        put(out, h, &hdr)?;
    }
    Ok(())
}

/// Points the resource directory at the new section and updates the image sizes.
fn fix_optional_header(
    out: &mut [u8],
    img: &Image<'_>,
    sections: &[Section],
    placed: &Placed,
    len: usize,
) -> Result<(), PeError> {
    let dir_off = img.dir_offset(DIR_RESOURCE).ok_or_else(too_big)?;
    put_u32(out, dir_off, placed.rva)?;
    put_u32(out, dir_off + 4, len as u32)?;

    let sa = u64::from(img.section_alignment);
    let image_end = align_up(sections.iter().map(|s| s.va_end()).max().unwrap_or(0), sa);
    let size_of_image = u64::from(img.size_of_image).max(image_end);
    put_u32(
        out,
        img.opt_offset + 56,
        u32::try_from(size_of_image).map_err(|_| too_big())?,
    )?;
    // SizeOfInitializedData is informational, but keep it consistent.
    let init = i64::from(super::image::u32_at(img.bytes, img.opt_offset + 8).unwrap_or(0));
    let init = (init + placed.init_data_delta).clamp(0, i64::from(u32::MAX)) as u32;
    put_u32(out, img.opt_offset + 8, init)
}

fn write_checksum(out: &mut [u8], img: &Image<'_>) -> Result<(), PeError> {
    let ck = img.checksum_offset();
    put_u32(out, ck, 0)?;
    let sum = pe_checksum(out, ck);
    put_u32(out, ck, sum)
}
