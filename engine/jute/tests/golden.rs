//! Byte-exact encodings, each worked out by hand from the jute grammar
//! (big-endian ints and longs, one-byte booleans, length-prefixed buffers
//! and ustrings, count-prefixed vectors, fields in declaration order) and
//! from ZooKeeper's multi and handshake formats.

use ringkeeper_jute::{
    write_frame, Acl, ConnectRequest, ConnectResponse, CreateResponse, DecodeError,
    GetChildrenResponse, GetDataRequest, GetDataResponse, Id, Jute, MultiOp, MultiRequest,
    MultiResponse, MultiResult, OpCode, Perms, ReplyHeader, RequestHeader, SetDataRequest, Stat,
    WatcherEvent, Xid,
};
use ringkeeper_jute::{CheckVersionRequest, EventType, KeeperState, NodeData};

/// Bytes from hex pairs; spaces and `|` separate fields for the reader.
fn hex(text: &str) -> Vec<u8> {
    let digits: Vec<u8> = text.bytes().filter(|b| b.is_ascii_hexdigit()).collect();
    assert!(
        digits.len() % 2 == 0,
        "odd number of hex digits in {text:?}"
    );
    digits
        .chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap())
        .collect()
}

/// Encodes to exactly `expected`, and decodes from it to `value`.
fn assert_golden<T: Jute + PartialEq + std::fmt::Debug>(value: T, expected: &str) {
    let expected = hex(expected);
    assert_eq!(value.to_bytes(), expected, "{} encoding", T::NAME);
    assert_eq!(T::from_bytes(&expected), Ok(value), "{} decoding", T::NAME);
}

#[test]
fn request_header_is_xid_then_op_code() {
    assert_golden(
        RequestHeader {
            xid: 1,
            op_code: OpCode::GetData.as_i32(),
        },
        "00000001 | 00000004",
    );
}

#[test]
fn get_data_request_is_path_then_one_watch_byte() {
    assert_golden(
        GetDataRequest {
            path: "/a".into(),
            watch: true,
        },
        "00000002 2f61 | 01",
    );
}

#[test]
fn any_nonzero_boolean_byte_decodes_as_true() {
    let request = GetDataRequest::from_bytes(&hex("00000002 2f61 | 02")).unwrap();
    assert!(request.watch);
    assert_eq!(request.to_bytes(), hex("00000002 2f61 | 01"));
}

#[test]
fn set_data_request_is_path_data_version() {
    assert_golden(
        SetDataRequest {
            path: "/a".into(),
            data: vec![0xde, 0xad].into(),
            version: -1,
        },
        "00000002 2f61 | 00000002 dead | ffffffff",
    );
}

#[test]
fn null_node_data_is_length_minus_one_and_empty_data_is_length_zero() {
    assert_golden(
        SetDataRequest {
            path: "/a".into(),
            data: NodeData::NULL,
            version: -1,
        },
        "00000002 2f61 | ffffffff | ffffffff",
    );
    assert_golden(
        SetDataRequest {
            path: "/a".into(),
            data: NodeData::default(),
            version: -1,
        },
        "00000002 2f61 | 00000000 | ffffffff",
    );
}

#[test]
fn a_malformed_utf8_ustring_reads_with_u_fffd_as_java_reads_it() {
    // "/a" then 0xff: Java's decoder (and so ZooKeeper) reads "/a\u{FFFD}".
    let request = GetDataRequest::from_bytes(&hex("00000003 2f61ff | 00")).unwrap();
    assert_eq!(request.path, "/a\u{FFFD}");
    // A UTF-16 surrogate in UTF-8 (ED A0 80) is one U+FFFD in Java.
    let request = GetDataRequest::from_bytes(&hex("00000004 2feda080 | 00")).unwrap();
    assert_eq!(request.path, "/\u{FFFD}");
}

#[test]
fn reply_header_is_xid_zxid_err() {
    assert_golden(
        ReplyHeader {
            xid: 1,
            zxid: 0x1_0000_0002,
            err: -101,
        },
        "00000001 | 00000001 00000002 | ffffff9b",
    );
}

#[test]
fn stat_fields_are_in_zookeeper_jute_order() {
    assert_golden(
        Stat {
            czxid: 1,
            mzxid: 2,
            ctime: 3,
            mtime: 4,
            version: 5,
            cversion: 6,
            aversion: 7,
            ephemeral_owner: 8,
            data_length: 9,
            num_children: 10,
            pzxid: 11,
        },
        "0000000000000001 0000000000000002 0000000000000003 0000000000000004 \
         00000005 00000006 00000007 0000000000000008 00000009 0000000a 000000000000000b",
    );
}

#[test]
fn acl_is_perms_then_scheme_and_id() {
    assert_golden(
        Acl {
            perms: Perms::ALL,
            id: Id {
                scheme: "world".into(),
                id: "anyone".into(),
            },
        },
        "0000001f | 00000005 776f726c64 | 00000006 616e796f6e65",
    );
}

