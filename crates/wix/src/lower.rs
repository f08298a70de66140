//! Lowering: the linked product → the rows, streams and summary information of an MSI.
//!
//! This module owns everything that needs the whole product: reading payload files (size,
//! PE version/language or MsiFileHash), file sequence numbers and media, cabinets, key
//! paths and component GUIDs, upgrade rows, action sequences, derived product and
//! package codes, and the codepage check. It does no I/O other than reading sources.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use sha2::{Digest as _, Sha256};

use super::cab::{self, CabOptions};
use super::error::{Location, Result, WixError};
use super::guid;
use super::link::Linked;
use super::model::{
    Compression, GuidSpec, KeyPath, MajorUpgrade, MediaDef, PackageInfo, Row, Schedule, Val,
};
use super::sequence::{self, SequenceTable};
use super::stream::{Blob, CabinetPlan, SourceFile};
use super::xml::Dialect;

/// Options that affect lowering.
#[derive(Clone, Debug)]
pub struct LowerOptions {
    pub arch: String,
    /// Unix seconds for summary-information times and cabinet file dates.
    pub timestamp: u64,
    /// Worker threads for cabinet compression (0 = all cores).
    pub threads: usize,
    pub creating_application: String,
}

/// A database ready to be written.
#[derive(Debug)]
pub struct Database {
    pub codepage: i32,
    /// Table → rows (each row with its source location), in primary-key order.
    pub tables: BTreeMap<String, Vec<(Vec<Val>, Location)>>,
    /// Streams: (name, contents), e.g. `Binary.Icon` or the embedded cabinet.
    pub streams: Vec<(String, Blob)>,
    pub summary: Summary,
    /// Files to place next to the MSI: (relative path, contents).
    pub external: Vec<(PathBuf, Blob)>,
    /// Non-fatal findings of the lowering (e.g. from action sequencing).
    pub warnings: Vec<super::error::Warning>,
}

#[derive(Clone, Debug)]
pub struct Summary {
    pub codepage: i32,
    pub title: String,
    pub subject: String,
    pub author: String,
    pub keywords: String,
    pub comments: String,
    pub template: String,
    pub package_code: String,
    pub page_count: i32,
    pub word_count: i32,
    pub security: i32,
    pub timestamp: u64,
    pub creating_application: String,
}

/// Our namespace for derived product and package codes (not WiX's: WiX uses random ones).
const SVCPACK_NAMESPACE: uuid::Uuid =
    uuid::Uuid::from_u128(0x6c2f_8a0e_5b1d_4f3a_9e77_2d4c_1b0a_9f15);

struct FileData {
    /// Size and MD5, measured once; the bytes are read again only into the cabinet.
    source: SourceFile,
    version: Option<String>,
    language: Option<String>,
}

