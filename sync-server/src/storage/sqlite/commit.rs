//! Batches of writes in one SQLite transaction: every change a room event
//! makes is there after a crash, or none is. All commits go through one
//! committer ([`crate::storage::group_commit`]), so SQLite's single writer
//! never waits on its own lock.
//!
//! The committer writes on a thread and a connection of its own (rusqlite;
//! the reads stay on the sqlx pool), and that thread takes the batches off
//! the queue itself. sqlx runs each statement as a round trip to its
//! connection's worker thread, and a drop's transaction is five
//! statements: measured with `drop-load`, those hand-offs between threads
//! (a context switch and a wake-up each way) cost more CPU than SQLite's
//! own work. Here a group costs one hand-off each way, whatever it holds.
//! Its own connection also keeps its page cache: SQLite drops a
//! connection's cache whenever another connection wrote since its last
//! transaction, which taking turns with the pool's connections did on
//! every commit.

use std::path::Path;
use std::time::Duration;

use rusqlite::{params, Connection, Transaction, TransactionBehavior};

use crate::storage::group_commit::CommitBatchesBlocking;
use crate::storage::stored::{event_kind_str, kind_str, member_upsert, mode_str, seq_i64, took_ms_i64, MEMBER_UPSERT};
use crate::storage::{MemberRow, StorageError, Write};

/// How long a commit waits for another writer's lock (the pool's own
/// writes: creating and deleting rooms, compaction), as the pool does.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The writer's connection, owned by the committer's thread.
pub struct Committer {
    conn: Connection,
}

impl Committer {
    /// Opens the writer's connection to the database at `path` (created and
    /// migrated already).
    pub fn open(path: &Path) -> Result<Committer, StorageError> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // The pool's settings: WAL (a property of the file, set already),
        // synchronous=FULL (a committed batch survives power loss), and
        // foreign keys, which SQLite enforces per connection.
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        Ok(Committer { conn })
    }
}

impl CommitBatchesBlocking for Committer {
    fn commit_batches(&mut self, batches: &[Vec<Write>]) -> Result<(), StorageError> {
        commit(&mut self.conn, batches)
    }
}

fn commit(conn: &mut Connection, batches: &[Vec<Write>]) -> Result<(), StorageError> {
    // Takes the write lock at once; dropped unfinished, it rolls back.
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    for write in batches.iter().flatten() {
        stage(&tx, write)?;
    }
    tx.commit()?;
    Ok(())
}

/// Runs the statements of one write.
fn stage(tx: &Transaction<'_>, write: &Write) -> Result<(), StorageError> {
    match write {
        // One node owns every room of an SQLite store.
        Write::Fence(_) => {}
        Write::Member(m) => run(
            tx,
            MEMBER_UPSERT,
            params![m.room, m.user, m.name, m.role.as_str(), m.joined_at, m.status.as_str(), m.color, m.muted],
        )?,
        Write::Owner { room, owner } => run(tx, "UPDATE rooms SET owner_id = ? WHERE id = ?", params![owner, room])?,
        Write::Spotlight { room, spotlight } => run(
            tx,
            "UPDATE rooms SET spotlight_board = ?, spotlight_hide_names = ? WHERE id = ?",
            params![spotlight.map(|s| i64::from(s.board)), spotlight.is_some_and(|s| s.hide_names), room],
        )?,
        Write::JoinLock { room, locked } => {
            run(tx, "UPDATE rooms SET join_locked = ? WHERE id = ?", params![locked, room])?
        }
        Write::ChatRules { room, whispers, chat_off } => run(
            tx,
            "UPDATE rooms SET whispers = ?, chat_off = ? WHERE id = ?",
            params![whispers.as_str(), chat_off, room],
        )?,
        Write::Progress { room, board, progress, by } => {
            run(
                tx,
                "UPDATE boards SET progress = ? WHERE room_id = ? AND board_id = ?",
                params![f64::from(*progress), room, i64::from(*board)],
            )?;
            if let Some(user) = by {
                run(
                    tx,
                    "INSERT INTO board_drops (room_id, board_id, user_id, drops) VALUES (?, ?, ?, 1)
                     ON CONFLICT (room_id, board_id, user_id) DO UPDATE SET drops = drops + 1",
                    params![room, i64::from(*board), user],
                )?;
            }
        }
        Write::Puzzle(p) => run(
            tx,
            "INSERT INTO puzzles (room_id, puzzle_id, upload_id, rows, cols, mode, meta, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            params![
                p.room,
                i64::from(p.id),
                p.upload,
                i64::from(p.rows),
                i64::from(p.cols),
                mode_str(p.mode),
                json(&p.meta)?,
                p.created_at
            ],
        )?,
        Write::Board(b) => run(
            tx,
            "INSERT INTO boards (room_id, board_id, puzzle_id, members, locked, meta, completed_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (room_id, board_id) DO UPDATE SET members = excluded.members,
                 locked = excluded.locked, completed_at = excluded.completed_at",
            params![
                b.room,
                i64::from(b.id),
                i64::from(b.puzzle),
                json(&b.members)?,
                b.locked,
                json(&b.meta)?,
                b.completed_at
            ],
        )?,
        Write::BoardUpdate { room, board, seq, ts, author, data } => run(
            tx,
            "INSERT INTO board_updates (room_id, board_id, seq, ts, author, data) VALUES (?, ?, ?, ?, ?, ?)",
            params![room, i64::from(*board), seq_i64(*seq)?, ts, author, data],
        )?,
        Write::CloseRoom { room, at } => run(tx, "UPDATE rooms SET closed_at = ? WHERE id = ?", params![at, room])?,
        Write::Message { room, message } => {
            let event = message.event.as_ref();
            run(
                tx,
                "INSERT INTO messages (room_id, seq, ts, kind, from_id, to_id, text, upload_id, event_kind, event_user, event_by,
                                       event_user_name, event_by_name, event_board, event_mode, event_took_ms)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                params![
                    room,
                    seq_i64(message.seq)?,
                    message.ts,
                    kind_str(message.kind),
                    message.from,
                    message.to,
                    message.text,
                    message.upload.as_ref().map(|u| &u.id),
                    event.map(|e| event_kind_str(e.kind)),
                    event.map(|e| &e.user),
                    event.and_then(|e| e.by.as_ref()),
                    event.and_then(|e| e.user_name.as_ref()),
                    event.and_then(|e| e.by_name.as_ref()),
                    event.and_then(|e| e.board).map(i64::from),
                    event.and_then(|e| e.mode).map(mode_str),
                    event.and_then(|e| e.took_ms).map(took_ms_i64).transpose()?
                ],
            )?;
        }
    }
    Ok(())
}

/// One statement, prepared once per connection and kept.
fn run(tx: &Transaction<'_>, sql: &str, params: impl rusqlite::Params) -> Result<(), StorageError> {
    tx.prepare_cached(sql)?.execute(params)?;
    Ok(())
}

/// A column stored as JSON text.
fn json(value: &impl serde::Serialize) -> Result<String, StorageError> {
    serde_json::to_string(value).map_err(|e| StorageError::Corrupt(e.to_string()))
}

pub async fn write_member(tx: &mut sqlx::SqliteConnection, member: &MemberRow) -> Result<(), StorageError> {
    member_upsert(member).execute(tx).await?;
    Ok(())
}
