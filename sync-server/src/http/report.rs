//! `GET /api/rooms/{roomId}/report`: the end-of-class report for a teacher,
//! read from the store by any node, during the class or after it ended.

use std::sync::Arc;

use axum::extract::{Path, State};

use super::extract::{AccessEvenClosed, Json};
use crate::app::App;
use crate::error::ApiError;
use crate::report::{self, ClassReport};
use crate::storage::BoardActivity;

pub async fn report(
    State(app): State<Arc<App>>,
    Path(room_id): Path<String>,
    AccessEvenClosed(access): AccessEvenClosed,
) -> Result<Json<ClassReport>, ApiError> {
    let access = access.for_room(&room_id)?;
    if !access.is_teacher() {
        return Err(ApiError::forbidden("only teachers may read the class report"));
    }
    let room = app.storage.room(&room_id).await?.ok_or_else(|| ApiError::not_found("no such room"))?;
    let members = app.storage.members(&room_id).await?;
    let puzzle = app.storage.active_puzzle(&room_id).await?;
    let activity = match &puzzle {
        Some((p, _)) => app.storage.board_activity(&room_id, p.id).await?,
        None => BoardActivity::default(),
    };
    Ok(Json(report::build(&room, &members, puzzle.as_ref(), &activity)))
}
