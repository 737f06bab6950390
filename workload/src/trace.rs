//! The trace format: one request per line, fields separated by a TAB.
//!
//! ```text
//! # comment lines start with '#'; blank lines are skipped
//! METHOD<TAB>ORIGIN<TAB>ACRM[<TAB>ACRH-LINE]...
//! OPTIONS<TAB>https://app.example.com<TAB>PUT<TAB>authorization,content-type
//! GET<TAB>https://app.example.com<TAB>-
//! POST<TAB>-<TAB>-
//! ```
//!
//! * `METHOD` is the request method; `ORIGIN` the `Origin` header value; `ACRM` the
//!   `Access-Control-Request-Method` value; each further field one `Access-Control-Request-Headers`
//!   line (a request may repeat the header, and a hostile one does).
//! * A field that is exactly `-` means the header is absent; an empty field is a header with an empty
//!   value.
//! * Bytes are escaped so that any header value fits on one line: `\\`, `\t`, `\n`, `\r` and `\xNN`
//!   (two hex digits) — a literal `-` value is written `\x2d`. Values are otherwise written as they are,
//!   since a trace must be able to hold exactly the bytes an attacker sends.
//!
//! [`Trace::parse`] reports the first bad line with its line and column (both 1-based) and a typed
//! [`TraceErrorKind`]; [`Trace::write`] is its inverse.

use std::fmt;

use corsmatch::policy::Request;

/// The first line of a trace written by [`Trace::write`].
pub const HEADER: &str = "# corsmatch trace v1: METHOD<TAB>ORIGIN<TAB>ACRM[<TAB>ACRH-LINE]...; '-' = absent; escapes \\\\ \\t \\n \\r \\xNN";

/// One request of a trace: the header bytes CORS looks at, owned.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TraceRequest {
    /// The request method.
    pub method: Vec<u8>,
    /// The `Origin` header, if present.
    pub origin: Option<Vec<u8>>,
    /// The `Access-Control-Request-Method` header, if present.
    pub request_method: Option<Vec<u8>>,
    /// Every `Access-Control-Request-Headers` line, in order.
    pub request_headers: Vec<Vec<u8>>,
}

/// A sequence of requests.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Trace {
    /// The requests, in order.
    pub requests: Vec<TraceRequest>,
}

/// A trace line that could not be read: where, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceError {
    /// The 1-based line number.
    pub line: usize,
    /// The 1-based column within the line, counted in characters (a TAB is one): where the bad field
    /// or escape starts.
    pub column: usize,
    /// What is wrong.
    pub kind: TraceErrorKind,
}

/// What is wrong with a trace line.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TraceErrorKind {
    /// The first field, the method, is empty.
    EmptyMethod,
    /// Fewer than three TAB-separated fields.
    MissingFields,
    /// A `\x` escape not followed by two hex digits; the escape as written (up to 4 characters).
    BadHexEscape(String),
    /// A `\` followed by anything but `\`, `t`, `n`, `r` or `x`; the character after it, `None`
    /// when the `\` ends the field.
    UnknownEscape(Option<char>),
}

impl fmt::Display for TraceErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TraceErrorKind::EmptyMethod => f.write_str("the method is empty"),
            TraceErrorKind::MissingFields => f.write_str(
                "expected at least 3 TAB-separated fields: METHOD, ORIGIN, ACRM ('-' when absent)",
            ),
            TraceErrorKind::BadHexEscape(written) => write!(
                f,
                "bad escape `{}`: \\x needs two hex digits",
                visible(written)
            ),
            TraceErrorKind::UnknownEscape(Some(c)) => write!(
                f,
                "bad escape `\\{}`: use \\\\, \\t, \\n, \\r or \\xNN",
                visible(&c.to_string())
            ),
            TraceErrorKind::UnknownEscape(None) => {
                f.write_str("bad escape: `\\` ends the field; write a backslash as \\\\")
            }
        }
    }
}

/// `text` with control characters escaped (`\u{0}`), everything else as it is.
fn visible(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_debug().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

impl fmt::Display for TraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.kind
        )
    }
}

