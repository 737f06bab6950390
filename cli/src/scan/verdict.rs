//! Verdicts: what the server said against what the policy says it should have said, both seen
//! through the browser model (Chromium profile), turned into findings.

use corsmatch::policy::{Policy, PolicyConfig, Request};
use corsmatch_conformance::browser::{self, HttpRequest, HttpResponse, Outcome, Profile};

use super::requests::{Probe, Purpose};

/// How bad a finding is, least first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// A legitimate request is blocked, or a header differs harmlessly: the server is stricter
    /// than the policy.
    Low,
    /// A missing `Vary: Origin`, or methods, headers or exposed headers beyond the policy.
    Medium,
    /// Script from an origin the policy denies can read the response (without credentials).
    High,
    /// Script from an origin the policy denies can read the response with credentials.
    Critical,
}

impl Severity {
    /// Every severity, least first.
    pub const ALL: [Severity; 4] = [
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// What is wrong, one rule per kind of finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    /// An origin the policy denies (credentialed access) reads a credentialed response.
    DeniedOriginReadableWithCredentials,
    /// An origin the policy denies reads the response.
    DeniedOriginReadable,
    /// An `Origin` value no browser sends (uppercase, whitespace, a path, userinfo, …) is allowed.
    LooseOriginCheck,
    /// A preflight allowed methods or headers the policy does not.
    OverBroadPreflight,
    /// Script may read response headers the policy does not expose.
    OverExposedHeaders,
    /// An origin-specific `Access-Control-Allow-Origin` without `Vary: Origin`.
    MissingVaryOrigin,
    /// A request the policy allows is blocked.
    AllowedRequestBlocked,
    /// A header of an allowed answer differs from the policy's (fewer exposed headers, another
    /// `Access-Control-Max-Age`).
    HeaderDiffers,
}

impl Rule {
    /// Every rule.
    pub const ALL: [Rule; 8] = [
        Rule::DeniedOriginReadableWithCredentials,
        Rule::DeniedOriginReadable,
        Rule::LooseOriginCheck,
        Rule::OverBroadPreflight,
        Rule::OverExposedHeaders,
        Rule::MissingVaryOrigin,
        Rule::AllowedRequestBlocked,
        Rule::HeaderDiffers,
    ];

    /// A stable identifier (SARIF `ruleId`).
    pub fn id(self) -> &'static str {
        match self {
            Rule::DeniedOriginReadableWithCredentials => "denied-origin-readable-with-credentials",
            Rule::DeniedOriginReadable => "denied-origin-readable",
            Rule::LooseOriginCheck => "loose-origin-check",
            Rule::OverBroadPreflight => "over-broad-preflight",
            Rule::OverExposedHeaders => "over-exposed-headers",
            Rule::MissingVaryOrigin => "missing-vary-origin",
            Rule::AllowedRequestBlocked => "allowed-request-blocked",
            Rule::HeaderDiffers => "header-differs",
        }
    }

    /// The severity of the rule's findings.
    pub fn severity(self) -> Severity {
        match self {
            Rule::DeniedOriginReadableWithCredentials => Severity::Critical,
            Rule::DeniedOriginReadable => Severity::High,
            Rule::LooseOriginCheck
            | Rule::OverBroadPreflight
            | Rule::OverExposedHeaders
            | Rule::MissingVaryOrigin => Severity::Medium,
            Rule::AllowedRequestBlocked | Rule::HeaderDiffers => Severity::Low,
        }
    }

    /// One sentence on what the rule checks.
    pub fn description(self) -> &'static str {
        match self {
            Rule::DeniedOriginReadableWithCredentials => "script from an origin the policy denies can read a response to a request made with credentials (cookies)",
            Rule::DeniedOriginReadable => "script from an origin the policy denies can read the response",
            Rule::LooseOriginCheck => "the server allows an Origin value no browser sends (uppercase, whitespace, a path, userinfo, percent-encoding): not reachable from a page, but its check is not an exact comparison",
            Rule::OverBroadPreflight => "a preflight allows methods or request headers the policy does not",
            Rule::OverExposedHeaders => "script can read response headers the policy does not expose",
            Rule::MissingVaryOrigin => "the response names the requesting origin in Access-Control-Allow-Origin without Vary: Origin, so a shared cache may serve it to other origins",
            Rule::AllowedRequestBlocked => "a request the policy allows is blocked by the browser: the server is stricter than the policy",
            Rule::HeaderDiffers => "a CORS header of an allowed answer differs from the policy's",
        }
    }
}

