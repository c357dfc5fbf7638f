//! `ProgramRun`: run an outside program (a kazoo script, a Java scenario, zkCli) bounded in time,
//! and keep everything needed to say why it failed.

use std::fmt::Write as _;
use std::io::{self, Read};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// How often a running program is polled for its exit.
const POLL_INTERVAL: Duration = Duration::from_millis(20);
/// How long to wait for a killed program's process group to be reaped.
const KILL_REAP_TIMEOUT: Duration = Duration::from_secs(10);
/// Output kept per stream for the failure report (the tail).
const REPORT_OUTPUT_BYTES_MAX: usize = 16 * 1024;

/// The outcome of one bounded run.
#[derive(Debug)]
pub struct ProgramRun {
    /// The command line, for messages.
    pub command_line: String,
    /// `None` when the program was killed at its deadline.
    pub status: Option<ExitStatus>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
    pub timeout: Duration,
}

impl ProgramRun {
    /// Runs `command` in its own process group with piped stdout/stderr and no stdin. When it
    /// outlives `timeout` the whole group (e.g. zkCli.sh and its JVM) is killed.
    pub fn run(command: &mut Command, timeout: Duration) -> io::Result<ProgramRun> {
        let command_line = describe(command);
        let started = Instant::now();
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .map_err(|error| {
                io::Error::new(
                    error.kind(),
                    format!("cannot start {command_line}: {error}"),
                )
            })?;
        let stdout = collect(child.stdout.take());
        let stderr = collect(child.stderr.take());
        let status = wait_bounded(&mut child, timeout)?;
        Ok(ProgramRun {
            command_line,
            status,
            stdout: join_output(stdout),
            stderr: join_output(stderr),
            elapsed: started.elapsed(),
            timeout,
        })
    }

    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|status| status.success())
    }

    /// The command, how it ended, and the tail of both streams.
    pub fn report(&self) -> String {
        let mut out = String::new();
        let ending = match self.status {
            Some(status) => format!("{status}"),
            None => format!("killed after its {:?} timeout", self.timeout),
        };
        let _ = writeln!(
            out,
            "command: {}\nended: {ending} after {:.1?}",
            self.command_line, self.elapsed
        );
        let _ = writeln!(out, "--- stdout (tail) ---\n{}", tail(&self.stdout));
        let _ = writeln!(out, "--- stderr (tail) ---\n{}", tail(&self.stderr));
        out
    }
}

fn describe(command: &Command) -> String {
    let mut line = command.get_program().to_string_lossy().into_owned();
    for arg in command.get_args() {
        line.push(' ');
        line.push_str(&arg.to_string_lossy());
    }
    line
}

fn collect(stream: Option<impl Read + Send + 'static>) -> Option<JoinHandle<String>> {
    let mut stream = stream?;
    thread::Builder::new()
        .name("program-output".into())
        .spawn(move || {
            let mut bytes = Vec::new();
            // A read error ends the capture; what was read so far is still reported.
            let _ = stream.read_to_end(&mut bytes);
            String::from_utf8_lossy(&bytes).into_owned()
        })
        .ok()
}

fn join_output(reader: Option<JoinHandle<String>>) -> String {
    reader
        .and_then(|handle| handle.join().ok())
        .unwrap_or_default()
}

fn wait_bounded(child: &mut Child, timeout: Duration) -> io::Result<Option<ExitStatus>> {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        thread::sleep(POLL_INTERVAL);
    }
    kill_group(child);
    let reap_deadline = Instant::now() + KILL_REAP_TIMEOUT;
    while Instant::now() < reap_deadline {
        if child.try_wait()?.is_some() {
            break;
        }
        thread::sleep(POLL_INTERVAL);
    }
    Ok(None)
}

/// Kills the process group this module created for `child` (its pid is the group id).
fn kill_group(child: &mut Child) {
    let Ok(pgid) = libc::pid_t::try_from(child.id()) else {
        let _ = child.kill();
        return;
    };
    // SAFETY: kill(2) with a negative pid signals exactly the group created by process_group(0)
    // for this child; it touches no memory.
    unsafe {
        libc::kill(-pgid, libc::SIGKILL);
    }
}

fn tail(text: &str) -> &str {
    if text.len() <= REPORT_OUTPUT_BYTES_MAX {
        return text;
    }
    let mut start = text.len() - REPORT_OUTPUT_BYTES_MAX;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}
