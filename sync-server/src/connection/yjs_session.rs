//! One standard Yjs sync connection (`/yjs/{roomId}/{boardId}`): the
//! y-protocols framing that stock Yjs websocket providers speak (sync step
//! 1/2, update, awareness), on the same board documents and with the same
//! permission checks as the room channel. Writes from a token that may only
//! watch are dropped, and so are messages over the room channel's size and
//! rate limits (y-protocols has no way to answer them).

use std::future::Future;
use std::sync::Arc;

use jigsync_schema::limits::MAX_FRAME_BYTES;
use jigsync_schema::{BoardId, CloseCode};
use tokio::sync::mpsc::error::TrySendError;
use tungstenite::Message;

use super::Connection;
use crate::app::App;
use crate::rate_limit::Verdict;
use crate::room::{RoomCmd, YjsIn};
use crate::yjs_wire::sync_protocol::{self, YjsMessage};

/// An `async move` block rather than an `async fn`: an async function
/// moves its arguments into locals and keeps room for both, and `conn`
/// (the socket inside it) is the largest thing a session holds.
#[expect(clippy::manual_async_fn, reason = "an async fn would hold the connection twice")]
pub fn run(
    app: Arc<App>,
    mut conn: Connection,
    room: String,
    board: BoardId,
    token: Option<String>,
) -> impl Future<Output = ()> + Send {
    async move {
        let outbox = conn.outbox.clone();

        let claims = match app.keys.verify_for(token.as_deref(), Some(&room)) {
            Ok(claims) => claims,
            Err(err) => {
                outbox.close(CloseCode::Unauthorized, &err.to_string());
                return conn.finish().await;
            }
        };
        let connect = |reply| RoomCmd::ConnectYjs { user: claims.user.clone(), board, outbox: outbox.clone(), reply };
        // Boxed, like `finish`: it runs once, and a session's future is as
        // large as its largest await, held by every idle connection.
        match Box::pin(app.rooms.call_with_handle(&room, connect)).await {
            Some((Ok(()), handle)) => {
                let _disconnect = handle.on_drop(outbox.id(), |conn| RoomCmd::DisconnectYjs { conn });
                let limits = app.limits.connection();
                'read: while let Some(message) = conn.next(&app, Some(&handle)).await {
                    let Message::Binary(bytes) = message else {
                        continue;
                    };
                    // Same budgets as the room channel; a Yjs client has
                    // no error channel, so refused messages are dropped.
                    let verdict = if bytes.len() > MAX_FRAME_BYTES { limits.strike() } else { limits.request() };
                    match verdict {
                        Verdict::Allow => {}
                        Verdict::Refuse => {
                            metrics::counter!("jigsync_rejected_total", "code" => "rate_limited").increment(1);
                            continue;
                        }
                        Verdict::Close => {
                            outbox.close(CloseCode::RateLimited, "too many messages over the limit");
                            break;
                        }
                    }
                    if bytes.len() > MAX_FRAME_BYTES {
                        metrics::counter!("jigsync_rejected_total", "code" => "too_large").increment(1);
                        continue;
                    }
                    let messages = match sync_protocol::parse(&bytes) {
                        Ok(messages) => messages,
                        Err(err) => {
                            tracing::debug!(error = %err, "undecodable message from a Yjs client");
                            metrics::counter!("jigsync_messages_total", "direction" => "in", "type" => "malformed")
                                .increment(1);
                            if limits.malformed() == Verdict::Close {
                                outbox.close(CloseCode::Malformed, "too many malformed messages");
                                break;
                            }
                            continue;
                        }
                    };
                    for msg in messages {
                        let msg = match msg {
                            YjsMessage::SyncStep1(sv) => YjsIn::SyncStep1(sv.to_vec()),
                            YjsMessage::SyncStep2(update) | YjsMessage::Update(update) => {
                                YjsIn::Update(update.to_vec())
                            }
                            YjsMessage::Awareness(bytes, entries) => YjsIn::Awareness(bytes.to_vec(), entries),
                            YjsMessage::AwarenessQuery => YjsIn::AwarenessQuery,
                            YjsMessage::Ignored => continue,
                        };
                        metrics::counter!("jigsync_messages_total", "direction" => "in", "type" => "yjs").increment(1);
                        let sent = match handle.tx.try_send(RoomCmd::Yjs { conn: outbox.id(), msg }) {
                            Ok(()) => true,
                            Err(TrySendError::Full(cmd)) => conn.wait_for_room(&app, &handle, cmd).await,
                            Err(TrySendError::Closed(_)) => false,
                        };
                        if !sent {
                            // The room is gone: stop reading altogether.
                            break 'read;
                        }
                    }
                }
                outbox.close(CloseCode::Normal, "");
            }
            Some((Err(err), _)) => outbox.close(err.close_code(), &err.to_string()),
            None => outbox.close(CloseCode::GoingAway, "the room is unavailable, try again"),
        }
        conn.finish().await;
    }
}
