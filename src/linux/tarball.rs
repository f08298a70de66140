//! The Linux tarball: `<package>-<version>-<triple>/` holding the program, the unit, the
//! extra files, the license and `install.sh`/`uninstall.sh`, which install the same layout
//! as the .deb under `/usr/local/lib/<package>` and register the same unit.
//!
//! This file owns the tarball's layout and its two scripts. `DESTDIR=<dir>` makes the
//! scripts work on another tree and leave the running system alone.

use super::archive::{self, Tree};
use super::maintscripts::{create_user, sh_quote};
use super::{unit, Input, Payload};
use crate::config::Service;

/// Builds the tarball's bytes.
pub fn build(input: &Input) -> Result<Vec<u8>, String> {
    super::check_dests(input.config, input.linux)?;
    let (config, linux) = (input.config, input.linux);
    let layout = unit::Layout::tarball(&linux.package);
    let folder = format!("{}-{}-{}", input.pkg.name, input.pkg.version, input.triple);

    let mut t = Tree::new();
    t.file(&config.binary, input.program.to_vec(), 0o755);
    let files = super::read_files(config)?;
    let extra = ExtraFiles::add(&files, &layout, &mut t);
    let mut install = install_header(input, &layout);
    let keeps_config = files.iter().any(|p| p.entry.preserve_on_upgrade);
    install.push_str(&extra.install_lines(keeps_config, &config.binary));
    let mut uninstall = uninstall_header(&layout);
    match &config.service {
        Some(service) => {
            let unit_name = unit::unit_name(linux);
            let text = input.unit_text(service, &layout);
            t.file(&unit_name, text.into_bytes(), 0o644);
            install.push_str(&install_unit(input, service, &unit_name));
            uninstall.push_str(&uninstall_unit(&sh_quote(&unit_name)));
        }
        None => {
            let bin = sh_quote(&config.binary);
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
    uninstall.push_str(&uninstall_folders(input, &layout));
    if let Some((name, bytes)) = super::license_text(config)? {
        t.file(&name, bytes, 0o644);
    }
    t.file("install.sh", install.into_bytes(), 0o755);
    t.file("uninstall.sh", uninstall.into_bytes(), 0o755);
    archive::gzip(&t.tar(&format!("{folder}/"), true, input.unix_time)?)
}

/// The `[[files]]` entries as `install.sh` installs them.
struct ExtraFiles {
    /// Folders under the program's folder the files go in.
    lib_dirs: Vec<String>,
    /// Folders under the configuration folder holding files kept across upgrades.
    conf_dirs: Vec<String>,
    /// The lines copying each file, in configuration order.
    copy: String,
}

impl ExtraFiles {
    /// Adds each `[[files]]` entry to the tarball and writes the line installing it: a file
    /// with `preserve-on-upgrade` is copied into the configuration folder only when missing
    /// and linked from the program's folder.
    fn add(files: &[Payload], layout: &unit::Layout, t: &mut Tree) -> Self {
        let mut extra = ExtraFiles {
            lib_dirs: Vec::new(),
            conf_dirs: Vec::new(),
            copy: String::new(),
        };
        for p in files {
            let dest = super::dest_path(p.entry);
            t.file(&dest, p.data.clone(), p.mode);
            let parent = dest.rsplit_once('/').map(|(d, _)| d.to_string());
            let (src, mode) = (sh_quote(&dest), format!("{:o}", p.mode));
            if p.entry.preserve_on_upgrade {
                if let Some(d) = &parent {
                    extra.conf_dirs.push(d.clone());
                    extra.lib_dirs.push(d.clone());
                }
                extra.copy.push_str(&format!(
                    "# Kept across upgrades: an edited copy is never replaced.\n\
                     [ -e \"$conf/\"{src} ] || install -m {mode} \"$here/\"{src} \"$conf/\"{src}\n\
                     ln -sfn {} \"$lib/\"{src}\n",
                    sh_quote(&format!("{}/{dest}", layout.conf_dir))
                ));
            } else {
                if let Some(d) = &parent {
                    extra.lib_dirs.push(d.clone());
                }
                extra.copy.push_str(&format!(
                    "install -m {mode} \"$here/\"{src} \"$lib/\"{src}\n"
                ));
            }
        }
        extra
    }

    /// `install.sh`'s lines making the folders (the configuration folder when
    /// `keeps_config`), then copying the program `binary` and the files.
    fn install_lines(mut self, keeps_config: bool, binary: &str) -> String {
        let mut out = String::new();
        if !self.conf_dirs.is_empty() || keeps_config {
            out.push_str("install -d \"$conf\"\n");
        }
        self.lib_dirs.sort();
        self.lib_dirs.dedup();
        self.conf_dirs.sort();
        self.conf_dirs.dedup();
        for d in &self.lib_dirs {
            out.push_str(&make_dir("lib", d));
        }
        for d in &self.conf_dirs {
            out.push_str(&make_dir("conf", d));
        }
        let bin = sh_quote(binary);
        out.push_str(&format!("install -m 755 \"$here/\"{bin} \"$lib/\"{bin}\n"));
        out.push_str(&self.copy);
        out
    }
}

/// A script line creating `dir` below the folder in shell variable `base` (`lib`, `conf`).
fn make_dir(base: &str, dir: &str) -> String {
    format!("install -d \"${base}/\"{}\n", sh_quote(dir))
}

/// `install.sh`'s opening: what it installs where, and the variables the rest uses.
fn install_header(input: &Input, layout: &unit::Layout) -> String {
    format!(
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
        product = input.config.product_name,
        version = input.pkg.version,
        lib = layout.lib_dir,
        conf = layout.conf_dir,
        qlib = sh_quote(&layout.lib_dir),
        qconf = sh_quote(&layout.conf_dir),
    )
}

/// `install.sh`'s lines for `[service]`: the host's working directory, the unit, the
/// account, and enabling and (re)starting the unit when systemd runs.
fn install_unit(input: &Input, service: &Service, unit_name: &str) -> String {
    let u = sh_quote(unit_name);
    let mut out = String::new();
    if let Some(h) = &service.host {
        if !h.working_dir.is_root() {
            out.push_str(&make_dir("lib", &h.working_dir.segments().join("/")));
        }
    }
    out.push_str(&format!(
        "install -d \"$root/etc/systemd/system\"\n\
         install -m 644 \"$here/\"{u} \"$root/etc/systemd/system/\"{u}\n\
         if [ -z \"$root\" ]; then\n{user}\
         \x20 if [ -d /run/systemd/system ]; then\n\
         \x20   systemctl daemon-reload\n",
        user = create_user(&input.linux.user, "  ")
    ));
    if unit::starts_at_boot(service) {
        out.push_str(&format!(
            "    systemctl enable {u}\n\
             \x20   systemctl restart {u}\n"
        ));
    } else {
        out.push_str(&format!("    systemctl try-restart {u}\n"));
    }
    out.push_str(&format!(
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
    out
}

/// `uninstall.sh`'s opening: what it removes, and the `--purge` switch.
fn uninstall_header(layout: &unit::Layout) -> String {
    format!(
        "#!/bin/sh\n\
         # Removes what install.sh installed; --purge also deletes {conf} and the\n\
         # service's state and logs. DESTDIR=<dir> works on another tree.\n\
         set -eu\n\
         root=\"${{DESTDIR:-}}\"\n\
         purge=0\n\
         [ \"${{1:-}}\" != --purge ] || purge=1\n",
        conf = layout.conf_dir
    )
}

/// `uninstall.sh`'s lines stopping, disabling and removing the unit `u` (shell-quoted).
fn uninstall_unit(u: &str) -> String {
    format!(
        "if [ -z \"$root\" ] && [ -d /run/systemd/system ]; then\n\
         \x20 systemctl disable --now {u} >/dev/null 2>&1 || true\n\
         elif [ -z \"$root\" ] && command -v systemctl >/dev/null 2>&1; then\n\
         \x20 systemctl disable {u} >/dev/null 2>&1 || true\n\
         fi\n\
         rm -f \"$root/etc/systemd/system/\"{u}\n\
         if [ -z \"$root\" ] && [ -d /run/systemd/system ]; then\n\
         \x20 systemctl daemon-reload || true\n\
         fi\n"
    )
}

/// `uninstall.sh`'s closing: removing the program's folder and, with `--purge`, the
/// configuration, state and log folders.
fn uninstall_folders(input: &Input, layout: &unit::Layout) -> String {
    let package = &input.linux.package;
    let pkg = sh_quote(package);
    format!(
        "rm -rf \"$root\"{}\n\
         if [ \"$purge\" = 1 ]; then\n\
         \x20 rm -rf \"$root\"{} \"$root/var/lib/\"{pkg} \"$root/var/lib/private/\"{pkg} \"$root/var/log/\"{pkg} \"$root/var/log/private/\"{pkg}\n\
         fi\n\
         echo \"uninstalled {}\"\n",
        sh_quote(&layout.lib_dir),
        sh_quote(&layout.conf_dir),
        package
    )
}
