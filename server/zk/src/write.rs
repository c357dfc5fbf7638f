//! A client's write request end to end: prep -> (log) -> apply -> reply,
//! the reply built as ZooKeeper's `FinalRequestProcessor` builds it. In
//! the deferred mode the txn waits for the log after prep, and apply and
//! reply happen at its commit (`deferred.rs`).

use ringkeeper_jute::{
    Create2Response, CreateResponse, ErrorCode, MultiResponse, MultiResult, OpCode, ReplyHeader,
    RequestHeader, SetAclResponse, SetDataResponse,
};

use crate::apply::TxnResult;
use crate::outbox::{ConnKey, Outbox};
use crate::pipeline::Origin;
use crate::request::WriteRequest;
use crate::server::ZkServer;
use crate::txn::Txn;

impl ZkServer {
    #[allow(clippy::too_many_arguments)] // one request's whole context
    pub(crate) fn process_write(
        &mut self,
        conn: ConnKey,
        session_id: i64,
        header: &RequestHeader,
        op_code: OpCode,
        request: Result<WriteRequest, ()>,
        now_ms: u64,
        out: &mut Outbox,
    ) {
        let txn = self.prep_as(Some(conn), session_id, header.xid, request, now_ms);
        // Applied and answered now, or once the txn log made it durable.
        let origin = Origin::Reply {
            conn,
            xid: header.xid,
            op_code,
        };
        self.submit_txn(txn, origin, now_ms, out);
    }

    /// The reply to a write whose txn was applied.
    pub(crate) fn reply_to_write(
        &mut self,
        conn: ConnKey,
        xid: i32,
        op_code: OpCode,
        txn: &Txn,
        result: &TxnResult,
        out: &mut Outbox,
    ) {
        let err = ErrorCode::from_i32(result.err).unwrap_or(ErrorCode::SystemError);
        let reply = self.reply_header(xid, err);
        if txn.op_code() == Some(OpCode::Error) || result.err != 0 && op_code != OpCode::Multi {
            return self.finish_request(conn, op_code, &reply, None, out);
        }
        let stat = || result.stat.clone().unwrap_or_default();
        match op_code {
            OpCode::Create => {
                let body = CreateResponse {
                    path: result.path.clone(),
                };
                self.finish_request(conn, op_code, &reply, Some(&body), out);
            }
            OpCode::Create2 | OpCode::CreateTtl | OpCode::CreateContainer => {
                let body = Create2Response {
                    path: result.path.clone(),
                    stat: stat(),
                };
                self.finish_request(conn, op_code, &reply, Some(&body), out);
            }
            OpCode::SetData => {
                self.finish_request(
                    conn,
                    op_code,
                    &reply,
                    Some(&SetDataResponse { stat: stat() }),
                    out,
                );
            }
            OpCode::SetAcl => {
                self.finish_request(
                    conn,
                    op_code,
                    &reply,
                    Some(&SetAclResponse { stat: stat() }),
                    out,
                );
            }
            // ZooKeeper 3.8 answers a successful standalone check with a
            // SetDataResponse of a null Stat, which fails to serialize: the
            // txn is applied and the client gets no reply (verified against
            // Apache ZooKeeper 3.8.0; the connection stays open).
            OpCode::Check => {}
            OpCode::Multi => {
                // The multi's reply header says OK even when an op failed:
                // the per-op results carry the errors.
                let reply = ReplyHeader { err: 0, ..reply };
                let body = MultiResponse {
                    results: result.multi.iter().map(multi_result).collect(),
                };
                self.finish_request(conn, op_code, &reply, Some(&body), out);
            }
            _ => self.finish_request(conn, op_code, &reply, None, out),
        }
    }

    /// A createSession op sent after the handshake: ZooKeeper logs a
    /// createSession txn for the connection's session (timeout from the
    /// body) and answers with a ConnectResponse, as if it were a handshake.
    pub(crate) fn process_client_create_session(
        &mut self,
        conn: ConnKey,
        session_id: i64,
        header: &RequestHeader,
        body: &[u8],
        now_ms: u64,
        out: &mut Outbox,
    ) {
        let Some(timeout_bytes) = body.first_chunk::<4>() else {
            let txn = self.prep_as(Some(conn), session_id, header.xid, Err(()), now_ms);
            let origin = Origin::Reply {
                conn,
                xid: header.xid,
                op_code: OpCode::CreateSession,
            };
            return self.submit_txn(txn, origin, now_ms, out);
        };
        let timeout_ms = i32::from_be_bytes(*timeout_bytes);
        let txn = self.prep_create_session(session_id, timeout_ms, now_ms);
        self.submit_txn(txn, Origin::SessionOp { conn }, now_ms, out);
    }

    /// The ConnectResponse a createSession op is answered with (the
    /// connection's negotiated timeout, the session's password).
    pub(crate) fn send_session_op_response(
        &mut self,
        conn: ConnKey,
        session_id: i64,
        out: &mut Outbox,
    ) {
        let connection_timeout_ms = self.connections.get(&conn).map_or(0, |c| c.timeout_ms);
        let timeout_ms = i32::try_from(connection_timeout_ms).unwrap_or(i32::MAX);
        // Always with the read-only byte.
        self.send_session_accepted(conn, timeout_ms, session_id, true, out);
    }
}

/// One op's result as ZooKeeper's `OpResult` encodes it.
fn multi_result(result: &TxnResult) -> MultiResult {
    let stat = || result.stat.clone().unwrap_or_default();
    if result.err != 0 {
        return MultiResult::Error { err: result.err };
    }
    match result.op_code {
        OpCode::Check => MultiResult::Check,
        OpCode::Create => MultiResult::Create {
            path: result.path.clone(),
        },
        OpCode::Create2 | OpCode::CreateTtl | OpCode::CreateContainer => MultiResult::Create2 {
            op_code: OpCode::Create2,
            path: result.path.clone(),
            stat: stat(),
        },
        OpCode::Delete | OpCode::DeleteContainer => MultiResult::Delete,
        OpCode::SetData => MultiResult::SetData { stat: stat() },
        _ => MultiResult::Error { err: result.err },
    }
}
