//! Batches of writes in one Postgres transaction: every change a room event
//! makes is there after a crash, or none is. The first write that fails (a
//! message or board update whose seq is taken, a missing upload, a fence
//! that no longer holds) ends the transaction, which rolls back when
//! dropped; the committer ([`crate::storage::group_commit`]) then retries the
//! other batches without it.
//!
//! Two nodes writing the same room meet here: the primary keys
//! `(room_id, seq)` of messages and `(room_id, board_id, seq)` of board
//! updates refuse the second writer's batch as a whole.
//!
//! A group of many rooms' batches costs a fixed number of round trips, not
//! one per row: every fence is checked by one statement, and each run of
//! messages (or of board updates) is inserted by one statement over arrays.

use async_trait::async_trait;
use sqlx::{PgConnection, PgPool};

use crate::storage::group_commit::CommitBatches;
use crate::storage::stored::{event_kind_str, kind_str, member_upsert, mode_str, seq_i64, took_ms_i64};
use crate::storage::{MemberRow, StorageError, Write};

/// What the committer task commits with.
pub struct Committer(pub PgPool);

#[async_trait]
impl CommitBatches for Committer {
    async fn commit_batches(&self, batches: &[Vec<Write>]) -> Result<(), StorageError> {
        commit(&self.0, batches).await
    }
}

async fn commit(pool: &PgPool, batches: &[Vec<Write>]) -> Result<(), StorageError> {
    let mut tx = pool.begin().await?;
    check_fences(&mut tx, batches).await?;
    let writes: Vec<&Write> = batches.iter().flatten().filter(|w| !matches!(w, Write::Fence(_))).collect();
    let mut rest = &writes[..];
    while let Some(first) = rest.first() {
        let run = match first {
            Write::Message { .. } => rest.iter().take_while(|w| matches!(w, Write::Message { .. })).count(),
            Write::BoardUpdate { .. } => rest.iter().take_while(|w| matches!(w, Write::BoardUpdate { .. })).count(),
            _ => 1,
        };
        let (now, later) = rest.split_at(run);
        match first {
            Write::Message { .. } => insert_messages(&mut tx, now).await?,
            Write::BoardUpdate { .. } => insert_board_updates(&mut tx, now).await?,
            write => write_one(&mut tx, write).await?,
        }
        rest = later;
    }
    tx.commit().await?;
    Ok(())
}

/// Every batch's fence, in one statement. `FOR SHARE`: a takeover (which
/// updates the lease row) waits for this transaction, and this one sees any
/// takeover that committed before it.
async fn check_fences(conn: &mut PgConnection, batches: &[Vec<Write>]) -> Result<(), StorageError> {
    let fences: Vec<_> = batches
        .iter()
        .flatten()
        .filter_map(|w| match w {
            Write::Fence(fence) => Some(fence),
            _ => None,
        })
        .collect();
    if fences.is_empty() {
        return Ok(());
    }
    let rooms: Vec<&str> = fences.iter().map(|f| f.room.as_str()).collect();
    let held: Vec<(String, String, i64)> =
        sqlx::query_as("SELECT room_id, node_id, epoch FROM room_leases WHERE room_id = ANY($1) FOR SHARE")
            .bind(&rooms)
            .fetch_all(&mut *conn)
            .await?;
    for fence in fences {
        let holds =
            held.iter().any(|(room, node, epoch)| *room == fence.room && *node == fence.node && *epoch == fence.epoch);
        if !holds {
            return Err(StorageError::Fenced(fence.room.clone()));
        }
    }
    Ok(())
}

/// A run of `Write::Message`s as one insert.
async fn insert_messages(conn: &mut PgConnection, writes: &[&Write]) -> Result<(), StorageError> {
    let mut columns = MessageColumns::default();
    for write in writes {
        if let Write::Message { room, message } = write {
            let event = message.event.as_ref();
            columns.room.push(room.as_str());
            columns.seq.push(seq_i64(message.seq)?);
            columns.ts.push(message.ts);
            columns.kind.push(kind_str(message.kind));
            columns.from.push(message.from.as_deref());
            columns.to.push(message.to.as_deref());
            columns.text.push(message.text.as_str());
            columns.upload.push(message.upload.as_ref().map(|u| u.id.as_str()));
            columns.event_kind.push(event.map(|e| event_kind_str(e.kind)));
            columns.event_user.push(event.map(|e| e.user.as_str()));
            columns.event_by.push(event.and_then(|e| e.by.as_deref()));
            columns.event_user_name.push(event.and_then(|e| e.user_name.as_deref()));
            columns.event_by_name.push(event.and_then(|e| e.by_name.as_deref()));
            columns.event_board.push(event.and_then(|e| e.board).map(i64::from));
            columns.event_mode.push(event.and_then(|e| e.mode).map(mode_str));
            columns.event_took_ms.push(event.and_then(|e| e.took_ms).map(took_ms_i64).transpose()?);
        }
    }
    sqlx::query(
        "INSERT INTO messages (room_id, seq, ts, kind, from_id, to_id, text, upload_id, event_kind, event_user, event_by,
                               event_user_name, event_by_name, event_board, event_mode, event_took_ms)
         SELECT * FROM UNNEST($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[],
                              $8::text[], $9::text[], $10::text[], $11::text[],
                              $12::text[], $13::text[], $14::bigint[], $15::text[], $16::bigint[])",
    )
    .bind(&columns.room)
    .bind(&columns.seq)
    .bind(&columns.ts)
    .bind(&columns.kind)
    .bind(&columns.from)
    .bind(&columns.to)
    .bind(&columns.text)
    .bind(&columns.upload)
    .bind(&columns.event_kind)
    .bind(&columns.event_user)
    .bind(&columns.event_by)
    .bind(&columns.event_user_name)
    .bind(&columns.event_by_name)
    .bind(&columns.event_board)
    .bind(&columns.event_mode)
    .bind(&columns.event_took_ms)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(Default)]
