//! ringkeeper's thread-per-core I/O engine: N core threads, each owning one io_uring (or one
//! epoll instance), the client connections it accepted, a timer tick and a bounded mailbox.
//! A protocol plugs in one [`Service`] per core (built by a [`ServiceFactory`] on the core's
//! thread); the engine moves bytes and knows nothing of ZooKeeper. It must not parse, frame
//! or interpret the bytes, and it never shares a connection between cores.
//!
//! # A core's turn
//!
//! ```text
//! wait (io_uring_enter / epoll_wait, until an event, the next tick or a close deadline)
//!   -> on_accept / on_recv / on_closed for each completion, in kernel order
//!   -> on_mail for the mailbox's contents      -> held bytes of resumed connections
//!   -> on_tick when due                        -> closes whose queue drained (on_closed)
//!   -> on_turn_end                             -> flush: one send per connection with queued
//!                                                 bytes, recv armed/cancelled per pause state
//! ```
//!
//! Everything a callback does through [`Io`] is recorded and performed at the flush; on
//! io_uring the flush's entries reach the kernel with the next wait (one syscall per turn).
//!
//! # Accepting: one SO_REUSEPORT listener per core
//!
//! Every core binds its own listener to the same address with SO_REUSEPORT and arms a
//! multishot accept (io_uring) or watches it (epoll); the kernel spreads connections across
//! the cores by hash, with no cross-core hand-off. (A single listener with a multishot accept
//! per core would wake the same core for every connection.) Because SO_REUSEPORT would let a
//! second server of the same user share a fixed port silently, `Engine::start` first checks
//! the port with a plain bind and fails with EADDRINUSE when anything listens there.
//! Limits are per core: a core already at `connections_per_core_max` closes a new connection
//! at once and counts it (`EngineStats::connections_rejected`).
//!
//! # The backend seam
//!
//! The core loop (`core_loop.rs`) owns the connection table and calls the service; a backend
//! (`backend.rs`: the `Backend` trait with `wait`, `flush`, `drain`) only moves bytes and
//! reports `Event`s. `IoUringBackend` (`uring/`) and `EpollBackend` (`epoll.rs`) implement
//! it; a deterministic simulated backend can implement the same three calls. The clock also
//! enters through the loop: [`Io::now`] is read once per turn.
//! [`BackendChoice::Auto`] probes io_uring (setup flags, EXT_ARG, opcodes, buffer ring,
//! registered files) and falls back to epoll with one warning line naming the error; the
//! environment variable `RINGKEEPER_IO_BACKEND=io_uring|epoll` overrides `Auto`. The
//! io_uring backend's provided-buffer ring, [`BufferRing`], is public: loadgen's workers
//! receive through the same one.
//!
//! # Limits (each named, each with a clear error)
//!
//! `connections_per_core_max` (excess connections closed and counted),
//! `send_buffer_bytes_max` ([`SendError::SendBufferFull`]), `mailbox_capacity`
//! ([`MailboxFull`]), `close_flush_timeout_ms` (a peer that does not read is reset,
//! [`CloseReason::FlushTimedOut`]), the provided buffer ring (`recv_buffer_count` x
//! `recv_buffer_bytes`; when it runs dry the kernel ends the multishot recv with ENOBUFS and
//! the engine re-arms it). Pausing a connection stops receiving from its socket, so the peer
//! is pushed back by TCP and at most one buffer ring's worth of bytes is ever held for it.
//! Every connection is a file descriptor: [`raise_open_files_limit`] lifts RLIMIT_NOFILE to
//! its hard limit, for the processes that hold many (the server, loadgen), before they start.

mod backend;
mod config;
mod conn_id;
mod connection;
mod core_loop;
mod core_state;
mod engine;
mod epoll;
mod io;
mod mailbox;
mod open_files;
mod out_queue;
mod service;
mod socket;
mod stats;
mod uring;

pub use config::{
    BackendChoice, BackendKind, EngineConfig, CONNECTIONS_PER_CORE_LIMIT, CORES_MAX,
    IO_BACKEND_ENV, MAILBOX_CAPACITY_MAX, RECV_BUFFER_BYTES_MAX, RECV_BUFFER_COUNT_MAX,
};
pub use conn_id::{CloseReason, ConnId};
pub use engine::Engine;
pub use io::{Io, SendError};
pub use mailbox::{MailSender, MailboxFull};
pub use open_files::raise_open_files_limit;
pub use service::{CoreContext, Service, ServiceFactory};
pub use socket::ADDRESS_IN_USE_WAIT_MS;
pub use stats::EngineStats;
pub use uring::BufferRing;
