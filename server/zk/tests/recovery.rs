//! Recovery: a server restored from a snapshot's state (or an empty one)
//! plus replay of the logged txns after it is the server that logged them,
//! as far as the log made them durable: same tree, digest, zxid, sessions
//! and ephemerals. Sessions come back with fresh timeouts.

mod durable;

use std::cell::RefCell;
use std::path::Path;

use durable::snapshots::{
    recover_from_snapshot, snapshot_sessions, write_consistent_snapshot, DATA_DIR,
};
use durable::workload::{random_op, Op, Rng, Run};
use durable::*;
use ringkeeper_datatree::{DataTree, TreeOptions};
use ringkeeper_jute::{
    CreateTtlRequest, DeleteRequest, MultiOp, MultiRequest, OpCode, SetAclRequest, SetDataRequest,
};
use ringkeeper_snapshot::{write_snapshot, FuzzySnapshot, SimFs, StateView, StepBudget};
use ringkeeper_zk::{ApplyMode, ReplayError, RestoreError, ZkServer};

fn log_refs(log: &[(i64, Vec<u8>)]) -> Vec<&[u8]> {
    log.iter().map(|(_, bytes)| bytes.as_slice()).collect()
}

/// Every kind of txn: sessions opened, closed and expired, ephemerals,
/// sequentials, a container emptied and deleted by the clock, a TTL
/// node, setData and setACL, multis that pass and fail, failed writes.
fn busy_history(d: &mut Durable) {
    let a = d.connect();
    let b = d.connect();
    let c = d.connect();
    d.send(&a, 1, OpCode::Create, &create_request("/app", b"cfg", 0));
    d.send(&a, 2, OpCode::Create, &create_request("/app/lock-", b"", 3));
    d.send(&b, 1, OpCode::Create, &create_request("/app/b-eph", b"", 1));
    d.send(&c, 1, OpCode::Create, &create_request("/app/c-eph", b"", 1));
    d.send(
        &b,
        2,
        OpCode::CreateContainer,
        &create_request("/box", b"", 4),
    );
    d.send(&b, 3, OpCode::Create, &create_request("/box/item", b"", 0));
    let ttl = CreateTtlRequest {
        path: "/ttl".into(),
        data: Vec::new().into(),
        acl: open_acl(),
        flags: 5,
        ttl: 1_000,
    };
    d.send(&b, 4, OpCode::CreateTtl, &ttl);
    d.commit();
    let set = SetDataRequest {
        path: "/app".into(),
        data: b"v2".into(),
        version: 0,
    };
    d.send(&a, 3, OpCode::SetData, &set);
    let set_acl = SetAclRequest {
        path: "/app".into(),
        acl: open_acl(),
        version: -1,
    };
    d.send(&a, 4, OpCode::SetAcl, &set_acl);
    let multi = MultiRequest {
        ops: vec![
            MultiOp::Create(create_request("/m", b"", 0)),
            MultiOp::Create(create_request("/m/x", b"", 0)),
        ],
    };
    d.send(&a, 5, OpCode::Multi, &multi);
    let failing = MultiRequest {
        ops: vec![MultiOp::Create(create_request("/nope/x", b"", 0))],
    };
    d.send(&a, 6, OpCode::Multi, &failing);
    d.send(&a, 7, OpCode::Create, &create_request("/app", b"", 0));
    let delete = DeleteRequest {
        path: "/box/item".into(),
        version: -1,
    };
    d.send(&b, 5, OpCode::Delete, &delete);
    d.send_raw(c.conn, 2, OpCode::CloseSession.as_i32(), &[]);
    d.commit();
    // b goes silent: at T0 + 61 s it has expired and the emptied
    // container and the idle TTL node are deleted by the clock; a keeps
    // its session alive.
    d.now_ms = T0_MS + 25_000;
    d.send_raw(a.conn, -2, OpCode::Ping.as_i32(), &[]);
    d.now_ms = T0_MS + 50_000;
    d.send_raw(a.conn, -2, OpCode::Ping.as_i32(), &[]);
    d.tick(T0_MS + 61_000);
    d.commit();
    d.clear();
}

