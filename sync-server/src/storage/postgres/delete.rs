//! Deleting a room from Postgres: every row of it, its lease and presence,
//! and the uploads only it used (rows and bytes), in one transaction that
//! commits only while the deleting node's fence holds.

use sqlx::PgPool;

use crate::storage::room_deletion::{delete_unused_upload, uploads_of_room, ROOM_TABLES};
use crate::storage::{Fence, StorageError};

/// See [`crate::storage::Storage::delete_room`].
pub async fn delete_room(
    pool: &PgPool,
    room: &str,
    fence: Option<&Fence>,
) -> Result<Option<Vec<String>>, StorageError> {
    let mut tx = pool.begin().await?;
    // The room row locked first: a commit of the room (whose fence check
    // shares the lease row) or another deletion waits for this one.
    let exists: Option<i32> =
        sqlx::query_scalar("SELECT 1 FROM rooms WHERE id = $1 FOR UPDATE").bind(room).fetch_optional(&mut *tx).await?;
    if exists.is_none() {
        return Ok(None);
    }
    if let Some(fence) = fence {
        let held: Option<i32> = sqlx::query_scalar(
            "SELECT 1 FROM room_leases WHERE room_id = $1 AND node_id = $2 AND epoch = $3 FOR UPDATE",
        )
        .bind(&fence.room)
        .bind(&fence.node)
        .bind(fence.epoch)
        .fetch_optional(&mut *tx)
        .await?;
        if held.is_none() {
            return Err(StorageError::Fenced(fence.room.clone()));
        }
    }
    let candidates: Vec<String> = sqlx::query_scalar(&uploads_of_room("$1")).bind(room).fetch_all(&mut *tx).await?;
    for table in ROOM_TABLES.iter().chain(&["room_presence", "room_leases"]) {
        sqlx::query(&format!("DELETE FROM {table} WHERE room_id = $1")).bind(room).execute(&mut *tx).await?;
    }
    sqlx::query("DELETE FROM rooms WHERE id = $1").bind(room).execute(&mut *tx).await?;
    let mut unused = Vec::new();
    for id in candidates {
        if sqlx::query(&delete_unused_upload("$1")).bind(&id).execute(&mut *tx).await?.rows_affected() > 0 {
            sqlx::query("DELETE FROM upload_bytes WHERE id = $1").bind(&id).execute(&mut *tx).await?;
            unused.push(id);
        }
    }
    tx.commit().await?;
    Ok(Some(unused))
}