struct MessageColumns<'a> {
    room: Vec<&'a str>,
    seq: Vec<i64>,
    ts: Vec<i64>,
    kind: Vec<&'a str>,
    from: Vec<Option<&'a str>>,
    to: Vec<Option<&'a str>>,
    text: Vec<&'a str>,
    upload: Vec<Option<&'a str>>,
    event_kind: Vec<Option<&'a str>>,
    event_user: Vec<Option<&'a str>>,
    event_by: Vec<Option<&'a str>>,
    event_user_name: Vec<Option<&'a str>>,
    event_by_name: Vec<Option<&'a str>>,
    event_board: Vec<Option<i64>>,
    event_mode: Vec<Option<&'a str>>,
    event_took_ms: Vec<Option<i64>>,
}

/// A run of `Write::BoardUpdate`s as one insert.
async fn insert_board_updates(conn: &mut PgConnection, writes: &[&Write]) -> Result<(), StorageError> {
    let (mut rooms, mut boards, mut seqs, mut stamps, mut authors, mut data) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for write in writes {
        if let Write::BoardUpdate { room, board, seq, ts, author, data: bytes } = write {
            rooms.push(room.as_str());
            boards.push(i64::from(*board));
            seqs.push(seq_i64(*seq)?);
            stamps.push(*ts);
            authors.push(author.as_deref());
            data.push(bytes.as_slice());
        }
    }
    sqlx::query(
        "INSERT INTO board_updates (room_id, board_id, seq, ts, author, data)
         SELECT * FROM UNNEST($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::bytea[])",
    )
    .bind(&rooms)
    .bind(&boards)
    .bind(&seqs)
    .bind(&stamps)
    .bind(&authors)
    .bind(&data)
    .execute(conn)
    .await?;
    Ok(())
}

/// Any other write, alone.
async fn write_one(tx: &mut PgConnection, write: &Write) -> Result<(), StorageError> {
    match write {
        // Checked first, for the whole group; messages and board updates
        // go in runs.
        Write::Fence(_) | Write::Message { .. } | Write::BoardUpdate { .. } => {}
        Write::Member(member) => write_member(tx, member).await?,
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
        Write::JoinLock { room, locked } => {
            sqlx::query("UPDATE rooms SET join_locked = $1 WHERE id = $2")
                .bind(locked)
                .bind(room)
                .execute(&mut *tx)
                .await?;
        }
        Write::ChatRules { room, whispers, chat_off } => {
            sqlx::query("UPDATE rooms SET whispers = $1, chat_off = $2 WHERE id = $3")
                .bind(whispers.as_str())
                .bind(chat_off)
                .bind(room)
                .execute(&mut *tx)
                .await?;
        }
        Write::Progress { room, board, progress, by } => {
            sqlx::query("UPDATE boards SET progress = $1 WHERE room_id = $2 AND board_id = $3")
                .bind(f64::from(*progress))
                .bind(room)
                .bind(i64::from(*board))
                .execute(&mut *tx)
                .await?;
            if let Some(user) = by {
                sqlx::query(
                    "INSERT INTO board_drops (room_id, board_id, user_id, drops) VALUES ($1, $2, $3, 1)
                     ON CONFLICT (room_id, board_id, user_id) DO UPDATE SET drops = board_drops.drops + 1",
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
            let members = serde_json::to_string(&board.members).map_err(|e| StorageError::Corrupt(e.to_string()))?;
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
        Write::CloseRoom { room, at } => {
            sqlx::query("UPDATE rooms SET closed_at = $1 WHERE id = $2").bind(at).bind(room).execute(&mut *tx).await?;
        }
    }
    Ok(())
}

/// Inserts a member, or on a rejoin replaces every column of their row.
pub async fn write_member(conn: &mut PgConnection, member: &MemberRow) -> Result<(), StorageError> {
    member_upsert(member).execute(conn).await?;
    Ok(())
}
