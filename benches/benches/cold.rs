//! Hits with a working set larger than the first two cache levels (`src/cold.rs`): 4 096 distinct
//! origins looked up in a shuffled cycle against 100 000 exact origins and 10 000 wildcards, beside
//! the floors under the same conditions, and the same allowlist built five times (each build draws
//! its own hash seeds), to show whether the cost depends on the build. Throughput is per lookup.

use std::hint::black_box;

use corsmatch_benches::cold::{self, WORKING_SET};
use corsmatch_benches::{exact_origins, wildcard_bases};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

/// Builds of the same list.
const BUILDS: usize = 5;

fn bench(c: &mut Criterion) {
    let list = cold::allowlist();
    let builds: Vec<_> = (0..BUILDS).map(|_| cold::build(&list)).collect();
    let exact = exact_origins(cold::N);
    let bases = wildcard_bases(cold::N / 10);
    let exact_floor = cold::exact_floor(&exact);
    let wildcard_floor = cold::wildcard_floor(&bases);
    let exact_hits = cold::exact_hits();
    let wildcard_hits = cold::wildcard_hits();
    for m in &builds {
        assert!(exact_hits.iter().all(|o| m.matches(o)));
        assert!(wildcard_hits.iter().all(|(o, _)| m.matches(o)));
    }
    assert!(exact_hits.iter().all(|o| exact_floor.contains(&o[..])));
    assert!(wildcard_hits
        .iter()
        .all(|(_, b)| wildcard_floor.contains(&b[..])));

    let mut group = c.benchmark_group("cold");
    group.throughput(Throughput::Elements(WORKING_SET as u64));
    group.bench_function("floor/exact_hit", |b| {
        b.iter(|| {
            exact_hits
                .iter()
                .filter(|o| exact_floor.contains(black_box(&o[..])))
                .count()
        })
    });
    group.bench_function("floor/wildcard_hit", |b| {
        b.iter(|| {
            wildcard_hits
                .iter()
                .filter(|(_, base)| wildcard_floor.contains(black_box(&base[..])))
                .count()
        })
    });
    for (k, m) in builds.iter().enumerate() {
        group.bench_with_input(BenchmarkId::new("exact_hit", k), m, |b, m| {
            b.iter(|| {
                exact_hits
                    .iter()
                    .filter(|o| m.matches(black_box(o)))
                    .count()
            })
        });
        group.bench_with_input(BenchmarkId::new("wildcard_hit", k), m, |b, m| {
            b.iter(|| {
                wildcard_hits
                    .iter()
                    .filter(|(o, _)| m.matches(black_box(o)))
                    .count()
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = corsmatch_benches::quick();
    targets = bench
}
criterion_main!(benches);
