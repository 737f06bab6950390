//! The `wrk` script that replays a trace: every request that can be sent, written out whole (request
//! line, `Host`, the CORS headers, blank line) as a Lua string, returned in turn by `request()`.
//!
//! The raw request strings are built here rather than with `wrk.format`, which takes one value per
//! header name: a trace request may carry several `Access-Control-Request-Headers` lines.

use std::fmt::Write as _;

use super::check::WireRequest;

/// The path every request asks for.
pub const PATH: &str = "/api/v1/items";

/// `bytes` as a Lua string literal: printable ASCII but `"` and `\` as it is, every other byte as a
/// three-digit decimal escape (`\013`), so that a digit after an escape is never read as part of it.
pub fn lua_string(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 2);
    out.push('"');
    for &b in bytes {
        match b {
            b'"' | b'\\' => {
                let _ = write!(out, "\\{:03}", b);
            }
            0x20..=0x7e => out.push(b as char),
            _ => {
                let _ = write!(out, "\\{:03}", b);
            }
        }
    }
    out.push('"');
    out
}

/// The bytes of `r` as an HTTP/1.1 request to `host` (the `Host` value): the same method and header
/// values the soak client sends.
pub fn raw_request(r: &WireRequest, host: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    out.extend_from_slice(r.method.as_str().as_bytes());
    out.extend_from_slice(b" ");
    out.extend_from_slice(PATH.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\nHost: ");
    out.extend_from_slice(host.as_bytes());
    out.extend_from_slice(b"\r\n");
    let mut header = |name: &[u8], value: &[u8]| {
        out.extend_from_slice(name);
        out.extend_from_slice(b": ");
        out.extend_from_slice(value);
        out.extend_from_slice(b"\r\n");
    };
    if let Some(v) = &r.origin {
        header(b"Origin", v.as_bytes());
    }
    if let Some(v) = &r.request_method {
        header(b"Access-Control-Request-Method", v.as_bytes());
    }
    for v in &r.request_headers {
        header(b"Access-Control-Request-Headers", v.as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// The whole script: the requests, then the functions `wrk` calls. Each `wrk` thread starts at its
/// own place in the list, so that threads do not send the same request at the same moment.
pub fn script(requests: &[WireRequest], host: &str, note: &str) -> String {
    let mut out = String::with_capacity(requests.len() * 160 + 1024);
    for line in note.lines() {
        let _ = writeln!(out, "-- {line}");
    }
    out.push_str("local requests = {\n");
    for r in requests {
        out.push_str(&lua_string(&raw_request(r, host)));
        out.push_str(",\n");
    }
    out.push_str("}\n");
    out.push_str(
        r#"local n = #requests
local threads = 0
local next_request = 0

function setup(thread)
  thread:set("first", (threads * 7919) % n)
  threads = threads + 1
end

function init(args)
  next_request = first or 0
end

function request()
  next_request = next_request + 1
  if next_request > n then
    next_request = 1
  end
  return requests[next_request]
end
"#,
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::wire;
    use corsmatch_workload::TraceRequest;

    /// Reads a Lua string literal as written by [`lua_string`] (its escapes only).
    fn unlua(literal: &str) -> Vec<u8> {
        let inner = literal
            .strip_prefix('"')
            .and_then(|s| s.strip_suffix('"'))
            .unwrap()
            .as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < inner.len() {
            if inner[i] == b'\\' {
                let digits = std::str::from_utf8(&inner[i + 1..i + 4]).unwrap();
                out.push(digits.parse::<u8>().unwrap());
                i += 4;
            } else {
                assert_ne!(inner[i], b'"');
                out.push(inner[i]);
                i += 1;
            }
        }
        out
    }

    #[test]
    fn lua_strings_escape_every_byte_that_needs_it() {
        assert_eq!(
            lua_string(b"GET / HTTP/1.1\r\n"),
            r#""GET / HTTP/1.1\013\010""#
        );
        assert_eq!(lua_string(br#"a"b\c"#), r#""a\034b\092c""#);
        // An escape followed by a digit stays three digits long.
        assert_eq!(lua_string(b"\x0112"), r#""\00112""#);
        assert_eq!(lua_string(b"\xff\x00\x7f~ "), r#""\255\000\127~ ""#);
        let all: Vec<u8> = (0..=255).collect();
        let literal = lua_string(&all);
        assert!(literal.is_ascii());
        assert_eq!(unlua(&literal), all);
    }

    #[test]
    fn raw_requests_carry_every_header_line() {
        let r = TraceRequest {
            method: b"OPTIONS".to_vec(),
            origin: Some(b" https://a.example".to_vec()),
            request_method: Some(b"PUT".to_vec()),
            request_headers: vec![b"x-a".to_vec(), b"".to_vec(), b"x-\xffb".to_vec()],
        };
        let w = wire(0, &r).unwrap();
        let raw = raw_request(&w, "127.0.0.1:8080");
        assert_eq!(
            raw,
            b"OPTIONS /api/v1/items HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\
              Origin:  https://a.example\r\nAccess-Control-Request-Method: PUT\r\n\
              Access-Control-Request-Headers: x-a\r\nAccess-Control-Request-Headers: \r\n\
              Access-Control-Request-Headers: x-\xffb\r\n\r\n"
        );
        let script = script(&[w], "h", "one request\nsecond line");
        assert!(
            script.starts_with("-- one request\n-- second line\nlocal requests = {\n\"OPTIONS ")
        );
        assert!(script.contains("function request()"));
    }
}
