//! What arrives on one client connection, cut into units the server acts on.
//!
//! ```text
//! connection     = four-letter-word                       ; then the server answers and closes
//!                | connect-frame *request-frame
//! four-letter-word = 4 ASCII bytes naming a known command  ; instead of a length prefix
//! connect-frame  = length:int ConnectRequest [read_only:boolean]
//! request-frame  = length:int RequestHeader body           ; body decoded by the state machine
//! length         = 0 .. jute.maxbuffer                     ; else the connection is closed
//! ```
//!
//! As in ZooKeeper, the first four bytes of a connection are read as a
//! command only when they spell a known four-letter word; anything else is
//! a length prefix. Pure: bytes in, [`Inbound`] units out, no sockets.

use crate::config::FOUR_LETTER_WORDS;
use ringkeeper_jute::{ConnectRequest, FrameBuffer, Jute, Reader, RequestHeader};

/// Whether these four bytes name one of ZooKeeper's four-letter words.
pub fn is_four_letter_word(prefix: [u8; 4]) -> bool {
    FOUR_LETTER_WORDS.iter().any(|w| w.as_bytes() == prefix)
}

/// One unit cut from a connection's byte stream.
#[derive(Debug)]
pub enum Inbound<'a> {
    /// A four-letter word in place of the handshake.
    FourLetterWord([u8; 4]),
    /// The handshake; `read_only_sent` tells whether the client appended
    /// the read-only flag, so the reply can mirror it.
    Connect {
        request: ConnectRequest,
        read_only_sent: bool,
    },
    /// A request after the handshake: its header and the undecoded body.
    Request {
        header: RequestHeader,
        body: &'a [u8],
    },
}

/// Why a connection must be closed, in words for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProtocolError {
    /// A frame over jute.maxbuffer or with a negative length (ZooKeeper's "Len error").
    FrameLength(String),
    /// The handshake or a request header did not decode.
    Malformed(String),
}

impl std::fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProtocolError::FrameLength(why) => write!(f, "length error: {why}"),
            ProtocolError::Malformed(why) => write!(f, "malformed: {why}"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Nothing decoded yet: a four-letter word or the connect frame.
    Opening,
    /// The connect frame was handed out; waiting for the state machine to
    /// accept it. Requests that arrive meanwhile stay buffered.
    Handshaking,
    Established,
    /// A four-letter word or an error ended the stream; ignore the rest.
    Done,
}

/// Reassembles frames of one connection and classifies them.
#[derive(Debug)]
pub struct ConnectionDecoder {
    frames: FrameBuffer,
    phase: Phase,
}

impl ConnectionDecoder {
    pub fn new(jute_max_buffer_bytes: usize) -> Self {
        ConnectionDecoder {
            frames: FrameBuffer::new(jute_max_buffer_bytes),
            phase: Phase::Opening,
        }
    }

    /// Appends bytes read from the socket.
    pub fn extend(&mut self, bytes: &[u8]) {
        if self.phase != Phase::Done {
            self.frames.extend(bytes);
        }
    }

    /// Bytes received but not yet cut into units.
    pub fn pending_bytes(&self) -> usize {
        self.frames.pending_bytes()
    }

    pub fn is_established(&self) -> bool {
        self.phase == Phase::Established
    }

    /// The state machine accepted the handshake: requests may flow.
    pub fn handshake_done(&mut self) {
        if self.phase == Phase::Handshaking {
            self.phase = Phase::Established;
        }
    }

