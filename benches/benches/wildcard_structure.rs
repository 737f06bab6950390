//! Which structure decides subdomain wildcards fastest?
//!
//! * `per_label_hash` — corsmatch's `OriginMatcher` (wildcards only): at each `.` of the host, the rest
//!   is a candidate base, filtered by a set of base lengths, then looked up in an `ahash` map.
//! * `reversed_aho_corasick` — an anchored Aho-Corasick DFA over the reversed `.base` strings, run over
//!   the reversed host (copied into a stack buffer), with overlapping matches so that every base that
//!   is a suffix is seen.
//!
//! Both parse the origin with `corsmatch::origin::parse` first, so the difference is the structure.
//! `floor` is a bare `ahash` `HashSet<&[u8]>` lookup of the same bytes.

use std::collections::HashSet;
use std::hint::black_box;

use aho_corasick::automaton::{Automaton, OverlappingState};
use aho_corasick::{dfa::DFA, Anchored, Input, MatchKind, StartKind};
use corsmatch::origin::{self, HostKind, Origin};
use corsmatch::OriginMatcher;
use corsmatch_benches::wildcard_bases;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

struct ReversedAc {
    dfa: DFA,
    schemes: Vec<&'static [u8]>,
}

impl ReversedAc {
    fn new(bases: &[String]) -> ReversedAc {
        let patterns: Vec<Vec<u8>> = bases
            .iter()
            .map(|b| format!(".{b}").bytes().rev().collect())
            .collect();
        let dfa = DFA::builder()
            .match_kind(MatchKind::Standard)
            .start_kind(StartKind::Anchored)
            .build(&patterns)
            .unwrap();
        ReversedAc {
            dfa,
            schemes: vec![b"https"; bases.len()],
        }
    }

    fn matches(&self, bytes: &[u8]) -> bool {
        let Ok(Origin::Tuple(t)) = origin::parse(bytes) else {
            return false;
        };
        if t.host_kind() != HostKind::Domain || t.port().is_some() {
            return false;
        }
        let host = t.host();
        let mut rev = [0u8; origin::MAX_DOMAIN_LEN];
        for (d, s) in rev.iter_mut().zip(host.iter().rev()) {
            *d = *s;
        }
        let rev = &rev[..host.len()];
        let input = Input::new(rev).anchored(Anchored::Yes);
        let mut state = OverlappingState::start();
        loop {
            if self.dfa.try_find_overlapping(&input, &mut state).is_err() {
                return false;
            }
            let Some(m) = state.get_match() else {
                return false;
            };
            // The label before `.base` is non-empty: the grammar forbids empty labels.
            if m.end() < host.len() && self.schemes[m.pattern().as_usize()] == t.scheme() {
                return true;
            }
        }
    }
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("wildcard_structure");
    group.throughput(Throughput::Elements(1));
    for n in [10usize, 1_000, 100_000] {
        let bases = wildcard_bases(n);
        let entries: Vec<String> = bases.iter().map(|b| format!("https://*.{b}")).collect();
        let matcher = OriginMatcher::new(&entries).unwrap();
        let ac = ReversedAc::new(&bases);
        let k = n / 2;
        let cases: [(&str, String); 4] = [
            ("hit_1_label", format!("https://api.{}", bases[k])),
            ("hit_4_labels", format!("https://a.b.c.api.{}", bases[k])),
            ("miss_near", format!("https://api.x{}", bases[k])),
            ("miss_other", "https://www.unrelated-site.org".to_string()),
        ];
        for (name, origin) in &cases {
            let bytes = origin.as_bytes();
            let expect = name.starts_with("hit");
            assert_eq!(matcher.matches(bytes), expect, "{origin}");
            assert_eq!(ac.matches(bytes), expect, "{origin}");
            let floor_set: HashSet<&[u8], ahash::RandomState> = [bytes].into_iter().collect();
            let id = format!("{name}/{n}");
            group.bench_with_input(BenchmarkId::new("per_label_hash", &id), bytes, |b, o| {
                b.iter(|| matcher.matches(black_box(o)))
            });
            group.bench_with_input(
                BenchmarkId::new("reversed_aho_corasick", &id),
                bytes,
                |b, o| b.iter(|| ac.matches(black_box(o))),
            );
            group.bench_with_input(BenchmarkId::new("floor", &id), bytes, |b, o| {
                b.iter(|| floor_set.contains(black_box(o)))
            });
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
