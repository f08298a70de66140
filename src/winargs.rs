//! Windows command-line quoting: one argument, or a list of them as one command line, such
//! that `CommandLineToArgvW` (and the Microsoft C runtime, and Rust's `std::env::args` on
//! Windows) reads back exactly the arguments given. Every command line svcpack writes for
//! Windows goes through here: service arguments in the MSI and in sc.exe's `binPath=`, the
//! installer helper's command lines, and the netsh calls of the portable scripts. A leaf
//! module: it imports nothing of the crate, so everything may use it.

/// Quotes one argument so that `CommandLineToArgvW` (and the Microsoft C runtime, and
/// Rust's `std::env::args` on Windows) reads it back unchanged. Arguments without
/// whitespace or quotes are left as they are.
pub fn quote_windows_arg(arg: &str) -> String {
    let needs_quotes = arg.is_empty() || arg.contains([' ', '\t', '\n', '\u{b}', '"']);
    if !needs_quotes {
        return arg.to_string();
    }
    let mut out = String::with_capacity(arg.len() + 2);
    out.push('"');
    let mut backslashes = 0;
    for c in arg.chars() {
        match c {
            '\\' => backslashes += 1,
            '"' => {
                // Each backslash before a quote is doubled, and the quote itself escaped.
                push_backslashes(&mut out, 2 * backslashes + 1);
                out.push('"');
                backslashes = 0;
            }
            _ => {
                push_backslashes(&mut out, backslashes);
                out.push(c);
                backslashes = 0;
            }
        }
    }
    // Backslashes before the closing quote would escape it: double them.
    push_backslashes(&mut out, 2 * backslashes);
    out.push('"');
    out
}

fn push_backslashes(out: &mut String, n: usize) {
    out.extend(std::iter::repeat('\\').take(n));
}

/// The arguments as one Windows command line (each quoted by [`quote_windows_arg`],
/// separated by single spaces): what follows the quoted program path in a service's
/// ImagePath, in the MSI's `ServiceInstall/@Arguments` as in `sc.exe binPath=`.
pub fn windows_command_line<S: AsRef<str>>(args: &[S]) -> String {
    args.iter()
        .map(|a| quote_windows_arg(a.as_ref()))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The installer helper's own splitter, which follows `CommandLineToArgvW`'s rules.
    fn split(line: &str) -> Vec<String> {
        crate::helper::settings::split_args(line)
    }

    #[test]
    fn quoting_follows_windows_rules() {
        for (arg, want) in [
            ("plain", "plain"),
            ("", "\"\""),
            ("two words", "\"two words\""),
            ("tab\there", "\"tab\there\""),
            ("say \"hi\"", "\"say \\\"hi\\\"\""),
            ("C:\\dir\\", "C:\\dir\\"),
            ("C:\\my dir\\", "\"C:\\my dir\\\\\""),
            ("a\\\\\"b", "\"a\\\\\\\\\\\"b\""),
            ("50%", "50%"),
            ("$HOME;&|<>^'", "$HOME;&|<>^'"),
            ("✓ Überwachung", "\"✓ Überwachung\""),
            ("\\\\server\\share", "\\\\server\\share"),
        ] {
            assert_eq!(quote_windows_arg(arg), want, "{arg}");
        }
    }

    #[test]
    fn quoting_round_trips() {
        let samples = [
            "",
            " ",
            "\"",
            "\\",
            "\\\"",
            "\"\\",
            "a b",
            "a\\ b\\",
            "a\"b\"c",
            "\\\\\"\\\\",
            "x\ny",
            "x\u{b}y",
            "end\\\\",
            "'quoted'",
            "‘smart’",
            "日本語 テキスト",
            "--label=\"two words\"",
            "C:\\Program Files\\x\\",
        ];
        let args: Vec<String> = samples.iter().map(|s| s.to_string()).collect();
        assert_eq!(split(&windows_command_line(&args)), args);
        for a in &args {
            assert_eq!(
                split(&quote_windows_arg(a)),
                std::slice::from_ref(a),
                "{a:?}"
            );
        }
    }
}
