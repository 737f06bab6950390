//! `soak`: a load client that checks every answer of a CORS proxy against the engine.
//!
//! ```text
//! soak --target http://HOST:PORT --policy FILE [--trace FILE] [--seconds S] [--connections N]
//!      [--reload-every MS --reload-file FILE] [--pid PID] [--upstream-vary VALUE]... [--threads N]
//!      [--json]
//! soak --emit-wrk-lua FILE [--trace FILE] [--target http://HOST:PORT] [--forwarded-only]
//! ```
//!
//! It replays the trace (by default the embedded default trace, `corpus/workloads/default.trace`) in
//! a loop over `N` keep-alive HTTP/1.1 connections (default 8) for `S` seconds (default 10), each
//! connection starting at its own place in the trace. Every request carries the trace's method,
//! `Origin`, `Access-Control-Request-Method` and `Access-Control-Request-Headers` lines; the requests
//! whose bytes HTTP/1.1 cannot carry are skipped (see [`check`]). Every response is compared with the
//! answer of the engine, the policy `FILE` compiled here, for the request as the proxy reads it:
//!
//! * *failed*: a connection error, a timeout (5 s per request), or a request passed on that did not
//!   come back with the upstream's 200;
//! * *wrong*: the CORS answer differs — a preflight's status, any `Access-Control-*` header (every
//!   one the response carries, the upstream's `access-control-allow-origin: *` included, against the
//!   decision's, `Access-Control-Allow-Headers` line by line), or the `Vary` lines (the decision's
//!   tokens merged into the upstream's, which `--upstream-vary` gives; none by default, as `upstream`
//!   sends none). The first five of each are printed with the request and both header sets.
//!
//! With `--reload-every MS --reload-file FILE`, a task rewrites `FILE` (the proxy's policy file)
//! every `MS` milliseconds, alternately with its text at the start and with the same text, its
//! `origins` entries in reverse order and a comment line added: a different file that decides
//! identically (checked before the run, on every request of the trace), so that the proxy keeps
//! recompiling and swapping its policy while every answer is checked strictly. Each write goes to a
//! temporary file renamed over `FILE`, so the proxy never reads half a file; at the end `FILE` is
//! left with its text at the start.
//!
//! With `--pid PID`, it reads that process's resident set size (`VmRSS`) after a warm-up (10% of
//! the run, at least 2 s) and at the end.
//!
//! It prints `soak: N requests, F failed, W wrong, K skipped, R reloads written, rss warm X KiB end
//! Y KiB (+Z%)` (K counts the trace's requests that cannot be sent, once each), or with `--json` a
//! JSON object, and exits 1 if a request failed or was answered wrong, or (with `--pid`) if the
//! resident set grew by more than 10% after the warm-up; 2 on a usage or setup error. It stops
//! after `S` seconds and the requests then in flight (at most 5 s more).
//!
//! `--emit-wrk-lua FILE` writes instead a `wrk` script that sends the same requests (see [`lua`]),
//! with `Host` from `--target` (default `localhost`), and exits. With `--forwarded-only`, the script
//! leaves out the preflights (as the proxy reads them: `OPTIONS` with `Origin` and
//! `Access-Control-Request-Method`), so that a proxy with CORS and one without do the same work but
//! for CORS: every request goes to the upstream.

mod check;
mod lua;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use corsmatch::Policy;
use corsmatch_workload::Trace;
use http::header::HOST;
use http::Request;
use http_body_util::{BodyExt as _, Empty};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use check::{CorsAnswer, Expected, Verdict, WireRequest};

