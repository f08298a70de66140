//! The render stage: the package configuration in, WiX v4 source text out.
//!
//! This module owns the built-in handlebars templates (`templates/*.hbs`, embedded in the
//! binary), the data they are filled with ([`template_data`]), the escaping that makes every
//! value arrive in the MSI literally, the choice between a user's template (`wix/` after
//! `cargo svcpack init`, see [`eject`]) and the built-in one, the database codepage
//! ([`database_codepage`]), Windows command-line quoting of service arguments
//! ([`quote_windows_args`]) and the preprocessor variables cargo-wix passes to a project's
//! own `wix/main.wxs` ([`cargo_wix_defines`]). It reads templates and writes ejected ones;
//! it does not compile, build or sign anything.
//!
//! # Escaping
//!
//! A value crosses three interpreters on its way into the MSI, and each gets its escape:
//!
//! 1. XML: `& < > " '` become entities; tab, newline and carriage return become character
//!    references, because an XML parser turns literal ones in attribute values into spaces.
//!    Characters XML 1.0 cannot carry at all are an error ([`RenderError::InvalidText`]).
//! 2. The WiX preprocessor expands `$(var.X)` in attribute values; `$$` is its escape for a
//!    literal `$`, so every `$` is doubled. (1 and 2 are the registered escape function, so
//!    they apply to every `{{value}}` of every template.)
//! 3. Windows Installer formats columns of type Formatted (`[Property]`, `[#file]`,
//!    `{...}` groups) when it installs. The `fmt` helper turns `[ ] { }` into `[\[] [\]]
//!    [\{] [\}]`; templates use it for exactly the attributes that land in Formatted
//!    columns (ServiceInstall Name, DisplayName, Description, StartName, Arguments and
//!    Dependencies, ServiceControl Name, the failure-action Command, registry keys).
//!
//! Templates run in strict mode: a name missing from the data is an error naming the
//! template and line, never an empty string.
//!
//! # Upgrades and `preserve-on-upgrade`
//!
//! The built-in template schedules RemoveExistingProducts after InstallExecute: a new
//! version is installed over the old one, then the old product is removed. Component GUIDs
//! stay the same across versions (WiX derives them from the key path; the component of the
//! folders enclosing the install folder gets a UUIDv5 of the upgrade code and install
//! path), so removing the old product only drops its
//! reference to components the new one also has. A preserved file's component is
//! NeverOverwrite: its existing file is left as the administrator edited it, and the old
//! product's removal does not delete it. (With WiX's default early scheduling the old
//! product is removed first, edited file included, and NeverOverwrite never gets a say.)
//! `REINSTALLMODE=emus` makes the installed-over exe be replaced even when its file
//! version is equal, as for `2.0.0-beta.1` followed by `2.0.0`.
//!
//! # Summary information
//!
//! Only ANSI codepages are allowed there (Windows Installer reads the codepage as an
//! unsigned short; WiX refuses anything above 32767), so it gets its own codepage and, for
//! a name no ANSI codepage holds, a stand-in ([`summary_info`]).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::config::{Config, PackageInfo, RecoveryAction, RelPath, StartType};
use crate::version::MsiVersion;

/// The file name of the main template, built-in and in a user's template directory.
pub const MAIN_TEMPLATE: &str = "main.wxs.hbs";

/// The id of the folder everything is installed into (public, so an administrator can set
/// it on the msiexec command line).
pub const INSTALL_FOLDER_ID: &str = "INSTALLFOLDER";

/// Windows-1252, the database codepage whenever every string fits.
pub const CODEPAGE_WINDOWS_1252: u16 = 1252;

/// UTF-8, for packages with text Windows-1252 cannot hold.
pub const CODEPAGE_UTF8: u16 = 65001;

/// The architectures a package can target, as WiX spells them.
pub const ARCHES: &[&str] = &["x86", "x64", "arm64"];

const BUILTIN: &[(&str, &str)] = &[(MAIN_TEMPLATE, include_str!("../../templates/main.wxs.hbs"))];

/// The built-in templates as `(file name, content)`, in the order `init` writes them.
pub fn builtin_templates() -> &'static [(&'static str, &'static str)] {
    BUILTIN
}

/// Why the WiX source could not be rendered or the templates not ejected.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// A template does not parse.
    #[error("template {template}: {source}")]
    Template {
        /// The user template's path, or `built-in main.wxs.hbs`.
        template: String,
        /// The handlebars parser's explanation, with line and column.
        #[source]
        source: Box<handlebars::TemplateError>,
    },
    /// Rendering failed, e.g. a variable the data does not have (strict mode).
    #[error("rendering {template}: {source}")]
    Render {
        /// The user template's path, or `built-in main.wxs.hbs`.
        template: String,
        /// Handlebars' explanation, with line and column.
        #[source]
        source: Box<handlebars::RenderError>,
    },
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// `eject` without `force` found a template already there.
    #[error(
        "{} already exists; edit it, or run `cargo svcpack init --force` to overwrite it with the built-in template",
        path.display()
    )]
    Exists {
        /// The existing file.
        path: PathBuf,
    },
    /// A path that goes into the WiX source is not valid Unicode.
    #[error("{what}: the path {} is not valid Unicode, which WiX sources cannot hold; rename it", path.display())]
    NonUnicodePath {
        /// What the path is (e.g. `license`).
        what: String,
        /// The path.
        path: PathBuf,
    },
    /// A string holds a character an XML document cannot carry.
    #[error("{what}: contains the character U+{code:04X}, which a WiX (XML) source cannot hold; remove it")]
    InvalidText {
        /// Where the string is in the template data, e.g. `service.description`.
        what: String,
        /// The offending code point.
        code: u32,
    },
    /// A value is valid configuration but beyond what the WiX authoring can express.
    #[error("{what}: {message}")]
    Unsupported {
        /// The setting, e.g. `service.recovery.delays-secs`.
        what: String,
        /// What is wrong and what is allowed.
        message: String,
    },
    /// The architecture is not one WiX knows.
    #[error("unknown architecture `{0}`; allowed: x86, x64, arm64")]
    Arch(String),
}

