//! The pages: one per origin, running its scenarios' calls in sequence and posting what script saw to
//! its own origin's `/report`. The `null` scenarios run in a sandboxed iframe (`allow-scripts` only,
//! so an opaque origin) of the sandbox page, which relays the iframe's results.

use serde_json::json;

use crate::api::API_HOST;
use crate::scenario::Scenario;

/// How long one call may take in the page before it is aborted, in milliseconds.
pub const CALL_TIMEOUT_MS: u64 = 8000;

/// The script that runs the calls: `runAll(SCENARIOS, MARK)` resolves to the results.
const RUNNER: &str = r#"
async function runAll(scenarios, mark) {
  const results = [];
  for (const s of scenarios) {
    const calls = [];
    for (let i = 0; i < s.calls.length; i++) {
      const c = s.calls[i];
      try { await fetch(mark + s.id + '/' + i, { mode: 'no-cors', cache: 'no-store' }); } catch (e) {}
      const r = { resolved: false, status: null, type: null, url: null, redirected: false, headers: [], error: null };
      const ctl = new AbortController();
      const timer = setTimeout(() => ctl.abort(), TIMEOUT);
      try {
        const h = new Headers();
        for (const [n, v] of c.headers) h.append(n, v);
        const init = { method: c.method, headers: h, credentials: c.credentials, cache: c.cache, mode: 'cors', signal: ctl.signal };
        if (c.body !== null) init.body = c.body;
        const resp = await fetch(s.url, init);
        r.resolved = true;
        r.status = resp.status;
        r.type = resp.type;
        r.url = resp.url;
        r.redirected = resp.redirected;
        for (const [n] of resp.headers) r.headers.push(n);
        try { await resp.text(); } catch (e) {}
      } catch (e) {
        r.error = String(e);
      }
      clearTimeout(timer);
      calls.push(r);
    }
    results.push({ id: s.id, calls });
  }
  return results;
}
"#;

/// The calls of `scenarios` as the runner reads them.
fn scenario_json(scenarios: &[&Scenario]) -> String {
    let list: Vec<serde_json::Value> = scenarios
        .iter()
        .map(|s| {
            let calls: Vec<serde_json::Value> = s
                .calls
                .iter()
                .map(|c| {
                    json!({
                        "method": c.method,
                        "headers": c.headers,
                        "body": c.body,
                        "credentials": c.credentials,
                        "cache": c.cache,
                    })
                })
                .collect();
            json!({
                "id": s.id,
                "url": format!("https://{API_HOST}/s/{}/x", s.id),
                "calls": calls,
            })
        })
        .collect();
    // Safe inside a <script> element.
    serde_json::Value::Array(list)
        .to_string()
        .replace("</", "<\\/")
        .replace("<!--", "<\\!--")
}

fn runner() -> String {
    RUNNER.replace("TIMEOUT", &CALL_TIMEOUT_MS.to_string())
}

/// The page of `origin` running `scenarios` (all of that page origin).
pub fn page(origin: &str, scenarios: &[&Scenario]) -> String {
    format!(
        "<!doctype html><html><head><title>corsmatch</title></head><body><script>{}\nconst SCENARIOS = {};\nconst MARK = {};\n\
         runAll(SCENARIOS, MARK).then(r => JSON.stringify({{ results: r }}), e => JSON.stringify({{ failure: String(e) }}))\
         .then(body => fetch('/report', {{ method: 'POST', body }}));\n</script></body></html>",
        runner(),
        scenario_json(scenarios),
        serde_json::Value::String(format!("{origin}/mark/")),
    )
}

/// The sandbox page of origin `origin`: an iframe with an opaque origin runs `scenarios` (the `null`
/// ones) and posts its results to this page, which reports them.
pub fn sandbox_page(origin: &str, scenarios: &[&Scenario]) -> String {
    let inner = format!(
        "<!doctype html><html><body><script>{}\nconst SCENARIOS = {};\nconst MARK = {};\n\
         runAll(SCENARIOS, MARK).then(r => JSON.stringify({{ results: r }}), e => JSON.stringify({{ failure: String(e) }}))\
         .then(body => parent.postMessage(body, '*'));\n</script></body></html>",
        runner(),
        scenario_json(scenarios),
        serde_json::Value::String(format!("{origin}/mark/")),
    );
    let escaped = inner
        .replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    format!(
        "<!doctype html><html><head><title>corsmatch sandbox</title></head><body><script>\
         window.addEventListener('message', e => {{ fetch('/report', {{ method: 'POST', body: String(e.data) }}); }});\
         </script><iframe sandbox=\"allow-scripts\" srcdoc=\"{escaped}\"></iframe></body></html>"
    )
}
