//! Package-level elements: v3 `Product` + `Package`, v4 `Package` and `SummaryInformation`,
//! `Fragment`, and what may appear directly inside them (media, upgrades, properties,
//! launch conditions, variables, icons, binaries).

use super::component::Ctx;
use super::property::{property, simple_ref, stream};
use super::ui;
use super::{actions, condition_text, layout, no_children, unexpected, Attrs, Parser};
use crate::error::{Result, WixError};
use crate::model::{
    Compression, MajorUpgrade, MediaDef, MediaTemplate, PackageInfo, Section, SectionKind, Val,
};
use crate::xml::{Dialect, Element};

/// The default platform token of the summary information template, per architecture.
pub fn platform_token(arch: &str) -> &'static str {
    match arch {
        "x64" => "x64",
        "arm64" => "Arm64",
        _ => "Intel",
    }
}

pub fn product_v3(p: &mut Parser, el: &Element) -> Result<()> {
    let mut a = Attrs::new(el);
    let code = a.guid("Id")?;
    let name = a.req("Name")?.to_string();
    let language = a.req("Language")?.to_string();
    let version = a.req("Version")?.to_string();
    let manufacturer = a.opt("Manufacturer").unwrap_or_default().to_string();
    let upgrade = a.guid("UpgradeCode")?;
    let codepage = a
        .opt("Codepage")
        .map(|c| parse_codepage(c, &a))
        .transpose()?;
    a.finish()?;
    check_version(&version, el, Dialect::V3, true)?;
    let product_code = match code.as_deref() {
        None | Some("*") => None,
        Some("") => {
            return Err(WixError::new(
                el.loc.clone(),
                "Product: `Id` must not be empty; use `*`",
            ))
        }
        Some(g) => Some(g.to_string()),
    };
    let mut info = PackageInfo {
        dialect: Dialect::V3,
        name,
        manufacturer,
        version,
        product_code,
        upgrade_code: upgrade.filter(|u| !u.is_empty() && u != "*"),
        language,
        codepage,
        package_code: None,
        installer_version: 100,
        compressed: false,
        per_machine: None,
        per_user_or_machine: false,
        description: None,
        comments: None,
        keywords: None,
        summary_manufacturer: None,
        summary_codepage: None,
        summary_languages: None,
        platform: None,
        admin_image: false,
        short_names: false,
        loc: el.loc.clone(),
    };
    let pkg = el
        .children
        .iter()
        .find(|c| c.is("Package"))
        .ok_or_else(|| {
            WixError::new(
                el.loc.clone(),
                "Product: missing required child element `Package`",
            )
        })?;
    package_v3(&mut info, pkg)?;
    p.section = Some(Section::new(
        SectionKind::Package,
        Dialect::V3,
        el.loc.clone(),
    ));
    product_properties(p, &info);
    p.sec().package = Some(info);
    for child in &el.children {
        if child.is("Package") {
            continue;
        }
        package_child(p, el, child)?;
    }
    Ok(())
}

