//! One board's CRDT document (yrs) and the server's checks on it.
//!
//! Layout, shared with every client (and any stock Yjs client):
//! - map `meta`: image, rows, cols, pieceWidth, pieceHeight, seed, width,
//!   height (read-only for clients);
//! - map `pieces`: key = piece index as a decimal string, value = a plain
//!   object `{x, y, r, z, g}`. A drop replaces the whole object, so the
//!   last-writer-wins register per key keeps a piece's coordinates together.
//!
//! A client's update is first checked by our own reader
//! ([`crate::yjs_wire::update`]): limits, shapes, and nothing the board lacks.
//! Every yrs call then runs under a panic guard: a panic refuses the request,
//! is counted in `jigsync_yrs_panics_total`, and marks the document poisoned
//! so its owner rebuilds it from storage.
//!
//! The server keeps a mirror of the last valid piece values. After applying a
//! client's update it reads every piece back; anything non-finite, off the
//! board, or outside the layout is put back by a correcting update that the
//! server writes (and fans out) itself.

use std::sync::atomic::{AtomicBool, Ordering};

use jigsync_schema::{BoardMeta, PieceId};
use yrs::updates::decoder::Decode;
use yrs::{ClientID, Doc, Map, MapRef, ReadTxn, StateVector, Transact, Update};

use super::geometry::{piece_count, Piece};
use super::groups::PieceGroups;
use super::layout::{key, meta_entries, piece_any, read_piece, validate};
use super::yrs_guard::guarded;
use crate::yjs_wire::{self, WireError};

#[derive(Debug, thiserror::Error)]
pub enum BoardError {
    #[error("the update was refused: {0}")]
    Refused(WireError),
    #[error("the state vector was refused: {0}")]
    BadStateVector(WireError),
    #[error("not a Yjs v1 update")]
    Undecodable,
    #[error("update could not be applied: {0}")]
    Rejected(String),
    #[error("only the `meta` and `pieces` maps of a board may be written")]
    ForeignRoot,
    #[error("the update builds on changes this board does not have; sync the board again")]
    Incomplete,
    #[error("the board document failed while {0}")]
    Panicked(&'static str),
}

impl BoardError {
    /// The document may now hold content that was never stored: the caller
    /// must rebuild it from storage.
    pub fn needs_reload(&self) -> bool {
        matches!(
            self,
            BoardError::Rejected(_) | BoardError::ForeignRoot | BoardError::Incomplete | BoardError::Panicked(_)
        )
    }
}

/// What applying a client's update did.
#[derive(Debug, Default)]
pub struct Applied {
    /// False when the update added nothing the document did not already
    /// have (nothing to store or fan out).
    pub changed: bool,
    /// Pieces the update set to invalid values (put back by `correction`).
    pub refused: Vec<PieceId>,
    /// The server's correcting update, if anything had to be put back.
    pub correction: Option<Vec<u8>>,
    /// Every piece's value once this write is in: [`BoardDoc::settle`] makes
    /// it the mirror when the write is committed.
    pub pieces: Vec<Piece>,
}

pub struct BoardDoc {
    doc: Doc,
    meta_map: MapRef,
    pieces_map: MapRef,
    meta: BoardMeta,
    pieces: Vec<Piece>,
    /// The groups of `pieces`, kept with them.
    groups: PieceGroups,
    /// Set when yrs panicked on this document: its state is unknown and the
    /// owner must rebuild it from storage.
    poisoned: AtomicBool,
    /// Makes the next write panic inside the guard (only `--test-hooks`
    /// sets it), so tests can watch a yrs panic being contained.
    fail_next_write: AtomicBool,
}

impl BoardDoc {
    /// A new board with its meta and the given piece positions; returns the
    /// document and the update that creates it (the first log entry).
    pub fn create(meta: BoardMeta, pieces: Vec<Piece>) -> (BoardDoc, Vec<u8>) {
        Self::create_in(Doc::new(), meta, pieces)
    }

