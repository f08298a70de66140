//! One WiX integration test as a conformance case (`tests/conformance/cases/*.case`, format
//! in `tests/conformance/README.md`): reading the file, and the sources and compile options
//! it builds with. Shared by the conformance test and the compile fuzzer, which mutates the
//! cases' sources under the same options.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use svcpack::wix::{BindPath, CompileOptions};

/// Command-line switches WiX's tests pass that do not change the MSI's rows here
/// (suppressed warnings: we never fail on warnings).
pub fn is_ignored_option(opt: &str) -> bool {
    opt.starts_with("-sw") || opt == WARNINGS_AS_ERRORS || MAPPED_OPTIONS.contains(&opt)
}

/// `-wx`: warnings fail the build. WiX's test runner (`WixRunner.Execute`) passes it unless
/// a test asks for `warningsAsErrors: false`; cases whose outcome hinges on a warning say so.
pub const WARNINGS_AS_ERRORS: &str = "-wx";

/// Switches mapped onto [`CompileOptions`] fields (`-bindvariable` too, with its value).
pub const MAPPED_OPTIONS: &[&str] = &["-bcgg", "-ct"];

#[derive(Debug, Default)]
pub struct Case {
    pub name: String,
    pub origin: String,
    pub commit: String,
    pub sources: Vec<String>,
    pub bindpaths: Vec<String>,
    pub arch: Option<String>,
    pub defines: Vec<String>,
    pub locs: Vec<String>,
    pub cultures: Vec<String>,
    pub exts: Vec<String>,
    pub options: Vec<String>,
    pub standins: Vec<String>,
    pub envs: Vec<String>,
    pub expect: String,
    pub tables: Vec<String>,
    pub filters: Vec<String>,
    pub columns: BTreeMap<String, Vec<String>>,
    pub compare: String,
    pub rows: Vec<String>,
    pub absent: Vec<String>,
}

pub fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('0') => out.push('\0'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

pub fn parse_case(path: &Path) -> Result<Case, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut case = Case {
        name: path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_string(),
        ..Case::default()
    };
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once(": ").or_else(|| {
            line.strip_suffix(':').map(|k| (k, "")) // `row:` with nothing after it
        }) else {
            return Err(format!(
                "{}:{}: expected `key: value`",
                path.display(),
                n + 1
            ));
        };
        let v = value.to_string();
        match key {
            "origin" => case.origin = v,
            "test" => {}
            "commit" => case.commit = v,
            "source" => case.sources.push(v),
            "bindpath" => case.bindpaths.push(v),
            "arch" => case.arch = Some(v),
            "define" => case.defines.push(v),
            "loc" => case.locs.push(v),
            "culture" => case.cultures.push(v),
            "ext" => case.exts.push(v),
            "option" => case.options.push(v),
            "standin" => case.standins.push(v),
            "env" => case.envs.push(v),
            "expect" => case.expect = v,
            "tables" => case.tables = v.split_whitespace().map(String::from).collect(),
            "filter" => case.filters.push(unescape(&v)),
            "columns" => {
                let mut it = v.split_whitespace().map(String::from);
                let table = it.next().unwrap_or_default();
                case.columns.insert(table, it.collect());
            }
            "compare" => case.compare = v,
            "row" => case.rows.push(unescape(&v)),
            "absent" => case.absent.push(unescape(&v)),
            "note" => {}
            other => {
                return Err(format!(
                    "{}:{}: unknown key `{other}`",
                    path.display(),
                    n + 1
                ))
            }
        }
    }
    if case.origin.is_empty() || case.commit.is_empty() || case.expect.is_empty() {
        return Err(format!(
            "{}: origin, commit and expect are required",
            path.display()
        ));
    }
    Ok(case)
}

