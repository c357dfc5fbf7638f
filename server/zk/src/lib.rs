//! The ZooKeeper server state machine: requests to txns, txns applied, replies and watch events
