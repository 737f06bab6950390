//! Runs `corpus/cases/decisions-*.toml` against the engine (bytes level and `http` adapter) and the
//! naive reference engine: the decision's headers, and the response leaving the adapter (and the
//! reference's [`NaiveDecision::respond`]) when the case gives upstream response headers. Every failing
//! case is reported at once.

use corsmatch::policy::{Policy, Request};
use corsmatch_conformance::cases::{self, CaseRequest};
use corsmatch_conformance::decision::{NaiveDecision, NaiveEngine};

type Outcome = (String, Option<String>, Option<u16>, Vec<(String, Vec<u8>)>);

fn sorted(mut h: Vec<(String, Vec<u8>)>) -> Vec<(String, Vec<u8>)> {
    h.sort();
    h
}

fn bytes(h: &[(String, String)]) -> Vec<(String, Vec<u8>)> {
    h.iter()
        .map(|(n, v)| (n.clone(), v.as_bytes().to_vec()))
        .collect()
}

fn engine(policy: &Policy, r: &CaseRequest) -> Outcome {
    let lines: Vec<&[u8]> = r.acrh.iter().map(|l| l.as_bytes()).collect();
    let request = Request {
        method: r.method.as_bytes(),
        origin: r.origin.as_deref().map(str::as_bytes),
        request_method: r.acrm.as_deref().map(str::as_bytes),
        request_headers: &lines,
        private_network: r.private_network,
    };
    let d = policy.evaluate(&request);
    let headers = d
        .headers()
        .map(|(n, v)| (n.to_string(), v.to_vec()))
        .collect();
    (
        d.kind().name().to_string(),
        d.reason().map(|r| r.name().to_string()),
        d.status(),
        sorted(headers),
    )
}

/// The case's request as `http` types; `None` when a value is not a header value (the bytes-level
/// cases hold such values; `http` cannot carry them).
fn http_request(r: &CaseRequest) -> Option<(http::Method, http::HeaderMap)> {
    let method = http::Method::from_bytes(r.method.as_bytes()).ok()?;
    let mut headers = http::HeaderMap::new();
    let value = |s: &str| http::HeaderValue::from_bytes(s.as_bytes()).ok();
    if let Some(o) = &r.origin {
        headers.append("origin", value(o)?);
    }
    if let Some(m) = &r.acrm {
        headers.append("access-control-request-method", value(m)?);
    }
    for l in &r.acrh {
        headers.append("access-control-request-headers", value(l)?);
    }
    if r.private_network {
        headers.append("access-control-request-private-network", value("true")?);
    }
    Some((method, headers))
}

/// The response headers as sorted `(name, bytes)` pairs.
fn header_pairs(map: &http::HeaderMap) -> Vec<(String, Vec<u8>)> {
    sorted(
        map.iter()
            .map(|(n, v)| (n.as_str().to_string(), v.as_bytes().to_vec()))
            .collect(),
    )
}

/// The same request through the tower layer around a service that answers 200 with the `upstream`
/// headers: a preflight is answered by the layer alone (the decision's status and headers), any other
/// request gets the upstream response with the decision applied. The layer shows no kind or reason;
/// those of `want` are taken.
fn layer(
    policy: &Policy,
    r: &CaseRequest,
    upstream: &http::HeaderMap,
    want: &Outcome,
) -> Option<Outcome> {
    use std::future::Future;
    use std::task::{Context, Poll, Waker};
    use tower_service::Service;
    let (method, headers) = http_request(r)?;
    let mut request = http::Request::new(());
    *request.method_mut() = method;
    *request.headers_mut() = headers;
    let upstream = upstream.clone();
    let inner = tower_util::ServiceFn(move |_req: http::Request<()>| {
        let mut response = http::Response::new(());
        *response.headers_mut() = upstream.clone();
        std::future::ready(Ok::<_, std::convert::Infallible>(response))
    });
    let mut cors =
        tower_layer::Layer::layer(&corsmatch::tower::CorsLayer::new(policy.clone()), inner);
    let mut cx = Context::from_waker(Waker::noop());
    assert!(cors.poll_ready(&mut cx).is_ready());
    let mut future = std::pin::pin!(cors.call(request));
    let Poll::Ready(Ok(response)) = future.as_mut().poll(&mut cx) else {
        panic!("a trivial service's response is ready at once");
    };
    let status = want.2.map(|_| response.status().as_u16());
    if want.2.is_none() {
        assert_eq!(
            response.status(),
            200,
            "a request passed on keeps the upstream status"
        );
    }
    Some((
        want.0.clone(),
        want.1.clone(),
        status,
        header_pairs(response.headers()),
    ))
}

/// A `tower::Service` from a closure, without the `tower` crate.
mod tower_util {
    use std::task::{Context, Poll};

    pub struct ServiceFn<F>(pub F);

