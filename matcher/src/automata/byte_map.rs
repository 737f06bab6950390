//! [`ByteMap`]: the immutable hash table behind the exact, any-port and wildcard structures, with its
//! hash ([`KeyHasher`]) and key comparison ([`eq_bytes`]).
//!
//! It is this crate's own open-addressing table rather than `HashMap`, because the keys are short and
//! a wildcard hit looks up two of them (the whole origin in the exact map, then the base): a seeded
//! multiply-fold hash that takes two words per multiplication, a comparison a word at a time instead
//! of a `memcmp` call, the high hash bits stored beside each index so a probe rarely touches a key, a
//! load of at most 1/4 so a miss usually stops at its first cell, and a length set
//! ([`super::length_set`]) that answers most misses without hashing. The probe count is bounded by
//! the longest displacement measured at build time; lookups never insert, so a request can neither
//! grow a chain nor walk further than that. Under callgrind this took a wildcard hit from about 600
//! to about 400 instructions and left an exact hit where it was (about the cost of a bare `ahash` set
//! lookup of the same bytes).

use std::collections::HashMap;

use super::length_set::LengthSet;
use crate::words::{half, word};

/// The map a [`ByteMap`] is built from.
pub(super) type Map<V> = HashMap<Box<[u8]>, V, ahash::RandomState>;

/// Byte-string equality a word at a time (the keys are short: a call to `memcmp` costs more).
#[inline(always)]
pub(super) fn eq_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if n >= 8 {
        let mut at = 0;
        while at + 8 < n {
            if word(a, at) != word(b, at) {
                return false;
            }
            at += 8;
        }
        word(a, n - 8) == word(b, n - 8)
    } else if n >= 4 {
        half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4)
    } else {
        a == b
    }
}

/// The high and low halves of a 128-bit product, folded.
#[inline(always)]
fn fold(a: u64, b: u64) -> u64 {
    let full = u128::from(a) * u128::from(b);
    (full as u64) ^ ((full >> 64) as u64)
}

/// A seeded multiply-fold hash of short byte strings, a word at a time.
#[derive(Clone, Debug)]
pub(super) struct KeyHasher([u64; 4]);

impl KeyHasher {
    /// Seeds from the process's random source (through `ahash`), so that which keys share a probe
    /// sequence differs between processes.
    fn random() -> KeyHasher {
        let state = ahash::RandomState::new();
        KeyHasher([0u64, 1, 2, 3].map(|i| state.hash_one(i) | 1))
    }

    /// Two words per multiplication (as wyhash does): the words are XORed with a seed and the
    /// running state, multiplied into 128 bits and folded.
    #[inline(always)]
    fn hash(&self, b: &[u8]) -> u64 {
        let [s0, s1, s2, s3] = self.0;
        let n = b.len();
        let mut h = s0 ^ n as u64;
        if n > 16 {
            let mut at = 0;
            while at + 16 < n {
                h = fold(word(b, at) ^ s1, word(b, at + 8) ^ h);
                at += 16;
            }
            h = fold(word(b, n - 16) ^ s2, word(b, n - 8) ^ h);
        } else if n >= 8 {
            h = fold(word(b, 0) ^ s2, word(b, n - 8) ^ h);
        } else if n >= 4 {
            h = fold(half(b, 0) ^ s2, half(b, n - 4) ^ h);
        } else if n > 0 {
            let x = u64::from(b[0]) | u64::from(b[n / 2]) << 8 | u64::from(b[n - 1]) << 16;
            h = fold(x ^ s2, h);
        }
        fold(h ^ s3, s1)
    }
}

/// One key of a [`ByteMap`].
#[derive(Clone, Debug)]
struct Slot<V> {
    key: Box<[u8]>,
    value: V,
}

