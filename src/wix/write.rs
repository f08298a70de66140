//! Writing: a lowered [`Database`] → MSI bytes (a compacted compound file) and the atomic
//! placement of the MSI and any external files.
//!
//! Uses the `msi` crate for tables, string pool and summary information, then copies the
//! compound file with `cfb` so freed sectors disappear (signing tools reject files with
//! garbage sectors) and timestamps become deterministic.

use std::io::{Cursor, Write};
use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

use super::error::{Location, Result, WixError};
use super::lower::Database;
use super::model::Val;

fn io_err(loc: &Location, what: &str, e: impl std::fmt::Display) -> WixError {
    WixError::new(loc.clone(), format!("{what}: {e}"))
}

/// Serialises the database into MSI bytes.
pub fn to_bytes(db: &Database) -> Result<Vec<u8>> {
    let loc = Location::file("<msi>");
    let cursor = Cursor::new(Vec::with_capacity(
        db.streams.iter().map(|s| s.1.len()).sum::<usize>() + (1 << 20),
    ));
    let mut pkg = msi::Package::create(msi::PackageType::Installer, cursor)
        .map_err(|e| io_err(&loc, "creating the database", e))?;
    let cp = msi::CodePage::from_id(db.codepage).ok_or_else(|| {
        WixError::new(loc.clone(), format!("unsupported codepage {}", db.codepage))
    })?;
    pkg.set_database_codepage(cp);
    // Guard the msi crate's limits (2-byte string references, 65,536 rows per table) with
    // a clear error instead of a panic.
    let strings: std::collections::BTreeSet<&str> = db
        .tables
        .values()
        .flatten()
        .flat_map(|(v, _)| v.iter())
        .filter_map(Val::as_str)
        .collect();
    if strings.len() > 60_000 {
        return Err(WixError::new(
            loc.clone(),
            format!(
                "the package has {} distinct strings; svcpack supports up to 60000",
                strings.len()
            ),
        ));
    }
    for (name, rows) in &db.tables {
        if rows.len() > 65_000 {
            return Err(WixError::new(
                rows[0].1.clone(),
                format!(
                    "table {name} has {} rows; svcpack supports up to 65000",
                    rows.len()
                ),
            ));
        }
        let schema = super::tables::schema(name)
            .ok_or_else(|| WixError::new(loc.clone(), format!("internal: no schema for {name}")))?;
        let binary: Vec<bool> = schema
            .iter()
            .map(|c| {
                c.coltype() == msi::ColumnType::Binary
                    || c.category() == Some(msi::Category::Binary)
            })
            .collect();
        pkg.create_table(name.clone(), schema)
            .map_err(|e| io_err(&rows[0].1, &format!("creating table {name}"), e))?;
        let values: Vec<Vec<msi::Value>> = rows
            .iter()
            .map(|(vals, _)| {
                vals.iter()
                    .zip(&binary)
                    .map(|(v, is_bin)| match (v, is_bin) {
                        (_, true) => msi::Value::Binary,
                        (Val::Null, _) => msi::Value::Null,
                        (Val::Int(i), _) => msi::Value::Int(*i),
                        (Val::Str(s), _) => msi::Value::Str(s.clone()),
                    })
                    .collect()
            })
            .collect();
        // One insert per table: the msi crate rewrites the whole table stream per call.
        pkg.insert_rows(msi::Insert::into(name.as_str()).rows(values))
            .map_err(|e| {
                let first = rows
                    .first()
                    .map(|r| r.1.clone())
                    .unwrap_or_else(|| loc.clone());
                io_err(&first, &format!("writing table {name}"), e)
            })?;
    }
    for (name, bytes) in &db.streams {
        let mut w = pkg
            .write_stream(name)
            .map_err(|e| io_err(&loc, &format!("creating stream {name}"), e))?;
        w.write_all(bytes)
            .map_err(|e| io_err(&loc, &format!("writing stream {name}"), e))?;
    }
    let s = &db.summary;
    let when = UNIX_EPOCH + Duration::from_secs(s.timestamp);
    {
        let si = pkg.summary_info_mut();
        si.set_codepage(msi::CodePage::from_id(s.codepage).unwrap_or(msi::CodePage::Windows1252));
        si.set_title(s.title.clone());
        si.set_subject(s.subject.clone());
        si.set_author(s.author.clone());
        si.set_keywords(std::slice::from_ref(&s.keywords));
        si.set_comments(s.comments.clone());
        set_template(si, &s.template);
        if let Some(u) = parse_braced(&s.package_code) {
            si.set_uuid(u);
        }
        si.set_page_count(s.page_count);
        si.set_word_count(s.word_count);
        si.set_doc_security(s.security);
        si.set_creating_application(s.creating_application.clone());
        si.set_creation_time(when);
        si.set_last_save_time(when);
    }
    let cursor = pkg
        .into_inner()
        .map_err(|e| io_err(&loc, "finishing the database", e))?;
    compact(cursor.into_inner(), s.timestamp)
        .map_err(|e| io_err(&loc, "compacting the compound file", e))
}

