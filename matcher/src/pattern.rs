//! The config-side language: parse, validate and normalize allowlist entries.
//!
//! | entry | meaning |
//! |---|---|
//! | `https://example.com`, `http://localhost:3000`, `http://[::1]:8080` | exactly that origin |
//! | `https://*.example.com` | scheme `https`, default port, one or more labels then `.example.com` |
//! | `https://*.example.com:8443`, `http://localhost:*` | as above with that port; `:*` is any port, the default included |
//! | `regex:^https://pr-[0-9]+\.example\.dev$` | a regex over the **whole** serialized origin |
//! | `null` | the opaque origin (opt-in) |
//! | `*` | any origin |
//!
//! Unlike the request side ([`crate::origin`]), configuration is written by people, so a few harmless
//! spellings are normalized, each reported as a [`NoteKind`]: ASCII case in the scheme, and in the host
//! of a special scheme (URL standard §4.1: `http`, `https`, `ws`, `wss`, `ftp`), Unicode hosts of a
//! special scheme (IDNA, UTS #46, as the URL standard's "domain to ASCII" does), an explicit default
//! port, one trailing `/`. The host of any other scheme is an opaque host (URL standard §3.5
//! "opaque-host parser"), which browsers send as written: it keeps its case, so `capacitor://MyApp`
//! and `capacitor://myapp` are different entries. Everything else that is not an origin is an [`PatternError`] naming the entry's position, its text, what
//! is wrong and how to fix it; [`Allowlist::parse`] reports the errors of **every** entry at once.
//!
//! Once normalized, an entry is validated by serializing it and running the request grammar
//! ([`crate::origin::parse`]) over it, so an entry is accepted exactly when the origins it names are ones
//! a browser can send.

use core::fmt;

use crate::origin::{self, HostKind, OriginErrorKind};

/// The prefix that marks a regex entry.
pub const REGEX_PREFIX: &str = "regex:";

/// One parsed and normalized allowlist entry.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Pattern {
    /// `*`: every well-formed origin, `null` included.
    Any,
    /// `null`: the opaque origin.
    Null,
    /// A scheme, a host (exact or subdomain wildcard) and a port rule.
    Host(HostPattern),
    /// `regex:…`: a regex over the whole serialized origin.
    Regex(RegexPattern),
}

/// The port part of a host pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PortSpec {
    /// No port in the origin (the scheme's default, or none for non-special schemes).
    Default,
    /// Exactly this port in the origin.
    Port(u16),
    /// `:*`: any port, or none.
    Any,
}

impl PortSpec {
    /// Whether an origin's port (as parsed by [`crate::origin`]) satisfies this rule.
    pub fn accepts(self, port: Option<u16>) -> bool {
        match self {
            PortSpec::Default => port.is_none(),
            PortSpec::Port(p) => port == Some(p),
            PortSpec::Any => true,
        }
    }
}

/// The host part of a host pattern.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HostSpec {
    /// Exactly this host (ASCII; lowercase for a special scheme, as written for any other; IPv6 in
    /// canonical lowercase form with brackets).
    Exact {
        /// The normalized host text.
        host: Box<str>,
        /// What kind of host it is.
        kind: HostKind,
    },
    /// `*.base`: one or more labels followed by `.base`; never `base` itself.
    Subdomains {
        /// The normalized base domain, without the leading `*.` (lowercase for a special scheme,
        /// as written for any other).
        base: Box<str>,
    },
}

/// `scheme://host[:port]` with a possibly wildcarded host or port.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct HostPattern {
    /// The lowercase scheme.
    pub scheme: Box<str>,
    /// The host rule.
    pub host: HostSpec,
    /// The port rule.
    pub port: PortSpec,
}

impl HostPattern {
    /// Whether the host is loopback: `localhost`, `*.localhost`, a name under `.localhost`,
    /// `127.0.0.0/8` or `[::1]`.
    pub fn is_loopback(&self) -> bool {
        match &self.host {
            HostSpec::Exact { host, kind } => match kind {
                HostKind::Domain => is_localhost_name(host),
                HostKind::Ipv4 => host.starts_with("127."),
                HostKind::Ipv6 => &**host == "[::1]",
            },
            HostSpec::Subdomains { base } => is_localhost_name(base),
        }
    }
}

fn is_localhost_name(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    name == "localhost" || name.ends_with(".localhost")
}

/// A regex entry; the source is kept as written after `regex:`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RegexPattern {
    source: Box<str>,
}

impl RegexPattern {
    /// The regex source (without the `regex:` prefix).
    pub fn source(&self) -> &str {
        &self.source
    }
}

