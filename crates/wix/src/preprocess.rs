//! The WiX preprocessor: processing instructions and `$(...)` variables, applied to source
//! text before XML parsing.
//!
//! This module owns everything WiX's `Preprocessor` does: `<?define?>`, `<?undef?>`,
//! `<?ifdef?>`, `<?ifndef?>`, `<?if?>`/`<?elseif?>`/`<?else?>`/`<?endif?>`, `<?include?>`,
//! `<?foreach?>`/`<?endforeach?>`, `<?warning?>`, `<?error?>`, `<?pragma?>`, the variable
//! namespaces `var.`, `env.` and `sys.`, the `$$` escape, `$(fun.AutoVersion(...))`, the
//! expression language of `<?if?>`, and decoding of source files (BOM, declared encoding,
//! line-end normalisation). Its output is one XML text plus, for every output line, the
//! `file:line` it came from, so that later stages report locations in the user's files.
//!
//! WiX runs its preprocessor on an `XmlReader` node stream; we run on text, which keeps the
//! later parser independent of us. To get the same results we lex just enough XML to know
//! where markup, comments, CDATA, attribute values and text are, and:
//! - substitute variables only where WiX does (attribute values, text and CDATA; never in
//!   element or attribute names, comments or the XML declaration), escaping each substituted
//!   value for where it lands, so it arrives literally after XML parsing, as in WiX where the
//!   substitution happens on already-parsed values;
//! - splice included files without their `<Include>` root element, carrying the root's
//!   namespace declarations onto each spliced child (WiX v4 keeps each element's namespace);
//! - keep every source newline (skipped regions become empty lines), so that the line map
//!   stays exact without any bookkeeping beyond "which source line starts this output line".
//!
//! Semantics follow WiX v4 (`WixToolset.Core/Preprocessor.cs`,
//! `ExtensibilityServices/PreprocessHelper.cs`), which is a superset of WiX v3's
//! (`src/tools/wix/Preprocessor.cs`, `PreprocessorCore.cs`): where they differ (`$(X)` without
//! a prefix, `==`, quoted `<?foreach?>` lists) we accept both. Messages reuse WiX's wording.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::rc::Rc;

use super::{Location, Result, Warning, WixError};

/// How deeply `<?include?>` and `<?foreach?>` may nest (together). WiX allows 1024 include
/// levels; we use fewer because each level is a native stack frame, and real projects nest a
/// handful at most. Self-inclusion hits this limit quickly with a clear message.
const MAX_NESTING: usize = 128;

/// How deeply parentheses and `NOT` may nest in one `<?if?>` expression (recursion guard).
const MAX_EXPR_DEPTH: usize = 200;

/// Output size cap: nested `<?foreach?>` loops multiply; stop with an error long before
/// memory runs out.
const MAX_OUTPUT: usize = 512 << 20;

/// Cap on lexed items, summed over all loop iterations and inclusions: loops that produce
/// no output (e.g. 60 nested two-value loops) would otherwise run practically forever.
/// Real sources use well under a million.
const MAX_WORK: u64 = 10_000_000;

const TOO_LARGE: &str =
    "the preprocessed output is too large; check nested <?foreach?> loops and <?include?>s";

/// Preprocessor inputs besides the source text.
#[derive(Clone, Debug)]
pub struct Options {
    /// `-D NAME[=VALUE]` (VALUE defaults to ""). They can be redefined by `<?define?>`,
    /// which warns when the value differs, as WiX does.
    pub defines: BTreeMap<String, String>,
    /// `-I DIR`, searched in order after the including file's own directory.
    pub include_dirs: Vec<PathBuf>,
    /// `x86`, `x64` or `arm64`: `$(sys.BUILDARCH)` (and deprecated `$(sys.PLATFORM)`).
    pub arch: String,
    /// `$(sys.CURRENTDIR)` (WiX appends a directory separator), and the base of relative
    /// source and include paths.
    pub current_dir: PathBuf,
    /// `$(env.X)`. Looked up exactly first, then ignoring ASCII case, because WiX sources
    /// are written for Windows, whose environment is case-insensitive.
    pub env: BTreeMap<String, String>,
}

impl Default for Options {
    /// WiX's defaults: platform x86, the process's current directory, no defines. The
    /// environment is empty; callers pass `std::env::vars()` explicitly.
    fn default() -> Self {
        Options {
            defines: BTreeMap::new(),
            include_dirs: Vec::new(),
            arch: "x86".to_string(),
            current_dir: std::env::current_dir().unwrap_or_default(),
            env: BTreeMap::new(),
        }
    }
}

/// The preprocessed document.
#[derive(Clone, Debug, Default)]
pub struct Preprocessed {
    /// XML with all processing instructions processed and variables substituted.
    pub text: String,
    /// `lines[i]` is the source location of output line `i + 1`. There is one entry per
    /// line of `text`, counting the (possibly empty) part after the last newline.
    pub lines: Vec<Location>,
    /// `<?warning?>` messages and other non-fatal diagnostics, in source order.
    pub warnings: Vec<Warning>,
}

impl Preprocessed {
    /// The source location of 1-based output line `line`; out-of-range lines are clamped to
    /// the first or last line, so this never panics.
    pub fn location(&self, line: u32) -> Location {
        if self.lines.is_empty() {
            return Location::new(PathBuf::new(), line);
        }
        let idx = (line.max(1) as usize).min(self.lines.len()) - 1;
        self.lines[idx].clone()
    }
}

/// Reads, decodes and preprocesses the file at `path`. Relative paths are taken from
/// `opts.current_dir`; locations name the file as given.
pub fn preprocess_file(path: &Path, opts: &Options) -> Result<Preprocessed> {
    let abs = resolve(opts, path);
    let bytes = std::fs::read(&abs).map_err(|e| {
        WixError::new(
            Location::file(path),
            format!("cannot read source file: {e}"),
        )
    })?;
    let text = decode(&bytes, path)?;
    Pp::new(opts).run_main(text, path)
}

/// Preprocesses `text` as if it were the content of `path` (used for locations,
/// `$(sys.SOURCEFILEDIR)`, `$(sys.SOURCEFILEPATH)` and relative includes).
pub fn preprocess_str(text: &str, path: &Path, opts: &Options) -> Result<Preprocessed> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    Pp::new(opts).run_main(normalize_newlines(text), path)
}

// ---------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------

/// Decodes a source file the way an XML reader does: a byte-order mark wins, then the
/// `encoding` of the XML declaration, then UTF-8. Line ends are normalised to `\n` (as XML
/// requires before parsing), so line counting and the later parser agree.
fn decode(bytes: &[u8], file: &Path) -> Result<String> {
    use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, UTF_8};
    let bad = |what: &str| {
        WixError::new(
            Location::file(file),
            format!("the file is not valid {what}"),
        )
    };
    let text: String = if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        utf8(rest, file)?
    } else if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        UTF_16LE
            .decode_without_bom_handling_and_without_replacement(rest)
            .ok_or_else(|| bad("UTF-16LE"))?
            .into_owned()
    } else if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        UTF_16BE
            .decode_without_bom_handling_and_without_replacement(rest)
            .ok_or_else(|| bad("UTF-16BE"))?
            .into_owned()
    } else if bytes.starts_with(b"<\0") {
        // UTF-16 without a byte-order mark: XML readers detect it from the first '<'.
        UTF_16LE
            .decode_without_bom_handling_and_without_replacement(bytes)
            .ok_or_else(|| bad("UTF-16LE"))?
            .into_owned()
    } else if bytes.starts_with(b"\0<") {
        UTF_16BE
            .decode_without_bom_handling_and_without_replacement(bytes)
            .ok_or_else(|| bad("UTF-16BE"))?
            .into_owned()
    } else {
        match declared_encoding(bytes) {
            None => utf8(bytes, file)?,
            Some(label) => match Encoding::for_label(label.as_bytes()) {
                None => {
                    return Err(WixError::new(
                        Location::new(file, 1),
                        format!("unsupported encoding '{label}' in the XML declaration"),
                    ))
                }
                // A declaration readable as ASCII cannot be UTF-16: treat the file as UTF-8.
                Some(enc) if enc == UTF_8 || enc == UTF_16LE || enc == UTF_16BE => {
                    utf8(bytes, file)?
                }
                Some(enc) => enc
                    .decode_without_bom_handling_and_without_replacement(bytes)
                    .ok_or_else(|| bad(enc.name()))?
                    .into_owned(),
            },
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    Ok(normalize_newlines(text))
}

fn utf8(bytes: &[u8], file: &Path) -> Result<String> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(s.to_string()),
        Err(e) => {
            let good = &bytes[..e.valid_up_to()];
            let line = 1 + good.iter().filter(|&&b| b == b'\n').count() as u32;
            Err(WixError::new(
                Location::new(file, line),
                "the file is not valid UTF-8; save it as UTF-8 or declare its encoding \
                 in the XML declaration",
            ))
        }
    }
}

/// The `encoding` pseudo-attribute of a leading `<?xml ...?>` declaration, if any.
fn declared_encoding(bytes: &[u8]) -> Option<String> {
    if !bytes.starts_with(b"<?xml") {
        return None;
    }
    let head = &bytes[..bytes.len().min(1024)];
    let end = head.windows(2).position(|w| w == b"?>")?;
    let decl = String::from_utf8_lossy(&head[..end]);
    let at = decl.find("encoding")?;
    let rest = decl[at + "encoding".len()..]
        .trim_start()
        .strip_prefix('=')?
        .trim_start();
    let quote = rest.chars().next().filter(|&c| c == '"' || c == '\'')?;
    let rest = &rest[1..];
    let close = rest.find(quote)?;
    Some(rest[..close].trim().to_string())
}

/// `\r\n` and lone `\r` become `\n` (XML 1.0 §2.11).
fn normalize_newlines(s: &str) -> String {
    if !s.contains('\r') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' {
            out.push('\n');
            if chars.peek() == Some(&'\n') {
                chars.next();
            }
        } else {
            out.push(c);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Paths
// ---------------------------------------------------------------------------------------

/// `path` taken relative to `opts.current_dir`, lexically normalised (WiX uses
/// `Path.GetFullPath`, which also removes `.` and `..`).
fn resolve(opts: &Options, path: &Path) -> PathBuf {
    if path.is_absolute() || opts.current_dir.as_os_str().is_empty() {
        normalize_path(path)
    } else {
        normalize_path(&opts.current_dir.join(path))
    }
}

fn normalize_path(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if matches!(out.components().next_back(), Some(Component::Normal(_))) {
                    out.pop();
                } else if !out.has_root() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// A directory as WiX's `sys.` variables give it: with a trailing separator.
fn dir_with_separator(dir: &Path) -> String {
    let mut s = dir.to_string_lossy().into_owned();
    if !s.ends_with('/') && !s.ends_with('\\') {
        s.push(std::path::MAIN_SEPARATOR);
    }
    s
}

// ---------------------------------------------------------------------------------------
// Output with a line map
// ---------------------------------------------------------------------------------------

/// The output text and, per output line, the (file id, line) it starts at.
struct Out {
    text: String,
    lines: Vec<(u32, u32)>,
    cur: (u32, u32),
    /// Whether the current output line has anything but whitespace (see `set_origin`).
    content: bool,
    /// A source switch that happened after content on the current line: the next content
    /// goes on a new line labelled with this, unless a newline comes first anyway.
    pending: Option<(u32, u32)>,
}

impl Out {
    fn newline(&mut self, next: (u32, u32)) {
        self.lines.push(self.cur);
        self.text.push('\n');
        self.cur = next;
        self.content = false;
        self.pending = None;
    }

    /// Appends source-derived text that starts on `file:line`; each `\n` in it starts the
    /// next source line.
    fn push(&mut self, s: &str, file: u32, line: u32) {
        let mut l = line;
        for (i, piece) in s.split('\n').enumerate() {
            if i > 0 {
                l = l.saturating_add(1);
                self.newline((file, l));
            }
            if piece.bytes().any(|b| !matches!(b, b' ' | b'\t')) {
                if let Some(origin) = self.pending {
                    self.newline(origin);
                }
                self.content = true;
            }
            self.text.push_str(piece);
        }
    }

    /// Emits only the newlines of a consumed source region, keeping the line map in step.
    fn newlines(&mut self, s: &str, file: u32, line: u32) {
        let mut l = line;
        for _ in s.bytes().filter(|&b| b == b'\n') {
            l = l.saturating_add(1);
            self.newline((file, l));
        }
    }

    /// The source switches (into or out of an included file or a loop body). The current
    /// output line, if it holds only whitespace, is simply relabelled; otherwise the next
    /// content starts a line of its own (unless a newline comes first). An inserted newline
    /// only adds whitespace between elements, which WiX ignores.
    fn set_origin(&mut self, file: u32, line: u32) {
        if self.content {
            self.pending = Some((file, line));
        } else {
            self.cur = (file, line);
            self.pending = None;
        }
    }
}

// ---------------------------------------------------------------------------------------
// A small XML lexer: enough to find markup, never a validator
// ---------------------------------------------------------------------------------------

struct Attr {
    name: (usize, usize),
    value: (usize, usize),
}

enum Item<'a> {
    Text,
    Comment,
    CData(usize, usize),
    Pi {
        target: &'a str,
        data: &'a str,
    },
    Start {
        name: &'a str,
        name_end: usize,
        attrs: Vec<Attr>,
        empty: bool,
    },
    End,
}

struct Lexed<'a> {
    item: Item<'a>,
    start: usize,
    end: usize,
}

struct LexError {
    pos: usize,
    msg: String,
}

fn lex_err<T>(pos: usize, msg: impl Into<String>) -> std::result::Result<T, LexError> {
    Err(LexError {
        pos,
        msg: msg.into(),
    })
}

fn is_xml_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// XML names, leniently: ASCII name characters plus anything non-ASCII. Invalid names are
/// rejected so that e.g. `<?if$(var.X)?>` is an error rather than an ignored unknown PI.
fn is_xml_name(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' || c == ':' || !c.is_ascii() => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | ':' | '-' | '.') || !c.is_ascii())
}