/// What the render stage needs: the validated configuration and the exe to package.
#[derive(Clone, Copy, Debug)]
pub struct RenderInput<'a> {
    /// The validated configuration; its `version` is the package's ProductVersion.
    pub config: &'a Config,
    /// The package identity (description, homepage, repository).
    pub package: &'a PackageInfo,
    /// The exe that goes into the package (the stamped, compressed, signed copy); it is
    /// installed as `<binary>.exe` whatever this file is called.
    pub exe_path: &'a Path,
    /// `x86`, `x64` or `arm64`.
    pub arch: &'a str,
    /// The MSI database codepage; [`RenderInput::new`] chooses it with [`database_codepage`].
    pub codepage: u16,
    /// The service host's files, for a hosted service. `None` (what [`RenderInput::new`]
    /// sets) names them by their installed file names, as `cargo svcpack render` shows.
    pub host: Option<HostFiles<'a>>,
    /// The stamped installer helper ([`crate::helper`]) for a service. `None` (what
    /// [`RenderInput::new`] sets) names it by its file name, as `cargo svcpack render` shows.
    pub helper: Option<&'a Path>,
}

/// The files svcpack's service host adds to a hosted service's package.
#[derive(Clone, Copy, Debug)]
pub struct HostFiles<'a> {
    /// The stamped host exe; installed as [`crate::host::HOST_EXE_NAME`].
    pub exe: &'a Path,
    /// Its configuration file ([`crate::host::config_file`]); installed as
    /// [`crate::host::CONF_NAME`].
    pub conf: &'a Path,
}

impl<'a> RenderInput<'a> {
    /// An input with the codepage [`database_codepage`] chooses.
    pub fn new(
        config: &'a Config,
        package: &'a PackageInfo,
        exe_path: &'a Path,
        arch: &'a str,
    ) -> Self {
        RenderInput {
            config,
            package,
            exe_path,
            arch,
            codepage: database_codepage(config, package),
            host: None,
            helper: None,
        }
    }
}

/// The user's copy of the main template in `templates_dir`, if there is one.
pub fn find_user_template(templates_dir: &Path) -> Option<PathBuf> {
    let path = templates_dir.join(MAIN_TEMPLATE);
    path.is_file().then_some(path)
}

/// Renders the WiX source: the user's `<templates_dir>/main.wxs.hbs` when it exists (a user
/// template wins over the built-in one), else the built-in template.
///
/// For a hosted service the output must install svcpack's service host: a user template
/// written before the host existed would register the program itself as the service,
/// which then never starts, so that is an error.
pub fn render(input: &RenderInput, templates_dir: Option<&Path>) -> Result<String, RenderError> {
    let user = templates_dir.and_then(find_user_template);
    let (name, text) = match user {
        Some(path) => {
            let text = std::fs::read_to_string(&path).map_err(|source| RenderError::Io {
                path: path.clone(),
                source,
            })?;
            let name = path.display().to_string();
            let out = render_template(input, &name, &text)?;
            (name, out)
        }
        None => {
            let name = format!("built-in {MAIN_TEMPLATE}");
            let out = render_template(input, &name, BUILTIN[0].1)?;
            (name, out)
        }
    };
    let hosted = input
        .config
        .service
        .as_ref()
        .is_some_and(|s| s.host.is_some());
    if hosted && !text.contains(crate::host::HOST_EXE_NAME) {
        return Err(RenderError::Unsupported {
            what: "service.host".into(),
            message: format!(
                "the template {name} does not install svcpack's service host ({}), which a hosted \
                 service runs; add the `host` parts of the built-in template to it (`cargo svcpack init \
                 --force` overwrites it with the built-in one)",
                crate::host::HOST_EXE_NAME
            ),
        });
    }
    Ok(text)
}

/// Renders `template` (named `name` in errors) with the data of `input`.
pub fn render_template(
    input: &RenderInput,
    name: &str,
    template: &str,
) -> Result<String, RenderError> {
    let data = template_data(input)?;
    let mut registry = handlebars::Handlebars::new();
    registry.set_strict_mode(true);
    registry.register_escape_fn(escape_xml);
    registry.register_helper("fmt", Box::new(fmt_helper));
    registry
        .register_template_string(name, template)
        .map_err(|source| RenderError::Template {
            template: name.to_string(),
            source: Box::new(source),
        })?;
    registry
        .render(name, &data)
        .map_err(|source| RenderError::Render {
            template: name.to_string(),
            source: Box::new(source),
        })
}

handlebars::handlebars_helper!(fmt_helper: |text: str| escape_formatted(text));

