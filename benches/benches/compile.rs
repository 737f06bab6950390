//! Compile time: the `saas` policy (`Policy::new`: validation and matcher, 11 024 origins), and an
//! `OriginMatcher` at the scale of the compile target (ARCHITECTURE.md, "Performance targets"):
//! 100 000 exact origins, 10 000 subdomain wildcards and 100 regexes. Memory is measured separately,
//! by the counting allocator of `benches/allocations.rs`.

use std::hint::black_box;

use corsmatch::OriginMatcher;
use criterion::{criterion_group, criterion_main, Criterion};

fn bench(c: &mut Criterion) {
    let entries = corsmatch_benches::design_scale_entries();
    let mut group = c.benchmark_group("compile");
    group.sample_size(10);
    let saas = corsmatch_workload::policies::saas();
    group.bench_function("saas_policy", |b| {
        b.iter(|| corsmatch::policy::Policy::new(black_box(&saas)).unwrap())
    });
    group.bench_function("100k_exact_10k_wildcard_100_regex", |b| {
        b.iter(|| OriginMatcher::new(black_box(&entries)).unwrap())
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = corsmatch_benches::quick();
    targets = bench
}
criterion_main!(benches);
