//! A core's connections: a slab of slots, each with a generation, plus the list of slots the
//! backend must look at when the turn ends.
//!
//! A connection's life, as the core loop and the backend see it:
//!
//! ```text
//! accepted --> Open --Io::close--> Closing --queue flushed / timeout--> Released --ops done--> free
//!               |                                                          ^
//!               +--peer EOF / error / shutdown (on_closed called) ---------+
//! ```
//!
//! At `Released` the slot's generation moves on (old `ConnId`s stop resolving) and
//! `Service::on_closed` has been called; the slot itself stays taken until the backend has
//! no operation left in flight on the socket, then the socket is closed and the slot freed.

use crate::conn_id::ConnId;
use crate::out_queue::OutQueue;
use crate::socket;
use std::net::SocketAddr;
use std::os::fd::OwnedFd;
use std::time::Instant;

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    Open,
    /// `Io::close` was called: flush the queue by `deadline`, deliver no more bytes.
    Closing {
        deadline: Instant,
    },
    /// Ended; waiting for the backend to finish with the socket.
    Released,
}

/// What a backend tracks about one connection's socket.
#[derive(Default, Debug)]
pub(crate) struct BackendConn {
    /// The backend has started I/O on the socket (registered it, armed a recv).
    pub started: bool,
    /// io_uring: the socket sits in the ring's registered-file table at the slot's index.
    pub fixed: bool,
    pub recv_armed: bool,
    /// io_uring: a cancel of the armed recv is in flight (pause).
    pub cancel_pending: bool,
    pub send_in_flight: bool,
    /// io_uring: operations in flight that name this slot.
    pub ops_in_flight: u32,
    /// Released: teardown was started.
    pub torn_down: bool,
    /// epoll: the interest set registered for the socket.
    pub interest: u32,
}

pub(crate) struct Connection {
    pub fd: OwnedFd,
    pub peer: SocketAddr,
    pub phase: Phase,
    pub out: OutQueue,
    /// Receives are paused by the service (`Io::pause_recv`).
    pub paused: bool,
    /// Bytes that arrived after a pause took effect in the service's view but before the
    /// backend stopped receiving, kept in order until `Io::resume_recv`.
    pub held: Vec<u8>,
    /// In the dirty list.
    pub dirty: bool,
    /// Close with SO_LINGER 0 (a reset) instead of a FIN.
    pub reset_on_close: bool,
    pub backend: BackendConn,
}

impl Connection {
    /// The backend should be receiving on this socket (a closing connection still drains its
    /// input, which is dropped, so that closing does not reset the peer).
    pub(crate) fn wants_recv(&self) -> bool {
        match self.phase {
            Phase::Open => !self.paused,
            Phase::Closing { .. } => true,
            Phase::Released => false,
        }
    }
}

struct Slot {
    generation: u32,
    conn: Option<Connection>,
}

pub(crate) struct ConnTable {
    core_index: usize,
    slots: Vec<Slot>,
    free: Vec<u32>,
    /// Connections Open or Closing.
    live: usize,
    dirty: Vec<u32>,
}

impl ConnTable {
    pub(crate) fn new(core_index: usize) -> ConnTable {
        ConnTable {
            core_index,
            slots: Vec::new(),
            free: Vec::new(),
            live: 0,
            dirty: Vec::new(),
        }
    }

    pub(crate) fn live(&self) -> usize {
        self.live
    }