/// The usage text.
const USAGE: &str = "\
usage: soak --target http://HOST:PORT --policy FILE [--trace FILE] [--seconds S] [--connections N]
            [--reload-every MS --reload-file FILE] [--pid PID] [--upstream-vary VALUE]...
            [--threads N] [--json]
       soak --emit-wrk-lua FILE [--trace FILE] [--target http://HOST:PORT] [--forwarded-only]";

/// How long one request may take, connecting included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// How many failed and wrong answers are printed, each.
const SAMPLES: usize = 5;

/// The largest growth of the resident set after the warm-up, in percent.
const MAX_RSS_GROWTH_PCT: f64 = 10.0;

/// The command line.
#[derive(Debug, Default)]
struct Args {
    /// `host:port` of the proxy.
    target: Option<String>,
    /// The policy file the proxy serves.
    policy: Option<PathBuf>,
    /// The trace; the embedded default trace when absent.
    trace: Option<PathBuf>,
    /// How long to send requests.
    seconds: f64,
    /// Keep-alive connections.
    connections: usize,
    /// How often to rewrite the policy file.
    reload_every: Option<Duration>,
    /// The policy file the proxy watches.
    reload_file: Option<PathBuf>,
    /// The proxy's process id, for its resident set size.
    pid: Option<u32>,
    /// The `Vary` lines of the upstream's responses.
    upstream_vary: Vec<Vec<u8>>,
    /// The client runtime's worker threads.
    threads: usize,
    /// A JSON object rather than the summary line.
    json: bool,
    /// Write a `wrk` script to this file and exit.
    emit_wrk_lua: Option<PathBuf>,
    /// Leave the preflights out of the `wrk` script.
    forwarded_only: bool,
}

/// The authority (`host:port`) of an `http://` URL.
fn authority(url: &str) -> Result<String, String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or(format!("--target {url}: expected http://HOST:PORT"))?;
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.is_empty() || !authority.contains(':') {
        return Err(format!("--target {url}: expected http://HOST:PORT"));
    }
    Ok(authority.to_string())
}

/// Reads the command line.
fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut parsed = Args {
        seconds: 10.0,
        connections: 8,
        threads: 1,
        ..Args::default()
    };
    fn number<T: std::str::FromStr>(name: &str, v: &str) -> Result<T, String> {
        v.parse()
            .map_err(|_| format!("{name} {v}: expected a number"))
    }
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--target" => parsed.target = Some(authority(&value("--target")?)?),
            "--policy" => parsed.policy = Some(value("--policy")?.into()),
            "--trace" => parsed.trace = Some(value("--trace")?.into()),
            "--seconds" => {
                parsed.seconds = number("--seconds", &value("--seconds")?)?;
                if !(parsed.seconds > 0.0 && parsed.seconds < 1e6) {
                    return Err("--seconds: expected a positive duration".into());
                }
            }
            "--connections" => {
                parsed.connections = number("--connections", &value("--connections")?)?;
                if parsed.connections == 0 {
                    return Err("--connections: expected at least 1".into());
                }
            }
            "--reload-every" => {
                let ms: u64 = number("--reload-every", &value("--reload-every")?)?;
                if ms == 0 {
                    return Err("--reload-every: expected at least 1 ms".into());
                }
                parsed.reload_every = Some(Duration::from_millis(ms));
            }
            "--reload-file" => parsed.reload_file = Some(value("--reload-file")?.into()),
            "--pid" => parsed.pid = Some(number("--pid", &value("--pid")?)?),
            "--upstream-vary" => parsed
                .upstream_vary
                .push(value("--upstream-vary")?.into_bytes()),
            "--threads" => {
                parsed.threads = number("--threads", &value("--threads")?)?;
                if parsed.threads == 0 {
                    return Err("--threads: expected at least 1".into());
                }
            }
            "--json" => parsed.json = true,
            "--forwarded-only" => parsed.forwarded_only = true,
            "--emit-wrk-lua" => parsed.emit_wrk_lua = Some(value("--emit-wrk-lua")?.into()),
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    if parsed.emit_wrk_lua.is_none() {
        if parsed.target.is_none() || parsed.policy.is_none() {
            return Err("--target and --policy are required".into());
        }
        if parsed.reload_every.is_some() != parsed.reload_file.is_some() {
            return Err("--reload-every and --reload-file go together".into());
        }
    }
    Ok(parsed)
}

/// The trace of `--trace`, or the embedded default trace.
fn load_trace(path: Option<&Path>) -> Result<Trace, String> {
    let text = match path {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?,
        None => corsmatch_workload::embedded::DEFAULT_TRACE.to_string(),
    };
    Trace::parse(&text).map_err(|e| format!("trace: {e}"))
}

