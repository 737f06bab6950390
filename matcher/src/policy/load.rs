//! Loading a policy from a policy file (TOML, feature `toml`): every diagnostic at once, each with the
//! line and column of the value it is about.
//!
//! The file is read twice: once by serde into [`PolicyConfig`] (unknown keys and wrong types are
//! errors, with their position), and once into `toml`'s spanned document, to find where each
//! diagnostic's key, or element of a list key, is written. Both run at configuration time only.

use std::fmt;
use std::path::{Path, PathBuf};

use toml::de::{DeTable, DeValue};

use super::{Diagnostic, Policy, PolicyConfig, PolicyErrors, Position};

/// The largest policy file [`Policy::from_toml_file`] reads (16 MiB): a policy of the largest
/// supported allowlist is far smaller; anything bigger is a mistake (a log, `/dev/zero`).
pub const MAX_POLICY_FILE: u64 = 16 << 20;

/// Why a policy could not be loaded.
#[derive(Debug)]
#[non_exhaustive]
pub enum LoadError {
    /// The file could not be read.
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is larger than [`MAX_POLICY_FILE`].
    TooLarge {
        /// The file.
        path: PathBuf,
    },
    /// The text is not TOML, or not a policy file (an unknown key, a value of the wrong type).
    Syntax {
        /// What is wrong, as the TOML parser says it.
        message: String,
        /// Where, when known.
        position: Option<Position>,
    },
    /// The policy is refused: every diagnostic, errors first, with positions.
    Invalid(PolicyErrors),
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Read { path, source } => {
                write!(f, "cannot read policy file {}: {source}", path.display())
            }
            LoadError::TooLarge { path } => write!(
                f,
                "policy file {} is larger than {MAX_POLICY_FILE} bytes",
                path.display()
            ),
            LoadError::Syntax {
                message,
                position: Some(p),
            } => write!(f, "{p}: {message}"),
            LoadError::Syntax {
                message,
                position: None,
            } => f.write_str(message),
            LoadError::Invalid(errors) => write!(f, "{errors}"),
        }
    }
}

impl std::error::Error for LoadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LoadError::Read { source, .. } => Some(source),
            LoadError::Invalid(errors) => Some(errors),
            _ => None,
        }
    }
}

impl PolicyConfig {
    /// Parses a policy file's text. Unknown keys and values of the wrong type are errors
    /// ([`LoadError::Syntax`], with their position); the configuration is not validated yet
    /// ([`Policy::new`] does that).
    pub fn from_toml_str(text: &str) -> Result<PolicyConfig, LoadError> {
        toml::from_str(text).map_err(|e| LoadError::Syntax {
            message: e.message().trim_end().to_string(),
            position: e.span().map(|s| Position::of(text, s.start)),
        })
    }
}

impl Policy {
    /// Parses and validates a policy file's text: [`LoadError::Invalid`] holds every diagnostic,
    /// and the diagnostics of an accepted policy ([`Policy::diagnostics`]) have their positions too.
    ///
    /// ```
    /// let err = corsmatch::Policy::from_toml_str(
    ///     "credentials = true\norigins = [\n  \"https://app.example.com\",\n  \"*\",\n]\n",
    /// )
    /// .unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "4:3: error: origins[1] `*`: `*` allows every site to make credentialed requests as the user \
    ///      [wildcard-origin-with-credentials]; fix: list the origins that need credentials explicitly, \
    ///      or set credentials = false"
    /// );
    /// ```
    pub fn from_toml_str(text: &str) -> Result<Policy, LoadError> {
        let config = PolicyConfig::from_toml_str(text)?;
        match Policy::new(&config) {
            Ok(mut policy) => {
                locate(&mut policy.diagnostics, text);
                Ok(policy)
            }
            Err(mut errors) => {
                locate(&mut errors.0, text);
                Err(LoadError::Invalid(errors))
            }
        }
    }

    /// Reads (up to [`MAX_POLICY_FILE`] bytes), parses and validates a policy file; see
    /// [`Policy::from_toml_str`].
    pub fn from_toml_file(path: impl AsRef<Path>) -> Result<Policy, LoadError> {
        let path = path.as_ref();
        let text = read_bounded(path)?;
        Policy::from_toml_str(&text)
    }
}

