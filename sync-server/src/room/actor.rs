//! The room actor: membership, presence, chat, whispers, moderation and
//! ownership for one room.
//!
//! Every change follows the same path: build a storage batch, commit it (the
//! room waits: acknowledged means durable), then apply it to memory, answer
//! the requester and fan out. A failed commit changes nothing.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use jigsync_schema::limits::{MAX_RESUME_HISTORY, MAX_TEXT_CHARS, WELCOME_HISTORY};
use jigsync_schema::server::PresenceEvent;
use jigsync_schema::{
    BoardId, ClientMsg, CloseCode, Message, MessageKind, Participant, Ref, Role, RoomSummary, ServerMsg, SystemEvent,
    SystemEventKind,
};
use tokio::sync::mpsc;

use super::boards::{load_boards, Board, YjsConn};
use super::ownership::{can_moderate, next_owner, Candidate};
use super::{ConnectError, RoomCmd};
use crate::app::App;
use crate::connection::outbox::{ConnId, Frame, Outbox};
use crate::error::ApiError;
use crate::storage::{HistoryQuery, MemberRow, MemberStatus, PuzzleRow, RoomRow, StorageError, Write};
use crate::{ids, uploads};

/// How often soft locks are checked for silence.
const LOCK_SWEEP: std::time::Duration = std::time::Duration::from_secs(1);

pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

pub(super) struct Member {
    pub(super) row: MemberRow,
    conns: u32,
}

impl Member {
    fn participant(&self) -> Participant {
        Participant {
            id: self.row.user.clone(),
            name: self.row.name.clone(),
            role: self.row.role,
            color: self.row.display_color(),
            online: self.conns > 0,
        }
    }

    pub(super) fn active(&self) -> bool {
        self.row.status == MemberStatus::Active
    }
}

pub(super) struct Conn {
    pub(super) user: String,
    pub(super) outbox: Outbox,
    /// A teacher's focused board: its motion comes at full rate.
    pub(super) focus: Option<BoardId>,
}

/// Who sent the request being handled.
pub(super) struct Req {
    pub(super) conn: ConnId,
    pub(super) user: String,
    pub(super) r#ref: Option<Ref>,
}

/// A set of writes and the messages among them, committed together.
#[derive(Default)]
pub(super) struct Batch {
    pub(super) writes: Vec<Write>,
    pub(super) messages: Vec<Message>,
}

pub(super) struct RoomActor {
    pub(super) app: Arc<App>,
    pub(super) room: RoomRow,
    pub(super) members: HashMap<String, Member>,
    pub(super) conns: HashMap<ConnId, Conn>,
    pub(super) yjs: HashMap<ConnId, YjsConn>,
    next_seq: u64,
    closed: bool,
    /// The active puzzle and its boards.
    pub(super) puzzle: Option<PuzzleRow>,
    pub(super) boards: BTreeMap<BoardId, Board>,
    pub(super) next_puzzle_id: u32,
    pub(super) next_board_id: BoardId,
}

/// Runs the actor for `room_id` until it goes idle or the room closes.
pub async fn run(app: Arc<App>, room_id: String, generation: u64, mut rx: mpsc::Receiver<RoomCmd>) {
    metrics::gauge!("jigsync_rooms_live").increment(1.0);
    let refusal = match load(&app, &room_id).await {
        Ok(Some(mut actor)) => {
            actor.serve(&mut rx).await;
            actor.closed.then_some(ConnectError::RoomGone)
        }
        Ok(None) => Some(ConnectError::RoomGone),
        Err(err) => {
            tracing::error!(room = %room_id, error = %err, "cannot load room");
            Some(ConnectError::Unavailable)
        }
    };
    app.rooms.remove(&room_id, generation);
    rx.close();
    // Commands that raced with the stop: refuse them for good if the room is
    // gone; otherwise drop the reply so the caller retries on a new actor.
    while let Ok(cmd) = rx.try_recv() {
        if let Some(err) = &refusal {
            match cmd {
                RoomCmd::Connect { reply, .. } => {
                    let _ = reply.send(Err(err.clone()));
                }
                RoomCmd::AddMember { reply, .. } => {
                    let _ = reply.send(Err(ApiError::not_found(err.to_string())));
                }
                RoomCmd::StartPuzzle { reply, .. } | RoomCmd::ListBoards { reply, .. } => {
                    let _ = reply.send(Err(ApiError::not_found(err.to_string())));
                }
                RoomCmd::ConnectYjs { reply, .. } => {
                    let _ = reply.send(Err(err.clone()));
                }
                RoomCmd::Disconnect { .. }
                | RoomCmd::Request { .. }
                | RoomCmd::Yjs { .. }
                | RoomCmd::DisconnectYjs { .. }
                | RoomCmd::FailForTest
                | RoomCmd::FailNextBoardWriteForTest { .. } => {}
            }
        }
    }
    metrics::gauge!("jigsync_rooms_live").decrement(1.0);
}

