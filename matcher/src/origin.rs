//! The request-side grammar: validate and split an `Origin` header value.
//!
//! Browsers send the ASCII serialization of an origin (URL standard, §4.6 "origin", "ASCII
//! serialization of an origin") or the string `null` (Fetch, §3.2.5 "`Origin` header"). corsmatch
//! accepts exactly those bytes and nothing else. In particular it never normalizes a request: no
//! lowercasing, no percent-decoding, no trimming. A value that a browser would not have produced is
//! denied, because every normalization step is a way to make two different strings compare equal, which
//! is how allowlists get bypassed (`https://EXAMPLE.com`, `https://ex%61mple.com`).
//!
//! The grammar (`corpus/cases/README.md`, "The request grammar"):
//!
//! ```text
//! origin  = "null" / scheme "://" host [ ":" port ]
//! scheme  = lower-alpha *( lower-alpha / DIGIT / "+" / "-" / "." )     ; at most 64 bytes; not "file"
//! host    = domain / ipv4 / "[" ipv6 "]"
//! domain  = label *( "." label ) [ "." ]     ; at most 253 bytes
//! label   = 1*63( lower-alpha / DIGIT / "-" / "_" )     ; special schemes
//! label   = 1*63( ALPHA / DIGIT / "-" / "_" )           ; other schemes: case is kept
//! ipv4    = canonical dotted quad
//! ipv6    = canonical text (RFC 5952 / URL standard §3.6 "IPv6 serializer"), no embedded IPv4, no zone
//! port    = 1..65535, no leading zero, never the scheme's default
//! ```
//!
//! A domain whose last label is a number (all digits, or `0x` followed by hex digits) is what the URL
//! standard's "ends in a number checker" (§3.5 "host parsing") hands to the IPv4 parser, so it is a valid
//! host only as a canonical dotted quad.
//!
//! The URL standard treats hosts differently by scheme (§3.5 "host parser", step "If isOpaque is
//! true"):
//!
//! * The host of a **special** scheme (`http`, `https`, `ws`, `wss`, `ftp`) goes
//!   through "domain to ASCII" (§3.3, UTS #46 ToASCII with CheckHyphens, VerifyDnsLength and beStrict
//!   false), which lowercases it and turns Unicode into punycode. A browser therefore only sends a
//!   lowercase host whose `xn--` labels ToASCII accepts and leaves unchanged; a host with an `xn--`
//!   label is checked against ToASCII, anything else is lowercase ASCII that ToASCII
//!   maps to itself.
//! * The host of any other scheme is an **opaque host** (§3.5 "opaque-host parser"): no IDNA, no
//!   lowercasing. `capacitor://MyApp` is sent as is and is a different origin from `capacitor://myapp`,
//!   so uppercase letters are valid there, and `xn--` labels are plain bytes. corsmatch keeps its
//!   label grammar for these hosts (the URL standard would also allow `!`, `$`, `%XX` and others).
//! * `file` is special, but a document loaded from a `file:` URL has an opaque origin (§4.6
//!   "origin" of a URL: "left as an exercise to the reader"), which browsers serialize as `null`: a
//!   `file://` value is never sent.
//!
//! This module is the only place in the library that parses origins. [`parse`] does one forward pass
//! over at most [`MAX_ORIGIN_LEN`] bytes and allocates nothing; the [`Origin`] it returns borrows the
//! input.

use core::fmt;

/// The longest `Origin` value accepted: a 64-byte scheme, `://`, a 253-byte host and `:65535`.
///
/// Longer values are rejected before any other byte is looked at.
pub const MAX_ORIGIN_LEN: usize = MAX_SCHEME_LEN + 3 + MAX_DOMAIN_LEN + 6;
/// The longest scheme accepted.
pub const MAX_SCHEME_LEN: usize = 64;
/// The longest domain (host) accepted, trailing dot included.
pub const MAX_DOMAIN_LEN: usize = 253;
/// The longest label accepted.
pub(crate) const MAX_LABEL_LEN: usize = 63;

/// What kind of host an origin has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HostKind {
    /// A domain name (`example.com`, `localhost`, `example.com.`).
    Domain,
    /// A canonical dotted-quad IPv4 address (`127.0.0.1`).
    Ipv4,
    /// A canonical IPv6 address in brackets (`[::1]`).
    Ipv6,
}

/// A validated `Origin` value, borrowing the request's bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Origin<'a> {
    /// The opaque origin, sent as `null`.
    Null,
    /// A tuple origin: scheme, host and optional port.
    Tuple(TupleOrigin<'a>),
}

/// A tuple origin (scheme, host, port), as offsets into the request's bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TupleOrigin<'a> {
    bytes: &'a [u8],
    scheme_end: u16,
    host_end: u16,
    host_kind: HostKind,
    port: Option<u16>,
}

impl<'a> TupleOrigin<'a> {
    /// The whole serialized origin, exactly as received.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The scheme, without `://`.
    pub fn scheme(&self) -> &'a [u8] {
        &self.bytes[..usize::from(self.scheme_end)]
    }

    /// The host as serialized: a domain, a dotted quad, or an IPv6 address **with** its brackets.
    pub fn host(&self) -> &'a [u8] {
        &self.bytes[usize::from(self.scheme_end) + 3..usize::from(self.host_end)]
    }

    /// What kind of host this is.
    pub fn host_kind(&self) -> HostKind {
        self.host_kind
    }

    /// The explicit port, if any (never the scheme's default: that is rejected).
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// `scheme://host`, the serialization without its port.
    pub fn without_port(&self) -> &'a [u8] {
        &self.bytes[..usize::from(self.host_end)]
    }
}