#[test]
fn replaying_every_logged_txn_rebuilds_the_live_state() {
    let mut d = Durable::default();
    busy_history(&mut d);
    assert!(d.server.tree().get("/app/b-eph").is_none(), "b expired");
    assert!(d.server.tree().get("/box").is_none(), "the container went");
    assert!(d.server.tree().get("/ttl").is_none(), "the TTL node went");
    assert!(d.server.tree().get("/app/lock-0000000000").is_some());
    assert_eq!(d.server.session_count(), 1);
    assert_eq!(
        d.log.len() as i64,
        d.server.last_zxid(),
        "every zxid was logged, failed writes included"
    );
    let recovered = recover(&log_refs(&d.log), d.now_ms);
    assert_same_state(&recovered, &d.server, "the whole log");
}

#[test]
fn a_crash_keeps_exactly_what_the_log_made_durable() {
    let mut d = Durable::default();
    let a = d.connect();
    d.send(&a, 1, OpCode::Create, &create_request("/a", b"1", 0));
    d.send(&a, 2, OpCode::Create, &create_request("/a/e", b"", 1));
    d.commit();
    d.send(&a, 3, OpCode::Create, &create_request("/b", b"", 0));
    d.take();
    d.send(&a, 4, OpCode::Create, &create_request("/c", b"", 0));
    d.take();
    d.send(&a, 5, OpCode::Create, &create_request("/d", b"", 0));

    // The crash: /b and /c were appended, never reported durable.
    let durable = d.durable_zxid;
    let recovered = recover(&d.log_through(durable), d.now_ms);
    assert_same_state(&recovered, &d.server, "the committed prefix");
    assert!(recovered.tree().get("/b").is_none());

    // Had /b's record reached the disk before the crash, recovery keeps
    // it: the same as the live server once that record commits.
    let b_zxid = durable + 1;
    let recovered = recover(&d.log_through(b_zxid), d.now_ms);
    d.commit_through(b_zxid);
    assert_same_state(&recovered, &d.server, "one more durable record");
    assert!(recovered.tree().get("/b").is_some());
    assert!(recovered.tree().get("/c").is_none());
}

#[test]
fn sessions_and_their_ephemerals_survive_a_restart_and_expire_afresh() {
    let mut d = Durable::default();
    let a = d.connect();
    d.send(&a, 1, OpCode::Create, &create_request("/e", b"", 1));
    d.commit();

    // Down for 20 s; the session had 30 s and was last touched at T0.
    let restart_ms = T0_MS + 20_000;
    let mut recovered = recover(&log_refs(&d.log), restart_ms);
    recovered.set_apply_mode(ApplyMode::Deferred);
    assert_eq!(recovered.session_timeout_ms(a.session_id), Some(30_000));
    let mut r = Durable::around(recovered, restart_ms);
    r.tick(T0_MS + 40_000);
    assert_eq!(
        r.server.pending_through(),
        None,
        "a fresh timeout: not expired"
    );
    r.tick(restart_ms + 34_000);
    r.commit();
    assert!(
        r.server.tree().get("/e").is_none(),
        "expired, ephemeral gone"
    );
    assert_eq!(r.server.session_count(), 0);
    let close = ringkeeper_zk::Txn::decode(&r.log[0].1).expect("a txn");
    assert_eq!(
        (close.op_code(), close.session_id()),
        (Some(OpCode::CloseSession), a.session_id)
    );
}

#[test]
fn a_reconnect_to_the_restarted_server_resumes_the_session() {
    let mut d = Durable::default();
    let a = d.connect();
    d.send(&a, 1, OpCode::Create, &create_request("/e", b"", 1));
    d.commit();
    let mut recovered = recover(&log_refs(&d.log), d.now_ms);
    recovered.set_apply_mode(ApplyMode::Deferred);
    let mut r = Durable::around(recovered, d.now_ms);
    let (conn, outcome) = r.handshake_as(a.session_id, &a.password);
    assert_eq!(
        outcome,
        ringkeeper_zk::ConnectOutcome::Accepted {
            session_id: a.session_id
        }
    );
    let response = r.connect_response(conn).expect("answered");
    assert_eq!(response.session_id, a.session_id);
    assert_eq!(r.server.tree().ephemerals(a.session_id), ["/e"]);
}

