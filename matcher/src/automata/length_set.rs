//! [`LengthSet`]: the set of key lengths a hash table holds, as 256 bits.
//!
//! A [`super::byte_map::ByteMap`] lookup tests it before hashing: most misses have a length no key
//! has, and a bit test is cheaper than hashing the bytes. The wildcard structure also walks its bits
//! directly, longest first, to pick the suffixes of a host that some base could equal
//! ([`super::wildcards`]). Lengths of 255 and more share the last bit; no key that long is rejected
//! by the set, only by the table.

/// The set of key lengths a map holds: a lookup whose length is not in it skips hashing.
///
/// Bit `n % 64` of word `n / 64` stands for length `n`; the wildcard structure reads the words.
#[derive(Clone, Debug, Default)]
pub(super) struct LengthSet(pub(super) [u64; 4]);

impl LengthSet {
    pub(super) fn insert(&mut self, len: usize) {
        let n = len.min(255);
        self.0[n / 64] |= 1 << (n % 64);
    }

    /// Whether some key may have this length (lengths from 255 up share one bit).
    #[inline]
    pub(super) fn may_contain(&self, len: usize) -> bool {
        let n = len.min(255);
        self.0[n / 64] & (1 << (n % 64)) != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(lengths: &[usize]) -> LengthSet {
        let mut s = LengthSet::default();
        for &len in lengths {
            s.insert(len);
        }
        s
    }

    #[test]
    fn empty_set_holds_nothing() {
        let s = LengthSet::default();
        for len in [0, 1, 63, 64, 255, 256, 10_000, usize::MAX] {
            assert!(!s.may_contain(len), "{len}");
        }
    }

    #[test]
    fn word_boundaries() {
        let s = set(&[0, 63, 64, 255]);
        assert_eq!(s.0, [1 | 1 << 63, 1, 0, 1 << 63]);
        for len in [0, 63, 64, 255] {
            assert!(s.may_contain(len), "{len}");
        }
        for len in [1, 62, 65, 127, 128, 191, 192, 254] {
            assert!(!s.may_contain(len), "{len}");
        }
        // Out of range: every length from 255 up is 255.
        for len in [256, 300, 10_000, usize::MAX] {
            assert!(s.may_contain(len), "{len}");
        }
    }

    #[test]
    fn long_lengths_share_the_last_bit() {
        let s = set(&[300]);
        assert_eq!(s.0, [0, 0, 0, 1 << 63]);
        assert!(s.may_contain(255));
        assert!(s.may_contain(256));
        assert!(s.may_contain(usize::MAX));
        assert!(!s.may_contain(254));
        assert!(!s.may_contain(0));
        let s = set(&[254]);
        assert!(!s.may_contain(255));
        assert!(!s.may_contain(300));
    }

    #[test]
    fn each_length_has_its_own_bit() {
        for n in 0..255 {
            let s = set(&[n]);
            for m in 0..=256 {
                assert_eq!(s.may_contain(m), m == n, "{n} {m}");
            }
            assert_eq!(s.0.iter().map(|w| w.count_ones()).sum::<u32>(), 1);
        }
    }

    #[test]
    fn inserting_twice_changes_nothing() {
        let once = set(&[7, 64]);
        let twice = set(&[7, 64, 7, 64]);
        assert_eq!(once.0, twice.0);
    }
}
