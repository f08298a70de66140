//! `ShortcutProperty` (the MsiShortcutProperty table): a shell property key and value set on
//! a shortcut when it is created.
//!
//! As WiX does (Compiler_Package.cs `ParseShortcutPropertyElement`): `Key` and `Value` are
//! required, and without an `Id` the row's id is generated from the shortcut and the
//! upper-cased key.

use super::{Attrs, Parser};
use crate::error::Result;
use crate::xml::Element;

pub(crate) fn shortcut_property(p: &mut Parser, el: &Element, shortcut: &str) -> Result<()> {
    let mut a = Attrs::new(el);
    let id = a.id("Id")?;
    let key = a.req("Key")?.to_string();
    let value = a.req("Value")?.to_string();
    a.finish()?;
    super::no_children(el)?;
    let id = id.unwrap_or_else(|| p.gen_id("scp", &[Some(shortcut), Some(&key.to_uppercase())]));
    p.sec().row(
        "MsiShortcutProperty",
        &el.loc,
        vec![id.into(), shortcut.into(), key.into(), value.into()],
    );
    Ok(())
}
