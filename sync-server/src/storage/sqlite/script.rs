//! A whole SQLite transaction as one SQL text: `BEGIN IMMEDIATE`, every
//! statement of the batches, `COMMIT`, with the parameters of all of them
//! in order. sqlx runs a connection's statements on a worker thread of its
//! own, so each `execute` is a round trip between threads (two context
//! switches and a wake-up each way); a drop's transaction was five of them.
//! As one text it is one round trip, whatever the group holds.
//!
//! SQLite stops at the first statement that fails, so a failed script
//! leaves its transaction open: the caller must discard the connection
//! (closing it rolls the transaction back).

use sqlx::sqlite::SqliteArguments;
use sqlx::{Arguments, Encode, Executor, Sqlite, SqliteConnection, Type};

use crate::storage::StorageError;

/// Scripts up to this many statements are prepared once and kept in the
/// connection's statement cache (the usual groups: a few drops, a burst of
/// chat); longer ones are one-offs, prepared for the call.
const CACHED_STATEMENTS: usize = 48;

pub struct Script<'q> {
    sql: String,
    args: SqliteArguments<'q>,
    statements: usize,
    /// The first parameter that could not be encoded; the script then fails.
    unencodable: Option<String>,
}

impl<'q> Script<'q> {
    /// A transaction that takes the write lock at once.
    pub fn transaction() -> Script<'q> {
        let mut script =
            Script { sql: String::new(), args: SqliteArguments::default(), statements: 0, unencodable: None };
        script.statement("BEGIN IMMEDIATE");
        script
    }

    /// Appends a statement; its `?` parameters are the next `bind`s.
    pub fn statement(&mut self, sql: &str) -> &mut Self {
        self.sql.push_str(sql);
        self.sql.push_str(";\n");
        self.statements += 1;
        self
    }

    pub fn bind<T>(&mut self, value: T) -> &mut Self
    where
        T: 'q + Encode<'q, Sqlite> + Type<Sqlite>,
    {
        if let Err(err) = self.args.add(value) {
            self.unencodable.get_or_insert_with(|| err.to_string());
        }
        self
    }

    /// Commits: runs every statement, then `COMMIT`, in one call.
    pub async fn commit(mut self, conn: &mut SqliteConnection) -> Result<(), StorageError> {
        if let Some(err) = self.unencodable {
            return Err(StorageError::Corrupt(err));
        }
        self.statement("COMMIT");
        let cached = self.statements <= CACHED_STATEMENTS;
        conn.execute(sqlx::query_with(&self.sql, self.args).persistent(cached)).await?;
        Ok(())
    }
}