pub fn lower(linked: Linked, opts: &LowerOptions) -> Result<Database> {
    let Linked {
        package,
        mut rows,
        components,
        files,
        schedules,
        streams,
        media,
        media_template,
        major_upgrade,
        default_major_upgrade,
        wix_variables: _,
        mut secure_properties,
        feature_components,
    } = linked;
    let dialect = package.dialect;

    // Directory tree (id → parent, DefaultDir), for GUIDs and uncompressed layouts.
    let mut dirs: BTreeMap<String, (Option<String>, String)> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.table == "Directory") {
        let id = r.values[0].as_str().unwrap_or_default().to_string();
        dirs.insert(
            id,
            (
                r.values[1].as_str().map(str::to_string),
                r.values[2].as_str().unwrap_or(".").to_string(),
            ),
        );
    }
    for (id, (parent, _)) in &dirs {
        if let Some(p) = parent {
            if !dirs.contains_key(p) {
                let loc = rows
                    .iter()
                    .find(|r| r.table == "Directory" && r.values[0].as_str() == Some(id))
                    .map(|r| r.loc.clone());
                return Err(WixError::new(
                    loc.unwrap_or_else(|| package.loc.clone()),
                    format!("unresolved reference to Directory `{p}`"),
                ));
            }
        }
    }
    for c in &components {
        if !dirs.contains_key(&c.directory) {
            return Err(WixError::new(
                c.loc.clone(),
                format!("unresolved reference to Directory `{}`", c.directory),
            ));
        }
    }

    // Payload: read each file once; versioned PE files get File.Version/Language.
    let mut data: Vec<FileData> = Vec::with_capacity(files.len());
    for f in &files {
        let scanned = super::stream::scan_file(&f.source).map_err(|e| {
            WixError::new(
                f.loc.clone(),
                format!(
                    "cannot read source file `{}` of File `{}`: {e}",
                    f.source.display(),
                    f.id
                ),
            )
        })?;
        let (mut version, mut language) = (None, None);
        if let Some(bytes) = &scanned.pe {
            if let Ok(info) = svcpack_pe::inspect(bytes) {
                if let Some(v) = info.file_version {
                    version = Some(format!("{}.{}.{}.{}", v[0], v[1], v[2], v[3]));
                    language = Some(info.language.unwrap_or(0).to_string());
                }
            }
        }
        if f.version.is_some() {
            version = f.version.clone();
        }
        if f.language.is_some() {
            language = f.language.clone();
        }
        if scanned.size > i32::MAX as u64 {
            return Err(WixError::new(
                f.loc.clone(),
                format!(
                    "`{}` is larger than 2 GiB, the MSI limit",
                    f.source.display()
                ),
            ));
        }
        data.push(FileData {
            source: SourceFile {
                path: f.source.clone(),
                size: scanned.size,
                md5: scanned.md5,
                loc: f.loc.clone(),
            },
            version,
            language,
        });
    }

    // Media: explicit Media rows, else the MediaTemplate (or WiX v4's default one).
    let template = media_template.clone();
    let mut media_rows: Vec<MediaDef> = media;
    if media_rows.is_empty() {
        let (cab_name, embed, compression, loc) = match &template {
            Some(t) => (
                t.cabinet_template.replace("{0}", "1"),
                t.embed,
                t.compression,
                t.loc.clone(),
            ),
            None => (
                "cab1.cab".to_string(),
                true,
                Compression::Mszip,
                package.loc.clone(),
            ),
        };
        let has_cab = package.compressed || template.is_some();
        media_rows.push(MediaDef {
            id: 1,
            cabinet: has_cab.then_some(cab_name),
            embed,
            disk_prompt: None,
            volume_label: None,
            compression,
            loc,
        });
    }
    media_rows.sort_by_key(|m| m.id);

    // File order: by disk, then authoring order; sequences 1..N.
    let comp_disk: BTreeMap<&str, Option<i32>> = components
        .iter()
        .map(|c| (c.id.as_str(), c.disk_id))
        .collect();
    let mut order: Vec<usize> = (0..files.len()).collect();
    let disk_of = |i: usize| -> i32 {
        files[i]
            .disk_id
            .or(comp_disk
                .get(files[i].component.as_str())
                .copied()
                .flatten())
            .unwrap_or(1)
    };
    order.sort_by_key(|&i| (disk_of(i), i));
    for &i in &order {
        let d = disk_of(i);
        if !media_rows.iter().any(|m| m.id == d) {
            return Err(WixError::new(
                files[i].loc.clone(),
                format!(
                    "File `{}` is on DiskId {d}, but there is no Media with Id {d}",
                    files[i].id
                ),
            ));
        }
    }
    let mut seq_of = vec![0i32; files.len()];
    for (n, &i) in order.iter().enumerate() {
        seq_of[i] = n as i32 + 1;
    }

    let mut out_streams: Vec<(String, Blob)> = Vec::new();
    let mut external: Vec<(PathBuf, Blob)> = Vec::new();
    let mut table_rows: Vec<Row> = Vec::new();
    for MediaDef {
        id,
        cabinet,
        embed,
        compression,
        disk_prompt: prompt,
        volume_label: label,
        loc,
    } in &media_rows
    {
        let members: Vec<usize> = order
            .iter()
            .copied()
            .filter(|&i| disk_of(i) == *id)
            .collect();
        let last = members.iter().map(|&i| seq_of[i]).max().unwrap_or(0);
        let compressed_files: Vec<usize> = members
            .iter()
            .copied()
            .filter(|&i| file_is_compressed(files[i].attributes, package.compressed))
            .collect();
        let mut cab_col = None;
        if let Some(name) = cabinet
            .as_ref()
            .filter(|_| !compressed_files.is_empty() || members.is_empty())
        {
            let entries: Vec<(String, SourceFile)> = compressed_files
                .iter()
                .map(|&i| (files[i].id.clone(), data[i].source.clone()))
                .collect();
            let cab_opts = CabOptions {
                compression: if *compression == Compression::None {
                    cab::Compression::None
                } else {
                    cab::Compression::Mszip
                },
                timestamp: opts.timestamp,
                threads: opts.threads,
            };
            // Compressed while the MSI is written (super::stream), reading each file again.
            let bytes = Blob::Cabinet(CabinetPlan {
                name: name.clone(),
                files: entries,
                options: cab_opts,
                loc: loc.clone(),
            });
            if *embed {
                if name.len() > 62 {
                    return Err(WixError::new(
                        loc.clone(),
                        format!(
                            "embedded cabinet name `{name}` is too long (62 characters at most)"
                        ),
                    ));
                }
                out_streams.push((name.clone(), bytes));
                cab_col = Some(format!("#{name}"));
            } else {
                external.push((PathBuf::from(name), bytes));
                cab_col = Some(name.clone());
            }
        }
        // Files that are not in a cabinet are laid out uncompressed beside the MSI.
        for &i in members
            .iter()
            .filter(|&&i| !file_is_compressed(files[i].attributes, package.compressed))
        {
            let rel = source_layout_path(&dirs, &files[i].directory, &files[i].name);
            external.push((rel, Blob::File(data[i].source.clone())));
        }
        table_rows.push(Row {
            table: "Media",
            values: vec![
                (*id).into(),
                last.into(),
                Val::opt_str(prompt.clone()),
                Val::opt_str(cab_col),
                Val::opt_str(label.clone()),
                Val::Null,
            ],
            loc: loc.clone(),
        });
    }

    // File, MsiFileHash rows.
    for (i, f) in files.iter().enumerate() {
        // WiX v3 salts generated short names with the component, v4 with the directory.
        let salt = if dialect == Dialect::V3 {
            &f.component
        } else {
            &f.directory
        };
        let file_name = super::parse::layout::msi_filename(
            dialect,
            &f.name,
            f.short_name.as_deref(),
            false,
            "File",
            salt,
        );
        table_rows.push(Row {
            table: "File",
            values: vec![
                f.id.clone().into(),
                f.component.clone().into(),
                file_name.into(),
                (data[i].source.size as i32).into(),
                Val::opt_str(data[i].version.clone()),
                Val::opt_str(data[i].language.clone()),
                Val::opt_int((f.attributes != 0).then_some(f.attributes)),
                seq_of[i].into(),
            ],
            loc: f.loc.clone(),
        });
        if data[i].version.is_none() {
            let h = msi_file_hash(&data[i].source.md5);
            table_rows.push(Row {
                table: "MsiFileHash",
                values: vec![
                    f.id.clone().into(),
                    0.into(),
                    h[0].into(),
                    h[1].into(),
                    h[2].into(),
                    h[3].into(),
                ],
                loc: f.loc.clone(),
            });
        }
    }

    // Components: key paths and GUIDs.
    let file_by_id: BTreeMap<&str, usize> = files
        .iter()
        .enumerate()
        .map(|(i, f)| (f.id.as_str(), i))
        .collect();
    let reg_by_id: BTreeMap<&str, &Row> = rows
        .iter()
        .filter(|r| r.table == "Registry")
        .filter_map(|r| r.values[0].as_str().map(|id| (id, r)))
        .collect();
    let create_folders: BTreeSet<(&str, &str)> = rows
        .iter()
        .filter(|r| r.table == "CreateFolder")
        .filter_map(|r| Some((r.values[1].as_str()?, r.values[0].as_str()?)))
        .collect();
    for c in &components {
        let key = c
            .explicit_key
            .clone()
            .or_else(|| c.default_key.clone())
            .unwrap_or(KeyPath::Directory);
        let mut attributes = c.attributes;
        let key_col = match &key {
            KeyPath::Directory => Val::Null,
            KeyPath::File(f) => Val::Str(f.clone()),
            KeyPath::Registry(r) => {
                attributes |= 0x4;
                Val::Str(r.clone())
            }
        };
        let guid = match &c.guid {
            GuidSpec::Explicit(g) => Val::Str(g.clone()),
            GuidSpec::Empty => Val::Null,
            GuidSpec::Auto => {
                let g = auto_guid(
                    c.dialect,
                    &key,
                    &dirs,
                    &files,
                    &file_by_id,
                    &reg_by_id,
                    &opts.arch,
                    c.id.as_str(),
                    c.attributes & 0x100 != 0,
                )
                .map_err(|m| WixError::new(c.loc.clone(), format!("Component `{}`: {m}", c.id)))?;
                Val::Str(g)
            }
        };
        if needs_create_folder(c, &key, &create_folders) {
            table_rows.push(Row {
                table: "CreateFolder",
                values: vec![c.directory.clone().into(), c.id.clone().into()],
                loc: c.loc.clone(),
            });
        }
        table_rows.push(Row {
            table: "Component",
            values: vec![
                c.id.clone().into(),
                guid,
                c.directory.clone().into(),
                attributes.into(),
                Val::opt_str(c.condition.clone()),
                key_col,
            ],
            loc: c.loc.clone(),
        });
    }
    for (f, c, loc) in &feature_components {
        table_rows.push(Row {
            table: "FeatureComponents",
            values: vec![f.clone().into(), c.clone().into()],
            loc: loc.clone(),
        });
    }

    // Binary and Icon streams.
    for s in &streams {
        let bytes = std::fs::read(&s.source).map_err(|e| {
            WixError::new(
                s.loc.clone(),
                format!(
                    "cannot read `{}` for {} `{}`: {e}",
                    s.source.display(),
                    s.table,
                    s.id
                ),
            )
        })?;
        table_rows.push(Row {
            table: s.table,
            values: vec![s.id.clone().into(), Val::Str(String::new())],
            loc: s.loc.clone(),
        });
        out_streams.push((format!("{}.{}", s.table, s.id), Blob::Bytes(bytes)));
    }

    // Upgrades.
    let mut schedules = schedules;
    upgrades(
        &package,
        major_upgrade.as_ref(),
        default_major_upgrade,
        &rows,
        &mut table_rows,
        &mut secure_properties,
        &mut schedules,
    );

    rows.extend(table_rows);

    // ProductCode "*" is derived from the finished content further down (as WiX gives
    // every build a new code, but reproducibly): any change, including a pre-release
    // becoming its release with the same MSI version, gets a new product code.
    let authored_product_code = package.product_code.clone();
    properties(&package, &mut rows, secure_properties);

    // Sequences, from the tables present and the authored scheduling.
    let present: BTreeSet<String> = rows.iter().map(|r| r.table.to_string()).collect();
    let seq_opts = sequence::SequenceOptions {
        rules: if dialect == Dialect::V3 {
            sequence::Rules::WixV3
        } else {
            sequence::Rules::WixV4
        },
        upgrade_migrates_features: rows
            .iter()
            .any(|r| r.table == "Upgrade" && matches!(r.values[4], Val::Int(a) if a & 1 != 0)),
    };
    let sequences = sequence::build_sequences(&present, &schedules, &seq_opts)?;
    let warnings = sequences.warnings.clone();
    for (table, actions) in sequences.tables {
        let name = table.table_name();
        for a in actions {
            rows.push(Row {
                table: name,
                values: vec![
                    a.action.into(),
                    Val::opt_str(a.condition),
                    a.sequence.into(),
                ],
                loc: package.loc.clone(),
            });
        }
    }

    // Group, validate and sort rows per table.
    let mut tables: BTreeMap<String, Vec<(Vec<Val>, Location)>> = BTreeMap::new();
    for r in rows {
        tables
            .entry(r.table.to_string())
            .or_default()
            .push((r.values, r.loc));
    }
    for (name, rows) in tables.iter_mut() {
        let schema = super::tables::schema(name).ok_or_else(|| {
            let loc = rows
                .first()
                .map(|r| r.1.clone())
                .unwrap_or_else(|| package.loc.clone());
            WixError::new(loc, format!("internal: no schema for table `{name}`"))
        })?;
        let keys: Vec<usize> = schema
            .iter()
            .enumerate()
            .filter(|(_, c)| c.is_primary_key())
            .map(|(i, _)| i)
            .collect();
        for (values, loc) in rows.iter_mut() {
            if values.len() != schema.len() {
                return Err(WixError::new(
                    loc.clone(),
                    format!(
                        "internal: {name} row has {} cells, table has {} columns",
                        values.len(),
                        schema.len()
                    ),
                ));
            }
            // Optional integer columns written as Null stay Null; nothing else to coerce.
            let _ = values;
        }
        rows.sort_by(|a, b| {
            keys.iter()
                .map(|&k| &a.0[k])
                .cmp(keys.iter().map(|&k| &b.0[k]))
        });
        for w in rows.windows(2) {
            if keys.iter().all(|&k| w[0].0[k] == w[1].0[k]) {
                let id: Vec<String> = keys.iter().map(|&k| val_text(&w[1].0[k])).collect();
                return Err(WixError::new(
                    w[1].1.clone(),
                    format!(
                        "duplicate {name} row `{}`; the other one is at {}",
                        id.join("/"),
                        w[0].1
                    ),
                ));
            }
        }
    }

    let blobs = blob_digests(&out_streams, &external);
    if authored_product_code.is_none() {
        let digest = content_hasher(&tables, &blobs).finalize();
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        let code = braced(guid::derived_guid(
            &SVCPACK_NAMESPACE,
            &["ProductCode", &hex],
        ));
        if let Some(props) = tables.get_mut("Property") {
            for (values, _) in props.iter_mut() {
                if values[0].as_str() == Some("ProductCode") {
                    values[1] = Val::Str(code.clone());
                }
            }
        }
    }

    // Codepage: 1252 unless authored; every string must be representable.
    let codepage = package.codepage.unwrap_or(1252);
    check_codepage(&tables, codepage)?;

    let word_count = (package.short_names as i32)
        | if package.compressed { 2 } else { 0 }
        | if package.admin_image { 4 } else { 0 }
        | if package.per_machine == Some(false) {
            8
        } else {
            0
        };
    let platform = package
        .platform
        .clone()
        .unwrap_or_else(|| super::parse::platform_token(&opts.arch).to_string());
    let mut installer_version = package.installer_version;
    if platform != "Intel" && installer_version < 200 {
        installer_version = 200;
    }
    if platform.starts_with("Arm") && installer_version < 500 {
        installer_version = 500;
    }
    let languages = package
        .summary_languages
        .clone()
        .unwrap_or_else(|| package.language.clone());
    let mut summary = Summary {
        codepage: package.summary_codepage.unwrap_or(1252),
        title: "Installation Database".into(),
        subject: package
            .description
            .clone()
            .unwrap_or_else(|| package.name.clone()),
        author: package
            .summary_manufacturer
            .clone()
            .unwrap_or_else(|| package.manufacturer.clone()),
        keywords: package
            .keywords
            .clone()
            .unwrap_or_else(|| "Installer".into()),
        comments: package.comments.clone().unwrap_or_else(|| {
            format!(
                "This installer database contains the logic and data required to install {}.",
                package.name
            )
        }),
        template: format!("{platform};{languages}"),
        package_code: String::new(),
        page_count: installer_version,
        word_count,
        security: 2,
        timestamp: opts.timestamp,
        creating_application: opts.creating_application.clone(),
    };
    summary.package_code = match &package.package_code {
        Some(c) => c.clone(),
        None => braced(content_guid(&tables, &blobs, &summary)),
    };
    Ok(Database {
        codepage,
        tables,
        streams: out_streams,
        summary,
        external,
        warnings,
    })
}

