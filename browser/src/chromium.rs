//! Headless Chromium: its version, one process per page with a fresh profile, and the console's CORS
//! messages read from its log on stderr.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// The Chromium binary to use: `explicit`, or the first of `chromium`, `chromium-browser`,
/// `google-chrome` on `PATH`.
pub fn find(explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = explicit {
        return Some(p.to_path_buf());
    }
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    None
}

/// `chromium --version`'s line (`Chromium 148.0.7778.167 built on …`), or why it failed.
pub fn version(binary: &Path) -> Result<String, String> {
    let out = std::process::Command::new(binary)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", binary.display()))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.chars().any(|c| c.is_ascii_digit()))
        .unwrap_or_default()
        .trim()
        .to_string();
    if !out.status.success() || line.is_empty() {
        return Err(format!(
            "{} --version failed ({}): {}",
            binary.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(line)
}

/// The version number of a `--version` line (`148.0.7778.167`).
pub fn version_number(line: &str) -> &str {
    line.split_whitespace()
        .find(|w| w.chars().next().is_some_and(|c| c.is_ascii_digit()) && w.contains('.'))
        .unwrap_or(line)
}

/// A running Chromium and the console lines it has logged so far.
pub struct Browser {
    child: Child,
    /// Every line of stderr that is a console message.
    pub console: Arc<Mutex<Vec<String>>>,
    /// Every line of stderr (for diagnosing a page that never reported).
    pub stderr: Arc<Mutex<Vec<String>>>,
    profile: PathBuf,
}

impl Browser {
    /// Starts `binary` on `url` with a fresh profile under `scratch`, `rules` as
    /// `--host-resolver-rules`, and `extra` arguments.
    pub fn launch(
        binary: &Path,
        url: &str,
        rules: &str,
        extra: &[String],
        scratch: &Path,
    ) -> Result<Browser, String> {
        let profile = scratch.join(format!(
            "profile-{}",
            url.replace(|c: char| !c.is_ascii_alphanumeric(), "_")
        ));
        let _ = std::fs::remove_dir_all(&profile);
        std::fs::create_dir_all(&profile).map_err(|e| format!("{}: {e}", profile.display()))?;
        let mut child = Command::new(binary)
            .args([
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--disable-default-apps",
                "--ignore-certificate-errors",
                // Pages on http:// stay there (no automatic upgrade to https://).
                "--disable-features=HttpsUpgrades,HttpsFirstBalancedModeAutoEnable,HttpsFirstModeV2ForEngagedSites",
                "--enable-logging=stderr",
                "--v=0",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg(format!("--host-resolver-rules={rules}"))
            .args(extra)
            .arg(url)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let console = Arc::new(Mutex::new(Vec::new()));
        let all = Arc::new(Mutex::new(Vec::new()));
        if let Some(stderr) = child.stderr.take() {
            let console = console.clone();
            let all = all.clone();
            tokio::spawn(async move {
                let mut lines = BufReader::new(stderr).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    if line.contains(":CONSOLE") {
                        console
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .push(line.clone());
                    }
                    if !line.contains("dbus") && !line.contains("D-Bus") {
                        all.lock().unwrap_or_else(|e| e.into_inner()).push(line);
                    }
                }
            });
        }
        Ok(Browser {
            child,
            console,
            stderr: all,
            profile,
        })
    }

    /// Whether the process has exited (and how).
    pub fn exited(&mut self) -> Option<String> {
        match self.child.try_wait() {
            Ok(Some(status)) => Some(status.to_string()),
            Ok(None) => None,
            Err(e) => Some(e.to_string()),
        }
    }

    /// Kills the process and waits for it (bounded), then removes its profile.
    pub async fn stop(mut self) {
        let _ = self.child.start_kill();
        let _ = tokio::time::timeout(Duration::from_secs(5), self.child.wait()).await;
        // Let the stderr reader drain what was logged before the kill.
        tokio::time::sleep(Duration::from_millis(50)).await;
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}
