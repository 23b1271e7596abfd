//! A WebSocket for a room another node owns, relayed as bytes. The client's
//! upgrade request goes to the owner as it came (with the forwarding
//! headers of [`super::headers`]); the owner's answer goes back to the
//! client; after a `101` the two connections are joined byte for byte, so
//! the owner alone reads frames, enforces limits and closes. This node only
//! counts frame boundaries ([`super::frame_ends`]) so that it can still end
//! the connection with a close frame of its own when it shuts down or the
//! owner vanishes.
//!
//! Relaying parsed frames (see [`super::forward`], used for owners reached
//! over TLS) costs the relaying node more CPU per frame than the owner
//! spends; relaying bytes costs two copies.

use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use jigsync_schema::CloseCode;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{sleep, timeout, Instant};

use super::forward::Forward;
use super::frame_ends::{close_frame, FrameEnds};
use super::headers;
use crate::log_redact;

/// How long connecting to the owner and reading its answer may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);
/// The largest answer head (status line and headers) taken from the owner.
const MAX_HEAD_BYTES: usize = 16 * 1024;
/// The largest body of a refusal relayed back (the owner's JSON errors are
/// far smaller).
const MAX_REFUSAL_BYTES: usize = 64 * 1024;
const BUFFER_BYTES: usize = 16 * 1024;

/// What became of a connection offered to the owner.
pub enum Relayed {
    /// Answered with the owner's answer (and relayed if it accepted).
    Answered(Response),
    /// The owner cannot be reached (or the request cannot be upgraded): the
    /// request, untouched, for the caller to answer.
    Unreached(Request),
    /// The owner gave the room up for this connection
    /// ([`headers::ROOM_MOVED`]): the request, untouched, for the caller to
    /// serve itself.
    Moved(Request),
}

/// Offers `req` to the owner: answers it with the owner's answer, and
/// relays the connection if the owner accepted it.
pub async fn respond(req: Request, forward: Forward) -> Relayed {
    let Some(target) = Target::parse(&forward.url) else {
        return Relayed::Unreached(req);
    };
    if req.extensions().get::<OnUpgrade>().is_none() {
        return Relayed::Unreached(req);
    }
    let head = request_head(&req, &target, &forward);
    let handshake = async {
        let mut upstream = TcpStream::connect(&target.authority).await.ok()?;
        upstream.set_nodelay(true).ok()?;
        upstream.write_all(&head).await.ok()?;
        let (answer, early) = read_head(&mut upstream).await?;
        Some((upstream, answer, early))
    };
    let Ok(Some((mut upstream, answer, early))) = timeout(HANDSHAKE_TIMEOUT, handshake).await else {
        tracing::warn!(url = %log_redact::Url(&forward.url), "the room's node did not answer the upgrade");
        return Relayed::Unreached(req);
    };
    if answer.status != StatusCode::SWITCHING_PROTOCOLS {
        if answer.headers.contains_key(headers::ROOM_MOVED) {
            return Relayed::Moved(req);
        }
        return Relayed::Answered(refusal(answer, early, &mut upstream).await);
    }
    let mut req = req;
    let Some(on_upgrade) = req.extensions_mut().remove::<OnUpgrade>() else {
        return Relayed::Unreached(req);
    };
    tokio::spawn(async move {
        match on_upgrade.await {
            Ok(client) => {
                metrics::gauge!("jigsync_connections", "channel" => "forwarded").increment(1.0);
                pump(TokioIo::new(client), upstream, early, &forward).await;
                metrics::gauge!("jigsync_connections", "channel" => "forwarded").decrement(1.0);
            }
            Err(err) => tracing::debug!(error = %err, "the client's upgrade failed"),
        }
    });
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    *response.headers_mut() = answer.headers;
    Relayed::Answered(response)
}

/// Where the owner's WebSocket URL points.
struct Target {
    authority: String,
    path: String,
}

