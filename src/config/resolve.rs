//! From the checked tree to a [`Config`]: each key read once, validated, defaulted.
//!
//! The two entry points differ only in where the svcpack table and the package identity
//! live; everything after that is shared by [`Resolver`] (the `[service]` and `[sign]`
//! tables are in their own files).

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use super::error::{ConfigError, Fault, FaultResult};
use super::read::{Item, Table};
use super::schema::{check_keys, STANDALONE, SVCPACK};
use super::tree::{self, Kind, Node};
use super::values::check_file_name;
use super::{
    default_upgrade_code, Backend, Compress, Config, FileEntry, Guid, Loaded, PackageInfo, RelPath,
};
use crate::version::MsiVersion;

const SVCPACK_PATH: &str = "package.metadata.svcpack";

/// Where Program Files-relative paths may go, for messages.
const PROGRAM_FILES: &str = "Program Files";
pub(super) const INSTALL_DIR: &str = "the install directory";

/// Parses the text, a UTF-8 BOM tolerated, turning a syntax error into a located error.
fn parse(file: &Path, text: &str) -> Result<Node, ConfigError> {
    tree::parse(text).map_err(|e| ConfigError {
        file: file.to_path_buf(),
        line: e.span.map(|s| tree::line_of(text, s.start)),
        key: None,
        message: format!("TOML syntax error: {}", e.message),
    })
}

