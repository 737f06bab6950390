//! Adapter for the [`http`] crate (feature `http`, on by default): read a [`Request`] from an
//! `http::Method` and `http::HeaderMap`, apply a [`Decision`] to a response's headers, build the answer
//! to a preflight — with [`apply`] and [`preflight_response`] for any decision, or with
//! [`RequestView::apply`] and [`RequestView::preflight_response`] for a decision about the view's
//! request, which reuse the request's header values instead of copying them.
//!
//! A service that must move the request on before the response exists (a tower layer) decides with
//! [`HttpPolicy::decide`] instead, which returns a [`Verdict`] that no longer borrows the request.
//!
//! The policy owns the CORS response headers: whatever the upstream response set, [`apply`] leaves it
//! with exactly the `Access-Control-*` headers the decision gives, on every path (a request without
//! `Origin` included), and merges the decision's `Vary` tokens into the upstream's.
//!
//! ```
//! use corsmatch::http::{apply, preflight_response, RequestView};
//! use corsmatch::{Policy, PolicyConfig};
//!
//! let policy = Policy::new(&PolicyConfig::new(["https://app.example.com"]).methods(["PUT"]))?;
//!
//! let mut headers = http::HeaderMap::new();
//! headers.insert("origin", "https://app.example.com".parse()?);
//! headers.insert("access-control-request-method", "PUT".parse()?);
//! let view = RequestView::new(&http::Method::OPTIONS, &headers);
//! let decision = policy.evaluate(&view.request());
//! let response = preflight_response(&decision).expect("a preflight");
//! assert_eq!(response.status(), 204);
//! assert_eq!(response.headers()["access-control-allow-origin"], "https://app.example.com");
//! // The same, with the request's own header values cloned rather than copied.
//! assert_eq!(view.preflight_response(&decision).expect("a preflight").headers(), response.headers());
//!
//! // For an actual request, pass it on and apply the decision to the upstream response.
//! let mut upstream = http::HeaderMap::new();
//! upstream.insert("vary", "Accept-Encoding".parse()?);
//! headers.remove("access-control-request-method");
//! let view = RequestView::new(&http::Method::GET, &headers);
//! apply(&policy.evaluate(&view.request()), &mut upstream);
//! assert_eq!(upstream.get_all("vary").iter().collect::<Vec<_>>(), ["Accept-Encoding", "Origin"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#[cfg(feature = "tower")]
mod answers;
#[cfg(feature = "tower")]
pub(crate) mod route;
mod verdict;

pub use verdict::{HttpPolicy, Verdict};

use http::header::{self, Entry, HeaderMap, HeaderName, HeaderValue, VARY};
use http::{Method, Response, StatusCode};

use crate::policy::fetch::{names, values};
use crate::policy::request_headers::MAX_LINES;
use crate::policy::{Decision, Header, Request};

