//! Target `http_adapter`: the `http` adapter and the tower layer, fed arbitrary header maps, against
//! the bytes-level decision.
//!
//! The input decodes into a policy (the `decision` target's generator), a method, a request
//! `HeaderMap` (several values per name, names in any case, values that are not UTF-8, values of up
//! to a few hundred KiB) and the headers of an upstream response. The expected answer is worked out
//! here, without the adapter: the raw [`Request`] read from the map with `get_all` (a second `Origin`
//! or `Access-Control-Request-Method` makes the value empty, as the adapter documents; every
//! `Access-Control-Request-Headers` line in order; the first `Access-Control-Request-Private-Network`),
//! decided by [`Policy::evaluate`], and the response that decision gives built by a naive model of
//! the documented rules (the upstream's CORS headers removed, the decision's appended in order, its
//! `Vary` tokens merged). Then each way the library offers must give exactly that:
//!
//! - [`RequestView::new`] + [`Policy::evaluate`]: the same decision (kind, reason, status, headers);
//! - [`apply`] and [`preflight_response`], and [`RequestView::apply`], [`RequestView::preflight_response`];
//! - [`HttpPolicy::decide`]: the [`Verdict`]'s kind, reason and status, [`Verdict::apply`] and
//!   [`Verdict::into_preflight_response`];
//! - the tower layer ([`CorsLayer`], fixed and [`SharedPolicy`]): a preflight answered without calling
//!   the inner service, any other request passed on exactly once with the decision applied to the
//!   upstream's response, and the observer told the same decision once.

use std::cell::RefCell;
use std::convert::Infallible;
use std::future::{Future, Ready};
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use arbitrary::{Result as ArbResult, Unstructured};
use corsmatch::http::{apply, preflight_response, HttpPolicy, RequestView};
use corsmatch::policy::{Decision, Policy, PolicyConfig, Request};
use corsmatch::tower::{CorsLayer, SharedPolicy};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Response};
use tower_layer::Layer;
use tower_service::Service;

use super::cache::{self, Lru};
use super::{policy_config, regex_turn, PAGE_ORIGINS, SCRIPT_HEADERS, SCRIPT_METHODS};

/// The response headers the policy owns (removed from an upstream response whatever the decision).
const CORS_RESPONSE_HEADERS: [&str; 7] = [
    "access-control-allow-origin",
    "access-control-allow-credentials",
    "access-control-allow-methods",
    "access-control-allow-headers",
    "access-control-max-age",
    "access-control-allow-private-network",
    "access-control-expose-headers",
];

/// What a decision is, for comparisons: kind, reason, status, and its headers in order.
type Summary = (
    &'static str,
    Option<&'static str>,
    Option<u16>,
    Vec<(String, Vec<u8>)>,
);

fn summary(d: &Decision<'_, '_>) -> Summary {
    (
        d.kind().name(),
        d.reason().map(|r| r.name()),
        d.status(),
        d.headers()
            .map(|(n, v)| (n.to_string(), v.to_vec()))
            .collect(),
    )
}

