//! Every kind of change with a storage that fails its commit on demand:
//! the request is refused with `internal`, and the room's whole state, its
//! board documents included, is exactly what it was before. Then the same
//! change goes through once storage works again.
//!
//! This drives a real room actor in-process over real SQLite, with
//! connections that are bare outboxes (no sockets needed to watch what a
//! room sends).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use jigsync_schema::{decode, BoardId, BoardMode, ClientMsg, ErrorCode, Message, Role, ServerMsg, WhisperRule};
use jigsync_server::auth::TokenKey;
use jigsync_server::keyring::Keyring;
use jigsync_server::lobby::Lobby;
use jigsync_server::outbox::{outbox, ConnId, OutboxReceiver};
use jigsync_server::room::core::snapshot::CoreSnapshot;
use jigsync_server::room::env::RoomEnv;
use jigsync_server::room::{PuzzleSpec, RoomCmd, RoomRegistry};
use jigsync_server::storage::board_history::{BoardTimeline, HistoryWindow};
use jigsync_server::storage::sqlite::SqliteStorage;
use jigsync_server::storage::*;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use yrs::updates::decoder::Decode;
use yrs::{Any, Map, Transact};

const ROOM: &str = "r-flaky";
const WAIT: Duration = Duration::from_secs(10);

/// SQLite whose commits fail while `failing` is set.
struct FlakyStorage {
    inner: SqliteStorage,
    failing: AtomicBool,
}

#[async_trait]
impl Storage for FlakyStorage {
    async fn create_room(&self, room: &RoomRow, owner: &MemberRow) -> Result<(), StorageError> {
        self.inner.create_room(room, owner).await
    }
    async fn room(&self, id: &str) -> Result<Option<RoomRow>, StorageError> {
        self.inner.room(id).await
    }
    async fn room_by_code(&self, code: &str) -> Result<Option<RoomRow>, StorageError> {
        self.inner.room_by_code(code).await
    }
    async fn open_rooms(&self) -> Result<Vec<(RoomRow, u32)>, StorageError> {
        self.inner.open_rooms().await
    }
    async fn members(&self, room: &str) -> Result<Vec<MemberRow>, StorageError> {
        self.inner.members(room).await
    }
    async fn member(&self, room: &str, user: &str) -> Result<Option<MemberRow>, StorageError> {
        self.inner.member(room, user).await
    }
    async fn commit(&self, writes: &[Write]) -> Result<(), StorageError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(StorageError::Corrupt("commit refused on purpose".into()));
        }
        self.inner.commit(writes).await
    }
    async fn last_seq(&self, room: &str) -> Result<u64, StorageError> {
        self.inner.last_seq(room).await
    }
    async fn messages(&self, room: &str, query: HistoryQuery<'_>) -> Result<Vec<Message>, StorageError> {
        self.inner.messages(room, query).await
    }
    async fn active_puzzle(&self, room: &str) -> Result<Option<(PuzzleRow, Vec<BoardRow>)>, StorageError> {
        self.inner.active_puzzle(room).await
    }
    async fn last_ids(&self, room: &str) -> Result<(u32, BoardId), StorageError> {
        self.inner.last_ids(room).await
    }
    async fn board_log(&self, room: &str, board: BoardId) -> Result<BoardLog, StorageError> {
        self.inner.board_log(room, board).await
    }
    async fn board_activity(&self, room: &str, puzzle: u32) -> Result<BoardActivity, StorageError> {
        self.inner.board_activity(room, puzzle).await
    }
    async fn load_room(&self, room: &str) -> Result<Option<LoadedRoom>, StorageError> {
        self.inner.load_room(room).await
    }
    async fn compact_board(&self, room: &str, board: BoardId, upto: u64, snapshot: &[u8]) -> Result<(), StorageError> {
        self.inner.compact_board(room, board, upto, snapshot).await
    }
    async fn board_history(
        &self,
        room: &str,
        board: BoardId,
        window: HistoryWindow,
    ) -> Result<Option<BoardTimeline>, StorageError> {
        self.inner.board_history(room, board, window).await
    }
    async fn put_upload(&self, upload: &UploadRow, room: &str) -> Result<(), StorageError> {
        self.inner.put_upload(upload, room).await
    }
    async fn delete_room(&self, room: &str, fence: Option<&Fence>) -> Result<Option<Vec<String>>, StorageError> {
        self.inner.delete_room(room, fence).await
    }
    async fn rooms_past_retention(&self, before: i64) -> Result<Vec<String>, StorageError> {
        self.inner.rooms_past_retention(before).await
    }
    async fn idle_rooms(&self, before: i64) -> Result<Vec<String>, StorageError> {
        self.inner.idle_rooms(before).await
    }
    async fn record_activity(&self, room: &str, at: i64) -> Result<(), StorageError> {
        self.inner.record_activity(room, at).await
    }
    async fn upload(&self, id: &str) -> Result<Option<UploadRow>, StorageError> {
        self.inner.upload(id).await
    }
    async fn room_upload(&self, room: &str, id: &str) -> Result<Option<UploadRow>, StorageError> {
        self.inner.room_upload(room, id).await
    }
    fn blob_store(&self, dir: std::path::PathBuf) -> std::io::Result<jigsync_server::uploads::BlobStore> {
        self.inner.blob_store(dir)
    }
    async fn link_teacher(&self, room: &str, user: &str, teacher: &str) -> Result<(), StorageError> {
        self.inner.link_teacher(room, user, teacher).await
    }
    async fn teacher_of(&self, room: &str, user: &str) -> Result<Option<String>, StorageError> {
        self.inner.teacher_of(room, user).await
    }
    async fn open_room_teachers(&self) -> Result<Vec<(String, String)>, StorageError> {
        self.inner.open_room_teachers().await
    }
    async fn ping(&self) -> Result<(), StorageError> {
        self.inner.ping().await
    }
    async fn close(&self) {
        self.inner.close().await
    }
}