/// The CORS-relevant parts of an `http` request, borrowed. Holds up to one line more than the
/// `Access-Control-Request-Headers` limit, so that a request over it is still seen to be over it,
/// without allocating.
///
/// It keeps the request's `HeaderValue`s too: [`RequestView::apply`] and
/// [`RequestView::preflight_response`] answer with clones of them (a reference count, not a copy)
/// where the decision echoes the request.
#[derive(Clone, Debug)]
pub struct RequestView<'r> {
    method: &'r [u8],
    origin: Option<&'r HeaderValue>,
    request_method: Option<&'r HeaderValue>,
    lines: [&'r [u8]; MAX_LINES + 1],
    line_values: [&'r HeaderValue; MAX_LINES + 1],
    line_count: usize,
    private_network: bool,
}

/// Fills the unused slots of [`RequestView::line_values`].
static NO_VALUE: HeaderValue = HeaderValue::from_static("");

/// `Access-Control-Request-Private-Network` (not among `http`'s constants).
const REQUEST_PRIVATE_NETWORK: HeaderName = HeaderName::from_static(names::REQUEST_PRIVATE_NETWORK);

/// The value of a single-valued header. Two values for it: treated as absent-but-present garbage,
/// which the grammar rejects (an empty value is not an origin, nor a method).
fn one(headers: &HeaderMap, name: HeaderName) -> Option<&HeaderValue> {
    let mut all = headers.get_all(name).iter();
    let first = all.next()?;
    Some(if all.next().is_some() {
        &NO_VALUE
    } else {
        first
    })
}

impl<'r> RequestView<'r> {
    /// Reads the view from a request's method and headers.
    #[must_use]
    pub fn new(method: &'r Method, headers: &'r HeaderMap) -> RequestView<'r> {
        let mut view = RequestView::empty(method);
        view.read_all(headers);
        view
    }

    /// Reads into this view (made with [`RequestView::empty`]) only what
    /// [`crate::policy::Policy::evaluate`] reads for the request: the `Access-Control-Request-*`
    /// headers only for an `OPTIONS` request. The decision is the same as with [`RequestView::new`];
    /// a request that is not a preflight is read with one lookup.
    #[inline]
    pub(crate) fn read_for_decision(&mut self, headers: &'r HeaderMap) {
        if self.method == b"OPTIONS" {
            self.read_all(headers);
        } else {
            self.origin = one(headers, header::ORIGIN);
        }
    }

    /// A view of a request with `method` and no CORS headers.
    #[inline]
    pub(crate) fn empty(method: &'r Method) -> RequestView<'r> {
        RequestView {
            method: method.as_str().as_bytes(),
            origin: None,
            request_method: None,
            lines: [&b""[..]; MAX_LINES + 1],
            line_values: [&NO_VALUE; MAX_LINES + 1],
            line_count: 0,
            private_network: false,
        }
    }

    /// Reads `Origin` and the `Access-Control-Request-*` headers in one pass over the map, comparing
    /// names rather than hashing them. The map yields each name's values together and in order, so
    /// this sees what lookups would: a second `Origin` or `Access-Control-Request-Method` makes the
    /// value garbage ([`one`]), `Access-Control-Request-Headers` lines come in order, and only the
    /// first `Access-Control-Request-Private-Network` counts.
    fn read_all(&mut self, headers: &'r HeaderMap) {
        let mut private_network = None;
        for (name, value) in headers {
            if *name == header::ORIGIN {
                self.origin = Some(if self.origin.is_some() {
                    &NO_VALUE
                } else {
                    value
                });
            } else if *name == header::ACCESS_CONTROL_REQUEST_METHOD {
                self.request_method = Some(if self.request_method.is_some() {
                    &NO_VALUE
                } else {
                    value
                });
            } else if *name == header::ACCESS_CONTROL_REQUEST_HEADERS {
                if self.line_count < self.lines.len() {
                    self.lines[self.line_count] = value.as_bytes();
                    self.line_values[self.line_count] = value;
                    self.line_count += 1;
                }
            } else if *name == REQUEST_PRIVATE_NETWORK && private_network.is_none() {
                private_network = Some(value.as_bytes() == b"true");
            }
        }
        self.private_network = private_network.unwrap_or(false);
    }

    /// The bytes-level request, for [`crate::policy::Policy::evaluate`].
    #[must_use]
    pub fn request(&self) -> Request<'_> {
        Request {
            method: self.method,
            origin: self.origin.map(HeaderValue::as_bytes),
            request_method: self.request_method.map(HeaderValue::as_bytes),
            request_headers: &self.lines[..self.line_count],
            private_network: self.private_network,
        }
    }

    /// [`apply`], for a decision about this request: the values it echoes from the request (the
    /// origin, the requested method and headers) are clones of the request's `HeaderValue`s rather
    /// than copies, which saves an allocation each when the request's values share their buffer (as
    /// `hyper`'s do). A decision about another request is applied as [`apply`] does.
    pub fn apply(&self, decision: &Decision<'_, '_>, headers: &mut HeaderMap) {
        write(decision, headers, |bytes| {
            self.reused(bytes).or_else(|| copied_value(bytes))
        });
    }

    /// [`preflight_response`], with the values echoed from the request reused as in
    /// [`RequestView::apply`].
    #[must_use]
    pub fn preflight_response(&self, decision: &Decision<'_, '_>) -> Option<Response<()>> {
        respond(decision, |headers| self.apply(decision, headers))
    }

    /// The request's own `HeaderValue` whose bytes are `bytes` (the same bytes in memory, not equal
    /// ones), cloned.
    fn reused(&self, bytes: &[u8]) -> Option<HeaderValue> {
        let same = |v: &&HeaderValue| core::ptr::eq(v.as_bytes(), bytes);
        self.origin
            .filter(same)
            .or_else(|| self.request_method.filter(same))
            .or_else(|| {
                self.line_values[..self.line_count]
                    .iter()
                    .copied()
                    .find(same)
            })
            .cloned()
    }
}

