//! `corsmatch scan`: probes a deployed server's CORS and compares its answers with a policy.
//!
//! The data flows through one module each: [`origins`] (the origins to try) → [`requests`] (the
//! probes, the plan under the request cap, the client) → the server's responses, replayed through
//! the browser model → [`verdict`] (the server's answer against the policy's, both through the
//! browser model's CORS checks) → [`report`] (text, JSON, SARIF).

pub mod origins;
pub mod report;
pub mod requests;
pub mod verdict;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use corsmatch_conformance::browser::{self, HttpResponse, Profile};
use corsmatch_conformance::decision::is_token;

use crate::args::{self, Arg, Command, Parsed, Parser, PolicyArgs};
use crate::{config, EXIT_CONFIG};
use report::Report;
use requests::{Limits, Probe, Sender, Shapes, Target};
use verdict::{Expected, Finding, Severity};

/// `corsmatch scan`.
pub const COMMAND: Command = Command {
    name: "scan",
    summary: "probe a running server's CORS answers and compare them with a policy",
    help: HELP,
    run,
};

const HELP: &str = "\
usage: corsmatch scan URL [--policy FILE] [--method M]... [--header 'NAME: VALUE']... [--credentials]
                      [OPTIONS]

Sends the requests a browser would send for fetch() calls from many origins to URL (http://HOST
[:PORT][/PATH]; only to that host and port), and judges each answer through the browser's CORS
checks (Chromium). The origins: each policy entry made concrete (a subdomain of a wildcard, a port
of a port wildcard) and its near misses in the shapes of known bypasses (a suffix appended, no
label boundary, the apex of a wildcard, case, a trailing dot, http://, another port, userinfo,
fragment and path tricks, percent-encoding, null, whitespace), and unrelated origins. The calls: a
GET from every origin, a preflighted call per method with the policy's request headers, a call
with a method and a header nobody configured, HEAD and POST; each judged with and without
credentials (the scan sends no cookies: the two modes differ only in the browser's checks).

With --policy, a finding is an answer that differs from the policy's. Without, the scan looks for
generic misconfigurations: any origin allowed besides `*` without credentials (reflection, null),
missing Vary: Origin, preflights that allow whatever they are asked.

Severities: critical: script from an origin the policy denies reads a response with credentials;
high: the same without credentials; medium: missing Vary: Origin, methods, request headers or
exposed headers beyond the policy, an Origin value no browser sends (uppercase, whitespace, a
path) allowed; low: a request the policy allows is blocked (the server is
stricter than the policy), or Access-Control-Max-Age differs.

--policy FILE           the policy the server is meant to enforce
--method M              a method to preflight, besides the policy's; may be given many times
--header 'NAME: VALUE'  a header for the preflighted calls, besides the policy's; many times
--credentials           judge the calls only as made with credentials (`include`), as the pages
                        of an API that uses cookies make them; by default each call is judged
                        both with and without
--max-requests N        send at most N requests; default 400
--rate R                at most R requests per second; default 20
--concurrency N         requests in flight at once; default 4
--timeout TIME          per request, connection included; default 5s (250ms, 5s, 2m)
--seed N                the seed of the origins drawn from the policy; default 1
--dry-run               print the requests as curl commands, send nothing
--format FORMAT         text (default), json or sarif (SARIF 2.1.0)
--fail-on SEVERITY      exit 1 when a finding is at least this severe: low (default), medium,
                        high, critical, or never

On a terminal, a progress line on standard error counts probes, requests and findings.

Exit status: 0 when no finding reaches --fail-on, 1 when one does, 2 on a usage error, an invalid
policy, or when the server answered none of the requests.";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Text,
    Json,
    Sarif,
}

struct Args {
    url: String,
    policy: Option<PathBuf>,
    methods: Vec<String>,
    headers: Vec<(String, String)>,
    max_requests: usize,
    rate: f64,
    concurrency: usize,
    timeout: Duration,
    seed: u64,
    dry_run: bool,
    credentials_only: bool,
    format: Format,
    fail_on: Option<Severity>,
}

