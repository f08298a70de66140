//! Decoding of source files: byte-order marks, the declared encoding and line-end
//! normalisation, as an XML reader does before WiX's preprocessor sees the text.

use std::path::Path;

use crate::{Location, Result, WixError};

/// Decodes a source file the way an XML reader does: a byte-order mark wins, then the
/// `encoding` of the XML declaration, then UTF-8. Line ends are normalised to `\n` (as XML
/// requires before parsing), so line counting and the later parser agree.
pub(crate) fn decode(bytes: &[u8], file: &Path) -> Result<String> {
    use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, UTF_8};
    let bad = |what: &str| {
        WixError::new(
            Location::file(file),
            format!("the file is not valid {what}"),
        )
    };
    let text: String = if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        utf8(rest, file)?
    } else if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        UTF_16LE
            .decode_without_bom_handling_and_without_replacement(rest)
            .ok_or_else(|| bad("UTF-16LE"))?
            .into_owned()
    } else if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        UTF_16BE
            .decode_without_bom_handling_and_without_replacement(rest)
            .ok_or_else(|| bad("UTF-16BE"))?
            .into_owned()
    } else if bytes.starts_with(b"<\0") {
        // UTF-16 without a byte-order mark: XML readers detect it from the first '<'.
        UTF_16LE
            .decode_without_bom_handling_and_without_replacement(bytes)
            .ok_or_else(|| bad("UTF-16LE"))?
            .into_owned()
    } else if bytes.starts_with(b"\0<") {
        UTF_16BE
            .decode_without_bom_handling_and_without_replacement(bytes)
            .ok_or_else(|| bad("UTF-16BE"))?
            .into_owned()
    } else {
        match declared_encoding(bytes) {
            None => utf8(bytes, file)?,
            Some(label) => match Encoding::for_label(label.as_bytes()) {
                None => {
                    return Err(WixError::new(
                        Location::new(file, 1),
                        format!("unsupported encoding '{label}' in the XML declaration"),
                    ))
                }
                // A declaration readable as ASCII cannot be UTF-16: treat the file as UTF-8.
                Some(enc) if enc == UTF_8 || enc == UTF_16LE || enc == UTF_16BE => {
                    utf8(bytes, file)?
                }
                Some(enc) => enc
                    .decode_without_bom_handling_and_without_replacement(bytes)
                    .ok_or_else(|| bad(enc.name()))?
                    .into_owned(),
            },
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    Ok(normalize_newlines(text))
}

pub(super) fn utf8(bytes: &[u8], file: &Path) -> Result<String> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(s.to_string()),
        Err(e) => {
            let good = &bytes[..e.valid_up_to()];
            let line = 1 + good.iter().filter(|&&b| b == b'\n').count() as u32;
            Err(WixError::new(
                Location::new(file, line),
                "the file is not valid UTF-8; save it as UTF-8 or declare its encoding \
                 in the XML declaration",
            ))
        }
    }
}

/// The `encoding` pseudo-attribute of a leading `<?xml ...?>` declaration, if any.
pub(super) fn declared_encoding(bytes: &[u8]) -> Option<String> {
    if !bytes.starts_with(b"<?xml") {
        return None;
    }
    let head = &bytes[..bytes.len().min(1024)];
    let end = head.windows(2).position(|w| w == b"?>")?;
    let decl = String::from_utf8_lossy(&head[..end]);
    let at = decl.find("encoding")?;
    let rest = decl[at + "encoding".len()..]
        .trim_start()
        .strip_prefix('=')?
        .trim_start();
    let quote = rest.chars().next().filter(|&c| c == '"' || c == '\'')?;
    let rest = &rest[1..];
    let close = rest.find(quote)?;
    Some(rest[..close].trim().to_string())
}

/// `\r\n` and lone `\r` become `\n` (XML 1.0 §2.11).
pub(super) fn normalize_newlines(s: &str) -> String {
    if !s.contains('\r') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' {
            out.push('\n');
            if chars.peek() == Some(&'\n') {
                chars.next();
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preprocess::test_support::*;

    #[test]
    fn decoding_and_line_ends() {
        let dir = TempDir::new("enc");
        let mut utf16 = vec![0xFF, 0xFE];
        for u in "<W a=\"é\">\r\n<X/></W>".encode_utf16() {
            utf16.extend_from_slice(&u.to_le_bytes());
        }
        let p = preprocess_file(&dir.write("u16.wxs", utf16), &opts()).unwrap();
        assert_eq!(p.text, "<W a=\"é\">\n<X/></W>");
        let p = preprocess_file(
            &dir.write(
                "cp.wxs",
                b"<?xml version=\"1.0\" encoding=\"windows-1252\"?>\r<W a=\"\xE9\"/>",
            ),
            &opts(),
        )
        .unwrap();
        assert_eq!(
            p.text,
            "<?xml version=\"1.0\" encoding=\"windows-1252\"?>\n<W a=\"é\"/>"
        );
        let p = preprocess_file(
            &dir.write("bom.wxs", b"\xEF\xBB\xBF<?xml version=\"1.0\"?><W/>"),
            &opts(),
        )
        .unwrap();
        assert_eq!(p.text, "<?xml version=\"1.0\"?><W/>");
        let bad = dir.write("bad.wxs", b"<W>\n\n<X a=\"\xFF\"/></W>");
        assert_err(
            &preprocess_file(&bad, &opts()).unwrap_err(),
            &bad.display().to_string(),
            3,
            "not valid UTF-8",
        );
        let unk = dir.write(
            "unk.wxs",
            b"<?xml version=\"1.0\" encoding=\"klingon\"?><W/>",
        );
        assert!(preprocess_file(&unk, &opts())
            .unwrap_err()
            .message
            .contains("unsupported encoding"));
        let missing = dir.0.join("nope.wxs");
        assert!(preprocess_file(&missing, &opts())
            .unwrap_err()
            .message
            .contains("cannot read source file"));
        let p = pp("\u{feff}<W>\r\n<?if 1 = 2?>\r\n<X/>\r\n<?endif?>\r\n<Y/></W>");
        assert_eq!(p.text, "<W>\n\n\n\n<Y/></W>");
        assert_eq!(p.location(5), Location::new("main.wxs", 5));
    }
}
