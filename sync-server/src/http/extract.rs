//! Request extractors that answer in the API's JSON error shape: bodies,
//! query strings, Bearer tokens and the client's IP.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use crate::access::{self, Access};
use crate::app::App;
use crate::client_ip::client_ip;
use crate::error::ApiError;

#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Json<T>(pub T);

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(jigsync_schema::ErrorCode::TooLarge, "request body is too large")
        } else {
            ApiError::invalid(rejection.body_text())
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::invalid(rejection.body_text())
    }
}

impl<T: serde::Serialize> axum::response::IntoResponse for Json<T> {
    fn into_response(self) -> axum::response::Response {
        axum::Json(self.0).into_response()
    }
}

/// The `Authorization: Bearer <token>` of a request, not yet checked: for
/// routes that accept more than a member's token.
#[derive(Debug, Clone)]
pub struct Bearer(pub String);

impl FromRequestParts<Arc<App>> for Bearer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _app: &Arc<App>) -> Result<Self, ApiError> {
        bearer(parts).map(|token| Bearer(token.to_owned()))
    }
}

/// A valid `Authorization: Bearer <token>` of a current member.
impl FromRequestParts<Arc<App>> for Access {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, ApiError> {
        access::check(app, bearer(parts)?).await
    }
}

/// Like [`Access`], for a room that may have been closed: what is read
/// after the class.
pub struct AccessEvenClosed(pub Access);

impl FromRequestParts<Arc<App>> for AccessEvenClosed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, ApiError> {
        access::check_even_closed(app, bearer(parts)?).await.map(AccessEvenClosed)
    }
}

fn bearer(parts: &Parts) -> Result<&str, ApiError> {
    let header = parts.headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok());
    header
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or_else(|| ApiError::unauthorized("send the room token as `Authorization: Bearer <token>`"))
}

/// The client's IP for rate limits (see [`client_ip`]); for a request
/// another node of the cluster forwarded, the address that node vouches for.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<Arc<App>> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, ApiError> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| *addr)
            .ok_or_else(|| ApiError::new(jigsync_schema::ErrorCode::Internal, "peer address unknown"))?;
        if let Some(client) = crate::cluster::headers::forwarded_client(&parts.headers, &app.keys) {
            return Ok(ClientIp(client));
        }
        Ok(ClientIp(client_ip(peer, &parts.headers, &app.config.trusted_proxy)))
    }
}
