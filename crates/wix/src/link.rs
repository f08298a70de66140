//! Linking: the sections of all source files → one product.
//!
//! Starting from the single `Product`/`Package` section, fragments are pulled in when
//! something references a symbol they define (transitively), exactly like WiX's linker.
//! This module owns symbol resolution: duplicate definitions, dangling references, the
//! standard directories a source may use without defining, and feature membership
//! (components through component groups, features through feature groups, WiX v4's
//! default feature).

use std::collections::{BTreeMap, BTreeSet};

use super::error::{Location, Result, WixError};
use super::model::{
    ComponentDef, FileDef, MajorUpgrade, MediaDef, MediaTemplate, Member, Membership, PackageInfo,
    Reference, Row, Schedule, Section, SectionKind, StreamDef, Val, ADVERTISED_TARGET,
};
use super::standard_directory::{standard_directory_name, standard_directory_parent};
use super::xml::Dialect;

/// The linked product: everything reachable from the package section.
#[derive(Debug)]
pub struct Linked {
    pub package: PackageInfo,
    pub rows: Vec<Row>,
    pub components: Vec<ComponentDef>,
    pub files: Vec<FileDef>,
    pub schedules: Vec<Schedule>,
    pub streams: Vec<StreamDef>,
    pub media: Vec<MediaDef>,
    pub media_template: Option<MediaTemplate>,
    pub major_upgrade: Option<MajorUpgrade>,
    pub default_major_upgrade: bool,
    pub wix_variables: BTreeMap<String, String>,
    pub secure_properties: BTreeSet<String>,
    pub hidden_properties: BTreeSet<String>,
    pub admin_properties: BTreeSet<String>,
    /// FeatureComponents rows, in a stable order.
    pub feature_components: Vec<(String, String, Location)>,
    /// Authored tables of the linked sections.
    pub custom: crate::custom_table::CustomTables,
}

