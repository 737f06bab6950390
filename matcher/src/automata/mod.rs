//! The compiled allowlist: [`OriginMatcher`].
//!
//! An allowlist is split by entry kind into structures whose lookup cost does not depend on how many
//! entries they hold, one per file of this module:
//!
//! * **Exact origins** (and `null`) live in one `ByteMap` (`byte_map.rs`) keyed by their canonical
//!   serialization. Because every key is already a valid serialized origin, a request whose bytes
//!   equal a key is well formed: an exact hit costs one hash of the origin and one comparison, and
//!   needs no grammar check. Only a miss goes on to the structures below.
//! * **Exact host, any port** (`http://localhost:*`): a `ByteMap` keyed by `scheme://host`, which is a
//!   prefix of the request's own bytes, so the lookup hashes a borrowed slice.
//! * **Subdomain wildcards** (`https://*.example.com[:port|:*]`): `Wildcards` (`wildcards.rs`), a
//!   `ByteMap` from base domain to the rules on it, probed with the suffixes of the host whose length
//!   some base has (`LengthSet`, `length_set.rs`). That file explains why this beat an anchored
//!   Aho-Corasick automaton over reversed bases.
//! * **Regexes**: `Regexes` (`regexes.rs`), all of them in one anchored multi-pattern dense DFA, walked
//!   over the whole origin and then fed the end-of-input transition, so that only a match of the
//!   **whole** origin counts.
//! * `*`: a flag.
//!
//! `matches` does not run the grammar on a miss (denial is the default): it cuts the origin on the
//! grammar's delimiters without validating it (`Parts`, `parts.rs`), probes with the parts, and a hit
//! validates only what its structure did not prove. An exact key proves everything; an exact-host key
//! proves `scheme://host`, leaving the port; a wildcard base proves itself and its rule's scheme,
//! leaving the port and the labels in front of the base (lowercase for a special scheme, either case
//! for any other), and, for a special scheme with an `xn--` label in front or in the base, IDNA over
//! the whole host ([`crate::origin::idna_accepts`]). A regex or `*` proves nothing: their hits run the
//! full grammar ([`crate::origin::parse`]).
//!
//! `find` returns the first matching entry in config order: every structure remembers the smallest
//! rule id it holds, so a hit in the exact map is final unless an earlier entry of another kind could
//! also match. It always runs the full grammar; the tests hold `matches` and `find` to the same
//! answers.
//!
//! Neither `matches` nor `find` allocates.

mod byte_map;
mod length_set;
mod parts;
mod regexes;
mod shape;
mod wildcards;

use regex_automata::dfa::dense;

use crate::origin::{self, Origin};
use crate::pattern::{Allowlist, HostSpec, Pattern, PatternErrors, PortSpec};
use byte_map::{ByteMap, Map};
use parts::Parts;
pub(crate) use regexes::regex_builder;
pub use regexes::REGEX_DFA_SIZE_LIMIT;
use regexes::{Hit, Regexes};
use wildcards::{OnBase, Probe, WildcardRule, Wildcards};

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

impl byte_map::Packed for RuleId {
    fn pack(self) -> u64 {
        u64::from(self.0)
    }
    fn unpack(word: u64) -> RuleId {
        RuleId(word as u32)
    }
}

/// Keeps in `slot` the smaller of its id and `id`.
fn keep_first(slot: &mut Option<RuleId>, id: RuleId) {
    if slot.is_none_or(|old| id < old) {
        *slot = Some(id);
    }
}

