//! Why a change to the tree was refused. The request processor checks
//! requests before they become txns, so in a healthy server these happen
//! only when a txn is replayed twice or a caller is wrong; the tree then
//! refuses and stays unchanged instead of panicking.

use std::fmt;

use ringkeeper_jute::ErrorCode;

use crate::acl_cache::AclId;
use crate::ephemeral_type::InvalidEphemeralOwner;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TreeError {
    /// The node (or, for a create, its parent) does not exist.
    NoNode,
    /// A create names a node that exists.
    NodeExists,
    /// A delete names a node that has children.
    NotEmpty,
    /// A create under an ephemeral node (ephemerals have no children).
    NoChildrenForEphemerals,
    /// Not a canonical path ("/" or "/a/b": no empty names, no trailing
    /// '/'). Only the shape is checked here; [`crate::path::validate_path`]
    /// is the full rule.
    BadPath,
    /// An extended-type owner with an unknown feature.
    InvalidEphemeralOwner(InvalidEphemeralOwner),
    /// The arena holds [`crate::NODES_MAX`] nodes already.
    TooManyNodes,
    /// A restored node names an ACL number the cache does not hold.
    UnknownAclId(AclId),
}

impl TreeError {
    /// The ZooKeeper error code a client would see.
    pub fn error_code(self) -> ErrorCode {
        match self {
            TreeError::NoNode => ErrorCode::NoNode,
            TreeError::NodeExists => ErrorCode::NodeExists,
            TreeError::NotEmpty => ErrorCode::NotEmpty,
            TreeError::NoChildrenForEphemerals => ErrorCode::NoChildrenForEphemerals,
            TreeError::BadPath | TreeError::InvalidEphemeralOwner(_) => ErrorCode::BadArguments,
            TreeError::TooManyNodes | TreeError::UnknownAclId(_) => ErrorCode::SystemError,
        }
    }
}

impl fmt::Display for TreeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TreeError::NoNode => f.write_str("no node"),
            TreeError::NodeExists => f.write_str("node exists"),
            TreeError::NotEmpty => f.write_str("node has children"),
            TreeError::NoChildrenForEphemerals => {
                f.write_str("ephemeral nodes may not have children")
            }
            TreeError::BadPath => f.write_str("not a canonical znode path"),
            TreeError::InvalidEphemeralOwner(owner) => owner.fmt(f),
            TreeError::TooManyNodes => write!(
                f,
                "the tree holds {} nodes, its limit (NODES_MAX)",
                crate::NODES_MAX
            ),
            TreeError::UnknownAclId(id) => write!(f, "ACL number {id} is not in the ACL cache"),
        }
    }
}

impl std::error::Error for TreeError {}

impl From<InvalidEphemeralOwner> for TreeError {
    fn from(owner: InvalidEphemeralOwner) -> Self {
        TreeError::InvalidEphemeralOwner(owner)
    }
}
