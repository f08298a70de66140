//! Differential test of the native WiX compiler over a corpus of real-world sources
//! (`tests/corpus/`, origins and licenses in its README.md).
//!
//! Three oracles, chosen per corpus entry:
//! - **wixl** (msitools): the same sources are compiled by `wixl` and by `cargo-svcpack
//!   compile` with the same `-a`/`-D`, every table of both is exported with `msiinfo`, and
//!   every non-empty table (column names and types, and rows) must be equal after
//!   normalising only what cannot be equal: generated GUIDs (ComponentId for `Guid="*"`,
//!   ProductCode `*`, the package code), generated row ids (mapped consistently), and the
//!   short-name part of `short|long` file names (wixl writes long names only). Where wixl
//!   deviates from WiX, a narrowly scoped, named [`Known`] difference documents it (the table
//!   in tests/corpus/README.md cites WiX's source) instead of weakening the comparison.
//! - **WiX**: entries from WiX v3's own integration tests come with the tables WiX itself
//!   produced (`<name>.expected`, exported from the suite's `expected.msi`); the comparison
//!   is the same.
//! - **SDK**: where neither can compile a source (WiX v4 authoring, service configuration,
//!   Environment with wixl 0.101), our tables are checked against the MSI SDK table
//!   definitions (column names and types as `msiinfo export` reads them) and expected rows.
//!
//! Every output is also checked against the SDK definitions and for complete `_Validation`
//! rows. A fuzz test feeds thousands of deterministic mutations of the corpus to
//! `svcpack::wix::compile` and asserts it never panics.
//!
//! Needs `msiinfo` and `wixl` (msitools); without them the table tests print a notice and
//! pass (set SVCPACK_REQUIRE_MSITOOLS=1 to make that a failure).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "conformance/case.rs"]
mod conformance_case;
#[path = "realworld/projects.rs"]
mod realworld_projects;

// ---------------------------------------------------------------------------------------------
// The corpus.
// ---------------------------------------------------------------------------------------------

/// How an entry's output is checked.
#[derive(Clone, Copy)]
enum Oracle {
    /// Compile with wixl too and compare every non-empty table.
    Wixl,
    /// Compare with the tables WiX produced for it (`tests/corpus/<file>`).
    Wix(&'static str),
    /// Check against the MSI SDK definitions and this function's expected rows.
    Sdk(fn(&Db, &mut Vec<String>)),
    /// A preprocessor-only source (no package): compare the warnings with wixl's.
    Warnings,
}

/// A documented way in which the oracle deviates from WiX (see tests/corpus/README.md, the
/// "Known differences" table). Each applies only to the entries that list it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Known {
    /// K1: wixl schedules MigrateFeatureStates whenever an Upgrade table exists; WiX only
    /// when an UpgradeVersion has MigrateFeatures="yes" (WiX v3 Linker.cs:2339).
    WixlMigrateFeatureStates,
    /// K2: wixl numbers actions scheduled Before/After by its own dependency sort (6401 for
    /// Before="InstallFinalize", even 1 for RemoveExistingProducts Before="InstallInitialize");
    /// WiX counts down from the anchor for Before and up for After (Linker.cs:2565-2619).
    /// The listed actions' numbers are asserted against WiX's rule ([`Entry::sequences`])
    /// instead of compared with wixl's.
    WixlRelativeSequence,
    /// K3: wixl appends `\` to the key of a RegistryValue nested in a RegistryKey without a
    /// Key of its own; WiX uses the parent key unchanged (Compiler.cs:13824).
    WixlRegistryKeyTrailingBackslash,
    /// K4: wixl keeps authored GUIDs in their original letter case; WiX writes them upper
    /// case (CompilerCore.cs:1328, GetAttributeGuidValue).
    WixlGuidCase,
    /// K5: with `-a x64`/`arm64` wixl does not mark components 64-bit; WiX does unless
    /// Win64="no" (Compiler.cs:2469, `IsCurrentPlatform64Bit`).
    WixlComponentWin64,
    /// K6: wixl treats an undefined `$(var.X)` in `<?if?>` as empty; WiX reports "Undefined
    /// preprocessor variable" (PreprocessorCore.cs:183, EvaluateVariable catches only
    /// ArgumentNullException).
    WixlUndefinedVariableInIf,
    /// K7: wixl writes SecureCustomProperties in authoring order; WiX sorts the list
    /// (Linker.cs:308, a SortedList).
    WixlSecurePropertiesOrder,
    /// K8: the WiX 3.0.3829 build that produced this expected table did not yet mark files
    /// Vital by default; WiX 3.x since does (Compiler.cs:6013).
    Wix30FileVital,
    /// K9: wixl numbers Feature.Display with one counter over the whole feature tree; WiX
    /// restarts the count for each feature's children (v3 Compiler.cs:5351 `childDisplay`,
    /// v4 Compiler.cs ParseFeatureElement; WiX v4's MsiQueryFixture
    /// PopulatesFeatureTableWithParent expects parent and child both 2). The column is
    /// not compared with wixl's; WiX's numbering is asserted by the compiler's own tests.
    WixlFeatureDisplay,
}

struct Entry {
    name: &'static str,
    /// Sources, relative to tests/ (compiled in this order).
    sources: &'static [&'static str],
    /// Other corpus files the sources need (includes, files used as payload), relative to tests/.
    extra: &'static [&'static str],
    arch: &'static str,
    defines: &'static [&'static str],
    /// Corpus files the sources include from a fixed place: (path under tests/, path in the
    /// work directory).
    placed: &'static [(&'static str, &'static str)],
    /// Payload files generated in the work directory: (path, contents).
    payloads: &'static [(&'static str, &'static str)],
    /// Set WIX_ROOT to the work directory (WiX's own tests use `$(env.WIX_ROOT)`).
    wix_root: bool,
    /// Remove this element (and its content) from the sources before compiling: the only
    /// edit made to a corpus file, for elements outside the compiler's scope (WixUI).
    strip: &'static [&'static str],
    oracle: Oracle,
    known: &'static [Known],
    /// Expected sequence numbers of relatively scheduled actions, by WiX's rule.
    sequences: &'static [(&'static str, &'static str, i32)],
}

