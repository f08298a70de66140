//! Windows PE executables: reading what packaging needs to know about them, and stamping
//! version information and an icon into them (stage 3 of `cargo svcpack build`).
//!
//! This crate owns:
//! - [`inspect`]: machine type, DLL flag, imports (regular and delay-load), the version
//!   resource (fixed versions, first string table, translations) and whether an
//!   Authenticode signature is present. The native WiX compiler uses it for File.Version
//!   and File.Language, the build for the machine/platform check.
//! - [`mentions_service_dispatcher`]: the heuristic behind the "this exe never talks to
//!   the service manager (error 1053)" warning.
//! - [`stamp`]: a new VS_VERSIONINFO (and optional main icon) written into a *copy* of an
//!   executable, with the signature stripped and the PE checksum recomputed.
//! - [`stamp_with_messages`]: the same, plus an RT_MESSAGETABLE for an event source
//!   ([`pass_through_messages`]).
//! - [`parse_ico`]: validation of the configured `.ico` file.
//! - [`strip_signature`], [`compute_checksum`] and [`stored_checksum`] for the signing
//!   stage and tests.
//!
//! It knows nothing about configuration, semver or files on disk: callers pass bytes and
//! add the file path to errors. All parsing is panic-free on arbitrary input and
//! stamping is deterministic (same input, same output bytes). No dependencies beyond std.

mod ico;
mod image;
mod imports;
mod msgtable;
mod rsrc;
mod stamp;
mod version;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

pub use ico::{parse_ico, IcoFile, IcoImage};
pub use msgtable::{message_table, pass_through_messages};

use image::{Image, DIR_RESOURCE, DIR_SECURITY};

/// The CPU an image is built for (COFF header `Machine`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Machine {
    X86,
    X64,
    Arm64,
    Other(u16),
}

impl Machine {
    pub fn from_raw(raw: u16) -> Machine {
        match raw {
            0x014c => Machine::X86,
            0x8664 => Machine::X64,
            0xaa64 => Machine::Arm64,
            other => Machine::Other(other),
        }
    }

    /// The MSI/svcpack architecture name ("x86", "x64", "arm64"), if it is one of those.
    pub fn arch_name(self) -> Option<&'static str> {
        match self {
            Machine::X86 => Some("x86"),
            Machine::X64 => Some("x64"),
            Machine::Arm64 => Some("arm64"),
            Machine::Other(_) => None,
        }
    }
}

impl std::fmt::Display for Machine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.arch_name() {
            Some(n) => f.write_str(n),
            None => {
                let Machine::Other(raw) = self else {
                    return Ok(());
                };
                write!(f, "machine type {raw:#06x}")
            }
        }
    }
}

/// What [`inspect`] reads from a PE file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeInfo {
    pub machine: Machine,
    pub is_dll: bool,
    /// Lower-case DLL name → imported names, regular and delay-load imports merged, in
    /// table order without duplicates; imports by ordinal appear as "#N".
    pub imports: BTreeMap<String, Vec<String>>,
    /// VS_FIXEDFILEINFO dwFileVersionMS/LS.
    pub file_version: Option<[u16; 4]>,
    /// VS_FIXEDFILEINFO dwProductVersionMS/LS.
    pub product_version: Option<[u16; 4]>,
    /// The first language of the version resource's `VarFileInfo\Translation`. This is
    /// what MsiGetFileVersion reports and so what WiX writes to File.Language; like
    /// them, there is no fallback to the resource directory's language. (WiX also
    /// leaves File.Language empty when the file has no version.)
    pub language: Option<u16>,
    /// Every (language, code page) pair of `VarFileInfo\Translation`.
    pub translations: Vec<(u16, u16)>,
    /// An Authenticode certificate table is present.
    pub has_signature: bool,
    /// Key/value pairs of the first StringFileInfo string table, in file order.
    pub version_strings: Vec<(String, String)>,
    /// Optional header Subsystem (2 = Windows GUI, 3 = console).
    pub subsystem: u16,
}

