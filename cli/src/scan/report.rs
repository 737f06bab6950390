//! The report of a scan: text for people, JSON, and SARIF 2.1.0 for CI systems.

use serde_json::{json, Value};

use super::requests::{curl, Target};
use super::verdict::{Finding, Rule, Severity};
use corsmatch_workload::OriginSource;

/// Everything a scan found out.
pub struct Report {
    /// The server scanned.
    pub target: Target,
    /// The policy file, when one was given.
    pub policy: Option<String>,
    /// Probes made.
    pub probes: usize,
    /// Probes left out by the request cap.
    pub dropped: usize,
    /// Requests sent.
    pub sent: usize,
    /// Requests that got no response, with why (the first few).
    pub errors: Vec<String>,
    /// How many requests got no response.
    pub error_count: usize,
    /// The findings, most severe first.
    pub findings: Vec<Finding>,
}

/// How many origins of one rule the text report shows in full.
const SHOWN_PER_RULE: usize = 5;
/// How many further origins of one rule the text report names.
const MORE_ORIGINS_NAMED: usize = 8;

/// The findings of one rule grouped by origin, in the order the origins first appear: the same
/// hole shows in every call from an origin, and a reader needs it once per origin.
fn group_by_origin<'a>(findings: &[&'a Finding]) -> Vec<Vec<&'a Finding>> {
    let mut groups: Vec<Vec<&Finding>> = Vec::new();
    for &f in findings {
        match groups
            .iter_mut()
            .find(|g| g[0].probe.origin.origin == f.probe.origin.origin)
        {
            Some(group) => group.push(f),
            None => groups.push(vec![f]),
        }
    }
    groups
}

/// Where a finding's origin comes from, for the text report.
fn source(finding: &Finding) -> String {
    match finding.probe.origin.source {
        OriginSource::Entry(i) => format!("admitted by origins[{i}]"),
        OriginSource::NearMiss(i) => format!("a near miss of origins[{i}]"),
        OriginSource::Unrelated => "unrelated".into(),
    }
}

/// The calls of a group of findings: `GET, PUT (with and without credentials)`.
fn calls(group: &[&Finding]) -> String {
    let mut methods: Vec<&str> = Vec::new();
    for f in group {
        if !methods.contains(&f.probe.method.as_str()) {
            methods.push(&f.probe.method);
        }
    }
    let with = group.iter().any(|f| f.credentials);
    let without = group.iter().any(|f| !f.credentials);
    let mode = match (with, without) {
        (true, true) => "with and without credentials",
        (true, false) => "with credentials",
        _ => "without credentials",
    };
    format!("{} ({mode})", methods.join(", "))
}

impl Report {
    /// Sorts the findings, most severe first, then by rule, then in the scan's order of origins
    /// (an entry's near misses in the order of the bypass shapes, most telling first), then the
    /// credentialed call first.
    pub fn sort(&mut self) {
        self.findings.sort_by(|a, b| {
            (
                b.rule.severity(),
                a.rule,
                a.probe.origin.rank,
                &a.probe.origin.origin,
                !a.credentials,
            )
                .cmp(&(
                    a.rule.severity(),
                    b.rule,
                    b.probe.origin.rank,
                    &b.probe.origin.origin,
                    !b.credentials,
                ))
        });
    }

