//! `corsmatch workload`: writes the benchmark policies and traces (see the `corsmatch-workload` crate).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use corsmatch_workload::{generate, TraceOptions};

use crate::args::{self, Arg, Command, Parsed, Parser, PolicyArgs};
use crate::EXIT_CONFIG;

/// `corsmatch workload`.
pub const COMMAND: Command = Command {
    name: "workload",
    summary: "write the benchmark policies and traces",
    help: HELP,
    run,
};

const HELP: &str = "\
usage: corsmatch workload [--out DIR]
       corsmatch workload trace [--policy NAME|FILE] [--requests N] [--seed N] [--out FILE]

The first form writes the committed corpus: DIR/policies/{small,saas,regex-heavy}.toml and
DIR/workloads/default.trace (the saas policy, 10000 requests, seed 1); DIR defaults to `corpus`.
The second writes a trace for a built-in policy (small, saas, regex-heavy; default saas) or a
policy file, to FILE or standard output: 70% preflights, 25% actual requests, 5% without Origin,
10% of origins misses. The same arguments always give the same bytes. A file that already holds
what would be written is left as it is (its modification time too); each file is reported on
stderr as `wrote PATH` or `unchanged PATH`.

Exit status: 0 on success, 2 on a usage error or a file that cannot be read or written.";

struct Args {
    /// `workload trace` rather than the corpus.
    trace: bool,
    out: Option<PathBuf>,
    policy: PolicyArgs,
    options: TraceOptions,
}

fn parse_args(mut parser: Parser) -> Result<Parsed<Args>, args::Error> {
    let mut args = Args {
        trace: false,
        out: None,
        policy: PolicyArgs::policy_only(),
        options: TraceOptions::default(),
    };
    let mut first = true;
    while let Some(arg) = parser.next()? {
        let option = match arg {
            Arg::Help => return Ok(Parsed::Help),
            Arg::Value(value) if first && value == "trace" => {
                args.trace = true;
                first = false;
                continue;
            }
            Arg::Value(value) => return Err(args::Error::unexpected_value(&value)),
            Arg::Option(option) => option,
        };
        first = false;
        match option.as_str() {
            "--out" => args.out = Some(parser.value()?.into()),
            "--policy" | "--requests" | "--seed" if !args.trace => {
                return Err(args::Error::new(format!(
                    "{option} is an option of `corsmatch workload trace`"
                )))
            }
            "--requests" => args.options.requests = parser.parse("not a count")?,
            "--seed" => args.options.seed = parser.parse("not a number")?,
            _ => args.policy.option(&option, &mut parser)?,
        }
    }
    Ok(Parsed::Run(args))
}

/// Runs `corsmatch workload` on the arguments after its name.
fn run(parser: Parser) -> ExitCode {
    let Args {
        trace: trace_mode,
        out,
        policy,
        options,
    } = match args::parse(&COMMAND, parser, parse_args) {
        Ok(a) => a,
        Err(code) => return code,
    };
    if !trace_mode {
        let root = out.unwrap_or_else(|| PathBuf::from("corpus"));
        let (mut written, mut unchanged) = (0, 0);
        for (path, text) in corsmatch_workload::corpus_files() {
            match write_if_changed(&root.join(path), text.as_bytes()) {
                Ok(true) => written += 1,
                Ok(false) => unchanged += 1,
                Err(code) => return code,
            }
        }
        eprintln!("{written} written, {unchanged} unchanged");
        return ExitCode::SUCCESS;
    }
    let policy = policy.policy.unwrap_or_else(|| "saas".into());
    let config = match crate::config::load_named(&policy, COMMAND.name) {
        Ok((_, config)) => config,
        Err(code) => return code,
    };
    let text = generate(&config, &options).write();
    match out {
        Some(path) => {
            if let Err(code) = write_if_changed(&path, text.as_bytes()) {
                return code;
            }
        }
        None => print!("{text}"),
    }
    ExitCode::SUCCESS
}

/// Writes `contents` to `path` (creating its folder) unless the file already holds exactly those
/// bytes, so that an unchanged file keeps its modification time; reports `wrote PATH` or
/// `unchanged PATH` on stderr. Returns whether it wrote, or the exit status once an error is
/// printed.
fn write_if_changed(path: &Path, contents: &[u8]) -> Result<bool, ExitCode> {
    if same_contents(path, contents) {
        eprintln!("unchanged {}", path.display());
        return Ok(false);
    }
    let written = path
        .parent()
        .filter(|dir| !dir.as_os_str().is_empty())
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| std::fs::write(path, contents));
    match written {
        Ok(()) => {
            eprintln!("wrote {}", path.display());
            Ok(true)
        }
        Err(e) => {
            eprintln!("error: cannot write {}: {e}", path.display());
            Err(ExitCode::from(EXIT_CONFIG))
        }
    }
}

/// Whether `path` is a file that holds exactly `contents`; a file of another size is not read.
fn same_contents(path: &Path, contents: &[u8]) -> bool {
    let Ok(metadata) = std::fs::metadata(path) else {
        return false;
    };
    metadata.is_file()
        && metadata.len() == contents.len() as u64
        && std::fs::read(path).is_ok_and(|old| old == contents)
}
