//! The performance history, `benches/history.jsonl`: one JSON object per line, one line per commit
//! it was recorded on, oldest first. Written by `benches/icount.sh update` and
//! `benches/history.sh record` (through `icount_gate update`), read by the instruction-count gate
//! (`icount_gate check`, whose baseline is the last line) and drawn by `history_chart`.
//!
//! An entry:
//!
//! ```text
//! {"commit":"<40 hex>","short":"<7 hex>","date":"<commit date, ISO 8601>","subject":"<first line>",
//!  "dirty":false,"rustc":"rustc 1.95.0 (…)","recorded":"<UTC time of the run>",
//!  "ir":{"<function/id>":<Ir>,…},"bench":{…}}
//! ```
//!
//! `dirty` is true when the work tree had uncommitted changes to tracked files (other than the
//! history and its chart) when the counts were taken: the entry then measures `commit` plus those
//! changes, which is what the commit that carries the entry holds when the baseline is updated
//! together with the change that moves it. An entry is keyed by `commit` and `dirty`: recording
//! again on the same commit in the same state replaces its line in place; anything else is appended.
//! `bench` (optional) holds the `corsmatch bench --format json` figures of the same run: wall time,
//! so only comparable between runs on the same machine. `source` (optional) says where an entry
//! came from when it was not measured by these tools (the entries seeded from the baselines of
//! `benches/icount-baseline.json`, which this file replaced).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_json::{Map, Value};

/// The keys of an entry in the order a line lists them; other keys follow, sorted.
const KEY_ORDER: [&str; 10] = [
    "commit", "short", "date", "subject", "dirty", "rustc", "recorded", "source", "ir", "bench",
];

/// The files the history tools write, which do not make a tree dirty (else recording twice on a
/// clean commit would record the second time as dirty).
pub const OWN_FILES: [&str; 2] = ["benches/history.jsonl", "benches/history.svg"];

/// Parses the lines of a history file: every non-blank line one entry (an object with a string
/// `commit`, a boolean `dirty` and an object `ir` of integer counts).
pub fn parse(text: &str) -> Result<Vec<Value>, String> {
    let mut entries = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let fail = |what: &str| format!("line {}: {what}", i + 1);
        let entry: Value = serde_json::from_str(line).map_err(|e| fail(&e.to_string()))?;
        if !entry.is_object() {
            return Err(fail("not a JSON object"));
        }
        if !entry["commit"].is_string() {
            return Err(fail("no string `commit`"));
        }
        if !entry["dirty"].is_boolean() {
            return Err(fail("no boolean `dirty`"));
        }
        ir_counts(&entry).map_err(|e| fail(&e))?;
        entries.push(entry);
    }
    Ok(entries)
}

