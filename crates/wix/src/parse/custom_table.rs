//! `CustomTable`, `CustomTableRef` and `EnsureTable`: authored table schemas, their rows,
//! and tables that must exist in the MSI even when empty.
//!
//! Attribute rules follow WiX (Compiler_CustomTable.cs `ParseCustomTableElement`,
//! `ParseColumnElement`, `ParseRowElement`; Compiler.cs `ParseEnsureTableElement`): a table
//! id of at most 31 characters, at least one primary-key column, `int` columns 2 or 4 bytes
//! wide, `binary` columns of category binary. A `CustomTable` without columns only adds
//! rows to a table defined elsewhere.

use super::{no_children, unexpected, Attrs, Parser};
use crate::custom_table::{
    category, Cell, ColumnType, CustomColumn, CustomRow, CustomTable, CATEGORIES,
};
use crate::error::{Result, WixError};
use crate::model::Reference;
use crate::xml::Element;

/// Longest custom table name WiX accepts (CoreErrors.CustomTableNameTooLong).
const MAX_TABLE_NAME: usize = 31;

const MODULARIZE: &[&str] = &[
    "column",
    "companionFile",
    "condition",
    "controlEventArgument",
    "controlText",
    "icon",
    "none",
    "property",
    "semicolonDelimited",
    "",
];

/// `CustomTable`: a definition (with `Column`s) and/or rows.
pub(crate) fn custom_table(p: &mut Parser, el: &Element) -> Result<()> {
    let mut a = Attrs::new(el);
    let id = a.req_id("Id")?;
    let unreal = a.flag("Unreal")?;
    if !p.v4() {
        a.ignore(&["BootstrapperApplicationData"]);
    }
    a.finish()?;
    if id.len() > MAX_TABLE_NAME {
        return Err(a.err(format!(
            "custom table name `{id}` is {} characters long; table names are limited to {MAX_TABLE_NAME}",
            id.len()
        )));
    }
    let mut columns: Vec<CustomColumn> = Vec::new();
    for child in &el.children {
        match (child.ns.is_util(), child.name.as_str()) {
            (false, "Column") => {
                let c = column(child)?;
                if columns.iter().any(|o| o.name == c.name) {
                    return Err(WixError::new(
                        child.loc.clone(),
                        format!("CustomTable `{id}`: column `{}` is defined twice", c.name),
                    ));
                }
                columns.push(c);
            }
            (false, "Row") => row(p, child, &id)?,
            _ => return Err(unexpected(el, child)),
        }
    }
    if columns.is_empty() {
        // Rows for a table defined elsewhere.
        p.sec().reference("CustomTable", id, &el.loc);
        return Ok(());
    }
    if !columns.iter().any(|c| c.primary_key) {
        return Err(a.err(format!(
            "CustomTable `{id}` has no primary key: mark at least one Column PrimaryKey=\"yes\""
        )));
    }
    let sec = p.sec();
    sec.groups.push(Reference {
        table: "CustomTable",
        id: id.clone(),
        loc: el.loc.clone(),
    });
    sec.custom.tables.push(CustomTable {
        id,
        unreal,
        columns,
        loc: el.loc.clone(),
    });
    Ok(())
}

/// `CustomTableRef`: links the table's definition in (and makes it exist), plus rows.
pub(crate) fn custom_table_ref(p: &mut Parser, el: &Element) -> Result<()> {
    let mut a = Attrs::new(el);
    let id = a.req_id("Id")?;
    a.finish()?;
    for child in &el.children {
        match (child.ns.is_util(), child.name.as_str()) {
            (false, "Row") => row(p, child, &id)?,
            _ => return Err(unexpected(el, child)),
        }
    }
    let sec = p.sec();
    sec.reference("CustomTable", id.clone(), &el.loc);
    sec.custom.ensured.push((id, el.loc.clone()));
    Ok(())
}

