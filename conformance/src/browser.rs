//! A model of the browser's side of CORS: what a browser sends and what it lets script read when a page
//! calls `fetch()` on another origin. Used by tests, fuzzing, benches and `corsmatch explain`
//! to check that the server-side decision really lets the intended requests
//! through and keeps the others out.
//!
//! Written from the WHATWG Fetch standard, section by section, and nothing else: methods (§2.2.2: the
//! forbidden methods, the CORS-safelisted methods, method normalization), headers (§2.2.2: forbidden
//! request-headers, CORS-safelisted request-headers, CORS-unsafe request-header names, CORS-safelisted
//! response-header names), the CORS protocol (§3.2.3), the CORS-preflight fetch (§4.8) and the CORS
//! check (§4.9). Like [`crate::reference`] and [`crate::decision`], it shares **no code** with the engine (nothing
//! from `corsmatch::origin`, `corsmatch::automata` or `corsmatch::policy`) and is written plainly, with owned
//! `String`s, `Vec`s and obvious loops.
//!
//! What is modelled: one cross-origin request in mode "cors" (the page's origin is never the target's),
//! with credentials mode "include" or "same-origin"; the preflight when one is needed; the actual
//! request; the CORS check on both responses; the CORS-filtered response's readable header names; and,
//! across the calls of one [`Browser`], the CORS-preflight cache (§4.8, with `Access-Control-Max-Age`;
//! every entry is taken as fresh until its max-age, which the model treats as "longer than the calls
//! take", and a max-age of 0 caches nothing); redirects (§4.4: the CORS check on each redirect
//! response, 301/302/303 turning the method into `GET`, a new preflight for the new URL when one is
//! needed, and the origin tainted to `null` by a redirect to another origin); a body on `GET` or
//! `HEAD` as the `TypeError` it is. What is not: cookies themselves, Private Network Access (current
//! Chromium sends no such preflight: a page the browser counts as public that fetches a local or
//! loopback address needs the Local Network Access permission instead, and without it nothing is
//! sent; see the README's "Checked in a real browser"), `no-cors` mode, upload listeners (the
//! use-CORS-preflight flag).
//!
//! Two [`Profile`]s: [`Profile::Fetch`], the standard, and [`Profile::Chromium`], the standard with the
//! deviations of the Chromium version the browser suite pins (`browser/`), each listed with what
//! Chromium was seen to do in [`CHROMIUM_DEVIATIONS`]. [`run`] plays the standard; [`run_as`] and
//! [`Browser`] take a profile.
//!
//! The error messages mimic Chrome's console (`Access to fetch from origin '…' has been blocked by CORS
//! policy: …`), without the target URL, which this model does not have.

use crate::decision::is_token;

/// Which browser the model plays.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Profile {
    /// The WHATWG Fetch standard, as written.
    #[default]
    Fetch,
    /// The Chromium version the browser suite pins: the standard, with [`CHROMIUM_DEVIATIONS`].
    Chromium,
}

impl Profile {
    /// Both profiles.
    pub const ALL: [Profile; 2] = [Profile::Fetch, Profile::Chromium];

    /// The name used on the command line (`explain --browser NAME`) and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Fetch => "fetch",
            Profile::Chromium => "chromium",
        }
    }

    /// The profile named `name`.
    pub fn from_name(name: &str) -> Option<Profile> {
        Profile::ALL.into_iter().find(|p| p.name() == name)
    }
}

/// One way the pinned Chromium departs from the Fetch standard, as the browser suite observed it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deviation {
    /// A short stable name.
    pub name: &'static str,
    /// What Fetch says.
    pub fetch: &'static str,
    /// What Chromium does.
    pub chromium: &'static str,
    /// What it means for a server's policy.
    pub effect: &'static str,
}

/// The deviations [`Profile::Chromium`] models, each confirmed by a scenario of the browser suite.
pub const CHROMIUM_DEVIATIONS: &[Deviation] = &[
    Deviation {
        name: "user-agent-dropped",
        fetch: "`User-Agent` is not a forbidden request-header and not CORS-safelisted: a script-set \
                `User-Agent` makes the request preflighted, listed in Access-Control-Request-Headers",
        chromium: "a script-set `User-Agent` is dropped silently: no preflight for it, the browser's \
                   own User-Agent is sent",
        effect: "`user-agent` never reaches a policy's request headers from Chromium; listing it does \
                 nothing there",
    },
    Deviation {
        name: "client-hints-safelisted",
        fetch: "only `Accept`, `Accept-Language`, `Content-Language`, `Content-Type` and `Range` \
                are CORS-safelisted request-headers",
        chromium: "the Client Hints request headers `Device-Memory`, `DPR`, `Width`, \
                   `Viewport-Width`, `RTT`, `Downlink`, `ECT` and `Save-Data` are treated as \
                   safelisted (any value of at most 128 bytes): a script may set them without a \
                   preflight",
        effect: "a script can send these headers cross-origin without the policy allowing them; \
                 a server must not treat them as proof of a preflighted request",
    },
    Deviation {
        name: "repeated-values-joined",
        fetch: "each appended value is its own header in the request's header list, and the \
                128-byte safelist limit applies to each",
        chromium: "values appended under one name are joined with `, ` first, and the limit \
                   applies to the joined value: two `Accept` appends of 70 bytes each preflight",
        effect: "Chromium preflights some requests Fetch would not; a policy that must serve them \
                 lists the header (e.g. `accept`) in request_headers",
    },
    Deviation {
        name: "preflight-cache-bypassed",
        fetch: "the CORS-preflight cache is consulted whatever the request's cache mode",
        chromium: "with cache mode `no-store`, `reload` or `no-cache` the preflight cache is not \
                   consulted: every such call sends its preflight, within Max-Age too",
        effect: "a page that fetches with those modes sends a preflight per call: Max-Age saves \
                 nothing for it",
    },
];

/// The Client Hints request headers Chromium treats as CORS-safelisted (see
/// [`CHROMIUM_DEVIATIONS`]).
const CHROMIUM_SAFELISTED_HINTS: [&str; 8] = [
    "device-memory",
    "dpr",
    "width",
    "viewport-width",
    "rtt",
    "downlink",
    "ect",
    "save-data",
];

/// A request as a page script writes it: `fetch(url, { method, headers, credentials })`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScriptRequest {
    /// The page's origin, serialized (`https://a.example`, or `null`); sent as `Origin` and compared
    /// byte for byte with `Access-Control-Allow-Origin`.
    pub origin: String,
    /// The method as the script wrote it (`patch`, `Put`, …), before normalization.
    pub method: String,
    /// The headers the script set, names and values as written, in order.
    pub headers: Vec<(String, String)>,
    /// Credentials mode "include" (cookies and the like go along; the response must opt in).
    pub credentials: bool,
    /// Whether the script passes a body (`fetch(url, { body })`): with `GET` or `HEAD`, `fetch()`
    /// throws a `TypeError` before sending anything.
    pub body: bool,
    /// The request's cache mode (`fetch(url, { cache })`).
    pub cache: CacheMode,
}

/// A request's cache mode, as far as CORS is concerned: Fetch's preflight cache ignores it; Chromium
/// skips the preflight cache for `no-store`, `reload` and `no-cache` (see [`CHROMIUM_DEVIATIONS`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CacheMode {
    /// `default`.
    #[default]
    Default,
    /// `no-store`.
    NoStore,
    /// `reload`.
    Reload,
    /// `no-cache`.
    NoCache,
    /// `force-cache`.
    ForceCache,
}

impl CacheMode {
    /// The mode named `name` as `fetch()` spells it (`only-if-cached` needs a same-origin request,
    /// so it is not a mode of a CORS request).
    pub fn from_name(name: &str) -> Option<CacheMode> {
        Some(match name {
            "default" => CacheMode::Default,
            "no-store" => CacheMode::NoStore,
            "reload" => CacheMode::Reload,
            "no-cache" => CacheMode::NoCache,
            "force-cache" => CacheMode::ForceCache,
            _ => return None,
        })
    }
}

/// An HTTP request the browser sends.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HttpRequest {
    /// The URL it is sent to, as [`Browser::fetch`] was given it or a redirect's `Location`
    /// resolved against it (empty for [`run`]).
    pub url: String,
    /// The method bytes as sent.
    pub method: Vec<u8>,
    /// The headers sent: lowercase names, value bytes, in order.
    pub headers: Vec<(String, Vec<u8>)>,
}

/// An HTTP response as the server answered it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// The headers: lowercase names (compared case-insensitively anyway), value bytes, in order. A
    /// header sent several times appears several times.
    pub headers: Vec<(String, Vec<u8>)>,
}

/// Everything that happened for one [`ScriptRequest`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// The preflight exchange, when one was sent.
    pub preflight: Option<(HttpRequest, HttpResponse)>,
    /// The actual exchange; `None` when nothing was sent (a failed preflight, or a request the
    /// browser refused to build, such as a `TRACE`).
    pub actual: Option<(HttpRequest, HttpResponse)>,
    /// Whether script gets the response (`fetch()` resolves rather than rejecting with a network
    /// error).
    pub readable: bool,
    /// The lowercase names of the actual response's headers that script may read (sorted, deduped);
    /// empty when not readable.
    pub readable_headers: Vec<String>,
    /// When not readable, a message in the style of the browser console saying why.
    pub error: Option<String>,
    /// Every exchange, in order: preflights, redirected requests, the last request.
    pub exchanges: Vec<(HttpRequest, HttpResponse)>,
}

