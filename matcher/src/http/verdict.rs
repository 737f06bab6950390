//! [`Verdict`]: a decision about an `http` request that no longer borrows it, and [`HttpPolicy`], a
//! policy with the header values it answers with built once.

use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, Response, StatusCode};
use smallvec::SmallVec;

#[cfg(feature = "tower")]
use super::answers::Answers;
use super::{add_vary, constant, name, remove_cors_headers, RequestView, TRUE_VALUE};
use crate::policy::fetch::values;
use crate::policy::{Decision, DecisionKind, Header, Policy};

/// A [`Policy`] with the header values it answers with prepared as `HeaderValue`s, once: what the
/// `http` adapter and the tower layer decide with. Immutable, `Send + Sync`; share it in an `Arc`.
#[derive(Clone, Debug)]
pub struct HttpPolicy {
    policy: Policy,
    max_age: Option<HeaderValue>,
    expose: Option<HeaderValue>,
    /// The status of an allowed preflight's answer.
    preflight_status: StatusCode,
    /// The answers to preflights, prepared (for the tower layer).
    #[cfg(feature = "tower")]
    pub(super) answers: Answers,
}

/// A `HeaderValue` whose clones are reference counts: built from the bytes, then cloned once, which
/// turns its buffer into a shared one (`bytes`' promotion) before any request sees it.
fn shared_value(bytes: &[u8]) -> Option<HeaderValue> {
    let value = HeaderValue::from_bytes(bytes).ok()?;
    drop(value.clone());
    Some(value)
}

impl HttpPolicy {
    /// Prepares `policy`'s values.
    #[must_use]
    pub fn new(policy: Policy) -> HttpPolicy {
        #[allow(unused_mut)]
        let mut http = HttpPolicy {
            max_age: policy.max_age_value().and_then(shared_value),
            expose: policy.expose_value().and_then(shared_value),
            // Validated: always a 2xx.
            preflight_status: StatusCode::from_u16(policy.preflight_status())
                .unwrap_or(StatusCode::NO_CONTENT),
            #[cfg(feature = "tower")]
            answers: Answers::default(),
            policy,
        };
        #[cfg(feature = "tower")]
        {
            http.answers = Answers::new(&http);
        }
        http
    }

    /// The policy.
    #[must_use]
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Decides the request made of `method` and `headers`, once, and detaches the decision from it.
    #[must_use]
    pub fn decide(&self, method: &Method, headers: &HeaderMap) -> Verdict {
        let mut view = RequestView::empty(method);
        view.read_for_decision(headers);
        let decision = self.policy.evaluate(&view.request());
        Verdict::new(&view, &decision, self)
    }

    /// The status of a preflight's answer.
    pub(super) fn status(&self, kind: DecisionKind) -> StatusCode {
        if kind == DecisionKind::PreflightAllowed {
            self.preflight_status
        } else {
            StatusCode::FORBIDDEN
        }
    }

    /// The value of the header `id` that a decision about `view`'s request, made with this policy,
    /// gives as `bytes`: echoed request values are clones of the request's own (the same bytes in
    /// memory), the policy's values clones of the ones built once, constants statics; anything
    /// else (a decision about another request) a copy.
    pub(super) fn value(
        &self,
        view: &RequestView<'_>,
        id: u8,
        bytes: &[u8],
    ) -> Option<HeaderValue> {
        let same = |v: &&HeaderValue| core::ptr::eq(v.as_bytes(), bytes);
        let value = match id {
            Header::ALLOW_ORIGIN => view.origin.filter(same).cloned(),
            Header::ALLOW_METHODS => view.request_method.filter(same).cloned(),
            Header::ALLOW_HEADERS => view.line_values[..view.line_count]
                .iter()
                .copied()
                .find(same)
                .cloned(),
            Header::MAX_AGE => self.max_age.clone(),
            Header::EXPOSE_HEADERS => self.expose.clone(),
            _ => None,
        };
        value
            .or_else(|| constant(bytes).cloned())
            .or_else(|| HeaderValue::from_bytes(bytes).ok())
    }
}

impl From<Policy> for HttpPolicy {
    fn from(policy: Policy) -> HttpPolicy {
        HttpPolicy::new(policy)
    }
}

