//! Replays every fuzz seed (`corpus/fuzz/<target>/`) and every input a fuzzer or a bug ever found
//! (`corpus/regressions/<target>/`) through the checks the fuzz targets run, on stable Rust; and checks
//! that the derived seeds still match the conformance tables.
//!
//! A folder under either root must be named after a fuzz target and hold at least one file: a
//! misnamed or emptied folder would otherwise replay nothing and pass.

use std::path::{Path, PathBuf};

use corsmatch_conformance::{cases, fuzzing, seeds};

type Check = fn(&[u8]);

const CHECKS: &[(&str, Check)] = &[
    ("origin", fuzzing::origin),
    ("pattern", fuzzing::pattern),
    ("matcher", fuzzing::matcher),
    ("request_headers", fuzzing::request_headers),
    ("decision", fuzzing::decision),
    ("matcher_regex", fuzzing::matcher_regex),
    ("http_adapter", fuzzing::http_adapter),
    ("url_origin", fuzzing::url_origin),
];

/// The inputs under `root`, per target; an error names a folder or file that does not belong there.
fn inputs(root: &Path) -> Result<Vec<(Check, PathBuf)>, String> {
    let mut out = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(root)
        .map_err(|e| format!("{}: {e}", root.display()))?
        .map(|e| e.map(|e| e.path()).map_err(|e| e.to_string()))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for path in entries {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if path.is_file() && (name == "README.md" || name == "cors.dict") {
            continue;
        }
        let Some((_, check)) = CHECKS.iter().find(|(t, _)| *t == name) else {
            return Err(format!(
                "{}: not a fuzz target's folder (targets: {:?})",
                path.display(),
                CHECKS.iter().map(|(t, _)| *t).collect::<Vec<_>>()
            ));
        };
        let mut files: Vec<PathBuf> = std::fs::read_dir(&path)
            .map_err(|e| format!("{}: {e}", path.display()))?
            .map(|e| e.map(|e| e.path()).map_err(|e| e.to_string()))
            .collect::<Result<_, _>>()?;
        files.sort();
        if let Some(p) = files.iter().find(|p| !p.is_file()) {
            return Err(format!("{}: inputs are files, not folders", p.display()));
        }
        if files.is_empty() {
            return Err(format!(
                "{}: an empty folder (remove it, or restore its inputs)",
                path.display()
            ));
        }
        out.extend(files.into_iter().map(|f| (*check, f)));
    }
    Ok(out)
}

fn replay(root: &Path) -> usize {
    let inputs = inputs(root).unwrap_or_else(|e| panic!("{e}"));
    for (check, file) in &inputs {
        let data = std::fs::read(file).unwrap();
        let result = std::panic::catch_unwind(|| check(&data));
        assert!(result.is_ok(), "{} fails (message above)", file.display());
    }
    inputs.len()
}

#[test]
fn fuzz_seed_corpus() {
    let n = replay(&cases::corpus_dir().join("fuzz"));
    assert!(n >= 100, "only {n} seed inputs under corpus/fuzz");
}

#[test]
fn every_target_has_seeds() {
    let root = cases::corpus_dir().join("fuzz");
    for target in seeds::TARGETS {
        assert!(
            root.join(target).is_dir(),
            "no seed folder corpus/fuzz/{target}"
        );
    }
    assert_eq!(
        seeds::TARGETS.len(),
        CHECKS.len(),
        "a fuzz target without a replayed check"
    );
}

#[test]
fn regressions() {
    replay(&cases::corpus_dir().join("regressions"));
}

#[test]
fn misnamed_or_empty_folders_fail() {
    let dir = std::env::temp_dir().join(format!("corsmatch-replay-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("origin")).unwrap();
    std::fs::write(dir.join("origin/a"), "https://a.example").unwrap();
    assert_eq!(inputs(&dir).map(|v| v.len()), Ok(1));
    std::fs::create_dir_all(dir.join("pattern")).unwrap();
    let empty = inputs(&dir).unwrap_err();
    std::fs::remove_dir(dir.join("pattern")).unwrap();
    std::fs::create_dir_all(dir.join("origins")).unwrap();
    std::fs::write(dir.join("origins/a"), "https://a.example").unwrap();
    let misnamed = inputs(&dir).unwrap_err();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(empty.contains("empty folder"), "{empty}");
    assert!(misnamed.contains("not a fuzz target"), "{misnamed}");
}

/// The committed `case-*` seeds are exactly what the tables derive today
/// (`cargo run -p corsmatch-conformance --bin fuzz-seeds` rewrites them).
#[test]
fn derived_seeds_match_the_tables() {
    let derived = seeds::derive().unwrap_or_else(|e| panic!("{e}"));
    let problems = seeds::stale(&cases::corpus_dir().join("fuzz"), &derived).unwrap();
    assert!(
        problems.is_empty(),
        "corpus/fuzz is out of date with corpus/cases; run `cargo run -p corsmatch-conformance --bin fuzz-seeds` \
         and commit the result:\n{}",
        problems.join("\n")
    );
}
