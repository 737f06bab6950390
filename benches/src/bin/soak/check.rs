//! What goes on the wire for a trace request, what the engine says the answer must be, and the
//! comparison of a response with it.
//!
//! A trace holds the bytes an attacker may send, and not all of them survive HTTP/1.1:
//!
//! * a request whose method is not a token, or with a header value holding a control character other
//!   than HTAB (CR, LF, NUL, DEL, …), cannot be sent at all: it is skipped;
//! * a header value is sent as it is, but a receiver never sees its leading and trailing spaces and
//!   tabs (they are optional whitespace around the field value, RFC 9110 §5.5): the engine decides
//!   the trimmed value, since that is what the proxy reads.
//!
//! The expected response follows the `http` adapter (`corsmatch::http`): a preflight is answered
//! with the decision's status, exactly the decision's `Access-Control-*` headers and its `Vary` value;
//! any other request is answered by the upstream (status 200), with every `Access-Control-*` header
//! the upstream set replaced by exactly the decision's, and the decision's `Vary` tokens merged into
//! the upstream's `Vary` (appended unless the upstream's already holds them, case-insensitively, or
//! holds `*`).

use std::fmt::Write as _;

use corsmatch::policy::{Policy, Request};
use corsmatch_workload::TraceRequest;
use http::{HeaderMap, HeaderValue, Method};

/// The prefix of every CORS response header name.
const CORS_PREFIX: &str = "access-control-";

/// A trace request ready to send: its header values as they go on the wire, and the request as the
/// receiver reads it.
#[derive(Clone, Debug)]
pub struct WireRequest {
    /// The request's index in the trace.
    pub index: usize,
    /// The method.
    pub method: Method,
    /// `Origin`, as sent.
    pub origin: Option<HeaderValue>,
    /// `Access-Control-Request-Method`, as sent.
    pub request_method: Option<HeaderValue>,
    /// Every `Access-Control-Request-Headers` line, as sent.
    pub request_headers: Vec<HeaderValue>,
    /// The request as the receiver reads it: every value without its leading and trailing whitespace.
    pub received: TraceRequest,
}

/// Why a trace request cannot be sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unsendable {
    /// The method is not a token (or is `CONNECT`, which does not take a path).
    Method,
    /// A header value holds a byte that HTTP/1.1 does not carry in a field value.
    Value(&'static str),
}

/// Optional whitespace around a field value.
fn is_ows(b: &u8) -> bool {
    *b == b' ' || *b == b'\t'
}

/// `value` without its leading and trailing spaces and tabs, as an HTTP/1.1 parser reads it.
pub fn received_value(value: &[u8]) -> &[u8] {
    let start = value.iter().position(|b| !is_ows(b)).unwrap_or(value.len());
    let end = value
        .iter()
        .rposition(|b| !is_ows(b))
        .map_or(start, |i| i + 1);
    &value[start..end]
}

/// The wire form of the trace request `r` (number `index`), or why it cannot be sent.
pub fn wire(index: usize, r: &TraceRequest) -> Result<WireRequest, Unsendable> {
    let method = Method::from_bytes(&r.method).map_err(|_| Unsendable::Method)?;
    if method == Method::CONNECT {
        return Err(Unsendable::Method);
    }
    let value = |name: &'static str, v: &[u8]| {
        HeaderValue::from_bytes(v).map_err(|_| Unsendable::Value(name))
    };
    let origin = r
        .origin
        .as_deref()
        .map(|v| value("origin", v))
        .transpose()?;
    let request_method = r
        .request_method
        .as_deref()
        .map(|v| value("access-control-request-method", v))
        .transpose()?;
    let request_headers = r
        .request_headers
        .iter()
        .map(|v| value("access-control-request-headers", v))
        .collect::<Result<Vec<_>, _>>()?;
    let trimmed = |v: &Vec<u8>| received_value(v).to_vec();
    let received = TraceRequest {
        method: r.method.clone(),
        origin: r.origin.as_ref().map(trimmed),
        request_method: r.request_method.as_ref().map(trimmed),
        request_headers: r.request_headers.iter().map(trimmed).collect(),
    };
    Ok(WireRequest {
        index,
        method,
        origin,
        request_method,
        request_headers,
        received,
    })
}

