//! Real web servers (Debian's nginx, Caddy and HAProxy) as child processes on loopback, each
//! running a configuration from `corpus/scan/`, for the tests that scan them.
//!
//! A missing server is installed with apt once per test process (services kept from starting
//! with a `policy-rc.d` that denies them). When that fails, a test under CI (`CI` set) panics,
//! and elsewhere it says so loudly on stderr and is skipped.

use std::fs::File;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The packages installed when any server is missing.
const PACKAGES: [&str; 3] = ["nginx", "caddy", "haproxy"];
/// How long one apt-get command may take before it is stopped.
const APT_DEADLINE: Duration = Duration::from_secs(600);
/// How long a server may take to answer on its port.
const START_DEADLINE: Duration = Duration::from_secs(20);
/// Ports tried before giving up (another process may take a port between its pick and the bind).
const PORT_ATTEMPTS: usize = 5;
/// The placeholder every recipe holds for the port to listen on.
pub const PORT_PLACEHOLDER: &str = "@PORT@";

/// A server kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Nginx,
    Caddy,
    Haproxy,
}

impl Kind {
    /// The executable's name (also the package's).
    pub fn name(self) -> &'static str {
        match self {
            Kind::Nginx => "nginx",
            Kind::Caddy => "caddy",
            Kind::Haproxy => "haproxy",
        }
    }
}

/// `name` on the `PATH` or in the system binary folders (nginx and haproxy live in /usr/sbin,
/// which a user's `PATH` may lack).
pub fn find_binary(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/local/sbin", "/usr/bin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// Whether the tests run under CI, where a server that cannot be installed is a failure.
fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
}

/// Runs `program args` with a deadline; its output, for error messages, on failure.
fn run_bounded(program: &str, args: &[&str], deadline: Duration) -> Result<(), String> {
    let log = tempfile_path(&format!("{program}-output"));
    let out = File::create(&log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
    let err = out.try_clone().map_err(|e| e.to_string())?;
    let mut child = Command::new(program)
        .args(args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    let end = Instant::now() + deadline;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Ok(status),
            Ok(None) if Instant::now() >= end => {
                let _ = child.kill();
                let _ = child.wait();
                break Err(format!("stopped after {deadline:?}"));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(200)),
            Err(e) => break Err(e.to_string()),
        }
    };
    let output = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_file(&log);
    let tail: Vec<&str> = output.lines().rev().take(15).collect();
    let tail: Vec<&str> = tail.into_iter().rev().collect();
    match status {
        Ok(s) if s.success() => Ok(()),
        Ok(s) => Err(format!(
            "`{program} {}` failed ({s}):\n{}",
            args.join(" "),
            tail.join("\n")
        )),
        Err(why) => Err(format!(
            "`{program} {}` {why}:\n{}",
            args.join(" "),
            tail.join("\n")
        )),
    }
}

/// A path in the temporary folder, unique to this process.
fn tempfile_path(tag: &str) -> PathBuf {
    std::env::temp_dir().join(format!("corsmatch-cli-{tag}-{}", std::process::id()))
}

/// The Debian way to keep a package's scripts from starting its service.
const POLICY_RC_D: &str = "/usr/sbin/policy-rc.d";

/// `apt-get update` and `apt-get install` of every package, with services kept from starting:
/// nginx, Caddy and HAProxy would otherwise start on port 80 with the distribution's
/// configuration. An existing policy-rc.d is left as it is; one written here is removed after.
fn install() -> Result<(), String> {
    let policy = Path::new(POLICY_RC_D);
    let created = if policy.exists() {
        false
    } else {
        std::fs::write(
            policy,
            "#!/bin/sh\n# corsmatch-cli tests: no service starts while packages are installed\nexit 101\n",
        )
        .map_err(|e| format!("cannot write {POLICY_RC_D} (installing needs root): {e}"))?;
        let chmod = Command::new("chmod").args(["755", POLICY_RC_D]).status();
        if !chmod.is_ok_and(|s| s.success()) {
            let _ = std::fs::remove_file(policy);
            return Err(format!("cannot make {POLICY_RC_D} executable"));
        }
        true
    };
    let lock = "DPkg::Lock::Timeout=120";
    let result =
        run_bounded("apt-get", &["update", "-q", "-o", lock], APT_DEADLINE).and_then(|()| {
            let mut args = vec!["install", "-y", "-q", "-o", lock];
            args.extend(PACKAGES);
            run_bounded("apt-get", &args, APT_DEADLINE)
        });
    if created {
        let _ = std::fs::remove_file(policy);
    }
    result
}

/// Installs the servers when any is missing, once per process (tests running in parallel wait
/// for the first one's attempt); why it failed, when it did.
fn ensure_installed() -> &'static Result<(), String> {
    static INSTALLED: OnceLock<Result<(), String>> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        if PACKAGES.iter().all(|p| find_binary(p).is_some()) {
            return Ok(());
        }
        eprintln!("installing {} with apt-get ...", PACKAGES.join(", "));
        install()
    })
}

/// The executable of `kind`, installing it when it is missing. `None` (after a loud message)
/// when it cannot be installed outside CI; under CI that panics.
pub fn require(kind: Kind) -> Option<PathBuf> {
    if let Some(path) = find_binary(kind.name()) {
        return Some(path);
    }
    let why = match ensure_installed() {
        Ok(()) => match find_binary(kind.name()) {
            Some(path) => return Some(path),
            None => format!("apt-get succeeded but there is no `{}` binary", kind.name()),
        },
        Err(e) => e.clone(),
    };
    let message = format!(
        "{} is not installed and could not be installed: {why}",
        kind.name()
    );
    if under_ci() {
        panic!("{message}");
    }
    // Straight to the process's stderr: the test harness captures `eprintln!` of passing tests.
    let bar = "!".repeat(78);
    let _ = writeln!(
        std::io::stderr(),
        "\n{bar}\n!!! SKIPPED: {message}\n!!! (with CI set, as .ci/run sets it, this is a failure)\n{bar}\n"
    );
    None
}

