//! Expiry in tick buckets, touch, closing and ownership, as ZooKeeper's
//! SessionTrackerImpl and ExpiryQueue do them.

use ringkeeper_session::{SessionCheckError, SessionConfig, SessionTracker};

const TICK_MS: u32 = 2000;

fn tracker() -> SessionTracker {
    SessionTracker::new(SessionConfig::new(TICK_MS, 1, 7), 0)
}

fn expired(tracker: &mut SessionTracker, now_ms: u64) -> Vec<i64> {
    let mut out = Vec::new();
    tracker.expired(now_ms, &mut out);
    out
}

#[test]
fn session_expires_at_the_first_tick_after_its_timeout() {
    let mut tracker = tracker();
    // 1000 + 4000 = 5000, rounded up to the next tick: 6000.
    let session_id = tracker
        .create_session(4_000, 1_000)
        .expect("under the limit");
    assert_eq!(tracker.expiry_ms(session_id), Some(6_000));
    assert_eq!(tracker.next_expiration_ms(), Some(6_000));

    assert_eq!(expired(&mut tracker, 5_999), []);
    assert_eq!(expired(&mut tracker, 6_000), [session_id]);
    assert!(tracker.is_closing(session_id));
    assert!(tracker.exists(session_id), "marked closing, not removed");
    assert_eq!(expired(&mut tracker, 60_000), [], "returned once");
    assert_eq!(tracker.next_expiration_ms(), None);
    assert_eq!(tracker.expired_total(), 1);
}

#[test]
fn timeout_ending_exactly_on_a_tick_rounds_to_the_next_tick() {
    let mut tracker = tracker();
    // 2000 + 4000 = 6000 is a tick; ExpiryQueue rounds to the next one.
    let session_id = tracker
        .create_session(4_000, 2_000)
        .expect("under the limit");
    assert_eq!(tracker.expiry_ms(session_id), Some(8_000));
    assert_eq!(expired(&mut tracker, 7_999), []);
    assert_eq!(expired(&mut tracker, 8_000), [session_id]);
}

#[test]
fn touch_moves_the_session_to_the_bucket_of_its_new_deadline() {
    let mut tracker = tracker();
    let session_id = tracker.create_session(4_000, 0).expect("under the limit");
    assert_eq!(tracker.expiry_ms(session_id), Some(6_000));

    assert!(tracker.touch(session_id, 1_500)); // 5500 -> same bucket 6000
    assert_eq!(tracker.expiry_ms(session_id), Some(6_000));
    assert!(tracker.touch(session_id, 2_500)); // 6500 -> 8000
    assert_eq!(tracker.expiry_ms(session_id), Some(8_000));

    assert_eq!(
        expired(&mut tracker, 6_000),
        [],
        "the old bucket no longer holds it"
    );
    assert_eq!(expired(&mut tracker, 8_000), [session_id]);
}

#[test]
fn late_poll_returns_every_bucket_that_passed_in_time_order() {
    let mut tracker = tracker();
    let late = tracker.create_session(10_000, 0).expect("under the limit"); // 12000
    let early = tracker.create_session(4_000, 0).expect("under the limit"); // 6000
    let never = tracker.create_session(40_000, 0).expect("under the limit"); // 42000

    assert_eq!(expired(&mut tracker, 20_000), [early, late]);
    assert!(!tracker.is_closing(never));
    assert_eq!(tracker.next_expiration_ms(), Some(42_000));
}

#[test]
fn closing_session_cannot_be_touched_back_to_life() {
    let mut tracker = tracker();
    let session_id = tracker.create_session(4_000, 0).expect("under the limit");

    tracker.set_closing(session_id);
    assert!(tracker.is_closing(session_id));
    assert!(!tracker.touch(session_id, 1_000));
    assert_eq!(
        tracker.expiry_ms(session_id),
        Some(6_000),
        "the touch did not move it"
    );
    // Its close never committed: it still expires, once.
    assert_eq!(expired(&mut tracker, 6_000), [session_id]);
    assert!(!tracker.touch(session_id, 7_000));
}

#[test]
fn unknown_session_is_neither_touched_nor_closing() {
    let mut tracker = tracker();
    assert!(!tracker.touch(42, 0));
    assert!(!tracker.is_closing(42));
    tracker.set_closing(42);
    assert!(!tracker.exists(42));
    assert!(!tracker.set_timeout(42, 4_000));
    assert_eq!(tracker.timeout_ms(42), None);
    assert!(!tracker.remove_session(42));
}

#[test]
fn removed_session_leaves_the_expiry_queue() {
    let mut tracker = tracker();
    let session_id = tracker.create_session(4_000, 0).expect("under the limit");

    assert!(tracker.remove_session(session_id));
    assert!(!tracker.exists(session_id));
    assert_eq!(tracker.next_expiration_ms(), None);
    assert_eq!(expired(&mut tracker, 100_000), []);
    assert_eq!(tracker.session_count(), 0);
}

