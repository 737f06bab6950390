//! The tower layer in a real server: an axum application behind [`CorsLayer`] listens on a random
//! port of 127.0.0.1, and hyper's HTTP/1.1 client sends it real requests over loopback. Checked: what
//! a browser sees on the wire for allowed and denied preflights, actual requests whose handler sets
//! its own `Vary` and a stray `Access-Control-Allow-Origin`, error responses; and a policy swapped
//! back and forth through [`SharedPolicy`] while several connections send requests, with an invalid
//! reload refused.
//!
//! Every test is bounded: a fixed number of requests (at most [`MAX_PER_CLIENT`] per client), each
//! under a timeout, the whole test under [`TEST_LIMIT`]; the server stops with the test's runtime.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::http::header::{
    ACCESS_CONTROL_ALLOW_CREDENTIALS, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS,
    ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_MAX_AGE, HOST, VARY,
};
use axum::http::{HeaderMap, HeaderName, Method, Request, StatusCode};
use axum::routing::any;
use axum::Router;
use corsmatch::pattern::PatternErrorKind;
use corsmatch::tower::{CorsLayer, SharedPolicy};
use corsmatch::{DiagnosticKind, Policy, PolicyConfig};
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time::timeout;

/// The longest any test may run before it fails.
const TEST_LIMIT: Duration = Duration::from_secs(60);
/// The longest one request may take, connecting included.
const REQUEST_LIMIT: Duration = Duration::from_secs(10);

const APP: &str = "https://app.example.com";
const EVIL: &str = "https://evil.example";
const PREFLIGHT_VARY: &str =
    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers";

/// Serves `app` on a random port of 127.0.0.1 until the test's runtime stops.
async fn serve(app: Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    addr
}

