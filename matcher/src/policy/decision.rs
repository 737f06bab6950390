//! Evaluating one request: bytes in, decision and response headers out, without allocating.

use core::fmt;

use super::fetch::{self, names};
use super::request_headers::{self, Allowed, CheckError};
use super::{Names, Policy};
use crate::origin::{self, OriginError};

/// The parts of a request that CORS looks at, as borrowed header bytes.
#[derive(Clone, Copy, Debug, Default)]
pub struct Request<'r> {
    /// The request method, exactly as received.
    pub method: &'r [u8],
    /// The `Origin` header, if present.
    pub origin: Option<&'r [u8]>,
    /// The `Access-Control-Request-Method` header, if present.
    pub request_method: Option<&'r [u8]>,
    /// Every `Access-Control-Request-Headers` line, in order.
    pub request_headers: &'r [&'r [u8]],
    /// Whether `Access-Control-Request-Private-Network: true` was sent.
    pub private_network: bool,
}

/// The kind of a [`Decision`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DecisionKind {
    /// No `Origin`: not a CORS request.
    NotCors,
    /// An allowed preflight: answer it with the configured status and the CORS headers.
    PreflightAllowed,
    /// A denied preflight: answer 403 without CORS headers.
    PreflightDenied,
    /// An allowed actual request: pass it on and add the CORS headers to the response.
    ActualAllowed,
    /// An actual request from an origin that is not allowed: pass it on without CORS headers.
    ActualDenied,
}

impl DecisionKind {
    /// A short stable name (kebab-case), as in `corpus/cases/decisions-*.toml`.
    pub fn name(self) -> &'static str {
        match self {
            DecisionKind::NotCors => "not-cors",
            DecisionKind::PreflightAllowed => "preflight-allowed",
            DecisionKind::PreflightDenied => "preflight-denied",
            DecisionKind::ActualAllowed => "actual-allowed",
            DecisionKind::ActualDenied => "actual-denied",
        }
    }

    /// Whether this is a preflight.
    pub fn is_preflight(self) -> bool {
        matches!(
            self,
            DecisionKind::PreflightAllowed | DecisionKind::PreflightDenied
        )
    }
}

/// Why a request was denied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DenyReason<'r> {
    /// The `Origin` value is not a serialized origin.
    MalformedOrigin(OriginError),
    /// No allowlist entry matches the origin.
    OriginNotAllowed,
    /// `Access-Control-Request-Method` is not a token.
    MalformedMethod,
    /// The requested method is not allowed.
    MethodNotAllowed(&'r [u8]),
    /// `Access-Control-Request-Headers` is not a list of tokens.
    MalformedHeaderList,
    /// This requested header is not allowed.
    HeaderNotAllowed(&'r [u8]),
    /// `Access-Control-Request-Headers` is over the limits of [`super::request_headers`].
    HeaderListTooLarge,
    /// A Private Network Access preflight, and the policy does not opt in.
    PrivateNetworkNotAllowed,
}

impl DenyReason<'_> {
    /// A short stable name (kebab-case), for logs and `corpus/cases/decisions-*.toml`.
    pub fn name(&self) -> &'static str {
        match self {
            DenyReason::MalformedOrigin(_) => "malformed-origin",
            DenyReason::OriginNotAllowed => "origin-not-allowed",
            DenyReason::MalformedMethod => "malformed-method",
            DenyReason::MethodNotAllowed(_) => "method-not-allowed",
            DenyReason::MalformedHeaderList => "malformed-header-list",
            DenyReason::HeaderNotAllowed(_) => "header-not-allowed",
            DenyReason::HeaderListTooLarge => "header-list-too-large",
            DenyReason::PrivateNetworkNotAllowed => "private-network-not-allowed",
        }
    }
}

