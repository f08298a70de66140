//! Cargo (semver) versions mapped to Windows Installer and VS_VERSIONINFO versions.
//!
//! This module owns the one rule that turns a package's `MAJOR.MINOR.PATCH[-pre][+build]`
//! into the numbers Windows uses, so the MSI's `ProductVersion`, the `File.Version` row of
//! the stamped exe and its VS_VERSIONINFO resource all come from the same [`MsiVersion`] and
//! can never disagree. It does no I/O and knows nothing about MSI tables.
//!
//! | semver            | ProductVersion | FileVersion (fixed) | ProductVersion string |
//! |-------------------|----------------|---------------------|-----------------------|
//! | `2.0.0-beta.1+g1` | `2.0.0`        | `2.0.0.0`           | `2.0.0-beta.1+g1`     |
//!
//! Windows Installer compares only the first three fields of `ProductVersion` and limits
//! them to 255.255.65535; anything larger is refused here rather than silently wrapped.
//!
//! # Pre-releases
//!
//! SPEC: "a pre-release can be upgraded by its release of the same version". Windows
//! Installer cannot see the pre-release part, so `2.0.0-beta.1` and `2.0.0` have the same
//! ProductVersion `2.0.0`. The MSI side therefore has to do two things, which live with the
//! WiX authoring, not here:
//!
//! * the major-upgrade authoring must let a package replace a product of the *same*
//!   version (WiX `<MajorUpgrade AllowSameVersionUpgrades="yes" .../>`, i.e. an `Upgrade`
//!   row whose `VersionMax` is the new ProductVersion with `msidbUpgradeAttributesVersionMaxInclusive`);
//! * the ProductCode must differ between the two builds, so it has to be derived from the
//!   full semver string ([`MsiVersion::full`]), never from ProductVersion alone.
//!
//! The consequence, which is documented rather than hidden: a package of the same
//! three-part version (a rebuild, or even `2.0.0-beta.1` after `2.0.0`) also replaces the
//! installed one instead of being refused as a downgrade. [`MsiVersion::is_prerelease`]
//! lets callers warn about that.

use std::fmt;

/// Largest major and minor value Windows Installer accepts in ProductVersion.
const MAX_MAJOR_MINOR: u64 = 255;
/// Largest build (our patch) value Windows Installer accepts in ProductVersion.
const MAX_PATCH: u64 = 65535;

/// A version that fits Windows Installer's limits, with the semver it came from.
///
/// Construct it with [`MsiVersion::from_semver`] or [`MsiVersion::parse`]; both refuse
/// anything over 255.255.65535, so every value of this type is a valid ProductVersion.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MsiVersion {
    major: u8,
    minor: u8,
    patch: u16,
    semver: semver::Version,
}

/// Why a version cannot become an MSI version. The message names the limit.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    /// The text is not a semantic version at all.
    #[error("`{text}` is not a semantic version (MAJOR.MINOR.PATCH[-pre][+build]): {reason}")]
    Syntax {
        /// The text given.
        text: String,
        /// The semver parser's explanation.
        reason: String,
    },
    /// A field is larger than Windows Installer allows.
    #[error(
        "version {version} is beyond the MSI limit 255.255.65535: the {field} version {value} \
         is larger than {max}"
    )]
    OutOfRange {
        /// The whole version.
        version: String,
        /// `major`, `minor` or `patch`.
        field: &'static str,
        /// The value of that field.
        value: u64,
        /// The largest value allowed for it.
        max: u64,
    },
}

impl MsiVersion {
    /// Maps a semver version, keeping it whole for [`full`](Self::full).
    pub fn from_semver(version: &semver::Version) -> Result<Self, VersionError> {
        let check = |field: &'static str, value: u64, max: u64| {
            if value > max {
                Err(VersionError::OutOfRange {
                    version: version.to_string(),
                    field,
                    value,
                    max,
                })
            } else {
                Ok(value)
            }
        };
        // The casts cannot truncate: each value was just checked against its limit.
        let major = check("major", version.major, MAX_MAJOR_MINOR)? as u8;
        let minor = check("minor", version.minor, MAX_MAJOR_MINOR)? as u8;
        let patch = check("patch", version.patch, MAX_PATCH)? as u16;
        Ok(MsiVersion {
            major,
            minor,
            patch,
            semver: version.clone(),
        })
    }

    /// Parses a semver string (as in Cargo.toml) and maps it.
    pub fn parse(text: &str) -> Result<Self, VersionError> {
        let version = semver::Version::parse(text).map_err(|e| VersionError::Syntax {
            text: text.to_string(),
            reason: e.to_string(),
        })?;
        Self::from_semver(&version)
    }

    /// The major version (0–255).
    pub fn major(&self) -> u8 {
        self.major
    }

    /// The minor version (0–255).
    pub fn minor(&self) -> u8 {
        self.minor
    }

    /// The patch version (0–65535), which Windows Installer calls the build.
    pub fn patch(&self) -> u16 {
        self.patch
    }

    /// The MSI `ProductVersion` property: `MAJOR.MINOR.PATCH`.
    pub fn product_version(&self) -> String {
        format!("{}.{}.{}", self.major, self.minor, self.patch)
    }

    /// The four fields of the fixed file version: `[MAJOR, MINOR, PATCH, 0]`.
    ///
    /// The fourth field is always 0 so that the exe's version and the MSI's agree field for
    /// field; Windows Installer's file-replacement rules compare all four.
    pub fn file_version(&self) -> [u16; 4] {
        [u16::from(self.major), u16::from(self.minor), self.patch, 0]
    }

    /// The file version as text, for `File.Version` and the `FileVersion` string:
    /// `MAJOR.MINOR.PATCH.0`.
    pub fn file_version_string(&self) -> String {
        format!("{}.{}.{}.0", self.major, self.minor, self.patch)
    }

    /// `VS_FIXEDFILEINFO`'s `(dwFileVersionMS, dwFileVersionLS)` pair (also used for the
    /// product version fields there).
    pub fn fixed_file_version(&self) -> (u32, u32) {
        let [a, b, c, d] = self.file_version();
        (
            (u32::from(a) << 16) | u32::from(b),
            (u32::from(c) << 16) | u32::from(d),
        )
    }

    /// The full semver string, pre-release and build metadata included
    /// (`2.0.0-beta.1+g1`): VS_VERSIONINFO's `ProductVersion` string and the input of
    /// anything that must tell two builds of the same ProductVersion apart.
    pub fn full(&self) -> String {
        self.semver.to_string()
    }

    /// The semver version this was made from.
    pub fn semver(&self) -> &semver::Version {
        &self.semver
    }

    /// True for `-pre` versions, which Windows Installer sees as their release.
    pub fn is_prerelease(&self) -> bool {
        !self.semver.pre.is_empty()
    }
}

