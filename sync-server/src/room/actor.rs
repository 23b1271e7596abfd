//! The room actor: one task per live room, a thin loop around the room's
//! core. For every command: stage it in the core, commit its writes (the
//! room waits: acknowledged means durable), then apply it to the core and
//! deliver its effects through the audience seam. Always in that order: a
//! failed commit applies nothing, and the only thing staging may have
//! touched, a board document, is rebuilt from storage after the command.

use std::sync::Arc;
use std::time::Duration;

use jigsync_schema::limits::{MAX_RESUME_HISTORY, WELCOME_HISTORY};
use jigsync_schema::{ClientMsg, Ref, Role, ServerMsg};
use tokio::sync::{mpsc, oneshot};

use super::audience::Deliveries;
use super::core::admission::{Admission, ConnectError};
use super::core::board::Board;
use super::core::effects::Effect;
use super::core::posts::{is_post, Post, Posts, MAX_POSTS};
use super::core::snapshot::snapshot;
use super::core::staged::Staged;
use super::core::{Ctx, Input, RoomCore};
use super::env::RoomEnv;
use super::lease::{self, Hold, NotHere};
use super::motion_table::MotionTable;
use super::start_stop::{load, release, stop};
use super::{Location, RoomCmd};
use crate::clock::now_ms;
use crate::error::ApiError;
use crate::outbox::{ConnId, Outbox};
use crate::storage::{HistoryQuery, StorageError, Write};
use crate::{ids, uploads};

/// How often soft locks are checked for silence.
const LOCK_SWEEP: Duration = Duration::from_secs(1);

/// Counts the room in `jigsync_rooms_live` for as long as it lives, however
/// its task ends.
struct Live;

impl Live {
    fn new() -> Live {
        metrics::gauge!("jigsync_rooms_live").increment(1.0);
        Live
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        metrics::gauge!("jigsync_rooms_live").decrement(1.0);
    }
}

struct Actor {
    env: Arc<RoomEnv>,
    core: RoomCore,
    deliveries: Deliveries,
    /// The room's lease, with several nodes.
    lease: Option<Hold>,
    /// The lease is gone (another node took the room): stop serving.
    lost: bool,
    /// The room was deleted: stop serving it.
    deleted: bool,
    /// Another node asked for the room while nobody was connected here:
    /// answered once the lease is given back.
    handing_over: Option<oneshot::Sender<bool>>,
}

/// Runs the actor for `room_id` until it goes idle, the room closes or the
/// server shuts down.
/// `motion`: the table the room's sessions relay held pieces' moves through.
pub async fn run(env: Arc<RoomEnv>, room_id: String, mut rx: mpsc::Receiver<RoomCmd>, motion: Arc<MotionTable>) {
    let _live = Live::new();
    let lease = match lease::claim(&env, &room_id).await {
        Ok(lease) => lease,
        Err(not_here) => {
            let err = match not_here {
                NotHere::Elsewhere(node) => ConnectError::Elsewhere(node),
                NotHere::NoSuchRoom => ConnectError::RoomGone,
                NotHere::Unavailable => ConnectError::Unavailable,
            };
            stop(rx, Some(err));
            return;
        }
    };
    let refusal = match load(&env, &room_id).await {
        Ok(Some(core)) => {
            let mut actor = Actor {
                env,
                core,
                deliveries: Deliveries::new(motion),
                lease,
                lost: false,
                deleted: false,
                handing_over: None,
            };
            actor.serve(&mut rx).await;
            if !actor.deleted && !actor.lost {
                // Until now someone may have been connected: retention
                // counts the room's idle time from here.
                if let Err(err) = actor.env.storage.record_activity(&room_id, now_ms()).await {
                    tracing::warn!(room = %room_id, error = %err, "cannot record the room's last activity");
                }
            }
            let released = release(actor.lease.take().filter(|_| !actor.lost)).await;
            if let Some(reply) = actor.handing_over.take() {
                // Commands that raced with the hand-over are dropped below
                // and retried by their callers, which then find the room's
                // new node.
                let _ = reply.send(released);
            }
            if actor.core.closed() || actor.deleted {
                Some(ConnectError::RoomGone)
            } else {
                (actor.lost || actor.env.shutdown.is_cancelled()).then_some(ConnectError::Unavailable)
            }
        }
        Ok(None) => {
            let _ = release(lease).await;
            Some(ConnectError::RoomGone)
        }
        Err(err) => {
            tracing::error!(room = %room_id, error = %err, "cannot load room");
            let _ = release(lease).await;
            Some(ConnectError::Unavailable)
        }
    };
    stop(rx, refusal);
}