/// Whether `r` is a preflight (Fetch: an `OPTIONS` request with `Origin` and
/// `Access-Control-Request-Method`), which a CORS proxy answers itself.
pub fn is_preflight(r: &TraceRequest) -> bool {
    r.method == b"OPTIONS" && r.origin.is_some() && r.request_method.is_some()
}

/// The CORS part of a response: what the engine says it must be, or what came back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CorsAnswer {
    /// The status.
    pub status: u16,
    /// Every `access-control-*` header as `(name, value)`, sorted by name, the values of one name in
    /// the order they were written.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The `Vary` field lines, in order.
    pub vary: Vec<Vec<u8>>,
}

/// What the response to a request must be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expected {
    /// Whether the proxy answers it itself (a preflight), rather than passing it on.
    pub preflight: bool,
    /// The status and CORS headers.
    pub answer: CorsAnswer,
}

/// The elements of a comma-separated list, trimmed.
fn list(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    bytes.split(|&b| b == b',').map(<[u8]>::trim_ascii)
}

/// The `Vary` lines of a response whose lines were `before` once `tokens` (a comma-separated list)
/// are merged in: appended as they are when none is there yet or none is already held, else only
/// the missing ones joined with `, `; nothing when every one is held, or `*` is.
pub fn merged_vary(before: &[Vec<u8>], tokens: &[u8]) -> Vec<Vec<u8>> {
    let mut lines = before.to_vec();
    let held = |token: &[u8]| {
        before
            .iter()
            .any(|line| list(line).any(|t| t == b"*" || t.eq_ignore_ascii_case(token)))
    };
    let missing: Vec<&[u8]> = list(tokens).filter(|t| !held(t)).collect();
    if missing.len() == list(tokens).count() {
        lines.push(tokens.to_vec());
    } else if !missing.is_empty() {
        lines.push(missing.join(&b", "[..]));
    }
    lines
}

/// The answer the engine gives to `received` (a request as the proxy reads it) under `policy`, for
/// an upstream whose responses carry the `Vary` lines `upstream_vary` and status 200.
pub fn expected(policy: &Policy, received: &TraceRequest, upstream_vary: &[Vec<u8>]) -> Expected {
    let lines: Vec<&[u8]> = received.request_headers.iter().map(Vec::as_slice).collect();
    let request = Request {
        method: &received.method,
        origin: received.origin.as_deref(),
        request_method: received.request_method.as_deref(),
        request_headers: &lines,
        private_network: false,
    };
    let decision = policy.evaluate(&request);
    let preflight = decision.status().is_some();
    let mut vary = if preflight {
        Vec::new()
    } else {
        upstream_vary.to_vec()
    };
    let mut headers = Vec::new();
    for (name, value) in decision.headers() {
        if name == "vary" {
            vary = merged_vary(&vary, value);
        } else {
            headers.push((name.to_string(), value.to_vec()));
        }
    }
    // Stable: the lines of `Access-Control-Allow-Headers` keep their order.
    headers.sort_by(|a, b| a.0.cmp(&b.0));
    Expected {
        preflight,
        answer: CorsAnswer {
            status: decision.status().unwrap_or(200),
            headers,
            vary,
        },
    }
}

/// The CORS part of a response with `status` and `headers`.
pub fn observed(status: u16, headers: &HeaderMap) -> CorsAnswer {
    let mut cors: Vec<(String, Vec<u8>)> = headers
        .iter()
        .filter(|(name, _)| name.as_str().starts_with(CORS_PREFIX))
        .map(|(name, value)| (name.as_str().to_string(), value.as_bytes().to_vec()))
        .collect();
    cors.sort_by(|a, b| a.0.cmp(&b.0));
    CorsAnswer {
        status,
        headers: cors,
        vary: headers
            .get_all(http::header::VARY)
            .iter()
            .map(|v| v.as_bytes().to_vec())
            .collect(),
    }
}

