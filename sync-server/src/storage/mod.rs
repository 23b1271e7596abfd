//! The storage seam: everything the server persists goes through [`Storage`].
//! SQLite ([`sqlite::SqliteStorage`]) is the embedded default; a Postgres
//! implementation for multi-node deployments plugs in behind the same trait.
//! [`postgres::PostgresStorage`] is that implementation, with its own schema
//! in `migrations_postgres/`.
//!
//! Writes are grouped into one [`Write`] batch per room event and committed
//! atomically, so a kick, its system message and an ownership change are all
//! there after a crash, or none is. A batch returns only once it is durable:
//! that is what lets the room acknowledge. Batches of different rooms that
//! arrive together share one transaction ([`group_commit`]).

pub mod board_history;
pub mod group_commit;
pub mod postgres;
pub mod room_deletion;
pub mod room_upload;
pub mod sqlite;
pub mod stored;
pub mod teacher_ids;

use std::path::PathBuf;

use async_trait::async_trait;
use jigsync_schema::{BoardId, BoardMeta, BoardMode, Message, Role, Spotlight, WhisperRule};

use crate::uploads::BlobStore;
use board_history::{BoardTimeline, HistoryWindow};

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// From the SQLite committer's own connection (`sqlite::commit`).
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("join code already in use")]
    DuplicateJoinCode,
    #[error("stored row is not valid: {0}")]
    Corrupt(String),
    /// The batch's fence no longer holds: another node owns the room now.
    #[error("room {0} is owned by another node now")]
    Fenced(String),
    /// The store is shutting down.
    #[error("storage is closed")]
    Closed,
}

