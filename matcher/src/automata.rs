//! The compiled allowlist: [`OriginMatcher`].
//!
//! An allowlist is split by entry kind into structures whose lookup cost does not depend on how many
//! entries they hold:
//!
//! * **Exact origins** (and `null`) live in one `ahash` map keyed by their canonical serialization.
//!   Because every key is already a valid serialized origin, a request whose bytes equal a key is
//!   well formed: an exact hit costs one hash of the origin and one comparison, and needs no grammar
//!   check. Only a miss goes on to the grammar ([`crate::origin::parse`]) and the structures below.
//! * **Exact host, any port** (`http://localhost:*`): a map keyed by `scheme://host`, which is a prefix of
//!   the request's own bytes, so the lookup hashes a borrowed slice.
//! * **Subdomain wildcards** (`https://*.example.com[:port|:*]`): a map from base domain to the rules on
//!   it. The host is walked once; at each `.` the rest of the host is a candidate base, and the label
//!   before it is non-empty by the grammar, which is what makes `*.` mean "one or more labels". A
//!   256-bit set of the base lengths that occur skips hashing suffixes no base could equal. Measured
//!   against an anchored Aho-Corasick automaton over reversed `.base` strings walked from the end of the
//!   host (`benches/benches/wildcard_structure.rs`), per-label hashing was faster on every hit and
//!   near miss, because a typical host has one to three candidate suffixes and the length filter removes
//!   most of them, while the automaton must first copy and reverse the host and then touch one
//!   transition per byte. The automaton was faster only on hosts under a TLD no base uses, where it
//!   fails on the first reversed byte;
//!   the README ("How it matches") gives the numbers of one run.
//! * **Regexes**: all of them in one multi-pattern dense DFA (`regex-automata`), built with an anchored
//!   start, `MatchKind::All` and Unicode off, under explicit size limits. The DFA is walked over the
//!   whole origin from its anchored start state and then fed the end-of-input transition; a match state
//!   there means a pattern matched the **whole** origin. A leftmost-first search would stop at the first
//!   match and could report a match of a prefix only, which is how "unanchored regex" bypasses happen.
//! * `*`: a flag.
//!
//! `find` returns the first matching entry in config order: every structure remembers the smallest
//! rule id it holds, so a hit in the exact map is final unless an earlier entry of another kind could
//! also match.
//!
//! Neither `matches` nor `find` allocates.

use std::collections::HashMap;

use regex_automata::dfa::{dense, Automaton, StartKind};
use regex_automata::nfa::thompson;
use regex_automata::util::primitives::StateID;
use regex_automata::util::start;
use regex_automata::{Anchored, MatchKind};
use smallvec::SmallVec;

use crate::origin::{self, HostKind, Origin, TupleOrigin};
use crate::pattern::{self, Allowlist, Error, ErrorKind, Errors, HostSpec, Pattern, PortSpec};

/// The size limit, in bytes, of the DFA compiled from all regex entries together.
pub const REGEX_DFA_SIZE_LIMIT: usize = 16 << 20;
/// The size limit, in bytes, of the working memory used while determinizing the regex DFA.
pub const REGEX_DETERMINIZE_LIMIT: usize = 64 << 20;

/// Identifies an allowlist entry: its 0-based position in the configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RuleId(u32);

impl RuleId {
    /// The entry's 0-based position in the configuration.
    pub fn index(self) -> usize {
        self.0 as usize
    }

    fn new(index: usize) -> RuleId {
        // Allowlists are bounded far below u32::MAX by memory; saturate rather than wrap.
        RuleId(u32::try_from(index).unwrap_or(u32::MAX))
    }
}

type Map<V> = HashMap<Box<[u8]>, V, ahash::RandomState>;

fn keep_first(slot: &mut Option<RuleId>, id: RuleId) {
    if slot.is_none_or(|old| id < old) {
        *slot = Some(id);
    }
}

fn min(a: Option<RuleId>, b: Option<RuleId>) -> Option<RuleId> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

/// A compiled allowlist. Immutable, `Send + Sync`; build it once and share it.
#[derive(Clone, Debug)]
pub struct OriginMatcher {
    exact: Map<RuleId>,
    any: Option<RuleId>,
    any_port: Map<RuleId>,
    any_port_lengths: LengthSet,
    wildcards: Wildcards,
    regexes: Option<Regexes>,
    /// Whether anything beyond the exact map exists (so a miss there needs the grammar).
    needs_parse: bool,
    /// The smallest rule id held outside the exact map.
    first_other: Option<RuleId>,
    rules: Vec<Box<str>>,
}

