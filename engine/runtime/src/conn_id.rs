//! Names of connections, and why they ended.

/// Bits of a [`ConnId`] holding the connection's slot on its core.
const SLOT_BITS: u32 = 20;
/// Bits of a [`ConnId`] holding the core index.
const CORE_BITS: u32 = 12;

/// One client connection, engine-wide. Generational: a `ConnId` of a closed connection never
/// names a later connection that reuses its slot (until one slot is reused 2^32 times).
///
/// ```text
/// bit 63 .. 32   31 .. 20   19 .. 0
///     generation core       slot
/// ```
#[derive(Copy, Clone, Eq, PartialEq, Hash, Debug, PartialOrd, Ord)]
pub struct ConnId(u64);

impl ConnId {
    pub(crate) fn new(core: usize, slot: u32, generation: u32) -> ConnId {
        debug_assert!(core < 1 << CORE_BITS && slot < 1 << SLOT_BITS);
        ConnId(u64::from(generation) << 32 | (core as u64) << SLOT_BITS | u64::from(slot))
    }

    /// The core that owns the connection (whose `Io` can send on it).
    pub fn core(&self) -> usize {
        ((self.0 >> SLOT_BITS) & ((1 << CORE_BITS) - 1)) as usize
    }

    pub(crate) fn slot(&self) -> u32 {
        (self.0 & ((1 << SLOT_BITS) - 1)) as u32
    }

    pub(crate) fn generation(&self) -> u32 {
        (self.0 >> 32) as u32
    }

    pub fn to_u64(self) -> u64 {
        self.0
    }

    /// Any value is accepted: an id that names no open connection is simply not found.
    pub fn from_u64(value: u64) -> ConnId {
        ConnId(value)
    }
}

/// Why a connection ended, as told to `Service::on_closed`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum CloseReason {
    /// The peer closed its sending side (recv returned 0). The connection is then closed
    /// both ways, bytes still queued for it dropped, as ZooKeeper does on end of stream.
    PeerClosed,
    /// The peer reset the connection (ECONNRESET, EPIPE).
    Reset,
    /// Another socket error, as an errno.
    IoError(i32),
    /// The service called `Io::close` and the queued bytes were flushed.
    ClosedByService,
    /// The service called `Io::close` but the peer did not take the queued bytes within
    /// `close_flush_timeout_ms`: the connection was reset.
    FlushTimedOut,
    /// The engine is shutting down.
    Shutdown,
}

impl CloseReason {
    pub(crate) fn from_errno(errno: i32) -> CloseReason {
        match errno {
            libc::ECONNRESET | libc::EPIPE => CloseReason::Reset,
            other => CloseReason::IoError(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conn_id_round_trips_its_parts() {
        let id = ConnId::new(4095, (1 << 20) - 1, u32::MAX);
        assert_eq!(id.core(), 4095);
        assert_eq!(id.slot(), (1 << 20) - 1);
        assert_eq!(id.generation(), u32::MAX);
        assert_eq!(ConnId::from_u64(id.to_u64()), id);
        let other = ConnId::new(1, 7, 3);
        assert_eq!((other.core(), other.slot(), other.generation()), (1, 7, 3));
    }
}
