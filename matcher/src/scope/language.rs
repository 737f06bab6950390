//! The language of regex entries, decided on automata.
//!
//! A regex entry admits the origins that are both in its language and well formed (the matcher runs
//! the request grammar after every regex hit). Two questions about that set decide whether a policy
//! may use the entry:
//!
//! * **Insecure** ([`insecure`]): does it contain an origin whose scheme is not `https` and whose
//!   host is not loopback? With credentials such an origin can be impersonated by anyone on the
//!   network path. The answer is the intersection of the entry's DFA with a DFA of exactly those
//!   origins (`scheme://host[:port]`, scheme other than `https`, host a domain whose last label is
//!   not `localhost`, an IPv4 address outside `127.0.0.0/8`, or an IPv6 address other than `::1`),
//!   searched breadth-first; the shortest origin found is the example.
//! * **Over-broad** ([`over_broad`]): does it let in hosts under registrable domains it does not
//!   spell out? The site of a host is decided by its rightmost labels (the public suffix and one
//!   label more), so the entry's language is walked **right to left** on a DFA of the reversed
//!   regex: the labels that can end the host, then the labels in front of each, and so on. At every
//!   *open* position — the top-level label, and the label in front of a public suffix or of a
//!   parent of public suffixes ([`super::exposure`]) — the labels the regex allows are counted: more
//!   than [`MAX_SPELLED_LABELS`] (an arbitrary label, `[a-z]+`, a two-letter class) means anyone can
//!   pick a name there, and the entry is over-broad. Otherwise each allowed label is followed in
//!   turn; a position under a registrable domain is closed, and labels in front of it are free (that
//!   is what `https://[a-z0-9-]+\.example\.com` is for).
//!
//! The language is approximated only where an approximation cannot hide an admitted origin: label
//! and host lengths, the port's range and the canonical form of IPv6 text are not enforced inside the
//! automata (the example found is the shortest, and is checked with the request grammar). The walk
//! is bounded: labels of at most 63 bytes, at most [`MAX_SPELLED_LABELS`] + 1 of them per position.

use std::collections::{HashMap, HashSet, VecDeque};

use regex_automata::dfa::{dense, Automaton};
use regex_automata::util::primitives::StateID;
use regex_automata::util::start;
use regex_automata::{Anchored, PatternID};

use crate::origin;

/// The most labels a regex may allow at a position where anyone can register a name, for the labels
/// to count as spelled out (`(?:example|example-staging)\.com` is; `[a-z]{2}\.com` is not).
pub const MAX_SPELLED_LABELS: usize = 16;

const LABEL: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789-_";
const LABEL_MIXED: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789-_ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LETTER_FIRST_MIXED: &[u8] = b"abcdefghijklmnopqrstuvwxyz-_ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const NON_HEX_MIXED: &[u8] = b"ghijklmnopqrstuvwxyz-_ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const SCHEME: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789+-.";
const DIGITS: &[u8] = b"0123456789";
const HEX6: &[u8] = b"0123456789abcdef:";

/// A DFA over a set of patterns, walked from its anchored start state.
pub struct Dfa<T = Vec<u32>> {
    dfa: dense::DFA<T>,
    start: StateID,
}

impl Dfa {
    /// Builds an anchored, all-matches DFA of `patterns`, forward or over reversed input. `None`
    /// when the patterns do not compile within the matcher's limits.
    pub fn build(patterns: &[&str], reverse: bool) -> Option<Dfa> {
        let dfa = crate::automata::regex_builder(crate::automata::REGEX_DFA_SIZE_LIMIT, reverse)
            .build_many(patterns)
            .ok()?;
        Dfa::new(dfa)
    }
}

impl<T: AsRef<[u32]>> Dfa<T> {
    /// Wraps an anchored DFA (the matcher's, say).
    pub fn new(dfa: dense::DFA<T>) -> Option<Dfa<T>> {
        let start = dfa
            .start_state(&start::Config::new().anchored(Anchored::Yes))
            .ok()?;
        Some(Dfa { dfa, start })
    }

