//! The compiled allowlist: [`OriginMatcher`].
//!
//! An allowlist is split by entry kind into structures whose lookup cost does not depend on how many
//! entries they hold:
//!
//! * **Exact origins** (and `null`) live in one `ByteMap` keyed by their canonical serialization.
//!   Because every key is already a valid serialized origin, a request whose bytes equal a key is
//!   well formed: an exact hit costs one hash of the origin and one comparison, and needs no grammar
//!   check. Only a miss goes on to the structures below.
//! * **Exact host, any port** (`http://localhost:*`): a `ByteMap` keyed by `scheme://host`, which is a
//!   prefix of the request's own bytes, so the lookup hashes a borrowed slice.
//! * **Subdomain wildcards** (`https://*.example.com[:port|:*]`): a `ByteMap` from base domain to the
//!   rules on it. The candidate bases are the suffixes of the host whose length some base has (a
//!   256-bit set of the base lengths, walked longest first) and which follow a `.` with at least one
//!   byte in front of it; the labels in front are then validated, non-empty, which is what makes `*.`
//!   mean "one or more labels" and never the apex. Walking the length set instead of the host's dots
//!   touches one byte per candidate and hashes only suffixes some base could equal. Measured against an
//!   anchored Aho-Corasick automaton over reversed `.base` strings walked from the end of the host
//!   (`benches/benches/wildcard_structure.rs`), per-label hashing was faster on every hit and near
//!   miss, because a typical host has one to three candidate suffixes and the length filter removes
//!   most of them, while the automaton must first copy and reverse the host and then touch one
//!   transition per byte. The automaton was faster only on hosts under a TLD no base uses, where it
//!   fails on the first reversed byte; the README ("How it matches") gives the numbers of one run.
//! * **Regexes**: all of them in one multi-pattern dense DFA (`regex-automata`), built with an anchored
//!   start, `MatchKind::All` and Unicode off, under explicit size limits. The DFA is walked over the
//!   whole origin from its anchored start state and then fed the end-of-input transition; a match state
//!   there means a pattern matched the **whole** origin. A leftmost-first search would stop at the first
//!   match and could report a match of a prefix only, which is how "unanchored regex" bypasses happen.
//! * `*`: a flag.
//!
//! `ByteMap` is this module's own immutable open-addressing table rather than `HashMap`, because the
//! keys are short and a wildcard hit looks up two of them (the whole origin in the exact map, then the
//! base): a seeded multiply-fold hash that takes two words per multiplication, a comparison a word at a
//! time instead of a `memcmp` call, the high hash bits stored beside each index so a probe rarely
//! touches a key, a load of at most 1/4 so a miss usually stops at its first cell, and a length set
//! that answers most misses without hashing. The probe count is bounded by the longest displacement
//! measured at build time; lookups never insert, so a request can neither grow a chain nor walk
//! further than that. Under callgrind this took a wildcard hit from about 600 to about 400
//! instructions and left an exact hit where it was (about the cost of a bare `ahash` set lookup of
//! the same bytes).
//!
//! `matches` does not run the grammar on a miss (denial is the default): it cuts the origin on the
//! grammar's delimiters without validating it (`Parts`), probes with the parts, and a hit validates
//! only what its structure did not prove. An exact key proves everything; an exact-host key proves
//! `scheme://host`, leaving the port; a wildcard base proves itself and its rule's scheme, leaving the
//! port and the labels in front of the base (lowercase for a special scheme, either case for any
//! other), and, for a special scheme with an `xn--` label in front or in the base, IDNA over the
//! whole host ([`crate::origin::idna_accepts`]). A regex or `*` proves nothing: their hits run the
//! full grammar ([`crate::origin::parse`]).
//!
//! `find` returns the first matching entry in config order: every structure remembers the smallest
//! rule id it holds, so a hit in the exact map is final unless an earlier entry of another kind could
//! also match. It always runs the full grammar; the tests hold `matches` and `find` to the same
//! answers.
//!
//! Neither `matches` nor `find` allocates.