async fn load(app: &Arc<App>, room_id: &str) -> Result<Option<RoomActor>, StorageError> {
    let Some(room) = app.storage.room(room_id).await? else {
        return Ok(None);
    };
    if room.closed_at.is_some() {
        return Ok(None);
    }
    let members = app.storage.members(room_id).await?;
    let next_seq = app.storage.last_seq(room_id).await? + 1;
    let (next_puzzle_id, next_board_id) = app.storage.last_ids(room_id).await?;
    let (puzzle, boards) = load_boards(app, room_id).await?;
    Ok(Some(RoomActor {
        app: app.clone(),
        room,
        members: members.into_iter().map(|row| (row.user.clone(), Member { row, conns: 0 })).collect(),
        conns: HashMap::new(),
        yjs: HashMap::new(),
        next_seq,
        closed: false,
        puzzle,
        boards,
        next_puzzle_id,
        next_board_id,
    }))
}

impl RoomActor {
    async fn serve(&mut self, rx: &mut mpsc::Receiver<RoomCmd>) {
        let idle = self.app.config.room_idle();
        let mut lock_sweep = tokio::time::interval(LOCK_SWEEP);
        while !self.closed {
            let idle_now = self.conns.is_empty() && self.yjs.is_empty();
            let sweep = self.has_locks();
            let cmd = tokio::select! {
                cmd = rx.recv() => cmd,
                () = tokio::time::sleep(idle), if idle_now => None,
                _ = lock_sweep.tick(), if sweep => {
                    self.expire_locks();
                    continue;
                }
            };
            let Some(cmd) = cmd else { return };
            self.handle(cmd).await;
            self.reload_poisoned().await;
        }
    }

    async fn handle(&mut self, cmd: RoomCmd) {
        match cmd {
            RoomCmd::Connect { user, outbox, since, reply } => {
                let _ = reply.send(self.connect(user, outbox, since).await);
            }
            RoomCmd::Disconnect { conn } => self.disconnect(conn),
            RoomCmd::Request { conn, msg } => self.request(conn, msg).await,
            RoomCmd::AddMember { name, role, reply } => {
                let _ = reply.send(self.add_member(name, role).await);
            }
            RoomCmd::StartPuzzle { by, spec, reply } => {
                let _ = reply.send(self.start_puzzle(&by, spec).await);
            }
            RoomCmd::ListBoards { user, reply } => {
                let _ = reply.send(Ok(self.board_list(&user)));
            }
            RoomCmd::ConnectYjs { user, board, outbox, reply } => {
                let _ = reply.send(self.connect_yjs(user, board, outbox));
            }
            RoomCmd::Yjs { conn, msg } => self.yjs_in(conn, msg).await,
            RoomCmd::DisconnectYjs { conn } => self.disconnect_yjs(conn),
            RoomCmd::FailForTest => panic!("room {} stopped on purpose by a test hook", self.room.id),
            RoomCmd::FailNextBoardWriteForTest { board, reply } => {
                let found = self.boards.get(&board).inspect(|b| b.doc.fail_next_write()).is_some();
                let _ = reply.send(found);
            }
        }
    }

    // ---- fan-out ----