    /// [`BoardDoc::create`] with a fixed client id, so the fuzz targets and
    /// their seed updates build on the same document every run.
    pub fn create_with_client_id(client_id: u64, meta: BoardMeta, pieces: Vec<Piece>) -> (BoardDoc, Vec<u8>) {
        Self::create_in(Doc::with_client_id(client_id), meta, pieces)
    }

    fn create_in(doc: Doc, meta: BoardMeta, pieces: Vec<Piece>) -> (BoardDoc, Vec<u8>) {
        let meta_map = doc.get_or_insert_map("meta");
        let pieces_map = doc.get_or_insert_map("pieces");
        let update = {
            let mut txn = doc.transact_mut();
            for (k, v) in meta_entries(&meta) {
                meta_map.insert(&mut txn, k, v);
            }
            for (i, piece) in pieces.iter().enumerate() {
                pieces_map.insert(&mut txn, key(i), piece_any(piece));
            }
            txn.encode_update_v1()
        };
        (
            BoardDoc {
                doc,
                meta_map,
                pieces_map,
                meta,
                groups: PieceGroups::new(&pieces),
                pieces,
                poisoned: AtomicBool::new(false),
                fail_next_write: AtomicBool::new(false),
            },
            update,
        )
    }

    /// Rebuilds a board from its stored updates (snapshot first).
    pub fn load<'a>(meta: BoardMeta, updates: impl IntoIterator<Item = &'a [u8]>) -> Result<BoardDoc, BoardError> {
        let doc = Doc::new();
        let meta_map = doc.get_or_insert_map("meta");
        let pieces_map = doc.get_or_insert_map("pieces");
        guarded("loading a board", || {
            let mut txn = doc.transact_mut();
            for bytes in updates {
                let update = Update::decode_v1(bytes).map_err(|_| BoardError::Undecodable)?;
                txn.apply_update(update).map_err(|e| BoardError::Rejected(e.to_string()))?;
            }
            Ok(())
        })??;
        let pieces: Vec<Piece> = guarded("loading a board", || {
            let txn = doc.transact();
            (0..piece_count(&meta))
                .map(|i| {
                    read_piece(&pieces_map, &txn, &key(i)).unwrap_or(Piece {
                        x: 0.0,
                        y: 0.0,
                        r: 0.0,
                        z: 0.0,
                        g: i as f64,
                    })
                })
                .collect()
        })?;
        Ok(BoardDoc {
            doc,
            meta_map,
            pieces_map,
            meta,
            groups: PieceGroups::new(&pieces),
            pieces,
            poisoned: AtomicBool::new(false),
            fail_next_write: AtomicBool::new(false),
        })
    }

    pub fn meta(&self) -> &BoardMeta {
        &self.meta
    }

    pub fn pieces(&self) -> &[Piece] {
        &self.pieces
    }

    /// Every group of the board, indexed (copied by the room's motion table).
    pub fn groups(&self) -> &PieceGroups {
        &self.groups
    }

    /// The pieces of `piece`'s group (none for a piece the board lacks).
    pub fn group_of(&self, piece: PieceId) -> &[PieceId] {
        self.groups.of(piece).unwrap_or(&[])
    }

    /// The next client write panics where yrs would (test hook).
    pub fn fail_next_write(&self) {
        self.fail_next_write.store(true, Ordering::Relaxed);
    }

    /// True once yrs panicked on this document; rebuild it from storage.
    pub fn poisoned(&self) -> bool {
        self.poisoned.load(Ordering::Relaxed)
    }

    /// Runs yrs code on this document under the panic guard; a panic marks
    /// the document poisoned.
    fn run<T>(&self, op: &'static str, f: impl FnOnce(&Doc) -> T) -> Result<T, BoardError> {
        if self.poisoned() {
            return Err(BoardError::Panicked(op));
        }
        guarded(op, || f(&self.doc)).inspect_err(|_| self.poisoned.store(true, Ordering::Relaxed))
    }

