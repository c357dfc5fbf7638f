//! Quota statistics: the tree rewrites each `zookeeper_stats` node as
//! ZooKeeper 3.8's DataTree does. The expected values were read from
//! Apache ZooKeeper 3.8 running the same steps (the differential tester
//! found ringkeeper leaving the stats node as the client wrote it).

mod common;

use common::open;
use ringkeeper_datatree::{DataTree, NodeStat};

struct Steps {
    tree: DataTree,
    zxid: i64,
}

impl Steps {
    fn create(&mut self, path: &str, data: &[u8]) {
        self.zxid += 1;
        self.tree
            .create_node(path, data, &open(), 0, -1, self.zxid, 0)
            .unwrap_or_else(|error| panic!("create {path}: {error:?}"));
    }

    fn set(&mut self, path: &str, data: &[u8]) {
        self.zxid += 1;
        let version = self.tree.get(path).unwrap().stat().version + 1;
        self.tree
            .set_data(path, data, version, self.zxid, 0)
            .unwrap();
    }

    fn delete(&mut self, path: &str) {
        self.zxid += 1;
        self.tree.delete_node(path, self.zxid).unwrap();
    }

    fn stats(&self, quota_root: &str) -> String {
        let path = format!("/zookeeper/quota{quota_root}/zookeeper_stats");
        String::from_utf8(self.tree.get(&path).unwrap().data().to_vec()).unwrap()
    }
}

#[test]
fn stats_follow_creates_deletes_and_data_changes_under_a_quota_root() {
    let mut s = Steps {
        tree: DataTree::new(),
        zxid: 0,
    };
    s.create("/q", b"");
    s.create("/q/a", b"12345");
    s.create("/zookeeper/quota/q", b"");
    s.create("/zookeeper/quota/q/zookeeper_limits", b"count=10,bytes=100");
    s.create("/zookeeper/quota/q/zookeeper_stats", b"count=0,bytes=0");
    assert_eq!(s.stats("/q"), "count=2,bytes=5", "counted at creation");
    let created_mzxid = s.zxid;

    s.create("/q/b", b"xx");
    assert_eq!(s.stats("/q"), "count=3,bytes=7");
    s.set("/q/a", b"1");
    assert_eq!(s.stats("/q"), "count=3,bytes=3");
    s.delete("/q/b");
    assert_eq!(s.stats("/q"), "count=2,bytes=1");
    s.create("/q/a/deep", b"");
    s.create("/q/a/deep/er", b"abc");
    assert_eq!(s.stats("/q"), "count=4,bytes=4");

    // The rewrite leaves the stats node's Stat alone.
    let stats = s.tree.get("/zookeeper/quota/q/zookeeper_stats").unwrap();
    let NodeStat { version, mzxid, .. } = *stats.stat();
    assert_eq!((version, mzxid), (0, created_mzxid));
    assert_eq!(
        s.tree
            .get_stat("/zookeeper/quota/q/zookeeper_stats")
            .unwrap()
            .data_length,
        15
    );

    // Limits written by 3.7+ clients ride along; a repeated key: the last wins.
    s.set(
        "/zookeeper/quota/q/zookeeper_stats",
        b"count=1,bytes=2=;countHardLimit=5",
    );
    s.create("/q/c", b"z");
    assert_eq!(s.stats("/q"), "count=2,bytes=3=;countHardLimit=5");
    s.set(
        "/zookeeper/quota/q/zookeeper_stats",
        b"count=1,bytes=2,count=7",
    );
    s.create("/q/d", b"");
    assert_eq!(s.stats("/q"), "count=8,bytes=2");

    // Without its limits node the path has no quota; with it again, it does.
    s.delete("/zookeeper/quota/q/zookeeper_limits");
    s.create("/q/e", b"zzz");
    assert_eq!(s.stats("/q"), "count=8,bytes=2");
    s.create("/zookeeper/quota/q/zookeeper_limits", b"");
    s.create("/q/f", b"z");
    assert_eq!(s.stats("/q"), "count=9,bytes=3");

    // A nested quota root takes the changes below it.
    s.create("/zookeeper/quota/q/a", b"");
    s.create("/zookeeper/quota/q/a/zookeeper_limits", b"");
    s.create("/zookeeper/quota/q/a/zookeeper_stats", b"");
    assert_eq!(s.stats("/q/a"), "count=3,bytes=4");
    s.create("/q/a/n", b"nn");
    assert_eq!(s.stats("/q/a"), "count=4,bytes=6");
    assert_eq!(s.stats("/q"), "count=9,bytes=3");
    assert_eq!(s.tree.digest(), s.tree.recompute_digest());
}

#[test]
fn a_stats_node_that_does_not_parse_is_left_as_it_is() {
    // ZooKeeper throws out of the change (and stops); the tree keeps going.
    let mut s = Steps {
        tree: DataTree::new(),
        zxid: 0,
    };
    s.create("/q", b"");
    s.create("/zookeeper/quota/q", b"");
    s.create("/zookeeper/quota/q/zookeeper_limits", b"");
    s.create("/zookeeper/quota/q/zookeeper_stats", b"");
    s.set("/zookeeper/quota/q/zookeeper_stats", b"hello");
    s.create("/q/a", b"1");
    assert_eq!(s.stats("/q"), "hello");
}
