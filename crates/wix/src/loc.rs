//! Localization files (`.wxl`): reading `WixLocalization` documents and choosing the
//! strings of the requested cultures.
//!
//! Semantics follow WiX v4+ `WixToolset.Core/LocalizationParser.cs` (root
//! `WixLocalization` with `Culture`, `Codepage`, `SummaryInformationCodepage`, `Language`;
//! `String` with `Id`, `Value` (v3: the text), `Overridable`, `Localizable`; a duplicate
//! non-overridable `String` in one culture is an error) and the culture fallback of
//! `Localizer`/`LayoutCreator`: the cultures are tried in the order given, then
//! culture-neutral files. `UI` (dialog localization) is not supported and is reported.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Location, Result, WixError};
use crate::preprocess;

const WXL_V3: &str = "http://schemas.microsoft.com/wix/2006/localization";
const WXL_V4: &str = "http://wixtoolset.org/schemas/v4/wxl";

/// One parsed `.wxl` file.
#[derive(Clone, Debug)]
pub struct Localization {
    /// `Culture`, lower-cased; empty for a culture-neutral file.
    pub culture: String,
    pub codepage: Option<String>,
    pub language: Option<String>,
    /// Id → (value, overridable, location), in file order.
    pub strings: BTreeMap<String, (String, bool, Location)>,
}

/// Reads (and preprocesses, as WiX does) one `.wxl` file.
pub fn read(path: &Path, opts: &preprocess::Options) -> Result<Localization> {
    let pp = preprocess::preprocess_file(path, opts)?;
    let doc = parse(&pp)?;
    let at = |n: roxmltree::Node| pp.location(doc.text_pos_at(n.range().start).row);
    let root = doc.root_element();
    check_root(root, at(root))?;
    let mut loc = root_attributes(root, at(root))?;
    for el in root.children().filter(|n| n.is_element()) {
        let here = at(el);
        match el.tag_name().name() {
            "String" => add_string(&mut loc, el, here)?,
            "UI" => {
                return Err(WixError::new(
                    here,
                    "UI: localized dialog and control text is not supported by svcpack's \
                     compiler (it builds no authored dialogs)",
                ))
            }
            other => {
                return Err(WixError::new(
                    here,
                    format!("element `{other}` is not supported inside `WixLocalization`"),
                ))
            }
        }
    }
    Ok(loc)
}

fn parse(pp: &preprocess::Preprocessed) -> Result<roxmltree::Document<'_>> {
    roxmltree::Document::parse_with_options(
        &pp.text,
        roxmltree::ParsingOptions {
            allow_dtd: false,
            ..Default::default()
        },
    )
    .map_err(|e| {
        WixError::new(
            pp.location(e.pos().row),
            format!("XML syntax error in localization file: {e}"),
        )
    })
}

fn check_root(root: roxmltree::Node, here: Location) -> Result<()> {
    let ns = root.tag_name().namespace().unwrap_or("");
    if root.tag_name().name() != "WixLocalization" || !(ns == WXL_V3 || ns == WXL_V4) {
        return Err(WixError::new(
            here,
            format!(
                "a localization file's root must be `WixLocalization` in namespace `{WXL_V4}` \
                 (v4) or `{WXL_V3}` (v3), found `{}`",
                root.tag_name().name()
            ),
        ));
    }
    Ok(())
}

/// The file's culture, codepage and language, with no strings yet.
fn root_attributes(root: roxmltree::Node, here: Location) -> Result<Localization> {
    let mut loc = Localization {
        culture: String::new(),
        codepage: None,
        language: None,
        strings: BTreeMap::new(),
    };
    for a in root.attributes() {
        match a.name() {
            "Culture" => loc.culture = a.value().to_ascii_lowercase(),
            "Codepage" => loc.codepage = Some(a.value().to_string()),
            "Language" => loc.language = Some(a.value().to_string()),
            "SummaryInformationCodepage" | "ExtensionDefaultCulture" => {}
            other => {
                return Err(WixError::new(
                    here,
                    format!(
                        "unknown attribute `{other}` on element `WixLocalization` (allowed: \
                         Codepage, Culture, Language, SummaryInformationCodepage)"
                    ),
                ))
            }
        }
    }
    Ok(loc)
}

/// A `String` element's attributes.
struct StringAttrs {
    id: Option<String>,
    value: Option<String>,
    overridable: bool,
}

impl StringAttrs {
    fn read(el: roxmltree::Node, here: &Location) -> Result<Self> {
        let mut attrs = StringAttrs {
            id: None,
            value: None,
            overridable: false,
        };
        for a in el.attributes() {
            match a.name() {
                "Id" => attrs.id = Some(a.value().to_string()),
                "Value" => attrs.value = Some(a.value().to_string()),
                "Overridable" => attrs.overridable = matches!(a.value(), "yes" | "true"),
                "Localizable" => {}
                other => {
                    return Err(WixError::new(
                        here.clone(),
                        format!(
                            "unknown attribute `{other}` on element `String` (allowed: \
                             Id, Localizable, Overridable, Value)"
                        ),
                    ))
                }
            }
        }
        Ok(attrs)
    }
}

