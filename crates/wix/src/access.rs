//! Access modifiers in WiX v4+ identifiers (`Id="virtual X"`, `override X`, `public X`,
//! `internal X`, `protected X`, `private X` and their newer spellings): stripping them from
//! the element tree, and resolving what they mean between sections before linking —
//! a virtual symbol replaced by its override, and symbols private to their section or file.
//!
//! Semantics follow WiX v6: the prefixes are those of `ParseHelper.GetAttributeIdentifier`
//! (`src/wix/WixToolset.Core/ExtensibilityServices/ParseHelper.cs`); conflicts between
//! referenced definitions are resolved as in
//! `src/wix/WixToolset.Core/Link/ProcessConflictingSymbolsCommand.cs` (one virtual and one
//! override: the override wins; two virtuals, two overrides, or a virtual next to a plain
//! definition: errors; an override without a virtual: an error), and visibility as in
//! `ResolveReferencesCommand.cs` (`AccessModifier.Section`/`File`).

use std::collections::{BTreeMap, BTreeSet};

use super::error::{Location, Result, WixError};
use super::model::{Section, SectionKind};
use super::xml::{Dialect, Element};

/// What an access modifier allows (WixToolset.Data `AccessModifier`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// `public`, `global`, `package` (the default).
    Global,
    /// `internal`, `library`: visible to the same library; without libraries, like global.
    Library,
    /// `protected`, `file`: visible to sections of the same source file.
    File,
    /// `private`, `fragment`, `section`: visible only to its own section.
    Section,
    Virtual,
    Override,
}

impl Access {
    fn from_prefix(prefix: &str) -> Option<Access> {
        Some(match prefix {
            "global" | "public" | "package" => Access::Global,
            "internal" | "library" => Access::Library,
            "file" | "protected" => Access::File,
            "private" | "fragment" | "section" => Access::Section,
            "virtual" => Access::Virtual,
            "override" => Access::Override,
            _ => return None,
        })
    }
}

/// One identifier that carried an access modifier: the element's location, the bare id.
#[derive(Clone, Debug)]
pub struct AccessDecl {
    pub loc: Location,
    pub id: String,
    pub access: Access,
}

/// Strips access modifiers from the `Id` of every defining element of a v4+ document
/// (references, `…Ref` elements, take none: a prefix there stays and is reported as an
/// illegal identifier by the parser), returning every defining `Id` with its access
/// (`Global` where none was written): definitions are matched to these by line, and a
/// plain definition beside a modified one on the same line must keep its own.
pub fn strip_modifiers(root: &mut Element) -> Vec<AccessDecl> {
    let mut out = Vec::new();
    if root.ns.dialect() == Dialect::V4 {
        strip(root, &mut out);
    }
    out
}

fn strip(el: &mut Element, out: &mut Vec<AccessDecl>) {
    if !el.name.ends_with("Ref") {
        if let Some(attr) = el.attrs.iter_mut().find(|a| a.name == "Id") {
            let modified = attr
                .value
                .split_once(' ')
                .and_then(|(prefix, rest)| Some((Access::from_prefix(prefix)?, rest.trim())));
            let (access, id) = match modified {
                Some((access, id)) => (access, id.to_string()),
                None => (Access::Global, attr.value.clone()),
            };
            attr.value = id.clone();
            out.push(AccessDecl {
                loc: el.loc.clone(),
                id,
                access,
            });
        }
    }
    for c in &mut el.children {
        strip(c, out);
    }
}

