//! [`SharedPolicy`]: a policy a server can swap atomically while requests flow.

use std::sync::Arc;

use arc_swap::ArcSwap;

use crate::http::HttpPolicy;
use crate::policy::{Diagnostic, Policy, PolicyConfig, PolicyErrors};

/// A policy shared by layers and swapped atomically (hot reload). Cloning shares it.
///
/// A new policy is validated in full before it is swapped in: an invalid one leaves the current
/// policy in place and returns its diagnostics. Each request reads the current policy once, without
/// a lock (`arc-swap`), and is decided by it to the end, whatever is swapped in meanwhile.
///
/// ```
/// use corsmatch::tower::{CorsLayer, SharedPolicy};
/// use corsmatch::{Policy, PolicyConfig};
///
/// let shared = SharedPolicy::new(Policy::new(&PolicyConfig::new(["https://app.example.com"]))?);
/// let layer = CorsLayer::shared(shared.clone());
/// // Later, from a signal handler or an admin endpoint:
/// shared.reload(&PolicyConfig::new(["https://app.example.com", "https://admin.example.com"]))?;
/// // An invalid policy is refused; the current one stays.
/// assert!(shared.reload(&PolicyConfig::new(["https://bad.example.com/path"])).is_err());
/// assert_eq!(shared.load().policy().matcher().config_len(), 2);
/// # let _ = layer;
/// # Ok::<(), corsmatch::PolicyErrors>(())
/// ```
#[derive(Clone, Debug)]
pub struct SharedPolicy {
    current: Arc<ArcSwap<HttpPolicy>>,
}

impl SharedPolicy {
    /// Shares `policy`.
    #[must_use]
    pub fn new(policy: Policy) -> SharedPolicy {
        SharedPolicy {
            current: Arc::new(ArcSwap::from_pointee(HttpPolicy::new(policy))),
        }
    }

    /// The current policy.
    #[must_use]
    pub fn load(&self) -> Arc<HttpPolicy> {
        self.current.load_full()
    }

    /// The current policy, for one request: no reference count is taken (see `arc_swap::Guard`).
    pub(crate) fn guard(&self) -> arc_swap::Guard<Arc<HttpPolicy>> {
        self.current.load()
    }

    /// Swaps in `policy` (already validated, being a `Policy`).
    pub fn store(&self, policy: Policy) {
        self.current.store(Arc::new(HttpPolicy::new(policy)));
    }

    /// Validates `config` and swaps it in; returns its warnings and notes. When it is invalid, the
    /// current policy stays and every diagnostic is returned.
    pub fn reload(&self, config: &PolicyConfig) -> Result<Vec<Diagnostic>, PolicyErrors> {
        let policy = Policy::new(config)?;
        let diagnostics = policy.diagnostics().to_vec();
        self.store(policy);
        Ok(diagnostics)
    }

    /// [`SharedPolicy::reload`] from a policy file's text (TOML), diagnostics located.
    #[cfg(feature = "toml")]
    pub fn reload_from_toml_str(
        &self,
        text: &str,
    ) -> Result<Vec<Diagnostic>, crate::policy::LoadError> {
        let policy = Policy::from_toml_str(text)?;
        let diagnostics = policy.diagnostics().to_vec();
        self.store(policy);
        Ok(diagnostics)
    }

    /// [`SharedPolicy::reload`] from a policy file (TOML, read up to 16 MiB), diagnostics located.
    #[cfg(feature = "toml")]
    pub fn reload_from_toml_file(
        &self,
        path: impl AsRef<std::path::Path>,
    ) -> Result<Vec<Diagnostic>, crate::policy::LoadError> {
        let policy = Policy::from_toml_file(path)?;
        let diagnostics = policy.diagnostics().to_vec();
        self.store(policy);
        Ok(diagnostics)
    }
}
