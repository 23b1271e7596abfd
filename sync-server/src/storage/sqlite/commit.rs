//! Batches of writes in one SQLite transaction: every change a room event
//! makes is there after a crash, or none is. All commits go through one
//! committer ([`crate::storage::group_commit`]), so SQLite's single writer
//! never waits on its own lock.
//!
//! The committer writes on a connection of its own, not one of the pool's:
//! SQLite drops a connection's page cache whenever another connection wrote
//! since its last transaction, so taking turns with the pool's connections
//! would read the same b-tree pages back from the file on every commit.

use async_trait::async_trait;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, SqliteConnection};
use tokio::sync::Mutex;

use super::script::Script;
use crate::storage::group_commit::CommitBatches;
use crate::storage::stored::{event_kind_str, kind_str, mode_str, seq_i64, took_ms_i64};
use crate::storage::{MemberRow, StorageError, Write};

/// What the committer task commits with: its own connection, opened on
/// first use and again after a failed commit (whose connection is closed, so
/// that nothing of a half-done transaction can linger).
pub struct Committer {
    options: SqliteConnectOptions,
    conn: Mutex<Option<SqliteConnection>>,
}

impl Committer {
    /// A committer writing with the pool's settings (WAL, `synchronous=FULL`).
    pub fn new(options: SqliteConnectOptions) -> Committer {
        Committer { options, conn: Mutex::new(None) }
    }
}

#[async_trait]
impl CommitBatches for Committer {
    async fn commit_batches(&self, batches: &[Vec<Write>]) -> Result<(), StorageError> {
        let mut slot = self.conn.lock().await;
        let mut conn = match slot.take() {
            Some(conn) => conn,
            None => SqliteConnection::connect_with(&self.options).await?,
        };
        match commit(&mut conn, batches).await {
            Ok(()) => {
                *slot = Some(conn);
                Ok(())
            }
            Err(err) => {
                if let Err(close) = conn.close().await {
                    tracing::warn!(error = %close, "closing the committer's connection after a failed commit");
                }
                Err(err)
            }
        }
    }
}

async fn commit(conn: &mut SqliteConnection, batches: &[Vec<Write>]) -> Result<(), StorageError> {
    let mut script = Script::transaction();
    for write in batches.iter().flatten() {
        stage(&mut script, write)?;
    }
    script.commit(conn).await
}

