//! The naive reference: a slow, obvious twin of the request grammar and the matcher, used only by tests,
//! fuzzing and benches.
//!
//! The fast engine ([`corsmatch::OriginMatcher`]) is built for speed: zero-copy splitting, hashing, automata.
//! This module is built for being obviously right instead, so that differential tests and fuzzing can
//! catch the engine's bugs. It shares **no code** with the engine: it never touches `corsmatch::origin` or
//! `corsmatch::automata`, and from `corsmatch::pattern` it only reads the already-parsed entries (public fields
//! and [`RegexPattern::source`]). The request grammar is re-implemented here byte by byte from the ABNF in
//! `corpus/cases/README.md` ("The request grammar"), and matching is a linear scan over the entries in
//! config order, with owned `String`s, `Vec`s and `split` where they make the code plainer.
//!
//! Semantics (see `corpus/cases/README.md`, "Semantics decided here"):
//!
//! - a malformed `Origin` value matches nothing;
//! - `*` matches every well-formed origin, `null` included; `null` matches only `null`;
//! - a regex must match the whole origin and never matches `null`;
//! - `scheme://*.base` needs one or more labels before `.base` and never matches an IP host;
//! - the port rule is checked against the origin's explicit port (`None` when it has none);
//! - the host of a special scheme (`http`, `https`, `ws`, `wss`, `ftp`) is lowercase and is what IDNA
//!   ("domain to ASCII") returns unchanged; the host of any other scheme keeps its case and is compared
//!   byte for byte; `file://` is never an origin (browsers send `null`).

use regex::bytes::{Regex, RegexBuilder};

use corsmatch::pattern::{Allowlist, HostSpec, Pattern, PortSpec, RegexPattern};

/// The longest `Origin` value accepted: 64 (scheme) + 3 (`://`) + 253 (host) + 6 (`:65535`).
pub const MAX_ORIGIN_LEN: usize = 326;

/// The longest scheme accepted.
const MAX_SCHEME_LEN: usize = 64;

/// The longest domain or IPv4 host accepted (a trailing dot counts).
const MAX_HOST_LEN: usize = 253;

/// The longest label of a domain.
const MAX_LABEL_LEN: usize = 63;

/// A request origin as the reference understands it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RefOrigin {
    /// The literal `null` (an opaque origin).
    Null,
    /// A tuple origin `scheme://host[:port]`.
    Tuple {
        /// The scheme, lowercase as sent.
        scheme: String,
        /// The host as sent; an IPv6 host keeps its brackets.
        host: String,
        /// The explicit port, `None` when the origin has none.
        port: Option<u16>,
    },
}

/// Validates a request `Origin` value per the request grammar of `corpus/cases/README.md`, written
/// char by char from the ABNF.
///
/// Returns `None` for anything that is not exactly the serialization a browser sends: uppercase, `%`,
/// `@`, `/`, whitespace, non-ASCII, a non-canonical IP address, a default or malformed port, a value over
/// [`MAX_ORIGIN_LEN`] bytes, …
pub fn parse_origin(value: &[u8]) -> Option<RefOrigin> {
    if value.len() > MAX_ORIGIN_LEN {
        return None;
    }
    if value == b"null" {
        return Some(RefOrigin::Null);
    }
    // Only ASCII can be an origin; from here on work on a `&str`.
    if !value.is_ascii() {
        return None;
    }
    let text = std::str::from_utf8(value).ok()?;

    // scheme = lower-alpha *( lower-alpha / DIGIT / "+" / "-" / "." )
    let mut scheme = String::new();
    for (i, c) in text.chars().enumerate() {
        let ok = if i == 0 {
            c.is_ascii_lowercase()
        } else {
            c.is_ascii_lowercase() || c.is_ascii_digit() || c == '+' || c == '-' || c == '.'
        };
        if !ok {
            break;
        }
        scheme.push(c);
    }
    if scheme.is_empty() || scheme.len() > MAX_SCHEME_LEN {
        return None;
    }
    let rest = text[scheme.len()..].strip_prefix("://")?;
    // A page loaded from a `file:` URL has an opaque origin: browsers send `null`.
    if scheme == "file" {
        return None;
    }
    let special = is_special(&scheme);

    // host, then optionally ":" port, then nothing.
    let (host, port_text) = if rest.starts_with('[') {
        let close = rest.find(']')?;
        let host = &rest[..=close];
        let after = &rest[close + 1..];
        if !is_canonical_ipv6(&host[1..host.len() - 1]) {
            return None;
        }
        if after.is_empty() {
            (host, None)
        } else {
            (host, Some(after.strip_prefix(':')?))
        }
    } else {
        let (host, port_text) = match rest.find(':') {
            Some(colon) => (&rest[..colon], Some(&rest[colon + 1..])),
            None => (rest, None),
        };
        if !is_domain_or_ipv4(host, special) {
            return None;
        }
        if special && !is_ip_host(host) && !idna_leaves_unchanged(host) {
            return None;
        }
        (host, port_text)
    };

    let port = match port_text {
        None => None,
        Some(p) => {
            let port = parse_port(p)?;
            if default_port(&scheme) == Some(port) {
                return None;
            }
            Some(port)
        }
    };

    Some(RefOrigin::Tuple {
        scheme,
        host: host.to_string(),
        port,
    })
}

