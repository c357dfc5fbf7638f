//! `ringkeeper [--cores N] [--io-backend auto|io_uring|epoll] [zoo.cfg]`
//! `ringkeeper dump-log FILE`, `ringkeeper dump-snapshot FILE`,
//! `ringkeeper purge [-n COUNT] [--dry-run] zoo.cfg`,
//! `ringkeeper import-zk [--zk-log-dir DIR] ZK_DATA_DIR zoo.cfg`
//!
//! Reads an Apache ZooKeeper `zoo.cfg` and serves ZooKeeper clients in the
//! foreground until SIGTERM or SIGINT. With no file it starts the embedded
//! default: 127.0.0.1:2181, data under `./ringkeeper-data`. Settings in
//! `SERVER_JVMFLAGS` (`-Dzookeeper.K=V`, `-Djute.maxbuffer=N`), as
//! ZooKeeper's start scripts pass them, override the file's.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use ringkeeper_engine::BackendChoice;
use ringkeeper_server::config::load_zoo_cfg_with_jvm_flags;
use ringkeeper_server::run::{embedded_default_config, start, RunOptions};

#[derive(Parser, Debug)]
#[command(
    name = "ringkeeper",
    version,
    about = "A ZooKeeper-compatible coordination server",
    args_conflicts_with_subcommands = true
)]
struct Args {
    #[command(subcommand)]
    command: Option<Tool>,
    /// Apache ZooKeeper configuration file; none = the embedded default.
    config: Option<PathBuf>,
    /// Engine threads, each with its own io_uring; 0 = one per CPU.
    #[arg(long, default_value_t = 0)]
    cores: usize,
    /// I/O backend: auto (io_uring, else epoll), io_uring or epoll.
    #[arg(long, default_value = "auto", value_parser = parse_backend)]
    io_backend: BackendChoice,
}

/// Tools on a data directory, besides serving.
#[derive(clap::Subcommand, Debug)]
enum Tool {
    /// Print a txn log segment record by record (offset, zxid, length, checksum).
    DumpLog { file: PathBuf },
    /// Print a snapshot: header, ACLs, sessions, every node.
    DumpSnapshot { file: PathBuf },
    /// Turn an Apache ZooKeeper data directory into ringkeeper's dataDir
    /// (the zoo.cfg's), with the same tree, ACLs, sessions and last zxid.
    ImportZk {
        /// ZooKeeper's dataDir (or its version-2 directory).
        zk_dir: PathBuf,
        /// ZooKeeper's dataLogDir, when it is not the dataDir.
        #[arg(long)]
        zk_log_dir: Option<PathBuf>,
        config: PathBuf,
    },
    /// Delete all but the newest snapshots and the log segments they need.
    Purge {
        /// Snapshots to keep (at least 3); default: autopurge.snapRetainCount.
        #[arg(short = 'n', long)]
        count: Option<usize>,
        /// Say what would be deleted, delete nothing.
        #[arg(long)]
        dry_run: bool,
        config: PathBuf,
    },
}

fn run_tool(tool: Tool) -> ExitCode {
    let result = match tool {
        Tool::DumpLog { file } => ringkeeper_txnlog::dump_log(&file)
            .map_err(|e| format!("cannot read {}: {e}", file.display())),
        Tool::DumpSnapshot { file } => ringkeeper_snapshot::dump_snapshot(&file)
            .map_err(|e| format!("{}: {e}", file.display())),
        Tool::Purge {
            count,
            dry_run,
            config,
        } => purge_tool(&config, count, dry_run),
        Tool::ImportZk {
            zk_dir,
            zk_log_dir,
            config,
        } => ringkeeper_server::config::load_zoo_cfg(&config)
            .map_err(|e| e.to_string())
            .and_then(|(config, _)| {
                ringkeeper_server::import::import_zk(
                    &zk_dir,
                    zk_log_dir.as_deref(),
                    &config,
                    ringkeeper_server::service::unix_ms_now(),
                )
            }),
    };
    match result {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("ringkeeper: {message}");
            ExitCode::from(1)
        }
    }
}

