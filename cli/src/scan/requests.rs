//! What a scan sends: probes (one `fetch()` call each, as a page script would make it), the plan
//! that bounds them by the request cap, the requests as `curl` commands, and the client that sends
//! them to the one target at a limited rate.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use corsmatch::policy::PolicyConfig;
use corsmatch_conformance::browser::{self, HttpRequest, HttpResponse, Profile, ScriptRequest};
use corsmatch_workload::OriginSource;
use http_body_util::Empty;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use super::origins::ScanOrigin;

/// A method no policy is expected to allow, preflighted to see whether the server checks methods.
pub const UNLISTED_METHOD: &str = "PROPFIND";
/// A header name no policy is expected to allow, preflighted with [`UNLISTED_METHOD`].
pub const UNLISTED_HEADER: &str = "x-corsmatch-probe";

/// Why a probe is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Purpose {
    /// A simple request (GET, HEAD, POST without unsafe headers): no preflight.
    Simple,
    /// A preflighted request with a method and headers the policy (or the command line) names.
    Configured,
    /// A preflighted request with a method and a header no policy names.
    Unlisted,
}

/// One `fetch()` call a scan makes from a page at `origin`; both credentials modes are judged
/// from the same exchanges (a server cannot tell them apart: the scan sends no cookies).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Probe {
    /// The page's origin and where it comes from.
    pub origin: ScanOrigin,
    /// The method, as the script writes it.
    pub method: String,
    /// The request headers the script sets.
    pub headers: Vec<(String, String)>,
    /// Why the probe is made.
    pub purpose: Purpose,
}

impl Probe {
    /// The script call, in credentials mode `credentials`.
    pub fn script(&self, credentials: bool) -> ScriptRequest {
        ScriptRequest {
            origin: self.origin.origin.clone(),
            method: self.method.clone(),
            headers: self.headers.clone(),
            credentials,
            ..ScriptRequest::default()
        }
    }

    /// The most requests the probe sends: a preflight and the actual request.
    pub fn bound(&self) -> usize {
        if browser::needs_preflight_as(Profile::Chromium, &self.script(true)) {
            2
        } else {
            1
        }
    }
}

/// A value for a request header a probe sets: one that makes a browser list the name in a
/// preflight.
fn header_value(name: &str) -> String {
    match name {
        "content-type" => "application/json".into(),
        "authorization" => "Bearer corsmatch-scan".into(),
        _ => "1".into(),
    }
}

/// The methods and headers the probes use beyond the simple ones: the policy's (`*` left out) and
/// the command line's.
pub struct Shapes {
    /// Methods to preflight.
    pub methods: Vec<String>,
    /// Headers every configured preflight sets.
    pub headers: Vec<(String, String)>,
}

impl Shapes {
    /// The shapes from `policy` and the `--method`/`--header` options. Without any method, `PUT`
    /// (a preflight is what is being checked).
    pub fn new(
        policy: Option<&PolicyConfig>,
        methods: &[String],
        headers: &[(String, String)],
    ) -> Shapes {
        let mut out_methods: Vec<String> = Vec::new();
        let mut out_headers: Vec<(String, String)> = Vec::new();
        if let Some(config) = policy {
            out_methods.extend(config.methods.iter().filter(|m| *m != "*").cloned());
            for name in config.request_headers.iter().filter(|h| *h != "*") {
                let name = name.to_ascii_lowercase();
                out_headers.push((name.clone(), header_value(&name)));
            }
        }
        out_methods.extend(methods.iter().cloned());
        for (name, value) in headers {
            out_headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
            out_headers.push((name.clone(), value.clone()));
        }
        if out_methods.is_empty() {
            out_methods.push("PUT".into());
        }
        let mut seen = std::collections::HashSet::new();
        out_methods.retain(|m| seen.insert(m.clone()));
        Shapes {
            methods: out_methods,
            headers: out_headers,
        }
    }
}

/// Every probe, most telling first: a GET from every origin, then the configured preflights, the
/// unlisted preflight, HEAD and POST. `cap` bounds the requests the kept probes may send (each
/// counted at its most); the rest are dropped and counted in the second value.
pub fn plan(origins: &[ScanOrigin], shapes: &Shapes, cap: usize) -> (Vec<Probe>, usize) {
    let mut all = Vec::new();
    let simple = |method: &str, origin: &ScanOrigin| Probe {
        origin: origin.clone(),
        method: method.into(),
        headers: Vec::new(),
        purpose: Purpose::Simple,
    };
    all.extend(origins.iter().map(|o| simple("GET", o)));
    for method in &shapes.methods {
        for o in origins {
            all.push(Probe {
                origin: o.clone(),
                method: method.clone(),
                headers: shapes.headers.clone(),
                purpose: Purpose::Configured,
            });
        }
    }
    // The unlisted preflight from origins the policy names (from all, without a policy).
    for o in origins {
        if matches!(o.source, OriginSource::Entry(_)) || o.origin == "null" {
            all.push(Probe {
                origin: o.clone(),
                method: UNLISTED_METHOD.into(),
                headers: vec![(UNLISTED_HEADER.into(), "1".into())],
                purpose: Purpose::Unlisted,
            });
        }
    }
    for method in ["HEAD", "POST"] {
        all.extend(origins.iter().map(|o| simple(method, o)));
    }
    let mut used = 0;
    let mut kept = Vec::new();
    let mut dropped = 0;
    for probe in all {
        let bound = probe.bound();
        if used + bound <= cap {
            used += bound;
            kept.push(probe);
        } else {
            dropped += 1;
        }
    }
    (kept, dropped)
}