#[test]
fn notification_is_reply_header_with_xid_minus_one_then_watcher_event() {
    let mut bytes = ReplyHeader {
        xid: Xid::NOTIFICATION,
        zxid: -1,
        err: 0,
    }
    .to_bytes();
    WatcherEvent {
        event_type: EventType::NodeDataChanged.as_i32(),
        state: KeeperState::SyncConnected.as_i32(),
        path: "/a".into(),
    }
    .encode(&mut bytes);
    assert_eq!(
        bytes,
        hex("ffffffff | ffffffffffffffff | 00000000 | 00000003 00000003 00000002 2f61")
    );
}

#[test]
fn ping_frame_is_length_eight_then_xid_minus_two_and_op_eleven() {
    let mut frame = Vec::new();
    write_frame(&mut frame, |out| {
        RequestHeader {
            xid: Xid::PING,
            op_code: OpCode::Ping.as_i32(),
        }
        .encode(out)
    });
    assert_eq!(frame, hex("00000008 | fffffffe 0000000b"));
}

#[test]
fn empty_multi_request_is_only_the_done_header() {
    assert_golden(MultiRequest::default(), "ffffffff 01 ffffffff");
    assert_golden(MultiResponse::default(), "ffffffff 01 ffffffff");
}

#[test]
fn multi_request_op_is_header_with_err_minus_one_then_request() {
    assert_golden(
        MultiRequest {
            ops: vec![MultiOp::Check(CheckVersionRequest {
                path: "/a".into(),
                version: 3,
            })],
        },
        "0000000d 00 ffffffff | 00000002 2f61 00000003 | ffffffff 01 ffffffff",
    );
}

#[test]
fn multi_response_error_result_carries_err_in_header_and_body() {
    assert_golden(
        MultiResponse {
            results: vec![MultiResult::Error { err: -101 }, MultiResult::Delete],
        },
        "ffffffff 00 ffffff9b | ffffff9b | 00000002 00 00000000 | ffffffff 01 ffffffff",
    );
}

const CONNECT_REQUEST_WITHOUT_READ_ONLY: &str = "00000000 | 0000000000000000 | 00007530 | \
     0000000000000000 | 00000010 00000000000000000000000000000000";

#[test]
fn connect_request_without_read_only_byte_decodes_as_not_read_only() {
    let expected = ConnectRequest {
        protocol_version: 0,
        last_zxid_seen: 0,
        timeout_ms: 30_000,
        session_id: 0,
        password: vec![0; 16],
        read_only: false,
    };
    let bytes = hex(CONNECT_REQUEST_WITHOUT_READ_ONLY);
    assert_eq!(bytes.len(), 44);
    assert_eq!(ConnectRequest::from_bytes(&bytes), Ok(expected.clone()));
    // We always write the byte, as clients since 3.4 do.
    assert_eq!(
        expected.to_bytes(),
        hex(&format!("{CONNECT_REQUEST_WITHOUT_READ_ONLY} | 00"))
    );
}

#[test]
fn connect_request_with_read_only_byte_decodes_it() {
    let bytes = hex(&format!("{CONNECT_REQUEST_WITHOUT_READ_ONLY} | 01"));
    let request = ConnectRequest::from_bytes(&bytes).unwrap();
    assert!(request.read_only);
    assert_eq!(request.to_bytes(), bytes);
}

#[test]
fn connect_response_without_read_only_byte_decodes_as_not_read_only() {
    let bytes =
        hex("00000000 | 00007530 | 0123456789abcdef | 00000010 5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a");
    assert_eq!(
        ConnectResponse::from_bytes(&bytes),
        Ok(ConnectResponse {
            protocol_version: 0,
            timeout_ms: 30_000,
            session_id: 0x0123_4567_89ab_cdef,
            password: vec![0x5a; 16],
            read_only: false,
        })
    );
}

#[test]
fn null_ustring_and_vector_decode_as_empty_and_null_node_data_stays_null() {
    let zero_stat = "0000000000000000 0000000000000000 0000000000000000 0000000000000000 \
                     00000000 00000000 00000000 0000000000000000 00000000 00000000 0000000000000000";
    let null_data = hex(&format!("ffffffff | {zero_stat}"));
    assert_eq!(
        GetDataResponse::from_bytes(&null_data),
        Ok(GetDataResponse {
            data: NodeData::NULL,
            ..GetDataResponse::default()
        })
    );
    assert_eq!(
        GetDataResponse::from_bytes(&null_data).unwrap().to_bytes(),
        null_data
    );
    assert_eq!(
        CreateResponse::from_bytes(&hex("ffffffff")),
        Ok(CreateResponse::default())
    );
    assert_eq!(
        GetChildrenResponse::from_bytes(&hex("ffffffff")),
        Ok(GetChildrenResponse::default())
    );
}

#[test]
fn length_prefix_below_minus_one_is_rejected() {
    assert_eq!(
        CreateResponse::from_bytes(&hex("fffffffe")),
        Err(DecodeError::NegativeLength {
            field: "CreateResponse.path",
            len: -2,
        })
    );
}
