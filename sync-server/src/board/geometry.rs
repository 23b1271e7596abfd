//! Board geometry: piece size from the picture's shape, the playing area,
//! the initial scatter, and progress (how many neighbouring pieces sit in
//! their solved relative place). Pure functions, shared by puzzle creation,
//! reset and validation.

use jigsync_schema::BoardMeta;
use rand::{Rng, SeedableRng};

/// Width of one piece in board units; heights follow the picture's shape.
pub const PIECE_WIDTH: f32 = 100.0;
/// The playing area is this many times the solved picture in each direction,
/// leaving room to scatter pieces around it.
const AREA_FACTOR: f32 = 2.0;
/// How far (in board units) a piece may sit from its solved offset and still
/// count: clients snap exactly, so this only absorbs float rounding.
const PLACE_TOLERANCE: f64 = 1.0;

/// A piece's state as stored in the board document.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Piece {
    pub x: f64,
    pub y: f64,
    /// Rotation in degrees.
    pub r: f64,
    /// Stacking order.
    pub z: f64,
    /// Group id: pieces snapped together share one (initially their index).
    pub g: f64,
}

pub fn meta(image: String, rows: u16, cols: u16, image_width: u32, image_height: u32, seed: u32) -> BoardMeta {
    let cell_aspect = (image_height as f32 / f32::from(rows)) / (image_width.max(1) as f32 / f32::from(cols));
    let piece_height = (PIECE_WIDTH * cell_aspect).clamp(PIECE_WIDTH / 4.0, PIECE_WIDTH * 4.0);
    BoardMeta {
        image,
        rows,
        cols,
        piece_width: PIECE_WIDTH,
        piece_height,
        seed,
        width: PIECE_WIDTH * f32::from(cols) * AREA_FACTOR,
        height: piece_height * f32::from(rows) * AREA_FACTOR,
    }
}

pub fn piece_count(meta: &BoardMeta) -> usize {
    usize::from(meta.rows) * usize::from(meta.cols)
}

/// True if the piece's numbers are finite and its top-left lies on the board.
pub fn in_bounds(meta: &BoardMeta, piece: &Piece) -> bool {
    let finite = [piece.x, piece.y, piece.r, piece.z, piece.g].iter().all(|v| v.is_finite());
    finite && (0.0..=f64::from(meta.width)).contains(&piece.x) && (0.0..=f64::from(meta.height)).contains(&piece.y)
}

/// Random positions over the whole playing area, each piece its own group.
pub fn scatter(meta: &BoardMeta, seed: u64) -> Vec<Piece> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let max_x = f64::from(meta.width - meta.piece_width).max(0.0);
    let max_y = f64::from(meta.height - meta.piece_height).max(0.0);
    (0..piece_count(meta))
        .map(|i| Piece {
            x: (rng.random::<f64>() * max_x).round(),
            y: (rng.random::<f64>() * max_y).round(),
            r: 0.0,
            z: i as f64,
            g: i as f64,
        })
        .collect()
}

/// Neighbouring pairs (right and below) in the solved picture.
pub fn pair_count(meta: &BoardMeta) -> usize {
    let (rows, cols) = (usize::from(meta.rows), usize::from(meta.cols));
    rows * cols.saturating_sub(1) + cols * rows.saturating_sub(1)
}

/// Share of neighbouring pairs in their solved relative place (0–1).
pub fn progress(meta: &BoardMeta, pieces: &[Piece]) -> f32 {
    let total = pair_count(meta);
    if total == 0 || pieces.len() != piece_count(meta) {
        return 0.0;
    }
    let (rows, cols) = (usize::from(meta.rows), usize::from(meta.cols));
    let (pw, ph) = (f64::from(meta.piece_width), f64::from(meta.piece_height));
    let upright = |p: &Piece| p.r.rem_euclid(360.0) < 0.5 || p.r.rem_euclid(360.0) > 359.5;
    let placed = |a: &Piece, b: &Piece, dx: f64, dy: f64| {
        upright(a)
            && upright(b)
            && ((b.x - a.x) - dx).abs() <= PLACE_TOLERANCE
            && ((b.y - a.y) - dy).abs() <= PLACE_TOLERANCE
    };
    let mut correct = 0;
    for row in 0..rows {
        for col in 0..cols {
            let here = &pieces[row * cols + col];
            if col + 1 < cols && placed(here, &pieces[row * cols + col + 1], pw, 0.0) {
                correct += 1;
            }
            if row + 1 < rows && placed(here, &pieces[(row + 1) * cols + col], 0.0, ph) {
                correct += 1;
            }
        }
    }
    correct as f32 / total as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn board(rows: u16, cols: u16) -> BoardMeta {
        meta("/uploads/x.png".into(), rows, cols, 800, 600, 7)
    }

    fn solved(meta: &BoardMeta, ox: f64, oy: f64) -> Vec<Piece> {
        let (pw, ph) = (f64::from(meta.piece_width), f64::from(meta.piece_height));
        (0..piece_count(meta))
            .map(|i| {
                let (row, col) = (i / usize::from(meta.cols), i % usize::from(meta.cols));
                Piece { x: ox + col as f64 * pw, y: oy + row as f64 * ph, r: 0.0, z: 0.0, g: 0.0 }
            })
            .collect()
    }

    #[test]
    fn piece_height_follows_the_picture() {
        let m = board(6, 8);
        assert_eq!(m.piece_width, 100.0);
        assert!((m.piece_height - 100.0).abs() < 0.01, "800x600 in 6x8 gives square cells");
        assert_eq!((m.width, m.height), (1600.0, 1200.0));
    }

    #[test]
    fn scatter_stays_on_the_board_and_is_reproducible() {
        let m = board(6, 8);
        let a = scatter(&m, 42);
        assert_eq!(a.len(), 48);
        assert!(a.iter().all(|p| in_bounds(&m, p)));
        assert_eq!(a, scatter(&m, 42));
        assert_ne!(a, scatter(&m, 43));
    }

    #[test]
    fn progress_counts_pairs_in_relative_place_anywhere_on_the_board() {
        let m = board(2, 3);
        assert_eq!(pair_count(&m), 7);
        assert_eq!(progress(&m, &solved(&m, 250.0, 40.0)), 1.0);
        let mut one_off = solved(&m, 0.0, 0.0);
        one_off[5].x += 30.0; // bottom-right corner: two pairs broken
        assert!((progress(&m, &one_off) - 5.0 / 7.0).abs() < 1e-6);
        let mut rotated = solved(&m, 0.0, 0.0);
        rotated[0].r = 90.0;
        assert!(progress(&m, &rotated) < 1.0);
    }

    #[test]
    fn bounds_refuse_non_finite_and_off_board_positions() {
        let m = board(2, 2);
        let ok = Piece { x: 10.0, y: 10.0, r: 0.0, z: 0.0, g: 0.0 };
        assert!(in_bounds(&m, &ok));
        assert!(!in_bounds(&m, &Piece { x: f64::NAN, ..ok }));
        assert!(!in_bounds(&m, &Piece { y: f64::INFINITY, ..ok }));
        assert!(!in_bounds(&m, &Piece { x: -1.0, ..ok }));
        assert!(!in_bounds(&m, &Piece { x: f64::from(m.width) + 1.0, ..ok }));
    }
}
