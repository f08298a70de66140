//! Parsing: the element tree of one source file → [`Section`]s of the intermediate model.
//!
//! This module owns the meaning of every supported element and attribute in both WiX
//! dialects. Each handler consumes the attributes it knows through [`Attrs`], which turns
//! any attribute left over into an error naming the element, the attribute, what is
//! allowed and `file:line`; an element without a handler is an error too, so nothing is
//! silently dropped. Cross-element facts (key paths, GUIDs, file sequences) are left to
//! [`super::link`] and [`super::lower`].

mod actions;
mod assembly;
mod class;
pub(crate) mod com;
pub(crate) mod component;
mod custom_table;
pub(crate) mod extension;
mod file;
pub mod firewall;
pub(crate) mod harvest;
pub(crate) mod layout;
mod naked;
mod package;
mod permission;
mod property;
mod publish_component;
mod registry;
mod resources;
pub use package::platform_token;
mod misc;
mod search;
pub(crate) use search::dr_locator_row_key;
mod services;
mod shortcut;
mod shortcut_property;
mod subdirectory;
mod ui;
mod version;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::error::{Location, Result, Warning, WixError};
use super::model::Section;
use super::xml::{Dialect, Element};

/// What the parser needs to know about the build.
#[derive(Clone, Debug)]
pub struct ParseOptions {
    /// "x86", "x64" or "arm64".
    pub arch: String,
    /// Where relative `Source` paths are tried first (WiX: the current directory).
    pub current_dir: PathBuf,
    /// Then the unnamed bind paths, in order; `!(bindpath.NAME)` picks a named one.
    pub bind_paths: Vec<crate::BindPath>,
    /// The program implementing extension elements (see [`crate::ActionProvider`]).
    pub actions: Option<crate::ActionProvider>,
}

/// Parses one document (root `Wix`, or v4 `Package`/`Fragment` under `Wix`).
pub fn parse_document(
    root: &Element,
    opts: &ParseOptions,
    warnings: &mut Vec<Warning>,
) -> Result<Vec<Section>> {
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
    let mut placeholders = Vec::new();
    let mut helper_binary = false;
    for child in &root.children {
        let mut p = Parser {
            opts,
            dialect,
            section: None,
            feature_display: 0,
            warnings: Vec::new(),
            component_placeholders: std::mem::take(&mut placeholders),
            firewall_rules: Vec::new(),
            helper_binary,
        };
        let parsed = match (child.ns.is_util(), child.name.as_str()) {
            (false, "Product") if dialect == Dialect::V3 => package::product_v3(&mut p, child),
            (false, "Package") if dialect == Dialect::V4 => package::package_v4(&mut p, child),
            (false, "Fragment") => package::fragment(&mut p, child),
            (false, "Module" | "Bundle" | "Patch" | "PatchCreation") => Err(unsupported(
                child,
                "only installer packages (Product/Package) and Fragments are supported",
            )),
            _ => Err(unexpected(root, child)),
        };
        // Warnings found before an error are still reported.
        warnings.append(&mut p.warnings);
        parsed?;
        sections.extend(p.section.take());
        placeholders = std::mem::take(&mut p.component_placeholders);
        helper_binary = p.helper_binary;
    }
    if !placeholders.is_empty() {
        for s in &mut sections {
            resolve_component_placeholders(s, &placeholders);
        }
    }
    Ok(sections)
}

/// WiX v4+ names a Component authored without Id after its key path, which is known only
/// once its children are parsed; until then the children use a placeholder `§n§`
/// (Compiler.cs, ComponentIdPlaceholderStart/End and ResolveComponentIdPlaceholders).
/// Like WiX, ids generated from the placeholder keep it hashed in; only the values that
/// contain it are rewritten.
pub(crate) const PLACEHOLDER_MARK: char = '\u{a7}';

