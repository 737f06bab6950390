//! `corsmatch check`: decide origins against an allowlist, one output line per origin.

use std::ffi::OsString;
use std::io::{self, BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use corsmatch::origin;
use corsmatch::OriginMatcher;

use crate::{config, EXIT_CONFIG, USAGE};

struct Args {
    policy: Option<PathBuf>,
    allow: Vec<String>,
    origins: Vec<Vec<u8>>,
}

fn parse_args(args: Vec<OsString>) -> Result<Args, String> {
    let mut out = Args {
        policy: None,
        allow: Vec::new(),
        origins: Vec::new(),
    };
    let mut it = args.into_iter();
    let mut options_done = false;
    while let Some(arg) = it.next() {
        let text = arg.to_str();
        if options_done || !text.is_some_and(|t| t.starts_with('-')) || text == Some("-") {
            out.origins.push(arg.into_encoded_bytes());
            continue;
        }
        let text = text.unwrap_or_default();
        let (name, inline) = match text.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v.to_string())),
            _ => (text, None),
        };
        let mut value = |name: &str| -> Result<String, String> {
            match inline.clone() {
                Some(v) => Ok(v),
                None => it
                    .next()
                    .ok_or_else(|| format!("{name} needs a value"))?
                    .into_string()
                    .map_err(|_| format!("the value of {name} is not valid UTF-8")),
            }
        };
        match name {
            "--" => options_done = true,
            "--allow" => out.allow.push(value(name)?),
            "--policy" => {
                if out.policy.replace(PathBuf::from(value(name)?)).is_some() {
                    return Err("--policy given twice".into());
                }
            }
            _ => return Err(format!("unknown option `{name}`")),
        }
    }
    Ok(out)
}

/// Runs `corsmatch check`.
pub fn run(args: Vec<OsString>) -> ExitCode {
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let args = match parse_args(args) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}\n\n{USAGE}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    let Ok(loaded) = config::load(args.policy.as_deref(), &args.allow, true) else {
        return ExitCode::from(EXIT_CONFIG);
    };
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut denied = false;
    let result = if args.origins.is_empty() {
        let stdin = io::stdin();
        let mut input = stdin.lock();
        let mut line = Vec::new();
        loop {
            line.clear();
            match input.read_until(b'\n', &mut line) {
                Ok(0) => break Ok(()),
                Ok(_) => {}
                Err(e) => break Err(e),
            }
            if line.last() == Some(&b'\n') {
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
            }
            if let Err(e) = decide(loaded.policy.matcher(), &line, &mut out, &mut denied) {
                break Err(e);
            }
        }
    } else {
        args.origins
            .iter()
            .try_for_each(|o| decide(loaded.policy.matcher(), o, &mut out, &mut denied))
    };
    match result.and_then(|()| out.flush()) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    }
    if denied {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn decide(
    matcher: &OriginMatcher,
    origin: &[u8],
    out: &mut impl Write,
    denied: &mut bool,
) -> io::Result<()> {
    let shown = display(origin);
    match matcher.find(origin) {
        Some(rule) => writeln!(out, "allow\t{shown}\t{}", matcher.rule(rule)),
        None => {
            *denied = true;
            match origin::parse(origin) {
                Err(e) => writeln!(out, "deny\t{shown}\tmalformed origin: {e}"),
                Ok(_) => writeln!(out, "deny\t{shown}\tno allowlist entry matches"),
            }
        }
    }
}

/// The origin as printed: verbatim when it is printable ASCII, escaped (`\t`, `\xff`, …) otherwise.
fn display(origin: &[u8]) -> String {
    if origin.iter().all(|b| (0x20..0x7f).contains(b)) {
        String::from_utf8_lossy(origin).into_owned()
    } else {
        origin.escape_ascii().to_string()
    }
}
