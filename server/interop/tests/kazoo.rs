//! The interop scenarios driven by Python's kazoo: one script per scenario group under
//! `scenarios/python`, run against every server kind of `RK_TEST_SERVERS` with the server's
//! connect string (and a fault proxy's addresses for the session scenarios). A failure shows the
//! client, the scenario, the server, the script's exit status, stdout and stderr.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use ringkeeper_interop::ScenarioClient;

/// Longest one script may run (its own waits are bounded at 20 to 40 s each).
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(180);

fn scripts_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/python")
}

/// The interpreter: `RK_PYTHON` or `python3` (it must have kazoo: `pip install kazoo`).
fn python() -> String {
    std::env::var("RK_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// Runs `script` (with `extra` arguments) against each server kind; `with_proxy` puts a fault
/// proxy in front of the server and passes `--proxy` and `--control`.
fn run_kazoo(scenario: &str, script: &str, extra: &[&str], with_proxy: bool) {
    let kazoo = ScenarioClient {
        name: "kazoo",
        program: "the script",
        timeout: SCRIPT_TIMEOUT,
    };
    kazoo.run(scenario, with_proxy, |server, root| {
        let mut command = Command::new(python());
        command
            .current_dir(scripts_dir())
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .arg(scripts_dir().join(script))
            .args(["--server", server, "--root", root])
            .args(extra);
        command
    });
}

#[test]
fn kazoo_create_modes_persistent_ephemeral_sequential_container_ttl() {
    run_kazoo("create-modes", "create_modes.py", &[], false);
}

#[test]
fn kazoo_delete_checks_version_children_and_existence() {
    run_kazoo("delete", "delete.py", &[], false);
}

#[test]
fn kazoo_stats_children_counts_and_ephemerals_field_by_field() {
    run_kazoo("stats", "stats.py", &[], false);
}

#[test]
fn kazoo_acls_with_world_ip_auth_digest_schemes_and_whoami() {
    run_kazoo("acl", "acl.py", &[], false);
}

#[test]
fn kazoo_multi_is_atomic_and_multi_read_reports_per_op() {
    run_kazoo("multi", "multi.py", &[], false);
}

#[test]
fn kazoo_one_shot_data_exists_and_child_watches_fire_once() {
    run_kazoo("oneshot-watches", "oneshot_watches.py", &[], false);
}

#[test]
fn kazoo_persistent_and_recursive_watches_and_remove_watches() {
    run_kazoo("persistent-watches", "persistent_watches.py", &[], false);
}

#[test]
fn kazoo_session_expiry_removes_ephemerals_and_tells_the_client() {
    run_kazoo("expiry", "sessions.py", &["--scenario", "expiry"], true);
}

#[test]
fn kazoo_reconnect_resets_watches_and_delivers_missed_events() {
    run_kazoo(
        "reconnect",
        "sessions.py",
        &["--scenario", "reconnect"],
        true,
    );
}

#[test]
fn kazoo_close_session_removes_ephemerals_at_once() {
    run_kazoo("close", "sessions.py", &["--scenario", "close"], false);
}