/// Writes the built-in templates into `dir` (created if missing) for editing and returns
/// their paths. Without `force` nothing is written when any of them already exists. Each
/// file is written to a temporary file beside it and renamed into place, so a reader never
/// sees half a template.
pub fn eject(dir: &Path, force: bool) -> Result<Vec<PathBuf>, RenderError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| RenderError::Io { path, source }
    };
    let targets: Vec<(PathBuf, &str)> = BUILTIN
        .iter()
        .map(|(name, text)| (dir.join(name), *text))
        .collect();
    if !force {
        // Checked for every file before writing any, so a refusal changes nothing.
        if let Some((path, _)) = targets.iter().find(|(p, _)| p.exists()) {
            return Err(RenderError::Exists { path: path.clone() });
        }
    }
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let mut written = Vec::new();
    for (path, text) in targets {
        let mut tmp = crate::output::artifact_tempfile(dir).map_err(io(dir))?;
        tmp.write_all(text.as_bytes()).map_err(io(tmp.path()))?;
        tmp.as_file().sync_all().map_err(io(tmp.path()))?;
        tmp.persist(&path).map_err(|e| RenderError::Io {
            path: path.clone(),
            source: e.error,
        })?;
        written.push(path);
    }
    Ok(written)
}

// ---------------------------------------------------------------------------------------
// Escaping

/// XML- and preprocessor-escapes text for an attribute value (see the module docs).
pub fn escape_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Attribute-value normalisation would turn these into spaces.
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            // `$$` is the WiX preprocessor's escape for `$` (it would expand `$(var.X)`).
            '$' => out.push_str("$$"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes text for a column of type Formatted so Windows Installer shows it literally:
/// `[`, `]`, `{` and `}` become `[\[]`, `[\]]`, `[\{]` and `[\}]`.
pub fn escape_formatted(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '[' | ']' | '{' | '}' => {
                out.push_str("[\\");
                out.push(c);
                out.push(']');
            }
            c => out.push(c),
        }
    }
    out
}

/// Joins arguments into one command line that `CommandLineToArgvW` (and the Microsoft C
/// runtime) split back into exactly these arguments.
///
/// An argument is quoted when it is empty or holds a space, tab, newline, vertical tab or
/// `"`; inside quotes, backslashes are doubled where they precede a `"` (or the closing
/// quote) and each `"` becomes `\"`. Backslashes elsewhere are literal, so
/// `C:\Program Files\x\` stays readable.
pub fn quote_windows_args<S: AsRef<str>>(args: &[S]) -> String {
    // The same quoting the portable zip's sc.exe command lines use, so the MSI and the
    // zip register identical ImagePaths.
    crate::portable::windows_command_line(args)
}

