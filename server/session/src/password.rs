//! Session passwords, derived rather than stored, so that any server that
//! knows the ensemble's secret recomputes them after a restart or when a
//! client moves to it (ZooKeeper's `generatePasswd`, with a keyed hash in
//! place of `java.util.Random(sessionId ^ superSecret)`).
//!
//! The derivation is a format: changing it invalidates every live session
//! of a rolling upgrade. It is, byte for byte:
//!
//! ```text
//! key      = le64(secret) || le64(secret ^ PASSWORD_KEY_TWEAK)      16 bytes
//! message  = le64(session_id as u64)                                  8 bytes
//! password = SipHash-2-4 with 128-bit output (key, message)          16 bytes
//! ```
//!
//! SipHash-2-4-128 is the reference algorithm of Aumasson and Bernstein
//! (output: `le64(v0^v1^v2^v3)` after the first finalization, then again
//! after the second), checked against the reference test vectors below.

use ringkeeper_jute::SESSION_PASSWORD_LEN;

/// Mixed into the second half of the key so that it differs from the first.
const PASSWORD_KEY_TWEAK: u64 = 0x7269_6e67_6b65_6570; // "ringkeep"

/// The password of `session_id` under the ensemble's `secret`.
pub fn session_password(session_id: i64, secret: u64) -> [u8; SESSION_PASSWORD_LEN] {
    let key = (secret, secret ^ PASSWORD_KEY_TWEAK);
    siphash_2_4_128(key, &session_id.to_le_bytes())
}

/// Whether `password` is `session_id`'s: never for session 0 (ZooKeeper's
/// `checkPasswd`), compared without an early exit.
pub fn check_session_password(session_id: i64, secret: u64, password: &[u8]) -> bool {
    if session_id == 0 || password.len() != SESSION_PASSWORD_LEN {
        return false;
    }
    let expected = session_password(session_id, secret);
    let difference = expected
        .iter()
        .zip(password)
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    difference == 0
}

/// SipHash-2-4 with a 128-bit output.
fn siphash_2_4_128(key: (u64, u64), message: &[u8]) -> [u8; 16] {
    let mut out = [0u8; 16];
    siphash_2_4(key, message, &mut out);
    out
}

/// SipHash-2-4 producing `out.len()` bytes, 8 or 16.
fn siphash_2_4(key: (u64, u64), message: &[u8], out: &mut [u8]) {
    debug_assert!(out.len() == 8 || out.len() == 16);
    let wide = out.len() == 16;
    let (k0, k1) = key;
    let mut v = [
        k0 ^ 0x736f_6d65_7073_6575,
        k1 ^ 0x646f_7261_6e64_6f6d,
        k0 ^ 0x6c79_6765_6e65_7261,
        k1 ^ 0x7465_6462_7974_6573,
    ];
    if wide {
        v[1] ^= 0xee;
    }
    let mut blocks = message.chunks_exact(8);
    for block in &mut blocks {
        let mut word = [0u8; 8];
        word.copy_from_slice(block);
        compress(&mut v, u64::from_le_bytes(word));
    }
    let mut last = [0u8; 8];
    let tail = blocks.remainder();
    last[..tail.len()].copy_from_slice(tail);
    last[7] = message.len() as u8; // the length modulo 256, by definition
    compress(&mut v, u64::from_le_bytes(last));

    v[2] ^= if wide { 0xee } else { 0xff };
    for _ in 0..4 {
        sip_round(&mut v);
    }
    out[..8].copy_from_slice(&(v[0] ^ v[1] ^ v[2] ^ v[3]).to_le_bytes());
    if wide {
        v[1] ^= 0xdd;
        for _ in 0..4 {
            sip_round(&mut v);
        }
        out[8..].copy_from_slice(&(v[0] ^ v[1] ^ v[2] ^ v[3]).to_le_bytes());
    }
}

fn compress(v: &mut [u64; 4], word: u64) {
    v[3] ^= word;
    sip_round(v);
    sip_round(v);
    v[0] ^= word;
}

fn sip_round(v: &mut [u64; 4]) {
    v[0] = v[0].wrapping_add(v[1]);
    v[1] = v[1].rotate_left(13) ^ v[0];
    v[0] = v[0].rotate_left(32);
    v[2] = v[2].wrapping_add(v[3]);
    v[3] = v[3].rotate_left(16) ^ v[2];
    v[0] = v[0].wrapping_add(v[3]);
    v[3] = v[3].rotate_left(21) ^ v[0];
    v[2] = v[2].wrapping_add(v[1]);
    v[1] = v[1].rotate_left(17) ^ v[2];
    v[2] = v[2].rotate_left(32);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference vectors use key 00 01 .. 0f and message 00 01 .. (n-1).
    fn reference_key() -> (u64, u64) {
        (0x0706_0504_0302_0100, 0x0f0e_0d0c_0b0a_0908)
    }

    fn reference_message(len: usize) -> Vec<u8> {
        (0..len as u8).collect()
    }

    #[test]
    fn siphash_64_matches_the_papers_test_vector() {
        let mut out = [0u8; 8];
        siphash_2_4(reference_key(), &reference_message(15), &mut out);
        assert_eq!(u64::from_le_bytes(out), 0xa129_ca61_49be_45e5);
    }

    #[test]
    fn siphash_128_matches_the_reference_vectors() {
        let expected_empty = [
            0xa3, 0x81, 0x7f, 0x04, 0xba, 0x25, 0xa8, 0xe6, 0x6d, 0xf6, 0x72, 0x14, 0xc7, 0x55,
            0x02, 0x93,
        ];
        assert_eq!(siphash_2_4_128(reference_key(), &[]), expected_empty);
        let expected_one_byte = [
            0xda, 0x87, 0xc1, 0xd8, 0x6b, 0x99, 0xaf, 0x44, 0x34, 0x76, 0x59, 0x11, 0x9b, 0x22,
            0xfc, 0x45,
        ];
        assert_eq!(
            siphash_2_4_128(reference_key(), &reference_message(1)),
            expected_one_byte
        );
    }

    #[test]
    fn password_is_stable_across_builds() {
        // Pinned: a change here logs every client of a rolling upgrade out.
        let pinned = [
            0x40, 0xf6, 0xde, 0xb6, 0xf1, 0x57, 0x21, 0x19, 0x0e, 0x83, 0xbe, 0x87, 0xf2, 0xc7,
            0x86, 0xf5,
        ];
        assert_eq!(session_password(0x0100_0000_0000_0000, 0xb341_5c00), pinned);
    }
}
