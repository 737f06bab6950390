//! `corsmatch check` end to end: output lines, exit status, standard input, policy files, errors.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn run(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_corsmatch"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.unwrap_or_default()).unwrap();
    drop(input);
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8(b.to_vec()).unwrap()
}

#[test]
fn allows_and_exits_zero() {
    let out = run(
        &[
            "check",
            "--allow",
            "https://*.example.com",
            "https://api.example.com",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        text(&out.stdout),
        "allow\thttps://api.example.com\thttps://*.example.com\n"
    );
}

#[test]
fn one_line_per_origin_in_order_and_exit_one_on_any_denial() {
    let out = run(
        &[
            "check",
            "--allow=https://example.com",
            "--allow",
            "http://localhost:*",
            "http://localhost:3000",
            "https://example.com.evil.com",
            "https://example.com",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let lines: Vec<String> = text(&out.stdout).lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0], "allow\thttp://localhost:3000\thttp://localhost:*");
    assert!(
        lines[1].starts_with("deny\thttps://example.com.evil.com\t"),
        "{}",
        lines[1]
    );
    assert_eq!(lines[2], "allow\thttps://example.com\thttps://example.com");
}

#[test]
fn reads_stdin_byte_for_byte() {
    // CRLF and LF terminators are removed; nothing else is trimmed; a last line without a terminator counts.
    let input = b"https://a.example.com\r\n https://a.example.com\nhttps://a.example.com\t\n\nhttps://b.example.com\xff\nnull";
    let out = run(
        &[
            "check",
            "--allow",
            "https://*.example.com",
            "--allow",
            "null",
        ],
        Some(input),
    );
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    let verdicts: Vec<(&str, &str)> = stdout
        .lines()
        .map(|l| {
            let mut f = l.split('\t');
            (f.next().unwrap(), f.next().unwrap())
        })
        .collect();
    assert_eq!(
        verdicts,
        [
            ("allow", "https://a.example.com"),
            ("deny", " https://a.example.com"),
            ("deny", "https://a.example.com\\t"),
            ("deny", ""),
            ("deny", "https://b.example.com\\xff"),
            ("allow", "null"),
        ]
    );
}

#[test]
fn every_config_error_is_reported_with_exit_two() {
    let out = run(
        &[
            "check",
            "--allow",
            "https://example.com/app",
            "--allow",
            "https://ok.example.com",
            "--allow",
            "https://a.*.example.com",
            "https://ok.example.com",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = text(&out.stderr);
    assert!(
        err.contains("--allow #1 `https://example.com/app`: the entry has a path"),
        "{err}"
    );
    assert!(
        err.contains("--allow #3 `https://a.*.example.com`"),
        "{err}"
    );
    assert!(err.contains("fix: "), "{err}");
    assert!(err.contains("2 errors in the policy"), "{err}");
}

#[test]
fn policy_file_entries_come_first_and_unknown_keys_are_errors() {
    let dir = std::env::temp_dir().join(format!("corsmatch-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.toml");
    std::fs::write(
        &good,
        "origins = [\"https://*.example.com\", \"HTTPS://API.example.com\"]\n",
    )
    .unwrap();
    let out = run(
        &[
            "check",
            "--policy",
            good.to_str().unwrap(),
            "--allow",
            "https://x.example.com",
            "https://x.example.com",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        text(&out.stdout),
        "allow\thttps://x.example.com\thttps://*.example.com\n"
    );
    assert!(text(&out.stderr)
        .contains("origins[1] `HTTPS://API.example.com`: scheme and host lowercased"));

    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "origins = [\"https://example.com\"]\norigin = []\n").unwrap();
    let out = run(
        &[
            "check",
            "--policy",
            bad.to_str().unwrap(),
            "https://example.com",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("unknown field `origin`"),
        "{}",
        text(&out.stderr)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn usage_errors_exit_two() {
    assert_eq!(
        run(&["check", "https://example.com"], None).status.code(),
        Some(2)
    );
    assert_eq!(run(&["check", "--bogus"], None).status.code(), Some(2));
    assert_eq!(run(&["frobnicate"], None).status.code(), Some(2));
    assert_eq!(run(&["check", "--allow"], None).status.code(), Some(2));
}
