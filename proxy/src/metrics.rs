//! [`Metrics`]: the proxy's counters, rendered in the Prometheus text format (version 0.0.4), and
//! [`Timed`], the service that measures each request's latency.

use std::fmt::Write as _;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Instant;

use corsmatch::{DecisionKind, DenyReason};
use http::{Request, Response};
use pin_project_lite::pin_project;
use tower_service::Service;

/// The decision kinds, in the order of [`Metrics`]' counters.
const KINDS: [&str; 5] = [
    "not-cors",
    "preflight-allowed",
    "preflight-denied",
    "actual-allowed",
    "actual-denied",
];

/// The deny reasons, in the order of [`Metrics`]' counters; the last one counts any reason a newer
/// engine adds.
const REASONS: [&str; 9] = [
    "malformed-origin",
    "origin-not-allowed",
    "malformed-method",
    "method-not-allowed",
    "malformed-header-list",
    "header-not-allowed",
    "header-list-too-large",
    "private-network-not-allowed",
    "other",
];

/// Why the upstream did not answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpstreamError {
    /// No connection could be opened (refused, unreachable, connect timeout).
    Connect,
    /// The connection failed while sending the request or reading the response's head.
    Request,
    /// No response head within the response timeout.
    Timeout,
}

impl UpstreamError {
    const ALL: [UpstreamError; 3] = [
        UpstreamError::Connect,
        UpstreamError::Request,
        UpstreamError::Timeout,
    ];

    /// The label value.
    pub fn name(self) -> &'static str {
        match self {
            UpstreamError::Connect => "connect",
            UpstreamError::Request => "request",
            UpstreamError::Timeout => "timeout",
        }
    }
}

/// The latency histogram's upper bounds, in seconds.
const BUCKETS: [f64; 16] = [
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
    1.0, 2.5, 10.0,
];

/// Every counter of the proxy: lock-free, shared by all connections.
#[derive(Debug, Default)]
pub struct Metrics {
    decisions: [AtomicU64; KINDS.len()],
    denials: [AtomicU64; REASONS.len()],
    reloads: AtomicU64,
    failed_reloads: AtomicU64,
    rules: AtomicU64,
    upstream_errors: [AtomicU64; 3],
    /// Responses by status class: 1xx … 5xx.
    responses: [AtomicU64; 5],
    /// Cumulative counts are computed when rendering; each request counts in one bucket (the last
    /// one is +Inf).
    latency: [AtomicU64; BUCKETS.len() + 1],
    latency_sum_nanos: AtomicU64,
    connections: AtomicU64,
}

