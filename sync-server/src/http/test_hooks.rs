//! Routes that exist only with `--test-hooks`, for tests that must cause a
//! failure the network cannot (by design) cause: a room actor that panics
//! or stalls, and a panic inside yrs on a board write.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use jigsync_schema::BoardId;
use tokio::sync::oneshot;

use crate::app::App;
use crate::error::ApiError;
use crate::room::RoomCmd;

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/test-hooks/rooms/{room_id}/fail", post(fail_room))
        .route("/test-hooks/rooms/{room_id}/stall/{ms}", post(stall_room))
        .route("/test-hooks/rooms/{room_id}/boards/{board_id}/fail-next-write", post(fail_next_board_write))
}

/// Makes the room's running actor panic; 404 if it is not running.
async fn fail_room(State(app): State<Arc<App>>, Path(room_id): Path<String>) -> Result<StatusCode, ApiError> {
    tell_actor(&app, &room_id, RoomCmd::FailForTest).await
}

/// Keeps the room's actor away from its queue for `ms` milliseconds, from
/// when it reaches this command; 404 if it is not running.
async fn stall_room(
    State(app): State<Arc<App>>,
    Path((room_id, ms)): Path<(String, u64)>,
) -> Result<StatusCode, ApiError> {
    tell_actor(&app, &room_id, RoomCmd::StallForTest(Duration::from_millis(ms))).await
}

/// Queues `cmd` for the room's running actor; 404 if it is not running.
async fn tell_actor(app: &App, room_id: &str, cmd: RoomCmd) -> Result<StatusCode, ApiError> {
    let not_running = || ApiError::not_found("the room's task is not running");
    let handle = app.rooms.get(room_id).ok_or_else(not_running)?;
    handle.tx.send(cmd).await.map_err(|_| not_running())?;
    Ok(StatusCode::ACCEPTED)
}

/// Makes the next write to the board panic where yrs would; 404 if the room
/// is not running or has no such board.
async fn fail_next_board_write(
    State(app): State<Arc<App>>,
    Path((room_id, board)): Path<(String, BoardId)>,
) -> Result<StatusCode, ApiError> {
    let not_found = || ApiError::not_found("no such board in a running room");
    let handle = app.rooms.get(&room_id).ok_or_else(not_found)?;
    let (reply, answer) = oneshot::channel();
    handle.tx.send(RoomCmd::FailNextBoardWriteForTest { board, reply }).await.map_err(|_| not_found())?;
    match answer.await {
        Ok(true) => Ok(StatusCode::ACCEPTED),
        _ => Err(not_found()),
    }
}
