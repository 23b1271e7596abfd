//! The room's motion table: what relaying a drag position needs, shared
//! between the room's actor and its sessions so that the session reading a
//! move can relay it itself, without waking the actor (a move is by far the
//! most frequent message, and two task wake-ups and a channel hop per move
//! cost more than the rest of it).
//!
//! The actor stays the only writer of the room's state: after every change
//! it applies, it copies here, under one short lock, each board's readers
//! with their rates, its piece groups, its size, whether it is locked, who
//! holds which piece, and which boards each connection may write. A session
//! relays a move here only when the room core would do nothing else with it
//! than refresh the mover's hold and hand it to the readers: the mover
//! already holds the piece's whole group, the board is writable by it and
//! not locked, the position is on the board, and none of the connection's
//! earlier requests still waits in the actor's queue (so a connection's
//! requests keep their order). Any other move goes to the actor as before,
//! which refuses or grabs exactly as the core says. Holds refreshed here
//! are copied back into the core before the actor stages its next command,
//! so silence is judged on the latest move wherever it was relayed.

use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use rustc_hash::FxHashMap;

use jigsync_schema::{BoardId, Move};

use super::board_pieces::BoardPieces;
use super::board_readers::{readers, Reader};
use super::core::connections::Writes;
use super::core::drag::on_board;
use super::core::RoomCore;
use crate::outbox::{ConnId, Outbox};

pub struct MotionTable {
    shared: Mutex<Shared>,
    /// `jigsync_motion_relayed_total`, looked up once rather than per move.
    relayed: metrics::Counter,
}

#[derive(Default)]
struct Shared {
    /// The core's readers version the lists and writable boards were made
    /// at; `None` when they must be made again.
    readers_version: Option<u64>,
    boards: FxHashMap<BoardId, BoardMotion>,
    /// One entry per connection, so a move looks its mover up once.
    conns: FxHashMap<ConnId, ConnMotion>,
    /// Boards whose holds a relayed move refreshed since the actor last
    /// copied them back: the actor visits these, not every board.
    touched_boards: Vec<BoardId>,
}

#[derive(Default)]
struct ConnMotion {
    /// The boards it may write; `None` for a connection the core does not
    /// have (yet, or any more).
    writes: Option<Writes>,
    /// Requests it sent the actor that the actor has not handled yet.
    queued: u32,
}

struct BoardMotion {
    locked: bool,
    size: (f32, f32),
    pieces: BoardPieces,
    /// Listed in `touched_boards`.
    touched: bool,
    readers: Vec<Reader>,
}

impl Default for MotionTable {
    fn default() -> Self {
        MotionTable { shared: Mutex::default(), relayed: metrics::counter!("jigsync_motion_relayed_total") }
    }
}

