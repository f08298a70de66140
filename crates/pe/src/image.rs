//! PE/COFF header parsing and loader-style address mapping.
//!
//! Everything here reads untrusted bytes: every offset is checked, arithmetic that
//! involves file values is done in `u64` or checked, and nothing indexes a slice
//! directly, so a corrupt file yields an error, never a panic.

use std::borrow::Cow;

use super::PeError;

pub(crate) const DIR_IMPORT: usize = 1;
pub(crate) const DIR_RESOURCE: usize = 2;
pub(crate) const DIR_SECURITY: usize = 4;
pub(crate) const DIR_BOUND_IMPORT: usize = 11;
pub(crate) const DIR_DELAY_IMPORT: usize = 13;

pub(crate) const SECTION_HEADER_LEN: usize = 40;

/// Little-endian readers that return `None` instead of panicking.
pub(crate) fn u16_at(b: &[u8], off: usize) -> Option<u16> {
    let s = b.get(off..off.checked_add(2)?)?;
    Some(u16::from_le_bytes(s.try_into().ok()?))
}

pub(crate) fn u32_at(b: &[u8], off: usize) -> Option<u32> {
    let s = b.get(off..off.checked_add(4)?)?;
    Some(u32::from_le_bytes(s.try_into().ok()?))
}

pub(crate) fn u64_at(b: &[u8], off: usize) -> Option<u64> {
    let s = b.get(off..off.checked_add(8)?)?;
    Some(u64::from_le_bytes(s.try_into().ok()?))
}

/// Writes into an output buffer whose layout was validated earlier; an out-of-range
/// write still becomes an error rather than a panic.
pub(crate) fn put(b: &mut [u8], off: usize, value: &[u8]) -> Result<(), PeError> {
    let end = off
        .checked_add(value.len())
        .ok_or_else(|| PeError::Malformed("header offset overflow".into()))?;
    let dst = b
        .get_mut(off..end)
        .ok_or_else(|| PeError::Malformed("header field lies outside the file".into()))?;
    dst.copy_from_slice(value);
    Ok(())
}

pub(crate) fn put_u16(b: &mut [u8], off: usize, v: u16) -> Result<(), PeError> {
    put(b, off, &v.to_le_bytes())
}

pub(crate) fn put_u32(b: &mut [u8], off: usize, v: u32) -> Result<(), PeError> {
    put(b, off, &v.to_le_bytes())
}

pub(crate) fn align_up(v: u64, align: u64) -> u64 {
    if align <= 1 {
        return v;
    }
    v.div_ceil(align).saturating_mul(align)
}

#[derive(Clone, Debug)]
pub(crate) struct Section {
    pub name: [u8; 8],
    pub virtual_size: u32,
    pub virtual_address: u32,
    pub raw_size: u32,
    pub raw_ptr: u32,
    pub characteristics: u32,
}

impl Section {
    /// Size of the section in memory; a zero VirtualSize means "use SizeOfRawData",
    /// as the loader does.
    pub fn extent(&self) -> u64 {
        if self.virtual_size == 0 {
            u64::from(self.raw_size)
        } else {
            u64::from(self.virtual_size)
        }
    }

    pub fn va_end(&self) -> u64 {
        u64::from(self.virtual_address) + self.extent()
    }

    pub fn raw_end(&self) -> u64 {
        u64::from(self.raw_ptr) + u64::from(self.raw_size)
    }

    pub fn name_is(&self, name: &str) -> bool {
        let n = self.name.iter().position(|&c| c == 0).unwrap_or(8);
        self.name.get(..n) == Some(name.as_bytes())
    }
}

#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct DataDir {
    pub rva: u32,
    pub size: u32,
}

/// A parsed view of a PE image's headers, borrowing the file bytes.
pub(crate) struct Image<'a> {
    pub bytes: &'a [u8],
    pub coff_offset: usize,
    pub machine: u16,
    pub characteristics: u16,
    pub opt_offset: usize,
    pub pe32_plus: bool,
    pub image_base: u64,
    pub section_alignment: u32,
    pub file_alignment: u32,
    pub size_of_image: u32,
    pub size_of_headers: u32,
    pub subsystem: u16,
    pub dirs_offset: usize,
    pub num_dirs: usize,
    pub sections_offset: usize,
    pub sections: Vec<Section>,
}