fn parse_args(mut parser: Parser) -> Result<Parsed<Args>, args::Error> {
    let mut policy = PolicyArgs::policy_only();
    let mut url = None;
    let mut out = Args {
        url: String::new(),
        policy: None,
        methods: Vec::new(),
        headers: Vec::new(),
        max_requests: 400,
        rate: 20.0,
        concurrency: 4,
        timeout: Duration::from_secs(5),
        seed: 1,
        dry_run: false,
        credentials_only: false,
        format: Format::Text,
        fail_on: Some(Severity::Low),
    };
    while let Some(arg) = parser.next()? {
        let option = match arg {
            Arg::Help => return Ok(Parsed::Help),
            Arg::Value(value) if url.is_none() => {
                url = Some(value.into_string().map_err(|v| {
                    args::Error::new(format!("the URL `{}` is not UTF-8", v.to_string_lossy()))
                })?);
                continue;
            }
            Arg::Value(value) => return Err(args::Error::unexpected_value(&value)),
            Arg::Option(option) => option,
        };
        match option.as_str() {
            "--method" => {
                let method = parser.string()?;
                if !is_token(method.as_bytes()) {
                    return Err(args::Error::new(format!(
                        "--method `{}` is not a method (a token)",
                        method.escape_debug()
                    )));
                }
                out.methods.push(method);
            }
            "--header" => {
                let v = parser.string()?;
                let (name, value) = v.split_once(':').ok_or_else(|| {
                    args::Error::new(format!("--header `{v}`: write it as 'NAME: VALUE'"))
                })?;
                if !is_token(name.trim().as_bytes()) {
                    return Err(args::Error::new(format!(
                        "--header: `{}` is not a header name (a token)",
                        name.escape_debug()
                    )));
                }
                out.headers
                    .push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
            }
            "--max-requests" => out.max_requests = parser.parse("not a number")?,
            "--rate" => {
                let rate: f64 = parser.parse("not a number")?;
                if !(rate > 0.0 && rate.is_finite()) {
                    return Err(args::Error::new("--rate must be above 0"));
                }
                out.rate = rate;
            }
            "--concurrency" => {
                out.concurrency = parser.parse("not a number")?;
                if out.concurrency == 0 {
                    return Err(args::Error::new("--concurrency must be at least 1"));
                }
            }
            "--timeout" => {
                out.timeout = crate::serve::duration(&mut parser)?;
                if out.timeout.is_zero() {
                    return Err(args::Error::new("--timeout must be above 0"));
                }
            }
            "--seed" => out.seed = parser.parse("not a number")?,
            "--dry-run" => out.dry_run = true,
            "--credentials" => out.credentials_only = true,
            "--format" => {
                out.format = match parser.string()?.as_str() {
                    "text" => Format::Text,
                    "json" => Format::Json,
                    "sarif" => Format::Sarif,
                    other => {
                        return Err(args::Error::new(format!(
                            "--format `{}` is not text, json or sarif",
                            other.escape_debug()
                        )))
                    }
                }
            }
            "--fail-on" => {
                let name = parser.string()?;
                out.fail_on = if name == "never" {
                    None
                } else {
                    Some(
                        Severity::ALL
                            .into_iter()
                            .find(|s| s.name() == name)
                            .ok_or_else(|| {
                                args::Error::new(format!(
                                    "--fail-on `{}` is not low, medium, high, critical or never",
                                    name.escape_debug()
                                ))
                            })?,
                    )
                };
            }
            _ => policy.option(&option, &mut parser)?,
        }
    }
    out.url = url.ok_or_else(|| args::Error::new("the URL to scan is required"))?;
    Target::parse(&out.url).map_err(args::Error::new)?;
    out.policy = policy.policy.map(PathBuf::from);
    Ok(Parsed::Run(out))
}

/// What one probe produced.
struct Done {
    findings: Vec<Finding>,
    errors: Vec<String>,
}

/// Sends `probe`'s requests (from a blocking thread, since the browser model asks for answers
/// synchronously) and judges them in each credentials mode of `modes`.
fn probe_once(
    handle: &tokio::runtime::Handle,
    sender: &Sender,
    expected: &Expected,
    probe: &Probe,
    modes: &[bool],
) -> Done {
    let mut done = Done {
        findings: Vec::new(),
        errors: Vec::new(),
    };
    for &credentials in modes {
        let mut errors = Vec::new();
        let actual =
            browser::run_as(
                Profile::Chromium,
                &probe.script(credentials),
                &mut |req| match handle.block_on(sender.send(req)) {
                    Ok(response) => response,
                    Err(e) => {
                        errors.push(e);
                        HttpResponse::default()
                    }
                },
            );
        if !errors.is_empty() {
            done.errors.extend(errors);
            continue;
        }
        let should = expected.outcome(probe, credentials, &|req| {
            sender.recorded(req).and_then(Result::ok)
        });
        done.findings.extend(verdict::judge(
            expected,
            probe,
            credentials,
            &actual,
            &should,
        ));
    }
    done
}

/// The progress line on standard error, drawn only when it is a terminal.
#[derive(Clone)]
struct Progress {
    total: usize,
    probes: Arc<AtomicUsize>,
    findings: Arc<AtomicUsize>,
    terminal: bool,
}

impl Progress {
    fn new(total: usize) -> Progress {
        Progress {
            total,
            probes: Arc::default(),
            findings: Arc::default(),
            terminal: std::io::stderr().is_terminal(),
        }
    }

    fn probe_done(&self, findings: usize) {
        self.probes.fetch_add(1, Ordering::Relaxed);
        self.findings.fetch_add(findings, Ordering::Relaxed);
    }

    /// The line: a bar, probes done of all, requests sent, findings so far.
    fn line(&self, sent: usize) -> String {
        const WIDTH: usize = 24;
        let done = self.probes.load(Ordering::Relaxed).min(self.total);
        let filled = (done * WIDTH).checked_div(self.total).unwrap_or(WIDTH);
        format!(
            "scanning [{}{}] {done}/{} probes, {sent} requests, {} findings",
            "#".repeat(filled),
            ".".repeat(WIDTH - filled),
            self.total,
            self.findings.load(Ordering::Relaxed)
        )
    }

