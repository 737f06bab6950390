//! Workload helpers and peers shared by the corsmatch benchmarks.

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

/// The criterion configuration of the quick benches: short warm-up and measurement, so that a whole
/// bench file runs in a few minutes on a 2-core machine.
pub fn quick() -> criterion::Criterion {
    criterion::Criterion::default()
        .warm_up_time(std::time::Duration::from_millis(300))
        .measurement_time(std::time::Duration::from_secs(1))
        .sample_size(30)
}
