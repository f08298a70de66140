//! Lowering: the linked product → the rows, streams and summary information of an MSI.
//!
//! This module owns the order of the phases, each a function in its own file: the directory
//! tree, Win32 assembly identities, the payload (sizes, versions, hashes), media and
//! cabinets, File rows, Component rows, Binary/Icon streams, upgrades, properties, sequences, grouping rows per table, the
//! derived product and package codes, the codepage check and the summary information. It
//! does no I/O other than reading sources.

mod assemblies;
mod binaries;
mod codepage;
mod codes;
mod components;
mod custom_tables;
mod directories;
mod files;
mod grouped;
mod media;
mod payload;
mod properties;
mod sequences;
mod summary;
mod ui;
mod upgrades;

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::error::{Location, Result, Warning};
use crate::link::Linked;
use crate::model::{Row, Val};
use crate::stream::Blob;

/// Options that affect lowering.
#[derive(Clone, Debug)]
pub struct LowerOptions {
    pub arch: String,
    /// Unix seconds for summary-information times and cabinet file dates.
    pub timestamp: u64,
    /// Worker threads for cabinet compression (0 = all cores).
    pub threads: usize,
    pub creating_application: String,
    /// WiX's `-bcgg`: registry key paths of v4+ sources hash the root's number, as v3 did.
    pub backward_compatible_guids: bool,
    /// The launch-condition message of a major upgrade that names none: WiX's
    /// `!(loc.WixDowngradePreventedMessage)`, which a .wxl may define.
    pub downgrade_message: String,
}

/// A database ready to be written.
#[derive(Debug)]
pub struct Database {
    pub codepage: i32,
    /// Table → rows (each row with its source location), in primary-key order.
    pub tables: BTreeMap<String, Vec<(Vec<Val>, Location)>>,
    /// Streams: (name, contents), e.g. `Binary.Icon` or the embedded cabinet.
    pub streams: Vec<(String, Blob)>,
    /// Column definitions of the tables authored with `CustomTable` (standard tables'
    /// come from [`crate::tables`]).
    pub custom_schemas: BTreeMap<String, Vec<crate::custom_table::CustomColumn>>,
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

pub fn lower(linked: Linked, opts: &LowerOptions) -> Result<Database> {
    let mut linked = linked;
    let dirs = directories::directory_tree(&linked.rows, &linked.components, &linked.package)?;
    let mut content = install_content(&mut linked, &dirs, opts)?;
    upgrade_rows(&mut linked, &mut content.rows, opts);
    linked.rows.append(&mut content.rows);

    // ProductCode "*" is derived from the finished content further down (as WiX gives
    // every build a new code, but reproducibly): any change, including a pre-release
    // becoming its release with the same MSI version, gets a new product code.
    let authored_product_code = linked.package.product_code.is_some();
    property_rows(&mut linked);
    let (mut tables, warnings) = sequenced_tables(&mut linked)?;
    let custom_schemas =
        custom_tables::custom_tables(&linked.custom, &mut tables, &mut content.streams)?;

    let blobs = codes::blob_digests(&content.streams, &content.external);
    if !authored_product_code {
        codes::derive_product_code(&mut tables, &blobs);
    }

    // Codepage: 1252 unless authored; every string must be representable.
    let codepage = linked.package.codepage.unwrap_or(1252);
    codepage::check_codepage(&tables, codepage)?;

    let summary = summary_information(&linked.package, &tables, &blobs, opts);
    Ok(Database {
        codepage,
        tables,
        streams: content.streams,
        custom_schemas,
        summary,
        external: content.external,
        warnings,
    })
}

/// What the installed content adds: rows, MSI streams and files beside the MSI.
struct Content {
    rows: Vec<Row>,
    streams: binaries::Streams,
    external: Vec<(PathBuf, Blob)>,
}

/// Media and cabinets, File rows, Component rows and Binary/Icon streams.
fn install_content(
    linked: &mut Linked,
    dirs: &directories::Dirs,
    opts: &LowerOptions,
) -> Result<Content> {
    // Before the payload is measured, so that an unreadable manifest is reported as one.
    assemblies::assembly_names(&mut linked.rows, &linked.files, &linked.components)?;
    let data = payload::read_payload(&linked.files)?;
    let layout = media::media_layout(
        &linked.package,
        std::mem::take(&mut linked.media),
        linked.media_template.take(),
        &linked.components,
        &linked.files,
        &data,
        dirs,
        opts,
    )?;
    let mut rows = layout.rows;
    let dialect = linked.package.dialect;
    rows.extend(files::file_rows(
        dialect,
        &linked.files,
        &data,
        &layout.sequence,
    ));
    rows.extend(components::component_rows(
        &linked.components,
        &linked.feature_components,
        &linked.files,
        &linked.rows,
        dirs,
        &opts.arch,
        opts.backward_compatible_guids,
    )?);
    let (binary_rows, binary_streams) = binaries::binary_rows(&linked.streams)?;
    rows.extend(binary_rows);
    let mut streams = layout.streams;
    streams.extend(binary_streams);
    Ok(Content {
        rows,
        streams,
        external: layout.external,
    })
}

fn upgrade_rows(linked: &mut Linked, table_rows: &mut Vec<Row>, opts: &LowerOptions) {
    upgrades::upgrades(
        &linked.package,
        upgrades::Upgrading {
            authored: linked.major_upgrade.as_ref(),
            default: linked.default_major_upgrade,
            downgrade_message: &opts.downgrade_message,
        },
        &linked.rows,
        table_rows,
        &mut linked.secure_properties,
        &mut linked.schedules,
    );
}

fn property_rows(linked: &mut Linked) {
    properties::properties(
        &linked.package,
        &mut linked.rows,
        properties::Lists {
            secure: std::mem::take(&mut linked.secure_properties),
            hidden: std::mem::take(&mut linked.hidden_properties),
            admin: std::mem::take(&mut linked.admin_properties),
        },
    );
}

/// The sequence tables' rows, then every row grouped into its table.
fn sequenced_tables(linked: &mut Linked) -> Result<(grouped::Tables, Vec<Warning>)> {
    let ensured: Vec<&str> = linked
        .custom
        .ensured
        .iter()
        .map(|(t, _)| t.as_str())
        .collect();
    let mut warnings = sequences::sequence_rows(
        linked.package.dialect,
        &linked.package,
        &linked.schedules,
        &ensured,
        &mut linked.rows,
    )?;
    ui::drop_orphan_dialog_rows(&mut linked.rows, &mut warnings);
    let tables = grouped::group_rows(std::mem::take(&mut linked.rows), &linked.package)?;
    Ok((tables, warnings))
}

fn summary_information(
    package: &crate::model::PackageInfo,
    tables: &grouped::Tables,
    blobs: &[(String, Vec<u8>)],
    opts: &LowerOptions,
) -> Summary {
    let mut summary = summary::summary(package, opts);
    summary.package_code = match &package.package_code {
        Some(c) => c.clone(),
        None => codes::derive_package_code(tables, blobs, &summary),
    };
    summary
}