use crate::words::{half, word};
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
    exact: ByteMap<RuleId>,
    any: Option<RuleId>,
    any_port: ByteMap<RuleId>,
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
        let mut rules = vec![Box::from(""); list.config_len()];
        let mut exact: Map<RuleId> = Map::default();
        let mut any = None;
        let mut any_port: Map<RuleId> = Map::default();
        let mut wildcards: Map<SmallVec<[WildcardRule; 1]>> = Map::default();
        let mut wildcards_first = None;
        let mut regexes = Vec::new();
        for entry in list.entries() {
            let id = RuleId::new(entry.index);
            rules[entry.index] = entry.pattern.to_string().into();
            match &entry.pattern {
                Pattern::Any => keep_first(&mut any, id),
                Pattern::Null => {
                    exact.entry(Box::from(&b"null"[..])).or_insert(id);
                }
                Pattern::Regex(r) => regexes.push((entry.index, r.source(), id)),
                Pattern::Host(h) => match (&h.host, h.port) {
                    (HostSpec::Exact { host, .. }, PortSpec::Any) => {
                        let key = format!("{}://{}", h.scheme, host);
                        any_port.entry(key.into_bytes().into()).or_insert(id);
                    }
                    (HostSpec::Exact { .. }, _) => {
                        let key = entry.pattern.to_string();
                        exact.entry(key.into_bytes().into()).or_insert(id);
                    }
                    (HostSpec::Subdomains { base }, port) => {
                        let on_base = wildcards.entry(base.as_bytes().into()).or_default();
                        let special = origin::is_special(h.scheme.as_bytes());
                        on_base.push(WildcardRule {
                            scheme: h.scheme.as_bytes().into(),
                            port,
                            id,
                            special,
                            punycode_base: special && origin::has_punycode_label(base.as_bytes()),
                        });
                        on_base.sort_by_key(|r| r.id);
                        keep_first(&mut wildcards_first, id);
                    }
                },
            }
        }
        let mut m = OriginMatcher {
            exact: ByteMap::new(exact),
            any,
            any_port: ByteMap::new(any_port),
            wildcards: Wildcards {
                by_base: ByteMap::new(wildcards),
                first: wildcards_first,
            },
            regexes: None,
            needs_parse: false,
            first_other: None,
            rules,
        };
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
    /// origin cut on the grammar's delimiters (`Parts`), and a hit validates only what the structure
    /// did not prove: an exact-host key is a canonical `scheme://host`, a wildcard base and its rule's
    /// scheme were validated at build time, so what is left is the port and the labels in front of
    /// the base. A regex proves nothing, and neither does `*`: their hits run the full grammar.
    /// [`OriginMatcher::find`] always runs the full grammar; the tests hold both to the same answers.
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
        let Some(parts) = Parts::of(origin) else {
            return false;
        };
        // A malformed port makes the origin malformed, whatever matches the rest.
        let Ok(port) = origin::check_port(parts.scheme, parts.port) else {
            return false;
        };
        if self.any_port.contains_key(parts.without_port) {
            return true;
        }
        match self.wildcards.find_split(&parts, port) {
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

    /// The DFA of every regex entry together, and the rule of each of its patterns (for the policy's
    /// checks of what the regexes admit, [`crate::scope::language`]).
    pub(crate) fn regex_automaton(&self) -> Option<(dense::DFA<&[u32]>, &[RuleId])> {
        self.regexes.as_ref().map(Regexes::parts)
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

/// An origin cut on the grammar's delimiters **without** validating it, for the probes of
/// [`OriginMatcher::matches`]: the scheme ends at the first `:`, which `//` must follow; the port is
/// the one to five digits after the last `:`, if the origin ends so; the host is what lies between.
///
/// For a valid origin these are exactly the parts [`origin::parse`] finds: in a valid origin a `:`
/// after the scheme's is the port's, or one inside IPv6 brackets, which a `]` follows; and a valid port
/// has at most five digits. For an invalid origin the parts may differ from [`origin::split`]'s, which
/// is harmless: every probe that hits re-validates each part it did not prove (see the module docs).
#[derive(Clone, Copy, Debug)]
struct Parts<'a> {
    scheme: &'a [u8],
    host: &'a [u8],
    /// `scheme://host`.
    without_port: &'a [u8],
    port: Option<&'a [u8]>,
}

impl<'a> Parts<'a> {
    #[inline]
    fn of(origin: &'a [u8]) -> Option<Parts<'a>> {
        let colon = if origin.starts_with(b"https://") {
            5
        } else if origin.starts_with(b"http://") {
            4
        } else {
            let head = &origin[..origin.len().min(origin::MAX_SCHEME_LEN + 1)];
            let colon = head.iter().position(|&b| b == b':')?;
            if origin.get(colon + 1..colon + 3) != Some(b"//") {
                return None;
            }
            colon
        };
        let start = colon + 3;
        let mut end = origin.len();
        while end > start && origin.len() - end < 5 && origin[end - 1].is_ascii_digit() {
            end -= 1;
        }
        let (host_end, port) = if end > start && origin[end - 1] == b':' {
            (end - 1, Some(&origin[end..]))
        } else {
            (origin.len(), None)
        };
        Some(Parts {
            scheme: &origin[..colon],
            host: &origin[start..host_end],
            without_port: &origin[..host_end],
            port,
        })
    }
}

/// Byte-string equality a word at a time (the keys are short: a call to `memcmp` costs more).
#[inline(always)]
fn eq_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if n >= 8 {
        let mut at = 0;
        while at + 8 < n {
            if word(a, at) != word(b, at) {
                return false;
            }
            at += 8;
        }
        word(a, n - 8) == word(b, n - 8)
    } else if n >= 4 {
        half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4)
    } else {
        a == b
    }
}

