//! Each board's motion readers, listed once: a drag position goes to the
//! connections that may read its board, at the rate each one shows it. The
//! lists are worked out from the room core's connections and access rules
//! the first time a board moves after anything that could change them (the
//! core's readers version: a join, a leave, a focus, a spotlight, a new
//! puzzle, a connection added or removed), so a move touches only its
//! readers instead of checking every connection of the room.

use rustc_hash::FxHashMap;

use jigsync_schema::{BoardId, Role};

use super::core::RoomCore;
use crate::outbox::motion::Rate;
use crate::outbox::{ConnId, MotionSender, Outbox};

pub struct Reader {
    pub conn: ConnId,
    pub rate: Rate,
    pub motion: MotionSender,
}

#[derive(Default)]
pub struct BoardReaders {
    /// The core's readers version the lists were made at.
    version: Option<u64>,
    boards: FxHashMap<BoardId, Vec<Reader>>,
}

impl BoardReaders {
    /// Forgets every list (a connection was added or removed).
    pub fn invalidate(&mut self) {
        self.version = None;
        self.boards.clear();
    }

    /// The readers of `board`, as the core has them now.
    pub fn of(&mut self, board: BoardId, core: &RoomCore, outboxes: &FxHashMap<ConnId, Outbox>) -> &[Reader] {
        if self.version != Some(core.readers_version()) {
            self.boards.clear();
            self.version = Some(core.readers_version());
        }
        self.boards.entry(board).or_insert_with(|| readers(board, core, outboxes))
    }
}

