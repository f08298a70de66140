//! Conditional state of `<?if?>`/`<?elseif?>`/`<?else?>`/`<?endif?>` nesting (WiX's
//! `IfContext`), and the directives that change it.

use super::directives::unmatched;
use super::Pp;
use crate::Result;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum IfState {
    Unknown,
    If,
    ElseIf,
    Else,
}

/// One level of `<?if?>` nesting, mirroring WiX's `IfContext`: `active` is whether every
/// enclosing level is true, `keep` whether this branch is taken, `was_ever_true` whether any
/// branch so far was (so later `<?elseif?>`/`<?else?>` are not taken).
#[derive(Clone, Copy)]
pub(super) struct IfCtx {
    pub(super) active: bool,
    pub(super) keep: bool,
    pub(super) was_ever_true: bool,
    pub(super) state: IfState,
    pub(super) line: u32,
    pub(super) directive: &'static str,
}

impl IfCtx {
    pub(super) fn top() -> Self {
        IfCtx {
            active: true,
            keep: true,
            was_ever_true: true,
            state: IfState::Unknown,
            line: 0,
            directive: "",
        }
    }

    pub(super) fn new(active: bool, keep: bool, line: u32, directive: &'static str) -> Self {
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
    pub(super) fn dormant(line: u32, directive: &'static str) -> Self {
        IfCtx {
            active: false,
            keep: false,
            was_ever_true: true,
            state: IfState::If,
            line,
            directive,
        }
    }

    pub(super) fn set_keep(&mut self, keep: bool) {
        self.keep = keep;
        if keep {
            self.was_ever_true = true;
        }
    }

    pub(super) fn emitting(&self) -> bool {
        self.active && self.keep
    }
}

/// The `<?if?>` nesting of one file or loop body: the enclosing levels and the current one.
pub(super) struct Conditionals {
    stack: Vec<IfCtx>,
    cur: IfCtx,
}

impl Conditionals {
    pub(super) fn new() -> Self {
        Conditionals {
            stack: Vec::new(),
            cur: IfCtx::top(),
        }
    }

    /// Whether content here is in a branch taken (and every enclosing one).
    pub(super) fn emitting(&self) -> bool {
        self.cur.emitting()
    }

    /// Whether an `<?elseif?>` or `<?else?>` may follow here: inside an `<?if?>` not yet
    /// given its `<?else?>`.
    fn in_if_branch(&self) -> bool {
        !self.stack.is_empty() && matches!(self.cur.state, IfState::If | IfState::ElseIf)
    }
}

impl Pp<'_> {
    /// One of `<?if?>`, `<?ifdef?>`, `<?ifndef?>`, `<?elseif?>`, `<?else?>`, `<?endif?>`
    /// (`target`), on `line` of file `id`. They are tracked in skipped branches too, so that
    /// nesting stays matched, but never evaluated there.
    pub(super) fn conditional(
        &mut self,
        conds: &mut Conditionals,
        target: &str,
        data: &str,
        id: u32,
        line: u32,
    ) -> Result<()> {
        match target {
            "if" => self.open_if(conds, "if", data, id, line),
            "ifdef" => self.open_if(conds, "ifdef", data, id, line),
            "ifndef" => self.open_if(conds, "ifndef", data, id, line),
            "elseif" => self.elseif(conds, data, id, line),
            "else" => self.else_branch(conds, id, line),
            _ => self.endif(conds, id, line),
        }
    }

    /// `<?if expr?>`, `<?ifdef name?>` or `<?ifndef name?>` (`directive`): a new level,
    /// evaluated only inside a branch taken.
    fn open_if(
        &mut self,
        conds: &mut Conditionals,
        directive: &'static str,
        data: &str,
        id: u32,
        line: u32,
    ) -> Result<()> {
        let cur = conds.cur;
        conds.stack.push(cur);
        conds.cur = if cur.keep {
            let taken = match directive {
                "if" => self.eval_expr(data, id, line)?,
                "ifdef" => self.is_defined(data.trim(), id, line)?,
                _ => !self.is_defined(data.trim(), id, line)?,
            };
            IfCtx::new(cur.keep && cur.active, taken, line, directive)
        } else {
            IfCtx::dormant(line, directive)
        };
        Ok(())
    }

    /// `<?elseif expr?>`: evaluated only while no earlier branch of its `<?if?>` was taken.
    fn elseif(&mut self, conds: &mut Conditionals, data: &str, id: u32, line: u32) -> Result<()> {
        if !conds.in_if_branch() {
            return Err(self.err(id, line, unmatched("if", "elseif")));
        }
        let cur = &mut conds.cur;
        cur.state = IfState::ElseIf;
        if !cur.was_ever_true {
            let taken = self.eval_expr(data, id, line)?;
            cur.set_keep(taken);
        } else if cur.keep {
            cur.set_keep(false);
        }
        Ok(())
    }

    /// `<?else?>`: taken when no earlier branch of its `<?if?>` was.
    fn else_branch(&mut self, conds: &mut Conditionals, id: u32, line: u32) -> Result<()> {
        if !conds.in_if_branch() {
            return Err(self.err(id, line, unmatched("if", "else")));
        }
        conds.cur.state = IfState::Else;
        let taken = !conds.cur.was_ever_true;
        conds.cur.set_keep(taken);
        Ok(())
    }

    /// `<?endif?>`: back to the enclosing level.
    fn endif(&mut self, conds: &mut Conditionals, id: u32, line: u32) -> Result<()> {
        match conds.stack.pop() {
            Some(parent) => conds.cur = parent,
            None => return Err(self.err(id, line, unmatched("if", "endif"))),
        }
        Ok(())
    }

    /// The end of a file or loop body must close every `<?if?>` opened in it: the error
    /// names the innermost one still open, at its line.
    pub(super) fn check_closed(&self, conds: &Conditionals, id: u32) -> Result<()> {
        if conds.stack.is_empty() {
            return Ok(());
        }
        let end = match conds.cur.directive {
            "" => "if",
            d => d,
        };
        Err(self.err(
            id,
            conds.cur.line,
            format!(
                "Found a <?{end}?> processing instruction without a matching <?endif?> \
                 after it."
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use crate::preprocess::test_support::*;

    #[test]
    pub(super) fn if_elseif_else_nesting() {
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
    pub(super) fn ifdef_forms() {
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
    pub(super) fn unmatched_conditionals_are_errors_with_location() {
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
    pub(super) fn skipped_branches_are_not_evaluated() {
        // Undefined variables, bad expressions and errors in skipped branches are ignored.
        let p = pp("<W><?if 1 = 2?><?if $(var.Nope) = 1?><?error no?><?endif?><X a=\"$(var.Nope)\"/>$(Nope)<?include missing.wxi?><?foreach x in a?><?endif?></W>");
        assert_eq!(p.text, "<W></W>");
        let p = pp("<?if 1 = 1?><a/><?elseif $(var.Nope) = 1?><b/><?else?><c/><?endif?>");
        assert_eq!(p.text, "<a/>");
    }
}