/// The msi crate splits the template into arch and languages; keep our exact text.
fn set_template(si: &mut msi::SummaryInfo, template: &str) {
    let (arch, langs) = template.split_once(';').unwrap_or((template, "0"));
    si.set_arch(arch.to_string());
    let ids: Vec<msi::LanguageId> = langs
        .split(',')
        .filter_map(|l| l.trim().parse::<u16>().ok())
        .map(msi::LanguageId::from)
        .collect();
    si.set_languages(&ids);
}

fn parse_braced(s: &str) -> Option<uuid::Uuid> {
    uuid::Uuid::parse_str(s.trim_start_matches('{').trim_end_matches('}')).ok()
}

/// Copies the compound file so it holds only live sectors, with fixed timestamps.
fn compact(bytes: Vec<u8>, timestamp: u64) -> std::io::Result<Vec<u8>> {
    let mut src = cfb::CompoundFile::open(Cursor::new(bytes))?;
    let mut dst = src.copy_to(Cursor::new(Vec::new()))?;
    let when = UNIX_EPOCH + Duration::from_secs(timestamp);
    let _ = when;
    // Root storage times are zero (as Windows Installer writes them); streams have none.
    dst.set_modified_time("/", UNIX_EPOCH - Duration::from_secs(11_644_473_600))?;
    dst.set_created_time("/", UNIX_EPOCH - Duration::from_secs(11_644_473_600))?;
    dst.flush()?;
    Ok(dst.into_inner().into_inner())
}

/// Writes the MSI and external files atomically: everything goes to temporary files in the
/// destination directory and is renamed into place only when all of it was written.
pub fn write_outputs(db: &Database, msi_bytes: &[u8], out: &Path) -> Result<()> {
    let loc = Location::file(out);
    let dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir)
        .map_err(|e| io_err(&loc, &format!("creating {}", dir.display()), e))?;
    let mut staged: Vec<(tempfile::NamedTempFile, std::path::PathBuf)> = Vec::new();
    let mut stage = |bytes: &[u8], dest: std::path::PathBuf| -> Result<()> {
        let parent = dest
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| dir.clone());
        std::fs::create_dir_all(&parent)
            .map_err(|e| io_err(&loc, &format!("creating {}", parent.display()), e))?;
        let mut tmp = tempfile::Builder::new()
            .prefix(".svcpack-")
            .tempfile_in(&parent)
            .map_err(|e| io_err(&loc, "creating a temporary file", e))?;
        tmp.write_all(bytes)
            .map_err(|e| io_err(&loc, "writing a temporary file", e))?;
        tmp.as_file()
            .sync_all()
            .map_err(|e| io_err(&loc, "syncing a temporary file", e))?;
        staged.push((tmp, dest));
        Ok(())
    };
    for (rel, bytes) in &db.external {
        stage(bytes, dir.join(rel))?;
    }
    stage(msi_bytes, out.to_path_buf())?;
    for (tmp, dest) in staged {
        tmp.persist(&dest).map_err(|e| {
            io_err(
                &loc,
                &format!("moving the output to {}", dest.display()),
                e.error,
            )
        })?;
    }
    Ok(())
}

/// Temporary files are created private (0600); artifacts are ordinary readable files.
pub fn make_readable(file: &std::fs::File) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    #[cfg(not(unix))]
    let _ = file;
    Ok(())
}
