//! Room routes: create a room (as the signup rule allows, see
//! [`crate::signup`]), join with a code, invite a co-teacher, page message
//! history.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use jigsync_schema::limits::{MAX_HISTORY_PAGE, MAX_NAME_CHARS, MAX_ROOM_NAME_CHARS};
use jigsync_schema::{Message, Role, RoomSummary, WhisperRule};
use serde::{Deserialize, Serialize};

use super::extract::{ClientIp, Json, Query};
use super::owner::{owner_of, relay, Owner};
use crate::access::Access;
use crate::app::App;
use crate::auth::Claims;
use crate::clock::now_ms;
use crate::error::ApiError;
use crate::room::RoomCmd;
use crate::storage::{HistoryQuery, MemberRow, MemberStatus, RoomRow, StorageError};
use crate::teacher_pass::{is_teacher_id, MAX_TEACHER_ID_CHARS};
use crate::{cluster, ids, validate};

/// Attempts at a fresh join code before giving up (collisions are rare: 29^6
/// codes).
const JOIN_CODE_ATTEMPTS: usize = 5;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateRoom {
    name: String,
    teacher_name: String,
    /// The operator's secret, under `--teacher-signup secret`.
    signup_secret: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RoomCreated {
    room_id: String,
    join_code: String,
    teacher_token: String,
    user_id: String,
    /// The creator's teacher pass: sent with their next class and to the
    /// lobby, it keeps them the same teacher.
    teacher_pass: String,
    teacher_id: String,
}

fn check_ip_budget(app: &App, ip: ClientIp) -> Result<(), ApiError> {
    app.limits.joins.check_key(&ip.0).map_err(|_| ApiError::rate_limited())
}

/// The token of an `Authorization: Bearer` header, if any.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    value.strip_prefix("Bearer ").map(str::trim)
}

pub async fn create_room(
    State(app): State<Arc<App>>,
    ip: ClientIp,
    headers: HeaderMap,
    Json(body): Json<CreateRoom>,
) -> Result<(StatusCode, Json<RoomCreated>), ApiError> {
    check_ip_budget(&app, ip)?;
    let name = validate::name("name", &body.name, MAX_ROOM_NAME_CHARS)?;
    let teacher_name = validate::name("teacherName", &body.teacher_name, MAX_NAME_CHARS)?;
    let teacher = app.signup.admit(&app.keys, bearer(&headers), body.signup_secret.as_deref(), &teacher_name)?;
    let now = now_ms();
    let user = ids::user_id();
    for _ in 0..JOIN_CODE_ATTEMPTS {
        let room = RoomRow {
            id: ids::room_id(),
            name: name.clone(),
            join_code: ids::join_code(),
            owner: Some(user.clone()),
            created_at: now,
            closed_at: None,
            spotlight: None,
            join_locked: false,
            whispers: WhisperRule::default(),
            chat_off: false,
        };
        let owner = MemberRow {
            room: room.id.clone(),
            user: user.clone(),
            name: teacher_name.clone(),
            role: Role::Teacher,
            joined_at: now,
            status: MemberStatus::Active,
            color: ids::member_color(0),
            muted: false,
        };
        match app.storage.create_room(&room, &owner).await {
            Ok(()) => {
                app.storage.link_teacher(&room.id, &user, &teacher.teacher_id).await?;
                app.lobby.add_teacher(&room.id, &teacher.teacher_id);
                app.lobby.update(RoomSummary {
                    id: room.id.clone(),
                    name: room.name.clone(),
                    participants: 1,
                    online: 0,
                });
                let teacher_token =
                    app.keys.sign(&Claims { room: room.id.clone(), user: user.clone(), role: Role::Teacher });
                tracing::info!(room = %room.id, "room created");
                let created = RoomCreated {
                    room_id: room.id,
                    join_code: room.join_code,
                    teacher_token,
                    user_id: user,
                    teacher_pass: teacher.pass,
                    teacher_id: teacher.teacher_id,
                };
                return Ok((StatusCode::CREATED, Json(created)));
            }
            Err(StorageError::DuplicateJoinCode) => continue,
            Err(err) => return Err(err.into()),
        }
    }
    Err(ApiError::new(jigsync_schema::ErrorCode::Internal, "could not find a free join code, try again"))
}

#[derive(Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JoinRoom {
    join_code: String,
    name: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Joined {
    room_id: String,
    token: String,
    user_id: String,
    color: String,
    /// The name as the room shows it: with a number if it was taken.
    name: String,
}

