//! The harness every integration test uses: the real `jigsync` binary on
//! port 0 with a temporary data dir, HTTP through reqwest, and WebSocket
//! clients (tokio-tungstenite) speaking the MessagePack protocol.

#![allow(dead_code)] // each test binary uses a different part of the harness

pub mod cluster;
pub mod crafted;
pub mod token_leaks;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use jigsync_schema::{decode, encode, ClientMsg, ErrorCode, LobbyMsg, Message, ServerMsg};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode as WsCloseCode;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long a test waits for something it expects before failing.
pub const WAIT: Duration = Duration::from_secs(10);

/// Every request a test makes gives up after [`WAIT`]: a server that stops
/// answering fails the test instead of hanging it.
fn http_client() -> reqwest::Client {
    reqwest::Client::builder().timeout(WAIT).build().expect("HTTP client")
}

pub struct TestServer {
    /// `None` for [`TestServer::at`]: something else runs there.
    child: Option<Child>,
    pub addr: SocketAddr,
    pub data_dir: PathBuf,
    args: Vec<String>,
    /// Environment given to the process besides the harness's own.
    env: Vec<(String, String)>,
    /// Every line the process wrote to stderr (its log), across restarts.
    logs: Arc<Mutex<Vec<String>>>,
    /// The thread that reads the log: joined once the process is gone, so
    /// the leak check sees the last lines.
    reader: Option<std::thread::JoinHandle<()>>,
    _temp: Option<tempfile::TempDir>,
    pub http: reqwest::Client,
}

impl TestServer {
    pub async fn start() -> TestServer {
        TestServer::start_with(&[]).await
    }

    /// Starts a server with extra flags (e.g. lower limits).
    pub async fn start_with(args: &[&str]) -> TestServer {
        TestServer::start_with_env(args, &[]).await
    }

    /// Starts a server with extra flags and environment (e.g. `JIGSYNC_LOG`,
    /// which is `info` otherwise).
    pub async fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> TestServer {
        let temp = tempfile::tempdir().expect("temp dir");
        let data_dir = temp.path().to_path_buf();
        let args = args.iter().map(|s| s.to_string()).collect();
        let env = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let mut server = TestServer::spawn(&data_dir, args, env, Arc::default());
        server._temp = Some(temp);
        server
    }

    /// Starts a server on an existing data dir (a restored backup, say),
    /// which the test keeps and removes.
    pub async fn start_in(data_dir: &Path, args: &[&str]) -> TestServer {
        let args = args.iter().map(|s| s.to_string()).collect();
        TestServer::spawn(data_dir, args, Vec::new(), Arc::default())
    }

