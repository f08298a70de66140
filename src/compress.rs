//! The optional UPX pass (stage 4 of `cargo svcpack build`, `compress = "upx"`).
//!
//! This module owns running an external `upx` on the stamped exe: which program runs
//! ([`upx_program`]: `$SVCPACK_UPX`, else `upx` on PATH), packing a copy of the bytes in a
//! private scratch directory, verifying the result with `upx -t`, and turning every way
//! that can fail into a one-line [`CompressError`] (upx's own message included). It does
//! not decide whether to compress (the plan does), report progress or print warnings (the
//! pipeline prints [`ANTIVIRUS_WARNING`] and [`UpxOutcome::summary`]), and it never
//! changes the caller's bytes. It uses no network and passes upx nothing but options and
//! file names.

use std::ffi::{OsStr, OsString};
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The environment variable naming the upx program (a path, or a name looked up on PATH).
pub const UPX_ENV: &str = "SVCPACK_UPX";

/// The one warning the build prints when it packed an exe.
pub const ANTIVIRUS_WARNING: &str = "compress = \"upx\": UPX-packed executables are often \
     flagged by antivirus software (false positives), which can quarantine a service or stop \
     it from starting; sign the exe and check it with the scanners your users run, or set \
     compress = \"none\"";

/// How to get upx, shared by the messages that need it.
const GET_UPX: &str = "install UPX from https://upx.github.io or a package manager \
     (`apt install upx-ucl`, `brew install upx`, `choco install upx`)";

/// Where the packed copy goes, inside the scratch directory.
const PACKED_DIR: &str = "packed";

/// At most this many lines of upx's stderr go into a message.
const MAX_MESSAGE_LINES: usize = 5;

/// A packed and verified exe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpxOutcome {
    /// Size of the exe given to upx.
    pub before: u64,
    /// Size of the packed exe (`bytes.len()`).
    pub after: u64,
    /// The packed exe, already verified with `upx -t`.
    pub bytes: Vec<u8>,
    /// The first line of `upx --version`, e.g. `upx 4.2.4`.
    pub tool: String,
}

impl UpxOutcome {
    /// The stage's size report: `44.0 KiB -> 20.5 KiB (46.6% of the original, upx 4.2.4)`.
    pub fn summary(&self) -> String {
        let size = crate::progress::human_size;
        let (before, after) = (u128::from(self.before), u128::from(self.after));
        // Integer per-mille, rounded half up: the text never depends on float formatting.
        let ratio = match (after * 1000 + before / 2).checked_div(before) {
            Some(permille) => format!("{}.{}% of the original", permille / 10, permille % 10),
            None => "from an empty file".to_string(),
        };
        format!(
            "{} -> {} ({ratio}, {})",
            size(self.before),
            size(self.after),
            self.tool
        )
    }
}

/// Why the UPX pass failed. Each renders as one line that says what to do.
#[derive(Debug, thiserror::Error)]
pub enum CompressError {
    /// The upx program does not exist.
    #[error("{}", not_found_message(program, *from_env))]
    NotFound {
        /// The program as tried (`upx`, or the value of `$SVCPACK_UPX`).
        program: String,
        /// The program came from `$SVCPACK_UPX`.
        from_env: bool,
    },
    /// upx ran but did not do its job (refused the file, crashed, wrote nothing).
    #[error("{program} could not {action}: {message} ({status}); fix the cause or set compress = \"none\"")]
    Failed {
        /// The program as tried.
        program: String,
        /// What it was asked to do, e.g. `pack ledger-agent.exe`.
        action: String,
        /// How it exited, e.g. `exit status: 1`.
        status: String,
        /// upx's own message: its stderr lines joined with `; `.
        message: String,
    },
    /// upx packed the exe but `upx -t` rejects the result: it would not run.
    #[error(
        "`{program} -t` rejects the packed {file}: {message} ({status}); the packed exe \
             would not run: try other upx-args or set compress = \"none\""
    )]
    VerifyFailed {
        /// The program as tried.
        program: String,
        /// The exe's file name.
        file: String,
        /// How `upx -t` exited.
        status: String,
        /// upx's own message.
        message: String,
    },
    /// An `upx-args` entry or the file name would make upx do something other than pack
    /// this one file into the place svcpack reads it from.
    #[error("{what}: `{arg}` {reason}{}", allowed_hint(what))]
    BadArgument {
        /// `upx-args`, or `exe file name`.
        what: &'static str,
        /// The offending argument (or file name).
        arg: String,
        /// Why it is refused, and what is allowed.
        reason: &'static str,
    },
    /// A scratch file could not be written or read, or upx could not be started.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The cause.
        #[source]
        source: io::Error,
    },
}

