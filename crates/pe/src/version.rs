//! VS_VERSIONINFO: writing the RT_VERSION resource and reading one back.
//!
//! Every node is `wLength, wValueLength, wType, szKey` followed by padding to a 32-bit
//! boundary, the value, padding, and child nodes, each child starting 32-bit aligned.
//! As rc.exe does, a node's wLength runs to the end of its last byte of content (the
//! padding *before* each child counts, padding after the last one does not), text
//! values count UTF-16 units including the terminating NUL and binary values count
//! bytes.

use super::image::{u16_at, u32_at};
use super::{PeError, VersionStamp};

const FIXED_SIGNATURE: u32 = 0xfeef_04bd;
const FIXED_LEN: usize = 52;
/// Unicode (UTF-16LE); the code page half of the translation and the StringTable key.
pub(crate) const CODEPAGE_UNICODE: u16 = 1200;
pub(crate) const VFT_APP: u32 = 1;
pub(crate) const VFT_DLL: u32 = 2;
const VS_FF_PRERELEASE: u32 = 0x2;

enum Value {
    Binary(Vec<u8>),
    Text(Vec<u16>),
}

struct Node {
    key: Vec<u16>,
    value: Value,
    children: Vec<Node>,
}

fn utf16z(s: &str) -> Vec<u16> {
    s.encode_utf16().chain(std::iter::once(0)).collect()
}

fn pad4(out: &mut Vec<u8>) {
    while out.len() % 4 != 0 {
        out.push(0);
    }
}

impl Node {
    fn text(key: &str, value: &str) -> Node {
        Node {
            key: utf16z(key),
            value: Value::Text(utf16z(value)),
            children: Vec::new(),
        }
    }

    fn block(key: &str, children: Vec<Node>) -> Node {
        Node {
            key: utf16z(key),
            // Container blocks carry type 1 (text) with an empty value, like rc.exe.
            value: Value::Text(Vec::new()),
            children,
        }
    }

    /// Writes the node at `out.len()`, which must be 4-aligned relative to the start of
    /// the resource (it always is: the root starts at 0 and children are padded).
    fn write(&self, out: &mut Vec<u8>) -> Result<(), PeError> {
        let start = out.len();
        let (value_len, wtype) = match &self.value {
            Value::Binary(b) => (b.len(), 0u16),
            Value::Text(t) => (t.len(), 1u16),
        };
        let value_len = u16::try_from(value_len)
            .map_err(|_| PeError::InvalidVersion("a version string is too long".into()))?;
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(&value_len.to_le_bytes());
        out.extend_from_slice(&wtype.to_le_bytes());
        for u in &self.key {
            out.extend_from_slice(&u.to_le_bytes());
        }
        pad4(out);
        match &self.value {
            Value::Binary(b) => out.extend_from_slice(b),
            Value::Text(t) => t
                .iter()
                .for_each(|u| out.extend_from_slice(&u.to_le_bytes())),
        }
        for c in &self.children {
            pad4(out);
            c.write(out)?;
        }
        let len = u16::try_from(out.len() - start).map_err(|_| {
            PeError::InvalidVersion(
                "the version information exceeds the 64 KiB a VS_VERSIONINFO can hold".into(),
            )
        })?;
        super::image::put_u16(out, start, len)
    }
}

fn check_text(what: &str, s: &str) -> Result<(), PeError> {
    if s.contains('\0') {
        return Err(PeError::InvalidVersion(format!(
            "the version {what} {s:?} contains a NUL character"
        )));
    }
    Ok(())
}

/// Builds the RT_VERSION resource for `stamp`; `file_type` is VFT_APP or VFT_DLL.
pub(crate) fn build(stamp: &VersionStamp, file_type: u32) -> Result<Vec<u8>, PeError> {
    let mut strings = Vec::new();
    for (k, v) in &stamp.strings {
        if k.is_empty() {
            return Err(PeError::InvalidVersion(
                "a version string has an empty name".into(),
            ));
        }
        check_text("string name", k)?;
        check_text("string value", v)?;
        strings.push(Node::text(k, v));
    }
    let ms = |v: [u16; 4]| (u32::from(v[0]) << 16) | u32::from(v[1]);
    let ls = |v: [u16; 4]| (u32::from(v[2]) << 16) | u32::from(v[3]);
    // A semver pre-release ("2.0.0-beta.1") in the ProductVersion string marks the file
    // as a pre-release build, which is what the VS_FF_PRERELEASE flag means.
    let prerelease = stamp
        .strings
        .iter()
        .any(|(k, v)| k == "ProductVersion" && v.contains('-'));
    let mut fixed = Vec::with_capacity(FIXED_LEN);
    for dw in [
        FIXED_SIGNATURE,
        0x0001_0000, // dwStrucVersion
        ms(stamp.file_version),
        ls(stamp.file_version),
        ms(stamp.product_version),
        ls(stamp.product_version),
        0x3f, // VS_FFI_FILEFLAGSMASK
        if prerelease { VS_FF_PRERELEASE } else { 0 },
        0x0004_0004, // VOS_NT_WINDOWS32
        file_type,
        0, // dwFileSubtype
        0, // dwFileDateMS: no dates, so the bytes stay reproducible
        0,
    ] {
        fixed.extend_from_slice(&dw.to_le_bytes());
    }
    let table_key = format!("{:04X}{:04X}", stamp.language, CODEPAGE_UNICODE);
    let mut translation = Vec::new();
    translation.extend_from_slice(&stamp.language.to_le_bytes());
    translation.extend_from_slice(&CODEPAGE_UNICODE.to_le_bytes());
    let root = Node {
        key: utf16z("VS_VERSION_INFO"),
        value: Value::Binary(fixed),
        children: vec![
            Node::block("StringFileInfo", vec![Node::block(&table_key, strings)]),
            Node::block(
                "VarFileInfo",
                vec![Node {
                    key: utf16z("Translation"),
                    value: Value::Binary(translation),
                    children: Vec::new(),
                }],
            ),
        ],
    };
    let mut out = Vec::new();
    root.write(&mut out)?;
    Ok(out)
}

