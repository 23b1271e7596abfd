//! One lobby connection (`/ws/lobby`, a teacher pass or a teacher's room
//! token): a snapshot of the open rooms that teacher teaches, then every
//! change to them. The lobby takes no requests: frames a
//! client sends are ignored (they still count as signs of life).

use std::future::Future;
use std::sync::Arc;

use jigsync_schema::{CloseCode, ErrorCode};
use tokio::sync::broadcast::error::RecvError;

use super::Connection;
use crate::access;
use crate::app::App;
use crate::error::ApiError;
use crate::keyring::Keyring;
use crate::lobby::Viewer;
use crate::outbox::Frame;

/// Who the token shows: a pass's teacher, or a teacher member of a room
/// (with the teacher id recorded for them, if any).
async fn viewer(app: &App, token: &str) -> Result<Viewer, ApiError> {
    if Keyring::is_teacher_pass(token) {
        let pass = app.keys.verify_teacher_pass(token).map_err(|err| ApiError::unauthorized(err.to_string()))?;
        return Ok(Viewer { teacher: Some(pass.sub), room: None });
    }
    let access = access::check(app, token).await?;
    if !access.is_teacher() {
        return Err(ApiError::unauthorized("the lobby is for teachers"));
    }
    let teacher = app.storage.teacher_of(&access.claims.room, &access.claims.user).await?;
    Ok(Viewer { teacher, room: Some(access.claims.room) })
}

/// An `async move` block rather than an `async fn`: an async function
/// moves its arguments into locals and keeps room for both, and `conn`
/// (the socket inside it) is the largest thing a session holds.
#[expect(clippy::manual_async_fn, reason = "an async fn would hold the connection twice")]
pub fn run(app: Arc<App>, mut conn: Connection, token: Option<String>) -> impl Future<Output = ()> + Send {
    async move {
        let outbox = conn.outbox.clone();

        match viewer(&app, token.as_deref().unwrap_or_default()).await {
            Ok(viewer) => {
                let (snapshot, mut changes) = app.lobby.subscribe(viewer.clone());
                outbox.send(Frame::encode("rooms", &snapshot));
                loop {
                    tokio::select! {
                        change = changes.recv() => match change {
                            Ok(msg) => { outbox.send(Frame::encode("lobby", &msg)); }
                            Err(RecvError::Lagged(_)) => { outbox.send(Frame::encode("rooms", &app.lobby.snapshot(&viewer))); }
                            Err(RecvError::Closed) => break,
                        },
                        // Frames from the client are ignored; they only show it is alive.
                        next = conn.next(&app, None) => if next.is_none() { break },
                    }
                }
                outbox.close(CloseCode::Normal, "");
            }
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
}