fn allowed_hint(what: &str) -> &'static str {
    if what == "upx-args" {
        "; allowed: packing options such as --best, -9, --lzma"
    } else {
        ""
    }
}

fn not_found_message(program: &str, from_env: bool) -> String {
    if from_env {
        format!(
            "compress = \"upx\" needs UPX, but {UPX_ENV}=`{program}` does not exist: point \
             {UPX_ENV} at the upx program, or {GET_UPX}, or set compress = \"none\""
        )
    } else if program.contains(['/', '\\']) {
        format!(
            "compress = \"upx\" needs UPX, but `{program}` does not exist: {GET_UPX}, or set \
             {UPX_ENV} to its path, or set compress = \"none\""
        )
    } else {
        format!(
            "compress = \"upx\" needs UPX, but `{program}` is not on PATH: {GET_UPX}, or set \
             {UPX_ENV} to its path, or set compress = \"none\""
        )
    }
}

/// The upx program: `$SVCPACK_UPX` when set and not empty, else `upx` (looked up on PATH).
pub fn upx_program() -> OsString {
    match std::env::var_os(UPX_ENV) {
        Some(p) if !p.is_empty() => p,
        _ => OsString::from("upx"),
    }
}

/// Packs `exe` with [`upx_program`]: `upx <args> -o <out> <in>`, then `upx -t <out>`.
///
/// `file_name` is the exe's installed name (`ledger-agent.exe`), used for the scratch files
/// so upx's messages name the user's file. `args` are the configured `upx-args` as they
/// are (the configuration already defaults them to `["--best"]`; an explicit empty list
/// means upx's own defaults). Scratch files live in a directory created inside `workdir`
/// and removed before returning.
pub fn compress_upx(
    exe: &[u8],
    file_name: &str,
    args: &[String],
    workdir: &Path,
) -> Result<UpxOutcome, CompressError> {
    compress_upx_with(&upx_program(), exe, file_name, args, workdir)
}

/// [`compress_upx`] with an explicit upx program (tests, or a caller with its own lookup).
pub fn compress_upx_with(
    program: &OsStr,
    exe: &[u8],
    file_name: &str,
    args: &[String],
    workdir: &Path,
) -> Result<UpxOutcome, CompressError> {
    check_file_name(file_name)?;
    check_args(args)?;
    let upx = Upx::new(program)?;

    // Ask for the version first: a missing upx is reported before anything is written,
    // and the version goes into the report (upx output differs between versions).
    // In our own working directory: a missing `workdir` must not look like a missing upx
    // (spawning in a directory that does not exist fails with the same "not found").
    let version = upx.run(&[OsStr::new("--version")], None)?;
    if !version.status.success() {
        return Err(upx.failed("report its version", &version, file_name));
    }
    let tool = String::from_utf8_lossy(&version.stdout)
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("upx (no version printed)")
        .to_string();

    // A fresh directory per run: upx refuses to overwrite an existing output file, and
    // relative names in it keep our scratch paths out of upx's messages.
    let scratch = tempfile::Builder::new()
        .prefix("svcpack-upx-")
        .tempdir_in(workdir)
        .map_err(|source| CompressError::Io {
            context: format!("cannot create a scratch directory in {}", workdir.display()),
            source,
        })?;
    let dir = scratch.path();
    let input = dir.join(file_name);
    std::fs::write(&input, exe).map_err(|source| CompressError::Io {
        context: format!("cannot write {}", input.display()),
        source,
    })?;
    let packed_dir = dir.join(PACKED_DIR);
    std::fs::create_dir(&packed_dir).map_err(|source| CompressError::Io {
        context: format!("cannot create {}", packed_dir.display()),
        source,
    })?;

    let out_rel = Path::new(PACKED_DIR).join(file_name);
    let mut argv: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
    argv.extend([OsStr::new("-o"), out_rel.as_os_str(), OsStr::new(file_name)]);
    let packed = upx.run(&argv, Some(dir))?;
    let action = format!("pack {file_name}");
    if !packed.status.success() {
        return Err(upx.failed(&action, &packed, file_name));
    }
    let out = packed_dir.join(file_name);
    let bytes = match std::fs::read(&out) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(CompressError::Failed {
                program: upx.display.clone(),
                action,
                status: packed.status.to_string(),
                message: "it reported success but wrote no packed file".into(),
            });
        }
        Err(source) => {
            return Err(CompressError::Io {
                context: format!("cannot read the packed {}", out.display()),
                source,
            })
        }
    };

    // upx -t decompresses in memory and checks the checksums: a file that fails it would
    // fail to start on the user's machine, which is far worse than a failed build.
    let test = upx.run(
        &[OsStr::new("-t"), OsStr::new(file_name)],
        Some(&packed_dir),
    )?;
    if !test.status.success() {
        return Err(CompressError::VerifyFailed {
            program: upx.display.clone(),
            file: file_name.to_string(),
            status: test.status.to_string(),
            message: upx_message(&test, file_name),
        });
    }

    Ok(UpxOutcome {
        before: exe.len() as u64,
        after: bytes.len() as u64,
        bytes,
        tool,
    })
}

