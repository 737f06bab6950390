//! Fuzz target `matcher`: a thin wrapper over `corsmatch_conformance::fuzzing::matcher`, which `cargo test` also runs
//! over `corpus/fuzz/matcher/` and `corpus/regressions/matcher/`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| corsmatch_conformance::fuzzing::matcher(data));
