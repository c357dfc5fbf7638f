//! A znode's data may be null (a -1 buffer): ZooKeeper stores null and
//! answers getData with a -1 buffer and dataLength 0, while an empty
//! buffer stays empty. The request processor used to decode -1 as empty.
//! Each value below is what Debian's ZooKeeper 3.8.0 answered to the same
//! raw requests (a raw client on 127.0.0.1).

mod common;

use common::*;
use ringkeeper_jute::{
    CreateTtlRequest, GetDataRequest, GetDataResponse, MultiOp, MultiRequest, MultiResponse,
    MultiResult, NodeData, OpCode, SetDataRequest, SetDataResponse,
};

const NULL_BUFFER: [u8; 4] = [0xff; 4];

fn get_data(h: &mut Harness, client: &Client, xid: i32, path: &str) -> GetDataResponse {
    let answer = h.call(
        client,
        xid,
        OpCode::GetData,
        &GetDataRequest {
            path: path.into(),
            watch: false,
        },
    );
    assert_eq!(answer.err(), 0, "getData {path}");
    // The data field is first in the body: -1 for null, 0 for empty.
    let response: GetDataResponse = answer.decode();
    let prefix = if response.data.is_null() {
        NULL_BUFFER
    } else {
        [0; 4]
    };
    assert_eq!(answer.body[..4], prefix);
    response
}

fn null_create(path: &str, flags: i32) -> ringkeeper_jute::CreateRequest {
    let mut request = create_request(path, b"", flags);
    request.data = NodeData::NULL;
    request
}

#[test]
fn create_with_null_data_answers_null_and_create_with_empty_data_answers_empty() {
    let mut h = Harness::default();
    let c = h.connect();
    let created = h.call(&c, 1, OpCode::Create, &null_create("/n1", 0));
    assert_eq!(created.err(), 0);
    let null = get_data(&mut h, &c, 2, "/n1");
    assert!(null.data.is_null());
    assert_eq!(null.stat.data_length, 0);

    h.call(&c, 3, OpCode::Create, &create_request("/n2", b"", 0));
    let empty = get_data(&mut h, &c, 4, "/n2");
    assert_eq!(empty.data, *b"");
    assert!(!empty.data.is_null());

    // create2, createContainer and createTTL keep null too.
    h.call(&c, 5, OpCode::Create2, &null_create("/n3", 0));
    h.call(&c, 6, OpCode::CreateContainer, &null_create("/n5", 4));
    let ttl = CreateTtlRequest {
        path: "/n6".into(),
        data: NodeData::NULL,
        acl: open_acl(),
        flags: 5,
        ttl: 100_000,
    };
    assert_eq!(h.call(&c, 7, OpCode::CreateTtl, &ttl).err(), 0);
    for (xid, path) in [(8, "/n3"), (9, "/n5"), (10, "/n6")] {
        assert!(get_data(&mut h, &c, xid, path).data.is_null(), "{path}");
    }
}

#[test]
fn set_data_with_null_makes_the_data_null_and_the_watch_fires_as_for_any_change() {
    let mut h = Harness::default();
    let c = h.connect();
    let watcher = h.connect();
    h.call(&c, 1, OpCode::Create, &create_request("/n", b"abc", 0));
    h.call(
        &watcher,
        1,
        OpCode::GetData,
        &GetDataRequest {
            path: "/n".into(),
            watch: true,
        },
    );
    let set = SetDataRequest {
        path: "/n".into(),
        data: NodeData::NULL,
        version: -1,
    };
    let answer = h.call(&c, 2, OpCode::SetData, &set);
    let stat = answer.decode::<SetDataResponse>().stat;
    assert_eq!((stat.version, stat.data_length), (1, 0));
    assert_eq!(h.events(watcher.conn), [(3, "/n".to_string())]);
    assert!(get_data(&mut h, &c, 3, "/n").data.is_null());

    // Empty data after null is empty again.
    let set_empty = SetDataRequest {
        path: "/n".into(),
        data: NodeData::default(),
        version: -1,
    };
    h.call(&c, 4, OpCode::SetData, &set_empty);
    assert!(!get_data(&mut h, &c, 5, "/n").data.is_null());
}

/// ZooKeeper 3.8.0: multi [create /n4 null, setData /n1 null] then
/// multiRead [getData /n4, getData /n1]: both results carry a -1 buffer.
#[test]
fn multi_writes_and_multi_read_results_keep_null_data() {
    let mut h = Harness::default();
    let c = h.connect();
    h.call(&c, 1, OpCode::Create, &create_request("/n1", b"x", 0));
    let multi = MultiRequest {
        ops: vec![
            MultiOp::Create(null_create("/n4", 0)),
            MultiOp::SetData(SetDataRequest {
                path: "/n1".into(),
                data: NodeData::NULL,
                version: -1,
            }),
        ],
    };
    assert_eq!(h.call(&c, 2, OpCode::Multi, &multi).err(), 0);
    let read = MultiRequest {
        ops: ["/n4", "/n1"]
            .map(|path| {
                MultiOp::GetData(GetDataRequest {
                    path: path.into(),
                    watch: false,
                })
            })
            .to_vec(),
    };
    let results = h
        .call(&c, 3, OpCode::MultiRead, &read)
        .decode::<MultiResponse>()
        .results;
    for result in &results {
        let MultiResult::GetData { data, stat } = result else {
            panic!("{result:?}")
        };
        assert!(data.is_null());
        assert_eq!(stat.data_length, 0);
    }
}
