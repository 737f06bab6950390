//! CORS for proxies and HTTP servers: origin allowlists compiled into automata, and the whole CORS
//! decision (simple, preflighted, credentialed requests) made from header bytes without allocating, in
//! time that does not grow with the allowlist.
//!
//! An allowlist holds exact origins (`https://app.example.com`), subdomain wildcards
//! (`https://*.example.com`), port wildcards (`http://localhost:*`), `null`, `*` and regexes
//! (`regex:^https://pr-[0-9]+\.preview\.example\.dev$`). Entries are validated and normalized once, at
//! configuration time, with every problem reported at once; requests are never normalized: an `Origin`
//! a browser cannot send (uppercase, a default port, a trailing dot) is denied.
//!
//! # Which layer to use
//!
//! - **A proxy or server answering CORS**: [`Policy`]. Build it once from a [`PolicyConfig`] (or a
//!   policy file, [`Policy::from_toml_file`], feature `toml`), then per request call
//!   [`Policy::evaluate`] with the request's [`Request`] headers and set the [`Decision`]'s headers on
//!   the response (or answer a preflight with them).
//! - **A tower-based server** (axum, hyper, tonic): [`tower::CorsLayer`] (feature `tower`) answers
//!   preflights and sets the policy's headers on every response; [`tower::SharedPolicy`] swaps the
//!   policy while the server runs.
//! - **Otherwise on the `http` crate's types**: the [`http`] adapter (feature `http`, on by default)
//!   reads the request from an `http::HeaderMap` and applies the decision to the response, removing
//!   whatever CORS headers the upstream set.
//! - **Only "is this origin allowed, and by which entry?"**: [`OriginMatcher`].
//!
//! ```
//! use corsmatch::{DecisionKind, Policy, PolicyConfig, Request};
//!
//! let policy = Policy::new(
//!     &PolicyConfig::new(["https://app.example.com", "https://*.example.com"])
//!         .methods(["PUT"])
//!         .credentials(true),
//! )?;
//! let decision = policy.evaluate(&Request {
//!     method: b"OPTIONS",
//!     origin: Some(b"https://api.example.com"),
//!     request_method: Some(b"PUT"),
//!     request_headers: &[],
//!     private_network: false,
//! });
//! assert_eq!(decision.kind(), DecisionKind::PreflightAllowed);
//! assert!(decision
//!     .headers()
//!     .any(|(name, value)| name == "access-control-allow-origin" && value == b"https://api.example.com"));
//! # Ok::<(), corsmatch::PolicyErrors>(())
//! ```
//!
//! # Embedding rules
//!
//! The decision is only as good as where it runs:
//!
//! - **CORS before authentication.** A preflight carries no credentials (Fetch §4.8): answer it before
//!   any authentication layer, or every preflight fails with 401 and the browser blocks the request.
//! - **`OPTIONS` reaches the CORS layer.** Nothing in front of it may reject or cache `OPTIONS`
//!   requests; a preflight the CORS layer never sees is a blocked request.
//! - **The policy owns the CORS response headers.** Nothing after the CORS layer may add, rewrite or
//!   cache away `Access-Control-*` or `Vary` headers: a response cached without `Vary: Origin` is served
//!   to other origins. The `http` adapter removes upstream CORS headers and merges `Vary` for this
//!   reason.
//! - **Build once, share everywhere.** [`Policy`] and [`OriginMatcher`] are immutable and
//!   `Send + Sync`; building compiles automata (milliseconds for thousands of entries) and belongs at
//!   startup or reload, never per request.
//!
//! # Modules
//!
//! The crate is layered bottom-up; a module only uses the ones above it in this list:
//!
//! 1. [`origin`]: the request-side grammar (validate and split an `Origin` value, zero-copy);
//! 2. [`pattern`]: the config-side language (parse, validate and normalize allowlist entries);
//! 3. the compiled automata behind [`OriginMatcher`] (private);
//! 4. what an entry lets in beyond its text: public suffixes, the language of regexes (private);
//! 5. [`policy`]: the CORS decision ([`Policy`]: configuration, validation, evaluation);
//! 6. [`http`] (feature `http`, default): the adapter for `http` requests and responses.
//! 7. [`tower`] (feature `tower`): the layer, on top of [`http`].
//!
//! # Features
//!
//! - `http` (default): the [`http`] adapter.
//! - `idna` (default): Unicode hosts in allowlist entries are converted to punycode, and `xn--` labels
//!   in requests are checked with UTS #46 ToASCII, as browsers produce them. Without it (11 dependencies
//!   instead of 53) Unicode entries are refused (`unicode-host-needs-idna`) and an `xn--` label is
//!   checked for its bytes only: a wildcard may then let in an `xn--` host no browser sends, which only
//!   a non-browser client can send.
//! - `serde`: `Deserialize` for [`PolicyConfig`] (the policy file format; unknown keys are errors).
//! - `toml`: [`Policy::from_toml_str`] and [`Policy::from_toml_file`], with every diagnostic located
//!   by line and column (implies `serde`).
//! - `tower`: the [`tower`] layer, [`tower::CorsLayer`] and [`tower::Cors`], for axum, hyper and any
//!   `tower::Service<http::Request<B>>`, and [`tower::SharedPolicy`] to swap the policy atomically
//!   (implies `http`).

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod automata;
#[cfg(feature = "http")]
pub mod http;
pub mod origin;
pub mod pattern;
pub mod policy;
mod scope;
#[cfg(feature = "tower")]
pub mod tower;
mod words;

pub use automata::{OriginMatcher, RuleId, REGEX_DFA_SIZE_LIMIT};
pub use pattern::{Allowlist, Pattern};
#[cfg(feature = "toml")]
pub use policy::LoadError;
pub use policy::{
    Decision, DecisionKind, DenyReason, Diagnostic, DiagnosticKind, Policy, PolicyConfig,
    PolicyErrors, Position, Request, Severity,
};

/// The crate README's Rust examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct CrateReadmeDoctests;
