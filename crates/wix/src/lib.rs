//! The native WiX compiler: WiX v3 and v4 sources in, a deterministic MSI out, on any OS.
//!
//! Pipeline: [`preprocess`] (processing instructions, variables) → [`xml`] (element tree
//! with `file:line`) → [`parse`] (elements → sections of the [`model`]) → [`link`]
//! (resolve references, fragments, features) → [`lower`] (tables, cabinets, GUIDs,
//! sequences) → [`write`] (compound file, written atomically).
//!
//! [`compile`] runs all of it; [`inspect`] reads an MSI back for `cargo svcpack inspect`.
//! Every user error is a [`WixError`] with a location; nothing here panics on bad input.

pub mod access;
pub mod advertise;
pub mod bind;
pub mod cab;
pub mod custom_table;
pub mod error;
pub mod guid;
pub mod inspect;
pub mod link;
pub mod loc;
pub mod lower;
pub mod model;
pub mod msidb;
pub mod parse;
pub mod preprocess;
pub mod sequence;
pub mod shortname;
pub mod standard_directory;
pub mod stream;
pub mod tables;
pub mod validate;
pub mod write;
pub mod xml;

#[cfg(test)]
mod test_support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use error::{Location, Result, Warning, WixError};

// The README's example compiles (as a doctest).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeExample;

/// Everything a compilation needs besides the sources.
#[derive(Clone, Debug)]
pub struct CompileOptions {
    /// "x86", "x64" or "arm64".
    pub arch: String,
    /// `-D NAME[=VALUE]` preprocessor variables.
    pub defines: BTreeMap<String, String>,
    /// `-I DIR` include directories.
    pub include_dirs: Vec<PathBuf>,
    /// The directory relative paths are taken from, as WiX takes them from the process's
    /// current directory: source files, `<?include?>`, and relative `File/@Source` (tried
    /// before the bind paths).
    pub current_dir: PathBuf,
    /// `-b [NAME=]DIR` bind paths, in order: where a relative `Source` not found from
    /// `current_dir` is looked up (unnamed ones), and what `!(bindpath.NAME)` names.
    pub bind_paths: Vec<BindPath>,
    /// Environment for `$(env.X)`.
    pub env: BTreeMap<String, String>,
    /// Unix seconds used for every timestamp in the output (SOURCE_DATE_EPOCH).
    pub timestamp: u64,
    /// Compression threads (0 = all cores).
    pub threads: usize,
    /// `-loc FILE`: localization (.wxl) files, whose strings `!(loc.X)` refers to.
    pub loc_files: Vec<PathBuf>,
    /// `-culture C`: the cultures whose strings are used, in fallback order.
    pub cultures: Vec<String>,
    /// `-bindvariable NAME=VALUE`: `!(wix.NAME)` values that win over WixVariable.
    pub bind_variables: BTreeMap<String, String>,
    /// `-bcgg`: generate `Guid="*"` component GUIDs with WiX v3's algorithm, so packages
    /// built from v4+ sources keep the component codes their v3 builds had.
    pub backward_compatible_guids: bool,
    /// The program that implements extension elements WiX implements with its own
    /// custom-action DLLs (`firewall:FirewallException`); `None`: they are an error.
    pub actions: Option<ActionProvider>,
}

/// Makes (or finds) the action provider's program.
pub type HelperSource = std::sync::Arc<
    dyn Fn() -> std::result::Result<PathBuf, String> + Send + Sync + std::panic::RefUnwindSafe,
>;
/// Turns firewall rules into the action provider's arguments.
pub type FirewallArgs = std::sync::Arc<
    dyn Fn(&[parse::firewall::FirewallRule]) -> String + Send + Sync + std::panic::RefUnwindSafe,
>;

/// A program carried in the Binary table that runs as deferred custom actions, and how
/// to ask it for firewall rules: the compiler does not know the program, only these.
#[derive(Clone)]
pub struct ActionProvider {
    /// The program's file, made on first use (its error is reported at the element).
    pub helper: HelperSource,
    /// The rules as the program's arguments, an MSI formatted string.
    pub firewall_rules: FirewallArgs,
    /// The first argument that adds rules (the rules' arguments follow).
    pub add_verb: &'static str,
    /// The first argument that removes rules.
    pub remove_verb: &'static str,
}

impl std::fmt::Debug for ActionProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActionProvider")
            .field("add_verb", &self.add_verb)
            .field("remove_verb", &self.remove_verb)
            .finish_non_exhaustive()
    }
}