    /// The whole document as one update.
    pub fn state(&self) -> Result<Vec<u8>, BoardError> {
        self.run("encoding the document", |doc| doc.transact().encode_state_as_update_v1(&StateVector::default()))
    }

    /// What a replica with state vector `sv` (v1-encoded; empty means
    /// nothing) lacks. The state vector comes from a client: it is checked
    /// by our own reader before yrs decodes it.
    pub fn diff(&self, sv: &[u8]) -> Result<Vec<u8>, BoardError> {
        if !sv.is_empty() {
            yjs_wire::state_vector::check(sv).map_err(BoardError::BadStateVector)?;
        }
        self.run("encoding a diff", |doc| {
            let sv = if sv.is_empty() {
                StateVector::default()
            } else {
                StateVector::decode_v1(sv).map_err(|_| BoardError::BadStateVector(WireError::Truncated))?
            };
            Ok(doc.transact().encode_state_as_update_v1(&sv))
        })?
    }

    pub fn state_vector(&self) -> Result<StateVector, BoardError> {
        self.run("reading the state vector", |doc| doc.transact().state_vector())
    }

    /// Applies a client's update, then checks the result and puts back what
    /// is not valid. The bytes are checked by our own reader first (limits,
    /// shapes, nothing the board lacks), so yrs only ever sees updates it can
    /// integrate at once. The document holds the write from then on; the
    /// mirror of valid pieces moves only with [`BoardDoc::settle`], once the
    /// write is committed. An error for which [`BoardError::needs_reload`]
    /// holds, or a write that is not committed, leaves the document changed:
    /// the owner must rebuild it from storage.
    pub fn apply(&mut self, bytes: &[u8]) -> Result<Applied, BoardError> {
        let before = self.state_vector()?;
        yjs_wire::update::check(bytes, |client| before.get(&ClientID::new(client))).map_err(BoardError::Refused)?;
        let (meta, mirror, meta_map, pieces_map) = (&self.meta, &self.pieces, &self.meta_map, &self.pieces_map);
        let fail = self.fail_next_write.swap(false, Ordering::Relaxed);
        let (applied, pieces) = self.run("applying an update", |doc| {
            if fail {
                panic!("a board write failed on purpose (test hook)");
            }
            let update = Update::decode_v1(bytes).map_err(|_| BoardError::Undecodable)?;
            {
                let mut txn = doc.transact_mut();
                txn.apply_update(update).map_err(|e| BoardError::Rejected(e.to_string()))?;
                if txn.has_missing_updates() {
                    return Err(BoardError::Incomplete);
                }
            }
            validate(doc, &before, meta, mirror, meta_map, pieces_map)
        })??;
        Ok(Applied { pieces, ..applied })
    }

    /// Makes `pieces` the mirror of valid values (a committed write).
    pub fn settle(&mut self, pieces: Vec<Piece>) {
        // Most writes move pieces without joining any: the index is rebuilt
        // only when a group id changed.
        let regrouped = pieces.len() != self.pieces.len()
            || pieces.iter().zip(&self.pieces).any(|(new, old)| new.g.to_bits() != old.g.to_bits());
        if regrouped {
            self.groups = PieceGroups::new(&pieces);
        }
        self.pieces = pieces;
    }

    /// The server moves pieces itself (a reset); returns the update. As with
    /// [`BoardDoc::apply`], [`BoardDoc::settle`] follows once it is stored.
    pub fn place(&mut self, pieces: &[Piece]) -> Result<Vec<u8>, BoardError> {
        let pieces_map = &self.pieces_map;
        self.run("placing pieces", |doc| {
            let mut txn = doc.transact_mut();
            for (i, piece) in pieces.iter().enumerate() {
                pieces_map.insert(&mut txn, key(i), piece_any(piece));
            }
            txn.encode_update_v1()
        })
    }
}

#[cfg(test)]
mod tests {
    use yrs::{Any, Number, TransactionMut};

    use super::*;
    use crate::board::geometry::{meta, scatter};
    use crate::board::layout::{num, same_any};
    use yrs::updates::encoder::Encode;

