//! The real-world corpus (`tests/corpus/projects/`, provenance in its README): each
//! project's sources, the way its project builds them, and the outcome expected. Shared by
//! the real-world test and the compile fuzzer, which mutates these sources under the same
//! options.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use svcpack::wix::CompileOptions;

/// What a project's build must do.
pub enum Expect {
    /// Compiles; the MSI reads back with `msiinfo`.
    Builds,
    /// Fails with one of these exact `file:line: message` lines (file relative to the build
    /// directory). More than one is allowed where another WiX extension in the same source may
    /// be compiled natively in future, which moves the failure to the next extension.
    Fails(&'static [&'static str]),
}

pub struct Project {
    /// Directory under `tests/corpus/projects/`.
    pub dir: &'static str,
    /// Where the project's build runs, relative to `dir` (its sources' relative paths
    /// resolve from here).
    pub cwd: &'static str,
    pub sources: &'static [&'static str],
    pub arch: &'static str,
    pub defines: &'static [(&'static str, &'static str)],
    /// Payload files the project's build would have produced (relative to `dir`); each is
    /// created as a few bytes of text.
    pub standins: &'static [&'static str],
    pub expect: Expect,
}

/// A project rendered from one of cargo-wix's templates, built with the defines cargo-wix
/// passes.
const fn cargo_wix(dir: &'static str) -> Project {
    Project {
        dir,
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
    }
}

pub const PROJECTS: &[Project] = &[
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
    cargo_wix("cargo-wix-v3"),
    cargo_wix("cargo-wix-v4"),
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

pub fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/projects")
}

pub fn copy_tree(from: &Path, to: &Path) {
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

/// Lays project `p` out in `work` with its stand-in payloads, and returns the options and
/// sources its build compiles with (the build directory is `opts.current_dir`).
pub fn prepare(p: &Project, work: &Path) -> (CompileOptions, Vec<PathBuf>) {
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
    let sources = p.sources.iter().map(|s| cwd.join(s)).collect();
    (opts, sources)
}
