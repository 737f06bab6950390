//! Request traces drawn from a policy.
//!
//! The default mix is the one a CORS layer in front of a browser-facing API sees when preflights are
//! not cached well (the case worth optimizing): 70% preflights, 25% actual CORS requests and 5%
//! requests without `Origin`. Of the requests that carry an `Origin`, 90% come from an allowlist entry
//! — entries ranked in a seeded random order and drawn with Zipf-like weights `1 / rank`, so a few
//! tenants are hot and the long tail is still touched — and 10% are misses, most of them near misses
//! of an entry in the shapes of known CORS bypasses (suffix appended, no label boundary, the apex of a
//! wildcard, an empty label, case changes, a trailing dot, a downgraded scheme, a changed port,
//! userinfo / fragment / path tricks, percent-encoding, `null`, whitespace).
//!
//! `Access-Control-Request-Headers` is written as browsers write it: names lowercased, sorted, joined
//! by `,` without spaces, and omitted when empty (Fetch §4.8, "CORS-unsafe request-header names").
//! One preflight in a hundred is hostile: a line of thousands of commas, too many elements, too many
//! lines, an oversized name, a name that is not a token.

use corsmatch::pattern::{HostSpec, Pattern, PortSpec};
use corsmatch::policy::PolicyConfig;
use corsmatch::Allowlist;
use regex_syntax::hir::{Class, Hir, HirKind};

use crate::rng::Rng;
use crate::trace::{Trace, TraceRequest};

/// What to generate.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceOptions {
    /// How many requests.
    pub requests: usize,
    /// The seed: the same seed and policy give the same trace.
    pub seed: u64,
    /// Percent of requests that are preflights.
    pub preflight_percent: u32,
    /// Percent of requests without `Origin`; the rest are actual CORS requests.
    pub no_origin_percent: u32,
    /// Percent of requests with an `Origin` whose origin is drawn as a miss rather than from an entry.
    pub miss_percent: u32,
    /// Percent of preflights with a hostile `Access-Control-Request-Headers`.
    pub hostile_percent: u32,
    /// The Zipf exponent of the draw over entries (1.0: weight `1 / rank`).
    pub zipf_exponent: f64,
}

impl Default for TraceOptions {
    fn default() -> TraceOptions {
        TraceOptions {
            requests: 10_000,
            seed: 1,
            preflight_percent: 70,
            no_origin_percent: 5,
            miss_percent: 10,
            hostile_percent: 1,
            zipf_exponent: 1.0,
        }
    }
}