/// The smaller of two ids, either of which may be missing.
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
    pub fn new<S: AsRef<str>>(entries: &[S]) -> Result<OriginMatcher, PatternErrors> {
        let (list, mut errors) = Allowlist::parse_all(entries);
        match OriginMatcher::from_allowlist(&list) {
            Ok(m) if errors.is_empty() => Ok(m),
            Ok(_) => Err(PatternErrors(errors)),
            Err(PatternErrors(more)) => {
                errors.extend(more);
                errors.sort_by_key(|e| e.index);
                Err(PatternErrors(errors))
            }
        }
    }

    /// Compiles a parsed allowlist. Fails only when the regexes exceed the DFA size limits.
    pub fn from_allowlist(list: &Allowlist) -> Result<OriginMatcher, PatternErrors> {
        let mut rules = vec![Box::from(""); list.config_len()];
        let mut exact: Map<RuleId> = Map::default();
        let mut any = None;
        let mut any_port: Map<RuleId> = Map::default();
        let mut wildcards: Map<OnBase> = Map::default();
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
                        on_base.push(WildcardRule::new(&h.scheme, base, port, id));
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
            wildcards: Wildcards::new(wildcards, wildcards_first),
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
            m.any_port.values().min(),
            m.wildcards.first(),
            m.regexes.as_ref().and_then(Regexes::first),
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
    #[must_use]
    pub fn matches(&self, origin: &[u8]) -> bool {
        if origin.len() > origin::MAX_ORIGIN_LEN {
            return false;
        }
        if self.exact.contains_key(origin) {
            return true;
        }
        self.needs_parse && self.matches_beyond_exact(origin)
    }

    /// [`OriginMatcher::matches`] past a miss in the exact map, out of line: an exact hit stays a
    /// short inlined path.
    #[inline(never)]
    fn matches_beyond_exact(&self, origin: &[u8]) -> bool {
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
        // What the DFA's language proves is not checked again (`shape.rs`); otherwise the grammar
        // decides, by its short road for the usual shape (`origin::is_valid_cut`).
        match self.regexes.as_ref().map(|r| r.hit(origin)) {
            None | Some(Hit::None) => false,
            Some(Hit::Proven) => shape::short_enough(parts.host),
            Some(Hit::Unproven) => origin::is_valid_cut(origin, parts.scheme, parts.host),
        }
    }

    /// The first entry, in config order, that allows `origin`. Allocation-free.
    #[must_use]
    pub fn find(&self, origin: &[u8]) -> Option<RuleId> {
        if origin.len() > origin::MAX_ORIGIN_LEN {
            return None;
        }
        let exact = self.exact.get(origin);
        match (exact, self.first_other) {
            (_, None) => return exact,
            (Some(e), Some(other)) if e < other => return exact,
            _ => {}
        }
        let parsed = origin::parse(origin).ok()?;
        let mut best = min(exact, self.any);
        if let Origin::Tuple(t) = parsed {
            best = min(best, self.any_port.get(t.without_port()));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_ids() {
        assert_eq!(RuleId::new(0).index(), 0);
        assert_eq!(RuleId::new(7).index(), 7);
        assert!(RuleId::new(2) < RuleId::new(10));
        // Saturates rather than wraps.
        let big = u32::MAX as usize;
        assert_eq!(RuleId::new(big).index(), big);
        assert_eq!(RuleId::new(big + 5).index(), big);
    }

    #[test]
    fn smallest_ids() {
        let id = RuleId::new;
        assert_eq!(min(None, None), None);
        assert_eq!(min(Some(id(3)), None), Some(id(3)));
        assert_eq!(min(None, Some(id(3))), Some(id(3)));
        assert_eq!(min(Some(id(3)), Some(id(1))), Some(id(1)));
        let mut slot = None;
        for (i, expected) in [(5, 5), (9, 5), (2, 2), (4, 2)] {
            keep_first(&mut slot, id(i));
            assert_eq!(slot, Some(id(expected)));
        }
    }

    #[test]
    fn each_kind_goes_to_its_structure() {
        let m = OriginMatcher::new(&[
            "https://example.com",
            "null",
            "http://localhost:*",
            "https://*.example.org",
            "regex:^https://pr-[0-9]+\\.example\\.dev$",
        ])
        .unwrap();
        assert!(m.exact.contains_key(b"https://example.com"));
        assert!(m.exact.contains_key(b"null"));
        assert!(m.any_port.contains_key(b"http://localhost"));
        assert_eq!(m.wildcards.first(), Some(RuleId::new(3)));
        assert_eq!(
            m.regexes.as_ref().and_then(Regexes::first),
            Some(RuleId::new(4))
        );
        assert_eq!(m.any, None);
        assert_eq!(m.first_other, Some(RuleId::new(2)));
        assert!(m.needs_parse);
        assert_eq!(m.config_len(), 5);
        assert_eq!(m.rule(RuleId::new(3)), "https://*.example.org");
        for (origin, rule) in [
            ("https://example.com", Some(0)),
            ("null", Some(1)),
            ("http://localhost:3000", Some(2)),
            ("http://localhost", Some(2)),
            ("https://a.example.org", Some(3)),
            ("https://pr-12.example.dev", Some(4)),
            ("https://example.org", None),
            ("https://pr-x.example.dev", None),
        ] {
            assert_eq!(
                m.find(origin.as_bytes()).map(RuleId::index),
                rule,
                "{origin}"
            );
            assert_eq!(m.matches(origin.as_bytes()), rule.is_some(), "{origin}");
        }
    }

    #[test]
    fn exact_entries_alone_need_no_grammar() {
        let m = OriginMatcher::new(&["https://example.com", "https://example.org"]).unwrap();
        assert!(!m.needs_parse);
        assert_eq!(m.first_other, None);
        assert!(m.matches(b"https://example.org"));
        assert!(!m.matches(b"https://example.net"));
        assert!(m.regex_automaton().is_none());
    }

    #[test]
    fn find_keeps_config_order_across_structures() {
        let m = OriginMatcher::new(&["https://*.example.com", "https://a.example.com"]).unwrap();
        assert_eq!(m.find(b"https://a.example.com").map(RuleId::index), Some(0));
        let m = OriginMatcher::new(&["https://a.example.com", "*"]).unwrap();
        assert_eq!(m.find(b"https://a.example.com").map(RuleId::index), Some(0));
        assert_eq!(m.find(b"https://b.example.com").map(RuleId::index), Some(1));
        assert_eq!(m.find(b"https://B.example.com"), None);
    }

    #[test]
    fn a_hit_on_a_malformed_origin_is_denied() {
        let m = OriginMatcher::new(&["http://localhost:*", "https://*.example.com", "*"]).unwrap();
        for origin in [
            "http://localhost:80",
            "http://localhost:99999",
            "https://A.example.com",
            "https://a..example.com",
            "https://example.com/",
        ] {
            assert!(!m.matches(origin.as_bytes()), "{origin}");
            assert_eq!(m.find(origin.as_bytes()), None, "{origin}");
        }
        let long = format!("https://{}.com", "a".repeat(origin::MAX_ORIGIN_LEN));
        assert!(!m.matches(long.as_bytes()));
        assert_eq!(m.find(long.as_bytes()), None);
    }
}
