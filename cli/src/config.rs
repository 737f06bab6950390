//! Loading the policy from a policy file and `--allow` flags, with every diagnostic reported.

use std::ffi::OsStr;
use std::io;
use std::path::Path;
use std::process::ExitCode;

use corsmatch::pattern::NoteKind;
use corsmatch::policy::{Diagnostic, DiagnosticKind, LoadError, Policy, PolicyConfig, Severity};
use corsmatch_workload::policies;

use crate::EXIT_CONFIG;

/// The policy that `--policy NAME|FILE` names for `command` (`bench`, `workload`): a built-in
/// policy, else a policy file, loaded and validated as by [`load`]. Returns the name to show and the
/// configuration, or the exit status once the error is printed; a value that is neither a built-in
/// name nor an existing file is a usage error that lists the built-in names.
pub fn load_named(value: &OsStr, command: &str) -> Result<(String, PolicyConfig), ExitCode> {
    if let Some(config) = value.to_str().and_then(policies::by_name) {
        return Ok((format!("{} (built in)", value.to_string_lossy()), config));
    }
    let path = Path::new(value);
    if let Err(e) = std::fs::metadata(path) {
        if e.kind() == io::ErrorKind::NotFound {
            let error = format!(
                "--policy `{}`: neither a built-in policy ({}) nor an existing policy file",
                path.display(),
                policies::NAMES.join(", ")
            );
            return Err(crate::args::usage_error(Some(command), &error));
        }
    }
    match load(Some(path), &[], true) {
        Ok(loaded) => Ok((path.display().to_string(), loaded.config)),
        Err(()) => Err(ExitCode::from(EXIT_CONFIG)),
    }
}

/// A validated policy and the configuration it came from.
pub struct Loaded {
    /// The compiled policy.
    pub policy: Policy,
    /// The configuration (policy file plus `--allow` entries).
    pub config: PolicyConfig,
}

/// Reads the policy file (if any), appends the `--allow` entries to its origins, and validates it.
/// Warnings and notes are printed on stderr; on failure every diagnostic has been printed and `Err` is
/// returned.
pub fn load(policy: Option<&Path>, allow: &[String], require_origins: bool) -> Result<Loaded, ()> {
    let mut config = PolicyConfig::default();
    let mut file_origins = 0;
    let mut name = String::new();
    let mut file_text = String::new();
    if let Some(path) = policy {
        let text = crate::input::read_text(path, crate::input::MAX_POLICY_BYTES).map_err(|e| {
            eprintln!("error: cannot read policy file {}: {e}", path.display());
        })?;
        config = PolicyConfig::from_toml_str(&text).map_err(|e| match e {
            LoadError::Syntax {
                message,
                position: Some(p),
            } => eprintln!("error: policy file {}:{p}: {message}", path.display()),
            e => eprintln!("error: policy file {}: {e}", path.display()),
        })?;
        file_text = text;
        file_origins = config.origins.len();
        name = path.display().to_string();
    }
    config.origins.extend(allow.iter().cloned());
    if require_origins && config.origins.is_empty() {
        eprintln!("error: the allowlist is empty: give --allow PATTERN or --policy FILE");
        return Err(());
    }
    // Entries are numbered from 0 everywhere, as TOML arrays are: `origins[i]` for the policy file's
    // entries, `--allow[j]` for the j-th `--allow` flag.
    let entry = |i: usize| {
        if i >= file_origins {
            format!("--allow[{}]", i - file_origins)
        } else {
            format!("origins[{i}]")
        }
    };
    let label = |d: &Diagnostic| {
        let place = match d.index {
            Some(i) if d.key == "origins" && i >= file_origins => return entry(i),
            Some(i) => format!("{}[{i}]", d.key),
            None => d.key.to_string(),
        };
        match d.position {
            Some(p) => format!("{name}:{p}: {place}"),
            None if name.is_empty() => place,
            None => format!("{name}: {place}"),
        }
    };
    let describe = |d: &Diagnostic| match &d.kind {
        // The library numbers the first entry within the combined list; say where it came from.
        DiagnosticKind::OriginNormalized(NoteKind::Duplicate(first)) if *first < file_origins => {
            format!("same as {} in {name}; ignored", entry(*first))
        }
        DiagnosticKind::OriginNormalized(NoteKind::Duplicate(first)) => {
            format!("same as {}; ignored", entry(*first))
        }
        kind => kind.describe(),
    };
    let print = |d: &Diagnostic| {
        eprintln!(
            "{}: {} `{}`: {}",
            d.severity().name(),
            label(d),
            corsmatch::pattern::escape(&d.value),
            describe(d)
        );
        if d.severity() != Severity::Note {
            eprintln!("  fix: {}", d.kind.fix());
        }
    };
    // Positions in the policy file (`--allow` entries have none).
    let located = |diagnostics: &[Diagnostic]| {
        let mut diagnostics = diagnostics.to_vec();
        corsmatch::policy::locate(&mut diagnostics, &file_text);
        diagnostics
    };
    match Policy::new(&config) {
        Ok(policy) => {
            located(policy.diagnostics()).iter().for_each(print);
            Ok(Loaded { policy, config })
        }
        Err(errors) => {
            located(&errors.0).iter().for_each(print);
            let n = errors.errors().count();
            eprintln!("{n} error{} in the policy", if n == 1 { "" } else { "s" });
            Err(())
        }
    }
}
