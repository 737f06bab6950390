//! The fixtures of the layer benches (`benches/layer.rs`, criterion, and the `layers` group of
//! `benches/icount.rs`): one CORS configuration, the requests a browser sends, a trivial upstream
//! service, and the engines around it, each a `tower::Service` polled to completion in-process.
//!
//! * corsmatch's `Cors` (`corsmatch::tower`), from [`corsmatch_layer`];
//! * tower-http's `CorsLayer`, 0.7 and 0.6 (the version axum 0.8 pins), from [`tower_http_07()`] and
//!   [`tower_http_06()`], configured with the same origin list, methods, request headers, exposed
//!   headers, credentials and max age;
//! * the preflight's floor in the `http` crate, [`Floor`]: the same response with the same headers,
//!   appended from prepared `HeaderValue`s, without any decision;
//! * the actual request's floor, [`Upstream`] alone: the inner service without a layer.
//!
//! Requests are built as a server builds them: every header value a slice of one shared buffer (the
//! request head as read from the socket), so that cloning one is a reference count. The upstream
//! answers with a response prepared beforehand (taken from a slot, so that building it is not
//! measured), 200 with [`RESPONSE_HEADERS`]. [`serve`] drives every engine the same way: `poll_ready`,
//! `call`, and one poll of the future (every engine here completes on its first poll).
//!
//! tower-http answers a preflight with its configured lists and leaves the check of the requested
//! method and headers to the browser; corsmatch checks them and echoes what was asked. The headers
//! of the two answers differ accordingly (and 0.6 answers every request with the three-name `Vary`),
//! but each engine answers the same request allowed, with the same number of CORS headers.

use std::convert::Infallible;
use std::future::{Future, Ready};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use bytes::Bytes;
use http::header::{self, HeaderName, HeaderValue};
use http::{HeaderMap, Method, Request, Response, StatusCode};
use tower::{Layer, Service};

/// The allowlist: three exact origins.
pub const ORIGINS: [&str; 3] = [
    "https://www.example.com",
    "https://app.example.com",
    "https://admin.example.com",
];

/// The origin the requests come from: the second of [`ORIGINS`].
pub const ORIGIN: &str = "https://app.example.com";

/// Methods allowed beyond the safelisted `GET`, `HEAD` and `POST`.
pub const METHODS: [&str; 3] = ["PUT", "PATCH", "DELETE"];

/// Request headers a preflight may ask for.
pub const REQUEST_HEADERS: [&str; 3] = ["content-type", "authorization", "x-request-id"];

/// Response headers exposed to script.
pub const EXPOSE_HEADERS: [&str; 1] = ["x-request-id"];

/// `Access-Control-Max-Age`, in seconds.
pub const MAX_AGE: u64 = 600;

