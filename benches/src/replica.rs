//! A student's replica of one board (a yrs document), enough to write a
//! drop the way a client does: a real Yjs v1 update that moves one piece.

use std::collections::HashMap;
use std::sync::Arc;

use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{Any, Map, MapRef, Out, ReadTxn, Transact};

pub struct Replica {
    doc: yrs::Doc,
    pieces: MapRef,
}

impl Replica {
    pub fn new() -> Replica {
        let doc = yrs::Doc::new();
        let pieces = doc.get_or_insert_map("pieces");
        doc.get_or_insert_map("meta");
        Replica { doc, pieces }
    }

    /// Applies a `doc` or `update` from the server. Undecodable bytes are ignored.
    pub fn apply(&self, update: &[u8]) {
        if let Ok(update) = yrs::Update::decode_v1(update) {
            let _ = self.doc.transact_mut().apply_update(update);
        }
    }

    /// The state vector (v1) to resume with: the server answers a `sync`
    /// with what this replica lacks.
    pub fn state_vector(&self) -> Vec<u8> {
        self.doc.transact().state_vector().encode_v1()
    }

    /// Moves `piece` to (x, y), keeping its other fields, and returns the
    /// update to send.
    pub fn place(&self, piece: u16, x: f32, y: f32) -> Vec<u8> {
        let key = piece.to_string();
        let mut txn = self.doc.transact_mut();
        let mut fields: HashMap<String, Any> = match self.pieces.get(&txn, &key) {
            Some(Out::Any(Any::Map(map))) => (*map).clone(),
            _ => [("r", 0.0), ("z", f64::from(piece)), ("g", f64::from(piece))]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), Any::from(v)))
                .collect(),
        };
        fields.insert("x".into(), Any::from(f64::from(x)));
        fields.insert("y".into(), Any::from(f64::from(y)));
        self.pieces.insert(&mut txn, key, Any::Map(Arc::new(fields)));
        txn.encode_update_v1()
    }
}

impl Default for Replica {
    fn default() -> Replica {
        Replica::new()
    }
}