impl OriginMatcher {
    /// Parses and compiles a list of entries; every invalid entry is reported, whether it fails to
    /// parse or to compile.
    pub fn new<S: AsRef<str>>(entries: &[S]) -> Result<OriginMatcher, Errors> {
        let (list, mut errors) = Allowlist::parse_all(entries);
        match OriginMatcher::from_allowlist(&list) {
            Ok(m) if errors.is_empty() => Ok(m),
            Ok(_) => Err(Errors(errors)),
            Err(Errors(more)) => {
                errors.extend(more);
                errors.sort_by_key(|e| e.index);
                Err(Errors(errors))
            }
        }
    }

    /// Compiles a parsed allowlist. Fails only when the regexes exceed the DFA size limits.
    pub fn from_allowlist(list: &Allowlist) -> Result<OriginMatcher, Errors> {
        let mut m = OriginMatcher {
            exact: Map::default(),
            any: None,
            any_port: Map::default(),
            any_port_lengths: LengthSet::default(),
            wildcards: Wildcards::default(),
            regexes: None,
            needs_parse: false,
            first_other: None,
            rules: vec![Box::from(""); list.config_len()],
        };
        let mut regexes = Vec::new();
        for entry in list.entries() {
            let id = RuleId::new(entry.index);
            m.rules[entry.index] = entry.pattern.to_string().into();
            match &entry.pattern {
                Pattern::Any => keep_first(&mut m.any, id),
                Pattern::Null => {
                    m.exact.entry(Box::from(&b"null"[..])).or_insert(id);
                }
                Pattern::Regex(r) => regexes.push((entry.index, r.source(), id)),
                Pattern::Host(h) => match (&h.host, h.port) {
                    (HostSpec::Exact { host, .. }, PortSpec::Any) => {
                        let key = format!("{}://{}", h.scheme, host);
                        m.any_port_lengths.insert(key.len());
                        m.any_port.entry(key.into_bytes().into()).or_insert(id);
                    }
                    (HostSpec::Exact { .. }, _) => {
                        let key = entry.pattern.to_string();
                        m.exact.entry(key.into_bytes().into()).or_insert(id);
                    }
                    (HostSpec::Subdomains { base }, port) => {
                        m.wildcards.insert(&h.scheme, base, port, id)
                    }
                },
            }
        }
        if !regexes.is_empty() {
            m.regexes = Some(Regexes::build(&regexes)?);
        }
        for id in [
            m.any,
            m.any_port.values().min().copied(),
            m.wildcards.first,
            m.regexes.as_ref().and_then(|r| r.ids.iter().min().copied()),
        ] {
            m.first_other = min(m.first_other, id);
        }
        m.needs_parse = m.first_other.is_some();
        Ok(m)
    }

    /// Whether `origin` (the `Origin` header's bytes) is allowed. Allocation-free.
    ///
    /// A miss needs no grammar check (denial is the default), so the structures are probed with the
    /// origin split on the grammar's delimiters ([`origin::split`]), and a hit validates only what the
    /// structure did not prove: an exact-host key is a canonical `scheme://host`, a wildcard base and
    /// its rule's scheme were validated at build time, so what is left is the port and the labels in
    /// front of the base. A regex proves nothing, and neither does `*`: their hits run the full
    /// grammar. [`OriginMatcher::find`] always runs the full grammar; the tests hold both to the same
    /// answers.
    #[inline]
    pub fn matches(&self, origin: &[u8]) -> bool {
        if origin.len() > origin::MAX_ORIGIN_LEN {
            return false;
        }
        if self.exact.contains_key(origin) {
            return true;
        }
        if !self.needs_parse {
            return false;
        }
        if self.any.is_some() {
            return origin::parse(origin).is_ok();
        }
        let Some(split) = origin::split(origin) else {
            return false;
        };
        // A malformed port makes the origin malformed, whatever matches the rest.
        let Ok(port) = origin::check_port(split.scheme, split.port) else {
            return false;
        };
        if self.any_port_lengths.may_contain(split.without_port.len())
            && self.any_port.contains_key(split.without_port)
        {
            return true;
        }
        match self.wildcards.find_split(&split, port) {
            Probe::Hit => return true,
            Probe::Malformed => return false,
            Probe::Miss => {}
        }
        self.regexes
            .as_ref()
            .is_some_and(|r| r.find(origin).is_some())
            && origin::parse(origin).is_ok()
    }

