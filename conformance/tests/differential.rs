//! Property tests: for random allowlists of every entry kind and random origins (mostly near misses
//! made by mutating allowlisted origins), the engine and the naive reference agree on the grammar, on
//! `matches` and on `find`.

use corsmatch::pattern::Allowlist;
use corsmatch::OriginMatcher;
use corsmatch_conformance::reference::{self, ReferenceMatcher};
use proptest::prelude::*;

const SCHEMES: &[&str] = &[
    "https",
    "http",
    "wss",
    "ftp",
    "chrome-extension",
    "capacitor",
    "file",
];
const LABELS: &[&str] = &[
    "example",
    "com",
    "api",
    "a",
    "b",
    "ab",
    "ba",
    "co",
    "io",
    "x-y",
    "_srv",
    "xn--bcher-kva",
    "1a",
    "localhost",
    "evil",
    "MyApp",
    "xn--4db",
    "xn--zz",
    "3com",
];
const PORTS: &[u16] = &[1, 21, 80, 443, 3000, 8080, 8443, 65535];
const IPS: &[&str] = &[
    "127.0.0.1",
    "10.0.0.1",
    "255.255.255.255",
    "[::1]",
    "[2001:db8::1]",
    "[::]",
];

fn label() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(LABELS).prop_map(str::to_string),
        1 => "[a-z0-9_-]{1,6}",
    ]
}

fn domain() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(label(), 1..4),
        prop::bool::weighted(0.05),
    )
        .prop_map(|(labels, dot)| labels.join(".") + if dot { "." } else { "" })
}

fn host() -> impl Strategy<Value = String> {
    prop_oneof![5 => domain(), 1 => prop::sample::select(IPS).prop_map(str::to_string)]
}

fn scheme() -> impl Strategy<Value = String> {
    prop::sample::select(SCHEMES).prop_map(str::to_string)
}

fn port() -> impl Strategy<Value = Option<u16>> {
    prop_oneof![3 => Just(None), 2 => prop::sample::select(PORTS).prop_map(Some)]
}

fn serialize(scheme: &str, host: &str, port: Option<u16>) -> String {
    match port {
        Some(p) => format!("{scheme}://{host}:{p}"),
        None => format!("{scheme}://{host}"),
    }
}

fn escape_regex(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            if "\\.+*?()|[]{}^$-".contains(c) {
                vec!['\\', c]
            } else {
                vec![c]
            }
        })
        .collect()
}

/// An allowlist entry of any kind, sometimes spelled in a form that needs normalizing.
fn entry() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => (scheme(), host(), port()).prop_map(|(s, h, p)| serialize(&s, &h, p)),
        4 => (scheme(), domain(), prop_oneof![Just(String::new()), Just(":*".to_string()), prop::sample::select(PORTS).prop_map(|p| format!(":{p}"))])
            .prop_map(|(s, d, p)| format!("{s}://*.{d}{p}")),
        2 => (scheme(), host()).prop_map(|(s, h)| format!("{s}://{h}:*")),
        2 => (scheme(), host(), port()).prop_map(|(s, h, p)| format!("regex:{}", escape_regex(&serialize(&s, &h, p)))),
        2 => prop::sample::select(&[
            r"regex:^https://pr-[0-9]+\.preview\.example\.com$",
            r"regex:https?://[a-z]+\.example\.com(:[0-9]+)?",
            r"regex:https://(a|b)+\.(com|io)",
            r"regex:.*",
            r"regex:[a-z]+://localhost:[0-9]{4}",
            r"regex:https://.*\.evil\.com",
        ][..]).prop_map(str::to_string),
        1 => Just("null".to_string()),
        1 => Just("*".to_string()),
        1 => (scheme(), domain()).prop_map(|(s, d)| format!("{}://{}/", s.to_uppercase(), d.to_uppercase())),
        1 => domain().prop_map(|d| format!("https://{d}:443")),
    ]
}

