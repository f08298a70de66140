//! `<?include?>`: finding, decoding and splicing included files.

use std::path::{Path, PathBuf};
use std::rc::Rc;

use super::decode::decode;
use super::escape::Esc;
use super::lexer::{local_name, StartTag};
use super::lines::count_newlines;
use super::paths::resolve;
use super::{FileCtx, Place, Pp, Root};
use crate::Result;

impl Pp<'_> {
    /// `<?include path?>`: the including file's directory first, then the `-I` directories.
    pub(super) fn include(&mut self, fc: &FileCtx, data: &str, line: u32) -> Result<()> {
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
    /// The root start tag of an included file: it must be the one `<Include>`; it is
    /// dropped and its namespace declarations kept for the children spliced in its place.
    pub(super) fn include_root(
        &mut self,
        fc: &mut FileCtx,
        tag: &StartTag,
        at: Place,
    ) -> Result<()> {
        let (id, line, text) = (fc.id, at.line, fc.text.clone());
        if fc.root != Root::NotSeen {
            return Err(self.err(
                id,
                line,
                "an included file must have a single root element <Include>",
            ));
        }
        let name = tag.name;
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
        fc.ns_decls = tag
            .attrs
            .iter()
            .filter_map(|a| {
                let n = &text[a.name.0..a.name.1];
                (n == "xmlns" || n.starts_with("xmlns:")).then(|| {
                    let decl = text[a.name.0..a.value.1 + 1].replace('\n', " ");
                    (n.to_string(), decl)
                })
            })
            .collect();
        fc.root = if tag.empty { Root::Closed } else { Root::Open };
        if !tag.empty {
            fc.depth = 1;
        }
        self.out.newlines(at.raw, id, line);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preprocess::test_support::*;

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
}
