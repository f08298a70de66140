//! Codepages: the MSI database codepage a package's strings need, and the ANSI codepage and
//! text of the summary information stream.

use std::path::Path;

use serde::Serialize;

use super::escape::quote_windows_args;
use super::{CODEPAGE_UTF8, CODEPAGE_WINDOWS_1252};
use crate::config::{Config, PackageInfo};

/// The database codepage for these strings: Windows-1252 when every one fits, else UTF-8.
pub fn codepage_for<'s, I>(texts: I) -> u16
where
    I: IntoIterator<Item = &'s str>,
{
    let all_fit = texts.into_iter().all(|t| {
        let (_, _, unmappable) = encoding_rs::WINDOWS_1252.encode(t);
        !unmappable
    });
    if all_fit {
        CODEPAGE_WINDOWS_1252
    } else {
        CODEPAGE_UTF8
    }
}

/// The database codepage for a package: Windows-1252 when every string that goes into its
/// MSI fits, else UTF-8 (see [`codepage_for`]).
pub fn database_codepage(config: &Config, package: &PackageInfo) -> u16 {
    let mut texts: Vec<String> = vec![
        config.product_name.clone(),
        config.manufacturer.clone(),
        config.exe_name(),
        config.version.full(),
    ];
    texts.extend(config.install_dir.segments().iter().cloned());
    for f in &config.files {
        texts.extend(f.dest.segments().iter().cloned());
    }
    if let Some(name) = config.license.as_deref().and_then(Path::file_name) {
        texts.push(name.to_string_lossy().into_owned());
    }
    texts.extend(
        [&package.description, &package.homepage, &package.repository]
            .into_iter()
            .flatten()
            .cloned(),
    );
    if let Some(s) = &config.service {
        texts.push(s.name.as_str().to_string());
        texts.push(s.display_name.clone());
        texts.push(s.account.object_name(&s.name));
        texts.push(quote_windows_args(&s.arguments));
        texts.extend(s.description.iter().cloned());
        texts.extend(s.dependencies.iter().cloned());
        texts.extend(s.recovery.command.iter().cloned());
        if let Some(h) = &s.host {
            texts.extend(h.log_dir.segments().iter().cloned());
            texts.extend(h.working_dir.segments().iter().cloned());
        }
    }
    codepage_for(texts.iter().map(String::as_str))
}

/// The ANSI codepages summary information may use, in the order they are tried.
pub(super) const ANSI_CODEPAGES: &[(u16, &encoding_rs::Encoding)] = &[
    (1252, encoding_rs::WINDOWS_1252),
    (1250, encoding_rs::WINDOWS_1250),
    (1251, encoding_rs::WINDOWS_1251),
    (1253, encoding_rs::WINDOWS_1253),
    (1254, encoding_rs::WINDOWS_1254),
    (1255, encoding_rs::WINDOWS_1255),
    (1256, encoding_rs::WINDOWS_1256),
    (1257, encoding_rs::WINDOWS_1257),
    (1258, encoding_rs::WINDOWS_1258),
    (932, encoding_rs::SHIFT_JIS),
    (936, encoding_rs::GBK),
    (949, encoding_rs::EUC_KR),
    (950, encoding_rs::BIG5),
];

/// The first ANSI codepage (Windows-1252 first) that holds every one of these strings.
pub fn ansi_codepage_for(texts: &[&str]) -> Option<u16> {
    ANSI_CODEPAGES
        .iter()
        .find(|(_, encoding)| {
            texts.iter().all(|t| {
                let (_, _, unmappable) = encoding.encode(t);
                !unmappable
            })
        })
        .map(|(id, _)| *id)
}

/// What the summary information stream says (Explorer's file properties): its codepage,
/// Subject and Author.
///
/// Summary information can only hold text in an ANSI codepage: WiX refuses codepages above
/// 32767 there because Windows Installer reads the value as an unsigned short and then
/// fails to open the package. So the product name and manufacturer go there in the first
/// ANSI codepage that holds them; a name that no ANSI codepage holds is replaced there
/// (and only there) by the package name, never by question marks. The database keeps the
/// full text either way.
pub fn summary_info(config: &Config, package: &PackageInfo) -> SummaryInfo {
    let product = config.product_name.as_str();
    let manufacturer = config.manufacturer.as_str();
    let fallback = if ansi_codepage_for(&[&package.name]).is_some() {
        package.name.as_str()
    } else {
        "Windows Installer package"
    };
    let candidates = [
        (product, manufacturer),
        (fallback, manufacturer),
        (product, fallback),
        (fallback, fallback),
    ];
    for (subject, author) in candidates {
        if let Some(codepage) = ansi_codepage_for(&[subject, author]) {
            return SummaryInfo {
                codepage,
                subject: subject.to_string(),
                author: author.to_string(),
            };
        }
    }
    SummaryInfo {
        codepage: CODEPAGE_WINDOWS_1252,
        subject: "Windows Installer package".into(),
        author: "Windows Installer package".into(),
    }
}

/// The summary information's codepage and text (see [`summary_info`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SummaryInfo {
    /// An ANSI codepage.
    pub codepage: u16,
    /// The product name, or its stand-in.
    pub subject: String,
    /// The manufacturer, or its stand-in.
    pub author: String,
}
