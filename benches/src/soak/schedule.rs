//! When each connection of the soak does what, decided up front from its
//! index so that no coordinator has to tell 10,000 tasks: which rounds
//! drop it (a fixed share of all connections per round, spread over the
//! rooms and over the round, and each connection's turn coming round
//! again only after everyone else's), and when its chats and drops fall
//! (evenly spread, so the clients do not tick in step).

use std::time::Duration;

/// Which connections drop in which round.
#[derive(Clone, Copy, Debug)]
pub struct Reconnects {
    /// Connections in all.
    pub connections: usize,
    /// Connections dropped per round.
    pub per_round: usize,
    pub every: Duration,
    /// Rounds that fit in the run.
    pub rounds: usize,
}

/// Share of a round in which its drops fall: the rest is left for the
/// last ones to reconnect before the next round (or the end of the run).
const DROP_WINDOW: f64 = 0.8;

impl Reconnects {
    /// `share` of `connections` per `every`, for the rounds that end by `duration`.
    pub fn new(connections: usize, share: f64, every: Duration, duration: Duration) -> Reconnects {
        let per_round =
            if share > 0.0 { ((connections as f64 * share).round() as usize).clamp(1, connections) } else { 0 };
        let rounds = if every.is_zero() { 0 } else { (duration.as_secs_f64() / every.as_secs_f64()).floor() as usize };
        Reconnects { connections, per_round, every, rounds }
    }

    /// Offsets from the start of the run at which connection `index` is dropped.
    pub fn of(&self, index: usize) -> Vec<Duration> {
        let n = self.connections.max(1);
        if self.per_round == 0 || index >= n {
            return Vec::new();
        }
        // A stride coprime with n visits every index once per n steps and
        // puts consecutive turns in different rooms.
        let place = (index * stride(n)) % n;
        let at = self.every.mul_f64(DROP_WINDOW * spread(index));
        (0..self.rounds)
            .filter(|&round| (place + n - (round * self.per_round) % n) % n < self.per_round)
            .map(|round| self.every * round as u32 + at)
            .collect()
    }
}

/// A number in [0, 1) that differs between neighbouring indices.
pub fn spread(index: usize) -> f64 {
    ((index as u64).wrapping_mul(2_654_435_761) % 1000) as f64 / 1000.0
}

/// The first stride from 7919 up that shares no factor with `n`.
fn stride(n: usize) -> usize {
    fn gcd(a: usize, b: usize) -> usize {
        if b == 0 {
            a
        } else {
            gcd(b, a % b)
        }
    }
    (7919..).find(|&s| gcd(s, n) == 1).unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_round_drops_its_share_and_nobody_twice_before_everyone_once() {
        let every = Duration::from_secs(60);
        let plan = Reconnects::new(10_200, 0.01, every, Duration::from_secs(600));
        assert_eq!((plan.per_round, plan.rounds), (102, 10));
        let mut per_round = vec![0; plan.rounds];
        let mut rooms_of_round = vec![std::collections::HashSet::new(); plan.rounds];
        for index in 0..plan.connections {
            let drops = plan.of(index);
            assert!(drops.len() <= 1, "{index} drops {drops:?}");
            for at in drops {
                let round = (at.as_secs_f64() / 60.0) as usize;
                assert!(at < every * round as u32 + every.mul_f64(DROP_WINDOW));
                per_round[round] += 1;
                rooms_of_round[round].insert(index / 51);
            }
        }
        assert_eq!(per_round, vec![102; 10]);
        // Spread over the rooms (51 connections each), not two rooms at a time.
        assert!(rooms_of_round.iter().all(|rooms| rooms.len() > 50), "{:?}", rooms_of_round[0].len());
    }

    #[test]
    fn a_tiny_run_still_drops_someone_and_none_without_a_share() {
        let plan = Reconnects::new(12, 0.01, Duration::from_secs(5), Duration::from_secs(5));
        let dropped: usize = (0..12).map(|i| plan.of(i).len()).sum();
        assert_eq!(dropped, 1);
        let none = Reconnects::new(12, 0.0, Duration::from_secs(5), Duration::from_secs(5));
        assert!((0..12).all(|i| none.of(i).is_empty()));
    }
}