/// The sendable requests of `trace`, and how many were skipped.
fn sendable(trace: &Trace) -> (Vec<WireRequest>, usize) {
    let mut requests = Vec::with_capacity(trace.requests.len());
    let mut skipped = 0;
    for (i, r) in trace.requests.iter().enumerate() {
        match check::wire(i, r) {
            Ok(w) => requests.push(w),
            Err(_) => skipped += 1,
        }
    }
    (requests, skipped)
}

/// The line that ends the reload variant of a policy file (after a line break).
const RELOAD_COMMENT: &str = "\n# Rewritten by `soak`: the same policy, another file.\n";

/// The reload variant of a policy file's text: its `origins` entries (one per line, between
/// `origins = [` and `]`, as `corsmatch workload policies` writes them) in reverse order, and a
/// comment line at the end. Only the comment when the entries are laid out otherwise.
fn reload_variant(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out: Vec<&str> = lines.clone();
    if let Some(start) = lines.iter().position(|l| l.trim_end() == "origins = [") {
        if let Some(len) = lines[start + 1..].iter().position(|l| l.trim() == "]") {
            let entries = &lines[start + 1..start + 1 + len];
            let one_per_line = entries.iter().all(|l| {
                let t = l.trim();
                (t.starts_with('\'') || t.starts_with('"')) && t.ends_with(',')
            });
            if one_per_line {
                out.splice(start + 1..start + 1 + len, entries.iter().rev().copied());
            }
        }
    }
    let mut variant = out.join("\n");
    variant.push_str(RELOAD_COMMENT);
    variant
}

/// What the run counts.
#[derive(Default)]
struct Stats {
    /// Requests answered or failed.
    requests: AtomicU64,
    /// Connection errors, timeouts, unexpected statuses.
    failed: AtomicU64,
    /// Answers whose CORS part differs from the engine's.
    wrong: AtomicU64,
    /// Policy file rewrites.
    reloads: AtomicU64,
    /// The first failures, described.
    failed_samples: Mutex<Vec<String>>,
    /// The first wrong answers, described.
    wrong_samples: Mutex<Vec<String>>,
}

impl Stats {
    /// Counts a failure and keeps its description if it is among the first.
    fn fail(&self, what: impl FnOnce() -> String) {
        self.failed.fetch_add(1, Ordering::Relaxed);
        keep(&self.failed_samples, what);
    }
}

/// Keeps `what` in `samples` if there are fewer than [`SAMPLES`].
fn keep(samples: &Mutex<Vec<String>>, what: impl FnOnce() -> String) {
    let mut samples = samples.lock().unwrap_or_else(|e| e.into_inner());
    if samples.len() < SAMPLES {
        samples.push(what());
    }
}

/// What every connection task shares.
struct Shared {
    /// `host:port` of the proxy.
    target: String,
    /// The requests with the answer each must get.
    requests: Vec<(WireRequest, Expected)>,
    /// The counters.
    stats: Stats,
    /// When to stop sending.
    deadline: Instant,
}

/// A keep-alive connection to the proxy.
async fn connect(target: &str) -> Result<SendRequest<Empty<Bytes>>, String> {
    let stream = tokio::time::timeout(REQUEST_TIMEOUT, TcpStream::connect(target))
        .await
        .map_err(|_| "connect: timed out".to_string())?
        .map_err(|e| format!("connect: {e}"))?;
    let _ = stream.set_nodelay(true);
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    tokio::spawn(connection);
    Ok(sender)
}

/// The HTTP request for `w`.
fn http_request(w: &WireRequest, host: &str) -> Request<Empty<Bytes>> {
    let mut request = Request::new(Empty::new());
    *request.method_mut() = w.method.clone();
    *request.uri_mut() = http::Uri::from_static(lua::PATH);
    let headers = request.headers_mut();
    if let Ok(host) = http::HeaderValue::from_str(host) {
        headers.insert(HOST, host);
    }
    if let Some(v) = &w.origin {
        headers.append(http::header::ORIGIN, v.clone());
    }
    if let Some(v) = &w.request_method {
        headers.append(http::header::ACCESS_CONTROL_REQUEST_METHOD, v.clone());
    }
    for v in &w.request_headers {
        headers.append(http::header::ACCESS_CONTROL_REQUEST_HEADERS, v.clone());
    }
    request
}

