//! Reading an Authenticode signature back, without any external tool: the PKCS#7 blob is
//! taken from a PE file's certificate table or an MSI's `\x05DigitalSignature` stream and
//! decoded with a small DER reader, enough to name the signer, its certificate's validity
//! and key usage, the claimed signing time and a counter-signature's timestamp.
//!
//! This only *reads*; it checks no cryptography (that is the verifier's job, see
//! [`super::Signer::verify`]). Every input may be hostile: nothing here indexes without a
//! bounds check, and anything unexpected gives `None` rather than an error or a panic.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

/// A decoded DER element: its tag byte, contents and the whole encoding.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Der<'a> {
    pub tag: u8,
    pub content: &'a [u8],
    pub raw: &'a [u8],
}

const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;
const INTEGER: u8 = 0x02;
const OCTET_STRING: u8 = 0x04;
const OID: u8 = 0x06;
const UTC_TIME: u8 = 0x17;
const GENERALIZED_TIME: u8 = 0x18;
/// `[0]` and `[1]`, constructed (IMPLICIT SETs and EXPLICIT wrappers in PKCS#7 / X.509).
const CTX0: u8 = 0xA0;
const CTX1: u8 = 0xA1;
const CTX3: u8 = 0xA3;

const OID_SIGNED_DATA: &str = "1.2.840.113549.1.7.2";
const OID_SIGNING_TIME: &str = "1.2.840.113549.1.9.5";
const OID_COUNTER_SIGNATURE: &str = "1.2.840.113549.1.9.6";
const OID_RFC3161_COUNTER_SIGNATURE: &str = "1.3.6.1.4.1.311.3.3.1";
const OID_SPC_SP_OPUS_INFO: &str = "1.3.6.1.4.1.311.2.1.12";
const OID_EXT_KEY_USAGE: &str = "2.5.29.37";
/// The extended key usage Windows requires of an Authenticode signer.
pub(crate) const OID_CODE_SIGNING: &str = "1.3.6.1.5.5.7.3.3";
/// `anyExtendedKeyUsage`, which also allows code signing.
pub(crate) const OID_ANY_EKU: &str = "2.5.29.37.0";

impl<'a> Der<'a> {
    /// Reads one element from the front of `input`; returns it and the rest. Only definite
    /// lengths and single-byte tags: Authenticode signatures are DER.
    pub fn read(input: &'a [u8]) -> Option<(Der<'a>, &'a [u8])> {
        let tag = *input.first()?;
        if tag & 0x1f == 0x1f {
            return None;
        }
        let first = *input.get(1)?;
        let (len, header) = if first < 0x80 {
            (usize::from(first), 2)
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 || n > 4 {
                return None;
            }
            let mut len = 0usize;
            for i in 0..n {
                len = (len << 8) | usize::from(*input.get(2 + i)?);
            }
            (len, 2 + n)
        };
        let end = header.checked_add(len)?;
        let raw = input.get(..end)?;
        let content = raw.get(header..)?;
        Some((Der { tag, content, raw }, input.get(end..)?))
    }

    /// Reads an element that must have `tag`.
    fn expect(input: &'a [u8], tag: u8) -> Option<(Der<'a>, &'a [u8])> {
        let (d, rest) = Der::read(input)?;
        (d.tag == tag).then_some((d, rest))
    }

    /// The elements inside a constructed element (None if any is malformed).
    pub fn children(&self) -> Option<Vec<Der<'a>>> {
        let mut out = Vec::new();
        let mut rest = self.content;
        while !rest.is_empty() {
            let (d, r) = Der::read(rest)?;
            out.push(d);
            rest = r;
        }
        Some(out)
    }

    /// An OBJECT IDENTIFIER in dotted form.
    pub fn oid(&self) -> Option<String> {
        if self.tag != OID || self.content.is_empty() {
            return None;
        }
        let mut arcs: Vec<u64> = Vec::new();
        let mut v: u64 = 0;
        for &b in self.content {
            v = v.checked_mul(128)?.checked_add(u64::from(b & 0x7f))?;
            if b & 0x80 == 0 {
                if arcs.is_empty() {
                    let first = (v / 40).min(2);
                    arcs.push(first);
                    arcs.push(v - first * 40);
                } else {
                    arcs.push(v);
                }
                v = 0;
            }
        }
        Some(
            arcs.iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join("."),
        )
    }
}

