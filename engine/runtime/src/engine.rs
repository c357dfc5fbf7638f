//! `Engine`: binds the listeners, starts one thread per core, stops them.

use crate::backend::Backend;
use crate::config::{
    apply_backend_override, BackendChoice, BackendKind, EngineConfig, IO_BACKEND_ENV,
};
use crate::connection::ConnTable;
use crate::core_loop::CoreLoop;
use crate::core_state::CoreState;
use crate::epoll::EpollBackend;
use crate::mailbox::{mailbox, MailSender, Mailbox, Waker};
use crate::service::{CoreContext, Service, ServiceFactory};
use crate::socket;
use crate::stats::{Counters, EngineStats};
use crate::uring::IoUringBackend;
use std::any::Any;
use std::io;
use std::net::SocketAddr;
use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// A running engine: one thread per core serving `listen`. Dropping it shuts it down too
/// (ignoring core panics); `shutdown` reports them.
pub struct Engine {
    local_addr: SocketAddr,
    backend: BackendKind,
    threads: Vec<JoinHandle<()>>,
    wakers: Vec<Arc<Waker>>,
    shutdown: Arc<AtomicBool>,
    /// `Arc<[MailSender<M>]>` for the service's mail type.
    mailboxes: Box<dyn Any + Send + Sync>,
    counters: Arc<Counters>,
}

/// What one core thread starts from.
struct CoreSetup<F: ServiceFactory> {
    core_index: usize,
    cores: usize,
    kind: BackendKind,
    waker: Arc<Waker>,
    mailbox: Mailbox<<F::Service as Service>::Mail>,
    mailboxes: Arc<[MailSender<<F::Service as Service>::Mail>]>,
    config: EngineConfig,
    shutdown: Arc<AtomicBool>,
    counters: Arc<Counters>,
    factory: Arc<F>,
}

impl Engine {
    /// Binds `config.listen` (SO_REUSEADDR; one SO_REUSEPORT listener per core), starts the
    /// cores (each builds its backend and its service on its own thread) and returns once
    /// every core is ready. A port already in use is an error, as is a backend that was
    /// asked for explicitly but is unavailable.
    pub fn start<F: ServiceFactory>(config: EngineConfig, factory: F) -> io::Result<Engine> {
        config.validate()?;
        let cores = config.resolved_cores();
        let env_value = std::env::var(IO_BACKEND_ENV).ok();
        let kind = match apply_backend_override(config.backend, env_value.as_deref())? {
            BackendChoice::Epoll => BackendKind::Epoll,
            BackendChoice::IoUring => {
                IoUringBackend::probe().map_err(|error| {
                    io::Error::new(
                        error.kind(),
                        format!("io_uring backend unavailable: {error}"),
                    )
                })?;
                BackendKind::IoUring
            }
            BackendChoice::Auto => match IoUringBackend::probe() {
                Ok(()) => BackendKind::IoUring,
                Err(error) => {
                    eprintln!(
                        "ringkeeper-engine: warning: io_uring unavailable ({error}); using epoll"
                    );
                    BackendKind::Epoll
                }
            },
        };
        if config.listen.port() != 0 {
            socket::check_address_free(config.listen)?;
        }
        let first = socket::reuseport_listener(config.listen, config.listen_backlog)?;
        let local_addr = socket::local_addr(&first)?;
        let mut listeners = vec![first];
        for _ in 1..cores {
            listeners.push(socket::reuseport_listener(
                local_addr,
                config.listen_backlog,
            )?);
        }
        let wakers = (0..cores)
            .map(|_| Waker::new().map(Arc::new))
            .collect::<io::Result<Vec<_>>>()?;
        let (senders, receivers): (Vec<_>, Vec<_>) = wakers
            .iter()
            .enumerate()
            .map(|(core, waker)| mailbox(core, config.mailbox_capacity, Arc::clone(waker)))
            .unzip();
        let mailboxes: Arc<[MailSender<<F::Service as Service>::Mail>]> = senders.into();
        let mut engine = Engine {
            local_addr,
            backend: kind,
            threads: Vec::with_capacity(cores),
            wakers: wakers.clone(),
            shutdown: Arc::new(AtomicBool::new(false)),
            mailboxes: Box::new(Arc::clone(&mailboxes)),
            counters: Arc::new(Counters::default()),
        };
        let factory = Arc::new(factory);
        let (ready_sender, ready) = mpsc::channel::<io::Result<()>>();
        for (core_index, (listener, mailbox)) in listeners.into_iter().zip(receivers).enumerate() {
            let setup = CoreSetup {
                core_index,
                cores,
                kind,
                waker: Arc::clone(&wakers[core_index]),
                mailbox,
                mailboxes: Arc::clone(&mailboxes),
                config: config.clone(),
                shutdown: Arc::clone(&engine.shutdown),
                counters: Arc::clone(&engine.counters),
                factory: Arc::clone(&factory),
            };
            let ready_sender = ready_sender.clone();
            let spawned = thread::Builder::new()
                .name(format!("ringkeeper-core-{core_index}"))
                .spawn(move || core_main(setup, listener, ready_sender));
            match spawned {
                Ok(handle) => engine.threads.push(handle),
                Err(error) => {
                    let _ = engine.stop();
                    return Err(error);
                }
            }
        }
        drop(ready_sender);
        for core_index in 0..cores {
            let failure = match ready.recv() {
                Ok(Ok(())) => continue,
                Ok(Err(error)) => error,
                Err(_) => io::Error::other(format!(
                    "a core thread stopped while starting ({core_index} of {cores} were ready)"
                )),
            };
            let _ = engine.stop();
            return Err(failure);
        }
        Ok(engine)
    }

