//! The checks behind the fuzz targets, so that `cargo test` replays every input a
//! fuzzer ever found through the same code, on stable Rust.
//!
//! Each target takes raw bytes and panics, with a message that holds a ready-to-paste regression case
//! for `corpus/cases/`, when the engine and the reference (or the browser model) disagree:
//!
//! | target | input | check |
//! |---|---|---|
//! | [`origin()`] | an `Origin` value | the engine's grammar and the reference's agree on accept/reject and on the parts |
//! | [`pattern()`] | an allowlist entry | no panic; an accepted entry's normalized form parses to itself; its example origins match it |
//! | [`matcher()`] | an allowlist without regexes and origins (literal, or generated) | `matches` and `find` agree with the reference |
//! | [`matcher_regex()`] | the same, with regexes | the same |
//! | [`request_headers()`] | `Access-Control-Request-Headers` lines | the engine's preflight decision agrees with the naive engine's under three header policies |
//! | [`decision()`] | a policy and a script call (generated) | engine, naive engine and browser model agree |
//! | [`http_adapter()`] | a policy, a method, a request header map, an upstream response (generated) | the `http` adapter and the tower layer give the decision and response of `Policy::evaluate` on the raw request |
//! | [`url_origin()`] | a value, a URL (literal and generated) | the request grammar agrees with the `url` crate, but for documented strictness rules |
//!
//! The structured targets decode their input with [`arbitrary::Unstructured`] into values drawn from
//! generators of realistic entries, origins and requests; [`matcher`] and [`matcher_regex`] also take a
//! literal form, so that seeds can be written from the conformance tables: `L` + entries, one per
//! line, an empty line, then origins, one per line.
//!
//! Compiled allowlists and policies are cached across inputs ([`cache`]), so that the structured
//! targets spend their time on the checks rather than on compiling.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::OnceLock;

use arbitrary::{Result as ArbResult, Unstructured};

use crate::browser::{self, HttpRequest, HttpResponse, Profile, ScriptRequest};
use crate::decision::{NaiveEngine, NaiveRequest};
use crate::reference::{self, RefOrigin, ReferenceMatcher};
use corsmatch::origin::{self, Origin};
use corsmatch::pattern::{Allowlist, Pattern};
use corsmatch::policy::{Policy, PolicyConfig, Request, Severity};
use corsmatch::OriginMatcher;

mod adapter;
pub mod cache;
mod url_origin;

pub use adapter::http_adapter;
pub use url_origin::url_origin;

/// The engine's parts of an origin ([`corsmatch::origin::parse`]), in the reference's type.
pub fn engine_parts(bytes: &[u8]) -> Option<RefOrigin> {
    match origin::parse(bytes).ok()? {
        Origin::Null => Some(RefOrigin::Null),
        Origin::Tuple(t) => Some(RefOrigin::Tuple {
            scheme: String::from_utf8_lossy(t.scheme()).into_owned(),
            host: String::from_utf8_lossy(t.host()).into_owned(),
            port: t.port(),
        }),
        other => panic!("an origin of a kind the fuzz checks do not know: {other:?}"),
    }
}

/// A TOML basic string for `bytes` (or an `origin_hex` key when they are not UTF-8).
fn toml_origin(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => format!("origin = {s:?}"),
        Err(_) => format!(
            "origin_hex = \"{}\"",
            bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
        ),
    }
}

/// Target `origin`: the two grammars agree.
pub fn origin(data: &[u8]) {
    let (engine, reference) = (engine_parts(data), reference::parse_origin(data));
    assert!(
        engine == reference,
        "grammar disagreement: engine {engine:?}, reference {reference:?}\n\
         regression case (corpus/cases/origins-*.toml, with the verdict the spec gives):\n\
         [[group]]\nname = \"fuzz: origin grammar\"\nallow = [\"*\"]\ncases = [ {{ {}, expect = \"?\" }} ]",
        toml_origin(data)
    );
}