/// Adds a `String` unless an earlier non-overridable one of the same id stays.
fn add_string(loc: &mut Localization, el: roxmltree::Node, here: Location) -> Result<()> {
    let StringAttrs {
        id,
        value,
        overridable,
    } = StringAttrs::read(el, &here)?;
    let Some(id) = id.filter(|i| !i.is_empty()) else {
        return Err(WixError::new(
            here,
            "String: missing required attribute `Id`",
        ));
    };
    let value = value.unwrap_or_else(|| el.children().filter_map(|c| c.text()).collect::<String>());
    if let Some((_, false, first)) = loc.strings.get(&id) {
        if !overridable {
            return Err(WixError::new(
                here,
                format!("duplicate localization String `{id}`; it is already defined at {first}"),
            ));
        }
        return Ok(());
    }
    loc.strings.insert(id, (value, overridable, here));
    Ok(())
}

/// The strings of `cultures` (tried in order, then culture-neutral files); with no cultures,
/// the culture-neutral files, or, when every file names a culture, the first file's culture.
/// Within one culture a non-overridable string beats an overridable one; across cultures
/// the earlier culture wins. Also returns the first chosen file's Codepage.
pub fn select(
    files: &[Localization],
    cultures: &[String],
) -> (BTreeMap<String, String>, Option<String>) {
    let mut order: Vec<String> = cultures.iter().map(|c| c.to_ascii_lowercase()).collect();
    if order.is_empty() {
        if let Some(f) = files.iter().find(|f| !f.culture.is_empty()) {
            if files.iter().all(|f| !f.culture.is_empty()) {
                order.push(f.culture.clone());
            }
        }
    }
    order.push(String::new());
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    let mut codepage = None;
    for culture in &order {
        let mut layer: BTreeMap<&str, (&str, bool)> = BTreeMap::new();
        for f in files.iter().filter(|f| &f.culture == culture) {
            if codepage.is_none() {
                codepage = f.codepage.clone();
            }
            for (id, (v, overridable, _)) in &f.strings {
                match layer.get(id.as_str()) {
                    Some((_, false)) => {}
                    Some((_, true)) if *overridable => {}
                    _ => {
                        layer.insert(id, (v, *overridable));
                    }
                }
            }
        }
        for (id, (v, _)) in layer {
            out.entry(id.to_string()).or_insert_with(|| v.to_string());
        }
    }
    (out, codepage)
}

/// Reads every `-loc` file.
pub fn read_all(paths: &[PathBuf], opts: &preprocess::Options) -> Result<Vec<Localization>> {
    paths.iter().map(|p| read(p, opts)).collect()
}

/// Localization and WiX variables end to end, against WiX's LanguageFixture and
/// WixVariableFixture behaviour.
#[cfg(test)]
mod tests {
    use crate::model::Val;
    use crate::{compile, CompileOptions, Compiled};

    const V4: &str = "http://wixtoolset.org/schemas/v4/wxs";

    fn package(extra: &str) -> String {
        format!(
            r#"<Wix xmlns="{V4}"><Package Name="!(loc.Name)" Language="!(loc.Lang)" Manufacturer="M" Version="1.0" UpgradeCode="9D1B8F0C-6E2A-4B57-8C33-0F4E5A6B7C82">
<StandardDirectory Id="ProgramFiles6432Folder"><Directory Id="INSTALLFOLDER" Name="T">
<Component Id="C"><File Id="F" Source="a.txt"/></Component></Directory></StandardDirectory>
<Feature Id="Feat"><ComponentRef Id="C"/></Feature>
{extra}
</Package></Wix>"#
        )
    }

    fn wxl(culture: &str, strings: &[(&str, &str)]) -> String {
        let mut s = format!(
            "<WixLocalization xmlns=\"http://wixtoolset.org/schemas/v4/wxl\" Culture=\"{culture}\">"
        );
        for (k, v) in strings {
            s.push_str(&format!("<String Id=\"{k}\" Value=\"{v}\"/>"));
        }
        s + "</WixLocalization>"
    }

