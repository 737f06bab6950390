//! The prediction (the browser model with the scenario's own API as its server) and its comparison
//! with what Chromium did, field by field.

use std::collections::BTreeSet;

use corsmatch_conformance::browser::{Browser, HttpRequest, HttpResponse, Outcome, Profile};
use serde::{Deserialize, Serialize};

use crate::api::{answer_now, ScenarioApi, API_HOST};
use crate::scenario::Scenario;
use crate::server::{Event, Recorded};

/// What the page's script saw of one call.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
pub struct ScriptResult {
    /// Whether `fetch()` resolved.
    pub resolved: bool,
    /// The response's status, when it resolved.
    pub status: Option<u16>,
    /// The response's type (`cors`, …), when it resolved.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// The response's URL, when it resolved.
    pub url: Option<String>,
    /// Whether the response came through a redirect.
    #[serde(default)]
    pub redirected: bool,
    /// The header names script could read, as `Headers` iterates them.
    pub headers: Vec<String>,
    /// The rejection's text, when it rejected.
    pub error: Option<String>,
}

/// Everything observed of one call.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ObservedCall {
    /// What script saw; `None` when the page never reported the call.
    pub script: Option<ScriptResult>,
    /// The requests that reached the API during the call, in order.
    pub requests: Vec<Recorded>,
}

/// Everything observed of one scenario.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Observed {
    /// Per call.
    pub calls: Vec<ObservedCall>,
    /// The console's CORS lines naming the scenario's URLs, in order.
    pub console: Vec<String>,
    /// Why nothing could be observed (the page never reported, a listener could not be bound).
    pub failure: Option<String>,
}

impl Observed {
    /// Splits a scenario's server log into its calls by the page's marks.
    pub fn split(log: &[Event], calls: usize) -> Vec<Vec<Recorded>> {
        let mut out = vec![Vec::new(); calls];
        let mut current: Option<usize> = None;
        for event in log {
            match event {
                Event::Mark { n } => current = Some(*n),
                Event::Request(r) => {
                    if let Some(n) = current.filter(|n| *n < calls) {
                        out[n].push(r.clone());
                    }
                }
            }
        }
        out
    }
}

/// The model's outcome of one call, as the JSON report shows it.
#[derive(Clone, Debug, Serialize)]
pub struct PredictedCall {
    /// `Access-Control-Request-Method` and `-Headers` of the preflight, when one is sent.
    pub preflight: Option<(Option<String>, Option<String>)>,
    /// Whether the actual request is sent.
    pub actual: bool,
    /// Whether script gets the response.
    pub readable: bool,
    /// The actual response's status, when readable.
    pub status: Option<u16>,
    /// The header names script may read.
    pub readable_headers: Vec<String>,
    /// The model's error message, when not readable.
    pub error: Option<String>,
}

impl PredictedCall {
    /// The summary of `outcome`.
    pub fn new(outcome: &Outcome) -> PredictedCall {
        PredictedCall {
            preflight: outcome.preflight.as_ref().map(|(req, _)| {
                (
                    header_value(req, "access-control-request-method"),
                    header_value(req, "access-control-request-headers"),
                )
            }),
            actual: outcome.actual.is_some(),
            readable: outcome.readable,
            status: outcome
                .actual
                .as_ref()
                .filter(|_| outcome.readable)
                .map(|(_, r)| r.status),
            readable_headers: outcome.readable_headers.clone(),
            error: outcome.error.clone(),
        }
    }
}

/// One field on which Chromium and the model disagree.
#[derive(Clone, Debug, Serialize)]
pub struct Difference {
    /// The call's index (`None` for a scenario-wide field).
    pub call: Option<usize>,
    /// The field: `preflight`, `request-method`, `request-headers`, `actual`, `readable`, `status`,
    /// `readable-headers`, `console`, `ran`.
    pub field: String,
    /// What the model predicted.
    pub predicted: String,
    /// What Chromium did.
    pub observed: String,
}

/// The model's outcome of every call of `scenario`, its server being the scenario's API itself:
/// one browser playing `profile` for all the calls (they share its preflight cache, as the calls of
/// a page share Chromium's).
pub fn predict(scenario: &Scenario, api: &ScenarioApi, profile: Profile) -> Vec<Outcome> {
    let mut browser = Browser::new(profile);
    (0..scenario.calls.len())
        .map(|i| {
            let script = scenario.script_request(i);
            let url = format!("https://{API_HOST}{}", api.path());
            browser.fetch(&url, &script, &mut |req: &HttpRequest| serve(api, req))
        })
        .collect()
}

/// The path of an absolute URL (`/` when it has none).
fn path_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.find('/').map_or("/", |i| &rest[i..])
}

/// One exchange with the scenario's API, in the model's terms.
fn serve(api: &ScenarioApi, req: &HttpRequest) -> HttpResponse {
    let mut builder = http::Request::builder()
        .method(http::Method::from_bytes(&req.method).unwrap_or(http::Method::GET))
        .uri(path_of(&req.url));
    for (name, value) in &req.headers {
        builder = builder.header(name.as_str(), value.as_slice());
    }
    let Ok(request) = builder.body(()) else {
        return HttpResponse {
            status: 400,
            headers: Vec::new(),
        };
    };
    let response = answer_now(api, request);
    let mut headers: Vec<(String, Vec<u8>)> = response
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_string(), v.as_bytes().to_vec()))
        .collect();
    // The HTTP server adds `date` to every response.
    if !headers.iter().any(|(n, _)| n == "date") {
        headers.push((
            "date".to_string(),
            b"Thu, 01 Jan 1970 00:00:00 GMT".to_vec(),
        ));
    }
    HttpResponse {
        status: response.status().as_u16(),
        headers,
    }
}

