//! Picture uploads and their download URLs.
//!
//! A download is served only to a member of a room that uses the upload:
//! with the room's upload grant in the URL (`?grant=`, see
//! [`crate::upload_grant`]; `<img>` tags cannot send headers), or with the
//! room token as `Authorization: Bearer` (API users). Who asks is checked
//! before the upload is looked at, and an upload the room does not use
//! answers like one that does not exist, so a refusal reveals nothing. The
//! answer may be cached only privately, and no longer than the grant lives.

use std::sync::Arc;

use axum::extract::{Multipart, Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jigsync_schema::ErrorCode;
use serde::{Deserialize, Serialize};

use super::extract::{Bearer, ClientIp, Json, Query};
use crate::access::{self, Access};
use crate::app::App;
use crate::clock::now_ms;
use crate::error::ApiError;
use crate::picture_metadata;
use crate::storage::UploadRow;
use crate::uploads::{
    checked_dimensions, content_id, content_type_for_extension, is_content_id, sniff, url_for, BlobError,
};

/// The query of a download.
#[derive(Deserialize)]
pub struct Download {
    grant: Option<String>,
}

/// Who may read which room's uploads, and for how long they may keep them.
struct Reader {
    room: String,
    cache_control: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Uploaded {
    upload_id: String,
    url: String,
    content_type: String,
    bytes: usize,
}

pub(super) fn too_large(max: usize) -> ApiError {
    ApiError::new(ErrorCode::TooLarge, format!("uploads are limited to {max} bytes"))
}

pub(super) fn read_error(err: BlobError) -> ApiError {
    tracing::error!(error = %err, "cannot read upload");
    ApiError::new(ErrorCode::Internal, "cannot read the upload")
}

pub async fn upload(
    State(app): State<Arc<App>>,
    Path(room_id): Path<String>,
    access: Access,
    ip: ClientIp,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(StatusCode, Json<Uploaded>), ApiError> {
    access.for_room(&room_id)?;
    app.limits.uploads.check_key(&ip.0).map_err(|_| ApiError::rate_limited())?;
    let mut multipart = multipart.map_err(|r| ApiError::invalid(r.body_text()))?;
    let max = app.config.max_upload_bytes;
    let multipart_error = |err: axum::extract::multipart::MultipartError| {
        if err.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large(max)
        } else {
            ApiError::invalid(err.body_text())
        }
    };
    let mut data = None;
    while let Some(mut field) = multipart.next_field().await.map_err(multipart_error)? {
        if field.name() != Some("file") {
            continue;
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
            if bytes.len() + chunk.len() > max {
                return Err(too_large(max));
            }
            bytes.extend_from_slice(&chunk);
        }
        data = Some(bytes);
        break;
    }
    let data = data.ok_or_else(|| ApiError::invalid("send the picture in a multipart field named `file`"))?;
    let content_type = sniff(&data).ok_or_else(|| {
        ApiError::new(ErrorCode::UnsupportedMediaType, "only GIF, PNG, JPEG and WebP pictures are accepted")
    })?;
    // Refused on the header's word, before any client decodes it. A size
    // that cannot be read is let through as before: a chat picture needs
    // none, and starting a puzzle refuses it (415).
    if let Ok(size) = imagesize::blob_size(&data) {
        checked_dimensions(size.width, size.height)?;
    }
    // Stored, and identified, without its metadata: the same picture with
    // and without a location is one upload.
    let data = picture_metadata::strip(content_type, data).map_err(|err| ApiError::invalid(err.to_string()))?;
    let id = content_id(&data);
    // Bytes first, then the row: whoever finds the row finds the bytes.
    let _storing = app.blobs.storing().await;
    app.blobs.put(&id, &data).await.map_err(|err| {
        tracing::error!(error = %err, "cannot write upload");
        ApiError::new(ErrorCode::Internal, "cannot store the upload, try again")
    })?;
    let row = UploadRow {
        id: id.clone(),
        content_type: content_type.to_owned(),
        bytes: data.len() as i64,
        created_at: now_ms(),
    };
    app.storage.put_upload(&row, &room_id).await?;
    let uploaded = Uploaded {
        url: url_for(&id, content_type),
        upload_id: id,
        content_type: content_type.to_owned(),
        bytes: data.len(),
    };
    Ok((StatusCode::CREATED, Json(uploaded)))
}

pub async fn serve(
    State(app): State<Arc<App>>,
    Path(file): Path<String>,
    Query(download): Query<Download>,
    bearer: Result<Bearer, ApiError>,
) -> Result<Response, ApiError> {
    let reader = reader(&app, download.grant.as_deref(), bearer.ok()).await?;
    let not_found = || ApiError::not_found("no such upload");
    let (id, ext) = file.split_once('.').ok_or_else(not_found)?;
    let content_type = content_type_for_extension(ext).ok_or_else(not_found)?;
    if !is_content_id(id) {
        return Err(not_found());
    }
    // The extension must be the one the bytes were sniffed as.
    let stored = app.storage.room_upload(&reader.room, id).await?.ok_or_else(not_found)?;
    if stored.content_type != content_type {
        return Err(not_found());
    }
    let bytes = app.blobs.get(id).await.map_err(read_error)?.ok_or_else(not_found)?;
    let headers = [
        (CONTENT_TYPE, content_type.to_owned()),
        (CACHE_CONTROL, reader.cache_control),
        (X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
    ];
    Ok((headers, bytes).into_response())
}

/// The room whose uploads the request may read: a grant's, or a Bearer
/// token's (a member's, even after the class ended, as for the report).
async fn reader(app: &App, grant: Option<&str>, bearer: Option<Bearer>) -> Result<Reader, ApiError> {
    if let Some(grant) = grant {
        let granted = app.keys.verify_upload_grant(grant).map_err(|err| {
            ApiError::unauthorized(format!("upload grant refused ({err}); fetch a new one from the upload-grant route"))
        })?;
        let cache_control = format!("private, max-age={}", granted.remaining.as_secs());
        return Ok(Reader { room: granted.room, cache_control });
    }
    let Some(Bearer(token)) = bearer else {
        return Err(ApiError::unauthorized(
            "uploads are for room members: add the room's upload grant (`?grant=`) or send the room token as \
             `Authorization: Bearer <token>`",
        ));
    };
    let access = access::check_even_closed(app, &token).await?;
    // A token lives longer than a grant and may be revoked (kicks), so
    // what it fetched is checked again every time.
    Ok(Reader { room: access.claims.room, cache_control: "private, no-cache".to_owned() })
}