/// XML 1.0's `Char` production: what a document may contain, even as a reference.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Checks every string in the data, naming the first one XML cannot carry.
fn check_xml_text(value: &Value, path: &str) -> Result<(), RenderError> {
    match value {
        Value::String(s) => match s.chars().find(|c| !is_xml_char(*c)) {
            Some(c) => Err(RenderError::InvalidText {
                what: path.to_string(),
                code: u32::from(c),
            }),
            None => Ok(()),
        },
        Value::Array(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(n, v)| check_xml_text(v, &format!("{path}[{n}]"))),
        Value::Object(map) => map.iter().try_for_each(|(k, v)| {
            let p = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            check_xml_text(v, &p)
        }),
        _ => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------
// Codepage

/// The database codepage for these strings: Windows-1252 when every one fits, else UTF-8.
pub fn codepage_for<'s, I>(texts: I) -> u16
where
    I: IntoIterator<Item = &'s str>,
{
    let all_fit = texts.into_iter().all(|t| {
        let (_, _, unmappable) = encoding_rs::WINDOWS_1252.encode(t);
        !unmappable
    });
    if all_fit {
        CODEPAGE_WINDOWS_1252
    } else {
        CODEPAGE_UTF8
    }
}

/// The database codepage for a package: Windows-1252 when every string that goes into its
/// MSI fits, else UTF-8 (see [`codepage_for`]).
pub fn database_codepage(config: &Config, package: &PackageInfo) -> u16 {
    let mut texts: Vec<String> = vec![
        config.product_name.clone(),
        config.manufacturer.clone(),
        config.exe_name(),
        config.version.full(),
    ];
    texts.extend(config.install_dir.segments().iter().cloned());
    for f in &config.files {
        texts.extend(f.dest.segments().iter().cloned());
    }
    if let Some(name) = config.license.as_deref().and_then(Path::file_name) {
        texts.push(name.to_string_lossy().into_owned());
    }
    texts.extend(
        [&package.description, &package.homepage, &package.repository]
            .into_iter()
            .flatten()
            .cloned(),
    );
    if let Some(s) = &config.service {
        texts.push(s.name.as_str().to_string());
        texts.push(s.display_name.clone());
        texts.push(s.account.object_name(&s.name));
        texts.push(quote_windows_args(&s.arguments));
        texts.extend(s.description.iter().cloned());
        texts.extend(s.dependencies.iter().cloned());
        texts.extend(s.recovery.command.iter().cloned());
        if let Some(h) = &s.host {
            texts.extend(h.log_dir.segments().iter().cloned());
            texts.extend(h.working_dir.segments().iter().cloned());
        }
    }
    codepage_for(texts.iter().map(String::as_str))
}

/// The ANSI codepages summary information may use, in the order they are tried.
const ANSI_CODEPAGES: &[(u16, &encoding_rs::Encoding)] = &[
    (1252, encoding_rs::WINDOWS_1252),
    (1250, encoding_rs::WINDOWS_1250),
    (1251, encoding_rs::WINDOWS_1251),
    (1253, encoding_rs::WINDOWS_1253),
    (1254, encoding_rs::WINDOWS_1254),
    (1255, encoding_rs::WINDOWS_1255),
    (1256, encoding_rs::WINDOWS_1256),
    (1257, encoding_rs::WINDOWS_1257),
    (1258, encoding_rs::WINDOWS_1258),
    (932, encoding_rs::SHIFT_JIS),
    (936, encoding_rs::GBK),
    (949, encoding_rs::EUC_KR),
    (950, encoding_rs::BIG5),
];

/// The first ANSI codepage (Windows-1252 first) that holds every one of these strings.
pub fn ansi_codepage_for(texts: &[&str]) -> Option<u16> {
    ANSI_CODEPAGES
        .iter()
        .find(|(_, encoding)| {
            texts.iter().all(|t| {
                let (_, _, unmappable) = encoding.encode(t);
                !unmappable
            })
        })
        .map(|(id, _)| *id)
}

/// What the summary information stream says (Explorer's file properties): its codepage,
/// Subject and Author.
///
/// Summary information can only hold text in an ANSI codepage: WiX refuses codepages above
/// 32767 there because Windows Installer reads the value as an unsigned short and then
/// fails to open the package. So the product name and manufacturer go there in the first
/// ANSI codepage that holds them; a name that no ANSI codepage holds is replaced there
/// (and only there) by the package name, never by question marks. The database keeps the
/// full text either way.
pub fn summary_info(config: &Config, package: &PackageInfo) -> SummaryInfo {
    let product = config.product_name.as_str();
    let manufacturer = config.manufacturer.as_str();
    let fallback = if ansi_codepage_for(&[&package.name]).is_some() {
        package.name.as_str()
    } else {
        "Windows Installer package"
    };
    let candidates = [
        (product, manufacturer),
        (fallback, manufacturer),
        (product, fallback),
        (fallback, fallback),
    ];
    for (subject, author) in candidates {
        if let Some(codepage) = ansi_codepage_for(&[subject, author]) {
            return SummaryInfo {
                codepage,
                subject: subject.to_string(),
                author: author.to_string(),
            };
        }
    }
    SummaryInfo {
        codepage: CODEPAGE_WINDOWS_1252,
        subject: "Windows Installer package".into(),
        author: "Windows Installer package".into(),
    }
}

/// The summary information's codepage and text (see [`summary_info`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SummaryInfo {
    /// An ANSI codepage.
    pub codepage: u16,
    /// The product name, or its stand-in.
    pub subject: String,
    /// The manufacturer, or its stand-in.
    pub author: String,
}

// ---------------------------------------------------------------------------------------
// Template data

/// Everything a template sees; the module doc of the built-in template lists it.
#[derive(Serialize)]
struct Data {
    svcpack_version: &'static str,
    arch: String,
    product: Product,
    install_dir: InstallDir,
    directories: Vec<Directory>,
    exe: FileRef,
    license: Option<FileRef>,
    icon: Option<Source>,
    files: Vec<ExtraFile>,
    service: Option<ServiceData>,
    host: Option<HostInstall>,
    helper: Option<HelperData>,
}

/// The installer helper the MSI carries in its Binary table and its command lines.
#[derive(Serialize)]
struct HelperData {
    source: String,
    configure: String,
    stop: String,
}

#[derive(Serialize)]
struct Product {
    name: String,
    manufacturer: String,
    version: String,
    full_version: String,
    upgrade_code: String,
    product_code: String,
    codepage: u16,
    summary: SummaryInfo,
    description: Option<String>,
    homepage: Option<String>,
    repository: Option<String>,
}

#[derive(Serialize)]
struct InstallDir {
    name: String,
    parents: Vec<NamedDir>,
    parents_component_guid: Option<String>,
}

#[derive(Serialize)]
struct NamedDir {
    id: String,
    name: String,
}

#[derive(Serialize)]
struct Directory {
    id: String,
    name: String,
    parent: String,
}

#[derive(Serialize)]
struct FileRef {
    name: String,
    source: String,
}

#[derive(Serialize)]
struct Source {
    source: String,
}

#[derive(Serialize)]
struct ExtraFile {
    component_id: String,
    file_id: String,
    directory_id: String,
    name: String,
    source: String,
    preserve_on_upgrade: bool,
}

#[derive(Serialize)]
struct ServiceData {
    name: String,
    display_name: String,
    description: Option<String>,
    account: String,
    start: &'static str,
    start_type: &'static str,
    delayed_auto_start: Option<&'static str>,
    arguments: Vec<String>,
    command_line: String,
    dependencies: Vec<Dependency>,
    event_source: bool,
    recovery: Option<RecoveryData>,
    non_crash_failures: bool,
    sid_type: &'static str,
    required_privileges: Vec<String>,
    preshutdown_timeout_secs: Option<u32>,
    hosted: bool,
    host: Option<HostData>,
}

#[derive(Serialize)]
struct Dependency {
    name: String,
    group: bool,
}

#[derive(Serialize)]
struct RecoveryData {
    reset_period_secs: u32,
    command: Option<String>,
    failures: Vec<Failure>,
}

#[derive(Serialize)]
struct Failure {
    action: &'static str,
    delay_ms: u64,
}

#[derive(Serialize)]
struct HostData {
    stop_timeout_secs: u32,
    restart_delay_secs: u32,
    max_restarts_per_hour: u32,
    log_dir: String,
    log_max_bytes: u64,
    log_keep: u32,
    working_dir: String,
    environment: BTreeMap<String, String>,
}

/// What the package installs for svcpack's service host.
#[derive(Serialize)]
struct HostInstall {
    exe: FileRef,
    conf: FileRef,
    log_dir: HostFolder,
    working_dir: Option<HostFolder>,
    service_sid: Option<&'static str>,
}

/// A folder the package creates for the host.
#[derive(Serialize)]
struct HostFolder {
    id: String,
    path: String,
    component_guid: String,
    sddl: Option<String>,
    /// Files the host writes there, removed on uninstall.
    files: Vec<RemovedFile>,
}

#[derive(Serialize)]
struct RemovedFile {
    id: String,
    name: String,
}

/// WiX reads Failure/@Delay and ResetPeriod as signed 32-bit integers.
const WIX_INT_MAX: u64 = i32::MAX as u64;

/// The data the templates are rendered with, as JSON (also what a user template sees).
pub fn template_data(input: &RenderInput) -> Result<Value, RenderError> {
    if !ARCHES.contains(&input.arch) {
        return Err(RenderError::Arch(input.arch.to_string()));
    }
    let config = input.config;
    let package = input.package;

    let segments = config.install_dir.segments();
    let (install_name, parent_names) = match segments.split_last() {
        Some((last, parents)) => (last.clone(), parents),
        None => {
            return Err(RenderError::Unsupported {
                what: "install-dir".into(),
                message: "names no folder; allowed: a relative path inside Program Files".into(),
            })
        }
    };
    let parents = parent_names
        .iter()
        .enumerate()
        .map(|(n, name)| NamedDir {
            id: format!("InstallParent{n}"),
            name: name.clone(),
        })
        .collect();

    let host_settings = config.service.as_ref().and_then(|s| s.host.as_ref());
    let mut host_dirs: Vec<&RelPath> = Vec::new();
    if let Some(h) = host_settings {
        if h.log_dir.is_root() {
            return Err(RenderError::Unsupported {
                what: "service.host.log-dir".into(),
                message:
                    "is the install directory itself, which the service account would then be \
                          able to write; allowed: a folder inside it, e.g. `logs`"
                        .into(),
            });
        }
        host_dirs.push(&h.log_dir);
        if !h.working_dir.is_root() {
            host_dirs.push(&h.working_dir);
        }
    }
    let (directories, files) = extra_files(config, &host_dirs)?;
    let host = match (&config.service, host_settings) {
        (Some(service), Some(h)) => Some(host_install(input, service, h)?),
        _ => None,
    };

    let license = match &config.license {
        Some(path) => Some(FileRef {
            name: file_name(path, "license")?,
            source: path_text(path, "license")?,
        }),
        None => None,
    };
    if let Some(l) = &license {
        // The license is installed next to the exe; a sub-folder of that name would clash.
        if let Some(d) = directories.iter().find(|d| {
            d.parent == INSTALL_FOLDER_ID && d.name.to_lowercase() == l.name.to_lowercase()
        }) {
            return Err(RenderError::Unsupported {
                what: "license".into(),
                message: format!(
                    "the license file `{}` has the name of the folder `{}` an extra file is installed into; rename one of them",
                    l.name, d.name
                ),
            });
        }
    }
    let icon = match &config.icon {
        Some(path) => Some(Source {
            source: path_text(path, "icon")?,
        }),
        None => None,
    };

    let data = Data {
        svcpack_version: env!("CARGO_PKG_VERSION"),
        arch: input.arch.to_string(),
        product: Product {
            name: config.product_name.clone(),
            manufacturer: config.manufacturer.clone(),
            version: config.version.product_version(),
            full_version: config.version.full(),
            upgrade_code: config.upgrade_code.as_str().to_string(),
            product_code: product_code(config, input.arch),
            codepage: input.codepage,
            summary: summary_info(config, package),
            description: non_empty(&package.description),
            homepage: non_empty(&package.homepage),
            repository: non_empty(&package.repository),
        },
        install_dir: InstallDir {
            name: install_name,
            parents_component_guid: (!parent_names.is_empty())
                .then(|| parents_component_guid(config)),
            parents,
        },
        directories,
        exe: FileRef {
            name: config.exe_name(),
            source: path_text(input.exe_path, "exe")?,
        },
        license,
        icon,
        files,
        service: config.service.as_ref().map(service_data).transpose()?,
        host,
        helper: match &config.service {
            Some(service) => Some(HelperData {
                source: match input.helper {
                    Some(p) => path_text(p, "installer helper")?,
                    None => crate::helper::HELPER_EXE_NAME.to_string(),
                },
                configure: crate::helper::command_line(&crate::helper::configure_request(service)),
                stop: crate::helper::command_line(&crate::helper::stop_request(service)),
            }),
            None => None,
        },
    };
    let value = serde_json::to_value(&data).map_err(|e| RenderError::Unsupported {
        what: "template data".into(),
        message: e.to_string(),
    })?;
    check_xml_text(&value, "")?;
    Ok(value)
}

/// The ProductCode of a build: a UUIDv5 of the upgrade code, the full semver string and the
/// architecture.
///
/// Windows Installer sees only `MAJOR.MINOR.PATCH`, so `2.0.0-beta.1` and `2.0.0` share a
/// ProductVersion; they must not share a ProductCode, or installing the release over the
/// pre-release fails with "another version of this product is already installed" instead
/// of upgrading it. The same inputs always give the same code (reproducible builds).
pub fn product_code(config: &Config, arch: &str) -> String {
    let namespace = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, b"urn:svcpack:product-code");
    let name = format!(
        "{}|{}|{arch}",
        config.upgrade_code.as_str(),
        config.version.full()
    );
    crate::config::Guid::from_uuid(uuid::Uuid::new_v5(&namespace, name.as_bytes()))
        .as_str()
        .to_string()
}

