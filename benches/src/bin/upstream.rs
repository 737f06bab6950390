//! `upstream`: the upstream server of the proxy load benchmark (`benches/load.sh`).
//!
//! ```text
//! upstream [--listen ADDR] [--threads N] [--vary VALUE]...
//! ```
//!
//! An HTTP/1.1 server (hyper, keep-alive on) that answers every request — any method, any path — with
//! `200` and a small fixed JSON body, after reading and discarding the request body frame by frame.
//! The response carries seven headers typical of an API, one of them `access-control-allow-origin: *`,
//! which a CORS proxy in front of it must replace with the policy's headers (or remove).
//!
//! It binds `ADDR` (default `127.0.0.1:0`, an ephemeral port), prints `listening on ADDR` with the
//! address actually bound as its first line on stdout, and serves until SIGTERM or SIGINT. It runs
//! on a multi-threaded tokio runtime with `N` worker threads (default 1), so that on a small machine
//! it leaves the cores to the proxy and the load generator.
//!
//! `--vary VALUE` adds a `Vary` line to every response (one per option, in order), so that a soak can
//! check how the proxy merges its `Vary` tokens into the upstream's (`soak --upstream-vary VALUE`).

use std::io::Write as _;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// The body of every response.
const BODY: &[u8] = b"{\"ok\":true}\n";

/// The usage line.
const USAGE: &str = "usage: upstream [--listen ADDR] [--threads N] [--vary VALUE]...";

/// The command line.
struct Args {
    /// The address to bind.
    listen: SocketAddr,
    /// The runtime's worker threads.
    threads: usize,
    /// The `Vary` lines of every response.
    vary: Vec<HeaderValue>,
}

/// Reads the command line.
fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut parsed = Args {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        threads: 1,
        vary: Vec::new(),
    };
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--listen" => {
                let v = value("--listen")?;
                parsed.listen = v.parse().map_err(|e| format!("--listen {v}: {e}"))?;
            }
            "--threads" => {
                let v = value("--threads")?;
                parsed.threads = v
                    .parse()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or(format!("--threads {v}: expected a positive integer"))?;
            }
            "--vary" => {
                let v = value("--vary")?;
                parsed
                    .vary
                    .push(HeaderValue::from_str(&v).map_err(|e| format!("--vary {v}: {e}"))?);
            }
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(parsed)
}

/// The `Vary` lines of every response (`--vary`).
static VARY: OnceLock<Vec<HeaderValue>> = OnceLock::new();

/// The responses' request ids.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// The answer to every request: the body of the request is read and dropped one frame at a time
/// (never buffered whole), then `200` with [`BODY`] and the fixed headers.
async fn handle(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, hyper::Error> {
    let mut body = request.into_body();
    while let Some(frame) = body.frame().await {
        frame?;
    }
    let mut response = Response::new(Full::new(Bytes::from_static(BODY)));
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.reserve(10);
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=0, must-revalidate"),
    );
    headers.insert(
        header::ETAG,
        HeaderValue::from_static("W/\"c0ffee-5e1f3a9b\""),
    );
    headers.insert(
        "x-request-id",
        HeaderValue::from(NEXT_ID.fetch_add(1, Ordering::Relaxed)),
    );
    headers.insert(
        header::LAST_MODIFIED,
        HeaderValue::from_static("Tue, 03 Jun 2025 08:00:00 GMT"),
    );
    headers.insert(header::SERVER, HeaderValue::from_static("upstream/1"));
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    for line in VARY.get().into_iter().flatten() {
        headers.append(header::VARY, line.clone());
    }
    Ok(response)
}

/// Accepts connections and serves each on its own task, until the process is told to stop.
async fn serve(listener: TcpListener) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            // Out of file descriptors and the like: wait a little rather than spin.
            Err(_) => {
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            // A client that goes away mid-request (the end of a load run) is no error worth a line.
            let _ = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service_fn(handle))
                .await;
        });
    }
}

/// Resolves on SIGTERM or SIGINT.
async fn stopped() {
    let Ok(mut term) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
    else {
        let _ = tokio::signal::ctrl_c().await;
        return;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("upstream: {e}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    VARY.get_or_init(|| args.vary.clone());
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.threads)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("upstream: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        let listener = match TcpListener::bind(args.listen).await {
            Ok(listener) => listener,
            Err(e) => {
                eprintln!("upstream: cannot bind {}: {e}", args.listen);
                return ExitCode::FAILURE;
            }
        };
        let addr = match listener.local_addr() {
            Ok(addr) => addr,
            Err(e) => {
                eprintln!("upstream: {e}");
                return ExitCode::FAILURE;
            }
        };
        let mut stdout = std::io::stdout().lock();
        if writeln!(stdout, "listening on {addr}")
            .and_then(|()| stdout.flush())
            .is_err()
        {
            return ExitCode::FAILURE;
        }
        drop(stdout);
        tokio::select! {
            () = serve(listener) => {}
            () = stopped() => {}
        }
        ExitCode::SUCCESS
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Result<Args, String> {
        parse_args(list.iter().map(|s| s.to_string()))
    }

    #[test]
    fn arguments() {
        let a = args(&[]).unwrap();
        assert_eq!((a.listen.to_string(), a.threads), ("127.0.0.1:0".into(), 1));
        let a = args(&["--listen", "127.0.0.1:8080", "--threads", "2"]).unwrap();
        assert_eq!((a.listen.port(), a.threads), (8080, 2));
        let a = args(&["--vary", "Accept-Encoding", "--vary", "origin, x"]).unwrap();
        assert_eq!(a.vary, ["Accept-Encoding", "origin, x"]);
        assert!(args(&["--vary", "a\u{1}"]).is_err());
        assert!(args(&["--threads", "0"]).is_err());
        assert!(args(&["--listen"]).is_err());
        assert!(args(&["--bogus"]).is_err());
    }

    /// One keep-alive connection, two requests (one with a body), over the real server.
    #[test]
    fn answers_every_request_with_the_fixed_response() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            tokio::spawn(serve(listener));
            let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
            let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .unwrap();
            tokio::spawn(conn);
            for (method, body) in [("GET", ""), ("POST", "x".repeat(100_000).as_str())] {
                let request = Request::builder()
                    .method(method)
                    .uri("/any/path")
                    .header("host", addr.to_string())
                    .body(Full::new(Bytes::from(body.to_string())))
                    .unwrap();
                let response = sender.send_request(request).await.unwrap();
                assert_eq!(response.status(), 200);
                let h = response.headers().clone();
                for name in [
                    "content-type",
                    "cache-control",
                    "etag",
                    "x-request-id",
                    "last-modified",
                    "server",
                ] {
                    assert!(h.contains_key(name), "{name}");
                }
                assert_eq!(h["access-control-allow-origin"], "*");
                let body = response.into_body().collect().await.unwrap().to_bytes();
                assert_eq!(&body[..], BODY);
            }
        });
    }
}
