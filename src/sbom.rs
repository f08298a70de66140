//! The CycloneDX software bill of materials (`<package>-<version>-<arch>.cdx.json`): what the
//! MSI installs, written after the MSI is final (signed), so it can name the MSI's digest.
//!
//! This module owns the SBOM's content and exact bytes, and reading the program's crate
//! dependency graph from `cargo metadata` ([`crate_graph`]). The document is CycloneDX 1.6
//! JSON: the MSI is `metadata.component`; `components` holds the program (with its purl and
//! license when cargo built it), svcpack's service host when the service is hosted, every
//! other packaged file with its SHA-256, and the program's crates (normal dependencies,
//! resolved for the target and the build's features); `dependencies` links the MSI to what it
//! installs and each crate to its own dependencies. It is reproducible: components and
//! dependency lists are sorted, the timestamp is the build's ([`crate::wix::build_timestamp`],
//! `SOURCE_DATE_EPOCH` when set) and `serialNumber` is a UUIDv5 of the rest of the document.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::{json, Value};

use crate::checksums::sha256_hex;
use crate::config::{Config, PackageInfo};

/// The CycloneDX specification version written.
pub const SPEC_VERSION: &str = "1.6";

/// The namespace of SBOM serial numbers: UUIDv5(URL namespace, `urn:svcpack:sbom`).
fn serial_namespace() -> uuid::Uuid {
    uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, b"urn:svcpack:sbom")
}

/// One crate of the program's dependency graph.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Crate {
    pub name: String,
    pub version: String,
    /// The SPDX expression from Cargo.toml, if any.
    pub license: Option<String>,
    /// Indices into [`CrateGraph::crates`] of its normal dependencies.
    pub deps: Vec<usize>,
}

/// The program's crate and everything it links, as cargo resolved it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CrateGraph {
    /// `crates[root]` is the program's own package.
    pub crates: Vec<Crate>,
    pub root: usize,
}

/// What `cargo build` is asked for, so the graph matches what it compiles.
pub struct GraphQuery<'a> {
    pub cargo: &'a std::ffi::OsStr,
    pub manifest_path: &'a Path,
    pub package: &'a str,
    pub target: &'a str,
    pub features: &'a [String],
    pub all_features: bool,
    pub no_default_features: bool,
}

/// Reads the program's normal-dependency graph for the target with `cargo metadata`.
pub fn crate_graph(q: &GraphQuery) -> Result<CrateGraph, String> {
    let mut options = vec!["--filter-platform".to_string(), q.target.to_string()];
    if !q.features.is_empty() {
        options.extend(["--features".to_string(), q.features.join(",")]);
    }
    if q.all_features {
        options.push("--all-features".into());
    }
    if q.no_default_features {
        options.push("--no-default-features".into());
    }
    let meta = cargo_metadata::MetadataCommand::new()
        .cargo_path(q.cargo)
        .manifest_path(q.manifest_path)
        .other_options(options)
        .exec()
        .map_err(|e| {
            let text = e.to_string();
            let first = text.lines().next().unwrap_or_default().to_string();
            format!(
                "`cargo metadata` for the dependency list of {} failed: {first}",
                q.manifest_path.display()
            )
        })?;
    let resolve = meta
        .resolve
        .as_ref()
        .ok_or("`cargo metadata` returned no dependency resolution")?;
    let root_pkg = meta
        .workspace_packages()
        .into_iter()
        .find(|p| p.name.as_str() == q.package)
        .ok_or_else(|| format!("`cargo metadata` does not list package `{}`", q.package))?;
    let packages: BTreeMap<&cargo_metadata::PackageId, &cargo_metadata::Package> =
        meta.packages.iter().map(|p| (&p.id, p)).collect();
    let nodes: BTreeMap<&cargo_metadata::PackageId, &cargo_metadata::Node> =
        resolve.nodes.iter().map(|n| (&n.id, n)).collect();
    // Breadth-first from the program over normal dependencies only: build and dev
    // dependencies never reach the installed exe.
    let mut index: BTreeMap<&cargo_metadata::PackageId, usize> = BTreeMap::new();
    let mut order = vec![&root_pkg.id];
    index.insert(&root_pkg.id, 0);
    let mut i = 0;
    let mut edges: Vec<Vec<usize>> = Vec::new();
    while i < order.len() {
        let id = order[i];
        let mut deps = Vec::new();
        if let Some(node) = nodes.get(id) {
            for d in &node.deps {
                let normal = d.dep_kinds.is_empty()
                    || d.dep_kinds
                        .iter()
                        .any(|k| k.kind == cargo_metadata::DependencyKind::Normal);
                if !normal {
                    continue;
                }
                let next = index.len();
                let at = *index.entry(&d.pkg).or_insert_with(|| {
                    order.push(&d.pkg);
                    next
                });
                deps.push(at);
            }
        }
        edges.push(deps);
        i += 1;
    }
    let crates = order
        .iter()
        .zip(edges)
        .map(|(id, deps)| {
            let p = packages.get(id).copied();
            Crate {
                name: p.map(|p| p.name.to_string()).unwrap_or_default(),
                version: p.map(|p| p.version.to_string()).unwrap_or_default(),
                license: p.and_then(|p| p.license.clone()),
                deps,
            }
        })
        .collect();
    Ok(CrateGraph { crates, root: 0 })
}