/// The response a decision gives, by the documented rules: `upstream` without the CORS headers, then
/// the decision's headers in order; the decision's `Vary` tokens that no `Vary` line of `upstream`
/// holds (case-insensitively) appended as one more line joined with `, `, none when one holds `*`.
fn expected_headers(decision: &[(String, Vec<u8>)], upstream: &HeaderMap) -> HeaderMap {
    let mut out = HeaderMap::new();
    for (name, value) in upstream {
        if !CORS_RESPONSE_HEADERS.contains(&name.as_str()) {
            out.append(name.clone(), value.clone());
        }
    }
    let tokens = |v: &[u8]| -> Vec<Vec<u8>> {
        v.split(|&b| b == b',')
            .map(|t| t.trim_ascii().to_vec())
            .collect()
    };
    for (name, value) in decision {
        let value_ok = HeaderValue::from_bytes(value).unwrap_or_else(|_| {
            panic!(
                "the decision gives {name} a value that is not a header value: {:?}",
                value.escape_ascii().to_string()
            )
        });
        if name != "vary" {
            out.append(
                HeaderName::from_bytes(name.as_bytes()).expect("a header name"),
                value_ok,
            );
            continue;
        }
        let existing: Vec<Vec<u8>> = upstream
            .get_all(http::header::VARY)
            .iter()
            .flat_map(|v| tokens(v.as_bytes()))
            .collect();
        if existing.iter().any(|t| t == b"*") {
            continue;
        }
        let missing: Vec<Vec<u8>> = tokens(value)
            .into_iter()
            .filter(|t| !existing.iter().any(|e| e.eq_ignore_ascii_case(t)))
            .collect();
        if !missing.is_empty() {
            let joined = missing.join(&b", "[..]);
            out.append(
                http::header::VARY,
                HeaderValue::from_bytes(&joined).expect("tokens of a header value"),
            );
        }
    }
    out
}

/// The request as the adapter documents reading it, with `get_all`.
struct RawRequest {
    method: Vec<u8>,
    origin: Option<Vec<u8>>,
    request_method: Option<Vec<u8>>,
    lines: Vec<Vec<u8>>,
    private_network: bool,
}

impl RawRequest {
    fn read(method: &Method, headers: &HeaderMap) -> RawRequest {
        // A single-valued header sent twice is garbage: an empty value, which no grammar accepts.
        let single = |name: &str| {
            let all: Vec<&HeaderValue> = headers.get_all(name).iter().collect();
            match all.as_slice() {
                [] => None,
                [one] => Some(one.as_bytes().to_vec()),
                _ => Some(Vec::new()),
            }
        };
        RawRequest {
            method: method.as_str().as_bytes().to_vec(),
            origin: single("origin"),
            request_method: single("access-control-request-method"),
            lines: headers
                .get_all("access-control-request-headers")
                .iter()
                .map(|v| v.as_bytes().to_vec())
                .collect(),
            private_network: headers
                .get_all("access-control-request-private-network")
                .iter()
                .next()
                .is_some_and(|v| v.as_bytes() == b"true"),
        }
    }
}

/// A policy, with the adapters built from it once.
struct Built {
    config: PolicyConfig,
    policy: Policy,
    http: HttpPolicy,
    fixed: CorsLayer,
    shared: CorsLayer,
    /// What the layers' observer was told, since it was last cleared.
    observed: Arc<Mutex<Vec<Summary>>>,
}

fn build(config: &PolicyConfig) -> Option<Rc<Built>> {
    let policy = Policy::new(config).ok()?;
    let observed: Arc<Mutex<Vec<Summary>>> = Arc::default();
    let log = observed.clone();
    let observer = move |d: &Decision<'_, '_>| log.lock().expect("not poisoned").push(summary(d));
    Some(Rc::new(Built {
        config: config.clone(),
        http: HttpPolicy::new(policy.clone()),
        fixed: CorsLayer::new(policy.clone()).observe(observer.clone()),
        shared: CorsLayer::shared(SharedPolicy::new(policy.clone())).observe(observer),
        policy,
        observed,
    }))
}

/// The policies built so far, by their configuration (see [`cache`]).
fn built(config: &PolicyConfig) -> Option<Rc<Built>> {
    thread_local! {
        static BUILT: RefCell<Lru<String, Option<Rc<Built>>>> = RefCell::new(Lru::new(64));
    }
    if !cache::enabled() {
        return build(config);
    }
    let key = format!("{config:?}");
    if let Some(hit) = BUILT.with_borrow_mut(|c| c.get(&key)) {
        return hit;
    }
    let value = build(config);
    BUILT.with_borrow_mut(|c| c.insert(key, value.clone()));
    value
}

