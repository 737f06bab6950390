//! Runs `corpus/cases/policy-validation.toml`: each policy file gives exactly the listed diagnostics,
//! and is accepted exactly when it should be. Also checks the policy file format rejects unknown keys.

use corsmatch::policy::{Policy, PolicyConfig};
use corsmatch_conformance::cases;

#[test]
fn policy_validation_table() {
    let mut failures = Vec::new();
    let tables = cases::validation_tables().unwrap_or_else(|e| panic!("{e}"));
    let mut count = 0;
    for case in tables.iter().flat_map(|t| &t.content.case) {
        count += 1;
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
    assert!(count >= 40, "the validation table shrank to {count} cases");
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
