//! [`Wildcards`]: the subdomain-wildcard entries (`https://*.example.com[:port|:*]`), as a
//! [`ByteMap`] from base domain to the rules on it.
//!
//! The candidate bases of a host are its suffixes whose length some base has (the map's 256-bit
//! [`LengthSet`] of base lengths, walked longest first) and which follow a `.` with at least one byte
//! in front of it; the labels in front are then validated, non-empty, which is what makes `*.` mean
//! "one or more labels" and never the apex. Walking the length set instead of the host's dots touches
//! one byte per candidate and hashes only suffixes some base could equal.
//!
//! Measured against an anchored Aho-Corasick automaton over reversed `.base` strings walked from the
//! end of the host (`benches/benches/wildcard_structure.rs`), per-label hashing was faster on every
//! hit and near miss, because a typical host has one to three candidate suffixes and the length filter
//! removes most of them, while the automaton must first copy and reverse the host and then touch one
//! transition per byte. The automaton was faster only on hosts under a TLD no base uses, where it
//! fails on the first reversed byte; `benches/RESULTS.md` ("Wildcard structure") gives the numbers
//! of a dated run.
//!
//! A base found proves itself and its rule's scheme (both equal validated config); what is left to
//! check is the port and the labels in front of the base (lowercase for a special scheme, either case
//! for any other), and, for a special scheme with an `xn--` label in front or in the base, IDNA over
//! the whole host ([`origin::idna_accepts`]).
//!
//! [`LengthSet`]: super::length_set::LengthSet

use smallvec::SmallVec;

use super::byte_map::{eq_bytes, ByteMap, Map};
use super::parts::Parts;
use super::{min, RuleId};
use crate::origin::{self, HostKind, TupleOrigin};
use crate::pattern::PortSpec;

/// The rules on one base, in rule order.
pub(super) type OnBase = SmallVec<[WildcardRule; 1]>;

/// The outcome of probing a structure with an unvalidated split.
pub(super) enum Probe {
    /// A rule matches and the origin is valid.
    Hit,
    /// A rule matches the parts but the origin is malformed: deny.
    Malformed,
    /// No rule matches.
    Miss,
}

/// One subdomain-wildcard rule on a base.
#[derive(Clone, Debug)]
pub(super) struct WildcardRule {
    scheme: Box<[u8]>,
    port: PortSpec,
    pub(super) id: RuleId,
    /// Whether the scheme is special: the labels in front of the base must then be lowercase, and
    /// a host with an `xn--` label must pass IDNA as a whole.
    special: bool,
    /// Whether the scheme is special and the base has an `xn--` label: every hit then runs IDNA on
    /// the whole host (the Bidi Rule ties the labels in front to the base's).
    punycode_base: bool,
}

impl WildcardRule {
    /// The rule `id` for `scheme://*.base` with the port rule `port` (scheme and base validated).
    pub(super) fn new(scheme: &str, base: &str, port: PortSpec, id: RuleId) -> WildcardRule {
        let special = origin::is_special(scheme.as_bytes());
        WildcardRule {
            scheme: scheme.as_bytes().into(),
            port,
            id,
            special,
            punycode_base: special && origin::has_punycode_label(base.as_bytes()),
        }
    }
}

/// A [`WildcardRule`] as the lookup reads it: the scheme interned (an index into
/// [`Wildcards::schemes`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Compact {
    pub(super) id: RuleId,
    port: PortSpec,
    scheme: u32,
    special: bool,
    punycode_base: bool,
}

/// The rules on one base, as the value of the base's record in the map: one rule packed whole
/// (the common case: no further memory to read on a hit), or where the base's rules start in
/// [`Wildcards::more`] and how many there are.
///
/// Bit 63 clear, one rule: bits 0–31 its id, 32–33 the port kind (0 the default, 1 any, 2 one
/// port), 34–49 the port, 50–57 the scheme (below 256), 58 `special`, 59 `punycode_base`.
/// Bit 63 set: bits 0–31 the first index in `more`, 32–62 the count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Rules(u64);

