//! The session handshake: the first frame each way on a client connection.
//!
//! ```text
//! ConnectRequest  = protocol_version:int last_zxid_seen:long timeout_ms:int
//!                   session_id:long password:buffer [read_only:boolean]
//! ConnectResponse = protocol_version:int timeout_ms:int session_id:long
//!                   password:buffer [read_only:boolean]
//! ```
//!
//! `read_only` is not in zookeeper.jute: clients since 3.4 append it after
//! the record, and servers append it to the response. Older peers omit it,
//! so it is decoded when present and always encoded.

use crate::error::DecodeError;
use crate::wire::{put_boolean, put_buffer, put_int, put_long, Jute, Reader};

/// Length of the session password servers hand out.
pub const SESSION_PASSWORD_LEN: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConnectRequest {
    pub protocol_version: i32,
    /// The highest zxid this client has seen; a server behind it must
    /// refuse the connection.
    pub last_zxid_seen: i64,
    pub timeout_ms: i32,
    /// 0 for a new session; else the session to resume.
    pub session_id: i64,
    pub password: Vec<u8>,
    pub read_only: bool,
}

impl Jute for ConnectRequest {
    const NAME: &'static str = "ConnectRequest";
    const MIN_ENCODED_LEN: usize = 4 + 8 + 4 + 8 + 4;

    fn encode(&self, out: &mut Vec<u8>) {
        put_int(out, self.protocol_version);
        put_long(out, self.last_zxid_seen);
        put_int(out, self.timeout_ms);
        put_long(out, self.session_id);
        put_buffer(out, &self.password);
        put_boolean(out, self.read_only);
    }

    fn decode(reader: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(ConnectRequest {
            protocol_version: reader.read_int("ConnectRequest.protocol_version")?,
            last_zxid_seen: reader.read_long("ConnectRequest.last_zxid_seen")?,
            timeout_ms: reader.read_int("ConnectRequest.timeout_ms")?,
            session_id: reader.read_long("ConnectRequest.session_id")?,
            password: reader.read_buffer("ConnectRequest.password")?,
            read_only: reader.remaining() > 0 && reader.read_boolean("ConnectRequest.read_only")?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConnectResponse {
    pub protocol_version: i32,
    /// The negotiated session timeout; 0 (with session id 0) when the
    /// server refuses the session (expired, or wrong password).
    pub timeout_ms: i32,
    pub session_id: i64,
    pub password: Vec<u8>,
    pub read_only: bool,
}

impl Jute for ConnectResponse {
    const NAME: &'static str = "ConnectResponse";
    const MIN_ENCODED_LEN: usize = 4 + 4 + 8 + 4;

    fn encode(&self, out: &mut Vec<u8>) {
        put_int(out, self.protocol_version);
        put_int(out, self.timeout_ms);
        put_long(out, self.session_id);
        put_buffer(out, &self.password);
        put_boolean(out, self.read_only);
    }

    fn decode(reader: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(ConnectResponse {
            protocol_version: reader.read_int("ConnectResponse.protocol_version")?,
            timeout_ms: reader.read_int("ConnectResponse.timeout_ms")?,
            session_id: reader.read_long("ConnectResponse.session_id")?,
            password: reader.read_buffer("ConnectResponse.password")?,
            read_only: reader.remaining() > 0
                && reader.read_boolean("ConnectResponse.read_only")?,
        })
    }
}

#[cfg(any(test, feature = "arbitrary"))]
mod arbitrary {
    use super::{ConnectRequest, ConnectResponse};
    use proptest::prelude::*;

    impl Arbitrary for ConnectRequest {
        type Parameters = ();
        type Strategy = BoxedStrategy<Self>;
        fn arbitrary_with(_: ()) -> Self::Strategy {
            (
                any::<i32>(),
                any::<i64>(),
                any::<i32>(),
                any::<i64>(),
                proptest::collection::vec(any::<u8>(), 0..20),
                any::<bool>(),
            )
                .prop_map(
                    |(
                        protocol_version,
                        last_zxid_seen,
                        timeout_ms,
                        session_id,
                        password,
                        read_only,
                    )| ConnectRequest {
                        protocol_version,
                        last_zxid_seen,
                        timeout_ms,
                        session_id,
                        password,
                        read_only,
                    },
                )
                .boxed()
        }
    }

    impl Arbitrary for ConnectResponse {
        type Parameters = ();
        type Strategy = BoxedStrategy<Self>;
        fn arbitrary_with(_: ()) -> Self::Strategy {
            (
                any::<i32>(),
                any::<i32>(),
                any::<i64>(),
                proptest::collection::vec(any::<u8>(), 0..20),
                any::<bool>(),
            )
                .prop_map(
                    |(protocol_version, timeout_ms, session_id, password, read_only)| {
                        ConnectResponse {
                            protocol_version,
                            timeout_ms,
                            session_id,
                            password,
                            read_only,
                        }
                    },
                )
                .boxed()
        }
    }
}