/// The headers a verdict sets with a value of their own (every one but the constants and `Vary`), as
/// [`Header`] bits and values, in order: inline up to four (an allowed preflight echoing one
/// request-header line with a max age; an allowed actual request needs two).
type Headers = SmallVec<[(u8, HeaderValue); 4]>;

/// The headers whose value is always `true`.
const TRUE_HEADERS: u8 = Header::ALLOW_CREDENTIALS | Header::ALLOW_PRIVATE_NETWORK;

/// A decision about an `http` request, detached from the request. `Send + Sync + 'static`.
///
/// A tower service decides a request and then moves the request into the inner service, so the
/// decision, which borrows the request's header bytes, cannot wait for the response. A `Verdict` keeps
/// only what the response needs: the kind, the status of a preflight answer, and each header to set.
/// Echoed request values (the origin, the requested method and header lines) are clones of the
/// request's own `HeaderValue`s, a reference count when they share their buffer, as `hyper`'s do;
/// `true`, `*` and the `Vary` values are statics; `Access-Control-Max-Age` and `-Expose-Headers` are
/// clones of values [`HttpPolicy`] built once. Making one allocates nothing but for a preflight
/// echoing several `Access-Control-Request-Headers` lines, and the header names come from the
/// decision's header ids, not from comparing strings.
#[derive(Clone, Debug)]
pub struct Verdict {
    kind: DecisionKind,
    reason: Option<&'static str>,
    status: Option<StatusCode>,
    /// The headers set to `true` ([`TRUE_HEADERS`] bits).
    trues: u8,
    headers: Headers,
    vary: Option<&'static HeaderValue>,
}

impl Verdict {
    /// Detaches `decision`, a decision about `view`'s request made with `policy`.
    #[must_use]
    pub fn new(
        view: &RequestView<'_>,
        decision: &Decision<'_, '_>,
        policy: &HttpPolicy,
    ) -> Verdict {
        let mut headers = Headers::new();
        let mut trues = 0;
        let mut vary = None;
        let mut all = decision.headers();
        while let Some((id, bytes)) = all.next_header() {
            if id == Header::VARY {
                vary = constant(bytes);
            } else if id & TRUE_HEADERS != 0 && bytes == values::TRUE.as_bytes() {
                trues |= id;
            } else if let Some(value) = policy.value(view, id, bytes) {
                headers.push((id, value));
            }
        }
        Verdict {
            kind: decision.kind(),
            reason: decision.reason().map(|r| r.name()),
            status: decision
                .kind()
                .is_preflight()
                .then(|| policy.status(decision.kind())),
            trues,
            headers,
            vary,
        }
    }

    /// Appends the verdict's headers, `Vary` aside, in the decision's order.
    fn append_to(self, headers: &mut HeaderMap) {
        let mut trues = self.trues;
        let mut append_trues_before = |headers: &mut HeaderMap, id: u8| {
            while trues != 0 && trues.trailing_zeros() < id.trailing_zeros() {
                let header = trues & trues.wrapping_neg();
                trues ^= header;
                headers.append(name(header), TRUE_VALUE.clone());
            }
        };
        for (id, value) in self.headers {
            append_trues_before(headers, id);
            headers.append(name(id), value);
        }
        append_trues_before(headers, Header::VARY);
    }

    /// The kind of decision.
    #[must_use]
    pub fn kind(&self) -> DecisionKind {
        self.kind
    }

    /// Whether the request is allowed (an allowed preflight or actual request).
    #[must_use]
    pub fn is_allowed(&self) -> bool {
        matches!(
            self.kind,
            DecisionKind::PreflightAllowed | DecisionKind::ActualAllowed
        )
    }

