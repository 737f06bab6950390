//! What policy validation reports: errors, warnings and notes, each with a stable kind, the offending
//! value and how to fix it.

use core::fmt;

use crate::pattern;

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Severity {
    /// The policy is refused.
    Error,
    /// The policy is accepted, but probably not what was meant.
    Warning,
    /// A normalization that was applied.
    Note,
}

impl Severity {
    /// `error`, `warning` or `note`.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

/// What a diagnostic is about.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Kind {
    /// An allowlist entry is invalid.
    InvalidOrigin(pattern::PatternErrorKind),
    /// An allowlist entry was normalized.
    OriginNormalized(pattern::NoteKind),
    /// `*` together with credentials: every site could act as the user.
    WildcardOriginWithCredentials,
    /// `null` together with credentials: any sandboxed iframe could act as the user.
    NullOriginWithCredentials,
    /// A non-https, non-loopback origin together with credentials.
    InsecureOriginWithCredentials,
    /// A regex entry that admits an origin neither https nor loopback, together with credentials.
    RegexOriginWithCredentials {
        /// An origin the regex lets in, found on its automaton.
        example: Box<str>,
    },
    /// A wildcard over a public suffix, or over a parent of public suffixes, with credentials.
    PublicSuffixWildcardWithCredentials {
        /// The public suffix involved (the base itself, or a rule below it).
        suffix: Box<str>,
    },
    /// A wildcard over a public suffix, or over a parent of public suffixes (without credentials).
    PublicSuffixWildcard {
        /// The public suffix involved (the base itself, or a rule below it).
        suffix: Box<str>,
    },
    /// A regex that lets in hosts under registrable domains it does not spell out, with credentials.
    OverBroadRegexWithCredentials {
        /// The public suffix under which any name is let in (empty: any top-level domain).
        suffix: Box<str>,
        /// An origin the regex lets in, found on its automaton.
        example: Box<str>,
    },
    /// A regex that lets in hosts under registrable domains it does not spell out.
    OverBroadRegex {
        /// The public suffix under which any name is let in (empty: any top-level domain).
        suffix: Box<str>,
        /// An origin the regex lets in, found on its automaton.
        example: Box<str>,
    },
    /// `*` without credentials: every site may read the responses.
    AnyOrigin,
    /// The dangerous opt-out let an insecure origin through with credentials.
    DangerousOptOut,
    /// The allowlist is empty: every CORS request is denied.
    EmptyAllowlist,
    /// A method that is not a token.
    InvalidMethod,
    /// CONNECT, TRACE or TRACK.
    ForbiddenMethod,
    /// GET, HEAD or POST: always allowed, dropped from the list.
    SafelistedMethodDropped,
    /// A method was normalized (Fetch uppercases DELETE, GET, HEAD, OPTIONS, POST, PUT).
    MethodNormalized,
    /// A header name that is not a token.
    InvalidHeaderName,
    /// A forbidden request header: script can never set it.
    ForbiddenRequestHeader,
    /// A CORS response header listed as a request header.
    ResponseHeaderAsRequestHeader,
    /// `*` in exposed headers together with credentials, where browsers read it as a literal name.
    ExposeWildcardWithCredentials,
    /// `Set-Cookie` / `Set-Cookie2` exposed: browsers never expose them.
    ForbiddenExposedHeader,
    /// `*` alongside other values in a list.
    WildcardNotAlone,
    /// The same value twice in a list.
    Duplicate,
    /// `max_age` outside 0..=86400.
    MaxAgeOutOfRange,
    /// `max_age` above 7200, which Chromium caps to.
    MaxAgeAboveBrowserCap,
    /// `preflight_status` outside 200..=299.
    InvalidPreflightStatus,
}

