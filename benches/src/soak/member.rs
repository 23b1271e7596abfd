//! One connection of the soak, as one task: a teacher watching a board, or
//! a student who chats now and then and, for a share of them, drags a piece
//! at the client-js rate and drops it every few seconds. On its turns the
//! connection is cut (the socket dropped without a close handshake, as a
//! lost Wi-Fi does) and opened again a moment later with `since` set to the
//! highest message seq it holds, as client-js resumes. Everything it
//! receives goes through its ledger; anything unexpected (an error frame, a
//! close from the server, a connection ending on its own) is an error.
//!
//! A single timer per task: the next event is whichever of pointer event,
//! trailing position, chat, cut, stop and end comes first, so 10,000 tasks
//! cost the runtime one sleep each.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use jigsync_schema::{decode, encode, ClientMsg, Message, MessageKind, Move, ServerMsg};
use tokio::sync::watch;
use tokio::time::sleep_until;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message as WsMessage;

use super::counters::{bump, Counters};
use super::ledger::MemberLedger;
use super::schedule::spread;
use crate::clock::Clock;
use crate::drag::pointer;
use crate::replica::Replica;
use crate::throttle::Throttle;

pub type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Per-piece rate of the client-js throttle.
const THROTTLE_HZ: f64 = 30.0;
/// A cut connection waits between these before it reconnects (a client's
/// backoff), so that messages are posted while it is away.
const AWAY_MS: (u64, u64) = (200, 1000);
/// Attempts to reconnect before giving up (each failure is an error).
const RECONNECT_ATTEMPTS: u32 = 20;

/// The run's clock and pace, shared by every connection.
#[derive(Clone)]
pub struct Pace {
    pub clock: Clock,
    /// Pointer events per second while dragging.
    pub drag_hz: f64,
    pub drop_every: Duration,
    pub chat_every: Duration,
    /// How long after the start everyone stops sending (they read on
    /// until told to finish).
    pub stop_after: Duration,
}

/// What a connection is.
#[derive(Clone, Debug)]
pub enum Part {
    /// A teacher, focused on one board.
    Teacher { focus: u32 },
    /// A student, who chats; `drags` when one of the draggers.
    Student { drags: Option<Board> },
}

/// The board a dragging student works on.
#[derive(Clone, Copy, Debug)]
pub struct Board {
    pub id: u32,
    pub pieces: u16,
    pub width: f32,
    pub height: f32,
}

/// Who a connection is and where it connects.
#[derive(Clone, Debug)]
pub struct Seat {
    /// Among all connections, for schedules.
    pub index: usize,
    pub room: usize,
    /// The room channel's URL with the token, without `since`.
    pub url: String,
    pub part: Part,
    /// Offsets from the start at which the connection is cut.
    pub cuts: Vec<Duration>,
    /// Leave the first chat received out of the ledger (a deliberate loss,
    /// to show that the check catches one).
    pub lose_one: bool,
}

/// A dragging student's state.
struct Dragging {
    board: Board,
    replica: Replica,
    throttle: Throttle,
    piece: u16,
    seq: u32,
    next_pointer: Instant,
    next_drop: Instant,
    period: Duration,
}

/// Small per-connection buffers: 10,000 clients of 128 KiB (the library's
/// default read buffer) would be more memory than the server's.
fn socket_config() -> WebSocketConfig {
    WebSocketConfig::default().read_buffer_size(4096).write_buffer_size(0)
}

/// Opens the room channel at `url`.
pub async fn open(url: &str) -> Result<Socket, String> {
    let (ws, _) = tokio_tungstenite::connect_async_with_config(url, Some(socket_config()), true)
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    Ok(ws)
}

pub struct Member {
    seat: Seat,
    pace: Pace,
    counters: Arc<Counters>,
    ledger: MemberLedger,
    /// Highest message seq held: the next resume starts after it.
    last_seq: u64,
    next_ref: u32,
    /// Refs of chats sent on this connection and not acknowledged yet.
    pending_chats: Vec<u32>,
    /// Refs of drops not acknowledged yet.
    pending_drops: Vec<u32>,
    drag: Option<Dragging>,
    /// The current socket was opened with `since`.
    resuming: bool,
}

