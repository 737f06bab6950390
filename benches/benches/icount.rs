//! Instruction counts of the hot paths, measured with gungraun under valgrind's callgrind: the
//! input of the regression gate `benches/icount.sh` (see `src/bin/icount_gate.rs`).
//!
//! Wall-clock benches (`origin_match.rs`) swing by ±20% on the shared CI machine, so they cannot
//! gate a change. The number of instructions a call executes is the same in every run of the same
//! build, so a rise of more than a few percent is a change of the code (or of the compiler). The
//! benchmark ids: `matches/{exact,wildcard,regex}_{hit,miss}`, `OriginMatcher::matches` on
//! `LOOKUPS` (64) distinct origins of one kind, against an allowlist of 1 000 exact origins, 100
//! subdomain wildcards, `http://localhost:*` and two regexes (as `origin_match.rs` builds for
//! n = 1 000); `preflight/allowed`, one full preflight decision and the iteration over its response
//! headers; and `preflight/hostile_request_headers`, one preflight whose
//! `Access-Control-Request-Headers` line is 1 MiB of commas, which must be refused after looking
//! at the line's length alone. The group `layers` (module `tower_layers`) counts one request through
//! each tower layer and its floor: `layer/*` (corsmatch), `tower_http/*`, `tower_http_06/*`,
//! `floor/preflight` and `upstream/actual`.
//!
//! Only the calls are counted: gungraun runs each `setup =` function before it starts collecting,
//! so building the matcher or policy and the request bytes is not measured. The setups also make
//! one checked call per input, so that one-time work inside the library (`memchr`'s CPU feature
//! detection, for one) is done before the measured calls, and so that a bench measuring the wrong
//! path fails. The fixtures are leaked to `'static` rather than passed by value, so that dropping
//! them is not measured either.
//!
//! The counts are the same in every run only when the bench is built with
//! `--cfg corsmatch_fixed_seeds` (the library's hash seeds from a counter) and `--cfg fuzzing`
//! (ahash's constant seeds, for the floor's `HashSet`; see `fix_hash_keys`): run it through
//! `benches/icount.sh`, which does that and checks the counts against the baseline, the last entry
//! of `benches/history.jsonl`. The same cfg also fixes the process's random bytes
//! (`fixed_random`), which otherwise move the single-call counts through the heap layout. A plain
//! `cargo bench --bench icount` draws random seeds in every process, and its counts move between
//! runs (see `LOOKUPS`).