#[test]
fn replay_from_a_snapshot_skips_what_the_snapshot_holds() {
    let mut d = Durable::default();
    busy_history(&mut d);
    let fs = SimFs::new();
    write_consistent_snapshot(&fs, &d.server);
    let a = d.connect();
    d.send(&a, 1, OpCode::Create, &create_request("/after", b"", 1));
    d.commit();
    // The whole log is fed: txns at or before the snapshot are skipped.
    let recovered = recover_from_snapshot(&fs, &d.log, d.durable_zxid, d.now_ms);
    assert_same_state(&recovered, &d.server, "snapshot plus the whole log");
    // Replaying twice changes nothing.
    let mut twice = recover(&log_refs(&d.log), d.now_ms);
    for (_, bytes) in &d.log {
        twice.replay(bytes, d.now_ms).expect("replayed");
    }
    assert_same_state(&twice, &d.server, "the log replayed twice");
}

/// The snapshot walks the live tree in small steps while sessions open
/// and close and txns are prepped, logged and committed between the
/// steps; recovery from it plus the log after its zxid is the live state.
#[test]
fn a_fuzzy_snapshot_taken_while_txns_commit_plus_replay_is_the_live_state() {
    let mut fuzzy_runs = 0;
    for seed in 1..=40u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        let mut run = Run::new(Durable::default());
        for _ in 0..80 {
            run.apply(&random_op(&mut rng));
        }
        run.apply(&Op::Take);
        run.apply(&Op::Commit { share: 255 });
        let state = RefCell::new((run, rng));
        let fs = SimFs::new();
        let budget = StepBudget {
            nodes_max: 1 + (seed as usize % 2),
            bytes_max: 1 << 20,
        };
        let mut source = FuzzySnapshot::new(
            |visit: &mut dyn FnMut(StateView<'_>)| {
                let mut state = state.borrow_mut();
                let (run, rng) = &mut *state;
                for _ in 0..1 + rng.below(6) {
                    let op = random_op(rng);
                    run.apply(&op);
                }
                // The log keeps up: most steps see txns applied.
                run.apply(&Op::Take);
                let share = rng.below(256) as u8;
                run.apply(&Op::Commit { share });
                let server = &run.d.server;
                let sessions = || snapshot_sessions(server);
                visit(StateView {
                    tree: server.tree(),
                    last_zxid: server.last_zxid(),
                    sessions: &sessions,
                });
            },
            budget,
        );
        let written = write_snapshot(&fs, Path::new(DATA_DIR), &mut source).expect("written");
        fuzzy_runs += usize::from(written.fuzzy);
        let (mut run, _) = state.into_inner();
        run.apply(&Op::Take);
        run.apply(&Op::Commit { share: 255 });
        let recovered = recover_from_snapshot(&fs, &run.d.log, run.d.durable_zxid, run.d.now_ms);
        assert_same_state(&recovered, &run.d.server, &format!("seed {seed}"));
    }
    assert!(
        fuzzy_runs >= 20,
        "most walks saw txns applied: {fuzzy_runs}"
    );
}

