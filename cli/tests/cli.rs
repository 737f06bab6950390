//! The command line itself, the same for every subcommand: help, version, option syntax and usage
//! errors.

use std::process::Command;

mod common;
use common::{run, text};

const COMMANDS: [&str; 4] = ["check", "explain", "workload", "bench"];

#[test]
fn version_prints_the_name_and_the_package_version() {
    for flag in ["--version", "-V"] {
        let out = run(&[flag]);
        assert_eq!(out.status.code(), Some(0), "{flag}");
        assert_eq!(
            text(&out.stdout),
            format!("corsmatch {}\n", env!("CARGO_PKG_VERSION")),
            "{flag}"
        );
        assert!(out.stderr.is_empty(), "{flag}");
    }
}

#[test]
fn the_top_level_help_lists_every_command_with_a_summary() {
    for args in [&["--help"][..], &["-h"], &["help"]] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        let help = text(&out.stdout);
        for name in COMMANDS {
            let line = help
                .lines()
                .find(|l| l.trim_start().starts_with(&format!("{name} ")))
                .unwrap_or_else(|| panic!("{name} is not listed by {args:?}:\n{help}"));
            assert!(
                line.split_whitespace().count() > 2,
                "no summary for {name}: {line}"
            );
        }
    }
    // Without a command the list goes to stderr, as a usage error.
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(
        text(&out.stderr).contains("  bench "),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn each_command_has_its_own_help_both_ways() {
    for name in COMMANDS {
        let usage = format!("usage: corsmatch {name} ");
        let by_help = run(&["help", name]);
        let by_flag = run(&[name, "--help"]);
        let by_short = run(&[name, "-h"]);
        for out in [&by_help, &by_flag, &by_short] {
            assert_eq!(out.status.code(), Some(0), "{name}");
            assert!(
                text(&out.stdout).starts_with(&usage),
                "{name}: {}",
                text(&out.stdout)
            );
        }
        assert_eq!(by_help.stdout, by_flag.stdout, "{name}");
        assert_eq!(by_help.stdout, by_short.stdout, "{name}");
    }
    let bench = text(&run(&["help", "bench"]).stdout);
    assert!(bench.contains("--seconds"), "{bench}");
    assert!(!bench.contains("corsmatch check"), "{bench}");
    let check = text(&run(&["check", "--help"]).stdout);
    assert!(!check.contains("corsmatch bench"), "{check}");
}

#[test]
fn an_option_value_may_follow_an_equals_sign_or_come_next() {
    let origins = ["https://a.example.com", "https://b.example.com"];
    let joined = run(&[&["check", "--allow=https://a.example.com"][..], &origins].concat());
    let separate = run(&[&["check", "--allow", "https://a.example.com"][..], &origins].concat());
    assert_eq!(joined.status.code(), Some(1));
    assert_eq!(
        text(&joined.stdout),
        "allow\thttps://a.example.com\thttps://a.example.com\n\
         deny\thttps://b.example.com\tno allowlist entry matches\n"
    );
    assert_eq!(joined.stdout, separate.stdout);
    assert_eq!(joined.stderr, separate.stderr);
    assert_eq!(joined.status.code(), separate.status.code());
}

#[test]
fn double_dash_ends_the_options() {
    let out = run(&[
        "check",
        "--allow",
        "https://a.example.com",
        "--",
        "-ws://a.example.com",
        "--help",
        "https://a.example.com",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let origins: Vec<&str> = stdout
        .lines()
        .map(|l| l.split('\t').nth(1).unwrap())
        .collect();
    assert_eq!(
        origins,
        ["-ws://a.example.com", "--help", "https://a.example.com"]
    );
    assert!(stdout.starts_with("deny\t-ws://a.example.com\tmalformed origin"));
    // Without `--`, the same argument is an option this command does not know.
    let out = run(&[
        "check",
        "--allow",
        "https://a.example.com",
        "-ws://a.example.com",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(
        text(&out.stderr).starts_with("error: unknown option `-w`"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_usage_error_is_one_line_and_a_hint() {
    let cases: [(&[&str], &str, &str); 6] = [
        (
            &["check", "--bogus", "https://a.example.com"],
            "error: unknown option `--bogus`",
            "check",
        ),
        (
            &["check", "--allow"],
            "error: --allow needs a value",
            "check",
        ),
        (
            &["explain", "--policy", "p.toml", "--credentials=yes"],
            "error: --credentials takes no value (given `yes`)",
            "explain",
        ),
        (
            &["bench", "--seconds", "-1"],
            "error: --seconds `-1` is not a number in (0, 3600]",
            "bench",
        ),
        (
            &["workload", "--requests", "5"],
            "error: --requests is an option of `corsmatch workload trace`",
            "workload",
        ),
        (&["frobnicate"], "error: unknown command `frobnicate`", ""),
    ];
    for (args, error, command) in cases {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
        let hint = if command.is_empty() {
            "hint: see 'corsmatch --help'".to_string()
        } else {
            format!("hint: see 'corsmatch {command} --help'")
        };
        assert_eq!(text(&out.stderr), format!("{error}\n{hint}\n"), "{args:?}");
    }
}

#[cfg(unix)]
#[test]
fn arguments_that_are_not_utf8_are_origins_and_file_names() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let origin = OsStr::from_bytes(b"https://\xff.example.com");
    let out = Command::new(env!("CARGO_BIN_EXE_corsmatch"))
        .args(["check", "--allow", "https://*.example.com", "--"])
        .arg(origin)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).starts_with("deny\thttps://\\xff.example.com\t"),
        "{}",
        text(&out.stdout)
    );
    // A policy file name is passed on as given: the error names the missing file, not the encoding.
    let out = Command::new(env!("CARGO_BIN_EXE_corsmatch"))
        .args(["check", "--policy"])
        .arg(OsStr::from_bytes(b"/nonexistent/\xff.toml"))
        .arg("https://a.example.com")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot read policy file"), "{err}");
}