/// The v3 `Package` element: summary information and install scope.
fn package_v3(info: &mut PackageInfo, el: &Element) -> Result<()> {
    let mut a = Attrs::new(el);
    let code = a.guid("Id")?;
    info.admin_image = a.flag("AdminImage")?;
    info.comments = a.opt("Comments").map(str::to_string);
    info.compressed = a.flag("Compressed")?;
    info.description = a.opt("Description").map(str::to_string);
    let privileges = a.choice("InstallPrivileges", &["elevated", "limited"])?;
    let scope = a.choice("InstallScope", &["perMachine", "perUser"])?;
    info.installer_version = a
        .int_range("InstallerVersion", 0, i32::MAX as i64)?
        .unwrap_or(100);
    info.keywords = a.opt("Keywords").map(str::to_string);
    let languages = a.opt("Languages").map(str::to_string);
    info.summary_manufacturer = a.opt("Manufacturer").map(str::to_string);
    let platform = a.choice(
        "Platform",
        &["x86", "x64", "intel", "intel64", "ia64", "arm", "arm64"],
    )?;
    info.short_names = a.flag("ShortNames")?;
    info.summary_codepage = a
        .opt("SummaryCodepage")
        .map(|c| parse_codepage(c, &a))
        .transpose()?;
    a.ignore(&["ReadOnly", "Platforms"]);
    a.finish()?;
    no_children(el)?;
    info.package_code = code.filter(|c| c != "*" && !c.is_empty());
    info.per_machine =
        match (scope, privileges) {
            (Some("perMachine"), Some("limited")) => return Err(WixError::new(
                el.loc.clone(),
                "Package: InstallScope=\"perMachine\" conflicts with InstallPrivileges=\"limited\"",
            )),
            (Some("perMachine"), _) => Some(true),
            (Some("perUser"), _) | (None, Some("limited")) => Some(false),
            _ => None,
        };
    info.platform = platform.map(|p| {
        match p {
            "x86" | "intel" => "Intel",
            "x64" => "x64",
            "intel64" | "ia64" => "Intel64",
            "arm" => "Arm",
            _ => "Arm64",
        }
        .to_string()
    });
    info.summary_languages = languages.filter(|l| !l.is_empty());
    Ok(())
}

pub fn package_v4(p: &mut Parser, el: &Element) -> Result<()> {
    let mut a = Attrs::new(el);
    let codepage = a
        .opt("Codepage")
        .map(|c| parse_codepage(c, &a))
        .transpose()?;
    let compressed = a.yesno("Compressed")?.unwrap_or(true);
    let installer_version = a
        .int_range("InstallerVersion", 0, i32::MAX as i64)?
        .unwrap_or(500);
    let language = a.opt("Language").unwrap_or("0").to_string();
    let manufacturer = a.req("Manufacturer")?.to_string();
    let name = a.req("Name")?.to_string();
    let code = a.guid("ProductCode")?;
    let scope = a.choice(
        "Scope",
        &[
            "perMachine",
            "perMachineOrUser",
            "perUser",
            "perUserOrMachine",
        ],
    )?;
    let short_names = a.flag("ShortNames")?;
    let upgrade = a.guid("UpgradeCode")?;
    let strategy = a.choice("UpgradeStrategy", &["majorUpgrade", "none"])?;
    let version = a.req("Version")?.to_string();
    // WiX v6+ `Package/@Id`: the PackageId property and, without an UpgradeCode, a stable
    // upgrade code derived from it (Compiler_Package.cs, ParsePackageElement).
    let package_id = a.id("Id")?;
    a.finish()?;
    let version = super::version::msi_version(p, el, "Version", &version)?;
    let upgrade = match (upgrade, &package_id) {
        (None, Some(id)) => Some(crate::guid::upgrade_code_v6(id)),
        (u, _) => u,
    };
    let mut info = PackageInfo {
        dialect: Dialect::V4,
        name,
        manufacturer,
        version,
        product_code: code.filter(|c| c != "*" && !c.is_empty()),
        upgrade_code: upgrade.filter(|u| !u.is_empty() && u != "*"),
        language,
        codepage,
        package_code: None,
        installer_version,
        compressed,
        per_machine: match scope {
            Some("perUser") => Some(false),
            _ => Some(true),
        },
        per_user_or_machine: matches!(scope, Some("perUserOrMachine") | Some("perMachineOrUser")),
        description: None,
        comments: None,
        keywords: None,
        summary_manufacturer: None,
        summary_codepage: None,
        summary_languages: None,
        platform: None,
        admin_image: false,
        short_names,
        loc: el.loc.clone(),
    };
    for child in el.children.iter().filter(|c| c.is("SummaryInformation")) {
        summary_information(&mut info, child)?;
    }
    p.section = Some(Section::new(
        SectionKind::Package,
        Dialect::V4,
        el.loc.clone(),
    ));
    product_properties(p, &info);
    if let Some(id) = &package_id {
        prop(p.sec(), "PackageId", id, &info.loc);
    }
    match (scope, info.per_user_or_machine) {
        (Some("perUserOrMachine"), _) => {
            prop(p.sec(), "ALLUSERS", "2", &info.loc);
            prop(p.sec(), "MSIINSTALLPERUSER", "1", &info.loc);
        }
        (_, true) => prop(p.sec(), "ALLUSERS", "2", &info.loc),
        (Some("perUser"), _) => {}
        _ => prop(p.sec(), "ALLUSERS", "1", &info.loc),
    }
    let default_upgrade = strategy != Some("none") && info.upgrade_code.is_some();
    p.sec().package = Some(info);
    for child in &el.children {
        if child.is("SummaryInformation") {
            continue;
        }
        package_child(p, el, child)?;
    }
    // WiX v4 conjures a default major upgrade when none is authored (its linker's
    // AddDefaultSymbolsCommand); the lowering adds it when no removing Upgrade row exists.
    if default_upgrade && p.sec().major_upgrade.is_none() {
        p.sec()
            .wix_variables
            .push(("WixDefaultMajorUpgrade".into(), "1".into(), el.loc.clone()));
    }
    Ok(())
}