/// The inner service of the layer: answers with a prepared response, and counts its calls.
#[derive(Clone)]
struct Upstream {
    status: u16,
    headers: HeaderMap,
    calls: usize,
}

impl Service<http::Request<()>> for Upstream {
    type Response = Response<()>;
    type Error = Infallible;
    type Future = Ready<Result<Response<()>, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: http::Request<()>) -> Self::Future {
        self.calls += 1;
        let mut response = Response::new(());
        *response.status_mut() = http::StatusCode::from_u16(self.status).expect("a status");
        *response.headers_mut() = self.headers.clone();
        std::future::ready(Ok(response))
    }
}

/// Runs `request` through the layer around `upstream`: the response and how often the upstream was
/// called.
fn through_layer(
    layer: &CorsLayer,
    upstream: &Upstream,
    request: http::Request<()>,
) -> (Response<()>, usize) {
    let mut service = layer.layer(upstream.clone());
    let mut cx = Context::from_waker(Waker::noop());
    assert!(
        matches!(service.poll_ready(&mut cx), Poll::Ready(Ok(()))),
        "the layer is not ready when its inner service is"
    );
    let future = std::pin::pin!(service.call(request));
    let Poll::Ready(Ok(response)) = future.poll(&mut cx) else {
        panic!("the layer's future is not ready when the inner service's is")
    };
    (response, service.get_ref().calls)
}

const NAMES: &[&str] = &[
    "origin",
    "Origin",
    "ORIGIN",
    "access-control-request-method",
    "Access-Control-Request-Method",
    "access-control-request-headers",
    "Access-Control-Request-Headers",
    "access-control-request-private-network",
    "host",
    "content-type",
    "vary",
    "access-control-allow-origin",
    "x-request-id",
];
const UPSTREAM_NAMES: &[&str] = &[
    "vary",
    "Vary",
    "access-control-allow-origin",
    "access-control-allow-credentials",
    "access-control-allow-methods",
    "access-control-allow-headers",
    "access-control-max-age",
    "access-control-allow-private-network",
    "access-control-expose-headers",
    "access-control-request-method",
    "access-control-x",
    "content-type",
    "set-cookie",
];
const VALUES: &[&str] = &[
    "",
    "true",
    "TRUE",
    "*",
    "null",
    "Origin",
    "origin, accept",
    "Accept-Encoding",
    "ORIGIN ,  *",
    "Access-Control-Request-Method, Access-Control-Request-Headers",
    "content-type, x-api-key",
    "content-type,,x-api-key",
    " content-type ",
    "authorization",
    "x-requested-with, *",
];

/// A header value: from the pools, arbitrary bytes (control bytes but tab made printable, so that
/// bytes from 0x80 up, not UTF-8, stay), or one of those repeated into a huge value.
fn value(u: &mut Unstructured<'_>) -> ArbResult<HeaderValue> {
    let mut bytes: Vec<u8> = match u.int_in_range(0..=9)? {
        0..=2 => u.choose(PAGE_ORIGINS)?.as_bytes().to_vec(),
        3 => u.choose(SCRIPT_METHODS)?.as_bytes().to_vec(),
        4 => u.choose(SCRIPT_HEADERS)?.0.as_bytes().to_vec(),
        5 | 6 => u.choose(VALUES)?.as_bytes().to_vec(),
        _ => {
            let len = u.int_in_range(0..=24)?;
            u.bytes(len)?.to_vec()
        }
    };
    if u.ratio(1, 8)? {
        // Huge: up to 256 KiB.
        let times = u.int_in_range(1..=4096)?;
        let unit = if bytes.is_empty() {
            b"x".to_vec()
        } else {
            bytes.clone()
        };
        let unit = &unit[..unit.len().min(64)];
        bytes = unit.repeat(times);
        if u.arbitrary()? {
            bytes.push(b',');
            bytes.extend_from_slice(u.choose(PAGE_ORIGINS)?.as_bytes());
        }
    }
    for b in &mut bytes {
        if *b < 0x20 && *b != b'\t' {
            *b |= 0x40;
        } else if *b == 0x7f {
            *b = b'~';
        }
    }
    Ok(HeaderValue::from_bytes(&bytes).expect("no control bytes left"))
}

