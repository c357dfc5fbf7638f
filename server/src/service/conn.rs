//! One client connection as the shell sees it: its decoder, its session
//! once the handshake succeeds, and the counters `cons` prints.

use std::net::SocketAddr;

use crate::fourlw::{ConnectionFacts, SessionFacts};
use crate::protocol::ConnectionDecoder;

#[derive(Debug)]
pub struct Conn {
    pub peer: SocketAddr,
    pub decoder: ConnectionDecoder,
    /// Set once the state machine accepted the handshake.
    pub session_id: Option<i64>,
    pub established_unix_ms: u64,
    pub packets_received: u64,
    pub packets_sent: u64,
    pub last_op: &'static str,
    pub last_cxid: i32,
    pub last_zxid: i64,
    pub last_response_unix_ms: u64,
    /// Waiting in this core's ready list (input not yet cut into requests).
    pub ready: bool,
    /// Reading stopped because too many reply bytes wait to be sent.
    pub paused: bool,
    /// A close was requested; ignore further input.
    pub closing: bool,
}

impl Conn {
    pub fn new(peer: SocketAddr, jute_max_buffer_bytes: usize) -> Conn {
        Conn {
            peer,
            decoder: ConnectionDecoder::new(jute_max_buffer_bytes),
            session_id: None,
            established_unix_ms: 0,
            packets_received: 0,
            packets_sent: 0,
            last_op: "NA",
            last_cxid: 0,
            last_zxid: 0,
            last_response_unix_ms: 0,
            ready: false,
            paused: false,
            closing: false,
        }
    }

    pub fn reset_stats(&mut self) {
        self.packets_received = 0;
        self.packets_sent = 0;
        self.last_op = "NA";
        self.last_cxid = 0;
        self.last_zxid = 0;
        self.last_response_unix_ms = 0;
    }

    pub fn facts(&self) -> ConnectionFacts {
        ConnectionFacts {
            peer: self.peer,
            queued: 0,
            received: self.packets_received,
            sent: self.packets_sent,
            session: self.session_id.map(|session_id| SessionFacts {
                session_id,
                last_op: self.last_op,
                established_unix_ms: self.established_unix_ms,
                // Filled in from the state machine's view.
                timeout_ms: 0,
                last_cxid: self.last_cxid,
                last_zxid: self.last_zxid,
                last_response_unix_ms: self.last_response_unix_ms,
                // Requests are answered within the loop turn that read them.
                last_latency_ms: 0,
                min_latency_ms: 0,
                avg_latency_ms: 0,
                max_latency_ms: 0,
            }),
        }
    }
}

/// ZooKeeper's short names of op codes, as `cons` prints them (`lop=`).
pub fn op_abbreviation(op: i32) -> &'static str {
    match op {
        0 => "NOTF",
        1 => "CREA",
        2 => "DELE",
        3 => "EXIS",
        4 => "GETD",
        5 => "SETD",
        6 => "GETA",
        7 => "SETA",
        8 => "GETC",
        9 => "SYNC",
        11 => "PING",
        12 => "GET2",
        13 => "CKVR",
        14 => "MULT",
        15 => "CRE2",
        16 => "RECO",
        17 => "CHKW",
        18 => "REMW",
        19 => "CCON",
        21 => "CTTL",
        22 => "MLTR",
        100 => "AUTH",
        101 => "SETW",
        102 => "SASL",
        103 => "GETE",
        104 => "GACN",
        105 => "STW2",
        106 => "ADDW",
        107 => "WHAM",
        -10 => "SESS",
        -11 => "CLOS",
        _ => "UNKN",
    }
}
