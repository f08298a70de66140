//! 8.3 short names for the `short|long` file-name columns (File.FileName, Directory.DefaultDir,
//! Shortcut.Name, RemoveFile.FileName, IniFile.FileName, DuplicateFile/MoveFile.DestName),
//! generated exactly as WiX generates them.
//!
//! This module owns: deciding whether a name is a valid short name (WiX v4+ and v3 rules),
//! the hash-based short name WiX makes up for a long one, the combined column value, and the
//! Directory rows WiX derives from a Directory's names (v3 `DefaultDir`; v4+ rows including
//! the extra rows of a multi-level `Name="a\b"`).
//!
//! The algorithm (both versions): lowercase the long name (invariant culture), join it with
//! the salt strings using `|`, hash, base64-encode, keep 8 characters with `+` → `-` and
//! `/` → `_`, append the long name's extension cut to 4 characters (dot included) unless the
//! name is a directory or the result would be invalid, and lowercase the result.
//! - WiX v3 (`candle`, `CompilerCore.GenerateShortName`): MD5 of the UTF-16LE bytes (SHA-1
//!   with `-fips`); computed at compile time from the authored name after preprocessing, so
//!   a name that is exactly a `!(loc.X)` reference is hashed verbatim (not lowercased), and
//!   `!(wix.X)`/`!(bind.X)` references are hashed unresolved.
//! - WiX v4+ (`CreateWindowsInstallerDataFromIRCommand.CreateShortName`): SHA-1 of the UTF-8
//!   bytes; computed by the binder from the resolved name.
//!
//! The salt differs per element and per version (WiX passes the element name first):
//!
//! | row | WiX v3 salt | WiX v4+ salt |
//! |---|---|---|
//! | File | `File`, component id (the file id when the Component has no Id) | `File`, the File's directory id (the component's directory) |
//! | Directory (Name and SourceName) | `Directory`, parent id (null for a root) | `Directory`, the symbol's parent id (null when authored directly under Package/Fragment), also for every level of a multi-level Name |
//! | Shortcut | `Shortcut`, component id, Shortcut/@Directory (null if absent) | `Shortcut`, component id, shortcut directory id |
//! | RemoveFile | `RemoveFile`, component id (wildcards allowed) | `RemoveFile`, component id (wildcards *not* allowed: `*.tmp` gets a short name) |
//! | IniFile | `IniFile`, component id | `IniFile`, component id |
//! | IniFileSearch | `IniFileSearch`, search id | `IniFileSearch` only |
//! | CopyFile (DuplicateFile, MoveFile) | `CopyFile`, component id | `CopyFile`, component id, file id (DuplicateFile); `MoveFile`, component id |
//!
//! Sources (read, not copied): wixtoolset/wix
//! `src/wix/WixToolset.Core.WindowsInstaller/Bind/CreateWindowsInstallerDataFromIRCommand.cs`
//! (`CreateShortName`, `CreateMsiFilename`, `AddDirectorySymbol`, `AddDirectorySubdirectories`),
//! `src/wix/WixToolset.Core/Common.cs` (`IsValidShortFilename`); wixtoolset/wix3
//! `src/tools/wix/CompilerCore.cs` (`GenerateShortName`, `IsValidShortFilename`),
//! `src/tools/wix/Compiler.cs` (`GetMsiFilenameValue`, `ParseDirectoryElement`).
//!
//! wixl (msitools) generates no short names: it writes `File/@Name` (or the Source's basename)
//! into File.FileName and `Directory/@Name` (or `.`) into Directory.DefaultDir verbatim.

use md5::{Digest, Md5};

use crate::xml::Dialect;

use super::guid::{
    base64, dotnet_lower_invariant, dotnet_upper_char, generate_identifier_v4, join_with_bar,
    path_combine, sha1, utf16le, Runtime,
};

/// Which WiX generates the short name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Generator {
    /// WiX v3 `candle` (MD5).
    V3,
    /// WiX v3 `candle -fips` (SHA-1 over UTF-16LE).
    V3Fips,
    /// WiX v4 and later (SHA-1 over UTF-8).
    V4,
}

impl Generator {
    fn is_v3(self) -> bool {
        matches!(self, Generator::V3 | Generator::V3Fips)
    }
}

/// What the name is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NameKind {
    /// A directory: the generated name has no extension.
    Directory,
    /// A file (File, Shortcut, IniFile, CopyFile, ...): the extension is kept when legal.
    File,
    /// A RemoveFile name, which may hold `*` and `?`. Only WiX v3 treats it differently.
    FileWithWildcards,
}

/// Characters a short name may not contain (`.` only as the extension separator).
const ILLEGAL_SHORT: &[u16] = &units(b"\\?|><:/*\"+,;=[]. ");
/// The same, when `*` and `?` are allowed.
const ILLEGAL_SHORT_WILDCARD: &[u16] = &units(b"\\|><:/\"+,;=[]. ");

const fn units<const N: usize>(bytes: &[u8; N]) -> [u16; N] {
    let mut out = [0u16; N];
    let mut i = 0;
    while i < N {
        out[i] = bytes[i] as u16;
        i += 1;
    }
    out
}

const DOT: u16 = b'.' as u16;
const STAR: u16 = b'*' as u16;
const NEWLINE: u16 = b'\n' as u16;

