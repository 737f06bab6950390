//! The CORS decision: configuration, validation, preflight and actual-request evaluation, and the
//! precomputed response header values.
//!
//! A [`PolicyConfig`] (plain data, or a policy file with the `serde` feature) is validated once by
//! [`Policy::new`], which reports **every** problem ([`PolicyErrors`]) and keeps the warnings and notes
//! of an accepted policy ([`Policy::diagnostics`]). The policy then decides requests:
//! [`Policy::evaluate`] takes a [`Request`] made of borrowed header bytes and returns a [`Decision`]
//! whose response headers borrow from the request and the policy. Neither allocates.
//!
//! The rules follow the WHATWG Fetch standard (§3.2 "CORS protocol", §4.8 "CORS-preflight fetch",
//! §4.9 "CORS check"); `corpus/cases/README.md` states them in full and the decision tables there hold
//! the engine to them.

mod config;
mod decision;
mod diagnostics;
pub(crate) mod fetch;
#[cfg(feature = "toml")]
mod load;
pub(crate) mod request_headers;

pub use config::PolicyConfig;
#[cfg(feature = "http")]
pub(crate) use decision::Header;
pub use decision::{Decision, DecisionKind, DenyReason, Request, ResponseHeaders};
pub use diagnostics::{Diagnostic, Kind as DiagnosticKind, PolicyErrors, Position, Severity};
#[cfg(feature = "toml")]
pub use load::{locate, LoadError, MAX_POLICY_FILE};

use crate::pattern::{Allowlist, HostSpec, Pattern, PatternErrors};
use crate::OriginMatcher;

/// The largest `max_age` accepted (Firefox's cap).
pub const MAX_AGE_LIMIT: i64 = 86_400;
/// Chromium's cap on `max_age`; above it a warning is given.
pub const MAX_AGE_CHROMIUM: i64 = 7_200;

/// A set of names: any, or these (stored lowercase for headers, as normalized for methods).
#[derive(Clone, Debug, PartialEq, Eq)]
enum Names {
    Any,
    List(Vec<Box<[u8]>>),
}

/// A validated, compiled policy. Immutable, `Send + Sync`; build it once and share it.
#[derive(Clone, Debug)]
pub struct Policy {
    matcher: OriginMatcher,
    /// `*` among the origins and no credentials: answer `*`, independent of the origin.
    any_origin: bool,
    credentials: bool,
    methods: Names,
    /// The allowed request-header names, compiled for [`request_headers::check`]; `None` for `*`.
    request_headers: Option<request_headers::AllowedNames>,
    /// `request_headers = ["*", "authorization"]`: `*` never covers `authorization` (Fetch §2.2.2,
    /// "CORS non-wildcard request-header name"), so listing it beside `*` allows it too.
    any_header_and_authorization: bool,
    expose: Option<Box<[u8]>>,
    max_age: Option<Box<[u8]>>,
    private_network: bool,
    preflight_status: u16,
    diagnostics: Vec<Diagnostic>,
}

impl Policy {
    /// Validates `config` and compiles it. On failure every error, warning and note is returned.
    pub fn new(config: &PolicyConfig) -> Result<Policy, PolicyErrors> {
        let mut diags = Vec::new();
        let mut push =
            |kind: DiagnosticKind, key: &'static str, index: Option<usize>, value: &str| {
                diags.push(Diagnostic {
                    kind,
                    key,
                    index,
                    value: value.to_string(),
                    position: None,
                })
            };
        let (compiled, any_origin) = check_origins(config, &mut push);
        let methods = check_methods(config, &mut push);
        let (request_headers, any_header_and_authorization) =
            check_request_headers(config, &mut push);
        let expose = check_expose_headers(config, &mut push);
        let max_age = check_max_age(config, &mut push);
        let preflight_status = check_preflight_status(config, &mut push);

