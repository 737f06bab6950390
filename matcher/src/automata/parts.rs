//! [`Parts`]: an origin cut on the grammar's delimiters without validating it.
//!
//! [`super::OriginMatcher::matches`] does not run the grammar on a miss (denial is the default), so it
//! probes its structures with these unvalidated parts, and a hit validates only what its structure did
//! not prove (see the parent module). Cutting looks at the scheme and at most six bytes at the end;
//! the grammar would look at every byte.

use crate::origin;

/// An origin cut on the grammar's delimiters **without** validating it, for the probes of
/// [`super::OriginMatcher::matches`]: the scheme ends at the first `:`, which `//` must follow; the
/// port is the one to five digits after the last `:`, if the origin ends so; the host is what lies
/// between.
///
/// For a valid origin these are exactly the parts [`origin::parse`] finds: in a valid origin a `:`
/// after the scheme's is the port's, or one inside IPv6 brackets, which a `]` follows; and a valid port
/// has at most five digits. For an invalid origin the parts may differ from [`origin::split`]'s, which
/// is harmless: every probe that hits re-validates each part it did not prove (see the parent
/// module's docs).
#[derive(Clone, Copy, Debug)]
pub(super) struct Parts<'a> {
    pub(super) scheme: &'a [u8],
    pub(super) host: &'a [u8],
    /// `scheme://host`.
    pub(super) without_port: &'a [u8],
    pub(super) port: Option<&'a [u8]>,
}

impl<'a> Parts<'a> {
    #[inline]
    pub(super) fn of(origin: &'a [u8]) -> Option<Parts<'a>> {
        let colon = if origin.starts_with(b"https://") {
            5
        } else if origin.starts_with(b"http://") {
            4
        } else {
            let head = &origin[..origin.len().min(origin::MAX_SCHEME_LEN + 1)];
            let colon = head.iter().position(|&b| b == b':')?;
            if origin.get(colon + 1..colon + 3) != Some(b"//") {
                return None;
            }
            colon
        };
        let start = colon + 3;
        let mut end = origin.len();
        while end > start && origin.len() - end < 5 && origin[end - 1].is_ascii_digit() {
            end -= 1;
        }
        let (host_end, port) = if end > start && origin[end - 1] == b':' {
            (end - 1, Some(&origin[end..]))
        } else {
            (origin.len(), None)
        };
        Some(Parts {
            scheme: &origin[..colon],
            host: &origin[start..host_end],
            without_port: &origin[..host_end],
            port,
        })
    }
}