    fn broadcast(&self, msg: &ServerMsg) {
        let frame = Frame::server(msg);
        for conn in self.conns.values() {
            conn.outbox.send(frame.clone());
        }
        count_out(frame.tag, self.conns.len());
    }

    fn broadcast_except(&self, except: ConnId, msg: &ServerMsg) {
        let frame = Frame::server(msg);
        let mut sent = 0;
        for (id, conn) in &self.conns {
            if *id != except {
                conn.outbox.send(frame.clone());
                sent += 1;
            }
        }
        count_out(frame.tag, sent);
    }

    fn send_to_users(&self, users: &[&str], msg: &ServerMsg) {
        let frame = Frame::server(msg);
        let mut sent = 0;
        for conn in self.conns.values().filter(|c| users.contains(&c.user.as_str())) {
            conn.outbox.send(frame.clone());
            sent += 1;
        }
        count_out(frame.tag, sent);
    }

    pub(super) fn reply(&self, conn: ConnId, msg: &ServerMsg) {
        if let Some(c) = self.conns.get(&conn) {
            c.outbox.send_msg(msg);
            count_out(msg.tag(), 1);
        }
    }

    // ---- state helpers ----

    fn active_count(&self) -> u32 {
        u32::try_from(self.members.values().filter(|m| m.active()).count()).unwrap_or(u32::MAX)
    }

    fn participants(&self) -> Vec<Participant> {
        let mut active: Vec<&Member> = self.members.values().filter(|m| m.active()).collect();
        active.sort_by(|a, b| (a.row.joined_at, &a.row.user).cmp(&(b.row.joined_at, &b.row.user)));
        active.into_iter().map(Member::participant).collect()
    }

    fn summary(&self) -> RoomSummary {
        RoomSummary {
            id: self.room.id.clone(),
            name: self.room.name.clone(),
            participants: self.active_count(),
            online: u32::try_from(self.members.values().filter(|m| m.active() && m.conns > 0).count())
                .unwrap_or(u32::MAX),
        }
    }

    fn presence(&self, event: PresenceEvent, user: &str) -> Option<ServerMsg> {
        let member = self.members.get(user)?;
        Some(ServerMsg::Presence { event, participant: member.participant(), count: self.active_count() })
    }

    pub(super) fn name_of(&self, user: &str) -> String {
        self.members.get(user).map_or_else(|| "someone".to_owned(), |m| m.row.name.clone())
    }

    fn is_owner(&self, user: &str) -> bool {
        self.room.owner.as_deref() == Some(user)
    }

    fn stage_message(&self, batch: &mut Batch, message: Message) {
        let seq = self.next_seq + batch.messages.len() as u64;
        let message = Message { seq, ..message };
        batch.writes.push(Write::Message { room: self.room.id.clone(), message: message.clone() });
        batch.messages.push(message);
    }

    pub(super) fn stage_system(
        &self,
        batch: &mut Batch,
        kind: SystemEventKind,
        user: &str,
        by: Option<&str>,
        text: String,
    ) {
        let event = SystemEvent { kind, user: user.to_owned(), by: by.map(str::to_owned) };
        self.stage_message(batch, new_message(MessageKind::System, None, None, text, None, Some(event)));
    }

    /// Commits the batch; on success the staged messages own their seqs.
    pub(super) async fn commit(&mut self, batch: &Batch) -> Result<(), ApiError> {
        self.app.storage.commit(&batch.writes).await?;
        self.next_seq += batch.messages.len() as u64;
        Ok(())
    }

    /// Sends committed messages to whoever may see them.
    pub(super) fn publish(&self, messages: Vec<Message>) {
        for message in messages {
            let recipients = match message.kind {
                MessageKind::Whisper => Some([message.from.clone(), message.to.clone()]),
                MessageKind::Chat | MessageKind::System => None,
            };
            let msg = ServerMsg::Msg(message);
            match recipients {
                Some([from, to]) => {
                    let users: Vec<&str> = [from.as_deref(), to.as_deref()].into_iter().flatten().collect();
                    self.send_to_users(&users, &msg);
                }
                None => self.broadcast(&msg),
            }
        }
    }

