//! A provided-buffer ring: the kernel picks a free buffer for each chunk a multishot recv
//! receives and names it in the completion; the owner takes the bytes and gives the buffer
//! straight back. The io_uring backend uses one per core; it is public for other io_uring
//! users of the workspace (loadgen's workers).
//!
//! ```text
//! entries: [BufRingEntry; count]   mmap'd, page-aligned; the tail is entry 0's reserved field
//! pool:    [u8; count * buffer_bytes], buffer id b at offset b * buffer_bytes
//! ```

use io_uring::types::BufRingEntry;
use io_uring::Submitter;
use std::io;
use std::sync::atomic::{AtomicU16, Ordering};

/// `count` receive buffers of `buffer_bytes` each, registered with one io_uring as buffer
/// group `group_id`.
pub struct BufferRing {
    entries: *mut BufRingEntry,
    entries_bytes: usize,
    count: u16,
    buffer_bytes: usize,
    pool: Box<[u8]>,
    /// Our view of the tail: entries before it belong to the kernel.
    tail: u16,
    pub group_id: u16,
    /// The kernel may still use the memory: never free it.
    leaked: bool,
}

impl BufferRing {
    /// Maps and registers `count` (a power of two, at most 32,768) buffers of `buffer_bytes`,
    /// all handed to the kernel.
    ///
    /// # Safety
    ///
    /// The kernel writes into the buffers for as long as the io_uring behind `submitter`
    /// lives: the returned ring must be dropped only after that io_uring was dropped (or the
    /// group unregistered), or be [`leak`](Self::leak)ed.
    pub unsafe fn register(
        submitter: &Submitter<'_>,
        count: u16,
        buffer_bytes: usize,
        group_id: u16,
    ) -> io::Result<BufferRing> {
        if !count.is_power_of_two() || count > 1 << 15 || buffer_bytes > u32::MAX as usize {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a buffer ring needs a power-of-two count up to 32768 and buffers under 4 GiB",
            ));
        }
        let entries_bytes = usize::from(count) * std::mem::size_of::<BufRingEntry>();
        // SAFETY: an anonymous private mapping; failure is checked below.
        let mapped = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                entries_bytes,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_POPULATE,
                -1,
                0,
            )
        };
        if mapped == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let mut ring = BufferRing {
            entries: mapped.cast(),
            entries_bytes,
            count,
            buffer_bytes,
            pool: vec![0; usize::from(count) * buffer_bytes].into_boxed_slice(),
            tail: 0,
            group_id,
            leaked: false,
        };
        // SAFETY: the mapping is page-aligned and `count` entries long; it outlives the
        // registration (the caller drops the io_uring before this struct).
        unsafe { submitter.register_buf_ring_with_flags(mapped as u64, count, group_id, 0) }
            .map_err(|error| {
                io::Error::new(
                    error.kind(),
                    format!("registering an io_uring provided-buffer ring (Linux 5.19+): {error}"),
                )
            })?;
        for buffer_id in 0..count {
            ring.recycle(buffer_id);
        }
        ring.publish();
        Ok(ring)
    }

    /// The bytes the kernel received into `buffer_id`.
    pub fn received(&self, buffer_id: u16, len: usize) -> &[u8] {
        let start = usize::from(buffer_id % self.count) * self.buffer_bytes;
        &self.pool[start..start + len.min(self.buffer_bytes)]
    }

    /// Hands `buffer_id` back to the kernel (visible after `publish`).
    pub fn recycle(&mut self, buffer_id: u16) {
        let buffer_id = buffer_id % self.count;
        let slot = usize::from(self.tail & (self.count - 1));
        // SAFETY: slot < count, inside the mapping; the kernel only reads entries before the
        // published tail, and this one is past it.
        let entry = unsafe { &mut *self.entries.add(slot) };
        let address =
            self.pool.as_ptr() as u64 + (usize::from(buffer_id) * self.buffer_bytes) as u64;
        entry.set_addr(address);
        entry.set_len(self.buffer_bytes as u32);
        entry.set_bid(buffer_id);
        self.tail = self.tail.wrapping_add(1);
    }

    /// Publishes recycled buffers to the kernel.
    pub fn publish(&self) {
        // SAFETY: the tail lives inside entry 0 of our mapping; the kernel reads it
        // concurrently, so it is stored atomically with release ordering.
        unsafe {
            let tail = BufRingEntry::tail(self.entries) as *const AtomicU16;
            (*tail).store(self.tail, Ordering::Release);
        }
    }

    /// Keeps the memory forever (ops that may still write into it were not reaped).
    pub fn leak(&mut self) {
        self.leaked = true;
    }
}

impl Drop for BufferRing {
    fn drop(&mut self) {
        if self.leaked {
            std::mem::forget(std::mem::take(&mut self.pool));
            return;
        }
        // SAFETY: unmapping our own mapping; the io_uring it was registered with is gone.
        unsafe { libc::munmap(self.entries.cast(), self.entries_bytes) };
    }
}

// SAFETY: the raw pointer is owned by this struct alone and only used by its owner's thread.
unsafe impl Send for BufferRing {}
