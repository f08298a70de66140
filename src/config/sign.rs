//! The `[sign]` table: where the certificate comes from and which tool signs. Names of
//! secrets only; a value that may be a secret is never echoed in a message.

use std::path::{Path, PathBuf};

use super::error::FaultResult;
use super::read::{Item, Table};
use super::resolve::Resolver;
use super::schema::suggest;
use super::tree::Kind;
use super::values::check_env_name;
use super::{Certificate, Pkcs11, Sign, SignTool};

impl Resolver {
    pub(super) fn sign(&self, t: &Table) -> FaultResult<Sign> {
        let cert_file = t.get("certificate");
        let cert_env = t.get("certificate-env");
        let pkcs11 = self.pkcs11(t)?;
        let certificate =
            match (&cert_file, &cert_env) {
                (Some(_), Some(env)) => return Err(env.fault(
                    "set either certificate (a PKCS#12 file) or certificate-env (an environment \
                     variable holding base64 PKCS#12), not both",
                )),
                (_, Some(env)) if pkcs11.is_some() => {
                    return Err(env.fault(
                        "not used with pkcs11-module (the key is on the token, not in a PKCS#12); \
                     allowed: certificate = \"chain.pem\" (the signer's certificate chain, PEM or \
                     DER) or certificate = \"pkcs11:...;type=cert\"",
                    ))
                }
                (Some(file), None) if pkcs11.is_some() => Some(chain_certificate(self, file)?),
                (Some(file), None) => {
                    if file.string()?.starts_with("pkcs11:") {
                        return Err(file.fault(
                        "a pkcs11: certificate needs pkcs11-module (the PKCS#11 library) and key \
                         (the private key's pkcs11: URI)",
                    ));
                    }
                    Some(Certificate::File(self.existing_file(file)?))
                }
                (None, Some(env)) => Some(Certificate::Env(env_name(env)?)),
                (None, None) => None,
            };
        let password_env = match t.get("password-env") {
            Some(i) if pkcs11.is_some() => {
                return Err(i.fault(
                    "not used with pkcs11-module; the token's PIN comes from pin-env = \"VAR\"",
                ))
            }
            Some(i) => Some(env_name(&i)?),
            None => None,
        };
        let timestamp_urls = match t.get("timestamp-url") {
            Some(i) => timestamp_urls(&i)?,
            None => Vec::new(),
        };
        let tool = sign_tool(t)?;
        if pkcs11.is_some() && !matches!(tool, SignTool::Auto | SignTool::Osslsigncode) {
            let at = t.get("tool").or_else(|| t.get("command"));
            let message = "a PKCS#11 key is used through osslsigncode (on any host); allowed with \
                           pkcs11-module: tool = \"auto\" or \"osslsigncode\" (a command signer \
                           reaches its own key: drop pkcs11-module)";
            return Err(match at {
                Some(i) => i.fault(message),
                None => t.fault("tool", message),
            });
        }
        if pkcs11.is_some() && certificate.is_none() {
            return Err(t.fault(
                "certificate",
                "missing: a PKCS#11 key needs its certificate: certificate = \"chain.pem\" (PEM \
                 or DER, signer first) or certificate = \"pkcs11:token=...;object=...;type=cert\"",
            ));
        }
        if certificate.is_none() && !matches!(tool, SignTool::Command(_)) {
            return Err(t.fault(
                "certificate",
                "signing needs certificate = \"signer.pfx\" (a PKCS#12 file) or certificate-env = \
                 \"VAR\" (base64 PKCS#12 in an environment variable), unless tool = \"command\"",
            ));
        }
        Ok(Sign {
            certificate,
            password_env,
            timestamp_urls,
            tool,
            pkcs11,
        })
    }

    /// `pkcs11-module`, `key`, `pin-env` and `pkcs11-engine`; the last three only with the
    /// first.
    fn pkcs11(&self, t: &Table) -> FaultResult<Option<Pkcs11>> {
        let Some(module_item) = t.get("pkcs11-module") else {
            for k in ["key", "pin-env", "pkcs11-engine"] {
                if let Some(i) = t.get(k) {
                    return Err(i.fault(
                        "only used with pkcs11-module = \"/path/to/pkcs11-library.so\" (a key in \
                         a token or HSM); add it, or remove this key",
                    ));
                }
            }
            return Ok(None);
        };
        let module = library_path(self, &module_item)?;
        let key_item = t.get("key").ok_or_else(|| {
            t.fault(
                "key",
                "missing: pkcs11-module needs key = \"pkcs11:token=...;object=...\" (RFC 7512 URI \
                 of the private key)",
            )
        })?;
        let key = key_item.string()?;
        check_pkcs11_uri(key, "private").map_err(|m| key_item.fault(m))?;
        let pin_env = t.get("pin-env").map(|i| env_name(&i)).transpose()?;
        let engine = t
            .get("pkcs11-engine")
            .map(|i| library_path(self, &i))
            .transpose()?;
        Ok(Some(Pkcs11 {
            module,
            key: key.to_string(),
            pin_env,
            engine,
        }))
    }
}

