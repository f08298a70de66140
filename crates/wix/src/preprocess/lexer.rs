//! A small XML lexer: enough to find markup, comments, CDATA, attribute values and text,
//! never a validator.

pub(super) struct Attr {
    pub(super) name: (usize, usize),
    pub(super) value: (usize, usize),
}

pub(super) enum Item<'a> {
    Text,
    Comment,
    CData(usize, usize),
    Pi { target: &'a str, data: &'a str },
    Start(StartTag<'a>),
    End,
}

/// A start tag's name, where the name ends, its attributes, and whether it is `<.../>`.
pub(super) struct StartTag<'a> {
    pub(super) name: &'a str,
    pub(super) name_end: usize,
    pub(super) attrs: Vec<Attr>,
    pub(super) empty: bool,
}

pub(super) struct Lexed<'a> {
    pub(super) item: Item<'a>,
    pub(super) start: usize,
    pub(super) end: usize,
}

pub(super) struct LexError {
    pub(super) pos: usize,
    pub(super) msg: String,
}

pub(super) fn lex_err<T>(pos: usize, msg: impl Into<String>) -> std::result::Result<T, LexError> {
    Err(LexError {
        pos,
        msg: msg.into(),
    })
}

pub(super) fn is_xml_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// XML names, leniently: ASCII name characters plus anything non-ASCII. Invalid names are
/// rejected so that e.g. `<?if$(var.X)?>` is an error rather than an ignored unknown PI.
pub(super) fn is_xml_name(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' || c == ':' || !c.is_ascii() => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | ':' | '-' | '.') || !c.is_ascii())
}

/// Lexes the item starting at `pos` (`pos < text.len()`).
pub(super) fn lex(text: &str, pos: usize) -> std::result::Result<Lexed<'_>, LexError> {
    let rest = &text[pos..];
    let (item, end) = if !rest.starts_with('<') {
        (Item::Text, rest.find('<').map_or(text.len(), |i| pos + i))
    } else if rest.starts_with("<!--") {
        lex_comment(text, pos)?
    } else if rest.starts_with("<![CDATA[") {
        lex_cdata(text, pos)?
    } else if rest.starts_with("<!DOCTYPE") {
        return lex_err(
            pos,
            "document type declarations (DTDs) are not allowed in WiX sources",
        );
    } else if rest.starts_with("<!") {
        return lex_err(
            pos,
            "invalid markup '<!': expected a comment '<!--' or '<![CDATA['",
        );
    } else if rest.starts_with("<?") {
        lex_pi(text, pos)?
    } else if rest.starts_with("</") {
        lex_end_tag(text, pos)?
    } else {
        lex_start_tag(text, pos)?
    };
    Ok(Lexed {
        item,
        start: pos,
        end,
    })
}

/// An item and the position just past it.
type Lexing<'a> = std::result::Result<(Item<'a>, usize), LexError>;

fn lex_comment(text: &str, pos: usize) -> Lexing<'_> {
    match text[pos + 4..].find("-->") {
        Some(i) => Ok((Item::Comment, pos + 4 + i + 3)),
        None => lex_err(pos, "unterminated comment: '<!--' without '-->'"),
    }
}

fn lex_cdata(text: &str, pos: usize) -> Lexing<'_> {
    let start = pos + 9;
    match text[start..].find("]]>") {
        Some(i) => Ok((Item::CData(start, start + i), start + i + 3)),
        None => lex_err(pos, "unterminated CDATA section: '<![CDATA[' without ']]>'"),
    }
}

fn lex_pi(text: &str, pos: usize) -> Lexing<'_> {
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
    Ok((Item::Pi { target, data }, pos + 2 + i + 2))
}

fn lex_end_tag(text: &str, pos: usize) -> Lexing<'_> {
    let Some(i) = text[pos + 2..].find('>') else {
        return lex_err(pos, "unterminated end tag");
    };
    let name = text[pos + 2..pos + 2 + i].trim_end_matches(|c: char| c.is_ascii_whitespace());
    if !is_xml_name(name) {
        return lex_err(pos, "malformed end tag");
    }
    Ok((Item::End, pos + 2 + i + 1))
}

/// A start tag: its name, then attributes until `>` or `/>`.
fn lex_start_tag(text: &str, pos: usize) -> Lexing<'_> {
    let b = text.as_bytes();
    let name_end = skip_name(b, pos + 1);
    let name = &text[pos + 1..name_end];
    if !is_xml_name(name) {
        return lex_err(pos, "'<' must start a tag; write '&lt;' for a literal '<'");
    }
    let mut i = name_end;
    let mut attrs = Vec::new();
    loop {
        let ws_start = i;
        i = skip_ws(b, i);
        if i >= b.len() {
            return lex_err(pos, format!("unterminated start tag <{name}>"));
        }
        let empty = match b[i] {
            b'>' => Some(false),
            b'/' if b.get(i + 1) == Some(&b'>') => Some(true),
            _ if i == ws_start => return lex_err(i, format!("malformed start tag <{name}>")),
            _ => None,
        };
        if let Some(empty) = empty {
            let tag = StartTag {
                name,
                name_end,
                attrs,
                empty,
            };
            return Ok((Item::Start(tag), i + 1 + usize::from(empty)));
        }
        let attr = lex_attr(text, i, name)?;
        i = attr.value.1 + 1;
        attrs.push(attr);
    }
}

/// One `name = "value"` attribute starting at `n0`, in the start tag of element `tag`.
fn lex_attr(text: &str, n0: usize, tag: &str) -> std::result::Result<Attr, LexError> {
    let b = text.as_bytes();
    let n1 = skip_name(b, n0);
    if n0 == n1 || !is_xml_name(&text[n0..n1]) {
        return lex_err(n0, format!("malformed attribute in start tag <{tag}>"));
    }
    let attr = &text[n0..n1];
    let mut i = skip_ws(b, n1);
    if b.get(i) != Some(&b'=') {
        return lex_err(n0, format!("attribute '{attr}' has no value"));
    }
    i = skip_ws(b, i + 1);
    let quote = match b.get(i) {
        Some(&q @ (b'"' | b'\'')) => q,
        _ => {
            return lex_err(
                n0,
                format!("the value of attribute '{attr}' must be quoted"),
            )
        }
    };
    let v0 = i + 1;
    let Some(len) = b[v0..].iter().position(|&c| c == quote) else {
        return lex_err(n0, format!("unterminated value of attribute '{attr}'"));
    };
    let v1 = v0 + len;
    if let Some(lt) = b[v0..v1].iter().position(|&c| c == b'<') {
        return lex_err(
            v0 + lt,
            "'<' is not allowed in an attribute value; write '&lt;'",
        );
    }
    Ok(Attr {
        name: (n0, n1),
        value: (v0, v1),
    })
}

/// Where the name-like run of bytes starting at `i` ends: at whitespace, the end, or a
/// byte that delimits names in a tag.
fn skip_name(b: &[u8], mut i: usize) -> usize {
    while i < b.len()
        && !is_xml_ws(b[i])
        && !matches!(b[i], b'>' | b'/' | b'<' | b'"' | b'\'' | b'=')
    {
        i += 1;
    }
    i
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && is_xml_ws(b[i]) {
        i += 1;
    }
    i
}

pub(super) fn local_name(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

#[cfg(test)]
mod tests {
    use crate::preprocess::test_support::*;

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
}