/// Example origins an entry names: what it must match.
fn examples(p: &Pattern) -> Vec<String> {
    use corsmatch::pattern::{HostSpec, PortSpec};
    match p {
        Pattern::Any => vec!["https://example.com".into(), "null".into()],
        Pattern::Null => vec!["null".into()],
        Pattern::Regex(_) => vec![],
        Pattern::Host(h) => {
            let host = match &h.host {
                HostSpec::Exact { host, .. } => host.to_string(),
                HostSpec::Subdomains { base } => format!("a.{base}"),
                other => panic!("a host kind the fuzz checks do not know: {other:?}"),
            };
            let base = format!("{}://{host}", h.scheme);
            let default = origin::default_port(h.scheme.as_bytes());
            match h.port {
                PortSpec::Default => vec![base],
                PortSpec::Port(port) => vec![format!("{base}:{port}")],
                PortSpec::Any => {
                    let other = if default == Some(8080) { 8081 } else { 8080 };
                    vec![base.clone(), format!("{base}:{other}")]
                }
                other => panic!("a port kind the fuzz checks do not know: {other:?}"),
            }
        }
        other => panic!("an entry kind the fuzz checks do not know: {other:?}"),
    }
}

/// Every diagnostic of a one-entry policy, with and without credentials, has a kind, a message
/// and a fix, and names the entry (its index and text); a refused policy has an error.
///
/// A regex entry is checked only as far as the pattern layer goes (its error names the entry):
/// building a policy compiles its DFA, which under the fuzzer's instrumentation takes minutes for
/// regexes that approach the size limit. The regex rules of the policy are exercised by the
/// `decision` target and the policy-validation table.
fn check_diagnostics(text: &str, parsed: &Result<Pattern, corsmatch::pattern::PatternErrorKind>) {
    if text.starts_with(corsmatch::pattern::REGEX_PREFIX) {
        if let Err(kind) = parsed {
            let errors = Allowlist::parse(&[text]).expect_err("the entry alone fails to parse");
            let shown = errors.0[0].to_string();
            assert!(
                !kind.name().is_empty()
                    && !kind.fix().is_empty()
                    && shown.contains(kind.fix())
                    && shown.contains(&corsmatch::pattern::escape(text)),
                "{text:?}: incomplete error {shown:?}"
            );
        }
        return;
    }
    for credentials in [false, true] {
        let config = PolicyConfig::new(vec![text.to_string()]).credentials(credentials);
        let (refused, diags) = match Policy::new(&config) {
            Ok(p) => (false, p.diagnostics().to_vec()),
            Err(e) => (true, e.0),
        };
        assert!(
            !refused || diags.iter().any(|d| d.severity() == Severity::Error),
            "{text:?}: refused without an error: {diags:?}"
        );
        for d in &diags {
            let shown = d.to_string();
            assert!(
                !d.kind.name().is_empty()
                    && !d.kind.fix().is_empty()
                    && !d.kind.describe().is_empty()
                    && shown.contains(d.kind.name()),
                "{text:?}: incomplete diagnostic {d:?}"
            );
            if d.key == "origins" {
                assert!(
                    d.index == Some(0) && d.value == text,
                    "{text:?}: diagnostic does not name the entry: {d:?}"
                );
            }
        }
    }
}

/// Target `pattern`: parsing an entry never panics; every diagnostic names its entry; an accepted
/// entry's normalized form is a fixed point; the entry's own example origins match it, in the engine
/// and the reference.
pub fn pattern(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut notes = Vec::new();
    let parsed = Pattern::parse(text, &mut notes);
    check_diagnostics(text, &parsed);
    let Ok(p) = parsed else {
        return;
    };
    let normalized = p.to_string();
    let mut again = Vec::new();
    let reparsed = Pattern::parse(&normalized, &mut again);
    assert!(
        reparsed.as_ref() == Ok(&p) && again.is_empty(),
        "normalized form is not a fixed point: {text:?} -> {normalized:?} -> {reparsed:?} {again:?}\n\
         regression case (corpus/cases/patterns.toml):\n[[case]]\nentry = {text:?}\nnormalized = {normalized:?}"
    );
    let examples = examples(&p);
    if examples.is_empty() {
        return; // a regex: no example to check, and compiling its DFA is what dominates the time
    }
    let Ok(engine) = OriginMatcher::new(&[text]) else {
        return;
    };
    let list = Allowlist::parse(&[text]).expect("parsed above");
    let naive = ReferenceMatcher::new(&list);
    for example in examples {
        let b = example.as_bytes();
        if origin::parse(b).is_err() {
            continue; // e.g. a wildcard base so long that `a.` pushes it over the limit
        }
        assert!(
            engine.matches(b) && naive.matches(b),
            "entry {text:?} does not match its example {example:?} (engine {}, reference {})\n\
             regression case (corpus/cases/origins-matching.toml):\n[[group]]\nname = \"fuzz: pattern example\"\n\
             allow = [{text:?}]\ncases = [ {{ origin = {example:?}, expect = \"allow\", rule = 0 }} ]",
            engine.matches(b),
            naive.matches(b)
        );
    }
}

