//! Target `url_origin`: the request grammar against the `url` crate, the WHATWG URL standard's
//! implementation for Rust (written independently of corsmatch, and of its reference).
//!
//! Two properties, on every input:
//!
//! 1. **Nothing a browser would not send.** A value the engine accepts as a tuple origin must be the
//!    ASCII serialization of its own origin: `Url::parse(value)` succeeds and its origin serializes
//!    back to exactly `value` (and the parts agree).
//! 2. **Everything a browser would send.** For a URL (the input's bytes as a string, and a URL
//!    generated from the input: mixed case, Unicode and punycode hosts, percent-encoding, IPv4 in
//!    every notation the standard reads, IPv6 with and without compression, default and odd ports,
//!    userinfo, paths, whitespace), when the `url` crate gives it a tuple origin, the engine accepts
//!    that origin's ASCII serialization, with the same parts, unless one of corsmatch's documented
//!    strictness rules refuses it; each such rule is one arm of [`documented_refusal`].
//!
//! Where corsmatch and the URL standard part on purpose (`corpus/cases/README.md`, "The request
//! grammar" and "Semantics decided here"):
//!
//! - A non-special scheme (`capacitor://MyApp`): the URL standard gives such a URL an opaque origin,
//!   serialized `null`; browsers send these as tuple origins, and corsmatch accepts them with the
//!   host's case kept ("Opaque hosts keep their case"). Property 1 then checks the value against the
//!   URL's scheme, host and port instead of its origin.
//! - `null` is the serialization of every opaque origin, not a URL: property 1 skips it.

use arbitrary::{Result as ArbResult, Unstructured};
use corsmatch::origin::{self, HostKind, Origin};
use url::Url;

/// The special schemes, whose URLs have tuple origins (URL standard §4.1, §4.6).
fn is_special(scheme: &str) -> bool {
    matches!(scheme, "http" | "https" | "ws" | "wss" | "ftp")
}

/// Property 1, for a value the engine accepted.
fn accepted_is_a_serialization(value: &[u8]) -> Result<(), String> {
    let Ok(Origin::Tuple(t)) = origin::parse(value) else {
        return Ok(()); // rejected, or `null`
    };
    let text = std::str::from_utf8(value)
        .map_err(|_| "the engine accepts an origin that is not UTF-8".to_string())?;
    let url = Url::parse(text).map_err(|e| format!("the url crate cannot parse it: {e}"))?;
    let scheme = std::str::from_utf8(t.scheme()).expect("ASCII");
    if is_special(scheme) {
        let serialized = url.origin().ascii_serialization();
        if serialized != text {
            return Err(format!(
                "the url crate serializes its origin as {serialized:?}"
            ));
        }
    } else {
        // Opaque in the URL standard, a tuple for corsmatch (see the module docs): the URL's own
        // scheme, host and port, with nothing after them.
        let host = url.host_str().unwrap_or_default();
        let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
        let rebuilt = format!("{}://{host}{port}", url.scheme());
        if rebuilt != text || !matches!(url.path(), "" | "/") || url.query().is_some() {
            return Err(format!(
                "the url crate reads it as scheme {:?}, host {:?}, port {:?}, path {:?}",
                url.scheme(),
                url.host_str(),
                url.port(),
                url.path()
            ));
        }
    }
    let want_port = url.port();
    if t.port() != want_port || t.scheme() != url.scheme().as_bytes() {
        return Err(format!(
            "the engine's parts (scheme {:?}, port {:?}) differ from the url crate's ({:?}, {want_port:?})",
            t.scheme().escape_ascii().to_string(),
            t.port(),
            url.scheme()
        ));
    }
    let want_kind = match url.host() {
        Some(url::Host::Ipv4(_)) => HostKind::Ipv4,
        Some(url::Host::Ipv6(_)) => HostKind::Ipv6,
        Some(url::Host::Domain(_)) if is_special(scheme) => HostKind::Domain,
        // An opaque host: the engine reads one that looks like an address as one.
        _ => t.host_kind(),
    };
    if t.host_kind() != want_kind || t.host() != url.host_str().unwrap_or_default().as_bytes() {
        return Err(format!(
            "the engine's host {:?} ({:?}) differs from the url crate's {:?}",
            t.host().escape_ascii().to_string(),
            t.host_kind(),
            url.host()
        ));
    }
    Ok(())
}

