//! The WebSocket upgrade of a connection this node serves itself. Ours
//! rather than axum's `WebSocketUpgrade` because axum's socket hides the
//! transport's stream, and the connection needs it to send large messages
//! in pieces (see [`crate::connection::socket`]). It checks and answers as
//! axum's does for HTTP/1.1 (the only version the server speaks), with the
//! same status codes for a refusal.

use std::future::Future;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::future::{FutureExt, OptionFuture};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use tokio_tungstenite::WebSocketStream;
use tungstenite::handshake::derive_accept_key;
use tungstenite::protocol::{Role, WebSocketConfig};

use crate::connection::socket::WebSocket;

/// A request that may be upgraded to a WebSocket.
pub struct Upgrade {
    on_upgrade: OnUpgrade,
    key: HeaderValue,
}

impl Upgrade {
    /// Answers the request (101) and, once the client has the answer, runs `callback` with the WebSocket in a task of its own.
    pub fn on_upgrade<F, Fut>(self, config: WebSocketConfig, callback: F) -> Response
    where
        F: FnOnce(WebSocket) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        tokio::spawn(task(self.on_upgrade, config, callback));
        let mut response = StatusCode::SWITCHING_PROTOCOLS.into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        // Base64 of a digest: always a valid header value.
        if let Ok(accept) = HeaderValue::from_str(&derive_accept_key(self.key.as_bytes())) {
            headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
        }
        response
    }
}

/// The connection's task: once hyper hands the connection over, the
/// session `callback` makes. The opening is boxed and made here: in the
/// task's own future, it and the callback's captures (the token, the
/// room's name) would keep room beside the session for the connection's
/// whole life.
fn task<F, Fut>(on_upgrade: OnUpgrade, config: WebSocketConfig, callback: F) -> impl Future<Output = ()> + Send
where
    F: FnOnce(WebSocket) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let opening = Box::pin(async move {
        let upgraded = match on_upgrade.await {
            Ok(upgraded) => upgraded,
            Err(err) => {
                tracing::debug!(error = %err, "the client's upgrade failed");
                return None;
            }
        };
        let socket = WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, Some(config)).await;
        Some(callback(socket))
    });
    // Combinators rather than an `async` block, which would keep room for
    // the session twice (as the opening's result and as the future awaited).
    opening.then(OptionFuture::from).map(drop)
}

impl<S: Send + Sync> FromRequestParts<S> for Upgrade {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Response> {
        if parts.method != Method::GET {
            return Err(refuse(StatusCode::METHOD_NOT_ALLOWED, "a WebSocket upgrade is a GET request"));
        }
        if !header_has_token(&parts.headers, header::CONNECTION, "upgrade") {
            return Err(refuse(StatusCode::BAD_REQUEST, "the Connection header must name upgrade"));
        }
        if !header_is(&parts.headers, header::UPGRADE, "websocket") {
            return Err(refuse(StatusCode::BAD_REQUEST, "the Upgrade header must be websocket"));
        }
        let Some(key) = parts.headers.get(header::SEC_WEBSOCKET_KEY).cloned() else {
            return Err(refuse(StatusCode::BAD_REQUEST, "the Sec-WebSocket-Key header is missing"));
        };
        if !header_is(&parts.headers, header::SEC_WEBSOCKET_VERSION, "13") {
            return Err(refuse(StatusCode::BAD_REQUEST, "only WebSocket version 13 is spoken here"));
        }
        let Some(on_upgrade) = parts.extensions.remove::<OnUpgrade>() else {
            return Err(refuse(StatusCode::UPGRADE_REQUIRED, "this connection cannot be upgraded to a WebSocket"));
        };
        Ok(Upgrade { on_upgrade, key })
    }
}

fn refuse(status: StatusCode, why: &'static str) -> Response {
    (status, why).into_response()
}

fn header_is(headers: &HeaderMap, name: header::HeaderName, value: &str) -> bool {
    headers.get(name).is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(value.as_bytes()))
}

/// True if the comma-separated header holds `token` (any case).
fn header_has_token(headers: &HeaderMap, name: header::HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .any(|v| v.to_str().is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token))))
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use axum::extract::FromRequestParts;
    use axum::http::{Request, StatusCode};
    use tungstenite::protocol::WebSocketConfig;

    use super::{task, Upgrade, WebSocket};

    /// A session's future of a known size (what it holds is never read).
    struct Session(#[expect(dead_code, reason = "only its size matters")] [u8; 1024]);

    impl Future for Session {
        type Output = ();
        fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
            Poll::Ready(())
        }
    }

    fn session(_: WebSocket) -> Session {
        Session([0; 1024])
    }

    #[test]
    fn a_connections_task_holds_little_beside_its_session() {
        let on_upgrade = hyper::upgrade::on(Request::new(()));
        let task = task(on_upgrade, WebSocketConfig::default(), session);
        let size = std::mem::size_of_val(&task);
        assert!(size <= size_of::<Session>() + 32, "the task's future is {size} bytes");
    }

    async fn refusal(request: axum::http::request::Builder) -> StatusCode {
        let (mut parts, ()) = request.body(()).expect("a request").into_parts();
        match Upgrade::from_request_parts(&mut parts, &()).await {
            Ok(_) => StatusCode::SWITCHING_PROTOCOLS,
            Err(refused) => refused.status(),
        }
    }

    fn upgrade_request(version: &str) -> axum::http::request::Builder {
        Request::get("/ws")
            .header("connection", "keep-alive, Upgrade")
            .header("upgrade", "websocket")
            .header("sec-websocket-version", version)
            .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
    }

    #[tokio::test]
    async fn requests_that_are_not_websocket_upgrades_are_refused_with_axums_status_codes() {
        assert_eq!(refusal(Request::post("/ws")).await, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(refusal(Request::get("/ws")).await, StatusCode::BAD_REQUEST);
        let no_key = Request::get("/ws").header("connection", "upgrade").header("upgrade", "websocket");
        assert_eq!(refusal(no_key).await, StatusCode::BAD_REQUEST);
        assert_eq!(refusal(upgrade_request("8")).await, StatusCode::BAD_REQUEST);
        // Well formed, but not from a connection hyper can hand over.
        assert_eq!(refusal(upgrade_request("13")).await, StatusCode::UPGRADE_REQUIRED);
    }
}
