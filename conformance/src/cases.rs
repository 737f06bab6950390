//! The one reader of the conformance tables `corpus/cases/*.toml` (their format is documented in
//! `corpus/cases/README.md`), shared by the table tests, the fuzz seed generator and every other suite
//! that reads them.
//!
//! A table file's kind comes from its name: `origins-*.toml` ([`OriginFile`]), `patterns*.toml`
//! ([`PatternFile`]), `decisions-*.toml` ([`DecisionFile`]), `policy-validation*.toml`
//! ([`ValidationFile`]), `browser-scenarios*.toml` ([`BrowserFile`], the real-browser harness's
//! scenarios) and `browser-deviations*.toml` ([`DeviationFile`], where Chromium knowingly departs from
//! the browser model). Unknown keys are errors (`deny_unknown_fields`), and so is a case that gives
//! contradictory or incomplete expectations (both `origin` and `origin_hex`, an `allow` without its
//! `rule`, `upstream` without `response`): the reader checks the shape, the suites check the engine.
//! [`check_names`] fails on a `.toml` file whose name is of no known kind, so that a misnamed table is
//! an error rather than a table nobody runs.

use std::fmt;
use std::path::{Path, PathBuf};

use corsmatch::policy::PolicyConfig;
use serde::de::DeserializeOwned;
use serde::Deserialize;

/// The `corpus/` folder of this repository.
pub fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus")
}

/// The `corpus/cases/` folder: the conformance tables.
pub fn cases_dir() -> PathBuf {
    corpus_dir().join("cases")
}

/// A table file that could not be read: which file, and why.
#[derive(Debug)]
pub struct TableError {
    /// The file (or folder) concerned.
    pub path: PathBuf,
    /// What is wrong with it.
    pub message: String,
}

impl fmt::Display for TableError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

impl std::error::Error for TableError {}

/// One table file, read.
#[derive(Debug)]
pub struct Table<T> {
    /// The file name (e.g. `origins-matching.toml`), for messages.
    pub file: String,
    /// The file's content.
    pub content: T,
}

/// The kinds of table, by file-name prefix.
const KINDS: &[&str] = &[
    "origins-",
    "patterns",
    "decisions-",
    "policy-validation",
    "browser-scenarios",
    "browser-deviations",
];

/// Checks that every `.toml` file under `dir` is of a known kind (see the module docs); returns how
/// many there are.
pub fn check_names(dir: &Path) -> Result<usize, TableError> {
    let mut count = 0;
    for path in toml_files(dir)? {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if !KINDS.iter().any(|k| name.starts_with(k)) {
            return Err(TableError {
                message: format!(
                    "a table of no known kind: its name starts with none of {KINDS:?}, so no suite would run it"
                ),
                path,
            });
        }
        count += 1;
    }
    Ok(count)
}

