//! zxid order: the rule every sequence of txns read from ZooKeeper's logs
//! must follow.
//!
//! A zxid is `epoch << 32 | counter`. ZooKeeper hands out the counters of
//! an epoch one by one and logs each of them (a request that fails in
//! prep is logged as an error txn), so within an epoch each txn's zxid is
//! the previous + 1. A new leader starts a higher epoch, at any counter.

use crate::error::ImportErrorKind;

/// The epoch of a zxid (its high 32 bits).
pub fn epoch_of(zxid: i64) -> i64 {
    zxid >> 32
}

/// Whether `zxid` may follow `previous_zxid` in a log: the next counter of
/// the same epoch, or any zxid of a later epoch.
pub fn check_follows(previous_zxid: i64, zxid: i64) -> Result<(), ImportErrorKind> {
    if zxid <= previous_zxid {
        return Err(ImportErrorKind::ZxidNotIncreasing {
            previous_zxid,
            zxid,
        });
    }
    if epoch_of(zxid) == epoch_of(previous_zxid) && zxid != previous_zxid + 1 {
        return Err(ImportErrorKind::ZxidGap {
            previous_zxid,
            zxid,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_counter_and_later_epoch_follow_anything_else_does_not() {
        assert!(check_follows(0x1_0000_0005, 0x1_0000_0006).is_ok());
        assert!(check_follows(0x1_0000_0005, 0x2_0000_0001).is_ok());
        assert!(check_follows(0, 1).is_ok());
        assert!(matches!(
            check_follows(0x1_0000_0005, 0x1_0000_0007),
            Err(ImportErrorKind::ZxidGap { .. })
        ));
        assert!(matches!(
            check_follows(0x1_0000_0005, 0x1_0000_0005),
            Err(ImportErrorKind::ZxidNotIncreasing { .. })
        ));
        assert!(matches!(
            check_follows(0x2_0000_0001, 0x1_0000_0009),
            Err(ImportErrorKind::ZxidNotIncreasing { .. })
        ));
    }
}
