//! What the tower layer does with a request (feature `tower`): [`HttpPolicy::route`] answers a
//! preflight at once, from the prepared answers ([`super::answers`]), while the request's header
//! values are at hand, and detaches what the response of any other request needs into a [`Pass`],
//! smaller than a [`Verdict`] and applied without a loop.

use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, Response};

use super::verdict::{HttpPolicy, Verdict};
use super::{
    add_vary, constant, name, remove_cors_headers, RequestView, ALLOW_PRIVATE_NETWORK, TRUE_VALUE,
};
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
    /// Decides the request made of `method` and `headers`, once: a preflight is answered at once,
    /// while the request's header values are at hand (from its prepared answer when there is one,
    /// else header by header); any other request gets the [`Pass`] for its response. The answers
    /// and headers are [`Verdict`]'s for the same decision.
    /// `observe` sees the decision first.
    pub(crate) fn route<B: Default>(
        &self,
        method: &Method,
        headers: &HeaderMap,
        observe: impl FnOnce(&Decision<'_, '_>),
    ) -> Route<B> {
        let mut view = RequestView::empty(method);
        view.read_for_decision(headers);
        let decision = self.policy().evaluate(&view.request());
        observe(&decision);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{Policy, PolicyConfig};

    /// Policies that differ in every way the answers depend on.
    fn policies() -> Vec<HttpPolicy> {
        let base = |origins: &[&str]| PolicyConfig::new(origins.to_vec());
        [
            base(&["https://app.example.com"])
                .methods(["PUT"])
                .request_headers(["content-type", "x-request-id"])
                .expose_headers(["x-request-id"])
                .credentials(true)
                .max_age(600)
                .private_network(true),
            base(&["https://app.example.com"]).methods(["PUT"]),
            base(&["*"])
                .methods(["*"])
                .request_headers(["*"])
                .preflight_status(200),
        ]
        .iter()
        .map(|config| HttpPolicy::new(Policy::new(config).unwrap()))
        .collect()
    }

    /// Requests of every kind: preflights allowed and denied, with none, one and several
    /// request-header lines, with Private Network Access; a plain `OPTIONS`; actual requests allowed,
    /// denied and without `Origin`.
    fn requests() -> Vec<(Method, HeaderMap)> {
        let map = |pairs: &[(&str, &str)]| {
            let mut headers = HeaderMap::new();
            for (name, value) in pairs {
                headers.append(
                    http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                    value.parse().unwrap(),
                );
            }
            headers
        };
        let origin = ("origin", "https://app.example.com");
        let put = ("access-control-request-method", "PUT");
        let line = |l| ("access-control-request-headers", l);
        let pna = ("access-control-request-private-network", "true");
        let options = |pairs: &[(&str, &str)]| (Method::OPTIONS, map(pairs));
        vec![
            options(&[origin, put]),
            options(&[origin, put, line("content-type")]),
            options(&[origin, put, line(" , "), line("x-request-id")]),
            options(&[origin, put, line("content-type"), line("x-request-id")]),
            options(&[origin, put, line("content-type"), pna]),
            options(&[origin, put, pna]),
            options(&[origin, ("access-control-request-method", "PATCH")]),
            options(&[origin, put, line("x-other")]),
            options(&[("origin", "https://evil.example"), put]),
            options(&[origin]),
            (Method::GET, map(&[origin])),
            (Method::GET, map(&[("origin", "https://evil.example")])),
            (Method::GET, map(&[])),
            (Method::POST, map(&[origin, put, line("content-type")])),
        ]
    }

    /// Upstream responses' headers: none, a `Vary` of their own, stale CORS headers.
    fn upstreams() -> Vec<HeaderMap> {
        let mut vary = HeaderMap::new();
        vary.insert("content-type", "text/plain".parse().unwrap());
        vary.insert(header::VARY, "Accept-Encoding".parse().unwrap());
        let mut stale = vary.clone();
        stale.append(header::VARY, "origin".parse().unwrap());
        stale.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            "https://evil.example".parse().unwrap(),
        );
        stale.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            "x-secret".parse().unwrap(),
        );
        vec![HeaderMap::new(), vary, stale]
    }

    /// Every header in the map's order, as strings.
    fn all(headers: &HeaderMap) -> Vec<(String, String)> {
        headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_string()))
            .collect()
    }

    /// The layer's answers and what it sets on a response are those of the verdict, header by header
    /// and in the same order: the prepared answers (one request-header line at most) and the ones
    /// built header by header (several lines) alike.
    #[test]
    fn the_layer_answers_and_applies_as_the_verdict_does() {
        let (mut answered, mut prepared, mut passed) = (0, 0, 0);
        for policy in policies() {
            for (method, headers) in requests() {
                let verdict = policy.decide(&method, &headers);
                match policy.route::<()>(&method, &headers, |_| ()) {
                    Route::Answer(response) => {
                        let mut view = RequestView::empty(&method);
                        view.read_for_decision(&headers);
                        let decision = policy.policy().evaluate(&view.request());
                        if policy.answers.response::<()>(&view, &decision).is_some() {
                            prepared += 1;
                        }
                        let want = verdict.into_preflight_response::<()>().unwrap();
                        assert_eq!(response.status(), want.status(), "{headers:?}");
                        assert_eq!(all(response.headers()), all(want.headers()), "{headers:?}");
                        answered += 1;
                    }
                    Route::PassOn(pass) => {
                        assert_eq!(verdict.status(), None);
                        assert!(matches!(pass, Pass::Headers { .. }), "{headers:?}");
                        for upstream in upstreams() {
                            let (mut got, mut want) = (upstream.clone(), upstream);
                            match &pass {
                                Pass::Headers {
                                    trues,
                                    origin,
                                    expose,
                                    vary,
                                } => Pass::Headers {
                                    trues: *trues,
                                    origin: origin.clone(),
                                    expose: expose.clone(),
                                    vary: *vary,
                                },
                                Pass::Verdict(verdict) => Pass::Verdict(verdict.clone()),
                            }
                            .apply(&mut got);
                            verdict.clone().apply(&mut want);
                            assert_eq!(all(&got), all(&want), "{headers:?}");
                        }
                        passed += 1;
                    }
                }
            }
        }
        // Two allowed preflights echo two lines: answered header by header.
        assert_eq!((answered, prepared, passed), (27, 25, 15));
    }
}
