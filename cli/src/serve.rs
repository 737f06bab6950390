//! `corsmatch serve`: the CORS-enforcing reverse proxy (`corsmatch-proxy`) on the command line.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use corsmatch_proxy::forward::Upstream;
use corsmatch_proxy::{Config, StartError};
use tracing::Level;

use crate::args::{self, Arg, Command, Parsed, Parser};
use crate::EXIT_CONFIG;

/// `corsmatch serve`.
pub const COMMAND: Command = Command {
    name: "serve",
    summary: "run a reverse proxy that answers CORS for an upstream, by a policy file",
    help: HELP,
    run,
};

const HELP: &str = "\
usage: corsmatch serve --policy FILE --upstream URL [--listen ADDR] [--admin ADDR] [OPTIONS]

A reverse proxy in front of an API that cannot answer CORS itself. Preflights are answered here
(the policy's status and headers when allowed, 403 when denied); every other request is forwarded
to the upstream, bodies streamed both ways, and the response leaves with the CORS headers the policy
decides (the upstream's own CORS headers are replaced), error responses included: when the upstream
is down the client gets 502 (504 on a timeout) that the page can read.

--policy FILE           the policy file (TOML, as `corsmatch check --policy`); reloaded on SIGHUP and
                        when the file changes; an invalid file keeps the policy in force and logs
                        every diagnostic
--upstream URL          http://HOST[:PORT][/PATH]; a request for /x goes to PATH/x
--listen ADDR           where clients connect (HTTP/1.1, and HTTP/2 with prior knowledge);
                        default 127.0.0.1:8080
--admin ADDR            serve /metrics (Prometheus) and /healthz here; default: none
--watch-interval TIME   how often to check the policy file for changes; 0 = SIGHUP only; default 1s
--connect-timeout TIME  to connect to the upstream; default 5s
--response-timeout TIME from a request sent upstream to its response's head (then the body streams
                        without a deadline); default 60s
--upstream-idle TIME    how long an idle upstream connection stays pooled; default 90s
--client-timeout TIME   how long a client may take to send a request head, or stay idle between
                        requests; default 30s
--max-connections N     client connections open at once; default 10000
--shutdown-timeout TIME on SIGTERM/SIGINT, how long requests in flight may take; default 10s
--threads N             worker threads; default: one per CPU
--log-level LEVEL       error, warn, info, debug or trace; default info
--log-format FORMAT     text or json (one object per line); default text
--deny-log LEVEL        the level of the one log line per denied request (origin, reason, rule),
                        or off; allowed requests are never logged; default info

TIME is a number with a unit (250ms, 5s, 2m), or 0.

Exit status: 0 after a graceful shutdown, 1 when an address cannot be bound, 2 on a usage error or
an invalid policy at start.";

struct Args {
    policy: Option<PathBuf>,
    upstream: Option<String>,
    listen: Option<SocketAddr>,
    admin: Option<SocketAddr>,
    watch: Option<Duration>,
    connect: Option<Duration>,
    response: Option<Duration>,
    upstream_idle: Option<Duration>,
    client: Option<Duration>,
    max_connections: Option<usize>,
    shutdown: Option<Duration>,
    threads: Option<usize>,
    log_level: Level,
    json: bool,
    deny_log: Option<Level>,
}

/// A duration with a unit: `250ms`, `5s`, `2m`.
pub fn duration(parser: &mut Parser) -> Result<Duration, args::Error> {
    let text = parser.string()?;
    if text == "0" {
        return Ok(Duration::ZERO);
    }
    let (number, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let n: u64 = number.parse().map_err(|_| bad_duration(&text))?;
    let d = match unit {
        "ms" => Duration::from_millis(n),
        "s" => Duration::from_secs(n),
        "m" => Duration::from_secs(n.saturating_mul(60)),
        _ => return Err(bad_duration(&text)),
    };
    if d > Duration::from_secs(86_400) {
        return Err(args::Error::new(format!("`{text}` is longer than a day")));
    }
    Ok(d)
}

fn bad_duration(text: &str) -> args::Error {
    args::Error::new(format!(
        "`{}` is not a duration: a number with ms, s or m (250ms, 5s, 2m)",
        text.escape_debug()
    ))
}

fn level(text: &str, off: bool) -> Result<Option<Level>, args::Error> {
    Ok(Some(match text {
        "off" if off => return Ok(None),
        "error" => Level::ERROR,
        "warn" => Level::WARN,
        "info" => Level::INFO,
        "debug" => Level::DEBUG,
        "trace" => Level::TRACE,
        _ => {
            return Err(args::Error::new(format!(
                "`{}` is not a level: error, warn, info, debug, trace{}",
                text.escape_debug(),
                if off { " or off" } else { "" }
            )))
        }
    }))
}

fn positive(parser: &mut Parser, what: &str) -> Result<usize, args::Error> {
    let n: usize = parser.parse(what)?;
    if n == 0 {
        return Err(args::Error::new(format!("{what}, not 0")));
    }
    Ok(n)
}

fn parse_args(mut parser: Parser) -> Result<Parsed<Args>, args::Error> {
    let mut out = Args {
        policy: None,
        upstream: None,
        listen: None,
        admin: None,
        watch: None,
        connect: None,
        response: None,
        upstream_idle: None,
        client: None,
        max_connections: None,
        shutdown: None,
        threads: None,
        log_level: Level::INFO,
        json: false,
        deny_log: Some(Level::INFO),
    };
    while let Some(arg) = parser.next()? {
        let option = match arg {
            Arg::Help => return Ok(Parsed::Help),
            Arg::Value(value) => return Err(args::Error::unexpected_value(&value)),
            Arg::Option(option) => option,
        };
        match option.as_str() {
            "--policy" => out.policy = Some(PathBuf::from(parser.value()?)),
            "--upstream" => out.upstream = Some(parser.string()?),
            "--listen" => out.listen = Some(parser.parse("not an address like 127.0.0.1:8080")?),
            "--admin" => out.admin = Some(parser.parse("not an address like 127.0.0.1:9090")?),
            "--watch-interval" => out.watch = Some(duration(&mut parser)?),
            "--connect-timeout" => out.connect = Some(duration(&mut parser)?),
            "--response-timeout" => out.response = Some(duration(&mut parser)?),
            "--upstream-idle" => out.upstream_idle = Some(duration(&mut parser)?),
            "--client-timeout" => out.client = Some(duration(&mut parser)?),
            "--shutdown-timeout" => out.shutdown = Some(duration(&mut parser)?),
            "--max-connections" => {
                out.max_connections = Some(positive(&mut parser, "a number of connections")?)
            }
            "--threads" => out.threads = Some(positive(&mut parser, "a number of threads")?),
            "--log-level" => {
                out.log_level = level(&parser.string()?, false)?.unwrap_or(Level::INFO)
            }
            "--log-format" => {
                out.json = match parser.string()?.as_str() {
                    "text" => false,
                    "json" => true,
                    other => {
                        return Err(args::Error::new(format!(
                            "--log-format `{}` is not text or json",
                            other.escape_debug()
                        )))
                    }
                }
            }
            "--deny-log" => out.deny_log = level(&parser.string()?, true)?,
            _ => return Err(args::Error::unknown_option(&option)),
        }
    }
    if out.policy.is_none() {
        return Err(args::Error::new("--policy FILE is required"));
    }
    if out.upstream.is_none() {
        return Err(args::Error::new("--upstream URL is required"));
    }
    Ok(Parsed::Run(out))
}

/// The configuration `args` describe, or the usage error.
fn config(args: &Args) -> Result<Config, args::Error> {
    let upstream = args.upstream.as_deref().unwrap_or_default();
    let upstream =
        Upstream::parse(upstream).map_err(|e| args::Error::new(format!("--upstream {e}")))?;
    let mut config = Config::new(args.policy.clone().unwrap_or_default(), upstream);
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    config.admin = args.admin;
    if let Some(watch) = args.watch {
        config.watch = (!watch.is_zero()).then_some(watch);
    }
    let t = &mut config.timeouts;
    t.connect = args.connect.unwrap_or(t.connect);
    t.response = args.response.unwrap_or(t.response);
    t.idle = args.upstream_idle.unwrap_or(t.idle);
    let s = &mut config.server;
    s.header_read_timeout = args.client.unwrap_or(s.header_read_timeout);
    s.max_connections = args.max_connections.unwrap_or(s.max_connections);
    s.shutdown_grace = args.shutdown.unwrap_or(s.shutdown_grace);
    config.deny_log = args.deny_log;
    Ok(config)
}

/// Logs go to stderr, one line per event.
fn init_logging(level: Level, json: bool) {
    let builder = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(level)
        .with_target(false);
    let _ = if json {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.with_ansi(false).try_init()
    };
}

/// Runs `corsmatch serve` on the arguments after its name.
fn run(parser: Parser) -> ExitCode {
    let args = match args::parse(&COMMAND, parser, parse_args) {
        Ok(a) => a,
        Err(code) => return code,
    };
    let config = match config(&args) {
        Ok(c) => c,
        Err(e) => return args::usage_error(Some(COMMAND.name), &e),
    };
    init_logging(args.log_level, args.json);
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    runtime.enable_all();
    if let Some(threads) = args.threads {
        runtime.worker_threads(threads);
    }
    let runtime = match runtime.build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let policy = config.policy.clone();
    match runtime.block_on(corsmatch_proxy::run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(StartError::Policy(e)) => {
            corsmatch_proxy::reload::log_load_error(&policy, &e);
            eprintln!("error: the proxy did not start: the policy file is invalid");
            ExitCode::from(EXIT_CONFIG)
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(args: &[&str]) -> Result<Args, args::Error> {
        match parse_args(Parser::from_args(args.iter().copied()))? {
            Parsed::Run(a) => Ok(a),
            Parsed::Help => panic!("help"),
        }
    }

    #[test]
    fn options_are_read_and_bad_values_named() {
        let a = parsed(&[
            "--policy=p.toml",
            "--upstream",
            "http://127.0.0.1:9000/api",
            "--watch-interval",
            "0",
            "--connect-timeout=250ms",
            "--shutdown-timeout",
            "2m",
            "--deny-log",
            "off",
        ])
        .unwrap();
        let c = config(&a).unwrap();
        assert_eq!(c.watch, None);
        assert_eq!(c.timeouts.connect, Duration::from_millis(250));
        assert_eq!(c.server.shutdown_grace, Duration::from_secs(120));
        assert_eq!(c.deny_log, None);
        assert_eq!(c.listen, "127.0.0.1:8080".parse().unwrap());

        for (bad, message) in [
            (&["--upstream", "http://a"][..], "--policy FILE is required"),
            (&["--policy", "p"][..], "--upstream URL is required"),
            (
                &["--policy", "p", "--upstream", "u", "--connect-timeout", "5"][..],
                "not a duration",
            ),
            (
                &[
                    "--policy",
                    "p",
                    "--upstream",
                    "u",
                    "--connect-timeout",
                    "5h",
                ][..],
                "not a duration",
            ),
            (
                &[
                    "--policy",
                    "p",
                    "--upstream",
                    "u",
                    "--watch-interval",
                    "2000m",
                ][..],
                "longer than a day",
            ),
            (
                &["--policy", "p", "--upstream", "u", "--threads", "0"][..],
                "not 0",
            ),
            (
                &["--policy", "p", "--upstream", "u", "--deny-log", "loud"][..],
                "not a level",
            ),
            (
                &["--policy", "p", "--upstream", "u", "--log-level", "off"][..],
                "not a level",
            ),
            (
                &["--policy", "p", "--upstream", "u", "--listen", "localhost"][..],
                "not an address",
            ),
        ] {
            let e = parsed(bad)
                .err()
                .unwrap_or_else(|| panic!("{bad:?} parsed"));
            assert!(e.to_string().contains(message), "{bad:?}: {e}");
        }
        let a = parsed(&["--policy", "p", "--upstream", "https://a.example"]).unwrap();
        assert!(config(&a)
            .unwrap_err()
            .to_string()
            .contains("https upstreams are not supported"));
    }
}
