//! The example policies of the benchmarks, built deterministically (no randomness: the names follow
//! from the entry's position), and their policy-file text.
//!
//! | name | origins | credentials |
//! |---|---|---|
//! | `small` | 5: two exact, a subdomain wildcard, `http://localhost:*`, a regex | yes |
//! | `saas` | 10 000 exact + 1 000 subdomain wildcards + 20 regexes + 4 loopback port wildcards | yes |
//! | `regex-heavy` | 200 regexes | no |

use corsmatch::policy::PolicyConfig;

/// The names of the built-in policies, in the order [`by_name`] knows them.
pub const NAMES: [&str; 3] = ["small", "saas", "regex-heavy"];

/// A built-in policy by name.
pub fn by_name(name: &str) -> Option<PolicyConfig> {
    match name {
        "small" => Some(small()),
        "saas" => Some(saas()),
        "regex-heavy" => Some(regex_heavy()),
        _ => None,
    }
}

fn common(origins: Vec<String>, credentials: bool) -> PolicyConfig {
    PolicyConfig::new(origins)
        .methods(vec!["PUT", "PATCH", "DELETE"])
        .request_headers(vec![
            "content-type",
            "authorization",
            "x-requested-with",
            "x-request-id",
            "x-csrf-token",
        ])
        .expose_headers(vec!["x-request-id", "x-ratelimit-remaining"])
        .credentials(credentials)
        .max_age(600)
}

/// `small`: five entries, one of each kind, with credentials.
pub fn small() -> PolicyConfig {
    common(
        vec![
            "https://app.example.com".into(),
            "https://admin.example.org".into(),
            "https://*.example.com".into(),
            "http://localhost:*".into(),
            r"regex:^https://pr-[0-9]+\.preview\.example\.dev$".into(),
        ],
        true,
    )
}

/// `saas`: a multi-tenant service's allowlist — 10 000 customers' exact origins (some with a port),
/// 1 000 customers' subdomain wildcards (some on a port, some on any port), 20 regexes for preview
/// deployments, and the loopback origins of local development on any port; with credentials.
pub fn saas() -> PolicyConfig {
    let mut origins = Vec::with_capacity(11_024);
    origins.extend((0..10_000).map(|i| match i % 4 {
        0 => format!("https://app.customer{i}.com"),
        1 => format!("https://www.client{i}.io"),
        2 => format!("https://t{i}.eu.example-app.com"),
        _ => format!("https://portal.org{i}.net:8443"),
    }));
    origins.extend((0..1_000).map(|i| match i % 5 {
        0..=2 => format!("https://*.customer{i}.dev"),
        3 => format!("https://*.team{i}.example.org:8443"),
        _ => format!("https://*.lab{i}.example.net:*"),
    }));
    origins.extend((0..20).map(|i| match i % 4 {
        0 => format!(r"regex:^https://pr-[0-9]+\.preview{i}\.example\.dev$"),
        1 => format!(r"regex:^https://[a-z0-9-]+--branch{i}\.example\.app$"),
        2 => format!(r"regex:^https://(eu|us|ap)-[0-9]{{1,3}}\.region{i}\.example\.cloud$"),
        _ => format!(r"regex:^https://build-[0-9a-f]{{8}}\.ci{i}\.example\.io(:[0-9]{{4,5}})?$"),
    }));
    origins.extend([
        "http://localhost:*".to_string(),
        "http://127.0.0.1:*".to_string(),
        "http://[::1]:*".to_string(),
        "https://localhost:*".to_string(),
    ]);
    common(origins, true)
}

