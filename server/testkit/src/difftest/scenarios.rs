//! Fixed op sequences run on both servers and compared step by step like
//! generated ones ([`super::run_scenarios`]): corners the random mix
//! reaches too rarely to rely on, each written as the list of ops a
//! client sends. A scenario gets the seed's root (`/dt<seed>`) and three
//! session slots.
//!
//! - `null data`: create, create2, createContainer, createTTL, setData
//!   and multi with a null buffer (-1) next to empty ones; getData, exists
//!   and multiRead show null (-1) apart from empty (0) with dataLength 0.
//! - `malformed UTF-8 paths`: every op that takes a path, with paths that
//!   are not UTF-8 (see [`MALFORMED_UTF8_MARKERS`]), in multi and multiRead
//!   too, and handed back by setWatches and setWatches2.
//! - `null paths`: every op that takes a path, with the path sent as
//!   jute's null (see [`NULL_PATH`]): alone, in multi and multiRead next
//!   to good ops, twice as a watch on one connection, and in setWatches
//!   and setWatches2 lists after paths that are handled first.

use ringkeeper_jute::{
    AddWatchMode, CheckVersionRequest, CreateMode, CreateRequest, CreateTtlRequest, DeleteRequest,
    GetChildrenRequest, GetDataRequest, MultiOp, NodeData, OpCode, SetDataRequest, WatcherType,
};

use super::op::{Op, RelativeZxid, SetWatchesSpec, MALFORMED_UTF8_MARKERS, NULL_PATH};
use crate::client::open_acl;

/// A named fixed op sequence; `ops` gets the seed's root path.
#[derive(Clone, Copy)]
pub struct Scenario {
    pub name: &'static str,
    pub ops: fn(root: &str) -> Vec<Op>,
}

/// Every scenario, in the order they run.
pub const SCENARIOS: [Scenario; 3] = [
    Scenario {
        name: "null data",
        ops: null_data,
    },
    Scenario {
        name: "malformed UTF-8 paths",
        ops: malformed_utf8_paths,
    },
    Scenario {
        name: "null paths",
        ops: null_paths,
    },
];

/// A TTL no run outlives.
const TTL_MS: i64 = 3_600_000;

fn create(session: usize, op_code: OpCode, path: String, data: NodeData, mode: CreateMode) -> Op {
    Op::Create {
        session,
        op_code,
        path,
        data,
        acl: open_acl(),
        flags: mode.as_i32(),
        ttl_ms: if op_code == OpCode::CreateTtl {
            TTL_MS
        } else {
            -1
        },
    }
}

fn get_data(session: usize, path: String, watch: bool) -> Op {
    Op::GetData {
        session,
        path,
        watch,
    }
}

fn set_data(session: usize, path: String, data: NodeData) -> Op {
    Op::SetData {
        session,
        path,
        data,
        version: -1,
    }
}

fn create_request(path: String, data: NodeData) -> CreateRequest {
    CreateRequest {
        path,
        data,
        acl: open_acl(),
        flags: CreateMode::Persistent.as_i32(),
    }
}

fn read_data(path: String) -> MultiOp {
    MultiOp::GetData(GetDataRequest { path, watch: false })
}