impl Pattern {
    /// Parses and normalizes one entry. Notes about normalization are appended to `notes`.
    pub fn parse(entry: &str, notes: &mut Vec<NoteKind>) -> Result<Pattern, PatternErrorKind> {
        parse_entry(entry, notes)
    }

    /// True for an origin pattern whose scheme is not `https` and whose host is not loopback: with
    /// credentials, such an entry hands the user's session to anyone on the network path.
    /// `*`, `null` and regexes are not host patterns and give `false`; the policy judges them itself.
    pub fn is_insecure(&self) -> bool {
        match self {
            Pattern::Host(h) => &*h.scheme != "https" && !h.is_loopback(),
            _ => false,
        }
    }

    /// True for a subdomain wildcard whose base is a public suffix on the Public Suffix List
    /// (`https://*.com`, `https://*.github.io`): anyone can register a name under it.
    pub fn is_public_suffix_wildcard(&self) -> bool {
        match self {
            Pattern::Host(HostPattern {
                host: HostSpec::Subdomains { base },
                ..
            }) => {
                // The list is lowercase; an opaque host keeps its case, so compare lowercased.
                let name = base.strip_suffix('.').unwrap_or(base).to_ascii_lowercase();
                psl::suffix(name.as_bytes())
                    .is_some_and(|s| s.is_known() && s.as_bytes() == name.as_bytes())
            }
            _ => false,
        }
    }
}

impl fmt::Display for Pattern {
    /// The normalized form; it parses again to the same pattern, with no notes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pattern::Any => f.write_str("*"),
            Pattern::Null => f.write_str("null"),
            Pattern::Regex(r) => write!(f, "{REGEX_PREFIX}{}", r.source),
            Pattern::Host(h) => {
                write!(f, "{}://", h.scheme)?;
                match &h.host {
                    HostSpec::Exact { host, .. } => f.write_str(host)?,
                    HostSpec::Subdomains { base } => write!(f, "*.{base}")?,
                }
                match h.port {
                    PortSpec::Default => Ok(()),
                    PortSpec::Port(p) => write!(f, ":{p}"),
                    PortSpec::Any => f.write_str(":*"),
                }
            }
        }
    }
}

/// An entry as shown in messages: verbatim, except that control characters and whitespace other
/// than the space are escaped (`\t`, `\u{a0}`), so that what is invisible becomes visible.
pub fn escape(entry: &str) -> String {
    let mut out = String::with_capacity(entry.len());
    for c in entry.chars() {
        if c == ' ' || !(c.is_control() || c.is_whitespace()) {
            out.push(c);
        } else {
            out.extend(c.escape_default());
        }
    }
    out
}

/// A normalization applied to an entry (reported, not an error).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum NoteKind {
    /// The scheme, or the host of a special scheme, had ASCII uppercase letters; they were lowercased.
    Lowercased,
    /// The host had non-ASCII characters; it was converted with IDNA (punycode).
    Punycode,
    /// An explicit default port was dropped.
    DefaultPort,
    /// One trailing `/` was dropped.
    TrailingSlash,
    /// The entry normalizes to the same pattern as an earlier entry, whose index this is; it is ignored.
    Duplicate(usize),
}

impl NoteKind {
    /// A short stable name (kebab-case).
    pub fn name(self) -> &'static str {
        match self {
            NoteKind::Lowercased => "lowercased",
            NoteKind::Punycode => "punycode",
            NoteKind::DefaultPort => "default-port",
            NoteKind::TrailingSlash => "trailing-slash",
            NoteKind::Duplicate(_) => "duplicate",
        }
    }
}

impl fmt::Display for NoteKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NoteKind::Lowercased => f.write_str("scheme and host lowercased"),
            NoteKind::Punycode => f.write_str("Unicode host converted to punycode"),
            NoteKind::DefaultPort => f.write_str("default port dropped"),
            NoteKind::TrailingSlash => f.write_str("trailing `/` dropped"),
            NoteKind::Duplicate(i) => write!(f, "same as entry #{i}; ignored"),
        }
    }
}

/// A note about one entry of a list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// The entry's 0-based position in the list.
    pub index: usize,
    /// The entry as written.
    pub entry: Box<str>,
    /// The normalized form.
    pub normalized: Box<str>,
    /// What was done.
    pub kind: NoteKind,
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "entry #{} `{}`: {} (now `{}`)",
            self.index,
            escape(&self.entry),
            self.kind,
            self.normalized
        )
    }
}

