//! The `command` back end: running the user's own signing program (a cloud signing CLI,
//! jsign, a script) on each file, with no secret from svcpack.

use std::path::Path;
use std::process::Command;

use super::tools::{self, one_line, run_inheriting};
use super::{SignError, Signer};

impl Signer {
    pub(super) fn command_sign(
        &self,
        program: &Path,
        args: &[String],
        file: &Path,
    ) -> Result<(), SignError> {
        let file_arg = file.to_string_lossy();
        let argv: Vec<String> = args
            .iter()
            .map(|a| a.replace("{file}", &file_arg))
            .collect();
        let ran = run_inheriting(Command::new(program).args(&argv), &self.secrets()).map_err(
            |source| SignError::ToolFailed {
                tool: program.display().to_string(),
                source,
            },
        )?;
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
