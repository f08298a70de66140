//! Validated value types: a string is checked once, here, and downstream code trusts the
//! type (`ServiceName`, `Guid`, `RelPath`, the keyword enums).
//!
//! Each `parse` returns the user-facing reason on failure, always saying what is allowed;
//! the reader adds file, line and key. Nothing here does I/O.

use std::fmt;

use super::schema::suggest;

/// Characters Windows forbids in file and folder names (besides control characters and
/// the separators, which split segments).
const BAD_PATH_CHARS: &[char] = &['<', '>', ':', '"', '|', '?', '*'];

/// Device names Windows reserves in every folder, with or without an extension.
const RESERVED_NAMES: &[&str] = &[
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// "unknown start type `x`; did you mean `y`? allowed: a, b, c".
fn unknown_word(what: &str, word: &str, allowed: &[&str]) -> String {
    let hint = match suggest(word, allowed) {
        Some(s) => format!(" did you mean `{s}`?"),
        None => String::new(),
    };
    format!(
        "unknown {what} `{word}`;{hint} allowed: {}",
        allowed.join(", ")
    )
}

/// Every privilege Windows defines (winnt.h's `SE_*_NAME` privilege constants, as listed
/// on Microsoft's "Privilege Constants (Authorization)" page). Account rights such as
/// `SeServiceLogonRight` are not privileges and cannot be required by a service.
pub const PRIVILEGES: &[&str] = &[
    "SeAssignPrimaryTokenPrivilege",
    "SeAuditPrivilege",
    "SeBackupPrivilege",
    "SeChangeNotifyPrivilege",
    "SeCreateGlobalPrivilege",
    "SeCreatePagefilePrivilege",
    "SeCreatePermanentPrivilege",
    "SeCreateSymbolicLinkPrivilege",
    "SeCreateTokenPrivilege",
    "SeDebugPrivilege",
    "SeDelegateSessionUserImpersonatePrivilege",
    "SeEnableDelegationPrivilege",
    "SeImpersonatePrivilege",
    "SeIncreaseBasePriorityPrivilege",
    "SeIncreaseQuotaPrivilege",
    "SeIncreaseWorkingSetPrivilege",
    "SeLoadDriverPrivilege",
    "SeLockMemoryPrivilege",
    "SeMachineAccountPrivilege",
    "SeManageVolumePrivilege",
    "SeProfileSingleProcessPrivilege",
    "SeRelabelPrivilege",
    "SeRemoteShutdownPrivilege",
    "SeRestorePrivilege",
    "SeSecurityPrivilege",
    "SeShutdownPrivilege",
    "SeSyncAgentPrivilege",
    "SeSystemEnvironmentPrivilege",
    "SeSystemProfilePrivilege",
    "SeSystemtimePrivilege",
    "SeTakeOwnershipPrivilege",
    "SeTcbPrivilege",
    "SeTimeZonePrivilege",
    "SeTrustedCredManAccessPrivilege",
    "SeUndockPrivilege",
    "SeUnsolicitedInputPrivilege",
];

/// A privilege name as Windows spells it: `Se…Privilege` and one of [`PRIVILEGES`]
/// (matched in any case, as LookupPrivilegeValue does).
pub fn parse_privilege(name: &str) -> Result<&'static str, String> {
    if let Some(known) = PRIVILEGES.iter().find(|p| p.eq_ignore_ascii_case(name)) {
        return Ok(known);
    }
    let shaped = name.len() > "SePrivilege".len()
        && name.starts_with("Se")
        && name.ends_with("Privilege")
        && name.chars().all(|c| c.is_ascii_alphanumeric());
    if !shaped {
        let right = if name.starts_with("Se") && name.ends_with("Right") {
            " (an account right such as SeServiceLogonRight is granted to the account, not required by the service)"
        } else {
            ""
        };
        return Err(format!(
            "`{name}` is not a privilege name{right}; allowed: a Windows privilege such as \
             `SeChangeNotifyPrivilege` (`Se…Privilege`)"
        ));
    }
    let hint = match suggest(name, PRIVILEGES) {
        Some(s) => format!(" did you mean `{s}`?"),
        None => String::new(),
    };
    Err(format!(
        "unknown privilege `{name}`;{hint} allowed: one of Windows' privileges ({} … {})",
        PRIVILEGES[0],
        PRIVILEGES[PRIVILEGES.len() - 1]
    ))
}

fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}

/// The service's SCM name (`sc.exe` key name): 1–256 UTF-16 units, no `/` or `\`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ServiceName(String);

impl ServiceName {
    /// The SCM limit, in UTF-16 code units (what Windows counts).
    pub const MAX_LEN: usize = 256;

    /// Checks a name; the error says what is allowed.
    pub fn parse(s: &str) -> Result<Self, String> {
        let units = s.encode_utf16().count();
        if units == 0 {
            return Err(
                "service name must not be empty; allowed: 1-256 characters without `/` or `\\`"
                    .into(),
            );
        }
        if units > Self::MAX_LEN {
            return Err(format!(
                "service name is {units} characters long; allowed: 1-256 characters without `/` or `\\`"
            ));
        }
        if s.contains(['/', '\\']) {
            return Err(format!(
                "service name `{s}` contains `/` or `\\`; allowed: 1-256 characters without `/` or `\\`"
            ));
        }
        if has_control(s) {
            return Err("service name contains a control character; allowed: 1-256 printable characters without `/` or `\\`".into());
        }
        Ok(ServiceName(s.to_string()))
    }

    /// The name as configured.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ServiceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A GUID in the registry form Windows Installer wants: braced and uppercase,
/// `{8E0B5A7C-1D2E-4F60-8A9B-0C1D2E3F4A5B}`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Guid(String);

impl Guid {
    /// Accepts `XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX`, with or without braces, any case.
    pub fn parse(s: &str) -> Result<Self, String> {
        const FORM: &str =
            "allowed: a GUID like 8E0B5A7C-1D2E-4F60-8A9B-0C1D2E3F4A5B, with or without braces";
        let inner = match (s.strip_prefix('{'), s.strip_suffix('}')) {
            (Some(_), Some(_)) if s.len() >= 2 => &s[1..s.len() - 1],
            (None, None) => s,
            _ => return Err(format!("malformed GUID `{s}` (unbalanced braces); {FORM}")),
        };
        let bytes = inner.as_bytes();
        let well_formed = bytes.len() == 36
            && bytes.iter().enumerate().all(|(i, b)| match i {
                8 | 13 | 18 | 23 => *b == b'-',
                _ => b.is_ascii_hexdigit(),
            });
        if !well_formed {
            return Err(format!("malformed GUID `{s}`; {FORM}"));
        }
        if inner.bytes().all(|b| b == b'0' || b == b'-') {
            return Err(format!(
                "the nil GUID `{s}` cannot identify a product; {FORM}"
            ));
        }
        Ok(Guid(format!("{{{}}}", inner.to_ascii_uppercase())))
    }

    /// The GUID of a UUID (any version), in registry form.
    pub fn from_uuid(uuid: uuid::Uuid) -> Self {
        Guid(format!(
            "{{{}}}",
            uuid.hyphenated().to_string().to_ascii_uppercase()
        ))
    }

