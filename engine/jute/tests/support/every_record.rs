// The one list of every record type the codec defines, shared by the
// property tests (as `mod support`) and the fuzz targets (by `include!`).
// `every_record_in_the_source_is_listed` in tests/roundtrip.rs reads the
// codec's source and fails when a record is added there but not here.

/// Calls `$callback! { Record, Record, ... }` with every record type of
/// `ringkeeper_jute`, each spelled as the bare type name.
#[allow(unused_macros)]
macro_rules! with_every_record {
    ($callback:ident) => {
        $callback! {
            // records/data.rs
            Id, Acl, Stat, StatPersisted, ClientInfo,
            // records/proto.rs
            SetWatches, SetWatches2, RequestHeader, MultiHeader, AuthPacket, ReplyHeader,
            GetDataRequest, SetDataRequest, ReconfigRequest, SetDataResponse, GetSaslRequest,
            SetSaslRequest, SetSaslResponse, CreateRequest, CreateTtlRequest, DeleteRequest,
            GetChildrenRequest, GetAllChildrenNumberRequest, GetStatPersistedRequest,
            GetChildren2Request, CheckVersionRequest, GetMaxChildrenRequest,
            GetMaxChildrenResponse, SetMaxChildrenRequest, SyncRequest, SyncResponse,
            GetAclRequest, SetAclRequest, SetAclResponse, AddWatchRequest, WatcherEvent,
            ErrorResponse, CreateResponse, Create2Response, ExistsRequest, ExistsResponse,
            GetDataResponse, GetChildrenResponse, GetAllChildrenNumberResponse,
            GetStatPersistedResponse, GetChildren2Response, GetAclResponse,
            CheckWatchesRequest, RemoveWatchesRequest, GetEphemeralsRequest,
            GetEphemeralsResponse, WhoAmIResponse,
            // records/server.rs
            LearnerInfo, QuorumPacket, QuorumAuthPacket, FileHeader,
            // records/txn.rs
            TxnDigest, TxnHeader, CreateTxnV0, CreateTxn, CreateTtlTxn, CreateContainerTxn,
            DeleteTxn, SetDataTxn, CheckVersionTxn, SetAclTxn, SetMaxChildrenTxn,
            CreateSessionTxn, CloseSessionTxn, ErrorTxn, Txn, MultiTxn,
            // connect.rs and multi.rs: written by hand, not by jute_records!
            ConnectRequest, ConnectResponse, MultiRequest, MultiResponse,
        }
    };
}

/// The records whose last field is optional on the wire (older peers omit
/// it), so one of their strict prefixes is itself a valid encoding.
#[allow(dead_code)]
pub const RECORDS_WITH_OPTIONAL_TRAILING_FIELD: &[&str] = &["ConnectRequest", "ConnectResponse"];