    /// The next complete unit, `Ok(None)` when more bytes are needed (or
    /// while the handshake is being decided).
    pub fn next_unit(&mut self) -> Result<Option<Inbound<'_>>, ProtocolError> {
        match self.phase {
            Phase::Done | Phase::Handshaking => Ok(None),
            Phase::Opening => self.next_opening(),
            Phase::Established => self.next_request(),
        }
    }

    fn next_opening(&mut self) -> Result<Option<Inbound<'_>>, ProtocolError> {
        if let Some(prefix) = self.frames.peek_prefix() {
            if is_four_letter_word(prefix) {
                self.phase = Phase::Done;
                return Ok(Some(Inbound::FourLetterWord(prefix)));
            }
        }
        let Some(frame) = Self::take_frame(&mut self.frames, &mut self.phase)? else {
            return Ok(None);
        };
        let mut reader = Reader::new(frame);
        let request = match ConnectRequest::decode(&mut reader) {
            Ok(r) => r,
            Err(e) => {
                self.phase = Phase::Done;
                return Err(ProtocolError::Malformed(format!("connect request: {e}")));
            }
        };
        let without_flag = 4 + 8 + 4 + 8 + 4 + request.password.len();
        let read_only_sent = frame.len() > without_flag;
        self.phase = Phase::Handshaking;
        Ok(Some(Inbound::Connect {
            request,
            read_only_sent,
        }))
    }

    fn next_request(&mut self) -> Result<Option<Inbound<'_>>, ProtocolError> {
        let Some(frame) = Self::take_frame(&mut self.frames, &mut self.phase)? else {
            return Ok(None);
        };
        let mut reader = Reader::new(frame);
        match RequestHeader::decode(&mut reader) {
            Ok(header) => {
                let used = frame.len() - reader.remaining();
                Ok(Some(Inbound::Request {
                    header,
                    body: &frame[used..],
                }))
            }
            Err(e) => {
                self.phase = Phase::Done;
                Err(ProtocolError::Malformed(format!("request header: {e}")))
            }
        }
    }

    /// The next complete frame; a length error ends the stream.
    fn take_frame<'f>(
        frames: &'f mut FrameBuffer,
        phase: &mut Phase,
    ) -> Result<Option<&'f [u8]>, ProtocolError> {
        frames.next_frame().map_err(|e| {
            *phase = Phase::Done;
            ProtocolError::FrameLength(e.to_string())
        })
    }

    /// Stops decoding: whatever else arrives is ignored.
    pub fn finish(&mut self) {
        self.phase = Phase::Done;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ringkeeper_jute::write_frame;

    fn connect_frame(read_only: bool) -> Vec<u8> {
        let request = ConnectRequest {
            timeout_ms: 30_000,
            password: vec![0; 16],
            ..ConnectRequest::default()
        };
        let mut payload = Vec::new();
        request.encode(&mut payload);
        if !read_only {
            payload.pop();
        }
        let mut out = Vec::new();
        write_frame(&mut out, |o| o.extend_from_slice(&payload));
        out
    }

    #[test]
    fn four_letter_word_is_recognised_only_at_the_start() {
        let mut d = ConnectionDecoder::new(1 << 20);
        d.extend(b"ruok");
        assert!(matches!(d.next_unit(), Ok(Some(Inbound::FourLetterWord(w))) if &w == b"ruok"));
        assert!(matches!(d.next_unit(), Ok(None)));
    }

    #[test]
    fn handshake_reports_whether_the_read_only_flag_was_sent() {
        for flag in [false, true] {
            let mut d = ConnectionDecoder::new(1 << 20);
            d.extend(&connect_frame(flag));
            match d.next_unit() {
                Ok(Some(Inbound::Connect { read_only_sent, .. })) => {
                    assert_eq!(read_only_sent, flag)
                }
                other => panic!("expected a connect, got {other:?}"),
            }
        }
    }

    #[test]
    fn requests_wait_for_the_handshake_then_flow_in_order() {
        let mut d = ConnectionDecoder::new(1 << 20);
        let mut bytes = connect_frame(true);
        for xid in 1..=3 {
            write_frame(&mut bytes, |o| RequestHeader { xid, op_code: 4 }.encode(o));
        }
        d.extend(&bytes);
        assert!(matches!(d.next_unit(), Ok(Some(Inbound::Connect { .. }))));
        assert!(
            matches!(d.next_unit(), Ok(None)),
            "held until the handshake is accepted"
        );
        d.handshake_done();
        for want in 1..=3 {
            match d.next_unit() {
                Ok(Some(Inbound::Request { header, body, .. })) => {
                    assert_eq!(header.xid, want);
                    assert!(body.is_empty());
                }
                other => panic!("expected request {want}, got {other:?}"),
            }
        }
    }

    #[test]
    fn frame_over_jute_maxbuffer_ends_the_stream() {
        let mut d = ConnectionDecoder::new(100);
        d.extend(&1000i32.to_be_bytes());
        assert!(matches!(d.next_unit(), Err(ProtocolError::FrameLength(_))));
        d.extend(&connect_frame(true));
        assert!(matches!(d.next_unit(), Ok(None)), "nothing after the error");
    }

    #[test]
    fn garbage_handshake_is_malformed() {
        let mut d = ConnectionDecoder::new(1 << 20);
        d.extend(&[0, 0, 0, 3, 1, 2, 3]);
        assert!(matches!(d.next_unit(), Err(ProtocolError::Malformed(_))));
    }

    #[test]
    fn truncated_request_header_is_malformed() {
        let mut d = ConnectionDecoder::new(1 << 20);
        d.extend(&connect_frame(true));
        assert!(matches!(d.next_unit(), Ok(Some(Inbound::Connect { .. }))));
        d.handshake_done();
        d.extend(&[0, 0, 0, 2, 0, 1]);
        assert!(matches!(d.next_unit(), Err(ProtocolError::Malformed(_))));
    }
}
