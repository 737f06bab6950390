//! `corsmatch scan`, the real binary, against real servers: Debian's nginx, Caddy and HAProxy,
//! each in the foreground on a loopback port, answering by itself (no upstream) with a CORS
//! recipe from `corpus/scan/`. The common broken recipes of blog posts and answers must show
//! their known holes; the correct recipe for the policy must have no finding at all.
//!
//! The servers are installed with apt when missing (see `common/servers.rs`); when they cannot
//! be, the tests fail under CI (`CI` set) and are skipped with a loud message elsewhere. Every
//! test is bounded and kills its server when it ends.

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use common::servers::{self, Kind, Server};

/// The policy every recipe is scanned against (`corpus/scan/policy.toml`):
/// `origins = ["https://app.example.com", "https://*.example.org"]`, `methods = ["PUT"]`,
/// `request_headers = ["content-type", "x-token"]`, `credentials = true`, `max_age = 600`.
const POLICY: &str = include_str!("../../corpus/scan/policy.toml");

// The recipes, each a file under corpus/scan/ with `@PORT@` for the port to listen on. nginx's
// are for the `http` context, Caddy's are site blocks, HAProxy's are frontend sections.

/// nginx, broken: reflects `$http_origin` with credentials; the preflight allows DELETE and
/// Authorization too.
const NGINX_REFLECT_CREDENTIALS: &str =
    include_str!("../../corpus/scan/nginx-reflect-credentials.conf");
/// nginx, broken: `if ($http_origin ~* "app.example.com|example.org")`, an unanchored,
/// unescaped, case-insensitive regex; and no `Vary: Origin`.
const NGINX_UNANCHORED_REGEX: &str = include_str!("../../corpus/scan/nginx-unanchored-regex.conf");
/// nginx, broken for a credentialed API: the "wide open" recipe, `*` everywhere, static method
/// and header lists without PUT and X-Token, no CORS headers on HEAD.
const NGINX_WIDE_OPEN: &str = include_str!("../../corpus/scan/nginx-wide-open.conf");
/// nginx, correct: a `map` of anchored, case-sensitive regexes.
const NGINX_CORRECT: &str = include_str!("../../corpus/scan/nginx-correct.conf");

/// Caddy, broken: `header Access-Control-Allow-Origin {http.request.header.Origin}` for every
/// request, with credentials; no `Vary: Origin`; the preflight allows PATCH and DELETE.
const CADDY_REFLECT_CREDENTIALS: &str =
    include_str!("../../corpus/scan/caddy-reflect-credentials.Caddyfile");
/// Caddy, broken: `header_regexp Origin app.example.com|example.org`, without anchors.
const CADDY_UNANCHORED_REGEXP: &str =
    include_str!("../../corpus/scan/caddy-unanchored-regexp.Caddyfile");
/// Caddy, broken: `header Origin *example.org`, a string suffix without a label boundary.
const CADDY_SUFFIX_WILDCARD: &str =
    include_str!("../../corpus/scan/caddy-suffix-wildcard.Caddyfile");
/// Caddy, correct: one anchored `header_regexp`.
const CADDY_CORRECT: &str = include_str!("../../corpus/scan/caddy-correct.Caddyfile");

/// HAProxy, broken: `set-var(txn.origin) req.hdr(origin)` echoed back with credentials; the
/// preflight allows PATCH and DELETE.
const HAPROXY_REFLECT_CREDENTIALS: &str =
    include_str!("../../corpus/scan/haproxy-reflect-credentials.cfg");
/// HAProxy, broken: `hdr_sub(origin) -i app.example.com example.org`, a case-insensitive
/// substring test.
const HAPROXY_SUBSTRING: &str = include_str!("../../corpus/scan/haproxy-substring.cfg");
/// HAProxy, broken for a credentialed API: `Access-Control-Allow-Origin: *` with
/// `Access-Control-Allow-Credentials: true`, and another max-age.
const HAPROXY_STAR_CREDENTIALS: &str =
    include_str!("../../corpus/scan/haproxy-star-credentials.cfg");
