//! A client request after the handshake, decoded by its op code.
//!
//! Decoding follows Java jute's leniency: bytes after the record are
//! ignored (ZooKeeper reads the record and stops). A body that does not
//! decode is a MarshallingError (for a write it still takes a zxid, as in
//! ZooKeeper, where the txn header is made before the body is read).
//!
//! A path sent as jute's null (length -1) decodes as "", but Java's jute
//! keeps it as `null`, and ZooKeeper 3.8 fails on it where it first uses
//! the path, so the answer depends on the op: MarshallingError where it
//! dereferences the path first (create's family after its flag and TTL
//! checks, delete, the reads, checkWatches, a multi or multiRead holding
//! one), what "" gets where `validatePath` or a null-tolerant call runs
//! first (setData, setACL, check, getEphemerals), and OK for sync (the
//! null path echoed) and addWatch. Every request record with one path
//! starts with it, as does each op of a multi, so telling null apart costs
//! one 4-byte comparison ([`Reader::next_is_null`]) and no allocation.

use std::borrow::Cow;

use ringkeeper_jute::{
    AddWatchRequest, CheckVersionRequest, CheckWatchesRequest, CreateRequest, CreateTtlRequest,
    DecodeError, DeleteRequest, ExistsRequest, GetAclRequest, GetAllChildrenNumberRequest,
    GetChildren2Request, GetChildrenRequest, GetDataRequest, GetEphemeralsRequest, Jute, MultiOp,
    MultiRequest, OpCode, Reader, ReconfigRequest, RemoveWatchesRequest, SetAclRequest,
    SetDataRequest, SyncRequest,
};

/// The requests that become txns (go through prep and apply).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteRequest {
    /// create (1), create2 (15) or createContainer (19).
    Create {
        op_code: OpCode,
        request: CreateRequest,
        /// The path was jute's null (and reads as ""): MarshallingError
        /// once the flags and TTL have passed their checks.
        path_is_null: bool,
    },
    CreateTtl {
        request: CreateTtlRequest,
        /// As for [`WriteRequest::Create`].
        path_is_null: bool,
    },
    Delete(DeleteRequest),
    /// deleteContainer (20): the container manager's delete, by path.
    DeleteContainer {
        path: String,
    },
    SetData(SetDataRequest),
    SetAcl(SetAclRequest),
    Check(CheckVersionRequest),
    Multi(MultiRequest),
    Reconfig(ReconfigRequest),
    CloseSession,
}

impl WriteRequest {
    pub fn op_code(&self) -> OpCode {
        match self {
            WriteRequest::Create { op_code, .. } => *op_code,
            WriteRequest::CreateTtl { .. } => OpCode::CreateTtl,
            WriteRequest::Delete(_) => OpCode::Delete,
            WriteRequest::DeleteContainer { .. } => OpCode::DeleteContainer,
            WriteRequest::SetData(_) => OpCode::SetData,
            WriteRequest::SetAcl(_) => OpCode::SetAcl,
            WriteRequest::Check(_) => OpCode::Check,
            WriteRequest::Multi(_) => OpCode::Multi,
            WriteRequest::Reconfig(_) => OpCode::Reconfig,
            WriteRequest::CloseSession => OpCode::CloseSession,
        }
    }
}

/// The requests answered from the tree as it is (no txn).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadRequest {
    Exists(ExistsRequest),
    GetData(GetDataRequest),
    GetAcl(GetAclRequest),
    GetChildren(GetChildrenRequest),
    GetChildren2(GetChildren2Request),
    GetAllChildrenNumber(GetAllChildrenNumberRequest),
    GetEphemerals(GetEphemeralsRequest),
    Sync(SyncRequest),
    MultiRead {
        /// The ops ZooKeeper answers before it stops: those before the
        /// first that names a null path.
        request: MultiRequest,
        /// Whether it stops there: MarshallingError, with the results so
        /// far as the body.
        stopped: bool,
    },
    /// setWatches (101) is read as a setWatches2 (105) with no persistent watches.
    SetWatches(WatchLists),
    AddWatch(AddWatchRequest),
    CheckWatches(CheckWatchesRequest),
    RemoveWatches(RemoveWatchesRequest),
    WhoAmI,
    Ping,
    /// A request whose path is jute's null and which ZooKeeper answers
    /// with something other than MarshallingError at once.
    NullPath(NullPathRequest),
}

