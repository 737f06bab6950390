//! `Access-Control-Request-Headers`: a bounded, allocation-free reader of the header names a
//! preflight asks for.
//!
//! The value is an HTTP list (RFC 9110 §5.6.1): elements separated by commas, with optional spaces and
//! tabs around them and empty elements tolerated; it may be split over several header lines, which
//! together form one list (RFC 9110 §5.3). Browsers send one line of sorted lowercase names joined by
//! `,` (Fetch §4.8, "CORS-unsafe request-header names"), but the header is attacker-controlled, so the
//! reader is bounded: the number of lines and of bytes is checked before any byte is scanned, the
//! number of elements (empty ones included) is counted with one pass over at most [`MAX_BYTES`], and
//! only then are elements validated. A megabyte of commas or spaces, or a thousand empty lines, is
//! refused after looking at the line lengths alone.
//!
//! [`check`], which the decision uses, reads the list and looks its names up in the policy's allowed
//! names in the same pass. The tests hold it to the plain reader `HeaderList` (test-only) followed by a
//! search of the names, on hand-written and on 20 000 generated lists; the fuzz target
//! `request_headers` holds the decision built on it to the naive engine.

use super::fetch::is_token;
use crate::words::{half, word};

/// The most header lines accepted.
pub const MAX_LINES: usize = 16;
/// The most bytes accepted over all lines.
pub const MAX_BYTES: usize = 4096;
/// The most list elements accepted, empty ones included.
pub const MAX_ELEMENTS: usize = 64;

/// Why a header list was refused.
#[cfg(test)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ListError {
    /// Over [`MAX_LINES`], [`MAX_BYTES`] or [`MAX_ELEMENTS`].
    TooLarge,
    /// An element is not a token.
    Malformed,
}

/// A validated `Access-Control-Request-Headers` list, borrowing the request's lines: the plain
/// reader that the tests hold [`check`] to.
#[cfg(test)]
#[derive(Clone, Copy, Debug)]
pub struct HeaderList<'r> {
    lines: &'r [&'r [u8]],
    names: usize,
}

#[cfg(test)]
impl<'r> HeaderList<'r> {
    /// Checks the limits, then the syntax, of `lines` (every `Access-Control-Request-Headers` line
    /// of the request, in order).
    pub fn parse(lines: &'r [&'r [u8]]) -> Result<HeaderList<'r>, ListError> {
        if lines.len() > MAX_LINES {
            return Err(ListError::TooLarge);
        }
        let mut bytes = 0usize;
        let mut elements = 0usize;
        for line in lines {
            bytes += line.len();
            if bytes > MAX_BYTES {
                return Err(ListError::TooLarge);
            }
            elements += memchr::memchr_iter(b',', line).count() + 1;
        }
        if elements > MAX_ELEMENTS {
            return Err(ListError::TooLarge);
        }
        let mut names = 0;
        for name in elements_of(lines) {
            if !name.is_empty() {
                if !is_token(name) {
                    return Err(ListError::Malformed);
                }
                names += 1;
            }
        }
        Ok(HeaderList { lines, names })
    }

    /// The non-empty names, as sent (case preserved).
    pub fn names(&self) -> impl Iterator<Item = &'r [u8]> + 'r {
        elements_of(self.lines).filter(|n| !n.is_empty())
    }

    /// True when the list holds no name.
    pub fn is_empty(&self) -> bool {
        self.names == 0
    }
}

/// Which request-header names a policy allows, for [`check`].
#[derive(Clone, Copy, Debug)]
pub enum Allowed<'a> {
    /// `*`: every name but `authorization`, which Fetch §2.2.2 makes a "CORS non-wildcard
    /// request-header name" (Fetch §4.8 never lets `*` cover it).
    AnyButAuthorization,
    /// `*` and `authorization` listed beside it: every name.
    Any,
    /// Exactly these names.
    List(&'a AllowedNames),
}

/// A list of allowed request-header names, compiled for [`check`]: for each name, its length and the
/// ASCII-lowercased words that [`check`] compares a request's name with.
#[derive(Clone, Debug, Default)]
pub struct AllowedNames {
    keys: Box<[Key]>,
    names: Box<[Box<[u8]>]>,
    /// Bit `min(len, 63)` for the length of every name: most names that are not allowed are
    /// refused by their length alone.
    lengths: u64,
}

/// A name's length and its two [`Key::words`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Key {
    len: usize,
    first: u64,
    last: u64,
}

