//! Fuzz target `pattern`: a thin wrapper over `corsmatch_conformance::fuzzing::pattern`, which `cargo test` also runs
//! over `corpus/fuzz/pattern/` and `corpus/regressions/pattern/`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| corsmatch_conformance::fuzzing::pattern(data));
