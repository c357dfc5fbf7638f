//! What the fuzz targets share: decoding any record type by number, and
//! reading a frame the way a server and a client would.
//!
//! Every decode that succeeds is checked: the value must encode to bytes
//! that decode to the same value, and (jute's encoding being canonical up
//! to booleans and nulls, which keep their widths, and malformed UTF-8,
//! which does not) to exactly as many bytes as it was decoded from.

use std::fmt::Debug;

use ringkeeper_jute::*;

include!("../../tests/support/every_record.rs");

macro_rules! record_decoder_table {
    ($($record:ident),* $(,)?) => {
        /// How many record types [`decode_record`] selects from.
        pub const RECORD_TYPE_COUNT: usize = [$(stringify!($record)),*].len();

        /// Decodes `bytes` as record type number `selector % RECORD_TYPE_COUNT`
        /// (in the order of `with_every_record!`), checking any value it gets.
        pub fn decode_record(selector: usize, bytes: &[u8]) -> Result<(), DecodeError> {
            let decoders: [fn(&[u8]) -> Result<(), DecodeError>; RECORD_TYPE_COUNT] =
                [$(|bytes| decode_checked::<$record>(bytes).map(drop)),*];
            decoders[selector % RECORD_TYPE_COUNT](bytes)
        }
    };
}

with_every_record!(record_decoder_table);

/// Decodes a `T` that must span all of `bytes`; panics (a fuzz finding)
/// if what decoded does not survive encoding and decoding again.
pub fn decode_checked<T: Jute + PartialEq + Debug>(bytes: &[u8]) -> Result<T, DecodeError> {
    let value = T::from_bytes(bytes)?;
    let encoded = value.to_bytes();
    assert_eq!(
        T::from_bytes(&encoded).as_ref(),
        Ok(&value),
        "{} decoded from {bytes:02x?} does not survive re-encoding as {encoded:02x?}",
        T::NAME
    );
    let omitted_optional_byte = || {
        RECORDS_WITH_OPTIONAL_TRAILING_FIELD.contains(&T::NAME) && encoded.len() == bytes.len() + 1
    };
    // Strings decode as Java decodes them: each malformed UTF-8 sequence
    // becomes U+FFFD, which re-encodes as three bytes, so the length may
    // change. Only looked for when the length did change: formatting every
    // decoded value would slow every run.
    let replaced_malformed_utf8 = || format!("{value:?}").contains('\u{fffd}');
    assert!(
        encoded.len() == bytes.len() || omitted_optional_byte() || replaced_malformed_utf8(),
        "{} decoded from {} bytes re-encodes to {}",
        T::NAME,
        bytes.len(),
        encoded.len()
    );
    Ok(value)
}

/// A record body that must fill the rest of its frame.
fn body<T: Jute + PartialEq + Debug>(reader: &Reader<'_>) -> Result<(), DecodeError> {
    decode_checked::<T>(reader.rest()).map(drop)
}

/// No body may follow the header.
fn no_body(reader: &Reader<'_>, record: &'static str) -> Result<(), DecodeError> {
    reader.expect_end(record)
}

/// A client frame, read as a server reads it: `RequestHeader`, then the
/// request record its op code calls for.
pub fn decode_request_frame(frame: &[u8]) -> Result<(), DecodeError> {
    let mut reader = Reader::new(frame);
    let header = decode_checked_prefix::<RequestHeader>(&mut reader)?;
    let unknown = DecodeError::UnknownOpCode {
        field: "RequestHeader.op_code",
        op_code: header.op_code,
    };
    let op = OpCode::from_i32(header.op_code).ok_or(unknown.clone())?;
    match op {
        OpCode::Create | OpCode::Create2 | OpCode::CreateContainer => {
            body::<CreateRequest>(&reader)
        }
        OpCode::CreateTtl => body::<CreateTtlRequest>(&reader),
        OpCode::Delete | OpCode::DeleteContainer => body::<DeleteRequest>(&reader),
        OpCode::Exists => body::<ExistsRequest>(&reader),
        OpCode::GetData => body::<GetDataRequest>(&reader),
        OpCode::SetData => body::<SetDataRequest>(&reader),
        OpCode::GetAcl => body::<GetAclRequest>(&reader),
        OpCode::SetAcl => body::<SetAclRequest>(&reader),
        OpCode::GetChildren => body::<GetChildrenRequest>(&reader),
        OpCode::GetChildren2 => body::<GetChildren2Request>(&reader),
        OpCode::Sync => body::<SyncRequest>(&reader),
        OpCode::Check => body::<CheckVersionRequest>(&reader),
        OpCode::Multi | OpCode::MultiRead => body::<MultiRequest>(&reader),
        OpCode::Reconfig => body::<ReconfigRequest>(&reader),
        OpCode::CheckWatches => body::<CheckWatchesRequest>(&reader),
        OpCode::RemoveWatches => body::<RemoveWatchesRequest>(&reader),
        OpCode::Auth => body::<AuthPacket>(&reader),
        OpCode::SetWatches => body::<SetWatches>(&reader),
        OpCode::SetWatches2 => body::<SetWatches2>(&reader),
        OpCode::Sasl => body::<GetSaslRequest>(&reader),
        OpCode::GetEphemerals => body::<GetEphemeralsRequest>(&reader),
        OpCode::GetAllChildrenNumber => body::<GetAllChildrenNumberRequest>(&reader),
        OpCode::AddWatch => body::<AddWatchRequest>(&reader),
        OpCode::Ping | OpCode::WhoAmI | OpCode::CloseSession => no_body(&reader, "RequestHeader"),
        // Not sent by clients.
        OpCode::Notification | OpCode::CreateSession | OpCode::Error => Err(unknown),
    }
}