/// `regex-heavy`: 200 regexes of the shapes seen in real configurations (alternations, repetitions,
/// optional ports), without credentials and with any request header but `Authorization`.
pub fn regex_heavy() -> PolicyConfig {
    let origins = (0..200)
        .map(|i| match i % 5 {
            0 => format!(r"regex:^https://pr-[0-9]+\.preview{i}\.example\.dev$"),
            1 => format!(r"regex:^https://(app|api|www|admin)\.tenant{i}\.example\.com$"),
            2 => format!(r"regex:^https?://[a-z0-9-]+\.t{i}\.example\.net(:[0-9]+)?$"),
            3 => format!(r"regex:^https://build-[0-9a-f]{{8}}\.ci{i}\.example\.io$"),
            _ => format!(r"regex:^https://([a-z]+\.)*shop{i}\.example\.store$"),
        })
        .collect();
    let mut config = common(origins, false);
    config.request_headers = vec!["*".into()];
    config
}

/// The policy-file text (TOML, as `corsmatch check --policy` reads it) of `config`, with a comment
/// header naming the generator.
pub fn to_toml(name: &str, config: &PolicyConfig) -> String {
    let mut out = format!(
        "# The `{name}` benchmark policy, written by `corsmatch workload policies`: do not edit by hand.\n\n"
    );
    let list = |key: &str, values: &[String], out: &mut String| {
        out.push_str(key);
        out.push_str(" = [");
        if values.len() > 4 {
            out.push('\n');
            for v in values {
                out.push_str("  ");
                out.push_str(&toml_string(v));
                out.push_str(",\n");
            }
        } else {
            let items: Vec<String> = values.iter().map(|v| toml_string(v)).collect();
            out.push_str(&items.join(", "));
        }
        out.push_str("]\n");
    };
    list("origins", &config.origins, &mut out);
    list("methods", &config.methods, &mut out);
    list("request_headers", &config.request_headers, &mut out);
    list("expose_headers", &config.expose_headers, &mut out);
    out.push_str(&format!("credentials = {}\n", config.credentials));
    if let Some(age) = config.max_age {
        out.push_str(&format!("max_age = {age}\n"));
    }
    out.push_str(&format!("private_network = {}\n", config.private_network));
    out.push_str(&format!("preflight_status = {}\n", config.preflight_status));
    out
}

/// A TOML string: a literal string (`'…'`, no escapes, so regexes stay readable) when it can be one,
/// else a basic string with `\` and `"` escaped.
fn toml_string(s: &str) -> String {
    if !s.contains('\'') && !s.chars().any(char::is_control) {
        return format!("'{s}'");
    }
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use corsmatch::policy::{Policy, Severity};
    use corsmatch::Pattern;

    #[test]
    fn every_policy_is_valid_without_warnings_and_has_the_documented_size() {
        for name in NAMES {
            let config = by_name(name).unwrap();
            let policy = Policy::new(&config).unwrap_or_else(|e| panic!("{name}: {e:?}"));
            let warnings: Vec<_> = policy
                .diagnostics()
                .iter()
                .filter(|d| d.severity() != Severity::Note)
                .collect();
            assert!(warnings.is_empty(), "{name}: {warnings:?}");
        }
        let saas = saas();
        let list = corsmatch::Allowlist::parse(&saas.origins).unwrap();
        let count =
            |f: fn(&Pattern) -> bool| list.entries().iter().filter(|e| f(&e.pattern)).count();
        assert_eq!(list.entries().len(), 11_024, "no duplicates");
        assert_eq!(count(|p| matches!(p, Pattern::Regex(_))), 20);
        assert_eq!(
            count(|p| p.to_string().contains("://*.")),
            1_000,
            "subdomain wildcards"
        );
        assert_eq!(small().origins.len(), 5);
        assert_eq!(regex_heavy().origins.len(), 200);
    }

    #[test]
    fn toml_strings_escape_what_needs_it() {
        assert_eq!(toml_string(r"a\.b"), r"'a\.b'");
        assert_eq!(toml_string(r#"it's "x" \"#), r#""it's \"x\" \\""#);
        assert_eq!(toml_string("a\tb"), r#""a\u0009b""#);
    }
}
