//! Render tests: real configurations in (through the configuration loader), WiX text out,
//! read back with an XML parser and with models of the WiX preprocessor's and Windows
//! Installer's unescaping, so "arrives literally" is checked end to end.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::cargo_wix::triple_vendor_env;
use super::data::parents_component_guid;
use super::values::path_hash;
use super::*;
use crate::config::{load_standalone_str, Config, Guid, PackageInfo, RelPath};
use crate::version::MsiVersion;

/// A throwaway directory holding a configuration and the files it names.
struct Fixture {
    dir: PathBuf,
}

impl Fixture {
    fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("svcpack-render-test-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        let f = Fixture { dir };
        f.write("LICENSE", "MIT\n");
        f.write("assets/agent.ico", "\0\0\x01\0");
        f.write("config/agent.toml", "port = 18431\n");
        f.write("README.md", "readme\n");
        f.write("bin/ledger-agent.exe", "MZ");
        // The installer helper, named by its file name when RenderInput::helper is None.
        f.write(crate::helper::HELPER_EXE_NAME, "MZ helper");
        f
    }

    fn write(&self, rel: &str, contents: &str) {
        let path = self.dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(path, contents).expect("write");
    }

    fn load(&self, toml: &str) -> (PackageInfo, Config) {
        let path = self.dir.join("svcpack.toml");
        let (pkg, loaded) = load_standalone_str(&path, toml).expect("valid configuration");
        (pkg, loaded.config)
    }

    fn exe(&self) -> PathBuf {
        self.dir.join("bin/ledger-agent.exe")
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

const EVIL: &str = "</Description><Evil/> & \"x\"";

/// The SPEC's example, with every awkward value the acceptance service may have.
const FULL: &str = r#"
name = "ledger-agent"
version = "2.0.0-beta.1"
authors = ["Example Ltd <ops@example.com>"]
description = "Answers ledger queries & more <fast>"
homepage = "https://example.com/ledger?a=1&b=2"
repository = "https://example.com/ledger.git"
product-name = "Ledger Agent ✓ Überwachung"
manufacturer = "Example & Söhne 'Ltd'"
upgrade-code = "8e0b5a7c-1d2e-4f60-8a9b-0c1d2e3f4a5b"
binary = "ledger-agent"
install-dir = "Example Ltd/Ledger Agent ✓"
license = "LICENSE"
icon = "assets/agent.ico"

[service]
name = "Ledger Agent $(var.X) [x]"
display-name = "Ledger Agent ✓ Überwachung"
description = "</Description><Evil/> & \"x\""
start = "delayed"
account = "virtual"
arguments = ["--port", "18431", "--data-dir", "C:\\Program Files\\Ledger Agent ✓\\", "say \"hi\"", "", "[ProductName] {x} $(var.Y) 100%", "tab\there"]
dependencies = ["Tcpip", "+NetworkProvider"]
event-source = true

[service.recovery]
actions = ["restart", "run", "reboot", "none"]
delays-secs = [5, 30, 60, 0]
reset-after-secs = 86400
command = "C:\\Tools\\notify.exe \"Ledger Agent\" [failed]"

[[files]]
source = "config/agent.toml"
dest = "conf/site/agent.toml"
preserve-on-upgrade = true

[[files]]
source = "README.md"
dest = "Conf/README.md"
"#;

const PLAIN: &str = r#"
name = "plain-app"
version = "1.2.3"
authors = ["Example Ltd"]
upgrade-code = "2F6E4C1A-8B3D-4E5F-9A0B-1C2D3E4F5A6B"
binary = "ledger-agent.exe"

[[files]]
source = "README.md"
"#;

fn render_str(fixture: &Fixture, toml: &str) -> String {
    let (pkg, config) = fixture.load(toml);
    let exe = fixture.exe();
    let input = RenderInput::new(&config, &pkg, &exe, "x64");
    render(&input, None).expect("renders")
}

const WIX: &str = "http://wixtoolset.org/schemas/v4/wxs";
const UTIL: &str = "http://wixtoolset.org/schemas/v4/wxs/util";

fn elements<'a, 'i>(
    doc: &'a roxmltree::Document<'i>,
    ns: &str,
    name: &str,
) -> Vec<roxmltree::Node<'a, 'i>> {
    doc.descendants()
        .filter(|n| n.tag_name().name() == name && n.tag_name().namespace() == Some(ns))
        .collect()
}

fn one<'a, 'i>(doc: &'a roxmltree::Document<'i>, name: &str) -> roxmltree::Node<'a, 'i> {
    let found = elements(doc, WIX, name);
    assert_eq!(found.len(), 1, "exactly one {name}");
    found[0]
}

fn attr<'a>(node: roxmltree::Node<'a, '_>, name: &str) -> &'a str {
    node.attribute(name)
        .unwrap_or_else(|| panic!("{} has no {name}", node.tag_name().name()))
}

/// The WiX preprocessor's reading of an attribute value: `$$` is a literal `$`.
fn unpreprocess(text: &str) -> String {
    text.replace("$$", "$")
}

/// Windows Installer's formatting of text that holds only `[\x]` escapes.
fn unformat(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("[\\") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let mut chars = after.chars();
        let c = chars.next().expect("escaped character");
        assert_eq!(chars.next(), Some(']'), "escape closes in {text}");
        out.push(c);
        rest = &after[c.len_utf8() + 1..];
    }
    assert!(
        !rest.contains(['[', ']', '{', '}']),
        "unescaped formatting characters in {text}"
    );
    out.push_str(rest);
    out
}

/// What the MSI column holding this Formatted attribute shows at install time.
fn formatted(node: roxmltree::Node, name: &str) -> String {
    unformat(&unpreprocess(attr(node, name)))
}

/// CommandLineToArgvW's splitting of the arguments after the program name.
fn command_line_to_argv(line: &str) -> Vec<String> {
    let mut args = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while matches!(chars.peek(), Some(' ' | '\t')) {
            chars.next();
        }
        if chars.peek().is_none() {
            return args;
        }
        let mut arg = String::new();
        let mut quoted = false;
        while let Some(&c) = chars.peek() {
            match c {
                ' ' | '\t' if !quoted => break,
                '\\' => {
                    let mut n = 0;
                    while chars.peek() == Some(&'\\') {
                        chars.next();
                        n += 1;
                    }
                    if chars.peek() == Some(&'"') {
                        arg.extend(std::iter::repeat('\\').take(n / 2));
                        if n % 2 == 1 {
                            arg.push('"');
                            chars.next();
                        }
                    } else {
                        arg.extend(std::iter::repeat('\\').take(n));
                    }
                }
                '"' => {
                    chars.next();
                    if quoted && chars.peek() == Some(&'"') {
                        // `""` inside quotes is a literal quote.
                        arg.push('"');
                        chars.next();
                    } else {
                        quoted = !quoted;
                    }
                }
                c => {
                    arg.push(c);
                    chars.next();
                }
            }
        }
        args.push(arg);
    }
}

