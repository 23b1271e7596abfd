//! Deleting a class with everything of it: members, messages, puzzles,
//! boards and their logs, and the pictures no other class uses. A class
//! that is served (open) is deleted by its actor, under its lease, which
//! then closes the class's sockets with 4404 and stops; a closed class has
//! no actor and no sockets, and is deleted from storage directly. Both the
//! `DELETE /api/rooms/{roomId}` route and retention come through here.

use crate::app::App;
use crate::error::ApiError;
use crate::room::{ConnectError, RoomCmd};

/// Why a class was deleted, as the `jigsync_rooms_deleted_total` metric
/// labels it.
#[derive(Debug, Clone, Copy)]
pub enum Reason {
    /// Its owner or an operator asked.
    Request,
    /// It was closed or idle for longer than `--retention-days`.
    Retention,
}

impl Reason {
    fn as_str(self) -> &'static str {
        match self {
            Reason::Request => "request",
            Reason::Retention => "retention",
        }
    }
}

/// Deletes the class; false if there is no such class. With several nodes,
/// an open class must be served by this node (the caller forwards to its
/// owner first).
pub async fn delete(app: &App, room: &str, reason: Reason) -> Result<bool, ApiError> {
    // Taken before the class's transaction, released once the files it
    // freed are gone (see `BlobStore::removing`).
    let _removing = app.blobs.removing().await;
    let Some(row) = app.storage.room(room).await? else {
        return Ok(false);
    };
    let mut unused = None;
    if row.closed_at.is_none() {
        match app.rooms.call(room, |reply| RoomCmd::Delete { reply }).await {
            Some(Ok(freed)) => unused = Some(freed),
            // Closed (or deleted) since it was read: deleted directly below.
            Some(Err(ConnectError::RoomGone)) => {}
            Some(Err(_)) | None => return Err(ApiError::unavailable()),
        }
    }
    let unused = match unused {
        Some(freed) => freed,
        None => match app.storage.delete_room(room, None).await? {
            Some(freed) => freed,
            None => return Ok(false),
        },
    };
    for id in &unused {
        // The row is gone, so the file is never served again; one left
        // behind only takes space.
        if let Err(err) = app.blobs.remove(id).await {
            tracing::warn!(room, upload = %id, error = %err, "cannot remove a deleted class's picture");
        }
    }
    metrics::counter!("jigsync_rooms_deleted_total", "reason" => reason.as_str()).increment(1);
    tracing::info!(room, reason = reason.as_str(), pictures = unused.len(), "class deleted");
    Ok(true)
}
