//! The vocabulary of the WHATWG Fetch standard that the policy depends on: tokens, method
//! normalization, safelisted and forbidden methods and headers, the CORS header names.

/// RFC 9110 §5.6.2 `tchar`: `!#$%&'*+-.^_`|~`, digits and letters.
pub(crate) const fn is_tchar(c: u8) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'.'
                | b'^'
                | b'_'
                | b'`'
                | b'|'
                | b'~'
        )
}

/// [`is_tchar`], as a table.
static TCHAR: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0usize;
    while b < 256 {
        t[b] = is_tchar(b as u8);
        b += 1;
    }
    t
};

/// True iff `bytes` is an RFC 9110 token (one or more `tchar`s): the grammar of methods and header
/// names (Fetch §2.2 "method", "header name").
#[inline]
pub fn is_token(bytes: &[u8]) -> bool {
    !bytes.is_empty() && bytes.iter().all(|&b| TCHAR[usize::from(b)])
}

/// Fetch §2.2.1 "normalize a method": a byte-case-insensitive match for DELETE, GET, HEAD, OPTIONS,
/// POST or PUT is uppercased; every other method is left as it is (`patch` stays `patch`).
pub fn normalize_method(method: &str) -> String {
    const NORMALIZED: [&str; 6] = ["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"];
    match NORMALIZED.iter().find(|m| m.eq_ignore_ascii_case(method)) {
        Some(m) => (*m).to_string(),
        None => method.to_string(),
    }
}

/// Fetch §2.2.1 "CORS-safelisted method": `GET`, `HEAD`, `POST` (byte-exact).
#[inline]
pub fn is_safelisted_method(method: &[u8]) -> bool {
    matches!(method, b"GET" | b"HEAD" | b"POST")
}

/// Fetch §2.2.1 "forbidden method": `CONNECT`, `TRACE`, `TRACK`, byte-case-insensitively.
pub fn is_forbidden_method(method: &str) -> bool {
    ["CONNECT", "TRACE", "TRACK"]
        .iter()
        .any(|m| m.eq_ignore_ascii_case(method))
}

/// Fetch §2.2.2 "forbidden request-header" names (lowercase), which script can never set, so a
/// policy listing them is mistaken.
pub const FORBIDDEN_REQUEST_HEADERS: &[&str] = &[
    "accept-charset",
    "accept-encoding",
    "access-control-request-headers",
    "access-control-request-method",
    "connection",
    "content-length",
    "cookie",
    "cookie2",
    "date",
    "dnt",
    "expect",
    "host",
    "keep-alive",
    "origin",
    "referer",
    "set-cookie",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "via",
];

/// True for a forbidden request-header name (lowercase input), including the `proxy-` and `sec-`
/// prefixes.
pub fn is_forbidden_request_header(lower: &str) -> bool {
    FORBIDDEN_REQUEST_HEADERS.contains(&lower)
        || lower.starts_with("proxy-")
        || lower.starts_with("sec-")
}

/// The CORS response header names (Fetch §3.2.3), which are never request headers.
pub const CORS_RESPONSE_HEADERS: &[&str] = &[
    "access-control-allow-origin",
    "access-control-allow-credentials",
    "access-control-allow-methods",
    "access-control-allow-headers",
    "access-control-expose-headers",
    "access-control-max-age",
    "access-control-allow-private-network",
];

/// Fetch §2.2.2 "forbidden response-header names": script can never read them, so exposing them is
/// mistaken.
pub const FORBIDDEN_RESPONSE_HEADERS: &[&str] = &["set-cookie", "set-cookie2"];

/// Fetch §2.2.2 "CORS non-wildcard request-header name": never covered by `*`.
pub const NON_WILDCARD_REQUEST_HEADER: &str = "authorization";

/// The response header names the decision sets.
pub mod names {
    /// `Access-Control-Allow-Origin`
    pub const ALLOW_ORIGIN: &str = "access-control-allow-origin";
    /// `Access-Control-Allow-Credentials`
    pub const ALLOW_CREDENTIALS: &str = "access-control-allow-credentials";
    /// `Access-Control-Allow-Methods`
    pub const ALLOW_METHODS: &str = "access-control-allow-methods";
    /// `Access-Control-Allow-Headers`
    pub const ALLOW_HEADERS: &str = "access-control-allow-headers";
    /// `Access-Control-Max-Age`
    pub const MAX_AGE: &str = "access-control-max-age";
    /// `Access-Control-Allow-Private-Network`
    pub const ALLOW_PRIVATE_NETWORK: &str = "access-control-allow-private-network";
    /// `Access-Control-Expose-Headers`
    pub const EXPOSE_HEADERS: &str = "access-control-expose-headers";
    /// `Vary`
    pub const VARY: &str = "vary";
    /// `Access-Control-Request-Private-Network` (request)
    #[cfg(feature = "http")]
    pub const REQUEST_PRIVATE_NETWORK: &str = "access-control-request-private-network";
}

/// The constant header values a decision gives (the rest echo the request or come from the policy).
/// One copy, so that the `http` adapter can hold them as static `HeaderValue`s.
pub(crate) mod values {
    /// `Access-Control-Allow-Credentials` and `-Allow-Private-Network`.
    pub(crate) const TRUE: &str = "true";
    /// `Access-Control-Allow-Origin` when every origin is allowed without credentials.
    pub(crate) const ANY: &str = "*";
    /// `Vary` of an answer that depends on the origin only.
    pub(crate) const VARY_ORIGIN: &str = "Origin";
    /// `Vary` of a preflight answer.
    pub(crate) const VARY_PREFLIGHT: &str =
        "Origin, Access-Control-Request-Method, Access-Control-Request-Headers";
    /// `Vary` of an allowed preflight when every origin is allowed without credentials.
    pub(crate) const VARY_PREFLIGHT_ANY: &str =
        "Access-Control-Request-Method, Access-Control-Request-Headers";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vocabulary() {
        assert!(is_token(b"x-api-key") && is_token(b"PATCH") && is_token(b"*"));
        assert!(!is_token(b"") && !is_token(b"x y") && !is_token(b"a,b") && !is_token(b"\xc3\xa9"));
        assert_eq!(normalize_method("patch"), "patch");
        assert_eq!(normalize_method("dElEtE"), "DELETE");
        assert!(is_forbidden_method("trace") && !is_forbidden_method("PATCH"));
        assert!(
            is_forbidden_request_header("sec-fetch-mode")
                && is_forbidden_request_header("proxy-authorization")
        );
        assert!(!is_forbidden_request_header("authorization"));
        assert!(is_safelisted_method(b"POST") && !is_safelisted_method(b"post"));
    }
}