/// `first` and the posts queued right behind it (up to [`MAX_POSTS`]), and
/// the command that ended the run of posts, if one did.
fn queued_posts(
    first: (ConnId, ClientMsg),
    rx: &mut mpsc::Receiver<RoomCmd>,
) -> (Vec<(ConnId, ClientMsg)>, Option<RoomCmd>) {
    let mut posts = vec![first];
    while posts.len() < MAX_POSTS {
        match rx.try_recv() {
            Ok(RoomCmd::Request { conn, msg }) if is_post(&msg) => posts.push((conn, msg)),
            Ok(other) => return (posts, Some(other)),
            Err(_) => break,
        }
    }
    (posts, None)
}

impl Actor {
    async fn serve(&mut self, rx: &mut mpsc::Receiver<RoomCmd>) {
        let mut lock_sweep = tokio::time::interval(LOCK_SWEEP);
        let renew_every = self.lease.as_ref().map_or(LOCK_SWEEP, Hold::renew_every);
        let mut renew = tokio::time::interval_at(tokio::time::Instant::now() + renew_every, renew_every);
        while !self.core.closed() && !self.lost && !self.deleted && self.handing_over.is_none() {
            let (idle, locks, leased) = (self.core.idle(), self.core.has_locks(), self.lease.is_some());
            let cmd = tokio::select! {
                cmd = rx.recv() => cmd,
                () = tokio::time::sleep(self.env.idle), if idle => None,
                () = self.env.shutdown.cancelled() => None,
                _ = lock_sweep.tick(), if locks => {
                    let _ = self.run(Input::ExpireLocks).await;
                    continue;
                }
                _ = renew.tick(), if leased => {
                    let held = match self.lease.as_mut() {
                        Some(lease) => lease.renew().await,
                        None => true,
                    };
                    if !held {
                        self.lose_room();
                    }
                    continue;
                }
            };
            let Some(cmd) = cmd else { return };
            match cmd {
                RoomCmd::Request { conn, msg } if is_post(&msg) => {
                    let (posts, next) = queued_posts((conn, msg), rx);
                    let senders: Vec<ConnId> = posts.iter().map(|(conn, _)| *conn).collect();
                    self.posts(posts).await;
                    for conn in senders {
                        self.deliveries.motion_table().handled(conn);
                    }
                    if let Some(next) = next {
                        self.handle_in_turn(next).await;
                    }
                }
                cmd => self.handle_in_turn(cmd).await,
            }
            self.rebuild_stale_boards().await;
            self.deliveries.sync_motion(&self.core);
        }
    }

    /// Handles `cmd`; a request's connection may then relay its moves
    /// itself again (once nothing else of it waits here).
    async fn handle_in_turn(&mut self, cmd: RoomCmd) {
        let request_of = match &cmd {
            RoomCmd::Request { conn, .. } => Some(*conn),
            _ => None,
        };
        self.handle(cmd).await;
        if let Some(conn) = request_of {
            self.deliveries.motion_table().handled(conn);
        }
    }

    /// Another node owns the room now: this node must not serve it. Every
    /// connection closes with 1001, and its client reconnects (through the
    /// load balancer) to the new owner.
    fn lose_room(&mut self) {
        self.lost = true;
        self.deliveries.close_all(jigsync_schema::CloseCode::GoingAway, "the room moved to another node; reconnect");
    }

    async fn handle(&mut self, cmd: RoomCmd) {
        match cmd {
            RoomCmd::Connect { user, outbox, since, reply } => {
                let _ = reply.send(self.connect(user, outbox, since).await);
            }
            RoomCmd::Disconnect { conn } => self.disconnect(conn, Input::Disconnect(conn)).await,
            RoomCmd::Request { conn, msg } => self.request(conn, msg).await,
            RoomCmd::AddMember { name, role, reply } => {
                let row = self.core.new_member(ids::user_id(), name, role, Ctx::now().now_ms);
                let _ = reply.send(self.run(Input::Admit(row.clone())).await.map(|()| row));
            }
            RoomCmd::StartPuzzle { by, spec, reply } => {
                let result = self.run(Input::StartPuzzle { by: by.clone(), spec }).await;
                let _ = reply.send(result.map(|()| self.core.board_list(&by)));
            }
            RoomCmd::ListBoards { user, reply } => {
                let _ = reply.send(Ok(self.core.board_list(&user)));
            }
            RoomCmd::ConnectYjs { user, board, outbox, reply } => {
                let _ = reply.send(self.connect_yjs(user, board, outbox).await);
            }
            RoomCmd::Yjs { conn, msg } => {
                if let Err(err) = self.run(Input::Yjs { conn, msg }).await {
                    // Yjs clients have no error channel: a refused message is
                    // dropped (and not forwarded anywhere).
                    metrics::counter!("jigsync_rejected_total", "code" => err.code.as_str()).increment(1);
                    tracing::debug!(room = %self.core.room.id, error = %err.message, "Yjs message refused");
                }
            }
            RoomCmd::DisconnectYjs { conn } => self.disconnect(conn, Input::DisconnectYjs(conn)).await,
            RoomCmd::CloseIdle { reply } => {
                // Someone connected since the room was found idle: it stays.
                let closed = self.core.idle() && self.run(Input::CloseIdle).await.is_ok();
                let _ = reply.send(closed);
            }
            RoomCmd::Delete { reply } => {
                let _ = reply.send(self.delete().await);
            }
            RoomCmd::FailForTest => panic!("room {} stopped on purpose by a test hook", self.core.room.id),
            RoomCmd::StallForTest(pause) => tokio::time::sleep(pause).await,
            RoomCmd::FailNextBoardWriteForTest { board, reply } => {
                let found = self.core.boards.get(board).inspect(|b| b.doc.fail_next_write()).is_some();
                let _ = reply.send(found);
            }
            RoomCmd::Snapshot { reply } => {
                let _ = reply.send(snapshot(&self.core));
            }
            RoomCmd::Locate { reply } => {
                let _ = reply.send(Location::Here);
            }
            RoomCmd::HandOver { reply } => {
                // A room somebody is connected to stays: moving it would
                // cut their connections.
                if self.core.idle() && self.lease.is_some() {
                    self.handing_over = Some(reply);
                } else {
                    let _ = reply.send(false);
                }
            }
        }
    }

