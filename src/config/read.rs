//! Typed access to the tree: "expected a string, found an integer" and range checks, each
//! fault carrying the key path and the span of the offending value.

use std::ops::Range;

use super::error::{Fault, FaultResult};
use super::tree::{Key, Kind, Node};

/// Appends `key` to a dotted key path, quoting it when TOML would (`environment."MY VAR"`).
pub(crate) fn join(path: &str, key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    let key = if bare {
        key.to_string()
    } else {
        format!("{key:?}")
    };
    if path.is_empty() {
        key
    } else {
        format!("{path}.{key}")
    }
}

/// A table in the tree and its key path.
#[derive(Clone)]
pub(crate) struct Table<'a> {
    pub path: String,
    pub node: &'a Node,
}

impl<'a> Table<'a> {
    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<Item<'a>> {
        let (k, v) = self.node.get(key)?;
        Some(Item {
            path: join(&self.path, key),
            key: Some(k),
            node: v,
        })
    }

    /// A fault about a key that is missing or derived from elsewhere, placed at the table.
    pub fn fault(&self, key: &str, message: impl Into<String>) -> Fault {
        Fault::new(self.node.span.clone(), join(&self.path, key), message)
    }

    /// The entries, in document order.
    pub fn entries(&self) -> &'a [(Key, Node)] {
        self.node.entries().unwrap_or(&[])
    }
}

/// A value in the tree with its key path.
pub(crate) struct Item<'a> {
    pub path: String,
    pub key: Option<&'a Key>,
    pub node: &'a Node,
}

impl<'a> Item<'a> {
    /// Where to point: the value, else its key.
    pub fn span(&self) -> Option<Range<usize>> {
        self.node
            .span
            .clone()
            .or_else(|| self.key.and_then(|k| k.span.clone()))
    }

    pub fn fault(&self, message: impl Into<String>) -> Fault {
        Fault::new(self.span(), self.path.clone(), message)
    }

    fn expected(&self, what: &str) -> Fault {
        self.fault(format!(
            "expected {what}, found {}",
            self.node.kind.describe()
        ))
    }

    /// A string; NUL is refused everywhere because no Windows API can carry it.
    pub fn string(&self) -> FaultResult<&'a str> {
        match &self.node.kind {
            Kind::String(s) if s.contains('\0') => {
                Err(self.fault("must not contain a NUL character"))
            }
            Kind::String(s) => Ok(s),
            _ => Err(self.expected("a string")),
        }
    }

    /// A non-empty single-line string (names, titles).
    pub fn text(&self) -> FaultResult<String> {
        let s = self.string()?;
        if s.trim().is_empty() {
            return Err(self.fault("must not be empty; allowed: one line of text"));
        }
        if s.chars().any(char::is_control) {
            return Err(self.fault("must be a single line without control characters"));
        }
        Ok(s.to_string())
    }

    pub fn boolean(&self) -> FaultResult<bool> {
        match self.node.kind {
            Kind::Boolean(b) => Ok(b),
            _ => Err(self.expected("a boolean (true or false)")),
        }
    }

    /// An integer in `min..=max`; the message states the range.
    pub fn integer(&self, min: i64, max: i64) -> FaultResult<i64> {
        let Kind::Integer(n) = self.node.kind else {
            return Err(self.expected(&format!("an integer from {min} to {max}")));
        };
        if n < min || n > max {
            let allowed = if min == 1 && max >= i64::from(u32::MAX) {
                "must be a positive whole number (1 or more)".to_string()
            } else if min == 0 && max >= i64::from(u32::MAX) {
                format!("must be a whole number from 0 to {max}")
            } else {
                format!("must be from {min} to {max}")
            };
            return Err(self.fault(format!("{n} is out of range: {allowed}")));
        }
        Ok(n)
    }

    /// An integer in `min..=u32::MAX`.
    pub fn u32_from(&self, min: u32) -> FaultResult<u32> {
        let n = self.integer(i64::from(min), i64::from(u32::MAX))?;
        // In range by the check above; the fallback is unreachable but keeps this panic-free.
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    /// The elements of an array, each with its indexed path (`actions[1]`).
    pub fn array(&self) -> FaultResult<Vec<Item<'a>>> {
        let Kind::Array(items) = &self.node.kind else {
            return Err(self.expected("an array"));
        };
        Ok(items
            .iter()
            .enumerate()
            .map(|(i, node)| Item {
                path: format!("{}[{i}]", self.path),
                key: None,
                node,
            })
            .collect())
    }

    /// An array of strings.
    pub fn strings(&self) -> FaultResult<Vec<String>> {
        self.array()?
            .iter()
            .map(|item| item.string().map(str::to_string))
            .collect()
    }

    /// A table (`[header]`, dotted keys or inline).
    pub fn table(&self) -> FaultResult<Table<'a>> {
        match self.node.kind {
            Kind::Table(_) => Ok(Table {
                path: self.path.clone(),
                node: self.node,
            }),
            _ => Err(self.expected("a table")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tree::parse;

    #[test]
    fn join_quotes_odd_keys() {
        assert_eq!(join("", "a"), "a");
        assert_eq!(join("a.b", "c-d_e"), "a.b.c-d_e");
        assert_eq!(join("env", "MY VAR"), "env.\"MY VAR\"");
        assert_eq!(join("env", "ä"), "env.\"ä\"");
    }

    #[test]
    fn type_errors_name_both_types() {
        let root =
            parse("s = 1\nb = 'x'\nn = 'y'\na = 3\nt = 4\nz = \"\\u0000\"\nr = -1\n").unwrap();
        let t = Table {
            path: "p".into(),
            node: &root,
        };
        let msg =
            |k: &str, f: &dyn Fn(&Item) -> Result<(), Fault>| f(&t.get(k).unwrap()).unwrap_err();
        let f = msg("s", &|i| i.string().map(drop));
        assert_eq!(f.message, "expected a string, found an integer");
        assert_eq!(f.key.as_deref(), Some("p.s"));
        assert!(msg("b", &|i| i.boolean().map(drop))
            .message
            .contains("expected a boolean"));
        assert!(msg("n", &|i| i.integer(0, 5).map(drop))
            .message
            .contains("an integer from 0 to 5"));
        assert!(msg("a", &|i| i.array().map(drop))
            .message
            .contains("expected an array"));
        assert!(msg("t", &|i| i.table().map(drop))
            .message
            .contains("expected a table"));
        assert!(msg("z", &|i| i.string().map(drop)).message.contains("NUL"));
        let f = msg("r", &|i| i.u32_from(1).map(drop));
        assert!(
            f.message
                .contains("-1 is out of range: must be a positive whole number"),
            "{}",
            f.message
        );
        let f = msg("r", &|i| i.u32_from(0).map(drop));
        assert!(f.message.contains("from 0 to 4294967295"), "{}", f.message);
    }
}
