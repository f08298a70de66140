//! winget manifests (multi-file, ManifestVersion 1.10.0) for the built MSI, written to
//! `<out-dir>/winget/` when `[release] winget-id` is configured.
//!
//! This module owns their content and exact bytes: `<id>.yaml` (version),
//! `<id>.installer.yaml` and `<id>.locale.en-US.yaml` (default locale), as winget-pkgs lays
//! them out under `manifests/<letter>/<publisher>/<name>/<version>/`. It does no I/O: the
//! pipeline hands it the final (signed) MSI's bytes and its ProductCode, so the
//! InstallerSha256 is the digest of the file users download. A build of several targets
//! gets one installer manifest with one installer per architecture; each MSI has its own
//! ProductCode, so each installer entry then carries its own ProductCode and
//! AppsAndFeaturesEntries (one target keeps them at the manifest's root). Every string is written as a
//! JSON-style double-quoted YAML scalar, which YAML reads back exactly.

use crate::config::{Config, DownloadUrl, PackageInfo, Release};

/// The winget manifest schema version written.
pub const MANIFEST_VERSION: &str = "1.10.0";

/// The locale of the default-locale manifest.
pub const DEFAULT_LOCALE: &str = "en-US";

/// The directory (inside the out-dir) the manifests go to.
pub const DIR: &str = "winget";

/// What the manifests are made from.
pub struct WingetInput<'a> {
    pub release: &'a Release,
    pub package: &'a PackageInfo,
    pub config: &'a Config,
    /// One per target, in build order; never empty.
    pub installers: &'a [WingetInstaller<'a>],
}

/// One MSI of the release.
pub struct WingetInstaller<'a> {
    /// `x64`, `x86` or `arm64` (winget's spelling too).
    pub arch: &'a str,
    pub msi_name: &'a str,
    /// The lowercase hex SHA-256 of the final MSI.
    pub msi_sha256: &'a str,
    /// The MSI's ProductCode, braced.
    pub product_code: &'a str,
}

/// One output file: its path inside the out-dir and its bytes.
pub type OutputFile = (String, Vec<u8>);

/// The manifests, or `None` without a `winget-id`.
pub fn manifests(input: &WingetInput) -> Result<Option<Vec<OutputFile>>, String> {
    let (Some(id), Some(url)) = (&input.release.winget_id, &input.release.download_url) else {
        return Ok(None);
    };
    let version = input.package.version.to_string();
    let ident = format!(
        "PackageIdentifier: {}\nPackageVersion: {}\n",
        q(id),
        q(&version)
    );
    let version_file = format!(
        "{}{ident}DefaultLocale: {}\n{}",
        header("version"),
        q(DEFAULT_LOCALE),
        footer("version")
    );
    let installer_file = installer_manifest(input, &ident, url, &version)?;
    let locale_file = locale_manifest(input, &ident);
    Ok(Some(vec![
        (format!("{DIR}/{id}.yaml"), version_file.into_bytes()),
        (
            format!("{DIR}/{id}.installer.yaml"),
            installer_file.into_bytes(),
        ),
        (
            format!("{DIR}/{id}.locale.{DEFAULT_LOCALE}.yaml"),
            locale_file.into_bytes(),
        ),
    ]))
}

/// `s` as a JSON-style double-quoted YAML scalar.
fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

fn header(kind: &str) -> String {
    format!(
        "# Created with cargo-svcpack {}\n# yaml-language-server: $schema=https://aka.ms/winget-manifest.{kind}.{MANIFEST_VERSION}.schema.json\n\n",
        crate::manifest::SVCPACK_VERSION
    )
}

fn footer(kind: &str) -> String {
    format!("ManifestType: {kind}\nManifestVersion: {MANIFEST_VERSION}\n")
}

