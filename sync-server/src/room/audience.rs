//! The audience seam: where a room's deliveries leave the room. Every
//! effect names its audience; this resolves it against the core's
//! connections and access rules, encodes each frame once, and pushes clones
//! of it to the outboxes. It owns the outboxes of the room's connections
//! (room channel and `/yjs`). When rooms span processes, this is where their
//! traffic would cross.

use std::collections::HashMap;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use jigsync_schema::{BoardId, Role, ServerMsg};

use super::core::effects::{Audience, Effect};
use super::core::RoomCore;
use super::motion_table::MotionTable;
use crate::outbox::{ConnId, Frame, Outbox};

pub struct Deliveries {
    /// By the server's own connection numbers.
    outboxes: FxHashMap<ConnId, Outbox>,
    /// Each board's motion readers (and what the room's sessions need to
    /// relay moves themselves), kept up to date with the core here.
    motion: Arc<MotionTable>,
    /// An outbox came or went since the motion table was last brought up
    /// to date.
    conns_changed: bool,
}

impl Default for Deliveries {
    fn default() -> Self {
        Deliveries::new(Arc::default())
    }
}

impl Deliveries {
    pub fn new(motion: Arc<MotionTable>) -> Deliveries {
        Deliveries { outboxes: FxHashMap::default(), motion, conns_changed: true }
    }

    pub fn motion_table(&self) -> &MotionTable {
        &self.motion
    }

    pub fn add(&mut self, outbox: Outbox) {
        self.outboxes.insert(outbox.id(), outbox);
        self.conns_changed = true;
    }

    pub fn remove(&mut self, conn: ConnId) {
        self.outboxes.remove(&conn);
        self.conns_changed = true;
        self.motion.forget(conn);
    }

    /// Brings the motion table up to date with `core`: after every change
    /// the actor applies, before its effects are delivered.
    pub fn sync_motion(&mut self, core: &RoomCore) {
        self.motion.sync(core, &self.outboxes, self.conns_changed);
        self.conns_changed = false;
    }

    /// Closes every connection of the room (room channel and `/yjs`).
    pub fn close_all(&mut self, code: jigsync_schema::CloseCode, reason: &str) {
        for (_, outbox) in self.outboxes.drain() {
            outbox.close(code, reason);
        }
        self.motion.clear();
        self.conns_changed = true;
    }

    /// Delivers what can be delivered; returns the effects that are not
    /// deliveries (lobby, compaction) for the actor.
    pub fn deliver(&mut self, effects: impl IntoIterator<Item = Effect>, core: &RoomCore) -> Vec<Effect> {
        self.sync_motion(core);
        let mut rest = Vec::new();
        let mut docs: HashMap<BoardId, Option<Frame>> = HashMap::new();
        for effect in effects {
            match effect {
                Effect::Send(audience, msg) => self.send(core, &audience, &msg),
                Effect::ToReaders { board, except, msg, anonymous } => {
                    self.to_readers(core, board, except, &msg, anonymous.as_deref())
                }
                Effect::BoardLists => {
                    for (id, c) in core.conns.iter() {
                        self.push(id, Frame::server(&core.boards_msg(&c.user)));
                    }
                }
                Effect::BoardsTo { conn, docs: with_docs } => {
                    let Some(user) = core.conns.user_of(conn) else {
                        continue;
                    };
                    self.push(conn, Frame::server(&core.boards_msg(user)));
                    if with_docs {
                        let access = core.access();
                        for b in core.boards.iter().filter(|b| access.may_read(user, &b.row)) {
                            if let Some(frame) = doc_frame(&mut docs, core, b.id()) {
                                self.push(conn, frame);
                            }
                        }
                    }
                }
                Effect::DocTo { conns, board } => {
                    if let Some(frame) = doc_frame(&mut docs, core, board) {
                        for conn in conns {
                            self.push(conn, frame.clone());
                        }
                    }
                }
                Effect::Yjs { board, except, bytes } => {
                    let frame = Frame { bytes: bytes.into(), tag: "yjs" };
                    for conn in core.yjs.on_board(board, except) {
                        self.push(conn, frame.clone());
                    }
                }
                Effect::YjsTo { conn, bytes } => self.push(conn, Frame { bytes: bytes.into(), tag: "yjs" }),
                Effect::Motion { mv, except } => self.motion.relay(mv, except),
                Effect::ForgetMotion { board, pieces } => {
                    for (id, _) in core.conns.iter() {
                        if let Some(outbox) = self.outboxes.get(&id) {
                            outbox.forget_motion(board, &pieces);
                        }
                    }
                }
                Effect::Close { conns, code, reason } => {
                    for conn in conns {
                        if let Some(outbox) = self.outboxes.remove(&conn) {
                            outbox.close(code, reason);
                        }
                        self.motion.forget(conn);
                    }
                    self.conns_changed = true;
                }
                other @ (Effect::Lobby(_) | Effect::LobbyClosed | Effect::Compact { .. }) => rest.push(other),
            }
        }
        rest
    }

