//! One standard Yjs sync connection (`/yjs/{roomId}/{boardId}`): the
//! y-protocols framing that stock Yjs websocket providers speak (sync step
//! 1/2, update, awareness), on the same board documents and with the same
//! permission checks as the room channel. Writes from a token that may only
//! watch are dropped, and so are messages over the room channel's size and
//! rate limits (y-protocols has no way to answer them).

use std::sync::Arc;

use axum::extract::ws::{Message, WebSocket};
use futures_util::StreamExt;
use jigsync_schema::limits::MAX_FRAME_BYTES;
use jigsync_schema::{BoardId, CloseCode};
use tokio::time::timeout;
use yrs::sync::{Message as YMessage, SyncMessage};
use yrs::updates::decoder::DecoderV1;
use yrs::updates::encoder::Encode;

use super::Connection;
use crate::app::App;
use crate::rate_limit::Verdict;
use crate::room::boards::YjsIn;
use crate::room::RoomCmd;

pub async fn run(app: Arc<App>, socket: WebSocket, room: String, board: BoardId, token: Option<String>) {
    let mut conn = Connection::open(&app, socket, "yjs");
    let outbox = conn.outbox.clone();

    let claims = token.as_deref().and_then(|t| app.keys.verify(t)).filter(|c| c.room == room);
    if let Some(claims) = claims {
        let connect = |reply| RoomCmd::ConnectYjs { user: claims.user.clone(), board, outbox: outbox.clone(), reply };
        match app.rooms.call(&app, &room, connect).await {
            Some(Ok(())) => {
                if let Some(handle) = app.rooms.get(&room) {
                    let limits = app.limits.connection();
                    let idle = app.config.idle_timeout();
                    loop {
                        let next = tokio::select! {
                            biased;
                            _ = outbox.closed() => break,
                            () = app.shutdown.cancelled() => {
                                outbox.close(CloseCode::GoingAway, "server shutting down");
                                break;
                            }
                            next = timeout(idle, conn.stream.next()) => next,
                        };
                        let bytes = match next {
                            Err(_) => {
                                outbox.close(CloseCode::IdleTimeout, "nothing heard from the client");
                                break;
                            }
                            Ok(None | Some(Err(_)) | Some(Ok(Message::Close(_)))) => break,
                            Ok(Some(Ok(Message::Binary(bytes)))) => bytes,
                            Ok(Some(Ok(_))) => continue,
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
                        let messages = match decode_all(&bytes) {
                            Ok(messages) => messages,
                            Err(()) => {
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
                                YMessage::Sync(SyncMessage::SyncStep1(sv)) => YjsIn::SyncStep1(sv.encode_v1()),
                                YMessage::Sync(SyncMessage::SyncStep2(update) | SyncMessage::Update(update)) => {
                                    YjsIn::Update(update)
                                }
                                YMessage::Awareness(update) => {
                                    YjsIn::Awareness(YMessage::Awareness(update).encode_v1())
                                }
                                YMessage::Auth(_) | YMessage::AwarenessQuery | YMessage::Custom(..) => continue,
                            };
                            metrics::counter!("jigsync_messages_total", "direction" => "in", "type" => "yjs")
                                .increment(1);
                            if handle.tx.send(RoomCmd::Yjs { conn: outbox.id(), msg }).await.is_err() {
                                break;
                            }
                        }
                    }
                    let _ = handle.tx.send(RoomCmd::DisconnectYjs { conn: outbox.id() }).await;
                }
                outbox.close(CloseCode::Normal, "");
            }
            Some(Err(err)) => outbox.close(err.close_code(), &err.to_string()),
            None => outbox.close(CloseCode::GoingAway, "the room is unavailable, try again"),
        }
    } else {
        outbox.close(CloseCode::Unauthorized, "invalid token for this room");
    }
    conn.finish().await;
}

/// A WebSocket message may carry several y-protocols messages back to back.
fn decode_all(bytes: &[u8]) -> Result<Vec<YMessage>, ()> {
    let mut decoder = DecoderV1::from(bytes);
    let messages: Result<Vec<_>, _> = yrs::sync::MessageReader::new(&mut decoder).collect();
    match messages {
        Ok(messages) if !messages.is_empty() => Ok(messages),
        _ => Err(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_stacked_messages_and_refuses_garbage() {
        let mut bytes = YMessage::Sync(SyncMessage::SyncStep1(Default::default())).encode_v1();
        bytes.extend(YMessage::Sync(SyncMessage::Update(vec![0, 0])).encode_v1());
        assert_eq!(decode_all(&bytes).map(|m| m.len()), Ok(2));
        assert!(decode_all(&[0, 9]).is_err());
        assert!(decode_all(&[]).is_err());
    }
}
