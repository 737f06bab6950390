//! A malformed trace is refused with the line and the column (both 1-based) of the first problem, and a
//! typed kind; `\xNN` takes exactly two hex digits.

use corsmatch_workload::trace::TraceErrorKind;
use corsmatch_workload::Trace;

fn error(text: &str) -> (usize, usize, TraceErrorKind, String) {
    let e = Trace::parse(text).unwrap_err();
    let shown = e.to_string();
    (e.line, e.column, e.kind, shown)
}

#[test]
fn malformed_hex_escapes_name_line_and_column() {
    let header = "# corsmatch trace v1\n";
    for (line, escape) in [
        ("GET\thttps://a.com\\x+1\t-", "\\x+1"),
        ("GET\thttps://a.com\\xg0\t-", "\\xg0"),
        ("GET\thttps://a.com\\x4\t-", "\\x4"),
        ("GET\thttps://a.com\\x\t-", "\\x"),
    ] {
        let text = format!("{header}OPTIONS\thttps://a.com\tPUT\n{line}\n");
        let (l, column, kind, shown) = error(&text);
        assert_eq!((l, column), (3, 18), "{line:?}: {shown}");
        assert_eq!(kind, TraceErrorKind::BadHexEscape(escape.to_string()));
        assert!(
            shown.starts_with("line 3, column 18: bad escape `"),
            "{shown}"
        );
    }
}

#[test]
fn a_plus_sign_is_not_a_hex_digit() {
    // `u8::from_str_radix("+1", 16)` is 1: the escape must not be read as 0x01.
    assert!(Trace::parse("GET\t\\x+1\t-\n").is_err());
    assert!(Trace::parse("GET\t\\x-1\t-\n").is_err());
    let ok = Trace::parse("GET\t\\x01\\xAb\t-\n").unwrap();
    assert_eq!(ok.requests[0].origin.as_deref(), Some(&b"\x01\xab"[..]));
}

#[test]
fn columns_count_characters_and_later_fields() {
    // Three 2-byte characters before the bad escape in the fourth field: column 15, not byte 18.
    let (line, column, kind, _) = error("OPTIONS\té\t-\téé\\q\n");
    assert_eq!((line, column), (1, 15));
    assert_eq!(kind, TraceErrorKind::UnknownEscape(Some('q')));
    // A bad escape right after a multi-byte character does not split it.
    let (_, column, kind, _) = error("GET\té\\xé\t-\n");
    assert_eq!(column, 6);
    assert_eq!(kind, TraceErrorKind::BadHexEscape("\\xé".to_string()));
    // A truncated escape at the very end of the line, in a header field.
    let (line, column, kind, _) = error("# c\nOPTIONS\t-\tPUT\tx\\x4");
    assert_eq!((line, column), (2, 16));
    assert_eq!(kind, TraceErrorKind::BadHexEscape("\\x4".to_string()));
}
