//! Which keys exist where, as data, and the unknown-key check with its "did you mean" hint.
//!
//! The schema is checked over the whole tree before any value is read, so a misspelt key is
//! reported as such rather than as a confusing consequence of its absence (a `comand` typo
//! would otherwise surface as "`run` needs `command`"). Value types are not checked here.

use super::error::{Fault, FaultResult};
use super::read::join;
use super::tree::{Kind, Node};

/// The shape of a key's value, as far as the key check cares.
pub(crate) enum Shape {
    /// A scalar or array; its type is checked when it is read.
    Value,
    /// A table with exactly these keys.
    Table(&'static [Field]),
    /// An array of tables with exactly these keys (`[[files]]`).
    Tables(&'static [Field]),
    /// A table whose keys are the user's (`environment`).
    AnyKeys,
}

/// One allowed key.
pub(crate) struct Field {
    pub name: &'static str,
    pub shape: Shape,
}

const fn value(name: &'static str) -> Field {
    Field {
        name,
        shape: Shape::Value,
    }
}

const RECOVERY: &[Field] = &[
    value("actions"),
    value("delays-secs"),
    value("reset-after-secs"),
    value("command"),
    value("non-crash-failures"),
];

const HOST: &[Field] = &[
    value("stop-timeout-secs"),
    value("restart-delay-secs"),
    value("max-restarts-per-hour"),
    value("log-dir"),
    value("log-max-bytes"),
    value("log-keep"),
    value("working-dir"),
    Field {
        name: "environment",
        shape: Shape::AnyKeys,
    },
];

const FIREWALL: &[Field] = &[
    value("name"),
    value("port"),
    value("protocol"),
    value("profiles"),
    value("remote"),
    value("program"),
];

const SERVICE: &[Field] = &[
    value("name"),
    value("display-name"),
    value("description"),
    value("start"),
    value("account"),
    value("arguments"),
    value("dependencies"),
    value("event-source"),
    value("sid-type"),
    value("required-privileges"),
    value("preshutdown-timeout-secs"),
    Field {
        name: "firewall",
        shape: Shape::Tables(FIREWALL),
    },
    Field {
        name: "recovery",
        shape: Shape::Table(RECOVERY),
    },
    Field {
        name: "host",
        shape: Shape::Table(HOST),
    },
];

const FILES: &[Field] = &[
    value("source"),
    value("dest"),
    value("preserve-on-upgrade"),
    value("sign"),
];

const SIGN: &[Field] = &[
    value("certificate"),
    value("certificate-env"),
    value("password-env"),
    value("timestamp-url"),
    value("tool"),
    value("command"),
    value("pkcs11-module"),
    value("pkcs11-engine"),
    value("key"),
    value("pin-env"),
];

/// Generates the top-level field list, optionally preceded by the standalone identity keys,
/// so the two lists cannot drift apart.
macro_rules! top_level {
    ($($extra:literal),*) => {
        &[
            $(value($extra),)*
            value("product-name"),
            value("manufacturer"),
            value("upgrade-code"),
            value("binary"),
            value("install-dir"),
            value("license"),
            value("icon"),
            value("compress"),
            value("upx-args"),
            value("backend"),
            value("copyright"),
            value("targets"),
            Field { name: "service", shape: Shape::Table(SERVICE) },
            Field { name: "files", shape: Shape::Tables(FILES) },
            Field { name: "sign", shape: Shape::Table(SIGN) },
            Field { name: "release", shape: Shape::Table(super::release::RELEASE) },
            Field { name: "linux", shape: Shape::Table(super::linux::LINUX) },
        ]
    };
}

/// `[package.metadata.svcpack]`.
pub(crate) const SVCPACK: &[Field] = top_level!();

/// The top level of a standalone `svcpack.toml`: the package identity, then the same keys
/// as `[package.metadata.svcpack]`.
pub(crate) const STANDALONE: &[Field] = top_level!(
    "name",
    "version",
    "authors",
    "description",
    "homepage",
    "repository",
    "license-expression"
);

/// Words people reach for, mapped to the key they mean (used only when that key is allowed
/// in the table at hand).
const ALIASES: &[(&str, &str)] = &[
    ("upgrade-guid", "upgrade-code"),
    ("upgrade-uuid", "upgrade-code"),
    ("product-code", "upgrade-code"),
    ("args", "arguments"),
    ("argv", "arguments"),
    ("deps", "dependencies"),
    ("depends", "dependencies"),
    ("depends-on", "dependencies"),
    ("user", "account"),
    ("run-as", "account"),
    ("start-type", "start"),
    ("startup", "start"),
    ("startup-type", "start"),
    ("service-name", "name"),
    ("displayname", "display-name"),
    ("title", "display-name"),
    ("delays", "delays-secs"),
    ("delay", "delays-secs"),
    ("reset", "reset-after-secs"),
    ("privileges", "required-privileges"),
    ("service-sid", "sid-type"),
    ("sid", "sid-type"),
    ("preshutdown-timeout", "preshutdown-timeout-secs"),
    ("ports", "port"),
    ("local-port", "port"),
    ("profile", "profiles"),
    ("scope", "remote"),
    ("remote-address", "remote"),
    ("remote-addresses", "remote"),
    (
        "failure-actions-on-non-crash-failures",
        "non-crash-failures",
    ),
    ("src", "source"),
    ("path", "source"),
    ("destination", "dest"),
    ("target", "dest"),
    ("pfx", "certificate"),
    ("cert", "certificate"),
    ("timestamp", "timestamp-url"),
    ("timestamp-server", "timestamp-url"),
    ("signer", "tool"),
    ("env", "environment"),
    ("workdir", "working-dir"),
    ("cwd", "working-dir"),
    ("upx", "compress"),
    ("exe", "binary"),
    ("bin", "binary"),
    ("vendor", "manufacturer"),
    // Values, not keys: services.msc and sc.exe words for our keywords.
    ("manual", "demand"),
    ("automatic", "auto"),
    ("auto-delayed", "delayed"),
    ("delayed-auto", "delayed"),
    ("company", "manufacturer"),
    ("publisher", "manufacturer"),
];

/// The candidate `word` most likely stands for: same word modulo case and `_`/`-`, a known
/// alias, a truncation (`delays` → `delays-secs`), or within a small edit distance.
pub(crate) fn suggest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let norm = |s: &str| s.to_lowercase().replace(['_', ' '], "-");
    let w = norm(word);
    if w.is_empty() {
        return None;
    }
    if let Some(c) = candidates.iter().find(|c| norm(c) == w) {
        return Some(c);
    }
    if let Some((_, target)) = ALIASES.iter().find(|(alias, _)| *alias == w) {
        if let Some(c) = candidates.iter().find(|c| *c == target) {
            return Some(c);
        }
    }
    if w.chars().count() >= 3 {
        if let Some(c) = candidates.iter().find(|c| norm(c).starts_with(&w)) {
            return Some(c);
        }
    }
    let limit = (w.chars().count() / 3).clamp(1, 3);
    candidates
        .iter()
        // Optimal string alignment: Levenshtein plus adjacent transpositions (`strat` →
        // `start` is one edit).
        .map(|c| (strsim::osa_distance(&w, &norm(c)), *c))
        .filter(|(d, _)| *d <= limit)
        // min_by_key keeps the first of equals: ties go to the earlier candidate.
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Checks every key under `node` (a table at `path`) against `fields`, in document order,
/// and reports the first unknown one. `root` is the top of the schema, searched for a hint
/// when the key belongs in another table; `root_path` is where that top lives.
pub(crate) fn check_keys(
    node: &Node,
    fields: &'static [Field],
    path: &str,
    root: &'static [Field],
    root_path: &str,
) -> FaultResult<()> {
    let Some(entries) = node.entries() else {
        return Ok(()); // not a table: the reader reports the type
    };
    for (key, value) in entries {
        let key_path = join(path, &key.name);
        let Some(field) = fields.iter().find(|f| f.name == key.name) else {
            let span = key
                .span
                .clone()
                .or_else(|| value.span.clone())
                .or_else(|| node.span.clone());
            let message = unknown_key_message(&key.name, fields, root, root_path);
            return Err(Fault::new(span, key_path, message));
        };
        match (&field.shape, &value.kind) {
            (Shape::Table(sub), Kind::Table(_)) => {
                check_keys(value, sub, &key_path, root, root_path)?
            }
            (Shape::Tables(sub), Kind::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    check_keys(item, sub, &format!("{key_path}[{i}]"), root, root_path)?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn unknown_key_message(
    key: &str,
    fields: &'static [Field],
    root: &'static [Field],
    root_path: &str,
) -> String {
    let names: Vec<&str> = fields.iter().map(|f| f.name).collect();
    let allowed = format!("allowed: {}", names.join(", "));
    let lower = key.to_lowercase();
    if lower.contains("password") && names.contains(&"password-env") {
        // The value is never repeated: it may be the password itself.
        return format!(
            "unknown key: passwords are never written in the configuration; store it in an \
             environment variable and set `password-env = \"VAR_NAME\"`; {allowed}"
        );
    }
    if lower.contains("password") && names.contains(&"account") {
        // A service account's password is an installation-time secret: it never goes into
        // the package, so neither the configuration nor the build's environment holds it.
        return format!(
            "unknown key: the service account's password is never written in the configuration \
             or built into the package; it is given when installing: `msiexec /i <package>.msi \
             SVCPACK_SERVICE_PASSWORD=...`, or install.ps1's -AccountPassword (or its prompt); \
             {allowed}"
        );
    }
    if let Some(s) = suggest(key, &names) {
        return format!("unknown key; did you mean `{s}`? {allowed}");
    }
    let mut homes = Vec::new();
    find_homes(key, root, root_path, &mut homes);
    if !homes.is_empty() {
        let homes: Vec<String> = homes
            .iter()
            .map(|h| {
                if h.is_empty() {
                    "at the top level of the file, before the first [table]".to_string()
                } else {
                    format!("in [{h}]")
                }
            })
            .collect();
        return format!(
            "unknown key here; `{key}` belongs {}; {allowed}",
            homes.join(" or ")
        );
    }
    format!("unknown key; {allowed}")
}

/// Collects the table paths (below `path`) where `key` is allowed.
fn find_homes(key: &str, fields: &'static [Field], path: &str, out: &mut Vec<String>) {
    for f in fields {
        if f.name == key {
            out.push(path.to_string());
        }
        match &f.shape {
            Shape::Table(sub) | Shape::Tables(sub) => {
                find_homes(key, sub, &join(path, f.name), out)
            }
            Shape::Value | Shape::AnyKeys => {}
        }
    }
    out.dedup();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tree::parse;

    #[test]
    fn suggestions() {
        let service: Vec<&str> = SERVICE.iter().map(|f| f.name).collect();
        assert_eq!(suggest("strat", &service), Some("start"));
        assert_eq!(suggest("display_name", &service), Some("display-name"));
        assert_eq!(suggest("DisplayName", &service), Some("display-name"));
        assert_eq!(suggest("args", &service), Some("arguments"));
        assert_eq!(suggest("dependecies", &service), Some("dependencies"));
        assert_eq!(suggest("xyzzy", &service), None);
        assert_eq!(suggest("", &service), None);
        let top: Vec<&str> = SVCPACK.iter().map(|f| f.name).collect();
        assert_eq!(suggest("upgrade-guid", &top), Some("upgrade-code"));
        assert_eq!(suggest("product_name", &top), Some("product-name"));
        let recovery: Vec<&str> = RECOVERY.iter().map(|f| f.name).collect();
        assert_eq!(suggest("delays", &recovery), Some("delays-secs"));
        assert_eq!(suggest("comand", &recovery), Some("command"));
        // An alias is only offered where its target is allowed.
        assert_eq!(suggest("args", &recovery), None);
    }

    #[test]
    fn near_misses_are_suggested() {
        // One transposition, one substitution, one accent: each is one edit away.
        let keys = ["start", "kitten", "uberwachung"];
        assert_eq!(suggest("strat", &keys), Some("start"));
        assert_eq!(suggest("kitton", &keys), Some("kitten"));
        assert_eq!(suggest("überwachung", &keys), Some("uberwachung"));
        assert_eq!(suggest("zzzzz", &keys), None);
    }

    #[test]
    fn distances() {
        let distance = strsim::osa_distance;
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("abc", "abc"), 0);
        assert_eq!(distance("strat", "start"), 1);
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("überwachung", "uberwachung"), 1);
    }

    #[test]
    fn standalone_contains_every_svcpack_key() {
        for f in SVCPACK {
            assert!(STANDALONE.iter().any(|g| g.name == f.name), "{}", f.name);
        }
    }

    fn check(text: &str) -> FaultResult<()> {
        let root = parse(text).unwrap();
        check_keys(&root, SVCPACK, "", SVCPACK, "")
    }

    #[test]
    fn unknown_keys_anywhere() {
        assert!(check("product-name = 'x'\n[service]\nname = 'a'\n[service.host.environment]\nANY_THING = '1'\n").is_ok());
        let f = check("[service.recovery]\nactions = []\ncomand = 'x'\n").unwrap_err();
        assert_eq!(f.key.as_deref(), Some("service.recovery.comand"));
        assert!(
            f.message.contains("did you mean `command`?"),
            "{}",
            f.message
        );
        assert!(f
            .message
            .contains("allowed: actions, delays-secs, reset-after-secs, command"));
        let f = check("[[files]]\nsource = 'a'\n[[files]]\nsrc = 'b'\n").unwrap_err();
        assert_eq!(f.key.as_deref(), Some("files[1].src"));
        assert!(f.message.contains("did you mean `source`?"));
    }

    #[test]
    fn keys_in_the_wrong_table_say_where_they_belong() {
        let f = check("[service]\nproduct-name = 'x'\n").unwrap_err();
        assert!(
            f.message.contains("belongs at the top level"),
            "{}",
            f.message
        );
        let f = check("[service]\nreset-after-secs = 1\n").unwrap_err();
        assert!(
            f.message.contains("belongs in [service.recovery]"),
            "{}",
            f.message
        );
        let f = check("stop-timeout-secs = 1\n").unwrap_err();
        assert!(
            f.message.contains("belongs in [service.host]"),
            "{}",
            f.message
        );
    }

    #[test]
    fn password_keys_point_to_password_env() {
        let f = check("[sign]\npassword = 'hunter2'\n").unwrap_err();
        assert!(f.message.contains("password-env"), "{}", f.message);
        assert!(!f.message.contains("hunter2"));
        let f = check("[sign]\ncertificate-password = 'hunter2'\n").unwrap_err();
        assert!(f.message.contains("password-env"));
    }
}
