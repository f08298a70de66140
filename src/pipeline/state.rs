//! What the stages of one build hand to each other: the inputs every stage reads
//! ([`Context`]), the products of one target's stages ([`TargetBuild`]) and the files that
//! cover every target ([`Release`]).
//!
//! The MSI and the zip are files in the staging directory (never whole in memory, whatever
//! the payload's size), the small artifacts bytes in memory; all stay there until
//! publishing, so a failed stage leaves nothing behind but the staging directory, which is
//! deleted.

use std::path::PathBuf;

use crate::config::Config;
use crate::plan::{Plan, TargetPlan};
use crate::progress::Reporter;

use super::options::RunOptions;

/// Read-only inputs of every stage.
pub(super) struct Context<'a> {
    pub plan: &'a Plan,
    pub opts: &'a RunOptions,
    pub rep: &'a Reporter,
    /// The installed program's file name, `<binary>.exe`.
    pub exe_name: String,
    /// Prepared by configure when the plan signs. Its scratch files live in the private
    /// staging directory, so a `Context` must be dropped before the staging directory is.
    pub signer: Option<crate::sign::Signer>,
}

/// Products of one target's stages so far.
pub(super) struct TargetBuild<'a> {
    pub target: &'a TargetPlan,
    /// This target's staging directory (scratch files, the rendered WiX source).
    pub dir: PathBuf,
    /// cargo's output (never modified), then the staged copy the WiX source names.
    pub exe_path: Option<PathBuf>,
    /// The stamped (compressed, signed) program.
    pub exe: Vec<u8>,
    /// svcpack's service host (hosted services): the stamped (and signed) exe and its
    /// configuration file.
    pub host: Option<(Vec<u8>, String)>,
    /// svcpack's installer helper (services): the stamped (and signed) exe.
    pub helper: Option<Vec<u8>>,
    /// The configuration with `files` pointing at signed copies of their PE files, once the
    /// sign-exe stage made them; render and zip read it so MSI and zip carry the same bytes.
    pub signed_config: Option<Config>,
    pub wxs: Option<PathBuf>,
    /// The compiled (then signed) MSI, in the staging directory.
    pub msi: PathBuf,
    /// The portable zip, in the staging directory.
    pub zip: PathBuf,
    pub sbom: Vec<u8>,
    /// Linux targets: the .deb and the tarball.
    pub deb: Vec<u8>,
    pub tarball: Vec<u8>,
}

impl<'a> TargetBuild<'a> {
    pub fn new(target: &'a TargetPlan, dir: PathBuf) -> Self {
        TargetBuild {
            target,
            dir,
            exe_path: None,
            exe: Vec::new(),
            host: None,
            helper: None,
            signed_config: None,
            wxs: None,
            msi: PathBuf::new(),
            zip: PathBuf::new(),
            sbom: Vec::new(),
            deb: Vec::new(),
            tarball: Vec::new(),
        }
    }
}

/// Files that cover every target, and finally every artifact of the build.
#[derive(Default)]
pub(super) struct Release {
    /// winget manifests: one installer entry per Windows target.
    pub winget: Vec<(String, Vec<u8>)>,
    /// Every artifact, by file name in the out-dir, once the last stage listed them.
    pub outputs: Vec<(String, Content)>,
}

/// An artifact's content before publishing.
pub(super) enum Content {
    /// Small metadata, in memory.
    Bytes(Vec<u8>),
    /// A file in the staging directory (the MSI, the zip), copied in pieces.
    File(PathBuf),
}
