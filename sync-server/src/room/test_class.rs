//! A class of a teacher and three students driven through a room core and
//! the audience seam as the actor drives them, for the tests of the board
//! readers and of the motion table.

use std::collections::BTreeMap;
use std::time::Instant;

use jigsync_schema::{BoardId, BoardMode, ClientMsg, Move, Role};

use crate::outbox::motion::Rate;
use crate::outbox::{outbox, ConnId, OutboxReceiver};
use crate::room::audience::Deliveries;
use crate::room::core::boards::{BoardSet, PuzzleSpec};
use crate::room::core::{Ctx, Input, RoomCore};
use crate::storage::{MemberRow, MemberStatus, RoomRow};

pub const T: &str = "teacher";

/// A 2×2 puzzle of a 400×300 picture.
pub fn spec(mode: BoardMode) -> PuzzleSpec {
    PuzzleSpec {
        upload: "u".into(),
        image_url: "/uploads/u.png".into(),
        image_width: 400,
        image_height: 300,
        rows: 2,
        cols: 2,
        mode,
        groups: Vec::new(),
    }
}

pub struct Class {
    pub core: RoomCore,
    pub deliveries: Deliveries,
    pub receivers: BTreeMap<ConnId, OutboxReceiver>,
    seq: u32,
}

fn member(user: &str, role: Role) -> MemberRow {
    let status = MemberStatus::Active;
    let (room, name, color) = ("r1".into(), user.to_uppercase(), "#123456".into());
    MemberRow { room, user: user.into(), name, role, joined_at: 0, status, color, muted: false }
}

/// Class 5B, open, owned by the teacher, nothing in the spotlight.
pub fn room_row() -> RoomRow {
    RoomRow {
        id: "r1".into(),
        name: "5B".into(),
        join_code: "ABC234".into(),
        owner: Some(T.into()),
        created_at: 0,
        closed_at: None,
        spotlight: None,
        join_locked: false,
        whispers: Default::default(),
        chat_off: false,
    }
}

fn ctx_at(now: Instant) -> Ctx {
    Ctx { now_ms: 1_000, now, seed: 7 }
}

impl Class {
    pub fn new() -> Class {
        let room = room_row();
        let members = [(T, Role::Teacher), ("ann", Role::Student), ("ben", Role::Student), ("cat", Role::Student)]
            .map(|(u, r)| member(u, r))
            .to_vec();
        let core = RoomCore::new(room, members, 0, BoardSet::new(None, Vec::new(), (0, 0)));
        let mut class = Class { core, deliveries: Deliveries::default(), receivers: BTreeMap::new(), seq: 0 };
        class.run(Input::StartPuzzle { by: T.into(), spec: spec(BoardMode::Individual) });
        class
    }

    pub fn run(&mut self, input: Input) {
        self.run_at(input, Instant::now());
    }

    /// What the actor does with a command at `now`: copy the holds the
    /// sessions refreshed into the core, stage, apply, deliver.
    pub fn run_at(&mut self, input: Input, now: Instant) {
        self.deliveries.motion_table().refresh_holds(&mut self.core);
        let staged = self.core.stage(input, &ctx_at(now)).expect("accepted");
        let effects = self.core.apply(staged);
        self.deliveries.deliver(effects, &self.core);
    }

    pub fn connect(&mut self, user: &str) -> ConnId {
        let (tx, rx) = outbox(256);
        let conn = tx.id();
        self.deliveries.add(tx);
        self.receivers.insert(conn, rx);
        let input = Input::connect_fresh(conn, user);
        self.run(input);
        conn
    }

    pub fn request(&mut self, conn: ConnId, msg: ClientMsg) {
        self.run(Input::Request { conn, msg, upload: None });
    }

    pub fn board_of(&self, user: &str) -> BoardId {
        let access = self.core.access();
        self.core.boards.iter().find(|b| access.may_write(user, &b.row)).expect("own board").id()
    }

    /// Who gets `by`'s move on `board`, and at which rate, as checked
    /// connection by connection.
    pub fn expected(&self, board: BoardId, by: ConnId) -> BTreeMap<ConnId, Rate> {
        let b = self.core.boards.get(board).expect("board");
        let access = self.core.access();
        self.core
            .conns
            .iter()
            .filter(|(id, c)| *id != by && access.may_read_as(c.role, &c.user, &b.row))
            .map(|(id, c)| {
                let full = c.role == Role::Student || c.focus == Some(board);
                (id, if full { Rate::Full } else { Rate::Thumbnail })
            })
            .collect()
    }

    /// Moves a piece; returns who got it and at which rate.
    /// The next position of piece 0 on `board`.
    pub fn next_move(&mut self, board: BoardId) -> Move {
        self.seq += 1;
        Move { board, piece: 0, x: 10.0, y: 10.0, seq: self.seq, t: 0 }
    }

    /// `by` moves piece 0 through the actor; returns who got it and at which rate.
    pub fn moved(&mut self, board: BoardId, by: ConnId) -> BTreeMap<ConnId, Rate> {
        let mv = self.next_move(board);
        self.request(by, ClientMsg::Move(mv));
        self.got(mv.seq)
    }

    /// `by`'s session relays its move of piece 0 itself, through the motion
    /// table; returns whether it did, and who got it at which rate.
    pub fn moved_here(&mut self, board: BoardId, by: ConnId, now: Instant) -> (bool, BTreeMap<ConnId, Rate>) {
        let mv = self.next_move(board);
        let relayed = self.deliveries.motion_table().relay_held(by, mv, now);
        (relayed, self.got(mv.seq))
    }

    /// Who has the position numbered `seq` in their motion buffer, at which
    /// rate (taking every buffer's content).
    pub fn got(&self, seq: u32) -> BTreeMap<ConnId, Rate> {
        let mut got = BTreeMap::new();
        for (conn, rx) in &self.receivers {
            let (full, _) = rx.motion.take(false);
            let (thumbnails, _) = rx.motion.take(true);
            for (moves, rate) in [(full, Rate::Full), (thumbnails, Rate::Thumbnail)] {
                if moves.iter().any(|m| m.seq == seq) {
                    assert!(got.insert(*conn, rate).is_none(), "one position per reader");
                }
            }
        }
        got
    }

    /// A move of `by` on `board` reaches the readers the access rules give,
    /// relayed by the actor and then by the mover's session alike.
    pub fn check(&mut self, step: &str, board: BoardId, by: ConnId) {
        let expected = self.expected(board, by);
        assert_eq!(self.moved(board, by), expected, "{step}");
        let (relayed, got) = self.moved_here(board, by, Instant::now());
        assert!(relayed, "{step}: the mover holds the piece, so its session relays the next move");
        assert_eq!(got, expected, "{step}: relayed by the session");
        // What each connection may drag is kept the same way.
        let access = self.core.access();
        for (conn, c) in self.core.conns.iter() {
            for b in self.core.boards.iter() {
                let may = access.may_write(&c.user, &b.row) && access.roster.active(&c.user).is_some();
                assert_eq!(c.writes.includes(b.id()), may, "{step}: connection {conn} on board {}", b.id());
            }
        }
    }
}
