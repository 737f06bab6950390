//! `corsmatch explain`: what happens when a script calls `fetch` from an origin, step by step — whether
//! the browser preflights, what the engine answers to the preflight and to the actual request, and
//! whether the script gets to read the response. The browser's side is `corsmatch_conformance::browser`,
//! a model of the WHATWG Fetch standard; the server's side is the engine.

use std::cell::RefCell;
use std::path::PathBuf;
use std::process::ExitCode;

use corsmatch::policy::{DecisionKind, Policy, PolicyConfig, Request};
use corsmatch_conformance::browser::{
    self, HttpRequest, HttpResponse, Outcome, Profile, ScriptRequest,
};
use corsmatch_conformance::decision::is_token;
use serde_json::json;

use crate::args::{self, Arg, Command, Parsed, Parser, PolicyArgs};
use crate::{config, EXIT_CONFIG};

/// `corsmatch explain`.
pub const COMMAND: Command = Command {
    name: "explain",
    summary: "what the browser and the engine do with one fetch() call, step by step",
    help: HELP,
    run,
};

const HELP: &str = "\
usage: corsmatch explain --policy FILE --origin ORIGIN [--method METHOD] [--header 'NAME: VALUE']...
                         [--credentials] [--browser chromium|fetch] [--format text|json]

Describes one script call, fetch() from page ORIGIN with that method and those request headers
(and credentials mode \"include\" with --credentials): whether the browser sends a preflight, the
engine's answer to the preflight and to the actual request, and whether the script can read the
response. METHOD and each header NAME must be tokens, as fetch() requires.

--policy FILE           the policy file (required)
--origin ORIGIN         the page's origin (required)
--method METHOD         the request method; default GET
--header 'NAME: VALUE'  a request header; may be given many times
--credentials           credentials mode \"include\"
--browser NAME          the browser's side: chromium (default: Fetch with the deviations of the
                        Chromium version the browser suite checks, such as a script-set User-Agent
                        being dropped) or fetch (the standard as written)
--format text|json      the output: text (default) or one JSON object

Exit status: 0 when the script can read the response, 1 when the browser blocks it (or refuses to
send it, as for CONNECT), 2 on a usage or policy error.";

/// The punctuation a token may hold besides letters and digits (RFC 9110 `tchar`).
const TCHARS: &str = "!#$%&'*+-.^_`|~";

struct Args {
    policy: PathBuf,
    origin: String,
    method: String,
    headers: Vec<(String, String)>,
    credentials: bool,
    browser: Profile,
    json: bool,
}

fn parse_args(mut parser: Parser) -> Result<Parsed<Args>, args::Error> {
    let mut policy = PolicyArgs::policy_only();
    let mut origin = None;
    let mut method = "GET".to_string();
    let mut headers = Vec::new();
    let mut credentials = false;
    let mut browser = Profile::Chromium;
    let mut json = false;
    while let Some(arg) = parser.next()? {
        let option = match arg {
            Arg::Help => return Ok(Parsed::Help),
            Arg::Value(value) => return Err(args::Error::unexpected_value(&value)),
            Arg::Option(option) => option,
        };
        match option.as_str() {
            "--origin" => origin = Some(parser.string()?),
            "--method" => method = parser.string()?,
            "--header" => {
                let v = parser.string()?;
                let (n, val) = v.split_once(':').ok_or_else(|| {
                    args::Error::new(format!("--header `{v}`: write it as 'NAME: VALUE'"))
                })?;
                headers.push((n.trim().to_string(), val.trim().to_string()));
            }
            "--credentials" => credentials = true,
            "--browser" => {
                let name = parser.string()?;
                browser = Profile::from_name(&name).ok_or_else(|| {
                    args::Error::new(format!(
                        "--browser must be chromium or fetch, not `{}`",
                        name.escape_debug()
                    ))
                })?;
            }
            "--format" => match parser.string()?.as_str() {
                "json" => json = true,
                "text" => json = false,
                other => {
                    return Err(args::Error::new(format!(
                        "--format must be text or json, not `{other}`"
                    )))
                }
            },
            _ => policy.option(&option, &mut parser)?,
        }
    }
    // fetch() throws a TypeError before sending anything for these; they are not requests to explain.
    if !is_token(method.as_bytes()) {
        return Err(args::Error::new(format!(
            "--method `{}`: not an HTTP method; a method is a token (letters, digits and {TCHARS})",
            method.escape_debug()
        )));
    }
    if let Some((name, _)) = headers.iter().find(|(n, _)| !is_token(n.as_bytes())) {
        return Err(args::Error::new(format!(
            "--header: `{}` is not a header name; a name is a token (letters, digits and {TCHARS})",
            name.escape_debug()
        )));
    }
    Ok(Parsed::Run(Args {
        policy: PathBuf::from(
            policy
                .policy
                .ok_or_else(|| args::Error::new("--policy FILE is required"))?,
        ),
        origin: origin.ok_or_else(|| args::Error::new("--origin ORIGIN is required"))?,
        method,
        headers,
        credentials,
        browser,
        json,
    }))
}

