//! Runs `corpus/cases/decisions-*.toml` against the engine (bytes level and `http` adapter) and the
//! naive reference engine. Every failing case is reported at once.

#![cfg(all(feature = "reference", feature = "serde", feature = "http"))]

use std::path::Path;

use corsmatch::policy::{Policy, PolicyConfig, Request};
use corsmatch::reference::decision::{NaiveEngine, NaiveRequest};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    case: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    policy: PolicyConfig,
    request: Req,
    expect: String,
    reason: Option<String>,
    status: Option<u16>,
    headers: Vec<(String, String)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Req {
    #[serde(default = "get")]
    method: String,
    origin: Option<String>,
    acrm: Option<String>,
    #[serde(default)]
    acrh: Vec<String>,
    #[serde(default)]
    private_network: bool,
}

fn get() -> String {
    "GET".into()
}

type Outcome = (String, Option<String>, Option<u16>, Vec<(String, Vec<u8>)>);

fn sorted(mut h: Vec<(String, Vec<u8>)>) -> Vec<(String, Vec<u8>)> {
    h.sort();
    h
}

fn engine(policy: &Policy, r: &Req) -> Outcome {
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

/// The same request through the `http` adapter (`apply`, and `RequestView::apply`, which must agree).
fn adapter(policy: &Policy, r: &Req) -> Option<Outcome> {
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
    let view = corsmatch::http::RequestView::new(&method, &headers);
    let d = policy.evaluate(&view.request());
    let mut response = http::HeaderMap::new();
    corsmatch::http::apply(&d, &mut response);
    // Reusing the request's values gives the same headers.
    let mut reused = http::HeaderMap::new();
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

fn naive(policy: &PolicyConfig, r: &Req) -> Outcome {
    let d = NaiveEngine::new(policy).decide(&NaiveRequest {
        method: r.method.as_bytes().to_vec(),
        origin: r.origin.as_ref().map(|o| o.as_bytes().to_vec()),
        acrm: r.acrm.as_ref().map(|m| m.as_bytes().to_vec()),
        acrh: r.acrh.iter().map(|l| l.as_bytes().to_vec()).collect(),
        private_network: r.private_network,
    });
    (
        d.kind.to_string(),
        d.reason.map(str::to_string),
        d.status,
        sorted(d.headers),
    )
}

#[test]
fn decision_tables() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus/cases");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            n.starts_with("decisions-") && n.ends_with(".toml")
        })
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no decisions-*.toml");
    let (mut failures, mut count) = (Vec::new(), 0);
    for path in paths {
        let file: File = toml::from_str(&std::fs::read_to_string(&path).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for case in file.case {
            count += 1;
            let policy = match Policy::new(&case.policy) {
                Ok(p) => p,
                Err(e) => {
                    failures.push(format!("[{}] invalid policy:\n{e}", case.name));
                    continue;
                }
            };
            let want: Outcome = (
                case.expect.clone(),
                case.reason.clone(),
                case.status,
                sorted(
                    case.headers
                        .iter()
                        .map(|(n, v)| (n.clone(), v.as_bytes().to_vec()))
                        .collect(),
                ),
            );
            let show = |o: &Outcome| {
                let h: Vec<String> =
                    o.3.iter()
                        .map(|(n, v)| format!("{n}: {}", v.escape_ascii()))
                        .collect();
                format!("{} {:?} {:?} [{}]", o.0, o.1, o.2, h.join(" | "))
            };
            let mut check = |who: &str, got: Outcome| {
                if got != want {
                    failures.push(format!(
                        "[{}] {who}\n   got  {}\n   want {}",
                        case.name,
                        show(&got),
                        show(&want)
                    ));
                }
            };
            check("engine", engine(&policy, &case.request));
            if let Some(got) = adapter(&policy, &case.request) {
                check("http adapter", got);
            }
            check("naive engine", naive(&case.policy, &case.request));
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
