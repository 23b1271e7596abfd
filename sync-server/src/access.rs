//! Turning a token into a participant: the signature must be ours, the room
//! open, and the member neither removed nor gone. Used by every HTTP route
//! that takes a Bearer token and by the lobby.

use jigsync_schema::Role;

use crate::app::App;
use crate::auth::Claims;
use crate::error::ApiError;
use crate::storage::MemberStatus;

#[derive(Debug, Clone)]
pub struct Access {
    pub claims: Claims,
    pub name: String,
}

impl Access {
    pub fn is_teacher(&self) -> bool {
        self.claims.role == Role::Teacher
    }

    /// Refuses tokens of a room other than the one in the path.
    pub fn for_room(self, room: &str) -> Result<Self, ApiError> {
        if self.claims.room == room {
            Ok(self)
        } else {
            Err(ApiError::forbidden("this token is for another room"))
        }
    }
}

pub async fn check(app: &App, token: &str) -> Result<Access, ApiError> {
    check_member(app, token, false).await
}

/// Like [`check`], but a room that was closed still lets its members in:
/// for what is read after the class (the report, and for teachers the
/// boards' replay).
pub async fn check_even_closed(app: &App, token: &str) -> Result<Access, ApiError> {
    check_member(app, token, true).await
}

/// The refusal of a token whose room is gone or whose class has ended.
pub fn closed_room() -> ApiError {
    ApiError::not_found("this room does not exist or was closed")
}

async fn check_member(app: &App, token: &str, even_closed: bool) -> Result<Access, ApiError> {
    let claims = app.keys.verify(token).map_err(|err| ApiError::unauthorized(err.to_string()))?;
    let room = app.storage.room(&claims.room).await?;
    if room.is_none_or(|r| r.closed_at.is_some() && !even_closed) {
        return Err(closed_room());
    }
    let member = app.storage.member(&claims.room, &claims.user).await?;
    match member {
        Some(m) if m.status == MemberStatus::Kicked => Err(ApiError::forbidden("you were removed from this room")),
        Some(m) => Ok(Access { claims, name: m.name }),
        None => Err(ApiError::unauthorized("not a member of this room")),
    }
}
