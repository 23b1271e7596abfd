//! `GET /api/rooms/{roomId}/upload-grant`: a fresh upload grant for a
//! member's room (see [`crate::upload_grant`]). The welcome carries one
//! too; this route renews it during a long class without reconnecting, and
//! serves members of an ended class, who still read its report and replay.

use std::sync::Arc;

use axum::extract::{Path, State};
use jigsync_schema::UploadGrant;

use super::extract::{AccessEvenClosed, Json};
use crate::app::App;
use crate::error::ApiError;

pub async fn upload_grant(
    State(app): State<Arc<App>>,
    Path(room_id): Path<String>,
    AccessEvenClosed(access): AccessEvenClosed,
) -> Result<Json<UploadGrant>, ApiError> {
    let access = access.for_room(&room_id)?;
    Ok(Json(app.keys.upload_grant(&access.claims.room)))
}
