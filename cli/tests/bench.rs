//! `corsmatch workload` and `corsmatch bench` end to end.

mod common;
use common::{run, text};

fn temp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("corsmatch-cli-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn workload_trace_is_deterministic_and_follows_the_seed() {
    let args = [
        "workload",
        "trace",
        "--policy",
        "small",
        "--requests",
        "300",
    ];
    let (a, b) = (run(&args), run(&args));
    assert_eq!(a.status.code(), Some(0), "{}", text(&a.stderr));
    assert_eq!(a.stdout, b.stdout);
    let body = text(&a.stdout);
    assert!(body.starts_with("# corsmatch trace v1"));
    assert_eq!(body.lines().count(), 301);
    let other = run(&[&args[..], &["--seed", "9"]].concat());
    assert_ne!(other.stdout, a.stdout);
}

/// Writes a trace of `requests` requests on the `small` policy to the temporary file `name`.
fn small_trace(name: &str, requests: usize) -> std::path::PathBuf {
    let trace = temp(name);
    let requests = requests.to_string();
    let out = run(&[
        "workload",
        "trace",
        "--policy",
        "small",
        "--requests",
        &requests,
        "--out",
        trace.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    trace
}

#[test]
fn bench_agrees_allocates_nothing_and_prints_the_table() {
    let trace = small_trace("small.trace", 2000);
    let out = run(&[
        "bench",
        "--policy",
        "small",
        "--trace",
        trace.to_str().unwrap(),
        "--seconds",
        "0.05",
    ]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("2000 requests"), "{stdout}");
    assert!(
        stdout.contains("decisions on which corsmatch and the reference agree: 2000 of 2000"),
        "{stdout}"
    );
    let row = |name: &str| -> Vec<String> {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("no row {name}: {stdout}"));
        line[name.len()..]
            .split_whitespace()
            .map(str::to_string)
            .collect()
    };
    // corsmatch: requests (digit groups), ns/request, requests/s (groups), allocs/request, speedup.
    let engine = row("corsmatch  ");
    assert_eq!(engine[engine.len() - 2], "0.00", "{stdout}");
    let reference = row("reference (naive)");
    let allocs: f64 = reference[reference.len() - 2].parse().unwrap();
    assert!(allocs > 1.0, "the naive engine allocates: {stdout}");
    assert!(stdout.contains("corsmatch + http adapter"), "{stdout}");
}

#[test]
fn bench_format_json_prints_one_object_with_a_row_per_engine() {
    let trace = small_trace("json.trace", 500);
    let out = run(&[
        "bench",
        "--policy",
        "small",
        "--trace",
        trace.to_str().unwrap(),
        "--seconds",
        "0.05",
        "--format",
        "json",
    ]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    // One line, one object, nothing else on stdout (progress goes to stderr).
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["policy"]["name"], "small (built in)", "{stdout}");
    assert_eq!(report["trace"]["requests"], 500, "{stdout}");
    assert_eq!(report["agree"], 500, "{stdout}");
    assert_eq!(report["disagreements"].as_array().map(Vec::len), Some(0));
    let engines = report["engines"].as_array().unwrap();
    let ids: Vec<_> = engines.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["corsmatch", "http_adapter", "reference"]);
    for engine in engines {
        for field in [
            "ns_per_request",
            "requests_per_second",
            "speedup",
            "seconds",
        ] {
            let v = engine[field].as_f64().unwrap_or(-1.0);
            assert!(v.is_finite() && v > 0.0, "{field}: {engine}");
        }
        assert!(engine["requests"].as_u64().unwrap() >= 1, "{engine}");
    }
    assert_eq!(engines[0]["allocs_per_request"], 0.0, "{stdout}");
    let out = run(&["bench", "--format", "yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--format must be text or json"));
}