    fn board() -> (BoardDoc, Vec<u8>) {
        let m = meta("/uploads/a.png".into(), 2, 2, 400, 300, 9);
        let pieces = scatter(&m, 1);
        BoardDoc::create(m, pieces)
    }

    /// A client replica that applies `state` and then runs `edit`.
    fn client_update(state: &[u8], edit: impl FnOnce(&MapRef, &MapRef, &mut TransactionMut)) -> Vec<u8> {
        let doc = Doc::new();
        let pieces = doc.get_or_insert_map("pieces");
        let meta = doc.get_or_insert_map("meta");
        doc.transact_mut().apply_update(Update::decode_v1(state).unwrap()).unwrap();
        let mut txn = doc.transact_mut();
        edit(&pieces, &meta, &mut txn);
        txn.encode_update_v1()
    }

    fn drop_at(x: f64, y: f64) -> Any {
        piece_any(&Piece { x, y, r: 0.0, z: 9.0, g: 1.0 })
    }

    #[test]
    fn a_valid_drop_moves_the_piece_without_correction() {
        let (mut board, state) = board();
        let update = client_update(&state, |p, _, t| {
            p.insert(t, "1", drop_at(120.0, 80.0));
        });
        let before = board.pieces()[1];
        let applied = board.apply(&update).unwrap();
        assert!(applied.changed && applied.refused.is_empty());
        assert!(applied.correction.is_none());
        assert_eq!(board.pieces()[1], before, "the mirror waits for the commit");
        board.settle(applied.pieces);
        assert_eq!((board.pieces()[1].x, board.pieces()[1].y), (120.0, 80.0));
    }

    #[test]
    fn invalid_values_are_put_back_by_a_correcting_update() {
        let (mut board, state) = board();
        let before = board.pieces()[0];
        let update = client_update(&state, |p, m, t| {
            p.insert(t, "0", drop_at(f64::NAN, 10.0));
            p.insert(t, "2", drop_at(1e9, 10.0));
            p.insert(t, "99", drop_at(1.0, 1.0));
            p.insert(t, "3", Any::String("garbage".into()));
            m.insert(t, "rows", Any::Number(Number::Int(50)));
        });
        let applied = board.apply(&update).unwrap();
        assert_eq!(applied.refused, vec![0, 2, 3]);
        let correction = applied.correction.expect("a correction");
        assert_eq!(board.pieces()[0], before);

        // A replica that got both the bad update and the correction ends up
        // with the server's state.
        let replica = Doc::new();
        let pieces = replica.get_or_insert_map("pieces");
        let meta = replica.get_or_insert_map("meta");
        for bytes in [&state, &update, &correction] {
            replica.transact_mut().apply_update(Update::decode_v1(bytes).unwrap()).unwrap();
        }
        let txn = replica.transact();
        assert_eq!(read_piece(&pieces, &txn, "0"), Some(before));
        assert!(pieces.get(&txn, "99").is_none());
        assert!(same_any(meta.get(&txn, "rows"), &num(2.0)));
    }

    #[test]
    fn settling_a_write_that_joins_pieces_regroups_them() {
        let (mut board, state) = board();
        assert_eq!(board.group_of(1), &[1]);
        let moved = client_update(&state, |p, _, t| {
            p.insert(t, "1", drop_at(120.0, 80.0));
        });
        let applied = board.apply(&moved).unwrap();
        board.settle(applied.pieces);
        assert_eq!(board.group_of(1), &[1], "a move alone keeps the groups");
        // Piece 3 joins piece 1's group (g = 1).
        let joined = client_update(&board.state().unwrap(), |p, _, t| {
            p.insert(t, "3", piece_any(&Piece { x: 150.0, y: 80.0, r: 0.0, z: 9.0, g: 1.0 }));
        });
        let applied = board.apply(&joined).unwrap();
        assert!(applied.refused.is_empty());
        board.settle(applied.pieces);
        assert_eq!(board.group_of(1), &[1, 3]);
        assert_eq!(board.group_of(3), &[1, 3]);
    }