fn null_data(root: &str) -> Vec<Op> {
    let at = |name: &str| format!("{root}/{name}");
    let null = || NodeData::NULL;
    let empty = || NodeData::from(Vec::new());
    let persistent = CreateMode::Persistent;
    vec![
        create(0, OpCode::Create, at("n1"), null(), persistent),
        get_data(0, at("n1"), false),
        create(0, OpCode::Create, at("n2"), empty(), persistent),
        get_data(0, at("n2"), false),
        // A watcher sees setData to null as any data change.
        get_data(1, at("n2"), true),
        set_data(0, at("n2"), null()),
        get_data(0, at("n2"), false),
        set_data(0, at("n1"), NodeData::from(b"x")),
        set_data(0, at("n1"), empty()),
        get_data(0, at("n1"), false),
        create(0, OpCode::Create2, at("n3"), null(), persistent),
        Op::Exists {
            session: 0,
            path: at("n3"),
            watch: false,
        },
        create(
            0,
            OpCode::CreateContainer,
            at("n5"),
            null(),
            CreateMode::Container,
        ),
        create(
            0,
            OpCode::CreateTtl,
            at("n6"),
            null(),
            CreateMode::PersistentWithTtl,
        ),
        create(
            2,
            OpCode::Create,
            at("e-"),
            null(),
            CreateMode::EphemeralSequential,
        ),
        get_data(0, at("n5"), false),
        get_data(0, at("n6"), false),
        Op::Multi {
            session: 0,
            ops: vec![
                MultiOp::Create(create_request(at("n4"), null())),
                MultiOp::SetData(SetDataRequest {
                    path: at("n1"),
                    data: null(),
                    version: -1,
                }),
                MultiOp::CreateTtl(CreateTtlRequest {
                    path: at("n7"),
                    data: null(),
                    acl: open_acl(),
                    flags: CreateMode::PersistentWithTtl.as_i32(),
                    ttl: TTL_MS,
                }),
            ],
        },
        Op::MultiRead {
            session: 1,
            ops: vec![
                read_data(at("n4")),
                read_data(at("n1")),
                read_data(at("n2")),
                read_data(at("n7")),
                read_data(at("missing")),
            ],
        },
        // The nodes a server starts with hold empty data, not null.
        get_data(0, "/zookeeper".into(), false),
        get_data(0, "/zookeeper/quota".into(), false),
        get_data(0, "/zookeeper/config".into(), false),
    ]
}

fn malformed_utf8_paths(root: &str) -> Vec<Op> {
    let mut ops = vec![create(
        0,
        OpCode::Create,
        format!("{root}/a"),
        NodeData::from(b"a"),
        CreateMode::Persistent,
    )];
    let mut bad_paths = Vec::new();
    for (marker, _) in MALFORMED_UTF8_MARKERS {
        // Under the root, under an existing node, and as a name's tail.
        for path in [format!("{root}/{marker}"), format!("{root}/a/x{marker}")] {
            ops.extend(ops_on_path(root, &path));
            bad_paths.push(path);
        }
    }
    // The watches go back in setWatches and setWatches2 after a reconnect;
    // a data watch on a node that is not there fires NodeDeleted at once.
    for (session, version2) in [(1, false), (2, true)] {
        ops.push(Op::Disconnect { session });
        ops.push(Op::Reconnect {
            session,
            set_watches: Some(SetWatchesSpec {
                version2,
                relative: RelativeZxid::LastSeen,
                data: bad_paths[..3].to_vec(),
                exist: bad_paths[3..5].to_vec(),
                child: bad_paths[5..7].to_vec(),
                persistent: if version2 {
                    bad_paths[..2].to_vec()
                } else {
                    Vec::new()
                },
                persistent_recursive: if version2 {
                    bad_paths[6..].to_vec()
                } else {
                    Vec::new()
                },
            }),
        });
    }
    ops
}