const SEVERAL: u64 = 1 << 63;

impl Rules {
    /// One rule packed, if its fields fit.
    fn one(r: Compact) -> Option<Rules> {
        let (kind, port) = match r.port {
            PortSpec::Default => (0, 0),
            PortSpec::Any => (1, 0),
            PortSpec::Port(p) => (2, p),
        };
        (r.scheme < 256).then(|| {
            Rules(
                u64::from(r.id.0)
                    | kind << 32
                    | u64::from(port) << 34
                    | u64::from(r.scheme) << 50
                    | u64::from(r.special) << 58
                    | u64::from(r.punycode_base) << 59,
            )
        })
    }

    /// The one rule packed, or `None` when the rules are in [`Wildcards::more`].
    #[inline(always)]
    fn single(self) -> Option<Compact> {
        let w = self.0;
        if w & SEVERAL != 0 {
            return None;
        }
        let port = match (w >> 32) & 3 {
            0 => PortSpec::Default,
            1 => PortSpec::Any,
            _ => PortSpec::Port((w >> 34) as u16),
        };
        Some(Compact {
            id: RuleId(w as u32),
            port,
            scheme: ((w >> 50) & 0xff) as u32,
            special: w & 1 << 58 != 0,
            punycode_base: w & 1 << 59 != 0,
        })
    }

    /// The range of [`Wildcards::more`] the rules are in (when not [`Rules::single`]).
    fn range(self) -> std::ops::Range<usize> {
        let start = self.0 as u32 as usize;
        start..start + ((self.0 & !SEVERAL) >> 32) as usize
    }
}

impl super::byte_map::Packed for Rules {
    fn pack(self) -> u64 {
        self.0
    }
    fn unpack(word: u64) -> Rules {
        Rules(word)
    }
}

/// Subdomain wildcards, by base domain.
#[derive(Clone, Debug)]
pub(super) struct Wildcards {
    by_base: ByteMap<Rules>,
    /// The schemes of the rules, each once.
    schemes: Box<[Box<[u8]>]>,
    /// The rules of the bases that have several (or whose one rule does not pack), in id order per
    /// base.
    more: Box<[Compact]>,
    first: Option<RuleId>,
}

impl Wildcards {
    /// The structure of the rules `by_base`, the smallest of whose ids is `first`.
    pub(super) fn new(by_base: Map<OnBase>, first: Option<RuleId>) -> Wildcards {
        let mut schemes: Vec<Box<[u8]>> = Vec::new();
        let mut more = Vec::new();
        // In key order, so that `more` does not depend on the build map's iteration order.
        let mut bases: Vec<(Box<[u8]>, OnBase)> = by_base.into_iter().collect();
        bases.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let mut packed: Map<Rules> = Map::default();
        for (base, rules) in bases {
            let compact: SmallVec<[Compact; 1]> = rules
                .iter()
                .map(|r| {
                    let scheme = match schemes.iter().position(|s| *s == r.scheme) {
                        Some(i) => i,
                        None => {
                            schemes.push(r.scheme.clone());
                            schemes.len() - 1
                        }
                    };
                    Compact {
                        id: r.id,
                        port: r.port,
                        // Rules are bounded far below u32::MAX by memory.
                        scheme: u32::try_from(scheme).unwrap_or(u32::MAX),
                        special: r.special,
                        punycode_base: r.punycode_base,
                    }
                })
                .collect();
            let rules = match (&compact[..], compact.first().and_then(|&r| Rules::one(r))) {
                ([_], Some(one)) => one,
                _ => {
                    let start = more.len() as u64;
                    more.extend_from_slice(&compact);
                    Rules(SEVERAL | (compact.len() as u64) << 32 | start)
                }
            };
            packed.insert(base, rules);
        }
        Wildcards {
            by_base: ByteMap::new(packed),
            schemes: schemes.into(),
            more: more.into(),
            first,
        }
    }