/// A fuzzy snapshot can record a parent, then miss its child because the
/// child was deleted before the walk reached it: the parent's recorded
/// pzxid predates the delete. Replaying that delete finds no child and
/// must still raise the parent's pzxid, as ZooKeeper's deleteNode does.
#[test]
fn replaying_the_delete_of_a_child_the_snapshot_missed_still_raises_the_parents_pzxid() {
    let mut d = Durable::default();
    let a = d.connect();
    d.send(&a, 1, OpCode::Create, &create_request("/p", b"", 0));
    d.send(&a, 2, OpCode::Create, &create_request("/p/c", b"", 0));
    d.commit();
    let (p_zxid, c_zxid) = (d.log[1].0, d.log[2].0);
    let delete = DeleteRequest {
        path: "/p/c".into(),
        version: -1,
    };
    d.send(&a, 3, OpCode::Delete, &delete);
    d.commit();

    // What the walk recorded, with the snapshot's zxid at /p/c's create:
    // /p as it was then, /p/c not at all.
    let mut recorded = DataTree::with_options(tree_options());
    let acl = open_acl();
    recorded
        .create_node("/p", b"", &acl, 0, -1, p_zxid, T0_MS as i64)
        .expect("created");
    recorded
        .create_node("/p/c", b"", &acl, 0, -1, c_zxid, T0_MS as i64)
        .expect("created");
    recorded.delete_node("/p/c", c_zxid).expect("deleted");
    let sessions = [(a.session_id, 30_000)];
    let mut recovered =
        ZkServer::restore(config(), recorded, &sessions, c_zxid, d.now_ms).expect("restored");
    for (_, bytes) in &d.log {
        recovered.replay(bytes, d.now_ms).expect("replayed");
    }
    assert_eq!(
        recovered.tree().get("/p").map(|p| p.stat().pzxid),
        Some(d.server.last_zxid())
    );
    assert_same_state(&recovered, &d.server, "the missed child's delete");
}

#[test]
fn restore_refuses_state_that_cannot_be_this_servers() {
    let other_types = DataTree::with_options(TreeOptions {
        extended_types_enabled: false,
        ..TreeOptions::default()
    });
    assert!(matches!(
        ZkServer::restore(config(), other_types, &[], 0, T0_MS),
        Err(RestoreError::ExtendedTypesMismatch {
            config: true,
            tree: false
        })
    ));
    let tree = || DataTree::with_options(tree_options());
    assert_eq!(
        ZkServer::restore(config(), tree(), &[(0, 30_000)], 5, T0_MS).err(),
        Some(RestoreError::InvalidSessionId { session_id: 0 })
    );
    assert_eq!(
        ZkServer::restore(config(), tree(), &[], -1, T0_MS).err(),
        Some(RestoreError::InvalidZxid { zxid: -1 })
    );
    let bad_config = ringkeeper_zk::ZkConfig {
        tick_time_ms: 0,
        ..config()
    };
    assert!(matches!(
        ZkServer::restore(bad_config, tree(), &[], 0, T0_MS),
        Err(RestoreError::Config(_))
    ));
}

#[test]
fn a_restored_server_continues_at_the_restored_zxid() {
    let tree = DataTree::with_options(tree_options());
    let server = ZkServer::restore(config(), tree, &[(0x0100_0000_0000_0001, 8_000)], 41, T0_MS)
        .expect("restored");
    let mut d = Durable::around(server, T0_MS);
    d.server.set_apply_mode(ApplyMode::Deferred);
    assert_eq!(d.server.last_zxid(), 41);
    assert_eq!(
        d.server.sessions_for_snapshot(),
        [(0x0100_0000_0000_0001, 8_000)]
    );
    let a = d.connect();
    assert_eq!(d.log[0].0, 42, "the next txn follows the restored zxid");
    assert_ne!(a.session_id, 0x0100_0000_0000_0001);
}

#[test]
fn replay_refuses_bytes_that_are_not_a_txn_and_a_server_with_txns_pending() {
    let mut server = recover(&[], T0_MS);
    assert!(matches!(
        server.replay(&[1, 2, 3], T0_MS),
        Err(ReplayError::Undecodable { .. })
    ));
    let mut d = Durable::around(server, T0_MS);
    d.server.set_apply_mode(ApplyMode::Deferred);
    d.handshake();
    let taken = d.take();
    assert_eq!(
        d.server.replay(&taken[0].1, T0_MS),
        Err(ReplayError::TxnsPending {
            pending_through_zxid: taken[0].0
        })
    );
}