#[test]
fn full_example_is_well_formed_and_arrives_literally() {
    let f = Fixture::new("full");
    let (pkg, config) = f.load(FULL);
    let exe = f.exe();
    let input = RenderInput::new(&config, &pkg, &exe, "x64");
    assert_eq!(input.codepage, CODEPAGE_UTF8, "✓ is not in Windows-1252");
    let wxs = render(&input, None).expect("renders");
    let doc =
        roxmltree::Document::parse(&wxs).unwrap_or_else(|e| panic!("well-formed XML: {e}\n{wxs}"));

    let package = one(&doc, "Package");
    assert_eq!(attr(package, "Name"), "Ledger Agent ✓ Überwachung");
    assert_eq!(attr(package, "Manufacturer"), "Example & Söhne 'Ltd'");
    assert_eq!(attr(package, "Version"), "2.0.0");
    assert_eq!(
        attr(package, "UpgradeCode"),
        "{8E0B5A7C-1D2E-4F60-8A9B-0C1D2E3F4A5B}"
    );
    assert_eq!(attr(package, "ProductCode"), product_code(&config, "x64"));
    assert_eq!(attr(package, "Codepage"), "65001");
    assert_eq!(attr(package, "Scope"), "perMachine");
    assert_eq!(attr(package, "Language"), "1033");

    let upgrade = one(&doc, "MajorUpgrade");
    assert_eq!(attr(upgrade, "AllowSameVersionUpgrades"), "yes");
    assert_eq!(attr(upgrade, "Schedule"), "afterInstallExecute");
    assert!(attr(upgrade, "DowngradeErrorMessage").contains("[ProductName]"));
    assert_eq!(attr(one(&doc, "MediaTemplate"), "EmbedCab"), "yes");

    let props: BTreeMap<&str, &str> = elements(&doc, WIX, "Property")
        .into_iter()
        .map(|p| (attr(p, "Id"), attr(p, "Value")))
        .collect();
    assert_eq!(
        props["ARPURLINFOABOUT"],
        "https://example.com/ledger?a=1&b=2"
    );
    assert_eq!(props["ARPHELPLINK"], "https://example.com/ledger.git");
    assert_eq!(props["ARPCOMMENTS"], "Answers ledger queries & more <fast>");
    assert_eq!(props["ARPPRODUCTICON"], "ProductIcon.ico");
    assert_eq!(props["REINSTALLMODE"], "emus");
    assert_eq!(props["SvcpackFullVersion"], "2.0.0-beta.1");
    let icon = one(&doc, "Icon");
    assert_eq!(attr(icon, "Id"), "ProductIcon.ico");
    assert_eq!(
        Path::new(attr(icon, "SourceFile")),
        f.dir.join("assets").join("agent.ico")
    );

    // Install directory: two segments nested under Program Files, the parent removed when empty.
    let pf = one(&doc, "StandardDirectory");
    assert_eq!(attr(pf, "Id"), "ProgramFiles6432Folder");
    let outer = pf.first_element_child().expect("outer folder");
    assert_eq!(attr(outer, "Name"), "Example Ltd");
    let inner = outer.first_element_child().expect("install folder");
    assert_eq!(attr(inner, "Id"), INSTALL_FOLDER_ID);
    assert_eq!(attr(inner, "Name"), "Ledger Agent ✓");
    let remove = one(&doc, "RemoveFolder");
    assert_eq!(attr(remove, "Directory"), attr(outer, "Id"));
    let parents = remove.parent_element().expect("component");
    assert_eq!(attr(parents, "Directory"), attr(outer, "Id"));
    assert_eq!(attr(parents, "KeyPath"), "yes");
    assert_eq!(
        crate::config::Guid::parse(attr(parents, "Guid")).map(|g| g.to_string()),
        Ok(attr(parents, "Guid").to_string()),
        "a braced upper-case GUID"
    );
    assert_eq!(one(&doc, "CreateFolder").parent_element(), Some(parents));

    // The exe.
    let files = elements(&doc, WIX, "File");
    let main = files
        .iter()
        .find(|n| attr(**n, "Id") == "MainExe")
        .expect("MainExe");
    assert_eq!(attr(*main, "Name"), "ledger-agent.exe");
    assert_eq!(attr(*main, "KeyPath"), "yes");
    assert_eq!(Path::new(attr(*main, "Source")), exe);
    let main_component = main.parent_element().expect("component");
    assert_eq!(attr(main_component, "Directory"), INSTALL_FOLDER_ID);

    // The service, every Formatted column literal after preprocessing and formatting.
    let si = one(&doc, "ServiceInstall");
    assert_eq!(si.parent_element(), Some(main_component));
    assert_eq!(formatted(si, "Name"), "Ledger Agent $(var.X) [x]");
    assert_eq!(formatted(si, "DisplayName"), "Ledger Agent ✓ Überwachung");
    assert_eq!(attr(si, "Description"), EVIL, "XML escaping");
    assert_eq!(formatted(si, "Description"), EVIL);
    assert_eq!(attr(si, "Start"), "auto");
    assert_eq!(attr(si, "Type"), "ownProcess");
    assert_eq!(attr(si, "ErrorControl"), "normal");
    assert_eq!(
        formatted(si, "Account"),
        "NT SERVICE\\Ledger Agent $(var.X) [x]"
    );
    let args = formatted(si, "Arguments");
    assert_eq!(
        command_line_to_argv(&args),
        config
            .service
            .as_ref()
            .map(|s| s.arguments.clone())
            .unwrap_or_default(),
        "{args}"
    );
    let deps: Vec<(&str, Option<&str>)> = elements(&doc, WIX, "ServiceDependency")
        .into_iter()
        .map(|d| (attr(d, "Id"), d.attribute("Group")))
        .collect();
    assert_eq!(deps, [("Tcpip", None), ("NetworkProvider", Some("yes"))]);
    // The settings travel in the helper's command line, not in MsiServiceConfig rows.
    assert!(elements(&doc, WIX, "ServiceConfig").is_empty());
    assert!(elements(&doc, WIX, "ServiceConfigFailureActions").is_empty());
    let crate::helper::settings::Request::Configure(set) =
        helper_request(&doc, "SvcpackConfigureService")
    else {
        panic!("configure")
    };
    assert_eq!(set.delayed_auto_start, Some(true));
    assert_eq!(set.reset_secs, 86400);
    assert_eq!(
        set.command.as_deref(),
        Some("C:\\Tools\\notify.exe \"Ledger Agent\" [failed]")
    );
    use crate::helper::settings::Action;
    assert_eq!(
        set.actions,
        [
            (Action::Restart, 5000),
            (Action::Run, 30000),
            (Action::Reboot, 60000),
            (Action::None, 0)
        ]
    );
    let ca = elements(&doc, WIX, "CustomAction");
    assert_eq!(ca.len(), 2);
    for c in &ca {
        assert_eq!(attr(*c, "BinaryRef"), "SvcpackHelper");
        assert_eq!(attr(*c, "Execute"), "deferred");
        assert_eq!(attr(*c, "Impersonate"), "no");
    }

    let control = one(&doc, "ServiceControl");
    assert_eq!(formatted(control, "Name"), "Ledger Agent $(var.X) [x]");
    for (k, v) in [
        ("Start", "install"),
        ("Stop", "both"),
        ("Remove", "uninstall"),
        ("Wait", "yes"),
    ] {
        assert_eq!(attr(control, k), v);
    }
    let events = elements(&doc, UTIL, "EventSource");
    assert_eq!(events.len(), 1);
    assert_eq!(formatted(events[0], "Name"), "Ledger Agent $(var.X) [x]");
    assert_eq!(attr(events[0], "Log"), "Application");
    assert_eq!(attr(events[0], "EventMessageFile"), "[#MainExe]");

    // License and extra files, one component each, in their folders.
    let license = files
        .iter()
        .find(|n| attr(**n, "Id") == "LicenseFile")
        .expect("license");
    assert_eq!(attr(*license, "Name"), "LICENSE");
    let extra: Vec<_> = files
        .iter()
        .filter(|n| attr(**n, "Id").starts_with("ExtraFile_"))
        .collect();
    assert_eq!(extra.len(), 2);
    let dirs: BTreeMap<&str, (&str, &str)> = elements(&doc, WIX, "DirectoryRef")
        .into_iter()
        .map(|r| {
            let d = r.first_element_child().expect("directory");
            (attr(d, "Id"), (attr(d, "Name"), attr(r, "Id")))
        })
        .collect();
    assert_eq!(
        dirs.len(),
        2,
        "conf and conf/site, `Conf` is the same folder"
    );
    let component_of = |name: &str| {
        let file = extra
            .iter()
            .find(|n| attr(***n, "Name") == name)
            .unwrap_or_else(|| panic!("{name}"));
        file.parent_element().expect("component")
    };
    let agent = component_of("agent.toml");
    assert_eq!(attr(agent, "NeverOverwrite"), "yes");
    let (site, site_parent) = dirs[attr(agent, "Directory")];
    assert_eq!(site, "site");
    let (conf, conf_parent) = dirs[site_parent];
    assert_eq!(conf, "conf");
    assert_eq!(conf_parent, INSTALL_FOLDER_ID);
    let readme = component_of("README.md");
    assert_eq!(readme.attribute("NeverOverwrite"), None);
    assert_eq!(attr(readme, "Directory"), site_parent);

    // Every component is in the feature.
    let group = one(&doc, "ComponentGroup");
    assert_eq!(
        elements(&doc, WIX, "Component")
            .iter()
            .filter(|c| c.parent_element() == Some(group))
            .count(),
        5
    );
    assert_eq!(
        attr(one(&doc, "ComponentGroupRef"), "Id"),
        attr(group, "Id")
    );
}

