//! [`Forward`]: the innermost service, which sends each request on to the upstream over pooled
//! connections and streams the response back.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http::header::{self, HeaderValue};
use http::uri::{Authority, PathAndQuery, Scheme};
use http::{Request, Response, StatusCode, Uri, Version};
use hyper::body::Incoming;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use tower_service::Service;

use crate::body::ProxyBody;
use crate::headers::{add_forwarded, add_via, remove_hop_by_hop};
use crate::metrics::{Metrics, UpstreamError};

/// Where requests go: an `http://` origin and an optional path prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Upstream {
    authority: Authority,
    /// The path of the upstream URL without its trailing `/` (empty for `/`).
    base: String,
}

impl Upstream {
    /// Reads an upstream URL: `http://HOST[:PORT][/PATH]`. A request for `/x?q` goes to
    /// `PATH/x?q`. `https` upstreams are not supported (the proxy has no TLS client).
    pub fn parse(url: &str) -> Result<Upstream, String> {
        let uri: Uri = url
            .parse()
            .map_err(|e| format!("`{url}` is not a URL: {e}"))?;
        match uri.scheme() {
            Some(s) if *s == Scheme::HTTP => {}
            Some(s) if *s == Scheme::HTTPS => {
                return Err(format!(
                    "`{url}`: https upstreams are not supported; run the proxy next to its upstream and use http://"
                ))
            }
            _ => return Err(format!("`{url}` is not an http:// URL")),
        }
        let authority = uri
            .authority()
            .ok_or_else(|| format!("`{url}` has no host"))?
            .clone();
        if authority.as_str().contains('@') {
            return Err(format!(
                "`{url}`: credentials in the upstream URL are not supported"
            ));
        }
        if uri.query().is_some() {
            return Err(format!("`{url}`: the upstream URL cannot have a query"));
        }
        let base = uri.path().trim_end_matches('/').to_string();
        Ok(Upstream { authority, base })
    }

    /// The upstream URI for a request received with `uri` (origin-form, or absolute-form whose
    /// scheme and authority are ignored).
    fn uri_for(&self, uri: &Uri) -> Result<Uri, http::Error> {
        let path = uri.path_and_query().map_or("/", PathAndQuery::as_str);
        let path_and_query = if self.base.is_empty() {
            PathAndQuery::try_from(path)?
        } else {
            PathAndQuery::try_from(format!("{}{path}", self.base))?
        };
        Uri::builder()
            .scheme(Scheme::HTTP)
            .authority(self.authority.clone())
            .path_and_query(path_and_query)
            .build()
    }
}

/// Timeouts of the upstream side.
#[derive(Clone, Copy, Debug)]
pub struct UpstreamTimeouts {
    /// To open a connection.
    pub connect: Duration,
    /// From sending a request to receiving its response's headers (the body then streams without
    /// a deadline).
    pub response: Duration,
    /// How long an idle pooled connection is kept.
    pub idle: Duration,
}

/// The upstream client shared by every connection: one pool.
#[derive(Clone)]
pub struct Forward {
    client: Client<HttpConnector, Incoming>,
    upstream: Arc<Upstream>,
    response_timeout: Duration,
    metrics: Arc<Metrics>,
    /// The client of the connection this service serves, for `X-Forwarded-For`.
    peer: Option<SocketAddr>,
}

impl Forward {
    /// A client for `upstream`, counting its errors in `metrics`.
    pub fn new(upstream: Upstream, timeouts: UpstreamTimeouts, metrics: Arc<Metrics>) -> Forward {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(timeouts.connect));
        connector.set_nodelay(true);
        connector.enforce_http(true);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(timeouts.idle)
            .pool_timer(TokioTimer::new())
            .timer(TokioTimer::new())
            .build(connector);
        Forward {
            client,
            upstream: Arc::new(upstream),
            response_timeout: timeouts.response,
            metrics,
            peer: None,
        }
    }

    /// This service, for the connection from `peer`.
    #[must_use]
    pub fn for_peer(&self, peer: SocketAddr) -> Forward {
        Forward {
            peer: Some(peer),
            ..self.clone()
        }
    }
}