/// Generates a trace for `policy`. Entries that do not parse are skipped (the policy is validated
/// elsewhere); a policy with no usable entry yields a trace of misses only.
pub fn generate(policy: &PolicyConfig, options: &TraceOptions) -> Trace {
    let mut rng = Rng::new(options.seed);
    let (list, _) = Allowlist::parse_all(&policy.origins);
    let entries: Vec<Source> = list
        .entries()
        .iter()
        .filter_map(|e| Source::new(&e.pattern))
        .collect();
    // Ranks: a seeded shuffle of the entries, so that hot entries are of every kind.
    let mut order: Vec<usize> = (0..entries.len()).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, rng.below(i + 1));
    }
    let mut cumulative = Vec::with_capacity(order.len());
    let mut total = 0.0;
    for rank in 0..order.len() {
        total += 1.0 / ((rank + 1) as f64).powf(options.zipf_exponent);
        cumulative.push(total);
    }
    let draw_entry = |rng: &mut Rng| -> Option<&Source> {
        if entries.is_empty() {
            return None;
        }
        let x = rng.unit() * total;
        let rank = cumulative.partition_point(|&c| c <= x).min(order.len() - 1);
        Some(&entries[order[rank]])
    };

    let mut requests = Vec::with_capacity(options.requests);
    for _ in 0..options.requests {
        let roll = rng.below(100) as u32;
        let kind = if roll < options.preflight_percent {
            Kind::Preflight
        } else if roll < options.preflight_percent + options.no_origin_percent {
            Kind::NoOrigin
        } else {
            Kind::Actual
        };
        let origin = match kind {
            Kind::NoOrigin => None,
            _ => Some(match draw_entry(&mut rng) {
                Some(source) if !rng.percent(options.miss_percent) => source.hit(&mut rng),
                Some(source) if rng.percent(75) => near_miss(&source.anchor(&mut rng), &mut rng),
                _ => unrelated(&mut rng),
            }),
        };
        requests.push(match kind {
            Kind::Preflight => {
                let method = rng
                    .weighted(&[
                        (30, "PUT"),
                        (20, "PATCH"),
                        (15, "DELETE"),
                        (22, "POST"),
                        (5, "GET"),
                        (3, "PROPFIND"),
                        (2, "patch"),
                        (3, "PURGE"),
                    ])
                    .as_bytes()
                    .to_vec();
                let request_headers = if rng.percent(options.hostile_percent) {
                    hostile_headers(&mut rng)
                } else {
                    browser_headers(&mut rng)
                };
                TraceRequest {
                    method: b"OPTIONS".to_vec(),
                    origin: origin.map(String::into_bytes),
                    request_method: Some(method),
                    request_headers,
                }
            }
            Kind::Actual => TraceRequest {
                method: rng
                    .weighted(&[
                        (58, "GET"),
                        (25, "POST"),
                        (7, "PUT"),
                        (5, "DELETE"),
                        (3, "PATCH"),
                        (2, "OPTIONS"),
                    ])
                    .as_bytes()
                    .to_vec(),
                origin: origin.map(String::into_bytes),
                request_method: None,
                request_headers: Vec::new(),
            },
            Kind::NoOrigin => {
                let method = *rng.weighted(&[(80, "GET"), (15, "POST"), (5, "OPTIONS")]);
                TraceRequest {
                    method: method.as_bytes().to_vec(),
                    origin: None,
                    request_method: (method == "OPTIONS").then(|| b"PUT".to_vec()),
                    request_headers: Vec::new(),
                }
            }
        });
    }
    Trace { requests }
}

#[derive(Clone, Copy)]
enum Kind {
    Preflight,
    Actual,
    NoOrigin,
}

/// The labels put in front of a wildcard's base.
const SUBDOMAIN_LABELS: [&str; 8] = [
    "api.", "app.", "www.", "admin.", "static.", "eu.api.", "v2.app.", "a.b.c.",
];

/// How to draw origins that an entry matches.
enum Source {
    /// `scheme://host` (exact host) or `scheme://*.base`, with a port rule.
    Host {
        scheme: String,
        host: String,
        wildcard: bool,
        port: PortSpec,
    },
    /// A regex, sampled from its syntax tree.
    Regex(Hir),
    /// `null`.
    Null,
    /// `*`.
    Any,
}

impl Source {
    fn new(pattern: &Pattern) -> Option<Source> {
        Some(match pattern {
            Pattern::Any => Source::Any,
            Pattern::Null => Source::Null,
            Pattern::Host(h) => {
                let (host, wildcard) = match &h.host {
                    HostSpec::Exact { host, .. } => (host.to_string(), false),
                    HostSpec::Subdomains { base } => (base.to_string(), true),
                    _ => return None, // a kind this generator does not know: no traffic for it
                };
                Source::Host {
                    scheme: h.scheme.to_string(),
                    host,
                    wildcard,
                    port: h.port,
                }
            }
            Pattern::Regex(r) => Source::Regex(
                regex_syntax::ParserBuilder::new()
                    .unicode(false)
                    .utf8(false)
                    .build()
                    .parse(r.source())
                    .ok()?,
            ),
            _ => return None,
        })
    }

