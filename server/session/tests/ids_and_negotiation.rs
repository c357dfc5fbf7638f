//! Session ids, passwords, timeout negotiation and limits, as ZooKeeper's
//! ZooKeeperServer and SessionTrackerImpl hand them out.

use std::collections::HashSet;

use ringkeeper_session::{
    initial_session_id, SessionConfig, SessionError, SessionTracker, CONTAINER_EPHEMERAL_OWNER,
};

const TICK_MS: u32 = 2000;
const SECRET: u64 = 0x5eed_5eed;

fn tracker(server_id: u64, now_ms: u64) -> SessionTracker {
    SessionTracker::new(SessionConfig::new(TICK_MS, server_id, SECRET), now_ms)
}

#[test]
fn requested_timeout_is_clamped_to_two_and_twenty_ticks_by_default() {
    let tracker = tracker(1, 0);
    let cases = [
        (-5, 4_000),
        (0, 4_000),
        (1, 4_000),
        (4_000, 4_000),
        (30_000, 30_000),
        (40_000, 40_000),
        (40_001, 40_000),
        (i32::MAX, 40_000),
        (i32::MIN, 4_000),
    ];
    for (requested_ms, negotiated_ms) in cases {
        assert_eq!(
            tracker.negotiate_timeout_ms(requested_ms),
            negotiated_ms,
            "asked {requested_ms}"
        );
    }
}

#[test]
fn configured_timeout_bounds_replace_the_tick_defaults() {
    let config = SessionConfig {
        min_session_timeout_ms: 1_000,
        max_session_timeout_ms: 120_000,
        ..SessionConfig::new(TICK_MS, 1, SECRET)
    };
    let tracker = SessionTracker::new(config, 0);
    assert_eq!(tracker.negotiate_timeout_ms(500), 1_000);
    assert_eq!(tracker.negotiate_timeout_ms(100_000), 100_000);
    assert_eq!(tracker.negotiate_timeout_ms(200_000), 120_000);
}

#[test]
fn config_that_cannot_work_is_refused_with_a_reason() {
    let good = SessionConfig::new(TICK_MS, 1, SECRET);
    assert_eq!(good.validate(), Ok(()));
    let bad = [
        SessionConfig {
            tick_time_ms: 0,
            ..good.clone()
        },
        SessionConfig {
            min_session_timeout_ms: 50_000,
            ..good.clone()
        },
        SessionConfig {
            server_id: 255,
            ..good.clone()
        },
        SessionConfig {
            sessions_max: 0,
            ..good.clone()
        },
    ];
    for config in bad {
        assert!(
            matches!(config.validate(), Err(SessionError::InvalidConfig { .. })),
            "{config:?}"
        );
    }
}

/// Bug: a server id that does not fit the top byte of a session id could
/// only be refused by a panic; `try_new` says why instead.
#[test]
fn try_new_refuses_a_server_id_above_254_with_a_reason() {
    let config = SessionConfig::new(TICK_MS, 255, SECRET);
    match SessionTracker::try_new(config, 0) {
        Err(SessionError::InvalidConfig { reason }) => {
            assert!(reason.contains("larger than 254"), "{reason}")
        }
        other => panic!("expected InvalidConfig, got {other:?}"),
    }
    assert!(SessionTracker::try_new(SessionConfig::new(TICK_MS, 254, SECRET), 0).is_ok());
}

#[test]
#[should_panic(expected = "larger than 254")]
fn tracker_refuses_to_start_with_a_server_id_that_does_not_fit_a_byte() {
    tracker(256, 0);
}

#[test]
fn first_session_id_is_server_id_then_clock_then_sixteen_zero_bits() {
    let now_ms = 0x0012_3456_789a;
    let mut tracker = tracker(5, now_ms);

    let first = tracker
        .create_session(4_000, now_ms)
        .expect("under the limit");
    assert_eq!(first, (5i64 << 56) | (0x0012_3456_789a << 16));
    assert_eq!(tracker.create_session(4_000, now_ms), Ok(first + 1));
}

