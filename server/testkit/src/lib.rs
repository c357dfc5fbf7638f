//! Test support: start Apache ZooKeeper or ringkeeper on loopback, a raw wire client, the differential tester