/// What is wrong with an entry.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PatternErrorKind {
    /// The entry is empty.
    Empty,
    /// The entry holds whitespace or a control character.
    Whitespace,
    /// No `scheme://`.
    MissingScheme,
    /// The scheme is malformed or too long.
    BadScheme,
    /// `user@` before the host.
    Userinfo,
    /// A path other than one `/`.
    Path,
    /// A `?`.
    Query,
    /// A `#`.
    Fragment,
    /// Nothing where the host should be.
    EmptyHost,
    /// An empty label.
    EmptyLabel,
    /// A label over 63 bytes.
    LabelTooLong,
    /// A host over 253 bytes.
    DomainTooLong,
    /// A byte a host may not hold, or a name IDNA refuses.
    BadHost,
    /// A Unicode host in an entry, with the `idna` feature off: nothing can convert it to punycode.
    UnicodeHostNeedsIdna,
    /// The last label is a number but the host is not a canonical IPv4 address.
    NumericDomain,
    /// A bracketed host that is not canonical IPv6 text.
    BadIpv6,
    /// A bad port.
    BadPort,
    /// A `*` that is not the whole leftmost label of a domain, nor the whole port.
    MisplacedWildcard,
    /// `*.` in front of an IP address.
    WildcardIp,
    /// A regex that is empty or does not parse; the parser's message.
    BadRegex(String),
    /// A regex with non-ASCII characters.
    RegexNotAscii,
    /// A regex whose DFA exceeds the size limit (bytes) on its own.
    RegexTooLarge(usize),
    /// A regex that fits the size limit on its own, but not together with the other regexes.
    RegexSetTooLarge {
        /// The limit, in bytes, of the DFA of all regexes together.
        limit: usize,
        /// The size of this regex's DFA alone, when it was measured.
        alone: Option<usize>,
        /// How many regex entries the list has.
        entries: usize,
    },
    /// A regex that uses a feature the matcher's DFA cannot run (what and why).
    RegexUnsupported(String),
    /// A `file:` entry: browsers send `null` for documents loaded from `file:` URLs.
    FileScheme,
    /// A host of a special scheme with an `xn--` label that IDNA rejects or would rewrite.
    BadPunycode,
}

impl PatternErrorKind {
    /// A short stable name (kebab-case), as used in `corpus/cases/patterns.toml`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Empty => "empty",
            Self::Whitespace => "whitespace",
            Self::MissingScheme => "missing-scheme",
            Self::BadScheme => "bad-scheme",
            Self::Userinfo => "userinfo",
            Self::Path => "path",
            Self::Query => "query",
            Self::Fragment => "fragment",
            Self::EmptyHost => "empty-host",
            Self::EmptyLabel => "empty-label",
            Self::LabelTooLong => "label-too-long",
            Self::DomainTooLong => "domain-too-long",
            Self::BadHost => "bad-host",
            Self::UnicodeHostNeedsIdna => "unicode-host-needs-idna",
            Self::NumericDomain => "numeric-domain",
            Self::BadIpv6 => "bad-ipv6",
            Self::BadPort => "bad-port",
            Self::MisplacedWildcard => "misplaced-wildcard",
            Self::WildcardIp => "wildcard-ip",
            Self::BadRegex(_) => "bad-regex",
            Self::RegexNotAscii => "regex-not-ascii",
            Self::RegexTooLarge(_) => "regex-too-large",
            Self::RegexSetTooLarge { .. } => "regex-set-too-large",
            Self::RegexUnsupported(_) => "regex-unsupported",
            Self::FileScheme => "file-scheme",
            Self::BadPunycode => "bad-punycode",
        }
    }

    /// How to fix it.
    pub fn fix(&self) -> &'static str {
        match self {
            Self::Empty => "remove the entry, or write an origin such as `https://example.com`",
            Self::Whitespace => "remove spaces, tabs and line breaks from the entry",
            Self::MissingScheme => "write the scheme: `https://example.com`, not `example.com`",
            Self::BadScheme => "a scheme is a letter followed by letters, digits, `+`, `-` or `.`, at most 64 bytes",
            Self::Userinfo => "remove `user@`: an origin never carries credentials",
            Self::Path | Self::Query | Self::Fragment => {
                "an origin is `scheme://host[:port]`: remove everything after the host and port"
            }
            Self::EmptyHost => "write the host after `://`",
            Self::EmptyLabel => "remove the extra `.`; to allow subdomains write `https://*.example.com`",
            Self::LabelTooLong => "each dot-separated label is at most 63 bytes",
            Self::DomainTooLong => "a host is at most 253 bytes",
            Self::BadHost => "a host holds letters, digits, `-`, `_` and `.`; Unicode names are converted to punycode for http(s), ws(s) and ftp, while other schemes' hosts are sent percent-encoded, which no entry can match",
            Self::UnicodeHostNeedsIdna => "write the host in its ASCII form (`xn--…` labels, as browsers send it), or build corsmatch with its default `idna` feature",
            Self::NumericDomain => "write an IPv4 address as four decimal numbers 0-255 without leading zeros",
            Self::BadIpv6 => "write IPv6 in canonical form (RFC 5952): `[2001:db8::1]`, `[::1]`",
            Self::BadPort => "a port is 1-65535 without leading zeros, or `*` for any port",
            Self::MisplacedWildcard => {
                "`*` may only be the whole leftmost label (`https://*.example.com`) or the whole port (`:*`); use `regex:` for anything else"
            }
            Self::WildcardIp => "list IP origins one by one, or use `regex:`",
            Self::BadRegex(_) => "fix the regex syntax (Rust `regex` syntax, ASCII, matched against the whole origin)",
            Self::RegexNotAscii => "origins are ASCII: write Unicode hosts in punycode (`xn--…`) in regexes",
            Self::RegexTooLarge(_) => "simplify the regex: a counted repetition after an unbounded one (`[a-z]*x[a-z]{10}`) grows the DFA exponentially; bound the first, shorten the count, or list the origins as exact or `*.` entries",
            Self::RegexSetTooLarge { .. } => "the regexes together are too large: replace the regexes you can by exact or `https://*.example.com` entries, merge regexes that differ in one part into one alternation, or remove unbounded repetitions (`.*`, `[a-z]*`) in front of counted ones",
            Self::RegexUnsupported(_) => "origins are ASCII: use the ASCII form of the feature (`(?-u:\\b)` for a word boundary), or a character class",
            Self::FileScheme => "browsers send `Origin: null` for pages opened from `file:` URLs: allow `null` instead, knowing that sandboxed iframes and redirected requests send it too",
            Self::BadPunycode => "a browser never sends this host: write the name in Unicode (`https://bücher.example`) and let it be converted, or copy the `xn--` form a browser shows",
        }
    }
}