/// HAProxy, correct: one anchored, case-sensitive `-m reg` over `req.fhdr(origin)`.
const HAPROXY_CORRECT: &str = include_str!("../../corpus/scan/haproxy-correct.cfg");

/// Not a CORS recipe: nginx closing the connection without an answer (`return 444`) to every
/// request but GET, for the scan's count of requests without a response.
const NGINX_GET_ONLY: &str = r#"
server {
    listen 127.0.0.1:@PORT@;
    location / {
        if ($request_method != GET) {
            return 444;
        }
        return 200 "hello\n";
    }
}
"#;

/// How long one test may take, the server's start and every scan included (an install, when
/// one is needed, comes before and has its own deadline).
const TEST_DEADLINE: Duration = Duration::from_secs(180);

/// Origins the policy allows, as the scan draws them (the entry and subdomains of the wildcard).
fn allowed(origin: &str) -> bool {
    origin == "https://app.example.com"
        || origin
            .strip_prefix("https://")
            .and_then(|h| h.strip_suffix(".example.org"))
            .is_some_and(|sub| {
                !sub.is_empty()
                    && sub
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.')
            })
}

// The near-miss classes the scan draws origins from (corsmatch-workload's near_misses), told
// apart by their shape.

/// An allowed origin with `.evil.com` appended (what an unanchored regex lets in).
fn suffix_appended(origin: &str) -> bool {
    origin.starts_with("https://") && origin.ends_with(".evil.com") && !origin.contains(['@', '#'])
}

/// `evil` glued to an allowed host: a suffix match without a label boundary.
fn no_label_boundary(origin: &str) -> bool {
    origin.strip_prefix("https://evil").is_some_and(|rest| {
        !rest.starts_with('.')
            && rest
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.')
            && (rest.ends_with("example.com") || rest.ends_with("example.org"))
    })
}

/// The apex of the wildcard, which `https://*.example.org` never matches.
const APEX: &str = "https://example.org";

/// An origin unrelated to the policy: no `example` in it at all, in any case (`null` aside).
fn unrelated(origin: &str) -> bool {
    origin != "null" && !origin.to_ascii_lowercase().contains("example")
}

/// One scan's outcome.
struct Scan {
    code: i32,
    out: String,
    report: Value,
}

impl Scan {
    fn findings(&self) -> &[Value] {
        self.report["findings"]
            .as_array()
            .map_or(&[], Vec::as_slice)
    }

    /// The rules found.
    fn rules(&self) -> BTreeSet<String> {
        self.findings()
            .iter()
            .map(|f| f["rule"].as_str().unwrap().to_string())
            .collect()
    }

    /// The origins with a finding of `rule`.
    fn origins(&self, rule: &str) -> BTreeSet<String> {
        self.findings()
            .iter()
            .filter(|f| f["rule"] == rule)
            .map(|f| f["origin"].as_str().unwrap().to_string())
            .collect()
    }

    /// The findings of `rule` for `origin`, as `METHOD credentials`.
    fn calls(&self, rule: &str, origin: &str) -> BTreeSet<String> {
        self.findings()
            .iter()
            .filter(|f| f["rule"] == rule && f["origin"] == origin)
            .map(|f| format!("{} {}", f["method"].as_str().unwrap(), f["credentials"]))
            .collect()
    }

    /// The server answered: enough requests went out, none went unanswered (a server that did
    /// not start cannot pass for one without findings).
    fn assert_answered(&self) {
        let sent = self.report["requests_sent"].as_u64().unwrap();
        assert!(sent > 50, "only {sent} requests sent:\n{}", self.out);
        assert_eq!(
            self.report["requests_without_response"], 0,
            "requests went unanswered:\n{}",
            self.out
        );
    }

    /// The exit status and findings of a scan of a correct recipe.
    fn assert_clean(&self) {
        self.assert_answered();
        assert!(
            self.findings().is_empty(),
            "findings against a correct recipe:\n{}",
            self.out
        );
        assert_eq!(self.code, 0, "{}", self.out);
        assert_eq!(self.report["probes_left_out"], 0, "{}", self.out);
    }