        diags.sort_by_key(|d| d.severity());
        match compiled {
            Ok(matcher) if !diags.iter().any(|d| d.severity() == Severity::Error) => Ok(Policy {
                matcher,
                any_origin: any_origin && !config.credentials,
                credentials: config.credentials,
                methods,
                any_header_and_authorization,
                request_headers: match &request_headers {
                    Names::List(list) => Some(request_headers::AllowedNames::new(list)),
                    Names::Any => None,
                },
                expose,
                max_age,
                private_network: config.private_network,
                preflight_status,
                diagnostics: diags,
            }),
            _ => Err(PolicyErrors(diags)),
        }
    }

    /// The warnings and notes of validation.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// The compiled origin allowlist.
    pub fn matcher(&self) -> &OriginMatcher {
        &self.matcher
    }

    /// Whether credentialed requests are allowed.
    pub fn credentials(&self) -> bool {
        self.credentials
    }

    /// Whether every origin is allowed without credentials, so that answers do not depend on the origin.
    pub fn allows_any_origin(&self) -> bool {
        self.any_origin
    }

    /// The status of an allowed preflight.
    pub fn preflight_status(&self) -> u16 {
        self.preflight_status
    }

    /// The `Access-Control-Max-Age` value, when one is configured (for adapters that prepare it once).
    #[cfg_attr(not(feature = "http"), allow(dead_code))]
    pub(crate) fn max_age_value(&self) -> Option<&[u8]> {
        self.max_age.as_deref()
    }

    /// The `Access-Control-Expose-Headers` value, when one is configured.
    #[cfg_attr(not(feature = "http"), allow(dead_code))]
    pub(crate) fn expose_value(&self) -> Option<&[u8]> {
        self.expose.as_deref()
    }
}

/// The origin allowlist, parsed, compiled and judged: the matcher (unless a regex failed to
/// compile) and whether `*` is among the entries.
fn check_origins(
    config: &PolicyConfig,
    push: &mut Push<'_>,
) -> (Result<OriginMatcher, PatternErrors>, bool) {
    let list = parse_origins(&config.origins, push);
    let compiled = compile_origins(&list, push);
    let any_origin = list.entries().iter().any(|e| e.pattern == Pattern::Any);
    for (kind, index, text) in scope_checks(config, &list, compiled.as_ref().ok()) {
        push(kind, "origins", Some(index), text);
    }
    (compiled, any_origin)
}

/// Parses the origin entries, reporting each invalid entry, each normalized one, and an empty list.
fn parse_origins(origins: &[String], push: &mut Push<'_>) -> Allowlist {
    let (list, errors) = Allowlist::parse_all(origins);
    for e in errors {
        push(
            DiagnosticKind::InvalidOrigin(e.kind),
            "origins",
            Some(e.index),
            &e.entry,
        );
    }
    for n in list.notes() {
        push(
            DiagnosticKind::OriginNormalized(n.kind),
            "origins",
            Some(n.index),
            &n.entry,
        );
    }
    if origins.is_empty() {
        push(DiagnosticKind::EmptyAllowlist, "origins", None, "");
    }
    list
}

/// Compiles the parsed allowlist, reporting the entries that fail to compile (regexes over the DFA
/// size limits).
fn compile_origins(list: &Allowlist, push: &mut Push<'_>) -> Result<OriginMatcher, PatternErrors> {
    let compiled = OriginMatcher::from_allowlist(list);
    if let Err(errors) = &compiled {
        for e in &errors.0 {
            push(
                DiagnosticKind::InvalidOrigin(e.kind.clone()),
                "origins",
                Some(e.index),
                &e.entry,
            );
        }
    }
    compiled
}

/// The allowed methods, as normalized; safelisted methods are dropped.
fn check_methods(config: &PolicyConfig, push: &mut Push<'_>) -> Names {
    names(&config.methods, "methods", push, method_entry)
}

/// One `methods` value: its normalized form, or `None` when it is not a token, is forbidden or is
/// safelisted.
fn method_entry(i: usize, m: &str, push: &mut Push<'_>) -> Option<String> {
    if !fetch::is_token(m.as_bytes()) {
        push(DiagnosticKind::InvalidMethod, "methods", Some(i), m);
        return None;
    }
    if fetch::is_forbidden_method(m) {
        push(DiagnosticKind::ForbiddenMethod, "methods", Some(i), m);
        return None;
    }
    let normalized = fetch::normalize_method(m);
    if fetch::is_safelisted_method(normalized.as_bytes()) {
        push(
            DiagnosticKind::SafelistedMethodDropped,
            "methods",
            Some(i),
            m,
        );
        return None;
    }
    if normalized != m {
        push(DiagnosticKind::MethodNormalized, "methods", Some(i), m);
    }
    Some(normalized)
}

