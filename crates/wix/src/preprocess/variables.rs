//! `$(...)` substitution: the `var.`, `env.` and `sys.` namespaces, `$$`, and
//! `$(fun.AutoVersion(...))` (WiX's `PreprocessString`, `GetVariableValue`,
//! `EvaluateFunction`).

use std::path::Path;

use super::escape::{escape_into, push_literal, Esc};
use super::lines::count_newlines;
use super::paths::dir_with_separator;
use super::{clip, Pp};
use crate::Result;

impl Pp<'_> {
    /// Substitutes `$(...)` in `s` (which starts on `line`) into `out`: `$$` is a literal
    /// `$`, `$(loc.X)` is left for the binder, a lone `$` stays. Literal text is copied as is;
    /// substituted values are escaped for `esc`. Values are not rescanned.
    pub(super) fn expand(
        &mut self,
        s: &str,
        id: u32,
        line: u32,
        esc: Esc,
        out: &mut String,
    ) -> Result<()> {
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
    pub(super) fn variable(&mut self, name: &str, id: u32, line: u32) -> Result<Option<String>> {
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

    pub(super) fn prefixed(
        &mut self,
        prefix: &str,
        name: &str,
        id: u32,
        line: u32,
    ) -> Option<String> {
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
    pub(super) fn function(&mut self, call: &str, id: u32, line: u32) -> Result<Option<String>> {
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
    pub(super) fn auto_version(&self, base: &str) -> String {
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
    pub(super) fn is_defined(&mut self, name: &str, id: u32, line: u32) -> Result<bool> {
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
}

pub(super) fn invalid_variable(rest: &str) -> String {
    let v = clip(rest.strip_prefix('(').unwrap_or(rest));
    format!(
        "Ill-formed preprocessor variable '$({v})'. Variables must have a \
         prefix (like 'var.', 'env.', or 'sys.') and a name at least 1 \
         character long. If the literal string '$({v})' is desired, use \
         '$$({v})'."
    )
}

pub(super) fn invalid_function(rest: &str) -> String {
    format!(
        "Ill-formed preprocessor function '${}'. Functions must have a prefix \
         (like 'fun.'), a name at least 1 character long, and matching opening \
         and closing parentheses.",
        clip(rest)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preprocess::test_support::*;

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
}