fn add(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

fn get(counter: &AtomicU64) -> u64 {
    counter.load(Ordering::Relaxed)
}

impl Metrics {
    /// Counts a decision.
    pub fn decided(&self, kind: DecisionKind, reason: Option<&DenyReason<'_>>) {
        let kind = match kind {
            DecisionKind::NotCors => 0,
            DecisionKind::PreflightAllowed => 1,
            DecisionKind::PreflightDenied => 2,
            DecisionKind::ActualAllowed => 3,
            DecisionKind::ActualDenied => 4,
            // A kind a newer engine adds is counted under its own name when it gets a counter.
            _ => return,
        };
        add(&self.decisions[kind]);
        if let Some(reason) = reason {
            let name = reason.name();
            let i = REASONS
                .iter()
                .position(|r| *r == name)
                .unwrap_or(REASONS.len() - 1);
            add(&self.denials[i]);
        }
    }

    /// Counts a reload of the policy, and records the size of the policy now in force.
    pub fn reloaded(&self, ok: bool, rules: usize) {
        if ok {
            add(&self.reloads);
        } else {
            add(&self.failed_reloads);
        }
        self.set_rules(rules);
    }

    /// Records the number of allowlist entries of the policy in force.
    pub fn set_rules(&self, rules: usize) {
        self.rules.store(rules as u64, Ordering::Relaxed);
    }

    /// Counts an upstream error.
    pub fn upstream_error(&self, kind: UpstreamError) {
        add(&self.upstream_errors[kind as usize]);
    }

    /// Counts a response and its latency.
    pub fn responded(&self, status: u16, started: Instant) {
        let class = usize::from(status / 100).clamp(1, 5) - 1;
        add(&self.responses[class]);
        let elapsed = started.elapsed();
        let seconds = elapsed.as_secs_f64();
        let bucket = BUCKETS
            .iter()
            .position(|&b| seconds <= b)
            .unwrap_or(BUCKETS.len());
        add(&self.latency[bucket]);
        self.latency_sum_nanos.fetch_add(
            u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    /// A connection was accepted.
    pub fn connection_opened(&self) {
        add(&self.connections);
    }

    /// A connection was closed.
    pub fn connection_closed(&self) {
        self.connections.fetch_sub(1, Ordering::Relaxed);
    }

    /// The requests decided as `kind` (its [`DecisionKind::name`]) so far.
    pub fn decisions(&self, kind: &str) -> u64 {
        KINDS
            .iter()
            .position(|k| *k == kind)
            .map_or(0, |i| get(&self.decisions[i]))
    }

    /// The successful and the failed reloads so far.
    pub fn reloads(&self) -> (u64, u64) {
        (get(&self.reloads), get(&self.failed_reloads))
    }

    /// Everything, in the Prometheus text format.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        let w = &mut out;
        family(
            w,
            "corsmatch_requests_total",
            "counter",
            "Requests by CORS decision.",
        );
        for (i, kind) in KINDS.iter().enumerate() {
            let _ = writeln!(
                w,
                "corsmatch_requests_total{{decision=\"{kind}\"}} {}",
                get(&self.decisions[i])
            );
        }
        family(
            w,
            "corsmatch_denials_total",
            "counter",
            "Denied CORS requests by reason.",
        );
        for (i, reason) in REASONS.iter().enumerate() {
            let _ = writeln!(
                w,
                "corsmatch_denials_total{{reason=\"{reason}\"}} {}",
                get(&self.denials[i])
            );
        }
        family(
            w,
            "corsmatch_policy_reloads_total",
            "counter",
            "Policy reloads, by result (a failed reload keeps the policy in force).",
        );
        let _ = writeln!(
            w,
            "corsmatch_policy_reloads_total{{result=\"ok\"}} {}",
            get(&self.reloads)
        );
        let _ = writeln!(
            w,
            "corsmatch_policy_reloads_total{{result=\"failed\"}} {}",
            get(&self.failed_reloads)
        );
        family(
            w,
            "corsmatch_policy_rules",
            "gauge",
            "Allowlist entries of the policy in force.",
        );
        let _ = writeln!(w, "corsmatch_policy_rules {}", get(&self.rules));
        family(
            w,
            "corsmatch_upstream_errors_total",
            "counter",
            "Requests the upstream did not answer, by cause (answered 502 or 504).",
        );
        for kind in UpstreamError::ALL {
            let _ = writeln!(
                w,
                "corsmatch_upstream_errors_total{{kind=\"{}\"}} {}",
                kind.name(),
                get(&self.upstream_errors[kind as usize])
            );
        }
        family(
            w,
            "corsmatch_responses_total",
            "counter",
            "Responses by status class.",
        );
        for (i, counter) in self.responses.iter().enumerate() {
            let _ = writeln!(
                w,
                "corsmatch_responses_total{{class=\"{}xx\"}} {}",
                i + 1,
                get(counter)
            );
        }
        family(
            w,
            "corsmatch_request_duration_seconds",
            "histogram",
            "Time from a request's arrival to its response's head.",
        );
        let mut cumulative = 0;
        for (i, counter) in self.latency.iter().enumerate() {
            cumulative += get(counter);
            let le = BUCKETS
                .get(i)
                .map_or_else(|| "+Inf".to_string(), |b| b.to_string());
            let _ = writeln!(
                w,
                "corsmatch_request_duration_seconds_bucket{{le=\"{le}\"}} {cumulative}"
            );
        }
        let _ = writeln!(
            w,
            "corsmatch_request_duration_seconds_sum {}",
            get(&self.latency_sum_nanos) as f64 / 1e9
        );
        let _ = writeln!(w, "corsmatch_request_duration_seconds_count {cumulative}");
        family(
            w,
            "corsmatch_connections",
            "gauge",
            "Client connections open.",
        );
        let _ = writeln!(w, "corsmatch_connections {}", get(&self.connections));
        out
    }
}

/// A metric family's `# HELP` and `# TYPE` lines.
fn family(w: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(w, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// A service that counts each response of the service it wraps, with its latency (to the
/// response's head), in [`Metrics`].
#[derive(Clone, Debug)]
pub struct Timed<S> {
    inner: S,
    metrics: std::sync::Arc<Metrics>,
}

impl<S> Timed<S> {
    /// `inner`, timed into `metrics`.
    pub fn new(inner: S, metrics: std::sync::Arc<Metrics>) -> Timed<S> {
        Timed { inner, metrics }
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for Timed<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = TimedFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        TimedFuture {
            started: Instant::now(),
            metrics: self.metrics.clone(),
            inner: self.inner.call(request),
        }
    }
}

pin_project! {
    /// The future of [`Timed`].
    pub struct TimedFuture<F> {
        #[pin]
        inner: F,
        started: Instant,
        metrics: std::sync::Arc<Metrics>,
    }
}

impl<F, B, E> Future for TimedFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let output = std::task::ready!(this.inner.poll(cx));
        if let Ok(response) = &output {
            this.metrics
                .responded(response.status().as_u16(), *this.started);
        }
        Poll::Ready(output)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_format_holds_every_family_and_cumulative_buckets() {
        let m = Metrics::default();
        m.decided(DecisionKind::ActualAllowed, None);
        m.decided(
            DecisionKind::PreflightDenied,
            Some(&DenyReason::OriginNotAllowed),
        );
        m.reloaded(true, 7);
        m.reloaded(false, 7);
        m.upstream_error(UpstreamError::Timeout);
        m.responded(204, Instant::now());
        m.responded(502, Instant::now() - std::time::Duration::from_secs(20));
        let text = m.render();
        for line in [
            "corsmatch_requests_total{decision=\"actual-allowed\"} 1",
            "corsmatch_requests_total{decision=\"preflight-denied\"} 1",
            "corsmatch_requests_total{decision=\"not-cors\"} 0",
            "corsmatch_denials_total{reason=\"origin-not-allowed\"} 1",
            "corsmatch_policy_reloads_total{result=\"ok\"} 1",
            "corsmatch_policy_reloads_total{result=\"failed\"} 1",
            "corsmatch_policy_rules 7",
            "corsmatch_upstream_errors_total{kind=\"timeout\"} 1",
            "corsmatch_responses_total{class=\"2xx\"} 1",
            "corsmatch_responses_total{class=\"5xx\"} 1",
            "corsmatch_request_duration_seconds_bucket{le=\"10\"} 1",
            "corsmatch_request_duration_seconds_bucket{le=\"+Inf\"} 2",
            "corsmatch_request_duration_seconds_count 2",
            "# TYPE corsmatch_request_duration_seconds histogram",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} not in\n{text}");
        }
        // Every sample line is `name{labels} value` with a number for a value.
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let value = line.rsplit(' ').next().unwrap();
            assert!(value.parse::<f64>().is_ok(), "{line}");
        }
    }
}
