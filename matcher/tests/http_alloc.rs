//! Allocations made by the `http` adapter per response, under a counting global allocator.

use std::hint::black_box;

use corsmatch::http::{apply, preflight_response, RequestView};
use corsmatch::policy::{Policy, PolicyConfig};
use http::{HeaderMap, HeaderValue, Method};

mod common;

use common::allocations_in;

#[global_allocator]
static GLOBAL: common::Counting = common::Counting;

/// The counter is global: tests that measure it must not run at the same time.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn policy() -> Policy {
    Policy::new(
        &PolicyConfig::new(vec!["https://app.example.com"])
            .methods(vec!["PUT"])
            .request_headers(vec!["content-type", "x-request-id"])
            .expose_headers(vec!["x-request-id"])
            .credentials(true)
            .max_age(600)
            .private_network(true),
    )
    .unwrap()
}

fn request(method: &str, acrm: Option<&str>, private_network: bool) -> (Method, HeaderMap) {
    let mut headers = HeaderMap::new();
    headers.insert(
        "origin",
        HeaderValue::from_static("https://app.example.com"),
    );
    if let Some(m) = acrm {
        headers.insert(
            "access-control-request-method",
            HeaderValue::from_str(m).unwrap(),
        );
        headers.insert(
            "access-control-request-headers",
            HeaderValue::from_bytes(b"content-type, x-request-id").unwrap(),
        );
    }
    if private_network {
        headers.insert(
            "access-control-request-private-network",
            HeaderValue::from_static("true"),
        );
    }
    (Method::from_bytes(method.as_bytes()).unwrap(), headers)
}

/// Allocations per call of `f`, after a first call (which shares the request's header values, as a
/// server's already are).
fn count(f: impl Fn()) -> u64 {
    f();
    allocations_in(|| {
        for _ in 0..100 {
            f();
        }
    }) / 100
}

/// The response `HeaderMap`'s two buffers, one per value copied from the request or the policy; with
/// the view, only the policy's values (`Access-Control-Max-Age`, `Access-Control-Expose-Headers`) are
/// copied. Constants (`true`, `Vary`) never are.
#[test]
fn allocations_per_response() {
    let _serial = SERIAL.lock().unwrap();
    let policy = policy();
    // (request, allocations through apply/preflight_response, through the view)
    let cases = [
        ("preflight", request("OPTIONS", Some("PUT"), false), 6, 3),
        (
            "preflight, private network",
            request("OPTIONS", Some("PUT"), true),
            6,
            3,
        ),
        ("actual", request("GET", None, false), 4, 3),
        (
            "preflight, denied",
            request("OPTIONS", Some("PATCH"), false),
            2,
            2,
        ),
        ("not CORS", (Method::GET, HeaderMap::new()), 2, 2),
    ];
    for (label, (method, headers), plain, reused) in cases {
        let run = |with_view: bool| {
            count(|| {
                let view = RequestView::new(&method, &headers);
                let d = policy.evaluate(&view.request());
                if d.kind().is_preflight() {
                    let response = if with_view {
                        view.preflight_response(&d)
                    } else {
                        preflight_response(&d)
                    };
                    black_box(response);
                } else {
                    let mut h = HeaderMap::new();
                    if with_view {
                        view.apply(&d, &mut h);
                    } else {
                        apply(&d, &mut h);
                    }
                    black_box(h);
                }
            })
        };
        assert_eq!(run(false), plain, "{label}, apply/preflight_response");
        assert_eq!(run(true), reused, "{label}, RequestView");
    }
}

/// Removing the CORS headers an upstream response set allocates nothing: applying a decision to an
/// upstream response costs as many allocations with them as without them, on every path.
#[test]
fn upstream_cors_headers_are_removed_without_allocating() {
    let _serial = SERIAL.lock().unwrap();
    let policy = policy();
    let cases = [
        ("actual", request("GET", None, false)),
        ("actual, denied", {
            let (method, mut headers) = request("GET", None, false);
            headers.insert("origin", HeaderValue::from_static("https://evil.example"));
            (method, headers)
        }),
        ("preflight", request("OPTIONS", Some("PUT"), false)),
        ("not CORS", (Method::GET, HeaderMap::new())),
    ];
    for (label, (method, headers)) in cases {
        let run = |stale: bool| {
            count(|| {
                // Room enough that the decision's headers never grow the map.
                let mut h = HeaderMap::with_capacity(32);
                h.insert("content-type", HeaderValue::from_static("text/html"));
                h.insert("cache-control", HeaderValue::from_static("no-store"));
                h.insert("vary", HeaderValue::from_static("Accept-Encoding"));
                if stale {
                    h.insert(
                        "access-control-allow-origin",
                        HeaderValue::from_static("https://evil.example"),
                    );
                    h.insert(
                        "access-control-allow-credentials",
                        HeaderValue::from_static("true"),
                    );
                    h.insert("access-control-max-age", HeaderValue::from_static("86400"));
                }
                let view = RequestView::new(&method, &headers);
                view.apply(&policy.evaluate(&view.request()), &mut h);
                black_box(h);
            })
        };
        assert_eq!(run(true), run(false), "{label}");
    }
}
