//! A TOML document as a tree that remembers where every key and value came from.
//!
//! `toml::Value` forgets positions and `toml::Spanned<T>` only works where the parser has a
//! span (implicit tables such as `package` in `[package.metadata.svcpack]` have none), so
//! this module deserializes into its own [`Node`] with an optional byte span per key and
//! value. Tables keep document order (a `Vec`, not a map), which makes "the first error"
//! well defined. Nothing here knows svcpack's keys.

use std::fmt;
use std::ops::Range;
use std::sync::OnceLock;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// A key of a table, with its span when the parser knows it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Key {
    pub name: String,
    pub span: Option<Range<usize>>,
}

/// A TOML value with its span (for tables from `[headers]`, the header's span).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Node {
    pub span: Option<Range<usize>>,
    pub kind: Kind,
}

/// The TOML value kinds. Datetimes are kept as text: svcpack has no datetime keys, so one
/// only ever needs to be named in a type error.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Kind {
    String(String),
    Integer(i64),
    Float(f64),
    Boolean(bool),
    Datetime(String),
    Array(Vec<Node>),
    Table(Vec<(Key, Node)>),
}

impl Kind {
    /// The kind as a user reads it in "expected a string, found an integer".
    pub fn describe(&self) -> &'static str {
        match self {
            Kind::String(_) => "a string",
            Kind::Integer(_) => "an integer",
            Kind::Float(_) => "a float",
            Kind::Boolean(_) => "a boolean",
            Kind::Datetime(_) => "a datetime",
            Kind::Array(_) => "an array",
            Kind::Table(_) => "a table",
        }
    }
}

impl Node {
    /// The entries if this is a table.
    pub fn entries(&self) -> Option<&[(Key, Node)]> {
        match &self.kind {
            Kind::Table(entries) => Some(entries),
            _ => None,
        }
    }

    /// The value of `key` if this is a table holding it.
    pub fn get(&self, key: &str) -> Option<(&Key, &Node)> {
        self.entries()?
            .iter()
            .find(|(k, _)| k.name == key)
            .map(|(k, v)| (k, v))
    }
}

/// A syntax error from the TOML parser: its one-line message and where it is.
#[derive(Debug)]
pub(crate) struct SyntaxError {
    pub message: String,
    pub span: Option<Range<usize>>,
}

/// Parses a whole TOML document.
pub(crate) fn parse(text: &str) -> Result<Node, SyntaxError> {
    toml::from_str::<Node>(text).map_err(|e| SyntaxError {
        // The parser's message can span lines (it draws a caret under the source); keep
        // only its words so every diagnostic stays on one line.
        message: one_line(e.message()),
        span: e.span(),
    })
}

/// Joins the lines of a multi-line message with "; ".
pub(crate) fn one_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

/// The 1-based line holding byte `offset` of `text`.
pub(crate) fn line_of(text: &str, offset: usize) -> u32 {
    // Counting bytes, not chars: a span need not fall on a char boundary to be counted.
    let end = offset.min(text.len());
    let newlines = text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count();
    u32::try_from(newlines + 1).unwrap_or(u32::MAX)
}

// ---------------------------------------------------------------------------------------
// Deserialization.
//
// The toml deserializer hands out a span when a type asks for the `Spanned` struct through
// `deserialize_struct(NAME, [START, END, VALUE])`, and falls back to `deserialize_any` when it
// has none. We ask for that struct for every key and value and accept both answers. The
// magic names are read from `toml::Spanned`'s own `Deserialize` impl at run time (see
// `Protocol`), not copied, so they stay right across toml versions.
// ---------------------------------------------------------------------------------------

/// The struct names and field names toml uses to pass spans and datetimes through serde.
struct Protocol {
    spanned_name: &'static str,
    spanned_fields: &'static [&'static str],
    datetime_field: &'static str,
}

fn protocol() -> &'static Protocol {
    static PROTOCOL: OnceLock<Protocol> = OnceLock::new();
    PROTOCOL.get_or_init(|| {
        let spanned = probe::<toml::Spanned<de::IgnoredAny>>();
        let datetime = probe::<toml::value::Datetime>();
        Protocol {
            spanned_name: spanned.0,
            spanned_fields: spanned.1,
            datetime_field: datetime.1.first().copied().unwrap_or(""),
        }
    })
}