/// One finding: a rule broken by one probe in one credentials mode.
#[derive(Clone, Debug)]
pub struct Finding {
    /// The rule.
    pub rule: Rule,
    /// The probe.
    pub probe: Probe,
    /// Credentials mode "include".
    pub credentials: bool,
    /// What happened, in one sentence.
    pub message: String,
    /// The requests that reproduce it, in order (a preflight, then the actual request).
    pub requests: Vec<HttpRequest>,
    /// The policy entry that decides the origin (`origins[2] \`https://*.example.com\``), or why
    /// none does.
    pub entry: String,
}

/// What the server should have said: the policy, or, without one, an empty policy (every origin
/// denied) read for generic misconfigurations.
pub struct Expected {
    policy: Policy,
    config: PolicyConfig,
    generic: bool,
}

impl Expected {
    /// Expectations from a validated policy and its configuration.
    pub fn policy(policy: Policy, config: PolicyConfig) -> Expected {
        Expected {
            policy,
            config,
            generic: false,
        }
    }

    /// No policy: any origin-specific allow is a misconfiguration; `*` without credentials is
    /// taken as a deliberately public resource.
    pub fn generic() -> Expected {
        let config = PolicyConfig::default();
        Expected {
            policy: Policy::new(&config).expect("the empty policy is valid"),
            config,
            generic: true,
        }
    }

    /// Whether there is no policy.
    pub fn is_generic(&self) -> bool {
        self.generic
    }

    /// The policy's configuration (empty without one).
    pub fn config(&self) -> &PolicyConfig {
        &self.config
    }

    /// The entry that decides `origin`, for reports.
    pub fn entry(&self, origin: &str) -> String {
        if self.generic {
            return "no policy given".into();
        }
        match self.policy.matcher().find(origin.as_bytes()) {
            Some(id) => format!(
                "origins[{}] `{}`",
                id.index(),
                self.policy.matcher().rule(id)
            ),
            None => "no entry of `origins` matches".into(),
        }
    }

    /// Whether the policy lets `origin` read responses in this credentials mode.
    fn origin_allowed(&self, origin: &str, credentials: bool) -> bool {
        self.policy.matcher().matches(origin.as_bytes())
            && (!credentials || self.policy.credentials())
    }

    /// The engine's answer to `request`: its preflight response, or for an actual request
    /// `server` (the server's own response, when there is one) with its CORS headers replaced by
    /// the policy's, as `corsmatch serve` does.
    pub fn answer(&self, request: &HttpRequest, server: Option<&HttpResponse>) -> HttpResponse {
        let header = |name: &str| {
            request
                .headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_slice())
        };
        let lines: Vec<&[u8]> = request
            .headers
            .iter()
            .filter(|(n, _)| n == "access-control-request-headers")
            .map(|(_, v)| v.as_slice())
            .collect();
        let req = Request {
            method: &request.method,
            origin: header("origin"),
            request_method: header("access-control-request-method"),
            request_headers: &lines,
            private_network: false,
        };
        let decision = self.policy.evaluate(&req);
        let cors: Vec<(String, Vec<u8>)> = decision
            .headers()
            .map(|(n, v)| (n.to_ascii_lowercase(), v.to_vec()))
            .collect();
        match decision.status() {
            Some(status) => HttpResponse {
                status,
                headers: cors,
            },
            None => {
                let mut response = server.cloned().unwrap_or(HttpResponse {
                    status: 200,
                    headers: Vec::new(),
                });
                response
                    .headers
                    .retain(|(n, _)| !n.starts_with("access-control-") && n != "vary");
                response.headers.extend(cors);
                response
            }
        }
    }

    /// What the browser does for `probe` in this credentials mode when the server follows the
    /// policy; `recorded` gives the server's own answers to actual requests, when it was asked.
    pub fn outcome(
        &self,
        probe: &Probe,
        credentials: bool,
        recorded: &dyn Fn(&HttpRequest) -> Option<HttpResponse>,
    ) -> Outcome {
        browser::run_as(Profile::Chromium, &probe.script(credentials), &mut |req| {
            let own = recorded(req);
            self.answer(req, own.as_ref())
        })
    }
}

/// The values of header `name` in `response`, joined by `, `.
fn get(response: &HttpResponse, name: &str) -> Option<String> {
    let values: Vec<String> = response
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
        .collect();
    (!values.is_empty()).then(|| values.join(", "))
}