/// Which rule of the grammar a value broke.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OriginErrorKind {
    /// The value is empty.
    Empty,
    /// The value is longer than [`MAX_ORIGIN_LEN`].
    TooLong,
    /// There is no `scheme://` (and the value is not `null`).
    MissingScheme,
    /// The scheme holds a byte outside its set, or does not start with a letter.
    BadScheme,
    /// The scheme is longer than [`MAX_SCHEME_LEN`].
    SchemeTooLong,
    /// An ASCII uppercase letter in the scheme, or in the host of a special scheme: browsers
    /// serialize those in lowercase (the host of any other scheme keeps its case).
    Uppercase,
    /// A `%`: browsers never send a percent-encoded origin.
    PercentEncoded,
    /// Userinfo (`user@`): origins never carry it.
    Userinfo,
    /// A `/` after the host: origins have no path, not even `/`.
    Path,
    /// A `?`: origins have no query.
    Query,
    /// A `#`: origins have no fragment.
    Fragment,
    /// A byte that no part of an origin may hold (space, control, non-ASCII, `` ` ``, `{`, …).
    BadByte,
    /// Nothing between `://` and the port or the end.
    EmptyHost,
    /// An empty label (`a..b`, `.a`, a second trailing dot).
    EmptyLabel,
    /// A label over 63 bytes (RFC 1035 §2.3.4).
    LabelTooLong,
    /// A domain over [`MAX_DOMAIN_LEN`] bytes.
    DomainTooLong,
    /// The last label is a number but the host is not a canonical dotted quad
    /// (`127.1`, `1.2.3.04`, `example.123`, `0x7f.0.0.1`).
    NumericDomain,
    /// A bracketed host that is not canonical IPv6 text.
    BadIpv6,
    /// A port that is empty, not decimal, has a leading zero, is 0 or exceeds 65535.
    BadPort,
    /// The scheme's default port written out (`https://a.com:443`): browsers omit it.
    DefaultPort,
    /// The scheme is `file`: browsers send `null` for documents loaded from `file:` URLs.
    FileScheme,
    /// A host of a special scheme with an `xn--` label that IDNA (UTS #46 ToASCII, as the URL
    /// standard's "domain to ASCII" runs it) rejects or would rewrite: not valid punycode, or the
    /// decoded label (or the domain as a whole, for the bidi rule) is not a valid IDN.
    BadPunycode,
}

impl OriginErrorKind {
    /// A short stable name (kebab-case), for logs and machine-readable output.
    pub fn name(self) -> &'static str {
        match self {
            Self::Empty => "empty",
            Self::TooLong => "too-long",
            Self::MissingScheme => "missing-scheme",
            Self::BadScheme => "bad-scheme",
            Self::SchemeTooLong => "scheme-too-long",
            Self::Uppercase => "uppercase",
            Self::PercentEncoded => "percent-encoded",
            Self::Userinfo => "userinfo",
            Self::Path => "path",
            Self::Query => "query",
            Self::Fragment => "fragment",
            Self::BadByte => "bad-byte",
            Self::EmptyHost => "empty-host",
            Self::EmptyLabel => "empty-label",
            Self::LabelTooLong => "label-too-long",
            Self::DomainTooLong => "domain-too-long",
            Self::NumericDomain => "numeric-domain",
            Self::BadIpv6 => "bad-ipv6",
            Self::BadPort => "bad-port",
            Self::DefaultPort => "default-port",
            Self::FileScheme => "file-scheme",
            Self::BadPunycode => "bad-punycode",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Self::Empty => "the value is empty",
            Self::TooLong => "the value is longer than any serialized origin can be",
            Self::MissingScheme => "there is no `scheme://`",
            Self::BadScheme => {
                "the scheme must be a lowercase letter followed by letters, digits, `+`, `-` or `.`"
            }
            Self::SchemeTooLong => "the scheme is longer than 64 bytes",
            Self::Uppercase => {
                "an uppercase letter: browsers send the scheme, and the host of http(s), ws(s) and ftp, in lowercase"
            }
            Self::PercentEncoded => "a `%`: browsers never percent-encode an origin",
            Self::Userinfo => "userinfo (`@`): an origin never carries it",
            Self::Path => "a `/` after the host: an origin has no path",
            Self::Query => "a `?`: an origin has no query",
            Self::Fragment => "a `#`: an origin has no fragment",
            Self::BadByte => "a byte that no origin may hold",
            Self::EmptyHost => "the host is empty",
            Self::EmptyLabel => "an empty label in the host",
            Self::LabelTooLong => "a label longer than 63 bytes",
            Self::DomainTooLong => "a host longer than 253 bytes",
            Self::NumericDomain => "the host ends in a number but is not a canonical IPv4 address",
            Self::BadIpv6 => "the bracketed host is not canonical IPv6 text",
            Self::BadPort => "the port must be 1..65535 with no leading zero",
            Self::DefaultPort => "the scheme's default port is written out; browsers omit it",
            Self::FileScheme => "a `file:` origin: browsers send `null` for file pages",
            Self::BadPunycode => {
                "an `xn--` label that IDNA rejects or rewrites: browsers never send such a host"
            }
        }
    }
}

