//! `corsmatch bench`: replays a request trace through the engine (bytes in, and through the `http`
//! adapter) and through the naive reference, checks that they answer every request identically, and
//! prints requests, ns per request, requests per second and allocations per request for each.

use std::hint::black_box;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use corsmatch::policy::Policy;
use corsmatch::reference::decision::NaiveEngine;
use corsmatch_workload::{embedded, replay, Trace};

use crate::alloc::allocations;
use crate::args::{self, Arg, Command, Parsed, Parser, PolicyArgs};
use crate::EXIT_CONFIG;

/// `corsmatch bench`.
pub const COMMAND: Command = Command {
    name: "bench",
    summary: "replay a trace through corsmatch and the reference engine; check and time them",
    help: HELP,
    run,
};

const HELP: &str = "\
usage: corsmatch bench [--policy NAME|FILE] [--trace FILE] [--seconds S]

Replays the trace through corsmatch (Policy::evaluate and every response header value), through
corsmatch's http adapter (HeaderMap in, HeaderMap out) and through the naive reference engine;
checks that corsmatch and the reference agree on every decision (kind, reason, status, headers);
prints one row per engine: requests replayed, ns per request, requests per second, allocations
per request, and the speedup over the reference.

--policy   a built-in policy (small, saas, regex-heavy) or a policy file (at most 16 MiB);
           default: saas
--trace    a trace file (corsmatch workload trace writes one), at most 256 MiB (a 1000000-request
           trace is about 70 MB); default: the built-in trace (the saas policy, 10000
           requests: 70% preflights, 25% actual, 5% without Origin)
--seconds  how long to replay through each engine, at least one pass for corsmatch; default 3

Exit status: 0 when every decision agrees, 1 when any differs, 2 on a usage or input error.";

struct Args {
    policy: PolicyArgs,
    trace: Option<PathBuf>,
    seconds: f64,
}

fn parse_args(mut parser: Parser) -> Result<Parsed<Args>, args::Error> {
    let mut out = Args {
        policy: PolicyArgs::policy_only(),
        trace: None,
        seconds: 3.0,
    };
    while let Some(arg) = parser.next()? {
        let option = match arg {
            Arg::Help => return Ok(Parsed::Help),
            Arg::Value(value) => return Err(args::Error::unexpected_value(&value)),
            Arg::Option(option) => option,
        };
        match option.as_str() {
            "--trace" => out.trace = Some(PathBuf::from(parser.value()?)),
            "--seconds" => {
                let v = parser.string()?;
                out.seconds = v
                    .parse()
                    .ok()
                    .filter(|s: &f64| s.is_finite() && *s > 0.0 && *s <= 3600.0)
                    .ok_or_else(|| {
                        args::Error::new(format!("--seconds `{v}` is not a number in (0, 3600]"))
                    })?;
            }
            _ => out.policy.option(&option, &mut parser)?,
        }
    }
    Ok(Parsed::Run(out))
}

/// One engine's row of the table.
struct Row {
    name: &'static str,
    requests: u64,
    elapsed: Duration,
    allocations: u64,
}

impl Row {
    fn ns_per_request(&self) -> f64 {
        self.elapsed.as_nanos() as f64 / self.requests.max(1) as f64
    }
}

