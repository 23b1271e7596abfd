//! `GET /api/rooms/{roomId}/boards/{boardId}/history`: a board's timeline
//! for replay (issue 15), for the room's teachers and the board's own
//! members. Served from the store by any node: every update is committed
//! there before anyone sees it, so no room actor is needed, and a finished
//! class's boards replay as well as live ones. Once the class has ended only
//! its teachers may still replay (from the end-of-class report); its
//! students' tokens are refused as on every other route of a closed room.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use jigsync_schema::{BoardHistory, BoardId, ErrorCode, HistoryKeyframe, HistoryUpdate};
use serde::Deserialize;

use super::extract::{AccessEvenClosed, Query};
use crate::access::{self, Access};
use crate::app::App;
use crate::error::ApiError;
use crate::storage::board_history::{BoardTimeline, HistoryWindow, Keyframe};
use crate::storage::BoardRow;

/// The media type of the body: one MessagePack value.
pub const MSGPACK: &str = "application/msgpack";

#[derive(Deserialize)]
pub struct WindowParams {
    from: Option<i64>,
    to: Option<i64>,
}

pub async fn board_history(
    State(app): State<Arc<App>>,
    path: Result<Path<(String, BoardId)>, PathRejection>,
    AccessEvenClosed(access): AccessEvenClosed,
    Query(params): Query<WindowParams>,
) -> Result<impl IntoResponse, ApiError> {
    let Path((room_id, board)) = path.map_err(|_| ApiError::invalid("the board id must be a number"))?;
    let access = access.for_room(&room_id)?;
    if !access.is_teacher() {
        refuse_after_class(&app, &room_id).await?;
    }
    let window = HistoryWindow { from: params.from, to: params.to };
    if window.from_ts() > window.to_ts() {
        return Err(ApiError::invalid("from must not be after to"));
    }
    let timeline = app.storage.board_history(&room_id, board, window).await?;
    let timeline = timeline.ok_or_else(|| ApiError::not_found("no such board"))?;
    if !may_replay(&access, &timeline.board) {
        return Err(ApiError::forbidden("only teachers and the board's members may replay it"));
    }
    let body = rmp_serde::to_vec(&wire(timeline)).map_err(|err| {
        tracing::error!(error = %err, "encoding a board history failed");
        ApiError::new(ErrorCode::Internal, "the history could not be encoded")
    })?;
    Ok(([(CONTENT_TYPE, MSGPACK)], body))
}

/// A student replays only while the class runs: once it has ended their
/// token is refused exactly as [`access::check`] refuses it elsewhere.
async fn refuse_after_class(app: &App, room_id: &str) -> Result<(), ApiError> {
    let room = app.storage.room(room_id).await?;
    if room.is_none_or(|r| r.closed_at.is_some()) {
        return Err(access::closed_room());
    }
    Ok(())
}

/// Teachers replay any board; a student, the boards they may write (their
/// own, their group's, a shared one), not one they only watch spotlighted.
fn may_replay(access: &Access, board: &BoardRow) -> bool {
    access.is_teacher() || board.members.is_empty() || board.members.contains(&access.claims.user)
}

/// The stored timeline in its wire form, each author named once.
fn wire(timeline: BoardTimeline) -> BoardHistory {
    let keyframe = |k: Keyframe| HistoryKeyframe { seq: k.upto_seq, ts: k.ts, state: k.data };
    let mut authors = Vec::new();
    let mut index = HashMap::new();
    let updates = timeline
        .updates
        .into_iter()
        .map(|entry| {
            let author = entry.author.map(|user| {
                *index.entry(user.clone()).or_insert_with(|| {
                    authors.push(user);
                    u32::try_from(authors.len() - 1).unwrap_or(u32::MAX)
                })
            });
            HistoryUpdate { seq: entry.seq, ts: entry.ts, author, update: entry.data }
        })
        .collect();
    BoardHistory {
        board: timeline.board.id,
        completed_at: timeline.board.completed_at,
        base: timeline.base.map(keyframe),
        keyframes: timeline.keyframes.into_iter().map(keyframe).collect(),
        authors,
        updates,
    }
}
