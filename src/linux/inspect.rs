//! `cargo svcpack inspect <file>.deb`: what a .deb declares and installs — its control
//! fields, conffiles, maintainer scripts, systemd units and file list.
//!
//! This file owns reading a .deb back (any .deb with gzip-compressed members, not only
//! svcpack's) and the report's text.

use std::path::Path;

use super::archive;

/// The report for the .deb at `path`.
pub fn inspect_deb(path: &Path) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    report(&bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// The report for a .deb's bytes.
pub fn report(bytes: &[u8]) -> Result<String, String> {
    let members = archive::ar_members(bytes)?;
    let member = |prefix: &str| {
        members
            .iter()
            .find(|(n, _)| n.starts_with(prefix))
            .ok_or_else(|| format!("not a .deb: no {prefix}* member"))
    };
    let (_, version) = member("debian-binary")?;
    let tar_of = |name: &str, data: &[u8]| -> Result<Vec<(String, Vec<u8>, u32)>, String> {
        if name.ends_with(".gz") {
            archive::tar_entries(&archive::gunzip(data)?)
        } else if name.ends_with(".tar") {
            archive::tar_entries(data)
        } else {
            Err(format!(
                "{name}: only gzip-compressed or uncompressed members can be read"
            ))
        }
    };
    let (control_name, control_data) = member("control.tar")?;
    let (data_name, data_data) = member("data.tar")?;
    let control = tar_of(control_name, control_data)?;
    let data = tar_of(data_name, data_data)?;
    let find = |name: &str| {
        control
            .iter()
            .find(|(p, _, _)| p.trim_start_matches("./") == name)
            .map(|(_, d, _)| String::from_utf8_lossy(d).into_owned())
    };
    let mut out = format!(
        "format: {}\ncontrol:\n",
        String::from_utf8_lossy(version).trim()
    );
    for line in find("control").unwrap_or_default().lines() {
        out.push_str(&format!("  {line}\n"));
    }
    out.push_str("conffiles:\n");
    match find("conffiles") {
        Some(c) if !c.trim().is_empty() => {
            for l in c.lines() {
                out.push_str(&format!("  {l}\n"));
            }
        }
        _ => out.push_str("  (none)\n"),
    }
    let scripts: Vec<&str> = ["preinst", "postinst", "prerm", "postrm"]
        .into_iter()
        .filter(|s| find(s).is_some())
        .collect();
    out.push_str(&format!(
        "maintainer scripts: {}\n",
        if scripts.is_empty() {
            "(none)".to_string()
        } else {
            scripts.join(", ")
        }
    ));
    for (path, contents, _) in &data {
        let p = rooted(path);
        let is_unit = (p.starts_with("/lib/systemd/system/")
            || p.starts_with("/usr/lib/systemd/system/"))
            && (p.ends_with(".service") || p.ends_with(".socket") || p.ends_with(".timer"));
        if is_unit {
            out.push_str(&format!("unit {p}:\n"));
            for line in String::from_utf8_lossy(contents).lines() {
                out.push_str(&format!("  {line}\n"));
            }
        }
    }
    out.push_str("files:\n");
    for (path, contents, mode) in &data {
        out.push_str(&format!(
            "  {:04o} {:>9} {}\n",
            mode,
            contents.len(),
            rooted(path)
        ));
    }
    Ok(out)
}

/// `./usr/x` and `usr/x` as `/usr/x`.
fn rooted(path: &str) -> String {
    format!("/{}", path.trim_start_matches("./").trim_start_matches('/'))
}
