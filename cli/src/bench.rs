//! `corsmatch bench`: replays a request trace through the engine (bytes in, and through the `http`
//! adapter) and through the naive reference, checks that they answer every request identically, and
//! prints requests, ns per request, requests per second and allocations per request for each, as a
//! table or (`--format json`) one JSON object, which `benches/history.sh record` keeps.

use std::hint::black_box;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use corsmatch::policy::Policy;
use corsmatch_conformance::decision::NaiveEngine;
use corsmatch_workload::{embedded, replay, Trace};
use serde_json::json;

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
usage: corsmatch bench [--policy NAME|FILE] [--trace FILE] [--seconds S] [--format text|json]

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
--format   text (default: a table) or json (one object: the policy, the trace, a row per engine
           with id, name, requests, seconds, ns_per_request, requests_per_second,
           allocs_per_request and speedup, the agreement count and the first disagreements)

Progress goes to stderr: on a terminal one line, rewritten as each step goes; otherwise each step's
name when it starts and, while it runs, a line every 10 seconds (checking a 1000000-request trace
against the reference takes a minute or more).

Exit status: 0 when every decision agrees, 1 when any differs, 2 on a usage or input error.";

struct Args {
    policy: PolicyArgs,
    trace: Option<PathBuf>,
    seconds: f64,
    /// `--format json`: the report as one JSON object instead of the table.
    json: bool,
}

fn parse_args(mut parser: Parser) -> Result<Parsed<Args>, args::Error> {
    let mut out = Args {
        policy: PolicyArgs::policy_only(),
        trace: None,
        seconds: 3.0,
        json: false,
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
            "--format" => match parser.string()?.as_str() {
                "json" => out.json = true,
                "text" => out.json = false,
                other => {
                    return Err(args::Error::new(format!(
                        "--format must be text or json, not `{}`",
                        other.escape_debug()
                    )))
                }
            },
            _ => out.policy.option(&option, &mut parser)?,
        }
    }
    Ok(Parsed::Run(out))
}

/// One engine's row of the table.
struct Row {
    /// The row's key in the JSON report.
    id: &'static str,
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
    if !args.json {
        println!(
            "policy: {policy_name}: {} origins, compiled in {:.1} ms",
            config.origins.len(),
            compile.as_secs_f64() * 1e3
        );
        println!("trace:  {trace_name}: {n} requests ({pre} preflights, {actual} actual, {none} without Origin)");
    }

    let lines = trace.header_lines();
    let requests = trace.requests(&lines);
    let naive_requests: Vec<_> = trace.requests.iter().map(replay::naive_request).collect();

    // 1. Agreement, request by request.
    let mut progress = Progress::new(
        "[1/4] corsmatch vs reference, every decision",
        n,
        Measure::Requests,
    );
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
    let engine_row = timed(
        "[2/4] corsmatch",
        ("corsmatch", "corsmatch"),
        budget,
        (n, n),
        |i| {
            let d = policy.evaluate(&requests[i]);
            for header in d.headers() {
                black_box(header);
            }
            black_box(d.kind());
        },
    );

    // 3. The http adapter: HeaderMap in, response HeaderMap out.
    let http_requests: Vec<Option<(http::Method, http::HeaderMap)>> =
        trace.requests.iter().map(replay::http_parts).collect();
    let skipped = http_requests.iter().filter(|r| r.is_none()).count();
    let http_row = timed(
        "[3/4] corsmatch + http adapter",
        ("http_adapter", "corsmatch + http adapter"),
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
        ("reference", "reference (naive)"),
        budget,
        (n, 1),
        |i| {
            black_box(naive.decide(&naive_requests[i]));
        },
    );