    /// The rules on `base`, in id order.
    #[cfg(test)]
    fn rules_on(&self, base: &[u8]) -> Vec<Compact> {
        self.by_base.get(base).map_or_else(Vec::new, |rules| {
            rules
                .single()
                .map_or_else(|| self.more[rules.range()].to_vec(), |r| vec![r])
        })
    }

    /// The first of `rules` (in id order) that accepts `scheme` and `port`.
    #[inline(always)]
    fn accepting(&self, rules: Rules, scheme: &[u8], port: Option<u16>) -> Option<Compact> {
        match rules.single() {
            Some(r) => self.accepts(&r, scheme, port).then_some(r),
            None => self.more_accepting(rules, scheme, port),
        }
    }

    /// Whether the rule `r` accepts `scheme` and `port`.
    #[inline(always)]
    fn accepts(&self, r: &Compact, scheme: &[u8], port: Option<u16>) -> bool {
        r.port.accepts(port)
            && self
                .schemes
                .get(r.scheme as usize)
                .is_some_and(|s| eq_bytes(s, scheme))
    }

    #[inline(never)]
    fn more_accepting(&self, rules: Rules, scheme: &[u8], port: Option<u16>) -> Option<Compact> {
        self.more
            .get(rules.range())
            .and_then(|more| more.iter().copied().find(|r| self.accepts(r, scheme, port)))
    }

    /// The smallest rule id held.
    pub(super) fn first(&self) -> Option<RuleId> {
        self.first
    }

