//! corsmatch compiles CORS origin allowlists into automata and decides, without allocating and in time
//! that does not grow with the allowlist, whether a request's `Origin` is allowed.
//!
//! ```
//! use corsmatch::OriginMatcher;
//!
//! let m = OriginMatcher::new(&["https://example.com", "https://*.example.com", "http://localhost:*"])?;
//! assert!(m.matches(b"https://api.example.com"));
//! assert!(m.matches(b"http://localhost:3000"));
//! assert!(!m.matches(b"https://evilexample.com"));
//! assert!(!m.matches(b"https://EXAMPLE.com")); // requests are never normalized
//! assert_eq!(m.find(b"https://example.com").map(|r| r.index()), Some(0));
//! # Ok::<(), corsmatch::pattern::Errors>(())
//! ```
//!
//! The crate is layered bottom-up; a module only uses the ones above it in this list:
//!
//! 1. [`origin`]: the request-side grammar (validate and split an `Origin` value, zero-copy);
//! 2. [`pattern`]: the config-side language (parse, validate and normalize allowlist entries);
//! 3. [`automata`]: the compiled structures and [`OriginMatcher`];
//! 4. [`scope`]: what an entry lets in beyond its text (public suffixes, the language of regexes);
//! 5. [`policy`]: the CORS decision ([`policy::Policy`]: configuration, validation, evaluation);
//! 6. `http` (feature `http`, default): the adapter for `http::HeaderMap` requests and responses.

#![forbid(unsafe_code)]

pub mod automata;
#[cfg(feature = "http")]
pub mod http;
pub mod origin;
pub mod pattern;
pub mod policy;
pub mod scope;
mod words;

pub use automata::{OriginMatcher, RuleId};
pub use pattern::{Allowlist, Pattern};

/// The README's Rust examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