    /// Findings of `rule` exist.
    fn assert_has(&self, rule: &str) {
        assert!(
            self.rules().contains(rule),
            "no {rule} finding; rules found: {:?}\n{}",
            self.rules(),
            self.out
        );
    }

    /// No finding of `rule`.
    fn assert_lacks(&self, rule: &str) {
        assert!(
            !self.rules().contains(rule),
            "unexpected {rule} findings: {:?}\n{}",
            self.origins(rule),
            self.out
        );
    }
}

/// Starts `kind` with `recipe` and scans it against the policy; `None` when the server is not
/// installed and cannot be (outside CI). Bounded by [`TEST_DEADLINE`]; the server is killed
/// when this returns or the deadline passes.
async fn scan_recipe(kind: Kind, recipe: &'static str, tag: &'static str) -> Option<Scan> {
    let binary = tokio::task::spawn_blocking(move || servers::require(kind))
        .await
        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))?;
    let scan = tokio::time::timeout(TEST_DEADLINE, async move {
        let dir = common::temp_dir(&format!("scan-servers-{tag}"));
        let policy = dir.join("policy.toml");
        std::fs::write(&policy, POLICY).unwrap();
        let server = tokio::task::spawn_blocking(move || Server::start(kind, &binary, recipe, tag))
            .await
            .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
        let scan = run_scan(server.url("/api"), policy).await;
        // Requests without a response: show what the server said.
        if scan.report["requests_without_response"] != 0 {
            eprintln!("{} log:\n{}", kind.name(), server.log());
        }
        drop(server);
        let _ = std::fs::remove_dir_all(&dir);
        scan
    })
    .await
    .unwrap_or_else(|_| panic!("{tag}: the test ran past {TEST_DEADLINE:?}"));
    Some(scan)
}

/// Runs `corsmatch scan URL --policy FILE --format json`, fast and bounded, off the runtime.
async fn run_scan(url: String, policy: PathBuf) -> Scan {
    tokio::task::spawn_blocking(move || {
        let policy = policy.display().to_string();
        let args = [
            "scan",
            &url,
            "--policy",
            &policy,
            "--rate",
            "500",
            "--max-requests",
            "250",
            "--timeout",
            "2s",
            "--format",
            "json",
        ];
        let output = common::run(&args);
        let out = common::text(&output.stdout);
        let report = serde_json::from_str(&out).unwrap_or_else(|e| {
            panic!(
                "the scan printed no JSON report ({e}):\n{out}\n{}",
                common::text(&output.stderr)
            )
        });
        Scan {
            code: output.status.code().unwrap_or(-1),
            out,
            report,
        }
    })
    .await
    .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
}

/// Reflection with credentials: every origin the policy denies reads with credentials, `null`,
/// unrelated origins and every near-miss class included; the allowed origins are not findings.
fn assert_reflects_everything(scan: &Scan) {
    scan.assert_answered();
    assert_eq!(scan.code, 1, "{}", scan.out);
    let critical = scan.origins("denied-origin-readable-with-credentials");
    for (what, found) in [
        ("null", critical.contains("null")),
        ("an unrelated origin", critical.iter().any(|o| unrelated(o))),
        (
            "a suffix-appended near miss",
            critical.iter().any(|o| suffix_appended(o)),
        ),
        (
            "a near miss without a label boundary",
            critical.iter().any(|o| no_label_boundary(o)),
        ),
        ("the wildcard's apex", critical.contains(APEX)),
    ] {
        assert!(found, "no critical finding for {what}: {critical:?}");
    }
    // Values no browser sends (upper case, whitespace, a path) are a loose check, not critical.
    let loose = scan.origins("loose-origin-check");
    assert!(loose.contains("HTTPS://app.example.com"), "{loose:?}");
    assert!(
        !critical.iter().any(|o| o
            .bytes()
            .any(|b| b.is_ascii_uppercase() || b == b' ' || b == b'@')),
        "{critical:?}"
    );
    assert!(
        !critical.iter().any(|o| allowed(o)),
        "an allowed origin reported: {critical:?}"
    );
    let first = &scan.findings()[0];
    assert_eq!(first["severity"], "critical");
    assert!(first["reproduce"][0].as_str().unwrap().starts_with("curl "));
    // The same without credentials.
    assert!(scan
        .origins("denied-origin-readable")
        .iter()
        .any(|o| unrelated(o)));
}

