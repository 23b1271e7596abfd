//! Puzzle boards: geometry and progress ([`geometry`]), the CRDT document and
//! its validation ([`doc`]), and the soft locks on pieces being dragged
//! ([`locks`]). The room actor owns the boards of its room and drives these.

pub mod doc;
pub mod geometry;
pub mod locks;