/// What a signer's certificate says about itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CertInfo {
    /// RFC 4514 form, most specific first (`CN=..., O=..., C=..`), as Windows shows it.
    pub subject: String,
    pub issuer: String,
    /// Upper-case hex of the serial number's bytes.
    pub serial: String,
    /// Unix seconds.
    pub not_before: i64,
    pub not_after: i64,
    /// The extended key usages, dotted; `None` when the extension is absent (any use).
    pub ext_key_usage: Option<Vec<String>>,
}

/// A decoded Authenticode signature (the primary one; nested signatures are not read).
#[derive(Clone, Debug)]
pub(crate) struct Signature {
    pub signer: CertInfo,
    /// Every certificate carried in the signature (and its timestamp), DER.
    pub certificates: Vec<Vec<u8>>,
    pub digest: Option<String>,
    /// The signing time the signer claimed (an authenticated attribute, but not trusted
    /// by Windows: only a timestamp is).
    pub signing_time: Option<i64>,
    /// The program name and URL of the SpcSpOpusInfo attribute (osslsigncode -n/-i,
    /// signtool /d /du).
    pub description: Option<String>,
    pub url: Option<String>,
    /// A counter-signature's time (Authenticode or RFC 3161) and the authority's subject.
    pub timestamp: Option<(i64, Option<String>)>,
}

/// The raw PKCS#7 `ContentInfo` of a PE or MSI file's signature, if it has one.
pub(crate) fn extract(path: &Path) -> Option<Vec<u8>> {
    let mut f = std::fs::File::open(path).ok()?;
    let mut magic = [0u8; 8];
    f.read_exact(&mut magic).ok()?;
    drop(f);
    if magic == [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1] {
        let mut cf = cfb::open(path).ok()?;
        let mut stream = cf.open_stream("\u{5}DigitalSignature").ok()?;
        let mut out = Vec::new();
        stream.read_to_end(&mut out).ok()?;
        Some(out)
    } else if magic.starts_with(b"MZ") {
        let bytes = std::fs::read(path).ok()?;
        pe_signature(&bytes).map(<[u8]>::to_vec)
    } else {
        None
    }
}

/// The PKCS#7 blob in a PE image's certificate table (data directory 4), whose offset is
/// a file offset, not an RVA.
pub(crate) fn pe_signature(bytes: &[u8]) -> Option<&[u8]> {
    let u16_at = |o: usize| -> Option<u16> {
        Some(u16::from_le_bytes(
            bytes.get(o..o.checked_add(2)?)?.try_into().ok()?,
        ))
    };
    let u32_at = |o: usize| -> Option<usize> {
        let v = u32::from_le_bytes(bytes.get(o..o.checked_add(4)?)?.try_into().ok()?);
        usize::try_from(v).ok()
    };
    if bytes.get(..2)? != b"MZ" {
        return None;
    }
    let pe = u32_at(0x3c)?;
    if bytes.get(pe..pe.checked_add(4)?)? != b"PE\0\0" {
        return None;
    }
    let opt = pe.checked_add(24)?;
    let (count_at, dirs_at) = match u16_at(opt)? {
        0x10b => (opt + 92, opt + 96),
        0x20b => (opt + 108, opt + 112),
        _ => return None,
    };
    if u32_at(count_at)? < 5 {
        return None;
    }
    let dir = dirs_at.checked_add(4 * 8)?;
    let (offset, size) = (u32_at(dir)?, u32_at(dir + 4)?);
    if offset == 0 || size < 8 {
        return None;
    }
    let table = bytes.get(offset..offset.checked_add(size)?)?;
    // WIN_CERTIFICATE: dwLength, wRevision, wCertificateType (2 = PKCS#7 SignedData).
    let length = usize::try_from(u32::from_le_bytes(table.get(..4)?.try_into().ok()?)).ok()?;
    let kind = u16::from_le_bytes(table.get(6..8)?.try_into().ok()?);
    if kind != 2 || length < 8 {
        return None;
    }
    table.get(8..length.min(table.len()))
}