/// An allowlist compiled by the engine (`None` when it refuses it) and by the reference.
type CompiledList = Option<Rc<(OriginMatcher, ReferenceMatcher)>>;

/// Compiles `entries` with the engine and the reference.
fn compile_list<S: AsRef<str>>(entries: &[S]) -> CompiledList {
    let (list, _) = Allowlist::parse_all(entries);
    let engine = OriginMatcher::from_allowlist(&list).ok()?;
    Some(Rc::new((engine, ReferenceMatcher::new(&list))))
}

/// [`compile_list`], through a per-thread cache of the last 64 lists ([`cache`]): at most 32
/// entries each, a regex DFA among them under the engine's size limits.
fn compiled_list<S: AsRef<str>>(entries: &[S]) -> CompiledList {
    thread_local! {
        static LISTS: RefCell<cache::Lru<Vec<String>, CompiledList>> = RefCell::new(cache::Lru::new(64));
    }
    if !cache::enabled() {
        return compile_list(entries);
    }
    let key: Vec<String> = entries.iter().map(|e| e.as_ref().to_string()).collect();
    if let Some(hit) = LISTS.with_borrow_mut(|c| c.get(&key)) {
        return hit;
    }
    let compiled = compile_list(entries);
    LISTS.with_borrow_mut(|c| c.insert(key, compiled.clone()));
    compiled
}

/// Compares engine and reference on `entries` and `origins`; `Err` holds a regression case.
pub fn check_matcher<S: AsRef<str>>(entries: &[S], origins: &[Vec<u8>]) -> Result<(), String> {
    let Some(compiled) = compiled_list(entries) else {
        return Ok(());
    };
    let (engine, naive) = &*compiled;
    for o in origins {
        let (m, f) = (engine.matches(o), engine.find(o).map(|r| r.index()));
        // The reference's `matches` is `find(..).is_some()`, and `find` parses the origin first: one
        // parse and one call give both.
        let parsed = reference::parse_origin(o);
        let nf = naive.find_parsed(o, parsed.as_ref());
        let nm = nf.is_some();
        if (m, f) != (nm, nf) || engine_parts(o) != parsed {
            let allow: Vec<String> = entries
                .iter()
                .map(|e| format!("{:?}", e.as_ref()))
                .collect();
            let expect = match (nf, reference::parse_origin(o)) {
                (Some(i), _) => format!("expect = \"allow\", rule = {i}"),
                (None, Some(_)) => "expect = \"deny\"".to_string(),
                (None, None) => "expect = \"malformed\"".to_string(),
            };
            return Err(format!(
                "matcher disagreement on {}: engine matches={m} find={f:?}, reference matches={nm} find={nf:?}\n\
                 regression case (corpus/cases/origins-matching.toml; check the verdict against the spec):\n\
                 [[group]]\nname = \"fuzz: matcher\"\nallow = [{}]\ncases = [ {{ {}, {expect} }} ]",
                o.escape_ascii(),
                allow.join(", "),
                toml_origin(o)
            ));
        }
    }
    Ok(())
}

const SCHEMES: &[&str] = &[
    "https",
    "http",
    "wss",
    "ftp",
    "chrome-extension",
    "capacitor",
    "file",
];
const LABELS: &[&str] = &[
    "example",
    "com",
    "api",
    "a",
    "b",
    "ab",
    "co",
    "io",
    "x-y",
    "_srv",
    "xn--bcher-kva",
    "1a",
    "localhost",
    "MyApp",
    "xn--4db",
    "xn--zz",
    "3com",
];
const PORTS: &[u16] = &[1, 21, 80, 443, 3000, 8080, 8443, 65535];
const IPS: &[&str] = &["127.0.0.1", "10.0.0.1", "[::1]", "[2001:db8::1]"];
const REGEXES: &[&str] = &[
    r"^https://pr-[0-9]+\.preview\.example\.com$",
    r"https?://[a-z]+\.example\.com(:[0-9]+)?",
    r"https://(a|b)+\.(com|io)",
    r"[a-z]+://localhost:[0-9]{4}",
];