/// The benchmarks. In a private module: gungraun's macros generate public items without docs,
/// which the workspace's `missing_docs` lint would flag at the crate root.
mod benches {
    use std::hint::black_box;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Once, OnceLock};

    use ahash::random_state::RandomSource;

    use corsmatch::pattern::Allowlist;
    use corsmatch::policy::{DecisionKind, Policy, PolicyConfig, Request};
    use corsmatch::OriginMatcher;
    use corsmatch_benches::{exact_origins, wildcard_bases};
    use gungraun::{library_benchmark, library_benchmark_group};

    /// The allowlist size, as the middle size of `origin_match.rs`.
    const N: usize = 1_000;

    /// The allowlist entries: `N` exact origins, `N / 10` subdomain wildcards, a port wildcard and
    /// two regexes, as `origin_match.rs` builds them.
    fn entries() -> Vec<String> {
        let mut entries = exact_origins(N);
        entries.extend(
            wildcard_bases(N / 10)
                .iter()
                .map(|b| format!("https://*.{b}")),
        );
        entries.push("http://localhost:*".into());
        entries.push(r"regex:^https://pr-[0-9]+\.preview\.example\.dev$".into());
        entries.push(r"regex:^https://[a-z0-9-]+\.review\.example\.dev$".into());
        entries
    }

    /// The matcher, built once per benchmark process (each benchmark id runs in its own process).
    fn matcher() -> &'static OriginMatcher {
        static MATCHER: OnceLock<OriginMatcher> = OnceLock::new();
        MATCHER.get_or_init(|| {
            let list = Allowlist::parse(&entries()).expect("the bench allowlist parses");
            OriginMatcher::from_allowlist(&list).expect("the bench allowlist compiles")
        })
    }

    /// The allowlist of `origin_match.rs` at size `n`: `n` exact origins, `n / 10` wildcards (at
    /// least one), the port wildcard and the two regexes.
    fn matcher_of(n: usize) -> &'static OriginMatcher {
        let mut entries = exact_origins(n);
        entries.extend(
            wildcard_bases((n / 10).max(1))
                .iter()
                .map(|b| format!("https://*.{b}")),
        );
        entries.push("http://localhost:*".into());
        entries.push(r"regex:^https://pr-[0-9]+\.preview\.example\.dev$".into());
        entries.push(r"regex:^https://[a-z0-9-]+\.review\.example\.dev$".into());
        let list = Allowlist::parse(&entries).expect("the bench allowlist parses");
        Box::leak(Box::new(
            OriginMatcher::from_allowlist(&list).expect("the bench allowlist compiles"),
        ))
    }

    /// How many distinct origins each `matches` bench looks up.
    ///
    /// Which keys share a probe sequence in the matcher's hash tables depends on the hash keys, so
    /// one lookup can cost a probe (about 12 instructions) more than another of the same kind: 7%
    /// of an exact hit. Any change to how the matcher draws its keys (one more table built before
    /// another, say) redraws them, and a gate on one lookup would then fail on luck: single lookups
    /// moved by up to 12% between runs with random keys, these batches by at most 0.7% over five
    /// draws of the keys (and the single preflight calls by 0.5% and 2.6%).
    const LOOKUPS: usize = 64;

    /// The exact origin in the middle of the allowlist (the preflight benches' origin).
    fn exact_hit_origin() -> String {
        exact_origins(N)[N / 2].clone()
    }

    /// `LOOKUPS` exact origins spread over the allowlist.
    fn exact_hits() -> Vec<String> {
        let exact = exact_origins(N);
        (0..LOOKUPS)
            .map(|i| exact[i * (N / LOOKUPS)].clone())
            .collect()
    }

    /// `LOOKUPS` origins that differ from allowlisted ones only in the TLD.
    fn exact_misses() -> Vec<String> {
        (0..LOOKUPS)
            .map(|i| format!("https://app{i}.tenant{}.example.org", i % 97))
            .collect()
    }

    /// A host under each of `LOOKUPS` wildcard bases.
    fn wildcard_hits() -> Vec<String> {
        let bases = wildcard_bases(N / 10);
        (0..LOOKUPS)
            .map(|i| format!("https://api.{}", bases[i]))
            .collect()
    }

    /// A host beside (not under) each of `LOOKUPS` wildcard bases.
    fn wildcard_misses() -> Vec<String> {
        let bases = wildcard_bases(N / 10);
        (0..LOOKUPS)
            .map(|i| format!("https://api.x{}", bases[i]))
            .collect()
    }

    /// `LOOKUPS` near misses of wildcards: a host beside the bases `wildcard_bases` makes at every
    /// size, the same bytes whatever the size of the allowlist.
    fn near_misses() -> Vec<String> {
        (0..LOOKUPS)
            .map(|i| format!("https://api.xtenant{i}.example{}.com", i % 13))
            .collect()
    }

    /// `LOOKUPS` origins that only the first regex matches.
    fn regex_hits() -> Vec<String> {
        (0..LOOKUPS)
            .map(|i| format!("https://pr-{}.preview.example.dev", 1000 + i))
            .collect()
    }

    /// `LOOKUPS` origins that the first regex matches a prefix of, and nothing matches whole (on
    /// distinct registrable domains, so that their suffix probes differ too).
    fn regex_misses() -> Vec<String> {
        (0..LOOKUPS)
            .map(|i| format!("https://pr-{}.preview.example.dev.evil{i}.com", 1000 + i))
            .collect()
    }

    /// The source of the per-`RandomState` part of ahash's keys in the bench: a counter.
    struct CountingSource(AtomicUsize);

    impl RandomSource for CountingSource {
        fn gen_hasher_seed(&self) -> usize {
            self.0.fetch_add(0x9e37_79b9, Ordering::Relaxed)
        }
    }

    /// The first thing every setup does. Makes the floor's `ahash` keys the same in every run (the matcher's come from
    /// `--cfg corsmatch_fixed_seeds`). ahash's keys mix two sources: seeds drawn from getrandom once
    /// per process, which `benches/icount.sh` turns into constants by building with `--cfg fuzzing`
    /// (ahash's switch for exactly this), and a counter advanced by a heap address, which differs
    /// from run to run; a counting source in its place makes the keys depend only on how many
    /// `RandomState`s were created before.
    fn fix_hash_keys() {
        static ONCE: Once = Once::new();
        ONCE.call_once(|| {
            ahash::random_state::set_random_source(CountingSource(AtomicUsize::new(0)))
                .expect("no ahash RandomState was created before the setup");
        });
    }

    /// Setup of the `matches` benches: builds the matcher, checks that every one of `origins` takes
    /// the intended path (hit or miss) and leaks their bytes.
    fn match_setup(
        origins: Vec<String>,
        expect: bool,
    ) -> (&'static OriginMatcher, &'static [Box<[u8]>]) {
        fix_hash_keys();
        let matcher = matcher();
        let origins: Vec<Box<[u8]>> = origins
            .into_iter()
            .map(|o| o.into_bytes().into_boxed_slice())
            .collect();
        for origin in &origins {
            assert_eq!(matcher.matches(origin), expect, "{}", origin.escape_ascii());
        }
        (matcher, origins.leak())
    }

    /// Setup of the benches on the allowlist of size `n` (10 or 100 000).
    fn sized_setup(
        n: usize,
        origins: Vec<String>,
        expect: bool,
    ) -> (&'static OriginMatcher, &'static [Box<[u8]>]) {
        fix_hash_keys();
        let matcher = matcher_of(n);
        let origins: Vec<Box<[u8]>> = origins
            .into_iter()
            .map(|o| o.into_bytes().into_boxed_slice())
            .collect();
        for origin in &origins {
            assert_eq!(matcher.matches(origin), expect, "{}", origin.escape_ascii());
        }
        (matcher, origins.leak())
    }

    // `OriginMatcher::matches` on the same `LOOKUPS` near misses of wildcards, against the
    // allowlist of `origin_match.rs` with 10 and with 100 000 exact origins: flat in the size.
    #[library_benchmark]
    #[bench::wildcard_miss_10(args = (10, near_misses(), false), setup = sized_setup)]
    #[bench::wildcard_miss_100000(args = (100_000, near_misses(), false), setup = sized_setup)]
    fn sized((matcher, origins): (&'static OriginMatcher, &'static [Box<[u8]>])) -> usize {
        let matcher = black_box(matcher);
        origins
            .iter()
            .filter(|origin| matcher.matches(black_box(origin)))
            .count()
    }

    // `OriginMatcher::matches` on `LOOKUPS` distinct origins of one kind. (A plain comment:
    // `#[library_benchmark]` rejects doc comments.)
    #[library_benchmark]
    #[bench::exact_hit(args = (exact_hits(), true), setup = match_setup)]
    #[bench::exact_miss(args = (exact_misses(), false), setup = match_setup)]
    #[bench::wildcard_hit(args = (wildcard_hits(), true), setup = match_setup)]
    #[bench::wildcard_miss(args = (wildcard_misses(), false), setup = match_setup)]
    #[bench::regex_hit(args = (regex_hits(), true), setup = match_setup)]
    #[bench::regex_miss(args = (regex_misses(), false), setup = match_setup)]
    fn matches((matcher, origins): (&'static OriginMatcher, &'static [Box<[u8]>])) -> usize {
        let matcher = black_box(matcher);
        origins
            .iter()
            .filter(|origin| matcher.matches(black_box(origin)))
            .count()
    }

    /// The floor of the performance targets (ARCHITECTURE.md): a bare `ahash` `HashSet<&[u8]>` of
    /// the exact origins, looked up with the same bytes as the `matches` bench of the same id.
    type Floor = (
        &'static std::collections::HashSet<&'static [u8], ahash::RandomState>,
        &'static [Box<[u8]>],
    );

    /// Setup of the floor benches: the set of the allowlist's exact origins and the leaked origins.
    fn floor_setup(origins: Vec<String>) -> Floor {
        fix_hash_keys();
        let exact: &'static [String] = exact_origins(N).leak();
        let set: std::collections::HashSet<&'static [u8], ahash::RandomState> =
            exact.iter().map(|e| e.as_bytes()).collect();
        let origins: Vec<Box<[u8]>> = origins
            .into_iter()
            .map(|o| o.into_bytes().into_boxed_slice())
            .collect();
        (Box::leak(Box::new(set)), origins.leak())
    }

    /// Setup of the wildcard floor: the set of the allowlist's `N / 10` wildcard bases, and the
    /// base each of `wildcard_hits` belongs to, cut beforehand (the issue's floor for a wildcard hit:
    /// a lookup of the base the host belongs to).
    fn base_floor_setup() -> Floor {
        fix_hash_keys();
        let bases: &'static [String] = wildcard_bases(N / 10).leak();
        let set: std::collections::HashSet<&'static [u8], ahash::RandomState> =
            bases.iter().map(|b| b.as_bytes()).collect();
        let origins: Vec<Box<[u8]>> = wildcard_hits()
            .into_iter()
            .map(|o| {
                let base = o.strip_prefix("https://api.").expect("a wildcard hit");
                base.as_bytes().into()
            })
            .collect();
        (Box::leak(Box::new(set)), origins.leak())
    }

    /// Setup of the regex floor: a set holding the allowlist's exact origins and the `LOOKUPS`
    /// origins of `regex_hits` themselves, looked up with those (what a regex hit would cost if the
    /// allowlist listed each origin it matches).
    fn regex_floor_setup() -> Floor {
        fix_hash_keys();
        let mut keys = exact_origins(N);
        keys.extend(regex_hits());
        let keys: &'static [String] = keys.leak();
        let set: std::collections::HashSet<&'static [u8], ahash::RandomState> =
            keys.iter().map(|e| e.as_bytes()).collect();
        let origins: Vec<Box<[u8]>> = regex_hits()
            .into_iter()
            .map(|o| o.into_bytes().into_boxed_slice())
            .collect();
        for o in &origins {
            assert!(set.contains(&o[..]));
        }
        (Box::leak(Box::new(set)), origins.leak())
    }

    // The floor: `HashSet::contains` on the same `LOOKUPS` origins as `matches` of the same id
    // (`wildcard_base`: on the bases of `matches/wildcard_hit`'s hosts, in the set of bases;
    // `regex_hit`: in a set that holds them).
    #[library_benchmark]
    #[bench::exact_hit(args = (exact_hits(),), setup = floor_setup)]
    #[bench::wildcard_hit(args = (wildcard_hits(),), setup = floor_setup)]
    #[bench::wildcard_base(setup = base_floor_setup)]
    #[bench::regex_hit(setup = regex_floor_setup)]
    fn floor((set, origins): Floor) -> usize {
        let set = black_box(set);
        origins
            .iter()
            .filter(|origin| set.contains(&***black_box(origin)))
            .count()
    }

    /// Setup of the `RegexSet` peer: the two regex entries of the allowlist in one
    /// `regex::bytes::RegexSet` (Unicode off, as corsmatch compiles them), and `origins`.
    fn regex_set_setup(
        origins: Vec<String>,
        expect: bool,
    ) -> (&'static regex::bytes::RegexSet, &'static [Box<[u8]>]) {
        fix_hash_keys();
        let sources: Vec<String> = entries()
            .iter()
            .filter_map(|e| e.strip_prefix("regex:").map(String::from))
            .collect();
        let set = regex::bytes::RegexSetBuilder::new(&sources)
            .unicode(false)
            .build()
            .expect("the regexes compile");
        let origins: Vec<Box<[u8]>> = origins
            .into_iter()
            .map(|o| o.into_bytes().into_boxed_slice())
            .collect();
        for origin in &origins {
            // Twice: the first call sets up the set's per-thread cache.
            assert_eq!(set.is_match(origin), expect, "{}", origin.escape_ascii());
            assert_eq!(set.is_match(origin), expect);
        }
        (Box::leak(Box::new(set)), origins.leak())
    }

    // The regex peer: `RegexSet::is_match` over the same patterns and origins as `matches/regex_*`.
    #[library_benchmark]
    #[bench::regex_hit(args = (regex_hits(), true), setup = regex_set_setup)]
    #[bench::regex_miss(args = (regex_misses(), false), setup = regex_set_setup)]
    fn regex_set((set, origins): (&'static regex::bytes::RegexSet, &'static [Box<[u8]>])) -> usize {
        let set = black_box(set);
        origins
            .iter()
            .filter(|origin| set.is_match(black_box(origin)))
            .count()
    }

    /// The policy of the preflight benches: the allowlist above, credentials, three methods, three
    /// request headers and a max age.
    fn policy() -> &'static Policy {
        static POLICY: OnceLock<Policy> = OnceLock::new();
        POLICY.get_or_init(|| {
            let config = PolicyConfig::new(entries())
                .methods(vec!["PUT", "PATCH", "DELETE"])
                .request_headers(vec!["content-type", "authorization", "x-request-id"])
                .credentials(true)
                .max_age(600);
            Policy::new(&config).expect("the bench policy is valid")
        })
    }

    /// Setup of the preflight benches: builds the policy and a `PUT` preflight from the exact
    /// origin in the middle of the allowlist with `header_line` as its single
    /// `Access-Control-Request-Headers` line, checks that it gets the decision `kind` with the deny
    /// reason `reason` (by name), and leaks the request.
    fn preflight_setup(
        header_line: Vec<u8>,
        kind: DecisionKind,
        reason: Option<&str>,
    ) -> (&'static Policy, Request<'static>) {
        fix_hash_keys();
        let policy = policy();
        let origin: &'static [u8] = Box::leak(exact_hit_origin().into_bytes().into_boxed_slice());
        let line: &'static [u8] = Box::leak(header_line.into_boxed_slice());
        let lines: &'static [&'static [u8]] = Box::leak(Box::new([line]));
        let request = Request {
            method: b"OPTIONS",
            origin: Some(origin),
            request_method: Some(b"PUT"),
            request_headers: lines,
            private_network: false,
        };
        let decision = policy.evaluate(&request);
        assert_eq!(decision.kind(), kind);
        assert_eq!(decision.reason().map(|r| r.name()), reason);
        assert!(kind != DecisionKind::PreflightAllowed || decision.headers().count() > 0);
        (policy, request)
    }

    // One `Policy::evaluate` call and the iteration over every response header of its decision.
    #[library_benchmark]
    #[bench::allowed(
        args = (
            b"content-type,x-request-id,authorization".to_vec(),
            DecisionKind::PreflightAllowed,
            None,
        ),
        setup = preflight_setup
    )]
    #[bench::hostile_request_headers(
        args = (
            vec![b','; 1 << 20],
            DecisionKind::PreflightDenied,
            Some("header-list-too-large"),
        ),
        setup = preflight_setup
    )]
    fn preflight((policy, request): (&'static Policy, Request<'static>)) -> usize {
        let decision = black_box(policy).evaluate(black_box(&request));
        let mut headers = 0;
        for (name, value) in decision.headers() {
            black_box((name, value));
            headers += 1;
        }
        headers
    }

    library_benchmark_group!(
        name = hot_paths;
        benchmarks = matches, sized, floor, regex_set, preflight
    );
}