    /// Stage, commit, apply, deliver. A refusal or a failed commit changes
    /// nothing and is returned.
    async fn run(&mut self, input: Input) -> Result<(), ApiError> {
        self.deliveries.motion_table().refresh_holds(&mut self.core);
        let staged = self.core.stage(input, &Ctx::now())?;
        self.commit_and_apply(staged).await
    }

    /// Chat and whispers that queued up together: staged as one change and
    /// committed in one transaction, each answered on its own.
    async fn posts(&mut self, posts: Vec<(ConnId, ClientMsg)>) {
        let mut ready = Vec::with_capacity(posts.len());
        for (conn, msg) in posts {
            match self.upload_of(&msg).await {
                Ok(upload) => ready.push(Post { conn, msg, upload }),
                Err(err) => self.refuse_request(conn, msg.request_ref(), err),
            }
        }
        let Posts { staged, accepted, refused } = self.core.stage_posts(ready, &Ctx::now());
        for (conn, r#ref, err) in refused {
            self.refuse_request(conn, r#ref, err);
        }
        if let Err(err) = self.commit_and_apply(staged).await {
            for (conn, r#ref) in accepted {
                self.refuse_request(conn, r#ref, err.clone());
            }
        }
    }

    /// Commit, apply, deliver.
    async fn commit_and_apply(&mut self, mut staged: Staged) -> Result<(), ApiError> {
        if !staged.writes.is_empty() {
            if let Some(lease) = &self.lease {
                staged.writes.insert(0, Write::Fence(lease.fence().clone()));
            }
            if let Err(err) = self.env.storage.commit(&staged.writes).await {
                self.core.abort(&staged);
                if let StorageError::Fenced(_) = err {
                    // Nothing is acknowledged; the new owner serves the room.
                    self.lose_room();
                    return Err(ApiError::unavailable());
                }
                self.resync().await;
                return Err(err.into());
            }
        }
        let effects = self.core.apply(staged);
        for effect in self.deliveries.deliver(effects, &self.core) {
            self.outside(effect);
        }
        Ok(())
    }

    /// Effects that are not deliveries to the room's connections.
    fn outside(&self, effect: Effect) {
        match effect {
            Effect::Lobby(summary) => self.env.lobby.update(summary),
            Effect::LobbyClosed => self.env.lobby.closed(&self.core.room.id),
            Effect::Compact { board, upto, state } => {
                let (storage, room) = (self.env.storage.clone(), self.core.room.id.clone());
                self.env.tasks.spawn(async move {
                    if let Err(err) = storage.compact_board(&room, board, upto, &state).await {
                        tracing::warn!(room = %room, board, error = %err, "board compaction failed; will retry later");
                    }
                });
            }
            _ => {}
        }
    }

    /// Deletes the room under this actor's fence, so that nothing it commits
    /// can land after the deletion, and no other node can be serving it.
    async fn delete(&mut self) -> Result<Vec<String>, ConnectError> {
        let room = self.core.room.id.clone();
        let fence = self.lease.as_ref().map(|lease| lease.fence().clone());
        match self.env.storage.delete_room(&room, fence.as_ref()).await {
            Ok(unused) => {
                self.deleted = true;
                self.deliveries.close_all(jigsync_schema::CloseCode::RoomGone, "the class was deleted");
                self.env.lobby.closed(&room);
                unused.ok_or(ConnectError::RoomGone)
            }
            Err(StorageError::Fenced(_)) => {
                self.lose_room();
                Err(ConnectError::Unavailable)
            }
            Err(err) => {
                tracing::error!(room = %room, error = %err, "cannot delete the room");
                Err(ConnectError::Unavailable)
            }
        }
    }

    /// After a failed commit: the sequence numbers storage holds, so a clash
    /// (another writer took a number) cannot repeat forever.
    async fn resync(&mut self) {
        let room = self.core.room.id.clone();
        match (self.env.storage.last_seq(&room).await, self.env.storage.last_ids(&room).await) {
            (Ok(seq), Ok(ids)) => self.core.resync(seq, ids),
            (Err(err), _) | (_, Err(err)) => {
                tracing::warn!(room = %room, error = %err, "cannot re-read sequence numbers after a failed commit")
            }
        }
    }

    /// Rebuilds from storage every board whose document holds what storage
    /// does not (a write refused after applying, a failed commit, a panic
    /// in yrs).
    async fn rebuild_stale_boards(&mut self) {
        if !self.core.boards.iter().any(|b| b.needs_rebuild()) {
            return;
        }
        for row in self.core.boards_to_rebuild() {
            let room = self.core.room.id.clone();
            let (id, log) = (row.id, self.env.storage.board_log(&room, row.id).await);
            match log.and_then(|log| Board::from_log(row, log)) {
                Ok(fresh) => self.core.rebuilt(fresh),
                Err(err) => tracing::error!(room = %room, board = id, error = %err, "cannot rebuild board"),
            }
        }
    }

    async fn connect(&mut self, user: String, outbox: Outbox, since: Option<u64>) -> Result<(), ConnectError> {
        if self.core.admission(&user)? == Admission::Rejoin {
            self.run(Input::Rejoin(user.clone())).await.map_err(|_| ConnectError::Unavailable)?;
        }
        let (limit, after) = match since {
            Some(seq) => (MAX_RESUME_HISTORY, Some(seq)),
            None => (WELCOME_HISTORY, None),
        };
        let all_whispers = self.core.roster.role_of(&user) == Role::Teacher;
        let query = HistoryQuery { viewer: &user, all_whispers, before: None, after, limit: limit + 1 };
        let mut history = self.env.storage.messages(&self.core.room.id, query).await.map_err(|err| {
            tracing::error!(room = %self.core.room.id, error = %err, "cannot read history");
            ConnectError::Unavailable
        })?;
        let truncated = history.len() > limit as usize;
        if truncated {
            history.remove(0);
        }
        let conn = outbox.id();
        self.deliveries.add(outbox);
        let upload_grant = self.env.keys.upload_grant(&self.core.room.id);
        let input = Input::Connect { conn, user, history, truncated, resume: since.is_some(), upload_grant };
        self.run(input).await.map_err(|_| ConnectError::Unavailable)
    }

    async fn connect_yjs(&mut self, user: String, board: u32, outbox: Outbox) -> Result<(), ConnectError> {
        self.core.admit_yjs(&user, board)?;
        let conn = outbox.id();
        self.deliveries.add(outbox);
        self.run(Input::ConnectYjs { conn, user, board }).await.map_err(|_| {
            self.deliveries.remove(conn);
            ConnectError::Unavailable
        })
    }

    async fn disconnect(&mut self, conn: ConnId, input: Input) {
        let _ = self.run(input).await;
        self.deliveries.remove(conn);
    }

    async fn request(&mut self, conn: ConnId, msg: ClientMsg) {
        let r#ref = msg.request_ref();
        let result = match self.upload_of(&msg).await {
            Ok(upload) => self.run(Input::Request { conn, msg, upload }).await,
            Err(err) => Err(err),
        };
        if let Err(err) = result {
            self.refuse_request(conn, r#ref, err);
        }
    }

    /// Answers a room-channel request with its error.
    fn refuse_request(&mut self, conn: ConnId, r#ref: Option<Ref>, err: ApiError) {
        metrics::counter!("jigsync_rejected_total", "code" => err.code.as_str()).increment(1);
        let reply = ServerMsg::Error { r#ref, code: err.code, message: err.message };
        self.deliveries.deliver([Effect::Send(super::core::effects::Audience::Conn(conn), reply)], &self.core);
    }

    /// The picture a chat message attaches, looked up before the core sees
    /// the message: one posted to (or already used by) this room, so that
    /// knowing another room's upload id does not make it this room's.
    async fn upload_of(&self, msg: &ClientMsg) -> Result<Option<jigsync_schema::Attachment>, ApiError> {
        let ClientMsg::Chat { upload: Some(id), .. } = msg else {
            return Ok(None);
        };
        let room = &self.core.room.id;
        let row = if uploads::is_content_id(id) { self.env.storage.room_upload(room, id).await? } else { None };
        let row = row.ok_or_else(|| ApiError::not_found("no such upload"))?;
        Ok(Some(uploads::attachment(&row.id, &row.content_type)))
    }
}