/// A shared library: a bare file name is left to the dynamic loader; a relative path
/// starts at the manifest directory. Whether it exists is checked at build time (the
/// configuration may be written on another machine than the one holding the token).
fn library_path(r: &Resolver, item: &Item) -> FaultResult<PathBuf> {
    let text = item.string()?;
    if text.trim().is_empty() {
        return Err(item.fault(
            "must not be empty; allowed: the path of a PKCS#11 library (.so, .dylib, .dll)",
        ));
    }
    let path = Path::new(text);
    Ok(if path.is_absolute() || !text.contains(['/', '\\']) {
        path.to_path_buf()
    } else {
        text.split(['/', '\\'])
            .filter(|s| !s.is_empty())
            .fold(r.pkg.manifest_dir.clone(), |p, s| p.join(s))
    })
}

/// With PKCS#11 `certificate` is the chain file (PEM or DER) or a `pkcs11:` URI of the
/// certificate object.
fn chain_certificate(r: &Resolver, item: &Item) -> FaultResult<Certificate> {
    let text = item.string()?;
    if text.starts_with("pkcs11:") {
        check_pkcs11_uri(text, "cert").map_err(|m| item.fault(m))?;
        return Ok(Certificate::Pkcs11(text.to_string()));
    }
    let path = r.existing_file(item)?;
    let bytes = std::fs::read(&path).map_err(|e| item.fault(format!("cannot read it: {e}")))?;
    let pem = String::from_utf8_lossy(bytes.get(..bytes.len().min(4096)).unwrap_or_default())
        .contains("-----BEGIN CERTIFICATE-----");
    // DER: SEQUENCE { SEQUENCE (tbsCertificate) ... }; a PKCS#12 is SEQUENCE { INTEGER 3 }.
    let der = bytes.first() == Some(&0x30) && {
        let skip = match bytes.get(1) {
            Some(n) if *n < 0x80 => 2,
            Some(n) => 2 + usize::from(n & 0x7f),
            None => 2,
        };
        bytes.get(skip) == Some(&0x30)
    };
    if !pem && !der {
        return Err(item.fault(
            "is not a certificate chain; allowed with pkcs11-module: the signer's certificate \
             (and its intermediates) as PEM or DER, or a pkcs11: URI of the certificate on the token",
        ));
    }
    Ok(Certificate::File(path))
}

/// Checks an RFC 7512 PKCS#11 URI naming one object: known attributes, each once, values
/// percent-encoded where needed, `type` (when given) equal to `want_type`, `object` or `id`
/// present. A `pin-value` is refused: the PIN is a secret and only comes from pin-env.
/// The message never quotes an attribute's value.
pub(crate) fn check_pkcs11_uri(uri: &str, want_type: &str) -> Result<(), String> {
    let check = UriCheck::new(want_type);
    let Some(rest) = uri.strip_prefix("pkcs11:") else {
        return Err(check.fail("is not a pkcs11: URI".into()));
    };
    let mut seen: Vec<&str> = Vec::new();
    for (attr, part) in uri_attributes(rest) {
        let Some((name, value)) = attr.split_once('=') else {
            return Err(check.fail(format!("attribute `{}` has no `=value`", visible(attr))));
        };
        check.name(name, part.names(), &seen)?;
        seen.push(name);
        let decoded = percent_decode(value, part)
            .map_err(|m| check.fail(format!("attribute `{name}`: {m}")))?;
        check.value(name, &decoded)?;
    }
    if !seen.iter().any(|a| *a == "object" || *a == "id") {
        return Err(
            check.fail("names no object: add object=<label> or id=<%-encoded CKA_ID>".into())
        );
    }
    Ok(())
}

/// The attributes a PKCS#11 URI's path may hold (RFC 7512 section 2.3).
const PKCS11_PATH_ATTRS: &[&str] = &[
    "token",
    "manufacturer",
    "serial",
    "model",
    "library-manufacturer",
    "library-description",
    "library-version",
    "object",
    "type",
    "id",
    "slot-description",
    "slot-manufacturer",
    "slot-id",
];
/// The attributes its query may hold.
const PKCS11_QUERY_ATTRS: &[&str] = &["pin-source", "module-name", "module-path"];
/// The object classes `type` may name.
const PKCS11_TYPES: &[&str] = &["public", "private", "cert", "secret-key", "data"];