impl Key {
    /// `name`'s length and, ASCII-lowercased, its first and last eight bytes (overlapping when it is
    /// shorter than sixteen), its first and last four when it is shorter than eight, or all of it
    /// when it is shorter than four. Up to sixteen bytes, equal keys mean equal lowercased names.
    #[inline(always)]
    fn of(name: &[u8]) -> Key {
        Key::raw(name).folded()
    }

    /// [`Key::of`] without the lowercasing.
    #[inline(always)]
    fn raw(name: &[u8]) -> Key {
        let n = name.len();
        let (first, last) = if n >= 8 {
            (word(name, 0), word(name, n - 8))
        } else if n >= 4 {
            (half(name, 0), half(name, n - 4))
        } else {
            let mut w = 0;
            for (i, &b) in name.iter().enumerate() {
                w |= u64::from(b) << (8 * i);
            }
            (w, 0)
        };
        Key {
            len: n,
            first,
            last,
        }
    }

    /// This key, ASCII-lowercased.
    #[inline(always)]
    fn folded(self) -> Key {
        Key {
            len: self.len,
            first: fold_word(self.first),
            last: fold_word(self.last),
        }
    }

    /// The bit of [`AllowedNames::lengths`] for this length.
    #[inline(always)]
    fn length_bit(&self) -> u64 {
        1 << self.len.min(63)
    }
}

impl AllowedNames {
    /// Compiles `names`, which are tokens (stored as given; compared ASCII-case-insensitively).
    pub fn new<N: AsRef<[u8]>>(names: &[N]) -> AllowedNames {
        let keys: Box<[Key]> = names.iter().map(|n| Key::of(n.as_ref())).collect();
        AllowedNames {
            lengths: keys.iter().fold(0, |bits, k| bits | k.length_bit()),
            keys,
            names: names.iter().map(|n| Box::from(n.as_ref())).collect(),
        }
    }

    /// The names, as given.
    #[cfg(test)]
    pub fn names(&self) -> &[Box<[u8]>] {
        &self.names
    }

    /// Whether the token `name` is one of the names, ASCII-case-insensitively (RFC 9110 §5.1).
    #[inline]
    pub fn contains(&self, name: &[u8]) -> bool {
        let key = Key::raw(name);
        if self.lengths & key.length_bit() == 0 {
            return false;
        }
        // Browsers send lowercase names (Fetch §4.8): look the name up as it is first, and
        // lowercased only when that fails and lowercasing changes it.
        if self.find(key, name) {
            return true;
        }
        let folded = key.folded();
        folded != key && self.find(folded, name)
    }

    #[inline(always)]
    fn find(&self, key: Key, name: &[u8]) -> bool {
        for (i, k) in self.keys.iter().enumerate() {
            if *k == key && (key.len <= 16 || eq_middle(&self.names[i], name)) {
                return true;
            }
        }
        false
    }
}

/// Whether `name` lowercases to `allowed` (of the same length, over sixteen bytes, and with the
/// same [`Key`]) in the words between the first and the last.
fn eq_middle(allowed: &[u8], name: &[u8]) -> bool {
    let n = allowed.len();
    let mut at = 8;
    while at < n - 8 {
        if fold_word(word(allowed, at)) != fold_word(word(name, at)) {
            return false;
        }
        at += 8;
    }
    true
}

/// Why [`check`] refused a header list, in order of precedence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CheckError<'r> {
    /// Over [`MAX_LINES`], [`MAX_BYTES`] or [`MAX_ELEMENTS`] (whatever the elements hold).
    TooLarge,
    /// An element is not a token (wherever it is, even after a name that is not allowed).
    Malformed,
    /// The first name that is not allowed, as sent (case preserved).
    NotAllowed(&'r [u8]),
}

/// The set of lines of a list that hold at least one name: bit `i` for `lines[i]`.
pub type LinesWithNames = u16;

const _: () = assert!(MAX_LINES <= LinesWithNames::BITS as usize);