impl Entry {
    const fn new(name: &'static str, sources: &'static [&'static str], oracle: Oracle) -> Entry {
        Entry {
            name,
            sources,
            extra: &[],
            placed: &[],
            arch: "x86",
            defines: &[],
            payloads: &[],
            wix_root: false,
            strip: &[],
            oracle,
            known: &[],
            sequences: &[],
        }
    }
}

const FOOBAR_PAYLOADS: &[(&str, &str)] = &[
    ("FoobarAppl10.exe", "\n"),
    ("Helper.dll", "\n"),
    ("Manual.pdf", "\n"),
    ("Foo.dll", ""),
];

const WIX3_PAYLOADS: &[(&str, &str)] = &[
    (
        "test/data/SharedData/Files/TextFile1.txt",
        "sample text file",
    ),
    (
        "test/data/SharedData/Files/TextFile2.txt",
        "sample text file",
    ),
    (
        "test/data/SharedData/Files/TextFile3.txt",
        "sample text file",
    ),
];

const SERVICE_PAYLOADS: &[(&str, &str)] = &[
    (
        "example-service.exe",
        "not really an exe, but bytes to cabinet\n",
    ),
    ("agent.toml", "greeting = \"hello\"\n"),
];

const SERVICE_DEFINES: &[&str] = &[
    "ExePath=example-service.exe",
    "Config=agent.toml",
    "Port=18500",
    "ServiceName=SvcpackTest",
];

const CARGO_WIX_DEFINES: &[&str] = &[
    "Version=1.2.3",
    "CargoTargetBinDir=target\\release",
    "CargoTargetDir=target",
    "CargoProfile=release",
    "TargetEnv=msvc",
    "TargetVendor=pc",
    "TargetTriple=x86_64-pc-windows-msvc",
];

const CARGO_WIX_PAYLOADS: &[(&str, &str)] = &[
    ("wix/License.rtf", "{\\rtf1 MIT}\n"),
    ("target/release/example-service.exe", "MZ not really\n"),
];

fn wix3(name: &'static str, source: &'static [&'static str], expected: &'static str) -> Entry {
    Entry {
        // Included as `$(env.WIX_ROOT)\test\data\SharedData\Authoring\directories.wxi`.
        placed: &[(
            "corpus/wix3/directories.wxi",
            "test/data/SharedData/Authoring/directories.wxi",
        )],
        payloads: WIX3_PAYLOADS,
        wix_root: true,
        ..Entry::new(name, source, Oracle::Wix(expected))
    }
}

fn corpus() -> Vec<Entry> {
    use Known::*;
    let mut v = vec![
        // msitools' wixl test files (the WiX tutorial's first sample and friends).
        Entry {
            payloads: FOOBAR_PAYLOADS,
            ..Entry::new(
                "msitools/SampleFirst",
                &["corpus/msitools/SampleFirst.wxs"],
                Oracle::Wixl,
            )
        },
        Entry {
            payloads: FOOBAR_PAYLOADS,
            ..Entry::new(
                "msitools/SampleFragment+Manual",
                &[
                    "corpus/msitools/SampleFragment.wxs",
                    "corpus/msitools/Manual.wxs",
                ],
                Oracle::Wixl,
            )
        },
        Entry {
            payloads: FOOBAR_PAYLOADS,
            known: &[WixlRegistryKeyTrailingBackslash, WixlGuidCase],
            ..Entry::new(
                "msitools/SampleMachine",
                &["corpus/msitools/SampleMachine.wxs"],
                Oracle::Wixl,
            )
        },
        Entry {
            payloads: FOOBAR_PAYLOADS,
            arch: "x64",
            known: &[
                WixlRegistryKeyTrailingBackslash,
                WixlGuidCase,
                WixlComponentWin64,
            ],
            ..Entry::new(
                "msitools/SampleUser",
                &["corpus/msitools/SampleUser.wxs"],
                Oracle::Wixl,
            )
        },
        Entry {
            payloads: FOOBAR_PAYLOADS,
            ..Entry::new(
                "msitools/ComponentGUID",
                &["corpus/msitools/ComponentGUID.wxs"],
                Oracle::Wixl,
            )
        },
        Entry {
            payloads: FOOBAR_PAYLOADS,
            known: &[WixlRelativeSequence],
            sequences: &[("InstallExecuteSequence", "DoSomething", 6599)],
            ..Entry::new(
                "msitools/binary",
                &["corpus/msitools/binary.wxs"],
                Oracle::Wixl,
            )
        },
        Entry {
            payloads: FOOBAR_PAYLOADS,
            known: &[WixlMigrateFeatureStates],
            ..Entry::new(
                "msitools/test-arp",
                &["corpus/msitools/test-arp.wxs"],
                Oracle::Wixl,
            )
        },
        Entry {
            extra: &["corpus/msitools/IncludeWarn.wxi"],
            ..Entry::new(
                "msitools/IncludeTest",
                &["corpus/msitools/IncludeTest.wxs"],
                Oracle::Warnings,
            )
        },
        Entry {
            extra: &["corpus/msitools/IncludeWarn.wxi"],
            defines: &["Foo"],
            ..Entry::new(
                "msitools/IncludeTest -D Foo",
                &["corpus/msitools/IncludeTest.wxs"],
                Oracle::Warnings,
            )
        },
        Entry {
            extra: &["corpus/msitools/IncludeWarn.wxi"],
            defines: &["Bar"],
            ..Entry::new(
                "msitools/IncludeTest -D Bar",
                &["corpus/msitools/IncludeTest.wxs"],
                Oracle::Warnings,
            )
        },
        Entry {
            defines: &["Arch=x64"],
            ..Entry::new(
                "msitools/arch-condition -D Arch=x64",
                &["corpus/msitools/arch-condition.wxs"],
                Oracle::Warnings,
            )
        },
        Entry {
            defines: &["Arch=x86"],
            ..Entry::new(
                "msitools/arch-condition -D Arch=x86",
                &["corpus/msitools/arch-condition.wxs"],
                Oracle::Warnings,
            )
        },
        Entry {
            known: &[WixlUndefinedVariableInIf],
            ..Entry::new(
                "msitools/arch-condition",
                &["corpus/msitools/arch-condition.wxs"],
                Oracle::Warnings,
            )
        },
        // The WiX v3 tutorial's lessons applied to its first sample.
        Entry {
            payloads: FOOBAR_PAYLOADS,
            known: &[
                WixlMigrateFeatureStates,
                WixlRelativeSequence,
                WixlSecurePropertiesOrder,
            ],
            sequences: &[("InstallExecuteSequence", "RemoveExistingProducts", 1499)],
            ..Entry::new(
                "tutorial/SampleMajorUpgrade",
                &["corpus/tutorial/SampleMajorUpgrade.wxs"],
                Oracle::Wixl,
            )
        },
        Entry {
            payloads: FOOBAR_PAYLOADS,
            sequences: &[
                ("InstallExecuteSequence", "AlreadyUpdated", 26),
                ("InstallExecuteSequence", "NoDowngrade", 27),
            ],
            ..Entry::new(
                "tutorial/SampleUpgrade",
                &["corpus/tutorial/SampleUpgrade.wxs"],
                Oracle::Sdk(tutorial_upgrade),
            )
        },
        Entry {
            payloads: FOOBAR_PAYLOADS,
            ..Entry::new(
                "tutorial/SampleCondition",
                &["corpus/tutorial/SampleCondition.wxs"],
                Oracle::Sdk(tutorial_condition),
            )
        },
        // cargo-wix: the Visual Studio-style product used by its tests, and its default
        // templates rendered for a one-binary crate.
        // wixl 0.101 drops a File that has only a Source (no Id/Name): checked against WiX's rules.
        Entry {
            arch: "x64",
            payloads: &[("Cargo.toml", "[package]\nname = \"example\"\n")],
            ..Entry::new(
                "cargo-wix/one+two",
                &["corpus/cargo-wix/one.wxs", "corpus/cargo-wix/two.wxs"],
                Oracle::Sdk(cargo_wix_one_two),
            )
        },
        Entry {
            defines: CARGO_WIX_DEFINES,
            payloads: CARGO_WIX_PAYLOADS,
            strip: &["UI"],
            ..Entry::new(
                "cargo-wix/main.v3 (x86)",
                &["corpus/cargo-wix/main.v3.wxs"],
                Oracle::Sdk(cargo_wix_v3_x86),
            )
        },
        Entry {
            arch: "x64",
            defines: CARGO_WIX_DEFINES,
            payloads: CARGO_WIX_PAYLOADS,
            strip: &["UI"],
            ..Entry::new(
                "cargo-wix/main.v3 (x64)",
                &["corpus/cargo-wix/main.v3.wxs"],
                Oracle::Sdk(cargo_wix_v3_x64),
            )
        },
        Entry {
            arch: "x64",
            defines: CARGO_WIX_DEFINES,
            payloads: CARGO_WIX_PAYLOADS,
            strip: &["ui:WixUI", "Publish"],
            ..Entry::new(
                "cargo-wix/main.v4",
                &["corpus/cargo-wix/main.v4.wxs"],
                Oracle::Sdk(cargo_wix_v4),
            )
        },
        // svcpack's own service authoring.
        Entry {
            defines: &["ServiceName=SvcpackBasic"],
            payloads: &[
                ("basic-service.exe", "MZ basic\n"),
                ("basic.toml", "a = 1\n"),
            ],
            known: &[WixlFeatureDisplay],
            ..Entry::new(
                "svcpack/service-basic-v3",
                &["corpus/svcpack/service-basic-v3.wxs"],
                Oracle::Wixl,
            )
        },
        Entry {
            arch: "x64",
            defines: &["ServiceName=SvcpackBasic"],
            payloads: &[
                ("basic-service.exe", "MZ basic\n"),
                ("basic.toml", "a = 1\n"),
            ],
            known: &[WixlComponentWin64, WixlFeatureDisplay],
            ..Entry::new(
                "svcpack/service-basic-v3 (x64)",
                &["corpus/svcpack/service-basic-v3.wxs"],
                Oracle::Wixl,
            )
        },
        Entry {
            arch: "x64",
            defines: SERVICE_DEFINES,
            payloads: SERVICE_PAYLOADS,
            ..Entry::new(
                "svcpack/service-v3",
                &["wix/service-v3.wxs"],
                Oracle::Sdk(service_v3),
            )
        },
        Entry {
            arch: "x64",
            defines: SERVICE_DEFINES,
            payloads: SERVICE_PAYLOADS,
            ..Entry::new(
                "svcpack/service-v4",
                &["wix/service-v4.wxs"],
                Oracle::Sdk(service_v4),
            )
        },
        Entry {
            arch: "x64",
            defines: SERVICE_DEFINES,
            payloads: SERVICE_PAYLOADS,
            ..Entry::new(
                "svcpack/service-config-v3",
                &["corpus/svcpack/service-config-v3.wxs"],
                Oracle::Sdk(service_config_v3),
            )
        },
        Entry {
            arch: "x64",
            payloads: &[
                ("server.dll", "MZ server\n"),
                ("types.tlb", "types\n"),
                ("sample.ttf", "font\n"),
            ],
            ..Entry::new(
                "svcpack/com-v4",
                &["corpus/svcpack/com-v4.wxs"],
                Oracle::Sdk(com_v4),
            )
        },
        // WiX v4+ authoring from WiX's own test data, with the rows its fixtures assert.
        Entry {
            arch: "x64",
            payloads: &[("test.txt", "This is test.txt.\n")],
            ..Entry::new(
                "wix4/RegistryValue",
                &["corpus/wix4/RegistryValue.wxs", "corpus/wix4/Product.wxs"],
                Oracle::Sdk(wix4_registry_value),
            )
        },
        Entry {
            arch: "x64",
            ..Entry::new(
                "wix4/RegistryValueMultiString",
                &[
                    "corpus/wix4/RegistryValueMultiString.wxs",
                    "corpus/wix4/Product.wxs",
                ],
                Oracle::Sdk(wix4_registry_multi_string),
            )
        },
        Entry {
            arch: "x64",
            ..Entry::new(
                "wix4/RegistryKeyEndingWithBackslash",
                &[
                    "corpus/wix4/RegistryKeyEndingWithBackslash.wxs",
                    "corpus/wix4/Product.wxs",
                ],
                Oracle::Sdk(wix4_registry_key_backslash),
            )
        },
        Entry {
            arch: "x64",
            extra: &["corpus/wix4/PerUser.wxs"],
            ..Entry::new(
                "wix4/AllUsers/PerMachine",
                &["corpus/wix4/PerMachine.wxs"],
                Oracle::Sdk(wix4_per_machine),
            )
        },
        Entry {
            arch: "x64",
            extra: &["corpus/wix4/PerUser.wxs"],
            ..Entry::new(
                "wix4/AllUsers/PerUser",
                &["corpus/wix4/PerUser.wxs"],
                Oracle::Sdk(wix4_per_user),
            )
        },
        Entry {
            arch: "x64",
            extra: &["corpus/wix4/PerUser.wxs"],
            ..Entry::new(
                "wix4/AllUsers/PerUserOrMachine",
                &["corpus/wix4/PerUserOrMachine.wxs"],
                Oracle::Sdk(wix4_per_user_or_machine),
            )
        },
    ];
    // WiX v3's integration tests, each with the tables WiX built from it.
    for (name, wxs, expected) in [
        (
            "wix3/AllStandardActions",
            "corpus/wix3/AllStandardActions.wxs",
            "corpus/wix3/AllStandardActions.expected",
        ),
        (
            "wix3/ChangeEnvironment",
            "corpus/wix3/ChangeEnvironment.wxs",
            "corpus/wix3/ChangeEnvironment.expected",
        ),
        (
            "wix3/CreateEnvironment",
            "corpus/wix3/CreateEnvironment.wxs",
            "corpus/wix3/CreateEnvironment.expected",
        ),
        (
            "wix3/RemoveEnvironment",
            "corpus/wix3/RemoveEnvironment.wxs",
            "corpus/wix3/RemoveEnvironment.expected",
        ),
        (
            "wix3/ComponentSymbolPath",
            "corpus/wix3/ComponentSymbolPath.wxs",
            "corpus/wix3/ComponentSymbolPath.expected",
        ),
        (
            "wix3/CreateFolderInFloatingComponent",
            "corpus/wix3/CreateFolderInFloatingComponent.wxs",
            "corpus/wix3/CreateFolderInFloatingComponent.expected",
        ),
        (
            "wix3/CreateFolderShortcut",
            "corpus/wix3/CreateFolderShortcut.wxs",
            "corpus/wix3/CreateFolderShortcut.expected",
        ),
        (
            "wix3/SimpleCreateFolder",
            "corpus/wix3/SimpleCreateFolder.wxs",
            "corpus/wix3/SimpleCreateFolder.expected",
        ),
        (
            "wix3/SimpleRemoveFolder",
            "corpus/wix3/SimpleRemoveFolder.wxs",
            "corpus/wix3/SimpleRemoveFolder.expected",
        ),
        (
            "wix3/CreateFolderPermissionEx",
            "corpus/wix3/CreateFolderPermissionEx.wxs",
            "corpus/wix3/CreateFolderPermissionEx.expected",
        ),
        (
            "wix3/FilePermissionEx",
            "corpus/wix3/FilePermissionEx.wxs",
            "corpus/wix3/FilePermissionEx.expected",
        ),
        (
            "wix3/PermissionExTwiceOnOneFile",
            "corpus/wix3/PermissionExTwiceOnOneFile.wxs",
            "corpus/wix3/PermissionExTwiceOnOneFile.expected",
        ),
        (
            "wix3/RegistryPermissionEx",
            "corpus/wix3/RegistryPermissionEx.wxs",
            "corpus/wix3/RegistryPermissionEx.expected",
        ),
        (
            "wix3/SimpleRegistry",
            "corpus/wix3/SimpleRegistry.wxs",
            "corpus/wix3/SimpleRegistry.expected",
        ),
        (
            "wix3/SimpleMedia",
            "corpus/wix3/SimpleMedia.wxs",
            "corpus/wix3/SimpleMedia.expected",
        ),
        (
            "wix3/SimpleProduct",
            "corpus/wix3/SimpleProduct.wxs",
            "corpus/wix3/SimpleProduct.expected",
        ),
        (
            "wix3/NonDefaultProduct",
            "corpus/wix3/NonDefaultProduct.wxs",
            "corpus/wix3/NonDefaultProduct.expected",
        ),
    ] {
        v.push(wix3(name, leak(wxs), expected));
    }
    v.push(Entry {
        known: &[Wix30FileVital],
        ..wix3(
            "wix3/SimpleShortcut",
            &["corpus/wix3/SimpleShortcut.wxs"],
            "corpus/wix3/SimpleShortcut.expected",
        )
    });
    v
}

fn leak(s: &'static str) -> &'static [&'static str] {
    Box::leak(Box::new([s]))
}

// ---------------------------------------------------------------------------------------------
// Running the compilers.
// ---------------------------------------------------------------------------------------------

fn tests_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests")
}

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .map(|o| o.status.success() || !o.stdout.is_empty() || !o.stderr.is_empty())
        .unwrap_or(false)
}

/// Whether msitools is available; without it the table tests are skipped loudly.
fn msitools() -> bool {
    let ok = have("msiinfo") && have("wixl");
    if !ok {
        assert!(
            std::env::var_os("SVCPACK_REQUIRE_MSITOOLS").is_none(),
            "msitools (wixl, msiinfo) are required"
        );
        eprintln!("NOTICE: msitools (wixl, msiinfo) not installed; differential tests skipped");
    }
    ok
}

/// The work directory of one entry: its sources and extras (flat), generated payloads.
struct Work {
    dir: tempfile::TempDir,
    sources: Vec<String>,
    /// The text of every corpus file involved (to tell authored ids and GUIDs from generated).
    authored: String,
}

/// Removes every element named `name` (with its content) from `text`.
fn strip_element(text: &str, name: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    let open = format!("<{name}");
    while let Some(i) = rest.find(&open) {
        let after = &rest[i + open.len()..];
        if !after.starts_with([' ', '>', '/', '\n', '\t', '\r']) {
            out.push_str(&rest[..i + open.len()]);
            rest = after;
            continue;
        }
        // Drop the line's indentation too.
        let line_start = rest[..i].rfind('\n').map(|n| n + 1).unwrap_or(0);
        let keep = if rest[line_start..i].trim().is_empty() {
            line_start
        } else {
            i
        };
        out.push_str(&rest[..keep]);
        let tag_end = after.find('>').expect("unterminated tag") + 1;
        let end = if after[..tag_end].ends_with("/>") {
            tag_end
        } else {
            let close = format!("</{name}>");
            after.find(&close).expect("unclosed element") + close.len()
        };
        rest = &after[end..];
        if let Some(r) = rest.strip_prefix('\n') {
            if keep == line_start {
                rest = r;
            }
        }
    }
    out.push_str(rest);
    out
}

fn prepare(e: &Entry) -> Work {
    let dir = tempfile::tempdir().unwrap();
    let mut authored = String::new();
    let mut sources = Vec::new();
    for (i, rel) in e.sources.iter().chain(e.extra).enumerate() {
        let text = std::fs::read_to_string(tests_dir().join(rel))
            .unwrap_or_else(|err| panic!("{rel}: {err}"));
        let mut text = text;
        for s in e.strip {
            text = strip_element(&text, s);
        }
        authored.push_str(&text);
        let name = Path::new(rel)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .to_string();
        std::fs::write(dir.path().join(&name), &text).unwrap();
        if i < e.sources.len() {
            sources.push(name);
        }
    }
    for (rel, dest) in e.placed {
        let text = std::fs::read_to_string(tests_dir().join(rel)).unwrap();
        authored.push_str(&text);
        let p = dir.path().join(dest);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    for (path, contents) in e.payloads {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, contents).unwrap();
    }
    Work {
        dir,
        sources,
        authored,
    }
}

struct Run {
    ok: bool,
    stderr: String,
    msi: PathBuf,
}

fn run_ours(e: &Entry, w: &Work) -> Run {
    let msi = w.dir.path().join("ours.msi");
    let mut c = Command::new(env!("CARGO_BIN_EXE_cargo-svcpack"));
    c.current_dir(w.dir.path())
        .args(["svcpack", "compile", "-a", e.arch, "-o"])
        .arg(&msi)
        .args(&w.sources)
        .env("SOURCE_DATE_EPOCH", "1700000000");
    for d in e.defines {
        c.arg("-D").arg(d);
    }
    if e.wix_root {
        c.env("WIX_ROOT", w.dir.path());
    }
    let o = c.output().unwrap();
    Run {
        ok: o.status.success(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        msi,
    }
}

fn run_wixl(e: &Entry, w: &Work) -> Run {
    let msi = w.dir.path().join("wixl.msi");
    let mut c = Command::new("wixl");
    c.current_dir(w.dir.path())
        .args(["-a", e.arch, "-o"])
        .arg(&msi)
        .args(&w.sources);
    for d in e.defines {
        c.arg("-D").arg(d);
    }
    let o = c.output().unwrap();
    Run {
        ok: o.status.success() && msi.exists(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        msi,
    }
}

// ---------------------------------------------------------------------------------------------
// Reading databases with msiinfo.
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Eq)]
struct Table {
    columns: Vec<String>,
    types: Vec<String>,
    rows: Vec<Vec<String>>,
}

/// Every table of a database (including msiinfo's `_SummaryInformation` pseudo table).
#[derive(Clone, Debug, Default)]
struct Db {
    tables: BTreeMap<String, Table>,
}

impl Db {
    fn rows(&self, table: &str) -> Vec<Vec<String>> {
        self.tables
            .get(table)
            .map(|t| t.rows.clone())
            .unwrap_or_default()
    }