    /// How many patterns the DFA holds.
    pub fn pattern_len(&self) -> usize {
        self.dfa.pattern_len()
    }

    fn next(&self, s: StateID, b: u8) -> Option<StateID> {
        let n = self.dfa.next_state(s, b);
        (!self.dfa.is_dead_state(n) && !self.dfa.is_quit_state(n)).then_some(n)
    }

    fn walk(&self, mut s: StateID, bytes: &[u8]) -> Option<StateID> {
        for &b in bytes {
            s = self.next(s, b)?;
        }
        Some(s)
    }

    /// The patterns that match when the input ends in state `s`.
    fn matches_at_end(&self, s: StateID) -> impl Iterator<Item = PatternID> + '_ {
        let e = self.dfa.next_eoi_state(s);
        let n = if self.dfa.is_match_state(e) {
            self.dfa.match_len(e)
        } else {
            0
        };
        (0..n).map(move |i| self.dfa.match_pattern(e, i))
    }

    fn accepts_at_end(&self, s: StateID, p: PatternID) -> bool {
        self.matches_at_end(s).any(|q| q == p)
    }

    /// Whether pattern `p` matches the whole of `input`.
    pub fn is_match(&self, p: PatternID, input: &[u8]) -> bool {
        self.walk(self.start, input)
            .is_some_and(|s| self.accepts_at_end(s, p))
    }
}

/// Regex syntax for a character class of the given bytes.
fn class(bytes: &[u8]) -> String {
    let mut out = String::from("[");
    for &b in bytes {
        if b.is_ascii_alphanumeric() {
            out.push(b as char);
        } else {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out.push(']');
    out
}

fn without(bytes: &[u8], b: u8) -> Vec<u8> {
    bytes.iter().copied().filter(|&c| c != b).collect()
}

fn literal(word: &str) -> String {
    word.bytes().map(|b| format!("\\x{b:02x}")).collect()
}

/// A regex for the strings `first rest*` other than the `words` (each such a string), built on the
/// trie of the words: at each prefix, the prefix itself when it is not a word, every byte that no word
/// continues with followed by anything, and the continuations.
fn other_than(words: &[&str], first: &[u8], rest: &[u8]) -> String {
    fn node(prefix: &[u8], words: &[&[u8]], first: &[u8], rest: &[u8], alts: &mut Vec<String>) {
        let text: String = prefix.iter().map(|&b| format!("\\x{b:02x}")).collect();
        if !prefix.is_empty() && !words.contains(&prefix) {
            alts.push(text.clone());
        }
        let mut next: Vec<u8> = words
            .iter()
            .filter(|w| w.len() > prefix.len() && w.starts_with(prefix))
            .map(|w| w[prefix.len()])
            .collect();
        next.sort_unstable();
        next.dedup();
        let allowed = if prefix.is_empty() { first } else { rest };
        let others: Vec<u8> = allowed
            .iter()
            .copied()
            .filter(|b| !next.contains(b))
            .collect();
        if !others.is_empty() {
            alts.push(format!("{text}{}{}*", class(&others), class(rest)));
        }
        for b in next {
            let mut longer = prefix.to_vec();
            longer.push(b);
            node(&longer, words, first, rest, alts);
        }
    }
    let words: Vec<&[u8]> = words.iter().map(|w| w.as_bytes()).collect();
    let mut alts = Vec::new();
    node(&[], &words, first, rest, &mut alts);
    format!("(?:{})", alts.join("|"))
}

/// A last label that does not make the host a number (URL standard, "ends in a number checker"):
/// it has a byte other than a digit and is not `0x` followed by hex digits. With `loopback: false`,
/// also other than `localhost`.
fn last_label(loopback: bool, mixed_case: bool) -> String {
    let (label, letter_first, non_hex): (&[u8], &[u8], &[u8]) = if mixed_case {
        (LABEL_MIXED, LETTER_FIRST_MIXED, NON_HEX_MIXED)
    } else {
        (
            LABEL,
            b"abcdefghijklmnopqrstuvwxyz-_",
            b"ghijklmnopqrstuvwxyz-_",
        )
    };
    let l = class(label);
    let starts_non_digit = if loopback {
        format!("{}{l}*", class(letter_first))
    } else {
        other_than(&["localhost"], letter_first, label)
    };
    let non_digit = class(letter_first);
    let not_x = class(&without(letter_first, b'x'));
    let non_hex = class(non_hex);
    [
        starts_non_digit,
        format!("[1-9][0-9]*{non_digit}{l}*"),
        format!("0[0-9]+{non_digit}{l}*"),
        format!("0{not_x}{l}*"),
        format!("0x[0-9a-f]*{non_hex}{l}*"),
    ]
    .join("|")
}

const OCTET: &str = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])";
const FIRST_OCTET_NOT_127: &str =
    "(?:25[0-5]|2[0-4][0-9]|1[013-9][0-9]|12[0-689]|[1-9][0-9]|[0-9])";