enum Event {
    Pointer,
    Trailing,
    Chat,
    Cut,
    Stop,
    /// Nothing left to send: only frames, or the finish, can come.
    Nothing,
}

impl Member {
    pub fn new(seat: Seat, pace: Pace, counters: Arc<Counters>) -> Member {
        let ledger = MemberLedger { room: seat.room, ..MemberLedger::default() };
        // Ready before the run starts: the fresh welcome's `doc` fills the replica.
        let drag = match seat.part {
            Part::Student { drags: Some(board) } => Some(Dragging {
                board,
                replica: Replica::new(),
                throttle: Throttle::new(THROTTLE_HZ),
                piece: (seat.index % usize::from(board.pieces.max(1))) as u16,
                seq: 0,
                next_pointer: Instant::now(),
                next_drop: Instant::now(),
                period: Duration::from_secs_f64(1.0 / pace.drag_hz),
            }),
            _ => None,
        };
        Member {
            seat,
            pace,
            counters,
            ledger,
            last_seq: 0,
            next_ref: 1,
            pending_chats: Vec::new(),
            pending_drops: Vec::new(),
            drag,
            resuming: false,
        }
    }

    /// Reads `ws` until the run starts (`start` gets a value), then plays
    /// the part until `finish` turns true; returns the ledger.
    pub async fn run(
        mut self,
        ws: Socket,
        mut start: watch::Receiver<Option<Instant>>,
        finish: watch::Receiver<bool>,
    ) -> MemberLedger {
        self.counters.open(1);
        let mut ws = Some(ws);
        let begin = loop {
            if let Some(at) = *start.borrow_and_update() {
                break at;
            }
            let Some(socket) = ws.as_mut() else { return self.ledger };
            tokio::select! {
                changed = start.changed() => if changed.is_err() { return self.ledger },
                frame = socket.next() => if !self.received(frame) { ws = self.reconnect(ws.take(), false).await },
            }
        };
        self.play(ws, begin, finish).await;
        self.ledger
    }

    async fn play(&mut self, mut ws: Option<Socket>, begin: Instant, mut finish: watch::Receiver<bool>) {
        let stop = begin + self.pace.stop_after;
        // Later than any run: the timer when there is nothing to send.
        let never = stop + Duration::from_secs(86_400);
        let spread = spread(self.seat.index);
        let mut next_chat = begin + self.pace.chat_every.mul_f64(spread);
        let mut cuts = self.seat.cuts.iter().map(|&at| begin + at).collect::<Vec<_>>().into_iter();
        let mut next_cut = cuts.next();
        if let Some(d) = self.drag.as_mut() {
            d.next_pointer = begin + d.period.mul_f64(spread);
            d.next_drop = begin + self.pace.drop_every.mul_f64(0.5 + spread);
        }
        let chats = matches!(self.seat.part, Part::Student { .. });
        let mut sending = true;
        while let Some(socket) = ws.as_mut() {
            if *finish.borrow_and_update() {
                break;
            }
            let mut next = (never, Event::Nothing);
            let mut sooner = |at: Option<Instant>, event: Event| {
                if let Some(at) = at.filter(|&at| at < next.0) {
                    next = (at, event);
                }
            };
            if sending {
                sooner(Some(stop), Event::Stop);
                sooner(next_cut, Event::Cut);
                sooner(Some(next_chat).filter(|_| chats), Event::Chat);
                if let Some(d) = &self.drag {
                    sooner(Some(d.next_pointer), Event::Pointer);
                    sooner(d.throttle.deadline(), Event::Trailing);
                }
            }
            let (at, event) = next;
            let sent = tokio::select! {
                biased;
                _ = finish.changed() => break,
                frame = socket.next() => {
                    if !self.received(frame) {
                        ws = self.reconnect(ws.take(), false).await;
                    }
                    continue;
                }
                () = sleep_until(at.into()) => match event {
                    Event::Nothing => continue,
                    Event::Stop => {
                        sending = false;
                        Ok(())
                    }
                    Event::Cut => {
                        next_cut = cuts.next();
                        ws = self.reconnect(ws.take(), true).await;
                        continue;
                    }
                    Event::Chat => {
                        next_chat += self.pace.chat_every;
                        self.chat(socket).await
                    }
                    Event::Pointer => self.pointer(socket).await,
                    Event::Trailing => self.trailing(socket).await,
                },
            };
            if let Err(e) = sent {
                self.counters.error(|| format!("connection {}: send failed: {e}", self.seat.index));
                ws = self.reconnect(ws.take(), false).await;
            }
        }
        if let Some(mut socket) = ws {
            let _ = tokio::time::timeout(Duration::from_secs(1), socket.close(None)).await;
            self.counters.open(-1);
        }
    }