/// A packaged file: its path in the install directory and its lowercase hex SHA-256
/// (hashed by the caller, from memory or from disk in pieces).
pub struct Packaged {
    pub path: String,
    pub sha256: String,
}

impl Packaged {
    /// A file whose bytes are in memory.
    pub fn of_bytes(path: impl Into<String>, bytes: &[u8]) -> Self {
        Packaged {
            path: path.into(),
            sha256: sha256_hex(bytes),
        }
    }
}

/// Everything the SBOM describes.
pub struct SbomInput<'a> {
    pub package: &'a PackageInfo,
    pub config: &'a Config,
    pub target: &'a str,
    pub arch: &'a str,
    /// The MSI's file name and the lowercase hex SHA-256 of its final bytes.
    pub msi_name: &'a str,
    pub msi_sha256: String,
    pub product_code: Option<String>,
    /// The program as installed.
    pub program: Packaged,
    /// The crate graph when cargo built the program; `None` for `--no-build --binary`.
    pub crates: Option<&'a CrateGraph>,
    /// svcpack's service host exe, when the service is hosted.
    pub host: Option<Packaged>,
    /// Every other installed file (configuration files, license, the host's configuration).
    pub files: Vec<Packaged>,
    /// Unix seconds of the build.
    pub timestamp: u64,
}

/// `pkg:cargo/<name>@<version>`, the version's `+` percent-encoded as purl requires.
pub fn cargo_purl(name: &str, version: &str) -> String {
    format!("pkg:cargo/{name}@{}", version.replace('+', "%2B"))
}

/// RFC 3339 UTC (`2024-01-02T03:04:05Z`) of Unix seconds.
pub fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = crate::civil::civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn licenses(expr: Option<&str>) -> Option<Value> {
    let expr = expr?.trim();
    if expr.is_empty() {
        return None;
    }
    // Cargo's deprecated `MIT/Apache-2.0` spelling means `OR`.
    let expr = expr.replace('/', " OR ");
    Some(json!([{ "expression": expr }]))
}

fn sha256(hex: &str) -> Value {
    json!([{ "alg": "SHA-256", "content": hex }])
}

fn with(mut v: Value, key: &str, value: Option<Value>) -> Value {
    if let (Some(obj), Some(value)) = (v.as_object_mut(), value) {
        obj.insert(key.to_string(), value);
    }
    v
}