fn summary_information(info: &mut PackageInfo, el: &Element) -> Result<()> {
    let mut a = Attrs::new(el);
    info.summary_codepage = a
        .opt("Codepage")
        .map(|c| parse_codepage(c, &a))
        .transpose()?;
    // WiX reads these with GetAttributeValue, which rejects empty values
    // (Compiler_Package.cs, ParseSummaryInformationElement).
    info.comments = a.opt_nonempty("Comments")?.map(str::to_string);
    info.description = a.opt_nonempty("Description")?.map(str::to_string);
    info.keywords = a.opt_nonempty("Keywords")?.map(str::to_string);
    info.summary_manufacturer = a.opt_nonempty("Manufacturer")?.map(str::to_string);
    a.finish()?;
    no_children(el)
}

pub fn fragment(p: &mut Parser, el: &Element) -> Result<()> {
    let mut a = Attrs::new(el);
    a.ignore(&["Id"]);
    a.finish()?;
    p.section = Some(Section::new(
        SectionKind::Fragment,
        p.dialect,
        el.loc.clone(),
    ));
    for child in &el.children {
        match child.name.as_str() {
            "MajorUpgrade" if !child.ns.is_util() => {
                return Err(WixError::new(
                    child.loc.clone(),
                    "MajorUpgrade must be authored in the Product/Package, not a Fragment",
                ))
            }
            _ => package_child(p, el, child)?,
        }
    }
    Ok(())
}

/// Properties every product carries (WiX adds them from the Product/Package attributes).
fn product_properties(p: &mut Parser, info: &PackageInfo) {
    let loc = info.loc.clone();
    let sec = p.sec();
    if !info.manufacturer.is_empty() {
        prop(sec, "Manufacturer", &info.manufacturer, &loc);
    }
    // ProductCode "*" is derived during lowering; a placeholder row keeps the definition.
    sec.row(
        "Property",
        &loc,
        vec![
            "ProductCode".into(),
            Val::opt_str(info.product_code.clone()),
        ],
    );
    prop(sec, "ProductLanguage", &info.language, &loc);
    prop(sec, "ProductName", &info.name, &loc);
    prop(sec, "ProductVersion", &info.version, &loc);
    if let Some(u) = &info.upgrade_code {
        prop(sec, "UpgradeCode", u, &loc);
    }
    if info.dialect == Dialect::V3 {
        if let Some(true) = info.per_machine {
            prop(sec, "ALLUSERS", "1", &loc);
        }
    }
}

