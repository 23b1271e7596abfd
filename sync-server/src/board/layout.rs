//! What a board document holds and how the server repairs it: the layout
//! of the `meta` and `pieces` maps (see [`super::doc`]), how a piece reads
//! back, and the check after a client's write that puts back whatever is not
//! valid.

use std::collections::HashMap;
use std::sync::Arc;

use jigsync_schema::{BoardMeta, PieceId};
use yrs::{Any, Doc, Map, MapRef, Number, Out, ReadTxn, StateVector, Transact, TransactionMut};

use super::doc::{Applied, BoardError};
use super::geometry::{in_bounds, Piece};

pub fn key(index: usize) -> String {
    index.to_string()
}

pub fn num(value: f64) -> Any {
    Any::Number(Number::try_i64(value))
}

pub fn piece_any(piece: &Piece) -> Any {
    let fields = [("x", piece.x), ("y", piece.y), ("r", piece.r), ("z", piece.z), ("g", piece.g)];
    Any::Map(Arc::new(fields.into_iter().map(|(k, v)| (k.to_owned(), num(v))).collect()))
}

pub fn meta_entries(meta: &BoardMeta) -> Vec<(&'static str, Any)> {
    vec![
        ("image", Any::String(meta.image.as_str().into())),
        ("rows", num(f64::from(meta.rows))),
        ("cols", num(f64::from(meta.cols))),
        ("pieceWidth", num(f64::from(meta.piece_width))),
        ("pieceHeight", num(f64::from(meta.piece_height))),
        ("seed", num(f64::from(meta.seed))),
        ("width", num(f64::from(meta.width))),
        ("height", num(f64::from(meta.height))),
    ]
}

pub fn read_piece<T: ReadTxn>(map: &MapRef, txn: &T, key: &str) -> Option<Piece> {
    piece_of(map.get(txn, key)?)
}

/// A piece's value as the server reads it: a plain object with five numbers.
fn piece_of(value: Out) -> Option<Piece> {
    let Out::Any(Any::Map(fields)) = value else {
        return None;
    };
    // One pass over the fields rather than a hashed lookup per field: this
    // runs for every piece of the board on every drop.
    let mut read: [Option<f64>; 5] = [None; 5];
    for (name, value) in fields.iter() {
        let slot = match name.as_str() {
            "x" => 0,
            "y" => 1,
            "r" => 2,
            "z" => 3,
            "g" => 4,
            _ => continue,
        };
        read[slot] = match value {
            Any::Number(n) => n.as_f64(),
            _ => None,
        };
    }
    let [x, y, r, z, g] = read;
    Some(Piece { x: x?, y: y?, r: r?, z: z?, g: g? })
}

pub fn same_any(stored: Option<Out>, expected: &Any) -> bool {
    match (stored, expected) {
        (Some(Out::Any(Any::Number(a))), Any::Number(b)) => a.as_f64() == b.as_f64(),
        (Some(Out::Any(a)), b) => &a == b,
        _ => false,
    }
}

/// Reads every piece back after a client's update, and writes the
/// correction that puts back whatever is not valid. `mirror` holds the last
/// valid pieces; returns the new mirror.
pub fn validate(
    doc: &Doc,
    before: &StateVector,
    meta: &BoardMeta,
    mirror: &[Piece],
    meta_map: &MapRef,
    pieces_map: &MapRef,
) -> Result<(Applied, Vec<Piece>), BoardError> {
    // New items move the state vector. A deletion alone does not, but
    // deleting a piece or a meta entry is put back by a correction, and
    // anything outside the two maps is refused, so a pure deletion never
    // slips through as "unchanged".
    let txn = doc.transact();
    let mut applied = Applied { changed: txn.state_vector() != *before, ..Applied::default() };
    if txn.root_refs().any(|(name, _)| name != "meta" && name != "pieces") {
        return Err(BoardError::ForeignRoot);
    }
    // One pass over the map finds every piece's value and the keys that are
    // no piece's: a lookup per piece would hash (and allocate) its key, on
    // every drop, for every piece of the board.
    let count = mirror.len();
    let mut found: Vec<Option<Piece>> = vec![None; count];
    let mut extra_keys: Vec<String> = Vec::new();
    for (k, value) in pieces_map.iter(&txn) {
        match piece_index(k, count) {
            Some(i) => found[i] = piece_of(value),
            None => extra_keys.push(k.to_owned()),
        }
    }
    let mut pieces = mirror.to_vec();
    for (i, (mirror, read)) in pieces.iter_mut().zip(found).enumerate() {
        let id = PieceId::try_from(i).unwrap_or(PieceId::MAX);
        match read {
            Some(piece) if in_bounds(meta, &piece) => *mirror = piece,
            _ => applied.refused.push(id),
        }
    }
    let expected_meta = meta_entries(meta);
    let meta_intact = meta_map.len(&txn) as usize == expected_meta.len()
        && expected_meta.iter().all(|(k, v)| same_any(meta_map.get(&txn, k), v));
    drop(txn);
    if !applied.refused.is_empty() || !extra_keys.is_empty() || !meta_intact {
        let mut txn = doc.transact_mut();
        for id in &applied.refused {
            let i = usize::from(*id);
            pieces_map.insert(&mut txn, key(i), piece_any(&pieces[i]));
        }
        for k in &extra_keys {
            pieces_map.remove(&mut txn, k);
        }
        if !meta_intact {
            restore_meta(meta_map, &mut txn, &expected_meta);
        }
        applied.correction = Some(txn.encode_update_v1());
    }
    Ok((applied, pieces))
}

/// The piece a key names, if it is one of the board's `count` pieces
/// written as [`key`] writes it (decimal, no sign, no leading zero).
fn piece_index(k: &str, count: usize) -> Option<usize> {
    let canonical = k.bytes().all(|b| b.is_ascii_digit()) && (k == "0" || !k.starts_with('0'));
    k.parse::<usize>().ok().filter(|&i| canonical && i < count)
}

fn restore_meta(map: &MapRef, txn: &mut TransactionMut, expected: &[(&'static str, Any)]) {
    let wanted: HashMap<&str, &Any> = expected.iter().map(|(k, v)| (*k, v)).collect();
    let present: Vec<String> = map.keys(txn).map(str::to_owned).collect();
    for k in present {
        if !wanted.contains_key(k.as_str()) {
            map.remove(txn, &k);
        }
    }
    for (k, v) in expected {
        if !same_any(map.get(txn, k), v) {
            map.insert(txn, *k, v.clone());
        }
    }
}
