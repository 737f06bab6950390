//! The answers to preflights, prepared once per policy.
//!
//! An answer's headers depend on the request only through which headers the decision sets and the
//! values it echoes (the origin, the requested method, a request-header line); the rest is the
//! policy's. So [`Answers`] keeps, for each set of headers an answer can have (denied; allowed, with
//! and without an echoed `Access-Control-Request-Headers` line and `Access-Control-Allow-Private-Network`),
//! the answer (status and headers) built once from a decision about a made-up request, and where in
//! its headers each echoed value goes. Answering is then a clone of that answer (the header map's two
//! buffers, each allocated at its final size, and a reference count per value) with the echoed values
//! put in place: no header name is hashed, where appending the headers one by one hashes each and
//! probes for it.
//!
//! Answers that echo several request-header lines (browsers send one) are not prepared; the caller
//! appends their headers one by one.

use http::header::HeaderValue;
use http::{Method, Response};

use super::name;
use super::verdict::HttpPolicy;
use super::RequestView;
use crate::policy::{Decision, DecisionKind, Header, Request};

/// The made-up request's echoed values: one byte each, at distinct addresses, so that a value of
/// the decision is known to be echoed (and from where) by its address.
static MARKS: [u8; 3] = *b"omh";

/// Where an echoed value comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Echo {
    /// `Origin`.
    Origin,
    /// `Access-Control-Request-Method`.
    Method,
    /// The `Access-Control-Request-Headers` line the answer echoes.
    Line,
}

/// One prepared answer.
#[derive(Clone, Debug)]
struct Answer {
    /// The decision's header bits.
    bits: u8,
    /// The answer: its status, and its headers with empty values where the request is echoed.
    response: Response<()>,
    /// The position in the headers of each echoed value, and its source, in order.
    echoes: [(usize, Echo); 3],
    /// How many of `echoes` there are.
    echo_count: usize,
}

/// The prepared answers of one policy, by [`slot`].
#[derive(Clone, Debug, Default)]
pub(super) struct Answers {
    slots: [Option<Answer>; 5],
}

/// Where the answer to a decision of `kind` with the header bits `bits` is kept.
fn slot(kind: DecisionKind, bits: u8) -> usize {
    match kind {
        DecisionKind::PreflightAllowed => {
            1 + usize::from(bits & Header::ALLOW_HEADERS != 0)
                + 2 * usize::from(bits & Header::ALLOW_PRIVATE_NETWORK != 0)
        }
        _ => 0,
    }
}

impl Answers {
    /// The answers of `policy`.
    pub(super) fn new(policy: &HttpPolicy) -> Answers {
        let origin = &MARKS[0..1];
        let method = &MARKS[1..2];
        let line = &MARKS[2..3];
        let lines: [&[u8]; 1] = [line];
        let placeholder = HeaderValue::from_static("");
        let view = RequestView::empty(&Method::OPTIONS);
        let mut answers = Answers::default();
        for (kind, line_mask, private_network) in [
            (DecisionKind::PreflightDenied, 0, false),
            (DecisionKind::PreflightAllowed, 0, false),
            (DecisionKind::PreflightAllowed, 1, false),
            (DecisionKind::PreflightAllowed, 0, true),
            (DecisionKind::PreflightAllowed, 1, true),
        ] {
            let request = Request {
                method: b"OPTIONS",
                origin: Some(origin),
                request_method: Some(method),
                request_headers: &lines,
                private_network,
            };
            let decision = policy.policy().decision(kind, None, &request, line_mask);
            let bits = decision.header_bits();
            let mut response = Response::new(());
            *response.status_mut() = policy.status(kind);
            let mut answer = Answer {
                bits,
                response,
                echoes: [(0, Echo::Origin); 3],
                echo_count: 0,
            };
            let headers = answer.response.headers_mut();
            let mut all = decision.headers();
            let mut position = 0;
            let mut complete = true;
            while let Some((id, bytes)) = all.next_header() {
                let echo = [
                    (origin, Echo::Origin),
                    (method, Echo::Method),
                    (line, Echo::Line),
                ]
                .into_iter()
                .find(|(mark, _)| core::ptr::eq(*mark, bytes));
                let value = match echo {
                    Some((_, echo)) => {
                        // Each value is echoed once at most; anything else is not prepared.
                        if answer.echo_count == answer.echoes.len() {
                            complete = false;
                            break;
                        }
                        answer.echoes[answer.echo_count] = (position, echo);
                        answer.echo_count += 1;
                        placeholder.clone()
                    }
                    None => match policy.value(&view, id, bytes) {
                        Some(value) => value,
                        None => continue,
                    },
                };
                headers.append(name(id), value);
                position += 1;
            }
            // Without the Private Network Access header, a policy that does not opt in answers
            // as if it had not been asked: the same bits, in the slot without it.
            let at = slot(kind, bits);
            if complete && answers.slots[at].is_none() {
                answers.slots[at] = Some(answer);
            }
        }
        answers
    }

    /// The answer to `decision`, a decision about `view`'s request, if prepared.
    pub(super) fn response<B: Default>(
        &self,
        view: &RequestView<'_>,
        decision: &Decision<'_, '_>,
    ) -> Option<Response<B>> {
        let lines = decision.echoed_lines();
        if lines.count_ones() > 1 {
            return None;
        }
        let (kind, bits) = (decision.kind(), decision.header_bits());
        let answer = self.slots[slot(kind, bits)]
            .as_ref()
            .filter(|a| a.bits == bits)?;
        let line = lines.trailing_zeros() as usize;
        let value = |echo: Echo| match echo {
            Echo::Origin => view.origin,
            Echo::Method => view.request_method,
            Echo::Line => view.line_values[..view.line_count].get(line).copied(),
        };
        let echoes = &answer.echoes[..answer.echo_count];
        if echoes.iter().any(|&(_, echo)| value(echo).is_none()) {
            return None;
        }
        let mut response = answer.response.clone();
        let mut echoes = echoes.iter();
        let mut next = echoes.next();
        for (position, slot) in response.headers_mut().values_mut().enumerate() {
            let Some(&(at, echo)) = next else {
                break;
            };
            if position == at {
                if let Some(value) = value(echo) {
                    *slot = value.clone();
                }
                next = echoes.next();
            }
        }
        Some(response.map(|()| B::default()))
    }
}
