//! Closing idle classes (`--close-idle-hours`, 12 by default): a sweep
//! ([`crate::sweeps`]) that closes every open class nobody has been
//! connected to, and nothing happened in, for that long, as its owner would
//! (it leaves the lobby, its code stops joining, its tokens stop working),
//! so a class left open at the end of the day does not linger. Its actor
//! does the closing, and first checks that nobody connected meanwhile.

use std::sync::Arc;

use crate::app::App;
use crate::room::RoomCmd;
use crate::sweeps;

pub fn spawn(app: Arc<App>) {
    let window = app.config.close_idle();
    sweeps::spawn(app, "close idle classes", window, sweep);
}

async fn sweep(app: Arc<App>, before: i64) {
    let rooms = match app.storage.idle_rooms(before).await {
        Ok(rooms) => rooms,
        Err(err) => {
            tracing::warn!(error = %err, "cannot list idle classes; trying again later");
            return;
        }
    };
    for room in rooms.iter().filter(|room| !sweeps::served_here(&app, room)) {
        match app.rooms.call(room, |reply| RoomCmd::CloseIdle { reply }).await {
            Some(true) => {
                metrics::counter!("jigsync_rooms_closed_idle_total").increment(1);
                tracing::info!(room = %room, "idle class closed");
            }
            // Someone connected meanwhile, or it closed on its own.
            Some(false) => {}
            None => tracing::warn!(room = %room, "cannot reach an idle class to close it; trying again later"),
        }
    }
}
