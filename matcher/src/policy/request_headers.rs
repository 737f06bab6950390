//! `Access-Control-Request-Headers`: a bounded, allocation-free reader of the header names a
//! preflight asks for.
//!
//! The value is an HTTP list (RFC 9110 §5.6.1): elements separated by commas, with optional spaces and
//! tabs around them and empty elements tolerated; it may be split over several header lines, which
//! together form one list (RFC 9110 §5.3). Browsers send one line of sorted lowercase names joined by
//! `,` (Fetch §4.8, "CORS-unsafe request-header names"), but the header is attacker-controlled, so the
//! reader is bounded: the number of lines and of bytes is checked before any byte is scanned, the
//! number of elements (empty ones included) is counted with one `memchr` pass over at most
//! [`MAX_BYTES`], and only then are elements validated. A megabyte of commas or spaces, or a thousand
//! empty lines, is refused after looking at the line lengths alone.

use super::fetch::is_token;

/// The most header lines accepted.
pub const MAX_LINES: usize = 16;
/// The most bytes accepted over all lines.
pub const MAX_BYTES: usize = 4096;
/// The most list elements accepted, empty ones included.
pub const MAX_ELEMENTS: usize = 64;

/// Why a header list was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ListError {
    /// Over [`MAX_LINES`], [`MAX_BYTES`] or [`MAX_ELEMENTS`].
    TooLarge,
    /// An element is not a token.
    Malformed,
}

/// A validated `Access-Control-Request-Headers` list, borrowing the request's lines.
#[derive(Clone, Copy, Debug)]
pub struct HeaderList<'r> {
    lines: &'r [&'r [u8]],
    names: usize,
}

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

    /// How many non-empty names the list holds.
    pub fn len(&self) -> usize {
        self.names
    }

    /// True when the list holds no name.
    pub fn is_empty(&self) -> bool {
        self.names == 0
    }

    /// The lines, as sent.
    pub fn lines(&self) -> &'r [&'r [u8]] {
        self.lines
    }
}

/// Every element of every line, trimmed of spaces and tabs (empty ones included).
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
}
