//! Fuzz target: see `jigsync_server::fuzzing::picture_gif`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| jigsync_server::fuzzing::picture_gif(data));
