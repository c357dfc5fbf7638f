//! Bugs found in the codec, each pinned by the test that would have
//! caught it.

use ringkeeper_jute::{Jute, MultiResponse, MultiResult, OpCode, Stat};

/// Bug: a multi's createContainer and createTTL results were written with
/// header type 19 and 21, which ZooKeeper's clients refuse ("Invalid type
/// 19 in MultiResponse"); ZooKeeper writes every such result as create2
/// (15), and so must we.
#[test]
fn create_container_and_create_ttl_results_travel_as_create2() {
    for op_code in [OpCode::Create2, OpCode::CreateContainer, OpCode::CreateTtl] {
        let response = MultiResponse {
            results: vec![MultiResult::Create2 {
                op_code,
                path: "/a".into(),
                stat: Stat::default(),
            }],
        };
        let bytes = response.to_bytes();
        // MultiHeader { type: create2, done: false, err: 0 }
        assert_eq!(bytes[..9], [0, 0, 0, 15, 0, 0, 0, 0, 0], "for {op_code}");
        assert_eq!(
            MultiResponse::from_bytes(&bytes),
            Ok(MultiResponse {
                results: vec![MultiResult::Create2 {
                    op_code: OpCode::Create2,
                    path: "/a".into(),
                    stat: Stat::default(),
                }],
            })
        );
    }
}

/// The other half of the same bug: a createContainer or createTTL result
/// header (which no ZooKeeper sends) still decodes, as create2, so that
/// what decodes re-encodes to the same value.
#[test]
fn create_container_result_header_decodes_as_create2() {
    let mut bytes = vec![0, 0, 0, 19, 0, 0, 0, 0, 0];
    bytes.extend_from_slice(&[0, 0, 0, 2, b'/', b'a']);
    Stat::default().encode(&mut bytes);
    bytes.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 1, 0xff, 0xff, 0xff, 0xff]);
    let response = MultiResponse::from_bytes(&bytes).unwrap();
    assert_eq!(
        response.results,
        vec![MultiResult::Create2 {
            op_code: OpCode::Create2,
            path: "/a".into(),
            stat: Stat::default(),
        }]
    );
    assert_eq!(
        MultiResponse::from_bytes(&response.to_bytes()),
        Ok(response)
    );
}
