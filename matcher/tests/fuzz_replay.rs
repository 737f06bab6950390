//! Replays every fuzz seed (`corpus/fuzz/<target>/`) and every input a fuzzer or a bug ever found
//! (`corpus/regressions/<target>/`) through the checks the fuzz targets run, on stable Rust.

#![cfg(feature = "fuzzing")]

use std::path::Path;

type Check = fn(&[u8]);

const TARGETS: &[(&str, Check)] = &[
    ("origin", corsmatch::fuzzing::origin),
    ("pattern", corsmatch::fuzzing::pattern),
    ("matcher", corsmatch::fuzzing::matcher),
    ("request_headers", corsmatch::fuzzing::request_headers),
    ("decision", corsmatch::fuzzing::decision),
];

fn replay(dir: &str) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../corpus")
        .join(dir);
    let mut count = 0;
    for (target, check) in TARGETS {
        let Ok(entries) = std::fs::read_dir(root.join(target)) else {
            continue;
        };
        let mut files: Vec<_> = entries
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        for file in files {
            let data = std::fs::read(&file).unwrap();
            let result = std::panic::catch_unwind(|| check(&data));
            assert!(
                result.is_ok(),
                "{target}: {} fails (message above)",
                file.display()
            );
            count += 1;
        }
    }
    count
}

#[test]
fn fuzz_seed_corpus() {
    let n = replay("fuzz");
    assert!(n >= 100, "only {n} seed inputs under corpus/fuzz");
}

#[test]
fn regressions() {
    replay("regressions");
}
