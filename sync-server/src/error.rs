//! The one error type that crosses the HTTP edge and the room channel: a
//! stable [`ErrorCode`] plus a human message. Storage and other library errors
//! convert into it here, in one place, so every route and every WebSocket
//! reply maps errors the same way. It knows nothing of HTTP: its one mapping
//! to a response lives at the edge (`http/error_response.rs`), so the room's
//! rules can use it without depending on the web framework.

use jigsync_schema::ErrorCode;

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

    /// The room cannot be served right now (moving between nodes, or its
    /// actor could not start); the client retries.
    pub fn unavailable() -> Self {
        Self::new(ErrorCode::Unavailable, "the room is unavailable, try again")
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
