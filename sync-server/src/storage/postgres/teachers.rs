//! Postgres queries of `teacher_ids` (the text is shared with SQLite, see
//! [`crate::storage::teacher_ids`]).

use sqlx::PgPool;

use crate::storage::teacher_ids::teacher_id_queries;
use crate::storage::StorageError;

teacher_id_queries!(PgPool);