/// An allowlist that matches text inside the origin: the near misses that contain an allowed
/// origin's text are critical; `null` and unrelated origins, which do not, are not.
fn assert_substring_holes(scan: &Scan) -> BTreeSet<String> {
    scan.assert_answered();
    assert_eq!(scan.code, 1, "{}", scan.out);
    let critical = scan.origins("denied-origin-readable-with-credentials");
    assert!(
        critical.iter().any(|o| suffix_appended(o)),
        "no suffix-appended near miss (https://app.example.com.evil.com): {critical:?}"
    );
    assert!(
        critical.iter().any(|o| no_label_boundary(o)),
        "no near miss without a label boundary (https://evilexample.org): {critical:?}"
    );
    assert!(critical.contains(APEX), "{critical:?}");
    assert!(
        !critical.contains("null") && !critical.iter().any(|o| unrelated(o)),
        "origins without the allowed text reported: {critical:?}"
    );
    assert!(!critical.iter().any(|o| allowed(o)), "{critical:?}");
    critical
}

/// `*` for a credentialed API: no critical finding (browsers refuse `*` with credentials), but
/// every denied origin reads without credentials (high), and the policy's own front end is
/// blocked (low).
fn assert_star_for_credentials(scan: &Scan) {
    scan.assert_answered();
    assert_eq!(scan.code, 1, "{}", scan.out);
    scan.assert_lacks("denied-origin-readable-with-credentials");
    let high = scan.origins("denied-origin-readable");
    assert!(high.contains("null"), "{high:?}");
    assert!(high.iter().any(|o| unrelated(o)), "{high:?}");
    assert!(high.iter().any(|o| suffix_appended(o)), "{high:?}");
    let blocked = scan.origins("allowed-request-blocked");
    assert!(
        !blocked.is_empty() && blocked.iter().all(|o| allowed(o)),
        "allowed-request-blocked: {blocked:?}\n{}",
        scan.out
    );
    let calls = scan.calls("allowed-request-blocked", "https://app.example.com");
    for call in ["GET true", "PUT true"] {
        assert!(calls.contains(call), "{call} not blocked: {calls:?}");
    }
    for f in scan.findings() {
        if f["rule"] == "allowed-request-blocked" && f["method"] == "GET" {
            assert_eq!(f["credentials"], true, "{f}");
        }
    }
}

