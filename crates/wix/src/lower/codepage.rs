//! The database codepage check: every string must be representable.

use super::grouped::Tables;
use crate::error::{Location, Result, WixError};
use crate::model::Val;

/// Every string must fit the database codepage; a character that does not is an error at
/// the element it came from (WiX does the same), never a silent `?`.
pub(super) fn check_codepage(tables: &Tables, codepage: i32) -> Result<()> {
    let Some(cp) = msi::CodePage::from_id(codepage) else {
        let loc = tables
            .values()
            .flatten()
            .next()
            .map(|r| r.1.clone())
            .unwrap_or_else(|| Location::file("<input>"));
        return Err(WixError::new(
            loc,
            format!("codepage {codepage} is not supported; use 1252 or 65001"),
        ));
    };
    for (name, rows) in tables {
        for (values, loc) in rows {
            for v in values {
                if let Val::Str(s) = v {
                    if !s.is_ascii() && cp.decode(&cp.encode(s)) != *s {
                        return Err(WixError::new(
                            loc.clone(),
                            format!(
                                "the {name} value `{s}` has characters that codepage {codepage} cannot hold; \
                                 set Codepage=\"65001\" on the Product/Package (UTF-8) or use another codepage"
                            ),
                        ));
                    }
                }
            }
        }
    }
    Ok(())
}