/// Lexes the item starting at `pos` (`pos < text.len()`).
fn lex(text: &str, pos: usize) -> std::result::Result<Lexed<'_>, LexError> {
    let b = text.as_bytes();
    let rest = &text[pos..];
    let lexed = |item, end| {
        Ok(Lexed {
            item,
            start: pos,
            end,
        })
    };
    if !rest.starts_with('<') {
        let end = rest.find('<').map_or(text.len(), |i| pos + i);
        return lexed(Item::Text, end);
    }
    if rest.starts_with("<!--") {
        return match text[pos + 4..].find("-->") {
            Some(i) => lexed(Item::Comment, pos + 4 + i + 3),
            None => lex_err(pos, "unterminated comment: '<!--' without '-->'"),
        };
    }
    if rest.starts_with("<![CDATA[") {
        let start = pos + 9;
        return match text[start..].find("]]>") {
            Some(i) => lexed(Item::CData(start, start + i), start + i + 3),
            None => lex_err(pos, "unterminated CDATA section: '<![CDATA[' without ']]>'"),
        };
    }
    if rest.starts_with("<!DOCTYPE") {
        return lex_err(
            pos,
            "document type declarations (DTDs) are not allowed in WiX sources",
        );
    }
    if rest.starts_with("<!") {
        return lex_err(
            pos,
            "invalid markup '<!': expected a comment '<!--' or '<![CDATA['",
        );
    }
    if rest.starts_with("<?") {
        let Some(i) = text[pos + 2..].find("?>") else {
            return lex_err(
                pos,
                "unterminated processing instruction: '<?' without '?>'",
            );
        };
        let body = &text[pos + 2..pos + 2 + i];
        let split = body
            .find(|c: char| c.is_ascii_whitespace())
            .unwrap_or(body.len());
        let target = &body[..split];
        if !is_xml_name(target) {
            let shown: String = target.chars().take(40).collect();
            return lex_err(
                pos,
                format!("invalid processing instruction name '{shown}'"),
            );
        }
        let data = body[split..].trim_start_matches(|c: char| c.is_ascii_whitespace());
        return lexed(Item::Pi { target, data }, pos + 2 + i + 2);
    }
    if rest.starts_with("</") {
        let Some(i) = text[pos + 2..].find('>') else {
            return lex_err(pos, "unterminated end tag");
        };
        let name = text[pos + 2..pos + 2 + i].trim_end_matches(|c: char| c.is_ascii_whitespace());
        if !is_xml_name(name) {
            return lex_err(pos, "malformed end tag");
        }
        return lexed(Item::End, pos + 2 + i + 1);
    }
    // A start tag.
    let mut i = pos + 1;
    while i < b.len()
        && !is_xml_ws(b[i])
        && !matches!(b[i], b'>' | b'/' | b'<' | b'"' | b'\'' | b'=')
    {
        i += 1;
    }
    let name = &text[pos + 1..i];
    if !is_xml_name(name) {
        return lex_err(pos, "'<' must start a tag; write '&lt;' for a literal '<'");
    }
    let name_end = i;
    let mut attrs = Vec::new();
    loop {
        let ws_start = i;
        while i < b.len() && is_xml_ws(b[i]) {
            i += 1;
        }
        if i >= b.len() {
            return lex_err(pos, format!("unterminated start tag <{name}>"));
        }
        match b[i] {
            b'>' => {
                return lexed(
                    Item::Start {
                        name,
                        name_end,
                        attrs,
                        empty: false,
                    },
                    i + 1,
                )
            }
            b'/' if b.get(i + 1) == Some(&b'>') => {
                return lexed(
                    Item::Start {
                        name,
                        name_end,
                        attrs,
                        empty: true,
                    },
                    i + 2,
                )
            }
            _ if i == ws_start => return lex_err(i, format!("malformed start tag <{name}>")),
            _ => {}
        }
        let n0 = i;
        while i < b.len()
            && !is_xml_ws(b[i])
            && !matches!(b[i], b'>' | b'/' | b'<' | b'"' | b'\'' | b'=')
        {
            i += 1;
        }
        if n0 == i || !is_xml_name(&text[n0..i]) {
            return lex_err(n0, format!("malformed attribute in start tag <{name}>"));
        }
        let n1 = i;
        while i < b.len() && is_xml_ws(b[i]) {
            i += 1;
        }
        if b.get(i) != Some(&b'=') {
            return lex_err(n0, format!("attribute '{}' has no value", &text[n0..n1]));
        }
        i += 1;
        while i < b.len() && is_xml_ws(b[i]) {
            i += 1;
        }
        let quote = match b.get(i) {
            Some(&q @ (b'"' | b'\'')) => q,
            _ => {
                return lex_err(
                    n0,
                    format!("the value of attribute '{}' must be quoted", &text[n0..n1]),
                )
            }
        };
        let v0 = i + 1;
        let Some(len) = b[v0..].iter().position(|&c| c == quote) else {
            return lex_err(
                n0,
                format!("unterminated value of attribute '{}'", &text[n0..n1]),
            );
        };
        let v1 = v0 + len;
        if let Some(lt) = b[v0..v1].iter().position(|&c| c == b'<') {
            return lex_err(
                v0 + lt,
                "'<' is not allowed in an attribute value; write '&lt;'",
            );
        }
        attrs.push(Attr {
            name: (n0, n1),
            value: (v0, v1),
        });
        i = v1 + 1;
    }
}

fn count_newlines(s: &str) -> u32 {
    s.bytes()
        .filter(|&b| b == b'\n')
        .count()
        .min(u32::MAX as usize) as u32
}

fn local_name(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

/// Shortens user text quoted in a message.
fn clip(s: &str) -> String {
    const MAX: usize = 80;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(MAX).collect();
        t.push_str("...");
        t
    }
}

// ---------------------------------------------------------------------------------------
// Escaping of substituted values
// ---------------------------------------------------------------------------------------

/// Where a substituted value lands, which decides how it is escaped so that the XML parser
/// gives back exactly the value (WiX substitutes into already-parsed values).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Esc {
    /// Processing-instruction data: used by the preprocessor itself, never escaped.
    Plain,
    Text,
    Attr,
    CData,
}

fn escape_into(value: &str, esc: Esc, out: &mut String) {
    match esc {
        Esc::Plain => out.push_str(value),
        Esc::Text | Esc::Attr => {
            for c in value.chars() {
                match c {
                    '&' => out.push_str("&amp;"),
                    '<' => out.push_str("&lt;"),
                    '>' => out.push_str("&gt;"),
                    // Newlines become references in both contexts: literally they would be
                    // normalised to spaces in attributes, and they would shift the line map.
                    '\n' => out.push_str("&#10;"),
                    '\r' => out.push_str("&#13;"),
                    '"' if esc == Esc::Attr => out.push_str("&quot;"),
                    '\'' if esc == Esc::Attr => out.push_str("&apos;"),
                    '\t' if esc == Esc::Attr => out.push_str("&#9;"),
                    c => out.push(c),
                }
            }
        }
        Esc::CData => {
            // CDATA has no escapes: close the section around what it cannot hold. The parser
            // joins the pieces into one text value.
            for c in value.chars() {
                match c {
                    '\n' => out.push_str("]]>&#10;<![CDATA["),
                    '\r' => out.push_str("]]>&#13;<![CDATA["),
                    '>' if out.ends_with("]]") => out.push_str("]]><![CDATA[>"),
                    c => out.push(c),
                }
            }
        }
    }
}

/// Copies source text after a substituted value. In CDATA a value ending in `]]` followed
/// by a literal `>` would end the section early, so the section is split there.
fn push_literal(lit: &str, esc: Esc, out: &mut String) {
    if esc == Esc::CData && lit.starts_with('>') && out.ends_with("]]") {
        out.push_str("]]><![CDATA[");
    }
    out.push_str(lit);
}

// ---------------------------------------------------------------------------------------
// Conditional state (WiX's IfContext)
// ---------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum IfState {
    Unknown,
    If,
    ElseIf,
    Else,
}

/// One level of `<?if?>` nesting, mirroring WiX's `IfContext`: `active` is whether every
/// enclosing level is true, `keep` whether this branch is taken, `was_ever_true` whether any
/// branch so far was (so later `<?elseif?>`/`<?else?>` are not taken).
#[derive(Clone, Copy)]
struct IfCtx {
    active: bool,
    keep: bool,
    was_ever_true: bool,
    state: IfState,
    line: u32,
    directive: &'static str,
}

impl IfCtx {
    fn top() -> Self {
        IfCtx {
            active: true,
            keep: true,
            was_ever_true: true,
            state: IfState::Unknown,
            line: 0,
            directive: "",
        }
    }

    fn new(active: bool, keep: bool, line: u32, directive: &'static str) -> Self {
        IfCtx {
            active,
            keep,
            was_ever_true: keep,
            state: IfState::If,
            line,
            directive,
        }
    }

    /// A conditional inside a skipped branch: never evaluated, never taken (WiX's default
    /// `IfContext`, whose `WasEverTrue` is set so no `<?elseif?>` is evaluated).
    fn dormant(line: u32, directive: &'static str) -> Self {
        IfCtx {
            active: false,
            keep: false,
            was_ever_true: true,
            state: IfState::If,
            line,
            directive,
        }
    }

    fn set_keep(&mut self, keep: bool) {
        self.keep = keep;
        if keep {
            self.was_ever_true = true;
        }
    }

    fn emitting(&self) -> bool {
        self.active && self.keep
    }
}

#[derive(Clone, Copy)]
enum Op {
    And,
    Or,
    Not,
}

fn apply(op: Op, value: bool, prev: bool) -> bool {
    match op {
        Op::And => value && prev,
        Op::Or => value || prev,
        Op::Not => !value,
    }
}

/// WiX's `StartsWithKeyword`: the keyword, case-insensitively, followed by a space or `(`.
fn starts_with_keyword(s: &str, kw: &str) -> bool {
    let b = s.as_bytes();
    b.len() > kw.len()
        && b[..kw.len()].eq_ignore_ascii_case(kw.as_bytes())
        && (b[kw.len()] == b' ' || b[kw.len()] == b'(')
}

fn is_operator(s: &str) -> bool {
    matches!(s.trim(), "=" | "==" | "!=" | "<" | "<=" | ">" | ">=" | "~=")
}

/// .NET's `String.Equals(a, b, OrdinalIgnoreCase)`: per-character simple upper-casing.
fn eq_ignore_case(a: &str, b: &str) -> bool {
    let mut x = a.chars();
    let mut y = b.chars();
    loop {
        match (x.next(), y.next()) {
            (None, None) => return true,
            (Some(c), Some(d)) => {
                if c != d && !c.to_uppercase().eq(d.to_uppercase()) {
                    return false;
                }
            }
            _ => return false,
        }
    }
}

// ---------------------------------------------------------------------------------------
// The preprocessor
// ---------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum Root {
    NotSeen,
    Open,
    Closed,
}

/// Per source file state.
struct FileCtx {
    id: u32,
    text: Rc<str>,
    include: bool,
    /// Element depth in the raw source (tags in skipped branches count too: WiX's reader
    /// sees them, and the raw file must be well-formed XML).
    depth: usize,
    root: Root,
    /// Namespace declarations of an included file's `<Include>` root, as raw attribute text,
    /// with their names: copied onto every spliced child that does not redeclare them.
    ns_decls: Vec<(String, String)>,
}

struct Pp<'o> {
    opts: &'o Options,
    vars: BTreeMap<String, String>,
    warnings: Vec<Warning>,
    out: Out,
    /// Per file id: the path as named (for locations) and the absolute path (for `sys.`).
    files: Vec<(PathBuf, PathBuf)>,
    nesting: usize,
    /// Items lexed so far, and the cap (`MAX_WORK`; tests lower it).
    work: u64,
    work_limit: u64,
}

impl<'o> Pp<'o> {
    fn new(opts: &'o Options) -> Self {
        Pp {
            opts,
            vars: opts.defines.clone(),
            warnings: Vec::new(),
            out: Out {
                text: String::new(),
                lines: Vec::new(),
                cur: (0, 1),
                content: false,
                pending: None,
            },
            files: Vec::new(),
            nesting: 0,
            work: 0,
            work_limit: MAX_WORK,
        }
    }

    fn add_file(&mut self, disp: PathBuf, abs: PathBuf) -> u32 {
        self.files.push((disp, abs));
        (self.files.len() - 1) as u32
    }

    fn loc(&self, file: u32, line: u32) -> Location {
        let path = self
            .files
            .get(file as usize)
            .map(|f| f.0.clone())
            .unwrap_or_default();
        Location::new(path, line)
    }

    fn err(&self, file: u32, line: u32, msg: impl Into<String>) -> WixError {
        WixError::new(self.loc(file, line), msg)
    }

    fn warn(&mut self, file: u32, line: u32, msg: impl Into<String>) {
        let location = self.loc(file, line);
        self.warnings.push(Warning {
            location,
            message: msg.into(),
        });
    }

    fn run_main(mut self, text: String, path: &Path) -> Result<Preprocessed> {
        let id = self.add_file(path.to_path_buf(), resolve(self.opts, path));
        self.out.cur = (id, 1);
        let mut fc = FileCtx {
            id,
            text: Rc::from(text),
            include: false,
            depth: 0,
            root: Root::NotSeen,
            ns_decls: Vec::new(),
        };
        let len = fc.text.len();
        if let Err(e) = self.run(&mut fc, 0, len, 1) {
            // Warnings issued before the error are reported with it.
            return Err(crate::error::with_warnings(e, self.warnings));
        }
        let Pp {
            out,
            files,
            warnings,
            ..
        } = self;
        let mut lines = out.lines;
        lines.push(out.cur);
        let lines = lines
            .into_iter()
            .map(|(f, l)| {
                Location::new(
                    files
                        .get(f as usize)
                        .map(|x| x.0.clone())
                        .unwrap_or_default(),
                    l,
                )
            })
            .collect();
        Ok(Preprocessed {
            text: out.text,
            lines,
            warnings,
        })
    }

