//! Retention (`--retention-days`): a background task that deletes, through
//! the same path as `DELETE /api/rooms/{roomId}` ([`crate::room_deletion`]),
//! every class closed, or open with no activity, for longer than the
//! retention. Activity is a message, a board update or someone connected
//! (recorded when the room's actor stops); a class served right now is
//! never deleted by it, whatever its stored activity says.

use std::sync::Arc;
use std::time::Duration;

use crate::app::App;
use crate::clock::now_ms;
use crate::room_deletion::{self, Reason};

/// The longest wait between two sweeps.
const LONGEST_SWEEP: Duration = Duration::from_secs(3600);

/// Starts the task if retention is configured; it ends with the server.
pub fn spawn(app: Arc<App>) {
    let Some(retention) = app.config.retention() else {
        return;
    };
    // A class is deleted at most a quarter of the retention (or an hour)
    // late.
    let every = (retention / 4).clamp(Duration::from_secs(1), LONGEST_SWEEP);
    tracing::info!(retention_secs = retention.as_secs(), sweep_secs = every.as_secs(), "retention is on");
    tokio::spawn(async move {
        let mut sweeps = tokio::time::interval(every);
        loop {
            tokio::select! {
                _ = sweeps.tick() => sweep(&app, retention).await,
                () = app.draining.cancelled() => return,
            }
        }
    });
}

async fn sweep(app: &App, retention: Duration) {
    let before = now_ms().saturating_sub(i64::try_from(retention.as_millis()).unwrap_or(i64::MAX));
    let rooms = match app.storage.rooms_past_retention(before).await {
        Ok(rooms) => rooms,
        Err(err) => {
            tracing::warn!(error = %err, "cannot list the classes past retention; trying again later");
            return;
        }
    };
    for room in rooms {
        // Served here right now: someone is (or just was) connected.
        if app.rooms.get(&room).is_some_and(|handle| !handle.tx.is_closed()) {
            continue;
        }
        if let Err(err) = room_deletion::delete(app, &room, Reason::Retention).await {
            tracing::warn!(room = %room, error = %err, "cannot delete a class past retention; trying again later");
        }
    }
}
