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
use std::path::Path;

use svcpack::wix::compile;

#[path = "conformance/case.rs"]
mod case;
use case::*;

/// The number of cases known to reproduce WiX; raise it as the compiler improves.
const MIN_PASSING: usize = 168;

/// The suite must keep at least this many cases.
const MIN_CASES: usize = 100;

enum Outcome {
    Pass,
    Fail(String),
    Panic(String),
}

fn run_case(root: &Path, case: &Case) -> Outcome {
    let missing = unsupported(case);
    if !missing.is_empty() {
        return Outcome::Fail(format!("option not supported: {}", missing.join(", ")));
    }
    let work = tempfile::tempdir().expect("temporary directory");
    let (opts, sources) = options(root, case, work.path());

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
    // DTF's InstallPackage.Files finds a file's folder through its component's Directory_.
    if case.compare == "file-target-paths" && !tables.iter().any(|t| t == "Component") {
        tables.push("Component".to_string());
    }
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
/// Component id → its folder's target path, as DTF's `InstallPackage` resolves it (long
/// names, `.` is the parent, the root contributes nothing).
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
    rows.iter()
        .filter_map(|r| columns_of(r, "Component"))
        .filter(|c| c.len() >= 3)
        .filter_map(|c| resolve(c[2], &dirs, 0).map(|p| (c[0].to_string(), p)))
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
    let cases = load_all(&root);

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
