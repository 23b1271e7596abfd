//! Entry points of the coverage-guided fuzz targets in `sync-server/fuzz`
//! (`make fuzz`), kept in the crate so the regression tests run the very
//! same code on every saved input (`tests/fuzz_regressions.rs`). Each takes
//! arbitrary bytes and panics only if one of our own properties breaks; a
//! panic inside yrs counts as broken too (the fuzzer's panic hook aborts on
//! any panic, caught or not).
//!
//! - [`room_frame`]: the room channel's MessagePack decoding (and
//!   `peek_ref`), with a round-trip check on what decodes;
//! - [`yjs_bytes`]: our Yjs readers ([`crate::yjs_wire`]); whatever they
//!   accept, yrs must decode, and an accepted update must apply to an empty
//!   document at once, leaving nothing pending;
//! - [`board_write`]: a sequence of client updates through the whole board
//!   write path ([`BoardDoc::apply`]: check, apply, validate, correct), with
//!   the board's invariants checked after each and a reload at the end;
//! - [`picture_gif`]: our GIF metadata reader ([`crate::gif_metadata`]) on
//!   uploaded bytes: what it accepts, it keeps as it is when read again,
//!   and it never grows a picture by more than its trailer.

use jigsync_schema::{decode, encode, peek_ref, ClientMsg};
use yrs::updates::decoder::Decode;
use yrs::{Doc, ReadTxn, StateVector, Transact, Update};

use crate::board::doc::{BoardDoc, BoardError};
use crate::board::geometry::{self, in_bounds};
use crate::gif_metadata;
use crate::yjs_wire::{state_vector, sync_protocol, update};

/// The client id of the fuzzed board's own writes; seed updates build on it.
pub const BOARD_CLIENT_ID: u64 = 1;

pub fn room_frame(data: &[u8]) {
    let _ = peek_ref(data);
    if let Ok(msg) = decode::<ClientMsg>(data) {
        let bytes = encode(&msg);
        let again = decode::<ClientMsg>(&bytes).expect("what we encode decodes");
        assert_eq!(encode(&again), bytes, "decoding and encoding settle after one round");
    }
}

pub fn picture_gif(data: &[u8]) {
    if let Some(clean) = gif_metadata::strip(data) {
        assert!(clean.len() <= data.len() + 1, "stripping adds at most a trailer");
        assert_eq!(gif_metadata::strip(&clean).as_ref(), Some(&clean), "a stripped GIF has nothing left to strip");
    }
}

pub fn yjs_bytes(data: &[u8]) {
    if update::check(data, |_| 0).is_ok() {
        let update = Update::decode_v1(data).expect("an update our check accepts decodes in yrs");
        let doc = Doc::new();
        let mut txn = doc.transact_mut();
        txn.apply_update(update).expect("an update our check accepts applies");
        assert!(!txn.has_missing_updates(), "an update our check accepts leaves nothing pending");
    }
    if state_vector::check(data).is_ok() {
        StateVector::decode_v1(data).expect("a state vector our check accepts decodes in yrs");
    }
    if let Ok(messages) = sync_protocol::parse(data) {
        assert!(!messages.is_empty());
    }
}

/// The 3×3 board every `board_write` run starts from.
pub fn fuzz_board() -> (BoardDoc, Vec<u8>) {
    let meta = geometry::meta("/uploads/fuzz.png".into(), 3, 3, 300, 300, 7);
    let pieces = geometry::scatter(&meta, 7);
    BoardDoc::create_with_client_id(BOARD_CLIENT_ID, meta, pieces)
}

/// Splits `data` into updates, each prefixed by its length (u16, little
/// endian); a short tail is one last update.
pub fn split_updates(mut data: &[u8]) -> Vec<&[u8]> {
    let mut updates = Vec::new();
    while data.len() >= 2 {
        let len = usize::from(u16::from_le_bytes([data[0], data[1]])).min(data.len() - 2);
        updates.push(&data[2..2 + len]);
        data = &data[2 + len..];
    }
    if !data.is_empty() {
        updates.push(data);
    }
    updates
}

/// Joins updates in the format [`split_updates`] reads (for seeds).
pub fn join_updates(updates: &[Vec<u8>]) -> Vec<u8> {
    let mut data = Vec::new();
    for update in updates {
        let len = u16::try_from(update.len()).expect("seed updates are small");
        data.extend(len.to_le_bytes());
        data.extend(update);
    }
    data
}

pub fn board_write(data: &[u8]) {
    let (mut board, first) = fuzz_board();
    // What storage would hold: the log a reload rebuilds the board from.
    let mut log = vec![first];
    for update in split_updates(data) {
        match board.apply(update) {
            Ok(applied) => {
                // As if committed: the log grows and the mirror follows.
                if applied.changed || applied.correction.is_some() {
                    log.push(update.to_vec());
                    log.extend(applied.correction);
                }
                board.settle(applied.pieces);
            }
            Err(err @ BoardError::Panicked(_)) => panic!("yrs panicked on an update our check accepted: {err}"),
            Err(err) if err.needs_reload() => {
                board = BoardDoc::load(board.meta().clone(), log.iter().map(Vec::as_slice)).expect("the log reloads");
            }
            Err(_) => {}
        }
        assert!(!board.poisoned());
        assert!(board.pieces().iter().all(|p| in_bounds(board.meta(), p)), "the mirror holds only valid pieces");
    }
    let state = board.state().expect("a board encodes");
    let reloaded = BoardDoc::load(board.meta().clone(), [state.as_slice()]).expect("what a board encodes loads");
    assert_eq!(reloaded.pieces(), board.pieces(), "a reload gives the same pieces");
    let from_log = BoardDoc::load(board.meta().clone(), log.iter().map(Vec::as_slice)).expect("the log loads");
    assert_eq!(from_log.pieces(), board.pieces(), "the log rebuilds the same pieces");
    let sv = board.state_vector().expect("a board has a state vector");
    assert!(board.diff(&yrs::updates::encoder::Encode::encode_v1(&sv)).is_ok());
}