/// Sends one request and reads the whole response: its CORS part, and whether the connection stays
/// open.
async fn exchange(
    sender: &mut SendRequest<Empty<Bytes>>,
    request: Request<Empty<Bytes>>,
) -> Result<(CorsAnswer, bool), String> {
    sender
        .ready()
        .await
        .map_err(|e| format!("connection closed: {e}"))?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| format!("request: {e}"))?;
    let (parts, body) = response.into_parts();
    body.collect()
        .await
        .map_err(|e| format!("response body: {e}"))?;
    let close = parts
        .headers
        .get(http::header::CONNECTION)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"close"));
    Ok((
        check::observed(parts.status.as_u16(), &parts.headers),
        !close,
    ))
}

/// One connection's loop: from the `first` request of the trace on, until the deadline; a failed
/// connection is replaced by a new one.
async fn run_connection(shared: Arc<Shared>, first: usize) {
    let n = shared.requests.len();
    let mut i = first % n;
    let mut sender = None;
    let stats = &shared.stats;
    while Instant::now() < shared.deadline {
        let (w, expected) = &shared.requests[i];
        i = (i + 1) % n;
        let started = Instant::now();
        let result = tokio::time::timeout(REQUEST_TIMEOUT, async {
            if sender.is_none() {
                sender = Some(connect(&shared.target).await?);
            }
            let Some(s) = sender.as_mut() else {
                return Err("no connection".to_string());
            };
            exchange(s, http_request(w, &shared.target)).await
        })
        .await;
        stats.requests.fetch_add(1, Ordering::Relaxed);
        let (got, keep_alive) = match result {
            Ok(Ok(answer)) => answer,
            Ok(Err(e)) => {
                sender = None;
                stats.fail(|| format!("{}: {e}", check::describe_request(w)));
                // Do not spin on a proxy that refuses connections.
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
            Err(_) => {
                sender = None;
                stats.fail(|| {
                    format!(
                        "{}: no answer after {:?}",
                        check::describe_request(w),
                        started.elapsed()
                    )
                });
                continue;
            }
        };
        if !keep_alive {
            sender = None;
        }
        match check::compare(expected, &got) {
            Verdict::Right => {}
            Verdict::Failed => stats.fail(|| {
                format!(
                    "{}: status {}, expected {}",
                    check::describe_request(w),
                    got.status,
                    expected.answer.status
                )
            }),
            Verdict::Wrong => {
                stats.wrong.fetch_add(1, Ordering::Relaxed);
                keep(&stats.wrong_samples, || {
                    format!(
                        "{}\n    expected: {}\n    got:      {}",
                        check::describe_request(w),
                        check::describe_answer(&expected.answer),
                        check::describe_answer(&got)
                    )
                });
            }
        }
    }
}

/// Writes `text` to `path` through a temporary file renamed over it.
fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".soak-tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}

/// Rewrites `path` every `every`, alternating `texts`, until `deadline` or `stop`; then writes the
/// first text back.
async fn run_reloads(
    path: PathBuf,
    texts: [Arc<str>; 2],
    every: Duration,
    deadline: Instant,
    shared: Arc<Shared>,
    stop: Arc<AtomicBool>,
) -> Result<(), String> {
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticker.tick().await;
    let mut k = 0usize;
    let write = |text: Arc<str>, path: PathBuf| {
        tokio::task::spawn_blocking(move || write_atomically(&path, &text))
    };
    while Instant::now() < deadline && !stop.load(Ordering::Relaxed) {
        ticker.tick().await;
        k += 1;
        match write(texts[k % 2].clone(), path.clone()).await {
            Ok(Ok(())) => {
                shared.stats.reloads.fetch_add(1, Ordering::Relaxed);
            }
            Ok(Err(e)) => return Err(format!("cannot write {}: {e}", path.display())),
            Err(e) => return Err(format!("writer: {e}")),
        }
    }
    if k % 2 == 1 {
        match write(texts[0].clone(), path.clone()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(format!("cannot write {}: {e}", path.display())),
            Err(e) => return Err(format!("writer: {e}")),
        }
    }
    Ok(())
}

/// `VmRSS` of process `pid`, in KiB.
fn rss_kib(pid: u32) -> Result<u64, String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|e| format!("process {pid}: {e}"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().strip_suffix("kB"))
        .and_then(|v| v.trim().parse().ok())
        .ok_or(format!("process {pid}: no VmRSS in its status"))
}