    fn rows_text(&self, table: &str) -> BTreeSet<String> {
        self.rows(table).iter().map(|r| r.join("\t")).collect()
    }

    fn col(&self, table: &str, column: &str) -> Option<usize> {
        self.tables
            .get(table)?
            .columns
            .iter()
            .position(|c| c == column)
    }
}

fn parse_export(text: &str) -> Option<Table> {
    let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let columns: Vec<String> = lines.next()?.split('\t').map(str::to_string).collect();
    let types: Vec<String> = lines.next()?.split('\t').map(str::to_string).collect();
    let _keys = lines.next()?;
    let mut rows = Vec::new();
    for l in lines {
        if l.is_empty() {
            continue;
        }
        let mut r: Vec<String> = l.split('\t').map(str::to_string).collect();
        r.resize(columns.len(), String::new());
        rows.push(r);
    }
    Some(Table {
        columns,
        types,
        rows,
    })
}

fn read_db(msi: &Path) -> Db {
    // `msiinfo export` writes the streams of binary columns (Binary.Data, Icon.Data) into
    // `<Table>/` under its working directory: keep that inside the entry's work directory.
    let cwd = msi.parent().expect("the MSI is in a work directory");
    let out = Command::new("msiinfo")
        .current_dir(cwd)
        .arg("tables")
        .arg(msi)
        .output()
        .unwrap();
    assert!(out.status.success(), "msiinfo tables {}", msi.display());
    let mut db = Db::default();
    for name in String::from_utf8_lossy(&out.stdout).split_whitespace() {
        let o = Command::new("msiinfo")
            .current_dir(cwd)
            .arg("export")
            .arg(msi)
            .arg(name)
            .output()
            .unwrap();
        if !o.status.success() {
            continue;
        }
        let text = String::from_utf8_lossy(&o.stdout);
        if let Some(t) = parse_export(&text) {
            db.tables.insert(name.to_string(), t);
        }
    }
    db
}

/// WiX's tables as stored in the corpus: `### Table` then msiinfo's export of it.
fn read_expected(path: &Path) -> Db {
    let text = std::fs::read_to_string(path).unwrap();
    let mut db = Db::default();
    for section in text.split("### ").filter(|s| !s.is_empty()) {
        let (name, body) = section.split_once('\n').unwrap();
        if let Some(t) = parse_export(body) {
            db.tables.insert(name.to_string(), t);
        }
    }
    db
}

fn stream(msi: &Path, name: &str) -> Option<Vec<u8>> {
    let o = Command::new("msiinfo")
        .current_dir(msi.parent()?)
        .arg("extract")
        .arg(msi)
        .arg(name)
        .output()
        .ok()?;
    o.status.success().then_some(o.stdout)
}

// ---------------------------------------------------------------------------------------------
// Normalisation: only generated GUIDs, generated row ids and short names.
// ---------------------------------------------------------------------------------------------

/// `short|long` columns (Filename and DefaultDir categories) as (table, column).
const FILENAME_COLUMNS: &[(&str, &str)] = &[
    ("Directory", "DefaultDir"),
    ("File", "FileName"),
    ("Shortcut", "Name"),
    ("RemoveFile", "FileName"),
    ("DuplicateFile", "DestName"),
    ("IniFile", "FileName"),
    ("RemoveIniFile", "FileName"),
    ("MoveFile", "SourceName"),
    ("MoveFile", "DestName"),
];

/// The long part of a `short|long` name (each side of a DefaultDir `target:source`).
fn long_names(v: &str) -> String {
    v.split(':')
        .map(|part| part.rsplit('|').next().unwrap_or(part))
        .collect::<Vec<_>>()
        .join(":")
}

fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_hexdigit())
}

