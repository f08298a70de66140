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

use crate::error::{Location, Result};
use crate::link::Linked;
use crate::model::Val;
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
    let Linked {
        package,
        mut rows,
        components,
        files,
        mut schedules,
        streams,
        media,
        media_template,
        major_upgrade,
        default_major_upgrade,
        wix_variables: _,
        mut secure_properties,
        hidden_properties,
        admin_properties,
        feature_components,
        custom,
    } = linked;
    let dialect = package.dialect;

    let dirs = directories::directory_tree(&rows, &components, &package)?;
    // Before the payload is measured, so that an unreadable manifest is reported as one.
    assemblies::assembly_names(&mut rows, &files, &components)?;
    let data = payload::read_payload(&files)?;
    let layout = media::media_layout(
        &package,
        media,
        media_template,
        &components,
        &files,
        &data,
        &dirs,
        opts,
    )?;
    let mut out_streams = layout.streams;
    let external = layout.external;
    let mut table_rows = layout.rows;
    table_rows.extend(files::file_rows(dialect, &files, &data, &layout.sequence));
    table_rows.extend(components::component_rows(
        &components,
        &feature_components,
        &files,
        &rows,
        &dirs,
        &opts.arch,
        opts.backward_compatible_guids,
    )?);
    let (binary_rows, binary_streams) = binaries::binary_rows(&streams)?;
    table_rows.extend(binary_rows);
    out_streams.extend(binary_streams);
    upgrades::upgrades(
        &package,
        upgrades::Upgrading {
            authored: major_upgrade.as_ref(),
            default: default_major_upgrade,
            downgrade_message: &opts.downgrade_message,
        },
        &rows,
        &mut table_rows,
        &mut secure_properties,
        &mut schedules,
    );
    rows.extend(table_rows);

    // ProductCode "*" is derived from the finished content further down (as WiX gives
    // every build a new code, but reproducibly): any change, including a pre-release
    // becoming its release with the same MSI version, gets a new product code.
    let authored_product_code = package.product_code.is_some();
    properties::properties(
        &package,
        &mut rows,
        properties::Lists {
            secure: secure_properties,
            hidden: hidden_properties,
            admin: admin_properties,
        },
    );
    let ensured: Vec<&str> = custom.ensured.iter().map(|(t, _)| t.as_str()).collect();
    let mut warnings =
        sequences::sequence_rows(dialect, &package, &schedules, &ensured, &mut rows)?;
    ui::drop_orphan_dialog_rows(&mut rows, &mut warnings);
    let mut tables = grouped::group_rows(rows, &package)?;
    let custom_schemas = custom_tables::custom_tables(&custom, &mut tables, &mut out_streams)?;

    let blobs = codes::blob_digests(&out_streams, &external);
    if !authored_product_code {
        codes::derive_product_code(&mut tables, &blobs);
    }

    // Codepage: 1252 unless authored; every string must be representable.
    let codepage = package.codepage.unwrap_or(1252);
    codepage::check_codepage(&tables, codepage)?;

    let mut summary = summary::summary(&package, opts);
    summary.package_code = match &package.package_code {
        Some(c) => c.clone(),
        None => codes::derive_package_code(&tables, &blobs, &summary),
    };
    Ok(Database {
        codepage,
        tables,
        streams: out_streams,
        custom_schemas,
        summary,
        external,
        warnings,
    })
}
