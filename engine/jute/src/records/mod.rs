//! Every record of ZooKeeper 3.8/3.9's zookeeper.jute, by module.

pub mod data;
pub mod proto;
pub mod server;
pub mod txn;