/// The default port of a special scheme, `None` for every other scheme.
fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" | "ws" => Some(80),
        "https" | "wss" => Some(443),
        "ftp" => Some(21),
        _ => None,
    }
}

/// `port`: decimal digits, no leading zero, 1..=65535. Empty is invalid.
fn parse_port(text: &str) -> Option<u16> {
    if text.is_empty() || text.len() > 5 {
        return None;
    }
    if !text.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    if text.starts_with('0') {
        // Covers both "0" and leading zeros such as "080".
        return None;
    }
    let mut n: u32 = 0;
    for c in text.chars() {
        n = n * 10 + (c as u32 - '0' as u32);
    }
    if (1..=65535).contains(&n) {
        Some(n as u16)
    } else {
        None
    }
}

/// The special schemes of the URL standard that can be an origin's (`file` is special but opaque).
fn is_special(scheme: &str) -> bool {
    matches!(scheme, "http" | "https" | "ws" | "wss" | "ftp")
}

/// `origin` (`scheme://host[:port]`) in the case a browser serializes it: the scheme in lowercase,
/// and the host too for a special scheme; an opaque host keeps its case (URL standard, host parser).
/// Without `://`, all of it in lowercase.
pub fn browser_case(origin: &str) -> String {
    match origin.split_once("://") {
        Some((scheme, rest)) => {
            let scheme = scheme.to_lowercase();
            let rest = if is_special(&scheme) {
                rest.to_lowercase()
            } else {
                rest.to_string()
            };
            format!("{scheme}://{rest}")
        }
        None => origin.to_lowercase(),
    }
}

/// Whether the URL standard's "domain to ASCII" (UTS #46 ToASCII as the `idna` crate runs it for the
/// URL standard) accepts `host` and gives it back byte for byte: what a browser sends for a special
/// scheme is always its output.
fn idna_leaves_unchanged(host: &str) -> bool {
    match idna::domain_to_ascii_cow(host.as_bytes(), idna::AsciiDenyList::URL) {
        Ok(ascii) => ascii == host,
        Err(_) => false,
    }
}

/// A domain (with at most one trailing dot) or a canonical dotted quad. Letters are lowercase for a
/// special scheme, either case for any other (an opaque host keeps its case).
fn is_domain_or_ipv4(host: &str, special: bool) -> bool {
    if host.is_empty() || host.len() > MAX_HOST_LEN {
        return false;
    }
    for c in host.chars() {
        let letter = if special {
            c.is_ascii_lowercase()
        } else {
            c.is_ascii_alphabetic()
        };
        let ok = letter || c.is_ascii_digit() || c == '-' || c == '_' || c == '.';
        if !ok {
            return false;
        }
    }
    let has_trailing_dot = host.ends_with('.');
    let without_dot = if has_trailing_dot {
        &host[..host.len() - 1]
    } else {
        host
    };
    let labels: Vec<&str> = without_dot.split('.').collect();
    for label in &labels {
        if label.is_empty() || label.len() > MAX_LABEL_LEN {
            return false;
        }
    }
    let last = labels[labels.len() - 1];
    if is_number_label(last) {
        // The URL parser would read this host as IPv4: only its canonical serialization is valid.
        return !has_trailing_dot && is_canonical_dotted_quad(&labels);
    }
    true
}

