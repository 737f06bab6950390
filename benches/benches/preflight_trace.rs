//! The whole request trace, per request (criterion throughput in elements), for the `saas` and `small`
//! policies: corsmatch's bytes-level decision (with every response header value), corsmatch through
//! its `http` adapter (HeaderMap in, response HeaderMap out, echoed values cloned from the request by `RequestView::apply` / `RequestView::preflight_response`), tower-http's `CorsLayer` on the same
//! requests, origin matching alone for corsmatch and a `regex::RegexSet`, and the naive reference —
//! all in one group, so the ratios come from one run. A second group replays the trace from 1 and 2
//! threads sharing one compiled policy.

use std::hint::black_box;
use std::time::{Duration, Instant};

use corsmatch::policy::Policy;
use corsmatch::Allowlist;
use corsmatch_benches::peers::{self, PredicateMatcher, RegexSetMatcher};
use corsmatch_conformance::decision::NaiveEngine;
use corsmatch_workload::{generate, policies, replay, Trace, TraceOptions};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};

fn workload(name: &str) -> (corsmatch::policy::PolicyConfig, Trace) {
    let config = policies::by_name(name).expect("a built-in policy");
    let trace = if name == corsmatch_workload::DEFAULT_POLICY {
        corsmatch_workload::default_trace()
    } else {
        generate(&config, &TraceOptions::default())
    };
    (config, trace)
}

/// One preflight — exact-hit origin, `PUT`, three request headers — through corsmatch's decision
/// (every header value), its `http` adapter, and tower-http: the "full preflight decision" of
/// ARCHITECTURE.md's "Performance targets".
fn single(c: &mut Criterion) {
    let config = policies::saas();
    let policy = Policy::new(&config).expect("a valid policy");
    let tower = peers::tower_cors(&config);
    let request = corsmatch_workload::TraceRequest {
        method: b"OPTIONS".to_vec(),
        origin: Some(config.origins[4_242].clone().into_bytes()),
        request_method: Some(b"PUT".to_vec()),
        request_headers: vec![b"authorization,content-type,x-request-id".to_vec()],
    };
    let lines: [&[u8]; 1] = [&request.request_headers[0]];
    let bytes = corsmatch::policy::Request {
        method: b"OPTIONS",
        origin: request.origin.as_deref(),
        request_method: Some(b"PUT"),
        request_headers: &lines,
        private_network: false,
    };
    assert!(policy.evaluate(&bytes).is_allowed());
    let (method, headers) =
        corsmatch_workload::replay::http_parts(&request).expect("valid header values");
    let mut group = c.benchmark_group("preflight_single/saas");
    group.throughput(Throughput::Elements(1));
    group.bench_function("corsmatch", |b| {
        b.iter(|| {
            let d = policy.evaluate(black_box(&bytes));
            for header in d.headers() {
                black_box(header);
            }
        })
    });
    group.bench_function("corsmatch_http", |b| {
        b.iter(|| {
            let view = corsmatch::http::RequestView::new(black_box(&method), black_box(&headers));
            black_box(view.preflight_response(&policy.evaluate(&view.request())))
        })
    });
    group.bench_function("tower_http", |b| {
        let mut service = tower.clone();
        b.iter_batched(
            || peers::http_request(&request).expect("valid header values"),
            |r| black_box(peers::call_ready(&mut service, r)),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn bench(c: &mut Criterion) {
    for name in ["saas", "small"] {
        let (config, trace) = workload(name);
        let n = trace.requests.len();
        let policy = Policy::new(&config).expect("a valid policy");
        let lines = trace.header_lines();
        let requests = trace.requests(&lines);
        let http_parts: Vec<_> = trace
            .requests
            .iter()
            .filter_map(corsmatch_workload::replay::http_parts)
            .collect();
        let tower = peers::tower_cors(&config);
        let list = Allowlist::parse(&config.origins).expect("a valid list");
        let regexset = RegexSetMatcher::new(&list);
        let predicate = PredicateMatcher::new(&list);
        let origins: Vec<&[u8]> = trace
            .requests
            .iter()
            .filter_map(|r| r.origin.as_deref())
            .collect();
        let naive = NaiveEngine::new(&config);
        let naive_requests: Vec<_> = trace.requests.iter().map(replay::naive_request).collect();

        // Peers are not validators: show how often their verdict differs from corsmatch's.
        let differ = |f: &dyn Fn(&[u8]) -> bool| {
            origins
                .iter()
                .filter(|o| f(o) != policy.matcher().matches(o))
                .count()
        };
        eprintln!(
            "{name}: {n} requests, {} with Origin; origin verdicts differing from corsmatch: regexset {}, tower-http predicate {}",
            origins.len(),
            differ(&|o| regexset.matches(o)),
            differ(&|o| predicate.matches(o)),
        );

        let mut group = c.benchmark_group(format!("preflight_trace/{name}"));
        group.throughput(Throughput::Elements(n as u64));
        group.bench_function("corsmatch", |b| {
            b.iter(|| {
                for r in &requests {
                    let d = policy.evaluate(black_box(r));
                    for header in d.headers() {
                        black_box(header);
                    }
                }
            })
        });
        group.throughput(Throughput::Elements(http_parts.len() as u64));
        group.bench_function("corsmatch_http", |b| {
            b.iter(|| {
                for (method, headers) in &http_parts {
                    black_box(replay::http_answer(&policy, method, headers));
                }
            })
        });
        group.bench_function("tower_http", |b| {
            let mut service = tower.clone();
            b.iter_batched(
                || {
                    trace
                        .requests
                        .iter()
                        .filter_map(peers::http_request)
                        .collect::<Vec<_>>()
                },
                |batch| {
                    for request in batch {
                        black_box(peers::call_ready(&mut service, request));
                    }
                },
                BatchSize::PerIteration,
            )
        });
        group.throughput(Throughput::Elements(origins.len() as u64));
        group.bench_function("corsmatch_origin_only", |b| {
            b.iter(|| {
                for o in &origins {
                    black_box(policy.matcher().matches(black_box(o)));
                }
            })
        });
        group.bench_function("regexset_origin_only", |b| {
            b.iter(|| {
                for o in &origins {
                    black_box(regexset.matches(black_box(o)));
                }
            })
        });
        group.throughput(Throughput::Elements(n as u64));
        group.sample_size(10);
        group.bench_function("reference", |b| {
            b.iter(|| {
                for r in &naive_requests {
                    black_box(naive.decide(black_box(r)));
                }
            })
        });
        group.finish();

        if name == "saas" {
            let mut group = c.benchmark_group(format!("preflight_trace_threads/{name}"));
            for threads in [1usize, 2] {
                group.throughput(Throughput::Elements((n * threads) as u64));
                group.bench_function(format!("corsmatch/{threads}"), |b| {
                    b.iter_custom(|iters| replay_threads(&policy, &requests, threads, iters))
                });
            }
            group.finish();
        }
    }
}

/// `threads` threads each replay the whole trace `iters` times against one shared policy; returns
/// the wall time of all of them.
fn replay_threads(
    policy: &Policy,
    requests: &[corsmatch::policy::Request<'_>],
    threads: usize,
    iters: u64,
) -> Duration {
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                for _ in 0..iters {
                    for r in requests {
                        let d = policy.evaluate(black_box(r));
                        for header in d.headers() {
                            black_box(header);
                        }
                    }
                }
            });
        }
    });
    start.elapsed()
}

criterion_group! {
    name = benches;
    config = corsmatch_benches::quick();
    targets = single, bench
}
criterion_main!(benches);
