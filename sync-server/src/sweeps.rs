//! Background sweeps over the store, each every quarter of its window (at
//! most hourly, at least every second), until the server drains: retention
//! ([`crate::retention`]) and closing idle classes ([`crate::idle_close`]).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::app::App;
use crate::clock::now_ms;

const LONGEST_PERIOD: Duration = Duration::from_secs(3600);

/// Runs `sweep(app, cutoff)` periodically, `cutoff` being the time (ms)
/// `window` ago: the sweep acts on what has been quiet since before it.
pub fn spawn<F, Fut>(app: Arc<App>, name: &'static str, window: Duration, sweep: F)
where
    F: Fn(Arc<App>, i64) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    // Something is acted on at most a quarter of its window late.
    let period = (window / 4).clamp(Duration::from_secs(1), LONGEST_PERIOD);
    tracing::info!(sweep = name, window_secs = window.as_secs(), period_secs = period.as_secs(), "sweep started");
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(period);
        loop {
            tokio::select! {
                _ = ticks.tick() => {
                    let cutoff = now_ms().saturating_sub(i64::try_from(window.as_millis()).unwrap_or(i64::MAX));
                    sweep(app.clone(), cutoff).await;
                }
                () = app.draining.cancelled() => return,
            }
        }
    });
}

/// True while this node runs the room's actor: someone is (or was just)
/// connected, so no sweep touches the room.
pub fn served_here(app: &App, room: &str) -> bool {
    app.rooms.get(room).is_some_and(|handle| !handle.tx.is_closed())
}