const PORT: &str = "(?::[1-9][0-9]{0,4})?";

/// The special schemes (URL standard): their hosts are domains in lowercase ASCII. `file` is
/// special too, but never an origin.
const SPECIAL: &[&str] = &["https", "http", "wss", "ws", "ftp"];

/// Well-formed origins (up to the approximations in the module docs), optionally only insecure ones
/// (scheme other than `https`, host not loopback), optionally only hosts strictly under `suffix`.
/// Hosts of special schemes are lowercase; opaque hosts (other schemes) may hold uppercase letters.
fn origins_regex(insecure: bool, under: Option<&str>) -> String {
    let special: Vec<&str> = SPECIAL
        .iter()
        .copied()
        .filter(|s| !(insecure && *s == "https"))
        .collect();
    let special = special.join("|");
    let mut not_special: Vec<&str> = SPECIAL.to_vec();
    not_special.push("file");
    let opaque = other_than(&not_special, b"abcdefghijklmnopqrstuvwxyz", SCHEME);
    let host = |mixed_case: bool| {
        let l = class(if mixed_case { LABEL_MIXED } else { LABEL });
        match under {
            Some(suffix) => format!("(?:{l}+\\.)+{}\\.?", literal(suffix)),
            None => {
                let (first_octet, ipv6) = if insecure {
                    (FIRST_OCTET_NOT_127, other_than(&["::1"], HEX6, HEX6))
                } else {
                    (OCTET, format!("{}+", class(HEX6)))
                };
                format!(
                    "(?:{l}+\\.)*(?:{})\\.?|{first_octet}(?:\\.{OCTET}){{3}}|\\[{ipv6}\\]",
                    last_label(!insecure, mixed_case)
                )
            }
        }
    };
    format!(
        "(?:(?:{special})://(?:{})|{opaque}://(?:{})){PORT}",
        host(false),
        host(true)
    )
}

/// A shortest string of both `entries` (pattern `p`) and `shape` (pattern 0), breadth-first over
/// the product of the two DFAs. Bytes are tried in the order of `shape`'s live transitions.
fn shortest_common<T: AsRef<[u32]>>(
    entries: &Dfa<T>,
    p: PatternID,
    shape: &Dfa,
) -> Option<Vec<u8>> {
    let shape_p = PatternID::ZERO;
    let mut seen: HashMap<(StateID, StateID), (usize, u8)> = HashMap::new();
    let mut order: Vec<(StateID, StateID)> = Vec::new();
    let mut queue = VecDeque::new();
    let start = (entries.start, shape.start);
    seen.insert(start, (usize::MAX, 0));
    order.push(start);
    queue.push_back(0usize);
    while let Some(i) = queue.pop_front() {
        let (q, v) = order[i];
        if entries.accepts_at_end(q, p) && shape.accepts_at_end(v, shape_p) {
            let mut out = Vec::new();
            let mut at = (q, v);
            while let Some(&(parent, b)) = seen.get(&at) {
                if parent == usize::MAX {
                    break;
                }
                out.push(b);
                at = order[parent];
            }
            out.reverse();
            return Some(out);
        }
        for b in PREFERRED.iter().copied() {
            let (Some(nv), Some(nq)) = (shape.next(v, b), entries.next(q, b)) else {
                continue;
            };
            if let std::collections::hash_map::Entry::Vacant(e) = seen.entry((nq, nv)) {
                e.insert((i, b));
                order.push((nq, nv));
                queue.push_back(order.len() - 1);
            }
        }
    }
    None
}

