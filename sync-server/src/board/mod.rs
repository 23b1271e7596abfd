//! Puzzle boards: geometry and progress ([`geometry`]), the CRDT document
//! ([`doc`]) with its layout and repairs ([`layout`]) and the guard around
//! every yrs call ([`yrs_guard`]), and the soft locks on pieces being dragged
//! ([`locks`]). The room actor owns the boards of its room and drives these.

pub mod doc;
pub mod geometry;
pub mod groups;
pub mod layout;
pub mod locks;
pub mod yrs_guard;