/// WiX v4+'s `Common.IsValidShortFilename`. Lengths count UTF-16 code units, as .NET does.
///
/// Without wildcards: 1–8 characters, optionally `.` and 0–3 more, none of
/// `\ ? | > < : / * " + , ; = [ ] .` or space. With wildcards: `*` and `?` are allowed and
/// `*` does not count towards the 8 and 3.
pub fn is_valid_short_name(name: &str, allow_wildcards: bool) -> bool {
    if name.is_empty() {
        return false;
    }
    let name: Vec<u16> = name.encode_utf16().collect();
    if allow_wildcards {
        if let Some(dot) = position_of_any(&name, ILLEGAL_SHORT_WILDCARD, 0) {
            if name[dot] != DOT || position_of_any(&name, ILLEGAL_SHORT_WILDCARD, dot + 1).is_some()
            {
                return false;
            }
        }
        let (before, after) = count_around_period(&name);
        before <= 8 && after <= 3
    } else {
        if name.len() > 12 {
            return false;
        }
        match position_of_any(&name, ILLEGAL_SHORT, 0) {
            None => name.len() < 9,
            Some(dot) => {
                dot != 0
                    && dot <= 8
                    && name[dot] == DOT
                    && dot + 4 >= name.len()
                    && position_of_any(&name, ILLEGAL_SHORT, dot + 1).is_none()
            }
        }
    }
}

/// WiX v3's `CompilerCore.IsValidShortFilename` (regular expressions
/// `^L{1,8}(\.L{0,3})?$`, and `^W{1,16}(\.W{0,6})?$` plus the wildcard-aware count). It
/// agrees with [`is_valid_short_name`] except in corner cases: .NET's `$` also matches before
/// a final `\n`, and v3 wildcard names need 1–16 characters before the dot and at most 6
/// after it.
pub fn is_valid_short_name_v3(name: &str, allow_wildcards: bool) -> bool {
    let name: Vec<u16> = name.encode_utf16().collect();
    let (illegal, base_max, ext_max) = if allow_wildcards {
        (ILLEGAL_SHORT_WILDCARD, 16, 6)
    } else {
        (ILLEGAL_SHORT, 8, 3)
    };
    let pattern = |s: &[u16]| {
        let base = s.iter().take_while(|u| !illegal.contains(u)).count();
        if base == 0 || base > base_max {
            return false;
        }
        match s.get(base..) {
            Some([]) => true,
            Some([first, ext @ ..]) => {
                *first == DOT && ext.len() <= ext_max && !ext.iter().any(|u| illegal.contains(u))
            }
            None => false,
        }
    };
    let matched =
        pattern(&name) || matches!(name.split_last(), Some((&NEWLINE, rest)) if pattern(rest));
    if !matched {
        return false;
    }
    if allow_wildcards {
        let (before, after) = count_around_period(&name);
        before <= 8 && after <= 3
    } else {
        true
    }
}

fn position_of_any(name: &[u16], set: &[u16], start: usize) -> Option<usize> {
    name.get(start..)?
        .iter()
        .position(|u| set.contains(u))
        .map(|i| i + start)
}

/// Characters before and after the (first) period, not counting `*`, which may stand for none.
fn count_around_period(name: &[u16]) -> (usize, usize) {
    let mut found_period = false;
    let (mut before, mut after) = (0, 0);
    for &unit in name {
        if unit == DOT {
            found_period = true;
        } else if unit != STAR {
            if found_period {
                after += 1;
            } else {
                before += 1;
            }
        }
    }
    (before, after)
}

/// The short name WiX generates for `long` (see the module docs for the algorithm and for
/// what `salt` is per element: the strings WiX passes after the long name, element name
/// first, `None` for a null id). The result is lowercase, e.g. `u7-b4gch` or `qcfv-gdx.swi`.
pub fn short_name(
    generator: Generator,
    long: &str,
    kind: NameKind,
    salt: &[Option<&str>],
) -> String {
    // v3 leaves localization references alone: they are case-sensitive and unresolved here.
    let lowered = if generator.is_v3() && is_v3_loc_reference(long) {
        long.to_string()
    } else {
        dotnet_lower_invariant(long)
    };
    let mut data: Vec<Option<&str>> = Vec::with_capacity(salt.len() + 1);
    data.push(Some(&lowered));
    data.extend_from_slice(salt);
    let joined = join_with_bar(&data);
    let hash: Vec<u8> = match generator {
        Generator::V3 => Md5::digest(utf16le(&joined)).to_vec(),
        Generator::V3Fips => sha1(&utf16le(&joined)).to_vec(),
        Generator::V4 => sha1(joined.as_bytes()).to_vec(),
    };
    let mut name: String = base64(&hash)
        .chars()
        .take(8)
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            other => other,
        })
        .collect();

    if kind != NameKind::Directory {
        let extension = truncate_utf16(dotnet_extension(&lowered, generator), 4);
        let candidate = format!("{name}{extension}");
        let valid = match generator {
            Generator::V4 => is_valid_short_name(&candidate, false),
            _ => is_valid_short_name_v3(&candidate, kind == NameKind::FileWithWildcards),
        };
        // An extension that is not legal in a short name is dropped entirely.
        if valid {
            name = candidate;
        }
    }
    dotnet_lower_invariant(&name)
}

