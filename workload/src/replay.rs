//! Replaying a trace through the engine and through the naive reference, and comparing what they
//! answer: the decision kind, the reason of a denial, the status and the set of response headers.

use corsmatch::policy::{Policy, Request};
use corsmatch::reference::decision::{NaiveEngine, NaiveRequest};

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
