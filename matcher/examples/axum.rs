//! An axum server behind corsmatch's tower layer.
//!
//! ```sh
//! cargo run -p corsmatch --example axum                                            # built-in policy
//! cargo run -p corsmatch --example axum -- corpus/policies/example.toml   # a policy file
//! ```
//!
//! It listens on `127.0.0.1:3000` and prints the address. The built-in policy allows
//! `https://app.example.com`, any subdomain of `example.com` and `http://localhost` on any port, with
//! credentials, `PUT` and `DELETE` beyond the safelisted methods, and the `content-type` and
//! `authorization` request headers. From another terminal:
//!
//! ```sh
//! # An allowed preflight: 204, answered by the layer (the handler is not called), echoing the request.
//! curl -si -X OPTIONS http://127.0.0.1:3000/ -H 'Origin: https://app.example.com' \
//!     -H 'Access-Control-Request-Method: PUT' -H 'Access-Control-Request-Headers: content-type'
//! # A preflight from an origin the policy does not list: 403, only `vary`.
//! curl -si -X OPTIONS http://127.0.0.1:3000/ -H 'Origin: https://evil.example' \
//!     -H 'Access-Control-Request-Method: PUT'
//! # An actual request: the handler's response, with `access-control-allow-origin` and
//! # `access-control-allow-credentials` set and `vary: origin` merged into the handler's `vary`.
//! curl -si -X PUT http://127.0.0.1:3000/ -H 'Origin: https://api.example.com'
//! # The same from another origin: the handler still answers, but without CORS headers the browser
//! # keeps the response from the script.
//! curl -si http://127.0.0.1:3000/ -H 'Origin: https://example.org'
//! ```
//!
//! A policy file that is refused (try `origins = ["https://app.example.com/path"]`) stops the server
//! before it listens, with every problem located by line and column.

use std::process::ExitCode;

use axum::http::header::VARY;
use axum::routing::get;
use axum::Router;
use corsmatch::tower::CorsLayer;
use corsmatch::Policy;

/// The layer: from the policy file named on the command line, or the built-in policy.
fn cors() -> Result<CorsLayer, String> {
    match std::env::args_os().nth(1) {
        Some(path) => {
            let policy = Policy::from_toml_file(&path)
                .map_err(|e| format!("policy {}:\n{e}", path.to_string_lossy()))?;
            for note in policy.diagnostics() {
                eprintln!("policy {}: {note}", path.to_string_lossy());
            }
            Ok(CorsLayer::new(policy))
        }
        None => CorsLayer::builder()
            .allow_origin([
                "https://app.example.com",
                "https://*.example.com",
                "http://localhost:*",
            ])
            .allow_methods(["PUT", "DELETE"])
            .allow_headers(["content-type", "authorization"])
            .allow_credentials(true)
            .max_age(std::time::Duration::from_secs(600))
            .build()
            .map_err(|e| e.to_string()),
    }
}

/// The application: one resource; its responses vary by encoding, which the layer keeps.
async fn hello() -> ([(axum::http::HeaderName, &'static str); 1], &'static str) {
    ([(VARY, "Accept-Encoding")], "hello\n")
}

#[tokio::main]
async fn main() -> ExitCode {
    let cors = match cors() {
        Ok(cors) => cors,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let app = Router::new()
        .route("/", get(hello).put(hello).delete(hello))
        .layer(cors);

    let listener = match tokio::net::TcpListener::bind("127.0.0.1:3000").await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("error: cannot listen on 127.0.0.1:3000: {e}");
            return ExitCode::FAILURE;
        }
    };
    match listener.local_addr() {
        Ok(addr) => println!("listening on http://{addr}"),
        Err(e) => eprintln!("warning: {e}"),
    }
    if let Err(e) = axum::serve(listener, app).await {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