/// Fetch's method normalization: `DELETE`, `GET`, `HEAD`, `OPTIONS`, `POST`, `PUT` matched
/// case-insensitively become uppercase; every other method is kept as written (`patch` stays `patch`).
pub fn normalize_method(m: &str) -> String {
    let upper = m.to_ascii_uppercase();
    match upper.as_str() {
        "DELETE" | "GET" | "HEAD" | "OPTIONS" | "POST" | "PUT" => upper,
        _ => m.to_string(),
    }
}

/// Fetch's forbidden methods: `CONNECT`, `TRACE`, `TRACK`, case-insensitively.
pub fn is_forbidden_method(m: &[u8]) -> bool {
    let upper = m.to_ascii_uppercase();
    upper == b"CONNECT" || upper == b"TRACE" || upper == b"TRACK"
}

/// Fetch's CORS-safelisted methods: `GET`, `HEAD`, `POST` (exact bytes: normalize first).
pub fn is_safelisted_method(m: &str) -> bool {
    m == "GET" || m == "HEAD" || m == "POST"
}

/// Whether a preflight precedes the actual request: the request is valid (see [`run`]) and, after
/// normalizing the method and dropping the forbidden headers, the method is not CORS-safelisted or some
/// header is CORS-unsafe. `false` for a request the browser refuses to send at all.
pub fn needs_preflight(req: &ScriptRequest) -> bool {
    needs_preflight_as(Profile::Fetch, req)
}

/// [`needs_preflight`] as `profile` decides it (with an empty preflight cache).
pub fn needs_preflight_as(profile: Profile, req: &ScriptRequest) -> bool {
    match prepare(profile, req) {
        Ok(p) => !is_safelisted_method(&p.method) || !unsafe_names(profile, &p.headers).is_empty(),
        Err(_) => false,
    }
}

/// Fetch's "CORS-unsafe request-header names" of a header list: the names of the headers that are not
/// CORS-safelisted request-headers, plus every safelisted one when their values total more than 1024
/// bytes; lowercase, sorted, deduped.
///
/// This is the algorithm over a header list as given: it does not drop forbidden headers nor trim
/// values (the `Headers` object does both before, and [`run`] / [`needs_preflight`] do too). Values are
/// taken as byte strings (each char ≤ U+00FF is one byte, as JavaScript's `ByteString` does).
pub fn unsafe_header_names(headers: &[(String, String)]) -> Vec<String> {
    let mut list = Vec::new();
    for (name, value) in headers {
        let bytes = match byte_string(value) {
            Some(b) => b,
            None => value.as_bytes().to_vec(),
        };
        list.push((name.clone(), bytes));
    }
    unsafe_names(Profile::Fetch, &list)
}

/// The CORS-unsafe request-header names of the headers a script set, as `profile` builds the
/// request from them (dropped headers left out, Chromium's joined values); empty when the headers
/// cannot be sent at all.
pub fn unsafe_header_names_as(profile: Profile, headers: &[(String, String)]) -> Vec<String> {
    let script = ScriptRequest {
        method: "GET".to_string(),
        headers: headers.to_vec(),
        ..ScriptRequest::default()
    };
    match prepare(profile, &script) {
        Ok(prepared) => unsafe_names(profile, &prepared.headers),
        Err(_) => Vec::new(),
    }
}

/// Whether `profile` treats `name: value` as a CORS-safelisted request-header.
pub fn is_safelisted_request_header_as(profile: Profile, name: &str, value: &[u8]) -> bool {
    if profile == Profile::Chromium
        && value.len() <= 128
        && CHROMIUM_SAFELISTED_HINTS.contains(&name.to_ascii_lowercase().as_str())
    {
        return true;
    }
    is_safelisted_request_header(name, value)
}

/// Whether `profile` drops a script-set `name: value` silently: Fetch's forbidden request-headers,
/// and for Chromium `User-Agent` too.
pub fn is_dropped_request_header(profile: Profile, name: &str, value: &[u8]) -> bool {
    is_forbidden_request_header(name, value)
        || (profile == Profile::Chromium && name.eq_ignore_ascii_case("user-agent"))
}

/// Fetch's "CORS-safelisted request-header" (`name` in any case, `value` as bytes).
pub fn is_safelisted_request_header(name: &str, value: &[u8]) -> bool {
    if value.len() > 128 {
        return false;
    }
    match name.to_ascii_lowercase().as_str() {
        "accept" => !has_unsafe_byte(value),
        "accept-language" | "content-language" => {
            for b in value {
                let ok = b.is_ascii_alphanumeric()
                    || *b == b' '
                    || *b == b'*'
                    || *b == b','
                    || *b == b'-'
                    || *b == b'.'
                    || *b == b';'
                    || *b == b'=';
                if !ok {
                    return false;
                }
            }
            true
        }
        "content-type" => {
            if has_unsafe_byte(value) {
                return false;
            }
            match mime_essence(value) {
                Some(essence) => {
                    essence == "application/x-www-form-urlencoded"
                        || essence == "multipart/form-data"
                        || essence == "text/plain"
                }
                None => false,
            }
        }
        "range" => match parse_single_range(value) {
            // A suffix range (`bytes=-500`) is not safelisted.
            Some((start, _end)) => start.is_some(),
            None => false,
        },
        _ => false,
    }
}

