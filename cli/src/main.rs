//! `corsmatch`: the command-line front end of the corsmatch library.
//!
//! ```text
//! corsmatch check [--policy FILE] [--allow PATTERN]... [ORIGIN]...
//! corsmatch explain --policy FILE --origin ORIGIN [--method M] [--header 'NAME: VALUE']... [--credentials] [--format text|json]
//! ```

mod alloc;
mod bench;
mod check;
mod config;
mod explain;
mod input;
mod workload;

use std::process::ExitCode;

#[global_allocator]
static GLOBAL: alloc::Counting = alloc::Counting;

const USAGE: &str = "\
usage: corsmatch check [--policy FILE] [--allow PATTERN]... [ORIGIN]...
       corsmatch explain --policy FILE --origin ORIGIN [--method M] [--header 'NAME: VALUE']...
                         [--credentials] [--format text|json]   (see corsmatch explain --help)

Decides each ORIGIN (or, with none given, each line of standard input) against the allowlist
made of the policy file's `origins` followed by every --allow PATTERN, and prints one line per
origin: `allow<TAB>ORIGIN<TAB>RULE` or `deny<TAB>ORIGIN<TAB>REASON`.

Standard input is read line by line, byte for byte (only the `\n` or `\r\n` terminator is
removed). A line longer than the longest origin (326 bytes) is denied as too long without being
kept in memory: the deny line shows its first 64 bytes followed by `...`. A line that runs past
1 MiB (1048576 bytes) without a newline, as an endless stream like /dev/zero does, is denied the
same way and then reading stops with exit status 2.

Exit status: 0 when every origin was allowed, 1 when any was denied, 2 on a usage or
configuration error, a policy file over 16 MiB, or a line of over 1 MiB on standard input.
Allowlist entries are numbered from 0 in messages: `origins[i]` in the policy file, `--allow[j]`
for the j-th --allow flag.

Patterns: https://example.com  https://*.example.com  http://localhost:*  null  *
          regex:^https://pr-[0-9]+\\.preview\\.example\\.dev$";

/// Exit status for usage and configuration errors.
pub const EXIT_CONFIG: u8 = 2;

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    match args.next().as_ref().and_then(|a| a.to_str()) {
        Some("check") => check::run(args.collect()),
        Some("explain") => explain::run(args.collect()),
        Some("workload") => workload::run(args.collect()),
        Some("bench") => bench::run(args.collect()),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some(other) => {
            eprintln!("error: unknown subcommand `{other}`\n\n{USAGE}");
            ExitCode::from(EXIT_CONFIG)
        }
        None => {
            eprintln!("{USAGE}");
            ExitCode::from(EXIT_CONFIG)
        }
    }
}
