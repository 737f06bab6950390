//! Proves the hot path allocates nothing: a counting global allocator, four threads (more than the
//! machine's cores), over a million `matches` and `find` calls over hits and misses of every entry kind.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier};

use corsmatch::OriginMatcher;

mod common;

use common::allocations_in;

#[global_allocator]
static GLOBAL: common::Counting = common::Counting;

const THREADS: usize = 4;
const ROUNDS: usize = 7_000;

#[test]
fn matches_and_find_allocate_nothing() {
    let entries = [
        "https://example.com",
        "http://localhost:3000",
        "http://[::1]:8080",
        "https://*.example.com",
        "https://*.example.org:8443",
        "https://*.example.net:*",
        "http://localhost:*",
        r"regex:^https://pr-[0-9]+\.preview\.example\.dev$",
        "regex:https://[a-z]+\\.example\\.io",
        "null",
        "https://*.xn--4dbrk0ce.example",
        "capacitor://MyApp",
        "tauri://*.Example.App",
    ];
    // (origin, expected rule index)
    let origins: &[(&[u8], Option<usize>)] = &[
        (b"https://example.com", Some(0)),
        (b"http://localhost:3000", Some(1)),
        (b"http://[::1]:8080", Some(2)),
        (b"https://api.example.com", Some(3)),
        (b"https://a.b.example.org:8443", Some(4)),
        (b"https://x.example.net:9000", Some(5)),
        (b"http://localhost:5173", Some(6)),
        (b"https://pr-42.preview.example.dev", Some(7)),
        (b"https://docs.example.io", Some(8)),
        (b"null", Some(9)),
        (b"https://evilexample.com", None),
        (b"https://example.com.evil.com", None),
        (b"https://example.org:8443", None),
        (b"https://pr-x.preview.example.dev", None),
        (b"https://docs.example.io.evil.com", None),
        (b"HTTPS://example.com", None),
        (b"https://example.com/", None),
        (b"https://[::1]:8080", None),
        (&[b'a'; 4096], None),
        (b"", None),
        // IDNA on a hit: `xn--` labels in front of the base, in the base, with the Bidi Rule.
        (b"https://xn--bcher-kva.example.com", Some(3)),
        (
            b"https://xn--mgbh0fb.a.b.c.d.e.f.g.h.i.j.example.com",
            Some(3),
        ),
        (b"https://www.xn--4dbrk0ce.example", Some(10)),
        (b"https://xn--zz.example.com", None),
        (b"https://3d.xn--4dbrk0ce.example", None),
        (b"https://xn--a-xbb.example.com", None),
        // Opaque hosts keep their case.
        (b"capacitor://MyApp", Some(11)),
        (b"capacitor://myapp", None),
        (b"tauri://a.B.Example.App", Some(12)),
        (b"tauri://a.example.app", None),
    ];
    let matcher = Arc::new(OriginMatcher::new(&entries).unwrap());
    let expected_hits = origins.iter().filter(|o| o.1.is_some()).count() * ROUNDS * 2;

    let start = Arc::new(Barrier::new(THREADS + 1));
    let done = Arc::new(Barrier::new(THREADS + 1));
    let hits = Arc::new(AtomicU64::new(0));
    let wrong = Arc::new(AtomicU64::new(0));
    let allocations = Arc::new(AtomicU64::new(0));
    let handles: Vec<_> = (0..THREADS)
        .map(|_| {
            let (m, start, done, hits, wrong, allocations) = (
                matcher.clone(),
                start.clone(),
                done.clone(),
                hits.clone(),
                wrong.clone(),
                allocations.clone(),
            );
            std::thread::spawn(move || {
                start.wait();
                let (mut h, mut w) = (0u64, 0u64);
                let n = allocations_in(|| {
                    for _ in 0..ROUNDS {
                        for &(origin, rule) in origins {
                            let matched = m.matches(black_box(origin));
                            let found = m.find(black_box(origin)).map(|r| r.index());
                            h += u64::from(matched) + u64::from(found.is_some());
                            w += u64::from(matched != rule.is_some() || found != rule);
                        }
                    }
                });
                allocations.fetch_add(n, Ordering::Relaxed);
                hits.fetch_add(h, Ordering::Relaxed);
                wrong.fetch_add(w, Ordering::Relaxed);
                done.wait();
            })
        })
        .collect();

    start.wait();
    done.wait();
    for h in handles {
        h.join().unwrap();
    }

    let calls = THREADS * ROUNDS * origins.len() * 2;
    assert!(calls >= 1_000_000, "only {calls} calls");
    assert_eq!(wrong.load(Ordering::Relaxed), 0, "some answers were wrong");
    assert_eq!(
        hits.load(Ordering::Relaxed) as usize,
        expected_hits * THREADS
    );
    let allocations = allocations.load(Ordering::Relaxed);
    assert_eq!(
        allocations, 0,
        "{allocations} allocations during {calls} calls"
    );
}