/// Decodes a PKCS#7 `ContentInfo` holding Authenticode `SignedData`.
pub(crate) fn parse(blob: &[u8]) -> Option<Signature> {
    let (ci, _) = Der::expect(blob, SEQUENCE)?;
    let signed = signed_data(&ci)?;
    let info = signed.signer_infos.first()?;
    let signer = find_cert(&signed.certificates, info)?;
    let mut sig = Signature {
        signer,
        certificates: signed.certificates.iter().map(|c| c.to_vec()).collect(),
        digest: info.digest.clone(),
        signing_time: None,
        description: None,
        url: None,
        timestamp: None,
    };
    for (oid, values) in &info.authenticated {
        match oid.as_str() {
            OID_SIGNING_TIME => sig.signing_time = values.first().and_then(|v| time(v)),
            OID_SPC_SP_OPUS_INFO => {
                if let Some(v) = values.first() {
                    (sig.description, sig.url) = opus_info(v);
                }
            }
            _ => {}
        }
    }
    for (oid, values) in &info.unauthenticated {
        let Some(v) = values.first() else { continue };
        match oid.as_str() {
            OID_COUNTER_SIGNATURE => {
                // A legacy Authenticode timestamp: a SignerInfo whose certificates were
                // merged into the outer signature.
                if let Some(cs) = signer_info(v) {
                    let when = cs
                        .authenticated
                        .iter()
                        .find(|(o, _)| o == OID_SIGNING_TIME)
                        .and_then(|(_, vs)| vs.first().and_then(|t| time(t)));
                    let tsa = find_cert(&signed.certificates, &cs).map(|c| c.subject);
                    if let Some(when) = when {
                        sig.timestamp = Some((when, tsa));
                    }
                }
            }
            OID_RFC3161_COUNTER_SIGNATURE => {
                // An RFC 3161 token: SignedData over a TSTInfo, with its own certificates.
                let token = Der::expect(v, SEQUENCE).and_then(|(ci, _)| signed_data(&ci));
                if let Some(token) = token {
                    let when = tst_info_time(token.content);
                    let tsa = token
                        .signer_infos
                        .first()
                        .and_then(|i| find_cert(&token.certificates, i))
                        .map(|c| c.subject);
                    sig.certificates
                        .extend(token.certificates.iter().map(|c| c.to_vec()));
                    if let Some(when) = when {
                        sig.timestamp = Some((when, tsa));
                    }
                }
            }
            _ => {}
        }
    }
    Some(sig)
}

/// The map `cargo svcpack inspect` shows: stable keys, values in display form.
pub(crate) fn describe(sig: &Signature) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    m.insert("subject".into(), sig.signer.subject.clone());
    m.insert("issuer".into(), sig.signer.issuer.clone());
    m.insert("serial".into(), sig.signer.serial.clone());
    m.insert("valid-from".into(), format_time(sig.signer.not_before));
    m.insert("valid-until".into(), format_time(sig.signer.not_after));
    if let Some(d) = &sig.digest {
        m.insert("digest".into(), d.clone());
    }
    if let Some(t) = sig.signing_time {
        m.insert("signing-time".into(), format_time(t));
    }
    if let Some(d) = &sig.description {
        m.insert("description".into(), d.clone());
    }
    if let Some(u) = &sig.url {
        m.insert("url".into(), u.clone());
    }
    match &sig.timestamp {
        Some((t, tsa)) => {
            m.insert("timestamp".into(), format_time(*t));
            if let Some(s) = tsa {
                m.insert("timestamp-authority".into(), s.clone());
            }
        }
        None => {
            m.insert("timestamp".into(), "none".into());
        }
    }
    m
}

