//! Writes the fuzz seed corpus `corpus/fuzz/<target>/` from the conformance tables `corpus/cases/`:
//!
//! ```sh
//! cargo run -p corsmatch --example fuzz_seeds --features fuzzing,serde
//! ```
//!
//! The generated seeds are the `case-*` files; they are replaced on every run, and named by a hash of
//! their content so the output is the same every time. Other files in those folders (inputs the
//! fuzzers found, minimized with `cargo fuzz cmin`) are left alone. The `decision` target decodes arbitrary bytes into policies and script calls, so
//! its seeds are deterministic pseudo-random bytes.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn fnv(data: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in data {
        h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
    format!("{h:016x}")
}

fn toml_file(path: &Path) -> toml::Value {
    toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn tables(dir: &Path, prefix: &str) -> Vec<toml::Value> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            n.starts_with(prefix) && n.ends_with(".toml")
        })
        .collect();
    paths.sort();
    paths.iter().map(|p| toml_file(p)).collect()
}

fn strs(v: Option<&toml::Value>) -> Vec<String> {
    v.and_then(|v| v.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn write(root: &Path, target: &str, seeds: &BTreeSet<Vec<u8>>) {
    let dir = root.join(target);
    std::fs::create_dir_all(&dir).unwrap();
    for old in std::fs::read_dir(&dir).unwrap() {
        let old = old.unwrap().path();
        if old
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("case-")
        {
            std::fs::remove_file(old).unwrap();
        }
    }
    for s in seeds {
        std::fs::write(dir.join(format!("case-{}", fnv(s))), s).unwrap();
    }
    println!("{target}: {} seeds", seeds.len());
}

fn main() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus");
    let cases = corpus.join("cases");
    let (mut origin, mut pattern, mut matcher, mut headers, mut decision) = (
        BTreeSet::new(),
        BTreeSet::new(),
        BTreeSet::new(),
        BTreeSet::new(),
        BTreeSet::new(),
    );

    for file in tables(&cases, "origins-") {
        for group in file["group"].as_array().unwrap() {
            let allow = strs(group.get("allow"));
            pattern.extend(allow.iter().map(|a| a.as_bytes().to_vec()));
            let mut origins = Vec::new();
            for case in group["cases"].as_array().unwrap() {
                if let Some(o) = case.get("origin").and_then(|o| o.as_str()) {
                    origin.insert(o.as_bytes().to_vec());
                    if !o.contains('\n') {
                        origins.push(o.to_string());
                    }
                }
            }
            let literal = format!("L{}\n\n{}", allow.join("\n"), origins.join("\n"));
            matcher.insert(literal.into_bytes());
        }
    }
    for file in tables(&cases, "patterns") {
        for case in file["case"].as_array().unwrap() {
            pattern.insert(case["entry"].as_str().unwrap().as_bytes().to_vec());
        }
    }
    for file in tables(&cases, "decisions-") {
        for case in file["case"].as_array().unwrap() {
            let acrh = strs(case["request"].get("acrh"));
            if !acrh.is_empty() {
                headers.insert(acrh.join("\n").into_bytes());
            }
        }
    }
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..64 {
        let seed: Vec<u8> = (0..48)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        decision.insert(seed);
    }
    let root = corpus.join("fuzz");
    write(&root, "origin", &origin);
    write(&root, "pattern", &pattern);
    write(&root, "matcher", &matcher);
    write(&root, "request_headers", &headers);
    write(&root, "decision", &decision);
}
