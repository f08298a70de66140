//! The `targets` key: the Rust target triples `cargo svcpack build` packages when no
//! `--target` is given (and that `init --ci` pipelines build), e.g.
//! `targets = ["x86_64-pc-windows-gnu", "i686-pc-windows-gnu"]`.
//!
//! This file owns reading the list: non-empty, each a triple-shaped word, none twice. Which
//! triples make a package (and for which architecture) is the build plan's decision
//! ([`crate::plan`]), so the list stays open to targets the plan learns later.

use super::error::FaultResult;
use super::read::Table;

/// Reads `targets` from the svcpack table (`top`); empty when absent.
pub(crate) fn read(top: &Table) -> FaultResult<Vec<String>> {
    let Some(item) = top.get("targets") else {
        return Ok(Vec::new());
    };
    let allowed =
        "allowed: Rust target triples, e.g. [\"x86_64-pc-windows-gnu\", \"i686-pc-windows-gnu\"]";
    let items = item.array()?;
    if items.is_empty() {
        return Err(item.fault(format!(
            "the list is empty; {allowed} (or remove the key for the default target)"
        )));
    }
    let mut targets: Vec<String> = Vec::new();
    for i in &items {
        let t = i.string()?;
        let shaped = t.split('-').count() >= 2
            && t.split('-').all(|part| {
                !part.is_empty()
                    && part
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
            });
        if !shaped {
            return Err(i.fault(format!("`{t}` is not a target triple; {allowed}")));
        }
        if targets.iter().any(|seen| seen == t) {
            return Err(i.fault(format!("`{t}` is listed twice; {allowed}")));
        }
        targets.push(t.to_string());
    }
    Ok(targets)
}

#[cfg(test)]
mod tests {
    use crate::config::PackageInfo;

    fn load(targets: &str) -> Result<Vec<String>, String> {
        let pkg = PackageInfo {
            name: "ledger-agent".into(),
            version: semver::Version::parse("1.0.0").unwrap(),
            authors: vec!["Acme".into()],
            description: None,
            homepage: None,
            repository: None,
            license: None,
            bins: vec!["ledger-agent".into()],
            manifest_dir: std::env::temp_dir().join("svcpack-targets-test"),
        };
        let toml = format!(
            "[package]\nname = \"ledger-agent\"\nversion = \"1.0.0\"\n[package.metadata.svcpack]\n\
             upgrade-code = \"8E0B5A7C-1D2E-4F60-8A9B-0C1D2E3F4A5B\"\n{targets}"
        );
        crate::config::load_cargo_str(&pkg.manifest_dir.join("Cargo.toml"), &toml, &pkg)
            .map(|l| l.targets)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn targets_are_a_list_of_distinct_triples() {
        assert_eq!(load(""), Ok(vec![]));
        assert_eq!(
            load("targets = [\"x86_64-pc-windows-gnu\", \"i686-pc-windows-gnu\"]\n"),
            Ok(vec![
                "x86_64-pc-windows-gnu".to_string(),
                "i686-pc-windows-gnu".to_string()
            ])
        );
        let e = load("targets = []\n").unwrap_err();
        assert!(
            e.contains(":6: ") && e.contains("targets: the list is empty"),
            "{e}"
        );
        let e = load("targets = [\"x64\"]\n").unwrap_err();
        assert!(
            e.contains("targets[0]: `x64` is not a target triple"),
            "{e}"
        );
        let e = load("targets = [\"i686-pc-windows-gnu\", \"i686-pc-windows-gnu\"]\n").unwrap_err();
        assert!(
            e.contains("targets[1]: `i686-pc-windows-gnu` is listed twice"),
            "{e}"
        );
        let e = load("targets = \"x86_64-pc-windows-gnu\"\n").unwrap_err();
        assert!(e.contains("targets"), "{e}");
    }
}
