//! The XML layer: preprocessed WiX text → an owned element tree in which every element
//! knows its `file:line` and its namespace is resolved to a [`Namespace`].
//!
//! This module owns XML syntax errors and namespace recognition; it knows nothing about
//! what any element means (that is [`super::parse`]).

use super::error::{Location, Result, WixError};
use super::preprocess::Preprocessed;

/// The namespaces the compiler understands. Anything else is an error at its element.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Namespace {
    /// `http://schemas.microsoft.com/wix/2006/wi`
    Wix3,
    /// `http://wixtoolset.org/schemas/v4/wxs`
    Wix4,
    /// `http://schemas.microsoft.com/wix/UtilExtension`
    Util3,
    /// `http://wixtoolset.org/schemas/v4/wxs/util`
    Util4,
    /// `http://wixtoolset.org/schemas/v4/wxs/ui` (only `WixUI`, which is reported and skipped)
    Ui4,
    /// Any other namespace (a WiX extension svcpack does not build, or something else
    /// entirely): kept in the tree so that parsing can name what it needs
    /// ([`super::parse::extension`]).
    Foreign,
}

impl Namespace {
    pub fn from_uri(uri: &str) -> Option<Namespace> {
        match uri {
            "http://schemas.microsoft.com/wix/2006/wi" => Some(Namespace::Wix3),
            "http://wixtoolset.org/schemas/v4/wxs" => Some(Namespace::Wix4),
            "http://schemas.microsoft.com/wix/UtilExtension" => Some(Namespace::Util3),
            "http://wixtoolset.org/schemas/v4/wxs/util" => Some(Namespace::Util4),
            "http://wixtoolset.org/schemas/v4/wxs/ui" => Some(Namespace::Ui4),
            _ => None,
        }
    }

    /// An extension namespace (util, ui) rather than the main WiX one.
    pub fn is_util(self) -> bool {
        matches!(
            self,
            Namespace::Util3 | Namespace::Util4 | Namespace::Ui4 | Namespace::Foreign
        )
    }

    /// The source dialect: WiX v3 or v4+ (which decides e.g. the component-GUID algorithm).
    pub fn dialect(self) -> Dialect {
        match self {
            Namespace::Wix3 | Namespace::Util3 => Dialect::V3,
            Namespace::Wix4 | Namespace::Util4 | Namespace::Ui4 | Namespace::Foreign => Dialect::V4,
        }
    }
}

/// Which WiX version a source file is written for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dialect {
    V3,
    V4,
}

/// One attribute: local name (namespace-qualified attributes keep a `prefix:` form built
/// from the resolved namespace, e.g. `util:X`) and its value after XML unescaping.
#[derive(Clone, Debug)]
pub struct Attribute {
    pub name: String,
    pub value: String,
    /// The namespace URI and the prefix the source used, for a namespace-qualified attribute.
    pub ns_uri: Option<String>,
    pub prefix: Option<String>,
}

/// One element with its attributes, children, direct text and location.
#[derive(Clone, Debug)]
pub struct Element {
    pub ns: Namespace,
    pub name: String,
    pub attrs: Vec<Attribute>,
    pub children: Vec<Element>,
    /// The concatenated direct text content (used by v3 `Condition`, `Custom`, etc.).
    pub text: String,
    pub loc: Location,
    /// The namespace URI and the prefix the source used (`None`: the default namespace).
    pub ns_uri: String,
    pub prefix: Option<String>,
}

impl Element {
    /// `Name` or `util:Name`, for messages.
    pub fn display_name(&self) -> String {
        if self.ns == Namespace::Ui4 {
            format!("ui:{}", self.name)
        } else if self.ns.is_util() {
            format!("util:{}", self.name)
        } else {
            self.name.clone()
        }
    }

    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| a.name == name)
            .map(|a| a.value.as_str())
    }

    pub fn is(&self, name: &str) -> bool {
        !self.ns.is_util() && self.name == name
    }

    pub fn is_util(&self, name: &str) -> bool {
        self.ns.is_util() && self.name == name
    }
}

