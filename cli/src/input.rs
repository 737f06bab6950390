//! Reading input files with a size limit, so that a huge or endless file (`/dev/zero`, a FIFO) is
//! refused after reading at most the limit instead of filling memory.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// The largest policy file read: 16 MiB (the 11 024-origin `saas` policy is about 380 KB).
pub const MAX_POLICY_BYTES: u64 = 16 << 20;

/// The largest trace file read: 256 MiB (a generated 1 000 000-request trace is about 70 MB).
pub const MAX_TRACE_BYTES: u64 = 256 << 20;

/// Why a file could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// Opening or reading failed.
    Io(io::Error),
    /// The file holds more than the limit, in bytes.
    TooLarge(u64),
    /// The file is not UTF-8.
    NotUtf8,
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Io(e) => write!(f, "{e}"),
            ReadError::TooLarge(limit) => {
                write!(f, "larger than the {} limit", human(*limit))
            }
            ReadError::NotUtf8 => f.write_str("not UTF-8 text"),
        }
    }
}

/// `limit` in MiB when it is a whole number of them, else in bytes.
pub fn human(limit: u64) -> String {
    if limit >= 1 << 20 && limit.is_multiple_of(1 << 20) {
        format!("{} MiB", limit >> 20)
    } else {
        format!("{limit} bytes")
    }
}

/// Reads the UTF-8 text of `path`, refusing a file of more than `limit` bytes. A regular file is
/// measured before it is read; anything else (a device, a FIFO) is read up to `limit + 1` bytes, and
/// the buffer never grows beyond that.
pub fn read_text(path: &Path, limit: u64) -> Result<String, ReadError> {
    let file = File::open(path).map_err(ReadError::Io)?;
    let metadata = file.metadata().map_err(ReadError::Io)?;
    if metadata.is_file() && metadata.len() > limit {
        return Err(ReadError::TooLarge(limit));
    }
    let cap = usize::try_from(limit.saturating_add(1)).unwrap_or(usize::MAX);
    let mut reader = file.take(limit.saturating_add(1));
    let mut buf: Vec<u8> = Vec::new();
    if metadata.is_file() {
        // The measured length plus one byte for a file that grew since.
        buf.reserve_exact(
            usize::try_from(metadata.len())
                .unwrap_or(0)
                .saturating_add(1),
        );
    }
    let mut chunk = [0u8; 64 * 1024];
    loop {
        let n = match reader.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(ReadError::Io(e)),
        };
        if buf.capacity() - buf.len() < n {
            // Doubling, but never past the limit: reading /dev/zero holds at most `limit + 1` bytes.
            let want = buf.capacity().saturating_mul(2).max(buf.len() + n).min(cap);
            buf.reserve_exact(want.max(buf.len() + n) - buf.len());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    if buf.len() as u64 > limit {
        return Err(ReadError::TooLarge(limit));
    }
    String::from_utf8(buf).map_err(|_| ReadError::NotUtf8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn endless_input_stops_at_the_limit() {
        match read_text(Path::new("/dev/zero"), 1000) {
            Err(ReadError::TooLarge(1000)) => {}
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_file_at_the_limit_is_read() {
        let path = std::env::temp_dir().join(format!("corsmatch-input-{}", std::process::id()));
        std::fs::write(&path, "x".repeat(100)).unwrap();
        assert_eq!(read_text(&path, 100).unwrap().len(), 100);
        assert!(matches!(read_text(&path, 99), Err(ReadError::TooLarge(99))));
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn sizes_read_as_mib() {
        assert_eq!(human(MAX_POLICY_BYTES), "16 MiB");
        assert_eq!(human(MAX_TRACE_BYTES), "256 MiB");
        assert_eq!(human(1000), "1000 bytes");
    }
}