/// What [`parse`] reads from a VS_VERSIONINFO.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Parsed {
    pub file_version: Option<[u16; 4]>,
    pub product_version: Option<[u16; 4]>,
    pub strings: Vec<(String, String)>,
    pub translations: Vec<(u16, u16)>,
}

struct RawNode {
    key: String,
    /// Offset and end of the value area (value runs to the node end for text).
    value_off: usize,
    value_len: u16,
    children_off: usize,
    end: usize,
}

fn align4(v: usize) -> usize {
    v.saturating_add(3) & !3
}

/// Reads the node at `off`, bounded by `limit`; `None` when it does not fit.
fn node(data: &[u8], off: usize, limit: usize) -> Option<RawNode> {
    let wlen = usize::from(u16_at(data, off)?);
    if wlen < 6 {
        return None;
    }
    let end = off.checked_add(wlen)?.min(limit).min(data.len());
    let value_len = u16_at(data, off + 2)?;
    let wtype = u16_at(data, off + 4)?;
    let mut key = Vec::new();
    let mut p = off + 6;
    loop {
        let u = u16_at(data, p).filter(|_| p + 2 <= end)?;
        p += 2;
        if u == 0 {
            break;
        }
        key.push(u);
    }
    let value_off = align4(p).min(end);
    let value_bytes = if wtype == 1 {
        usize::from(value_len) * 2
    } else {
        usize::from(value_len)
    };
    let children_off = align4(value_off.saturating_add(value_bytes)).min(end);
    Some(RawNode {
        key: String::from_utf16_lossy(&key),
        value_off,
        value_len,
        children_off,
        end,
    })
}

fn children(data: &[u8], parent: &RawNode) -> Vec<RawNode> {
    let mut out = Vec::new();
    let mut off = parent.children_off;
    while off + 6 <= parent.end {
        let Some(n) = node(data, off, parent.end) else {
            break;
        };
        let next = align4(n.end);
        out.push(n);
        if next <= off {
            break;
        }
        off = next;
    }
    out
}

/// Reads the fixed versions, the first string table and the translations; lenient about
/// the quirks of old resource compilers, `None` when there is no VS_VERSIONINFO at all.
pub(crate) fn parse(data: &[u8]) -> Option<Parsed> {
    let root = node(data, 0, data.len())?;
    if root.key != "VS_VERSION_INFO" {
        return None;
    }
    let mut parsed = Parsed::default();
    let fixed = data.get(root.value_off..root.value_off + FIXED_LEN);
    if let Some(f) = fixed.filter(|_| usize::from(root.value_len) >= FIXED_LEN) {
        if u32_at(f, 0) == Some(FIXED_SIGNATURE) {
            let quad =
                |ms: u32, ls: u32| [(ms >> 16) as u16, ms as u16, (ls >> 16) as u16, ls as u16];
            parsed.file_version = Some(quad(u32_at(f, 8)?, u32_at(f, 12)?));
            parsed.product_version = Some(quad(u32_at(f, 16)?, u32_at(f, 20)?));
        }
    }
    let mut seen_table = false;
    for block in children(data, &root) {
        match block.key.as_str() {
            "StringFileInfo" if !seen_table => {
                if let Some(table) = children(data, &block).into_iter().next() {
                    seen_table = true;
                    for s in children(data, &table) {
                        // Read to the node end and stop at the NUL: some compilers count
                        // wValueLength in bytes, others omit the terminator.
                        let raw = data.get(s.value_off..s.end).unwrap_or(&[]);
                        let units: Vec<u16> = raw
                            .chunks_exact(2)
                            .map(|c| {
                                u16::from_le_bytes([
                                    c.first().copied().unwrap_or(0),
                                    c.get(1).copied().unwrap_or(0),
                                ])
                            })
                            .take_while(|&u| u != 0)
                            .collect();
                        let value = if s.value_len == 0 {
                            String::new()
                        } else {
                            String::from_utf16_lossy(&units)
                        };
                        parsed.strings.push((s.key, value));
                    }
                }
            }
            "VarFileInfo" => {
                for var in children(data, &block) {
                    if var.key == "Translation" && parsed.translations.is_empty() {
                        let n =
                            usize::from(var.value_len).min(var.end.saturating_sub(var.value_off));
                        let raw = data.get(var.value_off..var.value_off + n).unwrap_or(&[]);
                        parsed.translations = raw
                            .chunks_exact(4)
                            .map(|c| (u16_at(c, 0).unwrap_or(0), u16_at(c, 2).unwrap_or(0)))
                            .collect();
                    }
                }
            }
            _ => {}
        }
    }
    Some(parsed)
}