#[test]
fn session_id_keeps_only_the_clocks_low_forty_bits() {
    let now_ms = 0xabcd_ef12_3456_789a;
    assert_eq!(
        initial_session_id(3, now_ms),
        (3i64 << 56) | (0x0012_3456_789a << 16)
    );
}

#[test]
fn ids_are_unique_and_carry_the_server_id_in_the_top_byte() {
    for server_id in [0, 1, 127, 128, 200, 254] {
        let mut tracker = tracker(server_id, 1_700_000_000_000);
        let mut seen = HashSet::new();
        for _ in 0..1_000 {
            let session_id = tracker.create_session(4_000, 0).expect("under the limit");
            assert_eq!((session_id as u64) >> 56, server_id, "{session_id:#x}");
            assert!(seen.insert(session_id), "duplicate {session_id:#x}");
        }
    }
}

#[test]
fn no_session_gets_the_container_owner_marker() {
    // Server 128 at clock 0 would start at 0x8000_0000_0000_0000, the
    // ephemeralOwner of container nodes.
    assert_eq!(initial_session_id(128, 0), CONTAINER_EPHEMERAL_OWNER + 1);
    let mut tracker = tracker(128, 0);
    assert_eq!(
        tracker.create_session(4_000, 0),
        Ok(CONTAINER_EPHEMERAL_OWNER + 1)
    );
}

#[test]
fn new_ids_skip_sessions_restored_from_the_log() {
    let now_ms = 1_000;
    let mut tracker = tracker(1, now_ms);
    let next = initial_session_id(1, now_ms);
    tracker.add_session(next, 4_000, now_ms);
    tracker.add_session(next + 1, 4_000, now_ms);

    assert_eq!(tracker.create_session(4_000, now_ms), Ok(next + 2));
}

#[test]
fn session_limit_refuses_a_new_session_until_one_is_removed() {
    let config = SessionConfig {
        sessions_max: 2,
        ..SessionConfig::new(TICK_MS, 1, SECRET)
    };
    let mut tracker = SessionTracker::new(config, 0);
    let first = tracker.create_session(4_000, 0).expect("first");
    tracker.create_session(4_000, 0).expect("second");

    assert_eq!(
        tracker.create_session(4_000, 0),
        Err(SessionError::SessionLimitReached { sessions_max: 2 })
    );
    // Replayed sessions exist already and are not refused.
    assert!(tracker.add_session(0x0200_0000_0000_0001, 4_000, 0));
    assert_eq!(tracker.session_count(), 3);

    tracker.remove_session(first);
    tracker.remove_session(0x0200_0000_0000_0001);
    assert!(tracker.create_session(4_000, 0).is_ok());
}

#[test]
fn password_is_derived_from_id_and_secret_and_checked() {
    let mut tracker = tracker(1, 0);
    let session_id = tracker.create_session(4_000, 0).expect("under the limit");
    let password = tracker.password(session_id);

    assert!(tracker.check_password(session_id, &password));
    assert_ne!(password, tracker.password(session_id + 1));

    let mut wrong = password;
    wrong[15] ^= 1;
    assert!(!tracker.check_password(session_id, &wrong));
    assert!(!tracker.check_password(session_id, &password[..15]));
    assert!(!tracker.check_password(session_id, &[]));
    assert!(
        !tracker.check_password(0, &tracker.password(0)),
        "session 0 never has a password"
    );
}

#[test]
fn another_server_of_the_ensemble_accepts_the_password_after_a_restart() {
    let mut first = tracker(1, 0);
    let session_id = first.create_session(4_000, 0).expect("under the limit");
    let password = first.password(session_id);

    let other_server = tracker(2, 50_000);
    assert!(other_server.check_password(session_id, &password));

    let other_secret = SessionTracker::new(SessionConfig::new(TICK_MS, 1, SECRET + 1), 0);
    assert!(!other_secret.check_password(session_id, &password));
}