/// The property phase: an authored ProductCode becomes the ProductCode Property value, and
/// the secure properties gathered by earlier phases join any authored
/// SecureCustomProperties in a single row.
fn properties(package: &PackageInfo, rows: &mut Vec<Row>, secure_properties: BTreeSet<String>) {
    if let Some(code) = &package.product_code {
        for r in rows.iter_mut().filter(|r| r.table == "Property") {
            if r.values[0].as_str() == Some("ProductCode") {
                r.values[1] = Val::Str(code.clone());
            }
        }
    }
    if !secure_properties.is_empty() {
        let existing = rows.iter().position(|r| {
            r.table == "Property" && r.values[0].as_str() == Some("SecureCustomProperties")
        });
        let mut all: BTreeSet<String> = secure_properties;
        if let Some(i) = existing {
            for p in rows[i].values[1]
                .as_str()
                .unwrap_or_default()
                .split(';')
                .filter(|s| !s.is_empty())
            {
                all.insert(p.to_string());
            }
            rows.remove(i);
        }
        let loc = package.loc.clone();
        rows.push(Row {
            table: "Property",
            values: vec![
                "SecureCustomProperties".into(),
                all.into_iter().collect::<Vec<_>>().join(";").into(),
            ],
            loc,
        });
    }
}

/// The upgrade phase: the Upgrade rows, launch conditions and RemoveExistingProducts
/// scheduling of an authored `MajorUpgrade`, or of the default major upgrade when one is
/// asked for and no authored Upgrade row already removes older versions. Kept apart from
/// [`lower`] because it reads only the package and the rows authored so far.
fn upgrades(
    package: &PackageInfo,
    major_upgrade: Option<&MajorUpgrade>,
    default_major_upgrade: bool,
    rows: &[Row],
    table_rows: &mut Vec<Row>,
    secure_properties: &mut BTreeSet<String>,
    schedules: &mut Vec<Schedule>,
) {
    let upgrade_code = package.upgrade_code.clone();
    let has_removing_upgrade = rows
        .iter()
        .any(|r| r.table == "Upgrade" && matches!(r.values[4], Val::Int(a) if a & 2 == 0));
    if let Some(mu) = major_upgrade {
        let code = upgrade_code.clone().unwrap_or_default();
        let mu_language = if mu.package_language {
            Val::Str(package.language.clone())
        } else {
            Val::Null
        };
        let mut options = if mu.migrate_features { 1 } else { 0 };
        if mu.ignore_remove_failure {
            options |= 4;
        }
        let (min, max, attrs) = if mu.allow_downgrades {
            (Some("0".to_string()), None, options | 0x100)
        } else {
            (
                None,
                Some(package.version.clone()),
                if mu.allow_same_version {
                    options | 0x200
                } else {
                    options
                },
            )
        };
        table_rows.push(Row {
            table: "Upgrade",
            values: vec![
                code.clone().into(),
                Val::opt_str(min),
                Val::opt_str(max),
                mu_language.clone(),
                attrs.into(),
                Val::opt_str(mu.remove_features.clone()),
                "WIX_UPGRADE_DETECTED".into(),
            ],
            loc: mu.loc.clone(),
        });
        secure_properties.insert("WIX_UPGRADE_DETECTED".into());
        if mu.disallow {
            table_rows.push(Row {
                table: "LaunchCondition",
                values: vec![
                    "NOT WIX_UPGRADE_DETECTED".into(),
                    Val::opt_str(mu.disallow_message.clone()),
                ],
                loc: mu.loc.clone(),
            });
        }
        if !mu.allow_downgrades {
            table_rows.push(Row {
                table: "Upgrade",
                values: vec![
                    code.into(),
                    package.version.clone().into(),
                    Val::Null,
                    mu_language,
                    2.into(),
                    Val::Null,
                    "WIX_DOWNGRADE_DETECTED".into(),
                ],
                loc: mu.loc.clone(),
            });
            secure_properties.insert("WIX_DOWNGRADE_DETECTED".into());
            let msg = mu
                .downgrade_message
                .clone()
                .unwrap_or_else(|| "A newer version of [ProductName] is already installed.".into());
            table_rows.push(Row {
                table: "LaunchCondition",
                values: vec!["NOT WIX_DOWNGRADE_DETECTED".into(), msg.into()],
                loc: mu.loc.clone(),
            });
        }
        let after = match mu.schedule.as_str() {
            "afterInstallInitialize" => "InstallInitialize",
            "afterInstallExecute" => "InstallExecute",
            "afterInstallExecuteAgain" => "InstallExecuteAgain",
            "afterInstallFinalize" => "InstallFinalize",
            _ => "InstallValidate",
        };
        // WiX schedules an authored MajorUpgrade's RemoveExistingProducts non-overridable.
        schedules.push(remove_existing(after, &mu.loc, false));
    } else if default_major_upgrade && !has_removing_upgrade {
        let code = upgrade_code.clone().unwrap_or_default();
        let lang = Val::Str(package.language.clone());
        let loc = package.loc.clone();
        table_rows.push(Row {
            table: "Upgrade",
            values: vec![
                code.clone().into(),
                Val::Null,
                package.version.clone().into(),
                lang.clone(),
                1.into(),
                Val::Null,
                "WIX_UPGRADE_DETECTED".into(),
            ],
            loc: loc.clone(),
        });
        table_rows.push(Row {
            table: "Upgrade",
            values: vec![
                code.into(),
                package.version.clone().into(),
                Val::Null,
                lang,
                2.into(),
                Val::Null,
                "WIX_DOWNGRADE_DETECTED".into(),
            ],
            loc: loc.clone(),
        });
        table_rows.push(Row {
            table: "LaunchCondition",
            values: vec![
                "NOT WIX_DOWNGRADE_DETECTED".into(),
                "A newer version of [ProductName] is already installed.".into(),
            ],
            loc: loc.clone(),
        });
        secure_properties.insert("WIX_UPGRADE_DETECTED".into());
        secure_properties.insert("WIX_DOWNGRADE_DETECTED".into());
        schedules.push(remove_existing("InstallValidate", &loc, true));
    }
}

