//! The test oracles of corsmatch, kept out of the library: everything here exists to check the engine,
//! and none of it is published or linked into a proxy.
//!
//! - [`reference`](mod@reference): a naive twin of the request grammar and the origin matcher
//!   ([`reference::ReferenceMatcher`]), sharing no code with the engine;
//! - [`decision`]: a naive twin of the server-side CORS decision ([`decision::NaiveEngine`]), written
//!   from the decision rules of `corpus/cases/README.md`;
//! - [`browser`]: a model of the browser's side (preflight or not, the CORS check, what script may
//!   read), written from the WHATWG Fetch standard; `corsmatch explain` shows it to users;
//! - [`fuzzing`]: the checks behind the fuzz targets under `fuzz/`, which the tests also replay on every
//!   committed seed and regression;
//! - [`cases`]: the one reader of the conformance tables `corpus/cases/*.toml`;
//! - [`seeds`]: the fuzz seeds derived from those tables (`corpus/fuzz/`).
//!
//! The engine (`corsmatch`) never depends on this crate; the fuzz targets, the test suites, the
//! benches, the workload replay and the CLI do.

pub mod browser;
pub mod cases;
pub mod decision;
pub mod fuzzing;
pub mod reference;
pub mod seeds;

/// The workspace README's Rust examples, compiled and run as doctests here rather than in the library,
/// whose published package does not hold the workspace README.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