impl fmt::Display for DenyReason<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DenyReason::MalformedOrigin(e) => {
                write!(f, "the Origin header is not a serialized origin: {e}")
            }
            DenyReason::OriginNotAllowed => f.write_str("the origin is not in the allowlist"),
            DenyReason::MalformedMethod => {
                f.write_str("Access-Control-Request-Method is not a method name")
            }
            DenyReason::MethodNotAllowed(m) => {
                write!(f, "method `{}` is not allowed", m.escape_ascii())
            }
            DenyReason::MalformedHeaderList => f.write_str(
                "Access-Control-Request-Headers is not a comma-separated list of header names",
            ),
            DenyReason::HeaderNotAllowed(h) => {
                write!(f, "request header `{}` is not allowed", h.escape_ascii())
            }
            DenyReason::HeaderListTooLarge => {
                f.write_str("Access-Control-Request-Headers is over the size limits")
            }
            DenyReason::PrivateNetworkNotAllowed => {
                f.write_str("private network access is not allowed")
            }
        }
    }
}

/// The answer to one request. Borrows the policy (`'p`) and the request (`'r`).
#[derive(Clone, Copy, Debug)]
pub struct Decision<'p, 'r> {
    kind: DecisionKind,
    reason: Option<DenyReason<'r>>,
    policy: &'p Policy,
    request: Request<'r>,
}

/// `Vary` values.
const VARY_ORIGIN: &[u8] = b"Origin";
const VARY_PREFLIGHT: &[u8] =
    b"Origin, Access-Control-Request-Method, Access-Control-Request-Headers";
const VARY_PREFLIGHT_ANY: &[u8] = b"Access-Control-Request-Method, Access-Control-Request-Headers";

impl Policy {
    /// Decides `request`. Allocation-free; linear in the size of the request's CORS headers, which are
    /// bounded (see [`super::request_headers`]).
    pub fn evaluate<'p, 'r>(&'p self, request: &Request<'r>) -> Decision<'p, 'r> {
        let (kind, reason) = self.decide(request);
        Decision {
            kind,
            reason,
            policy: self,
            request: *request,
        }
    }

    fn decide<'r>(&self, req: &Request<'r>) -> (DecisionKind, Option<DenyReason<'r>>) {
        let Some(origin) = req.origin else {
            return (DecisionKind::NotCors, None);
        };
        // Fetch §4.8: a preflight is an OPTIONS request with Access-Control-Request-Method.
        let preflight = req.method == b"OPTIONS" && req.request_method.is_some();
        let (allowed, denied) = if preflight {
            (
                DecisionKind::PreflightAllowed,
                DecisionKind::PreflightDenied,
            )
        } else {
            (DecisionKind::ActualAllowed, DecisionKind::ActualDenied)
        };
        if !self.matcher.matches(origin) {
            let reason = match origin::parse(origin) {
                Err(e) => DenyReason::MalformedOrigin(e),
                Ok(_) => DenyReason::OriginNotAllowed,
            };
            return (denied, Some(reason));
        }
        if !preflight {
            return (allowed, None);
        }
        match self.check_preflight(req) {
            Ok(()) => (allowed, None),
            Err(reason) => (denied, Some(reason)),
        }
    }

    fn check_preflight<'r>(&self, req: &Request<'r>) -> Result<(), DenyReason<'r>> {
        let method = req.request_method.unwrap_or_default();
        if !fetch::is_token(method) {
            return Err(DenyReason::MalformedMethod);
        }
        let method_ok = fetch::is_safelisted_method(method)
            || match &self.methods {
                Names::Any => true,
                Names::List(list) => list.iter().any(|m| **m == *method),
            };
        if !method_ok {
            return Err(DenyReason::MethodNotAllowed(method));
        }
        let allowed = match &self.request_headers {
            Names::Any => Allowed::AnyButAuthorization,
            Names::List(list) => Allowed::List(list),
        };
        request_headers::check(req.request_headers, allowed).map_err(|e| match e {
            CheckError::TooLarge => DenyReason::HeaderListTooLarge,
            CheckError::Malformed => DenyReason::MalformedHeaderList,
            CheckError::NotAllowed(name) => DenyReason::HeaderNotAllowed(name),
        })?;
        if req.private_network && !self.private_network {
            return Err(DenyReason::PrivateNetworkNotAllowed);
        }
        Ok(())
    }
}

impl<'p, 'r> Decision<'p, 'r> {
    /// The kind of decision.
    pub fn kind(&self) -> DecisionKind {
        self.kind
    }

