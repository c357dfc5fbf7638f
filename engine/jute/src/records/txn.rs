//! `org.apache.zookeeper.txn`: the transactions the leader proposes and
//! the txn log stores. A logged txn is `TxnHeader`, the body chosen by
//! `TxnHeader.txn_type` (an [`crate::OpCode`]), then an optional
//! `TxnDigest`.

use super::data::Acl;

jute_records! {
    /// Digest of the whole tree after a txn (3.6+), for replicas to compare.
    TxnDigest {
        version: int,
        tree_digest: long,
    }

    TxnHeader {
        client_id: long,
        cxid: int,
        zxid: long,
        /// Leader's clock when proposed, ms since the epoch.
        time: long,
        txn_type: int,
    }

    /// Pre-3.3 create, still readable in old logs.
    CreateTxnV0 {
        path: ustring,
        data: node_data,
        acl: vector<Acl>,
        ephemeral: boolean,
    }

    CreateTxn {
        path: ustring,
        data: node_data,
        acl: vector<Acl>,
        ephemeral: boolean,
        parent_cversion: int,
    }

    CreateTtlTxn {
        path: ustring,
        data: node_data,
        acl: vector<Acl>,
        parent_cversion: int,
        ttl: long,
    }

    CreateContainerTxn {
        path: ustring,
        data: node_data,
        acl: vector<Acl>,
        parent_cversion: int,
    }

    DeleteTxn {
        path: ustring,
    }

    SetDataTxn {
        path: ustring,
        data: node_data,
        version: int,
    }

    CheckVersionTxn {
        path: ustring,
        version: int,
    }

    SetAclTxn {
        path: ustring,
        acl: vector<Acl>,
        version: int,
    }

    SetMaxChildrenTxn {
        path: ustring,
        max: int,
    }

    CreateSessionTxn {
        time_out: int,
    }

    CloseSessionTxn {
        paths_to_delete: vector<ustring>,
    }

    ErrorTxn {
        err: int,
    }

    /// One member of a MultiTxn: the op code and that txn's encoding.
    Txn {
        txn_type: int,
        data: buffer,
    }

    MultiTxn {
        txns: vector<Txn>,
    }
}
