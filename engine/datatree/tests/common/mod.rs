//! What the tree's integration tests share.

use ringkeeper_jute::{Acl, Id, Perms};

/// world:anyone with every permission, as a client would send it (a
/// create with it gets a counted ACL number, not OPEN_ACL_UNSAFE's -1).
pub fn open() -> Vec<Acl> {
    vec![Acl {
        perms: Perms::ALL,
        id: Id {
            scheme: "world".to_string(),
            id: "anyone".to_string(),
        },
    }]
}
