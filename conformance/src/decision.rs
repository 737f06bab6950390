//! The naive server-side CORS decision: a slow, obvious twin of `corsmatch::policy`, used only by tests,
//! fuzzing and benches.
//!
//! It is written line by line from `corpus/cases/README.md` ("`decisions-*.toml`": "The policy file"
//! and "Decision rules" 1–8; for [`NaiveDecision::respond`], the rule on upstream CORS headers in
//! "Semantics decided here") and ARCHITECTURE.md ("The CORS decision"), and it shares **no code**
//! with the engine: from `corsmatch::policy` it only reads the plain [`PolicyConfig`] data struct, it
//! never touches `corsmatch::origin` or `corsmatch::automata`, and origin matching goes through this crate's
//! own naive [`ReferenceMatcher`], built from the config's origins parsed by the config-side language
//! (`corsmatch::pattern::Allowlist::parse_all`; `Pattern::parse` tells which entry is `*`). The config
//! normalization (Fetch method normalization, lowercased header names, `["*"]` wildcards) is redone
//! here too. Everything is owned `String`s, `Vec`s and plain loops, so that a differential test can
//! trust it as the obvious answer.
//!
//! The configuration is assumed valid (the engine's `Policy::new` validates it): on an invalid one the
//! naive engine still answers, but what it answers is unspecified.

use corsmatch::pattern::{Allowlist, Pattern};
use corsmatch::policy::PolicyConfig;

use crate::browser::normalize_method;
use crate::reference::ReferenceMatcher;

/// At most this many `Access-Control-Request-Headers` lines.
const MAX_ACRH_LINES: usize = 16;

/// At most this many bytes over all `Access-Control-Request-Headers` lines together.
const MAX_ACRH_BYTES: usize = 4096;

/// At most this many comma-separated elements over all lines, empty ones included.
const MAX_ACRH_ELEMENTS: usize = 64;

/// The `Vary` value of every preflight answer that depends on the origin.
const VARY_PREFLIGHT: &str =
    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers";

/// The `Vary` value of an allowed preflight when the policy allows every origin without credentials.
const VARY_PREFLIGHT_ANY: &str = "Access-Control-Request-Method, Access-Control-Request-Headers";

/// The request as the naive engine sees it: the raw bytes of the few headers that matter.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NaiveRequest {
    /// The request method, exact bytes.
    pub method: Vec<u8>,
    /// The `Origin` header value; `None` when the request has no such header.
    pub origin: Option<Vec<u8>>,
    /// The `Access-Control-Request-Method` header value; `None` when absent.
    pub acrm: Option<Vec<u8>>,
    /// The `Access-Control-Request-Headers` header lines, in order (empty when absent).
    pub acrh: Vec<Vec<u8>>,
    /// Whether the request carries `Access-Control-Request-Private-Network: true`.
    pub private_network: bool,
}

/// What the naive engine decided, in the words of the `decisions-*.toml` tables.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NaiveDecision {
    /// `not-cors`, `preflight-allowed`, `preflight-denied`, `actual-allowed` or `actual-denied`.
    pub kind: &'static str,
    /// For a denial, why: `malformed-origin`, `origin-not-allowed`, `malformed-method`,
    /// `method-not-allowed`, `malformed-header-list`, `header-not-allowed`, `header-list-too-large` or
    /// `private-network-not-allowed`. `None` otherwise.
    pub reason: Option<&'static str>,
    /// The response status, for preflights only (`preflight_status` when allowed, 403 when denied).
    pub status: Option<u16>,
    /// Every header the engine sets: lowercase name and value bytes, in no meaningful order.
    pub headers: Vec<(String, Vec<u8>)>,
}

/// The CORS response headers, of which the policy is the only source (`corpus/cases/README.md`,
/// "Semantics decided here").
const CORS_RESPONSE_HEADERS: [&str; 7] = [
    "access-control-allow-origin",
    "access-control-allow-credentials",
    "access-control-allow-methods",
    "access-control-allow-headers",
    "access-control-expose-headers",
    "access-control-max-age",
    "access-control-allow-private-network",
];