fn prop(sec: &mut Section, id: &str, value: &str, loc: &crate::Location) {
    sec.row("Property", loc, vec![id.into(), value.into()]);
}

/// Children allowed directly under Product (v3), Package (v4) and Fragment.
pub fn package_child(p: &mut Parser, parent: &Element, el: &Element) -> Result<()> {
    if el.ns == crate::xml::Namespace::Ui4 && el.name == "WixUI" {
        return ui::wixui(p, el);
    }
    if el.ns.is_util() {
        return Err(unexpected(parent, el));
    }
    match el.name.as_str() {
        "Media" => media(p, el),
        "MediaTemplate" => media_template(p, el),
        "MajorUpgrade" => major_upgrade(p, el),
        "Upgrade" => upgrade(p, el),
        "Property" => property(p, el),
        "PropertyRef" => simple_ref(p, el, "Property"),
        "SetProperty" => actions::set_property(p, el),
        "SetDirectory" => actions::set_directory(p, el),
        "Condition" if !p.v4() => launch_condition(p, el),
        "Launch" if p.v4() => launch(p, el),
        "WixVariable" => wix_variable(p, el),
        "CustomTable" => super::custom_table::custom_table(p, el),
        "CustomTableRef" => super::custom_table::custom_table_ref(p, el),
        "EnsureTable" => super::custom_table::ensure_table(p, el),
        "AppId" => super::com::app_id(p, el, None),
        "Icon" => stream(p, el, "Icon"),
        "Binary" => stream(p, el, "Binary"),
        "Directory" => layout::directory(p, el, None, &Ctx::default()),
        "DirectoryRef" => layout::directory_ref(p, el),
        "StandardDirectory" if p.v4() => layout::standard_directory(p, el),
        "Component" => layout::component(p, el, &Ctx::top(el.attr("Directory"))),
        "ComponentGroup" => layout::component_group(p, el),
        "ComponentGroupRef" | "ComponentRef" => layout::package_level_ref(p, el),
        "File" if p.v4() => super::naked::naked_file(p, el, &super::naked::in_parent(None)),
        "Files" if p.v4() => super::naked::files(p, el, &super::naked::in_parent(None)),
        "Feature" => actions::feature(p, el, None),
        "FeatureRef" => actions::feature_ref(p, el, None),
        "FeatureGroup" => actions::feature_group(p, el),
        "FeatureGroupRef" => actions::feature_group_ref(p, el, None),
        "CustomAction" => actions::custom_action(p, el),
        "CustomActionRef" => simple_ref(p, el, "CustomAction"),
        "InstallExecuteSequence"
        | "InstallUISequence"
        | "AdminExecuteSequence"
        | "AdminUISequence"
        | "AdvertiseExecuteSequence" => actions::sequence(p, el),
        "SymbolPath" => Ok(()),
        "UIRef" => ui::ui_ref(p, el),
        "UI" => ui::ui(p, el),
        // v4 authors Publish beside ui:WixUI to customise the WixUI dialogs.
        "Publish" if p.v4() => {
            p.warnings.push(crate::Warning {
                location: el.loc.clone(),
                message: "Publish customises WixUI dialogs, which svcpack's native compiler does not build; ignored".into(),
            });
            Ok(())
        }
        _ => Err(unexpected(parent, el)),
    }
}

fn compression(a: &mut Attrs) -> Result<Compression> {
    Ok(
        match a.choice(
            "CompressionLevel",
            &["high", "low", "medium", "mszip", "none"],
        )? {
            Some("none") => Compression::None,
            Some("low") => Compression::Low,
            Some("medium") => Compression::Medium,
            Some("high") => Compression::High,
            _ => Compression::Mszip,
        },
    )
}

