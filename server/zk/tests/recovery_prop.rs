//! The crash-recovery property over random workloads: whatever the
//! clients did and wherever the log stood when the server crashed,
//! replaying the durable prefix of the log (into an empty server, or
//! after a snapshot taken along the way) rebuilds the live server's state
//! once that prefix is committed: tree, digest, zxid, sessions and
//! ephemerals. Every acknowledged write is in that prefix, since a reply
//! goes out only at commit.

mod durable;

use durable::snapshots::{recover_from_snapshot, write_consistent_snapshot};
use durable::workload::{op_strategy, Op, Run};
use durable::*;
use proptest::prelude::*;
use ringkeeper_snapshot::SimFs;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn a_crash_anywhere_recovers_the_durable_prefix(
        ops in prop::collection::vec(op_strategy(), 1..120),
        snapshot_at in prop::option::of(0usize..120),
        durable_share in any::<u8>(),
    ) {
        let mut run = Run::new(Durable::default());
        let fs = SimFs::new();
        let mut snapshotted = false;
        for (index, op) in ops.iter().enumerate() {
            if snapshot_at == Some(index) {
                write_consistent_snapshot(&fs, &run.d.server);
                snapshotted = true;
            }
            run.apply(op);
        }
        // The crash: the log took some txns; the disk holds the committed
        // ones and perhaps some after them that were never reported.
        run.apply(&Op::Take);
        let taken = run.d.log.last().map_or(0, |(zxid, _)| *zxid);
        let committed = run.d.durable_zxid;
        let on_disk = committed + (taken - committed).max(0) * i64::from(durable_share) / 255;
        let recovered = if snapshotted {
            recover_from_snapshot(&fs, &run.d.log, on_disk, run.d.now_ms)
        } else {
            recover(&run.d.log_through(on_disk), run.d.now_ms)
        };
        run.d.commit_through(on_disk);
        assert_same_state(&recovered, &run.d.server, "recovered");
    }
}
