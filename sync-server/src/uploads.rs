//! Uploaded pictures (GIFs in chat, puzzle pictures): type sniffing, and
//! the [`BlobStore`] that keeps their bytes, content-addressed: an upload's
//! id is the SHA-256 of its bytes, so two uploads never collide and the same
//! picture uploaded twice is stored once. With SQLite the bytes are files
//! under `<data-dir>/uploads`; with Postgres they are in the database, so
//! every node serves every upload whichever node took it.
//!
//! The `uploads` row (type, size) is the storage's; the bytes are written
//! first, so a reader that finds the row always finds the bytes.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use jigsync_schema::limits::{MAX_PICTURE_PIXELS, MAX_PICTURE_SIDE};
use jigsync_schema::Attachment;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use tokio::sync::{OwnedRwLockReadGuard, OwnedRwLockWriteGuard, RwLock};

use crate::error::ApiError;

/// The only types accepted, as sniffed from the bytes (never from the
/// client's claimed type or file name).
const ACCEPTED: &[(&str, &str)] =
    &[("image/gif", "gif"), ("image/png", "png"), ("image/jpeg", "jpg"), ("image/webp", "webp")];

/// Returns the MIME type of an accepted image, or `None`.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    let kind = infer::get(bytes)?;
    ACCEPTED.iter().find(|(mime, _)| *mime == kind.mime_type()).map(|(mime, _)| *mime)
}

fn extension(content_type: &str) -> &'static str {
    ACCEPTED.iter().find(|(mime, _)| *mime == content_type).map_or("bin", |(_, ext)| *ext)
}

pub fn content_type_for_extension(ext: &str) -> Option<&'static str> {
    ACCEPTED.iter().find(|(_, e)| *e == ext).map(|(mime, _)| *mime)
}

pub fn url_for(id: &str, content_type: &str) -> String {
    format!("/uploads/{id}.{}", extension(content_type))
}

pub fn attachment(id: &str, content_type: &str) -> Attachment {
    Attachment { id: id.to_owned(), url: url_for(id, content_type), content_type: content_type.to_owned() }
}

/// A picture's size as its header states it, refused (400 `invalid`) when
/// over the caps: [`MAX_PICTURE_SIDE`] pixels a side and
/// [`MAX_PICTURE_PIXELS`] in all. Every client that shows a board decodes
/// the whole picture, so a header claiming a huge size is refused on its
/// word; the server never decodes the bytes. Within the caps both sides fit
/// in `u32`.
pub fn checked_dimensions(width: usize, height: usize) -> Result<(u32, u32), ApiError> {
    let side = |n: usize| u32::try_from(n).ok().filter(|&n| n <= MAX_PICTURE_SIDE);
    match (side(width), side(height)) {
        (Some(w), Some(h)) if u64::from(w) * u64::from(h) <= MAX_PICTURE_PIXELS => Ok((w, h)),
        _ => Err(ApiError::invalid(format!(
            "pictures may be at most {MAX_PICTURE_SIDE} pixels on a side and {MAX_PICTURE_PIXELS} pixels in all \
             ({MAX_PICTURE_SIDE} × {}); this one is {width} × {height}",
            MAX_PICTURE_PIXELS / u64::from(MAX_PICTURE_SIDE)
        ))),
    }
}

