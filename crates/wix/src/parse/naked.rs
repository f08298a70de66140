//! WiX v4+'s files outside a Component: a naked `File` (each gets a component of its own,
//! named after the file, with the file as key path) and `Files` (a wildcard harvest,
//! expanded by [`super::harvest`] once every source is parsed). Both may sit under a
//! Directory, DirectoryRef, StandardDirectory, ComponentGroup, Feature, FeatureRef,
//! FeatureGroup, Fragment or Package (Compiler.cs ParseNakedFileElement,
//! ParseFilesElement).

use super::component::Comp;
use super::component::Ctx;
use super::file::{file, file_name_of};
use super::{subdirectory, Attrs, Parser};
use crate::error::{Result, WixError};
use crate::model::{ComponentDef, GuidSpec, HarvestDef, KeyPath, Member, Membership};
use crate::xml::Element;

/// WiX's default directory for files and components that name none: INSTALLFOLDER,
/// which the linker provides when no source defines it.
const DEFAULT_DIRECTORY: &str = "INSTALLFOLDER";

/// A naked `File`: its own component (id = the file's id, Guid="*", KeyPath = the file,
/// `Condition` and `Bitness` from the File), in `ctx.parent` if any.
pub fn naked_file(p: &mut Parser, el: &Element, ctx: &Ctx) -> Result<()> {
    // The component attributes a naked File carries; the rest are the File's own.
    let mut a = Attrs::new(el);
    let win64 = match a.choice("Bitness", &["default", "always32", "always64"])? {
        Some("always32") => false,
        Some("always64") => true,
        _ => p.is_64bit(),
    };
    let condition = a.opt("Condition").map(str::to_string);
    let dir_attr = a.id("Directory")?;
    let subdir = a.opt("Subdirectory").map(str::to_string);
    let id_attr = a.id("Id")?;
    let mut directory = match dir_attr {
        Some(d) => {
            p.sec().reference("Directory", d.clone(), &el.loc);
            d
        }
        None => match &ctx.directory {
            Some(d) => d.clone(),
            None => {
                p.sec().reference("Directory", DEFAULT_DIRECTORY, &el.loc);
                DEFAULT_DIRECTORY.to_string()
            }
        },
    };
    if let Some(sd) = subdir {
        let sd = subdirectory::canonical_relative(&sd, "File", "Subdirectory", &el.loc)?;
        let dialect = p.dialect;
        directory = subdirectory::inline_directory(p.sec(), dialect, &directory, &sd, &el.loc);
    }
    let name = file_name_of(el)
        .or_else(|| el.attr("ShortName").map(str::to_string))
        .ok_or_else(|| WixError::new(el.loc.clone(), "File: needs `Source` or `Name`"))?;
    // Compiler.cs ParseNakedFileElement: `nkf` + hash(directory, name, condition, win64).
    let id = match id_attr {
        Some(id) => id,
        None => {
            let bits = if win64 { "True" } else { "False" };
            p.gen_id(
                "nkf",
                &[
                    Some(&directory),
                    Some(&name),
                    condition.as_deref(),
                    Some(bits),
                ],
            )
        }
    };
    // A naked file's component is generated with Guid="*" (Compiler.cs
    // ParseNakedFileElement).
    let comp = Comp {
        id: id.clone(),
        directory: directory.clone(),
        win64,
        auto_guid: true,
    };
    let file_ctx = Ctx {
        directory: Some(directory.clone()),
        disk_id: None,
        parent: None,
        file_source: ctx.file_source.clone(),
    };
    file(p, el, &comp, &file_ctx, None, Some(&id))?;
    let dialect = p.dialect;
    let sec = p.sec();
    if let Some(parent) = &ctx.parent {
        sec.memberships.push(Membership {
            parent: parent.clone(),
            member: Member::Component(id.clone()),
            loc: el.loc.clone(),
        });
    }
    sec.components.push(ComponentDef {
        id: id.clone(),
        directory,
        guid: GuidSpec::Auto,
        attributes: if win64 { 0x100 } else { 0 },
        condition,
        explicit_key: Some(KeyPath::File(id)),
        default_key: None,
        disk_id: None,
        dialect,
        loc: el.loc.clone(),
    });
    Ok(())
}

