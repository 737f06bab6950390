//! What a proxy changes in the headers it forwards: hop-by-hop fields removed (RFC 9110 §7.6.1),
//! `Via` added (RFC 9110 §7.6.3), and the client's address appended to `Forwarded` (RFC 7239) and
//! `X-Forwarded-For`.

use std::net::{IpAddr, SocketAddr};

use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::Version;

/// `Keep-Alive` and `Proxy-Connection` (no constants in `http`).
static KEEP_ALIVE: HeaderName = HeaderName::from_static("keep-alive");
static PROXY_CONNECTION: HeaderName = HeaderName::from_static("proxy-connection");
static X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
static X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
static X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");

/// Removes the hop-by-hop fields of a message a proxy forwards. RFC 9110 §7.6.1: the fields the
/// `Connection` header names, `Connection` itself, and `Proxy-Connection`, `Keep-Alive`, `TE`,
/// `Transfer-Encoding` and `Upgrade` (the message is re-framed by the next hop; upgrades are not
/// proxied).
pub fn remove_hop_by_hop(headers: &mut HeaderMap) {
    // The names listed in `Connection` (a comma-separated list of tokens, any number of lines).
    // Collected first: removing while reading would borrow the map twice. Few and short.
    let mut listed: Vec<HeaderName> = Vec::new();
    for value in headers.get_all(header::CONNECTION) {
        for name in value.as_bytes().split(|&b| b == b',') {
            let name = name.trim_ascii();
            if let Ok(name) = HeaderName::from_bytes(name) {
                listed.push(name);
            }
        }
    }
    for name in listed {
        headers.remove(name);
    }
    for name in [
        &header::CONNECTION,
        &PROXY_CONNECTION,
        &KEEP_ALIVE,
        &header::TE,
        &header::TRANSFER_ENCODING,
        &header::UPGRADE,
    ] {
        headers.remove(name);
    }
}

/// The protocol name and version for `Via` (RFC 9110 §7.6.3: the protocol name is omitted for HTTP).
fn via_version(version: Version) -> &'static str {
    match version {
        Version::HTTP_09 => "0.9",
        Version::HTTP_10 => "1.0",
        Version::HTTP_2 => "2",
        Version::HTTP_3 => "3",
        _ => "1.1",
    }
}

/// Appends this proxy to `Via`, for a message received with `version`.
pub fn add_via(headers: &mut HeaderMap, version: Version) {
    let value = match version {
        Version::HTTP_10 => HeaderValue::from_static("1.0 corsmatch"),
        Version::HTTP_2 => HeaderValue::from_static("2 corsmatch"),
        Version::HTTP_11 => HeaderValue::from_static("1.1 corsmatch"),
        other => HeaderValue::from_str(&format!("{} corsmatch", via_version(other)))
            .unwrap_or(HeaderValue::from_static("1.1 corsmatch")),
    };
    headers.append(header::VIA, value);
}

/// A `Forwarded` node for `ip` (RFC 7239 §6: an IPv6 address is bracketed, and then quoted).
fn forwarded_node(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(ip) => ip.to_string(),
        IpAddr::V6(ip) => format!("\"[{ip}]\""),
    }
}

/// A quoted-string (RFC 9110 §5.6.4) holding `value`, or `None` when `value` has a byte a
/// quoted-string cannot carry.
fn quoted(value: &[u8]) -> Option<String> {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for &b in value {
        match b {
            b'"' | b'\\' => {
                out.push('\\');
                out.push(b as char);
            }
            b'\t' | b' '..=b'~' => out.push(b as char),
            _ => return None,
        }
    }
    out.push('"');
    Some(out)
}

/// Joins every line of `name` and `element` into one comma-separated line.
fn append_element(headers: &mut HeaderMap, name: &HeaderName, element: &str) {
    let mut line = Vec::new();
    for value in headers.get_all(name) {
        line.extend_from_slice(value.as_bytes());
        line.extend_from_slice(b", ");
    }
    line.extend_from_slice(element.as_bytes());
    if let Ok(value) = HeaderValue::from_bytes(&line) {
        headers.insert(name, value);
    }
}