/// Fetch's forbidden request-header: the browser silently drops it when script sets it.
pub fn is_forbidden_request_header(name: &str, value: &[u8]) -> bool {
    let lower = name.to_ascii_lowercase();
    let listed = [
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
    if listed.contains(&lower.as_str()) {
        return true;
    }
    if lower.starts_with("proxy-") || lower.starts_with("sec-") {
        return true;
    }
    // A method override naming a forbidden method.
    if lower == "x-http-method" || lower == "x-http-method-override" || lower == "x-method-override"
    {
        for method in get_decode_split(value) {
            if is_forbidden_method(&method) {
                return true;
            }
        }
    }
    false
}

/// Fetch's CORS-safelisted response-header names (besides those listed in
/// `Access-Control-Expose-Headers`).
const SAFELISTED_RESPONSE_HEADERS: [&str; 7] = [
    "cache-control",
    "content-language",
    "content-length",
    "content-type",
    "expires",
    "last-modified",
    "pragma",
];

/// Sends `req` the way a browser does: maybe a preflight, then the actual request, each answered by
/// `server`; then the CORS checks decide what script sees.
///
/// Before anything is sent, the request is built as `new Request()` / `Headers` do: a method that is
/// not a token or is forbidden (CONNECT, TRACE, TRACK), a header name that is not a token, or a header
/// value that (after trimming HTTP whitespace) holds NUL, CR or LF or a char above U+00FF is a
/// `TypeError`: nothing is sent and the outcome holds only the error. Forbidden request-headers are
/// dropped silently.
pub fn run(req: &ScriptRequest, server: &mut dyn FnMut(&HttpRequest) -> HttpResponse) -> Outcome {
    run_as(Profile::Fetch, req, server)
}

/// [`run`] as `profile` does it, from a fresh browser (an empty preflight cache).
pub fn run_as(
    profile: Profile,
    req: &ScriptRequest,
    server: &mut dyn FnMut(&HttpRequest) -> HttpResponse,
) -> Outcome {
    Browser::new(profile).fetch("", req, server)
}

/// A browser across several calls: a [`Profile`] and its CORS-preflight cache (§4.8).
#[derive(Clone, Debug, Default)]
pub struct Browser {
    profile: Profile,
    cache: Vec<CacheEntry>,
}

/// One entry of the CORS-preflight cache: what a successful preflight allowed, for one origin, URL
/// and credentials flag.
#[derive(Clone, Debug, PartialEq, Eq)]
struct CacheEntry {
    origin: String,
    url: String,
    credentials: bool,
    item: CacheItem,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum CacheItem {
    Method(String),
    Header(String),
}

/// The max-age Fetch uses when the preflight response has none (or one that does not parse).
const DEFAULT_MAX_AGE: u64 = 5;
/// Chromium's cap on `Access-Control-Max-Age` (two hours).
const CHROMIUM_MAX_AGE_LIMIT: u64 = 7200;

impl Browser {
    /// A browser playing `profile`, with an empty cache.
    pub fn new(profile: Profile) -> Browser {
        Browser {
            profile,
            cache: Vec::new(),
        }
    }

    /// The profile it plays.
    pub fn profile(&self) -> Profile {
        self.profile
    }

    /// Whether an entry allows `item` for `req` at `url` (Fetch's "cache entry match": an entry made
    /// with credentials also serves a request without).
    fn cached(&self, url: &str, req: &ScriptRequest, item: &CacheItem) -> bool {
        self.cache.iter().any(|e| {
            let same =
                e.origin == req.origin && e.url == url && (e.credentials || !req.credentials);
            same && match (&e.item, item) {
                (CacheItem::Method(m), CacheItem::Method(wanted)) => {
                    m == wanted || (m == "*" && !req.credentials)
                }
                (CacheItem::Header(h), CacheItem::Header(wanted)) => {
                    h.eq_ignore_ascii_case(wanted)
                        || (h == "*" && !req.credentials && wanted != "authorization")
                }
                _ => false,
            }
        })
    }

    /// Fills the cache from a successful preflight's `response` (§4.8 steps 10–12).
    fn remember(&mut self, url: &str, req: &ScriptRequest, response: &HttpResponse) {
        let max_age = get_combined(response, "access-control-max-age")
            .and_then(|v| String::from_utf8(v).ok())
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(DEFAULT_MAX_AGE);
        let max_age = match self.profile {
            Profile::Chromium => max_age.min(CHROMIUM_MAX_AGE_LIMIT),
            Profile::Fetch => max_age,
        };
        if max_age == 0 {
            return;
        }
        let methods = extract_list(response, "access-control-allow-methods").unwrap_or_default();
        let headers = extract_list(response, "access-control-allow-headers").unwrap_or_default();
        let items = methods
            .into_iter()
            .map(CacheItem::Method)
            .chain(headers.into_iter().map(CacheItem::Header));
        for item in items {
            let entry = CacheEntry {
                origin: req.origin.clone(),
                url: url.to_string(),
                credentials: req.credentials,
                item,
            };
            if !self.cache.contains(&entry) {
                self.cache.push(entry);
            }
        }
    }

    /// Forgets what was cached for `req` at `url` (§4.8: after a failed preflight).
    fn forget(&mut self, url: &str, req: &ScriptRequest) {
        self.cache
            .retain(|e| !(e.origin == req.origin && e.url == url));
    }

    /// Sends `req` to `url` as [`run`] does, skipping the preflight when the cache allows the
    /// method and every CORS-unsafe header name (§4.3 HTTP fetch, step 4.1).
    pub fn fetch(
        &mut self,
        url: &str,
        req: &ScriptRequest,
        server: &mut dyn FnMut(&HttpRequest) -> HttpResponse,
    ) -> Outcome {
        let profile = self.profile;
        let mut prepared = match prepare(profile, req) {
            Ok(p) => p,
            Err(type_error) => {
                return Outcome {
                    error: Some(type_error),
                    ..Outcome::default()
                }
            }
        };
        let mut outcome = Outcome::default();
        // The request as it goes: its URL, and its origin, which a redirect may taint to `null`.
        let mut current = req.clone();
        let mut url = url.to_string();
        let mut redirects = 0;
        loop {
            let unsafe_list = unsafe_names(profile, &prepared.headers);
            // §4.8 CORS-preflight fetch, unless the cache holds the method (when it is not
            // safelisted) and every unsafe header name.
            let wanted = !is_safelisted_method(&prepared.method) || !unsafe_list.is_empty();
            let bypass = profile == Profile::Chromium
                && matches!(
                    req.cache,
                    CacheMode::NoStore | CacheMode::Reload | CacheMode::NoCache
                );
            let cached = !bypass
                && (is_safelisted_method(&prepared.method)
                    || self.cached(&url, &current, &CacheItem::Method(prepared.method.clone())))
                && unsafe_list
                    .iter()
                    .all(|h| self.cached(&url, &current, &CacheItem::Header(h.clone())));
            if wanted && !cached {
                let mut headers = Vec::new();
                headers.push(("accept".to_string(), b"*/*".to_vec()));
                headers.push((
                    "access-control-request-method".to_string(),
                    prepared.method.as_bytes().to_vec(),
                ));
                if !unsafe_list.is_empty() {
                    headers.push((
                        "access-control-request-headers".to_string(),
                        unsafe_list.join(",").into_bytes(),
                    ));
                }
                headers.push(("origin".to_string(), current.origin.as_bytes().to_vec()));
                let request = HttpRequest {
                    url: url.clone(),
                    method: b"OPTIONS".to_vec(),
                    headers,
                };
                let response = server(&request);
                // A redirect status without `Location` is no redirect (§4.4: its location URL is
                // null); it fails as a status that is not ok.
                let redirected =
                    is_redirect(response.status) && get_combined(&response, "location").is_some();
                let verdict = if redirected {
                    Err(
                        "Response to preflight request doesn't pass access control check: \
                         Redirect is not allowed for a preflight request."
                            .to_string(),
                    )
                } else {
                    check_preflight(&current, &prepared.method, &unsafe_list, &response)
                };
                outcome.exchanges.push((request.clone(), response.clone()));
                if outcome.preflight.is_none() {
                    outcome.preflight = Some((request, response.clone()));
                }
                match verdict {
                    Ok(()) => self.remember(&url, &current, &response),
                    Err(why) => {
                        self.forget(&url, &current);
                        outcome.error = Some(blocked(&current, &why));
                        return outcome;
                    }
                }
            }

            // The actual request: the script's headers, a default `Accept`, then `Origin`.
            let mut headers = prepared.headers.clone();
            if !headers.iter().any(|(name, _)| name == "accept") {
                headers.push(("accept".to_string(), b"*/*".to_vec()));
            }
            headers.push(("origin".to_string(), current.origin.as_bytes().to_vec()));
            let request = HttpRequest {
                url: url.clone(),
                method: prepared.method.as_bytes().to_vec(),
                headers,
            };
            let response = server(&request);
            outcome.exchanges.push((request.clone(), response.clone()));
            // §4.3 HTTP fetch: the CORS check applies to a redirect response too, before it is
            // followed.
            if let Err(why) = cors_check(&current, &response) {
                outcome.actual = Some((request, response));
                outcome.error = Some(blocked(req, &why));
                return outcome;
            }
            let location = get_combined(&response, "location")
                .filter(|_| is_redirect(response.status))
                .map(|l| String::from_utf8_lossy(&l).into_owned());
            let Some(location) = location else {
                outcome.readable = true;
                outcome.readable_headers = readable_header_names(&current, &response);
                outcome.actual = Some((request, response));
                return outcome;
            };
            // §4.4 HTTP-redirect fetch.
            redirects += 1;
            let next = resolve(&url, &location);
            if redirects > 20 || next.is_none() {
                outcome.actual = Some((request, response));
                outcome.error = Some("TypeError: Failed to fetch".to_string());
                return outcome;
            }
            let next = next.unwrap_or_default();
            // Step 13: a redirect to another origin, of a request whose origin is not the
            // current URL's, taints the origin: it is sent, and checked, as `null` from then on.
            if origin_of(&next) != origin_of(&url) && current.origin != origin_of(&url) {
                current.origin = "null".to_string();
            }
            // Step 12: 301/302 turn POST into GET, 303 anything but GET/HEAD; the body and its
            // headers are dropped.
            let to_get = (matches!(response.status, 301 | 302) && prepared.method == "POST")
                || (response.status == 303
                    && prepared.method != "GET"
                    && prepared.method != "HEAD");
            if to_get {
                prepared.method = "GET".to_string();
                prepared.headers.retain(|(name, _)| {
                    !matches!(
                        name.as_str(),
                        "content-encoding"
                            | "content-language"
                            | "content-location"
                            | "content-type"
                    )
                });
            }
            url = next;
        }
    }
}

/// A redirect status (Fetch: 301, 302, 303, 307, 308).
fn is_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

/// The origin of an absolute URL (`scheme://host[:port]`); empty for a path.
fn origin_of(url: &str) -> &str {
    match url.find("://") {
        Some(i) => {
            let rest = &url[i + 3..];
            &url[..i + 3 + rest.find('/').unwrap_or(rest.len())]
        }
        None => "",
    }
}

/// `location` resolved against `base`: an absolute `http(s)` URL as it is, an absolute path on
/// `base`'s origin, a relative path beside `base`'s last segment; `None` for another scheme.
fn resolve(base: &str, location: &str) -> Option<String> {
    if let Some(i) = location.find("://") {
        let scheme = location[..i].to_ascii_lowercase();
        return (scheme == "http" || scheme == "https").then(|| location.to_string());
    }
    if location.starts_with('/') {
        return Some(format!("{}{location}", origin_of(base)));
    }
    let dir = &base[..base.rfind('/').map_or(0, |i| i + 1)];
    Some(format!("{dir}{location}"))
}

/// A script request after `new Request()` / `Headers` processing.
struct Prepared {
    /// The normalized method.
    method: String,
    /// The non-forbidden headers: lowercase names, trimmed value bytes, in order.
    headers: Vec<(String, Vec<u8>)>,
}

/// Builds the request the browser would send, or the `TypeError` message the script would get.
fn prepare(profile: Profile, req: &ScriptRequest) -> Result<Prepared, String> {
    let fail = |what: String| format!("TypeError: Failed to execute 'fetch' on 'Window': {what}");
    if !is_token(req.method.as_bytes()) {
        return Err(fail(format!(
            "'{}' is not a valid HTTP method.",
            req.method
        )));
    }
    if is_forbidden_method(req.method.as_bytes()) {
        return Err(fail(format!(
            "'{}' HTTP method is unsupported.",
            req.method
        )));
    }
    let method = normalize_method(&req.method);
    // `new Request()`: "If either init["body"] exists and is non-null or inputOrInitBody is
    // non-null, and request's method is `GET` or `HEAD`, then throw a TypeError."
    if req.body && (method == "GET" || method == "HEAD") {
        return Err(fail(
            "Request with GET/HEAD method cannot have body.".to_string(),
        ));
    }

    let mut headers: Vec<(String, Vec<u8>)> = Vec::new();
    for (name, value) in &req.headers {
        let value = match byte_string(value) {
            Some(v) => v,
            None => {
                return Err(fail(
                    "String contains non ISO-8859-1 code point.".to_string(),
                ))
            }
        };
        let value = trim_http_whitespace(&value);
        if !is_token(name.as_bytes()) {
            return Err(fail(format!("Invalid name: '{name}'.")));
        }
        for b in &value {
            if *b == 0 || *b == b'\n' || *b == b'\r' {
                return Err(fail(format!("Invalid value for header '{name}'.")));
            }
        }
        if is_dropped_request_header(profile, name, &value) {
            continue;
        }
        let name = name.to_ascii_lowercase();
        match headers.iter_mut().find(|(n, _)| *n == name) {
            // Chromium keeps one value per name: an append joins it to the first (`a, b`).
            Some((_, first)) if profile == Profile::Chromium => {
                first.extend_from_slice(b", ");
                first.extend_from_slice(&value);
            }
            _ => headers.push((name, value)),
        }
    }
    Ok(Prepared { method, headers })
}

/// The CORS-unsafe request-header names of a prepared header list (see [`unsafe_header_names`]).
fn unsafe_names(profile: Profile, headers: &[(String, Vec<u8>)]) -> Vec<String> {
    let mut unsafe_list: Vec<String> = Vec::new();
    let mut potentially_unsafe: Vec<String> = Vec::new();
    let mut safelist_value_size = 0;
    for (name, value) in headers {
        if is_safelisted_request_header_as(profile, name, value) {
            potentially_unsafe.push(name.clone());
            safelist_value_size += value.len();
        } else {
            unsafe_list.push(name.clone());
        }
    }
    if safelist_value_size > 1024 {
        for name in potentially_unsafe {
            unsafe_list.push(name);
        }
    }
    // Convert to a sorted-lowercase set.
    let mut out: Vec<String> = Vec::new();
    for name in unsafe_list {
        let lower = name.to_ascii_lowercase();
        if !out.contains(&lower) {
            out.push(lower);
        }
    }
    out.sort();
    out
}

/// The CORS-unsafe request-header bytes: controls but HTAB, `"():<>?@[\]{}` and DEL.
fn has_unsafe_byte(value: &[u8]) -> bool {
    for b in value {
        let unsafe_byte = (*b < 0x20 && *b != b'\t') || b"\"():<>?@[\\]{}\x7f".contains(b);
        if unsafe_byte {
            return true;
        }
    }
    false
}

/// The essence (`type/subtype`, lowercase) of a MIME type, per MIME Sniffing's "parse a MIME type":
/// trim HTTP whitespace; the type is everything up to `/` and must be a non-empty token; the subtype is
/// everything up to `;`, trailing whitespace removed, and must be a non-empty token. Parameters never
/// make the parse fail.
fn mime_essence(value: &[u8]) -> Option<String> {
    let text = trim_http_whitespace(value);
    let slash = text.iter().position(|b| *b == b'/')?;
    let kind = &text[..slash];
    if !is_token(kind) {
        return None;
    }
    let rest = &text[slash + 1..];
    let end = rest.iter().position(|b| *b == b';').unwrap_or(rest.len());
    let mut subtype = &rest[..end];
    while let Some((last, init)) = subtype.split_last() {
        if is_http_whitespace(*last) {
            subtype = init;
        } else {
            break;
        }
    }
    if !is_token(subtype) {
        return None;
    }
    let mut essence = String::new();
    essence.push_str(&String::from_utf8_lossy(kind).to_ascii_lowercase());
    essence.push('/');
    essence.push_str(&String::from_utf8_lossy(subtype).to_ascii_lowercase());
    Some(essence)
}

/// Fetch's "parse a single range header value" (whitespace not allowed): `bytes` (lowercase), `=`,
/// optional digits, `-`, optional digits, end; not both empty; first ≤ last when both. Returns the
/// digit strings.
fn parse_single_range(value: &[u8]) -> Option<(Option<String>, Option<String>)> {
    // Case-sensitive: "If data does not start with `bytes`, then return failure."
    if !value.starts_with(b"bytes") {
        return None;
    }
    let mut pos = 5;
    if pos >= value.len() || value[pos] != b'=' {
        return None;
    }
    pos += 1;
    let mut start = String::new();
    while pos < value.len() && value[pos].is_ascii_digit() {
        start.push(value[pos] as char);
        pos += 1;
    }
    if pos >= value.len() || value[pos] != b'-' {
        return None;
    }
    pos += 1;
    let mut end = String::new();
    while pos < value.len() && value[pos].is_ascii_digit() {
        end.push(value[pos] as char);
        pos += 1;
    }
    if pos != value.len() {
        return None;
    }
    if start.is_empty() && end.is_empty() {
        return None;
    }
    if !start.is_empty() && !end.is_empty() && decimal_greater(&start, &end) {
        return None;
    }
    let start = if start.is_empty() { None } else { Some(start) };
    let end = if end.is_empty() { None } else { Some(end) };
    Some((start, end))
}

/// Whether decimal digit string `a` is a greater number than `b` (any length, leading zeros allowed).
fn decimal_greater(a: &str, b: &str) -> bool {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    if a.len() != b.len() {
        return a.len() > b.len();
    }
    a > b
}

/// Fetch's "get, decode, and split" of one value: split on commas outside quoted strings, each item
/// trimmed of spaces and tabs (quoted strings are kept with their quotes).
fn get_decode_split(value: &[u8]) -> Vec<Vec<u8>> {
    let mut values = Vec::new();
    let mut pos = 0;
    let mut temporary: Vec<u8> = Vec::new();
    loop {
        while pos < value.len() && value[pos] != b'"' && value[pos] != b',' {
            temporary.push(value[pos]);
            pos += 1;
        }
        if pos < value.len() && value[pos] == b'"' {
            // Collect an HTTP quoted string, quotes and backslashes included.
            let start = pos;
            pos += 1;
            loop {
                while pos < value.len() && value[pos] != b'"' && value[pos] != b'\\' {
                    pos += 1;
                }
                if pos >= value.len() {
                    break;
                }
                let quote_or_backslash = value[pos];
                pos += 1;
                if quote_or_backslash == b'\\' {
                    if pos >= value.len() {
                        break;
                    }
                    pos += 1;
                } else {
                    break;
                }
            }
            temporary.extend_from_slice(&value[start..pos]);
            if pos < value.len() {
                continue;
            }
        }
        let mut item: &[u8] = &temporary;
        while let Some((first, rest)) = item.split_first() {
            if *first == b' ' || *first == b'\t' {
                item = rest;
            } else {
                break;
            }
        }
        while let Some((last, init)) = item.split_last() {
            if *last == b' ' || *last == b'\t' {
                item = init;
            } else {
                break;
            }
        }
        values.push(item.to_vec());
        temporary.clear();
        if pos >= value.len() {
            return values;
        }
        // The byte at `pos` is a comma.
        pos += 1;
    }
}

/// HTTP whitespace: LF, CR, HTAB, SP.
fn is_http_whitespace(b: u8) -> bool {
    b == b'\n' || b == b'\r' || b == b'\t' || b == b' '
}

/// Removes leading and trailing HTTP whitespace (Fetch's header value normalization).
fn trim_http_whitespace(value: &[u8]) -> Vec<u8> {
    let mut start = 0;
    let mut end = value.len();
    while start < end && is_http_whitespace(value[start]) {
        start += 1;
    }
    while end > start && is_http_whitespace(value[end - 1]) {
        end -= 1;
    }
    value[start..end].to_vec()
}

/// JavaScript's `ByteString` conversion: each char up to U+00FF becomes one byte; `None` when a char is
/// above U+00FF (a `TypeError` in the browser).
fn byte_string(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    for c in s.chars() {
        let n = c as u32;
        if n > 0xff {
            return None;
        }
        out.push(n as u8);
    }
    Some(out)
}

/// All values of a response header (case-insensitive name), in order.
fn header_values<'r>(response: &'r HttpResponse, name: &str) -> Vec<&'r [u8]> {
    let mut out = Vec::new();
    for (n, v) in &response.headers {
        if n.eq_ignore_ascii_case(name) {
            out.push(v.as_slice());
        }
    }
    out
}