/// The SBOM's bytes: pretty JSON with a final newline.
pub fn sbom(input: &SbomInput) -> Result<Vec<u8>, String> {
    let version = input.package.version.to_string();
    let mut graph = Graph::default();
    // The program: a crate when cargo built it, otherwise a file named by the package.
    let crates = input.crates.filter(|g| g.crates.len() > g.root);
    let program_ref = graph.add_program(input, crates.is_some(), &version);
    if let Some(crates) = crates {
        graph.add_crates(crates);
    }
    if let Some(host) = &input.host {
        graph.add_host(host, &program_ref);
    }
    for f in &input.files {
        graph.add_file(f);
    }
    let msi_ref = input.msi_name.to_string();
    graph
        .dependencies
        .insert(msi_ref.clone(), std::mem::take(&mut graph.installed));
    let bom = document(input, msi_component(input, &msi_ref, &version), graph);
    finish(bom)
}

/// The components and how they depend on each other, keyed and sorted by `bom-ref`.
#[derive(Default)]
struct Graph {
    components: BTreeMap<String, Value>,
    dependencies: BTreeMap<String, BTreeSet<String>>,
    /// What the MSI installs.
    installed: BTreeSet<String>,
}

impl Graph {
    /// Adds the program, a crate when cargo built it; returns its `bom-ref`.
    fn add_program(&mut self, input: &SbomInput, is_crate: bool, version: &str) -> String {
        let pkg = input.package;
        let program_ref = if is_crate {
            cargo_purl(&pkg.name, version)
        } else {
            format!("file:{}", input.program.path)
        };
        let mut program = json!({
            "type": "application",
            "bom-ref": program_ref,
            "name": pkg.name,
            "version": version,
            "hashes": sha256(&input.program.sha256),
            "properties": [{ "name": "svcpack:install-path", "value": input.program.path }],
        });
        if is_crate {
            program = with(program, "purl", Some(json!(program_ref)));
        }
        program = with(program, "licenses", licenses(pkg.license.as_deref()));
        program = with(
            program,
            "description",
            pkg.description.clone().map(Value::from),
        );
        let mut refs = Vec::new();
        if let Some(url) = &pkg.homepage {
            refs.push(json!({ "type": "website", "url": url }));
        }
        if let Some(url) = &pkg.repository {
            refs.push(json!({ "type": "vcs", "url": url }));
        }
        if !refs.is_empty() {
            program = with(program, "externalReferences", Some(Value::Array(refs)));
        }
        self.components.insert(program_ref.clone(), program);
        self.installed.insert(program_ref.clone());
        self.dependencies
            .insert(program_ref.clone(), BTreeSet::new());
        program_ref
    }

    /// Adds the program's crates (its own is already there) and their dependencies.
    fn add_crates(&mut self, graph: &CrateGraph) {
        let purls: Vec<String> = graph
            .crates
            .iter()
            .map(|c| cargo_purl(&c.name, &c.version))
            .collect();
        for (i, c) in graph.crates.iter().enumerate() {
            let deps: BTreeSet<String> = c.deps.iter().map(|&d| purls[d].clone()).collect();
            self.dependencies
                .entry(purls[i].clone())
                .or_default()
                .extend(deps);
            if i == graph.root {
                continue;
            }
            let comp = json!({
                "type": "library",
                "bom-ref": purls[i],
                "name": c.name,
                "version": c.version,
                "purl": purls[i],
                "scope": "required",
            });
            self.components
                .entry(purls[i].clone())
                .or_insert_with(|| with(comp, "licenses", licenses(c.license.as_deref())));
        }
    }

    /// Adds svcpack's service host, which runs the program.
    fn add_host(&mut self, host: &Packaged, program_ref: &str) {
        let r = format!("file:{}", host.path);
        self.components.insert(
            r.clone(),
            json!({
                "type": "application",
                "bom-ref": r,
                "name": "svcpack service host",
                "version": crate::manifest::SVCPACK_VERSION,
                "description": "runs the program as a Windows service (restarts, log capture)",
                "hashes": sha256(&host.sha256),
                "properties": [{ "name": "svcpack:install-path", "value": host.path }],
            }),
        );
        self.dependencies
            .insert(r.clone(), [program_ref.to_string()].into());
        self.installed.insert(r);
    }