fn probe<'de, T: Deserialize<'de>>() -> (&'static str, &'static [&'static str]) {
    let mut seen = ("", &[][..]);
    let _ = T::deserialize(Probe(&mut seen));
    seen
}

/// A deserializer that only records what struct it is asked for.
struct Probe<'a>(&'a mut (&'static str, &'static [&'static str]));

impl<'de> Deserializer<'de> for Probe<'_> {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("probe"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Self::Error> {
        *self.0 = (name, fields);
        Err(de::Error::custom("probe"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let p = protocol();
        d.deserialize_struct(p.spanned_name, p.spanned_fields, NodeVisitor)
    }
}

/// The value inside a `Spanned` wrapper: asking for `Spanned` again would recurse.
struct Bare(Node);

impl<'de> Deserialize<'de> for Bare {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor).map(Bare)
    }
}

struct NodeVisitor;

fn bare(kind: Kind) -> Node {
    Node { span: None, kind }
}

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a TOML value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Node, E> {
        Ok(bare(Kind::Boolean(v)))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Node, E> {
        Ok(bare(Kind::Integer(v)))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Node, E> {
        match i64::try_from(v) {
            Ok(v) => Ok(bare(Kind::Integer(v))),
            Err(_) => Ok(bare(Kind::Float(v as f64))),
        }
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Node, E> {
        Ok(bare(Kind::Float(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Node, E> {
        Ok(bare(Kind::String(v.to_string())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Node, E> {
        Ok(bare(Kind::String(v)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(bare(Kind::Array(items)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let p = protocol();
        let Some(first) = map.next_key::<Key>()? else {
            return Ok(bare(Kind::Table(Vec::new())));
        };
        if p.spanned_fields.first() == Some(&first.name.as_str()) {
            return read_spanned(map).map(|(span, Bare(node))| Node {
                span: Some(span),
                kind: node.kind,
            });
        }
        if !p.datetime_field.is_empty() && first.name == p.datetime_field {
            let text: String = map.next_value()?;
            return Ok(bare(Kind::Datetime(text)));
        }
        let mut entries = vec![(first, map.next_value::<Node>()?)];
        while let Some(key) = map.next_key::<Key>()? {
            let value = map.next_value::<Node>()?;
            entries.push((key, value));
        }
        Ok(bare(Kind::Table(entries)))
    }
}

/// Reads the rest of a `Spanned` map after its first (start) key.
fn read_spanned<'de, A: MapAccess<'de>, T: Deserialize<'de>>(
    mut map: A,
) -> Result<(Range<usize>, T), A::Error> {
    let start: usize = map.next_value()?;
    let mut end = start;
    let mut value = None;
    while let Some(field) = map.next_key::<String>()? {
        if protocol().spanned_fields.get(1) == Some(&field.as_str()) {
            end = map.next_value()?;
        } else {
            value = Some(map.next_value::<T>()?);
        }
    }
    let value = value.ok_or_else(|| de::Error::custom("spanned value without a value"))?;
    Ok((start..end, value))
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let p = protocol();
        d.deserialize_struct(p.spanned_name, p.spanned_fields, KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a TOML key")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
        Ok(Key {
            name: v.to_string(),
            span: None,
        })
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Key, E> {
        Ok(Key {
            name: v,
            span: None,
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Key, A::Error> {
        match map.next_key::<String>()? {
            Some(first) if protocol().spanned_fields.first() == Some(&first.as_str()) => {
                let (span, name) = read_spanned::<A, String>(map)?;
                Ok(Key {
                    name,
                    span: Some(span),
                })
            }
            _ => Err(de::Error::custom("a key must be a string")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str, span: &Option<Range<usize>>) -> u32 {
        line_of(text, span.clone().expect("span").start)
    }

    #[test]
    fn protocol_is_discovered() {
        let p = protocol();
        assert!(!p.spanned_name.is_empty());
        assert_eq!(p.spanned_fields.len(), 3);
        assert!(!p.datetime_field.is_empty());
    }

    #[test]
    fn keys_and_values_have_lines() {
        let text = "a = 1\n\n[package.metadata.svcpack.service]\nname = \"X\"\nlist = [\n  \"one\",\n  \"two\",\n]\nwhen = 1979-05-27\n";
        let root = parse(text).unwrap();
        let (k, v) = root.get("a").unwrap();
        assert_eq!(line(text, &k.span), 1);
        assert_eq!(v.kind, Kind::Integer(1));
        let service = root
            .get("package")
            .and_then(|(_, n)| n.get("metadata"))
            .and_then(|(_, n)| n.get("svcpack"))
            .and_then(|(_, n)| n.get("service"))
            .unwrap();
        assert_eq!(line(text, &service.1.span), 3);
        let (k, v) = service.1.get("name").unwrap();
        assert_eq!(line(text, &k.span), 4);
        assert_eq!(v.kind, Kind::String("X".into()));
        let (_, list) = service.1.get("list").unwrap();
        let Kind::Array(items) = &list.kind else {
            panic!("array")
        };
        assert_eq!(line(text, &items[1].span), 7);
        let (_, when) = service.1.get("when").unwrap();
        assert!(matches!(when.kind, Kind::Datetime(_)));
    }

    #[test]
    fn document_order_is_kept() {
        let root = parse("z = 1\na = 2\nm = 3\n").unwrap();
        let names: Vec<_> = root
            .entries()
            .unwrap()
            .iter()
            .map(|(k, _)| k.name.as_str())
            .collect();
        assert_eq!(names, ["z", "a", "m"]);
    }

    #[test]
    fn dotted_keys_inline_tables_and_arrays_of_tables() {
        let text = "x.y = \"v\"\nt = { a = 1 }\n[[f]]\ns = 1\n[[f]]\ns = 2\n";
        let root = parse(text).unwrap();
        let (_, x) = root.get("x").unwrap();
        let (k, _) = x.get("y").unwrap();
        assert_eq!(line(text, &k.span), 1);
        let (_, f) = root.get("f").unwrap();
        let Kind::Array(tables) = &f.kind else {
            panic!("array of tables")
        };
        assert_eq!(tables.len(), 2);
        let (k, _) = tables[1].get("s").unwrap();
        assert_eq!(line(text, &k.span), 6);
    }

    #[test]
    fn syntax_errors_carry_a_span() {
        let text = "a = 1\nb = = 2\n";
        let err = parse(text).unwrap_err();
        assert_eq!(line_of(text, err.span.unwrap().start), 2);
        assert!(!err.message.contains('\n'));
        let dup = parse("a = 1\na = 2\n").unwrap_err();
        assert!(dup.message.contains("duplicate"), "{}", dup.message);
    }

    #[test]
    fn line_of_handles_odd_offsets() {
        assert_eq!(line_of("", 10), 1);
        assert_eq!(line_of("a\nb", 2), 2);
        assert_eq!(line_of("é\nx", 1), 1); // inside a char
    }
}