pub fn content_id(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// True for strings that can be an upload id (and so a safe file name).
pub fn is_content_id(id: &str) -> bool {
    id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("upload file: {0}")]
    Io(#[from] std::io::Error),
    #[error("upload bytes in the database: {0}")]
    Database(#[from] sqlx::Error),
}

/// Where upload bytes are kept, by content id. Ids must have passed
/// [`is_content_id`] (they name files).
#[derive(Debug, Clone)]
pub struct BlobStore {
    backend: Backend,
    /// Uploads hold it shared from writing their bytes until their row is
    /// recorded; a room deletion holds it alone from its transaction until
    /// the files it freed are removed. Otherwise an upload of the same
    /// picture in between would record a row whose file is then removed.
    gate: Arc<RwLock<()>>,
}

#[derive(Debug, Clone)]
enum Backend {
    /// One file per upload, named by its id.
    Files(PathBuf),
    /// The `upload_bytes` table, shared by every node on the database.
    Postgres(PgPool),
}

impl BlobStore {
    /// Files in `dir`, created if missing.
    pub fn open(dir: PathBuf) -> std::io::Result<Self> {
        std::fs::create_dir_all(&dir)?;
        Ok(BlobStore { backend: Backend::Files(dir), gate: Arc::default() })
    }

    /// The `upload_bytes` table of the database behind `pool` (created by
    /// the Postgres storage's migrations).
    pub fn postgres(pool: PgPool) -> Self {
        BlobStore { backend: Backend::Postgres(pool), gate: Arc::default() }
    }

    /// Stores the bytes under their id, durably, before it returns. Storing
    /// an id again, even at the same moment from another request or node,
    /// succeeds and keeps the bytes already there: they are the same bytes.
    pub async fn put(&self, id: &str, bytes: &[u8]) -> Result<(), BlobError> {
        match &self.backend {
            Backend::Files(dir) => put_file(dir, id, bytes).await?,
            Backend::Postgres(pool) => {
                sqlx::query("INSERT INTO upload_bytes (id, data) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING")
                    .bind(id)
                    .bind(bytes)
                    .execute(pool)
                    .await?;
            }
        }
        Ok(())
    }

    /// Held by an upload while it stores its bytes and records its row.
    pub async fn storing(&self) -> OwnedRwLockReadGuard<()> {
        self.gate.clone().read_owned().await
    }

    /// Held by a room deletion from its transaction until [`BlobStore::remove`]
    /// has removed what it freed.
    pub async fn removing(&self) -> OwnedRwLockWriteGuard<()> {
        self.gate.clone().write_owned().await
    }

    /// Removes the bytes of an upload whose row is gone. In Postgres the
    /// room's deletion already removed them in its transaction.
    pub async fn remove(&self, id: &str) -> Result<(), BlobError> {
        match &self.backend {
            Backend::Files(dir) => match tokio::fs::remove_file(dir.join(id)).await {
                Err(err) if err.kind() != std::io::ErrorKind::NotFound => Err(err.into()),
                _ => Ok(()),
            },
            Backend::Postgres(_) => Ok(()),
        }
    }

    /// The bytes stored under `id`, or `None` if there are none.
    pub async fn get(&self, id: &str) -> Result<Option<Vec<u8>>, BlobError> {
        match &self.backend {
            Backend::Files(dir) => match tokio::fs::read(dir.join(id)).await {
                Ok(bytes) => Ok(Some(bytes)),
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(err) => Err(err.into()),
            },
            Backend::Postgres(pool) => {
                let bytes = sqlx::query_scalar("SELECT data FROM upload_bytes WHERE id = $1")
                    .bind(id)
                    .fetch_optional(pool)
                    .await?;
                Ok(bytes)
            }
        }
    }
}

/// Writes the file via a temporary file and a rename, so a reader never
/// sees half a file.
async fn put_file(dir: &Path, id: &str, bytes: &[u8]) -> std::io::Result<()> {
    let target = dir.join(id);
    if tokio::fs::try_exists(&target).await? {
        return Ok(());
    }
    // A name of its own per write: the same picture may be uploaded twice at
    // once (a class sharing one GIF), and both must succeed.
    let tmp = dir.join(format!(".{id}.{:016x}.tmp", rand::random::<u64>()));
    write_synced(&tmp, bytes).await?;
    tokio::fs::rename(&tmp, &target).await
}

async fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use tokio::io::AsyncWriteExt;
    let mut file = tokio::fs::File::create(path).await?;
    file.write_all(bytes).await?;
    file.sync_all().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_accepted_images_and_refuses_the_rest() {
        assert_eq!(sniff(b"GIF89a\x01\x00\x01\x00"), Some("image/gif"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Some("image/png"));
        assert_eq!(sniff(b"\xff\xd8\xff\xe0\0\x10JFIF\0"), Some("image/jpeg"));
        assert_eq!(sniff(b"RIFF\x24\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff(b"%PDF-1.7"), None);
        assert_eq!(sniff(b"<svg xmlns='http://www.w3.org/2000/svg'/>"), None);
        assert_eq!(sniff(b""), None);
    }

    #[tokio::test]
    async fn the_same_picture_stored_many_times_at_once_is_stored_once() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = BlobStore::open(dir.path().join("uploads")).unwrap();
        let bytes = b"GIF89a same picture".to_vec();
        let id = content_id(&bytes);
        let writes = (0..16).map(|_| {
            let (blobs, id, bytes) = (blobs.clone(), id.clone(), bytes.clone());
            tokio::spawn(async move { blobs.put(&id, &bytes).await })
        });
        for write in writes.collect::<Vec<_>>() {
            write.await.unwrap().expect("every concurrent write succeeds");
        }
        assert_eq!(blobs.get(&id).await.unwrap(), Some(bytes));
        assert_eq!(blobs.get(&content_id(b"never stored")).await.unwrap(), None);
        let files = std::fs::read_dir(dir.path().join("uploads")).unwrap().count();
        assert_eq!(files, 1, "no temporary files left behind");
    }

    #[test]
    fn dimensions_are_capped_per_side_and_in_total() {
        assert_eq!(checked_dimensions(8192, 4096).unwrap(), (8192, 4096));
        assert_eq!(checked_dimensions(4096, 8192).unwrap(), (4096, 8192));
        assert_eq!(checked_dimensions(1, 1).unwrap(), (1, 1));
        for (w, h) in [(8193, 1), (1, 8193), (8192, 4097), (6000, 6000), (100_000, 100_000), (usize::MAX, 1)] {
            let err = checked_dimensions(w, h).unwrap_err();
            assert_eq!(err.code, jigsync_schema::ErrorCode::Invalid, "{w}×{h}");
            assert!(err.message.contains("8192"), "{}", err.message);
        }
    }

    #[test]
    fn ids_are_hex_digests() {
        let id = content_id(b"abc");
        assert!(is_content_id(&id));
        assert!(!is_content_id("../etc/passwd"));
        assert_eq!(url_for(&id, "image/gif"), format!("/uploads/{id}.gif"));
    }
}