/// A server frame, read as a client reads it: `ReplyHeader`, then what
/// its xid calls for: a notification's `WatcherEvent`, nothing for the
/// reserved xids or an error, else the response to the pending request
/// with that xid, whose op is `pending_op`.
pub fn decode_reply_frame(frame: &[u8], pending_op: OpCode) -> Result<(), DecodeError> {
    let mut reader = Reader::new(frame);
    let header = decode_checked_prefix::<ReplyHeader>(&mut reader)?;
    match header.xid {
        Xid::NOTIFICATION => return body::<WatcherEvent>(&reader),
        Xid::PING | Xid::AUTH | Xid::SET_WATCHES => return no_body(&reader, "ReplyHeader"),
        _ => {}
    }
    if header.err != ErrorCode::Ok.as_i32() {
        return no_body(&reader, "ReplyHeader");
    }
    match pending_op {
        OpCode::Create => body::<CreateResponse>(&reader),
        OpCode::Create2 | OpCode::CreateContainer | OpCode::CreateTtl => {
            body::<Create2Response>(&reader)
        }
        OpCode::Exists => body::<ExistsResponse>(&reader),
        OpCode::GetData | OpCode::Reconfig => body::<GetDataResponse>(&reader),
        // A check outside a multi (3.9) is answered with the node's Stat.
        OpCode::SetData | OpCode::Check => body::<SetDataResponse>(&reader),
        OpCode::GetAcl => body::<GetAclResponse>(&reader),
        OpCode::SetAcl => body::<SetAclResponse>(&reader),
        OpCode::GetChildren => body::<GetChildrenResponse>(&reader),
        OpCode::GetChildren2 => body::<GetChildren2Response>(&reader),
        OpCode::Sync => body::<SyncResponse>(&reader),
        OpCode::Multi | OpCode::MultiRead => body::<MultiResponse>(&reader),
        OpCode::Sasl => body::<SetSaslResponse>(&reader),
        OpCode::GetEphemerals => body::<GetEphemeralsResponse>(&reader),
        OpCode::GetAllChildrenNumber => body::<GetAllChildrenNumberResponse>(&reader),
        OpCode::WhoAmI => body::<WhoAmIResponse>(&reader),
        OpCode::Delete
        | OpCode::DeleteContainer
        | OpCode::CheckWatches
        | OpCode::RemoveWatches
        | OpCode::AddWatch
        | OpCode::SetWatches
        | OpCode::SetWatches2
        | OpCode::Auth
        | OpCode::Ping
        | OpCode::CloseSession
        | OpCode::CreateSession
        | OpCode::Notification
        | OpCode::Error => no_body(&reader, "ReplyHeader"),
    }
}

/// A header at the front of a frame, checked like [`decode_checked`].
fn decode_checked_prefix<T: Jute + PartialEq + Debug>(
    reader: &mut Reader<'_>,
) -> Result<T, DecodeError> {
    let start = reader.position();
    let value = T::decode(reader)?;
    let encoded = value.to_bytes();
    assert_eq!(encoded.len(), reader.position() - start, "{}", T::NAME);
    assert_eq!(T::from_bytes(&encoded).as_ref(), Ok(&value), "{}", T::NAME);
    Ok(value)
}
