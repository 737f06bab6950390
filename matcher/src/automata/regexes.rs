//! [`Regexes`]: every `regex:` entry in one multi-pattern dense DFA (`regex-automata`), and
//! [`regex_builder`], the one configuration of every regex DFA the crate builds.
//!
//! The DFA is built with an anchored start, `MatchKind::All` and Unicode off, under explicit size
//! limits ([`REGEX_DFA_SIZE_LIMIT`], [`REGEX_DETERMINIZE_LIMIT`]). It is walked over the whole origin
//! from its anchored start state and then fed the end-of-input transition; a match state there means a
//! pattern matched the **whole** origin. A leftmost-first search would stop at the first match and
//! could report a match of a prefix only, which is how "unanchored regex" bypasses happen. With
//! `MatchKind::All`, that final match state lists every pattern that matched, so `find` can report the
//! first entry in config order.
//!
//! One DFA for all entries keeps a lookup one transition per byte however many regexes there are. When
//! the combined DFA exceeds its limit, the entries to blame are found by building them alone, within a
//! budget of about one more full compile ([`Regexes::blame`]).

use regex_automata::dfa::{dense, Automaton, StartKind};
use regex_automata::nfa::thompson;
use regex_automata::util::primitives::StateID;
use regex_automata::util::start;
use regex_automata::{Anchored, MatchKind};

use super::shape::Checker;
use super::RuleId;
use crate::pattern::{self, PatternError, PatternErrorKind, PatternErrors};

/// The size limit, in bytes, of the DFA compiled from all regex entries together.
pub const REGEX_DFA_SIZE_LIMIT: usize = 16 << 20;
/// The size limit, in bytes, of the working memory used while determinizing the regex DFA.
pub const REGEX_DETERMINIZE_LIMIT: usize = 64 << 20;

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

/// All regex entries, compiled into one anchored multi-pattern dense DFA, and that DFA copied into
/// the table the lookup walks ([`Walk`]).
#[derive(Clone, Debug)]
pub(super) struct Regexes {
    dfa: dense::DFA<Vec<u32>>,
    /// Rule id of each DFA pattern.
    ids: Vec<RuleId>,
    walk: Walk,
}

/// The DFA as the lookup walks it: the states reachable from the anchored start, renumbered so that
/// the dead state is 0, each state's row of transitions (one per byte class) padded to a power of
/// two and its id premultiplied by that stride, and, per state, the smallest rule id that matches the
/// whole input when the input ends there (the end-of-input transition worked out at build time).
///
/// `regex-automata`'s own `next_state` does the same lookup through its generic accessors; this copy
/// lets the loop take four bytes between checks for the dead state (which loops to itself) and
/// replaces the end-of-input transition and the match state's pattern list by one load.
#[derive(Clone, Debug)]
struct Walk {
    classes: [u8; 256],
    /// `table[state + class]`: the next state, premultiplied.
    table: Box<[u32]>,
    /// log2 of the row length.
    stride2: u32,
    start: u32,
    /// Per state (by `state >> stride2`): the smallest rule id matching at the end of the input, or
    /// `u32::MAX`, and whether every input ending there is of the grammar's usual shape
    /// ([`super::shape`]).
    accept: Box<[(u32, bool)]>,
}

/// What the walk of an origin found.
pub(super) enum Hit {
    /// No regex matches the whole origin.
    None,
    /// A regex matches, and the DFA proves the origin is `scheme://labels[:port]` of the usual shape
    /// ([`super::shape`]): only the lengths of its labels and host are left to check.
    Proven,
    /// A regex matches; the DFA proves nothing about the grammar.
    Unproven,
}

/// The most (state, checker state) pairs [`Walk::prove`] visits; past it, nothing is proven (and
/// every hit runs the grammar). About 2 s of build time in the worst case, far more than any
/// allowlist of hand-written regexes reaches.
const PROOF_BUDGET: usize = 1 << 20;

/// The dead state of a [`Walk`].
const DEAD: u32 = 0;
/// No rule matches.
const NO_RULE: u32 = u32::MAX;

