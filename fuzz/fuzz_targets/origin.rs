//! Fuzz target `origin`: a thin wrapper over `corsmatch::fuzzing::origin`, which `cargo test` also runs
//! over `corpus/fuzz/origin/` and `corpus/regressions/origin/`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| corsmatch::fuzzing::origin(data));
