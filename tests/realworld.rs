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

use svcpack::wix::{compile_to_file, CompileOptions};

/// What a project's build must do.
enum Expect {
    /// Compiles; the MSI reads back with `msiinfo`.
    Builds,
    /// Fails with one of these exact `file:line: message` lines (file relative to the build
    /// directory). More than one is allowed where another WiX extension in the same source may
    /// be compiled natively in future, which moves the failure to the next extension.
    Fails(&'static [&'static str]),
}

struct Project {
    /// Directory under `tests/corpus/projects/`.
    dir: &'static str,
    /// Where the project's build runs, relative to `dir` (its sources' relative paths
    /// resolve from here).
    cwd: &'static str,
    sources: &'static [&'static str],
    arch: &'static str,
    defines: &'static [(&'static str, &'static str)],
    /// Payload files the project's build would have produced (relative to `dir`); each is
    /// created as a few bytes of text.
    standins: &'static [&'static str],
    expect: Expect,
}

const PROJECTS: &[Project] = &[
    Project {
        dir: "alacritty",
        cwd: ".",
        sources: &["alacritty.wxs"],
        arch: "x64",
        defines: &[],
        standins: &[
            "alacritty/windows/alacritty.ico",
            "alacritty/windows/wix/license.rtf",
            "target/release/alacritty.exe",
        ],
        expect: Expect::Builds,
    },
    Project {
        dir: "alacritty-v3",
        cwd: ".",
        sources: &["alacritty.wxs"],
        arch: "x64",
        defines: &[],
        standins: &[
            "extra/windows/alacritty.ico",
            "extra/windows/wix/license.rtf",
            "target/release/alacritty.exe",
        ],
        expect: Expect::Builds,
    },
    Project {
        dir: "bottom",
        cwd: ".",
        sources: &["main.wxs"],
        arch: "x64",
        defines: &[
            ("Version", "0.10.2"),
            ("Win64", "yes"),
            ("CargoTargetBinDir", "target\\release"),
        ],
        standins: &["LICENSE", "LICENSE.rtf", "target/release/btm.exe"],
        expect: Expect::Builds,
    },
    Project {
        dir: "cargo-wix-v3",
        cwd: ".",
        sources: &["main.wxs"],
        arch: "x64",
        defines: &[
            ("Version", "1.2.3"),
            ("Platform", "x64"),
            ("Profile", "release"),
            ("CargoTargetDir", "target"),
            ("CargoTargetBinDir", "target\\release"),
            ("CargoProfile", "release"),
        ],
        standins: &["wix/License.rtf", "target/release/example.exe"],
        expect: Expect::Builds,
    },
    Project {
        dir: "cargo-wix-v4",
        cwd: ".",
        sources: &["main.wxs"],
        arch: "x64",
        defines: &[
            ("Version", "1.2.3"),
            ("Platform", "x64"),
            ("Profile", "release"),
            ("CargoTargetDir", "target"),
            ("CargoTargetBinDir", "target\\release"),
            ("CargoProfile", "release"),
        ],
        standins: &["wix/License.rtf", "target/release/example.exe"],
        expect: Expect::Builds,
    },
    Project {
        dir: "cloudflared",
        cwd: ".",
        sources: &["cloudflared.wxs"],
        arch: "x64",
        defines: &[
            ("Version", "24.1.5"),
            ("Platform", "x64"),
            ("Path", "cloudflared.exe"),
        ],
        standins: &["cloudflared.exe"],
        expect: Expect::Builds,
    },
    Project {
        dir: "jenkins",
        cwd: ".",
        sources: &["jenkins.wxs"],
        arch: "x64",
        defines: &[
            ("ProductName", "Jenkins"),
            ("ProductVersion", "2.440.1"),
            ("EncodedVersion", "2.44.1"),
            ("ProductCode", "{A1B2C3D4-E5F6-4A7B-8C9D-0E1F2A3B4C5D}"),
            ("ProductVendor", "Jenkins project"),
            ("ProductSummary", "Jenkins Automation Server"),
            ("ArtifactName", "jenkins"),
            ("WAR", "jenkins.war"),
        ],
        standins: &["tmp/jenkins.exe", "tmp/jenkins.xml", "jenkins.war"],
        expect: Expect::Fails(&[
            "jenkins.wxs:61: util:XmlFile needs WixToolset.Util.wixext, which svcpack does not support",
        ]),
    },
    Project {
        dir: "nushell",
        cwd: ".",
        sources: &["main.wxs"],
        arch: "x64",
        defines: &[
            ("Version", "0.90.1"),
            ("CargoTargetBinDir", "target\\release"),
        ],
        standins: &[
            "wix/nu.ico",
            "wix/License.rtf",
            "wix/less.exe",
            "wix/windows-terminal-profile.json",
            "target/release/nu.exe",
            "target/release/nu_plugin_gstat.exe",
            "target/release/nu_plugin_query.exe",
        ],
        expect: Expect::Builds,
    },
    Project {
        dir: "starship",
        cwd: ".",
        sources: &["main.wxs"],
        arch: "x64",
        defines: &[
            ("Version", "1.17.1"),
            ("StarshipPath", "target\\release\\starship.exe"),
        ],
        standins: &[
            "pkg_resources/starship.ico",
            "pkg_resources/LICENSE.rtf",
            "pkg_resources/Banner.bmp",
            "pkg_resources/Dialog.bmp",
            "target/release/starship.exe",
        ],
        expect: Expect::Builds,
    },
    Project {
        dir: "tauri",
        cwd: ".",
        sources: &["main.wxs"],
        arch: "x64",
        defines: &[],
        standins: &["icons/icon.ico", "target/release/example.exe"],
        expect: Expect::Fails(&[
            "main.wxs:70: Binary `WixCA` needs WixToolset.Util.wixext, which svcpack does not support",
        ]),
    },
    Project {
        dir: "windows_exporter",
        cwd: ".",
        sources: &["main.wxs"],
        arch: "x64",
        defines: &[("Version", "0.25.1"), ("ProductName", "windows_exporter")],
        standins: &["Work/windows_exporter.exe"],
        expect: Expect::Fails(&[
            "main.wxs:26: Binary `Wix4UtilCA_X64` needs WixToolset.Util.wixext, which svcpack does not support",
        ]),
    },
    Project {
        dir: "wireguard-windows",
        cwd: "installer",
        sources: &["wireguard.wxs"],
        arch: "x64",
        defines: &[
            ("WIREGUARD_PLATFORM", "amd64"),
            ("WIREGUARD_VERSION", "0.5.3"),
        ],
        standins: &[
            "ui/icon/wireguard.ico",
            "amd64/wireguard.exe",
            "amd64/wg.exe",
            "installer/amd64/customactions.dll",
        ],
        expect: Expect::Builds,
    },
];

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/projects")
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

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
    copy_tree(&corpus().join(p.dir), work);
    for s in p.standins {
        let path = work.join(s);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, format!("stand-in for {s}\n")).unwrap();
    }
    let cwd = work.join(p.cwd);
    let mut opts = CompileOptions::new(p.arch);
    // As `cargo svcpack compile` builds it: firewall exceptions run through the installer
    // helper, here a stand-in file (the MSI only carries it in its Binary table).
    let helper = work.join("svcpack-helper.exe");
    std::fs::write(&helper, b"stand-in for svcpack-helper.exe\n").unwrap();
    opts.actions = Some(svcpack::firewall::action_provider(
        p.arch,
        Some(helper),
        &work.join("helper-cache"),
    ));
    opts.current_dir = cwd.clone();
    opts.threads = 1;
    opts.timestamp = 1_700_000_000;
    for (k, v) in p.defines {
        opts.defines.insert(k.to_string(), v.to_string());
    }
    let sources: Vec<PathBuf> = p.sources.iter().map(|s| cwd.join(s)).collect();
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