fn name(u: &mut Unstructured<'_>, pool: &[&str]) -> ArbResult<HeaderName> {
    if u.ratio(1, 16)? {
        let len = u.int_in_range(1..=12)?;
        let token: Vec<u8> = (0..len)
            .map(|_| Ok(*u.choose(b"abcxyz-_!~ORIGN")?))
            .collect::<ArbResult<_>>()?;
        if let Ok(name) = HeaderName::from_bytes(&token) {
            return Ok(name);
        }
    }
    // `from_bytes` lowercases the name.
    Ok(HeaderName::from_bytes(u.choose(pool)?.as_bytes()).expect("a header name"))
}

fn header_map(u: &mut Unstructured<'_>, pool: &[&str], most: usize) -> ArbResult<HeaderMap> {
    let mut headers = HeaderMap::new();
    let n = u.int_in_range(0..=most)?;
    for _ in 0..n {
        let name = name(u, pool)?;
        // Several values per name, in a row.
        for _ in 0..u.int_in_range(1..=3)? {
            headers.append(name.clone(), value(u)?);
        }
    }
    if u.arbitrary()? {
        // As a server's: every value shares its buffer.
        for v in headers.values() {
            drop(v.clone());
        }
    }
    Ok(headers)
}

fn method(u: &mut Unstructured<'_>) -> ArbResult<Method> {
    Ok(match u.int_in_range(0..=7)? {
        0..=3 => Method::OPTIONS,
        4 => Method::from_bytes(u.choose(SCRIPT_METHODS)?.as_bytes()).expect("a method"),
        5 => Method::GET,
        6 => Method::from_bytes(b"options").expect("a method"),
        _ => {
            let len = u.int_in_range(1..=8)?;
            let token: Vec<u8> = (0..len)
                .map(|_| Ok(*u.choose(b"OPTIONSGETPUTx-!")?))
                .collect::<ArbResult<_>>()?;
            Method::from_bytes(&token).unwrap_or(Method::PUT)
        }
    })
}

