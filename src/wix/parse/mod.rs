//! Parsing: the element tree of one source file → [`Section`]s of the intermediate model.
//!
//! This module owns the meaning of every supported element and attribute in both WiX
//! dialects. Each handler consumes the attributes it knows through [`Attrs`], which turns
//! any attribute left over into an error naming the element, the attribute, what is
//! allowed and `file:line`; an element without a handler is an error too, so nothing is
//! silently dropped. Cross-element facts (key paths, GUIDs, file sequences) are left to
//! [`super::link`] and [`super::lower`].

mod actions;
pub(crate) mod layout;
mod package;
pub use package::platform_token;
mod services;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::error::{Location, Result, WixError};
use super::model::Section;
use super::xml::{Dialect, Element};

/// What the parser needs to know about the build.
#[derive(Clone, Debug)]
pub struct ParseOptions {
    /// "x86", "x64" or "arm64".
    pub arch: String,
    /// Directory that relative `Source` paths resolve against (WiX: the current directory).
    pub base_dir: PathBuf,
}

/// Parses one document (root `Wix`, or v4 `Package`/`Fragment` under `Wix`).
pub fn parse_document(root: &Element, opts: &ParseOptions) -> Result<Vec<Section>> {
    if !root.is("Wix") {
        return Err(WixError::new(
            root.loc.clone(),
            format!(
                "the root element must be `Wix`, found `{}`",
                root.display_name()
            ),
        ));
    }
    let mut attrs = Attrs::new(root);
    attrs.ignore(&["RequiredVersion"]);
    attrs.finish()?;
    let dialect = root.ns.dialect();
    let mut sections = Vec::new();
    for child in &root.children {
        let mut p = Parser {
            opts,
            dialect,
            section: None,
            feature_display: 0,
        };
        match (child.ns.is_util(), child.name.as_str()) {
            (false, "Product") if dialect == Dialect::V3 => package::product_v3(&mut p, child)?,
            (false, "Package") if dialect == Dialect::V4 => package::package_v4(&mut p, child)?,
            (false, "Fragment") => package::fragment(&mut p, child)?,
            (false, "Module" | "Bundle" | "Patch" | "PatchCreation") => {
                return Err(unsupported(
                    child,
                    "only installer packages (Product/Package) and Fragments are supported",
                ))
            }
            _ => return Err(unexpected(root, child)),
        }
        sections.extend(p.section.take());
    }
    Ok(sections)
}

/// Parser state for one section.
pub(crate) struct Parser<'o> {
    pub opts: &'o ParseOptions,
    pub dialect: Dialect,
    pub section: Option<Section>,
    /// WiX's running counter for Feature.Display numbering within a section.
    pub feature_display: i32,
}

impl Parser<'_> {
    pub fn sec(&mut self) -> &mut Section {
        self.section
            .as_mut()
            .expect("section is opened before elements are parsed")
    }

    pub fn v4(&self) -> bool {
        self.dialect == Dialect::V4
    }

    pub fn is_64bit(&self) -> bool {
        self.opts.arch != "x86"
    }

    /// Resolves a `Source`/`SourceFile` path: relative paths are relative to the base dir.
    pub fn source_path(&self, value: &str) -> PathBuf {
        // WiX sources are often written on Windows with backslashes.
        let normalised = value.replace('\\', "/");
        let p = Path::new(&normalised);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.opts.base_dir.join(p)
        }
    }
}

/// Attribute access that remembers what was read, so leftovers become errors.
pub(crate) struct Attrs<'e> {
    el: &'e Element,
    known: BTreeSet<&'static str>,
}

impl<'e> Attrs<'e> {
    pub fn new(el: &'e Element) -> Self {
        Attrs {
            el,
            known: BTreeSet::new(),
        }
    }

