//! Picture uploads and their download URLs.
//!
//! Downloads need no token: a URL is the SHA-256 of the picture, so it can
//! only be known by someone it was shared with, and `<img>` tags cannot send
//! headers anyway. The bytes never change under a URL, so they are cached
//! for a year.

use std::sync::Arc;

use axum::extract::{Multipart, Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jigsync_schema::ErrorCode;
use serde::Serialize;

use super::extract::{ClientIp, Json};
use crate::access::Access;
use crate::app::App;
use crate::clock::now_ms;
use crate::error::ApiError;
use crate::picture_metadata;
use crate::storage::UploadRow;
use crate::uploads::{
    checked_dimensions, content_id, content_type_for_extension, is_content_id, sniff, url_for, BlobError,
};

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

pub async fn serve(State(app): State<Arc<App>>, Path(file): Path<String>) -> Result<Response, ApiError> {
    let not_found = || ApiError::not_found("no such upload");
    let (id, ext) = file.split_once('.').ok_or_else(not_found)?;
    let content_type = content_type_for_extension(ext).ok_or_else(not_found)?;
    if !is_content_id(id) {
        return Err(not_found());
    }
    // The extension must be the one the bytes were sniffed as.
    let stored = app.storage.upload(id).await?.ok_or_else(not_found)?;
    if stored.content_type != content_type {
        return Err(not_found());
    }
    let bytes = app.blobs.get(id).await.map_err(read_error)?.ok_or_else(not_found)?;
    let headers = [
        (CONTENT_TYPE, content_type.to_owned()),
        (CACHE_CONTROL, "public, max-age=31536000, immutable".to_owned()),
        (X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
    ];
    Ok((headers, bytes).into_response())
}
