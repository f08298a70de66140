//! The resource directory (.rsrc): a three-level tree type → name → language → data,
//! parsed from an image and serialised back into a fresh, self-contained section.
//!
//! Existing resource data is not copied when parsing: leaves point back into the input
//! image and are copied byte for byte when the new section is written, so manifests,
//! icons and string tables survive unchanged.

use std::cmp::Ordering;

use super::image::{u16_at, u32_at, DataDir, Image};
use super::PeError;

pub(crate) const RT_ICON: u32 = 3;
pub(crate) const RT_GROUP_ICON: u32 = 14;
pub(crate) const RT_VERSION: u32 = 16;

/// Windows never nests deeper than this, and a cap protects against loops and
/// quadratic blow-ups from shared subdirectories in hostile files.
const MAX_NODES: usize = 100_000;

/// A resource type, name or language: a string (UTF-16 units) or an integer id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ResName {
    Name(Vec<u16>),
    Id(u32),
}

impl Ord for ResName {
    /// The order the loader's binary search expects: named entries first (compared
    /// unit by unit, as rc.exe stores them upper-cased), then ids ascending.
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (ResName::Name(a), ResName::Name(b)) => a.cmp(b),
            (ResName::Name(_), ResName::Id(_)) => Ordering::Less,
            (ResName::Id(_), ResName::Name(_)) => Ordering::Greater,
            (ResName::Id(a), ResName::Id(b)) => a.cmp(b),
        }
    }
}

