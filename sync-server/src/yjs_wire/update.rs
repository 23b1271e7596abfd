//! The check every Yjs v1 update from a client passes before yrs decodes it.
//!
//! Layout of a v1 update: struct groups (per client: count, client id, first
//! clock, then the structs), then a delete set (per client: ranges of
//! clocks). The check walks it once, without allocating per declared count,
//! and refuses anything a puzzle board cannot need:
//!
//! - limits: client ids below 2^53, clocks and range ends below 2^31, at most
//!   [`MAX_CLIENTS`] groups, [`MAX_STRUCTS`] structs, [`MAX_DELETE_RANGES`]
//!   ranges, no trailing bytes;
//! - shapes: structs are map entries (GC and deleted content included) with
//!   a key; content is either deleted or one value, and a value is a number,
//!   a string of at most [`MAX_STRING_BYTES`] bytes, or a piece: exactly the
//!   numeric fields `x`, `y`, `r`, `z`, `g` (so values nest two levels at
//!   most); a struct naming its parent names `meta` or `pieces`, never a
//!   nested type (boards have none);
//! - causality: a client's structs start no later than the board's clock for
//!   that client, every origin and every deleted range refers to something
//!   the board or the update itself has, and an item refers only to earlier
//!   clocks of its own client. Skip structs (holes) are refused. So yrs never
//!   has to park part of an update as pending, which is where the crafted
//!   sequences that panic its block store live.
//!
//! What the values mean (finite, on the board, which keys) is checked after
//! applying, by the board document itself.

use std::collections::{HashMap, HashSet};

use super::reader::Reader;
use super::{read_client, read_clock, WireError};
use super::{MAX_CLIENTS, MAX_CLOCK, MAX_DELETE_RANGES, MAX_KEY_BYTES, MAX_STRING_BYTES, MAX_STRUCTS};

/// The two root maps of a board document.
pub const BOARD_ROOTS: [&str; 2] = ["meta", "pieces"];
/// The fields of a piece value, each a number.
pub const PIECE_FIELDS: [&str; 5] = ["x", "y", "r", "z", "g"];

const INFO_GC: u8 = 0;
const INFO_SKIP: u8 = 10;
const CONTENT_DELETED: u8 = 1;
const CONTENT_ANY: u8 = 8;
const HAS_LEFT_ORIGIN: u8 = 0x80;
const HAS_RIGHT_ORIGIN: u8 = 0x40;
const HAS_PARENT_SUB: u8 = 0x20;
const CONTENT_REF: u8 = 0x1f;

const ANY_INTEGER: u8 = 125;
const ANY_FLOAT32: u8 = 124;
const ANY_FLOAT64: u8 = 123;
const ANY_STRING: u8 = 119;
const ANY_OBJECT: u8 = 118;

/// What a checked update holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Summary {
    pub structs: usize,
    pub delete_ranges: usize,
}

/// A reference from an item to another struct, checked once the update's
/// own clock ranges are known.
struct Ref {
    from: (u64, u32),
    to: (u64, u32),
}

/// Checks `bytes` as an update to a board whose next clock per client is
/// `known(client)` (0 for clients it has never seen).
pub fn check(bytes: &[u8], known: impl Fn(u64) -> u32) -> Result<Summary, WireError> {
    let mut r = Reader::new(bytes);
    let mut summary = Summary::default();
    // Per client of this update: the end of its clocks.
    let mut groups: HashMap<u64, u32> = HashMap::new();
    let mut refs: Vec<Ref> = Vec::new();

    let group_count = r.count(3)?;
    if group_count > MAX_CLIENTS {
        return Err(WireError::TooMany);
    }
    for _ in 0..group_count {
        let structs = r.count(2)?;
        let client = read_client(&mut r)?;
        let start = read_clock(&mut r)?;
        if groups.contains_key(&client) {
            return Err(WireError::DuplicateClient);
        }
        if start > known(client) {
            return Err(WireError::Missing);
        }
        summary.structs += structs;
        if summary.structs > MAX_STRUCTS {
            return Err(WireError::TooMany);
        }
        let mut clock = start;
        for _ in 0..structs {
            let len = read_struct(&mut r, (client, clock), &mut refs)?;
            clock = clock.checked_add(len).filter(|end| *end <= MAX_CLOCK).ok_or(WireError::Clock)?;
        }
        groups.insert(client, clock);
    }
    // Everything the board will have once the structs are in: per client,
    // clocks below this are known.
    let known_after = |client: u64| known(client).max(groups.get(&client).copied().unwrap_or(0));
    for Ref { from, to } in &refs {
        let earlier_own = to.0 != from.0 || to.1 < from.1;
        if !earlier_own || to.1 >= known_after(to.0) {
            return Err(WireError::Missing);
        }
    }

    let ds_clients = r.count(2)?;
    if ds_clients > MAX_CLIENTS {
        return Err(WireError::TooMany);
    }
    let mut seen: HashSet<u64> = HashSet::new();
    for _ in 0..ds_clients {
        let client = read_client(&mut r)?;
        if !seen.insert(client) {
            return Err(WireError::DuplicateClient);
        }
        let ranges = r.count(2)?;
        summary.delete_ranges += ranges;
        if summary.delete_ranges > MAX_DELETE_RANGES {
            return Err(WireError::TooMany);
        }
        let limit = known_after(client);
        for _ in 0..ranges {
            let clock = read_clock(&mut r)?;
            let len = read_len(&mut r)?;
            let end = clock.checked_add(len).filter(|end| *end <= MAX_CLOCK).ok_or(WireError::Clock)?;
            if end > limit {
                return Err(WireError::Missing);
            }
        }
    }
    r.finish()?;
    Ok(summary)
}