/// The value of a `short|long` column for a file-like row (File.FileName, Shortcut.Name,
/// RemoveFile.FileName, IniFile.FileName, DuplicateFile/MoveFile.DestName): `long` when it is
/// already a valid short name and no ShortName was authored; otherwise `short|long` with the
/// authored ShortName or a generated one ([`short_name`] with `salt`). Directory rows are
/// built by [`default_dir_v3`] / [`directory_rows_v4`].
///
/// `explicit_short` is the authored `ShortName` (validated by the caller); an empty one counts
/// as absent.
pub fn filename_column(
    generator: Generator,
    long: &str,
    explicit_short: Option<&str>,
    kind: NameKind,
    salt: &[Option<&str>],
) -> String {
    let explicit = explicit_short.filter(|s| !s.is_empty());
    if generator.is_v3() {
        // v3 decides validity with wildcards for RemoveFile; a valid name is the whole value.
        if explicit.is_none() && is_valid_short_name_v3(long, kind == NameKind::FileWithWildcards) {
            return long.to_string();
        }
        let short =
            explicit.map_or_else(|| short_name(generator, long, kind, salt), str::to_string);
        msi_filename_v3(&short, Some(long))
    } else {
        // v4 always checks validity without wildcards, even for RemoveFile.
        let short = match explicit {
            Some(s) => Some(s.to_string()),
            None if !is_valid_short_name(long, false) => {
                Some(short_name(generator, long, kind, salt))
            }
            None => None,
        };
        msi_filename_v4(short.as_deref(), Some(long)).unwrap_or_default()
    }
}

/// The names authored on a Directory element (after preprocessing; for WiX v4+ also after
/// bind-variable resolution), each `None` when the attribute is absent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DirectoryNames<'a> {
    /// `Name` (`.` allowed).
    pub name: Option<&'a str>,
    /// `ShortName`.
    pub short_name: Option<&'a str>,
    /// `SourceName` (`.` allowed).
    pub source_name: Option<&'a str>,
    /// `ShortSourceName`.
    pub short_source_name: Option<&'a str>,
}

/// WiX v3's Directory.DefaultDir for a Directory element (`Compiler.ParseDirectoryElement`):
/// `short|long` for the target (a generated short name when Name is not a valid short name,
/// `.` when there is no Name), then `:` and the same for the source when SourceName or
/// ShortSourceName is given. `parent_id` is the parent Directory's id (`None` for TARGETDIR).
/// `fips` selects `candle -fips`. Conflicting attributes (which v3 reports as errors) are the
/// caller's to reject; here the authored short names simply win.
pub fn default_dir_v3(names: &DirectoryNames<'_>, parent_id: Option<&str>, fips: bool) -> String {
    let generator = if fips {
        Generator::V3Fips
    } else {
        Generator::V3
    };
    let salt = [Some("Directory"), parent_id];
    // v3 treats Name="." as no name and puts the "." back at the end.
    let name = names.name.filter(|n| !n.is_empty() && *n != ".");
    let mut short = names.short_name.map(str::to_string);
    if let Some(n) = name {
        if short.is_none() {
            short = Some(if n == "SourceDir" || is_valid_short_name_v3(n, false) {
                n.to_string()
            } else {
                short_name(generator, n, NameKind::Directory, &salt)
            });
        }
    }

    let mut short_source = names.short_source_name.map(str::to_string);
    let mut long_source = None;
    if let Some(s) = names.source_name.filter(|s| !s.is_empty()) {
        if is_valid_short_name_v3(s, false) || s == "." {
            short_source.get_or_insert_with(|| s.to_string());
        } else {
            long_source = Some(s);
            short_source
                .get_or_insert_with(|| short_name(generator, s, NameKind::Directory, &salt));
        }
    }

    let short = short.unwrap_or_else(|| ".".to_string());
    let mut default_dir = msi_filename_v3(&short, name);
    if let Some(source) = short_source {
        default_dir.push(':');
        default_dir.push_str(&msi_filename_v3(&source, long_source));
    }
    default_dir
}

/// One Directory table row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectoryRow {
    pub id: String,
    pub parent: Option<String>,
    pub default_dir: String,
}