/// What the engine decided for each request the browser sent.
#[derive(Default)]
struct EngineLog {
    preflight: Option<(DecisionKind, Option<String>, Option<String>)>,
    actual: Option<(DecisionKind, Option<String>, Option<String>)>,
}

/// The engine as the server: decides the request and answers it. An actual request's response also
/// carries what an application would send: `content-type` and each explicitly exposed header.
fn serve(
    policy: &Policy,
    config: &PolicyConfig,
    req: &HttpRequest,
    log: &RefCell<EngineLog>,
) -> HttpResponse {
    let header = |name: &str| {
        req.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    };
    let lines: Vec<&[u8]> = req
        .headers
        .iter()
        .filter(|(n, _)| n == "access-control-request-headers")
        .map(|(_, v)| v.as_slice())
        .collect();
    let request = Request {
        method: &req.method,
        origin: header("origin"),
        request_method: header("access-control-request-method"),
        request_headers: &lines,
        private_network: header("access-control-request-private-network") == Some(b"true"),
    };
    let d = policy.evaluate(&request);
    let entry = (
        d.kind(),
        d.reason().map(|r| r.name().to_string()),
        d.reason().map(|r| r.to_string()),
    );
    let mut headers: Vec<(String, Vec<u8>)> = d
        .headers()
        .map(|(n, v)| (n.to_string(), v.to_vec()))
        .collect();
    let status = match d.status() {
        Some(status) => {
            log.borrow_mut().preflight = Some(entry);
            status
        }
        None => {
            log.borrow_mut().actual = Some(entry);
            headers.push(("content-type".into(), b"application/json".to_vec()));
            for name in config.expose_headers.iter().filter(|n| *n != "*") {
                headers.push((name.to_ascii_lowercase(), b"...".to_vec()));
            }
            200
        }
    };
    HttpResponse { status, headers }
}

fn is_cors_header(name: &str) -> bool {
    name.starts_with("access-control-") || name == "vary"
}

fn pairs(headers: &[(String, Vec<u8>)]) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(n, v)| (n.clone(), String::from_utf8_lossy(v).into_owned()))
        .collect()
}

/// How to change the policy so that the engine allows what it denied.
fn fix(reason: &str, args: &Args) -> String {
    let file = args.policy.display();
    match reason {
        "origin-not-allowed" => format!("add `{}` to `origins` in {file}", args.origin),
        "malformed-origin" => "the page origin must be a serialized origin, e.g. https://app.example.com".into(),
        "method-not-allowed" => format!(
            "add `{}` to `methods` in {file}",
            browser::normalize_method(&args.method)
        ),
        "header-not-allowed" => format!("add the header to `request_headers` in {file}"),
        "private-network-not-allowed" => format!("set `private_network = true` in {file}"),
        "credentials-not-allowed" => format!(
            "set `credentials = true` in {file} (with explicit https origins), or call fetch without credentials"
        ),
        "refused-by-browser" => {
            "the browser never sends this request: use another method, or drop the header it refuses".into()
        }
        _ => "fix the request".into(),
    }
}

