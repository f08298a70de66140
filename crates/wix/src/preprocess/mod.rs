//! The WiX preprocessor: processing instructions and `$(...)` variables, applied to source
//! text before XML parsing. This file is the driver (options, the per-file item loop, start
//! tags and conditional dispatch); each submodule owns one concern, named in its first line.
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
use std::path::{Path, PathBuf};
use std::rc::Rc;

use super::{Location, Result, Warning, WixError};
use conditions::Conditionals;
use decode::{decode, normalize_newlines};
use directives::misplaced_declaration;
use escape::Esc;
use lexer::{lex, Item, Lexed, StartTag};
use lines::{count_newlines, Out};
use paths::resolve;

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

mod conditions;
pub(crate) mod decode;
mod directives;
mod escape;
mod expr;
mod foreach;
mod include;
mod lexer;
mod lines;
mod paths;
#[cfg(test)]
mod test_support;
mod variables;

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

/// Where one lexed item lies in its file: its text, byte range, and the lines it starts on
/// and ends before.
#[derive(Clone, Copy)]
struct Place<'t> {
    raw: &'t str,
    start: usize,
    end: usize,
    line: u32,
    next_line: u32,
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
    fn run(&mut self, fc: &mut FileCtx, start: usize, end: usize, line: u32) -> Result<()> {
        let text = fc.text.clone();
        let text: &str = &text;
        let mut conds = Conditionals::new();
        let (mut pos, mut line) = (start, line);
        while pos < end {
            let it = self.next_item(text, fc.id, pos, line)?;
            let raw = &text[it.start..it.end];
            let at = Place {
                raw,
                start: it.start,
                end: it.end,
                line,
                next_line: line.saturating_add(count_newlines(raw)),
            };
            let emit = conds.emitting();
            match it.item {
                Item::Pi { target, data } => {
                    (pos, line) = self.instruction(fc, &mut conds, target, data, at, end)?;
                    continue;
                }
                Item::Start(tag) if fc.include && fc.depth == 0 => {
                    self.include_root(fc, &tag, at)?
                }
                Item::Start(tag) => self.element_start(fc, &tag, at, emit)?,
                Item::End => self.element_end(fc, at, emit)?,
                Item::Text => self.text(fc, at, emit)?,
                Item::CData(c0, c1) => self.cdata(fc, &text[c0..c1], at, emit)?,
                // Comments are copied untouched: WiX drops them without looking inside.
                Item::Comment => self.out.copy(emit, raw, fc.id, line),
            }
            (pos, line) = (at.end, at.next_line);
        }
        self.check_closed(&conds, fc.id)
    }

    /// Lexes the item at `pos` (on `line`), once the output and work caps allow another.
    fn next_item<'t>(
        &mut self,
        text: &'t str,
        id: u32,
        pos: usize,
        line: u32,
    ) -> Result<Lexed<'t>> {
        self.work += 1;
        if self.out.text.len() > MAX_OUTPUT || self.work > self.work_limit {
            return Err(self.err(id, line, TOO_LARGE));
        }
        lex(text, pos).map_err(|e| {
            let at = e.pos.clamp(pos, text.len());
            let l = line.saturating_add(count_newlines(&text[pos..at]));
            self.err(id, l, e.msg)
        })
    }

    /// A processing instruction: the conditionals always (nesting is tracked in skipped
    /// branches too), `<?foreach?>`, `<?include?>` and the other directives only in a branch
    /// taken. Returns where processing goes on: after the item, or after a loop's
    /// `<?endforeach?>`.
    fn instruction(
        &mut self,
        fc: &mut FileCtx,
        conds: &mut Conditionals,
        target: &str,
        data: &str,
        at: Place,
        end: usize,
    ) -> Result<(usize, u32)> {
        let (id, line) = (fc.id, at.line);
        match target {
            "if" | "ifdef" | "ifndef" | "elseif" | "else" | "endif" => {
                self.conditional(conds, target, data, id, line)?;
                self.out.newlines(at.raw, id, line);
            }
            _ if !conds.emitting() => {
                if target.eq_ignore_ascii_case("xml") && at.start != 0 {
                    return Err(self.err(id, line, misplaced_declaration()));
                }
                self.out.newlines(at.raw, id, line);
            }
            "foreach" => {
                let (after, after_line) =
                    self.foreach(fc, data, at.end, end, line, at.next_line)?;
                self.out.set_origin(id, after_line);
                return Ok((after, after_line));
            }
            "include" => {
                self.out.newlines(at.raw, id, line);
                self.include(fc, data, line)?;
                self.out.set_origin(id, at.next_line);
            }
            _ => {
                self.directive(fc, target, data, at.start, line)?;
                // The main file's XML declaration stays as written.
                let declaration = target == "xml" && at.start == 0 && !fc.include;
                self.out.copy(declaration, at.raw, id, line);
            }
        }
        Ok((at.end, at.next_line))
    }

    /// A start tag below an included file's root, or anywhere in the main file: copied with
    /// its attribute values substituted where the branch is taken.
    fn element_start(
        &mut self,
        fc: &mut FileCtx,
        tag: &StartTag,
        at: Place,
        emit: bool,
    ) -> Result<()> {
        if emit {
            let s = self.start_tag(fc, tag, at)?;
            self.out.push(&s, fc.id, at.line);
        } else {
            self.out.newlines(at.raw, fc.id, at.line);
        }
        if !tag.empty {
            fc.depth += 1;
        }
        Ok(())
    }

    /// An end tag: an included file's `</Include>` is dropped, any other copied where the
    /// branch is taken.
    fn element_end(&mut self, fc: &mut FileCtx, at: Place, emit: bool) -> Result<()> {
        let (id, line) = (fc.id, at.line);
        if fc.depth == 0 {
            if fc.include {
                return Err(self.err(
                    id,
                    line,
                    "unexpected end tag outside the <Include> root element",
                ));
            }
            // The main file: left for the XML parser to report.
            self.out.copy(emit, at.raw, id, line);
            return Ok(());
        }
        fc.depth -= 1;
        if fc.include && fc.depth == 0 {
            fc.root = Root::Closed;
            self.out.newlines(at.raw, id, line);
        } else {
            self.out.copy(emit, at.raw, id, line);
        }
        Ok(())
    }

    /// Character data, with its variables substituted where the branch is taken.
    fn text(&mut self, fc: &FileCtx, at: Place, emit: bool) -> Result<()> {
        if fc.include && fc.depth == 0 && !at.raw.trim().is_empty() {
            let msg = "text is not allowed outside the <Include> root element";
            return Err(self.err(fc.id, at.line, msg));
        }
        self.substituted(fc.id, at, emit, at.raw, Esc::Text, ("", ""))
    }

    /// A CDATA section: WiX substitutes variables in CDATA too (PreprocessReader, case
    /// CDATA).
    fn cdata(&mut self, fc: &FileCtx, body: &str, at: Place, emit: bool) -> Result<()> {
        if fc.include && fc.depth == 0 {
            let msg = "CDATA is not allowed outside the <Include> root element";
            return Err(self.err(fc.id, at.line, msg));
        }
        self.substituted(fc.id, at, emit, body, Esc::CData, ("<![CDATA[", "]]>"))
    }

    /// Outputs `body` with its variables substituted (escaped for `esc`) between the
    /// `around` markup, where the branch is taken; else only the item's newlines.
    fn substituted(
        &mut self,
        id: u32,
        at: Place,
        emit: bool,
        body: &str,
        esc: Esc,
        around: (&str, &str),
    ) -> Result<()> {
        if !emit {
            self.out.newlines(at.raw, id, at.line);
            return Ok(());
        }
        let mut s = String::with_capacity(at.raw.len());
        s.push_str(around.0);
        self.expand(body, id, at.line, esc, &mut s)?;
        s.push_str(around.1);
        self.out.push(&s, id, at.line);
        Ok(())
    }

    /// A start tag with its attribute values substituted (and, for a child of an
    /// `<Include>` root, the root's namespace declarations added).
    fn start_tag(&mut self, fc: &FileCtx, tag: &StartTag, at: Place) -> Result<String> {
        let text: &str = &fc.text;
        let mut s = String::with_capacity(at.end - at.start + 16);
        let mut last = at.start;
        if fc.include && fc.depth == 1 && !fc.ns_decls.is_empty() {
            s.push_str(&text[last..tag.name_end]);
            for (name, decl) in &fc.ns_decls {
                if !tag.attrs.iter().any(|a| text[a.name.0..a.name.1] == *name) {
                    s.push(' ');
                    s.push_str(decl);
                }
            }
            last = tag.name_end;
        }
        let mut l = at.line;
        for a in &tag.attrs {
            let lit = &text[last..a.value.0];
            l = l.saturating_add(count_newlines(lit));
            s.push_str(lit);
            let value = &text[a.value.0..a.value.1];
            self.expand(value, fc.id, l, Esc::Attr, &mut s)?;
            l = l.saturating_add(count_newlines(value));
            last = a.value.1;
        }
        s.push_str(&text[last..at.end]);
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preprocess::test_support::*;

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