/// Refuses names that are not one plain path component: the name is joined to scratch
/// directories and passed to upx, where `a/b` would escape and `-x` would be an option.
fn check_file_name(file_name: &str) -> Result<(), CompressError> {
    let plain = !file_name.is_empty()
        && file_name != "."
        && file_name != ".."
        && !file_name.starts_with('-')
        && !file_name.contains(['/', '\\', ':', '\0']);
    if plain {
        Ok(())
    } else {
        Err(CompressError::BadArgument {
            what: "exe file name",
            arg: file_name.to_string(),
            reason: "is not a plain file name (no path separators, not starting with `-`)",
        })
    }
}

/// upx options that switch it away from packing one file into the output svcpack names.
const MODE_OPTIONS: &[&str] = &[
    "-d",
    "--decompress",
    "-t",
    "--test",
    "-l",
    "--list",
    "--fileinfo",
    "-V",
    "--version",
    "-h",
    "--help",
    "-L",
    "--license",
    "-c",
    "--stdout",
    "--to-stdout",
];

/// Refuses `upx-args` entries that would change what upx does with the files svcpack
/// passes: svcpack names the input and the output and verifies with `-t` itself.
fn check_args(args: &[String]) -> Result<(), CompressError> {
    for arg in args {
        let reason = if arg == "--" || arg == "-" || !arg.starts_with('-') {
            "is not an option (svcpack passes the exe to upx itself)"
        } else if arg == "-o" || arg.starts_with("--output") || is_short_o(arg) {
            "names an output file (svcpack chooses it)"
        } else if MODE_OPTIONS.contains(&arg.as_str()) {
            "switches upx away from packing (svcpack packs, then runs `upx -t` itself)"
        } else {
            continue;
        };
        return Err(CompressError::BadArgument {
            what: "upx-args",
            arg: arg.clone(),
            reason,
        });
    }
    Ok(())
}

/// `-oFILE`: upx's short output option with its value attached.
fn is_short_o(arg: &str) -> bool {
    arg.starts_with("-o") && !arg.starts_with("--")
}

/// The upx program, ready to run from any directory.
struct Upx {
    /// What to execute: a relative path containing a separator is made absolute, because
    /// upx runs with the scratch directory as its working directory.
    path: PathBuf,
    /// The program as given, for messages.
    display: String,
    /// It came from `$SVCPACK_UPX`.
    from_env: bool,
}

impl Upx {
    fn new(program: &OsStr) -> Result<Upx, CompressError> {
        let given = Path::new(program);
        let path = if given.is_relative() && given.components().count() > 1 {
            let cwd = std::env::current_dir().map_err(|source| CompressError::Io {
                context: "cannot read the current directory".into(),
                source,
            })?;
            cwd.join(given)
        } else {
            given.to_path_buf()
        };
        Ok(Upx {
            path,
            display: program.to_string_lossy().into_owned(),
            from_env: std::env::var_os(UPX_ENV).as_deref() == Some(program),
        })
    }

    /// Runs upx (in `dir`, when given) and collects its output. `UPX` is removed from its environment:
    /// upx reads default options from it, which would make the result depend on the
    /// caller's shell rather than on the configuration.
    fn run(&self, args: &[&OsStr], dir: Option<&Path>) -> Result<Output, CompressError> {
        let mut cmd = Command::new(&self.path);
        if let Some(dir) = dir {
            cmd.current_dir(dir);
        }
        cmd.args(args)
            .env_remove("UPX")
            .stdin(Stdio::null())
            .output()
            .map_err(|source| {
                if source.kind() == io::ErrorKind::NotFound {
                    CompressError::NotFound {
                        program: self.display.clone(),
                        from_env: self.from_env,
                    }
                } else {
                    CompressError::Io {
                        context: format!("cannot run `{}`", self.display),
                        source,
                    }
                }
            })
    }

