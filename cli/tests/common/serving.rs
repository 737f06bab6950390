//! `corsmatch serve` as a child process, for the tests that need a running proxy.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

/// A running `corsmatch serve`, killed when dropped.
pub struct Serve {
    pub child: Child,
    pub url: String,
    pub admin: String,
    pub log: Arc<Mutex<Vec<String>>>,
}

/// The address after `marker` in a log line.
fn address_after(line: &str, marker: &str) -> Option<SocketAddr> {
    let rest = &line[line.find(marker)? + marker.len()..];
    let end = rest.find(['/', ' ']).unwrap_or(rest.len());
    rest[..end].parse().ok()
}

impl Serve {
    /// Starts `corsmatch serve --policy policy --upstream upstream` with `extra` options, and waits
    /// until it listens.
    pub fn start(policy: &Path, upstream: &str, extra: &[&str]) -> Serve {
        let mut child = Command::new(env!("CARGO_BIN_EXE_corsmatch"))
            .args(["serve", "--policy"])
            .arg(policy)
            .args(["--upstream", upstream, "--listen", "127.0.0.1:0"])
            .args(["--admin", "127.0.0.1:0", "--threads", "2"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let (lines, ready) = mpsc::channel();
        let shared = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                shared.lock().unwrap().push(line.clone());
                let _ = lines.send(line);
            }
        });
        let (mut url, mut admin) = (None, None);
        let deadline = Instant::now() + Duration::from_secs(30);
        while url.is_none() || admin.is_none() {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = ready.recv_timeout(left).unwrap_or_else(|_| {
                let _ = child.kill();
                panic!("serve did not start:\n{}", log.lock().unwrap().join("\n"))
            });
            if let Some(addr) = address_after(&line, "listening on ") {
                url = Some(format!("http://{addr}"));
            }
            if let Some(addr) = address_after(&line, "admin endpoint on http://") {
                admin = Some(format!("http://{addr}"));
            }
        }
        Serve {
            child,
            url: url.unwrap(),
            admin: admin.unwrap(),
            log,
        }
    }

    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args(["-s", signal, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// The peak resident memory of the proxy so far (`VmHWM`), in KiB.
    pub fn peak_rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap()
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
