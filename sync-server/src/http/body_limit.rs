//! Request body limits at the HTTP edge, refused in a way the client can
//! actually read.
//!
//! Refusing an oversized body is easy; getting the refusal to the client is
//! not. A server that answers and closes while the client is still sending
//! closes a socket with unread bytes in it, which makes the kernel send a
//! reset; the client sees the reset instead of the 413 (or, when the
//! connection looked reusable, fails its next pooled request with EPIPE). So
//! this middleware:
//!
//! - refuses a declared `Content-Length` over the limit before the handler
//!   runs. If the client sent `Expect: 100-continue` it has sent no body yet,
//!   and never will: hyper sends `100 Continue` only once someone reads the
//!   body, so the 413 goes out at once. Otherwise the body is read to its end
//!   and thrown away (never buffered), for at most [`DISCARD_TIMEOUT`], and
//!   then the 413 goes out;
//! - counts a body without a declared length (chunked) as the handler reads
//!   it. The handler gets an error at the first chunk past the limit, so it
//!   never sees more than the limit; the middleware then discards the rest
//!   the same way and answers 413 whatever the handler made of the error;
//! - treats a handler's own 413 (an upload's file over `--max-upload-bytes`
//!   inside a body that is within the route's limit) the same way.
//!
//! Every 413 carries `Connection: close`: after a refused body the
//! connection's framing can no longer be trusted to be at a request boundary
//! (the discard may have stopped early), and a client must not reuse it.
//! The error itself is always an [`ApiError`] with [`ErrorCode::TooLarge`].

use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, BodyDataStream, Bytes, HttpBody};
use axum::extract::{Request, State};
use axum::http::header::{CONNECTION, EXPECT};
use axum::http::{HeaderValue, StatusCode, Version};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::{Stream, StreamExt};
use jigsync_schema::ErrorCode;

use crate::error::ApiError;

/// How long an oversized body is read and thrown away before the 413 goes
/// out anyway. Ten seconds let a client sending at 25 Mbit/s or more finish a
/// 30 MiB body and read the answer, and bound how long a client trickling a
/// huge body holds the task. A client still sending after it may see a reset.
pub const DISCARD_TIMEOUT: Duration = Duration::from_secs(10);

/// One route's body limit and the refusal its clients get.
#[derive(Debug, Clone)]
pub struct BodyLimit {
    max_bytes: u64,
    refusal: ApiError,
}

impl BodyLimit {
    /// Bodies of more than `max_bytes` are refused with `refusal`, which
    /// must be an [`ErrorCode::TooLarge`] error.
    pub fn new(max_bytes: usize, refusal: ApiError) -> Self {
        debug_assert_eq!(refusal.code, ErrorCode::TooLarge);
        BodyLimit { max_bytes: u64::try_from(max_bytes).unwrap_or(u64::MAX), refusal }
    }
}

/// The middleware (`axum::middleware::from_fn_with_state` with a
/// [`BodyLimit`]).
pub async fn enforce(State(limit): State<BodyLimit>, req: Request, next: Next) -> Response {
    let version = req.version();
    // hyper's exact size hint is the Content-Length it will hold the body
    // to; chunked bodies have none.
    match req.body().size_hint().exact() {
        Some(0) => return next.run(req).await,
        Some(declared) if declared > limit.max_bytes => {
            let expects_continue =
                req.headers().get(EXPECT).is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
            if expects_continue {
                // Dropped unread: hyper never sends `100 Continue`.
                tracing::debug!(declared, max = limit.max_bytes, "refused a body announced with Expect");
            } else {
                let Discarded { bytes, ended } = discard(req.into_body().into_data_stream()).await;
                tracing::debug!(declared, max = limit.max_bytes, bytes, ?ended, "refused an oversized body");
            }
            return refuse(limit.refusal, version);
        }
        _ => {}
    }

    let (parts, body) = req.into_parts();
    let tap = Arc::new(Mutex::new(Tap {
        rest: Some(body.into_data_stream()),
        read: 0,
        max_bytes: limit.max_bytes,
        over: false,
    }));
    let response = next.run(Request::from_parts(parts, Body::from_stream(Counted(tap.clone())))).await;
    // The handler is done with the body; whatever it left unread is ours.
    let (over, rest) = {
        let mut tap = tap.lock().unwrap_or_else(PoisonError::into_inner);
        (tap.over, tap.rest.take())
    };
    if over {
        if let Some(rest) = rest {
            let Discarded { bytes, ended } = discard(rest).await;
            tracing::debug!(max = limit.max_bytes, bytes, ?ended, "refused an oversized streamed body");
        }
        return refuse(limit.refusal, version);
    }
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE {
        if let Some(rest) = rest {
            let Discarded { bytes, ended } = discard(rest).await;
            tracing::debug!(bytes, ?ended, "discarded the rest of a body the handler refused");
        }
        return close(response, version);
    }
    response
}