impl CompileOptions {
    /// Options for `arch`, with the process environment, the current directory and
    /// [`build_timestamp`].
    pub fn new(arch: &str) -> CompileOptions {
        CompileOptions {
            arch: arch.to_string(),
            defines: BTreeMap::new(),
            include_dirs: Vec::new(),
            current_dir: std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
            bind_paths: Vec::new(),
            env: std::env::vars().collect(),
            timestamp: build_timestamp(),
            threads: 0,
            loc_files: Vec::new(),
            cultures: Vec::new(),
            bind_variables: BTreeMap::new(),
            backward_compatible_guids: false,
            actions: None,
        }
    }
}

/// One `-b`/`-bindpath` value: a directory files are searched in, optionally named so
/// sources can point into it with `!(bindpath.NAME)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BindPath {
    pub name: Option<String>,
    pub path: PathBuf,
}

impl BindPath {
    /// Parses `DIR` or `NAME=DIR` as WiX's command line does (a `=` after at least one
    /// character names the path).
    pub fn parse(value: &str) -> BindPath {
        match value.split_once('=') {
            Some((name, path)) if !name.is_empty() => BindPath {
                name: Some(name.to_string()),
                path: PathBuf::from(path),
            },
            _ => BindPath {
                name: None,
                path: PathBuf::from(value),
            },
        }
    }
}

/// `SOURCE_DATE_EPOCH`, when set to a valid number.
pub fn source_date_epoch() -> Option<u64> {
    std::env::var("SOURCE_DATE_EPOCH").ok()?.trim().parse().ok()
}

/// The time stamped into artifacts: `SOURCE_DATE_EPOCH` when set (reproducible builds),
/// else now, as WiX and every other packager do.
pub fn build_timestamp() -> u64 {
    source_date_epoch().unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    })
}

/// Architectures the compiler accepts.
pub const ARCHES: &[&str] = &["x86", "x64", "arm64"];

/// The result of a compilation.
#[derive(Debug)]
pub struct Compiled {
    pub database: lower::Database,
    pub warnings: Vec<Warning>,
    /// Size in bytes of the MSI written by [`compile_to_file`] (0 from [`compile`], which
    /// writes nothing).
    pub msi_len: u64,
}

/// Compiles WiX sources into a database ready to be written (nothing is written; see
/// [`compile_to_file`], which streams the MSI to disk, and [`write::to_bytes`]). On failure,
/// the warnings found before the error travel in [`WixError::warnings`].
pub fn compile(sources: &[PathBuf], opts: &CompileOptions) -> Result<Compiled> {
    let mut warnings = Vec::new();
    compile_collecting(sources, opts, &mut warnings)
        .map_err(|e| error::with_warnings(e, std::mem::take(&mut warnings)))
}

