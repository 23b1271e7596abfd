//! Puzzle routes: a teacher starts a puzzle from an uploaded picture; anyone
//! in the room lists the boards they may see.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use jigsync_schema::{BoardInfo, BoardMode, ErrorCode, Spotlight};
use serde::{Deserialize, Serialize};

use super::extract::Json;
use super::uploads::read_error;
use crate::access::Access;
use crate::app::App;
use crate::error::ApiError;
use crate::room::RoomCmd;
use crate::room::{BoardList, PuzzleSpec};
use crate::uploads::{checked_dimensions, is_content_id, url_for};

/// Rows and columns each lie in this range.
const SIDE: std::ops::RangeInclusive<u16> = 2..=40;
pub const MAX_PIECES: usize = 1000;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartPuzzle {
    upload_id: String,
    rows: u16,
    cols: u16,
    mode: BoardMode,
    #[serde(default)]
    groups: Vec<Vec<String>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Boards {
    puzzle_id: Option<u32>,
    boards: Vec<BoardInfo>,
    spotlight: Option<Spotlight>,
}

impl From<BoardList> for Boards {
    fn from(list: BoardList) -> Self {
        Boards { puzzle_id: list.puzzle, boards: list.boards, spotlight: list.spotlight }
    }
}

pub async fn start_puzzle(
    State(app): State<Arc<App>>,
    Path(room_id): Path<String>,
    access: Access,
    Json(body): Json<StartPuzzle>,
) -> Result<(StatusCode, Json<Boards>), ApiError> {
    let access = access.for_room(&room_id)?;
    if !access.is_teacher() {
        return Err(ApiError::forbidden("only teachers may start a puzzle"));
    }
    if !SIDE.contains(&body.rows) || !SIDE.contains(&body.cols) {
        return Err(ApiError::invalid(format!(
            "rows and cols must each be between {} and {}",
            SIDE.start(),
            SIDE.end()
        )));
    }
    if usize::from(body.rows) * usize::from(body.cols) > MAX_PIECES {
        return Err(ApiError::invalid(format!("a puzzle has at most {MAX_PIECES} pieces")));
    }
    if body.mode != BoardMode::Groups && !body.groups.is_empty() {
        return Err(ApiError::invalid("groups are only for the groups mode"));
    }
    let not_found = || ApiError::not_found("no such upload");
    // Only a picture this room uses: an upload id alone opens nothing.
    let upload =
        if is_content_id(&body.upload_id) { app.storage.room_upload(&room_id, &body.upload_id).await? } else { None };
    let upload = upload.ok_or_else(not_found)?;
    let bytes = app.blobs.get(&upload.id).await.map_err(read_error)?.ok_or_else(not_found)?;
    let size = imagesize::blob_size(&bytes)
        .map_err(|_| ApiError::new(ErrorCode::UnsupportedMediaType, "cannot read the picture's size"))?;
    if size.width == 0 || size.height == 0 {
        return Err(ApiError::new(ErrorCode::UnsupportedMediaType, "the picture has no size"));
    }
    // Uploads are checked too, but a picture stored before the caps existed
    // must not start a puzzle either.
    let (width, height) = checked_dimensions(size.width, size.height)?;
    let spec = PuzzleSpec {
        image_url: url_for(&upload.id, &upload.content_type),
        upload: upload.id,
        image_width: width,
        image_height: height,
        rows: body.rows,
        cols: body.cols,
        mode: body.mode,
        groups: body.groups,
    };
    let by = access.claims.user.clone();
    let start = |reply| RoomCmd::StartPuzzle { by: by.clone(), spec: spec.clone(), reply };
    let list = app.rooms.call(&room_id, start).await.ok_or_else(ApiError::unavailable)??;
    Ok((StatusCode::CREATED, Json(list.into())))
}

pub async fn list_boards(
    State(app): State<Arc<App>>,
    Path(room_id): Path<String>,
    access: Access,
) -> Result<Json<Boards>, ApiError> {
    let access = access.for_room(&room_id)?;
    let list = |reply| RoomCmd::ListBoards { user: access.claims.user.clone(), reply };
    let list = app.rooms.call(&room_id, list).await.ok_or_else(ApiError::unavailable)??;
    Ok(Json(list.into()))
}