/// Whether a component whose key path is its directory gets an implicit CreateFolder row
/// (so Windows Installer creates, and reference-counts, the folder), as WiX does:
/// - v3 (Compiler.cs, ParseComponentElement `shouldAddCreateFolder`): only for
///   `Component/@KeyPath="yes"`, unless a CreateFolder child already names that directory;
/// - v4 (Bind/AddCreateFoldersCommand.cs): for every directory-key-path component that has
///   no CreateFolder row at all.
fn needs_create_folder(
    c: &super::model::ComponentDef,
    key: &KeyPath,
    create_folders: &BTreeSet<(&str, &str)>,
) -> bool {
    if *key != KeyPath::Directory {
        return false;
    }
    // `create_folders` holds (component, directory) of every CreateFolder row, so both
    // questions are range lookups rather than scans of all rows per component.
    let own = || {
        create_folders
            .range((c.id.as_str(), "")..)
            .next()
            .is_some_and(|(comp, _)| *comp == c.id)
    };
    match c.dialect {
        Dialect::V3 => {
            c.explicit_key == Some(KeyPath::Directory)
                && !create_folders.contains(&(c.id.as_str(), c.directory.as_str()))
        }
        Dialect::V4 => !own(),
    }
}

fn remove_existing(after: &str, loc: &Location, overridable: bool) -> Schedule {
    Schedule {
        table: SequenceTable::InstallExecute,
        action: "RemoveExistingProducts".into(),
        condition: None,
        placement: Some(sequence::Placement::After(after.into())),
        overridable,
        suppress: false,
        loc: loc.clone(),
    }
}