    /// Processes `text[start..end]` of one file, which starts on `line`. Each call has its
    /// own conditional stack, as WiX's `PreprocessReader` has per file and per loop
    /// iteration: `<?if?>` must be closed in the same file and loop body.
    fn run(&mut self, fc: &mut FileCtx, start: usize, end: usize, mut line: u32) -> Result<()> {
        let text = fc.text.clone();
        let text: &str = &text;
        let id = fc.id;
        let mut pos = start;
        let mut stack: Vec<IfCtx> = Vec::new();
        let mut cur = IfCtx::top();
        while pos < end {
            self.work += 1;
            if self.out.text.len() > MAX_OUTPUT || self.work > self.work_limit {
                return Err(self.err(id, line, TOO_LARGE));
            }
            let it = match lex(text, pos) {
                Ok(it) => it,
                Err(e) => {
                    let at = e.pos.clamp(pos, text.len());
                    let l = line.saturating_add(count_newlines(&text[pos..at]));
                    return Err(self.err(id, l, e.msg));
                }
            };
            let raw = &text[it.start..it.end];
            let next_line = line.saturating_add(count_newlines(raw));
            let emit = cur.emitting();
            match it.item {
                Item::Pi { target, data } => match target {
                    "if" | "ifdef" | "ifndef" => {
                        let directive = match target {
                            "if" => "if",
                            "ifdef" => "ifdef",
                            _ => "ifndef",
                        };
                        stack.push(cur);
                        cur = if cur.keep {
                            let taken = match directive {
                                "if" => self.eval_expr(data, id, line)?,
                                "ifdef" => self.is_defined(data.trim(), id, line)?,
                                _ => !self.is_defined(data.trim(), id, line)?,
                            };
                            IfCtx::new(cur.keep && cur.active, taken, line, directive)
                        } else {
                            IfCtx::dormant(line, directive)
                        };
                        self.out.newlines(raw, id, line);
                    }
                    "elseif" => {
                        if stack.is_empty() || !matches!(cur.state, IfState::If | IfState::ElseIf) {
                            return Err(self.err(id, line, unmatched("if", "elseif")));
                        }
                        cur.state = IfState::ElseIf;
                        if !cur.was_ever_true {
                            let taken = self.eval_expr(data, id, line)?;
                            cur.set_keep(taken);
                        } else if cur.keep {
                            cur.set_keep(false);
                        }
                        self.out.newlines(raw, id, line);
                    }
                    "else" => {
                        if stack.is_empty() || !matches!(cur.state, IfState::If | IfState::ElseIf) {
                            return Err(self.err(id, line, unmatched("if", "else")));
                        }
                        cur.state = IfState::Else;
                        let taken = !cur.was_ever_true;
                        cur.set_keep(taken);
                        self.out.newlines(raw, id, line);
                    }
                    "endif" => {
                        match stack.pop() {
                            Some(parent) => cur = parent,
                            None => return Err(self.err(id, line, unmatched("if", "endif"))),
                        }
                        self.out.newlines(raw, id, line);
                    }
                    _ if !emit => {
                        if target.eq_ignore_ascii_case("xml") && it.start != 0 {
                            return Err(self.err(id, line, misplaced_declaration()));
                        }
                        self.out.newlines(raw, id, line);
                    }
                    "foreach" => {
                        let (after, after_line) =
                            self.foreach(fc, data, it.end, end, line, next_line)?;
                        self.out.set_origin(id, after_line);
                        pos = after;
                        line = after_line;
                        continue;
                    }
                    "include" => {
                        self.out.newlines(raw, id, line);
                        self.include(fc, data, line)?;
                        self.out.set_origin(id, next_line);
                    }
                    _ => {
                        self.directive(fc, target, data, it.start, line)?;
                        if target == "xml" && it.start == 0 && !fc.include {
                            // The main file's XML declaration stays as written.
                            self.out.push(raw, id, line);
                        } else {
                            self.out.newlines(raw, id, line);
                        }
                    }
                },
                Item::Start {
                    name,
                    name_end,
                    attrs,
                    empty,
                } => {
                    if fc.include && fc.depth == 0 {
                        // The root of an included file: checked and dropped, its children
                        // are spliced into the including document.
                        if fc.root != Root::NotSeen {
                            return Err(self.err(
                                id,
                                line,
                                "an included file must have a single root element <Include>",
                            ));
                        }
                        if local_name(name) != "Include" {
                            return Err(self.err(
                                id,
                                line,
                                format!(
                                    "The document element name '{name}' is invalid. \
                                     A WiX include file must use \
                                     'Include' as the document element name."
                                ),
                            ));
                        }
                        fc.ns_decls = attrs
                            .iter()
                            .filter_map(|a| {
                                let n = &text[a.name.0..a.name.1];
                                (n == "xmlns" || n.starts_with("xmlns:")).then(|| {
                                    let decl = text[a.name.0..a.value.1 + 1].replace('\n', " ");
                                    (n.to_string(), decl)
                                })
                            })
                            .collect();
                        fc.root = if empty { Root::Closed } else { Root::Open };
                        if !empty {
                            fc.depth = 1;
                        }
                        self.out.newlines(raw, id, line);
                    } else {
                        if emit {
                            let s = self.start_tag(
                                fc,
                                text,
                                (it.start, it.end),
                                name_end,
                                &attrs,
                                line,
                            )?;
                            self.out.push(&s, id, line);
                        } else {
                            self.out.newlines(raw, id, line);
                        }
                        if !empty {
                            fc.depth += 1;
                        }
                    }
                }
                Item::End => {
                    if fc.depth == 0 {
                        if fc.include {
                            return Err(self.err(
                                id,
                                line,
                                "unexpected end tag outside the <Include> root element",
                            ));
                        }
                        // The main file: left for the XML parser to report.
                        if emit {
                            self.out.push(raw, id, line);
                        } else {
                            self.out.newlines(raw, id, line);
                        }
                    } else {
                        fc.depth -= 1;
                        if fc.include && fc.depth == 0 {
                            fc.root = Root::Closed;
                            self.out.newlines(raw, id, line);
                        } else if emit {
                            self.out.push(raw, id, line);
                        } else {
                            self.out.newlines(raw, id, line);
                        }
                    }
                }
                Item::Text => {
                    if fc.include && fc.depth == 0 && !raw.trim().is_empty() {
                        let msg = "text is not allowed outside the <Include> root element";
                        return Err(self.err(id, line, msg));
                    }
                    if emit {
                        let mut s = String::with_capacity(raw.len());
                        self.expand(raw, id, line, Esc::Text, &mut s)?;
                        self.out.push(&s, id, line);
                    } else {
                        self.out.newlines(raw, id, line);
                    }
                }
                Item::CData(c0, c1) => {
                    if fc.include && fc.depth == 0 {
                        let msg = "CDATA is not allowed outside the <Include> root element";
                        return Err(self.err(id, line, msg));
                    }
                    if emit {
                        // WiX substitutes variables in CDATA too (PreprocessReader, case CDATA).
                        let mut s = String::with_capacity(raw.len());
                        s.push_str("<![CDATA[");
                        self.expand(&text[c0..c1], id, line, Esc::CData, &mut s)?;
                        s.push_str("]]>");
                        self.out.push(&s, id, line);
                    } else {
                        self.out.newlines(raw, id, line);
                    }
                }
                Item::Comment => {
                    // Comments are copied untouched: WiX drops them without looking inside.
                    if emit {
                        self.out.push(raw, id, line);
                    } else {
                        self.out.newlines(raw, id, line);
                    }
                }
            }
            pos = it.end;
            line = next_line;
        }
        if !stack.is_empty() {
            let end = match cur.directive {
                "" => "if",
                d => d,
            };
            return Err(self.err(
                id,
                cur.line,
                format!(
                    "Found a <?{end}?> processing instruction without a matching <?endif?> \
                     after it."
                ),
            ));
        }
        Ok(())
    }

    /// A start tag with its attribute values substituted (and, for a child of an
    /// `<Include>` root, the root's namespace declarations added).
    fn start_tag(
        &mut self,
        fc: &FileCtx,
        text: &str,
        span: (usize, usize),
        name_end: usize,
        attrs: &[Attr],
        line: u32,
    ) -> Result<String> {
        let mut s = String::with_capacity(span.1 - span.0 + 16);
        let mut last = span.0;
        if fc.include && fc.depth == 1 && !fc.ns_decls.is_empty() {
            s.push_str(&text[last..name_end]);
            for (name, decl) in &fc.ns_decls {
                if !attrs.iter().any(|a| text[a.name.0..a.name.1] == *name) {
                    s.push(' ');
                    s.push_str(decl);
                }
            }
            last = name_end;
        }
        let mut l = line;
        for a in attrs {
            let lit = &text[last..a.value.0];
            l = l.saturating_add(count_newlines(lit));
            s.push_str(lit);
            let value = &text[a.value.0..a.value.1];
            self.expand(value, fc.id, l, Esc::Attr, &mut s)?;
            l = l.saturating_add(count_newlines(value));
            last = a.value.1;
        }
        s.push_str(&text[last..span.1]);
        Ok(s)
    }

    /// The directives without structure: define, undef, warning, error, pragma, endforeach
    /// (unmatched), the XML declaration, and unknown PIs (ignored, as WiX does).
    fn directive(
        &mut self,
        fc: &FileCtx,
        target: &str,
        data: &str,
        start: usize,
        line: u32,
    ) -> Result<()> {
        let id = fc.id;
        match target {
            "define" => self.define(data, id, line),
            "undef" => {
                let mut name = String::new();
                self.expand(data.trim(), id, line, Esc::Plain, &mut name)?;
                let name = name.strip_prefix("var.").unwrap_or(&name);
                if self.vars.remove(name).is_none() {
                    return Err(self.err(
                        id,
                        line,
                        format!(
                            "The variable '{name}' cannot be undefined because it is already \
                             undefined."
                        ),
                    ));
                }
                Ok(())
            }
            "warning" => {
                let mut msg = String::new();
                self.expand(data, id, line, Esc::Plain, &mut msg)?;
                self.warn(id, line, msg);
                Ok(())
            }
            "error" => {
                let mut msg = String::new();
                self.expand(data, id, line, Esc::Plain, &mut msg)?;
                Err(self.err(id, line, msg))
            }
            "endforeach" => Err(self.err(id, line, unmatched("foreach", "endforeach"))),
            "pragma" => self.pragma(data, id, line),
            _ if target.eq_ignore_ascii_case("xml") => {
                if start == 0 {
                    Ok(())
                } else {
                    Err(self.err(id, line, misplaced_declaration()))
                }
            }
            _ => {
                const KNOWN: [&str; 14] = [
                    "define",
                    "undef",
                    "if",
                    "ifdef",
                    "ifndef",
                    "elseif",
                    "else",
                    "endif",
                    "include",
                    "foreach",
                    "endforeach",
                    "warning",
                    "error",
                    "pragma",
                ];
                // WiX ignores unknown PIs silently; a directive in the wrong case is almost
                // certainly a mistake, so say so.
                if let Some(k) = KNOWN.iter().find(|k| k.eq_ignore_ascii_case(target)) {
                    self.warn(
                        id,
                        line,
                        format!(
                            "the processing instruction <?{target}?> is ignored: preprocessor \
                             directives are case-sensitive (did you mean <?{k}?>?)"
                        ),
                    );
                }
                Ok(())
            }
        }
    }

    /// `<?define name = value?>`, parsed as WiX's regex
    /// `^\s*(?<name>.+?)\s*(=\s*(?<value>.+?)\s*)?$` matches it.
    fn define(&mut self, data: &str, id: u32, line: u32) -> Result<()> {
        let Some((name, value)) = split_define(data) else {
            return Err(self.err(
                id,
                line,
                format!(
                    "The define statement '<?define {}?>' is not well-formed. Define \
                     statements should be in the form <?define variableName = \"variable \
                     value\"?>.",
                    clip(data)
                ),
            ));
        };
        let v = if value.len() > 1
            && ((value.starts_with('"') && value.ends_with('"'))
                || (value.starts_with('\'') && value.ends_with('\'')))
        {
            &value[1..value.len() - 1]
        } else {
            value
        };
        let mut expanded = String::new();
        self.expand(v, id, line, Esc::Plain, &mut expanded)?;
        let name = name.strip_prefix("var.").unwrap_or(name).to_string();
        self.set_var(name, expanded, true, id, line);
        Ok(())
    }

    /// WiX's `AddVariable`: redefinition with a different value warns unless asked not to
    /// (`<?foreach?>` variables are silently overwritten).
    fn set_var(&mut self, name: String, value: String, warn: bool, id: u32, line: u32) {
        if let Some(old) = self.vars.get(&name) {
            if warn && *old != value {
                let msg = format!(
                    "The variable '{name}' with value '{value}' was previously declared \
                     with value '{old}'."
                );
                self.warn(id, line, msg);
            }
        }
        self.vars.insert(name, value);
    }

    fn pragma(&mut self, data: &str, id: u32, line: u32) -> Result<()> {
        let t = data.trim_start();
        if t.is_empty() {
            return Err(self.err(id, line, invalid_pragma(data)));
        }
        // The name runs to the first whitespace or '(' after its first character.
        let first = t.chars().next().map_or(0, char::len_utf8);
        let split = t[first..]
            .find(|c: char| c.is_whitespace() || c == '(')
            .map_or(t.len(), |i| first + i);
        let name = t[..split].trim();
        let mut args = String::new();
        self.expand(&t[split..], id, line, Esc::Plain, &mut args)?;
        match name.split_once('.') {
            Some((prefix, pragma)) if !prefix.is_empty() && !pragma.is_empty() => {
                // No pragmas are defined by WiX itself and we load no extensions.
                self.warn(
                    id,
                    line,
                    format!(
                        "The pragma '{name}' is unknown. Please ensure you have referenced the \
                         extension that defines this pragma."
                    ),
                );
                Ok(())
            }
            _ => Err(self.err(id, line, invalid_pragma(name))),
        }
    }