    /// Every slot that holds a connection in any phase.
    pub(crate) fn occupied(&self) -> impl Iterator<Item = u32> + '_ {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, slot)| slot.conn.is_some())
            .map(|(index, _)| index as u32)
    }

    /// Takes a slot for a new, Open connection.
    pub(crate) fn insert(&mut self, fd: OwnedFd, peer: SocketAddr) -> (u32, ConnId) {
        let conn = Connection {
            fd,
            peer,
            phase: Phase::Open,
            out: OutQueue::default(),
            paused: false,
            held: Vec::new(),
            dirty: false,
            reset_on_close: false,
            backend: BackendConn::default(),
        };
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => {
                self.slots.push(Slot {
                    generation: 0,
                    conn: None,
                });
                (self.slots.len() - 1) as u32
            }
        };
        let entry = &mut self.slots[slot as usize];
        entry.conn = Some(conn);
        self.live += 1;
        (slot, ConnId::new(self.core_index, slot, entry.generation))
    }

    /// The connection `id` names, unless it was released.
    pub(crate) fn get(&self, id: ConnId) -> Option<&Connection> {
        if id.core() != self.core_index {
            return None;
        }
        let slot = self.slots.get(id.slot() as usize)?;
        let conn = slot.conn.as_ref()?;
        (slot.generation == id.generation() && conn.phase != Phase::Released).then_some(conn)
    }

    pub(crate) fn get_mut(&mut self, id: ConnId) -> Option<&mut Connection> {
        if id.core() != self.core_index {
            return None;
        }
        let slot = self.slots.get_mut(id.slot() as usize)?;
        let conn = slot.conn.as_mut()?;
        (slot.generation == id.generation() && conn.phase != Phase::Released).then_some(conn)
    }

    /// The connection in `slot`, in any phase.
    pub(crate) fn slot_mut(&mut self, slot: u32) -> Option<&mut Connection> {
        self.slots.get_mut(slot as usize)?.conn.as_mut()
    }

    /// The current id of the connection in `slot` (meaningful unless it was released).
    pub(crate) fn id_of(&self, slot: u32) -> ConnId {
        let generation = self.slots.get(slot as usize).map_or(0, |s| s.generation);
        ConnId::new(self.core_index, slot, generation)
    }

    /// Ends the connection in `slot`: its id stops resolving and the backend is asked to tear
    /// the socket down. Returns the id it had, or `None` when it was already released.
    pub(crate) fn release(&mut self, slot: u32) -> Option<ConnId> {
        let id = self.id_of(slot);
        let entry = self.slots.get_mut(slot as usize)?;
        let conn = entry.conn.as_mut()?;
        if conn.phase == Phase::Released {
            return None;
        }
        conn.phase = Phase::Released;
        conn.held = Vec::new();
        entry.generation = entry.generation.wrapping_add(1);
        self.live -= 1;
        self.mark_dirty(slot);
        Some(id)
    }

    /// Frees a released slot whose socket the backend is done with; closes the socket, with a
    /// reset when the connection asked for one (`reset_on_close`).
    pub(crate) fn free(&mut self, slot: u32) {
        let Some(entry) = self.slots.get_mut(slot as usize) else {
            return;
        };
        debug_assert!(matches!(
            entry.conn.as_ref().map(|conn| conn.phase),
            Some(Phase::Released)
        ));
        if let Some(conn) = entry.conn.take() {
            if conn.reset_on_close {
                socket::set_reset_on_close(&conn.fd);
            }
            self.free.push(slot);
        }
    }

    /// Frees every occupied slot (shutdown: every connection was released and the backend is
    /// done with its socket).
    pub(crate) fn free_all(&mut self) {
        for slot in 0..self.slots.len() {
            if self.slots[slot].conn.is_some() {
                self.free(slot as u32);
            }
        }
    }

    /// Asks the backend to look at `slot` when the turn ends.
    pub(crate) fn mark_dirty(&mut self, slot: u32) {
        if let Some(conn) = self.slot_mut(slot) {
            if !conn.dirty {
                conn.dirty = true;
                self.dirty.push(slot);
            }
        }
    }

    pub(crate) fn has_dirty(&self) -> bool {
        !self.dirty.is_empty()
    }

    /// The dirty list, emptied; each connection's `dirty` flag is cleared as it is taken.
    pub(crate) fn take_dirty(&mut self) -> Vec<u32> {
        let dirty = std::mem::take(&mut self.dirty);
        for &slot in &dirty {
            if let Some(conn) = self.slot_mut(slot) {
                conn.dirty = false;
            }
        }
        dirty
    }

    /// Hands back the (emptied) vector `take_dirty` returned, keeping its capacity.
    pub(crate) fn return_dirty(&mut self, mut spent: Vec<u32>) {
        if self.dirty.is_empty() {
            spent.clear();
            self.dirty = spent;
        }
    }
}