fn toml_files(dir: &Path) -> Result<Vec<PathBuf>, TableError> {
    let error = |e: std::io::Error| TableError {
        path: dir.to_path_buf(),
        message: e.to_string(),
    };
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(error)? {
        let path = entry.map_err(error)?.path();
        if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

/// Reads every table of `dir` whose name starts with `prefix`; at least one must exist.
fn load<T: DeserializeOwned>(dir: &Path, prefix: &str) -> Result<Vec<Table<T>>, TableError> {
    let mut tables = Vec::new();
    for path in toml_files(dir)? {
        let file = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        if !file.starts_with(prefix) {
            continue;
        }
        let text = std::fs::read_to_string(&path).map_err(|e| TableError {
            path: path.clone(),
            message: e.to_string(),
        })?;
        let content = toml::from_str(&text).map_err(|e| TableError {
            path: path.clone(),
            message: e.to_string(),
        })?;
        tables.push(Table { file, content });
    }
    if tables.is_empty() {
        return Err(TableError {
            path: dir.to_path_buf(),
            message: format!("no {prefix}*.toml table"),
        });
    }
    Ok(tables)
}

/// The origin tables, `corpus/cases/origins-*.toml`.
pub fn origin_tables() -> Result<Vec<Table<OriginFile>>, TableError> {
    load(&cases_dir(), "origins-")
}

/// The pattern tables, `corpus/cases/patterns*.toml`.
pub fn pattern_tables() -> Result<Vec<Table<PatternFile>>, TableError> {
    load(&cases_dir(), "patterns")
}

/// The decision tables, `corpus/cases/decisions-*.toml`.
pub fn decision_tables() -> Result<Vec<Table<DecisionFile>>, TableError> {
    load(&cases_dir(), "decisions-")
}

/// The policy validation tables, `corpus/cases/policy-validation*.toml`.
pub fn validation_tables() -> Result<Vec<Table<ValidationFile>>, TableError> {
    load(&cases_dir(), "policy-validation")
}

/// The real-browser scenarios, `corpus/cases/browser-scenarios*.toml`.
pub fn browser_tables() -> Result<Vec<Table<BrowserFile>>, TableError> {
    load(&cases_dir(), "browser-scenarios")
}

/// The known deviations of Chromium from the browser model, `corpus/cases/browser-deviations*.toml`.
pub fn deviation_tables() -> Result<Vec<Table<DeviationFile>>, TableError> {
    load(&cases_dir(), "browser-deviations")
}

/// An `origins-*.toml` file: groups of origins decided against one allowlist.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OriginFile {
    /// The groups, in file order.
    pub group: Vec<OriginGroup>,
}

/// One allowlist and the origins decided against it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OriginGroup {
    /// The group's name, for messages.
    pub name: String,
    /// The allowlist entries.
    pub allow: Vec<String>,
    /// The origins and what each must give.
    pub cases: Vec<OriginCase>,
}

/// What an origin must give against its group's allowlist.
#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Expect {
    /// Well-formed and allowed (by the case's `rule`).
    Allow,
    /// Well-formed and denied.
    Deny,
    /// Not a well-formed `Origin` value (denied as such).
    Malformed,
}

/// One origin of an origin table.
#[derive(Debug, Deserialize)]
#[serde(try_from = "RawOriginCase")]
pub struct OriginCase {
    /// The `Origin` value's bytes (from `origin`, or decoded from `origin_hex`).
    pub origin: Vec<u8>,
    /// Whether the table gave the value as `origin_hex` (bytes a TOML string cannot hold).
    pub hex: bool,
    /// The expected verdict.
    pub expect: Expect,
    /// The index of the allowing entry: `Some` exactly for [`Expect::Allow`].
    pub rule: Option<usize>,
    /// Why the verdict is right (empty when the table does not say).
    pub why: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOriginCase {
    origin: Option<String>,
    origin_hex: Option<String>,
    expect: Expect,
    rule: Option<usize>,
    why: Option<String>,
}

impl TryFrom<RawOriginCase> for OriginCase {
    type Error = String;

    fn try_from(raw: RawOriginCase) -> Result<OriginCase, String> {
        let (origin, hex) = match (raw.origin, raw.origin_hex) {
            (Some(o), None) => (o.into_bytes(), false),
            (None, Some(h)) => (decode_hex(&h)?, true),
            _ => return Err("give exactly one of origin / origin_hex".into()),
        };
        match (raw.expect, raw.rule) {
            (Expect::Allow, None) => return Err("an allow case names its rule".into()),
            (Expect::Deny | Expect::Malformed, Some(_)) => {
                return Err("only an allow case names a rule".into())
            }
            _ => {}
        }
        Ok(OriginCase {
            origin,
            hex,
            expect: raw.expect,
            rule: raw.rule,
            why: raw.why.unwrap_or_default(),
        })
    }
}

fn decode_hex(s: &str) -> Result<Vec<u8>, String> {
    if !s.len().is_multiple_of(2) || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!(
            "origin_hex {s:?} is not an even number of hex digits"
        ));
    }
    Ok((0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap_or_default())
        .collect())
}

