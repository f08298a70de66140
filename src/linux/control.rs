//! The .deb's metadata text: the `control` file (deb-control(5)), the copyright file and
//! the Debian changelog that Debian policy (12.5, 12.7) asks every binary package to ship.
//!
//! This file owns field syntax and the version mapping; the files' places in the package
//! are the .deb module's.

use crate::config::{Config, Linux, PackageInfo};

/// Debian's architecture name for a Rust target triple, for the targets svcpack builds.
pub fn deb_arch(triple: &str) -> Option<&'static str> {
    let arch = triple.split('-').next()?;
    Some(match arch {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "i686" | "i586" => "i386",
        "armv7" => "armhf",
        "riscv64gc" => "riscv64",
        _ => return None,
    })
}

/// The upstream version as Debian orders it: a semver pre-release (`1.0.0-rc.1`) sorts
/// before its release in semver, which Debian expresses with `~` (`1.0.0~rc.1`).
pub fn upstream_version(version: &semver::Version) -> String {
    let mut v = format!("{}.{}.{}", version.major, version.minor, version.patch);
    if !version.pre.is_empty() {
        v.push('~');
        v.push_str(&version.pre.as_str().replace('-', "."));
    }
    if !version.build.is_empty() {
        v.push('+');
        v.push_str(&version.build.as_str().replace('-', "."));
    }
    v
}

/// `<upstream>-<revision>`.
pub fn deb_version(version: &semver::Version, linux: &Linux) -> String {
    format!("{}-{}", upstream_version(version), linux.revision)
}

/// The `control` file.
pub fn control(
    config: &Config,
    pkg: &PackageInfo,
    linux: &Linux,
    arch: &str,
    installed_kib: u64,
) -> String {
    let mut c = String::new();
    let mut field = |k: &str, v: &str| {
        c.push_str(k);
        c.push_str(": ");
        c.push_str(v);
        c.push('\n');
    };
    field("Package", &linux.package);
    field("Version", &deb_version(&pkg.version, linux));
    field("Architecture", arch);
    field("Maintainer", &linux.maintainer);
    field("Installed-Size", &installed_kib.to_string());
    if !linux.depends.is_empty() {
        field("Depends", &linux.depends.join(", "));
    }
    field("Section", &linux.section);
    field("Priority", "optional");
    if let Some(url) = pkg
        .homepage
        .as_deref()
        .filter(|u| !u.contains(char::is_whitespace))
    {
        field("Homepage", url);
    }
    let (synopsis, long) = description(config, pkg, linux);
    c.push_str("Description: ");
    c.push_str(&synopsis);
    c.push('\n');
    c.push_str(&long);
    c
}

/// The synopsis (one line, at most 80 characters) and the extended description in
/// deb-control(5)'s continuation syntax (each line indented, empty lines as ` .`).
fn description(config: &Config, pkg: &PackageInfo, linux: &Linux) -> (String, String) {
    let service_text = config.service.as_ref().and_then(|s| s.description.clone());
    let source = pkg
        .description
        .clone()
        .or_else(|| service_text.clone())
        .unwrap_or_else(|| config.product_name.clone());
    let first = source.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let mut synopsis: String = first
        .trim()
        .trim_end_matches('.')
        .chars()
        .take(80)
        .collect();
    if synopsis.is_empty() {
        synopsis = config.product_name.chars().take(80).collect();
    }
    let mut body = match &config.service {
        Some(s) => format!(
            "{} runs as the systemd service {}.service ({}).",
            config.product_name, linux.package, s.display_name
        ),
        None => format!("{} by {}.", config.product_name, config.manufacturer),
    };
    if let Some(text) = service_text.or(pkg.description.clone()) {
        if text.trim() != synopsis {
            body = format!("{}\n\n{body}", text.trim());
        }
    }
    let mut long = String::new();
    for l in body.lines() {
        if l.trim().is_empty() {
            long.push_str(" .\n");
            continue;
        }
        for wrapped in wrap(l.trim(), 79) {
            long.push(' ');
            long.push_str(&wrapped);
            long.push('\n');
        }
    }
    (synopsis, long)
}

/// Words of `text` in lines of at most `width` characters (a longer word gets its own line).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// `/usr/share/doc/<package>/copyright`: the license file as shipped, after a header naming
/// the package, its copyright and license expression.
pub fn copyright(
    config: &Config,
    pkg: &PackageInfo,
    year: i64,
    license_text: Option<&str>,
) -> String {
    let mut c = format!(
        "{} ({})\n\n{}\n",
        config.product_name,
        pkg.name,
        config.copyright_text(year)
    );
    if let Some(expr) = &pkg.license {
        c.push_str(&format!("License: {expr}\n"));
    }
    if let Some(text) = license_text {
        c.push('\n');
        c.push_str(text);
        if !text.ends_with('\n') {
            c.push('\n');
        }
    }
    c
}

/// `changelog.Debian` (before gzip): one entry for this version, dated at the build time.
pub fn changelog(pkg: &PackageInfo, linux: &Linux, unix_time: i64) -> String {
    format!(
        "{} ({}) unstable; urgency=medium\n\n  * Release {}.\n\n -- {}  {}\n",
        linux.package,
        deb_version(&pkg.version, linux),
        pkg.version,
        linux.maintainer,
        rfc2822(unix_time)
    )
}

/// `Thu, 01 Jan 1970 00:00:00 +0000`, the date format of Debian changelogs.
fn rfc2822(unix_time: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = unix_time.div_euclid(86_400);
    let secs = unix_time.rem_euclid(86_400);
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} +0000",
        DAYS[days.rem_euclid(7) as usize],
        day,
        MONTHS[(month - 1) as usize],
        year,
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_sort_as_debian_expects() {
        let v = |s: &str| upstream_version(&semver::Version::parse(s).unwrap());
        assert_eq!(v("1.4.0"), "1.4.0");
        assert_eq!(v("1.4.0-rc.1"), "1.4.0~rc.1");
        assert_eq!(v("1.4.0-rc-1+build-5"), "1.4.0~rc.1+build.5");
    }

    #[test]
    fn long_lines_wrap() {
        assert_eq!(wrap("aa bb cc", 5), ["aa bb", "cc"]);
        assert_eq!(wrap("a verylongword b", 4), ["a", "verylongword", "b"]);
    }

    #[test]
    fn architectures() {
        assert_eq!(deb_arch("x86_64-unknown-linux-gnu"), Some("amd64"));
        assert_eq!(deb_arch("aarch64-unknown-linux-gnu"), Some("arm64"));
        assert_eq!(deb_arch("mips-unknown-linux-gnu"), None);
    }

    #[test]
    fn changelog_dates() {
        assert_eq!(rfc2822(0), "Thu, 01 Jan 1970 00:00:00 +0000");
        assert_eq!(rfc2822(1_700_000_000), "Tue, 14 Nov 2023 22:13:20 +0000");
        assert_eq!(rfc2822(951_782_400), "Tue, 29 Feb 2000 00:00:00 +0000");
    }
}
