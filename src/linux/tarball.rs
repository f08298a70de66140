//! The Linux tarball: `<package>-<version>-<triple>/` holding the program, the unit, the
//! extra files, the license and `install.sh`/`uninstall.sh`, which install the same layout
//! as the .deb under `/usr/local/lib/<package>` and register the same unit.
//!
//! This file owns the tarball's layout and its two scripts. `DESTDIR=<dir>` makes the
//! scripts work on another tree and leave the running system alone.

use super::archive::{self, Tree};
use super::maintscripts::{create_user, sh_quote};
use super::{unit, Input};

/// Builds the tarball's bytes.
pub fn build(input: &Input) -> Result<Vec<u8>, String> {
    super::check_dests(input.config, input.linux)?;
    let (config, linux) = (input.config, input.linux);
    let layout = unit::Layout::tarball(&linux.package);
    let folder = format!("{}-{}-{}", input.pkg.name, input.pkg.version, input.triple);

    let mut t = Tree::new();
    t.file(&config.binary, input.program.to_vec(), 0o755);
    let files = super::read_files(config)?;
    let mut install = String::new();
    let mut lib_dirs: Vec<String> = Vec::new();
    let mut conf_dirs: Vec<String> = Vec::new();
    let mut copy = String::new();
    for p in &files {
        let dest = super::dest_path(p.entry);
        t.file(&dest, p.data.clone(), p.mode);
        let parent = dest.rsplit_once('/').map(|(d, _)| d.to_string());
        let (src, mode) = (sh_quote(&dest), format!("{:o}", p.mode));
        if p.entry.preserve_on_upgrade {
            if let Some(d) = &parent {
                conf_dirs.push(d.clone());
                lib_dirs.push(d.clone());
            }
            copy.push_str(&format!(
                "# Kept across upgrades: an edited copy is never replaced.\n\
                 [ -e \"$conf/\"{src} ] || install -m {mode} \"$here/\"{src} \"$conf/\"{src}\n\
                 ln -sfn {} \"$lib/\"{src}\n",
                sh_quote(&format!("{}/{dest}", layout.conf_dir))
            ));
        } else {
            if let Some(d) = &parent {
                lib_dirs.push(d.clone());
            }
            copy.push_str(&format!(
                "install -m {mode} \"$here/\"{src} \"$lib/\"{src}\n"
            ));
        }
    }
    install.push_str(&format!(
        "#!/bin/sh\n\
         # Installs {product} {version} from this folder into {lib}, with its\n\
         # configuration in {conf}. Run as root; again to upgrade. DESTDIR=<dir> installs\n\
         # into another tree and leaves the running system alone.\n\
         set -eu\n\
         here=$(cd \"$(dirname \"$0\")\" && pwd)\n\
         root=\"${{DESTDIR:-}}\"\n\
         lib=\"$root\"{qlib}\n\
         conf=\"$root\"{qconf}\n\
         install -d \"$lib\"\n",
        product = config.product_name,
        version = input.pkg.version,
        lib = layout.lib_dir,
        conf = layout.conf_dir,
        qlib = sh_quote(&layout.lib_dir),
        qconf = sh_quote(&layout.conf_dir),
    ));
    if !conf_dirs.is_empty() || files.iter().any(|p| p.entry.preserve_on_upgrade) {
        install.push_str("install -d \"$conf\"\n");
    }
    lib_dirs.sort();
    lib_dirs.dedup();
    conf_dirs.sort();
    conf_dirs.dedup();
    for d in &lib_dirs {
        install.push_str(&format!("install -d \"$lib/\"{}\n", sh_quote(d)));
    }
    for d in &conf_dirs {
        install.push_str(&format!("install -d \"$conf/\"{}\n", sh_quote(d)));
    }
    let bin = sh_quote(&config.binary);
    install.push_str(&format!("install -m 755 \"$here/\"{bin} \"$lib/\"{bin}\n"));
    install.push_str(&copy);

    let mut uninstall = format!(
        "#!/bin/sh\n\
         # Removes what install.sh installed; --purge also deletes {conf} and the\n\
         # service's state and logs. DESTDIR=<dir> works on another tree.\n\
         set -eu\n\
         root=\"${{DESTDIR:-}}\"\n\
         purge=0\n\
         [ \"${{1:-}}\" != --purge ] || purge=1\n",
        conf = layout.conf_dir
    );
    match &config.service {
        Some(service) => {
            let unit_name = unit::unit_name(linux);
            let text = unit::render(
                config,
                service,
                linux,
                &layout,
                input.pkg.homepage.as_deref(),
            );
            t.file(&unit_name, text.into_bytes(), 0o644);
            let u = sh_quote(&unit_name);
            if let Some(h) = &service.host {
                if !h.working_dir.is_root() {
                    install.push_str(&format!(
                        "install -d \"$lib/\"{}\n",
                        sh_quote(&h.working_dir.segments().join("/"))
                    ));
                }
            }
            install.push_str(&format!(
                "install -d \"$root/etc/systemd/system\"\n\
                 install -m 644 \"$here/\"{u} \"$root/etc/systemd/system/\"{u}\n\
                 if [ -z \"$root\" ]; then\n{user}\
                 \x20 if [ -d /run/systemd/system ]; then\n\
                 \x20   systemctl daemon-reload\n",
                user = create_user(&linux.user, "  ")
            ));
            if unit::starts_at_boot(service) {
                install.push_str(&format!(
                    "    systemctl enable {u}\n\
                     \x20   systemctl restart {u}\n"
                ));
            } else {
                install.push_str(&format!("    systemctl try-restart {u}\n"));
            }
            install.push_str(&format!(
                "  elif command -v systemctl >/dev/null 2>&1; then\n\
                 \x20   # systemd is installed but not running (a container).\n\
                 {enable}\
                 \x20 fi\n\
                 fi\n\
                 echo \"installed {unit_name}\"\n",
                enable = if unit::starts_at_boot(service) {
                    format!("    systemctl enable {u} >/dev/null 2>&1 || true\n")
                } else {
                    "    :\n".into()
                }
            ));
            uninstall.push_str(&format!(
                "if [ -z \"$root\" ] && [ -d /run/systemd/system ]; then\n\
                 \x20 systemctl disable --now {u} >/dev/null 2>&1 || true\n\
                 elif [ -z \"$root\" ] && command -v systemctl >/dev/null 2>&1; then\n\
                 \x20 systemctl disable {u} >/dev/null 2>&1 || true\n\
                 fi\n\
                 rm -f \"$root/etc/systemd/system/\"{u}\n\
                 if [ -z \"$root\" ] && [ -d /run/systemd/system ]; then\n\
                 \x20 systemctl daemon-reload || true\n\
                 fi\n"
            ));
        }
        None => {
            install.push_str(&format!(
                "install -d \"$root/usr/local/bin\"\n\
                 ln -sfn {} \"$root/usr/local/bin/\"{bin}\n\
                 echo \"installed {}\"\n",
                sh_quote(&format!("{}/{}", layout.lib_dir, config.binary)),
                config.binary
            ));
            uninstall.push_str(&format!("rm -f \"$root/usr/local/bin/\"{bin}\n"));
        }
    }
    let pkg = sh_quote(&linux.package);
    uninstall.push_str(&format!(
        "rm -rf \"$root\"{}\n\
         if [ \"$purge\" = 1 ]; then\n\
         \x20 rm -rf \"$root\"{} \"$root/var/lib/\"{pkg} \"$root/var/lib/private/\"{pkg} \"$root/var/log/\"{pkg} \"$root/var/log/private/\"{pkg}\n\
         fi\n\
         echo \"uninstalled {}\"\n",
        sh_quote(&layout.lib_dir),
        sh_quote(&layout.conf_dir),
        linux.package
    ));
    if let Some((name, bytes)) = super::license_text(config)? {
        t.file(&name, bytes, 0o644);
    }
    t.file("install.sh", install.into_bytes(), 0o755);
    t.file("uninstall.sh", uninstall.into_bytes(), 0o755);
    archive::gzip(&t.tar(&format!("{folder}/"), true, input.unix_time)?)
}