impl fmt::Display for PatternErrorKind {
    /// What is wrong, without the fix.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("the entry is empty"),
            Self::Whitespace => f.write_str("the entry holds whitespace or a control character"),
            Self::MissingScheme => f.write_str("there is no `scheme://`"),
            Self::BadScheme => f.write_str("the scheme is not valid"),
            Self::Userinfo => f.write_str("the entry has userinfo (`@`)"),
            Self::Path => f.write_str("the entry has a path"),
            Self::Query => f.write_str("the entry has a query (`?`)"),
            Self::Fragment => f.write_str("the entry has a fragment (`#`)"),
            Self::EmptyHost => f.write_str("the host is empty"),
            Self::EmptyLabel => f.write_str("the host has an empty label"),
            Self::LabelTooLong => f.write_str("a label of the host is longer than 63 bytes"),
            Self::DomainTooLong => f.write_str("the host is longer than 253 bytes"),
            Self::BadHost => f.write_str("the host holds a character a host may not hold"),
            Self::UnicodeHostNeedsIdna => f.write_str(
                "a Unicode host, and corsmatch was built without its `idna` feature, which converts it to punycode",
            ),
            Self::NumericDomain => {
                f.write_str("the host ends in a number but is not a canonical IPv4 address")
            }
            Self::BadIpv6 => f.write_str("the bracketed host is not canonical IPv6"),
            Self::BadPort => f.write_str("the port is not valid"),
            Self::MisplacedWildcard => f.write_str("`*` is in a place where it is not allowed"),
            Self::WildcardIp => f.write_str("a subdomain wildcard cannot apply to an IP address"),
            Self::BadRegex(m) => write!(f, "the regex is not valid: {m}"),
            Self::RegexNotAscii => f.write_str("the regex holds non-ASCII characters"),
            Self::RegexTooLarge(limit) => {
                write!(
                    f,
                    "the regex compiles to a DFA larger than the limit of {limit} bytes"
                )
            }
            Self::RegexSetTooLarge {
                limit,
                alone,
                entries,
            } => {
                write!(
                    f,
                    "the {entries} regexes together compile to a DFA larger than the limit of {limit} bytes; this one contributes"
                )?;
                match alone {
                    Some(size) => write!(f, " ({size} bytes alone)"),
                    None => f.write_str(" (not measured alone)"),
                }
            }
            Self::RegexUnsupported(why) => {
                write!(f, "the regex uses a feature the matcher cannot run: {why}")
            }
            Self::FileScheme => f.write_str("a `file:` URL has no origin a browser sends"),
            Self::BadPunycode => f.write_str(
                "an `xn--` label of the host is not valid punycode, or IDNA (UTS #46) rejects or rewrites it",
            ),
        }
    }
}

