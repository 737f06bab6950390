//! The scenarios: the hand-written ones of `corpus/cases/browser-scenarios*.toml`, and those generated
//! from the decision tables' cases that a page script could cause.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use corsmatch::policy::{Policy, PolicyConfig};
use corsmatch_conformance::browser::{self, Profile};
use corsmatch_conformance::cases::{self, DecisionCase, ScenarioFetch, ServerOverrides};

/// The origin of the page that hosts the sandboxed iframes of the `null` scenarios.
pub const SANDBOX_PAGE: &str = "https://sandbox.corsmatch.test";

/// One scenario, ready to run.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// A short id, unique in the run: the scenario's path segment on the API (`/s/<id>/x`).
    pub id: String,
    /// The name (from the table, or made from the decision case's).
    pub name: String,
    /// Where it comes from (a table file name).
    pub source: String,
    /// The page's origin, or `null`.
    pub page: String,
    /// The address space Chromium is told the page's server is in (`public`, `local`), if not the
    /// loopback it really is in.
    pub page_space: Option<String>,
    /// The API's policy.
    pub policy: PolicyConfig,
    /// The calls, in order.
    pub calls: Vec<ScenarioFetch>,
    /// The API's overrides.
    pub server: ServerOverrides,
}

impl Scenario {
    /// The origin whose page runs this scenario (the sandbox's host for `null`).
    pub fn host_page(&self) -> &str {
        if self.page == "null" {
            SANDBOX_PAGE
        } else {
            &self.page
        }
    }

    /// The browser model's request for call `i`: the page's origin, the method, the headers (with
    /// the `Content-Type` a string body implies when the script sets none), the credentials mode.
    pub fn script_request(&self, i: usize) -> browser::ScriptRequest {
        let call = &self.calls[i];
        let mut headers = call.headers.clone();
        let has_type = headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("content-type"));
        if call.body.is_some() && !has_type {
            headers.push((
                "content-type".to_string(),
                "text/plain;charset=UTF-8".to_string(),
            ));
        }
        browser::ScriptRequest {
            body: call.body.is_some(),
            cache: browser::CacheMode::from_name(&call.cache).unwrap_or_default(),
            origin: self.page.clone(),
            method: call.method.clone(),
            headers,
            credentials: call.credentials == "include",
        }
    }
}

/// How the harness serves a page origin.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum PageHost {
    /// A name mapped to the harness's listener of its scheme with `--host-resolver-rules`.
    Mapped {
        /// `http` or `https`.
        scheme: String,
        /// `host:port`, the port always written.
        host_port: String,
    },
    /// A loopback name or address the harness binds itself, on the origin's exact port.
    Bound {
        /// `http` or `https`.
        scheme: String,
        /// The addresses to listen on.
        addrs: Vec<IpAddr>,
        /// The port.
        port: u16,
    },
}

/// How a page origin can be served, or why not.
pub fn page_host(origin: &str) -> Result<PageHost, String> {
    if origin == "null" {
        return page_host(SANDBOX_PAGE);
    }
    let url = url::Url::parse(origin).map_err(|e| format!("not a URL: {e}"))?;
    if url.origin().ascii_serialization() != origin {
        return Err("not a serialized origin".into());
    }
    let scheme = url.scheme().to_string();
    if scheme != "http" && scheme != "https" {
        return Err(format!("a page cannot be served over {scheme}"));
    }
    let port = url.port_or_known_default().unwrap_or(0);
    match url.host() {
        Some(url::Host::Domain(d)) if d == "localhost" || d.ends_with(".localhost") => {
            Ok(PageHost::Bound {
                scheme,
                addrs: vec![
                    IpAddr::V4(Ipv4Addr::LOCALHOST),
                    IpAddr::V6(Ipv6Addr::LOCALHOST),
                ],
                port,
            })
        }
        Some(url::Host::Domain(d)) => {
            if d.ends_with('.') {
                return Err("a host with a trailing dot".into());
            }
            if d.split('.').any(str::is_empty) {
                return Err("a host with an empty label".into());
            }
            Ok(PageHost::Mapped {
                scheme,
                host_port: format!("{d}:{port}"),
            })
        }
        Some(url::Host::Ipv4(ip)) if ip.is_loopback() => Ok(PageHost::Bound {
            scheme,
            addrs: vec![IpAddr::V4(ip)],
            port,
        }),
        Some(url::Host::Ipv6(ip)) if ip.is_loopback() => Ok(PageHost::Bound {
            scheme,
            addrs: vec![IpAddr::V6(ip)],
            port,
        }),
        _ => Err("an address off loopback".into()),
    }
}