/// Every byte an origin can hold, letters first so that examples read naturally.
const PREFERRED: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789.-_:/+[]ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// Replaces the host of `example` by a friendlier one when pattern `p` admits it too.
fn prettier<T: AsRef<[u32]>>(
    entries: &Dfa<T>,
    p: PatternID,
    example: Vec<u8>,
    under: Option<&str>,
) -> Vec<u8> {
    let Ok(origin::Origin::Tuple(t)) = origin::parse(&example) else {
        return example;
    };
    let host = match under {
        Some(s) => format!("attacker.{s}"),
        None => "attacker.example".into(),
    };
    let port = t.port().map(|p| format!(":{p}")).unwrap_or_default();
    let scheme = String::from_utf8_lossy(t.scheme()).into_owned();
    let schemes = [
        scheme.clone(),
        if scheme == "https" {
            scheme.clone()
        } else {
            "http".into()
        },
    ];
    let hosts = [host, String::from_utf8_lossy(t.host()).into_owned()];
    for h in &hosts {
        for s in schemes.iter().rev() {
            let candidate = format!("{s}://{h}{port}").into_bytes();
            if entries.is_match(p, &candidate) && origin::parse(&candidate).is_ok() {
                return candidate;
            }
        }
    }
    example
}

/// For each pattern of `entries` that admits an insecure origin (scheme other than `https`, host not
/// loopback), that pattern and an example origin.
pub fn insecure<T: AsRef<[u32]>>(entries: &Dfa<T>) -> Vec<(PatternID, String)> {
    // The same for every policy: built once.
    static SHAPE: std::sync::OnceLock<Option<Dfa>> = std::sync::OnceLock::new();
    let Some(shape) = SHAPE.get_or_init(|| Dfa::build(&[&origins_regex(true, None)], false)) else {
        return Vec::new();
    };
    (0..entries.dfa.pattern_len())
        .filter_map(|p| {
            let p = PatternID::new(p).ok()?;
            let w = shortest_common(entries, p, shape)?;
            let w = prettier(entries, p, w, None);
            Some((p, String::from_utf8_lossy(&w).into_owned()))
        })
        .collect()
}

/// Why a regex is over-broad: where anyone can pick a name, and an origin it lets in there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OverBroad {
    /// The public suffix (or parent of public suffixes) under which the labels are free; empty when
    /// the top-level label itself is free.
    pub suffix: String,
    /// An origin the regex lets in under it.
    pub example: String,
}

/// Whether regex `source` lets in hosts under registrable domains it does not spell out (see the
/// module docs); `entries` is a forward DFA holding the same regex as pattern `p`.
pub fn over_broad<T: AsRef<[u32]>>(
    source: &str,
    entries: &Dfa<T>,
    p: PatternID,
) -> Option<OverBroad> {
    let rev = Dfa::build(&[source], true)?;
    let walk = Walk::new(&rev);
    let suffix = walk
        .host_ends()
        .into_iter()
        .find_map(|s| walk.level(s, &[], 0))?;
    let under = (!suffix.is_empty()).then_some(suffix.as_str());
    let shape = shape_under(&suffix)?;
    let w = shortest_common(entries, p, &shape)?;
    let w = prettier(entries, p, w, under);
    Some(OverBroad {
        suffix,
        example: String::from_utf8_lossy(&w).into_owned(),
    })
}