/// The GUID of the component that owns the folders enclosing the install folder.
///
/// Its key path is a folder, for which WiX derives no GUID. It must stay the same in every
/// version (upgrades install over the old version, see the template), so it is derived
/// from what identifies the product and the folders: a UUIDv5 of the upgrade code and the
/// install path as Windows compares it.
fn parents_component_guid(config: &Config) -> String {
    let namespace = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, b"urn:svcpack:install-parents");
    let name = format!(
        "{}\\{}",
        config.upgrade_code.as_str(),
        fold(config.install_dir.segments())
    );
    crate::config::Guid::from_uuid(uuid::Uuid::new_v5(&namespace, name.as_bytes()))
        .as_str()
        .to_string()
}

fn non_empty(text: &Option<String>) -> Option<String> {
    text.as_ref().filter(|t| !t.trim().is_empty()).cloned()
}

fn path_text(path: &Path, what: &str) -> Result<String, RenderError> {
    path.to_str()
        .map(str::to_string)
        .ok_or_else(|| RenderError::NonUnicodePath {
            what: what.to_string(),
            path: path.to_path_buf(),
        })
}

fn file_name(path: &Path, what: &str) -> Result<String, RenderError> {
    let name = path.file_name().ok_or_else(|| RenderError::Unsupported {
        what: what.to_string(),
        message: format!("{} has no file name", path.display()),
    })?;
    name.to_str()
        .map(str::to_string)
        .ok_or_else(|| RenderError::NonUnicodePath {
            what: what.to_string(),
            path: path.to_path_buf(),
        })
}