/// The tower layers (`src/layer.rs`): one request each, through corsmatch's `Cors`, tower-http 0.7's
/// and 0.6's `CorsLayer` and the floors, around the same trivial upstream. The bench ids:
/// `layer/{preflight,actual}` (corsmatch), `tower_http/{preflight,actual}` (0.7),
/// `tower_http_06/{preflight,actual}`, `floor/preflight` (the same 204 response built from prepared
/// header values, no decision) and `upstream/actual` (the upstream alone). Each counts `poll_ready`,
/// `call` and the poll of the future, dropping the request included (every engine drops it, or its
/// upstream does); not dropping the response, which the bench returns.
mod tower_layers {
    use std::convert::Infallible;

    use corsmatch_benches::layer::{self as fixtures, Floor, Upstream};
    use gungraun::{library_benchmark, library_benchmark_group};
    use http::{Request, Response};
    use tower::Service;

    /// What a bench sends.
    #[derive(Clone, Copy)]
    enum Kind {
        Preflight,
        Actual,
    }

    /// Setup: `service`, checked on two requests of `kind` (which also does any one-time work
    /// before the measured call; `upstream_only`: the service is the upstream, which sets no CORS
    /// headers), its upstream given its next response by `upstream`, leaked, and the request to
    /// measure.
    fn setup<S>(
        mut service: S,
        upstream: fn(&mut S) -> Option<&mut Upstream>,
        kind: Kind,
        upstream_only: bool,
    ) -> (&'static mut S, Request<()>)
    where
        S: Service<Request<()>, Response = Response<()>, Error = Infallible>,
    {
        let request = || match kind {
            Kind::Preflight => fixtures::preflight(),
            Kind::Actual => fixtures::actual(),
        };
        let check = match kind {
            Kind::Preflight => fixtures::assert_allowed_preflight,
            // The upstream alone answers without CORS headers.
            Kind::Actual if upstream_only => |response: &Response<()>| {
                assert_eq!(response.headers().len(), fixtures::RESPONSE_HEADERS.len());
            },
            Kind::Actual => fixtures::assert_allowed_actual,
        };
        for _ in 0..2 {
            if let Some(upstream) = upstream(&mut service) {
                upstream.prepare(fixtures::upstream_response());
            }
            check(&fixtures::serve(&mut service, request()));
        }
        if let Some(upstream) = upstream(&mut service) {
            upstream.prepare(fixtures::upstream_response());
        }
        (Box::leak(Box::new(service)), request())
    }

    fn corsmatch(kind: Kind) -> (&'static mut fixtures::CorsmatchService, Request<()>) {
        setup(
            fixtures::corsmatch_layer(),
            |s| Some(s.get_mut()),
            kind,
            false,
        )
    }

    fn tower_http_07(kind: Kind) -> (&'static mut fixtures::TowerHttp07Service, Request<()>) {
        setup(
            fixtures::tower_http_07(),
            |s| Some(s.get_mut()),
            kind,
            false,
        )
    }

    fn tower_http_06_setup(kind: Kind) -> (&'static mut fixtures::TowerHttp06Service, Request<()>) {
        setup(
            fixtures::tower_http_06(),
            |s| Some(s.get_mut()),
            kind,
            false,
        )
    }

    fn floor_setup(kind: Kind) -> (&'static mut Floor, Request<()>) {
        setup(Floor::new(), |_| None, kind, false)
    }

    fn upstream_setup(kind: Kind) -> (&'static mut Upstream, Request<()>) {
        setup(Upstream::new(), |s| Some(s), kind, true)
    }

    // corsmatch's `Cors` (`corsmatch::tower`).
    #[library_benchmark]
    #[bench::preflight(corsmatch(Kind::Preflight))]
    #[bench::actual(corsmatch(Kind::Actual))]
    fn layer(
        (service, request): (&'static mut fixtures::CorsmatchService, Request<()>),
    ) -> Response<()> {
        fixtures::serve(service, request)
    }

    // tower-http 0.7's `CorsLayer`.
    #[library_benchmark]
    #[bench::preflight(tower_http_07(Kind::Preflight))]
    #[bench::actual(tower_http_07(Kind::Actual))]
    fn tower_http(
        (service, request): (&'static mut fixtures::TowerHttp07Service, Request<()>),
    ) -> Response<()> {
        fixtures::serve(service, request)
    }

    // tower-http 0.6's `CorsLayer`.
    #[library_benchmark]
    #[bench::preflight(tower_http_06_setup(Kind::Preflight))]
    #[bench::actual(tower_http_06_setup(Kind::Actual))]
    fn tower_http_06(
        (service, request): (&'static mut fixtures::TowerHttp06Service, Request<()>),
    ) -> Response<()> {
        fixtures::serve(service, request)
    }

    // The preflight's floor: the same response from prepared header values, no decision.
    #[library_benchmark]
    #[bench::preflight(floor_setup(Kind::Preflight))]
    fn floor((service, request): (&'static mut Floor, Request<()>)) -> Response<()> {
        fixtures::serve(service, request)
    }

    // The actual request's floor: the upstream alone.
    #[library_benchmark]
    #[bench::actual(upstream_setup(Kind::Actual))]
    fn upstream((service, request): (&'static mut Upstream, Request<()>)) -> Response<()> {
        fixtures::serve(service, request)
    }

    library_benchmark_group!(
        name = layers;
        benchmarks = layer, tower_http, tower_http_06, floor, upstream
    );
}

/// The process's random bytes, made a fixed sequence in gate builds (`--cfg corsmatch_fixed_seeds`).
///
/// The last source of run-to-run variation (`preflight/allowed` 973 or 982, the hostile preflight
/// 412 or 421, about one run in eight) was not in the code measured but in where the heap put the
/// policy built by the setup. The measured preflight compares the request's method with the
/// policy's (`[u8] == [u8]` on three bytes: a call to glibc's `memcmp`). The AVX2 `memcmp` loads 32
/// bytes at once unless either address lies in the last 32 bytes of a 4 KiB page (it tests
/// `(a | b) & 0xfff > 0xfe0`), and then takes a byte-wise branch that costs 9 instructions more:
/// 18 instead of 9 in callgrind's annotation of the two runs, the only function whose count
/// differed. The heap address of the policy's `PUT` depends on the order of the allocations and
/// frees before it, and `Policy::new` walks std `HashMap`s and `HashSet`s (configuration-time
/// code), whose order follows SipHash keys that std draws from `getrandom` in every process.
/// Evidence (benches/RESULTS.md): the bench binary run 40 times under callgrind with the same
/// command, environment and `setarch -R` (no ASLR) gave 973 35 times and 982 5 times; with
/// `getrandom` returning fixed bytes (an `LD_PRELOAD`ed stub) it gave 982 30 times out of 30.
///
/// Defining `getrandom` here binds std's (weak) reference to it, so every process of the bench gets
/// the same keys and the same heap layout, and every run the same counts. The sequence is
/// SplitMix64 over a counter; a bench binary only, never a deployed one.
#[cfg(corsmatch_fixed_seeds)]
#[allow(unsafe_code)]
mod fixed_random {
    use std::sync::atomic::{AtomicU64, Ordering};

    static STATE: AtomicU64 = AtomicU64::new(0);

    /// glibc's `getrandom(2)` wrapper: fills `buf` with `len` bytes of the fixed sequence.
    ///
    /// # Safety
    ///
    /// `buf` must be valid for `len` bytes of writes (the contract of `getrandom(2)`).
    #[no_mangle]
    pub unsafe extern "C" fn getrandom(buf: *mut u8, len: usize, _flags: u32) -> isize {
        let mut at = 0;
        while at < len {
            let mut z = STATE
                .fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed)
                .wrapping_add(0x9e37_79b9_7f4a_7c15);
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^= z >> 31;
            for byte in z.to_le_bytes().into_iter().take(len - at) {
                // SAFETY: `at < len`, and the caller provides `len` writable bytes at `buf`.
                unsafe { buf.add(at).write(byte) };
                at += 1;
            }
        }
        isize::try_from(len).unwrap_or(isize::MAX)
    }
}

use benches::hot_paths;
use gungraun::{main, Callgrind, LibraryBenchmarkConfig};
use tower_layers::layers;

main!(
    // Only the instruction count (Ir) is gated: without the cache simulation the runs are faster,
    // and the simulated cache numbers would be noise for the gate anyway.
    config = LibraryBenchmarkConfig::default().tool(Callgrind::with_args(["--cache-sim=no"]));
    library_benchmark_groups = hot_paths, layers
);