struct SignedData<'a> {
    /// The encapsulated content (`[0] EXPLICIT` payload of `contentInfo`), if any.
    content: &'a [u8],
    certificates: Vec<&'a [u8]>,
    signer_infos: Vec<SignerInfo>,
}

struct SignerInfo {
    /// Raw issuer Name and serial INTEGER contents, to find the certificate.
    issuer: Vec<u8>,
    serial: Vec<u8>,
    digest: Option<String>,
    authenticated: Vec<(String, Vec<Vec<u8>>)>,
    unauthenticated: Vec<(String, Vec<Vec<u8>>)>,
}

/// `ContentInfo { signedData, [0] EXPLICIT SignedData }` (given its SEQUENCE, or the raw
/// element of an attribute value).
fn signed_data<'a>(ci: &Der<'a>) -> Option<SignedData<'a>> {
    let parts = ci.children()?;
    if parts.first()?.oid()? != OID_SIGNED_DATA {
        return None;
    }
    let wrapper = parts.get(1)?;
    if wrapper.tag != CTX0 {
        return None;
    }
    let (sd, _) = Der::expect(wrapper.content, SEQUENCE)?;
    let fields = sd.children()?;
    // version, digestAlgorithms, contentInfo, [0] certificates?, [1] crls?, signerInfos
    let content_info = fields.get(2)?;
    let content = content_info
        .children()?
        .get(1)
        .filter(|d| d.tag == CTX0)
        .map(|d| d.content)
        .unwrap_or(&[]);
    let mut certificates = Vec::new();
    let mut signer_infos = Vec::new();
    for f in fields.iter().skip(3) {
        match f.tag {
            CTX0 => certificates = f.children()?.iter().map(|c| c.raw).collect(),
            CTX1 => {}
            SET => {
                for si in f.children()? {
                    signer_infos.push(signer_info(si.raw)?);
                }
            }
            _ => return None,
        }
    }
    Some(SignedData {
        content,
        certificates,
        signer_infos,
    })
}

fn signer_info(raw: &[u8]) -> Option<SignerInfo> {
    let (si, _) = Der::expect(raw, SEQUENCE)?;
    let fields = si.children()?;
    let ias = fields.get(1)?.children()?;
    let issuer = ias.first()?.raw.to_vec();
    let serial = ias.get(1).filter(|d| d.tag == INTEGER)?.content.to_vec();
    let digest = fields
        .get(2)
        .and_then(|a| a.children())
        .and_then(|a| a.first().and_then(Der::oid))
        .map(|o| digest_name(&o));
    let mut authenticated = Vec::new();
    let mut unauthenticated = Vec::new();
    for f in fields.iter().skip(3) {
        match f.tag {
            CTX0 => authenticated = attributes(f)?,
            CTX1 => unauthenticated = attributes(f)?,
            _ => {}
        }
    }
    Some(SignerInfo {
        issuer,
        serial,
        digest,
        authenticated,
        unauthenticated,
    })
}

/// `SET OF Attribute { type OID, values SET OF ANY }`, values kept raw.
fn attributes(set: &Der) -> Option<Vec<(String, Vec<Vec<u8>>)>> {
    let mut out = Vec::new();
    for a in set.children()? {
        let parts = a.children()?;
        let oid = parts.first()?.oid()?;
        let values = parts
            .get(1)
            .and_then(Der::children)
            .map(|vs| vs.iter().map(|v| v.raw.to_vec()).collect())
            .unwrap_or_default();
        out.push((oid, values));
    }
    Some(out)
}

fn digest_name(oid: &str) -> String {
    match oid {
        "2.16.840.1.101.3.4.2.1" => "sha256".into(),
        "2.16.840.1.101.3.4.2.2" => "sha384".into(),
        "2.16.840.1.101.3.4.2.3" => "sha512".into(),
        "1.3.14.3.2.26" => "sha1".into(),
        "1.2.840.113549.2.5" => "md5".into(),
        other => other.into(),
    }
}

