//! Soft locks on pieces being dragged. The first grab wins; the lock covers
//! the piece's whole group (pieces snapped together move together) and ends
//! on drop, when its connection closes, or after [`LOCK_TTL`] without a move.

use rustc_hash::FxHashMap;
use std::time::{Duration, Instant};

use jigsync_schema::PieceId;

use crate::outbox::ConnId;

/// Silence after which a held piece is released.
pub const LOCK_TTL: Duration = Duration::from_secs(5);

#[derive(Debug, Clone)]
pub struct Hold {
    pub conn: ConnId,
    pub user: String,
    pub touched: Instant,
}

#[derive(Debug, Default)]
pub struct Locks {
    /// Keyed by pieces the board has (checked before a grab).
    held: FxHashMap<PieceId, Hold>,
}

/// Someone else holds one of the pieces.
#[derive(Debug, PartialEq, Eq)]
pub struct Busy;

impl Locks {
    pub fn holder(&self, piece: PieceId) -> Option<&Hold> {
        self.held.get(&piece)
    }

    /// Every held piece and its holder, by piece.
    pub fn held(&self) -> Vec<(PieceId, ConnId)> {
        let mut held: Vec<(PieceId, ConnId)> = self.held.iter().map(|(p, h)| (*p, h.conn)).collect();
        held.sort_unstable();
        held
    }

    pub fn is_empty(&self) -> bool {
        self.held.is_empty()
    }

    /// Every hold, in no order, without allocating.
    pub fn holds(&self) -> impl Iterator<Item = (PieceId, &Hold)> {
        self.held.iter().map(|(p, h)| (*p, h))
    }

    /// Records that `conn` moved `piece` at `at`, if it still holds it:
    /// moves relayed outside the room's actor keep their holds alive.
    pub fn touch(&mut self, piece: PieceId, conn: ConnId, at: Instant) {
        if let Some(hold) = self.held.get_mut(&piece).filter(|h| h.conn == conn && h.touched < at) {
            hold.touched = at;
        }
    }

    /// Whether `conn` may take the lock on every piece of `group` now.
    pub fn check(&self, group: &[PieceId], conn: ConnId, now: Instant) -> Result<(), Busy> {
        let taken_by_other = |hold: &Hold| hold.conn != conn && now.duration_since(hold.touched) < LOCK_TTL;
        if group.iter().any(|p| self.held.get(p).is_some_and(taken_by_other)) {
            return Err(Busy);
        }
        Ok(())
    }

    /// Takes (or refreshes) the lock on every piece of `group` for `conn`.
    /// Returns the pieces that were not already held by `conn`.
    pub fn grab(&mut self, group: &[PieceId], conn: ConnId, user: &str, now: Instant) -> Result<Vec<PieceId>, Busy> {
        self.check(group, conn, now)?;
        let mut fresh = Vec::new();
        for piece in group {
            match self.held.get_mut(piece) {
                // Every move refreshes its hold: without a new allocation.
                Some(hold) if hold.conn == conn => hold.touched = now,
                _ => {
                    self.held.insert(*piece, Hold { conn, user: user.to_owned(), touched: now });
                    fresh.push(*piece);
                }
            }
        }
        Ok(fresh)
    }

    /// Releases the pieces of `group` that `conn` holds.
    pub fn release(&mut self, group: &[PieceId], conn: ConnId) -> Vec<PieceId> {
        group
            .iter()
            .copied()
            .filter(|p| self.held.get(p).is_some_and(|h| h.conn == conn) && self.held.remove(p).is_some())
            .collect()
    }

    /// Releases everything `conn` holds (it disconnected).
    pub fn release_conn(&mut self, conn: ConnId) -> Vec<PieceId> {
        self.take_where(|h| h.conn == conn)
    }

    /// Releases holds silent for longer than [`LOCK_TTL`].
    pub fn expire(&mut self, now: Instant) -> Vec<PieceId> {
        self.take_where(|h| now.duration_since(h.touched) >= LOCK_TTL)
    }

    /// Releases every hold (board locked, reset, or replaced).
    pub fn clear(&mut self) -> Vec<PieceId> {
        self.take_where(|_| true)
    }

    fn take_where(&mut self, pred: impl Fn(&Hold) -> bool) -> Vec<PieceId> {
        let mut gone: Vec<PieceId> = self.held.iter().filter(|(_, h)| pred(h)).map(|(p, _)| *p).collect();
        gone.sort_unstable();
        for piece in &gone {
            self.held.remove(piece);
        }
        gone
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_grab_wins_until_release_or_silence() {
        let mut locks = Locks::default();
        let t0 = Instant::now();
        assert_eq!(locks.grab(&[1, 2], 10, "ann", t0), Ok(vec![1, 2]));
        assert_eq!(locks.grab(&[2], 11, "ben", t0), Err(Busy), "the group is held");
        assert_eq!(locks.grab(&[1], 10, "ann", t0), Ok(vec![]), "re-grab refreshes");
        assert_eq!(locks.release(&[1, 2], 11), Vec::<PieceId>::new(), "only the holder releases");
        assert_eq!(locks.release(&[1, 2], 10), vec![1, 2]);
        assert_eq!(locks.grab(&[2], 11, "ben", t0), Ok(vec![2]));
        let later = t0 + LOCK_TTL;
        assert_eq!(locks.grab(&[2], 10, "ann", later), Ok(vec![2]), "a silent hold can be taken over");
        assert_eq!(locks.expire(later + LOCK_TTL), vec![2]);
        assert!(locks.is_empty());
    }

    #[test]
    fn a_closed_connection_releases_what_it_held() {
        let mut locks = Locks::default();
        let now = Instant::now();
        locks.grab(&[3], 1, "a", now).unwrap();
        locks.grab(&[4, 5], 2, "b", now).unwrap();
        assert_eq!(locks.release_conn(2), vec![4, 5]);
        assert_eq!(locks.holder(3).map(|h| h.conn), Some(1));
        assert_eq!(locks.clear(), vec![3]);
    }
}