/// The answer of [`HeaderList::parse`] followed by "every name is in `allowed`", in one pass over
/// the elements and with the same precedence: [`CheckError::TooLarge`] first (the line and byte
/// counts are read from the line lengths, then the elements are counted, all before any element is
/// looked at), then [`CheckError::Malformed`] for a bad element anywhere, then the first name that is
/// not allowed. On success, the lines that hold a name (the ones an allowed preflight echoes in
/// `Access-Control-Allow-Headers`).
///
/// Elements are found and compared eight bytes at a time. A name is compared ASCII-case-insensitively
/// (RFC 9110 §5.1) with the allowed names of its length (stored lowercase); a match also proves it a
/// token, since each of its bytes lowercases to an allowed name's `tchar`. Any other name is checked
/// byte by byte against the `tchar` table.
pub fn check<'r>(
    lines: &'r [&'r [u8]],
    allowed: Allowed<'_>,
) -> Result<LinesWithNames, CheckError<'r>> {
    if lines.len() > MAX_LINES {
        return Err(CheckError::TooLarge);
    }
    let mut bytes = 0usize;
    for line in lines {
        bytes += line.len();
    }
    if bytes > MAX_BYTES {
        return Err(CheckError::TooLarge);
    }
    // A line of `k` commas holds `k + 1` elements: with fewer bytes than the limit leaves room for,
    // the list cannot be over it, and the commas need no counting.
    if bytes + lines.len() > MAX_ELEMENTS {
        let mut elements = lines.len();
        for line in lines {
            elements += count_commas(line);
        }
        if elements > MAX_ELEMENTS {
            return Err(CheckError::TooLarge);
        }
    }
    let mut with_names: LinesWithNames = 0;
    let mut denied: Option<&'r [u8]> = None;
    for (index, &line) in lines.iter().enumerate() {
        let mut rest = line;
        // RFC 9110 §5.6.1: `#element`, with OWS around the commas and empty elements tolerated.
        loop {
            let (element, next) = match find_comma(rest) {
                Some(at) => (&rest[..at], Some(&rest[at + 1..])),
                None => (rest, None),
            };
            let name = trim_ows(element);
            if !name.is_empty() {
                with_names |= 1 << index;
                let token = if denied.is_none() {
                    match lookup(allowed, name) {
                        Lookup::Listed => true,
                        Lookup::Allowed => is_token(name),
                        Lookup::Denied => {
                            denied = Some(name);
                            is_token(name)
                        }
                    }
                } else {
                    is_token(name)
                };
                if !token {
                    return Err(CheckError::Malformed);
                }
            }
            match next {
                Some(next) => rest = next,
                None => break,
            }
        }
    }
    match denied {
        Some(name) => Err(CheckError::NotAllowed(name)),
        None => Ok(with_names),
    }
}

/// What [`lookup`] found out about a non-empty element.
enum Lookup {
    /// Equal to an allowed name, so a token.
    Listed,
    /// Allowed if it is a token.
    Allowed,
    /// Not allowed.
    Denied,
}

/// Looks `name` up among the allowed names.
#[inline(always)]
fn lookup(allowed: Allowed<'_>, name: &[u8]) -> Lookup {
    const AUTHORIZATION: &[u8] = super::fetch::NON_WILDCARD_REQUEST_HEADER.as_bytes();
    match allowed {
        Allowed::Any => Lookup::Allowed,
        Allowed::AnyButAuthorization => {
            if name.len() == AUTHORIZATION.len() && Key::of(name) == Key::of(AUTHORIZATION) {
                Lookup::Denied
            } else {
                Lookup::Allowed
            }
        }
        Allowed::List(list) => {
            if list.contains(name) {
                Lookup::Listed
            } else {
                Lookup::Denied
            }
        }
    }
}

const ONES: u64 = 0x0101_0101_0101_0101;
const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;

/// The high bit of every zero byte of `x`, and nothing else (exact: no false positives).
#[inline(always)]
fn zero_bytes(x: u64) -> u64 {
    !(((x & LOW7) + LOW7) | x | LOW7)
}

/// `x` with its ASCII uppercase bytes lowercased, eight at a time.
#[inline(always)]
fn fold_word(x: u64) -> u64 {
    let low = x & LOW7;
    // High bit set where the low seven bits are >= b'A', resp. > b'Z'.
    let from_a = low + ONES * u64::from(0x80 - b'A');
    let past_z = low + ONES * u64::from(0x80 - b'Z' - 1);
    let upper = from_a & !past_z & !x & !LOW7;
    x | (upper >> 2)
}