    /// [`Wildcards::find_split`] over the base lengths `low + i` for each bit `i` of `bits`, longest
    /// first.
    #[inline(always)]
    fn probe_lengths(
        &self,
        mut bits: u64,
        low: usize,
        parts: &Parts<'_>,
        port: Option<u16>,
    ) -> Probe {
        let host = parts.host;
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
            if let Some(rule) = self.accepting(rules, parts.scheme, port) {
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
        Probe::Miss
    }

    /// Probes with unvalidated parts (port already validated): the first base found whose rule
    /// accepts the scheme and port, then the labels in front of it are validated.
    ///
    /// The candidate bases are the suffixes of the host whose length some base has and which follow
    /// a `.` with at least one byte in front of it, longest first.
    #[inline(always)]
    pub(super) fn find_split(&self, parts: &Parts<'_>, port: Option<u16>) -> Probe {
        let host = parts.host;
        if self.first.is_none() || host.len() > origin::MAX_DOMAIN_LEN || host.len() < 3 {
            return Probe::Miss;
        }
        // A base of length `len` leaves `host.len() - len - 1 >= 1` bytes of labels in front of its dot:
        // the lengths below `limit` (at most 252), longest first. A host of up to 65 bytes (nearly
        // all) needs the first word of the length set only.
        let limit = host.len() - 1;
        if limit <= 64 {
            let bits = self.by_base.lengths.0[0] & (u64::MAX >> (64 - limit));
            return self.probe_lengths(bits, 0, parts, port);
        }
        for k in (0..=(limit - 1) / 64).rev() {
            let low = k * 64;
            let mut bits = self.by_base.lengths.0[k];
            if limit - low < 64 {
                bits &= (1u64 << (limit - low)) - 1;
            }
            match self.probe_lengths(bits, low, parts, port) {
                Probe::Miss => {}
                found => return found,
            }
        }
        Probe::Miss
    }

    /// The first rule (by id) that matches; with `any_hit`, the first one found.
    #[inline]
    pub(super) fn find(&self, t: &TupleOrigin<'_>, any_hit: bool) -> Option<RuleId> {
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
            let hit = self.accepting(rules, t.scheme(), t.port()).map(|r| r.id);
            if hit.is_some() && any_hit {
                return hit;
            }
            best = min(best, hit);
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::automata::keep_first;
    use crate::origin::Origin;

    /// The structure of `(scheme, base, port, rule id)` rules, filled as the matcher fills it.
    fn wildcards(rules: &[(&str, &str, PortSpec, usize)]) -> Wildcards {
        let mut by_base: Map<OnBase> = Map::default();
        let mut first = None;
        for &(scheme, base, port, id) in rules {
            let id = RuleId::new(id);
            let on_base = by_base.entry(base.as_bytes().into()).or_default();
            on_base.push(WildcardRule::new(scheme, base, port, id));
            on_base.sort_by_key(|r| r.id);
            keep_first(&mut first, id);
        }
        Wildcards::new(by_base, first)
    }

    /// [`Wildcards::find_split`] on `origin`, whose port must be valid.
    fn probe(w: &Wildcards, origin: &str) -> &'static str {
        let parts = Parts::of(origin.as_bytes()).unwrap();
        let port = origin::check_port(parts.scheme, parts.port).unwrap();
        match w.find_split(&parts, port) {
            Probe::Hit => "hit",
            Probe::Malformed => "malformed",
            Probe::Miss => "miss",
        }
    }

    /// [`Wildcards::find`] on `origin`, which must be valid.
    fn find(w: &Wildcards, origin: &str, any_hit: bool) -> Option<usize> {
        match origin::parse(origin.as_bytes()).unwrap() {
            Origin::Tuple(t) => w.find(&t, any_hit).map(RuleId::index),
            Origin::Null => panic!("null"),
        }
    }

    const DEFAULT: PortSpec = PortSpec::Default;

    #[test]
    fn one_or_more_labels_never_the_apex() {
        let w = wildcards(&[("https", "example.com", DEFAULT, 0)]);
        assert_eq!(w.first(), Some(RuleId::new(0)));
        for hit in [
            "https://a.example.com",
            "https://a.b.example.com",
            "https://a-1.example.com",
            "https://a_b.example.com",
        ] {
            assert_eq!(probe(&w, hit), "hit", "{hit}");
            assert_eq!(find(&w, hit, false), Some(0), "{hit}");
        }
        for miss in [
            "https://example.com",
            "https://.example.com",
            "https://aexample.com",
            "https://a.example.co",
            "https://a.example.com.evil.com",
            "https://a.example.org",
            "http://a.example.com",
            "https://a.example.com:8443",
        ] {
            assert_eq!(probe(&w, miss), "miss", "{miss}");
        }
        for miss in ["https://example.com", "https://a.example.com.evil.com"] {
            assert_eq!(find(&w, miss, false), None, "{miss}");
        }
        // The labels in front of a base found: non-empty, and lowercase for a special scheme.
        for malformed in [
            "https://a..example.com",
            "https://..example.com",
            "https://A.example.com",
            "https://a%41.example.com",
        ] {
            assert_eq!(probe(&w, malformed), "malformed", "{malformed}");
        }
    }

    #[test]
    fn an_opaque_host_keeps_its_case() {
        let w = wildcards(&[("capacitor", "example.com", DEFAULT, 0)]);
        assert_eq!(probe(&w, "capacitor://A.example.com"), "hit");
        assert_eq!(find(&w, "capacitor://A.example.com", false), Some(0));
        assert_eq!(probe(&w, "capacitor://A.Example.com"), "miss");
        assert_eq!(probe(&w, "https://a.example.com"), "miss");
    }

    #[test]
    fn port_rules() {
        let w = wildcards(&[
            ("https", "example.com", PortSpec::Port(8443), 0),
            ("http", "example.com", PortSpec::Any, 1),
        ]);
        assert_eq!(probe(&w, "https://a.example.com:8443"), "hit");
        assert_eq!(probe(&w, "https://a.example.com"), "miss");
        assert_eq!(probe(&w, "https://a.example.com:8444"), "miss");
        assert_eq!(probe(&w, "http://a.example.com"), "hit");
        assert_eq!(probe(&w, "http://a.example.com:1"), "hit");
        assert_eq!(find(&w, "https://a.example.com:8443", false), Some(0));
        assert_eq!(find(&w, "http://a.example.com:8443", false), Some(1));
        assert_eq!(find(&w, "https://a.example.com", false), None);
    }

    #[test]
    fn punycode_labels_go_through_idna() {
        let w = wildcards(&[("https", "example.com", DEFAULT, 0)]);
        // `bücher`, as "domain to ASCII" writes it.
        assert_eq!(probe(&w, "https://xn--bcher-kva.example.com"), "hit");
        // Not what "domain to ASCII" returns: invalid punycode.
        assert_eq!(probe(&w, "https://xn--a.example.com"), "malformed");
        let w = wildcards(&[("https", "xn--bcher-kva.example", DEFAULT, 0)]);
        assert!(w.rules_on(b"xn--bcher-kva.example")[0].punycode_base);
        assert_eq!(probe(&w, "https://a.xn--bcher-kva.example"), "hit");
        // A right-to-left base (`א`) subjects the labels in front to the Bidi Rule, which a label
        // starting with a digit breaks, though it has no `xn--` of its own.
        let w = wildcards(&[("https", "xn--4db.example", DEFAULT, 0)]);
        assert_eq!(probe(&w, "https://a.xn--4db.example"), "hit");
        assert_eq!(probe(&w, "https://1a.xn--4db.example"), "malformed");
        // An opaque host is never decoded.
        let w = wildcards(&[("foo", "example.com", DEFAULT, 0)]);
        assert!(!w.rules_on(b"example.com")[0].special);
        assert_eq!(probe(&w, "foo://xn--a.example.com"), "hit");
    }

    #[test]
    fn find_reports_the_first_rule_in_config_order() {
        let w = wildcards(&[
            ("https", "b.example.com", DEFAULT, 4),
            ("https", "example.com", DEFAULT, 1),
            ("https", "example.com", PortSpec::Any, 7),
        ]);
        assert_eq!(w.first(), Some(RuleId::new(1)));
        assert_eq!(find(&w, "https://a.b.example.com", false), Some(1));
        // With `any_hit`, the first base found from the left: the longest.
        assert_eq!(find(&w, "https://a.b.example.com", true), Some(4));
        assert_eq!(find(&w, "https://a.b.example.com:8443", false), Some(7));
        assert_eq!(probe(&w, "https://a.b.example.com"), "hit");
        // The rules on one base are in id order.
        let ids: Vec<usize> = w
            .rules_on(b"example.com")
            .iter()
            .map(|r| r.id.index())
            .collect();
        assert_eq!(ids, [1, 7]);
    }

    #[test]
    fn long_bases() {
        // Base lengths in the second and the fourth word of the length set.
        let long = format!("{}.example.com", "b".repeat(60));
        let longer = format!("{0}.{0}.{0}.example.com", "c".repeat(60));
        let w = wildcards(&[("https", &long, DEFAULT, 0), ("https", &longer, DEFAULT, 1)]);
        assert_eq!(probe(&w, &format!("https://a.{long}")), "hit");
        assert_eq!(
            probe(&w, &format!("https://{}.{long}", "a".repeat(63))),
            "hit"
        );
        assert_eq!(
            probe(&w, &format!("https://{}.{long}", "a".repeat(64))),
            "malformed"
        );
        assert_eq!(probe(&w, &format!("https://a.{longer}")), "hit");
        assert_eq!(find(&w, &format!("https://a.{longer}"), false), Some(1));
        assert_eq!(probe(&w, &format!("https://a{longer}")), "miss");
        // Longer than a domain may be.
        let too_long = format!("https://{}.{}.{longer}", "a".repeat(30), "a".repeat(30));
        assert!(too_long.len() - "https://".len() > origin::MAX_DOMAIN_LEN);
        assert_eq!(probe(&w, &too_long), "miss");
    }

    #[test]
    fn no_rules_no_hits() {
        let w = wildcards(&[]);
        assert_eq!(w.first(), None);
        assert_eq!(probe(&w, "https://a.example.com"), "miss");
        assert_eq!(find(&w, "https://a.example.com", false), None);
    }
}