    pub fn loc(&self) -> &'e Location {
        &self.el.loc
    }

    /// Attributes that are accepted but have no effect on the MSI we build.
    pub fn ignore(&mut self, names: &[&'static str]) {
        self.known.extend(names.iter().copied());
    }

    pub fn opt(&mut self, name: &'static str) -> Option<&'e str> {
        self.known.insert(name);
        self.el.attr(name)
    }

    /// Like `opt`, but an empty value counts as absent-with-error (WiX rejects empty values).
    pub fn opt_nonempty(&mut self, name: &'static str) -> Result<Option<&'e str>> {
        match self.opt(name) {
            Some("") => Err(self.err(format!("attribute `{name}` must not be empty"))),
            v => Ok(v),
        }
    }

    pub fn req(&mut self, name: &'static str) -> Result<&'e str> {
        match self.opt(name) {
            Some(v) if !v.is_empty() => Ok(v),
            Some(_) => Err(self.err(format!("attribute `{name}` must not be empty"))),
            None => Err(self.err(format!("missing required attribute `{name}`"))),
        }
    }

    pub fn yesno(&mut self, name: &'static str) -> Result<Option<bool>> {
        match self.opt(name) {
            None => Ok(None),
            Some("yes") | Some("true") => Ok(Some(true)),
            Some("no") | Some("false") => Ok(Some(false)),
            Some(v) => Err(self.err(format!("attribute `{name}` is `{v}`; allowed: yes, no"))),
        }
    }

    pub fn flag(&mut self, name: &'static str) -> Result<bool> {
        Ok(self.yesno(name)?.unwrap_or(false))
    }

    pub fn int(&mut self, name: &'static str) -> Result<Option<i32>> {
        match self.opt(name) {
            None => Ok(None),
            Some(v) => {
                v.trim().parse::<i32>().map(Some).map_err(|_| {
                    self.err(format!("attribute `{name}` is `{v}`; expected an integer"))
                })
            }
        }
    }

    pub fn int_range(&mut self, name: &'static str, min: i64, max: i64) -> Result<Option<i32>> {
        match self.opt(name) {
            None => Ok(None),
            Some(v) => match v.trim().parse::<i64>() {
                Ok(n) if n >= min && n <= max => Ok(Some(n as i32)),
                _ => Err(self.err(format!(
                    "attribute `{name}` is `{v}`; expected an integer from {min} to {max}"
                ))),
            },
        }
    }

    /// One of a fixed set of values.
    pub fn choice(
        &mut self,
        name: &'static str,
        allowed: &[&'static str],
    ) -> Result<Option<&'e str>> {
        match self.opt(name) {
            None => Ok(None),
            Some(v) if allowed.contains(&v) => Ok(Some(v)),
            Some(v) => Err(self.err(format!(
                "attribute `{name}` is `{v}`; allowed: {}",
                allowed.join(", ")
            ))),
        }
    }

    /// An identifier attribute, validated.
    pub fn id(&mut self, name: &'static str) -> Result<Option<String>> {
        match self.opt(name) {
            None => Ok(None),
            Some(v) => {
                check_identifier(v, name, self.loc())?;
                Ok(Some(v.to_string()))
            }
        }
    }

    pub fn req_id(&mut self, name: &'static str) -> Result<String> {
        let v = self.req(name)?;
        check_identifier(v, name, self.loc())?;
        Ok(v.to_string())
    }

    /// A GUID attribute: `Some(Guid)` normalised, `"*"` passed through, empty passed through.
    pub fn guid(&mut self, name: &'static str) -> Result<Option<String>> {
        match self.opt(name) {
            None => Ok(None),
            Some("*") => Ok(Some("*".into())),
            Some("") => Ok(Some(String::new())),
            Some(v) => normalise_guid(v).map(Some).ok_or_else(|| {
                self.err(format!(
                    "attribute `{name}` is `{v}`, which is not a GUID; expected e.g. \
                     {{8E0B5A7C-1D2E-4F60-9A1B-2C3D4E5F6A7B}} or `*`"
                ))
            }),
        }
    }

    pub fn err(&self, message: impl Into<String>) -> WixError {
        WixError::new(
            self.el.loc.clone(),
            format!("{}: {}", self.el.display_name(), message.into()),
        )
    }

    /// Fails on any attribute that no handler asked for.
    pub fn finish(&self) -> Result<()> {
        for a in &self.el.attrs {
            if !self.known.contains(a.name.as_str()) {
                let allowed: Vec<&str> = self.known.iter().copied().collect();
                let allowed = if allowed.is_empty() {
                    "none".to_string()
                } else {
                    allowed.join(", ")
                };
                return Err(WixError::new(
                    self.el.loc.clone(),
                    format!(
                        "unknown attribute `{}` on element `{}` (allowed: {allowed})",
                        a.name,
                        self.el.display_name()
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// WiX identifiers: a letter or underscore, then letters, digits, underscores and periods;
/// at most 72 characters (the MSI limit for identifiers).
pub fn check_identifier(v: &str, attr: &str, loc: &Location) -> Result<()> {
    let mut chars = v.chars();
    let ok_first = matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_');
    let ok_rest = chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
    if !ok_first || !ok_rest {
        return Err(WixError::new(
            loc.clone(),
            format!(
                "`{attr}` value `{v}` is not a legal identifier: it must start with a letter or underscore \
                 and contain only ASCII letters, digits, underscores and periods"
            ),
        ));
    }
    if v.len() > 72 {
        return Err(WixError::new(
            loc.clone(),
            format!(
                "`{attr}` value `{v}` is {} characters long; identifiers are limited to 72",
                v.len()
            ),
        ));
    }
    Ok(())
}

/// `{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}` in upper case, from a braced or bare GUID.
pub fn normalise_guid(v: &str) -> Option<String> {
    let inner = v
        .strip_prefix('{')
        .and_then(|s| s.strip_suffix('}'))
        .unwrap_or(v);
    let bytes = inner.as_bytes();
    if bytes.len() != 36 {
        return None;
    }
    for (i, b) in bytes.iter().enumerate() {
        let dash = matches!(i, 8 | 13 | 18 | 23);
        if dash != (*b == b'-') || (!dash && !b.is_ascii_hexdigit()) {
            return None;
        }
    }
    Some(format!("{{{}}}", inner.to_ascii_uppercase()))
}

/// A deterministic generated identifier in WiX's style: prefix + a hash of what makes the
/// row unique, so the same authoring always gets the same ids.
pub fn generated_id(prefix: &str, parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            h.update(b"|");
        }
        h.update(p.to_lowercase().as_bytes());
    }
    let digest = h.finalize();
    let mut id = String::with_capacity(prefix.len() + 32);
    id.push_str(prefix);
    for b in &digest[..16] {
        id.push_str(&format!("{b:02X}"));
    }
    id
}

pub(crate) fn unexpected(parent: &Element, child: &Element) -> WixError {
    WixError::new(
        child.loc.clone(),
        format!(
            "element `{}` is not supported inside `{}` (svcpack's native compiler does not handle it; \
             see `cargo svcpack compile --help` for the supported set)",
            child.display_name(),
            parent.display_name()
        ),
    )
}

pub(crate) fn unsupported(el: &Element, why: &str) -> WixError {
    WixError::new(
        el.loc.clone(),
        format!("element `{}` is not supported: {why}", el.display_name()),
    )
}

/// The text of a v3 condition element (`<Condition>text</Condition>`), required non-empty.
pub(crate) fn condition_text(el: &Element) -> Result<String> {
    if el.text.is_empty() {
        return Err(WixError::new(
            el.loc.clone(),
            format!("`{}` needs a condition as its text", el.display_name()),
        ));
    }
    Ok(el.text.clone())
}

/// Fails if an element that takes no children has any.
pub(crate) fn no_children(el: &Element) -> Result<()> {
    match el.children.first() {
        Some(c) => Err(unexpected(el, c)),
        None => Ok(()),
    }
}