/// A `patterns*.toml` file: allowlist entries and their normalized form or error.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatternFile {
    /// The cases, in file order.
    pub case: Vec<PatternCase>,
}

/// One allowlist entry and what the config-side parser must make of it.
#[derive(Debug, Deserialize)]
#[serde(try_from = "RawPatternCase")]
pub struct PatternCase {
    /// The entry's text.
    pub entry: String,
    /// Its normalized form with the names of the notes, or the name of its error.
    pub expect: PatternExpect,
    /// Why (empty when the table does not say).
    pub why: String,
}

/// What a pattern case expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatternExpect {
    /// Accepted: the normalized form and the names of the notes raised on the way.
    Normalized {
        /// The normalized form (`Pattern`'s `Display`).
        form: String,
        /// The note names, in order.
        notes: Vec<String>,
    },
    /// Rejected (by the parser, or by the compiler for a regex too large): the error kind's name.
    Error(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPatternCase {
    entry: String,
    normalized: Option<String>,
    #[serde(default)]
    notes: Vec<String>,
    error: Option<String>,
    why: Option<String>,
}

impl TryFrom<RawPatternCase> for PatternCase {
    type Error = String;

    fn try_from(raw: RawPatternCase) -> Result<PatternCase, String> {
        let expect = match (raw.normalized, raw.error) {
            (Some(form), None) => PatternExpect::Normalized {
                form,
                notes: raw.notes,
            },
            (None, Some(e)) if raw.notes.is_empty() => PatternExpect::Error(e),
            (None, Some(_)) => return Err(format!("{:?}: an error case has no notes", raw.entry)),
            _ => {
                return Err(format!(
                    "{:?}: give exactly one of normalized / error",
                    raw.entry
                ))
            }
        };
        Ok(PatternCase {
            entry: raw.entry,
            expect,
            why: raw.why.unwrap_or_default(),
        })
    }
}

/// A `decisions-*.toml` file: policies, requests and the decisions they must give.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionFile {
    /// The cases, in file order.
    pub case: Vec<DecisionCase>,
}

/// One request against one policy, and the decision (and response) it must give.
#[derive(Debug, Deserialize)]
#[serde(try_from = "RawDecisionCase")]
pub struct DecisionCase {
    /// The case's name, for messages.
    pub name: String,
    /// The policy.
    pub policy: PolicyConfig,
    /// The request.
    pub request: CaseRequest,
    /// The decision kind's name (`DecisionKind::name`).
    pub expect: String,
    /// The deny reason's name, for a denial.
    pub reason: Option<String>,
    /// The status of a response the decision answers itself (a preflight).
    pub status: Option<u16>,
    /// The decision's headers.
    pub headers: Vec<(String, String)>,
    /// An upstream response's headers and every header of the response after the decision is
    /// applied to it; `None` when the case gives none (the response then holds `headers`).
    pub upstream: Option<Upstream>,
}

/// An upstream response and what the adapter must turn it into.
#[derive(Debug, Clone)]
pub struct Upstream {
    /// The upstream response's headers, in order.
    pub headers: Vec<(String, String)>,
    /// Every header of the response leaving the adapter.
    pub response: Vec<(String, String)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDecisionCase {
    name: String,
    policy: PolicyConfig,
    request: CaseRequest,
    expect: String,
    reason: Option<String>,
    status: Option<u16>,
    headers: Vec<(String, String)>,
    upstream: Option<Vec<(String, String)>>,
    response: Option<Vec<(String, String)>>,
}

impl TryFrom<RawDecisionCase> for DecisionCase {
    type Error = String;

