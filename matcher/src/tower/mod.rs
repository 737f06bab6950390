//! A tower layer (feature `tower`): [`CorsLayer`] wraps any `tower::Service<http::Request<B>>` (axum
//! routers, hyper services through `hyper-util`'s tower adapter, tonic, …) in [`Cors`], which answers
//! preflights itself and sets the policy's headers on every other response.
//!
//! ```
//! use corsmatch::tower::CorsLayer;
//!
//! let cors = CorsLayer::builder()
//!     .allow_origin(["https://app.example.com", "https://*.example.com"])
//!     .allow_methods(["PUT", "DELETE"])
//!     .allow_headers(["content-type", "authorization"])
//!     .allow_credentials(true)
//!     .max_age(std::time::Duration::from_secs(600))
//!     .build()?; // every configuration error at once; never a panic
//! // With axum: `Router::new().route(..).layer(cors)`.
//! # let _ = cors;
//! # Ok::<(), corsmatch::PolicyErrors>(())
//! ```
//!
//! Per request, [`Cors`] decides once, from the request's headers, before the request moves into the
//! inner service, and keeps a [`Verdict`](crate::http::Verdict) that borrows nothing:
//!
//! - a **preflight** (`OPTIONS` with `Access-Control-Request-Method`, Fetch §4.8) is answered without
//!   calling the inner service: the policy's status (204 by default) and headers when allowed, **403**
//!   with only `Vary` when denied, and an empty body of the inner service's body type (`B: Default`);
//! - **any other request** goes to the inner service, and the verdict is applied to its response,
//!   error responses included (so that a browser can read the error): the upstream's CORS headers
//!   are replaced by the policy's, and its `Vary` is merged.
//!
//! The layer is `Clone + Send + Sync`, its futures are `Send + 'static` when the inner service's are,
//! and nothing is boxed per request. [`SharedPolicy`] lets a server swap the policy atomically while
//! requests flow (hot reload): each request reads the current policy without a lock and finishes
//! under the one it started with.
//!
//! # Switching from tower-http's `CorsLayer`
//!
//! The builder's methods are named as tower-http's where the meaning is the same (`allow_origin`,
//! `allow_methods`, `allow_headers`, `expose_headers`, `allow_credentials`, `max_age`,
//! `allow_private_network`), and take strings (`&str`, `http::Method`, `http::HeaderName`). What
//! differs, on purpose:
//!
//! - `build()` validates the whole policy and returns every problem at once ([`PolicyErrors`]):
//!   credentials with `*`, `null` or insecure origins, wildcards over public suffixes, malformed
//!   entries. tower-http panics for some of these, in `layer()` or in `poll_ready`.
//! - Origins are an allowlist language (exact origins, `https://*.example.com`,
//!   `http://localhost:*`, `regex:…`, `*`), matched exactly: no request normalization.
//! - A preflight is `OPTIONS` with `Access-Control-Request-Method` (tower-http: any `OPTIONS`, so a
//!   plain `OPTIONS` request reaches the inner service here).
//! - A denied preflight gets **403** without CORS headers (tower-http answers 200 without them); the
//!   browser blocks the request either way, and the status makes the denial visible in logs.
//! - The requested method and every requested header are checked against the policy, and the
//!   preflight echoes exactly what was asked (tower-http lists its configuration).
//! - `GET`, `HEAD` and `POST` are always allowed (the CORS-safelisted methods); `allow_methods`
//!   lists the others.

mod builder;
mod service;
mod shared;

pub use builder::CorsBuilder;
pub use service::{Cors, ResponseFuture};
pub use shared::SharedPolicy;

use std::sync::Arc;

use crate::http::HttpPolicy;
use crate::policy::{Decision, Policy, PolicyConfig, PolicyErrors};

/// Where a layer reads its policy: fixed, or a [`SharedPolicy`] that can be swapped.
#[derive(Clone, Debug)]
enum Source {
    Fixed(Arc<HttpPolicy>),
    Shared(SharedPolicy),
}

