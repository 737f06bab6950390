//! `corsmatch serve`, the real binary, between a client and an upstream written here, all on
//! loopback. Every test is bounded (a deadline around it, the proxy killed when it ends).

mod common;

use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body::{Body, Frame};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};

use common::serving::Serve;

/// The policy most tests run with.
const POLICY: &str = r#"
origins = ["https://app.example.com", "https://*.example.org"]
methods = ["PUT"]
request_headers = ["content-type", "x-token"]
expose_headers = ["x-upstream"]
credentials = true
max_age = 600
"#;

/// A deadline for each test: a hang fails instead of blocking the suite.
async fn bounded<F: std::future::Future<Output = ()>>(seconds: u64, test: F) {
    tokio::time::timeout(Duration::from_secs(seconds), test)
        .await
        .expect("the test ran past its deadline");
}

// ---------------------------------------------------------------------------------------------
// The upstream: an HTTP/1.1 server that reports what it received.

/// A body of `len` bytes (byte `i` is `i % 251`), produced in 64 KiB frames as it is polled.
struct Pattern {
    sent: u64,
    len: u64,
}

impl Body for Pattern {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.sent >= self.len {
            return Poll::Ready(None);
        }
        let n = (self.len - self.sent).min(64 << 10);
        let start = self.sent;
        let chunk: Vec<u8> = (start..start + n).map(|i| (i % 251) as u8).collect();
        self.sent += n;
        Poll::Ready(Some(Ok(Frame::data(Bytes::from(chunk)))))
    }
}

/// Reads a body to its end frame by frame; returns its length and whether every byte followed
/// [`Pattern`].
async fn drain<B: Body<Data = Bytes> + Unpin>(mut body: B) -> (u64, bool)
where
    B::Error: std::fmt::Debug,
{
    let (mut len, mut pattern) = (0u64, true);
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame.unwrap().into_data() {
            for (i, b) in data.iter().enumerate() {
                pattern &= *b == ((len + i as u64) % 251) as u8;
            }
            len += data.len() as u64;
        }
    }
    (len, pattern)
}

type TestBody = BoxBody<Bytes, Infallible>;

fn full(text: &'static str) -> TestBody {
    Full::new(Bytes::from_static(text.as_bytes())).boxed()
}

/// What the upstream answers: `/upload` drains the body and reports its length, `/download?n=N`
/// streams N pattern bytes, `/slow` answers after 1.5 s, anything else reports the request it got
/// and sets CORS headers of its own, which the proxy must replace.
async fn upstream_answer(request: Request<Incoming>, hits: Arc<AtomicUsize>) -> Response<TestBody> {
    hits.fetch_add(1, Ordering::SeqCst);
    let path = request.uri().path().to_string();
    match path.as_str() {
        "/upload" => {
            let (len, pattern) = drain(request.into_body()).await;
            Response::builder()
                .header("x-received-bytes", len.to_string())
                .header("x-received-pattern", pattern.to_string())
                .body(full("ok"))
                .unwrap()
        }
        "/download" => {
            let len = request
                .uri()
                .query()
                .and_then(|q| q.strip_prefix("n="))
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            Response::new(Pattern { sent: 0, len }.boxed())
        }
        "/slow" => {
            tokio::time::sleep(Duration::from_millis(1500)).await;
            Response::new(full("slow"))
        }
        _ => {
            let seen = |name: &str| {
                let values: Vec<&str> = request
                    .headers()
                    .get_all(name)
                    .iter()
                    .map(|v| v.to_str().unwrap_or("?"))
                    .collect();
                values.join(" | ")
            };
            Response::builder()
                .header("x-seen-method", request.method().as_str())
                .header("x-seen-uri", request.uri().to_string())
                .header("x-seen-host", seen("host"))
                .header("x-seen-xff", seen("x-forwarded-for"))
                .header("x-seen-forwarded", seen("forwarded"))
                .header("x-seen-via", seen("via"))
                .header("x-seen-secret", seen("x-secret"))
                .header("x-seen-connection", seen("connection"))
                .header("access-control-allow-origin", "*")
                .header("access-control-allow-credentials", "true")
                .header("access-control-expose-headers", "x-anything")
                .header("vary", "Accept-Encoding")
                .header("x-upstream", "1")
                .body(full("hello"))
                .unwrap()
        }
    }
}

