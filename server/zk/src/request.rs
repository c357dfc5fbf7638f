//! A client request after the handshake, decoded by its op code.
//!
//! Decoding follows Java jute's leniency: bytes after the record are
//! ignored (ZooKeeper reads the record and stops). A body that does not
//! decode is a MarshallingError (for a write it still takes a zxid, as in
//! ZooKeeper, where the txn header is made before the body is read).

use ringkeeper_jute::{
    AddWatchRequest, CheckVersionRequest, CheckWatchesRequest, CreateRequest, CreateTtlRequest,
    DeleteRequest, ExistsRequest, GetAclRequest, GetAllChildrenNumberRequest, GetChildren2Request,
    GetChildrenRequest, GetDataRequest, GetEphemeralsRequest, Jute, MultiRequest, OpCode, Reader,
    ReconfigRequest, RemoveWatchesRequest, SetAclRequest, SetDataRequest, SetWatches, SetWatches2,
    SyncRequest,
};

/// The requests that become txns (go through prep and apply).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteRequest {
    /// create (1), create2 (15) or createContainer (19).
    Create {
        op_code: OpCode,
        request: CreateRequest,
    },
    CreateTtl(CreateTtlRequest),
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
            WriteRequest::CreateTtl(_) => OpCode::CreateTtl,
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
    MultiRead(MultiRequest),
    /// setWatches (101) is read as a SetWatches2 with no persistent watches.
    SetWatches(SetWatches2),
    AddWatch(AddWatchRequest),
    CheckWatches(CheckWatchesRequest),
    RemoveWatches(RemoveWatchesRequest),
    WhoAmI,
    Ping,
}

/// Lenient decode: the record, ignoring any bytes after it.
pub fn decode_lenient<T: Jute>(body: &[u8]) -> Option<T> {
    T::decode(&mut Reader::new(body)).ok()
}

/// A write op's request; Err(()) when the body does not decode. None when
/// `op_code` is not a write.
pub fn decode_write(op_code: OpCode, body: &[u8]) -> Option<Result<WriteRequest, ()>> {
    let decoded = match op_code {
        OpCode::Create | OpCode::Create2 | OpCode::CreateContainer => {
            decode_lenient(body).map(|request| WriteRequest::Create { op_code, request })
        }
        OpCode::CreateTtl => decode_lenient(body).map(WriteRequest::CreateTtl),
        OpCode::Delete => decode_lenient(body).map(WriteRequest::Delete),
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
        OpCode::Multi => decode_lenient(body).map(WriteRequest::Multi),
        OpCode::Reconfig => decode_lenient(body).map(WriteRequest::Reconfig),
        OpCode::CloseSession => Some(WriteRequest::CloseSession),
        _ => return None,
    };
    Some(decoded.ok_or(()))
}

/// A read op's request; Err(()) when the body does not decode. None when
/// `op_code` is not a read.
pub fn decode_read(op_code: OpCode, body: &[u8]) -> Option<Result<ReadRequest, ()>> {
    let decoded = match op_code {
        OpCode::Exists => decode_lenient(body).map(ReadRequest::Exists),
        OpCode::GetData => decode_lenient(body).map(ReadRequest::GetData),
        OpCode::GetAcl => decode_lenient(body).map(ReadRequest::GetAcl),
        OpCode::GetChildren => decode_lenient(body).map(ReadRequest::GetChildren),
        OpCode::GetChildren2 => decode_lenient(body).map(ReadRequest::GetChildren2),
        OpCode::GetAllChildrenNumber => decode_lenient(body).map(ReadRequest::GetAllChildrenNumber),
        OpCode::GetEphemerals => decode_lenient(body).map(ReadRequest::GetEphemerals),
        OpCode::Sync => decode_lenient(body).map(ReadRequest::Sync),
        OpCode::MultiRead => decode_lenient(body).map(ReadRequest::MultiRead),
        OpCode::SetWatches => decode_lenient::<SetWatches>(body).map(|watches| {
            ReadRequest::SetWatches(SetWatches2 {
                relative_zxid: watches.relative_zxid,
                data_watches: watches.data_watches,
                exist_watches: watches.exist_watches,
                child_watches: watches.child_watches,
                persistent_watches: Vec::new(),
                persistent_recursive_watches: Vec::new(),
            })
        }),
        OpCode::SetWatches2 => decode_lenient(body).map(ReadRequest::SetWatches),
        OpCode::AddWatch => decode_lenient(body).map(ReadRequest::AddWatch),
        OpCode::CheckWatches => decode_lenient(body).map(ReadRequest::CheckWatches),
        OpCode::RemoveWatches => decode_lenient(body).map(ReadRequest::RemoveWatches),
        OpCode::WhoAmI => Some(ReadRequest::WhoAmI),
        OpCode::Ping => Some(ReadRequest::Ping),
        _ => return None,
    };
    Some(decoded.ok_or(()))
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
