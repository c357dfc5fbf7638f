//! RINGKEEPER_IO_BACKEND overrides BackendChoice::Auto (CI runs the suites on both backends).
//! Alone in its test binary: it changes the process environment.

mod common;

use common::*;
use ringkeeper_engine::{BackendChoice, BackendKind, Engine, IO_BACKEND_ENV};

#[test]
fn env_var_overrides_auto_and_only_auto() {
    let mut auto = config(BackendChoice::Auto);
    auto.cores = 1;

    std::env::set_var(IO_BACKEND_ENV, "epoll");
    let (engine, _) = start_echo(auto.clone());
    assert_eq!(engine.backend(), BackendKind::Epoll);
    engine.shutdown().unwrap();

    std::env::set_var(IO_BACKEND_ENV, "io_uring");
    let (engine, _) = start_echo(auto.clone());
    assert_eq!(engine.backend(), BackendKind::IoUring);
    engine.shutdown().unwrap();

    // An explicit choice wins over the variable.
    let mut explicit = auto.clone();
    explicit.backend = BackendChoice::IoUring;
    std::env::set_var(IO_BACKEND_ENV, "epoll");
    let (engine, _) = start_echo(explicit);
    assert_eq!(engine.backend(), BackendKind::IoUring);
    engine.shutdown().unwrap();

    std::env::set_var(IO_BACKEND_ENV, "kqueue");
    let error = Engine::start(auto.clone(), EchoFactory::new())
        .err()
        .expect("refused");
    assert!(error.to_string().contains("kqueue"), "{error}");

    // Unset, Auto picks io_uring when the kernel allows it, else epoll: either way it starts.
    std::env::remove_var(IO_BACKEND_ENV);
    let (engine, _) = start_echo(auto);
    engine.shutdown().unwrap();
}

#[test]
fn a_port_in_use_is_refused_not_shared() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut config = config(BackendChoice::Epoll);
    config.listen = taken.local_addr().unwrap();
    let error = Engine::start(config, EchoFactory::new())
        .err()
        .expect("refused");
    assert_eq!(error.kind(), std::io::ErrorKind::AddrInUse, "{error}");
}

#[test]
fn a_listener_that_goes_away_within_the_wait_does_not_stop_the_start() {
    // As after a SIGKILL: the dead server's listeners close a moment after the restart begins.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut config = config(BackendChoice::Epoll);
    config.listen = taken.local_addr().unwrap();
    let release_after =
        std::time::Duration::from_millis(ringkeeper_engine::ADDRESS_IN_USE_WAIT_MS / 10);
    let releaser = std::thread::spawn(move || {
        std::thread::sleep(release_after);
        drop(taken);
    });
    let engine = Engine::start(config, EchoFactory::new()).expect("started once the port was free");
    releaser.join().unwrap();
    engine.shutdown().unwrap();
}