fn strip_bom(text: &str) -> &str {
    // Editors on Windows like to add one; the TOML grammar does not allow it.
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// `[package.metadata.svcpack]` of a Cargo.toml, with the package from cargo metadata.
pub(crate) fn cargo(file: &Path, text: &str, pkg: &PackageInfo) -> Result<Loaded, ConfigError> {
    let text = strip_bom(text);
    let root = parse(file, text)?;
    let locate = |f: Fault| f.locate(file, text);

    let package = root.get("package").map(|(_, n)| n);
    let metadata = package.and_then(|p| p.get("metadata")).map(|(_, n)| n);
    let empty = Node {
        span: None,
        kind: Kind::Table(Vec::new()),
    };
    let svcpack = match metadata.and_then(|m| m.get("svcpack")) {
        Some((key, node)) => Item {
            path: SVCPACK_PATH.into(),
            key: Some(key),
            node,
        }
        .table()
        .map_err(locate)?,
        None => Table {
            path: SVCPACK_PATH.into(),
            node: &empty,
        },
    };
    check_keys(svcpack.node, SVCPACK, SVCPACK_PATH, SVCPACK, SVCPACK_PATH).map_err(locate)?;

    // cargo-wix keeps its upgrade code here; honouring it lets a cargo-wix project switch
    // without orphaning installed copies.
    let wix_guid = metadata
        .and_then(|m| m.get("wix"))
        .and_then(|(_, wix)| wix.get("upgrade-guid"))
        .map(|(key, node)| Item {
            path: "package.metadata.wix.upgrade-guid".into(),
            key: Some(key),
            node,
        });
    let version_span = package
        .and_then(|p| p.get("version"))
        .and_then(|(k, v)| v.span.clone().or_else(|| k.span.clone()));

    let mut resolver = Resolver {
        pkg: pkg.clone(),
        standalone: false,
        warnings: Vec::new(),
    };
    let config = resolver
        .config(&svcpack, wix_guid, version_span, "package.version")
        .map_err(locate)?;
    let release = super::release::read(&svcpack).map_err(locate)?;
    let linux = super::linux::read(&svcpack, &config, pkg, &locate).map_err(locate)?;
    let targets = super::targets::read(&svcpack).map_err(locate)?;
    Ok(Loaded {
        config,
        release,
        targets,
        linux,
        warnings: resolver
            .warnings
            .into_iter()
            .map(|w| locate(w).to_string())
            .collect(),
    })
}

/// A standalone `svcpack.toml`: identity keys and svcpack keys at the top level.
pub(crate) fn standalone(file: &Path, text: &str) -> Result<(PackageInfo, Loaded), ConfigError> {
    let text = strip_bom(text);
    let mut root = parse(file, text)?;
    // The document itself is no place to point at: a fault about a missing top-level key
    // gets no line rather than a misleading "line 1".
    root.span = None;
    let locate = |f: Fault| f.locate(file, text);
    check_keys(&root, STANDALONE, "", STANDALONE, "").map_err(locate)?;
    let top = Table {
        path: String::new(),
        node: &root,
    };
    let pkg = identity(file, &top).map_err(locate)?;
    let version_span = top.get("version").and_then(|i| i.span());
    let mut resolver = Resolver {
        pkg,
        standalone: true,
        warnings: Vec::new(),
    };
    let config = resolver
        .config(&top, None, version_span, "version")
        .map_err(locate)?;
    let warnings = resolver
        .warnings
        .into_iter()
        .map(|w| locate(w).to_string())
        .collect();
    let release = super::release::read(&top).map_err(locate)?;
    let linux = super::linux::read(&top, &config, &resolver.pkg, &locate).map_err(locate)?;
    let targets = super::targets::read(&top).map_err(locate)?;
    Ok((
        resolver.pkg,
        Loaded {
            config,
            warnings,
            release,
            linux,
            targets,
        },
    ))
}

/// The package identity keys of a standalone file.
fn identity(file: &Path, top: &Table) -> FaultResult<PackageInfo> {
    let required = |key: &str, example: &str| {
        top.get(key).ok_or_else(|| {
            Fault::new(
                None,
                key,
                format!("missing; a standalone configuration needs it, e.g. {key} = {example}"),
            )
        })
    };
    let name_item = required("name", "\"ledger-agent\"")?;
    let name = name_item.string()?.to_string();
    let mut chars = name.chars();
    let valid = matches!(chars.next(), Some(c) if c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !valid {
        return Err(name_item.fault(format!(
            "`{name}` is not a usable package name (it becomes part of file names); allowed: \
             ASCII letters, digits, `-`, `_` and `.`, starting with a letter or digit"
        )));
    }
    let version_item = required("version", "\"1.0.0\"")?;
    let version = semver::Version::parse(version_item.string()?).map_err(|e| {
        version_item.fault(format!(
            "not a semantic version ({e}); allowed: MAJOR.MINOR.PATCH[-pre][+build], e.g. \"1.4.0\""
        ))
    })?;
    let optional = |key: &str| -> FaultResult<Option<String>> {
        match top.get(key) {
            Some(i) => Ok(Some(i.string()?.to_string()).filter(|s| !s.trim().is_empty())),
            None => Ok(None),
        }
    };
    let authors = match top.get("authors") {
        Some(i) => i.strings()?,
        None => Vec::new(),
    };
    let binary = match top.get("binary") {
        Some(i) => {
            let text = i.text()?;
            let stem = strip_exe(&text).to_string();
            check_file_name(&stem)
                .and_then(|()| match stem.contains(['/', '\\']) {
                    true => Err("`/` and `\\` are not allowed in a file name".to_string()),
                    false => Ok(()),
                })
                .map_err(|why| {
                    i.fault(format!(
                        "{why}; allowed: the exe's file name, e.g. \"ledger-agent.exe\""
                    ))
                })?;
            stem
        }
        None => name.clone(),
    };
    let manifest_dir = match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    // Absolute: the paths resolved from it are used later from the build's scratch
    // directory, where a relative `--config svcpack.toml` would point somewhere else.
    let manifest_dir = std::path::absolute(&manifest_dir).unwrap_or(manifest_dir);
    Ok(PackageInfo {
        name,
        version,
        authors,
        description: optional("description")?,
        homepage: optional("homepage")?,
        repository: optional("repository")?,
        license: optional("license-expression")?,
        bins: vec![binary],
        manifest_dir,
    })
}

fn strip_exe(name: &str) -> &str {
    let n = name.len();
    if n > 4 && name.is_char_boundary(n - 4) && name[n - 4..].eq_ignore_ascii_case(".exe") {
        &name[..n - 4]
    } else {
        name
    }
}

/// "Jane Doe <jane@example.com>" → "Jane Doe".
fn author_name(author: &str) -> &str {
    match author.find('<') {
        Some(i) => author[..i].trim(),
        None => author.trim(),
    }
}

/// Reads the svcpack keys of one configuration against one package.
pub(super) struct Resolver {
    pub(super) pkg: PackageInfo,
    /// Standalone files name the exe instead of choosing a bin target.
    pub(super) standalone: bool,
    /// Advice, in the order it was found.
    pub(super) warnings: Vec<Fault>,
}

impl Resolver {
    pub(super) fn warn(&mut self, fault: Fault) {
        self.warnings.push(fault);
    }

    fn config(
        &mut self,
        top: &Table,
        wix_guid: Option<Item>,
        version_span: Option<Range<usize>>,
        version_key: &str,
    ) -> FaultResult<Config> {
        let product_item = top.get("product-name");
        let product_name = match &product_item {
            Some(i) => i.text()?,
            None => self.pkg.name.clone(),
        };
        let manufacturer = self.manufacturer(top, &product_name)?;
        let upgrade_code = self.upgrade_code(top, wix_guid)?;
        let version = MsiVersion::from_semver(&self.pkg.version)
            .map_err(|e| Fault::new(version_span, version_key, e.to_string()))?;
        let binary = self.binary(top)?;
        let install_dir = match top.get("install-dir") {
            Some(i) => {
                let dir = RelPath::parse(&i.text()?, PROGRAM_FILES).map_err(|m| i.fault(m))?;
                if dir.is_root() {
                    return Err(i.fault("must name a folder; allowed: a relative path inside Program Files, e.g. \"Example/Ledger Agent\""));
                }
                dir
            }
            None => self.default_install_dir(top, product_item.as_ref(), &product_name)?,
        };
        let license = top
            .get("license")
            .map(|i| self.existing_file(&i))
            .transpose()?;
        let icon = top
            .get("icon")
            .map(|i| self.existing_file(&i))
            .transpose()?;
        let compress = self.compress(top)?;
        let backend = match top.get("backend") {
            Some(i) => Backend::parse(i.string()?).map_err(|m| i.fault(m))?,
            None => Backend::Native,
        };
        let copyright = top.get("copyright").map(|i| i.text()).transpose()?;
        let service = match top.get("service") {
            Some(i) => Some(self.service(&i.table()?, &product_name)?),
            None => None,
        };
        let files = match top.get("files") {
            Some(i) => self.files(&i, &binary, license.as_deref())?,
            None => Vec::new(),
        };
        let sign = match top.get("sign") {
            Some(i) => Some(self.sign(&i.table()?)?),
            None => None,
        };
        Ok(Config {
            product_name,
            manufacturer,
            upgrade_code,
            version,
            binary,
            install_dir,
            license,
            icon,
            compress,
            backend,
            copyright,
            service,
            files,
            sign,
        })
    }

    fn manufacturer(&mut self, top: &Table, product_name: &str) -> FaultResult<String> {
        if let Some(i) = top.get("manufacturer") {
            return i.text();
        }
        let first = self
            .pkg
            .authors
            .first()
            .map(|a| author_name(a))
            .filter(|a| !a.is_empty() && !a.chars().any(char::is_control));
        match first {
            Some(name) => Ok(name.to_string()),
            None => {
                self.warn(top.fault(
                    "manufacturer",
                    format!(
                        "not set and the package has no author; using the product name \
                         `{product_name}` (set manufacturer = \"...\")"
                    ),
                ));
                Ok(product_name.to_string())
            }
        }
    }

    fn upgrade_code(&mut self, top: &Table, wix_guid: Option<Item>) -> FaultResult<Guid> {
        if let Some(i) = top.get("upgrade-code").or(wix_guid) {
            return Guid::parse(i.string()?).map_err(|m| i.fault(m));
        }
        let guid = default_upgrade_code(&self.pkg.name);
        self.warn(top.fault(
            "upgrade-code",
            format!(
                "not set; using {guid}, derived from the package name `{}`: pin it with \
                 upgrade-code = \"{}\" so a renamed package still upgrades",
                self.pkg.name,
                guid.unbraced()
            ),
        ));
        Ok(guid)
    }

    fn binary(&self, top: &Table) -> FaultResult<String> {
        let bins = &self.pkg.bins;
        if self.standalone {
            // Already read and normalised (".exe" dropped) with the identity keys.
            return bins
                .first()
                .cloned()
                .ok_or_else(|| top.fault("binary", "missing"));
        }
        let listed = || {
            if bins.is_empty() {
                "the package has no bin targets".to_string()
            } else {
                format!("allowed: {}", bins.join(", "))
            }
        };
        match top.get("binary") {
            Some(i) => {
                let name = i.string()?;
                if bins.iter().any(|b| b == name) {
                    Ok(name.to_string())
                } else {
                    Err(i.fault(format!(
                        "`{name}` names no bin target of the package; {}",
                        listed()
                    )))
                }
            }
            None => match bins.as_slice() {
                [only] => Ok(only.clone()),
                [] => Err(top.fault(
                    "binary",
                    "the package has no bin target to package; add a [[bin]] (src/main.rs)",
                )),
                _ => Err(top.fault(
                    "binary",
                    format!(
                        "the package has several bin targets; choose one with binary = \"...\"; {}",
                        listed()
                    ),
                )),
            },
        }
    }

    fn default_install_dir(
        &self,
        top: &Table,
        product_item: Option<&Item>,
        product_name: &str,
    ) -> FaultResult<RelPath> {
        let single = check_file_name(product_name).and_then(|()| {
            if product_name.contains(['/', '\\']) {
                Err("`/` and `\\` are not allowed in a folder name".into())
            } else {
                RelPath::parse(product_name, PROGRAM_FILES)
            }
        });
        single.map_err(|why| {
            let message = format!(
                "the product name `{product_name}` cannot be the install folder ({why}); set \
                 install-dir = \"...\" to a folder name under Program Files"
            );
            match product_item {
                Some(i) => i.fault(message),
                None => top.fault("install-dir", message),
            }
        })
    }

    /// Resolves a manifest-relative path (either separator) and checks it is a file.
    pub(super) fn existing_file(&self, item: &Item) -> FaultResult<PathBuf> {
        let text = item.string()?;
        if text.trim().is_empty() {
            return Err(item.fault(
                "must not be empty; allowed: a file path relative to the manifest directory",
            ));
        }
        let path = if Path::new(text).is_absolute() {
            PathBuf::from(text)
        } else {
            // Backslashes too, so a Windows-written config works on a Linux build host.
            text.split(['/', '\\'])
                .filter(|s| !s.is_empty())
                .fold(self.pkg.manifest_dir.clone(), |p, s| p.join(s))
        };
        if path.is_file() {
            Ok(path)
        } else if path.is_dir() {
            Err(item.fault(format!("`{text}` is a directory; allowed: a file")))
        } else {
            Err(item.fault(format!(
                "file not found: `{text}` (looked for {}; relative paths start at the manifest \
                 directory {})",
                path.display(),
                self.pkg.manifest_dir.display()
            )))
        }
    }

    fn compress(&mut self, top: &Table) -> FaultResult<Compress> {
        let args_item = top.get("upx-args");
        let args = args_item.as_ref().map(|i| i.strings()).transpose()?;
        let upx = match top.get("compress") {
            Some(i) => {
                let word = i.string()?;
                match word.to_ascii_lowercase().as_str() {
                    "none" => false,
                    "upx" => true,
                    _ => {
                        let suggestion = match super::schema::suggest(word, &["none", "upx"]) {
                            Some(s) => format!(" did you mean `{s}`?"),
                            None => String::new(),
                        };
                        return Err(i.fault(format!(
                            "unknown compression `{word}`;{suggestion} allowed: none, upx"
                        )));
                    }
                }
            }
            None => false,
        };
        if upx {
            return Ok(Compress::Upx {
                args: args.unwrap_or_else(|| vec!["--best".into()]),
            });
        }
        if let Some(i) = args_item {
            self.warn(i.fault("has no effect unless compress = \"upx\""));
        }
        Ok(Compress::None)
    }

    fn files(
        &self,
        item: &Item,
        binary: &str,
        license: Option<&Path>,
    ) -> FaultResult<Vec<FileEntry>> {
        let Kind::Array(_) = item.node.kind else {
            return Err(item.fault(format!(
                "expected an array of tables ([[{}]] for each file), found {}",
                item.path,
                item.node.kind.describe()
            )));
        };
        // Names svcpack itself puts in the install directory or the portable zip's root.
        let mut seen: BTreeMap<String, String> = BTreeMap::new();
        seen.insert(
            format!("{binary}.exe").to_lowercase(),
            format!("the program {binary}.exe"),
        );
        for (name, what) in [
            ("readme.txt", "the portable zip's README.txt"),
            ("install.ps1", "the portable zip's install.ps1"),
            ("uninstall.ps1", "the portable zip's uninstall.ps1"),
        ] {
            seen.insert(name.into(), what.into());
        }
        if let Some(name) = license.and_then(Path::file_name) {
            seen.insert(
                name.to_string_lossy().to_lowercase(),
                "the license file".into(),
            );
        }
        let mut files = Vec::new();
        for element in item.array()? {
            let t = element.table()?;
            let source_item = t.get("source").ok_or_else(|| {
                t.fault(
                    "source",
                    "missing; allowed: a file path relative to the manifest directory",
                )
            })?;
            let source = self.existing_file(&source_item)?;
            let dest = match t.get("dest") {
                Some(i) => {
                    let dest = RelPath::parse(&i.text()?, INSTALL_DIR).map_err(|m| i.fault(m))?;
                    (dest, i)
                }
                None => {
                    let name = source
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    let dest = RelPath::parse(&name, INSTALL_DIR).map_err(|m| {
                        source_item.fault(format!("its file name cannot be the default dest: {m}"))
                    })?;
                    (dest, source_item)
                }
            };
            let (dest, at) = dest;
            if dest.is_root() {
                return Err(at.fault(
                    "names no file; allowed: a relative path inside the install directory",
                ));
            }
            let folded = dest.fold();
            if let Some(previous) = seen.get(&folded) {
                return Err(at.fault(format!(
                    "dest `{dest}` is already used by {previous} (Windows paths ignore case); \
                     allowed: one file per destination"
                )));
            }
            seen.insert(folded, t.path.clone());
            let preserve_on_upgrade = t
                .get("preserve-on-upgrade")
                .map(|i| i.boolean())
                .transpose()?
                .unwrap_or(false);
            let sign = t.get("sign").map(|i| i.boolean()).transpose()?;
            files.push(FileEntry {
                source,
                dest,
                preserve_on_upgrade,
                sign: sign.unwrap_or(true),
            });
        }
        Ok(files)
    }
}
