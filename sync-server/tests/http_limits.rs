//! Limits at the HTTP edge: bodies over a route's limit get a readable 413
//! (never a connection reset), whatever their size and framing, and pictures
//! over the dimension caps are refused at upload and at puzzle start.
//!
//! Several tests speak raw HTTP/1.1 over a `TcpStream`: `Expect:
//! 100-continue` and chunked bodies have to be controlled byte by byte, and
//! the harness's reqwest has no streaming bodies.

mod common;

use std::time::Duration;

use common::*;
use jigsync_schema::limits::{MAX_JSON_BODY_BYTES, MAX_PICTURE_PIXELS, MAX_PICTURE_SIDE};
use jigsync_server::storage::sqlite::SqliteStorage;
use jigsync_server::storage::{Storage, UploadRow};
use jigsync_server::uploads::{content_id, BlobStore};
use serde_json::{json, Value};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

/// Well under the server's 10 s bound on discarding an oversized body, so an
/// answer this fast cannot have waited for a body.
const PROMPT: Duration = Duration::from_secs(5);

/// A response read off a raw socket.
#[derive(Debug)]
struct RawResponse {
    status: u16,
    /// Names lowercased.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl RawResponse {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// `(status, error code, connection header)`: what every 413 test checks.
    fn summary(&self) -> (u16, Option<String>, Option<String>) {
        let code = self.json()["error"]["code"].as_str().map(str::to_owned);
        (self.status, code, self.header("connection").map(str::to_ascii_lowercase))
    }
}

/// The summary of every readable 413 from the edge.
fn too_large_and_close() -> (u16, Option<String>, Option<String>) {
    (413, Some("too_large".into()), Some("close".into()))
}

/// `(status, error code, connection header)` and the JSON body of a reqwest
/// response, like [`RawResponse::summary`].
async fn summary(res: reqwest::Response) -> ((u16, Option<String>, Option<String>), Value) {
    let connection = res.headers().get("connection").and_then(|v| v.to_str().ok()).map(str::to_ascii_lowercase);
    let status = res.status().as_u16();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    let code = body["error"]["code"].as_str().map(str::to_owned);
    ((status, code, connection), body)
}

/// Reads one response with a `Content-Length` body (every API response has
/// one). Interim `100 Continue` responses are returned like any other, so a
/// test can tell it was sent.
async fn read_response(stream: &mut (impl AsyncRead + Unpin)) -> RawResponse {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            let mut lines = head.split("\r\n");
            let status_line = lines.next().unwrap_or_default();
            let status = status_line.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
            let headers: Vec<(String, String)> = lines
                .filter_map(|l| l.split_once(':'))
                .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
                .collect();
            let length = headers
                .iter()
                .find(|(n, _)| n == "content-length")
                .and_then(|(_, v)| v.parse::<usize>().ok())
                .unwrap_or(0);
            let body_start = end + 4;
            if buf.len() >= body_start + length {
                let body = buf[body_start..body_start + length].to_vec();
                return RawResponse { status, headers, body };
            }
        }
        let n = stream.read(&mut chunk).await.expect("read the response");
        assert!(n > 0, "connection closed before a whole response: {:?}", String::from_utf8_lossy(&buf));
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Asserts the server closes the connection (after its `Connection: close`).
async fn assert_closed(stream: &mut (impl AsyncRead + Unpin)) {
    let mut rest = Vec::new();
    let read =
        tokio::time::timeout(WAIT, stream.read_to_end(&mut rest)).await.expect("the server closes the connection");
    read.expect("a clean close, not a reset");
    assert!(rest.is_empty(), "nothing after the response: {:?}", String::from_utf8_lossy(&rest));
}

/// Writes an HTTP/1.1 chunked body: `prefix`, then `filler` spaces in
/// chunks of 64 KiB, then `suffix`, then the last chunk. Panics if the
/// server stops reading (the writes fail with a reset).
async fn write_chunked(stream: &mut (impl AsyncWrite + Unpin), prefix: &[u8], filler: usize, suffix: &[u8]) {
    const CHUNK: usize = 64 * 1024;
    // An empty chunk would end the body, so empty parts are left out.
    async fn chunk(stream: &mut (impl AsyncWrite + Unpin), bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        let mut framed = format!("{:x}\r\n", bytes.len()).into_bytes();
        framed.extend_from_slice(bytes);
        framed.extend_from_slice(b"\r\n");
        stream.write_all(&framed).await.expect("the server reads (and discards) the whole body");
    }
    chunk(stream, prefix).await;
    let spaces = vec![b' '; CHUNK];
    let mut left = filler;
    while left > 0 {
        let n = left.min(CHUNK);
        chunk(stream, &spaces[..n]).await;
        left -= n;
    }
    chunk(stream, suffix).await;
    stream.write_all(b"0\r\n\r\n").await.expect("the server reads the last chunk");
}