    fn try_from(raw: RawDecisionCase) -> Result<DecisionCase, String> {
        let upstream = match (raw.upstream, raw.response) {
            (Some(headers), Some(response)) => Some(Upstream { headers, response }),
            (None, None) => None,
            _ => {
                return Err(format!(
                    "[{}] `upstream` and `response` go together",
                    raw.name
                ))
            }
        };
        Ok(DecisionCase {
            name: raw.name,
            policy: raw.policy,
            request: raw.request,
            expect: raw.expect,
            reason: raw.reason,
            status: raw.status,
            headers: raw.headers,
            upstream,
        })
    }
}

/// The request of a decision case (the CORS-relevant parts of it).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseRequest {
    /// The method (default `GET`).
    #[serde(default = "get")]
    pub method: String,
    /// The `Origin` header, if any.
    pub origin: Option<String>,
    /// `Access-Control-Request-Method`, if any.
    pub acrm: Option<String>,
    /// The `Access-Control-Request-Headers` lines, in order.
    #[serde(default)]
    pub acrh: Vec<String>,
    /// Whether `Access-Control-Request-Private-Network: true` is present.
    #[serde(default)]
    pub private_network: bool,
}

fn get() -> String {
    "GET".into()
}

impl CaseRequest {
    /// The request for the naive engine.
    pub fn naive(&self) -> crate::decision::NaiveRequest {
        crate::decision::NaiveRequest {
            method: self.method.as_bytes().to_vec(),
            origin: self.origin.as_ref().map(|o| o.as_bytes().to_vec()),
            acrm: self.acrm.as_ref().map(|m| m.as_bytes().to_vec()),
            acrh: self.acrh.iter().map(|l| l.as_bytes().to_vec()).collect(),
            private_network: self.private_network,
        }
    }
}

/// A `policy-validation*.toml` file: policy files and the diagnostics they must give.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidationFile {
    /// The cases, in file order.
    pub case: Vec<ValidationCase>,
}

/// One policy file and its diagnostics.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidationCase {
    /// The policy file's text (TOML).
    pub policy: String,
    /// Whether the policy is accepted.
    pub valid: bool,
    /// Every diagnostic, as `severity:kind` (e.g. `error:credentials-with-any`), in any order.
    pub diagnostics: Vec<String>,
    /// Texts that must each appear in some diagnostic's message (an example origin, a suffix).
    #[serde(default)]
    pub mentions: Vec<String>,
}

/// A `browser-scenarios*.toml` file: page scripts for the real-browser harness.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrowserFile {
    /// The scenarios, in file order.
    pub scenario: Vec<BrowserScenario>,
}

/// One page script: `fetch()` calls from one page origin to an API guarded by one policy.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrowserScenario {
    /// The scenario's name (unique over all files), for messages and the deviation list.
    pub name: String,
    /// The page's origin (`https://app.example.com`, `http://[::1]:8080`), or `null` for a sandboxed
    /// iframe.
    pub page: String,
    /// The API's policy.
    pub policy: PolicyConfig,
    /// The address space Chromium is told the page's server is in: `public` or `local` (default: none
    /// said, so `loopback`, where the server really is). Only for a page on a mapped name (not
    /// `localhost`, an IP address or `null`).
    #[serde(default)]
    pub page_space: Option<String>,
    /// The first call.
    pub fetch: ScenarioFetch,
    /// The calls after the first, when more than one (default: none).
    #[serde(default)]
    pub calls: Calls,
    /// How the API's answers differ from what its CORS layer alone gives.
    #[serde(default)]
    pub server: ServerOverrides,
    /// What the scenario is about (empty when the table does not say).
    #[serde(default)]
    pub why: String,
}

/// The calls of a scenario after its `fetch`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum Calls {
    /// The `fetch` call made this many times in all (at least 1).
    Count(u32),
    /// Further calls, each made after the previous one settled.
    List(Vec<ScenarioFetch>),
}

impl Default for Calls {
    fn default() -> Calls {
        Calls::Count(1)
    }
}