    /// The braced uppercase form.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The uppercase form without braces.
    pub fn unbraced(&self) -> &str {
        &self.0[1..self.0.len() - 1]
    }
}

impl fmt::Display for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Defines a keyword enum with its spellings (matched case-insensitively) and `parse`.
macro_rules! keywords {
    ($(#[$doc:meta])* $name:ident, $what:literal { $($(#[$vdoc:meta])* $variant:ident = $word:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            /// Every keyword, in the order the documentation lists them.
            pub const KEYWORDS: &'static [&'static str] = &[$($word),+];

            /// Matches a keyword in any case; the error lists the keywords.
            pub fn parse(s: &str) -> Result<Self, String> {
                $(if s.eq_ignore_ascii_case($word) { return Ok($name::$variant); })+
                Err(unknown_word($what, s, Self::KEYWORDS))
            }

            /// The keyword as written in the configuration.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $word),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

keywords! {
    /// When the service manager starts the service.
    StartType, "start type" {
        /// At boot (`SERVICE_AUTO_START`).
        Auto = "auto",
        /// At boot, after the other auto-start services (delayed auto-start).
        Delayed = "delayed",
        /// When asked (`SERVICE_DEMAND_START`, "Manual" in services.msc).
        Demand = "demand",
        /// Never, until reconfigured.
        Disabled = "disabled",
    }
}

keywords! {
    /// What the service manager does when the service fails.
    RecoveryAction, "recovery action" {
        /// Restart the service.
        Restart = "restart",
        /// Reboot the computer.
        Reboot = "reboot",
        /// Run the recovery `command`.
        Run = "run",
        /// Do nothing.
        None = "none",
    }
}

keywords! {
    /// Which service SID the service manager adds to the service's process token.
    SidType, "SID type" {
        /// No service SID (`SERVICE_SID_TYPE_NONE`).
        None = "none",
        /// The service SID is added (`SERVICE_SID_TYPE_UNRESTRICTED`).
        Unrestricted = "unrestricted",
        /// The service SID is added and the token is write-restricted
        /// (`SERVICE_SID_TYPE_RESTRICTED`).
        Restricted = "restricted",
    }
}

keywords! {
    /// Which compiler turns the WiX source into the MSI.
    Backend, "backend" {
        /// svcpack's own compiler (no Windows, WiX or .NET needed).
        Native = "native",
        /// The WiX toolset v4+ (`wix build`), when installed.
        Wix = "wix",
    }
}

/// Why `password-env`/`certificate-env` values are restricted: a plausible variable name
/// is easy to tell from a pasted secret, which must then not be echoed back.
pub(crate) fn check_env_name(s: &str) -> Result<(), String> {
    let mut chars = s.chars();
    let ok = matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        // The value may be a secret pasted by mistake: never repeat it.
        Err("must be the name of an environment variable (letters, digits and `_`, not starting with a digit), not a secret itself".into())
    }
}

/// The account the service runs as.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Account {
    /// `LocalSystem`: all rights on the machine; only when configured.
    LocalSystem,
    /// `NT AUTHORITY\LocalService`.
    LocalService,
    /// `NT AUTHORITY\NetworkService`.
    NetworkService,
    /// The service's virtual account `NT SERVICE\<service name>`: a per-service identity
    /// Windows manages, with no password (the default).
    Virtual,
    /// A named account: `DOMAIN\user`, `.\user` or `user@domain` (e.g. a gMSA `DOMAIN\svc$`).
    User(String),
}

impl Account {
    /// The spellings accepted for the built-in accounts (any case).
    pub const KEYWORDS: &'static [&'static str] =
        &["LocalSystem", "LocalService", "NetworkService", "virtual"];

    /// Recognises the built-in accounts in any case (also as `NT AUTHORITY\...`);
    /// anything else of the form `DOMAIN\user`, `.\user` or `user@domain` is a user.
    pub fn parse(s: &str) -> Result<Self, String> {
        const ALLOWED: &str =
            "allowed: LocalSystem, LocalService, NetworkService, virtual, or DOMAIN\\user";
        if s.trim().is_empty() {
            return Err(format!("account must not be empty; {ALLOWED}"));
        }
        if s.trim() != s || has_control(s) {
            return Err(format!(
                "account `{}` has leading/trailing spaces or control characters; {ALLOWED}",
                s.escape_debug()
            ));
        }
        let lower = s.to_ascii_lowercase();
        let account = match lower.as_str() {
            "localsystem" | "nt authority\\system" | ".\\localsystem" => Account::LocalSystem,
            "localservice" | "nt authority\\localservice" => Account::LocalService,
            "networkservice" | "nt authority\\networkservice" => Account::NetworkService,
            "virtual" => Account::Virtual,
            _ => {
                let (domain, user) = match s.split_once('\\') {
                    Some((d, u)) => (Some(d), u),
                    None => (None, s),
                };
                if domain == Some("") || user.is_empty() || user.contains('\\') {
                    return Err(format!(
                        "account `{s}` is not of the form DOMAIN\\user; {ALLOWED}"
                    ));
                }
                if user.contains([
                    '"', '/', '[', ']', ':', ';', '|', '=', ',', '+', '*', '?', '<', '>',
                ]) {
                    return Err(format!(
                        "account `{s}` contains a character Windows forbids in user names (\"/[]:;|=,+*?<>); {ALLOWED}"
                    ));
                }
                // A bare word that is close to a keyword is far more likely a typo than an
                // account in the local machine's default domain.
                if domain.is_none() && !user.contains('@') {
                    if let Some(k) = suggest(s, Self::KEYWORDS) {
                        return Err(format!(
                            "unknown account `{s}`; did you mean `{k}`? {ALLOWED}"
                        ));
                    }
                }
                Account::User(s.to_string())
            }
        };
        Ok(account)
    }

