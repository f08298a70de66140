//! Installer sources shaped like the ones open-source projects ship (`tests/corpus/projects/`,
//! provenance in its README), compiled the way each project builds them: its `-d` defines,
//! its architecture, stand-in payload files where its build would have produced binaries,
//! and the installer helper `cargo svcpack compile` adds for firewall exceptions.
//!
//! Each project has one expected outcome. Sources that use only WiX svcpack compiles must
//! build, and the MSI must read back with msitools' `msiinfo`; sources that need a WiX
//! extension svcpack does not build must fail with exactly the one-line extension error,
//! located at the first element that needs it.
//!
//! Needs `msiinfo` for the read-back; without it that check prints a notice and is skipped
//! (set SVCPACK_REQUIRE_MSITOOLS=1 to make that a failure).
//!
//! Run alone: `cargo test --release --test realworld -- --nocapture`.

use std::path::{Path, PathBuf};
use std::process::Command;

use svcpack::wix::compile_to_file;

#[path = "realworld/projects.rs"]
mod projects;
use projects::*;

fn have_msiinfo() -> bool {
    let ok = Command::new("msiinfo").arg("--help").output().is_ok();
    if !ok {
        assert!(
            std::env::var_os("SVCPACK_REQUIRE_MSITOOLS").is_none(),
            "msiinfo (msitools) is required"
        );
        eprintln!("NOTICE: msiinfo (msitools) not installed; MSI read-back skipped");
    }
    ok
}

/// Builds one project; `Ok(msi)` or the error as `file:line: message`.
fn build(p: &Project, work: &Path) -> Result<PathBuf, String> {
    let (opts, sources) = prepare(p, work);
    let cwd = opts.current_dir.clone();
    let out = work.join("out.msi");
    match compile_to_file(&sources, &out, &opts) {
        Ok(_) => Ok(out),
        Err(e) => {
            let file = e.location.file.clone();
            let rel = file.strip_prefix(&cwd).unwrap_or(&file);
            Err(format!(
                "{}:{}: {}",
                rel.display(),
                e.location.line,
                e.message
            ))
        }
    }
}

#[test]
fn real_world_sources_build_or_name_the_extension_they_need() {
    let msiinfo = have_msiinfo();
    let mut failures = Vec::new();
    let mut builds = 0;
    for p in PROJECTS {
        let work = tempfile::tempdir().unwrap();
        let outcome = build(p, work.path());
        let verdict = match (&p.expect, &outcome) {
            (Expect::Builds, Ok(msi)) => {
                builds += 1;
                if !msiinfo {
                    Ok(())
                } else {
                    let out = Command::new("msiinfo")
                        .arg("tables")
                        .arg(msi)
                        .output()
                        .unwrap();
                    let tables = String::from_utf8_lossy(&out.stdout);
                    if out.status.success() && tables.lines().any(|t| t == "Property") {
                        Ok(())
                    } else {
                        Err(format!(
                            "msiinfo cannot read the MSI back: {}",
                            String::from_utf8_lossy(&out.stderr)
                        ))
                    }
                }
            }
            (Expect::Builds, Err(e)) => Err(format!("expected a build, got: {e}")),
            (Expect::Fails(lines), Err(e)) if lines.contains(&e.as_str()) => Ok(()),
            (Expect::Fails(lines), Err(e)) => {
                Err(format!("expected one of {lines:?}\n      got: {e}"))
            }
            (Expect::Fails(lines), Ok(_)) => Err(format!(
                "expected the build to fail with {lines:?}, it built"
            )),
        };
        match verdict {
            Ok(()) => println!("ok   {}", p.dir),
            Err(why) => {
                println!("FAIL {}: {why}", p.dir);
                failures.push(p.dir);
            }
        }
    }
    println!(
        "realworld: {} of {} projects as expected ({builds} build, {} name the extension they need)",
        PROJECTS.len() - failures.len(),
        PROJECTS.len(),
        PROJECTS
            .iter()
            .filter(|p| matches!(p.expect, Expect::Fails(_)))
            .count()
    );
    assert!(
        failures.is_empty(),
        "projects not as expected: {failures:?}"
    );
}

/// Every project directory is in the table above, so a source added to the corpus is built.
#[test]
fn every_corpus_project_is_built() {
    let mut dirs: Vec<String> = std::fs::read_dir(corpus())
        .unwrap()
        .filter_map(|e| {
            let e = e.ok()?;
            e.file_type()
                .ok()?
                .is_dir()
                .then(|| e.file_name().to_string_lossy().into_owned())
        })
        .collect();
    dirs.sort();
    let mut listed: Vec<String> = PROJECTS.iter().map(|p| p.dir.to_string()).collect();
    listed.sort();
    assert_eq!(dirs, listed);
}