#[test]
fn bench_reports_a_bad_trace_line_and_bad_arguments() {
    let trace = temp("bad.trace");
    std::fs::write(&trace, "GET\t-\t-\nOPTIONS\thttps://a.com\n").unwrap();
    let out = run(&["bench", "--trace", trace.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("line 2"),
        "{}",
        text(&out.stderr)
    );
    let out = run(&["bench", "--seconds", "-1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--seconds"));
    let out = run(&["bench", "--policy", "no-such-policy.toml"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_malformed_escape_in_a_trace_names_line_and_column() {
    let trace = temp("bad-escape.trace");
    std::fs::write(
        &trace,
        "# a comment\nOPTIONS\thttps://a.com\tPUT\nGET\thttps://a.com\\x+1\t-\n",
    )
    .unwrap();
    let out = run(&[
        "bench",
        "--policy",
        "small",
        "--trace",
        trace.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("line 3, column 18: bad escape `\\x+1`: \\x needs two hex digits"),
        "{err}"
    );
}

#[cfg(unix)]
#[test]
fn a_trace_over_256_mib_is_refused_with_exit_two() {
    // An endless device: read up to the limit, not until memory runs out.
    let out = run(&["bench", "--policy", "small", "--trace", "/dev/zero"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("trace /dev/zero: larger than the 256 MiB limit"),
        "{}",
        text(&out.stderr)
    );
    // A regular file one byte over is refused by its size, before it is read (it is sparse).
    let big = temp("big.trace");
    std::fs::File::create(&big)
        .unwrap()
        .set_len((256 << 20) + 1)
        .unwrap();
    let out = run(&[
        "bench",
        "--policy",
        "small",
        "--trace",
        big.to_str().unwrap(),
    ]);
    std::fs::remove_file(&big).unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("larger than the 256 MiB limit"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn an_unknown_policy_name_lists_the_built_in_policies() {
    for args in [
        &["bench", "--policy", "sass"][..],
        &["workload", "trace", "--policy", "sass"],
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
        let err = text(&out.stderr);
        let mut lines = err.lines();
        let error = lines.next().unwrap_or_default();
        assert!(error.starts_with("error: --policy `sass`"), "{err}");
        for name in ["small", "saas", "regex-heavy"] {
            assert!(error.contains(name), "{name} missing: {err}");
        }
        assert_eq!(
            lines.next(),
            Some(format!("hint: see 'corsmatch {} --help'", args[0]).as_str()),
            "{err}"
        );
        assert_eq!(lines.next(), None, "{err}");
    }
}

/// The modification time of `path`.
fn mtime(path: &std::path::Path) -> std::time::SystemTime {
    std::fs::metadata(path).unwrap().modified().unwrap()
}

/// Sets the modification time of `path` to a fixed moment long ago, so that any rewrite shows.
fn age(path: &std::path::Path) -> std::time::SystemTime {
    let old = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000);
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(old)
        .unwrap();
    assert_eq!(mtime(path), old);
    old
}

#[test]
fn workload_leaves_unchanged_files_alone() {
    let root = temp("corpus");
    let _ = std::fs::remove_dir_all(&root);
    let out = run(&["workload", "--out", root.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let files: Vec<std::path::PathBuf> = [
        "policies/small.toml",
        "policies/saas.toml",
        "policies/regex-heavy.toml",
        "workloads/default.trace",
    ]
    .iter()
    .map(|f| root.join(f))
    .collect();
    let err = text(&out.stderr);
    for f in &files {
        assert!(err.contains(&format!("wrote {}\n", f.display())), "{err}");
    }
    assert!(err.ends_with("4 written, 0 unchanged\n"), "{err}");
    let contents: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(f).unwrap()).collect();

    // A second run finds every file as it would write it, and writes none.
    let old: Vec<_> = files.iter().map(|f| age(f)).collect();
    let out = run(&["workload", "--out", root.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    for (f, old) in files.iter().zip(&old) {
        assert!(
            err.contains(&format!("unchanged {}\n", f.display())),
            "{err}"
        );
        assert_eq!(mtime(f), *old, "{} was rewritten", f.display());
    }
    assert!(err.ends_with("0 written, 4 unchanged\n"), "{err}");

    // A file that differs is rewritten, and only that one.
    std::fs::write(&files[1], "origins = []\n").unwrap();
    let old: Vec<_> = files.iter().map(|f| age(f)).collect();
    let out = run(&["workload", "--out", root.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!("wrote {}\n", files[1].display())),
        "{err}"
    );
    assert!(err.ends_with("1 written, 3 unchanged\n"), "{err}");
    assert_ne!(mtime(&files[1]), old[1]);
    assert_eq!(mtime(&files[0]), old[0]);
    for (f, before) in files.iter().zip(&contents) {
        assert_eq!(&std::fs::read(f).unwrap(), before, "{}", f.display());
    }

    // The same for a trace written with --out.
    let trace = root.join("t.trace");
    let args = [
        "workload",
        "trace",
        "--policy",
        "small",
        "--requests",
        "50",
        "--out",
        trace.to_str().unwrap(),
    ];
    let out = run(&args);
    assert_eq!(text(&out.stderr), format!("wrote {}\n", trace.display()));
    let old = age(&trace);
    let out = run(&args);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        text(&out.stderr),
        format!("unchanged {}\n", trace.display())
    );
    assert_eq!(mtime(&trace), old);
    std::fs::remove_dir_all(&root).unwrap();
}
