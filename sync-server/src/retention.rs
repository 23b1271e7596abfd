//! Retention (`--retention-days`): a sweep ([`crate::sweeps`]) that deletes,
//! through the same path as `DELETE /api/rooms/{roomId}`
//! ([`crate::room_deletion`]), every class closed, or open with no
//! activity, for longer than the retention. Activity is a message, a board
//! update or someone connected (recorded when the room's actor stops); a
//! class served right now is never deleted by it, whatever its stored
//! activity says.

use std::sync::Arc;

use crate::app::App;
use crate::room_deletion::{self, Reason};
use crate::sweeps;

/// Starts the sweep if retention is configured.
pub fn spawn(app: Arc<App>) {
    if let Some(retention) = app.config.retention() {
        sweeps::spawn(app, "retention", retention, sweep);
    }
}

async fn sweep(app: Arc<App>, before: i64) {
    let rooms = match app.storage.rooms_past_retention(before).await {
        Ok(rooms) => rooms,
        Err(err) => {
            tracing::warn!(error = %err, "cannot list the classes past retention; trying again later");
            return;
        }
    };
    for room in rooms.iter().filter(|room| !sweeps::served_here(&app, room)) {
        if let Err(err) = room_deletion::delete(&app, room, Reason::Retention).await {
            tracing::warn!(room = %room, error = %err, "cannot delete a class past retention; trying again later");
        }
    }
}