    /// The first entry, in config order, that allows `origin`. Allocation-free.
    pub fn find(&self, origin: &[u8]) -> Option<RuleId> {
        if origin.len() > origin::MAX_ORIGIN_LEN {
            return None;
        }
        let exact = self.exact.get(origin).copied();
        match (exact, self.first_other) {
            (_, None) => return exact,
            (Some(e), Some(other)) if e < other => return exact,
            _ => {}
        }
        let parsed = origin::parse(origin).ok()?;
        let mut best = min(exact, self.any);
        if let Origin::Tuple(t) = parsed {
            best = min(best, self.any_port.get(t.without_port()).copied());
            best = min(best, self.wildcards.find(&t, false));
            if let Some(r) = &self.regexes {
                best = min(best, r.find(origin));
            }
        }
        best
    }

    /// The normalized text of the entry `id` names (empty for a duplicate that was dropped).
    pub fn rule(&self, id: RuleId) -> &str {
        self.rules.get(id.index()).map_or("", |r| r)
    }

    /// How many entries the configuration had.
    pub fn config_len(&self) -> usize {
        self.rules.len()
    }
}

// A matcher is shared across threads by proxies: keep it `Send + Sync`.
const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<OriginMatcher>();
};

/// The set of key lengths a map holds: a lookup whose length is not in it skips hashing.
#[derive(Clone, Debug, Default)]
struct LengthSet([u64; 4]);

impl LengthSet {
    fn insert(&mut self, len: usize) {
        let n = len.min(255);
        self.0[n / 64] |= 1 << (n % 64);
    }

    /// Whether some key may have this length (lengths from 255 up share one bit).
    #[inline]
    fn may_contain(&self, len: usize) -> bool {
        let n = len.min(255);
        self.0[n / 64] & (1 << (n % 64)) != 0
    }
}

/// The outcome of probing a structure with an unvalidated split.
enum Probe {
    /// A rule matches and the origin is valid.
    Hit,
    /// A rule matches the parts but the origin is malformed: deny.
    Malformed,
    /// No rule matches.
    Miss,
}

/// One subdomain-wildcard rule on a base.
#[derive(Clone, Debug)]
struct WildcardRule {
    scheme: Box<[u8]>,
    port: PortSpec,
    id: RuleId,
}

/// Subdomain wildcards, by base domain.
#[derive(Clone, Debug, Default)]
struct Wildcards {
    by_base: Map<SmallVec<[WildcardRule; 1]>>,
    /// The lengths of the bases.
    lengths: LengthSet,
    first: Option<RuleId>,
}

impl Wildcards {
    fn insert(&mut self, scheme: &str, base: &str, port: PortSpec, id: RuleId) {
        let rules = self.by_base.entry(base.as_bytes().into()).or_default();
        rules.push(WildcardRule {
            scheme: scheme.as_bytes().into(),
            port,
            id,
        });
        rules.sort_by_key(|r| r.id);
        self.lengths.insert(base.len());
        keep_first(&mut self.first, id);
    }

    /// Probes with an unvalidated split (port already validated): the first base found whose rule
    /// accepts the scheme and port, then the labels in front of it are validated.
    #[inline]
    fn find_split(&self, split: &origin::Split<'_>, port: Option<u16>) -> Probe {
        let host = split.host;
        if self.first.is_none() || host.len() > origin::MAX_DOMAIN_LEN {
            return Probe::Miss;
        }
        for dot in memchr::memchr_iter(b'.', host) {
            let base = &host[dot + 1..];
            if base.is_empty() || !self.lengths.may_contain(base.len()) {
                continue;
            }
            let Some(rules) = self.by_base.get(base) else {
                continue;
            };
            if rules
                .iter()
                .any(|r| *r.scheme == *split.scheme && r.port.accepts(port))
            {
                // Scheme and base are valid (they equal validated config); the rest must be labels.
                return if origin::check_labels(&host[..dot]) {
                    Probe::Hit
                } else {
                    Probe::Malformed
                };
            }
        }
        Probe::Miss
    }

