//! The expiry queue never scans: polling costs O(expired), counted by an
//! element type that tallies every comparison and hash made on it.

use std::cell::Cell;
use std::cmp::Ordering;
use std::hash::{Hash, Hasher};

use ringkeeper_session::ExpiryQueue;

thread_local! {
    static TOUCHES: Cell<u64> = const { Cell::new(0) };
}

fn touches() -> u64 {
    TOUCHES.with(Cell::get)
}

fn reset_touches() {
    TOUCHES.with(|count| count.set(0));
}

/// A session id that counts how often the queue looks at it.
#[derive(Debug, Clone, Copy)]
struct Counted(u64);

impl PartialEq for Counted {
    fn eq(&self, other: &Self) -> bool {
        TOUCHES.with(|count| count.set(count.get() + 1));
        self.0 == other.0
    }
}
impl Eq for Counted {}
impl PartialOrd for Counted {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Counted {
    fn cmp(&self, other: &Self) -> Ordering {
        TOUCHES.with(|count| count.set(count.get() + 1));
        self.0.cmp(&other.0)
    }
}
impl Hash for Counted {
    fn hash<H: Hasher>(&self, state: &mut H) {
        TOUCHES.with(|count| count.set(count.get() + 1));
        self.0.hash(state);
    }
}

const TICK_MS: u32 = 2000;
const SESSIONS: u64 = 10_000;

/// 10,000 sessions, timeouts of 2..=20 ticks, created at time 0: one
/// bucket per tick from 6,000 to 42,000 ms, about 526 sessions each.
fn full_queue() -> ExpiryQueue<Counted> {
    let mut queue = ExpiryQueue::new(TICK_MS);
    for id in 0..SESSIONS {
        let ticks = 2 + (id % 19) as u32;
        queue.update(Counted(id), 0, ticks * TICK_MS);
    }
    queue
}

#[test]
fn polling_before_anything_is_due_looks_at_no_session() {
    let mut queue = full_queue();
    let mut out = Vec::new();
    reset_touches();

    for now_ms in 0..6_000 {
        assert_eq!(queue.poll(now_ms, &mut out), 0);
    }
    assert_eq!(touches(), 0, "an idle tick must not scan the sessions");
    assert_eq!(queue.len(), SESSIONS as usize);
}

#[test]
fn polling_one_bucket_costs_in_proportion_to_that_bucket() {
    let mut queue = full_queue();
    let mut out = Vec::new();
    reset_touches();

    let expired = queue.poll(6_000, &mut out);
    let expected = (0..SESSIONS).filter(|id| id % 19 == 0).count();
    assert_eq!(expired, expected);
    // Each expired session is hashed once to drop it from the element map
    // (plus equality checks on probe); nothing else is looked at.
    let per_expired = touches() as f64 / expired as f64;
    assert!(
        per_expired <= 3.0,
        "{per_expired} touches per expired session"
    );
    assert_eq!(queue.len(), SESSIONS as usize - expected);
}

#[test]
fn touch_moves_one_session_without_looking_at_the_others() {
    let mut queue = full_queue();
    reset_touches();

    assert_eq!(
        queue.update(Counted(0), 1_000, 4_000),
        None,
        "5000 rounds to the same 6000 bucket"
    );
    assert_eq!(queue.update(Counted(0), 2_500, 4_000), Some(8_000));
    // Hash lookups plus two B-tree searches of buckets of ~526: a few dozen
    // comparisons, not thousands.
    assert!(touches() < 100, "{} touches for two updates", touches());
}