    let rows = [engine_row, http_row, reference_row];
    let reference_ns = rows[2].ns_per_request();
    if args.json {
        let engines: Vec<_> = rows
            .iter()
            .map(|row| {
                let ns = row.ns_per_request();
                json!({
                    "id": row.id,
                    "name": row.name,
                    "requests": row.requests,
                    "seconds": row.elapsed.as_secs_f64(),
                    "ns_per_request": ns,
                    "requests_per_second": 1e9 / ns,
                    "allocs_per_request": row.allocations as f64 / row.requests.max(1) as f64,
                    "speedup": reference_ns / ns,
                })
            })
            .collect();
        let first: Vec<_> = disagreements
            .iter()
            .take(5)
            .map(|(i, mine, theirs)| {
                json!({
                    "request": i + 1,
                    "line": trace_line(&trace, *i),
                    "corsmatch": format!("{mine:?}"),
                    "reference": format!("{theirs:?}"),
                })
            })
            .collect();
        let report = json!({
            "policy": {
                "name": policy_name,
                "origins": config.origins.len(),
                "compile_ms": compile.as_secs_f64() * 1e3,
            },
            "trace": {
                "name": trace_name,
                "requests": n,
                "preflights": pre,
                "actual": actual,
                "without_origin": none,
            },
            "budget_seconds": args.seconds,
            "engines": engines,
            "http_adapter_skipped": skipped,
            "agree": n - disagreements.len(),
            "disagreements": first,
        });
        println!("{report}");
    } else {
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
        for (i, mine, theirs) in disagreements.iter().take(5) {
            println!(
                "request {}: {}  corsmatch: {mine:?}\n  reference: {theirs:?}",
                i + 1,
                trace_line(&trace, *i)
            );
        }
    }
    if disagreements.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Request `i` of `trace` as a trace line.
fn trace_line(trace: &Trace, i: usize) -> String {
    let mut one = Trace::default();
    one.requests.push(trace.requests[i].clone());
    one.write().lines().nth(1).unwrap_or_default().to_string()
}

/// Replays request `i % n` for `i = 0, 1, …` until `budget` has passed and at least `min_requests`
/// are done; counts allocations over the same run.
fn timed(
    label: &str,
    (id, name): (&'static str, &'static str),
    budget: Duration,
    (n, min_requests): (usize, usize),
    mut one: impl FnMut(usize),
) -> Row {
    let mut progress = Progress::new(label, budget.as_millis() as usize, Measure::Millis);
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
                id,
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
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// How often a terminal's progress line is rewritten.
const TERMINAL_EVERY: Duration = Duration::from_millis(100);

/// How often a progress line is added when standard error is not a terminal (a log, a pipe): a step
/// shorter than this prints only its first line.
const LOG_EVERY: Duration = Duration::from_secs(10);

/// What a step counts: requests checked, or milliseconds of its time budget.
#[derive(Clone, Copy)]
enum Measure {
    /// `at` and `total` are requests.
    Requests,
    /// `at` and `total` are milliseconds.
    Millis,
}

/// The progress of one step on standard error. On a terminal, one line rewritten in place at most
/// every [`TERMINAL_EVERY`], then `done`; elsewhere the step's label when it starts, then a line at
/// most every [`LOG_EVERY`], so that a long step (checking a 1 000 000-request trace against the
/// reference takes minutes) shows it is moving without flooding a log.
struct Progress<W: Write> {
    label: String,
    total: usize,
    measure: Measure,
    terminal: bool,
    out: W,
    started: Instant,
    /// When the next line may be printed.
    next: Instant,
    /// The longest line printed on the terminal, to blank out what a shorter one leaves.
    width: usize,
}

impl Progress<std::io::Stderr> {
    fn new(label: &str, total: usize, measure: Measure) -> Self {
        let stderr = std::io::stderr();
        let terminal = stderr.is_terminal();
        Progress::with(stderr, terminal, label, total, measure, Instant::now())
    }
}

impl<W: Write> Progress<W> {
    fn with(
        out: W,
        terminal: bool,
        label: &str,
        total: usize,
        measure: Measure,
        now: Instant,
    ) -> Self {
        let mut p = Progress {
            label: label.to_string(),
            total: total.max(1),
            measure,
            terminal,
            out,
            started: now,
            next: now + if terminal { TERMINAL_EVERY } else { LOG_EVERY },
            width: 0,
        };
        if terminal {
            let line = p.status(0, now);
            p.show(&line);
        } else {
            let _ = writeln!(p.out, "{label} ...");
        }
        p
    }

    /// `at` of the total are done.
    fn update(&mut self, at: usize) {
        // The clock is read once per call: callers call at most once per request or batch.
        self.update_at(at, Instant::now());
    }

    fn update_at(&mut self, at: usize, now: Instant) {
        if now < self.next {
            return;
        }
        self.next = now
            + if self.terminal {
                TERMINAL_EVERY
            } else {
                LOG_EVERY
            };
        let line = self.status(at, now);
        if self.terminal {
            self.show(&line);
        } else {
            let _ = writeln!(self.out, "{line}");
        }
    }

    /// The step is over.
    fn done(&mut self) {
        if self.terminal {
            let line = format!("{} done", self.label);
            self.show(&line);
            let _ = writeln!(self.out);
        }
    }

    /// Rewrites the terminal's line with `line`.
    fn show(&mut self, line: &str) {
        self.width = self.width.max(line.len());
        let _ = write!(self.out, "\r{line:<width$}", width = self.width);
        let _ = self.out.flush();
    }

    /// `LABEL: 120 000 of 1 000 000 requests (12%), about 66 s left`, or `LABEL: 40%` for a timed step.
    fn status(&self, at: usize, now: Instant) -> String {
        let at = at.min(self.total);
        let pct = at * 100 / self.total;
        match self.measure {
            Measure::Millis => format!("{}: {pct:>3}%", self.label),
            Measure::Requests => {
                let mut line = format!(
                    "{}: {} of {} requests ({pct}%)",
                    self.label,
                    group_thousands(at as u64),
                    group_thousands(self.total as u64)
                );
                let elapsed = now.duration_since(self.started).as_secs_f64();
                if at > 0 && at < self.total && elapsed >= 1.0 {
                    let left = elapsed / at as f64 * (self.total - at) as f64;
                    line.push_str(&format!(", about {left:.0} s left"));
                }
                line
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(p: &Progress<Vec<u8>>) -> Vec<String> {
        String::from_utf8(p.out.clone())
            .unwrap()
            .split(['\n', '\r'])
            .filter(|l| !l.is_empty())
            .map(|l| l.trim_end().to_string())
            .collect()
    }

    #[test]
    fn a_log_gets_a_line_every_few_seconds_and_no_more() {
        let t0 = Instant::now();
        let mut p = Progress::with(
            Vec::new(),
            false,
            "[1/4] check",
            1_000_000,
            Measure::Requests,
            t0,
        );
        for i in 1..=1000 {
            // 9.99 s of updates: none printed yet.
            p.update_at(i, t0 + Duration::from_millis(i as u64 * 10 - 1));
        }
        assert_eq!(lines(&p), ["[1/4] check ..."]);
        p.update_at(250_000, t0 + LOG_EVERY);
        p.update_at(260_000, t0 + LOG_EVERY + Duration::from_secs(1));
        p.update_at(500_000, t0 + 2 * LOG_EVERY);
        p.done();
        assert_eq!(
            lines(&p),
            [
                "[1/4] check ...",
                "[1/4] check: 250 000 of 1 000 000 requests (25%), about 30 s left",
                "[1/4] check: 500 000 of 1 000 000 requests (50%), about 20 s left",
            ]
        );
    }

    #[test]
    fn a_terminal_line_is_rewritten_at_a_bounded_rate() {
        let t0 = Instant::now();
        let mut p = Progress::with(
            Vec::new(),
            true,
            "[4/4] reference",
            3000,
            Measure::Millis,
            t0,
        );
        for ms in 0..3000u64 {
            p.update_at(ms as usize, t0 + Duration::from_millis(ms));
        }
        p.done();
        let shown = lines(&p);
        // One line at the start, about one per 100 ms, and the last.
        assert!((25..=35).contains(&shown.len()), "{shown:?}");
        assert_eq!(shown[0], "[4/4] reference:   0%");
        assert_eq!(shown[shown.len() - 1], "[4/4] reference done");
    }
}
