//! Yjs awareness updates (cursors, names: who is looking at a board): a
//! count, then per client its id, a clock and its state as JSON (`null`
//! once it left). Read with our limits, and written when the server answers
//! an awareness query or clears the states of a client that disconnected.

use super::reader::Reader;
use super::{read_client, WireError, MAX_AWARENESS_ENTRIES};

const MESSAGE_AWARENESS: u8 = 1;

/// One client's awareness state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwarenessEntry {
    pub client: u64,
    pub clock: u32,
    /// JSON; `null` means the client is gone.
    pub state: String,
}

impl AwarenessEntry {
    pub fn is_gone(&self) -> bool {
        self.state == "null"
    }
}

/// Reads an awareness update (the payload of an awareness message).
pub fn parse(payload: &[u8]) -> Result<Vec<AwarenessEntry>, WireError> {
    let mut r = Reader::new(payload);
    let count = r.count(3)?;
    if count > MAX_AWARENESS_ENTRIES {
        return Err(WireError::TooMany);
    }
    let mut entries = Vec::with_capacity(count);
    for _ in 0..count {
        let client = read_client(&mut r)?;
        let clock = r.var_u32()?;
        let state = r.string(payload.len())?.to_owned();
        entries.push(AwarenessEntry { client, clock, state });
    }
    r.finish()?;
    Ok(entries)
}

/// A whole y-protocols awareness message carrying these entries.
pub fn message(entries: &[AwarenessEntry]) -> Vec<u8> {
    let mut payload = Vec::new();
    write_var(&mut payload, entries.len() as u64);
    for entry in entries {
        write_var(&mut payload, entry.client);
        write_var(&mut payload, u64::from(entry.clock));
        write_var(&mut payload, entry.state.len() as u64);
        payload.extend(entry.state.as_bytes());
    }
    let mut message = vec![MESSAGE_AWARENESS];
    write_var(&mut message, payload.len() as u64);
    message.extend(payload);
    message
}

fn write_var(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

#[cfg(test)]
mod tests {
    use yrs::sync::{Awareness, Message};
    use yrs::updates::decoder::Decode;
    use yrs::updates::encoder::Encode;
    use yrs::Doc;

    use super::*;

    #[test]
    fn reads_what_yrs_writes_and_writes_what_yrs_reads() {
        let mut awareness = Awareness::new(Doc::with_client_id(300));
        awareness.set_local_state_raw(r#"{"user":"민지"}"#);
        let update = awareness.update().unwrap();
        let Message::Awareness(_) = Message::decode_v1(&Message::Awareness(update.clone()).encode_v1()).unwrap() else {
            unreachable!()
        };
        let bytes = Message::Awareness(update).encode_v1();
        let entries = parse(&bytes[2..]).unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!((entries[0].client, entries[0].state.as_str()), (300, r#"{"user":"민지"}"#));
        let gone = AwarenessEntry { client: 300, clock: entries[0].clock + 1, state: "null".into() };
        let written = message(&[gone]);
        let Message::Awareness(update) = Message::decode_v1(&written).unwrap() else { panic!("an awareness message") };
        assert_eq!(update.clients.len(), 1);
    }

    #[test]
    fn refuses_more_entries_than_allowed_or_bytes_missing() {
        assert_eq!(parse(&[1, 3, 0, 9]), Err(WireError::Truncated));
        let mut many = vec![0x81, 0x02];
        many.extend(std::iter::repeat_n([1u8, 0, 0], 257).flatten());
        assert_eq!(parse(&many), Err(WireError::TooMany));
    }
}