/// The high and low halves of a 128-bit product, folded.
#[inline(always)]
fn fold(a: u64, b: u64) -> u64 {
    let full = u128::from(a) * u128::from(b);
    (full as u64) ^ ((full >> 64) as u64)
}

/// A seeded multiply-fold hash of short byte strings, a word at a time.
#[derive(Clone, Debug)]
struct KeyHasher([u64; 4]);

impl KeyHasher {
    /// Seeds from the process's random source (through `ahash`), so that which keys share a probe
    /// sequence differs between processes.
    fn random() -> KeyHasher {
        let state = ahash::RandomState::new();
        KeyHasher([0u64, 1, 2, 3].map(|i| state.hash_one(i) | 1))
    }

    /// Two words per multiplication (as wyhash does): the words are XORed with a seed and the
    /// running state, multiplied into 128 bits and folded.
    #[inline(always)]
    fn hash(&self, b: &[u8]) -> u64 {
        let [s0, s1, s2, s3] = self.0;
        let n = b.len();
        let mut h = s0 ^ n as u64;
        if n > 16 {
            let mut at = 0;
            while at + 16 < n {
                h = fold(word(b, at) ^ s1, word(b, at + 8) ^ h);
                at += 16;
            }
            h = fold(word(b, n - 16) ^ s2, word(b, n - 8) ^ h);
        } else if n >= 8 {
            h = fold(word(b, 0) ^ s2, word(b, n - 8) ^ h);
        } else if n >= 4 {
            h = fold(half(b, 0) ^ s2, half(b, n - 4) ^ h);
        } else if n > 0 {
            let x = u64::from(b[0]) | u64::from(b[n / 2]) << 8 | u64::from(b[n - 1]) << 16;
            h = fold(x ^ s2, h);
        }
        fold(h ^ s3, s1)
    }
}

/// One key of a [`ByteMap`].
#[derive(Clone, Debug)]
struct Slot<V> {
    key: Box<[u8]>,
    value: V,
}