    fn spawn(
        data_dir: &Path,
        args: Vec<String>,
        env: Vec<(String, String)>,
        logs: Arc<Mutex<Vec<String>>>,
    ) -> TestServer {
        let mut child = Command::new(env!("CARGO_BIN_EXE_jigsync"))
            .arg("--addr")
            .arg("127.0.0.1:0")
            .arg("--data-dir")
            .arg(data_dir)
            .args(&args)
            .env("JIGSYNC_LOG", "info")
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start jigsync");
        let stderr = child.stderr.take().expect("stderr piped");
        let (tx, rx) = mpsc::channel();
        let kept = logs.clone();
        let reader = std::thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if !sent {
                    if let Some(addr) = log_field(&line, "listening", "addr") {
                        let _ = tx.send(addr);
                        sent = true;
                    }
                }
                if std::env::var_os("JIGSYNC_TEST_LOG").is_some() {
                    eprintln!("[server] {line}");
                }
                kept.lock().expect("log lines").push(line);
            }
        });
        let addr = rx.recv_timeout(WAIT).expect("server did not report its address").parse().expect("address");
        TestServer {
            child: Some(child),
            addr,
            data_dir: data_dir.to_path_buf(),
            args,
            env,
            logs,
            reader: Some(reader),
            _temp: None,
            http: http_client(),
        }
    }

    /// The lines the process has logged so far.
    pub fn logs(&self) -> Vec<String> {
        self.logs.lock().expect("log lines").clone()
    }

    /// Waits for a log line with `message` and returns its field `name`.
    pub async fn wait_for_log_field(&self, message: &str, name: &str) -> String {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            if let Some(value) = self.logs().iter().find_map(|line| log_field(line, message, name)) {
                return value;
            }
            assert!(tokio::time::Instant::now() < deadline, "no log line {message:?} with {name}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The HTTP and WebSocket helpers for a server this harness did not
    /// start (a load balancer in front of several nodes).
    pub fn at(addr: SocketAddr) -> TestServer {
        TestServer {
            child: None,
            addr,
            data_dir: PathBuf::new(),
            args: Vec::new(),
            env: Vec::new(),
            logs: Arc::default(),
            reader: None,
            _temp: None,
            http: http_client(),
        }
    }

    fn process(&mut self) -> &mut Child {
        self.child.as_mut().expect("a server this harness started")
    }

    /// `kill -9`, then a fresh process on the same data dir (new port).
    pub fn kill9_and_restart(&mut self) {
        self.process().kill().expect("kill -9");
        let _ = self.process().wait();
        let fresh = TestServer::spawn(&self.data_dir, self.args.clone(), self.env.clone(), self.logs.clone());
        let old = std::mem::replace(self, fresh);
        self._temp = old.into_temp();
    }

    /// `kill -9`, then a fresh process on the same data dir with other flags.
    pub fn restart_with(&mut self, args: &[&str]) {
        self.args = args.iter().map(|s| s.to_string()).collect();
        self.kill9_and_restart();
    }

    /// `kill -9`, and no restart: the node is gone.
    pub fn kill9(&mut self) {
        self.process().kill().expect("kill -9");
        let _ = self.process().wait();
    }

    /// Sends a signal by name (`STOP`, `CONT`, …) to the process.
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill").arg(format!("-{name}")).arg(self.pid().to_string()).status();
        assert!(status.is_ok_and(|s| s.success()), "kill -{name}");
    }

    /// Stops the process with SIGSTOP and returns once every one of its
    /// threads has stopped. `kill` returns as soon as the signal is queued:
    /// until the one thread picked to take it gets a CPU, the process's other
    /// threads run on, and on a busy machine that lasted long enough for a
    /// chat sent "into the pause" to be committed and acknowledged.
    pub fn pause(&self) {
        self.signal("STOP");
        let deadline = std::time::Instant::now() + WAIT;
        while !all_threads_stopped(self.pid()) {
            assert!(std::time::Instant::now() < deadline, "the server did not stop on SIGSTOP");
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    fn into_temp(mut self) -> Option<tempfile::TempDir> {
        self._temp.take()
    }

    /// Waits for the process to exit by itself.
    pub fn wait_exit(&mut self) -> std::process::ExitStatus {
        self.process().wait().expect("wait")
    }

    /// Sends SIGTERM and waits for the process to exit.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let status = Command::new("kill").arg("-TERM").arg(self.pid().to_string()).status().expect("kill");
        assert!(status.success());
        self.process().wait().expect("wait")
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        let mut req = self.http.post(self.url(path)).json(&body);
        if let Some(token) = token {
            token_leaks::remember(token);
            req = req.bearer_auth(token);
        }
        let res = req.send().await.expect("request");
        let status = res.status();
        let body = res.json().await.unwrap_or(Value::Null);
        token_leaks::remember_in(&body);
        (status, body)
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        let mut req = self.http.get(self.url(path));
        if let Some(token) = token {
            token_leaks::remember(token);
            req = req.bearer_auth(token);
        }
        let res = req.send().await.expect("request");
        let status = res.status();
        let body = res.json().await.unwrap_or(Value::Null);
        token_leaks::remember_in(&body);
        (status, body)
    }

    pub async fn create_room(&self, name: &str, teacher: &str) -> Room {
        self.create_room_as(name, teacher, None).await
    }

    /// Creates a room as the holder of teacher pass `pass` (a new teacher
    /// without one).
    pub async fn create_room_as(&self, name: &str, teacher: &str, pass: Option<&str>) -> Room {
        let (status, body) = self.post("/api/rooms", pass, json!({ "name": name, "teacherName": teacher })).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let text = |field: &str| body[field].as_str().unwrap_or_else(|| panic!("{field} in {body}")).to_owned();
        Room {
            id: text("roomId"),
            join_code: text("joinCode"),
            teacher: Person { token: text("teacherToken"), id: text("userId") },
            pass: text("teacherPass"),
            teacher_id: text("teacherId"),
        }
    }

    pub async fn join(&self, room: &Room, name: &str) -> Person {
        let (status, body) = self.post("/api/join", None, json!({ "joinCode": room.join_code, "name": name })).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["roomId"], room.id.as_str());
        Person { token: body["token"].as_str().unwrap().to_owned(), id: body["userId"].as_str().unwrap().to_owned() }
    }

    pub async fn add_teacher(&self, room: &Room, name: &str) -> Person {
        let path = format!("/api/rooms/{}/teachers", room.id);
        let (status, body) = self.post(&path, Some(&room.teacher.token), json!({ "name": name })).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        Person { token: body["token"].as_str().unwrap().to_owned(), id: body["userId"].as_str().unwrap().to_owned() }
    }

    pub async fn history(&self, room: &Room, token: &str, query: &str) -> Vec<Message> {
        let (status, body) = self.get(&format!("/api/rooms/{}/messages{query}", room.id), Some(token)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        serde_json::from_value(body["messages"].clone()).expect("messages")
    }

    /// Opens the room channel; does not read the welcome.
    pub async fn connect_raw(&self, token: &str, since: Option<u64>) -> Client {
        let since = since.map(|s| format!("&since={s}")).unwrap_or_default();
        token_leaks::remember(token);
        let url = format!("ws://{}/ws?token={token}{since}", self.addr);
        let connect = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(url));
        let (ws, _) = connect.await.expect("connect timed out").expect("connect");
        Client { ws }
    }

    /// Opens the room channel and returns the client with its welcome.
    pub async fn connect(&self, token: &str) -> (Client, ServerMsg) {
        let mut client = self.connect_raw(token, None).await;
        let welcome = client.recv().await;
        assert!(matches!(welcome, ServerMsg::Welcome { .. }), "expected welcome, got {welcome:?}");
        (client, welcome)
    }

    pub async fn lobby(&self, token: &str) -> Client {
        token_leaks::remember(token);
        let url = format!("ws://{}/ws/lobby?token={token}", self.addr);
        let connect = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(url));
        let (ws, _) = connect.await.expect("connect timed out").expect("connect lobby");
        Client { ws }
    }

    pub async fn metrics(&self) -> String {
        self.http.get(self.url("/metrics")).send().await.expect("metrics").text().await.expect("text")
    }

    /// The value of one series in `/metrics` (`name{labels}` exactly as
    /// rendered), 0 if it is not there yet.
    pub async fn metric(&self, series: &str) -> f64 {
        let text = self.metrics().await;
        text.lines()
            .find_map(|line| line.strip_prefix(series).and_then(|rest| rest.strip_prefix(' ')))
            .and_then(|value| value.trim().parse().ok())
            .unwrap_or(0.0)
    }

    /// Waits until a series reaches `value`; panics after `within`.
    pub async fn wait_for_metric(&self, series: &str, value: f64, within: Duration) {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let now = self.metric(series).await;
            if now == value {
                return;
            }
            assert!(tokio::time::Instant::now() < deadline, "{series} is {now}, expected {value} within {within:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Open sockets of the server process (Linux): the listener and one per
    /// connection, whatever storage keeps open besides.
    pub fn open_sockets(&self) -> usize {
        let Ok(dir) = std::fs::read_dir(format!("/proc/{}/fd", self.pid())) else {
            return 0;
        };
        dir.filter_map(Result::ok)
            .filter(|fd| {
                std::fs::read_link(fd.path()).is_ok_and(|target| target.to_string_lossy().starts_with("socket:"))
            })
            .count()
    }
}

/// The field `name` of a log line whose message is `message`, in either log
/// format: text (`… message name=value …`) or JSON (`{"message":…,"name":…}`).
pub fn log_field(line: &str, message: &str, name: &str) -> Option<String> {
    if line.starts_with('{') {
        let event: Value = serde_json::from_str(line).ok()?;
        if event["message"] != message {
            return None;
        }
        return event[name].as_str().map(str::to_owned);
    }
    let (_, fields) = line.split_once(&format!(" {message} "))?;
    let value = fields.split_whitespace().find_map(|field| field.strip_prefix(name)?.strip_prefix('='))?;
    Some(value.to_owned())
}

/// Stops the process, then fails the test if its log holds a token (not
/// when the test is already failing: a second panic would abort).
impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        if !std::thread::panicking() {
            token_leaks::assert_not_logged(&self.logs());
        }
    }
}