/// Adds a participant through the room actor, so the join is ordered with
/// everything else in the room and announced to it.
async fn admit(app: &Arc<App>, room: &str, name: String, role: Role) -> Result<Joined, ApiError> {
    let add = |reply| RoomCmd::AddMember { name: name.clone(), role, reply };
    let member = app.rooms.call(room, add).await.ok_or_else(ApiError::unavailable)??;
    let token = app.keys.sign(&Claims { room: room.to_owned(), user: member.user.clone(), role });
    Ok(Joined {
        room_id: room.to_owned(),
        token,
        color: member.display_color(),
        user_id: member.user,
        name: member.name,
    })
}

/// Joins by code. The code names the room only once looked up, so this route
/// finds the room's owner itself; the node that forwards the call already
/// counted it against the client's budget.
pub async fn join(
    State(app): State<Arc<App>>,
    ip: ClientIp,
    headers: HeaderMap,
    Json(body): Json<JoinRoom>,
) -> Result<Response, ApiError> {
    if !cluster::headers::is_forwarded(&headers, &app.keys) {
        check_ip_budget(&app, ip)?;
    }
    let name = validate::name("name", &body.name, MAX_NAME_CHARS)?;
    let code = ids::normalize_join_code(&body.join_code);
    if code.len() != ids::JOIN_CODE_LEN {
        return Err(ApiError::not_found("no room has this join code"));
    }
    let room =
        app.storage.room_by_code(&code).await?.ok_or_else(|| ApiError::not_found("no room has this join code"))?;
    match owner_of(&app, &room.id, &headers).await {
        Owner::Here => Ok(Json(admit(&app, &room.id, name, Role::Student).await?).into_response()),
        Owner::Unreachable => Err(ApiError::unavailable()),
        Owner::At(base) => {
            let body = serde_json::to_vec(&body).map_err(|_| ApiError::invalid("cannot forward the request"))?;
            Ok(relay(&app, &base, Method::POST, "/api/join", &headers, body.into(), ip).await)
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddTeacher {
    name: String,
    /// The co-teacher's teacher id (the `teacherId` of their own classes,
    /// or the `sub` of their pass): the class appears in their lobby.
    teacher_id: Option<String>,
}

/// A teacher invites a co-teacher (another adult with their own identity).
pub async fn add_teacher(
    State(app): State<Arc<App>>,
    Path(room_id): Path<String>,
    access: Access,
    ip: ClientIp,
    Json(body): Json<AddTeacher>,
) -> Result<(StatusCode, Json<Joined>), ApiError> {
    let access = access.for_room(&room_id)?;
    check_ip_budget(&app, ip)?;
    if !access.is_teacher() {
        return Err(ApiError::forbidden("only teachers may add teachers"));
    }
    let name = validate::name("name", &body.name, MAX_NAME_CHARS)?;
    if body.teacher_id.as_deref().is_some_and(|id| !is_teacher_id(id)) {
        return Err(ApiError::invalid(format!("teacherId must be 1 to {MAX_TEACHER_ID_CHARS} characters")));
    }
    let joined = admit(&app, &room_id, name, Role::Teacher).await?;
    if let Some(teacher) = &body.teacher_id {
        app.storage.link_teacher(&room_id, &joined.user_id, teacher).await?;
        app.lobby.add_teacher(&room_id, teacher);
    }
    Ok((StatusCode::CREATED, Json(joined)))
}

#[derive(Deserialize)]
pub struct HistoryParams {
    before: Option<u64>,
    limit: Option<u32>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryPage {
    messages: Vec<Message>,
    /// More messages exist before the first one here.
    has_more: bool,
}

pub async fn messages(
    State(app): State<Arc<App>>,
    Path(room_id): Path<String>,
    access: Access,
    Query(params): Query<HistoryParams>,
) -> Result<Json<HistoryPage>, ApiError> {
    let access = access.for_room(&room_id)?;
    let limit = params.limit.unwrap_or(50);
    if limit == 0 || limit > MAX_HISTORY_PAGE {
        return Err(ApiError::invalid(format!("limit must be between 1 and {MAX_HISTORY_PAGE}")));
    }
    let query = HistoryQuery {
        viewer: &access.claims.user,
        all_whispers: access.claims.role == Role::Teacher,
        before: params.before,
        after: None,
        limit: limit + 1,
    };
    let mut messages = app.storage.messages(&room_id, query).await?;
    let has_more = messages.len() > limit as usize;
    if has_more {
        messages.remove(0);
    }
    Ok(Json(HistoryPage { messages, has_more }))
}