fn domain(u: &mut Unstructured<'_>) -> ArbResult<String> {
    let n = u.int_in_range(1..=3)?;
    let mut labels = Vec::with_capacity(n);
    for _ in 0..n {
        labels.push(if u.ratio(1, 5)? {
            let len = u.int_in_range(1..=5)?;
            (0..len)
                .map(|_| Ok(*u.choose(b"abcxyz019-_")? as char))
                .collect::<ArbResult<String>>()?
        } else {
            u.choose(LABELS)?.to_string()
        });
    }
    Ok(labels.join("."))
}

/// An allowlist entry; a `regex:` one only when `regexes` (else a port wildcard in its place).
fn entry(u: &mut Unstructured<'_>, regexes: bool) -> ArbResult<String> {
    let scheme = *u.choose(SCHEMES)?;
    let port = |u: &mut Unstructured<'_>| -> ArbResult<String> {
        Ok(match u.int_in_range(0..=3)? {
            0 | 1 => String::new(),
            2 => ":*".into(),
            _ => format!(":{}", u.choose(PORTS)?),
        })
    };
    Ok(match u.int_in_range(0..=9)? {
        0..=3 => format!("{scheme}://{}{}", domain(u)?, port(u)?),
        4..=5 => format!("{scheme}://*.{}{}", domain(u)?, port(u)?),
        6 => format!("{scheme}://{}{}", u.choose(IPS)?, port(u)?),
        7 if regexes => format!("regex:{}", u.choose(REGEXES)?),
        7 => format!("{scheme}://{}:*", domain(u)?),
        8 => u.choose(&["null", "*"])?.to_string(),
        _ => format!("{}://{}/", scheme.to_uppercase(), domain(u)?.to_uppercase()),
    })
}

fn mutate(u: &mut Unstructured<'_>, origin: String) -> ArbResult<Vec<u8>> {
    let mut b = origin.into_bytes();
    let at = |u: &mut Unstructured<'_>, len: usize| u.int_in_range(0..=len.saturating_sub(1));
    match u.int_in_range(0..=8)? {
        0 | 1 => {}
        2 => {
            let i = u.int_in_range(0..=b.len())?;
            b.insert(i, *u.choose(b".-_:/@#?%*[]0aAZ \x00\xff")?);
        }
        3 if !b.is_empty() => {
            let i = at(u, b.len())?;
            b.remove(i);
        }
        4 if !b.is_empty() => {
            let i = at(u, b.len())?;
            b[i] = u.arbitrary()?;
        }
        5 if !b.is_empty() => {
            let i = at(u, b.len())?;
            b[i] ^= if b[i].is_ascii_alphabetic() { 0x20 } else { 0 };
        }
        6 => b.extend_from_slice(format!(":{}", u.choose(PORTS)?).as_bytes()),
        7 => b.extend_from_slice(u.choose(&[&b".evil.com"[..], b"evil.com", b".", b"x"])?),
        _ => {
            if let Some(k) = b.windows(3).position(|w| w == b"://") {
                let label = format!("{}.", u.choose(LABELS)?);
                b.splice(k + 3..k + 3, label.into_bytes());
            }
        }
    }
    Ok(b)
}

/// Target `matcher`: an allowlist of up to 32 entries of every kind but `regex:` and origins that are
/// near misses of them, generated from the input (or given literally, see the module doc; a literal
/// `regex:` entry is left out). Regex entries are [`matcher_regex`]'s: compiling their DFA costs a
/// hundred times more than the rest of an input.
pub fn matcher(data: &[u8]) {
    check_generated_matcher(data, false);
}

/// Target `matcher_regex`: [`matcher`] with `regex:` entries (about one generated entry in ten, and
/// every literal one), so that most allowlists hold one.
pub fn matcher_regex(data: &[u8]) {
    check_generated_matcher(data, true);
}

