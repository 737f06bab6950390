//! The fuzz seed corpus `corpus/fuzz/<target>/`, derived from the conformance tables `corpus/cases/`.
//!
//! ```sh
//! cargo run -p corsmatch-conformance --bin fuzz-seeds
//! ```
//!
//! The derived seeds are the `case-*` files, named by a hash of their content so that the output is
//! the same on every run; [`write()`] replaces them and leaves the other files of those folders (inputs
//! the fuzzers found, minimized with `cargo fuzz cmin`) alone. [`stale`] tells whether the committed
//! seeds still match the tables (a test runs it). The `decision` and `http_adapter` targets decode
//! arbitrary bytes into policies, script calls and header maps, so their seeds are deterministic
//! pseudo-random bytes; `matcher_regex` gets the literal seeds of the groups with a regex entry, and
//! `url_origin` the origins of the tables, as `origin` does.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::cases::{self, TableError};

/// The fuzz targets, in the order of `fuzz/Cargo.toml`.
pub const TARGETS: &[&str] = &[
    "origin",
    "pattern",
    "matcher",
    "request_headers",
    "decision",
    "matcher_regex",
    "http_adapter",
    "url_origin",
];

/// The seeds of each target.
pub type Seeds = BTreeMap<&'static str, BTreeSet<Vec<u8>>>;

/// The name of a derived seed file: `case-` and a 64-bit FNV-1a hash of the content.
pub fn file_name(seed: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in seed {
        h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
    format!("case-{h:016x}")
}

/// Derives every target's seeds from the tables.
pub fn derive() -> Result<Seeds, TableError> {
    let mut seeds: Seeds = TARGETS.iter().map(|t| (*t, BTreeSet::new())).collect();
    let mut add = |target: &'static str, seed: Vec<u8>| {
        if let Some(set) = seeds.get_mut(target) {
            set.insert(seed);
        }
    };
    for table in cases::origin_tables()? {
        for group in &table.content.group {
            for entry in &group.allow {
                add("pattern", entry.as_bytes().to_vec());
            }
            let mut origins = Vec::new();
            for case in group.cases.iter().filter(|c| !c.hex) {
                add("origin", case.origin.clone());
                add("url_origin", case.origin.clone());
                if !case.origin.contains(&b'\n') {
                    origins.push(String::from_utf8_lossy(&case.origin).into_owned());
                }
            }
            // The matcher target's literal form: `L`, the entries, an empty line, the origins.
            let literal = format!("L{}\n\n{}", group.allow.join("\n"), origins.join("\n"));
            if group.allow.iter().any(|e| e.starts_with("regex:")) {
                add("matcher_regex", literal.clone().into_bytes());
            }
            add("matcher", literal.into_bytes());
        }
    }
    for table in cases::pattern_tables()? {
        for case in &table.content.case {
            add("pattern", case.entry.as_bytes().to_vec());
        }
    }
    for table in cases::decision_tables()? {
        for case in &table.content.case {
            if !case.request.acrh.is_empty() {
                add("request_headers", case.request.acrh.join("\n").into_bytes());
            }
        }
    }
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut random = |len: usize| -> Vec<u8> {
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect()
    };
    for _ in 0..64 {
        add("decision", random(48));
    }
    // A policy, a request of up to eight headers and an upstream response of up to six take more.
    for i in 0..64 {
        add("http_adapter", random(64 + 4 * i));
    }
    Ok(seeds)
}

/// The differences between the derived seeds and the `case-*` files under `root/<target>/`: missing
/// seeds, files whose content differs, and files no table derives. Empty when they match.
pub fn stale(root: &Path, seeds: &Seeds) -> std::io::Result<Vec<String>> {
    let mut problems = Vec::new();
    for (target, set) in seeds {
        let dir = root.join(target);
        let mut wanted: BTreeMap<String, &Vec<u8>> =
            set.iter().map(|s| (file_name(s), s)).collect();
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            if !name.starts_with("case-") {
                continue;
            }
            match wanted.remove(name.as_ref()) {
                Some(seed) if std::fs::read(&path)? == *seed => {}
                Some(_) => problems.push(format!("{target}/{name}: content differs")),
                None => problems.push(format!("{target}/{name}: no table derives it")),
            }
        }
        problems.extend(
            wanted
                .keys()
                .map(|name| format!("{target}/{name}: missing")),
        );
    }
    Ok(problems)
}

/// Replaces the `case-*` files under `root/<target>/` with `seeds`; returns the count per target.
pub fn write(root: &Path, seeds: &Seeds) -> std::io::Result<Vec<(&'static str, usize)>> {
    let mut counts = Vec::new();
    for (target, set) in seeds {
        let dir = root.join(target);
        std::fs::create_dir_all(&dir)?;
        for old in std::fs::read_dir(&dir)? {
            let old = old?.path();
            if old
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("case-"))
            {
                std::fs::remove_file(old)?;
            }
        }
        for s in set {
            std::fs::write(dir.join(file_name(s)), s)?;
        }
        counts.push((*target, set.len()));
    }
    Ok(counts)
}
