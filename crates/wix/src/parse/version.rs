//! WiX v4+ version attributes (`Package/@Version`, `UpgradeVersion/@Minimum`/`@Maximum`):
//! what is an error, what is only WiX's "Invalid MSI package version" warning, and the
//! value written to the MSI.
//!
//! Semantics: `WixVersion.Parse` (`src/libs/WixToolset.Versioning/WixVersion.cs`: an
//! optional `v`/`V` prefix, one to four unsigned 32-bit parts, `-labels`, `+metadata`);
//! `ParseHelper.GetAttributeVersionValue` (anything else is an error unless it holds a
//! bind variable); `BackendHelper.TryParseMsiProductVersion` with `strict: false` (major and
//! minor below 256, build below 65536, no labels or metadata; the prefix is dropped) and its
//! callers `BindDatabaseCommand.ProcessProductVersion` and
//! `CreateWindowsInstallerDataFromIRCommand.CheckUpgradeVersion`, which only warn.

use super::Parser;
use crate::error::{Result, Warning, WixError};
use crate::xml::Element;

/// A parsed WiX version.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct WixVersion {
    pub prefix: bool,
    pub parts: Vec<u32>,
    pub labels: bool,
    pub metadata: bool,
}

/// `WixVersion.TryParse`.
pub(crate) fn parse_wix_version(v: &str) -> Option<WixVersion> {
    let (prefix, rest) = match v.strip_prefix(['v', 'V']) {
        Some(r) => (true, r),
        None => (false, v),
    };
    let numbers_end = rest.find(['-', '+']).unwrap_or(rest.len());
    let (numbers, tail) = rest.split_at(numbers_end);
    let mut parts = Vec::new();
    for part in numbers.split('.') {
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        parts.push(part.parse::<u32>().ok()?);
    }
    if parts.len() > 4 {
        return None;
    }
    let (labels, metadata) = match tail.split_once('+') {
        Some((l, m)) => (l, Some(m)),
        None => (tail, None),
    };
    let labels = match labels.strip_prefix('-') {
        Some(l) => {
            let ok = l.split('.').all(|p| {
                !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            });
            if !ok {
                return None;
            }
            true
        }
        None if labels.is_empty() => false,
        None => return None,
    };
    Some(WixVersion {
        prefix,
        parts,
        labels,
        metadata: metadata.is_some_and(|m| !m.is_empty()),
    })
}

/// WiX's `Common.ContainsValidBinderVariable`, loosely: `!(wix.…)`, `!(bind.…)`, `!(loc.…)`.
fn has_bind_variable(v: &str) -> bool {
    ["!(wix.", "!(bind.", "!(loc."]
        .iter()
        .any(|p| v.contains(p))
}

/// A v4+ version attribute `attr` of `el`: an error if WiX cannot parse it, WiX's warning if
/// it is not a valid MSI version; returns the value for the MSI (without a `v` prefix).
pub(crate) fn msi_version(p: &mut Parser, el: &Element, attr: &str, v: &str) -> Result<String> {
    if has_bind_variable(v) {
        return Ok(v.to_string());
    }
    let Some(parsed) = parse_wix_version(v) else {
        return Err(WixError::new(
            el.loc.clone(),
            format!(
                "{}: `{attr}` value `{v}` is not a valid version; expected \
                 [v]major[.minor[.build[.revision]]] (integers)",
                el.display_name()
            ),
        ));
    };
    let limits = [255u32, 255, 65535];
    let msi_ok = !parsed.labels
        && !parsed.metadata
        && parsed.parts.iter().zip(limits).all(|(n, max)| *n <= max);
    if !msi_ok {
        p.warnings.push(Warning {
            location: el.loc.clone(),
            message: format!(
                "Invalid MSI package version: '{v}'. The Windows Installer SDK says that MSI \
                 package versions must have a major version less than 256, a minor version \
                 less than 256, and a build version less than 65536. The revision value is \
                 ignored but version labels and metadata are not allowed."
            ),
        });
        return Ok(v.to_string());
    }
    Ok(if parsed.prefix {
        v[1..].to_string()
    } else {
        v.to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::parse_wix_version;

    #[test]
    fn wix_versions_parse_like_wix() {
        let v = parse_wix_version("v01.002.0003.000004").unwrap();
        assert!(v.prefix && v.parts == [1, 2, 3, 4] && !v.labels);
        assert!(parse_wix_version("4.3.2-preview.1").unwrap().labels);
        assert!(parse_wix_version("1.2+meta").unwrap().metadata);
        assert!(parse_wix_version("1").is_some());
        for bad in [
            "",
            "v",
            "1.",
            ".1",
            "1.2.3.4.5",
            "1.x",
            "1-",
            "1-a..b",
            "99999999999",
        ] {
            assert!(parse_wix_version(bad).is_none(), "{bad}");
        }
    }
}
