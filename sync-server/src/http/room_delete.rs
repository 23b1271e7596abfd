//! `DELETE /api/rooms/{roomId}`: the class's owner (a teacher token of the
//! class whose user owns it) or the operator (`--operator-token-file`)
//! deletes a class with everything of it ([`crate::room_deletion`]). It
//! works on open and closed classes alike; with several nodes an open
//! class is deleted by the node that serves it, and another node forwards
//! the request there.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use jigsync_schema::Role;

use super::extract::{Bearer, ClientIp};
use super::owner::{owner_of, relay, Owner};
use crate::app::App;
use crate::cluster;
use crate::error::ApiError;
use crate::room_deletion::{self, Reason};

fn no_such_class() -> ApiError {
    ApiError::not_found("no class has this id")
}

/// Refuses everyone but the operator and the class's owner.
async fn check_may_delete(app: &App, token: &str, room: &str) -> Result<(), ApiError> {
    if app.operator.as_ref().is_some_and(|operator| operator.matches(token)) {
        return Ok(());
    }
    let claims = app.keys.verify(token).map_err(|err| ApiError::unauthorized(err.to_string()))?;
    if claims.room != room {
        return Err(ApiError::forbidden("this token is for another room"));
    }
    let row = app.storage.room(room).await?.ok_or_else(no_such_class)?;
    if claims.role != Role::Teacher || row.owner.as_deref() != Some(claims.user.as_str()) {
        return Err(ApiError::forbidden("only the class's owner may delete it"));
    }
    Ok(())
}

pub async fn delete_room(
    State(app): State<Arc<App>>,
    Path(room_id): Path<String>,
    Bearer(token): Bearer,
    ip: ClientIp,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    // Counted where the client called: a forwarded request already was.
    if !cluster::headers::is_forwarded(&headers, &app.keys) {
        app.limits.joins.check_key(&ip.0).map_err(|_| ApiError::rate_limited())?;
    }
    check_may_delete(&app, &token, &room_id).await?;
    let open = app.storage.room(&room_id).await?.ok_or_else(no_such_class)?.closed_at.is_none();
    if open {
        match owner_of(&app, &room_id, &headers).await {
            Owner::Here => {}
            Owner::Unreachable => return Err(ApiError::unavailable()),
            Owner::At(base) => {
                let path = format!("/api/rooms/{room_id}");
                return Ok(relay(&app, &base, Method::DELETE, &path, &headers, Default::default(), ip).await);
            }
        }
    }
    if room_deletion::delete(&app, &room_id, Reason::Request).await? {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(no_such_class())
    }
}