    /// The most severe finding's severity.
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.rule.severity()).max()
    }

    fn reproduce(&self, finding: &Finding) -> Vec<String> {
        finding
            .requests
            .iter()
            .map(|r| curl(&self.target, r))
            .collect()
    }

    /// The text report.
    pub fn text(&self) -> String {
        let mut out = format!(
            "scanned {} against {}: {} probes, {} requests sent{}{}\n",
            self.target.url(),
            self.policy
                .as_deref()
                .map_or("no policy (generic checks)".to_string(), |p| format!(
                    "policy {p}"
                )),
            self.probes,
            self.sent,
            if self.dropped > 0 {
                format!(", {} probes left out by --max-requests", self.dropped)
            } else {
                String::new()
            },
            if self.error_count > 0 {
                format!(", {} without a response", self.error_count)
            } else {
                String::new()
            },
        );
        for error in &self.errors {
            out.push_str(&format!("  no response: {error}\n"));
        }
        for rule in Rule::ALL {
            let of_rule: Vec<&Finding> = self.findings.iter().filter(|f| f.rule == rule).collect();
            if of_rule.is_empty() {
                continue;
            }
            let groups = group_by_origin(&of_rule);
            out.push_str(&format!(
                "\n{} {} ({} finding{}, {} origin{}): {}\n",
                rule.severity().name().to_ascii_uppercase(),
                rule.id(),
                of_rule.len(),
                if of_rule.len() == 1 { "" } else { "s" },
                groups.len(),
                if groups.len() == 1 { "" } else { "s" },
                rule.description()
            ));
            for group in groups.iter().take(SHOWN_PER_RULE) {
                let first = group[0];
                out.push_str(&format!(
                    "  - {} ({}): {}\n    e.g. {}\n    decided by: {}\n",
                    first.probe.origin.origin,
                    source(first),
                    calls(group),
                    first.message,
                    first.entry
                ));
                for command in self.reproduce(first) {
                    out.push_str(&format!("    {command}\n"));
                }
            }
            if groups.len() > SHOWN_PER_RULE {
                let rest: Vec<&str> = groups[SHOWN_PER_RULE..]
                    .iter()
                    .map(|g| g[0].probe.origin.origin.as_str())
                    .collect();
                let shown = rest.len().min(MORE_ORIGINS_NAMED);
                out.push_str(&format!(
                    "  … and {} more origin{}: {}{} (--format json lists every finding)\n",
                    rest.len(),
                    if rest.len() == 1 { "" } else { "s" },
                    rest[..shown].join(", "),
                    if rest.len() > shown { ", …" } else { "" }
                ));
            }
        }
        let count = |s: Severity| {
            self.findings
                .iter()
                .filter(|f| f.rule.severity() == s)
                .count()
        };
        out.push_str(&format!(
            "\n{} findings: {} critical, {} high, {} medium, {} low\n",
            self.findings.len(),
            count(Severity::Critical),
            count(Severity::High),
            count(Severity::Medium),
            count(Severity::Low)
        ));
        out
    }

    fn finding_json(&self, finding: &Finding) -> Value {
        json!({
            "rule": finding.rule.id(),
            "severity": finding.rule.severity().name(),
            "message": finding.message,
            "origin": finding.probe.origin.origin,
            "method": finding.probe.method,
            "headers": finding.probe.headers.iter().map(|(n, v)| format!("{n}: {v}")).collect::<Vec<_>>(),
            "credentials": finding.credentials,
            "decided_by": finding.entry,
            "reproduce": self.reproduce(finding),
        })
    }

    /// The JSON report: one object.
    pub fn json(&self) -> Value {
        json!({
            "target": self.target.url(),
            "policy": self.policy,
            "probes": self.probes,
            "probes_left_out": self.dropped,
            "requests_sent": self.sent,
            "requests_without_response": self.error_count,
            "findings": self.findings.iter().map(|f| self.finding_json(f)).collect::<Vec<_>>(),
        })
    }

    /// The SARIF 2.1.0 log: one run, one rule per kind of finding, one result per finding,
    /// located in the policy file when there is one (else at the URL).
    pub fn sarif(&self) -> Value {
        let level = |s: Severity| match s {
            Severity::Critical | Severity::High => "error",
            Severity::Medium => "warning",
            Severity::Low => "note",
        };
        let security = |s: Severity| match s {
            Severity::Critical => "9.5",
            Severity::High => "8.0",
            Severity::Medium => "5.0",
            Severity::Low => "2.0",
        };
        let rules: Vec<Value> = Rule::ALL
            .iter()
            .map(|r| {
                json!({
                    "id": r.id(),
                    "shortDescription": { "text": r.description() },
                    "defaultConfiguration": { "level": level(r.severity()) },
                    "properties": {
                        "severity": r.severity().name(),
                        "security-severity": security(r.severity()),
                        "tags": ["security", "cors"],
                    },
                })
            })
            .collect();
        let uri = self.policy.clone().unwrap_or_else(|| self.target.url());
        let results: Vec<Value> = self
            .findings
            .iter()
            .map(|f| {
                let index = Rule::ALL.iter().position(|r| *r == f.rule).unwrap_or(0);
                json!({
                    "ruleId": f.rule.id(),
                    "ruleIndex": index,
                    "level": level(f.rule.severity()),
                    "message": { "text": format!("{} (decided by: {})", f.message, f.entry) },
                    "locations": [{
                        "physicalLocation": { "artifactLocation": { "uri": uri } },
                    }],
                    "properties": {
                        "severity": f.rule.severity().name(),
                        "origin": f.probe.origin.origin,
                        "credentials": f.credentials,
                        "reproduce": self.reproduce(f),
                    },
                })
            })
            .collect();
        json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [{
                "tool": {
                    "driver": {
                        "name": "corsmatch scan",
                        "version": env!("CARGO_PKG_VERSION"),
                        "informationUri": "https://github.com/corsmatch/corsmatch",
                        "rules": rules,
                    },
                },
                "results": results,
            }],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::origins::ScanOrigin;
    use crate::scan::requests::{requests_of, Probe, Purpose};

    fn report() -> Report {
        let probe = Probe {
            origin: ScanOrigin {
                origin: "https://evil.example".into(),
                source: OriginSource::Unrelated,
                rank: 0,
            },
            method: "GET".into(),
            headers: Vec::new(),
            purpose: Purpose::Simple,
        };
        let finding = Finding {
            rule: Rule::DeniedOriginReadableWithCredentials,
            requests: requests_of(&probe),
            probe,
            credentials: true,
            message: "GET from `https://evil.example` with credentials: readable".into(),
            entry: "no entry of `origins` matches".into(),
        };
        let mut report = Report {
            target: Target::parse("http://127.0.0.1:1/").unwrap(),
            policy: Some("policy.toml".into()),
            probes: 1,
            dropped: 0,
            sent: 1,
            errors: Vec::new(),
            error_count: 0,
            findings: vec![finding],
        };
        report.sort();
        report
    }

    #[test]
    fn sarif_is_valid_json_with_the_required_fields() {
        let report = report();
        let text = serde_json::to_string(&report.sarif()).unwrap();
        let sarif: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(sarif["version"], "2.1.0");
        let run = &sarif["runs"][0];
        assert_eq!(run["tool"]["driver"]["name"], "corsmatch scan");
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        assert_eq!(rules.len(), Rule::ALL.len());
        assert!(rules.iter().all(|r| r["id"].is_string()));
        let result = &run["results"][0];
        assert_eq!(result["ruleId"], "denied-origin-readable-with-credentials");
        assert_eq!(result["level"], "error");
        assert!(result["message"]["text"].is_string());
        assert_eq!(
            rules[result["ruleIndex"].as_u64().unwrap() as usize]["id"],
            result["ruleId"]
        );
        assert_eq!(
            result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "policy.toml"
        );
    }

    #[test]
    fn text_and_json_carry_the_reproduction() {
        let report = report();
        let text = report.text();
        assert!(
            text.contains("CRITICAL denied-origin-readable-with-credentials (1 finding, 1 origin)")
        );
        assert!(text.contains("curl -sS -o /dev/null -D - -H 'origin: https://evil.example' 'http://127.0.0.1:1/'"), "{text}");
        assert!(text.contains("1 findings: 1 critical, 0 high, 0 medium, 0 low"));
        let json = report.json();
        assert_eq!(json["findings"][0]["severity"], "critical");
        assert_eq!(
            json["findings"][0]["reproduce"].as_array().unwrap().len(),
            1
        );
        assert_eq!(report.worst(), Some(Severity::Critical));
    }

    #[test]
    fn the_text_groups_findings_by_origin_and_names_the_rest() {
        let mut report = report();
        let template = report.findings[0].clone();
        report.findings.clear();
        for i in 0..7 {
            for (method, credentials) in [("GET", true), ("GET", false), ("PUT", true)] {
                let mut f = template.clone();
                f.probe.origin.origin = format!("https://evil{i}.example");
                f.probe.origin.rank = 10 - i;
                f.probe.method = method.into();
                f.credentials = credentials;
                report.findings.push(f);
            }
        }
        report.sort();
        let text = report.text();
        assert!(text.contains("(21 findings, 7 origins)"), "{text}");
        assert!(
            text.contains(
                "  - https://evil6.example (unrelated): GET, PUT (with and without credentials)"
            ),
            "{text}"
        );
        // Five origins in full, one line each; the other two named.
        assert_eq!(text.matches("\n  - ").count(), 5, "{text}");
        assert!(
            text.contains("… and 2 more origins: https://evil1.example, https://evil0.example"),
            "{text}"
        );
    }
}
