//! Adler-32 (RFC 1950), the checksum of ZooKeeper's snapshot streams and
//! txn log records (`java.util.zip.Adler32`).

/// The largest prime below 2^16.
const MODULUS: u32 = 65_521;
/// The most bytes that can be summed before `b` could overflow a u32
/// (zlib's NMAX): 255 * n * (n + 1) / 2 + (n + 1) * (MODULUS - 1) < 2^32.
const CHUNK_BYTES_MAX: usize = 5_552;

/// A running Adler-32 checksum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Adler32 {
    a: u32,
    b: u32,
}

impl Default for Adler32 {
    fn default() -> Self {
        Adler32::new()
    }
}

impl Adler32 {
    pub fn new() -> Adler32 {
        Adler32 { a: 1, b: 0 }
    }

    pub fn update(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(CHUNK_BYTES_MAX) {
            for &byte in chunk {
                self.a += u32::from(byte);
                self.b += self.a;
            }
            self.a %= MODULUS;
            self.b %= MODULUS;
        }
    }

    pub fn value(&self) -> u32 {
        (self.b << 16) | self.a
    }

    /// The checksum of `bytes` alone.
    pub fn of(bytes: &[u8]) -> u32 {
        let mut adler = Adler32::new();
        adler.update(bytes);
        adler.value()
    }
}

#[cfg(test)]
mod tests {
    use super::Adler32;

    #[test]
    fn known_values_match_zlib() {
        assert_eq!(Adler32::of(b""), 1);
        assert_eq!(Adler32::of(b"a"), 0x0062_0062);
        assert_eq!(Adler32::of(b"Wikipedia"), 0x11E6_0398);
    }

    #[test]
    fn long_input_in_pieces_equals_one_pass() {
        let bytes: Vec<u8> = (0..100_000u32).map(|i| (i * 7 + 255) as u8).collect();
        let mut pieces = Adler32::new();
        for piece in bytes.chunks(777) {
            pieces.update(piece);
        }
        assert_eq!(pieces.value(), Adler32::of(&bytes));
        // All-0xff input is the worst case for the deferred modulo.
        let ones = vec![0xffu8; 50_000];
        let mut naive = (1u64, 0u64);
        for &byte in &ones {
            naive.0 = (naive.0 + u64::from(byte)) % 65_521;
            naive.1 = (naive.1 + naive.0) % 65_521;
        }
        assert_eq!(Adler32::of(&ones), ((naive.1 << 16) | naive.0) as u32);
    }
}
