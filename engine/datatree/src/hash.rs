//! One seeded 64-bit hash for everything the tree hashes: child names (with
//! the tree's seed), ACL lists (fixed seed) and the digest (fixed seeds, so
//! every replica computes the same value).
//!
//! The construction is the folded 64x64->128 multiply of wyhash/foldhash:
//! 16 input bytes per multiply, the length mixed into the end, so inputs of
//! different lengths never share a tail. It is not cryptographic; with a
//! secret seed (children tables) it makes collision flooding impractical,
//! and for the digest it makes an accidental equal sum of two different
//! trees a 2^-64 event.

/// Odd constants with balanced bits (wyhash's secrets).
const P0: u64 = 0xa076_1d64_78bd_642f;
const P1: u64 = 0xe703_7ed1_a0b4_28db;
const P2: u64 = 0x8ebc_6af0_9c88_c6e3;
const P3: u64 = 0x5899_65cc_7537_4cc3;

/// Multiply into 128 bits and fold the halves together.
#[inline(always)]
pub(crate) fn fold(a: u64, b: u64) -> u64 {
    let product = u128::from(a) * u128::from(b);
    (product as u64) ^ ((product >> 64) as u64)
}

#[inline(always)]
fn read_u64(bytes: &[u8], at: usize) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(word)
}

#[inline(always)]
fn read_u32(bytes: &[u8], at: usize) -> u64 {
    let mut word = [0u8; 4];
    word.copy_from_slice(&bytes[at..at + 4]);
    u64::from(u32::from_le_bytes(word))
}

/// Hash `bytes` under `seed`.
#[inline]
pub(crate) fn hash_bytes(seed: u64, bytes: &[u8]) -> u64 {
    let len = bytes.len();
    let mut state = seed ^ fold(seed ^ P0, P1);
    let mut at = 0;
    while len - at > 16 {
        state = fold(read_u64(bytes, at) ^ P1, read_u64(bytes, at + 8) ^ state);
        at += 16;
    }
    let rest = &bytes[at..];
    // The last 1..=16 bytes (or none), read as two words; reads may overlap,
    // which is harmless because the length is mixed in below.
    let (a, b) = match rest.len() {
        0 => (0, 0),
        1..=3 => {
            let n = rest.len();
            let a = u64::from(rest[0]) << 16 | u64::from(rest[n / 2]) << 8 | u64::from(rest[n - 1]);
            (a, 0)
        }
        4..=7 => {
            let n = rest.len();
            (read_u32(rest, 0) << 32 | read_u32(rest, n - 4), 0)
        }
        n => (read_u64(rest, 0), read_u64(rest, n - 8)),
    };
    let mixed = fold(a ^ P1 ^ state, b ^ P2);
    fold(mixed ^ P3, (len as u64) ^ P0)
}

/// Mix two words into a running state (for fixed-size records).
#[inline(always)]
pub(crate) fn mix_words(state: u64, a: u64, b: u64) -> u64 {
    fold(a ^ P0 ^ state, b ^ P1)
}

/// Final avalanche of a running state.
#[inline(always)]
pub(crate) fn finish(state: u64) -> u64 {
    fold(state ^ P2, P3)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_length_and_every_byte_position_changes_the_hash() {
        let mut seen = HashSet::new();
        let base = [0u8; 40];
        for len in 0..=base.len() {
            assert!(
                seen.insert(hash_bytes(7, &base[..len])),
                "length {len} collides"
            );
            for position in 0..len {
                let mut flipped = base;
                flipped[position] = 1;
                assert!(
                    seen.insert(hash_bytes(7, &flipped[..len])),
                    "length {len}, byte {position} collides"
                );
            }
        }
    }

    #[test]
    fn the_seed_changes_the_hash() {
        assert_ne!(hash_bytes(1, b"node"), hash_bytes(2, b"node"));
        assert_eq!(hash_bytes(1, b"node"), hash_bytes(1, b"node"));
    }
}
