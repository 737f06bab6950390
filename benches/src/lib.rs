//! Workload helpers and peers shared by the corsmatch benchmarks.

pub mod cold;
pub mod history;
pub mod layer;
pub mod peers;

/// `n` distinct exact origins, `https://app{i}.tenant{i % 97}.example.com`.
pub fn exact_origins(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("https://app{i}.tenant{}.example.com", i % 97))
        .collect()
}

/// `n` distinct subdomain-wildcard bases, `tenant{i}.example{i % 13}.com`.
pub fn wildcard_bases(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("tenant{i}.example{}.com", i % 13))
        .collect()
}

/// The allowlist of the compile target (ARCHITECTURE.md, "Performance targets"): 100 000 exact
/// origins, 10 000 subdomain wildcards and 100 regexes.
pub fn design_scale_entries() -> Vec<String> {
    let mut entries = exact_origins(100_000);
    entries.extend(
        wildcard_bases(10_000)
            .iter()
            .map(|b| format!("https://*.{b}")),
    );
    entries
        .extend((0..100).map(|i| format!(r"regex:^https://pr-[0-9]+\.preview{i}\.example\.dev$")));
    entries
}

/// The criterion configuration of the quick benches: short warm-up and measurement, so that a whole
/// bench file runs in a few minutes on a 2-core machine.
pub fn quick() -> criterion::Criterion {
    criterion::Criterion::default()
        .warm_up_time(std::time::Duration::from_millis(300))
        .measurement_time(std::time::Duration::from_secs(1))
        .sample_size(30)
}