fn media(p: &mut Parser, el: &Element) -> Result<()> {
    let mut a = Attrs::new(el);
    let id = a
        .int_range("Id", 1, 32767)?
        .ok_or_else(|| a.err("missing required attribute `Id`"))?;
    let cabinet = a.opt_nonempty("Cabinet")?.map(str::to_string);
    let compression = compression(&mut a)?;
    let disk_prompt = a.opt("DiskPrompt").map(str::to_string);
    let embed = a.flag("EmbedCab")?;
    let volume_label = a.opt("VolumeLabel").map(str::to_string);
    a.ignore(&["Layout", "src", "Source"]);
    a.finish()?;
    if embed && cabinet.is_none() {
        return Err(WixError::new(
            el.loc.clone(),
            "Media: EmbedCab=\"yes\" needs a `Cabinet` name",
        ));
    }
    if let Some(child) = el.children.first() {
        if !child.is("DigitalSignature") {
            return Err(unexpected(el, child));
        }
        return Err(super::unsupported(
            child,
            "sign the MSI after compiling (svcpack's sign stage does)",
        ));
    }
    p.sec().media.push(MediaDef {
        id,
        cabinet,
        embed,
        disk_prompt,
        volume_label,
        compression,
        loc: el.loc.clone(),
    });
    Ok(())
}

fn media_template(p: &mut Parser, el: &Element) -> Result<()> {
    let mut a = Attrs::new(el);
    let cabinet_template = a
        .opt_nonempty("CabinetTemplate")?
        .unwrap_or("cab{0}.cab")
        .to_string();
    let compression = compression(&mut a)?;
    let embed = a.yesno("EmbedCab")?.unwrap_or(p.v4());
    let max_uncompressed_mb = a.int_range("MaximumUncompressedMediaSize", 1, i32::MAX as i64)?;
    // A file larger than MaximumUncompressedMediaSize gets a cabinet of its own, and every
    // file fits one cabinet (File.FileSize is at most 2 GiB), so WiX's splitting of one
    // file across cabinets is never needed; the value is still checked as WiX checks it.
    a.int_range("MaximumCabinetSizeForLargeFileSplitting", 20, 2048)?;
    a.ignore(&["DiskPrompt", "VolumeLabel"]);
    a.finish()?;
    no_children(el)?;
    if !cabinet_template.contains("{0}") {
        return Err(WixError::new(
            el.loc.clone(),
            "MediaTemplate: `CabinetTemplate` must contain `{0}`",
        ));
    }
    if p.sec().media_template.is_some() {
        return Err(WixError::new(
            el.loc.clone(),
            "MediaTemplate: only one MediaTemplate is allowed",
        ));
    }
    p.sec().media_template = Some(MediaTemplate {
        cabinet_template,
        embed,
        compression,
        max_uncompressed_mb,
        loc: el.loc.clone(),
    });
    Ok(())
}