/// The URL standard's "ends in a number" test for one label: all digits, or `0x` / `0X` + hex digits.
fn is_number_label(label: &str) -> bool {
    if !label.is_empty() && label.chars().all(|c| c.is_ascii_digit()) {
        return true;
    }
    let hex = label
        .strip_prefix("0x")
        .or_else(|| label.strip_prefix("0X"));
    match hex {
        Some(digits) => digits.chars().all(|c| c.is_ascii_hexdigit()),
        None => false,
    }
}

/// Exactly four decimal labels 0..=255 without leading zeros.
fn is_canonical_dotted_quad(labels: &[&str]) -> bool {
    if labels.len() != 4 {
        return false;
    }
    for label in labels {
        if label.is_empty() || label.len() > 3 || !label.chars().all(|c| c.is_ascii_digit()) {
            return false;
        }
        if label.len() > 1 && label.starts_with('0') {
            return false;
        }
        let n: u32 = label.parse().unwrap_or(u32::MAX);
        if n > 255 {
            return false;
        }
    }
    true
}

/// Whether `text` (between the brackets) is exactly the URL standard's serialization of an IPv6 address:
/// parse it loosely, serialize it canonically, compare.
fn is_canonical_ipv6(text: &str) -> bool {
    match parse_ipv6_groups(text) {
        Some(groups) => serialize_ipv6(&groups) == text,
        None => false,
    }
}

/// Parses `h16 *( ":" h16 )` with at most one `::`, into 8 groups. Hex digits may be either case here;
/// the canonical comparison afterwards rejects anything that is not lowercase.
fn parse_ipv6_groups(text: &str) -> Option<[u16; 8]> {
    fn parse_side(side: &str) -> Option<Vec<u16>> {
        if side.is_empty() {
            return Some(Vec::new());
        }
        let mut out = Vec::new();
        for group in side.split(':') {
            if group.is_empty() || group.len() > 4 || !group.chars().all(|c| c.is_ascii_hexdigit())
            {
                return None;
            }
            out.push(u16::from_str_radix(group, 16).ok()?);
        }
        Some(out)
    }

    let mut groups = [0u16; 8];
    match text.find("::") {
        Some(at) => {
            let left = parse_side(&text[..at])?;
            let right_text = &text[at + 2..];
            if right_text.contains("::") {
                return None;
            }
            let right = parse_side(right_text)?;
            // `::` stands for at least one zero group.
            if left.len() + right.len() > 7 {
                return None;
            }
            for (i, g) in left.iter().enumerate() {
                groups[i] = *g;
            }
            for (i, g) in right.iter().enumerate() {
                groups[8 - right.len() + i] = *g;
            }
        }
        None => {
            let all = parse_side(text)?;
            if all.len() != 8 {
                return None;
            }
            groups.copy_from_slice(&all);
        }
    }
    Some(groups)
}

/// The URL standard's IPv6 serializer (without the brackets): lowercase hex without leading zeros, the
/// first longest run of two or more zero groups written as `::`, never a dotted IPv4 tail.
fn serialize_ipv6(groups: &[u16; 8]) -> String {
    // Find the first longest run of zero groups of length >= 2.
    let mut best_start: Option<usize> = None;
    let mut best_len = 1;
    let mut i = 0;
    while i < 8 {
        if groups[i] == 0 {
            let start = i;
            while i < 8 && groups[i] == 0 {
                i += 1;
            }
            let len = i - start;
            if len > best_len {
                best_len = len;
                best_start = Some(start);
            }
        } else {
            i += 1;
        }
    }

    let mut out = String::new();
    let mut i = 0;
    while i < 8 {
        if Some(i) == best_start {
            out.push_str("::");
            i += best_len;
            continue;
        }
        if !out.is_empty() && !out.ends_with("::") {
            out.push(':');
        }
        out.push_str(&format!("{:x}", groups[i]));
        i += 1;
    }
    out
}