/// A symbol key: (table, id).
type Key = (&'static str, String);

fn primary_key(row: &Row) -> Option<Key> {
    let id = row.values.first()?.as_str()?.to_string();
    match row.table {
        "Directory"
        | "Feature"
        | "Property"
        | "CustomAction"
        | "Registry"
        | "RemoveRegistry"
        | "ServiceInstall"
        | "ServiceControl"
        | "MsiServiceConfig"
        | "MsiServiceConfigFailureActions"
        | "Shortcut"
        | "Environment"
        | "RemoveFile"
        | "DuplicateFile"
        | "MsiLockPermissionsEx"
        | "IniFile"
        | "RemoveIniFile"
        | "RegLocator"
        | "CompLocator"
        | "IniLocator"
        | "Signature"
        | "Dialog" => Some((row.table, id)),
        "DrLocator" => Some((row.table, super::parse::dr_locator_row_key(&row.values)?)),
        _ => None,
    }
}

/// Which sections define each symbol, with each definition's location, in source order.
type Definitions = BTreeMap<Key, Vec<(usize, Location)>>;

/// Links all sections into one product for `arch` (which picks the parents of the
/// `*6432Folder` standard directories).
pub fn link(sections: Vec<Section>, arch: &str) -> Result<Linked> {
    let entry = entry_section(&sections)?;
    let defs = definitions(&sections);
    let (included, std_dirs) = reachable(&sections, &defs, entry)?;
    check_conflicts(&defs, &included)?;
    let (mut out, left) = merge(sections, entry, &included)?;
    let dialect = out.package.dialect;
    add_implied_directories(&mut out, left.implied);
    add_standard_directories(&mut out, &std_dirs, dialect, arch);
    resolve_features(&mut out, &left.memberships, dialect)?;
    Ok(out)
}

/// The one `Product`/`Package` section linking starts from.
fn entry_section(sections: &[Section]) -> Result<usize> {
    let mut entry = None;
    for (i, s) in sections.iter().enumerate() {
        if s.kind == SectionKind::Package {
            if let Some(first) = entry {
                let first: &Section = &sections[first];
                return Err(WixError::new(
                    s.loc.clone(),
                    format!("a second Product/Package; the first is at {}", first.loc),
                ));
            }
            entry = Some(i);
        }
    }
    entry.ok_or_else(|| {
        let loc = sections
            .first()
            .map(|s| s.loc.clone())
            .unwrap_or_else(|| Location::file("<input>"));
        WixError::new(
            loc,
            "no Product (WiX v3) or Package (WiX v4) element in the sources: nothing to build",
        )
    })
}

/// Which sections define each symbol. As in WiX's linker
/// (Link/FindEntrySectionAndLoadSymbolsCommand.cs), a symbol defined twice is only a
/// possible conflict: references resolve to its first definition, and it is an error only
/// when two of its definitions end up in linked sections
/// (Link/ReportConflictingSymbolsCommand.cs).
fn definitions(sections: &[Section]) -> Definitions {
    let mut defs = Definitions::new();
    let mut define = |key: Key, section: usize, loc: &Location| {
        defs.entry(key).or_default().push((section, loc.clone()));
    };
    for (i, s) in sections.iter().enumerate() {
        for r in &s.rows {
            if let Some(k) = primary_key(r) {
                define(k, i, &r.loc);
            }
        }
        for c in &s.components {
            define(("Component", c.id.clone()), i, &c.loc);
        }
        for f in &s.files {
            define(("File", f.id.clone()), i, &f.loc);
        }
        for st in &s.streams {
            define((st.table, st.id.clone()), i, &st.loc);
        }
        for g in &s.groups {
            define((g.table, g.id.clone()), i, &g.loc);
        }
    }
    // A valueless `Property` (a group-like definition) only declares the property: where a
    // row also defines it, the row is the definition.
    for s in sections {
        for g in s.groups.iter().filter(|g| g.table == "Property") {
            if let Some(all) = defs.get_mut(&(g.table, g.id.clone())) {
                if all.len() > 1 {
                    all.retain(|(_, loc)| loc != &g.loc);
                }
            }
        }
    }
    defs
}

/// The sections reachable from the package section through references, and the standard
/// directories referenced without being defined (each at its first reference).
fn reachable(
    sections: &[Section],
    defs: &Definitions,
    entry: usize,
) -> Result<(BTreeSet<usize>, BTreeMap<String, Location>)> {
    let v4 = sections[entry].dialect == Dialect::V4;
    let mut included = BTreeSet::from([entry]);
    let mut queue = vec![entry];
    let mut std_dirs: BTreeMap<String, Location> = BTreeMap::new();
    while let Some(si) = queue.pop() {
        for r in &sections[si].refs {
            match resolve_reference(r, defs, v4)? {
                Some(def) => {
                    if included.insert(def) {
                        queue.push(def);
                    }
                }
                None => {
                    std_dirs
                        .entry(r.id.clone())
                        .or_insert_with(|| r.loc.clone());
                }
            }
        }
    }
    Ok((included, std_dirs))
}

/// The section that defines what `r` references, or `None` for a standard directory used
/// without a definition (and, in WiX v4 sources, `INSTALLFOLDER`, which has a default).
fn resolve_reference(r: &Reference, defs: &Definitions, v4: bool) -> Result<Option<usize>> {
    let found = defs.get(&(r.table, r.id.clone()));
    // A reference to a symbol defined more than once is ambiguous: WiX reports the
    // duplicate (Link/ResolveReferencesCommand.cs, more than one accessible symbol).
    if let Some([(_, first), (_, second), ..]) = found.map(Vec::as_slice) {
        return Err(WixError::new(
            second.clone(),
            format!(
                "duplicate {} `{}`; it is already defined at {first} (and referenced at {})",
                r.table, r.id, r.loc
            ),
        ));
    }
    if let Some((def, _)) = found.and_then(|d| d.first()) {
        return Ok(Some(*def));
    }
    let standard = r.table == "Directory"
        && (standard_directory_name(&r.id).is_some() || (r.id == "INSTALLFOLDER" && v4));
    if standard {
        return Ok(None);
    }
    let extension = match r.table {
        "Binary" => super::parse::extension::unresolved_binary(&r.id, &r.loc),
        "CustomAction" => super::parse::extension::unresolved_custom_action(&r.id, &r.loc),
        _ => None,
    };
    Err(extension.unwrap_or_else(|| {
        WixError::new(
            r.loc.clone(),
            format!(
                "unresolved reference to {} `{}`: nothing defines it",
                r.table, r.id
            ),
        )
    }))
}

/// Duplicates among the linked sections, reported at the later definition (source
/// order), naming the first.
fn check_conflicts(defs: &Definitions, included: &BTreeSet<usize>) -> Result<()> {
    let mut conflicts: Vec<(&Location, &Location, &Key)> = Vec::new();
    for (key, all) in defs {
        let mut linked = all.iter().filter(|(s, _)| included.contains(s));
        if let (Some((_, first)), Some((_, second))) = (linked.next(), linked.next()) {
            conflicts.push((second, first, key));
        }
    }
    match conflicts.into_iter().min() {
        Some((second, first, key)) => Err(WixError::new(
            second.clone(),
            format!(
                "duplicate {} `{}`; it is already defined at {first}",
                key.0, key.1
            ),
        )),
        None => Ok(()),
    }
}

/// What the merged sections leave for linking's last steps: feature and group
/// memberships, and the directories that multi-level names imply.
#[derive(Default)]
struct Leftovers {
    memberships: Vec<Membership>,
    implied: Vec<Row>,
}

/// The package section, then the other linked sections in source order, merged into one
/// product.
fn merge(
    sections: Vec<Section>,
    entry: usize,
    included: &BTreeSet<usize>,
) -> Result<(Linked, Leftovers)> {
    let mut sections: Vec<Option<Section>> = sections.into_iter().map(Some).collect();
    let mut pkg_section = sections[entry].take().expect("entry section present");
    let package = pkg_section
        .package
        .take()
        .expect("package section has package info");
    let mut out = Linked::new(package, pkg_section.major_upgrade.take());
    let mut left = Leftovers::default();
    let mut ordered = vec![pkg_section];
    for i in included.iter().copied().filter(|i| *i != entry) {
        ordered.extend(sections[i].take());
    }
    for s in ordered {
        out.absorb(s, &mut left)?;
    }
    Ok((out, left))
}

impl Linked {
    /// A product with `package`'s identity and nothing linked into it yet.
    fn new(package: PackageInfo, major_upgrade: Option<MajorUpgrade>) -> Linked {
        Linked {
            package,
            rows: Vec::new(),
            components: Vec::new(),
            files: Vec::new(),
            schedules: Vec::new(),
            streams: Vec::new(),
            media: Vec::new(),
            media_template: None,
            major_upgrade,
            default_major_upgrade: false,
            wix_variables: BTreeMap::new(),
            secure_properties: BTreeSet::new(),
            hidden_properties: BTreeSet::new(),
            admin_properties: BTreeSet::new(),
            feature_components: Vec::new(),
            custom: Default::default(),
        }
    }

    /// Adds one linked section's contents; its memberships and implied directories are
    /// kept in `left` for later.
    fn absorb(&mut self, s: Section, left: &mut Leftovers) -> Result<()> {
        self.rows.extend(s.rows);
        self.components.extend(s.components);
        self.files.extend(s.files);
        self.schedules.extend(s.schedules);
        self.streams.extend(s.streams);
        self.add_media(s.media, s.media_template)?;
        for (k, v, _) in s.wix_variables {
            if k == "WixDefaultMajorUpgrade" {
                self.default_major_upgrade = true;
            } else {
                self.wix_variables.insert(k, v);
            }
        }
        self.secure_properties.extend(s.secure_properties);
        self.hidden_properties.extend(s.hidden_properties);
        self.admin_properties.extend(s.admin_properties);
        self.custom.extend(s.custom);
        left.memberships.extend(s.memberships);
        left.implied.extend(s.implied_directories);
        Ok(())
    }

    /// A section's `Media` (each id once in the product) and `MediaTemplate` (one in the
    /// product).
    fn add_media(&mut self, media: Vec<MediaDef>, template: Option<MediaTemplate>) -> Result<()> {
        for m in media {
            if let Some(prev) = self.media.iter().find(|p| p.id == m.id) {
                return Err(WixError::new(
                    m.loc.clone(),
                    format!("duplicate Media `{}`; first at {}", m.id, prev.loc),
                ));
            }
            self.media.push(m);
        }
        if let Some(t) = template {
            if self.media_template.is_some() {
                return Err(WixError::new(
                    t.loc.clone(),
                    "only one MediaTemplate is allowed",
                ));
            }
            self.media_template = Some(t);
        }
        Ok(())
    }
}

/// The intermediate directories of multi-level names, once per id, where no directory
/// with that id is defined (WiX's binder, CreateWindowsInstallerDataFromIRCommand
/// AddDirectorySubdirectories, skips ids already in the Directory table).
fn add_implied_directories(out: &mut Linked, implied: Vec<Row>) {
    let mut defined: BTreeSet<String> = out
        .rows
        .iter()
        .filter(|r| r.table == "Directory")
        .filter_map(|r| r.values[0].as_str().map(str::to_string))
        .collect();
    for r in implied {
        if let Some(id) = r.values[0].as_str() {
            if defined.insert(id.to_string()) {
                out.rows.push(r);
            }
        }
    }
}

/// Standard directories referenced but not authored get their standard rows (as WiX v4
/// does for StandardDirectory), plus TARGETDIR; v4's INSTALLFOLDER default too.
fn add_standard_directories(
    out: &mut Linked,
    wanted: &BTreeMap<String, Location>,
    dialect: Dialect,
    arch: &str,
) {
    let mut defined: BTreeSet<String> = out
        .rows
        .iter()
        .filter(|r| r.table == "Directory")
        .filter_map(|r| r.values[0].as_str().map(str::to_string))
        .collect();
    let add = |out: &mut Linked, id: &str, parent: Option<&str>, name: &str, loc: &Location| {
        out.rows.push(Row {
            table: "Directory",
            values: vec![id.into(), Val::opt_str(parent), name.into()],
            loc: loc.clone(),
        });
    };
    let mut need_targetdir = !wanted.is_empty()
        || out
            .rows
            .iter()
            .any(|r| r.table == "Directory" && r.values[1].as_str() == Some("TARGETDIR"));
    for (id, loc) in wanted {
        if defined.contains(id) || id == "TARGETDIR" {
            continue;
        }
        // A standard directory and, up to TARGETDIR, the standard parents it needs.
        let add_standard = |out: &mut Linked, defined: &mut BTreeSet<String>, id: &str| {
            let mut cur = Some(id);
            while let Some(d) = cur.filter(|d| *d != "TARGETDIR" && !defined.contains(*d)) {
                let parent = standard_directory_parent(d, arch);
                add(
                    out,
                    d,
                    parent,
                    standard_directory_name(d).unwrap_or("."),
                    loc,
                );
                defined.insert(d.to_string());
                cur = parent;
            }
        };
        if id == "INSTALLFOLDER" {
            // Link/AddDefaultSymbolsCommand.cs: named "[Manufacturer] [ProductName]" (its
            // source side "."), in ProgramFiles6432Folder, or LocalAppDataFolder per user.
            let parent = if out.package.per_machine == Some(false) {
                "LocalAppDataFolder"
            } else {
                "ProgramFiles6432Folder"
            };
            let name = format!("{} {}", out.package.manufacturer, out.package.name);
            let default_dir = super::shortname::msi_filename(
                dialect,
                &name,
                None,
                true,
                "Directory",
                "INSTALLFOLDER",
            );
            add(
                out,
                "INSTALLFOLDER",
                Some(parent),
                &format!("{default_dir}:."),
                loc,
            );
            defined.insert(id.clone());
            add_standard(out, &mut defined, parent);
            continue;
        }
        add_standard(out, &mut defined, id);
        need_targetdir = true;
    }
    if need_targetdir && !defined.contains("TARGETDIR") {
        let loc = out.package.loc.clone();
        add(out, "TARGETDIR", None, "SourceDir", &loc);
    }
}

/// One component in one feature, with the location of the reference that puts it there.
type FeatureComponent = (String, String, Location);

/// Memberships by the group or feature that contains them.
type Groups<'a> = BTreeMap<&'a Member, Vec<&'a Membership>>;

/// Fills in what features hold: components (through groups), parents of referenced
/// features, the WixDefaultFeature of WiX v4, and the feature advertised shortcuts target.
fn resolve_features(out: &mut Linked, memberships: &[Membership], dialect: Dialect) -> Result<()> {
    let features: BTreeSet<String> = out
        .rows
        .iter()
        .filter(|r| r.table == "Feature")
        .filter_map(|r| r.values[0].as_str().map(str::to_string))
        .collect();
    let (fc, parents) = expand_memberships(memberships)?;
    set_feature_parents(out, &parents);
    let (mut result, default_feature) = place_in_default_feature(out, fc, dialect, &features);
    if default_feature && !features.contains("WixDefaultFeature") {
        add_default_feature_row(out);
    }
    for (f, _, loc) in &result {
        if f != "WixDefaultFeature" && !features.contains(f) {
            return Err(WixError::new(
                loc.clone(),
                format!("unresolved reference to Feature `{f}`"),
            ));
        }
    }
    let mut dedup = BTreeSet::new();
    result.retain(|(f, c, _)| dedup.insert((f.clone(), c.clone())));
    check_every_component_in_a_feature(out, &result)?;
    target_advertised_shortcuts(out, &result)?;
    out.feature_components = result;
    Ok(())
}

/// Expands every membership of a feature into (feature, component) pairs, and collects
/// the parents that FeatureRef / FeatureGroupRef inside features give.
fn expand_memberships(
    memberships: &[Membership],
) -> Result<(Vec<FeatureComponent>, BTreeMap<String, String>)> {
    let mut groups: Groups = BTreeMap::new();
    for m in memberships {
        groups.entry(&m.parent).or_default().push(m);
    }
    let mut fc = Vec::new();
    let mut parents = BTreeMap::new();
    for m in memberships {
        if let Member::Feature(f) = &m.parent {
            expand(f, &m.member, &m.loc, &groups, &mut fc, &mut parents, 0)?;
        }
    }
    Ok((fc, parents))
}

/// Expands a member into (feature, component) pairs for a containing feature.
fn expand(
    feature: &str,
    member: &Member,
    loc: &Location,
    groups: &Groups,
    fc: &mut Vec<FeatureComponent>,
    parents: &mut BTreeMap<String, String>,
    depth: usize,
) -> Result<()> {
    if depth > 64 {
        return Err(WixError::new(
            loc.clone(),
            "component or feature groups nest too deeply (a cycle?)",
        ));
    }
    match member {
        Member::Component(c) => fc.push((feature.to_string(), c.clone(), loc.clone())),
        Member::Feature(f) => {
            if !feature.is_empty() {
                parents.insert(f.clone(), feature.to_string());
            }
        }
        Member::ComponentGroup(_) | Member::FeatureGroup(_) => {
            for m in groups.get(member).map(|v| v.as_slice()).unwrap_or(&[]) {
                expand(feature, &m.member, &m.loc, groups, fc, parents, depth + 1)?;
            }
        }
    }
    Ok(())
}

/// Feature parents from FeatureRef / FeatureGroupRef inside features.
fn set_feature_parents(out: &mut Linked, parents: &BTreeMap<String, String>) {
    for row in out.rows.iter_mut().filter(|r| r.table == "Feature") {
        if let Some(id) = row.values[0].as_str() {
            if let Some(p) = parents.get(id) {
                if row.values[1] == Val::Null && p != id {
                    row.values[1] = Val::Str(p.clone());
                }
            }
        }
    }
}

/// Components authored directly in a v4 package, or when a v4 package has no features:
/// WiX v4's WixDefaultFeature. Returns the pairs and whether that feature is used.
fn place_in_default_feature(
    out: &Linked,
    fc: Vec<FeatureComponent>,
    dialect: Dialect,
    features: &BTreeSet<String>,
) -> (Vec<FeatureComponent>, bool) {
    let in_feature: BTreeSet<String> = fc
        .iter()
        .filter(|(f, _, _)| !f.is_empty())
        .map(|(_, c, _)| c.clone())
        .collect();
    let mut default_feature = false;
    let mut result = Vec::new();
    for (f, c, loc) in fc {
        if f.is_empty() {
            if !in_feature.contains(&c) {
                default_feature = true;
                result.push(("WixDefaultFeature".to_string(), c, loc));
            }
        } else {
            result.push((f, c, loc));
        }
    }
    if dialect == Dialect::V4 && features.is_empty() {
        for c in &out.components {
            if !result.iter().any(|(_, rc, _)| rc == &c.id) {
                default_feature = true;
                result.push(("WixDefaultFeature".to_string(), c.id.clone(), c.loc.clone()));
            }
        }
    }
    (result, default_feature)
}

fn add_default_feature_row(out: &mut Linked) {
    let loc = out.package.loc.clone();
    out.rows.push(Row {
        table: "Feature",
        values: vec![
            "WixDefaultFeature".into(),
            Val::Null,
            Val::Null,
            Val::Null,
            0.into(),
            1.into(),
            Val::Null,
            0.into(),
        ],
        loc,
    });
}

fn check_every_component_in_a_feature(out: &Linked, result: &[FeatureComponent]) -> Result<()> {
    let seen_comp: BTreeSet<&str> = result.iter().map(|(_, c, _)| c.as_str()).collect();
    for c in &out.components {
        if !seen_comp.contains(c.id.as_str()) {
            return Err(WixError::new(
                c.loc.clone(),
                format!("component `{}` is not in any feature; reference it with a ComponentRef or ComponentGroupRef in a Feature", c.id),
            ));
        }
    }
    Ok(())
}

/// Advertised shortcuts target their component's primary feature: the first feature
/// that references it (WiX's linker, ResolveFeatures).
fn target_advertised_shortcuts(out: &mut Linked, result: &[FeatureComponent]) -> Result<()> {
    let mut primary: BTreeMap<String, String> = BTreeMap::new();
    for (f, c, _) in result {
        primary.entry(c.clone()).or_insert_with(|| f.clone());
    }
    for row in out.rows.iter_mut().filter(|r| r.table == "Shortcut") {
        if row.values[4].as_str() == Some(ADVERTISED_TARGET) {
            let comp = row.values[3].as_str().unwrap_or_default();
            let feature = primary.get(comp).ok_or_else(|| {
                WixError::new(
                    row.loc.clone(),
                    format!("advertised shortcut's component `{comp}` is not in any feature"),
                )
            })?;
            row.values[4] = Val::Str(feature.clone());
        }
    }
    Ok(())
}

/// Linking checked end to end against what WiX's linker does with the same sources.
#[cfg(test)]
mod tests {
    use crate::{compile, CompileOptions, Compiled};

    const V4: &str = "http://wixtoolset.org/schemas/v4/wxs";

    fn build(files: &[(&str, &str)]) -> crate::Result<Compiled> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), "a").unwrap();
        let mut paths = Vec::new();
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::write(&path, text.replace("{V4}", V4)).unwrap();
            paths.push(path);
        }
        let mut opts = CompileOptions::new("x64");
        opts.current_dir = dir.path().to_path_buf();
        opts.threads = 1;
        compile(&paths, &opts)
    }

    const PACKAGE: &str = r#"<Wix xmlns="{V4}"><Package Name="T" Manufacturer="M" Version="1.0" UpgradeCode="9D1B8F0C-6E2A-4B57-8C33-0F4E5A6B7C82">
