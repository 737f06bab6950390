//! Fuzz target `origin`: a thin wrapper over `corsmatch_conformance::fuzzing::origin`, which `cargo test` also runs
//! over `corpus/fuzz/origin/` and `corpus/regressions/origin/`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| corsmatch_conformance::fuzzing::origin(data));