/// The one server a scan talks to.
#[derive(Clone, Debug)]
pub struct Target {
    /// `http://host[:port]`.
    pub origin: String,
    /// `host[:port]`, sent as `Host`.
    pub authority: String,
    /// The path and query requested.
    pub path: String,
}

impl Target {
    /// Parses `http://HOST[:PORT][/PATH]`.
    pub fn parse(url: &str) -> Result<Target, String> {
        let uri: http::Uri = url
            .parse()
            .map_err(|_| format!("`{}` is not a URL", url.escape_debug()))?;
        match uri.scheme_str() {
            Some("http") => {}
            Some("https") => {
                return Err("https:// targets are not supported yet: scan over http://".into())
            }
            _ => {
                return Err(format!(
                    "`{}`: the URL must start with http://",
                    url.escape_debug()
                ))
            }
        }
        let authority = uri
            .authority()
            .ok_or_else(|| format!("`{}` has no host", url.escape_debug()))?;
        if authority.as_str().contains('@') {
            return Err("the URL must not hold userinfo".into());
        }
        Ok(Target {
            origin: format!("http://{authority}"),
            authority: authority.to_string(),
            path: uri
                .path_and_query()
                .map_or("/".into(), |p| p.as_str().to_string()),
        })
    }

    /// The URL requested.
    pub fn url(&self) -> String {
        format!("{}{}", self.origin, self.path)
    }
}

/// `value` quoted for a POSIX shell.
fn quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

/// `request` to `target` as a `curl` command that prints the response head.
pub fn curl(target: &Target, request: &HttpRequest) -> String {
    let method = String::from_utf8_lossy(&request.method);
    let mut out = String::from("curl -sS -o /dev/null -D -");
    if method == "HEAD" {
        out = String::from("curl -sS -I");
    } else if method != "GET" {
        out.push_str(&format!(" -X {}", quote(&method)));
    }
    for (name, value) in &request.headers {
        if name == "accept" {
            continue;
        }
        out.push_str(&format!(
            " -H {}",
            quote(&format!("{}: {}", name, String::from_utf8_lossy(value)))
        ));
    }
    out.push(' ');
    out.push_str(&quote(&target.url()));
    out
}

/// The requests a probe sends to a server that allows everything it asks (a preflight when one is
/// needed, then the actual request): what `--dry-run` prints.
pub fn requests_of(probe: &Probe) -> Vec<HttpRequest> {
    let outcome = browser::run_as(Profile::Chromium, &probe.script(true), &mut |req| {
        let get = |name: &str| {
            req.headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        let mut headers = vec![
            (
                "access-control-allow-origin".into(),
                get("origin").unwrap_or_default(),
            ),
            ("access-control-allow-credentials".into(), b"true".to_vec()),
        ];
        if let Some(m) = get("access-control-request-method") {
            headers.push(("access-control-allow-methods".into(), m));
        }
        if let Some(h) = get("access-control-request-headers") {
            headers.push(("access-control-allow-headers".into(), h));
        }
        HttpResponse {
            status: 200,
            headers,
        }
    });
    outcome.exchanges.into_iter().map(|(req, _)| req).collect()
}

/// How requests go out: at most `rate` per second, `concurrency` at once, each within `timeout`.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Requests per second.
    pub rate: f64,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// From sending a request to its response's head.
    pub timeout: Duration,
}

/// What a sent request got: a response head, or why there is none.
pub type Answer = Result<HttpResponse, String>;

/// The client of a scan: one target, a rate limit, a concurrency limit, and a record of every
/// exchange, so that the same request is sent once however many credentials modes look at it.
pub struct Sender {
    client: Client<HttpConnector, Empty<Bytes>>,
    target: Target,
    limits: Limits,
    next_slot: Mutex<Instant>,
    in_flight: tokio::sync::Semaphore,
    sent: Mutex<HashMap<RequestKey, Answer>>,
}

/// A request as sent: method and headers.
type RequestKey = (Vec<u8>, Vec<(String, Vec<u8>)>);

