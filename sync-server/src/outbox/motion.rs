//! The motion lane's per-connection buffer: the latest drag position per
//! (board, piece), nothing else. However slowly a receiver reads, it holds at
//! most one pending position per piece. The writer drains it once per tick
//! into one batched frame: every tick for full-rate boards (the board a
//! student plays on, the board a teacher focuses), every few ticks for
//! thumbnails.

use rustc_hash::FxHashMap;
use std::time::Duration;

use jigsync_schema::{BoardId, Move, PieceId};

/// Full-rate flush period (~30 Hz).
pub const FULL_TICK: Duration = Duration::from_millis(33);
/// Thumbnail flush period (4 Hz).
pub const THUMBNAIL_TICK: Duration = Duration::from_millis(250);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rate {
    Full,
    Thumbnail,
}

#[derive(Debug, Default)]
pub struct MotionBuffer {
    // Keys are server-checked board and piece numbers: a fast hasher is
    // safe, and this is touched by every reader of every move.
    full: FxHashMap<(BoardId, PieceId), Move>,
    thumbnail: FxHashMap<(BoardId, PieceId), Move>,
}

impl MotionBuffer {
    /// Keeps `mv` as the latest position of its piece. Returns true if no
    /// position of this rate was pending before: the writer must be woken to
    /// schedule a flush.
    pub fn push(&mut self, mv: Move, rate: Rate) -> bool {
        let key = (mv.board, mv.piece);
        let (into, other) = match rate {
            Rate::Full => (&mut self.full, &mut self.thumbnail),
            Rate::Thumbnail => (&mut self.thumbnail, &mut self.full),
        };
        if !other.is_empty() {
            other.remove(&key);
        }
        let first = into.is_empty();
        into.insert(key, mv);
        first
    }

    pub fn forget(&mut self, board: BoardId, pieces: &[PieceId]) {
        for piece in pieces {
            self.full.remove(&(board, *piece));
            self.thumbnail.remove(&(board, *piece));
        }
    }

    pub fn take_full(&mut self) -> Vec<Move> {
        self.full.drain().map(|(_, mv)| mv).collect()
    }

    pub fn take_thumbnails(&mut self) -> Vec<Move> {
        self.thumbnail.drain().map(|(_, mv)| mv).collect()
    }

    pub fn has_thumbnails(&self) -> bool {
        !self.thumbnail.is_empty()
    }

    pub fn len(&self) -> usize {
        self.full.len() + self.thumbnail.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mv(piece: PieceId, seq: u32) -> Move {
        Move { board: 1, piece, x: seq as f32, y: 0.0, seq, t: 0 }
    }

    #[test]
    fn keeps_only_the_latest_position_per_piece() {
        let mut buffer = MotionBuffer::default();
        assert!(buffer.push(mv(1, 1), Rate::Full), "first full-rate position wakes the writer");
        for seq in 2..1000 {
            assert!(!buffer.push(mv(1, seq), Rate::Full));
        }
        assert!(buffer.push(mv(2, 5), Rate::Thumbnail), "first thumbnail position wakes it too");
        assert_eq!(buffer.len(), 2, "bounded by pieces, not by moves");
        assert_eq!(buffer.take_full(), vec![mv(1, 999)]);
        assert!(buffer.has_thumbnails());
        assert_eq!(buffer.take_thumbnails(), vec![mv(2, 5)]);
        assert!(buffer.is_empty());
    }

    #[test]
    fn a_piece_changing_rate_is_not_sent_twice() {
        let mut buffer = MotionBuffer::default();
        buffer.push(mv(2, 7), Rate::Full);
        buffer.forget(1, &[2]);
        assert!(buffer.is_empty(), "a dropped piece's pending position is gone");
        buffer.push(mv(1, 1), Rate::Thumbnail);
        buffer.push(mv(1, 2), Rate::Full);
        assert!(!buffer.has_thumbnails());
        assert_eq!(buffer.take_full(), vec![mv(1, 2)]);
    }
}