/// Why a value is not a serialized origin: the rule it broke and the byte offset where it was seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct OriginError {
    kind: OriginErrorKind,
    at: usize,
}

impl OriginError {
    /// The rule that was broken.
    pub fn kind(&self) -> OriginErrorKind {
        self.kind
    }

    /// The byte offset in the value where the problem was detected.
    pub fn offset(&self) -> usize {
        self.at
    }
}

impl fmt::Display for OriginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at byte {})", self.kind.describe(), self.at)
    }
}

impl std::error::Error for OriginError {}

fn err<T>(kind: OriginErrorKind, at: usize) -> Result<T, OriginError> {
    Err(OriginError { kind, at })
}

/// Whether `scheme` is special (URL standard §4.1 "special scheme"): `ftp`, `file`, `http`, `https`,
/// `ws`, `wss`. The host of a special scheme is a domain run through "domain to ASCII" (lowercase,
/// punycode); the host of any other scheme is an opaque host, whose case is kept.
#[inline(always)]
pub(crate) fn is_special(scheme: &[u8]) -> bool {
    // By length first: each comparison is then one or two integer compares.
    match scheme.len() {
        2 => scheme == b"ws",
        3 => scheme == b"wss" || scheme == b"ftp",
        4 => scheme == b"http" || scheme == b"file",
        5 => scheme == b"https",
        _ => false,
    }
}

/// The default port of a special scheme (URL standard §4.1 "special scheme"), `None` for every other.
pub fn default_port(scheme: &[u8]) -> Option<u16> {
    match scheme {
        b"http" | b"ws" => Some(80),
        b"https" | b"wss" => Some(443),
        b"ftp" => Some(21),
        _ => None,
    }
}

// Byte classes, one table lookup per byte on the host scan.
const LABEL: u8 = 1; // a-z 0-9 - _
const SCHEME: u8 = 2; // a-z 0-9 + - .
const UPPER: u8 = 4; // A-Z: label bytes of opaque hosts only
const WORD: u8 = 8; // a-z 0-9 _: the label bytes but `-`, which an `xn--` prefix needs

/// The bytes a label may hold: lowercase for a special scheme, either case for any other.
#[inline(always)]
fn label_class(special: bool) -> u8 {
    if special {
        LABEL
    } else {
        LABEL | UPPER
    }
}

/// [`label_class`] without `-`.
#[inline(always)]
fn word_class(special: bool) -> u8 {
    if special {
        WORD
    } else {
        WORD | UPPER
    }
}

static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = b'a';
    while b <= b'z' {
        t[b as usize] = LABEL | SCHEME | WORD;
        b += 1;
    }
    let mut d = b'0';
    while d <= b'9' {
        t[d as usize] = LABEL | SCHEME | WORD;
        d += 1;
    }
    t[b'-' as usize] = LABEL | SCHEME;
    t[b'.' as usize] = SCHEME;
    t[b'_' as usize] = LABEL | WORD;
    t[b'+' as usize] = SCHEME;
    let mut u = b'A';
    while u <= b'Z' {
        t[u as usize] = UPPER;
        u += 1;
    }
    t
};

/// Classifies a byte that ended a scan unexpectedly.
fn unexpected(b: u8) -> OriginErrorKind {
    match b {
        b'A'..=b'Z' => OriginErrorKind::Uppercase,
        b'%' => OriginErrorKind::PercentEncoded,
        b'@' => OriginErrorKind::Userinfo,
        b'/' => OriginErrorKind::Path,
        b'?' => OriginErrorKind::Query,
        b'#' => OriginErrorKind::Fragment,
        _ => OriginErrorKind::BadByte,
    }
}

/// Validates `bytes` as a serialized origin and splits it into its parts.
///
/// Allocation-free and linear; rejects values longer than [`MAX_ORIGIN_LEN`] without scanning them.
pub fn parse(bytes: &[u8]) -> Result<Origin<'_>, OriginError> {
    use OriginErrorKind as K;
    if bytes.is_empty() {
        return err(K::Empty, 0);
    }
    if bytes.len() > MAX_ORIGIN_LEN {
        return err(K::TooLong, MAX_ORIGIN_LEN);
    }
    if bytes == b"null" {
        return Ok(Origin::Null);
    }

    // scheme
    if !bytes[0].is_ascii_lowercase() {
        return err(
            if bytes[0].is_ascii_uppercase() {
                K::Uppercase
            } else {
                K::BadScheme
            },
            0,
        );
    }
    let mut i = 1;
    while i < bytes.len() && CLASS[usize::from(bytes[i])] & SCHEME != 0 {
        i += 1;
    }
    if i == bytes.len() {
        return err(K::MissingScheme, i);
    }
    if bytes[i] != b':' {
        let kind = match bytes[i] {
            b'A'..=b'Z' => K::Uppercase,
            _ => K::BadScheme,
        };
        return err(kind, i);
    }
    if i > MAX_SCHEME_LEN {
        return err(K::SchemeTooLong, MAX_SCHEME_LEN);
    }
    let scheme_end = i;
    if bytes.get(i + 1) != Some(&b'/') || bytes.get(i + 2) != Some(&b'/') {
        return err(K::MissingScheme, i);
    }
    let scheme = &bytes[..scheme_end];
    let special = is_special(scheme);
    if special && scheme == b"file" {
        return err(K::FileScheme, 0);
    }
    let host_start = i + 3;

    // host
    let (host_end, host_kind) = if bytes.get(host_start) == Some(&b'[') {
        let Some(close) = bytes[host_start..].iter().position(|&b| b == b']') else {
            return err(K::BadIpv6, host_start);
        };
        let close = host_start + close;
        if !is_canonical_ipv6(&bytes[host_start + 1..close]) {
            return err(K::BadIpv6, host_start + 1);
        }
        (close + 1, HostKind::Ipv6)
    } else {
        scan_host(bytes, host_start, special)?
    };

    // port
    let port = if host_end == bytes.len() {
        None
    } else if bytes[host_end] != b':' {
        return err(unexpected(bytes[host_end]), host_end);
    } else {
        let digits = &bytes[host_end + 1..];
        let at = host_end + 1;
        let port = parse_port(digits).map_err(|k| OriginError { kind: k, at })?;
        if default_port(scheme) == Some(port) {
            return err(K::DefaultPort, at);
        }
        Some(port)
    };

    Ok(Origin::Tuple(TupleOrigin {
        bytes,
        // Both fit: the value is at most MAX_ORIGIN_LEN (< u16::MAX) bytes long.
        scheme_end: scheme_end as u16,
        host_end: host_end as u16,
        host_kind,
        port,
    }))
}

