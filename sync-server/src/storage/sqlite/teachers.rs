//! SQLite queries of `teacher_ids` (the text is shared with Postgres, see
//! [`crate::storage::teacher_ids`]).

use sqlx::SqlitePool;

use crate::storage::teacher_ids::teacher_id_queries;
use crate::storage::StorageError;

teacher_id_queries!(SqlitePool);
