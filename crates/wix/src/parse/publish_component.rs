//! `Category` under a `Component` (the PublishComponent table): a qualified component
//! category that `MsiProvideQualifiedComponent` resolves to this component.
//!
//! As WiX does (Compiler.cs `ParseCategoryElement`): `Id` (the category GUID) and `Qualifier`
//! are required; without `Feature` the row names the component's primary feature, which the
//! linker fills in ([`crate::advertise`]).

use super::{Attrs, Parser};
use crate::error::Result;
use crate::model::{Val, ADVERTISED_TARGET};
use crate::xml::Element;

pub(crate) fn category(p: &mut Parser, el: &Element, component: &str) -> Result<()> {
    let mut a = Attrs::new(el);
    let id = match a.guid("Id")? {
        Some(g) if g != "*" && !g.is_empty() => g,
        Some(_) => return Err(a.err("`Id` must be the category's GUID")),
        None => return Err(a.err("missing required attribute `Id`")),
    };
    let qualifier = a.req("Qualifier")?.to_string();
    let app_data = a.opt("AppData").map(str::to_string);
    let feature = a.id("Feature")?;
    a.finish()?;
    super::no_children(el)?;
    if let Some(f) = &feature {
        p.sec().reference("Feature", f.clone(), &el.loc);
    }
    p.sec().row(
        "PublishComponent",
        &el.loc,
        vec![
            id.into(),
            qualifier.into(),
            component.into(),
            Val::opt_str(app_data),
            feature
                .unwrap_or_else(|| ADVERTISED_TARGET.to_string())
                .into(),
        ],
    );
    Ok(())
}