#[tokio::test]
async fn a_5_mb_json_body_gets_a_readable_413_too_large_with_connection_close() {
    let server = TestServer::start().await;
    let name = "a".repeat(5_000_000);
    let res = server
        .http
        .post(server.url("/api/rooms"))
        .json(&json!({ "name": name, "teacherName": "T" }))
        .send()
        .await
        .expect("a response, not a reset");
    let (got, body) = summary(res).await;
    assert_eq!(got, too_large_and_close(), "{body}");
    assert!(body["error"]["message"].as_str().is_some_and(|m| m.contains("65536")), "{body}");
    // The same client goes on working (on a fresh connection).
    server.create_room("After", "T").await;
}

#[tokio::test]
async fn a_30_mib_upload_gets_a_readable_413_and_the_same_client_then_succeeds() {
    let server = TestServer::start().await;
    let room = server.create_room("Big uploads", "T").await;
    let url = server.url(&format!("/api/rooms/{}/uploads", room.id));
    // Several rounds: from the second on, the client's pool holds the
    // connection the previous round's successful upload left behind.
    for round in 0..3 {
        let part = reqwest::multipart::Part::bytes(vec![0u8; 30 * 1024 * 1024]).file_name("big.gif");
        let res = server
            .http
            .post(&url)
            .bearer_auth(&room.teacher.token)
            .multipart(reqwest::multipart::Form::new().part("file", part))
            .send()
            .await
            .unwrap_or_else(|err| panic!("round {round}: a response, not {err:?}"));
        let (got, body) = summary(res).await;
        assert_eq!(got, too_large_and_close(), "round {round}: {body}");
        // The next request on the same client, which may pick a pooled
        // connection, succeeds.
        let (status, up) = upload(&server, &room, &room.teacher.token, TINY_GIF.to_vec(), "a.gif").await;
        assert_eq!(status, 201, "round {round}: {up}");
    }
}