/// Validates the port part of an origin (the bytes after the `:` that follows the host) for `scheme`
/// (known valid): `Ok(None)` for no port, the
/// port when it is valid and not the scheme's default, `Err` otherwise.
#[inline]
pub(crate) fn check_port(
    scheme: &[u8],
    port: Option<&[u8]>,
) -> Result<Option<u16>, OriginErrorKind> {
    match port {
        None => Ok(None),
        Some(digits) => {
            let port = parse_port(digits)?;
            if default_port(scheme) == Some(port) {
                Err(OriginErrorKind::DefaultPort)
            } else {
                Ok(Some(port))
            }
        }
    }
}

/// What [`check_labels`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Labels {
    /// Not one or more valid labels joined by `.`.
    Malformed,
    /// Valid labels; for a special scheme, none of them starts with `xn--`.
    Valid,
    /// Valid labels of a special scheme, one or more of which starts with `xn--`: the whole host
    /// must still pass [`idna_accepts`].
    Punycode,
}

/// Checks that `labels` is one or more valid labels joined by `.` (no trailing dot): the part of a
/// host in front of a known-valid domain. `special` is [`is_special`] of the scheme: it decides
/// whether uppercase letters are allowed and whether `xn--` labels need IDNA.
#[inline]
pub(crate) fn check_labels(labels: &[u8], special: bool) -> Labels {
    // One copy of the loop per case, so that the byte class is a constant in each.
    if special {
        scan_labels::<true>(labels)
    } else {
        scan_labels::<false>(labels)
    }
}

/// Whether an origin that [`crate::automata`] cut into `scheme` and `host` (its port already
/// validated for that scheme by [`check_port`]) is a serialized origin: what [`parse`] of `origin`
/// decides, by a shorter road for the common shape (a valid scheme other than `file`, a domain of
/// one or more labels with no trailing dot, no `xn--` label for a special scheme, at most
/// [`MAX_DOMAIN_LEN`] bytes, not ending in a number) and by [`parse`] itself for anything else.
#[inline]
pub(crate) fn is_valid_cut(origin: &[u8], scheme: &[u8], host: &[u8]) -> bool {
    let special = is_special(scheme);
    let scheme_ok = if special {
        scheme != b"file"
    } else {
        scheme.first().is_some_and(u8::is_ascii_lowercase)
            && scheme.len() <= MAX_SCHEME_LEN
            && scheme.iter().all(|&b| CLASS[usize::from(b)] & SCHEME != 0)
    };
    if scheme_ok && host.len() <= MAX_DOMAIN_LEN && check_labels(host, special) == Labels::Valid {
        // Labels::Valid: non-empty labels, so the last one is too.
        let last = host
            .iter()
            .rposition(|&b| b == b'.')
            .map_or(host, |dot| &host[dot + 1..]);
        if !last[0].is_ascii_digit() || !is_number(last) {
            return true;
        }
    }
    parse(origin).is_ok()
}

#[inline(always)]
fn scan_labels<const SPECIAL: bool>(labels: &[u8]) -> Labels {
    let class = word_class(SPECIAL);
    // One pass: `len` is the length of the label being read, and a `.` must end a non-empty one.
    // `-` is rare, so it leaves the common path; a label with `-` as its third and fourth bytes
    // (where `xn--` has them) makes the labels be looked at again for an `xn--` prefix.
    let mut len = 0usize;
    let mut hyphen_at = 0usize;
    let mut maybe_punycode = false;
    for &b in labels {
        if CLASS[usize::from(b)] & class != 0 {
            len += 1;
            if len > MAX_LABEL_LEN {
                return Labels::Malformed;
            }
        } else if b == b'.' && len != 0 {
            len = 0;
        } else if b == b'-' {
            maybe_punycode |= len == 3 && hyphen_at == 2;
            hyphen_at = len;
            len += 1;
            if len > MAX_LABEL_LEN {
                return Labels::Malformed;
            }
        } else {
            return Labels::Malformed;
        }
    }
    if len == 0 {
        Labels::Malformed
    } else if SPECIAL && maybe_punycode && has_punycode_label(labels) {
        Labels::Punycode
    } else {
        Labels::Valid
    }
}