/// The Directory rows WiX v4+ writes for one Directory symbol (`AddDirectorySymbol`).
///
/// - `id`: the Directory's id; `parent_id`: its parent as authored (`None` when the Directory
///   sits directly under Package/Fragment, in which case the row's parent becomes TARGETDIR
///   unless `id` is TARGETDIR itself).
/// - A Name with `\` or `/` (`Name="Example Corporation\Test Product\bin"`, also what
///   `Subdirectory` attributes create) yields one extra row per leading level, with ids from
///   [`generate_identifier_v4`]`("d", [parent_id, "Level1\Level2", None, None, None])`, and the
///   last level in the symbol's own row. Extra rows can repeat across symbols: keep the first
///   of each id (WiX reports an error if a repeat differs).
/// - Short names are generated as [`short_name`] with salt `("Directory", parent_id)`, for
///   every level and for SourceName; Name `.`, `SourceDir` and valid short names get none.
///
/// Returns `None` where WiX's own splitting throws: a multi-level Name with a trailing
/// separator (`a\b\`), or one whose leading separators shift its indexes out of range.
pub fn directory_rows_v4(
    id: &str,
    parent_id: Option<&str>,
    names: &DirectoryNames<'_>,
) -> Option<Vec<DirectoryRow>> {
    let salt = [Some("Directory"), parent_id];
    let raw: Vec<u16> = names.name.unwrap_or(".").encode_utf16().collect();
    let is_separator = |u: &u16| *u == u16::from(b'\\') || *u == u16::from(b'/');
    let separator_at = |from: usize| -> Option<usize> {
        raw.get(from..)?
            .iter()
            .position(is_separator)
            .map(|i| i + from)
    };

    // Name.Trim('\\', '/').
    let first = raw
        .iter()
        .position(|u| !is_separator(u))
        .unwrap_or(raw.len());
    let last = raw
        .iter()
        .rposition(|u| !is_separator(u))
        .map_or(first, |i| i + 1);
    let directory = raw.get(first..last)?;

    let mut rows = Vec::new();
    let mut parent_dir: Option<String> = parent_id
        .map(str::to_string)
        .or_else(|| (id != "TARGETDIR").then(|| "TARGETDIR".to_string()));
    let mut path = String::new();
    let mut start = 0usize;
    // WiX finds the first separator in the trimmed name but every later one in the untrimmed
    // Name; the indexes agree unless the Name starts with a separator. Mirror it exactly.
    let mut end = directory.iter().position(is_separator);
    while let Some(stop) = end.filter(|&e| start <= e) {
        let level = String::from_utf16(directory.get(start..stop)?).ok()?;
        if !level.is_empty() {
            path = path_combine(&path, &level, Runtime::Core).ok()?;
            let level_id = generate_identifier_v4("d", &[parent_id, Some(&path), None, None, None]);
            let short = (!is_valid_short_name(&level, false))
                .then(|| short_name(Generator::V4, &level, NameKind::Directory, &salt));
            let default_dir = msi_filename_v4(short.as_deref(), Some(&level)).unwrap_or_default();
            rows.push(DirectoryRow {
                id: level_id.clone(),
                parent: parent_dir.take(),
                default_dir,
            });
            parent_dir = Some(level_id);
        }
        start = stop + 1;
        end = separator_at(start);
    }
    let name = String::from_utf16(directory.get(start..)?).ok()?;

    let mut short = names
        .short_name
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    if short.is_none() && name != "." && name != "SourceDir" && !is_valid_short_name(&name, false) {
        short = Some(short_name(Generator::V4, &name, NameKind::Directory, &salt));
    }
    let mut short_source = names
        .short_source_name
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    if let Some(s) = names.source_name.filter(|s| !s.is_empty() && *s != ".") {
        if short_source.is_none() && !is_valid_short_name(s, false) {
            short_source = Some(short_name(Generator::V4, s, NameKind::Directory, &salt));
        }
    }
    let source = msi_filename_v4(short_source.as_deref(), names.source_name).unwrap_or_default();
    let target = msi_filename_v4(short.as_deref(), Some(&name))
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| ".".into());
    let default_dir = if source.is_empty() || source == target {
        target
    } else {
        format!("{target}:{source}")
    };
    rows.push(DirectoryRow {
        id: id.to_string(),
        parent: parent_dir,
        default_dir,
    });
    Some(rows)
}

/// WiX v4+'s `CreateMsiFilename`: the long name alone when there is no short name or they
/// are equal ignoring case, else `short|long` (a missing long name leaves `short|`).
fn msi_filename_v4(short: Option<&str>, long: Option<&str>) -> Option<String> {
    match short.filter(|s| !s.is_empty()) {
        None => long.map(str::to_string),
        Some(s) if long.is_some_and(|l| eq_ignore_case(s, l)) => long.map(str::to_string),
        Some(s) => Some(format!("{s}|{}", long.unwrap_or(""))),
    }
}

/// WiX v3's `GetMsiFilenameValue`: `short|long` when both exist and differ ignoring case,
/// else the long name if it is a valid short name, else the short name.
fn msi_filename_v3(short: &str, long: Option<&str>) -> String {
    match long {
        Some(l) if !eq_ignore_case(short, l) => format!("{short}|{l}"),
        Some(l) if is_valid_short_name_v3(l, false) => l.to_string(),
        _ => short.to_string(),
    }
}

/// .NET's `StringComparison.OrdinalIgnoreCase` (simple invariant uppercase per character).
fn eq_ignore_case(a: &str, b: &str) -> bool {
    a.chars()
        .map(dotnet_upper_char)
        .eq(b.chars().map(dotnet_upper_char))
}

/// .NET's `Path.GetExtension`: from the last `.` to the end, empty when the name ends with the
/// dot or has none after the last separator (.NET Framework also stops at `:`).
fn dotnet_extension(name: &str, generator: Generator) -> &str {
    for (i, c) in name.char_indices().rev() {
        match c {
            '.' => return if i + 1 == name.len() { "" } else { &name[i..] },
            '\\' | '/' => return "",
            ':' if generator.is_v3() => return "",
            _ => {}
        }
    }
    ""
}

/// `s.Substring(0, max)` in UTF-16 code units. A surrogate pair straddling the cut is dropped
/// whole; WiX would keep half of it, which no valid string can hold.
fn truncate_utf16(s: &str, max: usize) -> &str {
    let mut units = 0;
    for (i, c) in s.char_indices() {
        units += c.len_utf16();
        if units > max {
            return &s[..i];
        }
    }
    s
}