/// `EnsureTable`: the table exists in the MSI even without rows (a custom one is linked
/// in), and the standard actions its presence calls for are scheduled.
pub(crate) fn ensure_table(p: &mut Parser, el: &Element) -> Result<()> {
    let mut a = Attrs::new(el);
    let id = a.req_id("Id")?;
    a.finish()?;
    no_children(el)?;
    if crate::tables::schema(&id).is_none() {
        p.sec().reference("CustomTable", id.clone(), &el.loc);
    }
    p.sec().custom.ensured.push((id, el.loc.clone()));
    Ok(())
}

fn column(el: &Element) -> Result<CustomColumn> {
    let mut a = Attrs::new(el);
    let name = a.req_id("Id")?;
    let kind = match a.choice("Type", &["binary", "int", "string"])? {
        Some("binary") => ColumnType::Binary,
        Some("int") => ColumnType::Int,
        Some(_) => ColumnType::Str,
        None => return Err(a.err("missing required attribute `Type` (binary, int or string)")),
    };
    let mut category_value = match a.opt("Category") {
        None | Some("") => None,
        Some(c) => Some(category(c).ok_or_else(|| {
            a.err(format!(
                "attribute `Category` is `{c}`; allowed: {}",
                CATEGORIES.join(", ")
            ))
        })?),
    };
    a.ignore(&["Description"]);
    let key_column = a.int_range("KeyColumn", 1, 32)?;
    let key_table = a
        .opt("KeyTable")
        .filter(|t| !t.is_empty())
        .map(str::to_string);
    let localizable = a.flag("Localizable")?;
    let limit = (i32::MIN as i64 + 1, i32::MAX as i64);
    let max = a.int_range("MaxValue", limit.0, limit.1)?;
    let min = a.int_range("MinValue", limit.0, limit.1)?;
    // Modularization only matters for merge modules, which svcpack does not build.
    a.choice("Modularize", MODULARIZE)?;
    let nullable = a.flag("Nullable")?;
    let primary_key = a.flag("PrimaryKey")?;
    let set = a.opt("Set").filter(|s| !s.is_empty()).map(str::to_string);
    let width = a.int_range("Width", 0, i32::MAX as i64)?.unwrap_or(0) as usize;
    let unreal = a.flag("Unreal")?;
    a.finish()?;
    no_children(el)?;
    match kind {
        ColumnType::Int if width != 2 && width != 4 => {
            return Err(a.err(format!(
                "column `{name}`: an int column's `Width` must be 2 or 4 (bytes), not {width}"
            )))
        }
        ColumnType::Binary => match category_value {
            None => category_value = Some(msi::Category::Binary),
            Some(msi::Category::Binary) => {}
            Some(_) => {
                return Err(a.err(format!(
                    "column `{name}`: a binary column's `Category` must be binary"
                )))
            }
        },
        _ => {}
    }
    Ok(CustomColumn {
        name,
        kind,
        width,
        primary_key,
        nullable,
        localizable,
        unreal,
        category: category_value,
        min,
        max,
        key_table,
        key_column,
        set,
        loc: el.loc.clone(),
    })
}

/// One `Row`: its `Data` cells. Which column each names, and whether its value fits, is
/// checked when the table's definition is known (lowering).
fn row(p: &mut Parser, el: &Element, table: &str) -> Result<()> {
    Attrs::new(el).finish()?;
    let mut cells = Vec::new();
    for child in &el.children {
        if child.ns.is_util() || child.name != "Data" {
            return Err(unexpected(el, child));
        }
        let mut a = Attrs::new(child);
        let column = a.req("Column")?.to_string();
        let value = a.opt("Value").map(str::to_string);
        a.finish()?;
        no_children(child)?;
        // WiX v3 took the value from the element's text; v4 only from `Value`.
        let value = match value {
            Some(v) => v,
            None if !p.v4() => child.text.clone(),
            None if child.text.is_empty() => String::new(),
            None => return Err(a.err("Data: set the value with the `Value` attribute")),
        };
        let source = p.source_path(&value);
        cells.push(Cell {
            column,
            value,
            source,
            loc: child.loc.clone(),
        });
    }
    p.sec().custom.rows.push(CustomRow {
        table: table.to_string(),
        cells,
        loc: el.loc.clone(),
    });
    Ok(())
}
