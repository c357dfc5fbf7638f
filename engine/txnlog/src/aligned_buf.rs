//! A byte buffer whose first byte sits at a 4096-byte aligned address, as
//! O_DIRECT needs, built on a `Vec` without unsafe code: the vector is
//! over-allocated and the buffer starts at its first aligned byte.

/// The address alignment of every [`AlignedBuf`].
pub const BUFFER_ALIGNMENT_BYTES: usize = 4096;

/// A growable byte buffer starting at an aligned address.
#[derive(Debug, Default)]
pub struct AlignedBuf {
    /// Capacity plus slack for the alignment; never reallocated in place
    /// (a reallocation would move the start), only replaced.
    storage: Vec<u8>,
    start: usize,
    len: usize,
}

impl AlignedBuf {
    pub fn with_capacity(capacity: usize) -> AlignedBuf {
        let storage = vec![0u8; capacity + BUFFER_ALIGNMENT_BYTES];
        let start = storage.as_ptr().align_offset(BUFFER_ALIGNMENT_BYTES);
        // align_offset on a u8 pointer is always computable (no usize::MAX).
        debug_assert!(start < BUFFER_ALIGNMENT_BYTES);
        AlignedBuf {
            storage,
            start,
            len: 0,
        }
    }

    /// Bytes the buffer holds before it must move to a larger allocation.
    pub fn capacity(&self) -> usize {
        self.usable()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn clear(&mut self) {
        self.len = 0;
    }

    pub fn as_slice(&self) -> &[u8] {
        &self.storage[self.start..self.start + self.len]
    }

    /// Appends bytes, moving to a larger aligned allocation when full.
    pub fn extend_from_slice(&mut self, bytes: &[u8]) {
        self.reserve(bytes.len());
        let at = self.start + self.len;
        self.storage[at..at + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
    }

    /// Appends `count` zero bytes.
    pub fn extend_zeros(&mut self, count: usize) {
        self.reserve(count);
        let at = self.start + self.len;
        self.storage[at..at + count].fill(0);
        self.len += count;
    }

    fn reserve(&mut self, additional: usize) {
        let needed = self.len + additional;
        if needed <= self.usable() {
            return;
        }
        let mut grown = AlignedBuf::with_capacity(needed.max(self.usable() * 2));
        grown.storage[grown.start..grown.start + self.len].copy_from_slice(self.as_slice());
        grown.len = self.len;
        *self = grown;
    }

    fn usable(&self) -> usize {
        self.storage.len().saturating_sub(self.start)
    }
}