/// Fetch's "get": all values of `name` joined with `, `; `None` when absent.
fn get_combined(response: &HttpResponse, name: &str) -> Option<Vec<u8>> {
    let values = header_values(response, name);
    if values.is_empty() {
        return None;
    }
    Some(values.join(&b", "[..]))
}

/// Fetch's "extracting header list values" for a `#token` header (`Access-Control-Allow-Methods`,
/// `-Allow-Headers`, `-Expose-Headers`): every value split on `,`, trimmed of spaces and tabs, empty
/// items dropped. `Ok(empty)` when absent; `Err` when an item is not a token.
fn extract_list(response: &HttpResponse, name: &str) -> Result<Vec<String>, ()> {
    let mut out = Vec::new();
    for value in header_values(response, name) {
        for part in value.split(|b| *b == b',') {
            let item = trim_space_tab(part);
            if item.is_empty() {
                continue;
            }
            if !is_token(item) {
                return Err(());
            }
            out.push(String::from_utf8_lossy(item).into_owned());
        }
    }
    Ok(out)
}

fn trim_space_tab(mut s: &[u8]) -> &[u8] {
    while let Some((first, rest)) = s.split_first() {
        if *first == b' ' || *first == b'\t' {
            s = rest;
        } else {
            break;
        }
    }
    while let Some((last, init)) = s.split_last() {
        if *last == b' ' || *last == b'\t' {
            s = init;
        } else {
            break;
        }
    }
    s
}

