//! Conformance with WiX's own integration tests (`WixToolsetTest.CoreIntegration`).
//!
//! Every `tests/conformance/cases/*.case` file is one WiX test method: the sources and
//! options it builds with and what it asserts about the MSI (format in
//! `tests/conformance/README.md`). Each case is compiled in-process and its MSI is read back
//! with the `msi` crate; rows are rendered as WiX's `Query.QueryDatabase` renders them
//! (`Table:col\tcol…`, null as empty, streams as `[Binary data]`).
//!
//! Failures to reproduce WiX do not fail this test; it prints a report and asserts only that
//! the suite is complete, that no case panics the compiler and that the number of passing
//! cases does not drop below [`MIN_PASSING`].
//!
//! Run alone: `cargo test --release --test conformance -- --nocapture`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Cursor;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use svcpack::wix::{compile, BindPath, CompileOptions};

/// The number of cases known to reproduce WiX; raise it as the compiler improves.
const MIN_PASSING: usize = 100;

/// The suite must keep at least this many cases.
const MIN_CASES: usize = 100;

/// Command-line switches WiX's tests pass that do not change the MSI's rows here
/// (suppressed warnings: we never fail on warnings).
fn is_ignored_option(opt: &str) -> bool {
    opt.starts_with("-sw") || opt == WARNINGS_AS_ERRORS
}

/// `-wx`: warnings fail the build. WiX's test runner (`WixRunner.Execute`) passes it unless
/// a test asks for `warningsAsErrors: false`; cases whose outcome hinges on a warning say so.
const WARNINGS_AS_ERRORS: &str = "-wx";

#[derive(Debug, Default)]
struct Case {
    name: String,
    origin: String,
    commit: String,
    sources: Vec<String>,
    bindpaths: Vec<String>,
    arch: Option<String>,
    defines: Vec<String>,
    locs: Vec<String>,
    cultures: Vec<String>,
    exts: Vec<String>,
    options: Vec<String>,
    standins: Vec<String>,
    expect: String,
    tables: Vec<String>,
    filters: Vec<String>,
    columns: BTreeMap<String, Vec<String>>,
    compare: String,
    rows: Vec<String>,
    absent: Vec<String>,
}

