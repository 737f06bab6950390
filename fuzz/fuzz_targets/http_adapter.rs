//! Fuzz target `http_adapter`: a thin wrapper over `corsmatch_conformance::fuzzing::http_adapter`, which `cargo test` also runs
//! over `corpus/fuzz/http_adapter/` and `corpus/regressions/http_adapter/`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| corsmatch_conformance::fuzzing::http_adapter(data));