/// Where in the URI an attribute stands: the path or the query.
#[derive(Clone, Copy)]
enum UriPart {
    Path,
    Query,
}

impl UriPart {
    /// The attribute names allowed here.
    fn names(self) -> &'static [&'static str] {
        match self {
            UriPart::Path => PKCS11_PATH_ATTRS,
            UriPart::Query => PKCS11_QUERY_ATTRS,
        }
    }

    /// Whether a value here may hold `b` unencoded (RFC 7512 section 2.3: `pk11-pchar`,
    /// `pk11-qchar`): unreserved characters and `:[]@!$'()*+,=` in both; `&` only in the
    /// path, where `;` separates; `/`, `?` and `|` only in the query, so that
    /// `module-path=/usr/lib/p11.so` and `pin-source=file:/pin` stand as written.
    fn allows(self, b: u8) -> bool {
        let both = b.is_ascii_alphanumeric() || b"-._~:[]@!$'()*+,=".contains(&b);
        both || match self {
            UriPart::Path => b == b'&',
            UriPart::Query => b"/?|".contains(&b),
        }
    }
}

/// The URI's non-empty attributes after `pkcs11:`, each with where it stands:
/// `;`-separated in the path, `&`-separated in the query after `?`.
fn uri_attributes(rest: &str) -> impl Iterator<Item = (&str, UriPart)> {
    let (path, query) = match rest.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (rest, None),
    };
    path.split(';')
        .filter(|a| !a.is_empty())
        .map(|a| (a, UriPart::Path))
        .chain(
            query
                .into_iter()
                .flat_map(|q| q.split('&'))
                .filter(|a| !a.is_empty())
                .map(|a| (a, UriPart::Query)),
        )
}

/// The checks on one URI, which must name an object of `want_type`.
struct UriCheck<'a> {
    want_type: &'a str,
    example: &'static str,
}

impl<'a> UriCheck<'a> {
    fn new(want_type: &'a str) -> Self {
        let example = if want_type == "cert" {
            "pkcs11:token=release;object=signer;type=cert"
        } else {
            "pkcs11:token=release;object=signer"
        };
        UriCheck { want_type, example }
    }

    fn fail(&self, what: String) -> String {
        format!("{what}; allowed: an RFC 7512 URI like \"{}\"", self.example)
    }

    /// An attribute's name: never pin-value, known where it stands (or `x-` vendor), once.
    fn name(&self, name: &str, known: &[&str], seen: &[&str]) -> Result<(), String> {
        if name == "pin-value" {
            return Err(
                "holds pin-value: the PIN is a secret and never goes in the \
                        configuration; set pin-env = \"VAR\" naming the environment variable \
                        that holds it"
                    .into(),
            );
        }
        if !known.contains(&name) && !name.starts_with("x-") {
            let hint = match suggest(name, known) {
                Some(s) => format!(" (did you mean `{s}`?)"),
                None => String::new(),
            };
            return Err(self.fail(format!(
                "unknown attribute `{}`{hint}; known: {}",
                visible(name),
                known.join(", ")
            )));
        }
        if seen.contains(&name) {
            return Err(self.fail(format!("attribute `{name}` is given twice")));
        }
        Ok(())
    }

    /// An attribute's decoded value: `type` a known class and the wanted one, `slot-id`
    /// a decimal number.
    fn value(&self, name: &str, decoded: &[u8]) -> Result<(), String> {
        match name {
            "type" => {
                let t = String::from_utf8_lossy(decoded);
                if !PKCS11_TYPES.contains(&t.as_ref()) {
                    return Err(
                        self.fail(format!("type must be one of {}", PKCS11_TYPES.join(", ")))
                    );
                }
                let want_type = self.want_type;
                if t != want_type {
                    return Err(self.fail(format!(
                        "type is `{t}`, but this must name a {} object (type={want_type})",
                        if want_type == "cert" {
                            "certificate"
                        } else {
                            "private key"
                        }
                    )));
                }
            }
            "slot-id" if decoded.is_empty() || !decoded.iter().all(u8::is_ascii_digit) => {
                return Err(self.fail("slot-id must be a decimal number".into()));
            }
            _ => {}
        }
        Ok(())
    }
}