impl Sender {
    /// A client for `target`.
    pub fn new(target: Target, limits: Limits) -> Arc<Sender> {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(limits.timeout));
        Arc::new(Sender {
            client: Client::builder(TokioExecutor::new())
                .pool_idle_timeout(Duration::from_secs(30))
                .build(connector),
            target,
            limits,
            next_slot: Mutex::new(Instant::now()),
            in_flight: tokio::sync::Semaphore::new(limits.concurrency.max(1)),
            sent: Mutex::new(HashMap::new()),
        })
    }

    /// How many distinct requests went out.
    pub fn sent(&self) -> usize {
        self.sent.lock().map_or(0, |s| s.len())
    }

    /// How many distinct requests got no response (each counted once, however many credentials
    /// modes asked for it).
    pub fn failed(&self) -> usize {
        self.sent
            .lock()
            .map_or(0, |s| s.values().filter(|a| a.is_err()).count())
    }

    /// What an earlier identical request got, if one was sent.
    pub fn recorded(&self, request: &HttpRequest) -> Option<Answer> {
        let key = (request.method.clone(), request.headers.clone());
        self.sent.lock().ok()?.get(&key).cloned()
    }

    /// Sends `request` (once: a repeat gets the recorded answer).
    pub async fn send(&self, request: &HttpRequest) -> Answer {
        if let Some(answer) = self.recorded(request) {
            return answer;
        }
        let _permit = self.in_flight.acquire().await.map_err(|e| e.to_string())?;
        let wait = {
            let mut next = self.next_slot.lock().map_err(|e| e.to_string())?;
            let now = Instant::now();
            let slot = (*next).max(now);
            *next = slot + Duration::from_secs_f64(1.0 / self.limits.rate.max(0.001));
            slot - now
        };
        tokio::time::sleep(wait).await;
        let answer = self.exchange(request).await;
        if let Ok(mut sent) = self.sent.lock() {
            sent.insert(
                (request.method.clone(), request.headers.clone()),
                answer.clone(),
            );
        }
        answer
    }

    async fn exchange(&self, request: &HttpRequest) -> Answer {
        let mut builder = http::Request::builder()
            .method(
                http::Method::from_bytes(&request.method)
                    .map_err(|_| "the method is not a token".to_string())?,
            )
            .uri(self.target.url())
            .header(http::header::HOST, &self.target.authority)
            .header(http::header::USER_AGENT, "corsmatch-scan");
        for (name, value) in &request.headers {
            let value = http::HeaderValue::from_bytes(value)
                .map_err(|_| format!("the value of {name} cannot be sent"))?;
            builder = builder.header(name.as_str(), value);
        }
        let req = builder
            .body(Empty::new())
            .map_err(|e| format!("cannot build the request: {e}"))?;
        let response = tokio::time::timeout(self.limits.timeout, self.client.request(req))
            .await
            .map_err(|_| format!("no response within {:?}", self.limits.timeout))?
            .map_err(|e| format!("request failed: {e}"))?;
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str().to_string(), v.as_bytes().to_vec()))
            .collect();
        Ok(HttpResponse {
            status: response.status().as_u16(),
            headers,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(o: &str, source: OriginSource) -> ScanOrigin {
        ScanOrigin {
            origin: o.into(),
            source,
            rank: 0,
        }
    }

    #[test]
    fn the_plan_puts_gets_first_and_respects_the_cap() {
        let origins = [
            origin("https://a.example", OriginSource::Entry(0)),
            origin("https://b.example", OriginSource::NearMiss(0)),
        ];
        let shapes = Shapes::new(None, &["DELETE".into()], &[("x-a".into(), "1".into())]);
        let (all, dropped) = plan(&origins, &shapes, 1000);
        assert_eq!(dropped, 0);
        assert_eq!(all[0].method, "GET");
        assert_eq!(all[1].method, "GET");
        assert_eq!(all[2].method, "DELETE");
        assert!(all.iter().any(|p| p.purpose == Purpose::Unlisted));
        let (few, dropped) = plan(&origins, &shapes, 3);
        // GET, GET, then no room for a preflight's two requests, and room for one HEAD.
        assert_eq!(few.len(), 3);
        assert_eq!(few[2].method, "HEAD");
        assert_eq!(dropped, all.len() - 3);
        assert!(few.iter().map(Probe::bound).sum::<usize>() <= 3);
    }

    #[test]
    fn curl_commands_quote_what_they_send() {
        let target = Target::parse("http://127.0.0.1:8080/api?x=1").unwrap();
        let probe = Probe {
            origin: origin("https://a.example'x", OriginSource::Unrelated),
            method: "PUT".into(),
            headers: vec![("x-a".into(), "1".into())],
            purpose: Purpose::Configured,
        };
        let requests = requests_of(&probe);
        assert_eq!(requests.len(), 2);
        assert_eq!(
            curl(&target, &requests[0]),
            "curl -sS -o /dev/null -D - -X 'OPTIONS' -H 'access-control-request-method: PUT' \
             -H 'access-control-request-headers: x-a' -H 'origin: https://a.example'\\''x' \
             'http://127.0.0.1:8080/api?x=1'"
        );
        assert!(Target::parse("https://x.example").is_err());
        assert!(Target::parse("ftp://x.example").is_err());
    }
}
