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
//! grow a chain nor walk further than that. What each of these choices saved, in instructions, is in
//! `benches/RESULTS.md` ("What was done where a target was missed").

use std::collections::HashMap;

use super::length_set::LengthSet;
use crate::words::{half, word};

/// The map a [`ByteMap`] is built from (configuration time only: std's SipHash with per-process keys).
pub(super) type Map<V> = HashMap<Box<[u8]>, V>;

/// Byte-string equality a word at a time (the keys are short: a call to `memcmp` costs more).
#[inline(always)]
pub(super) fn eq_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if n > 16 {
        // The first and last sixteen bytes in one go (they overlap below 32), then any middle.
        let ends = (word(a, 0) ^ word(b, 0))
            | (word(a, 8) ^ word(b, 8))
            | (word(a, n - 16) ^ word(b, n - 16))
            | (word(a, n - 8) ^ word(b, n - 8));
        if ends != 0 {
            return false;
        }
        let mut at = 16;
        while at + 16 < n {
            if word(a, at) != word(b, at) {
                return false;
            }
            at += 8;
        }
        true
    } else if n >= 8 {
        (word(a, 0) ^ word(b, 0)) | (word(a, n - 8) ^ word(b, n - 8)) == 0
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

/// SplitMix64's output function: well-mixed seeds from a counter (`corsmatch_fixed_seeds` only).
#[cfg(corsmatch_fixed_seeds)]
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A seeded multiply-fold hash of short byte strings, a word at a time.
#[derive(Clone, Debug)]
pub(super) struct KeyHasher([u64; 4]);

impl KeyHasher {
    /// Seeds from the process's random source, so that which keys share a probe sequence differs
    /// between processes and cannot be predicted from outside: std's `RandomState` holds SipHash keys
    /// drawn from the operating system, and each seed is SipHash of a counter under those keys (odd,
    /// so that no multiplication by a seed loses bits).
    ///
    /// Built with `--cfg corsmatch_fixed_seeds` (the instruction-count gate, `benches/icount.sh`, and
    /// nothing else), the seeds come from a counter instead, so that the probe lengths, and with them
    /// the instruction counts, are the same in every run. Never build a deployed binary so: the seeds
    /// would then be public.
    fn random() -> KeyHasher {
        #[cfg(corsmatch_fixed_seeds)]
        {
            use std::sync::atomic::{AtomicU64, Ordering};
            static NEXT: AtomicU64 = AtomicU64::new(0);
            let base = NEXT.fetch_add(4, Ordering::Relaxed);
            KeyHasher([0u64, 1, 2, 3].map(|i| splitmix64(base + i) | 1))
        }
        #[cfg(not(corsmatch_fixed_seeds))]
        {
            use std::hash::BuildHasher;
            let state = std::hash::RandomState::new();
            KeyHasher([0u64, 1, 2, 3].map(|i| state.hash_one(i) | 1))
        }
    }

    /// Two words per multiplication (as wyhash does): the words are XORed with a seed and the
    /// running state, multiplied into 128 bits and folded.
    #[inline(always)]
    fn hash(&self, b: &[u8]) -> u64 {
        let [s0, s1, s2, s3] = self.0;
        let n = b.len();
        let mut h = s0 ^ n as u64;
        if n > 16 {
            // The first round peeled: keys of 17 to 32 bytes (most origins) take no loop.
            h = fold(word(b, 0) ^ s1, word(b, 8) ^ h);
            let mut at = 16;
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

/// A value a [`ByteMap`] stores beside its key, packed into eight bytes of the key's record.
pub(super) trait Packed: Copy {
    fn pack(self) -> u64;
    fn unpack(word: u64) -> Self;
}

impl Packed for u64 {
    fn pack(self) -> u64 {
        self
    }
    fn unpack(word: u64) -> u64 {
        word
    }
}

/// The longest key a [`ByteMap`] holds: its length has ten bits of a table cell. Longer keys are
/// left out when the map is built and never found; every key the matcher stores is at most
/// [`crate::origin::MAX_ORIGIN_LEN`] bytes.
pub(super) const MAX_KEY_LEN: usize = (1 << LEN_BITS) - 1;
const LEN_BITS: u32 = 10;
/// The bits of a cell that hold the hash tag and the key length (above the arena offset).
const TAG_LEN: u64 = !0xffff_ffff;
/// The bits of a hash kept as the tag: the top 22.
const TAG: u64 = !((1u64 << (32 + LEN_BITS)) - 1);

/// An immutable hash map from byte strings to [`Packed`] values, built once from a `HashMap`: open
/// addressing with linear probing at a load of at most 1/4, a seeded [`KeyHasher`], and a
/// [`LengthSet`] of the key lengths that answers most misses before any hashing.
///
/// The keys and values live in one arena, each key's record its value (eight bytes) followed by its
/// bytes, so that a hit reads two places: the table cell and the record. Each table cell holds the
/// high 22 bits of its key's hash, the key's length and the offset of its bytes in the arena; a probe
/// compares key bytes only when the tag and the length agree. The records are laid out in key order,
/// so the layout depends on the keys alone, never on the hash seeds or on where the allocator put
/// the build's strings. A lookup probes at most as many cells as the key placed farthest from its home
/// cell (measured when the map is built), so no request can make a lookup walk a long cluster.
#[derive(Clone, Debug)]
pub(super) struct ByteMap<V> {
    hasher: KeyHasher,
    /// 0 for an empty cell, else tag (22 bits) | key length (10 bits) | offset of the key in `arena`.
    table: Box<[u64]>,
    /// The records: each value's eight bytes (little-endian), then its key's bytes.
    arena: Box<[u8]>,
    /// The most cells a lookup probes.
    max_probe: usize,
    /// The lengths of the keys.
    pub(super) lengths: LengthSet,
    value: std::marker::PhantomData<V>,
}

impl<V: Packed> ByteMap<V> {
    /// Builds the table of `map`, hashed with a fresh [`KeyHasher::random`].
    pub(super) fn new(map: Map<V>) -> ByteMap<V> {
        ByteMap::with_hasher(map, KeyHasher::random())
    }

    /// Builds the table of `map`, hashed with `hasher`.
    fn with_hasher(map: Map<V>, hasher: KeyHasher) -> ByteMap<V> {
        let mut lengths = LengthSet::default();
        let mut entries: Vec<(Box<[u8]>, V)> = map
            .into_iter()
            .filter(|(key, _)| key.len() <= MAX_KEY_LEN)
            .collect();
        // Inserted in key order, not the build map's (randomly seeded) iteration order: which key is
        // displaced, and so every probe length, is then a function of the seeds and the keys alone,
        // and the arena's layout a function of the keys alone.
        entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let arena_len: usize = entries.iter().map(|(key, _)| 8 + key.len()).sum();
        let mut arena = Vec::with_capacity(arena_len);
        let size = (entries.len() * 4).next_power_of_two().max(8);
        let mask = size - 1;
        let mut table = vec![0u64; size].into_boxed_slice();
        let mut max_probe = 1;
        for (key, value) in &entries {
            lengths.insert(key.len());
            arena.extend_from_slice(&value.pack().to_le_bytes());
            // Offsets of at least 8 (after the first value), so that no occupied cell is 0.
            let offset = u32::try_from(arena.len()).expect("the keys of a map exceed 4 GiB");
            arena.extend_from_slice(key);
            let hash = hasher.hash(key);
            let mut at = hash as usize & mask;
            let mut probes = 1;
            while table[at] != 0 {
                at = (at + 1) & mask;
                probes += 1;
            }
            table[at] = hash & TAG | (key.len() as u64) << 32 | u64::from(offset);
            max_probe = max_probe.max(probes);
        }
        ByteMap {
            hasher,
            table,
            arena: arena.into_boxed_slice(),
            max_probe,
            lengths,
            value: std::marker::PhantomData,
        }
    }

    /// The value of `key`.
    #[inline(always)]
    pub(super) fn get(&self, key: &[u8]) -> Option<V> {
        if !self.lengths.may_contain(key.len()) {
            return None;
        }
        self.get_unfiltered(key)
    }

    /// The value of `key`, without looking at the length set first.
    #[inline(always)]
    fn get_unfiltered(&self, key: &[u8]) -> Option<V> {
        self.find(key)
            .map(|offset| V::unpack(word(&self.arena, offset.wrapping_sub(8))))
    }

    /// Where the bytes of `key` are in the arena.
    #[inline(always)]
    fn find(&self, key: &[u8]) -> Option<usize> {
        let n = key.len();
        if n > MAX_KEY_LEN {
            return None;
        }
        let hash = self.hasher.hash(key);
        let want = hash & TAG | (n as u64) << 32;
        let mask = self.table.len() - 1;
        let mut at = hash as usize & mask;
        for _ in 0..self.max_probe {
            let cell = self.table[at];
            if cell == 0 {
                return None;
            }
            if cell & TAG_LEN == want {
                let offset = cell as u32 as usize;
                if self
                    .arena
                    .get(offset..offset + n)
                    .is_some_and(|stored| eq_bytes(stored, key))
                {
                    return Some(offset);
                }
            }
            at = (at + 1) & mask;
        }
        None
    }

    /// [`ByteMap::get_unfiltered`], not inlined: for a probe inside a loop, where the inlined table
    /// fields would stay live in registers (and spill) across the whole loop.
    #[inline(never)]
    pub(super) fn get_outlined(&self, key: &[u8]) -> Option<V> {
        self.get_unfiltered(key)
    }

    #[inline(always)]
    pub(super) fn contains_key(&self, key: &[u8]) -> bool {
        self.lengths.may_contain(key.len()) && self.find(key).is_some()
    }

    /// The keys and values, in key order.
    pub(super) fn iter(&self) -> impl Iterator<Item = (&[u8], V)> {
        let mut offsets: Vec<(usize, usize)> = self
            .table
            .iter()
            .filter(|&&c| c != 0)
            .map(|&c| (c as u32 as usize, (c >> 32) as usize & MAX_KEY_LEN))
            .collect();
        offsets.sort_unstable();
        offsets.into_iter().map(|(offset, n)| {
            (
                &self.arena[offset..offset + n],
                V::unpack(word(&self.arena, offset - 8)),
            )
        })
    }

    pub(super) fn values(&self) -> impl Iterator<Item = V> + '_ {
        self.iter().map(|(_, v)| v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fixed seeds, so that a test sees the same table in every run.
    const SEEDED: KeyHasher = KeyHasher([
        0x9e37_79b9_7f4a_7c15,
        0xbf58_476d_1ce4_e5b9,
        0x94d0_49bb_1331_11eb,
        0x2545_f491_4f6c_dd1d,
    ]);

    /// A multiplier of zero: every key hashes to 0, so all keys share one home cell and one tag and
    /// every probe has to compare key bytes. [`KeyHasher::random`] never picks it (its seeds are odd).
    const COLLIDING: KeyHasher = KeyHasher([1, 0, 3, 5]);

    impl Packed for usize {
        fn pack(self) -> u64 {
            self as u64
        }
        fn unpack(word: u64) -> usize {
            word as usize
        }
    }

    /// The map from each key to its position in `keys`.
    fn map_of<K: AsRef<[u8]>>(keys: &[K], hasher: KeyHasher) -> ByteMap<usize> {
        let map: Map<usize> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| (Box::from(k.as_ref()), i))
            .collect();
        assert_eq!(map.len(), keys.len(), "duplicate keys in a test");
        ByteMap::with_hasher(map, hasher)
    }

    /// How many cells a lookup of `key` probes to reach it: 1 + its distance from its home cell.
    fn probes_to(m: &ByteMap<usize>, key: &[u8]) -> Option<usize> {
        let mask = m.table.len() - 1;
        let home = m.hasher.hash(key) as usize & mask;
        (0..m.table.len())
            .find(|&d| {
                let cell = m.table[(home + d) & mask];
                let offset = cell as u32 as usize;
                let n = (cell >> 32) as usize & MAX_KEY_LEN;
                cell != 0 && m.arena[offset..offset + n] == *key
            })
            .map(|d| d + 1)
    }

    /// Asserts that every key of `keys` maps to its position, through every lookup.
    fn assert_finds_all<K: AsRef<[u8]>>(m: &ByteMap<usize>, keys: &[K]) {
        for (i, k) in keys.iter().enumerate() {
            let k = k.as_ref();
            assert_eq!(m.get(k), Some(i), "{:?}", String::from_utf8_lossy(k));
            assert_eq!(m.get_unfiltered(k), Some(i));
            assert_eq!(m.get_outlined(k), Some(i));
            assert!(m.contains_key(k));
        }
    }

    /// Asserts that no key of `misses` is found, with or without the length set.
    fn assert_misses<K: AsRef<[u8]>>(m: &ByteMap<usize>, misses: &[K]) {
        for k in misses {
            let k = k.as_ref();
            assert_eq!(m.get(k), None, "{:?}", String::from_utf8_lossy(k));
            assert_eq!(m.get_unfiltered(k), None);
            assert_eq!(m.get_outlined(k), None);
            assert!(!m.contains_key(k));
        }
    }

    #[test]
    fn empty_map_finds_nothing() {
        let m = map_of::<&[u8]>(&[], SEEDED);
        assert_eq!(m.table.len(), 8);
        assert!(m.table.iter().all(|&c| c == 0));
        assert_eq!(m.max_probe, 1);
        assert_eq!(m.values().count(), 0);
        assert_misses(&m, &["", "n", "null", "https://example.com"]);
        let m: ByteMap<usize> = ByteMap::new(Map::default());
        assert_misses(&m, &["", "https://example.com"]);
    }

    #[test]
    fn one_key() {
        let m = map_of(&["https://example.com"], SEEDED);
        assert_eq!(m.table.len(), 8);
        assert_eq!(m.table.iter().filter(|&&c| c != 0).count(), 1);
        assert_eq!(m.max_probe, 1);
        assert_finds_all(&m, &["https://example.com"]);
        assert_misses(
            &m,
            &[
                "",
                "https://example.co",
                "https://example.con",
                "https://example.comm",
                "https://example.com/",
                "http://example.com",
                "https://Example.com",
                "https://example.com:443",
            ],
        );
        assert_eq!(m.values().collect::<Vec<_>>(), [0]);
    }

    #[test]
    fn many_keys() {
        let keys: Vec<String> = (0..1000)
            .map(|i| format!("https://host{i}.example.com"))
            .collect();
        for m in [map_of(&keys, SEEDED), map_of(&keys, KeyHasher::random())] {
            assert_eq!(m.table.len(), 4096);
            assert_finds_all(&m, &keys);
            // Same lengths as the keys, so each miss goes past the length set to the table.
            let misses: Vec<String> = (0..1000)
                .map(|i| format!("https://host{i}.example.org"))
                .collect();
            assert_misses(&m, &misses);
            let mut values: Vec<usize> = m.values().collect();
            values.sort_unstable();
            assert_eq!(values, (0..1000).collect::<Vec<_>>());
        }
    }

    #[test]
    fn keys_colliding_on_cell_and_tag() {
        let keys = [
            "https://a.example",
            "https://b.example",
            "https://c.example",
            "https://d.example",
            "https://e.example",
            "https://f.example",
        ];
        let m = map_of(&keys, COLLIDING);
        assert_eq!(m.table.len(), 32);
        // All home at cell 0 with tag 0: placed one after another, the last six probes from home.
        assert!(m.table[..6].iter().all(|&c| c != 0 && c & TAG == 0));
        assert!(m.table[6..].iter().all(|&c| c == 0));
        assert_eq!(m.max_probe, 6);
        assert_finds_all(&m, &keys);
        let mut probes: Vec<usize> = keys
            .iter()
            .map(|k| probes_to(&m, k.as_bytes()).unwrap())
            .collect();
        probes.sort_unstable();
        assert_eq!(probes, [1, 2, 3, 4, 5, 6]);
        assert_misses(
            &m,
            &["https://g.example", "https://A.example", "https://a.exampl"],
        );
    }

    #[test]
    fn keys_sharing_a_home_cell_with_different_tags() {
        // Four keys whose hashes agree in the home cell of a 16-cell table (the size for four keys).
        let mut by_cell: Vec<Vec<String>> = vec![Vec::new(); 16];
        let keys = (0..)
            .find_map(|i| {
                let key = format!("https://k{i}.example");
                let cell = &mut by_cell[SEEDED.hash(key.as_bytes()) as usize & 15];
                cell.push(key);
                (cell.len() == 4).then(|| cell.clone())
            })
            .unwrap();
        let m = map_of(&keys, SEEDED);
        assert_eq!(m.table.len(), 16);
        let tags: Vec<u64> = keys
            .iter()
            .map(|k| SEEDED.hash(k.as_bytes()) & TAG)
            .collect();
        assert!(tags.iter().enumerate().all(|(i, t)| !tags[..i].contains(t)));
        assert_eq!(m.max_probe, 4);
        assert_finds_all(&m, &keys);
        let mut probes: Vec<usize> = keys
            .iter()
            .map(|k| probes_to(&m, k.as_bytes()).unwrap())
            .collect();
        probes.sort_unstable();
        assert_eq!(probes, [1, 2, 3, 4]);
        assert_misses(&m, &["https://k.example", "https://kk.example"]);
    }

    #[test]
    fn max_probe_is_the_farthest_placement() {
        let keys: Vec<String> = (0..300).map(|i| format!("http://h{i}:{i}")).collect();
        let m = map_of(&keys, SEEDED);
        let farthest = keys
            .iter()
            .map(|k| probes_to(&m, k.as_bytes()).unwrap())
            .max()
            .unwrap();
        assert_eq!(m.max_probe, farthest);
        assert!(m.max_probe < 16, "{}", m.max_probe);
    }

    #[test]
    fn lookups_never_probe_past_the_bound() {
        let keys = ["1", "2", "3", "4", "5"];
        let mut m = map_of(&keys, COLLIDING);
        assert_eq!(m.max_probe, 5);
        // With the bound lowered, the keys placed beyond it are out of reach: the lookup stops there.
        m.max_probe = 3;
        for k in keys {
            let reachable = probes_to(&m, k.as_bytes()).unwrap() <= 3;
            assert_eq!(m.get(k.as_bytes()).is_some(), reachable, "{k}");
        }
        let found = keys
            .iter()
            .filter(|k| m.get(k.as_bytes()).is_some())
            .count();
        assert_eq!(found, 3);
    }

    #[test]
    fn miss_on_a_full_table_terminates() {
        // Eight keys of one length, all of them home at cell 0 with tag 0; the table is then cut
        // down by hand to their eight cells (`ByteMap::with_hasher` never fills more than a quarter
        // of them), so that no cell is empty and every probe compares key bytes.
        let keys: Vec<String> = (0..8).map(|i| format!("https://{i}.example")).collect();
        let built = map_of(&keys, COLLIDING);
        let cells: Box<[u64]> = built.table.iter().copied().filter(|&c| c != 0).collect();
        assert_eq!(cells.len(), 8);
        for max_probe in [8, 9, 1000] {
            let m = ByteMap {
                table: cells.clone(),
                max_probe,
                ..built.clone()
            };
            assert_finds_all(&m, &keys);
            assert_misses(&m, &["https://8.example", "https://a.example"]);
        }
    }

    #[test]
    fn keys_and_values_live_in_one_arena() {
        let keys = ["https://b.example", "null", "https://a.example"];
        let m = map_of(&keys, SEEDED);
        assert_eq!(m.iter().count(), 3);
        // In key order: value, then key bytes.
        let mut expected = Vec::new();
        for (key, value) in [
            ("https://a.example", 2u64),
            ("https://b.example", 0),
            ("null", 1),
        ] {
            expected.extend_from_slice(&value.to_le_bytes());
            expected.extend_from_slice(key.as_bytes());
        }
        assert_eq!(&*m.arena, &expected[..]);
        let pairs: Vec<(&[u8], usize)> = m.iter().collect();
        assert_eq!(
            pairs,
            [
                (&b"https://a.example"[..], 2),
                (&b"https://b.example"[..], 0),
                (&b"null"[..], 1)
            ]
        );
        // The same keys under other seeds: the same arena.
        for hasher in [COLLIDING, KeyHasher::random()] {
            assert_eq!(map_of(&keys, hasher).arena, m.arena);
        }
    }

    #[test]
    fn keys_longer_than_a_cell_can_say_are_left_out() {
        let long = "x".repeat(MAX_KEY_LEN + 1);
        let longest = "y".repeat(MAX_KEY_LEN);
        let m = map_of(&[long.as_str(), longest.as_str()], SEEDED);
        assert_eq!(m.iter().count(), 1);
        assert_misses(&m, &[long.as_str()]);
        assert_eq!(m.get(longest.as_bytes()), Some(1));
    }

    #[test]
    fn load_is_at_most_a_quarter() {
        for (n, size) in [
            (0, 8),
            (1, 8),
            (2, 8),
            (3, 16),
            (4, 16),
            (5, 32),
            (8, 32),
            (100, 512),
            (256, 1024),
            (257, 2048),
        ] {
            let keys: Vec<String> = (0..n).map(|i| format!("https://{i}.example")).collect();
            let m = map_of(&keys, SEEDED);
            assert_eq!(m.table.len(), size, "{n} keys");
            assert_eq!(m.table.iter().filter(|&&c| c != 0).count(), n);
            assert_finds_all(&m, &keys);
        }
        // At the limit: 256 keys in 1024 cells.
        let keys: Vec<String> = (0..256).map(|i| format!("https://{i}.example")).collect();
        let m = map_of(&keys, SEEDED);
        assert_eq!(m.table.len(), keys.len() * 4);
        let misses: Vec<String> = (256..512).map(|i| format!("https://{i}.example")).collect();
        assert_misses(&m, &misses);
    }

    #[test]
    fn adversarial_keys() {
        let mut keys: Vec<Vec<u8>> = vec![Vec::new()];
        let mut misses: Vec<Vec<u8>> = Vec::new();
        // One shared prefix, differing only in the last byte, at every length the hash treats apart.
        for len in 1..=40 {
            let mut key = vec![b'a'; len];
            for last in [b'b', b'c'] {
                key[len - 1] = last;
                keys.push(key.clone());
            }
            key[len - 1] = b'd';
            misses.push(key.clone());
            // ... and only in the first byte.
            key[len - 1] = b'b';
            key[0] = b'e';
            if len > 1 {
                keys.push(key.clone());
            }
            key[0] = b'f';
            misses.push(key);
        }
        // Only ASCII case differs.
        for k in [
            "https://example.com",
            "https://Example.com",
            "HTTPS://EXAMPLE.COM",
        ] {
            keys.push(k.into());
        }
        for k in [
            "https://EXAMPLE.com",
            "https://example.Com",
            "Https://example.com",
        ] {
            misses.push(k.into());
        }
        // The longest origins, and lengths from 255 up, which share one bit of the length set.
        let max = crate::origin::MAX_ORIGIN_LEN;
        for len in [255, 256, max] {
            keys.push(vec![b'x'; len]);
            let mut y = vec![b'x'; len];
            y[len - 1] = b'y';
            keys.push(y);
        }
        for len in [254, 257, 300, max - 1, max + 1] {
            misses.push(vec![b'x'; len]);
        }
        let mut z = vec![b'x'; max];
        z[max / 2] = b'z';
        misses.push(z);
        for hasher in [SEEDED, COLLIDING, KeyHasher::random()] {
            let m = map_of(&keys, hasher);
            assert_finds_all(&m, &keys);
            assert_misses(&m, &misses);
        }
    }

    #[test]
    fn the_empty_key() {
        let m = map_of(&["", "a"], SEEDED);
        assert_finds_all(&m, &["", "a"]);
        let m = map_of(&["a", "ab"], SEEDED);
        assert_misses(&m, &[""]);
        let m = map_of(&["", "b", "c"], COLLIDING);
        assert_finds_all(&m, &["", "b", "c"]);
        assert_misses(&m, &["a"]);
    }

    #[test]
    fn eq_bytes_compares_every_byte() {
        for n in 0..=40usize {
            let a: Vec<u8> = (0..n as u8).map(|i| b'0' + i).collect();
            assert!(eq_bytes(&a, &a.clone()), "{n}");
            for i in 0..n {
                let mut b = a.clone();
                b[i] ^= 0x20;
                assert!(!eq_bytes(&a, &b), "{n} {i}");
                assert!(!eq_bytes(&b, &a), "{n} {i}");
            }
            if n > 0 {
                assert!(!eq_bytes(&a, &a[..n - 1]), "{n}");
                assert!(!eq_bytes(&a[1..], &a), "{n}");
            }
        }
    }

    #[test]
    fn hash_depends_on_every_byte_and_the_length() {
        for n in 0..=48usize {
            let key: Vec<u8> = (0..n).map(|i| b'a' + (i % 26) as u8).collect();
            let h = SEEDED.hash(&key);
            assert_eq!(h, SEEDED.hash(&key.clone()));
            for i in 0..n {
                let mut other = key.clone();
                other[i] ^= 1;
                assert_ne!(SEEDED.hash(&other), h, "{n} {i}");
            }
            let mut longer = key.clone();
            longer.push(0);
            assert_ne!(SEEDED.hash(&longer), h, "{n}");
        }
        assert_ne!(SEEDED.hash(b"\0"), SEEDED.hash(b"\0\0"));
        assert_ne!(SEEDED.hash(b""), SEEDED.hash(b"\0"));
    }

    #[test]
    fn seeds_decide_the_hash() {
        let other = KeyHasher([1, 3, 5, 7]);
        assert_ne!(
            SEEDED.hash(b"https://example.com"),
            other.hash(b"https://example.com")
        );
        assert_eq!(COLLIDING.hash(b""), 0);
        assert_eq!(COLLIDING.hash(b"https://example.com"), 0);
        // Random seeds are odd: never the colliding multiplier of zero.
        let KeyHasher(seeds) = KeyHasher::random();
        assert!(seeds.iter().all(|s| s & 1 == 1), "{seeds:x?}");
    }
}
