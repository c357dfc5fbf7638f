//! `org.apache.zookeeper.data`: identities, ACLs and node metadata.

jute_records! {
    /// An identity: a scheme ("world", "auth", "digest", "ip", "super",
    /// "sasl", "x509") and the scheme's id ("anyone", "user:hash", a CIDR).
    Id {
        scheme: ustring,
        id: ustring,
    }

    /// A permission set (see [`crate::Perms`]) granted to an identity.
    Acl {
        perms: int,
        id: Id,
    }

    /// Node metadata as clients see it.
    Stat {
        /// zxid of the txn that created the node.
        czxid: long,
        /// zxid of the txn that last changed the node's data.
        mzxid: long,
        /// Creation time, ms since the epoch.
        ctime: long,
        /// Last data change, ms since the epoch.
        mtime: long,
        /// Data version: number of setData since creation.
        version: int,
        /// Child version: number of child creations and deletions.
        cversion: int,
        /// ACL version: number of setACL since creation.
        aversion: int,
        /// Owning session id if the node is ephemeral, else 0 (TTL and
        /// container nodes carry special markers here on the server side).
        ephemeral_owner: long,
        data_length: int,
        num_children: int,
        /// zxid of the txn that last changed the node's children.
        pzxid: long,
    }

    /// Node metadata as the server stores it in snapshots (no data length
    /// or child count: those are derived).
    StatPersisted {
        czxid: long,
        mzxid: long,
        ctime: long,
        mtime: long,
        version: int,
        cversion: int,
        aversion: int,
        ephemeral_owner: long,
        pzxid: long,
    }

    /// One authenticated identity of a session, answered by whoAmI (3.9).
    ClientInfo {
        auth_scheme: ustring,
        user: ustring,
    }
}
