//! The .deb's maintainer scripts (Debian policy 6): enable and start the unit on install,
//! restart it on upgrade, stop and disable it on removal, delete its state on purge.
//!
//! They behave without a running systemd (containers, chroots: the unit is only enabled,
//! for the next boot) and under `dpkg --root` with `--force-script-chrootless`, where
//! `$DPKG_ROOT` names the tree being installed and nothing of the running system may be
//! touched. This file also owns the POSIX shell quoting the tarball's scripts share.

use crate::config::{Linux, LinuxUser};

/// A word for `sh`, in single quotes.
pub fn sh_quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', "'\\''"))
}

/// Shell lines creating the named account the unit runs as, when it does not exist yet: a
/// system user with its own group, no home and no login shell.
pub fn create_user(user: &LinuxUser, indent: &str) -> String {
    let LinuxUser::Named(name) = user else {
        return String::new();
    };
    let q = sh_quote(name);
    format!(
        "{indent}if ! getent passwd {q} >/dev/null 2>&1; then\n\
         {indent}  useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin {q}\n\
         {indent}fi\n"
    )
}

/// Where removal records that it disabled a unit.
const MARKER_DIR: &str = "/var/lib/svcpack";

fn removed_marker(unit: &str) -> String {
    format!("{MARKER_DIR}/{unit}.removed")
}

/// The maintainer scripts of a service's package.
pub struct Scripts {
    pub postinst: String,
    pub prerm: String,
    pub postrm: String,
}

/// The three scripts. `enable`: the unit starts at boot (auto and delayed start).
pub fn scripts(linux: &Linux, unit: &str, enable: bool) -> Scripts {
    let u = sh_quote(unit);
    let head = |name: &str| {
        format!(
            "#!/bin/sh\n# {name} of {}, written by cargo-svcpack.\nset -e\n\n",
            linux.package
        )
    };

    let mut postinst = head("postinst");
    postinst.push_str("if [ \"$1\" = configure ]; then\n");
    let user = create_user(&linux.user, "  ");
    if !user.is_empty() {
        postinst.push_str("  if [ -z \"${DPKG_ROOT:-}\" ]; then\n");
        postinst.push_str(&create_user(&linux.user, "    "));
        postinst.push_str("  fi\n");
    }
    // Removal (not purge) leaves a marker, so installing again enables the unit as a
    // first install would; an upgrade keeps whatever the administrator chose.
    let marker = format!("\"${{DPKG_ROOT:-}}\"{}", sh_quote(&removed_marker(unit)));
    postinst.push_str(&format!(
        "  fresh=\n\
         \x20 [ -n \"$2\" ] || fresh=1\n\
         \x20 if [ -e {marker} ]; then\n\
         \x20   fresh=1\n\
         \x20   rm -f {marker}\n\
         \x20   rmdir \"${{DPKG_ROOT:-}}{MARKER_DIR}\" 2>/dev/null || true\n\
         \x20 fi\n"
    ));
    if enable {
        postinst.push_str(&format!(
            "  if [ -n \"${{DPKG_ROOT:-}}\" ]; then\n\
             \x20   # Installed into another tree: enable the unit there, start nothing here.\n\
             \x20   if [ -n \"$fresh\" ] && command -v systemctl >/dev/null 2>&1; then\n\
             \x20     systemctl --root=\"$DPKG_ROOT\" enable {u} >/dev/null 2>&1 || true\n\
             \x20   fi\n\
             \x20 elif [ -d /run/systemd/system ]; then\n\
             \x20   systemctl daemon-reload >/dev/null 2>&1 || true\n\
             \x20   if [ -n \"$fresh\" ]; then\n\
             \x20     systemctl enable {u} >/dev/null 2>&1 || true\n\
             \x20     systemctl start {u} || echo \"{unit} did not start; see: journalctl -u {unit}\" >&2\n\
             \x20   else\n\
             \x20     systemctl try-restart {u} || echo \"{unit} did not restart; see: journalctl -u {unit}\" >&2\n\
             \x20   fi\n\
             \x20 elif [ -n \"$fresh\" ] && command -v systemctl >/dev/null 2>&1; then\n\
             \x20   # systemd is installed but not running (a container): enable for the next boot.\n\
             \x20   systemctl enable {u} >/dev/null 2>&1 || true\n\
             \x20 fi\n"
        ));
    } else {
        postinst.push_str(&format!(
            "  if [ -z \"${{DPKG_ROOT:-}}\" ] && [ -d /run/systemd/system ]; then\n\
             \x20   systemctl daemon-reload >/dev/null 2>&1 || true\n\
             \x20   [ -n \"$fresh\" ] || systemctl try-restart {u} || true\n\
             \x20 fi\n"
        ));
    }
    postinst.push_str("fi\n\nexit 0\n");

    let mut prerm = head("prerm");
    prerm.push_str(&format!(
        "if [ \"$1\" = remove ]; then\n\
         \x20 if [ -z \"${{DPKG_ROOT:-}}\" ] && [ -d /run/systemd/system ]; then\n\
         \x20   systemctl stop {u} >/dev/null 2>&1 || true\n\
         \x20 fi\n\
         \x20 if command -v systemctl >/dev/null 2>&1; then\n\
         \x20   if [ -n \"${{DPKG_ROOT:-}}\" ]; then\n\
         \x20     systemctl --root=\"$DPKG_ROOT\" disable {u} >/dev/null 2>&1 || true\n\
         \x20   else\n\
         \x20     systemctl disable {u} >/dev/null 2>&1 || true\n\
         \x20   fi\n\
         \x20 fi\n\
         \x20 mkdir -p \"${{DPKG_ROOT:-}}{MARKER_DIR}\"\n\
         \x20 : > {marker}\n\
         fi\n\nexit 0\n"
    ));

    let pkg = sh_quote(&linux.package);
    let mut postrm = head("postrm");
    postrm.push_str(&format!(
        "case \"$1\" in\n\
         \x20 remove)\n\
         \x20   if [ -z \"${{DPKG_ROOT:-}}\" ] && [ -d /run/systemd/system ]; then\n\
         \x20     systemctl daemon-reload >/dev/null 2>&1 || true\n\
         \x20   fi\n\
         \x20   ;;\n\
         \x20 purge)\n\
         \x20   # The service's state and logs (DynamicUser keeps them under private/).\n\
         \x20   root=\"${{DPKG_ROOT:-}}\"\n\
         \x20   rm -rf \"$root/var/lib/\"{pkg} \"$root/var/lib/private/\"{pkg} \"$root/var/log/\"{pkg} \"$root/var/log/private/\"{pkg}\n\
         \x20   rmdir \"$root/etc/\"{pkg} 2>/dev/null || true\n\
         \x20   rm -f {marker}\n\
         \x20   rmdir \"$root{MARKER_DIR}\" 2>/dev/null || true\n\
         \x20   ;;\n\
         esac\n\nexit 0\n"
    ));
    Scripts {
        postinst,
        prerm,
        postrm,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_for_sh() {
        assert_eq!(sh_quote("a b"), "'a b'");
        assert_eq!(sh_quote("it's"), "'it'\\''s'");
    }

    #[test]
    fn named_users_are_created_once() {
        let s = create_user(&LinuxUser::Named("ledger".into()), "");
        assert!(s.contains("getent passwd 'ledger'"), "{s}");
        assert!(s.contains("useradd --system"), "{s}");
        assert_eq!(create_user(&LinuxUser::Dynamic, ""), "");
    }
}
