//! One server's half of a differential run: its session slots, and how an
//! [`Op`] is executed on them.

use std::time::Duration;

use ringkeeper_jute::OpCode;

use super::answer::{Answer, Token};
use super::op::{Op, RelativeZxid};
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
    /// Session slots; `None` once closed for good (at the end of a seed)
    /// or while disconnected.
    pub sessions: Vec<Option<Client>>,
    /// Per slot, while disconnected: how to resume its session.
    pub parked: Vec<Option<ConnectOptions>>,
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
        Ok(Side {
            server,
            sessions,
            parked: vec![None; count],
        })
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
        match op {
            Op::Disconnect { .. } => return self.disconnect(slot),
            Op::Reconnect { .. } => return self.reconnect(op, slot),
            Op::Pipeline { ops, .. } => return self.pipeline(ops, slot),
            _ => {}
        }
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
    /// Drops the slot's connection (the socket closes), keeping what it
    /// takes to resume the session.
    fn disconnect(&mut self, slot: usize) -> Result<Outcome, ClientError> {
        let client = self
            .sessions
            .get_mut(slot)
            .and_then(Option::take)
            .ok_or(ClientError::Closed)?;
        self.parked[slot] = Some(ConnectOptions {
            session_timeout_ms: SESSION_TIMEOUT_MS,
            ..ConnectOptions::resume(&client)
        });
        drop(client);
        Ok(Outcome {
            answer: client_side_answer("closed by the client".into()),
            events_before_reply: 0,
            new_session_id: None,
            closed_session_events: Vec::new(),
        })
    }

    /// Resumes a parked slot's session on a new connection, then sends
    /// its setWatches, if any, relative to this server's own last zxid.
    fn reconnect(&mut self, op: &Op, slot: usize) -> Result<Outcome, ClientError> {
        let Op::Reconnect { set_watches, .. } = op else {
            return Err(ClientError::Closed);
        };
        let options = self
            .parked
            .get_mut(slot)
            .and_then(Option::take)
            .ok_or(ClientError::Closed)?;
        let mut client = Client::connect(self.server.addr(), &options)?;
        let answer = match set_watches {
            None => client_side_answer(format!(
                "resumed, timeout {}",
                client.connect_response().timeout_ms
            )),
            Some(spec) => {
                let relative_zxid = match spec.relative {
                    RelativeZxid::LastSeen => options.last_zxid_seen,
                    RelativeZxid::Zero => 0,
                };
                let body = spec.body(relative_zxid);
                let reply = client.call_with_xid(
                    ringkeeper_jute::Xid::SET_WATCHES,
                    spec.op_code(),
                    Some(&RawBody(&body)),
                )?;
                Answer::from_reply(op, &reply)
            }
        };
        let events_before_reply = client.queued_events();
        self.sessions[slot] = Some(client);
        Ok(Outcome {
            answer,
            events_before_reply,
            new_session_id: None,
            closed_session_events: Vec::new(),
        })
    }

    /// Sends every op of a pipeline, then reads the replies in order; the
    /// answer lists each reply (prefixed `[i].`) with the events that had
    /// arrived before it.
    fn pipeline(&mut self, ops: &[Op], slot: usize) -> Result<Outcome, ClientError> {
        let client = self
            .sessions
            .get_mut(slot)
            .and_then(Option::as_mut)
            .ok_or(ClientError::Closed)?;
        let mut xids = Vec::with_capacity(ops.len());
        for op in ops {
            let wire = op.wire();
            let body = RawBody(&wire.body);
            let xid = match wire.reserved_xid {
                Some(xid) => {
                    client.send_with_xid(xid, wire.op_code.as_i32(), Some(&body))?;
                    xid
                }
                None => client.send(wire.op_code, Some(&body))?,
            };
            xids.push(xid);
        }
        let mut fields = Vec::new();
        let mut zxid = 0;
        for (index, (op, xid)) in ops.iter().zip(xids).enumerate() {
            let reply = client.read_reply(xid)?;
            let answer = Answer::from_reply(op, &reply);
            let label = |name: &str| format!("[{index}].{name}");
            fields.push((
                label("err"),
                Token::Text(ringkeeper_jute::error_name(answer.err).into_owned()),
            ));
            fields.push((label("zxid"), Token::Zxid(answer.zxid)));
            fields.push((
                label("eventsBefore"),
                Token::Text(client.queued_events().to_string()),
            ));
            for (name, token) in answer.fields {
                fields.push((label(&name), token));
            }
            zxid = answer.zxid;
        }
        Ok(Outcome {
            answer: Answer {
                err: 0,
                zxid,
                fields,
            },
            events_before_reply: client.queued_events(),
            new_session_id: None,
            closed_session_events: Vec::new(),
        })
    }

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

/// The answer to an op no server replies to (a disconnect, a reconnect's
/// handshake): what the client did.
fn client_side_answer(what: String) -> Answer {
    Answer {
        err: 0,
        zxid: 0,
        fields: vec![("connection".into(), Token::Text(what))],
    }
}

/// A request body already encoded.
struct RawBody<'a>(&'a [u8]);

impl ringkeeper_jute::frame::Encode for RawBody<'_> {
    fn encode_into(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.0);
    }
}