/// An answer made by the proxy, with the reason as its body.
pub(crate) fn error_response(status: StatusCode, message: &'static str) -> Response<ProxyBody> {
    let mut response = Response::new(ProxyBody::text(message));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

impl Service<Request<Incoming>> for Forward {
    type Response = Response<ProxyBody>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<ProxyBody>, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Incoming>) -> Self::Future {
        let (mut parts, body) = request.into_parts();
        // The host the client asked for: `Host` (HTTP/1.1), or the `:authority` of HTTP/2.
        let host = match parts.headers.get(header::HOST) {
            Some(host) => Some(host.as_bytes().to_vec()),
            None => parts
                .uri
                .authority()
                .map(|a| a.as_str().as_bytes().to_vec()),
        };
        remove_hop_by_hop(&mut parts.headers);
        // Answered (or not) by this proxy's server already; the upstream gets the whole body.
        parts.headers.remove(header::EXPECT);
        // The client sets `Host` to the upstream's authority.
        parts.headers.remove(header::HOST);
        if let Some(peer) = self.peer {
            add_forwarded(&mut parts.headers, peer, host.as_deref());
        }
        add_via(&mut parts.headers, parts.version);
        parts.uri = match self.upstream.uri_for(&parts.uri) {
            Ok(uri) => uri,
            Err(_) => {
                return Box::pin(std::future::ready(Ok(error_response(
                    StatusCode::BAD_REQUEST,
                    "corsmatch: the request target cannot be forwarded\n",
                ))))
            }
        };
        parts.version = Version::HTTP_11;
        let sent = self.client.request(Request::from_parts(parts, body));
        let metrics = self.metrics.clone();
        let deadline = self.response_timeout;
        Box::pin(async move {
            let response = match tokio::time::timeout(deadline, sent).await {
                Ok(Ok(response)) => response,
                Ok(Err(e)) => {
                    let kind = if e.is_connect() {
                        UpstreamError::Connect
                    } else {
                        UpstreamError::Request
                    };
                    metrics.upstream_error(kind);
                    tracing::warn!(error = %ErrorChain(&e), kind = kind.name(), "upstream request failed");
                    return Ok(error_response(
                        StatusCode::BAD_GATEWAY,
                        "corsmatch: the upstream is unavailable\n",
                    ));
                }
                Err(_) => {
                    metrics.upstream_error(UpstreamError::Timeout);
                    tracing::warn!(
                        timeout_ms = deadline.as_millis() as u64,
                        "upstream response timed out"
                    );
                    return Ok(error_response(
                        StatusCode::GATEWAY_TIMEOUT,
                        "corsmatch: the upstream did not answer in time\n",
                    ));
                }
            };
            let (mut parts, body) = response.into_parts();
            remove_hop_by_hop(&mut parts.headers);
            add_via(&mut parts.headers, parts.version);
            Ok(Response::from_parts(parts, ProxyBody::Upstream(body)))
        })
    }
}

/// An error and its sources, on one line.
struct ErrorChain<'e>(&'e (dyn std::error::Error + 'static));

impl std::fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(e) = source {
            write!(f, ": {e}")?;
            source = e.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_urls_are_checked_and_paths_joined() {
        let up = Upstream::parse("http://127.0.0.1:8080").unwrap();
        let uri = up.uri_for(&"/a/b?c=d".parse().unwrap()).unwrap();
        assert_eq!(uri, "http://127.0.0.1:8080/a/b?c=d");
        let up = Upstream::parse("http://api.localhost:81/v1/").unwrap();
        let absolute: Uri = "http://elsewhere.example/x".parse().unwrap();
        assert_eq!(
            up.uri_for(&absolute).unwrap(),
            "http://api.localhost:81/v1/x"
        );
        for bad in [
            "https://a.example",
            "ftp://a.example",
            "127.0.0.1:80",
            "http://u:p@a.example",
            "http://a.example/?q",
            "not a url",
        ] {
            assert!(Upstream::parse(bad).is_err(), "{bad}");
        }
    }
}