fn null_paths(root: &str) -> Vec<Op> {
    let at = |name: &str| format!("{root}/{name}");
    let null = || NULL_PATH.to_string();
    let mut ops = vec![create(
        0,
        OpCode::Create,
        at("a"),
        NodeData::from(b"a"),
        CreateMode::Persistent,
    )];
    // One null-path watch per connection, then the second one fails: in
    // ops_on_path, session 2's addWatch comes before its removeWatches.
    ops.extend(ops_on_path(root, NULL_PATH));
    let mut bad_create = create(
        0,
        OpCode::Create,
        null(),
        NodeData::default(),
        CreateMode::Persistent,
    );
    if let Op::Create { flags, .. } = &mut bad_create {
        *flags = 99;
    }
    let mut zero_ttl = create(
        0,
        OpCode::CreateTtl,
        null(),
        NodeData::default(),
        CreateMode::PersistentWithTtl,
    );
    if let Op::Create { ttl_ms, .. } = &mut zero_ttl {
        *ttl_ms = 0;
    }
    ops.extend([
        // Flags and TTL are checked before the path is used.
        bad_create,
        zero_ttl,
        create(
            2,
            OpCode::Create,
            null(),
            NodeData::default(),
            CreateMode::Ephemeral,
        ),
        Op::AddWatch {
            session: 1,
            path: null(),
            mode: AddWatchMode::PersistentRecursive.as_i32(),
        },
        Op::CheckWatches {
            session: 1,
            path: null(),
            watcher_type: WatcherType::Data.as_i32(),
        },
        // The ops before the null path are not done.
        Op::Multi {
            session: 0,
            ops: vec![
                MultiOp::Create(create_request(at("m"), NodeData::default())),
                MultiOp::Delete(DeleteRequest {
                    path: null(),
                    version: -1,
                }),
            ],
        },
        Op::Exists {
            session: 0,
            path: at("m"),
            watch: false,
        },
        // A multiRead answers the ops before the null path; with a write
        // op it fails whole (read and write ops do not mix).
        Op::MultiRead {
            session: 0,
            ops: vec![
                read_data(at("a")),
                read_data(at("missing")),
                MultiOp::GetChildren(GetChildrenRequest {
                    path: null(),
                    watch: false,
                }),
                read_data(at("a")),
            ],
        },
        Op::MultiRead {
            session: 0,
            ops: vec![
                read_data(at("a")),
                MultiOp::Create(create_request(at("r"), NodeData::default())),
            ],
        },
    ]);
    // setWatches stops at a null path; the watches before it are set (a
    // data watch on /a, seen fire below), those after it are not.
    ops.extend(reconnect(
        1,
        SetWatchesSpec {
            version2: false,
            relative: RelativeZxid::LastSeen,
            data: vec![at("a"), at("gone"), null()],
            exist: vec![at("later")],
            child: vec![],
            persistent: vec![],
            persistent_recursive: vec![],
        },
    ));
    // setWatches2: the first null path is held, the recursive watch after
    // it is set; a second null path fails before the watch after it.
    ops.extend(reconnect(
        2,
        persistent_only(vec![null()], vec![root.into()]),
    ));
    ops.extend(reconnect(
        0,
        persistent_only(vec![null()], vec![null(), root.into()]),
    ));
    ops.extend([
        set_data(0, at("a"), NodeData::from(b"b")),
        create(
            0,
            OpCode::Create,
            at("later"),
            NodeData::default(),
            CreateMode::Persistent,
        ),
    ]);
    ops
}

/// The session drops its connection, then resumes on a new one handing
/// back `spec`'s watches.
fn reconnect(session: usize, spec: SetWatchesSpec) -> [Op; 2] {
    [
        Op::Disconnect { session },
        Op::Reconnect {
            session,
            set_watches: Some(spec),
        },
    ]
}

/// setWatches2 handing back persistent watches only.
fn persistent_only(persistent: Vec<String>, persistent_recursive: Vec<String>) -> SetWatchesSpec {
    SetWatchesSpec {
        version2: true,
        relative: RelativeZxid::LastSeen,
        data: vec![],
        exist: vec![],
        child: vec![],
        persistent,
        persistent_recursive,
    }
}