    fn add_file(&mut self, f: &Packaged) {
        let r = format!("file:{}", f.path);
        self.components.insert(
            r.clone(),
            json!({
                "type": "file",
                "bom-ref": r,
                "name": f.path,
                "hashes": sha256(&f.sha256),
            }),
        );
        self.dependencies.entry(r.clone()).or_default();
        self.installed.insert(r);
    }
}

/// The MSI, the document's `metadata.component`.
fn msi_component(input: &SbomInput, msi_ref: &str, version: &str) -> Value {
    let mut properties = vec![
        json!({ "name": "svcpack:arch", "value": input.arch }),
        json!({ "name": "svcpack:msi:ProductVersion", "value": input.config.version.product_version() }),
        json!({ "name": "svcpack:msi:UpgradeCode", "value": input.config.upgrade_code.to_string() }),
        json!({ "name": "svcpack:target", "value": input.target }),
    ];
    if let Some(code) = &input.product_code {
        properties.push(json!({ "name": "svcpack:msi:ProductCode", "value": code }));
    }
    let msi = json!({
        "type": "application",
        "bom-ref": msi_ref,
        "name": input.config.product_name,
        "version": version,
        "supplier": { "name": input.config.manufacturer },
        "hashes": sha256(&input.msi_sha256),
        "properties": properties,
    });
    with(msi, "licenses", licenses(input.package.license.as_deref()))
}

/// The document without its serial number.
fn document(input: &SbomInput, msi: Value, graph: Graph) -> Value {
    json!({
        "bomFormat": "CycloneDX",
        "specVersion": SPEC_VERSION,
        "version": 1,
        "metadata": {
            "timestamp": rfc3339(input.timestamp),
            "tools": { "components": [{
                "type": "application",
                "name": "cargo-svcpack",
                "version": crate::manifest::SVCPACK_VERSION,
            }]},
            "component": msi,
        },
        "components": graph.components.into_values().collect::<Vec<_>>(),
        "dependencies": graph.dependencies
            .into_iter()
            .map(|(r, on)| json!({ "ref": r, "dependsOn": on.into_iter().collect::<Vec<_>>() }))
            .collect::<Vec<_>>(),
    })
}

/// Adds the serial number and writes the document out.
fn finish(mut bom: Value) -> Result<Vec<u8>, String> {
    // The serial number is derived from everything else, so identical builds agree.
    let body = serde_json::to_vec(&bom).map_err(|e| e.to_string())?;
    let serial = uuid::Uuid::new_v5(&serial_namespace(), &body);
    if let Some(obj) = bom.as_object_mut() {
        obj.insert(
            "serialNumber".into(),
            Value::from(format!("urn:uuid:{serial}")),
        );
    }
    let mut text = serde_json::to_string_pretty(&bom).map_err(|e| e.to_string())?;
    text.push('\n');
    Ok(text.into_bytes())
}

