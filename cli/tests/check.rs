//! `corsmatch check` end to end: output lines, exit status, standard input, policy files, errors.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod common;
use common::{run_with_stdin as run, temp_dir, text};

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
        err.contains("--allow[0] `https://example.com/app`: the entry has a path"),
        "{err}"
    );
    assert!(
        err.contains("--allow[2] `https://a.*.example.com`"),
        "{err}"
    );
    assert!(err.contains("fix: "), "{err}");
    assert!(err.contains("2 errors in the policy"), "{err}");
}

#[test]
fn policy_file_entries_come_first_and_unknown_keys_are_errors() {
    let dir = temp_dir("test");
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
    let out = run(&["check", "https://example.com"], None);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "error: the allowlist is empty: give --allow PATTERN or --policy FILE\n\
         hint: see 'corsmatch check --help'\n"
    );
    assert_eq!(run(&["check", "--bogus"], None).status.code(), Some(2));
    assert_eq!(run(&["frobnicate"], None).status.code(), Some(2));
    assert_eq!(run(&["check", "--allow"], None).status.code(), Some(2));
}

/// What a child did with a stream fed to its standard input.
struct Fed {
    code: Option<i32>,
    /// The bytes written before the child stopped reading (or the bound was reached).
    written: u64,
    /// The first 64 KiB of standard output, and how many bytes it had in all.
    stdout: Vec<u8>,
    stdout_len: u64,
    stderr: String,
}

/// Runs `corsmatch ARGS` with `chunk` written to its standard input over and over, from a thread,
/// until the child stops reading or `bound` bytes are written (then standard input is closed). A child
/// still running after 60 s is killed: that is a hang, not a slow machine.
fn feed(args: &[&str], chunk: &[u8], bound: u64) -> Fed {
    let mut child = Command::new(env!("CARGO_BIN_EXE_corsmatch"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let written = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (mut stdin, chunk) = (child.stdin.take().unwrap(), chunk.to_vec());
        let (written, stop) = (Arc::clone(&written), Arc::clone(&stop));
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) && written.load(Ordering::Relaxed) < bound {
                // A closed pipe (the child exited) ends the stream.
                if stdin.write_all(&chunk).is_err() {
                    break;
                }
                written.fetch_add(chunk.len() as u64, Ordering::Relaxed);
            }
        })
    };
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let (mut kept, mut total, mut buf) = (Vec::new(), 0u64, vec![0u8; 64 * 1024]);
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                total += n as u64;
                let room = (64 * 1024usize).saturating_sub(kept.len()).min(n);
                kept.extend_from_slice(&buf[..room]);
            }
            (kept, total)
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            break None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();
    let (stdout, stdout_len) = stdout.join().unwrap();
    let (stderr, _) = stderr.join().unwrap();
    Fed {
        code: status.and_then(|s| s.code()),
        written: written.load(Ordering::Relaxed),
        stdout,
        stdout_len,
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

#[test]
fn an_endless_line_on_stdin_stops_reading_with_exit_two() {
    // NUL bytes and no newline, as from /dev/zero; 256 MiB at most.
    let fed = feed(
        &["check", "--allow", "https://a.example.com"],
        &[0u8; 64 * 1024],
        256 << 20,
    );
    let stdout = String::from_utf8_lossy(&fed.stdout).into_owned();
    assert_eq!(fed.code, Some(2), "{stdout}{}", fed.stderr);
    // It stopped after about 1 MiB (plus what the pipe and the reader's buffer hold).
    assert!(fed.written < 8 << 20, "read {} bytes", fed.written);
    assert!(
        fed.stderr
            .contains("a line runs past 1048576 bytes without a newline; stopped reading"),
        "{}",
        fed.stderr
    );
    // One deny line, the origin shown truncated.
    assert!(fed.stdout_len < 1024, "{} bytes of output", fed.stdout_len);
    let fields: Vec<&str> = stdout.trim_end().split('\t').collect();
    assert_eq!(fields.len(), 3, "{stdout}");
    assert_eq!(fields[0], "deny");
    assert_eq!(fields[1], format!("{}...", "\\x00".repeat(64)));
    assert!(
        fields[2].contains("too long: more than 1048576 bytes"),
        "{stdout}"
    );
    assert!(fields[2].contains("truncated"), "{stdout}");
}

#[test]
fn endless_lines_of_over_long_origins_are_denied_one_by_one_in_bounded_memory() {
    // Lines of 100 KiB: each is denied as too long, its origin truncated, and reading goes on until
    // the input ends (32 MiB).
    let mut line = vec![b'a'; 100 * 1024];
    line.push(b'\n');
    let fed = feed(
        &["check", "--allow", "https://a.example.com"],
        &line,
        32 << 20,
    );
    assert_eq!(fed.code, Some(1), "{}", fed.stderr);
    let lines = (32u64 << 20).div_ceil(line.len() as u64);
    assert_eq!(fed.written, lines * line.len() as u64);
    let stdout = String::from_utf8_lossy(&fed.stdout).into_owned();
    let first = stdout.lines().next().unwrap();
    let expected = format!(
        "deny\t{}...\tmalformed origin: too long: 102400 bytes, over the 326-byte limit (shown truncated to its first 64 bytes)",
        "a".repeat(64)
    );
    assert_eq!(first, expected);
    assert_eq!(fed.stdout_len, lines * (expected.len() as u64 + 1));
}

#[test]
fn an_over_long_line_is_denied_and_the_next_one_decided() {
    let mut input = vec![b'x'; 10_000];
    input.extend_from_slice(b"\nhttps://a.example.com\r\n");
    input.extend_from_slice(&[b'b'; 327]);
    input.extend_from_slice(b"\r\n");
    input.extend_from_slice(&[b'c'; 326]);
    input.extend_from_slice(b"\r\n");
    let out = run(&["check", "--allow", "https://a.example.com"], Some(&input));
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{stdout}");
    assert!(
        lines[0].starts_with(&format!(
            "deny\t{}...\tmalformed origin: too long: 10000 bytes",
            "x".repeat(64)
        )),
        "{}",
        lines[0]
    );
    assert_eq!(
        lines[1],
        "allow\thttps://a.example.com\thttps://a.example.com"
    );
    // 327 bytes (the CR is the terminator's) is one too many; 326 is parsed.
    assert!(lines[2].contains("too long: 327 bytes"), "{}", lines[2]);
    assert_eq!(
        lines[3],
        format!(
            "deny\t{}\tmalformed origin: there is no `scheme://` (at byte 326)",
            "c".repeat(326)
        )
    );
}

#[test]
fn an_over_long_argument_is_shown_truncated() {
    let long = format!("https://{}.example.com", "a".repeat(400));
    let out = run(&["check", "--allow", "https://*.example.com", &long], None);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stdout),
        format!(
            "deny\t{}...\tmalformed origin: too long: {} bytes, over the 326-byte limit (shown truncated to its first 64 bytes)\n",
            &long[..64],
            long.len()
        )
    );
}