struct Room {
    storage: Arc<FlakyStorage>,
    rooms: RoomRegistry,
    _dir: tempfile::TempDir,
}

/// A connection as the room sees it: an outbox whose frames the test reads.
struct Conn {
    id: ConnId,
    rx: OutboxReceiver,
}

impl Conn {
    async fn recv(&mut self) -> ServerMsg {
        let frame = tokio::time::timeout(WAIT, self.rx.frames.recv()).await.expect("a frame in time").expect("open");
        decode(&frame.bytes).expect("a server message")
    }

    async fn answer(&mut self, r#ref: u32) -> ServerMsg {
        loop {
            match self.recv().await {
                msg @ (ServerMsg::Ack { r#ref: Some(r), .. } | ServerMsg::Error { r#ref: Some(r), .. })
                    if r == r#ref =>
                {
                    return msg
                }
                _ => {}
            }
        }
    }
}

impl Room {
    async fn open() -> Room {
        let dir = tempfile::tempdir().unwrap();
        let inner = SqliteStorage::open(&dir.path().join("jigsync.db")).await.unwrap();
        let room = RoomRow {
            id: ROOM.into(),
            name: "Flaky".into(),
            join_code: "FLAKY2".into(),
            owner: Some("t".into()),
            created_at: 0,
            closed_at: None,
            spotlight: None,
            join_locked: false,
            whispers: WhisperRule::default(),
            chat_off: false,
        };
        let teacher = MemberRow {
            room: ROOM.into(),
            user: "t".into(),
            name: "T".into(),
            role: Role::Teacher,
            joined_at: 0,
            status: MemberStatus::Active,
            color: "#000000".into(),
            muted: false,
        };
        inner.create_room(&room, &teacher).await.unwrap();
        let picture = UploadRow { id: "u".into(), content_type: "image/png".into(), bytes: 1, created_at: 0 };
        inner.put_upload(&picture, ROOM).await.unwrap();
        let storage = Arc::new(FlakyStorage { inner, failing: AtomicBool::new(false) });
        let env = RoomEnv {
            storage: storage.clone(),
            lobby: Arc::new(Lobby::new([], vec![])),
            idle: Duration::from_secs(60),
            tasks: TaskTracker::new(),
            shutdown: CancellationToken::new(),
            cluster: None,
            keys: Arc::new(
                Keyring::new(
                    vec![TokenKey::from_hex(&"ab".repeat(32), "test").unwrap()],
                    Duration::from_secs(60),
                    false,
                )
                .unwrap(),
            ),
        };
        Room { storage, rooms: RoomRegistry::new(Arc::new(env)), _dir: dir }
    }

    fn fail(&self, failing: bool) {
        self.storage.failing.store(failing, Ordering::SeqCst);
    }

    async fn add(&self, name: &str, role: Role) -> Result<MemberRow, jigsync_server::error::ApiError> {
        let name = name.to_owned();
        self.rooms.call(ROOM, |reply| RoomCmd::AddMember { name: name.clone(), role, reply }).await.expect("answered")
    }

    async fn connect(&self, user: &str) -> Conn {
        let (outbox, rx) = outbox(4096);
        let id = outbox.id();
        let connect = |reply| RoomCmd::Connect { user: user.to_owned(), outbox: outbox.clone(), since: None, reply };
        self.rooms.call(ROOM, connect).await.expect("answered").expect("connected");
        Conn { id, rx }
    }

    async fn send(&self, conn: &Conn, msg: ClientMsg) {
        self.rooms.handle(ROOM).tx.send(RoomCmd::Request { conn: conn.id, msg }).await.unwrap();
    }

    async fn snapshot(&self) -> CoreSnapshot {
        self.rooms.call(ROOM, |reply| RoomCmd::Snapshot { reply }).await.expect("answered")
    }

    async fn start(&self, mode: BoardMode) -> Result<Vec<BoardId>, jigsync_server::error::ApiError> {
        let spec = PuzzleSpec {
            upload: "u".into(),
            image_url: "/uploads/u.png".into(),
            image_width: 200,
            image_height: 200,
            rows: 2,
            cols: 2,
            mode,
            groups: Vec::new(),
        };
        let start = |reply| RoomCmd::StartPuzzle { by: "t".into(), spec: spec.clone(), reply };
        let list = self.rooms.call(ROOM, start).await.expect("answered")?;
        Ok(list.boards.iter().map(|b| b.id).collect())
    }
}

/// A request refused by storage changes nothing; the same one then works.
async fn refused_then_done(room: &Room, conn: &mut Conn, r#ref: u32, msg: ClientMsg) {
    let before = room.snapshot().await;
    room.fail(true);
    room.send(conn, msg.clone()).await;
    assert!(
        matches!(conn.answer(r#ref).await, ServerMsg::Error { code: ErrorCode::Internal, .. }),
        "{msg:?} must fail with internal"
    );
    assert_eq!(room.snapshot().await, before, "{msg:?}: memory changed after a failed commit");
    room.fail(false);
    room.send(conn, msg.clone()).await;
    assert!(matches!(conn.answer(r#ref).await, ServerMsg::Ack { .. }), "{msg:?} works once storage does");
    assert_ne!(room.snapshot().await, before, "{msg:?} changed the room");
}

/// A replica of the board from its whole document; returns the update that
/// sets the given pieces.
async fn drop_pieces(room: &Room, conn: &mut Conn, board: BoardId, pieces: &[(u32, f64, f64)]) -> Vec<u8> {
    room.send(conn, ClientMsg::Sync { r#ref: Some(900), board, sv: Vec::new() }).await;
    let update = loop {
        if let ServerMsg::Doc { board: b, update } = conn.recv().await {
            if b == board {
                break update;
            }
        }
    };
    conn.answer(900).await;
    let replica = yrs::Doc::new();
    let map = replica.get_or_insert_map("pieces");
    replica.transact_mut().apply_update(yrs::Update::decode_v1(&update).unwrap()).unwrap();
    let mut txn = replica.transact_mut();
    for (piece, x, y) in pieces {
        let value: std::collections::HashMap<String, Any> = [("x", *x), ("y", *y), ("r", 0.0), ("z", 9.0), ("g", 0.0)]
            .map(|(k, v)| (k.to_owned(), Any::from(v)))
            .into();
        map.insert(&mut txn, piece.to_string(), Any::Map(value.into()));
    }
    txn.encode_update_v1()
}

#[tokio::test]
async fn every_kind_of_change_leaves_memory_untouched_when_its_commit_fails() {
    let room = Room::open().await;
    let ann = room.add("Ann", Role::Student).await.unwrap();
    let ben = room.add("Ben", Role::Student).await.unwrap();
    let mut teacher = room.connect("t").await;
    let mut a = room.connect(&ann.user).await;

    // Join.
    let before = room.snapshot().await;
    room.fail(true);
    assert!(room.add("Cho", Role::Student).await.is_err());
    assert_eq!(room.snapshot().await, before, "a failed join changed memory");
    room.fail(false);

    // Start a puzzle.
    room.fail(true);
    assert!(room.start(BoardMode::Shared).await.is_err());
    assert_eq!(room.snapshot().await, before, "a failed puzzle start changed memory");
    room.fail(false);
    let board = room.start(BoardMode::Shared).await.unwrap()[0];

    refused_then_done(&room, &mut a, 1, ClientMsg::Chat { r#ref: Some(1), text: "hello".into(), upload: None }).await;
    let drop = drop_pieces(&room, &mut a, board, &[(1, 150.0, 120.0)]).await;
    refused_then_done(&room, &mut a, 2, ClientMsg::Update { r#ref: Some(2), board, update: drop, release: None }).await;
    refused_then_done(&room, &mut teacher, 3, ClientMsg::Lock { r#ref: Some(3), board: None, locked: true }).await;
    refused_then_done(&room, &mut teacher, 4, ClientMsg::Reset { r#ref: Some(4), board }).await;
    refused_then_done(&room, &mut teacher, 5, ClientMsg::Kick { r#ref: Some(5), user: ben.user.clone() }).await;
}

/// A drop that would complete the board, whose commit fails, leaves the
/// board unfinished everywhere: in memory, and in what a later write
/// stores.
#[tokio::test]
async fn a_completion_whose_commit_failed_is_not_stored_by_a_later_write() {
    let room = Room::open().await;
    let ann = room.add("Ann", Role::Student).await.unwrap();
    let board = room.start(BoardMode::Shared).await.unwrap()[0];
    let mut a = room.connect(&ann.user).await;
    let meta = room.snapshot().await.boards[0].row.meta.clone();
    let (w, h) = (f64::from(meta.piece_width), f64::from(meta.piece_height));
    let solved: Vec<(u32, f64, f64)> =
        (0..4u32).map(|i| (i, 100.0 + f64::from(i % 2) * w, 100.0 + f64::from(i / 2) * h)).collect();
    let completing = drop_pieces(&room, &mut a, board, &solved).await;
    let before = room.snapshot().await;
    room.fail(true);
    room.send(&a, ClientMsg::Update { r#ref: Some(1), board, update: completing, release: None }).await;
    assert!(matches!(a.answer(1).await, ServerMsg::Error { code: ErrorCode::Internal, .. }));
    room.fail(false);
    assert_eq!(room.snapshot().await, before);
    let other = drop_pieces(&room, &mut a, board, &[(0, 400.0, 300.0)]).await;
    room.send(&a, ClientMsg::Update { r#ref: Some(2), board, update: other, release: None }).await;
    assert!(matches!(a.answer(2).await, ServerMsg::Ack { .. }));
    let (_, rows) = room.storage.active_puzzle(ROOM).await.unwrap().unwrap();
    assert_eq!(rows[0].completed_at, None, "storage never saw the completion");
    assert!(room.snapshot().await.boards[0].progress < 1.0);
}
