//! The command line, read the same way by every subcommand.
//!
//! [`lexopt`] splits the arguments: `--name value` and `--name=value` are the same, `--` ends the
//! options (everything after it is a positional argument, even `-x`), `-h` may sit in a cluster of
//! short options, and values stay [`OsString`]s until a subcommand asks for text, so a file name
//! that is not UTF-8 still opens. This module wraps it with the messages every subcommand shares:
//! a usage error is one `error:` line and a `hint:` line naming the subcommand's help, and exits
//! with [`EXIT_CONFIG`].

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::process::ExitCode;

use crate::EXIT_CONFIG;

/// A subcommand: its name, the line the top-level help shows for it, its help text and its entry
/// point.
pub struct Command {
    /// The name typed after `corsmatch`.
    pub name: &'static str,
    /// One line for the top-level command list.
    pub summary: &'static str,
    /// What `corsmatch help NAME` and `corsmatch NAME --help` print.
    pub help: &'static str,
    /// Parses the rest of the command line and runs the subcommand.
    pub run: fn(Parser) -> ExitCode,
}

/// One command-line argument, owned, so that a shared option group can look at it while it reads
/// the option's value from the parser.
#[derive(Debug, PartialEq, Eq)]
pub enum Arg {
    /// `-h` or `--help`.
    Help,
    /// Any other option, as written without its value: `--policy`, `-V`.
    Option(String),
    /// A positional argument; every argument after `--` is one.
    Value(OsString),
}

/// A usage error: a message for the one `error:` line.
#[derive(Debug, PartialEq, Eq)]
pub struct Error(String);

impl Error {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> Error {
        Error(message.into())
    }

    /// An option this subcommand does not take.
    pub fn unknown_option(option: &str) -> Error {
        Error(format!("unknown option `{option}`"))
    }

