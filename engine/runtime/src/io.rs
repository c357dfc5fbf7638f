//! `Io`: what a service may do from inside a callback. Everything it does is recorded in the
//! core's state and performed by the backend when the turn ends.

use crate::conn_id::ConnId;
use crate::connection::Phase;
use crate::core_state::CoreState;
use crate::mailbox::MailSender;
use std::fmt;
use std::net::SocketAddr;
use std::time::Instant;

/// The service's handle on its core, passed to every `Service` callback.
pub struct Io<'a, M> {
    pub(crate) state: &'a mut CoreState<M>,
}

/// Why `Io::send` refused bytes (nothing was queued).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum SendError {
    /// The id names no open connection of this core (closed, or owned by another core).
    NotConnected,
    /// `Io::close` was called on the connection.
    Closing,
    /// Queued-but-unsent bytes would exceed `send_buffer_bytes_max`: pause the sender (for
    /// example stop reading the connection's requests) and retry after the queue drains.
    SendBufferFull,
    /// The message alone is larger than `send_buffer_bytes_max`: it can never be queued.
    MessageTooLarge,
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SendError::NotConnected => "no such open connection on this core",
            SendError::Closing => "the connection is closing",
            SendError::SendBufferFull => {
                "the connection's send buffer is full (send_buffer_bytes_max)"
            }
            SendError::MessageTooLarge => "the message is larger than send_buffer_bytes_max",
        })
    }
}

impl std::error::Error for SendError {}

impl<M: Send + 'static> Io<'_, M> {
    pub fn core_index(&self) -> usize {
        self.state.core_index
    }

    pub fn cores(&self) -> usize {
        self.state.cores
    }

    /// The engine's clock, read once per loop turn: every callback of a turn sees one instant.
    pub fn now(&self) -> Instant {
        self.state.now
    }

    /// Copies `bytes` into the connection's send queue; the engine sends it when the turn ends
    /// (one send per connection per turn), continuing over later turns after partial sends.
    pub fn send(&mut self, conn: ConnId, bytes: &[u8]) -> Result<(), SendError> {
        let max_bytes = self.state.send_buffer_bytes_max;
        let Some(connection) = self.state.conns.get_mut(conn) else {
            return Err(SendError::NotConnected);
        };
        if connection.phase != Phase::Open {
            return Err(SendError::Closing);
        }
        if bytes.len() > max_bytes {
            return Err(SendError::MessageTooLarge);
        }
        if connection.out.len() + bytes.len() > max_bytes {
            return Err(SendError::SendBufferFull);
        }
        if bytes.is_empty() {
            return Ok(());
        }
        connection.out.push(bytes);
        self.state.conns.mark_dirty(conn.slot());
        Ok(())
    }

    /// Bytes queued on the connection and not yet taken by the kernel (0 for an unknown id).
    pub fn send_queued_bytes(&self, conn: ConnId) -> usize {
        self.state.conns.get(conn).map_or(0, |c| c.out.len())
    }

    /// The per-connection send queue limit.
    pub fn send_buffer_bytes_max(&self) -> usize {
        self.state.send_buffer_bytes_max
    }

    /// Closes gracefully: no more `on_recv` for it and no more sends accepted; the queued
    /// bytes are flushed (within `close_flush_timeout_ms`, else the peer is reset), then
    /// `on_closed(ClosedByService)` (or `FlushTimedOut`) is called. Unknown ids are ignored.
    pub fn close(&mut self, conn: ConnId) {
        let deadline = self.state.now + self.state.close_flush_timeout;
        let Some(connection) = self.state.conns.get_mut(conn) else {
            return;
        };
        if connection.phase != Phase::Open {
            return;
        }
        connection.phase = Phase::Closing { deadline };
        connection.held = Vec::new();
        self.state.closing.push(conn.slot());
        self.state.conns.mark_dirty(conn.slot());
    }

    /// Stops `on_recv` for the connection until `resume_recv`. The backend stops receiving
    /// from the socket (so the peer's bytes wait in the kernel and TCP pushes back); bytes
    /// already received are held, in order, and delivered after the resume.
    pub fn pause_recv(&mut self, conn: ConnId) {
        if let Some(connection) = self.state.conns.get_mut(conn) {
            if !connection.paused {
                connection.paused = true;
                self.state.conns.mark_dirty(conn.slot());
            }
        }
    }

    pub fn resume_recv(&mut self, conn: ConnId) {
        if let Some(connection) = self.state.conns.get_mut(conn) {
            if connection.paused {
                connection.paused = false;
                if !connection.held.is_empty() {
                    self.state.held_ready.push(conn.slot());
                }
                self.state.conns.mark_dirty(conn.slot());
            }
        }
    }

    pub fn is_recv_paused(&self, conn: ConnId) -> bool {
        self.state.conns.get(conn).is_some_and(|c| c.paused)
    }

    /// A sender into `core`'s mailbox. Panics when `core >= cores()` (a programmer error).
    pub fn mailbox(&self, core: usize) -> MailSender<M> {
        assert!(
            core < self.state.cores,
            "mailbox({core}): the engine has {} cores",
            self.state.cores
        );
        self.state.mailboxes[core].clone()
    }

    /// The peer's address, while the connection is open or closing.
    pub fn peer_addr(&self, conn: ConnId) -> Option<SocketAddr> {
        self.state.conns.get(conn).map(|c| c.peer)
    }

    /// Whether `conn` names an open (not closing, not closed) connection of this core.
    pub fn is_open(&self, conn: ConnId) -> bool {
        self.state
            .conns
            .get(conn)
            .is_some_and(|c| c.phase == Phase::Open)
    }

    /// Connections of this core that are open or closing.
    pub fn connection_count(&self) -> usize {
        self.state.conns.live()
    }
}