/// A `Files` element: recorded for harvesting, into `Directory`/`Subdirectory`, the
/// enclosing directory, or INSTALLFOLDER.
pub fn files(p: &mut Parser, el: &Element, ctx: &Ctx) -> Result<()> {
    let mut a = Attrs::new(el);
    let dir_attr = a.id("Directory")?;
    let subdir = a.opt("Subdirectory").map(str::to_string);
    let include = a.opt("Include").map(str::to_string);
    a.finish()?;
    let split = |v: &str| -> Vec<String> {
        v.split(';')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    };
    let inclusions = include.as_deref().map(split).unwrap_or_default();
    if inclusions.is_empty() {
        return Err(
            a.err("missing required attribute `Include` (the files to harvest, e.g. `bin\\**`)")
        );
    }
    let mut exclusions = Vec::new();
    for child in &el.children {
        if child.ns.is_util() || child.name != "Exclude" {
            return Err(super::unexpected(el, child));
        }
        let mut ca = Attrs::new(child);
        let pattern = ca.req("Files")?.to_string();
        ca.finish()?;
        super::no_children(child)?;
        exclusions.push(pattern);
    }
    let directory = match dir_attr {
        Some(d) => {
            p.sec().reference("Directory", d.clone(), &el.loc);
            Some(d)
        }
        None => ctx.directory.clone(),
    };
    // As in ParseFilesElement, `Subdirectory` applies only below a known directory: with
    // none, the files go to INSTALLFOLDER itself.
    let directory = match directory {
        None => {
            p.sec().reference("Directory", DEFAULT_DIRECTORY, &el.loc);
            DEFAULT_DIRECTORY.to_string()
        }
        Some(d) => match subdir {
            Some(sd) => {
                let sd = subdirectory::canonical_relative(&sd, "Files", "Subdirectory", &el.loc)?;
                let dialect = p.dialect;
                subdirectory::inline_directory(p.sec(), dialect, &d, &sd, &el.loc)
            }
            None => d,
        },
    };
    let source_path = Some(ctx.file_source.clone()).filter(|s| !s.is_empty());
    p.sec().harvests.push(HarvestDef {
        directory,
        inclusions,
        exclusions,
        parent: ctx.parent.clone(),
        source_path,
        loc: el.loc.clone(),
    });
    Ok(())
}

/// The context of a `File`/`Files` directly under a feature, feature group or component
/// group, or (no parent) under a Package or Fragment.
pub fn in_parent(parent: Option<Member>) -> Ctx {
    Ctx {
        parent,
        ..Ctx::default()
    }
}

/// Naked files and harvesting end to end, against WiX v6's rows for the same authoring.
#[cfg(test)]
mod tests {
    use crate::{compile, CompileOptions, Compiled};

