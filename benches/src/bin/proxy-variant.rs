//! `proxy-variant`: the proxy of `corsmatch serve` with its CORS layer swapped, for the load
//! benchmark (`benches/load.sh`): the same server, upstream client, metrics and latency wrapper
//! around
//!
//! - `--cors corsmatch`: corsmatch's layer, as `corsmatch serve` runs it (shared policy, observer);
//! - `--cors off`: no CORS layer at all (the proxy's own cost);
//! - `--cors tower-http`: tower-http 0.7's `CorsLayer` configured from the same policy file: its
//!   methods, request headers, exposed headers, credentials and max-age, and its origins decided by
//!   corsmatch's `OriginMatcher` through `AllowOrigin::predicate` (tower-http has no wildcard
//!   syntax), so that the two layers differ in everything but the origin lookup.
//!
//! ```text
//! proxy-variant --cors corsmatch|off|tower-http --policy FILE --upstream URL [--listen ADDR] [--threads N]
//! ```
//!
//! It prints `listening on ADDR` on stdout when ready and stops on SIGTERM or SIGINT.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use corsmatch::tower::{CorsLayer, SharedPolicy};
use corsmatch::{OriginMatcher, Policy, PolicyConfig};
use corsmatch_proxy::forward::{Forward, Upstream};
use corsmatch_proxy::metrics::{Metrics, Timed};
use corsmatch_proxy::observe::DecisionLog;
use corsmatch_proxy::Config;
use http::{HeaderName, HeaderValue, Method};
use tower_layer::Layer;

struct Args {
    cors: String,
    policy: PathBuf,
    upstream: String,
    listen: SocketAddr,
    threads: Option<usize>,
}

fn parse() -> Result<Args, String> {
    let mut args = std::env::args().skip(1);
    let (mut cors, mut policy, mut upstream, mut listen, mut threads) =
        (None, None, None, "127.0.0.1:0".to_string(), None);
    while let Some(option) = args.next() {
        let mut value = || args.next().ok_or(format!("{option} needs a value"));
        match option.as_str() {
            "--cors" => cors = Some(value()?),
            "--policy" => policy = Some(PathBuf::from(value()?)),
            "--upstream" => upstream = Some(value()?),
            "--listen" => listen = value()?,
            "--threads" => threads = Some(value()?.parse().map_err(|_| "--threads: not a number")?),
            _ => return Err(format!("unknown option {option}")),
        }
    }
    let cors = cors.ok_or("--cors corsmatch|off|tower-http is required")?;
    if !["corsmatch", "off", "tower-http"].contains(&cors.as_str()) {
        return Err(format!("--cors {cors}: not corsmatch, off or tower-http"));
    }
    Ok(Args {
        cors,
        policy: policy.ok_or("--policy FILE is required")?,
        upstream: upstream.ok_or("--upstream URL is required")?,
        listen: listen
            .parse()
            .map_err(|_| format!("--listen {listen}: not an address"))?,
        threads,
    })
}

/// tower-http 0.7's layer, configured as `config` says.
fn tower_http(config: &PolicyConfig) -> Result<tower_http::cors::CorsLayer, String> {
    use tower_http::cors::{AllowOrigin, CorsLayer};
    let matcher = OriginMatcher::new(&config.origins).map_err(|e| e.to_string())?;
    let names = |list: &[String]| -> Result<Vec<HeaderName>, String> {
        list.iter()
            .map(|n| HeaderName::from_bytes(n.as_bytes()).map_err(|e| format!("{n}: {e}")))
            .collect()
    };
    let methods = config
        .methods
        .iter()
        .map(|m| Method::from_bytes(m.as_bytes()).map_err(|e| format!("{m}: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    let mut layer = CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(
            move |origin: &HeaderValue, _: &http::request::Parts| {
                matcher.matches(origin.as_bytes())
            },
        ))
        .allow_methods(methods)
        .allow_headers(names(&config.request_headers)?)
        .expose_headers(names(&config.expose_headers)?)
        .allow_credentials(config.credentials);
    if let Some(max_age) = config.max_age {
        layer = layer.max_age(Duration::from_secs(max_age.max(0).unsigned_abs()));
    }
    Ok(layer)
}

async fn run(args: Args) -> Result<(), String> {
    let text = std::fs::read_to_string(&args.policy)
        .map_err(|e| format!("{}: {e}", args.policy.display()))?;
    let upstream = Upstream::parse(&args.upstream)?;
    let defaults = Config::new(args.policy.clone(), upstream.clone());
    let metrics = Arc::new(Metrics::default());
    let forward = Forward::new(upstream, defaults.timeouts, metrics.clone());
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| format!("{}: {e}", args.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    println!("listening on {addr}");
    let options = defaults.server;
    let shutdown = corsmatch_proxy::shutdown_signal();
    let m = metrics.clone();
    match args.cors.as_str() {
        "off" => {
            let make = move |peer| Timed::new(forward.for_peer(peer), m.clone());
            corsmatch_proxy::server::serve(listener, make, metrics, options, shutdown).await;
        }
        "tower-http" => {
            let config = PolicyConfig::from_toml_str(&text).map_err(|e| e.to_string())?;
            let layer = tower_http(&config)?;
            let make = move |peer| Timed::new(layer.layer(forward.for_peer(peer)), m.clone());
            corsmatch_proxy::server::serve(listener, make, metrics, options, shutdown).await;
        }
        _ => {
            let policy = Policy::from_toml_str(&text).map_err(|e| e.to_string())?;
            let layer = CorsLayer::shared(SharedPolicy::new(policy))
                .observe(DecisionLog::new(metrics.clone(), None));
            let make = move |peer| Timed::new(layer.layer(forward.for_peer(peer)), m.clone());
            corsmatch_proxy::server::serve(listener, make, metrics, options, shutdown).await;
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let args = match parse() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    runtime.enable_all();
    if let Some(threads) = args.threads {
        runtime.worker_threads(threads.max(1));
    }
    let result = runtime
        .build()
        .map_err(|e| e.to_string())
        .and_then(|rt| rt.block_on(run(args)));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