    /// The origin a near miss of this entry is made from: a hit, except for a subdomain wildcard, whose
    /// near misses are made from its apex (`https://*.example.com` → `https://example.com`), since any
    /// change to a subdomain label is still a subdomain.
    fn anchor(&self, rng: &mut Rng) -> String {
        match self {
            Source::Host {
                scheme,
                host,
                wildcard: true,
                port,
            } => Source::Host {
                scheme: scheme.clone(),
                host: host.clone(),
                wildcard: false,
                port: *port,
            }
            .hit(rng),
            _ => self.hit(rng),
        }
    }

    /// An origin this entry matches (for a regex: almost always — a sample that fails the request
    /// grammar after a few tries is kept, and is then a miss).
    fn hit(&self, rng: &mut Rng) -> String {
        match self {
            Source::Any => unrelated(rng),
            Source::Null => "null".into(),
            Source::Host {
                scheme,
                host,
                wildcard,
                port,
            } => {
                let mut out = format!("{scheme}://");
                if *wildcard {
                    let label: &&str = rng.pick(&SUBDOMAIN_LABELS);
                    out.push_str(label);
                    if rng.percent(30) {
                        out.push_str(&format!("shop{}.", rng.below(1000)));
                    }
                }
                out.push_str(host);
                match port {
                    PortSpec::Default => {}
                    PortSpec::Port(p) => out.push_str(&format!(":{p}")),
                    PortSpec::Any => {
                        if let Some(p) =
                            rng.pick(&[None, Some(3000), Some(5173), Some(8080), Some(4200)])
                        {
                            out.push_str(&format!(":{p}"));
                        }
                    }
                    _ => {}
                }
                out
            }
            Source::Regex(hir) => {
                let mut last = Vec::new();
                for _ in 0..16 {
                    last.clear();
                    sample(hir, rng, &mut last);
                    if corsmatch::origin::parse(&last).is_ok() {
                        break;
                    }
                }
                String::from_utf8_lossy(&last).into_owned()
            }
        }
    }
}

/// A string the regex `hir` matches (repetitions are cut at 3 beyond their minimum; look-arounds,
/// which are only anchors here, are skipped).
fn sample(hir: &Hir, rng: &mut Rng, out: &mut Vec<u8>) {
    let nothing = Break {
        target: usize::MAX,
        variant: 0,
    };
    sample_broken(hir, rng, out, nothing, &mut 0, &mut false);
}