impl NaiveDecision {
    /// The headers of the response that leaves when this decision is applied to an upstream response
    /// whose headers are `upstream` (name, value; one entry per header line), as the README's "Semantics
    /// decided here" says: every upstream header is kept (its name lowercased) except the CORS
    /// response headers, which only the decision sets; the decision's headers are added, `Vary` aside;
    /// the decision's `Vary` tokens that no upstream `Vary` line holds (case-insensitively) are added
    /// as one more `Vary` line, joined with `, `, and none when an upstream `Vary` holds `*`.
    pub fn respond(&self, upstream: &[(String, Vec<u8>)]) -> Vec<(String, Vec<u8>)> {
        let mut out = Vec::new();
        let mut upstream_vary: Vec<Vec<u8>> = Vec::new();
        for (name, value) in upstream {
            let name = name.to_ascii_lowercase();
            if CORS_RESPONSE_HEADERS.contains(&name.as_str()) {
                continue;
            }
            if name == "vary" {
                for token in split_elements(value) {
                    upstream_vary.push(token.to_ascii_lowercase());
                }
            }
            out.push((name, value.clone()));
        }
        for (name, value) in &self.headers {
            if name != "vary" {
                out.push((name.clone(), value.clone()));
                continue;
            }
            if upstream_vary.contains(&b"*".to_vec()) {
                continue;
            }
            let mut missing: Vec<Vec<u8>> = Vec::new();
            for token in split_elements(value) {
                if !upstream_vary.contains(&token.to_ascii_lowercase()) {
                    missing.push(token);
                }
            }
            if !missing.is_empty() {
                out.push((name.clone(), missing.join(&b", "[..])));
            }
        }
        out
    }
}

/// The naive engine: a normalized copy of the policy plus a [`ReferenceMatcher`].
#[derive(Debug)]
pub struct NaiveEngine {
    /// The origin allowlist, matched by the naive matcher.
    matcher: ReferenceMatcher,
    /// Whether some entry of `origins` is `*`.
    any_origin: bool,
    /// `methods = ["*"]`.
    any_method: bool,
    /// The allowed methods beyond GET/HEAD/POST, normalized (Fetch), GET/HEAD/POST dropped.
    methods: Vec<String>,
    /// `request_headers = ["*"]`.
    any_request_header: bool,
    /// The allowed request header names, lowercased.
    request_headers: Vec<String>,
    /// The `Access-Control-Expose-Headers` value of an allowed actual request; `None` when no name is
    /// configured.
    expose: Option<String>,
    /// `credentials`.
    credentials: bool,
    /// `max_age`.
    max_age: Option<i64>,
    /// `private_network`.
    private_network: bool,
    /// `preflight_status`.
    preflight_status: u16,
}

impl NaiveEngine {
    /// Builds the engine from a policy as configured, normalizing it here per the README's "The policy
    /// file": methods get Fetch's normalization (only `delete`, `get`, `head`, `options`, `post` and
    /// `put` are uppercased, in any case) and GET/HEAD/POST are dropped; header names are lowercased;
    /// a list that is exactly `["*"]` is a wildcard.
    ///
    /// Assumes a valid config (the engine validates it); an allowlist entry that does not parse is
    /// skipped rather than panicking.
    pub fn new(config: &PolicyConfig) -> NaiveEngine {
        let (allowlist, _errors) = Allowlist::parse_all(&config.origins);
        let matcher = ReferenceMatcher::new(&allowlist);

        let mut any_origin = false;
        for entry in &config.origins {
            let mut notes = Vec::new();
            if let Ok(Pattern::Any) = Pattern::parse(entry, &mut notes) {
                any_origin = true;
            }
        }

        let any_method = is_wildcard_list(&config.methods);
        let mut methods = Vec::new();
        if !any_method {
            for m in &config.methods {
                let m = normalize_method(m);
                if m == "GET" || m == "HEAD" || m == "POST" {
                    continue;
                }
                methods.push(m);
            }
        }

        // `*` may stand beside `authorization`, which it never covers (Fetch §2.2.2).
        let any_request_header = config.request_headers.iter().any(|h| h == "*");
        let mut request_headers = Vec::new();
        for h in config.request_headers.iter().filter(|h| *h != "*") {
            request_headers.push(h.to_ascii_lowercase());
        }

        let expose = if config.expose_headers.is_empty() {
            None
        } else if is_wildcard_list(&config.expose_headers) {
            Some("*".to_string())
        } else {
            // Lowercased like every configured header name; a repeated name is sent once, where it
            // first appears.
            let mut names: Vec<String> = Vec::new();
            for h in &config.expose_headers {
                let h = h.to_ascii_lowercase();
                if !names.contains(&h) {
                    names.push(h);
                }
            }
            Some(names.join(", "))
        };

        let preflight_status = if (200..=299).contains(&config.preflight_status) {
            config.preflight_status as u16
        } else {
            204
        };

        NaiveEngine {
            matcher,
            any_origin,
            any_method,
            methods,
            any_request_header,
            request_headers,
            expose,
            credentials: config.credentials,
            max_age: config.max_age,
            private_network: config.private_network,
            preflight_status,
        }
    }

