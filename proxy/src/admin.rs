//! The admin endpoint: `GET /metrics` (Prometheus text format) and `GET /healthz`.

use std::convert::Infallible;
use std::sync::Arc;

use http::header::{self, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use hyper::body::Incoming;

use crate::body::ProxyBody;
use crate::forward::error_response;
use crate::metrics::Metrics;

/// Answers one admin request.
pub(crate) fn answer(
    request: &Request<Incoming>,
    metrics: &Arc<Metrics>,
) -> Result<Response<ProxyBody>, Infallible> {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        let mut response = error_response(StatusCode::METHOD_NOT_ALLOWED, "GET or HEAD only\n");
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return Ok(response);
    }
    let (body, content_type) = match request.uri().path() {
        "/metrics" => (metrics.render(), "text/plain; version=0.0.4; charset=utf-8"),
        "/healthz" => ("ok\n".to_string(), "text/plain; charset=utf-8"),
        _ => {
            return Ok(error_response(
                StatusCode::NOT_FOUND,
                "not found: /metrics or /healthz\n",
            ))
        }
    };
    let mut response = Response::new(ProxyBody::text(body));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