fn resolve_component_placeholders(s: &mut Section, ids: &[String]) {
    fn fix(v: &mut String, ids: &[String]) {
        if !v.contains(PLACEHOLDER_MARK) {
            return;
        }
        let mut out = String::with_capacity(v.len());
        let mut rest = v.as_str();
        while let Some(start) = rest.find(PLACEHOLDER_MARK) {
            let after = &rest[start + PLACEHOLDER_MARK.len_utf8()..];
            let Some(end) = after.find(PLACEHOLDER_MARK) else {
                break;
            };
            out.push_str(&rest[..start]);
            match after[..end].parse::<usize>().ok().and_then(|n| ids.get(n)) {
                Some(id) => out.push_str(id),
                None => out.push_str(&rest[start..start + 2 * PLACEHOLDER_MARK.len_utf8() + end]),
            }
            rest = &after[end + PLACEHOLDER_MARK.len_utf8()..];
        }
        out.push_str(rest);
        *v = out;
    }
    use crate::model::{Member, Val};
    for r in &mut s.rows {
        for v in &mut r.values {
            if let Val::Str(t) = v {
                fix(t, ids);
            }
        }
    }
    for r in s.refs.iter_mut().chain(s.groups.iter_mut()) {
        fix(&mut r.id, ids);
    }
    for c in &mut s.components {
        fix(&mut c.id, ids);
    }
    for f in &mut s.files {
        fix(&mut f.component, ids);
    }
    for m in &mut s.memberships {
        for member in [&mut m.parent, &mut m.member] {
            if let Member::Component(c) = member {
                fix(c, ids);
            }
        }
    }
}

/// Parser state for one section.
pub(crate) struct Parser<'o> {
    pub opts: &'o ParseOptions,
    pub dialect: Dialect,
    pub section: Option<Section>,
    /// WiX's running counter for Feature.Display numbering within a section.
    pub feature_display: i32,
    /// Non-fatal findings, printed as `file:line: warning: text`.
    pub warnings: Vec<Warning>,
    /// The ids of v4 Components authored without Id, by placeholder number (one counter
    /// per source file, as in WiX's compiler).
    pub component_placeholders: Vec<String>,
    /// This section's firewall rules by component, as the component's actions carry them.
    pub firewall_rules: Vec<(String, Vec<firewall::FirewallRule>)>,
    /// Some section already carries the action provider's Binary row.
    pub helper_binary: bool,
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

    /// The id WiX makes up for an element authored without one: v4+'s
    /// `Common.GenerateIdentifier` (SHA-1, base64) or v3's `GenerateIdentifier` (MD5, hex),
    /// over exactly the arguments WiX's compiler passes for that element.
    pub fn gen_id(&self, prefix: &str, args: &[Option<&str>]) -> String {
        if self.v4() {
            crate::guid::generate_identifier_v4(prefix, args)
        } else {
            crate::guid::generate_identifier_v3(prefix, args)
        }
    }

    /// Resolves a `Source`/`SourceFile` path as WiX's FileResolver
    /// (ExtensibilityServices/FileResolver.cs, MustResolveUsingBindPaths) does: an existing
    /// path relative to the current directory wins; else `!(bindpath.NAME)rest` looks in
    /// the bind paths named NAME, and any other relative path (also without a leading
    /// `SourceDir\`) in the unnamed bind paths, first match in order. A file found nowhere
    /// resolves against the current directory, where reading it reports it missing.
    pub fn source_path(&self, value: &str) -> PathBuf {
        resolve_source(&self.opts.current_dir, &self.opts.bind_paths, value)
    }
}

