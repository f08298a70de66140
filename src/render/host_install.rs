//! What the package installs for svcpack's service host: its exe, configuration, and the
//! log and working folders (with the log folder's ACL for the service account).

use std::path::Path;

use serde::Serialize;

use super::data::FileRef;
use super::values::{fold, path_hash, path_text};
use super::{RenderError, RenderInput};
use crate::config::{Config, RelPath};

/// What the package installs for svcpack's service host.
#[derive(Serialize)]
pub(super) struct HostInstall {
    pub(super) exe: FileRef,
    pub(super) conf: FileRef,
    pub(super) log_dir: HostFolder,
    pub(super) working_dir: Option<HostFolder>,
    pub(super) service_sid: Option<&'static str>,
}

/// A folder the package creates for the host.
#[derive(Serialize)]
pub(super) struct HostFolder {
    pub(super) id: String,
    pub(super) path: String,
    pub(super) component_guid: String,
    pub(super) sddl: Option<String>,
    /// Files the host writes there, removed on uninstall.
    pub(super) files: Vec<RemovedFile>,
}

#[derive(Serialize)]
pub(super) struct RemovedFile {
    pub(super) id: String,
    pub(super) name: String,
}

/// The service host's files and folders (`host` in the template data).
pub(super) fn host_install(
    input: &RenderInput,
    service: &crate::config::Service,
    host: &crate::config::Host,
) -> Result<HostInstall, RenderError> {
    let source = |path: Option<&Path>, name: &str, what: &str| -> Result<String, RenderError> {
        match path {
            Some(p) => path_text(p, what),
            None => Ok(name.to_string()),
        }
    };
    let exe = FileRef {
        name: crate::host::HOST_EXE_NAME.into(),
        source: source(
            input.host.map(|h| h.exe),
            crate::host::HOST_EXE_NAME,
            "service host",
        )?,
    };
    let conf = FileRef {
        name: crate::host::CONF_NAME.into(),
        source: source(
            input.host.map(|h| h.conf),
            crate::host::CONF_NAME,
            "service host configuration",
        )?,
    };
    let acl = crate::host::log_dir_acl(&service.account, &service.name);
    let folder = |path: &RelPath, sddl: Option<String>, files: Vec<String>| {
        let folded = fold(path.segments());
        HostFolder {
            id: format!("Dir_{}", path_hash(&folded)),
            path: path.to_windows(),
            component_guid: host_folder_guid(input.config, &folded),
            sddl,
            files: files
                .into_iter()
                .enumerate()
                .map(|(n, name)| RemovedFile {
                    id: format!("RemoveHostLog{n}"),
                    name,
                })
                .collect(),
        }
    };
    let log_files = crate::host::log_files(&input.config.exe_name(), host.log_keep);
    let log_dir = folder(&host.log_dir, Some(acl.sddl), log_files);
    // The working folder is created too, unless it is the install folder or the log
    // folder (which the log folder's component creates).
    let working_dir = (!host.working_dir.is_root()
        && fold(host.working_dir.segments()) != fold(host.log_dir.segments()))
    .then(|| folder(&host.working_dir, None, Vec::new()));
    Ok(HostInstall {
        exe,
        conf,
        log_dir,
        working_dir,
        service_sid: acl.unrestricted_service_sid.then_some("unrestricted"),
    })
}

/// The GUID of the component that creates a host folder (its key path is the folder, for
/// which WiX derives no GUID): a UUIDv5 of the upgrade code and the folded path, so it is
/// the same in every version.
pub(super) fn host_folder_guid(config: &Config, folded: &str) -> String {
    let namespace = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, b"urn:svcpack:host-folder");
    let name = format!("{}\\{folded}", config.upgrade_code.as_str());
    crate::config::Guid::from_uuid(uuid::Uuid::new_v5(&namespace, name.as_bytes()))
        .as_str()
        .to_string()
}