fn braced(u: uuid::Uuid) -> String {
    format!("{{{}}}", u.hyphenated()).to_ascii_uppercase()
}

fn val_text(v: &Val) -> String {
    match v {
        Val::Null => String::new(),
        Val::Int(i) => i.to_string(),
        Val::Str(s) => s.clone(),
    }
}

/// Whether a file goes into a cabinet: its own Compressed bits win over the package's.
fn file_is_compressed(attributes: i32, default: bool) -> bool {
    if attributes & 0x4000 != 0 {
        true
    } else if attributes & 0x2000 != 0 {
        false
    } else {
        default
    }
}

/// Where Windows Installer looks for an uncompressed file: the source side of each
/// DefaultDir (after ':'; long name), from SourceDir down.
fn source_layout_path(
    dirs: &BTreeMap<String, (Option<String>, String)>,
    dir: &str,
    file: &str,
) -> PathBuf {
    let mut parts = vec![file.to_string()];
    let mut cur = Some(dir.to_string());
    let mut guard = 0;
    while let Some(id) = cur {
        guard += 1;
        if guard > 256 {
            break;
        }
        let Some((parent, default_dir)) = dirs.get(&id) else {
            break;
        };
        if parent.is_some() {
            let source = default_dir
                .split_once(':')
                .map(|(_, s)| s)
                .unwrap_or(default_dir);
            let long = source.rsplit('|').next().unwrap_or(source);
            if long != "." {
                parts.push(long.to_string());
            }
        }
        cur = parent.clone();
    }
    parts.reverse();
    parts.iter().collect()
}

