//! The whole run: serve every page and the API, run one Chromium per page origin, gather what it did,
//! predict, compare.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use corsmatch_conformance::browser::{Outcome, Profile};
use corsmatch_conformance::cases::Deviation;
use serde::{Deserialize, Serialize};

use crate::api::{ScenarioApi, API2_HOST, API_HOST};
use crate::chromium::Browser;
use crate::compare::{self, Difference, Observed, ObservedCall, PredictedCall, ScriptResult};
use crate::page;
use crate::scenario::{page_host, PageHost, Scenario, SANDBOX_PAGE};
use crate::server::{self, State};

/// How many Chromium processes run at once.
pub const PARALLEL: usize = 2;

/// The verdict on one scenario.
#[derive(Clone, Debug, Serialize)]
pub struct Verdict {
    /// The scenario's id.
    pub id: String,
    /// The scenario's name.
    pub name: String,
    /// The page's origin.
    pub page: String,
    /// What was observed.
    pub observed: Observed,
    /// What the model predicted, per call.
    pub predicted: Vec<PredictedCall>,
    /// The differences with the model, each with what the deviation that lists it says, if any.
    pub differences: Vec<(Difference, Option<String>)>,
}

impl Verdict {
    /// Whether every difference is a listed deviation (and there is at least one).
    pub fn known_only(&self) -> bool {
        !self.differences.is_empty() && self.differences.iter().all(|(_, d)| d.is_some())
    }
}

/// What a page posted to `/report`.
#[derive(Deserialize)]
struct Report {
    #[serde(default)]
    results: Vec<ReportedScenario>,
    failure: Option<String>,
}

#[derive(Deserialize)]
struct ReportedScenario {
    id: String,
    calls: Vec<ScriptResult>,
}

/// The run's settings.
pub struct Settings {
    /// The Chromium binary.
    pub chromium: PathBuf,
    /// Where Chromium's profiles go.
    pub scratch: PathBuf,
    /// The browser model's profile the observations are compared with.
    pub profile: Profile,
}