    impl<F, R, Fut, T, E> tower_service::Service<R> for ServiceFn<F>
    where
        F: FnMut(R) -> Fut,
        Fut: std::future::Future<Output = Result<T, E>>,
    {
        type Response = T;
        type Error = E;
        type Future = Fut;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), E>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, request: R) -> Fut {
            (self.0)(request)
        }
    }
}

/// The same request through the `http` adapter (`apply`, and `RequestView::apply`, which must agree),
/// applied to a response with the `upstream` headers.
fn adapter(policy: &Policy, r: &CaseRequest, upstream: &http::HeaderMap) -> Option<Outcome> {
    let (method, headers) = http_request(r)?;
    let view = corsmatch::http::RequestView::new(&method, &headers);
    let d = policy.evaluate(&view.request());
    let mut response = upstream.clone();
    corsmatch::http::apply(&d, &mut response);
    // Reusing the request's values gives the same headers.
    let mut reused = upstream.clone();
    view.apply(&d, &mut reused);
    assert_eq!(reused, response, "RequestView::apply and apply differ");
    let headers = response
        .iter()
        .map(|(n, v)| (n.as_str().to_string(), v.as_bytes().to_vec()))
        .collect();
    Some((
        d.kind().name().to_string(),
        d.reason().map(|r| r.name().to_string()),
        d.status(),
        sorted(headers),
    ))
}

/// The naive decision's outcome, with `headers` as its headers.
fn naive_outcome(d: &NaiveDecision, headers: Vec<(String, Vec<u8>)>) -> Outcome {
    (
        d.kind.to_string(),
        d.reason.map(str::to_string),
        d.status,
        sorted(headers),
    )
}

/// The upstream response's headers as a `HeaderMap`, in order.
fn header_map(upstream: &[(String, String)]) -> Result<http::HeaderMap, String> {
    let mut map = http::HeaderMap::new();
    for (n, v) in upstream {
        let name = http::HeaderName::from_bytes(n.as_bytes()).map_err(|e| format!("{n}: {e}"))?;
        let value = http::HeaderValue::from_bytes(v.as_bytes()).map_err(|e| format!("{v}: {e}"))?;
        map.append(name, value);
    }
    Ok(map)
}

#[test]
fn decision_tables() {
    let (mut failures, mut count) = (Vec::new(), 0);
    for table in cases::decision_tables().unwrap_or_else(|e| panic!("{e}")) {
        for case in table.content.case {
            count += 1;
            let policy = match Policy::new(&case.policy) {
                Ok(p) => p,
                Err(e) => {
                    failures.push(format!("[{}] invalid policy:\n{e}", case.name));
                    continue;
                }
            };
            let upstream = case
                .upstream
                .as_ref()
                .map_or(&[][..], |u| u.headers.as_slice());
            let upstream_map = match header_map(upstream) {
                Ok(map) => map,
                Err(e) => {
                    failures.push(format!("[{}] invalid upstream header {e}", case.name));
                    continue;
                }
            };
            let want: Outcome = (
                case.expect.clone(),
                case.reason.clone(),
                case.status,
                sorted(bytes(&case.headers)),
            );
            // Without upstream headers, the response holds exactly the decision's headers.
            let want_response: Outcome = (
                want.0.clone(),
                want.1.clone(),
                want.2,
                sorted(bytes(
                    case.upstream
                        .as_ref()
                        .map_or(&case.headers, |u| &u.response),
                )),
            );
            let show = |o: &Outcome| {
                let h: Vec<String> =
                    o.3.iter()
                        .map(|(n, v)| format!("{n}: {}", v.escape_ascii()))
                        .collect();
                format!("{} {:?} {:?} [{}]", o.0, o.1, o.2, h.join(" | "))
            };
            let mut check = |who: &str, got: Outcome, want: &Outcome| {
                if got != *want {
                    failures.push(format!(
                        "[{}] {who}\n   got  {}\n   want {}",
                        case.name,
                        show(&got),
                        show(want)
                    ));
                }
            };
            check("engine", engine(&policy, &case.request), &want);
            if let Some(got) = adapter(&policy, &case.request, &upstream_map) {
                check("http adapter", got, &want_response);
            }
            // A preflight is answered by the layer alone: the decision's headers, no upstream's.
            let want_layer = if want.2.is_some() {
                &want
            } else {
                &want_response
            };
            if let Some(got) = layer(&policy, &case.request, &upstream_map, want_layer) {
                check("tower layer", got, want_layer);
            }
            let d = NaiveEngine::new(&case.policy).decide(&case.request.naive());
            check("naive engine", naive_outcome(&d, d.headers.clone()), &want);
            let upstream = bytes(upstream);
            check(
                "naive response",
                naive_outcome(&d, d.respond(&upstream)),
                &want_response,
            );
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(count >= 150, "the decision tables shrank to {count} cases");
}
