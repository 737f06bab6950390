//! `icount_gate`: compares the instruction counts of the gungraun bench `benches/icount.rs` with
//! the baseline, the last entry of the performance history `benches/history.jsonl`, and fails on a
//! rise of more than 5%; and records the counts of a run into that history.
//!
//! Gungraun can compare against a baseline itself (`--save-baseline`, `--baseline` and
//! `--callgrind-limits`), but its baselines are the raw callgrind output files under `target/`,
//! with absolute paths and a layout private to gungraun: not something to commit and review. This
//! gate keeps the committed history to one JSON line per commit (`corsmatch_benches::history`),
//! whose `ir` map (`"function/id" -> Ir`) a reviewer reads in the diff of the commit that adds it,
//! and reads the counts of the current run from the `summary.json` files gungraun writes with
//! `--save-summary=json` (`GUNGRAUN_SAVE_SUMMARY`).
//!
//! ```text
//! icount_gate check  [--summaries DIR] [--history FILE] [--threshold PCT]
//! icount_gate update [--summaries DIR] [--history FILE] [--bench FILE]
//! ```
//!
//! `check` prints every bench with its old and new count and the change, and exits 1 if a count
//! rose by more than the threshold (5% by default), if a baselined bench is missing from the run,
//! or if the run has a bench the baseline lacks; drops of more than the threshold are reported as
//! improvements (update the baseline to lock them in). `update` writes the run's counts as the
//! entry of `HEAD` (replacing the entry of the same commit and state, else appending one), with the
//! `corsmatch bench --format json` report in `--bench FILE` if given. Both read the output of the
//! bench, so run them through `benches/icount.sh check|update` (or `benches/history.sh record`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use corsmatch_benches::history;
use serde_json::Value;

/// The schema version of the gungraun summary files this gate reads (gungraun 0.20 writes "7").
const SUMMARY_SCHEMA: &str = "7";

/// The default allowed rise, in percent.
const DEFAULT_THRESHOLD_PCT: f64 = 5.0;

/// The parsed command line.
struct Args {
    /// `check` or `update`.
    update: bool,
    /// The directory searched (recursively) for gungraun's `summary.json` files.
    summaries: PathBuf,
    /// The committed history, whose last entry is the baseline.
    history: PathBuf,
    /// `update --bench FILE`: a `corsmatch bench --format json` report to record with the counts.
    bench: Option<PathBuf>,
    /// The allowed rise, in percent.
    threshold_pct: f64,
}

/// The help text.
const USAGE: &str = r"usage: icount_gate check|update [OPTIONS]

  check   compare the counts of the last run of the `icount` bench (run with
          GUNGRAUN_SAVE_SUMMARY=json) with the baseline, the last entry of the history; exit 1
          on a rise over the threshold
  update  record the counts of that run as the history's entry for HEAD (replacing the entry
          of the same commit and state, else appending one)

  --summaries DIR  gungraun's output of the bench (default: $CARGO_TARGET_DIR or target, then
                   icount/gungraun/corsmatch-benches/icount, where benches/icount.sh puts it)
  --history FILE   the committed history (default: benches/history.jsonl)
  --threshold PCT  check: the allowed rise in percent (default: 5)
  --bench FILE     update: a `corsmatch bench --format json` report to record with the counts";

