//! Allocations made by the tower layer per request, under a counting global allocator: the layer
//! around an upstream that answers with a response prepared beforehand, so that every allocation
//! counted is the layer's (or the `http` crate's on its behalf).
//!
//! The request's header values share their buffer, as a server's do (`hyper` slices them out of its
//! read buffer): here each is cloned once before the measured calls, which makes it shared, so that
//! cloning it again is a reference count.

use std::convert::Infallible;
use std::future::{Future, Ready};
use std::hint::black_box;
use std::task::{Context, Poll, Waker};

use corsmatch::policy::{Policy, PolicyConfig};
use corsmatch::tower::{CorsLayer, SharedPolicy};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Response};
use tower_layer::Layer;
use tower_service::Service;

mod common;

use common::allocations_in;

#[global_allocator]
static GLOBAL: common::Counting = common::Counting;

fn config() -> PolicyConfig {
    PolicyConfig::new(["https://www.example.com", "https://app.example.com"])
        .methods(["PUT", "DELETE"])
        .request_headers(["content-type", "x-request-id"])
        .expose_headers(["x-request-id"])
        .credentials(true)
        .max_age(600)
        .private_network(true)
}

/// A header map of `pairs` whose values share their buffer (cloned once).
fn shared(pairs: &[(&'static str, &str)]) -> HeaderMap {
    let mut headers = HeaderMap::with_capacity(pairs.len());
    for (name, value) in pairs {
        headers.append(
            HeaderName::from_static(name),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    for value in headers.values() {
        drop(value.clone());
    }
    headers
}

/// A browser's request headers, `origin` and `extra` among them.
fn request(method: Method, origin: &str, extra: &[(&'static str, &str)]) -> Request<()> {
    let mut pairs = vec![
        ("host", "api.example.com"),
        ("user-agent", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0)"),
        ("accept", "*/*"),
        ("accept-language", "en-US,en;q=0.5"),
        ("accept-encoding", "gzip, deflate, br, zstd"),
        ("origin", origin),
        ("referer", "https://app.example.com/"),
        ("sec-fetch-mode", "cors"),
        ("sec-fetch-site", "same-site"),
        ("sec-fetch-dest", "empty"),
    ];
    if origin.is_empty() {
        pairs.retain(|(name, _)| *name != "origin");
    }
    pairs.extend_from_slice(extra);
    let mut request = Request::new(());
    *request.method_mut() = method;
    *request.headers_mut() = shared(&pairs);
    request
}

fn preflight(origin: &str, method: &str, private_network: bool) -> Request<()> {
    let mut extra = vec![
        ("access-control-request-method", method),
        (
            "access-control-request-headers",
            "content-type,x-request-id",
        ),
    ];
    if private_network {
        extra.push(("access-control-request-private-network", "true"));
    }
    request(Method::OPTIONS, origin, &extra)
}

/// The upstream's response: 200 with 7 headers (`Vary: Accept-Encoding` among them when `vary`).
fn upstream_response(vary: bool) -> Response<()> {
    let mut pairs = vec![
        ("content-type", "application/json"),
        ("content-length", "1432"),
        ("cache-control", "private, max-age=0"),
        ("date", "Sun, 22 Nov 2026 10:00:00 GMT"),
        ("etag", "\"5f1c8d0e3b7a\""),
        ("x-request-id", "0f9c2d4e-7b1a-4c3e-9d2f-6a8b5c1e3f70"),
        ("vary", "Accept-Encoding"),
    ];
    if !vary {
        pairs[6] = ("server", "example");
    }
    let mut response = Response::new(());
    *response.headers_mut() = shared(&pairs);
    response
}

/// Answers with the response put in its slot; allocates nothing.
#[derive(Default)]
struct Upstream {
    next: Option<Response<()>>,
}

impl Service<Request<()>> for Upstream {
    type Response = Response<()>;
    type Error = Infallible;
    type Future = Ready<Result<Response<()>, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<()>) -> Self::Future {
        drop(request);
        std::future::ready(Ok(self.next.take().expect("a prepared response")))
    }
}

/// `poll_ready`, `call`, and the future polled to completion.
fn serve<S>(service: &mut S, request: Request<()>) -> Response<()>
where
    S: Service<Request<()>, Response = Response<()>, Error = Infallible>,
{
    let mut cx = Context::from_waker(Waker::noop());
    assert!(service.poll_ready(&mut cx).is_ready());
    let mut future = std::pin::pin!(service.call(request));
    match future.as_mut().poll(&mut cx) {
        Poll::Ready(Ok(response)) => response,
        Poll::Ready(Err(never)) => match never {},
        Poll::Pending => panic!("the upstream is ready at once"),
    }
}

/// Allocations of one request through `service` (which exposes its upstream through `upstream`),
/// the request and the upstream's response made beforehand and the response dropped afterwards;
/// the most over 20 calls after a first one (which does one-time work, such as a thread's first
/// read of a shared policy).
fn per_request<S>(
    service: &mut S,
    upstream: fn(&mut S) -> &mut Upstream,
    request: &dyn Fn() -> Request<()>,
    vary: bool,
) -> (u64, Response<()>)
where
    S: Service<Request<()>, Response = Response<()>, Error = Infallible>,
{
    let mut most = 0;
    let mut last = None;
    for round in 0..=20 {
        let request = request();
        upstream(service).next = Some(upstream_response(vary));
        let mut response = None;
        let allocations = allocations_in(|| response = Some(serve(service, request)));
        if round > 0 {
            most = most.max(allocations);
        }
        last = response;
    }
    (most, black_box(last.expect("a response")))
}

fn layer() -> corsmatch::tower::Cors<Upstream> {
    CorsLayer::from_config(&config())
        .unwrap()
        .layer(Upstream::default())
}

fn shared_layer() -> corsmatch::tower::Cors<Upstream> {
    CorsLayer::shared(SharedPolicy::new(Policy::new(&config()).unwrap())).layer(Upstream::default())
}

/// The allocations of a request through `service`: a preflight (`status` the answer's) or a request
/// passed on.
fn check(
    service: &mut corsmatch::tower::Cors<Upstream>,
    label: &str,
    request: &dyn Fn() -> Request<()>,
    vary: bool,
    status: u16,
    allocations: u64,
) {
    let (got, response) = per_request(service, |s| s.get_mut(), request, vary);
    assert_eq!(response.status(), status, "{label}");
    assert_eq!(got, allocations, "{label}");
}

/// A case: its label, the request, whether the upstream sets `Vary`, the status of the response and
/// the allocations of the layer.
type Case<'a> = (&'a str, &'a dyn Fn() -> Request<()>, bool, u16, u64);

/// An allowed preflight allocates only the response's header map (its two buffers); a request passed
/// on allocates nothing beyond the upstream when the upstream's map has room for the CORS headers and
/// holds no `Vary` of its own. Appending a second `Vary` value allocates the map's list of extra
/// values (one allocation, the `http` crate's, made by any layer that adds to `Vary`).
#[test]
fn allocations_per_request_through_the_layer() {
    let origin = "https://app.example.com";
    let actual = || request(Method::GET, origin, &[]);
    for (name, mut service) in [("fixed", layer()), ("shared", shared_layer())] {
        let cases: [Case<'_>; 9] = [
            (
                "allowed preflight",
                &|| preflight(origin, "PUT", false),
                false,
                204,
                2,
            ),
            (
                "allowed preflight, private network",
                &|| preflight(origin, "PUT", true),
                false,
                204,
                2,
            ),
            (
                "denied preflight (method)",
                &|| preflight(origin, "PATCH", false),
                false,
                403,
                2,
            ),
            (
                "denied preflight (origin)",
                &|| preflight("https://evil.example", "PUT", false),
                false,
                403,
                2,
            ),
            ("allowed actual request", &actual, false, 200, 0),
            (
                "allowed actual request, upstream Vary",
                &actual,
                true,
                200,
                1,
            ),
            (
                "denied actual request",
                &|| request(Method::GET, "https://evil.example", &[]),
                false,
                200,
                0,
            ),
            ("not CORS", &|| request(Method::GET, "", &[]), false, 200, 0),
            (
                "plain OPTIONS (passed on)",
                &|| request(Method::OPTIONS, origin, &[]),
                false,
                200,
                0,
            ),
        ];
        for (label, request, vary, status, allocations) in cases {
            check(
                &mut service,
                &format!("{name} policy, {label}"),
                request,
                vary,
                status,
                allocations,
            );
        }
    }
}

/// The upstream alone, for comparison: the request passed on and the prepared response handed back
/// allocate nothing, so the counts above are the layer's.
#[test]
fn the_upstream_alone_allocates_nothing() {
    let mut upstream = Upstream::default();
    for vary in [false, true] {
        let (allocations, response) = per_request(
            &mut upstream,
            |s| s,
            &|| request(Method::GET, "https://app.example.com", &[]),
            vary,
        );
        assert_eq!(allocations, 0);
        assert_eq!(response.headers().len(), 7);
    }
}