/// The certificate a SignerInfo names by issuer and serial; else the first certificate
/// with that serial (some signers re-encode the issuer Name).
fn find_cert(certs: &[&[u8]], info: &SignerInfo) -> Option<CertInfo> {
    let mut by_serial = None;
    for raw in certs {
        let Some((tbs_issuer, tbs_serial)) = cert_ids(raw) else {
            continue;
        };
        if tbs_serial == info.serial.as_slice() {
            if tbs_issuer == info.issuer.as_slice() {
                return cert_info(raw);
            }
            by_serial.get_or_insert(*raw);
        }
    }
    by_serial.and_then(cert_info)
}

/// The TBSCertificate fields, skipping the optional `[0] version`.
fn tbs_fields(raw: &[u8]) -> Option<Vec<Der<'_>>> {
    let (cert, _) = Der::expect(raw, SEQUENCE)?;
    let (tbs, _) = Der::expect(cert.content, SEQUENCE)?;
    let mut fields = tbs.children()?;
    if fields.first()?.tag == CTX0 {
        fields.remove(0);
    }
    Some(fields)
}

fn cert_ids(raw: &[u8]) -> Option<(&[u8], &[u8])> {
    let f = tbs_fields(raw)?;
    Some((
        f.get(2)?.raw,
        f.first().filter(|d| d.tag == INTEGER)?.content,
    ))
}

/// Subject, issuer, serial, validity and extended key usage of a DER certificate.
pub(crate) fn cert_info(raw: &[u8]) -> Option<CertInfo> {
    let f = tbs_fields(raw)?;
    // serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo, ...
    let serial = f.first().filter(|d| d.tag == INTEGER)?.content;
    let issuer = name(f.get(2)?)?;
    let validity = f.get(3)?.children()?;
    let not_before = time(validity.first()?.raw)?;
    let not_after = time(validity.get(1)?.raw)?;
    let subject = name(f.get(4)?)?;
    let mut ext_key_usage = None;
    if let Some(exts) = f.iter().find(|d| d.tag == CTX3) {
        let (seq, _) = Der::expect(exts.content, SEQUENCE)?;
        for ext in seq.children()? {
            let parts = ext.children()?;
            if parts.first().and_then(Der::oid).as_deref() != Some(OID_EXT_KEY_USAGE) {
                continue;
            }
            let value = parts.last().filter(|d| d.tag == OCTET_STRING)?;
            let (list, _) = Der::expect(value.content, SEQUENCE)?;
            ext_key_usage = Some(list.children()?.iter().filter_map(Der::oid).collect());
        }
    }
    Some(CertInfo {
        subject,
        issuer,
        serial: serial
            .iter()
            .skip_while(|&&b| b == 0 && serial.len() > 1)
            .map(|b| format!("{b:02X}"))
            .collect(),
        not_before,
        not_after,
        ext_key_usage,
    })
}

/// The time of an RFC 3161 TSTInfo: `SEQUENCE { version, policy, messageImprint,
/// serialNumber, genTime, ... }`, carried as `[0] EXPLICIT OCTET STRING`.
fn tst_info_time(content: &[u8]) -> Option<i64> {
    let (octets, _) = Der::expect(content, OCTET_STRING)?;
    let (tst, _) = Der::expect(octets.content, SEQUENCE)?;
    let fields = tst.children()?;
    time(fields.get(4)?.raw)
}

