//! The decision path allocates nothing: every decision kind, evaluated and its headers iterated, from
//! four threads, under a counting global allocator; and hostile `Access-Control-Request-Headers`
//! values get a bounded answer, still without allocating.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier};

use corsmatch::policy::{DecisionKind, Policy, PolicyConfig, Request};

mod common;

use common::allocations_in;

#[global_allocator]
static GLOBAL: common::Counting = common::Counting;

/// The counter is global: tests that measure it must not run at the same time.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn policy() -> Policy {
    Policy::new(
        &PolicyConfig::new(vec![
            "https://app.example.com",
            "https://*.example.org",
            "http://localhost:*",
            r"regex:^https://pr-[0-9]+\.preview\.example\.dev$",
        ])
        .methods(vec!["PUT", "DELETE"])
        .request_headers(vec!["content-type", "x-api-key", "authorization"])
        .expose_headers(vec!["x-request-id"])
        .credentials(true)
        .max_age(600)
        .private_network(true),
    )
    .unwrap()
}

/// Runs `f` between two barriers on `threads` threads and returns the allocations counted meanwhile.
fn allocations_during(threads: usize, f: impl Fn() + Send + Sync + 'static) -> u64 {
    let f = Arc::new(f);
    let start = Arc::new(Barrier::new(threads + 1));
    let done = Arc::new(Barrier::new(threads + 1));
    let total = Arc::new(AtomicU64::new(0));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (f, start, done, total) = (f.clone(), start.clone(), done.clone(), total.clone());
            std::thread::spawn(move || {
                start.wait();
                total.fetch_add(allocations_in(|| f()), Ordering::Relaxed);
                done.wait();
            })
        })
        .collect();
    start.wait();
    done.wait();
    for h in handles {
        h.join().unwrap();
    }
    total.load(Ordering::Relaxed)
}

fn request<'r>(
    method: &'r [u8],
    origin: Option<&'r [u8]>,
    acrm: Option<&'r [u8]>,
    acrh: &'r [&'r [u8]],
) -> Request<'r> {
    Request {
        method,
        origin,
        request_method: acrm,
        request_headers: acrh,
        private_network: false,
    }
}

#[test]
fn every_decision_kind_allocates_nothing() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let policy = Arc::new(policy());
    let p = policy.clone();
    let count = allocations_during(4, move || {
        let lines: [&[u8]; 2] = [b"content-type,x-api-key", b" authorization "];
        let bad: [&[u8]; 1] = [b"x-other"];
        let cases: [(Request<'_>, DecisionKind); 7] = [
            (request(b"GET", None, None, &[]), DecisionKind::NotCors),
            (
                request(
                    b"OPTIONS",
                    Some(b"https://a.example.org"),
                    Some(b"PUT"),
                    &lines,
                ),
                DecisionKind::PreflightAllowed,
            ),
            (
                request(
                    b"OPTIONS",
                    Some(b"https://app.example.com"),
                    Some(b"PATCH"),
                    &[],
                ),
                DecisionKind::PreflightDenied,
            ),
            (
                request(
                    b"OPTIONS",
                    Some(b"http://localhost:5173"),
                    Some(b"PUT"),
                    &bad,
                ),
                DecisionKind::PreflightDenied,
            ),
            (
                request(
                    b"OPTIONS",
                    Some(b"HTTPS://app.example.com"),
                    Some(b"PUT"),
                    &[],
                ),
                DecisionKind::PreflightDenied,
            ),
            (
                request(
                    b"POST",
                    Some(b"https://pr-7.preview.example.dev"),
                    None,
                    &[],
                ),
                DecisionKind::ActualAllowed,
            ),
            (
                request(b"GET", Some(b"https://evil.example.com"), None, &[]),
                DecisionKind::ActualDenied,
            ),
        ];
        for _ in 0..20_000 {
            for (req, kind) in &cases {
                let d = p.evaluate(black_box(req));
                assert_eq!(d.kind(), *kind);
                let mut bytes = 0;
                for (name, value) in d.headers() {
                    bytes += name.len() + value.len();
                }
                black_box(bytes);
                black_box(d.reason().map(|r| r.name()));
            }
        }
    });
    assert_eq!(count, 0, "{count} allocations");
}

#[test]
fn hostile_request_headers_are_bounded_and_allocate_nothing() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let policy = policy();
    let mib = 1 << 20;
    let commas = vec![b','; mib];
    let spaces = vec![b' '; mib];
    let mut repeated = Vec::with_capacity(mib + 16);
    while repeated.len() < mib {
        repeated.extend_from_slice(b"x-api-key,");
    }
    let empty_lines: Vec<&[u8]> = vec![b""; 1024];
    let max_elements: Vec<u8> = b"x-api-key,".repeat(64)[..639].to_vec(); // 64 elements, 639 bytes
    let cases: Vec<(Vec<&[u8]>, Option<&str>)> = vec![
        (vec![&commas], Some("header-list-too-large")),
        (vec![&spaces], Some("header-list-too-large")),
        (vec![&repeated], Some("header-list-too-large")),
        (empty_lines, Some("header-list-too-large")),
        (vec![&max_elements], None),
        (vec![&commas[..63]], None), // 64 empty elements: allowed, nothing echoed
        (vec![&commas[..64]], Some("header-list-too-large")),
    ];
    let allocations = allocations_in(|| {
        for (lines, want) in &cases {
            let req = Request {
                method: b"OPTIONS",
                origin: Some(b"https://app.example.com"),
                request_method: Some(b"PUT"),
                request_headers: lines,
                private_network: false,
            };
            let d = policy.evaluate(&req);
            assert_eq!(d.reason().map(|r| r.name()), *want, "{} lines", lines.len());
            assert_eq!(d.status(), Some(if want.is_some() { 403 } else { 204 }));
            black_box(d.headers().count());
        }
    });
    assert_eq!(allocations, 0);
}