    fn update_lobby(&self) {
        self.app.lobby.update(self.summary());
    }

    // ---- connections ----

    async fn connect(&mut self, user: String, outbox: Outbox, since: Option<u64>) -> Result<(), ConnectError> {
        let status = self.members.get(&user).map(|m| m.row.status).ok_or(ConnectError::NotMember)?;
        match status {
            MemberStatus::Kicked => return Err(ConnectError::Kicked),
            MemberStatus::Left => self.rejoin(&user).await.map_err(|_| ConnectError::Unavailable)?,
            MemberStatus::Active => {}
        }
        let (limit, after) = match since {
            Some(seq) => (MAX_RESUME_HISTORY, Some(seq)),
            None => (WELCOME_HISTORY, None),
        };
        let query = HistoryQuery { viewer: &user, before: None, after, limit: limit + 1 };
        let mut history = self.app.storage.messages(&self.room.id, query).await.map_err(|err| {
            tracing::error!(room = %self.room.id, error = %err, "cannot read history");
            ConnectError::Unavailable
        })?;
        let truncated = history.len() > limit as usize;
        if truncated {
            history.remove(0);
        }
        let conn = outbox.id();
        let Some(member) = self.members.get_mut(&user) else {
            return Err(ConnectError::NotMember);
        };
        member.conns += 1;
        let came_online = member.conns == 1;
        self.conns.insert(conn, Conn { user: user.clone(), outbox, focus: None });
        let Some(member) = self.members.get(&user) else {
            return Err(ConnectError::NotMember);
        };
        let welcome = ServerMsg::Welcome {
            me: member.participant(),
            room: self.room.id.clone(),
            room_name: self.room.name.clone(),
            owner: self.room.owner.clone(),
            participants: self.participants(),
            history,
            truncated,
        };
        self.reply(conn, &welcome);
        if let Some(c) = self.conns.get(&conn) {
            // A resuming client asks for board diffs itself (`sync`).
            self.send_boards_to(c, since.is_none());
        }
        if came_online {
            if let Some(msg) = self.presence(PresenceEvent::Online, &user) {
                self.broadcast_except(conn, &msg);
            }
            self.update_lobby();
        }
        Ok(())
    }

    fn disconnect(&mut self, conn: ConnId) {
        let Some(Conn { user, .. }) = self.conns.remove(&conn) else {
            return;
        };
        self.release_locks_of(conn);
        let Some(member) = self.members.get_mut(&user) else {
            return;
        };
        member.conns = member.conns.saturating_sub(1);
        if member.conns == 0 && member.active() {
            if let Some(msg) = self.presence(PresenceEvent::Offline, &user) {
                self.broadcast(&msg);
            }
            self.update_lobby();
        }
    }

    async fn add_member(&mut self, name: String, role: Role) -> Result<MemberRow, ApiError> {
        let row = MemberRow {
            room: self.room.id.clone(),
            user: ids::user_id(),
            name,
            role,
            joined_at: now_ms(),
            status: MemberStatus::Active,
            // Every member ever (those who left included) counts, so colors are never reused in order.
            color: ids::member_color(self.members.len()),
        };
        self.admit(row.clone()).await?;
        Ok(row)
    }

    async fn rejoin(&mut self, user: &str) -> Result<(), ApiError> {
        let Some(member) = self.members.get(user) else {
            return Err(ApiError::not_found("no such participant"));
        };
        let row = MemberRow { joined_at: now_ms(), status: MemberStatus::Active, ..member.row.clone() };
        self.admit(row).await
    }