/// The CORS response headers that [`apply`] removes from a response before setting the decision's,
/// as `http`'s constants where it has them.
const CORS_RESPONSE_HEADERS: [HeaderName; 7] = [
    header::ACCESS_CONTROL_ALLOW_ORIGIN,
    header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
    header::ACCESS_CONTROL_ALLOW_METHODS,
    header::ACCESS_CONTROL_ALLOW_HEADERS,
    header::ACCESS_CONTROL_MAX_AGE,
    ALLOW_PRIVATE_NETWORK,
    header::ACCESS_CONTROL_EXPOSE_HEADERS,
];

/// What the name of every header in [`CORS_RESPONSE_HEADERS`] starts with.
const CORS_PREFIX: &str = "access-control-";

/// `Access-Control-Allow-Private-Network` (not among `http`'s constants).
const ALLOW_PRIVATE_NETWORK: HeaderName = HeaderName::from_static(names::ALLOW_PRIVATE_NETWORK);

/// The `HeaderName` of a [`Header`] bit of a decision: no string compared, no name parsed.
pub(super) fn name(id: u8) -> HeaderName {
    match id {
        Header::ALLOW_ORIGIN => header::ACCESS_CONTROL_ALLOW_ORIGIN,
        Header::ALLOW_CREDENTIALS => header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
        Header::ALLOW_METHODS => header::ACCESS_CONTROL_ALLOW_METHODS,
        Header::ALLOW_HEADERS => header::ACCESS_CONTROL_ALLOW_HEADERS,
        Header::MAX_AGE => header::ACCESS_CONTROL_MAX_AGE,
        Header::ALLOW_PRIVATE_NETWORK => ALLOW_PRIVATE_NETWORK,
        Header::EXPOSE_HEADERS => header::ACCESS_CONTROL_EXPOSE_HEADERS,
        _ => VARY,
    }
}

/// The constant values a decision gives: `true`, `*` and its `Vary` values (any other value is
/// still handled, by copying it). Statics, since `HeaderValue::from_static` checks its argument
/// each time it runs.
static CONSTANT_VALUES: [HeaderValue; 5] = [
    HeaderValue::from_static(values::TRUE),
    HeaderValue::from_static(values::ANY),
    HeaderValue::from_static(values::VARY_ORIGIN),
    HeaderValue::from_static(values::VARY_PREFLIGHT),
    HeaderValue::from_static(values::VARY_PREFLIGHT_ANY),
];

/// The static `HeaderValue` of a constant value a decision gives (`true`, `*`, the `Vary` values).
pub(super) fn constant(bytes: &[u8]) -> Option<&'static HeaderValue> {
    CONSTANT_VALUES.iter().find(|v| v.as_bytes() == bytes)
}

/// `true`, the value of `-Allow-Credentials` and `-Allow-Private-Network`.
pub(super) static TRUE_VALUE: &HeaderValue = &CONSTANT_VALUES[0];

/// A `HeaderValue` for a value from a decision: a constant without allocating, anything else copied.
/// `None` for bytes that are not a header value (the decision never gives those).
fn copied_value(value: &[u8]) -> Option<HeaderValue> {
    constant(value)
        .cloned()
        .or_else(|| HeaderValue::from_bytes(value).ok())
}

/// Sets the decision's headers on `headers` (a response's). The policy owns the CORS response headers:
/// on every path (allowed, denied, not CORS), the `Access-Control-Allow-Origin`, `-Allow-Credentials`,
/// `-Allow-Methods`, `-Allow-Headers`, `-Expose-Headers`, `-Max-Age` and `-Allow-Private-Network`
/// headers already there are removed, and the response leaves with exactly the ones the decision
/// gives. `Vary` is merged instead: the decision's tokens are appended to an existing `Vary` unless it
/// already holds them (case-insensitively) or is `*`; its other tokens stay.
pub fn apply(decision: &Decision<'_, '_>, headers: &mut HeaderMap) {
    write(decision, headers, copied_value);
}