    /// A positional argument this subcommand does not take.
    pub fn unexpected_value(value: &OsStr) -> Error {
        Error(format!("unexpected argument `{}`", show(value)))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An argument as shown in a message: lossily decoded, control characters escaped.
fn show(value: &OsStr) -> String {
    value.to_string_lossy().escape_debug().to_string()
}

/// The arguments after the subcommand's name, read one at a time.
pub struct Parser {
    inner: lexopt::Parser,
    /// The last option returned by [`Parser::next`], for messages about its value.
    last: String,
}

impl Parser {
    /// The process's arguments, without the program name.
    pub fn from_env() -> Parser {
        Parser {
            inner: lexopt::Parser::from_env(),
            last: String::new(),
        }
    }

    /// These arguments (the program name not included).
    #[cfg(test)]
    pub fn from_args<I: IntoIterator<Item = S>, S: Into<OsString>>(args: I) -> Parser {
        Parser {
            inner: lexopt::Parser::from_args(args),
            last: String::new(),
        }
    }

    /// The next argument, or `None` at the end. An option that was given a value it does not take
    /// (`--credentials=yes`) is an error here.
    pub fn next(&mut self) -> Result<Option<Arg>, Error> {
        let arg = self
            .inner
            .next()
            .map_err(|e| convert(e, last_option(&self.last)))?;
        Ok(arg.map(|arg| match arg {
            lexopt::Arg::Short('h') | lexopt::Arg::Long("help") => Arg::Help,
            lexopt::Arg::Short(c) => {
                self.last = format!("-{c}");
                Arg::Option(self.last.clone())
            }
            lexopt::Arg::Long(name) => {
                self.last = format!("--{name}");
                Arg::Option(self.last.clone())
            }
            lexopt::Arg::Value(value) => Arg::Value(value),
        }))
    }

    /// The value of the option just returned, as given: the rest of `--name=value`, else the next
    /// argument, even one that starts with `-`.
    pub fn value(&mut self) -> Result<OsString, Error> {
        self.inner
            .value()
            .map_err(|e| convert(e, last_option(&self.last)))
    }

    /// The value of the option just returned, which must be UTF-8.
    pub fn string(&mut self) -> Result<String, Error> {
        self.value()?.into_string().map_err(|_| {
            Error(format!(
                "the value of {} is not valid UTF-8",
                last_option(&self.last)
            ))
        })
    }

    /// The value of the option just returned, parsed; `what` completes the message of a value that
    /// does not parse: ``--seed `x` is {what}``.
    pub fn parse<T: std::str::FromStr>(&mut self, what: &str) -> Result<T, Error> {
        let text = self.string()?;
        text.parse().map_err(|_| {
            Error(format!(
                "{} `{}` is {what}",
                last_option(&self.last),
                text.escape_debug()
            ))
        })
    }
}

/// The option whose value is being read, for messages.
fn last_option(last: &str) -> &str {
    if last.is_empty() {
        "an option"
    } else {
        last
    }
}

/// One of lexopt's errors in this tool's words; `last` is the option just read.
fn convert(e: lexopt::Error, last: &str) -> Error {
    match e {
        lexopt::Error::MissingValue { option } => Error(format!(
            "{} needs a value",
            option.as_deref().unwrap_or(last)
        )),
        lexopt::Error::UnexpectedOption(option) => Error::unknown_option(&option),
        lexopt::Error::UnexpectedArgument(value) => Error::unexpected_value(&value),
        lexopt::Error::UnexpectedValue { option, value } => Error(format!(
            "{option} takes no value (given `{}`)",
            show(&value)
        )),
        lexopt::Error::NonUnicodeValue(value) => {
            Error(format!("`{}` is not valid UTF-8", show(&value)))
        }
        other => Error(other.to_string()),
    }
}

/// What a subcommand's arguments ask for: a run with these arguments, or its help.
pub enum Parsed<T> {
    /// Run with these arguments.
    Run(T),
    /// Print the subcommand's help.
    Help,
}

/// Parses a subcommand's arguments with `parse`: `Ok` with them, or `Err` with the exit status once
/// the help (exit 0) or a usage error (exit 2) has been printed.
pub fn parse<T>(
    command: &Command,
    parser: Parser,
    parse: impl FnOnce(Parser) -> Result<Parsed<T>, Error>,
) -> Result<T, ExitCode> {
    match parse(parser) {
        Ok(Parsed::Run(args)) => Ok(args),
        Ok(Parsed::Help) => {
            println!("{}", command.help);
            Err(ExitCode::SUCCESS)
        }
        Err(e) => Err(usage_error(Some(command.name), &e)),
    }
}

/// Prints a usage error as one `error:` line and a `hint:` line pointing at the help of `command`
/// (the top-level help for `None`); returns exit status [`EXIT_CONFIG`].
pub fn usage_error(command: Option<&str>, error: &dyn fmt::Display) -> ExitCode {
    let help = match command {
        Some(name) => format!("corsmatch {name} --help"),
        None => "corsmatch --help".to_string(),
    };
    eprintln!("error: {error}\nhint: see '{help}'");
    ExitCode::from(EXIT_CONFIG)
}

/// The policy options that `check`, `explain`, `bench` and `workload trace` share: `--policy`, given
/// at most once, and, where the subcommand takes them, `--allow PATTERN` flags in order.
pub struct PolicyArgs {
    /// The value of `--policy`: a file, or for `bench` and `workload trace` a built-in name too.
    pub policy: Option<OsString>,
    /// Each `--allow PATTERN`, in the order given.
    pub allow: Vec<String>,
    /// Whether this subcommand takes `--allow`.
    takes_allow: bool,
}

impl PolicyArgs {
    /// `--policy` alone.
    pub fn policy_only() -> PolicyArgs {
        PolicyArgs {
            policy: None,
            allow: Vec::new(),
            takes_allow: false,
        }
    }

    /// `--policy` and `--allow PATTERN`.
    pub fn with_allow() -> PolicyArgs {
        PolicyArgs {
            takes_allow: true,
            ..PolicyArgs::policy_only()
        }
    }

    /// Reads `option`'s value when it is one of the group's options; any other option is an
    /// unknown option.
    pub fn option(&mut self, option: &str, parser: &mut Parser) -> Result<(), Error> {
        match option {
            "--policy" => {
                let value = parser.value()?;
                if self.policy.replace(value).is_some() {
                    return Err(Error::new("--policy given twice"));
                }
            }
            "--allow" if self.takes_allow => self.allow.push(parser.string()?),
            _ => return Err(Error::unknown_option(option)),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(args: &[&str]) -> Result<Vec<Arg>, Error> {
        let mut parser = Parser::from_args(args);
        let mut out = Vec::new();
        while let Some(arg) = parser.next()? {
            let take = matches!(&arg, Arg::Option(o) if o == "--allow");
            out.push(arg);
            if take {
                out.push(Arg::Value(parser.value()?));
            }
        }
        Ok(out)
    }

    #[test]
    fn inline_and_separate_values_are_the_same() {
        assert_eq!(
            all(&["--allow=a=b"]).unwrap(),
            all(&["--allow", "a=b"]).unwrap()
        );
    }

    #[test]
    fn double_dash_ends_the_options() {
        assert_eq!(
            all(&["--", "--help", "-x"]).unwrap(),
            [Arg::Value("--help".into()), Arg::Value("-x".into())]
        );
        assert_eq!(all(&["-"]).unwrap(), [Arg::Value("-".into())]);
    }

    #[test]
    fn help_is_found_in_a_cluster_of_short_options() {
        assert_eq!(
            all(&["-xh"]).unwrap(),
            [Arg::Option("-x".into()), Arg::Help]
        );
    }

    #[test]
    fn errors_name_the_option() {
        assert_eq!(
            all(&["--allow"]).unwrap_err().to_string(),
            "--allow needs a value"
        );
        let mut parser = Parser::from_args(["--credentials=yes"]);
        assert_eq!(
            parser.next().unwrap(),
            Some(Arg::Option("--credentials".into()))
        );
        assert_eq!(
            parser.next().unwrap_err().to_string(),
            "--credentials takes no value (given `yes`)"
        );
        let mut parser = Parser::from_args(["--seed", "x"]);
        parser.next().unwrap();
        assert_eq!(
            parser.parse::<u64>("not a number").unwrap_err().to_string(),
            "--seed `x` is not a number"
        );
    }

    #[cfg(unix)]
    #[test]
    fn values_that_are_not_utf8_are_kept_as_given() {
        use std::os::unix::ffi::OsStringExt;
        let name = OsString::from_vec(b"policy-\xff.toml".to_vec());
        let mut parser = Parser::from_args([OsString::from("--policy"), name.clone()]);
        let mut group = PolicyArgs::policy_only();
        let Some(Arg::Option(option)) = parser.next().unwrap() else {
            panic!("an option")
        };
        group.option(&option, &mut parser).unwrap();
        assert_eq!(group.policy, Some(name.clone()));

        let mut parser = Parser::from_args([OsString::from("--allow"), name]);
        parser.next().unwrap();
        assert_eq!(
            parser.string().unwrap_err().to_string(),
            "the value of --allow is not valid UTF-8"
        );
    }

    #[test]
    fn the_policy_group_takes_its_own_options_once() {
        let mut parser = Parser::from_args(["--policy", "a", "--policy", "b", "--allow", "x"]);
        let mut group = PolicyArgs::policy_only();
        let mut errors = Vec::new();
        while let Ok(Some(Arg::Option(option))) = parser.next() {
            if let Err(e) = group.option(&option, &mut parser) {
                errors.push(e.to_string());
            }
        }
        assert_eq!(errors, ["--policy given twice", "unknown option `--allow`"]);
    }
}
