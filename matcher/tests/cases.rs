//! Runs the conformance tables under `corpus/cases/` against the engine and the reference.
//!
//! Every failing case is collected and reported at once, with its file, group and `why`.

#![cfg(feature = "reference")]

use std::path::{Path, PathBuf};

use corsmatch::origin;
use corsmatch::pattern::{Allowlist, NoteKind, Pattern};
use corsmatch::reference::{self, ReferenceMatcher};
use corsmatch::OriginMatcher;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OriginFile {
    group: Vec<Group>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Group {
    name: String,
    allow: Vec<String>,
    cases: Vec<OriginCase>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OriginCase {
    origin: Option<String>,
    origin_hex: Option<String>,
    expect: Expect,
    rule: Option<usize>,
    why: Option<String>,
}

#[derive(Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
enum Expect {
    Allow,
    Deny,
    Malformed,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PatternFile {
    case: Vec<PatternCase>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PatternCase {
    entry: String,
    normalized: Option<String>,
    #[serde(default)]
    notes: Vec<String>,
    error: Option<String>,
    why: Option<String>,
}

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus/cases")
}

fn files(prefix: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(cases_dir())
        .expect("corpus/cases exists")
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_str().unwrap();
            name.starts_with(prefix) && name.ends_with(".toml")
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no {prefix}*.toml under corpus/cases");
    out
}

fn hex(s: &str) -> Vec<u8> {
    assert!(s.len() % 2 == 0, "odd-length origin_hex {s:?}");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("origin_hex"))
        .collect()
}

#[test]
fn origin_tables() {
    let mut failures = Vec::new();
    let mut count = 0;
    for path in files("origins-") {
        let file: OriginFile = toml::from_str(&std::fs::read_to_string(&path).unwrap())
            .unwrap_or_else(|e| panic!("{path:?}: {e}"));
        let fname = path.file_name().unwrap().to_string_lossy().into_owned();
        for group in &file.group {
            let list = Allowlist::parse(&group.allow)
                .unwrap_or_else(|e| panic!("{fname} [{}]: {e}", group.name));
            let engine =
                OriginMatcher::from_allowlist(&list).unwrap_or_else(|e| panic!("{fname}: {e}"));
            let naive = ReferenceMatcher::new(&list);
            for case in &group.cases {
                count += 1;
                let bytes = match (&case.origin, &case.origin_hex) {
                    (Some(o), None) => o.as_bytes().to_vec(),
                    (None, Some(h)) => hex(h),
                    _ => panic!(
                        "{fname} [{}]: give exactly one of origin / origin_hex",
                        group.name
                    ),
                };
                let want_rule = match case.expect {
                    Expect::Allow => Some(case.rule.expect("an allow case names its rule")),
                    _ => None,
                };
                let valid = case.expect != Expect::Malformed;
                let results = [
                    ("engine grammar", origin::parse(&bytes).is_ok() == valid),
                    (
                        "reference grammar",
                        reference::parse_origin(&bytes).is_some() == valid,
                    ),
                    (
                        "engine matches",
                        engine.matches(&bytes) == want_rule.is_some(),
                    ),
                    (
                        "engine find",
                        engine.find(&bytes).map(|r| r.index()) == want_rule,
                    ),
                    (
                        "reference matches",
                        naive.matches(&bytes) == want_rule.is_some(),
                    ),
                    ("reference find", naive.find(&bytes) == want_rule),
                ];
                for (what, ok) in results {
                    if !ok {
                        failures.push(format!(
                            "{fname} [{}] allow={:?} origin={:?}: {what} disagrees with expect={:?} rule={:?} (engine find={:?}, reference find={:?}) — {}",
                            group.name,
                            group.allow,
                            bytes.escape_ascii().to_string(),
                            case.expect,
                            case.rule,
                            engine.find(&bytes).map(|r| r.index()),
                            naive.find(&bytes),
                            case.why.as_deref().unwrap_or("")
                        ));
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(count >= 300, "the origin tables shrank to {count} cases");
}

#[test]
fn pattern_table() {
    let mut failures = Vec::new();
    let mut count = 0;
    for path in files("patterns") {
        let file: PatternFile = toml::from_str(&std::fs::read_to_string(&path).unwrap())
            .unwrap_or_else(|e| panic!("{path:?}: {e}"));
        for case in &file.case {
            count += 1;
            let mut notes = Vec::new();
            let got = Pattern::parse(&case.entry, &mut notes);
            let why = case.why.as_deref().unwrap_or("");
            match (&case.normalized, &case.error, got) {
                (Some(want), None, Ok(p)) => {
                    let names: Vec<&str> = notes.iter().map(|n| n.name()).collect();
                    if p.to_string() != *want || names != case.notes {
                        failures.push(format!(
                            "{:?}: got `{p}` {names:?}, want `{want}` {:?} — {why}",
                            case.entry, case.notes
                        ));
                    }
                    // The normalized form is a fixed point: it parses to itself with no notes.
                    let mut again = Vec::new();
                    match Pattern::parse(want, &mut again) {
                        Ok(q) if q == p && again.is_empty() => {}
                        other => failures.push(format!(
                            "{want:?} does not re-parse to itself: {other:?} {again:?}"
                        )),
                    }
                    // A valid entry also compiles, unless the table says it is too large.
                    if let Err(e) = OriginMatcher::new(&[&case.entry]) {
                        failures.push(format!(
                            "{:?}: parses but does not compile: {e}",
                            case.entry
                        ));
                    }
                }
                (None, Some(want), Ok(p)) => {
                    // Errors of the compile stage (regex size) show up when building the matcher.
                    match OriginMatcher::new(&[&case.entry]) {
                        Err(e)
                            if e.0.len() == 1
                                && e.0[0].kind.name() == want
                                && e.0[0].index == 0 => {}
                        other => {
                            failures.push(format!(
                            "{:?}: parsed as `{p}` ({:?}), want error {want}: {other:?} — {why}",
                            case.entry,
                            notes.iter().map(|n: &NoteKind| n.name()).collect::<Vec<_>>()
                        ))
                        }
                    }
                }
                (None, Some(want), Err(kind)) => {
                    if kind.name() != want {
                        failures.push(format!(
                            "{:?}: error {}, want {want} — {why}",
                            case.entry,
                            kind.name()
                        ));
                    }
                }
                (Some(want), None, Err(kind)) => {
                    failures.push(format!(
                        "{:?}: error {} ({kind}), want `{want}` — {why}",
                        case.entry,
                        kind.name()
                    ));
                }
                _ => panic!("{:?}: give exactly one of normalized / error", case.entry),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(count >= 100, "the pattern table shrank to {count} cases");
}

/// All errors of a list are reported together, each with its position.
#[test]
fn every_error_of_a_list_is_reported() {
    let entries = [
        "https://ok.example.com",
        "https://bad.example.com/path",
        "https://*.example.com",
        "example.com",
        "regex:(",
        "https://a..b",
    ];
    let errors = OriginMatcher::new(&entries).unwrap_err().0;
    let got: Vec<(usize, &str)> = errors.iter().map(|e| (e.index, e.kind.name())).collect();
    assert_eq!(
        got,
        [
            (1, "path"),
            (3, "missing-scheme"),
            (4, "bad-regex"),
            (5, "empty-label")
        ]
    );
    for e in &errors {
        let text = e.to_string();
        assert!(
            text.contains(&*e.entry) && text.contains(e.kind.fix()),
            "{text}"
        );
    }
}
