//! Fuzz target: see `jigsync_server::fuzzing::board_write`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| jigsync_server::fuzzing::board_write(data));
