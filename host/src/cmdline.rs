//! The child's command line and environment block, built as CreateProcessW wants them.
//! Platform independent (UTF-16 buffers), so it is tested everywhere.

/// `"<program>" <arguments>`: the program path in plain quotes (the first word of a
/// command line is split without escape processing, and a path cannot hold `"`), then
/// each argument quoted so `CommandLineToArgvW` and the C runtime split it back exactly.
pub fn command_line(program: &str, args: &[String]) -> String {
    let mut line = String::with_capacity(program.len() + 2);
    line.push('"');
    line.push_str(program);
    line.push('"');
    for arg in args {
        line.push(' ');
        quote_arg(arg, &mut line);
    }
    line
}

/// Appends one argument: unquoted when it has no space, tab, newline, vertical tab or `"`
/// and is not empty; otherwise in quotes, with backslashes doubled where they precede a
/// `"` (or the closing quote) and each `"` written as `\"`.
pub fn quote_arg(arg: &str, out: &mut String) {
    let needs_quotes = arg.is_empty() || arg.contains(&[' ', '\t', '\n', '\u{b}', '"'][..]);
    if !needs_quotes {
        out.push_str(arg);
        return;
    }
    out.push('"');
    let mut backslashes = 0usize;
    for c in arg.chars() {
        match c {
            '\\' => backslashes += 1,
            '"' => {
                push_n(out, '\\', backslashes * 2 + 1);
                out.push('"');
                backslashes = 0;
            }
            c => {
                push_n(out, '\\', backslashes);
                out.push(c);
                backslashes = 0;
            }
        }
    }
    push_n(out, '\\', backslashes * 2);
    out.push('"');
}

fn push_n(out: &mut String, c: char, n: usize) {
    for _ in 0..n {
        out.push(c);
    }
}

/// The environment block for the child: `current` (the host's own entries,
/// `NAME=VALUE` each, as GetEnvironmentStringsW lists them) with `extra` set on top.
/// Names compare without regard to case, as Windows does; the block is sorted the same
/// way (CreateProcess expects a sorted block), each entry NUL-terminated and the whole
/// block ending in one more NUL.
pub fn environment_block(current: &[Vec<u16>], extra: &[(String, String)]) -> Vec<u16> {
    let mut entries: Vec<Vec<u16>> = Vec::new();
    for entry in current {
        let name = entry_name(entry);
        let replaced = extra
            .iter()
            .any(|(n, _)| fold(&n.encode_utf16().collect::<Vec<_>>()) == fold(name));
        if !replaced && !entry.is_empty() {
            entries.push(entry.clone());
        }
    }
    for (name, value) in extra {
        let mut e: Vec<u16> = name.encode_utf16().collect();
        e.push(u16::from(b'='));
        e.extend(value.encode_utf16());
        entries.push(e);
    }
    entries.sort_by_key(|e| fold(entry_name(e)));
    let mut block = Vec::new();
    for e in entries {
        block.extend_from_slice(&e);
        block.push(0);
    }
    if block.is_empty() {
        block.push(0);
    }
    block.push(0);
    block
}

/// The name part of `NAME=VALUE`; a leading `=` belongs to the name (the hidden
/// per-drive `=C:=C:\dir` entries).
fn entry_name(entry: &[u16]) -> &[u16] {
    let eq = u16::from(b'=');
    match entry.iter().skip(1).position(|&u| u == eq) {
        Some(p) => &entry[..p + 1],
        None => entry,
    }
}

/// Upper-cases for comparison, unit by unit (as Windows compares environment names).
fn fold(name: &[u16]) -> Vec<u16> {
    name.iter()
        .map(|&u| match char::from_u32(u32::from(u)) {
            Some(c) => {
                let mut up = c.to_uppercase();
                match (up.next(), up.next()) {
                    (Some(one), None) if (one as u32) <= 0xFFFF => one as u32 as u16,
                    _ => u,
                }
            }
            None => u,
        })
        .collect()
}

/// Splits a GetEnvironmentStringsW block (entries ending in NUL, the block in a second
/// NUL) into its entries.
pub fn split_block(block: &[u16]) -> Vec<Vec<u16>> {
    let mut out = Vec::new();
    for entry in block.split(|&u| u == 0) {
        if entry.is_empty() {
            break;
        }
        out.push(entry.to_vec());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// CommandLineToArgvW's rules for the arguments after the program name.
    fn split(line: &str) -> Vec<String> {
        let mut args = Vec::new();
        let chars: Vec<char> = line.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            while i < chars.len() && (chars[i] == ' ' || chars[i] == '\t') {
                i += 1;
            }
            if i >= chars.len() {
                break;
            }
            let mut arg = String::new();
            let mut quoted = false;
            while i < chars.len() && (quoted || (chars[i] != ' ' && chars[i] != '\t')) {
                let mut slashes = 0;
                while i < chars.len() && chars[i] == '\\' {
                    slashes += 1;
                    i += 1;
                }
                if i < chars.len() && chars[i] == '"' {
                    push_n(&mut arg, '\\', slashes / 2);
                    if slashes % 2 == 1 {
                        arg.push('"');
                    } else if quoted && i + 1 < chars.len() && chars[i + 1] == '"' {
                        arg.push('"');
                        i += 1;
                    } else {
                        quoted = !quoted;
                    }
                    i += 1;
                } else {
                    push_n(&mut arg, '\\', slashes);
                    if i < chars.len() && (quoted || (chars[i] != ' ' && chars[i] != '\t')) {
                        arg.push(chars[i]);
                        i += 1;
                    }
                }
            }
            args.push(arg);
        }
        args
    }

    #[test]
    fn arguments_survive_the_round_trip() {
        let args: Vec<String> = [
            "--port",
            "18431",
            "",
            "two words",
            "a\"b",
            "C:\\Program Files\\x\\",
            "\\\\server\\share\\",
            "tab\there",
            "trailing\\\\",
            "\"",
            "ünïcode ✓",
            "[Prop] {x} $(var.X) 100%",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let line = command_line("C:\\Program Files\\App\\app.exe", &args);
        assert!(line.starts_with("\"C:\\Program Files\\App\\app.exe\" --port 18431 \"\" "));
        let rest = &line["\"C:\\Program Files\\App\\app.exe\" ".len()..];
        assert_eq!(split(rest), args);
        // Backslashes not before a quote stay single.
        let mut out = String::new();
        quote_arg("C:\\Program Files\\x\\", &mut out);
        assert_eq!(out, "\"C:\\Program Files\\x\\\\\"");
    }

    fn w(s: &str) -> Vec<u16> {
        s.encode_utf16().collect()
    }

    #[test]
    fn environment_is_merged_without_regard_to_case_and_sorted() {
        let current = vec![
            w("=C:=C:\\dir"),
            w("Path=C:\\Windows"),
            w("zeta=1"),
            w("Rust_Log=warn"),
        ];
        let extra = vec![
            ("RUST_LOG".to_string(), "info".to_string()),
            ("Alpha".to_string(), "a=b".to_string()),
        ];
        let block = environment_block(&current, &extra);
        let entries: Vec<String> = split_block(&block)
            .iter()
            .map(|e| String::from_utf16(e).unwrap())
            .collect();
        assert_eq!(
            entries,
            [
                "=C:=C:\\dir",
                "Alpha=a=b",
                "Path=C:\\Windows",
                "RUST_LOG=info",
                "zeta=1"
            ]
        );
        assert_eq!(&block[block.len() - 2..], &[0, 0]);
        assert_eq!(environment_block(&[], &[]), vec![0, 0]);
    }
}