    #[test]
    fn keys_that_only_look_like_piece_numbers_are_removed() {
        let (mut board, state) = board();
        let update = client_update(&state, |p, _, t| {
            p.insert(t, "01", drop_at(1.0, 1.0));
            p.insert(t, "+2", drop_at(1.0, 1.0));
            p.insert(t, "4", drop_at(1.0, 1.0));
        });
        let applied = board.apply(&update).unwrap();
        assert!(applied.refused.is_empty());
        let correction = applied.correction.expect("a correction removes the three keys");
        let replica = Doc::new();
        let pieces = replica.get_or_insert_map("pieces");
        for bytes in [&state, &update, &correction] {
            replica.transact_mut().apply_update(Update::decode_v1(bytes).unwrap()).unwrap();
        }
        let txn = replica.transact();
        let mut keys: Vec<String> = pieces.keys(&txn).map(str::to_owned).collect();
        keys.sort();
        assert_eq!(keys, ["0", "1", "2", "3"]);
    }

    #[test]
    fn an_update_the_board_already_has_changes_nothing() {
        let (mut board, state) = board();
        let update = client_update(&state, |p, _, t| {
            p.insert(t, "1", drop_at(120.0, 80.0));
        });
        assert!(board.apply(&update).unwrap().changed);
        let again = board.apply(&update).unwrap();
        assert!(!again.changed && again.correction.is_none());
        assert!(!board.apply(&state).unwrap().changed, "the initial state again");
    }

    #[test]
    fn writes_outside_the_board_maps_are_refused() {
        let (mut board, state) = board();
        let doc = Doc::new();
        let extra = doc.get_or_insert_map("scribbles");
        doc.transact_mut().apply_update(Update::decode_v1(&state).unwrap()).unwrap();
        let update = {
            let mut txn = doc.transact_mut();
            extra.insert(&mut txn, "k", Any::String("x".into()));
            txn.encode_update_v1()
        };
        assert!(matches!(board.apply(&update), Err(BoardError::Refused(WireError::Parent))));
        assert!(!board.poisoned(), "refused before yrs saw it");
    }

    #[test]
    fn a_panic_in_yrs_is_contained_and_poisons_the_document() {
        let (mut board, state) = board();
        let update = client_update(&state, |p, _, t| {
            p.insert(t, "1", drop_at(120.0, 80.0));
        });
        board.fail_next_write();
        let err = board.apply(&update).unwrap_err();
        assert!(matches!(err, BoardError::Panicked(_)) && err.needs_reload(), "{err:?}");
        assert!(board.poisoned());
        assert!(matches!(board.state(), Err(BoardError::Panicked(_))), "a poisoned document is not used again");
        assert!(matches!(board.apply(&update), Err(BoardError::Panicked(_))));
    }

    #[test]
    fn garbage_is_refused_and_a_reload_gives_the_same_state() {
        let (mut board, state) = board();
        assert!(matches!(board.apply(&[1, 2, 3, 250]), Err(BoardError::Refused(_))));
        let update = client_update(&state, |p, _, t| {
            p.insert(t, "3", drop_at(5.0, 6.0));
        });
        let applied = board.apply(&update).unwrap();
        board.settle(applied.pieces);
        let snapshot = board.state().unwrap();
        let reloaded = BoardDoc::load(board.meta().clone(), [snapshot.as_slice()]).unwrap();
        assert_eq!(reloaded.pieces(), board.pieces());
        let from_log = BoardDoc::load(board.meta().clone(), [state.as_slice(), update.as_slice()]).unwrap();
        assert_eq!(from_log.pieces(), board.pieces());
        // A replica that is up to date gets a diff with no new items.
        let own = board.diff(&board.state_vector().unwrap().encode_v1()).unwrap();
        assert!(own.len() < board.diff(&[]).unwrap().len());
        assert!(matches!(board.diff(&[0xff]), Err(BoardError::BadStateVector(_))));
    }
}
