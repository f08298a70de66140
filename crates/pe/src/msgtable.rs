//! RT_MESSAGETABLE: the message resource an Application event source's
//! `EventMessageFile` points at, so Event Viewer (FormatMessageW with
//! FORMAT_MESSAGE_FROM_HMODULE) shows an event's text instead of "The description for
//! Event ID N cannot be found".
//!
//! Layout (MESSAGE_RESOURCE_DATA, winnt.h): a block count, blocks of `(LowId, HighId,
//! OffsetToEntries)`, and per id an entry `(Length: u16, Flags: u16, Text)`, where Flags
//! 1 means UTF-16LE text and Length counts the 4-byte header, the NUL-terminated text and
//! padding to a multiple of 4.
//! https://learn.microsoft.com/windows/win32/api/winnt/ns-winnt-message_resource_data

use super::PeError;

/// The resource type id of message tables.
pub(crate) const RT_MESSAGETABLE: u32 = 11;

/// MESSAGE_RESOURCE_UNICODE.
const UNICODE: u16 = 1;

/// A message table with one block holding `texts[n]` as message id `n`.
pub fn message_table(texts: &[&str]) -> Result<Vec<u8>, PeError> {
    if texts.is_empty() {
        return Err(PeError::Unsupported(
            "a message table needs messages".into(),
        ));
    }
    let too_long = || PeError::Unsupported("a message is longer than 65531 bytes".into());
    let high = u32::try_from(texts.len() - 1)
        .map_err(|_| PeError::Unsupported("too many messages".into()))?;
    let mut out = Vec::new();
    out.extend_from_slice(&1u32.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&high.to_le_bytes());
    // Entries start right after the count and the one block.
    out.extend_from_slice(&16u32.to_le_bytes());
    for text in texts {
        let mut body: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        body.extend_from_slice(&[0, 0]);
        while (body.len() + 4) % 4 != 0 {
            body.push(0);
        }
        let len = u16::try_from(body.len() + 4).map_err(|_| too_long())?;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&UNICODE.to_le_bytes());
        out.extend_from_slice(&body);
    }
    Ok(out)
}

/// The messages svcpack gives an event source: ids `0..count`, each `%1`, so an event
/// reported with one string (as svcpack's service host and most programs do) shows that
/// string, whatever its id in that range.
pub fn pass_through_messages(count: u32) -> Result<Vec<u8>, PeError> {
    let texts = vec!["%1"; count as usize];
    message_table(&texts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_matches_message_resource_data() {
        let t = message_table(&["%1", "abc"]).unwrap();
        // Count, block (0..=1 at offset 16).
        assert_eq!(&t[..16], &[1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 16, 0, 0, 0]);
        // "%1\0" is 6 bytes + 4 header = 10, padded to 12.
        assert_eq!(&t[16..28], &[12, 0, 1, 0, b'%', 0, b'1', 0, 0, 0, 0, 0]);
        // "abc\0" is 8 bytes + 4 = 12, no padding.
        assert_eq!(&t[28..40], &[12, 0, 1, 0, b'a', 0, b'b', 0, b'c', 0, 0, 0]);
        assert_eq!(t.len(), 40);
        assert!(message_table(&[]).is_err());
        assert_eq!(pass_through_messages(3).unwrap().len(), 16 + 3 * 12);
    }
}
