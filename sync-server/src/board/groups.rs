//! Which pieces move together: every drag position checks and refreshes the
//! lock of its piece's whole group, so the groups are indexed once per
//! committed write instead of scanning every piece's value on every move.
//!
//! The index is laid out for the move path, which reads it on every drag
//! position: each piece's entry says where its group's members sit in one
//! flat list, so finding a group reads two places in memory rather than
//! following a list of lists. Every index made gets a stamp of its own
//! (copies keep it), so a holder of a copy tells whether it is still
//! current by comparing two numbers instead of the whole index.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use jigsync_schema::PieceId;

use super::geometry::Piece;

static NEXT_STAMP: AtomicU64 = AtomicU64::new(1);

/// The pieces of each group, and each piece's group.
#[derive(Debug, Clone)]
pub struct PieceGroups {
    /// Where each piece's group sits in `members`, by piece.
    span_of_piece: Vec<Span>,
    /// Every group's pieces, one group after another, each in piece order.
    members: Vec<PieceId>,
    stamp: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: u32,
    len: u32,
}

impl Default for PieceGroups {
    fn default() -> Self {
        PieceGroups::new(&[])
    }
}

impl PieceGroups {
    pub fn new(pieces: &[Piece]) -> PieceGroups {
        let count = pieces.len().min(usize::from(PieceId::MAX) + 1);
        let mut slot_of_group: HashMap<u64, usize> = HashMap::with_capacity(count);
        let mut slot_of_piece = Vec::with_capacity(count);
        let mut lists: Vec<Vec<PieceId>> = Vec::new();
        for (id, piece) in (0..=PieceId::MAX).zip(&pieces[..count]) {
            let slot = *slot_of_group.entry(piece.g.to_bits()).or_insert_with(|| {
                lists.push(Vec::new());
                lists.len() - 1
            });
            lists[slot].push(id);
            slot_of_piece.push(slot);
        }
        let mut spans = Vec::with_capacity(lists.len());
        let mut members = Vec::with_capacity(count);
        for list in &lists {
            spans.push(Span { start: members.len() as u32, len: list.len() as u32 });
            members.extend_from_slice(list);
        }
        PieceGroups {
            span_of_piece: slot_of_piece.into_iter().map(|slot| spans[slot]).collect(),
            members,
            stamp: NEXT_STAMP.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// The pieces sharing `piece`'s group, in piece order; `None` for a
    /// piece the board does not have.
    pub fn of(&self, piece: PieceId) -> Option<&[PieceId]> {
        let span = *self.span_of_piece.get(usize::from(piece))?;
        self.members.get(span.start as usize..(span.start + span.len) as usize)
    }

    /// How many pieces the index covers (pieces `0..len`).
    pub fn len(&self) -> usize {
        self.span_of_piece.len()
    }

    pub fn is_empty(&self) -> bool {
        self.span_of_piece.is_empty()
    }

    /// True if `other` is this very index or a copy of it (not merely an
    /// equal one): two numbers compared, whatever the board's size.
    pub fn same_index_as(&self, other: &PieceGroups) -> bool {
        self.stamp == other.stamp
    }
}

/// Equal groups, wherever each index came from.
impl PartialEq for PieceGroups {
    fn eq(&self, other: &Self) -> bool {
        self.span_of_piece == other.span_of_piece && self.members == other.members
    }
}

impl Eq for PieceGroups {}

#[cfg(test)]
mod tests {
    use super::*;

    fn piece(g: f64) -> Piece {
        Piece { x: 0.0, y: 0.0, r: 0.0, z: 0.0, g }
    }

    #[test]
    fn pieces_sharing_a_group_id_form_one_group() {
        let groups = PieceGroups::new(&[piece(0.0), piece(1.0), piece(0.0), piece(3.0), piece(1.0)]);
        assert_eq!(groups.of(0), Some(&[0, 2][..]));
        assert_eq!(groups.of(2), Some(&[0, 2][..]));
        assert_eq!(groups.of(4), Some(&[1, 4][..]));
        assert_eq!(groups.of(3), Some(&[3][..]));
        assert_eq!(groups.of(5), None);
        assert_eq!(groups.len(), 5);
        assert_eq!(PieceGroups::default().of(0), None);
        assert!(PieceGroups::default().is_empty());
    }

    #[test]
    fn a_copy_is_the_same_index_and_a_new_index_is_not() {
        let pieces = [piece(0.0), piece(0.0), piece(2.0)];
        let groups = PieceGroups::new(&pieces);
        let copy = groups.clone();
        assert!(copy.same_index_as(&groups));
        let again = PieceGroups::new(&pieces);
        assert_eq!(again, groups, "the same groups");
        assert!(!again.same_index_as(&groups), "but made anew: a holder of a copy must look again");
        let mut kept = PieceGroups::default();
        kept.clone_from(&again);
        assert!(kept.same_index_as(&again));
    }
}