/// The requests with a null path that [`ReadRequest::NullPath`] holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NullPathRequest {
    /// OK, the null path echoed.
    Sync,
    /// OK once the mode is valid, setting no watch that can fire; the
    /// connection then holds a null-path watch (`Connection::
    /// holds_null_path_watch`), and a second one fails.
    AddWatch { mode: i32 },
    /// NoWatcher once the type is valid (MarshallingError while the
    /// connection holds a null-path watch).
    RemoveWatches { watcher_type: i32 },
    /// A multi with a null path in any op: ZooKeeper fails it while
    /// collecting the ops' pending changes, before it has a txn, so it
    /// takes no zxid of its own and is answered as a read:
    /// MarshallingError with an empty MultiResponse as the body.
    Multi,
}

/// setWatches' (and setWatches2's) lists, each path `None` where it was
/// jute's null. ZooKeeper handles the lists in this order and stops at a
/// null one in the first three (MarshallingError), having sent the
/// events and set the watches of the paths before it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WatchLists {
    pub relative_zxid: i64,
    pub data_watches: Vec<Option<String>>,
    pub exist_watches: Vec<Option<String>>,
    pub child_watches: Vec<Option<String>>,
    pub persistent_watches: Vec<Option<String>>,
    pub persistent_recursive_watches: Vec<Option<String>>,
}

impl WatchLists {
    /// Decodes setWatches (`version2` false: the first four fields) or
    /// setWatches2, with the field names of their records.
    fn decode(reader: &mut Reader<'_>, version2: bool) -> Result<WatchLists, DecodeError> {
        let list = |reader: &mut Reader<'_>, field: &'static str| {
            reader.read_vector(field, 4, |reader| {
                Ok(reader.read_ustring_or_null_ref(field)?.map(Cow::into_owned))
            })
        };
        let relative_zxid = reader.read_long("SetWatches.relativeZxid")?;
        let data_watches = list(reader, "SetWatches.dataWatches")?;
        let exist_watches = list(reader, "SetWatches.existWatches")?;
        let child_watches = list(reader, "SetWatches.childWatches")?;
        let (persistent_watches, persistent_recursive_watches) = if version2 {
            (
                list(reader, "SetWatches2.persistentWatches")?,
                list(reader, "SetWatches2.persistentRecursiveWatches")?,
            )
        } else {
            (Vec::new(), Vec::new())
        };
        Ok(WatchLists {
            relative_zxid,
            data_watches,
            exist_watches,
            child_watches,
            persistent_watches,
            persistent_recursive_watches,
        })
    }
}

/// Whether a request record, which starts with its path, names jute's
/// null path.
fn path_is_null(body: &[u8]) -> bool {
    Reader::new(body).next_is_null()
}

/// A multi or multiRead and the index of its first op with a null path.
fn decode_multi(body: &[u8]) -> Option<(MultiRequest, Option<usize>)> {
    MultiRequest::decode_noting_null_path(&mut Reader::new(body)).ok()
}

/// Lenient decode: the record, ignoring any bytes after it.
pub fn decode_lenient<T: Jute>(body: &[u8]) -> Option<T> {
    T::decode(&mut Reader::new(body)).ok()
}

