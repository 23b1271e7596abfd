//! One room-channel connection: authenticate, join the room actor, then read
//! requests until the socket closes. Decoding, size limits and rate limits are
//! checked here so the room actor only sees well-formed, admitted requests.
//! A drag position of a piece the connection already holds is relayed here,
//! through the room's motion table, without waking the actor (see
//! [`crate::room::motion_table`]).

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use jigsync_schema::limits::MAX_FRAME_BYTES;
use jigsync_schema::{decode, peek_ref, ClientMsg, CloseCode, ErrorCode, Ref, ServerMsg};
use tokio::sync::mpsc::error::TrySendError;
use tungstenite::Message;

use super::Connection;
use crate::app::App;
use crate::outbox::Outbox;
use crate::rate_limit::{ConnectionLimits, Verdict};
use crate::room::{RoomCmd, RoomHandle};

/// `room`: the room the URL names, if it names one; the token must be for it.
///
/// An `async move` block rather than an `async fn`: an async function
/// moves its arguments into locals and keeps room for both, and `conn`
/// (the socket inside it) is the largest thing a session holds.
pub fn run(
    app: Arc<App>,
    mut conn: Connection,
    token: Option<String>,
    since: Option<u64>,
    room: Option<String>,
) -> impl Future<Output = ()> + Send {
    let outbox = conn.outbox.clone();
    // Boxed, like `finish`: it runs once, and a session's future is as large
    // as its largest await, held by every idle connection. Made here rather
    // than in the block, which would keep room for the token and the room's
    // name for the session's whole life.
    let joining = Box::pin(join(app.clone(), outbox.clone(), token, since, room));
    async move {
        if let Some((room, user_key)) = joining.await {
            let _disconnect = room.on_drop(outbox.id(), |conn| RoomCmd::Disconnect { conn });
            let reader = Reader {
                app: &app,
                room,
                outbox: &outbox,
                user_key,
                limits: app.limits.connection(),
                moves_in: metrics::counter!("jigsync_messages_total", "direction" => "in", "type" => "mv"),
            };
            while let Some(message) = conn.next(&app, Some(&reader.room)).await {
                let flow = match message {
                    Message::Binary(bytes) => reader.frame(bytes),
                    Message::Text(_) => reader.malformed(None, "frames must be binary MessagePack"),
                    Message::Ping(_) | Message::Pong(_) | Message::Close(_) | Message::Frame(_) => Flow::Continue,
                };
                match flow {
                    Flow::Continue => {}
                    Flow::Stop => break,
                    Flow::WaitForRoom(request) => {
                        if !conn.wait_for_room(&app, &reader.room, request).await {
                            break;
                        }
                    }
                }
            }
            outbox.close(CloseCode::Normal, "");
        }
        conn.finish().await;
    }
}

/// Checks the token and joins the room's actor: the room's handle and the
/// user's chat budget key, or `None` once the connection was asked to close
/// (with why). Taken apart from the session's reading so that the token,
/// its claims and the wait for the actor are let go once joined: an idle
/// connection keeps only what it reads with.
async fn join(
    app: Arc<App>,
    outbox: Outbox,
    token: Option<String>,
    since: Option<u64>,
    room: Option<String>,
) -> Option<(RoomHandle, String)> {
    let claims = match app.keys.verify_for(token.as_deref(), room.as_deref()) {
        Ok(claims) => claims,
        Err(err) => {
            // The reason says why ("token expired"), so a client can tell.
            outbox.close(CloseCode::Unauthorized, &err.to_string());
            return None;
        }
    };
    let connect = |reply| RoomCmd::Connect { user: claims.user.clone(), outbox: outbox.clone(), since, reply };
    match app.rooms.call_with_handle(&claims.room, connect).await {
        Some((Ok(()), room)) => Some((room, format!("{}/{}", claims.room, claims.user))),
        Some((Err(err), _)) => {
            outbox.close(err.close_code(), &err.to_string());
            None
        }
        None => {
            outbox.close(CloseCode::GoingAway, "the room is unavailable, try again");
            None
        }
    }
}