/// Every op that takes a path, with `path`.
fn ops_on_path(root: &str, path: &str) -> Vec<Op> {
    let path = || path.to_string();
    let good = format!("{root}/a");
    let any_type = WatcherType::Any.as_i32();
    vec![
        create(
            0,
            OpCode::Create,
            path(),
            NodeData::default(),
            CreateMode::Persistent,
        ),
        create(
            0,
            OpCode::Create2,
            path(),
            NodeData::default(),
            CreateMode::Persistent,
        ),
        create(
            0,
            OpCode::CreateContainer,
            path(),
            NodeData::default(),
            CreateMode::Container,
        ),
        create(
            0,
            OpCode::CreateTtl,
            path(),
            NodeData::default(),
            CreateMode::PersistentWithTtl,
        ),
        create(
            0,
            OpCode::Create,
            path(),
            NodeData::default(),
            CreateMode::PersistentSequential,
        ),
        get_data(0, path(), true),
        Op::Exists {
            session: 1,
            path: path(),
            watch: true,
        },
        Op::Delete {
            session: 0,
            path: path(),
            version: -1,
        },
        set_data(0, path(), NodeData::from(b"x")),
        Op::GetChildren {
            session: 0,
            path: path(),
            watch: true,
        },
        Op::GetChildren2 {
            session: 0,
            path: path(),
            watch: false,
        },
        Op::GetAcl {
            session: 0,
            path: path(),
        },
        Op::SetAcl {
            session: 0,
            path: path(),
            acl: open_acl(),
            version: -1,
        },
        Op::Sync {
            session: 0,
            path: path(),
        },
        Op::AddWatch {
            session: 2,
            path: path(),
            mode: AddWatchMode::Persistent.as_i32(),
        },
        Op::CheckWatches {
            session: 2,
            path: path(),
            watcher_type: any_type,
        },
        Op::RemoveWatches {
            session: 2,
            path: path(),
            watcher_type: any_type,
        },
        Op::RemoveWatches {
            session: 2,
            path: path(),
            watcher_type: any_type,
        },
        Op::GetAllChildrenNumber {
            session: 0,
            path: path(),
        },
        Op::GetEphemerals {
            session: 0,
            prefix_path: path(),
        },
        // In a multi the op fails alone; the good one before it rolls back.
        Op::Multi {
            session: 0,
            ops: vec![
                MultiOp::SetData(SetDataRequest {
                    path: good.clone(),
                    data: NodeData::from(b"b"),
                    version: -1,
                }),
                MultiOp::Create(create_request(path(), NodeData::default())),
            ],
        },
        Op::Multi {
            session: 0,
            ops: vec![
                MultiOp::Check(CheckVersionRequest {
                    path: path(),
                    version: -1,
                }),
                MultiOp::SetData(SetDataRequest {
                    path: path(),
                    data: NodeData::NULL,
                    version: -1,
                }),
                MultiOp::Delete(DeleteRequest {
                    path: path(),
                    version: -1,
                }),
            ],
        },
        Op::MultiRead {
            session: 0,
            ops: vec![
                read_data(path()),
                read_data(good),
                MultiOp::GetChildren(GetChildrenRequest {
                    path: path(),
                    watch: false,
                }),
            ],
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::difftest::op::put_malformed_utf8;

    #[test]
    fn every_scenario_sends_only_slots_it_has_and_reconnects_what_it_drops() {
        for scenario in SCENARIOS {
            let ops = (scenario.ops)("/dt9");
            assert!(!ops.is_empty(), "{}", scenario.name);
            let mut disconnected = [false; 3];
            for op in &ops {
                let slot = op.session();
                assert!(slot < 3, "{}: {op}", scenario.name);
                match op {
                    Op::Disconnect { .. } => disconnected[slot] = true,
                    Op::Reconnect { .. } => disconnected[slot] = false,
                    _ => assert!(!disconnected[slot], "{}: {op}", scenario.name),
                }
            }
            assert_eq!(disconnected, [false; 3], "{}", scenario.name);
        }
    }

    #[test]
    fn a_null_path_goes_on_the_wire_as_length_minus_one() {
        let op = Op::Sync {
            session: 0,
            path: NULL_PATH.into(),
        };
        assert_eq!(op.wire().body, [0xff; 4]);
        let ops = null_paths("/dt9");
        let multi = ops
            .iter()
            .find(|op| matches!(op, Op::Multi { ops, .. } if ops[0].path() == "/dt9/m"))
            .expect("the multi creating /dt9/m");
        let body = multi.wire().body;
        // create "/dt9/m", then a delete whose path is null, version -1,
        // then the closing header (9 bytes).
        let delete_path_at = body.len() - 9 - 8;
        assert_eq!(body[delete_path_at..delete_path_at + 4], [0xff; 4]);
        assert!(!body
            .windows(NULL_PATH.len())
            .any(|w| w == NULL_PATH.as_bytes()));
    }

    #[test]
    fn a_marked_path_goes_on_the_wire_as_its_malformed_bytes() {
        let ops = malformed_utf8_paths("/dt9");
        let Op::Create { path, .. } = &ops[1] else {
            panic!("{}", ops[1])
        };
        assert_eq!(path, "/dt9/\u{F8F0}");
        let body = ops[1].wire().body;
        // CreateRequest starts with the path: length 8, "/dt9/", ff fe fd.
        assert_eq!(body[..12], *b"\0\0\0\x08/dt9/\xff\xfe\xfd");
        let mut marked = "/\u{F8F1}\u{F8F2}\u{F8F3}".as_bytes().to_vec();
        put_malformed_utf8(&mut marked);
        assert_eq!(marked, b"/\xed\xa0\x80\xe2\x82a\xc0\xafa");
    }
}