impl MotionTable {
    fn lock(&self) -> MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Relays `mv` from `conn` here if the core would only relay it (see
    /// the module doc); false if it must go to the actor.
    pub fn relay_held(&self, conn: ConnId, mv: Move, now: Instant) -> bool {
        let mut shared = self.lock();
        let Shared { boards, conns, touched_boards, .. } = &mut *shared;
        let writable =
            conns.get(&conn).is_some_and(|c| c.queued == 0 && c.writes.as_ref().is_some_and(|w| w.includes(mv.board)));
        if !writable {
            return false;
        }
        let Some(board) = boards.get_mut(&mv.board) else {
            return false;
        };
        if board.locked || !on_board(&mv, board.size) || !board.pieces.touch_group(mv.piece, conn, now) {
            return false;
        }
        if !board.touched {
            board.touched = true;
            touched_boards.push(mv.board);
        }
        self.relayed.increment(relay(board, mv, conn));
        true
    }

    /// Hands a move the core accepted to its board's readers.
    pub fn relay(&self, mv: Move, except: ConnId) {
        if let Some(board) = self.lock().boards.get(&mv.board) {
            self.relayed.increment(relay(board, mv, except));
        }
    }

    /// `conn` sent the actor a request: its moves wait their turn behind it.
    pub fn queued(&self, conn: ConnId) {
        self.lock().conns.entry(conn).or_default().queued += 1;
    }

    /// The actor handled one request of `conn`.
    pub fn handled(&self, conn: ConnId) {
        let mut shared = self.lock();
        if let Some(c) = shared.conns.get_mut(&conn) {
            c.queued = c.queued.saturating_sub(1);
            if c.queued == 0 && c.writes.is_none() {
                shared.conns.remove(&conn);
            }
        }
    }

    /// Copies into the core the holds that moves relayed here refreshed:
    /// for the actor, before the core judges any hold.
    pub fn refresh_holds(&self, core: &mut RoomCore) {
        let mut shared = self.lock();
        let Shared { boards, touched_boards, .. } = &mut *shared;
        for board in touched_boards.drain(..) {
            let Some(b) = boards.get_mut(&board) else {
                continue;
            };
            b.touched = false;
            let Some(locks) = core.boards.get_mut(board).map(|b| &mut b.locks) else {
                continue;
            };
            b.pieces.refresh(locks);
        }
    }

    /// Copies from the core what a move needs, after a change was applied.
    /// `conns_changed`: an outbox was added or removed since the last copy.
    pub fn sync(&self, core: &RoomCore, outboxes: &FxHashMap<ConnId, Outbox>, conns_changed: bool) {
        let mut shared = self.lock();
        let version = Some(core.readers_version());
        let remake = conns_changed || shared.readers_version != version;
        if remake {
            shared.readers_version = version;
            shared.conns.retain(|conn, c| {
                c.writes = None;
                c.queued > 0 && outboxes.contains_key(conn)
            });
            for (id, c) in core.conns.iter() {
                shared.conns.entry(id).or_default().writes = Some(c.writes.clone());
            }
            shared.boards.retain(|id, _| core.boards.get(*id).is_some());
        }
        for b in core.boards.iter() {
            let meta = b.doc.meta();
            let entry = shared.boards.entry(b.id()).or_insert_with(|| BoardMotion {
                locked: b.row.locked,
                size: (meta.width, meta.height),
                pieces: BoardPieces::new(b.doc.groups()),
                touched: false,
                readers: readers(b.id(), core, outboxes),
            });
            if remake {
                entry.readers = readers(b.id(), core, outboxes);
            }
            entry.locked = b.row.locked;
            entry.size = (meta.width, meta.height);
            entry.pieces.regroup(b.doc.groups());
            entry.pieces.follow(&b.locks);
        }
    }

    /// `conn` closed: it reads and writes nothing from now on.
    pub fn forget(&self, conn: ConnId) {
        let mut shared = self.lock();
        shared.conns.remove(&conn);
        for board in shared.boards.values_mut() {
            board.readers.retain(|r| r.conn != conn);
        }
    }

    /// Nothing may be relayed any more (the room's connections closed).
    pub fn clear(&self) {
        *self.lock() = Shared::default();
    }
}

/// Pushes `mv` into the motion buffers of `board`'s readers but `except`;
/// returns how many.
fn relay(board: &BoardMotion, mv: Move, except: ConnId) -> u64 {
    let mut relayed = 0;
    for reader in &board.readers {
        if reader.conn != except {
            reader.motion.push(mv, reader.rate);
            relayed += 1;
        }
    }
    relayed
}

#[cfg(test)]
mod tests {
    //! A session relays a move itself only where the core would do nothing
    //! but refresh the mover's hold and relay it; everything else goes to
    //! the actor, which refuses or grabs as before. (That the relayed moves
    //! reach exactly the readers the access rules give, after every change
    //! of the room, is checked with the board readers.)

    use std::collections::HashMap;
    use std::time::{Duration, Instant};

    use jigsync_schema::{BoardId, ClientMsg, Spotlight};
    use yrs::updates::decoder::Decode;
    use yrs::{Any, Map, Transact};

    use crate::board::locks::LOCK_TTL;
    use crate::outbox::ConnId;
    use crate::room::core::Input;
    use crate::room::test_class::{Class, T};

