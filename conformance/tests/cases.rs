//! Runs the conformance tables under `corpus/cases/` against the engine and the reference.
//!
//! Every failing case is collected and reported at once, with its file, group and `why`.

use corsmatch::origin;
use corsmatch::pattern::{NoteKind, Pattern};
use corsmatch::{Allowlist, OriginMatcher};
use corsmatch_conformance::cases::{self, Expect, PatternExpect};
use corsmatch_conformance::reference::{self, ReferenceMatcher};

#[test]
fn origin_tables() {
    let mut failures = Vec::new();
    let mut count = 0;
    for table in cases::origin_tables().unwrap_or_else(|e| panic!("{e}")) {
        let fname = &table.file;
        for group in &table.content.group {
            let list = Allowlist::parse(&group.allow)
                .unwrap_or_else(|e| panic!("{fname} [{}]: {e}", group.name));
            let engine =
                OriginMatcher::from_allowlist(&list).unwrap_or_else(|e| panic!("{fname}: {e}"));
            let naive = ReferenceMatcher::new(&list);
            for case in &group.cases {
                count += 1;
                let bytes = &case.origin;
                let want_rule = case.rule;
                let valid = case.expect != Expect::Malformed;
                let results = [
                    ("engine grammar", origin::parse(bytes).is_ok() == valid),
                    (
                        "reference grammar",
                        reference::parse_origin(bytes).is_some() == valid,
                    ),
                    (
                        "engine matches",
                        engine.matches(bytes) == want_rule.is_some(),
                    ),
                    (
                        "engine find",
                        engine.find(bytes).map(|r| r.index()) == want_rule,
                    ),
                    (
                        "reference matches",
                        naive.matches(bytes) == want_rule.is_some(),
                    ),
                    ("reference find", naive.find(bytes) == want_rule),
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
                            engine.find(bytes).map(|r| r.index()),
                            naive.find(bytes),
                            case.why
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
    for table in cases::pattern_tables().unwrap_or_else(|e| panic!("{e}")) {
        for case in &table.content.case {
            count += 1;
            let mut notes = Vec::new();
            let got = Pattern::parse(&case.entry, &mut notes);
            let why = &case.why;
            match (&case.expect, got) {
                (
                    PatternExpect::Normalized {
                        form: want,
                        notes: want_notes,
                    },
                    Ok(p),
                ) => {
                    let names: Vec<&str> = notes.iter().map(|n| n.name()).collect();
                    if p.to_string() != *want || names != *want_notes {
                        failures.push(format!(
                            "{:?}: got `{p}` {names:?}, want `{want}` {want_notes:?} — {why}",
                            case.entry
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
                (PatternExpect::Error(want), Ok(p)) => {
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
                (PatternExpect::Error(want), Err(kind)) => {
                    if kind.name() != want {
                        failures.push(format!(
                            "{:?}: error {}, want {want} — {why}",
                            case.entry,
                            kind.name()
                        ));
                    }
                }
                (PatternExpect::Normalized { form: want, .. }, Err(kind)) => {
                    failures.push(format!(
                        "{:?}: error {} ({kind}), want `{want}` — {why}",
                        case.entry,
                        kind.name()
                    ));
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