/// The coarse kind of a CORS console message (Chromium's, or the model's mimicry of it).
pub fn category(message: &str) -> String {
    let preflight = message.contains("Response to preflight request");
    let kind = if message.contains("No 'Access-Control-Allow-Origin' header") {
        "missing-allow-origin"
    } else if message.contains("must not be the wildcard '*'") {
        "wildcard-origin-with-credentials"
    } else if message.contains("contains multiple values") {
        "multiple-allow-origin"
    } else if message.contains("not equal to the supplied origin") {
        "allow-origin-mismatch"
    } else if message.contains("'Access-Control-Allow-Credentials'") {
        "credentials"
    } else if message.contains("does not have HTTP ok status") {
        "preflight-status"
    } else if message.contains("is not allowed by Access-Control-Allow-Methods") {
        "method-not-allowed"
    } else if message.contains("is not allowed by Access-Control-Allow-Headers") {
        "header-not-allowed"
    } else if message.contains("Redirect is not allowed for a preflight") {
        "preflight-redirect"
    } else if message.contains("Permission was denied for this request to access") {
        "local-network-access-denied"
    } else if message.contains("Cannot parse") {
        "unparsable-list"
    } else {
        "other"
    };
    if preflight {
        format!("preflight:{kind}")
    } else {
        kind.to_string()
    }
}

fn header_value(r: &HttpRequest, name: &str) -> Option<String> {
    r.headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
}

fn show<T: std::fmt::Debug>(value: &T) -> String {
    format!("{value:?}")
}

/// Compares, call by call, what Chromium did (`observed`) with what the model predicts
/// (`predicted`, one [`Outcome`] per call): preflight sent, its `Access-Control-Request-Method` and
/// `-Headers`, actual request sent, readable, status, readable header names; and, scenario-wide, the
/// console messages' categories in order.
pub fn compare(scenario: &Scenario, observed: &Observed, predicted: &[Outcome]) -> Vec<Difference> {
    let mut out = Vec::new();
    let mut diff = |call: Option<usize>, field: &str, predicted: String, observed: String| {
        if predicted != observed {
            out.push(Difference {
                call,
                field: field.to_string(),
                predicted,
                observed,
            });
        }
    };
    if let Some(why) = &observed.failure {
        diff(None, "ran", "ran".into(), format!("did not run: {why}"));
        return out;
    }
    let path = format!("/s/{}/x", scenario.id);
    for (i, outcome) in predicted.iter().enumerate() {
        let call = observed.calls.get(i).cloned().unwrap_or_default();
        let Some(script) = &call.script else {
            diff(
                Some(i),
                "ran",
                "ran".into(),
                "the page reported no result".into(),
            );
            continue;
        };
        let preflight = call.requests.iter().find(|r| r.is_preflight());
        diff(
            Some(i),
            "preflight",
            show(&outcome.preflight.is_some()),
            show(&preflight.is_some()),
        );
        if let (Some((req, _)), Some(seen)) = (&outcome.preflight, preflight) {
            diff(
                Some(i),
                "request-method",
                show(&header_value(req, "access-control-request-method")),
                show(&seen.acrm),
            );
            diff(
                Some(i),
                "request-headers",
                show(&header_value(req, "access-control-request-headers")),
                show(&seen.acrh),
            );
        }
        let actual = call
            .requests
            .iter()
            .find(|r| !r.is_preflight() && r.path == path);
        diff(
            Some(i),
            "actual",
            show(&outcome.actual.is_some()),
            show(&actual.is_some()),
        );
        diff(
            Some(i),
            "readable",
            show(&outcome.readable),
            show(&script.resolved),
        );
        if outcome.readable && script.resolved {
            let status = outcome.actual.as_ref().map(|(_, r)| r.status);
            diff(Some(i), "status", show(&status), show(&script.status));
            let want: BTreeSet<String> = outcome.readable_headers.iter().cloned().collect();
            let got: BTreeSet<String> = script.headers.iter().cloned().collect();
            diff(Some(i), "readable-headers", show(&want), show(&got));
        }
    }
    let want: Vec<String> = predicted
        .iter()
        .filter_map(|o| o.error.as_deref())
        .filter(|e| e.starts_with("Access to fetch"))
        .map(category)
        .collect();
    let got: Vec<String> = observed.console.iter().map(|l| category(l)).collect();
    diff(None, "console", show(&want), show(&got));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories() {
        let line = "[1:2:INFO:CONSOLE:0] \"Access to fetch at 'https://api.corsmatch.test/s/b1/x' from origin 'https://a.example' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: No 'Access-Control-Allow-Origin' header is present on the requested resource.\", source: https://a.example/page (0)";
        assert_eq!(category(line), "preflight:missing-allow-origin");
        assert_eq!(
            category("Access to fetch from origin 'x' has been blocked by CORS policy: Request header field x-a is not allowed by Access-Control-Allow-Headers in preflight response."),
            "header-not-allowed"
        );
    }

    #[test]
    fn marks_split_the_log() {
        let r = |m: &str| Recorded {
            method: m.into(),
            path: "/s/b1/x".into(),
            origin: None,
            acrm: None,
            acrh: None,
            headers: Vec::new(),
        };
        let log = vec![
            Event::Mark { n: 0 },
            Event::Request(r("OPTIONS")),
            Event::Request(r("PUT")),
            Event::Mark { n: 1 },
            Event::Request(r("PUT")),
        ];
        let split = Observed::split(&log, 2);
        assert_eq!(split[0].len(), 2);
        assert_eq!(split[1].len(), 1);
    }
}