    #[test]
    fn only_the_holder_of_the_pieces_group_relays_its_moves_itself() {
        let mut class = Class::new();
        let teacher = class.connect(T);
        let ann = class.connect("ann");
        let anns = class.board_of("ann");
        let now = Instant::now();
        let (relayed, got) = class.moved_here(anns, ann, now);
        assert!(!relayed && got.is_empty(), "nobody holds the piece: the actor grabs it");

        assert!(!class.moved(anns, ann).is_empty(), "the actor relays the move that grabs");
        let (relayed, got) = class.moved_here(anns, ann, now);
        assert!(relayed && got.contains_key(&teacher), "the holder's next move is relayed here");

        let (relayed, got) = class.moved_here(anns, teacher, now);
        assert!(!relayed && got.is_empty(), "the teacher may write the board but ann holds the piece");

        let table = class.deliveries.motion_table();
        table.queued(ann);
        assert!(!class.moved_here(anns, ann, now).0, "a request of ann waits in the actor's queue");
        class.deliveries.motion_table().handled(ann);
        assert!(class.moved_here(anns, ann, now).0);

        let mut off_board = class.next_move(anns);
        off_board.x = -1.0;
        assert!(!class.deliveries.motion_table().relay_held(ann, off_board, now), "the actor refuses it");
        let mut no_piece = class.next_move(anns);
        no_piece.piece = 999;
        assert!(!class.deliveries.motion_table().relay_held(ann, no_piece, now), "the actor refuses it");
        let bens = class.board_of("ben");
        assert!(!class.moved_here(bens, ann, now).0, "not ann's board");

        class.request(teacher, ClientMsg::Lock { r#ref: None, board: Some(anns), locked: true });
        assert!(!class.moved_here(anns, ann, now).0, "a locked board");
    }

    #[test]
    fn kicked_users_stop_relaying_and_receiving_with_the_kick() {
        let mut class = Class::new();
        let teacher = class.connect(T);
        let (ann, ben) = (class.connect("ann"), class.connect("ben"));
        let anns = class.board_of("ann");
        let now = Instant::now();
        class.request(teacher, ClientMsg::Spotlight { r#ref: None, board: Some(anns), hide_names: false });
        class.moved(anns, ann);
        assert!(class.moved_here(anns, ann, now).1.contains_key(&ben), "ben watches the spotlight");
        assert_eq!(class.core.room.spotlight.map(|s: Spotlight| s.board), Some(anns));

        class.request(teacher, ClientMsg::Kick { r#ref: None, user: "ben".into() });
        let (relayed, got) = class.moved_here(anns, ann, now);
        assert!(relayed && !got.contains_key(&ben), "ben's buffer gets nothing after the kick");

        class.request(teacher, ClientMsg::Kick { r#ref: None, user: "ann".into() });
        let (relayed, got) = class.moved_here(anns, ann, now);
        assert!(!relayed && got.is_empty(), "ann's moves go to the actor, which drops them");
    }

    #[test]
    fn a_write_that_regroups_pieces_reaches_the_table_with_it() {
        let (mut class, ann, anns) = ann_holding_piece_0();
        let now = Instant::now();
        assert!(class.moved_here(anns, ann, now).0, "ann holds piece 0, alone in its group");

        class.request(
            ann,
            ClientMsg::Update { r#ref: None, board: anns, update: joining_update(&class, anns), release: None },
        );
        let group = class.core.boards.get(anns).map(|b| b.doc.group_of(0).to_vec());
        assert_eq!(group, Some(vec![0, 1]), "piece 1 joined piece 0's group");
        assert!(!class.moved_here(anns, ann, now).0, "ann does not hold piece 1: the actor grabs the group");
    }

    /// A class with its teacher, and ann holding piece 0 of her board
    /// after a first move through the actor: (class, ann, her board).
    fn ann_holding_piece_0() -> (Class, ConnId, BoardId) {
        let mut class = Class::new();
        class.connect(T);
        let ann = class.connect("ann");
        let anns = class.board_of("ann");
        class.moved(anns, ann);
        (class, ann, anns)
    }

    /// Ann's replica of `board`: the update that puts piece 1 into piece 0's
    /// group.
    fn joining_update(class: &Class, board: BoardId) -> Vec<u8> {
        let state = class.core.boards.get(board).and_then(|b| b.doc.state().ok()).expect("board state");
        let replica = yrs::Doc::new();
        let pieces = replica.get_or_insert_map("pieces");
        let update = yrs::Update::decode_v1(&state).expect("a valid state");
        replica.transact_mut().apply_update(update).expect("applies");
        let mut txn = replica.transact_mut();
        let value: HashMap<String, Any> = [("x", 10.0), ("y", 10.0), ("r", 0.0), ("z", 9.0), ("g", 0.0)]
            .map(|(k, v)| (k.to_owned(), Any::from(v)))
            .into();
        pieces.insert(&mut txn, "1", Any::Map(value.into()));
        txn.encode_update_v1()
    }

    #[test]
    fn moves_relayed_by_the_session_keep_the_hold_alive() {
        let start = Instant::now();
        let (mut class, ann, anns) = ann_holding_piece_0();
        let holder = |class: &Class| class.core.boards.get(anns).and_then(|b| b.locks.holder(0)).map(|h| h.conn);
        let second = Duration::from_secs(1);

        let late_move = start + LOCK_TTL - second;
        assert!(class.moved_here(anns, ann, late_move).0);
        class.run_at(Input::ExpireLocks, start + LOCK_TTL + second);
        assert_eq!(holder(&class), Some(ann), "moved 2 s before the sweep, not silent");

        class.run_at(Input::ExpireLocks, late_move + LOCK_TTL);
        assert_eq!(holder(&class), None, "silent for the whole TTL");
        assert!(!class.moved_here(anns, ann, late_move + LOCK_TTL).0, "released: the next move grabs again");
    }
}