/// Whether `name` is exactly one `!(loc.X)` / `$(loc.X)` reference as WiX v3 matches them
/// (`CompilerCore.IsValidLocIdentifier` with `Common.WixVariableRegex`).
fn is_v3_loc_reference(name: &str) -> bool {
    let Some(rest) = name
        .strip_prefix("!(loc.")
        .or_else(|| name.strip_prefix("$(loc."))
    else {
        return false;
    };
    let identifier_start = |c: char| c == '_' || c.is_ascii_alphabetic();
    let identifier_part = |c: char| c == '_' || c.is_ascii_alphanumeric();
    // name: [_A-Za-z][0-9A-Za-z_]+
    let mut chars = rest.char_indices();
    match chars.next() {
        Some((_, c)) if identifier_start(c) => {}
        _ => return false,
    }
    let name_end = rest
        .char_indices()
        .skip(1)
        .find(|&(_, c)| !identifier_part(c))
        .map_or(rest.len(), |(i, _)| i);
    if name_end < 2 {
        return false;
    }
    let mut rest = &rest[name_end..];
    // optional scope: \.[_A-Za-z][0-9A-Za-z_\.]*
    if let Some(scope) = rest.strip_prefix('.') {
        if !scope.starts_with(identifier_start) {
            return false;
        }
        let end = scope
            .find(|c: char| !(identifier_part(c) || c == '.'))
            .unwrap_or(scope.len());
        rest = &scope[end..];
    }
    // optional default value: =.+? then the closing parenthesis, which must end the name.
    if let Some(value) = rest.strip_prefix('=') {
        let mut value_chars = value.char_indices();
        let Some(_) = value_chars.next() else {
            return false;
        };
        return value_chars
            .find(|&(_, c)| c == ')')
            .is_some_and(|(i, _)| i + 1 == value.len());
    }
    rest == ")"
}

/// The Directory.DefaultDir / File.FileName form of a name: `short|long`, or the name
/// alone when it is already a valid 8.3 name; generated short names follow WiX (`element`
/// and `salt` are what WiX hashes with the name: the element name and its parent's id).
pub fn msi_filename(
    dialect: Dialect,
    long: &str,
    short: Option<&str>,
    is_dir: bool,
    element: &str,
    salt: &str,
) -> String {
    msi_filename_salted(dialect, long, short, is_dir, &[Some(element), Some(salt)])
}

