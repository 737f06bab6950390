//! The peers corsmatch is measured against, configured from the same allowlist and policy:
//!
//! * [`RegexSetMatcher`]: every entry translated to an anchored regex, all in one
//!   `regex::bytes::RegexSet` — the usual hand-rolled matcher of a proxy;
//! * [`tower_cors`]: tower-http's `CorsLayer` in front of a no-op service, its origin predicate an
//!   exact-origin `HashSet` plus a `RegexSet` of the wildcards, port wildcards and regexes (tower-http
//!   takes either a list or a predicate, so the predicate carries both), driven as a ready service.
//!
//! Both only match origins; neither validates the request grammar, and tower-http does not check the
//! requested method and headers (it answers with its lists and leaves the check to the browser). The
//! benches count how often a peer's origin verdict differs from corsmatch's on the trace, so that a
//! faster-but-wrong peer is visible.

use std::collections::HashSet;
use std::convert::Infallible;
use std::future::Future;
use std::task::{Context, Poll, Waker};

use corsmatch::pattern::{HostSpec, Pattern, PortSpec};
use corsmatch::policy::PolicyConfig;
use corsmatch::Allowlist;
use http::{Method, Request, Response};
use regex::bytes::RegexSet;
use tower::{Layer, Service};
use tower_http::cors::{AllowOrigin, Cors, CorsLayer};

/// The anchored regex of one allowlist entry, as a proxy author would write it.
pub fn entry_regex(pattern: &Pattern) -> String {
    const LABEL: &str = "[a-z0-9_-]+";
    match pattern {
        Pattern::Any => ".*".into(),
        Pattern::Null => "^null$".into(),
        Pattern::Regex(r) => {
            let src = r.source();
            let src = src.strip_prefix('^').unwrap_or(src);
            let src = src.strip_suffix('$').unwrap_or(src);
            format!("^(?:{src})$")
        }
        Pattern::Host(h) => {
            let host = match &h.host {
                HostSpec::Exact { host, .. } => regex::escape(host),
                HostSpec::Subdomains { base } => {
                    format!(r"{LABEL}(?:\.{LABEL})*\.{}", regex::escape(base))
                }
                other => panic!("no peer regex for the host kind {other:?}"),
            };
            let port = match h.port {
                PortSpec::Default => String::new(),
                PortSpec::Port(p) => format!(":{p}"),
                PortSpec::Any => "(?::[0-9]{1,5})?".into(),
                other => panic!("no peer regex for the port kind {other:?}"),
            };
            format!("^{}://{host}{port}$", regex::escape(&h.scheme))
        }
        other => panic!("no peer regex for the entry kind {other:?}"),
    }
}

/// Every entry as one anchored regex in a `RegexSet` (Unicode off, bytes).
pub struct RegexSetMatcher {
    set: RegexSet,
}

impl RegexSetMatcher {
    /// Builds the set from an allowlist.
    pub fn new(list: &Allowlist) -> RegexSetMatcher {
        let set = regex::bytes::RegexSetBuilder::new(
            list.entries().iter().map(|e| entry_regex(&e.pattern)),
        )
        .unicode(false)
        .size_limit(1 << 30)
        .dfa_size_limit(1 << 30)
        .build()
        .expect("the translated regexes compile");
        RegexSetMatcher { set }
    }

    /// Whether some entry matches.
    pub fn matches(&self, origin: &[u8]) -> bool {
        self.set.is_match(origin)
    }
}

/// The origin predicate given to tower-http: exact origins in a `HashSet`, everything else in a
/// `RegexSet`.
pub struct PredicateMatcher {
    exact: HashSet<Vec<u8>>,
    rest: Option<RegexSetMatcher>,
}

impl PredicateMatcher {
    /// Splits the allowlist into exact origins and the rest.
    pub fn new(list: &Allowlist) -> PredicateMatcher {
        let mut exact = HashSet::new();
        let mut rest = Vec::new();
        for e in list.entries() {
            match &e.pattern {
                Pattern::Null => {
                    exact.insert(b"null".to_vec());
                }
                Pattern::Host(h)
                    if matches!(h.host, HostSpec::Exact { .. }) && h.port != PortSpec::Any =>
                {
                    exact.insert(e.pattern.to_string().into_bytes());
                }
                _ => rest.push(e.text.to_string()),
            }
        }
        let rest = (!rest.is_empty()).then(|| {
            RegexSetMatcher::new(&Allowlist::parse(&rest).expect("entries of a valid list"))
        });
        PredicateMatcher { exact, rest }
    }

    /// Whether some entry matches.
    pub fn matches(&self, origin: &[u8]) -> bool {
        self.exact.contains(origin) || self.rest.as_ref().is_some_and(|r| r.matches(origin))
    }
}

/// The inner service: answers every request with an empty 200.
pub type Inner =
    tower::util::ServiceFn<fn(Request<()>) -> std::future::Ready<Result<Response<()>, Infallible>>>;

fn ok(_: Request<()>) -> std::future::Ready<Result<Response<()>, Infallible>> {
    std::future::ready(Ok(Response::new(())))
}

/// tower-http's `CorsLayer` configured like `config`, in front of a no-op service.
pub fn tower_cors(config: &PolicyConfig) -> Cors<Inner> {
    let list = Allowlist::parse(&config.origins).expect("a valid policy");
    let predicate = PredicateMatcher::new(&list);
    let mut layer = CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(move |origin, _parts| {
            predicate.matches(origin.as_bytes())
        }))
        .allow_methods(
            ["GET", "HEAD", "POST"]
                .into_iter()
                .chain(config.methods.iter().map(String::as_str))
                .map(|m| Method::from_bytes(m.as_bytes()).expect("a method"))
                .collect::<Vec<_>>(),
        )
        .allow_headers(if config.request_headers.iter().any(|h| h == "*") {
            tower_http::cors::AllowHeaders::any()
        } else {
            config
                .request_headers
                .iter()
                .map(|h| http::HeaderName::from_bytes(h.as_bytes()).expect("a header name"))
                .collect::<Vec<_>>()
                .into()
        })
        .expose_headers(
            config
                .expose_headers
                .iter()
                .map(|h| http::HeaderName::from_bytes(h.as_bytes()).expect("a header name"))
                .collect::<Vec<_>>(),
        )
        .allow_credentials(config.credentials);
    if let Some(age) = config.max_age {
        layer = layer.max_age(std::time::Duration::from_secs(age as u64));
    }
    layer.layer(tower::service_fn(ok as fn(_) -> _))
}

/// Calls a ready service once and polls the response future to completion; the inner service is
/// synchronous, so one poll suffices (more are tolerated).
pub fn call_ready(service: &mut Cors<Inner>, request: Request<()>) -> Response<()> {
    let mut cx = Context::from_waker(Waker::noop());
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

/// The `http` request of a trace request (`None` when its bytes are not valid header values).
pub fn http_request(r: &corsmatch_workload::TraceRequest) -> Option<Request<()>> {
    let (method, headers) = corsmatch_workload::replay::http_parts(r)?;
    let mut request = Request::new(());
    *request.method_mut() = method;
    *request.headers_mut() = headers;
    Some(request)
}