#[derive(Debug, Clone)]
pub struct Person {
    pub token: String,
    pub id: String,
}

#[derive(Debug, Clone)]
pub struct Room {
    pub id: String,
    pub join_code: String,
    pub teacher: Person,
    /// The creator's teacher pass, and the teacher id it carries.
    pub pass: String,
    pub teacher_id: String,
}

pub struct Client {
    pub ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

/// What ended a connection, as the client saw it.
#[derive(Debug, PartialEq, Eq)]
pub struct Closed {
    pub code: u16,
    pub reason: String,
}

impl Client {
    pub async fn send(&mut self, msg: &ClientMsg) {
        self.send_raw(encode(msg)).await;
    }

    pub async fn send_raw(&mut self, bytes: Vec<u8>) {
        self.ws.send(WsMessage::Binary(bytes.into())).await.expect("send");
    }

    pub async fn chat(&mut self, r#ref: u32, text: &str) {
        self.send(&ClientMsg::Chat { r#ref: Some(r#ref), text: text.into(), upload: None }).await;
    }

    /// The next binary frame, decoded. Panics on close or after [`WAIT`].
    pub async fn recv_frame(&mut self) -> Vec<u8> {
        loop {
            let next = tokio::time::timeout(WAIT, self.ws.next()).await.expect("timed out waiting for a frame");
            match next {
                Some(Ok(WsMessage::Binary(bytes))) => return bytes.to_vec(),
                Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_))) => continue,
                other => panic!("expected a frame, got {other:?}"),
            }
        }
    }