/// A byte-level mutation of an origin.
#[derive(Clone, Debug)]
enum Mutation {
    None,
    Insert(usize, u8),
    Delete(usize),
    Replace(usize, u8),
    FlipCase(usize),
    AddPort(u16),
    AddLabel(String),
    AppendDomain(String),
    Prefix(String),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let byte = prop_oneof![
        prop::sample::select(&b".-_:/@#?%*[]0123456789abcxyzAZ \x00\xff"[..]),
        any::<u8>()
    ];
    prop_oneof![
        3 => Just(Mutation::None),
        1 => (any::<usize>(), byte.clone()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        1 => any::<usize>().prop_map(Mutation::Delete),
        1 => (any::<usize>(), byte).prop_map(|(i, b)| Mutation::Replace(i, b)),
        1 => any::<usize>().prop_map(Mutation::FlipCase),
        1 => prop::sample::select(PORTS).prop_map(Mutation::AddPort),
        1 => label().prop_map(Mutation::AddLabel),
        1 => prop::sample::select(&[".evil.com", "evil.com", ".", "x", ".com"][..]).prop_map(|s| Mutation::AppendDomain(s.to_string())),
        1 => prop::sample::select(&["evil", "x.", "https://", "."][..]).prop_map(|s| Mutation::Prefix(s.to_string())),
    ]
}

fn apply(origin: &str, m: &Mutation) -> Vec<u8> {
    let mut b = origin.as_bytes().to_vec();
    let at = |i: usize, len: usize| if len == 0 { 0 } else { i % len };
    match m {
        Mutation::None => {}
        Mutation::Insert(i, x) => b.insert(at(*i, b.len() + 1), *x),
        Mutation::Delete(i) => {
            if !b.is_empty() {
                let k = at(*i, b.len());
                b.remove(k);
            }
        }
        Mutation::Replace(i, x) => {
            if !b.is_empty() {
                let k = at(*i, b.len());
                b[k] = *x;
            }
        }
        Mutation::FlipCase(i) => {
            if !b.is_empty() {
                let k = at(*i, b.len());
                b[k] ^= if b[k].is_ascii_alphabetic() { 0x20 } else { 0 };
            }
        }
        Mutation::AddPort(p) => b.extend_from_slice(format!(":{p}").as_bytes()),
        Mutation::AddLabel(l) => {
            if let Some(k) = origin.find("://") {
                b.splice(k + 3..k + 3, format!("{l}.").into_bytes());
            }
        }
        Mutation::AppendDomain(s) => b.extend_from_slice(s.as_bytes()),
        Mutation::Prefix(s) => {
            b.splice(0..0, s.bytes());
        }
    }
    b
}

/// An origin the allowlist could name: its exact serialization, or one filling in a wildcard.
fn example_origin(entry: &String, fill: &String) -> String {
    let e = entry
        .strip_prefix("regex:")
        .map(|r| r.replace('\\', ""))
        .unwrap_or_else(|| entry.to_string());
    let e = e
        .replace("*.", &format!("{fill}."))
        .replace(":*", "")
        .trim_end_matches('/')
        .to_string();
    // Entries are normalized as browsers serialize.
    reference::browser_case(&e)
}

fn check(entries: &[String], origins: &[Vec<u8>]) -> Result<(), TestCaseError> {
    let (list, _) = Allowlist::parse_all(entries);
    let engine =
        OriginMatcher::from_allowlist(&list).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let naive = ReferenceMatcher::new(&list);
    for o in origins {
        let shown = o.escape_ascii().to_string();
        prop_assert_eq!(
            corsmatch_conformance::fuzzing::engine_parts(o),
            reference::parse_origin(o),
            "grammar disagrees on {}",
            shown
        );
        prop_assert_eq!(
            engine.matches(o),
            naive.matches(o),
            "matches disagrees on {} for {:?}",
            shown,
            entries
        );
        prop_assert_eq!(
            engine.find(o).map(|r| r.index()),
            naive.find(o),
            "find disagrees on {} for {:?}",
            shown,
            entries
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn engine_agrees_with_reference(
        entries in prop::collection::vec(entry(), 1..12),
        picks in prop::collection::vec((any::<prop::sample::Index>(), label(), mutation()), 1..16),
        randoms in prop::collection::vec((scheme(), host(), port()), 0..4),
    ) {
        let mut origins: Vec<Vec<u8>> = picks
            .iter()
            .map(|(i, fill, m)| apply(&example_origin(i.get(&entries), fill), m))
            .collect();
        origins.extend(randoms.iter().map(|(s, h, p)| serialize(s, h, *p).into_bytes()));
        origins.push(b"null".to_vec());
        check(&entries, &origins)?;
    }

    #[test]
    fn grammar_agrees_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        prop_assert_eq!(corsmatch_conformance::fuzzing::engine_parts(&bytes), reference::parse_origin(&bytes));
    }

    #[test]
    fn grammar_agrees_on_mutated_origins((s, h, p) in (scheme(), host(), port()), m in mutation(), m2 in mutation()) {
        let once = apply(&serialize(&s, &h, p), &m);
        let twice = apply(&String::from_utf8_lossy(&once), &m2);
        prop_assert_eq!(corsmatch_conformance::fuzzing::engine_parts(&once), reference::parse_origin(&once));
        prop_assert_eq!(corsmatch_conformance::fuzzing::engine_parts(&twice), reference::parse_origin(&twice));
    }
}
