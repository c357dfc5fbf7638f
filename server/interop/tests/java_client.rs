//! The interop scenarios driven by Apache ZooKeeper's Java client (`scenarios/java`, compiled
//! with javac into the target dir once per source content), plus a zkCli smoke test, against
//! every server kind of `RK_TEST_SERVERS`. A failure shows the client, the scenario, the server,
//! the JVM's exit status, stdout and stderr.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use ringkeeper_interop::{shared_server, JavaBuild, ProgramRun, ScenarioClient};
use ringkeeper_testkit::{kinds_under_test, TestServer};

/// Longest one scenario's JVM may run (its own waits are bounded at 20 to 40 s each).
const JAVA_SCENARIO_TIMEOUT: Duration = Duration::from_secs(180);
/// Longest one zkCli command may run (a JVM start and one request).
const ZKCLI_TIMEOUT: Duration = Duration::from_secs(60);
const ZKCLI: &str = "/usr/share/zookeeper/bin/zkCli.sh";

/// The scenario classes, compiled once per test binary (tests running at the same time wait).
fn java_build() -> &'static JavaBuild {
    static BUILD: OnceLock<Result<JavaBuild, String>> = OnceLock::new();
    let build = BUILD.get_or_init(|| {
        let sources = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/java");
        let cache = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("interop-java");
        JavaBuild::compile_cached(&sources, &cache).map_err(|error| error.to_string())
    });
    match build {
        Ok(build) => build,
        Err(error) => panic!("client=java: the scenario program did not compile: {error}"),
    }
}

fn run_java(scenario: &str, with_proxy: bool) {
    let build = java_build();
    let java = ScenarioClient {
        name: "java",
        program: "the Java scenario",
        timeout: JAVA_SCENARIO_TIMEOUT,
    };
    java.run(scenario, with_proxy, |server, root| {
        let mut command = build.command("Interop");
        command.args(["--scenario", scenario, "--server", server, "--root", root]);
        command
    });
}

#[test]
fn java_create_modes_persistent_ephemeral_sequential_container_ttl() {
    run_java("create-modes", false);
}

#[test]
fn java_delete_checks_version_children_and_existence() {
    run_java("delete", false);
}

#[test]
fn java_stats_children_counts_and_ephemerals_field_by_field() {
    run_java("stats", false);
}

#[test]
fn java_acls_with_world_ip_auth_digest_schemes_and_whoami() {
    run_java("acl", false);
}

#[test]
fn java_multi_is_atomic_and_multi_read_reports_per_op() {
    run_java("multi", false);
}

#[test]
fn java_one_shot_data_exists_and_child_watches_fire_once() {
    run_java("oneshot-watches", false);
}

#[test]
fn java_persistent_and_recursive_watches_and_remove_watches() {
    run_java("persistent-watches", false);
}

#[test]
fn java_session_expiry_removes_ephemerals_and_tells_the_client() {
    run_java("expiry", true);
}

#[test]
fn java_reconnect_resets_watches_and_delivers_missed_events() {
    run_java("reconnect", true);
}

#[test]
fn java_close_session_removes_ephemerals_at_once() {
    run_java("close", false);
}

/// One zkCli command in batch mode; returns its stdout and stderr together (zkCli prints
/// answers to stdout and errors such as "Node does not exist" to stderr).
fn zkcli(server: &TestServer, args: &[&str]) -> String {
    let mut command = Command::new(ZKCLI);
    command
        .env("ZOO_LOG4J_PROP", "ERROR,CONSOLE")
        .arg("-server")
        .arg(server.connect_string())
        .args(args);
    let run = ProgramRun::run(&mut command, ZKCLI_TIMEOUT)
        .unwrap_or_else(|error| panic!("client=zkCli server={}: {error}", server.kind()));
    if run.status.is_none() {
        panic!(
            "client=zkCli server={}: `{}` did not finish\n{}",
            server.kind(),
            args.join(" "),
            run.report()
        );
    }
    format!("{}\n{}", run.stdout, run.stderr)
}

fn expect_line(server: &TestServer, step: &str, output: &str, wanted: &str) {
    if !output.lines().any(|line| line.trim() == wanted) {
        panic!(
            "client=zkCli server={} step={step}: expected a line {wanted:?}, got:\n{output}",
            server.kind()
        );
    }
}

#[test]
fn zkcli_smoke_create_get_ls_stat_set_delete() {
    for kind in kinds_under_test() {
        let server = shared_server(kind).unwrap_or_else(|error| {
            panic!("client=zkCli server={kind}: server did not start: {error}")
        });
        let node = "/interop-zkcli";
        let created = zkcli(&server, &["create", node, "hello"]);
        expect_line(&server, "create", &created, &format!("Created {node}"));
        let got = zkcli(&server, &["get", node]);
        expect_line(&server, "get", &got, "hello");
        let listed = zkcli(&server, &["ls", "/"]);
        if !listed
            .lines()
            .any(|line| line.starts_with('[') && line.contains("interop-zkcli"))
        {
            panic!("client=zkCli server={kind} step=ls: expected a list naming interop-zkcli, got:\n{listed}");
        }
        zkcli(&server, &["set", node, "bye!!!"]);
        let stat = zkcli(&server, &["stat", node]);
        for wanted in [
            "dataVersion = 1",
            "dataLength = 6",
            "numChildren = 0",
            "ephemeralOwner = 0x0",
        ] {
            expect_line(&server, "stat", &stat, wanted);
        }
        zkcli(&server, &["delete", node]);
        let gone = zkcli(&server, &["stat", node]);
        expect_line(
            &server,
            "stat after delete",
            &gone,
            &format!("Node does not exist: {node}"),
        );
    }
}
