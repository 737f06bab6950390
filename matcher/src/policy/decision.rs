//! Evaluating one request: bytes in, decision and response headers out, without allocating.

use core::fmt;

use super::fetch::values::{ANY, TRUE, VARY_ORIGIN, VARY_PREFLIGHT, VARY_PREFLIGHT_ANY};
use super::fetch::{self, names};
use super::request_headers::{self, Allowed, CheckError, LinesWithNames};
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
#[non_exhaustive]
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
#[non_exhaustive]
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
    /// `Access-Control-Request-Headers` is over the limits: 16 lines, 4096 bytes, 64 elements.
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
    /// The response headers to set ([`Header`] bits), worked out once.
    headers: u8,
    /// The request's `Access-Control-Request-Headers` lines that hold a name (bit `i` for line `i`),
    /// for an allowed preflight.
    lines: LinesWithNames,
}

/// The response headers, as bits of [`Decision::headers`], in the order they are produced. The
/// adapters read them through [`ResponseHeaders::next_header`], so that they can map a header to
/// their own name type without comparing strings.
pub(crate) struct Header;

impl Header {
    pub(crate) const ALLOW_ORIGIN: u8 = 1 << 0;
    pub(crate) const ALLOW_CREDENTIALS: u8 = 1 << 1;
    pub(crate) const ALLOW_METHODS: u8 = 1 << 2;
    pub(crate) const ALLOW_HEADERS: u8 = 1 << 3;
    pub(crate) const MAX_AGE: u8 = 1 << 4;
    pub(crate) const ALLOW_PRIVATE_NETWORK: u8 = 1 << 5;
    pub(crate) const EXPOSE_HEADERS: u8 = 1 << 6;
    pub(crate) const VARY: u8 = 1 << 7;

    /// The lowercase name of `header` (one bit).
    pub(crate) fn name(header: u8) -> &'static str {
        match header {
            Header::ALLOW_ORIGIN => names::ALLOW_ORIGIN,
            Header::ALLOW_CREDENTIALS => names::ALLOW_CREDENTIALS,
            Header::ALLOW_METHODS => names::ALLOW_METHODS,
            Header::ALLOW_HEADERS => names::ALLOW_HEADERS,
            Header::MAX_AGE => names::MAX_AGE,
            Header::ALLOW_PRIVATE_NETWORK => names::ALLOW_PRIVATE_NETWORK,
            Header::EXPOSE_HEADERS => names::EXPOSE_HEADERS,
            _ => names::VARY,
        }
    }
}

impl Policy {
    /// Decides `request`. Allocation-free; linear in the size of the request's CORS headers, which are
    /// bounded (16 lines, 4096 bytes, 64 elements, checked before any element is read).
    #[must_use]
    pub fn evaluate<'p, 'r>(&'p self, request: &Request<'r>) -> Decision<'p, 'r> {
        let (kind, reason, lines) = self.decide(request);
        self.decision(kind, reason, request, lines)
    }

    /// The decision of `kind` (for `reason`) about `request`, echoing the request-header `lines`,
    /// with the response headers worked out as [`Policy::evaluate`] does. The `http` adapter also
    /// calls it with made-up requests, for the answers it prepares once.
    pub(crate) fn decision<'p, 'r>(
        &'p self,
        kind: DecisionKind,
        reason: Option<DenyReason<'r>>,
        request: &Request<'r>,
        lines: LinesWithNames,
    ) -> Decision<'p, 'r> {
        let when = |cond: bool, header: u8| if cond { header } else { 0 };
        let any = self.any_origin;
        let headers = match kind {
            DecisionKind::NotCors => when(!any, Header::VARY),
            DecisionKind::ActualDenied | DecisionKind::PreflightDenied => Header::VARY,
            DecisionKind::PreflightAllowed => {
                Header::ALLOW_ORIGIN
                    | when(self.credentials, Header::ALLOW_CREDENTIALS)
                    | Header::ALLOW_METHODS
                    | when(lines != 0, Header::ALLOW_HEADERS)
                    | when(self.max_age.is_some(), Header::MAX_AGE)
                    | when(
                        request.private_network && self.private_network,
                        Header::ALLOW_PRIVATE_NETWORK,
                    )
                    | Header::VARY
            }
            DecisionKind::ActualAllowed => {
                Header::ALLOW_ORIGIN
                    | when(self.credentials, Header::ALLOW_CREDENTIALS)
                    | when(self.expose.is_some(), Header::EXPOSE_HEADERS)
                    | when(!any, Header::VARY)
            }
        };
        Decision {
            kind,
            reason,
            policy: self,
            request: *request,
            headers,
            lines,
        }
    }