    /// Decides one request, following the README's "Decision rules" 1–8 in order.
    pub fn decide(&self, req: &NaiveRequest) -> NaiveDecision {
        // Rule 1: no Origin → not CORS.
        let origin = match &req.origin {
            None => {
                let mut headers = Vec::new();
                if !self.is_public() {
                    headers.push(header("vary", "Origin"));
                }
                return NaiveDecision {
                    kind: "not-cors",
                    reason: None,
                    status: None,
                    headers,
                };
            }
            Some(o) => o,
        };

        // Rule 2: classification.
        let is_preflight = req.method == b"OPTIONS" && req.acrm.is_some();

        if is_preflight {
            match self.check_preflight(origin, req) {
                Err(reason) => preflight_denied(reason),
                Ok(()) => self.preflight_allowed(origin, req),
            }
        } else {
            match self.check_origin(origin) {
                // Rule 8.
                Err(reason) => NaiveDecision {
                    kind: "actual-denied",
                    reason: Some(reason),
                    status: None,
                    headers: vec![header("vary", "Origin")],
                },
                Ok(()) => self.actual_allowed(origin),
            }
        }
    }

    /// "The policy has a `*` entry and no credentials": the answer does not depend on the origin, so
    /// `Access-Control-Allow-Origin` is `*` and `Vary` leaves `Origin` out.
    fn is_public(&self) -> bool {
        self.any_origin && !self.credentials
    }

    /// Rule 3: grammar first, then the allowlist.
    fn check_origin(&self, origin: &[u8]) -> Result<(), &'static str> {
        if crate::reference::parse_origin(origin).is_none() {
            return Err("malformed-origin");
        }
        if !self.matcher.matches(origin) {
            return Err("origin-not-allowed");
        }
        Ok(())
    }

    /// Rules 3 and 4, in order; `Err` holds the denial reason.
    fn check_preflight(&self, origin: &[u8], req: &NaiveRequest) -> Result<(), &'static str> {
        self.check_origin(origin)?;

        // The method.
        let acrm: &[u8] = match &req.acrm {
            Some(m) => m,
            None => &[],
        };
        if !is_token(acrm) {
            return Err("malformed-method");
        }
        let safelisted = acrm == b"GET" || acrm == b"HEAD" || acrm == b"POST";
        let mut listed = false;
        for m in &self.methods {
            if m.as_bytes() == acrm {
                listed = true;
            }
        }
        if !safelisted && !listed && !self.any_method {
            return Err("method-not-allowed");
        }

        let names = parse_header_list(&req.acrh)?;

        // Every name must be allowed.
        for name in &names {
            let lower = name.to_ascii_lowercase();
            let mut allowed = false;
            if self.any_request_header && lower != b"authorization" {
                allowed = true;
            }
            for h in &self.request_headers {
                if h.as_bytes() == lower.as_slice() {
                    allowed = true;
                }
            }
            if !allowed {
                return Err("header-not-allowed");
            }
        }

        // Private Network Access.
        if req.private_network && !self.private_network {
            return Err("private-network-not-allowed");
        }
        Ok(())
    }

    /// The `Access-Control-Allow-Origin` value of an allowed request (rules 5 and 7).
    fn allow_origin(&self, origin: &[u8]) -> Vec<u8> {
        if self.is_public() {
            b"*".to_vec()
        } else {
            origin.to_vec()
        }
    }

    /// Rule 5.
    fn preflight_allowed(&self, origin: &[u8], req: &NaiveRequest) -> NaiveDecision {
        let mut headers = Vec::new();
        headers.push((
            "access-control-allow-origin".to_string(),
            self.allow_origin(origin),
        ));
        if self.credentials {
            headers.push(header("access-control-allow-credentials", "true"));
        }
        let acrm = req.acrm.clone().unwrap_or_default();
        headers.push(("access-control-allow-methods".to_string(), acrm));
        for line in &req.acrh {
            let mut holds_a_name = false;
            for element in split_elements(line) {
                if !element.is_empty() {
                    holds_a_name = true;
                }
            }
            if holds_a_name {
                headers.push(("access-control-allow-headers".to_string(), line.clone()));
            }
        }
        if let Some(age) = self.max_age {
            headers.push(header("access-control-max-age", &age.to_string()));
        }
        if req.private_network && self.private_network {
            headers.push(header("access-control-allow-private-network", "true"));
        }
        if self.is_public() {
            headers.push(header("vary", VARY_PREFLIGHT_ANY));
        } else {
            headers.push(header("vary", VARY_PREFLIGHT));
        }
        NaiveDecision {
            kind: "preflight-allowed",
            reason: None,
            status: Some(self.preflight_status),
            headers,
        }
    }

    /// Rule 7.
    fn actual_allowed(&self, origin: &[u8]) -> NaiveDecision {
        let mut headers = Vec::new();
        headers.push((
            "access-control-allow-origin".to_string(),
            self.allow_origin(origin),
        ));
        if self.credentials {
            headers.push(header("access-control-allow-credentials", "true"));
        }
        if let Some(expose) = &self.expose {
            headers.push(header("access-control-expose-headers", expose));
        }
        if !self.is_public() {
            headers.push(header("vary", "Origin"));
        }
        NaiveDecision {
            kind: "actual-allowed",
            reason: None,
            status: None,
            headers,
        }
    }
}

