//! [`CorsBuilder`]: a [`CorsLayer`] configured with tower-http's method names.

use std::time::Duration;

use super::CorsLayer;
use crate::policy::{PolicyConfig, PolicyErrors};

/// Configures a [`CorsLayer`] call by call; [`CorsBuilder::build`] validates everything at once.
/// Each `allow_*` / `expose_*` call adds to what earlier calls gave.
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct CorsBuilder {
    config: PolicyConfig,
}

fn extend<I, S>(list: &mut Vec<String>, items: I)
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    list.extend(items.into_iter().map(|s| s.as_ref().to_string()));
}

impl CorsBuilder {
    /// Allowlist entries: exact origins, `https://*.example.com`, `http://localhost:*`, `null`,
    /// `*`, `regex:…`.
    pub fn allow_origin<I, S>(mut self, origins: I) -> CorsBuilder
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        extend(&mut self.config.origins, origins);
        self
    }

    /// Methods allowed beyond `GET`, `HEAD` and `POST` (always allowed), or `["*"]`.
    pub fn allow_methods<I, S>(mut self, methods: I) -> CorsBuilder
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        extend(&mut self.config.methods, methods);
        self
    }

    /// Request header names a preflight may ask for, or `["*"]` (any but `authorization`).
    pub fn allow_headers<I, S>(mut self, names: I) -> CorsBuilder
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        extend(&mut self.config.request_headers, names);
        self
    }

    /// Response header names script may read beyond the safelisted ones, or `["*"]`.
    pub fn expose_headers<I, S>(mut self, names: I) -> CorsBuilder
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        extend(&mut self.config.expose_headers, names);
        self
    }

    /// Whether credentialed requests are allowed.
    pub fn allow_credentials(mut self, allowed: bool) -> CorsBuilder {
        self.config.credentials = allowed;
        self
    }

    /// `Access-Control-Max-Age`, in whole seconds (at most 86 400; more is a configuration error).
    pub fn max_age(mut self, max_age: Duration) -> CorsBuilder {
        self.config.max_age = Some(i64::try_from(max_age.as_secs()).unwrap_or(i64::MAX));
        self
    }

    /// Whether Private Network Access preflights are answered with
    /// `Access-Control-Allow-Private-Network: true`.
    pub fn allow_private_network(mut self, allowed: bool) -> CorsBuilder {
        self.config.private_network = allowed;
        self
    }

    /// The status of an allowed preflight (204 by default; 200 for old clients).
    pub fn preflight_status(mut self, status: u16) -> CorsBuilder {
        self.config.preflight_status = i64::from(status);
        self
    }

    /// The configuration built so far.
    #[must_use]
    pub fn config(&self) -> &PolicyConfig {
        &self.config
    }

    /// Validates the configuration and builds the layer; every problem at once.
    pub fn build(self) -> Result<CorsLayer, PolicyErrors> {
        CorsLayer::from_config(&self.config)
    }
}