/// Parses preprocessed text into the element tree, mapping every position back to its
/// original `file:line`.
pub fn parse_document(pp: &Preprocessed) -> Result<Element> {
    let options = roxmltree::ParsingOptions {
        allow_dtd: false,
        ..Default::default()
    };
    let doc = roxmltree::Document::parse_with_options(&pp.text, options).map_err(|e| {
        let line = e.pos().row;
        WixError::new(
            pp.location(line),
            format!("XML syntax error: {}", strip_pos(&e.to_string())),
        )
    })?;
    let lines = LineIndex::new(&pp.text);
    convert(doc.root_element(), &lines, pp)
}

/// Byte offsets of every line start, built in one pass so that an element's line is a
/// binary search instead of a scan from the document start (roxmltree's `text_pos_at`
/// scans, which made a source with N elements take O(N²) time).
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex { starts }
    }

    /// The 1-based line holding byte offset `pos`.
    fn line(&self, pos: usize) -> u32 {
        self.starts.partition_point(|&s| s <= pos) as u32
    }
}

/// roxmltree appends "at L:C" to its messages; our location prefix already says where.
fn strip_pos(msg: &str) -> String {
    match msg.rfind(" at ") {
        Some(i) if msg[i + 4..].chars().all(|c| c.is_ascii_digit() || c == ':') => {
            msg[..i].to_string()
        }
        _ => msg.to_string(),
    }
}

fn convert(node: roxmltree::Node<'_, '_>, lines: &LineIndex, pp: &Preprocessed) -> Result<Element> {
    let line = lines.line(node.range().start);
    let loc = pp.location(line);
    let tag = node.tag_name();
    let ns = match tag.namespace() {
        Some(uri) => Namespace::from_uri(uri).unwrap_or(Namespace::Foreign),
        None => {
            return Err(WixError::new(
                loc,
                format!(
                    "element `{}` has no namespace; WiX sources declare xmlns=\"http://schemas.microsoft.com/wix/2006/wi\" \
                     (v3) or xmlns=\"http://wixtoolset.org/schemas/v4/wxs\" (v4)",
                    tag.name()
                ),
            ))
        }
    };
    let mut attrs = Vec::new();
    for a in node.attributes() {
        let prefix = a
            .namespace()
            .and_then(|uri| node.lookup_prefix(uri))
            .map(str::to_string);
        let name = match a.namespace() {
            None => a.name().to_string(),
            Some(uri) => match Namespace::from_uri(uri) {
                Some(n) if n.is_util() => format!("util:{}", a.name()),
                Some(_) => a.name().to_string(),
                // Reported by the parser, which knows the extension it belongs to.
                None => format!("{}:{}", prefix.as_deref().unwrap_or("?"), a.name()),
            },
        };
        attrs.push(Attribute {
            name,
            value: a.value().to_string(),
            ns_uri: a.namespace().map(str::to_string),
            prefix,
        });
    }
    let mut children = Vec::new();
    let mut text = String::new();
    for child in node.children() {
        if child.is_element() {
            children.push(convert(child, lines, pp)?);
        } else if child.is_text() {
            text.push_str(child.text().unwrap_or_default());
        } else if child.is_pi() {
            let pline = lines.line(child.range().start);
            let target = child.pi().map(|p| p.target).unwrap_or_default();
            return Err(WixError::new(
                pp.location(pline),
                format!("unknown processing instruction `<?{target}?>`"),
            ));
        }
    }
    Ok(Element {
        ns,
        name: tag.name().to_string(),
        attrs,
        children,
        text: text.trim().to_string(),
        loc,
        ns_uri: tag.namespace().unwrap_or_default().to_string(),
        prefix: tag
            .namespace()
            .and_then(|uri| node.lookup_prefix(uri))
            .filter(|p| !p.is_empty())
            .map(str::to_string),
    })
}
