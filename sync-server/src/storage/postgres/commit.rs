//! One batch of writes in one Postgres transaction: every change a room
//! event makes is there after a crash, or none is. The first write that
//! fails (a message or board update whose seq is taken, a missing upload)
//! ends the transaction, which rolls back when dropped.
//!
//! Two nodes writing the same room meet here: the primary keys
//! `(room_id, seq)` of messages and `(room_id, board_id, seq)` of board
//! updates refuse the second writer's batch as a whole.

use sqlx::{PgConnection, PgPool};

use crate::storage::stored::{event_kind_str, kind_str, mode_str, seq_i64};
use crate::storage::{MemberRow, StorageError, Write};

pub async fn commit(pool: &PgPool, writes: &[Write]) -> Result<(), StorageError> {
    let mut tx = pool.begin().await?;
    for write in writes {
        match write {
            Write::Fence(fence) => {
                // FOR SHARE: a takeover (which updates the row) waits for
                // this transaction, and this one sees any takeover before.
                let epoch: Option<i64> =
                    sqlx::query_scalar("SELECT epoch FROM room_leases WHERE room_id = $1 AND node_id = $2 FOR SHARE")
                        .bind(&fence.room)
                        .bind(&fence.node)
                        .fetch_optional(&mut *tx)
                        .await?;
                if epoch != Some(fence.epoch) {
                    return Err(StorageError::Fenced(fence.room.clone()));
                }
            }
            Write::Member(member) => write_member(&mut tx, member).await?,
            Write::Owner { room, owner } => {
                sqlx::query("UPDATE rooms SET owner_id = $1 WHERE id = $2")
                    .bind(owner)
                    .bind(room)
                    .execute(&mut *tx)
                    .await?;
            }
            Write::Spotlight { room, spotlight } => {
                sqlx::query("UPDATE rooms SET spotlight_board = $1, spotlight_hide_names = $2 WHERE id = $3")
                    .bind(spotlight.map(|s| i64::from(s.board)))
                    .bind(spotlight.is_some_and(|s| s.hide_names))
                    .bind(room)
                    .execute(&mut *tx)
                    .await?;
            }
            Write::Puzzle(puzzle) => {
                let meta = serde_json::to_string(&puzzle.meta).map_err(|e| StorageError::Corrupt(e.to_string()))?;
                sqlx::query(
                    "INSERT INTO puzzles (room_id, puzzle_id, upload_id, rows, cols, mode, meta, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
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
                // As in SQLite, a board's puzzle and meta are fixed when it is
                // made; rewriting it changes who may write, the lock and completion.
                sqlx::query(
                    "INSERT INTO boards (room_id, board_id, puzzle_id, members, locked, meta, completed_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)
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
            Write::BoardUpdate { room, board, seq, ts, data } => {
                sqlx::query("INSERT INTO board_updates (room_id, board_id, seq, ts, data) VALUES ($1, $2, $3, $4, $5)")
                    .bind(room)
                    .bind(i64::from(*board))
                    .bind(seq_i64(*seq)?)
                    .bind(ts)
                    .bind(data.as_slice())
                    .execute(&mut *tx)
                    .await?;
            }
            Write::CloseRoom { room, at } => {
                sqlx::query("UPDATE rooms SET closed_at = $1 WHERE id = $2")
                    .bind(at)
                    .bind(room)
                    .execute(&mut *tx)
                    .await?;
            }
            Write::Message { room, message } => {
                let event = message.event.as_ref();
                sqlx::query(
                    "INSERT INTO messages (room_id, seq, ts, kind, from_id, to_id, text, upload_id, event_kind, event_user, event_by)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                )
                .bind(room)
                .bind(seq_i64(message.seq)?)
                .bind(message.ts)
                .bind(kind_str(message.kind))
                .bind(&message.from)
                .bind(&message.to)
                .bind(&message.text)
                .bind(message.upload.as_ref().map(|u| &u.id))
                .bind(event.map(|e| event_kind_str(e.kind)))
                .bind(event.map(|e| &e.user))
                .bind(event.and_then(|e| e.by.as_ref()))
                .execute(&mut *tx)
                .await?;
            }
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Inserts a member, or on a rejoin replaces every column of their row.
pub async fn write_member(conn: &mut PgConnection, member: &MemberRow) -> Result<(), StorageError> {
    sqlx::query(
        "INSERT INTO members (room_id, user_id, name, role, joined_at, status, color)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (room_id, user_id) DO UPDATE SET name = excluded.name, role = excluded.role,
             joined_at = excluded.joined_at, status = excluded.status, color = excluded.color",
    )
    .bind(&member.room)
    .bind(&member.user)
    .bind(&member.name)
    .bind(member.role.as_str())
    .bind(member.joined_at)
    .bind(member.status.as_str())
    .bind(&member.color)
    .execute(conn)
    .await?;
    Ok(())
}