    fn build(source: &str, wxls: &[&str], cultures: &[&str]) -> crate::Result<Compiled> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), "a").unwrap();
        let path = dir.path().join("t.wxs");
        std::fs::write(&path, source).unwrap();
        let mut opts = CompileOptions::new("x64");
        opts.current_dir = dir.path().to_path_buf();
        opts.threads = 1;
        for (i, w) in wxls.iter().enumerate() {
            let p = dir.path().join(format!("l{i}.wxl"));
            std::fs::write(&p, w).unwrap();
            opts.loc_files.push(p);
        }
        opts.cultures = cultures.iter().map(|c| c.to_string()).collect();
        compile(&[path], &opts)
    }

    fn prop(c: &Compiled, id: &str) -> Option<String> {
        c.database
            .tables
            .get("Property")?
            .iter()
            .find_map(|(v, _)| {
                (v[0].as_str() == Some(id)).then(|| match &v[1] {
                    Val::Str(s) => s.clone(),
                    other => format!("{other:?}"),
                })
            })
    }

    fn err(r: crate::Result<Compiled>) -> String {
        match r {
            Ok(_) => panic!("expected an error"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn loc_strings_follow_the_culture_order() {
        let en = wxl("en-US", &[("Name", "English"), ("Lang", "1033")]);
        let de = wxl("de-DE", &[("Name", "Deutsch"), ("Lang", "1031")]);
        let neutral = wxl("", &[("Extra", "n")]);
        let src = package(r#"<Property Id="X" Value="[!(loc.Extra)]"/>"#);
        let c = build(&src, &[&en, &de, &neutral], &["de-DE", "en-US"]).unwrap();
        assert_eq!(prop(&c, "ProductName").as_deref(), Some("Deutsch"));
        assert_eq!(prop(&c, "ProductLanguage").as_deref(), Some("1031"));
        assert_eq!(prop(&c, "X").as_deref(), Some("[n]"));
        // A culture missing a string falls back to the next one.
        let partial = wxl("fr-FR", &[("Name", "Francais")]);
        let c = build(&src, &[&en, &partial, &neutral], &["fr-FR", "en-US"]).unwrap();
        assert_eq!(prop(&c, "ProductName").as_deref(), Some("Francais"));
        assert_eq!(prop(&c, "ProductLanguage").as_deref(), Some("1033"));
    }

    #[test]
    fn unresolved_references_are_located_errors_never_literal_output() {
        let src = package("");
        // No .wxl: `!(loc.Lang)` used to be written literally.
        let e = err(build(&src, &[], &[]));
        assert!(e.contains("t.wxs:1:") && e.contains("!(loc."), "{e}");
        let e = err(build(&src, &["<WixLocalization"], &[]));
        assert!(e.contains("l0.wxl:1:"), "{e}");
        let e = err(build(&src, &["<Wrong xmlns=\"urn:x\"/>"], &[]));
        assert!(e.contains("WixLocalization"), "{e}");
        let e = err(build(
            &src,
            &["<WixLocalization xmlns=\"http://wixtoolset.org/schemas/v4/wxl\"><String Id=\"Name\" Value=\"a\" Bogus=\"1\"/></WixLocalization>"],
            &[],
        ));
        assert!(e.contains("Bogus"), "{e}");
    }

    #[test]
    fn wix_and_bind_variables() {
        let strings = wxl("", &[("Name", "N"), ("Lang", "1033")]);
        let src = package(
            r#"<WixVariable Id="Greeting" Value="hi"/>
<Property Id="A" Value="!(wix.Greeting) !(wix.Other=dflt)"/>
<Property Id="B" Value="v!(bind.property.ProductVersion)"/>
<Property Id="C" Value="!!(wix.Literal)"/>"#,
        );
        let c = build(&src, &[&strings], &[]).unwrap();
        assert_eq!(prop(&c, "A").as_deref(), Some("hi dflt"));
        assert_eq!(prop(&c, "B").as_deref(), Some("v1.0"));
        assert_eq!(prop(&c, "C").as_deref(), Some("!(wix.Literal)"));
        let e = err(build(
            &package(r#"<Property Id="A" Value="!(wix.Undefined)"/>"#),
            &[&strings],
            &[],
        ));
        assert!(e.contains("t.wxs:5:") && e.contains("wix.Undefined"), "{e}");
        let e = err(build(
            &package(r#"<Property Id="A" Value="!(bind.assemblyVersion.F)"/>"#),
            &[&strings],
            &[],
        ));
        assert!(
            e.contains("Property.Value of row `A`") && e.contains("not support"),
            "{e}"
        );
    }

    #[test]
    fn a_wixui_string_no_wxl_defines_names_the_ui_extension_unless_another_extension_comes_first() {
        let strings = wxl("", &[("Name", "N"), ("Lang", "1033")]);
        // An authored dialog beside WixUI names WixUI's own strings.
        let dialog = r#"<UI><ui:WixUI Id="WixUI_Minimal" xmlns:ui="http://wixtoolset.org/schemas/v4/wxs/ui"/>
<Dialog Id="D" Width="370" Height="270" Title="T"><Control Id="Next" Type="PushButton" X="1" Y="1" Width="56" Height="17" Text="!(loc.WixUINext)"/></Dialog></UI>"#;
        let e = err(build(&package(dialog), &[&strings], &[]));
        assert!(
            e.contains("t.wxs:6:") && e.contains("`!(loc.WixUINext)` needs WixToolset.UI.wixext"),
            "{e}"
        );
        // An extension needed earlier in the source is the one reported.
        let earlier = format!(
            r#"<CustomActionRef Id="WixBroadcastEnvironmentChange"/>
{dialog}"#
        );
        let e = err(build(&package(&earlier), &[&strings], &[]));
        assert!(
            e.contains("t.wxs:5:") && e.contains("CustomAction `WixBroadcastEnvironmentChange`"),
            "{e}"
        );
        // Without WixUI an undefined string stays the plain localization error.
        let plain = r#"<Property Id="A" Value="!(loc.WixUINext)"/>"#;
        let e = err(build(&package(plain), &[&strings], &[]));
        assert!(e.contains("no selected .wxl file"), "{e}");
    }
}