/// Told about every request a [`Cors`] service decides, for metrics and logs: implement it, or pass
/// a closure, to [`CorsLayer::observe`].
///
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use std::sync::Arc;
/// use corsmatch::tower::CorsLayer;
/// use corsmatch::Decision;
///
/// let denied = Arc::new(AtomicU64::new(0));
/// let count = denied.clone();
/// let layer = CorsLayer::builder()
///     .allow_origin(["https://app.example.com"])
///     .build()?
///     .observe(move |decision: &Decision<'_, '_>| {
///         if let Some(reason) = decision.reason() {
///             count.fetch_add(1, Ordering::Relaxed);
///             let origin = decision.request().origin.unwrap_or_default();
///             eprintln!("denied {}: {}", origin.escape_ascii(), reason.name());
///         }
///     });
/// # let _ = layer;
/// # Ok::<(), corsmatch::PolicyErrors>(())
/// ```
pub trait Observer: Send + Sync + 'static {
    /// Called once per request, with its decision, before the request is answered (a preflight) or
    /// passed on. It runs on the request's path: keep it short, and never block.
    fn decided(&self, decision: &Decision<'_, '_>);
}

impl<F> Observer for F
where
    F: Fn(&Decision<'_, '_>) + Send + Sync + 'static,
{
    fn decided(&self, decision: &Decision<'_, '_>) {
        self(decision);
    }
}

/// An [`Observer`] shared by every service of a layer.
#[derive(Clone)]
struct SharedObserver(Arc<dyn Observer>);

impl std::fmt::Debug for SharedObserver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Observer")
    }
}

/// A `tower::Layer` that wraps a service in [`Cors`]. Cheap to clone (a reference count).
#[derive(Clone, Debug)]
pub struct CorsLayer {
    source: Source,
    observer: Option<SharedObserver>,
}

impl CorsLayer {
    /// A layer deciding with `policy`.
    #[must_use]
    pub fn new(policy: Policy) -> CorsLayer {
        CorsLayer {
            source: Source::Fixed(Arc::new(HttpPolicy::new(policy))),
            observer: None,
        }
    }

    /// A layer deciding with the policy `config` describes; every problem of `config` at once.
    pub fn from_config(config: &PolicyConfig) -> Result<CorsLayer, PolicyErrors> {
        Policy::new(config).map(CorsLayer::new)
    }

    /// A layer deciding with a policy file's text (TOML); every problem at once, located.
    #[cfg(feature = "toml")]
    pub fn from_toml_str(text: &str) -> Result<CorsLayer, crate::policy::LoadError> {
        Policy::from_toml_str(text).map(CorsLayer::new)
    }

    /// A layer deciding with a policy file (TOML, read up to 16 MiB); every problem at once, located.
    #[cfg(feature = "toml")]
    pub fn from_toml_file(
        path: impl AsRef<std::path::Path>,
    ) -> Result<CorsLayer, crate::policy::LoadError> {
        Policy::from_toml_file(path).map(CorsLayer::new)
    }

    /// A layer deciding with whatever policy `shared` holds when each request arrives.
    #[must_use]
    pub fn shared(shared: SharedPolicy) -> CorsLayer {
        CorsLayer {
            source: Source::Shared(shared),
            observer: None,
        }
    }

    /// A builder with tower-http's method names; see the [module docs](self).
    pub fn builder() -> CorsBuilder {
        CorsBuilder::default()
    }

    /// This layer, telling `observer` about every request it decides (one observer per layer; a
    /// second call replaces the first). Without one, the layer costs one branch per request for it.
    #[must_use]
    pub fn observe(self, observer: impl Observer) -> CorsLayer {
        CorsLayer {
            observer: Some(SharedObserver(Arc::new(observer))),
            ..self
        }
    }
}

impl<S> tower_layer::Layer<S> for CorsLayer {
    type Service = Cors<S>;

    fn layer(&self, inner: S) -> Cors<S> {
        Cors::new(inner, self.source.clone(), self.observer.clone())
    }
}
