//! Reporting what the build does: one line per stage with its duration on a terminal,
//! nothing in CI unless `-v`, and one JSON object per line with `--message-format json`.
//!
//! Stages report through [`Reporter`]; they never print themselves, so the output format is
//! decided in one place.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use serde_json::json;

/// How progress is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
}

/// Verbosity: `-q` quiet, default, `-v` verbose.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verbosity {
    Quiet,
    Normal,
    Verbose,
}

pub struct Reporter {
    format: Format,
    verbosity: Verbosity,
    tty: bool,
}

impl Reporter {
    pub fn new(format: Format, verbosity: Verbosity) -> Reporter {
        Reporter {
            format,
            verbosity,
            tty: std::io::stderr().is_terminal(),
        }
    }

    fn human_lines(&self) -> bool {
        self.format == Format::Human
            && (self.verbosity == Verbosity::Verbose
                || (self.tty && self.verbosity == Verbosity::Normal))
    }

    /// A stage finished.
    pub fn stage(&self, name: &str, took: Duration, detail: &str) {
        match self.format {
            Format::Json => emit(
                json!({"reason": "stage", "stage": name, "ms": took.as_millis() as u64, "detail": detail}),
            ),
            Format::Human if self.human_lines() => {
                let detail = if detail.is_empty() {
                    String::new()
                } else {
                    format!("  {detail}")
                };
                eprintln!("{:>22} {:>8.3}s{detail}", name, took.as_secs_f64());
            }
            Format::Human => {}
        }
    }

    /// Advice that never stops the build (printed even in CI, unless `-q`).
    pub fn warning(&self, text: &str) {
        match self.format {
            Format::Json => emit(json!({"reason": "warning", "message": text})),
            Format::Human if self.verbosity > Verbosity::Quiet => eprintln!("warning: {text}"),
            Format::Human => {}
        }
    }

    /// The account the service will log on as (the default is its virtual account, so the
    /// choice is shown rather than silently made). Printed unless `-q`.
    pub fn service_account(&self, service: &str, account: &str) {
        match self.format {
            Format::Json => emit(json!({
                "reason": "service-account",
                "service": service,
                "account": account,
                "message": format!("service `{service}` runs as {account}"),
            })),
            Format::Human if self.verbosity > Verbosity::Quiet => {
                eprintln!("note: service `{service}` runs as {account} (service.account)")
            }
            Format::Human => {}
        }
    }

    /// The build finished: where the artifacts are.
    pub fn finished(&self, artifacts: &[(String, u64)], out_dir: &std::path::Path, took: Duration) {
        match self.format {
            Format::Json => emit(json!({
                "reason": "build-finished",
                "success": true,
                "out_dir": out_dir.display().to_string(),
                "artifacts": artifacts.iter().map(|(n, s)| json!({"path": n, "size": s})).collect::<Vec<_>>(),
                "ms": took.as_millis() as u64,
            })),
            Format::Human if self.verbosity > Verbosity::Quiet => {
                for (name, size) in artifacts {
                    eprintln!("{:>22} {}", human_size(*size), out_dir.join(name).display());
                }
                eprintln!("{:>22} {:.2}s", "finished in", took.as_secs_f64());
            }
            Format::Human => {}
        }
    }

    /// The build failed (the error itself is printed by the CLI).
    pub fn failed(&self, message: &str) {
        if self.format == Format::Json {
            emit(json!({"reason": "build-finished", "success": false, "error": message}));
        }
    }
}

fn emit(v: serde_json::Value) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{v}");
    let _ = out.flush();
}

pub fn human_size(n: u64) -> String {
    if n >= 1 << 20 {
        format!("{:.1} MiB", n as f64 / (1 << 20) as f64)
    } else if n >= 1 << 10 {
        format!("{:.1} KiB", n as f64 / 1024.0)
    } else {
        format!("{n} B")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes() {
        assert_eq!(super::human_size(512), "512 B");
        assert_eq!(super::human_size(2048), "2.0 KiB");
        assert_eq!(super::human_size(14 << 20), "14.0 MiB");
    }
}
