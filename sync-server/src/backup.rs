//! `jigsync backup PATH`: a copy of a single node's data dir taken while the
//! server runs. The database is copied with SQLite's `VACUUM INTO`, which
//! reads one consistent snapshot (WAL readers do not block the server's
//! writers, nor it them); then the uploads, which are written once under
//! their content hash and never changed, so every upload the copied database
//! names is already on disk by then; then the data dir's signing key, so the
//! tokens handed out stay valid after a restore. PATH is a complete data
//! dir: restoring is starting the server with `--data-dir PATH` (or moving
//! it into place).

use std::path::{Path, PathBuf};

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};

use crate::config::Config;

const DATABASE_FILE: &str = "jigsync.db";
const UPLOADS_DIR: &str = "uploads";
const KEY_FILE: &str = "signing.key";

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("backups copy SQLite; with --database-url, back up Postgres with pg_dump")]
    Postgres,
    #[error("no database at {0}")]
    NoDatabase(String),
    #[error("{0} already exists; back up into a new directory")]
    Exists(String),
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("copying the database: {0}")]
    Sqlite(#[from] sqlx::Error),
}

/// What a backup copied.
#[derive(Debug)]
pub struct Copied {
    pub uploads: usize,
    pub signing_key: bool,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::Io { path: path.display().to_string(), source }
}

pub async fn run(config: &Config, target: &Path) -> Result<Copied, BackupError> {
    if config.database_url.is_some() {
        return Err(BackupError::Postgres);
    }
    let source = config.data_dir.join(DATABASE_FILE);
    if !source.is_file() {
        return Err(BackupError::NoDatabase(source.display().to_string()));
    }
    if target.exists() {
        return Err(BackupError::Exists(target.display().to_string()));
    }
    std::fs::create_dir_all(target).map_err(io(target))?;
    let copy = target.join(DATABASE_FILE);
    let mut db = SqliteConnectOptions::new()
        .filename(&source)
        .busy_timeout(std::time::Duration::from_secs(30))
        .connect()
        .await?;
    sqlx::query("VACUUM INTO ?").bind(copy.display().to_string()).execute(&mut db).await?;
    db.close().await?;
    let uploads = copy_uploads(&config.data_dir.join(UPLOADS_DIR), &target.join(UPLOADS_DIR))?;
    let key = config.data_dir.join(KEY_FILE);
    let signing_key = key.is_file();
    if signing_key {
        let copied = target.join(KEY_FILE);
        std::fs::copy(&key, &copied).map_err(io(&copied))?;
    }
    Ok(Copied { uploads, signing_key })
}

/// Copies every finished upload (temporary files start with a dot).
fn copy_uploads(from: &Path, to: &Path) -> Result<usize, BackupError> {
    std::fs::create_dir_all(to).map_err(io(to))?;
    let entries = match std::fs::read_dir(from) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(err) => return Err(io(from)(err)),
    };
    let mut copied = 0;
    for entry in entries {
        let entry = entry.map_err(io(from))?;
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') || !entry.file_type().map_err(io(from))?.is_file() {
            continue;
        }
        let target: PathBuf = to.join(&name);
        std::fs::copy(entry.path(), &target).map_err(io(&target))?;
        copied += 1;
    }
    Ok(copied)
}