/// The allowed request headers, lowercase, and whether `authorization` stands beside `*` (which
/// never covers it, so that it is allowed too).
fn check_request_headers(config: &PolicyConfig, push: &mut Push<'_>) -> (Names, bool) {
    let is_authorization = |h: &String| h.eq_ignore_ascii_case(fetch::NON_WILDCARD_REQUEST_HEADER);
    let any_header_and_authorization = config.request_headers.iter().any(|h| h == "*")
        && config.request_headers.iter().any(is_authorization);
    let header_values: Vec<String> = config
        .request_headers
        .iter()
        .filter(|h| !(any_header_and_authorization && is_authorization(h)))
        .cloned()
        .collect();
    let request_headers = names(
        &header_values,
        "request_headers",
        push,
        request_header_entry,
    );
    (request_headers, any_header_and_authorization)
}

/// One `request_headers` value: its lowercase form, or `None` when it is not a token, is a CORS
/// response header, or is forbidden.
fn request_header_entry(i: usize, h: &str, push: &mut Push<'_>) -> Option<String> {
    let lower = h.to_ascii_lowercase();
    if !fetch::is_token(h.as_bytes()) {
        push(
            DiagnosticKind::InvalidHeaderName,
            "request_headers",
            Some(i),
            h,
        );
    } else if fetch::CORS_RESPONSE_HEADERS.contains(&lower.as_str()) {
        push(
            DiagnosticKind::ResponseHeaderAsRequestHeader,
            "request_headers",
            Some(i),
            h,
        );
    } else if fetch::is_forbidden_request_header(&lower) {
        push(
            DiagnosticKind::ForbiddenRequestHeader,
            "request_headers",
            Some(i),
            h,
        );
    } else {
        return Some(lower);
    }
    None
}

/// The `Access-Control-Expose-Headers` value: `*` (never with credentials), the list, or none.
fn check_expose_headers(config: &PolicyConfig, push: &mut Push<'_>) -> Option<Box<[u8]>> {
    match names(
        &config.expose_headers,
        "expose_headers",
        push,
        exposed_header_entry,
    ) {
        Names::Any if config.credentials => {
            push(
                DiagnosticKind::ExposeWildcardWithCredentials,
                "expose_headers",
                None,
                "*",
            );
            None
        }
        Names::Any => Some(Box::from(&b"*"[..])),
        Names::List(list) if list.is_empty() => None,
        Names::List(list) => Some(list.join(&b", "[..]).into_boxed_slice()),
    }
}

/// One `expose_headers` value: its lowercase form, or `None` when it is not a token or is a
/// forbidden response header.
fn exposed_header_entry(i: usize, h: &str, push: &mut Push<'_>) -> Option<String> {
    let lower = h.to_ascii_lowercase();
    if !fetch::is_token(h.as_bytes()) {
        push(
            DiagnosticKind::InvalidHeaderName,
            "expose_headers",
            Some(i),
            h,
        );
    } else if fetch::FORBIDDEN_RESPONSE_HEADERS.contains(&lower.as_str()) {
        push(
            DiagnosticKind::ForbiddenExposedHeader,
            "expose_headers",
            Some(i),
            h,
        );
    } else {
        return Some(lower);
    }
    None
}

/// The `Access-Control-Max-Age` value: none, or the number when it is within
/// [`MAX_AGE_LIMIT`] (with a warning above [`MAX_AGE_CHROMIUM`]).
fn check_max_age(config: &PolicyConfig, push: &mut Push<'_>) -> Option<Box<[u8]>> {
    match config.max_age {
        None => None,
        Some(age) if !(0..=MAX_AGE_LIMIT).contains(&age) => {
            push(
                DiagnosticKind::MaxAgeOutOfRange,
                "max_age",
                None,
                &age.to_string(),
            );
            None
        }
        Some(age) => {
            if age > MAX_AGE_CHROMIUM {
                push(
                    DiagnosticKind::MaxAgeAboveBrowserCap,
                    "max_age",
                    None,
                    &age.to_string(),
                );
            }
            Some(age.to_string().into_bytes().into_boxed_slice())
        }
    }
}

/// The status of an allowed preflight: a 2xx, else an error (and 204 in its place).
fn check_preflight_status(config: &PolicyConfig, push: &mut Push<'_>) -> u16 {
    match u16::try_from(config.preflight_status) {
        Ok(s) if (200..=299).contains(&s) => s,
        _ => {
            push(
                DiagnosticKind::InvalidPreflightStatus,
                "preflight_status",
                None,
                &config.preflight_status.to_string(),
            );
            204
        }
    }
}