    /// Redraws the line ten times a second until aborted; `None` off a terminal.
    fn start(&self, sender: Arc<Sender>) -> Option<tokio::task::JoinHandle<()>> {
        if !self.terminal {
            return None;
        }
        let progress = self.clone();
        Some(tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            loop {
                tick.tick().await;
                let mut err = std::io::stderr().lock();
                let _ = write!(err, "\r{}\x1b[K", progress.line(sender.sent()));
                let _ = err.flush();
            }
        }))
    }

    /// Erases the line, so that the report starts on a clean one.
    fn clear(&self) {
        if self.terminal {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[K");
            let _ = err.flush();
        }
    }
}

fn run(parser: Parser) -> ExitCode {
    let args = match args::parse(&COMMAND, parser, parse_args) {
        Ok(a) => a,
        Err(code) => return code,
    };
    let target = match Target::parse(&args.url) {
        Ok(t) => t,
        Err(e) => return args::usage_error(Some(COMMAND.name), &e),
    };
    let expected = match &args.policy {
        Some(path) => match config::load(Some(path), &[], false) {
            Ok(loaded) => Expected::policy(loaded.policy, loaded.config),
            Err(()) => return ExitCode::from(EXIT_CONFIG),
        },
        None => Expected::generic(),
    };
    let policy_config = (!expected.is_generic()).then(|| expected.config().clone());
    let origins = origins::origins(policy_config.as_ref(), &target.origin, args.seed);
    let shapes = Shapes::new(policy_config.as_ref(), &args.methods, &args.headers);
    let (probes, dropped) = requests::plan(&origins, &shapes, args.max_requests);

    if args.dry_run {
        for probe in &probes {
            for request in requests::requests_of(probe) {
                println!("{}", requests::curl(&target, &request));
            }
        }
        eprintln!(
            "{} probes{}; nothing sent (--dry-run)",
            probes.len(),
            if dropped > 0 {
                format!(", {dropped} left out by --max-requests")
            } else {
                String::new()
            }
        );
        return ExitCode::SUCCESS;
    }

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    let limits = Limits {
        rate: args.rate,
        concurrency: args.concurrency,
        timeout: args.timeout,
    };
    let expected = Arc::new(expected);
    let count = probes.len();
    let modes: &'static [bool] = if args.credentials_only {
        &[true]
    } else {
        &[true, false]
    };
    let progress = Progress::new(count);
    let (done, sent, failed) = runtime.block_on(async {
        let sender = Sender::new(target.clone(), limits);
        let ticker = progress.start(sender.clone());
        let slots = Arc::new(tokio::sync::Semaphore::new(args.concurrency));
        let mut tasks = Vec::with_capacity(probes.len());
        for probe in probes {
            let Ok(permit) = slots.clone().acquire_owned().await else {
                break;
            };
            let (sender, expected, progress) = (sender.clone(), expected.clone(), progress.clone());
            let handle = tokio::runtime::Handle::current();
            tasks.push(tokio::task::spawn_blocking(move || {
                let done = probe_once(&handle, &sender, &expected, &probe, modes);
                progress.probe_done(done.findings.len());
                drop(permit);
                done
            }));
        }
        let mut all = Vec::with_capacity(tasks.len());
        for task in tasks {
            if let Ok(done) = task.await {
                all.push(done);
            }
        }
        if let Some(ticker) = ticker {
            ticker.abort();
        }
        progress.clear();
        (all, sender.sent(), sender.failed())
    });
    let mut report = Report {
        target,
        policy: args.policy.as_ref().map(|p| p.display().to_string()),
        probes: count,
        dropped,
        sent,
        errors: Vec::new(),
        error_count: failed,
        findings: Vec::new(),
    };
    for d in done {
        for e in d.errors {
            if report.errors.len() < 3 && !report.errors.contains(&e) {
                report.errors.push(e);
            }
        }
        report.findings.extend(d.findings);
    }
    report.sort();
    match args.format {
        Format::Text => print!("{}", report.text()),
        Format::Json => println!("{}", report.json()),
        Format::Sarif => println!("{:#}", report.sarif()),
    }
    if report.sent > 0 && report.error_count >= report.sent {
        eprintln!("error: the server answered none of the requests");
        return ExitCode::from(EXIT_CONFIG);
    }
    match (args.fail_on, report.worst()) {
        (Some(threshold), Some(worst)) if worst >= threshold => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_progress_line_counts_probes_and_findings() {
        let progress = Progress::new(8);
        assert_eq!(
            progress.line(0),
            "scanning [........................] 0/8 probes, 0 requests, 0 findings"
        );
        progress.probe_done(0);
        progress.probe_done(3);
        assert_eq!(
            progress.line(5),
            "scanning [######..................] 2/8 probes, 5 requests, 3 findings"
        );
        // No probes at all: a full bar, no division by zero.
        assert!(Progress::new(0).line(0).contains(&"#".repeat(24)));
    }
}
