//! Deterministic workloads for measuring corsmatch: the example policies, request traces drawn from a
//! policy, and the trace line format.
//!
//! Everything here is a pure function of its inputs and a seed, so that a benchmark run on one machine
//! can be repeated byte for byte on another: the committed files under `corpus/policies/` and
//! `corpus/workloads/` are this crate's output (`corsmatch workload …` writes them, and a test checks
//! that they still match), never hand-edited.
//!
//! * [`policies`]: the `small`, `saas` and `regex-heavy` policies, as [`corsmatch::policy::PolicyConfig`]
//!   and as policy-file text;
//! * [`generate()`]: a request trace for a policy — the mix of preflights, actual requests and requests
//!   without `Origin`, origins drawn Zipf-like from the allowlist's entries plus near-miss attack origins,
//!   and realistic (sometimes hostile) `Access-Control-Request-*` headers;
//! * [`trace`]: the line format of a trace, its parser and writer, and the borrowed
//!   [`corsmatch::policy::Request`]s a benchmark replays.

pub mod generate;
pub mod policies;
pub mod replay;
mod rng;
pub mod trace;

pub use generate::{generate, near_misses, scan_origins, OriginSource, TraceOptions};
pub use rng::Rng;
pub use trace::{Trace, TraceError, TraceErrorKind, TraceRequest};

use std::path::{Path, PathBuf};

/// The policy of the default trace.
pub const DEFAULT_POLICY: &str = "saas";

/// The default trace: [`DEFAULT_POLICY`] with [`TraceOptions::default`] (10 000 requests, seed 1).
pub fn default_trace() -> Trace {
    generate(&policies::saas(), &TraceOptions::default())
}

/// The files of the committed corpus, relative to the corpus root, with their contents: every built-in
/// policy as `policies/<name>.toml` and the default trace as `workloads/default.trace`.
pub fn corpus_files() -> Vec<(PathBuf, String)> {
    let mut files: Vec<(PathBuf, String)> = policies::NAMES
        .iter()
        .map(|name| {
            let config = policies::by_name(name).expect("a built-in name");
            (
                Path::new("policies").join(format!("{name}.toml")),
                policies::to_toml(name, &config),
            )
        })
        .collect();
    files.push((
        Path::new("workloads").join("default.trace"),
        default_trace().write(),
    ));
    files
}

/// The committed default trace, embedded, so that a binary can run the default workload from anywhere
/// (the policies are built in: [`crate::policies`]).
pub mod embedded {
    /// `corpus/workloads/default.trace`: [`crate::default_trace`], written.
    pub const DEFAULT_TRACE: &str = include_str!("../../corpus/workloads/default.trace");
}
