//! Progress vectors: a fixed set of boards with the progress the server's own
//! `board::geometry::progress` gives them, kept in `schema/vectors/progress.json`.
//!
//! Why: the server decides progress and completion, but clients show progress
//! too (and snap pieces so that it rises). client-js has its own copy of the
//! formula (`client-js/src/puzzle/index.js`); its test runs every case in this
//! file and must get the same answer. The cases sit on the edges that matter:
//! solved boards anywhere in the area, a piece off by less than, exactly, and
//! more than the 1-unit tolerance, rotations around the 0.5° limit, and piece
//! counts that do not match the board.
//!
//! This test fails when the file differs from what the server computes now.
//! Regenerate deliberately with
//! `UPDATE_VECTORS=1 cargo test -p jigsync-server --test progress_vectors`.

use std::path::PathBuf;

use jigsync_schema::BoardMeta;
use jigsync_server::board::geometry::{meta, progress, Piece};
use serde_json::Value;

struct Case {
    name: String,
    description: String,
    meta: BoardMeta,
    pieces: Vec<Piece>,
}

/// The boards the cases are built on: (label, rows, cols, image width, image height).
/// The pictures' shapes give integer, fractional (not exact in f32) and clamped
/// piece heights.
const BOARDS: [(&str, u16, u16, u32, u32); 6] = [
    ("2x3_wide", 2, 3, 900, 800),      // pieceHeight 133.33…: not exact in f32
    ("3x4_square", 3, 4, 1200, 900),   // square cells, pieceHeight 100
    ("4x5_hd", 4, 5, 1920, 1080),      // pieceHeight 70.3125, exact
    ("2x2_tall", 2, 2, 100, 2000),     // clamped up to 400
    ("5x2_flat", 5, 2, 4000, 100),     // clamped down to 25
    ("6x8_classroom", 6, 8, 800, 600), // the 6×8 class puzzle
];

fn board(label: &str, rows: u16, cols: u16, w: u32, h: u32) -> BoardMeta {
    meta(format!("/uploads/{label}.png"), rows, cols, w, h, 1_234_567)
}

fn dims(m: &BoardMeta) -> (usize, usize, f64, f64) {
    (usize::from(m.rows), usize::from(m.cols), f64::from(m.piece_width), f64::from(m.piece_height))
}

/// Every piece in its solved place with the picture's top-left at (ox, oy).
fn solved(m: &BoardMeta, ox: f64, oy: f64) -> Vec<Piece> {
    let (rows, cols, pw, ph) = dims(m);
    (0..rows * cols)
        .map(|i| {
            let (row, col) = (i / cols, i % cols);
            Piece { x: ox + col as f64 * pw, y: oy + row as f64 * ph, r: 0.0, z: i as f64, g: i as f64 }
        })
        .collect()
}

/// Deterministic "random" positions from a small LCG. Not `geometry::scatter`:
/// its RNG stream may change with a `rand` upgrade, and these vectors must
/// not. Positions are whole numbers on the board, like the server's scatter.
fn scattered(m: &BoardMeta, seed: u64) -> Vec<Piece> {
    let (rows, cols, pw, ph) = dims(m);
    let mut state = seed;
    let mut next = |span: f64| {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        ((state >> 11) as f64 / (1u64 << 53) as f64 * span).round()
    };
    let (max_x, max_y) = (f64::from(m.width) - pw, f64::from(m.height) - ph);
    (0..rows * cols).map(|i| Piece { x: next(max_x), y: next(max_y), r: 0.0, z: i as f64, g: i as f64 }).collect()
}

fn with(mut pieces: Vec<Piece>, index: usize, change: impl Fn(&mut Piece)) -> Vec<Piece> {
    change(&mut pieces[index]);
    pieces
}

fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    let mut add = |m: &BoardMeta, label: &str, name: &str, description: String, pieces: Vec<Piece>| {
        out.push(Case { name: format!("{label}/{name}"), description, meta: m.clone(), pieces });
    };
    for (label, rows, cols, w, h) in BOARDS {
        let m = board(label, rows, cols, w, h);
        let (rows, cols, pw, ph) = dims(&m);
        let n = rows * cols;
        // The last spot where the whole picture still fits on the board.
        let (far_x, far_y) = (f64::from(m.width) - cols as f64 * pw, f64::from(m.height) - rows as f64 * ph);
        // A middle piece has up to four neighbours; the corner piece two.
        let middle = (rows / 2) * cols + cols / 2;

        add(&m, label, "solved_origin", "solved picture at the board's top-left".into(), solved(&m, 0.0, 0.0));
        add(&m, label, "solved_far", "solved picture at the far corner".into(), solved(&m, far_x, far_y));
        add(&m, label, "solved_fraction", "solved at a fractional offset".into(), solved(&m, 37.25, 12.5));
        add(
            &m,
            label,
            "middle_off_0.9",
            "middle piece 0.9 off in x: within tolerance".into(),
            with(solved(&m, 10.0, 10.0), middle, |p| p.x += 0.9),
        );
        add(
            &m,
            label,
            "middle_off_1.0_y",
            "middle piece exactly 1.0 off in y: the boundary, in float arithmetic".into(),
            with(solved(&m, 10.0, 10.0), middle, |p| p.y += 1.0),
        );
        add(
            &m,
            label,
            "middle_off_minus_1.0_x",
            "middle piece exactly 1.0 off in -x: the boundary".into(),
            with(solved(&m, 10.0, 10.0), middle, |p| p.x -= 1.0),
        );
        add(
            &m,
            label,
            "middle_off_1.01_diag",
            "middle piece 1.01 off on both axes: outside".into(),
            with(solved(&m, 10.0, 10.0), middle, |p| {
                p.x -= 1.01;
                p.y += 1.01;
            }),
        );
        add(
            &m,
            label,
            "corner_off_30",
            "bottom-right piece 30 off in x".into(),
            with(solved(&m, 0.0, 0.0), n - 1, |p| p.x += 30.0),
        );
        add(&m, label, "scattered", "pseudo-random whole-number positions".into(), scattered(&m, u64::from(m.rows)));
        add(&m, label, "first_row_solved", "first row solved at an offset, the rest scattered".into(), {
            let mut pieces = scattered(&m, 99);
            pieces[..cols].copy_from_slice(&solved(&m, 50.0, 60.0)[..cols]);
            pieces
        });
        add(
            &m,
            label,
            "middle_rotated_90",
            "solved but the middle piece turned 90°".into(),
            with(solved(&m, 0.0, 0.0), middle, |p| p.r = 90.0),
        );
    }

    // Rotation edge cases on one board: upright means within 0.5° (strictly)
    // of a multiple of 360, negative angles included.
    let (label, rows, cols, w, h) = BOARDS[1];
    let m = board(label, rows, cols, w, h);
    for (name, r) in [
        ("r_0.4", 0.4),
        ("r_0.5", 0.5),
        ("r_359.5", 359.5),
        ("r_359.6", 359.6),
        ("r_minus_0.3", -0.3),
        ("r_minus_0.5", -0.5),
        ("r_360", 360.0),
        ("r_minus_360", -360.0),
        ("r_720.2", 720.2),
        ("r_180", 180.0),
    ] {
        add(
            &m,
            label,
            &format!("piece_5_{name}"),
            format!("solved, piece 5 at r = {r}"),
            with(solved(&m, 0.0, 0.0), 5, |p| p.r = r),
        );
    }
    let all_turned = solved(&m, 0.0, 0.0).into_iter().map(|p| Piece { r: 180.0, ..p }).collect();
    add(&m, label, "all_r_180", "positions solved but every piece upside down".into(), all_turned);
    let all_full_turn = solved(&m, 0.0, 0.0).into_iter().map(|p| Piece { r: -720.0, ..p }).collect();
    add(&m, label, "all_r_minus_720", "solved, every piece two full turns back".into(), all_full_turn);

    // Piece counts that do not match the board give 0, even when solved.
    let mut short = solved(&m, 0.0, 0.0);
    short.pop();
    add(&m, label, "count_short", "solved but one piece missing: 0".into(), short);
    let mut long = solved(&m, 0.0, 0.0);
    long.push(Piece { x: 0.0, y: 0.0, r: 0.0, z: 12.0, g: 12.0 });
    add(&m, label, "count_long", "solved plus an extra piece: 0".into(), long);
    add(&m, label, "count_empty", "no pieces: 0".into(), Vec::new());
    out
}

fn num(v: f64) -> String {
    // serde_json prints the shortest text that parses back to the same f64.
    serde_json::to_string(&v).unwrap()
}