/// The scenarios of a run, and the decision cases that gave none.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Every scenario, in id order.
    pub scenarios: Vec<Scenario>,
    /// The decision cases left out: the case's name, and why.
    pub skipped: Vec<(String, String)>,
}

/// Every scenario: the tables' first (ids `b1`, `b2`, …), then the generated ones (`d1`, …), minus
/// generated ones that repeat an earlier scenario.
pub fn load_all() -> Result<Loaded, String> {
    let mut out = Vec::new();
    let mut names = BTreeSet::new();
    for table in cases::browser_tables().map_err(|e| e.to_string())? {
        for s in table.content.scenario {
            if !names.insert(s.name.clone()) {
                return Err(format!("{}: scenario name {:?} twice", table.file, s.name));
            }
            if let Err(e) = page_host(&s.page) {
                return Err(format!(
                    "{}: [{}] page {:?}: {e}",
                    table.file, s.name, s.page
                ));
            }
            match (s.page_space.as_deref(), page_host(&s.page)) {
                (None, _) => {}
                (Some("public" | "local"), Ok(PageHost::Mapped { .. })) if s.page != "null" => {}
                (Some(space), _) => {
                    return Err(format!(
                        "{}: [{}] page_space {space:?}: `public` or `local`, for a page on a mapped name",
                        table.file, s.name
                    ))
                }
            }
            if let Err(e) = Policy::new(&s.policy) {
                return Err(format!("{}: [{}] invalid policy: {e}", table.file, s.name));
            }
            let calls = s.all_calls();
            out.push(Scenario {
                id: format!("b{}", out.len() + 1),
                name: s.name,
                source: table.file.clone(),
                page: s.page,
                page_space: s.page_space,
                policy: s.policy,
                calls,
                server: s.server,
            });
        }
    }
    let mut seen: BTreeSet<String> = out.iter().map(signature).collect();
    let mut skipped = Vec::new();
    let mut generated = 0;
    for table in cases::decision_tables().map_err(|e| e.to_string())? {
        for case in &table.content.case {
            match from_decision(case) {
                Ok((page, fetch)) => {
                    let s = Scenario {
                        id: format!("d{}", generated + 1),
                        name: format!("{}: {}", table.file.trim_end_matches(".toml"), case.name),
                        source: table.file.clone(),
                        page,
                        page_space: None,
                        policy: case.policy.clone(),
                        calls: vec![fetch],
                        server: ServerOverrides::default(),
                    };
                    if seen.insert(signature(&s)) {
                        generated += 1;
                        out.push(s);
                    } else {
                        skipped.push((case.name.clone(), "repeats another scenario".into()));
                    }
                }
                Err(why) => skipped.push((case.name.clone(), why)),
            }
        }
    }
    Ok(Loaded {
        scenarios: out,
        skipped,
    })
}

/// What makes two scenarios the same run.
fn signature(s: &Scenario) -> String {
    format!(
        "{:?}|{:?}|{:?}|{:?}|{:?}",
        s.page, s.page_space, s.policy, s.calls, s.server
    )
}

