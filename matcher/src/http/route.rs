//! What the tower layer does with a request (feature `tower`): [`HttpPolicy::route`] answers a
//! preflight at once, from the prepared answers ([`super::answers`]), while the request's header
//! values are at hand, and detaches what the response of any other request needs into a [`Pass`],
//! smaller than a [`Verdict`] and applied without a loop.

use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, Response};

use super::verdict::{constant, name, HttpPolicy, Verdict, TRUE_VALUE};
use super::{add_vary, remove_cors_headers, RequestView, ALLOW_PRIVATE_NETWORK};
use crate::policy::fetch::values;
use crate::policy::{Decision, Header};

/// What the tower layer does with a request: answer it (a preflight), or pass it on and apply the
/// decision to the response.
pub(crate) enum Route<B> {
    /// The answer to a preflight.
    Answer(Response<B>),
    /// What to set on the response of a request passed on.
    PassOn(Pass),
}

/// The headers a decision about a request that is passed on sets, detached from the request: a
/// [`Verdict`] cut down to what such a decision gives (`Access-Control-Allow-Origin`, the `true`
/// headers, `-Expose-Headers`, `Vary`), small enough to move into the response future cheaply, and
/// applied without a loop. Any other decision is kept as a whole verdict.
#[derive(Debug)]
pub(crate) enum Pass {
    /// The headers, one field each.
    Headers {
        /// The headers set to `true` (`-Allow-Credentials` and `-Allow-Private-Network`, as [`Header`] bits).
        trues: u8,
        /// `Access-Control-Allow-Origin`'s value.
        origin: Option<HeaderValue>,
        /// `Access-Control-Expose-Headers`' value.
        expose: Option<HeaderValue>,
        /// `Vary`'s value.
        vary: Option<&'static HeaderValue>,
    },
    /// Any other decision (none that [`crate::policy::Policy::evaluate`] gives a request passed on).
    Verdict(Box<Verdict>),
}

impl Pass {
    /// Detaches `decision`, a decision about `view`'s request made with `policy`.
    fn new(view: &RequestView<'_>, decision: &Decision<'_, '_>, policy: &HttpPolicy) -> Pass {
        let mut trues = 0;
        let (mut origin, mut expose, mut vary) = (None, None, None);
        let mut all = decision.headers();
        while let Some((id, bytes)) = all.next_header() {
            match id {
                Header::VARY => vary = constant(bytes),
                Header::ALLOW_CREDENTIALS | Header::ALLOW_PRIVATE_NETWORK
                    if bytes == values::TRUE.as_bytes() =>
                {
                    trues |= id;
                }
                Header::ALLOW_ORIGIN => {
                    origin = match view.origin {
                        // The request's own value, echoed.
                        Some(value) if core::ptr::eq(value.as_bytes(), bytes) => {
                            Some(value.clone())
                        }
                        _ => policy.value(view, id, bytes),
                    };
                }
                Header::EXPOSE_HEADERS => {
                    expose = policy.value(view, id, bytes);
                }
                _ => return Pass::Verdict(Box::new(Verdict::new(view, decision, policy))),
            }
        }
        Pass::Headers {
            trues,
            origin,
            expose,
            vary,
        }
    }

    /// Sets the headers on a response's `headers`, as [`Verdict::apply`] does.
    pub(crate) fn apply(self, headers: &mut HeaderMap) {
        let Pass::Headers {
            trues,
            origin,
            expose,
            vary,
        } = self
        else {
            if let Pass::Verdict(verdict) = self {
                verdict.apply(headers);
            }
            return;
        };
        remove_cors_headers(headers);
        // In the decision's order.
        if let Some(origin) = origin {
            headers.append(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        }
        if trues & Header::ALLOW_CREDENTIALS != 0 {
            headers.append(header::ACCESS_CONTROL_ALLOW_CREDENTIALS, TRUE_VALUE.clone());
        }
        if trues & Header::ALLOW_PRIVATE_NETWORK != 0 {
            headers.append(ALLOW_PRIVATE_NETWORK, TRUE_VALUE.clone());
        }
        if let Some(expose) = expose {
            headers.append(header::ACCESS_CONTROL_EXPOSE_HEADERS, expose);
        }
        if let Some(vary) = vary {
            add_vary(headers, vary.as_bytes(), Some(vary.clone()));
        }
    }
}

impl HttpPolicy {
    /// Decides the request made of `method` and `headers`: a preflight is answered at once, with
    /// the request's header values still at hand; any other request gets a verdict.
    pub(crate) fn route<B: Default>(&self, method: &Method, headers: &HeaderMap) -> Route<B> {
        let mut view = RequestView::empty(method);
        view.read_for_decision(headers);
        let decision = self.policy().evaluate(&view.request());
        if !decision.kind().is_preflight() {
            return Route::PassOn(Pass::new(&view, &decision, self));
        }
        if let Some(response) = self.answers.response(&view, &decision) {
            return Route::Answer(response);
        }
        let mut response = Response::new(B::default());
        *response.status_mut() = self.status(decision.kind());
        let headers = response.headers_mut();
        let mut all = decision.headers();
        while let Some((id, bytes)) = all.next_header() {
            if let Some(value) = self.value(&view, id, bytes) {
                headers.append(name(id), value);
            }
        }
        Route::Answer(response)
    }
}