/// A port that was free a moment ago (bound with port 0, then released).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("cannot bind a loopback port")
}

/// The whole configuration for `kind` around `recipe` (already holding its port): everything
/// the server writes (pid file, logs, temporary files) goes to `dir`.
fn config(kind: Kind, dir: &Path, recipe: &str) -> (PathBuf, String) {
    let d = dir.display();
    match kind {
        Kind::Nginx => (
            dir.join("nginx.conf"),
            // One process (no master and workers): killing it stops the server.
            format!(
                "master_process off;\n\
                 worker_processes 1;\n\
                 pid {d}/nginx.pid;\n\
                 error_log {d}/error.log info;\n\
                 events {{ worker_connections 256; }}\n\
                 http {{\n\
                 access_log {d}/access.log;\n\
                 client_body_temp_path {d}/client_body;\n\
                 proxy_temp_path {d}/proxy;\n\
                 fastcgi_temp_path {d}/fastcgi;\n\
                 uwsgi_temp_path {d}/uwsgi;\n\
                 scgi_temp_path {d}/scgi;\n\
                 default_type text/plain;\n\
                 {recipe}\n\
                 }}\n"
            ),
        ),
        Kind::Caddy => (
            dir.join("Caddyfile"),
            format!(
                "{{\n\
                 \tadmin off\n\
                 \tauto_https off\n\
                 \tstorage file_system {d}/storage\n\
                 \tlog {{\n\
                 \t\toutput file {d}/caddy.log\n\
                 \t}}\n\
                 }}\n\n\
                 {recipe}"
            ),
        ),
        Kind::Haproxy => (
            dir.join("haproxy.cfg"),
            format!(
                "global\n    maxconn 256\n\n\
                 defaults\n    mode http\n    timeout connect 5s\n    timeout client 30s\n    \
                 timeout server 30s\n    timeout http-request 10s\n\n\
                 {recipe}"
            ),
        ),
    }
}

/// Whether something at `addr` answers an HTTP request.
fn answers_http(addr: SocketAddr) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(500)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(2)));
    if stream
        .write_all(b"GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut head = [0u8; 5];
    stream.read_exact(&mut head).is_ok() && &head == b"HTTP/"
}

/// A server running one recipe on a loopback port, in the foreground, killed when dropped.
pub struct Server {
    child: Child,
    pub kind: Kind,
    pub port: u16,
    pub dir: PathBuf,
}

impl Server {
    /// Starts `kind` with `recipe` (its `@PORT@` replaced) on a free loopback port, with its
    /// files in a fresh folder named after `tag`, and waits until it answers HTTP.
    pub fn start(kind: Kind, binary: &Path, recipe: &str, tag: &str) -> Server {
        assert!(
            recipe.contains(PORT_PLACEHOLDER),
            "the recipe has no {PORT_PLACEHOLDER} to listen on"
        );
        let dir = super::temp_dir(&format!("server-{tag}"));
        let mut last_log = String::new();
        for _ in 0..PORT_ATTEMPTS {
            // (A failed attempt's guard removed the folder.)
            std::fs::create_dir_all(&dir).unwrap();
            let port = free_port();
            let (path, text) = config(
                kind,
                &dir,
                &recipe.replace(PORT_PLACEHOLDER, &port.to_string()),
            );
            std::fs::write(&path, text).unwrap();
            let log_path = dir.join("server.log");
            let log = File::create(&log_path).unwrap();
            let mut command = Command::new(binary);
            match kind {
                Kind::Nginx => {
                    command
                        .arg("-p")
                        .arg(&dir)
                        .arg("-c")
                        .arg(&path)
                        .arg("-e")
                        .arg(dir.join("error.log"))
                        .args(["-g", "daemon off;"]);
                }
                Kind::Caddy => {
                    command
                        .args(["run", "--adapter", "caddyfile", "--config"])
                        .arg(&path)
                        .env("HOME", &dir)
                        .env("XDG_DATA_HOME", &dir)
                        .env("XDG_CONFIG_HOME", &dir);
                }
                Kind::Haproxy => {
                    command.arg("-f").arg(&path).arg("-db");
                }
            }
            let child = command
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
            let mut server = Server {
                child,
                kind,
                port,
                dir: dir.clone(),
            };
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            let deadline = Instant::now() + START_DEADLINE;
            loop {
                if let Ok(Some(status)) = server.child.try_wait() {
                    last_log = server.log();
                    let lower = last_log.to_ascii_lowercase();
                    if lower.contains("in use") || lower.contains("cannot bind") {
                        break; // another process took the port: try another
                    }
                    panic!(
                        "{} exited ({status}) before it answered:\n{last_log}",
                        kind.name()
                    );
                }
                if answers_http(addr) {
                    if server.child.try_wait().is_ok_and(|s| s.is_none()) {
                        return server;
                    }
                    continue;
                }
                if Instant::now() >= deadline {
                    panic!(
                        "{} did not answer on {addr} within {START_DEADLINE:?}:\n{}",
                        kind.name(),
                        server.log()
                    );
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        panic!(
            "{} found no free port in {PORT_ATTEMPTS} attempts:\n{last_log}",
            kind.name()
        );
    }

    /// The URL the scans target.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// What the server wrote: its output and its log files.
    pub fn log(&self) -> String {
        ["server.log", "error.log", "caddy.log"]
            .iter()
            .filter_map(|name| std::fs::read_to_string(self.dir.join(name)).ok())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Kept after a failure, for its logs.
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}
