//! Fuzz target: see `jigsync_server::fuzzing::room_frame`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| jigsync_server::fuzzing::room_frame(data));