impl Target {
    /// `ws://host:port/path?query` (only plain `ws`: bytes cannot be relayed
    /// into TLS).
    fn parse(url: &str) -> Option<Target> {
        let rest = url.strip_prefix("ws://")?;
        let (authority, path) = rest.find('/').map_or((rest, "/"), |i| rest.split_at(i));
        (!authority.is_empty()).then(|| Target { authority: authority.to_owned(), path: path.to_owned() })
    }
}

/// The client's request as the owner gets it: its own headers, but the
/// owner's host, and this node's forwarding marks instead of any the client
/// sent.
fn request_head(req: &Request, target: &Target, forward: &Forward) -> Vec<u8> {
    let mut head = format!("GET {} HTTP/1.1\r\nHost: {}\r\n", target.path, target.authority).into_bytes();
    let own = [header::HOST, header::CONTENT_LENGTH, header::TRANSFER_ENCODING];
    let marks = [HeaderName::from_static(headers::NODE_PROOF), HeaderName::from_static(headers::CLIENT_IP)];
    for (name, value) in req.headers() {
        if own.contains(name) || marks.contains(name) {
            continue;
        }
        push_header(&mut head, name, value);
    }
    for (name, value) in &forward.marks {
        push_header(&mut head, name, value);
    }
    head.extend_from_slice(b"\r\n");
    head
}

fn push_header(head: &mut Vec<u8>, name: &HeaderName, value: &HeaderValue) {
    head.extend_from_slice(name.as_str().as_bytes());
    head.extend_from_slice(b": ");
    head.extend_from_slice(value.as_bytes());
    head.extend_from_slice(b"\r\n");
}

/// The owner's answer: its status and headers.
struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    content_length: usize,
}

/// Reads the owner's answer head; returns it with the bytes that came after
/// it (the first frames, after a `101`).
async fn read_head(upstream: &mut TcpStream) -> Option<(Answer, Vec<u8>)> {
    let mut buf = Vec::with_capacity(1024);
    loop {
        let mut chunk = [0u8; 1024];
        let n = upstream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        let mut slots = [httparse::EMPTY_HEADER; 32];
        let mut parsed = httparse::Response::new(&mut slots);
        match parsed.parse(&buf) {
            Ok(httparse::Status::Complete(len)) => {
                let status = StatusCode::from_u16(parsed.code?).ok()?;
                let mut headers = axum::http::HeaderMap::new();
                let mut content_length = 0;
                for h in parsed.headers.iter() {
                    let name = HeaderName::from_bytes(h.name.as_bytes()).ok()?;
                    let value = HeaderValue::from_bytes(h.value).ok()?;
                    if name == header::CONTENT_LENGTH {
                        content_length = value.to_str().ok()?.parse().ok()?;
                    }
                    headers.append(name, value);
                }
                return Some((Answer { status, headers, content_length }, buf.split_off(len)));
            }
            Ok(httparse::Status::Partial) if buf.len() < MAX_HEAD_BYTES => continue,
            _ => return None,
        }
    }
}

/// The owner refused the upgrade (a bad query, say): its answer, whole.
async fn refusal(answer: Answer, mut body: Vec<u8>, upstream: &mut TcpStream) -> Response {
    let want = answer.content_length.min(MAX_REFUSAL_BYTES);
    let rest = async {
        while body.len() < want {
            let mut chunk = [0u8; 4096];
            match upstream.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => body.extend_from_slice(&chunk[..n]),
            }
        }
    };
    let _ = timeout(HANDSHAKE_TIMEOUT, rest).await;
    body.truncate(want);
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = answer.status;
    *response.headers_mut() = answer.headers;
    response.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from(want));
    response
}

