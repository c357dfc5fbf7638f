//! `run_scenario_program`: one scenario of an outside client (a kazoo script, the Java `Interop`
//! class) against every server kind of `RK_TEST_SERVERS`, judged the same way for every client:
//! the program must exit 0 and print `PASS <scenario>`. A failure panics naming the client, the
//! scenario and the server, with the program's report and the server's log tail.

use std::process::Command;
use std::time::Duration;

use ringkeeper_testkit::kinds_under_test;

use crate::fault_proxy::FaultProxy;
use crate::program_run::ProgramRun;
use crate::shared_server::shared_server;

/// How one client's scenario programs are started and described.
pub struct ScenarioClient<'a> {
    /// The client's name in messages and in each scenario's root path
    /// (`/interop-<name>-<scenario>`).
    pub name: &'a str,
    /// What failed, in the failure message ("the script", "the Java scenario").
    pub program: &'a str,
    /// Longest one run may take.
    pub timeout: Duration,
}

impl ScenarioClient<'_> {
    /// Runs `scenario` against each server kind under test. `command` builds the program's
    /// command line from the server's connect string and the scenario's root path; with
    /// `with_proxy` a fault proxy stands in front of the server and `--proxy` and `--control`
    /// are added.
    pub fn run(&self, scenario: &str, with_proxy: bool, command: impl Fn(&str, &str) -> Command) {
        let client = self.name;
        for kind in kinds_under_test() {
            let server = shared_server(kind).unwrap_or_else(|error| {
                panic!(
                    "client={client} scenario={scenario} server={kind}: server did not start: {error}"
                )
            });
            let root = format!("/interop-{client}-{scenario}");
            let proxy = with_proxy.then(|| {
                FaultProxy::start(server.addr()).unwrap_or_else(|error| {
                    panic!(
                        "client={client} scenario={scenario}: fault proxy did not start: {error}"
                    )
                })
            });
            let mut command = command(&server.connect_string(), &root);
            if let Some(proxy) = &proxy {
                command.args([
                    "--proxy",
                    &proxy.connect_string(),
                    "--control",
                    &proxy.control_addr().to_string(),
                ]);
            }
            let run = ProgramRun::run(&mut command, self.timeout).unwrap_or_else(|error| {
                panic!("client={client} scenario={scenario} server={kind}: {error}")
            });
            let passed_line = format!("PASS {scenario}");
            if !run.succeeded() || !run.stdout.lines().any(|line| line.trim() == passed_line) {
                panic!(
                    "client={client} scenario={scenario} server={kind}: {} failed (expected exit 0 \
                     and {passed_line:?})\n{}\n--- server log tail ---\n{}",
                    self.program,
                    run.report(),
                    server.log_tail(30)
                );
            }
        }
    }
}