#[tokio::test]
async fn an_oversized_chunked_json_body_without_content_length_gets_413() {
    let server = TestServer::start().await;
    let mut stream = TcpStream::connect(server.addr).await.expect("connect");
    let head = "POST /api/rooms HTTP/1.1\r\nHost: jigsync\r\nContent-Type: application/json\r\n\
                Transfer-Encoding: chunked\r\n\r\n";
    stream.write_all(head.as_bytes()).await.expect("send the head");
    // 32 MiB: far more than socket buffers hold, so a server that stopped
    // reading would reset the connection under the writes.
    let write = write_chunked(&mut stream, br#"{"teacherName": "T", "name": "Big""#, 32 * 1024 * 1024, b"}");
    tokio::time::timeout(WAIT, write).await.expect("the body is read in time");
    let res = tokio::time::timeout(WAIT, read_response(&mut stream)).await.expect("a response");
    assert_eq!(res.summary(), too_large_and_close(), "{res:?}");
    assert_closed(&mut stream).await;
}

#[tokio::test]
async fn an_oversized_chunked_upload_without_content_length_gets_413() {
    let server = TestServer::start_with(&["--max-upload-bytes", "65536"]).await;
    let room = server.create_room("Chunked", "T").await;
    let mut stream = TcpStream::connect(server.addr).await.expect("connect");
    let head = format!(
        "POST /api/rooms/{}/uploads HTTP/1.1\r\nHost: jigsync\r\nAuthorization: Bearer {}\r\n\
         Content-Type: multipart/form-data; boundary=XYZ\r\nTransfer-Encoding: chunked\r\n\r\n",
        room.id, room.teacher.token
    );
    stream.write_all(head.as_bytes()).await.expect("send the head");
    let part = b"--XYZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.gif\"\r\n\
                 Content-Type: image/gif\r\n\r\nGIF89a";
    let write = write_chunked(&mut stream, part, 8 * 1024 * 1024, b"\r\n--XYZ--\r\n");
    tokio::time::timeout(WAIT, write).await.expect("the body is read in time");
    let res = tokio::time::timeout(WAIT, read_response(&mut stream)).await.expect("a response");
    assert_eq!(res.summary(), too_large_and_close(), "{res:?}");
    assert_closed(&mut stream).await;
}

#[tokio::test]
async fn expect_100_continue_with_an_oversized_content_length_gets_413_at_once_and_no_body_is_sent() {
    let server = TestServer::start().await;
    let mut stream = TcpStream::connect(server.addr).await.expect("connect");
    let head = "POST /api/rooms HTTP/1.1\r\nHost: jigsync\r\nContent-Type: application/json\r\n\
                Content-Length: 50000000\r\nExpect: 100-continue\r\n\r\n";
    stream.write_all(head.as_bytes()).await.expect("send the head");
    let res = tokio::time::timeout(PROMPT, read_response(&mut stream)).await.expect("an answer without the body");
    assert_eq!(res.summary(), too_large_and_close(), "{res:?}");
    assert_closed(&mut stream).await;
}

#[tokio::test]
async fn a_client_that_stalls_mid_body_gets_the_413_once_the_discard_bound_passes() {
    let server = TestServer::start().await;
    let mut stream = TcpStream::connect(server.addr).await.expect("connect");
    let head = "POST /api/rooms HTTP/1.1\r\nHost: jigsync\r\nContent-Type: application/json\r\n\
                Content-Length: 50000000\r\n\r\n{\"name\": \"";
    stream.write_all(head.as_bytes()).await.expect("send the head");
    let started = tokio::time::Instant::now();
    // The server's bound is 10 s; allow for a slow machine on top.
    let res = tokio::time::timeout(Duration::from_secs(10) + WAIT, read_response(&mut stream))
        .await
        .expect("an answer once the server stops waiting for the body");
    assert!(started.elapsed() >= Duration::from_secs(9), "answered after {:?}", started.elapsed());
    assert_eq!(res.summary(), too_large_and_close(), "{res:?}");
    assert_closed(&mut stream).await;
}

#[tokio::test]
async fn a_file_over_the_upload_limit_inside_an_allowed_body_gets_413_with_connection_close() {
    // The body is within the route's limit (upload limit + 64 KiB), so the
    // handler itself refuses the file; its 413 must leave like the edge's.
    let server = TestServer::start_with(&["--max-upload-bytes", "2048"]).await;
    let room = server.create_room("Small uploads", "T").await;
    let mut gif = TINY_GIF.to_vec();
    gif.resize(40 * 1024, 0);
    let part = reqwest::multipart::Part::bytes(gif).file_name("big.gif");
    let res = server
        .http
        .post(server.url(&format!("/api/rooms/{}/uploads", room.id)))
        .bearer_auth(&room.teacher.token)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .expect("a response, not a reset");
    let (got, body) = summary(res).await;
    assert_eq!(got, too_large_and_close(), "{body}");
    assert_eq!(body["error"]["message"], "uploads are limited to 2048 bytes");
    let (status, up) = upload(&server, &room, &room.teacher.token, TINY_GIF.to_vec(), "a.gif").await;
    assert_eq!(status, 201, "{up}");
}

#[tokio::test]
async fn bodies_within_their_limits_work_as_before_with_and_without_content_length() {
    // A regression guard: these all pass on the code before the edge limits too.
    let server = TestServer::start().await;
    server.create_room("Ordinary", "T").await;

    // Just under 64 KiB, padded with JSON whitespace.
    let json = json!({ "name": "Padded", "teacherName": "T" }).to_string();
    let padded = format!("{}{}", " ".repeat(MAX_JSON_BODY_BYTES - json.len()), json);
    assert_eq!(padded.len(), MAX_JSON_BODY_BYTES);
    let res = server
        .http
        .post(server.url("/api/rooms"))
        .header("content-type", "application/json")
        .body(padded)
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 201);
    assert_ne!(res.headers().get("connection").map(|v| v.as_bytes()), Some(&b"close"[..]));

    // Chunked, under the limit, and the connection stays open for another.
    let mut stream = TcpStream::connect(server.addr).await.expect("connect");
    for _ in 0..2 {
        let head = "POST /api/rooms HTTP/1.1\r\nHost: jigsync\r\nContent-Type: application/json\r\n\
                    Transfer-Encoding: chunked\r\n\r\n";
        stream.write_all(head.as_bytes()).await.expect("send the head");
        write_chunked(&mut stream, br#"{"teacherName": "T", "name": "Chunked""#, 1000, b"}").await;
        let res = tokio::time::timeout(WAIT, read_response(&mut stream)).await.expect("a response");
        assert_eq!(res.status, 201, "{res:?}");
    }

    // `Expect: 100-continue` within the limit: the server asks for the body.
    let body = json!({ "name": "Expecting", "teacherName": "T" }).to_string();
    let head = format!(
        "POST /api/rooms HTTP/1.1\r\nHost: jigsync\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nExpect: 100-continue\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.expect("send the head");
    let res = tokio::time::timeout(WAIT, read_response(&mut stream)).await.expect("100 Continue");
    assert_eq!(res.status, 100, "{res:?}");
    stream.write_all(body.as_bytes()).await.expect("send the body");
    let res = tokio::time::timeout(WAIT, read_response(&mut stream)).await.expect("a response");
    assert_eq!(res.status, 201, "{res:?}");

    // An upload of exactly the limit.
    let server = TestServer::start_with(&["--max-upload-bytes", "4096"]).await;
    let room = server.create_room("Uploads", "T").await;
    let mut gif = TINY_GIF.to_vec();
    gif.resize(4096, 0);
    let (status, body) = upload(&server, &room, &room.teacher.token, gif, "a.gif").await;
    assert_eq!(status, 201, "{body}");
}

#[tokio::test]
async fn the_upload_gate_refuses_pictures_whose_header_is_over_the_dimension_caps() {
    let server = TestServer::start().await;
    let room = server.create_room("Caps", "T").await;
    let token = room.teacher.token.clone();
    let over_pixels = (MAX_PICTURE_PIXELS / u64::from(MAX_PICTURE_SIDE) + 1) as u32;
    for (width, height) in [(100_000, 100_000), (9000, 10), (10, MAX_PICTURE_SIDE + 1), (MAX_PICTURE_SIDE, over_pixels)]
    {
        let (status, body) = upload(&server, &room, &token, png(width, height), "big.png").await;
        assert_eq!((status.as_u16(), body["error"]["code"].as_str()), (400, Some("invalid")), "{width}×{height}");
        assert!(body["error"]["message"].as_str().is_some_and(|m| m.contains("8192")), "names the cap: {body}");
    }
    // At the caps exactly, and a picture whose size cannot be read (kept as
    // before: the sniffed type decides).
    let at_caps = (MAX_PICTURE_SIDE, (MAX_PICTURE_PIXELS / u64::from(MAX_PICTURE_SIDE)) as u32);
    let (status, body) = upload(&server, &room, &token, png(at_caps.0, at_caps.1), "ok.png").await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = upload(&server, &room, &token, b"\x89PNG\r\n\x1a\nno header".to_vec(), "x.png").await;
    assert_eq!(status, 201, "{body}");
}

/// Stores a picture the way the server does, behind its back: an upload that
/// was accepted before the dimension caps existed.
async fn plant_upload(server: &TestServer, room: &str, bytes: &[u8]) -> String {
    let id = content_id(bytes);
    let blobs = BlobStore::open(server.data_dir.join("uploads")).expect("the server's upload dir");
    blobs.put(&id, bytes).await.expect("write the picture");
    let storage = SqliteStorage::open(&server.data_dir.join("jigsync.db")).await.expect("the server's database");
    let row = UploadRow { id: id.clone(), content_type: "image/png".into(), bytes: bytes.len() as i64, created_at: 0 };
    storage.put_upload(&row, room).await.expect("record the upload");
    storage.close().await;
    id
}

#[tokio::test]
async fn the_puzzle_gate_refuses_an_over_cap_picture_stored_before_the_caps() {
    let server = TestServer::start().await;
    let room = server.create_room("Legacy", "T").await;
    let path = format!("/api/rooms/{}/puzzles", room.id);
    let start = |upload_id: String| json!({ "uploadId": upload_id, "rows": 2, "cols": 2, "mode": "shared" });
    for (width, height) in [(9000, 10), (100_000, 100_000), (MAX_PICTURE_SIDE, MAX_PICTURE_SIDE)] {
        let id = plant_upload(&server, &room.id, &png(width, height)).await;
        let (status, body) = server.post(&path, Some(&room.teacher.token), start(id)).await;
        assert_eq!((status.as_u16(), body["error"]["code"].as_str()), (400, Some("invalid")), "{width}×{height}");
        assert!(body["error"]["message"].as_str().is_some_and(|m| m.contains("8192")), "names the cap: {body}");
    }
    // A picture whose size cannot be read stays 415.
    let id = plant_upload(&server, &room.id, b"\x89PNG\r\n\x1a\nno header").await;
    let (status, body) = server.post(&path, Some(&room.teacher.token), start(id)).await;
    assert_eq!((status.as_u16(), body["error"]["code"].as_str()), (415, Some("unsupported_media_type")));
    // At the caps exactly, a puzzle starts.
    let id = plant_upload(&server, &room.id, &png(MAX_PICTURE_SIDE, 4096)).await;
    let (status, body) = server.post(&path, Some(&room.teacher.token), start(id)).await;
    assert_eq!(status, 201, "{body}");
}
