//! Escaping of substituted values for where they land (text, attribute value, CDATA).

/// Where a substituted value lands, which decides how it is escaped so that the XML parser
/// gives back exactly the value (WiX substitutes into already-parsed values).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Esc {
    /// Processing-instruction data: used by the preprocessor itself, never escaped.
    Plain,
    Text,
    Attr,
    CData,
}

pub(super) fn escape_into(value: &str, esc: Esc, out: &mut String) {
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
pub(super) fn push_literal(lit: &str, esc: Esc, out: &mut String) {
    if esc == Esc::CData && lit.starts_with('>') && out.ends_with("]]") {
        out.push_str("]]><![CDATA[");
    }
    out.push_str(lit);
}

#[cfg(test)]
mod tests {
    use crate::preprocess::test_support::*;

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
}
