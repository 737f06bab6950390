//! The CORS decision: configuration, validation, preflight and actual-request evaluation, and the
//! precomputed response header values.

mod config;

pub use config::PolicyConfig;