/// How a response compares with the engine's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// As expected.
    Right,
    /// A request passed on did not come back with 200: the upstream or the proxy failed.
    Failed,
    /// The CORS answer differs: the status of a preflight, an `Access-Control-*` header or `Vary`.
    Wrong,
}

/// Compares the response `got` with `expected`.
pub fn compare(expected: &Expected, got: &CorsAnswer) -> Verdict {
    if !expected.preflight && got.status != expected.answer.status {
        Verdict::Failed
    } else if *got != expected.answer {
        Verdict::Wrong
    } else {
        Verdict::Right
    }
}

/// Bytes for a report: printable ASCII as it is, anything else escaped.
pub fn shown(bytes: &[u8]) -> String {
    bytes.escape_ascii().to_string()
}

/// The request, on one line.
pub fn describe_request(r: &WireRequest) -> String {
    let mut out = format!("#{} {}", r.index, r.method);
    let mut field = |name: &str, v: &HeaderValue| {
        let _ = write!(out, " | {name}: \"{}\"", shown(v.as_bytes()));
    };
    if let Some(v) = &r.origin {
        field("origin", v);
    }
    if let Some(v) = &r.request_method {
        field("access-control-request-method", v);
    }
    for v in &r.request_headers {
        field("access-control-request-headers", v);
    }
    out
}

