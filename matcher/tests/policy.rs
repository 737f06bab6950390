//! Runs `corpus/cases/policy-validation.toml`: each policy file gives exactly the listed diagnostics,
//! and is accepted exactly when it should be. Also checks the policy file format rejects unknown keys.

#![cfg(feature = "serde")]

use std::path::Path;

use corsmatch::policy::{Policy, PolicyConfig};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    case: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    policy: String,
    valid: bool,
    diagnostics: Vec<String>,
    /// Texts that must each appear in some diagnostic's message (an example origin, a suffix).
    #[serde(default)]
    mentions: Vec<String>,
}

#[test]
fn policy_validation_table() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus/cases/policy-validation.toml");
    let file: File = toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut failures = Vec::new();
    for case in &file.case {
        let config: PolicyConfig =
            toml::from_str(&case.policy).unwrap_or_else(|e| panic!("{}: {e}", case.policy));
        let (valid, diags) = match Policy::new(&config) {
            Ok(p) => (true, p.diagnostics().to_vec()),
            Err(e) => (false, e.0),
        };
        let mut got: Vec<String> = diags
            .iter()
            .map(|d| format!("{}:{}", d.severity().name(), d.kind.name()))
            .collect();
        let mut want = case.diagnostics.clone();
        got.sort();
        want.sort();
        if valid != case.valid || got != want {
            failures.push(format!(
                "{}\n  got valid={valid} {got:?}\n  want valid={} {want:?}",
                case.policy, case.valid
            ));
        }
        let texts: Vec<String> = diags.iter().map(|d| d.to_string()).collect();
        for m in &case.mentions {
            if !texts.iter().any(|t| t.contains(m.as_str())) {
                failures.push(format!(
                    "{}\n  no diagnostic mentions {m:?}: {texts:#?}",
                    case.policy
                ));
            }
        }
        for d in &diags {
            let text = d.to_string();
            assert!(
                text.contains(d.kind.fix()) && text.contains(d.kind.name()),
                "{text}"
            );
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn unknown_keys_are_named() {
    let err = toml::from_str::<PolicyConfig>("origins = []\ncredential = true\n").unwrap_err();
    assert!(
        err.to_string().contains("unknown field `credential`"),
        "{err}"
    );
    let defaults: PolicyConfig = toml::from_str("").unwrap();
    assert_eq!(defaults, PolicyConfig::default());
    assert_eq!(defaults.preflight_status, 204);
}