    /// The name of the reason a request was denied (`DenyReason::name`), for denials.
    #[must_use]
    pub fn reason(&self) -> Option<&'static str> {
        self.reason
    }

    /// The status to answer a preflight with; `None` for a request to pass on.
    #[must_use]
    pub fn status(&self) -> Option<StatusCode> {
        self.status
    }

    /// Sets the verdict's headers on a response's `headers`, as [`super::apply`] does: the upstream's
    /// CORS headers removed, the verdict's set, its `Vary` tokens merged.
    pub fn apply(self, headers: &mut HeaderMap) {
        remove_cors_headers(headers);
        let vary = self.vary;
        headers.reserve(self.len() + usize::from(vary.is_some()));
        self.append_to(headers);
        if let Some(vary) = vary {
            add_vary(headers, vary.as_bytes(), Some(vary.clone()));
        }
    }

    /// The answer to a preflight, with an empty body of type `B`; `None` when the verdict is not about
    /// a preflight (its [`Verdict::status`] is `None`: the request is to be passed on).
    #[must_use]
    pub fn into_preflight_response<B: Default>(self) -> Option<Response<B>> {
        let status = self.status?;
        let mut response = Response::new(B::default());
        *response.status_mut() = status;
        let headers = response.headers_mut();
        // One allocation for the map's size, not one per header.
        headers.reserve(self.len() + 1);
        let vary = self.vary;
        self.append_to(headers);
        if let Some(vary) = vary {
            headers.append(header::VARY, vary.clone());
        }
        Some(response)
    }

    /// How many headers the verdict sets, `Vary` aside.
    fn len(&self) -> usize {
        self.headers.len() + self.trues.count_ones() as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::PolicyConfig;

    fn policy() -> HttpPolicy {
        HttpPolicy::new(
            Policy::new(
                &PolicyConfig::new(["https://app.example.com"])
                    .methods(["PUT"])
                    .request_headers(["content-type"])
                    .expose_headers(["x-request-id"])
                    .credentials(true)
                    .max_age(600),
            )
            .unwrap(),
        )
    }

    fn request(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (n, v) in pairs {
            headers.append(
                http::HeaderName::from_bytes(n.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        headers
    }

    #[test]
    fn a_preflight_is_answered_with_the_same_headers_as_the_borrowing_path() {
        let p = policy();
        let headers = request(&[
            ("origin", "https://app.example.com"),
            ("access-control-request-method", "PUT"),
            ("access-control-request-headers", "content-type"),
        ]);
        let verdict = p.decide(&Method::OPTIONS, &headers);
        assert_eq!(verdict.kind(), DecisionKind::PreflightAllowed);
        assert_eq!(verdict.status(), Some(StatusCode::NO_CONTENT));
        let detached: Response<()> = verdict.into_preflight_response().unwrap();
        let view = RequestView::new(&Method::OPTIONS, &headers);
        let borrowed = view
            .preflight_response(&p.policy().evaluate(&view.request()))
            .unwrap();
        assert_eq!(detached.status(), borrowed.status());
        assert_eq!(detached.headers(), borrowed.headers());
        assert_eq!(detached.headers()["access-control-max-age"], "600");
    }

    #[test]
    fn an_actual_request_keeps_the_upstream_vary_and_replaces_its_cors_headers() {
        let p = policy();
        let headers = request(&[("origin", "https://app.example.com")]);
        let verdict = p.decide(&Method::GET, &headers);
        assert_eq!(verdict.status(), None);
        assert!(verdict.clone().into_preflight_response::<()>().is_none());
        let mut upstream = request(&[
            ("vary", "Accept-Encoding"),
            ("access-control-allow-origin", "*"),
            ("content-type", "text/plain"),
        ]);
        verdict.apply(&mut upstream);
        assert_eq!(
            upstream.get_all("vary").iter().collect::<Vec<_>>(),
            ["Accept-Encoding", "Origin"]
        );
        assert_eq!(
            upstream
                .get_all("access-control-allow-origin")
                .iter()
                .collect::<Vec<_>>(),
            ["https://app.example.com"]
        );
        assert_eq!(upstream["access-control-expose-headers"], "x-request-id");
        assert_eq!(upstream["access-control-allow-credentials"], "true");
    }

    #[test]
    fn a_denial_keeps_its_reason_and_sets_only_vary() {
        let p = policy();
        let headers = request(&[("origin", "https://evil.example")]);
        let verdict = p.decide(&Method::GET, &headers);
        assert_eq!(verdict.reason(), Some("origin-not-allowed"));
        let mut upstream = HeaderMap::new();
        verdict.apply(&mut upstream);
        assert_eq!(upstream.len(), 1);
        assert_eq!(upstream["vary"], "Origin");
    }

    #[test]
    fn verdicts_outlive_the_request_and_cross_threads() {
        fn send_sync_static<T: Send + Sync + 'static>(_: &T) {}
        let p = policy();
        let verdict = {
            let headers = request(&[("origin", "https://app.example.com")]);
            p.decide(&Method::GET, &headers)
        };
        send_sync_static(&verdict);
        assert!(verdict.is_allowed());
    }
}
