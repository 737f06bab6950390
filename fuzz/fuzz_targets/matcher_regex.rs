//! Fuzz target `matcher_regex`: a thin wrapper over `corsmatch_conformance::fuzzing::matcher_regex`, which `cargo test` also runs
//! over `corpus/fuzz/matcher_regex/` and `corpus/regressions/matcher_regex/`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| corsmatch_conformance::fuzzing::matcher_regex(data));