/// Preflights that allow more than the policy (methods such as DELETE): medium, for the
/// origins the policy allows (their preflights pass).
fn assert_over_broad_preflight(scan: &Scan, method: &str) {
    let origins = scan.origins("over-broad-preflight");
    assert!(
        !origins.is_empty() && origins.iter().all(|o| allowed(o)),
        "over-broad-preflight: {origins:?}\n{}",
        scan.out
    );
    assert!(scan
        .findings()
        .iter()
        .any(|f| f["rule"] == "over-broad-preflight"
            && f["severity"] == "medium"
            && f["message"]
                .as_str()
                .unwrap()
                .contains(&format!("`{method}`"))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_reflecting_origin_with_credentials_is_critical_for_every_denied_origin() {
    let Some(scan) = scan_recipe(Kind::Nginx, NGINX_REFLECT_CREDENTIALS, "nginx-reflect").await
    else {
        return;
    };
    assert_reflects_everything(&scan);
    assert_over_broad_preflight(&scan, "DELETE");
    scan.assert_lacks("missing-vary-origin");
    scan.assert_lacks("allowed-request-blocked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_unanchored_regex_lets_near_misses_in_and_misses_vary() {
    let Some(scan) = scan_recipe(Kind::Nginx, NGINX_UNANCHORED_REGEX, "nginx-regex").await else {
        return;
    };
    assert_substring_holes(&scan);
    // `~*` ignores case: upper-case hosts, which no browser sends, get through (a loose check).
    let loose = scan.origins("loose-origin-check");
    assert!(
        loose
            .iter()
            .any(|o| o.starts_with("https://") && o.contains("EXAMPLE")),
        "no upper-case near miss: {loose:?}"
    );
    // No Vary: Origin, for the allowed origins too.
    scan.assert_has("missing-vary-origin");
    assert!(scan
        .origins("missing-vary-origin")
        .contains("https://app.example.com"));
    scan.assert_lacks("over-broad-preflight");
    scan.assert_lacks("allowed-request-blocked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_wide_open_recipe_blocks_the_credentialed_front_end() {
    let Some(scan) = scan_recipe(Kind::Nginx, NGINX_WIDE_OPEN, "nginx-wide-open").await else {
        return;
    };
    assert_star_for_credentials(&scan);
    // PUT is not in the static method list: blocked without credentials too; and HEAD has no
    // CORS headers at all.
    let calls = scan.calls("allowed-request-blocked", "https://app.example.com");
    for call in ["PUT false", "HEAD true", "HEAD false"] {
        assert!(calls.contains(call), "{call} not blocked: {calls:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_correct_recipe_has_no_findings() {
    if let Some(scan) = scan_recipe(Kind::Nginx, NGINX_CORRECT, "nginx-correct").await {
        scan.assert_clean();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caddy_reflecting_origin_with_credentials_is_critical_and_misses_vary() {
    let Some(scan) = scan_recipe(Kind::Caddy, CADDY_REFLECT_CREDENTIALS, "caddy-reflect").await
    else {
        return;
    };
    assert_reflects_everything(&scan);
    assert_over_broad_preflight(&scan, "DELETE");
    scan.assert_has("missing-vary-origin");
    let missing_vary = scan.origins("missing-vary-origin");
    assert!(missing_vary.contains("https://app.example.com") && missing_vary.contains("null"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caddy_unanchored_header_regexp_lets_near_misses_in() {
    let Some(scan) = scan_recipe(Kind::Caddy, CADDY_UNANCHORED_REGEXP, "caddy-regexp").await else {
        return;
    };
    let critical = assert_substring_holes(&scan);
    // Go regexps are case-sensitive: an upper-case host does not contain the text.
    assert!(
        !critical.contains("https://APP.EXAMPLE.COM"),
        "{critical:?}"
    );
    scan.assert_lacks("missing-vary-origin");
    scan.assert_lacks("allowed-request-blocked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caddy_suffix_wildcard_has_no_label_boundary() {
    let Some(scan) = scan_recipe(Kind::Caddy, CADDY_SUFFIX_WILDCARD, "caddy-suffix").await else {
        return;
    };
    scan.assert_answered();
    assert_eq!(scan.code, 1, "{}", scan.out);
    let critical = scan.origins("denied-origin-readable-with-credentials");
    for origin in ["https://evilexample.org", APEX, "http://example.org"] {
        assert!(critical.contains(origin), "{origin}: {critical:?}");
    }
    // Another registrable domain ending in the same text.
    assert!(
        critical.iter().any(|o| o.ends_with("-example.org")),
        "{critical:?}"
    );
    // https://app.example.com is matched exactly: none of its near misses passes; the suffix
    // needs the value to end with example.org: nothing appended after it passes.
    assert!(
        critical
            .iter()
            .all(|o| !o.contains("app.example.com") && o.ends_with("example.org")),
        "{critical:?}"
    );
    assert!(!critical.contains("null"));
    scan.assert_lacks("missing-vary-origin");
    scan.assert_lacks("allowed-request-blocked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caddy_correct_recipe_has_no_findings() {
    if let Some(scan) = scan_recipe(Kind::Caddy, CADDY_CORRECT, "caddy-correct").await {
        scan.assert_clean();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn haproxy_reflecting_origin_with_credentials_is_critical_for_every_denied_origin() {
    let Some(scan) = scan_recipe(
        Kind::Haproxy,
        HAPROXY_REFLECT_CREDENTIALS,
        "haproxy-reflect",
    )
    .await
    else {
        return;
    };
    assert_reflects_everything(&scan);
    assert_over_broad_preflight(&scan, "PATCH");
    scan.assert_lacks("missing-vary-origin");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn haproxy_hdr_sub_lets_near_misses_in() {
    let Some(scan) = scan_recipe(Kind::Haproxy, HAPROXY_SUBSTRING, "haproxy-sub").await else {
        return;
    };
    assert_substring_holes(&scan);
    // -i ignores case: a loose check.
    let loose = scan.origins("loose-origin-check");
    assert!(loose.contains("https://APP.EXAMPLE.COM"), "{loose:?}");
    scan.assert_lacks("missing-vary-origin");
    scan.assert_lacks("allowed-request-blocked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn haproxy_star_with_credentials_blocks_the_credentialed_front_end() {
    let Some(scan) = scan_recipe(Kind::Haproxy, HAPROXY_STAR_CREDENTIALS, "haproxy-star").await
    else {
        return;
    };
    assert_star_for_credentials(&scan);
    // Without credentials the front end gets through, with another max-age than the policy's.
    let calls = scan.calls("allowed-request-blocked", "https://app.example.com");
    assert!(!calls.contains("PUT false"), "{calls:?}");
    assert!(scan.findings().iter().any(|f| f["rule"] == "header-differs"
        && f["severity"] == "low"
        && f["message"].as_str().unwrap().contains("86400")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn haproxy_correct_recipe_has_no_findings() {
    if let Some(scan) = scan_recipe(Kind::Haproxy, HAPROXY_CORRECT, "haproxy-correct").await {
        scan.assert_clean();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_without_a_response_are_counted_once_each() {
    let Some(scan) = scan_recipe(Kind::Nginx, NGINX_GET_ONLY, "nginx-get-only").await else {
        return;
    };
    // Each GET (one per origin, 39) is answered; every other request gets no response, counted
    // once however many credentials modes asked for it. The server did answer: the exit status
    // is 1 (findings), not 2 (no answer at all).
    let sent = scan.report["requests_sent"].as_u64().unwrap();
    let failed = scan.report["requests_without_response"].as_u64().unwrap();
    assert!(failed > 0 && failed + 30 <= sent, "{failed} of {sent}");
    assert_eq!(scan.code, 1, "{}", scan.out);
    // The allowed origins' GETs lack CORS headers: blocked, the only finding.
    assert_eq!(
        scan.rules(),
        BTreeSet::from(["allowed-request-blocked".to_string()])
    );
}

/// Every recipe under corpus/scan/ is one of the tests' (a file added there without a test
/// would be unchecked), and holds the port placeholder.
#[test]
fn every_recipe_in_the_corpus_is_scanned() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../corpus/scan");
    let tested = [
        NGINX_REFLECT_CREDENTIALS,
        NGINX_UNANCHORED_REGEX,
        NGINX_WIDE_OPEN,
        NGINX_CORRECT,
        CADDY_REFLECT_CREDENTIALS,
        CADDY_UNANCHORED_REGEXP,
        CADDY_SUFFIX_WILDCARD,
        CADDY_CORRECT,
        HAPROXY_REFLECT_CREDENTIALS,
        HAPROXY_SUBSTRING,
        HAPROXY_STAR_CREDENTIALS,
        HAPROXY_CORRECT,
    ];
    let mut recipes = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name == "policy.toml" || name.ends_with(".txt") || name.ends_with(".md") {
            continue;
        }
        recipes += 1;
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(tested.contains(&text.as_str()), "{name} is not tested");
        assert!(text.contains(servers::PORT_PLACEHOLDER), "{name}");
    }
    assert_eq!(recipes, tested.len());
}