fn major_upgrade(p: &mut Parser, el: &Element) -> Result<()> {
    let mut a = Attrs::new(el);
    let allow_downgrades = a.flag("AllowDowngrades")?;
    let allow_same_version = a.flag("AllowSameVersionUpgrades")?;
    let disallow = a.flag("Disallow")?;
    let disallow_message = a.opt("DisallowUpgradeErrorMessage").map(str::to_string);
    let downgrade_message = a.opt("DowngradeErrorMessage").map(str::to_string);
    let ignore_remove_failure = a.flag("IgnoreRemoveFailure")?;
    let migrate_features = a.yesno("MigrateFeatures")?.unwrap_or(true);
    let remove_features = a.opt("RemoveFeatures").map(str::to_string);
    let schedule = a
        .choice(
            "Schedule",
            &[
                "afterInstallValidate",
                "afterInstallInitialize",
                "afterInstallExecute",
                "afterInstallExecuteAgain",
                "afterInstallFinalize",
            ],
        )?
        .unwrap_or("afterInstallValidate")
        .to_string();
    let ignore_language = a.flag("IgnoreLanguage")?;
    a.finish()?;
    no_children(el)?;
    let v3 = !p.v4();
    if !allow_downgrades && downgrade_message.is_none() && v3 {
        return Err(WixError::new(
            el.loc.clone(),
            "MajorUpgrade: `DowngradeErrorMessage` is required unless AllowDowngrades=\"yes\"",
        ));
    }
    if allow_downgrades && downgrade_message.is_some() {
        return Err(WixError::new(
            el.loc.clone(),
            "MajorUpgrade: `DowngradeErrorMessage` cannot be used with AllowDowngrades=\"yes\"",
        ));
    }
    if allow_downgrades && allow_same_version {
        return Err(WixError::new(
            el.loc.clone(),
            "MajorUpgrade: `AllowSameVersionUpgrades` cannot be used with AllowDowngrades=\"yes\"",
        ));
    }
    if disallow && disallow_message.is_none() {
        return Err(WixError::new(
            el.loc.clone(),
            "MajorUpgrade: `DisallowUpgradeErrorMessage` is required with Disallow=\"yes\"",
        ));
    }
    if p.sec()
        .package
        .as_ref()
        .and_then(|i| i.upgrade_code.as_ref())
        .is_none()
    {
        return Err(WixError::new(
            el.loc.clone(),
            "MajorUpgrade: the Product/Package needs an `UpgradeCode`",
        ));
    }
    if p.sec().major_upgrade.is_some() {
        return Err(WixError::new(
            el.loc.clone(),
            "MajorUpgrade: only one MajorUpgrade is allowed",
        ));
    }
    p.sec().major_upgrade = Some(MajorUpgrade {
        allow_downgrades,
        allow_same_version,
        downgrade_message,
        disallow,
        disallow_message,
        ignore_remove_failure,
        migrate_features,
        remove_features,
        schedule,
        package_language: p.v4() && !ignore_language,
        loc: el.loc.clone(),
    });
    Ok(())
}

fn upgrade(p: &mut Parser, el: &Element) -> Result<()> {
    let mut a = Attrs::new(el);
    let code = a
        .guid("Id")?
        .filter(|g| g != "*" && !g.is_empty())
        .ok_or_else(|| a.err("`Id` must be the upgrade code GUID"))?;
    a.finish()?;
    for child in &el.children {
        if child.is("UpgradeVersion") {
            let mut c = Attrs::new(child);
            let property = c.req_id("Property")?;
            let min = c.opt("Minimum").map(str::to_string);
            let max = c.opt("Maximum").map(str::to_string);
            let language = c.opt("Language").map(str::to_string);
            let remove = c.opt("RemoveFeatures").map(str::to_string);
            let mut attrs = 0;
            if c.flag("MigrateFeatures")? {
                attrs |= 1;
            }
            if c.flag("OnlyDetect")? {
                attrs |= 2;
            }
            if c.flag("IgnoreRemoveFailure")? {
                attrs |= 4;
            }
            if c.yesno("IncludeMinimum")?.unwrap_or(true) {
                attrs |= 0x100;
            }
            if c.flag("IncludeMaximum")? {
                attrs |= 0x200;
            }
            if c.flag("ExcludeLanguages")? {
                attrs |= 0x400;
            }
            c.finish()?;
            no_children(child)?;
            if min.is_none() && max.is_none() {
                return Err(WixError::new(
                    child.loc.clone(),
                    "UpgradeVersion: needs `Minimum` or `Maximum`",
                ));
            }
            let (min, max) = if p.v4() {
                let min = min
                    .map(|v| super::version::msi_version(p, child, "Minimum", &v))
                    .transpose()?;
                let max = max
                    .map(|v| super::version::msi_version(p, child, "Maximum", &v))
                    .transpose()?;
                (min, max)
            } else {
                for v in min.iter().chain(max.iter()) {
                    check_version(v, child, p.dialect, false)?;
                }
                (min, max)
            };
            if property.chars().any(|c| c.is_ascii_lowercase()) {
                return Err(WixError::new(
                    child.loc.clone(),
                    format!("UpgradeVersion: `Property` `{property}` must be a public property (upper case)"),
                ));
            }
            let sec = p.sec();
            sec.secure_properties.push(property.clone());
            sec.row(
                "Upgrade",
                &child.loc,
                vec![
                    code.clone().into(),
                    Val::opt_str(min),
                    Val::opt_str(max),
                    Val::opt_str(language),
                    attrs.into(),
                    Val::opt_str(remove),
                    property.into(),
                ],
            );
        } else if child.is("Property") {
            property(p, child)?;
        } else {
            return Err(unexpected(el, child));
        }
    }
    Ok(())
}

