//! One client connection as the shell sees it: its address, its decoder
//! and the flags of its place in the core's turn. Everything `cons` shows
//! about its session and requests is the state machine's
//! (`ZkServer::connections`).

use std::net::SocketAddr;

use crate::protocol::ConnectionDecoder;

#[derive(Debug)]
pub struct Conn {
    pub peer: SocketAddr,
    pub decoder: ConnectionDecoder,
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
            ready: false,
            paused: false,
            closing: false,
        }
    }
}