/// SpcSpOpusInfo: `SEQUENCE { [0] EXPLICIT SpcString OPTIONAL, [1] EXPLICIT SpcLink
/// OPTIONAL }`; SpcString is `[0] BMPString | [1] IA5String`, SpcLink's url `[0] IA5String`.
fn opus_info(raw: &[u8]) -> (Option<String>, Option<String>) {
    let Some((seq, _)) = Der::expect(raw, SEQUENCE) else {
        return (None, None);
    };
    let mut description = None;
    let mut url = None;
    for f in seq.children().unwrap_or_default() {
        let inner = Der::read(f.content).map(|(d, _)| d);
        match (f.tag, inner) {
            (CTX0, Some(s)) => {
                description = match s.tag {
                    0x80 => utf16be(s.content),
                    0x81 => Some(latin1(s.content)),
                    _ => None,
                }
            }
            (CTX1, Some(s)) if s.tag == 0x80 => url = Some(latin1(s.content)),
            _ => {}
        }
    }
    (description, url)
}

/// A Name in RFC 4514 form: RDNs most specific first, values escaped.
fn name(n: &Der) -> Option<String> {
    if n.tag != SEQUENCE {
        return None;
    }
    let mut rdns = Vec::new();
    for rdn in n.children()? {
        let mut parts = Vec::new();
        for atv in rdn.children()? {
            let f = atv.children()?;
            let oid = f.first()?.oid()?;
            let value = f.get(1)?;
            let text = directory_string(value)?;
            parts.push(format!("{}={}", attribute_name(&oid), escape_rdn(&text)));
        }
        rdns.push(parts.join("+"));
    }
    rdns.reverse();
    Some(rdns.join(", "))
}

fn attribute_name(oid: &str) -> &str {
    match oid {
        "2.5.4.3" => "CN",
        "2.5.4.4" => "SN",
        "2.5.4.5" => "SERIALNUMBER",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.9" => "STREET",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "2.5.4.12" => "T",
        "2.5.4.42" => "G",
        "0.9.2342.19200300.100.1.25" => "DC",
        "0.9.2342.19200300.100.1.1" => "UID",
        "1.2.840.113549.1.9.1" => "E",
        other => other,
    }
}

fn directory_string(d: &Der) -> Option<String> {
    match d.tag {
        // UTF8String, PrintableString, IA5String, NumericString, VisibleString
        0x0C | 0x13 | 0x16 | 0x12 | 0x1A => Some(String::from_utf8_lossy(d.content).into_owned()),
        // T61String: in practice Latin-1.
        0x14 => Some(latin1(d.content)),
        0x1E => utf16be(d.content),
        0x1C => d
            .content
            .chunks(4)
            .map(|c| {
                let b: [u8; 4] = c.try_into().ok()?;
                char::from_u32(u32::from_be_bytes(b))
            })
            .collect(),
        _ => Some(
            d.raw
                .iter()
                .fold(String::from("#"), |s, b| s + &format!("{b:02x}")),
        ),
    }
}

fn utf16be(bytes: &[u8]) -> Option<String> {
    let units: Vec<u16> = bytes
        .chunks(2)
        .map(|c| c.try_into().ok().map(u16::from_be_bytes))
        .collect::<Option<_>>()?;
    Some(String::from_utf16_lossy(&units))
}

fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