    /// `<?foreach VAR in a;b;c?>`: finds the matching `<?endforeach?>` and processes the body
    /// once per value. Returns where processing continues (after `<?endforeach?>`).
    fn foreach(
        &mut self,
        fc: &mut FileCtx,
        data: &str,
        body_start: usize,
        end: usize,
        line: u32,
        body_line: u32,
    ) -> Result<(usize, u32)> {
        let id = fc.id;
        let parsed = data
            .find(" in ")
            .map(|i| (data[..i].trim(), data[i + 4..].trim()))
            .filter(|(var, _)| !var.is_empty());
        let Some((var, mut list)) = parsed else {
            return Err(self.err(
                id,
                line,
                format!(
                    "The foreach statement '{}' is illegal. The proper format for foreach \
                     is <?foreach varName in valueList?>.",
                    clip(data)
                ),
            ));
        };
        if list.starts_with('"') {
            if list.len() < 2 || !list.ends_with('"') {
                return Err(self.err(
                    id,
                    line,
                    format!("The quotes don't match in the expression '{}'.", clip(list)),
                ));
            }
            list = &list[1..list.len() - 1];
        }
        let mut values = String::new();
        self.expand(list, id, line, Esc::Plain, &mut values)?;

        // Find the matching <?endforeach?>, counting nested loops whatever the conditions.
        let text = fc.text.clone();
        let mut pos = body_start;
        let mut l = body_line;
        let mut nested = 1usize;
        let (body_end, after, after_line) = loop {
            if pos >= end {
                return Err(self.err(
                    id,
                    line,
                    "A <?foreach?> statement was found that had no matching <?endforeach?>.",
                ));
            }
            // Nested loops rescan inner bodies on every outer iteration: count that too.
            self.work += 1;
            if self.work > self.work_limit {
                return Err(self.err(id, line, TOO_LARGE));
            }
            let it = match lex(&text, pos) {
                Ok(it) => it,
                Err(e) => {
                    let at = e.pos.clamp(pos, text.len());
                    return Err(self.err(
                        id,
                        l.saturating_add(count_newlines(&text[pos..at])),
                        e.msg,
                    ));
                }
            };
            let next = l.saturating_add(count_newlines(&text[it.start..it.end]));
            if let Item::Pi { target, .. } = it.item {
                if target == "foreach" {
                    nested += 1;
                } else if target == "endforeach" {
                    nested -= 1;
                    if nested == 0 {
                        break (it.start, it.end, next);
                    }
                }
            }
            pos = it.end;
            l = next;
        };

        self.enter(id, line)?;
        let depth = fc.depth;
        // Values are not trimmed, as in WiX ("a; b" gives "a" and " b").
        for value in values.split(';') {
            self.set_var(var.to_string(), value.to_string(), false, id, line);
            fc.depth = depth;
            self.out.set_origin(id, body_line);
            self.run(fc, body_start, body_end, body_line)?;
        }
        self.nesting -= 1;
        Ok((after, after_line))
    }

    fn enter(&mut self, id: u32, line: u32) -> Result<()> {
        if self.nesting >= MAX_NESTING {
            return Err(self.err(
                id,
                line,
                format!(
                    "Include files and foreach loops cannot be nested more deeply than \
                     {MAX_NESTING} times. Make sure included files don't accidentally \
                     include themselves."
                ),
            ));
        }
        self.nesting += 1;
        Ok(())
    }

    /// `<?include path?>`: the including file's directory first, then the `-I` directories.
    fn include(&mut self, fc: &FileCtx, data: &str, line: u32) -> Result<()> {
        let id = fc.id;
        let mut spec = String::new();
        self.expand(data, id, line, Esc::Plain, &mut spec)?;
        let mut p = spec.trim();
        if p.len() >= 2
            && ((p.starts_with('"') && p.ends_with('"'))
                || (p.starts_with('\'') && p.ends_with('\'')))
        {
            p = &p[1..p.len() - 1];
        }
        if p.is_empty() {
            return Err(self.err(
                id,
                line,
                "<?include?> needs the path of the file to include",
            ));
        }
        // Sources written on Windows use '\'; elsewhere try it as '/' too.
        let mut variants = vec![PathBuf::from(p)];
        if !cfg!(windows) && p.contains('\\') {
            variants.push(PathBuf::from(p.replace('\\', "/")));
        }
        let mut checked = Vec::new();
        let mut found = None;
        'search: for v in &variants {
            if v.is_absolute() {
                checked.push(v.clone());
                if v.is_file() {
                    found = Some(v.clone());
                    break 'search;
                }
                continue;
            }
            let own_dir = self.files[id as usize]
                .0
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default();
            for base in std::iter::once(&own_dir).chain(self.opts.include_dirs.iter()) {
                let cand = base.join(v);
                checked.push(cand.clone());
                if resolve(self.opts, &cand).is_file() {
                    found = Some(cand);
                    break 'search;
                }
            }
        }
        let Some(disp) = found else {
            let list: Vec<String> = checked.iter().map(|c| c.display().to_string()).collect();
            return Err(self.err(
                id,
                line,
                format!(
                    "Cannot find the include file '{p}'. The following paths were checked: {}",
                    list.join(", ")
                ),
            ));
        };
        self.enter(id, line)?;
        let abs = resolve(self.opts, &disp);
        let bytes = std::fs::read(&abs).map_err(|e| {
            self.err(
                id,
                line,
                format!("cannot read include file '{}': {e}", disp.display()),
            )
        })?;
        let text = decode(&bytes, &disp)?;
        let inc_id = self.add_file(disp.clone(), abs);
        let mut inc = FileCtx {
            id: inc_id,
            text: Rc::from(text),
            include: true,
            depth: 0,
            root: Root::NotSeen,
            ns_decls: Vec::new(),
        };
        self.out.set_origin(inc_id, 1);
        let len = inc.text.len();
        let including = self.loc(id, line);
        self.run(&mut inc, 0, len, 1).map_err(|mut e| {
            // Errors inside included files also say where they were included from.
            e.message.push_str(&format!(" (included from {including})"));
            e
        })?;
        self.nesting -= 1;
        let last = 1u32.saturating_add(count_newlines(&inc.text));
        match inc.root {
            Root::NotSeen => Err(self.err(
                inc_id,
                last,
                "an included file must have the root element <Include>; none was found",
            )),
            Root::Open => Err(self.err(
                inc_id,
                last,
                "the <Include> root element of the included file is not closed",
            )),
            Root::Closed => Ok(()),
        }
    }

    // -----------------------------------------------------------------------------------
    // Variables (WiX's PreprocessString / GetVariableValue / EvaluateFunction)
    // -----------------------------------------------------------------------------------

    /// Substitutes `$(...)` in `s` (which starts on `line`) into `out`: `$$` is a literal
    /// `$`, `$(loc.X)` is left for the binder, a lone `$` stays. Literal text is copied as is;
    /// substituted values are escaped for `esc`. Values are not rescanned.
    fn expand(&mut self, s: &str, id: u32, line: u32, esc: Esc, out: &mut String) -> Result<()> {
        let mut end = 0;
        while let Some(off) = s[end..].find('$') {
            let at = end + off;
            push_literal(&s[end..at], esc, out);
            let rem = &s[at + 1..];
            let here = || line.saturating_add(count_newlines(&s[..at]));
            if rem.starts_with('$') {
                out.push('$');
                end = at + 2;
            } else if rem.starts_with("(loc.") {
                let Some(close) = rem.find(')') else {
                    return Err(self.err(id, here(), invalid_variable(rem)));
                };
                out.push('$');
                out.push_str(&rem[..=close]);
                end = at + 1 + close + 1;
            } else if rem.starts_with('(') {
                let mut depth = 0usize;
                let mut is_function = false;
                let mut close = None;
                for (i, c) in rem.bytes().enumerate() {
                    match c {
                        b'(' => {
                            depth += 1;
                            if i > 0 {
                                is_function = true;
                            }
                        }
                        b')' => {
                            depth -= 1;
                            if depth == 0 {
                                close = Some(i);
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                // Environment variables may contain parentheses: $(env.ProgramFiles(x86)).
                if is_function && rem.starts_with("(env.") {
                    is_function = false;
                }
                let Some(close) = close else {
                    let msg = if is_function {
                        invalid_function(rem)
                    } else {
                        invalid_variable(rem)
                    };
                    return Err(self.err(id, here(), msg));
                };
                let name = &rem[1..close];
                let l = here();
                let value = if is_function {
                    self.function(name, id, l)?
                } else {
                    self.variable(name, id, l)?
                };
                match value {
                    Some(v) => escape_into(&v, esc, out),
                    None if is_function => {
                        return Err(self.err(
                            id,
                            l,
                            format!("Undefined preprocessor function '$({})'.", clip(name)),
                        ))
                    }
                    None => {
                        return Err(self.err(
                            id,
                            l,
                            format!("Undefined preprocessor variable '$({})'.", clip(name)),
                        ))
                    }
                }
                end = at + 1 + close + 1;
            } else {
                out.push('$');
                end = at + 1;
            }
        }
        push_literal(&s[end..], esc, out);
        Ok(())
    }

    /// WiX's `GetVariableValue(variable, allowMissingPrefix: true)`: `X` means `var.X`; an
    /// unknown prefix falls back to a variable whose name contains the dot.
    fn variable(&mut self, name: &str, id: u32, line: u32) -> Result<Option<String>> {
        match name.split_once('.') {
            None => {
                if name.is_empty() {
                    return Err(self.err(id, line, invalid_variable(name)));
                }
                Ok(self.vars.get(name).cloned())
            }
            Some((prefix, rest)) => {
                if prefix.is_empty() || rest.is_empty() {
                    return Err(self.err(id, line, invalid_variable(name)));
                }
                match self.prefixed(prefix, rest, id, line) {
                    Some(v) => Ok(Some(v)),
                    None => Ok(self.vars.get(name).cloned()),
                }
            }
        }
    }

    fn prefixed(&mut self, prefix: &str, name: &str, id: u32, line: u32) -> Option<String> {
        match prefix {
            "var" => self.vars.get(name).cloned(),
            "env" => self.opts.env.get(name).cloned().or_else(|| {
                self.opts
                    .env
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.clone())
            }),
            "sys" => match name {
                "CURRENTDIR" => Some(dir_with_separator(&self.opts.current_dir)),
                "SOURCEFILEDIR" => {
                    let abs = &self.files[id as usize].1;
                    Some(dir_with_separator(abs.parent().unwrap_or(Path::new(""))))
                }
                "SOURCEFILEPATH" => Some(self.files[id as usize].1.to_string_lossy().into_owned()),
                "PLATFORM" => {
                    self.warn(
                        id,
                        line,
                        "The built-in preprocessor variable '$(sys.PLATFORM)' is deprecated. \
                         Please correct your authoring to use the new '$(sys.BUILDARCH)' \
                         preprocessor variable instead.",
                    );
                    Some(self.opts.arch.clone())
                }
                "BUILDARCH" => Some(self.opts.arch.clone()),
                "BUILDARCHSHORT" => Some(match self.opts.arch.as_str() {
                    "x86" => "X86".to_string(),
                    "x64" => "X64".to_string(),
                    "arm64" => "A64".to_string(),
                    other => other.to_ascii_uppercase(),
                }),
                _ => None,
            },
            _ => None,
        }
    }

    /// `$(prefix.name(args))`. The only built-in function is `fun.AutoVersion`; anything else
    /// is tried as a variable whose name has parentheses, as WiX does.
    fn function(&mut self, call: &str, id: u32, line: u32) -> Result<Option<String>> {
        let malformed = || invalid_function(&format!("({call})"));
        let Some((prefix, rest)) = call.split_once('.') else {
            return Err(self.err(id, line, malformed()));
        };
        let Some((func, args)) = rest.split_once('(') else {
            return Err(self.err(id, line, malformed()));
        };
        if prefix.is_empty() || func.is_empty() || args.is_empty() || !args.ends_with(')') {
            return Err(self.err(id, line, malformed()));
        }
        let mut values = Vec::new();
        for arg in args[..args.len() - 1].split(',') {
            let mut v = String::new();
            self.expand(arg.trim(), id, line, Esc::Plain, &mut v)?;
            values.push(v);
        }
        if prefix == "fun" && func == "AutoVersion" {
            let base = values.first().map(String::as_str).unwrap_or("");
            if base.is_empty() {
                return Err(self.err(id, line, "Invalid AutoVersion template specified."));
            }
            return Ok(Some(self.auto_version(base)));
        }
        self.variable(call, id, line)
    }

    /// `base.build.revision` with build = days since 2000-01-01 and revision = seconds since
    /// midnight / 2 (UTC), as WiX computes it. `SOURCE_DATE_EPOCH` (from `opts.env`) pins
    /// the time for reproducible builds; otherwise it is the current time, as in WiX.
    fn auto_version(&self, base: &str) -> String {
        let now = self
            .opts
            .env
            .get("SOURCE_DATE_EPOCH")
            .and_then(|s| s.trim().parse::<i64>().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs().min(i64::MAX as u64) as i64)
            });
        let since_2000 = now.saturating_sub(946_684_800);
        let build = since_2000 / 86_400;
        let revision = now.rem_euclid(86_400) / 2;
        format!("{base}.{build}.{revision}")
    }

    /// `<?ifdef name?>`: `name` may be `X`, `var.X`, `env.X`, `sys.X` or `$(...)` of those.
    fn is_defined(&mut self, name: &str, id: u32, line: u32) -> Result<bool> {
        let mut n = name;
        if let Some(inner) = n.strip_prefix("$(") {
            n = inner.strip_suffix(')').unwrap_or(inner);
        }
        if n.is_empty() {
            return Err(self.err(
                id,
                line,
                "<?ifdef?> and <?ifndef?> need the name of a variable",
            ));
        }
        Ok(self.variable(n, id, line)?.is_some())
    }

    // -----------------------------------------------------------------------------------
    // <?if?> expressions (WiX's EvaluateExpressionRecurse and helpers)
    // -----------------------------------------------------------------------------------

    /// Evaluates an `<?if?>` expression as WiX does: left to right, `AND` and `OR` with equal
    /// precedence, `NOT` applying to the first operand of the rest of the expression (WiX
    /// evaluates `A and not B or C` as `A and (not B or C)`), parentheses grouping,
    /// comparisons binding tightest. Every operand is evaluated (no short circuit), so
    /// errors anywhere are reported.
    fn eval_expr(&mut self, expr: &str, id: u32, line: u32) -> Result<bool> {
        self.eval_chain(expr, expr, Op::And, true, id, line, 0)
    }

    #[allow(clippy::too_many_arguments)]
    fn eval_chain(
        &mut self,
        orig: &str,
        expr: &str,
        op: Op,
        prev: bool,
        id: u32,
        line: u32,
        depth: usize,
    ) -> Result<bool> {
        if depth > MAX_EXPR_DEPTH {
            return Err(self.err(
                id,
                line,
                format!("The expression '{}' is nested too deeply.", clip(orig)),
            ));
        }
        let (mut expr, mut op, mut prev) = (expr, op, prev);
        loop {
            let e = expr.trim();
            if e.is_empty() {
                return Err(self.err(
                    id,
                    line,
                    format!(
                        "The empty subexpression is unexpected in the expression '{}'.",
                        clip(orig)
                    ),
                ));
            }
            let (value, rest) = if e.starts_with('(') {
                let (inner, rest) = self.parenthesized(orig, e, id, line)?;
                (
                    self.eval_chain(orig, inner, Op::And, true, id, line, depth + 1)?,
                    rest,
                )
            } else if starts_with_keyword(e, "NOT") {
                let rest = e[3..].trim();
                if rest.is_empty() {
                    return Err(self.err(
                        id,
                        line,
                        format!(
                            "Expecting an argument for 'NOT' in expression '{}'.",
                            clip(orig)
                        ),
                    ));
                }
                // WiX hands the whole remainder to the negated evaluation.
                (
                    self.eval_chain(orig, rest, Op::Not, true, id, line, depth + 1)?,
                    "",
                )
            } else {
                self.atomic(orig, e, id, line)?
            };
            let value = apply(op, value, prev);
            let rest = rest.trim();
            if rest.is_empty() {
                return Ok(value);
            }
            if starts_with_keyword(rest, "AND") {
                expr = &rest[3..];
                op = Op::And;
            } else if starts_with_keyword(rest, "OR") {
                expr = &rest[2..];
                op = Op::Or;
            } else {
                return Err(self.err(
                    id,
                    line,
                    format!(
                        "Found invalid subexpression '{}' in expression '{}'.",
                        clip(rest),
                        clip(orig)
                    ),
                ));
            }
            prev = value;
        }
    }

    /// Splits `(inner) rest`; parentheses inside double quotes do not count.
    fn parenthesized<'e>(
        &self,
        orig: &str,
        e: &'e str,
        id: u32,
        line: u32,
    ) -> Result<(&'e str, &'e str)> {
        let mut depth = 0usize;
        let mut quoted = false;
        for (i, c) in e.bytes().enumerate() {
            match c {
                b'"' => quoted = !quoted,
                b'(' if !quoted => depth += 1,
                b')' if !quoted => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return Ok((&e[1..i], &e[i + 1..]));
                    }
                }
                _ => {}
            }
        }
        Err(self.err(
            id,
            line,
            format!(
                "The parenthesis don't match in the expression '{}'.",
                clip(orig)
            ),
        ))
    }

    /// One comparison or truth test; returns its value and the unconsumed rest.
    fn atomic<'e>(
        &mut self,
        orig: &str,
        e: &'e str,
        id: u32,
        line: u32,
    ) -> Result<(bool, &'e str)> {
        let starts_with_variable = e.starts_with("$(");
        let (left, literal, rest) = self.token(orig, e, id, line)?;
        let left = if literal {
            left
        } else {
            self.operand(orig, &left, id, line)?
        };
        let (op, op_literal, after_op) = self.token(orig, rest, id, line)?;
        if !is_operator(&op) {
            // No comparison: a variable on its own is a truth test.
            if !starts_with_variable {
                return Err(self.err(
                    id,
                    line,
                    format!(
                        "An unexpected literal was found in the expression '{}'.",
                        clip(orig)
                    ),
                ));
            }
            let truthy = !(left.is_empty() || left == "0" || left == "false" || left == "no");
            return Ok((truthy, rest));
        }
        if op_literal {
            return Err(self.err(
                id,
                line,
                format!("The quotes don't match in the expression '{}'.", clip(orig)),
            ));
        }
        let (right, literal, rest) = self.token(orig, after_op, id, line)?;
        let right = if literal {
            right
        } else {
            self.operand(orig, &right, id, line)?
        };
        let (l, r) = (left.trim(), right.trim());
        let value = match op.as_str() {
            "=" | "==" => l == r,
            "!=" => l != r,
            "~=" => eq_ignore_case(l, r),
            _ => {
                // Inequalities compare 32-bit integers, as Int32.Parse does; anything else is
                // an error in WiX, not a string comparison.
                let (Ok(li), Ok(ri)) = (l.parse::<i32>(), r.parse::<i32>()) else {
                    return Err(self.err(
                        id,
                        line,
                        format!(
                            "An illegal number was found in the expression '{}'.",
                            clip(orig)
                        ),
                    ));
                };
                match op.as_str() {
                    "<" => li < ri,
                    "<=" => li <= ri,
                    ">" => li > ri,
                    _ => li >= ri,
                }
            }
        };
        Ok((value, rest))
    }

    /// WiX's `GetNextToken`: a quoted string (its variables substituted), a whole `$(...)`,
    /// or text up to the next space or comparison operator (an operator itself if at the
    /// start). Returns the token, whether it was quoted, and the rest.
    fn token<'e>(
        &mut self,
        orig: &str,
        e: &'e str,
        id: u32,
        line: u32,
    ) -> Result<(String, bool, &'e str)> {
        let e = e.trim();
        if e.is_empty() {
            return Ok((String::new(), false, ""));
        }
        if let Some(body) = e.strip_prefix('"') {
            let Some(close) = body.find('"') else {
                return Err(self.err(
                    id,
                    line,
                    format!("The quotes don't match in the expression '{}'.", clip(orig)),
                ));
            };
            let mut s = String::new();
            self.expand(&body[..close], id, line, Esc::Plain, &mut s)?;
            return Ok((s, true, body[close + 1..].trim()));
        }
        if e.starts_with("$(") {
            let mut depth = 0usize;
            for (i, c) in e.bytes().enumerate().skip(1) {
                match c {
                    b'(' => depth += 1,
                    b')' => {
                        depth -= 1;
                        if depth == 0 {
                            return Ok((e[..=i].to_string(), false, e[i + 1..].trim()));
                        }
                    }
                    _ => {}
                }
            }
            return Err(self.err(
                id,
                line,
                format!(
                    "The parenthesis don't match in the expression '{}'.",
                    clip(orig)
                ),
            ));
        }
        let cut = [" ", "=", "<", ">", "!=", "~="]
            .iter()
            .filter_map(|p| e.find(p))
            .min()
            .unwrap_or(e.len());
        let cut = if cut == 0 {
            if ["==", "<=", ">=", "!=", "~="]
                .iter()
                .any(|p| e.starts_with(p))
            {
                2
            } else {
                1
            }
        } else {
            cut
        };
        Ok((e[..cut].trim().to_string(), false, e[cut..].trim()))
    }

    /// WiX's `EvaluateVariable`: `$(...)` is substituted; anything else is a literal, which
    /// must not contain parentheses or quotes.
    fn operand(&mut self, orig: &str, token: &str, id: u32, line: u32) -> Result<String> {
        if token.starts_with("$(") {
            let mut s = String::new();
            self.expand(token, id, line, Esc::Plain, &mut s)?;
            Ok(s)
        } else if token.contains('(') || token.contains(')') {
            Err(self.err(
                id,
                line,
                format!(
                    "The parenthesis don't match in the expression '{}'.",
                    clip(orig)
                ),
            ))
        } else if token.contains('"') {
            Err(self.err(
                id,
                line,
                format!("The quotes don't match in the expression '{}'.", clip(orig)),
            ))
        } else {
            Ok(token.to_string())
        }
    }
}