/// `<id>.installer.yaml`: one installer per MSI, with its ProductCode and Add/Remove
/// Programs entry at the root for one MSI, in each installer for several.
fn installer_manifest(
    input: &WingetInput,
    ident: &str,
    url: &DownloadUrl,
    version: &str,
) -> Result<String, String> {
    let cfg = input.config;
    let mut installer_file = format!(
        "{}{ident}InstallerType: wix\nScope: machine\nInstallModes:\n- silent\n- silentWithProgress\n\
         UpgradeBehavior: install\n",
        header("installer"),
    );
    match input.installers {
        [] => return Err("no installer for the winget manifests".into()),
        [one] => {
            installer_file.push_str(&format!(
                "ProductCode: {pc}\n{entries}Installers:\n- Architecture: {arch}\n  InstallerUrl: {url}\n  \
                 InstallerSha256: {sha}\n",
                pc = q(one.product_code),
                entries = apps_and_features(cfg, one.product_code, ""),
                arch = one.arch,
                url = q(&url.for_file(version, one.msi_name)),
                sha = one.msi_sha256.to_ascii_uppercase(),
            ));
        }
        several => {
            installer_file.push_str("Installers:\n");
            for i in several {
                installer_file.push_str(&format!(
                    "- Architecture: {arch}\n  InstallerUrl: {url}\n  InstallerSha256: {sha}\n  \
                     ProductCode: {pc}\n{entries}",
                    arch = i.arch,
                    url = q(&url.for_file(version, i.msi_name)),
                    sha = i.msi_sha256.to_ascii_uppercase(),
                    pc = q(i.product_code),
                    entries = apps_and_features(cfg, i.product_code, "  "),
                ));
            }
        }
    }
    installer_file.push_str(&footer("installer"));
    Ok(installer_file)
}

/// The Add/Remove Programs entry an MSI makes, `indent`ed under its key.
fn apps_and_features(cfg: &Config, product_code: &str, indent: &str) -> String {
    format!(
        "{indent}AppsAndFeaturesEntries:\n{indent}- DisplayName: {name}\n{indent}  Publisher: {publisher}\n\
         {indent}  DisplayVersion: {dv}\n{indent}  ProductCode: {pc}\n{indent}  UpgradeCode: {uc}\n",
        pc = q(product_code),
        name = q(&cfg.product_name),
        publisher = q(&cfg.manufacturer),
        dv = q(&cfg.version.product_version()),
        uc = q(cfg.upgrade_code.as_str()),
    )
}

/// `<id>.locale.en-US.yaml`, the default locale: publisher, name, URL, license and a short
/// description.
fn locale_manifest(input: &WingetInput, ident: &str) -> String {
    let cfg = input.config;
    let pkg = input.package;
    let short = pkg
        .description
        .as_deref()
        .map(|d| d.lines().next().unwrap_or_default().trim())
        .filter(|d| !d.is_empty())
        .unwrap_or(&cfg.product_name);
    let mut locale_file = format!(
        "{}{ident}PackageLocale: {}\nPublisher: {}\nPackageName: {}\n",
        header("defaultLocale"),
        q(DEFAULT_LOCALE),
        q(&cfg.manufacturer),
        q(&cfg.product_name),
    );
    if let Some(url) = pkg.homepage.as_deref().or(pkg.repository.as_deref()) {
        locale_file.push_str(&format!("PackageUrl: {}\n", q(url)));
    }
    locale_file.push_str(&format!(
        "License: {}\n",
        q(pkg.license.as_deref().unwrap_or("Proprietary"))
    ));
    locale_file.push_str(&format!("ShortDescription: {}\n", q(&truncate(short, 256))));
    locale_file.push_str(&footer("defaultLocale"));
    locale_file
}

/// winget caps ShortDescription at 256 characters.
fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// The ProductCode of an MSI file (braced, as the Property table holds it); only its
/// tables are read, not its cabinets.
pub fn product_code(msi: &std::path::Path) -> Result<String, String> {
    let file =
        std::fs::File::open(msi).map_err(|e| format!("cannot read {}: {e}", msi.display()))?;
    crate::wix::inspect::inspect(file)?
        .product_code
        .ok_or_else(|| "the MSI has no ProductCode property".to_string())
}