/// Records the hop from `peer` in a request about to be forwarded: `X-Forwarded-For` and
/// `Forwarded` get the client's address appended (after whatever earlier proxies wrote; only the
/// last element is this proxy's word), `X-Forwarded-Host` the `host` the client asked for, and
/// `X-Forwarded-Proto` is `http` unless an earlier proxy set it.
pub fn add_forwarded(headers: &mut HeaderMap, peer: SocketAddr, host: Option<&[u8]>) {
    let ip = peer.ip().to_canonical();
    append_element(headers, &X_FORWARDED_FOR, &ip.to_string());
    let mut element = format!("for={}", forwarded_node(ip));
    if let Some(quoted) = host.and_then(quoted) {
        element.push_str(";host=");
        element.push_str(&quoted);
    }
    element.push_str(";proto=http");
    append_element(headers, &header::FORWARDED, &element);
    if let Some(host) = host.and_then(|h| HeaderValue::from_bytes(h).ok()) {
        headers.insert(&X_FORWARDED_HOST, host);
    }
    if !headers.contains_key(&X_FORWARDED_PROTO) {
        headers.insert(&X_FORWARDED_PROTO, HeaderValue::from_static("http"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (n, v) in pairs {
            map.append(
                HeaderName::from_bytes(n.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        map
    }

    #[test]
    fn hop_by_hop_fields_and_the_ones_connection_names_are_removed() {
        let mut headers = map(&[
            ("connection", "keep-alive, X-Secret"),
            ("connection", " close ,,x-other"),
            ("x-secret", "1"),
            ("x-other", "2"),
            ("keep-alive", "timeout=5"),
            ("proxy-connection", "keep-alive"),
            ("te", "trailers"),
            ("transfer-encoding", "chunked"),
            ("upgrade", "websocket"),
            ("x-kept", "3"),
            ("origin", "https://a.example"),
        ]);
        remove_hop_by_hop(&mut headers);
        let mut names: Vec<&str> = headers.keys().map(|k| k.as_str()).collect();
        names.sort_unstable();
        assert_eq!(names, ["origin", "x-kept"]);
    }

    #[test]
    fn the_client_is_appended_after_earlier_proxies() {
        let mut headers = map(&[
            ("x-forwarded-for", "203.0.113.7"),
            ("forwarded", "for=203.0.113.7"),
            ("x-forwarded-proto", "https"),
        ]);
        add_forwarded(
            &mut headers,
            "[::1]:5000".parse().unwrap(),
            Some(b"api.localhost:8080"),
        );
        assert_eq!(headers["x-forwarded-for"], "203.0.113.7, ::1");
        assert_eq!(
            headers["forwarded"],
            "for=203.0.113.7, for=\"[::1]\";host=\"api.localhost:8080\";proto=http"
        );
        assert_eq!(headers["x-forwarded-host"], "api.localhost:8080");
        assert_eq!(headers["x-forwarded-proto"], "https");

        let mut fresh = HeaderMap::new();
        // An IPv4 client on a dual-stack socket is reported as IPv4.
        add_forwarded(&mut fresh, "[::ffff:127.0.0.1]:1".parse().unwrap(), None);
        assert_eq!(fresh["x-forwarded-for"], "127.0.0.1");
        assert_eq!(fresh["forwarded"], "for=127.0.0.1;proto=http");
        assert_eq!(fresh["x-forwarded-proto"], "http");
        assert!(!fresh.contains_key("x-forwarded-host"));
    }

    #[test]
    fn a_host_is_quoted_with_escapes_or_left_out() {
        assert_eq!(quoted(b"a\"b\\c").unwrap(), "\"a\\\"b\\\\c\"");
        assert_eq!(quoted(b"a\x7fb"), None);
    }

    #[test]
    fn via_names_the_version_received() {
        let mut headers = map(&[("via", "1.0 fred")]);
        add_via(&mut headers, Version::HTTP_2);
        let all: Vec<_> = headers.get_all("via").iter().collect();
        assert_eq!(all, ["1.0 fred", "2 corsmatch"]);
    }
}