/// MsiFileHash: the MD5 of the file as four little-endian signed integers.
fn msi_file_hash(d: &[u8; 16]) -> [i32; 4] {
    let mut out = [0i32; 4];
    for (i, o) in out.iter_mut().enumerate() {
        *o = i32::from_le_bytes([d[i * 4], d[i * 4 + 1], d[i * 4 + 2], d[i * 4 + 3]]);
    }
    out
}
/// Digests of the streams and external files, computed once for both derived codes.
fn blob_digests(
    streams: &[(String, Blob)],
    external: &[(PathBuf, Blob)],
) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = streams
        .iter()
        .map(|(n, b)| (n.clone(), b.digest()))
        .collect();
    out.extend(
        external
            .iter()
            .map(|(p, b)| (p.to_string_lossy().into_owned(), b.digest())),
    );
    out
}

/// A hash of every table row and every stream/external file: the basis of the derived
/// ProductCode (before the summary exists) and package code (with the summary).
fn content_hasher(
    tables: &BTreeMap<String, Vec<(Vec<Val>, Location)>>,
    blobs: &[(String, Vec<u8>)],
) -> Sha256 {
    let mut h = Sha256::new();
    for (name, rows) in tables {
        h.update(name.as_bytes());
        h.update([0]);
        for (values, _) in rows {
            for v in values {
                match v {
                    Val::Null => h.update([0]),
                    Val::Int(i) => {
                        h.update([1]);
                        h.update(i.to_le_bytes());
                    }
                    Val::Str(s) => {
                        h.update([2]);
                        h.update((s.len() as u64).to_le_bytes());
                        h.update(s.as_bytes());
                    }
                }
            }
        }
    }
    for (n, d) in blobs {
        h.update(n.as_bytes());
        h.update(d);
    }
    h
}