/// Splits `<?define?>` data into name and value exactly as WiX's regex
/// `^\s*(?<name>.+?)\s*(=\s*(?<value>.+?)\s*)?$` does; `None` if it does not match.
fn split_define(data: &str) -> Option<(&str, &str)> {
    let t = data.trim_start();
    let first = t.chars().next()?.len_utf8();
    // The lazy name ends before the first '=' (not the very first character) that has
    // something after it; otherwise the whole trimmed text is the name.
    let eq = t
        .char_indices()
        .find(|&(i, c)| c == '=' && i >= first && i + 1 < t.len())
        .map(|(i, _)| i);
    Some(match eq {
        Some(i) => {
            // Never empty: `t` starts with a non-space character before `i`.
            let name = t[..i].trim_end();
            let after = &t[i + 1..];
            let v = after.trim();
            // All whitespace after '=': the regex's value takes the last character.
            let v = if v.is_empty() {
                after.char_indices().last().map_or("", |(j, _)| &after[j..])
            } else {
                v
            };
            (name, v)
        }
        None => (t.trim_end(), ""),
    })
}

fn unmatched(begin: &str, end: &str) -> String {
    format!("Found a <?{end}?> processing instruction without a matching <?{begin}?> before it.")
}

fn misplaced_declaration() -> &'static str {
    "the XML declaration <?xml ...?> is only allowed at the very start of a file"
}

fn invalid_variable(rest: &str) -> String {
    let v = clip(rest.strip_prefix('(').unwrap_or(rest));
    format!(
        "Ill-formed preprocessor variable '$({v})'. Variables must have a \
         prefix (like 'var.', 'env.', or 'sys.') and a name at least 1 \
         character long. If the literal string '$({v})' is desired, use \
         '$$({v})'."
    )
}

fn invalid_function(rest: &str) -> String {
    format!(
        "Ill-formed preprocessor function '${}'. Functions must have a prefix \
         (like 'fun.'), a name at least 1 character long, and matching opening \
         and closing parentheses.",
        clip(rest)
    )
}