/// Appends the statements of one write.
fn stage<'q>(script: &mut Script<'q>, write: &'q Write) -> Result<(), StorageError> {
    match write {
        // One node owns every room of an SQLite store.
        Write::Fence(_) => {}
        Write::Member(member) => {
            script
                .statement(MEMBER_UPSERT)
                .bind(&member.room)
                .bind(&member.user)
                .bind(&member.name)
                .bind(member.role.as_str())
                .bind(member.joined_at)
                .bind(member.status.as_str())
                .bind(&member.color)
                .bind(member.muted);
        }
        Write::Owner { room, owner } => {
            script.statement("UPDATE rooms SET owner_id = ? WHERE id = ?").bind(owner).bind(room);
        }
        Write::Spotlight { room, spotlight } => {
            script
                .statement("UPDATE rooms SET spotlight_board = ?, spotlight_hide_names = ? WHERE id = ?")
                .bind(spotlight.map(|s| i64::from(s.board)))
                .bind(spotlight.is_some_and(|s| s.hide_names))
                .bind(room);
        }
        Write::JoinLock { room, locked } => {
            script.statement("UPDATE rooms SET join_locked = ? WHERE id = ?").bind(locked).bind(room);
        }
        Write::ChatRules { room, whispers, chat_off } => {
            script
                .statement("UPDATE rooms SET whispers = ?, chat_off = ? WHERE id = ?")
                .bind(whispers.as_str())
                .bind(chat_off)
                .bind(room);
        }
        Write::Progress { room, board, progress, by } => {
            script
                .statement("UPDATE boards SET progress = ? WHERE room_id = ? AND board_id = ?")
                .bind(f64::from(*progress))
                .bind(room)
                .bind(i64::from(*board));
            if let Some(user) = by {
                script
                    .statement(
                        "INSERT INTO board_drops (room_id, board_id, user_id, drops) VALUES (?, ?, ?, 1)
                         ON CONFLICT (room_id, board_id, user_id) DO UPDATE SET drops = drops + 1",
                    )
                    .bind(room)
                    .bind(i64::from(*board))
                    .bind(user);
            }
        }
        Write::Puzzle(puzzle) => {
            script
                .statement(
                    "INSERT INTO puzzles (room_id, puzzle_id, upload_id, rows, cols, mode, meta, created_at)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(&puzzle.room)
                .bind(i64::from(puzzle.id))
                .bind(&puzzle.upload)
                .bind(i64::from(puzzle.rows))
                .bind(i64::from(puzzle.cols))
                .bind(mode_str(puzzle.mode))
                .bind(json(&puzzle.meta)?)
                .bind(puzzle.created_at);
        }
        Write::Board(board) => {
            script
                .statement(
                    "INSERT INTO boards (room_id, board_id, puzzle_id, members, locked, meta, completed_at)
                     VALUES (?, ?, ?, ?, ?, ?, ?)
                     ON CONFLICT (room_id, board_id) DO UPDATE SET members = excluded.members,
                         locked = excluded.locked, completed_at = excluded.completed_at",
                )
                .bind(&board.room)
                .bind(i64::from(board.id))
                .bind(i64::from(board.puzzle))
                .bind(json(&board.members)?)
                .bind(board.locked)
                .bind(json(&board.meta)?)
                .bind(board.completed_at);
        }
        Write::BoardUpdate { room, board, seq, ts, author, data } => {
            script
                .statement(
                    "INSERT INTO board_updates (room_id, board_id, seq, ts, author, data) VALUES (?, ?, ?, ?, ?, ?)",
                )
                .bind(room)
                .bind(i64::from(*board))
                .bind(seq_i64(*seq)?)
                .bind(ts)
                .bind(author)
                .bind(data.as_slice());
        }
        Write::CloseRoom { room, at } => {
            script.statement("UPDATE rooms SET closed_at = ? WHERE id = ?").bind(at).bind(room);
        }
        Write::Message { room, message } => {
            let seq = i64::try_from(message.seq).map_err(|_| StorageError::Corrupt(format!("seq {}", message.seq)))?;
            let event = message.event.as_ref();
            script
                .statement(
                    "INSERT INTO messages (room_id, seq, ts, kind, from_id, to_id, text, upload_id, event_kind, event_user, event_by,
                                           event_user_name, event_by_name, event_board, event_mode, event_took_ms)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(room)
                .bind(seq)
                .bind(message.ts)
                .bind(kind_str(message.kind))
                .bind(&message.from)
                .bind(&message.to)
                .bind(&message.text)
                .bind(message.upload.as_ref().map(|u| &u.id))
                .bind(event.map(|e| event_kind_str(e.kind)))
                .bind(event.map(|e| &e.user))
                .bind(event.and_then(|e| e.by.as_ref()))
                .bind(event.and_then(|e| e.user_name.as_ref()))
                .bind(event.and_then(|e| e.by_name.as_ref()))
                .bind(event.and_then(|e| e.board).map(i64::from))
                .bind(event.and_then(|e| e.mode).map(mode_str))
                .bind(event.and_then(|e| e.took_ms).map(took_ms_i64).transpose()?);
        }
    }
    Ok(())
}

/// A column stored as JSON text.
fn json(value: &impl serde::Serialize) -> Result<String, StorageError> {
    serde_json::to_string(value).map_err(|e| StorageError::Corrupt(e.to_string()))
}

/// Inserts or replaces a member (a write of its own, and part of creating a room).
const MEMBER_UPSERT: &str = "INSERT INTO members (room_id, user_id, name, role, joined_at, status, color, muted)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (room_id, user_id) DO UPDATE SET name = excluded.name, role = excluded.role,
         joined_at = excluded.joined_at, status = excluded.status, color = excluded.color,
         muted = excluded.muted";

pub async fn write_member(tx: &mut sqlx::SqliteConnection, member: &MemberRow) -> Result<(), StorageError> {
    sqlx::query(MEMBER_UPSERT)
        .bind(&member.room)
        .bind(&member.user)
        .bind(&member.name)
        .bind(member.role.as_str())
        .bind(member.joined_at)
        .bind(member.status.as_str())
        .bind(&member.color)
        .bind(member.muted)
        .execute(tx)
        .await?;
    Ok(())
}