/// Runs `scenarios` and compares them with the model; `deviations` are the known ones.
/// `Err` when Chromium could not be started at all.
pub async fn run(
    settings: &Settings,
    scenarios: &[Scenario],
    deviations: &[Deviation],
) -> Result<Vec<Verdict>, String> {
    // The APIs and the pages.
    let mut state = State::default();
    let mut by_page: BTreeMap<String, Vec<&Scenario>> = BTreeMap::new();
    for s in scenarios {
        let api = ScenarioApi::new(&s.id, &s.policy, &s.server)
            .map_err(|e| format!("[{}] invalid policy: {e}", s.name))?;
        state.apis.insert(s.id.clone(), api);
        by_page
            .entry(s.host_page().to_string())
            .or_default()
            .push(s);
    }
    for (origin, list) in &by_page {
        let html = if origin == SANDBOX_PAGE {
            page::sandbox_page(origin, list)
        } else {
            page::page(origin, list)
        };
        state.pages.insert(origin.clone(), html);
    }

    // The certificate names and the listeners.
    let mut cert_names: BTreeSet<String> = [API_HOST, API2_HOST, "localhost", "127.0.0.1", "::1"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut mapped: Vec<(String, Option<String>)> = Vec::new();
    let mut bound: BTreeSet<(std::net::IpAddr, u16)> = BTreeSet::new();
    let mut unservable: HashMap<String, String> = HashMap::new();
    for origin in by_page.keys() {
        match page_host(origin) {
            Ok(PageHost::Mapped { host_port, .. }) => {
                if let Some((host, _)) = host_port.rsplit_once(':') {
                    cert_names.insert(host.to_string());
                    if let Some((_, parent)) = host.split_once('.') {
                        if parent.contains('.') {
                            cert_names.insert(format!("*.{parent}"));
                        }
                    }
                }
                let space = by_page[origin].iter().find_map(|s| s.page_space.clone());
                mapped.push((host_port, space));
            }
            Ok(PageHost::Bound { addrs, port, .. }) => {
                for addr in addrs {
                    bound.insert((addr, port));
                }
            }
            Err(e) => {
                unservable.insert(origin.clone(), e);
            }
        }
    }
    let tls = server::tls_acceptor(&cert_names.into_iter().collect::<Vec<_>>())?;
    let state = Arc::new(state);
    let loopback = SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 0);
    let main_port = server::listen(loopback, tls.clone(), state.clone()).await?;
    // Pages in another address space than loopback: their own listener, which Chromium is told is
    // in that space.
    let mut space_ports: BTreeMap<String, u16> = BTreeMap::new();
    for (_, space) in &mapped {
        if let Some(space) = space {
            if !space_ports.contains_key(space) {
                let port = server::listen(loopback, tls.clone(), state.clone()).await?;
                space_ports.insert(space.clone(), port);
            }
        }
    }
    let mut extra_args = Vec::new();
    if !space_ports.is_empty() {
        let overrides: Vec<String> = space_ports
            .iter()
            .map(|(space, port)| format!("127.0.0.1:{port}={space}"))
            .collect();
        extra_args.push(format!(
            "--ip-address-space-overrides={}",
            overrides.join(",")
        ));
    }
    let mut bind_failures: HashMap<u16, String> = HashMap::new();
    for (addr, port) in &bound {
        if let Err(e) =
            server::listen(SocketAddr::new(*addr, *port), tls.clone(), state.clone()).await
        {
            bind_failures.insert(*port, e);
        }
    }
    for origin in by_page.keys() {
        if let Ok(PageHost::Bound { port, .. }) = page_host(origin) {
            if let Some(e) = bind_failures.get(&port) {
                unservable.insert(origin.clone(), e.clone());
            }
        }
    }

    // Every mapped name to its listener; nothing else resolves (loopback names resolve by
    // themselves).
    let mut rules: Vec<String> = Vec::new();
    rules.push(format!("MAP {API_HOST}:443 127.0.0.1:{}", main_port));
    rules.push(format!("MAP {API2_HOST}:443 127.0.0.1:{}", main_port));
    for (host_port, space) in &mapped {
        let port = match space {
            Some(space) => space_ports[space],
            // Every listener speaks both TLS and plain HTTP.
            None => main_port,
        };
        rules.push(format!("MAP {host_port} 127.0.0.1:{port}"));
    }
    rules.push("MAP * ~NOTFOUND".to_string());
    rules.push("EXCLUDE localhost".to_string());
    rules.push("EXCLUDE *.localhost".to_string());
    rules.push("EXCLUDE 127.0.0.1".to_string());
    // An IPv6 literal is excluded without its brackets.
    rules.push("EXCLUDE ::1".to_string());
    let rules = rules.join(", ");

    // One Chromium per page origin, a few at once.
    let origins: Vec<&String> = by_page
        .keys()
        .filter(|o| !unservable.contains_key(*o))
        .collect();
    let mut consoles: HashMap<String, Vec<String>> = HashMap::new();
    let mut page_failures: HashMap<String, String> = unservable.clone();
    let mut started_any = false;
    for chunk in origins.chunks(PARALLEL) {
        let mut handles = Vec::new();
        for origin in chunk {
            let calls: usize = by_page[*origin].iter().map(|s| s.calls.len()).sum();
            let budget = Duration::from_secs(20)
                + Duration::from_millis(calls as u64 * (page::CALL_TIMEOUT_MS / 4));
            let fut = visit(
                extra_args.clone(),
                settings.chromium.clone(),
                settings.scratch.clone(),
                (*origin).clone(),
                rules.clone(),
                state.clone(),
                budget,
            );
            handles.push(((*origin).clone(), tokio::spawn(fut)));
        }
        for (origin, handle) in handles {
            match handle.await {
                Ok(Ok((console, None))) => {
                    started_any = true;
                    consoles.insert(origin, console);
                }
                Ok(Ok((console, Some(why)))) => {
                    started_any = true;
                    consoles.insert(origin.clone(), console);
                    page_failures.insert(origin, why);
                }
                Ok(Err(e)) => {
                    if !started_any {
                        return Err(e);
                    }
                    page_failures.insert(origin, e);
                }
                Err(e) => {
                    page_failures.insert(origin, e.to_string());
                }
            }
        }
    }

    // Observed, predicted, compared.
    let reports = state
        .reports
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let log = state.log.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let mut results: HashMap<String, Vec<ScriptResult>> = HashMap::new();
    for (origin, text) in &reports {
        match serde_json::from_str::<Report>(text) {
            Ok(report) => {
                if let Some(f) = report.failure {
                    page_failures.insert(origin.clone(), format!("the page failed: {f}"));
                }
                for r in report.results {
                    results.insert(r.id, r.calls);
                }
            }
            Err(e) => {
                page_failures.insert(origin.clone(), format!("unreadable report: {e}"));
            }
        }
    }
    let mut verdicts = Vec::new();
    for s in scenarios {
        let origin = s.host_page().to_string();
        let marker = format!("/s/{}/", s.id);
        let console: Vec<String> = consoles
            .get(&origin)
            .map(|lines| {
                lines
                    .iter()
                    .filter(|l| l.contains("blocked by CORS policy") && l.contains(&marker))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        let requests = Observed::split(log.get(&s.id).map_or(&[][..], |l| l), s.calls.len());
        let script = results.get(&s.id);
        let observed = Observed {
            calls: requests
                .into_iter()
                .enumerate()
                .map(|(i, requests)| ObservedCall {
                    script: script.and_then(|c| c.get(i).cloned()),
                    requests,
                })
                .collect(),
            console,
            failure: if script.is_none() {
                Some(
                    page_failures
                        .get(&origin)
                        .cloned()
                        .unwrap_or_else(|| "the page did not report it".into()),
                )
            } else {
                None
            },
        };
        let predicted: Vec<Outcome> = compare::predict(s, &state.apis[&s.id], settings.profile);
        let differences = compare::compare(s, &observed, &predicted)
            .into_iter()
            .map(|d| {
                let known = deviations
                    .iter()
                    .find(|k| k.scenario == s.name && k.field == d.field)
                    .map(|k| format!("{} ({})", k.chromium, k.why));
                (d, known)
            })
            .collect();
        verdicts.push(Verdict {
            id: s.id.clone(),
            name: s.name.clone(),
            page: s.page.clone(),
            observed,
            predicted: predicted.iter().map(PredictedCall::new).collect(),
            differences,
        });
    }
    Ok(verdicts)
}

/// Loads `origin`'s page in a fresh Chromium and waits (at most `budget`) for its report; returns
/// the console lines and, when the page did not report, why. `Err` when Chromium did not start.
async fn visit(
    extra_args: Vec<String>,
    binary: PathBuf,
    scratch: PathBuf,
    origin: String,
    rules: String,
    state: Arc<State>,
    budget: Duration,
) -> Result<(Vec<String>, Option<String>), String> {
    let url = format!("{origin}/page");
    let mut browser = Browser::launch(&binary, &url, &rules, &extra_args, &scratch)?;
    let deadline = Instant::now() + budget;
    let mut why = None;
    loop {
        let notified = state.reported.notified();
        if state
            .reports
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains_key(&origin)
        {
            break;
        }
        if let Some(status) = browser.exited() {
            let tail = last_lines(&browser);
            browser.stop().await;
            return Err(format!(
                "Chromium exited ({status}) before {origin}'s page reported:\n{tail}"
            ));
        }
        let now = Instant::now();
        if now >= deadline {
            why = Some(format!(
                "no report within {} s:\n{}",
                budget.as_secs(),
                last_lines(&browser)
            ));
            break;
        }
        let wait = (deadline - now).min(Duration::from_millis(250));
        let _ = tokio::time::timeout(wait, notified).await;
    }
    // Console messages may be logged just after the script saw the rejection that caused them.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let console = browser.console.clone();
    browser.stop().await;
    let lines = console.lock().unwrap_or_else(|e| e.into_inner()).clone();
    Ok((lines, why))
}

fn last_lines(browser: &Browser) -> String {
    let all = browser.stderr.lock().unwrap_or_else(|e| e.into_inner());
    let start = all.len().saturating_sub(8);
    all[start..].join("\n")
}

/// The pinned Chromium version's file, `corpus/cases/browser-chromium.txt`.
pub fn pinned_version_file() -> PathBuf {
    corsmatch_conformance::cases::cases_dir().join("browser-chromium.txt")
}

/// The pinned version (the first non-comment line of `path`).
pub fn pinned_version(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
}
