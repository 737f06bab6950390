//! The reverse proxy behind `corsmatch serve`: the corsmatch tower layer
//! ([`corsmatch::tower::CorsLayer`]) in front of one upstream.
//!
//! ```text
//! client ──► server (HTTP/1.1, h2c) ──► Timed ──► Cors (SharedPolicy, DecisionLog) ──► Forward ──► upstream
//!                                        metrics    preflights answered here              pooled client
//! ```
//!
//! - [`server`]: the accept loop, the connection cap, graceful shutdown;
//! - [`metrics`]: counters and the latency histogram ([`metrics::Timed`]), in the Prometheus format;
//! - [`observe`]: the layer's observer, counting decisions and logging each denial;
//! - [`forward`]: the upstream client (pooled, with timeouts; 502/504 when the upstream fails, with
//!   the CORS headers still applied by the layer above it);
//! - [`headers`]: hop-by-hop fields, `Via`, `Forwarded` and `X-Forwarded-*`;
//! - [`reload`]: the policy file watched, and reloaded on `SIGHUP`;
//! - [`body`]: the response body, streamed from the upstream.
//!
//! [`start`] binds and runs it all; [`run`] does so until `SIGTERM` or `SIGINT`.

mod admin;
pub mod body;
pub mod forward;
pub mod headers;
pub mod metrics;
pub mod observe;
pub mod reload;
pub mod server;

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use corsmatch::policy::LoadError;
use corsmatch::tower::{CorsLayer, SharedPolicy};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tower_layer::Layer;

use crate::forward::{Forward, Upstream, UpstreamTimeouts};
use crate::metrics::{Metrics, Timed};
use crate::observe::DecisionLog;
use crate::reload::Reloader;
use crate::server::ServerOptions;

/// Everything `corsmatch serve` is configured with.
#[derive(Clone, Debug)]
pub struct Config {
    /// The policy file (TOML).
    pub policy: PathBuf,
    /// Where requests go.
    pub upstream: Upstream,
    /// Where clients connect.
    pub listen: SocketAddr,
    /// Where `/metrics` and `/healthz` are served; none without it.
    pub admin: Option<SocketAddr>,
    /// The upstream side's timeouts.
    pub timeouts: UpstreamTimeouts,
    /// The client side's limits and shutdown deadline.
    pub server: ServerOptions,
    /// How often the policy file's modification is checked; never with `None` (`SIGHUP` still
    /// reloads).
    pub watch: Option<Duration>,
    /// The level of the one log line per denial; `None`: not logged.
    pub deny_log: Option<tracing::Level>,
}

impl Config {
    /// The defaults for everything but the policy and the upstream.
    pub fn new(policy: PathBuf, upstream: Upstream) -> Config {
        Config {
            policy,
            upstream,
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            admin: None,
            timeouts: UpstreamTimeouts {
                connect: Duration::from_secs(5),
                response: Duration::from_secs(60),
                idle: Duration::from_secs(90),
            },
            server: ServerOptions {
                header_read_timeout: Duration::from_secs(30),
                max_connections: 10_000,
                shutdown_grace: Duration::from_secs(10),
            },
            watch: Some(Duration::from_secs(1)),
            deny_log: Some(tracing::Level::INFO),
        }
    }
}

/// Why the proxy did not start.
#[derive(Debug)]
pub enum StartError {
    /// The policy file is unreadable or invalid.
    Policy(LoadError),
    /// An address could not be bound.
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::Policy(e) => write!(f, "{e}"),
            StartError::Bind { addr, source } => write!(f, "cannot listen on {addr}: {source}"),
        }
    }
}

impl std::error::Error for StartError {}

/// A proxy started by [`start`].
#[derive(Debug)]
pub struct Running {
    /// The address clients connect to (the port is known even when 0 was asked for).
    pub addr: SocketAddr,
    /// The admin address, if any.
    pub admin: Option<SocketAddr>,
    /// Its counters.
    pub metrics: Arc<Metrics>,
    /// Its policy, which the reloader swaps.
    pub policy: SharedPolicy,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Running {
    /// Stops accepting, lets requests in flight finish (within the shutdown deadline) and returns
    /// when the proxy has stopped.
    pub async fn shutdown(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, StartError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| StartError::Bind { addr, source })
}

/// Loads the policy, binds the addresses and starts serving, on the current tokio runtime.
pub async fn start(config: Config) -> Result<Running, StartError> {
    let metrics = Arc::new(Metrics::default());
    let (reloader, policy) =
        Reloader::start(config.policy.clone(), metrics.clone()).map_err(StartError::Policy)?;
    let listener = bind(config.listen).await?;
    let addr = listener.local_addr().map_err(|source| StartError::Bind {
        addr: config.listen,
        source,
    })?;
    let admin = match config.admin {
        Some(admin) => Some(bind(admin).await?),
        None => None,
    };
    let admin_addr = admin.as_ref().and_then(|l| l.local_addr().ok());

    let cors = CorsLayer::shared(policy.clone())
        .observe(DecisionLog::new(metrics.clone(), config.deny_log));
    let forward = Forward::new(config.upstream.clone(), config.timeouts, metrics.clone());
    let make = {
        let metrics = metrics.clone();
        move |peer| Timed::new(cors.layer(forward.for_peer(peer)), metrics.clone())
    };
    let (stop, stopped) = oneshot::channel::<()>();
    let watch = config.watch;
    let options = config.server;
    let served = metrics.clone();
    let task = tokio::spawn(async move {
        let reloading = tokio::spawn(reloader.run(watch));
        let admin = admin.map(|listener| tokio::spawn(admin_loop(listener, served.clone())));
        tracing::info!(%addr, "listening on {addr}");
        server::serve(listener, make, served, options, async {
            let _ = stopped.await;
        })
        .await;
        reloading.abort();
        if let Some(admin) = admin {
            admin.abort();
        }
    });
    Ok(Running {
        addr,
        admin: admin_addr,
        metrics,
        policy,
        stop,
        task,
    })
}

/// Serves the admin endpoint until the task is aborted.
async fn admin_loop(listener: TcpListener, metrics: Arc<Metrics>) {
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "admin endpoint on http://{addr}/metrics and /healthz");
    }
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let metrics = metrics.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                std::future::ready(admin::answer(&request, &metrics))
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(Duration::from_secs(10))
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                .await;
        });
    }
}

/// Runs the proxy until `SIGTERM` or `SIGINT`, then shuts it down gracefully.
pub async fn run(config: Config) -> Result<(), StartError> {
    let running = start(config).await?;
    shutdown_signal().await;
    running.shutdown().await;
    Ok(())
}

/// Completes on the first `SIGTERM` or `SIGINT` (Ctrl-C).
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(mut term), Ok(mut int)) => {
                tokio::select! {
                    _ = term.recv() => tracing::info!("SIGTERM received"),
                    _ = int.recv() => tracing::info!("SIGINT received"),
                }
            }
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