    /// True when the account logs on with a password the installer must be given: a named
    /// user that is not a group managed service account (`DOMAIN\name$`, whose password
    /// Windows manages).
    pub fn needs_password(&self) -> bool {
        matches!(self, Account::User(name) if !name.ends_with('$'))
    }

    /// The account name the service manager stores (`ServiceInstall/@Account`,
    /// `sc.exe obj=`).
    pub fn object_name(&self, service: &ServiceName) -> String {
        match self {
            Account::LocalSystem => "LocalSystem".into(),
            Account::LocalService => "NT AUTHORITY\\LocalService".into(),
            Account::NetworkService => "NT AUTHORITY\\NetworkService".into(),
            Account::Virtual => format!("NT SERVICE\\{service}"),
            Account::User(name) => name.clone(),
        }
    }
}

/// A relative path inside the install directory, checked to stay inside it and to be
/// creatable on Windows. Stored as segments; `.` and empty segments are dropped, so the
/// install directory itself is the empty path.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RelPath(Vec<String>);

impl RelPath {
    /// Parses `a/b\c` (either separator). `what` names the path in messages
    /// ("the install directory").
    pub fn parse(s: &str, within: &str) -> Result<Self, String> {
        let allowed = format!("allowed: a relative path inside {within}");
        let drive =
            s.len() >= 2 && s.as_bytes()[1] == b':' && s.as_bytes()[0].is_ascii_alphabetic();
        if s.starts_with(['/', '\\']) || drive {
            return Err(format!("`{s}` is absolute; {allowed}"));
        }
        let mut segments: Vec<String> = Vec::new();
        for seg in s.split(['/', '\\']) {
            match seg {
                "" | "." => continue,
                // Refused even when it stays inside (`a/../b`): one spelling per path keeps
                // duplicate detection and the MSI's directory tree simple.
                ".." if segments.is_empty() => {
                    return Err(format!("`{s}` escapes {within} (`..`); {allowed}"))
                }
                ".." => return Err(format!("`{s}` contains `..`; {allowed}, without `..`")),
                _ => {}
            }
            check_file_name(seg).map_err(|why| format!("`{s}`: {why}; {allowed}"))?;
            segments.push(seg.to_string());
        }
        Ok(RelPath(segments))
    }

    /// The path segments, outermost first.
    pub fn segments(&self) -> &[String] {
        &self.0
    }

    /// True for the install directory itself (`.`).
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// The last segment (a file's name).
    pub fn file_name(&self) -> Option<&str> {
        self.0.last().map(String::as_str)
    }

    /// `a\b\c`, or `.` for the root.
    pub fn to_windows(&self) -> String {
        if self.0.is_empty() {
            ".".into()
        } else {
            self.0.join("\\")
        }
    }

    /// Lower-cased key for detecting two paths Windows would treat as one.
    pub(crate) fn fold(&self) -> String {
        self.0.join("\\").to_lowercase()
    }
}

impl fmt::Display for RelPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_windows())
    }
}