/// A write op's request; Err(()) when the body does not decode (or, for a
/// delete, names a null path). None when `op_code` is not a write, and for
/// a multi with a null path, which ZooKeeper fails before it has a txn
/// ([`decode_read`] reads it as [`NullPathRequest::Multi`]).
pub fn decode_write(op_code: OpCode, body: &[u8]) -> Option<Result<WriteRequest, ()>> {
    let decoded = match op_code {
        OpCode::Create | OpCode::Create2 | OpCode::CreateContainer => {
            decode_lenient(body).map(|request| WriteRequest::Create {
                op_code,
                request,
                path_is_null: path_is_null(body),
            })
        }
        OpCode::CreateTtl => decode_lenient(body).map(|request| WriteRequest::CreateTtl {
            request,
            path_is_null: path_is_null(body),
        }),
        OpCode::Delete => decode_lenient(body)
            .filter(|_| !path_is_null(body))
            .map(WriteRequest::Delete),
        // ZooKeeper reads a deleteContainer path from the request's whole
        // buffer, header included, whose op code bytes hold NULs: from a
        // client it is always a bad path. Keep that: the path is the header
        // bytes' stand-in, a NUL.
        OpCode::DeleteContainer => Some(WriteRequest::DeleteContainer {
            path: "\0".to_string(),
        }),
        OpCode::SetData => decode_lenient(body).map(WriteRequest::SetData),
        OpCode::SetAcl => decode_lenient(body).map(WriteRequest::SetAcl),
        OpCode::Check => decode_lenient(body).map(WriteRequest::Check),
        OpCode::Multi => match decode_multi(body) {
            Some((_, Some(_))) => return None,
            decoded => decoded.map(|(multi, _)| WriteRequest::Multi(multi)),
        },
        OpCode::Reconfig => decode_lenient(body).map(WriteRequest::Reconfig),
        OpCode::CloseSession => Some(WriteRequest::CloseSession),
        _ => return None,
    };
    Some(decoded.ok_or(()))
}

/// A read op's request; Err(()) when the body does not decode. None when
/// `op_code` is not a read.
pub fn decode_read(op_code: OpCode, body: &[u8]) -> Option<Result<ReadRequest, ()>> {
    if path_is_null(body) {
        if let Some(decoded) = decode_null_path_read(op_code, body) {
            return Some(decoded.ok_or(()));
        }
    }
    let decoded = match op_code {
        OpCode::Exists => decode_lenient(body).map(ReadRequest::Exists),
        OpCode::GetData => decode_lenient(body).map(ReadRequest::GetData),
        OpCode::GetAcl => decode_lenient(body).map(ReadRequest::GetAcl),
        OpCode::GetChildren => decode_lenient(body).map(ReadRequest::GetChildren),
        OpCode::GetChildren2 => decode_lenient(body).map(ReadRequest::GetChildren2),
        OpCode::GetAllChildrenNumber => decode_lenient(body).map(ReadRequest::GetAllChildrenNumber),
        OpCode::GetEphemerals => decode_lenient(body).map(ReadRequest::GetEphemerals),
        OpCode::Sync => decode_lenient(body).map(ReadRequest::Sync),
        // A write op in a multiRead fails its decoding in ZooKeeper
        // (read and write ops do not mix). Else ZooKeeper answers the ops
        // in order and stops at the first with a null path.
        OpCode::MultiRead => decode_multi(body)
            .filter(|(request, _)| request.ops.iter().all(MultiOp::is_read))
            .map(|(mut request, first_null_path)| {
                if let Some(stop) = first_null_path {
                    request.ops.truncate(stop);
                }
                ReadRequest::MultiRead {
                    request,
                    stopped: first_null_path.is_some(),
                }
            }),
        // A multi that is not a write: one with a null path.
        OpCode::Multi => match decode_multi(body)? {
            (_, Some(_)) => Some(ReadRequest::NullPath(NullPathRequest::Multi)),
            (_, None) => return None,
        },
        OpCode::SetWatches | OpCode::SetWatches2 => {
            let version2 = op_code == OpCode::SetWatches2;
            WatchLists::decode(&mut Reader::new(body), version2)
                .ok()
                .map(ReadRequest::SetWatches)
        }
        OpCode::AddWatch => decode_lenient(body).map(ReadRequest::AddWatch),
        OpCode::CheckWatches => decode_lenient(body).map(ReadRequest::CheckWatches),
        OpCode::RemoveWatches => decode_lenient(body).map(ReadRequest::RemoveWatches),
        OpCode::WhoAmI => Some(ReadRequest::WhoAmI),
        OpCode::Ping => Some(ReadRequest::Ping),
        _ => return None,
    };
    Some(decoded.ok_or(()))
}