/// An invalid entry: its position, its text, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PatternError {
    /// The entry's 0-based position in the list.
    pub index: usize,
    /// The entry as written.
    pub entry: Box<str>,
    /// What is wrong.
    pub kind: PatternErrorKind,
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "entry #{} `{}`: {}; {}",
            self.index,
            escape(&self.entry),
            self.kind,
            self.kind.fix()
        )
    }
}

impl std::error::Error for PatternError {}

/// Every error of a list of entries.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PatternErrors(pub Vec<PatternError>);

impl fmt::Display for PatternErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for PatternErrors {}

/// A validated entry of an [`Allowlist`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Entry {
    /// The entry's 0-based position in the configuration; this is its rule id.
    pub index: usize,
    /// The entry as written.
    pub text: Box<str>,
    /// The parsed, normalized pattern.
    pub pattern: Pattern,
}

/// A validated list of entries, in config order, with duplicates removed (and noted).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Allowlist {
    entries: Vec<Entry>,
    notes: Vec<Note>,
    len: usize,
}

impl Allowlist {
    /// Parses every entry; returns all errors if any entry is invalid.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Allowlist, PatternErrors> {
        let (list, errors) = Allowlist::parse_all(entries);
        if errors.is_empty() {
            Ok(list)
        } else {
            Err(PatternErrors(errors))
        }
    }

    /// Parses every entry, keeping the valid ones: the list of valid entries (with their notes) and
    /// the errors of the others, in config order.
    pub fn parse_all<S: AsRef<str>>(entries: &[S]) -> (Allowlist, Vec<PatternError>) {
        let mut list = Allowlist {
            len: entries.len(),
            ..Allowlist::default()
        };
        let mut errors = Vec::new();
        let mut seen: std::collections::HashMap<Pattern, usize> = std::collections::HashMap::new();
        let mut kinds = Vec::new();
        for (index, text) in entries.iter().enumerate() {
            let text = text.as_ref();
            kinds.clear();
            let pattern = match parse_entry(text, &mut kinds) {
                Ok(pattern) => pattern,
                Err(kind) => {
                    errors.push(PatternError {
                        index,
                        entry: text.into(),
                        kind,
                    });
                    continue;
                }
            };
            let normalized: Box<str> = pattern.to_string().into();
            let first = *seen.entry(pattern.clone()).or_insert(index);
            if first != index {
                kinds.push(NoteKind::Duplicate(first));
            }
            list.notes.extend(kinds.iter().map(|&kind| Note {
                index,
                entry: text.into(),
                normalized: normalized.clone(),
                kind,
            }));
            if first == index {
                list.entries.push(Entry {
                    index,
                    text: text.into(),
                    pattern,
                });
            }
        }
        (list, errors)
    }

    /// The distinct entries, in config order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The normalization and duplicate notes.
    pub fn notes(&self) -> &[Note] {
        &self.notes
    }

    /// How many entries the configuration had (duplicates included): rule ids are below this.
    pub fn config_len(&self) -> usize {
        self.len
    }
}

/// Parses one entry: `*`, `null`, a `regex:` entry, or a host pattern.
fn parse_entry(entry: &str, notes: &mut Vec<NoteKind>) -> Result<Pattern, PatternErrorKind> {
    check_characters(entry)?;
    match entry {
        "*" => return Ok(Pattern::Any),
        "null" => return Ok(Pattern::Null),
        _ => {}
    }
    if let Some(source) = entry.strip_prefix(REGEX_PREFIX) {
        return parse_regex(source).map(Pattern::Regex);
    }
    reject_file_scheme(entry)?;
    parse_host_pattern(entry, notes).map(Pattern::Host)
}

/// Rejects an empty entry, and one with whitespace or control characters anywhere.
fn check_characters(entry: &str) -> Result<(), PatternErrorKind> {
    if entry.is_empty() {
        return Err(PatternErrorKind::Empty);
    }
    if entry
        .bytes()
        .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
    {
        return Err(PatternErrorKind::Whitespace);
    }
    Ok(())
}

/// Rejects a `file:` entry, whatever follows the scheme.
fn reject_file_scheme(entry: &str) -> Result<(), PatternErrorKind> {
    // URL standard §4.6: the origin of a `file:` URL is left to the implementation, and browsers
    // make it opaque (`null`), whatever follows the scheme.
    if entry
        .get(..5)
        .is_some_and(|s| s.eq_ignore_ascii_case("file:"))
    {
        return Err(PatternErrorKind::FileScheme);
    }
    Ok(())
}