    /// Makes `row` an active member, with a system message and a presence
    /// event.
    async fn admit(&mut self, row: MemberRow) -> Result<(), ApiError> {
        let mut batch = Batch::default();
        let text = format!("{} joined", row.name);
        self.stage_system(&mut batch, SystemEventKind::Join, &row.user, None, text);
        batch.writes.push(Write::Member(row.clone()));
        let mut became_owner = false;
        if self.room.owner.is_none() && row.role == Role::Teacher {
            // A room whose last owner left gets its next teacher as owner.
            let text = format!("{} is now the room owner", row.name);
            self.stage_system(&mut batch, SystemEventKind::Owner, &row.user, None, text);
            batch.writes.push(Write::Owner { room: self.room.id.clone(), owner: Some(row.user.clone()) });
            became_owner = true;
        }
        let board_ids_before = self.next_board_id;
        let own_board = self.stage_own_board(&mut batch, &row.user, row.role);
        if let Err(err) = self.commit(&batch).await {
            self.next_board_id = board_ids_before;
            return Err(err);
        }
        if let Some(board) = own_board {
            let (id, state) = (board.row.id, board.doc.state());
            self.boards.insert(id, board);
            self.send_board_lists();
            if let Ok(update) = state {
                let doc = Frame::server(&ServerMsg::Doc { board: id, update });
                for c in self
                    .conns
                    .values()
                    .filter(|c| self.members.get(&c.user).is_some_and(|m| m.row.role == Role::Teacher))
                {
                    c.outbox.send(doc.clone());
                }
            }
        }
        let user = row.user.clone();
        let conns = self.members.get(&user).map_or(0, |m| m.conns);
        self.members.insert(user.clone(), Member { row, conns });
        if became_owner {
            self.room.owner = Some(user.clone());
            self.broadcast(&ServerMsg::Owner { user: Some(user.clone()) });
        }
        if let Some(msg) = self.presence(PresenceEvent::Join, &user) {
            self.broadcast(&msg);
        }
        self.publish(batch.messages);
        self.update_lobby();
        Ok(())
    }

    // ---- requests ----

