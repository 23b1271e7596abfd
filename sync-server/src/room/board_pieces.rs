//! A board's pieces as the room's motion table reads them on every relayed
//! drag position: one slot per piece, indexed by piece number, holding who
//! holds it (and when they last moved it) and whether it is alone in its
//! group. A move of a lone piece thus reads one slot, where looking its
//! group up in the board's index and its holder in a map cost a cache miss
//! each (those misses were most of the move path's own CPU in profiles).
//!
//! The room's actor keeps the slots in step with the core: the groups when
//! a write regroups pieces, the holders after every change, and it copies
//! the refreshed holds back before the core judges any lock.

use std::time::Instant;

use jigsync_schema::PieceId;

use crate::board::groups::PieceGroups;
use crate::board::locks::Locks;
use crate::outbox::ConnId;

pub struct BoardPieces {
    slots: Vec<Slot>,
    /// The pieces whose slot has a holder, so that following and copying
    /// holds visits them alone rather than every piece of the board.
    held: Vec<PieceId>,
    groups: PieceGroups,
}

#[derive(Debug, Clone, Copy)]
struct Slot {
    holder: Option<Held>,
    /// Its group is itself: no need to look the group up.
    alone: bool,
}

/// A hold as the motion table has it: the core's holder, and the latest
/// move of it, wherever it was relayed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Held {
    conn: ConnId,
    touched: Instant,
}

impl BoardPieces {
    pub fn new(groups: &PieceGroups) -> BoardPieces {
        let mut pieces = BoardPieces { slots: Vec::new(), held: Vec::new(), groups: PieceGroups::default() };
        pieces.regroup(groups);
        pieces
    }

    /// Follows the board's groups; cheap when `groups` is the index these
    /// slots were made from.
    pub fn regroup(&mut self, groups: &PieceGroups) {
        if self.groups.same_index_as(groups) {
            return;
        }
        self.groups.clone_from(groups);
        let count = groups.len();
        self.slots.truncate(count);
        self.held.retain(|&piece| usize::from(piece) < count);
        for (id, slot) in (0..=PieceId::MAX).zip(self.slots.iter_mut()) {
            slot.alone = groups.of(id).is_some_and(|g| g.len() == 1);
        }
        for id in (0..=PieceId::MAX).take(count).skip(self.slots.len()) {
            let alone = groups.of(id).is_some_and(|g| g.len() == 1);
            self.slots.push(Slot { holder: None, alone });
        }
    }

    /// If `conn` holds the whole group of `piece`, records that it moved it
    /// `now` and returns true; otherwise changes nothing.
    pub fn touch_group(&mut self, piece: PieceId, conn: ConnId, now: Instant) -> bool {
        let Some(slot) = self.slots.get_mut(usize::from(piece)) else {
            return false;
        };
        if slot.alone {
            return match &mut slot.holder {
                Some(held) if held.conn == conn => {
                    held.touched = now;
                    true
                }
                _ => false,
            };
        }
        let Some(group) = self.groups.of(piece) else {
            return false;
        };
        let held_by_conn = |slot: Option<&Slot>| slot.and_then(|s| s.holder).is_some_and(|h| h.conn == conn);
        if group.is_empty() || !group.iter().all(|p| held_by_conn(self.slots.get(usize::from(*p)))) {
            return false;
        }
        for p in group {
            if let Some(held) = self.slots.get_mut(usize::from(*p)).and_then(|s| s.holder.as_mut()) {
                held.touched = now;
            }
        }
        true
    }

    /// Takes the core's holders: a hold the core no longer has (or has for
    /// another connection) goes; a new one comes with the core's time; a
    /// kept one keeps the later of the two times.
    pub fn follow(&mut self, locks: &Locks) {
        let slots = &mut self.slots;
        self.held.retain(|&piece| {
            let Some(slot) = slots.get_mut(usize::from(piece)) else {
                return false;
            };
            let kept = slot.holder.is_some_and(|h| locks.holder(piece).is_some_and(|core| core.conn == h.conn));
            if !kept {
                slot.holder = None;
            }
            kept
        });
        for (piece, hold) in locks.holds() {
            let Some(slot) = slots.get_mut(usize::from(piece)) else {
                continue;
            };
            match &mut slot.holder {
                Some(held) => held.touched = held.touched.max(hold.touched),
                None => {
                    slot.holder = Some(Held { conn: hold.conn, touched: hold.touched });
                    self.held.push(piece);
                }
            }
        }
    }

