//! Encoding and decoding of frames.

use serde::{de::DeserializeOwned, Serialize};

use crate::Ref;

#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("not a known MessagePack message: {0}")]
    Invalid(#[from] rmp_serde::decode::Error),
}

/// Encodes a message as MessagePack with fields as arrays.
pub fn encode<T: Serialize>(msg: &T) -> Vec<u8> {
    // Writing into a Vec cannot fail, and every type in this crate is
    // serializable without custom errors.
    rmp_serde::to_vec(msg).expect("protocol messages always encode")
}

pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, DecodeError> {
    Ok(rmp_serde::from_slice(bytes)?)
}

/// Reads the `ref` of a request that did not decode as a whole, so the error
/// answering it can still carry it: a one-entry map whose value is an array
/// starting with an unsigned integer. `mv` carries no ref (its first field
/// is the board).
pub fn peek_ref(mut bytes: &[u8]) -> Option<Ref> {
    let rd = &mut bytes;
    if rmp::decode::read_map_len(rd).ok()? != 1 {
        return None;
    }
    let key_len = rmp::decode::read_str_len(rd).ok()? as usize;
    if rd.get(..key_len)? == b"mv" {
        return None;
    }
    *rd = rd.get(key_len..)?;
    if rmp::decode::read_array_len(rd).ok()? == 0 {
        return None;
    }
    rmp::decode::read_int(rd).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ClientMsg;

    #[test]
    fn peek_ref_reads_the_ref_of_a_message_with_bad_fields() {
        // {"chat": [42, 7]}: text should be a string.
        let bytes = [0x81, 0xa4, b'c', b'h', b'a', b't', 0x92, 42, 7];
        assert!(decode::<ClientMsg>(&bytes).is_err());
        assert_eq!(peek_ref(&bytes), Some(42));
    }

    #[test]
    fn peek_ref_gives_up_on_garbage() {
        assert_eq!(peek_ref(&[0xc1, 0x00]), None);
        assert_eq!(peek_ref(&[]), None);
        // {"chat": [nil]}
        assert_eq!(peek_ref(&[0x81, 0xa4, b'c', b'h', b'a', b't', 0x91, 0xc0]), None);
        // key length runs past the end
        assert_eq!(peek_ref(&[0x81, 0xbf, b'c']), None);
        // {"mv": [3, 17, "x"]}: the 3 is a board, not a ref
        assert_eq!(peek_ref(&[0x81, 0xa2, b'm', b'v', 0x93, 3, 17, 0xa1, b'x']), None);
    }

    #[test]
    fn round_trips_a_request() {
        let msg = ClientMsg::Chat { r#ref: Some(3), text: "hello".into(), upload: None };
        assert_eq!(decode::<ClientMsg>(&encode(&msg)).unwrap(), msg);
    }
}