    fn push(&self, conn: ConnId, frame: Frame) {
        if let Some(outbox) = self.outboxes.get(&conn) {
            count_out(frame.tag, 1);
            outbox.send(frame);
        }
    }

    fn send(&self, core: &RoomCore, audience: &Audience, msg: &ServerMsg) {
        if let Audience::Conn(conn) = audience {
            self.push(*conn, Frame::server(msg));
            return;
        }
        let frame = Frame::server(msg);
        let mut sent = 0;
        for (id, c) in core.conns.iter() {
            let included = match audience {
                Audience::Everyone => true,
                Audience::AllBut(except) => id != *except,
                Audience::Conn(_) => false,
                Audience::Users(users) => users.contains(&c.user),
                Audience::Teachers => c.role == Role::Teacher,
                Audience::UsersAndTeachers(users) => c.role == Role::Teacher || users.contains(&c.user),
            };
            if let Some(outbox) = self.outboxes.get(&id).filter(|_| included) {
                outbox.send(frame.clone());
                sent += 1;
            }
        }
        count_out(frame.tag, sent);
    }

    fn to_readers(
        &self,
        core: &RoomCore,
        board: BoardId,
        except: Option<ConnId>,
        msg: &ServerMsg,
        anonymous: Option<&ServerMsg>,
    ) {
        let Some(b) = core.boards.get(board) else {
            return;
        };
        let access = core.access();
        let named = Frame::server(msg);
        let mut hidden_frame = None;
        let mut sent = 0;
        for (id, c) in core.conns.iter() {
            if Some(id) == except || !access.may_read_as(c.role, &c.user, &b.row) {
                continue;
            }
            let Some(outbox) = self.outboxes.get(&id) else {
                continue;
            };
            match anonymous {
                Some(anonymous) if access.names_hidden_as(c.role, &c.user, &b.row) => {
                    outbox.send(hidden_frame.get_or_insert_with(|| Frame::server(anonymous)).clone());
                }
                _ => {
                    outbox.send(named.clone());
                }
            }
            sent += 1;
        }
        count_out(named.tag, sent);
    }
}

/// A board's whole document as a `doc` frame, encoded once per delivery
/// round. A board that cannot be encoded is skipped: it is rebuilt from
/// storage once the command is handled, and the client can `sync` it.
fn doc_frame(cache: &mut HashMap<BoardId, Option<Frame>>, core: &RoomCore, board: BoardId) -> Option<Frame> {
    cache
        .entry(board)
        .or_insert_with(|| {
            let b = core.boards.get(board)?;
            match b.doc.state() {
                Ok(update) => Some(Frame::server(&ServerMsg::Doc { board, update })),
                Err(err) => {
                    tracing::error!(board, error = %err, "cannot encode a board");
                    None
                }
            }
        })
        .clone()
}

fn count_out(tag: &'static str, n: usize) {
    if n > 0 {
        metrics::counter!("jigsync_messages_total", "direction" => "out", "type" => tag).increment(n as u64);
    }
}
