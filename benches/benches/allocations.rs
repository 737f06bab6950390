//! Allocations per request on the `saas` trace, for corsmatch and each peer, and the memory of
//! compiling the `saas` policy and the 100 000 / 10 000 / 100 allowlist of the compile target
//! (ARCHITECTURE.md, "Performance targets"), and per request through the tower layers (corsmatch's
//! `Cors`, tower-http 0.7 and 0.6) — counted by a global allocator, not timed. Run with
//! `cargo bench -p corsmatch-benches --bench allocations`; it prints Markdown tables.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Instant;

use corsmatch::policy::Policy;
use corsmatch::{Allowlist, OriginMatcher};
use corsmatch_benches::layer;
use corsmatch_benches::peers::{self, PredicateMatcher, RegexSetMatcher};
use corsmatch_conformance::decision::NaiveEngine;
use corsmatch_workload::{policies, replay};

/// Counts allocations and tracks live and peak heap bytes; defers to the system allocator.
struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(size: usize) {
    let live = LIVE.fetch_add(size, Ordering::Relaxed) + size;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

// SAFETY: every method defers to `System` with the caller's arguments unchanged; the counters have
// no effect on memory.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        grew(layout.size());
        // SAFETY: the caller's contract for `alloc` is `System.alloc`'s.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: `ptr` came from `System` through this allocator, with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        grew(layout.size());
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        grew(new_size);
        // SAFETY: `ptr` came from `System` through this allocator, with this layout.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made by `f`.
fn count(f: impl FnOnce()) -> u64 {
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    f();
    ALLOCATIONS.load(Ordering::Relaxed) - before
}

/// Allocations of one request through `service` (its upstream given a prepared response first, by
/// `upstream`), the request and the upstream's response built beforehand; the mean of 100 calls
/// after a first one.
fn per_request<S>(
    service: &mut S,
    upstream: fn(&mut S) -> Option<&mut layer::Upstream>,
    request: fn() -> http::Request<()>,
) -> f64
where
    S: tower::Service<
        http::Request<()>,
        Response = http::Response<()>,
        Error = std::convert::Infallible,
    >,
{
    let mut total = 0;
    for round in 0..=100 {
        let request = request();
        if let Some(upstream) = upstream(service) {
            upstream.prepare(layer::upstream_response());
        }
        let mut response = None;
        let allocations = count(|| response = Some(layer::serve(service, request)));
        drop(black_box(response));
        if round > 0 {
            total += allocations;
        }
    }
    total as f64 / 100.0
}

/// Allocations per request through each tower layer (`src/layer.rs`): an allowed preflight with the
/// 13 headers a browser sends, and an allowed `GET` whose upstream response has 7 headers; request
/// values share one buffer, as a server's do.
fn layers() {
    println!("\nAllocations per request through the tower layers (`src/layer.rs`):\n");
    println!("| engine | preflight | actual request |");
    println!("|---|---|---|");
    let row = |name: &str, preflight: Option<f64>, actual: f64| {
        let preflight = preflight.map_or("".to_string(), |p| format!("{p:.2}"));
        println!("| {name} | {preflight} | {actual:.2} |");
    };
    row(
        "corsmatch `Cors`",
        Some(per_request(
            &mut layer::corsmatch_layer(),
            |s| Some(s.get_mut()),
            layer::preflight,
        )),
        per_request(
            &mut layer::corsmatch_layer(),
            |s| Some(s.get_mut()),
            layer::actual,
        ),
    );
    row(
        "tower-http 0.7 `CorsLayer`",
        Some(per_request(
            &mut layer::tower_http_07(),
            |s| Some(s.get_mut()),
            layer::preflight,
        )),
        per_request(
            &mut layer::tower_http_07(),
            |s| Some(s.get_mut()),
            layer::actual,
        ),
    );
    row(
        "tower-http 0.6 `CorsLayer`",
        Some(per_request(
            &mut layer::tower_http_06(),
            |s| Some(s.get_mut()),
            layer::preflight,
        )),
        per_request(
            &mut layer::tower_http_06(),
            |s| Some(s.get_mut()),
            layer::actual,
        ),
    );
    row(
        "floor (preflight: the response built from prepared values; actual: the upstream alone)",
        Some(per_request(
            &mut layer::Floor::new(),
            |_| None,
            layer::preflight,
        )),
        per_request(&mut layer::Upstream::new(), |s| Some(s), layer::actual),
    );
}

/// Builds `T` and reports the time, the allocations, the peak heap above the starting point while
/// building, and the heap still held by the result.
fn memory<T>(label: &str, build: impl FnOnce() -> T) {
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let start = Instant::now();
    let mut allocations = 0;
    let value = {
        let mut out = None;
        allocations += count(|| out = Some(build()));
        out.expect("built")
    };
    let elapsed = start.elapsed();
    let peak = PEAK.load(Ordering::Relaxed) - base;
    let held = LIVE.load(Ordering::Relaxed).saturating_sub(base);
    println!(
        "| {label} | {:.0} ms | {allocations} | {:.1} MiB | {:.1} MiB |",
        elapsed.as_secs_f64() * 1e3,
        peak as f64 / (1 << 20) as f64,
        held as f64 / (1 << 20) as f64
    );
    drop(black_box(value));
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing else we use.
    let config = policies::saas();
    let trace = corsmatch_workload::default_trace();
    let n = trace.requests.len() as f64;
    let policy = Policy::new(&config).expect("a valid policy");
    let lines = trace.header_lines();
    let requests = trace.requests(&lines);
    let http_parts: Vec<_> = trace.requests.iter().map(replay::http_parts).collect();
    let mut tower = peers::tower_cors(&config);
    let list = Allowlist::parse(&config.origins).expect("a valid list");
    let regexset = RegexSetMatcher::new(&list);
    let predicate = PredicateMatcher::new(&list);
    let naive = NaiveEngine::new(&config);
    let naive_requests: Vec<_> = trace.requests.iter().map(replay::naive_request).collect();
    let origins: Vec<&[u8]> = trace
        .requests
        .iter()
        .filter_map(|r| r.origin.as_deref())
        .collect();
    let http_requests: Vec<_> = trace.requests.iter().map(peers::http_request).collect();
    let http_n = http_requests.iter().flatten().count() as f64;

    // Warm up lazily built state (regex caches, tower's service) outside the counted runs.
    for o in &origins {
        black_box(regexset.matches(o));
        black_box(predicate.matches(o));
    }
    for r in trace.requests.iter().filter_map(peers::http_request) {
        black_box(peers::call_ready(&mut tower, r));
    }

    println!(
        "Allocations per request, `saas` policy, default trace ({} requests; {} as `http` requests):\n",
        n, http_n
    );
    println!("| engine | allocations / request |");
    println!("|---|---|");
    let row = |name: &str, allocs: u64, per: f64| {
        println!("| {name} | {:.2} |", allocs as f64 / per);
    };
    row(
        "corsmatch (bytes in, every header value out)",
        count(|| {
            for r in &requests {
                let d = policy.evaluate(r);
                for h in d.headers() {
                    black_box(h);
                }
            }
        }),
        n,
    );
    // The adapter answers with clones of the request's own header values; `HeaderValue::from_bytes`
    // makes values that allocate once, at their first clone, where a server's share their buffer
    // from the start. One pass first, so the count is what a server sees.
    let adapter = |(method, headers): &(http::Method, http::HeaderMap)| {
        drop(black_box(replay::http_answer(&policy, method, headers)));
    };
    http_parts.iter().flatten().for_each(adapter);
    row(
        "corsmatch + http adapter (`RequestView::preflight_response` / `apply`)",
        count(|| http_parts.iter().flatten().for_each(adapter)),
        http_n,
    );
    let built: Vec<_> = http_requests.into_iter().flatten().collect();
    row(
        "tower-http CorsLayer (request built beforehand)",
        count(|| {
            for r in built {
                drop(black_box(peers::call_ready(&mut tower, r)));
            }
        }),
        http_n,
    );
    row(
        "corsmatch, origin only",
        count(|| {
            for o in &origins {
                black_box(policy.matcher().matches(o));
            }
        }),
        origins.len() as f64,
    );
    row(
        "regex::RegexSet, origin only",
        count(|| {
            for o in &origins {
                black_box(regexset.matches(o));
            }
        }),
        origins.len() as f64,
    );
    row(
        "naive reference",
        count(|| {
            for r in &naive_requests {
                black_box(naive.decide(r));
            }
        }),
        n,
    );

    layers();

    println!(
        "\nCompiling (time from this single run; peak = heap high-water mark while building):\n"
    );
    println!("| what | time | allocations | peak heap | heap held |");
    println!("|---|---|---|---|---|");
    memory("`saas` policy (`Policy::new`)", || {
        Policy::new(&config).expect("valid")
    });
    let entries = corsmatch_benches::design_scale_entries();
    memory(
        "100 000 exact + 10 000 wildcard + 100 regex (`OriginMatcher::new`)",
        || OriginMatcher::new(&entries).expect("valid"),
    );
}
