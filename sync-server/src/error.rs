//! The one error type that crosses the HTTP edge and the room channel: a
//! stable [`ErrorCode`] plus a human message. Storage and other library errors
//! convert into it here, in one place, so every route and every WebSocket
//! reply maps errors the same way.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use jigsync_schema::ErrorCode;
use serde_json::json;

use crate::storage::StorageError;

#[derive(Debug, Clone, thiserror::Error)]
#[error("{code:?}: {message}")]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError { code, message: message.into() }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Invalid, message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unauthorized, message)
    }

    pub fn rate_limited() -> Self {
        Self::new(ErrorCode::RateLimited, "too many requests, slow down")
    }
}

impl From<StorageError> for ApiError {
    fn from(err: StorageError) -> Self {
        tracing::error!(error = %err, "storage failure");
        ApiError::new(ErrorCode::Internal, "storage is unavailable, try again")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = json!({ "error": { "code": self.code, "message": self.message } });
        (status, Json(body)).into_response()
    }
}