/// The upstream, serving until the test's runtime ends.
struct Upstream {
    url: String,
    hits: Arc<AtomicUsize>,
}

async fn upstream() -> Upstream {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let hits = counter.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |request| {
                    let hits = hits.clone();
                    async move { Ok::<_, Infallible>(upstream_answer(request, hits).await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Upstream {
        url: format!("http://{addr}"),
        hits,
    }
}

/// A loopback address nothing listens on.
async fn closed_port() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

// ---------------------------------------------------------------------------------------------
// The proxy: `corsmatch serve` as a child process.

fn write_policy(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("policy.toml");
    // Written beside and renamed over, as deployment tools do: a reader never sees half a file.
    let next = dir.join("policy.toml.next");
    std::fs::write(&next, text).unwrap();
    std::fs::rename(&next, &path).unwrap();
    path
}

/// What only these tests ask of a running proxy: its log and its metrics.
impl Serve {
    /// Waits (at most 10 s) until a log line holds every one of `needles`; returns it.
    async fn log_line(&self, needles: &[&str]) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(line) = self
                .log
                .lock()
                .unwrap()
                .iter()
                .find(|l| needles.iter().all(|n| l.contains(n)))
            {
                return line.clone();
            }
            assert!(
                Instant::now() < deadline,
                "no log line with {needles:?}:\n{}",
                self.log.lock().unwrap().join("\n")
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// A counter of the admin endpoint's `/metrics`, by its whole sample name.
    async fn metric(&self, sample: &str) -> f64 {
        let response = send(Method::GET, &format!("{}/metrics", self.admin), &[]).await;
        assert_eq!(response.status, 200);
        let text = String::from_utf8(response.body.to_vec()).unwrap();
        text.lines()
            .find_map(|l| l.strip_prefix(sample)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or_else(|| panic!("no {sample} in\n{text}"))
    }
}

// ---------------------------------------------------------------------------------------------
// The client.

/// A response, read whole (small ones only).
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    /// Every value of `Vary`, split into its names.
    fn vary(&self) -> Vec<String> {
        self.headers
            .get_all("vary")
            .iter()
            .flat_map(|v| v.to_str().unwrap().split(','))
            .map(|n| n.trim().to_ascii_lowercase())
            .collect()
    }

    fn cors_headers(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .headers
            .keys()
            .map(|k| k.as_str())
            .filter(|k| k.starts_with("access-control-"))
            .collect();
        names.sort_unstable();
        names
    }
}

fn client() -> Client<HttpConnector, TestBody> {
    Client::builder(TokioExecutor::new()).build_http()
}

async fn send(method: Method, url: &str, headers: &[(&str, &str)]) -> Answer {
    let mut request = Request::builder().method(method).uri(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = client()
        .request(request.body(full("")).unwrap())
        .await
        .unwrap();
    let (parts, body) = response.into_parts();
    Answer {
        status: parts.status,
        headers: parts.headers,
        body: body.collect().await.unwrap().to_bytes(),
    }
}

async fn preflight(url: &str, origin: &str, method: &str) -> Answer {
    send(
        Method::OPTIONS,
        url,
        &[
            ("origin", origin),
            ("access-control-request-method", method),
        ],
    )
    .await
}

// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preflights_are_answered_and_other_requests_forwarded_with_the_policys_headers() {
    bounded(60, async {
        let upstream = upstream().await;
        let dir = common::temp_dir("serve-basic");
        let serve = Serve::start(&write_policy(&dir, POLICY), &upstream.url, &[]);
        let url = format!("{}/api/items?page=2", serve.url);

        // An allowed preflight: answered here, never forwarded.
        let allowed = send(
            Method::OPTIONS,
            &url,
            &[
                ("origin", "https://x.example.org"),
                ("access-control-request-method", "PUT"),
                ("access-control-request-headers", "content-type,x-token"),
            ],
        )
        .await;
        assert_eq!(allowed.status, 204);
        assert_eq!(
            allowed.header("access-control-allow-origin"),
            Some("https://x.example.org")
        );
        assert_eq!(allowed.header("access-control-allow-methods"), Some("PUT"));
        assert_eq!(
            allowed.header("access-control-allow-headers"),
            Some("content-type,x-token")
        );
        assert_eq!(allowed.header("access-control-max-age"), Some("600"));
        assert_eq!(
            allowed.header("access-control-allow-credentials"),
            Some("true")
        );
        // Denied: the origin, a method, a header. 403 with `Vary` only.
        for (origin, method, headers) in [
            ("https://example.org.evil.com", "PUT", ""),
            ("https://app.example.com", "DELETE", ""),
            ("https://app.example.com", "PUT", "x-other"),
        ] {
            let mut pairs = vec![
                ("origin", origin),
                ("access-control-request-method", method),
            ];
            if !headers.is_empty() {
                pairs.push(("access-control-request-headers", headers));
            }
            let denied = send(Method::OPTIONS, &url, &pairs).await;
            assert_eq!(denied.status, 403, "{origin} {method} {headers}");
            assert!(denied.cors_headers().is_empty(), "{:?}", denied.headers);
            assert!(denied.vary().contains(&"origin".to_string()));
        }
        assert_eq!(upstream.hits.load(Ordering::SeqCst), 0);
        // One log line per denial, with the origin, the reason and the rule.
        serve
            .log_line(&[
                "CORS request denied",
                "origin=https://example.org.evil.com",
                "origin-not-allowed",
                "rule=\"-\"",
            ])
            .await;
        serve
            .log_line(&[
                "method-not-allowed",
                "method=OPTIONS",
                "rule=\"https://app.example.com\"",
            ])
            .await;

        // An allowed actual request: forwarded as received, plus the forwarding headers, minus
        // hop-by-hop ones; the upstream's CORS headers are replaced by the policy's.
        let actual = send(
            Method::GET,
            &url,
            &[
                ("origin", "https://app.example.com"),
                ("connection", "x-secret"),
                ("x-secret", "hop-by-hop"),
            ],
        )
        .await;
        assert_eq!(actual.status, 200);
        assert_eq!(&actual.body[..], b"hello");
        assert_eq!(actual.header("x-seen-method"), Some("GET"));
        assert_eq!(actual.header("x-seen-uri"), Some("/api/items?page=2"));
        assert_eq!(
            actual.header("x-seen-host"),
            Some(upstream.url.trim_start_matches("http://"))
        );
        assert_eq!(actual.header("x-seen-xff"), Some("127.0.0.1"));
        let forwarded = actual.header("x-seen-forwarded").unwrap();
        assert!(forwarded.starts_with("for=127.0.0.1;host="), "{forwarded}");
        assert_eq!(actual.header("x-seen-via"), Some("1.1 corsmatch"));
        assert_eq!(actual.header("x-seen-secret"), Some(""));
        assert_eq!(actual.header("x-seen-connection"), Some(""));
        assert_eq!(actual.header("via"), Some("1.1 corsmatch"));
        assert_eq!(
            actual.header("access-control-allow-origin"),
            Some("https://app.example.com")
        );
        assert_eq!(
            actual.header("access-control-allow-credentials"),
            Some("true")
        );
        assert_eq!(
            actual.header("access-control-expose-headers"),
            Some("x-upstream")
        );
        let vary = actual.vary();
        assert!(vary.contains(&"accept-encoding".to_string()), "{vary:?}");
        assert!(vary.contains(&"origin".to_string()), "{vary:?}");

        // A denied actual request is forwarded, and leaves without any CORS header (the
        // upstream's `*` included).
        let denied = send(Method::GET, &url, &[("origin", "https://evil.example")]).await;
        assert_eq!(denied.status, 200);
        assert_eq!(denied.header("x-upstream"), Some("1"));
        assert!(denied.cors_headers().is_empty(), "{:?}", denied.headers);
        assert!(denied.vary().contains(&"origin".to_string()));

        // Without Origin: not CORS; forwarded, the upstream's CORS headers still removed.
        let plain = send(Method::POST, &url, &[]).await;
        assert_eq!(plain.status, 200);
        assert_eq!(plain.header("x-seen-method"), Some("POST"));
        assert!(plain.cors_headers().is_empty(), "{:?}", plain.headers);
        assert_eq!(upstream.hits.load(Ordering::SeqCst), 3);

        // The counters moved, each by what was sent.
        for (sample, n) in [
            (
                "corsmatch_requests_total{decision=\"preflight-allowed\"}",
                1.0,
            ),
            (
                "corsmatch_requests_total{decision=\"preflight-denied\"}",
                3.0,
            ),
            ("corsmatch_requests_total{decision=\"actual-allowed\"}", 1.0),
            ("corsmatch_requests_total{decision=\"actual-denied\"}", 1.0),
            ("corsmatch_requests_total{decision=\"not-cors\"}", 1.0),
            (
                "corsmatch_denials_total{reason=\"origin-not-allowed\"}",
                2.0,
            ),
            (
                "corsmatch_denials_total{reason=\"method-not-allowed\"}",
                1.0,
            ),
            (
                "corsmatch_denials_total{reason=\"header-not-allowed\"}",
                1.0,
            ),
            ("corsmatch_responses_total{class=\"2xx\"}", 4.0),
            ("corsmatch_responses_total{class=\"4xx\"}", 3.0),
            ("corsmatch_request_duration_seconds_count", 7.0),
            ("corsmatch_policy_rules", 2.0),
            ("corsmatch_upstream_errors_total{kind=\"connect\"}", 0.0),
        ] {
            assert_eq!(serve.metric(sample).await, n, "{sample}");
        }
        let health = send(Method::GET, &format!("{}/healthz", serve.admin), &[]).await;
        assert_eq!(
            (health.status, &health.body[..]),
            (StatusCode::OK, &b"ok\n"[..])
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_with_prior_knowledge_is_served_and_forwarded_as_http1() {
    bounded(60, async {
        let upstream = upstream().await;
        let dir = common::temp_dir("serve-h2");
        let serve = Serve::start(&write_policy(&dir, POLICY), &upstream.url, &[]);
        let client: Client<HttpConnector, TestBody> = Client::builder(TokioExecutor::new())
            .http2_only(true)
            .build_http();
        let request = Request::get(format!("{}/h2", serve.url))
            .header("origin", "https://app.example.com")
            .body(full(""))
            .unwrap();
        let response = client.request(request).await.unwrap();
        assert_eq!(response.version(), http::Version::HTTP_2);
        assert_eq!(response.status(), 200);
        let headers = response.headers();
        assert_eq!(
            headers["access-control-allow-origin"],
            "https://app.example.com"
        );
        assert_eq!(headers["x-seen-via"], "2 corsmatch");
        // HTTP/2 has no `Host`: the proxy reports the `:authority` the client used.
        let forwarded = headers["x-seen-forwarded"].to_str().unwrap();
        assert!(
            forwarded.contains(&format!(
                "host=\"{}\"",
                serve.url.trim_start_matches("http://")
            )),
            "{forwarded}"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_100_mb_body_streams_both_ways_without_the_proxy_holding_it() {
    const LEN: u64 = 100 << 20;
    bounded(240, async {
        let upstream = upstream().await;
        let dir = common::temp_dir("serve-stream");
        let serve = Serve::start(&write_policy(&dir, POLICY), &upstream.url, &[]);
        let before = serve.peak_rss_kib();

        let client: Client<HttpConnector, TestBody> =
            Client::builder(TokioExecutor::new()).build_http();
        let upload = Request::post(format!("{}/upload", serve.url))
            .header("origin", "https://app.example.com")
            .body(Pattern { sent: 0, len: LEN }.boxed())
            .unwrap();
        let response = client.request(upload).await.unwrap();
        assert_eq!(response.status(), 200);
        let headers = response.headers();
        assert_eq!(headers["x-received-bytes"], LEN.to_string().as_str());
        assert_eq!(headers["x-received-pattern"], "true");
        assert_eq!(
            headers["access-control-allow-origin"],
            "https://app.example.com"
        );

        let download = Request::get(format!("{}/download?n={LEN}", serve.url))
            .header("origin", "https://app.example.com")
            .body(full(""))
            .unwrap();
        let response = client.request(download).await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(
            response.headers()["access-control-allow-origin"],
            "https://app.example.com"
        );
        let (len, pattern) = drain(response.into_body()).await;
        assert_eq!((len, pattern), (LEN, true));

        // 200 MB went through; the proxy's peak memory grew by a few buffers, not by a body.
        let after = serve.peak_rss_kib();
        eprintln!("proxy peak RSS: {before} KiB before, {after} KiB after 2 x 100 MB");
        assert!(
            after < before + 32 * 1024,
            "peak RSS grew from {before} KiB to {after} KiB"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_policy_reloads_on_file_change_and_an_invalid_file_keeps_the_old_one() {
    bounded(60, async {
        let upstream = upstream().await;
        let dir = common::temp_dir("serve-watch");
        let path = write_policy(&dir, POLICY);
        let serve = Serve::start(&path, &upstream.url, &["--watch-interval", "50ms"]);
        let new_origin = "https://new.example.net";
        assert_eq!(preflight(&serve.url, new_origin, "PUT").await.status, 403);

        write_policy(
            &dir,
            &POLICY.replace("\"https://app.example.com\"", "\"https://new.example.net\""),
        );
        serve.log_line(&["policy reloaded", "file changed"]).await;
        assert_eq!(preflight(&serve.url, new_origin, "PUT").await.status, 204);
        assert_eq!(
            preflight(&serve.url, "https://app.example.com", "PUT")
                .await
                .status,
            403
        );
        assert_eq!(
            serve
                .metric("corsmatch_policy_reloads_total{result=\"ok\"}")
                .await,
            1.0
        );

        // An invalid file: every diagnostic logged, the policy in force stays.
        write_policy(
            &dir,
            "origins = [\"https://ok.example.net\", \"https://bad.example.net/path\", \"*.x\"]\n",
        );
        serve.log_line(&["policy not reloaded"]).await;
        serve
            .log_line(&["origins[1]", "https://bad.example.net/path"])
            .await;
        serve.log_line(&["origins[2]", "*.x"]).await;
        assert_eq!(preflight(&serve.url, new_origin, "PUT").await.status, 204);
        assert_eq!(
            preflight(&serve.url, "https://ok.example.net", "GET")
                .await
                .status,
            403
        );
        assert_eq!(
            serve
                .metric("corsmatch_policy_reloads_total{result=\"failed\"}")
                .await,
            1.0
        );
        // A deleted file is a failed reload too, and the policy stays.
        std::fs::remove_file(&path).unwrap();
        serve.log_line(&["cannot read policy file"]).await;
        assert_eq!(preflight(&serve.url, new_origin, "PUT").await.status, 204);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_the_policy() {
    bounded(60, async {
        let upstream = upstream().await;
        let dir = common::temp_dir("serve-hup");
        let path = write_policy(&dir, POLICY);
        // No polling: only the signal reloads.
        let serve = Serve::start(&path, &upstream.url, &["--watch-interval", "0"]);
        let new_origin = "https://hup.example.net";
        write_policy(&dir, &format!("origins = [\"{new_origin}\"]\n"));
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(preflight(&serve.url, new_origin, "GET").await.status, 403);
        serve.signal("HUP");
        serve.log_line(&["policy reloaded", "SIGHUP"]).await;
        assert_eq!(preflight(&serve.url, new_origin, "GET").await.status, 204);
        assert_eq!(
            serve.metric("corsmatch_policy_rules").await,
            1.0,
            "the new policy's size"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_failure_is_a_502_or_504_the_page_can_read() {
    bounded(60, async {
        let dir = common::temp_dir("serve-down");
        let policy = write_policy(&dir, POLICY);
        let serve = Serve::start(&policy, &closed_port().await, &[]);
        let down = send(
            Method::GET,
            &format!("{}/x", serve.url),
            &[("origin", "https://app.example.com")],
        )
        .await;
        assert_eq!(down.status, 502);
        assert_eq!(
            down.header("access-control-allow-origin"),
            Some("https://app.example.com")
        );
        assert_eq!(
            down.header("access-control-allow-credentials"),
            Some("true")
        );
        assert!(String::from_utf8_lossy(&down.body).contains("upstream"));
        assert_eq!(
            serve
                .metric("corsmatch_upstream_errors_total{kind=\"connect\"}")
                .await,
            1.0
        );
        // Preflights do not need the upstream.
        assert_eq!(
            preflight(&serve.url, "https://app.example.com", "PUT")
                .await
                .status,
            204
        );
        drop(serve);

        let upstream = upstream().await;
        let serve = Serve::start(&policy, &upstream.url, &["--response-timeout", "200ms"]);
        let slow = send(
            Method::GET,
            &format!("{}/slow", serve.url),
            &[("origin", "https://a.example.org")],
        )
        .await;
        assert_eq!(slow.status, 504);
        assert_eq!(
            slow.header("access-control-allow-origin"),
            Some("https://a.example.org")
        );
        assert_eq!(
            serve
                .metric("corsmatch_upstream_errors_total{kind=\"timeout\"}")
                .await,
            1.0
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_accepting_and_finishes_requests_in_flight() {
    bounded(60, async {
        let upstream = upstream().await;
        let dir = common::temp_dir("serve-term");
        let mut serve = Serve::start(&write_policy(&dir, POLICY), &upstream.url, &[]);
        let url = format!("{}/slow", serve.url);
        let in_flight = tokio::spawn(async move {
            send(Method::GET, &url, &[("origin", "https://app.example.com")]).await
        });
        // The request is at the upstream (1.5 s) when the signal comes.
        while upstream.hits.load(Ordering::SeqCst) == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        serve.signal("TERM");
        serve.log_line(&["shutting down"]).await;
        // No new connections.
        let addr = serve.url.trim_start_matches("http://").to_string();
        assert!(tokio::net::TcpStream::connect(&addr).await.is_err());
        let answer = in_flight.await.unwrap();
        assert_eq!(answer.status, 200);
        assert_eq!(&answer.body[..], b"slow");
        assert_eq!(
            answer.header("access-control-allow-origin"),
            Some("https://app.example.com")
        );
        let deadline = Instant::now() + Duration::from_secs(10);
        let status = loop {
            if let Some(status) = serve.child.try_wait().unwrap() {
                break status;
            }
            assert!(Instant::now() < deadline, "serve did not exit");
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        assert!(status.success(), "{status}");
    })
    .await;
}

#[test]
fn an_invalid_policy_at_start_is_a_usage_error_with_every_diagnostic() {
    let dir = common::temp_dir("serve-invalid");
    let path = write_policy(
        &dir,
        "origins = [\"https://a.example/x\", \"http://*.com\"]\ncredentials = true\n",
    );
    let out = common::run(&[
        "serve",
        "--policy",
        path.to_str().unwrap(),
        "--upstream",
        "http://127.0.0.1:1",
        "--listen",
        "127.0.0.1:0",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = common::text(&out.stderr);
    assert!(stderr.contains("origins[0]"), "{stderr}");
    assert!(stderr.contains("origins[1]"), "{stderr}");
    assert!(stderr.contains("the proxy did not start"), "{stderr}");
}