/// Runs `corsmatch bench` on the arguments after its name.
fn run(parser: Parser) -> ExitCode {
    let args = match args::parse(&COMMAND, parser, parse_args) {
        Ok(a) => a,
        Err(code) => return code,
    };
    // The default trace's policy when none is given.
    let policy = args.policy.policy.as_deref();
    let policy = policy.unwrap_or(corsmatch_workload::DEFAULT_POLICY.as_ref());
    let (policy_name, config) = match crate::config::load_named(policy, COMMAND.name) {
        Ok(named) => named,
        Err(code) => return code,
    };
    let started = Instant::now();
    let policy = match Policy::new(&config) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: the policy is invalid:\n{e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    let compile = started.elapsed();
    let naive = NaiveEngine::new(&config);
    let (trace_name, trace) = match &args.trace {
        None => (
            "built-in default".to_string(),
            Trace::parse(embedded::DEFAULT_TRACE).expect("the embedded trace parses"),
        ),
        Some(path) => {
            let text = match crate::input::read_text(path, crate::input::MAX_TRACE_BYTES) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("error: cannot read trace {}: {e}", path.display());
                    return ExitCode::from(EXIT_CONFIG);
                }
            };
            match Trace::parse(&text) {
                Ok(t) => (path.display().to_string(), t),
                Err(e) => {
                    eprintln!("error: trace {}: {e}", path.display());
                    return ExitCode::from(EXIT_CONFIG);
                }
            }
        }
    };
    if trace.requests.is_empty() {
        eprintln!("error: the trace holds no request");
        return ExitCode::from(EXIT_CONFIG);
    }
    let n = trace.requests.len();
    let (pre, actual, none) = trace.mix();
    println!(
        "policy: {policy_name}: {} origins, compiled in {:.1} ms",
        config.origins.len(),
        compile.as_secs_f64() * 1e3
    );
    println!("trace:  {trace_name}: {n} requests ({pre} preflights, {actual} actual, {none} without Origin)");

    let lines = trace.header_lines();
    let requests = trace.requests(&lines);
    let naive_requests: Vec<_> = trace.requests.iter().map(replay::naive_request).collect();

    // 1. Agreement, request by request.
    let mut progress = Progress::new("[1/4] corsmatch vs reference, every decision", n);
    let mut disagreements = Vec::new();
    for (i, (r, nr)) in requests.iter().zip(&naive_requests).enumerate() {
        let (mine, theirs) = (replay::engine(&policy, r), replay::naive(&naive, nr));
        if mine != theirs {
            disagreements.push((i, mine, theirs));
        }
        progress.update(i + 1);
    }
    progress.done();

    // 2. The engine, bytes in, every header value out.
    let budget = Duration::from_secs_f64(args.seconds);
    let engine_row = timed("[2/4] corsmatch", "corsmatch", budget, (n, n), |i| {
        let d = policy.evaluate(&requests[i]);
        for header in d.headers() {
            black_box(header);
        }
        black_box(d.kind());
    });

    // 3. The http adapter: HeaderMap in, response HeaderMap out.
    let http_requests: Vec<Option<(http::Method, http::HeaderMap)>> =
        trace.requests.iter().map(replay::http_parts).collect();
    let skipped = http_requests.iter().filter(|r| r.is_none()).count();
    let http_row = timed(
        "[3/4] corsmatch + http adapter",
        "corsmatch + http adapter",
        budget,
        (n, n),
        |i| {
            if let Some((method, headers)) = &http_requests[i] {
                black_box(replay::http_answer(&policy, method, headers));
            }
        },
    );

    // 4. The naive reference; it may not finish a pass within the budget.
    let reference_row = timed(
        "[4/4] reference",
        "reference (naive)",
        budget,
        (n, 1),
        |i| {
            black_box(naive.decide(&naive_requests[i]));
        },
    );

    let rows = [engine_row, http_row, reference_row];
    let reference_ns = rows[2].ns_per_request();
    println!();
    println!(
        "{:<26} {:>12} {:>12} {:>14} {:>16} {:>10}",
        "engine", "requests", "ns/request", "requests/s", "allocs/request", "speedup"
    );
    for row in &rows {
        let ns = row.ns_per_request();
        println!(
            "{:<26} {:>12} {:>12.1} {:>14} {:>16.2} {:>9.1}x",
            row.name,
            group_thousands(row.requests),
            ns,
            group_thousands((1e9 / ns) as u64),
            row.allocations as f64 / row.requests.max(1) as f64,
            reference_ns / ns,
        );
    }
    if skipped > 0 {
        println!("({skipped} requests hold bytes an http::HeaderMap refuses; the adapter row skips them)");
    }
    println!(
        "decisions on which corsmatch and the reference agree: {} of {n}",
        n - disagreements.len()
    );
    if disagreements.is_empty() {
        return ExitCode::SUCCESS;
    }
    for (i, mine, theirs) in disagreements.iter().take(5) {
        let mut one = Trace::default();
        one.requests.push(trace.requests[*i].clone());
        let line = one.write();
        println!(
            "request {}: {}  corsmatch: {mine:?}\n  reference: {theirs:?}",
            i + 1,
            line.lines().nth(1).unwrap_or_default()
        );
    }
    ExitCode::from(1)
}

/// Replays request `i % n` for `i = 0, 1, …` until `budget` has passed and at least `min_requests`
/// are done; counts allocations over the same run.
fn timed(
    label: &str,
    name: &'static str,
    budget: Duration,
    (n, min_requests): (usize, usize),
    mut one: impl FnMut(usize),
) -> Row {
    let mut progress = Progress::new(label, budget.as_millis() as usize);
    let allocs_before = allocations();
    let start = Instant::now();
    let mut done = 0usize;
    loop {
        // Batches of 64 keep the clock out of the measurement.
        for _ in 0..64 {
            one(done % n);
            done += 1;
        }
        let elapsed = start.elapsed();
        progress.update(elapsed.as_millis() as usize);
        if elapsed >= budget && done >= min_requests {
            progress.done();
            return Row {
                name,
                requests: done as u64,
                elapsed,
                allocations: allocations() - allocs_before,
            };
        }
    }
}

fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// Progress on standard error: a line rewritten in place on a terminal, else one line per quarter.
struct Progress {
    label: String,
    total: usize,
    terminal: bool,
    shown: usize,
}

impl Progress {
    fn new(label: &str, total: usize) -> Progress {
        let p = Progress {
            label: label.to_string(),
            total: total.max(1),
            terminal: std::io::stderr().is_terminal(),
            shown: usize::MAX,
        };
        if !p.terminal {
            eprintln!("{label} ...");
        }
        p
    }

    fn update(&mut self, at: usize) {
        let pct = (at.min(self.total) * 100 / self.total) / if self.terminal { 1 } else { 25 };
        if pct != self.shown {
            self.shown = pct;
            if self.terminal {
                eprint!("\r{} {pct:>3}%", self.label);
                let _ = std::io::stderr().flush();
            }
        }
    }

    fn done(&self) {
        if self.terminal {
            eprintln!("\r{} done", self.label);
        }
    }
}