/// The documented strictness rule under which corsmatch refuses the ASCII serialization of the
/// url crate's tuple origin with `host` and `port`, or `None` when no rule does.
fn documented_refusal(host: &url::Host<String>, port: u16) -> Option<&'static str> {
    // "Semantics decided here", ports: port 0 is malformed (the URL standard parses it; Fetch's
    // "bad port" list blocks every fetch to it, so no page has that origin).
    if port == 0 {
        return Some("port 0 is malformed (Semantics decided here, ports)");
    }
    let url::Host::Domain(host) = host else {
        return None; // IPv4 and IPv6 addresses: the standard's serializations, no exception
    };
    let domain = host.strip_suffix('.').unwrap_or(host);
    // "The request grammar": `domain = label *( "." label ) [ "." ] ; at most 253 bytes`. The URL
    // standard runs ToASCII with VerifyDnsLength false, so it has no length limit.
    if host.len() > origin::MAX_DOMAIN_LEN {
        return Some("a domain is at most 253 bytes (the request grammar, `domain`)");
    }
    // "The request grammar": `label = 1*63( … )`: no empty label (`a..b`, `.a`, `a..`), none
    // longer than 63 bytes. VerifyDnsLength false lets both through the URL standard.
    if domain.split('.').any(|l| l.is_empty() || l.len() > 63) {
        return Some("a label is 1 to 63 bytes (the request grammar, `label`)");
    }
    // "The request grammar": `label = 1*63( lower-alpha / DIGIT / "-" / "_" )` for special schemes.
    // The URL standard's forbidden domain code points leave `!`, `$`, `&`, `'`, `(`, `)`, `*`, `+`,
    // `,`, `;`, `=`, `~`, `` ` ``, `{`, `}`, `"` in a domain; browsers refuse them in practice.
    if domain.bytes().any(|b| {
        !(b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_' || b == b'.')
    }) {
        return Some("a label of a special scheme is lowercase letters, digits, `-` and `_` (the request grammar, `label`)");
    }
    None
}

/// Property 2, for the text of a URL.
fn serialization_is_accepted(text: &str) -> Result<(), String> {
    let Ok(url) = Url::parse(text) else {
        return Ok(());
    };
    let origin = url.origin();
    let url::Origin::Tuple(scheme, host, port) = &origin else {
        return Ok(()); // opaque: `file:`, a non-special scheme, `data:`, …
    };
    let serialized = origin.ascii_serialization();
    let host_text = host.to_string();
    match origin::parse(serialized.as_bytes()) {
        Ok(Origin::Tuple(t)) => {
            let port = (Some(*port) != origin::default_port(scheme.as_bytes())).then_some(*port);
            if t.scheme() != scheme.as_bytes()
                || t.host() != host_text.as_bytes()
                || t.port() != port
            {
                return Err(format!(
                    "the engine accepts {serialized:?} with other parts: {:?}",
                    (
                        t.scheme().escape_ascii().to_string(),
                        t.host().escape_ascii().to_string(),
                        t.port()
                    )
                ));
            }
            Ok(())
        }
        Ok(Origin::Null) => Err(format!("the engine reads {serialized:?} as null")),
        Ok(other) => Err(format!("the engine reads {serialized:?} as {other:?}")),
        Err(_) if documented_refusal(host, *port).is_some() => Ok(()),
        Err(e) => Err(format!(
            "the engine rejects {serialized:?} ({e:?}), the origin of {url:?} in the url crate"
        )),
    }
}

const SCHEMES: &[&str] = &[
    "https",
    "http",
    "wss",
    "ws",
    "ftp",
    "HTTPS",
    "hTtP",
    "blob:https",
    "blob:http",
    "file",
    "capacitor",
    "chrome-extension",
    "foo+bar.baz-1",
];
const SEPARATORS: &[&str] = &["://", "://", "://", ":/", ":", ":\\\\", ":///", "://\t"];
const LABELS: &[&str] = &[
    "example",
    "com",
    "a",
    "API",
    "Example",
    "x-y",
    "_srv",
    "1a",
    "localhost",
    "xn--bcher-kva",
    "XN--BCHER-KVA",
    "xn--4db",
    "xn--zz",
    "xn--a",
    "xn--",
    "bücher",
    "münchen",
    "пример",
    "例え",
    "faß",
    "ﬁ",
    "ＡＢＣ",
    "א",
    "ab",
    "١٢٣",
    "a\u{200d}b",
    "\u{0301}a",
    "ab--cd",
    "-a-",
    "%41",
    "%C3%BC",
    "a%2eb",
    "a!b",
    "a$b",
    "a~",
    "0x7f",
    "1",
    "08",
    "255",
    "256",
    "4294967295",
    "0x",
    "09",
    "",
    "a b",
    "a%00b",
];
const TAILS: &[&str] = &["", "", "/", "/p?q#f", "?x", "#f", "/../", "\\x", " ", "\n"];

fn number(u: &mut Unstructured<'_>, n: u64) -> ArbResult<String> {
    Ok(match u.int_in_range(0..=4)? {
        0 | 1 => n.to_string(),
        2 => format!("0x{n:x}"),
        3 => format!("0X{n:X}"),
        _ => format!("0{n:o}"),
    })
}

fn ipv4(u: &mut Unstructured<'_>) -> ArbResult<String> {
    let parts = u.int_in_range(1..=5)?;
    let mut out = Vec::new();
    for i in 0..parts {
        let n = if i + 1 == parts && parts < 4 {
            u64::from(u.arbitrary::<u32>()?) >> (8 * (parts - 1))
        } else {
            u64::from(u.int_in_range(0..=256u16)?)
        };
        out.push(number(u, n)?);
    }
    let mut text = out.join(".");
    if u.ratio(1, 8)? {
        text.push('.');
    }
    Ok(text)
}