/// An immutable hash map from byte strings to values, built once from a `HashMap`: open addressing
/// with linear probing at a load of at most 1/4, a seeded [`KeyHasher`], and a [`LengthSet`] of the
/// key lengths that answers most misses before any hashing. Each table cell holds the high 32 bits of
/// its key's hash beside the key's index, so a probe compares key bytes only when 32 more bits of hash
/// agree. A lookup probes at most as many cells as the key placed farthest from its home cell
/// (measured when the map is built), so no request can make a lookup walk a long cluster.
#[derive(Clone, Debug)]
pub(super) struct ByteMap<V> {
    hasher: KeyHasher,
    /// 0 for an empty cell, else the hash's high 32 bits above 1 + the index in `slots`.
    table: Box<[u64]>,
    slots: Vec<Slot<V>>,
    /// The most cells a lookup probes.
    max_probe: usize,
    /// The lengths of the keys.
    pub(super) lengths: LengthSet,
}

impl<V> ByteMap<V> {
    /// Builds the table of `map`, hashed with a fresh [`KeyHasher::random`].
    pub(super) fn new(map: Map<V>) -> ByteMap<V> {
        ByteMap::with_hasher(map, KeyHasher::random())
    }

    /// Builds the table of `map`, hashed with `hasher`.
    fn with_hasher(map: Map<V>, hasher: KeyHasher) -> ByteMap<V> {
        let mut lengths = LengthSet::default();
        let slots: Vec<Slot<V>> = map
            .into_iter()
            .map(|(key, value)| {
                lengths.insert(key.len());
                Slot { key, value }
            })
            .collect();
        let size = (slots.len() * 4).next_power_of_two().max(8);
        let mask = size - 1;
        let mut table = vec![0u64; size].into_boxed_slice();
        let mut max_probe = 1;
        for (index, slot) in slots.iter().enumerate() {
            let hash = hasher.hash(&slot.key);
            let mut at = hash as usize & mask;
            let mut probes = 1;
            while table[at] != 0 {
                at = (at + 1) & mask;
                probes += 1;
            }
            // Allowlists are bounded far below u32::MAX entries by memory.
            let index = u32::try_from(index + 1).unwrap_or(u32::MAX);
            table[at] = hash & !0xffff_ffff | u64::from(index);
            max_probe = max_probe.max(probes);
        }
        ByteMap {
            hasher,
            table,
            slots,
            max_probe,
            lengths,
        }
    }

    /// The value of `key`.
    #[inline(always)]
    pub(super) fn get(&self, key: &[u8]) -> Option<&V> {
        if !self.lengths.may_contain(key.len()) {
            return None;
        }
        self.get_unfiltered(key)
    }

    /// The value of `key`, without looking at the length set first.
    #[inline(always)]
    fn get_unfiltered(&self, key: &[u8]) -> Option<&V> {
        let hash = self.hasher.hash(key);
        let tag = hash & !0xffff_ffff;
        let mask = self.table.len() - 1;
        let mut at = hash as usize & mask;
        for _ in 0..self.max_probe {
            let cell = self.table[at];
            if cell == 0 {
                return None;
            }
            if cell & !0xffff_ffff == tag {
                let slot = self.slots.get((cell as u32 as usize).wrapping_sub(1))?;
                if eq_bytes(&slot.key, key) {
                    return Some(&slot.value);
                }
            }
            at = (at + 1) & mask;
        }
        None
    }

    /// [`ByteMap::get_unfiltered`], not inlined: for a probe inside a loop, where the inlined table
    /// fields would stay live in registers (and spill) across the whole loop.
    #[inline(never)]
    pub(super) fn get_outlined(&self, key: &[u8]) -> Option<&V> {
        self.get_unfiltered(key)
    }

    #[inline]
    pub(super) fn contains_key(&self, key: &[u8]) -> bool {
        self.get(key).is_some()
    }

    pub(super) fn values(&self) -> impl Iterator<Item = &V> {
        self.slots.iter().map(|s| &s.value)
    }
}
