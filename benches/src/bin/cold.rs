//! The cold-cache lookups of `benches/benches/cold.rs`, one engine per process, for valgrind's cache
//! simulation:
//!
//! ```text
//! valgrind --tool=cachegrind --cache-sim=yes --LL=512,8,64 target/release/cold exact corsmatch 3
//! ```
//!
//! `cold {exact|wildcard} {corsmatch|floor} [BUILDS]` builds the allowlist `BUILDS` times (default
//! 1; only the last build is looked up, so that the earlier ones leave the allocator as a long
//! running process would), then cycles `PASSES` times through the 4 096 origins and prints how many
//! lookups hit. Cachegrind counts every instruction and miss of the process, the build included: the
//! lookups are the difference between two runs that differ only in `PASSES` (the environment
//! variable, default 10).

use std::hint::black_box;

use corsmatch_benches::cold;
use corsmatch_benches::{exact_origins, wildcard_bases};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: cold {exact|wildcard} {corsmatch|floor} [BUILDS]";
    let (kind, engine) = match (args.get(1), args.get(2)) {
        (Some(k), Some(e)) => (k.as_str(), e.as_str()),
        _ => {
            eprintln!("{usage}");
            std::process::exit(2);
        }
    };
    let builds: usize = args.get(3).map_or(1, |b| b.parse().expect("BUILDS"));
    let passes: usize = std::env::var("PASSES").map_or(10, |p| p.parse().expect("PASSES"));
    let exact_hits = cold::exact_hits();
    let wildcard_hits = cold::wildcard_hits();
    let mut hits = 0;
    match engine {
        "corsmatch" => {
            let list = cold::allowlist();
            let mut m = cold::build(&list);
            for _ in 1..builds {
                m = cold::build(&list);
            }
            for _ in 0..passes {
                hits += match kind {
                    "exact" => exact_hits
                        .iter()
                        .filter(|o| m.matches(black_box(o)))
                        .count(),
                    _ => wildcard_hits
                        .iter()
                        .filter(|(o, _)| m.matches(black_box(o)))
                        .count(),
                };
            }
        }
        "floor" => {
            let exact = exact_origins(cold::N);
            let bases = wildcard_bases(cold::N / 10);
            let exact_floor = cold::exact_floor(&exact);
            let wildcard_floor = cold::wildcard_floor(&bases);
            for _ in 0..passes {
                hits += match kind {
                    "exact" => exact_hits
                        .iter()
                        .filter(|o| exact_floor.contains(black_box(&o[..])))
                        .count(),
                    _ => wildcard_hits
                        .iter()
                        .filter(|(_, b)| wildcard_floor.contains(black_box(&b[..])))
                        .count(),
                };
            }
        }
        _ => {
            eprintln!("{usage}");
            std::process::exit(2);
        }
    }
    println!("{hits}");
}