/// Parses `scheme://host[:port][/]`, normalizing it (notes in `notes`) and validating a sample
/// origin it names with the request grammar.
fn parse_host_pattern(
    entry: &str,
    notes: &mut Vec<NoteKind>,
) -> Result<HostPattern, PatternErrorKind> {
    let (scheme, rest) = split_scheme(entry)?;
    let mut lowercased = scheme.bytes().any(|b| b.is_ascii_uppercase());
    let scheme = scheme.to_ascii_lowercase();
    let (authority, trailing_slash) = split_authority(rest)?;
    let (host, port_text) = split_port(authority)?;
    let port = parse_port_spec(port_text, &scheme, notes)?;
    let (wildcard, name) = split_wildcard(host)?;
    let special = origin::is_special(scheme.as_bytes());
    let (name, host_lowercased) = normalize_host(name, special, notes)?;
    lowercased |= host_lowercased;
    if lowercased {
        notes.push(NoteKind::Lowercased);
    }
    if trailing_slash {
        notes.push(NoteKind::TrailingSlash);
    }
    notes.sort_unstable();
    let kind = sample_host_kind(&scheme, &name, wildcard, special)?;
    let host = if wildcard {
        if kind != HostKind::Domain {
            return Err(PatternErrorKind::WildcardIp);
        }
        HostSpec::Subdomains { base: name.into() }
    } else {
        HostSpec::Exact {
            host: name.into(),
            kind,
        }
    };
    Ok(HostPattern {
        scheme: scheme.into(),
        host,
        port,
    })
}

/// Splits off the scheme (as written) before `://` and checks its characters.
fn split_scheme(entry: &str) -> Result<(&str, &str), PatternErrorKind> {
    let Some((scheme, rest)) = entry.split_once("://") else {
        return Err(PatternErrorKind::MissingScheme);
    };
    if scheme.contains('*') {
        return Err(PatternErrorKind::MisplacedWildcard);
    }
    let sb = scheme.as_bytes();
    let scheme_ok = !sb.is_empty()
        && sb.len() <= origin::MAX_SCHEME_LEN
        && sb[0].is_ascii_alphabetic()
        && sb
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b"+-.".contains(&b));
    if !scheme_ok {
        return Err(if scheme.contains(['/', '?', '#', '@']) {
            PatternErrorKind::MissingScheme
        } else {
            PatternErrorKind::BadScheme
        });
    }
    Ok((scheme, rest))
}

/// Splits the authority from what follows it, which may only be one `/` (reported as `true`); no
/// path, query, fragment or userinfo.
fn split_authority(rest: &str) -> Result<(&str, bool), PatternErrorKind> {
    use PatternErrorKind as E;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let trailing_slash = match tail {
        "" => false,
        "/" => true,
        _ if tail.starts_with('#') || tail.starts_with("/#") => return Err(E::Fragment),
        _ if tail.starts_with('?') || tail.starts_with("/?") => return Err(E::Query),
        _ => return Err(E::Path),
    };
    if authority.contains('@') {
        return Err(E::Userinfo);
    }
    Ok((authority, trailing_slash))
}

/// Splits the authority into the host and the port text after its `:` (after the `]` of an IPv6
/// host, wildcarded or not).
fn split_port(authority: &str) -> Result<(&str, Option<&str>), PatternErrorKind> {
    let bracketed = authority
        .strip_prefix("*.")
        .unwrap_or(authority)
        .starts_with('[');
    if !bracketed {
        return Ok(match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        });
    }
    let Some(close) = authority.find(']') else {
        return Err(PatternErrorKind::BadIpv6);
    };
    let (h, after) = authority.split_at(close + 1);
    match after {
        "" => Ok((h, None)),
        _ => match after.strip_prefix(':') {
            Some(p) => Ok((h, Some(p))),
            None => Err(PatternErrorKind::BadIpv6),
        },
    }
}

/// The port rule of the port text: none, `*`, or a number; the scheme's default port is dropped
/// with a note.
fn parse_port_spec(
    port_text: Option<&str>,
    scheme: &str,
    notes: &mut Vec<NoteKind>,
) -> Result<PortSpec, PatternErrorKind> {
    Ok(match port_text {
        None => PortSpec::Default,
        Some("*") => PortSpec::Any,
        Some(p) if p.contains('*') => return Err(PatternErrorKind::MisplacedWildcard),
        Some(p) => {
            let value = origin::parse_port(p.as_bytes()).map_err(|_| PatternErrorKind::BadPort)?;
            if origin::default_port(scheme.as_bytes()) == Some(value) {
                notes.push(NoteKind::DefaultPort);
                PortSpec::Default
            } else {
                PortSpec::Port(value)
            }
        }
    })
}