/// A struct's length in clock ticks: at least 1, below 2^31.
fn read_len(r: &mut Reader<'_>) -> Result<u32, WireError> {
    match read_clock(r)? {
        0 => Err(WireError::Empty),
        len => Ok(len),
    }
}

/// Reads one struct created at `id`; returns its length.
fn read_struct(r: &mut Reader<'_>, id: (u64, u32), refs: &mut Vec<Ref>) -> Result<u32, WireError> {
    let info = r.u8()?;
    match info {
        INFO_GC => return read_len(r),
        INFO_SKIP => return Err(WireError::Missing),
        _ => {}
    }
    for flag in [HAS_LEFT_ORIGIN, HAS_RIGHT_ORIGIN] {
        if info & flag != 0 {
            let to = (read_client(r)?, read_clock(r)?);
            refs.push(Ref { from: id, to });
        }
    }
    if info & HAS_PARENT_SUB == 0 {
        // A list element: boards are maps only.
        return Err(WireError::Parent);
    }
    if info & (HAS_LEFT_ORIGIN | HAS_RIGHT_ORIGIN) == 0 {
        // With no origin the parent is written out: a root map by name (1),
        // or a nested type by id (0), which boards do not have.
        if r.var_u32()? != 1 {
            return Err(WireError::Parent);
        }
        if !BOARD_ROOTS.contains(&r.string(MAX_KEY_BYTES)?) {
            return Err(WireError::Parent);
        }
        r.string(MAX_KEY_BYTES)?;
    }
    match info & CONTENT_REF {
        CONTENT_DELETED => read_len(r),
        CONTENT_ANY => {
            // A map entry holds exactly one value.
            if r.var_u32()? != 1 {
                return Err(WireError::Value);
            }
            read_value(r)?;
            Ok(1)
        }
        _ => Err(WireError::Content),
    }
}

fn read_value(r: &mut Reader<'_>) -> Result<(), WireError> {
    match r.u8()? {
        ANY_STRING => r.string(MAX_STRING_BYTES).map(drop),
        ANY_OBJECT => read_piece(r),
        tag => read_number(r, tag),
    }
}

fn read_number(r: &mut Reader<'_>, tag: u8) -> Result<(), WireError> {
    match tag {
        ANY_INTEGER => r.var_int().map(drop),
        ANY_FLOAT32 => r.take(4).map(drop),
        ANY_FLOAT64 => r.take(8).map(drop),
        _ => Err(WireError::Value),
    }
}

