//! Property tests of the decision: for random policies and random script calls run through the
//! browser model, the engine and the naive engine answer every request the browser sends identically,
//! the script can read the response exactly when the engine allowed it (and credentials agree), and
//! what it can read is exactly the safelisted headers plus what the policy exposes.

use std::collections::BTreeSet;

use corsmatch::policy::{Policy, PolicyConfig};
use corsmatch_conformance::browser::{self, HttpRequest, Profile, ScriptRequest};
use corsmatch_conformance::decision::NaiveEngine;
use corsmatch_conformance::fuzzing;
use proptest::prelude::*;

const SECURE_ORIGINS: &[&str] = &[
    "https://app.example.com",
    "https://*.example.com",
    "https://*.example.org:8443",
    "http://localhost:*",
    r"regex:^https://pr-[0-9]+\.preview\.example\.dev$",
];
const OPEN_ORIGINS: &[&str] = &["*", "null", "http://insecure.example.net"];
const PAGE_ORIGINS: &[&str] = &[
    "https://app.example.com",
    "https://api.example.com",
    "https://example.com",
    "https://a.b.example.org:8443",
    "https://a.example.org",
    "http://localhost:5173",
    "https://pr-42.preview.example.dev",
    "https://evilexample.com",
    "http://insecure.example.net",
    "null",
];
const METHODS: &[&str] = &["PUT", "PATCH", "patch", "DELETE", "put", "X-Custom"];
const REQUEST_HEADERS: &[&str] = &[
    "content-type",
    "x-api-key",
    "authorization",
    "x-requested-with",
    "accept",
];
const EXPOSE: &[&str] = &["x-request-id", "x-secret"];
const SCRIPT_METHODS: &[&str] = &[
    "GET", "HEAD", "POST", "PUT", "put", "PATCH", "patch", "DELETE", "OPTIONS", "X-Custom",
];

fn subset(pool: &'static [&'static str]) -> impl Strategy<Value = Vec<String>> {
    prop::sample::subsequence(pool, 0..=pool.len())
        .prop_map(|v| v.into_iter().map(String::from).collect())
}

fn list_or_any(pool: &'static [&'static str]) -> impl Strategy<Value = Vec<String>> {
    prop_oneof![4 => subset(pool), 1 => Just(vec!["*".to_string()])]
}

fn policy() -> impl Strategy<Value = PolicyConfig> {
    (
        any::<bool>(),
        subset(SECURE_ORIGINS),
        subset(OPEN_ORIGINS),
        list_or_any(METHODS),
        list_or_any(REQUEST_HEADERS),
        list_or_any(EXPOSE),
        prop::option::of(0i64..=7200),
        any::<bool>(),
    )
        .prop_map(
            |(credentials, secure, open, methods, request_headers, expose, max_age, pna)| {
                let mut origins = secure;
                if !credentials {
                    origins.extend(open);
                }
                let expose_headers = if credentials && expose == ["*"] {
                    vec![]
                } else {
                    expose
                };
                PolicyConfig::new(origins)
                    .methods(methods)
                    .request_headers(request_headers)
                    .expose_headers(expose_headers)
                    .credentials(credentials)
                    .max_age(max_age)
                    .private_network(pna)
            },
        )
}

fn script() -> impl Strategy<Value = ScriptRequest> {
    (
        prop::sample::select(PAGE_ORIGINS),
        prop::sample::select(SCRIPT_METHODS),
        prop::sample::subsequence(fuzzing::SCRIPT_HEADERS, 0..4),
        any::<bool>(),
    )
        .prop_map(|(origin, method, headers, credentials)| ScriptRequest {
            body: false,
            cache: Default::default(),
            origin: origin.to_string(),
            method: method.to_string(),
            headers: headers
                .into_iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            credentials,
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

    #[test]
    fn engine_naive_and_browser_agree(config in policy(), script in script()) {
        for profile in Profile::ALL {
            agree_as(profile, &config, &script)?;
        }
    }
}

/// The engine, the naive engine and the browser model playing `profile` agree on `script`.
fn agree_as(
    profile: Profile,
    config: &PolicyConfig,
    script: &ScriptRequest,
) -> Result<(), TestCaseError> {
    {
        let policy = Policy::new(config).map_err(|e| TestCaseError::fail(format!("{e}")))?;
        let naive = NaiveEngine::new(config);
        let mut seen = Vec::new();
        let outcome = browser::run_as(profile, script, &mut |req: &HttpRequest| {
            let served = fuzzing::serve(&policy, &naive, req, &fuzzing::APP_HEADERS);
            let response = served.response.clone();
            seen.push(served);
            response
        });

        for s in &seen {
            if let Err(e) = &s.agree {
                return Err(TestCaseError::fail(e.clone()));
            }
        }
        // The browser sent at least the actual request or a preflight.
        prop_assert!(!seen.is_empty());
        let engine_allows = seen.iter().all(|s| s.allowed)
            && outcome.actual.is_some()
            && (!script.credentials || config.credentials);
        prop_assert_eq!(outcome.readable, engine_allows, "{:?}", outcome.error);

        if outcome.readable {
            let exposed: BTreeSet<String> = if config.expose_headers == ["*"] {
                // `*` (only ever without credentials): every name but the forbidden response headers.
                let (_, response) = outcome
                    .actual
                    .as_ref()
                    .expect("readable implies an actual response");
                response
                    .headers
                    .iter()
                    .map(|(n, _)| n.clone())
                    .filter(|n| n != "set-cookie")
                    .collect()
            } else {
                config.expose_headers.iter().cloned().collect()
            };
            let want: BTreeSet<String> = std::iter::once("content-type".to_string())
                .chain(exposed)
                .collect();
            let got: BTreeSet<String> = outcome.readable_headers.iter().cloned().collect();
            prop_assert_eq!(got, want);
        } else {
            prop_assert!(outcome.readable_headers.is_empty());
        }
    }
    Ok(())
}