impl Kind {
    /// A short stable name (kebab-case).
    pub fn name(&self) -> &'static str {
        match self {
            Kind::InvalidOrigin(_) => "invalid-origin",
            Kind::OriginNormalized(pattern::NoteKind::Duplicate(_)) => "duplicate",
            Kind::OriginNormalized(_) => "origin-normalized",
            Kind::WildcardOriginWithCredentials => "wildcard-origin-with-credentials",
            Kind::NullOriginWithCredentials => "null-origin-with-credentials",
            Kind::InsecureOriginWithCredentials => "insecure-origin-with-credentials",
            Kind::RegexOriginWithCredentials { .. } => "regex-origin-with-credentials",
            Kind::PublicSuffixWildcardWithCredentials { .. } => {
                "public-suffix-wildcard-with-credentials"
            }
            Kind::PublicSuffixWildcard { .. } => "public-suffix-wildcard",
            Kind::OverBroadRegexWithCredentials { .. } => "over-broad-regex-with-credentials",
            Kind::OverBroadRegex { .. } => "over-broad-regex",
            Kind::AnyOrigin => "any-origin",
            Kind::DangerousOptOut => "dangerous-opt-out",
            Kind::EmptyAllowlist => "empty-allowlist",
            Kind::InvalidMethod => "invalid-method",
            Kind::ForbiddenMethod => "forbidden-method",
            Kind::SafelistedMethodDropped => "safelisted-method-dropped",
            Kind::MethodNormalized => "method-normalized",
            Kind::InvalidHeaderName => "invalid-header-name",
            Kind::ForbiddenRequestHeader => "forbidden-request-header",
            Kind::ResponseHeaderAsRequestHeader => "response-header-as-request-header",
            Kind::ExposeWildcardWithCredentials => "expose-wildcard-with-credentials",
            Kind::ForbiddenExposedHeader => "forbidden-exposed-header",
            Kind::WildcardNotAlone => "wildcard-not-alone",
            Kind::Duplicate => "duplicate",
            Kind::MaxAgeOutOfRange => "max-age-out-of-range",
            Kind::MaxAgeAboveBrowserCap => "max-age-above-browser-cap",
            Kind::InvalidPreflightStatus => "invalid-preflight-status",
        }
    }

    /// How serious it is.
    pub fn severity(&self) -> Severity {
        match self {
            Kind::OriginNormalized(_)
            | Kind::SafelistedMethodDropped
            | Kind::MethodNormalized
            | Kind::Duplicate => Severity::Note,
            Kind::PublicSuffixWildcard { .. }
            | Kind::OverBroadRegex { .. }
            | Kind::AnyOrigin
            | Kind::DangerousOptOut
            | Kind::EmptyAllowlist
            | Kind::MaxAgeAboveBrowserCap => Severity::Warning,
            _ => Severity::Error,
        }
    }

    /// What is wrong, in a sentence.
    pub fn describe(&self) -> String {
        match self {
            Kind::InvalidOrigin(k) => k.to_string(),
            Kind::OriginNormalized(n) => n.to_string(),
            Kind::WildcardOriginWithCredentials => "`*` allows every site to make credentialed requests as the user".into(),
            Kind::NullOriginWithCredentials => {
                "`null` is the origin of every sandboxed iframe and `data:` page: with credentials, any site can act as the user".into()
            }
            Kind::InsecureOriginWithCredentials => {
                "an origin that is neither https nor loopback can be impersonated by anyone on the network path".into()
            }
            Kind::RegexOriginWithCredentials { example } => format!(
                "the regex lets in `{example}`, an origin neither https nor loopback, which anyone on the network path can impersonate"
            ),
            Kind::PublicSuffixWildcardWithCredentials { suffix } | Kind::PublicSuffixWildcard { suffix } => {
                format!("the wildcard covers public suffix `{suffix}`: anyone can register a name under it")
            }
            Kind::OverBroadRegexWithCredentials { suffix, example } | Kind::OverBroadRegex { suffix, example } => {
                if suffix.is_empty() {
                    format!("the regex lets in arbitrary hosts (any top-level domain or address), e.g. `{example}`")
                } else {
                    format!("the regex lets in any name under public suffix `{suffix}`, e.g. `{example}`: anyone can register one")
                }
            }
            Kind::AnyOrigin => "`*` lets every site read the responses (credentials are never sent with it)".into(),
            Kind::DangerousOptOut => "an insecure origin is allowed with credentials because of the dangerous opt-out".into(),
            Kind::EmptyAllowlist => "no origins are allowed: every CORS request will be denied".into(),
            Kind::InvalidMethod => "a method must be a token (letters, digits and !#$%&'*+-.^_`|~)".into(),
            Kind::ForbiddenMethod => "CONNECT, TRACE and TRACK are forbidden methods: browsers never send them".into(),
            Kind::SafelistedMethodDropped => "GET, HEAD and POST are always allowed; dropped".into(),
            Kind::MethodNormalized => "normalized as browsers do (Fetch uppercases DELETE, GET, HEAD, OPTIONS, POST, PUT)".into(),
            Kind::InvalidHeaderName => "a header name must be a token (letters, digits and !#$%&'*+-.^_`|~)".into(),
            Kind::ForbiddenRequestHeader => "a forbidden request header: script can never set it".into(),
            Kind::ResponseHeaderAsRequestHeader => "a CORS response header, which a request never carries".into(),
            Kind::ExposeWildcardWithCredentials => {
                "with credentials, browsers read `*` in Access-Control-Expose-Headers as a literal header name".into()
            }
            Kind::ForbiddenExposedHeader => "browsers never expose Set-Cookie to script".into(),
            Kind::WildcardNotAlone => "`*` already covers every value; it must be the only one".into(),
            Kind::Duplicate => "listed twice; the repeat is ignored".into(),
            Kind::MaxAgeOutOfRange => "max_age must be between 0 and 86400 seconds".into(),
            Kind::MaxAgeAboveBrowserCap => "Chromium caps max_age to 7200 seconds (Firefox to 86400)".into(),
            Kind::InvalidPreflightStatus => "a preflight succeeds only with a 2xx status".into(),
        }
    }

    /// How to fix it.
    pub fn fix(&self) -> &'static str {
        match self {
            Kind::InvalidOrigin(k) => k.fix(),
            Kind::OriginNormalized(_) => "write the entry in its normalized form to silence this note",
            Kind::WildcardOriginWithCredentials | Kind::NullOriginWithCredentials => {
                "list the origins that need credentials explicitly, or set credentials = false"
            }
            Kind::InsecureOriginWithCredentials => {
                "serve that origin over https, or set dangerously_allow_insecure_origins_with_credentials = true if you accept the risk"
            }
            Kind::RegexOriginWithCredentials { .. } => {
                "make every alternative of the regex start with `https://` (group alternations: `^https://(?:a|b)\\.example\\.com$`), or list loopback origins as `http://localhost:*`"
            }
            Kind::PublicSuffixWildcardWithCredentials { .. } | Kind::PublicSuffixWildcard { .. } => {
                "put the wildcard under a domain you control: `https://*.example.com`"
            }
            Kind::OverBroadRegexWithCredentials { .. } | Kind::OverBroadRegex { .. } => {
                "spell out the registrable domain in the regex (`^https://[a-z0-9-]+\\.example\\.com$`), or list the sites"
            }
            Kind::AnyOrigin => "list the origins that call this service, if it is not meant to be public",
            Kind::DangerousOptOut => "serve the origin over https and remove the opt-out",
            Kind::EmptyAllowlist => "add the origins allowed to call this service to `origins`",
            Kind::InvalidMethod => "write the method name without spaces or separators, e.g. PATCH",
            Kind::ForbiddenMethod => "remove it",
            Kind::SafelistedMethodDropped | Kind::Duplicate => "remove it to silence this note",
            Kind::MethodNormalized => "write the method in uppercase",
            Kind::InvalidHeaderName => "write the header name without spaces or separators, e.g. x-api-key",
            Kind::ForbiddenRequestHeader | Kind::ResponseHeaderAsRequestHeader | Kind::ForbiddenExposedHeader => "remove it",
            Kind::ExposeWildcardWithCredentials => "list the exposed header names explicitly",
            Kind::WildcardNotAlone => {
                "keep only `*` (in request_headers, `*` and `authorization`, which `*` never covers), or only the explicit values"
            }
            Kind::MaxAgeOutOfRange => "use a value from 0 to 86400 (browsers cap it anyway)",
            Kind::MaxAgeAboveBrowserCap => "use 7200 or less to behave the same in every browser",
            Kind::InvalidPreflightStatus => "use 204 (the default) or 200",
        }
    }
}