fn ipv6(u: &mut Unstructured<'_>) -> ArbResult<String> {
    let mut pieces: Vec<String> = (0..8)
        .map(|_| {
            Ok(match u.int_in_range(0..=3)? {
                0 | 1 => "0".to_string(),
                2 => format!("{:x}", u.arbitrary::<u16>()?),
                _ => format!("{:04X}", u.arbitrary::<u16>()?),
            })
        })
        .collect::<ArbResult<_>>()?;
    if u.ratio(1, 4)? {
        pieces.truncate(6);
        pieces.push(format!(
            "{}.{}.{}.{}",
            u.arbitrary::<u8>()?,
            u.arbitrary::<u8>()?,
            u.arbitrary::<u8>()?,
            u.arbitrary::<u8>()?
        ));
    }
    let text = if u.arbitrary()? {
        let at = u.int_in_range(0..=pieces.len())?;
        let len = u.int_in_range(0..=pieces.len() - at)?;
        let (head, tail) = (pieces[..at].join(":"), pieces[at + len..].join(":"));
        format!("{head}::{tail}")
    } else {
        pieces.join(":")
    };
    Ok(format!("[{text}]"))
}

fn host(u: &mut Unstructured<'_>) -> ArbResult<String> {
    Ok(match u.int_in_range(0..=7)? {
        0..=3 => {
            let n = u.int_in_range(1..=4)?;
            let mut labels = Vec::new();
            for _ in 0..n {
                labels.push(if u.ratio(1, 6)? {
                    let len = u.int_in_range(1..=70)?;
                    let c = *u.choose(&["a", "A", "ü", "-", "0"])?;
                    c.repeat(len)
                } else {
                    u.choose(LABELS)?.to_string()
                });
            }
            let mut text = labels.join(".");
            if u.ratio(1, 8)? {
                text.push('.');
            }
            if u.ratio(1, 16)? {
                // Over 253 bytes.
                text = format!("{}{text}", "abcdefghi.".repeat(u.int_in_range(20..=30)?));
            }
            text
        }
        4 | 5 => ipv4(u)?,
        6 => ipv6(u)?,
        _ => u
            .choose(&["", "[::1]", "127.0.0.1", "[::ffff:127.0.0.1]", "0"])?
            .to_string(),
    })
}

/// A URL built from the input.
fn url_text(u: &mut Unstructured<'_>) -> ArbResult<String> {
    let mut text = String::new();
    if u.ratio(1, 8)? {
        text.push_str(u.choose(&[" ", "\t", "\u{0}", "\n"])?);
    }
    text.push_str(u.choose(SCHEMES)?);
    text.push_str(u.choose(SEPARATORS)?);
    if u.ratio(1, 8)? {
        text.push_str(u.choose(&["user:pass@", "@", "a@b@", "u%40@"])?);
    }
    text.push_str(&host(u)?);
    match u.int_in_range(0..=5)? {
        0..=2 => {}
        3 => text.push_str(u.choose(&[
            ":", ":80", ":443", ":21", ":0", ":65535", ":65536", ":0080", ":08443",
        ])?),
        _ => text.push_str(&format!(":{}", u.arbitrary::<u16>()?)),
    }
    text.push_str(u.choose(TAILS)?);
    if u.ratio(1, 16)? {
        let at = u.int_in_range(0..=text.len())?;
        if text.is_char_boundary(at) {
            text.insert(at, '\t');
        }
    }
    Ok(text)
}

/// Target `url_origin` (see the module docs): the input as a value and as a URL, and a URL generated
/// from it.
pub fn url_origin(data: &[u8]) {
    let fail = |what: &str, value: &str, e: String| -> ! {
        panic!(
            "request grammar vs the url crate ({what}) on {value:?}: {e}\n\
             regression case (corpus/cases/origins-grammar.toml; check the verdict against the URL standard):\n\
             [[group]]\nname = \"fuzz: url crate\"\nallow = [\"*\"]\ncases = [ {{ origin = {value:?}, expect = \"?\" }} ]"
        )
    };
    if let Err(e) = accepted_is_a_serialization(data) {
        fail("an accepted value", &String::from_utf8_lossy(data), e);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Err(e) = serialization_is_accepted(text) {
            fail("a URL's origin", text, e);
        }
    }
    let Ok(text) = url_text(&mut Unstructured::new(data)) else {
        return;
    };
    if let Err(e) = serialization_is_accepted(&text) {
        fail("a generated URL's origin", &text, e);
    }
    if let Ok(url) = Url::parse(&text) {
        let serialized = url.origin().ascii_serialization();
        if let Err(e) = accepted_is_a_serialization(serialized.as_bytes()) {
            fail("an accepted serialization", &serialized, e);
        }
    }
}