#[test]
fn rendering_is_deterministic_and_tidy() {
    let f = Fixture::new("determinism");
    let a = render_str(&f, FULL);
    let b = render_str(&f, FULL);
    assert_eq!(a, b);
    assert!(a.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<!-- Generated"));
    assert!(!a.contains("{{"), "no template syntax left");
    assert!(!a.contains("\n\n\n"), "no runs of blank lines:\n{a}");
    assert!(
        a.lines().all(|l| l.trim_end() == l),
        "no trailing whitespace:\n{a}"
    );
}

#[test]
fn plain_application_has_no_service() {
    let f = Fixture::new("plain");
    let (pkg, config) = f.load(PLAIN);
    let exe = f.exe();
    let input = RenderInput::new(&config, &pkg, &exe, "x86");
    assert_eq!(input.codepage, CODEPAGE_WINDOWS_1252);
    let wxs = render(&input, None).expect("renders");
    let doc = roxmltree::Document::parse(&wxs).expect("well-formed");
    for service_element in [
        "ServiceInstall",
        "ServiceControl",
        "ServiceConfig",
        "ServiceConfigFailureActions",
        "Binary",
        "CustomAction",
        "RemoveFolder",
        "CreateFolder",
        "Icon",
    ] {
        assert!(
            elements(&doc, WIX, service_element).is_empty(),
            "{service_element}"
        );
    }
    assert!(elements(&doc, UTIL, "EventSource").is_empty());
    let files: Vec<&str> = elements(&doc, WIX, "File")
        .into_iter()
        .map(|n| attr(n, "Name"))
        .collect();
    assert_eq!(files, ["ledger-agent.exe", "README.md"]);
    let package = one(&doc, "Package");
    assert_eq!(attr(package, "Name"), "plain-app");
    assert_eq!(attr(package, "Codepage"), "1252");
    assert_eq!(attr(package, "Version"), "1.2.3");
    let props: Vec<&str> = elements(&doc, WIX, "Property")
        .into_iter()
        .map(|p| attr(p, "Id"))
        .collect();
    assert!(!props.contains(&"ARPURLINFOABOUT") && !props.contains(&"ARPCOMMENTS"));
    let install = one(&doc, "StandardDirectory")
        .first_element_child()
        .expect("install folder");
    assert_eq!(attr(install, "Id"), INSTALL_FOLDER_ID);
    assert_eq!(attr(install, "Name"), "plain-app");
    assert!(elements(&doc, WIX, "DirectoryRef").is_empty());
}

#[test]
fn start_types_and_accounts() {
    let f = Fixture::new("start");
    for (start, account, wix_start, delayed, wix_account) in [
        ("auto", "LocalSystem", "auto", Some("no"), "LocalSystem"),
        (
            "demand",
            "LocalService",
            "demand",
            None,
            "NT AUTHORITY\\LocalService",
        ),
        (
            "disabled",
            "NetworkService",
            "disabled",
            None,
            "NT AUTHORITY\\NetworkService",
        ),
        (
            "delayed",
            "CORP\\svc-ledger$",
            "auto",
            Some("yes"),
            "CORP\\svc-ledger$",
        ),
    ] {
        let toml = format!(
            "name = \"svc\"\nversion = \"1.0.0\"\nauthors = [\"A\"]\n\
             upgrade-code = \"2F6E4C1A-8B3D-4E5F-9A0B-1C2D3E4F5A6B\"\n\
             [service]\nname = \"Svc\"\nstart = \"{start}\"\naccount = '{account}'\n\
             event-source = false\n"
        );
        let wxs = render_str(&f, &toml);
        let doc = roxmltree::Document::parse(&wxs).expect("well-formed");
        let si = one(&doc, "ServiceInstall");
        assert_eq!(attr(si, "Start"), wix_start, "{start}");
        assert_eq!(formatted(si, "Account"), wix_account, "{account}");
        assert_eq!(si.attribute("Arguments"), None, "no arguments configured");
        let crate::helper::settings::Request::Configure(set) =
            helper_request(&doc, "SvcpackConfigureService")
        else {
            panic!("configure")
        };
        assert_eq!(
            set.delayed_auto_start,
            delayed.map(|d: &str| d == "yes"),
            "{start}"
        );
        assert!(set.actions.is_empty() && !set.non_crash_failures);
        assert!(elements(&doc, UTIL, "EventSource").is_empty());
    }
}

#[test]
fn recovery_without_run_sets_no_command() {
    let f = Fixture::new("recovery");
    let toml = "name = \"svc\"\nversion = \"1.0.0\"\nauthors = [\"A\"]\n\
                upgrade-code = \"2F6E4C1A-8B3D-4E5F-9A0B-1C2D3E4F5A6B\"\n\
                [service]\nname = \"Svc\"\n[service.recovery]\n\
                actions = [\"restart\", \"restart\", \"none\"]\ndelays-secs = [5, 30, 0]\n\
                reset-after-secs = 3600\ncommand = \"x.exe\"\n";
    let wxs = render_str(&f, toml);
    let doc = roxmltree::Document::parse(&wxs).expect("well-formed");
    let crate::helper::settings::Request::Configure(set) =
        helper_request(&doc, "SvcpackConfigureService")
    else {
        panic!("configure")
    };
    assert_eq!(set.command, None);
    assert_eq!(set.reset_secs, 3600);
    assert_eq!(set.actions.len(), 3);
}

/// The request a helper custom action carries: its ExeCommand names the property that
/// holds the command line, whose value is substituted literally.
fn helper_request(doc: &roxmltree::Document, id: &str) -> crate::helper::settings::Request {
    let ca = elements(doc, WIX, "CustomAction")
        .into_iter()
        .find(|c| attr(*c, "Id") == id)
        .unwrap_or_else(|| panic!("CustomAction {id}"));
    let command = attr(ca, "ExeCommand");
    let name = command
        .strip_prefix('[')
        .and_then(|c| c.strip_suffix(']'))
        .unwrap_or_else(|| panic!("{command}"));
    let property = elements(doc, WIX, "Property")
        .into_iter()
        .find(|p| attr(*p, "Id") == name)
        .unwrap_or_else(|| panic!("Property {name}"));
    crate::helper::decode(&unpreprocess(attr(property, "Value"))).expect("decodes")
}

#[test]
fn delays_beyond_wix_integers_are_refused() {
    let f = Fixture::new("delays");
    let (pkg, config) = f.load(
        "name = \"svc\"\nversion = \"1.0.0\"\nauthors = [\"A\"]\n\
         upgrade-code = \"2F6E4C1A-8B3D-4E5F-9A0B-1C2D3E4F5A6B\"\n\
         [service]\nname = \"Svc\"\n[service.recovery]\n\
         actions = [\"restart\"]\ndelays-secs = [3000000]\n",
    );
    let exe = f.exe();
    let err = render(&RenderInput::new(&config, &pkg, &exe, "x64"), None).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("delays-secs") && msg.contains("2147483"),
        "{msg}"
    );
}