/// The SBOM of one target of a build: reads the packaged files the configuration names
/// and, when cargo built the program, its crate graph for that target. Returns the bytes
/// and a one-line summary.
pub fn for_build(
    plan: &crate::plan::Plan,
    target: &crate::plan::TargetPlan,
    exe: &[u8],
    host: Option<(&[u8], &str)>,
    msi: &Path,
    timestamp: u64,
) -> Result<(Vec<u8>, String), String> {
    let graph = match &plan.exe {
        crate::plan::ExeSource::Cargo {
            manifest_path,
            package,
            features,
            all_features,
            no_default_features,
            ..
        } => Some(crate_graph(&GraphQuery {
            cargo: &crate::cargo::cargo_program(),
            manifest_path,
            package,
            target: &target.triple,
            features,
            all_features: *all_features,
            no_default_features: *no_default_features,
        })?),
        crate::plan::ExeSource::Prebuilt(_) => None,
    };
    // Hashed from disk in pieces: a gigabyte payload file is never read whole.
    let hash = |p: &Path| {
        crate::checksums::hash_file(p)
            .map(|d| d.sha256)
            .map_err(|e| format!("cannot read {}: {e}", p.display()))
    };
    let mut files: Vec<Packaged> = Vec::new();
    for f in &plan.config.files {
        files.push(Packaged {
            path: f.dest.segments().join("/"),
            sha256: hash(&f.source)?,
        });
    }
    if let Some(l) = &plan.config.license {
        let name = l
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "LICENSE".into());
        files.push(Packaged {
            path: name,
            sha256: hash(l)?,
        });
    }
    if let Some((_, conf)) = host {
        files.push(Packaged::of_bytes(crate::host::CONF_NAME, conf.as_bytes()));
    }
    let input = SbomInput {
        package: &plan.package,
        config: &plan.config,
        target: &target.triple,
        arch: target.arch.as_str(),
        msi_name: &target.msi,
        msi_sha256: hash(msi)?,
        product_code: crate::winget::product_code(msi).ok(),
        program: Packaged::of_bytes(plan.config.exe_name(), exe),
        crates: graph.as_ref(),
        host: host.map(|(bytes, _)| Packaged::of_bytes(crate::host::HOST_EXE_NAME, bytes)),
        files,
        timestamp,
    };
    let listed = 1 + usize::from(input.host.is_some()) + input.files.len();
    let bytes = sbom(&input)?;
    let crates = graph.map(|g| g.crates.len().saturating_sub(1)).unwrap_or(0);
    let summary = format!(
        "{} (CycloneDX {SPEC_VERSION}, {listed} files, {crates} crates)",
        target.sbom,
    );
    Ok((bytes, summary))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purls_and_timestamps() {
        assert_eq!(cargo_purl("serde", "1.0.1"), "pkg:cargo/serde@1.0.1");
        assert_eq!(
            cargo_purl("a", "1.0.0+build.5"),
            "pkg:cargo/a@1.0.0%2Bbuild.5"
        );
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
    }

    #[test]
    fn crate_graph_follows_normal_dependencies_only() {
        // svcpack's own package: serde is a normal dependency; roxmltree is only a
        // dev-dependency of it (the compiler crate uses it normally, so it is in the graph,
        // but not as the program's direct dependency).
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
        let g = crate_graph(&GraphQuery {
            cargo: &cargo,
            manifest_path: &manifest,
            package: "cargo-svcpack",
            target: "x86_64-unknown-linux-gnu",
            features: &[],
            all_features: false,
            no_default_features: false,
        })
        .unwrap();
        assert_eq!(g.crates[g.root].name, "cargo-svcpack");
        let names: BTreeSet<&str> = g.crates.iter().map(|c| c.name.as_str()).collect();
        assert!(names.contains("serde") && names.contains("svcpack-wix"));
        let roxmltree = g.crates.iter().position(|c| c.name == "roxmltree");
        assert!(
            roxmltree.is_some_and(|r| !g.crates[g.root].deps.contains(&r)),
            "a dev-dependency is not a direct dependency of the program"
        );
        let wix = g
            .crates
            .iter()
            .position(|c| c.name == "svcpack-wix")
            .unwrap();
        assert!(g.crates[g.root].deps.contains(&wix));
    }

    #[test]
    fn old_license_spelling_becomes_an_expression() {
        assert_eq!(
            licenses(Some("MIT/Apache-2.0")),
            Some(json!([{ "expression": "MIT OR Apache-2.0" }]))
        );
        assert_eq!(licenses(Some(" ")), None);
    }
}
