//! `corsmatch check`: decide origins against an allowlist, one output line per origin.

use std::io::{self, BufRead, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use corsmatch::origin;
use corsmatch::OriginMatcher;

use crate::args::{self, Arg, Command, Parsed, Parser, PolicyArgs};
use crate::{config, EXIT_CONFIG};

/// `corsmatch check`.
pub const COMMAND: Command = Command {
    name: "check",
    summary: "decide origins against an allowlist, one output line per origin",
    help: HELP,
    run,
};

const HELP: &str = "\
usage: corsmatch check [--policy FILE] [--allow PATTERN]... [--] [ORIGIN]...

Decides each ORIGIN (or, with none given, each line of standard input) against the allowlist
made of the policy file's `origins` followed by every --allow PATTERN, and prints one line per
origin: `allow<TAB>ORIGIN<TAB>RULE` or `deny<TAB>ORIGIN<TAB>REASON`.

--policy FILE     a policy file (at most 16 MiB); its `origins` come first
--allow PATTERN   one more allowlist entry; may be given many times
--                ends the options: an ORIGIN after it may start with `-`

Standard input is read line by line, byte for byte (only the `\\n` or `\\r\\n` terminator is
removed). A line longer than the longest origin (326 bytes) is denied as too long without being
kept in memory: the deny line shows its first 64 bytes followed by `...`. A line that runs past
1 MiB (1048576 bytes) without a newline, as an endless stream like /dev/zero does, is denied the
same way and then reading stops with exit status 2. When standard input is a terminal, a note on
stderr says that origins are read from it first.

Exit status: 0 when every origin was allowed, 1 when any was denied, 2 on a usage or
configuration error, a policy file over 16 MiB, or a line of over 1 MiB on standard input.
Allowlist entries are numbered from 0 in messages: `origins[i]` in the policy file, `--allow[j]`
for the j-th --allow flag.

Patterns: https://example.com  https://*.example.com  http://localhost:*  null  *
          regex:^https://pr-[0-9]+\\.preview\\.example\\.dev$";

struct Args {
    policy: PolicyArgs,
    origins: Vec<Vec<u8>>,
}

fn parse_args(mut parser: Parser) -> Result<Parsed<Args>, args::Error> {
    let mut out = Args {
        policy: PolicyArgs::with_allow(),
        origins: Vec::new(),
    };
    while let Some(arg) = parser.next()? {
        match arg {
            Arg::Help => return Ok(Parsed::Help),
            Arg::Option(option) => out.policy.option(&option, &mut parser)?,
            Arg::Value(origin) => out.origins.push(origin.into_encoded_bytes()),
        }
    }
    if out.policy.policy.is_none() && out.policy.allow.is_empty() {
        return Err(args::Error::new(
            "the allowlist is empty: give --allow PATTERN or --policy FILE",
        ));
    }
    Ok(Parsed::Run(out))
}

/// Runs `corsmatch check` on the arguments after its name.
fn run(parser: Parser) -> ExitCode {
    let args = match args::parse(&COMMAND, parser, parse_args) {
        Ok(a) => a,
        Err(code) => return code,
    };
    let policy = args.policy.policy.as_deref().map(Path::new);
    let Ok(loaded) = config::load(policy, &args.policy.allow, true) else {
        return ExitCode::from(EXIT_CONFIG);
    };
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut denied = false;
    let mut unterminated = false;
    let result = if args.origins.is_empty() {
        let stdin = io::stdin();
        if stdin.is_terminal() {
            // Someone typing, not a pipe: say what the silence is waiting for.
            eprintln!("{TERMINAL_NOTE}");
        }
        let mut input = stdin.lock();
        let mut line = Vec::with_capacity(KEPT);
        loop {
            match read_line(&mut input, &mut line) {
                Ok(Line::End) => break Ok(()),
                Ok(Line::Read(len)) => {
                    if let Err(e) =
                        decide(loaded.policy.matcher(), &line, len, &mut out, &mut denied)
                    {
                        break Err(e);
                    }
                }
                Ok(Line::Endless) => {
                    unterminated = true;
                    break deny_too_long(&line, None, &mut out);
                }
                Err(e) => break Err(e),
            }
        }
    } else {
        args.origins
            .iter()
            .try_for_each(|o| decide(loaded.policy.matcher(), o, o.len(), &mut out, &mut denied))
    };
    match result.and_then(|()| out.flush()) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    }
    if unterminated {
        eprintln!(
            "error: standard input: a line runs past {MAX_LINE_LEN} bytes without a newline; stopped reading"
        );
        return ExitCode::from(EXIT_CONFIG);
    }
    if denied {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Printed on stderr before reading standard input when it is a terminal.
const TERMINAL_NOTE: &str = if cfg!(windows) {
    "corsmatch check: reading origins from standard input, one per line (end with Ctrl-Z, Enter)"
} else {
    "corsmatch check: reading origins from standard input, one per line (end with Ctrl-D)"
};

/// The longest line read from standard input, terminator included: a line that runs on past it
/// without a newline (an endless stream such as `/dev/zero`) ends the run with exit status 2.
pub const MAX_LINE_LEN: usize = 1 << 20;

/// The bytes of a line kept for deciding it: a whole origin of [`origin::MAX_ORIGIN_LEN`] bytes with a
/// `\r`, plus one to tell that a line is longer.
const KEPT: usize = origin::MAX_ORIGIN_LEN + 2;

/// How many bytes of an over-long origin are printed.
const SHOWN: usize = 64;

/// One line of standard input.
enum Line {
    /// The end of the input: no further line.
    End,
    /// A line of this many bytes (without its `\n` or `\r\n`), of which the buffer holds the first
    /// [`KEPT`] at most.
    Read(usize),
    /// More than [`MAX_LINE_LEN`] bytes without a newline; the buffer holds the first [`KEPT`].
    Endless,
}

/// Reads the next line into `line`, keeping at most [`KEPT`] bytes of it and reading the rest in
/// the reader's buffer-sized chunks, so that memory stays bounded whatever the input.
fn read_line(input: &mut impl BufRead, line: &mut Vec<u8>) -> io::Result<Line> {
    line.clear();
    let mut len = 0usize;
    let mut last = None;
    loop {
        let buf = match input.fill_buf() {
            Ok(buf) => buf,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buf.is_empty() {
            if len == 0 {
                return Ok(Line::End);
            }
            break;
        }
        let (chunk, newline) = match buf.iter().position(|&b| b == b'\n') {
            Some(at) => (&buf[..at], true),
            None => (buf, false),
        };
        let keep = (KEPT - line.len()).min(chunk.len());
        line.extend_from_slice(&chunk[..keep]);
        len += chunk.len();
        last = chunk.last().copied().or(last);
        let used = chunk.len() + usize::from(newline);
        input.consume(used);
        if newline {
            if last == Some(b'\r') {
                len -= 1;
                line.truncate(len);
            }
            return Ok(Line::Read(len));
        }
        if len > MAX_LINE_LEN {
            return Ok(Line::Endless);
        }
    }
    // The last line, without a terminator: nothing is removed.
    Ok(Line::Read(len))
}

/// Decides `origin`, of which only a prefix may be at hand when it is longer than any origin
/// (`len` is its full length).
fn decide(
    matcher: &OriginMatcher,
    origin: &[u8],
    len: usize,
    out: &mut impl Write,
    denied: &mut bool,
) -> io::Result<()> {
    if len > origin::MAX_ORIGIN_LEN {
        *denied = true;
        return deny_too_long(origin, Some(len), out);
    }
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

/// The deny line of an origin longer than any origin can be: its first [`SHOWN`] bytes, escaped, then
/// `...`, and its length (`None`: more than [`MAX_LINE_LEN`] bytes without a newline).
fn deny_too_long(prefix: &[u8], len: Option<usize>, out: &mut impl Write) -> io::Result<()> {
    let shown = display(&prefix[..prefix.len().min(SHOWN)]);
    let size = match len {
        Some(len) => format!("{len} bytes"),
        None => format!("more than {MAX_LINE_LEN} bytes without a newline"),
    };
    writeln!(
        out,
        "deny\t{shown}...\tmalformed origin: too long: {size}, over the {}-byte limit (shown truncated to its first {SHOWN} bytes)",
        origin::MAX_ORIGIN_LEN
    )
}

/// The origin as printed: verbatim when it is printable ASCII, escaped (`\t`, `\xff`, …) otherwise.
fn display(origin: &[u8]) -> String {
    if origin.iter().all(|b| (0x20..0x7f).contains(b)) {
        String::from_utf8_lossy(origin).into_owned()
    } else {
        origin.escape_ascii().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_usage_states_the_limits() {
        for limit in [
            format!("longest origin ({} bytes)", origin::MAX_ORIGIN_LEN),
            format!("its first {SHOWN} bytes"),
            format!("1 MiB ({MAX_LINE_LEN} bytes)"),
            format!(
                "a policy file over {}",
                crate::input::human(crate::input::MAX_POLICY_BYTES)
            ),
        ] {
            assert!(HELP.contains(&limit), "{limit}");
        }
    }

    #[test]
    fn lines_are_kept_up_to_the_longest_origin() {
        let mut input = io::BufReader::with_capacity(16, &b"ab\r\ncd\r\n\nx\r"[..]);
        let mut line = Vec::new();
        let mut read = |input: &mut io::BufReader<&[u8]>| match read_line(input, &mut line) {
            Ok(Line::Read(len)) => Some((len, line.clone())),
            Ok(Line::End) => None,
            other => panic!("{:?}", other.is_ok()),
        };
        assert_eq!(read(&mut input), Some((2, b"ab".to_vec())));
        assert_eq!(read(&mut input), Some((2, b"cd".to_vec())));
        assert_eq!(read(&mut input), Some((0, Vec::new())));
        assert_eq!(read(&mut input), Some((2, b"x\r".to_vec())));
        assert_eq!(read(&mut input), None);
    }
}