#[test]
fn text_xml_cannot_hold_is_an_error() {
    let f = Fixture::new("xmlchar");
    let (pkg, mut config) = f.load(PLAIN);
    config.product_name = "bell\u{7}".into();
    let exe = f.exe();
    let err = render(&RenderInput::new(&config, &pkg, &exe, "x64"), None).unwrap_err();
    assert!(
        matches!(&err, RenderError::InvalidText { what, code: 7 } if what == "product.name"),
        "{err}"
    );
    assert!(err.to_string().contains("U+0007"));
}

#[test]
fn newlines_and_tabs_survive_attribute_normalisation() {
    let f = Fixture::new("newlines");
    let (pkg, mut config) = f.load(
        "name = \"svc\"\nversion = \"1.0.0\"\nauthors = [\"A\"]\n\
         upgrade-code = \"2F6E4C1A-8B3D-4E5F-9A0B-1C2D3E4F5A6B\"\n[service]\nname = \"Svc\"\n",
    );
    let text = "line one\r\nline\ttwo\n$$ {[~]}";
    if let Some(s) = config.service.as_mut() {
        s.description = Some(text.into());
    }
    let exe = f.exe();
    let wxs = render(&RenderInput::new(&config, &pkg, &exe, "arm64"), None).expect("renders");
    let doc = roxmltree::Document::parse(&wxs).expect("well-formed");
    assert_eq!(formatted(one(&doc, "ServiceInstall"), "Description"), text);
}

#[test]
fn unknown_architecture_is_an_error() {
    let f = Fixture::new("arch");
    let (pkg, config) = f.load(PLAIN);
    let exe = f.exe();
    let err = render(&RenderInput::new(&config, &pkg, &exe, "amd64"), None).unwrap_err();
    assert!(err.to_string().contains("x86, x64, arm64"), "{err}");
}

