//! The declared MSRV (`rust-version` in the workspace's `Cargo.toml`) is true for the lockfile: no
//! locked dependency of the library, with every feature on, declares a newer `rust-version`. (The
//! library's own use of the standard library is checked against it by clippy's `incompatible_msrv`
//! lint, which `.ci/run` denies.)

use std::process::Command;

use serde_json::Value;

fn version(v: &str) -> Vec<u64> {
    v.split('.').map(|p| p.parse().unwrap_or(0)).collect()
}

#[test]
fn no_locked_dependency_of_the_library_needs_a_newer_rust() {
    let out = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--locked",
            "--all-features",
        ])
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: Value = serde_json::from_slice(&out.stdout).unwrap();
    let packages = meta["packages"].as_array().unwrap();
    let package = |id: &str| packages.iter().find(|p| p["id"] == id).unwrap();
    let library = packages.iter().find(|p| p["name"] == "corsmatch").unwrap();
    let msrv = library["rust_version"]
        .as_str()
        .expect("the library declares rust-version");
    let nodes = meta["resolve"]["nodes"].as_array().unwrap();
    let mut stack = vec![library["id"].as_str().unwrap().to_string()];
    let mut seen = std::collections::BTreeSet::new();
    let mut newer = Vec::new();
    while let Some(id) = stack.pop() {
        if !seen.insert(id.clone()) {
            continue;
        }
        let p = package(&id);
        if let Some(rv) = p["rust_version"].as_str() {
            if version(rv) > version(msrv) {
                newer.push(format!("{} {} needs {rv}", p["name"], p["version"]));
            }
        }
        let node = nodes.iter().find(|n| n["id"] == id.as_str()).unwrap();
        for dep in node["deps"].as_array().unwrap() {
            // Normal dependencies only: what a crate depending on the library builds.
            let normal = dep["dep_kinds"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k["kind"].is_null());
            if normal {
                stack.push(dep["pkg"].as_str().unwrap().to_string());
            }
        }
    }
    assert!(
        seen.len() > 10,
        "the walk found only {} packages",
        seen.len()
    );
    assert!(
        newer.is_empty(),
        "rust-version {msrv} is not true for the lockfile: raise it, or pin these to older versions:\n{}",
        newer.join("\n")
    );
}