fn parse_args() -> Result<Args, String> {
    let mut args = std::env::args().skip(1);
    let update = match args.next().as_deref() {
        Some("check") => false,
        Some("update") => true,
        Some("-h" | "--help") => {
            println!("{USAGE}");
            std::process::exit(0);
        }
        Some(other) => return Err(format!("unknown subcommand `{other}`")),
        None => return Err("missing subcommand".into()),
    };
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest_dir.join("../target"));
    let mut parsed = Args {
        update,
        summaries: target.join("icount/gungraun/corsmatch-benches/icount"),
        history: manifest_dir.join("history.jsonl"),
        bench: None,
        threshold_pct: DEFAULT_THRESHOLD_PCT,
    };
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("`{flag}` needs a value"));
        match flag.as_str() {
            "--summaries" => parsed.summaries = value()?.into(),
            "--history" => parsed.history = value()?.into(),
            "--bench" => parsed.bench = Some(value()?.into()),
            "--threshold" => {
                let v = value()?;
                parsed.threshold_pct = v
                    .parse()
                    .ok()
                    .filter(|t: &f64| t.is_finite() && *t >= 0.0)
                    .ok_or_else(|| format!("`--threshold {v}`: not a percentage"))?;
            }
            _ => return Err(format!("unknown argument `{flag}`")),
        }
    }
    Ok(parsed)
}