impl PeInfo {
    /// The value of a version string (first match, case-sensitive as Windows stores it).
    pub fn version_string(&self, key: &str) -> Option<&str> {
        self.version_strings
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// The version resource [`stamp`] writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionStamp {
    pub file_version: [u16; 4],
    pub product_version: [u16; 4],
    /// Language of the string table and translation, e.g. 0x0409 (US English); the code
    /// page is always 1200 (Unicode), so the table is "040904B0".
    pub language: u16,
    /// StringFileInfo entries in the order given (CompanyName, FileDescription,
    /// FileVersion, InternalName, LegalCopyright, OriginalFilename, ProductName,
    /// ProductVersion, …). A ProductVersion containing '-' (a semver pre-release) also
    /// sets the VS_FF_PRERELEASE flag.
    pub strings: Vec<(String, String)>,
}

/// Errors from reading or stamping a PE file. Messages describe the problem; the caller
/// adds the file path.
#[derive(Debug, thiserror::Error)]
pub enum PeError {
    #[error("not a Windows executable: {0}")]
    NotPe(String),
    #[error("malformed executable: {0}")]
    Malformed(String),
    #[error("malformed resources in the executable: {0}")]
    BadResources(String),
    #[error("not a usable .ico file: {0}")]
    BadIcon(String),
    #[error("invalid version information: {0}")]
    InvalidVersion(String),
    #[error("cannot stamp this executable: {0}")]
    Unsupported(String),
}

/// A cheap check: "MZ" header whose e_lfanew points at a "PE\0\0" signature.
pub fn is_pe(bytes: &[u8]) -> bool {
    Image::pe_offset(bytes).is_ok()
}

/// Reads machine, imports, version resource and signature presence.
///
/// Headers and import tables must be well formed (Windows would refuse to load the file
/// otherwise); a version resource that cannot be read is reported as absent, as
/// GetFileVersionInfo would.
pub fn inspect(bytes: &[u8]) -> Result<PeInfo, PeError> {
    let img = Image::parse(bytes)?;
    let imports = imports::read(&img)?;
    let sec = img.dir(DIR_SECURITY);
    let has_signature = sec.rva != 0
        && sec.size != 0
        && u64::from(sec.rva) + u64::from(sec.size) <= bytes.len() as u64;
    let ver = read_version(&img).unwrap_or_default();
    Ok(PeInfo {
        machine: Machine::from_raw(img.machine),
        is_dll: img.characteristics & 0x2000 != 0,
        imports,
        file_version: ver.file_version,
        product_version: ver.product_version,
        language: ver.translations.first().map(|t| t.0),
        translations: ver.translations,
        has_signature,
        version_strings: ver.strings,
        subsystem: img.subsystem,
    })
}

/// The version resource GetFileVersionInfo (and so MsiGetFileVersion) uses: RT_VERSION
/// id 1 (VS_VERSION_INFO; other ids are ignored by Windows), US English first, then
/// the loader's fallback to neutral, then the first language.
fn read_version(img: &Image<'_>) -> Option<version::Parsed> {
    let tree = rsrc::parse(img, img.dir(DIR_RESOURCE)).ok()?;
    let item = tree
        .find_type(rsrc::RT_VERSION)?
        .items
        .iter()
        .find(|i| i.name == rsrc::ResName::Id(1))?;
    let rank = |l: &rsrc::ResName| match l {
        rsrc::ResName::Id(0x409) => 0,
        rsrc::ResName::Id(0 | 0x400 | 0x800) => 1,
        _ => 2,
    };
    let leaf = &item
        .langs
        .iter()
        .min_by(|a, b| rank(&a.lang).cmp(&rank(&b.lang)).then(a.lang.cmp(&b.lang)))?
        .leaf;
    let data = rsrc::blob_bytes(img, &leaf.blob).ok()?;
    version::parse(&data)
}

const DISPATCHER: &[u8] = b"StartServiceCtrlDispatcher";

/// Whether the executable can ever register with the service manager: it imports
/// StartServiceCtrlDispatcherW/A (from advapi32, sechost or an api-ms-win-service-*
/// API set), or contains that name as a string, as programs that resolve it with
/// GetProcAddress (Go's x/sys/windows/svc, for one) do.
pub fn mentions_service_dispatcher(bytes: &[u8], info: &PeInfo) -> bool {
    let imported = info.imports.iter().any(|(dll, names)| {
        let dll = dll.trim_end_matches(".dll");
        (dll == "advapi32" || dll == "sechost" || dll.starts_with("api-ms-win-service-"))
            && names
                .iter()
                .any(|n| n == "StartServiceCtrlDispatcherW" || n == "StartServiceCtrlDispatcherA")
    });
    imported || contains(bytes, DISPATCHER)
}

/// Substring search (Horspool): skips ahead by up to the needle length, so scanning a
/// 14 MB executable takes about a millisecond, not a per-byte comparison each.
fn contains(hay: &[u8], needle: &[u8]) -> bool {
    let n = needle.len();
    if n == 0 {
        return true;
    }
    let mut skip = [n; 256];
    for (i, &b) in needle.iter().enumerate().take(n - 1) {
        skip[usize::from(b)] = n - 1 - i;
    }
    let mut pos = 0usize;
    while let Some(window) = hay.get(pos..pos + n) {
        if window == needle {
            return true;
        }
        let last = window.last().copied().unwrap_or(0);
        pos += skip[usize::from(last)];
    }
    false
}

/// Writes `version` (replacing every existing RT_VERSION resource) and, with `icon`
/// (the bytes of an .ico file), a new main icon into a copy of `exe`.
///
/// - An Authenticode signature is removed first (the exe is signed after stamping).
/// - The icon replaces the first RT_GROUP_ICON (the one Explorer shows; its name and
///   language are kept so code that loads it gets the new icon), or becomes group 1;
///   icon images only the replaced group used are dropped.
/// - All other resources (manifests, other icons, strings, dialogs) are kept byte for
///   byte.
/// - The resources are laid out in a fresh section: in place of the old `.rsrc` if it
///   fits or is the last section, else appended as a new last section.
/// - The PE checksum is recomputed. Output depends only on the inputs.
pub fn stamp(exe: &[u8], version: &VersionStamp, icon: Option<&[u8]>) -> Result<Vec<u8>, PeError> {
    stamp::stamp(exe, version, icon, None)
}

/// [`stamp`], and with `messages` (a [`message_table`]) that table added as message
/// table 1 in the version's language, unless the exe has a message table of its own
/// (which is kept).
pub fn stamp_with_messages(
    exe: &[u8],
    version: &VersionStamp,
    icon: Option<&[u8]>,
    messages: Option<&[u8]>,
) -> Result<Vec<u8>, PeError> {
    stamp::stamp(exe, version, icon, messages)
}

/// A copy of `exe` without its Authenticode signature (certificate table and directory
/// entry), with the checksum recomputed; unchanged bytes when it is not signed.
pub fn strip_signature(exe: &[u8]) -> Result<Vec<u8>, PeError> {
    let img = Image::parse(exe)?;
    let mut out = exe.to_vec();
    if stamp::strip_signature_in(&mut out, &img)? {
        let ck = img.checksum_offset();
        image::put_u32(&mut out, ck, 0)?;
        let sum = image::pe_checksum(&out, ck);
        image::put_u32(&mut out, ck, sum)?;
    }
    Ok(out)
}

/// The correct PE checksum of `bytes` (what the optional header's CheckSum should hold).
pub fn compute_checksum(bytes: &[u8]) -> Result<u32, PeError> {
    let img = Image::parse(bytes)?;
    Ok(image::pe_checksum(bytes, img.checksum_offset()))
}

/// The CheckSum the optional header currently holds.
pub fn stored_checksum(bytes: &[u8]) -> Result<u32, PeError> {
    let img = Image::parse(bytes)?;
    image::u32_at(bytes, img.checksum_offset())
        .ok_or_else(|| PeError::Malformed("the optional header is truncated".into()))
}