impl<'a> Image<'a> {
    /// Offset of the e_lfanew-addressed "PE\0\0" signature, if the bytes look like a PE.
    pub fn pe_offset(bytes: &[u8]) -> Result<usize, PeError> {
        if bytes.len() < 64 {
            return Err(PeError::NotPe(format!(
                "the file is only {} bytes long",
                bytes.len()
            )));
        }
        if bytes.get(..2) != Some(b"MZ") {
            return Err(PeError::NotPe(
                "it does not start with the \"MZ\" DOS header".into(),
            ));
        }
        let lfanew = u32_at(bytes, 0x3c).unwrap_or(u32::MAX) as usize;
        match bytes.get(lfanew..lfanew.saturating_add(4)) {
            Some(b"PE\0\0") => Ok(lfanew),
            Some(_) => Err(PeError::NotPe(
                "it has a DOS header but no \"PE\" signature (a DOS or 16-bit program?)".into(),
            )),
            None => Err(PeError::NotPe(
                "its DOS header points past the end of the file".into(),
            )),
        }
    }

    pub fn parse(bytes: &'a [u8]) -> Result<Self, PeError> {
        let pe = Self::pe_offset(bytes)?;
        let coff = pe + 4;
        let trunc = || PeError::Malformed("the PE headers are truncated".into());
        let machine = u16_at(bytes, coff).ok_or_else(trunc)?;
        let nsections = u16_at(bytes, coff + 2).ok_or_else(trunc)?;
        let opt_size = u16_at(bytes, coff + 16).ok_or_else(trunc)? as usize;
        let characteristics = u16_at(bytes, coff + 18).ok_or_else(trunc)?;
        let opt = coff + 20;
        let magic = u16_at(bytes, opt).ok_or_else(trunc)?;
        let (pe32_plus, fixed) = match magic {
            0x10b => (false, 96usize),
            0x20b => (true, 112usize),
            0x107 => {
                return Err(PeError::NotPe(
                    "it is a ROM image, not an executable".into(),
                ))
            }
            other => {
                return Err(PeError::Malformed(format!(
                    "unknown optional header magic {other:#06x}"
                )))
            }
        };
        if opt_size < fixed {
            return Err(PeError::Malformed(format!(
                "the optional header is {opt_size} bytes, shorter than the {fixed} bytes a {} image needs",
                if pe32_plus { "PE32+" } else { "PE32" }
            )));
        }
        if bytes.len() < opt + opt_size {
            return Err(trunc());
        }
        let image_base = if pe32_plus {
            u64_at(bytes, opt + 24).ok_or_else(trunc)?
        } else {
            u64::from(u32_at(bytes, opt + 28).ok_or_else(trunc)?)
        };
        let section_alignment = u32_at(bytes, opt + 32).ok_or_else(trunc)?;
        let file_alignment = u32_at(bytes, opt + 36).ok_or_else(trunc)?;
        let size_of_image = u32_at(bytes, opt + 56).ok_or_else(trunc)?;
        let size_of_headers = u32_at(bytes, opt + 60).ok_or_else(trunc)?;
        let subsystem = u16_at(bytes, opt + 68).ok_or_else(trunc)?;
        let nrva_off = if pe32_plus { opt + 108 } else { opt + 92 };
        let declared_dirs = u32_at(bytes, nrva_off).ok_or_else(trunc)? as usize;
        let dirs_offset = nrva_off + 4;
        // The loader only looks at the directories that fit in SizeOfOptionalHeader.
        let room = (opt + opt_size).saturating_sub(dirs_offset) / 8;
        let num_dirs = declared_dirs.min(room).min(16);
        let sections_offset = opt + opt_size;
        let table_len = usize::from(nsections) * SECTION_HEADER_LEN;
        let table = bytes
            .get(sections_offset..sections_offset + table_len)
            .ok_or_else(|| PeError::Malformed("the section table is truncated".into()))?;
        let sections = table
            .chunks_exact(SECTION_HEADER_LEN)
            .map(|h| {
                let mut name = [0u8; 8];
                name.copy_from_slice(h.get(..8).unwrap_or(&[0; 8]));
                Section {
                    name,
                    virtual_size: u32_at(h, 8).unwrap_or(0),
                    virtual_address: u32_at(h, 12).unwrap_or(0),
                    raw_size: u32_at(h, 16).unwrap_or(0),
                    raw_ptr: u32_at(h, 20).unwrap_or(0),
                    characteristics: u32_at(h, 36).unwrap_or(0),
                }
            })
            .collect();
        Ok(Image {
            bytes,
            coff_offset: coff,
            machine,
            characteristics,
            opt_offset: opt,
            pe32_plus,
            image_base,
            section_alignment,
            file_alignment,
            size_of_image,
            size_of_headers,
            subsystem,
            dirs_offset,
            num_dirs,
            sections_offset,
            sections,
        })
    }

