//! Reading `regedit /E` exports (REGEDIT5, UTF-16LE), which keep every Unicode character.
//! (`reg query` prints through the OEM code page under Wine: `ü` arrives as byte 0x81 and
//! CJK characters as `?`.)

use std::collections::BTreeMap;
use std::fmt;

/// One registry value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegValue {
    /// REG_SZ
    Sz(String),
    /// REG_EXPAND_SZ (`hex(2):`)
    ExpandSz(String),
    /// REG_MULTI_SZ (`hex(7):`)
    MultiSz(Vec<String>),
    /// REG_DWORD
    Dword(u32),
    /// REG_QWORD (`hex(b):`)
    Qword(u64),
    /// REG_BINARY (`hex:`) and any other `hex(N):` type, with N.
    Binary { kind: u32, data: Vec<u8> },
}

impl RegValue {
    /// The text of a REG_SZ or REG_EXPAND_SZ value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            RegValue::Sz(s) | RegValue::ExpandSz(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_dword(&self) -> Option<u32> {
        match self {
            RegValue::Dword(v) => Some(*v),
            _ => None,
        }
    }

    pub fn as_multi_sz(&self) -> Option<&[String]> {
        match self {
            RegValue::MultiSz(v) => Some(v),
            _ => None,
        }
    }

    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            RegValue::Binary { data, .. } => Some(data),
            _ => None,
        }
    }
}

impl fmt::Display for RegValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegValue::Sz(s) | RegValue::ExpandSz(s) => f.write_str(s),
            RegValue::MultiSz(v) => f.write_str(&v.join("\\0")),
            RegValue::Dword(v) => write!(f, "0x{v:x}"),
            RegValue::Qword(v) => write!(f, "0x{v:x}"),
            RegValue::Binary { data, .. } => {
                for b in data {
                    write!(f, "{b:02x}")?;
                }
                Ok(())
            }
        }
    }
}

/// Values of one key, by name (`""` for the default value `@`).
pub type RegValues = BTreeMap<String, RegValue>;

/// `HKLM\X` → `HKEY_LOCAL_MACHINE\X` (regedit wants the long root names).
pub fn long_root(key: &str) -> String {
    let key = key.trim_matches('\\');
    let (root, rest) = key.split_once('\\').unwrap_or((key, ""));
    let long = match root.to_ascii_uppercase().as_str() {
        "HKLM" => "HKEY_LOCAL_MACHINE",
        "HKCU" => "HKEY_CURRENT_USER",
        "HKCR" => "HKEY_CLASSES_ROOT",
        "HKU" => "HKEY_USERS",
        "HKCC" => "HKEY_CURRENT_CONFIG",
        _ => root,
    };
    if rest.is_empty() {
        long.to_string()
    } else {
        format!("{long}\\{rest}")
    }
}

/// Decodes a `.reg` file's bytes (UTF-16LE with BOM, or UTF-8).
pub fn decode_reg_file(bytes: &[u8]) -> String {
    if bytes.len() >= 2 && bytes[0] == 0xFF && bytes[1] == 0xFE {
        let units: Vec<u16> = bytes[2..]
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16_lossy(&units)
    } else {
        String::from_utf8_lossy(bytes).into_owned()
    }
}

fn utf16_strings(data: &[u8]) -> Vec<String> {
    let units: Vec<u16> = data
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    units
        .split(|&u| u == 0)
        .map(String::from_utf16_lossy)
        .collect()
}

fn parse_quoted(s: &str) -> Option<(String, &str)> {
    let s = s.strip_prefix('"')?;
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, &s[i + 1..])),
            '\\' => match chars.next()?.1 {
                'n' => out.push('\n'),
                'r' => out.push('\r'),
                '0' => out.push('\0'),
                other => out.push(other),
            },
            c => out.push(c),
        }
    }
    None
}

fn parse_hex_bytes(s: &str) -> Vec<u8> {
    s.split(',')
        .filter_map(|b| u8::from_str_radix(b.trim(), 16).ok())
        .collect()
}

fn parse_data(data: &str) -> Option<RegValue> {
    if data.starts_with('"') {
        return parse_quoted(data).map(|(s, _)| RegValue::Sz(s));
    }
    if let Some(v) = data.strip_prefix("dword:") {
        return u32::from_str_radix(v.trim(), 16).ok().map(RegValue::Dword);
    }
    if let Some(v) = data.strip_prefix("hex:") {
        return Some(RegValue::Binary {
            kind: 3,
            data: parse_hex_bytes(v),
        });
    }
    let rest = data.strip_prefix("hex(")?;
    let (kind, bytes) = rest.split_once("):")?;
    let kind = u32::from_str_radix(kind, 16).ok()?;
    let bytes = parse_hex_bytes(bytes);
    Some(match kind {
        2 => RegValue::ExpandSz(utf16_strings(&bytes).into_iter().next().unwrap_or_default()),
        7 => {
            let mut v = utf16_strings(&bytes);
            while v.last().map(|s| s.is_empty()).unwrap_or(false) {
                v.pop();
            }
            RegValue::MultiSz(v)
        }
        0xb if bytes.len() == 8 => {
            let mut b = [0u8; 8];
            b.copy_from_slice(&bytes);
            RegValue::Qword(u64::from_le_bytes(b))
        }
        _ => RegValue::Binary { kind, data: bytes },
    })
}

/// Parses a REGEDIT5 export into `key path → values` (key paths as exported, long roots).
pub fn parse_reg_export(text: &str) -> BTreeMap<String, RegValues> {
    // Join continuation lines ("...,\" + "  ...").
    let mut lines: Vec<String> = Vec::new();
    let mut pending = String::new();
    for raw in text.lines() {
        let line = raw.trim_end_matches('\r');
        let piece = if pending.is_empty() {
            line
        } else {
            line.trim_start()
        };
        // Only hex data continues on the next line; strings always end with a quote.
        if let Some(stripped) = piece.strip_suffix('\\') {
            pending.push_str(stripped);
            continue;
        }
        pending.push_str(piece);
        lines.push(std::mem::take(&mut pending));
    }
    if !pending.is_empty() {
        lines.push(pending);
    }

    let mut keys: BTreeMap<String, RegValues> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in lines {
        if line.starts_with('[') && line.ends_with(']') {
            let key = line[1..line.len() - 1].to_string();
            keys.entry(key.clone()).or_default();
            current = Some(key);
            continue;
        }
        let Some(key) = current.as_ref() else {
            continue;
        };
        let (name, rest) = if let Some(rest) = line.strip_prefix('@') {
            (String::new(), rest)
        } else if let Some((name, rest)) = parse_quoted(&line) {
            (name, rest)
        } else {
            continue;
        };
        let Some(data) = rest.strip_prefix('=') else {
            continue;
        };
        if let Some(value) = parse_data(data) {
            keys.get_mut(key).unwrap().insert(name, value);
        }
    }
    keys
}
