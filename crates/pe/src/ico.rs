//! `.ico` files: validation, and conversion into RT_ICON / RT_GROUP_ICON resources.
//!
//! An .ico file is an ICONDIR (reserved 0, type 1, count) followed by 16-byte entries
//! pointing at the images (each a DIB without its BITMAPFILEHEADER, or a PNG). In an
//! executable the images become separate RT_ICON resources and the directory becomes a
//! GRPICONDIR whose 14-byte entries name those resources by id instead of file offset.

use super::image::{u16_at, u32_at};
use super::PeError;

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// A parsed, validated .ico file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IcoFile {
    pub images: Vec<IcoImage>,
}

/// One image of an .ico file, with its directory entry as written in the file
/// (`width`/`height` 0 mean 256).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IcoImage {
    pub width: u8,
    pub height: u8,
    pub color_count: u8,
    pub planes: u16,
    pub bit_count: u16,
    pub data: Vec<u8>,
}

impl IcoImage {
    pub fn is_png(&self) -> bool {
        self.data.starts_with(PNG_SIGNATURE)
    }

    /// Width in pixels.
    pub fn pixel_width(&self) -> u32 {
        if self.width == 0 {
            256
        } else {
            u32::from(self.width)
        }
    }

    /// Height in pixels.
    pub fn pixel_height(&self) -> u32 {
        if self.height == 0 {
            256
        } else {
            u32::from(self.height)
        }
    }

    /// Bits per pixel for the group directory: the entry's own value, else what the
    /// image header says (many tools leave planes/bit count 0, and Windows picks the
    /// best image by them).
    fn effective_bit_count(&self) -> u16 {
        if self.bit_count != 0 {
            return self.bit_count;
        }
        if self.is_png() {
            // IHDR: bit depth at 24, colour type at 25.
            let depth = self.data.get(24).copied().unwrap_or(8);
            let channels = match self.data.get(25).copied().unwrap_or(6) {
                0 => 1,
                2 => 3,
                3 => 1,
                4 => 2,
                _ => 4,
            };
            return u16::from(depth) * channels;
        }
        u16_at(&self.data, 14).unwrap_or(0)
    }
}

fn bad(msg: impl Into<String>) -> PeError {
    PeError::BadIcon(msg.into())
}

/// Parses and validates a .ico file; anything else (a PNG, a BMP, a cursor, garbage)
/// is an error that says what the file is.
pub fn parse_ico(bytes: &[u8]) -> Result<IcoFile, PeError> {
    if bytes.starts_with(PNG_SIGNATURE) {
        return Err(bad(
            "this is a PNG image, not a .ico file; convert it first, for example with \
             `magick icon.png -define icon:auto-resize=256,48,32,16 icon.ico`",
        ));
    }
    if bytes.starts_with(b"BM") {
        return Err(bad(
            "this is a BMP image, not a .ico file; convert it to .ico first",
        ));
    }
    if bytes.starts_with(b"MZ") {
        return Err(bad("this is an executable, not a .ico file"));
    }
    if bytes.len() < 6 {
        return Err(bad(format!("the file is only {} bytes long", bytes.len())));
    }
    let reserved = u16_at(bytes, 0).unwrap_or(1);
    let kind = u16_at(bytes, 2).unwrap_or(0);
    let count = u16_at(bytes, 4).unwrap_or(0);
    if reserved != 0 || !(kind == 1 || kind == 2) {
        return Err(bad("it does not start with an icon directory header"));
    }
    if kind == 2 {
        return Err(bad("this is a cursor (.cur), not an icon"));
    }
    if count == 0 {
        return Err(bad("the icon directory lists no images"));
    }
    let mut images = Vec::with_capacity(usize::from(count));
    for i in 0..usize::from(count) {
        let e = bytes.get(6 + i * 16..6 + i * 16 + 16).ok_or_else(|| {
            bad(format!(
                "the directory lists {count} images but is truncated"
            ))
        })?;
        let size = u32_at(e, 8).unwrap_or(0) as usize;
        let offset = u32_at(e, 12).unwrap_or(0) as usize;
        let data = bytes
            .get(offset..offset.saturating_add(size))
            .filter(|_| size > 0)
            .ok_or_else(|| {
                bad(format!(
                    "image {} ({size} bytes at offset {offset}) lies outside the file",
                    i + 1
                ))
            })?;
        if !data.starts_with(PNG_SIGNATURE) {
            // A DIB: BITMAPINFOHEADER (40) or one of its later versions.
            let hdr = u32_at(data, 0).unwrap_or(0);
            if !matches!(hdr, 40 | 52 | 56 | 108 | 124) || data.len() < hdr as usize {
                return Err(bad(format!(
                    "image {} is neither a PNG nor a bitmap",
                    i + 1
                )));
            }
        }
        images.push(IcoImage {
            width: e.first().copied().unwrap_or(0),
            height: e.get(1).copied().unwrap_or(0),
            color_count: e.get(2).copied().unwrap_or(0),
            planes: u16_at(e, 4).unwrap_or(0),
            bit_count: u16_at(e, 6).unwrap_or(0),
            data: data.to_vec(),
        });
    }
    Ok(IcoFile { images })
}

impl IcoFile {
    /// The GRPICONDIR resource naming the images as RT_ICON ids `ids` (same order).
    pub(crate) fn group_resource(&self, ids: &[u16]) -> Vec<u8> {
        let mut out = Vec::with_capacity(6 + 14 * self.images.len());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&1u16.to_le_bytes());
        out.extend_from_slice(&(self.images.len() as u16).to_le_bytes());
        for (img, id) in self.images.iter().zip(ids) {
            out.push(img.width);
            out.push(img.height);
            out.push(img.color_count);
            out.push(0);
            out.extend_from_slice(&img.planes.max(1).to_le_bytes());
            out.extend_from_slice(&img.effective_bit_count().to_le_bytes());
            out.extend_from_slice(&(img.data.len() as u32).to_le_bytes());
            out.extend_from_slice(&id.to_le_bytes());
        }
        out
    }
}

/// The RT_ICON ids a GRPICONDIR resource refers to (empty when it is malformed).
pub(crate) fn group_icon_ids(group: &[u8]) -> Vec<u16> {
    let count = usize::from(u16_at(group, 4).unwrap_or(0));
    (0..count)
        .map_while(|i| u16_at(group, 6 + i * 14 + 12))
        .collect()
}