/// An application counting its handlers' calls in `calls`: `/` answers 200 `ok` and `/error` 500
/// `boom`, both with `Vary: Accept-Encoding` and a stray `Access-Control-Allow-Origin: *` that the
/// layer must replace.
fn app(cors: CorsLayer, calls: &Arc<AtomicUsize>) -> Router {
    fn headers() -> [(HeaderName, &'static str); 2] {
        [
            (VARY, "Accept-Encoding"),
            (ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        ]
    }
    let (ok, error) = (Arc::clone(calls), Arc::clone(calls));
    Router::new()
        .route(
            "/",
            any(move || async move {
                ok.fetch_add(1, Ordering::SeqCst);
                (headers(), "ok")
            }),
        )
        .route(
            "/error",
            any(move || async move {
                error.fetch_add(1, Ordering::SeqCst);
                (StatusCode::INTERNAL_SERVER_ERROR, headers(), "boom")
            }),
        )
        .layer(cors)
}

/// A response as the client read it off the wire.
#[derive(Debug)]
struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Reply {
    /// Every value of header `name`, in order.
    fn all(&self, name: &str) -> Vec<&str> {
        self.headers
            .get_all(name)
            .iter()
            .map(|v| v.to_str().expect("a visible ASCII header value"))
            .collect()
    }

    /// The one value of header `name`; `None` when absent; a failure when repeated.
    fn one(&self, name: &str) -> Option<&str> {
        let all = self.all(name);
        assert!(all.len() <= 1, "{name} repeated: {all:?}");
        all.first().copied()
    }

    /// The tokens of every `Vary` line, in order.
    fn vary(&self) -> Vec<&str> {
        self.all("vary")
            .into_iter()
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect()
    }
}

/// One HTTP/1.1 connection to the server, kept alive across requests.
struct Connection {
    sender: SendRequest<Empty<Bytes>>,
}

impl Connection {
    async fn open(addr: SocketAddr) -> Result<Connection, String> {
        let stream = timeout(REQUEST_LIMIT, TcpStream::connect(addr))
            .await
            .map_err(|_| "connect timed out".to_string())?
            .map_err(|e| format!("connect: {e}"))?;
        let (sender, connection) = http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| format!("handshake: {e}"))?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(Connection { sender })
    }

    /// Sends a request without a body and reads the whole response.
    async fn send(
        &mut self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
    ) -> Result<Reply, String> {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(HOST, "127.0.0.1");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request.body(Empty::new()).map_err(|e| e.to_string())?;
        let exchange = async {
            self.sender
                .ready()
                .await
                .map_err(|e| format!("connection: {e}"))?;
            let response = self
                .sender
                .send_request(request)
                .await
                .map_err(|e| format!("request: {e}"))?;
            let (parts, body) = response.into_parts();
            let body = body
                .collect()
                .await
                .map_err(|e| format!("body: {e}"))?
                .to_bytes();
            Ok(Reply {
                status: parts.status,
                headers: parts.headers,
                body,
            })
        };
        timeout(REQUEST_LIMIT, exchange)
            .await
            .map_err(|_| "request timed out".to_string())?
    }
}

/// Sends one request on a connection of its own.
async fn send(addr: SocketAddr, method: Method, path: &str, headers: &[(&str, &str)]) -> Reply {
    let mut connection = Connection::open(addr).await.expect("connect");
    connection
        .send(method, path, headers)
        .await
        .expect("a response")
}

fn policy() -> CorsLayer {
    CorsLayer::builder()
        .allow_origin([APP])
        .allow_methods(["PUT"])
        .allow_headers(["content-type", "x-request-id"])
        .expose_headers(["x-request-id"])
        .allow_credentials(true)
        .max_age(Duration::from_secs(600))
        .build()
        .expect("a valid policy")
}

#[tokio::test]
async fn a_server_behind_the_layer_answers_as_the_policy_says() {
    timeout(TEST_LIMIT, async {
        let calls = Arc::new(AtomicUsize::new(0));
        let addr = serve(app(policy(), &calls)).await;

        // An allowed preflight: answered by the layer, echoing what was asked.
        let reply = send(
            addr,
            Method::OPTIONS,
            "/",
            &[
                ("origin", APP),
                ("access-control-request-method", "PUT"),
                (
                    "access-control-request-headers",
                    "content-type,x-request-id",
                ),
            ],
        )
        .await;
        assert_eq!(reply.status, StatusCode::NO_CONTENT);
        assert_eq!(reply.one("access-control-allow-origin"), Some(APP));
        assert_eq!(reply.one("access-control-allow-methods"), Some("PUT"));
        assert_eq!(
            reply.one("access-control-allow-headers"),
            Some("content-type,x-request-id")
        );
        assert_eq!(reply.one("access-control-allow-credentials"), Some("true"));
        assert_eq!(reply.one("access-control-max-age"), Some("600"));
        assert_eq!(reply.one("vary"), Some(PREFLIGHT_VARY));
        assert_eq!(reply.body, "");
        assert_eq!(
            calls.load(Ordering::SeqCst),
            0,
            "the handler answered a preflight"
        );

        // A preflight from an origin the policy does not list: 403, `Vary` only.
        let reply = send(
            addr,
            Method::OPTIONS,
            "/",
            &[("origin", EVIL), ("access-control-request-method", "PUT")],
        )
        .await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN);
        assert_eq!(reply.one("vary"), Some(PREFLIGHT_VARY));
        for name in [
            ACCESS_CONTROL_ALLOW_ORIGIN,
            ACCESS_CONTROL_ALLOW_METHODS,
            ACCESS_CONTROL_ALLOW_HEADERS,
            ACCESS_CONTROL_ALLOW_CREDENTIALS,
            ACCESS_CONTROL_MAX_AGE,
        ] {
            assert!(!reply.headers.contains_key(&name), "{name} on a denial");
        }
        // And from a listed origin asking for a method the policy does not allow.
        let reply = send(
            addr,
            Method::OPTIONS,
            "/",
            &[("origin", APP), ("access-control-request-method", "DELETE")],
        )
        .await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN);
        assert_eq!(reply.one("access-control-allow-origin"), None);
        assert_eq!(
            calls.load(Ordering::SeqCst),
            0,
            "the handler answered a preflight"
        );

        // An allowed actual request: the handler's `Vary` kept and `Origin` added; its stray
        // `Access-Control-Allow-Origin: *` replaced by the one the policy gives.
        let reply = send(addr, Method::GET, "/", &[("origin", APP)]).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.body, "ok");
        assert_eq!(reply.vary(), ["Accept-Encoding", "Origin"]);
        assert_eq!(reply.all("access-control-allow-origin"), [APP]);
        assert_eq!(reply.one("access-control-allow-credentials"), Some("true"));
        assert_eq!(
            reply.one("access-control-expose-headers"),
            Some("x-request-id")
        );
        assert_eq!(calls.load(Ordering::SeqCst), 1);

        // A denied actual request reaches the handler, but leaves without its stray header.
        let reply = send(addr, Method::GET, "/", &[("origin", EVIL)]).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.body, "ok");
        assert_eq!(reply.vary(), ["Accept-Encoding", "Origin"]);
        assert_eq!(reply.one("access-control-allow-origin"), None);
        assert_eq!(reply.one("access-control-allow-credentials"), None);
        assert_eq!(calls.load(Ordering::SeqCst), 2);

        // Not a CORS request (no `Origin`): the stray header goes too, and `Vary: Origin` is added.
        let reply = send(addr, Method::GET, "/", &[]).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.vary(), ["Accept-Encoding", "Origin"]);
        assert_eq!(reply.one("access-control-allow-origin"), None);
        assert_eq!(calls.load(Ordering::SeqCst), 3);

        // An error response carries the CORS headers, so that the script can read the error.
        let reply = send(addr, Method::PUT, "/error", &[("origin", APP)]).await;
        assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(reply.body, "boom");
        assert_eq!(reply.all("access-control-allow-origin"), [APP]);
        assert_eq!(reply.one("access-control-allow-credentials"), Some("true"));
        assert_eq!(
            reply.one("access-control-expose-headers"),
            Some("x-request-id")
        );
        assert_eq!(reply.vary(), ["Accept-Encoding", "Origin"]);
        assert_eq!(calls.load(Ordering::SeqCst), 4);
        assert!(!reply.headers.contains_key(ACCESS_CONTROL_MAX_AGE));
    })
    .await
    .expect("the test finishes in time");
}

