//! What a received frame means: the handshake's answer, a reply matched
//! to the head of the session's in-flight queue, a notification or a ping.

use super::{Phase, Worker, REPLY_HEADER_BYTES};
use crate::session::{Request, SessionState};
use crate::workload::OpKind;
use ringkeeper_jute::{
    error_name, ConnectResponse, CreateResponse, ErrorCode, Jute, Reader, ReplyHeader, Stat, Xid,
};
use std::sync::atomic::Ordering;

impl Worker {
    pub(super) fn handle_frame(&mut self, index: usize, payload: &[u8], now_ns: u64) -> bool {
        if self.sessions[index].state == SessionState::Handshaking {
            return self.handle_connect_response(index, payload, now_ns);
        }
        let Some(header) = payload
            .get(..REPLY_HEADER_BYTES)
            .and_then(|bytes| ReplyHeader::from_bytes(bytes).ok())
        else {
            self.drop_connection(index, "MALFORMED_REPLY", now_ns);
            return false;
        };
        let body = &payload[REPLY_HEADER_BYTES..];
        let session = &mut self.sessions[index];
        if header.zxid > session.last_zxid_seen {
            session.last_zxid_seen = header.zxid;
        }
        match header.xid {
            Xid::NOTIFICATION => {
                self.stats.notifications += 1;
                return true;
            }
            Xid::PING => return true,
            _ => {}
        }
        let Some(in_flight) = session
            .in_flight
            .pop_front()
            .filter(|f| f.xid == header.xid)
        else {
            // Replies come in request order; anything else is a broken server.
            self.drop_connection(index, "XID_MISMATCH", now_ns);
            return false;
        };
        match in_flight.request {
            Request::Close => {
                session.closed_cleanly = true;
                self.stats.sessions_closed_cleanly += 1;
                self.drop_connection(index, "", now_ns);
                return false;
            }
            Request::Cleanup => {}
            Request::Op(kind) => {
                self.ops_in_flight = self.ops_in_flight.saturating_sub(1);
                let latency_ns = now_ns.saturating_sub(in_flight.start_ns);
                // A running mean with weight 1/64 per op, for batched waits.
                self.latency_mean_ns = (self.latency_mean_ns * 63 + latency_ns) / 64;
                let measured =
                    in_flight.start_ns >= self.measure_start_ns && now_ns <= self.measure_end_ns;
                if header.err == 0 {
                    match reply_path(kind, body) {
                        Ok(Some(path)) => session.remember_created(path, kind == OpKind::Ephemeral),
                        Ok(None) => {}
                        Err(()) => {
                            self.drop_connection(index, "MALFORMED_REPLY", now_ns);
                            return false;
                        }
                    }
                    if measured {
                        self.stats.record_latency(kind, latency_ns);
                    }
                    if self.phase == Phase::Load {
                        self.interval.ops += 1;
                        self.interval
                            .latency_ns
                            .saturating_record(latency_ns.max(1));
                    }
                } else {
                    if measured {
                        self.stats.count_error(&error_name(header.err));
                    }
                    if header.err == ErrorCode::SessionExpired.as_i32() {
                        self.stats.session_expiries += 1;
                        session.forget_session();
                        self.drop_connection(index, "", now_ns);
                        return false;
                    }
                }
            }
        }
        // After the reply is counted; an acknowledged write is logged (a
        // multi's results are decoded only here).
        if let Some(log) = &mut self.ack_log {
            if log
                .on_reply(index, header.xid, header.zxid, header.err, body)
                .is_err()
            {
                self.drop_connection(index, "MALFORMED_REPLY", now_ns);
                return false;
            }
        }
        self.on_slots_free(index, now_ns);
        true
    }

    pub(super) fn handle_connect_response(
        &mut self,
        index: usize,
        payload: &[u8],
        now_ns: u64,
    ) -> bool {
        let session = &mut self.sessions[index];
        let response = match ConnectResponse::from_bytes(payload) {
            Ok(response) => response,
            Err(_) => {
                session.failure = Some("malformed ConnectResponse".into());
                self.drop_connection(index, "MALFORMED_CONNECT_RESPONSE", now_ns);
                return false;
            }
        };
        if response.timeout_ms <= 0 {
            if session.session_id != 0 {
                // Resuming an expired session: start a new one.
                self.stats.session_expiries += 1;
                session.forget_session();
                session.connect_attempts = 0;
            } else {
                session.failure = Some(
                    "the server refused the handshake (ConnectResponse with timeout 0)".into(),
                );
                self.stats.count_error("HANDSHAKE_REFUSED");
            }
            self.drop_connection(index, "", now_ns);
            return false;
        }
        session.session_id = response.session_id;
        session.password = response.password;
        session.negotiated_timeout_ms = response.timeout_ms as u32;
        session.state = SessionState::Ready;
        session.connect_attempts = 0;
        session.failure = None;
        session.last_recv_ns = now_ns;
        self.stats
            .connect_ns
            .saturating_record(now_ns.saturating_sub(session.connect_started_ns).max(1));
        if !session.ever_connected {
            session.ever_connected = true;
            self.stats.sessions_connected += 1;
        }
        self.shared.sessions_ready.fetch_add(1, Ordering::AcqRel);
        self.on_slots_free(index, now_ns);
        true
    }
}

/// The created path of a successful create; checks that other replies
/// carry a well-formed body (`Err` when not).
fn reply_path(kind: OpKind, body: &[u8]) -> Result<Option<String>, ()> {
    let mut reader = Reader::new(body);
    let well_formed = match kind {
        OpKind::Create | OpKind::Ephemeral => {
            return CreateResponse::from_bytes(body)
                .map(|r| Some(r.path))
                .map_err(|_| ());
        }
        // No body to check: delete answers with none, multi with results
        // loadgen does not look at.
        OpKind::Delete | OpKind::Multi => return Ok(None),
        OpKind::Get => {
            reader.read_buffer_ref("GetDataResponse.data").is_ok()
                && Stat::decode(&mut reader).is_ok()
        }
        OpKind::Set | OpKind::Exists => Stat::decode(&mut reader).is_ok(),
        OpKind::Children => reader
            .read_vector("GetChildrenResponse.children", 4, |r| {
                r.read_ustring_ref("child").map(|_| ())
            })
            .is_ok(),
    };
    if well_formed && reader.remaining() == 0 {
        Ok(None)
    } else {
        Err(())
    }
}
