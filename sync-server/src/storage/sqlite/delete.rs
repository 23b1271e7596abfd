//! Deleting a room from SQLite: every row of it and the uploads only it
//! used, in one transaction.

use sqlx::SqlitePool;

use crate::storage::room_deletion::{delete_unused_upload, uploads_of_room, ROOM_TABLES};
use crate::storage::StorageError;

/// See [`crate::storage::Storage::delete_room`]. One node owns every room
/// of an SQLite store, so there is no fence to check.
pub async fn delete_room(pool: &SqlitePool, room: &str) -> Result<Option<Vec<String>>, StorageError> {
    // IMMEDIATE: the write lock from the start, so no commit slips in
    // between the reads below and the deletes that act on them.
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let exists: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM rooms WHERE id = ?").bind(room).fetch_optional(&mut *tx).await?;
    if exists.is_none() {
        return Ok(None);
    }
    let candidates: Vec<String> = sqlx::query_scalar(&uploads_of_room("?1")).bind(room).fetch_all(&mut *tx).await?;
    for table in ROOM_TABLES {
        sqlx::query(&format!("DELETE FROM {table} WHERE room_id = ?")).bind(room).execute(&mut *tx).await?;
    }
    sqlx::query("DELETE FROM rooms WHERE id = ?").bind(room).execute(&mut *tx).await?;
    let mut unused = Vec::new();
    for id in candidates {
        if sqlx::query(&delete_unused_upload("?1")).bind(&id).execute(&mut *tx).await?.rows_affected() > 0 {
            unused.push(id);
        }
    }
    tx.commit().await?;
    Ok(Some(unused))
}
