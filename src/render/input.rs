//! What the render stage is given: the validated configuration, the exe to package and the
//! files svcpack adds (service host, installer helper).

use std::path::Path;

use super::codepage::database_codepage;
use crate::config::{Config, PackageInfo};

/// What the render stage needs: the validated configuration and the exe to package.
#[derive(Clone, Copy, Debug)]
pub struct RenderInput<'a> {
    /// The validated configuration; its `version` is the package's ProductVersion.
    pub config: &'a Config,
    /// The package identity (description, homepage, repository).
    pub package: &'a PackageInfo,
    /// The exe that goes into the package (the stamped, compressed, signed copy); it is
    /// installed as `<binary>.exe` whatever this file is called.
    pub exe_path: &'a Path,
    /// `x86`, `x64` or `arm64`.
    pub arch: &'a str,
    /// The MSI database codepage; [`RenderInput::new`] chooses it with [`database_codepage`].
    pub codepage: u16,
    /// The service host's files, for a hosted service. `None` (what [`RenderInput::new`]
    /// sets) names them by their installed file names, as `cargo svcpack render` shows.
    pub host: Option<HostFiles<'a>>,
    /// The stamped installer helper ([`crate::helper`]) for a service. `None` (what
    /// [`RenderInput::new`] sets) names it by its file name, as `cargo svcpack render` shows.
    pub helper: Option<&'a Path>,
}

/// The files svcpack's service host adds to a hosted service's package.
#[derive(Clone, Copy, Debug)]
pub struct HostFiles<'a> {
    /// The stamped host exe; installed as [`crate::host::HOST_EXE_NAME`].
    pub exe: &'a Path,
    /// Its configuration file ([`crate::host::config_file`]); installed as
    /// [`crate::host::CONF_NAME`].
    pub conf: &'a Path,
}

impl<'a> RenderInput<'a> {
    /// An input with the codepage [`database_codepage`] chooses.
    pub fn new(
        config: &'a Config,
        package: &'a PackageInfo,
        exe_path: &'a Path,
        arch: &'a str,
    ) -> Self {
        RenderInput {
            config,
            package,
            exe_path,
            arch,
            codepage: database_codepage(config, package),
            host: None,
            helper: None,
        }
    }
}