fn text(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

/// The meta object in the document's field names. Numbers as f64::from(f32):
/// exactly what a client reads from the document's `meta` map and from
/// MessagePack `boards` frames (f32 widened), not the shortest f32 text, which
/// parses to a different double (133.33333 vs 133.3333282470703) and would
/// move the tolerance edge.
fn meta_json(m: &BoardMeta) -> String {
    format!(
        "{{\"image\": {}, \"rows\": {}, \"cols\": {}, \"pieceWidth\": {}, \"pieceHeight\": {}, \"seed\": {}, \"width\": {}, \"height\": {}}}",
        text(&m.image),
        m.rows,
        m.cols,
        num(f64::from(m.piece_width)),
        num(f64::from(m.piece_height)),
        m.seed,
        num(f64::from(m.width)),
        num(f64::from(m.height)),
    )
}

fn piece_json(p: &Piece) -> String {
    format!(
        "{{\"x\": {}, \"y\": {}, \"r\": {}, \"z\": {}, \"g\": {}}}",
        num(p.x),
        num(p.y),
        num(p.r),
        num(p.z),
        num(p.g)
    )
}

/// Pretty JSON with one line per piece, so a diff of the file stays readable.
/// Written by hand rather than through `serde_json::Value`: the key order of
/// a `Value` map depends on whether some other crate in the build enabled
/// serde_json's `preserve_order` (the schema crate's tests do), and the file
/// must not change with what else is being built.
fn render(cases: &[Case]) -> String {
    let entries: Vec<String> = cases
        .iter()
        .map(|c| {
            let pieces: Vec<String> = c.pieces.iter().map(|p| format!("      {}", piece_json(p))).collect();
            let pieces = if pieces.is_empty() { "[]".to_owned() } else { format!("[\n{}\n    ]", pieces.join(",\n")) };
            let expected = f64::from(progress(&c.meta, &c.pieces));
            format!(
                "  {{\n    \"name\": {},\n    \"description\": {},\n    \"meta\": {},\n    \"progress\": {},\n    \"pieces\": {}\n  }}",
                text(&c.name),
                text(&c.description),
                meta_json(&c.meta),
                num(expected),
                pieces
            )
        })
        .collect();
    format!("[\n{}\n]\n", entries.join(",\n"))
}

#[test]
fn progress_matches_its_vectors() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../schema/vectors/progress.json");
    let cases = cases();
    let rendered = render(&cases);
    // The rendering must be valid JSON: clients parse it.
    let parsed: Value = serde_json::from_str(&rendered).expect("rendered vectors are JSON");
    assert_eq!(parsed.as_array().map(Vec::len), Some(cases.len()));
    if std::env::var_os("UPDATE_VECTORS").is_some() {
        std::fs::write(&path, &rendered).unwrap();
    }
    let stored = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(stored, rendered, "progress.json differs from the server's progress; see the test's doc comment");
}

#[test]
fn the_cases_cover_both_sides_of_each_edge() {
    // Guards the set itself: if a geometry change made every case trivially
    // 0 or 1, the JS cross-check would prove little.
    let by_name = |name: &str| {
        let c = cases().into_iter().find(|c| c.name == name).unwrap_or_else(|| panic!("no case {name}"));
        progress(&c.meta, &c.pieces)
    };
    assert_eq!(by_name("3x4_square/solved_far"), 1.0);
    assert_eq!(by_name("3x4_square/middle_off_0.9"), 1.0);
    assert_eq!(by_name("3x4_square/middle_off_1.0_y"), 1.0);
    assert!(by_name("3x4_square/middle_off_1.01_diag") < 1.0);
    assert!(by_name("3x4_square/piece_5_r_0.4") == 1.0);
    assert!(by_name("3x4_square/piece_5_r_0.5") < 1.0);
    assert!(by_name("3x4_square/piece_5_r_359.6") == 1.0);
    assert!(by_name("3x4_square/piece_5_r_minus_0.3") == 1.0);
    assert_eq!(by_name("3x4_square/all_r_180"), 0.0);
    assert_eq!(by_name("3x4_square/count_short"), 0.0);
    let partial = by_name("6x8_classroom/first_row_solved");
    assert!(partial > 0.0 && partial < 1.0, "first row solved gives {partial}");
}