    pub async fn recv(&mut self) -> ServerMsg {
        let bytes = self.recv_frame().await;
        decode(&bytes).expect("server frame decodes")
    }

    pub async fn recv_lobby(&mut self) -> LobbyMsg {
        let bytes = self.recv_frame().await;
        decode(&bytes).expect("lobby frame decodes")
    }

    /// Skips frames until one matches.
    pub async fn recv_until(&mut self, mut pred: impl FnMut(&ServerMsg) -> bool) -> ServerMsg {
        loop {
            let msg = self.recv().await;
            if pred(&msg) {
                return msg;
            }
        }
    }

    /// The error code that refused request `r#ref`, or `None` if it was
    /// acknowledged.
    pub async fn refusal(&mut self, r#ref: u32) -> Option<ErrorCode> {
        match self.answer(r#ref).await {
            ServerMsg::Error { code, .. } => Some(code),
            _ => None,
        }
    }

    /// The answer (ack or error) to request `r#ref`, skipping other frames.
    pub async fn answer(&mut self, r#ref: u32) -> ServerMsg {
        self.recv_until(|m| match m {
            ServerMsg::Ack { r#ref: r, .. } | ServerMsg::Error { r#ref: r, .. } => *r == Some(r#ref),
            _ => false,
        })
        .await
    }

    /// Reads until the server closes the socket; returns the close frame.
    pub async fn closed(&mut self) -> Closed {
        loop {
            let next = tokio::time::timeout(WAIT, self.ws.next()).await.expect("timed out waiting for close");
            match next {
                Some(Ok(WsMessage::Close(frame))) => {
                    let frame = frame.expect("close frame with a code");
                    return Closed { code: u16::from(frame.code), reason: frame.reason.to_string() };
                }
                Some(Ok(_)) => continue,
                other => panic!("connection ended without a close frame: {other:?}"),
            }
        }
    }

    /// Asserts nothing matching arrives within `window` (frames that do not
    /// match are skipped).
    pub async fn assert_no(&mut self, window: Duration, mut pred: impl FnMut(&ServerMsg) -> bool) {
        let deadline = tokio::time::Instant::now() + window;
        loop {
            match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Err(_) => return,
                Ok(Some(Ok(WsMessage::Binary(bytes)))) => {
                    let msg: ServerMsg = decode(&bytes).expect("decodes");
                    assert!(!pred(&msg), "unexpected {msg:?}");
                }
                Ok(Some(Ok(_))) => continue,
                Ok(other) => panic!("connection ended: {other:?}"),
            }
        }
    }

