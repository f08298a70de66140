//! Stripping the program's symbols and notes before packaging, as dh_strip and cargo-deb
//! do: Debian policy 10.1 ships binaries stripped (lintian's unstripped-binary-or-object
//! is an error), and cargo's release profile keeps symbols by default.
//!
//! This file owns finding a `strip` for the target's architecture and running it on a
//! staged copy; cargo's output is never modified.

use std::path::Path;
use std::process::Command;

/// The `strip` programs to try for `triple`, best first: `SVCPACK_STRIP`, the GNU cross
/// binutils for the architecture, and the host's own when it builds for itself.
fn candidates(triple: &str) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(p) = std::env::var("SVCPACK_STRIP") {
        if !p.is_empty() {
            out.push(p);
        }
    }
    let arch = triple.split('-').next().unwrap_or_default();
    out.push(format!("{arch}-linux-gnu-strip"));
    if arch == std::env::consts::ARCH && cfg!(target_os = "linux") {
        out.push("strip".into());
    }
    out
}

/// The stripped program, or why it could not be stripped (the caller warns and ships it
/// as built).
pub fn strip(program: &[u8], triple: &str, scratch: &Path) -> Result<Vec<u8>, String> {
    let input = scratch.join("program.unstripped");
    let output = scratch.join("program.stripped");
    std::fs::write(&input, program)
        .map_err(|e| format!("cannot write {}: {e}", input.display()))?;
    let mut tried = Vec::new();
    for tool in candidates(triple) {
        let run = Command::new(&tool)
            .args([
                "--strip-unneeded",
                "--remove-section=.comment",
                "--remove-section=.note",
                "-o",
            ])
            .arg(&output)
            .arg(&input)
            .output();
        match run {
            Ok(o) if o.status.success() => {
                return std::fs::read(&output)
                    .map_err(|e| format!("cannot read {}: {e}", output.display()));
            }
            Ok(o) => {
                return Err(format!(
                    "{tool} failed: {}",
                    String::from_utf8_lossy(&o.stderr).trim()
                ))
            }
            Err(_) => tried.push(tool),
        }
    }
    Err(format!(
        "no strip program found (tried {}); install binutils for the target (e.g. \
         binutils-aarch64-linux-gnu) or set SVCPACK_STRIP",
        tried.join(", ")
    ))
}
