//! Fuzz target `url_origin`: a thin wrapper over `corsmatch_conformance::fuzzing::url_origin`, which `cargo test` also runs
//! over `corpus/fuzz/url_origin/` and `corpus/regressions/url_origin/`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| corsmatch_conformance::fuzzing::url_origin(data));
