//! Batches of writes in one SQLite transaction: every change a room event
//! makes is there after a crash, or none is. All commits go through one
//! committer ([`crate::storage::group_commit`]), so SQLite's single writer
//! never waits on its own lock.

use async_trait::async_trait;
use sqlx::SqlitePool;

use crate::storage::group_commit::CommitBatches;
use crate::storage::stored::{event_kind_str, kind_str, mode_str, seq_i64, took_ms_i64};
use crate::storage::{MemberRow, StorageError, Write};

/// What the committer task commits with.
pub struct Committer(pub SqlitePool);

#[async_trait]
impl CommitBatches for Committer {
    async fn commit_batches(&self, batches: &[Vec<Write>]) -> Result<(), StorageError> {
        commit(&self.0, batches).await
    }
}

async fn commit(pool: &SqlitePool, batches: &[Vec<Write>]) -> Result<(), StorageError> {
    let mut tx = pool.begin().await?;
    for write in batches.iter().flatten() {
        match write {
            // One node owns every room of an SQLite store.
            Write::Fence(_) => {}
            Write::Member(member) => write_member(&mut tx, member).await?,
            Write::Owner { room, owner } => {
                sqlx::query("UPDATE rooms SET owner_id = ? WHERE id = ?")
                    .bind(owner)
                    .bind(room)
                    .execute(&mut *tx)
                    .await?;
            }
            Write::Spotlight { room, spotlight } => {
                sqlx::query("UPDATE rooms SET spotlight_board = ?, spotlight_hide_names = ? WHERE id = ?")
                    .bind(spotlight.map(|s| i64::from(s.board)))
                    .bind(spotlight.is_some_and(|s| s.hide_names))
                    .bind(room)
                    .execute(&mut *tx)
                    .await?;
            }
            Write::JoinLock { room, locked } => {
                sqlx::query("UPDATE rooms SET join_locked = ? WHERE id = ?")
                    .bind(locked)
                    .bind(room)
                    .execute(&mut *tx)
                    .await?;
            }
            Write::ChatRules { room, whispers, chat_off } => {
                sqlx::query("UPDATE rooms SET whispers = ?, chat_off = ? WHERE id = ?")
                    .bind(whispers.as_str())
                    .bind(chat_off)
                    .bind(room)
                    .execute(&mut *tx)
                    .await?;
            }
            Write::Progress { room, board, progress, by } => {
                sqlx::query("UPDATE boards SET progress = ? WHERE room_id = ? AND board_id = ?")
                    .bind(f64::from(*progress))
                    .bind(room)
                    .bind(i64::from(*board))
                    .execute(&mut *tx)
                    .await?;
                if let Some(user) = by {
                    sqlx::query(
                        "INSERT INTO board_drops (room_id, board_id, user_id, drops) VALUES (?, ?, ?, 1)
                         ON CONFLICT (room_id, board_id, user_id) DO UPDATE SET drops = drops + 1",
                    )
                    .bind(room)
                    .bind(i64::from(*board))
                    .bind(user)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            Write::Puzzle(puzzle) => {
                let meta = serde_json::to_string(&puzzle.meta).map_err(|e| StorageError::Corrupt(e.to_string()))?;
                sqlx::query(
                    "INSERT INTO puzzles (room_id, puzzle_id, upload_id, rows, cols, mode, meta, created_at)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(&puzzle.room)
                .bind(i64::from(puzzle.id))
                .bind(&puzzle.upload)
                .bind(i64::from(puzzle.rows))
                .bind(i64::from(puzzle.cols))
                .bind(mode_str(puzzle.mode))
                .bind(meta)
                .bind(puzzle.created_at)
                .execute(&mut *tx)
                .await?;
            }
            Write::Board(board) => {
                let members =
                    serde_json::to_string(&board.members).map_err(|e| StorageError::Corrupt(e.to_string()))?;
                let meta = serde_json::to_string(&board.meta).map_err(|e| StorageError::Corrupt(e.to_string()))?;
                sqlx::query(
                    "INSERT INTO boards (room_id, board_id, puzzle_id, members, locked, meta, completed_at)
                     VALUES (?, ?, ?, ?, ?, ?, ?)
                     ON CONFLICT (room_id, board_id) DO UPDATE SET members = excluded.members,
                         locked = excluded.locked, completed_at = excluded.completed_at",
                )
                .bind(&board.room)
                .bind(i64::from(board.id))
                .bind(i64::from(board.puzzle))
                .bind(members)
                .bind(board.locked)
                .bind(meta)
                .bind(board.completed_at)
                .execute(&mut *tx)
                .await?;
            }
            Write::BoardUpdate { room, board, seq, ts, author, data } => {
                sqlx::query(
                    "INSERT INTO board_updates (room_id, board_id, seq, ts, author, data) VALUES (?, ?, ?, ?, ?, ?)",
                )
                .bind(room)
                .bind(i64::from(*board))
                .bind(seq_i64(*seq)?)
                .bind(ts)
                .bind(author)
                .bind(data.as_slice())
                .execute(&mut *tx)
                .await?;
            }
            Write::CloseRoom { room, at } => {
                sqlx::query("UPDATE rooms SET closed_at = ? WHERE id = ?")
                    .bind(at)
                    .bind(room)
                    .execute(&mut *tx)
                    .await?;
            }
            Write::Message { room, message } => {
                let seq =
                    i64::try_from(message.seq).map_err(|_| StorageError::Corrupt(format!("seq {}", message.seq)))?;
                let event = message.event.as_ref();
                sqlx::query(
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
                .bind(event.and_then(|e| e.took_ms).map(took_ms_i64).transpose()?)
                .execute(&mut *tx)
                .await?;
            }
        }
    }
    tx.commit().await?;
    Ok(())
}

pub async fn write_member(tx: &mut sqlx::SqliteConnection, member: &MemberRow) -> Result<(), StorageError> {
    sqlx::query(
        "INSERT INTO members (room_id, user_id, name, role, joined_at, status, color, muted)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (room_id, user_id) DO UPDATE SET name = excluded.name, role = excluded.role,
             joined_at = excluded.joined_at, status = excluded.status, color = excluded.color,
             muted = excluded.muted",
    )
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
