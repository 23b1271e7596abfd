//! One lobby connection (`/ws/lobby`, teacher tokens only): a snapshot of the
//! open rooms, then every change. The lobby takes no requests: frames a
//! client sends are ignored (they still count as signs of life).

use std::sync::Arc;

use axum::extract::ws::WebSocket;
use jigsync_schema::{CloseCode, ErrorCode};
use tokio::sync::broadcast::error::RecvError;

use super::Connection;
use crate::access;
use crate::app::App;
use crate::outbox::Frame;

pub async fn run(app: Arc<App>, socket: WebSocket, token: Option<String>) {
    let mut conn = Connection::open(&app, socket, "lobby");
    let outbox = conn.outbox.clone();

    match access::check(&app, token.as_deref().unwrap_or_default()).await {
        Ok(access) if access.is_teacher() => {
            let (snapshot, mut changes) = app.lobby.subscribe();
            outbox.send(Frame::encode("rooms", &snapshot));
            loop {
                tokio::select! {
                    change = changes.recv() => match change {
                        Ok(msg) => { outbox.send(Frame::encode("lobby", &msg)); }
                        Err(RecvError::Lagged(_)) => { outbox.send(Frame::encode("rooms", &app.lobby.snapshot())); }
                        Err(RecvError::Closed) => break,
                    },
                    // Frames from the client are ignored; they only show it is alive.
                    next = conn.next(&app, None) => if next.is_none() { break },
                }
            }
            outbox.close(CloseCode::Normal, "");
        }
        Ok(_) => outbox.close(CloseCode::Unauthorized, "the lobby is for teachers"),
        Err(err) => {
            let code = match err.code {
                ErrorCode::Forbidden => CloseCode::Forbidden,
                ErrorCode::NotFound => CloseCode::RoomGone,
                ErrorCode::Internal => CloseCode::GoingAway,
                _ => CloseCode::Unauthorized,
            };
            outbox.close(code, &err.message);
        }
    }
    conn.finish().await;
}