    /// The listening address (with the real port when `listen` asked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The backend every core runs on.
    pub fn backend(&self) -> BackendKind {
        self.backend
    }

    pub fn cores(&self) -> usize {
        self.wakers.len()
    }

    pub fn stats(&self) -> EngineStats {
        self.counters.snapshot()
    }

    /// A sender into `core`'s mailbox, for threads outside the engine. `None` when `M` is not
    /// the service's mail type or `core` is out of range.
    pub fn mailbox<M: Send + 'static>(&self, core: usize) -> Option<MailSender<M>> {
        self.mailboxes
            .downcast_ref::<Arc<[MailSender<M>]>>()?
            .get(core)
            .cloned()
    }

    /// Wakes every core, closes every connection (`on_closed(Shutdown)`), joins the threads.
    /// Err carries the panic of a core (the first, when several panicked).
    pub fn shutdown(mut self) -> thread::Result<()> {
        self.stop()
    }

    fn stop(&mut self) -> thread::Result<()> {
        self.shutdown.store(true, Ordering::SeqCst);
        for waker in &self.wakers {
            waker.wake_now();
        }
        let mut result = Ok(());
        for handle in self.threads.drain(..) {
            if let Err(panic) = handle.join() {
                if result.is_ok() {
                    result = Err(panic);
                }
            }
        }
        result
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

fn core_main<F: ServiceFactory>(
    setup: CoreSetup<F>,
    listener: OwnedFd,
    ready: mpsc::Sender<io::Result<()>>,
) {
    match setup.kind {
        BackendKind::IoUring => {
            match IoUringBackend::new(listener, Arc::clone(&setup.waker), &setup.config) {
                Ok(backend) => run_core(backend, setup, ready),
                Err(error) => {
                    let _ = ready.send(Err(error));
                }
            }
        }
        BackendKind::Epoll => {
            let buffer_bytes = setup.config.recv_buffer_bytes;
            match EpollBackend::new(listener, Arc::clone(&setup.waker), buffer_bytes) {
                Ok(backend) => run_core(backend, setup, ready),
                Err(error) => {
                    let _ = ready.send(Err(error));
                }
            }
        }
    }
}

fn run_core<F: ServiceFactory, B: Backend>(
    backend: B,
    setup: CoreSetup<F>,
    ready: mpsc::Sender<io::Result<()>>,
) {
    let CoreSetup {
        core_index,
        cores,
        mailbox,
        mailboxes,
        config,
        shutdown,
        counters,
        factory,
        ..
    } = setup;
    let context = CoreContext {
        core_index,
        cores,
        mailboxes: Arc::clone(&mailboxes),
    };
    let service = factory.build(&context);
    drop(context);
    let state = CoreState {
        core_index,
        cores,
        now: Instant::now(),
        conns: ConnTable::new(core_index),
        mailboxes,
        send_buffer_bytes_max: config.send_buffer_bytes_max,
        connections_max: config.connections_per_core_max,
        close_flush_timeout: Duration::from_millis(config.close_flush_timeout_ms),
        held_ready: Vec::new(),
        closing: Vec::new(),
        ended: Vec::new(),
        counters,
    };
    let _ = ready.send(Ok(()));
    drop(ready);
    let core = CoreLoop {
        backend,
        service,
        state,
        mailbox,
        shutdown: &shutdown,
        tick_interval: Duration::from_millis(config.tick_interval_ms),
    };
    if let Err(error) = core.run() {
        panic!("ringkeeper-engine: core {core_index} stopped: {error}");
    }
}