/// [`apply`], with `value` making each header value but `Vary`'s.
fn write(
    decision: &Decision<'_, '_>,
    headers: &mut HeaderMap,
    value: impl Fn(&[u8]) -> Option<HeaderValue>,
) {
    remove_cors_headers(headers);
    // Grow the map once, not once per header.
    headers.reserve(decision.headers().count());
    let mut all = decision.headers();
    while let Some((id, bytes)) = all.next_header() {
        if id == Header::VARY {
            add_vary(headers, bytes, constant(bytes).cloned());
            continue;
        }
        // Values come from validated request headers or the policy: they are valid header values.
        if let Some(value) = value(bytes) {
            headers.append(name(id), value);
        }
    }
}

/// Removes every [`CORS_RESPONSE_HEADERS`] header from `headers`, whatever the decision: the policy is
/// the only source of those headers, so one the upstream set never leaves with the response, not even
/// on a request without `Origin` (a cache would hand it to everyone). One pass over the names, with
/// no lookup at all when none of them starts with `access-control-` (the usual upstream response),
/// and one removal per name present otherwise (an upstream that sets `Access-Control-Allow-Origin: *`
/// costs one, not seven).
fn remove_cors_headers(headers: &mut HeaderMap) {
    let mut present = 0u8;
    for name in headers.keys() {
        if name.as_str().starts_with(CORS_PREFIX) {
            for (i, cors) in CORS_RESPONSE_HEADERS.iter().enumerate() {
                if name == cors {
                    present |= 1 << i;
                }
            }
        }
    }
    for (i, name) in CORS_RESPONSE_HEADERS.iter().enumerate() {
        if present & (1 << i) != 0 {
            headers.remove(name);
        }
    }
}

/// Appends the `tokens` (a comma-separated list) that `headers`' `Vary` does not already hold
/// (case-insensitively, and none when it holds `*`), joined with `, `; `constant` is the value of
/// `tokens` when it is one of [`CONSTANT_VALUES`], appended as it is when every token is missing.
/// One lookup of `Vary`.
fn add_vary(headers: &mut HeaderMap, tokens: &[u8], constant: Option<HeaderValue>) {
    let mut entry = match headers.entry(VARY) {
        Entry::Vacant(vacant) => {
            // The usual case: none there yet, and the value is a constant.
            if let Some(value) = constant.or_else(|| joined(list(tokens), tokens.len() + 2)) {
                vacant.insert(value);
            }
            return;
        }
        Entry::Occupied(entry) => entry,
    };
    let missing = |token: &[u8]| {
        !entry
            .iter()
            .any(|v| list(v.as_bytes()).any(|t| t == b"*" || t.eq_ignore_ascii_case(token)))
    };
    let value = match constant {
        Some(value) if list(tokens).all(missing) => Some(value),
        _ => joined(list(tokens).filter(|t| missing(t)), tokens.len() + 2),
    };
    if let Some(value) = value {
        entry.append(value);
    }
}

/// `tokens` joined with `, `, in a buffer of `capacity` bytes; `None` when there are none.
fn joined<'a>(tokens: impl Iterator<Item = &'a [u8]>, capacity: usize) -> Option<HeaderValue> {
    let mut joined = Vec::with_capacity(capacity);
    let mut any = false;
    for token in tokens {
        if any {
            joined.extend_from_slice(b", ");
        }
        joined.extend_from_slice(token);
        any = true;
    }
    if !any {
        return None;
    }
    HeaderValue::from_bytes(&joined).ok()
}

/// The trimmed elements of a comma-separated list (`bytes.split(',')`, each trimmed).
fn list(bytes: &[u8]) -> List<'_> {
    List { rest: Some(bytes) }
}

/// The iterator of [`list`].
struct List<'a> {
    /// What follows the last comma seen; `None` after the last element.
    rest: Option<&'a [u8]>,
}

impl<'a> Iterator for List<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let rest = self.rest?;
        let (element, rest) = match rest.iter().position(|&b| b == b',') {
            Some(at) => (&rest[..at], Some(&rest[at + 1..])),
            None => (rest, None),
        };
        self.rest = rest;
        Some(element.trim_ascii())
    }
}

