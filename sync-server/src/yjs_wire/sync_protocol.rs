//! The y-protocols framing stock Yjs websocket providers speak on `/yjs`,
//! read with our own bounds: one WebSocket message holds one or more
//! messages, each a varint type (0 sync, 1 awareness, 2 auth, 3 awareness
//! query) and its payload. State vectors and awareness payloads are checked
//! here; updates are checked against the board they write
//! ([`super::update::check`]), which needs the board's clocks.

use super::awareness::{self, AwarenessEntry};
use super::reader::Reader;
use super::{state_vector, WireError};

const MESSAGE_SYNC: u32 = 0;
const MESSAGE_AWARENESS: u32 = 1;
const MESSAGE_AUTH: u32 = 2;
const MESSAGE_QUERY_AWARENESS: u32 = 3;
const SYNC_STEP1: u32 = 0;
const SYNC_STEP2: u32 = 1;
const SYNC_UPDATE: u32 = 2;
const AUTH_PERMISSION_DENIED: u32 = 0;

/// One y-protocols message, borrowing from the WebSocket message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum YjsMessage<'a> {
    /// A state vector (checked).
    SyncStep1(&'a [u8]),
    /// An update answering our step 1 (not yet checked).
    SyncStep2(&'a [u8]),
    /// An update (not yet checked).
    Update(&'a [u8]),
    /// The whole awareness message, type byte included, to relay as it is,
    /// and the entries it holds (checked).
    Awareness(&'a [u8], Vec<AwarenessEntry>),
    /// A request for every awareness state the server knows of.
    AwarenessQuery,
    /// Auth: read, then ignored.
    Ignored,
}

pub fn parse(bytes: &[u8]) -> Result<Vec<YjsMessage<'_>>, WireError> {
    let mut r = Reader::new(bytes);
    let mut messages = Vec::new();
    while !r.is_empty() {
        let start = r.position();
        let message = match r.var_u32()? {
            MESSAGE_SYNC => match r.var_u32()? {
                SYNC_STEP1 => {
                    let sv = r.buf()?;
                    state_vector::check(sv)?;
                    YjsMessage::SyncStep1(sv)
                }
                SYNC_STEP2 => YjsMessage::SyncStep2(r.buf()?),
                SYNC_UPDATE => YjsMessage::Update(r.buf()?),
                _ => return Err(WireError::Framing),
            },
            MESSAGE_AWARENESS => {
                let entries = awareness::parse(r.buf()?)?;
                YjsMessage::Awareness(r.slice(start, r.position()), entries)
            }
            MESSAGE_AUTH => {
                if r.var_u32()? != AUTH_PERMISSION_DENIED {
                    return Err(WireError::Framing);
                }
                r.buf()?;
                YjsMessage::Ignored
            }
            MESSAGE_QUERY_AWARENESS => YjsMessage::AwarenessQuery,
            _ => return Err(WireError::Framing),
        };
        messages.push(message);
    }
    if messages.is_empty() {
        return Err(WireError::Truncated);
    }
    Ok(messages)
}

#[cfg(test)]
mod tests {
    use yrs::sync::{Awareness, AwarenessUpdate, Message, SyncMessage};
    use yrs::updates::encoder::Encode;
    use yrs::{Doc, StateVector};

    use super::*;

    #[test]
    fn reads_stacked_messages_as_yrs_writes_them() {
        let mut awareness = Awareness::new(Doc::with_client_id(3));
        awareness.set_local_state_raw(r#"{"user":"Ann"}"#);
        let update: AwarenessUpdate = awareness.update().unwrap();
        let aw_bytes = Message::Awareness(update).encode_v1();
        let mut bytes = Message::Sync(SyncMessage::SyncStep1(StateVector::default())).encode_v1();
        bytes.extend(Message::Sync(SyncMessage::Update(vec![0, 0])).encode_v1());
        bytes.extend(&aw_bytes);
        bytes.extend(Message::AwarenessQuery.encode_v1());
        let messages = parse(&bytes).unwrap();
        assert_eq!(messages[..2], [YjsMessage::SyncStep1(&[0]), YjsMessage::Update(&[0, 0])]);
        assert!(matches!(&messages[2], YjsMessage::Awareness(raw, entries) if *raw == aw_bytes && entries.len() == 1));
        assert_eq!(messages[3], YjsMessage::AwarenessQuery);
    }

    #[test]
    fn refuses_garbage_and_unknown_types() {
        assert_eq!(parse(&[]), Err(WireError::Truncated));
        assert_eq!(parse(&[0, 9]), Err(WireError::Framing));
        assert_eq!(parse(&[7]), Err(WireError::Framing));
        assert_eq!(parse(&[0, 0, 5, 1, 1]), Err(WireError::Truncated), "a step 1 longer than the message");
        // A step 1 whose state vector names client 2^53.
        let mut bad_sv = vec![0, 0, 10, 1];
        bad_sv.extend([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10, 0]);
        assert_eq!(parse(&bad_sv), Err(WireError::ClientId));
        assert_eq!(parse(&[1, 4, 1, 3, 0, 9]), Err(WireError::Truncated), "an awareness state cut short");
    }
}