fn compile_collecting(
    sources: &[PathBuf],
    opts: &CompileOptions,
    warnings: &mut Vec<Warning>,
) -> Result<Compiled> {
    if !ARCHES.contains(&opts.arch.as_str()) {
        return Err(WixError::new(
            Location::file("<command line>"),
            format!(
                "unknown architecture `{}`; allowed: x86, x64, arm64",
                opts.arch
            ),
        ));
    }
    let pp_opts = preprocess::Options {
        defines: opts.defines.clone(),
        include_dirs: opts.include_dirs.clone(),
        arch: opts.arch.clone(),
        current_dir: opts.current_dir.clone(),
        env: opts.env.clone(),
    };
    let parse_opts = parse::ParseOptions {
        arch: opts.arch.clone(),
        current_dir: opts.current_dir.clone(),
        bind_paths: opts.bind_paths.clone(),
        actions: opts.actions.clone(),
    };
    let mut roots = Vec::new();
    let mut access_decls = Vec::new();
    for src in sources {
        let pp = preprocess::preprocess_file(src, &pp_opts)?;
        warnings.extend(pp.warnings.iter().cloned());
        let mut root = xml::parse_document(&pp)?;
        parse::extension::check_foreign(&root)?;
        access_decls.extend(access::strip_modifiers(&mut root));
        roots.push(root);
    }
    // `!(loc.X)` and `!(wix.X)` get their values before any element is interpreted.
    let localizations = loc::read_all(&opts.loc_files, &pp_opts)?;
    let (loc_strings, loc_codepage) = loc::select(&localizations, &opts.cultures);
    let mut variables = bind::Variables::new(loc_strings, bind::uses_wix_dialog_library(&roots));
    let mut wix = bind::collect_wix_variables(&roots, &opts.bind_variables)?;
    for v in wix.values_mut() {
        *v = variables.resolve(v, &Location::file("<WixVariable>"))?;
    }
    variables.wix = wix;
    let front = || -> Result<link::Linked> {
        let mut sections = Vec::new();
        for mut root in roots {
            variables.resolve_tree(&mut root)?;
            sections.extend(parse::parse_document(&root, &parse_opts, warnings)?);
        }
        // `Files` elements find their files once every source is parsed, as in WiX.
        parse::harvest::expand(&mut sections, &parse_opts, warnings)?;
        access::resolve(&mut sections, &access_decls)?;
        link::link(sections, &opts.arch)
    };
    let linked = front();
    let mut linked = variables.wixui_outcome(linked, sources)?;
    if let Some(cp) = loc_codepage
        .as_deref()
        .map(localization_codepage)
        .transpose()?
    {
        // The chosen localization's `Codepage` is the database's code page, over the
        // package's own (WiX: "the code page … for the resulting database"; -1 keeps it).
        if cp >= 0 {
            linked.package.codepage = Some(cp);
        }
    }
    advertise::resolve_primary_features(&mut linked)?;
    validate::check(&linked, warnings)?;
    // WiX's own localization supplies this string; a .wxl of the sources may override it.
    let downgrade_message = match variables.loc.get("WixDowngradePreventedMessage") {
        Some(m) => variables.resolve(m, &Location::file("<WixLocalization>"))?,
        None => "A newer version of [ProductName] is already installed.".into(),
    };
    let lower_opts = lower::LowerOptions {
        arch: opts.arch.clone(),
        timestamp: opts.timestamp,
        threads: opts.threads,
        creating_application: format!("svcpack {}", env!("CARGO_PKG_VERSION")),
        backward_compatible_guids: opts.backward_compatible_guids,
        downgrade_message,
    };
    let mut database = lower::lower(linked, &lower_opts)?;
    bind::finish(&mut database)?;
    warnings.extend(database.warnings.iter().cloned());
    Ok(Compiled {
        database,
        warnings: std::mem::take(warnings),
        msi_len: 0,
    })
}

/// `WixLocalization/@Codepage`: a code page number, `-1` (leave the database's alone) or
/// one of the web names WiX sources use.
fn localization_codepage(v: &str) -> Result<i32> {
    match v.trim().to_ascii_lowercase().as_str() {
        "utf-8" | "utf8" => Ok(65001),
        "windows-1252" => Ok(1252),
        s => s.parse::<i32>().ok().filter(|c| *c >= -1).ok_or_else(|| {
            WixError::new(
                Location::file("<WixLocalization>"),
                format!("WixLocalization: `Codepage` is `{v}`; expected a code page number such as 1252 or 65001"),
            )
        }),
    }
}

/// Compiles and writes `out` (plus any external cabinets or uncompressed files beside it)
/// atomically: on error nothing is left behind.
pub fn compile_to_file(sources: &[PathBuf], out: &Path, opts: &CompileOptions) -> Result<Compiled> {
    let mut compiled = compile(sources, opts)?;
    compiled.msi_len = write::write_outputs(&compiled.database, out)
        .map_err(|e| error::with_warnings(e, compiled.warnings.clone()))?;
    Ok(compiled)
}

#[cfg(test)]
mod tests {
    use super::*;

    const V4: &str = "http://wixtoolset.org/schemas/v4/wxs";

    fn package(body: &str) -> String {
        format!(
            r#"<Wix xmlns="{V4}"><Package Name="T" Manufacturer="M" Version="1.0" UpgradeCode="9D1B8F0C-6E2A-4B57-8C33-0F4E5A6B7C82">
{body}</Package></Wix>"#
        )
    }

    #[test]
    fn the_localization_codepage_is_the_database_codepage() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("t.wxs");
        std::fs::write(
            &src,
            package("<Property Id=\"GREETING\" Value=\"!(loc.Greeting)\" />"),
        )
        .unwrap();
        let wxl = dir.path().join("ru-ru.wxl");
        std::fs::write(
            &wxl,
            "<WixLocalization xmlns=\"http://wixtoolset.org/schemas/v4/wxl\" Culture=\"ru-RU\" Codepage=\"1251\">\n\
             <String Id=\"Greeting\" Value=\"\u{41f}\u{440}\u{438}\u{432}\u{435}\u{442}\" />\n</WixLocalization>\n",
        )
        .unwrap();
        let mut opts = CompileOptions::new("x64");
        opts.current_dir = dir.path().to_path_buf();
        opts.threads = 1;
        let plain = compile(std::slice::from_ref(&src), &opts);
        assert!(
            plain.is_err(),
            "without the .wxl the loc string is undefined"
        );
        opts.loc_files = vec![wxl.clone()];
        let c = compile(std::slice::from_ref(&src), &opts).expect("Cyrillic fits code page 1251");
        assert_eq!(c.database.codepage, 1251);
        // -1 leaves the package's code page (1252 by default), where Cyrillic does not fit.
        let text = std::fs::read_to_string(&wxl).unwrap().replace("1251", "-1");
        std::fs::write(&wxl, text).unwrap();
        assert!(compile(&[src], &opts).is_err());
        assert_eq!(localization_codepage("utf-8").unwrap(), 65001);
        assert!(localization_codepage("klingon").is_err());
    }

    #[test]
    fn hidden_properties_and_hidden_target_deferred_actions_are_msi_hidden_properties() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("t.wxs");
        let body = r#"<Property Id="MsiHiddenProperties" Value="PASSWORD" />