fn invalid_pragma(name: &str) -> String {
    format!(
        "Malformed preprocessor pragma '{}'. Pragmas must have a prefix, a name \
         of at least 1 character long, and be followed by optional arguments.",
        clip(name)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn opts() -> Options {
        Options {
            defines: BTreeMap::new(),
            include_dirs: Vec::new(),
            arch: "x64".to_string(),
            current_dir: PathBuf::from("/build"),
            env: BTreeMap::new(),
        }
    }

    fn with_defines(defs: &[(&str, &str)]) -> Options {
        let mut o = opts();
        for (k, v) in defs {
            o.defines.insert(k.to_string(), v.to_string());
        }
        o
    }

    /// The line map has one entry per output line and only real line numbers.
    fn check(p: &Preprocessed) {
        assert_eq!(
            p.lines.len(),
            p.text.matches('\n').count() + 1,
            "line map length"
        );
        assert!(p.lines.iter().all(|l| l.line >= 1));
    }

    fn run_with(src: &str, o: &Options) -> Result<Preprocessed> {
        let r = preprocess_str(src, Path::new("main.wxs"), o);
        if let Ok(p) = &r {
            check(p);
        }
        r
    }

    fn pp_with(src: &str, o: &Options) -> Preprocessed {
        run_with(src, o).unwrap_or_else(|e| panic!("unexpected error: {e}"))
    }

    fn pp(src: &str) -> Preprocessed {
        pp_with(src, &opts())
    }

    fn err_with(src: &str, o: &Options) -> WixError {
        match run_with(src, o) {
            Ok(p) => panic!("expected an error, got:\n{}", p.text),
            Err(e) => e,
        }
    }

    fn err(src: &str) -> WixError {
        err_with(src, &opts())
    }

    fn assert_err(e: &WixError, file: &str, line: u32, needle: &str) {
        assert_eq!(e.location.file, PathBuf::from(file), "{e}");
        assert_eq!(e.location.line, line, "{e}");
        assert!(
            e.message.contains(needle),
            "message {:?} should contain {:?}",
            e.message,
            needle
        );
    }

    /// Output line (1-based) that contains `needle`.
    fn line_of(p: &Preprocessed, needle: &str) -> u32 {
        let i = p
            .text
            .split('\n')
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("{needle:?} not in:\n{}", p.text));
        i as u32 + 1
    }

    /// Removes all whitespace, to compare structure without caring for kept newlines.
    fn squash(s: &str) -> String {
        s.chars().filter(|c| !c.is_whitespace()).collect()
    }

    static COUNTER: AtomicUsize = AtomicUsize::new(0);

    struct TempDir(PathBuf);

    impl TempDir {
        fn new(tag: &str) -> Self {
            let n = COUNTER.fetch_add(1, Ordering::SeqCst);
            let dir =
                std::env::temp_dir().join(format!("svcpack-pp-{tag}-{}-{n}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            TempDir(dir)
        }

        fn write(&self, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
            let p = self.0.join(name);
            if let Some(parent) = p.parent() {
                std::fs::create_dir_all(parent).unwrap();
            }
            std::fs::write(&p, content).unwrap();
            p
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    // --- define / undef / variables -----------------------------------------------------

    #[test]
    fn define_forms_and_substitution() {
        let p = pp(concat!(
            "<W>\n",
            "<?define A = \"quoted value\"?>\n",
            "<?define B=bare?>\n",
            "<?define var.C = 'single'?>\n",
            "<?define D?>\n",
            "<?define E = \"$(var.B)-$(A)\"?>\n",
            "<X a=\"$(var.A)\" b=\"$(B)\" c=\"$(var.C)\" d=\"[$(D)]\" e=\"$(E)\">$(var.A)</X>\n",
            "</W>",
        ));
        assert!(p.text.contains(r#"<X a="quoted value" b="bare" c="single" d="[]" e="bare-quoted value">quoted value</X>"#), "{}", p.text);
        assert_eq!(p.text.split('\n').count(), 8);
        assert!(p.warnings.is_empty());
    }

    #[test]
    fn define_split_matches_wix_regex() {
        // Expected values from the regex itself (checked against ~1,700 generated inputs).
        let cases: &[(&str, &str, &str)] = &[
            ("a", "a", ""),
            ("a=", "a=", ""),
            ("a=b", "a", "b"),
            ("a = b ", "a", "b"),
            ("a==b", "a", "=b"),
            ("=a", "=a", ""),
            ("==", "==", ""),
            ("= =", "= =", ""),
            ("a b = c", "a b", "c"),
            ("a=\"b\"", "a", "\"b\""),
            ("a= \t", "a", "\t"),
            ("a =  ", "a", " "),
            ("a=b=c", "a", "b=c"),
            ("\"a\"=\"b\"", "\"a\"", "\"b\""),
            ("é = ü", "é", "ü"),
        ];
        for (data, name, value) in cases {
            assert_eq!(split_define(data), Some((*name, *value)), "input {data:?}");
        }
        assert_eq!(split_define(""), None);
    }

    #[test]
    fn define_parsing_edge_cases() {
        let p = pp("<?define X==1?><?define  Y  =  a = b  ?><W x=\"$(X)\" y=\"$(Y)\"/>");
        assert!(p.text.contains(r#"<W x="=1" y="a = b"/>"#), "{}", p.text);
        let e = err("<W>\n<?define   ?></W>");
        assert_err(&e, "main.wxs", 2, "is not well-formed");
    }

    #[test]
    fn command_line_defines_and_redefinition_warning() {
        let o = with_defines(&[("A", "1"), ("B", "")]);
        let p = pp_with(
            "<W>\n<?define A = 2?>\n<?define B = \"\"?>\n<X a=\"$(var.A)\" b=\"$(var.B)\"/></W>",
            &o,
        );
        assert!(p.text.contains(r#"<X a="2" b=""/>"#));
        assert_eq!(p.warnings.len(), 1);
        assert_eq!(p.warnings[0].location, Location::new("main.wxs", 2));
        assert_eq!(
            p.warnings[0].message,
            "The variable 'A' with value '2' was previously declared with value '1'."
        );
        assert_eq!(p.warnings[0].to_string(), "main.wxs:2: warning: The variable 'A' with value '2' was previously declared with value '1'.");
    }

    #[test]
    fn undef() {
        let p = pp("<?define A = 1?><?undef A?><?ifdef A?><yes/><?else?><no/><?endif?><?define B=2?><?undef var.B?><?ifndef B?><gone/><?endif?>");
        assert!(
            p.text.contains("<no/>") && p.text.contains("<gone/>") && !p.text.contains("<yes/>")
        );
        let e = err("<W>\n\n<?undef Nope?></W>");
        assert_err(&e, "main.wxs", 3, "The variable 'Nope' cannot be undefined");
    }

    #[test]
    fn undefined_and_malformed_variables_are_errors_with_location() {
        let e = err("<W>\n  <X a=\"1\"\n     b=\"$(var.Nope)\"/>\n</W>");
        assert_err(
            &e,
            "main.wxs",
            3,
            "Undefined preprocessor variable '$(var.Nope)'.",
        );
        let e = err("<W>\ntext\nmore $(Missing) text</W>");
        assert_err(
            &e,
            "main.wxs",
            3,
            "Undefined preprocessor variable '$(Missing)'.",
        );
        let e = err("<W a=\"$(var.)\"/>");
        assert_err(&e, "main.wxs", 1, "Ill-formed preprocessor variable");
        let e = err("<W a=\"$(var.A\"/>");
        assert_err(&e, "main.wxs", 1, "Ill-formed preprocessor variable");
        let e = err("<W a=\"$()\"/>");
        assert_err(&e, "main.wxs", 1, "Ill-formed preprocessor variable");
        let e = err("<W a=\"$(fun.Nope(1))\"/>");
        assert_err(
            &e,
            "main.wxs",
            1,
            "Undefined preprocessor function '$(fun.Nope(1))'.",
        );
        let e = err("<W a=\"$(x(1))\"/>");
        assert_err(&e, "main.wxs", 1, "Ill-formed preprocessor function");
    }

    #[test]
    fn dollar_escapes_and_passthroughs() {
        let p = pp_with(
            "<W a=\"$$(var.A) $(loc.Name) cost $5 !(bind.FileVersion.x) $$$(A)\">$$</W>",
            &with_defines(&[("A", "v")]),
        );
        assert!(
            p.text
                .contains(r#"<W a="$(var.A) $(loc.Name) cost $5 !(bind.FileVersion.x) $v">$</W>"#),
            "{}",
            p.text
        );
    }

    #[test]
    fn dotted_names_fall_back_to_plain_variables() {
        // WiX: an unknown prefix is retried as a variable whose name contains the dot.
        let p = pp("<?define My.Name = x?><W a=\"$(My.Name)\" b=\"$(var.My.Name)\"/>");
        assert!(p.text.contains(r#"<W a="x" b="x"/>"#), "{}", p.text);
    }

    #[test]
    fn env_variables() {
        let mut o = opts();
        o.env.insert("SVC_HOME".into(), "/opt/svc".into());
        o.env.insert("ProgramFiles(x86)".into(), "C:\\PF86".into());
        let p = pp_with(
            "<W a=\"$(env.SVC_HOME)\" b=\"$(env.svc_home)\" c=\"$(env.ProgramFiles(x86))\"/>",
            &o,
        );
        assert!(
            p.text
                .contains(r#"<W a="/opt/svc" b="/opt/svc" c="C:\PF86"/>"#),
            "{}",
            p.text
        );
        let e = err_with("<W>\n<X a=\"$(env.NOT_SET_ANYWHERE)\"/></W>", &o);
        assert_err(
            &e,
            "main.wxs",
            2,
            "Undefined preprocessor variable '$(env.NOT_SET_ANYWHERE)'.",
        );
        let p = pp_with(
            "<?ifdef env.SVC_HOME?><a/><?endif?><?ifdef env.NOPE?><b/><?endif?>",
            &o,
        );
        assert!(p.text.contains("<a/>") && !p.text.contains("<b/>"));
    }

    #[test]
    fn sys_variables() {
        let sep = std::path::MAIN_SEPARATOR;
        let p = pp(concat!(
            "<W a=\"$(sys.BUILDARCH)\" b=\"$(sys.BUILDARCHSHORT)\" c=\"$(sys.CURRENTDIR)\"\n",
            "   d=\"$(sys.SOURCEFILEDIR)\" e=\"$(sys.SOURCEFILEPATH)\" f=\"$(sys.PLATFORM)\"/>",
        ));
        let cur = format!("/build{sep}");
        assert!(
            p.text.contains(&format!(r#"a="x64" b="X64" c="{cur}""#)),
            "{}",
            p.text
        );
        let main = Path::new("/build").join("main.wxs");
        assert!(
            p.text
                .contains(&format!(r#"d="{cur}" e="{}" f="x64""#, main.display())),
            "{}",
            p.text
        );
        assert_eq!(p.warnings.len(), 1);
        assert!(p.warnings[0]
            .message
            .contains("'$(sys.PLATFORM)' is deprecated"));
        assert_eq!(p.warnings[0].location.line, 2);
        let e = err("<W a=\"$(sys.NOPE)\"/>");
        assert_err(
            &e,
            "main.wxs",
            1,
            "Undefined preprocessor variable '$(sys.NOPE)'.",
        );
    }

    #[test]
    fn auto_version_uses_source_date_epoch() {
        let mut o = opts();
        o.env.insert(
            "SOURCE_DATE_EPOCH".into(),
            (946_684_800 + 3 * 86_400 + 7_200).to_string(),
        );
        let p = pp_with("<W v=\"$(fun.AutoVersion(1.0))\"/>", &o);
        assert!(p.text.contains(r#"v="1.0.3.3600""#), "{}", p.text);
        let e = err_with("<W v=\"$(fun.AutoVersion())\"/>", &o);
        assert_err(&e, "main.wxs", 1, "Invalid AutoVersion template");
    }

    // --- escaping ---------------------------------------------------------------------

    fn unescape(s: &str) -> String {
        s.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&#10;", "\n")
            .replace("&#13;", "\r")
            .replace("&#9;", "\t")
            .replace("&amp;", "&")
    }

    #[test]
    fn substituted_values_are_escaped_where_they_land() {
        let nasty = "a<b & \"c\" 'd' ]]> e\nf\tg";
        let o = with_defines(&[("V", nasty)]);
        let p = pp_with(
            "<W>\n<X a=\"$(var.V)\" b='$(var.V)'>$(var.V)</X>\n<Y><![CDATA[<$(var.V)>]]></Y>\n</W>",
            &o,
        );
        // Substitution never adds lines.
        assert_eq!(p.text.split('\n').count(), 4);
        let x = p.text.split('\n').nth(1).unwrap();
        let a = x.split('"').nth(1).unwrap();
        assert_eq!(
            a,
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos; ]]&gt; e&#10;f&#9;g"
        );
        assert_eq!(unescape(a), nasty);
        let b = x.split('\'').nth(1).unwrap();
        assert!(!b.contains('\''));
        let text = x.split('>').skip(1).collect::<Vec<_>>().join(">");
        let text = text.strip_suffix("</X>").unwrap();
        assert_eq!(unescape(text), nasty);
        // CDATA: the section is split around what it cannot hold.
        let y = p.text.split('\n').nth(2).unwrap();
        assert_eq!(
            y,
            "<Y><![CDATA[<a<b & \"c\" 'd' ]]]]><![CDATA[> e]]>&#10;<![CDATA[f\tg>]]></Y>"
        );
    }

    #[test]
    fn cdata_value_ending_in_brackets_before_literal_gt() {
        let o = with_defines(&[("V", "x]]")]);
        let p = pp_with("<Y><![CDATA[$(var.V)>]]></Y>", &o);
        assert_eq!(p.text, "<Y><![CDATA[x]]]]><![CDATA[>]]></Y>");
    }

    #[test]
    fn comments_are_untouched() {
        let src = "<W>\n<!-- $(var.Undefined) <?if bogus?> <?include nope?> -->\n<X/><!--\n multi\n $(x) --></W>";
        let p = pp(src);
        assert_eq!(p.text, src);
    }

    #[test]
    fn xml_declaration_is_kept_and_unknown_pis_are_dropped() {
        let p = pp("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<W><?xml-stylesheet href=\"x\"?><?foo $(undefined)?></W>");
        assert_eq!(
            p.text,
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<W></W>"
        );
        assert!(p.warnings.is_empty());
        let p = pp("<W>\n<?Define X = 1?></W>");
        assert_eq!(p.warnings.len(), 1);
        assert!(p.warnings[0].message.contains("did you mean <?define?>"));
        assert_eq!(p.warnings[0].location.line, 2);
        let e = err("<W/>\n<?xml version=\"1.0\"?>");
        assert_err(&e, "main.wxs", 2, "XML declaration");
    }

    #[test]
    fn malformed_markup_is_reported_with_location() {
        assert_err(&err("<W>\n<!DOCTYPE x>"), "main.wxs", 2, "DTD");
        assert_err(
            &err("<W>\n\n<!-- open"),
            "main.wxs",
            3,
            "unterminated comment",
        );
        assert_err(
            &err("<W>\n<?if 1=1"),
            "main.wxs",
            2,
            "unterminated processing instruction",
        );
        assert_err(
            &err("<W>\n<X a=\"1\n\n"),
            "main.wxs",
            2,
            "unterminated value of attribute 'a'",
        );
        assert_err(&err("<W>\n<X a=1/>"), "main.wxs", 2, "must be quoted");
        assert_err(
            &err("<W>\n a < b</W>"),
            "main.wxs",
            2,
            "'<' must start a tag",
        );
        assert_err(
            &err("<W>\n<?if$(var.A)?><?endif?></W>"),
            "main.wxs",
            2,
            "invalid processing instruction name",
        );
        assert_err(
            &err("<W>\n<![CDATA[ x"),
            "main.wxs",
            2,
            "unterminated CDATA",
        );
    }

    // --- conditionals -----------------------------------------------------------------

    fn cond_with(o: &Options, expr: &str) -> Result<bool> {
        let src = format!("<W>\n<?if {expr}?>T<?else?>F<?endif?>\n</W>");
        let p = preprocess_str(&src, Path::new("main.wxs"), o)?;
        check(&p);
        Ok(p.text.contains('T'))
    }

    #[test]
    fn expressions_follow_wix() {
        let o = with_defines(&[
            ("A", "1"),
            ("B", "2"),
            ("C", "0"),
            ("S", "hello"),
            ("SP", "a b"),
            ("N", "5"),
            ("E", ""),
            ("F", "false"),
            ("NO", "no"),
            ("CapF", "False"),
            ("Zero", "0"),
            ("One", "1"),
        ]);
        let cases: &[(&str, bool)] = &[
            ("$(var.A) = \"1\"", true),
            ("$(A)=1", true),
            ("$(A)==1", true),
            ("$(var.A) != 2", true),
            ("$(var.A) != \"1\"", false),
            ("$(var.S) ~= \"HELLO\"", true),
            ("$(var.S) = \"HELLO\"", false),
            ("$(var.SP) = \"a b\"", true),
            ("\" a b \" = $(var.SP)", true),
            ("$(var.N) < 10", true),
            ("$(var.N) <= 5", true),
            ("$(var.N) > \"5\"", false),
            ("$(var.N) >= 5", true),
            ("-3 < $(var.N)", true),
            ("1 = 1", true),
            ("x64 = $(sys.BUILDARCH)", true),
            ("$(var.A)", true),
            ("$(var.C)", false),
            ("$(var.E)", false),
            ("$(var.F)", false),
            ("$(var.NO)", false),
            ("$(var.CapF)", true),
            ("NOT $(var.C)", true),
            ("not($(var.A))", false),
            ("not($(var.C))", true),
            ("$(var.A) AND $(var.C)", false),
            ("$(var.A) and $(var.C) or $(var.A)", true),
            ("$(var.C) or $(var.C) or $(var.A)", true),
            ("not $(var.B) or not $(var.C)", true),
            (
                "(($(var.A))and $(var.B) =\"2\")or Not((($(var.C))) and $(var.A))",
                true,
            ),
            ("(($(var.A)) and $(var.B) = \" 3 \") or $(var.C)", false),
            ("$(var.A) and $(var.B)>2 or $(var.B) <= 2", true),
            ("(\"(\" = \"(\")", true),
            // WiX quirk: NOT takes the whole rest, so this is Zero and (not Zero or One).
            ("$(var.Zero) and not $(var.Zero) or $(var.One)", false),
            ("$(var.A) = ", false),
        ];
        for (expr, want) in cases {
            match cond_with(&o, expr) {
                Ok(got) => assert_eq!(got, *want, "expression {expr}"),
                Err(e) => panic!("expression {expr}: {e}"),
            }
        }
    }

    #[test]
    fn expression_errors_name_the_if_line() {
        let o = with_defines(&[("A", "1"), ("S", "abc")]);
        let cases: &[(&str, &str)] = &[
            (
                "$(var.Nope) = 1",
                "Undefined preprocessor variable '$(var.Nope)'",
            ),
            ("($(var.A) = 1", "parenthesis don't match"),
            ("$(var.A = 1", "parenthesis don't match"),
            ("\"abc = 1", "quotes don't match"),
            ("", "empty subexpression"),
            ("()", "empty subexpression"),
            ("$(var.A) and", "invalid subexpression 'and'"),
            ("$(var.A) xor $(var.A)", "invalid subexpression"),
            ("$(var.A) = 1 2", "invalid subexpression '2'"),
            ("foo", "unexpected literal"),
            ("$(var.S) < 3", "illegal number"),
            ("99999999999 > 1", "illegal number"),
            ("a(b = 1", "parenthesis don't match"),
            ("a\"b = 1", "quotes don't match"),
            ("$(var.A) \"=\" 1", "quotes don't match"),
        ];
        for (expr, needle) in cases {
            match cond_with(&o, expr) {
                Ok(v) => panic!("expression {expr:?} should fail, gave {v}"),
                Err(e) => {
                    assert_eq!(e.location, Location::new("main.wxs", 2), "{expr}: {e}");
                    assert!(
                        e.message.to_lowercase().contains(&needle.to_lowercase()),
                        "{expr}: {e}"
                    );
                }
            }
        }
        let deep = format!("{}$(var.A){}", "(".repeat(500), ")".repeat(500));
        assert!(cond_with(&o, &deep)
            .unwrap_err()
            .message
            .contains("nested too deeply"));
        let nots = format!("{}$(var.A)", "not ".repeat(500));
        assert!(cond_with(&o, &nots).is_err());
    }

    #[test]
    fn if_elseif_else_nesting() {
        let o = with_defines(&[("V", "2")]);
        let src = concat!(
            "<W>\n",
            "<?if $(var.V) = 1?><one/>\n",
            "<?elseif $(var.V) = 2?><two/>\n",
            "  <?if $(var.V) != 2?><inner-no/><?else?><inner-yes/><?endif?>\n",
            "<?elseif $(var.V) = 2?><again/>\n",
            "<?else?><other/>\n",
            "<?endif?>\n",
            "<?ifdef Missing?><?if $(var.Missing) = 1?><x/><?elseif $(var.Missing)?><y/><?else?><z/><?endif?><?endif?>\n",
            "</W>",
        );
        let p = pp_with(src, &o);
        assert_eq!(squash(&p.text), "<W><two/><inner-yes/></W>");
        // Skipped regions keep their lines.
        assert_eq!(p.text.split('\n').count(), src.split('\n').count());
        for (i, l) in p.lines.iter().enumerate() {
            assert_eq!(l, &Location::new("main.wxs", i as u32 + 1));
        }
    }

    #[test]
    fn ifdef_forms() {
        let o = with_defines(&[("A", "")]);
        for name in ["A", "var.A", "$(var.A)", "$(A)", " A ", "sys.BUILDARCH"] {
            let p = pp_with(
                &format!("<?ifdef {name}?><y/><?endif?><?ifndef {name}?><n/><?endif?>"),
                &o,
            );
            assert_eq!(p.text, "<y/>", "ifdef {name}");
        }
        let p = pp_with("<?ifdef B?><y/><?endif?><?ifndef B?><n/><?endif?>", &o);
        assert_eq!(p.text, "<n/>");
        assert_err(
            &err("<W>\n<?ifdef ?><?endif?></W>"),
            "main.wxs",
            2,
            "need the name",
        );
    }

    #[test]
    fn unmatched_conditionals_are_errors_with_location() {
        assert_err(
            &err("<W>\n\n<?endif?></W>"),
            "main.wxs",
            3,
            "Found a <?endif?> processing instruction without a matching <?if?> before it.",
        );
        assert_err(
            &err("<W>\n<?else?></W>"),
            "main.wxs",
            2,
            "<?else?> processing instruction without a matching <?if?>",
        );
        assert_err(&err("<W>\n<?elseif 1=1?></W>"), "main.wxs", 2, "<?elseif?>");
        assert_err(
            &err("<W>\n<?if 1=1?>\n<?else?>\n<?elseif 1=1?>\n<?endif?></W>"),
            "main.wxs",
            4,
            "<?elseif?>",
        );
        assert_err(
            &err("<W>\n<?if 1=1?>\n<?else?>\n<?else?>\n<?endif?></W>"),
            "main.wxs",
            4,
            "<?else?>",
        );
        assert_err(
            &err("<W>\n<?if 1=1?>\n  <?ifdef X?>\n<?endif?>\n</W>"),
            "main.wxs",
            2,
            "Found a <?if?> processing instruction without a matching <?endif?> after it.",
        );
        assert_err(&err("<W>\n<?ifndef X?>\n</W>"), "main.wxs", 2, "<?ifndef?>");
    }

    #[test]
    fn skipped_branches_are_not_evaluated() {
        // Undefined variables, bad expressions and errors in skipped branches are ignored.
        let p = pp("<W><?if 1 = 2?><?if $(var.Nope) = 1?><?error no?><?endif?><X a=\"$(var.Nope)\"/>$(Nope)<?include missing.wxi?><?foreach x in a?><?endif?></W>");
        assert_eq!(p.text, "<W></W>");
        let p = pp("<?if 1 = 1?><a/><?elseif $(var.Nope) = 1?><b/><?else?><c/><?endif?>");
        assert_eq!(p.text, "<a/>");
    }

    // --- warning / error ----------------------------------------------------------------

    #[test]
    fn warning_and_error_directives() {
        let o = with_defines(&[("A", "1")]);
        let p = pp_with("<W>\n\n<?warning value is $(var.A)?></W>", &o);
        assert_eq!(
            p.warnings,
            vec![Warning {
                location: Location::new("main.wxs", 3),
                message: "value is 1".into()
            }]
        );
        let e = err_with("<W>\n<?error stop $(var.A)?></W>", &o);
        assert_err(&e, "main.wxs", 2, "stop 1");
        assert_eq!(e.to_string(), "main.wxs:2: error: stop 1");
        let e = err("<W>\n<?pragma nodot?></W>");
        assert_err(&e, "main.wxs", 2, "Malformed preprocessor pragma");
        let p = pp("<W><?pragma wix.unknown args?></W>");
        assert!(p.warnings[0]
            .message
            .contains("The pragma 'wix.unknown' is unknown"));
    }

    // --- foreach ------------------------------------------------------------------------

    #[test]
    fn foreach_values_are_not_trimmed() {
        // WiX's own test (PreprocessorFixture.CanPreprocessForeach).
        let p = pp("<Wix>\n<?foreach value in  A ; B ; C  ?>\n  <Fragment Id='$(value)' />\n<?endforeach?>\n</Wix>");
        assert_eq!(
            p.text
                .split('\n')
                .filter(|l| !l.trim().is_empty())
                .collect::<Vec<_>>(),
            vec![
                "<Wix>",
                "  <Fragment Id='A ' />",
                "  <Fragment Id=' B ' />",
                "  <Fragment Id=' C' />",
                "</Wix>"
            ]
        );
        let p = pp("<Wix>\n<?foreach value in \" A ; B ; C \" ?>\n  <Fragment Id='$(value)' />\n<?endforeach?>\n</Wix>");
        assert!(
            p.text.contains("Id=' A '")
                && p.text.contains("Id=' B '")
                && p.text.contains("Id=' C '")
        );
    }

    #[test]
    fn foreach_maps_lines_to_the_body() {
        let p =
            pp("<Wix>\n<?foreach n in a;b?>\n  <Fragment Id=\"$(n)\" />\n<?endforeach?>\n</Wix>");
        let a = line_of(&p, "Id=\"a\"");
        let b = line_of(&p, "Id=\"b\"");
        assert_eq!(p.location(a), Location::new("main.wxs", 3));
        assert_eq!(p.location(b), Location::new("main.wxs", 3));
        assert_eq!(
            p.location(line_of(&p, "</Wix>")),
            Location::new("main.wxs", 5)
        );
        assert_eq!(p.location(1), Location::new("main.wxs", 1));
    }

    #[test]
    fn foreach_list_from_variable_nesting_and_conditions() {
        let o = with_defines(&[("L", "1;2;3")]);
        let p = pp_with("<W><?foreach x in $(var.L)?><?if $(x) != 2?><E v=\"$(x)\"/><?endif?><?endforeach?></W>", &o);
        assert_eq!(squash(&p.text), "<W><Ev=\"1\"/><Ev=\"3\"/></W>");
        let p = pp("<W><?foreach a in 1;2?><?foreach b in x;y?><E v=\"$(a)$(b)\"/><?endforeach?><?endforeach?></W>");
        assert_eq!(
            squash(&p.text),
            "<W><Ev=\"1x\"/><Ev=\"1y\"/><Ev=\"2x\"/><Ev=\"2y\"/></W>"
        );
        // The loop variable keeps its last value afterwards, as in WiX.
        let p = pp("<?foreach x in a;b?><?endforeach?><W v=\"$(x)\"/>");
        assert!(p.text.contains("<W v=\"b\"/>"));
        // An empty list runs the body once with an empty value (String.Split).
        let p = pp("<?foreach x in \"\"?><E v=\"[$(x)]\"/><?endforeach?>");
        assert_eq!(p.text, "<E v=\"[]\"/>");
    }

    #[test]
    fn foreach_errors() {
        assert_err(
            &err("<W>\n<?foreach x in a;b?>\n<E/>\n</W>"),
            "main.wxs",
            2,
            "no matching <?endforeach?>",
        );
        assert_err(
            &err("<W>\n<?endforeach?></W>"),
            "main.wxs",
            2,
            "<?endforeach?> processing instruction without a matching <?foreach?>",
        );
        assert_err(
            &err("<W>\n<?foreach x?><?endforeach?></W>"),
            "main.wxs",
            2,
            "The foreach statement 'x' is illegal",
        );
        assert_err(
            &err("<W>\n<?foreach x in \"a;b?><?endforeach?></W>"),
            "main.wxs",
            2,
            "quotes don't match",
        );
        // Errors inside the body point at the body line, on the iteration that fails.
        let e = err("<W>\n<?foreach x in 1;2?>\n\n  <?if $(x) = 2?><?error bad $(x)?><?endif?>\n<?endforeach?></W>");
        assert_err(&e, "main.wxs", 4, "bad 2");
        // <?if?> must be balanced within the body.
        let e = err("<W>\n<?foreach x in 1?>\n<?if 1=1?>\n<?endforeach?>\n<?endif?></W>");
        assert_err(&e, "main.wxs", 3, "without a matching <?endif?>");
    }

    #[test]
    fn exponential_loops_stop_with_an_error() {
        let src = format!(
            "<W>{}{}</W>",
            "<?foreach a in 1;2?>".repeat(60),
            "<?endforeach?>".repeat(60)
        );
        let o = opts();
        let mut pp = Pp::new(&o);
        pp.work_limit = 200_000;
        let e = pp.run_main(src, Path::new("main.wxs")).unwrap_err();
        assert_err(&e, "main.wxs", 1, "too large");
    }

    #[test]
    fn deep_foreach_nesting_is_an_error_not_a_crash() {
        let src = format!(
            "{}<x/>{}",
            "<?foreach a in 1?>".repeat(300),
            "<?endforeach?>".repeat(300)
        );
        assert!(err(&src).message.contains("nested more deeply"));
    }

    // --- include ------------------------------------------------------------------------

    const V4: &str = "http://wixtoolset.org/schemas/v4/wxs";

    #[test]
    fn include_splices_children_with_namespaces_and_defines() {
        let dir = TempDir::new("inc");
        dir.write(
            "inc.wxi",
            format!(
                "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Include xmlns=\"{V4}\" xmlns:util=\"http://util\">\n  <?define FromInc = \"yes\"?>\n  <Property Id=\"P\" Value=\"$(sys.SOURCEFILEDIR)\" />\n  <util:Thing xmlns:util=\"http://util\"><Child/></util:Thing>\n</Include>\n"
            ),
        );
        let main = dir.write(
            "main.wxs",
            format!("<Wix xmlns=\"{V4}\">\n  <Fragment>\n    <?include inc.wxi?>\n    <Property Id=\"Q\" Value=\"$(var.FromInc)\" />\n  </Fragment>\n</Wix>\n"),
        );
        let p = preprocess_file(&main, &opts()).unwrap();
        check(&p);
        let inc = dir.0.join("inc.wxi");
        let sep = std::path::MAIN_SEPARATOR;
        let want = format!(
            "<Property xmlns=\"{V4}\" xmlns:util=\"http://util\" Id=\"P\" Value=\"{}{sep}\" />",
            dir.0.display()
        );
        assert!(p.text.contains(&want), "{}", p.text);
        // A child that redeclares a prefix keeps its own declaration only; grandchildren inherit.
        assert!(
            p.text.contains(&format!(
                "<util:Thing xmlns=\"{V4}\" xmlns:util=\"http://util\"><Child/></util:Thing>"
            )),
            "{}",
            p.text
        );
        assert!(p.text.contains("<Property Id=\"Q\" Value=\"yes\" />"));
        assert!(!p.text.contains("Include") && !p.text.contains("<?xml"));
        assert_eq!(p.location(line_of(&p, "Id=\"P\"")), Location::new(&inc, 4));
        assert_eq!(
            p.location(line_of(&p, "util:Thing")),
            Location::new(&inc, 5)
        );
        assert_eq!(p.location(line_of(&p, "Id=\"Q\"")), Location::new(&main, 4));
        assert_eq!(p.location(line_of(&p, "</Wix>")), Location::new(&main, 6));
        assert_eq!(p.location(1), Location::new(&main, 1));
    }

    #[test]
    fn include_on_a_line_with_other_markup_gets_its_own_lines() {
        let dir = TempDir::new("inline");
        dir.write("a.wxi", "<Include><A/></Include>");
        let main = dir.write("m.wxs", "<W><?include a.wxi?><B/></W>");
        let p = preprocess_file(&main, &opts()).unwrap();
        check(&p);
        assert_eq!(squash(&p.text), "<W><A/><B/></W>");
        assert_eq!(
            p.location(line_of(&p, "<A/>")),
            Location::new(dir.0.join("a.wxi"), 1)
        );
        assert_eq!(p.location(line_of(&p, "<B/>")), Location::new(&main, 1));
    }

    #[test]
    fn include_search_order_and_paths() {
        let dir = TempDir::new("search");
        dir.write("local.wxi", "<Include><Local/></Include>");
        dir.write("inc/local.wxi", "<Include><Shadowed/></Include>");
        dir.write(
            "inc/other.wxi",
            "<Include><Other/><?include nested.wxi?></Include>",
        );
        dir.write("inc/nested.wxi", "<Include><Nested/></Include>");
        dir.write("sub/win.wxi", "<Include><Win/></Include>");
        let main = dir.write(
            "m.wxs",
            "<W><?include local.wxi?><?include \"other.wxi\"?><?include sub\\win.wxi?><?include $(sys.SOURCEFILEDIR)sub/win.wxi?></W>",
        );
        let mut o = opts();
        o.include_dirs = vec![dir.0.join("inc")];
        let p = preprocess_file(&main, &o).unwrap();
        check(&p);
        assert_eq!(
            squash(&p.text),
            "<W><Local/><Other/><Nested/><Win/><Win/></W>"
        );
        assert_eq!(
            p.location(line_of(&p, "<Nested/>")).file,
            dir.0.join("inc").join("nested.wxi")
        );
        // Relative main path: resolved against current_dir, reported as given.
        let mut o2 = o.clone();
        o2.current_dir = dir.0.clone();
        let p = preprocess_file(Path::new("m.wxs"), &o2).unwrap();
        assert_eq!(
            p.location(line_of(&p, "<Local/>")).file,
            PathBuf::from("local.wxi")
        );
    }

    #[test]
    fn include_errors() {
        let dir = TempDir::new("incerr");
        dir.write(
            "bad.wxi",
            "<Include>\n  <A/>\n  <B a=\"$(var.Undefined)\"/>\n</Include>\n",
        );
        dir.write(
            "err.wxi",
            "<Include>\n\n  <?error boom $(var.X)?>\n</Include>",
        );
        dir.write("root.wxi", "<?xml version=\"1.0\"?>\n<Wix><A/></Wix>");
        dir.write("self.wxi", "<Include><?include self.wxi?></Include>");
        dir.write("noroot.wxi", "<?define A = 1?>\n");
        dir.write("open.wxi", "<Include>\n<?if 1 = 1?>\n</Include>");
        dir.write("two.wxi", "<Include/>\n<Include/>");
        dir.write("text.wxi", "junk<Include/>");
        let o = with_defines(&[("X", "1")]);
        let run = |name: &str| {
            let main = dir.write("m.wxs", format!("<W>\n<?include {name}?>\n</W>"));
            preprocess_file(&main, &o).unwrap_err()
        };
        let inc = |n: &str| dir.0.join(n).display().to_string();
        let e = run("bad.wxi");
        assert_err(
            &e,
            &inc("bad.wxi"),
            3,
            "Undefined preprocessor variable '$(var.Undefined)'",
        );
        assert!(
            e.message.contains(&format!(
                "(included from {}:2)",
                dir.0.join("m.wxs").display()
            )),
            "{e}"
        );
        assert_err(&run("err.wxi"), &inc("err.wxi"), 3, "boom 1");
        assert_err(
            &run("root.wxi"),
            &inc("root.wxi"),
            2,
            "The document element name 'Wix' is invalid",
        );
        assert_err(&run("self.wxi"), &inc("self.wxi"), 1, "nested more deeply");
        assert_err(
            &run("noroot.wxi"),
            &inc("noroot.wxi"),
            2,
            "root element <Include>",
        );
        assert_err(
            &run("open.wxi"),
            &inc("open.wxi"),
            2,
            "without a matching <?endif?>",
        );
        assert_err(&run("two.wxi"), &inc("two.wxi"), 2, "single root element");
        assert_err(
            &run("text.wxi"),
            &inc("text.wxi"),
            1,
            "text is not allowed outside",
        );
        let e = run("missing.wxi");
        assert_err(
            &e,
            &dir.0.join("m.wxs").display().to_string(),
            2,
            "Cannot find the include file 'missing.wxi'",
        );
        // Defines made before an include are visible inside it; unmatched ifs stay per file.
        dir.write(
            "uses.wxi",
            "<Include><U v=\"$(var.Before)\"/><?endif?></Include>",
        );
        let main = dir.write(
            "m2.wxs",
            "<W><?define Before = b?><?if 1 = 1?><?include uses.wxi?><?endif?></W>",
        );
        let e = preprocess_file(&main, &o).unwrap_err();
        assert_err(
            &e,
            &inc("uses.wxi"),
            1,
            "<?endif?> processing instruction without a matching <?if?>",
        );
    }

    // --- decoding and line ends ---------------------------------------------------------

    #[test]
    fn decoding_and_line_ends() {
        let dir = TempDir::new("enc");
        let mut utf16 = vec![0xFF, 0xFE];
        for u in "<W a=\"é\">\r\n<X/></W>".encode_utf16() {
            utf16.extend_from_slice(&u.to_le_bytes());
        }
        let p = preprocess_file(&dir.write("u16.wxs", utf16), &opts()).unwrap();
        assert_eq!(p.text, "<W a=\"é\">\n<X/></W>");
        let p = preprocess_file(
            &dir.write(
                "cp.wxs",
                b"<?xml version=\"1.0\" encoding=\"windows-1252\"?>\r<W a=\"\xE9\"/>",
            ),
            &opts(),
        )
        .unwrap();
        assert_eq!(
            p.text,
            "<?xml version=\"1.0\" encoding=\"windows-1252\"?>\n<W a=\"é\"/>"
        );
        let p = preprocess_file(
            &dir.write("bom.wxs", b"\xEF\xBB\xBF<?xml version=\"1.0\"?><W/>"),
            &opts(),
        )
        .unwrap();
        assert_eq!(p.text, "<?xml version=\"1.0\"?><W/>");
        let bad = dir.write("bad.wxs", b"<W>\n\n<X a=\"\xFF\"/></W>");
        assert_err(
            &preprocess_file(&bad, &opts()).unwrap_err(),
            &bad.display().to_string(),
            3,
            "not valid UTF-8",
        );
        let unk = dir.write(
            "unk.wxs",
            b"<?xml version=\"1.0\" encoding=\"klingon\"?><W/>",
        );
        assert!(preprocess_file(&unk, &opts())
            .unwrap_err()
            .message
            .contains("unsupported encoding"));
        let missing = dir.0.join("nope.wxs");
        assert!(preprocess_file(&missing, &opts())
            .unwrap_err()
            .message
            .contains("cannot read source file"));
        let p = pp("\u{feff}<W>\r\n<?if 1 = 2?>\r\n<X/>\r\n<?endif?>\r\n<Y/></W>");
        assert_eq!(p.text, "<W>\n\n\n\n<Y/></W>");
        assert_eq!(p.location(5), Location::new("main.wxs", 5));
    }

    // --- robustness ---------------------------------------------------------------------

    #[test]
    fn location_clamps() {
        let p = pp("<W>\n</W>");
        assert_eq!(p.location(0), Location::new("main.wxs", 1));
        assert_eq!(p.location(99), Location::new("main.wxs", 2));
        assert_eq!(Preprocessed::default().location(3), Location::new("", 3));
    }

    #[test]
    fn output_is_deterministic() {
        let src = "<?define A = 1?><W><?foreach x in c;b;a?><E v=\"$(x)$(A)\"/><?warning w $(x)?><?endforeach?></W>";
        let a = pp(src);
        let b = pp(src);
        assert_eq!(a.text, b.text);
        assert_eq!(a.lines, b.lines);
        assert_eq!(a.warnings, b.warnings);
    }

    #[test]
    fn large_input_is_fast_enough() {
        let mut src =
            String::from("<?xml version=\"1.0\"?>\n<Wix>\n<?define Base = \"C:\\base\"?>\n");
        for i in 0..10_000 {
            src.push_str(&format!(
                "<?if {i} > 5000?><File Id=\"f{i}\" Source=\"$(var.Base)\\{i}.txt\" /><?else?><!-- c --><File Id=\"g{i}\" /><?endif?>\n"
            ));
        }
        src.push_str("<?foreach x in a;b;c;d?>\n<Item v=\"$(x)\"/>\n<?endforeach?>\n</Wix>\n");
        let start = std::time::Instant::now();
        let p = pp(&src);
        assert!(start.elapsed().as_secs() < 10, "took {:?}", start.elapsed());
        assert_eq!(
            p.location(line_of(&p, "Id=\"f9999\"")),
            Location::new("main.wxs", 10_003)
        );
    }

    /// A tiny deterministic generator (Knuth's MMIX LCG).
    struct Lcg(u64);

    impl Lcg {
        fn next(&mut self) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            self.0 >> 33
        }

        fn below(&mut self, n: usize) -> usize {
            if n == 0 {
                0
            } else {
                (self.next() % n as u64) as usize
            }
        }
    }

    #[test]
    fn mutated_inputs_never_panic() {
        let dir = TempDir::new("mut");
        dir.write(
            "part.wxi",
            "<Include xmlns:u=\"urn:u\"><?define P = 1?><u:X a=\"$(var.P)\"/></Include>",
        );
        let sample = format!(
            concat!(
                "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n",
                "<Wix xmlns=\"{v4}\">\n",
                "  <?define Name = \"Svc & <Co>\"?>\n",
                "  <?define List = a;b;c?>\n",
                "  <!-- $(var.Name) <?if?> -->\n",
                "  <?if $(var.Name) ~= \"svc & <co>\" and not ($(sys.BUILDARCH) = x86 or 1 > 2)?>\n",
                "    <Package Name=\"$(var.Name)\" Version=\"$(fun.AutoVersion(1.0))\">\n",
                "      <?foreach x in $(var.List)?>\n",
                "        <Property Id=\"P_$(x)\" Value='$$(x) $(env.HOME_X)'><![CDATA[$(x)]]></Property>\n",
                "      <?endforeach?>\n",
                "      <?include part.wxi?>\n",
                "    </Package>\n",
                "  <?elseif $(var.Name) = 1?>\n",
                "    <?warning hm $(Name)?>\n",
                "  <?else?>\n",
                "    <?error no?>\n",
                "  <?endif?>\n",
                "  <?ifdef Name?><?undef Name?><?endif?>\n",
                "</Wix>\n"
            ),
            v4 = V4
        );
        let main = dir.0.join("main.wxs");
        let mut o = opts();
        o.env.insert("HOME_X".into(), "h".into());
        o.env
            .insert("SOURCE_DATE_EPOCH".into(), "1700000000".into());
        o.current_dir = dir.0.clone();
        // The unmutated sample works.
        let p = preprocess_str(&sample, &main, &o).unwrap();
        check(&p);
        assert!(
            p.text
                .contains("<Property Id=\"P_c\" Value='$(x) h'><![CDATA[c]]></Property>"),
            "{}",
            p.text
        );

        let snippets: &[&[u8]] = &[
            b"<?if ",
            b"?>",
            b"<?endif?>",
            b"<?else?>",
            b"$(",
            b"$(var.",
            b")",
            b"<?foreach x in a;b?>",
            b"<?endforeach?>",
            b"<!--",
            b"-->",
            b"<![CDATA[",
            b"]]>",
            b"\"",
            b"'",
            b"<?include part.wxi?>",
            b"<?include main.wxs?>",
            b"not ",
            b" and ",
            b"(",
            b"<",
            b">",
            b"/>",
            b"</",
            b"=",
            b"\n",
            b"\r\n",
            b"\xC3\xA9",
            b"\xFF",
            b"<?define Name=",
            b"$$",
            b"&",
        ];
        let mut rng = Lcg(0x5eed);
        let base = sample.as_bytes().to_vec();
        for round in 0..2000 {
            let mut bytes = base.clone();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(bytes.len() + 1);
                match rng.below(4) {
                    0 if at < bytes.len() => bytes[at] = b"<>?$()\"'=;/!-[] x\n\xC3"[rng.below(19)],
                    1 if at < bytes.len() => {
                        let len = 1 + rng.below(40);
                        bytes.drain(at..(at + len).min(bytes.len()));
                    }
                    2 => {
                        let s = snippets[rng.below(snippets.len())];
                        bytes.splice(at..at, s.iter().copied());
                    }
                    _ => {
                        let from = rng.below(bytes.len());
                        let len = rng.below(60).min(bytes.len() - from);
                        let chunk: Vec<u8> = bytes[from..from + len].to_vec();
                        bytes.splice(at..at, chunk);
                    }
                }
            }
            let result = if round % 10 == 0 {
                std::fs::write(&main, &bytes).unwrap();
                preprocess_file(&main, &o)
            } else {
                preprocess_str(&String::from_utf8_lossy(&bytes), &main, &o)
            };
            match result {
                Ok(p) => {
                    check(&p);
                    let _ = p.location(u32::MAX);
                }
                Err(e) => {
                    assert!(!e.message.is_empty());
                    assert!(e.location.line >= 1 || e.location.line == 0);
                }
            }
        }
    }
}