fn refuse(refusal: ApiError, version: Version) -> Response {
    close(refusal.into_response(), version)
}

fn close(mut response: Response, version: Version) -> Response {
    // `Connection` is an HTTP/1 header; HTTP/2 forbids it.
    if matches!(version, Version::HTTP_09 | Version::HTTP_10 | Version::HTTP_11) {
        response.headers_mut().insert(CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// What discarding a body came to, for the logs.
#[derive(Debug, Clone, Copy)]
struct Discarded {
    bytes: u64,
    ended: Ended,
}

#[derive(Debug, Clone, Copy)]
enum Ended {
    /// The whole body was read.
    Whole,
    /// The body ended in an error: the client went away, or sent framing
    /// hyper could not decode.
    Broken,
    /// [`DISCARD_TIMEOUT`] passed first; the client may see a reset.
    TimedOut,
}

/// Reads and drops the rest of a body, chunk by chunk, for at most
/// [`DISCARD_TIMEOUT`], so the client finishes sending and reads the answer.
async fn discard(mut body: BodyDataStream) -> Discarded {
    let deadline = tokio::time::Instant::now() + DISCARD_TIMEOUT;
    let mut bytes = 0u64;
    let ended = loop {
        match tokio::time::timeout_at(deadline, body.next()).await {
            Ok(Some(Ok(chunk))) => bytes = bytes.saturating_add(chunk.len() as u64),
            Ok(None) => break Ended::Whole,
            Ok(Some(Err(_))) => break Ended::Broken,
            Err(_) => break Ended::TimedOut,
        }
    };
    Discarded { bytes, ended }
}

/// A request body shared between the handler, which reads it through
/// [`Counted`], and the middleware, which discards what the handler left.
struct Tap {
    rest: Option<BodyDataStream>,
    read: u64,
    max_bytes: u64,
    over: bool,
}

/// What the handler reads: the body, ending in an error at the first chunk
/// that takes it past the limit (that chunk is not handed on).
struct Counted(Arc<Mutex<Tap>>);

#[derive(Debug, thiserror::Error)]
enum CountedError {
    #[error("the request body is over its limit")]
    OverLimit,
    #[error(transparent)]
    Read(axum::Error),
}

impl Stream for Counted {
    type Item = Result<Bytes, CountedError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let mut guard = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let tap = &mut *guard;
        if tap.over {
            return Poll::Ready(Some(Err(CountedError::OverLimit)));
        }
        let Some(rest) = tap.rest.as_mut() else {
            return Poll::Ready(None);
        };
        match rest.poll_next_unpin(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                tap.read = tap.read.saturating_add(chunk.len() as u64);
                if tap.read > tap.max_bytes {
                    tap.over = true;
                    Poll::Ready(Some(Err(CountedError::OverLimit)))
                } else {
                    Poll::Ready(Some(Ok(chunk)))
                }
            }
            Poll::Ready(Some(Err(err))) => Poll::Ready(Some(Err(CountedError::Read(err)))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }
}
