//! ZooKeeper session tracking: ids, passwords, timeout negotiation, expiry in tick buckets