/// Shows the full semver string, the version a human recognises.
impl fmt::Display for MsiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.semver, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_release() {
        let v = MsiVersion::parse("1.2.3").unwrap();
        assert_eq!(v.product_version(), "1.2.3");
        assert_eq!(v.file_version(), [1, 2, 3, 0]);
        assert_eq!(v.file_version_string(), "1.2.3.0");
        assert_eq!(v.full(), "1.2.3");
        assert_eq!(v.to_string(), "1.2.3");
        assert_eq!((v.major(), v.minor(), v.patch()), (1, 2, 3));
        assert!(!v.is_prerelease());
    }

    #[test]
    fn limits_are_accepted() {
        let v = MsiVersion::parse("255.255.65535").unwrap();
        assert_eq!(v.product_version(), "255.255.65535");
        assert_eq!(v.file_version_string(), "255.255.65535.0");
        assert_eq!(v.fixed_file_version(), (0x00FF_00FF, 0xFFFF_0000));
        let zero = MsiVersion::parse("0.0.0").unwrap();
        assert_eq!(zero.file_version(), [0, 0, 0, 0]);
        assert_eq!(zero.fixed_file_version(), (0, 0));
    }

    #[test]
    fn beyond_limits_name_the_limit() {
        for (text, field) in [
            ("256.0.0", "major"),
            ("0.256.0", "minor"),
            ("0.0.65536", "patch"),
            ("18446744073709551615.0.0", "major"),
        ] {
            let err = MsiVersion::parse(text).unwrap_err();
            let msg = err.to_string();
            assert!(msg.contains("255.255.65535"), "{msg}");
            assert!(msg.contains(field), "{msg}");
            assert!(msg.contains(text), "{msg}");
            assert!(matches!(err, VersionError::OutOfRange { .. }));
        }
    }

    #[test]
    fn prerelease_and_build_metadata_keep_the_full_string() {
        let v = MsiVersion::parse("2.0.0-beta.1+g1234.dirty").unwrap();
        assert_eq!(v.product_version(), "2.0.0");
        assert_eq!(v.file_version_string(), "2.0.0.0");
        assert_eq!(v.full(), "2.0.0-beta.1+g1234.dirty");
        assert!(v.is_prerelease());
        assert_eq!(v.semver().pre.as_str(), "beta.1");

        let build_only = MsiVersion::parse("2.0.0+build.7").unwrap();
        assert!(!build_only.is_prerelease());
        assert_eq!(build_only.full(), "2.0.0+build.7");

        // A pre-release and its release share the MSI version; only the full string differs.
        let release = MsiVersion::parse("2.0.0").unwrap();
        assert_eq!(v.product_version(), release.product_version());
        assert_ne!(v.full(), release.full());
        assert_ne!(v, release);
    }

    #[test]
    fn out_of_range_prerelease_is_still_refused() {
        let err = MsiVersion::parse("1.0.70000-rc.1").unwrap_err();
        assert!(err.to_string().contains("255.255.65535"));
    }

    #[test]
    fn syntax_errors_explain_the_format() {
        for text in ["", "1.2", "v1.2.3", "1.2.3.4", "01.2.3", "1.2.3-"] {
            let err = MsiVersion::parse(text).unwrap_err();
            assert!(matches!(err, VersionError::Syntax { .. }), "{text}");
            assert!(err.to_string().contains("MAJOR.MINOR.PATCH"), "{err}");
        }
    }

    #[test]
    fn from_semver_matches_parse() {
        let sv = semver::Version::new(3, 4, 5);
        assert_eq!(
            MsiVersion::from_semver(&sv).unwrap(),
            MsiVersion::parse("3.4.5").unwrap()
        );
    }
}
