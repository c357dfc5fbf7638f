//! One core's loop: wait for events, dispatch them to the service, then mail, held bytes,
//! ticks, closes, `on_turn_end`, and finally the backend's flush (whose sends reach the kernel
//! with the next wait: one submission per turn on io_uring).

use crate::backend::{Backend, Event};
use crate::conn_id::CloseReason;
use crate::connection::Phase;
use crate::core_state::CoreState;
use crate::io::Io;
use crate::mailbox::Mailbox;
use crate::service::Service;
use crate::socket;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// At shutdown, how long a core waits for the kernel to finish the operations in flight.
pub(crate) const SHUTDOWN_DRAIN_TIMEOUT_MS: u64 = 2_000;

pub(crate) struct CoreLoop<'a, S: Service, B: Backend> {
    // Field order matters when a service panics: the backend drops first (and waits for the
    // kernel to finish with every buffer) before the state holding the out queues.
    pub backend: B,
    pub service: S,
    pub state: CoreState<S::Mail>,
    pub mailbox: Mailbox<S::Mail>,
    pub shutdown: &'a AtomicBool,
    pub tick_interval: Duration,
}

impl<S: Service, B: Backend> CoreLoop<'_, S, B> {
    /// Runs until shutdown is asked for or the backend fails; either way every connection is
    /// closed (`on_closed(Shutdown)`) and the backend drained before this returns.
    pub(crate) fn run(mut self) -> io::Result<()> {
        let result = self.turns();
        self.stop();
        result
    }

    fn turns(&mut self) -> io::Result<()> {
        let CoreLoop {
            backend,
            service,
            state,
            mailbox,
            shutdown,
            tick_interval,
        } = self;
        let mut next_tick = state.now + *tick_interval;
        let mut timeout = Duration::ZERO;
        loop {
            backend.wait(state, timeout, &mut |state, event| {
                dispatch(service, state, event)
            })?;
            state.now = Instant::now();
            process_ended(service, state);
            mailbox.drain(|mail| service.on_mail(&mut Io { state: &mut *state }, mail));
            deliver_held(service, state);
            if state.now >= next_tick {
                service.on_tick(&mut Io { state: &mut *state });
                next_tick += *tick_interval;
                if next_tick <= state.now {
                    // The core fell behind: skip the missed ticks rather than bunch them.
                    next_tick = state.now + *tick_interval;
                }
            }
            check_closing(service, state);
            service.on_turn_end(&mut Io { state: &mut *state });
            backend.flush(state);
            process_ended(service, state);
            if shutdown.load(Ordering::SeqCst) {
                return Ok(());
            }
            timeout = if state.has_ready_work() {
                Duration::ZERO
            } else {
                let wake_at = state
                    .next_close_deadline()
                    .map_or(next_tick, |deadline| deadline.min(next_tick));
                wake_at.saturating_duration_since(state.now)
            };
        }
    }

    fn stop(&mut self) {
        let CoreLoop {
            backend,
            service,
            state,
            ..
        } = self;
        let slots: Vec<u32> = state.conns.occupied().collect();
        for slot in slots {
            release(service, state, slot, CloseReason::Shutdown);
        }
        state.ended.clear();
        backend.flush(state);
        let deadline = Instant::now() + Duration::from_millis(SHUTDOWN_DRAIN_TIMEOUT_MS);
        backend.drain(state, deadline);
    }
}

fn dispatch<S: Service>(service: &mut S, state: &mut CoreState<S::Mail>, event: Event<'_>) {
    match event {
        Event::Accepted { fd, peer } => {
            if state.conns.live() >= state.connections_max {
                state.counters.count_rejected();
                drop(fd);
                return;
            }
            socket::set_nodelay(&fd);
            let (slot, id) = state.conns.insert(fd, peer);
            state.counters.count_accepted();
            state.conns.mark_dirty(slot);
            if !service.on_accept(&mut Io { state: &mut *state }, id, peer)
                && state.conns.release(slot).is_some()
            {
                state.counters.count_closed();
            }
        }
        Event::Received { slot, bytes } => {
            let Some(conn) = state.conns.slot_mut(slot) else {
                return;
            };
            if conn.phase != Phase::Open {
                // Closing or closed: input is drained and dropped.
                return;
            }
            if conn.paused || !conn.held.is_empty() {
                conn.held.extend_from_slice(bytes);
                return;
            }
            let id = state.conns.id_of(slot);
            service.on_recv(&mut Io { state }, id, bytes);
        }
        Event::Ended { slot, reason } => release(service, state, slot, reason),
    }
}

/// Ends the connection in `slot` (unless it already ended) and tells the service.
fn release<S: Service>(
    service: &mut S,
    state: &mut CoreState<S::Mail>,
    slot: u32,
    reason: CloseReason,
) {
    if let Some(id) = state.conns.release(slot) {
        state.counters.count_closed();
        service.on_closed(&mut Io { state }, id, reason);
    }
}

fn process_ended<S: Service>(service: &mut S, state: &mut CoreState<S::Mail>) {
    while let Some((slot, reason)) = state.ended.pop() {
        release(service, state, slot, reason);
    }
}

/// Delivers the bytes held while a connection was paused, now that it was resumed.
fn deliver_held<S: Service>(service: &mut S, state: &mut CoreState<S::Mail>) {
    for slot in std::mem::take(&mut state.held_ready) {
        let Some(conn) = state.conns.slot_mut(slot) else {
            continue;
        };
        if conn.phase != Phase::Open || conn.paused || conn.held.is_empty() {
            continue;
        }
        let held = std::mem::take(&mut conn.held);
        let id = state.conns.id_of(slot);
        service.on_recv(&mut Io { state: &mut *state }, id, &held);
    }
}

/// Releases closing connections whose queue was flushed, and resets those past their deadline.
fn check_closing<S: Service>(service: &mut S, state: &mut CoreState<S::Mail>) {
    let mut closing = std::mem::take(&mut state.closing);
    let mut finished = Vec::new();
    closing.retain(|&slot| {
        let Some(conn) = state.conns.slot_mut(slot) else {
            return false;
        };
        let Phase::Closing { deadline } = conn.phase else {
            return false;
        };
        if conn.out.is_empty() && !conn.backend.send_in_flight {
            finished.push((slot, CloseReason::ClosedByService));
            false
        } else if state.now >= deadline {
            conn.reset_on_close = true;
            finished.push((slot, CloseReason::FlushTimedOut));
            false
        } else {
            true
        }
    });
    // Callbacks below may close more connections: they land in `state.closing`.
    closing.append(&mut state.closing);
    state.closing = closing;
    for (slot, reason) in finished {
        release(service, state, slot, reason);
    }
}