    fn take_ref(&mut self) -> u32 {
        let r = self.next_ref;
        self.next_ref = self.next_ref.wrapping_add(1);
        r
    }

    async fn chat(&mut self, socket: &mut Socket) -> Result<(), String> {
        let r = self.take_ref();
        self.pending_chats.push(r);
        bump(&self.counters.chats_sent);
        let text = format!("chat {r} from {}", self.seat.index);
        send(socket, &ClientMsg::Chat { r#ref: Some(r), text, upload: None }).await
    }

    /// A pointer event: the drop when it is due, else a position through
    /// the throttle.
    async fn pointer(&mut self, socket: &mut Socket) -> Result<(), String> {
        let now = Instant::now();
        let r = self.take_ref();
        let Some(d) = self.drag.as_mut() else { return Ok(()) };
        d.next_pointer += d.period;
        if d.next_pointer < now {
            // Behind (a busy generator): skip, as a browser coalesces pointer events.
            d.next_pointer = now + d.period;
        }
        let t = self.pace.clock.at(now) as f64 / 1e6;
        let (x, y) = pointer(self.seat.index, d.board.width, d.board.height, t);
        if now >= d.next_drop {
            let update = d.replica.place(d.piece, x, y);
            let msg = ClientMsg::Update { r#ref: Some(r), board: d.board.id, update, release: Some(d.piece) };
            d.throttle.end();
            d.piece = (d.piece + 1) % d.board.pieces.max(1);
            d.next_drop += self.pace.drop_every;
            self.pending_drops.push(r);
            bump(&self.counters.drops_sent);
            return send(socket, &msg).await;
        }
        match d.throttle.offer(now, x, y) {
            Some(at) => self.send_move(socket, at).await,
            None => Ok(()),
        }
    }

    async fn trailing(&mut self, socket: &mut Socket) -> Result<(), String> {
        match self.drag.as_mut().and_then(|d| d.throttle.take_due(Instant::now())) {
            Some(at) => self.send_move(socket, at).await,
            None => Ok(()),
        }
    }

    async fn send_move(&mut self, socket: &mut Socket, (x, y): (f32, f32)) -> Result<(), String> {
        let Some(d) = self.drag.as_mut() else { return Ok(()) };
        d.seq = d.seq.wrapping_add(1);
        let mv = Move { board: d.board.id, piece: d.piece, x, y, seq: d.seq, t: self.pace.clock.stamp() };
        bump(&self.counters.moves_sent);
        send(socket, &ClientMsg::Move(mv)).await
    }

    /// Handles one frame (or the end of the stream); false when the
    /// connection is gone.
    fn received(&mut self, frame: Option<Result<WsMessage, tokio_tungstenite::tungstenite::Error>>) -> bool {
        let index = self.seat.index;
        match frame {
            Some(Ok(WsMessage::Binary(bytes))) => match decode::<ServerMsg>(&bytes) {
                Ok(msg) => self.message(msg),
                Err(e) => self.counters.error(|| format!("connection {index}: undecodable frame: {e}")),
            },
            Some(Ok(WsMessage::Close(close))) => {
                self.counters.error(|| format!("connection {index}: closed by the server: {close:?}"));
                return false;
            }
            Some(Ok(_)) => {}
            Some(Err(e)) => {
                self.counters.error(|| format!("connection {index}: {e}"));
                return false;
            }
            None => {
                self.counters.error(|| format!("connection {index}: ended without a close frame"));
                return false;
            }
        }
        true
    }

    fn message(&mut self, msg: ServerMsg) {
        match msg {
            ServerMsg::Welcome { history, .. } => {
                let replayed = self.resuming;
                if replayed {
                    bump(&self.counters.resumes);
                }
                for m in history {
                    self.stored(m, replayed);
                }
            }
            ServerMsg::Msg(m) => self.stored(m, false),
            ServerMsg::Ack { r#ref: Some(r), seq } => {
                if let Some(at) = self.pending_chats.iter().position(|&p| p == r) {
                    self.pending_chats.swap_remove(at);
                    if let Some(seq) = seq {
                        self.ledger.acked.push(seq);
                        bump(&self.counters.chats_acked);
                    }
                } else if let Some(at) = self.pending_drops.iter().position(|&p| p == r) {
                    self.pending_drops.swap_remove(at);
                    bump(&self.counters.drops_acked);
                }
            }
            ServerMsg::Error { code, message, .. } => {
                let index = self.seat.index;
                self.counters.error(|| format!("connection {index}: error frame {code:?}: {message}"));
            }
            ServerMsg::Doc { board, update } | ServerMsg::Update { board, update, .. } => {
                if let Some(d) = self.drag.as_ref().filter(|d| d.board.id == board) {
                    d.replica.apply(&update);
                }
            }
            ServerMsg::Motion { moves } => {
                self.counters.moves_received.fetch_add(moves.len() as u64, std::sync::atomic::Ordering::Relaxed);
            }
            _ => {}
        }
    }

    /// A stored message, live or replayed by a resume.
    fn stored(&mut self, m: Message, replayed: bool) {
        self.last_seq = self.last_seq.max(m.seq);
        if m.kind != MessageKind::Chat {
            return;
        }
        if self.seat.lose_one {
            self.seat.lose_one = false;
            return;
        }
        bump(&self.counters.chats_received);
        if replayed {
            bump(&self.counters.chats_replayed);
        }
        self.ledger.seen.mark(m.seq);
    }

    /// Drops `old` (without a close handshake when `on_purpose`, as a lost
    /// network does), waits a client's backoff and connects again with
    /// `since`; then re-focuses (teacher) or asks for what its replica
    /// missed (dragger). `None` when every attempt failed.
    async fn reconnect(&mut self, old: Option<Socket>, on_purpose: bool) -> Option<Socket> {
        drop(old);
        self.counters.open(-1);
        if on_purpose {
            bump(&self.counters.reconnects);
        }
        let unacked = self.pending_chats.len() as u64;
        self.counters.chats_unacked.fetch_add(unacked, std::sync::atomic::Ordering::Relaxed);
        self.pending_chats.clear();
        self.pending_drops.clear();
        let (least, most) = AWAY_MS;
        let away = least + ((most - least) as f64 * spread(self.seat.index + self.next_ref as usize)) as u64;
        tokio::time::sleep(Duration::from_millis(away)).await;
        let url = format!("{}&since={}", self.seat.url, self.last_seq);
        for attempt in 1..=RECONNECT_ATTEMPTS {
            match open(&url).await {
                Ok(mut ws) => {
                    self.counters.open(1);
                    self.resuming = true;
                    if let Err(e) = self.after_resume(&mut ws).await {
                        self.counters.error(|| format!("connection {}: after resume: {e}", self.seat.index));
                    }
                    return Some(ws);
                }
                Err(e) => {
                    self.counters.error(|| format!("connection {}: reconnect {attempt}: {e}", self.seat.index));
                    tokio::time::sleep(Duration::from_millis(100 * u64::from(attempt))).await;
                }
            }
        }
        None
    }

    async fn after_resume(&mut self, ws: &mut Socket) -> Result<(), String> {
        match self.seat.part {
            Part::Teacher { focus } => send(ws, &ClientMsg::Focus { r#ref: None, board: Some(focus) }).await,
            Part::Student { drags: Some(board) } => {
                let r = self.take_ref();
                let Some(d) = self.drag.as_mut() else { return Ok(()) };
                d.throttle.end();
                let sv = d.replica.state_vector();
                send(ws, &ClientMsg::Sync { r#ref: Some(r), board: board.id, sv }).await
            }
            Part::Student { drags: None } => Ok(()),
        }
    }
}

pub async fn send(ws: &mut Socket, msg: &ClientMsg) -> Result<(), String> {
    ws.send(WsMessage::Binary(encode(msg).into())).await.map_err(|e| e.to_string())
}