/// [`msi_filename`] with WiX's full salt list (element name first).
pub fn msi_filename_salted(
    dialect: Dialect,
    long: &str,
    short: Option<&str>,
    is_dir: bool,
    salt: &[Option<&str>],
) -> String {
    if long == "." || long == "SourceDir" {
        return long.to_string();
    }
    let generator = match dialect {
        Dialect::V3 => Generator::V3,
        Dialect::V4 => Generator::V4,
    };
    let kind = if is_dir {
        NameKind::Directory
    } else {
        NameKind::File
    };
    filename_column(generator, long, short, kind, salt)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4_dir(name: &str, parent: Option<&str>) -> String {
        short_name(
            Generator::V4,
            name,
            NameKind::Directory,
            &[Some("Directory"), parent],
        )
    }

    #[test]
    fn v4_directory_short_names_from_wix_tests() {
        // wixtoolset/wix src/wix/test/WixToolsetTest.CoreIntegration/MsiQueryFixture.cs
        // (TestData/DefaultDir/DefaultDir.wxs and ProductWithComponentGroupRef/Product.wxs).
        assert_eq!(v4_dir("Folder.1234", Some("INSTALLFOLDER")), "yakwclwy");
        assert_eq!(v4_dir(".git", Some("INSTALLFOLDER")), "69sdfw2d");
        assert_eq!(
            v4_dir("MsiPackage", Some("ProgramFiles6432Folder")),
            "1egc1laj"
        );
        assert_eq!(
            v4_dir("NameAndSourceName", Some("INSTALLFOLDER")),
            "s2s5bq-i"
        );
        assert_eq!(
            v4_dir("SourceNameWithName", Some("INSTALLFOLDER")),
            "dhnqygng"
        );
        assert_eq!(
            v4_dir("ShortNameAndLongSourceName", Some("INSTALLFOLDER")),
            "6ukthv5q"
        );
        // DirectoryFixture.cs (DefaultName.wxs, Nested.wxs, AnonymousDirectories.wxs) and
        // LanguageFixture.cs: every level of "Example Corporation\MsiPackage" is salted with
        // the symbol's parent, and a Directory under Package has a null parent.
        assert_eq!(
            v4_dir("Example Corporation", Some("ProgramFilesFolder")),
            "u7-b4gch"
        );
        assert_eq!(
            v4_dir("Test Product", Some("ProgramFilesFolder")),
            "vjj-gxay"
        );
        assert_eq!(v4_dir("MsiPackage", Some("ProgramFilesFolder")), "oekcr5lq");
        assert_eq!(v4_dir("Some Folder", None), "fef2brvc");
        // VersionFixture.cs and WixVariableFixture.cs.
        assert_eq!(
            v4_dir("MsiPackage v9.8.7.6 and 9.8.7.6", Some("DesktopFolder")),
            "pja2bznq"
        );
        assert_eq!(
            v4_dir("MsiPackage v1.1.1.1 and 1.1.1.1", Some("DesktopFolder")),
            "fcuah1wu"
        );
    }

    #[test]
    fn v4_file_short_names_from_wix_tests() {
        // wixtoolset/wix src/wix/test/WixToolsetTest.CoreIntegration/SoftwareTagFixture.cs:
        // the tag File symbol has no DirectoryRef, so its salt is ("File", null).
        assert_eq!(
            filename_column(
                Generator::V4,
                "WixprojPackageVcxprojWindowsApp.swidtag",
                None,
                NameKind::File,
                &[Some("File"), None]
            ),
            "qcfv-gdx.swi|WixprojPackageVcxprojWindowsApp.swidtag"
        );
        // src/ext/Util/test/WixToolsetTest.Util/UtilExtensionFixture.cs (InternetShortcut
        // RemoveFile rows, component "Package.ico").
        let remove = |name| {
            filename_column(
                Generator::V4,
                name,
                None,
                NameKind::FileWithWildcards,
                &[Some("RemoveFile"), Some("Package.ico")],
            )
        };
        assert_eq!(
            remove("WiX Toolset (url).url"),
            "hoiptxrr.url|WiX Toolset (url).url"
        );
        assert_eq!(
            remove("WiX Toolset (link).lnk"),
            "jcxd1dwf.lnk|WiX Toolset (link).lnk"
        );
        // ProductTag's other file is already a short name.
        assert_eq!(
            filename_column(
                Generator::V4,
                "example.txt",
                None,
                NameKind::File,
                &[Some("File"), Some("INSTALLFOLDER")]
            ),
            "example.txt"
        );
    }

    #[test]
    fn v3_short_names_from_wix3_tests() {
        // wixtoolset/wix3 test/data/SharedData/Authoring/BasicProduct.wxs as compiled in
        // test/data/Tools/Light/Input/WixlibTests/SingleWixlib/BasicProduct.wixlib, and
        // test/data/Integration/BuildingPackages/RegressionTests/SF1824809/product.wxs.
        let file = |name, component| {
            filename_column(
                Generator::V3,
                name,
                None,
                NameKind::File,
                &[Some("File"), Some(component)],
            )
        };
        assert_eq!(
            file("TextFile1.txt", "Component1"),
            "v6wrl67k.txt|TextFile1.txt"
        );
        assert_eq!(
            file("TextFile2.txt", "Component2"),
            "e_qoivb7.txt|TextFile2.txt"
        );
        let dir = |name, parent| {
            default_dir_v3(
                &DirectoryNames {
                    name: Some(name),
                    ..Default::default()
                },
                parent,
                false,
            )
        };
        assert_eq!(
            dir("Test Program", Some("ProgramFilesFolder")),
            "36maoojp|Test Program"
        );
        assert_eq!(dir("123456789", Some("Wix")), "f-mnxco5|123456789");
        // test/src/WixTests/Tools/Candle/RegressionTests.cs (SourceDirTest): TARGETDIR has no
        // parent, so the salt ends with an empty string.
        assert_eq!(dir("SOURCEDIR", None), "tqepgrb4|SOURCEDIR");
        assert_eq!(dir("SourceDir", None), "SourceDir");
        assert_eq!(
            default_dir_v3(
                &DirectoryNames {
                    name: Some("123456789"),
                    short_name: Some("12345678"),
                    ..Default::default()
                },
                Some("Wix"),
                false
            ),
            "12345678|123456789"
        );
    }

    #[test]
    fn v4_directory_rows_from_wix_tests() {
        let row = |id: &str, parent: Option<&str>, dd: &str| DirectoryRow {
            id: id.into(),
            parent: parent.map(Into::into),
            default_dir: dd.into(),
        };
        // DirectoryFixture.cs, Nested.wxs.
        assert_eq!(
            directory_rows_v4(
                "BinFolder",
                Some("ProgramFilesFolder"),
                &DirectoryNames {
                    name: Some("Example Corporation\\Test Product\\bin"),
                    ..Default::default()
                }
            ),
            Some(vec![
                row(
                    "dwGveZhe5wcMbbRyRAkRwm2sqnE4",
                    Some("ProgramFilesFolder"),
                    "u7-b4gch|Example Corporation"
                ),
                row(
                    "d8kPFuRMPxdOxfpYS0O8azlhLUpY",
                    Some("dwGveZhe5wcMbbRyRAkRwm2sqnE4"),
                    "vjj-gxay|Test Product"
                ),
                row("BinFolder", Some("d8kPFuRMPxdOxfpYS0O8azlhLUpY"), "bin"),
            ])
        );
        // DirectoryFixture.cs, AnonymousDirectories.wxs: Subdirectory="a\b\c" under DesktopFolder.
        let c_id = generate_identifier_v4(
            "d",
            &[Some("DesktopFolder"), Some("a\\b\\c"), None, None, None],
        );
        assert_eq!(
            directory_rows_v4(
                &c_id,
                Some("DesktopFolder"),
                &DirectoryNames {
                    name: Some("a\\b\\c"),
                    ..Default::default()
                }
            ),
            Some(vec![
                row("dHKac23vLoBC5fFrqxqAIybMFOj0", Some("DesktopFolder"), "a"),
                row(
                    "dlvpu0ovv8DWWVrdCVSYzDfsibzg",
                    Some("dHKac23vLoBC5fFrqxqAIybMFOj0"),
                    "b"
                ),
                row(
                    "dKom2ks4onBH9RsYLDhjge71s7s8",
                    Some("dlvpu0ovv8DWWVrdCVSYzDfsibzg"),
                    "c"
                ),
            ])
        );
        assert_eq!(
            directory_rows_v4(
                "SomeFolder",
                None,
                &DirectoryNames {
                    name: Some("Some Folder"),
                    ..Default::default()
                }
            ),
            Some(vec![row(
                "SomeFolder",
                Some("TARGETDIR"),
                "fef2brvc|Some Folder"
            )])
        );
        assert_eq!(
            directory_rows_v4(
                "TARGETDIR",
                None,
                &DirectoryNames {
                    name: Some("SourceDir"),
                    ..Default::default()
                }
            ),
            Some(vec![row("TARGETDIR", None, "SourceDir")])
        );
        // DefaultName.wxs: Name="." stays ".".
        assert_eq!(
            directory_rows_v4(
                "BinFolder",
                Some("CompanyFolder"),
                &DirectoryNames {
                    name: Some("."),
                    ..Default::default()
                }
            ),
            Some(vec![row("BinFolder", Some("CompanyFolder"), ".")])
        );
        // MsiQueryFixture.cs, DefaultDir.wxs (all under INSTALLFOLDER; the loc string is resolved).
        let dd = |names: DirectoryNames<'_>| {
            directory_rows_v4("X", Some("INSTALLFOLDER"), &names)
                .and_then(|rows| rows.last().map(|r| r.default_dir.clone()))
        };
        let n = |name| DirectoryNames {
            name: Some(name),
            ..Default::default()
        };
        assert_eq!(
            dd(DirectoryNames {
                short_name: Some("duplicat"),
                ..n("duplicat")
            })
            .as_deref(),
            Some("duplicat")
        );
        assert_eq!(dd(n("SHORTVAL")).as_deref(), Some("SHORTVAL"));
        assert_eq!(
            dd(DirectoryNames {
                short_name: Some("SHRTNAME"),
                ..n("ShortName")
            })
            .as_deref(),
            Some("SHRTNAME|ShortName")
        );
        assert_eq!(
            dd(DirectoryNames {
                short_name: Some("SHORTNAM"),
                ..n("NameAndShortName")
            })
            .as_deref(),
            Some("SHORTNAM|NameAndShortName")
        );
        assert_eq!(
            dd(DirectoryNames {
                source_name: Some("SourceNameWithName"),
                ..n("NameAndSourceName")
            })
            .as_deref(),
            Some("s2s5bq-i|NameAndSourceName:dhnqygng|SourceNameWithName")
        );
        assert_eq!(
            dd(DirectoryNames {
                source_name: Some("SourceNameOnly"),
                short_source_name: Some("SRCNAMON"),
                ..Default::default()
            })
            .as_deref(),
            Some(".:SRCNAMON|SourceNameOnly")
        );
        assert_eq!(
            dd(DirectoryNames {
                short_name: Some("NAMEASSN"),
                ..n("NameAndShortSourceName")
            })
            .as_deref(),
            Some("NAMEASSN|NameAndShortSourceName")
        );
        assert_eq!(
            dd(DirectoryNames {
                source_name: Some("ShortNameAndLongSourceName"),
                ..n("SHNALSNM")
            })
            .as_deref(),
            Some("SHNALSNM:6ukthv5q|ShortNameAndLongSourceName")
        );
        assert_eq!(
            dd(DirectoryNames {
                source_name: Some("SRTSRCVL"),
                ..Default::default()
            })
            .as_deref(),
            Some(".:SRTSRCVL")
        );
        assert_eq!(dd(n("Folder.1")).as_deref(), Some("Folder.1"));
        assert_eq!(dd(n("Folder.123")).as_deref(), Some("Folder.123"));
        assert_eq!(
            dd(n("Folder.1234")).as_deref(),
            Some("yakwclwy|Folder.1234")
        );
        assert_eq!(dd(n(".git")).as_deref(), Some("69sdfw2d|.git"));
        // Where WiX's splitting throws, there is no row; single-level names are just trimmed.
        assert_eq!(dd(n("a\\b\\")), None);
        assert_eq!(dd(n("bin\\")).as_deref(), Some("bin"));
        assert_eq!(dd(n("\\bin")).as_deref(), Some("bin"));
    }

    // No WiX test covers these; they follow from the algorithm as the cited sources define it.
    #[test]
    fn extension_rules() {
        let file = |g, name| short_name(g, name, NameKind::File, &[Some("File"), Some("C")]);
        // Extensions are cut to three characters and dropped when illegal.
        assert!(file(Generator::V4, "Read Me.markdown").ends_with(".mar"));
        assert_eq!(file(Generator::V4, "archive.a b").len(), 8);
        assert_eq!(file(Generator::V4, "trailing.").len(), 8);
        assert_eq!(file(Generator::V3, "Long Name.TXT").len(), 12);
        assert!(file(Generator::V3Fips, "Long Name.TXT").ends_with(".txt"));
        assert_ne!(
            file(Generator::V3, "Long Name.txt"),
            file(Generator::V3Fips, "Long Name.txt")
        );
        // Directories never keep an extension.
        assert_eq!(
            short_name(Generator::V4, "Folder.1234", NameKind::Directory, &[]).len(),
            8
        );
        // The result is lowercase and uses only base64 letters, digits, '-' and '_'.
        let name = file(Generator::V4, "ÜBER Große Datei.TXT");
        assert!(
            name.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c)),
            "{name}"
        );
        // Wildcard extensions survive only where wildcards are allowed (v3 RemoveFile).
        let wild = short_name(
            Generator::V3,
            "Some Logs.l*g",
            NameKind::FileWithWildcards,
            &[Some("RemoveFile"), Some("C")],
        );
        assert!(wild.ends_with(".l*g"), "{wild}");
        let plain = short_name(
            Generator::V3,
            "Some Logs.l*g",
            NameKind::File,
            &[Some("RemoveFile"), Some("C")],
        );
        assert_eq!(plain.len(), 8);
        // v4 RemoveFile: "*.tmp" is not a valid short name there, so it gets one.
        let v4_remove = filename_column(
            Generator::V4,
            "*.tmp",
            None,
            NameKind::FileWithWildcards,
            &[Some("RemoveFile"), Some("C")],
        );
        assert!(v4_remove.ends_with(".tmp|*.tmp"), "{v4_remove}");
        let v3_remove = filename_column(
            Generator::V3,
            "*.tmp",
            None,
            NameKind::FileWithWildcards,
            &[Some("RemoveFile"), Some("C")],
        );
        assert_eq!(v3_remove, "*.tmp");
        // An extension cut inside a surrogate pair loses the whole pair.
        assert_eq!(truncate_utf16(".ab\u{1F600}", 4), ".ab");
        assert_eq!(truncate_utf16(".a\u{1F600}", 4), ".a\u{1F600}");
    }

    #[test]
    fn v3_loc_references_are_hashed_verbatim() {
        assert!(is_v3_loc_reference("!(loc.ProductName)"));
        assert!(is_v3_loc_reference("$(loc.Name.Scope)"));
        assert!(is_v3_loc_reference("!(loc.Name=default)"));
        assert!(!is_v3_loc_reference("!(loc.N)"));
        assert!(!is_v3_loc_reference("!(loc.Name) and more"));
        assert!(!is_v3_loc_reference("!(wix.Name)"));
        assert!(!is_v3_loc_reference("!(loc.Name=a)b)"));
        let salt = [Some("Directory"), Some("P")];
        assert_ne!(
            short_name(
                Generator::V3,
                "!(loc.ProductName)",
                NameKind::Directory,
                &salt
            ),
            short_name(
                Generator::V3,
                "!(loc.productname)",
                NameKind::Directory,
                &salt
            )
        );
        assert_eq!(
            short_name(
                Generator::V4,
                "!(loc.ProductName)",
                NameKind::Directory,
                &salt
            ),
            short_name(
                Generator::V4,
                "!(loc.productname)",
                NameKind::Directory,
                &salt
            )
        );
    }

    #[test]
    fn validity_rules() {
        for (name, valid) in [
            ("a", true),
            ("ABCDEFGH", true),
            ("ABCDEFGHI", false),
            ("abc.txt", true),
            ("abc.", true),
            ("abcdefgh.txt", true),
            ("abcdefgh.text", false),
            (".git", false),
            ("a b", false),
            ("a.b.c", false),
            ("a+b", false),
            ("", false),
            ("ab*", false),
            ("Folder.1234", false),
            ("\u{1F600}\u{1F600}\u{1F600}\u{1F600}", true),
            ("\u{1F600}\u{1F600}\u{1F600}\u{1F600}\u{1F600}", false),
        ] {
            assert_eq!(is_valid_short_name(name, false), valid, "v4 {name:?}");
            assert_eq!(is_valid_short_name_v3(name, false), valid, "v3 {name:?}");
        }
        for (name, v4, v3) in [
            ("*.tmp", true, true),
            ("abc?.t*", true, true),
            ("ab*cdefgh.*", true, true),
            ("abcdefghi.*", false, false),
            ("*.abcd", false, false),
            (".txt", true, false),
            ("a b.*", false, false),
            ("a.b.c", false, false),
        ] {
            assert_eq!(is_valid_short_name(name, true), v4, "v4 wildcard {name:?}");
            assert_eq!(
                is_valid_short_name_v3(name, true),
                v3,
                "v3 wildcard {name:?}"
            );
        }
        // .NET's `$` also matches before a final newline.
        assert!(is_valid_short_name_v3("abcdefgh\n", false));
        assert!(!is_valid_short_name("abcdefgh\n", false));
    }

    #[test]
    fn column_values() {
        let salt = [Some("File"), Some("dir")];
        assert_eq!(
            filename_column(Generator::V4, "app.exe", None, NameKind::File, &salt),
            "app.exe"
        );
        assert_eq!(
            filename_column(
                Generator::V4,
                "My App.exe",
                Some("MYAPP.EXE"),
                NameKind::File,
                &salt
            ),
            "MYAPP.EXE|My App.exe"
        );
        assert_eq!(
            filename_column(
                Generator::V4,
                "app.exe",
                Some("APP.EXE"),
                NameKind::File,
                &salt
            ),
            "app.exe"
        );
        assert_eq!(
            filename_column(
                Generator::V3,
                "app.exe",
                Some("APP.EXE"),
                NameKind::File,
                &salt
            ),
            "app.exe"
        );
        assert_eq!(
            filename_column(
                Generator::V3,
                "app.exe",
                Some("OTHER.EXE"),
                NameKind::File,
                &salt
            ),
            "OTHER.EXE|app.exe"
        );
        let generated = filename_column(Generator::V4, "My App.exe", None, NameKind::File, &salt);
        assert_eq!(
            generated,
            format!(
                "{}|My App.exe",
                short_name(Generator::V4, "My App.exe", NameKind::File, &salt)
            )
        );
        // Deterministic.
        assert_eq!(
            generated,
            filename_column(Generator::V4, "My App.exe", None, NameKind::File, &salt)
        );
        // v3 Directory without Name.
        assert_eq!(
            default_dir_v3(&DirectoryNames::default(), Some("P"), false),
            "."
        );
        assert_eq!(
            default_dir_v3(
                &DirectoryNames {
                    name: Some("."),
                    ..Default::default()
                },
                Some("P"),
                false
            ),
            "."
        );
        assert_eq!(
            default_dir_v3(
                &DirectoryNames {
                    name: Some("bin"),
                    source_name: Some("src"),
                    ..Default::default()
                },
                Some("P"),
                false
            ),
            "bin:src"
        );
        assert_eq!(
            default_dir_v3(
                &DirectoryNames {
                    source_name: Some("."),
                    ..Default::default()
                },
                Some("P"),
                false
            ),
            ".:."
        );
    }
}