#[test]
fn quoting_matches_command_line_to_argv() {
    // Microsoft's documented examples of CommandLineToArgvW / the C runtime.
    assert_eq!(command_line_to_argv(r#""a b c" d e"#), ["a b c", "d", "e"]);
    assert_eq!(
        command_line_to_argv(r#""ab\"c" "\\" d"#),
        ["ab\"c", "\\", "d"]
    );
    assert_eq!(
        command_line_to_argv(r#"a\\\b d"e f"g h"#),
        ["a\\\\\\b", "de fg", "h"]
    );
    assert_eq!(command_line_to_argv(r#"a\\\"b c d"#), ["a\\\"b", "c", "d"]);
    assert_eq!(
        command_line_to_argv(r#"a\\\\"b c" d e"#),
        ["a\\\\b c", "d", "e"]
    );

    // Known quotings.
    for (args, line) in [
        (&["a b c", "d", "e"][..], r#""a b c" d e"#),
        (&["ab\"c", "\\", "d"][..], r#""ab\"c" \ d"#),
        (&["a\\\\\\b", "de fg", "h"][..], r#"a\\\b "de fg" h"#),
        (&[""][..], r#""""#),
        (&["C:\\Program Files\\x\\"][..], r#""C:\Program Files\x\\""#),
        (&["--port", "18431"][..], "--port 18431"),
        (&["say \"hi\""][..], r#""say \"hi\"""#),
        (&["a\\\"b"][..], r#""a\\\"b""#),
        (&[][..], ""),
    ] {
        assert_eq!(quote_windows_args(args), line, "{args:?}");
    }

    // Round trips through the parser.
    let tricky: Vec<&str> = vec![
        "",
        " ",
        "a",
        "a\\",
        "a\\ b\\",
        "\\\"",
        "\\\\\"\\\\",
        "\"",
        "\"\"",
        "tab\there",
        "new\nline",
        "ümlaut ✓",
        "--name=x y",
        "100%",
        "C:\\Program Files\\Ledger Agent\\",
        "\\\\server\\share\\",
    ];
    for n in 0..tricky.len() {
        let args: Vec<&str> = tricky[n..].iter().chain(&tricky[..n]).copied().collect();
        let line = quote_windows_args(&args);
        assert_eq!(command_line_to_argv(&line), args, "{line}");
    }
}

#[test]
fn escapes() {
    assert_eq!(
        escape_xml("<a href=\"x\">&'$(var.X)\t\n\r"),
        "&lt;a href=&quot;x&quot;&gt;&amp;&apos;$$(var.X)&#9;&#10;&#13;"
    );
    assert_eq!(escape_xml("Überwachung ✓"), "Überwachung ✓");
    assert_eq!(
        escape_formatted("[ProductName] {x} [~] a"),
        "[\\[]ProductName[\\]] [\\{]x[\\}] [\\[]~[\\]] a"
    );
    assert_eq!(unformat(&escape_formatted("[[x]]{{}}")), "[[x]]{{}}");
}

#[test]
fn codepages() {
    assert_eq!(codepage_for(["Ledger Agent", ""]), CODEPAGE_WINDOWS_1252);
    assert_eq!(
        codepage_for(["Überwachung", "Söhne €", "naïve — “quoted”"]),
        CODEPAGE_WINDOWS_1252
    );
    assert_eq!(codepage_for(["Agent ✓"]), CODEPAGE_UTF8);
    assert_eq!(codepage_for(["ok", "日本語"]), CODEPAGE_UTF8);
    assert_eq!(
        codepage_for(std::iter::empty::<&str>()),
        CODEPAGE_WINDOWS_1252
    );

    // Each place a string can come from decides.
    let f = Fixture::new("codepage");
    let (pkg, config) = f.load(PLAIN);
    assert_eq!(database_codepage(&config, &pkg), CODEPAGE_WINDOWS_1252);
    let mut pkg2 = pkg.clone();
    pkg2.homepage = Some("https://example.com/✓".into());
    assert_eq!(database_codepage(&config, &pkg2), CODEPAGE_UTF8);
    let (pkg, mut config) = f.load(FULL);
    if let Some(s) = config.service.as_mut() {
        s.display_name = "plain".into();
    }
    config.product_name = "plain".into();
    // Still ✓ in install-dir.
    assert_eq!(database_codepage(&config, &pkg), CODEPAGE_UTF8);
}

#[test]
fn user_template_wins_and_strict_mode_rejects_unknown_variables() {
    let f = Fixture::new("user");
    let (pkg, config) = f.load(PLAIN);
    let exe = f.exe();
    let input = RenderInput::new(&config, &pkg, &exe, "x64");
    let wix = f.dir.join("wix");

    // No user template: the built-in one.
    assert_eq!(find_user_template(&wix), None);
    let builtin = render(&input, Some(&wix)).expect("built-in");
    assert_eq!(builtin, render(&input, None).expect("built-in"));

    f.write(
        "wix/main.wxs.hbs",
        "<Wix Name=\"{{product.name}}\" V=\"{{fmt product.full_version}}\"/>",
    );
    assert_eq!(find_user_template(&wix), Some(wix.join(MAIN_TEMPLATE)));
    assert_eq!(
        render(&input, Some(&wix)).expect("user template"),
        "<Wix Name=\"plain-app\" V=\"1.2.3\"/>"
    );

    f.write("wix/main.wxs.hbs", "<Wix>\n  {{product.nmae}}\n</Wix>");
    let err = render(&input, Some(&wix)).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, RenderError::Render { .. }), "{msg}");
    assert!(msg.contains("main.wxs.hbs"), "names the template: {msg}");
    assert!(msg.contains("nmae"), "names the variable: {msg}");
    assert!(msg.contains("line 2"), "names the line: {msg}");

    f.write("wix/main.wxs.hbs", "<Wix>{{fmt product.nope}}</Wix>");
    assert!(matches!(
        render(&input, Some(&wix)),
        Err(RenderError::Render { .. })
    ));

    f.write("wix/main.wxs.hbs", "<Wix>{{#if product.name}}</Wix>");
    let err = render(&input, Some(&wix)).unwrap_err();
    assert!(matches!(err, RenderError::Template { .. }), "{err}");
}

#[test]
fn eject_refuses_to_overwrite_without_force() {
    let f = Fixture::new("eject");
    let wix = f.dir.join("wix");
    let written = eject(&wix, false).expect("ejects into a new directory");
    assert_eq!(written, [wix.join(MAIN_TEMPLATE)]);
    for (name, text) in builtin_templates() {
        assert_eq!(
            std::fs::read_to_string(wix.join(name)).expect("written"),
            *text
        );
    }

    f.write("wix/main.wxs.hbs", "edited");
    let err = eject(&wix, false).unwrap_err();
    assert!(matches!(&err, RenderError::Exists { path } if *path == wix.join(MAIN_TEMPLATE)));
    assert!(err.to_string().contains("--force"), "{err}");
    assert_eq!(
        std::fs::read_to_string(wix.join(MAIN_TEMPLATE)).expect("kept"),
        "edited"
    );

    eject(&wix, true).expect("force overwrites");
    assert_eq!(
        std::fs::read_to_string(wix.join(MAIN_TEMPLATE)).expect("written"),
        builtin_templates()[0].1
    );
    let leftovers: Vec<_> = std::fs::read_dir(&wix)
        .expect("dir")
        .filter_map(Result::ok)
        .map(|e| e.file_name())
        .filter(|n| n != MAIN_TEMPLATE)
        .collect();
    assert!(leftovers.is_empty(), "no temporary files: {leftovers:?}");

    // The ejected template renders exactly like the built-in one.
    let (pkg, config) = f.load(FULL);
    let exe = f.exe();
    let input = RenderInput::new(&config, &pkg, &exe, "x64");
    let from_user = render(&input, Some(&wix)).expect("ejected template");
    assert_eq!(from_user, render(&input, None).expect("built-in"));
}

#[test]
fn ejecting_into_a_file_is_an_io_error() {
    let f = Fixture::new("eject-io");
    f.write("wix", "a file, not a directory");
    let err = eject(&f.dir.join("wix"), true).unwrap_err();
    assert!(matches!(err, RenderError::Io { .. }), "{err}");
}

#[test]
fn cargo_wix_variables() {
    let version = MsiVersion::parse("2.0.0-beta.1").expect("version");
    let target = Path::new("/work/target");
    let bin_dir = cargo_target_bin_dir(target, Some("x86_64-pc-windows-msvc"), "release");
    assert_eq!(
        bin_dir,
        target.join("x86_64-pc-windows-msvc").join("release")
    );
    assert_eq!(
        cargo_target_bin_dir(target, None, "dev"),
        target.join("debug")
    );
    assert_eq!(
        cargo_target_bin_dir(target, None, "dist"),
        target.join("dist")
    );
    let defines = cargo_wix_defines(&CargoWixInput {
        version: &version,
        arch: "x64",
        target_triple: "x86_64-pc-windows-msvc",
        profile: "release",
        target_dir: target,
        bin_dir: &bin_dir,
    })
    .expect("defines");
    let want: BTreeMap<String, String> = [
        ("CargoProfile", "release".to_string()),
        ("CargoTargetBinDir", bin_dir.display().to_string()),
        ("CargoTargetDir", target.display().to_string()),
        ("Platform", "x64".into()),
        ("Profile", "release".into()),
        ("TargetEnv", "msvc".into()),
        ("TargetTriple", "x86_64-pc-windows-msvc".into()),
        ("TargetVendor", "pc".into()),
        ("Version", "2.0.0".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(defines, want);

    assert_eq!(
        triple_vendor_env("aarch64-pc-windows-gnullvm"),
        (Some("pc"), "gnu")
    );
    assert_eq!(
        triple_vendor_env("i686-uwp-windows-gnu"),
        (Some("uwp"), "gnu")
    );
    assert_eq!(triple_vendor_env("x86_64-windows-msvc"), (None, "msvc"));
    assert!(cargo_wix_defines(&CargoWixInput {
        version: &version,
        arch: "arm",
        target_triple: "thumbv7a-pc-windows-msvc",
        profile: "release",
        target_dir: target,
        bin_dir: &bin_dir,
    })
    .is_err());
}

#[test]
fn ids_are_stable_and_case_insensitive() {
    let f = Fixture::new("ids");
    let (pkg, config) = f.load(FULL);
    let data = template_data(&RenderInput::new(&config, &pkg, &f.exe(), "x64")).expect("data");
    let ids: Vec<String> = data["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| f["component_id"].as_str().unwrap_or_default().to_string())
        .collect();
    // Derived from the folded dest path only: stable across versions and reorderings.
    assert_eq!(
        ids[0],
        format!("Extra_{}", path_hash("conf\\site\\agent.toml"))
    );
    assert_eq!(ids[1], format!("Extra_{}", path_hash("conf\\readme.md")));
    assert!(ids.iter().all(|id| id.len() <= 72));
}

#[test]
fn file_and_folder_of_one_name_are_refused() {
    let f = Fixture::new("clash");
    let (pkg, config) = f.load(
        "name = \"svc\"\nversion = \"1.0.0\"\nauthors = [\"A\"]\n\
         upgrade-code = \"2F6E4C1A-8B3D-4E5F-9A0B-1C2D3E4F5A6B\"\n\
         [[files]]\nsource = \"README.md\"\ndest = \"conf\"\n\
         [[files]]\nsource = \"config/agent.toml\"\ndest = \"CONF/agent.toml\"\n",
    );
    let err = render(&RenderInput::new(&config, &pkg, &f.exe(), "x64"), None).unwrap_err();
    assert!(
        err.to_string().contains("both a file and the folder"),
        "{err}"
    );
}

#[test]
fn summary_information_is_ansi() {
    assert_eq!(
        ansi_codepage_for(&["Ledger Agent", "Example Ltd"]),
        Some(1252)
    );
    assert_eq!(ansi_codepage_for(&["Überwachung", "Söhne"]), Some(1252));
    assert_eq!(
        ansi_codepage_for(&["Служба учёта", "ООО Пример"]),
        Some(1251)
    );
    assert_eq!(ansi_codepage_for(&["Łódź"]), Some(1250));
    assert_eq!(ansi_codepage_for(&["監視エージェント"]), Some(932));
    assert_eq!(ansi_codepage_for(&["Служба", "監視"]), Some(932));
    assert_eq!(ansi_codepage_for(&["Agent ✓"]), None);
    assert_eq!(ansi_codepage_for(&["Ελληνικά", "Служба"]), None);

    let f = Fixture::new("summary");
    let (pkg, mut config) = f.load(FULL);
    // ✓ is in no ANSI codepage: the package name stands in; the manufacturer fits 1252.
    assert_eq!(
        summary_info(&config, &pkg),
        SummaryInfo {
            codepage: 1252,
            subject: "ledger-agent".into(),
            author: "Example & Söhne 'Ltd'".into(),
        }
    );
    config.product_name = "Служба учёта".into();
    config.manufacturer = "ООО Пример".into();
    assert_eq!(
        summary_info(&config, &pkg),
        SummaryInfo {
            codepage: 1251,
            subject: "Служба учёта".into(),
            author: "ООО Пример".into(),
        }
    );
    config.manufacturer = "Example 🦀".into();
    let s = summary_info(&config, &pkg);
    assert_eq!((s.codepage, s.author.as_str()), (1251, "ledger-agent"));
    assert_eq!(s.subject, "Служба учёта");

    let wxs = render_str(&f, FULL);
    let doc = roxmltree::Document::parse(&wxs).expect("well-formed");
    let summary = one(&doc, "SummaryInformation");
    assert_eq!(attr(summary, "Codepage"), "1252");
    assert_eq!(attr(summary, "Description"), "ledger-agent");
    assert!(attr(summary, "Comments").ends_with("install ledger-agent."));
}

#[test]
fn parents_component_guid_is_stable_per_product_and_folder() {
    let f = Fixture::new("parents-guid");
    let (_, mut config) = f.load(FULL);
    let a = parents_component_guid(&config);
    assert_eq!(a, parents_component_guid(&config));
    config.version = MsiVersion::parse("3.1.4").expect("version");
    config.product_name = "Renamed".into();
    assert_eq!(
        a,
        parents_component_guid(&config),
        "not tied to version or name"
    );
    config.install_dir = RelPath::parse("EXAMPLE LTD/ledger agent ✓", "x").expect("path");
    assert_eq!(a, parents_component_guid(&config), "Windows ignores case");
    config.install_dir = RelPath::parse("Example Ltd/Other", "x").expect("path");
    assert_ne!(a, parents_component_guid(&config));
}

#[test]
fn product_codes_tell_pre_releases_apart() {
    let f = Fixture::new("product-code");
    let (_, mut config) = f.load(FULL);
    let beta = product_code(&config, "x64");
    assert_eq!(beta, product_code(&config, "x64"), "reproducible");
    assert!(Guid::parse(&beta).is_ok_and(|g| g.as_str() == beta));
    assert_ne!(beta, product_code(&config, "x86"));
    config.version = MsiVersion::parse("2.0.0").expect("version");
    let release = product_code(&config, "x64");
    assert_ne!(beta, release, "same MSI version 2.0.0, different builds");
    config.version = MsiVersion::parse("2.0.0+build.7").expect("version");
    assert_ne!(release, product_code(&config, "x64"));
}

/// The rendered source through svcpack's own compiler, read back from the MSI.
mod native {
    use super::*;
    use crate::wix;

    fn compile(f: &Fixture, wxs: &str, arch: &str) -> PathBuf {
        let src = f.dir.join("main.wxs");
        std::fs::write(&src, wxs).expect("write wxs");
        let mut opts = wix::CompileOptions::new(arch);
        opts.current_dir = f.dir.clone();
        opts.env = BTreeMap::new();
        opts.timestamp = 0;
        let out = f.dir.join("out.msi");
        if let Err(e) = wix::compile_to_file(&[src], &out, &opts) {
            panic!("compiles: {e}\n{wxs}");
        }
        out
    }

    fn table(msi_path: &Path, name: &str) -> Vec<Vec<String>> {
        let mut pkg = msi::open(msi_path).expect("open msi");
        let rows = pkg
            .select_rows(msi::Select::table(name))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        rows.map(|r| {
            (0..r.len())
                .map(|i| match &r[i] {
                    msi::Value::Str(s) => s.clone(),
                    msi::Value::Int(n) => n.to_string(),
                    msi::Value::Null | msi::Value::Binary => String::new(),
                })
                .collect()
        })
        .collect()
    }

    #[test]
    fn full_example_compiles_and_reads_back() {
        let f = Fixture::new("native-full");
        let (pkg, config) = f.load(FULL);
        let exe = f.exe();
        let input = RenderInput::new(&config, &pkg, &exe, "x64");
        let msi_path = compile(&f, &render(&input, None).expect("renders"), "x64");
        let report = crate::helper::inspect_msi(&msi_path).expect("inspect");

        assert_eq!(
            report.product_name.as_deref(),
            Some("Ledger Agent ✓ Überwachung")
        );
        assert_eq!(report.product_version.as_deref(), Some("2.0.0"));
        assert_eq!(
            report.manufacturer.as_deref(),
            Some("Example & Söhne 'Ltd'")
        );
        assert_eq!(
            report.upgrade_code.as_deref(),
            Some("{8E0B5A7C-1D2E-4F60-8A9B-0C1D2E3F4A5B}")
        );
        assert_eq!(
            report.product_code.as_deref(),
            Some(product_code(&config, "x64").as_str())
        );
        assert_eq!(report.codepage, 65001);
        assert_eq!(report.services.len(), 1);
        let s = &report.services[0];
        assert_eq!(unformat(&s.name), "Ledger Agent $(var.X) [x]");
        assert_eq!(
            s.display_name.as_deref(),
            Some("Ledger Agent ✓ Überwachung")
        );
        assert_eq!(s.description.as_deref(), Some(EVIL));
        assert_eq!(s.start_type, "delayed");
        assert_eq!(
            unformat(&s.account),
            "NT SERVICE\\Ledger Agent $(var.X) [x]"
        );
        let args = unformat(s.arguments.as_deref().unwrap_or_default());
        assert_eq!(
            command_line_to_argv(&args),
            config
                .service
                .as_ref()
                .map(|s| s.arguments.clone())
                .unwrap_or_default()
        );
        assert_eq!(s.dependencies, ["Tcpip", "+NetworkProvider"]);
        let r = s.recovery.as_ref().expect("recovery");
        assert_eq!(r.actions, ["restart", "run", "reboot", "none"]);
        assert_eq!(r.delays_ms, [5000, 30000, 60000, 0]);
        assert_eq!(r.reset_period_secs, Some(86400));
        // From the helper's command line: literal, not an MSI Formatted value.
        assert_eq!(
            r.command.as_deref(),
            Some("C:\\Tools\\notify.exe \"Ledger Agent\" [failed]")
        );
        assert_eq!(s.settings_from, "custom action");
        assert_eq!(s.stop_wait_ms, Some(30_000));

        let mut names: Vec<(&str, &str)> = report
            .files
            .iter()
            .map(|f| (f.name.as_str(), f.directory.as_deref().unwrap_or_default()))
            .collect();
        names.sort();
        assert_eq!(names.len(), 4);
        assert!(names.contains(&("ledger-agent.exe", INSTALL_FOLDER_ID)));
        assert!(names.contains(&("LICENSE", INSTALL_FOLDER_ID)));

        // preserve-on-upgrade: NeverOverwrite (0x80) on that component only.
        let components = table(&msi_path, "Component");
        let preserved = format!("ExtraFile_{}", path_hash("conf\\site\\agent.toml"));
        assert_eq!(components.len(), 5);
        for row in &components {
            let never_overwrite = row[3].parse::<i32>().unwrap_or(0) & 0x80 != 0;
            assert_eq!(never_overwrite, row[5] == preserved, "{row:?}");
        }
        // RemoveExistingProducts after InstallExecute, before InstallFinalize.
        let seq: BTreeMap<String, i32> = table(&msi_path, "InstallExecuteSequence")
            .into_iter()
            .map(|r| (r[0].clone(), r[2].parse().unwrap_or(-1)))
            .collect();
        assert!(
            seq["InstallExecute"] < seq["RemoveExistingProducts"],
            "{seq:?}"
        );
        assert!(
            seq["RemoveExistingProducts"] < seq["InstallFinalize"],
            "{seq:?}"
        );
        let props: BTreeMap<String, String> = table(&msi_path, "Property")
            .into_iter()
            .map(|r| (r[0].clone(), r[1].clone()))
            .collect();
        assert_eq!(props["REINSTALLMODE"], "emus");
        assert_eq!(
            props["ARPURLINFOABOUT"],
            "https://example.com/ledger?a=1&b=2"
        );
        assert_eq!(props["ARPPRODUCTICON"], "ProductIcon.ico");
        let registry = table(&msi_path, "Registry");
        assert!(
            registry.iter().any(|r| r[2]
                .ends_with("\\EventLog\\Application\\Ledger Agent $(var.X) [\\[]x[\\]]")
                && r[3] == "EventMessageFile"
                && r[4] == "#%[#MainExe]"),
            "{registry:?}"
        );
    }

    #[test]
    fn component_guids_survive_a_version_bump() {
        // The upgrade strategy relies on this: same key paths, same component GUIDs.
        let f = Fixture::new("native-guids");
        let (pkg, mut config) = f.load(FULL);
        let exe = f.exe();
        let mut runs = Vec::new();
        for version in ["2.0.0-beta.1", "2.0.0", "2.1.0"] {
            config.version = MsiVersion::parse(version).expect("version");
            let input = RenderInput::new(&config, &pkg, &exe, "x64");
            let msi_path = compile(&f, &render(&input, None).expect("renders"), "x64");
            let guids: BTreeMap<String, String> = table(&msi_path, "Component")
                .into_iter()
                .map(|r| (r[0].clone(), r[1].clone()))
                .collect();
            let report = crate::helper::inspect_msi(&msi_path).expect("inspect");
            runs.push((guids, report.product_code));
        }
        assert_eq!(runs[0].0.len(), 5);
        assert!(runs.iter().all(|(g, _)| *g == runs[0].0), "{runs:?}");
        assert!(
            runs[0].0.values().all(|g| Guid::parse(g).is_ok()),
            "{runs:?}"
        );
        assert_ne!(runs[0].1, runs[1].1, "a pre-release and its release differ");
        assert_ne!(runs[1].1, runs[2].1);
    }

    #[test]
    fn plain_application_compiles() {
        let f = Fixture::new("native-plain");
        let (pkg, config) = f.load(PLAIN);
        let exe = f.exe();
        let input = RenderInput::new(&config, &pkg, &exe, "x86");
        let msi_path = compile(&f, &render(&input, None).expect("renders"), "x86");
        let report = crate::helper::inspect_msi(&msi_path).expect("inspect");
        assert!(report.services.is_empty());
        assert_eq!(report.codepage, 1252);
        assert_eq!(report.files.len(), 2);
    }
}

/// A service run by svcpack's service host.
mod hosted {
    use super::*;

    const HOSTED: &str = r#"
name = "ledger-agent"
version = "1.0.0"
authors = ["Example Ltd"]
upgrade-code = "8E0B5A7C-1D2E-4F60-8A9B-0C1D2E3F4A5B"
binary = "ledger-agent"

[service]
name = "LedgerAgent"
account = "virtual"
arguments = ["--port", "18431"]

[service.recovery]
actions = ["restart"]

[service.host]
log-dir = "var/logs"
working-dir = "data"
log-keep = 3

[[files]]
source = "README.md"
dest = "var/README.md"
"#;

    struct Rendered {
        f: Fixture,
        wxs: String,
        host_exe: PathBuf,
    }

    fn render_hosted(name: &str, toml: &str) -> Result<Rendered, RenderError> {
        let f = Fixture::new(name);
        f.write("stage/svcpack-host.exe", "MZ");
        f.write("stage/svcpack-host.conf", "format=1\r\n");
        let (pkg, config) = f.load(toml);
        let exe = f.exe();
        let host_exe = f.dir.join("stage/svcpack-host.exe");
        let conf = f.dir.join("stage/svcpack-host.conf");
        let mut input = RenderInput::new(&config, &pkg, &exe, "x64");
        input.host = Some(HostFiles {
            exe: &host_exe,
            conf: &conf,
        });
        let wxs = render(&input, None)?;
        Ok(Rendered { f, wxs, host_exe })
    }

    fn component<'a, 'i>(doc: &'a roxmltree::Document<'i>, id: &str) -> roxmltree::Node<'a, 'i> {
        elements(doc, WIX, "Component")
            .into_iter()
            .find(|c| c.attribute("Id") == Some(id))
            .unwrap_or_else(|| panic!("no component {id}"))
    }

    fn children<'a, 'i>(node: roxmltree::Node<'a, 'i>, name: &str) -> Vec<roxmltree::Node<'a, 'i>> {
        node.children()
            .filter(|n| n.tag_name().name() == name)
            .collect()
    }

    #[test]
    fn the_service_runs_the_host_which_runs_the_program() {
        let r = render_hosted("hosted", HOSTED).expect("renders");
        let doc = roxmltree::Document::parse(&r.wxs).expect("well-formed");

        // The service component's key path is the host; the program is a plain file.
        let main = component(&doc, "MainExecutable");
        let files = children(main, "File");
        assert_eq!(files.len(), 2);
        assert_eq!(attr(files[0], "Name"), "svcpack-host.exe");
        assert_eq!(attr(files[0], "KeyPath"), "yes");
        assert_eq!(attr(files[0], "Source"), r.host_exe.to_str().unwrap());
        assert_eq!(attr(files[1], "Name"), "svcpack-host.conf");
        let si = one(&doc, "ServiceInstall");
        assert_eq!(si.parent(), Some(main));
        assert_eq!(
            si.attribute("Arguments"),
            None,
            "the arguments are in the conf"
        );
        assert_eq!(formatted(si, "Account"), "NT SERVICE\\LedgerAgent");
        let source = elements(&doc, UTIL, "EventSource");
        assert_eq!(attr(source[0], "EventMessageFile"), "[#HostExe]");
        let program = component(&doc, "HostedProgram");
        let pfile = children(program, "File");
        assert_eq!(attr(pfile[0], "Id"), "MainExe");
        assert_eq!(attr(pfile[0], "Name"), "ledger-agent.exe");
        assert!(children(program, "ServiceInstall").is_empty());

        // Recovery applies when the host gives up (an error exit, not a crash).
        let crate::helper::settings::Request::Configure(set) =
            helper_request(&doc, "SvcpackConfigureService")
        else {
            panic!("configure")
        };
        assert_eq!(set.non_crash_failures, !set.actions.is_empty());
        assert_eq!(set.sid_type, crate::helper::settings::SidType::None);

        // The log folder (sharing `var` with an extra file) is writable by the virtual
        // account, and its files go on uninstall.
        let dirs = elements(&doc, WIX, "Directory");
        let var: Vec<_> = dirs.iter().filter(|d| attr(**d, "Name") == "var").collect();
        assert_eq!(var.len(), 1, "one `var` folder");
        let logs = dirs
            .iter()
            .find(|d| attr(**d, "Name") == "logs")
            .expect("logs");
        let log_comp = component(&doc, "HostLogDir");
        assert_eq!(attr(log_comp, "Directory"), attr(*logs, "Id"));
        let perm = one(&doc, "PermissionEx");
        let sid = crate::host::service_sid("LedgerAgent");
        assert_eq!(
            attr(perm, "Sddl"),
            format!("D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1301bf;;;{sid})")
        );
        let removed: Vec<&str> = children(log_comp, "RemoveFile")
            .iter()
            .map(|n| attr(*n, "Name"))
            .collect();
        for name in [
            "ledger-agent.out.log",
            "ledger-agent.err.log.3",
            "svcpack-host.log.1",
            "*.log",
        ] {
            assert!(removed.contains(&name), "{name} in {removed:?}");
        }
        assert!(!removed.contains(&"ledger-agent.out.log.4"));
        let work = component(&doc, "HostWorkingDir");
        let data = dirs
            .iter()
            .find(|d| attr(**d, "Name") == "data")
            .expect("data");
        assert_eq!(attr(work, "Directory"), attr(*data, "Id"));
    }

    #[test]
    fn compiles_into_the_tables_windows_installer_needs() {
        let r = render_hosted("hosted-native", HOSTED).expect("renders");
        let src = r.f.dir.join("main.wxs");
        std::fs::write(&src, &r.wxs).unwrap();
        let mut opts = crate::wix::CompileOptions::new("x64");
        opts.current_dir = r.f.dir.clone();
        opts.env = BTreeMap::new();
        let out = r.f.dir.join("out.msi");
        crate::wix::compile_to_file(&[src], &out, &opts)
            .unwrap_or_else(|e| panic!("compiles: {e}\n{}", r.wxs));
        let mut pkg = msi::open(&out).unwrap();
        let rows = |pkg: &mut msi::Package<std::fs::File>, t: &str| -> Vec<String> {
            pkg.select_rows(msi::Select::table(t))
                .unwrap()
                .map(|r| {
                    (0..r.len())
                        .map(|i| match &r[i] {
                            msi::Value::Str(s) => s.clone(),
                            msi::Value::Int(n) => n.to_string(),
                            _ => String::new(),
                        })
                        .collect::<Vec<_>>()
                        .join("\t")
                })
                .collect()
        };
        let components = rows(&mut pkg, "Component");
        assert!(
            components
                .iter()
                .any(|c| c.starts_with("MainExecutable\t") && c.ends_with("\tHostExe")),
            "the service component's key path is the host: {components:?}"
        );
        let services = rows(&mut pkg, "ServiceInstall");
        assert!(services[0].contains("\tMainExecutable\t"), "{services:?}");
        let locks = rows(&mut pkg, "MsiLockPermissionsEx");
        assert_eq!(locks.len(), 1);
        assert!(locks[0].contains("\tCreateFolder\tD:P("), "{locks:?}");
        // The settings are the helper's job: deferred (1024), not impersonated (2048),
        // an EXE in the Binary table (2); configure between InstallServices and
        // StartServices, stop before StopServices.
        assert!(!pkg.has_table("MsiServiceConfig"));
        let actions: Vec<String> = rows(&mut pkg, "CustomAction")
            .into_iter()
            .filter(|a| a.starts_with("Svcpack"))
            .collect();
        assert_eq!(actions.len(), 2, "{actions:?}");
        for a in &actions {
            assert!(a.contains("\t3074\tSvcpackHelper\t"), "{a}");
        }
        assert_eq!(rows(&mut pkg, "Binary").len(), 1);
        let seq = rows(&mut pkg, "InstallExecuteSequence");
        let at = |name: &str| -> i64 {
            let row = seq
                .iter()
                .find(|r| r.starts_with(&format!("{name}\t")))
                .unwrap_or_else(|| panic!("{name}: {seq:?}"));
            row.rsplit('\t').next().unwrap().parse().unwrap()
        };
        assert!(at("InstallServices") < at("SvcpackConfigureService"));
        assert!(at("SvcpackConfigureService") < at("StartServices"));
        assert!(at("SvcpackStopService") < at("StopServices"));
        assert!(
            seq.iter()
                .any(|r| r.starts_with("SvcpackConfigureService\tNOT (REMOVE~=\"ALL\")\t")),
            "{seq:?}"
        );
        let create = rows(&mut pkg, "CreateFolder");
        assert_eq!(create.len(), 2, "log and working folders: {create:?}");
    }

    #[test]
    fn a_named_account_is_granted_through_the_service_sid() {
        let toml = HOSTED.replace("account = \"virtual\"", "account = 'CORP\\svc-ledger$'");
        let r = render_hosted("hosted-user", &toml).expect("renders");
        let doc = roxmltree::Document::parse(&r.wxs).expect("well-formed");
        let crate::helper::settings::Request::Configure(set) =
            helper_request(&doc, "SvcpackConfigureService")
        else {
            panic!("configure")
        };
        assert_eq!(set.sid_type, crate::helper::settings::SidType::Unrestricted);
        let sid = crate::host::service_sid("LedgerAgent");
        assert!(attr(one(&doc, "PermissionEx"), "Sddl").ends_with(&format!(";;;{sid})")));
    }

    #[test]
    fn defaults_create_only_the_log_folder() {
        let r = render_hosted(
            "hosted-defaults",
            "name = \"go-agent\"\nversion = \"1.0.0\"\nauthors = [\"A\"]\nbinary = \"go-agent\"\n\
             upgrade-code = \"2F6E4C1A-8B3D-4E5F-9A0B-1C2D3E4F5A6B\"\n[service]\n[service.host]\n",
        )
        .expect("renders");
        let doc = roxmltree::Document::parse(&r.wxs).expect("well-formed");
        assert!(elements(&doc, WIX, "Component")
            .iter()
            .all(|c| c.attribute("Id") != Some("HostWorkingDir")));
        assert_eq!(
            attr(one(&doc, "PermissionEx"), "Sddl"),
            "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)",
            "LocalSystem needs nothing more"
        );
        let removed = children(component(&doc, "HostLogDir"), "RemoveFile");
        assert_eq!(
            removed.len(),
            3 * 6 + 2,
            "3 logs with 5 rotations each, and 2 wildcards"
        );
    }

    #[test]
    fn conflicting_names_and_the_install_folder_as_log_dir_are_refused() {
        // The install folder as log-dir (configuration loading may refuse it already; the
        // render stage never writes such a package either way).
        let f = Fixture::new("hosted-root-logs");
        let (pkg, mut config) = f.load(HOSTED);
        if let Some(h) = config.service.as_mut().and_then(|s| s.host.as_mut()) {
            h.log_dir = RelPath::default();
        }
        let err = render(&RenderInput::new(&config, &pkg, &f.exe(), "x64"), None)
            .expect_err("root log-dir")
            .to_string();
        assert!(err.contains("install directory itself"), "{err}");

        let cases = [
            (
                HOSTED.replace("dest = \"var/README.md\"", "dest = \"svcpack-host.conf\""),
                "svcpack-host.conf",
            ),
            (
                HOSTED.replace("binary = \"ledger-agent\"", "binary = \"svcpack-host\""),
                "svcpack-host.exe",
            ),
            (
                HOSTED.replace("log-dir = \"var/logs\"", "log-dir = \"var/README.md\""),
                "both a file and the folder",
            ),
        ];
        for (toml, needle) in cases {
            let f = Fixture::new("hosted-bad");
            if toml.contains("binary = \"svcpack-host\"") {
                f.write("bin/svcpack-host.exe", "MZ");
            }
            let (pkg, config) = f.load(&toml);
            let err = render(&RenderInput::new(&config, &pkg, &f.exe(), "x64"), None)
                .expect_err(needle)
                .to_string();
            assert!(err.contains(needle), "{needle}: {err}");
        }
    }

    #[test]
    fn a_user_template_without_the_host_is_refused() {
        let f = Fixture::new("hosted-stale");
        let dir = f.dir.join("wix");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join(MAIN_TEMPLATE),
            "<Wix>{{product.name}} {{exe.name}}</Wix>",
        )
        .unwrap();
        let (pkg, config) = f.load(HOSTED);
        let exe = f.exe();
        let err = render(&RenderInput::new(&config, &pkg, &exe, "x64"), Some(&dir))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("does not install svcpack's service host"),
            "{err}"
        );
        // The same template is fine for a service that is not hosted.
        let not_hosted = HOSTED.replace(
            "[service.host]\nlog-dir = \"var/logs\"\nworking-dir = \"data\"\nlog-keep = 3\n",
            "",
        );
        let (pkg, config) = f.load(&not_hosted);
        assert!(config.service.as_ref().unwrap().host.is_none());
        render(&RenderInput::new(&config, &pkg, &exe, "x64"), Some(&dir)).expect("renders");
    }

    #[test]
    fn host_folders_count_for_the_codepage() {
        let f = Fixture::new("hosted-codepage");
        let (pkg, config) = f.load(&HOSTED.replace("var/logs", "Protokolle ✓"));
        assert_eq!(database_codepage(&config, &pkg), CODEPAGE_UTF8);
        let (pkg, config) = f.load(HOSTED);
        assert_eq!(database_codepage(&config, &pkg), CODEPAGE_WINDOWS_1252);
    }
}