/// Reads at most [`MAX_POLICY_FILE`] bytes of `path` as UTF-8 text.
fn read_bounded(path: &Path) -> Result<String, LoadError> {
    use std::io::Read;
    let read_error = |source| LoadError::Read {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(read_error)?;
    let mut bytes = Vec::new();
    file.take(MAX_POLICY_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(read_error)?;
    if bytes.len() as u64 > MAX_POLICY_FILE {
        return Err(LoadError::TooLarge {
            path: path.to_path_buf(),
        });
    }
    String::from_utf8(bytes).map_err(|e| {
        read_error(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("not UTF-8 (byte {})", e.utf8_error().valid_up_to()),
        ))
    })
}

/// Sets each diagnostic's position from the policy file `text` it came from: the element of a list
/// key, or the key's value. A diagnostic about a list element the file does not have (an entry added
/// after loading) or a key the file does not set keeps `None`.
pub fn locate(diagnostics: &mut [Diagnostic], text: &str) {
    let Ok(document) = DeTable::parse(text) else {
        return;
    };
    for d in diagnostics {
        let Some((_, value)) = document
            .get_ref()
            .iter()
            .find(|(k, _)| k.get_ref().as_ref() == d.key)
        else {
            continue;
        };
        let span = match (d.index, value.get_ref()) {
            (Some(i), DeValue::Array(items)) => match items.get(i) {
                Some(item) => item.span(),
                None => continue,
            },
            _ => value.span(),
        };
        d.position = Some(Position::of(text, span.start));
    }
}

impl Position {
    /// The line and column (both from 1; the column counts characters) of byte `offset` of `text`.
    fn of(text: &str, offset: usize) -> Position {
        let before = text.get(..offset).unwrap_or(text);
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        Position {
            line: u32::try_from(line).unwrap_or(u32::MAX),
            column: u32::try_from(column).unwrap_or(u32::MAX),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_lines_and_characters_from_one() {
        let text = "a = 1\nbé = [\"x\", \"y\"]\n";
        assert_eq!(Position::of(text, 0), Position { line: 1, column: 1 });
        let y = text.find("\"y\"").unwrap();
        assert_eq!(
            Position::of(text, y),
            Position {
                line: 2,
                column: 12
            }
        );
    }

    #[test]
    fn every_error_is_located() {
        let text = "methods = [\"PUT\", \"P T\"]\norigins = [\n  \"https://ok.example.com\",\n  \"https://bad.example.com/path\",\n]\nmax_age = 90000\n";
        let Err(LoadError::Invalid(errors)) = Policy::from_toml_str(text) else {
            panic!("accepted");
        };
        let mut got: Vec<(&str, Option<usize>, Option<Position>)> = errors
            .0
            .iter()
            .map(|d| (d.key, d.index, d.position))
            .collect();
        got.sort_by_key(|g| g.2);
        let at = |line, column| Some(Position { line, column });
        assert_eq!(
            got,
            [
                ("methods", Some(1), at(1, 19)),
                ("origins", Some(1), at(4, 3)),
                ("max_age", None, at(6, 11)),
            ]
        );
    }

    #[test]
    fn warnings_of_an_accepted_policy_are_located() {
        let policy = Policy::from_toml_str("origins = [\"https://A.example.com\"]\n").unwrap();
        let d = &policy.diagnostics()[0];
        assert_eq!(
            d.position,
            Some(Position {
                line: 1,
                column: 12
            })
        );
        assert!(d.to_string().starts_with("1:12: note: origins[0]"), "{d}");
    }

    #[test]
    fn syntax_errors_and_unknown_keys_have_positions() {
        let Err(LoadError::Syntax { message, position }) =
            Policy::from_toml_str("origins = []\ncredential = true\n")
        else {
            panic!("accepted");
        };
        assert!(message.contains("unknown field `credential`"), "{message}");
        assert_eq!(position.map(|p| p.line), Some(2));
        assert!(matches!(
            Policy::from_toml_str("origins = [\n"),
            Err(LoadError::Syntax {
                position: Some(_),
                ..
            })
        ));
    }

    #[test]
    fn an_entry_the_file_does_not_hold_has_no_position() {
        let text = "origins = [\"https://a.example\"]\n";
        let mut config = PolicyConfig::from_toml_str(text).unwrap();
        config.origins.push("https://b.example/path".into());
        let mut errors = Policy::new(&config).unwrap_err();
        locate(&mut errors.0, text);
        assert_eq!(errors.0[0].index, Some(1));
        assert_eq!(errors.0[0].position, None);
    }

    #[test]
    fn files_are_read_with_a_bound() {
        let dir = std::env::temp_dir().join(format!("corsmatch-load-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ok = dir.join("ok.toml");
        std::fs::write(&ok, "origins = [\"https://a.example\"]\n").unwrap();
        assert!(Policy::from_toml_file(&ok).is_ok());
        let big = dir.join("big.toml");
        let file = std::fs::File::create(&big).unwrap();
        file.set_len(MAX_POLICY_FILE + 1).unwrap();
        let too_large = Policy::from_toml_file(&big);
        let missing = Policy::from_toml_file(dir.join("missing.toml"));
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(matches!(too_large, Err(LoadError::TooLarge { .. })));
        assert!(matches!(missing, Err(LoadError::Read { .. })));
    }
}