impl Walk {
    /// Copies the states of `dfa` reachable from `start`; `None` if one of them is a quit state (never
    /// with the regex syntax of [`pattern`], which has no Unicode word boundaries).
    fn new(dfa: &dense::DFA<Vec<u32>>, start: StateID, ids: &[RuleId]) -> Option<Walk> {
        let mut classes = [0u8; 256];
        let mut representatives: Vec<u8> = Vec::new();
        for b in 0..=255u8 {
            let class = dfa.byte_classes().get(b);
            classes[usize::from(b)] = class;
            if usize::from(class) == representatives.len() {
                representatives.push(b);
            }
        }
        let stride2 = representatives.len().next_power_of_two().trailing_zeros();
        let stride = 1usize << stride2;
        // Index 0 is the dead state; the others in the order they are reached.
        let mut order: Vec<StateID> = Vec::new();
        let mut index: std::collections::HashMap<StateID, u32> = std::collections::HashMap::new();
        let mut number = |id: StateID, order: &mut Vec<StateID>| -> Option<u32> {
            if dfa.is_quit_state(id) {
                return None;
            }
            if dfa.is_dead_state(id) {
                return Some(DEAD);
            }
            Some(*index.entry(id).or_insert_with(|| {
                order.push(id);
                order.len() as u32
            }))
        };
        let start_index = number(start, &mut order)?;
        let mut rows: Vec<u32> = vec![DEAD; stride];
        let mut accept = vec![NO_RULE];
        let mut at = 0;
        while at < order.len() {
            let id = order[at];
            at += 1;
            let mut row = vec![DEAD; stride];
            for (class, &b) in representatives.iter().enumerate() {
                let next = number(dfa.next_state(id, b), &mut order)?;
                row[class] = next << stride2;
            }
            rows.extend_from_slice(&row);
            let eoi = dfa.next_eoi_state(id);
            accept.push(if dfa.is_match_state(eoi) {
                (0..dfa.match_len(eoi))
                    .map(|i| ids[dfa.match_pattern(eoi, i).as_usize()].0)
                    .min()
                    .unwrap_or(NO_RULE)
            } else {
                NO_RULE
            });
        }
        let mut walk = Walk {
            classes,
            table: rows.into(),
            stride2,
            start: start_index << stride2,
            accept: accept.into_iter().map(|a| (a, false)).collect(),
        };
        walk.prove();
        Some(walk)
    }

    /// Marks the accepting states every input reaching which is of the usual shape: the product of
    /// the DFA and a [`Checker`] explored from both start states over every byte, within
    /// [`PROOF_BUDGET`] pairs.
    fn prove(&mut self) {
        let mut proven = vec![true; self.accept.len()];
        let mut seen = std::collections::HashSet::new();
        let mut stack = vec![(self.start, Checker::START)];
        seen.insert((self.start, Checker::START));
        while let Some((state, checker)) = stack.pop() {
            if seen.len() > PROOF_BUDGET {
                return;
            }
            let index = (state >> self.stride2) as usize;
            if !checker.accepts() {
                proven[index] = false;
            }
            for b in 0..=255u8 {
                let next = self.table[state as usize + usize::from(self.classes[usize::from(b)])];
                if next == DEAD {
                    continue;
                }
                let pair = (next, checker.step(b));
                if seen.insert(pair) {
                    stack.push(pair);
                }
            }
        }
        for (accept, proven) in self.accept.iter_mut().zip(proven) {
            accept.1 = accept.0 != NO_RULE && proven;
        }
    }

    /// The smallest rule id matching the whole of `input`, or [`NO_RULE`], and whether the DFA
    /// proves `input` of the usual shape.
    #[inline(always)]
    fn find(&self, input: &[u8]) -> (u32, bool) {
        let table = &*self.table;
        let class = |b: &u8| usize::from(self.classes[usize::from(*b)]);
        let mut state = self.start;
        let mut chunks = input.chunks_exact(4);
        for c in &mut chunks {
            state = table[state as usize + class(&c[0])];
            state = table[state as usize + class(&c[1])];
            state = table[state as usize + class(&c[2])];
            state = table[state as usize + class(&c[3])];
            if state == DEAD {
                return (NO_RULE, false);
            }
        }
        for b in chunks.remainder() {
            state = table[state as usize + class(b)];
        }
        self.accept
            .get((state >> self.stride2) as usize)
            .copied()
            .unwrap_or((NO_RULE, false))
    }
}

impl Regexes {
    fn builder(limit: usize) -> dense::Builder {
        regex_builder(limit, false)
    }

    /// Compiles the entries `(config index, source, rule id)`, or reports which of them are at fault.
    pub(super) fn build(regexes: &[(usize, &str, RuleId)]) -> Result<Regexes, PatternErrors> {
        let sources: Vec<&str> = regexes.iter().map(|r| r.1).collect();
        let dfa = match Self::builder(REGEX_DFA_SIZE_LIMIT).build_many(&sources) {
            Ok(dfa) => dfa,
            Err(e) => return Err(Self::blame(regexes, &e)),
        };
        let start = dfa
            .start_state(&start::Config::new().anchored(Anchored::Yes))
            .map_err(|_| Self::unsupported(regexes, "no anchored start state"))?;
        let ids: Vec<RuleId> = regexes.iter().map(|r| r.2).collect();
        let walk = Walk::new(&dfa, start, &ids)
            .ok_or_else(|| Self::unsupported(regexes, "a quit state in the DFA"))?;
        Ok(Regexes { dfa, ids, walk })
    }

