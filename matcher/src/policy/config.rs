//! The policy configuration: plain data, as written in a policy file.

/// A CORS policy as configured, before validation. [`crate::policy::Policy::new`] validates it.
///
/// With the `serde` feature it deserializes from the policy file format (TOML or any serde format):
/// unknown keys are errors, and every key has a default. In code, start from [`PolicyConfig::new`] (or
/// `default()`) and set what differs; the fields are public to read and assign, and new keys may be
/// added (the struct is `#[non_exhaustive]`):
///
/// ```
/// use corsmatch::PolicyConfig;
///
/// let config = PolicyConfig::new(["https://app.example.com", "https://*.example.com"])
///     .methods(["PUT", "DELETE"])
///     .request_headers(["content-type", "authorization"])
///     .credentials(true)
///     .max_age(600);
/// assert_eq!(config.methods, ["PUT", "DELETE"]);
/// assert_eq!(config.preflight_status, 204);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
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
    ///
    /// Legacy: current Chromium (checked with 148) no longer sends these preflights. A page it counts
    /// as public that fetches a private or loopback address needs the user's Local Network Access
    /// permission instead; without it the browser sends nothing at all, and no server header changes
    /// that. The option is kept for older Chromium versions that still send
    /// `Access-Control-Request-Private-Network`.
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

/// `Vec<String>` from any list of strings.
fn strings<I, S>(items: I) -> Vec<String>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    items.into_iter().map(Into::into).collect()
}

impl PolicyConfig {
    /// A configuration allowing `origins` (allowlist entries, in order), everything else at its default.
    #[must_use]
    pub fn new<I, S>(origins: I) -> PolicyConfig
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        PolicyConfig {
            origins: strings(origins),
            ..PolicyConfig::default()
        }
    }

    /// Sets [`origins`](PolicyConfig::origins).
    #[must_use]
    pub fn origins<I, S>(mut self, origins: I) -> PolicyConfig
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.origins = strings(origins);
        self
    }

    /// Sets [`methods`](PolicyConfig::methods).
    #[must_use]
    pub fn methods<I, S>(mut self, methods: I) -> PolicyConfig
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.methods = strings(methods);
        self
    }

    /// Sets [`request_headers`](PolicyConfig::request_headers).
    #[must_use]
    pub fn request_headers<I, S>(mut self, names: I) -> PolicyConfig
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.request_headers = strings(names);
        self
    }

    /// Sets [`expose_headers`](PolicyConfig::expose_headers).
    #[must_use]
    pub fn expose_headers<I, S>(mut self, names: I) -> PolicyConfig
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.expose_headers = strings(names);
        self
    }

    /// Sets [`credentials`](PolicyConfig::credentials).
    #[must_use]
    pub fn credentials(mut self, allowed: bool) -> PolicyConfig {
        self.credentials = allowed;
        self
    }

    /// Sets [`max_age`](PolicyConfig::max_age) (`None`: no `Access-Control-Max-Age` header).
    #[must_use]
    pub fn max_age(mut self, seconds: impl Into<Option<i64>>) -> PolicyConfig {
        self.max_age = seconds.into();
        self
    }

    /// Sets [`private_network`](PolicyConfig::private_network).
    #[must_use]
    pub fn private_network(mut self, allowed: bool) -> PolicyConfig {
        self.private_network = allowed;
        self
    }

    /// Sets [`preflight_status`](PolicyConfig::preflight_status).
    #[must_use]
    pub fn preflight_status(mut self, status: i64) -> PolicyConfig {
        self.preflight_status = status;
        self
    }

    /// Sets [`dangerously_allow_insecure_origins_with_credentials`](PolicyConfig::dangerously_allow_insecure_origins_with_credentials).
    #[must_use]
    pub fn dangerously_allow_insecure_origins_with_credentials(
        mut self,
        allowed: bool,
    ) -> PolicyConfig {
        self.dangerously_allow_insecure_origins_with_credentials = allowed;
        self
    }
}
