//! Every saved input of the fuzz targets (`sync-server/fuzz`), run through
//! the same entry points the targets call: the seed corpus (real client
//! writes and the crafted updates that crash yrs) and any input a fuzzing
//! run found to crash, kept in `fuzz/regressions/<target>/`. A plain test
//! run checks them all; no fuzzer needed.
//!
//! `UPDATE_FUZZ_SEEDS=1 cargo test -p jigsync-server --test fuzz_regressions`
//! writes the seed corpus anew.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::crafted::crafted_sequences;
use jigsync_schema::{encode, ClientMsg, Move};
use jigsync_server::fuzzing::{self, board_write, join_updates, picture_gif, room_frame, yjs_bytes};
use yrs::sync::{Message as YMessage, SyncMessage};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{Any, Doc, Map, ReadTxn, StateVector, Transact, Update};

/// A fuzz target's entry point.
type Target = fn(&[u8]);

const TARGETS: [(&str, Target); 4] =
    [("room_frame", room_frame), ("yjs_bytes", yjs_bytes), ("board_write", board_write), ("picture_gif", picture_gif)];

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

#[test]
fn every_saved_input_passes_its_target() {
    if std::env::var_os("UPDATE_FUZZ_SEEDS").is_some() {
        write_seeds();
    }
    for (target, run) in TARGETS {
        let mut count = 0;
        for kind in ["seeds", "regressions"] {
            let Ok(dir) = std::fs::read_dir(fuzz_dir().join(kind).join(target)) else {
                continue;
            };
            for entry in dir {
                let path = entry.expect("a directory entry").path();
                let data = std::fs::read(&path).expect("a saved input");
                let outcome = std::panic::catch_unwind(|| run(&data));
                assert!(outcome.is_ok(), "{target} fails on {}", path.display());
                count += 1;
            }
        }
        assert!(count > 0, "no saved inputs for {target}");
    }
}

/// A client replica of the fuzzed board.
struct Replica {
    doc: Doc,
}

impl Replica {
    fn new(client_id: u64) -> Replica {
        let doc = Doc::with_client_id(client_id);
        let state = fuzzing::fuzz_board().1;
        doc.transact_mut().apply_update(Update::decode_v1(&state).unwrap()).unwrap();
        Replica { doc }
    }

    fn write(&self, edit: impl FnOnce(&yrs::MapRef, &yrs::MapRef, &mut yrs::TransactionMut)) -> Vec<u8> {
        let pieces = self.doc.get_or_insert_map("pieces");
        let meta = self.doc.get_or_insert_map("meta");
        let mut txn = self.doc.transact_mut();
        edit(&pieces, &meta, &mut txn);
        txn.encode_update_v1()
    }

    fn drop_piece(&self, piece: u32, x: f64, y: f64) -> Vec<u8> {
        self.write(|pieces, _, txn| {
            pieces.insert(txn, piece.to_string(), piece_value(x, y, f64::from(piece)));
        })
    }

    fn apply(&self, update: &[u8]) {
        self.doc.transact_mut().apply_update(Update::decode_v1(update).unwrap()).unwrap();
    }
}

fn piece_value(x: f64, y: f64, g: f64) -> Any {
    let fields: HashMap<String, Any> =
        [("x", x), ("y", y), ("r", 0.0), ("z", 50.0), ("g", g)].map(|(k, v)| (k.to_owned(), Any::from(v))).into();
    Any::Map(Arc::new(fields))
}