    /// The smallest rule id held.
    pub(super) fn first(&self) -> Option<RuleId> {
        self.ids.iter().min().copied()
    }

    fn error(r: &(usize, &str, RuleId), kind: PatternErrorKind) -> PatternError {
        PatternError {
            index: r.0,
            entry: format!("{}{}", pattern::REGEX_PREFIX, r.1).into(),
            kind,
        }
    }

    fn unsupported(regexes: &[(usize, &str, RuleId)], why: &str) -> PatternErrors {
        PatternErrors(
            regexes
                .iter()
                .map(|r| Self::error(r, PatternErrorKind::RegexUnsupported(why.into())))
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
    fn blame(regexes: &[(usize, &str, RuleId)], combined: &dense::BuildError) -> PatternErrors {
        if !combined.is_size_limit_exceeded() && !is_nfa_size_error(combined) {
            return Self::unsupported(regexes, &error_chain(combined));
        }
        if regexes.len() == 1 {
            return PatternErrors(vec![Self::error(
                &regexes[0],
                PatternErrorKind::RegexTooLarge(REGEX_DFA_SIZE_LIMIT),
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
                        PatternErrorKind::RegexSetTooLarge {
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
                .map(|&i| {
                    Self::error(
                        &regexes[i],
                        PatternErrorKind::RegexTooLarge(REGEX_DFA_SIZE_LIMIT),
                    )
                })
                .collect()
        };
        PatternErrors(errors)
    }

    /// The combined DFA and the rule of each of its patterns.
    pub(super) fn parts(&self) -> (dense::DFA<&[u32]>, &[RuleId]) {
        (self.dfa.as_ref(), &self.ids)
    }

    /// The smallest rule id among the regexes that match the whole of `origin`.
    #[inline]
    pub(super) fn find(&self, origin: &[u8]) -> Option<RuleId> {
        match self.walk.find(origin) {
            (NO_RULE, _) => None,
            (id, _) => Some(RuleId(id)),
        }
    }

    /// Whether some regex matches the whole of `origin`, and what the DFA proves about it.
    #[inline]
    pub(super) fn hit(&self, origin: &[u8]) -> Hit {
        match self.walk.find(origin) {
            (NO_RULE, _) => Hit::None,
            (_, true) => Hit::Proven,
            (_, false) => Hit::Unproven,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The regexes `(source, rule id)`, entry `i` at config index `i`.
    fn build(entries: &[(&str, usize)]) -> Result<Regexes, PatternErrors> {
        let entries: Vec<(usize, &str, RuleId)> = entries
            .iter()
            .enumerate()
            .map(|(i, &(source, id))| (i, source, RuleId::new(id)))
            .collect();
        Regexes::build(&entries)
    }

    fn find(r: &Regexes, origin: &str) -> Option<usize> {
        r.find(origin.as_bytes()).map(RuleId::index)
    }

    #[test]
    fn only_a_match_of_the_whole_origin_counts() {
        // No `^` or `$`: the DFA is anchored at the start and read to the end of the input anyway.
        let r = build(&[("https://a\\.example\\.com", 0)]).unwrap();
        assert_eq!(find(&r, "https://a.example.com"), Some(0));
        assert_eq!(find(&r, "https://a.example.com.evil.com"), None);
        assert_eq!(find(&r, "https://a.example.co"), None);
        assert_eq!(find(&r, "xhttps://a.example.com"), None);
        assert_eq!(find(&r, ""), None);
    }

    #[test]
    fn the_smallest_rule_among_all_that_match() {
        let r = build(&[
            ("^https://[a-z]+\\.example\\.com$", 5),
            ("^https://a\\.example\\.com$", 1),
            ("^https://.*$", 3),
        ])
        .unwrap();
        assert_eq!(r.first(), Some(RuleId::new(1)));
        assert_eq!(find(&r, "https://a.example.com"), Some(1));
        assert_eq!(find(&r, "https://b.example.com"), Some(3));
        assert_eq!(find(&r, "https://anything"), Some(3));
        assert_eq!(find(&r, "http://a.example.com"), None);
        let (dfa, ids) = r.parts();
        assert_eq!(dfa.pattern_len(), 3);
        assert_eq!(ids, [RuleId::new(5), RuleId::new(1), RuleId::new(3)]);
    }

    #[test]
    fn what_the_language_proves() {
        let kind = |r: &Regexes, o: &str| match r.hit(o.as_bytes()) {
            Hit::None => "none",
            Hit::Proven => "proven",
            Hit::Unproven => "unproven",
        };
        let r = build(&[
            ("^https://pr-[0-9]+\\.preview\\.example\\.dev$", 0),
            ("^https://[a-z]+\\.example\\.[0-9]+$", 1),
            ("^https?://.*\\.wide\\.example$", 2),
            ("^wss://[a-z]+\\.example(:[0-9]{1,5})?$", 3),
            ("^https://xn--[a-z]+\\.example$", 4),
        ])
        .unwrap();
        assert_eq!(kind(&r, "https://pr-1.preview.example.dev"), "proven");
        assert_eq!(kind(&r, "https://pr-x.preview.example.dev"), "none");
        // A last label that may be a number, any byte, an `xn--` label: the grammar decides.
        assert_eq!(kind(&r, "https://a.example.1"), "unproven");
        assert_eq!(kind(&r, "https://a.wide.example"), "unproven");
        assert_eq!(kind(&r, "https://xn--a.example"), "unproven");
        assert_eq!(kind(&r, "wss://a.example:8443"), "proven");
        assert_eq!(kind(&r, "wss://a.example"), "proven");
    }

    #[test]
    fn the_syntax_is_bytes_without_unicode() {
        let r = build(&[("^https://\\w+\\.example$", 0)]).unwrap();
        assert_eq!(find(&r, "https://a_1.example"), Some(0));
        // `\w` is ASCII only.
        assert_eq!(find(&r, "https://\u{e9}.example"), None);
    }

    #[test]
    fn an_unsupported_feature_is_reported_on_every_entry() {
        let errors = build(&[("^https://a\\.example$", 0), ("(?u:\\b)", 1)]).unwrap_err();
        assert_eq!(errors.0.len(), 2);
        for (i, e) in errors.0.iter().enumerate() {
            assert_eq!(e.index, i);
            assert_eq!(e.kind.name(), "regex-unsupported");
        }
        assert_eq!(&*errors.0[0].entry, "regex:^https://a\\.example$");
        assert_eq!(&*errors.0[1].entry, "regex:(?u:\\b)");
    }

    #[test]
    fn one_entry_too_large_is_blamed_alone() {
        let errors = build(&[("^https://[a-z]*a[a-z]{24}\\.example\\.com$", 0)]).unwrap_err();
        assert_eq!(errors.0.len(), 1);
        assert_eq!(errors.0[0].index, 0);
        assert!(
            matches!(errors.0[0].kind, PatternErrorKind::RegexTooLarge(n) if n == REGEX_DFA_SIZE_LIMIT),
            "{:?}",
            errors.0[0].kind
        );
    }

    #[test]
    fn the_builder_reverses_on_request() {
        let whole = |dfa: &dense::DFA<Vec<u32>>, input: &[u8]| {
            let mut state = dfa
                .start_state(&start::Config::new().anchored(Anchored::Yes))
                .unwrap();
            for &b in input {
                state = dfa.next_state(state, b);
            }
            dfa.is_match_state(dfa.next_eoi_state(state))
        };
        let forward = regex_builder(REGEX_DFA_SIZE_LIMIT, false)
            .build("abc")
            .unwrap();
        assert!(whole(&forward, b"abc"));
        assert!(!whole(&forward, b"cba"));
        let reverse = regex_builder(REGEX_DFA_SIZE_LIMIT, true)
            .build("abc")
            .unwrap();
        assert!(whole(&reverse, b"cba"));
        assert!(!whole(&reverse, b"abc"));
        // The DFA limit is the one given.
        let e = regex_builder(1 << 10, false)
            .build("[a-z]*a[a-z]{12}")
            .unwrap_err();
        assert!(e.is_size_limit_exceeded(), "{e}");
    }

    #[test]
    fn build_error_helpers() {
        let nfa_limit = dense::Builder::new()
            .thompson(thompson::Config::new().nfa_size_limit(Some(16)))
            .build("[a-z]{100}")
            .unwrap_err();
        assert!(is_nfa_size_error(&nfa_limit));
        let unsupported = regex_builder(REGEX_DFA_SIZE_LIMIT, false)
            .build("(?u:\\b)")
            .unwrap_err();
        assert!(!is_nfa_size_error(&unsupported));
        assert!(!unsupported.is_size_limit_exceeded());
        // The sources are joined on one line, outermost first.
        use std::error::Error as _;
        let source = nfa_limit.source().unwrap();
        assert!(source.source().is_none());
        assert_eq!(error_chain(&nfa_limit), format!("{nfa_limit}: {source}"));
        assert!(unsupported.source().is_none());
        assert_eq!(error_chain(&unsupported), unsupported.to_string());
    }
}
