//! The template data: the structure every template is rendered with, assembled from the
//! configuration ([`template_data`]), and the identities derived for it (ProductCode, the
//! install folder parents' component GUID).

use serde::Serialize;
use serde_json::Value;

use super::codepage::{summary_info, SummaryInfo};
use super::escape::check_xml_text;
use super::files::{extra_files, Directory, ExtraFile, FileRef};
use super::host_install::{host_install, HostInstall};
use super::service::{service_data, ServiceData};
use super::values::{file_name, fold, non_empty, path_text};
use super::{RenderError, RenderInput, ARCHES, INSTALL_FOLDER_ID};
use crate::config::{Config, Host, RelPath};

/// Everything a template sees; the module doc of the built-in template lists it.
#[derive(Serialize)]
pub(super) struct Data {
    pub(super) svcpack_version: &'static str,
    pub(super) arch: String,
    pub(super) product: Product,
    pub(super) install_dir: InstallDir,
    pub(super) directories: Vec<Directory>,
    pub(super) exe: FileRef,
    pub(super) license: Option<FileRef>,
    pub(super) icon: Option<Source>,
    pub(super) files: Vec<ExtraFile>,
    pub(super) service: Option<ServiceData>,
    pub(super) host: Option<HostInstall>,
    pub(super) helper: Option<HelperData>,
}

/// The installer helper the MSI carries in its Binary table and its command lines.
#[derive(Serialize)]
pub(super) struct HelperData {
    pub(super) source: String,
    pub(super) configure: String,
    pub(super) stop: String,
    /// The firewall rules' arguments (a formatted value, already MSI-escaped); `None`
    /// when the service has no rules.
    pub(super) firewall: Option<String>,
}

#[derive(Serialize)]
pub(super) struct Product {
    pub(super) name: String,
    pub(super) manufacturer: String,
    pub(super) version: String,
    pub(super) full_version: String,
    pub(super) upgrade_code: String,
    pub(super) product_code: String,
    pub(super) codepage: u16,
    pub(super) summary: SummaryInfo,
    pub(super) description: Option<String>,
    pub(super) homepage: Option<String>,
    pub(super) repository: Option<String>,
}

#[derive(Serialize)]
pub(super) struct InstallDir {
    pub(super) name: String,
    pub(super) parents: Vec<NamedDir>,
    pub(super) parents_component_guid: Option<String>,
}

#[derive(Serialize)]
pub(super) struct NamedDir {
    pub(super) id: String,
    pub(super) name: String,
}

#[derive(Serialize)]
pub(super) struct Source {
    pub(super) source: String,
}

/// The data the templates are rendered with, as JSON (also what a user template sees).
pub fn template_data(input: &RenderInput) -> Result<Value, RenderError> {
    if !ARCHES.contains(&input.arch) {
        return Err(RenderError::Arch(input.arch.to_string()));
    }
    let config = input.config;
    let install_dir = install_dir(config)?;
    let host_settings = config.service.as_ref().and_then(|s| s.host.as_ref());
    let (directories, files) = extra_files(config, &host_dirs(host_settings)?)?;
    let host = match (&config.service, host_settings) {
        (Some(service), Some(h)) => Some(host_install(input, service, h)?),
        _ => None,
    };
    let license = license(config, &directories)?;
    let icon = match &config.icon {
        Some(path) => Some(Source {
            source: path_text(path, "icon")?,
        }),
        None => None,
    };

    let data = Data {
        svcpack_version: env!("CARGO_PKG_VERSION"),
        arch: input.arch.to_string(),
        product: product(input),
        install_dir,
        directories,
        exe: FileRef {
            name: config.exe_name(),
            source: path_text(input.exe_path, "exe")?,
        },
        license,
        icon,
        files,
        service: config.service.as_ref().map(service_data).transpose()?,
        host,
        helper: helper_data(input)?,
    };
    let value = serde_json::to_value(&data).map_err(|e| RenderError::Unsupported {
        what: "template data".into(),
        message: e.to_string(),
    })?;
    check_xml_text(&value, "")?;
    Ok(value)
}

fn product(input: &RenderInput) -> Product {
    let config = input.config;
    let package = input.package;
    Product {
        name: config.product_name.clone(),
        manufacturer: config.manufacturer.clone(),
        version: config.version.product_version(),
        full_version: config.version.full(),
        upgrade_code: config.upgrade_code.as_str().to_string(),
        product_code: product_code(config, input.arch),
        codepage: input.codepage,
        summary: summary_info(config, package),
        description: non_empty(&package.description),
        homepage: non_empty(&package.homepage),
        repository: non_empty(&package.repository),
    }
}

