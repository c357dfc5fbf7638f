//! The ZooKeeper data tree in an arena: nodes, children, Stat, ACL cache, digest