/// A short stable id suffix for a path inside the install folder: the same path (in any
/// case, as Windows compares them) gives the same id in every version of the package.
fn path_hash(folded: &str) -> String {
    let digest = Sha256::digest(folded.as_bytes());
    let mut hex = String::with_capacity(16);
    for b in &digest[..8] {
        // Writing to a String cannot fail.
        let _ = write!(hex, "{b:02x}");
    }
    hex
}

fn fold(segments: &[String]) -> String {
    segments.join("\\").to_lowercase()
}

/// The sub-folders (parents first) and components of the configured extra files; the
/// sub-folders also hold `folders` (the service host's log and working folders).
fn extra_files(
    config: &Config,
    folders: &[&RelPath],
) -> Result<(Vec<Directory>, Vec<ExtraFile>), RenderError> {
    // Keyed by the folded path, so `Conf/a` and `conf/b` share one folder, as on Windows;
    // sorted, so a folder always comes after its parent.
    let mut dirs: BTreeMap<String, Directory> = BTreeMap::new();
    let mut files = Vec::new();
    let mut file_paths: BTreeMap<String, String> = BTreeMap::new();
    for folder in folders {
        add_folders(&mut dirs, folder.segments());
    }
    for entry in &config.files {
        let segments = entry.dest.segments();
        let Some((name, dir_segments)) = segments.split_last() else {
            return Err(RenderError::Unsupported {
                what: "files.dest".into(),
                message: "names no file; allowed: a relative path inside the install directory"
                    .into(),
            });
        };
        let parent = add_folders(&mut dirs, dir_segments);
        let folded = fold(segments);
        let hash = path_hash(&folded);
        file_paths.insert(folded, entry.dest.to_windows());
        files.push(ExtraFile {
            component_id: format!("Extra_{hash}"),
            file_id: format!("ExtraFile_{hash}"),
            directory_id: parent,
            name: name.clone(),
            source: path_text(&entry.source, "files.source")?,
            preserve_on_upgrade: entry.preserve_on_upgrade,
        });
    }
    let exe = config.exe_name().to_lowercase();
    for (folded, dir) in &dirs {
        if let Some(file) = file_paths.get(folded) {
            return Err(RenderError::Unsupported {
                what: "files.dest".into(),
                message: format!(
                    "`{file}` is both a file and the folder of another file's dest (or of the service \
                     host's log-dir or working-dir); allowed: distinct paths"
                ),
            });
        }
        if *folded == exe {
            return Err(RenderError::Unsupported {
                what: "files.dest".into(),
                message: format!(
                    "the folder `{}` has the name of the program {}; allowed: another folder name",
                    dir.name,
                    config.exe_name()
                ),
            });
        }
    }
    if config.service.as_ref().is_some_and(|s| s.host.is_some()) {
        for reserved in [crate::host::HOST_EXE_NAME, crate::host::CONF_NAME] {
            let taken =
                exe == reserved || file_paths.contains_key(reserved) || dirs.contains_key(reserved);
            if taken {
                return Err(RenderError::Unsupported {
                    what: "service.host".into(),
                    message: format!(
                        "the service host installs `{reserved}` into the install directory, and the program, \
                         an extra file or a folder has that name; allowed: another name"
                    ),
                });
            }
        }
    }
    Ok((dirs.into_values().collect(), files))
}

