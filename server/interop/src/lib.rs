//! Interop scenarios driven by clients we did not write: zookeeper-client (Rust), kazoo, the Java client
