//! The load generator's shared monotonic clock. Every move carries its send
//! time in the `t` field as microseconds since the run began (a `u32`, so it
//! wraps after 71 minutes; differences use wrapping arithmetic). The servers
//! never interpret `t`, so the receiver's clock minus `t` is the one-way
//! student→teacher latency.

use std::time::{Duration, Instant};

#[derive(Clone, Copy)]
pub struct Clock {
    origin: Instant,
}

impl Clock {
    pub fn new() -> Clock {
        Clock { origin: Instant::now() }
    }

    /// Microseconds since the origin, as carried in `t`.
    pub fn stamp(&self) -> u32 {
        self.at(Instant::now())
    }

    pub fn at(&self, when: Instant) -> u32 {
        when.saturating_duration_since(self.origin).as_micros() as u32
    }

    /// Time from a stamp until now, in microseconds.
    pub fn since(&self, t: u32) -> u32 {
        self.stamp().wrapping_sub(t)
    }

    pub fn instant(&self, offset: Duration) -> Instant {
        self.origin + offset
    }
}

impl Default for Clock {
    fn default() -> Clock {
        Clock::new()
    }
}
