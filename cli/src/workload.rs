//! `corsmatch workload`: writes the benchmark policies and traces (see the `corsmatch-workload` crate).

use std::path::PathBuf;
use std::process::ExitCode;

use corsmatch_workload::{generate, policies, TraceOptions};

use crate::EXIT_CONFIG;

const HELP: &str = "\
usage: corsmatch workload [--out DIR]
       corsmatch workload trace [--policy NAME|FILE] [--requests N] [--seed N] [--out FILE]

The first form writes the committed corpus: DIR/policies/{small,saas,regex-heavy}.toml and
DIR/workloads/default.trace (the saas policy, 10000 requests, seed 1); DIR defaults to `corpus`.
The second writes a trace for a built-in policy (small, saas, regex-heavy; default saas) or a
policy file, to FILE or standard output: 70% preflights, 25% actual requests, 5% without Origin,
10% of origins misses. The same arguments always give the same bytes.";

/// Runs `corsmatch workload`.
pub fn run(args: Vec<std::ffi::OsString>) -> ExitCode {
    let args: Vec<String> = match args.into_iter().map(|a| a.into_string()).collect() {
        Ok(a) => a,
        Err(a) => return usage(&format!("argument {a:?} is not UTF-8")),
    };
    let (trace_mode, rest) = match args.first().map(String::as_str) {
        Some("trace") => (true, &args[1..]),
        _ => (false, &args[..]),
    };
    let mut out: Option<PathBuf> = None;
    let mut policy = "saas".to_string();
    let mut options = TraceOptions::default();
    let mut it = rest.iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        let result: Result<(), String> = match arg.as_str() {
            "-h" | "--help" => {
                println!("{HELP}");
                return ExitCode::SUCCESS;
            }
            "--out" => value("--out").map(|v| out = Some(v.into())),
            "--policy" if trace_mode => value("--policy").map(|v| policy = v),
            "--requests" if trace_mode => value("--requests").and_then(|v| {
                v.parse()
                    .map(|n| options.requests = n)
                    .map_err(|_| format!("--requests `{v}` is not a count"))
            }),
            "--seed" if trace_mode => value("--seed").and_then(|v| {
                v.parse()
                    .map(|n| options.seed = n)
                    .map_err(|_| format!("--seed `{v}` is not a number"))
            }),
            other => Err(format!("unexpected argument `{other}`")),
        };
        if let Err(e) = result {
            return usage(&e);
        }
    }
    if !trace_mode {
        let root = out.unwrap_or_else(|| PathBuf::from("corpus"));
        for (path, text) in corsmatch_workload::corpus_files() {
            let path = root.join(path);
            if let Err(e) = path
                .parent()
                .map_or(Ok(()), std::fs::create_dir_all)
                .and_then(|()| std::fs::write(&path, text))
            {
                eprintln!("error: cannot write {}: {e}", path.display());
                return ExitCode::from(EXIT_CONFIG);
            }
            eprintln!("wrote {}", path.display());
        }
        return ExitCode::SUCCESS;
    }
    let config = match policies::by_name(&policy) {
        Some(c) => c,
        None => match crate::config::load(Some(policy.as_ref()), &[], true) {
            Ok(loaded) => loaded.config,
            Err(()) => return ExitCode::from(EXIT_CONFIG),
        },
    };
    let text = generate(&config, &options).write();
    match out {
        Some(path) => {
            if let Err(e) = std::fs::write(&path, text) {
                eprintln!("error: cannot write {}: {e}", path.display());
                return ExitCode::from(EXIT_CONFIG);
            }
        }
        None => print!("{text}"),
    }
    ExitCode::SUCCESS
}

fn usage(message: &str) -> ExitCode {
    eprintln!("error: {message}\n\n{HELP}");
    ExitCode::from(EXIT_CONFIG)
}
