//! Micro-benchmarks of the per-message work on the hot paths: encoding and
//! decoding drag frames, the motion buffer's coalescing, applying a drop's Yjs
//! update with validation, and the progress formula. Run with
//! `cargo bench -p jigsync-bench --bench hot_paths`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use jigsync_schema::{decode, encode, ClientMsg, Move, ServerMsg};
use jigsync_server::board::doc::BoardDoc;
use jigsync_server::board::geometry::{meta, progress, scatter};
use jigsync_server::outbox::motion::{MotionBuffer, Rate};
use yrs::updates::decoder::Decode;
use yrs::{Any, Map, Transact};

fn drag(seq: u32) -> Move {
    Move { board: 7, piece: (seq % 100) as u16, x: 412.5 + seq as f32, y: 96.25, seq, t: seq }
}

fn frames(c: &mut Criterion) {
    let mv = ClientMsg::Move(drag(1));
    let bytes = encode(&mv);
    c.bench_function("encode mv", |b| b.iter(|| encode(black_box(&mv))));
    c.bench_function("decode mv", |b| b.iter(|| decode::<ClientMsg>(black_box(&bytes)).unwrap()));
    let batch = ServerMsg::Motion { moves: (0..30).map(drag).collect() };
    let batch_bytes = encode(&batch);
    c.bench_function("encode motion batch of 30", |b| b.iter(|| encode(black_box(&batch))));
    c.bench_function("decode motion batch of 30", |b| b.iter(|| decode::<ServerMsg>(black_box(&batch_bytes)).unwrap()));
}

fn coalescing(c: &mut Criterion) {
    c.bench_function("motion buffer: 1000 pushes over 30 pieces, then drain", |b| {
        b.iter(|| {
            let mut buffer = MotionBuffer::default();
            for seq in 0..1000 {
                buffer.push(drag(seq % 30), Rate::Full);
            }
            black_box(buffer.take_full())
        })
    });
}

fn drops(c: &mut Criterion) {
    let m = meta("/uploads/x.png".into(), 10, 10, 800, 600, 1);
    let (board, state) = BoardDoc::create(m.clone(), scatter(&m, 2));
    // A client replica makes one drop; the server applies and validates it.
    let client = yrs::Doc::new();
    let pieces = client.get_or_insert_map("pieces");
    client.get_or_insert_map("meta");
    client.transact_mut().apply_update(yrs::Update::decode_v1(&state).unwrap()).unwrap();
    let update = {
        let mut txn = client.transact_mut();
        let value: std::collections::HashMap<String, Any> =
            [("x", 120.0), ("y", 80.0), ("r", 0.0), ("z", 500.0), ("g", 5.0)]
                .map(|(k, v)| (k.to_owned(), Any::from(v)))
                .into();
        pieces.insert(&mut txn, "5", Any::Map(value.into()));
        txn.encode_update_v1()
    };
    drop(board);
    c.bench_function("apply and validate one drop on a 100-piece board", |b| {
        b.iter_batched(
            || BoardDoc::load(m.clone(), [state.as_slice()]).unwrap(),
            |mut board| black_box(board.apply(&update).unwrap()),
            BatchSize::SmallInput,
        )
    });
    let solved_meta = meta("/uploads/x.png".into(), 30, 30, 800, 600, 1);
    let pieces = scatter(&solved_meta, 3);
    c.bench_function("progress of a 900-piece board", |b| {
        b.iter(|| progress(black_box(&solved_meta), black_box(&pieces)))
    });
}

criterion_group!(hot_paths, frames, coalescing, drops);
criterion_main!(hot_paths);