    pub fn checksum_offset(&self) -> usize {
        self.opt_offset + 64
    }

    pub fn dir(&self, index: usize) -> DataDir {
        if index >= self.num_dirs {
            return DataDir::default();
        }
        let off = self.dirs_offset + index * 8;
        DataDir {
            rva: u32_at(self.bytes, off).unwrap_or(0),
            size: u32_at(self.bytes, off + 4).unwrap_or(0),
        }
    }

    pub fn dir_offset(&self, index: usize) -> Option<usize> {
        (index < self.num_dirs).then(|| self.dirs_offset + index * 8)
    }

    /// Index of the section whose memory range holds `rva`.
    pub fn section_of(&self, rva: u32) -> Option<usize> {
        let rva = u64::from(rva);
        self.sections
            .iter()
            .position(|s| u64::from(s.virtual_address) <= rva && rva < s.va_end())
    }

    /// Where `rva` lives: (file offset, bytes of file data from there, bytes of memory
    /// from there). File data can be shorter than memory: the rest is zero-filled.
    fn locate(&self, rva: u32) -> Option<(usize, usize, usize)> {
        let len = self.bytes.len() as u64;
        if let Some(i) = self.section_of(rva) {
            let s = self.sections.get(i)?;
            let delta = u64::from(rva) - u64::from(s.virtual_address);
            let mem = s.extent() - delta;
            let raw_in_section = u64::from(s.raw_size).min(s.extent());
            let raw_avail = raw_in_section.saturating_sub(delta);
            let off = u64::from(s.raw_ptr) + delta;
            let file_avail = raw_avail.min(len.saturating_sub(off));
            let off = usize::try_from(off.min(len)).ok()?;
            return Some((
                off,
                usize::try_from(file_avail).ok()?,
                usize::try_from(mem).ok()?,
            ));
        }
        // Below the first section the headers are mapped one to one.
        let first_va = self
            .sections
            .iter()
            .map(|s| u64::from(s.virtual_address))
            .min()
            .unwrap_or(u64::MAX);
        let hdr_end = u64::from(self.size_of_headers).min(first_va).min(len);
        if u64::from(rva) < hdr_end {
            let off = rva as usize;
            let avail = usize::try_from(hdr_end - u64::from(rva)).ok()?;
            return Some((off, avail, avail));
        }
        None
    }