fn launch_condition(p: &mut Parser, el: &Element) -> Result<()> {
    let mut a = Attrs::new(el);
    let message = a.req("Message")?.to_string();
    a.finish()?;
    let cond = condition_text(el)?;
    p.sec().row(
        "LaunchCondition",
        &el.loc,
        vec![cond.into(), message.into()],
    );
    Ok(())
}

fn launch(p: &mut Parser, el: &Element) -> Result<()> {
    let mut a = Attrs::new(el);
    let cond = a.req("Condition")?.to_string();
    let message = a.req("Message")?.to_string();
    a.finish()?;
    no_children(el)?;
    p.sec().row(
        "LaunchCondition",
        &el.loc,
        vec![cond.into(), message.into()],
    );
    Ok(())
}

fn wix_variable(p: &mut Parser, el: &Element) -> Result<()> {
    let mut a = Attrs::new(el);
    let id = a.req_id("Id")?;
    let value = a.opt("Value").unwrap_or_default().to_string();
    a.ignore(&["Overridable"]);
    a.finish()?;
    no_children(el)?;
    p.sec().wix_variables.push((id, value, el.loc.clone()));
    Ok(())
}

fn parse_codepage(v: &str, a: &Attrs) -> Result<i32> {
    match v.to_ascii_lowercase().as_str() {
        "utf-8" | "utf8" => Ok(65001),
        "windows-1252" => Ok(1252),
        s => s.parse::<i32>().ok().filter(|c| *c >= 0).ok_or_else(|| {
            a.err(format!(
                "`Codepage` is `{v}`; expected a code page number such as 1252 or 65001"
            ))
        }),
    }
}

/// A version attribute as WiX reads it: dot-separated decimal integers, each at most
/// 2147483647 (.NET's `System.Version`, which WiX v3 parses with and which needs two to
/// four parts; WiX v4's parser also takes a single part). A ProductVersion (`product`)
/// further limits major.minor.build to 255.255.65535 (CompilerCore.IsValidProductVersion);
/// the revision is not limited.
pub fn check_version(v: &str, el: &Element, dialect: Dialect, product: bool) -> Result<()> {
    let parts: Vec<&str> = v.split('.').collect();
    let min_parts = if dialect == Dialect::V3 { 2 } else { 1 };
    let numbers: Option<Vec<u32>> = parts
        .iter()
        .map(|p| {
            if p.is_empty() || !p.chars().all(|c| c.is_ascii_digit()) {
                return None;
            }
            p.parse::<u32>().ok().filter(|n| *n <= i32::MAX as u32)
        })
        .collect();
    let limits = [255u32, 255, 65535];
    let ok = parts.len() >= min_parts
        && parts.len() <= 4
        && numbers.is_some_and(|ns| !product || ns.iter().zip(limits).all(|(n, max)| *n <= max));
    if ok {
        return Ok(());
    }
    let expected = if product {
        "expected major.minor.build[.revision] with major and minor at most 255 and build at most 65535"
    } else {
        "expected major.minor[.build[.revision]] (integers)"
    };
    Err(WixError::new(
        el.loc.clone(),
        format!(
            "{}: `{v}` is not a valid version; {expected}",
            el.display_name()
        ),
    ))
}