/// Adds the folder `segments` (and its parents) to `dirs`; returns the folder's id.
fn add_folders(dirs: &mut BTreeMap<String, Directory>, segments: &[String]) -> String {
    let mut parent = INSTALL_FOLDER_ID.to_string();
    for depth in 1..=segments.len() {
        let folded = fold(&segments[..depth]);
        let dir = dirs.entry(folded.clone()).or_insert_with(|| Directory {
            id: format!("Dir_{}", path_hash(&folded)),
            name: segments[depth - 1].clone(),
            parent: parent.clone(),
        });
        parent = dir.id.clone();
    }
    parent
}

/// The service host's files and folders (`host` in the template data).
fn host_install(
    input: &RenderInput,
    service: &crate::config::Service,
    host: &crate::config::Host,
) -> Result<HostInstall, RenderError> {
    let source = |path: Option<&Path>, name: &str, what: &str| -> Result<String, RenderError> {
        match path {
            Some(p) => path_text(p, what),
            None => Ok(name.to_string()),
        }
    };
    let exe = FileRef {
        name: crate::host::HOST_EXE_NAME.into(),
        source: source(
            input.host.map(|h| h.exe),
            crate::host::HOST_EXE_NAME,
            "service host",
        )?,
    };
    let conf = FileRef {
        name: crate::host::CONF_NAME.into(),
        source: source(
            input.host.map(|h| h.conf),
            crate::host::CONF_NAME,
            "service host configuration",
        )?,
    };
    let acl = crate::host::log_dir_acl(&service.account, &service.name);
    let folder = |path: &RelPath, sddl: Option<String>, files: Vec<String>| {
        let folded = fold(path.segments());
        HostFolder {
            id: format!("Dir_{}", path_hash(&folded)),
            path: path.to_windows(),
            component_guid: host_folder_guid(input.config, &folded),
            sddl,
            files: files
                .into_iter()
                .enumerate()
                .map(|(n, name)| RemovedFile {
                    id: format!("RemoveHostLog{n}"),
                    name,
                })
                .collect(),
        }
    };
    let log_files = crate::host::log_files(&input.config.exe_name(), host.log_keep);
    let log_dir = folder(&host.log_dir, Some(acl.sddl), log_files);
    // The working folder is created too, unless it is the install folder or the log
    // folder (which the log folder's component creates).
    let working_dir = (!host.working_dir.is_root()
        && fold(host.working_dir.segments()) != fold(host.log_dir.segments()))
    .then(|| folder(&host.working_dir, None, Vec::new()));
    Ok(HostInstall {
        exe,
        conf,
        log_dir,
        working_dir,
        service_sid: acl.unrestricted_service_sid.then_some("unrestricted"),
    })
}

/// The GUID of the component that creates a host folder (its key path is the folder, for
/// which WiX derives no GUID): a UUIDv5 of the upgrade code and the folded path, so it is
/// the same in every version.
fn host_folder_guid(config: &Config, folded: &str) -> String {
    let namespace = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, b"urn:svcpack:host-folder");
    let name = format!("{}\\{folded}", config.upgrade_code.as_str());
    crate::config::Guid::from_uuid(uuid::Uuid::new_v5(&namespace, name.as_bytes()))
        .as_str()
        .to_string()
}

fn service_data(service: &crate::config::Service) -> Result<ServiceData, RenderError> {
    let (start, delayed_auto_start) = match service.start {
        StartType::Auto => ("auto", Some("no")),
        StartType::Delayed => ("auto", Some("yes")),
        StartType::Demand => ("demand", None),
        StartType::Disabled => ("disabled", None),
    };
    let dependencies = service
        .dependencies
        .iter()
        .map(|d| match d.strip_prefix('+') {
            Some(group) => Dependency {
                name: group.to_string(),
                group: true,
            },
            None => Dependency {
                name: d.clone(),
                group: false,
            },
        })
        .collect();
    let recovery = &service.recovery;
    let recovery = if recovery.steps.is_empty() {
        None
    } else {
        if u64::from(recovery.reset_after_secs) > WIX_INT_MAX {
            return Err(RenderError::Unsupported {
                what: "service.recovery.reset-after-secs".into(),
                message: format!(
                    "{} is more than WiX accepts; allowed: at most {WIX_INT_MAX}",
                    recovery.reset_after_secs
                ),
            });
        }
        let mut failures = Vec::new();
        for step in &recovery.steps {
            let delay_ms = u64::from(step.delay_secs) * 1000;
            if delay_ms > WIX_INT_MAX {
                return Err(RenderError::Unsupported {
                    what: "service.recovery.delays-secs".into(),
                    message: format!(
                        "{} seconds is more than WiX accepts; allowed: at most {} seconds",
                        step.delay_secs,
                        WIX_INT_MAX / 1000
                    ),
                });
            }
            failures.push(Failure {
                action: match step.action {
                    RecoveryAction::Restart => "restartService",
                    RecoveryAction::Reboot => "restartComputer",
                    RecoveryAction::Run => "runCommand",
                    RecoveryAction::None => "none",
                },
                delay_ms,
            });
        }
        // Only a `run` step uses the command; setting it otherwise would change the
        // service manager's stored command for nothing.
        let runs = recovery
            .steps
            .iter()
            .any(|s| s.action == RecoveryAction::Run);
        Some(RecoveryData {
            reset_period_secs: recovery.reset_after_secs,
            command: recovery.command.clone().filter(|_| runs),
            failures,
        })
    };
    let host = service.host.as_ref().map(|h| HostData {
        stop_timeout_secs: h.stop_timeout_secs,
        restart_delay_secs: h.restart_delay_secs,
        max_restarts_per_hour: h.max_restarts_per_hour,
        log_dir: h.log_dir.to_windows(),
        log_max_bytes: h.log_max_bytes,
        log_keep: h.log_keep,
        working_dir: h.working_dir.to_windows(),
        environment: h.environment.clone(),
    });
    Ok(ServiceData {
        name: service.name.as_str().to_string(),
        display_name: service.display_name.clone(),
        description: non_empty(&service.description),
        account: service.account.object_name(&service.name),
        start,
        start_type: service.start.as_str(),
        delayed_auto_start,
        arguments: service.arguments.clone(),
        command_line: quote_windows_args(&service.arguments),
        dependencies,
        event_source: service.event_source,
        recovery,
        non_crash_failures: service.recovery.non_crash_failures,
        sid_type: service.sid_type.as_str(),
        required_privileges: service.required_privileges.clone(),
        preshutdown_timeout_secs: service.preshutdown_timeout_secs,
        hosted: host.is_some(),
        host,
    })
}