/// The elements of a comma-separated header, trimmed, empty ones left out.
fn list(response: &HttpResponse, name: &str) -> Vec<String> {
    get(response, name)
        .map(|v| {
            v.split(',')
                .map(|e| e.trim().to_string())
                .filter(|e| !e.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// Whether a browser can send `origin` as an `Origin` header: `null`, or an origin's ASCII
/// serialization (Fetch §3.1, HTML "serialization of an origin": lowercase scheme and host, no
/// userinfo, path, query or fragment), which the engine's request grammar checks.
fn sendable(origin: &str) -> bool {
    corsmatch::origin::parse(origin.as_bytes()).is_ok()
}

/// Judges one probe in one credentials mode: `actual` is what the browser did with the server's
/// answers, `expected` what it does with the policy's.
pub fn judge(
    expected: &Expected,
    probe: &Probe,
    credentials: bool,
    actual: &Outcome,
    should: &Outcome,
) -> Vec<Finding> {
    let origin = &probe.origin.origin;
    let mut findings = Vec::new();
    let requests: Vec<HttpRequest> = actual.exchanges.iter().map(|(r, _)| r.clone()).collect();
    let mut add = |rule: Rule, message: String| {
        findings.push(Finding {
            rule,
            probe: probe.clone(),
            credentials,
            message,
            requests: requests.clone(),
            entry: expected.entry(origin),
        })
    };
    let mode = if credentials {
        "with credentials"
    } else {
        "without credentials"
    };
    let call = format!("{} from `{origin}` {mode}", probe.method);
    let allow_origin = actual
        .actual
        .as_ref()
        .and_then(|(_, r)| get(r, "access-control-allow-origin"));
    let public = allow_origin.as_deref() == Some("*") && !credentials;

    if actual.readable && !should.readable && !(expected.generic && public) {
        if !expected.origin_allowed(origin, credentials) && !sendable(origin) {
            add(
                Rule::LooseOriginCheck,
                format!(
                    "{call}: the server allows `{}`, which no browser sends as an Origin \
                     (Access-Control-Allow-Origin: {})",
                    origin.escape_debug(),
                    allow_origin.as_deref().unwrap_or("-")
                ),
            );
        } else if !expected.origin_allowed(origin, credentials) {
            let rule = if credentials {
                Rule::DeniedOriginReadableWithCredentials
            } else {
                Rule::DeniedOriginReadable
            };
            let what = if expected.generic {
                "the server allows an origin it was never told about"
            } else {
                "the policy denies this origin"
            };
            add(
                rule,
                format!(
                    "{call}: script can read the response ({what}; Access-Control-Allow-Origin: {})",
                    allow_origin.as_deref().unwrap_or("-")
                ),
            );
        } else {
            add(
                Rule::OverBroadPreflight,
                format!("{call}: the preflight passes, the policy denies it (method or headers)"),
            );
        }
    } else if !actual.readable && should.readable && !expected.generic {
        let why = actual
            .error
            .clone()
            .unwrap_or_else(|| "the browser blocks it".into());
        add(
            Rule::AllowedRequestBlocked,
            format!("{call}: the policy allows it, the browser blocks it: {why}"),
        );
    }

    // The unlisted method and header, allowed by the preflight.
    if probe.purpose == Purpose::Unlisted && expected.generic {
        if let Some((_, response)) = &actual.preflight {
            let methods = list(response, "access-control-allow-methods");
            let headers = list(response, "access-control-allow-headers");
            let method_ok = methods.iter().any(|m| m == &probe.method || m == "*");
            let header_ok = headers
                .iter()
                .any(|h| h.eq_ignore_ascii_case(&probe.headers[0].0) || h == "*");
            if actual.readable || (method_ok && header_ok) {
                add(
                    Rule::OverBroadPreflight,
                    format!(
                        "{call}: the preflight allows a method and a header nobody configured \
                         (Access-Control-Allow-Methods: {}; -Headers: {})",
                        methods.join(", "),
                        headers.join(", ")
                    ),
                );
            }
        }
    }

    // Headers of an answer both sides allow.
    if actual.readable && should.readable {
        let extra: Vec<&String> = actual
            .readable_headers
            .iter()
            .filter(|h| !should.readable_headers.contains(h))
            .collect();
        if !extra.is_empty() {
            add(
                Rule::OverExposedHeaders,
                format!(
                    "{call}: script can read {} beyond what the policy exposes",
                    extra
                        .iter()
                        .map(|h| format!("`{h}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
        let missing: Vec<&String> = should
            .readable_headers
            .iter()
            .filter(|h| !actual.readable_headers.contains(h))
            .collect();
        if !missing.is_empty() {
            add(
                Rule::HeaderDiffers,
                format!(
                    "{call}: script cannot read {}, which the policy exposes",
                    missing
                        .iter()
                        .map(|h| format!("`{h}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
        if let (Some((_, got)), Some((_, want))) = (&actual.preflight, &should.preflight) {
            let (got_age, want_age) = (
                get(got, "access-control-max-age"),
                get(want, "access-control-max-age"),
            );
            if got_age != want_age {
                add(
                    Rule::HeaderDiffers,
                    format!(
                        "{call}: Access-Control-Max-Age is {}, the policy says {}",
                        got_age.as_deref().unwrap_or("absent"),
                        want_age.as_deref().unwrap_or("absent")
                    ),
                );
            }
            if !expected.generic {
                let config = expected.config();
                let any_method = config.methods.iter().any(|m| m == "*");
                let extra_methods: Vec<String> = list(got, "access-control-allow-methods")
                    .into_iter()
                    .filter(|m| {
                        let allowed = browser::is_safelisted_method(m)
                            || (any_method && m != "*")
                            || config.methods.contains(m);
                        !allowed
                    })
                    .collect();
                let any_header = config.request_headers.iter().any(|h| h == "*");
                let extra_headers: Vec<String> = list(got, "access-control-allow-headers")
                    .into_iter()
                    .filter(|h| {
                        let allowed =
                            (any_header && h != "*" && !h.eq_ignore_ascii_case("authorization"))
                                || config
                                    .request_headers
                                    .iter()
                                    .any(|c| c.eq_ignore_ascii_case(h));
                        !allowed
                    })
                    .collect();
                if !extra_methods.is_empty() || !extra_headers.is_empty() {
                    add(
                        Rule::OverBroadPreflight,
                        format!(
                            "{call}: the preflight allows {} beyond the policy",
                            extra_methods
                                .iter()
                                .chain(&extra_headers)
                                .map(|x| format!("`{x}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    );
                }
            }
        }
    }

    // Vary on an origin-specific answer (readable or not: a cache keys on it either way).
    if let Some((_, response)) = &actual.actual {
        if allow_origin.as_deref().is_some_and(|a| a != "*") {
            let varies = list(response, "vary")
                .iter()
                .any(|v| v.eq_ignore_ascii_case("origin") || v == "*");
            if !varies {
                add(
                    Rule::MissingVaryOrigin,
                    format!(
                        "{call}: Access-Control-Allow-Origin: {} without Vary: Origin",
                        allow_origin.as_deref().unwrap_or_default()
                    ),
                );
            }
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::origins::ScanOrigin;
    use corsmatch_workload::OriginSource;

    fn policy() -> Expected {
        let mut config = PolicyConfig::default();
        config.origins = vec!["https://app.example.com".into()];
        config.methods = vec!["PUT".into()];
        config.request_headers = vec!["x-token".into()];
        config.credentials = true;
        config.max_age = Some(600);
        Expected::policy(Policy::new(&config).unwrap(), config)
    }

    fn probe(origin: &str, method: &str) -> Probe {
        Probe {
            origin: ScanOrigin {
                origin: origin.into(),
                source: OriginSource::Unrelated,
                rank: 0,
            },
            method: method.into(),
            headers: if method == "GET" {
                Vec::new()
            } else {
                vec![("x-token".into(), "1".into())]
            },
            purpose: if method == "GET" {
                Purpose::Simple
            } else {
                Purpose::Configured
            },
        }
    }

    /// Judges `probe` in both credentials modes against a server answering with `server`.
    fn run(
        expected: &Expected,
        probe: &Probe,
        server: &dyn Fn(&HttpRequest) -> HttpResponse,
    ) -> Vec<Finding> {
        let mut all = Vec::new();
        for credentials in [true, false] {
            let actual = browser::run_as(Profile::Chromium, &probe.script(credentials), &mut |r| {
                server(r)
            });
            let should = expected.outcome(probe, credentials, &|r| Some(server(r)));
            all.extend(judge(expected, probe, credentials, &actual, &should));
        }
        all
    }

    fn rules(findings: &[Finding]) -> Vec<Rule> {
        let mut rules: Vec<Rule> = findings.iter().map(|f| f.rule).collect();
        rules.sort();
        rules.dedup();
        rules
    }

    fn origin_of(r: &HttpRequest) -> Vec<u8> {
        r.headers
            .iter()
            .find(|(n, _)| n == "origin")
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    #[test]
    fn a_server_that_follows_the_policy_has_no_findings() {
        let expected = policy();
        let correct = |r: &HttpRequest| expected.answer(r, None);
        for origin in ["https://app.example.com", "https://evil.example", "null"] {
            for method in ["GET", "PUT", "DELETE"] {
                let found = run(&expected, &probe(origin, method), &correct);
                assert!(
                    found.is_empty(),
                    "{origin} {method}: {:?}",
                    found[0].message
                );
            }
        }
    }

    #[test]
    fn reflecting_a_denied_origin_with_credentials_is_critical() {
        let expected = policy();
        let reflect = |r: &HttpRequest| HttpResponse {
            status: 200,
            headers: vec![
                ("access-control-allow-origin".into(), origin_of(r)),
                ("access-control-allow-credentials".into(), b"true".to_vec()),
                ("access-control-allow-methods".into(), b"PUT".to_vec()),
                ("access-control-allow-headers".into(), b"x-token".to_vec()),
                ("access-control-max-age".into(), b"600".to_vec()),
                ("vary".into(), b"Origin".to_vec()),
            ],
        };
        let found = run(
            &expected,
            &probe("https://app.example.com.evil.com", "GET"),
            &reflect,
        );
        assert_eq!(
            rules(&found),
            [
                Rule::DeniedOriginReadableWithCredentials,
                Rule::DeniedOriginReadable
            ]
        );
        assert_eq!(found[0].rule.severity(), Severity::Critical);
        assert_eq!(found[0].entry, "no entry of `origins` matches");
        assert!(run(
            &expected,
            &probe("https://app.example.com", "GET"),
            &reflect
        )
        .is_empty());
        // An Origin no browser sends is a loose check (medium), not a readable denied origin.
        for unsendable in [
            "https://APP.example.com",
            " https://app.example.com",
            "https://app.example.com/",
            "https://app.example.com@evil.com",
        ] {
            let found = run(&expected, &probe(unsendable, "GET"), &reflect);
            assert_eq!(rules(&found), [Rule::LooseOriginCheck], "{unsendable}");
            assert_eq!(found[0].rule.severity(), Severity::Medium);
        }
        // A trailing dot and `null` are sendable: graded as denied origins.
        for sendable in ["https://app.example.com.", "null"] {
            let found = run(&expected, &probe(sendable, "GET"), &reflect);
            assert_eq!(
                found[0].rule,
                Rule::DeniedOriginReadableWithCredentials,
                "{sendable}"
            );
        }
    }

    #[test]
    fn a_missing_vary_is_medium() {
        let expected = policy();
        let no_vary = |r: &HttpRequest| {
            let mut response = expected.answer(r, None);
            response.headers.retain(|(n, _)| n != "vary");
            response
        };
        let found = run(
            &expected,
            &probe("https://app.example.com", "GET"),
            &no_vary,
        );
        assert_eq!(rules(&found), [Rule::MissingVaryOrigin]);
        assert_eq!(found[0].rule.severity(), Severity::Medium);
        assert_eq!(found[0].entry, "origins[0] `https://app.example.com`");
    }

    #[test]
    fn a_stricter_server_is_low() {
        let expected = policy();
        let strict = |r: &HttpRequest| {
            if r.method == b"OPTIONS" {
                HttpResponse {
                    status: 403,
                    headers: vec![("vary".into(), b"Origin".to_vec())],
                }
            } else {
                expected.answer(r, None)
            }
        };
        let found = run(&expected, &probe("https://app.example.com", "PUT"), &strict);
        assert_eq!(rules(&found), [Rule::AllowedRequestBlocked]);
        assert_eq!(found[0].rule.severity(), Severity::Low);
    }

    #[test]
    fn without_a_policy_a_public_star_is_fine_and_reflection_is_not() {
        let expected = Expected::generic();
        let star = |_: &HttpRequest| HttpResponse {
            status: 200,
            headers: vec![("access-control-allow-origin".into(), b"*".to_vec())],
        };
        assert!(run(&expected, &probe("https://x.example", "GET"), &star).is_empty());
        let reflect = |r: &HttpRequest| HttpResponse {
            status: 200,
            headers: vec![("access-control-allow-origin".into(), origin_of(r))],
        };
        let found = run(&expected, &probe("null", "GET"), &reflect);
        assert_eq!(
            rules(&found),
            [Rule::DeniedOriginReadable, Rule::MissingVaryOrigin]
        );
    }
}