/// Runs `corsmatch explain` on the arguments after its name.
fn run(parser: Parser) -> ExitCode {
    let args = match args::parse(&COMMAND, parser, parse_args) {
        Ok(a) => a,
        Err(code) => return code,
    };
    let Ok(loaded) = config::load(Some(&args.policy), &[], false) else {
        return ExitCode::from(EXIT_CONFIG);
    };
    let script = ScriptRequest {
        body: false,
        cache: Default::default(),
        origin: args.origin.clone(),
        method: args.method.clone(),
        headers: args.headers.clone(),
        credentials: args.credentials,
    };
    let log = RefCell::new(EngineLog::default());
    let outcome = browser::run_as(args.browser, &script, &mut |req: &HttpRequest| {
        serve(&loaded.policy, &loaded.config, req, &log)
    });
    let log = log.into_inner();

    // The engine's reason when it denied; otherwise, when the browser still blocked, credentials.
    let engine_reason = log
        .preflight
        .as_ref()
        .and_then(|p| p.1.clone())
        .or_else(|| log.actual.as_ref().and_then(|a| a.1.clone()));
    let reason = match (&engine_reason, outcome.readable) {
        (Some(r), _) => Some(r.clone()),
        (None, false) if outcome.preflight.is_none() && outcome.actual.is_none() => {
            Some("refused-by-browser".to_string())
        }
        (None, false) if args.credentials => Some("credentials-not-allowed".to_string()),
        (None, false) => Some("blocked-by-browser".to_string()),
        (None, true) => None,
    };
    let response_headers: Vec<(String, String)> = outcome
        .actual
        .as_ref()
        .map(|(_, resp)| {
            pairs(&resp.headers)
                .into_iter()
                .filter(|(n, _)| is_cors_header(n))
                .collect()
        })
        .unwrap_or_default();

    if args.json {
        let preflight_response = outcome
            .preflight
            .as_ref()
            .map(|(_, resp)| json!({ "status": resp.status, "headers": pairs(&resp.headers) }));
        let value = json!({
            "browser": args.browser.name(),
            "preflight": outcome.preflight.is_some(),
            "allowed": outcome.readable,
            "reason": reason,
            "preflight_response": preflight_response,
            "response_headers": response_headers,
            "readable_headers": outcome.readable_headers,
        });
        println!("{value}");
    } else {
        print_text(&args, &outcome, &log, reason.as_deref());
    }
    if outcome.readable {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn print_text(args: &Args, outcome: &Outcome, log: &EngineLog, reason: Option<&str>) {
    let method = browser::normalize_method(&args.method);
    let headers: Vec<String> = args
        .headers
        .iter()
        .map(|(n, v)| format!("{n}: {v}"))
        .collect();
    println!(
        "fetch from {} with method {method}{}{} (browser: {})",
        args.origin,
        if headers.is_empty() {
            String::new()
        } else {
            format!(", headers [{}]", headers.join("; "))
        },
        if args.credentials {
            ", credentials: include"
        } else {
            ""
        },
        args.browser.name()
    );
    let show = |label: &str, req: &HttpRequest, resp: &HttpResponse| {
        println!(
            "  {label}: {} sent with",
            String::from_utf8_lossy(&req.method)
        );
        for (n, v) in pairs(&req.headers) {
            println!("      {n}: {v}");
        }
        println!("    answered {}", resp.status);
        for (n, v) in pairs(&resp.headers) {
            println!("      {n}: {v}");
        }
    };
    match &outcome.preflight {
        Some((req, resp)) => {
            let mut why = Vec::new();
            if !matches!(method.as_str(), "GET" | "HEAD" | "POST") {
                why.push(format!("{method} is not a CORS-safelisted method"));
            }
            let unsafe_names = browser::unsafe_header_names_as(args.browser, &args.headers);
            if !unsafe_names.is_empty() {
                let noun = if unsafe_names.len() == 1 {
                    "header"
                } else {
                    "headers"
                };
                why.push(format!(
                    "{noun} {} not CORS-safelisted (by name or value)",
                    unsafe_names.join(", ")
                ));
            }
            println!("preflight: yes ({})", why.join("; "));
            show("preflight", req, resp);
            if let Some((kind, _, Some(text))) = &log.preflight {
                println!("    engine: {} ({text})", kind.name());
            } else if let Some((kind, _, None)) = &log.preflight {
                println!("    engine: {}", kind.name());
            }
        }
        None if outcome.actual.is_none() => {
            println!("preflight: no (the browser refuses to build the request: fetch() throws)")
        }
        None => println!("preflight: no (a simple request: safelisted method and headers)"),
    }
    match &outcome.actual {
        Some((req, resp)) => {
            show("actual request", req, resp);
            if let Some((kind, _, text)) = &log.actual {
                match text {
                    Some(t) => println!("    engine: {} ({t})", kind.name()),
                    None => println!("    engine: {}", kind.name()),
                }
            }
        }
        None if outcome.preflight.is_none() => {
            println!("actual request: not sent (fetch() throws before sending anything)")
        }
        None => println!("actual request: not sent (the preflight failed)"),
    }
    if outcome.readable {
        println!("result: the script can read the response");
        println!(
            "  readable headers: {}",
            outcome.readable_headers.join(", ")
        );
    } else {
        println!("result: blocked");
        if let Some(message) = &outcome.error {
            println!("{message}");
        }
        if let Some(r) = reason {
            println!("fix: {}", fix(r, args));
        }
    }
}