/// RFC 3986 percent-decoding of one URI attribute value; characters outside the set its
/// part allows (spaces, `#`, controls, non-ASCII everywhere; `/` in the path) must be
/// percent-encoded.
fn percent_decode(value: &str, part: UriPart) -> Result<Vec<u8>, String> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| {
                    format!(
                        "`%` at character {} is not followed by two hex digits",
                        i + 1
                    )
                })?;
            out.push(hex);
            i += 3;
            continue;
        }
        if !part.allows(b) {
            return Err(format!(
                "character {} must be percent-encoded (e.g. a space as %20)",
                i + 1
            ));
        }
        out.push(b);
        i += 1;
    }
    Ok(out)
}

/// An attribute name as typed, with control characters escaped.
fn visible(s: &str) -> String {
    s.chars().flat_map(char::escape_debug).take(40).collect()
}

/// An environment variable name; the value is never echoed (it may be a pasted secret).
fn env_name(item: &Item) -> FaultResult<String> {
    let text = item.string()?;
    check_env_name(text).map_err(|m| item.fault(m))?;
    Ok(text.to_string())
}

fn timestamp_urls(item: &Item) -> FaultResult<Vec<String>> {
    let items = match &item.node.kind {
        Kind::String(_) => vec![Item {
            path: item.path.clone(),
            key: item.key,
            node: item.node,
        }],
        Kind::Array(_) => item.array()?,
        other => {
            return Err(item.fault(format!(
                "expected a string or an array of strings, found {}",
                other.describe()
            )))
        }
    };
    let mut urls = Vec::new();
    for u in items {
        let url = u.string()?;
        let lower = url.to_ascii_lowercase();
        let rest = lower
            .strip_prefix("http://")
            .or_else(|| lower.strip_prefix("https://"));
        if !matches!(rest, Some(host) if !host.is_empty() && !host.starts_with('/'))
            || url.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(u.fault(format!(
                "`{url}` is not a URL; allowed: an http:// or https:// RFC 3161 server, e.g. \
                 \"http://timestamp.digicert.com\""
            )));
        }
        urls.push(url.to_string());
    }
    Ok(urls)
}

fn sign_tool(t: &Table) -> FaultResult<SignTool> {
    const TOOLS: &[&str] = &["auto", "osslsigncode", "signtool", "command"];
    let tool_item = t.get("tool");
    let tool = match &tool_item {
        Some(i) => {
            let word = i.string()?;
            match TOOLS.iter().find(|w| w.eq_ignore_ascii_case(word)) {
                Some(w) => Some(*w),
                None => {
                    let hint = match suggest(word, TOOLS) {
                        Some(s) => format!(" did you mean `{s}`?"),
                        None => String::new(),
                    };
                    return Err(i.fault(format!(
                        "unknown signing tool `{word}`;{hint} allowed: {}",
                        TOOLS.join(", ")
                    )));
                }
            }
        }
        None => None,
    };
    let command = match t.get("command") {
        Some(i) => {
            let argv = i.strings()?;
            if argv.is_empty() || argv[0].trim().is_empty() {
                return Err(i.fault(
                    "must name a program; allowed: [\"program\", \"arg\", ..., \"{file}\"]",
                ));
            }
            if let Some(bad) = argv.iter().find_map(|a| unknown_placeholder(a)) {
                return Err(i.fault(format!(
                    "unknown placeholder `{{{bad}}}`; allowed: {{file}}, {{digest}}, \
                     {{timestamp-url}}"
                )));
            }
            if !argv.iter().any(|a| a.contains("{file}")) {
                return Err(i.fault(
                    "no argument contains the {file} placeholder (the file to sign); allowed: \
                     [\"program\", \"arg\", ..., \"{file}\"]",
                ));
            }
            Some((argv, i))
        }
        None => None,
    };
    match (tool, command) {
        (Some("command") | None, Some((argv, _))) => Ok(SignTool::Command(argv)),
        (Some("command"), None) => Err(t.fault(
            "command",
            "missing: tool = \"command\" needs command = [\"program\", \"arg\", ..., \"{file}\"]",
        )),
        (Some(other), Some((_, i))) => Err(i.fault(format!(
            "only used with tool = \"command\" (tool is \"{other}\"); remove it or set tool = \"command\""
        ))),
        (Some("osslsigncode"), None) => Ok(SignTool::Osslsigncode),
        (Some("signtool"), None) => Ok(SignTool::Signtool),
        (Some(_) | None, None) => Ok(SignTool::Auto),
    }
}

/// The first `{name}` in `arg` that is not a known placeholder.
fn unknown_placeholder(arg: &str) -> Option<String> {
    let mut rest = arg;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        let end = after.find('}')?;
        let name = &after[..end];
        if !["file", "digest", "timestamp-url"].contains(&name) {
            return Some(name.chars().flat_map(char::escape_debug).take(40).collect());
        }
        rest = &after[end + 1..];
    }
    None
}