/// A CORS answer, on one line.
pub fn describe_answer(a: &CorsAnswer) -> String {
    let mut out = format!("{}", a.status);
    for (name, value) in &a.headers {
        let _ = write!(out, " | {name}: \"{}\"", shown(value));
    }
    for line in &a.vary {
        let _ = write!(out, " | vary: \"{}\"", shown(line));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use corsmatch::http::{apply, preflight_response};
    use corsmatch::PolicyConfig;

    fn policy() -> Policy {
        Policy::new(
            &PolicyConfig::new(["https://app.example.com"])
                .methods(vec!["PUT"])
                .request_headers(vec!["content-type", "x-request-id"])
                .expose_headers(vec!["x-request-id"])
                .credentials(true)
                .max_age(600),
        )
        .unwrap()
    }

    fn request(
        method: &str,
        origin: Option<&str>,
        acrm: Option<&str>,
        acrh: &[&str],
    ) -> TraceRequest {
        TraceRequest {
            method: method.as_bytes().to_vec(),
            origin: origin.map(|v| v.as_bytes().to_vec()),
            request_method: acrm.map(|v| v.as_bytes().to_vec()),
            request_headers: acrh.iter().map(|v| v.as_bytes().to_vec()).collect(),
        }
    }

    /// The upstream's response headers (as `upstream` sends them), with `vary` lines.
    fn upstream_headers(vary: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("content-type", HeaderValue::from_static("application/json"));
        h.insert("access-control-allow-origin", HeaderValue::from_static("*"));
        for v in vary {
            h.append("vary", v.parse().unwrap());
        }
        h
    }

    /// What a proxy using the `http` adapter answers: status and headers.
    fn adapter_answer(policy: &Policy, r: &TraceRequest, vary: &[&str]) -> (u16, HeaderMap) {
        let lines: Vec<&[u8]> = r.request_headers.iter().map(Vec::as_slice).collect();
        let request = Request {
            method: &r.method,
            origin: r.origin.as_deref(),
            request_method: r.request_method.as_deref(),
            request_headers: &lines,
            private_network: false,
        };
        let decision = policy.evaluate(&request);
        if let Some(response) = preflight_response(&decision) {
            return (response.status().as_u16(), response.headers().clone());
        }
        let mut headers = upstream_headers(vary);
        apply(&decision, &mut headers);
        (200, headers)
    }

    fn bytes(lines: &[&str]) -> Vec<Vec<u8>> {
        lines.iter().map(|l| l.as_bytes().to_vec()).collect()
    }

    #[test]
    fn a_correct_answer_passes_and_wrong_ones_fail() {
        let policy = policy();
        let preflight = request(
            "OPTIONS",
            Some("https://app.example.com"),
            Some("PUT"),
            &["content-type", "x-request-id"],
        );
        let actual = request("GET", Some("https://app.example.com"), None, &[]);
        let denied = request("GET", Some("https://evil.example"), None, &[]);
        for r in [&preflight, &actual, &denied] {
            let want = expected(&policy, r, &[]);
            let (status, headers) = adapter_answer(&policy, r, &[]);
            assert_eq!(compare(&want, &observed(status, &headers)), Verdict::Right);

            // No Vary.
            let mut h = headers.clone();
            h.remove("vary");
            assert_eq!(compare(&want, &observed(status, &h)), Verdict::Wrong);
            // Vary twice.
            let mut h = headers.clone();
            let v = h["vary"].clone();
            h.append("vary", v);
            assert_eq!(compare(&want, &observed(status, &h)), Verdict::Wrong);
            // The upstream's `*` left in place, or an origin added to a denial.
            let mut h = headers.clone();
            h.append("access-control-allow-origin", HeaderValue::from_static("*"));
            assert_eq!(compare(&want, &observed(status, &h)), Verdict::Wrong);
        }
        // A wrong or missing Access-Control-Allow-Headers line.
        let want = expected(&policy, &preflight, &[]);
        let (status, headers) = adapter_answer(&policy, &preflight, &[]);
        assert_eq!(want.answer.status, 204);
        let acah: Vec<_> = headers
            .get_all("access-control-allow-headers")
            .iter()
            .collect();
        assert_eq!(acah, ["content-type", "x-request-id"]);
        let mut h = headers.clone();
        h.remove("access-control-allow-headers");
        h.append(
            "access-control-allow-headers",
            HeaderValue::from_static("content-type"),
        );
        assert_eq!(compare(&want, &observed(status, &h)), Verdict::Wrong);
        h.append(
            "access-control-allow-headers",
            HeaderValue::from_static("x-request-ID"),
        );
        assert_eq!(compare(&want, &observed(status, &h)), Verdict::Wrong);
        // The lines in another order.
        let mut h = headers.clone();
        h.remove("access-control-allow-headers");
        h.append(
            "access-control-allow-headers",
            HeaderValue::from_static("x-request-id"),
        );
        h.append(
            "access-control-allow-headers",
            HeaderValue::from_static("content-type"),
        );
        assert_eq!(compare(&want, &observed(status, &h)), Verdict::Wrong);
        // A denied preflight answered as allowed, and the reverse: wrong, not failed.
        assert_eq!(compare(&want, &observed(403, &headers)), Verdict::Wrong);
        // A request passed on that does not come back with 200: failed.
        let want = expected(&policy, &actual, &[]);
        let (_, headers) = adapter_answer(&policy, &actual, &[]);
        assert_eq!(compare(&want, &observed(502, &headers)), Verdict::Failed);
    }

    #[test]
    fn vary_is_merged_as_the_adapter_merges_it() {
        let policy = policy();
        let actual = request("GET", Some("https://app.example.com"), None, &[]);
        for upstream in [
            &[][..],
            &["Accept-Encoding"],
            &["accept-encoding, origin"],
            &["*"],
            &["Accept-Encoding", "ORIGIN"],
            &[""],
        ] {
            let want = expected(&policy, &actual, &bytes(upstream));
            let (status, headers) = adapter_answer(&policy, &actual, upstream);
            assert_eq!(
                compare(&want, &observed(status, &headers)),
                Verdict::Right,
                "{upstream:?}"
            );
        }
        assert_eq!(
            merged_vary(
                &bytes(&["accept-encoding, origin"]),
                b"Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
            ),
            bytes(&[
                "accept-encoding, origin",
                "Access-Control-Request-Method, Access-Control-Request-Headers"
            ])
        );
        assert_eq!(merged_vary(&bytes(&["x, *"]), b"Origin"), bytes(&["x, *"]));
        // The upstream's Vary is not the one expected: wrong.
        let want = expected(&policy, &actual, &[]);
        let (status, headers) = adapter_answer(&policy, &actual, &["Accept-Encoding"]);
        assert_eq!(compare(&want, &observed(status, &headers)), Verdict::Wrong);
    }

    /// Over the whole default trace and its policy, the adapter's answers pass: the comparison is as
    /// strict as the adapter is exact, no stricter.
    #[test]
    fn the_adapter_passes_on_the_default_trace() {
        let policy = Policy::new(&corsmatch_workload::policies::saas()).unwrap();
        let trace =
            corsmatch_workload::Trace::parse(corsmatch_workload::embedded::DEFAULT_TRACE).unwrap();
        let mut sent = 0;
        for (i, r) in trace.requests.iter().enumerate() {
            let Ok(w) = wire(i, r) else { continue };
            sent += 1;
            let want = expected(&policy, &w.received, &[]);
            let (status, headers) = adapter_answer(&policy, &w.received, &[]);
            assert_eq!(
                compare(&want, &observed(status, &headers)),
                Verdict::Right,
                "{}",
                describe_request(&w)
            );
        }
        assert!(sent > trace.requests.len() * 9 / 10, "{sent}");
        // A request is answered by the proxy exactly when it is a preflight.
        for r in &trace.requests {
            let Ok(w) = wire(0, r) else { continue };
            assert_eq!(
                is_preflight(&w.received),
                expected(&policy, &w.received, &[]).preflight
            );
        }
    }

    #[test]
    fn unsendable_requests_are_skipped() {
        let ok = request("OPTIONS", Some("https://a.example"), Some("PUT"), &["x-a"]);
        assert!(wire(0, &ok).is_ok());
        let mut r = ok.clone();
        r.method = b"GET /".to_vec();
        assert_eq!(wire(0, &r).unwrap_err(), Unsendable::Method);
        r.method = b"G\xe9T".to_vec();
        assert_eq!(wire(0, &r).unwrap_err(), Unsendable::Method);
        r.method = b"CONNECT".to_vec();
        assert_eq!(wire(0, &r).unwrap_err(), Unsendable::Method);
        for bad in [
            &b"https://a.example\r\nx-injected: 1"[..],
            b"a\0b",
            b"a\nb",
            b"\x7f",
        ] {
            let mut r = ok.clone();
            r.origin = Some(bad.to_vec());
            assert_eq!(wire(0, &r).unwrap_err(), Unsendable::Value("origin"));
            let mut r = ok.clone();
            r.request_headers.push(bad.to_vec());
            assert_eq!(
                wire(0, &r).unwrap_err(),
                Unsendable::Value("access-control-request-headers")
            );
            let mut r = ok.clone();
            r.request_method = Some(bad.to_vec());
            assert_eq!(
                wire(0, &r).unwrap_err(),
                Unsendable::Value("access-control-request-method")
            );
        }
        // Tabs inside, obs-text and empty values are sendable; surrounding whitespace is sent and
        // not received.
        let mut r = ok.clone();
        r.origin = Some(b" \thttps://a.example \t".to_vec());
        r.request_headers = vec![b"".to_vec(), b" , x-a\t,\xff ".to_vec(), b"  ".to_vec()];
        let w = wire(3, &r).unwrap();
        assert_eq!(w.origin.unwrap().as_bytes(), b" \thttps://a.example \t");
        assert_eq!(
            w.received.origin.as_deref(),
            Some(&b"https://a.example"[..])
        );
        assert_eq!(
            w.received.request_headers,
            bytes_of(&[b"", b", x-a\t,\xff", b""])
        );
    }

    fn bytes_of(lines: &[&[u8]]) -> Vec<Vec<u8>> {
        lines.iter().map(|l| l.to_vec()).collect()
    }
}