impl std::error::Error for TraceError {}

impl Trace {
    /// Reads a trace. Line terminators are `\n` or `\r\n`. The first bad line is an error naming its
    /// line and column.
    pub fn parse(text: &str) -> Result<Trace, TraceError> {
        let mut requests = Vec::new();
        for (i, line) in text.split('\n').enumerate() {
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            // `at` is a byte offset into `line`; the column counts characters.
            let err = |at: usize, kind: TraceErrorKind| TraceError {
                line: i + 1,
                column: line[..at].chars().count() + 1,
                kind,
            };
            let mut fields = Vec::new();
            let mut start = 0;
            for field in line.split('\t') {
                fields.push((start, field));
                start += field.len() + 1;
            }
            let field = |(start, text): (usize, &str)| {
                unescape(text).map_err(|(at, kind)| err(start + at, kind))
            };
            let method = field(fields[0])?;
            if method.is_empty() {
                return Err(err(0, TraceErrorKind::EmptyMethod));
            }
            if fields.len() < 3 {
                return Err(err(line.len(), TraceErrorKind::MissingFields));
            }
            let optional = |f: (usize, &str)| -> Result<Option<Vec<u8>>, TraceError> {
                if f.1 == "-" {
                    Ok(None)
                } else {
                    field(f).map(Some)
                }
            };
            requests.push(TraceRequest {
                method,
                origin: optional(fields[1])?,
                request_method: optional(fields[2])?,
                request_headers: fields[3..]
                    .iter()
                    .map(|&f| field(f))
                    .collect::<Result<_, _>>()?,
            });
        }
        Ok(Trace { requests })
    }

    /// Writes the trace: [`HEADER`], then one line per request.
    pub fn write(&self) -> String {
        let mut out = String::with_capacity(64 * self.requests.len() + HEADER.len() + 1);
        out.push_str(HEADER);
        out.push('\n');
        for r in &self.requests {
            escape_into(&r.method, &mut out);
            for field in [&r.origin, &r.request_method] {
                out.push('\t');
                match field {
                    None => out.push('-'),
                    Some(v) => escape_into(v, &mut out),
                }
            }
            for line in &r.request_headers {
                out.push('\t');
                escape_into(line, &mut out);
            }
            out.push('\n');
        }
        out
    }

    /// How many requests are preflights (`OPTIONS` with `Origin` and `Access-Control-Request-Method`),
    /// actual CORS requests (`Origin`, not a preflight) and requests without `Origin`.
    pub fn mix(&self) -> (usize, usize, usize) {
        let mut mix = (0, 0, 0);
        for r in &self.requests {
            match (&r.origin, &r.request_method) {
                (None, _) => mix.2 += 1,
                (Some(_), Some(_)) if r.method == b"OPTIONS" => mix.0 += 1,
                _ => mix.1 += 1,
            }
        }
        mix
    }

    /// The `Access-Control-Request-Headers` lines of every request as borrowed slices: the storage that
    /// [`Trace::requests`] points into.
    pub fn header_lines(&self) -> Vec<Vec<&[u8]>> {
        self.requests
            .iter()
            .map(|r| r.request_headers.iter().map(Vec::as_slice).collect())
            .collect()
    }

    /// The requests as [`corsmatch::policy::Request`]s, borrowing the trace and `lines` (from
    /// [`Trace::header_lines`]), so that replaying them allocates nothing.
    pub fn requests<'a>(&'a self, lines: &'a [Vec<&'a [u8]>]) -> Vec<Request<'a>> {
        self.requests
            .iter()
            .zip(lines)
            .map(|(r, lines)| Request {
                method: &r.method,
                origin: r.origin.as_deref(),
                request_method: r.request_method.as_deref(),
                request_headers: lines,
                private_network: false,
            })
            .collect()
    }
}

fn escape_into(bytes: &[u8], out: &mut String) {
    if bytes == b"-" {
        out.push_str("\\x2d");
        return;
    }
    for &b in bytes {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            0x20..=0x7e => out.push(b as char),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\x");
                out.push(HEX[usize::from(b >> 4)] as char);
                out.push(HEX[usize::from(b & 15)] as char);
            }
        }
    }
}