/// An immutable hash map from byte strings to values, built once from a `HashMap`: open addressing
/// with linear probing at a load of at most 1/4, a seeded [`KeyHasher`], and a [`LengthSet`] of the
/// key lengths that answers most misses before any hashing. Each table cell holds the high 32 bits of
/// its key's hash beside the key's index, so a probe compares key bytes only when 32 more bits of hash
/// agree. A lookup probes at most as many cells as the key placed farthest from its home cell
/// (measured when the map is built), so no request can make a lookup walk a long cluster.
#[derive(Clone, Debug)]
struct ByteMap<V> {
    hasher: KeyHasher,
    /// 0 for an empty cell, else the hash's high 32 bits above 1 + the index in `slots`.
    table: Box<[u64]>,
    slots: Vec<Slot<V>>,
    /// The most cells a lookup probes.
    max_probe: usize,
    /// The lengths of the keys.
    lengths: LengthSet,
}

impl<V> ByteMap<V> {
    fn new(map: Map<V>) -> ByteMap<V> {
        let hasher = KeyHasher::random();
        let mut lengths = LengthSet::default();
        let slots: Vec<Slot<V>> = map
            .into_iter()
            .map(|(key, value)| {
                lengths.insert(key.len());
                Slot { key, value }
            })
            .collect();
        let size = (slots.len() * 4).next_power_of_two().max(8);
        let mask = size - 1;
        let mut table = vec![0u64; size].into_boxed_slice();
        let mut max_probe = 1;
        for (index, slot) in slots.iter().enumerate() {
            let hash = hasher.hash(&slot.key);
            let mut at = hash as usize & mask;
            let mut probes = 1;
            while table[at] != 0 {
                at = (at + 1) & mask;
                probes += 1;
            }
            // Allowlists are bounded far below u32::MAX entries by memory.
            let index = u32::try_from(index + 1).unwrap_or(u32::MAX);
            table[at] = hash & !0xffff_ffff | u64::from(index);
            max_probe = max_probe.max(probes);
        }
        ByteMap {
            hasher,
            table,
            slots,
            max_probe,
            lengths,
        }
    }

    /// The value of `key`.
    #[inline(always)]
    fn get(&self, key: &[u8]) -> Option<&V> {
        if !self.lengths.may_contain(key.len()) {
            return None;
        }
        self.get_unfiltered(key)
    }

    /// The value of `key`, without looking at the length set first.
    #[inline(always)]
    fn get_unfiltered(&self, key: &[u8]) -> Option<&V> {
        let hash = self.hasher.hash(key);
        let tag = hash & !0xffff_ffff;
        let mask = self.table.len() - 1;
        let mut at = hash as usize & mask;
        for _ in 0..self.max_probe {
            let cell = self.table[at];
            if cell == 0 {
                return None;
            }
            if cell & !0xffff_ffff == tag {
                let slot = self.slots.get((cell as u32 as usize).wrapping_sub(1))?;
                if eq_bytes(&slot.key, key) {
                    return Some(&slot.value);
                }
            }
            at = (at + 1) & mask;
        }
        None
    }

    /// [`ByteMap::get_unfiltered`], not inlined: for a probe inside a loop, where the inlined table
    /// fields would stay live in registers (and spill) across the whole loop.
    #[inline(never)]
    fn get_outlined(&self, key: &[u8]) -> Option<&V> {
        self.get_unfiltered(key)
    }

    #[inline]
    fn contains_key(&self, key: &[u8]) -> bool {
        self.get(key).is_some()
    }