struct Reader<'a> {
    app: &'a Arc<App>,
    room: RoomHandle,
    outbox: &'a Outbox,
    /// The per-user chat budget is shared by all of a user's connections.
    user_key: String,
    limits: ConnectionLimits,
    /// `jigsync_messages_total` of drag positions, looked up once: the
    /// registry lookup would cost more than the rest of a move's counting.
    moves_in: metrics::Counter,
}

enum Flow {
    Continue,
    Stop,
    /// The actor's queue is full: the request waits for room in it.
    WaitForRoom(RoomCmd),
}

impl Reader<'_> {
    fn refuse(&self, r#ref: Option<Ref>, code: ErrorCode, message: &str) {
        metrics::counter!("jigsync_rejected_total", "code" => code.as_str()).increment(1);
        self.outbox.send_msg(&ServerMsg::Error { r#ref, code, message: message.to_owned() });
    }

    /// Refuses a request for a rate limit, closing the connection once it
    /// has been refused too often.
    fn rate_limited(&self, r#ref: Option<Ref>, verdict: Verdict) -> Flow {
        if verdict == Verdict::Close {
            self.outbox.close(CloseCode::RateLimited, "too many requests over the limit");
            return Flow::Stop;
        }
        self.refuse(r#ref, ErrorCode::RateLimited, "too many requests, slow down");
        Flow::Continue
    }

    fn rate_limited_if_closing(&self, verdict: Verdict) -> Flow {
        if verdict == Verdict::Close {
            self.outbox.close(CloseCode::RateLimited, "too many requests over the limit");
            return Flow::Stop;
        }
        Flow::Continue
    }

    fn malformed(&self, r#ref: Option<Ref>, message: &str) -> Flow {
        metrics::counter!("jigsync_messages_total", "direction" => "in", "type" => "malformed").increment(1);
        if self.limits.malformed() == Verdict::Close {
            self.outbox.close(CloseCode::Malformed, "too many malformed frames");
            return Flow::Stop;
        }
        self.refuse(r#ref, ErrorCode::Malformed, message);
        Flow::Continue
    }

    fn frame(&self, bytes: Bytes) -> Flow {
        if bytes.len() > MAX_FRAME_BYTES {
            let r#ref = peek_ref(&bytes);
            self.refuse(r#ref, ErrorCode::TooLarge, &format!("frames are limited to {MAX_FRAME_BYTES} bytes"));
            return self.rate_limited_if_closing(self.limits.strike());
        }
        let msg = match decode::<ClientMsg>(&bytes) {
            Ok(msg) => msg,
            Err(err) => return self.malformed(peek_ref(&bytes), &err.to_string()),
        };
        // Drag positions have their own budget; past it they are dropped
        // without an answer (the next one supersedes them anyway).
        let budget = if matches!(msg, ClientMsg::Move(_)) { self.limits.motion() } else { self.limits.request() };
        match budget {
            Verdict::Allow => {}
            _ if matches!(msg, ClientMsg::Move(_)) => {
                metrics::counter!("jigsync_motion_dropped_total").increment(1);
                return Flow::Continue;
            }
            verdict => return self.rate_limited(msg.request_ref(), verdict),
        }
        match msg {
            ClientMsg::Move(mv) => {
                self.moves_in.increment(1);
                if self.room.motion.relay_held(self.outbox.id(), mv, Instant::now()) {
                    return Flow::Continue;
                }
            }
            _ => metrics::counter!("jigsync_messages_total", "direction" => "in", "type" => msg.tag()).increment(1),
        }
        if matches!(msg, ClientMsg::Chat { .. } | ClientMsg::Whisper { .. })
            && self.app.limits.chat.check_key(&self.user_key).is_err()
        {
            return self.rate_limited(msg.request_ref(), self.limits.strike());
        }
        self.room.motion.queued(self.outbox.id());
        let request = RoomCmd::Request { conn: self.outbox.id(), msg };
        match self.room.tx.try_send(request) {
            Ok(()) => Flow::Continue,
            Err(TrySendError::Full(request)) => Flow::WaitForRoom(request),
            Err(TrySendError::Closed(_)) => Flow::Stop,
        }
    }
}