/// A braced GUID.
fn is_guid(v: &str) -> bool {
    v.len() == 38 && v.starts_with('{') && v.ends_with('}') && {
        let b = &v.as_bytes()[1..37];
        b.iter().enumerate().all(|(i, c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                *c == b'-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
    }
}

/// An identifier a compiler made up (WiX, wixl and svcpack all use a short prefix and a
/// long hash: `reg7FBAFA0F…`, `pme…`, `dir…`), and that the authoring does not contain.
fn is_generated_id(v: &str, authored: &str) -> bool {
    let prefix_len = v.find(|c: char| c.is_ascii_digit()).unwrap_or(v.len()).min(
        v.char_indices()
            .find(|(_, c)| !(c.is_ascii_alphabetic() || *c == '_'))
            .map(|(i, _)| i)
            .unwrap_or(v.len()),
    );
    let (prefix, hash) = v.split_at(prefix_len.min(v.len()));
    let hashed = (1..=5).contains(&prefix.len()) && hash.len() >= 16 && is_hex(hash);
    // A prefix that is itself hex (e.g. "reg" is not, "dec" is) may eat into the hash.
    let hashed = hashed
        || (v.len() >= 19 && is_hex(&v[3..]) && v[..3].chars().all(|c| c.is_ascii_lowercase()));
    hashed && !authored.contains(v)
}

/// Generated GUIDs and, with `short_names` (wixl writes long names only), the short part
/// of `short|long` names (see the module documentation).
fn normalise(db: &Db, authored: &str, short_names: bool) -> Db {
    let mut db = db.clone();
    for (table, column) in FILENAME_COLUMNS.iter().filter(|_| short_names) {
        if let (Some(i), Some(t)) = (db.col(table, column), db.tables.get_mut(*table)) {
            for r in &mut t.rows {
                r[i] = long_names(&r[i]);
            }
        }
    }
    // Generated GUIDs: ComponentId for Guid="*", ProductCode "*", the package code.
    if let (Some(i), Some(t)) = (
        db.col("Component", "ComponentId"),
        db.tables.get_mut("Component"),
    ) {
        for r in &mut t.rows {
            if is_guid(&r[i]) && !authored.to_ascii_uppercase().contains(&r[i][1..37]) {
                r[i] = "<generated component GUID>".into();
            }
        }
    }
    if let Some(t) = db.tables.get_mut("Property") {
        for r in &mut t.rows {
            if r[0] == "ProductCode"
                && !authored
                    .to_ascii_uppercase()
                    .contains(&r[1].trim_matches(['{', '}']).to_ascii_uppercase())
            {
                r[1] = "<generated ProductCode>".into();
            }
        }
    }
    if let Some(t) = db.tables.get_mut("_SummaryInformation") {
        for r in &mut t.rows {
            match r[0].as_str() {
                "9" => r[1] = "<package code>".into(),
                // Creation/save time and the creating application name the tool, not the package.
                "12" | "13" => r[1] = "<time>".into(),
                "18" => r[1] = "<creating application>".into(),
                _ => {}
            }
        }
    }
    db
}

/// Generated row ids: the first column of any table, when made up by the compiler. Each
/// gets a name from its table and the rest of its row, so both sides agree; every cell
/// that refers to it (a key path, a foreign key) is renamed with it.
fn normalise_ids(db: &Db, authored: &str) -> Db {
    let mut db = db.clone();
    let mut map: BTreeMap<String, String> = BTreeMap::new();
    for (name, t) in &db.tables {
        if name.starts_with('_') {
            continue;
        }
        let mut generated: Vec<(String, String)> = t
            .rows
            .iter()
            .filter(|r| is_generated_id(&r[0], authored))
            .map(|r| (r[1..].join("\t"), r[0].clone()))
            .collect();
        generated.sort();
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        for (rest, id) in generated {
            let n = seen.entry(rest.clone()).or_insert(0);
            *n += 1;
            map.insert(id, format!("<{name} id: {rest} #{n}>"));
        }
    }
    if !map.is_empty() {
        for t in db.tables.values_mut() {
            for r in &mut t.rows {
                for c in r.iter_mut() {
                    if let Some(m) = map.get(c.as_str()) {
                        *c = m.clone();
                    }
                }
            }
        }
    }
    db
}

// ---------------------------------------------------------------------------------------------
// Known differences, applied to the oracle's side only, and only where an entry lists them.
// ---------------------------------------------------------------------------------------------

/// K2: the numbers of the relatively scheduled actions an entry lists (asserted against
/// WiX's rule by [`check_sequences`]) are not compared with the oracle's; the rows
/// themselves (action, condition) still are.
fn mask_sequences(db: &mut Db, actions: &[(&str, &str, i32)]) {
    for (table, action, _) in actions {
        if let Some(t) = db.tables.get_mut(*table) {
            for r in &mut t.rows {
                if r[0] == *action {
                    r[2] = "<relative: checked against WiX's rule>".into();
                }
            }
        }
    }
}

fn apply_known(e: &Entry, oracle: &mut Db, ours: &mut Db) {
    let arch = e.arch;
    for k in e.known {
        match k {
            Known::WixlMigrateFeatureStates => {
                let migrates = oracle
                    .rows("Upgrade")
                    .iter()
                    .any(|r| r[4].parse::<i32>().map(|a| a & 1 != 0).unwrap_or(false));
                if !migrates {
                    for table in ["InstallExecuteSequence", "InstallUISequence"] {
                        if let Some(t) = oracle.tables.get_mut(table) {
                            t.rows.retain(|r| r[0] != "MigrateFeatureStates");
                        }
                    }
                }
            }
            Known::WixlRelativeSequence => {
                mask_sequences(oracle, e.sequences);
                mask_sequences(ours, e.sequences);
            }
            Known::WixlSecurePropertiesOrder => {
                if let Some(t) = oracle.tables.get_mut("Property") {
                    for r in &mut t.rows {
                        if r[0] == "SecureCustomProperties" {
                            let mut v: Vec<&str> = r[1].split(';').collect();
                            v.sort_unstable();
                            r[1] = v.join(";");
                        }
                    }
                }
            }
            Known::WixlRegistryKeyTrailingBackslash => {
                if let Some(t) = oracle.tables.get_mut("Registry") {
                    for r in &mut t.rows {
                        if r[2].ends_with('\\') {
                            r[2].pop();
                        }
                    }
                }
            }
            Known::WixlGuidCase => {
                for t in oracle.tables.values_mut() {
                    for r in &mut t.rows {
                        for c in r.iter_mut() {
                            if is_guid(c) {
                                *c = c.to_ascii_uppercase();
                            }
                        }
                    }
                }
            }
            Known::WixlComponentWin64 => {
                if arch != "x86" {
                    if let (Some(i), Some(t)) = (
                        oracle.col("Component", "Attributes"),
                        oracle.tables.get_mut("Component"),
                    ) {
                        for r in &mut t.rows {
                            if let Ok(a) = r[i].parse::<i32>() {
                                r[i] = (a | 0x100).to_string();
                            }
                        }
                    }
                }
            }
            Known::Wix30FileVital => {
                if let (Some(i), Some(t)) = (
                    oracle.col("File", "Attributes"),
                    oracle.tables.get_mut("File"),
                ) {
                    for r in &mut t.rows {
                        let a: i32 = r[i].parse().unwrap_or(0);
                        r[i] = (a | 0x200).to_string();
                    }
                }
            }
            Known::WixlFeatureDisplay => {
                for db in [&mut *oracle, &mut *ours] {
                    if let (Some(i), Some(t)) =
                        (db.col("Feature", "Display"), db.tables.get_mut("Feature"))
                    {
                        for r in &mut t.rows {
                            r[i] = "<Display: WiX's per-level numbering>".into();
                        }
                    }
                }
            }
            Known::WixlUndefinedVariableInIf => {}
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Comparison.
// ---------------------------------------------------------------------------------------------

/// Tables an oracle does not write at all and that are checked against the SDK instead.
fn skipped_table(oracle: &Oracle, table: &str) -> bool {
    match oracle {
        // wixl writes no _Validation table (WiX does); ours is checked by `check_sdk`.
        Oracle::Wixl => table == "_Validation",
        // The expected tables were exported without _Validation (WiX's carries descriptions).
        Oracle::Wix(_) => table == "_Validation",
        _ => false,
    }
}

fn compare(
    name: &str,
    oracle_name: &str,
    theirs: &Db,
    ours: &Db,
    skip: impl Fn(&str) -> bool,
    failures: &mut Vec<String>,
) {
    let non_empty = |db: &Db| -> BTreeSet<String> {
        db.tables
            .iter()
            .filter(|(n, t)| !t.rows.is_empty() && !skip(n) && n.as_str() != "_ForceCodepage")
            .map(|(n, _)| n.clone())
            .collect()
    };
    let (a, b) = (non_empty(theirs), non_empty(ours));
    let mut report = String::new();
    for t in a.union(&b) {
        match (theirs.tables.get(t), ours.tables.get(t)) {
            (Some(x), Some(y)) => {
                if x.columns != y.columns || x.types != y.types {
                    report.push_str(&format!(
                        "  {t}: columns differ\n    {oracle_name}: {:?} {:?}\n    svcpack: {:?} {:?}\n",
                        x.columns, x.types, y.columns, y.types
                    ));
                    continue;
                }
                let xs: BTreeSet<String> = x.rows.iter().map(|r| r.join(" | ")).collect();
                let ys: BTreeSet<String> = y.rows.iter().map(|r| r.join(" | ")).collect();
                if xs != ys || x.rows.len() != y.rows.len() {
                    report.push_str(&format!("  {t}: rows differ\n"));
                    for r in xs.difference(&ys) {
                        report.push_str(&format!("    only {oracle_name}: {r}\n"));
                    }
                    for r in ys.difference(&xs) {
                        report.push_str(&format!("    only svcpack: {r}\n"));
                    }
                }
            }
            (Some(x), None) => report.push_str(&format!(
                "  {t}: only {oracle_name} has it ({} rows)\n",
                x.rows.len()
            )),
            (None, Some(y)) => report.push_str(&format!(
                "  {t}: only svcpack has it ({} rows)\n",
                y.rows.len()
            )),
            (None, None) => {}
        }
    }
    if !report.is_empty() {
        failures.push(format!("{name}: differs from {oracle_name}\n{report}"));
    }
}

/// Binary and Icon streams, and the embedded cabinets' files, byte for byte.
fn compare_streams(name: &str, wixl: &Path, ours: &Path, theirs: &Db, failures: &mut Vec<String>) {
    for table in ["Binary", "Icon"] {
        for r in theirs.rows(table) {
            let s = format!("{table}.{}", r[0]);
            if stream(wixl, &s) != stream(ours, &s) {
                failures.push(format!("{name}: stream {s} differs from wixl's"));
            }
        }
    }
    for r in theirs.rows("Media") {
        let Some(cab) = r.get(3).and_then(|c| c.strip_prefix('#')) else {
            continue;
        };
        let files = |msi: &Path| -> Option<Vec<(String, Vec<u8>)>> {
            let bytes = stream(msi, cab)?;
            let mut c = cab::Cabinet::new(std::io::Cursor::new(bytes)).ok()?;
            let names: Vec<String> = c
                .folder_entries()
                .flat_map(|f| {
                    f.file_entries()
                        .map(|e| e.name().to_string())
                        .collect::<Vec<_>>()
                })
                .collect();
            let mut out = Vec::new();
            for n in names {
                let mut data = Vec::new();
                std::io::Read::read_to_end(&mut c.read_file(&n).ok()?, &mut data).ok()?;
                out.push((n, data));
            }
            Some(out)
        };
        let (w, o) = (files(wixl), files(ours));
        if w.is_none() || w != o {
            failures.push(format!(
                "{name}: cabinet {cab} differs: wixl {:?}, svcpack {:?}",
                w.map(|v| v.into_iter().map(|(n, d)| (n, d.len())).collect::<Vec<_>>()),
                o.map(|v| v.into_iter().map(|(n, d)| (n, d.len())).collect::<Vec<_>>())
            ));
        }
    }
}

/// Our sequence numbers for relatively scheduled actions, by WiX's rule.
fn check_sequences(e: &Entry, ours: &Db, failures: &mut Vec<String>) {
    for (table, action, expected) in e.sequences {
        let got = ours
            .rows(table)
            .into_iter()
            .find(|r| r[0] == *action)
            .map(|r| r[2].clone());
        if got.as_deref() != Some(expected.to_string().as_str()) {
            failures.push(format!(
                "{}: {table}.{action} is {got:?}; WiX schedules it at {expected}",
                e.name
            ));
        }
    }
}

fn warnings(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter(|l| l.contains(": warning: "))
        .map(|l| base_name(l.trim()))
        .collect()
}

/// `dir/file:line: ...` → `file:line: ...` (the tools name files differently).
fn base_name(diagnostic: &str) -> String {
    match diagnostic.split_once(": warning: ") {
        Some((loc, msg)) => {
            let file = loc.rsplit(['/', '\\']).next().unwrap_or(loc);
            format!("{file}: warning: {msg}")
        }
        None => diagnostic.to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// The MSI SDK's table definitions, as msiinfo reports them (name, type).
// ---------------------------------------------------------------------------------------------

/// Column definitions from the Windows Installer SDK table reference (type letters as in
/// `.idt` files: s/S string (nullable upper case), l/L localizable string, i/I integer,
/// v binary stream; the number is the width).
fn sdk_columns(table: &str) -> Option<&'static [(&'static str, &'static str)]> {
    const SEQ: &[(&str, &str)] = &[("Action", "s72"), ("Condition", "S255"), ("Sequence", "I2")];
    Some(match table {
        "AdminExecuteSequence"
        | "AdminUISequence"
        | "AdvtExecuteSequence"
        | "InstallExecuteSequence"
        | "InstallUISequence" => SEQ,
        "Binary" | "Icon" => &[("Name", "s72"), ("Data", "v0")],
        "Component" => &[
            ("Component", "s72"),
            ("ComponentId", "S38"),
            ("Directory_", "s72"),
            ("Attributes", "i2"),
            ("Condition", "S255"),
            ("KeyPath", "S72"),
        ],
        "Condition" => &[("Feature_", "s38"), ("Level", "i2"), ("Condition", "S255")],
        "CreateFolder" => &[("Directory_", "s72"), ("Component_", "s72")],
        "CustomAction" => &[
            ("Action", "s72"),
            ("Type", "i2"),
            ("Source", "S72"),
            ("Target", "S255"),
            ("ExtendedType", "I4"),
        ],
        "Directory" => &[
            ("Directory", "s72"),
            ("Directory_Parent", "S72"),
            ("DefaultDir", "l255"),
        ],
        "DuplicateFile" => &[
            ("FileKey", "s72"),
            ("Component_", "s72"),
            ("File_", "s72"),
            ("DestName", "L255"),
            ("DestFolder", "S72"),
        ],
        "Environment" => &[
            ("Environment", "s72"),
            ("Name", "l255"),
            ("Value", "L255"),
            ("Component_", "s72"),
        ],
        "Feature" => &[
            ("Feature", "s38"),
            ("Feature_Parent", "S38"),
            ("Title", "L64"),
            ("Description", "L255"),
            ("Display", "I2"),
            ("Level", "i2"),
            ("Directory_", "S72"),
            ("Attributes", "i2"),
        ],
        "FeatureComponents" => &[("Feature_", "s38"), ("Component_", "s72")],
        "File" => &[
            ("File", "s72"),
            ("Component_", "s72"),
            ("FileName", "l255"),
            ("FileSize", "i4"),
            ("Version", "S72"),
            ("Language", "S20"),
            ("Attributes", "I2"),
            ("Sequence", "i4"),
        ],
        "LaunchCondition" => &[("Condition", "s255"), ("Description", "l255")],
        "Media" => &[
            ("DiskId", "i2"),
            ("LastSequence", "i4"),
            ("DiskPrompt", "L64"),
            ("Cabinet", "S255"),
            ("VolumeLabel", "S32"),
            ("Source", "S72"),
        ],
        "MsiFileHash" => &[
            ("File_", "s72"),
            ("Options", "i2"),
            ("HashPart1", "i4"),
            ("HashPart2", "i4"),
            ("HashPart3", "i4"),
            ("HashPart4", "i4"),
        ],
        "MsiLockPermissionsEx" => &[
            ("MsiLockPermissionsEx", "s72"),
            ("LockObject", "s72"),
            ("Table", "s32"),
            ("SDDLText", "s0"),
            ("Condition", "S255"),
        ],
        "MsiServiceConfig" => &[
            ("MsiServiceConfig", "s72"),
            ("Name", "s255"),
            ("Event", "i2"),
            ("ConfigType", "i4"),
            ("Argument", "S0"),
            ("Component_", "s72"),
        ],
        "MsiServiceConfigFailureActions" => &[
            ("MsiServiceConfigFailureActions", "s72"),
            ("Name", "s255"),
            ("Event", "i2"),
            ("ResetPeriod", "I4"),
            ("RebootMessage", "L255"),
            ("Command", "L255"),
            ("Actions", "S0"),
            ("DelayActions", "S0"),
            ("Component_", "s72"),
        ],
        "AppId" => &[
            ("AppId", "s38"),
            ("RemoteServerName", "S255"),
            ("LocalService", "S255"),
            ("ServiceParameters", "S255"),
            ("DllSurrogate", "S255"),
            ("ActivateAtStorage", "I2"),
            ("RunAsInteractiveUser", "I2"),
        ],
        "Font" => &[("File_", "s72"), ("FontTitle", "S128")],
        "MoveFile" => &[
            ("FileKey", "s72"),
            ("Component_", "s72"),
            ("SourceName", "L255"),
            ("DestName", "L255"),
            ("SourceFolder", "S72"),
            ("DestFolder", "s72"),
            ("Options", "i2"),
        ],
        "ReserveCost" => &[
            ("ReserveKey", "s72"),
            ("Component_", "s72"),
            ("ReserveFolder", "S72"),
            ("ReserveLocal", "i4"),
            ("ReserveSource", "i4"),
        ],
        "TypeLib" => &[
            ("LibID", "s38"),
            ("Language", "i2"),
            ("Component_", "s72"),
            ("Version", "I4"),
            ("Description", "L128"),
            ("Directory_", "S72"),
            ("Feature_", "s38"),
            ("Cost", "I4"),
        ],
        "Property" => &[("Property", "s72"), ("Value", "l0")],
        "Registry" => &[
            ("Registry", "s72"),
            ("Root", "i2"),
            ("Key", "l255"),
            ("Name", "L255"),
            ("Value", "L0"),
            ("Component_", "s72"),
        ],
        "RemoveFile" => &[
            ("FileKey", "s72"),
            ("Component_", "s72"),
            ("FileName", "L255"),
            ("DirProperty", "s72"),
            ("InstallMode", "i2"),
        ],
        "ServiceControl" => &[
            ("ServiceControl", "s72"),
            ("Name", "l255"),
            ("Event", "i2"),
            ("Arguments", "L255"),
            ("Wait", "I2"),
            ("Component_", "s72"),
        ],
        "ServiceInstall" => &[
            ("ServiceInstall", "s72"),
            ("Name", "s255"),
            ("DisplayName", "L255"),
            ("ServiceType", "i4"),
            ("StartType", "i4"),
            ("ErrorControl", "i4"),
            ("LoadOrderGroup", "S255"),
            ("Dependencies", "S255"),
            ("StartName", "S255"),
            ("Password", "S255"),
            ("Arguments", "S255"),
            ("Component_", "s72"),
            ("Description", "L255"),
        ],
        "Shortcut" => &[
            ("Shortcut", "s72"),
            ("Directory_", "s72"),
            ("Name", "l128"),
            ("Component_", "s72"),
            ("Target", "s72"),
            ("Arguments", "S255"),
            ("Description", "L255"),
            ("Hotkey", "I2"),
            ("Icon_", "S72"),
            ("IconIndex", "I2"),
            ("ShowCmd", "I2"),
            ("WkDir", "S72"),
            ("DisplayResourceDLL", "S255"),
            ("DisplayResourceId", "I2"),
            ("DescriptionResourceDLL", "S255"),
            ("DescriptionResourceId", "I2"),
        ],
        "Upgrade" => &[
            ("UpgradeCode", "s38"),
            ("VersionMin", "S20"),
            ("VersionMax", "S20"),
            ("Language", "S255"),
            ("Attributes", "i4"),
            ("Remove", "S255"),
            ("ActionProperty", "s72"),
        ],
        "_Validation" => &[
            ("Table", "s32"),
            ("Column", "s32"),
            ("Nullable", "s4"),
            ("MinValue", "I4"),
            ("MaxValue", "I4"),
            ("KeyTable", "S255"),
            ("KeyColumn", "I2"),
            ("Category", "S32"),
            ("Set", "S255"),
            ("Description", "S255"),
        ],
        _ => return None,
    })
}

/// Our output against the SDK: known tables have the SDK's columns and types, every
/// column of every table has a `_Validation` row agreeing with its nullability, and every
/// table we write is one the checks know (so a new table cannot slip by unchecked).
fn check_sdk(name: &str, db: &Db, failures: &mut Vec<String>) {
    let validation: BTreeMap<(String, String), Vec<String>> = db
        .rows("_Validation")
        .into_iter()
        .map(|r| ((r[0].clone(), r[1].clone()), r))
        .collect();
    if validation.is_empty() {
        failures.push(format!("{name}: no _Validation table"));
    }
    for (t, table) in &db.tables {
        if matches!(t.as_str(), "_SummaryInformation" | "_ForceCodepage") {
            continue;
        }
        match sdk_columns(t) {
            Some(cols) => {
                let want: Vec<String> = cols.iter().map(|(c, _)| c.to_string()).collect();
                let want_types: Vec<String> = cols.iter().map(|(_, ty)| ty.to_string()).collect();
                if table.columns != want || !types_match(&table.types, &want_types) {
                    failures.push(format!(
                        "{name}: {t} columns {:?} {:?}; the SDK defines {want:?} {want_types:?}",
                        table.columns, table.types
                    ));
                }
            }
            None => failures.push(format!(
                "{name}: table {t} has no SDK definition in this test"
            )),
        }
        if t == "_Validation" {
            continue;
        }
        for (c, ty) in table.columns.iter().zip(&table.types) {
            match validation.get(&(t.clone(), c.clone())) {
                None => failures.push(format!("{name}: no _Validation row for {t}.{c}")),
                Some(v) => {
                    let nullable = ty.starts_with(|ch: char| ch.is_ascii_uppercase());
                    let flag = if nullable { "Y" } else { "N" };
                    if v[2] != flag {
                        failures.push(format!(
                            "{name}: _Validation says {t}.{c} Nullable={}, the column type {ty} says {flag}",
                            v[2]
                        ));
                    }
                }
            }
        }
        // Non-nullable columns hold a value in every row.
        for r in &table.rows {
            for ((c, ty), v) in table.columns.iter().zip(&table.types).zip(r) {
                if ty.starts_with(['s', 'l', 'i']) && v.is_empty() {
                    failures.push(format!("{name}: {t}.{c} is null in row {r:?}"));
                }
            }
        }
    }
}

/// Types agree; localizable (`l`/`L`) and plain strings are the same storage, and the SDK
/// marks some columns localizable that writers need not (both are accepted).
fn types_match(got: &[String], want: &[String]) -> bool {
    got.len() == want.len()
        && got.iter().zip(want).all(|(g, w)| {
            let norm = |s: &str| s.replace('l', "s").replace('L', "S");
            norm(g) == norm(w)
        })
}

// ---------------------------------------------------------------------------------------------
// Expected rows where only the SDK can judge.
// ---------------------------------------------------------------------------------------------

fn expect_rows(db: &Db, table: &str, rows: &[&str], failures: &mut Vec<String>) {
    let have = db.rows_text(table);
    for r in rows {
        if !have.contains(*r) {
            failures.push(format!(
                "{table} lacks row `{r}`; it has:\n    {}",
                have.iter().cloned().collect::<Vec<_>>().join("\n    ")
            ));
        }
    }
}

fn expect_exact(db: &Db, table: &str, rows: &[&str], failures: &mut Vec<String>) {
    let have = db.rows_text(table);
    let want: BTreeSet<String> = rows.iter().map(|r| r.to_string()).collect();
    if have != want {
        failures.push(format!(
            "{table}: expected exactly\n    {}\n  but has\n    {}",
            want.iter().cloned().collect::<Vec<_>>().join("\n    "),
            have.iter().cloned().collect::<Vec<_>>().join("\n    ")
        ));
    }
}

fn seq_of(db: &Db, table: &str, action: &str) -> Option<i32> {
    db.rows(table)
        .into_iter()
        .find(|r| r[0] == action)
        .and_then(|r| r[2].parse().ok())
}

/// Rows every per-machine v3 package with a MajorUpgrade has (WiX v3
/// Compiler.cs ParseMajorUpgradeElement).
fn cargo_wix_v3_common(db: &Db, f: &mut Vec<String>) {
    let code = "{9F3B2C1D-4E5A-4B6C-8D7E-0A1B2C3D4E5F}";
    expect_exact(
        db,
        "Upgrade",
        &[
            &format!("{code}\t\t1.2.3\t\t1\t\tWIX_UPGRADE_DETECTED"),
            &format!("{code}\t1.2.3\t\t\t2\t\tWIX_DOWNGRADE_DETECTED"),
        ],
        f,
    );
    expect_exact(
        db,
        "LaunchCondition",
        &["NOT WIX_DOWNGRADE_DETECTED\tA newer version of [ProductName] is already installed. Setup will now exit."],
        f,
    );
    expect_rows(
        db,
        "Property",
        &[
            "ALLUSERS\t1",
            "DiskPrompt\texample-service Installation",
            "ARPHELPLINK\thttps://example.invalid/svcpack",
            "SecureCustomProperties\tWIX_DOWNGRADE_DETECTED;WIX_UPGRADE_DETECTED",
            &format!("UpgradeCode\t{code}"),
            "ProductVersion\t1.2.3",
        ],
        f,
    );
    // Environment: set, not permanent (-), system (*), Part="last" -> [~];value.
    expect_exact(db, "Environment", &["PATH\t=-*PATH\t[~];[Bin]\tPath"], f);
    // Component/@KeyPath="yes" makes the directory the key path and adds a CreateFolder.
    expect_exact(db, "CreateFolder", &["Bin\tPath"], f);
    expect_exact(
        db,
        "CustomAction",
        &["SetARPINSTALLLOCATION\t51\tARPINSTALLLOCATION\t[APPLICATIONFOLDER]\t"],
        f,
    );
    expect_exact(
        db,
        "Feature",
        &[
            "Binaries\t\tApplication\tInstalls all binaries and the license.\t1\t1\tAPPLICATIONFOLDER\t24",
            "Environment\tBinaries\tPATH Environment Variable\tAdd the install location of the [ProductName] executable to the PATH system environment variable. This allows the [ProductName] executable to be called from any location.\t2\t1\t\t0",
        ],
        f,
    );
    expect_exact(
        db,
        "FeatureComponents",
        &[
            "Binaries\tLicense",
            "Binaries\tbinary0",
            "Environment\tPath",
        ],
        f,
    );
    expect_exact(db, "Media", &["1\t2\tCD-ROM #1\t#media1.cab\t\t"], f);
    // Schedule="afterInstallInitialize"; SetProperty After="CostFinalize" in both sequences.
    for (table, action, n) in [
        ("InstallExecuteSequence", "RemoveExistingProducts", 1501),
        ("InstallExecuteSequence", "SetARPINSTALLLOCATION", 1001),
        ("InstallUISequence", "SetARPINSTALLLOCATION", 1001),
        ("InstallExecuteSequence", "WriteEnvironmentStrings", 5200),
        ("InstallExecuteSequence", "RemoveEnvironmentStrings", 3300),
        ("InstallExecuteSequence", "CreateFolders", 3700),
        ("InstallExecuteSequence", "FindRelatedProducts", 25),
        ("InstallExecuteSequence", "MigrateFeatureStates", 1200),
    ] {
        if seq_of(db, table, action) != Some(n) {
            f.push(format!(
                "{table}.{action} should be at {n}: {:?}",
                seq_of(db, table, action)
            ));
        }
    }
}

fn cargo_wix_v3_x86(db: &Db, f: &mut Vec<String>) {
    cargo_wix_v3_common(db, f);
    expect_exact(
        db,
        "Directory",
        &[
            "TARGETDIR\t\tSourceDir",
            "ProgramFilesFolder\tTARGETDIR\tPFiles",
            "APPLICATIONFOLDER\tProgramFilesFolder\texample-service",
            "Bin\tAPPLICATIONFOLDER\tbin",
        ],
        f,
    );
    for r in db.rows("Component") {
        if r[3] != "0" {
            f.push(format!(
                "x86 component {} should have Attributes 0: {r:?}",
                r[0]
            ));
        }
    }
    expect_rows(db, "_SummaryInformation", &["7\tIntel;1033", "14\t450"], f);
}

fn cargo_wix_v3_x64(db: &Db, f: &mut Vec<String>) {
    cargo_wix_v3_common(db, f);
    // $(sys.BUILDARCH) = x64 selects ProgramFiles64Folder.
    expect_rows(
        db,
        "Directory",
        &[
            "ProgramFiles64Folder\tTARGETDIR\tPFiles",
            "Bin\tAPPLICATIONFOLDER\tbin",
        ],
        f,
    );
    for r in db.rows("Component") {
        if r[3] != "256" {
            f.push(format!(
                "x64 component {} should be 64-bit (256): {r:?}",
                r[0]
            ));
        }
    }
    expect_rows(db, "_SummaryInformation", &["7\tx64;1033", "14\t450"], f);
}

fn cargo_wix_v4(db: &Db, f: &mut Vec<String>) {
    expect_rows(
        db,
        "Property",
        &[
            "ALLUSERS\t1",
            "DiskPrompt\texample-service Installation",
            "ProductVersion\t1.2.3",
        ],
        f,
    );
    // StandardDirectory ProgramFiles6432Folder on x64.
    expect_rows(
        db,
        "Directory",
        &[
            "ProgramFiles64Folder\tTARGETDIR\tPFiles64",
            "Bin\tAPPLICATIONFOLDER\tbin",
        ],
        f,
    );
    expect_exact(db, "Environment", &["PATH\t=-*PATH\t[~];[Bin]\tPath"], f);
    // WiX v4 adds a CreateFolder for every directory-key-path component.
    expect_exact(db, "CreateFolder", &["Bin\tPath"], f);
    // AllowAbsent="no" (16) and AllowAdvertise="no" (8).
    expect_rows(db, "Feature", &["Binaries\t\tApplication\tInstalls all binaries and the license.\t1\t1\tAPPLICATIONFOLDER\t24"], f);
    expect_exact(
        db,
        "FeatureComponents",
        &[
            "Binaries\tLicense",
            "Binaries\tbinary0",
            "Environment\tPath",
        ],
        f,
    );
    if seq_of(db, "InstallExecuteSequence", "RemoveExistingProducts") != Some(1501) {
        f.push("RemoveExistingProducts should follow InstallInitialize (1501)".into());
    }
}

fn service_v3(db: &Db, f: &mut Vec<String>) {
    expect_exact(
        db,
        "ServiceInstall",
        &["Svc\tSvcpackTest\tsvcpack Example v3\t16\t2\t1\t\t\tLocalSystem\t\t--port 18500 --label \"two words\"\tServiceExe\tAnswers HTTP on 127.0.0.1"],
        f,
    );
    // Start=install (1), Stop=both (2|0x20), Remove=uninstall (0x80).
    expect_exact(
        db,
        "ServiceControl",
        &["SvcControl\tSvcpackTest\t163\t\t1\tServiceExe"],
        f,
    );
    let fa = db.rows("MsiServiceConfigFailureActions");
    match fa.as_slice() {
        [r] if r[1..]
            == [
                "SvcpackTest",
                "5",
                "86400",
                "[~]",
                "[~]",
                "1[~]1[~]0",
                "5000[~]30000[~]0",
                "ServiceExe",
            ]
            .map(String::from) => {}
        _ => f.push(format!("MsiServiceConfigFailureActions: {fa:?}")),
    }
    expect_rows(db, "Registry", &[], f);
    let event = db.rows("Registry").into_iter().any(|r| {
        r[2] == "SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\SvcpackTest"
            && r[3] == "EventMessageFile"
            && r[4] == "#%[#ServiceExeFile]"
    });
    if !event {
        f.push(format!(
            "util:EventSource registry value missing: {:?}",
            db.rows("Registry")
        ));
    }
    for (action, n) in [
        ("InstallServices", 5800),
        ("StartServices", 5900),
        ("StopServices", 1900),
        ("DeleteServices", 2000),
        ("MsiConfigureServices", 5850),
    ] {
        if seq_of(db, "InstallExecuteSequence", action) != Some(n) {
            f.push(format!(
                "{action} should be at {n}: {:?}",
                seq_of(db, "InstallExecuteSequence", action)
            ));
        }
    }
}

fn service_v4(db: &Db, f: &mut Vec<String>) {
    expect_exact(
        db,
        "ServiceInstall",
        &["Svc\tSvcpackTest\tsvcpack Example v4\t16\t2\t1\t\t\tLocalSystem\t\t--port 18500\tServiceExe\tAnswers HTTP on 127.0.0.1"],
        f,
    );
    let cfg = db.rows("MsiServiceConfig");
    // DelayedAutoStart="no" -> ConfigType 3 (SERVICE_CONFIG_DELAYED_AUTO_START_INFO), "0".
    match cfg.as_slice() {
        [r] if r[1..] == ["SvcpackTest", "1", "3", "0", "ServiceExe"].map(String::from) => {}
        _ => f.push(format!("MsiServiceConfig: {cfg:?}")),
    }
    let fa = db.rows("MsiServiceConfigFailureActions");
    match fa.as_slice() {
        [r] if r[1..]
            == [
                "SvcpackTest",
                "5",
                "86400",
                "[~]",
                "[~]",
                "1[~]1[~]0",
                "5000[~]5000[~]0",
                "ServiceExe",
            ]
            .map(String::from) => {}
        _ => f.push(format!("MsiServiceConfigFailureActions: {fa:?}")),
    }
    if seq_of(db, "InstallExecuteSequence", "MsiConfigureServices") != Some(5850) {
        f.push("MsiConfigureServices should be at 5850".into());
    }
    expect_rows(db, "Property", &["ALLUSERS\t1"], f);
}

fn service_config_v3(db: &Db, f: &mut Vec<String>) {
    expect_exact(
        db,
        "ServiceInstall",
        &["AgentSvc\tSvcpackAgent\tsvcpack Agent\t16\t2\t32769\t\tTcpip[~]+NetworkProvider[~][~]\tNT AUTHORITY\\NetworkService\t\t--port 18500\tServiceExe\tConfigured through MSI 5.0 tables"],
        f,
    );
    expect_exact(
        db,
        "ServiceControl",
        &["AgentControl\tSvcpackAgent\t161\t--verbose[~]--once\t1\tServiceExe"],
        f,
    );
    expect_exact(
        db,
        "MsiServiceConfig",
        &[
            // Without an Id, WiX names the rows after the service (GetIdentifierFromName).
            "SvcpackAgent.DS\tSvcpackAgent\t1\t3\t1\tServiceExe",
            "SvcpackAgent.FA\tSvcpackAgent\t1\t4\t1\tServiceExe",
            "SvcpackAgent.SS\tSvcpackAgent\t1\t5\t3\tServiceExe",
            "SvcpackAgent.RP\tSvcpackAgent\t1\t6\tSeChangeNotifyPrivilege[~]SeCreateGlobalPrivilege\tServiceExe",
            "SvcpackAgent.PD\tSvcpackAgent\t1\t7\t30000\tServiceExe",
        ],
        f,
    );
    expect_exact(
        db,
        "MsiServiceConfigFailureActions",
        &["AgentRecovery\tSvcpackAgent\t5\t3600\tThe agent failed; restarting.\t\"[#ServiceExeFile]\" --recover\t1[~]3[~]2\t1000[~]2000[~]60000\tServiceExe"],
        f,
    );
    expect_exact(
        db,
        "MsiLockPermissionsEx",
        &["AgentSvc\tAgentSvc\tServiceInstall\tD:(A;;CCLCSWRPWPDTLOCRRC;;;SY)(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;BA)(A;;LCRP;;;AU)\t"],
        f,
    );
    if seq_of(db, "InstallExecuteSequence", "MsiConfigureServices") != Some(5850) {
        f.push("MsiConfigureServices should be at 5850".into());
    }
    if seq_of(db, "InstallExecuteSequence", "MsiLockPermissionsEx").is_some() {
        f.push("MsiLockPermissionsEx is not an action".into());
    }
}

/// The tutorial's "Checking for Oldies" lesson: OnlyDetect upgrade rows (WiX v3
/// ParseUpgradeVersionElement: IncludeMinimum 0x100, IncludeMaximum 0x200, OnlyDetect 2),
/// Error custom actions (type 19), scheduled after FindRelatedProducts (25) in order.
fn tutorial_upgrade(db: &Db, f: &mut Vec<String>) {
    let code = "{ABCDDCBA-7349-453F-94F6-BCB5110BA4FD}";
    expect_exact(
        db,
        "Upgrade",
        &[
            &format!("{code}\t1.0.1\t1.0.1\t\t770\t\tSELFFOUND"),
            &format!("{code}\t1.0.1\t\t\t2\t\tNEWERFOUND"),
        ],
        f,
    );
    expect_exact(
        db,
        "CustomAction",
        &[
            "AlreadyUpdated\t19\t\tFoobar 1.0 has already been updated to 1.0.1 or newer.\t",
            "NoDowngrade\t19\t\tA later version of [ProductName] is already installed.\t",
        ],
        f,
    );
    expect_rows(
        db,
        "InstallExecuteSequence",
        &[
            "FindRelatedProducts\t\t25",
            "AlreadyUpdated\tSELFFOUND\t26",
            "NoDowngrade\tNEWERFOUND\t27",
        ],
        f,
    );
    expect_rows(db, "InstallUISequence", &["FindRelatedProducts\t\t25"], f);
    expect_rows(
        db,
        "Property",
        &[
            "SecureCustomProperties\tNEWERFOUND;SELFFOUND",
            "ProductVersion\t1.0.1",
        ],
        f,
    );
}

/// The tutorial's "Conditional Installation" lesson: launch conditions (text trimmed,
/// CDATA kept), nested features numbered for display in authoring order (collapsed: even
/// numbers), a feature condition.
fn tutorial_condition(db: &Db, f: &mut Vec<String>) {
    expect_exact(
        db,
        "LaunchCondition",
        &[
            "Privileged\tYou need to be an administrator to install this product.",
            "Installed OR VersionNT >= 501\tThis application only runs on Windows XP or higher.",
        ],
        f,
    );
    expect_exact(db, "Condition", &["Documentation\t1\tPrivileged"], f);
    expect_exact(
        db,
        "Feature",
        &[
            // Display: one count per list of sibling features (WiX's Compiler.cs).
            "Complete\t\t\t\t2\t1\t\t0",
            "MainProgram\tComplete\t\t\t2\t1\t\t0",
            "Documentation\tComplete\t\t\t4\t0\t\t0",
        ],
        f,
    );
    expect_exact(
        db,
        "FeatureComponents",
        &[
            "MainProgram\tMainExecutable",
            "MainProgram\tHelperLibrary",
            "MainProgram\tProgramMenuDir",
            "Documentation\tManual",
        ],
        f,
    );
    // Advertised shortcuts target the component's feature.
    expect_rows(
        db,
        "Shortcut",
        &["startmenuManual\tProgramMenuDir\tInstruction Manual\tManual\tDocumentation\t\t\t\t\t\t\t\t\t\t\t"],
        f,
    );
    if seq_of(db, "InstallExecuteSequence", "LaunchConditions") != Some(100) {
        f.push("LaunchConditions should be at 100".into());
    }
}

/// cargo-wix's test product (one.wxs + two.wxs): a MajorUpgrade, a MediaTemplate, a File
/// named after its Source (Id from the name, as WiX's GetIdentifierFromName), x64.
fn cargo_wix_one_two(db: &Db, f: &mut Vec<String>) {
    let code = "{8C7D85DB-B0D1-4A9A-85EA-130836AEEF67}";
    expect_exact(
        db,
        "Upgrade",
        &[
            &format!("{code}\t\t1.0.0.0\t\t1\t\tWIX_UPGRADE_DETECTED"),
            &format!("{code}\t1.0.0.0\t\t\t2\t\tWIX_DOWNGRADE_DETECTED"),
        ],
        f,
    );
    expect_exact(
        db,
        "Directory",
        &[
            "TARGETDIR\t\tSourceDir",
            "ProgramFiles64Folder\tTARGETDIR\t.",
            "INSTALLFOLDER\tProgramFiles64Folder\tMy Software",
        ],
        f,
    );
    expect_exact(
        db,
        "Component",
        &["cmpCargoTOML\t<generated component GUID>\tINSTALLFOLDER\t256\t\tCargo.toml"],
        f,
    );
    expect_exact(
        db,
        "File",
        &["Cargo.toml\tcmpCargoTOML\tCargo.toml\t27\t\t\t512\t1"],
        f,
    );
    expect_exact(
        db,
        "Feature",
        &["ProductFeature\t\tThe main feature\t\t2\t1\t\t0"],
        f,
    );
    expect_exact(
        db,
        "FeatureComponents",
        &["ProductFeature\tcmpCargoTOML"],
        f,
    );
    expect_exact(db, "Media", &["1\t1\t\t#cab1.cab\t\t"], f);
    expect_rows(db, "_SummaryInformation", &["7\tx64;1033", "14\t200"], f);
    if seq_of(db, "InstallExecuteSequence", "RemoveExistingProducts") != Some(1401) {
        f.push("RemoveExistingProducts should follow InstallValidate (1401)".into());
    }
}

/// COM registration as WiX writes it (Compiler_Package.cs ParseTypeLibElement, Compiler.cs
/// ParseAppIdElement): advertised forms in TypeLib/AppId, the others as HKCR Registry rows
/// with WiX v4's generated ids; ReserveCost, MoveFile and Font rows and their actions.
fn com_v4(db: &Db, f: &mut Vec<String>) {
    expect_exact(
        db,
        "TypeLib",
        &["{765BE8EE-BD7F-491E-90D2-C5A972462B50}\t0\tAdvertised\t256\t\t\tMain\t20"],
        f,
    );
    expect_exact(
        db,
        "AppId",
        &[
            "{0C2F6D1E-3A4B-4C5D-8E9F-A0B1C2D3E4F5}\t\t\t\t\t0\t",
            "{D6040299-B15C-4C94-AE26-0C9B60D14C35}\t\tSvc\t\t\t\t",
        ],
        f,
    );
    expect_exact(
        db,
        "Registry",
        &[
            "reg63qLsxcHkGKU._IKVmubhiL3kyc\t0\tAppID\\{8E0B5A7C-1D2E-4F60-9A1B-2C3D4E5F6A7B}\t+\t\tComServer",
            "regj6VXRo1rcE3NTet.A40oNrmBK6M\t0\tAppID\\{8E0B5A7C-1D2E-4F60-9A1B-2C3D4E5F6A7B}\tRunAs\tInteractive User\tComServer",
            "regmsQEakCzEFy7InXLGv4dd3k0504\t0\tAppID\\{8E0B5A7C-1D2E-4F60-9A1B-2C3D4E5F6A7B}\tDllSurrogate\t\tComServer",
            // The registry version is hexadecimal major.minor.
            "regOcBxJ7eaOHMy.6dzR_mbBwRM0So\t0\tTypeLib\\{FF19093C-EA7A-4C41-9C1B-D706ECD9009F}\\a.2\t\tServer types\tComServer",
            "regMGKjkix5IvRb8GGKrZAMGO0PwpE\t0\tTypeLib\\{FF19093C-EA7A-4C41-9C1B-D706ECD9009F}\\a.2\\1033\\win64\t\t[#ServerDll]\tComServer",
            "regGbhTfIDQHSeD6IPakB_JoZZIxM0\t0\tTypeLib\\{FF19093C-EA7A-4C41-9C1B-D706ECD9009F}\\a.2\\FLAGS\t\t0\tComServer",
            "regqPG.CEk8bxbJhbGXF4kQZ6Ikoxk\t0\tTypeLib\\{FF19093C-EA7A-4C41-9C1B-D706ECD9009F}\\a.2\\HELPDIR\t\t[INSTALLFOLDER]\tComServer",
        ],
        f,
    );
    expect_exact(
        db,
        "ReserveCost",
        &["Cache\tComServer\tINSTALLFOLDER\t1000\t10"],
        f,
    );
    expect_exact(
        db,
        "MoveFile",
        &["MoveLogs\tComServer\t*.log\t\tOLDLOGS\tLogFolder\t1"],
        f,
    );
    expect_exact(db, "Font", &["SampleFont\t"], f);
}

/// WiX v4's RegistryFixture.CanBuildWithRegistryValue: the ids WiX generates
/// (Common.GenerateIdentifier over component, root, lower(key), lower(name)).
fn wix4_registry_value(db: &Db, f: &mut Vec<String>) {
    expect_exact(
        db,
        "Registry",
        &[
            "reg04OIwIchl.9ZTjisTT6NzGSsQSM\t2\tPath\\To\\AnotherKey\tSecret\t#x\tMiscComponent",
            "regEblTuusqFNSUQNy88zaP_UA5kIY\t2\tPath\\To\\Key\t\t1.0.1234.123\tMiscComponent",
        ],
        f,
    );
}

/// RegistryFixture.CanBuildWithRegistryValueMultiString.
fn wix4_registry_multi_string(db: &Db, f: &mut Vec<String>) {
    let values: BTreeSet<String> = db
        .rows("Registry")
        .into_iter()
        .map(|r| r[2..].join("\t"))
        .collect();
    let want: BTreeSet<String> = [
        "Path\\To\\AnotherKey\tSecret\t#x\tMultiStringComponent",
        "Path\\To\\Key\t\ta[~]b[~][~]c[~]\tMultiStringComponent",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    if values != want {
        f.push(format!("Registry: {values:?}, expected {want:?}"));
    }
}

/// RegistryFixture.CanBuildRegistryKeyEndingWithBackslash.
fn wix4_registry_key_backslash(db: &Db, f: &mut Vec<String>) {
    expect_exact(
        db,
        "Registry",
        &[
            "reg1\t2\tSoftware\\WBM\\WB\t*\t\tMiscComponent",
            "reg2\t2\tSoftware\\WBM\\WB\tInstallationPath\t[INSTALLFOLDER]\tMiscComponent",
        ],
        f,
    );
}

fn all_users(db: &Db, f: &mut Vec<String>, word_count: &str, props: &[&str]) {
    expect_rows(
        db,
        "_SummaryInformation",
        &[&format!("15\t{word_count}")],
        f,
    );
    let have: BTreeSet<String> = db
        .rows("Property")
        .into_iter()
        .filter(|r| r[0] == "ALLUSERS" || r[0] == "MSIINSTALLPERUSER")
        .map(|r| r.join("\t"))
        .collect();
    let want: BTreeSet<String> = props.iter().map(|p| p.to_string()).collect();
    if have != want {
        f.push(format!(
            "ALLUSERS/MSIINSTALLPERUSER: {have:?}, expected {want:?}"
        ));
    }
    // Package/@Id gives PackageId and (WiX v6+) a derived UpgradeCode.
    expect_rows(
        db,
        "Property",
        &[
            "PackageId\tWixToolsetTest.TestPackage",
            "UpgradeCode\t{C00D7E9A-1276-51ED-B782-A20AB34D4070}",
        ],
        f,
    );
}

/// AllUsersFixture.CanCheckPerMachineMsi.
fn wix4_per_machine(db: &Db, f: &mut Vec<String>) {
    all_users(db, f, "2", &["ALLUSERS\t1"]);
}

/// AllUsersFixture.CanCheckPerUserMsi.
fn wix4_per_user(db: &Db, f: &mut Vec<String>) {
    all_users(db, f, "10", &[]);
}

/// AllUsersFixture.CanCheckPerUserOrMachineMsi.
fn wix4_per_user_or_machine(db: &Db, f: &mut Vec<String>) {
    all_users(db, f, "2", &["ALLUSERS\t2", "MSIINSTALLPERUSER\t1"]);
}

// ---------------------------------------------------------------------------------------------
// The tests.
// ---------------------------------------------------------------------------------------------

fn run_entry(e: &Entry, failures: &mut Vec<String>) {
    let w = prepare(e);
    let ours = run_ours(e, &w);
    if let Oracle::Warnings = e.oracle {
        let wixl = run_wixl(e, &w);
        // The CLI prints warnings only for a successful compilation (these sources have no
        // package), so ours come from the preprocessor the compiler runs.
        let opts = svcpack::wix::preprocess::Options {
            defines: e
                .defines
                .iter()
                .map(|d| match d.split_once('=') {
                    Some((k, v)) => (k.to_string(), v.to_string()),
                    None => (d.to_string(), String::new()),
                })
                .collect(),
            arch: e.arch.to_string(),
            current_dir: w.dir.path().to_path_buf(),
            ..Default::default()
        };
        let pp = svcpack::wix::preprocess::preprocess_file(Path::new(&w.sources[0]), &opts);
        let a = warnings(&wixl.stderr);
        let b: Vec<String> = match &pp {
            Ok(pp) => pp
                .warnings
                .iter()
                .map(|w| base_name(&w.to_string()))
                .collect(),
            Err(_) => Vec::new(),
        };
        if e.known.contains(&Known::WixlUndefinedVariableInIf) {
            // K6: WiX (and we) stop at the undefined variable; wixl warns as if it were empty.
            match &pp {
                Err(err)
                    if err
                        .to_string()
                        .contains("Undefined preprocessor variable '$(var.Arch)'") => {}
                other => failures.push(format!(
                    "{}: expected WiX's undefined-variable error, got {other:?}",
                    e.name
                )),
            }
            if a.is_empty() {
                failures.push(format!(
                    "{}: wixl no longer warns ({}): drop K6",
                    e.name, wixl.stderr
                ));
            }
        } else if a != b {
            failures.push(format!(
                "{}: warnings differ\n  wixl:    {a:?}\n  svcpack: {b:?}",
                e.name
            ));
        }
        // No package in a preprocessor-only source: a clean error, as WiX's light gives.
        if ours.ok || ours.stderr.contains("panicked") {
            failures.push(format!(
                "{}: expected a clean error: {}",
                e.name, ours.stderr
            ));
        }
        return;
    }
    if !ours.ok {
        failures.push(format!("{}: svcpack failed:\n{}", e.name, ours.stderr));
        return;
    }
    let our_db = read_db(&ours.msi);
    check_sdk(e.name, &our_db, failures);
    check_sequences(e, &our_db, failures);
    match e.oracle {
        Oracle::Wixl => {
            let wixl = run_wixl(e, &w);
            if !wixl.ok {
                failures.push(format!("{}: wixl failed:\n{}", e.name, wixl.stderr));
                return;
            }
            let their_db = read_db(&wixl.msi);
            let mut theirs = normalise(&their_db, &w.authored, true);
            let mut mine = normalise(&our_db, &w.authored, true);
            apply_known(e, &mut theirs, &mut mine);
            let (theirs, mine) = (
                normalise_ids(&theirs, &w.authored),
                normalise_ids(&mine, &w.authored),
            );
            let oracle = e.oracle;
            compare(
                e.name,
                "wixl",
                &theirs,
                &mine,
                |t| skipped_table(&oracle, t),
                failures,
            );
            compare_streams(e.name, &wixl.msi, &ours.msi, &their_db, failures);
        }
        Oracle::Wix(expected) => {
            let their_db = read_expected(&tests_dir().join(expected));
            // WiX writes short names too: they are compared as they are.
            let mut theirs = normalise(&their_db, &w.authored, false);
            let mut mine = normalise(&our_db, &w.authored, false);
            apply_known(e, &mut theirs, &mut mine);
            let (theirs, mine) = (
                normalise_ids(&theirs, &w.authored),
                normalise_ids(&mine, &w.authored),
            );
            let oracle = e.oracle;
            compare(
                e.name,
                "WiX",
                &theirs,
                &mine,
                |t| skipped_table(&oracle, t),
                failures,
            );
        }
        Oracle::Sdk(check) => {
            // Short names are compared with WiX's own tables (the WiX oracle), not here.
            let mine = normalise_ids(&normalise(&our_db, &w.authored, true), &w.authored);
            let mut f = Vec::new();
            check(&mine, &mut f);
            failures.extend(f.into_iter().map(|m| format!("{}: {m}", e.name)));
        }
        Oracle::Warnings => unreachable!(),
    }
}

fn run_all(filter: impl Fn(&Entry) -> bool) {
    if !msitools() {
        return;
    }
    let entries: Vec<Entry> = corpus().into_iter().filter(|e| filter(e)).collect();
    let failures = std::sync::Mutex::new(Vec::new());
    // A few entries at a time: each runs two compilers and many msiinfo processes.
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Some(e) = entries.get(i) else { break };
                let mut f = Vec::new();
                run_entry(e, &mut f);
                failures.lock().unwrap().extend(f);
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "{} difference(s):\n\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn corpus_is_large_enough() {
    let entries = corpus();
    let files: BTreeSet<&str> = entries
        .iter()
        .flat_map(|e| e.sources.iter().copied())
        .collect();
    assert!(files.len() >= 15, "only {} corpus sources", files.len());
    for f in &files {
        assert!(tests_dir().join(f).is_file(), "{f} is missing");
    }
    let readme = std::fs::read_to_string(tests_dir().join("corpus/README.md")).unwrap();
    for e in &entries {
        for k in e.known {
            let tag = format!("{k:?}");
            assert!(
                readme.contains(&tag),
                "README's known-differences table lacks {tag}"
            );
        }
    }
}

#[test]
fn tables_equal_wixl() {
    run_all(|e| matches!(e.oracle, Oracle::Wixl | Oracle::Warnings));
}

#[test]
fn tables_equal_wix_expected() {
    run_all(|e| matches!(e.oracle, Oracle::Wix(_)));
}

#[test]
fn tables_match_sdk_definitions() {
    run_all(|e| matches!(e.oracle, Oracle::Sdk(_)));
}

/// The cargo-wix template as rendered, with its WixUI reference, compiles: the dialog set is
/// reported as a located warning (svcpack's compiler does not build WiX's dialog library;
/// the package installs with the basic UI), never silently dropped, and nothing else changes.
#[test]
fn cargo_wix_template_with_ui_compiles_with_a_located_warning() {
    for (src, line, element) in [
        ("corpus/cargo-wix/main.v3.wxs", 171, "WixUI_FeatureTree"),
        ("corpus/cargo-wix/main.v4.wxs", 120, "WixUI_FeatureTree"),
    ] {
        let e = Entry {
            arch: "x64",
            defines: CARGO_WIX_DEFINES,
            payloads: CARGO_WIX_PAYLOADS,
            ..Entry::new("cargo-wix", leak(src), Oracle::Wixl)
        };
        let w = prepare(&e);
        let r = run_ours(&e, &w);
        let file = Path::new(src)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .to_string();
        assert!(r.ok && r.msi.exists(), "{src} should compile: {}", r.stderr);
        assert!(
            r.stderr.contains(&format!("{file}:{line}: warning:")) && r.stderr.contains(element),
            "{src}: {}",
            r.stderr
        );
    }
}

#[test]
fn strip_element_removes_whole_elements() {
    let t = "<a>\n  <UI>\n    <UIRef Id='x'/>\n  </UI>\n  <UIRef Id='y'/>\n  <ui:WixUI Id=\"z\" />\n</a>";
    assert_eq!(
        strip_element(t, "UI"),
        "<a>\n  <UIRef Id='y'/>\n  <ui:WixUI Id=\"z\" />\n</a>"
    );
    assert_eq!(
        strip_element(t, "ui:WixUI"),
        "<a>\n  <UI>\n    <UIRef Id='x'/>\n  </UI>\n  <UIRef Id='y'/>\n</a>"
    );
}

#[test]
fn normalisation_is_narrow() {
    assert_eq!(long_names("i02irmrb|Foobar 1.0"), "Foobar 1.0");
    assert_eq!(long_names("a|b:c|d"), "b:d");
    assert_eq!(long_names("PFiles"), "PFiles");
    assert!(is_generated_id("reg7FBAFA0FD9A70CBA41FDA3002D89F5C5", ""));
    assert!(is_generated_id("pmeB0C7A0FD3331FC3EF400B6F9B06A2223", ""));
    assert!(!is_generated_id(
        "reg7FBAFA0FD9A70CBA41FDA3002D89F5C5",
        "Id='reg7FBAFA0FD9A70CBA41FDA3002D89F5C5'"
    ));
    assert!(!is_generated_id("ProgramMenuDir", ""));
    assert!(!is_generated_id("SetARPINSTALLLOCATION", ""));
    assert!(!is_generated_id("Registry1", ""));
}

// ---------------------------------------------------------------------------------------------
// Fuzzing: mutated corpus sources never make the compiler panic.
// ---------------------------------------------------------------------------------------------

/// xorshift64*: deterministic, dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
}

const ELEMENTS: &[&str] = &[
    "Component",
    "File",
    "Directory",
    "DirectoryRef",
    "Feature",
    "FeatureRef",
    "ComponentRef",
    "ComponentGroup",
    "ComponentGroupRef",
    "RegistryKey",
    "RegistryValue",
    "ServiceInstall",
    "ServiceControl",
    "ServiceConfig",
    "ServiceConfigFailureActions",
    "Failure",
    "Shortcut",
    "CustomAction",
    "Custom",
    "Property",
    "Media",
    "MediaTemplate",
    "MajorUpgrade",
    "Upgrade",
    "UpgradeVersion",
    "Condition",
    "CreateFolder",
    "RemoveFolder",
    "RemoveFile",
    "Environment",
    "CopyFile",
    "Icon",
    "Binary",
    "SetProperty",
    "InstallExecuteSequence",
    "Fragment",
    "Package",
    "Product",
    "PermissionEx",
    "MultiStringValue",
    "StandardDirectory",
    "Launch",
    "Level",
    "util:EventSource",
    "util:ServiceConfig",
    "SummaryInformation",
    "WixVariable",
    "IniFile",
    "Files",
    "Exclude",
    "Class",
    "ProgId",
    "Extension",
    "Verb",
    "TypeLib",
    "Permission",
    "CustomTable",
    "Column",
    "Row",
    "Data",
    "UI",
    "UIRef",
    "Dialog",
    "Control",
    "Publish",
    "RegistrySearch",
    "DirectorySearch",
    "FileSearch",
    "ComponentSearch",
    "AppSearch",
    "Payload",
    "ui:WixUI",
];

const VALUES: &[&str] = &[
    "",
    "*",
    "yes",
    "no",
    "0",
    "-1",
    "99999999999",
    "1.2.3.4.5",
    "{00000000-0000-0000-0000-000000000000}",
    "TARGETDIR",
    "INSTALLDIR",
    "INSTALLFOLDER",
    "ProgramFiles64Folder",
    "Complete",
    "a|b",
    "..\\x",
    "[#FoobarEXE]",
    "HKLM",
    "both",
    "install",
    "$(var.Nope)",
    "$(sys.BUILDARCH)",
    "!(loc.X)",
    "\u{e9}\u{20ac}\u{4e2d}",
    "x:y",
    "Foobar 1.0",
    "FoobarAppl10.exe",
    "Manual.pdf",
    "local",
    "restartService",
    "multiString",
    "always64",
    "perUser",
    "afterInstallExecute",
    "**",
    "a\\b\\c",
    "!(bind.FileVersion.F)",
    "!(wix.Nope)",
    "!(loc.WixUINext)",
    "WixUI_Minimal",
    "LocalServer32",
    "Everyone",
    "PushButton",
    "int",
];

const ATTRIBUTES: &[&str] = &[
    "Id",
    "Name",
    "KeyPath",
    "Guid",
    "Directory",
    "Feature",
    "Win64",
    "Bitness",
    "Source",
    "DiskId",
    "Compressed",
    "Vital",
    "Advertise",
    "Target",
    "Root",
    "Key",
    "Type",
    "Value",
    "Action",
    "Start",
    "Stop",
    "Remove",
    "Wait",
    "Level",
    "Display",
    "Before",
    "After",
    "Sequence",
    "Condition",
    "Scope",
    "InstallScope",
    "Version",
    "Codepage",
    "Language",
    "Cabinet",
    "EmbedCab",
    "Permanent",
    "NeverOverwrite",
    "Shared",
    "Transitive",
    "OnInstall",
    "Subdirectory",
    "Include",
    "Context",
    "Advertise",
    "User",
    "GenericAll",
    "Column",
    "Width",
    "Height",
    "Text",
    "Event",
];

const PIS: &[&str] = &[
    "<?define X = 1?>",
    "<?ifdef X?>",
    "<?endif?>",
    "<?else?>",
    "<?include IncludeWarn.wxi?>",
    "<?foreach V in a;b?>$(var.V)<?endforeach?>",
    "<?if $(var.X) = 1?>",
    "<?warning w?>",
    "<?error e?>",
    "<?undef X?>",
    "<?include nope.wxi?>",
    "<?define Y=$(var.Y)?>",
];

fn mutate(src: &str, rng: &mut Rng) -> Vec<u8> {
    let mut b = src.as_bytes().to_vec();
    let rounds = 1 + rng.below(3);
    for _ in 0..rounds {
        let len = b.len().max(1);
        // Mostly well-formed edits (which reach the parser, linker and lowering); some raw
        // byte damage (which exercises the XML layer and the preprocessor).
        match rng.below(20) {
            // Byte-level damage.
            0 => {
                let i = rng.below(len);
                if i < b.len() {
                    b[i] = rng.next() as u8;
                }
            }
            1 => {
                let i = rng.below(len);
                let n = rng.below(16).min(b.len().saturating_sub(i));
                b.drain(i..i + n);
            }
            2 => {
                let i = rng.below(len);
                let c = *rng.pick(b"<>/=\"'&;?![]{}$()|\\:\n\t\0\xff\xc3");
                b.insert(i.min(b.len()), c);
            }
            3 => b.truncate(rng.below(len)),
            // Element-level edits on lines.
            _ => {
                let text = String::from_utf8_lossy(&b).into_owned();
                let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
                if lines.is_empty() {
                    continue;
                }
                let i = rng.below(lines.len());
                match rng.below(10) {
                    0 => {
                        lines.remove(i);
                    }
                    1 => {
                        let l = lines[i].clone();
                        lines.insert(i, l);
                    }
                    2 => {
                        let j = rng.below(lines.len());
                        lines.swap(i, j);
                    }
                    3 => {
                        // Replace an attribute value.
                        let l = &lines[i];
                        let quotes: Vec<usize> =
                            l.match_indices(['"', '\'']).map(|(k, _)| k).collect();
                        if quotes.len() >= 2 {
                            let q = rng.below(quotes.len() / 2) * 2;
                            let (s, e) = (quotes[q], quotes[q + 1]);
                            let v = rng.pick(VALUES);
                            let q_char = &l[s..s + 1];
                            let v = v.replace(q_char, "");
                            lines[i] = format!("{}{}{}", &l[..=s], v, &l[e..]);
                        }
                    }
                    4 => {
                        let el = rng.pick(ELEMENTS);
                        let v = rng.pick(VALUES);
                        lines.insert(i, format!("<{el} Id=\"{v}\" Name=\"{v}\"/>"));
                    }
                    5 => {
                        let el = rng.pick(ELEMENTS);
                        lines.insert(i, format!("<{el}>"));
                    }
                    6 => lines.insert(i, rng.pick(PIS).to_string()),
                    7 => {
                        // Drop an attribute.
                        let l = &lines[i];
                        if let Some(eq) = l.find("=\"") {
                            let start = l[..eq].rfind(' ').unwrap_or(eq);
                            if let Some(end) = l[eq + 2..].find('"') {
                                lines[i] = format!("{}{}", &l[..start], &l[eq + 3 + end..]);
                            }
                        }
                    }
                    8 => {
                        // Add an attribute WiX knows somewhere.
                        let l = lines[i].clone();
                        if let Some(s) = l.find(' ').filter(|_| l.trim_start().starts_with('<')) {
                            let attr = rng.pick(ATTRIBUTES);
                            let v = rng.pick(VALUES);
                            lines[i] = format!("{} {attr}=\"{v}\"{}", &l[..s], &l[s..]);
                        }
                    }
                    _ => {
                        // Rename an element.
                        let l = lines[i].clone();
                        if let Some(s) = l.find('<') {
                            let rest = &l[s + 1..];
                            let end = rest.find([' ', '>', '/']).unwrap_or(rest.len());
                            let el = rng.pick(ELEMENTS);
                            lines[i] = format!("{}<{el}{}", &l[..s], &rest[end..]);
                        }
                    }
                }
                b = lines.join("\n").into_bytes();
            }
        }
    }
    b
}

/// One source the fuzzer mutates: the build it belongs to (options, all its sources) and
/// which of those sources is replaced by the mutation.
struct Seed {
    name: String,
    text: String,
    opts: svcpack::wix::CompileOptions,
    sources: Vec<PathBuf>,
    slot: usize,
}

impl Seed {
    /// A seed per `.wxs` source of one build.
    fn each(opts: &svcpack::wix::CompileOptions, sources: &[PathBuf], prefix: &str) -> Vec<Seed> {
        (0..sources.len())
            .filter(|&i| sources[i].extension().is_some_and(|e| e == "wxs"))
            .filter_map(|slot| {
                let text = std::fs::read_to_string(&sources[slot]).ok()?;
                let file = sources[slot].file_name()?.to_string_lossy();
                Some(Seed {
                    name: format!("{prefix}{file}"),
                    text,
                    opts: opts.clone(),
                    sources: sources.to_vec(),
                    slot,
                })
            })
            .collect()
    }
}

/// The svcpack corpus (the differential entries and the seeds without an oracle), laid out
/// in `work` and compiled with one set of options.
fn corpus_seeds(work: &Path) -> Vec<Seed> {
    let mut names: Vec<String> = Vec::new();
    let mut texts: Vec<(String, String)> = Vec::new();
    for e in corpus() {
        for (rel, dest) in e.placed {
            let path = work.join(dest);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::copy(tests_dir().join(rel), path).unwrap();
        }
        for (p, c) in e.payloads {
            let path = work.join(p);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, c).unwrap();
        }
        for rel in e.sources.iter().chain(e.extra) {
            let name = Path::new(rel)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .to_string();
            let text = std::fs::read_to_string(tests_dir().join(rel)).unwrap();
            std::fs::write(work.join(&name), &text).unwrap();
            if rel.ends_with(".wxs") && !names.contains(&name) {
                names.push(name.clone());
                texts.push((name, text));
            }
        }
    }
    // Seeds without a differential oracle: property searches, localization (`-loc`) and
    // WiX/bind variables; files outside components, `Files` harvesting and inline
    // subdirectories.
    for seed in [
        "corpus/svcpack/searches-v4.wxs",
        "corpus/svcpack/naked-files-v4.wxs",
    ] {
        let name = Path::new(seed).file_name().unwrap().to_string_lossy();
        let text = std::fs::read_to_string(tests_dir().join(seed)).unwrap();
        texts.push((name.into_owned(), text));
    }
    std::fs::write(work.join("readme.txt"), "readme").unwrap();
    let wxl = work.join("searches.wxl");
    std::fs::copy(tests_dir().join("corpus/svcpack/searches.wxl"), &wxl).unwrap();
    let mut opts = svcpack::wix::CompileOptions::new("x64");
    opts.current_dir = work.to_path_buf();
    opts.threads = 1;
    opts.timestamp = 0;
    opts.loc_files.push(wxl);
    for (k, v) in [
        ("ExePath", "example-service.exe"),
        ("Config", "agent.toml"),
        ("Port", "1"),
        ("ServiceName", "S"),
        ("Version", "1.0.0"),
        ("CargoTargetBinDir", "target\\release"),
    ] {
        opts.defines.insert(k.into(), v.into());
    }
    opts.env
        .insert("WIX_ROOT".into(), work.to_string_lossy().into_owned());
    texts
        .into_iter()
        .map(|(name, text)| {
            let path = work.join(&name);
            std::fs::write(&path, &text).unwrap();
            Seed {
                name,
                text,
                opts: opts.clone(),
                sources: vec![path],
                slot: 0,
            }
        })
        .collect()
}

/// WiX's own integration-test sources (the conformance cases: COM classes, ProgIds,
/// permissions, custom tables, UI, AppSearch, `.wxl`, bind variables, extension errors, …),
/// each under its case's options, from a copy of the test data in `work`.
fn conformance_seeds(work: &Path) -> Vec<Seed> {
    let stored = tests_dir().join("conformance");
    let root = work.join("conformance");
    copy_dir(&stored, &root);
    let mut seeds = Vec::new();
    for (n, case) in conformance_case::load_all(&root).iter().enumerate() {
        if !conformance_case::unsupported(case).is_empty() {
            continue;
        }
        let stage = work.join(format!("case{n}"));
        std::fs::create_dir_all(&stage).unwrap();
        let (opts, sources) = conformance_case::options(&root, case, &stage);
        seeds.extend(Seed::each(&opts, &sources, &format!("{}:", case.name)));
    }
    seeds
}

/// The real-world corpus, each project laid out in `work` as its build has it.
fn realworld_seeds(work: &Path) -> Vec<Seed> {
    let mut seeds = Vec::new();
    for p in realworld_projects::PROJECTS {
        let (opts, sources) = realworld_projects::prepare(p, &work.join(p.dir));
        seeds.extend(Seed::each(&opts, &sources, &format!("{}:", p.dir)));
    }
    seeds
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[test]
fn mutated_corpus_never_panics() {
    let iterations: usize = std::env::var("SVCPACK_FUZZ_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000);
    let work = tempfile::tempdir().unwrap();
    let mut seeds = corpus_seeds(&work.path().join("svcpack"));
    let own = seeds.len();
    seeds.extend(conformance_seeds(&work.path().join("wix")));
    let wix = seeds.len() - own;
    seeds.extend(realworld_seeds(&work.path().join("realworld")));
    let real = seeds.len() - own - wix;
    assert!(
        wix >= 100 && real >= 12,
        "the fuzzer must seed from WiX's test sources and the real-world corpus \
         ({wix} and {real} seeds)"
    );
    // Mutations reach the linker and the lowering only from seeds that build: most must
    // (the others are WiX's error cases and the sources that need an extension).
    let building = seeds
        .iter()
        .filter(|s| svcpack::wix::compile(&s.sources, &s.opts).is_ok())
        .count();
    assert!(
        building * 4 >= seeds.len() * 3,
        "only {building} of {} fuzz seeds build unmutated",
        seeds.len()
    );
    // SVCPACK_FUZZ_SEED explores other mutation streams (a failure prints the input).
    let stream: u64 = std::env::var("SVCPACK_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5eed_cafe_f00d_d00d);
    let mut rng = Rng(stream.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut panics = Vec::new();
    let mut unlocated = Vec::new();
    let (mut ok, mut errors) = (0, 0);
    let start = std::time::Instant::now();
    let prev_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    for n in 0..iterations {
        let seed = rng.pick(&seeds);
        let mutated = mutate(&seed.text, &mut rng);
        let arch = *rng.pick(&["x86", "x64", "arm64"]);
        // Beside the original, so relative includes and payloads still resolve.
        let original = &seed.sources[seed.slot];
        let file = original.file_name().unwrap().to_string_lossy();
        let path = original.with_file_name(format!("fuzz-{file}"));
        std::fs::write(&path, &mutated).unwrap();
        let mut sources = seed.sources.clone();
        sources[seed.slot] = path.clone();
        let mut o = seed.opts.clone();
        o.arch = arch.to_string();
        let r = std::panic::catch_unwind(|| svcpack::wix::compile(&sources, &o));
        let _ = std::fs::remove_file(&path);
        match r {
            Ok(Ok(_)) => ok += 1,
            Ok(Err(e)) => {
                errors += 1;
                // Bad input is one located error.
                if e.location.file.as_os_str().is_empty() {
                    unlocated.push(format!("#{n} ({}): {}", seed.name, e.message));
                }
            }
            Err(p) => {
                let msg = p
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                panics.push(format!(
                    "#{n} ({}, -a {arch}): {msg}\n--- input ---\n{}",
                    seed.name,
                    String::from_utf8_lossy(&mutated)
                ));
            }
        }
    }
    std::panic::set_hook(prev_hook);
    eprintln!(
        "fuzz: {iterations} mutations of {} seeds ({own} svcpack, {wix} WiX tests, {real} \
         real-world) in {:.1?}: {ok} compiled, {errors} rejected, {} panicked",
        seeds.len(),
        start.elapsed(),
        panics.len()
    );
    assert!(
        unlocated.is_empty(),
        "{} error(s) without a location: {:#?}",
        unlocated.len(),
        &unlocated[..unlocated.len().min(10)]
    );
    assert!(
        panics.is_empty(),
        "{} panic(s):\n{}",
        panics.len(),
        panics
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n\n")
    );
}
