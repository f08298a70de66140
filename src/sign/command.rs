//! The `command` back end: running the user's own signing program (a cloud signing CLI,
//! jsign, a script) on each file, with no secret from svcpack.
//!
//! The contract (docs/signing.md states it for users): the program runs once per file,
//! with these placeholders replaced in its arguments — `{file}` the absolute path of the
//! file to sign in place (a `.exe`, `.dll`, `.sys` or `.msi`, by its real extension),
//! `{digest}` `SHA-256`, `{timestamp-url}` the first configured RFC 3161 server (empty when
//! none) — and the same values in `SVCPACK_SIGN_FILE`, `SVCPACK_SIGN_DIGEST` and
//! `SVCPACK_SIGN_TIMESTAMP_URL`, on top of the environment svcpack inherited. Exit status 0
//! means the file now carries its Authenticode signature; anything else fails the build
//! with the program's output (secrets scrubbed). When the arguments use `{timestamp-url}`
//! the program timestamps, and svcpack adds no timestamp of its own.

use std::path::Path;
use std::process::Command;

use super::tools::{self, one_line, run_inheriting};
use super::{SignError, Signer};

/// The digest every signature uses, as `{digest}` spells it (jsign's `--alg` and Azure's
/// `--digest-algorithm`-style names accept it).
pub(super) const DIGEST: &str = "SHA-256";

/// Whether the command timestamps itself (it is given `{timestamp-url}`).
pub(super) fn timestamps_itself(args: &[String]) -> bool {
    args.iter().any(|a| a.contains("{timestamp-url}"))
}

impl Signer {
    pub(super) fn command_sign(
        &self,
        program: &Path,
        args: &[String],
        file: &Path,
    ) -> Result<(), SignError> {
        let file_arg = file.to_string_lossy();
        let url = self
            .timestamp_urls
            .first()
            .map(String::as_str)
            .unwrap_or("");
        let argv: Vec<String> = args
            .iter()
            .map(|a| {
                a.replace("{file}", &file_arg)
                    .replace("{digest}", DIGEST)
                    .replace("{timestamp-url}", url)
            })
            .collect();
        let mut cmd = Command::new(program);
        cmd.args(&argv)
            .env("SVCPACK_SIGN_FILE", file)
            .env("SVCPACK_SIGN_DIGEST", DIGEST)
            .env("SVCPACK_SIGN_TIMESTAMP_URL", url);
        let ran =
            run_inheriting(&mut cmd, &self.secrets()).map_err(|source| SignError::ToolFailed {
                tool: program.display().to_string(),
                source,
            })?;
        if ran.ok {
            Ok(())
        } else {
            Err(SignError::SignFailed {
                tool: self.tool_name.clone(),
                file: file.to_path_buf(),
                detail: one_line(&tools::tidy(&ran.text), 5),
            })
        }
    }
}