/// Whether some label of `host` starts with `xn--`.
#[inline(never)]
pub(crate) fn has_punycode_label(host: &[u8]) -> bool {
    host.split(|&b| b == b'.')
        .any(|label| label.starts_with(b"xn--"))
}

/// A valid IDNA label of one right-to-left letter (U+05D0 HEBREW LETTER ALEF): put beside a label,
/// it makes the domain a "bidi domain name", whose every label must then satisfy RFC 5893's Bidi Rule.
const RTL_LABEL: &[u8] = b"xn--4db";

/// Whether the URL standard's "domain to ASCII" (§3.3: UTS #46 ToASCII with CheckHyphens,
/// VerifyDnsLength and beStrict false, and the forbidden domain code points) accepts `host` and
/// returns it unchanged: the condition for a browser to send `host` with a special scheme.
///
/// `host` is a domain that passed the grammar for a special scheme (ASCII, lowercase, labels of at
/// most [`MAX_LABEL_LEN`] bytes, at most one trailing dot). Such a host maps to itself unless it has
/// an `xn--` label, which ToASCII decodes and validates (RFC 3492 punycode, NFC, the UTS #46 mapping
/// status of each code point, CheckJoiners, CheckBidi, no leading combining mark, not all ASCII).
///
/// UTS #46 validity is per label except for the Bidi Rule, which applies to every label once some
/// label holds a right-to-left character. So each `xn--` label is run through the `idna` crate on its
/// own, and, when one of them makes the domain a bidi domain, every label is run again beside
/// [`RTL_LABEL`] in a stack buffer: inputs of one or two labels stay within the crate's inline
/// buffers, whatever the number of labels of `host`. This allocates nothing, with one exception: a
/// decoded label holding a run of more combining marks than the normalizer's inline buffer (17
/// characters) makes it spill to the heap. No real name has one; the cost is two small allocations.
#[cold]
#[inline(never)]
pub(crate) fn idna_accepts(host: &[u8]) -> bool {
    let host = host.strip_suffix(b".").unwrap_or(host);
    let mut bidi = false;
    for label in host.split(|&b| b == b'.') {
        if label.len() > MAX_LABEL_LEN {
            return false;
        }
        if label.starts_with(b"xn--") || !label.iter().all(|&b| CLASS[usize::from(b)] & LABEL != 0)
        {
            match to_ascii_unchanged(label) {
                Some(rtl) => bidi |= rtl,
                None => return false,
            }
        }
    }
    if !bidi {
        return true;
    }
    let mut buf = [0u8; MAX_LABEL_LEN + 1 + RTL_LABEL.len()];
    host.split(|&b| b == b'.').all(|label| {
        let n = label.len();
        buf[..n].copy_from_slice(label);
        buf[n] = b'.';
        buf[n + 1..n + 1 + RTL_LABEL.len()].copy_from_slice(RTL_LABEL);
        to_ascii_unchanged(&buf[..n + 1 + RTL_LABEL.len()]).is_some()
    })
}

/// Without the `idna` feature, ToASCII cannot be run: an `xn--` label is accepted when it is made of
/// letters, digits, `-` and `_` (which the grammar has already checked), and never makes a bidi domain.
/// Such a host may be one a browser would never send (an `xn--` label that does not decode); only a
/// non-browser client sends those, and CORS protects nothing against non-browser clients.
#[cfg(any(test, not(feature = "idna")))]
fn to_ascii_unchanged_without_idna(domain: &[u8]) -> Option<bool> {
    domain
        .iter()
        .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        .then_some(false)
}

#[cfg(not(feature = "idna"))]
use to_ascii_unchanged_without_idna as to_ascii_unchanged;

/// Runs UTS #46 ToASCII, as the URL standard's "domain to ASCII" does, over `domain`: `Some` when it
/// succeeds and returns `domain` unchanged, with whether `domain` is a bidi domain name.
#[cfg(feature = "idna")]
fn to_ascii_unchanged(domain: &[u8]) -> Option<bool> {
    use idna::uts46::{ErrorPolicy, Hyphens, ProcessingSuccess, Uts46};
    let mut bidi = false;
    let mut sink = SameAs {
        expected: domain,
        at: 0,
        same: true,
    };
    let result = Uts46::new().process(
        domain,
        idna::AsciiDenyList::URL,
        Hyphens::Allow,
        ErrorPolicy::FailFast,
        |_, _, is_bidi| {
            bidi |= is_bidi;
            false // ToASCII: never output Unicode
        },
        &mut sink,
        None,
    );
    match result {
        Ok(ProcessingSuccess::Passthrough) => Some(bidi),
        Ok(ProcessingSuccess::WroteToSink) if sink.same && sink.at == domain.len() => Some(bidi),
        _ => None,
    }
}

/// A `fmt::Write` sink that compares what is written with `expected` instead of storing it.
#[cfg(feature = "idna")]
struct SameAs<'a> {
    expected: &'a [u8],
    at: usize,
    same: bool,
}

#[cfg(feature = "idna")]
impl fmt::Write for SameAs<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.at + s.len();
        self.same &= self.expected.get(self.at..end) == Some(s.as_bytes());
        self.at = end;
        Ok(())
    }
}

/// Parses a port: 1..65535, decimal, no leading zero. The scheme's default is not checked here.
pub(crate) fn parse_port(digits: &[u8]) -> Result<u16, OriginErrorKind> {
    if let Some(&b) = digits.iter().find(|b| !b.is_ascii_digit()) {
        return Err(port_byte(b));
    }
    if digits.is_empty() || digits.len() > 5 || digits[0] == b'0' {
        return Err(OriginErrorKind::BadPort);
    }
    let value = digits
        .iter()
        .fold(0u32, |v, &b| v * 10 + u32::from(b - b'0'));
    u16::try_from(value).map_err(|_| OriginErrorKind::BadPort)
}