/// The answer to a preflight: the configured status and the CORS headers when allowed, 403 with only
/// `Vary` when denied. `None` when the decision is not about a preflight.
#[must_use]
pub fn preflight_response(decision: &Decision<'_, '_>) -> Option<Response<()>> {
    respond(decision, |headers| apply(decision, headers))
}

/// A preflight's response, its headers set by `apply`.
fn respond(
    decision: &Decision<'_, '_>,
    apply: impl FnOnce(&mut HeaderMap),
) -> Option<Response<()>> {
    let status = StatusCode::from_u16(decision.status()?).ok()?;
    let mut response = Response::new(());
    *response.status_mut() = status;
    apply(response.headers_mut());
    Some(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{DecisionKind, Policy, PolicyConfig};

    fn policy(any: bool) -> Policy {
        let origin = if any { "*" } else { "https://app.example.com" };
        Policy::new(
            &PolicyConfig::new([origin])
                .methods(vec!["PUT"])
                .request_headers(vec!["content-type", "x-request-id"])
                .expose_headers(vec!["x-request-id"])
                .credentials(!any)
                .max_age(600)
                .private_network(true),
        )
        .unwrap()
    }

    fn request(method: &Method, origin: &str, preflight: bool) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("origin", origin.parse().unwrap());
        if preflight {
            headers.insert("access-control-request-method", "PUT".parse().unwrap());
            headers.append(
                "access-control-request-headers",
                "content-type".parse().unwrap(),
            );
            headers.append("access-control-request-headers", " , ".parse().unwrap());
            headers.append(
                "access-control-request-headers",
                "X-Request-Id".parse().unwrap(),
            );
            headers.insert(
                "access-control-request-private-network",
                "true".parse().unwrap(),
            );
        }
        let _ = method;
        headers
    }

    fn vary(headers: &HeaderMap) -> Vec<&str> {
        headers
            .get_all(VARY)
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect()
    }

    /// Every header, in a stable order, as strings.
    fn all(headers: &HeaderMap) -> Vec<(String, String)> {
        let mut all: Vec<_> = headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_string()))
            .collect();
        all.sort();
        all
    }

    /// The response headers, straight from the decision (Vary aside).
    fn expected(decision: &Decision<'_, '_>) -> Vec<(String, String)> {
        let mut all: Vec<_> = decision
            .headers()
            .filter(|(n, _)| *n != names::VARY)
            .map(|(n, v)| (n.to_string(), String::from_utf8(v.to_vec()).unwrap()))
            .collect();
        all.sort();
        all
    }

    #[test]
    fn fresh_map_gets_the_decision_headers() {
        for any in [false, true] {
            let policy = policy(any);
            for (method, preflight) in [(Method::OPTIONS, true), (Method::GET, false)] {
                let headers = request(&method, "https://app.example.com", preflight);
                let view = RequestView::new(&method, &headers);
                let decision = policy.evaluate(&view.request());
                assert!(decision.is_allowed());
                let mut response = HeaderMap::new();
                apply(&decision, &mut response);
                let mut reused = HeaderMap::new();
                view.apply(&decision, &mut reused);
                assert_eq!(all(&reused), all(&response));
                // A view of another request with the same values: copied, not reused; same result.
                let other = headers.clone();
                let mut copied = HeaderMap::new();
                RequestView::new(&method, &other).apply(&decision, &mut copied);
                assert_eq!(all(&copied), all(&response));
                if preflight {
                    let a = preflight_response(&decision).unwrap();
                    let b = view.preflight_response(&decision).unwrap();
                    assert_eq!(a.status(), b.status());
                    assert_eq!(all(a.headers()), all(&response));
                    assert_eq!(all(b.headers()), all(&response));
                }
                let mut without_vary = all(&response);
                without_vary.retain(|(n, _)| n != "vary");
                assert_eq!(without_vary, expected(&decision));
                let want_vary: Vec<&str> = decision
                    .headers()
                    .filter(|(n, _)| *n == names::VARY)
                    .map(|(_, v)| core::str::from_utf8(v).unwrap())
                    .collect();
                assert_eq!(vary(&response), want_vary);
            }
        }
    }

    #[test]
    fn existing_cors_headers_are_replaced_and_removed() {
        let policy = policy(false);
        let stale = |h: &mut HeaderMap| {
            h.insert(
                "access-control-allow-origin",
                "https://evil.example".parse().unwrap(),
            );
            h.append("access-control-allow-origin", "*".parse().unwrap());
            h.insert("access-control-expose-headers", "x-secret".parse().unwrap());
            h.insert(
                "access-control-allow-private-network",
                "true".parse().unwrap(),
            );
            h.insert("content-type", "text/plain".parse().unwrap());
        };
        // Allowed actual request: the stale values are replaced.
        let headers = request(&Method::GET, "https://app.example.com", false);
        let view = RequestView::new(&Method::GET, &headers);
        let decision = policy.evaluate(&view.request());
        let mut response = HeaderMap::new();
        stale(&mut response);
        apply(&decision, &mut response);
        let got: Vec<_> = response
            .get_all("access-control-allow-origin")
            .iter()
            .collect();
        assert_eq!(got, ["https://app.example.com"]);
        assert_eq!(response["access-control-expose-headers"], "x-request-id");
        assert!(!response.contains_key("access-control-allow-private-network"));
        assert_eq!(response["content-type"], "text/plain");
        // Denied: they are removed, Vary stays.
        let headers = request(&Method::GET, "https://other.example.com", false);
        let view = RequestView::new(&Method::GET, &headers);
        let decision = policy.evaluate(&view.request());
        assert!(!decision.is_allowed());
        let mut response = HeaderMap::new();
        stale(&mut response);
        apply(&decision, &mut response);
        assert_eq!(
            all(&response),
            [
                ("content-type".to_string(), "text/plain".to_string()),
                ("vary".to_string(), "Origin".to_string())
            ]
        );
    }

    #[test]
    fn upstream_cors_headers_never_leave_without_origin() {
        for any in [false, true] {
            let policy = policy(any);
            let headers = HeaderMap::new();
            let view = RequestView::new(&Method::GET, &headers);
            let decision = policy.evaluate(&view.request());
            assert_eq!(decision.kind(), DecisionKind::NotCors);
            let mut response = HeaderMap::new();
            for name in CORS_RESPONSE_HEADERS {
                response.append(name, "https://evil.example".parse().unwrap());
            }
            response.insert("content-type", "text/plain".parse().unwrap());
            response.insert(VARY, "Accept-Encoding".parse().unwrap());
            let mut reused = response.clone();
            apply(&decision, &mut response);
            view.apply(&decision, &mut reused);
            assert_eq!(all(&reused), all(&response));
            let mut want = vec![
                ("content-type".to_string(), "text/plain".to_string()),
                ("vary".to_string(), "Accept-Encoding".to_string()),
            ];
            // Under `*` without credentials the answer does not depend on the origin: no Vary added.
            if !any {
                want.push(("vary".to_string(), "Origin".to_string()));
            }
            assert_eq!(all(&response), want, "any origin: {any}");
        }
    }

    #[test]
    fn vary_is_merged() {
        let policy = policy(false);
        let headers = request(&Method::OPTIONS, "https://app.example.com", true);
        let view = RequestView::new(&Method::OPTIONS, &headers);
        let decision = policy.evaluate(&view.request());
        assert_eq!(decision.kind(), DecisionKind::PreflightAllowed);
        let cases: [(&[&str], &[&str]); 7] = [
            (
                &[],
                &["Origin, Access-Control-Request-Method, Access-Control-Request-Headers"],
            ),
            (
                &["Accept-Encoding"],
                &[
                    "Accept-Encoding",
                    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
                ],
            ),
            (
                &["accept-encoding, origin"],
                &[
                    "accept-encoding, origin",
                    "Access-Control-Request-Method, Access-Control-Request-Headers",
                ],
            ),
            (
                &["ORIGIN", "access-control-request-headers"],
                &[
                    "ORIGIN",
                    "access-control-request-headers",
                    "Access-Control-Request-Method",
                ],
            ),
            (&["x, *"], &["x, *"]),
            (
                &["Origin,Access-Control-Request-Method , access-control-request-headers"],
                &["Origin,Access-Control-Request-Method , access-control-request-headers"],
            ),
            (
                &[""],
                &[
                    "",
                    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
                ],
            ),
        ];
        for (before, after) in cases {
            let mut response = HeaderMap::new();
            for v in before {
                response.append(VARY, v.parse().unwrap());
            }
            let mut reused = response.clone();
            apply(&decision, &mut response);
            view.apply(&decision, &mut reused);
            assert_eq!(vary(&response), after, "Vary before: {before:?}");
            assert_eq!(all(&reused), all(&response));
            // Applying again adds nothing.
            apply(&decision, &mut response);
            assert_eq!(vary(&response), after, "Vary before: {before:?}, twice");
        }
    }

    /// What the view reads, as owned bytes: method, origin, requested method, lines, private network.
    type Read = (
        Vec<u8>,
        Option<Vec<u8>>,
        Option<Vec<u8>>,
        Vec<Vec<u8>>,
        bool,
    );

    fn read(request: &Request<'_>) -> Read {
        (
            request.method.to_vec(),
            request.origin.map(<[u8]>::to_vec),
            request.request_method.map(<[u8]>::to_vec),
            request.request_headers.iter().map(|l| l.to_vec()).collect(),
            request.private_network,
        )
    }

    /// The view read with one lookup per header, as the header map's own accessors give them: the
    /// one-pass reader must see exactly this.
    fn by_lookups(method: &Method, headers: &HeaderMap) -> Read {
        let single = |name: &str| {
            let all: Vec<_> = headers.get_all(name).iter().collect();
            match all.len() {
                0 => None,
                1 => Some(all[0].as_bytes().to_vec()),
                _ => Some(Vec::new()),
            }
        };
        (
            method.as_str().as_bytes().to_vec(),
            single("origin"),
            single("access-control-request-method"),
            headers
                .get_all("access-control-request-headers")
                .iter()
                .take(MAX_LINES + 1)
                .map(|v| v.as_bytes().to_vec())
                .collect(),
            headers
                .get("access-control-request-private-network")
                .is_some_and(|v| v == "true"),
        )
    }

    #[test]
    fn one_pass_reads_what_lookups_read() {
        let pairs: &[&[(&str, &str)]] = &[
            &[],
            &[("origin", "https://app.example.com")],
            &[
                ("origin", "https://a.example"),
                ("origin", "https://b.example"),
            ],
            &[
                ("host", "api.example.com"),
                ("access-control-request-method", "PUT"),
                ("accept", "*/*"),
                ("origin", "https://app.example.com"),
                ("access-control-request-headers", "content-type"),
                ("access-control-request-method", "DELETE"),
                ("access-control-request-headers", " , "),
                ("access-control-request-headers", "x-request-id"),
            ],
            &[
                ("access-control-request-private-network", "false"),
                ("access-control-request-private-network", "true"),
                ("origin", "https://app.example.com"),
            ],
            &[
                ("access-control-request-private-network", "true"),
                ("access-control-request-private-network", "false"),
            ],
            &[("access-control-request-private-network", "TRUE")],
        ];
        let mut many = HeaderMap::new();
        for i in 0..20 {
            many.append(
                "access-control-request-headers",
                format!("x-h{i}").parse().unwrap(),
            );
        }
        many.insert("origin", "https://app.example.com".parse().unwrap());
        let mut maps: Vec<HeaderMap> = pairs
            .iter()
            .map(|pairs| {
                let mut headers = HeaderMap::new();
                for (name, value) in *pairs {
                    headers.append(
                        HeaderName::from_bytes(name.as_bytes()).unwrap(),
                        value.parse().unwrap(),
                    );
                }
                headers
            })
            .collect();
        maps.push(many);
        let policy = policy(false);
        for headers in &maps {
            for method in [Method::OPTIONS, Method::GET, Method::POST] {
                let view = RequestView::new(&method, headers);
                assert_eq!(
                    read(&view.request()),
                    by_lookups(&method, headers),
                    "{headers:?}"
                );
                // The layer's reading gives the same decision.
                let mut lean = RequestView::empty(&method);
                lean.read_for_decision(headers);
                let (a, b) = (
                    policy.evaluate(&view.request()),
                    policy.evaluate(&lean.request()),
                );
                assert_eq!(a.kind(), b.kind(), "{method} {headers:?}");
                assert_eq!(a.reason(), b.reason(), "{method} {headers:?}");
                assert!(a.headers().eq(b.headers()), "{method} {headers:?}");
            }
        }
        assert_eq!(
            RequestView::new(&Method::OPTIONS, &maps[maps.len() - 1]).line_count,
            MAX_LINES + 1
        );
    }
}