/// The install folder's name and the folders enclosing it.
fn install_dir(config: &Config) -> Result<InstallDir, RenderError> {
    let segments = config.install_dir.segments();
    let Some((name, parent_names)) = segments.split_last() else {
        return Err(RenderError::Unsupported {
            what: "install-dir".into(),
            message: "names no folder; allowed: a relative path inside Program Files".into(),
        });
    };
    let parents = parent_names
        .iter()
        .enumerate()
        .map(|(n, name)| NamedDir {
            id: format!("InstallParent{n}"),
            name: name.clone(),
        })
        .collect();
    Ok(InstallDir {
        name: name.clone(),
        parents_component_guid: (!parent_names.is_empty()).then(|| parents_component_guid(config)),
        parents,
    })
}

/// The folders the service host writes (its log folder, a working folder of its own).
fn host_dirs(host: Option<&Host>) -> Result<Vec<&RelPath>, RenderError> {
    let mut host_dirs: Vec<&RelPath> = Vec::new();
    if let Some(h) = host {
        if h.log_dir.is_root() {
            return Err(RenderError::Unsupported {
                what: "service.host.log-dir".into(),
                message:
                    "is the install directory itself, which the service account would then be \
                          able to write; allowed: a folder inside it, e.g. `logs`"
                        .into(),
            });
        }
        host_dirs.push(&h.log_dir);
        if !h.working_dir.is_root() {
            host_dirs.push(&h.working_dir);
        }
    }
    Ok(host_dirs)
}

/// The license file, installed next to the exe.
fn license(config: &Config, directories: &[Directory]) -> Result<Option<FileRef>, RenderError> {
    let Some(path) = &config.license else {
        return Ok(None);
    };
    let license = FileRef {
        name: file_name(path, "license")?,
        source: path_text(path, "license")?,
    };
    // The license is installed next to the exe; a sub-folder of that name would clash.
    if let Some(d) = directories.iter().find(|d| {
        d.parent == INSTALL_FOLDER_ID && d.name.to_lowercase() == license.name.to_lowercase()
    }) {
        return Err(RenderError::Unsupported {
            what: "license".into(),
            message: format!(
                "the license file `{}` has the name of the folder `{}` an extra file is installed into; rename one of them",
                license.name, d.name
            ),
        });
    }
    Ok(Some(license))
}

/// The installer helper's source and command lines, for a service.
fn helper_data(input: &RenderInput) -> Result<Option<HelperData>, RenderError> {
    let Some(service) = &input.config.service else {
        return Ok(None);
    };
    Ok(Some(HelperData {
        source: match input.helper {
            Some(p) => path_text(p, "installer helper")?,
            None => crate::helper::HELPER_EXE_NAME.to_string(),
        },
        configure: crate::helper::command_line(&crate::helper::configure_request(service)),
        stop: crate::helper::command_line(&crate::helper::stop_request(service)),
        firewall: crate::firewall::formatted_rules(
            service,
            "[#MainExe]",
            &super::escape::escape_formatted,
        ),
    }))
}

/// The ProductCode of a build: a UUIDv5 of the upgrade code, the full semver string and the
/// architecture.
///
/// Windows Installer sees only `MAJOR.MINOR.PATCH`, so `2.0.0-beta.1` and `2.0.0` share a
/// ProductVersion; they must not share a ProductCode, or installing the release over the
/// pre-release fails with "another version of this product is already installed" instead
/// of upgrading it. The same inputs always give the same code (reproducible builds).
pub fn product_code(config: &Config, arch: &str) -> String {
    let namespace = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, b"urn:svcpack:product-code");
    let name = format!(
        "{}|{}|{arch}",
        config.upgrade_code.as_str(),
        config.version.full()
    );
    crate::config::Guid::from_uuid(uuid::Uuid::new_v5(&namespace, name.as_bytes()))
        .as_str()
        .to_string()
}

/// The GUID of the component that owns the folders enclosing the install folder.
///
/// Its key path is a folder, for which WiX derives no GUID. It must stay the same in every
/// version (upgrades install over the old version, see the template), so it is derived
/// from what identifies the product and the folders: a UUIDv5 of the upgrade code and the
/// install path as Windows compares it.
pub(super) fn parents_component_guid(config: &Config) -> String {
    let namespace = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, b"urn:svcpack:install-parents");
    let name = format!(
        "{}\\{}",
        config.upgrade_code.as_str(),
        fold(config.install_dir.segments())
    );
    crate::config::Guid::from_uuid(uuid::Uuid::new_v5(&namespace, name.as_bytes()))
        .as_str()
        .to_string()
}
