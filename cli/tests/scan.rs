//! `corsmatch scan`, the real binary, against servers on loopback: `corsmatch serve` enforcing the
//! policy the scan is given (no findings), and a server written here that reflects any origin with
//! credentials (a critical finding). Every test is bounded and stops what it started.

mod common;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;

use common::serving::Serve;

const POLICY: &str = r#"
origins = ["https://app.example.com", "https://*.example.org"]
methods = ["PUT"]
request_headers = ["content-type", "x-token"]
credentials = true
max_age = 600
"#;

/// Serves `answer` on a loopback port until the runtime ends; returns its address.
async fn server(answer: fn(&Request<Incoming>) -> Response<Full<Bytes>>) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |request| async move {
                    Ok::<_, Infallible>(answer(&request))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

/// A plain upstream: no CORS headers of its own.
fn plain(_: &Request<Incoming>) -> Response<Full<Bytes>> {
    Response::new(Full::new(Bytes::from_static(b"hello")))
}

/// The broken recipe: reflect any `Origin`, with credentials, and allow whatever is asked.
fn reflecting(request: &Request<Incoming>) -> Response<Full<Bytes>> {
    let mut response = Response::builder();
    if let Some(origin) = request.headers().get("origin") {
        response = response
            .header("access-control-allow-origin", origin)
            .header("access-control-allow-credentials", "true")
            .header("vary", "Origin");
    }
    for (asked, allow) in [
        (
            "access-control-request-method",
            "access-control-allow-methods",
        ),
        (
            "access-control-request-headers",
            "access-control-allow-headers",
        ),
    ] {
        if let Some(value) = request.headers().get(asked) {
            response = response.header(allow, value);
        }
    }
    response
        .body(Full::new(Bytes::from_static(b"secret")))
        .unwrap()
}

/// Runs `corsmatch scan` (off the runtime's threads) and returns its exit code and stdout.
async fn scan(args: Vec<String>) -> (i32, String) {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = common::run(&args);
        (
            output.status.code().unwrap_or(-1),
            common::text(&output.stdout),
        )
    })
    .await
    .unwrap()
}

fn scan_args(addr: SocketAddr, policy: &std::path::Path) -> Vec<String> {
    vec![
        "scan".into(),
        format!("http://{addr}/api"),
        "--policy".into(),
        policy.display().to_string(),
        "--rate".into(),
        "500".into(),
        "--max-requests".into(),
        "150".into(),
        "--format".into(),
        "json".into(),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corsmatch_serve_with_the_same_policy_has_no_findings() {
    tokio::time::timeout(Duration::from_secs(120), async {
        let dir = common::temp_dir("scan-serve");
        let policy = dir.join("policy.toml");
        std::fs::write(&policy, POLICY).unwrap();
        let upstream = server(plain).await;
        let serve = Serve::start(&policy, &format!("http://{upstream}"), &[]);
        let addr: SocketAddr = serve.url.trim_start_matches("http://").parse().unwrap();
        let (code, out) = scan(scan_args(addr, &policy)).await;
        let report: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(report["findings"].as_array().unwrap().len(), 0, "{out}");
        assert!(report["requests_sent"].as_u64().unwrap() > 50, "{out}");
        assert_eq!(report["requests_without_response"], 0);
        assert_eq!(code, 0);
    })
    .await
    .expect("the test ran past its deadline");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_reflecting_any_origin_with_credentials_is_critical() {
    tokio::time::timeout(Duration::from_secs(120), async {
        let dir = common::temp_dir("scan-reflect");
        let policy = dir.join("policy.toml");
        std::fs::write(&policy, POLICY).unwrap();
        let addr = server(reflecting).await;
        let (code, out) = scan(scan_args(addr, &policy)).await;
        assert_eq!(code, 1, "{out}");
        let report: serde_json::Value = serde_json::from_str(&out).unwrap();
        let findings = report["findings"].as_array().unwrap();
        let first = &findings[0];
        assert_eq!(first["severity"], "critical", "{out}");
        assert_eq!(first["rule"], "denied-origin-readable-with-credentials");
        assert!(first["reproduce"][0].as_str().unwrap().starts_with("curl "));
        // The unlisted method and header get through too.
        assert!(findings.iter().any(|f| f["rule"] == "over-broad-preflight"));

        // Without --credentials each call is judged both ways; with it, only with credentials.
        assert!(findings.iter().any(|f| f["credentials"] == false));
        let mut args = scan_args(addr, &policy);
        args.push("--credentials".into());
        let (code, only) = scan(args).await;
        assert_eq!(code, 1, "{only}");
        let only: serde_json::Value = serde_json::from_str(&only).unwrap();
        let only = only["findings"].as_array().unwrap();
        assert!(!only.is_empty());
        assert!(only.iter().all(|f| f["credentials"] == true), "{only:?}");
        assert!(only.iter().all(|f| f["rule"] != "denied-origin-readable"));

        // --fail-on never: the same findings, exit 0; the SARIF log names the rule.
        let mut args = scan_args(addr, &policy);
        args.extend(["--fail-on".into(), "never".into()]);
        args[9] = "sarif".into();
        let (code, out) = scan(args).await;
        assert_eq!(code, 0);
        let sarif: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(sarif["version"], "2.1.0");
        assert_eq!(
            sarif["runs"][0]["results"][0]["ruleId"],
            "denied-origin-readable-with-credentials"
        );
    })
    .await
    .expect("the test ran past its deadline");
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        vec!["scan"],
        vec!["scan", "https://example.com"],
        vec!["scan", "http://127.0.0.1:1", "--fail-on", "severe"],
        vec!["scan", "http://127.0.0.1:1", "--method", "a b"],
    ] {
        let output = common::run(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(common::text(&output.stderr).starts_with("error: "));
    }
}
