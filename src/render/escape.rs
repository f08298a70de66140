//! Escaping for the three interpreters a value crosses (XML, the WiX preprocessor, Windows
//! Installer's Formatted columns), Windows command-line quoting, and the check that every
//! string is one XML can carry. See the render module docs.

use serde_json::Value;

use super::RenderError;

/// XML- and preprocessor-escapes text for an attribute value (see the module docs).
pub fn escape_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Attribute-value normalisation would turn these into spaces.
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            // `$$` is the WiX preprocessor's escape for `$` (it would expand `$(var.X)`).
            '$' => out.push_str("$$"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes text for a column of type Formatted so Windows Installer shows it literally:
/// `[`, `]`, `{` and `}` become `[\[]`, `[\]]`, `[\{]` and `[\}]`.
pub fn escape_formatted(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '[' | ']' | '{' | '}' => {
                out.push_str("[\\");
                out.push(c);
                out.push(']');
            }
            c => out.push(c),
        }
    }
    out
}

/// Joins arguments into one command line that `CommandLineToArgvW` (and the Microsoft C
/// runtime) split back into exactly these arguments.
///
/// An argument is quoted when it is empty or holds a space, tab, newline, vertical tab or
/// `"`; inside quotes, backslashes are doubled where they precede a `"` (or the closing
/// quote) and each `"` becomes `\"`. Backslashes elsewhere are literal, so
/// `C:\Program Files\x\` stays readable.
pub fn quote_windows_args<S: AsRef<str>>(args: &[S]) -> String {
    // The same quoting the portable zip's sc.exe command lines use, so the MSI and the
    // zip register identical ImagePaths.
    crate::winargs::windows_command_line(args)
}

/// XML 1.0's `Char` production: what a document may contain, even as a reference.
pub(super) fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Checks every string in the data, naming the first one XML cannot carry.
pub(super) fn check_xml_text(value: &Value, path: &str) -> Result<(), RenderError> {
    match value {
        Value::String(s) => match s.chars().find(|c| !is_xml_char(*c)) {
            Some(c) => Err(RenderError::InvalidText {
                what: path.to_string(),
                code: u32::from(c),
            }),
            None => Ok(()),
        },
        Value::Array(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(n, v)| check_xml_text(v, &format!("{path}[{n}]"))),
        Value::Object(map) => map.iter().try_for_each(|(k, v)| {
            let p = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            check_xml_text(v, &p)
        }),
        _ => Ok(()),
    }
}