fn escape_rdn(s: &str) -> String {
    let mut out = String::new();
    let last = s.chars().count().saturating_sub(1);
    for (i, c) in s.chars().enumerate() {
        match c {
            ',' | '+' | '"' | '\\' | '<' | '>' | ';' => {
                out.push('\\');
                out.push(c);
            }
            '#' if i == 0 => out.push_str("\\#"),
            ' ' if i == 0 || i == last => out.push_str("\\ "),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\{:02X}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// UTCTime or GeneralizedTime (`Z` form, optional fraction) as Unix seconds.
pub(crate) fn time(raw: &[u8]) -> Option<i64> {
    let (d, _) = Der::read(raw)?;
    let text = std::str::from_utf8(d.content).ok()?;
    let text = text.strip_suffix('Z')?;
    let text = text.split('.').next()?;
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let num = |s: &str| s.parse::<i64>().ok();
    let (year, rest) = match d.tag {
        UTC_TIME if text.len() == 12 => {
            let yy = num(text.get(..2)?)?;
            // RFC 5280: 50..99 are 19xx.
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, text.get(2..)?)
        }
        GENERALIZED_TIME if text.len() == 14 => (num(text.get(..4)?)?, text.get(4..)?),
        _ => return None,
    };
    let field = |i: usize| num(rest.get(i..i + 2)?);
    let (month, day, h, m, s) = (field(0)?, field(2)?, field(4)?, field(6)?, field(8)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || h > 23 || m > 59 || s > 60 {
        return None;
    }
    Some(crate::civil::days_from_civil(year, month, day) * 86_400 + h * 3600 + m * 60 + s)
}

/// `YYYY-MM-DDTHH:MM:SSZ`.
pub(crate) fn format_time(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let tod = secs.rem_euclid(86_400);
    let (y, m, d) = crate::civil::civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        tod / 3600,
        tod % 3600 / 60,
        tod % 60
    )
}

/// DER certificates as a PEM bundle (for a verifier's CA file).
pub(crate) fn pem(certs: &[Vec<u8>]) -> String {
    let mut out = String::new();
    for c in certs {
        out.push_str("-----BEGIN CERTIFICATE-----\n");
        let b64 = super::tools::base64_encode(c);
        for line in b64.as_bytes().chunks(64) {
            out.push_str(&String::from_utf8_lossy(line));
            out.push('\n');
        }
        out.push_str("-----END CERTIFICATE-----\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip() {
        let t = |tag: u8, s: &str| {
            let mut v = vec![tag, s.len() as u8];
            v.extend_from_slice(s.as_bytes());
            time(&v)
        };
        assert_eq!(t(UTC_TIME, "231114221320Z"), Some(1_700_000_000));
        assert_eq!(t(GENERALIZED_TIME, "20231114221320Z"), Some(1_700_000_000));
        assert_eq!(
            t(GENERALIZED_TIME, "20231114221320.123Z"),
            Some(1_700_000_000)
        );
        assert_eq!(t(UTC_TIME, "491231235959Z"), Some(2_524_607_999));
        assert_eq!(t(UTC_TIME, "500101000000Z"), Some(-631_152_000));
        assert_eq!(t(UTC_TIME, "2311142213Z"), None);
        assert_eq!(t(UTC_TIME, "231314221320Z"), None);
        assert_eq!(format_time(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(format_time(0), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn oids_and_lengths() {
        let (d, rest) = Der::read(&[0x06, 0x03, 0x55, 0x04, 0x03, 0xff]).unwrap();
        assert_eq!(d.oid().as_deref(), Some("2.5.4.3"));
        assert_eq!(rest, &[0xff]);
        let long = [
            0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02,
        ];
        assert_eq!(
            Der::read(&long).unwrap().0.oid().as_deref(),
            Some(OID_SIGNED_DATA)
        );
        // Truncated, indefinite, over-long and multi-byte-tag encodings are refused.
        assert!(Der::read(&[0x30, 0x05, 0x00]).is_none());
        assert!(Der::read(&[0x30, 0x80, 0x00, 0x00]).is_none());
        assert!(Der::read(&[0x30, 0x85, 1, 1, 1, 1, 1]).is_none());
        assert!(Der::read(&[0x1f, 0x01, 0x00]).is_none());
        assert!(Der::read(&[]).is_none());
    }

    #[test]
    fn rdn_escaping() {
        assert_eq!(escape_rdn("Example, Ltd"), "Example\\, Ltd");
        assert_eq!(escape_rdn(" #a "), "\\ #a\\ ");
        assert_eq!(escape_rdn("#x"), "\\#x");
        assert_eq!(escape_rdn("a+b=c"), "a\\+b=c");
    }

    #[test]
    fn garbage_is_none() {
        assert!(parse(&[]).is_none());
        assert!(parse(&[0x30, 0x00]).is_none());
        assert!(pe_signature(b"MZ").is_none());
        let mut seed = 0x1234_5678u32;
        for len in 0..300 {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    (seed >> 16) as u8
                })
                .collect();
            let _ = parse(&bytes);
            let _ = pe_signature(&bytes);
        }
    }
}