/// Where a value is written in a policy file: line and column, both counted from 1 (the column in
/// characters). Shown as `line:column`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    /// The line, from 1.
    pub line: u32,
    /// The column, from 1, in characters.
    pub column: u32,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// One finding of policy validation.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Diagnostic {
    /// What it is about.
    pub kind: Kind,
    /// The policy key it concerns (`origins`, `methods`, …).
    pub key: &'static str,
    /// The position in that key's list, for list keys.
    pub index: Option<usize>,
    /// The offending value, as written.
    pub value: String,
    /// Where the value is written, for a policy loaded from a policy file (`Policy::from_toml_str`,
    /// feature `toml`); `None` for a policy built from a [`super::PolicyConfig`] value.
    pub position: Option<Position>,
}

impl Diagnostic {
    /// How serious it is.
    pub fn severity(&self) -> Severity {
        self.kind.severity()
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(p) = self.position {
            write!(f, "{p}: ")?;
        }
        write!(f, "{}: {}", self.severity().name(), self.key)?;
        if let Some(i) = self.index {
            write!(f, "[{i}]")?;
        }
        write!(
            f,
            " `{}`: {} [{}]; fix: {}",
            pattern::escape(&self.value),
            self.kind.describe(),
            self.kind.name(),
            self.kind.fix()
        )
    }
}

/// A refused policy: every diagnostic, errors first.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PolicyErrors(pub Vec<Diagnostic>);

impl PolicyErrors {
    /// The errors only.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter().filter(|d| d.severity() == Severity::Error)
    }
}

impl fmt::Display for PolicyErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for PolicyErrors {}