/// The DFA of well-formed origins whose host is strictly under `suffix` (any host when empty).
/// The same few suffixes come back policy after policy (`com`, the top level), so the DFAs are kept
/// in a small cache, cleared when full.
fn shape_under(suffix: &str) -> Option<std::sync::Arc<Dfa>> {
    use std::sync::{Arc, Mutex, OnceLock};
    const CAPACITY: usize = 64;
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<Dfa>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(d) = cache.lock().ok()?.get(suffix) {
        return Some(Arc::clone(d));
    }
    let under = (!suffix.is_empty()).then_some(suffix);
    let d = Arc::new(Dfa::build(&[&origins_regex(false, under)], false)?);
    let mut map = cache.lock().ok()?;
    if map.len() >= CAPACITY {
        map.clear();
    }
    map.insert(suffix.to_string(), Arc::clone(&d));
    Some(d)
}

/// The right-to-left walk over a reversed regex's DFA (see the module docs).
struct Walk<'a> {
    dfa: &'a Dfa,
    /// States after a host's reversed labels from which `//:` and a reversed scheme end the input.
    host_start: HashSet<StateID>,
    /// States from which one or more labels lead to `host_start` or, through a `.`, to `labels`.
    labels: HashSet<StateID>,
}

impl<'a> Walk<'a> {
    fn new(dfa: &'a Dfa) -> Walk<'a> {
        let states = reachable(dfa);
        // Scheme: `[a-z]` read last, then EOI.
        let p = PatternID::ZERO;
        let scheme_first: HashSet<StateID> = states
            .iter()
            .copied()
            .filter(|&q| {
                b"abcdefghijklmnopqrstuvwxyz"
                    .iter()
                    .any(|&c| dfa.next(q, c).is_some_and(|n| dfa.accepts_at_end(n, p)))
            })
            .collect();
        let scheme = closure(dfa, &states, SCHEME, &scheme_first);
        let host_start: HashSet<StateID> = states
            .iter()
            .copied()
            .filter(|&q| dfa.walk(q, b"//:").is_some_and(|n| scheme.contains(&n)))
            .collect();
        // labels: least fixpoint of "one or more LABEL bytes reach host_start, or a state whose `.`
        // successor is in labels".
        let mut labels: HashSet<StateID> = HashSet::new();
        loop {
            let targets: HashSet<StateID> = states
                .iter()
                .copied()
                .filter(|&q| {
                    host_start.contains(&q)
                        || dfa.next(q, b'.').is_some_and(|n| labels.contains(&n))
                })
                .collect();
            let before: HashSet<StateID> = states
                .iter()
                .copied()
                .filter(|&q| {
                    LABEL_MIXED
                        .iter()
                        .any(|&c| dfa.next(q, c).is_some_and(|n| targets.contains(&n)))
                })
                .collect();
            let next = closure(dfa, &states, LABEL_MIXED, &before);
            if next.len() == labels.len() {
                break;
            }
            labels = next;
        }
        Walk {
            dfa,
            host_start,
            labels,
        }
    }

    /// Whether a label may end at `q`: the host starts there, or a `.` leads to more labels.
    fn ends_label(&self, q: StateID) -> bool {
        self.host_start.contains(&q)
            || self
                .dfa
                .next(q, b'.')
                .is_some_and(|n| self.labels.contains(&n))
    }

    /// The states where the host's last label may begin (after an optional port and trailing dot).
    fn host_ends(&self) -> Vec<StateID> {
        let d = self.dfa;
        let mut ports = vec![d.start];
        let mut digits = vec![];
        let mut seen = HashSet::new();
        let mut stack: Vec<StateID> = DIGITS.iter().filter_map(|&c| d.next(d.start, c)).collect();
        while let Some(q) = stack.pop() {
            if seen.insert(q) {
                digits.push(q);
                stack.extend(DIGITS.iter().filter_map(|&c| d.next(q, c)));
            }
        }
        ports.extend(digits.iter().filter_map(|&q| d.next(q, b':')));
        let mut out: Vec<StateID> = Vec::new();
        for q in ports {
            out.push(q);
            out.extend(d.next(q, b'.'));
        }
        out.sort();
        out.dedup();
        out
    }

    /// The labels (reversed) that can be read from `q` and end where a host starts or a `.` leads to
    /// more labels, with their end states; `None` when there are more than [`MAX_SPELLED_LABELS`].
    fn labels_from(&self, q: StateID) -> Option<Vec<(Vec<u8>, StateID)>> {
        let mut out = Vec::new();
        let mut path = Vec::new();
        self.enumerate(q, &mut path, &mut out).then_some(out)
    }

    fn enumerate(&self, q: StateID, path: &mut Vec<u8>, out: &mut Vec<(Vec<u8>, StateID)>) -> bool {
        if !path.is_empty() && self.ends_label(q) {
            out.push((path.clone(), q));
            if out.len() > MAX_SPELLED_LABELS {
                return false;
            }
        }
        if path.len() == origin::MAX_LABEL_LEN {
            return true;
        }
        for &c in LABEL_MIXED {
            if let Some(n) = self.dfa.next(q, c) {
                if self.labels.contains(&n) || self.ends_label(n) {
                    path.push(c);
                    let ok = self.enumerate(n, path, out);
                    path.pop();
                    if !ok {
                        return false;
                    }
                }
            }
        }
        true
    }

    /// Walks the labels in front of `suffix` (the host's labels read so far, as text) from
    /// state `q`. Returns the open suffix under which labels are free, if any.
    fn level(&self, q: StateID, suffix: &[u8], depth: usize) -> Option<String> {
        if depth > origin::MAX_DOMAIN_LEN / 2 {
            return None;
        }
        let text = String::from_utf8_lossy(suffix).into_owned();
        let open = text.is_empty() || super::exposure(&text).is_some();
        if !open {
            return None;
        }
        let Some(labels) = self.labels_from(q) else {
            return Some(text);
        };
        for (rev_label, end) in labels {
            let Some(dot) = self.dfa.next(end, b'.') else {
                continue;
            };
            if !self.labels.contains(&dot) {
                continue;
            }
            let mut longer: Vec<u8> = rev_label.iter().rev().copied().collect();
            if !suffix.is_empty() {
                longer.push(b'.');
                longer.extend_from_slice(suffix);
            }
            if let Some(found) = self.level(dot, &longer, depth + 1) {
                return Some(found);
            }
        }
        None
    }
}

/// Every state reachable from the start.
fn reachable(dfa: &Dfa) -> Vec<StateID> {
    let mut seen = HashSet::new();
    let mut stack = vec![dfa.start];
    let mut out = Vec::new();
    while let Some(q) = stack.pop() {
        if seen.insert(q) {
            out.push(q);
            for b in 0..=255u8 {
                if let Some(n) = dfa.next(q, b) {
                    stack.push(n);
                }
            }
        }
    }
    out
}

/// `targets` and every state that reaches one of them through bytes of `alphabet`.
fn closure(
    dfa: &Dfa,
    states: &[StateID],
    alphabet: &[u8],
    targets: &HashSet<StateID>,
) -> HashSet<StateID> {
    let mut preds: HashMap<StateID, Vec<StateID>> = HashMap::new();
    for &q in states {
        for &c in alphabet {
            if let Some(n) = dfa.next(q, c) {
                preds.entry(n).or_default().push(q);
            }
        }
    }
    let mut out: HashSet<StateID> = targets.clone();
    let mut stack: Vec<StateID> = targets.iter().copied().collect();
    while let Some(q) = stack.pop() {
        for &p in preds.get(&q).map(Vec::as_slice).unwrap_or(&[]) {
            if out.insert(p) {
                stack.push(p);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn insecure_example(re: &str) -> Option<String> {
        let d = Dfa::build(&[re], false).unwrap();
        insecure(&d).into_iter().next().map(|(_, w)| w)
    }

    fn broad(re: &str) -> Option<OverBroad> {
        let d = Dfa::build(&[re], false).unwrap();
        over_broad(re, &d, PatternID::ZERO)
    }

    #[test]
    fn insecure_on_the_language() {
        assert_eq!(insecure_example(r"https://app\.example\.com"), None);
        assert_eq!(insecure_example(r"^https://[a-z]+\.example\.com$"), None);
        assert_eq!(
            insecure_example(r"https://app\.example\.com|http://evil\.example").as_deref(),
            Some("http://evil.example")
        );
        assert!(insecure_example(r"https://app\.example\.com|.*").is_some());
        assert!(insecure_example(r"https?://[a-z]+\.example\.com").is_some());
        assert!(insecure_example(r"[a-z]+://app\.example\.com").is_some());
        // loopback aside
        assert_eq!(insecure_example(r"http://localhost:[0-9]+"), None);
        assert_eq!(
            insecure_example(r"http://([a-z]+\.)?localhost(:[0-9]+)?"),
            None
        );
        assert_eq!(insecure_example(r"http://127\.0\.0\.1:[0-9]+"), None);
        assert_eq!(insecure_example(r"http://\[::1\]:[0-9]+"), None);
        assert!(insecure_example(r"http://[0-9.]+").is_some());
        assert!(insecure_example(r"http://localhostx").is_some());
        // opaque hosts keep their case, and are neither https nor loopback
        assert_eq!(
            insecure_example(r"capacitor://[A-Z]+").as_deref(),
            Some("capacitor://A")
        );
        assert!(insecure_example(r"chrome-extension://[A-P]{32}").is_some());
        // only what no browser sends: uppercase in a special scheme or host, a path, file:
        assert_eq!(insecure_example(r"HTTP://EVIL\.COM"), None);
        assert_eq!(insecure_example(r"http://EVIL\.COM"), None);
        assert_eq!(insecure_example(r"file://evil\.com"), None);
        assert_eq!(insecure_example(r"http://evil\.com/x"), None);
    }

    #[test]
    fn over_broad_on_the_language() {
        for re in [
            r"https://.*",
            r"https://[^/]+",
            r"https://.+\.com",
            r"https://[a-z]+\.co\.uk",
            r"https://[a-z]+",
            r"https://app\.example\.[a-z]{2}",
            r"https://[a-z0-9-]+\.s3\.amazonaws\.com",
            r"https://[a-z]+\.np",
            r"https://app\.example\.com|https://[a-z]+\.github\.io",
            r"capacitor://[A-Z]+",
        ] {
            assert!(broad(re).is_some(), "{re}");
        }
        for re in [
            r"https://[a-z0-9-]+\.example\.com",
            r"^https://pr-[0-9]+\.preview\.example\.dev$",
            r"https://(?:[a-z0-9-]+\.)*example\.com(?::[0-9]+)?",
            r"https://(app|api)\.example\.(com|org|net)",
            r"https://[a-z]+\.city\.kawasaki\.jp",
            r"http://[a-z]+\.localhost:[0-9]+",
            r"https://(?:[A-Z]+\.)?example\.com",
        ] {
            assert_eq!(broad(re), None, "{re}");
        }
        let b = broad(r"https://.+\.com").unwrap();
        assert_eq!(
            (b.suffix.as_str(), b.example.as_str()),
            ("com", "https://attacker.com")
        );
        let b = broad(r"https://[a-z]+\.co\.uk").unwrap();
        assert_eq!(b.suffix, "co.uk");
    }
}