/// See [`Parser::source_path`].
pub(crate) fn resolve_source(
    current_dir: &Path,
    bind_paths: &[crate::BindPath],
    value: &str,
) -> PathBuf {
    // WiX sources are often written on Windows with backslashes.
    let normalised = value.replace('\\', "/");
    let (bind_name, rest) = match normalised.strip_prefix("!(bindpath.") {
        Some(tail) => match tail.split_once(')') {
            Some((name, rest)) => (Some(name), rest.trim_start_matches('/')),
            None => (None, normalised.as_str()),
        },
        None => (None, normalised.as_str()),
    };
    let p = Path::new(rest);
    if p.is_absolute() {
        return p.to_path_buf();
    }
    let direct = current_dir.join(p);
    if bind_name.is_none() && direct.is_file() {
        return direct;
    }
    let without_source_dir = rest
        .strip_prefix("SourceDir/")
        .filter(|_| bind_name.is_none());
    for bp in bind_paths {
        let base = if bp.path.is_absolute() {
            bp.path.clone()
        } else {
            current_dir.join(&bp.path)
        };
        let candidates: Vec<PathBuf> = match (bind_name, bp.name.as_deref()) {
            (None, None) => without_source_dir
                .map(|w| base.join(w))
                .into_iter()
                .chain(std::iter::once(base.join(rest)))
                .collect(),
            (Some(want), Some(have)) if want.eq_ignore_ascii_case(have) => vec![base.join(rest)],
            _ => Vec::new(),
        };
        if let Some(found) = candidates.into_iter().find(|c| c.is_file()) {
            return found;
        }
    }
    direct
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

    /// Attribute bits from yes/no attributes, as WiX's compiler sets them: each `(name, bit)`
    /// of `unless` is set when the attribute is not `yes` (a style on by default), each of
    /// `when` when it is.
    pub fn flag_bits(
        &mut self,
        unless: &[(&'static str, i32)],
        when: &[(&'static str, i32)],
    ) -> Result<i32> {
        let mut bits = 0;
        for &(name, bit) in unless {
            if !self.flag(name)? {
                bits |= bit;
            }
        }
        for &(name, bit) in when {
            if self.flag(name)? {
                bits |= bit;
            }
        }
        Ok(bits)
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
                if let Some(e) = extension::unsupported_attribute(self.el, a) {
                    return Err(e);
                }
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
    if let Some(e) = extension::unsupported_element(child) {
        return e;
    }
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

/// A name with its first letter capitalised, as WiX writes event, attribute and threading
/// model names (`Compiler.UppercaseFirstChar`).
pub(crate) fn upper_first(v: &str) -> String {
    let mut c = v.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Fails if an element that takes no children has any.
pub(crate) fn no_children(el: &Element) -> Result<()> {
    match el.children.first() {
        Some(c) => Err(unexpected(el, c)),
        None => Ok(()),
    }
}

/// A long file or directory name WiX accepts: not empty, none of `\\ / : * ? " < > |` or
/// control characters, no trailing space, at most 255 characters.
pub(super) fn check_long_name(name: &str, attr: &str, el: &Element) -> Result<()> {
    let bad = name.is_empty()
        || name.chars().any(|c| {
            matches!(c, '\\' | '/' | ':' | '*' | '?' | '"' | '<' | '>' | '|') || (c as u32) < 32
        })
        || name.ends_with(' ')
        || name.len() > 255;
    if bad {
        return Err(WixError::new(
            el.loc.clone(),
            format!(
                "{}: `{attr}` value `{name}` is not a legal file name (no \\ / : * ? \" < > |, not empty, no trailing space)",
                el.display_name()
            ),
        ));
    }
    Ok(())
}

/// Element semantics checked end to end on small sources (parse → link → lower), each
/// against what WiX's compiler produces for the same authoring.
#[cfg(test)]
mod tests {
    use crate::{compile, CompileOptions, Compiled};

    const V3: &str = "http://schemas.microsoft.com/wix/2006/wi";
    const V4: &str = "http://wixtoolset.org/schemas/v4/wxs";

    fn build(arch: &str, source: &str) -> crate::Result<Compiled> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), "a").unwrap();
        let path = dir.path().join("t.wxs");
        std::fs::write(&path, source).unwrap();
        let mut opts = CompileOptions::new(arch);
        opts.current_dir = dir.path().to_path_buf();
        opts.threads = 1;
        compile(&[path], &opts)
    }

    /// A v3 product around `body` (inside INSTALLDIR) and `features`.
    fn v3(body: &str, features: &str) -> String {
        format!(
            r#"<Wix xmlns="{V3}"><Product Id="*" Name="T" Language="1033" Version="1.0.0" Manufacturer="M" UpgradeCode="9D1B8F0C-6E2A-4B57-8C33-0F4E5A6B7C82">
<Package Compressed="yes"/><Media Id="1" Cabinet="t.cab" EmbedCab="yes"/>
<Directory Id="TARGETDIR" Name="SourceDir"><Directory Id="ProgramFilesFolder"><Directory Id="INSTALLDIR" Name="T">
{body}
</Directory></Directory></Directory>
{features}
</Product></Wix>"#
        )
    }

    use crate::test_support::rows;

    fn row(c: &Compiled, table: &str, key: &str) -> Vec<String> {
        rows(c, table)
            .into_iter()
            .find(|r| r[0] == key)
            .unwrap_or_else(|| panic!("no {table} row {key}: {:?}", rows(c, table)))
    }

    fn err(r: crate::Result<Compiled>) -> String {
        match r {
            Ok(_) => panic!("expected an error"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn two_explicit_key_paths_are_located_and_named_by_the_component() {
        for (comp, named) in [
            (r#"<Component Id="C" Guid="*">"#, "Component `C`"),
            (
                r#"<Component Guid="*">"#,
                "This Component (authored without `Id`)",
            ),
        ] {
            let e = err(build(
                "x86",
                &v3(
                    &format!(
                        "{comp}<File Id=\"F\" Source=\"a.txt\" KeyPath=\"yes\"/>\n\
                         <File Id=\"G\" Name=\"g.txt\" Source=\"a.txt\" KeyPath=\"yes\"/></Component>"
                    ),
                    r#"<Feature Id="Top" Level="1"><ComponentRef Id="C"/></Feature>"#,
                ),
            ));
            assert!(e.contains("t.wxs:5:"), "{e}");
            assert!(
                e.contains(&format!("{named} has more than one key path")),
                "{e}"
            );
            assert!(!e.contains(super::PLACEHOLDER_MARK), "{e}");
        }
    }

    #[test]
    fn advertised_shortcut_targets_the_components_primary_feature() {
        // WiX: the empty-GUID placeholder, resolved by the linker (Linker.cs ResolveFeatures).
        let c = build(
            "x86",
            &v3(
                r#"<Component Id="C" Guid="*"><File Id="F" Source="a.txt" KeyPath="yes">
<Shortcut Id="S" Directory="INSTALLDIR" Name="Short" Advertise="yes"/></File></Component>"#,
                r#"<Feature Id="Top" Level="1"><Feature Id="Inner" Level="1"><ComponentRef Id="C"/></Feature></Feature>"#,
            ),
        )
        .unwrap();
        assert_eq!(row(&c, "Shortcut", "S")[4], "Inner");
        let e = err(build(
            "x86",
            &v3(
                r#"<Component Id="C" Guid="*"><File Id="F" Source="a.txt" KeyPath="yes">
<Shortcut Id="S" Name="Short" Advertise="yes" Target="[#F]"/></File></Component>"#,
                r#"<Feature Id="Top" Level="1"><ComponentRef Id="C"/></Feature>"#,
            ),
        ));
        assert!(e.contains("t.wxs:5:") && e.contains("Advertise"), "{e}");
    }

    #[test]
    fn shortcut_in_a_component_defaults_to_its_directory() {
        // WiX: `[directory]` for a Component or CreateFolder parent, `[#file]` for a File.
        let c = build(
            "x86",
            &v3(
                r#"<Component Id="C" Guid="*"><File Id="F" Source="a.txt" KeyPath="yes"><Shortcut Id="OnFile" Name="f"/></File>
<Shortcut Id="OnComp" Name="c"/><CreateFolder><Shortcut Id="OnFolder" Name="d"/></CreateFolder></Component>"#,
                r#"<Feature Id="Top" Level="1"><ComponentRef Id="C"/></Feature>"#,
            ),
        )
        .unwrap();
        assert_eq!(row(&c, "Shortcut", "OnFile")[4], "[#F]");
        assert_eq!(row(&c, "Shortcut", "OnComp")[4], "[INSTALLDIR]");
        assert_eq!(row(&c, "Shortcut", "OnFolder")[4], "[INSTALLDIR]");
    }

    #[test]
    fn v3_component_feature_attribute_and_symbol_paths() {
        let c = build(
            "x86",
            &v3(
                r#"<Component Id="C" Guid="*" Feature="Top"><SymbolPath Path="x"/><File Id="F" Source="a.txt"><SymbolPath Path="y"/></File></Component>"#,
                r#"<Feature Id="Top" Level="1"/>"#,
            ),
        )
        .unwrap();
        assert_eq!(rows(&c, "FeatureComponents"), [["Top", "C"]]);
    }

    #[test]
    fn versions_follow_wix() {
        let with = |v: &str| v3("", "").replace("Version=\"1.0.0\"", &format!("Version=\"{v}\""));
        // The revision is not limited (WiX 3's own NonDefaultProduct test uses 99999).
        assert!(build("x86", &with("255.255.65535.99999")).is_ok());
        assert!(err(build("x86", &with("1.0.70000"))).contains("not a valid version"));
        // System.Version needs two parts.
        assert!(err(build("x86", &with("1"))).contains("not a valid version"));
        // UpgradeVersion versions are not product versions.
        let up = v3("", "").replace(
            "<Package Compressed=\"yes\"/>",
            "<Package Compressed=\"yes\"/><Upgrade Id=\"9D1B8F0C-6E2A-4B57-8C33-0F4E5A6B7C82\"><UpgradeVersion Minimum=\"300.0\" Property=\"OLD\"/></Upgrade>",
        );
        assert!(build("x86", &up).is_ok());
    }

    #[test]
    fn registry_keys_join_like_wix() {
        let c = build(
            "x86",
            &v3(
                r#"<Component Id="C" Guid="*"><RegistryKey Root="HKLM" Key="Software\A\"><RegistryValue Key="B" Name="n" Value="v" Type="string" KeyPath="yes"/>
<RegistryValue Name="m" Value="w" Type="string"/></RegistryKey>
<RegistryValue Root="HKLM" Key="K" Name="two" Type="multiString"><MultiStringValue>a</MultiStringValue><MultiStringValue>b</MultiStringValue></RegistryValue>
<RegistryValue Root="HKLM" Key="K" Name="one" Type="multiString" Value="a"/></Component>"#,
                r#"<Feature Id="Top" Level="1"><ComponentRef Id="C"/></Feature>"#,
            ),
        )
        .unwrap();
        let reg = rows(&c, "Registry");
        let by_name = |n: &str| reg.iter().find(|r| r[3] == n).unwrap().clone();
        // No doubled backslash after a parent key ending in one; v3 keeps the parent as is.
        assert_eq!(by_name("n")[2], r"Software\A\B");
        assert_eq!(by_name("m")[2], r"Software\A\");
        // A multi-string that already has separators is not wrapped again.
        assert_eq!(by_name("two")[4], "a[~]b");
        assert_eq!(by_name("one")[4], "[~]a[~]");
    }

    #[test]
    fn v4_registry_key_drops_trailing_backslash_and_takes_multi_string() {
        // WiX v4's RegistryFixture: Key="Software\WBM\WB\" gives Software\WBM\WB.
        let src = format!(
            r#"<Wix xmlns="{V4}"><Package Name="T" Manufacturer="M" Version="1.0" UpgradeCode="9D1B8F0C-6E2A-4B57-8C33-0F4E5A6B7C82">
<StandardDirectory Id="ProgramFiles6432Folder"><Directory Id="INSTALLFOLDER" Name="T">
<Component Id="C" Guid="7C40C257-AB36-4B8C-8FD1-C56E0AC4AAEF"><RegistryKey Id="reg1" Root="HKLM" ForceCreateOnInstall="yes" ForceDeleteOnUninstall="yes" Key="Software\WBM\WB\">
<RegistryValue Id="reg2" Type="string" Name="InstallationPath" Value="[INSTALLFOLDER]"/></RegistryKey>
<RegistryValue Id="reg3" Root="HKLM" Key="P" Type="multiString" KeyPath="yes"><MultiString Value="a"/><MultiStringValue Value="b"/></RegistryValue></Component>
</Directory></StandardDirectory><Feature Id="F"><ComponentRef Id="C"/></Feature></Package></Wix>"#
        );
        let c = build("x64", &src).unwrap();
        assert_eq!(row(&c, "Registry", "reg1")[2], r"Software\WBM\WB");
        assert_eq!(row(&c, "Registry", "reg2")[2], r"Software\WBM\WB");
        assert_eq!(row(&c, "Registry", "reg3")[4], "a[~]b");
    }

    #[test]
    fn directory_key_path_components_get_a_create_folder() {
        // v3: Component/@KeyPath="yes" (Compiler.cs shouldAddCreateFolder), unless the
        // component creates that folder itself.
        let c = build(
            "x86",
            &v3(
                r#"<Component Id="K" Guid="FBFFDA3F-DDF1-4651-BB4E-A01F0DDF66A1" KeyPath="yes"><Environment Id="E" Name="X" Value="1" Action="set"/></Component>
<Component Id="Both" Guid="FBFFDA3F-DDF1-4651-BB4E-A01F0DDF66A2" KeyPath="yes"><CreateFolder/></Component>
<Component Id="Implicit" Guid="FBFFDA3F-DDF1-4651-BB4E-A01F0DDF66A3"><Environment Id="E2" Name="Y" Value="1" Action="set"/></Component>"#,
                r#"<Feature Id="Top" Level="1"><ComponentRef Id="K"/><ComponentRef Id="Both"/><ComponentRef Id="Implicit"/></Feature>"#,
            ),
        )
        .unwrap();
        let mut cf = rows(&c, "CreateFolder");
        cf.sort();
        assert_eq!(cf, [["INSTALLDIR", "Both"], ["INSTALLDIR", "K"]]);
        // v4: every directory-key-path component (AddCreateFoldersCommand).
        let src = format!(
            r#"<Wix xmlns="{V4}"><Package Name="T" Manufacturer="M" Version="1.0" UpgradeCode="9D1B8F0C-6E2A-4B57-8C33-0F4E5A6B7C82">
<StandardDirectory Id="ProgramFiles6432Folder"><Directory Id="INSTALLFOLDER" Name="T">
<Component Id="Implicit" Guid="FBFFDA3F-DDF1-4651-BB4E-A01F0DDF66A3"><Environment Id="E2" Name="Y" Value="1" Action="set"/></Component>
</Directory></StandardDirectory><Feature Id="F"><ComponentRef Id="Implicit"/></Feature></Package></Wix>"#
        );
        let c = build("x64", &src).unwrap();
        assert_eq!(rows(&c, "CreateFolder"), [["INSTALLFOLDER", "Implicit"]]);
    }

    #[test]
    fn permission_ex_without_id_is_named_after_its_object_in_v3() {
        let c = build(
            "x86",
            &v3(
                r#"<Component Id="C" Guid="*"><File Id="F" Source="a.txt"><PermissionEx Sddl="D:(A;;GA;;;BA)"/></File></Component>"#,
                r#"<Feature Id="Top" Level="1"><ComponentRef Id="C"/></Feature>"#,
            ),
        )
        .unwrap();
        assert_eq!(row(&c, "MsiLockPermissionsEx", "F")[1..3], ["F", "File"]);
    }

    #[test]
    fn service_config_ids_privileges_and_events_follow_wix() {
        let svc = |config: &str| {
            v3(
                &format!(
                    r#"<Component Id="C" Guid="*"><File Id="F" Source="a.txt" KeyPath="yes"/>
<ServiceInstall Id="S" Name="My Svc" Type="ownProcess" Start="auto" ErrorControl="normal">{config}</ServiceInstall></Component>"#
                ),
                r#"<Feature Id="Top" Level="1"><ComponentRef Id="C"/></Feature>"#,
            )
        };
        let c = build(
            "x86",
            &svc(r#"<ServiceConfig OnInstall="yes"><RequiredPrivilege>modifySystemTime</RequiredPrivilege><RequiredPrivilege>trustedComputerBase</RequiredPrivilege><RequiredPrivilege>[PRIV]</RequiredPrivilege></ServiceConfig>
<ServiceConfigFailureActions OnInstall="yes"><Failure Action="restartService" Delay="1"/></ServiceConfigFailureActions>"#),
        )
        .unwrap();
        // Ids from the service name (GetIdentifierFromName); WiX's privilege table.
        assert_eq!(
            row(&c, "MsiServiceConfig", "My_Svc.RP")[4],
            "SeSystemtimePrivilege[~]SeTcbPrivilege[~][PRIV]"
        );
        assert_eq!(
            row(&c, "MsiServiceConfigFailureActions", "My_Svc")[1],
            "My Svc"
        );
        // No OnInstall/OnReinstall/OnUninstall is an error in WiX v3 and v4 alike.
        let e = err(build(
            "x86",
            &svc(r#"<ServiceConfig DelayedAutoStart="yes"/>"#),
        ));
        assert!(e.contains("OnInstall"), "{e}");
    }

    #[test]
    fn v4_component_without_directory_goes_to_installfolder_and_package_id() {
        let src = format!(
            r#"<Wix xmlns="{V4}"><Package Id="Example.Package" Name="T" Manufacturer="M" Version="1">
<Feature Id="F"><Component><File Source="a.txt"/></Component></Feature></Package></Wix>"#
        );
        let c = build("x64", &src).unwrap();
        // Compiler.cs: the File id is `fil` + hash(directory, name) and the Component,
        // authored without Id, takes its key path's id.
        let fil =
            crate::guid::generate_identifier_v4("fil", &[Some("INSTALLFOLDER"), Some("a.txt")]);
        assert_eq!(row(&c, "Component", &fil)[2], "INSTALLFOLDER");
        assert_eq!(row(&c, "Component", &fil)[5], fil);
        assert_eq!(row(&c, "Property", "PackageId")[1], "Example.Package");
        // WiX v6: CreateGuid(UpgradeCodeGuidNamespace, Id).
        assert_eq!(
            row(&c, "Property", "UpgradeCode")[1],
            crate::guid::upgrade_code_v6("Example.Package")
        );
    }

    /// A v4 package around `body` (inside INSTALLFOLDER, component C with file F).
    fn v4_com(body: &str) -> String {
        format!(
            r#"<Wix xmlns="{V4}"><Package Name="T" Manufacturer="M" Version="1.0" UpgradeCode="9D1B8F0C-6E2A-4B57-8C33-0F4E5A6B7C82">
<StandardDirectory Id="ProgramFiles6432Folder"><Directory Id="INSTALLFOLDER" Name="T">
<Component Id="C" Guid="7C40C257-AB36-4B8C-8FD1-C56E0AC4AAEF"><File Id="F" Source="a.txt" KeyPath="yes"/>
{body}
</Component></Directory></StandardDirectory><Feature Id="Main"><ComponentRef Id="C"/></Feature></Package></Wix>"#
        )
    }

    #[test]
    fn com_elements_reject_bad_input_with_one_located_error() {
        for (body, needle) in [
            (
                r#"<TypeLib Id="765BE8EE-BD7F-491E-90D2-C5A972462B50" Language="0" Bogus="1"/>"#,
                "Bogus",
            ),
            (
                r#"<TypeLib Id="765BE8EE-BD7F-491E-90D2-C5A972462B50"/>"#,
                "Language",
            ),
            (r#"<TypeLib Id="nope" Language="0"/>"#, "GUID"),
            // Not advertised: the registry entries need the type library's File.
            (
                r#"<TypeLib Id="765BE8EE-BD7F-491E-90D2-C5A972462B50" Language="0" MajorVersion="1"/>"#,
                "File",
            ),
            (
                r#"<TypeLib Id="765BE8EE-BD7F-491E-90D2-C5A972462B50" Language="0" Advertise="yes" Restricted="yes"/>"#,
                "Restricted",
            ),
            (
                r#"<TypeLib Id="765BE8EE-BD7F-491E-90D2-C5A972462B50" Language="0" Advertise="yes" HelpDirectory="Missing"/>"#,
                "Missing",
            ),
            (
                r#"<AppId Id="D6040299-B15C-4C94-AE26-0C9B60D14C35" Advertise="yes" Description="d"/>"#,
                "Description",
            ),
            (
                r#"<AppId Id="D6040299-B15C-4C94-AE26-0C9B60D14C35"><Class Id="x"/></AppId>"#,
                "Class",
            ),
            (r#"<ReserveCost Id="R" RunLocal="1"/>"#, "RunFromSource"),
            (r#"<CopyFile Id="M" SourceName="*.log"/>"#, "Destination"),
            (
                r#"<CopyFile Id="M" FileId="F" Delete="yes" DestinationDirectory="INSTALLFOLDER"/>"#,
                "Delete",
            ),
        ] {
            let e = err(build("x64", &v4_com(body)));
            assert!(e.contains("t.wxs:4:") && e.contains(needle), "{body}: {e}");
        }
    }

    #[test]
    fn com_registration_follows_wix() {
        let c = build(
            "x86",
            &v4_com(r#"<TypeLib Id="765BE8EE-BD7F-491E-90D2-C5A972462B50" Advertise="yes" Language="0" MajorVersion="2" MinorVersion="1"/>
<AppId Id="D6040299-B15C-4C94-AE26-0C9B60D14C35" Description="Server"/>"#),
        )
        .unwrap();
        // Advertised: the component's primary feature, version major * 256 + minor.
        let tl = row(&c, "TypeLib", "{765BE8EE-BD7F-491E-90D2-C5A972462B50}");
        assert_eq!((tl[3].as_str(), tl[6].as_str()), ("513", "Main"));
        // Not advertised: HKCR\AppID\{id} with the description as its default value.
        let reg = rows(&c, "Registry");
        assert!(
            reg.iter().any(|r| r[1] == "0"
                && r[2] == r"AppID\{D6040299-B15C-4C94-AE26-0C9B60D14C35}"
                && r[4] == "Server"
                && r[0].starts_with("reg")
                && r[0].len() == 30),
            "{reg:?}"
        );
    }

    #[test]
    fn access_modifiers_follow_wix() {
        let pkg = |dirs: &str| {
            format!(
                r#"<Wix xmlns="{V4}"><Package Name="T" Manufacturer="M" Version="1.0" UpgradeCode="9D1B8F0C-6E2A-4B57-8C33-0F4E5A6B7C82">
<StandardDirectory Id="ProgramFiles6432Folder">{dirs}</StandardDirectory>
<Feature Id="Main"><Component Id="C" Directory="D" Guid="7C40C257-AB36-4B8C-8FD1-C56E0AC4AAEF"><File Id="F" Source="a.txt"/></Component></Feature></Package></Wix>"#
            )
        };
        let c = build(
            "x64",
            &pkg(
                r#"<Directory Id="virtual D" Name="Old"/><Directory Id="override D" Name="New"/>"#,
            ),
        )
        .unwrap();
        assert_eq!(row(&c, "Directory", "D")[2], "New");
        for (dirs, says) in [
            (
                r#"<Directory Id="virtual D" Name="A"/><Directory Id="virtual D" Name="B"/>"#,
                "duplicate virtual Directory `D`",
            ),
            // On one line too, the plain definition is not taken for a virtual one.
            (
                r#"<Directory Id="virtual D" Name="A"/><Directory Id="D" Name="B"/>"#,
                "another definition must say `override`",
            ),
            (
                r#"<Directory Id="D" Name="A"/><Directory Id="virtual D" Name="B"/>"#,
                "another definition must say `override`",
            ),
            (
                r#"<Directory Id="override D" Name="A"/>"#,
                "there is no virtual Directory `D`",
            ),
            (r#"<Directory Id="sideways D" Name="A"/>"#, "sideways D"),
        ] {
            let e = err(build("x64", &pkg(dirs)));
            assert!(e.contains("t.wxs:2:") && e.contains(says), "{dirs}: {e}");
        }
    }

    #[test]
    fn v4_versions_warn_where_wix_warns() {
        let with = |v: &str| v4_com("").replace("Version=\"1.0\"", &format!("Version=\"{v}\""));
        let c = build("x64", &with("v2.3.4")).unwrap();
        assert_eq!(row(&c, "Property", "ProductVersion")[1], "2.3.4");
        let c = build("x64", &with("257.0.0")).unwrap();
        assert_eq!(row(&c, "Property", "ProductVersion")[1], "257.0.0");
        assert!(c
            .warnings
            .iter()
            .any(|w| w.message.contains("Invalid MSI package version")));
        assert!(err(build("x64", &with("1.x"))).contains("not a valid version"));
    }

    #[test]
    fn identifier_from_name_matches_wix() {
        use super::component::identifier_from_name;
        assert_eq!(identifier_from_name("Cargo.toml"), "Cargo.toml");
        assert_eq!(identifier_from_name("my file.txt"), "my_file.txt");
        assert_eq!(identifier_from_name("1.txt"), "_1.txt");
        assert_eq!(identifier_from_name("-x"), "__x");
    }
}
