//! Forwarding a room-bound HTTP call (join, add a teacher, start a puzzle,
//! list boards) that landed on a node which does not own the room to the node
//! that does. Bodies of these calls are small JSON documents, so they are
//! read whole and relayed; the owner's status, type and body come back as
//! they are.

use std::time::Duration;

use axum::body::Bytes;
use axum::http::{header, HeaderMap, Method, StatusCode};

/// How long the owner may take to answer a forwarded call.
const FORWARD_TIMEOUT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// The headers of a client's request that the owner needs.
const PASSED: [header::HeaderName; 3] = [header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT_LANGUAGE];

#[derive(Debug, thiserror::Error)]
pub enum ForwardError {
    #[error("cannot build the forwarding client: {0}")]
    Client(reqwest::Error),
    /// Without its URL, which may carry a token: the caller logs the URL
    /// redacted.
    #[error("the room's node did not answer: {0}")]
    Owner(reqwest::Error),
}

impl From<reqwest::Error> for ForwardError {
    fn from(err: reqwest::Error) -> Self {
        ForwardError::Owner(err.without_url())
    }
}

pub struct Answer {
    pub status: StatusCode,
    pub content_type: Option<header::HeaderValue>,
    pub body: Bytes,
}

#[derive(Clone)]
pub struct HttpForwarder {
    client: reqwest::Client,
}

impl HttpForwarder {
    pub fn new() -> Result<Self, ForwardError> {
        let client = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(FORWARD_TIMEOUT)
            // The owner answers itself; a redirect would be someone else's.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(ForwardError::Client)?;
        Ok(HttpForwarder { client })
    }

    /// Sends `method url` with the client's relevant headers, the forwarding
    /// headers already in `marks`, and `body`.
    pub async fn send(
        &self,
        method: Method,
        url: &str,
        client_headers: &HeaderMap,
        marks: HeaderMap,
        body: Bytes,
    ) -> Result<Answer, ForwardError> {
        let mut headers = marks;
        for name in PASSED {
            if let Some(value) = client_headers.get(&name) {
                headers.insert(name, value.clone());
            }
        }
        let response = self.client.request(method, url).headers(headers).body(body).send().await?;
        let status = response.status();
        let content_type = response.headers().get(header::CONTENT_TYPE).cloned();
        let body = response.bytes().await?;
        Ok(Answer { status, content_type, body })
    }
}