/// Every `summary.json` under `dir`, sorted.
fn summary_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries =
            std::fs::read_dir(&dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        for entry in entries {
            let path = entry
                .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
                .path();
            if path.is_dir() {
                stack.push(path);
            } else if path.file_name().is_some_and(|n| n == "summary.json") {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

/// The bench id (`function/id`) and callgrind instruction count of one gungraun summary file
/// (schema version 7, gungraun 0.20).
fn read_summary(path: &Path) -> Result<(String, u64), String> {
    let fail = |what: &str| format!("{}: {what}", path.display());
    let text = std::fs::read_to_string(path).map_err(|e| fail(&e.to_string()))?;
    let summary: Value = serde_json::from_str(&text).map_err(|e| fail(&e.to_string()))?;
    if summary["version"] != SUMMARY_SCHEMA {
        return Err(fail(&format!(
            "summary schema version {}, this gate reads version {SUMMARY_SCHEMA} (gungraun 0.20); \
             update `read_summary` with the gungraun version",
            summary["version"]
        )));
    }
    let function = summary["function_name"]
        .as_str()
        .ok_or_else(|| fail("no `function_name`"))?;
    let id = match summary["id"].as_str() {
        Some(id) => format!("{function}/{id}"),
        None => function.to_owned(),
    };
    let profiles = summary["profiles"]
        .as_array()
        .ok_or_else(|| fail("no `profiles` (did the benchmark fail?)"))?;
    let callgrind = profiles
        .iter()
        .find(|p| p["tool"] == "Callgrind")
        .ok_or_else(|| fail("no Callgrind profile"))?;
    let ir = &callgrind["data"]["total"]["metrics"]["Ir"]["values"]["new"];
    let ir = ir.as_u64().ok_or_else(|| {
        fail("no `data.total.metrics.Ir.values.new` integer in the Callgrind profile")
    })?;
    Ok((id, ir))
}

/// The counts of the run: bench id -> Ir.
fn current_counts(dir: &Path) -> Result<BTreeMap<String, u64>, String> {
    let files = summary_files(dir)?;
    if files.is_empty() {
        return Err(format!(
            "no summary.json under {}: run the bench with GUNGRAUN_SAVE_SUMMARY=json \
             (benches/icount.sh does)",
            dir.display()
        ));
    }
    let mut counts = BTreeMap::new();
    for file in files {
        let (id, ir) = read_summary(&file)?;
        if counts.insert(id.clone(), ir).is_some() {
            return Err(format!("two summaries for `{id}` under {}", dir.display()));
        }
    }
    Ok(counts)
}

/// The compiler that built the bench, as `rustc --version` prints it.
fn rustc_version() -> String {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    std::process::Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|v| v.trim().to_owned())
        .unwrap_or_else(|| "unknown".into())
}

/// The change from `old` to `new`, in percent.
fn change_pct(old: u64, new: u64) -> f64 {
    if old == 0 {
        if new == 0 {
            0.0
        } else {
            f64::INFINITY
        }
    } else {
        (new as f64 - old as f64) / old as f64 * 100.0
    }
}

/// Compares `current` with `baseline`: the report, and whether the gate fails.
fn compare(
    baseline: &BTreeMap<String, u64>,
    current: &BTreeMap<String, u64>,
    threshold_pct: f64,
) -> (String, bool) {
    let mut report = String::new();
    let mut regressions = Vec::new();
    let mut improvements = Vec::new();
    let mut missing = Vec::new();
    let width = baseline
        .keys()
        .chain(current.keys())
        .map(String::len)
        .max()
        .unwrap_or(0);
    let _ = writeln!(
        report,
        "{:width$}  {:>12}  {:>12}  {:>9}",
        "bench", "baseline Ir", "current Ir", "change"
    );
    for (id, &old) in baseline {
        let Some(&new) = current.get(id) else {
            let _ = writeln!(report, "{id:width$}  {old:>12}  {:>12}", "missing");
            missing.push(id.as_str());
            continue;
        };
        let pct = change_pct(old, new);
        let verdict = if pct > threshold_pct {
            regressions.push(format!("{id}: {old} -> {new} Ir ({pct:+.2}%)"));
            "  REGRESSION"
        } else if pct < -threshold_pct {
            improvements.push(format!("{id}: {old} -> {new} Ir ({pct:+.2}%)"));
            "  improvement"
        } else {
            ""
        };
        let _ = writeln!(
            report,
            "{id:width$}  {old:>12}  {new:>12}  {pct:>+8.2}%{verdict}"
        );
    }
    let unbaselined: Vec<&str> = current
        .keys()
        .filter(|id| !baseline.contains_key(*id))
        .map(String::as_str)
        .collect();
    for id in &unbaselined {
        let _ = writeln!(
            report,
            "{id:width$}  {:>12}  {:>12}",
            "missing", current[*id]
        );
    }
    let _ = writeln!(report);
    for line in &improvements {
        let _ = writeln!(
            report,
            "improvement (more than {threshold_pct}% fewer instructions): {line}"
        );
    }
    if !improvements.is_empty() {
        let _ = writeln!(
            report,
            "  lock the improvements in with `benches/icount.sh update` and commit \
             benches/history.jsonl"
        );
    }
    for line in &regressions {
        let _ = writeln!(
            report,
            "REGRESSION (more than {threshold_pct}% more instructions): {line}"
        );
    }
    for id in &missing {
        let _ = writeln!(
            report,
            "error: `{id}` is in the baseline but not in this run (renamed or removed? run \
             `benches/icount.sh update`)"
        );
    }
    for id in &unbaselined {
        let _ = writeln!(
            report,
            "error: `{id}` is not in the baseline (new bench? run `benches/icount.sh update`)"
        );
    }
    let failed = !regressions.is_empty() || !missing.is_empty() || !unbaselined.is_empty();
    if failed {
        let _ = writeln!(
            report,
            "icount gate FAILED: {} regression(s) over {threshold_pct}%, {} missing, {} not \
             baselined. If a rise is intended, run `benches/icount.sh update` and commit \
             benches/history.jsonl with the change that explains it.",
            regressions.len(),
            missing.len(),
            unbaselined.len()
        );
    } else {
        let _ = writeln!(
            report,
            "icount gate passed: {} benches within +{threshold_pct}% of the baseline",
            baseline.len()
        );
    }
    (report, failed)
}

/// The repository whose `HEAD` an update records: the workspace this gate was built in.
fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `update`: the run's counts as the entry of `HEAD`.
fn update(args: &Args, current: &BTreeMap<String, u64>) -> Result<(), String> {
    let mut entries = history::read(&args.history)?;
    let git = history::git_state(&repo())?;
    let bench = match &args.bench {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let report: Value = serde_json::from_str(&text)
                .map_err(|e| format!("{}: not a JSON report: {e}", path.display()))?;
            Some(history::bench_figures(&report).map_err(|e| format!("{}: {e}", path.display()))?)
        }
        // Keep the figures `benches/history.sh record` put in the entry of this clean commit.
        None if !git.dirty => entries
            .iter()
            .find(|e| e["commit"] == git.commit.as_str() && e["dirty"] == false)
            .and_then(|e| e.get("bench").cloned()),
        None => None,
    };
    let entry = history::entry(&git, &rustc_version(), &history::now(), current, bench);
    let replaced = history::upsert(&mut entries, entry);
    history::write(&args.history, &entries)?;
    for (id, ir) in current {
        println!("{id}: {ir}");
    }
    let state = if git.dirty {
        " with uncommitted changes (recorded as dirty)"
    } else {
        ""
    };
    println!(
        "{} the entry of {}{state} in {} ({} entries): {} counts; commit it",
        if replaced { "replaced" } else { "appended" },
        git.short,
        args.history.display(),
        entries.len(),
        current.len(),
    );
    Ok(())
}

fn run() -> Result<bool, String> {
    let args = parse_args().map_err(|e| format!("{e}\n\n{USAGE}"))?;
    let current = current_counts(&args.summaries)?;
    if args.update {
        update(&args, &current)?;
        return Ok(true);
    }
    let entries = history::read(&args.history)?;
    let last = entries.last().ok_or_else(|| {
        format!(
            "{}: no entry to take the baseline from (record one with `benches/icount.sh update` \
             and commit it)",
            args.history.display()
        )
    })?;
    let baseline = history::ir_counts(last)?;
    let baseline_rustc = last["rustc"].as_str().unwrap_or("unknown");
    println!(
        "baseline: {} ({}), the last of {} entries in {}",
        history::label(last),
        last["date"].as_str().unwrap_or("no date"),
        entries.len(),
        args.history.display(),
    );
    let rustc = rustc_version();
    if baseline_rustc != rustc {
        println!(
            "note: the baseline was measured with `{baseline_rustc}`, this run with `{rustc}`; \
             a compiler change alone can move instruction counts"
        );
    }
    let (report, failed) = compare(&baseline, &current, args.threshold_pct);
    print!("{report}");
    Ok(!failed)
}

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("icount_gate: error: {e}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
        pairs.iter().map(|&(id, ir)| (id.to_owned(), ir)).collect()
    }

    #[test]
    fn passes_within_the_threshold_and_reports_improvements() {
        let baseline = counts(&[("a/x", 1000), ("a/y", 1000)]);
        let current = counts(&[("a/x", 1050), ("a/y", 900)]);
        let (report, failed) = compare(&baseline, &current, 5.0);
        assert!(!failed, "{report}");
        assert!(report.contains("improvement (more than 5% fewer instructions): a/y"));
        assert!(report.contains("icount gate passed"));
    }

    #[test]
    fn fails_on_a_rise_over_the_threshold_naming_the_bench() {
        let baseline = counts(&[("a/x", 1000), ("a/y", 1000)]);
        let current = counts(&[("a/x", 1051), ("a/y", 1000)]);
        let (report, failed) = compare(&baseline, &current, 5.0);
        assert!(failed);
        assert!(report.contains("REGRESSION (more than 5% more instructions): a/x: 1000 -> 1051"));
        assert!(!report.contains("a/y: 1000"));
    }

    #[test]
    fn fails_on_missing_and_unbaselined_benches() {
        let baseline = counts(&[("a/x", 1000)]);
        let current = counts(&[("a/z", 1000)]);
        let (report, failed) = compare(&baseline, &current, 5.0);
        assert!(failed);
        assert!(report.contains("`a/x` is in the baseline but not in this run"));
        assert!(report.contains("`a/z` is not in the baseline"));
    }

    #[test]
    fn change_of_a_zero_count() {
        assert_eq!(change_pct(0, 0), 0.0);
        assert_eq!(change_pct(0, 1), f64::INFINITY);
        assert_eq!(change_pct(200, 210), 5.0);
    }
}
