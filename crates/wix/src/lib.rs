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
pub mod bind;
pub mod cab;
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
pub mod stream;
pub mod tables;
pub mod validate;
pub mod write;
pub mod xml;

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
    /// Directory relative `Source` paths resolve against.
    pub base_dir: PathBuf,
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
}

impl CompileOptions {
    /// Options for `arch`, with the process environment, the current directory and
    /// [`build_timestamp`].
    pub fn new(arch: &str) -> CompileOptions {
        CompileOptions {
            arch: arch.to_string(),
            defines: BTreeMap::new(),
            include_dirs: Vec::new(),
            base_dir: std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
            env: std::env::vars().collect(),
            timestamp: build_timestamp(),
            threads: 0,
            loc_files: Vec::new(),
            cultures: Vec::new(),
            bind_variables: BTreeMap::new(),
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
/// [`compile_to_file`], which streams the MSI to disk, and [`write::to_bytes`]).
pub fn compile(sources: &[PathBuf], opts: &CompileOptions) -> Result<Compiled> {
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
        current_dir: opts.base_dir.clone(),
        env: opts.env.clone(),
    };
    let parse_opts = parse::ParseOptions {
        arch: opts.arch.clone(),
        base_dir: opts.base_dir.clone(),
    };
    let mut warnings = Vec::new();
    let mut roots = Vec::new();
    let mut access_decls = Vec::new();
    for src in sources {
        let pp = preprocess::preprocess_file(src, &pp_opts)?;
        warnings.extend(pp.warnings.iter().cloned());
        let mut root = xml::parse_document(&pp)?;
        access_decls.extend(access::strip_modifiers(&mut root));
        roots.push(root);
    }
    // `!(loc.X)` and `!(wix.X)` get their values before any element is interpreted.
    let localizations = loc::read_all(&opts.loc_files, &pp_opts)?;
    let (loc_strings, _) = loc::select(&localizations, &opts.cultures);
    let mut variables = bind::Variables {
        loc: loc_strings,
        wix: BTreeMap::new(),
    };
    let mut wix = bind::collect_wix_variables(&roots, &opts.bind_variables)?;
    for v in wix.values_mut() {
        *v = variables.resolve(v, &Location::file("<WixVariable>"))?;
    }
    variables.wix = wix;
    let mut sections = Vec::new();
    for mut root in roots {
        variables.resolve_tree(&mut root)?;
        sections.extend(parse::parse_document(&root, &parse_opts, &mut warnings)?);
    }
    access::resolve(&mut sections, &access_decls)?;
    let mut linked = link::link(sections)?;
    parse::com::resolve_primary_features(&mut linked)?;
    validate::check(&linked, &mut warnings)?;
    let lower_opts = lower::LowerOptions {
        arch: opts.arch.clone(),
        timestamp: opts.timestamp,
        threads: opts.threads,
        creating_application: format!("svcpack {}", env!("CARGO_PKG_VERSION")),
    };
    let mut database = lower::lower(linked, &lower_opts)?;
    bind::finish(&mut database)?;
    warnings.extend(database.warnings.iter().cloned());
    Ok(Compiled {
        database,
        warnings,
        msi_len: 0,
    })
}

/// Compiles and writes `out` (plus any external cabinets or uncompressed files beside it)
/// atomically: on error nothing is left behind.
pub fn compile_to_file(sources: &[PathBuf], out: &Path, opts: &CompileOptions) -> Result<Compiled> {
    let mut compiled = compile(sources, opts)?;
    compiled.msi_len = write::write_outputs(&compiled.database, out)?;
    Ok(compiled)
}