/// The origin whose fate the reloads change.
const B: &str = "https://b.example.com";
/// Requests each client sends at least, and at most.
const MIN_PER_CLIENT: usize = 50;
const MAX_PER_CLIENT: usize = 250;
const CLIENTS: usize = 4;

/// What a response from origin `B` said under one of the two policies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Allowed,
    Denied,
}

/// Classifies the reply to a `GET` (`preflight == false`) or a preflight from `B`: consistent with
/// one of the two policies, or a description of what is wrong.
fn outcome(preflight: bool, reply: &Reply) -> Result<Outcome, String> {
    let origins = reply.all("access-control-allow-origin");
    let outcome = match (preflight, reply.status, origins.as_slice()) {
        (false, StatusCode::OK, []) => Outcome::Denied,
        (false, StatusCode::OK, [B]) => Outcome::Allowed,
        (true, StatusCode::FORBIDDEN, []) => Outcome::Denied,
        (true, StatusCode::NO_CONTENT, [B]) => Outcome::Allowed,
        _ => return Err(format!("inconsistent reply: {reply:?}")),
    };
    let vary_ok = if preflight {
        reply.all("vary") == [PREFLIGHT_VARY]
    } else {
        reply.vary() == ["Accept-Encoding", "Origin"] && reply.body == "ok"
    };
    let methods_ok = !preflight
        || reply.all("access-control-allow-methods")
            == if outcome == Outcome::Allowed {
                vec!["PUT"]
            } else {
                vec![]
            };
    if vary_ok && methods_ok {
        Ok(outcome)
    } else {
        Err(format!("inconsistent reply: {reply:?}"))
    }
}

/// One client: a connection of its own, alternating `GET`s and preflights from `B`, reporting each
/// result on `results`; at least [`MIN_PER_CLIENT`] requests, then more until `done`, at most
/// [`MAX_PER_CLIENT`]. Returns how many `GET`s it sent.
async fn client(
    addr: SocketAddr,
    done: Arc<AtomicBool>,
    results: mpsc::UnboundedSender<Result<Outcome, String>>,
) -> usize {
    let mut connection = match Connection::open(addr).await {
        Ok(connection) => connection,
        Err(e) => {
            let _ = results.send(Err(e));
            return 0;
        }
    };
    let mut gets = 0;
    for i in 0..MAX_PER_CLIENT {
        if i >= MIN_PER_CLIENT && done.load(Ordering::SeqCst) {
            break;
        }
        let preflight = i % 2 == 1;
        let reply = if preflight {
            let headers = [("origin", B), ("access-control-request-method", "PUT")];
            connection.send(Method::OPTIONS, "/", &headers).await
        } else {
            gets += 1;
            connection.send(Method::GET, "/", &[("origin", B)]).await
        };
        let failed = reply.is_err();
        let _ = results.send(reply.and_then(|reply| outcome(preflight, &reply)));
        if failed {
            break; // the connection is gone; the failure is reported
        }
    }
    gets
}

/// Every result the clients reported so far, tallied.
#[derive(Debug, Default)]
struct Tally {
    allowed: usize,
    denied: usize,
    failures: Vec<String>,
}

impl Tally {
    fn add(&mut self, result: Result<Outcome, String>) -> Option<Outcome> {
        match result {
            Ok(Outcome::Allowed) => self.allowed += 1,
            Ok(Outcome::Denied) => self.denied += 1,
            Err(e) => {
                self.failures.push(e);
                return None;
            }
        }
        result.ok()
    }

