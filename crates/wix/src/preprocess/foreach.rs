//! `<?foreach?>` loops and the nesting limit shared with `<?include?>`.

use super::escape::Esc;
use super::lexer::{lex, Item};
use super::lines::count_newlines;
use super::{clip, FileCtx, Pp, MAX_NESTING, TOO_LARGE};
use crate::Result;

impl Pp<'_> {
    /// `<?foreach VAR in a;b;c?>`: finds the matching `<?endforeach?>` and processes the body
    /// once per value. Returns where processing continues (after `<?endforeach?>`).
    pub(super) fn foreach(
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

    pub(super) fn enter(&mut self, id: u32, line: u32) -> Result<()> {
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preprocess::test_support::*;

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
}