/// Reads `Access-Control-Request-Headers` lines as rule 4 of `corpus/cases/README.md` says: limits
/// first (lines, bytes, elements counting empty ones), then every non-empty trimmed element must be a
/// token. Returns the names as sent, or the deny reason.
pub fn parse_header_list(lines: &[Vec<u8>]) -> Result<Vec<Vec<u8>>, &'static str> {
    if lines.len() > MAX_ACRH_LINES {
        return Err("header-list-too-large");
    }
    let mut total_bytes = 0;
    let mut total_elements = 0;
    for line in lines {
        total_bytes += line.len();
        let mut commas = 0;
        for b in line {
            if *b == b',' {
                commas += 1;
            }
        }
        total_elements += commas + 1;
    }
    if total_bytes > MAX_ACRH_BYTES || total_elements > MAX_ACRH_ELEMENTS {
        return Err("header-list-too-large");
    }
    let mut names: Vec<Vec<u8>> = Vec::new();
    for line in lines {
        for element in split_elements(line) {
            if element.is_empty() {
                continue;
            }
            if !is_token(&element) {
                return Err("malformed-header-list");
            }
            names.push(element);
        }
    }
    Ok(names)
}

/// Rule 6: 403, only the full `Vary`, never an `access-control-*` header.
fn preflight_denied(reason: &'static str) -> NaiveDecision {
    NaiveDecision {
        kind: "preflight-denied",
        reason: Some(reason),
        status: Some(403),
        headers: vec![header("vary", VARY_PREFLIGHT)],
    }
}

fn header(name: &str, value: &str) -> (String, Vec<u8>) {
    (name.to_string(), value.as_bytes().to_vec())
}

/// A configured list that is exactly `["*"]`.
fn is_wildcard_list(list: &[String]) -> bool {
    list.len() == 1 && list[0] == "*"
}

/// RFC 9110 `tchar`: `!#$%&'*+-.^_`|~`, DIGIT, ALPHA.
fn is_tchar(b: u8) -> bool {
    if b.is_ascii_alphanumeric() {
        return true;
    }
    let specials = b"!#$%&'*+-.^_`|~";
    specials.contains(&b)
}

/// RFC 9110 `token`: one or more `tchar`s.
pub fn is_token(bytes: &[u8]) -> bool {
    if bytes.is_empty() {
        return false;
    }
    for b in bytes {
        if !is_tchar(*b) {
            return false;
        }
    }
    true
}