<Property Id="TOKEN" Value="t" Hidden="yes" Admin="yes" />
<CustomAction Id="Secret" Property="SecretRun" Value="x" HideTarget="yes" Execute="deferred" />
<CustomAction Id="Visible" Property="V" Value="y" Execute="deferred" />
<CustomAction Id="Immediate" Property="I" Value="z" HideTarget="yes" />
<InstallExecuteSequence><Custom Action="Secret" After="InstallFiles" /></InstallExecuteSequence>"#;
        std::fs::write(&src, package(body)).unwrap();
        let mut opts = CompileOptions::new("x64");
        opts.current_dir = dir.path().to_path_buf();
        let c = compile(&[src], &opts).unwrap();
        let hidden: Vec<String> = crate::test_support::lines(&c, "Property")
            .into_iter()
            .filter(|l| {
                l.starts_with("MsiHiddenProperties\t") || l.starts_with("AdminProperties\t")
            })
            .collect();
        assert_eq!(
            hidden,
            [
                "AdminProperties\tTOKEN",
                "MsiHiddenProperties\tPASSWORD;Secret;TOKEN"
            ]
        );
    }

    #[test]
    fn warnings_before_an_error_come_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("t.wxs");
        let text = package("").replace("<Package ", "<?warning first?>\n<Package ");
        std::fs::write(&src, text.replace("</Package>", "<Nonsense/></Package>")).unwrap();
        let mut opts = CompileOptions::new("x64");
        opts.current_dir = dir.path().to_path_buf();
        let e = compile(&[src], &opts).expect_err("Nonsense is an error");
        assert_eq!(e.warnings.len(), 1, "{e:?}");
        assert!(e.warnings[0].message.contains("first"));
        // A preprocessor error after a <?warning?> keeps the warning too.
        let src2 = dir.path().join("u.wxs");
        std::fs::write(&src2, "<?warning early?>\n<?error late?>\n<Wix/>").unwrap();
        let e = compile(&[src2], &opts).expect_err("<?error?> fails");
        assert_eq!(e.warnings.len(), 1, "{e:?}");
    }

    #[test]
    fn relative_sources_try_the_current_directory_then_bind_paths() {
        let dir = tempfile::tempdir().unwrap();
        for (sub, name, text) in [
            ("cwd", "here.txt", "cwd"),
            ("b1", "here.txt", "b1"),
            ("b1", "one.txt", "b1"),
            ("b2", "one.txt", "b2"),
            ("b2", "two.txt", "b2"),
            ("named", "n.txt", "named"),
        ] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
            std::fs::write(dir.path().join(sub).join(name), text).unwrap();
        }
        let cwd = dir.path().join("cwd");
        let bind = vec![
            BindPath::parse(dir.path().join("b1").to_str().unwrap()),
            BindPath::parse(&format!("N={}", dir.path().join("named").display())),
            BindPath::parse(dir.path().join("b2").to_str().unwrap()),
        ];
        let r = |v: &str| parse::resolve_source(&cwd, &bind, v);
        let read = |v: &str| std::fs::read_to_string(r(v)).unwrap();
        assert_eq!(read("here.txt"), "cwd");
        assert_eq!(read("one.txt"), "b1");
        assert_eq!(read("two.txt"), "b2");
        assert_eq!(read("SourceDir\\two.txt"), "b2");
        assert_eq!(read("!(bindpath.N)\\n.txt"), "named");
        assert_eq!(read("!(bindpath.n)n.txt"), "named");
        // The named path is not searched for plain names, nor unnamed ones for a name.
        assert_eq!(r("n.txt"), cwd.join("n.txt"));
        assert_eq!(BindPath::parse("x=y").name.as_deref(), Some("x"));
        assert_eq!(BindPath::parse("=y").name, None);
    }
}