    /// The first rule (by id) that matches; with `any_hit`, the first one found.
    #[inline]
    fn find(&self, t: &TupleOrigin<'_>, any_hit: bool) -> Option<RuleId> {
        if self.first.is_none() || t.host_kind() != HostKind::Domain {
            return None;
        }
        let host = t.host();
        let mut best = None;
        // The label before each candidate base is non-empty: the grammar forbids empty labels.
        for (dot, _) in host.iter().enumerate().filter(|(_, &b)| b == b'.') {
            let base = &host[dot + 1..];
            if base.is_empty() || !self.lengths.may_contain(base.len()) {
                continue;
            }
            let Some(rules) = self.by_base.get(base) else {
                continue;
            };
            let hit = rules
                .iter()
                .find(|r| *r.scheme == *t.scheme() && r.port.accepts(t.port()))
                .map(|r| r.id);
            if hit.is_some() && any_hit {
                return hit;
            }
            best = min(best, hit);
        }
        best
    }
}

/// All regex entries, compiled into one anchored multi-pattern dense DFA.
#[derive(Clone, Debug)]
struct Regexes {
    dfa: dense::DFA<Vec<u32>>,
    start: StateID,
    /// Rule id of each DFA pattern.
    ids: Vec<RuleId>,
}

impl Regexes {
    fn builder(limit: usize) -> dense::Builder {
        let mut b = dense::Builder::new();
        b.configure(
            dense::Config::new()
                .match_kind(MatchKind::All)
                .start_kind(StartKind::Anchored)
                .dfa_size_limit(Some(limit))
                .determinize_size_limit(Some(REGEX_DETERMINIZE_LIMIT)),
        )
        .syntax(pattern::regex_syntax_config())
        .thompson(thompson::Config::new().nfa_size_limit(Some(REGEX_DETERMINIZE_LIMIT)));
        b
    }

    fn build(regexes: &[(usize, &str, RuleId)]) -> Result<Regexes, Errors> {
        let sources: Vec<&str> = regexes.iter().map(|r| r.1).collect();
        let dfa = match Self::builder(REGEX_DFA_SIZE_LIMIT).build_many(&sources) {
            Ok(dfa) => dfa,
            Err(_) => return Err(Self::blame(regexes)),
        };
        let start = dfa
            .start_state(&start::Config::new().anchored(Anchored::Yes))
            .map_err(|_| Self::blame(regexes))?;
        Ok(Regexes {
            dfa,
            start,
            ids: regexes.iter().map(|r| r.2).collect(),
        })
    }

    /// The combined DFA failed to build: find the entries that fail on their own, or, if each fits
    /// alone, blame the last one (the set as a whole is too large).
    fn blame(regexes: &[(usize, &str, RuleId)]) -> Errors {
        let alone_too_large = |r: &&(usize, &str, RuleId)| {
            regexes.len() == 1 || Self::builder(REGEX_DFA_SIZE_LIMIT).build(r.1).is_err()
        };
        let mut errors: Vec<Error> = regexes
            .iter()
            .filter(alone_too_large)
            .map(|r| Error {
                index: r.0,
                entry: format!("{}{}", pattern::REGEX_PREFIX, r.1).into(),
                kind: ErrorKind::RegexTooLarge(REGEX_DFA_SIZE_LIMIT),
            })
            .collect();
        if errors.is_empty() {
            if let Some(r) = regexes.last() {
                errors.push(Error {
                    index: r.0,
                    entry: format!("{}{}", pattern::REGEX_PREFIX, r.1).into(),
                    kind: ErrorKind::RegexTooLarge(REGEX_DFA_SIZE_LIMIT),
                });
            }
        }
        Errors(errors)
    }

    /// The smallest rule id among the regexes that match the whole of `origin`.
    #[inline]
    fn find(&self, origin: &[u8]) -> Option<RuleId> {
        let mut state = self.start;
        for &b in origin {
            state = self.dfa.next_state(state, b);
            if self.dfa.is_dead_state(state) {
                return None;
            }
        }
        state = self.dfa.next_eoi_state(state);
        if !self.dfa.is_match_state(state) {
            return None;
        }
        (0..self.dfa.match_len(state))
            .map(|i| self.ids[self.dfa.match_pattern(state, i).as_usize()])
            .min()
    }
}
