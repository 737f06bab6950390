//! Adapter for the [`http`] crate (feature `http`, on by default): read a [`Request`] from an
//! `http::Method` and `http::HeaderMap`, apply a [`Decision`] to a response's headers, build the answer
//! to a preflight.
//!
//! ```
//! use corsmatch::http::{apply, preflight_response, RequestView};
//! use corsmatch::policy::{Policy, PolicyConfig};
//!
//! let policy = Policy::new(&PolicyConfig {
//!     origins: vec!["https://app.example.com".into()],
//!     methods: vec!["PUT".into()],
//!     ..PolicyConfig::default()
//! })?;
//!
//! let mut headers = http::HeaderMap::new();
//! headers.insert("origin", "https://app.example.com".parse()?);
//! headers.insert("access-control-request-method", "PUT".parse()?);
//! let view = RequestView::new(&http::Method::OPTIONS, &headers);
//! let decision = policy.evaluate(&view.request());
//! let response = preflight_response(&decision).expect("a preflight");
//! assert_eq!(response.status(), 204);
//! assert_eq!(response.headers()["access-control-allow-origin"], "https://app.example.com");
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

use http::header::{HeaderMap, HeaderName, HeaderValue, VARY};
use http::{Method, Response, StatusCode};

use crate::policy::fetch::names;
use crate::policy::request_headers::MAX_LINES;
use crate::policy::{Decision, DecisionKind, Request};

/// The CORS-relevant parts of an `http` request, borrowed. Holds up to one line more than the
/// `Access-Control-Request-Headers` limit, so that a request over it is still seen to be over it,
/// without allocating.
#[derive(Clone, Debug)]
pub struct RequestView<'r> {
    method: &'r [u8],
    origin: Option<&'r [u8]>,
    request_method: Option<&'r [u8]>,
    lines: [&'r [u8]; MAX_LINES + 1],
    line_count: usize,
    private_network: bool,
}

impl<'r> RequestView<'r> {
    /// Reads the view from a request's method and headers.
    pub fn new(method: &'r Method, headers: &'r HeaderMap) -> RequestView<'r> {
        let one = |name: &str| -> Option<&'r [u8]> {
            let mut all = headers.get_all(name).iter();
            let first = all.next()?;
            // Two values for a single-valued header: treat as absent-but-present garbage, which the
            // grammar rejects (an empty value is not an origin, nor a method).
            Some(if all.next().is_some() {
                &b""[..]
            } else {
                first.as_bytes()
            })
        };
        let mut lines = [&b""[..]; MAX_LINES + 1];
        let mut line_count = 0;
        for value in headers.get_all(names::REQUEST_HEADERS).iter() {
            if line_count == lines.len() {
                break;
            }
            lines[line_count] = value.as_bytes();
            line_count += 1;
        }
        RequestView {
            method: method.as_str().as_bytes(),
            origin: one("origin"),
            request_method: one(names::REQUEST_METHOD),
            lines,
            line_count,
            private_network: headers
                .get(names::REQUEST_PRIVATE_NETWORK)
                .is_some_and(|v| v.as_bytes() == b"true"),
        }
    }

    /// The bytes-level request, for [`crate::policy::Policy::evaluate`].
    pub fn request(&self) -> Request<'_> {
        Request {
            method: self.method,
            origin: self.origin,
            request_method: self.request_method,
            request_headers: &self.lines[..self.line_count],
            private_network: self.private_network,
        }
    }
}

const CORS_RESPONSE_HEADERS: [&str; 7] = [
    names::ALLOW_ORIGIN,
    names::ALLOW_CREDENTIALS,
    names::ALLOW_METHODS,
    names::ALLOW_HEADERS,
    names::MAX_AGE,
    names::ALLOW_PRIVATE_NETWORK,
    names::EXPOSE_HEADERS,
];

/// Sets the decision's headers on `headers` (a response's). CORS headers already there are replaced
/// (the decision is the authority: a denial removes them); `Vary` tokens are appended to an existing
/// `Vary` unless it already holds them (case-insensitively) or is `*`.
pub fn apply(decision: &Decision<'_, '_>, headers: &mut HeaderMap) {
    if decision.kind() != DecisionKind::NotCors {
        for name in CORS_RESPONSE_HEADERS {
            headers.remove(name);
        }
    }
    for (name, value) in decision.headers() {
        if name == names::VARY {
            add_vary(headers, value);
            continue;
        }
        // Values come from validated request headers or the policy: they are valid header values.
        let Ok(value) = HeaderValue::from_bytes(value) else {
            continue;
        };
        headers.append(HeaderName::from_static(name), value);
    }
}

fn add_vary(headers: &mut HeaderMap, tokens: &[u8]) {
    let has = |token: &[u8]| {
        headers.get_all(VARY).iter().any(|v| {
            v.as_bytes()
                .split(|&b| b == b',')
                .map(|t| t.trim_ascii())
                .any(|t| t == b"*" || t.eq_ignore_ascii_case(token))
        })
    };
    let missing: Vec<&[u8]> = tokens
        .split(|&b| b == b',')
        .map(|t| t.trim_ascii())
        .filter(|t| !has(t))
        .collect();
    if missing.is_empty() {
        return;
    }
    if let Ok(value) = HeaderValue::from_bytes(&missing.join(&b", "[..])) {
        headers.append(VARY, value);
    }
}

/// The answer to a preflight: the configured status and the CORS headers when allowed, 403 with only
/// `Vary` when denied. `None` when the decision is not about a preflight.
pub fn preflight_response(decision: &Decision<'_, '_>) -> Option<Response<()>> {
    let status = StatusCode::from_u16(decision.status()?).ok()?;
    let mut response = Response::new(());
    *response.status_mut() = status;
    apply(decision, response.headers_mut());
    Some(response)
}