/// The `fetch()` a page script would make to send a decision case's request, or why none can.
pub fn from_decision(case: &DecisionCase) -> Result<(String, ScenarioFetch), String> {
    let r = &case.request;
    let Some(origin) = &r.origin else {
        return Err("no Origin: not a cross-origin request".into());
    };
    page_host(origin)?;
    if Policy::new(&case.policy).is_err() {
        return Err("the policy is not valid".into());
    }
    if r.private_network {
        return Err("a Private Network Access preflight: no script sets it".into());
    }
    let credentials = if case.policy.credentials {
        "include"
    } else {
        "omit"
    };
    let is_preflight = r.method == "OPTIONS" && r.acrm.is_some();
    let (method, headers) = if is_preflight {
        let acrm = r.acrm.clone().unwrap_or_default();
        if acrm.is_empty() || !corsmatch_conformance::decision::is_token(acrm.as_bytes()) {
            return Err("a preflight method a script cannot write".into());
        }
        if browser::is_forbidden_method(acrm.as_bytes()) {
            return Err("a forbidden method".into());
        }
        if browser::normalize_method(&acrm) != acrm {
            return Err("a method the browser would normalize before sending".into());
        }
        let mut names: Vec<String> = Vec::new();
        for line in &r.acrh {
            for item in line.split(',') {
                let item = item.trim_matches([' ', '\t']);
                if item.is_empty() || !corsmatch_conformance::decision::is_token(item.as_bytes()) {
                    return Err("Access-Control-Request-Headers a browser never sends".into());
                }
                let lower = item.to_ascii_lowercase();
                if !names.contains(&lower) {
                    names.push(lower);
                }
            }
        }
        if names.len() > 8 {
            return Err("more headers than a page scenario sets".into());
        }
        let mut headers = Vec::new();
        for name in names {
            let value = unsafe_value(&name);
            if browser::is_dropped_request_header(Profile::Chromium, &name, value.as_bytes()) {
                return Err(format!("the forbidden request header {name}"));
            }
            headers.push((name, value));
        }
        let script = browser::ScriptRequest {
            body: false,
            cache: Default::default(),
            origin: origin.clone(),
            method: acrm.clone(),
            headers: headers.clone(),
            credentials: false,
        };
        if !browser::needs_preflight_as(Profile::Chromium, &script) {
            return Err("a preflight the browser would not send for this request".into());
        }
        (acrm, headers)
    } else {
        let m = &r.method;
        if !corsmatch_conformance::decision::is_token(m.as_bytes())
            || browser::is_forbidden_method(m.as_bytes())
            || browser::normalize_method(m) != *m
        {
            return Err("a method a script cannot send as is".into());
        }
        (m.clone(), Vec::new())
    };
    Ok((
        origin.clone(),
        ScenarioFetch {
            method,
            headers,
            body: None,
            credentials: credentials.to_string(),
            cache: "no-store".to_string(),
        },
    ))
}

/// A value that makes header `name` CORS-unsafe (so that it is named in the preflight).
fn unsafe_value(name: &str) -> String {
    match name {
        "accept" => "a(b)".into(),
        "accept-language" | "content-language" => "a_b".into(),
        "content-type" => "application/json".into(),
        "range" => "bytes=-5".into(),
        _ => "1".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_hosts() {
        assert!(matches!(
            page_host("https://app.example.com"),
            Ok(PageHost::Mapped { ref host_port, .. }) if host_port == "app.example.com:443"
        ));
        assert!(matches!(
            page_host("http://[::1]:8080"),
            Ok(PageHost::Bound { port: 8080, .. })
        ));
        assert!(page_host("https://app.example.com/").is_err());
        assert!(page_host("HTTPS://app.example.com").is_err());
        assert!(page_host("http://192.168.1.20:8080").is_err());
        assert!(page_host("chrome-extension://abcdefghijklmnop").is_err());
        assert!(page_host("http://www.example.com:80").is_err());
        assert!(page_host("null").is_ok());
    }

    #[test]
    fn the_committed_scenarios_load() {
        let all = load_all().unwrap().scenarios;
        assert!(all.len() >= 120, "{} scenarios", all.len());
        let ids: BTreeSet<&str> = all.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids.len(), all.len());
    }

    #[test]
    fn every_deviation_names_a_scenario_and_a_field() {
        let all = load_all().unwrap().scenarios;
        let fields = [
            "preflight",
            "request-method",
            "request-headers",
            "actual",
            "readable",
            "status",
            "readable-headers",
            "console",
            "ran",
        ];
        for table in cases::deviation_tables().unwrap() {
            for d in table.content.deviation {
                assert!(
                    all.iter().any(|s| s.name == d.scenario),
                    "{}: no scenario {:?}",
                    table.file,
                    d.scenario
                );
                assert!(
                    fields.contains(&d.field.as_str()),
                    "{}: {:?}",
                    table.file,
                    d.field
                );
            }
        }
    }

    #[test]
    fn decision_cases_become_fetches() {
        let case: DecisionCase = toml::from_str(
            r#"
name = "t"
policy = { origins = ["https://app.example.com"], methods = ["PUT"], request_headers = ["content-type", "x-a"] }
request = { method = "OPTIONS", origin = "https://app.example.com", acrm = "PUT", acrh = ["Content-Type, x-a"] }
expect = "preflight-allowed"
headers = []
"#,
        )
        .unwrap();
        let (page, fetch) = from_decision(&case).unwrap();
        assert_eq!(page, "https://app.example.com");
        assert_eq!(fetch.method, "PUT");
        assert_eq!(
            fetch.headers,
            vec![
                ("content-type".to_string(), "application/json".to_string()),
                ("x-a".to_string(), "1".to_string())
            ]
        );
    }
}
