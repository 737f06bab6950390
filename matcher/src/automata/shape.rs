//! [`Shape`]: what the language of a regex DFA already proves about the request grammar, worked out
//! once per allowlist, so that a regex hit validates only the rest.
//!
//! A regex entry is judged by the language its automaton accepts (`scope`), and the same goes for a
//! hit: when every string that can end the DFA's walk in a given state is `scheme "://" labels
//! [":" 1*5DIGIT]` with a special scheme other than `file`, labels of `[a-z0-9_-]` joined by single
//! dots, no `xn--` label and a last label that is not a number, then an origin ending there is valid
//! as soon as its labels are at most 63 bytes and its host at most 253 (a length no regular check
//! bounds unless the regex does) and its port is valid (checked before any structure is probed).
//!
//! The proof walks the product of the DFA and [`Checker`], a small automaton of that shape, from
//! their start states over every byte: a DFA state is proven when every checker state it is reached
//! with accepts at the end of the input.

/// The checker's states. Scheme prefixes are their own states; in the host, a state is the label's
/// prefix state (for `xn--`) and number state (for the last label); then the port's digit count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Checker {
    /// Nothing or a prefix of the special schemes' `scheme://` read so far.
    Scheme(&'static [u8]),
    /// In the host, `empty`: no byte of the current label read yet.
    Host { prefix: Prefix, number: Number },
    /// In the port, after `digits` digits.
    Port(u8),
    /// Not of the shape.
    Dead,
}

/// How far a label has spelled `xn--`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Prefix {
    Empty,
    X,
    Xn,
    XnDash,
    /// Anything else: the label cannot start with `xn--` any more.
    Free,
}

/// Whether the label read so far is what the URL standard's "ends in a number checker" calls a
/// number: all digits, or `0x` followed by hex digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Number {
    Empty,
    /// `0`.
    Zero,
    /// All digits, more than `0` alone.
    Digits,
    /// `0x` and hex digits.
    Hex,
    /// Not a number.
    Other,
}

const SCHEMES: [&[u8]; 5] = [b"http://", b"https://", b"ws://", b"wss://", b"ftp://"];

fn is_label_byte(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_'
}

impl Checker {
    pub(super) const START: Checker = Checker::Scheme(b"");

    const LABEL_START: Checker = Checker::Host {
        prefix: Prefix::Empty,
        number: Number::Empty,
    };

    /// The state after `b`.
    pub(super) fn step(self, b: u8) -> Checker {
        match self {
            Checker::Scheme(read) => {
                let n = read.len();
                match SCHEMES
                    .iter()
                    .find(|s| s.len() > n && s[..n] == *read && s[n] == b)
                {
                    Some(s) if s.len() == n + 1 => Checker::LABEL_START,
                    Some(s) => Checker::Scheme(&s[..n + 1]),
                    None => Checker::Dead,
                }
            }
            Checker::Host { prefix, number } => {
                if b == b'.' || b == b':' {
                    return match number {
                        Number::Empty => Checker::Dead,
                        // A number may end a label, but not the last one.
                        Number::Zero | Number::Digits | Number::Hex if b == b':' => Checker::Dead,
                        _ if b == b':' => Checker::Port(0),
                        _ => Checker::LABEL_START,
                    };
                }
                if !is_label_byte(b) {
                    return Checker::Dead;
                }
                let prefix = match (prefix, b) {
                    (Prefix::Empty, b'x') => Prefix::X,
                    (Prefix::X, b'n') => Prefix::Xn,
                    (Prefix::Xn, b'-') => Prefix::XnDash,
                    (Prefix::XnDash, b'-') => return Checker::Dead,
                    _ => Prefix::Free,
                };
                let number = match (number, b) {
                    (Number::Empty, b'0') => Number::Zero,
                    (Number::Empty | Number::Digits, b'0'..=b'9') => Number::Digits,
                    (Number::Zero, b'0'..=b'9') => Number::Digits,
                    (Number::Zero, b'x') => Number::Hex,
                    (Number::Hex, b'0'..=b'9' | b'a'..=b'f') => Number::Hex,
                    _ => Number::Other,
                };
                Checker::Host { prefix, number }
            }
            Checker::Port(n) if n < 5 && b.is_ascii_digit() => Checker::Port(n + 1),
            Checker::Port(_) | Checker::Dead => Checker::Dead,
        }
    }

    /// Whether a string that brought the checker here is of the shape.
    pub(super) fn accepts(self) -> bool {
        match self {
            Checker::Host { number, .. } => number == Number::Other,
            Checker::Port(n) => n > 0,
            Checker::Scheme(_) | Checker::Dead => false,
        }
    }
}

/// Whether `host`'s labels are at most 63 bytes and the host at most 253: what a [`Checker`]
/// cannot count.
#[inline]
pub(super) fn short_enough(host: &[u8]) -> bool {
    host.len() <= crate::origin::MAX_LABEL_LEN
        || (host.len() <= crate::origin::MAX_DOMAIN_LEN && long_labels_fit(host))
}

#[inline(never)]
fn long_labels_fit(host: &[u8]) -> bool {
    host.split(|&b| b == b'.')
        .all(|label| label.len() <= crate::origin::MAX_LABEL_LEN)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(s: &str) -> bool {
        s.bytes().fold(Checker::START, Checker::step).accepts()
    }

    #[test]
    fn the_shape() {
        for yes in [
            "https://a.example",
            "http://a-b_c.d:8080",
            "ws://x.y:1",
            "wss://a.0x1g",
            "ftp://ab--c.example",
            "https://xn-a.example",
            "https://axn--b.example",
            "https://123.example",
            "https://0x.a",
        ] {
            assert!(run(yes), "{yes}");
        }
        for no in [
            "file://a.example",
            "foo://a.example",
            "HTTPS://a.example",
            "https://A.example",
            "https://a..example",
            "https://.a",
            "https://a.example.",
            "https://xn--a.example",
            "https://a.xn--b",
            "https://a.123",
            "https://a.0",
            "https://a.0x1f",
            "https://1.2.3.4",
            "https://a.b:",
            "https://a.b:123456",
            "https://a.b:1a",
            "https://[::1]",
            "https://a%41.b",
            "https://",
            "https:/",
        ] {
            assert!(!run(no), "{no}");
        }
    }

    #[test]
    fn lengths() {
        assert!(short_enough(b"a.b"));
        let label = "a".repeat(63);
        assert!(short_enough(format!("{label}.{label}").as_bytes()));
        assert!(!short_enough(format!("{label}a.b").as_bytes()));
        let host = [label.as_str(); 4].join(".");
        assert_eq!(host.len(), 255);
        assert!(!short_enough(host.as_bytes()));
        assert!(short_enough(&host.as_bytes()[2..]));
    }
}