/// The result of a run.
struct Outcome {
    /// Requests sent.
    requests: u64,
    /// Failed.
    failed: u64,
    /// Answered wrong.
    wrong: u64,
    /// Trace requests that cannot be sent.
    skipped: usize,
    /// Policy file rewrites.
    reloads: u64,
    /// The seconds the run took.
    elapsed: f64,
    /// The resident set after the warm-up and at the end, in KiB.
    rss: Option<(u64, u64)>,
    /// Why the resident set could not be read, or the reload writer stopped.
    errors: Vec<String>,
}

impl Outcome {
    /// The growth of the resident set after the warm-up, in percent.
    fn rss_growth_pct(&self) -> Option<f64> {
        self.rss
            .map(|(warm, end)| (end as f64 - warm as f64) / warm.max(1) as f64 * 100.0)
    }

    /// Whether the run passed.
    fn passed(&self) -> bool {
        self.failed == 0
            && self.wrong == 0
            && self.errors.is_empty()
            && self
                .rss_growth_pct()
                .is_none_or(|g| g <= MAX_RSS_GROWTH_PCT)
    }

    /// The summary line.
    fn summary(&self) -> String {
        let rss = match (self.rss, self.rss_growth_pct()) {
            (Some((warm, end)), Some(growth)) => {
                format!("rss warm {warm} KiB end {end} KiB ({growth:+.1}%)")
            }
            _ => "rss not sampled".to_string(),
        };
        format!(
            "soak: {} requests, {} failed, {} wrong, {} skipped, {} reloads written, {rss}",
            self.requests, self.failed, self.wrong, self.skipped, self.reloads
        )
    }

    /// The JSON object.
    fn json(&self, args: &Args) -> serde_json::Value {
        serde_json::json!({
            "requests": self.requests,
            "failed": self.failed,
            "wrong": self.wrong,
            "skipped": self.skipped,
            "reloads_written": self.reloads,
            "seconds": self.elapsed,
            "requests_per_second": self.requests as f64 / self.elapsed.max(1e-9),
            "connections": args.connections,
            "rss_warm_kib": self.rss.map(|r| r.0),
            "rss_end_kib": self.rss.map(|r| r.1),
            "rss_growth_pct": self.rss_growth_pct(),
            "errors": self.errors,
            "passed": self.passed(),
        })
    }
}

/// The run: connections, reload writer and resident set samples.
async fn run(
    args: &Args,
    shared: Arc<Shared>,
    skipped: usize,
    reload: Option<[Arc<str>; 2]>,
) -> Outcome {
    let started = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let n = shared.requests.len();
    let connections: Vec<_> = (0..args.connections)
        .map(|c| tokio::spawn(run_connection(shared.clone(), c * n / args.connections)))
        .collect();
    let reloader = match (reload, &args.reload_file, args.reload_every) {
        (Some(texts), Some(path), Some(every)) => Some(tokio::spawn(run_reloads(
            path.clone(),
            texts,
            every,
            shared.deadline,
            shared.clone(),
            stop.clone(),
        ))),
        _ => None,
    };
    let mut errors = Vec::new();
    let warm_rss = match args.pid {
        Some(pid) => {
            let run = shared.deadline.saturating_duration_since(started);
            let warm_up = run.mul_f64(0.1).max(Duration::from_secs(2)).min(run);
            tokio::time::sleep_until((started + warm_up).into()).await;
            match rss_kib(pid) {
                Ok(kib) => Some(kib),
                Err(e) => {
                    errors.push(e);
                    None
                }
            }
        }
        None => None,
    };
    for c in connections {
        // The tasks stop at the deadline, after at most one more request.
        let _ = c.await;
    }
    stop.store(true, Ordering::Relaxed);
    if let Some(reloader) = reloader {
        match reloader.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => errors.push(e),
            Err(e) => errors.push(format!("reload writer: {e}")),
        }
    }
    let rss = match (args.pid, warm_rss) {
        (Some(pid), Some(warm)) => match rss_kib(pid) {
            Ok(end) => Some((warm, end)),
            Err(e) => {
                errors.push(e);
                None
            }
        },
        _ => None,
    };
    let stats = &shared.stats;
    Outcome {
        requests: stats.requests.load(Ordering::Relaxed),
        failed: stats.failed.load(Ordering::Relaxed),
        wrong: stats.wrong.load(Ordering::Relaxed),
        skipped,
        reloads: stats.reloads.load(Ordering::Relaxed),
        elapsed: started.elapsed().as_secs_f64(),
        rss,
        errors,
    }
}

