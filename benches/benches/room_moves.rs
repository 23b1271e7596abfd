//! The server's own share of a drag position, without sockets: one `mv`
//! through the room core (checks, lock) and the audience seam (fan-out into
//! the readers' motion buffers) in a class of 30 students and a teacher, as
//! the room actor runs it. Kernel time and the WebSocket codec are not in
//! it; `dragbench` measures the whole path. Run with
//! `cargo bench -p jigsync-bench --bench room_moves`.

use std::hint::black_box;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion};
use jigsync_schema::{BoardMode, ClientMsg, Move, Role};
use jigsync_server::outbox::{outbox, OutboxReceiver};
use jigsync_server::room::audience::Deliveries;
use jigsync_server::room::core::boards::{BoardSet, PuzzleSpec};
use jigsync_server::room::core::{Ctx, Input, RoomCore};
use jigsync_server::storage::{MemberRow, MemberStatus, RoomRow};

const STUDENTS: usize = 30;

fn member(user: &str, role: Role) -> MemberRow {
    MemberRow {
        room: "r1".into(),
        user: user.into(),
        name: user.to_uppercase(),
        role,
        joined_at: 0,
        status: MemberStatus::Active,
        color: "#123456".into(),
        muted: false,
    }
}

/// A running class: every member connected once (the teacher is
/// connection 0), a 10×10 board each, as `mode` deals them.
struct Class {
    core: RoomCore,
    deliveries: Deliveries,
    _receivers: Vec<OutboxReceiver>,
    /// Each student's connection and board.
    students: Vec<(u64, u32)>,
}

fn class(mode: BoardMode) -> Class {
    let room = RoomRow {
        id: "r1".into(),
        name: "5B".into(),
        join_code: "ABC234".into(),
        owner: Some("teacher".into()),
        created_at: 0,
        closed_at: None,
        spotlight: None,
        join_locked: false,
        whispers: Default::default(),
        chat_off: false,
    };
    let users: Vec<String> =
        std::iter::once("teacher".to_owned()).chain((0..STUDENTS).map(|i| format!("s{i}"))).collect();
    let members =
        users.iter().enumerate().map(|(i, u)| member(u, if i == 0 { Role::Teacher } else { Role::Student })).collect();
    let mut core = RoomCore::new(room, members, 0, BoardSet::new(None, Vec::new(), (0, 0)));
    let mut deliveries = Deliveries::default();
    let mut receivers = Vec::new();
    let ctx = Ctx { now_ms: 1, now: Instant::now(), seed: 7 };
    let mut conns = Vec::new();
    for user in &users {
        let (tx, rx) = outbox(1024);
        let conn = tx.id();
        deliveries.add(tx);
        receivers.push(rx);
        conns.push(conn);
        let input = Input::connect_fresh(conn, user);
        let staged = core.stage(input, &ctx).expect("connect");
        drop(core.apply(staged));
    }
    let spec = PuzzleSpec {
        upload: "u".into(),
        image_url: "/uploads/u.png".into(),
        image_width: 800,
        image_height: 600,
        rows: 10,
        cols: 10,
        mode,
        groups: Vec::new(),
    };
    let staged = core.stage(Input::StartPuzzle { by: "teacher".into(), spec }, &ctx).expect("puzzle");
    drop(core.apply(staged));
    let access = core.access();
    let students = users[1..]
        .iter()
        .zip(&conns[1..])
        .map(|(user, conn)| {
            let board = core.boards.iter().find(|b| access.may_write(user, &b.row)).expect("a board").id();
            (*conn, board)
        })
        .collect();
    // Nobody drains the readers' motion buffers here; they hold at most one
    // position per piece, as a slow reader's would.
    Class { core, deliveries, _receivers: receivers, students }
}

/// One move by each student in turn, each on its own piece, as the actor
/// handles a `mv`: stage, apply, deliver.
fn moves(c: &mut Criterion, name: &str, mode: BoardMode) {
    let mut class = class(mode);
    let mut seq = 0u32;
    c.bench_function(name, |b| {
        b.iter(|| {
            seq = seq.wrapping_add(1);
            let (conn, board) = class.students[seq as usize % STUDENTS];
            // Three pieces a student, nobody else's: on a shared board a
            // piece held by another student would be refused.
            let student = seq as usize % STUDENTS;
            let piece = (3 * student + seq as usize / STUDENTS % 3) as u16;
            let mv = Move { board, piece, x: 100.0 + (seq % 50) as f32, y: 80.0, seq, t: seq };
            let ctx = Ctx { now_ms: 2, now: Instant::now(), seed: 7 };
            let input = Input::Request { conn, msg: ClientMsg::Move(mv), upload: None };
            let staged = class.core.stage(input, &ctx).expect("a move is accepted");
            let effects = class.core.apply(staged);
            black_box(class.deliveries.deliver(effects, &class.core));
        })
    });
}

fn room_moves(c: &mut Criterion) {
    moves(c, "a move, 30 students on their own boards", BoardMode::Individual);
    moves(c, "a move, 30 students on one shared board", BoardMode::Shared);
}

criterion_group!(benches, room_moves);
criterion_main!(benches);
