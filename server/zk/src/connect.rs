//! The handshake: ZooKeeper's `processConnectRequest`, `createSession`,
//! `reopenSession` and `finishSessionInit`.
//!
//! Verified against Apache ZooKeeper 3.8.0 (see the tests):
//! - a client that has seen a zxid ahead of ours is closed without reply;
//! - a new session costs a createSession txn (a zxid) before the answer;
//! - resuming a session first closes any other connection of it, even if
//!   the password then turns out wrong;
//! - a wrong password, an unknown or a closing session is answered with
//!   timeout 0, session 0 and 16 zero bytes of password, then closed;
//! - the read-only byte is appended only if the client sent one.

use ringkeeper_jute::{ConnectRequest, ConnectResponse, Jute, SESSION_PASSWORD_LEN};

use crate::outbox::{ConnKey, Outbox};
use crate::pipeline::Origin;
use crate::server::ZkServer;

/// What became of a handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectOutcome {
    /// The response is in the outbox; requests may follow.
    Accepted { session_id: i64 },
    /// The response (timeout 0) is in the outbox, then the close.
    Refused,
    /// Closed without a response.
    Dropped,
}

impl ZkServer {
    pub fn connect(
        &mut self,
        conn: ConnKey,
        request: &ConnectRequest,
        client_sent_read_only: bool,
        now_ms: u64,
        out: &mut Outbox,
    ) -> ConnectOutcome {
        self.now_ms = now_ms;
        if !self.connections.contains_key(&conn) {
            return ConnectOutcome::Dropped;
        }
        if request.last_zxid_seen > self.last_processed_zxid {
            self.close_connection(conn, out);
            return ConnectOutcome::Dropped;
        }
        let timeout_ms = self.sessions.negotiate_timeout_ms(request.timeout_ms);
        let timeout_wire = i32::try_from(timeout_ms).unwrap_or(i32::MAX);
        if request.session_id == 0 {
            let Ok(session_id) = self.sessions.create_session(timeout_ms, now_ms) else {
                // sessions_max reached: the client may retry elsewhere.
                self.close_connection(conn, out);
                return ConnectOutcome::Dropped;
            };
            let txn = self.prep_create_session(session_id, timeout_wire, now_ms);
            if self.is_deferred() {
                // The ConnectResponse goes out once the createSession txn
                // is durable; requests sent before then wait behind it.
                self.bind_session(conn, session_id, timeout_ms);
                let origin = Origin::Handshake {
                    conn,
                    timeout_ms: timeout_wire,
                    client_sent_read_only,
                };
                self.defer_txn(txn, origin);
                return ConnectOutcome::Accepted { session_id };
            }
            self.apply(&txn, out);
            return self.accept_session(conn, session_id, timeout_ms, client_sent_read_only, out);
        }
        let session_id = request.session_id;
        if let Some(&previous) = self.session_connections.get(&session_id) {
            if previous != conn {
                self.close_connection(previous, out);
            }
        }
        let valid = self.sessions.check_password(session_id, &request.password)
            && self.sessions.exists(session_id)
            && !self.sessions.is_closing(session_id);
        if !valid {
            self.send_connect_response(
                conn,
                0,
                0,
                vec![0; SESSION_PASSWORD_LEN],
                client_sent_read_only,
                out,
            );
            self.close_connection(conn, out);
            return ConnectOutcome::Refused;
        }
        self.sessions.set_timeout(session_id, timeout_ms);
        self.sessions.touch(session_id, now_ms);
        self.accept_session(conn, session_id, timeout_ms, client_sent_read_only, out)
    }

    /// Binds `conn` to `session_id` and answers its handshake.
    fn accept_session(
        &mut self,
        conn: ConnKey,
        session_id: i64,
        timeout_ms: u32,
        client_sent_read_only: bool,
        out: &mut Outbox,
    ) -> ConnectOutcome {
        self.bind_session(conn, session_id, timeout_ms);
        let timeout_wire = i32::try_from(timeout_ms).unwrap_or(i32::MAX);
        self.send_session_accepted(conn, timeout_wire, session_id, client_sent_read_only, out);
        ConnectOutcome::Accepted { session_id }
    }

    /// The ConnectResponse of a live session: `timeout_ms`, its id and its
    /// password.
    pub(crate) fn send_session_accepted(
        &mut self,
        conn: ConnKey,
        timeout_ms: i32,
        session_id: i64,
        client_sent_read_only: bool,
        out: &mut Outbox,
    ) {
        let password = self.sessions.password(session_id).to_vec();
        self.send_connect_response(
            conn,
            timeout_ms,
            session_id,
            password,
            client_sent_read_only,
            out,
        );
    }

    fn send_connect_response(
        &mut self,
        conn: ConnKey,
        timeout_ms: i32,
        session_id: i64,
        password: Vec<u8>,
        client_sent_read_only: bool,
        out: &mut Outbox,
    ) {
        let response = ConnectResponse {
            protocol_version: 0,
            timeout_ms,
            session_id,
            password,
            read_only: false,
        };
        if let Some(connection) = self.connections.get_mut(&conn) {
            connection.stats.packets_sent += 1;
        }
        self.counters.packets_sent += 1;
        out.push_frame(conn, |out| {
            response.encode(out);
            if !client_sent_read_only {
                // Old clients get no read-only byte (ConnectResponse
                // always encodes it last).
                out.pop();
            }
        });
    }
}