/// Checks one file or folder name against Windows' rules.
pub(crate) fn check_file_name(seg: &str) -> Result<(), String> {
    if let Some(c) = seg
        .chars()
        .find(|c| BAD_PATH_CHARS.contains(c) || c.is_control())
    {
        return Err(format!(
            "Windows file names cannot contain `{}` (nor any of <>:\"|?* or control characters)",
            c.escape_debug()
        ));
    }
    if seg.ends_with(['.', ' ']) {
        return Err(format!(
            "`{seg}` ends with a dot or space, which Windows drops"
        ));
    }
    let stem = seg.split('.').next().unwrap_or(seg).trim_end();
    if RESERVED_NAMES.iter().any(|r| r.eq_ignore_ascii_case(stem)) {
        return Err(format!("`{seg}` is a reserved device name on Windows"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_names() {
        assert_eq!(
            ServiceName::parse("LedgerAgent").unwrap().as_str(),
            "LedgerAgent"
        );
        assert!(ServiceName::parse("Ledger Agent ✓ Überwachung $1").is_ok());
        assert!(ServiceName::parse(&"x".repeat(256)).is_ok());
        // 256 characters outside the BMP are 512 UTF-16 units.
        assert!(ServiceName::parse(&"😀".repeat(129)).is_err());
        for bad in ["", "a/b", "a\\b", "a\tb"] {
            let err = ServiceName::parse(bad).unwrap_err();
            assert!(err.contains("1-256"), "{err}");
        }
        assert!(ServiceName::parse(&"x".repeat(257))
            .unwrap_err()
            .contains("257"));
    }

    #[test]
    fn guids() {
        let want = "{8E0B5A7C-1D2E-4F60-8A9B-0C1D2E3F4A5B}";
        for ok in [
            "8E0B5A7C-1D2E-4F60-8A9B-0C1D2E3F4A5B",
            "{8e0b5a7c-1d2e-4f60-8a9b-0c1d2e3f4a5b}",
            "8e0B5a7C-1d2E-4f60-8A9b-0c1D2e3F4a5B",
        ] {
            let g = Guid::parse(ok).unwrap();
            assert_eq!(g.as_str(), want);
            assert_eq!(g.unbraced(), &want[1..37]);
            assert_eq!(g.to_string(), want);
        }
        for bad in [
            "",
            "{",
            "{}",
            "8E0B5A7C-1D2E-4F60-8A9B-0C1D2E3F4A5",
            "8E0B5A7C1D2E4F608A9B0C1D2E3F4A5B",
            "{8E0B5A7C-1D2E-4F60-8A9B-0C1D2E3F4A5B",
            "8E0B5A7C-1D2E-4F60-8A9B-0C1D2E3F4A5G",
            "8E0B5A7C_1D2E-4F60-8A9B-0C1D2E3F4A5B",
            "00000000-0000-0000-0000-000000000000",
            "8E0B5A7C-1D2E-4F60-8A9B-0C1D2E3F4A5Bé",
            "é8E0B5A7C-1D2E-4F60-8A9B-0C1D2E3F4A5",
        ] {
            let err = Guid::parse(bad).unwrap_err();
            assert!(err.contains("allowed: a GUID like"), "{bad}: {err}");
        }
        let u = uuid::Uuid::from_u128(0xabcdef);
        assert_eq!(
            Guid::from_uuid(u).as_str(),
            "{00000000-0000-0000-0000-000000ABCDEF}"
        );
    }

    #[test]
    fn keyword_enums() {
        assert_eq!(StartType::parse("auto"), Ok(StartType::Auto));
        assert_eq!(StartType::parse("Delayed"), Ok(StartType::Delayed));
        assert_eq!(StartType::parse("DEMAND"), Ok(StartType::Demand));
        assert_eq!(StartType::parse("disabled"), Ok(StartType::Disabled));
        let err = StartType::parse("automatic").unwrap_err();
        assert!(
            err.contains("`automatic`") && err.contains("allowed: auto, delayed, demand, disabled"),
            "{err}"
        );
        let err = StartType::parse("manual").unwrap_err();
        assert!(err.contains("did you mean `demand`?"), "{err}");
        assert_eq!(RecoveryAction::parse("run"), Ok(RecoveryAction::Run));
        assert_eq!(RecoveryAction::None.as_str(), "none");
        assert!(RecoveryAction::parse("restrat")
            .unwrap_err()
            .contains("did you mean `restart`?"));
        assert_eq!(Backend::parse("WiX"), Ok(Backend::Wix));
        assert_eq!(Backend::Native.to_string(), "native");
    }

    #[test]
    fn accounts() {
        let name = ServiceName::parse("Ledger Agent").unwrap();
        let cases = [
            ("LocalSystem", Account::LocalSystem, "LocalSystem"),
            ("localsystem", Account::LocalSystem, "LocalSystem"),
            ("NT AUTHORITY\\SYSTEM", Account::LocalSystem, "LocalSystem"),
            (
                "LocalService",
                Account::LocalService,
                "NT AUTHORITY\\LocalService",
            ),
            (
                "NT AUTHORITY\\NetworkService",
                Account::NetworkService,
                "NT AUTHORITY\\NetworkService",
            ),
            (
                "networkservice",
                Account::NetworkService,
                "NT AUTHORITY\\NetworkService",
            ),
            ("virtual", Account::Virtual, "NT SERVICE\\Ledger Agent"),
            ("Virtual", Account::Virtual, "NT SERVICE\\Ledger Agent"),
            (
                "CORP\\svc-ledger$",
                Account::User("CORP\\svc-ledger$".into()),
                "CORP\\svc-ledger$",
            ),
            (".\\ledger", Account::User(".\\ledger".into()), ".\\ledger"),
            (
                "ledger@corp.example",
                Account::User("ledger@corp.example".into()),
                "ledger@corp.example",
            ),
            (
                "Überwacher",
                Account::User("Überwacher".into()),
                "Überwacher",
            ),
        ];
        for (text, account, object) in cases {
            let parsed = Account::parse(text).unwrap();
            assert_eq!(parsed, account, "{text}");
            assert_eq!(parsed.object_name(&name), object);
        }
        for bad in [
            "",
            "   ",
            " LocalSystem",
            "\\user",
            "DOMAIN\\",
            "A\\B\\C",
            "CORP\\a:b",
        ] {
            let err = Account::parse(bad).unwrap_err();
            assert!(
                err.contains("LocalSystem, LocalService, NetworkService, virtual"),
                "{bad}: {err}"
            );
        }
        assert!(Account::parse("LocalSytem")
            .unwrap_err()
            .contains("did you mean `LocalSystem`?"));
    }

    #[test]
    fn rel_paths() {
        let p = RelPath::parse("conf/sub\\app.toml", "the install directory").unwrap();
        assert_eq!(p.segments(), ["conf", "sub", "app.toml"]);
        assert_eq!(p.to_windows(), "conf\\sub\\app.toml");
        assert_eq!(p.file_name(), Some("app.toml"));
        assert!(RelPath::parse(".", "x").unwrap().is_root());
        assert_eq!(RelPath::parse("./a//b/", "x").unwrap().to_windows(), "a\\b");
        assert_eq!(
            RelPath::parse("Ledger Agent ✓ (x64) & co", "x")
                .unwrap()
                .to_windows(),
            "Ledger Agent ✓ (x64) & co"
        );
        for (bad, why) in [
            ("../x", "escapes"),
            ("a/../../x", "contains `..`"),
            ("a/../b", "contains `..`"),
            ("/etc/x", "absolute"),
            ("\\\\server\\share", "absolute"),
            ("C:\\x", "absolute"),
            ("c:x", "absolute"),
            ("a/b:c", "cannot contain `:`"),
            ("a/b?", "cannot contain `?`"),
            ("dir./x", "dot or space"),
            ("CON", "reserved"),
            ("lpt1.txt", "reserved"),
        ] {
            let err = RelPath::parse(bad, "the install directory").unwrap_err();
            assert!(err.contains(why), "{bad}: {err}");
            assert!(err.contains("inside the install directory"), "{bad}: {err}");
        }
    }

    #[test]
    fn env_names() {
        assert!(check_env_name("SIGN_PASSWORD").is_ok());
        assert!(check_env_name("_x1").is_ok());
        for bad in ["", "1X", "hunter2!", "my password", "A=B"] {
            let err = check_env_name(bad).unwrap_err();
            assert!(!bad.is_empty() && !err.contains(bad) || bad.is_empty());
        }
    }
}