/// §4.9 CORS check; `Err` holds Chrome's wording of the failure.
fn cors_check(req: &ScriptRequest, response: &HttpResponse) -> Result<(), String> {
    let allow_origin = match get_combined(response, "access-control-allow-origin") {
        None => {
            return Err(
                "No 'Access-Control-Allow-Origin' header is present on the requested resource."
                    .to_string(),
            )
        }
        Some(v) => v,
    };
    if !req.credentials && allow_origin == b"*" {
        return Ok(());
    }
    if allow_origin != req.origin.as_bytes() {
        let shown = String::from_utf8_lossy(&allow_origin).into_owned();
        if allow_origin == b"*" {
            return Err("The value of the 'Access-Control-Allow-Origin' header in the response must not be the wildcard '*' when the request's credentials mode is 'include'.".to_string());
        }
        if allow_origin.contains(&b',') {
            return Err(format!("The 'Access-Control-Allow-Origin' header contains multiple values '{shown}', but only one is allowed."));
        }
        return Err(format!("The 'Access-Control-Allow-Origin' header has a value '{shown}' that is not equal to the supplied origin."));
    }
    if !req.credentials {
        return Ok(());
    }
    let allow_credentials = get_combined(response, "access-control-allow-credentials");
    if allow_credentials.as_deref() == Some(&b"true"[..]) {
        return Ok(());
    }
    let shown = String::from_utf8_lossy(&allow_credentials.unwrap_or_default()).into_owned();
    Err(format!("The value of the 'Access-Control-Allow-Credentials' header in the response is '{shown}' which must be 'true' when the request's credentials mode is 'include'."))
}

/// §4.8 steps 7–8: whether the preflight response lets the actual request go.
fn check_preflight(
    req: &ScriptRequest,
    method: &str,
    unsafe_list: &[String],
    response: &HttpResponse,
) -> Result<(), String> {
    let prefix = "Response to preflight request doesn't pass access control check: ";
    if let Err(why) = cors_check(req, response) {
        return Err(format!("{prefix}{why}"));
    }
    if !(200..=299).contains(&response.status) {
        return Err(format!("{prefix}It does not have HTTP ok status."));
    }
    let methods = match extract_list(response, "access-control-allow-methods") {
        Ok(m) => m,
        Err(()) => {
            return Err("Cannot parse Access-Control-Allow-Methods response header field in preflight response.".to_string())
        }
    };
    let header_names = match extract_list(response, "access-control-allow-headers") {
        Ok(h) => h,
        Err(()) => {
            return Err("Cannot parse Access-Control-Allow-Headers response header field in preflight response.".to_string())
        }
    };

    let method_listed = methods.iter().any(|m| m == method);
    let star_methods = methods.iter().any(|m| m == "*");
    if !method_listed && !is_safelisted_method(method) && (req.credentials || !star_methods) {
        return Err(format!(
            "Method {method} is not allowed by Access-Control-Allow-Methods in preflight response."
        ));
    }

    let listed = |name: &str| header_names.iter().any(|h| h.eq_ignore_ascii_case(name));
    let star_headers = header_names.iter().any(|h| h == "*");
    let not_allowed = |name: &str| {
        format!("Request header field {name} is not allowed by Access-Control-Allow-Headers in preflight response.")
    };
    // `Authorization` is a CORS non-wildcard request-header name: `*` never covers it.
    for name in unsafe_list {
        if name == "authorization" && !listed(name) {
            return Err(not_allowed(name));
        }
    }
    for name in unsafe_list {
        if !listed(name) && (req.credentials || !star_headers) {
            return Err(not_allowed(name));
        }
    }
    Ok(())
}

/// The CORS-filtered response's header names: the safelisted ones plus those the response exposes
/// (`*` meaning all of them only without credentials), never `set-cookie` / `set-cookie2`.
fn readable_header_names(req: &ScriptRequest, response: &HttpResponse) -> Vec<String> {
    // A list that does not parse exposes nothing beyond the safelisted names.
    let exposed = extract_list(response, "access-control-expose-headers").unwrap_or_default();
    let expose_all = !req.credentials && exposed.iter().any(|h| h == "*");
    let mut out: Vec<String> = Vec::new();
    for (name, _) in &response.headers {
        let name = name.to_ascii_lowercase();
        if name == "set-cookie" || name == "set-cookie2" {
            continue;
        }
        let readable = SAFELISTED_RESPONSE_HEADERS.contains(&name.as_str())
            || expose_all
            || exposed.iter().any(|h| h.eq_ignore_ascii_case(&name));
        if readable && !out.contains(&name) {
            out.push(name);
        }
    }
    out.sort();
    out
}