<Feature Id="F"><ComponentGroupRef Id="G"/></Feature></Package></Wix>"#;

    fn has_row(c: &Compiled, table: &str, key: &str) -> bool {
        c.database
            .tables
            .get(table)
            .is_some_and(|rows| rows.iter().any(|(v, _)| v[0].as_str() == Some(key)))
    }

    #[test]
    fn unreferenced_fragment_symbols_do_not_clash() {
        // Two fragments nothing references define the same Property and Directory: WiX's
        // linker never loads them, so there is no conflict and no row.
        let unused = r#"<Wix xmlns="{V4}"><Fragment><Property Id="P" Value="1"/>
<StandardDirectory Id="ProgramFiles6432Folder"><Directory Id="D" Name="d"/></StandardDirectory></Fragment></Wix>"#;
        let used = r#"<Wix xmlns="{V4}"><Fragment><ComponentGroup Id="G" Directory="INSTALLFOLDER">
<Component><File Source="a.txt"/></Component></ComponentGroup></Fragment></Wix>"#;
        let c = build(&[
            ("p.wxs", PACKAGE),
            ("u1.wxs", unused),
            ("u2.wxs", unused),
            ("g.wxs", used),
        ])
        .unwrap();
        assert!(!has_row(&c, "Property", "P"));
        assert!(!has_row(&c, "Directory", "D"));
    }

    #[test]
    fn duplicates_in_linked_sections_name_both_locations() {
        let used = r#"<Wix xmlns="{V4}"><Fragment><ComponentGroup Id="G" Directory="INSTALLFOLDER">
<Component><File Source="a.txt"/></Component></ComponentGroup><Property Id="P" Value="1"/></Fragment>
<Fragment><Property Id="P" Value="2"/><Property Id="R" Value="3"/></Fragment></Wix>"#;
        let package = PACKAGE.replace("</Feature>", "</Feature><PropertyRef Id=\"R\"/>");
        let e = build(&[("p.wxs", &package), ("g.wxs", used)])
            .expect_err("a duplicate Property in linked sections is an error")
            .to_string();
        assert!(e.contains("g.wxs:3:") && e.contains("g.wxs:2"), "{e}");
    }

    #[test]
    fn a_reference_to_a_symbol_defined_twice_is_an_error() {
        // AccessModifierFixture.CannotCompileDuplicateCrossFragmentReference.
        let frags = r#"<Wix xmlns="{V4}"><Fragment><ComponentGroup Id="G" Directory="INSTALLFOLDER">
<Component><File Source="a.txt"/></Component></ComponentGroup></Fragment>
<Fragment><Property Id="P" Value="1"/></Fragment>
<Fragment><Property Id="P" Value="2"/></Fragment></Wix>"#;
        let package = PACKAGE.replace("</Feature>", "</Feature><PropertyRef Id=\"P\"/>");
        let e = build(&[("p.wxs", &package), ("f.wxs", frags)])
            .expect_err("an ambiguous reference is an error")
            .to_string();
        assert!(e.contains("f.wxs:4:") && e.contains("f.wxs:3"), "{e}");
    }

    #[test]
    fn reference_cycles_between_fragments_link_once() {
        // Fragments that reference each other are each linked once (no hang).
        let frags = r#"<Wix xmlns="{V4}"><Fragment><ComponentGroup Id="G" Directory="INSTALLFOLDER">
<Component><File Source="a.txt"/></Component></ComponentGroup><PropertyRef Id="B"/><Property Id="A" Value="a"/></Fragment>
<Fragment><Property Id="B" Value="b"/><PropertyRef Id="A"/></Fragment></Wix>"#;
        let c = build(&[("p.wxs", PACKAGE), ("f.wxs", frags)]).unwrap();
        assert!(has_row(&c, "Property", "A") && has_row(&c, "Property", "B"));
    }

    #[test]
    fn component_group_cycles_are_one_located_error() {
        let frags = r#"<Wix xmlns="{V4}"><Fragment><ComponentGroup Id="G" Directory="INSTALLFOLDER">
<Component><File Source="a.txt"/></Component><ComponentGroupRef Id="H"/></ComponentGroup>
<ComponentGroup Id="H"><ComponentGroupRef Id="G"/></ComponentGroup></Fragment></Wix>"#;
        let e = build(&[("p.wxs", PACKAGE), ("f.wxs", frags)])
            .expect_err("a group cycle is an error")
            .to_string();
        assert!(e.contains("f.wxs:"), "{e}");
    }

    use crate::test_support::lines as rows;

    #[test]
    fn feature_display_counts_per_list_of_siblings() {
        // Compiler.cs ParseFeatureElement; MsiQueryFixture.PopulatesFeatureTableWithParent.
        let package = PACKAGE.replace(
            r#"<Feature Id="F"><ComponentGroupRef Id="G"/></Feature>"#,
            r#"<Feature Id="F"><ComponentGroupRef Id="G"/><Feature Id="C1"/><Feature Id="C2" Display="expand"/></Feature><Feature Id="S"/>"#,
        );
        let g = r#"<Wix xmlns="{V4}"><Fragment><ComponentGroup Id="G" Directory="INSTALLFOLDER">
<Component><File Source="a.txt"/></Component></ComponentGroup></Fragment></Wix>"#;
        let c = build(&[("p.wxs", &package), ("g.wxs", g)]).unwrap();
        let display: Vec<(String, String)> = rows(&c, "Feature")
            .iter()
            .map(|r| {
                let v: Vec<&str> = r.split('\t').collect();
                (v[0].to_string(), v[4].to_string())
            })
            .collect();
        for (f, d) in [("F", "2"), ("C1", "2"), ("C2", "3"), ("S", "4")] {
            assert!(display.contains(&(f.into(), d.into())), "{display:?}");
        }
    }

    #[test]
    fn v4_major_upgrade_rows_carry_the_package_language() {
        // Compiler.cs ParseMajorUpgradeElement: Language = the package's unless IgnoreLanguage.
        let g = r#"<Wix xmlns="{V4}"><Fragment><ComponentGroup Id="G" Directory="INSTALLFOLDER">
<Component><File Source="a.txt"/></Component></ComponentGroup></Fragment></Wix>"#;
        let package = PACKAGE
            .replace("<Package ", "<Package Language=\"1033\" ")
            .replace(
                "<Feature ",
                "<MajorUpgrade DowngradeErrorMessage=\"no\"/><Feature ",
            );
        let c = build(&[("p.wxs", &package), ("g.wxs", g)]).unwrap();
        let up = rows(&c, "Upgrade");
        assert!(
            up.iter().all(|r| r.split('\t').nth(3) == Some("1033")),
            "{up:?}"
        );
        let ignoring = package.replace("<MajorUpgrade ", "<MajorUpgrade IgnoreLanguage=\"yes\" ");
        let c = build(&[("p.wxs", &ignoring), ("g.wxs", g)]).unwrap();
        let up = rows(&c, "Upgrade");
        assert!(
            up.iter().all(|r| r.split('\t').nth(3) == Some("")),
            "{up:?}"
        );
    }
}
