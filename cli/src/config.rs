//! Loading the allowlist from a policy file and `--allow` flags, with every error reported.

use std::path::Path;

use corsmatch::pattern::{Allowlist, Pattern};
use corsmatch::OriginMatcher;
use serde::Deserialize;

/// The policy file. For now it holds only the allowlist.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    /// Allowlist entries, in order.
    #[serde(default)]
    origins: Vec<String>,
}

/// Where an entry came from, for messages.
#[derive(Debug, Clone)]
pub enum Source {
    /// `origins[i]` of the policy file.
    Policy(String, usize),
    /// The i-th `--allow` flag.
    Flag(usize),
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Policy(path, i) => write!(f, "{path}: origins[{i}]"),
            Source::Flag(i) => write!(f, "--allow #{}", i + 1),
        }
    }
}

/// A compiled allowlist and where each entry came from.
pub struct Loaded {
    /// The compiled matcher.
    pub matcher: OriginMatcher,
}

/// Reads the policy file (if any), appends the `--allow` entries, and compiles them. Notes and
/// warnings are printed on stderr; on failure every error has been printed and `Err` is returned.
pub fn load(policy: Option<&Path>, allow: &[String]) -> Result<Loaded, ()> {
    let mut entries = Vec::new();
    let mut sources = Vec::new();
    if let Some(path) = policy {
        let text = std::fs::read_to_string(path).map_err(|e| {
            eprintln!("error: cannot read policy file {}: {e}", path.display());
        })?;
        let file: PolicyFile = toml::from_str(&text).map_err(|e| {
            eprintln!(
                "error: policy file {}: {}",
                path.display(),
                e.to_string().trim_end()
            );
        })?;
        let name = path.display().to_string();
        for (i, o) in file.origins.into_iter().enumerate() {
            entries.push(o);
            sources.push(Source::Policy(name.clone(), i));
        }
    }
    for (i, a) in allow.iter().enumerate() {
        entries.push(a.clone());
        sources.push(Source::Flag(i));
    }
    if entries.is_empty() {
        eprintln!("error: the allowlist is empty: give --allow PATTERN or --policy FILE");
        return Err(());
    }
    let (list, mut errors) = Allowlist::parse_all(&entries);
    for note in list.notes() {
        eprintln!(
            "note: {} `{}`: {} (now `{}`)",
            sources[note.index],
            corsmatch::pattern::escape(&note.entry),
            note.kind,
            note.normalized
        );
    }
    for entry in list.entries() {
        if entry.pattern.is_public_suffix_wildcard() {
            eprintln!(
                "warning: {}: `{}` is a wildcard over a public suffix: anyone can register a name under it",
                sources[entry.index], entry.pattern
            );
        }
        if entry.pattern == Pattern::Any {
            eprintln!("warning: {}: `*` allows every origin", sources[entry.index]);
        }
    }
    let compiled = OriginMatcher::from_allowlist(&list);
    if let Err(more) = &compiled {
        errors.extend(more.0.iter().cloned());
        errors.sort_by_key(|e| e.index);
    }
    if !errors.is_empty() {
        for e in &errors {
            print_error(&sources[e.index], e);
        }
        let n = errors.len();
        eprintln!(
            "{n} invalid allowlist entr{}",
            if n == 1 { "y" } else { "ies" }
        );
        return Err(());
    }
    let matcher = compiled.map_err(|_| ())?;
    Ok(Loaded { matcher })
}

fn print_error(source: &Source, e: &corsmatch::pattern::Error) {
    eprintln!(
        "error: {source} `{}`: {}",
        corsmatch::pattern::escape(&e.entry),
        e.kind
    );
    eprintln!("  fix: {}", e.kind.fix());
}