/// The bytes of a field, or the byte offset of its bad escape and what is wrong with it.
fn unescape(field: &str) -> Result<Vec<u8>, (usize, TraceErrorKind)> {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b != b'\\' {
            out.push(b);
            i += 1;
            continue;
        }
        match bytes.get(i + 1) {
            Some(b'\\') => out.push(b'\\'),
            Some(b't') => out.push(b'\t'),
            Some(b'n') => out.push(b'\n'),
            Some(b'r') => out.push(b'\r'),
            Some(b'x') => {
                // Exactly two hex digits: `u8::from_str_radix` alone would take `+1`.
                let digits = bytes
                    .get(i + 2..i + 4)
                    .filter(|h| h.iter().all(u8::is_ascii_hexdigit));
                let Some(&[hi, lo]) = digits else {
                    // `i` is at a `\`, a character boundary.
                    let written = field[i..].chars().take(4).collect();
                    return Err((i, TraceErrorKind::BadHexEscape(written)));
                };
                out.push(hex_value(hi) << 4 | hex_value(lo));
                i += 4;
                continue;
            }
            _ => {
                let next = field[i + 1..].chars().next();
                return Err((i, TraceErrorKind::UnknownEscape(next)));
            }
        }
        i += 2;
    }
    Ok(out)
}

/// The value of an ASCII hex digit.
fn hex_value(digit: u8) -> u8 {
    match digit {
        b'0'..=b'9' => digit - b'0',
        b'a'..=b'f' => digit - b'a' + 10,
        _ => digit - b'A' + 10,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_of_every_byte_and_absent_fields() {
        let all: Vec<u8> = (0..=255).collect();
        let trace = Trace {
            requests: vec![
                TraceRequest {
                    method: b"OPTIONS".to_vec(),
                    origin: Some(all.clone()),
                    request_method: Some(b"-".to_vec()),
                    request_headers: vec![b"".to_vec(), b"a,\tb".to_vec(), all],
                },
                TraceRequest {
                    method: b"GET".to_vec(),
                    origin: None,
                    request_method: None,
                    request_headers: vec![],
                },
            ],
        };
        let text = trace.write();
        assert_eq!(text.lines().count(), 3);
        assert_eq!(Trace::parse(&text), Ok(trace.clone()));
        assert_eq!(trace.mix(), (1, 0, 1));
    }

    #[test]
    fn errors_name_the_line_and_column() {
        for (text, line, column, needle) in [
            ("GET\thttps://a.com\n", 1, 18, "at least 3"),
            ("# c\n\nGET\t\\q\t-\n", 3, 5, "bad escape `\\q`"),
            ("GET\t\\x4\t-\n", 1, 5, "`\\x4`"),
            ("GET\t-\t-\tx-a,\\", 1, 13, "ends the field"),
            ("\thttps://a.com\t-\n", 1, 1, "method is empty"),
        ] {
            let e = Trace::parse(text).unwrap_err();
            assert_eq!((e.line, e.column), (line, column), "{text:?}");
            assert!(e.to_string().contains(needle), "{e}");
        }
        let ok = Trace::parse("GET\t\t-\r\nPOST\t-\t\\x2d\n").unwrap();
        assert_eq!(ok.requests[0].origin.as_deref(), Some(&b""[..]));
        assert_eq!(ok.requests[1].request_method.as_deref(), Some(&b"-"[..]));
        let hex = Trace::parse("GET\t\\x4A\\xff\\x00\t-\n").unwrap();
        assert_eq!(hex.requests[0].origin.as_deref(), Some(&b"J\xff\0"[..]));
    }

    #[test]
    fn requests_borrow_the_trace() {
        let trace = Trace::parse("OPTIONS\thttps://a.com\tPUT\tx-a\tx-b\n").unwrap();
        let lines = trace.header_lines();
        let reqs = trace.requests(&lines);
        assert_eq!(reqs[0].request_headers, [&b"x-a"[..], b"x-b"]);
        assert_eq!(reqs[0].origin, Some(&b"https://a.com"[..]));
    }
}
