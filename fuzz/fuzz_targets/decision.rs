//! Fuzz target `decision`: a thin wrapper over `corsmatch_conformance::fuzzing::decision`, which `cargo test` also runs
//! over `corpus/fuzz/decision/` and `corpus/regressions/decision/`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| corsmatch_conformance::fuzzing::decision(data));