/// Splits a leading `*.` off the host (reported as `true`); an empty host, a `*` anywhere else or a
/// wildcard over an IPv6 address is an error.
fn split_wildcard(host: &str) -> Result<(bool, &str), PatternErrorKind> {
    if host.is_empty() {
        return Err(PatternErrorKind::EmptyHost);
    }
    let (wildcard, name) = match host.strip_prefix("*.") {
        Some(base) => (true, base),
        None => (false, host),
    };
    if name.contains('*') || name.is_empty() {
        return Err(PatternErrorKind::MisplacedWildcard);
    }
    if wildcard && name.starts_with('[') {
        return Err(PatternErrorKind::WildcardIp);
    }
    Ok((wildcard, name))
}

/// The host as a browser serializes it, and whether that changed its ASCII case.
///
/// URL standard §3.5 "host parser": an IPv6 host is serialized in lowercase for every scheme; a
/// domain of a special scheme goes through "domain to ASCII" (lowercase, punycode); the host of
/// any other scheme is opaque and kept as written (and percent-encoded when not ASCII, which the
/// request grammar never accepts).
fn normalize_host(
    name: &str,
    special: bool,
    notes: &mut Vec<NoteKind>,
) -> Result<(String, bool), PatternErrorKind> {
    let uppercase = || name.bytes().any(|b| b.is_ascii_uppercase());
    if name.starts_with('[') {
        if !name.is_ascii() {
            return Err(PatternErrorKind::BadIpv6);
        }
        Ok((name.to_ascii_lowercase(), uppercase()))
    } else if !special {
        if !name.is_ascii() {
            return Err(PatternErrorKind::BadHost);
        }
        Ok((name.to_string(), false))
    } else if name.is_ascii() {
        Ok((name.to_ascii_lowercase(), uppercase()))
    } else {
        notes.push(NoteKind::Punycode);
        Ok((unicode_to_ascii(name)?, uppercase()))
    }
}

/// A Unicode host of a special scheme in ASCII, as the URL standard's "domain to ASCII" (UTS #46
/// ToASCII) makes it.
#[cfg(feature = "idna")]
fn unicode_to_ascii(name: &str) -> Result<String, PatternErrorKind> {
    idna::domain_to_ascii_cow(name.as_bytes(), idna::AsciiDenyList::URL)
        .map(std::borrow::Cow::into_owned)
        .map_err(|_| PatternErrorKind::BadHost)
}

/// Without the `idna` feature a Unicode host cannot be converted: the entry is refused, saying so.
#[cfg(any(test, not(feature = "idna")))]
fn unicode_to_ascii_without_idna(_name: &str) -> Result<String, PatternErrorKind> {
    Err(PatternErrorKind::UnicodeHostNeedsIdna)
}

#[cfg(not(feature = "idna"))]
use unicode_to_ascii_without_idna as unicode_to_ascii;

/// Validates the serialization of a sample origin the entry names (`scheme://x.name` for a
/// wildcard) with the request grammar, and returns the kind of its host.
fn sample_host_kind(
    scheme: &str,
    name: &str,
    wildcard: bool,
    special: bool,
) -> Result<HostKind, PatternErrorKind> {
    let sample = if wildcard {
        format!("{scheme}://x.{name}")
    } else {
        format!("{scheme}://{name}")
    };
    match origin::parse(sample.as_bytes()) {
        Ok(origin::Origin::Tuple(t)) => Ok(t.host_kind()),
        Ok(origin::Origin::Null) => Err(PatternErrorKind::MissingScheme),
        Err(e) => Err(grammar_error(e.kind(), name, wildcard, special)),
    }
}