    fn decide<'r>(
        &self,
        req: &Request<'r>,
    ) -> (DecisionKind, Option<DenyReason<'r>>, LinesWithNames) {
        let Some(origin) = req.origin else {
            return (DecisionKind::NotCors, None, 0);
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
            return (denied, Some(reason), 0);
        }
        if !preflight {
            return (allowed, None, 0);
        }
        match self.check_preflight(req) {
            Ok(lines) => (allowed, None, lines),
            Err(reason) => (denied, Some(reason), 0),
        }
    }

    /// The checks of a preflight from an allowed origin; on success, the request-header lines that
    /// hold a name.
    fn check_preflight<'r>(&self, req: &Request<'r>) -> Result<LinesWithNames, DenyReason<'r>> {
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
            None if self.any_header_and_authorization => Allowed::Any,
            None => Allowed::AnyButAuthorization,
            Some(names) => Allowed::List(names),
        };
        let lines = request_headers::check(req.request_headers, allowed).map_err(|e| match e {
            CheckError::TooLarge => DenyReason::HeaderListTooLarge,
            CheckError::Malformed => DenyReason::MalformedHeaderList,
            CheckError::NotAllowed(name) => DenyReason::HeaderNotAllowed(name),
        })?;
        if req.private_network && !self.private_network {
            return Err(DenyReason::PrivateNetworkNotAllowed);
        }
        Ok(lines)
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

    /// The request decided.
    pub fn request(&self) -> &Request<'r> {
        &self.request
    }

    /// The policy that decided it: for instance to find, for a log line, the allowlist entry that
    /// matched the origin ([`crate::OriginMatcher::find`]), which the decision itself does not look up.
    pub fn policy(&self) -> &'p Policy {
        self.policy
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

    /// The response headers to set, as [`Header`] bits.
    #[cfg(feature = "tower")]
    pub(crate) fn header_bits(&self) -> u8 {
        self.headers
    }

    /// The request-header lines the response echoes in `Access-Control-Allow-Headers` (bit `i` for
    /// line `i`: the lines that hold a name, for an allowed preflight).
    #[cfg(feature = "tower")]
    pub(crate) fn echoed_lines(&self) -> LinesWithNames {
        self.lines
    }

    /// The response headers to set, as `(lowercase name, value)`: values borrow the request or the
    /// policy. `Access-Control-Allow-Headers` may come once per request line.
    pub fn headers(&self) -> ResponseHeaders<'p, 'r> {
        ResponseHeaders {
            decision: *self,
            headers: self.headers,
            lines: self.lines,
        }
    }
}

/// The response headers of a [`Decision`], in a fixed order. Allocation-free.
#[derive(Clone, Debug)]
pub struct ResponseHeaders<'p, 'r> {
    decision: Decision<'p, 'r>,
    /// The headers still to produce ([`Header`] bits).
    headers: u8,
    /// The request-header lines still to echo.
    lines: LinesWithNames,
}

impl<'p: 'r, 'r> ResponseHeaders<'p, 'r> {
    /// The next header as its [`Header`] bit and value.
    #[inline]
    pub(crate) fn next_header(&mut self) -> Option<(u8, &'r [u8])> {
        if self.headers == 0 {
            return None;
        }
        let header = self.headers & self.headers.wrapping_neg();
        let d = &self.decision;
        let p = d.policy;
        let req = &d.request;
        if header == Header::ALLOW_HEADERS {
            // One header per line that holds a name; lines of empty elements are not echoed.
            let line = self.lines.trailing_zeros() as usize;
            self.lines &= self.lines - 1;
            if self.lines == 0 {
                self.headers ^= header;
            }
            return Some((header, req.request_headers[line]));
        }
        self.headers ^= header;
        let value = match header {
            Header::ALLOW_ORIGIN => {
                if p.any_origin {
                    ANY.as_bytes()
                } else {
                    req.origin.unwrap_or_default()
                }
            }
            Header::ALLOW_CREDENTIALS | Header::ALLOW_PRIVATE_NETWORK => TRUE.as_bytes(),
            Header::ALLOW_METHODS => req.request_method.unwrap_or_default(),
            Header::MAX_AGE => p.max_age.as_deref().unwrap_or_default(),
            Header::EXPOSE_HEADERS => p.expose.as_deref().unwrap_or_default(),
            _ => {
                let vary = match d.kind {
                    DecisionKind::PreflightAllowed if p.any_origin => VARY_PREFLIGHT_ANY,
                    DecisionKind::PreflightAllowed | DecisionKind::PreflightDenied => {
                        VARY_PREFLIGHT
                    }
                    _ => VARY_ORIGIN,
                };
                vary.as_bytes()
            }
        };
        Some((header, value))
    }
}

impl<'p: 'r, 'r> Iterator for ResponseHeaders<'p, 'r> {
    type Item = (&'static str, &'r [u8]);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        self.next_header()
            .map(|(header, value)| (Header::name(header), value))
    }
}