/// Exactly the five piece fields, each once, each a number.
fn read_piece(r: &mut Reader<'_>) -> Result<(), WireError> {
    if r.var_u32()? as usize != PIECE_FIELDS.len() {
        return Err(WireError::Value);
    }
    let mut seen = [false; PIECE_FIELDS.len()];
    for _ in 0..PIECE_FIELDS.len() {
        let key = r.string(MAX_KEY_BYTES)?;
        let i = PIECE_FIELDS.iter().position(|f| *f == key).ok_or(WireError::Value)?;
        if std::mem::replace(&mut seen[i], true) {
            return Err(WireError::Value);
        }
        let tag = r.u8()?;
        read_number(r, tag)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Arc;

    use yrs::updates::decoder::Decode;
    use yrs::{Any, Doc, Map, ReadTxn, Transact, Update};

    use super::*;

    fn piece(x: f64, y: f64) -> Any {
        let fields: HashMap<String, Any> =
            PIECE_FIELDS.iter().zip([x, y, 0.0, 1.0, 2.0]).map(|(k, v)| ((*k).to_owned(), Any::from(v))).collect();
        Any::Map(Arc::new(fields))
    }

    fn nothing_known(_: u64) -> u32 {
        0
    }

    /// A board as the server creates it, and a replica of it at client 7.
    fn board_and_replica() -> (Doc, Doc) {
        let board = Doc::with_client_id(1);
        {
            let pieces = board.get_or_insert_map("pieces");
            let meta = board.get_or_insert_map("meta");
            let mut txn = board.transact_mut();
            meta.insert(&mut txn, "image", "/uploads/a.png");
            meta.insert(&mut txn, "rows", 2);
            for i in 0..4 {
                pieces.insert(&mut txn, i.to_string(), piece(10.0 * f64::from(i), 5.5));
            }
        }
        let replica = Doc::with_client_id(7);
        let state = board.transact().encode_state_as_update_v1(&Default::default());
        replica.transact_mut().apply_update(Update::decode_v1(&state).unwrap()).unwrap();
        (board, replica)
    }

    fn known_by(doc: &Doc) -> impl Fn(u64) -> u32 {
        let sv = doc.transact().state_vector();
        move |client| sv.get(&yrs::ClientID::new(client))
    }

    fn drop_on(replica: &Doc, key: &str, value: Any) -> Vec<u8> {
        let pieces = replica.get_or_insert_map("pieces");
        let mut txn = replica.transact_mut();
        pieces.insert(&mut txn, key, value);
        txn.encode_update_v1()
    }

    #[test]
    fn real_drops_and_whole_states_pass() {
        let (board, replica) = board_and_replica();
        let state = board.transact().encode_state_as_update_v1(&Default::default());
        assert_eq!(check(&state, nothing_known).map(|s| s.structs), Ok(6));
        let update = drop_on(&replica, "1", piece(120.25, 80.0));
        assert!(check(&update, known_by(&board)).is_ok());
        let again = drop_on(&replica, "1", piece(1.0, 2.0));
        assert!(check(&again, known_by(&board)).is_err(), "the first drop is not on the board yet");
        board.transact_mut().apply_update(Update::decode_v1(&update).unwrap()).unwrap();
        let summary = check(&again, known_by(&board)).unwrap();
        assert_eq!(summary, Summary { structs: 1, delete_ranges: 1 }, "overwriting deletes the old value");
        // The replica's whole state, deleted values included.
        let full = replica.transact().encode_state_as_update_v1(&Default::default());
        assert!(check(&full, nothing_known).is_ok());
    }

    #[test]
    fn values_boards_do_not_use_are_refused() {
        let mut padded: HashMap<String, Any> = PIECE_FIELDS.iter().map(|k| ((*k).to_owned(), Any::from(1.0))).collect();
        padded.insert("pad".into(), Any::from("x".repeat(100)));
        let cases = [
            Any::Map(Arc::new(padded)),
            Any::Map(Arc::new(HashMap::from([("x".to_owned(), Any::from(1.0))]))),
            Any::Array(vec![Any::from(1.0)].into()),
            Any::Bool(true),
            Any::Null,
        ];
        for value in cases {
            let (board, replica) = board_and_replica();
            let update = drop_on(&replica, "0", value.clone());
            assert_eq!(check(&update, known_by(&board)), Err(WireError::Value), "{value:?}");
        }
        let (board, replica) = board_and_replica();
        let long = drop_on(&replica, "0", Any::from("y".repeat(MAX_STRING_BYTES + 1)));
        assert_eq!(check(&long, known_by(&board)), Err(WireError::TextTooLong));
    }

    /// One write on a fresh replica of a fresh board (`edit` returns the
    /// update it made), and the check's verdict on it.
    fn write_on_replica(edit: impl FnOnce(&Doc) -> Vec<u8>) -> Result<Summary, WireError> {
        let (board, replica) = board_and_replica();
        check(&edit(&replica), known_by(&board))
    }

    fn map_insert(doc: &Doc, root: &str, key: &str, value: impl yrs::block::Prelim) -> Vec<u8> {
        let map = doc.get_or_insert_map(root);
        let mut txn = doc.transact_mut();
        map.insert(&mut txn, key, value);
        txn.encode_update_v1()
    }

    #[test]
    fn nested_types_and_other_roots_are_refused() {
        assert_eq!(write_on_replica(|doc| map_insert(doc, "scribbles", "k", 1)), Err(WireError::Parent));
        let nested = write_on_replica(|doc| map_insert(doc, "pieces", "9", yrs::MapPrelim::default()));
        assert_eq!(nested, Err(WireError::Content));
        let text = write_on_replica(|doc| map_insert(doc, "pieces", "9", yrs::TextPrelim::new("hi")));
        assert_eq!(text, Err(WireError::Content));
        let list = write_on_replica(|doc| {
            let array = doc.get_or_insert_array("pieces-list");
            let mut txn = doc.transact_mut();
            yrs::Array::push_back(&array, &mut txn, 1);
            txn.encode_update_v1()
        });
        assert_eq!(list, Err(WireError::Parent));
    }

    /// An update with one group of one struct: `pieces[key] = value bytes`.
    fn raw_update(client: u8, clock: u8, value: &[u8]) -> Vec<u8> {
        let mut bytes = vec![1, 1, client, clock, CONTENT_ANY | HAS_PARENT_SUB, 1, 6];
        bytes.extend(b"pieces");
        bytes.extend([1, b'0', 1]);
        bytes.extend(value);
        bytes.extend([0]);
        bytes
    }

    #[test]
    fn deep_nesting_is_refused_without_recursion() {
        let mut value = vec![117u8; 30_000];
        value.extend([1; 30_000]);
        assert_eq!(check(&raw_update(9, 0, &value), nothing_known), Err(WireError::Value));
        let plain = raw_update(9, 0, &[125, 5]);
        assert_eq!(check(&plain, nothing_known), Ok(Summary { structs: 1, delete_ranges: 0 }));
        assert!(Update::decode_v1(&plain).is_ok(), "the hand-built update is a real one");
    }

    #[test]
    fn limits_on_ids_clocks_and_counts() {
        let mut big_client = vec![1, 1];
        big_client.extend([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10]);
        big_client.extend([0, 0, 1, 0]);
        assert_eq!(check(&big_client, nothing_known), Err(WireError::ClientId));
        let high_clock = |clock: u32| {
            let mut bytes = vec![1, 1, 9];
            let mut c = clock;
            while c >= 0x80 {
                bytes.push((c as u8) | 0x80);
                c >>= 7;
            }
            bytes.push(c as u8);
            bytes.extend([INFO_GC, 1, 0]);
            bytes
        };
        assert_eq!(check(&high_clock(u32::MAX), |_| u32::MAX), Err(WireError::Clock));
        assert_eq!(check(&high_clock(MAX_CLOCK - 1), |_| MAX_CLOCK), Ok(Summary { structs: 1, delete_ranges: 0 }));
        assert_eq!(check(&high_clock(MAX_CLOCK), |_| MAX_CLOCK), Err(WireError::Clock));
        // Delete set: client 9, one range at clock 5, length 2^32 - 1.
        let overflow = [0, 1, 9, 1, 5, 0xff, 0xff, 0xff, 0xff, 0x0f];
        assert_eq!(check(&overflow, |_| 100), Err(WireError::Clock));
        assert_eq!(check(&[0, 1, 9, 1, 5, 2], |_| 100), Ok(Summary { structs: 0, delete_ranges: 1 }));
        assert_eq!(check(&[0, 1, 9, 1, 5, 2], |_| 6), Err(WireError::Missing), "deletes what is not there");
        assert_eq!(check(&[0xff, 0xff, 0xff, 0xff, 0x0f], nothing_known), Err(WireError::Truncated));
        assert_eq!(check(&[0, 0, 0], nothing_known), Err(WireError::Trailing));
    }

    #[test]
    fn gaps_holes_and_dangling_origins_are_refused() {
        // Client 9's first struct at clock 3 while the board has none of it.
        assert_eq!(check(&raw_update(9, 3, &[125, 5]), nothing_known), Err(WireError::Missing));
        assert!(check(&raw_update(9, 3, &[125, 5]), |_| 3).is_ok());
        // A skip struct.
        assert_eq!(check(&[1, 1, 9, 0, INFO_SKIP, 2, 0], nothing_known), Err(WireError::Missing));
        // An entry whose left origin (client 4, clock 2) the board lacks.
        let origin = [1, 1, 9, 0, CONTENT_ANY | HAS_PARENT_SUB | HAS_LEFT_ORIGIN, 4, 2, 1, 125, 1, 0];
        assert_eq!(check(&origin, |c| if c == 4 { 2 } else { 0 }), Err(WireError::Missing));
        assert!(check(&origin, |c| if c == 4 { 3 } else { 0 }).is_ok());
        // An entry referring to itself.
        let own = [1, 1, 9, 0, CONTENT_ANY | HAS_PARENT_SUB | HAS_LEFT_ORIGIN, 9, 0, 1, 125, 1, 0];
        assert_eq!(check(&own, nothing_known), Err(WireError::Missing));
        // The same client twice.
        let twice = [2, 1, 9, 0, INFO_GC, 1, 1, 9, 1, INFO_GC, 1, 0];
        assert_eq!(check(&twice, nothing_known), Err(WireError::DuplicateClient));
    }
}