    fn build(body: &str) -> (crate::Result<Compiled>, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), "a").unwrap();
        std::fs::create_dir_all(dir.path().join("data/sub/deeper")).unwrap();
        for f in [
            "data/x.txt",
            "data/y.dat",
            "data/sub/z.txt",
            "data/sub/deeper/w.txt",
        ] {
            std::fs::write(dir.path().join(f), f).unwrap();
        }
        let path = dir.path().join("t.wxs");
        std::fs::write(
            &path,
            format!(
                r#"<Wix xmlns="http://wixtoolset.org/schemas/v4/wxs"><Package Name="P" Manufacturer="M" Version="1.0" UpgradeCode="9D1B8F0C-6E2A-4B57-8C33-0F4E5A6B7C82">{body}</Package></Wix>"#
            ),
        )
        .unwrap();
        let mut opts = CompileOptions::new("x86");
        opts.current_dir = dir.path().to_path_buf();
        opts.threads = 1;
        (compile(&[path], &opts), dir)
    }

    /// The rows of `table`, sorted.
    fn rows(c: &Compiled, table: &str) -> Vec<Vec<String>> {
        let mut out = crate::test_support::rows(c, table);
        out.sort();
        out
    }

    #[test]
    fn a_naked_file_gets_its_own_component_in_the_default_install_folder() {
        let (c, _dir) = build(r#"<File Source="a.txt" Condition="X" Subdirectory="docs\en" />"#);
        let c = c.unwrap();
        let comps = rows(&c, "Component");
        assert_eq!(comps.len(), 1, "{comps:?}");
        let (id, dir) = (&comps[0][0], &comps[0][2]);
        assert!(id.starts_with("nkf"), "{id}");
        assert_eq!(comps[0][3], "0");
        assert_eq!(comps[0][4], "X");
        assert_eq!(&comps[0][5], id);
        assert_eq!(rows(&c, "File")[0][1], *id);
        // docs\en below INSTALLFOLDER: `en` under an implied `docs`, which is under the
        // default INSTALLFOLDER in ProgramFiles6432Folder (ProgramFilesFolder on x86).
        let dirs = rows(&c, "Directory");
        let en = dirs.iter().find(|d| &d[0] == dir).unwrap();
        assert_eq!(en[2], "en");
        let docs = dirs.iter().find(|d| d[0] == en[1]).unwrap();
        assert_eq!(
            (docs[1].as_str(), docs[2].as_str()),
            ("INSTALLFOLDER", "docs")
        );
        let pf = dirs
            .iter()
            .find(|d| d[0] == "ProgramFiles6432Folder")
            .unwrap();
        assert_eq!(
            (pf[1].as_str(), pf[2].as_str()),
            ("ProgramFilesFolder", ".")
        );
        assert_eq!(
            rows(&c, "FeatureComponents"),
            [["WixDefaultFeature".to_string(), id.clone()]]
        );
    }

    #[test]
    fn files_harvest_subfolders_into_subdirectories() {
        let (c, _dir) = build(r#"<Files Include="data\**"><Exclude Files="data\*.dat" /></Files>"#);
        let c = c.unwrap();
        let files = rows(&c, "File");
        let mut names: Vec<&str> = files.iter().map(|f| f[2].as_str()).collect();
        names.sort();
        assert_eq!(names, ["w.txt", "x.txt", "z.txt"]);
        assert!(files
            .iter()
            .all(|f| f[0].starts_with("fls") && f[0] == f[1]));
        // sub\deeper is one directory symbol split into `sub` and `deeper`; `sub` itself
        // is another symbol with the same name (WiX hashes them differently).
        let dirs = rows(&c, "Directory");
        let deeper = dirs.iter().find(|d| d[2] == "deeper").unwrap();
        let parent = dirs.iter().find(|d| d[0] == deeper[1]).unwrap();
        assert_eq!(
            (parent[1].as_str(), parent[2].as_str()),
            ("INSTALLFOLDER", "sub")
        );
        assert_eq!(dirs.iter().filter(|d| d[2] == "sub").count(), 2);
    }

    #[test]
    fn bad_files_authoring_is_one_located_error_and_a_missing_folder_a_warning() {
        let (r, _dir) = build(r#"<Files />"#);
        let e = r.expect_err("Files needs Include");
        assert!(e.message.contains("Include") && e.location.line > 0, "{e}");
        let (r, _dir) = build(r#"<Files Include="a.txt"><Bad/></Files>"#);
        assert!(r.is_err());
        let (r, _dir) = build(r#"<File Source="a.txt" Subdirectory="a:b" />"#);
        assert!(r
            .expect_err("bad subdirectory")
            .message
            .contains("Subdirectory"));
        let (r, _dir) = build(r#"<Files Include="missing\*" />"#);
        let c = r.unwrap();
        assert!(
            c.warnings
                .iter()
                .any(|w| w.message.contains("Missing directory")),
            "{:?}",
            c.warnings
        );
    }
}
