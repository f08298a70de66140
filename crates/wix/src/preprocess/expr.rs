//! The `<?if?>` expression language (WiX's `EvaluateExpressionRecurse` and helpers).

use super::escape::Esc;
use super::{clip, Pp, MAX_EXPR_DEPTH};
use crate::Result;

#[derive(Clone, Copy)]
pub(super) enum Op {
    And,
    Or,
    Not,
}

pub(super) fn apply(op: Op, value: bool, prev: bool) -> bool {
    match op {
        Op::And => value && prev,
        Op::Or => value || prev,
        Op::Not => !value,
    }
}

/// WiX's `StartsWithKeyword`: the keyword, case-insensitively, followed by a space or `(`.
pub(super) fn starts_with_keyword(s: &str, kw: &str) -> bool {
    let b = s.as_bytes();
    b.len() > kw.len()
        && b[..kw.len()].eq_ignore_ascii_case(kw.as_bytes())
        && (b[kw.len()] == b' ' || b[kw.len()] == b'(')
}

pub(super) fn is_operator(s: &str) -> bool {
    matches!(s.trim(), "=" | "==" | "!=" | "<" | "<=" | ">" | ">=" | "~=")
}

/// .NET's `String.Equals(a, b, OrdinalIgnoreCase)`: per-character simple upper-casing.
pub(super) fn eq_ignore_case(a: &str, b: &str) -> bool {
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

impl Pp<'_> {
    /// Evaluates an `<?if?>` expression as WiX does: left to right, `AND` and `OR` with equal
    /// precedence, `NOT` applying to the first operand of the rest of the expression (WiX
    /// evaluates `A and not B or C` as `A and (not B or C)`), parentheses grouping,
    /// comparisons binding tightest. Every operand is evaluated (no short circuit), so
    /// errors anywhere are reported.
    pub(super) fn eval_expr(&mut self, expr: &str, id: u32, line: u32) -> Result<bool> {
        self.eval_chain(expr, expr, Op::And, true, id, line, 0)
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn eval_chain(
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
    pub(super) fn parenthesized<'e>(
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
    pub(super) fn atomic<'e>(
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
    pub(super) fn token<'e>(
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
    pub(super) fn operand(
        &mut self,
        orig: &str,
        token: &str,
        id: u32,
        line: u32,
    ) -> Result<String> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preprocess::test_support::*;

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
}
