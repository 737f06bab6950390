//! `corsmatch explain` on the three scenarios of CORS (simple, preflighted, credentialed) and their
//! common failures, in both output formats.

use std::process::Command;

use serde_json::Value;

/// Writes `text` to a policy file of its own: tests run in parallel, and one rewriting a file that
/// another's `corsmatch` is reading made that one read a truncated policy now and then.
fn policy(text: &str) -> std::path::PathBuf {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!("corsmatch-explain-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = dir.join(format!("policy-{n}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

fn explain(policy: &std::path::Path, args: &[&str], json: bool) -> (i32, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_corsmatch"));
    cmd.arg("explain").arg("--policy").arg(policy).args(args);
    if json {
        cmd.args(["--format", "json"]);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
    )
}

fn json(policy: &std::path::Path, args: &[&str]) -> (i32, Value) {
    let (code, out) = explain(policy, args, true);
    (
        code,
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}")),
    )
}

const POLICY: &str = r#"
origins = ["https://app.example.com"]
methods = ["PUT"]
request_headers = ["content-type"]
expose_headers = ["x-request-id"]
credentials = true
max_age = 600
"#;

#[test]
fn simple_request() {
    let p = policy(POLICY);
    let (code, v) = json(&p, &["--origin", "https://app.example.com"]);
    assert_eq!(code, 0);
    assert_eq!(v["preflight"], false);
    assert_eq!(v["allowed"], true);
    assert_eq!(v["reason"], Value::Null);
    assert_eq!(v["preflight_response"], Value::Null);
    let headers = v["response_headers"].as_array().unwrap();
    assert!(headers.contains(&serde_json::json!([
        "access-control-allow-origin",
        "https://app.example.com"
    ])));
    assert!(headers.contains(&serde_json::json!(["vary", "Origin"])));
    assert_eq!(
        v["readable_headers"],
        serde_json::json!(["content-type", "x-request-id"])
    );

    let (code, text) = explain(&p, &["--origin", "https://app.example.com"], false);
    assert_eq!(code, 0);
    assert!(text.contains("preflight: no"), "{text}");
    assert!(
        text.contains("result: the script can read the response"),
        "{text}"
    );
}

#[test]
fn preflighted_request() {
    let p = policy(POLICY);
    let args = [
        "--origin",
        "https://app.example.com",
        "--method",
        "put",
        "--header",
        "Content-Type: application/json",
    ];
    let (code, v) = json(&p, &args);
    assert_eq!(code, 0);
    assert_eq!(v["preflight"], true);
    assert_eq!(v["allowed"], true);
    assert_eq!(v["preflight_response"]["status"], 204);
    let pre = v["preflight_response"]["headers"].as_array().unwrap();
    for h in [
        ["access-control-allow-methods", "PUT"],
        ["access-control-allow-headers", "content-type"],
        ["access-control-max-age", "600"],
    ] {
        assert!(pre.contains(&serde_json::json!(h)), "{h:?} in {pre:?}");
    }
    let (_, text) = explain(&p, &args, false);
    assert!(
        text.contains("preflight: yes (PUT is not a CORS-safelisted method; header content-type"),
        "{text}"
    );

    // The same call with a method the policy lacks: the preflight fails, the request is never sent.
    let (code, v) = json(
        &p,
        &["--origin", "https://app.example.com", "--method", "DELETE"],
    );
    assert_eq!(code, 1);
    assert_eq!(v["allowed"], false);
    assert_eq!(v["reason"], "method-not-allowed");
    assert_eq!(v["preflight_response"]["status"], 403);
    assert_eq!(v["response_headers"], serde_json::json!([]));
    let (_, text) = explain(
        &p,
        &["--origin", "https://app.example.com", "--method", "DELETE"],
        false,
    );
    assert!(text.contains("has been blocked by CORS policy"), "{text}");
    assert!(text.contains("fix: add `DELETE` to `methods`"), "{text}");
}

#[test]
fn credentialed_request() {
    let p = policy(POLICY);
    let (code, v) = json(
        &p,
        &["--origin", "https://app.example.com", "--credentials"],
    );
    assert_eq!(code, 0);
    assert_eq!(v["allowed"], true);
    let headers = v["response_headers"].as_array().unwrap();
    assert!(headers.contains(&serde_json::json!([
        "access-control-allow-credentials",
        "true"
    ])));

    // Without credentials in the policy the browser drops the response: no ACAC.
    let p = policy("origins = [\"https://app.example.com\"]\n");
    let (code, v) = json(
        &p,
        &["--origin", "https://app.example.com", "--credentials"],
    );
    assert_eq!(code, 1);
    assert_eq!(v["allowed"], false);
    assert_eq!(v["reason"], "credentials-not-allowed");
    assert_eq!(v["readable_headers"], serde_json::json!([]));
    let (_, text) = explain(
        &p,
        &["--origin", "https://app.example.com", "--credentials"],
        false,
    );
    assert!(text.contains("Access-Control-Allow-Credentials"), "{text}");
    assert!(text.contains("fix: set `credentials = true`"), "{text}");

    // An origin that is not allowed: no ACAO at all, and the fix names the origin.
    let (code, v) = json(&p, &["--origin", "https://evil.example.net"]);
    assert_eq!(code, 1);
    assert_eq!(v["reason"], "origin-not-allowed");
    let (_, text) = explain(&p, &["--origin", "https://evil.example.net"], false);
    assert!(
        text.contains("No 'Access-Control-Allow-Origin' header"),
        "{text}"
    );
    assert!(
        text.contains("fix: add `https://evil.example.net` to `origins`"),
        "{text}"
    );
}

#[test]
fn bad_policy_exits_two() {
    let p = policy("origins = [\"*\"]\ncredentials = true\n");
    let out = Command::new(env!("CARGO_BIN_EXE_corsmatch"))
        .args(["explain", "--policy"])
        .arg(&p)
        .args(["--origin", "https://a.example.com"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("wildcard-origin-with-credentials") || err.contains("`*` allows every site"),
        "{err}"
    );
}

#[test]
fn a_method_that_is_not_a_token_is_a_usage_error() {
    let p = policy(POLICY);
    for method in ["P T", "", "GET\r\n"] {
        let out = Command::new(env!("CARGO_BIN_EXE_corsmatch"))
            .args(["explain", "--policy"])
            .arg(&p)
            .args(["--origin", "https://app.example.com", "--method", method])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{method:?}");
        assert!(out.stdout.is_empty(), "{method:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(
            err.starts_with(&format!(
                "error: --method `{}`: not an HTTP method",
                method.escape_debug()
            )),
            "{err}"
        );
    }
    let out = Command::new(env!("CARGO_BIN_EXE_corsmatch"))
        .args(["explain", "--policy"])
        .arg(&p)
        .args(["--origin", "https://app.example.com", "--header", "X Y: 1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("`X Y` is not a header name"));
}

#[test]
fn a_request_the_browser_refuses_is_explained_without_contradiction() {
    // CONNECT is a token, but fetch() throws before sending anything: neither a simple request nor
    // a failed preflight.
    let p = policy(POLICY);
    let args = ["--origin", "https://app.example.com", "--method", "CONNECT"];
    let (code, text) = explain(&p, &args, false);
    assert_eq!(code, 1);
    assert!(
        text.contains("preflight: no (the browser refuses to build the request: fetch() throws)"),
        "{text}"
    );
    assert!(
        text.contains("actual request: not sent (fetch() throws before sending anything)"),
        "{text}"
    );
    assert!(!text.contains("simple request"), "{text}");
    assert!(!text.contains("the preflight failed"), "{text}");
    assert!(
        text.contains("'CONNECT' HTTP method is unsupported"),
        "{text}"
    );
    let (code, v) = json(&p, &args);
    assert_eq!(code, 1);
    assert_eq!(v["preflight"], false);
    assert_eq!(v["reason"], "refused-by-browser");
}

#[test]
fn the_browser_profile_decides_what_is_sent() {
    let p = policy(POLICY);
    let ua = [
        "--origin",
        "https://app.example.com",
        "--header",
        "User-Agent: bot/1",
    ];
    // Chromium (the default) drops a script-set User-Agent: a simple request, readable.
    let (code, v) = json(&p, &ua);
    assert_eq!(
        (code, &v["browser"], &v["preflight"]),
        (0, &"chromium".into(), &false.into())
    );
    // Fetch preflights it, and the policy does not allow the header.
    let mut fetch = ua.to_vec();
    fetch.extend(["--browser", "fetch"]);
    let (code, v) = json(&p, &fetch);
    assert_eq!(
        (code, &v["browser"], &v["preflight"]),
        (1, &"fetch".into(), &true.into())
    );
    assert_eq!(v["reason"], "header-not-allowed");
    let (code, text) = explain(&p, &fetch, false);
    assert_eq!(code, 1);
    assert!(text.contains("(browser: fetch)"), "{text}");
    assert!(
        text.contains("header user-agent not CORS-safelisted"),
        "{text}"
    );
    let (code, _) = explain(
        &p,
        &["--origin", "https://a.example", "--browser", "firefox"],
        false,
    );
    assert_eq!(code, 2);
}
