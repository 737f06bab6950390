//! Reading byte strings a machine word at a time: the loads the hash tables ([`crate::automata`]) and
//! the `Access-Control-Request-Headers` reader ([`crate::policy::request_headers`]) are built on.
//! Safe code: each load is a bounds-checked copy of a slice into an array, which the compiler turns
//! into one unaligned load.

/// Eight bytes of `b` from `at`, little-endian. Panics if `b` holds fewer than `at + 8` bytes; callers
/// check the length first.
#[inline(always)]
pub(crate) fn word(b: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(w)
}

/// Four bytes of `b` from `at`, little-endian, in the low half of a `u64`. Panics if `b` holds fewer
/// than `at + 4` bytes; callers check the length first.
#[inline(always)]
pub(crate) fn half(b: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&b[at..at + 4]);
    u64::from(u32::from_le_bytes(w))
}
