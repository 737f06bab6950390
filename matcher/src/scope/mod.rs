//! What an allowlist entry lets in beyond the names it spells out: the public-suffix exposure of
//! subdomain wildcards, and the language of regex entries.
//!
//! Two rules of the policy depend on what an entry *admits*, not on how it is written:
//!
//! * **Names anyone can register.** `https://*.com` lets in every `.com` site; so does
//!   `https://*.np` (the list has `*.np`: every name under `np` is a public suffix), and so does
//!   `https://*.amazonaws.com`, which is not a public suffix itself but has public suffixes below it
//!   (`s3.amazonaws.com`), whose tenants are then let in. [`exposure`] follows the whole
//!   Public Suffix List: its rules, its wildcard rules, its exception rules (through the `psl`
//!   crate) and the parents of its rules (a table generated from the same list, `psl_parents.rs`).
//!   The list's default rule makes every single-label name a public suffix; `localhost` is exempt,
//!   being loopback by definition (RFC 6761 §6.3).
//! * **Regexes are judged by their automaton.** A regex entry is a language; reading its source
//!   text cannot tell what it admits (`https://app\.example\.com|http://evil\.example` starts with
//!   `https://`). [`language`] decides both regex rules on compiled DFAs and names an origin the
//!   regex lets in as proof.

pub mod language;
mod psl_parents;

/// Whether `name` (lowercase, without a trailing dot) is a public suffix: a rule of the list, a name
/// a wildcard rule covers and no exception removes, or a single label (the list's default rule).
pub fn is_public_suffix(name: &str) -> bool {
    if name.is_empty() {
        return false;
    }
    psl::suffix(name.as_bytes()).is_some_and(|s| s.as_bytes() == name.as_bytes())
}

/// A public-suffix rule strictly below `name`, when `name` is not a public suffix itself but is a
/// parent of some (`amazonaws.com` → `s3.amazonaws.com`, `kawasaki.jp` → `*.kawasaki.jp`).
pub fn public_suffix_below(name: &str) -> Option<&'static str> {
    psl_parents::PARENTS
        .binary_search_by(|(parent, _)| (*parent).cmp(name))
        .ok()
        .map(|i| psl_parents::PARENTS[i].1)
}

/// Why names under a domain can be registered by anyone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Exposure {
    /// The domain is itself a public suffix (the text is the domain).
    PublicSuffix(Box<str>),
    /// The domain has a public suffix below it (the text is that rule, e.g. `s3.amazonaws.com`).
    ParentOf(Box<str>),
}

impl Exposure {
    /// The public suffix involved (a rule of the list, or the domain itself).
    pub fn suffix(&self) -> &str {
        match self {
            Exposure::PublicSuffix(s) | Exposure::ParentOf(s) => s,
        }
    }
}

impl core::fmt::Display for Exposure {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Exposure::PublicSuffix(s) => write!(f, "`{s}` is a public suffix"),
            Exposure::ParentOf(s) => write!(f, "`{s}` is a public suffix below it"),
        }
    }
}

/// Whether names directly under `domain` (lowercase, a trailing dot allowed) can be registered by
/// anyone, so that `*.domain` lets in sites its author does not control. `localhost` and the names
/// under it are loopback and never exposed.
pub fn exposure(domain: &str) -> Option<Exposure> {
    let name = domain.strip_suffix('.').unwrap_or(domain);
    if name == "localhost" || name.ends_with(".localhost") {
        return None;
    }
    if is_public_suffix(name) {
        return Some(Exposure::PublicSuffix(name.into()));
    }
    public_suffix_below(name).map(|rule| Exposure::ParentOf(rule.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_the_whole_list() {
        let e = |d: &str| exposure(d).map(|e| e.suffix().to_string());
        assert_eq!(e("com").as_deref(), Some("com"));
        assert_eq!(e("github.io").as_deref(), Some("github.io"));
        assert_eq!(e("co.uk").as_deref(), Some("co.uk"));
        // wildcard rules: `*.np`, `*.ck`, `*.kawasaki.jp`
        assert_eq!(e("np").as_deref(), Some("np"));
        assert_eq!(e("ck").as_deref(), Some("ck"));
        assert_eq!(e("foo.ck").as_deref(), Some("foo.ck"));
        assert_eq!(e("kawasaki.jp").as_deref(), Some("*.kawasaki.jp"));
        assert_eq!(e("foo.kawasaki.jp").as_deref(), Some("foo.kawasaki.jp"));
        // exception rule `!city.kawasaki.jp`, and `!www.ck`
        assert_eq!(e("city.kawasaki.jp"), None);
        assert_eq!(e("www.ck"), None);
        // parents of public suffixes
        assert!(e("amazonaws.com").is_some_and(|s| s.ends_with(".amazonaws.com")));
        assert_eq!(e("example.com"), None);
        assert_eq!(e("example.com."), None);
        assert_eq!(e("com.").as_deref(), Some("com"));
        // single labels: the default rule; localhost is loopback
        assert_eq!(e("internal").as_deref(), Some("internal"));
        assert_eq!(e("localhost"), None);
        assert_eq!(e("dev.localhost"), None);
    }

    #[test]
    fn every_parent_row_is_a_parent() {
        let mut last = "";
        for &(parent, rule) in psl_parents::PARENTS {
            assert!(last < parent, "table not sorted at {parent}");
            last = parent;
            assert!(!is_public_suffix(parent), "{parent} is a public suffix");
            let below = match rule.strip_prefix("*.") {
                Some(base) => format!("probe.{base}"),
                None => rule.to_string(),
            };
            assert!(
                below.ends_with(&format!(".{parent}")),
                "{rule} under {parent}"
            );
            assert!(is_public_suffix(&below), "{below} (from {rule})");
        }
    }
}