/// A commit's proof of ownership: the room's lease as this node holds it.
/// A batch that starts with [`Write::Fence`] commits only if the room's lease
/// still has this node and epoch, checked in the same transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fence {
    pub room: String,
    pub node: String,
    pub epoch: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomRow {
    pub id: String,
    pub name: String,
    pub join_code: String,
    pub owner: Option<String>,
    pub created_at: i64,
    pub closed_at: Option<i64>,
    pub spotlight: Option<Spotlight>,
    /// Teachers closed the room to new students.
    pub join_locked: bool,
    /// Whether students may whisper.
    pub whispers: WhisperRule,
    /// Teachers switched chat off for the students.
    pub chat_off: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberStatus {
    Active,
    Left,
    Kicked,
}

impl MemberStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MemberStatus::Active => "active",
            MemberStatus::Left => "left",
            MemberStatus::Kicked => "kicked",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRow {
    pub room: String,
    pub user: String,
    pub name: String,
    pub role: Role,
    pub joined_at: i64,
    pub status: MemberStatus,
    /// `#rrggbb`, chosen at the first join; empty for members stored before
    /// colors were (they get one derived from the user id).
    pub color: String,
    /// A teacher muted this student.
    pub muted: bool,
}

impl MemberRow {
    /// The color shown for this member.
    pub fn display_color(&self) -> String {
        if self.color.is_empty() {
            crate::ids::color_for(&self.user)
        } else {
            self.color.clone()
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadRow {
    /// Hex SHA-256 of the bytes: the file's name and its identity.
    pub id: String,
    pub content_type: String,
    pub bytes: i64,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PuzzleRow {
    pub room: String,
    pub id: u32,
    pub upload: String,
    pub rows: u16,
    pub cols: u16,
    pub mode: BoardMode,
    /// Shared by every board of the puzzle, including boards made later.
    pub meta: BoardMeta,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BoardRow {
    pub room: String,
    pub id: BoardId,
    pub puzzle: u32,
    /// Who may write (empty on a shared board: every student).
    pub members: Vec<String>,
    pub locked: bool,
    pub meta: BoardMeta,
    pub completed_at: Option<i64>,
}

/// What rebuilds a board: the latest snapshot, then the updates after it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BoardLog {
    pub snapshot: Option<(u64, Vec<u8>)>,
    pub updates: Vec<(u64, Vec<u8>)>,
}

/// Everything a room actor starts from, read as of one moment: what
/// [`Storage::room`], [`Storage::members`], [`Storage::last_seq`],
/// [`Storage::last_ids`], [`Storage::active_puzzle`] and
/// [`Storage::board_log`] of each of its boards would return, were nothing
/// written between them.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedRoom {
    pub room: RoomRow,
    pub members: Vec<MemberRow>,
    pub last_seq: u64,
    /// The highest puzzle and board numbers used in the room.
    pub last_ids: (u32, BoardId),
    /// The newest puzzle and its boards (by id), each with its log.
    pub puzzle: Option<(PuzzleRow, Vec<(BoardRow, BoardLog)>)>,
}

/// One change in a room's persisted state.
#[derive(Debug, Clone)]
pub enum Write {
    Member(MemberRow),
    Owner {
        room: String,
        owner: Option<String>,
    },
    Message {
        room: String,
        message: Message,
    },
    CloseRoom {
        room: String,
        at: i64,
    },
    Spotlight {
        room: String,
        spotlight: Option<Spotlight>,
    },
    JoinLock {
        room: String,
        locked: bool,
    },
    /// The room's chat switches (muting is a member's [`Write::Member`]).
    ChatRules {
        room: String,
        whispers: WhisperRule,
        chat_off: bool,
    },
    /// A board's progress after a write; `by` made the write (a drop they
    /// are credited with), `None` for a teacher's reset.
    Progress {
        room: String,
        board: BoardId,
        progress: f32,
        by: Option<String>,
    },
    Puzzle(PuzzleRow),
    Board(BoardRow),
    BoardUpdate {
        room: String,
        board: BoardId,
        seq: u64,
        ts: i64,
        /// The user whose write it is; `None` for the server's own (the
        /// first scatter, a correction). Kept for replay.
        author: Option<String>,
        data: Vec<u8>,
    },
    /// Commit only while this fence holds (several nodes). A store without
    /// leases (SQLite: one node owns every room) takes it as held.
    Fence(Fence),
}

/// Which of a room's messages to read, for one viewer (whispers are visible
/// to their two parties, and to teachers: `all_whispers`). Returns the
/// newest `limit` messages with `after < seq < before`, oldest first.
#[derive(Debug, Clone, Copy)]
pub struct HistoryQuery<'a> {
    pub viewer: &'a str,
    pub all_whispers: bool,
    pub before: Option<u64>,
    pub after: Option<u64>,
    pub limit: u32,
}

/// What the end-of-class report reads besides the boards themselves: each
/// board's progress as of its last write, and how many writes (drops) each
/// person made to each board.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BoardActivity {
    pub progress: Vec<(BoardId, f32)>,
    pub drops: Vec<(BoardId, String, u64)>,
}

#[async_trait]
pub trait Storage: Send + Sync + 'static {
    /// Creates a room with its first member; fails with
    /// [`StorageError::DuplicateJoinCode`] if the code is taken.
    async fn create_room(&self, room: &RoomRow, owner: &MemberRow) -> Result<(), StorageError>;
    async fn room(&self, id: &str) -> Result<Option<RoomRow>, StorageError>;
    async fn room_by_code(&self, code: &str) -> Result<Option<RoomRow>, StorageError>;
    async fn open_rooms(&self) -> Result<Vec<(RoomRow, u32)>, StorageError>;
    async fn members(&self, room: &str) -> Result<Vec<MemberRow>, StorageError>;
    async fn member(&self, room: &str, user: &str) -> Result<Option<MemberRow>, StorageError>;
    /// Applies the batch in one transaction (perhaps shared with other
    /// rooms' batches, never with part of one); returns once it is durable.
    async fn commit(&self, writes: &[Write]) -> Result<(), StorageError>;
    async fn last_seq(&self, room: &str) -> Result<u64, StorageError>;
    async fn messages(&self, room: &str, query: HistoryQuery<'_>) -> Result<Vec<Message>, StorageError>;
    /// The room's newest puzzle and its boards.
    async fn active_puzzle(&self, room: &str) -> Result<Option<(PuzzleRow, Vec<BoardRow>)>, StorageError>;
    /// The highest puzzle and board numbers used in the room (0 if none).
    async fn last_ids(&self, room: &str) -> Result<(u32, BoardId), StorageError>;
    async fn board_log(&self, room: &str, board: BoardId) -> Result<BoardLog, StorageError>;
    /// Progress and drops of the boards of one puzzle, ordered by board and user.
    async fn board_activity(&self, room: &str, puzzle: u32) -> Result<BoardActivity, StorageError>;
    /// A room's whole state in one read transaction, so no commit lands
    /// between its parts, and in a fixed number of queries however many
    /// boards it has. `None` if the room does not exist or is closed: a
    /// closed room is never served again, and reading its boards would be
    /// wasted ([`Storage::room`] still reads its row).
    async fn load_room(&self, room: &str) -> Result<Option<LoadedRoom>, StorageError>;
    /// Replaces updates `1..=upto_seq` of a board by one snapshot in the
    /// live log; the updates move to the board's history and the snapshot
    /// is kept there as a keyframe ([`board_history`]).
    async fn compact_board(
        &self,
        room: &str,
        board: BoardId,
        upto_seq: u64,
        snapshot: &[u8],
    ) -> Result<(), StorageError>;
    /// A board's timeline for replay, read as of one moment; `None` if the
    /// room has no such board.
    async fn board_history(
        &self,
        room: &str,
        board: BoardId,
        window: HistoryWindow,
    ) -> Result<Option<BoardTimeline>, StorageError>;
    /// Records an upload posted to `room`; storing the same bytes twice
    /// (from any room) is not an error.
    async fn put_upload(&self, upload: &UploadRow, room: &str) -> Result<(), StorageError>;
    async fn upload(&self, id: &str) -> Result<Option<UploadRow>, StorageError>;
    /// The upload `id` if `room` uses it (see [`room_upload`]): what a
    /// room's members may see and attach.
    async fn room_upload(&self, room: &str, id: &str) -> Result<Option<UploadRow>, StorageError>;
    /// Deletes a room and everything of it (members, messages, puzzles,
    /// boards and their logs; with several nodes its lease and presence) in
    /// one transaction, with the uploads no other room uses: their rows,
    /// and their bytes where the database keeps them. Returns those uploads'
    /// ids, so that files kept beside the store can be removed too; `None`
    /// if there is no such room. With a fence, only while it holds.
    async fn delete_room(&self, room: &str, fence: Option<&Fence>) -> Result<Option<Vec<String>>, StorageError>;
    /// Rooms closed before `before` (ms), or open with no activity since:
    /// no message, board update or connection (see
    /// [`Storage::record_activity`]). With several nodes, rooms a node
    /// serves right now are left out.
    async fn rooms_past_retention(&self, before: i64) -> Result<Vec<String>, StorageError>;
    /// Open rooms with no activity since `before` (ms), as
    /// [`Storage::rooms_past_retention`] counts it; with several nodes,
    /// rooms a node serves right now are left out.
    async fn idle_rooms(&self, before: i64) -> Result<Vec<String>, StorageError>;
    /// Records that someone was connected to the room until `at` (ms).
    async fn record_activity(&self, room: &str, at: i64) -> Result<(), StorageError>;
    /// Where this store keeps the bytes of uploads, whose rows it keeps:
    /// files in `dir` beside an embedded store, or the database itself when
    /// several nodes share it (every node must serve every upload).
    fn blob_store(&self, dir: PathBuf) -> std::io::Result<BlobStore>;
    /// Records that member `user` of `room` is teacher `teacher` (the `sub`
    /// of their teacher pass), for the lobby.
    async fn link_teacher(&self, room: &str, user: &str, teacher: &str) -> Result<(), StorageError>;
    /// The teacher id of member `user` of `room`, if one was recorded.
    async fn teacher_of(&self, room: &str, user: &str) -> Result<Option<String>, StorageError>;
    /// `(room, teacher id)` of every active teacher member of every open room.
    async fn open_room_teachers(&self) -> Result<Vec<(String, String)>, StorageError>;
    /// One cheap query: whether the database answers (`/readyz`).
    async fn ping(&self) -> Result<(), StorageError>;
    /// Flushes and closes; called once on shutdown.
    async fn close(&self);
}