impl BrowserScenario {
    /// Every call of the scenario, in order (the `fetch`, then what `calls` adds).
    pub fn all_calls(&self) -> Vec<ScenarioFetch> {
        match &self.calls {
            Calls::Count(n) => vec![self.fetch.clone(); (*n).max(1) as usize],
            Calls::List(more) => std::iter::once(self.fetch.clone())
                .chain(more.iter().cloned())
                .collect(),
        }
    }
}

/// One `fetch(url, init)` call's `init`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFetch {
    /// The method as the script writes it (default `GET`).
    #[serde(default = "get")]
    pub method: String,
    /// The headers, appended in order to a `Headers` object (so a repeated name is combined).
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    /// A string body, if any.
    #[serde(default)]
    pub body: Option<String>,
    /// The credentials mode: `omit` (default), `same-origin` or `include`.
    #[serde(default = "omit")]
    pub credentials: String,
    /// The cache mode (default `no-store`).
    #[serde(default = "no_store")]
    pub cache: String,
}

fn omit() -> String {
    "omit".into()
}

fn no_store() -> String {
    "no-store".into()
}

/// A scenario's changes to the API's answers.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ServerOverrides {
    /// The status of every preflight answer (allowed or denied), its headers kept.
    pub preflight_status: Option<u16>,
    /// Answer the actual request with this redirect status (inside the CORS layer, so with the
    /// policy's headers), `Location` pointing at `redirect_to` or at the scenario's second path on the
    /// API's origin.
    pub redirect: Option<u16>,
    /// Where the redirect points (an absolute URL, `{id}` standing for the scenario's id; default: the
    /// scenario's second path on the API's own origin).
    pub redirect_to: Option<String>,
}

/// A `browser-deviations*.toml` file: where Chromium knowingly departs from the browser model.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviationFile {
    /// The deviations, in file order.
    pub deviation: Vec<Deviation>,
}

/// One known deviation: a scenario's field on which Chromium and the model disagree, on purpose.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deviation {
    /// The scenario's name.
    pub scenario: String,
    /// The compared field (`preflight`, `request-method`, `request-headers`, `actual`, `readable`,
    /// `status`, `readable-headers`, `console`).
    pub field: String,
    /// What Chromium does.
    pub chromium: String,
    /// Why, with a source where there is one.
    pub why: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin_case(text: &str) -> Result<OriginCase, String> {
        toml::from_str::<OriginCase>(text).map_err(|e| e.to_string())
    }

    #[test]
    fn origin_cases_are_checked_for_shape() {
        let ok = origin_case("origin_hex = \"68740a\"\nexpect = \"malformed\"").unwrap();
        assert_eq!((ok.origin, ok.hex), (b"ht\n".to_vec(), true));
        for bad in [
            "origin = \"https://a\"\norigin_hex = \"41\"\nexpect = \"deny\"",
            "expect = \"deny\"",
            "origin = \"https://a\"\nexpect = \"allow\"",
            "origin = \"https://a\"\nexpect = \"deny\"\nrule = 0",
            "origin_hex = \"4\"\nexpect = \"malformed\"",
            "origin_hex = \"zz\"\nexpect = \"malformed\"",
            "origin = \"https://a\"\nexpect = \"deny\"\ntypo = 1",
        ] {
            assert!(origin_case(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn a_table_of_no_known_kind_is_an_error() {
        let dir = std::env::temp_dir().join(format!("corsmatch-cases-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("origins-a.toml"), "group = []").unwrap();
        assert_eq!(check_names(&dir).unwrap(), 1);
        std::fs::write(dir.join("origin-typo.toml"), "group = []").unwrap();
        let e = check_names(&dir).unwrap_err();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(e.path.ends_with("origin-typo.toml"), "{e}");
    }

    #[test]
    fn every_committed_table_is_of_a_known_kind() {
        assert!(check_names(&cases_dir()).unwrap() >= 7);
    }
}