/// The rules on what each entry lets in: `*` and `null` with credentials, insecure origins with
/// credentials, wildcards over public suffixes, and both regex rules, decided on the compiled
/// automaton ([`crate::scope`]). Returns `(kind, entry index, entry text)` in config order.
fn scope_checks<'a>(
    config: &PolicyConfig,
    list: &'a Allowlist,
    matcher: Option<&OriginMatcher>,
) -> Vec<(DiagnosticKind, usize, &'a str)> {
    use crate::scope::language::{self, Dfa};
    let credentials = config.credentials;
    // With credentials, an insecure origin is an error unless the dangerous opt-out is set.
    let insecure = |kind: DiagnosticKind| {
        if config.dangerously_allow_insecure_origins_with_credentials {
            DiagnosticKind::DangerousOptOut
        } else {
            kind
        }
    };
    let mut out = Vec::new();
    for entry in list.entries() {
        let (i, text) = (entry.index, &*entry.text);
        match &entry.pattern {
            Pattern::Any if credentials => {
                out.push((DiagnosticKind::WildcardOriginWithCredentials, i, text))
            }
            Pattern::Any => out.push((DiagnosticKind::AnyOrigin, i, text)),
            Pattern::Null if credentials => {
                out.push((DiagnosticKind::NullOriginWithCredentials, i, text))
            }
            Pattern::Host(h) => {
                if credentials && entry.pattern.is_insecure() {
                    out.push((
                        insecure(DiagnosticKind::InsecureOriginWithCredentials),
                        i,
                        text,
                    ));
                }
                if let HostSpec::Subdomains { base } = &h.host {
                    if let Some(e) = crate::scope::exposure(base) {
                        let suffix: Box<str> = e.suffix().into();
                        out.push((
                            if credentials {
                                DiagnosticKind::PublicSuffixWildcardWithCredentials { suffix }
                            } else {
                                DiagnosticKind::PublicSuffixWildcard { suffix }
                            },
                            i,
                            text,
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    // Regexes: judged on the DFA the matcher runs, all patterns at once.
    if let Some((dfa, ids)) = matcher.and_then(OriginMatcher::regex_automaton) {
        if let Some(dfa) = Dfa::new(dfa) {
            // Entries are in config order, so an entry is found by its index.
            let entry_of = |p: regex_automata::PatternID| {
                let index = ids[p.as_usize()].index();
                let entries = list.entries();
                entries
                    .binary_search_by_key(&index, |e| e.index)
                    .ok()
                    .map(|at| &entries[at])
            };
            if credentials {
                for (p, example) in language::insecure(&dfa) {
                    if let Some(entry) = entry_of(p) {
                        let example = example.into();
                        out.push((
                            insecure(DiagnosticKind::RegexOriginWithCredentials { example }),
                            entry.index,
                            &*entry.text,
                        ));
                    }
                }
            }
            for p in (0..dfa.pattern_len()).filter_map(|p| regex_automata::PatternID::new(p).ok()) {
                let Some(entry) = entry_of(p) else { continue };
                let Pattern::Regex(r) = &entry.pattern else {
                    continue;
                };
                if let Some(b) = language::over_broad(r.source(), &dfa, p) {
                    let (suffix, example) = (b.suffix.into(), b.example.into());
                    out.push((
                        if credentials {
                            DiagnosticKind::OverBroadRegexWithCredentials { suffix, example }
                        } else {
                            DiagnosticKind::OverBroadRegex { suffix, example }
                        },
                        entry.index,
                        &*entry.text,
                    ));
                }
            }
        }
    }
    out.sort_by_key(|d| d.1);
    out
}

/// Reports one diagnostic: its kind, the config key, the index of the value in a list, the value.
type Push<'a> = dyn FnMut(DiagnosticKind, &'static str, Option<usize>, &str) + 'a;

/// Reads a list that may be `["*"]`: each value goes through `check`, which returns the stored form;
/// duplicates (of the stored form) are noted and dropped.
fn names<'a>(
    values: &[String],
    key: &'static str,
    push: &mut Push<'a>,
    check: impl Fn(usize, &str, &mut Push<'a>) -> Option<String>,
) -> Names {
    if values.iter().any(|v| v == "*") {
        if values.len() > 1 {
            push(
                DiagnosticKind::WildcardNotAlone,
                key,
                None,
                &values.join(", "),
            );
        }
        return Names::Any;
    }
    let mut out: Vec<Box<[u8]>> = Vec::new();
    for (i, v) in values.iter().enumerate() {
        if let Some(stored) = check(i, v, push) {
            let stored: Box<[u8]> = stored.into_bytes().into();
            if out.contains(&stored) {
                push(DiagnosticKind::Duplicate, key, Some(i), v);
            } else {
                out.push(stored);
            }
        }
    }
    Names::List(out)
}