    pub async fn close(mut self) {
        let _ = self
            .ws
            .close(Some(tokio_tungstenite::tungstenite::protocol::CloseFrame {
                code: WsCloseCode::Normal,
                reason: "".into(),
            }))
            .await;
    }
}

/// The smallest valid GIF (1×1, transparent).
pub const TINY_GIF: &[u8] = &[
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
    0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02,
    0x02, 0x44, 0x01, 0x00, 0x3b,
];

pub async fn upload(server: &TestServer, room: &Room, token: &str, bytes: Vec<u8>, name: &str) -> (StatusCode, Value) {
    token_leaks::remember(token);
    let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned());
    let form = reqwest::multipart::Form::new().part("file", part);
    let res = server
        .http
        .post(server.url(&format!("/api/rooms/{}/uploads", room.id)))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .expect("upload");
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// A PNG header with real dimensions (all the server reads of a picture).
pub fn png(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR".to_vec();
    bytes.extend(width.to_be_bytes());
    bytes.extend(height.to_be_bytes());
    bytes.extend([8, 6, 0, 0, 0, 0, 0, 0, 0]);
    bytes
}

/// The upload grant of `token`'s room, from `GET /api/rooms/{room}/upload-grant`.
pub async fn upload_grant(server: &TestServer, room_id: &str, token: &str) -> String {
    let (status, body) = server.get(&format!("/api/rooms/{room_id}/upload-grant"), Some(token)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["grant"].as_str().expect("a grant").to_owned()
}

/// `/uploads/…` as a member of the grant's room fetches it.
pub fn with_grant(path: &str, grant: &str) -> String {
    format!("{path}?grant={grant}")
}

/// Uploads a 400×300 picture and starts a puzzle; returns the boards the
/// teacher sees.
pub async fn start_puzzle(
    server: &TestServer,
    room: &Room,
    mode: &str,
    rows: u16,
    cols: u16,
    groups: Value,
) -> Vec<jigsync_schema::BoardInfo> {
    let (status, up) = upload(server, room, &room.teacher.token, png(400, 300), "pic.png").await;
    assert_eq!(status, 201, "{up}");
    let body = json!({ "uploadId": up["uploadId"], "rows": rows, "cols": cols, "mode": mode, "groups": groups });
    let (status, res) = server.post(&format!("/api/rooms/{}/puzzles", room.id), Some(&room.teacher.token), body).await;
    assert_eq!(status, 201, "{res}");
    serde_json::from_value(res["boards"].clone()).expect("boards")
}

/// A client-side replica of one board document, as a Yjs client keeps it.
pub struct Replica {
    pub doc: yrs::Doc,
    pub pieces: yrs::MapRef,
}

impl Default for Replica {
    fn default() -> Self {
        let doc = yrs::Doc::new();
        let pieces = doc.get_or_insert_map("pieces");
        doc.get_or_insert_map("meta");
        Replica { doc, pieces }
    }
}

impl Replica {
    pub fn apply(&self, update: &[u8]) {
        use yrs::updates::decoder::Decode;
        use yrs::Transact;
        let update = yrs::Update::decode_v1(update).expect("a Yjs update");
        self.doc.transact_mut().apply_update(update).expect("applies");
    }

    /// Drops piece `i` at (x, y): the update to send.
    pub fn drop_piece(&self, i: usize, x: f64, y: f64) -> Vec<u8> {
        self.set_pieces(&[(i, x, y)])
    }

    pub fn set_pieces(&self, moves: &[(usize, f64, f64)]) -> Vec<u8> {
        use yrs::{Any, Map, Transact};
        let mut txn = self.doc.transact_mut();
        for (i, x, y) in moves {
            let g = *i as f64;
            let fields: std::collections::HashMap<String, Any> =
                [("x", *x), ("y", *y), ("r", 0.0), ("z", 1000.0), ("g", g)]
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), Any::from(v)))
                    .collect();
            self.pieces.insert(&mut txn, i.to_string(), Any::Map(std::sync::Arc::new(fields)));
        }
        txn.encode_update_v1()
    }

    pub fn piece(&self, i: usize) -> Option<(f64, f64)> {
        use yrs::{Any, Map, Out, Transact};
        let txn = self.doc.transact();
        let Some(Out::Any(Any::Map(fields))) = self.pieces.get(&txn, &i.to_string()) else {
            return None;
        };
        let num = |k: &str| match fields.get(k) {
            Some(Any::Number(n)) => n.as_f64(),
            _ => None,
        };
        Some((num("x")?, num("y")?))
    }

    pub fn len(&self) -> u32 {
        use yrs::{Map, Transact};
        self.pieces.len(&self.doc.transact())
    }

    pub fn state_vector(&self) -> Vec<u8> {
        use yrs::updates::encoder::Encode;
        use yrs::{ReadTxn, Transact};
        self.doc.transact().state_vector().encode_v1()
    }
}

