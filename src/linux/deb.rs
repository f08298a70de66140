//! The .deb (deb(5)): `debian-binary`, `control.tar.gz` and `data.tar.gz` in an ar archive.
//!
//! This file owns the package's layout: the program and its files in `/usr/lib/<package>`,
//! `preserve-on-upgrade` files as conffiles in `/etc/<package>` (linked from where the
//! program expects them), the unit in `/lib/systemd/system`, the copyright and changelog
//! in `/usr/share/doc/<package>`.

use md5::{Digest, Md5};

use super::archive::{self, Node, Tree};
use super::{control, maintscripts, unit, Input};

/// Builds the .deb's bytes.
pub fn build(input: &Input) -> Result<Vec<u8>, String> {
    super::check_dests(input.config, input.linux)?;
    let arch = super::arch(input.triple)?;
    let (config, linux) = (input.config, input.linux);
    let layout = unit::Layout::deb(&linux.package);
    let lib = layout.lib_dir.trim_start_matches('/').to_string();
    let conf = layout.conf_dir.trim_start_matches('/').to_string();
    let doc = format!("usr/share/doc/{}", linux.package);

    let mut data = Tree::new();
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
    let unit_name = unit::unit_name(linux);
    let mut scripts = None;
    match &config.service {
        Some(service) => {
            if let Some(h) = &service.host {
                if !h.working_dir.is_root() {
                    data.dir(&format!("{lib}/{}", h.working_dir.segments().join("/")));
                }
            }
            let text = input.unit_text(service, &layout);
            data.file(
                &format!("lib/systemd/system/{unit_name}"),
                text.into_bytes(),
                0o644,
            );
            scripts = Some(maintscripts::scripts(
                linux,
                &unit_name,
                unit::starts_at_boot(service),
            ));
        }
        None => {
            // A plain program is run by name.
            data.symlink(
                &format!("usr/bin/{}", config.binary),
                &format!("../lib/{}/{}", linux.package, config.binary),
            );
        }
    }
    let year = crate::config::year_of_unix_time(input.unix_time as i64);
    let license =
        super::license_text(config)?.map(|(_, bytes)| String::from_utf8_lossy(&bytes).into_owned());
    data.file(
        &format!("{doc}/copyright"),
        control::copyright(config, input.pkg, year, license.as_deref()).into_bytes(),
        0o644,
    );
    let changelog = control::changelog(input.pkg, linux, input.unix_time as i64);
    data.file(
        &format!("{doc}/changelog.Debian.gz"),
        archive::gzip(changelog.as_bytes())?,
        0o644,
    );

    let mut md5sums = String::new();
    for (path, node) in data.entries() {
        if let Node::File { data, .. } = node {
            let digest = Md5::digest(data);
            let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            md5sums.push_str(&format!("{hex}  {path}\n"));
        }
    }
    let mut ctl = Tree::new();
    ctl.file(
        "control",
        control::control(config, input.pkg, linux, arch, data.installed_kib()).into_bytes(),
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
    ctl.file("md5sums", md5sums.into_bytes(), 0o644);
    if let Some(s) = scripts {
        ctl.file("postinst", s.postinst.into_bytes(), 0o755);
        ctl.file("prerm", s.prerm.into_bytes(), 0o755);
        ctl.file("postrm", s.postrm.into_bytes(), 0o755);
    }
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
