//! The `[sign]` table: where the certificate comes from and which tool signs. Names of
//! secrets only; a value that may be a secret is never echoed in a message.

use super::error::FaultResult;
use super::read::{Item, Table};
use super::resolve::Resolver;
use super::schema::suggest;
use super::tree::Kind;
use super::values::check_env_name;
use super::{Certificate, Sign, SignTool};

impl Resolver {
    pub(super) fn sign(&self, t: &Table) -> FaultResult<Sign> {
        let cert_file = t.get("certificate");
        let cert_env = t.get("certificate-env");
        let certificate =
            match (&cert_file, &cert_env) {
                (Some(_), Some(env)) => return Err(env.fault(
                    "set either certificate (a PKCS#12 file) or certificate-env (an environment \
                     variable holding base64 PKCS#12), not both",
                )),
                (Some(file), None) => Some(Certificate::File(self.existing_file(file)?)),
                (None, Some(env)) => Some(Certificate::Env(env_name(env)?)),
                (None, None) => None,
            };
        let password_env = t.get("password-env").map(|i| env_name(&i)).transpose()?;
        let timestamp_urls = match t.get("timestamp-url") {
            Some(i) => timestamp_urls(&i)?,
            None => Vec::new(),
        };
        let tool = sign_tool(t)?;
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
        })
    }
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
