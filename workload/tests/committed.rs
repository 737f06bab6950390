//! The committed policies and default trace under `corpus/` are exactly what the generator writes, and
//! read back to what it generated: they are never edited by hand.

use std::path::Path;

use corsmatch::policy::PolicyConfig;
use corsmatch_workload::{policies, Trace};

#[test]
fn committed_corpus_is_the_generators_output() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus");
    for (path, text) in corsmatch_workload::corpus_files() {
        let committed = std::fs::read_to_string(root.join(&path))
            .unwrap_or_else(|e| panic!("corpus/{}: {e}", path.display()));
        assert!(
            committed == text,
            "corpus/{} differs from the generator's output: run `cargo run --release -p corsmatch-cli -- workload`",
            path.display()
        );
    }
}

#[test]
fn policy_files_read_back_to_the_generated_configs() {
    for name in policies::NAMES {
        let config = policies::by_name(name).unwrap();
        let read: PolicyConfig = toml::from_str(&policies::to_toml(name, &config)).unwrap();
        assert_eq!(read, config, "{name}");
    }
}

#[test]
fn default_trace_reads_back() {
    let trace = corsmatch_workload::default_trace();
    assert_eq!(Trace::parse(&trace.write()), Ok(trace));
}

#[test]
fn embedded_trace_is_the_committed_file() {
    assert_eq!(
        Trace::parse(corsmatch_workload::embedded::DEFAULT_TRACE),
        Ok(corsmatch_workload::default_trace())
    );
}