/// Reads the history at `path`; a file that does not exist is an empty history.
pub fn read(path: &Path) -> Result<Vec<Value>, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse(&text).map_err(|e| format!("{}: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

/// One entry as its line (without the newline): `commit`, `short`, `date`, `subject`, `dirty`,
/// `rustc`, `recorded`, `source`, `ir`, `bench` in that order, then any other keys, sorted.
pub fn line(entry: &Value) -> String {
    let Some(object) = entry.as_object() else {
        return entry.to_string();
    };
    let mut parts: Vec<String> = Vec::new();
    let mut push = |key: &str, value: &Value| {
        parts.push(format!("{}:{value}", Value::from(key)));
    };
    for key in KEY_ORDER {
        if let Some(value) = object.get(key) {
            push(key, value);
        }
    }
    for (key, value) in object {
        if !KEY_ORDER.contains(&key.as_str()) {
            push(key, value);
        }
    }
    format!("{{{}}}", parts.join(","))
}

/// The history file's text: one line per entry.
pub fn render(entries: &[Value]) -> String {
    entries.iter().map(|e| line(e) + "\n").collect()
}

/// Writes `entries` to `path` (through a temporary file beside it, renamed over it).
pub fn write(path: &Path, entries: &[Value]) -> Result<(), String> {
    let tmp = path.with_extension("jsonl.tmp");
    std::fs::write(&tmp, render(entries))
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Puts `entry` into `entries`: in place of the entry with the same `commit` and `dirty`, if any
/// (returns true), else at the end.
pub fn upsert(entries: &mut Vec<Value>, entry: Value) -> bool {
    let same = |e: &Value| e["commit"] == entry["commit"] && e["dirty"] == entry["dirty"];
    match entries.iter().position(same) {
        Some(i) => {
            entries[i] = entry;
            true
        }
        None => {
            entries.push(entry);
            false
        }
    }
}

/// The instruction counts of an entry: bench id -> Ir.
pub fn ir_counts(entry: &Value) -> Result<BTreeMap<String, u64>, String> {
    let ir = entry["ir"].as_object().ok_or("no `ir` object")?;
    let mut counts = BTreeMap::new();
    for (id, count) in ir {
        let count = count
            .as_u64()
            .ok_or_else(|| format!("`ir.{id}` is not an instruction count"))?;
        counts.insert(id.clone(), count);
    }
    Ok(counts)
}

/// How an entry is named on a chart and in messages: its short commit, `+` when dirty.
pub fn label(entry: &Value) -> String {
    let short = entry["short"]
        .as_str()
        .or_else(|| entry["commit"].as_str().map(|c| &c[..c.len().min(7)]))
        .unwrap_or("?");
    let dirty = if entry["dirty"] == true { "+" } else { "" };
    format!("{short}{dirty}")
}

/// The commit a run measures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitState {
    /// The full hash of `HEAD`.
    pub commit: String,
    /// Its abbreviation (7 hex digits).
    pub short: String,
    /// The commit date, ISO 8601 (`git log --format=%cI`).
    pub date: String,
    /// The first line of the commit message.
    pub subject: String,
    /// Whether tracked files other than [`OWN_FILES`] differ from `HEAD`.
    pub dirty: bool,
}

/// Runs `git` in `repo` and returns its standard output, trimmed.
fn git(repo: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "git {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// The state of the repository at `repo`: `HEAD` and whether the tree is dirty.
pub fn git_state(repo: &Path) -> Result<GitState, String> {
    let head = git(repo, &["log", "-1", "--format=%H%n%cI%n%s", "HEAD"])?;
    let mut lines = head.lines();
    let commit = lines.next().unwrap_or_default().to_owned();
    let date = lines.next().unwrap_or_default().to_owned();
    let subject = lines.next().unwrap_or_default().to_owned();
    let mut status = vec!["status", "--porcelain", "--untracked-files=no", "--", "."];
    let excluded: Vec<String> = OWN_FILES.iter().map(|f| format!(":(exclude){f}")).collect();
    status.extend(excluded.iter().map(String::as_str));
    let dirty = !git(repo, &status)?.is_empty();
    Ok(GitState {
        short: commit[..commit.len().min(7)].to_owned(),
        commit,
        date,
        subject,
        dirty,
    })
}

/// A new entry for `git`'s commit.
pub fn entry(
    git: &GitState,
    rustc: &str,
    recorded: &str,
    ir: &BTreeMap<String, u64>,
    bench: Option<Value>,
) -> Value {
    let mut object = Map::new();
    object.insert("commit".into(), git.commit.clone().into());
    object.insert("short".into(), git.short.clone().into());
    object.insert("date".into(), git.date.clone().into());
    object.insert("subject".into(), git.subject.clone().into());
    object.insert("dirty".into(), git.dirty.into());
    object.insert("rustc".into(), rustc.into());
    object.insert("recorded".into(), recorded.into());
    object.insert(
        "ir".into(),
        ir.iter()
            .map(|(id, n)| (id.clone(), Value::from(*n)))
            .collect::<Map<_, _>>()
            .into(),
    );
    if let Some(bench) = bench {
        object.insert("bench".into(), bench);
    }
    Value::Object(object)
}

/// `x` rounded to `1 / scale` (the history keeps wall time to a tenth of a nanosecond and
/// allocations per request to two decimals, as the table prints them).
fn rounded(x: f64, scale: f64) -> Value {
    serde_json::Number::from_f64((x * scale).round() / scale).map_or(Value::Null, Value::Number)
}

/// The figures the history keeps from a `corsmatch bench --format json` report: the policy and
/// trace names, the time budget, and per engine (keyed by its id) ns per request, requests per
/// second and allocations per request.
pub fn bench_figures(report: &Value) -> Result<Value, String> {
    let engines = report["engines"]
        .as_array()
        .ok_or("the bench report has no `engines` array (not `corsmatch bench --format json`?)")?;
    let mut figures = Map::new();
    for engine in engines {
        let id = engine["id"].as_str().ok_or("an engine without `id`")?;
        let number = |field: &str| {
            engine[field]
                .as_f64()
                .ok_or_else(|| format!("engine `{id}`: no number `{field}`"))
        };
        let mut row = Map::new();
        row.insert(
            "ns_per_request".into(),
            rounded(number("ns_per_request")?, 10.0),
        );
        // A whole number, as the table prints it.
        let per_second = number("requests_per_second")?.round();
        row.insert("requests_per_second".into(), Value::from(per_second as u64));
        row.insert(
            "allocs_per_request".into(),
            rounded(number("allocs_per_request")?, 100.0),
        );
        figures.insert(id.to_owned(), Value::Object(row));
    }
    let mut bench = Map::new();
    bench.insert("policy".into(), report["policy"]["name"].clone());
    bench.insert("trace".into(), report["trace"]["name"].clone());
    bench.insert("seconds".into(), report["budget_seconds"].clone());
    bench.insert("engines".into(), Value::Object(figures));
    Ok(Value::Object(bench))
}

/// `secs` seconds after the Unix epoch as `YYYY-MM-DDTHH:MM:SSZ` (UTC).
pub fn utc_timestamp(secs: u64) -> String {
    let days = secs / 86_400;
    let rest = secs % 86_400;
    // Days to a civil date in the proleptic Gregorian calendar, counted in 400-year eras that
    // start on 1 March (so that the leap day is the last day of a year).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153; // 0 = March
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3_600,
        rest % 3_600 / 60,
        rest % 60
    )
}

/// The current time as [`utc_timestamp`] writes it.
pub fn now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    utc_timestamp(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(commit: &str, dirty: bool) -> GitState {
        GitState {
            commit: commit.into(),
            short: commit[..7].into(),
            date: "2026-12-01T00:00:00Z".into(),
            subject: "a change".into(),
            dirty,
        }
    }

    fn counts(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
        pairs.iter().map(|&(id, n)| (id.to_owned(), n)).collect()
    }

    #[test]
    fn an_entry_round_trips_through_its_line_with_commit_first() {
        let e = entry(
            &state("0123456789abcdef", false),
            "rustc 1.95.0",
            "2026-12-01T06:00:00Z",
            &counts(&[("matches/exact_hit", 10309), ("preflight/allowed", 973)]),
            None,
        );
        let text = render(std::slice::from_ref(&e));
        assert!(text.starts_with(r#"{"commit":"0123456789abcdef","short":"0123456"#));
        assert!(text.ends_with("}\n") && text.lines().count() == 1);
        let back = parse(&text).unwrap();
        assert_eq!(back, std::slice::from_ref(&e));
        assert_eq!(ir_counts(&back[0]).unwrap()["preflight/allowed"], 973);
        assert_eq!(label(&e), "0123456");
    }

    #[test]
    fn recording_again_replaces_the_entry_of_the_same_commit_and_state() {
        let mut entries = Vec::new();
        let a = |n| {
            entry(
                &state("aaaaaaaaaa", false),
                "r",
                "t",
                &counts(&[("x", n)]),
                None,
            )
        };
        let b = entry(
            &state("bbbbbbbbbb", false),
            "r",
            "t",
            &counts(&[("x", 5)]),
            None,
        );
        let b_dirty = entry(
            &state("bbbbbbbbbb", true),
            "r",
            "t",
            &counts(&[("x", 6)]),
            None,
        );
        assert!(!upsert(&mut entries, a(1)));
        assert!(!upsert(&mut entries, b.clone()));
        // The same commit again: replaced in place, not appended.
        assert!(upsert(&mut entries, a(2)));
        assert_eq!(entries.len(), 2);
        assert_eq!(ir_counts(&entries[0]).unwrap()["x"], 2);
        // The same commit with uncommitted changes is another entry.
        assert!(!upsert(&mut entries, b_dirty.clone()));
        assert_eq!(entries, [a(2), b, b_dirty.clone()]);
        assert_eq!(label(&b_dirty), "bbbbbbb+");
    }

    #[test]
    fn a_malformed_line_is_reported_with_its_number() {
        let good = r#"{"commit":"a","dirty":false,"ir":{"x":1}}"#;
        assert_eq!(parse(&format!("{good}\n\n{good}\n")).unwrap().len(), 2);
        let err = parse(&format!("{good}\n{{\"commit\":\"b\",\"dirty\":false}}\n")).unwrap_err();
        assert_eq!(err, "line 2: no `ir` object");
        let err = parse(r#"{"commit":"a","dirty":false,"ir":{"x":-1}}"#).unwrap_err();
        assert!(err.contains("`ir.x` is not an instruction count"), "{err}");
        assert!(parse("not json").unwrap_err().starts_with("line 1: "));
        assert!(parse(r#"{"dirty":false,"ir":{}}"#).is_err());
    }

    #[test]
    fn bench_figures_keep_each_engine_by_id() {
        let report = serde_json::json!({
            "policy": {"name": "saas", "origins": 11024, "compile_ms": 25.7},
            "trace": {"name": "built-in default", "requests": 10000},
            "budget_seconds": 3.0,
            "engines": [
                {"id": "corsmatch", "ns_per_request": 144.44, "requests_per_second": 6924111.3,
                 "allocs_per_request": 0.0},
                {"id": "http_adapter", "ns_per_request": 499.36, "requests_per_second": 2002436.0,
                 "allocs_per_request": 2.7912},
            ],
        });
        let figures = bench_figures(&report).unwrap();
        assert_eq!(figures["policy"], "saas");
        assert_eq!(figures["seconds"], 3.0);
        assert_eq!(figures["engines"]["corsmatch"]["ns_per_request"], 144.4);
        assert_eq!(
            figures["engines"]["corsmatch"]["requests_per_second"],
            6924111
        );
        assert_eq!(
            figures["engines"]["http_adapter"]["allocs_per_request"],
            2.79
        );
        assert!(bench_figures(&serde_json::json!({"engines": 1})).is_err());
    }

    #[test]
    fn timestamps_in_utc() {
        assert_eq!(utc_timestamp(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_timestamp(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc_timestamp(1_798_761_599), "2026-12-31T23:59:59Z");
        assert_eq!(utc_timestamp(1_709_251_199), "2024-02-29T23:59:59Z");
    }
}