/// [`sample`] of a node without children.
fn sample_leaf(hir: &Hir, rng: &mut Rng, out: &mut Vec<u8>) {
    match hir.kind() {
        HirKind::Literal(lit) => out.extend_from_slice(&lit.0),
        HirKind::Class(Class::Bytes(class)) => {
            if let Some(range) = pick_range(class.ranges().len(), rng).map(|i| class.ranges()[i]) {
                let span = usize::from(range.end() - range.start()) + 1;
                out.push(range.start() + rng.below(span) as u8);
            }
        }
        HirKind::Class(Class::Unicode(class)) => {
            if let Some(range) = pick_range(class.ranges().len(), rng).map(|i| class.ranges()[i]) {
                let span = (range.end() as u32 - range.start() as u32) as usize + 1;
                let c = char::from_u32(range.start() as u32 + rng.below(span.min(1 << 16)) as u32)
                    .unwrap_or(range.start());
                let mut buf = [0; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
        _ => {} // empty, look-arounds
    }
}

/// The most regex-specific misses [`regex_misses`] makes of one regex.
const REGEX_MISSES: usize = 24;

/// Near misses of a regex read off its syntax tree: samples of the regex with one node broken, the
/// way a server's hand-written check tends to differ from the regex — a literal `.` turned into
/// another byte (an unescaped dot), a letter of a literal uppercased, a byte just outside a class
/// (`[a-z0-9-]` meeting `.` or `_`), a repetition one past its bounds. Each breaks one node of a
/// fresh sample; some may still match the regex (an alternation can absorb the change): callers ask
/// the policy. Deterministic for the generator's state, without duplicates, at most
/// [`REGEX_MISSES`].
fn regex_misses(hir: &Hir, rng: &mut Rng) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let nodes = count_nodes(hir);
    for variant in 0..3 {
        for target in 0..nodes {
            if out.len() >= REGEX_MISSES {
                return out;
            }
            let mut bytes = Vec::new();
            let mut index = 0;
            let mut broken = false;
            let at = Break { target, variant };
            sample_broken(hir, rng, &mut bytes, at, &mut index, &mut broken);
            if broken {
                let miss = String::from_utf8_lossy(&bytes).into_owned();
                if !out.contains(&miss) {
                    out.push(miss);
                }
            }
        }
    }
    out
}

/// How many nodes [`sample_broken`] numbers in `hir` (pre-order; each node once, repetitions'
/// bodies once).
fn count_nodes(hir: &Hir) -> usize {
    1 + match hir.kind() {
        HirKind::Repetition(rep) => count_nodes(&rep.sub),
        HirKind::Capture(cap) => count_nodes(&cap.sub),
        HirKind::Concat(parts) | HirKind::Alternation(parts) => parts.iter().map(count_nodes).sum(),
        _ => 0,
    }
}

/// Bytes tried, in order, for a byte just outside a class: the separators and case that origin
/// checks confuse.
const OUTSIDE: &[u8] = b".-_x0A/:@%";

/// Which node [`sample_broken`] breaks, and how: the `variant`-th way it can (a literal's
/// `variant`-th dot, then its letters uppercased; the `variant`-th byte of [`OUTSIDE`] a class
/// lacks; a repetition past its upper, then below its lower bound).
#[derive(Clone, Copy)]
struct Break {
    target: usize,
    variant: usize,
}

/// The walk behind [`sample`] (which breaks nothing) and [`regex_misses`]: node number `at.target`
/// (pre-order, counted in `index`) is broken when it can be; `broken` tells whether it was. Nodes inside a repetition are numbered once and broken on
/// the first pass only.
fn sample_broken(
    hir: &Hir,
    rng: &mut Rng,
    out: &mut Vec<u8>,
    at: Break,
    index: &mut usize,
    broken: &mut bool,
) {
    let (target, variant) = (at.target, at.variant);
    let here = *index;
    *index += 1;
    let skip = |index: &mut usize| *index = here + count_nodes(hir);
    if here == target && !*broken {
        match hir.kind() {
            HirKind::Literal(lit) => {
                let mut bytes = lit.0.to_vec();
                let dots: Vec<usize> = (0..bytes.len()).filter(|&i| bytes[i] == b'.').collect();
                if let Some(&dot) = dots.get(variant) {
                    bytes[dot] = b'x';
                    *broken = true;
                } else if variant == dots.len() && bytes.iter().any(u8::is_ascii_lowercase) {
                    bytes.make_ascii_uppercase();
                    *broken = true;
                }
                out.extend_from_slice(&bytes);
                return;
            }
            HirKind::Class(Class::Bytes(class)) => {
                let inside = |b: u8| {
                    class
                        .ranges()
                        .iter()
                        .any(|r| (r.start()..=r.end()).contains(&b))
                };
                if let Some(&b) = OUTSIDE.iter().filter(|&&b| !inside(b)).nth(variant) {
                    out.push(b);
                    *broken = true;
                    return;
                }
            }
            HirKind::Repetition(rep) => {
                let n = match (variant, rep.max) {
                    (0, Some(max)) if max < rep.min + 8 => Some(max + 1),
                    (1, _) if rep.min > 0 => Some(rep.min - 1),
                    _ => None,
                };
                if let Some(n) = n {
                    *broken = true;
                    for _ in 0..n {
                        sample(&rep.sub, rng, out);
                    }
                    skip(index);
                    return;
                }
            }
            _ => {}
        }
    }
    match hir.kind() {
        HirKind::Repetition(rep) => {
            let max = rep.max.unwrap_or(rep.min + 3).min(rep.min + 3);
            let n = rep.min + rng.below((max - rep.min) as usize + 1) as u32;
            let body = *index;
            for i in 0..n {
                *index = body;
                if i == 0 {
                    sample_broken(&rep.sub, rng, out, at, index, broken);
                } else {
                    sample(&rep.sub, rng, out);
                }
            }
            skip(index);
        }
        HirKind::Capture(cap) => sample_broken(&cap.sub, rng, out, at, index, broken),
        HirKind::Concat(parts) => {
            for p in parts {
                sample_broken(p, rng, out, at, index, broken);
            }
        }
        HirKind::Alternation(alts) => {
            // The branch holding the target, when it is in one; else one drawn.
            let mut start = *index;
            let mut chosen = None;
            for (i, alt) in alts.iter().enumerate() {
                let end = start + count_nodes(alt);
                if (start..end).contains(&target) {
                    chosen = Some((i, start));
                }
                start = end;
            }
            let (i, first) = chosen.unwrap_or_else(|| {
                let i = rng.below(alts.len());
                let first = *index + alts[..i].iter().map(count_nodes).sum::<usize>();
                (i, first)
            });
            *index = first;
            sample_broken(&alts[i], rng, out, at, index, broken);
            skip(index);
        }
        _ => sample_leaf(hir, rng, out),
    }
}

fn pick_range(len: usize, rng: &mut Rng) -> Option<usize> {
    (len > 0).then(|| rng.below(len))
}

/// An origin unrelated to any entry.
fn unrelated(rng: &mut Rng) -> String {
    let n = rng.below(100_000);
    match rng.below(4) {
        0 => format!("https://attacker{n}.example.net"),
        1 => format!("https://www.site{n}.com"),
        2 => format!("http://10.0.{}.{}:8080", n % 256, n / 256 % 256),
        _ => format!("https://cdn{n}.other-example.org"),
    }
}

/// A near miss of `origin` in the shape of a known bypass: one of [`near_misses`], drawn.
fn near_miss(origin: &str, rng: &mut Rng) -> String {
    let mut all = near_misses(origin);
    all.swap_remove(rng.below(all.len()))
}

/// Every near miss of `origin` in the shapes of known bypasses, in a fixed order: a suffix appended
/// (`.evil.com`, `munity`), no label boundary (`evilapp.example.com`), the parent domain, an empty
/// label, the host and the scheme uppercased, a trailing dot, the `http://` downgrade, another port,
/// fragment and userinfo tricks, a path, a percent-encoded first byte, `null` and leading whitespace.
/// Some may equal each other (an `http://` origin downgraded is itself) or be allowed by another
/// entry; callers deduplicate and ask the policy.
pub fn near_misses(origin: &str) -> Vec<String> {
    let (scheme, rest) = origin.split_once("://").unwrap_or(("https", origin));
    let host_end = if rest.starts_with('[') {
        rest.find(']').map_or(rest.len(), |i| i + 1)
    } else {
        rest.find(':').unwrap_or(rest.len())
    };
    let (host, port) = rest.split_at(host_end);
    let parent = host.split_once('.').map_or(host, |(_, p)| p);
    let encoded = match host.as_bytes().first() {
        Some(&b) if b.is_ascii() => format!("%{b:02x}{}", &host[1..]),
        _ => host.to_string(),
    };
    vec![
        format!("{origin}.evil.com"),
        format!("{scheme}://evil{host}{port}"),
        format!("{scheme}://{parent}{port}"),
        format!("{scheme}://.{parent}{port}"),
        format!("{scheme}://{}{port}", host.to_ascii_uppercase()),
        format!("{}://{host}{port}", scheme.to_ascii_uppercase()),
        format!("{scheme}://{host}.{port}"),
        format!("http://{host}{port}"),
        format!("{scheme}://{host}:8444"),
        format!("{scheme}://evil.com#.{host}{port}"),
        format!("{scheme}://{host}{port}@evil.com"),
        format!("{origin}/"),
        format!("{scheme}://{encoded}{port}"),
        "null".into(),
        format!(" {origin}"),
        format!("{origin}munity"),
    ]
}

/// Where an origin of [`scan_origins`] comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OriginSource {
    /// An origin the allowlist entry at this 0-based position admits (a subdomain for a wildcard,
    /// a port for a port wildcard).
    Entry(usize),
    /// A near miss ([`near_misses`]) of an origin the entry at this position admits, or of a
    /// wildcard's apex.
    NearMiss(usize),
    /// An origin unrelated to any entry.
    Unrelated,
}

/// Origins to probe a server's CORS with under `policy`: for each entry, the origins it admits
/// (two draws) and every near miss of one of them (for a subdomain wildcard: its apex, and the
/// apex's near misses); then
/// `unrelated` origins unrelated to any entry, and `null`. The same policy and seed give the same
/// list; each origin appears once, with the first source that produced it. Entries that do not
/// parse are skipped.
pub fn scan_origins(
    policy: &PolicyConfig,
    seed: u64,
    unrelated_count: usize,
) -> Vec<(String, OriginSource)> {
    let mut rng = Rng::new(seed);
    let mut out: Vec<(String, OriginSource)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut push = |origin: String, source: OriginSource, out: &mut Vec<_>| {
        if seen.insert(origin.clone()) {
            out.push((origin, source));
        }
    };
    let (list, _) = Allowlist::parse_all(&policy.origins);
    for entry in list.entries() {
        let Some(source) = Source::new(&entry.pattern) else {
            continue;
        };
        if matches!(source, Source::Any) {
            continue;
        }
        for _ in 0..2 {
            push(
                source.hit(&mut rng),
                OriginSource::Entry(entry.index),
                &mut out,
            );
        }
        if matches!(source, Source::Null) {
            continue;
        }
        let anchor = source.anchor(&mut rng);
        if matches!(source, Source::Host { wildcard: true, .. }) {
            push(
                anchor.clone(),
                OriginSource::NearMiss(entry.index),
                &mut out,
            );
        }
        for miss in near_misses(&anchor) {
            push(miss, OriginSource::NearMiss(entry.index), &mut out);
        }
        if let Source::Regex(hir) = &source {
            for miss in regex_misses(hir, &mut rng) {
                push(miss, OriginSource::NearMiss(entry.index), &mut out);
            }
        }
    }
    for _ in 0..unrelated_count {
        push(unrelated(&mut rng), OriginSource::Unrelated, &mut out);
    }
    push("null".into(), OriginSource::Unrelated, &mut out);
    out
}

/// `Access-Control-Request-Headers` as a browser sends it: zero or one line.
fn browser_headers(rng: &mut Rng) -> Vec<Vec<u8>> {
    let mut names: Vec<String> = Vec::new();
    for (percent, name) in [
        (60, "content-type"),
        (40, "authorization"),
        (20, "x-requested-with"),
        (25, "x-request-id"),
        (10, "x-csrf-token"),
    ] {
        if rng.percent(percent) {
            names.push(name.into());
        }
    }
    if rng.percent(4) {
        names.push(format!("x-custom-{}", rng.below(5)));
    }
    names.sort();
    if names.is_empty() {
        Vec::new()
    } else {
        vec![names.join(",").into_bytes()]
    }
}

/// A hostile `Access-Control-Request-Headers`, over the engine's limits or not a list of tokens.
fn hostile_headers(rng: &mut Rng) -> Vec<Vec<u8>> {
    match rng.below(6) {
        0 => vec![vec![b','; 5_000]],
        1 => vec![vec!["x-a"; 80].join(",").into_bytes()],
        2 => vec![b"content-type".to_vec(); 20],
        3 => vec![vec![b'x'; 5_000]],
        4 => vec![b"content-type,x foo".to_vec()],
        _ => vec![b"".to_vec(), b" , ,content-type".to_vec()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policies;
    use corsmatch::policy::{DecisionKind, Policy};

    #[test]
    fn the_mix_and_the_hit_rate_are_as_documented() {
        let config = policies::saas();
        let options = TraceOptions {
            requests: 20_000,
            ..TraceOptions::default()
        };
        let trace = generate(&config, &options);
        assert_eq!(trace.requests.len(), 20_000);
        let (pre, actual, none) = trace.mix();
        let pct = |n: usize| n * 100 / 20_000;
        assert!((68..=72).contains(&pct(pre)), "{pre}");
        assert!((23..=27).contains(&pct(actual)), "{actual}");
        assert!((4..=6).contains(&pct(none)), "{none}");

        // About 90% of origins match, by the engine's own verdict.
        let policy = Policy::new(&config).unwrap();
        let with_origin: Vec<_> = trace
            .requests
            .iter()
            .filter_map(|r| r.origin.as_deref())
            .collect();
        let hits = with_origin
            .iter()
            .filter(|o| policy.matcher().matches(o))
            .count();
        let hit_pct = hits * 100 / with_origin.len();
        assert!((87..=92).contains(&hit_pct), "{hit_pct}% hits");

        // Every kind of decision occurs.
        let lines = trace.header_lines();
        let kinds: std::collections::HashSet<DecisionKind> = trace
            .requests(&lines)
            .iter()
            .map(|r| policy.evaluate(r).kind())
            .collect();
        assert_eq!(kinds.len(), 5, "{kinds:?}");

        // Zipf-like: the hottest origin is far more frequent than the median one.
        let mut counts = std::collections::HashMap::new();
        for o in &with_origin {
            *counts.entry(*o).or_insert(0usize) += 1;
        }
        let mut freq: Vec<usize> = counts.into_values().collect();
        freq.sort_unstable_by(|a, b| b.cmp(a));
        assert!(freq[0] > 20 * freq[freq.len() / 2], "{:?}", &freq[..5]);
    }

    #[test]
    fn same_seed_same_trace_other_seed_other_trace() {
        let config = policies::small();
        let options = TraceOptions {
            requests: 500,
            ..TraceOptions::default()
        };
        assert_eq!(generate(&config, &options), generate(&config, &options));
        let other = TraceOptions {
            seed: 2,
            ..options.clone()
        };
        assert_ne!(generate(&config, &options), generate(&config, &other));
    }

    #[test]
    fn regex_samples_match_their_regex() {
        let config = policies::regex_heavy();
        let policy = Policy::new(&config).unwrap();
        let (list, _) = Allowlist::parse_all(&config.origins);
        let mut rng = Rng::new(3);
        for entry in list.entries() {
            let source = Source::new(&entry.pattern).unwrap();
            for _ in 0..5 {
                let origin = source.hit(&mut rng);
                assert!(
                    policy.matcher().matches(origin.as_bytes()),
                    "{origin} from {}",
                    entry.text
                );
            }
        }
    }

    #[test]
    fn regex_misses_break_one_node_and_mostly_miss() {
        let config = policies::regex_heavy();
        let policy = Policy::new(&config).unwrap();
        let (list, _) = Allowlist::parse_all(&config.origins);
        let mut rng = Rng::new(5);
        let (mut made, mut missed) = (0, 0);
        for entry in list.entries().iter().take(30) {
            let Some(Source::Regex(hir)) = Source::new(&entry.pattern) else {
                panic!("{} is not a regex", entry.text);
            };
            let misses = regex_misses(&hir, &mut rng);
            assert!(
                !misses.is_empty() && misses.len() <= REGEX_MISSES,
                "{}",
                entry.text
            );
            let mut seen = std::collections::HashSet::new();
            assert!(
                misses.iter().all(|m| seen.insert(m)),
                "duplicates: {misses:?}"
            );
            made += misses.len();
            missed += misses
                .iter()
                .filter(|m| !policy.matcher().matches(m.as_bytes()))
                .count();
        }
        // Nearly every broken sample is a miss (an alternation or a repetition can absorb one).
        assert!(missed * 10 >= made * 8, "{missed} of {made}");
    }

    #[test]
    fn regex_misses_hit_the_shapes_of_loose_checks() {
        let mut config = PolicyConfig::default();
        config.origins = vec![r"regex:^https://pr-[0-9]{1,4}\.preview\.example\.dev$".into()];
        let (list, _) = Allowlist::parse_all(&config.origins);
        let Some(Source::Regex(hir)) = Source::new(&list.entries()[0].pattern) else {
            panic!("not a regex");
        };
        let misses = regex_misses(&hir, &mut Rng::new(1));
        let has = |f: &dyn Fn(&str) -> bool| misses.iter().any(|m| f(m));
        // An unescaped dot: `.preview` → `xpreview`.
        assert!(has(&|m| m.contains("xpreview")), "{misses:?}");
        // A byte outside the digit class, and a repetition past its bound.
        assert!(has(&|m| m.starts_with("https://pr-.")), "{misses:?}");
        assert!(
            has(&|m| m
                .split('.')
                .next()
                .is_some_and(|l| l.len() == "https://pr-".len() + 5)),
            "{misses:?}"
        );
        // scan_origins carries them.
        let origins = scan_origins(&config, 1, 0);
        assert!(origins.iter().any(|(o, _)| o.contains("xpreview")));
    }

    #[test]
    fn scan_origins_are_deterministic_distinct_and_cover_each_entry() {
        let mut config = PolicyConfig::default();
        config.origins = vec![
            "https://app.example.com".into(),
            "https://*.example.org".into(),
            "http://localhost:*".into(),
        ];
        let a = scan_origins(&config, 7, 4);
        assert_eq!(a, scan_origins(&config, 7, 4));
        let distinct: std::collections::HashSet<&String> = a.iter().map(|(o, _)| o).collect();
        assert_eq!(distinct.len(), a.len());
        let policy = Policy::new(&config).unwrap();
        for (origin, source) in &a {
            if let OriginSource::Entry(i) = source {
                let found = policy.matcher().find(origin.as_bytes()).map(|r| r.index());
                assert_eq!(found, Some(*i), "{origin}");
            }
        }
        let has = |o: &str| a.iter().any(|(x, _)| x == o);
        // The wildcard's apex, a suffix appended, the downgrade, `null`.
        assert!(has("https://example.org"));
        assert!(has("https://app.example.com.evil.com"));
        assert!(has("http://app.example.com"));
        assert!(has("null"));
        assert!(a
            .iter()
            .any(|(o, _)| o.ends_with(".example.org") && o != "https://example.org"));
        assert!(
            a.iter()
                .filter(|(_, s)| *s == OriginSource::Unrelated)
                .count()
                >= 4
        );
    }

    #[test]
    fn near_misses_are_misses() {
        let config = policies::saas();
        let policy = Policy::new(&config).unwrap();
        let (list, _) = Allowlist::parse_all(&config.origins);
        let mut rng = Rng::new(4);
        let mut allowed = Vec::new();
        for entry in list.entries().iter().step_by(97) {
            let source = Source::new(&entry.pattern).unwrap();
            for _ in 0..20 {
                let miss = near_miss(&source.anchor(&mut rng), &mut rng);
                if policy.matcher().matches(miss.as_bytes()) {
                    allowed.push(miss);
                }
            }
        }
        // A near miss can only be allowed by a port wildcard (`:8444` on an entry with `:*`) or
        // by `http://` on a loopback entry that allows both schemes.
        assert!(
            allowed
                .iter()
                .all(|o| o.ends_with(":8444") || o.starts_with("http://")),
            "{allowed:?}"
        );
    }
}
