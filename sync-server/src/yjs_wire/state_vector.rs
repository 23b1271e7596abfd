//! The check every Yjs state vector from a client passes before yrs decodes
//! it (`sync` on the room channel, SyncStep1 on `/yjs`): a count of entries,
//! each a client id below 2^53 and a clock below 2^31, and nothing after.

use super::reader::Reader;
use super::{read_client, read_clock, WireError, MAX_STATE_VECTOR_ENTRIES};

pub fn check(bytes: &[u8]) -> Result<(), WireError> {
    let mut r = Reader::new(bytes);
    let entries = r.count(2)?;
    if entries > MAX_STATE_VECTOR_ENTRIES {
        return Err(WireError::TooMany);
    }
    for _ in 0..entries {
        read_client(&mut r)?;
        read_clock(&mut r)?;
    }
    r.finish()
}

#[cfg(test)]
mod tests {
    use yrs::updates::encoder::Encode;
    use yrs::{Doc, Map, ReadTxn, Transact};

    use super::*;

    #[test]
    fn real_state_vectors_pass_and_out_of_range_ones_do_not() {
        let doc = Doc::with_client_id((1 << 53) - 1);
        let map = doc.get_or_insert_map("pieces");
        map.insert(&mut doc.transact_mut(), "0", 1);
        let sv = doc.transact().state_vector().encode_v1();
        assert_eq!(check(&sv), Ok(()));
        assert_eq!(check(&[0]), Ok(()));
        let mut too_big = vec![1];
        too_big.extend([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10, 1]);
        assert_eq!(check(&too_big), Err(WireError::ClientId));
        assert_eq!(check(&[1, 5, 0x80, 0x80, 0x80, 0x80, 0x08]), Err(WireError::Clock));
        assert_eq!(check(&[1, 5]), Err(WireError::Truncated));
        assert_eq!(check(&[1, 5, 1, 0]), Err(WireError::Trailing));
        assert_eq!(check(&[]), Err(WireError::Truncated));
    }
}
