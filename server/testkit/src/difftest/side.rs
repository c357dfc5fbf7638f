//! One server's half of a differential run: its session slots, and how an
//! [`Op`] is executed on them.

use std::time::Duration;

use ringkeeper_jute::OpCode;

use super::answer::Answer;
use super::op::Op;
use crate::client::{Client, ClientError, ConnectOptions, WatchEvent};
use crate::server::TestServer;

/// Session timeout asked for: long enough that no session expires during
/// a run (every step pings every session), short enough for ZooKeeper's
/// default tickTime (at most 20 ticks = 40 s).
pub const SESSION_TIMEOUT_MS: i32 = 30_000;

/// Late events read per session slot in one grace period.
pub const LATE_EVENTS_MAX: usize = 1_000;

/// What one server did for one op.
#[derive(Debug)]
pub struct Outcome {
    pub answer: Answer,
    /// Events the acting session had received when the reply arrived.
    pub events_before_reply: usize,
    /// After closeSession: the id of the session that took the slot.
    pub new_session_id: Option<i64>,
    /// After closeSession: events the closed session received before its reply.
    pub closed_session_events: Vec<WatchEvent>,
}

pub struct Side<'s> {
    pub server: &'s TestServer,
    /// Session slots; `None` once closed for good (at the end of a seed).
    pub sessions: Vec<Option<Client>>,
}

fn connect(server: &TestServer) -> Result<Client, ClientError> {
    let options = ConnectOptions {
        session_timeout_ms: SESSION_TIMEOUT_MS,
        ..ConnectOptions::default()
    };
    Client::connect(server.addr(), &options)
}

impl<'s> Side<'s> {
    /// Opens `count` sessions, in slot order.
    pub fn open(server: &'s TestServer, count: usize) -> Result<Side<'s>, ClientError> {
        let sessions = (0..count)
            .map(|_| connect(server).map(Some))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Side { server, sessions })
    }

    /// The session id in each slot (0 for a closed slot).
    pub fn session_ids(&self) -> Vec<i64> {
        self.sessions
            .iter()
            .map(|client| client.as_ref().map_or(0, Client::session_id))
            .collect()
    }

    /// Sends `op` from its session slot and reads the reply. After a
    /// closeSession, a new session takes the slot when `reopen` is set.
    pub fn execute(&mut self, op: &Op, reopen: bool) -> Result<Outcome, ClientError> {
        let slot = op.session();
        let Some(client) = self.sessions.get_mut(slot).and_then(Option::as_mut) else {
            return Err(ClientError::Closed);
        };
        let wire = op.wire();
        let body: &dyn ringkeeper_jute::frame::Encode = &RawBody(&wire.body);
        let resume = ConnectOptions {
            session_timeout_ms: SESSION_TIMEOUT_MS,
            ..ConnectOptions::resume(client)
        };
        let result = match wire.reserved_xid {
            Some(xid) => client.call_with_xid(xid, wire.op_code, Some(body)),
            None => client.call(wire.op_code, Some(body)),
        };
        let answer = match result {
            Ok(reply) => Answer::from_reply(op, &reply),
            // The server dropped the connection instead of answering: that
            // is its answer. The session lives on; resume it, as a client
            // would (the connection's watches are gone on both servers).
            Err(ClientError::Closed) if wire.op_code != OpCode::CloseSession => {
                let resumed = Client::connect(self.server.addr(), &resume)?;
                self.sessions[slot] = Some(resumed);
                return Ok(Outcome {
                    answer: Answer::connection_closed(),
                    events_before_reply: 0,
                    new_session_id: None,
                    closed_session_events: Vec::new(),
                });
            }
            Err(error) => return Err(error),
        };
        let mut outcome = Outcome {
            answer,
            events_before_reply: 0,
            new_session_id: None,
            closed_session_events: Vec::new(),
        };
        if wire.op_code == OpCode::CloseSession {
            outcome.closed_session_events = client.take_events();
            self.sessions[slot] = None;
            if reopen {
                let fresh = connect(self.server)?;
                outcome.new_session_id = Some(fresh.session_id());
                self.sessions[slot] = Some(fresh);
            }
        } else {
            outcome.events_before_reply = client.queued_events();
        }
        Ok(outcome)
    }

    /// Pings every session, so every event the step caused has arrived,
    /// and returns each slot's events. (A ping goes through ZooKeeper's
    /// request pipeline behind the step's txn, and a session's events are
    /// queued on its connection before the ping's reply.)
    pub fn barrier(&mut self) -> Result<Vec<Vec<WatchEvent>>, ClientError> {
        let mut events = Vec::with_capacity(self.sessions.len());
        for client in &mut self.sessions {
            match client {
                Some(client) => {
                    client.ping()?;
                    events.push(client.take_events());
                }
                None => events.push(Vec::new()),
            }
        }
        Ok(events)
    }
}

impl Side<'_> {
    /// Adds to each slot's events those that arrive within `grace` (at
    /// most [`LATE_EVENTS_MAX`] per slot).
    pub fn collect_late_events(
        &mut self,
        events: &mut [Vec<WatchEvent>],
        grace: Duration,
    ) -> Result<(), ClientError> {
        for (client, slot_events) in self.sessions.iter_mut().zip(events.iter_mut()) {
            let Some(client) = client else { continue };
            for _ in 0..LATE_EVENTS_MAX {
                match client.next_event(grace)? {
                    Some(event) => slot_events.push(event),
                    None => break,
                }
            }
        }
        Ok(())
    }
}

/// A request body already encoded.
struct RawBody<'a>(&'a [u8]);

impl ringkeeper_jute::frame::Encode for RawBody<'_> {
    fn encode_into(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.0);
    }
}
