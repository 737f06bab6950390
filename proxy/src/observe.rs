//! [`DecisionLog`]: the proxy's [`Observer`]. It counts every decision and writes one log line per
//! denial; allowed requests are counted, never logged.

use std::sync::Arc;

use corsmatch::tower::Observer;
use corsmatch::Decision;
use tracing::Level;

use crate::metrics::Metrics;

/// Counts decisions into [`Metrics`], and logs each denial at a chosen level (or not at all).
#[derive(Clone, Debug)]
pub struct DecisionLog {
    metrics: Arc<Metrics>,
    level: Option<Level>,
}

impl DecisionLog {
    /// Counts into `metrics`; logs denials at `level` (`None`: never).
    pub fn new(metrics: Arc<Metrics>, level: Option<Level>) -> DecisionLog {
        DecisionLog { metrics, level }
    }
}

/// Logs one denial at `$level`: the origin as received (escaped), the reason's name and text, the
/// kind of request, the method, and the allowlist entry that matched the origin (none when the
/// origin is the reason).
macro_rules! denial {
    ($level:expr, $decision:expr, $reason:expr) => {{
        let d = $decision;
        let origin = d.request().origin.unwrap_or_default();
        let matcher = d.policy().matcher();
        let rule = matcher.find(origin).map(|id| matcher.rule(id));
        tracing::event!(
            $level,
            origin = %origin.escape_ascii(),
            reason = $reason.name(),
            detail = %$reason,
            kind = d.kind().name(),
            method = %d.request().method.escape_ascii(),
            rule = rule.unwrap_or("-"),
            "CORS request denied"
        );
    }};
}

impl Observer for DecisionLog {
    fn decided(&self, decision: &Decision<'_, '_>) {
        let reason = decision.reason();
        self.metrics.decided(decision.kind(), reason.as_ref());
        let (Some(reason), Some(level)) = (reason, self.level) else {
            return;
        };
        // `tracing::event!` needs its level as a constant.
        match level {
            Level::ERROR => denial!(Level::ERROR, decision, reason),
            Level::WARN => denial!(Level::WARN, decision, reason),
            Level::INFO => denial!(Level::INFO, decision, reason),
            Level::DEBUG => denial!(Level::DEBUG, decision, reason),
            _ => denial!(Level::TRACE, decision, reason),
        }
    }
}
