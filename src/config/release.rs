//! The `[release]` table: what release automation publishes — where the release assets are
//! downloaded from (`download-url`) and the winget package identifier (`winget-id`).
//!
//! This file owns reading and validating those two keys into a [`Release`]; the winget
//! manifests themselves are written by [`crate::winget`]. It must not touch the rest of the
//! configuration, so the table stays independent of service and signing settings.

use super::error::FaultResult;
use super::read::{Item, Table};

/// Release automation settings; the default (no table) publishes nothing extra.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Release {
    /// An `https://` URL template holding `{file}` (and optionally `{version}`).
    pub download_url: Option<DownloadUrl>,
    /// The winget PackageIdentifier, e.g. `Acme.LedgerAgent`; always with a download URL.
    pub winget_id: Option<String>,
}

/// A validated download URL template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DownloadUrl(String);

impl DownloadUrl {
    /// The template as configured.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The URL of one release asset: `{version}` is the full package version, `{file}` the
    /// asset's file name.
    pub fn for_file(&self, version: &str, file: &str) -> String {
        self.0.replace("{version}", version).replace("{file}", file)
    }
}

/// Reads `[release]` from the svcpack table (`top`), if present.
pub(crate) fn read(top: &Table) -> FaultResult<Release> {
    let Some(item) = top.get("release") else {
        return Ok(Release::default());
    };
    let t = item.table()?;
    let download_url = t
        .get("download-url")
        .map(|i| download_url(&i))
        .transpose()?;
    let winget_id = match t.get("winget-id") {
        Some(i) => {
            let id = i.string()?;
            check_winget_id(id).map_err(|why| {
                i.fault(format!(
                    "`{id}` is not a winget package identifier ({why}); allowed: 2 to 8 parts \
                     separated by `.`, each 1-32 characters without spaces or \\ / : * ? \" < > |, \
                     at most 128 characters in all, e.g. \"Acme.LedgerAgent\""
                ))
            })?;
            if download_url.is_none() {
                return Err(i.fault(
                    "winget manifests need the installer's address: add download-url = \
                     \"https://.../v{version}/{file}\" to this table",
                ));
            }
            Some(id.to_string())
        }
        None => None,
    };
    Ok(Release {
        download_url,
        winget_id,
    })
}

fn download_url(item: &Item) -> FaultResult<DownloadUrl> {
    let url = item.string()?;
    const ALLOWED: &str = "allowed: an https:// URL template holding {file} (the asset's file \
                           name) and optionally {version}, e.g. \
                           \"https://github.com/acme/agent/releases/download/v{version}/{file}\"";
    let fault = |why: &str| item.fault(format!("{why}; {ALLOWED}"));
    let host = url
        .strip_prefix("https://")
        .ok_or_else(|| fault("must start with https:// (winget and browsers refuse plain http)"))?;
    if host.is_empty() || host.starts_with(['/', '{']) {
        return Err(fault("names no host"));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(fault("must not contain spaces or control characters"));
    }
    if !url.contains("{file}") {
        return Err(fault("has no {file} placeholder"));
    }
    let mut rest = url;
    while let Some(open) = rest.find('{') {
        let after = &rest[open..];
        let word = after
            .find('}')
            .map(|close| &after[..=close])
            .unwrap_or(after);
        if word != "{file}" && word != "{version}" {
            return Err(fault(&format!("unknown placeholder `{word}`")));
        }
        rest = &after[word.len()..];
    }
    if url.contains('}') && url.matches('}').count() != url.matches('{').count() {
        return Err(fault("has an unmatched `}`"));
    }
    Ok(DownloadUrl(url.to_string()))
}

/// winget's PackageIdentifier pattern (manifest schema 1.10.0):
/// `^[^\.\s\\/:\*\?"<>\|\x01-\x1f]{1,32}(\.[^\.\s\\/:\*\?"<>\|\x01-\x1f]{1,32}){1,7}$`, at most
/// 128 characters.
pub(crate) fn check_winget_id(id: &str) -> Result<(), String> {
    if id.chars().count() > 128 {
        return Err("longer than 128 characters".into());
    }
    let parts: Vec<&str> = id.split('.').collect();
    if !(2..=8).contains(&parts.len()) {
        return Err(format!("{} part(s)", parts.len()));
    }
    for part in parts {
        let n = part.chars().count();
        if n == 0 || n > 32 {
            return Err(format!("a part of {n} characters"));
        }
        if let Some(c) = part.chars().find(|&c| {
            c.is_whitespace()
                || matches!(c, '\\' | '/' | ':' | '*' | '?' | '"' | '<' | '>' | '|')
                || ('\u{1}'..='\u{1f}').contains(&c)
        }) {
            return Err(format!("contains {c:?}"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tree::parse;

    fn release(text: &str) -> FaultResult<Release> {
        let root = parse(text).unwrap();
        read(&Table {
            path: String::new(),
            node: &root,
        })
    }

    const URL: &str = "https://github.com/acme/agent/releases/download/v{version}/{file}";

    #[test]
    fn reads_both_keys() {
        let r = release(&format!(
            "[release]\ndownload-url = \"{URL}\"\nwinget-id = \"Acme.LedgerAgent\"\n"
        ))
        .unwrap();
        assert_eq!(r.winget_id.as_deref(), Some("Acme.LedgerAgent"));
        assert_eq!(
            r.download_url
                .unwrap()
                .for_file("1.2.0-rc.1", "a-1.2.0-rc.1-x64.msi"),
            "https://github.com/acme/agent/releases/download/v1.2.0-rc.1/a-1.2.0-rc.1-x64.msi"
        );
        assert_eq!(release("").unwrap(), Release::default());
    }

    #[test]
    fn winget_ids_follow_wingets_pattern() {
        for ok in ["Acme.LedgerAgent", "a.b.c.d.e.f.g.h", "Ünïcode.Name"] {
            assert_eq!(check_winget_id(ok), Ok(()), "{ok}");
        }
        for bad in [
            "Acme",
            "Acme..Agent",
            "Acme.Ledger Agent",
            "Acme/x.Agent",
            "a.b.c.d.e.f.g.h.i",
            ".Acme",
        ] {
            assert!(check_winget_id(bad).is_err(), "{bad}");
        }
        assert!(check_winget_id(&format!("A.{}", "b".repeat(33))).is_err());
    }

    #[test]
    fn bad_values_are_located_errors() {
        let f = release(&format!(
            "[release]\ndownload-url = \"{URL}\"\nwinget-id = \"Acme\"\n"
        ))
        .unwrap_err();
        assert_eq!(f.key.as_deref(), Some("release.winget-id"));
        assert!(
            f.message.contains("not a winget package identifier"),
            "{}",
            f.message
        );
        assert!(f.span.is_some());
        let f = release("[release]\nwinget-id = \"Acme.Agent\"\n").unwrap_err();
        assert!(f.message.contains("download-url"), "{}", f.message);
        for (url, needle) in [
            ("http://example.com/{file}", "https://"),
            ("https://example.com/v{version}/agent.msi", "{file}"),
            ("https://example.com/{arch}/{file}", "`{arch}`"),
            ("https:///{file}", "host"),
            ("https://example.com/a b/{file}", "spaces"),
        ] {
            let f = release(&format!("[release]\ndownload-url = \"{url}\"\n")).unwrap_err();
            assert_eq!(f.key.as_deref(), Some("release.download-url"));
            assert!(f.message.contains(needle), "{url}: {}", f.message);
        }
    }
}
