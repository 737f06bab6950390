//! Running the built `corsmatch` binary, shared by the CLI's test binaries (each uses part of it).
#![allow(dead_code)]

pub mod servers;
pub mod serving;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

/// Runs `corsmatch` with `args` and an empty standard input.
pub fn run(args: &[&str]) -> Output {
    run_with_stdin(args, None)
}

/// Runs `corsmatch` with `args`, feeding `stdin` (nothing when `None`) and closing it.
pub fn run_with_stdin(args: &[&str], stdin: Option<&[u8]>) -> Output {
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

/// Output bytes as text (the CLI writes UTF-8).
pub fn text(b: &[u8]) -> String {
    String::from_utf8(b.to_vec()).unwrap()
}

/// A fresh folder for one test's files (tests run in parallel: one folder each).
pub fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("corsmatch-cli-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
