//! Summary information: title, subject, author, template (platform;languages), word count
//! bits (short names, compressed, admin image, per-user), the schema (InstallerVersion,
//! raised to what the platform needs), and svcpack as the creating application.

use super::{LowerOptions, Summary};
use crate::model::PackageInfo;

/// The summary with an empty package code (derived once the tables are final).
pub(super) fn summary(package: &PackageInfo, opts: &LowerOptions) -> Summary {
    let word_count = (package.short_names as i32)
        | if package.compressed { 2 } else { 0 }
        | if package.admin_image { 4 } else { 0 }
        | if package.per_machine == Some(false) {
            8
        } else {
            0
        };
    let platform = package
        .platform
        .clone()
        .unwrap_or_else(|| crate::parse::platform_token(&opts.arch).to_string());
    let mut installer_version = package.installer_version;
    if platform != "Intel" && installer_version < 200 {
        installer_version = 200;
    }
    if platform.starts_with("Arm") && installer_version < 500 {
        installer_version = 500;
    }
    let languages = package
        .summary_languages
        .clone()
        .unwrap_or_else(|| package.language.clone());
    Summary {
        codepage: package.summary_codepage.unwrap_or(1252),
        title: "Installation Database".into(),
        subject: package
            .description
            .clone()
            .unwrap_or_else(|| package.name.clone()),
        author: package
            .summary_manufacturer
            .clone()
            .unwrap_or_else(|| package.manufacturer.clone()),
        keywords: package
            .keywords
            .clone()
            .unwrap_or_else(|| "Installer".into()),
        comments: package.comments.clone().unwrap_or_else(|| {
            format!(
                "This installer database contains the logic and data required to install {}.",
                package.name
            )
        }),
        template: format!("{platform};{languages}"),
        package_code: String::new(),
        page_count: installer_version,
        word_count,
        security: 2,
        timestamp: opts.timestamp,
        creating_application: opts.creating_application.clone(),
    }
}
