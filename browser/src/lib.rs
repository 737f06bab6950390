//! A real-browser conformance harness for corsmatch: page scripts (`fetch()` calls) run in headless
//! Chromium against loopback servers that decide CORS with corsmatch's tower layer; what Chromium
//! really did (the requests that reached the server, what script could read, the console's CORS
//! messages) is compared, scenario by scenario, with what the browser model
//! (`corsmatch_conformance::browser`) predicts with the same server.
//!
//! - [`scenario`]: the scenarios, from `corpus/cases/browser-scenarios*.toml` and generated from the
//!   decision tables;
//! - [`api`]: the API under test (the scenario's CORS layer, its overrides, a small handler);
//! - [`server`]: the loopback listeners (TLS and plain HTTP), routing by `Host`, recording;
//! - [`page`]: the pages that run the calls and report;
//! - [`chromium`]: launching Chromium and reading its console;
//! - [`compare`]: the prediction and the comparison;
//! - [`run`]: the whole run.

pub mod api;
pub mod chromium;
pub mod compare;
pub mod page;
pub mod run;
pub mod scenario;
pub mod server;