/// The package code from content: tables, streams, external files and summary fields.
fn content_guid(
    tables: &BTreeMap<String, Vec<(Vec<Val>, Location)>>,
    blobs: &[(String, Vec<u8>)],
    summary: &Summary,
) -> uuid::Uuid {
    let mut h = content_hasher(tables, blobs);
    for s in [
        &summary.title,
        &summary.subject,
        &summary.author,
        &summary.keywords,
        &summary.comments,
        &summary.template,
    ] {
        h.update(s.as_bytes());
        h.update([0]);
    }
    h.update(summary.word_count.to_le_bytes());
    h.update(summary.page_count.to_le_bytes());
    h.update(summary.codepage.to_le_bytes());
    h.update(summary.timestamp.to_le_bytes());
    let digest = h.finalize();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    guid::derived_guid(&SVCPACK_NAMESPACE, &["PackageCode", &hex])
}

/// Every string must fit the database codepage; a character that does not is an error at
/// the element it came from (WiX does the same), never a silent `?`.
fn check_codepage(
    tables: &BTreeMap<String, Vec<(Vec<Val>, Location)>>,
    codepage: i32,
) -> Result<()> {
    let Some(cp) = msi::CodePage::from_id(codepage) else {
        let loc = tables
            .values()
            .flatten()
            .next()
            .map(|r| r.1.clone())
            .unwrap_or_else(|| Location::file("<input>"));
        return Err(WixError::new(
            loc,
            format!("codepage {codepage} is not supported; use 1252 or 65001"),
        ));
    };
    for (name, rows) in tables {
        for (values, loc) in rows {
            for v in values {
                if let Val::Str(s) = v {
                    if !s.is_ascii() && cp.decode(&cp.encode(s)) != *s {
                        return Err(WixError::new(
                            loc.clone(),
                            format!(
                                "the {name} value `{s}` has characters that codepage {codepage} cannot hold; \
                                 set Codepage=\"65001\" on the Product/Package (UTF-8) or use another codepage"
                            ),
                        ));
                    }
                }
            }
        }
    }
    Ok(())
}

