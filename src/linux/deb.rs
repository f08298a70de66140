//! The .deb (deb(5)): `debian-binary`, `control.tar.gz` and `data.tar.gz` in an ar archive.
//!
//! This file owns the package's layout: the program and its files in `/usr/lib/<package>`,
//! `preserve-on-upgrade` files as conffiles in `/etc/<package>` (linked from where the
//! program expects them), the unit in `/lib/systemd/system`, the copyright and changelog
//! in `/usr/share/doc/<package>`.

use md5::{Digest, Md5};

use super::archive::{self, Node, Tree};
use super::{control, maintscripts, unit, Input};

/// Builds the .deb's bytes: the data tree (program and files, the unit or the command
/// link, the docs), then the control tree describing it, then the ar archive.
pub fn build(input: &Input) -> Result<Vec<u8>, String> {
    super::check_dests(input.config, input.linux)?;
    let arch = super::arch(input.triple)?;
    let dirs = Dirs::new(&input.linux.package);
    let mut data = Tree::new();
    let conffiles = program_files(input, &dirs, &mut data)?;
    let scripts = service_files(input, &dirs, &mut data);
    doc_files(input, &dirs, &mut data)?;
    let ctl = control_tree(input, arch, &data, conffiles, scripts);
    let t = input.unix_time;
    let control_tar = archive::gzip(&ctl.tar("./", true, t)?)?;
    let data_tar = archive::gzip(&data.tar("./", true, t)?)?;
    archive::ar(
        &[
            ("debian-binary", b"2.0\n"),
            ("control.tar.gz", &control_tar),
            ("data.tar.gz", &data_tar),
        ],
        t,
    )
}

/// The package's directories, as paths inside the data tree (no leading `/`).
struct Dirs {
    layout: unit::Layout,
    lib: String,
    conf: String,
    doc: String,
}

impl Dirs {
    fn new(package: &str) -> Self {
        let layout = unit::Layout::deb(package);
        Dirs {
            lib: layout.lib_dir.trim_start_matches('/').to_string(),
            conf: layout.conf_dir.trim_start_matches('/').to_string(),
            doc: format!("usr/share/doc/{package}"),
            layout,
        }
    }
}

/// The program and its files; returns the conffiles (absolute paths).
fn program_files(input: &Input, dirs: &Dirs, data: &mut Tree) -> Result<Vec<String>, String> {
    let (config, lib, conf) = (input.config, &dirs.lib, &dirs.conf);
    data.file(
        &format!("{lib}/{}", config.binary),
        input.program.to_vec(),
        0o755,
    );
    let mut conffiles = Vec::new();
    for p in super::read_files(config)? {
        let dest = super::dest_path(p.entry);
        if p.entry.preserve_on_upgrade {
            // dpkg keeps an administrator's edits to a conffile across upgrades and asks
            // before replacing them; the program still finds the file where it expects it.
            data.file(&format!("{conf}/{dest}"), p.data, p.mode);
            data.symlink(&format!("{lib}/{dest}"), &format!("/{conf}/{dest}"));
            conffiles.push(format!("/{conf}/{dest}"));
        } else {
            data.file(&format!("{lib}/{dest}"), p.data, p.mode);
        }
    }
    Ok(conffiles)
}

/// A service's working directory and unit (returning its maintainer scripts), or a plain
/// program's link in /usr/bin.
fn service_files(input: &Input, dirs: &Dirs, data: &mut Tree) -> Option<maintscripts::Scripts> {
    let (config, linux, lib) = (input.config, input.linux, &dirs.lib);
    let Some(service) = &config.service else {
        // A plain program is run by name.
        data.symlink(
            &format!("usr/bin/{}", config.binary),
            &format!("../lib/{}/{}", linux.package, config.binary),
        );
        return None;
    };
    if let Some(h) = &service.host {
        if !h.working_dir.is_root() {
            data.dir(&format!("{lib}/{}", h.working_dir.segments().join("/")));
        }
    }
    let unit_name = unit::unit_name(linux);
    let text = input.unit_text(service, &dirs.layout);
    data.file(
        &format!("lib/systemd/system/{unit_name}"),
        text.into_bytes(),
        0o644,
    );
    Some(maintscripts::scripts(
        linux,
        &unit_name,
        unit::starts_at_boot(service),
    ))
}

/// The copyright (with the license text when there is one) and the changelog.
fn doc_files(input: &Input, dirs: &Dirs, data: &mut Tree) -> Result<(), String> {
    let (config, doc) = (input.config, &dirs.doc);
    let year = crate::config::year_of_unix_time(input.unix_time as i64);
    let license =
        super::license_text(config)?.map(|(_, bytes)| String::from_utf8_lossy(&bytes).into_owned());
    data.file(
        &format!("{doc}/copyright"),
        control::copyright(config, input.pkg, year, license.as_deref()).into_bytes(),
        0o644,
    );
    let changelog = control::changelog(input.pkg, input.linux, input.unix_time as i64);
    data.file(
        &format!("{doc}/changelog.Debian.gz"),
        archive::gzip(changelog.as_bytes())?,
        0o644,
    );
    Ok(())
}

/// The control tree: `control`, `conffiles`, `md5sums` and a service's maintainer scripts.
fn control_tree(
    input: &Input,
    arch: &str,
    data: &Tree,
    mut conffiles: Vec<String>,
    scripts: Option<maintscripts::Scripts>,
) -> Tree {
    let mut ctl = Tree::new();
    ctl.file(
        "control",
        control::control(
            input.config,
            input.pkg,
            input.linux,
            arch,
            data.installed_kib(),
        )
        .into_bytes(),
        0o644,
    );
    if !conffiles.is_empty() {
        conffiles.sort();
        ctl.file(
            "conffiles",
            (conffiles.join("\n") + "\n").into_bytes(),
            0o644,
        );
    }
    ctl.file("md5sums", md5sums(data).into_bytes(), 0o644);
    if let Some(s) = scripts {
        ctl.file("postinst", s.postinst.into_bytes(), 0o755);
        ctl.file("prerm", s.prerm.into_bytes(), 0o755);
        ctl.file("postrm", s.postrm.into_bytes(), 0o755);
    }
    ctl
}

/// `md5sums`: each regular file's digest and path, as `md5sum` writes them.
fn md5sums(data: &Tree) -> String {
    let mut md5sums = String::new();
    for (path, node) in data.entries() {
        if let Node::File { data, .. } = node {
            let digest = Md5::digest(data);
            let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            md5sums.push_str(&format!("{hex}  {path}\n"));
        }
    }
    md5sums
}