    async fn request(&mut self, conn: ConnId, msg: ClientMsg) {
        let Some(user) = self.conns.get(&conn).map(|c| c.user.clone()) else {
            return;
        };
        let req = Req { conn, user, r#ref: msg.request_ref() };
        let result = match msg {
            ClientMsg::Chat { text, upload, .. } => self.chat(&req, text, upload).await,
            ClientMsg::Whisper { to, text, .. } => self.whisper(&req, to, text).await,
            ClientMsg::Kick { user: target, .. } => self.kick(&req, &target).await,
            ClientMsg::TransferOwner { user: target, .. } => self.transfer_owner(&req, &target).await,
            ClientMsg::Leave { .. } => self.leave(&req).await,
            ClientMsg::CloseRoom { .. } => self.close_room(&req).await,
            ClientMsg::Sync { board, sv, .. } => self.sync(&req, board, &sv),
            ClientMsg::Grab { board, piece, .. } => self.grab(&req, board, piece),
            ClientMsg::Move(mv) => self.motion(conn, &req.user, mv),
            ClientMsg::Update { board, update, release, .. } => self.board_update(&req, board, &update, release).await,
            ClientMsg::Focus { board, .. } => self.focus(&req, board),
            ClientMsg::Lock { board, locked, .. } => self.lock(&req, board, locked).await,
            ClientMsg::Spotlight { board, hide_names, .. } => self.spotlight(&req, board, hide_names).await,
            ClientMsg::Reset { board, .. } => self.reset(&req, board).await,
        };
        if let Err(err) = result {
            metrics::counter!("jigsync_rejected_total", "code" => err.code.as_str()).increment(1);
            self.reply(conn, &ServerMsg::Error { r#ref: req.r#ref, code: err.code, message: err.message });
        }
        let user = req.user;
        // Closing only now puts the close frame behind the reply above.
        if self.closed {
            for c in self.conns.values() {
                c.outbox.close(CloseCode::RoomGone, "the room was closed");
            }
            for c in self.yjs.values() {
                c.outbox.close(CloseCode::RoomGone, "the room was closed");
            }
        } else if self.departed(&user) {
            for c in self.conns.values().filter(|c| c.user == user) {
                c.outbox.close(CloseCode::Normal, "left the room");
            }
            self.conns.retain(|_, c| c.user != user);
        }
    }

    /// Acknowledges a committed request, before its effects fan out, so the
    /// requester learns its seq first.
    fn ack(&self, req: &Req, batch: &Batch) {
        let seq = batch.messages.first().map(|m| m.seq);
        self.reply(req.conn, &ServerMsg::Ack { r#ref: req.r#ref, seq });
    }

    fn departed(&self, user: &str) -> bool {
        self.members.get(user).is_some_and(|m| !m.active())
    }

    async fn chat(&mut self, req: &Req, text: String, upload: Option<String>) -> Result<(), ApiError> {
        let user = req.user.as_str();
        let text = crate::validate::text(&text, MAX_TEXT_CHARS, upload.is_some())?;
        let attachment = match upload {
            Some(id) => {
                let row = if uploads::is_content_id(&id) { self.app.storage.upload(&id).await? } else { None };
                let row = row.ok_or_else(|| ApiError::not_found("no such upload"))?;
                Some(uploads::attachment(&row.id, &row.content_type))
            }
            None => None,
        };
        let mut batch = Batch::default();
        self.stage_message(&mut batch, new_message(MessageKind::Chat, Some(user), None, text, attachment, None));
        self.commit(&batch).await?;
        self.ack(req, &batch);
        self.publish(batch.messages);
        Ok(())
    }

    async fn whisper(&mut self, req: &Req, to: String, text: String) -> Result<(), ApiError> {
        let user = req.user.as_str();
        let text = crate::validate::text(&text, MAX_TEXT_CHARS, false)?;
        if to == user {
            return Err(ApiError::invalid("cannot whisper to yourself"));
        }
        if !self.members.get(&to).is_some_and(Member::active) {
            return Err(ApiError::not_found("no such participant"));
        }
        let mut batch = Batch::default();
        self.stage_message(&mut batch, new_message(MessageKind::Whisper, Some(user), Some(&to), text, None, None));
        self.commit(&batch).await?;
        self.ack(req, &batch);
        self.publish(batch.messages);
        Ok(())
    }

    fn require_moderator(&self, user: &str) -> Result<(), ApiError> {
        let role = self.members.get(user).map_or(Role::Student, |m| m.row.role);
        if can_moderate(role, self.is_owner(user)) {
            Ok(())
        } else {
            Err(ApiError::forbidden("only teachers may do this"))
        }
    }

    fn require_owner(&self, user: &str) -> Result<(), ApiError> {
        if self.is_owner(user) {
            Ok(())
        } else {
            Err(ApiError::forbidden("only the room owner may do this"))
        }
    }

    fn active_target(&self, target: &str) -> Result<&Member, ApiError> {
        self.members.get(target).filter(|m| m.active()).ok_or_else(|| ApiError::not_found("no such participant"))
    }

    async fn kick(&mut self, req: &Req, target: &str) -> Result<(), ApiError> {
        let user = req.user.as_str();
        self.require_moderator(user)?;
        let member = self.active_target(target)?;
        if target == user {
            return Err(ApiError::invalid("use leave to leave the room"));
        }
        if self.is_owner(target) {
            return Err(ApiError::forbidden("the room owner cannot be removed"));
        }
        if member.row.role == Role::Teacher && !self.is_owner(user) {
            return Err(ApiError::forbidden("only the room owner may remove a teacher"));
        }
        let row = MemberRow { status: MemberStatus::Kicked, ..member.row.clone() };
        let mut batch = Batch::default();
        let text = format!("{} was removed by {}", row.name, self.name_of(user));
        self.stage_system(&mut batch, SystemEventKind::Kick, target, Some(user), text);
        batch.writes.push(Write::Member(row.clone()));
        self.commit(&batch).await?;
        self.ack(req, &batch);
        for conn in self.conns.values().filter(|c| c.user == target) {
            conn.outbox.close(CloseCode::Forbidden, "removed from the room by a teacher");
        }
        self.conns.retain(|_, c| c.user != target);
        self.members.insert(target.to_owned(), Member { row, conns: 0 });
        self.prune_yjs();
        if let Some(msg) = self.presence(PresenceEvent::Leave, target) {
            self.broadcast(&msg);
        }
        self.update_lobby();
        self.publish(batch.messages);
        Ok(())
    }

    async fn transfer_owner(&mut self, req: &Req, target: &str) -> Result<(), ApiError> {
        let user = req.user.as_str();
        self.require_owner(user)?;
        self.active_target(target)?;
        if target == user {
            return Err(ApiError::invalid("you already own this room"));
        }
        let mut batch = Batch::default();
        let text = format!("{} is now the room owner", self.name_of(target));
        self.stage_system(&mut batch, SystemEventKind::Owner, target, Some(user), text);
        batch.writes.push(Write::Owner { room: self.room.id.clone(), owner: Some(target.to_owned()) });
        self.commit(&batch).await?;
        self.ack(req, &batch);
        self.room.owner = Some(target.to_owned());
        self.broadcast(&ServerMsg::Owner { user: Some(target.to_owned()) });
        self.publish(batch.messages);
        Ok(())
    }

    async fn leave(&mut self, req: &Req) -> Result<(), ApiError> {
        let user = req.user.as_str();
        let member = self.active_target(user)?;
        let row = MemberRow { status: MemberStatus::Left, ..member.row.clone() };
        let mut batch = Batch::default();
        self.stage_system(&mut batch, SystemEventKind::Leave, user, None, format!("{} left", row.name));
        batch.writes.push(Write::Member(row.clone()));
        let successor = if self.is_owner(user) { Some(self.successor(user)) } else { None };
        if let Some(next) = &successor {
            if let Some(next) = next {
                let text = format!("{} is now the room owner", self.name_of(next));
                self.stage_system(&mut batch, SystemEventKind::Owner, next, Some(user), text);
            }
            batch.writes.push(Write::Owner { room: self.room.id.clone(), owner: next.clone() });
        }
        self.commit(&batch).await?;
        self.ack(req, &batch);
        // The leaver's connections close once the request is answered.
        self.members.insert(user.to_owned(), Member { row, conns: 0 });
        self.prune_yjs();
        if let Some(msg) = self.presence(PresenceEvent::Leave, user) {
            self.broadcast(&msg);
        }
        if let Some(next) = successor {
            self.room.owner = next.clone();
            self.broadcast(&ServerMsg::Owner { user: next });
        }
        self.publish(batch.messages);
        self.update_lobby();
        Ok(())
    }

    fn successor(&self, leaving: &str) -> Option<String> {
        let candidates: Vec<Candidate<'_>> = self
            .members
            .values()
            .filter(|m| m.active() && m.row.user != leaving)
            .map(|m| Candidate { user: &m.row.user, role: m.row.role, online: m.conns > 0, joined_at: m.row.joined_at })
            .collect();
        next_owner(&candidates).map(str::to_owned)
    }

    async fn close_room(&mut self, req: &Req) -> Result<(), ApiError> {
        let user = req.user.as_str();
        self.require_owner(user)?;
        let at = now_ms();
        let mut batch = Batch::default();
        let text = format!("{} closed the room", self.name_of(user));
        self.stage_system(&mut batch, SystemEventKind::Closed, user, Some(user), text);
        batch.writes.push(Write::CloseRoom { room: self.room.id.clone(), at });
        self.commit(&batch).await?;
        self.ack(req, &batch);
        self.publish(batch.messages);
        self.room.closed_at = Some(at);
        self.closed = true;
        self.app.lobby.closed(&self.room.id);
        Ok(())
    }
}

fn new_message(
    kind: MessageKind,
    from: Option<&str>,
    to: Option<&str>,
    text: String,
    upload: Option<jigsync_schema::Attachment>,
    event: Option<SystemEvent>,
) -> Message {
    Message {
        seq: 0,
        ts: now_ms(),
        kind,
        from: from.map(str::to_owned),
        to: to.map(str::to_owned),
        text,
        upload,
        event,
    }
}

fn count_out(tag: &'static str, n: usize) {
    if n > 0 {
        metrics::counter!("jigsync_messages_total", "direction" => "out", "type" => tag).increment(n as u64);
    }
}