/// The 13 headers a browser (Firefox) sends with a preflight for a `PUT` with a JSON body and a
/// request id, in the order it sends them.
pub const PREFLIGHT_HEADERS: [(&str, &str); 13] = [
    ("host", "api.example.com"),
    (
        "user-agent",
        "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    ),
    ("accept", "*/*"),
    ("accept-language", "en-US,en;q=0.5"),
    ("accept-encoding", "gzip, deflate, br, zstd"),
    ("access-control-request-method", "PUT"),
    (
        "access-control-request-headers",
        "content-type,x-request-id",
    ),
    ("referer", "https://app.example.com/"),
    ("origin", ORIGIN),
    ("connection", "keep-alive"),
    ("sec-fetch-mode", "cors"),
    ("sec-fetch-site", "same-site"),
    ("sec-fetch-dest", "empty"),
];

/// The headers of the actual `GET` a page's `fetch` sends (the preflight's, without the
/// `Access-Control-Request-*` ones, accepting JSON).
pub const ACTUAL_HEADERS: [(&str, &str); 11] = [
    ("host", "api.example.com"),
    (
        "user-agent",
        "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    ),
    ("accept", "application/json"),
    ("accept-language", "en-US,en;q=0.5"),
    ("accept-encoding", "gzip, deflate, br, zstd"),
    ("referer", "https://app.example.com/"),
    ("origin", ORIGIN),
    ("connection", "keep-alive"),
    ("sec-fetch-mode", "cors"),
    ("sec-fetch-site", "same-site"),
    ("sec-fetch-dest", "empty"),
];

/// The 7 headers of the upstream's response to the actual request.
pub const RESPONSE_HEADERS: [(&str, &str); 7] = [
    ("content-type", "application/json"),
    ("content-length", "1432"),
    ("cache-control", "private, max-age=0"),
    ("date", "Sun, 22 Nov 2026 10:00:00 GMT"),
    ("etag", "\"5f1c8d0e3b7a\""),
    ("vary", "Accept-Encoding"),
    ("x-request-id", "0f9c2d4e-7b1a-4c3e-9d2f-6a8b5c1e3f70"),
];

/// A header map of `pairs`, each value a slice of one shared buffer (as a server's are: cloning one
/// is a reference count), with room for exactly these headers.
pub fn shared_headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
    let mut buffer = Vec::new();
    for (_, value) in pairs {
        buffer.extend_from_slice(value.as_bytes());
    }
    let buffer = Bytes::from(buffer);
    let mut headers = HeaderMap::with_capacity(pairs.len());
    let mut start = 0;
    for (name, value) in pairs {
        let end = start + value.len();
        let value =
            HeaderValue::from_maybe_shared(buffer.slice(start..end)).expect("a valid header value");
        headers.append(HeaderName::from_static(name), value);
        start = end;
    }
    headers
}

/// A request with `method`, path `/api/items/42` and `headers`.
pub fn request(method: Method, headers: HeaderMap) -> Request<()> {
    let mut request = Request::new(());
    *request.method_mut() = method;
    *request.uri_mut() = http::Uri::from_static("/api/items/42");
    *request.headers_mut() = headers;
    request
}

/// The preflight: `OPTIONS` with [`PREFLIGHT_HEADERS`].
pub fn preflight() -> Request<()> {
    request(Method::OPTIONS, shared_headers(&PREFLIGHT_HEADERS))
}

/// The actual request: `GET` with [`ACTUAL_HEADERS`].
pub fn actual() -> Request<()> {
    request(Method::GET, shared_headers(&ACTUAL_HEADERS))
}

/// The upstream's response: 200 with [`RESPONSE_HEADERS`] (values shared, as for the requests).
pub fn upstream_response() -> Response<()> {
    let mut response = Response::new(());
    *response.headers_mut() = shared_headers(&RESPONSE_HEADERS);
    response
}

/// The inner service: answers every request with the response put in its slot beforehand
/// ([`Upstream::prepare`]), or a clone of [`upstream_response`] when the slot is empty.
#[derive(Debug)]
pub struct Upstream {
    next: Option<Response<()>>,
    template: Response<()>,
}

impl Upstream {
    /// An upstream with an empty slot.
    pub fn new() -> Upstream {
        Upstream {
            next: None,
            template: upstream_response(),
        }
    }

    /// The response of the next call.
    pub fn prepare(&mut self, response: Response<()>) {
        self.next = Some(response);
    }
}

impl Default for Upstream {
    fn default() -> Upstream {
        Upstream::new()
    }
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
        let response = self.next.take().unwrap_or_else(|| self.template.clone());
        std::future::ready(Ok(response))
    }
}

/// corsmatch's layer around [`Upstream`].
pub type CorsmatchService = corsmatch::tower::Cors<Upstream>;

/// tower-http 0.7's layer around [`Upstream`].
pub type TowerHttp07Service = tower_http::cors::Cors<Upstream>;

/// tower-http 0.6's layer around [`Upstream`].
pub type TowerHttp06Service = tower_http_06::cors::Cors<Upstream>;

/// corsmatch's `Cors` with the configuration of this module.
pub fn corsmatch_layer() -> CorsmatchService {
    corsmatch::tower::CorsLayer::builder()
        .allow_origin(ORIGINS)
        .allow_methods(METHODS)
        .allow_headers(REQUEST_HEADERS)
        .expose_headers(EXPOSE_HEADERS)
        .allow_credentials(true)
        .max_age(Duration::from_secs(MAX_AGE))
        .build()
        .expect("a valid policy")
        .layer(Upstream::new())
}

/// Every allowed method, for tower-http (which has no implicit safelisted methods).
fn all_methods() -> Vec<Method> {
    ["GET", "HEAD", "POST"]
        .into_iter()
        .chain(METHODS)
        .map(|m| Method::from_bytes(m.as_bytes()).expect("a method"))
        .collect()
}

/// `HeaderValue`s of [`ORIGINS`].
fn origin_values() -> Vec<HeaderValue> {
    ORIGINS
        .iter()
        .map(|o| HeaderValue::from_static(o))
        .collect()
}

/// `HeaderName`s of `names`.
fn header_names(names: &[&'static str]) -> Vec<HeaderName> {
    names.iter().map(|n| HeaderName::from_static(n)).collect()
}

/// tower-http 0.7's `Cors` with the configuration of this module.
pub fn tower_http_07() -> TowerHttp07Service {
    use tower_http::cors::{AllowOrigin, CorsLayer};
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origin_values()))
        .allow_methods(all_methods())
        .allow_headers(header_names(&REQUEST_HEADERS))
        .expose_headers(header_names(&EXPOSE_HEADERS))
        .allow_credentials(true)
        .max_age(Duration::from_secs(MAX_AGE))
        .layer(Upstream::new())
}