fn check_generated_matcher(data: &[u8], regexes: bool) {
    let (entries, origins) = if let Some(literal) = data.strip_prefix(b"L") {
        let text = String::from_utf8_lossy(literal);
        let (e, o) = text.split_once("\n\n").unwrap_or((&text, ""));
        let entries: Vec<String> = e
            .lines()
            .filter(|e| regexes || !e.starts_with(corsmatch::pattern::REGEX_PREFIX))
            .map(str::to_string)
            .collect();
        let origins: Vec<Vec<u8>> = o.split('\n').map(|s| s.as_bytes().to_vec()).collect();
        (entries, origins)
    } else {
        let mut u = Unstructured::new(data);
        let generated = (|| -> ArbResult<(Vec<String>, Vec<Vec<u8>>)> {
            let n = u.int_in_range(1..=32)?;
            let entries = (0..n)
                .map(|_| entry(&mut u, regexes))
                .collect::<ArbResult<Vec<_>>>()?;
            let mut origins = Vec::new();
            while !u.is_empty() && origins.len() < 32 {
                let e = u.choose(&entries)?;
                let fill = u.choose(LABELS)?;
                let example = e
                    .strip_prefix("regex:")
                    .map(|r| {
                        r.replace(['\\', '^', '$'], "")
                            .replace("[0-9]+", "7")
                            .replace("[a-z]+", "q")
                    })
                    .unwrap_or_else(|| e.clone())
                    .replace("*.", &format!("{fill}."))
                    .replace(":*", "")
                    .trim_end_matches('/')
                    .to_string();
                let example = reference::browser_case(&example);
                origins.push(mutate(&mut u, example)?);
            }
            Ok((entries, origins))
        })();
        match generated {
            Ok(g) => g,
            Err(_) => return,
        }
    };
    if let Err(e) = check_matcher(&entries, &origins) {
        panic!("{e}");
    }
}

/// The policies the `request_headers` target decides preflights with: `*` without credentials (any
/// name), `*` with credentials (any but `authorization`), and a list of names.
fn header_policies() -> &'static [(Policy, NaiveEngine)] {
    static POLICIES: OnceLock<Vec<(Policy, NaiveEngine)>> = OnceLock::new();
    POLICIES.get_or_init(|| {
        let base = |credentials: bool, names: &[&str]| {
            let mut config = PolicyConfig::default();
            config.origins = vec!["https://app.example.com".into()];
            config.methods = vec!["PUT".into()];
            config.request_headers = names.iter().map(|n| n.to_string()).collect();
            config.credentials = credentials;
            config
        };
        let list = [
            "content-type",
            "x-api-key",
            "a",
            "x-requested-with",
            "x-a-rather-long-header-name",
        ];
        [base(false, &["*"]), base(true, &["*"]), base(true, &list)]
            .iter()
            .map(|config| {
                let policy = Policy::new(config).unwrap_or_else(|e| panic!("{e}"));
                (policy, NaiveEngine::new(config))
            })
            .collect()
    })
}

/// Target `request_headers`: the input split on `\n` is the list of `Access-Control-Request-Headers`
/// lines of a preflight; the engine and the naive engine give the same decision (kind, reason, status,
/// headers) under a policy allowing any name, any but `authorization`, and a list of names. (The
/// library's own tests hold its one-pass reader to a plain reader followed by a search.)
pub fn request_headers(data: &[u8]) {
    let lines: Vec<&[u8]> = if data.is_empty() {
        vec![]
    } else {
        data.split(|&b| b == b'\n').collect()
    };
    for (policy, naive) in header_policies() {
        let d = policy.evaluate(&Request {
            method: b"OPTIONS",
            origin: Some(b"https://app.example.com"),
            request_method: Some(b"PUT"),
            request_headers: &lines,
            private_network: false,
        });
        let mut headers: Vec<(String, Vec<u8>)> = d
            .headers()
            .map(|(n, v)| (n.to_string(), v.to_vec()))
            .collect();
        headers.sort();
        let engine = (d.kind().name(), d.reason().map(|r| r.name()), headers);
        let n = naive.decide(&NaiveRequest {
            method: b"OPTIONS".to_vec(),
            origin: Some(b"https://app.example.com".to_vec()),
            acrm: Some(b"PUT".to_vec()),
            acrh: lines.iter().map(|l| l.to_vec()).collect(),
            private_network: false,
        });
        let mut theirs = n.headers.clone();
        theirs.sort();
        let reference = (n.kind, n.reason, theirs);
        if engine != reference {
            let acrh: Vec<String> = lines
                .iter()
                .map(|l| format!("{:?}", String::from_utf8_lossy(l)))
                .collect();
            panic!(
                "header list disagreement: engine {engine:?}, naive {reference:?}\n\
                 regression case (corpus/cases/decisions-rules.toml; fill in the expected answer from the spec):\n\
                 [[case]]\nname = \"fuzz: request headers\"\n\
                 policy = {{ origins = [\"https://app.example.com\"], methods = [\"PUT\"], request_headers = [\"*\"] }}\n\
                 request = {{ method = \"OPTIONS\", origin = \"https://app.example.com\", acrm = \"PUT\", acrh = [{}] }}",
                acrh.join(", ")
            );
        }
    }
}

