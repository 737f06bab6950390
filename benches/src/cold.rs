//! The cold-cache fixture (`benches/benches/cold.rs`, `src/bin/cold.rs`): an allowlist of 100 000
//! exact origins, 10 000 subdomain wildcards, a port wildcard and two regexes (`origin_match.rs`'s
//! largest), and 4 096 distinct origins of one kind looked up in a shuffled cycle, so that between two
//! lookups of one origin every other one is looked up: the lines a lookup touches are no longer in
//! the first two cache levels (4 096 lookups touch 0.5–0.8 MiB of lines; the L2 is 512 KiB).
//!
//! The floors under the same conditions: an `ahash` `HashSet<&[u8]>` of the 100 000 exact origins
//! looked up with the same bytes (exact hits), and one of the 10 000 wildcard bases looked up with
//! the base each host belongs to, cut beforehand (wildcard hits).

use std::collections::HashSet;

use corsmatch::pattern::Allowlist;
use corsmatch::OriginMatcher;

use crate::{exact_origins, wildcard_bases};

/// Exact origins in the allowlist.
pub const N: usize = 100_000;
/// Distinct origins in the cycle.
pub const WORKING_SET: usize = 4_096;

/// The allowlist.
pub fn entries() -> Vec<String> {
    let mut entries = exact_origins(N);
    entries.extend(
        wildcard_bases(N / 10)
            .iter()
            .map(|b| format!("https://*.{b}")),
    );
    entries.push("http://localhost:*".into());
    entries.push(r"regex:^https://pr-[0-9]+\.preview\.example\.dev$".into());
    entries.push(r"regex:^https://[a-z0-9-]+\.review\.example\.dev$".into());
    entries
}

/// A new build of the allowlist (each build draws its own hash seeds).
pub fn build(list: &Allowlist) -> OriginMatcher {
    OriginMatcher::from_allowlist(list).expect("the cold allowlist compiles")
}

/// The allowlist parsed.
pub fn allowlist() -> Allowlist {
    Allowlist::parse(&entries()).expect("the cold allowlist parses")
}

/// A fixed permutation of `0..n` (SplitMix64-driven Fisher-Yates), so that consecutive lookups are
/// not neighbours in any table.
fn shuffled(n: usize) -> Vec<usize> {
    let mut state = 0x5eed_u64;
    let mut next = || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let mut v: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        v.swap(i, (next() % (i as u64 + 1)) as usize);
    }
    v
}

/// `WORKING_SET` exact origins spread over the allowlist, in a shuffled order.
pub fn exact_hits() -> Vec<Vec<u8>> {
    let exact = exact_origins(N);
    shuffled(WORKING_SET)
        .into_iter()
        .map(|i| exact[i * (N / WORKING_SET)].clone().into_bytes())
        .collect()
}

/// `WORKING_SET` hosts under distinct wildcard bases, in a shuffled order, with the base of each.
pub fn wildcard_hits() -> Vec<(Vec<u8>, Vec<u8>)> {
    let bases = wildcard_bases(N / 10);
    shuffled(WORKING_SET)
        .into_iter()
        .map(|i| {
            let base = &bases[i * (bases.len() / WORKING_SET)];
            (
                format!("https://api.{base}").into_bytes(),
                base.clone().into_bytes(),
            )
        })
        .collect()
}

/// The exact-hit floor: the exact origins in an `ahash` set.
pub fn exact_floor(exact: &[String]) -> HashSet<&[u8], ahash::RandomState> {
    exact.iter().map(|e| e.as_bytes()).collect()
}

/// The wildcard-hit floor: the bases in an `ahash` set.
pub fn wildcard_floor(bases: &[String]) -> HashSet<&[u8], ahash::RandomState> {
    bases.iter().map(|b| b.as_bytes()).collect()
}
