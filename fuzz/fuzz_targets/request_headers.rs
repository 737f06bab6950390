//! Fuzz target `request_headers`: a thin wrapper over `corsmatch_conformance::fuzzing::request_headers`, which `cargo test` also runs
//! over `corpus/fuzz/request_headers/` and `corpus/regressions/request_headers/`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| corsmatch_conformance::fuzzing::request_headers(data));