/// The headers an application adds to a response the CORS layer passes on (after the decision's):
/// the first three are safelisted or commonly exposed; `x-secret` must stay unreadable unless exposed.
pub const APP_HEADERS: [(&str, &str); 4] = [
    ("content-type", "text/plain"),
    ("x-request-id", "1"),
    ("set-cookie", "s=1"),
    ("x-secret", "2"),
];

/// One request a browser model sent, decided by the engine and by the naive engine.
#[derive(Debug)]
pub struct Served {
    /// The engine's response: the decision's status (200 when it passes the request on) and headers,
    /// followed, for a request passed on, by the application's headers.
    pub response: HttpResponse,
    /// Whether the engine allowed the request.
    pub allowed: bool,
    /// `Err` describes how the two engines' decisions (kind, reason, status, headers) differ.
    pub agree: Result<(), String>,
}

/// The server side of a browser-model run: decides `req` with the engine and the naive engine, and
/// answers with the engine's decision, adding `app_headers` to a request it passes on.
pub fn serve(
    policy: &Policy,
    naive: &NaiveEngine,
    req: &HttpRequest,
    app_headers: &[(&str, &str)],
) -> Served {
    let header = |name: &str| {
        req.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    let lines: Vec<Vec<u8>> = req
        .headers
        .iter()
        .filter(|(n, _)| n == "access-control-request-headers")
        .map(|(_, v)| v.clone())
        .collect();
    let refs: Vec<&[u8]> = lines.iter().map(Vec::as_slice).collect();
    let (origin, acrm) = (header("origin"), header("access-control-request-method"));
    let d = policy.evaluate(&Request {
        method: &req.method,
        origin: origin.as_deref(),
        request_method: acrm.as_deref(),
        request_headers: &refs,
        private_network: false,
    });
    let mut headers: Vec<(String, Vec<u8>)> = d
        .headers()
        .map(|(n, v)| (n.to_string(), v.to_vec()))
        .collect();
    let n = naive.decide(&NaiveRequest {
        method: req.method.clone(),
        origin: origin.clone(),
        acrm: acrm.clone(),
        acrh: lines.clone(),
        private_network: false,
    });
    let (mut mine, mut theirs) = (headers.clone(), n.headers.clone());
    mine.sort();
    theirs.sort();
    let engine = (
        d.kind().name(),
        d.reason().map(|r| r.name()),
        d.status(),
        mine,
    );
    let reference = (n.kind, n.reason, n.status, theirs);
    let agree = if engine == reference {
        Ok(())
    } else {
        Err(format!("engine {engine:?}\nnaive  {reference:?}"))
    };
    if d.status().is_none() {
        headers.extend(
            app_headers
                .iter()
                .map(|(name, value)| (name.to_string(), value.as_bytes().to_vec())),
        );
    }
    Served {
        response: HttpResponse {
            status: d.status().unwrap_or(200),
            headers,
        },
        allowed: d.is_allowed(),
        agree,
    }
}

/// Runs `script` through the browser model against the engine and the naive engine; `Err` explains
/// the first disagreement: between the two engines on any request the browser sent, or between "the
/// engine allowed every request and the credentials mode" and "the script can read the response".
pub fn check_decision(config: &PolicyConfig, script: &ScriptRequest) -> Result<(), String> {
    let Ok(policy) = Policy::new(config) else {
        return Ok(());
    };
    check_decision_with(config, &policy, &NaiveEngine::new(config), script)
}

/// [`check_decision`] with the policy built by the engine and the naive engine.
fn check_decision_with(
    config: &PolicyConfig,
    policy: &Policy,
    naive: &NaiveEngine,
    script: &ScriptRequest,
) -> Result<(), String> {
    for profile in Profile::ALL {
        check_decision_as(profile, config, policy, naive, script)?;
    }
    Ok(())
}

/// [`check_decision`] with the browser model playing `profile`.
fn check_decision_as(
    profile: Profile,
    config: &PolicyConfig,
    policy: &Policy,
    naive: &NaiveEngine,
    script: &ScriptRequest,
) -> Result<(), String> {
    let mut trouble: Option<String> = None;
    let mut all_allowed = true;
    let mut server = |req: &HttpRequest| -> HttpResponse {
        let served = serve(policy, naive, req, &APP_HEADERS[..3]);
        if let Err(t) = served.agree {
            trouble.get_or_insert(t);
        }
        all_allowed &= served.allowed;
        served.response
    };
    let outcome = browser::run_as(profile, script, &mut server);
    let context = || reproduction(profile, config, script);
    if let Some(t) = trouble {
        return Err(format!(
            "engines disagree on a request the browser sent\n{t}\n{}",
            context()
        ));
    }
    if outcome.preflight.is_none() && outcome.actual.is_none() {
        return Ok(()); // the browser refused to send anything (e.g. a forbidden method)
    }
    let engine_allows =
        all_allowed && outcome.actual.is_some() && (!script.credentials || config.credentials);
    if outcome.readable != engine_allows {
        return Err(format!(
            "the browser model ({}) {} the response but the engine {} it ({:?})\n{}",
            profile.name(),
            if outcome.readable { "reads" } else { "blocks" },
            if engine_allows {
                "allowed"
            } else {
                "did not allow"
            },
            outcome.error,
            context()
        ));
    }
    Ok(())
}

/// A policy file and the `corsmatch explain` call that replay a script call.
fn reproduction(profile: Profile, config: &PolicyConfig, script: &ScriptRequest) -> String {
    let list = |v: &[String]| {
        format!(
            "[{}]",
            v.iter()
                .map(|s| format!("{s:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let mut policy = format!(
        "origins = {}\nmethods = {}\nrequest_headers = {}\nexpose_headers = {}\ncredentials = {}\nprivate_network = {}\n",
        list(&config.origins),
        list(&config.methods),
        list(&config.request_headers),
        list(&config.expose_headers),
        config.credentials,
        config.private_network
    );
    if let Some(age) = config.max_age {
        policy.push_str(&format!("max_age = {age}\n"));
    }
    let mut call = format!(
        "corsmatch explain --browser {} --policy policy.toml --origin {:?} --method {:?}",
        profile.name(),
        script.origin,
        script.method
    );
    for (n, v) in &script.headers {
        call.push_str(&format!(" --header {:?}", format!("{n}: {v}")));
    }
    if script.credentials {
        call.push_str(" --credentials");
    }
    format!("policy.toml:\n{policy}reproduce: {call}")
}

const ORIGIN_POOL: &[&str] = &[
    "https://app.example.com",
    "https://*.example.com",
    "https://*.example.org:8443",
    "http://localhost:*",
    r"regex:^https://pr-[0-9]+\.preview\.example\.dev$",
    "*",
    "null",
    "http://insecure.example.net",
];
const PAGE_ORIGINS: &[&str] = &[
    "https://app.example.com",
    "https://api.example.com",
    "https://example.com",
    "https://a.b.example.org:8443",
    "http://localhost:5173",
    "https://pr-42.preview.example.dev",
    "https://evilexample.com",
    "http://insecure.example.net",
    "null",
];
const METHODS: &[&str] = &[
    "PUT", "PATCH", "patch", "DELETE", "put", "X-Custom", "GET", "*",
];
const HEADER_NAMES: &[&str] = &[
    "content-type",
    "x-api-key",
    "authorization",
    "x-requested-with",
    "accept",
    "*",
];
const SCRIPT_METHODS: &[&str] = &[
    "GET", "HEAD", "POST", "PUT", "put", "PATCH", "patch", "DELETE", "OPTIONS", "X-Custom", "get",
];
/// The headers a generated script call picks from (the `decision` fuzz check and the decision
/// property test): safelisted and unsafe names and values, and those where the browser profiles
/// differ.
pub const SCRIPT_HEADERS: &[(&str, &str)] = &[
    ("content-type", "application/json"),
    ("content-type", "text/plain;charset=utf-8"),
    ("Content-Type", "multipart/form-data; boundary=x"),
    ("accept", "*/*"),
    ("accept", "text/html\"x\""),
    ("x-api-key", "k"),
    ("Authorization", "Bearer t"),
    ("x-requested-with", "XMLHttpRequest"),
    ("accept-language", "en-US"),
    ("range", "bytes=0-99"),
    ("range", "bytes=0-1,3-4"),
    // Where the profiles differ: Chromium drops a script-set User-Agent, safelists Client Hints and
    // joins repeated values before the 128-byte limit (two of these make 154 bytes).
    ("user-agent", "bot/1"),
    ("dpr", "2"),
    (
        "accept",
        "text/html;q=0.9,application/xhtml+xml;q=0.8,application/xml;q=0.7,*/*;q=0.1",
    ),
    (
        "Accept",
        "text/html;q=0.9,application/xhtml+xml;q=0.8,application/xml;q=0.7,*/*;q=0.1",
    ),
];

fn some<T: Copy>(u: &mut Unstructured<'_>, pool: &[T]) -> ArbResult<Vec<T>> {
    let mut out = Vec::new();
    for &x in pool {
        if u.ratio(1, 3)? {
            out.push(x);
        }
    }
    Ok(out)
}

/// Whether an input may have a regex entry in its policy: one input in 128, by a hash of the whole
/// input. A policy with a regex costs a hundred times more to build than one without (its DFA, and
/// the DFAs that decide what it lets in), and an input that found coverage with a regex would
/// otherwise pass it on to nearly every input derived from it; this way, whatever the corpus holds,
/// one run in 128 at most builds one. The pool holds one regex, so what a regex adds to a decision is
/// covered within the first few of those.
pub fn regex_turn(data: &[u8]) -> bool {
    let mut h: u32 = 0x811c_9dc5;
    for &b in data {
        h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
    }
    h.is_multiple_of(128)
}

/// Picks each of the [`ORIGIN_POOL`] entries with odds of one in three, its regex only when
/// `regexes` (see [`regex_turn`]).
fn some_origins(u: &mut Unstructured<'_>, regexes: bool) -> ArbResult<Vec<&'static str>> {
    let mut out = Vec::new();
    for &x in ORIGIN_POOL {
        if u.ratio(1, 3)? && (regexes || !x.starts_with(corsmatch::pattern::REGEX_PREFIX)) {
            out.push(x);
        }
    }
    Ok(out)
}

/// Decodes a policy from fuzz input (the first part of [`decision_input`]); a regex entry only when
/// `regexes`.
pub fn policy_config(u: &mut Unstructured<'_>, regexes: bool) -> ArbResult<PolicyConfig> {
    let strings = |v: Vec<&str>| v.into_iter().map(String::from).collect::<Vec<_>>();
    Ok(PolicyConfig::new(strings(some_origins(u, regexes)?))
        .methods(strings(some(u, METHODS)?))
        .request_headers(strings(some(u, HEADER_NAMES)?))
        .expose_headers(strings(some(u, &["x-request-id", "*"])?))
        .credentials(u.arbitrary()?)
        .max_age(if u.arbitrary()? {
            Some(u.int_in_range(0..=7200)?)
        } else {
            None
        })
        .private_network(u.arbitrary()?))
}

/// Decodes a policy and a script call from fuzz input; a regex entry only when `regexes`.
pub fn decision_input(
    u: &mut Unstructured<'_>,
    regexes: bool,
) -> ArbResult<(PolicyConfig, ScriptRequest)> {
    let config = policy_config(u, regexes)?;
    let script = ScriptRequest {
        body: false,
        cache: Default::default(),
        origin: u.choose(PAGE_ORIGINS)?.to_string(),
        method: u.choose(SCRIPT_METHODS)?.to_string(),
        headers: some(u, SCRIPT_HEADERS)?
            .into_iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
        credentials: u.arbitrary()?,
    };
    Ok((config, script))
}

/// A policy built by the engine (`None` when it refuses it) and by the naive engine.
type BuiltPolicy = Option<Rc<(Policy, NaiveEngine)>>;

/// Builds `config` with the engine and the naive engine, through a per-thread cache of the last 64
/// policies ([`cache`]), keyed by the whole configuration.
fn built_policy(config: &PolicyConfig) -> BuiltPolicy {
    thread_local! {
        static POLICIES: RefCell<cache::Lru<String, BuiltPolicy>> = RefCell::new(cache::Lru::new(64));
    }
    let build = || {
        let policy = Policy::new(config).ok()?;
        Some(Rc::new((policy, NaiveEngine::new(config))))
    };
    if !cache::enabled() {
        return build();
    }
    let key = format!("{config:?}");
    if let Some(hit) = POLICIES.with_borrow_mut(|c| c.get(&key)) {
        return hit;
    }
    let built = build();
    POLICIES.with_borrow_mut(|c| c.insert(key, built.clone()));
    built
}

/// Target `decision`: a generated policy (invalid ones are skipped) and script call.
pub fn decision(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok((config, script)) = decision_input(&mut u, regex_turn(data)) else {
        return;
    };
    let Some(built) = built_policy(&config) else {
        return;
    };
    let (policy, naive) = &*built;
    if let Err(e) = check_decision_with(&config, policy, naive, &script) {
        panic!("{e}");
    }
}