impl Client {
    /// Reads until the `doc` of `board` arrives; returns a replica built from it.
    pub async fn replica_of(&mut self, board: u32) -> Replica {
        let ServerMsg::Doc { update, .. } =
            self.recv_until(|m| matches!(m, ServerMsg::Doc { board: b, .. } if *b == board)).await
        else {
            unreachable!()
        };
        let replica = Replica::default();
        replica.apply(&update);
        replica
    }

    /// Asks for the board's whole document (`sync` with an empty vector)
    /// and returns a replica built from it. Read the `doc` frames a fresh
    /// connection gets first, or this returns one of those.
    pub async fn replica_of_sync(&mut self, board: u32) -> Replica {
        self.send(&jigsync_schema::ClientMsg::Sync { r#ref: Some(9_999), board, sv: Vec::new() }).await;
        let replica = self.replica_of(board).await;
        self.answer(9_999).await;
        replica
    }

    pub async fn send_update(&mut self, r#ref: u32, board: u32, update: Vec<u8>, release: Option<u16>) {
        self.send(&ClientMsg::Update { r#ref: Some(r#ref), board, update, release }).await;
    }
}

/// Resident memory of a process, from /proc (Linux).
pub fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

impl TestServer {
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("a server this harness started").id()
    }

    /// Opens `/yjs/{room}/{board}`.
    pub async fn yjs(&self, room: &Room, board: u32, token: &str) -> Client {
        token_leaks::remember(token);
        let url = format!("ws://{}/yjs/{}/{board}?token={token}", self.addr, room.id);
        let (ws, _) = tokio_tungstenite::connect_async(url).await.expect("connect yjs");
        Client { ws }
    }
}

/// True if every thread of the process is in the stopped state (`T` in
/// `/proc/PID/task/TID/stat`, the field after the command name's `)`).
fn all_threads_stopped(pid: u32) -> bool {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return false;
    };
    tasks.filter_map(Result::ok).all(|task| {
        let stat = std::fs::read_to_string(task.path().join("stat")).unwrap_or_default();
        stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().next()) == Some("T")
    })
}
