//! Runs a room's actor as a task of its own and watches it. An actor that
//! panics loses only its memory: everything it acknowledged is in storage.
//! The supervisor counts the failure (`jigsync_room_actor_failures_total`)
//! and takes the dead actor out of the registry, so the next command starts
//! a fresh one from storage. The room's connections notice on their own
//! that the actor's channel closed and close with 1011
//! ([`crate::connection::Connection::next`]), so their clients reconnect and
//! resume.

use std::sync::Arc;

use tokio::sync::mpsc;

use super::{actor, RoomCmd};
use crate::app::App;

pub async fn supervise(app: Arc<App>, room: String, generation: u64, rx: mpsc::Receiver<RoomCmd>) {
    let task = tokio::spawn(actor::run(app.clone(), room.clone(), generation, rx));
    let Err(err) = task.await else {
        return;
    };
    metrics::counter!("jigsync_room_actor_failures_total").increment(1);
    metrics::gauge!("jigsync_rooms_live").decrement(1.0);
    if err.is_panic() {
        tracing::error!(room = %room, "room actor panicked; its connections close with 1011 and it restarts from storage");
    } else {
        tracing::error!(room = %room, error = %err, "room actor stopped unexpectedly");
    }
    app.rooms.remove(&room, generation);
}
