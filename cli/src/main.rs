//! `corsmatch`: the command-line front end of the corsmatch library.
//!
//! ```text
//! corsmatch check [--policy FILE] [--allow PATTERN]... [--] [ORIGIN]...
//! corsmatch explain --policy FILE --origin ORIGIN [--method M] [--header 'NAME: VALUE']... [--credentials] [--format text|json]
//! corsmatch workload [--out DIR]
//! corsmatch workload trace [--policy NAME|FILE] [--requests N] [--seed N] [--out FILE]
//! corsmatch bench [--policy NAME|FILE] [--trace FILE] [--seconds S] [--format text|json]
//! corsmatch serve --policy FILE --upstream URL [--listen ADDR] [--admin ADDR] [OPTIONS]
//! corsmatch scan URL [--policy FILE] [--method M]... [--header 'NAME: VALUE']... [OPTIONS]
//! corsmatch help [COMMAND]
//! corsmatch --version
//! ```
//!
//! Every subcommand reads its arguments through [`args`]: `--name=value` or `--name value`, `--`
//! before positional arguments that start with `-`, `-h`/`--help` for its help. A usage error prints
//! one `error:` line and a `hint:` line and exits 2.

mod alloc;
mod args;
mod bench;
mod check;
mod config;
mod explain;
mod input;
mod scan;
mod serve;
mod workload;

use std::process::ExitCode;

use args::{Arg, Command, Parser};

#[global_allocator]
static GLOBAL: alloc::Counting = alloc::Counting;

/// Exit status for usage and configuration errors.
pub const EXIT_CONFIG: u8 = 2;

/// Every subcommand, in the order the top-level help lists them.
const COMMANDS: [&Command; 6] = [
    &check::COMMAND,
    &explain::COMMAND,
    &workload::COMMAND,
    &bench::COMMAND,
    &serve::COMMAND,
    &scan::COMMAND,
];

/// What `corsmatch --version` prints.
const VERSION: &str = concat!("corsmatch ", env!("CARGO_PKG_VERSION"));

/// The top-level help: the command list, one line each.
fn help() -> String {
    let width = COMMANDS.iter().map(|c| c.name.len()).max().unwrap_or(0);
    let mut list = String::new();
    for c in COMMANDS {
        list.push_str(&format!("  {:<width$}  {}\n", c.name, c.summary));
    }
    list.push_str(&format!(
        "  {:<width$}  print this list, or a command's help\n",
        "help"
    ));
    format!(
        "\
corsmatch: check origins against a CORS allowlist

usage: corsmatch <COMMAND> [OPTIONS] [ARGS]
       corsmatch help [COMMAND]
       corsmatch --version

commands:
{list}
options:
  -h, --help     print this help; after a command, that command's help
  -V, --version  print the version

`corsmatch help COMMAND` or `corsmatch COMMAND --help` prints a command's options and exit status.
Options take their value as `--name VALUE` or `--name=VALUE`; `--` ends the options. A usage error
exits with status 2."
    )
}

fn find(name: &std::ffi::OsStr) -> Option<&'static Command> {
    COMMANDS.into_iter().find(|c| name == c.name)
}

fn main() -> ExitCode {
    let mut parser = Parser::from_env();
    match parser.next() {
        Ok(Some(Arg::Value(name))) if name == "help" => help_command(parser),
        Ok(Some(Arg::Value(name))) => match find(&name) {
            Some(command) => (command.run)(parser),
            None => args::usage_error(
                None,
                &format!(
                    "unknown command `{}`",
                    name.to_string_lossy().escape_debug()
                ),
            ),
        },
        Ok(Some(Arg::Help)) => {
            println!("{}", help());
            ExitCode::SUCCESS
        }
        Ok(Some(Arg::Option(option))) if option == "-V" || option == "--version" => {
            println!("{VERSION}");
            ExitCode::SUCCESS
        }
        Ok(Some(Arg::Option(option))) => {
            args::usage_error(None, &args::Error::unknown_option(&option))
        }
        Err(e) => args::usage_error(None, &e),
        Ok(None) => {
            eprintln!("{}", help());
            ExitCode::from(EXIT_CONFIG)
        }
    }
}

/// `corsmatch help [COMMAND]`.
fn help_command(mut parser: Parser) -> ExitCode {
    let text = match parser.next() {
        Ok(None | Some(Arg::Help)) => help(),
        Ok(Some(Arg::Value(name))) => match find(&name) {
            Some(command) => command.help.to_string(),
            None if name == "help" => help(),
            None => {
                return args::usage_error(
                    None,
                    &format!(
                        "unknown command `{}`",
                        name.to_string_lossy().escape_debug()
                    ),
                )
            }
        },
        Ok(Some(Arg::Option(option))) => {
            return args::usage_error(None, &args::Error::unknown_option(&option))
        }
        Err(e) => return args::usage_error(None, &e),
    };
    match parser.next() {
        Ok(None) => {
            println!("{text}");
            ExitCode::SUCCESS
        }
        Ok(Some(_)) => args::usage_error(None, &"`corsmatch help` takes one command name"),
        Err(e) => args::usage_error(None, &e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_help_lists_every_command_and_each_help_names_its_own() {
        let help = help();
        for command in COMMANDS {
            assert!(
                help.contains(&format!("  {} ", command.name)),
                "{}",
                command.name
            );
            assert!(
                command
                    .help
                    .starts_with(&format!("usage: corsmatch {} ", command.name)),
                "{}",
                command.help
            );
            assert!(!command.summary.contains('\n'));
        }
    }
}
