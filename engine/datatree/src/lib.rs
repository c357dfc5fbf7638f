//! The ZooKeeper data tree in an arena: nodes, children, Stat, ACL cache,
//! digest. It owns ZooKeeper's `DataTree`, `DataNode`,
//! `ReferenceCountedACLCache` and `EphemeralType` semantics: applying
//! already-validated changes (create, delete, setData, setACL,
//! setCversionPzxid, killSession) with Stat maintained exactly as ZooKeeper
//! 3.8 does, the session/container/TTL indexes, mntr's node count and data
//! size, and a 64-bit digest of the whole tree kept in O(1) per change. It
//! also has ZooKeeper's path rules ([`path`]).
//!
//! It also keeps ZooKeeper's quota statistics (the `zookeeper_stats`
//! nodes, see [`quota`]) as its DataTree does.
//!
//! It is a pure core: no sockets, files, clocks or threads (times and
//! zxids are passed in), and it must not check permissions or versions,
//! enforce quotas, fire watches, or know about requests and sessions beyond owner
//! ids: the request processor does that before a change reaches the tree.
//! A refused change returns a [`TreeError`] and leaves the tree unchanged;
//! nothing here panics on caller input, except a stale [`NodeId`] passed to
//! the accessors documented to panic.
//!
//! Layout: nodes live in an arena of slots with generations ([`NodeId`]);
//! a node stores its name and data in one buffer and its children as a
//! table of slot indexes keyed by a seeded hash of the child's name, so a
//! path is looked up component by component without allocating.

mod acl_cache;
mod arena;
mod children;
pub mod digest;
pub mod ephemeral_type;
mod error;
mod hash;
mod node;
mod owner_index;
pub mod path;
pub mod quota;
mod tree;
mod tree_replay;
mod tree_restore;
mod tree_walk;

pub use acl_cache::{AclCache, AclId, OPEN_ACL_UNSAFE_ID};
pub use arena::{NodeId, NODES_MAX};
pub use ephemeral_type::EphemeralType;
pub use error::TreeError;
pub use node::{Node, NodeStat};
pub use tree::{DataTree, TreeOptions, NAME_BYTES_MAX};
pub use tree_walk::MemoryUsage;