/// tower-http 0.6's `Cors` with the configuration of this module.
pub fn tower_http_06() -> TowerHttp06Service {
    use tower_http_06::cors::{AllowOrigin, CorsLayer};
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origin_values()))
        .allow_methods(all_methods())
        .allow_headers(header_names(&REQUEST_HEADERS))
        .expose_headers(header_names(&EXPOSE_HEADERS))
        .allow_credentials(true)
        .max_age(Duration::from_secs(MAX_AGE))
        .layer(Upstream::new())
}

/// The floor of the preflight: a service that answers every request with corsmatch's answer to
/// [`preflight`] (204 and the same six headers), appending clones of `HeaderValue`s prepared once,
/// without looking at the request.
#[derive(Debug)]
pub struct Floor {
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl Floor {
    /// The floor answering with `corsmatch_layer`'s headers for [`preflight`], in the same order.
    pub fn new() -> Floor {
        let response = serve(&mut corsmatch_layer(), preflight());
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        let headers: Vec<_> = response
            .headers()
            .iter()
            .map(|(name, value)| {
                (
                    name.clone(),
                    HeaderValue::from_bytes(value.as_bytes()).expect("a valid value"),
                )
            })
            .collect();
        // Shared buffers from the start, as corsmatch's are.
        for (_, value) in &headers {
            drop(value.clone());
        }
        Floor { headers }
    }
}

impl Default for Floor {
    fn default() -> Floor {
        Floor::new()
    }
}

impl Service<Request<()>> for Floor {
    type Response = Response<()>;
    type Error = Infallible;
    type Future = Ready<Result<Response<()>, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<()>) -> Self::Future {
        drop(request);
        let mut response = Response::new(());
        *response.status_mut() = StatusCode::NO_CONTENT;
        let headers = response.headers_mut();
        for (name, value) in &self.headers {
            headers.append(name.clone(), value.clone());
        }
        std::future::ready(Ok(response))
    }
}

/// Drives `service` as a server does: `poll_ready`, `call`, then polls the future until it is
/// ready (once, for every engine here).
pub fn serve<S>(service: &mut S, request: Request<()>) -> Response<()>
where
    S: Service<Request<()>, Response = Response<()>, Error = Infallible>,
{
    let mut cx = Context::from_waker(Waker::noop());
    match service.poll_ready(&mut cx) {
        Poll::Ready(Ok(())) => {}
        Poll::Ready(Err(never)) => match never {},
        Poll::Pending => panic!("the services here are always ready"),
    }
    let mut future = std::pin::pin!(service.call(request));
    loop {
        if let Poll::Ready(result) = future.as_mut().poll(&mut cx) {
            return match result {
                Ok(response) => response,
                Err(never) => match never {},
            };
        }
    }
}

/// The number of CORS headers (`Access-Control-*` and `Vary` values) on `response`.
pub fn cors_headers(response: &Response<()>) -> usize {
    response
        .headers()
        .iter()
        .filter(|(name, _)| name.as_str().starts_with("access-control-") || *name == header::VARY)
        .count()
}

/// Panics unless `response` allows [`preflight`]: 204 (corsmatch, the floor) or 200 (tower-http),
/// `Access-Control-Allow-Origin: ` [`ORIGIN`] and six CORS headers (allow-origin, -credentials,
/// -methods, -headers, max-age, `Vary`).
pub fn assert_allowed_preflight(response: &Response<()>) {
    assert!(
        matches!(response.status(), StatusCode::OK | StatusCode::NO_CONTENT),
        "{response:?}"
    );
    assert_eq!(
        response.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        ORIGIN
    );
    assert_eq!(cors_headers(response), 6, "{response:?}");
    assert_eq!(response.headers().len(), 6, "{response:?}");
}

/// Panics unless `response` allows [`actual`]: the upstream's 200 with its 7 headers, plus
/// `Access-Control-Allow-Origin: ` [`ORIGIN`], -credentials, -expose-headers and a second `Vary`
/// value.
pub fn assert_allowed_actual(response: &Response<()>) {
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        ORIGIN
    );
    assert_eq!(response.headers().get_all(header::VARY).iter().count(), 2);
    assert_eq!(cors_headers(response), 5, "{response:?}");
    assert_eq!(response.headers().len(), 11, "{response:?}");
}