/// The position of the first comma in `s`, a word at a time.
#[inline(always)]
fn find_comma(s: &[u8]) -> Option<usize> {
    const COMMAS: u64 = ONES * b',' as u64;
    let mut at = 0;
    while at + 8 <= s.len() {
        let hits = zero_bytes(word(s, at) ^ COMMAS);
        if hits != 0 {
            return Some(at + (hits.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    let left = s.len() - at;
    if left == 0 {
        None
    } else if s.len() >= 8 {
        // The last eight bytes, of which the first `8 - left` were looked at already.
        let hits = zero_bytes(word(s, s.len() - 8) ^ COMMAS) >> (8 * (8 - left));
        (hits != 0).then(|| at + (hits.trailing_zeros() / 8) as usize)
    } else {
        s.iter().position(|&b| b == b',')
    }
}

/// The number of commas in `line`: a word at a time when it is short, with `memchr`'s vector loop
/// (whose setup costs more than a short line) when it is long.
fn count_commas(line: &[u8]) -> usize {
    const COMMAS: u64 = ONES * b',' as u64;
    if line.len() >= 160 {
        return memchr::memchr_iter(b',', line).count();
    }
    let mut chunks = line.chunks_exact(8);
    let mut count = 0;
    for chunk in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        // One bit per comma, at the bottom of its byte; the multiplication sums the bytes into the top one.
        let hits = zero_bytes(u64::from_le_bytes(w) ^ COMMAS) >> 7;
        count += (hits.wrapping_mul(ONES) >> 56) as usize;
    }
    count + chunks.remainder().iter().filter(|&&b| b == b',').count()
}

/// Every element of every line, trimmed of spaces and tabs (empty ones included).
#[cfg(test)]
fn elements_of<'r>(lines: &'r [&'r [u8]]) -> impl Iterator<Item = &'r [u8]> + 'r {
    lines
        .iter()
        .flat_map(|line| line.split(|&b| b == b','))
        .map(trim_ows)
}

fn trim_ows(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(lines: &[&[u8]]) -> Result<Vec<Vec<u8>>, ListError> {
        HeaderList::parse(lines).map(|l| l.names().map(<[u8]>::to_vec).collect())
    }

    #[test]
    fn reads_lists() {
        assert_eq!(
            names(&[b"content-type,x-api-key"]).unwrap(),
            [b"content-type".to_vec(), b"x-api-key".to_vec()]
        );
        assert_eq!(names(&[b" X-A ,\t, x-b", b"", b"x-c"]).unwrap().len(), 3);
        assert_eq!(names(&[b" , ,"]).unwrap().len(), 0);
        assert_eq!(names(&[]).unwrap().len(), 0);
        assert_eq!(names(&[b"x a"]), Err(ListError::Malformed));
        assert_eq!(names(&[b"x-a;"]), Err(ListError::Malformed));
    }

    #[test]
    fn limits_come_first() {
        let commas = vec![b','; 64];
        assert_eq!(names(&[&commas]), Err(ListError::TooLarge)); // 65 empty elements
        assert_eq!(names(&[&commas[..63]]).unwrap().len(), 0); // 64
        let lines = vec![&b""[..]; 17];
        assert_eq!(names(&lines), Err(ListError::TooLarge));
        let long = vec![b'a'; MAX_BYTES + 1];
        assert_eq!(names(&[&long]), Err(ListError::TooLarge));
        // Over the element limit and malformed: the limit is reported.
        let mut both = b"x y".to_vec();
        both.extend(std::iter::repeat_n(b',', 70));
        assert_eq!(names(&[&both]), Err(ListError::TooLarge));
    }

    /// [`check`] as [`HeaderList::parse`] followed by a plain search of the allowed names.
    fn naive<'r>(lines: &'r [&'r [u8]], allowed: Allowed<'_>) -> Result<u16, CheckError<'r>> {
        let list = HeaderList::parse(lines).map_err(|e| match e {
            ListError::TooLarge => CheckError::TooLarge,
            ListError::Malformed => CheckError::Malformed,
        })?;
        for name in list.names() {
            let ok = match allowed {
                Allowed::Any => true,
                Allowed::AnyButAuthorization => !name.eq_ignore_ascii_case(b"authorization"),
                Allowed::List(names) => names.names().iter().any(|a| a.eq_ignore_ascii_case(name)),
            };
            if !ok {
                return Err(CheckError::NotAllowed(name));
            }
        }
        let mut with_names = 0;
        for (i, line) in lines.iter().enumerate() {
            if HeaderList::parse(&[line]).is_ok_and(|l| !l.is_empty()) {
                with_names |= 1 << i;
            }
        }
        Ok(with_names)
    }

    fn allowed_list() -> AllowedNames {
        let names = [
            &b"a"[..],
            b"ab",
            b"x-ab",
            b"abcdefg",
            b"content-type",
            b"authorization",
            b"x-requested-with",
            b"x-a-rather-long-header-name",
        ];
        AllowedNames::new(&names)
    }

    #[test]
    fn check_reads_lists() {
        let list = allowed_list();
        let allowed = Allowed::List(&list);
        assert_eq!(check(&[b"Content-Type, X-AB"], allowed), Ok(1));
        assert_eq!(check(&[b"", b" , ", b"a"], allowed), Ok(0b100));
        assert_eq!(check(&[], allowed), Ok(0));
        assert_eq!(
            check(&[b"x-Requested-With,content-typ,a"], allowed),
            Err(CheckError::NotAllowed(b"content-typ"))
        );
        // Malformed anywhere beats a name that is not allowed.
        assert_eq!(
            check(&[b"nope", b"a;"], allowed),
            Err(CheckError::Malformed)
        );
        // `*` covers everything but `authorization`, in any case.
        let any = Allowed::AnyButAuthorization;
        assert_eq!(check(&[b"x-anything,Content-Type"], any), Ok(1));
        assert_eq!(
            check(&[b"x-a, AUTHORIZATION, x-b"], any),
            Err(CheckError::NotAllowed(b"AUTHORIZATION"))
        );
        assert_eq!(
            check(&[b"x-a, authorization x"], any),
            Err(CheckError::Malformed)
        );
        // Limits first.
        let commas = vec![b','; 64];
        assert_eq!(check(&[&commas], any), Err(CheckError::TooLarge));
        assert_eq!(check(&[&commas[..63]], any), Ok(0));
        let mut both = b"x y".to_vec();
        both.extend(std::iter::repeat_n(b',', 70));
        assert_eq!(check(&[&both], any), Err(CheckError::TooLarge));
    }

    /// Only `A`-`Z` are lowercased: not the bytes 0x20 below `a`-`z` and `` ` ``, `~` (`@`, `^`,
    /// themselves tchars or not), nor bytes with the high bit set.
    #[test]
    fn check_folds_only_ascii_letters() {
        let list = AllowedNames::new(&[&b"abcdefgh"[..], b"ab``", b"ab~~cdef"]);
        let allowed = Allowed::List(&list);
        assert_eq!(check(&[b"ABCDEFGH, AB``, AB~~CDEF"], allowed), Ok(1));
        assert_eq!(check(&[b"AB@@"], allowed), Err(CheckError::Malformed));
        assert_eq!(
            check(&[b"AB^^CDEF"], allowed),
            Err(CheckError::NotAllowed(b"AB^^CDEF"))
        );
        assert_eq!(
            check(&[b"\xc1BCDEFGH"], allowed),
            Err(CheckError::Malformed)
        );
        assert_eq!(
            check(&[b"abcdefg\xe8"], allowed),
            Err(CheckError::Malformed)
        );
    }

    /// [`check`] agrees with [`naive`] on many generated lists.
    #[test]
    fn check_agrees_with_parse() {
        const PIECES: &[&[u8]] = &[
            b"a",
            b"A",
            b"b",
            b"ab",
            b"AB",
            b"x-",
            b"X-",
            b"content-type",
            b"CONTENT-TYPE",
            b"authorization",
            b"Authorization",
            b"x-requested-with",
            b"abcdefg",
            b"ABCDEFG",
            b"x-a-rather-long-header-name",
            b"X-A-RATHER-LONG-HEADER-NAMF",
            b"x-a-rathex-long-header-name",
            b",",
            b",",
            b",",
            b" ",
            b"\t",
            b";",
            b"\r",
            b"\xe9",
            b"@",
            b"[",
            b"`",
            b"{",
            b"~",
            b"!",
            b"*",
        ];
        let list = allowed_list();
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = |bound: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % bound as u64) as usize
        };
        for _ in 0..20_000 {
            let mut owned: Vec<Vec<u8>> = Vec::new();
            for _ in 0..next(4) {
                let mut line = Vec::new();
                let long = next(8) == 0;
                for _ in 0..next(if long { 40 } else { 8 }) {
                    line.extend_from_slice(PIECES[next(PIECES.len())]);
                }
                owned.push(line);
            }
            let lines: Vec<&[u8]> = owned.iter().map(Vec::as_slice).collect();
            for allowed in [Allowed::AnyButAuthorization, Allowed::List(&list)] {
                assert_eq!(
                    check(&lines, allowed),
                    naive(&lines, allowed),
                    "{lines:?} {allowed:?}"
                );
            }
        }
    }
}