/// Every connection that may read `board`: at full rate unless it is a
/// teacher's with another board (or none) in focus.
fn readers(board: BoardId, core: &RoomCore, outboxes: &FxHashMap<ConnId, Outbox>) -> Vec<Reader> {
    let Some(b) = core.boards.get(board) else {
        return Vec::new();
    };
    let access = core.access();
    core.conns
        .iter()
        .filter(|(_, c)| access.may_read_as(c.role, &c.user, &b.row))
        .filter_map(|(conn, c)| {
            let rate = match c.role {
                Role::Teacher if c.focus != Some(board) => Rate::Thumbnail,
                _ => Rate::Full,
            };
            let motion = outboxes.get(&conn)?.motion_sender();
            Some(Reader { conn, rate, motion })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    //! The lists are kept across changes to the room, and every change that
    //! alters who reads a board must show: after each step, a move reaches
    //! exactly the connections (and at the rates) that checking every
    //! connection of the room against the access rules gives.

    use std::collections::BTreeMap;
    use std::time::Instant;

    use jigsync_schema::{BoardMode, ClientMsg, Move};

    use super::*;
    use crate::outbox::{outbox, OutboxReceiver};
    use crate::room::audience::Deliveries;
    use crate::room::core::boards::{BoardSet, PuzzleSpec};
    use crate::room::core::{Ctx, Input};
    use crate::storage::{MemberRow, MemberStatus, RoomRow};

    const T: &str = "teacher";

    struct Class {
        core: RoomCore,
        deliveries: Deliveries,
        receivers: BTreeMap<ConnId, OutboxReceiver>,
        seq: u32,
    }

    fn member(user: &str, role: Role) -> MemberRow {
        let status = MemberStatus::Active;
        let (room, name, color) = ("r1".into(), user.to_uppercase(), "#123456".into());
        MemberRow { room, user: user.into(), name, role, joined_at: 0, status, color, muted: false }
    }

    fn ctx() -> Ctx {
        Ctx { now_ms: 1_000, now: Instant::now(), seed: 7 }
    }

    impl Class {
        fn new() -> Class {
            let room = RoomRow {
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
            };
            let members = [(T, Role::Teacher), ("ann", Role::Student), ("ben", Role::Student), ("cat", Role::Student)]
                .map(|(u, r)| member(u, r))
                .to_vec();
            let core = RoomCore::new(room, members, 0, BoardSet::new(None, Vec::new(), (0, 0)));
            let mut class = Class { core, deliveries: Deliveries::default(), receivers: BTreeMap::new(), seq: 0 };
            let spec = PuzzleSpec {
                upload: "u".into(),
                image_url: "/uploads/u.png".into(),
                image_width: 400,
                image_height: 300,
                rows: 2,
                cols: 2,
                mode: BoardMode::Individual,
                groups: Vec::new(),
            };
            class.run(Input::StartPuzzle { by: T.into(), spec });
            class
        }

        fn run(&mut self, input: Input) {
            let staged = self.core.stage(input, &ctx()).expect("accepted");
            let effects = self.core.apply(staged);
            self.deliveries.deliver(effects, &self.core);
        }

        fn connect(&mut self, user: &str) -> ConnId {
            let (tx, rx) = outbox(256);
            let conn = tx.id();
            self.deliveries.add(tx);
            self.receivers.insert(conn, rx);
            let input = Input::connect_fresh(conn, user);
            self.run(input);
            conn
        }

        fn request(&mut self, conn: ConnId, msg: ClientMsg) {
            self.run(Input::Request { conn, msg, upload: None });
        }

        fn board_of(&self, user: &str) -> BoardId {
            let access = self.core.access();
            self.core.boards.iter().find(|b| access.may_write(user, &b.row)).expect("own board").id()
        }

        /// Who gets `by`'s move on `board`, and at which rate, as checked
        /// connection by connection.
        fn expected(&self, board: BoardId, by: ConnId) -> BTreeMap<ConnId, Rate> {
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
        fn moved(&mut self, board: BoardId, by: ConnId) -> BTreeMap<ConnId, Rate> {
            self.seq += 1;
            let mv = Move { board, piece: 0, x: 10.0, y: 10.0, seq: self.seq, t: 0 };
            self.request(by, ClientMsg::Move(mv));
            let mut got = BTreeMap::new();
            for (conn, rx) in &self.receivers {
                let (full, _) = rx.motion.take(false);
                let (thumbnails, _) = rx.motion.take(true);
                for (moves, rate) in [(full, Rate::Full), (thumbnails, Rate::Thumbnail)] {
                    if moves.iter().any(|m| m.seq == self.seq) {
                        assert!(got.insert(*conn, rate).is_none(), "one position per reader");
                    }
                }
            }
            got
        }

        fn check(&mut self, step: &str, board: BoardId, by: ConnId) {
            let expected = self.expected(board, by);
            assert_eq!(self.moved(board, by), expected, "{step}");
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

    #[test]
    fn a_move_reaches_the_readers_the_access_rules_give_after_every_change() {
        let mut class = Class::new();
        let teacher = class.connect(T);
        let (ann, ben, cat) = (class.connect("ann"), class.connect("ben"), class.connect("cat"));
        let (anns, bens) = (class.board_of("ann"), class.board_of("ben"));
        class.check("a board's student and the teacher's thumbnail", anns, ann);
        assert_eq!(class.expected(anns, ann), BTreeMap::from([(teacher, Rate::Thumbnail)]));

        let second_tab = class.connect("ann");
        class.check("a second connection of the student", anns, ann);
        assert!(class.expected(anns, ann).contains_key(&second_tab));

        class.request(teacher, ClientMsg::Focus { r#ref: None, board: Some(anns) });
        class.check("the teacher focuses the board", anns, ann);
        assert_eq!(class.expected(anns, ann)[&teacher], Rate::Full);
        class.request(teacher, ClientMsg::Focus { r#ref: None, board: Some(bens) });
        class.check("the teacher focuses another board", anns, ann);

        class.request(teacher, ClientMsg::Spotlight { r#ref: None, board: Some(anns), hide_names: false });
        class.check("the board in the spotlight", anns, ann);
        assert!(class.expected(anns, ann).contains_key(&ben));
        class.request(teacher, ClientMsg::Spotlight { r#ref: None, board: Some(anns), hide_names: true });
        class.check("the spotlight hides names", anns, ann);

        class.request(teacher, ClientMsg::Kick { r#ref: None, user: "ben".into() });
        class.deliveries.remove(ben);
        class.receivers.remove(&ben);
        class.check("a spotlit board's reader removed", anns, ann);

        class.request(cat, ClientMsg::Leave { r#ref: None });
        class.check("a reader left", anns, ann);

        class.request(teacher, ClientMsg::Spotlight { r#ref: None, board: None, hide_names: false });
        class.check("the spotlight off", anns, ann);
        assert!(!class.expected(anns, ann).contains_key(&cat));

        class.run(Input::Disconnect(teacher));
        class.deliveries.remove(teacher);
        class.check("the teacher disconnected", anns, ann);
        assert_eq!(class.expected(anns, ann), BTreeMap::from([(second_tab, Rate::Full)]));
    }
}