    /// Copies into the core the times of the latest moves relayed here.
    pub fn refresh(&self, locks: &mut Locks) {
        for &piece in &self.held {
            if let Some(held) = self.slots.get(usize::from(piece)).and_then(|s| s.holder) {
                locks.touch(piece, held.conn, held.touched);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::board::geometry::Piece;

    fn groups(of: &[f64]) -> PieceGroups {
        let pieces: Vec<Piece> = of.iter().map(|&g| Piece { x: 0.0, y: 0.0, r: 0.0, z: 0.0, g }).collect();
        PieceGroups::new(&pieces)
    }

    #[test]
    fn only_the_holder_of_the_whole_group_moves_it() {
        // Pieces 0 and 2 are one group; 1 and 3 are alone.
        let mut pieces = BoardPieces::new(&groups(&[0.0, 1.0, 0.0, 3.0]));
        let mut locks = Locks::default();
        let start = Instant::now();
        let (ann, ben) = (1, 2);
        assert!(!pieces.touch_group(1, ann, start), "nobody holds it");
        locks.grab(&[1], ann, "ann", start).expect("free");
        locks.grab(&[0], ann, "ann", start).expect("free");
        locks.grab(&[2], ben, "ben", start).expect("free");
        pieces.follow(&locks);
        assert!(pieces.touch_group(1, ann, start), "a lone piece ann holds");
        assert!(!pieces.touch_group(1, ben, start), "held by ann");
        assert!(!pieces.touch_group(0, ann, start), "ben holds the other piece of the group");
        assert!(!pieces.touch_group(3, ann, start) && !pieces.touch_group(4, ann, start));

        locks.release(&[2], ben);
        locks.grab(&[2], ann, "ann", start).expect("free");
        pieces.follow(&locks);
        assert!(pieces.touch_group(2, ann, start), "the whole group is ann's now");
        assert!(!pieces.touch_group(2, ben, start));
    }

    #[test]
    fn moves_here_reach_the_core_and_the_core_drops_holds_here() {
        let mut pieces = BoardPieces::new(&groups(&[0.0, 0.0, 2.0]));
        let mut locks = Locks::default();
        let start = Instant::now();
        let later = start + Duration::from_secs(3);
        locks.grab(&[0, 1], 7, "ann", start).expect("free");
        pieces.follow(&locks);
        assert!(pieces.touch_group(1, 7, later));
        pieces.refresh(&mut locks);
        assert_eq!(locks.holder(0).map(|h| h.touched), Some(later));
        assert_eq!(locks.holder(1).map(|h| h.touched), Some(later));
        pieces.follow(&locks);
        assert!(pieces.touch_group(0, 7, later), "following keeps the later time and the hold");

        locks.release_conn(7);
        pieces.follow(&locks);
        assert!(!pieces.touch_group(0, 7, later), "released in the core, released here");
        assert!(pieces.held.is_empty());
    }

    #[test]
    fn a_regrouped_board_is_checked_on_its_new_groups() {
        let mut pieces = BoardPieces::new(&groups(&[0.0, 1.0, 2.0]));
        let mut locks = Locks::default();
        let now = Instant::now();
        locks.grab(&[0], 7, "ann", now).expect("free");
        pieces.follow(&locks);
        assert!(pieces.touch_group(0, 7, now));
        pieces.regroup(&groups(&[0.0, 0.0, 2.0, 3.0]));
        assert!(!pieces.touch_group(0, 7, now), "piece 1 joined 0's group and ann does not hold it");
        locks.grab(&[1], 7, "ann", now).expect("free");
        pieces.follow(&locks);
        assert!(pieces.touch_group(1, 7, now));
        pieces.regroup(&groups(&[0.0]));
        assert!(pieces.touch_group(0, 7, now), "a smaller board keeps the holds it still has");
        assert_eq!(pieces.held, vec![0]);
    }
}