/// Whether a (valid) host is an IP address rather than a domain.
fn is_ip_host(host: &str) -> bool {
    if host.starts_with('[') {
        return true;
    }
    // A valid host whose last label is numeric can only be a canonical dotted quad.
    let last = host.rsplit('.').next().unwrap_or("");
    !host.ends_with('.') && is_number_label(last)
}

/// One entry, ready to be tried.
#[derive(Debug)]
struct RefEntry {
    /// The entry's rule id ([`corsmatch::pattern::Entry::index`]).
    index: usize,
    /// The parsed pattern.
    pattern: Pattern,
    /// For a regex entry, the compiled whole-match regex; `None` if it failed to build.
    regex: Option<Regex>,
}

/// The naive matcher: a linear scan over the entries in config order.
#[derive(Debug)]
pub struct ReferenceMatcher {
    entries: Vec<RefEntry>,
}

impl ReferenceMatcher {
    /// Builds the matcher from already-parsed entries, compiling each regex entry with the `regex` crate
    /// (anchored at both ends, byte-oriented, Unicode off). A regex that fails to build matches nothing.
    pub fn new(list: &Allowlist) -> ReferenceMatcher {
        let mut entries = Vec::new();
        for entry in list.entries() {
            let regex = match &entry.pattern {
                Pattern::Regex(r) => compile_regex(r),
                _ => None,
            };
            entries.push(RefEntry {
                index: entry.index,
                pattern: entry.pattern.clone(),
                regex,
            });
        }
        ReferenceMatcher { entries }
    }

    /// Index (`Entry::index`) of the first entry in config order that matches, `None` if none matches or
    /// the value is malformed.
    pub fn find(&self, origin: &[u8]) -> Option<usize> {
        self.find_parsed(origin, parse_origin(origin).as_ref())
    }

    /// [`ReferenceMatcher::find`], given `parse_origin(origin)`.
    pub fn find_parsed(&self, origin: &[u8], parsed: Option<&RefOrigin>) -> Option<usize> {
        let parsed = parsed?;
        for entry in &self.entries {
            if entry_matches(entry, origin, parsed) {
                return Some(entry.index);
            }
        }
        None
    }

    /// Whether some entry matches `origin`.
    pub fn matches(&self, origin: &[u8]) -> bool {
        self.find(origin).is_some()
    }
}

fn compile_regex(r: &RegexPattern) -> Option<Regex> {
    RegexBuilder::new(&format!("^(?:{})$", r.source()))
        .unicode(false)
        .build()
        .ok()
}

/// Whether one entry matches a well-formed origin (`raw` is its bytes, `parsed` its parts).
fn entry_matches(entry: &RefEntry, raw: &[u8], parsed: &RefOrigin) -> bool {
    match &entry.pattern {
        Pattern::Any => true,
        Pattern::Null => *parsed == RefOrigin::Null,
        Pattern::Regex(_) => {
            if *parsed == RefOrigin::Null {
                return false;
            }
            match &entry.regex {
                Some(re) => re.is_match(raw),
                None => false,
            }
        }
        Pattern::Host(h) => {
            let (scheme, host, port) = match parsed {
                RefOrigin::Null => return false,
                RefOrigin::Tuple { scheme, host, port } => (scheme, host, *port),
            };
            if scheme.as_str() != &*h.scheme {
                return false;
            }
            let port_ok = match h.port {
                PortSpec::Default => port.is_none(),
                PortSpec::Port(p) => port == Some(p),
                PortSpec::Any => true,
                other => unknown(&other),
            };
            if !port_ok {
                return false;
            }
            match &h.host {
                HostSpec::Exact { host: want, .. } => host.as_str() == &**want,
                HostSpec::Subdomains { base } => {
                    if is_ip_host(host) {
                        return false;
                    }
                    let suffix = format!(".{base}");
                    match host.strip_suffix(suffix.as_str()) {
                        Some(prefix) => !prefix.is_empty(),
                        None => false,
                    }
                }
                other => unknown(other),
            }
        }
        other => unknown(other),
    }
}

