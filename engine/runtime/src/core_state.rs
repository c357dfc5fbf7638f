//! Everything a core owns besides its backend and its service: the connection table, the
//! clock reading of the turn, mail senders and the lists the core loop works through.

use crate::conn_id::CloseReason;
use crate::connection::{ConnTable, Phase};
use crate::mailbox::MailSender;
use crate::stats::Counters;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub(crate) struct CoreState<M> {
    pub core_index: usize,
    pub cores: usize,
    /// The clock, read once per turn (after the wait).
    pub now: Instant,
    pub conns: ConnTable,
    pub mailboxes: Arc<[MailSender<M>]>,
    pub send_buffer_bytes_max: usize,
    pub connections_max: usize,
    pub close_flush_timeout: Duration,
    /// Resumed connections with held bytes to deliver.
    pub held_ready: Vec<u32>,
    /// Connections in `Phase::Closing`.
    pub closing: Vec<u32>,
    /// Connections a backend found broken outside of event dispatch (while flushing).
    pub ended: Vec<(u32, CloseReason)>,
    pub counters: Arc<Counters>,
}

impl<M> CoreState<M> {
    /// Whether the next wait must not sleep: work is ready without any new event.
    pub(crate) fn has_ready_work(&mut self) -> bool {
        if self.conns.has_dirty() || !self.held_ready.is_empty() || !self.ended.is_empty() {
            return true;
        }
        let conns = &mut self.conns;
        self.closing.iter().any(|&slot| {
            conns.slot_mut(slot).is_some_and(|conn| {
                conn.phase == Phase::Released
                    || (conn.out.is_empty() && !conn.backend.send_in_flight)
            })
        })
    }

    /// The earliest flush deadline of a closing connection.
    pub(crate) fn next_close_deadline(&mut self) -> Option<Instant> {
        let conns = &mut self.conns;
        self.closing
            .iter()
            .filter_map(|&slot| match conns.slot_mut(slot)?.phase {
                Phase::Closing { deadline } => Some(deadline),
                _ => None,
            })
            .min()
    }
}