fn purge_tool(
    config: &std::path::Path,
    count: Option<usize>,
    dry_run: bool,
) -> Result<String, String> {
    let (config, _) = ringkeeper_server::config::load_zoo_cfg(config).map_err(|e| e.to_string())?;
    let count = count.unwrap_or(config.autopurge_snap_retain_count as usize);
    let outcome =
        ringkeeper_server::purge::purge(&config.data_dir, &config.data_log_dir, count, dry_run)?;
    let verb = if dry_run { "would delete" } else { "deleted" };
    let mut text = format!(
        "kept {} snapshot(s); {verb} {} file(s)\n",
        outcome.snapshots_kept,
        outcome.deleted.len()
    );
    for path in &outcome.deleted {
        text.push_str(&format!("  {}\n", path.display()));
    }
    Ok(text)
}

fn parse_backend(s: &str) -> Result<BackendChoice, String> {
    match s {
        "auto" => Ok(BackendChoice::Auto),
        "io_uring" | "io-uring" => Ok(BackendChoice::IoUring),
        "epoll" => Ok(BackendChoice::Epoll),
        other => Err(format!(
            "unknown I/O backend {other:?}: use auto, io_uring or epoll"
        )),
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    if let Some(tool) = args.command {
        return run_tool(tool);
    }
    let config = match &args.config {
        None => embedded_default_config(),
        Some(path) => match load_zoo_cfg_with_jvm_flags(
            path,
            &std::env::var("SERVER_JVMFLAGS").unwrap_or_default(),
        ) {
            Ok((config, warnings)) => {
                for w in warnings {
                    eprintln!("ringkeeper: warning: {w}");
                }
                config
            }
            Err(e) => {
                eprintln!("ringkeeper: {e}");
                return ExitCode::from(2);
            }
        },
    };
    if config.is_distributed() {
        eprintln!(
            "ringkeeper: this configuration describes an ensemble ({} servers); \
             only standalone mode is implemented so far",
            config.servers.len()
        );
        return ExitCode::from(2);
    }
    raise_open_files_limit();
    // Block the stop signals before any thread starts, so every engine
    // thread inherits the mask and only sigwait below receives them.
    let signals = stop_signals();
    // SAFETY: `signals` is a valid, initialised sigset_t.
    unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &signals, std::ptr::null_mut()) };
    let options = RunOptions {
        cores: args.cores,
        backend: args.io_backend,
    };
    let server = match start(config, &options) {
        Ok(server) => server,
        Err(e) => {
            eprintln!("ringkeeper: {e}");
            return ExitCode::from(1);
        }
    };
    eprintln!(
        "ringkeeper: serving ZooKeeper clients on {} ({:?} backend, dataDir {})",
        server.local_addr(),
        server.backend(),
        server.config().data_dir.display()
    );
    let mut received: libc::c_int = 0;
    // SAFETY: both pointers are valid for the call.
    unsafe { libc::sigwait(&signals, &mut received) };
    eprintln!("ringkeeper: signal {received} received, shutting down");
    server.shutdown();
    ExitCode::SUCCESS
}

/// Each client connection is a file descriptor: lift the soft
/// RLIMIT_NOFILE to the hard limit, as ZooKeeper's start script's `ulimit`
/// advice would, and say what the server can hold.
fn raise_open_files_limit() {
    let Ok(limit) = ringkeeper_engine::raise_open_files_limit() else {
        return;
    };
    if limit < 10_000 {
        eprintln!(
            "ringkeeper: warning: open files are limited to {limit} (RLIMIT_NOFILE), which caps \
             client connections below that"
        );
    }
}

fn stop_signals() -> libc::sigset_t {
    // SAFETY: sigemptyset initialises the set before sigaddset reads it.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGTERM);
        libc::sigaddset(&mut set, libc::SIGINT);
        set
    }
}