/// The console message for a blocked request.
fn blocked(req: &ScriptRequest, why: &str) -> String {
    format!(
        "Access to fetch from origin '{}' has been blocked by CORS policy: {why}",
        req.origin
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decision::{NaiveEngine, NaiveRequest};
    use corsmatch::policy::PolicyConfig;

    const PAGE: &str = "https://a.example";

    fn script(method: &str, headers: &[(&str, &str)]) -> ScriptRequest {
        ScriptRequest {
            body: false,
            cache: CacheMode::Default,
            origin: PAGE.to_string(),
            method: method.to_string(),
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            credentials: false,
        }
    }

    fn response(status: u16, headers: &[(&str, &str)]) -> HttpResponse {
        HttpResponse {
            status,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.as_bytes().to_vec()))
                .collect(),
        }
    }

    fn value<'a>(r: &'a HttpRequest, name: &str) -> Option<&'a [u8]> {
        r.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }

    /// A server that answers every request with the same response.
    fn always(resp: HttpResponse) -> impl FnMut(&HttpRequest) -> HttpResponse {
        move |_| resp.clone()
    }

    /// A server that answers preflights with `pre` and everything else with `act`.
    fn two(pre: HttpResponse, act: HttpResponse) -> impl FnMut(&HttpRequest) -> HttpResponse {
        move |r| {
            if r.method == b"OPTIONS" {
                pre.clone()
            } else {
                act.clone()
            }
        }
    }

    fn safe(name: &str, value: &str) -> bool {
        is_safelisted_request_header(name, value.as_bytes())
    }

    #[test]
    fn methods() {
        assert_eq!(normalize_method("get"), "GET");
        assert_eq!(normalize_method("dElEtE"), "DELETE");
        assert_eq!(normalize_method("patch"), "patch");
        assert_eq!(normalize_method("PATCH"), "PATCH");
        assert!(is_forbidden_method(b"trace"));
        assert!(is_forbidden_method(b"Connect"));
        assert!(is_forbidden_method(b"TRACK"));
        assert!(!is_forbidden_method(b"TRACES"));
        assert!(is_safelisted_method("POST"));
        assert!(!is_safelisted_method("post"));
        // After normalization `post` is safelisted: no preflight.
        assert!(!needs_preflight(&script("post", &[])));
        assert!(needs_preflight(&script("patch", &[])));
        assert!(needs_preflight(&script("PUT", &[])));
    }

    #[test]
    fn forbidden_method_sends_nothing() {
        let mut server = |_: &HttpRequest| -> HttpResponse { panic!("nothing may be sent") };
        let out = run(&script("trace", &[]), &mut server);
        assert!(out.preflight.is_none() && out.actual.is_none() && !out.readable);
        assert!(out
            .error
            .unwrap()
            .contains("'trace' HTTP method is unsupported"));
        assert!(!needs_preflight(&script("CONNECT", &[])));
        let out = run(&script("GE T", &[]), &mut server);
        assert!(out.error.unwrap().contains("not a valid HTTP method"));
        let out = run(&script("GET", &[("x a", "1")]), &mut server);
        assert!(out.error.unwrap().contains("Invalid name"));
        let out = run(&script("GET", &[("x-a", "1\r\n2")]), &mut server);
        assert!(out.error.unwrap().contains("Invalid value"));
        let out = run(&script("GET", &[("x-a", "\u{2603}")]), &mut server);
        assert!(out.error.unwrap().contains("ISO-8859-1"));
    }

    #[test]
    fn safelisted_request_headers() {
        assert!(safe("Accept", "application/json, text/*;q=0.9"));
        assert!(!safe("accept", "a(b)"));
        assert!(!safe("accept", "a\u{1}"));
        assert!(safe("accept", "a\tb"));
        assert!(safe("accept", &"a".repeat(128)));
        assert!(!safe("accept", &"a".repeat(129)));
        assert!(safe("accept-language", "en-US,en;q=0.5"));
        assert!(!safe("accept-language", "en_US"));
        assert!(safe("content-language", "de-DE, *"));
        assert!(!safe("content-language", "de/DE"));
        assert!(safe("content-type", "text/plain;charset=utf-8"));
        assert!(safe("content-type", "Text/Plain"));
        assert!(safe("content-type", " text/plain ; charset=utf-8"));
        assert!(safe("content-type", "multipart/form-data; boundary=x"));
        assert!(safe("content-type", "application/x-www-form-urlencoded"));
        assert!(!safe("content-type", "application/json"));
        assert!(!safe("content-type", "text/plain,application/json"));
        assert!(!safe("content-type", "text /plain"));
        assert!(!safe("content-type", "text/"));
        assert!(!safe("content-type", "text/plain; x=\"y\""));
        assert!(safe("range", "bytes=0-"));
        assert!(safe("range", "bytes=5-10"));
        assert!(safe("range", "bytes=10-10"));
        assert!(!safe("range", "Bytes=1-2"), "the unit is case-sensitive");
        assert!(!safe("range", "bytes"));
        assert!(!safe("range", "bytes=1-2 "));
        assert!(!safe("range", "bytes=10-5"));
        assert!(!safe("range", "bytes=-500"));
        assert!(!safe("range", "bytes=0-1,3-4"));
        assert!(!safe("range", "bytes = 0-1"));
        assert!(!safe("range", "items=0-1"));
        assert!(!safe("range", "bytes=-"));
        assert!(safe("range", "bytes=00000000000000000000000009-10"));
        assert!(!safe(
            "range",
            "bytes=100000000000000000000000000-99999999999999999999999999"
        ));
        assert!(!safe("x-anything", "1"));
        assert!(!safe("authorization", "Bearer x"));
    }

    #[test]
    fn unsafe_names_sorted_and_capped() {
        let h = |list: &[(&str, &str)]| -> Vec<(String, String)> {
            list.iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect()
        };
        assert_eq!(
            unsafe_header_names(&h(&[
                ("X-B", "1"),
                ("content-type", "application/json"),
                ("x-a", "2"),
                ("x-b", "3"),
                ("accept", "*/*"),
            ])),
            vec!["content-type", "x-a", "x-b"]
        );
        // Safelisted values over 1024 bytes together: all safelisted names become unsafe.
        let v = "a".repeat(128);
        let mut many = Vec::new();
        for _ in 0..8 {
            many.push(("accept", v.as_str()));
        }
        assert!(unsafe_header_names(&h(&many)).is_empty()); // exactly 1024
        many.push(("content-language", "x"));
        assert_eq!(
            unsafe_header_names(&h(&many)),
            vec!["accept", "content-language"]
        );
    }

    #[test]
    fn forbidden_headers() {
        for name in [
            "Cookie",
            "host",
            "Origin",
            "Sec-Fetch-Mode",
            "proxy-authorization",
            "Access-Control-Request-Headers",
            "DNT",
        ] {
            assert!(is_forbidden_request_header(name, b"x"), "{name}");
        }
        assert!(!is_forbidden_request_header("x-origin", b"x"));
        assert!(!is_forbidden_request_header("authorization", b"x"));
        assert!(is_forbidden_request_header(
            "X-HTTP-Method-Override",
            b"trace"
        ));
        assert!(is_forbidden_request_header(
            "x-method-override",
            b"GET, connect"
        ));
        assert!(!is_forbidden_request_header("x-http-method", b"PUT"));
        assert!(!is_forbidden_request_header("x-http-method", b"\"TRACE\""));
        assert!(!is_forbidden_request_header(
            "x-http-method",
            b"\"a, TRACE\""
        ));
        assert_eq!(
            get_decode_split(b" a , \"b,\\\"c\" d,,"),
            vec![
                b"a".to_vec(),
                b"\"b,\\\"c\" d".to_vec(),
                Vec::new(),
                Vec::new()
            ]
        );

        // A forbidden header is dropped silently: no preflight because of it, not sent.
        let req = script("GET", &[("Cookie", "a=b"), ("sec-x", "1")]);
        assert!(!needs_preflight(&req));
        let out = run(
            &req,
            &mut always(response(200, &[("access-control-allow-origin", "*")])),
        );
        assert!(out.preflight.is_none());
        let (sent, _) = out.actual.unwrap();
        assert!(value(&sent, "cookie").is_none());
        assert!(value(&sent, "sec-x").is_none());
        assert_eq!(value(&sent, "origin"), Some(PAGE.as_bytes()));
    }

    #[test]
    fn json_post_needs_a_preflight_text_plain_does_not() {
        assert!(needs_preflight(&script(
            "POST",
            &[("Content-Type", "application/json")]
        )));
        assert!(!needs_preflight(&script(
            "POST",
            &[("Content-Type", "text/plain;charset=utf-8")]
        )));
        assert!(needs_preflight(&script("GET", &[("X-Api-Key", "k")])));
        assert!(needs_preflight(&script(
            "GET",
            &[("accept", &"a".repeat(129))]
        )));
        assert!(!needs_preflight(&script(
            "GET",
            &[("accept", &"a".repeat(128))]
        )));
        // The value is trimmed before the length check.
        let padded = format!("  {}  ", "a".repeat(128));
        assert!(!needs_preflight(&script("GET", &[("accept", &padded)])));
    }

    #[test]
    fn preflight_request_shape() {
        let req = script(
            "put",
            &[
                ("X-B", "1"),
                ("Content-Type", "application/json"),
                ("Accept", "*/*"),
            ],
        );
        let mut seen = Vec::new();
        let mut server = |r: &HttpRequest| {
            seen.push(r.clone());
            response(204, &[])
        };
        let out = run(&req, &mut server);
        let (pre, _) = out.preflight.unwrap();
        assert_eq!(pre.method, b"OPTIONS");
        assert_eq!(
            value(&pre, "access-control-request-method"),
            Some(&b"PUT"[..])
        );
        assert_eq!(
            value(&pre, "access-control-request-headers"),
            Some(&b"content-type,x-b"[..])
        );
        assert_eq!(value(&pre, "origin"), Some(PAGE.as_bytes()));
        assert_eq!(value(&pre, "accept"), Some(&b"*/*"[..]));
        assert!(
            value(&pre, "x-b").is_none(),
            "the preflight carries no script header"
        );
        assert_eq!(seen.len(), 1, "a failed preflight stops the actual request");

        // Method only: no access-control-request-headers.
        let out = run(&script("DELETE", &[]), &mut always(response(204, &[])));
        let (pre, _) = out.preflight.unwrap();
        assert!(value(&pre, "access-control-request-headers").is_none());
    }

    #[test]
    fn simple_request_readable_only_with_acao() {
        let req = script("GET", &[]);
        let out = run(
            &req,
            &mut always(response(200, &[("content-type", "text/plain")])),
        );
        assert!(out.preflight.is_none());
        assert!(!out.readable);
        assert!(out.readable_headers.is_empty());
        assert_eq!(
            out.error.as_deref(),
            Some("Access to fetch from origin 'https://a.example' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource.")
        );
        let (sent, _) = out.actual.unwrap();
        assert_eq!(sent.method, b"GET");
        assert_eq!(value(&sent, "accept"), Some(&b"*/*"[..]));

        let ok = response(500, &[("access-control-allow-origin", PAGE)]);
        let out = run(&req, &mut always(ok));
        assert!(
            out.readable,
            "the status of an actual response does not matter"
        );
        assert!(out.error.is_none());

        for (acao, fragment) in [
            ("https://b.example", "not equal to the supplied origin"),
            ("https://a.example/", "not equal to the supplied origin"),
            ("HTTPS://a.example", "not equal to the supplied origin"),
            ("https://a.example, https://a.example", "multiple values"),
        ] {
            let out = run(
                &req,
                &mut always(response(200, &[("access-control-allow-origin", acao)])),
            );
            assert!(!out.readable, "{acao}");
            assert!(out.error.unwrap().contains(fragment), "{acao}");
        }
        // Two ACAO headers are combined, hence fail.
        let out = run(
            &req,
            &mut always(response(
                200,
                &[
                    ("access-control-allow-origin", PAGE),
                    ("access-control-allow-origin", PAGE),
                ],
            )),
        );
        assert!(!out.readable);
    }

    #[test]
    fn star_acao_and_credentials() {
        let mut req = script("GET", &[]);
        let star = response(200, &[("access-control-allow-origin", "*")]);
        assert!(run(&req, &mut always(star.clone())).readable);
        req.credentials = true;
        let out = run(&req, &mut always(star));
        assert!(!out.readable);
        assert!(out.error.unwrap().contains("must not be the wildcard '*'"));

        // Credentials need the exact origin and ACAC `true`.
        let no_acac = response(200, &[("access-control-allow-origin", PAGE)]);
        let out = run(&req, &mut always(no_acac));
        assert!(!out.readable);
        assert!(out.error.unwrap().contains("is '' which must be 'true'"));
        let acac_upper = response(
            200,
            &[
                ("access-control-allow-origin", PAGE),
                ("access-control-allow-credentials", "TRUE"),
            ],
        );
        assert!(!run(&req, &mut always(acac_upper)).readable);
        let good = response(
            200,
            &[
                ("access-control-allow-origin", PAGE),
                ("access-control-allow-credentials", "true"),
            ],
        );
        assert!(run(&req, &mut always(good)).readable);
    }

    #[test]
    fn preflight_method_rules() {
        let ok_actual = response(200, &[("access-control-allow-origin", PAGE)]);
        let pre = |acam: &str| {
            response(
                204,
                &[
                    ("access-control-allow-origin", PAGE),
                    ("access-control-allow-methods", acam),
                ],
            )
        };
        let mut req = script("patch", &[]);
        // Byte-exact: `PATCH` does not allow `patch`.
        let out = run(&req, &mut two(pre("PATCH"), ok_actual.clone()));
        assert!(out.actual.is_none());
        assert_eq!(
            out.error.as_deref(),
            Some("Access to fetch from origin 'https://a.example' has been blocked by CORS policy: Method patch is not allowed by Access-Control-Allow-Methods in preflight response.")
        );
        assert!(run(&req, &mut two(pre("GET, patch"), ok_actual.clone())).readable);
        assert!(run(&req, &mut two(pre(" , *"), ok_actual.clone())).readable);
        // A list that does not parse fails.
        let out = run(&req, &mut two(pre("PUT, pa tch"), ok_actual.clone()));
        assert!(out
            .error
            .unwrap()
            .contains("Cannot parse Access-Control-Allow-Methods"));
        // With credentials `*` is a literal method name.
        req.credentials = true;
        let cred = |acam: &str| {
            response(
                204,
                &[
                    ("access-control-allow-origin", PAGE),
                    ("access-control-allow-credentials", "true"),
                    ("access-control-allow-methods", acam),
                ],
            )
        };
        let cred_actual = cred("");
        assert!(!run(&req, &mut two(cred("*"), cred_actual.clone())).readable);
        assert!(run(&req, &mut two(cred("patch"), cred_actual)).readable);
    }

    #[test]
    fn preflight_status_and_cors_check() {
        let req = script("PUT", &[]);
        let out = run(&req, &mut always(response(204, &[])));
        assert!(out.actual.is_none());
        assert!(out.error.unwrap().contains(
            "Response to preflight request doesn't pass access control check: No 'Access-Control-Allow-Origin' header"
        ));
        let out = run(
            &req,
            &mut always(response(
                403,
                &[
                    ("access-control-allow-origin", PAGE),
                    ("access-control-allow-methods", "PUT"),
                ],
            )),
        );
        assert!(out.actual.is_none());
        assert!(out
            .error
            .unwrap()
            .ends_with("It does not have HTTP ok status."));
        let out = run(
            &req,
            &mut always(response(
                200,
                &[
                    ("access-control-allow-origin", PAGE),
                    ("access-control-allow-methods", "PUT"),
                ],
            )),
        );
        assert!(out.readable);
        assert!(out.preflight.is_some());
    }

    #[test]
    fn preflight_header_rules() {
        let allowed = |acah: &str| {
            response(
                204,
                &[
                    ("access-control-allow-origin", PAGE),
                    ("access-control-allow-headers", acah),
                ],
            )
        };
        let actual = response(200, &[("access-control-allow-origin", PAGE)]);
        let req = script(
            "GET",
            &[("X-Api-Key", "1"), ("Content-Type", "application/json")],
        );
        assert!(
            run(
                &req,
                &mut two(allowed("content-type, x-api-key"), actual.clone())
            )
            .readable
        );
        assert!(
            run(
                &req,
                &mut two(allowed("X-API-KEY,CONTENT-TYPE"), actual.clone())
            )
            .readable
        );
        assert!(run(&req, &mut two(allowed("*"), actual.clone())).readable);
        let out = run(&req, &mut two(allowed("x-api-key"), actual.clone()));
        assert!(out.error.unwrap().contains(
            "Request header field content-type is not allowed by Access-Control-Allow-Headers in preflight response."
        ));

        // `*` never covers authorization.
        let req = script("GET", &[("Authorization", "Bearer t"), ("x-a", "1")]);
        let out = run(&req, &mut two(allowed("*"), actual.clone()));
        assert!(!out.readable);
        assert!(out.actual.is_none());
        assert!(out
            .error
            .unwrap()
            .contains("Request header field authorization"));
        assert!(run(&req, &mut two(allowed("*, authorization"), actual.clone())).readable);

        // With credentials `*` is a literal name.
        let mut req = script("GET", &[("x-a", "1")]);
        req.credentials = true;
        let cred = |acah: &str| {
            response(
                204,
                &[
                    ("access-control-allow-origin", PAGE),
                    ("access-control-allow-credentials", "true"),
                    ("access-control-allow-headers", acah),
                ],
            )
        };
        let cred_actual = cred("");
        assert!(!run(&req, &mut two(cred("*"), cred_actual.clone())).readable);
        assert!(run(&req, &mut two(cred("x-a"), cred_actual)).readable);
    }

    #[test]
    fn readable_headers() {
        let resp = |aceh: Option<&str>| {
            let mut h = vec![
                ("access-control-allow-origin", "*"),
                ("Content-Type", "text/plain"),
                ("content-length", "3"),
                ("x-total-count", "7"),
                ("x-request-id", "r"),
                ("set-cookie", "a=b"),
                ("etag", "\"x\""),
            ];
            if let Some(v) = aceh {
                h.push(("access-control-expose-headers", v));
            }
            response(200, &h)
        };
        let req = script("GET", &[]);
        let out = run(&req, &mut always(resp(None)));
        assert_eq!(out.readable_headers, vec!["content-length", "content-type"]);
        let out = run(&req, &mut always(resp(Some("X-Total-Count, set-cookie"))));
        assert_eq!(
            out.readable_headers,
            vec!["content-length", "content-type", "x-total-count"]
        );
        let out = run(&req, &mut always(resp(Some("*"))));
        assert_eq!(
            out.readable_headers,
            vec![
                "access-control-allow-origin",
                "access-control-expose-headers",
                "content-length",
                "content-type",
                "etag",
                "x-request-id",
                "x-total-count",
            ]
        );
        // A list that does not parse exposes nothing more.
        let out = run(&req, &mut always(resp(Some("x-total-count, x y"))));
        assert_eq!(out.readable_headers, vec!["content-length", "content-type"]);

        // With credentials `*` is a literal name.
        let mut req = script("GET", &[]);
        req.credentials = true;
        let cred = response(
            200,
            &[
                ("access-control-allow-origin", PAGE),
                ("access-control-allow-credentials", "true"),
                ("access-control-expose-headers", "*, x-request-id"),
                ("x-total-count", "7"),
                ("x-request-id", "r"),
            ],
        );
        let out = run(&req, &mut always(cred));
        assert_eq!(out.readable_headers, vec!["x-request-id"]);
    }

    /// The browser model against the naive server: the seed scenarios end to end.
    #[test]
    fn chromium_drops_user_agent_safelists_client_hints_and_joins_appends() {
        let ua = script("GET", &[("User-Agent", "bot/1")]);
        assert!(needs_preflight_as(Profile::Fetch, &ua));
        assert!(!needs_preflight_as(Profile::Chromium, &ua));
        let hint = script("GET", &[("DPR", "2"), ("save-data", "on")]);
        assert!(needs_preflight_as(Profile::Fetch, &hint));
        assert!(!needs_preflight_as(Profile::Chromium, &hint));
        let long = script("GET", &[("dpr", &"1".repeat(129))]);
        assert!(needs_preflight_as(Profile::Chromium, &long));
        let seventy = "a/b".repeat(23) + "x";
        let twice = script("GET", &[("accept", &seventy), ("accept", &seventy)]);
        assert!(!needs_preflight_as(Profile::Fetch, &twice));
        assert!(needs_preflight_as(Profile::Chromium, &twice));
        // What Chromium sends: one joined value, and `accept` in the preflight's list.
        let out = run_as(Profile::Chromium, &twice, &mut always(response(204, &[])));
        let (pre, _) = out.preflight.unwrap();
        assert_eq!(
            value(&pre, "access-control-request-headers"),
            Some(&b"accept"[..])
        );
        let out = run_as(
            Profile::Chromium,
            &twice,
            &mut always(response(
                200,
                &[
                    ("access-control-allow-origin", PAGE),
                    ("access-control-allow-headers", "accept"),
                ],
            )),
        );
        let (actual, _) = out.actual.unwrap();
        let joined = format!("{seventy}, {seventy}");
        assert_eq!(value(&actual, "accept"), Some(joined.as_bytes()));
        assert_eq!(Profile::from_name("chromium"), Some(Profile::Chromium));
        assert_eq!(Profile::from_name("firefox"), None);
    }

    #[test]
    fn the_preflight_cache_serves_what_was_allowed_for_max_age() {
        let allow = |max_age: Option<&str>| {
            let mut headers = vec![
                ("access-control-allow-origin", PAGE),
                ("access-control-allow-methods", "PUT"),
                ("access-control-allow-headers", "x-a"),
            ];
            if let Some(m) = max_age {
                headers.push(("access-control-max-age", m));
            }
            response(200, &headers)
        };
        let put = script("PUT", &[("x-a", "1")]);
        for (max_age, second_preflights) in [(Some("600"), false), (None, false), (Some("0"), true)]
        {
            let mut browser = Browser::new(Profile::Chromium);
            let mut preflights = 0;
            let mut server = |r: &HttpRequest| {
                if r.method == b"OPTIONS" {
                    preflights += 1;
                }
                allow(max_age)
            };
            assert!(browser.fetch("/u", &put, &mut server).readable);
            let second = browser.fetch("/u", &put, &mut server);
            assert!(second.readable);
            assert_eq!(second.preflight.is_some(), second_preflights, "{max_age:?}");
            // Another URL, a header not allowed before, another method: a new preflight each.
            assert!(browser.fetch("/v", &put, &mut server).preflight.is_some());
            let more = script("PUT", &[("x-a", "1"), ("x-b", "2")]);
            assert!(browser.fetch("/u", &more, &mut server).preflight.is_some());
            let delete = script("DELETE", &[]);
            assert!(browser
                .fetch("/u", &delete, &mut server)
                .preflight
                .is_some());
            assert_eq!(preflights, if second_preflights { 5 } else { 4 });
        }
        // An entry made with credentials serves a request without; not the other way round.
        let mut browser = Browser::new(Profile::Fetch);
        let mut with = put.clone();
        with.credentials = true;
        let credentialed = response(
            200,
            &[
                ("access-control-allow-origin", PAGE),
                ("access-control-allow-credentials", "true"),
                ("access-control-allow-methods", "PUT"),
                ("access-control-allow-headers", "x-a"),
            ],
        );
        assert!(
            browser
                .fetch("/u", &with, &mut always(credentialed.clone()))
                .readable
        );
        assert!(browser
            .fetch("/u", &put, &mut always(credentialed))
            .preflight
            .is_none());
        let mut browser = Browser::new(Profile::Fetch);
        browser.fetch("/u", &put, &mut always(allow(Some("600"))));
        let out = browser.fetch("/u", &with, &mut always(allow(Some("600"))));
        assert!(out.preflight.is_some());
        // A failed preflight clears what was cached for that origin and URL.
        let mut browser = Browser::new(Profile::Fetch);
        browser.fetch("/u", &put, &mut always(allow(Some("600"))));
        browser.fetch("/u", &delete_with_header(), &mut always(response(403, &[])));
        assert!(browser
            .fetch("/u", &put, &mut always(allow(Some("600"))))
            .preflight
            .is_some());
    }

    #[test]
    fn redirects_are_followed_with_the_cors_check_on_each_hop() {
        const API: &str = "https://api.example/s/x";
        let acao = |origin: &str| {
            (
                "access-control-allow-origin".to_string(),
                origin.as_bytes().to_vec(),
            )
        };
        // The server: `/s/x` redirects (307, or as `status` says) to `to`; anything else answers 200.
        let serve = |status: u16, to: &'static str, allow: &'static [&'static str]| {
            move |r: &HttpRequest| {
                let origin = value(r, "origin").map(|o| String::from_utf8_lossy(o).into_owned());
                let mut headers = Vec::new();
                if let Some(o) = origin.filter(|o| allow.contains(&o.as_str())) {
                    headers.push(acao(&o));
                    headers.push(("access-control-allow-methods".to_string(), b"PUT".to_vec()));
                }
                if r.url == API && r.method != b"OPTIONS" {
                    headers.push(("location".to_string(), to.as_bytes().to_vec()));
                    return HttpResponse { status, headers };
                }
                HttpResponse {
                    status: 200,
                    headers,
                }
            }
        };
        // Same origin: followed, the page's origin kept, the target's response read.
        let get = script("GET", &[]);
        let out = Browser::new(Profile::Chromium).fetch(API, &get, &mut serve(307, "/t", &[PAGE]));
        assert!(out.readable, "{:?}", out.error);
        let (last, _) = out.actual.unwrap();
        assert_eq!(last.url, "https://api.example/t");
        assert_eq!(value(&last, "origin"), Some(PAGE.as_bytes()));
        assert_eq!(out.exchanges.len(), 2);
        // 302 turns a POST into a GET and drops its Content-Type.
        let post = script("POST", &[("content-type", "text/plain")]);
        let out = Browser::new(Profile::Fetch).fetch(API, &post, &mut serve(302, "/t", &[PAGE]));
        let (last, _) = out.actual.unwrap();
        assert_eq!(
            (last.method.as_slice(), value(&last, "content-type")),
            (&b"GET"[..], None)
        );
        // 307 keeps PUT, and the new URL is preflighted again.
        let put = script("PUT", &[]);
        let out = Browser::new(Profile::Fetch).fetch(API, &put, &mut serve(307, "/t", &[PAGE]));
        let methods: Vec<_> = out
            .exchanges
            .iter()
            .map(|(r, _)| r.method.clone())
            .collect();
        assert_eq!(methods, [&b"OPTIONS"[..], b"PUT", b"OPTIONS", b"PUT"]);
        assert!(out.readable);
        // To another origin: the origin is tainted, sent and checked as `null`.
        let other = "https://api2.example/t";
        let out = Browser::new(Profile::Fetch).fetch(API, &get, &mut serve(307, other, &[PAGE]));
        let (last, _) = out.actual.as_ref().unwrap();
        assert_eq!(value(last, "origin"), Some(&b"null"[..]));
        assert!(!out.readable);
        let out =
            Browser::new(Profile::Fetch).fetch(API, &get, &mut serve(307, other, &[PAGE, "null"]));
        assert!(out.readable);
        // A redirect without CORS headers fails the CORS check before it is followed.
        let out = Browser::new(Profile::Fetch).fetch(API, &get, &mut serve(307, "/t", &[]));
        assert_eq!((out.readable, out.exchanges.len()), (false, 1));
        // A preflight answered with a redirect fails; without Location, as a status that is not ok.
        let redirecting = |location: bool| {
            move |_: &HttpRequest| {
                let mut headers = vec![acao(PAGE)];
                if location {
                    headers.push(("location".to_string(), b"/t".to_vec()));
                }
                HttpResponse {
                    status: 302,
                    headers,
                }
            }
        };
        let out = Browser::new(Profile::Fetch).fetch(API, &put, &mut redirecting(true));
        assert!(out
            .error
            .unwrap()
            .contains("Redirect is not allowed for a preflight request"));
        let out = Browser::new(Profile::Fetch).fetch(API, &put, &mut redirecting(false));
        assert!(out.error.unwrap().contains("does not have HTTP ok status"));
    }

    #[test]
    fn a_body_on_get_throws_and_chromium_skips_the_preflight_cache_for_some_cache_modes() {
        let mut get = script("GET", &[]);
        get.body = true;
        let out = run(&get, &mut always(response(200, &[])));
        assert!(out.exchanges.is_empty());
        assert!(out.error.unwrap().contains("cannot have body"));
        let allow = response(
            204,
            &[
                ("access-control-allow-origin", PAGE),
                ("access-control-allow-methods", "PUT"),
                ("access-control-max-age", "600"),
            ],
        );
        for (mode, profile, second) in [
            (CacheMode::NoStore, Profile::Chromium, true),
            (CacheMode::Reload, Profile::Chromium, true),
            (CacheMode::NoCache, Profile::Chromium, true),
            (CacheMode::ForceCache, Profile::Chromium, false),
            (CacheMode::NoStore, Profile::Fetch, false),
        ] {
            let mut put = script("PUT", &[]);
            put.cache = mode;
            let mut browser = Browser::new(profile);
            browser.fetch("/u", &put, &mut always(allow.clone()));
            let out = browser.fetch("/u", &put, &mut always(allow.clone()));
            assert_eq!(out.preflight.is_some(), second, "{mode:?} {profile:?}");
        }
        assert_eq!(CacheMode::from_name("no-cache"), Some(CacheMode::NoCache));
        assert_eq!(CacheMode::from_name("only-if-cached"), None);
    }

    fn delete_with_header() -> ScriptRequest {
        script("DELETE", &[("x-a", "1")])
    }

    #[test]
    fn against_the_naive_engine() {
        let mut c = PolicyConfig::new(vec![PAGE.to_string()])
            .methods(vec!["PUT".to_string()])
            .request_headers(vec!["content-type".to_string()])
            .expose_headers(vec!["x-total-count".to_string()]);
        let serve = |c: &PolicyConfig, req: &ScriptRequest| {
            let engine = NaiveEngine::new(c);
            let mut server = |r: &HttpRequest| {
                let get = |name: &str| value(r, name).map(|v| v.to_vec());
                let d = engine.decide(&NaiveRequest {
                    method: r.method.clone(),
                    origin: get("origin"),
                    acrm: get("access-control-request-method"),
                    acrh: get("access-control-request-headers").into_iter().collect(),
                    private_network: false,
                });
                let mut headers = d.headers;
                headers.push(("x-total-count".to_string(), b"3".to_vec()));
                HttpResponse {
                    status: d.status.unwrap_or(200),
                    headers,
                }
            };
            run(req, &mut server)
        };

        let json_put = script("PUT", &[("Content-Type", "application/json")]);
        let out = serve(&c, &json_put);
        assert!(out.preflight.is_some());
        assert!(out.readable, "{:?}", out.error);
        assert_eq!(
            out.readable_headers,
            vec!["x-total-count"],
            "content-type is not in the response"
        );

        // Not allowed by the policy: the preflight is denied, nothing else is sent.
        let out = serve(&c, &script("DELETE", &[]));
        assert!(out.actual.is_none());
        assert!(!out.readable);

        let mut other = json_put.clone();
        other.origin = "https://b.example".to_string();
        let out = serve(&c, &other);
        assert!(out.actual.is_none());

        // Credentials: the policy must opt in.
        let mut cred = script("GET", &[]);
        cred.credentials = true;
        assert!(!serve(&c, &cred).readable);
        c.credentials = true;
        assert!(serve(&c, &cred).readable);
    }
}
