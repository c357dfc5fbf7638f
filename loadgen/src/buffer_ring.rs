//! A provided-buffer ring for multishot recv: the kernel picks a free
//! buffer for each chunk it receives and names it in the completion; we
//! copy the bytes out and hand the buffer straight back.
//!
//! ```text
//! entries: [BufRingEntry; count]   (mmap'd, page-aligned; the tail is
//!                                   entry 0's reserved field)
//! pool:    [u8; count * buffer_bytes], buffer id b at b * buffer_bytes
//! ```

use io_uring::types::BufRingEntry;
use io_uring::Submitter;
use std::io;
use std::sync::atomic::{AtomicU16, Ordering};

pub struct BufferRing {
    entries: *mut BufRingEntry,
    entries_bytes: usize,
    count: u16,
    buffer_bytes: usize,
    pool: Vec<u8>,
    /// Our view of the tail: entries before it belong to the kernel.
    tail: u16,
    pub group_id: u16,
}

impl BufferRing {
    /// Maps and registers a ring of `count` (a power of two, at most
    /// 32,768) buffers of `buffer_bytes` each, all handed to the kernel.
    pub fn register(
        submitter: &Submitter<'_>,
        count: u16,
        buffer_bytes: usize,
        group_id: u16,
    ) -> io::Result<BufferRing> {
        assert!(count.is_power_of_two() && count <= 1 << 15);
        let entries_bytes = usize::from(count) * std::mem::size_of::<BufRingEntry>();
        // SAFETY: an anonymous private mapping; checked for failure below.
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
            pool: vec![0; usize::from(count) * buffer_bytes],
            tail: 0,
            group_id,
        };
        // SAFETY: the mapping is page-aligned, `count` entries long, and
        // outlives the registration (unregistered when the ring is dropped
        // before this, see the worker's field order).
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
        let start = usize::from(buffer_id) * self.buffer_bytes;
        &self.pool[start..start + len.min(self.buffer_bytes)]
    }

    /// Hands `buffer_id` back to the kernel (visible after `publish`).
    pub fn recycle(&mut self, buffer_id: u16) {
        let slot = usize::from(self.tail & (self.count - 1));
        // SAFETY: slot < count, inside the mapping; the kernel only reads
        // entries before the published tail, and this one is past it.
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
        // SAFETY: the tail lives inside entry 0 of our mapping; the kernel
        // reads it, so it is written atomically with release ordering.
        unsafe {
            let tail = BufRingEntry::tail(self.entries) as *const AtomicU16;
            (*tail).store(self.tail, Ordering::Release);
        }
    }
}

impl Drop for BufferRing {
    fn drop(&mut self) {
        // SAFETY: unmapping our own mapping; the io_uring that used it has
        // been dropped already (field order in `Worker`).
        unsafe { libc::munmap(self.entries.cast(), self.entries_bytes) };
    }
}

// SAFETY: the raw pointer is owned by this struct alone.
unsafe impl Send for BufferRing {}