    fn failed(&self, action: &str, output: &Output, file_name: &str) -> CompressError {
        CompressError::Failed {
            program: self.display.clone(),
            action: action.to_string(),
            status: output.status.to_string(),
            message: upx_message(output, file_name),
        }
    }
}

/// upx's explanation of a failure: its stderr lines, cleaned, joined with `; `.
///
/// upx prints `upx: <file>: <Exception>: <message>` (and `upx: <message>` for usage
/// errors); the `upx: <file>: ` part is dropped because the error already names the
/// program and the file.
fn upx_message(output: &Output, file_name: &str) -> String {
    let lines = stderr_lines(&output.stderr, file_name);
    if !lines.is_empty() {
        return lines;
    }
    // upx exits with 2 for warnings (already packed, not packed) and hides them at -qq,
    // so say where the message went.
    if output.status.code() == Some(2) {
        "upx reported a warning without printing it (remove -qq from upx-args to see it)".into()
    } else {
        "upx printed no message".into()
    }
}

fn stderr_lines(stderr: &[u8], file_name: &str) -> String {
    let stderr = String::from_utf8_lossy(stderr);
    let tag = format!(": {file_name}: ");
    let mut lines: Vec<String> = Vec::new();
    for raw in stderr.lines() {
        let line = strip_ansi(raw);
        let line = line.trim();
        let line = match line.find(&tag) {
            Some(at) => &line[at + tag.len()..],
            None => line.strip_prefix("upx: ").unwrap_or(line),
        };
        if !line.is_empty() && !lines.iter().any(|l| l == line) {
            lines.push(line.to_string());
        }
    }
    let extra = lines.len().saturating_sub(MAX_MESSAGE_LINES);
    lines.truncate(MAX_MESSAGE_LINES);
    if extra > 0 {
        lines.push(format!("and {extra} more lines"));
    }
    lines.join("; ")
}

/// Removes terminal colour sequences (`ESC [ ... letter`), which some upx builds print
/// even into a pipe.
fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.next() == Some('[') {
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
        } else if !c.is_control() || c == '\t' {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn args_that_take_over_upx_are_refused() {
        for bad in [
            "-o",
            "-oout.exe",
            "--output=x",
            "-d",
            "-t",
            "--",
            "x.exe",
            "-",
        ] {
            let err = check_args(&[bad.to_string()]).unwrap_err();
            assert!(matches!(err, CompressError::BadArgument { .. }), "{bad}");
        }
        let ok: Vec<String> = ["--best", "-9", "--lzma", "-q", "--overlay=copy", "--brute"]
            .map(String::from)
            .to_vec();
        assert!(check_args(&ok).is_ok());
        assert_eq!(
            check_args(&["-d".to_string()]).unwrap_err().to_string(),
            "upx-args: `-d` switches upx away from packing (svcpack packs, then runs `upx -t` \
             itself); allowed: packing options such as --best, -9, --lzma"
        );
        assert_eq!(
            check_file_name("a/b.exe").unwrap_err().to_string(),
            "exe file name: `a/b.exe` is not a plain file name (no path separators, not \
             starting with `-`)"
        );
    }

    #[test]
    fn file_names_must_be_plain() {
        for bad in ["", ".", "..", "a/b.exe", "a\\b.exe", "-x.exe", "c:x.exe"] {
            assert!(check_file_name(bad).is_err(), "{bad:?}");
        }
        assert!(check_file_name("ledger-agent.exe").is_ok());
        assert!(check_file_name("Ünïcode agent.exe").is_ok());
    }

    #[test]
    fn ansi_and_control_characters_are_removed() {
        assert_eq!(strip_ansi("\u{1b}[1;31mupx:\u{1b}[0m x\r"), "upx: x");
    }

    #[test]
    fn summary_rounds_in_integers() {
        let o = UpxOutcome {
            before: 3000,
            after: 1001,
            bytes: Vec::new(),
            tool: "upx 4.2.4".into(),
        };
        assert_eq!(
            o.summary(),
            "2.9 KiB -> 1001 B (33.4% of the original, upx 4.2.4)"
        );
        let empty = UpxOutcome { before: 0, ..o };
        assert!(empty.summary().contains("from an empty file"));
    }
}
