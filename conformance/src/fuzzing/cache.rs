//! A small, bounded cache of compiled allowlists and policies for the fuzz checks.
//!
//! Compiling an allowlist (its regex DFA above all, built with the fuzzer's instrumentation) costs
//! hundreds of times more than checking a few dozen origins against it, and libFuzzer's mutations
//! leave the bytes an allowlist is drawn from unchanged in many of the inputs it derives from one
//! another. So the `matcher`, `matcher_regex`, `decision` and `http_adapter` checks keep the last
//! few compiled values, keyed by the exact value they were compiled from (the entries, or the whole
//! policy configuration: compared whole, never by a hash alone), and run every differential check
//! per input as before: a cached value is the one a fresh compile of the same key returns, built by
//! the same call.
//!
//! What it does not change, and what it does:
//!
//! - **Bounded**: at most `capacity` values, the least recently used evicted first; the checks size it
//!   so that the worst case stays in the tens of MiB (a regex DFA under its size limits).
//! - **Fresh compiles still happen**: each value is dropped after [`MAX_USES`] uses and compiled again,
//!   so that a long run does not keep checking one build. What a fresh build can change is only what the
//!   library leaves to chance: the hash seeds drawn from `RandomState`, hence the table layouts. Every
//!   new allowlist is a fresh build, as before.
//! - **Determinism**: libFuzzer assumes an input always covers the same code. With the cache, an input
//!   whose key is cached skips the compile's coverage, so the same input covers less the second time.
//!   That costs nothing that matters: a new input is kept for the features it covers when first run,
//!   and any check that fails, fails the same way on a fresh compile (which is how a crash input is
//!   replayed: a new process, an empty cache). The only inputs whose outcome could depend on the
//!   cache are those whose failure depends on the hash seeds, and those are as flaky without it.
//! - `CORSMATCH_FUZZ_CACHE=0` in the environment turns the cache off (every input compiles afresh),
//!   to measure it or to rule it out.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::OnceLock;

/// How many times a cached value is used before it is dropped and compiled afresh.
pub const MAX_USES: u32 = 512;

/// Whether caching is on: unless `CORSMATCH_FUZZ_CACHE=0`.
pub fn enabled() -> bool {
    static ENABLED: OnceLock<bool> = OnceLock::new();
    *ENABLED.get_or_init(|| std::env::var_os("CORSMATCH_FUZZ_CACHE").is_none_or(|v| v != "0"))
}

/// A least-recently-used map of at most `capacity` values, each used at most [`MAX_USES`] times.
#[derive(Debug)]
pub struct Lru<K, V> {
    capacity: usize,
    clock: u64,
    entries: HashMap<K, Slot<V>>,
    /// Lookups answered from the cache.
    pub hits: u64,
    /// Lookups that compiled (a key not cached, or used up).
    pub misses: u64,
}

#[derive(Debug)]
struct Slot<V> {
    value: V,
    last_used: u64,
    uses: u32,
}

impl<K: Eq + Hash + Clone, V: Clone> Lru<K, V> {
    /// An empty cache of at most `capacity` values (at least one).
    pub fn new(capacity: usize) -> Lru<K, V> {
        Lru {
            capacity: capacity.max(1),
            clock: 0,
            entries: HashMap::new(),
            hits: 0,
            misses: 0,
        }
    }

    /// How many values it holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The value cached for `key`, if it has uses left (counting this one).
    pub fn get(&mut self, key: &K) -> Option<V> {
        self.clock += 1;
        let clock = self.clock;
        let slot = self.entries.get_mut(key)?;
        if slot.uses >= MAX_USES {
            self.entries.remove(key);
            return None;
        }
        slot.uses += 1;
        slot.last_used = clock;
        self.hits += 1;
        Some(slot.value.clone())
    }

    /// Caches `value` for `key`, evicting the least recently used value when full.
    pub fn insert(&mut self, key: K, value: V) {
        self.misses += 1;
        self.clock += 1;
        if self.entries.len() >= self.capacity && !self.entries.contains_key(&key) {
            let oldest = self
                .entries
                .iter()
                .min_by_key(|(_, slot)| slot.last_used)
                .map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                self.entries.remove(&oldest);
            }
        }
        self.entries.insert(
            key,
            Slot {
                value,
                last_used: self.clock,
                uses: 1,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evicts_the_least_recently_used_and_stays_bounded() {
        let mut cache = Lru::new(2);
        cache.insert("a", 1);
        cache.insert("b", 2);
        assert_eq!(cache.get(&"a"), Some(1)); // "b" is now the oldest
        cache.insert("c", 3);
        assert_eq!(cache.len(), 2);
        assert_eq!(cache.get(&"b"), None);
        assert_eq!(cache.get(&"a"), Some(1));
        assert_eq!(cache.get(&"c"), Some(3));
    }

    #[test]
    fn a_value_is_compiled_again_after_its_uses() {
        let mut cache = Lru::new(4);
        cache.insert("a", 1);
        for _ in 1..MAX_USES {
            assert_eq!(cache.get(&"a"), Some(1));
        }
        assert_eq!(cache.get(&"a"), None, "used up");
        assert!(cache.is_empty());
    }
}