    /// Reads results until one is `wanted`: proof that traffic went on under the policy just swapped
    /// in. False when the clients stopped first.
    async fn until(
        &mut self,
        results: &mut mpsc::UnboundedReceiver<Result<Outcome, String>>,
        wanted: Outcome,
    ) -> bool {
        while let Some(result) = results.recv().await {
            if self.add(result) == Some(wanted) {
                return true;
            }
        }
        false
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_policy_swaps_under_traffic_and_an_invalid_one_is_refused() {
    timeout(TEST_LIMIT, async {
        let deny_b = PolicyConfig::new([APP]).methods(["PUT"]);
        let allow_b = PolicyConfig::new([APP, B]).methods(["PUT"]);
        let allow_b_toml = format!("origins = [\"{APP}\", \"{B}\"]\nmethods = [\"PUT\"]\n");
        let shared = SharedPolicy::new(Policy::new(&deny_b).expect("a valid policy"));
        let calls = Arc::new(AtomicUsize::new(0));
        let addr = serve(app(CorsLayer::shared(shared.clone()), &calls)).await;

        let done = Arc::new(AtomicBool::new(false));
        let (results, mut received) = mpsc::unbounded_channel();
        let clients: Vec<_> = (0..CLIENTS)
            .map(|_| tokio::spawn(client(addr, Arc::clone(&done), results.clone())))
            .collect();
        drop(results);

        // Deny B, allow B, deny B, … while the clients send; each swap waits until a reply shows it.
        // The three rounds swap in each way a server can: a configuration, a policy file's text, a
        // policy built beforehand.
        let mut tally = Tally::default();
        for round in 0..3 {
            match round {
                0 => drop(shared.reload(&allow_b).expect("a valid policy")),
                1 => drop(
                    shared
                        .reload_from_toml_str(&allow_b_toml)
                        .expect("a valid file"),
                ),
                _ => shared.store(Policy::new(&allow_b).expect("a valid policy")),
            }
            assert!(
                tally.until(&mut received, Outcome::Allowed).await,
                "round {round}: the clients stopped before B was allowed: {tally:?}"
            );
            drop(shared.reload(&deny_b).expect("a valid policy"));
            assert!(
                tally.until(&mut received, Outcome::Denied).await,
                "round {round}: the clients stopped before B was denied again: {tally:?}"
            );
        }
        done.store(true, Ordering::SeqCst);
        while let Some(result) = received.recv().await {
            tally.add(result);
        }
        let mut gets = 0;
        for client in clients {
            gets += client.await.expect("a client task");
        }

        assert!(
            tally.failures.is_empty(),
            "failed requests: {:#?}",
            tally.failures
        );
        let total = tally.allowed + tally.denied;
        assert!(
            (CLIENTS * MIN_PER_CLIENT..=CLIENTS * MAX_PER_CLIENT).contains(&total),
            "{total} requests"
        );
        assert!(tally.allowed >= 3 && tally.denied >= 3, "{tally:?}");
        // Only the `GET`s reached the handler; no preflight did.
        assert_eq!(calls.load(Ordering::SeqCst), gets);

        // An invalid reload is refused with its diagnostics, and the policy in effect stays.
        drop(shared.reload(&allow_b).expect("a valid policy"));
        let invalid = PolicyConfig::new([APP, "https://b.example.com/path"]).methods(["PUT"]);
        let errors = shared.reload(&invalid).expect_err("a path is refused");
        let errors: Vec<_> = errors.errors().collect();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(
            errors[0].kind,
            DiagnosticKind::InvalidOrigin(PatternErrorKind::Path)
        );
        assert_eq!((errors[0].key, errors[0].index), ("origins", Some(1)));
        assert_eq!(errors[0].value, "https://b.example.com/path");
        assert!(shared
            .reload_from_toml_str("origins = [\"https://b.example.com/path\"]")
            .is_err());
        assert_eq!(shared.load().policy().matcher().config_len(), 2);

        let mut connection = Connection::open(addr).await.expect("connect");
        let reply = connection.send(Method::GET, "/", &[("origin", B)]).await;
        assert_eq!(
            outcome(false, &reply.expect("a reply")),
            Ok(Outcome::Allowed)
        );
        let headers = [("origin", B), ("access-control-request-method", "PUT")];
        let reply = connection.send(Method::OPTIONS, "/", &headers).await;
        assert_eq!(
            outcome(true, &reply.expect("a reply")),
            Ok(Outcome::Allowed)
        );
    })
    .await
    .expect("the test finishes in time");
}