/// Copies `from` into `to` without overwriting what an earlier bind path provided.
pub fn merge_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            merge_dir(&entry.path(), &target)?;
        } else if !target.exists() {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// Options a case needs that the compiler API cannot express yet.
pub fn unsupported(case: &Case) -> Vec<String> {
    let mut out = Vec::new();
    if !case.exts.is_empty() {
        out.push("-ext (extensions)".to_string());
    }
    for opt in &case.options {
        let switch = opt.split_whitespace().next().unwrap_or_default();
        if !is_ignored_option(switch) && switch != "-bindvariable" {
            out.push(opt.clone());
        }
    }
    out
}

/// A copy of bind path `rel` (under the case root) with the case's stand-in payloads that
/// lie under it, in `dest`: stand-ins are never written into the stored test data.
pub fn staged_bind_path(root: &Path, rel: &str, case: &Case, dest: &Path) {
    std::fs::create_dir_all(dest).expect("bind directory");
    let dir = root.join(rel);
    if dir.is_dir() {
        merge_dir(&dir, dest).expect("merge bind path");
    }
    for standin in &case.standins {
        if let Ok(inner) = Path::new(standin).strip_prefix(rel) {
            let target = dest.join(inner);
            if !target.exists() {
                std::fs::create_dir_all(target.parent().unwrap()).unwrap();
                std::fs::write(&target, format!("stand-in for {standin}\n")).unwrap();
            }
        }
    }
}

/// Every case under `root/cases`, sorted by file name.
pub fn load_all(root: &Path) -> Vec<Case> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(root.join("cases"))
        .expect("tests/conformance/cases")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "case"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| parse_case(p).unwrap_or_else(|e| panic!("{e}")))
        .collect()
}

/// The compile options and sources case `case` (under `root`) builds with; stand-ins and
/// staged bind paths go under `work`, which must outlive the compilation.
pub fn options(root: &Path, case: &Case, work: &Path) -> (CompileOptions, Vec<PathBuf>) {
    let mut opts = CompileOptions::new(case.arch.as_deref().unwrap_or("x86"));
    for d in &case.defines {
        let (k, v) = d.split_once('=').unwrap_or((d.as_str(), ""));
        opts.defines.insert(k.to_string(), v.to_string());
    }
    // WiX's tests run with the first source's folder as the current directory; bind paths
    // are searched after it, in order, and named ones serve `!(bindpath.NAME)`. Unnamed
    // bind paths are merged into one staged copy (earlier ones win), so stand-ins can be
    // added beside the stored files.
    opts.current_dir = case
        .sources
        .first()
        .and_then(|s| root.join(s).parent().map(Path::to_path_buf))
        .unwrap_or_else(|| root.to_path_buf());
    let unnamed = work.join("bind");
    let mut bind_paths = Vec::new();
    for (n, bp) in case.bindpaths.iter().enumerate() {
        match bp.split_once('=') {
            Some((name, rel)) if !name.is_empty() => {
                // WiX's tests name the stored folders themselves; a copy is made only to add
                // stand-ins, since `Files` compares harvested paths across bind paths and the
                // source folder (an exclusion found from the source folder must be the same
                // path as the file found through the bind path).
                let dest = if case.standins.is_empty() {
                    root.join(rel)
                } else {
                    let dest = work.join(format!("named{n}"));
                    staged_bind_path(root, rel, case, &dest);
                    dest
                };
                bind_paths.push(BindPath {
                    name: Some(name.to_string()),
                    path: dest,
                });
            }
            _ => staged_bind_path(root, bp, case, &unnamed),
        }
    }
    if unnamed.is_dir() {
        bind_paths.insert(
            0,
            BindPath {
                name: None,
                path: unnamed,
            },
        );
    }
    opts.bind_paths = bind_paths;
    opts.loc_files = case.locs.iter().map(|l| root.join(l)).collect();
    opts.cultures = case.cultures.clone();
    for opt in &case.options {
        if let Some(assignment) = opt.strip_prefix("-bindvariable ") {
            let (k, v) = assignment
                .trim()
                .split_once('=')
                .unwrap_or((assignment.trim(), ""));
            opts.bind_variables.insert(k.to_string(), v.to_string());
        }
    }
    opts.backward_compatible_guids = case.options.iter().any(|o| o == "-bcgg");
    // WiX's test machines are Windows: `env: NAME` gives `$(env.NAME)` a staged directory,
    // holding the case's stand-ins named `$(env.NAME)/…`.
    for name in &case.envs {
        let dir = work.join("env").join(name);
        std::fs::create_dir_all(&dir).expect("env directory");
        let prefix = format!("$(env.{name})/");
        for standin in &case.standins {
            if let Some(inner) = standin.strip_prefix(&prefix) {
                std::fs::write(dir.join(inner), format!("stand-in for {standin}\n")).unwrap();
            }
        }
        opts.env.insert(name.clone(), dir.display().to_string());
    }
    opts.timestamp = 1_700_000_000;
    opts.threads = 1;
    for opt in &case.options {
        if let Some(n) = opt.strip_prefix("-ct ") {
            opts.threads = n.trim().parse().expect("`-ct` takes a number");
        }
    }
    let sources: Vec<PathBuf> = case.sources.iter().map(|s| root.join(s)).collect();
    (opts, sources)
}
