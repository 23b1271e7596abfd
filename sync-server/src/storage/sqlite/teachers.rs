//! SQLite queries of `teacher_ids`: which teacher each teacher member is
//! (see [`crate::storage::Storage::link_teacher`]).

use sqlx::{Row, SqlitePool};

use crate::storage::StorageError;

pub async fn link(pool: &SqlitePool, room: &str, user: &str, teacher: &str) -> Result<(), StorageError> {
    sqlx::query(
        "INSERT INTO teacher_ids (room_id, user_id, teacher_id) VALUES (?, ?, ?)
         ON CONFLICT (room_id, user_id) DO UPDATE SET teacher_id = excluded.teacher_id",
    )
    .bind(room)
    .bind(user)
    .bind(teacher)
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn teacher_of(pool: &SqlitePool, room: &str, user: &str) -> Result<Option<String>, StorageError> {
    let row = sqlx::query("SELECT teacher_id FROM teacher_ids WHERE room_id = ? AND user_id = ?")
        .bind(room)
        .bind(user)
        .fetch_optional(pool)
        .await?;
    Ok(row.map(|row| row.try_get("teacher_id")).transpose()?)
}

pub async fn of_open_rooms(pool: &SqlitePool) -> Result<Vec<(String, String)>, StorageError> {
    let rows = sqlx::query(
        "SELECT t.room_id, t.teacher_id FROM teacher_ids t
         JOIN rooms r ON r.id = t.room_id
         JOIN members m ON m.room_id = t.room_id AND m.user_id = t.user_id
         WHERE r.closed_at IS NULL AND m.status = 'active'",
    )
    .fetch_all(pool)
    .await?;
    rows.iter().map(|row| Ok((row.try_get("room_id")?, row.try_get("teacher_id")?))).collect()
}