/// Joins the client and the owner until either ends, each write under the
/// write deadline. The client's side ends with a close frame of this node's
/// own if the owner's connection drops or this node shuts down.
async fn pump<C>(client: C, upstream: TcpStream, early: Vec<u8>, forward: &Forward)
where
    C: AsyncRead + AsyncWrite + Unpin,
{
    let (mut from_client, mut to_client) = tokio::io::split(client);
    let (mut from_owner, mut to_owner) = upstream.into_split();
    let deadline = forward.write_timeout;
    let up = async {
        let mut buf = vec![0u8; BUFFER_BYTES];
        loop {
            match from_client.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if !matches!(timeout(deadline, to_owner.write_all(&buf[..n])).await, Ok(Ok(()))) {
                        break;
                    }
                }
            }
        }
        let _ = to_owner.shutdown().await;
    };
    let down = async {
        let mut frames = FrameEnds::default();
        if !relay_down(&mut to_client, &mut frames, &early, deadline).await {
            return;
        }
        let mut buf = vec![0u8; BUFFER_BYTES];
        // Made once: a fresh wait per frame would join and leave the token's
        // waiter list (a lock each way) for every frame relayed.
        let shutdown = forward.shutdown.cancelled();
        tokio::pin!(shutdown);
        loop {
            let read = tokio::select! {
                biased;
                () = &mut shutdown => {
                    finish(&mut to_client, &mut from_owner, &mut frames, deadline, "server shutting down").await;
                    return;
                }
                read = from_owner.read(&mut buf) => read,
            };
            match read {
                Ok(n) if n > 0 => {
                    if !relay_down(&mut to_client, &mut frames, &buf[..n], deadline).await {
                        return;
                    }
                }
                // The owner closed (after its close frame, normally) or died.
                _ => {
                    if frames.at_boundary() {
                        let close = close_frame(CloseCode::GoingAway.code(), super::OWNER_GONE);
                        let _ = timeout(deadline, to_client.write_all(&close)).await;
                    }
                    let _ = timeout(deadline, to_client.shutdown()).await;
                    return;
                }
            }
        }
    };
    tokio::pin!(up, down);
    tokio::select! {
        () = &mut down => {}
        () = &mut up => {
            // The client is gone: let the owner's last frames out, briefly.
            let _ = timeout(deadline, down).await;
        }
    }
}

/// Passes owner bytes to the client, following frame ends.
async fn relay_down<W: AsyncWrite + Unpin>(
    to_client: &mut W,
    frames: &mut FrameEnds,
    bytes: &[u8],
    deadline: Duration,
) -> bool {
    let mut used = 0;
    while used < bytes.len() {
        used += frames.take(&bytes[used..]);
    }
    bytes.is_empty() || matches!(timeout(deadline, to_client.write_all(bytes)).await, Ok(Ok(())))
}

/// Ends the client's connection between two frames with a close frame
/// (1001): relays the owner's frame in progress to its end first, for at
/// most the write deadline.
async fn finish<W, R>(to_client: &mut W, from_owner: &mut R, frames: &mut FrameEnds, deadline: Duration, reason: &str)
where
    W: AsyncWrite + Unpin,
    R: AsyncRead + Unpin,
{
    let until = Instant::now() + deadline;
    let mut buf = vec![0u8; BUFFER_BYTES];
    while !frames.at_boundary() {
        let n = tokio::select! {
            read = from_owner.read(&mut buf) => match read { Ok(n) if n > 0 => n, _ => return },
            () = sleep(until.saturating_duration_since(Instant::now())) => return,
        };
        let mut used = 0;
        loop {
            used += frames.take(&buf[used..n]);
            if frames.at_boundary() || used >= n {
                break;
            }
        }
        if !matches!(timeout(deadline, to_client.write_all(&buf[..used])).await, Ok(Ok(()))) {
            return;
        }
    }
    let close = close_frame(CloseCode::GoingAway.code(), reason);
    let _ = timeout(deadline, to_client.write_all(&close)).await;
    let _ = timeout(deadline, to_client.shutdown()).await;
}

#[cfg(test)]
mod tests {
    use super::Target;

    #[test]
    fn only_plain_websocket_urls_are_relayed_as_bytes() {
        let t = Target::parse("ws://10.0.0.5:8080/ws/r1?token=x").expect("plain");
        assert_eq!((t.authority.as_str(), t.path.as_str()), ("10.0.0.5:8080", "/ws/r1?token=x"));
        let t = Target::parse("ws://node2:9000").expect("no path");
        assert_eq!(t.path, "/");
        assert!(Target::parse("wss://node2/ws").is_none());
        assert!(Target::parse("ws:///ws").is_none());
    }
}
