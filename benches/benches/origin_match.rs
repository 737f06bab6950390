//! `OriginMatcher::matches` per entry kind, hit and miss, for allowlists of 10, 1 000 and 100 000
//! entries, beside the floor (a bare `ahash` `HashSet<&[u8]>` lookup of the same bytes) and the naive
//! reference, so the ratios come from one run.

use std::collections::HashSet;
use std::hint::black_box;

use corsmatch::pattern::Allowlist;
use corsmatch::OriginMatcher;
use corsmatch_benches::{exact_origins, wildcard_bases};
use corsmatch_conformance::reference::ReferenceMatcher;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("origin_match");
    group.throughput(Throughput::Elements(1));
    for n in [10usize, 1_000, 100_000] {
        // n exact origins, n/10 wildcards (at least 1), a port rule, a few regexes.
        let exact = exact_origins(n);
        let bases = wildcard_bases((n / 10).max(1));
        let mut entries = exact.clone();
        entries.extend(bases.iter().map(|b| format!("https://*.{b}")));
        entries.push("http://localhost:*".into());
        entries.push(r"regex:^https://pr-[0-9]+\.preview\.example\.dev$".into());
        entries.push(r"regex:^https://[a-z0-9-]+\.review\.example\.dev$".into());
        let list = Allowlist::parse(&entries).unwrap();
        let matcher = OriginMatcher::from_allowlist(&list).unwrap();
        let reference = ReferenceMatcher::new(&list);
        let cases: [(&str, String, bool); 8] = [
            ("exact_hit", exact[n / 2].clone(), true),
            (
                "exact_miss",
                "https://app1.tenant1.example.org".into(),
                false,
            ),
            (
                "wildcard_hit",
                format!("https://api.{}", bases[bases.len() / 2]),
                true,
            ),
            (
                "wildcard_miss",
                format!("https://api.x{}", bases[bases.len() / 2]),
                false,
            ),
            ("port_hit", "http://localhost:5173".into(), true),
            (
                "regex_hit",
                "https://pr-1234.preview.example.dev".into(),
                true,
            ),
            (
                "regex_miss",
                "https://pr-1234.preview.example.dev.evil.com".into(),
                false,
            ),
            ("malformed", "https://API.example.com".into(), false),
        ];
        for (name, origin, expect) in &cases {
            let bytes = origin.as_bytes();
            assert_eq!(matcher.matches(bytes), *expect, "{origin}");
            assert_eq!(reference.matches(bytes), *expect, "{origin}");
            let floor: HashSet<&[u8], ahash::RandomState> =
                exact.iter().map(|e| e.as_bytes()).collect();
            let id = format!("{name}/{n}");
            group.bench_with_input(BenchmarkId::new("floor", &id), bytes, |b, o| {
                b.iter(|| floor.contains(black_box(o)))
            });
            group.bench_with_input(BenchmarkId::new("corsmatch", &id), bytes, |b, o| {
                b.iter(|| matcher.matches(black_box(o)))
            });
            group.bench_with_input(BenchmarkId::new("grammar_only", &id), bytes, |b, o| {
                b.iter(|| corsmatch::origin::parse(black_box(o)).is_ok())
            });
            if n <= 1_000 {
                group.bench_with_input(BenchmarkId::new("reference", &id), bytes, |b, o| {
                    b.iter(|| reference.matches(black_box(o)))
                });
            }
        }
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = corsmatch_benches::quick();
    targets = bench
}
criterion_main!(benches);
