//! Which pieces move together: every drag position checks and refreshes the
//! lock of its piece's whole group, so the groups are indexed once per
//! committed write instead of scanning every piece's value on every move.

use std::collections::HashMap;

use jigsync_schema::PieceId;

use super::geometry::Piece;

/// The pieces of each group, and each piece's group.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PieceGroups {
    /// Index into `members`, by piece.
    of_piece: Vec<u32>,
    members: Vec<Vec<PieceId>>,
}

impl PieceGroups {
    pub fn new(pieces: &[Piece]) -> PieceGroups {
        let mut slots: HashMap<u64, u32> = HashMap::with_capacity(pieces.len());
        let mut groups = PieceGroups { of_piece: Vec::with_capacity(pieces.len()), members: Vec::new() };
        for (i, piece) in pieces.iter().enumerate() {
            let Ok(id) = PieceId::try_from(i) else {
                break;
            };
            let slot = *slots.entry(piece.g.to_bits()).or_insert_with(|| {
                groups.members.push(Vec::new());
                (groups.members.len() - 1) as u32
            });
            groups.members[slot as usize].push(id);
            groups.of_piece.push(slot);
        }
        groups
    }

    /// The pieces sharing `piece`'s group, in piece order; `None` for a
    /// piece the board does not have.
    pub fn of(&self, piece: PieceId) -> Option<&[PieceId]> {
        let slot = *self.of_piece.get(usize::from(piece))?;
        self.members.get(slot as usize).map(Vec::as_slice)
    }
}

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
    }
}
