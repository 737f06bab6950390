//! The origins a scan tries: with a policy, its entries made concrete and their near misses (from
//! the workload generator, seeded); without one, near misses of the target's own origin. Both add
//! unrelated origins and `null`.

use corsmatch::policy::PolicyConfig;
use corsmatch_workload::{near_misses, scan_origins, OriginSource};

/// How many unrelated origins a scan adds.
const UNRELATED: usize = 4;

/// One origin to try, and where it comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScanOrigin {
    /// The value sent as `Origin`.
    pub origin: String,
    /// Where it comes from.
    pub source: OriginSource,
    /// Its place in the scan's list: an entry's own origins first, then its near misses in the
    /// order of the bypass shapes, most telling first (reports list findings in this order).
    pub rank: usize,
}

/// The origins to try under `policy` (`None`: no policy, probe for generic misconfigurations
/// around `target_origin`, the scanned server's own origin). Deterministic for a seed, without
/// duplicates.
pub fn origins(policy: Option<&PolicyConfig>, target_origin: &str, seed: u64) -> Vec<ScanOrigin> {
    let list = match policy {
        Some(config) => scan_origins(config, seed, UNRELATED),
        None => {
            // Without a policy: the server's own origin as a page would name it on https, and
            // the bypass shapes around it; then the unrelated origins of an empty policy.
            let host = target_origin
                .split_once("://")
                .map_or(target_origin, |(_, rest)| rest);
            let anchor = format!("https://{host}");
            let mut list: Vec<(String, OriginSource)> = near_misses(&anchor)
                .into_iter()
                .map(|o| (o, OriginSource::NearMiss(0)))
                .collect();
            list.extend(scan_origins(&PolicyConfig::default(), seed, UNRELATED));
            let mut seen = std::collections::HashSet::new();
            list.retain(|(o, _)| seen.insert(o.clone()));
            list
        }
    };
    list.into_iter()
        .enumerate()
        .map(|(rank, (origin, source))| ScanOrigin {
            origin,
            source,
            rank,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_a_policy_every_entry_and_its_near_misses_are_tried_once() {
        let mut config = PolicyConfig::default();
        config.origins = vec!["https://*.example.org".into(), "http://localhost:*".into()];
        let a = origins(Some(&config), "http://127.0.0.1:8080", 1);
        assert_eq!(a, origins(Some(&config), "http://127.0.0.1:8080", 1));
        let names: Vec<&str> = a.iter().map(|o| o.origin.as_str()).collect();
        let distinct: std::collections::HashSet<&&str> = names.iter().collect();
        assert_eq!(distinct.len(), names.len());
        assert!(names.contains(&"https://example.org"), "{names:?}");
        assert!(names.contains(&"null"));
        assert!(names.iter().any(|o| o.starts_with("http://localhost:")));
        assert!(names.contains(&"https://example.org.evil.com"));
    }

    #[test]
    fn without_a_policy_the_targets_own_origin_is_the_anchor() {
        let a = origins(None, "http://api.example.com:8080", 1);
        let names: Vec<&str> = a.iter().map(|o| o.origin.as_str()).collect();
        assert!(names.contains(&"https://api.example.com:8080.evil.com"));
        assert!(names.contains(&"https://evilapi.example.com:8080"));
        assert!(names.contains(&"null"));
        assert!(
            a.iter()
                .filter(|o| o.source == OriginSource::Unrelated)
                .count()
                >= UNRELATED
        );
    }
}
