//! What the stages of one build hand to each other: the inputs every stage reads
//! ([`Context`]) and the bytes and paths earlier stages produced for later ones ([`Build`]).
//!
//! Artifacts are held in memory until publishing, so a failed stage leaves nothing behind
//! but the staging directory, which is deleted.

use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::plan::Plan;
use crate::progress::Reporter;

use super::options::RunOptions;

/// Read-only inputs of every stage.
pub(super) struct Context<'a> {
    pub plan: &'a Plan,
    pub opts: &'a RunOptions,
    pub rep: &'a Reporter,
    /// The private staging directory (scratch files, the rendered WiX source).
    pub stage_dir: &'a Path,
    /// The installed program's file name, `<binary>.exe`.
    pub exe_name: String,
}

/// Products of the stages so far.
#[derive(Default)]
pub(super) struct Build {
    /// cargo's output (never modified), then the staged copy the WiX source names.
    pub exe_path: Option<PathBuf>,
    /// The stamped (compressed, signed) program.
    pub exe: Vec<u8>,
    /// svcpack's service host (hosted services): the stamped (and signed) exe and its
    /// configuration file.
    pub host: Option<(Vec<u8>, String)>,
    /// svcpack's installer helper (services): the stamped (and signed) exe.
    pub helper: Option<Vec<u8>>,
    /// Its scratch files live in the staging directory, so a `Build` must be dropped
    /// before the staging directory is.
    pub signer: Option<crate::sign::Signer>,
    /// The configuration with `files` pointing at signed copies of their PE files, once the
    /// sign-exe stage made them; render and zip read it so MSI and zip carry the same bytes.
    pub signed_config: Option<Config>,
    pub wxs: Option<PathBuf>,
    pub msi: Vec<u8>,
    pub zip: Vec<u8>,
    pub sbom: Vec<u8>,
    pub winget: Vec<(String, Vec<u8>)>,
    /// Every artifact, by file name in the out-dir, once the last stage listed them.
    pub outputs: Vec<(String, Vec<u8>)>,
}
