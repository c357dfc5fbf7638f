//! Random updates, removals and polls on the expiry queue give what a
//! plain list of (element, deadline) gives: ZooKeeper's ExpiryQueue rule
//! `deadline = (floor((now + timeout) / tick) + 1) * tick`, polled in
//! deadline order.

use std::collections::BTreeMap;

use proptest::prelude::*;
use ringkeeper_session::ExpiryQueue;

const TICK_MS: u32 = 1000;

#[derive(Debug, Clone)]
enum Op {
    /// Advance the clock by this many ms, then update the element.
    Update {
        advance_ms: u64,
        elem: u8,
        timeout_ms: u32,
    },
    Remove {
        elem: u8,
    },
    /// Advance the clock by this many ms, then poll.
    Poll {
        advance_ms: u64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..1500u64, 0..16u8, 0..5000u32)
            .prop_map(|(advance_ms, elem, timeout_ms)| Op::Update { advance_ms, elem, timeout_ms }),
        1 => (0..16u8).prop_map(|elem| Op::Remove { elem }),
        3 => (0..3000u64).prop_map(|advance_ms| Op::Poll { advance_ms }),
    ]
}

proptest! {
    #[test]
    fn queue_agrees_with_a_list_of_deadlines(ops in proptest::collection::vec(op(), 1..100)) {
        let mut queue = ExpiryQueue::new(TICK_MS);
        let mut deadlines: BTreeMap<u8, u64> = BTreeMap::new();
        let tick = u64::from(TICK_MS);
        let mut now_ms = 0u64;
        for op in ops {
            match op {
                Op::Update { advance_ms, elem, timeout_ms } => {
                    now_ms += advance_ms;
                    let deadline = ((now_ms + u64::from(timeout_ms)) / tick + 1) * tick;
                    let changed = deadlines.insert(elem, deadline) != Some(deadline);
                    let expected = if changed { Some(deadline) } else { None };
                    prop_assert_eq!(queue.update(elem, now_ms, timeout_ms), expected);
                }
                Op::Remove { elem } => {
                    prop_assert_eq!(queue.remove(elem), deadlines.remove(&elem));
                }
                Op::Poll { advance_ms } => {
                    now_ms += advance_ms;
                    let mut due: Vec<(u64, u8)> = deadlines
                        .iter()
                        .filter(|(_, deadline)| **deadline <= now_ms)
                        .map(|(elem, deadline)| (*deadline, *elem))
                        .collect();
                    due.sort_unstable();
                    deadlines.retain(|_, deadline| *deadline > now_ms);
                    let mut out = Vec::new();
                    queue.poll(now_ms, &mut out);
                    let expected: Vec<u8> = due.into_iter().map(|(_, elem)| elem).collect();
                    prop_assert_eq!(out, expected);
                }
            }
            prop_assert_eq!(queue.len(), deadlines.len());
            prop_assert_eq!(queue.next_expiration_ms(), deadlines.values().min().copied());
        }
    }
}
