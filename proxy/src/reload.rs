//! [`Reloader`]: swaps a new policy in when its file changes or on `SIGHUP`, after validating it in
//! full; an invalid file keeps the policy in force and logs every diagnostic.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use corsmatch::policy::{LoadError, Severity};
use corsmatch::tower::SharedPolicy;
use corsmatch::Policy;

use crate::metrics::Metrics;

/// What identifies one version of a file without reading it: a change of any part means the file
/// was written or replaced (an editor's or a deployment tool's rename gives a new inode).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
    #[cfg(unix)]
    inode: (u64, u64),
    #[cfg(unix)]
    changed: (i64, i64),
}

fn stamp(path: &Path) -> Option<Stamp> {
    let meta = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    use std::os::unix::fs::MetadataExt as _;
    Some(Stamp {
        modified: meta.modified().ok(),
        len: meta.len(),
        #[cfg(unix)]
        inode: (meta.dev(), meta.ino()),
        #[cfg(unix)]
        changed: (meta.ctime(), meta.ctime_nsec()),
    })
}

/// Reloads the policy of a [`SharedPolicy`] from its file.
#[derive(Debug)]
pub struct Reloader {
    path: PathBuf,
    shared: SharedPolicy,
    metrics: Arc<Metrics>,
    /// The file's stamp when it was last read.
    seen: Option<Stamp>,
}

impl Reloader {
    /// Loads `path` for the first time: the proxy does not start on an invalid policy.
    pub fn start(
        path: PathBuf,
        metrics: Arc<Metrics>,
    ) -> Result<(Reloader, SharedPolicy), LoadError> {
        let seen = stamp(&path);
        let policy = Policy::from_toml_file(&path)?;
        log_warnings(&policy);
        metrics.set_rules(policy.matcher().config_len());
        let shared = SharedPolicy::new(policy);
        let reloader = Reloader {
            path,
            shared: shared.clone(),
            metrics,
            seen,
        };
        Ok((reloader, shared))
    }

    /// Reads the file and swaps it in if it is valid; `cause` goes to the log. Returns whether the
    /// policy was replaced.
    pub fn reload(&mut self, cause: &str) -> bool {
        // Taken before reading: if the file changes while it is read, the next poll sees a
        // different stamp and reads it again.
        self.seen = stamp(&self.path);
        match Policy::from_toml_file(&self.path) {
            Ok(policy) => {
                log_warnings(&policy);
                let rules = policy.matcher().config_len();
                self.shared.store(policy);
                self.metrics.reloaded(true, rules);
                tracing::info!(cause, path = %self.path.display(), rules, "policy reloaded");
                true
            }
            Err(error) => {
                let rules = self.shared.load().policy().matcher().config_len();
                self.metrics.reloaded(false, rules);
                log_load_error(&self.path, &error);
                tracing::error!(
                    cause,
                    path = %self.path.display(),
                    "policy not reloaded: the policy in force stays"
                );
                false
            }
        }
    }

    /// Reloads if the file changed since it was last read.
    pub fn poll(&mut self) -> bool {
        stamp(&self.path) != self.seen && self.reload("file changed")
    }

    /// Reloads on every `SIGHUP`, and on file changes seen by polling every `interval` (never,
    /// with `None`), until the task is dropped. Loading runs on the blocking pool: compiling a
    /// large allowlist's automata must not stall the connections of this worker.
    pub async fn run(mut self, interval: Option<Duration>) {
        #[cfg(unix)]
        let mut hangup = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        {
            Ok(signal) => Some(signal),
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGHUP; reload by file change only");
                None
            }
        };
        let tick = async |interval: Option<Duration>| match interval {
            Some(interval) => tokio::time::sleep(interval).await,
            None => std::future::pending().await,
        };
        loop {
            #[cfg(unix)]
            let signal = async {
                match hangup.as_mut() {
                    Some(signal) => signal.recv().await,
                    None => std::future::pending().await,
                }
            };
            #[cfg(not(unix))]
            let signal = std::future::pending::<Option<()>>();
            let by_signal = tokio::select! {
                Some(()) = signal => true,
                () = tick(interval) => false,
            };
            let blocking = tokio::task::spawn_blocking(move || {
                if by_signal {
                    self.reload("SIGHUP");
                } else {
                    self.poll();
                }
                self
            });
            self = match blocking.await {
                Ok(reloader) => reloader,
                Err(e) => {
                    tracing::error!(error = %e, "the policy reloader stopped");
                    return;
                }
            };
        }
    }
}

fn log_warnings(policy: &Policy) {
    for d in policy.diagnostics() {
        match d.severity() {
            Severity::Error | Severity::Warning => tracing::warn!(diagnostic = %d, "policy"),
            _ => tracing::info!(diagnostic = %d, "policy"),
        }
    }
}

/// Logs why a policy file was refused: every diagnostic, one line each.
pub fn log_load_error(path: &Path, error: &LoadError) {
    match error {
        LoadError::Invalid(errors) => {
            for d in &errors.0 {
                match d.severity() {
                    Severity::Error => {
                        tracing::error!(path = %path.display(), diagnostic = %d, "policy")
                    }
                    _ => tracing::warn!(path = %path.display(), diagnostic = %d, "policy"),
                }
            }
        }
        other => tracing::error!(path = %path.display(), error = %other, "policy"),
    }
}