/// A read whose body starts with a null path: None when `op_code` is not
/// one of the reads whose record starts with its path (a multi, a
/// multiRead and setWatches are read on), Some(None) for MarshallingError.
fn decode_null_path_read(op_code: OpCode, body: &[u8]) -> Option<Option<ReadRequest>> {
    let null_path = |request| Some(ReadRequest::NullPath(request));
    Some(match op_code {
        // The path is used first: a NullPointerException.
        OpCode::Exists
        | OpCode::GetData
        | OpCode::GetAcl
        | OpCode::GetChildren
        | OpCode::GetChildren2
        | OpCode::GetAllChildrenNumber
        | OpCode::CheckWatches => None,
        OpCode::Sync => decode_lenient::<SyncRequest>(body).and(null_path(NullPathRequest::Sync)),
        OpCode::AddWatch => decode_lenient::<AddWatchRequest>(body)
            .and_then(|request| null_path(NullPathRequest::AddWatch { mode: request.mode })),
        OpCode::RemoveWatches => decode_lenient::<RemoveWatchesRequest>(body).and_then(|request| {
            null_path(NullPathRequest::RemoveWatches {
                watcher_type: request.watcher_type,
            })
        }),
        // getEphemerals' null prefix is all of them, as "" is.
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_bytes_are_ignored_as_java_jute_ignores_them() {
        let mut body = GetDataRequest {
            path: "/a".into(),
            watch: true,
        }
        .to_bytes();
        body.extend_from_slice(b"junk");
        assert_eq!(
            decode_read(OpCode::GetData, &body),
            Some(Ok(ReadRequest::GetData(GetDataRequest {
                path: "/a".into(),
                watch: true
            })))
        );
    }

    #[test]
    fn a_multi_with_a_null_path_is_no_write_and_is_read_as_one_to_fail() {
        let mut body = Vec::new();
        ringkeeper_jute::MultiHeader {
            op_code: OpCode::Delete.as_i32(),
            done: false,
            err: -1,
        }
        .encode(&mut body);
        body.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
        ringkeeper_jute::MultiHeader {
            op_code: -1,
            done: true,
            err: -1,
        }
        .encode(&mut body);
        assert_eq!(decode_write(OpCode::Multi, &body), None);
        assert_eq!(
            decode_read(OpCode::Multi, &body),
            Some(Ok(ReadRequest::NullPath(NullPathRequest::Multi)))
        );
        // Without the null path it is a write, and not a read.
        body[9..13].copy_from_slice(&[0, 0, 0, 0]);
        assert!(matches!(
            decode_write(OpCode::Multi, &body),
            Some(Ok(WriteRequest::Multi(_)))
        ));
        assert_eq!(decode_read(OpCode::Multi, &body), None);
    }

    #[test]
    fn a_null_path_is_told_apart_from_an_empty_one() {
        let null_delete = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
        assert_eq!(decode_write(OpCode::Delete, &null_delete), Some(Err(())));
        let empty_delete = [0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff];
        assert!(matches!(
            decode_write(OpCode::Delete, &empty_delete),
            Some(Ok(WriteRequest::Delete(_)))
        ));
        assert_eq!(
            decode_read(OpCode::Sync, &[0xff; 4]),
            Some(Ok(ReadRequest::NullPath(NullPathRequest::Sync)))
        );
        assert_eq!(
            decode_read(OpCode::GetData, &[0xff, 0xff, 0xff, 0xff, 1]),
            Some(Err(()))
        );
    }

    #[test]
    fn a_truncated_body_is_an_error_and_other_ops_are_not_this_kind() {
        assert_eq!(decode_write(OpCode::SetData, &[0, 0]), Some(Err(())));
        assert_eq!(decode_write(OpCode::GetData, &[]), None);
        assert_eq!(decode_read(OpCode::Create, &[]), None);
        assert_eq!(
            decode_write(OpCode::CloseSession, &[]),
            Some(Ok(WriteRequest::CloseSession))
        );
    }
}
