//! [`Parts`]: an origin cut on the grammar's delimiters without validating it.
//!
//! [`super::OriginMatcher::matches`] does not run the grammar on a miss (denial is the default), so it
//! probes its structures with these unvalidated parts, and a hit validates only what its structure did
//! not prove (see the parent module). Cutting looks at the scheme and at most six bytes at the end;
//! the grammar would look at every byte.

use crate::origin;

/// An origin cut on the grammar's delimiters **without** validating it, for the probes of
/// [`super::OriginMatcher::matches`]: the scheme ends at the first `:`, which `//` must follow; the
/// port is the one to five digits after the last `:`, if the origin ends so; the host is what lies
/// between.
///
/// For a valid origin these are exactly the parts [`origin::parse`] finds: in a valid origin a `:`
/// after the scheme's is the port's, or one inside IPv6 brackets, which a `]` follows; and a valid port
/// has at most five digits. For an invalid origin the cut proves nothing, which is harmless: every probe that hits re-validates each part it did not prove (see the parent
/// module's docs).
#[derive(Clone, Copy, Debug)]
pub(super) struct Parts<'a> {
    pub(super) scheme: &'a [u8],
    pub(super) host: &'a [u8],
    /// `scheme://host`.
    pub(super) without_port: &'a [u8],
    pub(super) port: Option<&'a [u8]>,
}

impl<'a> Parts<'a> {
    #[inline]
    pub(super) fn of(origin: &'a [u8]) -> Option<Parts<'a>> {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// `(scheme, host, without_port, port)` as text.
    fn cut(origin: &str) -> Option<(&str, &str, &str, Option<&str>)> {
        fn text(b: &[u8]) -> &str {
            std::str::from_utf8(b).unwrap()
        }
        let p = Parts::of(origin.as_bytes())?;
        Some((
            text(p.scheme),
            text(p.host),
            text(p.without_port),
            p.port.map(text),
        ))
    }

    #[test]
    fn valid_origins() {
        assert_eq!(
            cut("https://example.com"),
            Some(("https", "example.com", "https://example.com", None))
        );
        assert_eq!(
            cut("http://localhost:3000"),
            Some(("http", "localhost", "http://localhost", Some("3000")))
        );
        assert_eq!(
            cut("https://[::1]:8443"),
            Some(("https", "[::1]", "https://[::1]", Some("8443")))
        );
        assert_eq!(
            cut("https://[::1]"),
            Some(("https", "[::1]", "https://[::1]", None))
        );
        assert_eq!(
            cut("http://1.2.3.4"),
            Some(("http", "1.2.3.4", "http://1.2.3.4", None))
        );
        assert_eq!(
            cut("capacitor://MyApp"),
            Some(("capacitor", "MyApp", "capacitor://MyApp", None))
        );
        assert_eq!(
            cut("ws://a.b:65535"),
            Some(("ws", "a.b", "ws://a.b", Some("65535")))
        );
    }

    #[test]
    fn invalid_origins_are_cut_without_judging() {
        // Nothing is validated: the case of the scheme, userinfo, an empty port or host.
        assert_eq!(cut("HTTPS://x"), Some(("HTTPS", "x", "HTTPS://x", None)));
        assert_eq!(
            cut("https://user@host:8080"),
            Some(("https", "user@host", "https://user@host", Some("8080")))
        );
        assert_eq!(cut("http://a:"), Some(("http", "a", "http://a", Some(""))));
        assert_eq!(cut("http://:80"), Some(("http", "", "http://", Some("80"))));
        assert_eq!(cut("https://"), Some(("https", "", "https://", None)));
        // A port has at most five digits: six leave the `:` in the host.
        assert_eq!(
            cut("http://a:123456"),
            Some(("http", "a:123456", "http://a:123456", None))
        );
    }

    #[test]
    fn no_scheme_no_parts() {
        for origin in [
            "",
            "null",
            "https:example.com",
            "https:/example.com",
            "example.com",
        ] {
            assert_eq!(cut(origin), None, "{origin}");
        }
        // The scheme's `:` is looked for in the first MAX_SCHEME_LEN + 1 bytes only.
        let longest = format!("{}://x", "a".repeat(origin::MAX_SCHEME_LEN));
        assert_eq!(cut(&longest).map(|p| p.1), Some("x"));
        let too_long = format!("{}://x", "a".repeat(origin::MAX_SCHEME_LEN + 1));
        assert_eq!(cut(&too_long), None);
    }

    #[test]
    fn a_valid_cut_is_what_the_grammar_says() {
        let origins = [
            "https://example.com",
            "https://a.b-c.d_e.example.com",
            "http://localhost:3000",
            "https://example.com.",
            "https://example.com..",
            "https://.example.com",
            "https://a..b",
            "https://example.123",
            "https://example.0x1f",
            "https://example.0xg",
            "https://1.2.3.4",
            "https://1.2.3.04",
            "https://[::1]",
            "https://[::1]:8443",
            "https://EXAMPLE.com",
            "capacitor://MyApp",
            "capacitor://My.App:99",
            "Capacitor://x",
            "c+d.e-f://x",
            "1ab://x",
            "file://x",
            "https://xn--bcher-kva.example",
            "https://xn--a.example",
            "https://a_b.example",
            "https://a%41.example",
            "https://a@b",
            "https://a:b:80",
            "https://",
            "ws://a.b:65535",
            "https://example.com:443",
        ];
        let long_label = format!("https://{}.com", "a".repeat(64));
        let long_host = format!("https://{}.com", vec!["a".repeat(60); 5].join("."));
        let all = origins
            .iter()
            .map(|o| o.to_string())
            .chain([long_label, long_host]);
        for o in all {
            let Some(p) = Parts::of(o.as_bytes()) else {
                continue;
            };
            if origin::check_port(p.scheme, p.port).is_err() {
                assert!(origin::parse(o.as_bytes()).is_err(), "{o}");
                continue;
            }
            assert_eq!(
                origin::is_valid_cut(o.as_bytes(), p.scheme, p.host),
                origin::parse(o.as_bytes()).is_ok(),
                "{o}"
            );
        }
    }
}
