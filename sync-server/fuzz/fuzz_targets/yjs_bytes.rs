//! Fuzz target: see `jigsync_server::fuzzing::yjs_bytes`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| jigsync_server::fuzzing::yjs_bytes(data));
