//! The policy configuration: plain data, as written in a policy file.

/// A CORS policy as configured, before validation. [`crate::policy::Policy::new`] validates it.
///
/// With the `serde` feature it deserializes from the policy file format (TOML or any serde format):
/// unknown keys are errors, and every key has a default.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Deserialize),
    serde(deny_unknown_fields, default)
)]
pub struct PolicyConfig {
    /// The origin allowlist, in config order (see [`crate::pattern`]).
    pub origins: Vec<String>,
    /// Methods allowed beyond the always-allowed GET, HEAD and POST, or `["*"]` for any.
    pub methods: Vec<String>,
    /// Request header names a preflight may ask for, or `["*"]` for any but `Authorization`.
    pub request_headers: Vec<String>,
    /// Response header names script may read beyond the safelisted ones, or `["*"]`.
    pub expose_headers: Vec<String>,
    /// Whether credentialed requests are allowed (`Access-Control-Allow-Credentials: true`).
    pub credentials: bool,
    /// `Access-Control-Max-Age`, in seconds (0..=86400), sent on allowed preflights.
    pub max_age: Option<i64>,
    /// Whether to answer Private Network Access preflights with
    /// `Access-Control-Allow-Private-Network: true`.
    pub private_network: bool,
    /// The status of an allowed preflight response (200..=299).
    pub preflight_status: i64,
    /// Dangerous: allow origins that are neither `https` nor loopback together with credentials, so
    /// that anyone on the network path between the browser and such an origin can act as the user.
    pub dangerously_allow_insecure_origins_with_credentials: bool,
}

impl Default for PolicyConfig {
    fn default() -> PolicyConfig {
        PolicyConfig {
            origins: Vec::new(),
            methods: Vec::new(),
            request_headers: Vec::new(),
            expose_headers: Vec::new(),
            credentials: false,
            max_age: None,
            private_network: false,
            preflight_status: 204,
            dangerously_allow_insecure_origins_with_credentials: false,
        }
    }
}