impl PartialOrd for ResName {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The header fields of one IMAGE_RESOURCE_DIRECTORY, kept so untouched directories
/// are written back as they were.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct DirMeta {
    pub characteristics: u32,
    pub timestamp: u32,
    pub major: u16,
    pub minor: u16,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Blob {
    /// Data still in the input image.
    Image {
        rva: u32,
        size: u32,
    },
    Owned(Vec<u8>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Leaf {
    pub codepage: u32,
    pub reserved: u32,
    pub blob: Blob,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LangEntry {
    pub lang: ResName,
    pub leaf: Leaf,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ItemEntry {
    pub name: ResName,
    pub meta: DirMeta,
    pub langs: Vec<LangEntry>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TypeEntry {
    pub name: ResName,
    pub meta: DirMeta,
    pub items: Vec<ItemEntry>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Tree {
    pub meta: DirMeta,
    pub types: Vec<TypeEntry>,
}

fn bad(msg: impl Into<String>) -> PeError {
    PeError::BadResources(msg.into())
}

struct Parser<'i, 'a> {
    img: &'i Image<'a>,
    region: &'i [u8],
    nodes: usize,
    data_total: u64,
    data_budget: u64,
}

impl Parser<'_, '_> {
    fn dir(&mut self, off: u32) -> Result<(DirMeta, Vec<(u32, u32)>), PeError> {
        let off = off as usize;
        let r = self.region;
        let hdr = r.get(off..off.saturating_add(16)).ok_or_else(|| {
            bad(format!(
                "a resource directory at offset {off:#x} lies outside the resource section"
            ))
        })?;
        let meta = DirMeta {
            characteristics: u32_at(hdr, 0).unwrap_or(0),
            timestamp: u32_at(hdr, 4).unwrap_or(0),
            major: u16_at(hdr, 8).unwrap_or(0),
            minor: u16_at(hdr, 10).unwrap_or(0),
        };
        let n =
            usize::from(u16_at(hdr, 12).unwrap_or(0)) + usize::from(u16_at(hdr, 14).unwrap_or(0));
        self.nodes += n + 1;
        if self.nodes > MAX_NODES {
            return Err(bad(format!("more than {MAX_NODES} resource entries")));
        }
        let entries_off = off + 16;
        let table = r.get(entries_off..entries_off + n * 8).ok_or_else(|| {
            bad(format!(
                "the resource directory at offset {off:#x} has {n} entries but is truncated"
            ))
        })?;
        Ok((
            meta,
            table
                .chunks_exact(8)
                .map(|e| (u32_at(e, 0).unwrap_or(0), u32_at(e, 4).unwrap_or(0)))
                .collect(),
        ))
    }

    fn name(&self, field: u32) -> Result<ResName, PeError> {
        if field & 0x8000_0000 == 0 {
            return Ok(ResName::Id(field));
        }
        let off = (field & 0x7fff_ffff) as usize;
        let len = u16_at(self.region, off).ok_or_else(|| {
            bad(format!(
                "a resource name at offset {off:#x} lies outside the resource section"
            ))
        })?;
        let units = self
            .region
            .get(off + 2..off + 2 + usize::from(len) * 2)
            .ok_or_else(|| bad(format!("the resource name at offset {off:#x} is truncated")))?;
        Ok(ResName::Name(
            units
                .chunks_exact(2)
                .map(|c| {
                    u16::from_le_bytes([
                        c.first().copied().unwrap_or(0),
                        c.get(1).copied().unwrap_or(0),
                    ])
                })
                .collect(),
        ))
    }

    fn subdir(&self, field: u32, level: &str) -> Result<u32, PeError> {
        if field & 0x8000_0000 == 0 {
            return Err(bad(format!(
                "a {level} entry points to data where a directory is expected"
            )));
        }
        Ok(field & 0x7fff_ffff)
    }

    fn leaf(&mut self, field: u32) -> Result<Leaf, PeError> {
        if field & 0x8000_0000 != 0 {
            return Err(bad(
                "a language entry points to a fourth directory level, which Windows does not use",
            ));
        }
        let off = field as usize;
        let e = self
            .region
            .get(off..off.saturating_add(16))
            .ok_or_else(|| {
                bad(format!(
                    "a resource data entry at offset {off:#x} lies outside the resource section"
                ))
            })?;
        let rva = u32_at(e, 0).unwrap_or(0);
        let size = u32_at(e, 4).unwrap_or(0);
        if !self.img.range_mapped(rva, size as usize) {
            return Err(bad(format!(
                "resource data at RVA {rva:#x} ({size} bytes) lies outside the image"
            )));
        }
        self.data_total += u64::from(size);
        if self.data_total > self.data_budget {
            return Err(bad(
                "the resource entries reference more data than the file holds",
            ));
        }
        Ok(Leaf {
            codepage: u32_at(e, 8).unwrap_or(0),
            reserved: u32_at(e, 12).unwrap_or(0),
            blob: Blob::Image { rva, size },
        })
    }
}

/// Parses the resource tree that the resource data directory points at.
pub(crate) fn parse(img: &Image<'_>, dir: DataDir) -> Result<Tree, PeError> {
    if dir.rva == 0 {
        return Ok(Tree::default());
    }
    // Offsets inside the tree are relative to the directory start and may reach
    // anywhere in the rest of its section. Directories and names are never in the
    // zero-filled tail of a section (they would be empty), so the file data suffices.
    let region = img.file_backed_from(dir.rva).ok_or_else(|| {
        bad(format!(
            "the resource directory RVA {:#x} is not inside any section",
            dir.rva
        ))
    })?;
    let mut p = Parser {
        img,
        region,
        nodes: 0,
        data_total: 0,
        data_budget: (img.bytes.len() as u64).saturating_mul(2) + (1 << 20),
    };
    let (meta, types) = p.dir(0)?;
    let mut tree = Tree {
        meta,
        types: Vec::new(),
    };
    for (tn, td) in types {
        let name = p.name(tn)?;
        let (tmeta, items) = p.dir(p.subdir(td, "resource type")?)?;
        let mut te = TypeEntry {
            name,
            meta: tmeta,
            items: Vec::new(),
        };
        for (nn, nd) in items {
            let name = p.name(nn)?;
            let (nmeta, langs) = p.dir(p.subdir(nd, "resource name")?)?;
            let mut ie = ItemEntry {
                name,
                meta: nmeta,
                langs: Vec::new(),
            };
            for (ln, ld) in langs {
                let lang = p.name(ln)?;
                let leaf = p.leaf(ld)?;
                ie.langs.push(LangEntry { lang, leaf });
            }
            te.items.push(ie);
        }
        tree.types.push(te);
    }
    Ok(tree)
}

impl Tree {
    pub fn find_type(&self, id: u32) -> Option<&TypeEntry> {
        self.types.iter().find(|t| t.name == ResName::Id(id))
    }

    pub fn find_type_mut(&mut self, id: u32) -> Option<&mut TypeEntry> {
        self.types.iter_mut().find(|t| t.name == ResName::Id(id))
    }

    pub fn remove_type(&mut self, id: u32) {
        self.types.retain(|t| t.name != ResName::Id(id));
    }

    /// Adds (or replaces) one resource in one language.
    pub fn insert(&mut self, ty: u32, name: ResName, lang: u16, data: Vec<u8>) {
        let leaf = Leaf {
            codepage: 0,
            reserved: 0,
            blob: Blob::Owned(data),
        };
        if self.find_type(ty).is_none() {
            self.types.push(TypeEntry {
                name: ResName::Id(ty),
                meta: DirMeta::default(),
                items: Vec::new(),
            });
        }
        let Some(t) = self.find_type_mut(ty) else {
            return;
        };
        let item = match t.items.iter().position(|i| i.name == name) {
            Some(i) => i,
            None => {
                t.items.push(ItemEntry {
                    name,
                    meta: DirMeta::default(),
                    langs: Vec::new(),
                });
                t.items.len() - 1
            }
        };
        if let Some(it) = t.items.get_mut(item) {
            let lang = ResName::Id(u32::from(lang));
            it.langs.retain(|l| l.lang != lang);
            it.langs.push(LangEntry { lang, leaf });
        }
    }

    /// Sorts every level into loader order (stable, so duplicates keep their order).
    pub fn sort(&mut self) {
        self.types.sort_by(|a, b| a.name.cmp(&b.name));
        for t in &mut self.types {
            t.items.sort_by(|a, b| a.name.cmp(&b.name));
            for i in &mut t.items {
                i.langs.sort_by(|a, b| a.lang.cmp(&b.lang));
            }
        }
    }
}

/// Resource bytes fetched from the image (borrowed) or owned by the tree.
pub(crate) fn blob_bytes<'t>(
    img: &Image<'t>,
    blob: &'t Blob,
) -> Result<std::borrow::Cow<'t, [u8]>, PeError> {
    match blob {
        Blob::Owned(v) => Ok(std::borrow::Cow::Borrowed(v)),
        Blob::Image { rva, size } => img.mapped(*rva, *size as usize).ok_or_else(|| {
            bad(format!(
                "resource data at RVA {rva:#x} lies outside the image"
            ))
        }),
    }
}

/// A serialised resource section whose data-entry RVAs are still relative to 0.
pub(crate) struct Built {
    pub bytes: Vec<u8>,
    rva_fields: Vec<usize>,
}

impl Built {
    /// Fixes the data-entry RVAs for a section placed at `base`.
    pub fn place(mut self, base: u32) -> Result<Vec<u8>, PeError> {
        for &f in &self.rva_fields {
            let rel = u32_at(&self.bytes, f).unwrap_or(0);
            let abs = rel
                .checked_add(base)
                .ok_or_else(|| bad("the resource section would end beyond 4 GiB"))?;
            super::image::put_u32(&mut self.bytes, f, abs)?;
        }
        Ok(self.bytes)
    }
}

const OFFSET_LIMIT: usize = 0x7fff_0000;
/// IMAGE_RESOURCE_DATA_IS_DIRECTORY: the entry's offset is a subdirectory's.
const IS_DIRECTORY: u32 = 0x8000_0000;
/// IMAGE_RESOURCE_NAME_IS_STRING: the entry's name is a string's offset.
const NAME_IS_STRING: u32 = 0x8000_0000;

/// Serialises the tree (sorted first) in the layout rc/cvtres use: all directories
/// breadth first, then the data entries, then the names, then the data, each blob
/// 8-byte aligned.
pub(crate) fn build(tree: &mut Tree, img: &Image<'_>) -> Result<Built, PeError> {
    tree.sort();
    let tree: &Tree = tree;
    let layout = Layout::of(tree);
    let mut dirs = DirWriter {
        out: Vec::new(),
        strings: Vec::new(),
        strings_off: layout.strings_off,
    };
    dirs.write(tree, &layout)?;
    let DirWriter {
        mut out, strings, ..
    } = dirs;
    if out.len() != layout.data_entries_off {
        return Err(bad("internal error laying out the resource directory"));
    }
    // Data entries, filled in once the blobs are placed.
    let entries_start = out.len();
    out.resize(entries_start + 16 * layout.leaves, 0);
    out.extend_from_slice(&strings);
    let rva_fields = write_data(&mut out, tree, img, entries_start)?;
    // Keep the section's virtual size a multiple of 8, as rc does.
    out.resize(super::image::align_up(out.len() as u64, 8) as usize, 0);
    Ok(Built {
        bytes: out,
        rva_fields,
    })
}

/// Where each part of the serialised directory starts.
struct Layout {
    /// Each type's directory.
    type_dir_off: Vec<usize>,
    /// Each type's items' directories.
    item_dir_off: Vec<Vec<usize>>,
    data_entries_off: usize,
    /// How many data entries (languages of all items) there are.
    leaves: usize,
    strings_off: usize,
}

impl Layout {
    fn of(tree: &Tree) -> Layout {
        let dir_len = |n: usize| 16 + 8 * n;
        let mut type_dir_off = Vec::new();
        let mut item_dir_off = Vec::new();
        let mut pos = dir_len(tree.types.len());
        for t in &tree.types {
            type_dir_off.push(pos);
            pos += dir_len(t.items.len());
        }
        for t in &tree.types {
            let mut offs = Vec::new();
            for i in &t.items {
                offs.push(pos);
                pos += dir_len(i.langs.len());
            }
            item_dir_off.push(offs);
        }
        let leaves: usize = tree
            .types
            .iter()
            .flat_map(|t| &t.items)
            .map(|i| i.langs.len())
            .sum();
        Layout {
            type_dir_off,
            item_dir_off,
            data_entries_off: pos,
            leaves,
            strings_off: pos + 16 * leaves,
        }
    }
}

/// Writes the directories, collecting the entries' names in the string area.
struct DirWriter {
    out: Vec<u8>,
    strings: Vec<u8>,
    strings_off: usize,
}

impl DirWriter {
    /// The root, type and name levels, each breadth first.
    fn write(&mut self, tree: &Tree, layout: &Layout) -> Result<(), PeError> {
        self.header(
            &tree.meta,
            &tree.types.iter().map(|t| &t.name).collect::<Vec<_>>(),
        )?;
        for (t, off) in tree.types.iter().zip(&layout.type_dir_off) {
            self.entry(&t.name, *off, IS_DIRECTORY)?;
        }
        for (t, offs) in tree.types.iter().zip(&layout.item_dir_off) {
            self.header(
                &t.meta,
                &t.items.iter().map(|i| &i.name).collect::<Vec<_>>(),
            )?;
            for (i, off) in t.items.iter().zip(offs) {
                self.entry(&i.name, *off, IS_DIRECTORY)?;
            }
        }
        let mut leaf_index = 0usize;
        for i in tree.types.iter().flat_map(|t| &t.items) {
            self.header(
                &i.meta,
                &i.langs.iter().map(|l| &l.lang).collect::<Vec<_>>(),
            )?;
            for l in &i.langs {
                self.entry(&l.lang, layout.data_entries_off + 16 * leaf_index, 0)?;
                leaf_index += 1;
            }
        }
        Ok(())
    }

    /// An IMAGE_RESOURCE_DIRECTORY header for entries named `names`.
    fn header(&mut self, meta: &DirMeta, names: &[&ResName]) -> Result<(), PeError> {
        let named = names
            .iter()
            .filter(|n| matches!(n, ResName::Name(_)))
            .count();
        let ids = names.len() - named;
        let out = &mut self.out;
        out.extend_from_slice(&meta.characteristics.to_le_bytes());
        out.extend_from_slice(&meta.timestamp.to_le_bytes());
        out.extend_from_slice(&meta.major.to_le_bytes());
        out.extend_from_slice(&meta.minor.to_le_bytes());
        for n in [named, ids] {
            out.extend_from_slice(
                &u16::try_from(n)
                    .map_err(|_| bad("too many resources"))?
                    .to_le_bytes(),
            );
        }
        Ok(())
    }

    /// An IMAGE_RESOURCE_DIRECTORY_ENTRY pointing at offset `off`.
    fn entry(&mut self, name: &ResName, off: usize, flag: u32) -> Result<(), PeError> {
        let name = self.name_field(name)?;
        self.out.extend_from_slice(&name.to_le_bytes());
        self.out
            .extend_from_slice(&offset_field(off, flag)?.to_le_bytes());
        Ok(())
    }

    /// An id, or the offset of the name's counted string, appended to the string area.
    fn name_field(&mut self, n: &ResName) -> Result<u32, PeError> {
        match n {
            ResName::Id(id) => Ok(*id & 0x7fff_ffff),
            ResName::Name(units) => {
                let off = self.strings_off + self.strings.len();
                let len =
                    u16::try_from(units.len()).map_err(|_| bad("a resource name is too long"))?;
                self.strings.extend_from_slice(&len.to_le_bytes());
                for u in units {
                    self.strings.extend_from_slice(&u.to_le_bytes());
                }
                offset_field(off, NAME_IS_STRING)
            }
        }
    }
}

/// Appends every blob, 8-byte aligned, and fills in its data entry; returns the offsets of
/// the entries' RVA fields.
fn write_data(
    out: &mut Vec<u8>,
    tree: &Tree,
    img: &Image<'_>,
    entries_start: usize,
) -> Result<Vec<usize>, PeError> {
    let mut rva_fields = Vec::new();
    let leaves = tree
        .types
        .iter()
        .flat_map(|t| &t.items)
        .flat_map(|i| &i.langs);
    for (leaf_index, l) in leaves.enumerate() {
        let data = blob_bytes(img, &l.leaf.blob)?;
        out.resize(super::image::align_up(out.len() as u64, 8) as usize, 0);
        let at = out.len();
        if at + data.len() > OFFSET_LIMIT {
            return Err(bad("the resources would exceed 2 GiB"));
        }
        out.extend_from_slice(&data);
        let e = entries_start + 16 * leaf_index;
        super::image::put_u32(out, e, at as u32)?;
        super::image::put_u32(out, e + 4, data.len() as u32)?;
        super::image::put_u32(out, e + 8, l.leaf.codepage)?;
        super::image::put_u32(out, e + 12, l.leaf.reserved)?;
        rva_fields.push(e);
    }
    Ok(rva_fields)
}

fn offset_field(off: usize, flag: u32) -> Result<u32, PeError> {
    if off > OFFSET_LIMIT {
        return Err(bad("the resource directory would exceed 2 GiB"));
    }
    Ok(off as u32 | flag)
}