/// A symbol: (table or WiX symbol kind, id).
type Key = (&'static str, String);

/// Where a definition lives: section index, the defining element's location, its access.
#[derive(Clone, Debug)]
struct Def {
    section: usize,
    loc: Location,
    access: Access,
    /// Which definition of this symbol on this line (several may share one).
    nth: usize,
}

/// Every definition of a symbol in `s`, with its location.
fn definitions(s: &Section) -> Vec<(Key, Location)> {
    let mut out = Vec::new();
    for r in &s.rows {
        if let Some(id) = r.values.first().and_then(|v| v.as_str()) {
            out.push(((r.table, id.to_string()), r.loc.clone()));
        }
    }
    for c in &s.components {
        out.push((("Component", c.id.clone()), c.loc.clone()));
    }
    for f in &s.files {
        out.push((("File", f.id.clone()), f.loc.clone()));
    }
    for st in &s.streams {
        out.push(((st.table, st.id.clone()), st.loc.clone()));
    }
    for g in &s.groups {
        out.push(((g.table, g.id.clone()), g.loc.clone()));
    }
    out
}

/// Resolves access modifiers across `sections` (all sources of one build): drops the
/// virtual definition an override replaces and the modified definitions of sections the
/// package never references, and reports WiX's conflicts and visibility errors.
pub fn resolve(sections: &mut [Section], decls: &[AccessDecl]) -> Result<()> {
    if decls.iter().all(|d| d.access == Access::Global) {
        return Ok(());
    }
    let defs = modified_definitions(sections, decls);
    if defs.is_empty() {
        return Ok(());
    }
    let Some(entry) = sections.iter().position(|s| s.kind == SectionKind::Package) else {
        return Ok(());
    };
    let included = reached_sections(sections, &defs, entry);
    check_visibility(sections, &defs)?;
    let mut drop = Dropped::new();
    for (key, ds) in &defs {
        drop_unreferenced(key, ds, &included, &mut drop);
        resolve_conflict(key, ds, &included, &mut drop)?;
    }
    remove_dropped(sections, drop);
    Ok(())
}

/// Definitions to remove: (section, location, symbol, which on that line).
type Dropped = BTreeSet<(usize, Location, Key, usize)>;

/// Every definition of each symbol that has at least one definition with a modifier.
fn modified_definitions(sections: &[Section], decls: &[AccessDecl]) -> BTreeMap<Key, Vec<Def>> {
    // Locations are lines, so one line may hold several modified definitions of one id:
    // the n-th definition of a table there takes the n-th modifier, in document order.
    let mut modifiers: BTreeMap<(Location, String), Vec<Access>> = BTreeMap::new();
    for d in decls {
        modifiers
            .entry((d.loc.clone(), d.id.clone()))
            .or_default()
            .push(d.access);
    }
    let mut seen: BTreeMap<(Location, Key), usize> = BTreeMap::new();
    let mut defs: BTreeMap<Key, Vec<Def>> = BTreeMap::new();
    for (i, s) in sections.iter().enumerate() {
        for (key, loc) in definitions(s) {
            let n = seen.entry((loc.clone(), key.clone())).or_default();
            let access = modifiers
                .get(&(loc.clone(), key.1.clone()))
                .and_then(|list| list.get(*n).or(list.last()))
                .copied()
                .unwrap_or(Access::Global);
            let nth = *n;
            *n += 1;
            defs.entry(key).or_default().push(Def {
                section: i,
                loc,
                access,
                nth,
            });
        }
    }
    defs.retain(|_, v| v.iter().any(|d| d.access != Access::Global));
    defs
}

/// The sections the package reaches, a reference to an overridden virtual symbol going
/// to its override (FindEntrySectionAndLoadSymbolsCommand / ResolveReferencesCommand).
fn reached_sections(
    sections: &[Section],
    defs: &BTreeMap<Key, Vec<Def>>,
    entry: usize,
) -> BTreeSet<usize> {
    let mut all: BTreeMap<Key, Vec<usize>> = BTreeMap::new();
    for (i, s) in sections.iter().enumerate() {
        for (key, _) in definitions(s) {
            all.entry(key).or_default().push(i);
        }
    }
    let mut included = BTreeSet::from([entry]);
    let mut queue = vec![entry];
    while let Some(si) = queue.pop() {
        for r in &sections[si].refs {
            let key = (r.table, r.id.clone());
            let targets: Vec<usize> = match defs.get(&key) {
                Some(ds) if ds.iter().any(|d| d.access == Access::Override) => ds
                    .iter()
                    .filter(|d| d.access != Access::Virtual)
                    .map(|d| d.section)
                    .collect(),
                _ => all.get(&key).cloned().unwrap_or_default(),
            };
            for t in targets {
                if included.insert(t) {
                    queue.push(t);
                }
            }
        }
    }
    included
}

/// Visibility: a section- or file-private symbol referenced from elsewhere is an error.
fn check_visibility(sections: &[Section], defs: &BTreeMap<Key, Vec<Def>>) -> Result<()> {
    for (si, s) in sections.iter().enumerate() {
        for r in &s.refs {
            let Some(ds) = defs.get(&(r.table, r.id.clone())) else {
                continue;
            };
            let visible = ds.iter().any(|d| match d.access {
                Access::Section => d.section == si,
                Access::File => sections[d.section].loc.file == s.loc.file,
                _ => true,
            });
            if visible {
                continue;
            }
            let d = &ds[0];
            return Err(WixError::new(
                r.loc.clone(),
                format!(
                    "{} `{}` is defined at {} with an access modifier that makes it visible \
                     only to its own {}",
                    r.table,
                    r.id,
                    d.loc,
                    if d.access == Access::Section {
                        "fragment"
                    } else {
                        "file"
                    }
                ),
            ));
        }
    }
    Ok(())
}

/// Virtual and override definitions in sections the package does not reach are dropped.
fn drop_unreferenced(key: &Key, ds: &[Def], included: &BTreeSet<usize>, drop: &mut Dropped) {
    for d in ds.iter().filter(|d| !included.contains(&d.section)) {
        if matches!(d.access, Access::Virtual | Access::Override) {
            drop.insert((d.section, d.loc.clone(), key.clone(), d.nth));
        }
    }
}

/// Conflicts among referenced definitions (ProcessConflictingSymbolsCommand): one virtual
/// and one override drop the virtual; the other combinations WiX rejects are errors.
fn resolve_conflict(
    key: &Key,
    ds: &[Def],
    included: &BTreeSet<usize>,
    drop: &mut Dropped,
) -> Result<()> {
    let live: Vec<&Def> = ds
        .iter()
        .filter(|d| included.contains(&d.section))
        .collect();
    let with = |access: Access| -> Vec<&Def> {
        live.iter()
            .copied()
            .filter(|d| d.access == access)
            .collect()
    };
    let (virtuals, overrides) = (with(Access::Virtual), with(Access::Override));
    let plain: Vec<&Def> = live
        .iter()
        .copied()
        .filter(|d| !matches!(d.access, Access::Virtual | Access::Override))
        .collect();
    let what = format!("{} `{}`", key.0, key.1);
    let error = |loc: &Location, message: String| Err(WixError::new(loc.clone(), message));
    match (virtuals.as_slice(), overrides.as_slice()) {
        // A virtual in a section nothing references still satisfies the override.
        ([], [o, ..]) if !ds.iter().any(|d| d.access == Access::Virtual) => error(
            &o.loc,
            format!("{what} is an override, but there is no virtual {what} to override"),
        ),
        ([], _) => Ok(()),
        ([v], _) if !plain.is_empty() => error(
            &plain[0].loc,
            format!(
                "{what} is virtual at {}; another definition must say `override`",
                v.loc
            ),
        ),
        ([_], [first, second, ..]) => error(
            &second.loc,
            format!(
                "duplicate override of {what}; the first is at {}",
                first.loc
            ),
        ),
        ([v], [_]) => {
            drop.insert((v.section, v.loc.clone(), key.clone(), v.nth));
            Ok(())
        }
        ([_], []) => Ok(()),
        ([first, second, ..], _) => error(
            &second.loc,
            format!("duplicate virtual {what}; the first is at {}", first.loc),
        ),
    }
}

/// Removes the dropped definitions from their sections.
fn remove_dropped(sections: &mut [Section], drop: Dropped) {
    // Highest first, so removing one does not shift the index of another on its line.
    for (si, loc, (table, id), nth) in drop.into_iter().rev() {
        let s = &mut sections[si];
        let mut count = 0;
        let mut keep = |t: &str, i: &str, l: &Location| {
            if t != table || i != id || *l != loc {
                return true;
            }
            count += 1;
            count - 1 != nth
        };
        s.rows
            .retain(|r| match r.values.first().and_then(|v| v.as_str()) {
                Some(i) => keep(r.table, i, &r.loc),
                None => true,
            });
        s.components.retain(|c| keep("Component", &c.id, &c.loc));
        s.files.retain(|f| keep("File", &f.id, &f.loc));
        s.streams.retain(|st| keep(st.table, &st.id, &st.loc));
        s.groups.retain(|g| keep(g.table, &g.id, &g.loc));
    }
}