    fn values(&self) -> impl Iterator<Item = &V> {
        self.slots.iter().map(|s| &s.value)
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
    /// Whether the scheme is special: the labels in front of the base must then be lowercase, and
    /// a host with an `xn--` label must pass IDNA as a whole.
    special: bool,
    /// Whether the scheme is special and the base has an `xn--` label: every hit then runs IDNA on
    /// the whole host (the Bidi Rule ties the labels in front to the base's).
    punycode_base: bool,
}

/// Subdomain wildcards, by base domain.
#[derive(Clone, Debug)]
struct Wildcards {
    by_base: ByteMap<SmallVec<[WildcardRule; 1]>>,
    first: Option<RuleId>,
}

impl Wildcards {
    /// Probes with unvalidated parts (port already validated): the first base found whose rule
    /// accepts the scheme and port, then the labels in front of it are validated.
    ///
    /// The candidate bases are the suffixes of the host whose length some base has and which follow
    /// a `.` with at least one byte in front of it, longest first.
    #[inline]
    fn find_split(&self, parts: &Parts<'_>, port: Option<u16>) -> Probe {
        let host = parts.host;
        if self.first.is_none() || host.len() > origin::MAX_DOMAIN_LEN || host.len() < 3 {
            return Probe::Miss;
        }
        // A base of length `len` leaves `host.len() - len - 1 >= 1` bytes of labels in front of its dot:
        // the lengths below `limit` (at most 252), longest first.
        let limit = host.len() - 1;
        for k in (0..=(limit - 1) / 64).rev() {
            let low = k * 64;
            let mut bits = self.by_base.lengths.0[k];
            if limit - low < 64 {
                bits &= (1u64 << (limit - low)) - 1;
            }
            while bits != 0 {
                let bit = 63 - bits.leading_zeros() as usize;
                bits ^= 1u64 << bit;
                let dot = host.len() - (low + bit) - 1;
                if host[dot] != b'.' {
                    continue;
                }
                let Some(rules) = self.by_base.get_outlined(&host[dot + 1..]) else {
                    continue;
                };
                if let Some(rule) = rules
                    .iter()
                    .find(|r| eq_bytes(&r.scheme, parts.scheme) && r.port.accepts(port))
                {
                    // Scheme and base are valid (they equal validated config); the rest must be
                    // labels, and a host of a special scheme with an `xn--` label anywhere must be
                    // what "domain to ASCII" (URL standard §3.3) returns unchanged.
                    return match origin::check_labels(&host[..dot], rule.special) {
                        origin::Labels::Valid if !rule.punycode_base => Probe::Hit,
                        origin::Labels::Malformed => Probe::Malformed,
                        _ if origin::idna_accepts(host) => Probe::Hit,
                        _ => Probe::Malformed,
                    };
                }
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

/// The builder of every regex DFA: anchored, all matches (so a match state at the end of the input
/// lists every pattern that matched the whole of it), the regex syntax of [`pattern`], the NFA and
/// determinization limits, and a DFA limit of `limit` bytes. `reverse` builds the DFA of the reversed
/// language (for [`crate::scope::language`]).
pub(crate) fn regex_builder(limit: usize, reverse: bool) -> dense::Builder {
    let mut b = dense::Builder::new();
    b.configure(
        dense::Config::new()
            .match_kind(MatchKind::All)
            .start_kind(StartKind::Anchored)
            .dfa_size_limit(Some(limit))
            .determinize_size_limit(Some(REGEX_DETERMINIZE_LIMIT)),
    )
    .syntax(pattern::regex_syntax_config())
    .thompson(
        thompson::Config::new()
            .reverse(reverse)
            .nfa_size_limit(Some(REGEX_DETERMINIZE_LIMIT)),
    );
    b
}

/// Whether a DFA build failed because its NFA exceeded a size limit.
fn is_nfa_size_error(e: &dense::BuildError) -> bool {
    use std::error::Error as _;
    e.source()
        .and_then(|s| s.downcast_ref::<thompson::BuildError>())
        .is_some_and(|n| n.size_limit().is_some())
}

/// An error and its sources, on one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
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
        regex_builder(limit, false)
    }

    fn build(regexes: &[(usize, &str, RuleId)]) -> Result<Regexes, Errors> {
        let sources: Vec<&str> = regexes.iter().map(|r| r.1).collect();
        let dfa = match Self::builder(REGEX_DFA_SIZE_LIMIT).build_many(&sources) {
            Ok(dfa) => dfa,
            Err(e) => return Err(Self::blame(regexes, &e)),
        };
        let start = dfa
            .start_state(&start::Config::new().anchored(Anchored::Yes))
            .map_err(|_| Self::unsupported(regexes, "no anchored start state"))?;
        Ok(Regexes {
            dfa,
            start,
            ids: regexes.iter().map(|r| r.2).collect(),
        })
    }

    fn error(r: &(usize, &str, RuleId), kind: ErrorKind) -> Error {
        Error {
            index: r.0,
            entry: format!("{}{}", pattern::REGEX_PREFIX, r.1).into(),
            kind,
        }
    }

    fn unsupported(regexes: &[(usize, &str, RuleId)], why: &str) -> Errors {
        Errors(
            regexes
                .iter()
                .map(|r| Self::error(r, ErrorKind::RegexUnsupported(why.into())))
                .collect(),
        )
    }

    /// The combined DFA failed to build. A failure that is not about size (a feature DFAs do not
    /// support) is reported on every entry, which cannot happen for entries the pattern layer
    /// accepted. A size failure is blamed by building the entries alone, smallest NFA first, while
    /// their sizes add up to less than [`REGEX_DFA_SIZE_LIMIT`], so that blaming costs about one more
    /// full compile however many entries there are:
    ///
    /// * an entry whose DFA exceeds the limit on its own is `regex-too-large`; when there are such
    ///   entries, they alone are reported;
    /// * otherwise every entry contributes: each is `regex-set-too-large`, with its own DFA size
    ///   where it was measured within the budget.
    ///
    /// An entry too large alone that comes after the budget is spent is reported with the set; the
    /// entries are tried smallest NFA first, so the budget goes to the entries most likely to fit.
    fn blame(regexes: &[(usize, &str, RuleId)], combined: &dense::BuildError) -> Errors {
        if !combined.is_size_limit_exceeded() && !is_nfa_size_error(combined) {
            return Self::unsupported(regexes, &error_chain(combined));
        }
        if regexes.len() == 1 {
            return Errors(vec![Self::error(
                &regexes[0],
                ErrorKind::RegexTooLarge(REGEX_DFA_SIZE_LIMIT),
            )]);
        }
        let mut order: Vec<(usize, usize)> = regexes
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let nfa = thompson::NFA::compiler()
                    .syntax(pattern::regex_syntax_config())
                    .configure(
                        thompson::Config::new().nfa_size_limit(Some(REGEX_DETERMINIZE_LIMIT)),
                    )
                    .build(r.1)
                    .map_or(usize::MAX, |n| n.memory_usage());
                (nfa, i)
            })
            .collect();
        order.sort_unstable();
        // Each entry alone gets the full limit while the sizes measured so far stay under it: at
        // most about two limits' worth of determinization in all, however many entries there are.
        let mut spent = 0usize;
        let mut alone: Vec<Option<usize>> = vec![None; regexes.len()];
        let mut too_large = Vec::new();
        for &(_, i) in &order {
            if spent >= REGEX_DFA_SIZE_LIMIT {
                break;
            }
            match Self::builder(REGEX_DFA_SIZE_LIMIT).build(regexes[i].1) {
                Ok(dfa) => {
                    let size = dfa.memory_usage();
                    alone[i] = Some(size);
                    spent += size;
                }
                Err(_) => {
                    too_large.push(i);
                    spent += REGEX_DFA_SIZE_LIMIT;
                }
            }
        }
        let errors = if too_large.is_empty() {
            regexes
                .iter()
                .zip(&alone)
                .map(|(r, &size)| {
                    Self::error(
                        r,
                        ErrorKind::RegexSetTooLarge {
                            limit: REGEX_DFA_SIZE_LIMIT,
                            alone: size,
                            entries: regexes.len(),
                        },
                    )
                })
                .collect()
        } else {
            too_large.sort_unstable();
            too_large
                .iter()
                .map(|&i| Self::error(&regexes[i], ErrorKind::RegexTooLarge(REGEX_DFA_SIZE_LIMIT)))
                .collect()
        };
        Errors(errors)
    }

    /// The combined DFA, its anchored start state, and the rule of each of its patterns.
    fn parts(&self) -> (dense::DFA<&[u32]>, &[RuleId]) {
        (self.dfa.as_ref(), &self.ids)
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
