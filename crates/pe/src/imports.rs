//! Import tables: regular (IMAGE_IMPORT_DESCRIPTOR) and delay-load (ImgDelayDescr).

use std::collections::{BTreeMap, BTreeSet};

use super::image::{Image, DIR_DELAY_IMPORT, DIR_IMPORT};
use super::PeError;

/// Caps that keep a hostile file (descriptors sharing one huge thunk array, say) from
/// costing more than a real executable could.
const MAX_DESCRIPTORS: usize = 4096;
const MAX_THUNKS: usize = 1 << 20;
const MAX_NAME: usize = 4096;

fn bad(msg: impl Into<String>) -> PeError {
    PeError::Malformed(msg.into())
}

struct Reader<'i, 'a> {
    img: &'i Image<'a>,
    thunks: usize,
    out: BTreeMap<String, Vec<String>>,
    seen: BTreeMap<String, BTreeSet<String>>,
}

impl Reader<'_, '_> {
    fn dll_name(&self, rva: u32) -> Result<String, PeError> {
        let raw = self.img.cstr_rva(rva, MAX_NAME).ok_or_else(|| {
            bad(format!(
                "an imported DLL name at RVA {rva:#x} is unreadable"
            ))
        })?;
        Ok(String::from_utf8_lossy(raw).to_ascii_lowercase())
    }

    /// Walks a thunk array (import lookup table) and records the names under `dll`.
    /// `va_based`: the VC6 delay-load format stores VAs where others store RVAs.
    fn thunks(&mut self, dll: &str, mut rva: u32, va_based: bool) -> Result<(), PeError> {
        let width: u32 = if self.img.pe32_plus { 8 } else { 4 };
        let ordinal_flag: u64 = if self.img.pe32_plus { 1 << 63 } else { 1 << 31 };
        self.out.entry(dll.to_string()).or_default();
        loop {
            self.thunks += 1;
            if self.thunks > MAX_THUNKS {
                return Err(bad("the import tables are implausibly large"));
            }
            let t = if self.img.pe32_plus {
                self.img.u64_rva(rva)
            } else {
                self.img.u32_rva(rva).map(u64::from)
            }
            .ok_or_else(|| bad(format!("the import table of {dll} runs outside the image")))?;
            if t == 0 {
                return Ok(());
            }
            let name = if t & ordinal_flag != 0 {
                format!("#{}", t & 0xffff)
            } else {
                let hint_name = if va_based {
                    t.wrapping_sub(self.img.image_base) as u32
                } else {
                    (t & 0x7fff_ffff) as u32
                };
                let raw = self
                    .img
                    .cstr_rva(hint_name.wrapping_add(2), MAX_NAME)
                    .ok_or_else(|| {
                        bad(format!(
                            "an imported function name of {dll} at RVA {hint_name:#x} is unreadable"
                        ))
                    })?;
                String::from_utf8_lossy(raw).into_owned()
            };
            if self
                .seen
                .entry(dll.to_string())
                .or_default()
                .insert(name.clone())
            {
                self.out.entry(dll.to_string()).or_default().push(name);
            }
            rva = rva
                .checked_add(width)
                .ok_or_else(|| bad(format!("the import table of {dll} runs outside the image")))?;
        }
    }
}

/// Lower-case DLL name → imported function names ("#N" for ordinals), regular and
/// delay-load imports merged, in table order without duplicates.
pub(crate) fn read(img: &Image<'_>) -> Result<BTreeMap<String, Vec<String>>, PeError> {
    let mut r = Reader {
        img,
        thunks: 0,
        out: BTreeMap::new(),
        seen: BTreeMap::new(),
    };
    let dir = img.dir(DIR_IMPORT);
    if dir.rva != 0 {
        for i in 0..MAX_DESCRIPTORS as u32 {
            let at = dir
                .rva
                .checked_add(i * 20)
                .ok_or_else(|| bad("import directory overflow"))?;
            let d = img.mapped(at, 20).ok_or_else(|| {
                bad(format!(
                    "the import directory at RVA {:#x} runs outside the image",
                    dir.rva
                ))
            })?;
            let field = |o: usize| super::image::u32_at(&d, o).unwrap_or(0);
            let (ilt, name, iat) = (field(0), field(12), field(16));
            if d.iter().all(|&b| b == 0) {
                break;
            }
            if name == 0 {
                // The loader also stops at a descriptor without a name.
                break;
            }
            let dll = r.dll_name(name)?;
            // Old linkers left the lookup table empty and only filled the IAT.
            r.thunks(&dll, if ilt != 0 { ilt } else { iat }, false)?;
        }
    }
    let dir = img.dir(DIR_DELAY_IMPORT);
    if dir.rva != 0 {
        for i in 0..MAX_DESCRIPTORS as u32 {
            let at = dir
                .rva
                .checked_add(i * 32)
                .ok_or_else(|| bad("delay-import directory overflow"))?;
            let d = img.mapped(at, 32).ok_or_else(|| {
                bad(format!(
                    "the delay-import directory at RVA {:#x} runs outside the image",
                    dir.rva
                ))
            })?;
            let field = |o: usize| super::image::u32_at(&d, o).unwrap_or(0);
            let (attrs, name, int) = (field(0), field(4), field(16));
            if name == 0 {
                break;
            }
            // Attribute bit 0 clear is the VC6 format, whose fields are VAs, not RVAs.
            let fix = |v: u32| -> u32 {
                if attrs & 1 == 0 {
                    (u64::from(v).wrapping_sub(img.image_base)) as u32
                } else {
                    v
                }
            };
            let dll = r.dll_name(fix(name))?;
            if int == 0 {
                r.out.entry(dll).or_default();
                continue;
            }
            r.thunks(&dll, fix(int), attrs & 1 == 0)?;
        }
    }
    Ok(r.out)
}