/// The entry error for the request grammar's verdict on a sample origin of the entry.
fn grammar_error(
    kind: OriginErrorKind,
    name: &str,
    wildcard: bool,
    special: bool,
) -> PatternErrorKind {
    use PatternErrorKind as E;
    match kind {
        OriginErrorKind::EmptyLabel => E::EmptyLabel,
        OriginErrorKind::LabelTooLong => E::LabelTooLong,
        OriginErrorKind::DomainTooLong | OriginErrorKind::TooLong => E::DomainTooLong,
        OriginErrorKind::NumericDomain
            if wildcard && origin::check_domain(name.as_bytes(), special) == Ok(HostKind::Ipv4) =>
        {
            E::WildcardIp
        }
        OriginErrorKind::NumericDomain => E::NumericDomain,
        OriginErrorKind::BadIpv6 => E::BadIpv6,
        OriginErrorKind::EmptyHost => E::EmptyHost,
        OriginErrorKind::SchemeTooLong | OriginErrorKind::BadScheme => E::BadScheme,
        OriginErrorKind::Userinfo => E::Userinfo,
        OriginErrorKind::Path => E::Path,
        OriginErrorKind::Query => E::Query,
        OriginErrorKind::Fragment => E::Fragment,
        OriginErrorKind::BadPunycode => E::BadPunycode,
        OriginErrorKind::FileScheme => E::FileScheme,
        _ => E::BadHost,
    }
}

fn parse_regex(source: &str) -> Result<RegexPattern, PatternErrorKind> {
    if source.is_empty() {
        return Err(PatternErrorKind::BadRegex("the regex is empty".into()));
    }
    if !source.is_ascii() {
        return Err(PatternErrorKind::RegexNotAscii);
    }
    // The parser's message keeps its caret diagram (several lines).
    let hir = regex_automata::util::syntax::parse_with(source, &regex_syntax_config())
        .map_err(|e| PatternErrorKind::BadRegex(e.to_string()))?;
    // DFAs cannot run Unicode word boundaries (`(?u:\b)`); say so here rather than as a size error.
    if hir.properties().look_set().contains_word_unicode() {
        return Err(PatternErrorKind::RegexUnsupported(
            "a Unicode word boundary (`(?u:\\b)`, `(?u:\\B)`, `\\b{start}` …)".into(),
        ));
    }
    Ok(RegexPattern {
        source: source.into(),
    })
}

/// The regex syntax every engine uses: byte-oriented, ASCII classes, no Unicode.
pub(crate) fn regex_syntax_config() -> regex_automata::util::syntax::Config {
    regex_automata::util::syntax::Config::new()
        .unicode(false)
        .utf8(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(entry: &str) -> (String, Vec<NoteKind>) {
        let mut notes = Vec::new();
        let p = Pattern::parse(entry, &mut notes).unwrap();
        (p.to_string(), notes)
    }

    fn kind(entry: &str) -> &'static str {
        Pattern::parse(entry, &mut Vec::new()).unwrap_err().name()
    }

    #[test]
    fn without_idna_a_unicode_host_is_refused_with_a_fix() {
        let e = unicode_to_ascii_without_idna("bücher.example").unwrap_err();
        assert_eq!(e, PatternErrorKind::UnicodeHostNeedsIdna);
        assert_eq!(e.name(), "unicode-host-needs-idna");
        assert!(e.fix().contains("xn--"));
    }

    #[test]
    fn normalizes() {
        assert_eq!(
            norm("HTTPS://Example.COM:443/"),
            (
                "https://example.com".into(),
                vec![
                    NoteKind::Lowercased,
                    NoteKind::DefaultPort,
                    NoteKind::TrailingSlash
                ]
            )
        );
        assert_eq!(
            norm("https://bücher.example").0,
            "https://xn--bcher-kva.example"
        );
        assert_eq!(norm("http://localhost:*").0, "http://localhost:*");
        assert_eq!(
            norm("https://*.example.com:8443").0,
            "https://*.example.com:8443"
        );
    }

    #[test]
    fn rejects() {
        assert_eq!(kind("https://*.1.2.3.4"), "wildcard-ip");
        assert_eq!(kind("https://*example.com"), "misplaced-wildcard");
        assert_eq!(kind("https://a.*.com"), "misplaced-wildcard");
        assert_eq!(kind("https://*"), "misplaced-wildcard");
        assert_eq!(kind("https://example.com:*8"), "misplaced-wildcard");
        assert_eq!(kind("https://example.com#x"), "fragment");
        assert_eq!(kind("https://example.com/?x"), "query");
        assert_eq!(kind("regex:("), "bad-regex");
    }

    #[test]
    fn facts() {
        let p = |s| Pattern::parse(s, &mut Vec::new()).unwrap();
        assert!(p("https://*.com").is_public_suffix_wildcard());
        assert!(p("https://*.github.io").is_public_suffix_wildcard());
        assert!(!p("https://*.example.com").is_public_suffix_wildcard());
        assert!(p("http://example.com").is_insecure());
        assert!(!p("http://localhost:3000").is_insecure());
        assert!(!p("http://127.0.0.1:3000").is_insecure());
        assert!(!p("http://*.localhost:*").is_insecure());
        assert!(!p("https://example.com").is_insecure());
    }
}