    /// Why the request was denied, for denials.
    pub fn reason(&self) -> Option<DenyReason<'r>> {
        self.reason
    }

    /// Whether the request is allowed (an allowed preflight or actual request).
    pub fn is_allowed(&self) -> bool {
        matches!(
            self.kind,
            DecisionKind::PreflightAllowed | DecisionKind::ActualAllowed
        )
    }

    /// The status to answer a preflight with; `None` for requests that are passed on.
    pub fn status(&self) -> Option<u16> {
        match self.kind {
            DecisionKind::PreflightAllowed => Some(self.policy.preflight_status),
            DecisionKind::PreflightDenied => Some(403),
            _ => None,
        }
    }

    /// The response headers to set, as `(lowercase name, value)`: values borrow the request or the
    /// policy. `Access-Control-Allow-Headers` may come once per request line.
    pub fn headers(&self) -> ResponseHeaders<'p, 'r> {
        ResponseHeaders {
            decision: *self,
            step: 0,
            line: 0,
        }
    }
}

/// The response headers of a [`Decision`], in a fixed order. Allocation-free.
#[derive(Clone, Debug)]
pub struct ResponseHeaders<'p, 'r> {
    decision: Decision<'p, 'r>,
    step: u8,
    line: usize,
}

impl<'p: 'r, 'r> Iterator for ResponseHeaders<'p, 'r> {
    type Item = (&'static str, &'r [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let d = &self.decision;
        let p = d.policy;
        let req = &d.request;
        let any = p.any_origin;
        loop {
            let step = self.step;
            self.step += 1;
            let item: Option<(&'static str, &'r [u8])> = match (d.kind, step) {
                (DecisionKind::NotCors, 0) => (!any).then_some((names::VARY, VARY_ORIGIN)),
                (DecisionKind::ActualDenied, 0) => Some((names::VARY, VARY_ORIGIN)),
                (DecisionKind::PreflightDenied, 0) => Some((names::VARY, VARY_PREFLIGHT)),
                (DecisionKind::PreflightAllowed | DecisionKind::ActualAllowed, 0) => {
                    let value = if any {
                        &b"*"[..]
                    } else {
                        req.origin.unwrap_or_default()
                    };
                    Some((names::ALLOW_ORIGIN, value))
                }
                (DecisionKind::PreflightAllowed | DecisionKind::ActualAllowed, 1) => p
                    .credentials
                    .then_some((names::ALLOW_CREDENTIALS, &b"true"[..])),
                (DecisionKind::PreflightAllowed, 2) => {
                    Some((names::ALLOW_METHODS, req.request_method.unwrap_or_default()))
                }
                (DecisionKind::PreflightAllowed, 3) => {
                    // One header per line that holds a name; lines of empty elements are not echoed.
                    let lines = req.request_headers;
                    while self.line < lines.len() && !holds_name(lines[self.line]) {
                        self.line += 1;
                    }
                    if self.line < lines.len() {
                        self.step = 3; // come back for the next line
                        self.line += 1;
                        Some((names::ALLOW_HEADERS, lines[self.line - 1]))
                    } else {
                        None
                    }
                }
                (DecisionKind::PreflightAllowed, 4) => {
                    p.max_age.as_deref().map(|v| (names::MAX_AGE, v))
                }
                (DecisionKind::PreflightAllowed, 5) => (req.private_network && p.private_network)
                    .then_some((names::ALLOW_PRIVATE_NETWORK, &b"true"[..])),
                (DecisionKind::PreflightAllowed, 6) => Some((
                    names::VARY,
                    if any {
                        VARY_PREFLIGHT_ANY
                    } else {
                        VARY_PREFLIGHT
                    },
                )),
                (DecisionKind::ActualAllowed, 2) => {
                    p.expose.as_deref().map(|v| (names::EXPOSE_HEADERS, v))
                }
                (DecisionKind::ActualAllowed, 3) => (!any).then_some((names::VARY, VARY_ORIGIN)),
                _ => return None,
            };
            if item.is_some() {
                return item;
            }
        }
    }
}

/// Whether a (validated) header line holds at least one non-empty element.
fn holds_name(line: &[u8]) -> bool {
    line.iter().any(|&b| !matches!(b, b',' | b' ' | b'\t'))
}