#[cfg(unix)]
#[test]
fn a_policy_file_over_16_mib_is_refused_with_exit_two() {
    // An endless device: read up to the limit, not until memory runs out.
    let out = run(&["check", "--policy", "/dev/zero", "https://a.com"], None);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr).trim_end(),
        "error: cannot read policy file /dev/zero: larger than the 16 MiB limit"
    );

    // A regular file one byte over: refused by its size, before it is read (it is sparse).
    let dir = temp_dir("big");
    let big = dir.join("big.toml");
    std::fs::File::create(&big)
        .unwrap()
        .set_len((16 << 20) + 1)
        .unwrap();
    let out = run(
        &["check", "--policy", big.to_str().unwrap(), "https://a.com"],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("larger than the 16 MiB limit"),
        "{}",
        text(&out.stderr)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn entries_are_numbered_from_zero_in_every_message() {
    let dir = temp_dir("numbers");
    let policy = dir.join("policy.toml");
    std::fs::write(
        &policy,
        "origins = [\"https://b.example.com\", \"https://a.example.com\", \"HTTPS://B.example.com\"]\n",
    )
    .unwrap();
    let out = run(
        &[
            "check",
            "--policy",
            policy.to_str().unwrap(),
            "--allow",
            "HTTPS://C.example.com",
            "--allow",
            "https://c.example.com",
            "--allow",
            "https://a.example.com",
            "https://c.example.com",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let p = policy.display();
    assert_eq!(
        text(&out.stderr),
        format!(
            "note: {p}:1:62: origins[2] `HTTPS://B.example.com`: scheme and host lowercased\n\
             note: {p}:1:62: origins[2] `HTTPS://B.example.com`: same as origins[0] in {p}; ignored\n\
             note: --allow[0] `HTTPS://C.example.com`: scheme and host lowercased\n\
             note: --allow[1] `https://c.example.com`: same as --allow[0]; ignored\n\
             note: --allow[2] `https://a.example.com`: same as origins[1] in {p}; ignored\n"
        )
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn piped_standard_input_gets_no_note() {
    let out = run(
        &["check", "--allow", "https://a.example.com"],
        Some(b"https://a.example.com\n"),
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        text(&out.stdout),
        "allow\thttps://a.example.com\thttps://a.example.com\n"
    );
    assert_eq!(text(&out.stderr), "");
}

/// `script` (util-linux) runs the command on a pseudo-terminal and feeds it our standard input, then
/// the end-of-file character: standard input is a terminal, as when someone types origins.
#[cfg(target_os = "linux")]
#[test]
fn a_terminal_on_standard_input_gets_a_note_before_reading() {
    let command = format!(
        "'{}' check --allow https://a.example.com",
        env!("CARGO_BIN_EXE_corsmatch")
    );
    let mut child = Command::new("script")
        .args(["-q", "-e", "-c", &command, "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("`script` (util-linux) runs the command on a terminal");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"https://a.example.com\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    // The terminal carries stdout and stderr both, with CRLF line ends.
    let screen = String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n");
    assert_eq!(out.status.code(), Some(0), "{screen}");
    let note = screen
        .find(
            "corsmatch check: reading origins from standard input, one per line (end with Ctrl-D)",
        )
        .unwrap_or_else(|| panic!("no note: {screen}"));
    let verdict = screen
        .find("allow\thttps://a.example.com\thttps://a.example.com")
        .unwrap_or_else(|| panic!("no verdict: {screen}"));
    assert!(note < verdict, "{screen}");
}
