//! Replaying a trace through the engine and through the naive reference, and comparing what they
//! answer: the decision kind, the reason of a denial, the status and the set of response headers.

use corsmatch::policy::{Policy, Request};
use corsmatch_conformance::decision::{NaiveEngine, NaiveRequest};

use crate::trace::TraceRequest;

/// What an engine answered to one request, in a form both engines can produce.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The decision kind (`preflight-allowed`, …).
    pub kind: &'static str,
    /// The reason of a denial (`origin-not-allowed`, …).
    pub reason: Option<&'static str>,
    /// The status of a preflight answer.
    pub status: Option<u16>,
    /// The response headers, sorted.
    pub headers: Vec<(String, Vec<u8>)>,
}

/// The engine's answer.
pub fn engine(policy: &Policy, request: &Request<'_>) -> Outcome {
    let d = policy.evaluate(request);
    let mut headers: Vec<(String, Vec<u8>)> = d
        .headers()
        .map(|(n, v)| (n.to_string(), v.to_vec()))
        .collect();
    headers.sort();
    Outcome {
        kind: d.kind().name(),
        reason: d.reason().map(|r| r.name()),
        status: d.status(),
        headers,
    }
}

/// The request as the naive engine takes it.
pub fn naive_request(r: &TraceRequest) -> NaiveRequest {
    NaiveRequest {
        method: r.method.clone(),
        origin: r.origin.clone(),
        acrm: r.request_method.clone(),
        acrh: r.request_headers.clone(),
        private_network: false,
    }
}

/// The naive engine's answer.
pub fn naive(naive: &NaiveEngine, request: &NaiveRequest) -> Outcome {
    let d = naive.decide(request);
    let mut headers = d.headers;
    headers.sort();
    Outcome {
        kind: d.kind,
        reason: d.reason,
        status: d.status,
        headers,
    }
}

/// The method and headers of a trace request as the `http` crate's types; `None` when its bytes are
/// not a method or not valid header values.
pub fn http_parts(r: &TraceRequest) -> Option<(http::Method, http::HeaderMap)> {
    let method = http::Method::from_bytes(&r.method).ok()?;
    let mut headers = http::HeaderMap::new();
    let value = |v: &[u8]| http::HeaderValue::from_bytes(v).ok();
    if let Some(o) = &r.origin {
        headers.append(http::header::ORIGIN, value(o)?);
    }
    if let Some(m) = &r.request_method {
        headers.append(http::header::ACCESS_CONTROL_REQUEST_METHOD, value(m)?);
    }
    for line in &r.request_headers {
        headers.append(http::header::ACCESS_CONTROL_REQUEST_HEADERS, value(line)?);
    }
    Some((method, headers))
}

/// What a server using corsmatch's `http` adapter answers: the headers of the preflight response it
/// builds, or the headers it sets on the (empty) response of an actual request.
pub fn http_answer(
    policy: &Policy,
    method: &http::Method,
    headers: &http::HeaderMap,
) -> http::HeaderMap {
    let view = corsmatch::http::RequestView::new(method, headers);
    let decision = policy.evaluate(&view.request());
    match view.preflight_response(&decision) {
        Some(response) => response.into_parts().0.headers,
        None => {
            let mut response = http::HeaderMap::new();
            view.apply(&decision, &mut response);
            response
        }
    }
}
