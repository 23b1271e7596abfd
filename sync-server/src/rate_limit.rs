//! Rate limits (governor). Per IP for joins and uploads, per user for chat,
//! per connection for every request (with a strike budget that closes a
//! connection which keeps going over) and for drag positions (past it they
//! are dropped).

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::Config;

fn nonzero(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN)
}

fn per_minute(rate: u32, burst: u32) -> Quota {
    let period = Duration::from_secs(60) / rate.max(1);
    Quota::with_period(period).unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN)).allow_burst(nonzero(burst))
}

/// Limits shared by every connection and request.
pub struct Limits {
    pub joins: DefaultKeyedRateLimiter<IpAddr>,
    pub uploads: DefaultKeyedRateLimiter<IpAddr>,
    /// Keyed by `room/user`, so one user's tabs share one budget.
    pub chat: DefaultKeyedRateLimiter<String>,
    conn_rate: u32,
    move_rate: u32,
}

impl Limits {
    pub fn new(config: &Config) -> Self {
        Limits {
            joins: RateLimiter::keyed(per_minute(config.join_rate_per_min, config.join_burst)),
            uploads: RateLimiter::keyed(per_minute(config.upload_rate_per_min, config.upload_burst)),
            chat: RateLimiter::keyed(
                Quota::per_second(nonzero(config.chat_rate)).allow_burst(nonzero(config.chat_burst)),
            ),
            conn_rate: config.conn_rate,
            move_rate: config.move_rate,
        }
    }

    pub fn connection(&self) -> ConnectionLimits {
        ConnectionLimits {
            requests: RateLimiter::direct(
                Quota::per_second(nonzero(self.conn_rate)).allow_burst(nonzero(self.conn_rate.saturating_mul(2))),
            ),
            strikes: RateLimiter::direct(Quota::per_second(NonZeroU32::MIN).allow_burst(nonzero(20))),
            malformed: RateLimiter::direct(per_minute(6, 5)),
            motion: RateLimiter::direct(
                Quota::per_second(nonzero(self.move_rate)).allow_burst(nonzero(self.move_rate)),
            ),
        }
    }

    /// Forgets idle keys so the keyed limiters' memory stays bounded.
    pub fn shrink(&self) {
        self.joins.retain_recent();
        self.uploads.retain_recent();
        self.chat.retain_recent();
    }
}

/// One connection's budgets.
pub struct ConnectionLimits {
    requests: DefaultDirectRateLimiter,
    /// Each refused request costs a strike; running out closes the connection.
    strikes: DefaultDirectRateLimiter,
    /// Undecodable frames: a few are answered, a stream of them closes.
    malformed: DefaultDirectRateLimiter,
    /// Drag positions (motion lane).
    motion: DefaultDirectRateLimiter,
}

/// What to do with a request after checking a budget.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Allow,
    Refuse,
    Close,
}

impl ConnectionLimits {
    pub fn request(&self) -> Verdict {
        if self.requests.check().is_ok() {
            Verdict::Allow
        } else {
            self.strike()
        }
    }

    /// A request was refused for a rate limit elsewhere (e.g. per user).
    pub fn strike(&self) -> Verdict {
        if self.strikes.check().is_ok() {
            Verdict::Refuse
        } else {
            Verdict::Close
        }
    }

    /// A drag position: allowed, or dropped (never closes the connection).
    pub fn motion(&self) -> Verdict {
        if self.motion.check().is_ok() {
            Verdict::Allow
        } else {
            Verdict::Refuse
        }
    }

    pub fn malformed(&self) -> Verdict {
        if self.malformed.check().is_ok() {
            Verdict::Refuse
        } else {
            Verdict::Close
        }
    }
}