/// A reproduction: the policy, the request and the upstream response.
fn describe(config: &PolicyConfig, method: &Method, headers: &HeaderMap, up: &Upstream) -> String {
    let show = |map: &HeaderMap| {
        map.iter()
            .map(|(n, v)| {
                let v = v.as_bytes();
                let shown = v[..v.len().min(200)].escape_ascii().to_string();
                format!(
                    "  {n}: {shown}{}",
                    if v.len() > 200 {
                        format!("… ({} bytes)", v.len())
                    } else {
                        String::new()
                    }
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    format!(
        "policy: {config:?}\nrequest: {method}\n{}\nupstream response: {}\n{}",
        show(headers),
        up.status,
        show(&up.headers)
    )
}

/// Target `http_adapter` (see the module docs).
pub fn http_adapter(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let decoded = (|| -> ArbResult<_> {
        let config = policy_config(&mut u, regex_turn(data))?;
        let method = method(&mut u)?;
        let headers = header_map(&mut u, NAMES, 8)?;
        let upstream = Upstream {
            status: *u.choose(&[200, 404, 500, 204])?,
            headers: header_map(&mut u, UPSTREAM_NAMES, 6)?,
            calls: 0,
        };
        Ok((config, method, headers, upstream))
    })();
    let Ok((config, method, headers, upstream)) = decoded else {
        return;
    };
    let Some(built) = built(&config) else {
        return;
    };
    if let Err(e) = check_adapter(&built, &method, &headers, &upstream) {
        panic!(
            "http adapter disagreement: {e}\n{}",
            describe(&built.config, &method, &headers, &upstream)
        );
    }
}

fn check_adapter(
    built: &Built,
    method: &Method,
    headers: &HeaderMap,
    upstream: &Upstream,
) -> Result<(), String> {
    let raw = RawRequest::read(method, headers);
    let lines: Vec<&[u8]> = raw.lines.iter().map(Vec::as_slice).collect();
    let request = Request {
        method: &raw.method,
        origin: raw.origin.as_deref(),
        request_method: raw.request_method.as_deref(),
        request_headers: &lines,
        private_network: raw.private_network,
    };
    let decision = built.policy.evaluate(&request);
    let want = summary(&decision);
    let (kind, reason, status, decided) = &want;
    let preflight = status.is_some();
    let want_passed_on = expected_headers(decided, &upstream.headers);
    let want_answer = expected_headers(decided, &HeaderMap::new());
    let same_answer = |what: &str, got: Option<Response<()>>| -> Result<(), String> {
        match (got, status) {
            (None, None) => Ok(()),
            (Some(r), Some(s)) if r.status() == *s && r.headers() == &want_answer => Ok(()),
            (got, _) => Err(format!(
                "{what}: {:?}, expected status {status:?} and {want_answer:?}",
                got.map(|r| (r.status(), r.headers().clone()))
            )),
        }
    };
    let same_headers = |what: &str, got: &HeaderMap| -> Result<(), String> {
        if got == &want_passed_on {
            Ok(())
        } else {
            Err(format!("{what}: {got:?}, expected {want_passed_on:?}"))
        }
    };

    // The borrowing adapter.
    let view = RequestView::new(method, headers);
    let viewed = view.request();
    let by_view = built.policy.evaluate(&viewed);
    if summary(&by_view) != want {
        return Err(format!(
            "RequestView decides {:?}, the raw request {want:?}",
            summary(&by_view)
        ));
    }
    let mut h = upstream.headers.clone();
    apply(&decision, &mut h);
    same_headers("apply", &h)?;
    let mut h = upstream.headers.clone();
    view.apply(&by_view, &mut h);
    same_headers("RequestView::apply", &h)?;
    same_answer("preflight_response", preflight_response(&decision))?;
    same_answer(
        "RequestView::preflight_response",
        view.preflight_response(&by_view),
    )?;

    // The detached verdict.
    let verdict = built.http.decide(method, headers);
    let got = (
        verdict.kind().name(),
        verdict.reason(),
        verdict.status().map(|s| s.as_u16()),
    );
    if got != (*kind, *reason, *status) {
        return Err(format!(
            "Verdict {got:?}, expected {:?}",
            (kind, reason, status)
        ));
    }
    let mut h = upstream.headers.clone();
    verdict.clone().apply(&mut h);
    same_headers("Verdict::apply", &h)?;
    same_answer(
        "Verdict::into_preflight_response",
        verdict.into_preflight_response(),
    )?;

    // The tower layer, fixed and shared.
    for (which, layer) in [("fixed", &built.fixed), ("shared", &built.shared)] {
        built.observed.lock().expect("not poisoned").clear();
        let mut request = http::Request::new(());
        *request.method_mut() = method.clone();
        *request.headers_mut() = headers.clone();
        let (response, calls) = through_layer(layer, upstream, request);
        let observed = std::mem::take(&mut *built.observed.lock().expect("not poisoned"));
        if observed.len() != 1 || observed[0] != want {
            return Err(format!(
                "the {which} layer's observer saw {observed:?}, expected one {want:?}"
            ));
        }
        if preflight {
            if calls != 0 {
                return Err(format!("the {which} layer passed a preflight on"));
            }
            same_answer(&format!("the {which} layer's answer"), Some(response))?;
        } else {
            if calls != 1 || response.status() != upstream.status {
                return Err(format!(
                    "the {which} layer called the upstream {calls} times, answered {}",
                    response.status()
                ));
            }
            same_headers(&format!("the {which} layer's response"), response.headers())?;
        }
    }
    Ok(())
}
