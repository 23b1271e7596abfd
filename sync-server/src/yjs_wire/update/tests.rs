//! The update check against real yrs updates and hand-built hostile ones.

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