    /// `len` bytes at `rva` as the loader would map them, or `None` when the range is not
    /// inside one mapped region.
    pub fn mapped(&self, rva: u32, len: usize) -> Option<Cow<'a, [u8]>> {
        if len == 0 {
            return Some(Cow::Borrowed(&[]));
        }
        let (off, file_avail, mem) = self.locate(rva)?;
        if len > mem {
            return None;
        }
        if len <= file_avail {
            return self
                .bytes
                .get(off..off.checked_add(len)?)
                .map(Cow::Borrowed);
        }
        let mut v = Vec::with_capacity(len);
        v.extend_from_slice(self.bytes.get(off..off.checked_add(file_avail)?)?);
        v.resize(len, 0);
        Some(Cow::Owned(v))
    }

    /// The file bytes backing memory from `rva` to the end of its section's file data.
    /// (Borrowed: a hostile VirtualSize cannot make this allocate.)
    pub fn file_backed_from(&self, rva: u32) -> Option<&'a [u8]> {
        let (off, file_avail, _) = self.locate(rva)?;
        self.bytes.get(off..off.checked_add(file_avail)?)
    }

    /// Whether `len` bytes at `rva` are inside one mapped region.
    pub fn range_mapped(&self, rva: u32, len: usize) -> bool {
        len == 0 || self.locate(rva).is_some_and(|(_, _, mem)| len <= mem)
    }

    pub fn u32_rva(&self, rva: u32) -> Option<u32> {
        u32_at(&self.mapped(rva, 4)?, 0)
    }

    pub fn u64_rva(&self, rva: u32) -> Option<u64> {
        u64_at(&self.mapped(rva, 8)?, 0)
    }

    /// A NUL-terminated byte string at `rva` (without the NUL), at most `max` bytes.
    /// The zero fill after a section's file data terminates a string, as in memory.
    pub fn cstr_rva(&self, rva: u32, max: usize) -> Option<&'a [u8]> {
        let (off, file_avail, mem) = self.locate(rva)?;
        let window = self.bytes.get(off..off.checked_add(file_avail.min(max))?)?;
        match window.iter().position(|&b| b == 0) {
            Some(n) => window.get(..n),
            None if file_avail < mem && file_avail < max => Some(window),
            None => None,
        }
    }
}

/// The PE checksum (as ImageHlp's CheckSumMappedFile computes it) of `bytes`, treating
/// the 4-byte checksum field at `checksum_offset` as zero.
///
/// The algorithm is a 16-bit one's-complement sum of the file plus its length. Since
/// 2^16 ≡ 1 (mod 0xFFFF), a one's-complement sum can be accumulated in any word size
/// that is a multiple of 16 bits (end-around carry) and folded at the end, so this adds
/// whole 128-bit words: a 14 MB file takes well under a millisecond optimised.
pub(crate) fn pe_checksum(bytes: &[u8], checksum_offset: usize) -> u32 {
    let mut acc: u128 = 0;
    let mut chunks = bytes.chunks_exact(16);
    for c in &mut chunks {
        let w = u128::from_le_bytes(c.try_into().unwrap_or([0; 16]));
        let (s, carry) = acc.overflowing_add(w);
        // After a carry s <= 2^128 - 2, so adding it back cannot overflow.
        acc = s + u128::from(carry);
    }
    let mut sum: u64 = (0..8).map(|k| ((acc >> (16 * k)) & 0xffff) as u64).sum();
    // The remainder starts at a multiple of 16, so it is word aligned.
    for pair in chunks.remainder().chunks(2) {
        let lo = u64::from(pair.first().copied().unwrap_or(0));
        let hi = u64::from(pair.get(1).copied().unwrap_or(0));
        sum += lo | (hi << 8);
    }
    // Remove the checksum field's contribution (it counts as zero).
    for k in 0..2 {
        let off = checksum_offset + 2 * k;
        if let Some(w) = u16_at(bytes, off) {
            // Subtracting in one's complement = adding the complement.
            sum += u64::from(!w);
        } else if let Some(&b) = bytes.get(off) {
            // An odd-length file ending inside the field: the last byte is a half word.
            sum += u64::from(!u16::from(b));
        }
    }
    let mut s = sum;
    while s > 0xffff {
        s = (s & 0xffff) + (s >> 16);
    }
    // `!w` added 0xFFFF - w, which is -w in one's complement; if everything cancelled to
    // "negative zero" the fold leaves 0xFFFF where the reference algorithm has 0.
    if s == 0xffff && bytes_sum_is_zero(bytes, checksum_offset) {
        s = 0;
    }
    (s as u32).wrapping_add(bytes.len() as u32)
}

/// Only needed in the degenerate all-zero case; never hit by real executables.
fn bytes_sum_is_zero(bytes: &[u8], checksum_offset: usize) -> bool {
    bytes
        .iter()
        .enumerate()
        .all(|(i, &b)| b == 0 || (checksum_offset..checksum_offset.saturating_add(4)).contains(&i))
}