/// Component GUID for `Guid="*"`, by WiX's algorithm for the source's dialect.
#[allow(clippy::too_many_arguments)]
fn auto_guid(
    dialect: Dialect,
    key: &KeyPath,
    dirs: &BTreeMap<String, (Option<String>, String)>,
    files: &[super::model::FileDef],
    file_by_id: &BTreeMap<&str, usize>,
    regs: &BTreeMap<&str, &Row>,
    arch: &str,
    component: &str,
    win64: bool,
) -> std::result::Result<String, String> {
    let platform = match arch {
        "x86" => guid::Platform::X86,
        "arm64" => guid::Platform::Arm64,
        _ => guid::Platform::X64,
    };
    let finish = |kp: &guid::KeyPath<'_>| match dialect {
        Dialect::V3 => guid::component_guid_v3(kp),
        Dialect::V4 => guid::component_guid_v4(kp, false),
    };
    match key {
        KeyPath::File(f) => {
            let i = *file_by_id.get(f.as_str()).ok_or_else(|| format!("key path File `{f}` is not defined"))?;
            let fd = &files[i];
            if fd.component != component {
                return Err(format!("key path File `{f}` belongs to component `{}`", fd.component));
            }
            // The directory chain from the root down to the component's directory.
            let mut ids = Vec::new();
            let mut cur = Some(fd.directory.clone());
            while let Some(id) = cur {
                if ids.len() > 256 {
                    return Err("directory tree nests too deeply (a cycle?)".into());
                }
                cur = dirs.get(&id).and_then(|d| d.0.clone());
                ids.push(id);
            }
            ids.reverse();
            let nodes: Vec<guid::DirectoryNode<'_>> = ids
                .iter()
                .map(|id| {
                    let dd = dirs.get(id).map(|d| d.1.as_str()).unwrap_or(".");
                    guid::DirectoryNode { id, name: guid::v3_target_long_name(dd), guid_seed: None }
                })
                .collect();
            let path = match dialect {
                Dialect::V3 => guid::directory_path_v3(&nodes),
                Dialect::V4 => guid::directory_path_v4(&nodes, platform),
            }
            .map_err(|e| e.to_string())?;
            finish(&guid::KeyPath::File { directory_path: &path, file_name: &fd.name }).map_err(|e| e.to_string())
        }
        KeyPath::Registry(r) => {
            let row = regs.get(r.as_str()).ok_or_else(|| format!("key path registry value `{r}` is not defined"))?;
            let root = match row.values[1] {
                Val::Int(i) => i,
                _ => 2,
            };
            let root = guid::RegistryRoot::from_msi_value(root).ok_or_else(|| format!("registry root {root} is not valid"))?;
            let kp = guid::KeyPath::Registry {
                root,
                key: row.values[2].as_str().unwrap_or_default(),
                name: row.values[3].as_str(),
                win64,
            };
            finish(&kp).map_err(|e| e.to_string())
        }
        KeyPath::Directory => Err(
            "Guid=\"*\" needs a file or registry key path (WiX cannot derive a GUID from a directory key path); give an explicit Guid"
                .into(),
        ),
    }
}