/// Sequences of client writes on the fuzzed board, one per seed.
fn board_seeds() -> Vec<(String, Vec<Vec<u8>>)> {
    let mut seeds = Vec::new();
    let ann = Replica::new(1001);
    seeds.push(("one-drop".to_owned(), vec![ann.drop_piece(1, 120.0, 80.5)]));
    let ann = Replica::new(1001);
    let group = ann.write(|pieces, _, txn| {
        for piece in 0..3u32 {
            pieces.insert(txn, piece.to_string(), piece_value(100.0 + f64::from(piece) * 100.0, 100.0, 0.0));
        }
    });
    seeds.push(("group-drop".to_owned(), vec![group]));
    let ann = Replica::new(1001);
    seeds.push(("drop-twice".to_owned(), vec![ann.drop_piece(4, 10.0, 10.0), ann.drop_piece(4, 20.0, 20.0)]));
    let ann = Replica::new(1001);
    seeds.push(("not-finite".to_owned(), vec![ann.drop_piece(5, f64::NAN, 1.0), ann.drop_piece(6, 1e12, 1.0)]));
    let ann = Replica::new(1001);
    let removal = ann.write(|pieces, _, txn| {
        pieces.remove(txn, "2");
    });
    seeds.push(("remove-a-piece".to_owned(), vec![removal]));
    let ann = Replica::new(1001);
    let meta = ann.write(|_, meta, txn| {
        meta.insert(txn, "rows", 50);
    });
    seeds.push(("write-meta".to_owned(), vec![meta]));
    let ann = Replica::new(1001);
    let stray = ann.write(|pieces, _, txn| {
        pieces.insert(txn, "99", piece_value(1.0, 1.0, 1.0));
    });
    seeds.push(("stray-key".to_owned(), vec![stray]));
    let (ann, ben) = (Replica::new(1001), Replica::new(1002));
    let (a, b) = (ann.drop_piece(7, 30.0, 30.0), ben.drop_piece(7, 60.0, 60.0));
    ann.apply(&b);
    let after = ann.drop_piece(7, 90.0, 90.0);
    seeds.push(("concurrent-drops".to_owned(), vec![a, b, after]));
    let ann = Replica::new(1001);
    let first = ann.drop_piece(8, 40.0, 40.0);
    ann.drop_piece(8, 45.0, 45.0);
    let whole = ann.doc.transact().encode_state_as_update_v1(&StateVector::default());
    seeds.push(("whole-state".to_owned(), vec![first.clone(), first, whole]));
    let ann = Replica::new(1001);
    let foreign = {
        let other = ann.doc.get_or_insert_map("scribbles");
        let mut txn = ann.doc.transact_mut();
        other.insert(&mut txn, "k", 1);
        txn.encode_update_v1()
    };
    seeds.push(("foreign-root".to_owned(), vec![foreign]));
    for (i, (_, updates)) in crafted_sequences().into_iter().enumerate() {
        seeds.push((format!("crafted-{i:02}"), updates));
    }
    seeds
}

fn frame_seeds() -> Vec<(String, Vec<u8>)> {
    let update = Replica::new(1001).drop_piece(1, 5.0, 5.0);
    let messages = [
        ClientMsg::Chat { r#ref: Some(1), text: "안녕하세요".into(), upload: None },
        ClientMsg::Whisper { r#ref: Some(2), to: "u1".into(), text: "hi".into() },
        ClientMsg::Move(Move { board: 1, piece: 2, x: 10.5, y: 20.0, seq: 3, t: 4 }),
        ClientMsg::Grab { r#ref: Some(5), board: 1, piece: 2 },
        ClientMsg::Update { r#ref: Some(6), board: 1, update, release: Some(2) },
        ClientMsg::Sync { r#ref: Some(7), board: 1, sv: vec![1, 5, 3] },
        ClientMsg::Focus { r#ref: Some(8), board: Some(1) },
        ClientMsg::Kick { r#ref: Some(9), user: "u2".into() },
    ];
    messages.iter().enumerate().map(|(i, msg)| (format!("{i:02}-{}", msg.tag()), encode(msg))).collect()
}

fn yjs_seeds() -> Vec<(String, Vec<u8>)> {
    let mut seeds = Vec::new();
    for (name, updates) in board_seeds() {
        for (i, update) in updates.into_iter().enumerate() {
            seeds.push((format!("{name}-{i}"), update));
        }
    }
    let ann = Replica::new(1001);
    let sv = ann.doc.transact().state_vector();
    seeds.push(("state-vector".to_owned(), sv.encode_v1()));
    let mut framed = YMessage::Sync(SyncMessage::SyncStep1(sv)).encode_v1();
    framed.extend(YMessage::Sync(SyncMessage::Update(ann.drop_piece(3, 1.0, 2.0))).encode_v1());
    framed.extend(YMessage::AwarenessQuery.encode_v1());
    seeds.push(("y-protocols".to_owned(), framed));
    seeds
}

fn write_seeds() {
    let mut corpus: Vec<(&str, String, Vec<u8>)> = Vec::new();
    for (name, updates) in board_seeds() {
        corpus.push(("board_write", name, join_updates(&updates)));
    }
    for (name, bytes) in frame_seeds() {
        corpus.push(("room_frame", name, bytes));
    }
    for (name, bytes) in yjs_seeds() {
        corpus.push(("yjs_bytes", name, bytes));
    }
    let (with_metadata, clean) = jigsync_server::gif_metadata::sample_with_metadata();
    for (name, bytes) in [("with-metadata", with_metadata), ("clean", clean), ("tiny", common::TINY_GIF.to_vec())] {
        corpus.push(("picture_gif", name.to_owned(), bytes));
    }
    for (target, _) in TARGETS {
        let dir = fuzz_dir().join("seeds").join(target);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("seed directory");
    }
    for (target, name, bytes) in corpus {
        std::fs::write(fuzz_dir().join("seeds").join(target).join(name), bytes).expect("seed written");
    }
}