#[test]
fn new_timeout_counts_from_the_next_touch() {
    let mut tracker = tracker();
    let session_id = tracker.create_session(4_000, 0).expect("under the limit");

    assert!(tracker.set_timeout(session_id, 20_000));
    assert_eq!(tracker.timeout_ms(session_id), Some(20_000));
    assert_eq!(tracker.expiry_ms(session_id), Some(6_000));
    assert!(tracker.touch(session_id, 1_000)); // 21000 -> 22000
    assert_eq!(tracker.expiry_ms(session_id), Some(22_000));
}

#[test]
fn replayed_session_is_tracked_with_its_timeout_from_now() {
    let mut tracker = tracker();
    assert!(tracker.add_session(0x0100_0000_0001_0000, 10_000, 3_000)); // 13000 -> 14000
    assert!(
        !tracker.add_session(0x0100_0000_0001_0000, 4_000, 3_000),
        "known already"
    ); // 7000 -> 8000

    assert_eq!(tracker.timeout_ms(0x0100_0000_0001_0000), Some(4_000));
    assert_eq!(tracker.expiry_ms(0x0100_0000_0001_0000), Some(8_000));
}

#[test]
fn session_is_owned_by_its_first_connection_and_moves_on_reconnect() {
    let mut tracker = tracker();
    let session_id = tracker.create_session(4_000, 0).expect("under the limit");

    assert_eq!(tracker.check_session(session_id, 10), Ok(()));
    assert_eq!(tracker.check_session(session_id, 10), Ok(()));
    assert_eq!(
        tracker.check_session(session_id, 11),
        Err(SessionCheckError::Moved)
    );
    assert_eq!(tracker.set_owner(session_id, 11), Ok(()));
    assert_eq!(tracker.check_session(session_id, 11), Ok(()));
    assert_eq!(
        tracker.check_session(session_id, 10),
        Err(SessionCheckError::Moved)
    );

    tracker.set_closing(session_id);
    assert_eq!(
        tracker.check_session(session_id, 11),
        Err(SessionCheckError::Expired)
    );
    assert_eq!(
        tracker.set_owner(session_id, 11),
        Err(SessionCheckError::Expired)
    );
    assert_eq!(
        tracker.check_session(99, 11),
        Err(SessionCheckError::Unknown)
    );
    assert_eq!(
        SessionCheckError::Moved.error_code(),
        ringkeeper_jute::ErrorCode::SessionMoved
    );
}

#[test]
fn ten_thousand_sessions_expire_bucket_by_bucket() {
    let mut tracker = tracker();
    let timeouts_ms: Vec<u32> = (2..=20).map(|ticks| ticks * TICK_MS).collect();
    for i in 0..10_000usize {
        tracker
            .create_session(timeouts_ms[i % timeouts_ms.len()], 0)
            .expect("under the limit");
    }

    let mut total = 0;
    let mut now_ms = 0;
    while let Some(next_ms) = tracker.next_expiration_ms() {
        // Nothing expires before the announced time.
        assert_eq!(expired(&mut tracker, next_ms - 1), []);
        now_ms = next_ms;
        let batch = expired(&mut tracker, now_ms);
        assert!(!batch.is_empty());
        for session_id in &batch {
            let timeout_ms = tracker.timeout_ms(*session_id).expect("still tracked");
            assert_eq!(u64::from(timeout_ms) + u64::from(TICK_MS), now_ms);
            assert!(tracker.is_closing(*session_id));
        }
        total += batch.len();
    }
    assert_eq!(total, 10_000);
    assert_eq!(now_ms, 42_000);
    assert_eq!(
        tracker.session_count(),
        10_000,
        "expiry marks, the caller removes"
    );
}

#[test]
fn cons_view_lists_every_session() {
    let mut tracker = tracker();
    let a = tracker.create_session(4_000, 0).expect("under the limit");
    let b = tracker.create_session(6_000, 0).expect("under the limit");
    tracker.set_closing(b);
    assert_eq!(tracker.check_session(a, 3), Ok(()));

    let mut sessions: Vec<_> = tracker.iter().collect();
    sessions.sort_by_key(|info| info.session_id);
    assert_eq!(sessions.len(), 2);
    assert_eq!(
        (
            sessions[0].session_id,
            sessions[0].timeout_ms,
            sessions[0].expiry_ms
        ),
        (a, 4_000, Some(6_000))
    );
    assert_eq!(sessions[0].owner, Some(3));
    assert!(sessions[1].closing);
    let buckets: Vec<(u64, usize)> = tracker
        .expiry_queue()
        .buckets()
        .map(|(expiry_ms, ids)| (expiry_ms, ids.len()))
        .collect();
    assert_eq!(buckets, [(6_000, 1), (8_000, 1)]);
}
