//! A hyper server behind corsmatch's tower layer, with a policy file reloaded on `SIGHUP`.
//!
//! ```sh
//! cargo run -p corsmatch --example hyper                                            # built-in policy
//! cargo run -p corsmatch --example hyper -- corpus/policies/example.toml   # a policy file
//! ```
//!
//! It listens on `127.0.0.1:3001` and prints the address and its process id. The service is a
//! `tower::service_fn` wrapped in [`CorsLayer`] with `tower::ServiceBuilder`, served by hyper through
//! `hyper-util`'s tower adapter. The built-in policy allows `https://app.example.com` with `PUT` and
//! the `content-type` request header. From another terminal:
//!
//! ```sh
//! # An allowed preflight: 204, answered by the layer, echoing the requested method and headers.
//! curl -si -X OPTIONS http://127.0.0.1:3001/ -H 'Origin: https://app.example.com' \
//!     -H 'Access-Control-Request-Method: PUT' -H 'Access-Control-Request-Headers: content-type'
//! # A preflight asking for a header the policy does not allow: 403, only `vary`.
//! curl -si -X OPTIONS http://127.0.0.1:3001/ -H 'Origin: https://app.example.com' \
//!     -H 'Access-Control-Request-Method: PUT' -H 'Access-Control-Request-Headers: x-debug'
//! # An actual request: the service's answer with `access-control-allow-origin` added.
//! curl -si http://127.0.0.1:3001/ -H 'Origin: https://app.example.com'
//! ```
//!
//! Started with a policy file, the server reloads it on `SIGHUP` (Unix): edit the file, then
//! `kill -HUP <pid>`. Requests in flight finish under the policy they started with; a file that is
//! refused is reported, and the policy in effect stays.

use std::convert::Infallible;
use std::ffi::OsString;
use std::process::ExitCode;

use corsmatch::tower::{CorsLayer, SharedPolicy};
use corsmatch::{Policy, PolicyConfig};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tower::ServiceBuilder;

/// The application: answers every request, whatever its origin; the layer decides what a browser
/// lets the calling script read.
async fn hello(_request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(b"hello\n"))))
}

/// The policy file named on the command line, or the built-in policy.
fn load(path: Option<&OsString>) -> Result<Policy, String> {
    match path {
        Some(path) => {
            let policy = Policy::from_toml_file(path)
                .map_err(|e| format!("policy {}:\n{e}", path.to_string_lossy()))?;
            for note in policy.diagnostics() {
                eprintln!("policy {}: {note}", path.to_string_lossy());
            }
            Ok(policy)
        }
        None => Policy::new(
            &PolicyConfig::new(["https://app.example.com"])
                .methods(["PUT"])
                .request_headers(["content-type"]),
        )
        .map_err(|e| e.to_string()),
    }
}

/// Reloads the policy file into `shared` on every `SIGHUP`.
#[cfg(unix)]
async fn reload_on_hangup(shared: SharedPolicy, path: OsString) {
    use tokio::signal::unix::{signal, SignalKind};

    let mut hangups = match signal(SignalKind::hangup()) {
        Ok(hangups) => hangups,
        Err(e) => {
            eprintln!("warning: no reload on SIGHUP: {e}");
            return;
        }
    };
    while hangups.recv().await.is_some() {
        match load(Some(&path)) {
            Ok(policy) => {
                shared.store(policy);
                eprintln!("reloaded {}", path.to_string_lossy());
            }
            Err(e) => eprintln!("error: {e}\nthe policy in effect stays"),
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let path = std::env::args_os().nth(1);
    let shared = match load(path.as_ref()) {
        Ok(policy) => SharedPolicy::new(policy),
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    #[cfg(unix)]
    if let Some(path) = path {
        tokio::spawn(reload_on_hangup(shared.clone(), path));
    }

    let service = ServiceBuilder::new()
        .layer(CorsLayer::shared(shared))
        .service_fn(hello);

    let listener = match tokio::net::TcpListener::bind("127.0.0.1:3001").await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("error: cannot listen on 127.0.0.1:3001: {e}");
            return ExitCode::FAILURE;
        }
    };
    match listener.local_addr() {
        Ok(addr) => println!("listening on http://{addr} (pid {})", std::process::id()),
        Err(e) => eprintln!("warning: {e}"),
    }
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                eprintln!("warning: accept: {e}");
                continue;
            }
        };
        let service = TowerToHyperService::new(service.clone());
        tokio::spawn(async move {
            if let Err(e) = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                eprintln!("warning: connection: {e}");
            }
        });
    }
}
