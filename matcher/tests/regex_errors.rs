//! Regex build errors by kind: a syntax error keeps its caret diagram, an unsupported feature is not
//! a size error, and regexes that fit alone but not together are each named, with their size alone.

use corsmatch::pattern::PatternErrorKind;
use corsmatch::OriginMatcher;

#[test]
fn syntax_errors_keep_their_diagram() {
    let errors = OriginMatcher::new(&["regex:^https://(app\\.example\\.com$"]).unwrap_err();
    let text = errors.to_string();
    assert_eq!(errors.0[0].kind.name(), "bad-regex");
    assert!(text.contains('\n') && text.contains('^'), "{text}");
    assert!(text.contains("unclosed group"), "{text}");
}

#[test]
fn every_regex_of_a_set_too_large_together_is_named() {
    // Each fits alone (a few kilobytes); together the `[a-z]*XY[a-z]{8}` patterns multiply.
    let letters = b"abcdefghijklmnopqrstuvwxyz";
    let mut entries: Vec<String> = vec!["https://example.com".into()];
    for a in &letters[..12] {
        for b in &letters[..4] {
            entries.push(format!(
                "regex:^https://[a-z]*{}{}[a-z]{{8}}\\.example\\.com$",
                *a as char, *b as char
            ));
        }
    }
    let errors = OriginMatcher::new(&entries).unwrap_err();
    assert_eq!(errors.0.len(), entries.len() - 1, "{errors}");
    for (i, e) in errors.0.iter().enumerate() {
        assert_eq!(e.index, i + 1);
        match &e.kind {
            PatternErrorKind::RegexSetTooLarge { entries: n, .. } => assert_eq!(*n, 48),
            other => panic!("{other:?}"),
        }
    }
    // The smallest ones were measured alone within the budget.
    assert!(errors.0.iter().any(|e| matches!(
        e.kind,
        PatternErrorKind::RegexSetTooLarge { alone: Some(n), .. } if n > 0
    )));
}

#[test]
fn a_regex_too_large_alone_is_blamed_alone() {
    let errors = OriginMatcher::new(&[
        "regex:^https://[a-z]+\\.example\\.com$",
        "regex:^https://[a-z]*a[a-z]{24}\\.example\\.com$",
        "regex:^https://[0-9]+\\.example\\.org$",
    ])
    .unwrap_err();
    assert_eq!(errors.0.len(), 1, "{errors}");
    assert_eq!(errors.0[0].index, 1);
    assert_eq!(errors.0[0].kind.name(), "regex-too-large");
}
