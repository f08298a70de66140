//! Linux packages from the same service definition: a .deb and a tarball, each carrying the
//! program, a systemd unit made from the `[service]` keys, the extra files and the license.
//!
//! This module owns the Linux stage's input, the artifact names and the checks that make a
//! configuration unbuildable for Linux; the unit, the control files, the maintainer
//! scripts, the archive formats, the two package layouts and `inspect` each have a file.

pub mod archive;
pub mod control;
pub mod deb;
pub mod inspect;
pub mod maintscripts;
pub mod strip;
pub mod tarball;
pub mod unit;

#[cfg(test)]
mod tests;

use crate::config::{Config, FileEntry, Linux, PackageInfo, Service};

/// What the Linux stage packages.
pub struct Input<'a> {
    pub config: &'a Config,
    pub pkg: &'a PackageInfo,
    pub linux: &'a Linux,
    /// The program as built for `triple`.
    pub program: &'a [u8],
    /// The Rust target triple (`x86_64-unknown-linux-gnu`).
    pub triple: &'a str,
    /// Every timestamp in the archives (SOURCE_DATE_EPOCH when set).
    pub unix_time: u64,
}

impl Input<'_> {
    /// The systemd unit's text for `service` installed in `layout`; the .deb and the
    /// tarball carry the same unit.
    fn unit_text(&self, service: &Service, layout: &unit::Layout) -> String {
        unit::render(
            self.config,
            service,
            self.linux,
            layout,
            self.pkg.homepage.as_deref(),
        )
    }
}

/// One extra file with its bytes and permission bits.
pub struct Payload<'a> {
    pub entry: &'a FileEntry,
    pub data: Vec<u8>,
    pub mode: u32,
}

/// True for the targets the Linux stage packages.
pub fn is_linux_target(triple: &str) -> bool {
    triple.contains("-linux-")
}

/// The .deb's name: `<package>_<version>-<revision>_<arch>.deb` (Debian's convention).
pub fn deb_file_name(pkg: &PackageInfo, linux: &Linux, triple: &str) -> Result<String, String> {
    let arch = arch(triple)?;
    Ok(format!(
        "{}_{}_{arch}.deb",
        linux.package,
        control::deb_version(&pkg.version, linux)
    ))
}

/// The tarball's name: `<package>-<version>-<triple>.tar.gz`.
pub fn tarball_file_name(pkg: &PackageInfo, triple: &str) -> String {
    format!("{}-{}-{triple}.tar.gz", pkg.name, pkg.version)
}

fn arch(triple: &str) -> Result<&'static str, String> {
    control::deb_arch(triple).ok_or_else(|| {
        format!(
            "no Debian architecture for --target {triple}; allowed: x86_64-unknown-linux-gnu, \
             aarch64-unknown-linux-gnu (and i686, armv7, riscv64gc)"
        )
    })
}

/// Checks that `program` is an ELF executable for the target's machine, so a Windows exe
/// or a program built for another architecture is never packaged.
pub fn check_elf(program: &[u8], triple: &str) -> Result<(), String> {
    if program.len() < 20 || !program.starts_with(b"\x7fELF") {
        return Err(
            "not an ELF executable; a Linux target packages a program built for Linux".into(),
        );
    }
    // e_machine, at offset 18, in the file's byte order (EI_DATA: 1 little, 2 big endian).
    let raw = [program[18], program[19]];
    let machine = if program[5] == 2 {
        u16::from_be_bytes(raw)
    } else {
        u16::from_le_bytes(raw)
    };
    let (want, name) = match triple.split('-').next().unwrap_or_default() {
        "x86_64" => (62, "x86-64"),
        "aarch64" => (183, "AArch64"),
        "i686" | "i586" => (3, "x86"),
        "armv7" => (40, "ARM"),
        "riscv64gc" => (243, "RISC-V"),
        _ => return Ok(()),
    };
    if machine == want {
        Ok(())
    } else {
        Err(format!(
            "an ELF program for machine {machine}, not {name} as --target {triple} needs"
        ))
    }
}

/// The configuration problems that only a Linux target has, all of them, one per line
/// (each after the first with its own `error: `, as the command line prints the first).
pub fn check(linux: &Linux) -> Result<(), String> {
    if linux.errors.is_empty() {
        Ok(())
    } else {
        Err(linux.errors.join("\nerror: "))
    }
}

/// Reads the extra files; an executable source stays executable.
pub fn read_files(config: &Config) -> Result<Vec<Payload<'_>>, String> {
    let mut out = Vec::new();
    for entry in &config.files {
        let data = std::fs::read(&entry.source)
            .map_err(|e| format!("cannot read {}: {e}", entry.source.display()))?;
        let mode = if executable(&entry.source) {
            0o755
        } else {
            0o644
        };
        out.push(Payload { entry, data, mode });
    }
    Ok(out)
}

#[cfg(unix)]
fn executable(path: &std::path::Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .map(|m| m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

#[cfg(not(unix))]
fn executable(_: &std::path::Path) -> bool {
    false
}

/// A file's destination as a `/` path.
fn dest_path(entry: &FileEntry) -> String {
    entry.dest.segments().join("/")
}

/// Refuses an extra file that would land on the program itself (on Linux it has no `.exe`)
/// or on a file of the tarball's own (its scripts, the unit).
pub fn check_dests(config: &Config, linux: &Linux) -> Result<(), String> {
    let unit = unit::unit_name(linux);
    let taken = [
        (config.binary.as_str(), "the program's own name on Linux"),
        ("install.sh", "the tarball's install script"),
        ("uninstall.sh", "the tarball's uninstall script"),
        (unit.as_str(), "the tarball's systemd unit"),
    ];
    for f in &config.files {
        let dest = dest_path(f);
        if let Some((_, what)) = taken.iter().find(|(name, _)| *name == dest) {
            return Err(format!(
                "the file {} has dest `{}`, which is {what}; allowed: another dest",
                f.source.display(),
                f.dest
            ));
        }
    }
    Ok(())
}

/// The license file's contents, when configured.
fn license_text(config: &Config) -> Result<Option<(String, Vec<u8>)>, String> {
    let Some(path) = &config.license else {
        return Ok(None);
    };
    let data = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "LICENSE".into());
    Ok(Some((name, data)))
}
