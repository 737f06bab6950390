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