fn port_byte(b: u8) -> OriginErrorKind {
    match unexpected(b) {
        OriginErrorKind::BadByte | OriginErrorKind::Uppercase => OriginErrorKind::BadPort,
        other => other,
    }
}

/// Validates a domain or IPv4 host (the whole of `host`) as the host of a special scheme when
/// `special` (lowercase, `xn--` labels checked with IDNA), else as an opaque host.
///
/// Returns the host kind, or the broken rule and its offset within `host`.
pub(crate) fn check_domain(
    host: &[u8],
    special: bool,
) -> Result<HostKind, (OriginErrorKind, usize)> {
    match scan_host(host, 0, special) {
        Ok((end, kind)) if end == host.len() => Ok(kind),
        Ok((end, _)) => Err((unexpected(host[end]), end)),
        Err(e) => Err((e.kind, e.at)),
    }
}

/// Scans a domain or IPv4 host starting at `start`, in one pass: it ends at the end of `bytes` or at
/// a `:`. Returns where the host ends and its kind. `special` is [`is_special`] of the scheme.
fn scan_host(bytes: &[u8], start: usize, special: bool) -> Result<(usize, HostKind), OriginError> {
    // One copy of the loop per case, so that the byte class is a constant in each.
    if special {
        scan_host_of::<true>(bytes, start)
    } else {
        scan_host_of::<false>(bytes, start)
    }
}

#[inline(always)]
fn scan_host_of<const SPECIAL: bool>(
    bytes: &[u8],
    start: usize,
) -> Result<(usize, HostKind), OriginError> {
    use OriginErrorKind as K;
    let class = label_class(SPECIAL);
    let mut j = start;
    let mut labels = 0usize;
    let mut last = (start, start);
    let mut trailing_dot = false;
    let mut punycode = false;
    loop {
        let rest = &bytes[j..];
        let n = rest
            .iter()
            .position(|&b| CLASS[usize::from(b)] & class == 0)
            .unwrap_or(rest.len());
        let label_start = j;
        j += n;
        let next = bytes.get(j).copied();
        if n == 0 {
            return match next {
                // One trailing dot is allowed and makes a distinct host (corpus/cases/README.md).
                None | Some(b':') if labels > 0 => {
                    trailing_dot = true;
                    break;
                }
                None | Some(b':') => err(K::EmptyHost, j),
                Some(b'.') => err(K::EmptyLabel, j),
                Some(b) => err(unexpected(b), j),
            };
        }
        if n > MAX_LABEL_LEN {
            return err(K::LabelTooLong, label_start + MAX_LABEL_LEN);
        }
        labels += 1;
        last = (label_start, j);
        // Few labels start with `x`: only those are looked at for `xn--`.
        if SPECIAL && rest[0] == b'x' {
            punycode |= rest[..n].starts_with(b"xn--");
        }
        match next {
            Some(b'.') => j += 1,
            None | Some(b':') => break,
            Some(b) => return err(unexpected(b), j),
        }
    }
    if j - start > MAX_DOMAIN_LEN {
        return err(K::DomainTooLong, start + MAX_DOMAIN_LEN);
    }
    let last = &bytes[last.0..last.1];
    // URL standard §3.5, "ends in a number checker": such a host goes to the IPv4 parser.
    if !last[0].is_ascii_digit() || !is_number(last) {
        // URL standard §3.5 "host parser" runs "domain to ASCII" (§3.3) on the host of a special
        // scheme only; an opaque host's `xn--` labels are plain bytes.
        let host = &bytes[start..j];
        if SPECIAL && punycode && !idna_accepts(host) {
            return err(K::BadPunycode, start);
        }
        return Ok((j, HostKind::Domain));
    }
    if labels == 4
        && !trailing_dot
        && bytes[start..j]
            .split(|&b| b == b'.')
            .all(is_canonical_octet)
    {
        Ok((j, HostKind::Ipv4))
    } else {
        err(K::NumericDomain, j - last.len() - usize::from(trailing_dot))
    }
}

/// URL standard §3.5: all ASCII digits, or `0x`/`0X` followed by zero or more hex digits.
fn is_number(label: &[u8]) -> bool {
    if let Some(hex) = label
        .strip_prefix(b"0x")
        .or_else(|| label.strip_prefix(b"0X"))
    {
        hex.iter().all(u8::is_ascii_hexdigit)
    } else {
        !label.is_empty() && label.iter().all(u8::is_ascii_digit)
    }
}

fn is_canonical_octet(part: &[u8]) -> bool {
    match part {
        [d] => d.is_ascii_digit(),
        [b'1'..=b'9', d] => d.is_ascii_digit(),
        [b'1', d, e] => d.is_ascii_digit() && e.is_ascii_digit(),
        [b'2', b'0'..=b'4', e] => e.is_ascii_digit(),
        [b'2', b'5', b'0'..=b'5'] => true,
        _ => false,
    }
}

