//! WiX v4+'s inline directory syntax: a multi-level `Directory/@Name` (`a\b\c`) and the
//! `Subdirectory` attributes of `Component`, `ComponentGroup`, `File` and `Files`, which
//! name a directory below another without authoring a `Directory` element.
//!
//! WiX keeps such a name whole in one Directory symbol and splits it when it builds the
//! Directory table (CreateWindowsInstallerDataFromIRCommand, AddDirectorySubdirectories):
//! `a\b\c` under `P` becomes rows `d`+hash(P, `a`) and `d`+hash(P, `a\b`) for the
//! intermediate levels, and the symbol's own row named `c` under the last of them.

use crate::error::{Location, Result, WixError};
use crate::model::{Row, Section, Val};
use crate::shortname::msi_filename;
use crate::xml::Dialect;

/// Path separators WiX accepts inside a relative long name.
fn is_separator(c: char) -> bool {
    c == '\\' || c == '/'
}

/// Whether `name` names more than one directory level.
pub fn is_multi_level(name: &str) -> bool {
    name.trim_matches(is_separator).contains(is_separator)
}

/// A relative long name as WiX canonicalises it (BundleValidator.GetCanonicalRelativePath,
/// Path.GetFullPath below a root): `/` becomes `\`, empty and `.` levels vanish, `..`
/// removes the level before it (never above the root); a trailing separator is kept.
/// Any level that is not a legal long file name is an error at `loc`.
pub fn canonical_relative(
    value: &str,
    element: &str,
    attr: &str,
    loc: &Location,
) -> Result<String> {
    let mut levels: Vec<&str> = Vec::new();
    for level in value.split(is_separator) {
        match level {
            "" | "." => {}
            ".." => {
                levels.pop();
            }
            l => {
                let bad = l.chars().any(|c| {
                    matches!(c, ':' | '*' | '?' | '"' | '<' | '>' | '|') || (c as u32) < 32
                }) || l.ends_with(' ');
                if bad {
                    return Err(WixError::new(
                        loc.clone(),
                        format!(
                            "{element}: `{attr}` value `{value}` is not a legal relative path (levels separated by \\, none with : * ? \" < > | or a trailing space)"
                        ),
                    ));
                }
                levels.push(l);
            }
        }
    }
    if levels.is_empty() {
        return Err(WixError::new(
            loc.clone(),
            format!("{element}: `{attr}` value `{value}` names no directory"),
        ));
    }
    let mut out = levels.join("\\");
    if value.ends_with(is_separator) {
        out.push('\\');
    }
    Ok(out)
}

/// A Directory symbol's names, as parsed.
pub struct DirectoryNames<'a> {
    pub id: &'a str,
    /// The parent as authored (`None` for a top-level directory).
    pub authored_parent: Option<&'a str>,
    /// The parent the row gets (a top-level v4 directory hangs under TARGETDIR).
    pub parent: Option<&'a str>,
    /// `None` (or `.`) for a directory that is its parent.
    pub name: Option<&'a str>,
    pub short_name: Option<&'a str>,
    pub source_name: Option<&'a str>,
    pub short_source_name: Option<&'a str>,
}

/// Adds the Directory row(s) of one Directory symbol to `sec`: for a multi-level name, the
/// intermediate levels first (as implied rows, added once per id by the linker). An
/// `implied` symbol's own row is such a row too.
pub fn directory_rows(
    sec: &mut Section,
    dialect: Dialect,
    d: &DirectoryNames,
    implied: bool,
    loc: &Location,
) {
    let salt = d.parent.unwrap_or("");
    let mut parent = d.parent.map(str::to_string);
    let mut name = d
        .name
        .filter(|n| *n != ".")
        .map(|n| n.trim_matches(is_separator).to_string());
    if let Some(full) = name.clone().filter(|n| is_multi_level(n)) {
        let levels: Vec<&str> = full.split(is_separator).collect();
        let mut path = String::new();
        for level in &levels[..levels.len() - 1] {
            if level.is_empty() {
                continue;
            }
            if !path.is_empty() {
                path.push('\\');
            }
            path.push_str(level);
            let id = crate::guid::generate_identifier_v4("d", &[d.authored_parent, Some(&path)]);
            sec.implied_directories.push(Row {
                table: "Directory",
                values: vec![
                    id.clone().into(),
                    Val::opt_str(parent.clone()),
                    msi_filename(dialect, level, None, true, "Directory", salt).into(),
                ],
                loc: loc.clone(),
            });
            parent = Some(id);
        }
        name = levels.last().map(|l| l.to_string());
    }
    let mut default_dir = match &name {
        Some(n) => msi_filename(dialect, n, d.short_name, true, "Directory", salt),
        None if d.id == "TARGETDIR" => "SourceDir".to_string(),
        None => ".".to_string(),
    };
    if let Some(sn) = d.source_name {
        default_dir.push(':');
        default_dir.push_str(&msi_filename(
            dialect,
            sn,
            d.short_source_name,
            true,
            "Directory",
            salt,
        ));
    }
    let row = Row {
        table: "Directory",
        values: vec![d.id.into(), Val::opt_str(parent), default_dir.into()],
        loc: loc.clone(),
    };
    if implied {
        sec.implied_directories.push(row);
    } else {
        sec.rows.push(row);
    }
}

/// WiX's CreateDirectoryReferenceFromInlineSyntax: the directory `subdirectory` names
/// below `parent`, defined here as `d`+hash(parent, name) and returned by id. Every use
/// of the same subdirectory defines the same row, which WiX's linker keeps once
/// (FindEntrySectionAndLoadSymbolsCommand, identical directory symbols): it is implied.
pub fn inline_directory(
    sec: &mut Section,
    dialect: Dialect,
    parent: &str,
    subdirectory: &str,
    loc: &Location,
) -> String {
    let name = subdirectory.trim_matches(is_separator);
    if name.is_empty() {
        return parent.to_string();
    }
    let id =
        crate::guid::generate_identifier_v4("d", &[Some(parent), Some(name), None, None, None]);
    directory_rows(
        sec,
        dialect,
        &DirectoryNames {
            id: &id,
            authored_parent: Some(parent),
            parent: Some(parent),
            name: Some(name),
            short_name: None,
            source_name: None,
            short_source_name: None,
        },
        true,
        loc,
    );
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(v: &str) -> String {
        canonical_relative(v, "Directory", "Name", &Location::file("t.wxs")).unwrap()
    }

    #[test]
    fn relative_names_are_canonical_as_wix_makes_them() {
        assert_eq!(canon("a/b\\c"), "a\\b\\c");
        assert_eq!(canon("a\\.\\b\\\\c\\"), "a\\b\\c\\");
        assert_eq!(canon("a\\..\\b"), "b");
        assert_eq!(canon("..\\..\\b"), "b");
        assert!(is_multi_level("a\\b"));
        assert!(!is_multi_level("\\a\\"));
        for bad in ["a\\b:c", "..", "a\\?", ""] {
            let e = canonical_relative(bad, "File", "Subdirectory", &Location::file("t.wxs"));
            assert!(e.is_err(), "{bad}");
        }
    }
}
