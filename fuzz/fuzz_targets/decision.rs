//! Fuzz target `decision`: a thin wrapper over `corsmatch::fuzzing::decision`, which `cargo test` also runs
//! over `corpus/fuzz/decision/` and `corpus/regressions/decision/`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| corsmatch::fuzzing::decision(data));