/// Parses IPv6 text without embedded IPv4 (URL standard §3.5 "IPv6 parser", minus the IPv4 branch).
/// Hex digits of either case are accepted; canonicality is checked separately.
pub(crate) fn parse_ipv6(text: &[u8]) -> Option<[u16; 8]> {
    let mut pieces = [0u16; 8];
    let mut index = 0usize;
    let mut compress: Option<usize> = None;
    let mut i = 0usize;
    if text.first() == Some(&b':') {
        if text.get(1) != Some(&b':') {
            return None;
        }
        i = 2;
        index = 1;
        compress = Some(1);
    }
    while i < text.len() {
        if index == 8 {
            return None;
        }
        if text[i] == b':' {
            if compress.is_some() {
                return None;
            }
            i += 1;
            index += 1;
            compress = Some(index);
            continue;
        }
        let mut value: u16 = 0;
        let mut length = 0;
        while length < 4 && i < text.len() && text[i].is_ascii_hexdigit() {
            let digit = (text[i] as char).to_digit(16).unwrap_or(0) as u16;
            value = value * 16 + digit;
            i += 1;
            length += 1;
        }
        if length == 0 {
            return None;
        }
        if i < text.len() {
            if text[i] != b':' {
                return None;
            }
            i += 1;
            if i == text.len() {
                return None;
            }
        }
        pieces[index] = value;
        index += 1;
    }
    match compress {
        Some(c) => {
            let mut swaps = index - c;
            let mut k = 7;
            while k != 0 && swaps > 0 {
                pieces.swap(k, c + swaps - 1);
                k -= 1;
                swaps -= 1;
            }
        }
        None if index != 8 => return None,
        None => {}
    }
    Some(pieces)
}

/// The longest IPv6 serialization: eight groups of four hex digits and seven colons.
pub(crate) const MAX_IPV6_TEXT: usize = 39;

/// Serializes an IPv6 address (URL standard §3.6 "IPv6 serializer", which RFC 5952 agrees with):
/// lowercase hex, no leading zeros, the first longest run of two or more zero pieces as `::`.
/// Returns the buffer and the length used.
pub(crate) fn serialize_ipv6(pieces: &[u16; 8]) -> ([u8; MAX_IPV6_TEXT], usize) {
    let mut out = [0u8; MAX_IPV6_TEXT];
    let mut n = 0;
    // first longest run of zeros, of length > 1
    let (mut best_start, mut best_len) = (usize::MAX, 1);
    let mut k = 0;
    while k < 8 {
        if pieces[k] == 0 {
            let start = k;
            while k < 8 && pieces[k] == 0 {
                k += 1;
            }
            if k - start > best_len {
                best_start = start;
                best_len = k - start;
            }
        } else {
            k += 1;
        }
    }
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut k = 0;
    while k < 8 {
        if k == best_start {
            if k == 0 {
                out[n] = b':';
                n += 1;
            }
            out[n] = b':';
            n += 1;
            k += best_len;
            continue;
        }
        let p = pieces[k];
        let mut started = false;
        for shift in [12u16, 8, 4, 0] {
            let d = (p >> shift) & 0xf;
            if d != 0 || started || shift == 0 {
                out[n] = HEX[usize::from(d)];
                n += 1;
                started = true;
            }
        }
        if k != 7 {
            out[n] = b':';
            n += 1;
        }
        k += 1;
    }
    (out, n)
}