/// `--emit-wrk-lua`: writes the script.
fn emit_wrk_lua(args: &Args, out: &Path) -> Result<(), String> {
    let trace = load_trace(args.trace.as_deref())?;
    let (mut requests, skipped) = sendable(&trace);
    let mut left_out = String::new();
    if args.forwarded_only {
        let before = requests.len();
        requests.retain(|w| !check::is_preflight(&w.received));
        left_out = format!(", {} preflights left out", before - requests.len());
    }
    if requests.is_empty() {
        return Err("the trace has no request to send".into());
    }
    let host = args.target.as_deref().unwrap_or("localhost");
    let source = match &args.trace {
        Some(path) => path.display().to_string(),
        None => "the default trace (corpus/workloads/default.trace)".to_string(),
    };
    let note = format!(
        "wrk script written by `soak --emit-wrk-lua`: {} requests of {source}, {skipped} skipped \
         (not sendable over HTTP/1.1){left_out}.",
        requests.len()
    );
    std::fs::write(out, lua::script(&requests, host, &note))
        .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    eprintln!(
        "soak: wrote {}: {} requests, {skipped} skipped{left_out}",
        out.display(),
        requests.len()
    );
    Ok(())
}

/// Checks that both reload texts decide every request as `expected` says, and returns them.
fn reload_texts(
    path: &Path,
    requests: &[(WireRequest, Expected)],
    upstream_vary: &[Vec<u8>],
) -> Result<[Arc<str>; 2], String> {
    let original = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let variant = reload_variant(&original);
    for (name, text) in [("its text", &original), ("its reload variant", &variant)] {
        let policy =
            Policy::from_toml_str(text).map_err(|e| format!("{}, {name}: {e}", path.display()))?;
        for (w, expected) in requests {
            if check::expected(&policy, &w.received, upstream_vary) != *expected {
                return Err(format!(
                    "{}, {name}, decides {} otherwise than --policy",
                    path.display(),
                    check::describe_request(w)
                ));
            }
        }
    }
    Ok([original.into(), variant.into()])
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("soak: {e}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let setup_error = |e: String| {
        eprintln!("soak: {e}");
        ExitCode::from(2)
    };
    if let Some(out) = &args.emit_wrk_lua {
        return match emit_wrk_lua(&args, out) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => setup_error(e),
        };
    }
    let (Some(policy_path), Some(target)) = (&args.policy, &args.target) else {
        return setup_error("--target and --policy are required".into());
    };
    let policy = match Policy::from_toml_file(policy_path) {
        Ok(policy) => policy,
        Err(e) => return setup_error(format!("{}: {e}", policy_path.display())),
    };
    let trace = match load_trace(args.trace.as_deref()) {
        Ok(trace) => trace,
        Err(e) => return setup_error(e),
    };
    let (sendable, skipped) = sendable(&trace);
    if sendable.is_empty() {
        return setup_error("the trace has no request that can be sent".into());
    }
    let requests: Vec<(WireRequest, Expected)> = sendable
        .into_iter()
        .map(|w| {
            let expected = check::expected(&policy, &w.received, &args.upstream_vary);
            (w, expected)
        })
        .collect();
    let reload = match &args.reload_file {
        Some(path) => match reload_texts(path, &requests, &args.upstream_vary) {
            Ok(texts) => Some(texts),
            Err(e) => return setup_error(e),
        },
        None => None,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.threads)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return setup_error(format!("cannot start the runtime: {e}")),
    };
    let shared = Arc::new(Shared {
        target: target.clone(),
        requests,
        stats: Stats::default(),
        deadline: Instant::now() + Duration::from_secs_f64(args.seconds),
    });
    let outcome = runtime.block_on(run(&args, shared.clone(), skipped, reload));
    // Connection drivers still parked on idle sockets: not worth waiting for.
    runtime.shutdown_background();
    let stats = &shared.stats;
    for (what, samples) in [
        ("failed", &stats.failed_samples),
        ("wrong", &stats.wrong_samples),
    ] {
        for sample in samples.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            eprintln!("soak: {what}: {sample}");
        }
    }
    for e in &outcome.errors {
        eprintln!("soak: {e}");
    }
    if args.json {
        println!("{}", outcome.json(&args));
    } else {
        println!("{}", outcome.summary());
    }
    if outcome.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Result<Args, String> {
        parse_args(list.iter().map(|s| s.to_string()))
    }

    #[test]
    fn arguments() {
        let a = args(&["--target", "http://127.0.0.1:8080/x", "--policy", "p.toml"]).unwrap();
        assert_eq!(a.target.as_deref(), Some("127.0.0.1:8080"));
        assert_eq!((a.seconds, a.connections, a.json), (10.0, 8, false));
        assert!(args(&["--target", "https://a:1", "--policy", "p"]).is_err());
        assert!(args(&["--target", "http://a", "--policy", "p"]).is_err());
        assert!(args(&["--policy", "p"]).is_err());
        assert!(args(&[
            "--target",
            "http://a:1",
            "--policy",
            "p",
            "--reload-every",
            "100"
        ])
        .is_err());
        let a = args(&[
            "--target",
            "http://a:1",
            "--policy",
            "p",
            "--reload-every",
            "100",
            "--reload-file",
            "f",
            "--pid",
            "42",
            "--json",
            "--seconds",
            "0.5",
            "--upstream-vary",
            "Accept",
        ])
        .unwrap();
        assert_eq!(a.reload_every, Some(Duration::from_millis(100)));
        assert_eq!((a.pid, a.json, a.seconds), (Some(42), true, 0.5));
        assert_eq!(a.upstream_vary, [b"Accept".to_vec()]);
        assert!(args(&["--emit-wrk-lua", "out.lua"]).is_ok());
        assert!(
            args(&["--emit-wrk-lua", "out.lua", "--forwarded-only"])
                .unwrap()
                .forwarded_only
        );
    }

    #[test]
    fn the_reload_variant_is_another_file_that_decides_the_same() {
        let name = corsmatch_workload::DEFAULT_POLICY;
        let config = corsmatch_workload::policies::by_name(name).unwrap();
        let text = corsmatch_workload::policies::to_toml(name, &config);
        let variant = reload_variant(&text);
        assert_ne!(variant, text);
        // The entries are reversed, not just commented.
        let first = |t: &str| {
            t.lines()
                .skip_while(|l| *l != "origins = [")
                .nth(1)
                .unwrap()
                .to_string()
        };
        assert_ne!(first(&variant), first(&text));
        let trace = Trace::parse(corsmatch_workload::embedded::DEFAULT_TRACE).unwrap();
        let (sendable, skipped) = sendable(&trace);
        assert!(skipped < trace.requests.len() / 10);
        let a = Policy::from_toml_str(&text).unwrap();
        let b = Policy::from_toml_str(&variant).unwrap();
        for w in &sendable {
            assert_eq!(
                check::expected(&a, &w.received, &[]),
                check::expected(&b, &w.received, &[]),
                "{}",
                check::describe_request(w)
            );
        }
        // Another layout: only the comment.
        let other = "origins = ['https://a.example', 'https://b.example']\n";
        assert_eq!(
            reload_variant(other),
            format!("{}{RELOAD_COMMENT}", other.trim_end())
        );
    }

    #[test]
    fn outcome_verdicts() {
        let mut o = Outcome {
            requests: 10,
            failed: 0,
            wrong: 0,
            skipped: 3,
            reloads: 2,
            elapsed: 1.0,
            rss: Some((1000, 1100)),
            errors: vec![],
        };
        assert!(o.passed());
        assert_eq!(
            o.summary(),
            "soak: 10 requests, 0 failed, 0 wrong, 3 skipped, 2 reloads written, \
             rss warm 1000 KiB end 1100 KiB (+10.0%)"
        );
        o.rss = Some((1000, 1101));
        assert!(!o.passed());
        o.rss = None;
        assert!(o.passed());
        o.wrong = 1;
        assert!(!o.passed());
    }
}
