//! Conditional state of `<?if?>`/`<?elseif?>`/`<?else?>`/`<?endif?>` nesting (WiX's
//! `IfContext`).

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
