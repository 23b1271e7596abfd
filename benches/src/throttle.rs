//! The drag throttle of client-js (`client-js/src/move-throttle.js`) for one
//! dragging piece: at most `hz` positions a second, and the trailing
//! position is always sent once its interval has passed. The caller drives
//! the clock: `offer` for each pointer event, `take_due` when `deadline`
//! arrives, `end` on a drop (the drop supersedes any pending position).

use std::time::{Duration, Instant};

pub struct Throttle {
    interval: Duration,
    last_sent: Option<Instant>,
    pending: Option<(f32, f32)>,
}

impl Throttle {
    pub fn new(hz: f64) -> Throttle {
        Throttle { interval: Duration::from_secs_f64(1.0 / hz), last_sent: None, pending: None }
    }

    /// A pointer event. Returns the position to send now, if any; otherwise
    /// it is kept as the trailing position.
    pub fn offer(&mut self, now: Instant, x: f32, y: f32) -> Option<(f32, f32)> {
        match self.last_sent {
            Some(last) if now.saturating_duration_since(last) < self.interval => {
                self.pending = Some((x, y));
                None
            }
            _ => {
                self.last_sent = Some(now);
                self.pending = None;
                Some((x, y))
            }
        }
    }

    /// When the trailing position is due, if one is pending.
    pub fn deadline(&self) -> Option<Instant> {
        self.pending.and(self.last_sent.map(|last| last + self.interval))
    }

    /// The trailing position, sent now.
    pub fn take_due(&mut self, now: Instant) -> Option<(f32, f32)> {
        let pending = self.pending.take()?;
        self.last_sent = Some(now);
        Some(pending)
    }

    /// The piece was dropped: forget it, pending position included.
    pub fn end(&mut self) {
        self.last_sent = None;
        self.pending = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_sends_then_throttles_and_keeps_the_trailing_position() {
        let t0 = Instant::now();
        let mut th = Throttle::new(30.0);
        assert_eq!(th.offer(t0, 1.0, 1.0), Some((1.0, 1.0)));
        assert_eq!(th.offer(t0 + Duration::from_millis(10), 2.0, 2.0), None);
        assert_eq!(th.offer(t0 + Duration::from_millis(20), 3.0, 3.0), None);
        let due = th.deadline().expect("pending");
        assert!(due > t0 + Duration::from_millis(33) && due < t0 + Duration::from_millis(34));
        assert_eq!(th.take_due(due), Some((3.0, 3.0)));
        assert_eq!(th.deadline(), None);
        assert_eq!(th.offer(due + Duration::from_millis(40), 4.0, 4.0), Some((4.0, 4.0)));
        th.offer(due + Duration::from_millis(41), 5.0, 5.0);
        th.end();
        assert_eq!(th.deadline(), None);
        assert_eq!(th.offer(due + Duration::from_millis(42), 6.0, 6.0), Some((6.0, 6.0)));
    }
}
