//! `org.apache.zookeeper.proto`: what crosses the client port, after the
//! handshake (see [`crate::connect`]) and besides multi (see
//! [`crate::multi`]).
//!
//! A client frame is `RequestHeader` then the op's request record; a
//! server frame is `ReplyHeader` then the op's response record (nothing
//! when `err` is not OK). Notifications are `ReplyHeader{xid=-1}` then
//! `WatcherEvent`.

use super::data::{Acl, ClientInfo, Stat, StatPersisted};

jute_records! {
    /// Sent by a client re-establishing its watches after a reconnect.
    SetWatches {
        relative_zxid: long,
        data_watches: vector<ustring>,
        exist_watches: vector<ustring>,
        child_watches: vector<ustring>,
    }

    /// SetWatches plus persistent and persistent-recursive watches (3.6+).
    SetWatches2 {
        relative_zxid: long,
        data_watches: vector<ustring>,
        exist_watches: vector<ustring>,
        child_watches: vector<ustring>,
        persistent_watches: vector<ustring>,
        persistent_recursive_watches: vector<ustring>,
    }

    /// Precedes every client request: its xid and op code.
    RequestHeader {
        xid: int,
        op_code: int,
    }

    /// Precedes each op and each result inside a multi.
    MultiHeader {
        op_code: int,
        done: boolean,
        err: int,
    }

    /// addAuth: scheme and credentials ("digest", b"user:password").
    AuthPacket {
        auth_type: int,
        scheme: ustring,
        auth: buffer,
    }

    /// Precedes every server reply and notification.
    ReplyHeader {
        xid: int,
        zxid: long,
        err: int,
    }

    GetDataRequest {
        path: ustring,
        watch: boolean,
    }

    SetDataRequest {
        path: ustring,
        data: node_data,
        version: int,
    }

    ReconfigRequest {
        joining_servers: ustring,
        leaving_servers: ustring,
        new_members: ustring,
        cur_config_id: long,
    }

    SetDataResponse {
        stat: Stat,
    }

    GetSaslRequest {
        token: buffer,
    }

    SetSaslRequest {
        token: buffer,
    }

    SetSaslResponse {
        token: buffer,
    }

    /// create, create2 and createContainer all carry this record.
    CreateRequest {
        path: ustring,
        data: node_data,
        acl: vector<Acl>,
        flags: int,
    }

    CreateTtlRequest {
        path: ustring,
        data: node_data,
        acl: vector<Acl>,
        flags: int,
        ttl: long,
    }

    DeleteRequest {
        path: ustring,
        version: int,
    }

    GetChildrenRequest {
        path: ustring,
        watch: boolean,
    }

    GetAllChildrenNumberRequest {
        path: ustring,
    }

    GetStatPersistedRequest {
        path: ustring,
    }

    GetChildren2Request {
        path: ustring,
        watch: boolean,
    }

    /// The `check` op of a multi.
    CheckVersionRequest {
        path: ustring,
        version: int,
    }

    GetMaxChildrenRequest {
        path: ustring,
    }

    GetMaxChildrenResponse {
        max: int,
    }

    SetMaxChildrenRequest {
        path: ustring,
        max: int,
    }

    SyncRequest {
        path: ustring,
    }

    SyncResponse {
        path: ustring,
    }

    GetAclRequest {
        path: ustring,
    }

    SetAclRequest {
        path: ustring,
        acl: vector<Acl>,
        version: int,
    }

    SetAclResponse {
        stat: Stat,
    }

    /// addWatch; `mode` is an [`crate::AddWatchMode`].
    AddWatchRequest {
        path: ustring,
        mode: int,
    }

    /// A watch notification; `event_type` is an [`crate::EventType`],
    /// `state` a [`crate::KeeperState`].
    WatcherEvent {
        event_type: int,
        state: int,
        path: ustring,
    }

    ErrorResponse {
        err: int,
    }

    CreateResponse {
        path: ustring,
    }

    Create2Response {
        path: ustring,
        stat: Stat,
    }

    ExistsRequest {
        path: ustring,
        watch: boolean,
    }

    ExistsResponse {
        stat: Stat,
    }

    GetDataResponse {
        data: node_data,
        stat: Stat,
    }

    GetChildrenResponse {
        children: vector<ustring>,
    }

    GetAllChildrenNumberResponse {
        total_number: int,
    }

    GetStatPersistedResponse {
        stat_persisted: StatPersisted,
    }

    GetChildren2Response {
        children: vector<ustring>,
        stat: Stat,
    }

    GetAclResponse {
        acl: vector<Acl>,
        stat: Stat,
    }

    /// checkWatches; `watcher_type` is a [`crate::WatcherType`].
    CheckWatchesRequest {
        path: ustring,
        watcher_type: int,
    }

    /// removeWatches; `watcher_type` is a [`crate::WatcherType`].
    RemoveWatchesRequest {
        path: ustring,
        watcher_type: int,
    }

    GetEphemeralsRequest {
        prefix_path: ustring,
    }

    GetEphemeralsResponse {
        ephemerals: vector<ustring>,
    }

    /// whoAmI's answer (3.9): the session's authenticated identities.
    WhoAmIResponse {
        client_info: vector<ClientInfo>,
    }
}