/// A kind of entry this reference was not written for: a new kind must be added here too.
fn unknown(kind: &dyn std::fmt::Debug) -> ! {
    panic!("the reference does not know the entry kind {kind:?}: add it (ARCHITECTURE.md, \"Adding an allowlist entry kind\")")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tuple(scheme: &str, host: &str, port: Option<u16>) -> Option<RefOrigin> {
        Some(RefOrigin::Tuple {
            scheme: scheme.to_string(),
            host: host.to_string(),
            port,
        })
    }

    fn matcher(entries: &[&str]) -> ReferenceMatcher {
        // Test-only: the allowlist parser builds the input, the reference never calls it itself.
        ReferenceMatcher::new(&Allowlist::parse(entries).expect("valid allowlist"))
    }

    fn ok(s: &str) -> bool {
        parse_origin(s.as_bytes()).is_some()
    }

    #[test]
    fn parses_basic_origins() {
        assert_eq!(parse_origin(b"null"), Some(RefOrigin::Null));
        assert_eq!(
            parse_origin(b"https://example.com"),
            tuple("https", "example.com", None)
        );
        assert_eq!(
            parse_origin(b"http://localhost:3000"),
            tuple("http", "localhost", Some(3000))
        );
        assert_eq!(
            parse_origin(b"http://[::1]:8080"),
            tuple("http", "[::1]", Some(8080))
        );
        assert_eq!(
            parse_origin(b"chrome-extension://abcdef"),
            tuple("chrome-extension", "abcdef", None)
        );
        assert_eq!(
            parse_origin(b"https://example.com."),
            tuple("https", "example.com.", None)
        );
    }

    #[test]
    fn rejects_what_is_not_a_serialized_origin() {
        for bad in [
            "",
            "Null",
            "null ",
            "HTTPS://example.com",
            "https://Example.com",
            "https://example.com/",
            "https://example.com?x",
            "https://evil.com#.example.com",
            "https://example.com@evil.com",
            "https://ex%61mple.com",
            "https://exa mple.com",
            "https://",
            "https://:8080",
            "https://.example.com",
            "https://a..b",
            "https://example.com..",
            "1http://a.com",
            "https:/a.com",
            "https://ex\u{e9}.com",
        ] {
            assert!(!ok(bad), "{bad:?} should be malformed");
        }
        assert!(parse_origin(b"https://a.com\xff").is_none());
    }

    #[test]
    fn lengths() {
        let label63 = "a".repeat(63);
        assert!(ok(&format!("https://{label63}.com")));
        assert!(!ok(&format!("https://{}.com", "a".repeat(64))));
        // 253-byte host: 4 labels of 63 + 3 dots = 255 is too long; 63*3 + 61 + 3 dots = 253 fits.
        let host253 = format!("{label63}.{label63}.{label63}.{}", "a".repeat(61));
        assert_eq!(host253.len(), 253);
        assert!(ok(&format!("x://{host253}")));
        assert!(!ok(&format!("x://{host253}a")));
        // The trailing dot counts.
        assert!(!ok(&format!("x://{host253}.")));
        let scheme64 = format!("a{}", "b".repeat(63));
        assert!(ok(&format!("{scheme64}://a")));
        assert!(!ok(&format!("{scheme64}c://a")));
        // The longest possible valid value is exactly the cap.
        let longest = format!("{scheme64}://{host253}:65535");
        assert_eq!(longest.len(), MAX_ORIGIN_LEN);
        assert!(ok(&longest));
    }

    #[test]
    fn ports() {
        assert!(!ok("https://a.com:443"));
        assert!(!ok("http://a.com:80"));
        assert!(!ok("ws://a.com:80"));
        assert!(!ok("wss://a.com:443"));
        assert!(!ok("ftp://a.com:21"));
        assert!(ok("https://a.com:80"));
        assert!(ok("foo://a.com:80"));
        assert!(ok("foo://a.com:443"));
        assert!(!ok("https://a.com:"));
        assert!(!ok("https://a.com:0"));
        assert!(!ok("https://a.com:08080"));
        assert!(!ok("https://a.com:65536"));
        assert!(!ok("https://a.com:99999"));
        assert!(!ok("https://a.com:100000"));
        assert!(!ok("https://a.com:+80"));
        assert!(!ok("https://a.com:80:80"));
        assert_eq!(
            parse_origin(b"https://a.com:65535"),
            tuple("https", "a.com", Some(65535))
        );
        assert_eq!(
            parse_origin(b"https://a.com:1"),
            tuple("https", "a.com", Some(1))
        );
    }

    #[test]
    fn ipv4_and_numeric_domains() {
        assert!(ok("http://127.0.0.1"));
        assert!(ok("http://0.0.0.0"));
        assert!(ok("http://255.255.255.255"));
        assert!(!ok("http://256.0.0.1"));
        assert!(!ok("http://127.0.0.01"));
        assert!(!ok("http://127.1"));
        assert!(!ok("http://1.2.3.4.5"));
        assert!(!ok("http://1.2.3.4."));
        assert!(!ok("http://example.123"));
        assert!(!ok("http://a.0x1f"));
        assert!(!ok("http://a.0x"));
        assert!(!ok("http://0x7f000001"));
        assert!(!ok("http://a.2.3.4"));
        // Not numbers, so plain domains.
        assert!(ok("http://1.2.3.a"));
        assert!(ok("http://a.0xg"));
        assert!(ok("http://123.example"));
        assert!(ok("http://a.1x"));
    }

    #[test]
    fn ipv6_canonical_forms() {
        for good in [
            "[::]",
            "[::1]",
            "[1::]",
            "[2001:db8::1]",
            "[1:0:0:2::3]",      // first longest run wins
            "[1::2:0:0:3]",      // the longer run is compressed
            "[1:0:2:3:4:5:6:7]", // a single zero group is not compressed
            "[1:2:3:4:5:6:7:8]",
            "[::ffff:102:304]", // IPv4-mapped, hex form
            "[fe80::abcd]",
        ] {
            assert!(ok(&format!("http://{good}")), "{good} should be valid");
        }
        for bad in [
            "[::0:1]",
            "[0::1]",
            "[2001:DB8::1]",
            "[2001:0db8::1]",
            "[1:0:0:2:0:0:0:3]", // the longer run must be compressed
            "[1::2:0:0:0:3]",    // and it is the later one here
            "[1:0::2:3:4:5:6]",
            "[::ffff:1.2.3.4]",
            "[fe80::1%25eth0]",
            "[1:2:3:4:5:6:7:8:9]",
            "[1:2:3:4:5:6:7]",
            "[::1::]",
            "[:::1]",
            "[1:]",
            "[:1]",
            "[]",
            "[12345::]",
            "::1",
            "[::1",
            "[::1]x",
        ] {
            assert!(!ok(&format!("http://{bad}")), "{bad} should be malformed");
        }
    }

    #[test]
    fn wildcard_needs_a_label_boundary() {
        let m = matcher(&["https://*.example.com"]);
        assert_eq!(m.find(b"https://api.example.com"), Some(0));
        assert_eq!(m.find(b"https://a.b.example.com"), Some(0));
        assert_eq!(m.find(b"https://evilexample.com"), None);
        assert_eq!(m.find(b"https://example.com"), None);
        assert_eq!(m.find(b"https://.example.com"), None);
        assert_eq!(m.find(b"https://example.community"), None);
        assert_eq!(m.find(b"https://api.example.com."), None);
        assert_eq!(m.find(b"https://api.example.com:8443"), None);
        assert_eq!(m.find(b"http://api.example.com"), None);
        assert_eq!(m.find(b"https://example.com.evil.com"), None);
    }

    #[test]
    fn ports_in_patterns() {
        let m = matcher(&["http://localhost:*", "https://*.example.com:8443"]);
        assert_eq!(m.find(b"http://localhost"), Some(0));
        assert_eq!(m.find(b"http://localhost:3000"), Some(0));
        assert_eq!(m.find(b"https://localhost:3000"), None);
        assert_eq!(m.find(b"https://a.example.com:8443"), Some(1));
        assert_eq!(m.find(b"https://a.example.com"), None);
        assert_eq!(m.find(b"https://a.example.com:8444"), None);
        let m = matcher(&["http://localhost:3000"]);
        assert!(m.matches(b"http://localhost:3000"));
        assert!(!m.matches(b"http://localhost"));
        assert!(!m.matches(b"http://localhost:30000"));
    }

    #[test]
    fn first_match_in_config_order() {
        let m = matcher(&[
            "null",
            "https://*.example.com",
            "https://api.example.com",
            "*",
        ]);
        assert_eq!(m.find(b"https://api.example.com"), Some(1));
        assert_eq!(m.find(b"null"), Some(0));
        assert_eq!(m.find(b"https://other.org"), Some(3));
        assert_eq!(m.find(b"HTTPS://other.org"), None);
        assert_eq!(m.find(b"https://other.org:443"), None);
    }

    #[test]
    fn null_and_any() {
        let m = matcher(&["*"]);
        assert!(m.matches(b"null"));
        assert!(m.matches(b"tauri://localhost"));
        assert!(!m.matches(b"NULL"));
        let m = matcher(&["https://example.com"]);
        assert!(!m.matches(b"null"));
        assert!(!m.matches(b"https://example.com."));
        assert!(m.matches(b"https://example.com"));
    }

    #[test]
    fn regex_is_whole_match_and_never_null() {
        let m = matcher(&[
            r"regex:https://pr-[0-9]+\.preview\.example\.dev",
            "regex:.*",
        ]);
        assert_eq!(m.find(b"https://pr-12.preview.example.dev"), Some(0));
        assert_eq!(
            m.find(b"https://pr-12.preview.example.dev.evil.com"),
            Some(1)
        );
        assert_eq!(m.find(b"null"), None);
        let m = matcher(&[r"regex:^https://example\.com$"]);
        assert!(m.matches(b"https://example.com"));
        assert!(!m.matches(b"https://example.com.evil.com"));
        assert!(!m.matches(b"https://www.example.com"));
        let m = matcher(&["regex:a|https://b.com"]);
        assert!(
            !m.matches(b"https://a.com"),
            "alternation must stay anchored"
        );
        assert!(m.matches(b"https://b.com"));
    }

    #[test]
    fn ip_hosts_and_wildcards() {
        let m = matcher(&["http://[::1]:8080", "http://127.0.0.1", "https://*.com."]);
        assert_eq!(m.find(b"http://[::1]:8080"), Some(0));
        assert_eq!(m.find(b"http://[::1]"), None);
        assert_eq!(m.find(b"http://127.0.0.1"), Some(1));
        assert_eq!(m.find(b"https://example.com."), Some(2));
        assert_eq!(m.find(b"https://example.com"), None);
        assert!(is_ip_host("1.2.3.4"));
        assert!(is_ip_host("[::1]"));
        assert!(!is_ip_host("1.2.3.a"));
        assert!(!is_ip_host("a.com."));
    }

    #[test]
    fn ipv6_serializer() {
        let s = |g: [u16; 8]| serialize_ipv6(&g);
        assert_eq!(s([0; 8]), "::");
        assert_eq!(s([0, 0, 0, 0, 0, 0, 0, 1]), "::1");
        assert_eq!(s([1, 0, 0, 0, 0, 0, 0, 0]), "1::");
        assert_eq!(s([1, 0, 2, 0, 0, 3, 0, 0]), "1:0:2::3:0:0");
        assert_eq!(s([0, 1, 0, 1, 0, 1, 0, 1]), "0:1:0:1:0:1:0:1");
        assert_eq!(s([0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304]), "::ffff:102:304");
    }
}
