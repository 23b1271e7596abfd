//! The queries of `teacher_ids` (which teacher each teacher member of a room
//! is, see [`super::Storage::link_teacher`]), one text for both stores:
//! SQLite reads `$1`, `$2`, … as parameters in order, as Postgres does.
//! [`teacher_id_queries`] makes the functions over one store's pool.

pub const LINK: &str = "INSERT INTO teacher_ids (room_id, user_id, teacher_id) VALUES ($1, $2, $3)
     ON CONFLICT (room_id, user_id) DO UPDATE SET teacher_id = excluded.teacher_id";

pub const TEACHER_OF: &str = "SELECT teacher_id FROM teacher_ids WHERE room_id = $1 AND user_id = $2";

pub const OF_OPEN_ROOMS: &str = "SELECT t.room_id, t.teacher_id FROM teacher_ids t
     JOIN rooms r ON r.id = t.room_id
     JOIN members m ON m.room_id = t.room_id AND m.user_id = t.user_id
     WHERE r.closed_at IS NULL AND m.status = 'active'";

/// `link`, `teacher_of` and `of_open_rooms` over `$pool` (the store's pool
/// type), for the store's `Storage` methods of the same purpose.
macro_rules! teacher_id_queries {
    ($pool:ty) => {
        pub async fn link(pool: &$pool, room: &str, user: &str, teacher: &str) -> Result<(), StorageError> {
            use crate::storage::teacher_ids::LINK;
            sqlx::query(LINK).bind(room).bind(user).bind(teacher).execute(pool).await?;
            Ok(())
        }

        pub async fn teacher_of(pool: &$pool, room: &str, user: &str) -> Result<Option<String>, StorageError> {
            use crate::storage::teacher_ids::TEACHER_OF;
            let row = sqlx::query(TEACHER_OF).bind(room).bind(user).fetch_optional(pool).await?;
            Ok(row.map(|row| sqlx::Row::try_get(&row, "teacher_id")).transpose()?)
        }

        pub async fn of_open_rooms(pool: &$pool) -> Result<Vec<(String, String)>, StorageError> {
            use crate::storage::teacher_ids::OF_OPEN_ROOMS;
            let rows = sqlx::query(OF_OPEN_ROOMS).fetch_all(pool).await?;
            rows.iter()
                .map(|row| Ok((sqlx::Row::try_get(row, "room_id")?, sqlx::Row::try_get(row, "teacher_id")?)))
                .collect()
        }
    };
}
pub(crate) use teacher_id_queries;
