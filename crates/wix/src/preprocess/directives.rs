//! The directives without structure: `<?define?>`, `<?undef?>`, `<?warning?>`,
//! `<?error?>`, `<?pragma?>`, the XML declaration and unknown processing instructions.

use super::escape::Esc;
use super::{clip, FileCtx, Pp};
use crate::Result;

impl Pp<'_> {
    /// The directives without structure: define, undef, warning, error, pragma, endforeach
    /// (unmatched), the XML declaration, and unknown PIs (ignored, as WiX does).
    pub(super) fn directive(
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
    pub(super) fn define(&mut self, data: &str, id: u32, line: u32) -> Result<()> {
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
    pub(super) fn set_var(&mut self, name: String, value: String, warn: bool, id: u32, line: u32) {
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

    pub(super) fn pragma(&mut self, data: &str, id: u32, line: u32) -> Result<()> {
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
}

/// Splits `<?define?>` data into name and value exactly as WiX's regex
/// `^\s*(?<name>.+?)\s*(=\s*(?<value>.+?)\s*)?$` does; `None` if it does not match.
pub(super) fn split_define(data: &str) -> Option<(&str, &str)> {
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

pub(super) fn unmatched(begin: &str, end: &str) -> String {
    format!("Found a <?{end}?> processing instruction without a matching <?{begin}?> before it.")
}

pub(super) fn misplaced_declaration() -> &'static str {
    "the XML declaration <?xml ...?> is only allowed at the very start of a file"
}

pub(super) fn invalid_pragma(name: &str) -> String {
    format!(
        "Malformed preprocessor pragma '{}'. Pragmas must have a prefix, a name \
         of at least 1 character long, and be followed by optional arguments.",
        clip(name)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preprocess::test_support::*;

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
}