fn unescape(s: &str) -> String {
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

fn parse_case(path: &Path) -> Result<Case, String> {
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

enum Outcome {
    Pass,
    Fail(String),
    Panic(String),
}

/// Copies `from` into `to` without overwriting what an earlier bind path provided.
fn merge_dir(from: &Path, to: &Path) -> std::io::Result<()> {
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
fn unsupported(case: &Case) -> Vec<String> {
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
fn staged_bind_path(root: &Path, rel: &str, case: &Case, dest: &Path) {
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

fn run_case(root: &Path, case: &Case) -> Outcome {
    let missing = unsupported(case);
    if !missing.is_empty() {
        return Outcome::Fail(format!("option not supported: {}", missing.join(", ")));
    }
    let work = tempfile::tempdir().expect("temporary directory");
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
    let unnamed = work.path().join("bind");
    let mut bind_paths = Vec::new();
    for (n, bp) in case.bindpaths.iter().enumerate() {
        match bp.split_once('=') {
            Some((name, rel)) if !name.is_empty() => {
                let dest = work.path().join(format!("named{n}"));
                staged_bind_path(root, rel, case, &dest);
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
    opts.timestamp = 1_700_000_000;
    opts.threads = 1;
    let sources: Vec<PathBuf> = case.sources.iter().map(|s| root.join(s)).collect();

    let result = catch_unwind(AssertUnwindSafe(|| compile(&sources, &opts)));
    let compiled = match result {
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "panic".to_string());
            return Outcome::Panic(msg);
        }
        Ok(r) => r,
    };
    let compiled = match compiled {
        Ok(c) if case.options.iter().any(|o| o == WARNINGS_AS_ERRORS) && !c.warnings.is_empty() => {
            let w = &c.warnings[0];
            Err(svcpack::wix::WixError::new(
                w.location.clone(),
                format!("warning treated as an error (-wx): {}", w.message),
            ))
        }
        other => other,
    };
    match (case.expect.as_str(), compiled) {
        ("error", Err(e)) => {
            if e.location.file.as_os_str().is_empty() {
                Outcome::Fail(format!("error without a location: {}", e.message))
            } else {
                Outcome::Pass
            }
        }
        ("error", Ok(_)) => Outcome::Fail("built successfully; WiX rejects this input".into()),
        (_, Err(e)) => Outcome::Fail(format!(
            "our error: {}:{}: {}",
            e.location.file.display(),
            e.location.line,
            e.message
        )),
        ("success", Ok(_)) => Outcome::Pass,
        ("rows", Ok(c)) => match svcpack::wix::write::to_bytes(&c.database) {
            Ok(msi) => match query(&msi, case) {
                Ok(actual) => compare(case, actual),
                Err(e) => Outcome::Fail(format!("reading our MSI: {e}")),
            },
            Err(e) => Outcome::Fail(format!("writing our MSI: {}", e.message)),
        },
        (other, Ok(_)) => Outcome::Fail(format!("unknown expectation `{other}`")),
    }
}

fn render(v: &msi::Value) -> String {
    match v {
        msi::Value::Null => String::new(),
        msi::Value::Int(i) => i.to_string(),
        msi::Value::Str(s) => s.clone(),
        msi::Value::Binary => "[Binary data]".to_string(),
    }
}

/// The rows of the case's tables as WiX's `Query.QueryDatabase` renders them.
fn query(bytes: &[u8], case: &Case) -> std::io::Result<Vec<String>> {
    let mut pkg = msi::Package::open(Cursor::new(bytes.to_vec()))?;
    let mut tables = case.tables.clone();
    tables.sort();
    let mut out = Vec::new();
    for table in &tables {
        if table == "_SummaryInformation" {
            let si = pkg.summary_info();
            let template = match (si.arch(), si.languages()) {
                (None, langs) if langs.is_empty() => String::new(),
                (arch, langs) => format!(
                    "{};{}",
                    arch.unwrap_or_default(),
                    langs
                        .iter()
                        .map(|l| u16::from(*l).to_string())
                        .collect::<Vec<_>>()
                        .join(",")
                ),
            };
            let num = |v: Option<i32>| v.map(|n| n.to_string()).unwrap_or_default();
            for (k, v) in [
                ("Title", si.title().unwrap_or_default().to_string()),
                ("Subject", si.subject().unwrap_or_default().to_string()),
                ("Author", si.author().unwrap_or_default().to_string()),
                ("Keywords", si.keywords().join("; ")),
                ("Comments", si.comments().unwrap_or_default().to_string()),
                ("Template", template),
                ("CodePage", si.codepage().id().to_string()),
                ("PageCount", num(si.page_count())),
                ("WordCount", num(si.word_count())),
                ("CharacterCount", String::new()),
                ("Security", num(si.doc_security())),
            ] {
                out.push(format!("{table}:{k}\t{v}"));
            }
            continue;
        }
        if !pkg.has_table(table) {
            continue;
        }
        let names: Vec<String> = pkg
            .get_table(table)
            .map(|t| t.columns().iter().map(|c| c.name().to_string()).collect())
            .unwrap_or_default();
        let wanted: Vec<usize> = match case.columns.get(table) {
            Some(cols) => cols
                .iter()
                .map(|c| {
                    names.iter().position(|n| n == c).ok_or_else(|| {
                        std::io::Error::other(format!("table {table} has no column {c}"))
                    })
                })
                .collect::<Result<_, _>>()?,
            None => (0..names.len()).collect(),
        };
        let mut rows: Vec<String> = pkg
            .select_rows(msi::Select::table(table.as_str()))?
            .map(|row| {
                let cols: Vec<String> = wanted.iter().map(|&i| render(&row[i])).collect();
                format!("{table}:{}", cols.join("\t"))
            })
            .collect();
        rows.sort();
        out.extend(rows);
    }
    Ok(out)
}

fn keep(case: &Case, row: &str) -> bool {
    case.filters.is_empty()
        || case.filters.iter().any(|f| match f.split_once(' ') {
            Some(("prefix", p)) => row.starts_with(p),
            Some(("contains", p)) => row.contains(p),
            _ => false,
        })
}

fn columns_of<'a>(row: &'a str, table: &str) -> Option<Vec<&'a str>> {
    row.strip_prefix(table)?
        .strip_prefix(':')
        .map(|r| r.split('\t').collect())
}

/// Differences between two row lists compared as multisets.
fn diff(expected: &[String], actual: &[String]) -> Option<String> {
    let mut missing: Vec<&String> = Vec::new();
    let mut extra: Vec<&String> = actual.iter().collect();
    for e in expected {
        match extra.iter().position(|a| *a == e) {
            Some(i) => {
                extra.remove(i);
            }
            None => missing.push(e),
        }
    }
    if missing.is_empty() && extra.is_empty() {
        return None;
    }
    let mut s = String::new();
    for m in missing.iter().take(4) {
        let _ = write!(s, "\n      expected: {}", m.escape_debug());
    }
    for x in extra.iter().take(4) {
        let _ = write!(s, "\n      actual:   {}", x.escape_debug());
    }
    if missing.len() > 4 || extra.len() > 4 {
        let _ = write!(
            s,
            "\n      ({} expected rows missing, {} unexpected rows in all)",
            missing.len(),
            extra.len()
        );
    }
    Some(s)
}

/// Target path of each directory as DTF's `InstallPackage` resolves it (long names, the
/// root contributing nothing, `.` meaning the parent).
fn target_paths(rows: &[String]) -> BTreeMap<String, String> {
    let dirs: BTreeMap<String, (String, String)> = rows
        .iter()
        .filter_map(|r| columns_of(r, "Directory"))
        .filter(|c| c.len() >= 3)
        .map(|c| (c[0].to_string(), (c[1].to_string(), c[2].to_string())))
        .collect();
    fn long(default_dir: &str) -> &str {
        let target = default_dir.split(':').next().unwrap_or_default();
        target.rsplit('|').next().unwrap_or_default()
    }
    fn resolve(
        id: &str,
        dirs: &BTreeMap<String, (String, String)>,
        depth: usize,
    ) -> Option<String> {
        let (parent, default_dir) = dirs.get(id)?;
        if parent.is_empty() || parent == id || depth > 64 {
            return Some(String::new());
        }
        let base = resolve(parent, dirs, depth + 1)?;
        let name = long(default_dir);
        Some(match (base.is_empty(), name) {
            (_, ".") => base,
            (true, n) => n.to_string(),
            (false, n) => format!("{base}\\{n}"),
        })
    }
    dirs.keys()
        .filter_map(|id| resolve(id, &dirs, 0).map(|p| (id.clone(), p)))
        .collect()
}

fn compare(case: &Case, actual: Vec<String>) -> Outcome {
    let actual: Vec<String> = actual.into_iter().filter(|r| keep(case, r)).collect();
    let mode = case.compare.split_whitespace().next().unwrap_or("exact");
    let arg = case.compare.split_whitespace().nth(1);
    let result = match mode {
        "exact" => diff(&case.rows, &actual),
        "subset" => {
            let missing: Vec<String> = case
                .rows
                .iter()
                .filter(|r| !actual.contains(r))
                .cloned()
                .collect();
            let present: Vec<&String> = actual
                .iter()
                .filter(|a| case.absent.iter().any(|p| a.starts_with(p.as_str())))
                .collect();
            if missing.is_empty() && present.is_empty() {
                None
            } else {
                let mut s = String::new();
                for m in missing.iter().take(4) {
                    let _ = write!(s, "\n      expected: {}", m.escape_debug());
                }
                for p in present.iter().take(4) {
                    let _ = write!(s, "\n      must be absent: {}", p.escape_debug());
                }
                Some(s)
            }
        }
        "file-component-ids" => {
            let n: usize = arg.and_then(|a| a.parse().ok()).unwrap_or(0);
            let comps: Vec<Vec<&str>> = actual
                .iter()
                .filter_map(|r| columns_of(r, "Component"))
                .collect();
            let files: Vec<Vec<&str>> = actual
                .iter()
                .filter_map(|r| columns_of(r, "File"))
                .collect();
            let mut errs = Vec::new();
            if comps.len() != n || files.len() != n {
                errs.push(format!(
                    "expected {n} Component and {n} File rows, got {} and {}",
                    comps.len(),
                    files.len()
                ));
            }
            for c in &comps {
                if c.get(5) != c.first() {
                    errs.push(format!("Component {} has KeyPath {:?}", c[0], c.get(5)));
                }
            }
            for f in &files {
                if f.get(1) != f.first() {
                    errs.push(format!("File {} has Component_ {:?}", f[0], f.get(1)));
                }
            }
            (!errs.is_empty()).then(|| format!("\n      {}", errs.join("\n      ")))
        }
        "component-condition-is-id" => {
            let errs: Vec<String> = actual
                .iter()
                .filter_map(|r| columns_of(r, "Component"))
                .filter(|c| c.get(4) != c.first())
                .map(|c| format!("Component {} has Condition {:?}", c[0], c.get(4)))
                .collect();
            (!errs.is_empty()).then(|| format!("\n      {}", errs.join("\n      ")))
        }
        "file-target-paths" => {
            let dirs = target_paths(&actual);
            let got: Vec<String> = actual
                .iter()
                .filter_map(|r| columns_of(r, "File"))
                .filter(|c| c.len() >= 3)
                .map(|c| {
                    let dir = dirs.get(c[1]).cloned().unwrap_or_default();
                    let name = c[2].rsplit('|').next().unwrap_or_default();
                    if dir.is_empty() {
                        format!("{}={name}", c[0])
                    } else {
                        format!("{}={dir}\\{name}", c[0])
                    }
                })
                .collect();
            diff(&case.rows, &got)
        }
        other => Some(format!("unknown comparison `{other}`")),
    };
    match result {
        None => Outcome::Pass,
        Some(d) => Outcome::Fail(format!("rows differ:{d}")),
    }
}

#[test]
fn wix_integration_tests_conformance() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(root.join("cases"))
        .expect("tests/conformance/cases")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "case"))
        .collect();
    paths.sort();
    let cases: Vec<Case> = paths
        .iter()
        .map(|p| parse_case(p).unwrap_or_else(|e| panic!("{e}")))
        .collect();

    let mut passing = 0;
    let mut panics = Vec::new();
    let mut failures = String::new();
    let mut list = String::new();
    for case in &cases {
        let outcome = run_case(&root, case);
        let status = match &outcome {
            Outcome::Pass => {
                passing += 1;
                "pass"
            }
            Outcome::Fail(why) => {
                let root_prefix = format!("{}/", root.display());
                let _ = writeln!(
                    failures,
                    "  {}: {}",
                    case.name,
                    why.replace(&root_prefix, "")
                );
                "FAIL"
            }
            Outcome::Panic(msg) => {
                panics.push(format!("{}: {msg}", case.name));
                "PANIC"
            }
        };
        let _ = writeln!(list, "{status} {}", case.name);
    }
    println!("conformance failures:\n{failures}");
    println!("conformance results (sorted by case):\n{list}");
    println!(
        "conformance: {passing} of {} cases reproduce WiX's rows",
        cases.len()
    );

    assert!(
        cases.len() >= MIN_CASES,
        "the suite has {} cases; it must keep at least {MIN_CASES}",
        cases.len()
    );
    assert!(panics.is_empty(), "the compiler panicked: {panics:#?}");
    assert!(
        passing >= MIN_PASSING,
        "{passing} cases pass; at least {MIN_PASSING} did before"
    );
}
