//! Properties and the streams a package carries: `Property` (its row, or just its symbol when
//! it has no value, with the searches that set it), `PropertyRef`-style references, and
//! `Binary`/`Icon` streams.

use super::{no_children, Attrs, Parser};
use crate::error::Result;
use crate::model::StreamDef;
use crate::xml::Element;

/// A reference element (`PropertyRef`, `CustomActionRef`, …) to a symbol of `table`.
pub(super) fn simple_ref(p: &mut Parser, el: &Element, table: &'static str) -> Result<()> {
    let mut a = Attrs::new(el);
    let id = a.req_id("Id")?;
    a.finish()?;
    no_children(el)?;
    p.sec().reference(table, id, &el.loc);
    Ok(())
}

pub(super) fn property(p: &mut Parser, el: &Element) -> Result<()> {
    let mut a = Attrs::new(el);
    let id = a.req_id("Id")?;
    let value = a.opt("Value").map(str::to_string);
    let mut secure = a.flag("Secure")?;
    let compliance_check = a.flag("ComplianceCheck")?;
    let admin = a.flag("Admin")?;
    let hidden = a.flag("Hidden")?;
    a.ignore(&["SuppressModularization"]);
    a.finish()?;
    let value = match value {
        Some(v) => Some(v),
        None if !el.text.is_empty() => Some(el.text.clone()),
        None => None,
    };
    // Compiler.cs AddProperty: `[X]` in a value is not expanded (only a custom action sets
    // a property from another); WiX warns for every such reference.
    if let Some(v) = value.as_deref() {
        let mut rest = v;
        while let Some(start) = rest.find('[') {
            let Some(len) = rest[start + 1..].find(']') else {
                break;
            };
            let inner = &rest[start + 1..start + 1 + len];
            if super::check_identifier(inner, "Value", &el.loc).is_ok() {
                p.warnings.push(crate::Warning {
                    location: el.loc.clone(),
                    message: format!(
                        "The '{id}' Property contains '[{inner}]' in its value which is an illegal reference to another property. If this value is a string literal, not a property reference, please ignore this warning. To set a property with the value of another property, use a CustomAction with Property and Value attributes."
                    ),
                });
            }
            rest = &rest[start + 1 + len + 1..];
        }
    }
    // Searches (RegistrySearch, DirectorySearch, ...) set the property at install time.
    let (_, search_secure) = super::search::property_searches(p, el, &id, compliance_check)?;
    secure |= search_secure;
    let sec = p.sec();
    if secure {
        sec.secure_properties.push(id.clone());
    }
    if hidden {
        sec.hidden_properties.push(id.clone());
    }
    if admin {
        sec.admin_properties.push(id.clone());
    }
    match value {
        Some(v) if !v.is_empty() => sec.row("Property", &el.loc, vec![id.into(), v.into()]),
        // A property without a value has no row, but still defines the property symbol
        // (WiX's PropertySymbol), so `PropertyRef` to it links its section in.
        _ => {
            let already = sec.rows.iter().any(|r| {
                r.table == "Property"
                    && r.values.first().and_then(|v| v.as_str()) == Some(id.as_str())
            }) || sec
                .groups
                .iter()
                .any(|g| g.table == "Property" && g.id == id);
            if !already {
                sec.groups.push(crate::model::Reference {
                    table: "Property",
                    id,
                    loc: el.loc.clone(),
                });
            }
        }
    }
    Ok(())
}

/// A `Binary` or `Icon` element: a stream of `table` read from its `SourceFile`.
pub(super) fn stream(p: &mut Parser, el: &Element, table: &'static str) -> Result<()> {
    let mut a = Attrs::new(el);
    let id = a.req_id("Id")?;
    let source = match (a.opt("SourceFile"), a.opt("src")) {
        (Some(s), _) | (None, Some(s)) if !s.is_empty() => s.to_string(),
        _ => return Err(a.err("missing required attribute `SourceFile`")),
    };
    a.ignore(&["SuppressModularization"]);
    a.finish()?;
    no_children(el)?;
    let path = p.source_path(&source);
    p.sec().streams.push(StreamDef {
        table,
        id,
        source: path,
        loc: el.loc.clone(),
    });
    Ok(())
}