/// True iff `text` (between the brackets) is exactly the canonical serialization of an IPv6 address.
pub(crate) fn is_canonical_ipv6(text: &[u8]) -> bool {
    if text.len() > MAX_IPV6_TEXT || text.iter().any(|b| b.is_ascii_uppercase()) {
        return false;
    }
    match parse_ipv6(text) {
        Some(pieces) => {
            let (buf, n) = serialize_ipv6(&pieces);
            &buf[..n] == text
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(s: &str) -> (String, String, HostKind, Option<u16>) {
        match parse(s.as_bytes()).unwrap() {
            Origin::Tuple(t) => (
                String::from_utf8(t.scheme().to_vec()).unwrap(),
                String::from_utf8(t.host().to_vec()).unwrap(),
                t.host_kind(),
                t.port(),
            ),
            Origin::Null => panic!("null"),
        }
    }

    #[test]
    fn splits_parts() {
        assert_eq!(
            parts("https://api.example.com:8443"),
            (
                "https".into(),
                "api.example.com".into(),
                HostKind::Domain,
                Some(8443)
            )
        );
        assert_eq!(
            parts("http://[::1]:8080"),
            ("http".into(), "[::1]".into(), HostKind::Ipv6, Some(8080))
        );
        assert_eq!(
            parts("http://10.0.0.1"),
            ("http".into(), "10.0.0.1".into(), HostKind::Ipv4, None)
        );
        assert_eq!(parse(b"null"), Ok(Origin::Null));
    }

    #[test]
    fn error_kinds_and_offsets() {
        let e = |s: &str| parse(s.as_bytes()).unwrap_err();
        assert_eq!(e("https://Example.com").kind(), OriginErrorKind::Uppercase);
        assert_eq!(e("https://Example.com").offset(), 8);
        assert_eq!(e("https://example.com/").kind(), OriginErrorKind::Path);
        assert_eq!(e("https://a@example.com").kind(), OriginErrorKind::Userinfo);
        assert_eq!(
            e("https://example.com:443").kind(),
            OriginErrorKind::DefaultPort
        );
        assert_eq!(
            e("https://example.com:0443").kind(),
            OriginErrorKind::BadPort
        );
        assert_eq!(e("https://127.1").kind(), OriginErrorKind::NumericDomain);
        assert_eq!(e("http://[::FFFF]").kind(), OriginErrorKind::BadIpv6);
    }

    #[test]
    fn without_idna_an_xn_label_is_checked_for_its_bytes_only() {
        assert_eq!(
            to_ascii_unchanged_without_idna(b"xn--mnchen-3ya"),
            Some(false)
        );
        assert_eq!(to_ascii_unchanged_without_idna(b"xn--zz"), Some(false)); // does not decode
        assert_eq!(to_ascii_unchanged_without_idna(b"xn--a\xc3\xa9"), None);
        assert_eq!(to_ascii_unchanged_without_idna(b"xn--a b"), None);
    }

    #[test]
    fn idna_accepts_agrees_with_domain_to_ascii_over_the_whole_host() {
        // `idna_accepts` checks label by label (and beside an RTL label for the Bidi Rule) to stay
        // allocation-free; the `idna` crate over the whole host is the definition it must agree with.
        for host in [
            "example.com",
            "a--b.example",
            "xn--bcher-kva.example",
            "xn--mnchen-3ya.de",
            "xn--zca.com",      // ß (a deviation, valid in nontransitional processing)
            "xn--n3h.com",      // ☃
            "xn--4db",          // א
            "xn--4dbrk0ce.com", // right-to-left label, left-to-right TLD
            "xn--mgbh0fb.xn--4db", // two right-to-left labels
            "xn--4db.a_b",      // `_` inside an LTR label of a bidi domain
            "xn--4db.a1",       // ends in a digit: fine for an LTR label
            "xn--bcher-kva.xn--4db.", // trailing dot
            "xn--bcher-kva.1a", // not a bidi domain: a leading digit is fine
            "xn--bcher-kva.a.b.c.d.e.f.g.h.i.j.example",
            "a.b.c.d.e.f.g.h.i.j.xn--4db",
            "xn--4db.3com", // Bidi Rule: an LTR label must start with a letter
            "3com.xn--4db", // (whatever the order of the labels)
            "1.b.c.d.e.f.g.h.i.j.xn--4db",
            "xn--4db._ab",
            "xn--4db.ab-",
            "xn--4db.-ab",
            "xn--4db.1",
            "xn--ab-cyd.xn--4db", // LTR label holding an Arabic-Indic digit (AN)
            "xn--8hb.com",        // a label of one Arabic-Indic digit
            "xn--a-xbb.com",      // a + U+0301: not NFC
            "xn--a-wbb.com",      // starts with a combining mark
            "xn--a-xda.com",      // À: mapped (to à), so not a valid decoded label
            "xn--ab-1ca.com",     // U+00A0: disallowed
            "xn--ab-m1t.com",     // ZWJ without a virama: CONTEXTJ
            "xn--ab-yu3n.com",    // fullwidth full stop: mapped
            "xn--a-pib.com",      // unassigned code point
            "xn--.com",
            "xn---.com",
            "xn--abc-.com", // decodes to ASCII only
            "xn---abc.com",
            "xn--a.com",
            "xn--zz.com",
            "xn--abc.com",
            "xn--99999999.com", // overflows
        ] {
            let want = idna::domain_to_ascii_cow(host.as_bytes(), idna::AsciiDenyList::URL)
                .is_ok_and(|ascii| ascii == host);
            assert_eq!(idna_accepts(host.as_bytes()), want, "{host}");
        }
    }

    #[test]
    fn rtl_label_is_a_valid_bidi_label() {
        assert_eq!(to_ascii_unchanged(RTL_LABEL), Some(true));
        assert_eq!(to_ascii_unchanged(b"xn--bcher-kva"), Some(false));
    }

    #[test]
    fn case_and_idna_depend_on_the_scheme() {
        let e = |s: &str| parse(s.as_bytes()).map(|_| ()).map_err(|e| e.kind());
        assert_eq!(e("capacitor://MyApp"), Ok(()));
        assert_eq!(e("capacitor://xn--zz"), Ok(()));
        assert_eq!(e("https://xn--zz"), Err(OriginErrorKind::BadPunycode));
        assert_eq!(e("wss://MyApp"), Err(OriginErrorKind::Uppercase));
        assert_eq!(e("file://localhost"), Err(OriginErrorKind::FileScheme));
        assert_eq!(check_labels(b"a.B", false), Labels::Valid);
        assert_eq!(check_labels(b"a.B", true), Labels::Malformed);
        assert_eq!(check_labels(b"a.xn--4db", true), Labels::Punycode);
        assert_eq!(check_labels(b"a.xn--4db", false), Labels::Valid);
        assert_eq!(check_labels(b"axn--4db", true), Labels::Valid);
    }

    #[test]
    fn ipv6_round_trip() {
        for (text, canonical) in [
            ("::", true),
            ("::1", true),
            ("1::", true),
            ("2001:db8::1", true),
            ("2001:db8:0:0:1:0:0:1", false),
            ("2001:db8::1:0:0:1", true),
            ("2001:0db8::1", false),
            ("1:0:1:1:1:1:1:1", true),
            ("1::1:1:1:1:1:1", false),
            ("::ffff:1.2.3.4", false),
            ("1:2:3:4:5:6:7:8", true),
            ("1:2:3:4:5:6:7:8:9", false),
            (":::", false),
            ("1::2::3", false),
            ("", false),
        ] {
            assert_eq!(is_canonical_ipv6(text.as_bytes()), canonical, "{text}");
        }
    }
}