// ---------------------------------------------------------------------------------------
// cargo-wix compatibility

/// What cargo-wix's preprocessor variables are made of.
#[derive(Clone, Copy, Debug)]
pub struct CargoWixInput<'a> {
    /// The package version (`Version` is its MSI ProductVersion).
    pub version: &'a MsiVersion,
    /// `x86`, `x64` or `arm64` (`Platform`).
    pub arch: &'a str,
    /// The rustc target triple, e.g. `x86_64-pc-windows-msvc`.
    pub target_triple: &'a str,
    /// The cargo profile name (`release`, `dev`, or a custom one).
    pub profile: &'a str,
    /// Cargo's target directory (`target`).
    pub target_dir: &'a Path,
    /// The directory holding `<binary>.exe` as it should be packaged. svcpack points it at
    /// its stamped (and signed) copy so `$(var.CargoTargetBinDir)\<binary>.exe` packages
    /// that; [`cargo_target_bin_dir`] gives cargo's own directory.
    pub bin_dir: &'a Path,
}

/// Cargo's output directory for a profile, as cargo-wix computes `CargoTargetBinDir`:
/// `<target-dir>[/<triple>]/<profile dir>`, where `dev` and `test` build into `debug`,
/// `release` and `bench` into `release`, and custom profiles into their own name.
pub fn cargo_target_bin_dir(target_dir: &Path, triple: Option<&str>, profile: &str) -> PathBuf {
    let mut dir = target_dir.to_path_buf();
    if let Some(t) = triple {
        dir.push(t);
    }
    dir.push(match profile {
        "dev" | "test" => "debug",
        "release" | "bench" => "release",
        other => other,
    });
    dir
}

/// The `-d NAME=VALUE` variables cargo-wix passes to the WiX compiler, for a project that
/// brings its own `wix/main.wxs`: `Version`, `Platform`, `Profile`, `CargoProfile`,
/// `TargetTriple`, `TargetEnv`, `TargetVendor` (when the triple has one), `CargoTargetDir`
/// and `CargoTargetBinDir` (names and values as in cargo-wix's `create.rs`). `Version` is
/// svcpack's ProductVersion `MAJOR.MINOR.PATCH`, where cargo-wix would append a number
/// taken from a pre-release.
pub fn cargo_wix_defines(input: &CargoWixInput) -> Result<BTreeMap<String, String>, RenderError> {
    if !ARCHES.contains(&input.arch) {
        return Err(RenderError::Arch(input.arch.to_string()));
    }
    let mut defines = BTreeMap::new();
    let mut put = |k: &str, v: String| {
        defines.insert(k.to_string(), v);
    };
    put("Version", input.version.product_version());
    put("Platform", input.arch.to_string());
    put("Profile", input.profile.to_string());
    put("CargoProfile", input.profile.to_string());
    put("TargetTriple", input.target_triple.to_string());
    let (vendor, env) = triple_vendor_env(input.target_triple);
    put("TargetEnv", env.to_string());
    if let Some(v) = vendor {
        put("TargetVendor", v.to_string());
    }
    put(
        "CargoTargetDir",
        path_text(input.target_dir, "CargoTargetDir")?,
    );
    put(
        "CargoTargetBinDir",
        path_text(input.bin_dir, "CargoTargetBinDir")?,
    );
    Ok(defines)
}

/// rustc's `target_vendor` and `target_env` of a triple `arch-vendor-os[-env]`.
fn triple_vendor_env(triple: &str) -> (Option<&str>, &str) {
    let parts: Vec<&str> = triple.split('-').collect();
    let (vendor, env) = match parts.as_slice() {
        [_, vendor, _, env, ..] => (Some(*vendor), *env),
        [_, _, env] if *env == "msvc" || env.starts_with("gnu") => (None, *env),
        _ => (None, ""),
    };
    // `*-gnullvm` targets are target_env "gnu" (with target_abi "llvm").
    let env = if env.starts_with("gnu") { "gnu" } else { env };
    (vendor, env)
}

#[cfg(test)]
mod tests;