/// The comma-separated elements of one line, each trimmed of spaces and tabs (empty ones kept).
fn split_elements(line: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for part in line.split(|b| *b == b',') {
        let mut start = 0;
        let mut end = part.len();
        while start < end && (part[start] == b' ' || part[start] == b'\t') {
            start += 1;
        }
        while end > start && (part[end - 1] == b' ' || part[end - 1] == b'\t') {
            end -= 1;
        }
        out.push(part[start..end].to_vec());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const APP: &str = "https://app.example.com";

    fn config(origins: &[&str]) -> PolicyConfig {
        PolicyConfig::new(origins.iter().copied())
    }

    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn actual(method: &str, origin: Option<&str>) -> NaiveRequest {
        NaiveRequest {
            method: method.as_bytes().to_vec(),
            origin: origin.map(|o| o.as_bytes().to_vec()),
            ..NaiveRequest::default()
        }
    }

    fn preflight(origin: &str, acrm: &str, acrh: &[&str]) -> NaiveRequest {
        NaiveRequest {
            method: b"OPTIONS".to_vec(),
            origin: Some(origin.as_bytes().to_vec()),
            acrm: Some(acrm.as_bytes().to_vec()),
            acrh: acrh.iter().map(|l| l.as_bytes().to_vec()).collect(),
            private_network: false,
        }
    }

    /// Headers as sorted `(name, value)` strings, for comparison as a multiset.
    fn headers(d: &NaiveDecision) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = d
            .headers
            .iter()
            .map(|(n, v)| (n.clone(), String::from_utf8(v.clone()).unwrap()))
            .collect();
        out.sort();
        out
    }

    fn want(list: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = list
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        out.sort();
        out
    }

    fn reason(engine: &NaiveEngine, req: &NaiveRequest) -> Option<&'static str> {
        engine.decide(req).reason
    }

    #[test]
    fn not_cors_varies_unless_public() {
        let d = NaiveEngine::new(&config(&[APP])).decide(&actual("GET", None));
        assert_eq!(d.kind, "not-cors");
        assert_eq!(d.reason, None);
        assert_eq!(d.status, None);
        assert_eq!(headers(&d), want(&[("vary", "Origin")]));

        let d = NaiveEngine::new(&config(&["*"])).decide(&actual("GET", None));
        assert_eq!(d.kind, "not-cors");
        assert!(d.headers.is_empty());

        // OPTIONS with ACRM but no Origin is still not CORS.
        let mut req = preflight(APP, "PUT", &[]);
        req.origin = None;
        assert_eq!(
            NaiveEngine::new(&config(&[APP])).decide(&req).kind,
            "not-cors"
        );
    }

    #[test]
    fn classification() {
        let e = NaiveEngine::new(&config(&[APP]));
        // OPTIONS without ACRM is an actual request.
        assert_eq!(
            e.decide(&actual("OPTIONS", Some(APP))).kind,
            "actual-allowed"
        );
        // Lowercase `options` with ACRM is not a preflight (exact bytes).
        let mut req = preflight(APP, "GET", &[]);
        req.method = b"options".to_vec();
        assert_eq!(e.decide(&req).kind, "actual-allowed");
        assert_eq!(
            e.decide(&preflight(APP, "GET", &[])).kind,
            "preflight-allowed"
        );
    }

    #[test]
    fn actual_requests() {
        let e = NaiveEngine::new(&config(&[APP]));
        let d = e.decide(&actual("POST", Some(APP)));
        assert_eq!(d.kind, "actual-allowed");
        assert_eq!(d.status, None);
        assert_eq!(
            headers(&d),
            want(&[("access-control-allow-origin", APP), ("vary", "Origin")])
        );

        let d = e.decide(&actual("GET", Some("https://evil.example")));
        assert_eq!(d.kind, "actual-denied");
        assert_eq!(d.reason, Some("origin-not-allowed"));
        assert_eq!(d.status, None);
        assert_eq!(headers(&d), want(&[("vary", "Origin")]));

        let d = e.decide(&actual("GET", Some("HTTPS://app.example.com")));
        assert_eq!(d.reason, Some("malformed-origin"));
        let d = e.decide(&actual("GET", Some("https://app.example.com:443")));
        assert_eq!(d.reason, Some("malformed-origin"));
    }

    #[test]
    fn public_policy_sends_star_and_no_vary() {
        // The `*` entry is not the first one, yet the answer is `*`.
        let e = NaiveEngine::new(&config(&[APP, "*"]));
        let d = e.decide(&actual("GET", Some(APP)));
        assert_eq!(headers(&d), want(&[("access-control-allow-origin", "*")]));
        let d = e.decide(&actual("GET", Some("null")));
        assert_eq!(d.kind, "actual-allowed");
        let d = e.decide(&preflight("https://x.org", "GET", &[]));
        assert_eq!(
            headers(&d),
            want(&[
                ("access-control-allow-origin", "*"),
                ("access-control-allow-methods", "GET"),
                ("vary", VARY_PREFLIGHT_ANY),
            ])
        );
        // A malformed origin is still malformed, even for `*`.
        let d = e.decide(&actual("GET", Some("https://x.org/")));
        assert_eq!(d.reason, Some("malformed-origin"));
        assert_eq!(headers(&d), want(&[("vary", "Origin")]));
    }

    #[test]
    fn credentials_and_expose() {
        let mut c = config(&[APP]);
        c.credentials = true;
        c.expose_headers = strings(&["X-Total-Count", "x-request-id", "x-total-count"]);
        let d = NaiveEngine::new(&c).decide(&actual("GET", Some(APP)));
        assert_eq!(
            headers(&d),
            want(&[
                ("access-control-allow-origin", APP),
                ("access-control-allow-credentials", "true"),
                (
                    "access-control-expose-headers",
                    "x-total-count, x-request-id"
                ),
                ("vary", "Origin"),
            ])
        );

        let mut c = config(&["*"]);
        c.expose_headers = strings(&["*"]);
        let d = NaiveEngine::new(&c).decide(&actual("GET", Some(APP)));
        assert_eq!(
            headers(&d),
            want(&[
                ("access-control-allow-origin", "*"),
                ("access-control-expose-headers", "*"),
            ])
        );
    }

    #[test]
    fn allowed_preflight_headers() {
        let mut c = config(&[APP]);
        c.methods = strings(&["put", "patch", "GET"]);
        c.request_headers = strings(&["X-Api-Key", "content-type"]);
        c.max_age = Some(600);
        c.credentials = true;
        c.preflight_status = 200;
        let e = NaiveEngine::new(&c);
        let d = e.decide(&preflight(
            APP,
            "PUT",
            &["X-API-KEY, Content-Type", " , ,", ""],
        ));
        assert_eq!(d.kind, "preflight-allowed");
        assert_eq!(d.reason, None);
        assert_eq!(d.status, Some(200));
        assert_eq!(
            headers(&d),
            want(&[
                ("access-control-allow-origin", APP),
                ("access-control-allow-credentials", "true"),
                ("access-control-allow-methods", "PUT"),
                ("access-control-allow-headers", "X-API-KEY, Content-Type"),
                ("access-control-max-age", "600"),
                ("vary", VARY_PREFLIGHT),
            ])
        );
        // Two lines with names: two echoed headers.
        let d = e.decide(&preflight(APP, "patch", &["x-api-key", "content-type"]));
        assert_eq!(d.kind, "preflight-allowed");
        let echoed: Vec<_> = headers(&d)
            .into_iter()
            .filter(|(n, _)| n == "access-control-allow-headers")
            .collect();
        assert_eq!(echoed.len(), 2);
        // No ACRH at all: no access-control-allow-headers.
        let d = e.decide(&preflight(APP, "POST", &[]));
        assert!(!d
            .headers
            .iter()
            .any(|(n, _)| n == "access-control-allow-headers"));
    }

    #[test]
    fn method_rules() {
        let mut c = config(&[APP]);
        c.methods = strings(&["put", "patch", "Delete"]);
        let e = NaiveEngine::new(&c);
        // `put` was normalized to `PUT`; the request's value is case-sensitive.
        assert_eq!(reason(&e, &preflight(APP, "PUT", &[])), None);
        assert_eq!(
            reason(&e, &preflight(APP, "put", &[])),
            Some("method-not-allowed")
        );
        // `patch` stays `patch`.
        assert_eq!(reason(&e, &preflight(APP, "patch", &[])), None);
        assert_eq!(
            reason(&e, &preflight(APP, "PATCH", &[])),
            Some("method-not-allowed")
        );
        assert_eq!(reason(&e, &preflight(APP, "DELETE", &[])), None);
        // GET/HEAD/POST always, case-sensitive.
        assert_eq!(reason(&e, &preflight(APP, "HEAD", &[])), None);
        assert_eq!(
            reason(&e, &preflight(APP, "get", &[])),
            Some("method-not-allowed")
        );
        // Malformed before not-allowed.
        assert_eq!(
            reason(&e, &preflight(APP, "", &[])),
            Some("malformed-method")
        );
        assert_eq!(
            reason(&e, &preflight(APP, "P UT", &[])),
            Some("malformed-method")
        );
        let d = e.decide(&preflight(APP, "MOVE", &[]));
        assert_eq!(d.kind, "preflight-denied");
        assert_eq!(d.status, Some(403));
        assert_eq!(headers(&d), want(&[("vary", VARY_PREFLIGHT)]));

        let mut c = config(&[APP]);
        c.methods = strings(&["*"]);
        let e = NaiveEngine::new(&c);
        assert_eq!(reason(&e, &preflight(APP, "whatever", &[])), None);
        assert_eq!(
            reason(&e, &preflight(APP, "what ever", &[])),
            Some("malformed-method")
        );
    }

    #[test]
    fn origin_checked_before_method() {
        let e = NaiveEngine::new(&config(&[APP]));
        assert_eq!(
            reason(&e, &preflight("https://evil.example", "P UT", &[])),
            Some("origin-not-allowed")
        );
        assert_eq!(
            reason(&e, &preflight("https://app.example.com/", "P UT", &[])),
            Some("malformed-origin")
        );
    }

    #[test]
    fn header_list_rules() {
        let mut c = config(&[APP]);
        c.request_headers = strings(&["x-a"]);
        let e = NaiveEngine::new(&c);
        let r = |lines: &[&str]| reason(&e, &preflight(APP, "GET", lines));

        assert_eq!(r(&["x-a"]), None);
        assert_eq!(r(&["X-A , ,x-a", "", "\tx-a\t"]), None);
        assert_eq!(r(&["x-b"]), Some("header-not-allowed"));
        assert_eq!(r(&["x a"]), Some("malformed-header-list"));
        assert_eq!(r(&["x-a;"]), Some("malformed-header-list"));

        // 64 elements are fine, 65 are too many: 63 commas = 64 elements.
        let commas63 = ",".repeat(63);
        assert_eq!(r(&[&commas63]), None);
        let commas64 = ",".repeat(64);
        assert_eq!(r(&[&commas64]), Some("header-list-too-large"));
        // Empty lines count one element each.
        let empties: Vec<&str> = vec![""; 16];
        assert_eq!(r(&empties), None);
        let empties: Vec<&str> = vec![""; 17];
        assert_eq!(r(&empties), Some("header-list-too-large"));
        // 4096 bytes are fine, 4097 too many.
        let long = format!("x-a{}", " ".repeat(4093));
        assert_eq!(r(&[&long]), None);
        let long = format!("x-a{}", " ".repeat(4094));
        assert_eq!(r(&[&long]), Some("header-list-too-large"));
        // Limits come before any element is looked at.
        let bad = format!("x y{}", ",".repeat(64));
        assert_eq!(r(&[&bad]), Some("header-list-too-large"));
        // A malformed element is reported even after a not-allowed one.
        assert_eq!(r(&["x-b, x y"]), Some("malformed-header-list"));
        // The method is checked before the header list.
        assert_eq!(
            reason(&e, &preflight(APP, "PUT", &["x y"])),
            Some("method-not-allowed")
        );
    }

    #[test]
    fn wildcard_headers_never_cover_authorization() {
        let mut c = config(&[APP]);
        c.request_headers = strings(&["*"]);
        let e = NaiveEngine::new(&c);
        assert_eq!(reason(&e, &preflight(APP, "GET", &["x-anything, y"])), None);
        assert_eq!(
            reason(&e, &preflight(APP, "GET", &["x-a, Authorization"])),
            Some("header-not-allowed")
        );

        let mut c = config(&[APP]);
        c.request_headers = strings(&["Authorization"]);
        let e = NaiveEngine::new(&c);
        assert_eq!(reason(&e, &preflight(APP, "GET", &["authorization"])), None);
    }

    #[test]
    fn private_network() {
        let mut req = preflight(APP, "GET", &[]);
        req.private_network = true;
        let e = NaiveEngine::new(&config(&[APP]));
        assert_eq!(reason(&e, &req), Some("private-network-not-allowed"));
        // Checked after the headers.
        req.acrh = vec![b"x-nope".to_vec()];
        assert_eq!(reason(&e, &req), Some("header-not-allowed"));
        req.acrh.clear();

        let mut c = config(&[APP]);
        c.private_network = true;
        let e = NaiveEngine::new(&c);
        let d = e.decide(&req);
        assert_eq!(d.kind, "preflight-allowed");
        assert!(d
            .headers
            .contains(&header("access-control-allow-private-network", "true")));
        // Not sent when not asked.
        req.private_network = false;
        let d = e.decide(&req);
        assert!(!d
            .headers
            .iter()
            .any(|(n, _)| n == "access-control-allow-private-network"));
    }

    #[test]
    fn respond_owns_the_cors_headers() {
        let upstream = |list: &[(&str, &str)]| -> Vec<(String, Vec<u8>)> {
            list.iter()
                .map(|(n, v)| (n.to_string(), v.as_bytes().to_vec()))
                .collect()
        };
        let sorted = |mut h: Vec<(String, Vec<u8>)>| {
            h.sort();
            h
        };
        let stale = upstream(&[
            ("Access-Control-Allow-Origin", "https://evil.example"),
            ("access-control-allow-credentials", "true"),
            ("Vary", "Accept-Encoding, origin"),
            ("content-type", "text/plain"),
        ]);
        // No Origin: the upstream's CORS headers go; `Origin` is already in its Vary.
        let d = NaiveEngine::new(&config(&[APP])).decide(&actual("GET", None));
        assert_eq!(
            sorted(d.respond(&stale)),
            sorted(upstream(&[
                ("vary", "Accept-Encoding, origin"),
                ("content-type", "text/plain"),
            ]))
        );
        // Allowed: replaced by the decision's.
        let d = NaiveEngine::new(&config(&["*"])).decide(&actual("GET", Some(APP)));
        assert_eq!(
            sorted(d.respond(&stale)),
            sorted(upstream(&[
                ("access-control-allow-origin", "*"),
                ("vary", "Accept-Encoding, origin"),
                ("content-type", "text/plain"),
            ]))
        );
        // Only the missing Vary tokens are added; none after `*`.
        let d = NaiveEngine::new(&config(&[APP])).decide(&preflight(APP, "GET", &[]));
        let got = d.respond(&upstream(&[("vary", "ORIGIN")]));
        assert_eq!(
            sorted(got),
            sorted(upstream(&[
                ("access-control-allow-origin", APP),
                ("access-control-allow-methods", "GET"),
                ("vary", "ORIGIN"),
                (
                    "vary",
                    "Access-Control-Request-Method, Access-Control-Request-Headers"
                ),
            ]))
        );
        let got = d.respond(&upstream(&[("vary", "x, *")]));
        assert!(got.iter().filter(|(n, _)| n == "vary").count() == 1);
    }

    #[test]
    fn helpers() {
        assert_eq!(normalize_method("delete"), "DELETE");
        assert_eq!(normalize_method("oPtIoNs"), "OPTIONS");
        assert_eq!(normalize_method("patch"), "patch");
        assert_eq!(normalize_method("Patch"), "Patch");
        assert!(is_token(b"!#$%&'*+-.^_`|~09azAZ"));
        assert!(!is_token(b""));
        for bad in [
            &b"a b"[..],
            b"a,b",
            b"a\"",
            b"a/b",
            b"a:b",
            b"\xff",
            b"a\x7f",
        ] {
            assert!(!is_token(bad), "{bad:?}");
        }
        assert_eq!(
            split_elements(b" a ,\t,b\t"),
            vec![b"a".to_vec(), Vec::new(), b"b".to_vec()]
        );
        assert_eq!(split_elements(b""), vec![Vec::<u8>::new()]);
    }
}
